//! The HTTP API: state, errors, body parsing and the router. Route modules
//! mirror URLs; request and response shapes live here, not in the domain.

mod audiences;
mod auth;
mod me;
mod offers;
mod openapi;
pub mod receipts;
mod schema;
mod subjects;
pub(crate) mod views;

pub use auth::{Caller, Permission, Staff, SubjectSession};

use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, SubsecRound, Utc};
use kerro_core::{CoreError, ErrorCode};
use kerro_store::{Store, StoreError};
use serde::de::DeserializeOwned;
use serde_json::json;
use std::sync::Arc;

use crate::config::Config;

/// The largest body any endpoint takes.
pub const MAX_BODY: usize = 1024 * 1024;

/// The clock is a parameter so tests can move time.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub clock: Clock,
}

impl AppState {
    /// Now, in whole microseconds: the precision the ledger stores and hashes.
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)().trunc_subsecs(6)
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/openapi.json", get(openapi::spec))
        .route("/v1/purposes", get(schema::list_purposes))
        .route(
            "/v1/purposes/{key}",
            put(schema::put_purpose).get(schema::get_purpose),
        )
        .route("/v1/attributes", get(schema::list_attributes))
        .route(
            "/v1/attributes/{key}",
            put(schema::put_attribute).get(schema::get_attribute),
        )
        .route("/v1/forms", get(schema::list_forms))
        .route(
            "/v1/forms/{key}",
            put(schema::put_form).get(schema::get_form),
        )
        .route("/v1/forms/{key}/notices/{version}", get(schema::get_notice))
        .route("/v1/forms/{key}/submissions", post(subjects::submit))
        .route("/v1/subjects", post(subjects::create))
        .route("/v1/subjects/{id}", get(subjects::get))
        .route("/v1/subjects/{id}/tokens", post(subjects::issue_token))
        .route("/v1/me", get(me::get).delete(me::erase))
        .route("/v1/me/export", get(me::export))
        .route("/v1/me/declarations", axum::routing::patch(me::rectify))
        .route("/v1/me/consents/{purpose}", put(me::set_consent))
        .route("/v1/me/contact", put(me::set_contact))
        .route("/v1/me/rights", put(me::set_rights))
        .route("/v1/receipts/{record_id}", get(receipts::get))
        .route("/v1/offers", get(offers::list))
        .route(
            "/v1/offers/{key}",
            put(offers::put).get(offers::get).delete(offers::delete),
        )
        .route("/v1/decisions", post(offers::decide))
        .route("/v1/me/offers", get(offers::me_offers))
        .route("/v1/reports/minimisation", get(offers::minimisation))
        .route("/v1/audiences/count", post(audiences::count))
        .route("/v1/audiences/export", post(audiences::export))
        .fallback(not_found)
        .layer(axum::middleware::map_response(json_errors))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state.clone())
        .merge(crate::web::router(state))
}

/// Liveness for load balancers: `{"status":"ok"}` when the store answers, else 503
/// `unavailable`. Unauthenticated, so it tells nothing else (no counts, no versions).
#[utoipa::path(get, path = "/healthz", tag = "meta", responses((status = 200, description = "`{\"status\":\"ok\"}`: the server and its store answer"), (status = 503, description = "the store does not answer")))]
async fn healthz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let store = state.store.clone();
    blocking(move || store.ping()).await?;
    Ok(Json(json!({"status": "ok"})))
}

/// A safety net: an error response the framework made itself (405, a path it
/// could not decode) gets the documented JSON shape too.
async fn json_errors(resp: Response) -> Response {
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let (code, message) = match status {
        StatusCode::METHOD_NOT_ALLOWED => (
            ErrorCode::MethodNotAllowed,
            "this path does not take that method; see /openapi.json",
        ),
        StatusCode::NOT_FOUND => (ErrorCode::NotFound, "not found"),
        StatusCode::PAYLOAD_TOO_LARGE => (ErrorCode::PayloadTooLarge, "the body is too large"),
        s if s.is_client_error() => (
            ErrorCode::InvalidRequest,
            "the request could not be understood",
        ),
        _ => (ErrorCode::Internal, "internal error; nothing was changed"),
    };
    let mut out = ApiError(CoreError::new(code, message)).into_response();
    *out.status_mut() = status;
    out
}

async fn not_found() -> ApiError {
    ApiError(CoreError::new(
        ErrorCode::NotFound,
        "no such endpoint; see /openapi.json",
    ))
}

/// An error as clients see it: `{"error":{"code","message","field"}}` with the status of its code.
#[derive(Debug)]
pub struct ApiError(pub CoreError);

/// The one place an error code becomes an HTTP status.
pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InvalidRequest => StatusCode::BAD_REQUEST,
        ErrorCode::InvalidValue
        | ErrorCode::Minimisation
        | ErrorCode::NoLegalBasis
        | ErrorCode::SpecialCategory => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Gone => StatusCode::GONE,
        ErrorCode::Conflict | ErrorCode::StaleNotice => StatusCode::CONFLICT,
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
        ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        let body =
            json!({"error": {"code": e.code.as_str(), "message": e.message, "field": e.field}});
        (status_of(e.code), Json(body)).into_response()
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        ApiError(e)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let core = e.to_core();
        if matches!(core.code, ErrorCode::Internal | ErrorCode::Unavailable) {
            tracing::error!(error = %e, "store error");
        }
        ApiError(core)
    }
}

/// Runs a blocking store call off the async runtime.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(ApiError::from),
        Err(e) => {
            tracing::error!("store task failed: {e}");
            Err(ApiError(CoreError::new(
                ErrorCode::Internal,
                "internal error; nothing was changed",
            )))
        }
    }
}

/// A JSON body: malformed JSON, wrong types and unknown fields are 400
/// `invalid_request` naming the field; bodies over 1 MiB are 413.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|rej| {
                if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError(CoreError::new(
                        ErrorCode::PayloadTooLarge,
                        format!("the body is larger than {MAX_BODY} bytes"),
                    ))
                } else if crate::server::is_body_timeout(&rej) {
                    ApiError(CoreError::new(
                        ErrorCode::RequestTimeout,
                        "the request body did not arrive in time; nothing was changed",
                    ))
                } else {
                    ApiError(CoreError::new(
                        ErrorCode::InvalidRequest,
                        "cannot read the request body",
                    ))
                }
            })?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(de).map_err(|e| {
            // serde_path_to_error marks unknown map keys as `?`; keep only the named segments.
            let path = e
                .path()
                .to_string()
                .split('.')
                .filter(|seg| *seg != "?" && !seg.is_empty())
                .collect::<Vec<_>>()
                .join(".");
            let inner = e.into_inner();
            let message = if inner.is_syntax() || inner.is_eof() {
                format!("the body is not valid JSON: {inner}")
            } else {
                inner.to_string()
            };
            ApiError(CoreError {
                code: ErrorCode::InvalidRequest,
                message,
                field: (!path.is_empty()).then_some(path),
            })
        })?;
        Ok(Body(value))
    }
}

/// Reads one path segment that must be a key; a malformed key cannot name anything, so it is 404.
pub fn path_key<K>(
    parse: impl Fn(&str, &str) -> Result<K, CoreError>,
    raw: &str,
    what: &str,
) -> Result<K, ApiError> {
    parse(what, raw).map_err(|_| ApiError(CoreError::not_found(what, format!("no {what} '{raw}'"))))
}
