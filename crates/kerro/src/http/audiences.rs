//! `/v1/audiences/count` and `/v1/audiences/export`: who a campaign may reach.

use axum::body::Body as HttpBody;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kerro_core::contact::Channel;
use kerro_core::{CoreError, PurposeKey};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::{AudienceExport, Reports, Staff};
use super::{blocking, ApiError, AppState, Body};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
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

fn parse(body: &AudienceBody) -> Result<(PurposeKey, Channel), ApiError> {
    let purpose = PurposeKey::parse("purpose", &body.purpose).map_err(|_| {
        ApiError(CoreError::not_found(
            "purpose",
            format!("unknown purpose '{}'", body.purpose),
        ))
    })?;
    let channel = Channel::parse(&body.channel).ok_or_else(|| {
        ApiError(CoreError::invalid(
            "channel",
            "channels are email, sms, phone, post and web",
        ))
    })?;
    Ok((purpose, channel))
}

#[utoipa::path(post, path = "/v1/audiences/count", tag = "audiences", request_body = AudienceBody,
    responses((status = 200, description = "{\"count\": n}"), (status = 422, description = "the condition does not type-check for the purpose")),
    security(("staff" = [])))]
pub async fn count(
    State(state): State<AppState>,
    _: Staff<Reports>,
    Body(body): Body<AudienceBody>,
) -> Result<Json<Value>, ApiError> {
    let (purpose, channel) = parse(&body)?;
    let store = state.store.clone();
    let count = blocking(move || store.audience_count(&purpose, channel, &body.condition)).await?;
    Ok(Json(json!({ "count": count })))
}

#[utoipa::path(post, path = "/v1/audiences/export", tag = "audiences", request_body = AudienceBody,
    responses((status = 200, description = "NDJSON: one {\"id\"} (plus \"email\" when asked on the email channel) per line; the export is audited")),
    security(("staff" = [])))]
pub async fn export(
    State(state): State<AppState>,
    staff: Staff<AudienceExport>,
    Body(body): Body<AudienceBody>,
) -> Result<Response, ApiError> {
    let (purpose, channel) = parse(&body)?;
    if body.include_email && channel != Channel::Email {
        return Err(ApiError(CoreError::invalid(
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
        let line = match email {
            Some(e) => json!({"id": id, "email": e}),
            None => json!({"id": id}),
        };
        out.push_str(&line.to_string());
        out.push('\n');
    }
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        HttpBody::from(out),
    )
        .into_response())
}
