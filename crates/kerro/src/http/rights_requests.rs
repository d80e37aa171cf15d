//! `/v1/rights-requests`: the register of rights requests (P15), each with
//! its deadline: recorded, extended, identity-verified, completed with
//! evidence, listed open or overdue, and exported as CSV.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use kerro_core::ids::SubjectId;
use kerro_core::rights_request::{RequestChannel, RightKind};
use kerro_core::{CoreError, ErrorCode};
use kerro_store::{NewRightsRequest, RequestFilter, RightsRequest};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::{RightsRequests, Staff};
use super::{blocking, well_formed_id, AppError, AppState, Body};

/// The most requests one list answers with.
const LIST_MAX: u32 = 1000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RightsRequestBody {
    /// The subject the request concerns (`sub_…`).
    pub subject: String,
    pub kind: RightKind,
    /// When the company received it (RFC 3339): not ahead of the server's
    /// clock (5 minutes' skew allowed), at most a year ago.
    pub received_at: DateTime<Utc>,
    /// How it arrived: email, post, phone, in_person, web or other.
    pub channel: RequestChannel,
    /// At most 2000 characters; cleared when the subject is erased.
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtendBody {
    /// 1 or 2: the deadline is at most 3 months after receipt in all.
    pub months: u32,
    /// Why (art. 12(3)); required, at most 2000 characters.
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteBody {
    /// What was done, e.g. "export sent by e-mail on 2 March"; required, at most 2000 characters.
    pub evidence: String,
}

fn request_id(raw: &str) -> Result<String, AppError> {
    if well_formed_id(raw, "rr_") {
        Ok(raw.to_owned())
    } else {
        Err(AppError(CoreError::not_found(
            "id",
            "no such rights request",
        )))
    }
}

#[utoipa::path(post, path = "/v1/rights-requests", tag = "rights requests", operation_id = "create_rights_request", request_body = RightsRequestBody,
    description = "Records a rights request the company received; it is due one calendar month after `received_at` (31 January gives the last day of February).",
    responses((status = 201, description = "recorded, with `due_at`", body = RightsRequest),
              (status = 404, description = "no such subject"),
              (status = 410, description = "the subject was erased"),
              (status = 422, description = "`received_at` ahead of the clock or more than a year ago, a `note` too long, or `self_service` (kerro records those itself); `field` names it")),
    security(("staff" = ["admin", "support", "dpo"])))]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff<RightsRequests>,
    Body(body): Body<RightsRequestBody>,
) -> Result<(StatusCode, Json<RightsRequest>), AppError> {
    let subject = SubjectId::parse(&body.subject)
        .map_err(|_| AppError(CoreError::not_found("subject", "no such subject")))?;
    let new = NewRightsRequest {
        subject,
        kind: body.kind,
        received_at: body.received_at,
        channel: body.channel,
        note: body.note.filter(|n| !n.trim().is_empty()),
    };
    let (store, now) = (state.store.clone(), state.now());
    let r = blocking(move || store.create_rights_request(&staff.actor, now, new)).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Reads `?state=` (open, overdue, all) and `?format=` (json, csv).
fn read_query(pairs: Vec<(String, String)>) -> Result<(RequestFilter, bool), AppError> {
    let (mut filter, mut csv) = (RequestFilter::Open, false);
    let mut seen = std::collections::HashSet::new();
    for (k, v) in pairs {
        if !seen.insert(k.clone()) {
            return Err(AppError(CoreError::at(
                ErrorCode::InvalidRequest,
                &k,
                "a query parameter given twice",
            )));
        }
        match (k.as_str(), v.as_str()) {
            ("state", "open") => filter = RequestFilter::Open,
            ("state", "overdue") => filter = RequestFilter::Overdue,
            ("state", "all") => filter = RequestFilter::All,
            ("state", _) => {
                return Err(AppError(CoreError::invalid(
                    "state",
                    "state is open, overdue or all",
                )))
            }
            ("format", "json") => csv = false,
            ("format", "csv") => csv = true,
            ("format", _) => {
                return Err(AppError(CoreError::invalid(
                    "format",
                    "format is json or csv",
                )))
            }
            (other, _) => {
                return Err(AppError(CoreError::at(
                    ErrorCode::InvalidRequest,
                    other,
                    "the query parameters are state and format",
                )))
            }
        }
    }
    Ok((filter, csv))
}

#[utoipa::path(get, path = "/v1/rights-requests", tag = "rights requests", operation_id = "list_rights_requests",
    params(("state" = Option<String>, Query, description = "open (the default), overdue or all"),
           ("format" = Option<String>, Query, description = "json (the default) or csv: the register's export")),
    responses((status = 200, description = "the requests by due date, the soonest first (at most 1000); with `format=csv`, the same as CSV",
               content((Vec<RightsRequest> = "application/json"), (String = "text/csv"))),
              (status = 400, description = "an unknown or repeated query parameter"),
              (status = 422, description = "an unknown state or format; `field` names it")),
    security(("staff" = ["admin", "support", "dpo"])))]
pub async fn list(
    State(state): State<AppState>,
    _: Staff<RightsRequests>,
    query: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    let Query(pairs) =
        query.map_err(|e| AppError(CoreError::new(ErrorCode::InvalidRequest, e.body_text())))?;
    let (filter, csv) = read_query(pairs)?;
    let (store, now) = (state.store.clone(), state.now());
    let list = blocking(move || store.rights_requests(filter, now, LIST_MAX)).await?;
    if !csv {
        return Ok(Json(list).into_response());
    }
    let body = crate::documents::rights_requests_csv(&list)
        .map_err(|e| AppError(CoreError::new(ErrorCode::Internal, e.to_string())))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"kerro-rights-requests.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

#[utoipa::path(get, path = "/v1/rights-requests/{id}", tag = "rights requests", operation_id = "get_rights_request",
    params(("id" = String, Path, description = "rr_…")),
    responses((status = 200, description = "the request", body = RightsRequest),
              (status = 404, description = "no such rights request")),
    security(("staff" = ["admin", "support", "dpo"])))]
pub async fn get(
    State(state): State<AppState>,
    _: Staff<RightsRequests>,
    Path(id): Path<String>,
) -> Result<Json<RightsRequest>, AppError> {
    let id = request_id(&id)?;
    let (store, now) = (state.store.clone(), state.now());
    Ok(Json(
        blocking(move || store.rights_request(&id, now)).await?,
    ))
}

#[utoipa::path(post, path = "/v1/rights-requests/{id}/extend", tag = "rights requests", operation_id = "extend_rights_request",
    params(("id" = String, Path, description = "rr_…")), request_body = ExtendBody,
    responses((status = 200, description = "extended: the new `due_at`, the reason among `extensions`", body = RightsRequest),
              (status = 404, description = "no such rights request"),
              (status = 409, description = "the request is completed"),
              (status = 422, description = "months other than 1 or 2, past 3 months after receipt in all, or no reason; `field` names it")),
    security(("staff" = ["admin", "support", "dpo"])))]
pub async fn extend(
    State(state): State<AppState>,
    staff: Staff<RightsRequests>,
    Path(id): Path<String>,
    Body(body): Body<ExtendBody>,
) -> Result<Json<RightsRequest>, AppError> {
    let id = request_id(&id)?;
    let (store, now) = (state.store.clone(), state.now());
    Ok(Json(
        blocking(move || {
            store.extend_rights_request(&staff.actor, now, &id, body.months, &body.reason)
        })
        .await?,
    ))
}

#[utoipa::path(post, path = "/v1/rights-requests/{id}/identity-verified", tag = "rights requests", operation_id = "verify_rights_request",
    params(("id" = String, Path, description = "rr_…")),
    responses((status = 200, description = "the requester's identity is recorded as verified, by whom and when", body = RightsRequest),
              (status = 404, description = "no such rights request"),
              (status = 409, description = "verified already")),
    security(("staff" = ["admin", "support", "dpo"])))]
pub async fn verify(
    State(state): State<AppState>,
    staff: Staff<RightsRequests>,
    Path(id): Path<String>,
) -> Result<Json<RightsRequest>, AppError> {
    let id = request_id(&id)?;
    let (store, now) = (state.store.clone(), state.now());
    Ok(Json(
        blocking(move || store.verify_rights_request(&staff.actor, now, &id)).await?,
    ))
}

#[utoipa::path(post, path = "/v1/rights-requests/{id}/complete", tag = "rights requests", operation_id = "complete_rights_request",
    params(("id" = String, Path, description = "rr_…")), request_body = CompleteBody,
    responses((status = 200, description = "completed, with its evidence", body = RightsRequest),
              (status = 404, description = "no such rights request"),
              (status = 409, description = "completed already"),
              (status = 422, description = "no evidence, or too long; `field` names it")),
    security(("staff" = ["admin", "support", "dpo"])))]
pub async fn complete(
    State(state): State<AppState>,
    staff: Staff<RightsRequests>,
    Path(id): Path<String>,
    Body(body): Body<CompleteBody>,
) -> Result<Json<RightsRequest>, AppError> {
    let id = request_id(&id)?;
    let (store, now) = (state.store.clone(), state.now());
    Ok(Json(
        blocking(move || store.complete_rights_request(&staff.actor, now, &id, &body.evidence))
            .await?,
    ))
}
