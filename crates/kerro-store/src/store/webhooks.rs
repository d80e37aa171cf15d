//! Webhook endpoints as storage sees them (issue 14, item 5): registering one
//! with its signing secret (sealed with a key derived from the master key),
//! listing and deleting them, and the one mapping from an outbox event to
//! the event a receiver gets (its type and its `{type, timestamp, data}`
//! body). The queue of deliveries, their retries and the cursors are
//! `webhook_queue`'s; checking a URL and sending are the binary's.
//!
//! A body carries ids, keys and times only, copied from a closed list of
//! payload fields, never a personal value. An endpoint may belong to a
//! registered recipient, for one purpose that names it (P21): it then gets a
//! subject's events only while the subject consents to that recipient and
//! does not object to sharing, and each one is logged as a disclosure.

use base64::Engine;
use chrono::{DateTime, Utc};
use kerro_core::{CoreError, ErrorCode};
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::audit::{record, AuditAction};
use super::outbox::{kind, last_seq, OutboxEvent};
use super::{new_ulid, parse_ts, ts, Store};
use crate::error::{StoreError, StoreResult};
use crate::sql::{params, Conn, OptionalExtension, Row};

/// Endpoint ids start with this.
pub const WEBHOOK_PREFIX: &str = "wh_";
/// Delivery ids (the `webhook-id` header) start with this.
pub const DELIVERY_PREFIX: &str = "msg_";
/// Signing secrets start with this (the Standard Webhooks convention).
pub const SECRET_PREFIX: &str = "whsec_";

/// The event types a webhook may subscribe to.
pub const WEBHOOK_EVENTS: &[&str] = &[
    "consent.given",
    "consent.refused",
    "consent.withdrawn",
    "consent.expired",
    "declaration.changed",
    "declaration.deleted",
    "subject.created",
    "subject.erased",
    "contact.changed",
    "unsubscribed",
    "delivery.sent",
];

/// Payload fields a body may carry: each holds an id, a key, a state or a time.
const DATA_FIELDS: &[&str] = &[
    "subject",
    "record_id",
    "purpose",
    "state",
    "event_time",
    "attributes",
    "form",
    "reason",
    "via",
    "offer",
    "channel",
    "decision_id",
    "delivery_id",
    "campaign",
    "sent_at",
    "at",
];

/// The webhook type of an outbox event, if receivers get it.
pub fn event_type(e: &OutboxEvent) -> Option<&'static str> {
    Some(match e.kind.as_str() {
        kind::CONSENT_GIVEN => "consent.given",
        kind::CONSENT_REFUSED => "consent.refused",
        kind::CONSENT_WITHDRAWN => "consent.withdrawn",
        kind::CONSENT_EXPIRED => "consent.expired",
        kind::DECLARATION_CHANGED => "declaration.changed",
        kind::DECLARATION_DELETED => "declaration.deleted",
        kind::SUBJECT_CREATED => "subject.created",
        kind::SUBJECT_ERASED => "subject.erased",
        kind::SUBJECT_CHANGED if e.payload["changed"] == "contact" => "contact.changed",
        kind::UNSUBSCRIBED => "unsubscribed",
        kind::DELIVERY_SENT => "delivery.sent",
        _ => return None,
    })
}

/// The body receivers get for an outbox event, `{type, timestamp, data}`, or
/// `None` when the event is not one of [`WEBHOOK_EVENTS`]. `data` holds the
/// subject's pseudonymous id and the listed payload fields whose values are
/// strings, numbers or lists of strings.
pub fn event_body(e: &OutboxEvent) -> Option<Value> {
    let kind = event_type(e)?;
    let mut data = Map::new();
    if let Some(s) = &e.subject {
        data.insert("subject".into(), json!(s));
    }
    for field in DATA_FIELDS {
        let Some(v) = e.payload.get(*field) else {
            continue;
        };
        let plain = match v {
            Value::String(_) | Value::Number(_) | Value::Bool(_) => true,
            Value::Array(items) => items.iter().all(Value::is_string),
            _ => false,
        };
        if plain && !data.contains_key(*field) {
            data.insert((*field).to_owned(), v.clone());
        }
    }
    Some(json!({"type": kind, "timestamp": e.created_at, "data": data}))
}

/// A registered endpoint as the API lists it (never its secret).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookEndpoint {
    /// `wh_` and 26 characters.
    pub id: String,
    pub url: String,
    /// The event types it receives.
    pub events: Vec<String>,
    pub description: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// Set when repeated failures stopped its deliveries; staff were notified.
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    /// The registered recipient the endpoint belongs to (P21), with `purpose`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    /// The sharing purpose the recipient gets the events under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
}

const COLUMNS: &str =
    "id, url, events, description, created_by, created_at, disabled_at, disabled_reason, recipient, purpose";

fn endpoint_from_row(r: &Row) -> StoreResult<WebhookEndpoint> {
    let events: String = r.get(2)?;
    let disabled: Option<String> = r.get(6)?;
    Ok(WebhookEndpoint {
        id: r.get(0)?,
        url: r.get(1)?,
        events: serde_json::from_str(&events).map_err(super::corrupt("webhook events"))?,
        description: r.get(3)?,
        created_by: r.get(4)?,
        created_at: parse_ts(&r.get::<_, String>(5)?)?,
        disabled_at: disabled.as_deref().map(parse_ts).transpose()?,
        disabled_reason: r.get(7)?,
        recipient: r.get(8)?,
        purpose: r.get(9)?,
    })
}

pub(crate) fn load_endpoint(conn: &Conn, id: &str) -> StoreResult<Option<WebhookEndpoint>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM webhook_endpoints WHERE id = ?1"),
        [id],
        endpoint_from_row,
    )
    .optional()
}

pub(crate) fn endpoint_or_404(conn: &Conn, id: &str) -> StoreResult<WebhookEndpoint> {
    load_endpoint(conn, id)?
        .ok_or_else(|| CoreError::not_found("id", format!("no webhook '{id}'")).into())
}

/// What `POST /v1/webhooks` asks for; the URL was checked by the caller
/// (scheme, addresses), the rest is checked here.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub url: String,
    pub events: Vec<String>,
    pub description: Option<String>,
    /// `(purpose, recipient)`: the endpoint belongs to a registered recipient
    /// of a sharing purpose (P21).
    pub recipient: Option<(String, String)>,
}

/// The longest URL kept.
pub const MAX_URL: usize = 2000;
/// The longest description kept, in characters.
pub const MAX_DESCRIPTION: usize = 500;

fn check_new(new: &NewWebhook) -> Result<Vec<String>, CoreError> {
    if new.url.len() > MAX_URL {
        return Err(CoreError::invalid(
            "url",
            format!("the URL is longer than {MAX_URL} characters"),
        ));
    }
    if new.events.is_empty() {
        return Err(CoreError::at(
            ErrorCode::InvalidRequest,
            "events",
            "name at least one event type",
        ));
    }
    let mut events: Vec<String> = Vec::new();
    for (i, e) in new.events.iter().enumerate() {
        if !WEBHOOK_EVENTS.contains(&e.as_str()) {
            return Err(CoreError::at(
                ErrorCode::InvalidRequest,
                format!("events[{i}]"),
                format!(
                    "unknown event type '{}'; the types are {}",
                    e.chars().take(60).collect::<String>(),
                    WEBHOOK_EVENTS.join(", ")
                ),
            ));
        }
        if !events.contains(e) {
            events.push(e.clone());
        }
    }
    if let Some(d) = &new.description {
        if d.chars().count() > MAX_DESCRIPTION || d.chars().any(char::is_control) {
            return Err(CoreError::invalid(
                "description",
                format!("a description is at most {MAX_DESCRIPTION} characters, without control characters"),
            ));
        }
    }
    Ok(events)
}

/// A new secret: `whsec_` and 24 random bytes in standard base64.
fn new_webhook_secret() -> (String, Vec<u8>) {
    use rand::RngCore;
    let mut bytes = vec![0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let text = format!(
        "{SECRET_PREFIX}{}",
        base64::engine::general_purpose::STANDARD.encode(&bytes)
    );
    (text, bytes)
}

/// The sealed form of an endpoint's secret, as stored.
pub(crate) fn open_secret(store: &Store, endpoint: &str, sealed: &str) -> StoreResult<String> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(sealed)
        .map_err(super::corrupt("webhook secret"))?;
    let bytes = store
        .inner
        .keys
        .open_staff(endpoint, "webhook_secret", &raw)?;
    Ok(format!(
        "{SECRET_PREFIX}{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

impl Store {
    /// Registers an endpoint (at most `max` of them); returns it and its
    /// secret, which is not shown again.
    pub fn create_webhook(
        &self,
        actor: &kerro_core::Actor,
        now: DateTime<Utc>,
        new: NewWebhook,
        max: usize,
    ) -> StoreResult<(WebhookEndpoint, String)> {
        let events = check_new(&new)?;
        if let Some((purpose, recipient)) = &new.recipient {
            super::disclosures::shared_purpose(&self.schema(), purpose, recipient)?;
        }
        let id = format!("{WEBHOOK_PREFIX}{}", new_ulid());
        let (secret, bytes) = new_webhook_secret();
        let sealed = base64::engine::general_purpose::STANDARD.encode(self.inner.keys.seal_staff(
            &id,
            "webhook_secret",
            &bytes,
        )?);
        let endpoint = WebhookEndpoint {
            id: id.clone(),
            url: new.url,
            events,
            description: new.description.unwrap_or_default(),
            created_by: actor.label(),
            created_at: now,
            disabled_at: None,
            disabled_reason: None,
            recipient: new.recipient.as_ref().map(|(_, r)| r.clone()),
            purpose: new.recipient.as_ref().map(|(p, _)| p.clone()),
        };
        let out = endpoint.clone();
        self.write(actor, now, move |tx| {
            let n: i64 =
                tx.query_row("SELECT COUNT(*) FROM webhook_endpoints", (), |r| r.get(0))?;
            if usize::try_from(n).unwrap_or(usize::MAX) >= max {
                return Err(CoreError::new(
                    ErrorCode::Conflict,
                    format!("at most {max} webhooks may be registered; delete one first"),
                )
                .into());
            }
            tx.execute(
                "INSERT INTO webhook_endpoints (id, url, events, description, secret_sealed, from_seq, created_by, created_at, recipient, purpose)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    endpoint.id,
                    endpoint.url,
                    serde_json::to_string(&endpoint.events).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    endpoint.description,
                    sealed,
                    last_seq(tx)?,
                    endpoint.created_by,
                    ts(&tx.now),
                    endpoint.recipient,
                    endpoint.purpose
                ],
            )?;
            record(
                tx,
                None,
                AuditAction::WebhookCreated {
                    endpoint: &endpoint.id,
                    events: endpoint.events.clone(),
                },
            )?;
            Ok(())
        })?;
        Ok((out, secret))
    }

    /// Every endpoint, oldest first.
    pub fn list_webhooks(&self) -> StoreResult<Vec<WebhookEndpoint>> {
        self.read(|conn| {
            conn.query_map(
                &format!("SELECT {COLUMNS} FROM webhook_endpoints ORDER BY created_at, id"),
                (),
                endpoint_from_row,
            )?
            .collect()
        })
    }

    pub fn webhook(&self, id: &str) -> StoreResult<Option<WebhookEndpoint>> {
        let id = id.to_owned();
        self.read(move |conn| load_endpoint(conn, &id))
    }

    /// Deletes an endpoint and its deliveries: nothing more is sent to it.
    pub fn delete_webhook(
        &self,
        actor: &kerro_core::Actor,
        now: DateTime<Utc>,
        id: &str,
    ) -> StoreResult<()> {
        let id = id.to_owned();
        self.write(actor, now, move |tx| {
            endpoint_or_404(tx, &id)?;
            tx.execute(
                "DELETE FROM webhook_deliveries WHERE endpoint_id = ?1",
                [id.as_str()],
            )?;
            tx.execute("DELETE FROM webhook_endpoints WHERE id = ?1", [id.as_str()])?;
            record(tx, None, AuditAction::WebhookDeleted { endpoint: &id })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, payload: Value) -> OutboxEvent {
        OutboxEvent {
            seq: 7,
            kind: kind.into(),
            subject: Some("sub_01J0000000000000000000000A".into()),
            payload,
            node: "n".into(),
            created_at: "2026-03-01T09:00:00.000000Z".into(),
        }
    }

    /// Outbox kinds map to the documented types; a contact change is
    /// `contact.changed`, a change of rights and internal events are not sent.
    #[test]
    fn outbox_kinds_map_to_webhook_types() {
        for (kind, payload, expected) in [
            (kind::CONSENT_GIVEN, json!({}), Some("consent.given")),
            (
                kind::CONSENT_WITHDRAWN,
                json!({}),
                Some("consent.withdrawn"),
            ),
            (kind::CONSENT_EXPIRED, json!({}), Some("consent.expired")),
            (kind::CONSENT_REFUSED, json!({}), Some("consent.refused")),
            (
                kind::DECLARATION_CHANGED,
                json!({}),
                Some("declaration.changed"),
            ),
            (
                kind::DECLARATION_DELETED,
                json!({}),
                Some("declaration.deleted"),
            ),
            (kind::SUBJECT_CREATED, json!({}), Some("subject.created")),
            (kind::SUBJECT_ERASED, json!({}), Some("subject.erased")),
            (
                kind::SUBJECT_CHANGED,
                json!({"changed": "contact"}),
                Some("contact.changed"),
            ),
            (kind::SUBJECT_CHANGED, json!({"changed": "rights"}), None),
            (kind::UNSUBSCRIBED, json!({}), Some("unsubscribed")),
            (kind::DELIVERY_SENT, json!({}), Some("delivery.sent")),
            (kind::SCHEMA_CHANGED, json!({}), None),
            (kind::OFFER_DELIVERED, json!({}), None),
            (kind::STAFF_ACCESS_REVOKED, json!({}), None),
        ] {
            let e = event(kind, payload);
            assert_eq!(event_type(&e), expected, "{kind}");
            if let Some(t) = expected {
                assert!(WEBHOOK_EVENTS.contains(&t));
                assert_eq!(event_body(&e).unwrap()["type"], t);
            }
        }
    }

    /// A body copies only the listed fields, and only plain values: a field
    /// the list does not name (an address, a value) never reaches a receiver.
    #[test]
    fn bodies_carry_listed_ids_and_keys_only() {
        let e = event(
            kind::UNSUBSCRIBED,
            json!({"purpose": "newsletter", "channel": "email", "at": "2026-03-01T09:00:00Z",
                   "email": "someone@example.fi", "value": "secret answer",
                   "offer": {"nested": "x"}, "attributes": ["a", {"b": 1}]}),
        );
        let body = event_body(&e).unwrap();
        assert_eq!(
            body,
            json!({"type": "unsubscribed", "timestamp": "2026-03-01T09:00:00.000000Z",
                   "data": {"subject": "sub_01J0000000000000000000000A", "purpose": "newsletter",
                            "channel": "email", "at": "2026-03-01T09:00:00Z"}})
        );
        // The subject comes from the event's row, not from a payload field.
        let e = event(kind::SUBJECT_CREATED, json!({"subject": "sub_other"}));
        assert_eq!(
            event_body(&e).unwrap()["data"]["subject"],
            "sub_01J0000000000000000000000A"
        );
    }
}
