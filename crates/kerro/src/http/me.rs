//! `/v1/me...`: the subject's own rights, with the subject's own token only
//! (P16: a token reaches only its own subject, as the id comes from the token).

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use kerro_core::contact::{Channel, ContactPrefs};
use kerro_core::{Actor, CoreError, Lang};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

use super::auth::SubjectSession;
use super::views::{export_view, receipt_summary, subject_view};
use super::{blocking, ApiError, AppState, Body};

#[utoipa::path(get, path = "/v1/me", tag = "self-service",
    responses((status = 200, description = "subject, declarations with provenance, consents with history, contact preferences")),
    security(("subject" = [])))]
pub async fn get(
    State(state): State<AppState>,
    SubjectSession(id): SubjectSession,
) -> Result<Json<Value>, ApiError> {
    let (store, now, actor) = (state.store.clone(), state.now(), Actor::Subject(id.clone()));
    let data = blocking(move || store.subject_data(&actor, now, &id)).await?;
    Ok(Json(subject_view(&state, &data)))
}

#[utoipa::path(get, path = "/v1/me/export", tag = "self-service",
    responses((status = 200, description = "everything held, schema kerro.export.v1 (docs/export.md)")),
    security(("subject" = [])))]
pub async fn export(
    State(state): State<AppState>,
    SubjectSession(id): SubjectSession,
) -> Result<impl IntoResponse, ApiError> {
    let (store, now, actor) = (state.store.clone(), state.now(), Actor::Subject(id.clone()));
    let data = blocking(move || store.subject_data(&actor, now, &id)).await?;
    let body = export_view(&state, &data, now);
    let disposition = format!(
        "attachment; filename=\"kerro-export-{}.json\"",
        data.subject.id
    );
    Ok(([(header::CONTENT_DISPOSITION, disposition)], Json(body)))
}

#[utoipa::path(patch, path = "/v1/me/declarations", tag = "self-service",
    request_body(content = Object, description = "attribute key to a new value, or null to delete that answer"),
    responses((status = 200, description = "the updated view"), (status = 422, description = "invalid value or no legal basis")),
    security(("subject" = [])))]
pub async fn rectify(
    State(state): State<AppState>,
    SubjectSession(id): SubjectSession,
    Body(patches): Body<Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    let (store, now, actor) = (state.store.clone(), state.now(), Actor::Subject(id.clone()));
    let data = blocking(move || store.rectify(&actor, now, &id, patches)).await?;
    Ok(Json(subject_view(&state, &data)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentBody {
    /// true grants, false withdraws: the same request both ways.
    pub given: bool,
    pub language: Option<String>,
}

#[utoipa::path(put, path = "/v1/me/consents/{purpose}", tag = "self-service", params(("purpose" = String, Path)), request_body = ConsentBody,
    responses((status = 200, description = "the new consent event, with its receipt"), (status = 404, description = "unknown purpose"), (status = 422, description = "the purpose does not rest on consent")),
    security(("subject" = [])))]
pub async fn set_consent(
    State(state): State<AppState>,
    SubjectSession(id): SubjectSession,
    Path(purpose): Path<String>,
    Body(body): Body<ConsentBody>,
) -> Result<Json<Value>, ApiError> {
    let language = body
        .language
        .as_deref()
        .map(|l| Lang::parse_field("language", l))
        .transpose()?;
    let (store, now, actor) = (state.store.clone(), state.now(), Actor::Subject(id.clone()));
    let event =
        blocking(move || store.set_consent(&actor, now, &id, &purpose, body.given, language))
            .await?;
    Ok(Json(receipt_summary(&state, &event)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    /// email, sms, phone, post, web to true or false; a channel never set is not opted in.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub channels: BTreeMap<String, bool>,
    /// The subject's own cap: at most this many messages per 7 days (0-100).
    pub max_per_week: Option<u32>,
    pub language: Option<String>,
}

#[utoipa::path(put, path = "/v1/me/contact", tag = "self-service", request_body = ContactBody,
    responses((status = 200, description = "the stored preferences"), (status = 422, description = "unknown channel or cap out of range")),
    security(("subject" = [])))]
pub async fn set_contact(
    State(state): State<AppState>,
    SubjectSession(id): SubjectSession,
    Body(body): Body<ContactBody>,
) -> Result<Json<Value>, ApiError> {
    let mut channels = BTreeMap::new();
    for (raw, on) in body.channels {
        let c = Channel::parse(&raw).ok_or_else(|| {
            CoreError::invalid(
                format!("channels.{raw}"),
                "channels are email, sms, phone, post and web",
            )
        })?;
        channels.insert(c, on);
    }
    let language = body
        .language
        .as_deref()
        .map(|l| Lang::parse_field("language", l))
        .transpose()?;
    let prefs = ContactPrefs {
        channels,
        max_per_week: body.max_per_week,
        language,
    };
    let (store, now, actor) = (state.store.clone(), state.now(), Actor::Subject(id.clone()));
    let saved = blocking(move || store.set_contact(&actor, now, &id, prefs)).await?;
    Ok(Json(json!({
        "channels": saved.all_channels(),
        "max_per_week": saved.max_per_week,
        "language": saved.language,
    })))
}

#[utoipa::path(delete, path = "/v1/me", tag = "self-service",
    responses((status = 200, description = "erased: what was deleted and what pseudonymous proof remains")),
    security(("subject" = [])))]
pub async fn erase(
    State(state): State<AppState>,
    SubjectSession(id): SubjectSession,
) -> Result<Json<Value>, ApiError> {
    let (store, now, actor) = (state.store.clone(), state.now(), Actor::Subject(id.clone()));
    let summary = blocking(move || store.erase(&actor, now, &id)).await?;
    Ok(Json(json!({
        "erased": summary,
        "remains": "the consent ledger's events under the pseudonymous subject id, and a keyed hash of the e-mail address on the suppression list; the data key was destroyed",
    })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RightsBody {
    /// Restriction of processing (art. 18): kept, but used in no decision or audience.
    pub restricted: Option<bool>,
    /// Objection to direct marketing (art. 21(2)): stops every marketing purpose on every channel.
    pub objected_marketing: Option<bool>,
    /// Objection to sharing or sale (also recorded from `Sec-GPC: 1`).
    pub objected_sharing: Option<bool>,
}

#[utoipa::path(put, path = "/v1/me/rights", tag = "self-service", request_body = RightsBody,
    responses((status = 200, description = "the flags now in force")),
    security(("subject" = [])))]
pub async fn set_rights(
    State(state): State<AppState>,
    SubjectSession(id): SubjectSession,
    Body(body): Body<RightsBody>,
) -> Result<Json<Value>, ApiError> {
    if body.restricted.is_none()
        && body.objected_marketing.is_none()
        && body.objected_sharing.is_none()
    {
        return Err(ApiError(CoreError::invalid(
            "restricted",
            "send at least one of restricted, objected_marketing, objected_sharing",
        )));
    }
    let (store, now, actor) = (state.store.clone(), state.now(), Actor::Subject(id.clone()));
    let (r, m, s) = blocking(move || {
        store.set_rights(
            &actor,
            now,
            &id,
            body.restricted,
            body.objected_marketing,
            body.objected_sharing,
        )
    })
    .await?;
    Ok(Json(
        json!({"restricted": r, "objected_marketing": m, "objected_sharing": s}),
    ))
}
