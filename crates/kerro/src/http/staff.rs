//! `/v1/staff` (named accounts: invite, change, deactivate) and `/v1/tokens`
//! (API tokens for programs: create, list, revoke). Admin only.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use kerro_core::{CoreError, Role};
use kerro_store::{ApiToken, Invited, StaffAccount};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{Staff, StaffManage, TokenManage};
use super::{blocking, AppError, AppState, Body};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStaffBody {
    pub email: String,
    /// The display name shown in the audit log and the staff pages.
    pub name: String,
    pub role: Role,
}

/// `POST /v1/staff`: the new account and its one-time invite link (72 h).
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffInvited {
    pub id: String,
    /// Open it to set a password and enrol the second factor; it works once.
    pub invite_url: String,
    pub invite_expires_at: DateTime<Utc>,
}

/// The invite link of an invite: the one route that accepts it.
pub fn invite_url(state: &AppState, secret: &str) -> String {
    format!("{}/admin/invite?token={secret}", state.config.public_url())
}

fn invited(state: &AppState, i: Invited) -> StaffInvited {
    StaffInvited {
        invite_url: invite_url(state, &i.secret),
        id: i.account.id,
        invite_expires_at: i.expires_at,
    }
}

fn account_id(raw: &str) -> Result<String, AppError> {
    let ok = raw.len() == 30
        && raw.starts_with("stf_")
        && raw[4..].bytes().all(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(AppError(CoreError::not_found(
            "id",
            format!("no staff account '{raw}'"),
        )))
    }
}

#[utoipa::path(post, path = "/v1/staff", tag = "staff", operation_id = "create_staff", request_body = NewStaffBody,
    responses((status = 201, description = "invited; send the person the invite link", body = StaffInvited),
              (status = 409, description = "an account with this address exists"),
              (status = 422, description = "a bad address or name; `field` names it")),
    security(("staff" = ["admin"])))]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff<StaffManage>,
    Body(body): Body<NewStaffBody>,
) -> Result<(StatusCode, Json<StaffInvited>), AppError> {
    let (store, now) = (state.store.clone(), state.now());
    let i =
        blocking(move || store.create_staff(&staff.actor, now, &body.email, &body.name, body.role))
            .await?;
    Ok((StatusCode::CREATED, Json(invited(&state, i))))
}

#[utoipa::path(get, path = "/v1/staff", tag = "staff", operation_id = "list_staff",
    responses((status = 200, description = "every account, oldest first", body = [StaffAccount])),
    security(("staff" = ["admin"])))]
pub async fn list(
    State(state): State<AppState>,
    _staff: Staff<StaffManage>,
) -> Result<Json<Vec<StaffAccount>>, AppError> {
    let store = state.store.clone();
    let all = blocking(move || store.list_staff()).await?;
    Ok(Json(all))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffPatch {
    pub role: Option<Role>,
    pub name: Option<String>,
}

#[utoipa::path(patch, path = "/v1/staff/{id}", tag = "staff", operation_id = "update_staff", params(("id" = String, Path)), request_body = StaffPatch,
    responses((status = 200, description = "changed; a new role applies to the person's next request", body = StaffAccount),
              (status = 404, description = "unknown account"),
              (status = 409, description = "a deactivated account, or the last active admin losing the role"),
              (status = 422, description = "a bad name")),
    security(("staff" = ["admin"])))]
pub async fn update(
    State(state): State<AppState>,
    staff: Staff<StaffManage>,
    Path(id): Path<String>,
    Body(body): Body<StaffPatch>,
) -> Result<Json<StaffAccount>, AppError> {
    let id = account_id(&id)?;
    let (store, now) = (state.store.clone(), state.now());
    let a = blocking(move || {
        store.update_staff(&staff.actor, now, &id, body.role, body.name.as_deref())
    })
    .await?;
    Ok(Json(a))
}

#[utoipa::path(post, path = "/v1/staff/{id}/deactivate", tag = "staff", operation_id = "deactivate_staff", params(("id" = String, Path)),
    responses((status = 200, description = "deactivated: the person's sessions, API tokens and minted subject tokens ended at once", body = StaffAccount),
              (status = 404, description = "unknown account"),
              (status = 409, description = "the last active admin")),
    security(("staff" = ["admin"])))]
pub async fn deactivate(
    State(state): State<AppState>,
    staff: Staff<StaffManage>,
    Path(id): Path<String>,
) -> Result<Json<StaffAccount>, AppError> {
    let id = account_id(&id)?;
    let (store, now) = (state.store.clone(), state.now());
    let a = blocking(move || store.deactivate_staff(&staff.actor, now, &id)).await?;
    Ok(Json(a))
}

#[utoipa::path(post, path = "/v1/staff/{id}/invite", tag = "staff", operation_id = "reinvite_staff", params(("id" = String, Path)),
    responses((status = 201, description = "a new invite link; the earlier one stops working", body = StaffInvited),
              (status = 404, description = "unknown account"),
              (status = 409, description = "the account is not invited (already set up, or deactivated)")),
    security(("staff" = ["admin"])))]
pub async fn reinvite(
    State(state): State<AppState>,
    staff: Staff<StaffManage>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<StaffInvited>), AppError> {
    let id = account_id(&id)?;
    let (store, now) = (state.store.clone(), state.now());
    let i = blocking(move || store.reinvite_staff(&staff.actor, now, &id)).await?;
    Ok((StatusCode::CREATED, Json(invited(&state, i))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenBody {
    /// Who or what holds the token, e.g. "CRM sync".
    pub name: String,
    pub role: Role,
    /// 1 to 365; default 90.
    pub expires_in_days: Option<u32>,
    /// Requests a minute this token may make (429 over it); default: not limited.
    pub per_minute: Option<u32>,
}

/// `POST /v1/tokens`: the secret is shown only now.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenCreated {
    pub id: String,
    /// `kst_...`: send it as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

#[utoipa::path(post, path = "/v1/tokens", tag = "staff", operation_id = "create_token", request_body = NewTokenBody,
    responses((status = 201, description = "created; the secret is shown only in this answer", body = TokenCreated),
              (status = 422, description = "a lifetime outside 1 to 365 days, a limit of 0, or a bad name; `field` names it")),
    security(("staff" = ["admin"])))]
pub async fn create_token(
    State(state): State<AppState>,
    staff: Staff<TokenManage>,
    Body(body): Body<NewTokenBody>,
) -> Result<(StatusCode, Json<TokenCreated>), AppError> {
    let (store, now) = (state.store.clone(), state.now());
    let (t, token) = blocking(move || {
        store.create_api_token(
            &staff.actor,
            now,
            &body.name,
            body.role,
            body.expires_in_days,
            body.per_minute,
        )
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenCreated {
            id: t.id,
            token,
            expires_at: t.expires_at,
        }),
    ))
}

#[utoipa::path(get, path = "/v1/tokens", tag = "staff", operation_id = "list_tokens",
    responses((status = 200, description = "every token, newest first, revoked and expired ones marked", body = [ApiToken])),
    security(("staff" = ["admin"])))]
pub async fn list_tokens(
    State(state): State<AppState>,
    _staff: Staff<TokenManage>,
) -> Result<Json<Vec<ApiToken>>, AppError> {
    let store = state.store.clone();
    let all = blocking(move || store.list_api_tokens()).await?;
    Ok(Json(all))
}

#[utoipa::path(delete, path = "/v1/tokens/{id}", tag = "staff", operation_id = "revoke_token", params(("id" = String, Path)),
    responses((status = 204, description = "revoked (also when it already was): it gets 401 `token_revoked` on every node within a second"),
              (status = 404, description = "unknown token")),
    security(("staff" = ["admin"])))]
pub async fn revoke_token(
    State(state): State<AppState>,
    staff: Staff<TokenManage>,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let (store, now) = (state.store.clone(), state.now());
    let raw = id.clone();
    let found = blocking(move || store.revoke_api_token(&staff.actor, now, &id)).await?;
    if !found {
        return Err(AppError(CoreError::not_found(
            "id",
            format!("no token '{raw}'"),
        )));
    }
    Ok(StatusCode::NO_CONTENT)
}
