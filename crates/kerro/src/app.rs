//! The one application both the JSON API (`http`) and the pages (`web`) are
//! part of: its state and clock, the merged router, the error every request
//! may end in and the one table from error code to HTTP status, and the
//! helper that runs a blocking store call. How an error is rendered (JSON or
//! a page) is left to `http` and `web`.

use axum::http::StatusCode;
use axum::Router;
use chrono::{DateTime, SubsecRound, Utc};
use kerro_core::{CoreError, ErrorCode};
use kerro_store::{Store, StoreError};
use std::sync::Arc;

use crate::config::Config;

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

/// The whole application: the API's routes beside the pages' routes, every
/// request counted and timed under its route (`telemetry`, whose recorder
/// this installs on first use).
pub fn router(state: AppState) -> Router {
    let _ = crate::telemetry::handle();
    crate::http::router(state.clone())
        .merge(crate::web::router(state))
        .layer(axum::middleware::from_fn(crate::telemetry::track))
}

/// A failed request: the domain's error with its code. The API answers it as
/// `{"error":{"code","message","field"}}`, a page as an error page; both take
/// the status from [`status_of`].
#[derive(Debug)]
pub struct AppError(pub CoreError);

impl AppError {
    pub fn status(&self) -> StatusCode {
        status_of(self.0.code)
    }
}

impl From<CoreError> for AppError {
    fn from(e: CoreError) -> Self {
        AppError(e)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        let core = e.to_core();
        if matches!(core.code, ErrorCode::Internal | ErrorCode::Unavailable) {
            tracing::error!(error = %e, "store error");
        }
        AppError(core)
    }
}

/// Whether `raw` has the shape of kerro's ids with `prefix` (`dec_`, `cmp_`, `rr_`): a ULID after it.
pub fn well_formed_id(raw: &str, prefix: &str) -> bool {
    raw.len() == prefix.len() + 26
        && raw.starts_with(prefix)
        && raw[prefix.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric())
}

/// The one place an error code becomes an HTTP status.
pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InvalidRequest => StatusCode::BAD_REQUEST,
        ErrorCode::InvalidValue
        | ErrorCode::Minimisation
        | ErrorCode::NoLegalBasis
        | ErrorCode::SpecialCategory
        | ErrorCode::UnknownDecision
        | ErrorCode::NotOptedIn => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Gone => StatusCode::GONE,
        ErrorCode::Conflict | ErrorCode::StaleNotice => StatusCode::CONFLICT,
        ErrorCode::Unauthenticated | ErrorCode::TokenRevoked | ErrorCode::TokenExpired => {
            StatusCode::UNAUTHORIZED
        }
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::ReasonRequired => StatusCode::BAD_REQUEST,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
        ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Runs a blocking store call off the async runtime.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, AppError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(AppError::from),
        Err(e) => {
            tracing::error!("store task failed: {e}");
            Err(AppError(CoreError::new(
                ErrorCode::Internal,
                "internal error; nothing was changed",
            )))
        }
    }
}

/// A file to download: `Content-Disposition: attachment` with `name`, never cached.
pub fn attachment(
    content_type: &'static str,
    name: &str,
    body: Vec<u8>,
) -> axum::response::Response {
    use axum::http::{header, HeaderValue};
    use axum::response::IntoResponse;
    let mut resp = (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}
