//! The JSON API: its router, the JSON error body, body parsing and the
//! OpenAPI document. Route modules mirror URLs; request and response shapes
//! live in them, not in the domain. The state, the blocking helper and the
//! status of each error code are `app`'s; the documents about a subject are
//! built in `documents`.

mod audiences;
mod auth;
mod breaches;
mod campaigns;
mod checkpoints;
mod disclosures;
mod jose;
mod me;
mod offers;
mod openapi;
mod receipts;
mod recipients;
mod records;
mod rights_requests;
mod schema;
mod staff;
mod subjects;
mod webhooks;

pub use auth::{Caller, Permission, Staff, SubjectSession, TokenLimits};

use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use kerro_core::{CoreError, ErrorCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::{blocking, well_formed_id, AppError, AppState};

/// The largest body any endpoint takes.
pub const MAX_BODY: usize = 1024 * 1024;

/// The offers snippet's cross-origin reads: only from `web.offer_origins`, a
/// GET with a bearer token and no cookies.
fn offers_cors(state: &AppState) -> tower_http::cors::CorsLayer {
    use axum::http::{header, HeaderValue, Method};
    let origins: Vec<HeaderValue> = state
        .config
        .web
        .offer_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok())
        .collect();
    tower_http::cors::CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([Method::GET])
        .allow_headers([header::AUTHORIZATION])
        .max_age(std::time::Duration::from_secs(600))
}

/// The API's routes; `app::router` merges the pages beside them.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/openapi.json", get(openapi::spec))
        .route("/metrics", get(scrape))
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
        .route(
            "/v1/purposes/{key}/notices/{version}",
            get(schema::get_purpose_notice),
        )
        .route("/v1/forms/{key}/submissions", post(subjects::submit))
        .route("/v1/subjects", post(subjects::create))
        .route("/v1/subjects/{id}", get(subjects::get))
        .route("/v1/subjects/{id}/tokens", post(subjects::issue_token))
        .route("/v1/subjects/{id}/export", get(subjects::export))
        .route("/v1/staff", get(staff::list).post(staff::create))
        .route("/v1/staff/{id}", axum::routing::patch(staff::update))
        .route("/v1/staff/{id}/deactivate", post(staff::deactivate))
        .route("/v1/staff/{id}/invite", post(staff::reinvite))
        .route(
            "/v1/tokens",
            get(staff::list_tokens).post(staff::create_token),
        )
        .route(
            "/v1/tokens/{id}",
            axum::routing::delete(staff::revoke_token),
        )
        .route("/v1/me", get(me::get).delete(me::erase))
        .route("/v1/me/export", get(me::export))
        .route("/v1/me/declarations", axum::routing::patch(me::rectify))
        .route("/v1/me/consents/{purpose}", put(me::set_consent))
        .route(
            "/v1/me/consents/{purpose}/recipients/{recipient}",
            put(me::set_recipient_consent),
        )
        .route("/v1/me/contact", put(me::set_contact))
        .route("/v1/me/email", put(me::change_email))
        .route("/v1/me/rights", put(me::set_rights))
        .route("/v1/receipts/{record_id}", get(receipts::get))
        .route("/.well-known/jwks.json", get(jose::jwks))
        .route("/v1/offers", get(offers::list))
        .route(
            "/v1/offers/{key}",
            put(offers::put).get(offers::get).delete(offers::delete),
        )
        .route("/v1/decisions", post(offers::decide))
        .route("/v1/deliveries", post(campaigns::report_delivery))
        .route(
            "/v1/campaigns",
            get(campaigns::list).post(campaigns::create),
        )
        .route("/v1/campaigns/{id}", get(campaigns::get))
        .route("/v1/campaigns/{id}/cancel", post(campaigns::cancel))
        .route(
            "/v1/me/offers",
            get(offers::me_offers).layer(offers_cors(&state)),
        )
        .route("/v1/reports/minimisation", get(offers::minimisation))
        .route("/v1/audiences/count", post(audiences::count))
        .route("/v1/audiences/export", post(audiences::export))
        .route("/v1/audiences", get(audiences::list_saved))
        .route(
            "/v1/audiences/{key}",
            put(audiences::put_saved)
                .get(audiences::get_saved)
                .delete(audiences::delete_saved),
        )
        .route("/v1/checkpoints", get(checkpoints::list))
        .route(
            "/v1/rights-requests",
            get(rights_requests::list).post(rights_requests::create),
        )
        .route("/v1/rights-requests/{id}", get(rights_requests::get))
        .route(
            "/v1/rights-requests/{id}/extend",
            post(rights_requests::extend),
        )
        .route(
            "/v1/rights-requests/{id}/identity-verified",
            post(rights_requests::verify),
        )
        .route(
            "/v1/rights-requests/{id}/complete",
            post(rights_requests::complete),
        )
        .route("/v1/recipients", get(recipients::list))
        .route(
            "/v1/recipients/{key}",
            put(recipients::put)
                .get(recipients::get)
                .delete(recipients::delete),
        )
        .route("/v1/disclosures", get(disclosures::list))
        .route("/v1/records-of-processing", get(records::get))
        .route("/v1/records-of-processing/versions", get(records::versions))
        .route("/v1/webhooks", get(webhooks::list).post(webhooks::create))
        .route("/v1/webhooks/{id}", axum::routing::delete(webhooks::delete))
        .route("/v1/webhooks/{id}/deliveries", get(webhooks::deliveries))
        .route(
            "/v1/webhooks/{id}/deliveries/{delivery}/retry",
            post(webhooks::retry),
        )
        .route("/v1/breaches", get(breaches::list).post(breaches::create))
        .route("/v1/breaches/{id}", get(breaches::get))
        .route("/v1/breaches/{id}/updates", post(breaches::update))
        .route("/v1/breaches/{id}/notified", post(breaches::notified))
        .route("/v1/breaches/{id}/scope", post(breaches::scope))
        .route("/v1/breaches/{id}/subjects", get(breaches::subjects))
        .route(
            "/v1/breaches/{id}/notification",
            get(breaches::notification),
        )
        .route(
            "/v1/breaches/{id}/subject-messages",
            post(breaches::subject_messages),
        )
        .fallback(not_found)
        .layer(axum::Extension(std::sync::Arc::new(TokenLimits::new(
            state.config.web.api_token_requests_per_minute,
        ))))
        .layer(axum::middleware::map_response(json_errors))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Liveness for load balancers: `{"status":"ok"}` when the store answers, else 503
/// `unavailable`. Unauthenticated, so it tells nothing else (no counts, no versions).
/// `GET /healthz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
}

#[utoipa::path(get, path = "/healthz", tag = "meta", operation_id = "healthz",
    responses((status = 200, description = "the server and its store answer", body = Health),
              (status = 503, description = "the store does not answer")),
    security(()))]
async fn healthz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<Json<Health>, AppError> {
    let store = state.store.clone();
    blocking(move || store.ping()).await?;
    Ok(Json(Health {
        status: "ok".into(),
    }))
}

#[utoipa::path(get, path = "/metrics", tag = "meta", operation_id = "metrics",
    description = "The operational metrics in the Prometheus text format: requests by route template and status with latency histograms, the writer's batch sizes and commit times, the follower's lag, decision and audience timings (see docs/operations.md). No personal data. A scraper without a token uses the separate listener `metrics.listen` instead.",
    responses((status = 200, description = "the metrics (Prometheus text format 0.0.4)", body = String, content_type = "text/plain"),
              (status = 503, description = "metrics are off in this process (another recorder was installed first)")),
    security(("staff" = ["admin", "service"])))]
async fn scrape(_: Staff<auth::Metrics>) -> Result<Response, AppError> {
    crate::telemetry::scrape().ok_or_else(|| {
        AppError(CoreError::new(
            ErrorCode::Unavailable,
            "metrics are off in this process",
        ))
    })
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
    let mut out = AppError(CoreError::new(code, message)).into_response();
    *out.status_mut() = status;
    out
}

async fn not_found() -> AppError {
    AppError(CoreError::new(
        ErrorCode::NotFound,
        "no such endpoint; see /openapi.json",
    ))
}

/// The one error body: `{"error":{"code","message","field"}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable snake_case code (docs/api.md lists them); the status follows from it.
    #[schema(value_type = String, example = "invalid_value")]
    pub code: &'static str,
    /// For people; may change between versions.
    pub message: String,
    /// The path of the offending field in the body or query (`answers.role`), if one is to blame.
    pub field: Option<String>,
}

/// The API renders an error as its [`ErrorBody`] with the status of its code.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let e = self.0;
        let retry_after = e.retry_after;
        let body = ErrorBody {
            error: ErrorDetail {
                code: e.code.as_str(),
                message: e.message,
                field: e.field,
            },
        };
        let mut resp = (status, Json(body)).into_response();
        // A rate limit says when to come back.
        if let Some(seconds) = retry_after {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        resp
    }
}

/// A JSON body: malformed JSON, wrong types and unknown fields are 400
/// `invalid_request` naming the field; bodies over 1 MiB are 413.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|rej| {
                if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    AppError(CoreError::new(
                        ErrorCode::PayloadTooLarge,
                        format!("the body is larger than {MAX_BODY} bytes"),
                    ))
                } else if crate::server::is_body_timeout(&rej) {
                    AppError(CoreError::new(
                        ErrorCode::RequestTimeout,
                        "the request body did not arrive in time; nothing was changed",
                    ))
                } else {
                    AppError(CoreError::new(
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
            AppError(CoreError {
                field: (!path.is_empty()).then_some(path),
                ..CoreError::new(ErrorCode::InvalidRequest, message)
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
) -> Result<K, AppError> {
    parse(what, raw).map_err(|_| AppError(CoreError::not_found(what, format!("no {what} '{raw}'"))))
}
