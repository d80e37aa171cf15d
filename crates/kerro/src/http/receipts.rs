//! `GET /v1/receipts/{record_id}`: the consent record in the ISO/IEC TS 27560
//! shape (default) or the Kantara Consent Receipt v1.1 shape (`?format=kantara`).

use axum::extract::{Path, Query, State};
use axum::Json;
use kerro_core::consent::ConsentState;
use kerro_core::{CoreError, ErrorCode};
use kerro_store::ReceiptData;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::{Caller, ReceiptRead, Staff};
use super::views::notice_url;
use super::{blocking, ApiError, AppState};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptQuery {
    pub format: Option<String>,
}

#[utoipa::path(get, path = "/v1/receipts/{record_id}", tag = "consent",
    params(("record_id" = String, Path), ("format" = Option<String>, Query, description = "iso27560 (default) or kantara")),
    responses((status = 200, description = "the consent record"), (status = 404, description = "unknown, or not this subject's")),
    security(("staff" = []), ("subject" = [])))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(record_id): Path<String>,
    query: Result<Query<ReceiptQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let format = match query {
        Ok(Query(q)) => q.format.unwrap_or_else(|| "iso27560".into()),
        Err(_) => {
            return Err(ApiError(CoreError::at(
                ErrorCode::InvalidRequest,
                "format",
                "the only query parameter is format",
            )))
        }
    };
    if format != "iso27560" && format != "kantara" {
        return Err(ApiError(CoreError::invalid(
            "format",
            "format is iso27560 or kantara",
        )));
    }
    let actor = match &caller {
        Caller::Subject(_) => caller.actor(),
        Caller::Staff { .. } => Staff::<ReceiptRead>::check(caller.clone())?.actor,
    };
    let (store, now) = (state.store.clone(), state.now());
    let data = blocking(move || store.receipt(&actor, now, &record_id)).await?;
    if let Caller::Subject(own) = &caller {
        // P16: a subject reaches only its own records; others look the same as unknown ones.
        if own != &data.event.event.subject {
            return Err(ApiError(CoreError::not_found(
                "record_id",
                "no such consent record",
            )));
        }
    }
    Ok(Json(if format == "kantara" {
        kantara(&state, &data)
    } else {
        iso27560(&state, &data)
    }))
}

/// The record in the ISO/IEC TS 27560 field set listed in PRIVACY-REQUIREMENTS.md.
pub fn iso27560(state: &AppState, data: &ReceiptData) -> Value {
    let ev = &data.event.event;
    let snap = state.store.schema();
    let default = state.config.default_language;
    let purpose = snap.schema.purposes.get(&ev.purpose);
    let data_categories: Vec<&str> = snap
        .schema
        .attributes
        .iter()
        .filter(|(_, a)| a.purposes.contains(&ev.purpose))
        .map(|(k, _)| k.as_str())
        .collect();
    let sensitive = snap
        .schema
        .attributes
        .values()
        .any(|a| a.special_category && a.purposes.contains(&ev.purpose));
    let c = &state.config.controller;
    json!({
        "schema_version": "ISO/IEC TS 27560:2023; kerro 1",
        "record_id": ev.record_id,
        "subject_id": ev.subject,
        "subject_erased": data.subject_erased,
        "jurisdiction": state.config.jurisdiction,
        "language": ev.language,
        "notice": ev.notice.as_ref().map(|n| json!({
            "url": notice_url(state, n.form.as_str(), n.version),
            "version": n.version,
            "sha256": n.sha256,
        })),
        "controller": {"name": c.name, "contact": c.dpo, "address": c.address, "email": c.email},
        "purposes": [{
            "purpose_id": ev.purpose,
            "description": purpose.map(|p| p.description.get(ev.language, default)),
            "category": purpose.and_then(|p| p.dpv_category.clone()),
            "lawful_basis": purpose.map(|p| p.legal_basis.dpv()),
            "consent_type": "explicit",
            "data_categories": data_categories,
            "retention": purpose.map(|p| format!("P{}D", p.retention_days)),
            "third_party_disclosure": purpose.is_some_and(|p| !p.recipients.is_empty()),
            "third_parties": purpose.map(|p| p.recipients.clone()).unwrap_or_default(),
            "withdrawal_method": format!("PUT {}/v1/me/consents/{} {{\"given\": false}}, or the preference centre", state.config.public_url(), ev.purpose),
            "channels": [],
        }],
        "sensitive": sensitive,
        "events": data.history.iter().map(|e| json!({
            "record_id": e.event.record_id,
            "event_time": e.event.event_time,
            "state": e.event.state.dpv(),
            "validity": if e.event.state.is_active() { "valid until withdrawn" } else { "not valid" },
            "actor": e.event.actor,
            "expression_method": e.event.method,
            "hash": e.hash,
        })).collect::<Vec<_>>(),
    })
}

/// The same record in the Kantara Consent Receipt v1.1 shape.
pub fn kantara(state: &AppState, data: &ReceiptData) -> Value {
    let ev = &data.event.event;
    let snap = state.store.schema();
    let default = state.config.default_language;
    let purpose = snap.schema.purposes.get(&ev.purpose);
    let c = &state.config.controller;
    let pii_categories: Vec<&str> = snap
        .schema
        .attributes
        .iter()
        .filter(|(_, a)| a.purposes.contains(&ev.purpose))
        .map(|(k, _)| k.as_str())
        .collect();
    let policy_url = c
        .privacy_policy_url
        .clone()
        .unwrap_or_else(|| format!("{}/privacy", state.config.public_url()));
    json!({
        "version": "KI-CR-v1.1.0",
        "jurisdiction": state.config.jurisdiction,
        "consentTimestamp": ev.event_time.timestamp(),
        "collectionMethod": ev.method,
        "consentReceiptID": ev.record_id,
        "language": ev.language,
        "piiPrincipalId": ev.subject,
        "piiControllers": [{"piiController": c.name, "contact": c.dpo, "address": {"streetAddress": c.address}, "email": c.email}],
        "policyUrl": policy_url,
        "services": [{
            "service": purpose.map(|p| p.title.get(ev.language, default)),
            "purposes": [{
                "purpose": purpose.map(|p| p.description.get(ev.language, default)),
                "purposeCategory": purpose.and_then(|p| p.dpv_category.clone()).into_iter().collect::<Vec<_>>(),
                "consentType": "EXPLICIT",
                "piiCategory": pii_categories,
                "primaryPurpose": true,
                "termination": purpose.map(|p| format!("{} days after collection, or on withdrawal", p.retention_days)),
                "thirdPartyDisclosure": purpose.is_some_and(|p| !p.recipients.is_empty()),
                "thirdPartyName": purpose.map(|p| p.recipients.join(", ")),
                "consentState": ev.state,
                "consentGiven": ev.state == ConsentState::Given || ev.state == ConsentState::Renewed,
            }],
        }],
        "sensitive": snap.schema.attributes.values().any(|a| a.special_category && a.purposes.contains(&ev.purpose)),
        "spiCat": [],
    })
}
