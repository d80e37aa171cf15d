//! The one table of error codes. The server maps each code to an HTTP status
//! in a single function; clients see `{"error":{"code","message","field"}}`.

use std::fmt;

/// A stable, snake_case error code. Adding a variant is an API change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The body is not valid JSON, or not the shape the endpoint takes.
    InvalidRequest,
    /// A value is well-formed JSON but breaks a rule of the schema.
    InvalidValue,
    /// A referenced purpose, attribute, form, subject or record does not exist.
    NotFound,
    /// The subject was erased; only pseudonymous proof remains.
    Gone,
    /// A unique key is already taken.
    Conflict,
    /// The submission was made against an older notice than the form's current one.
    StaleNotice,
    /// Data minimisation (P8): the field is not needed by any purpose that allows it.
    Minimisation,
    /// No purpose of the attribute has an active legal basis for this subject.
    NoLegalBasis,
    /// Special-category data (P10) used where it is not allowed.
    SpecialCategory,
    /// No or unknown credentials.
    Unauthenticated,
    /// A staff API token that was revoked (or whose person was deactivated).
    TokenRevoked,
    /// A staff API token past its expiry.
    TokenExpired,
    /// Credentials are valid but do not allow this call.
    Forbidden,
    /// A person's read of one subject's personal data without a `Kerro-Access-Reason` header.
    ReasonRequired,
    /// Too many requests from this client, account or token; try again after `Retry-After`.
    RateLimited,
    /// A delivery report names no decision that chose that offer for a message.
    UnknownDecision,
    /// The subject did not opt in to the channel (for the offer's purpose).
    NotOptedIn,
    /// The body is larger than the endpoint accepts.
    PayloadTooLarge,
    /// The body did not arrive within the server's body timeout; nothing was changed.
    RequestTimeout,
    /// The path exists but not with this HTTP method.
    MethodNotAllowed,
    /// The store is unreachable or failed; nothing was changed.
    Unavailable,
    /// A bug; the request changed nothing.
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidValue => "invalid_value",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Gone => "gone",
            ErrorCode::Conflict => "conflict",
            ErrorCode::StaleNotice => "stale_notice",
            ErrorCode::Minimisation => "minimisation",
            ErrorCode::NoLegalBasis => "no_legal_basis",
            ErrorCode::SpecialCategory => "special_category",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::TokenRevoked => "token_revoked",
            ErrorCode::TokenExpired => "token_expired",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::ReasonRequired => "reason_required",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::UnknownDecision => "unknown_decision",
            ErrorCode::NotOptedIn => "not_opted_in",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::RequestTimeout => "request_timeout",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
        }
    }

    /// Every code, for documentation and tests.
    pub const ALL: [ErrorCode; 22] = [
        ErrorCode::InvalidRequest,
        ErrorCode::InvalidValue,
        ErrorCode::NotFound,
        ErrorCode::Gone,
        ErrorCode::Conflict,
        ErrorCode::StaleNotice,
        ErrorCode::Minimisation,
        ErrorCode::NoLegalBasis,
        ErrorCode::SpecialCategory,
        ErrorCode::Unauthenticated,
        ErrorCode::TokenRevoked,
        ErrorCode::TokenExpired,
        ErrorCode::Forbidden,
        ErrorCode::ReasonRequired,
        ErrorCode::RateLimited,
        ErrorCode::UnknownDecision,
        ErrorCode::NotOptedIn,
        ErrorCode::PayloadTooLarge,
        ErrorCode::RequestTimeout,
        ErrorCode::MethodNotAllowed,
        ErrorCode::Unavailable,
        ErrorCode::Internal,
    ];
}

/// A domain error: a code, a human message and, where one field is at fault, its path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CoreError {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
    /// For `rate_limited`: whole seconds until a retry is allowed (`Retry-After`).
    pub retry_after: Option<u64>,
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{} ({}): {}", self.code.as_str(), field, self.message),
            None => write!(f, "{}: {}", self.code.as_str(), self.message),
        }
    }
}

impl CoreError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        CoreError {
            code,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    /// `rate_limited`, retry after `seconds` (at least 1).
    pub fn rate_limited(message: impl Into<String>, seconds: u64) -> Self {
        CoreError {
            retry_after: Some(seconds.max(1)),
            ..Self::new(ErrorCode::RateLimited, message)
        }
    }

    pub fn at(code: ErrorCode, field: impl Into<String>, message: impl Into<String>) -> Self {
        CoreError {
            code,
            message: message.into(),
            field: Some(field.into()),
            retry_after: None,
        }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::at(ErrorCode::InvalidValue, field, message)
    }

    pub fn not_found(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::at(ErrorCode::NotFound, field, message)
    }
}

pub type CoreResult<T> = Result<T, CoreError>;
