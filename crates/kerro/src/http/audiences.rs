//! `/v1/audiences/count` and `/v1/audiences/export`: who a campaign may reach.

use axum::body::Body as HttpBody;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kerro_core::contact::Channel;
use kerro_core::ids::SubjectId;
use kerro_core::{CoreError, PurposeKey};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::auth::{AudienceExport, Reports, Staff};
use super::{blocking, AppError, AppState, Body};

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
              (status = 422, description = "a bad channel, or a condition that does not type-check for the purpose; `field` names it")),
    security(("staff" = ["admin", "editor", "support"])))]
pub async fn count(
    State(state): State<AppState>,
    _: Staff<Reports>,
    Body(body): Body<AudienceBody>,
) -> Result<Json<AudienceCount>, AppError> {
    let (purpose, channel) = parse(&body)?;
    let store = state.store.clone();
    let count = blocking(move || store.audience_count(&purpose, channel, &body.condition)).await?;
    Ok(Json(AudienceCount { count }))
}

#[utoipa::path(post, path = "/v1/audiences/export", tag = "audiences", operation_id = "audience_export", request_body = AudienceBody,
    responses((status = 200, description = "NDJSON: one member per line; the export is audited", content_type = "application/x-ndjson", body = AudienceMember),
              (status = 404, description = "unknown purpose"),
              (status = 422, description = "a bad channel, e-mail asked off the email channel, or a condition that does not type-check for the purpose; `field` names it")),
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
