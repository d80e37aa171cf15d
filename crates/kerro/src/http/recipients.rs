//! `/v1/recipients`: the recipients register (P21): who receives personal
//! data, where, in which role and under which safeguard. Purposes name
//! recipients by key; a recipient a purpose names cannot be deleted.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use kerro_core::ids::RecipientKey;
use kerro_core::recipient::RecipientSpec;
use kerro_core::CoreError;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::{Recipients, Staff};
use super::schema::put_status;
use super::{blocking, AppError, AppState, Body};

/// A recipient as returned: its spec with its key and whether data sent to it leaves the EEA.
#[derive(Debug, Serialize, ToSchema)]
pub struct Recipient {
    pub key: RecipientKey,
    #[serde(flatten)]
    pub spec: RecipientSpec,
    /// The country is outside the EEA: a transfer to a third country (art. 44).
    pub third_country: bool,
}

impl Recipient {
    fn new(key: RecipientKey, spec: RecipientSpec) -> Recipient {
        Recipient {
            third_country: spec.third_country(),
            key,
            spec,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecipientList {
    pub recipients: Vec<Recipient>,
}

/// A key in a path of a read or delete names something that exists or not: 404 either way.
fn existing_key(raw: &str) -> Result<RecipientKey, AppError> {
    RecipientKey::parse("key", raw)
        .map_err(|_| AppError(CoreError::not_found("key", "no such recipient")))
}

#[utoipa::path(put, path = "/v1/recipients/{key}", tag = "recipients", operation_id = "put_recipient",
    params(("key" = RecipientKey, Path, description = "a-z, 0-9, '_' and '-', starting with a letter")),
    request_body = RecipientSpec,
    description = "Creates or replaces a recipient. `country` is an ISO 3166-1 alpha-2 code; outside the EEA the transfer's `safeguard` is required, within it refused. A new name shows on every notice naming the recipient (a new notice version); the record of processing activities gets a new version.",
    responses((status = 201, description = "created", body = Recipient), (status = 200, description = "replaced", body = Recipient),
              (status = 400, description = "not a JSON recipient (unknown field, wrong type)"),
              (status = 422, description = "an invalid key, name, country or safeguard; `field` names it")),
    security(("staff" = ["admin", "editor", "dpo"])))]
pub async fn put(
    State(state): State<AppState>,
    staff: Staff<Recipients>,
    Path(key): Path<String>,
    Body(spec): Body<RecipientSpec>,
) -> Result<(StatusCode, Json<Recipient>), AppError> {
    let key = RecipientKey::parse("key", &key).map_err(AppError)?;
    let (store, now) = (state.store.clone(), state.now());
    let k = key.clone();
    let created = blocking(move || store.put_recipient(&staff.actor, now, k, spec)).await?;
    let spec = state.store.recipient(&key).map_err(AppError::from)?;
    Ok((put_status(created), Json(Recipient::new(key, spec))))
}

#[utoipa::path(get, path = "/v1/recipients", tag = "recipients", operation_id = "list_recipients",
    responses((status = 200, description = "every recipient, by key", body = RecipientList)),
    security(("staff" = ["admin", "editor", "dpo"])))]
pub async fn list(State(state): State<AppState>, _: Staff<Recipients>) -> Json<RecipientList> {
    let recipients = state
        .store
        .recipients()
        .into_iter()
        .map(|(k, s)| Recipient::new(k, s))
        .collect();
    Json(RecipientList { recipients })
}

#[utoipa::path(get, path = "/v1/recipients/{key}", tag = "recipients", operation_id = "get_recipient",
    params(("key" = RecipientKey, Path)),
    responses((status = 200, description = "the recipient", body = Recipient),
              (status = 404, description = "no such recipient")),
    security(("staff" = ["admin", "editor", "dpo"])))]
pub async fn get(
    State(state): State<AppState>,
    _: Staff<Recipients>,
    Path(key): Path<String>,
) -> Result<Json<Recipient>, AppError> {
    let key = existing_key(&key)?;
    let spec = state.store.recipient(&key).map_err(AppError::from)?;
    Ok(Json(Recipient::new(key, spec)))
}

#[utoipa::path(delete, path = "/v1/recipients/{key}", tag = "recipients", operation_id = "delete_recipient",
    params(("key" = RecipientKey, Path)),
    responses((status = 204, description = "deleted"),
              (status = 404, description = "no such recipient"),
              (status = 409, description = "a purpose names the recipient; the message names it")),
    security(("staff" = ["admin", "editor", "dpo"])))]
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff<Recipients>,
    Path(key): Path<String>,
) -> Result<StatusCode, AppError> {
    let key = existing_key(&key)?;
    let (store, now) = (state.store.clone(), state.now());
    blocking(move || store.delete_recipient(&staff.actor, now, key)).await?;
    Ok(StatusCode::NO_CONTENT)
}
