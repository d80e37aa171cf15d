//! `/v1/audiences`: who a campaign may reach (`count`, `export`), and saved
//! audiences that campaigns and the console reuse.

use axum::body::Body as HttpBody;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kerro_core::contact::Channel;
use kerro_core::ids::SubjectId;
use kerro_core::saved_audience::AudienceSpec;
use kerro_core::{AudienceKey, CoreError, PurposeKey};
use kerro_store::{AudienceSize, SavedAudience};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::auth::{AudienceExport, Reports, SchemaWrite, Staff};
use super::{blocking, path_key, AppError, AppState, Body};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AudienceBody {
    /// The purpose the campaign serves; its basis and bound attributes apply.
    pub purpose: String,
    /// email, sms, phone, post or web: only subjects who opted in.
    pub channel: String,
    /// A GrowthBook condition over attributes bound to the purpose; `{}` for everyone reachable.
    #[serde(default = "empty")]
    #[schema(value_type = Object)]
    pub condition: Value,
    /// Export only, channel `email` only: add each subject's e-mail address.
    #[serde(default)]
    pub include_email: bool,
    /// A recipient of the purpose (P21): only subjects who consented to that
    /// recipient and did not object to sharing count; an export is then made
    /// for the recipient, and each member's disclosure is logged.
    #[serde(default)]
    pub recipient: Option<String>,
}

fn empty() -> Value {
    json!({})
}

fn parse(body: &AudienceBody) -> Result<(PurposeKey, Channel), AppError> {
    let purpose = PurposeKey::parse("purpose", &body.purpose).map_err(|_| {
        AppError(CoreError::not_found(
            "purpose",
            format!("unknown purpose '{}'", body.purpose),
        ))
    })?;
    let channel = Channel::parse(&body.channel).ok_or_else(|| {
        AppError(CoreError::invalid(
            "channel",
            "channels are email, sms, phone, post and web",
        ))
    })?;
    Ok((purpose, channel))
}

/// How many subjects an audience reaches.
#[derive(Debug, Serialize, ToSchema)]
pub struct AudienceCount {
    pub count: u64,
}

/// One line of an audience export.
#[derive(Debug, Serialize, ToSchema)]
pub struct AudienceMember {
    pub id: SubjectId,
    /// Only when `include_email` was asked on the email channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

#[utoipa::path(post, path = "/v1/audiences/count", tag = "audiences", operation_id = "audience_count", request_body = AudienceBody,
    responses((status = 200, description = "how many subjects the campaign may reach", body = AudienceCount),
              (status = 404, description = "unknown purpose"),
              (status = 404, description = "a recipient the purpose does not share with"),
              (status = 422, description = "a bad channel, a recipient given for a purpose that shares with none, or a condition that does not type-check for the purpose; `field` names it")),
    security(("staff" = ["admin", "editor", "support"])))]
pub async fn count(
    State(state): State<AppState>,
    _: Staff<Reports>,
    Body(body): Body<AudienceBody>,
) -> Result<Json<AudienceCount>, AppError> {
    let (purpose, channel) = parse(&body)?;
    let store = state.store.clone();
    let count = blocking(move || match body.recipient.as_deref() {
        Some(r) => store.audience_count_for_recipient(&purpose, channel, &body.condition, r),
        None => store.audience_count(&purpose, channel, &body.condition),
    })
    .await?;
    Ok(Json(AudienceCount { count }))
}

#[utoipa::path(post, path = "/v1/audiences/export", tag = "audiences", operation_id = "audience_export", request_body = AudienceBody,
    responses((status = 200, description = "NDJSON: one member per line; the export is audited, and with `recipient` each member's disclosure is logged", content_type = "application/x-ndjson", body = AudienceMember),
              (status = 404, description = "unknown purpose, or a recipient the purpose does not share with"),
              (status = 422, description = "a bad channel, e-mail asked off the email channel, a recipient given for a purpose that shares with none, a recipient given to a count, or a condition that does not type-check for the purpose; `field` names it")),
    security(("staff" = ["admin", "service"])))]
pub async fn export(
    State(state): State<AppState>,
    staff: Staff<AudienceExport>,
    Body(body): Body<AudienceBody>,
) -> Result<Response, AppError> {
    let (purpose, channel) = parse(&body)?;
    if body.include_email && channel != Channel::Email {
        return Err(AppError(CoreError::invalid(
            "include_email",
            "e-mail addresses are exported only for the email channel",
        )));
    }
    let (store, now) = (state.store.clone(), state.now());
    let rows = blocking(move || {
        store.audience_export(
            &staff.actor,
            now,
            &purpose,
            channel,
            &body.condition,
            body.include_email,
            body.recipient.as_deref(),
        )
    })
    .await?;
    let mut out = String::with_capacity(rows.len() * 40);
    for (id, email) in rows {
        let line = serde_json::to_string(&AudienceMember { id, email }).map_err(|e| {
            AppError(CoreError::new(
                kerro_core::ErrorCode::Internal,
                e.to_string(),
            ))
        })?;
        out.push_str(&line);
        out.push('\n');
    }
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        HttpBody::from(out),
    )
        .into_response())
}

/// Every saved audience, each with its size now.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedAudienceList {
    pub audiences: Vec<SavedAudience>,
}

/// A saved audience with its size now and by day.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedAudienceDetail {
    #[serde(flatten)]
    pub audience: SavedAudience,
    /// Its size by day, oldest first: written down once a day and whenever it changes.
    pub sizes: Vec<AudienceSize>,
}

#[utoipa::path(put, path = "/v1/audiences/{key}", tag = "audiences", operation_id = "put_audience", params(("key" = AudienceKey, Path, description = "the audience's key; `count` and `export` are reserved")),
    request_body = AudienceSpec,
    responses((status = 201, description = "created", body = SavedAudience), (status = 200, description = "replaced", body = SavedAudience),
              (status = 404, description = "an unknown purpose"),
              (status = 422, description = "an invalid or reserved key, a bad name or channel, or a condition that does not type-check for the purpose; `field` names it")),
    security(("staff" = ["admin", "editor"])))]
pub async fn put_saved(
    State(state): State<AppState>,
    staff: Staff<SchemaWrite>,
    Path(key): Path<String>,
    Body(spec): Body<AudienceSpec>,
) -> Result<(StatusCode, Json<SavedAudience>), AppError> {
    let key = AudienceKey::parse("key", &key).map_err(AppError)?;
    let (store, now) = (state.store.clone(), state.now());
    let (saved, created) =
        blocking(move || store.put_audience(&staff.actor, now, key, spec)).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(saved)))
}

#[utoipa::path(get, path = "/v1/audiences", tag = "audiences", operation_id = "list_audiences",
    responses((status = 200, description = "every saved audience by key, each with its size now", body = SavedAudienceList)),
    security(("staff" = ["admin", "editor", "support"])))]
pub async fn list_saved(
    State(state): State<AppState>,
    _: Staff<Reports>,
) -> Result<Json<SavedAudienceList>, AppError> {
    let store = state.store.clone();
    let audiences = blocking(move || store.saved_audiences()).await?;
    Ok(Json(SavedAudienceList { audiences }))
}

#[utoipa::path(get, path = "/v1/audiences/{key}", tag = "audiences", operation_id = "get_audience", params(("key" = AudienceKey, Path)),
    responses((status = 200, description = "the saved audience, its size now and by day", body = SavedAudienceDetail),
              (status = 404, description = "no such saved audience")),
    security(("staff" = ["admin", "editor", "support"])))]
pub async fn get_saved(
    State(state): State<AppState>,
    _: Staff<Reports>,
    Path(key): Path<String>,
) -> Result<Json<SavedAudienceDetail>, AppError> {
    let key = path_key(AudienceKey::parse, &key, "audience")?;
    let (store, now) = (state.store.clone(), state.now());
    let detail = blocking(move || {
        Ok(SavedAudienceDetail {
            audience: store.saved_audience(&key)?,
            sizes: store.audience_sizes(&key, now)?,
        })
    })
    .await?;
    Ok(Json(detail))
}

#[utoipa::path(delete, path = "/v1/audiences/{key}", tag = "audiences", operation_id = "delete_audience", params(("key" = AudienceKey, Path)),
    responses((status = 204, description = "deleted; campaigns planned from it keep their copy"), (status = 404, description = "no such saved audience")),
    security(("staff" = ["admin", "editor"])))]
pub async fn delete_saved(
    State(state): State<AppState>,
    staff: Staff<SchemaWrite>,
    Path(key): Path<String>,
) -> Result<StatusCode, AppError> {
    let key = path_key(AudienceKey::parse, &key, "audience")?;
    let (store, now) = (state.store.clone(), state.now());
    blocking(move || store.delete_audience(&staff.actor, now, &key)).await?;
    Ok(StatusCode::NO_CONTENT)
}
