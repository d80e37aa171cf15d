//! The webhook delivery queue: fanning new outbox events out to the
//! endpoints that want them, claiming due deliveries, recording each
//! attempt with its retry schedule, disabling an endpoint that failed for
//! the whole schedule, the manual retry and the list a staff member reads;
//! and the outbox cursors of the fan-out and of the event stream. Sending is
//! the binary's (`crates/kerro/src/webhooks`).
//!
//! Fanning out and claiming run in write transactions, so on PostgreSQL they
//! hold the write lock every node takes: each event becomes one delivery per
//! endpoint however many nodes run, and a claimed delivery is leased to one
//! node until its attempt is recorded (or the lease runs out, if that node
//! died). A subject's deliveries to one endpoint go out in outbox order: one
//! is claimed only when no earlier one of the same subject is still pending.

use chrono::{DateTime, Duration, Utc};
use kerro_core::disclosure::DisclosureVia;
use kerro_core::ids::{PurposeKey, RecipientKey, SubjectId};
use kerro_core::{Actor, CoreError};
use serde::Serialize;

use super::audit::{record, AuditAction};
use super::outbox::{last_seq, since};
use super::tx::Tx;
use super::webhooks::{endpoint_or_404, event_body, open_secret, DELIVERY_PREFIX};
use super::{new_ulid, parse_ts, ts, Store};
use crate::error::StoreResult;
use crate::model::SchemaSnapshot;
use crate::sql::{params, Conn, OptionalExtension, Row};

/// The cursor the fan-out keeps.
const FANOUT: &str = "webhooks";
/// Events read per fan-out transaction.
const FANOUT_BATCH: i64 = 500;

/// When a failed delivery is tried again: after the first failure wait
/// `delays[0]`, after the second `delays[1]`, ...; after the last one it has failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule {
    pub delays: Vec<Duration>,
}

impl Default for RetrySchedule {
    /// 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h and 8 h: eleven
    /// attempts over about 24 hours.
    fn default() -> Self {
        let s = Duration::seconds;
        RetrySchedule {
            delays: vec![
                s(5),
                s(30),
                s(120),
                s(600),
                s(1800),
                s(3600),
                s(7200),
                s(14_400),
                s(28_800),
                s(28_800),
            ],
        }
    }
}

/// One delivery as `GET /v1/webhooks/{id}/deliveries` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookDelivery {
    /// `msg_...`: the `webhook-id` header of every attempt.
    pub id: String,
    pub event_type: String,
    /// The outbox event's number.
    pub seq: i64,
    /// `pending`, `succeeded` or `failed` (retries used up).
    pub state: String,
    pub attempts: i64,
    /// When it is tried next (pending only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The receiver's last HTTP status, if it answered.
    pub last_status: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn delivery_from_row(r: &Row) -> StoreResult<WebhookDelivery> {
    let state: String = r.get(3)?;
    let next: String = r.get(5)?;
    Ok(WebhookDelivery {
        id: r.get(0)?,
        event_type: r.get(1)?,
        seq: r.get(2)?,
        next_attempt_at: (state == "pending").then(|| parse_ts(&next)).transpose()?,
        state,
        attempts: r.get(4)?,
        last_status: r.get(6)?,
        last_error: r.get(7)?,
        created_at: parse_ts(&r.get::<_, String>(8)?)?,
        updated_at: parse_ts(&r.get::<_, String>(9)?)?,
    })
}

/// A delivery claimed for sending.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub id: String,
    pub endpoint: String,
    pub url: String,
    /// `whsec_...`
    pub secret: String,
    /// The body, exactly as signed and sent.
    pub body: String,
    pub attempts: i64,
}

/// How one attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The receiver answered 2xx.
    Delivered { status: u16 },
    /// Another status, or no answer (`status` None) for `error`'s reason.
    Failed { status: Option<u16>, error: String },
}

/// An endpoint that has just been disabled (its staff are to be told).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disabled {
    pub endpoint: String,
    pub url: String,
    pub reason: String,
}

fn cursor(conn: &Conn, name: &str) -> StoreResult<i64> {
    Ok(conn
        .query_row(
            "SELECT seq FROM stream_cursors WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0))
}

fn set_cursor(tx: &Tx, name: &str, seq: i64) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO stream_cursors (name, seq) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET seq = excluded.seq WHERE stream_cursors.seq < excluded.seq",
        params![name, seq],
    )?;
    Ok(())
}

/// An endpoint as the fan-out reads it.
struct Endpoint {
    id: String,
    wanted: Vec<String>,
    from_seq: i64,
    /// The purpose and recipient it belongs to (P21).
    shared: Option<(PurposeKey, RecipientKey)>,
}

/// Turns the events after the fan-out's cursor into deliveries; returns how
/// many, and whether a whole batch was read (so more may follow).
fn fan_out_in(tx: &Tx, snapshot: &SchemaSnapshot) -> StoreResult<(usize, bool)> {
    let after = cursor(tx, FANOUT)?;
    let events = since(tx, after, FANOUT_BATCH)?;
    let Some(newest) = events.last().map(|e| e.seq) else {
        return Ok((0, false));
    };
    let endpoints: Vec<Endpoint> = tx
        .rows(
            "SELECT id, events, from_seq, purpose, recipient FROM webhook_endpoints WHERE disabled_at IS NULL",
            (),
        )?
        .iter()
        .map(|r| {
            let events: String = r.get(1)?;
            let shared = match (r.get::<_, Option<String>>(3)?, r.get::<_, Option<String>>(4)?) {
                (Some(p), Some(rk)) => Some((
                    PurposeKey::parse("purpose", &p).map_err(super::corrupt("webhook purpose"))?,
                    RecipientKey::parse("recipient", &rk)
                        .map_err(super::corrupt("webhook recipient"))?,
                )),
                _ => None,
            };
            Ok(Endpoint {
                id: r.get(0)?,
                wanted: serde_json::from_str(&events).map_err(super::corrupt("webhook events"))?,
                from_seq: r.get(2)?,
                shared,
            })
        })
        .collect::<StoreResult<_>>()?;
    let now = ts(&tx.now);
    let mut queued = 0;
    for e in &events {
        let Some(body) = event_body(e) else { continue };
        let kind = body["type"].as_str().unwrap_or_default().to_owned();
        if kind == "subject.erased" {
            // What was still to be sent about an erased subject is dropped.
            if let Some(s) = &e.subject {
                tx.execute(
                    "DELETE FROM webhook_deliveries WHERE subject_id = ?1 AND state = 'pending'",
                    [s.as_str()],
                )?;
            }
        }
        for endpoint in &endpoints {
            if e.seq <= endpoint.from_seq || !endpoint.wanted.contains(&kind) {
                continue;
            }
            // P21: a recipient's endpoint gets a subject's event only with that
            // subject's consent to the recipient, and the disclosure is logged.
            let disclosed = match (&endpoint.shared, &e.subject) {
                (Some((purpose, recipient)), Some(s)) => {
                    let subject = SubjectId::parse(s).map_err(super::corrupt("outbox subject"))?;
                    let allowed = snapshot
                        .schema
                        .purposes
                        .get(purpose)
                        .map(|spec| {
                            super::disclosures::may_disclose_to(
                                tx, spec, purpose, recipient, &subject,
                            )
                        })
                        .transpose()?
                        .unwrap_or(false);
                    if !allowed {
                        continue;
                    }
                    Some((purpose, recipient, subject))
                }
                _ => None,
            };
            let inserted = tx.execute(
                "INSERT INTO webhook_deliveries (id, endpoint_id, seq, event_type, subject_id, payload, state, attempts, next_attempt_at, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', 0, ?7, ?7, ?7)
                 ON CONFLICT (endpoint_id, seq) DO NOTHING",
                params![
                    format!("{DELIVERY_PREFIX}{}", new_ulid()),
                    endpoint.id,
                    e.seq,
                    kind,
                    e.subject,
                    body.to_string(),
                    now
                ],
            )?;
            if let (Some((purpose, recipient, subject)), 1) = (disclosed, inserted) {
                let fields: Vec<&str> = body["data"]
                    .as_object()
                    .map(|d| d.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                super::disclosures::log(
                    tx,
                    std::slice::from_ref(&subject),
                    recipient,
                    purpose,
                    &fields,
                    DisclosureVia::Webhook,
                )?;
            }
            queued += 1;
        }
    }
    set_cursor(tx, FANOUT, newest)?;
    Ok((queued, events.len() as i64 == FANOUT_BATCH))
}

const DELIVERY_COLUMNS: &str = "id, event_type, seq, state, attempts, next_attempt_at, last_status, last_error, created_at, updated_at";

impl Store {
    /// Fans the outbox events not yet fanned out to the endpoints that want
    /// them (in a write transaction, so once across nodes); returns the new
    /// deliveries. Looks first, so an idle poll writes nothing.
    pub fn webhook_fan_out(&self, now: DateTime<Utc>) -> StoreResult<usize> {
        let behind = self.read(|conn| Ok(last_seq(conn)? > cursor(conn, FANOUT)?))?;
        if !behind {
            return Ok(0);
        }
        let mut total = 0;
        loop {
            let snapshot = self.schema();
            let (queued, more) = self.write(&Actor::System("webhooks".into()), now, move |tx| {
                fan_out_in(tx, &snapshot)
            })?;
            total += queued;
            if !more {
                return Ok(total);
            }
        }
    }

    /// Claims up to `limit` deliveries due at `now` for `lease` (a subject's
    /// only after its earlier ones to the same endpoint are done).
    pub fn claim_webhook_deliveries(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> StoreResult<Vec<DueDelivery>> {
        // Looks first, so an idle poll takes no write lock.
        let at = ts(&now);
        let any = self.read(move |conn| {
            Ok(!conn
                .rows(
                    "SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
                     WHERE d.state = 'pending' AND d.next_attempt_at <= ?1 AND e.disabled_at IS NULL LIMIT 1",
                    [at],
                )?
                .is_empty())
        })?;
        if !any {
            return Ok(Vec::new());
        }
        let claimed = self.write(&Actor::System("webhooks".into()), now, move |tx| {
            let rows = tx.rows(
                "SELECT d.id, d.endpoint_id, e.url, e.secret_sealed, d.payload, d.attempts
                 FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
                 WHERE d.state = 'pending' AND d.next_attempt_at <= ?1 AND e.disabled_at IS NULL
                   AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
                       WHERE p.endpoint_id = d.endpoint_id AND p.subject_id = d.subject_id
                         AND p.state = 'pending' AND p.seq < d.seq)
                 ORDER BY d.seq LIMIT ?2",
                params![ts(&tx.now), limit],
            )?;
            let until = ts(&kerro_core::time::after(tx.now, lease));
            let mut out = Vec::new();
            for r in &rows {
                let id: String = r.get(0)?;
                tx.execute(
                    "UPDATE webhook_deliveries SET next_attempt_at = ?1 WHERE id = ?2",
                    params![until, id],
                )?;
                out.push((
                    id,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, i64>(5)?,
                ));
            }
            Ok(out)
        })?;
        claimed
            .into_iter()
            .map(|(id, endpoint, url, sealed, body, attempts)| {
                Ok(DueDelivery {
                    secret: open_secret(self, &endpoint, &sealed)?,
                    id,
                    endpoint,
                    url,
                    body,
                    attempts,
                })
            })
            .collect()
    }

    /// Records one attempt: delivered, retried on `schedule`, or failed for
    /// good. An endpoint with no success since the failed delivery was queued
    /// (so failing for the whole schedule) is disabled and returned.
    pub fn record_webhook_attempt(
        &self,
        now: DateTime<Utc>,
        delivery: &str,
        attempt: Attempt,
        schedule: &RetrySchedule,
    ) -> StoreResult<Option<Disabled>> {
        let (delivery, delays) = (delivery.to_owned(), schedule.delays.clone());
        self.write(&Actor::System("webhooks".into()), now, move |tx| {
            let found = tx
                .query_row(
                    "SELECT d.endpoint_id, d.attempts, d.created_at, e.last_success_at, e.url
                     FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
                     WHERE d.id = ?1 AND d.state = 'pending'",
                    [delivery.as_str()],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, i64>(1)? + 1,
                            r.get::<_, String>(2)?,
                            r.get::<_, Option<String>>(3)?,
                            r.get::<_, String>(4)?,
                        ))
                    },
                )
                .optional()?;
            // Deleted (or erased) meanwhile: nothing to record.
            let Some((endpoint, attempts, queued_at, last_success, url)) = found else {
                return Ok(None);
            };
            let now = ts(&tx.now);
            let (status, error) = match attempt {
                Attempt::Delivered { status } => {
                    tx.execute(
                        "UPDATE webhook_deliveries SET state = 'succeeded', attempts = ?1, last_status = ?2,
                         last_error = NULL, updated_at = ?3 WHERE id = ?4",
                        params![attempts, i64::from(status), now, delivery],
                    )?;
                    tx.execute(
                        "UPDATE webhook_endpoints SET last_success_at = ?1 WHERE id = ?2",
                        params![now, endpoint],
                    )?;
                    return Ok(None);
                }
                Attempt::Failed { status, error } => (status.map(i64::from), error),
            };
            let error: String = error.chars().take(300).collect();
            let wait = usize::try_from(attempts - 1)
                .ok()
                .and_then(|i| delays.get(i));
            if let Some(wait) = wait {
                tx.execute(
                    "UPDATE webhook_deliveries SET attempts = ?1, last_status = ?2, last_error = ?3,
                     next_attempt_at = ?4, updated_at = ?5 WHERE id = ?6",
                    params![
                        attempts,
                        status,
                        error,
                        ts(&kerro_core::time::after(tx.now, *wait)),
                        now,
                        delivery
                    ],
                )?;
                return Ok(None);
            }
            tx.execute(
                "UPDATE webhook_deliveries SET state = 'failed', attempts = ?1, last_status = ?2,
                 last_error = ?3, updated_at = ?4 WHERE id = ?5",
                params![attempts, status, error, now, delivery],
            )?;
            if last_success.is_some_and(|s| s >= queued_at) {
                return Ok(None);
            }
            let reason = format!(
                "every attempt failed since {queued_at} ({attempts} attempts of {delivery}; the last: {error})"
            );
            tx.execute(
                "UPDATE webhook_endpoints SET disabled_at = ?1, disabled_reason = ?2 WHERE id = ?3",
                params![now, reason, endpoint],
            )?;
            record(
                tx,
                None,
                AuditAction::WebhookDisabled {
                    endpoint: &endpoint,
                },
            )?;
            Ok(Some(Disabled {
                endpoint,
                url,
                reason,
            }))
        })
    }

    /// Queues a delivery again at once with a fresh retry schedule (the same
    /// `webhook-id`); a disabled endpoint is enabled again.
    pub fn retry_webhook_delivery(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        endpoint: &str,
        delivery: &str,
    ) -> StoreResult<WebhookDelivery> {
        let (endpoint, delivery) = (endpoint.to_owned(), delivery.to_owned());
        self.write(actor, now, move |tx| {
            let ep = endpoint_or_404(tx, &endpoint)?;
            let now = ts(&tx.now);
            let n = tx.execute(
                "UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = ?1, updated_at = ?1
                 WHERE id = ?2 AND endpoint_id = ?3",
                params![now, delivery, endpoint],
            )?;
            if n == 0 {
                return Err(CoreError::not_found(
                    "delivery",
                    format!("no delivery '{delivery}' of webhook '{endpoint}'"),
                )
                .into());
            }
            let enabled = ep.disabled_at.is_some();
            if enabled {
                tx.execute(
                    "UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL WHERE id = ?1",
                    [endpoint.as_str()],
                )?;
            }
            record(
                tx,
                None,
                AuditAction::WebhookDeliveryRetried {
                    endpoint: &endpoint,
                    delivery: &delivery,
                    enabled,
                },
            )?;
            tx.query_row(
                &format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = ?1"),
                [delivery.as_str()],
                delivery_from_row,
            )
        })
    }

    /// An endpoint's newest deliveries, newest first, at most `limit`.
    pub fn webhook_deliveries(
        &self,
        endpoint: &str,
        limit: usize,
    ) -> StoreResult<Vec<WebhookDelivery>> {
        let endpoint = endpoint.to_owned();
        self.read(move |conn| {
            endpoint_or_404(conn, &endpoint)?;
            conn.query_map(
                &format!(
                    "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE endpoint_id = ?1
                     ORDER BY seq DESC LIMIT ?2"
                ),
                params![endpoint, limit],
                delivery_from_row,
            )?
            .collect()
        })
    }

    /// Deletes deliveries that are done (succeeded or failed) and were last
    /// touched before `before`; returns how many.
    pub fn prune_webhook_deliveries(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let cutoff = ts(&before);
        self.write(&Actor::System("webhooks".into()), before, move |tx| {
            Ok(tx.execute(
                "DELETE FROM webhook_deliveries WHERE state <> 'pending' AND updated_at < ?1",
                [cutoff],
            )? as u64)
        })
    }

    /// Pending deliveries of enabled endpoints (the queue depth).
    pub fn webhook_queue_depth(&self) -> StoreResult<i64> {
        self.read(|conn| {
            conn.query_row(
                "SELECT COUNT(*) FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
                 WHERE d.state = 'pending' AND e.disabled_at IS NULL",
                (),
                |r| r.get(0),
            )
        })
    }

    /// How far the outbox reader `name` got (0 before its first event).
    pub fn stream_cursor(&self, name: &str) -> StoreResult<i64> {
        let name = name.to_owned();
        self.read(move |conn| cursor(conn, &name))
    }

    /// Moves the outbox reader `name` to `seq` (never back).
    pub fn advance_stream_cursor(
        &self,
        now: DateTime<Utc>,
        name: &str,
        seq: i64,
    ) -> StoreResult<()> {
        let name = name.to_owned();
        self.write(&Actor::System("events".into()), now, move |tx| {
            set_cursor(tx, &name, seq)
        })
    }
}
