//! Wire views of stored data: what `/v1/me`, `/v1/me/export` and staff reads return.
//! The export's fields are documented in docs/export.md; change both together.

use chrono::{DateTime, Utc};
use kerro_core::consent::basis_active;
use kerro_core::Lang;
use kerro_store::{Declaration, StoredEvent, SubjectData};
use serde_json::{json, Value};
use std::collections::BTreeMap;

use super::AppState;

/// The export's schema identifier; bump it on any incompatible change.
pub const EXPORT_SCHEMA: &str = "kerro.export.v1";

pub fn receipt_url(state: &AppState, e: &StoredEvent) -> String {
    format!(
        "{}/v1/receipts/{}",
        state.config.public_url(),
        e.event.record_id
    )
}

pub fn notice_url(state: &AppState, form: &str, version: u32) -> String {
    format!(
        "{}/v1/forms/{form}/notices/{version}",
        state.config.public_url()
    )
}

pub fn event_view(state: &AppState, e: &StoredEvent) -> Value {
    let ev = &e.event;
    json!({
        "record_id": ev.record_id,
        "purpose": ev.purpose,
        "state": ev.state,
        "event_time": ev.event_time,
        "method": ev.method,
        "actor": ev.actor,
        "language": ev.language,
        "notice": ev.notice.as_ref().map(|n| json!({
            "form": n.form, "version": n.version, "sha256": n.sha256,
            "url": notice_url(state, n.form.as_str(), n.version),
        })),
        "receipt_url": receipt_url(state, e),
        "seq": e.seq,
        "hash": e.hash,
    })
}

/// What a submission or consent change returns for each event.
pub fn receipt_summary(state: &AppState, e: &StoredEvent) -> Value {
    json!({
        "record_id": e.event.record_id,
        "purpose": e.event.purpose,
        "state": e.event.state,
        "event_time": e.event.event_time,
        "receipt_url": receipt_url(state, e),
    })
}

fn declaration_view(state: &AppState, d: &Declaration) -> Value {
    let snap = state.store.schema();
    let purposes = snap
        .schema
        .attributes
        .get(&d.attribute)
        .map(|a| a.purposes.clone())
        .unwrap_or_default();
    let mut v = json!({
        "attribute": d.attribute,
        "value": d.value,
        "purposes": purposes,
        "provenance": d.provenance,
    });
    if let (Value::Object(m), Some(t)) = (&mut v, d.superseded_at) {
        m.insert("superseded_at".into(), json!(t));
    }
    v
}

fn consents_view(state: &AppState, data: &SubjectData) -> Vec<Value> {
    let mut by_purpose: BTreeMap<&str, Vec<&StoredEvent>> = BTreeMap::new();
    for e in &data.consents {
        by_purpose
            .entry(e.event.purpose.as_str())
            .or_default()
            .push(e);
    }
    by_purpose
        .into_iter()
        .filter_map(|(purpose, events)| {
            let last = events.last()?;
            Some(json!({
                "purpose": purpose,
                "state": last.event.state,
                "active": last.event.state.is_active(),
                "since": last.event.event_time,
                "history": events.iter().map(|e| event_view(state, e)).collect::<Vec<_>>(),
            }))
        })
        .collect()
}

fn contact_view(data: &SubjectData) -> Value {
    json!({
        "channels": data.contact.all_channels(),
        "max_per_week": data.contact.max_per_week,
        "language": data.contact.language,
    })
}

/// `GET /v1/me` and the staff read of a subject.
pub fn subject_view(state: &AppState, data: &SubjectData) -> Value {
    json!({
        "subject": data.subject,
        "declarations": data.declarations.iter().map(|d| declaration_view(state, d)).collect::<Vec<_>>(),
        "history": data.history.iter().map(|d| declaration_view(state, d)).collect::<Vec<_>>(),
        "consents": consents_view(state, data),
        "contact": contact_view(data),
    })
}

/// `GET /v1/me/export`: everything held (P12), in the documented `kerro.export.v1` shape.
pub fn export_view(state: &AppState, data: &SubjectData, now: DateTime<Utc>) -> Value {
    let snap = state.store.schema();
    let lang = data.subject.locale.unwrap_or(state.config.default_language);
    let default = state.config.default_language;
    let states = data.consent_states();
    let held: Vec<_> = data
        .declarations
        .iter()
        .chain(&data.history)
        .map(|d| &d.attribute)
        .collect();
    let purposes: Vec<Value> = snap
        .schema
        .purposes
        .iter()
        .filter(|(k, _)| {
            states.contains_key(*k)
                || held.iter().any(|a| {
                    snap.schema
                        .attributes
                        .get(*a)
                        .is_some_and(|s| s.purposes.contains(k))
                })
        })
        .map(|(k, p)| {
            json!({
                "key": k,
                "title": p.title.get(lang, default),
                "description": p.description.get(lang, default),
                "legal_basis": p.legal_basis,
                "uses": p.uses,
                "retention_days": p.retention_days,
                "recipients": p.recipients,
                "consent_state": states.get(k),
                "basis_active": basis_active(p, states.get(k).copied()),
            })
        })
        .collect();
    json!({
        "schema_version": EXPORT_SCHEMA,
        "generated_at": now,
        "language": lang_str(lang),
        "controller": state.config.controller,
        "jurisdiction": state.config.jurisdiction,
        "subject": data.subject,
        "declarations": data.declarations.iter().map(|d| declaration_view(state, d)).collect::<Vec<_>>(),
        "declaration_history": data.history.iter().map(|d| declaration_view(state, d)).collect::<Vec<_>>(),
        "purposes": purposes,
        "consent_events": data.consents.iter().map(|e| event_view(state, e)).collect::<Vec<_>>(),
        "contact": contact_view(data),
        "decisions": data.decisions,
        "access_log": data.access_log,
    })
}

fn lang_str(l: Lang) -> &'static str {
    l.as_str()
}
