//! `/v1/webhooks`: registering endpoints (the secret is shown once), listing
//! and deleting them, their deliveries and the manual retry. Admin only.
//! Where a URL may point is `webhooks::guard`'s; the queue is the store's;
//! sending is the dispatcher's (`crate::webhooks`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use kerro_core::CoreError;
use kerro_store::{
    NewWebhook, WebhookDelivery, WebhookEndpoint, DELIVERY_PREFIX, WEBHOOK_EVENTS, WEBHOOK_PREFIX,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{Staff, WebhookManage};
use super::{blocking, AppError, AppState, Body};
use crate::webhooks::guard::Guard;

/// The longest URL taken.
const MAX_URL: usize = 2000;

/// Deliveries `GET /v1/webhooks/{id}/deliveries` lists.
const LISTED: usize = 100;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhookBody {
    /// Where deliveries are POSTed: `https://` on a public address (see docs/webhooks.md).
    #[schema(example = "https://hooks.example.invalid/kerro")]
    pub url: String,
    /// Event types, e.g. `["consent.given", "consent.withdrawn"]`; see docs/webhooks.md.
    #[schema(example = json!(["consent.given", "consent.withdrawn"]))]
    pub events: Vec<String>,
    /// For people, at most 500 characters.
    pub description: Option<String>,
    /// The registered recipient the endpoint belongs to (P21), with
    /// `purpose`: it then gets a subject's events only while that subject
    /// consents to the recipient under the purpose and does not object to
    /// sharing, and each event queued for it is logged as a disclosure.
    pub recipient: Option<String>,
    /// The sharing purpose that names `recipient`; given with it or not at all.
    pub purpose: Option<String>,
}

/// `POST /v1/webhooks`: the secret is shown only now.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookCreated {
    pub id: String,
    /// `whsec_...`: verify each delivery's `webhook-signature` with it (Standard Webhooks).
    pub secret: String,
    pub webhook: WebhookEndpoint,
}

fn webhook_id(raw: &str) -> Result<String, AppError> {
    id_of(raw, WEBHOOK_PREFIX, "id", "webhook")
}

fn id_of(raw: &str, prefix: &str, field: &str, what: &str) -> Result<String, AppError> {
    let ok = raw.len() == prefix.len() + 26
        && raw.starts_with(prefix)
        && raw[prefix.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(raw.to_owned())
    } else {
        let shown: String = raw.chars().take(40).collect();
        Err(AppError(CoreError::not_found(
            field,
            format!("no {what} '{shown}'"),
        )))
    }
}

#[utoipa::path(post, path = "/v1/webhooks", tag = "webhooks", operation_id = "create_webhook", request_body = NewWebhookBody,
    description = "Registers an endpoint for the named event types. Deliveries are signed per the Standard Webhooks spec with the returned secret; their bodies carry ids and keys only, never personal values.",
    responses((status = 201, description = "registered; the secret is shown only in this answer", body = WebhookCreated),
              (status = 400, description = "an unknown event type (`field` is `events[i]`), no event types, or a body that is not the documented shape"),
              (status = 404, description = "an unknown purpose, or a recipient the purpose does not share with"),
              (status = 409, description = "the most endpoints the configuration allows are registered"),
              (status = 422, description = "a URL that does not parse, is not https://, carries credentials, does not resolve, or reaches a loopback, private or link-local address; a bad description; a recipient without its purpose or the reverse, or a purpose that shares with no recipient; `field` names it")),
    security(("staff" = ["admin"])))]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff<WebhookManage>,
    Body(body): Body<NewWebhookBody>,
) -> Result<(StatusCode, Json<WebhookCreated>), AppError> {
    if body.url.len() > MAX_URL {
        return Err(AppError(CoreError::invalid(
            "url",
            format!("the URL is longer than {MAX_URL} bytes"),
        )));
    }
    // What needs no network first: the events and the description.
    check_events(&body.events)?;
    if let Some(d) = &body.description {
        if d.chars().count() > kerro_store::WEBHOOK_MAX_DESCRIPTION
            || d.chars().any(char::is_control)
        {
            return Err(AppError(CoreError::invalid(
                "description",
                format!(
                    "a description is at most {} characters, without control characters",
                    kerro_store::WEBHOOK_MAX_DESCRIPTION
                ),
            )));
        }
    }
    let recipient = match (body.purpose, body.recipient) {
        (Some(p), Some(r)) => Some((p, r)),
        (None, None) => None,
        (p, _) => {
            return Err(AppError(CoreError::invalid(
                if p.is_some() { "recipient" } else { "purpose" },
                "a recipient's endpoint names both the recipient and the sharing purpose",
            )))
        }
    };
    let url = Guard::new(&state.config.webhooks).check(&body.url).await?;
    let (store, now) = (state.store.clone(), state.now());
    let max = state.config.webhooks.max_endpoints as usize;
    let new = NewWebhook {
        url: url.to_string(),
        events: body.events,
        description: body.description,
        recipient,
    };
    let (webhook, secret) =
        blocking(move || store.create_webhook(&staff.actor, now, new, max)).await?;
    Ok((
        StatusCode::CREATED,
        Json(WebhookCreated {
            id: webhook.id.clone(),
            secret,
            webhook,
        }),
    ))
}

fn check_events(events: &[String]) -> Result<(), AppError> {
    if events.is_empty() {
        return Err(AppError(CoreError::at(
            kerro_core::ErrorCode::InvalidRequest,
            "events",
            "name at least one event type",
        )));
    }
    for (i, e) in events.iter().enumerate() {
        if !WEBHOOK_EVENTS.contains(&e.as_str()) {
            return Err(AppError(CoreError::at(
                kerro_core::ErrorCode::InvalidRequest,
                format!("events[{i}]"),
                format!(
                    "unknown event type; the types are {}",
                    WEBHOOK_EVENTS.join(", ")
                ),
            )));
        }
    }
    Ok(())
}

#[utoipa::path(get, path = "/v1/webhooks", tag = "webhooks", operation_id = "list_webhooks",
    responses((status = 200, description = "every endpoint, oldest first, without secrets", body = [WebhookEndpoint])),
    security(("staff" = ["admin"])))]
pub async fn list(
    State(state): State<AppState>,
    _staff: Staff<WebhookManage>,
) -> Result<Json<Vec<WebhookEndpoint>>, AppError> {
    let store = state.store.clone();
    Ok(Json(blocking(move || store.list_webhooks()).await?))
}

#[utoipa::path(delete, path = "/v1/webhooks/{id}", tag = "webhooks", operation_id = "delete_webhook", params(("id" = String, Path)),
    responses((status = 204, description = "deleted with its deliveries: nothing more is sent to it"),
              (status = 404, description = "unknown webhook")),
    security(("staff" = ["admin"])))]
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff<WebhookManage>,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let id = webhook_id(&id)?;
    let (store, now) = (state.store.clone(), state.now());
    blocking(move || store.delete_webhook(&staff.actor, now, &id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/webhooks/{id}/deliveries", tag = "webhooks", operation_id = "list_webhook_deliveries", params(("id" = String, Path)),
    responses((status = 200, description = "the endpoint's newest 100 deliveries, newest first", body = [WebhookDelivery]),
              (status = 404, description = "unknown webhook")),
    security(("staff" = ["admin"])))]
pub async fn deliveries(
    State(state): State<AppState>,
    _staff: Staff<WebhookManage>,
    Path(id): Path<String>,
) -> Result<Json<Vec<WebhookDelivery>>, AppError> {
    let id = webhook_id(&id)?;
    let store = state.store.clone();
    Ok(Json(
        blocking(move || store.webhook_deliveries(&id, LISTED)).await?,
    ))
}

#[utoipa::path(post, path = "/v1/webhooks/{id}/deliveries/{delivery}/retry", tag = "webhooks", operation_id = "retry_webhook_delivery",
    params(("id" = String, Path), ("delivery" = String, Path, description = "`msg_...`, the delivery's `webhook-id`")),
    responses((status = 200, description = "queued to be sent at once, with the same `webhook-id` and a fresh retry schedule; a disabled endpoint is enabled again", body = WebhookDelivery),
              (status = 404, description = "unknown webhook, or no such delivery of it")),
    security(("staff" = ["admin"])))]
pub async fn retry(
    State(state): State<AppState>,
    staff: Staff<WebhookManage>,
    Path((id, delivery)): Path<(String, String)>,
) -> Result<Json<WebhookDelivery>, AppError> {
    let id = webhook_id(&id)?;
    let delivery = id_of(&delivery, DELIVERY_PREFIX, "delivery", "delivery")?;
    let (store, now) = (state.store.clone(), state.now());
    let d =
        blocking(move || store.retry_webhook_delivery(&staff.actor, now, &id, &delivery)).await?;
    Ok(Json(d))
}
