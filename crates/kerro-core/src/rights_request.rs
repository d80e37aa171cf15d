//! Rights requests (P15): what a request is, when it is due (one calendar
//! month from receipt, extended by at most two more), and the rules its
//! changes follow. No I/O and no clock: `now` is a parameter.

use chrono::{DateTime, Duration, Months, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, CoreResult, ErrorCode};

/// The right a request exercises (GDPR art. 15-21).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RightKind {
    Access,
    Rectification,
    Erasure,
    Restriction,
    Objection,
    Portability,
}

impl RightKind {
    pub const ALL: [RightKind; 6] = [
        RightKind::Access,
        RightKind::Rectification,
        RightKind::Erasure,
        RightKind::Restriction,
        RightKind::Objection,
        RightKind::Portability,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RightKind::Access => "access",
            RightKind::Rectification => "rectification",
            RightKind::Erasure => "erasure",
            RightKind::Restriction => "restriction",
            RightKind::Objection => "objection",
            RightKind::Portability => "portability",
        }
    }

    pub fn parse(raw: &str) -> Option<RightKind> {
        RightKind::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// How a request reached the company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequestChannel {
    Email,
    Post,
    Phone,
    InPerson,
    Web,
    Other,
    /// The customer's own action in the preference centre or through
    /// `/v1/me` (recorded by kerro, already completed; not for the API).
    SelfService,
}

impl RequestChannel {
    pub const ALL: [RequestChannel; 7] = [
        RequestChannel::Email,
        RequestChannel::Post,
        RequestChannel::Phone,
        RequestChannel::InPerson,
        RequestChannel::Web,
        RequestChannel::Other,
        RequestChannel::SelfService,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestChannel::Email => "email",
            RequestChannel::Post => "post",
            RequestChannel::Phone => "phone",
            RequestChannel::InPerson => "in_person",
            RequestChannel::Web => "web",
            RequestChannel::Other => "other",
            RequestChannel::SelfService => "self_service",
        }
    }

    pub fn parse(raw: &str) -> Option<RequestChannel> {
        RequestChannel::ALL.into_iter().find(|c| c.as_str() == raw)
    }
}

/// The longest note, reason or evidence, in characters.
pub const TEXT_MAX: usize = 2000;
/// The most a request's deadline may be extended, in months (art. 12(3)).
pub const MAX_EXTENSION_MONTHS: u32 = 2;
/// How far ahead of the server's clock `received_at` may be (clock skew).
const SKEW_MINUTES: i64 = 5;
/// How far back `received_at` may be: a request older than this is not new.
const MAX_AGE_DAYS: i64 = 366;

/// `at` plus `months` calendar months; a day the month lacks becomes its last
/// day (31 January + 1 month = 28 or 29 February).
pub fn add_months(at: DateTime<Utc>, months: u32) -> DateTime<Utc> {
    at.checked_add_months(Months::new(months))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// When a request received at `received_at` and extended by `extended` months is due.
pub fn due_at(received_at: DateTime<Utc>, extended: u32) -> DateTime<Utc> {
    add_months(received_at, 1 + extended)
}

/// Checks a new request's time of receipt against the server's clock.
pub fn check_received(received_at: DateTime<Utc>, now: DateTime<Utc>) -> CoreResult<()> {
    if received_at > now + Duration::minutes(SKEW_MINUTES) {
        return Err(CoreError::invalid(
            "received_at",
            "a request cannot be received in the future",
        ));
    }
    if received_at < now - Duration::days(MAX_AGE_DAYS) {
        return Err(CoreError::invalid(
            "received_at",
            format!("a request is recorded within {MAX_AGE_DAYS} days of its receipt"),
        ));
    }
    Ok(())
}

/// Checks a free text (`note`, `reason`, `evidence`): `required` ones are not blank.
pub fn check_text(field: &str, text: &str, required: bool) -> CoreResult<()> {
    if required && text.trim().is_empty() {
        return Err(CoreError::invalid(field, format!("{field} is required")));
    }
    if text.chars().count() > TEXT_MAX {
        return Err(CoreError::invalid(
            field,
            format!("{field} is at most {TEXT_MAX} characters"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(CoreError::invalid(
            field,
            format!("{field} has control characters"),
        ));
    }
    Ok(())
}

/// Checks an extension by `months` of a request already extended by
/// `extended`: 1 or 2 months, with a reason, at most 3 months after receipt
/// in all, and only while it is open.
pub fn check_extension(months: u32, extended: u32, reason: &str, open: bool) -> CoreResult<()> {
    if !open {
        return Err(CoreError::new(
            ErrorCode::Conflict,
            "the request is completed; it cannot be extended",
        ));
    }
    if !(1..=MAX_EXTENSION_MONTHS).contains(&months) {
        return Err(CoreError::invalid(
            "months",
            "an extension is 1 or 2 months",
        ));
    }
    check_text("reason", reason, true)?;
    if extended + months > MAX_EXTENSION_MONTHS {
        return Err(CoreError::invalid(
            "months",
            format!(
                "a request is due at most 3 months after its receipt; it is extended by {extended} already"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
    }

    #[test]
    fn one_calendar_month_ends_on_the_last_day_a_short_month_has() {
        assert_eq!(due_at(at(2027, 1, 31), 0), at(2027, 2, 28));
        assert_eq!(due_at(at(2028, 1, 31), 0), at(2028, 2, 29));
        assert_eq!(due_at(at(2027, 3, 31), 0), at(2027, 4, 30));
        assert_eq!(due_at(at(2027, 1, 15), 0), at(2027, 2, 15));
        assert_eq!(due_at(at(2026, 12, 31), 0), at(2027, 1, 31));
        // Extended by two more: three months after receipt in all.
        assert_eq!(due_at(at(2027, 1, 31), 2), at(2027, 4, 30));
        assert_eq!(
            due_at(DateTime::<Utc>::MAX_UTC, 2),
            DateTime::<Utc>::MAX_UTC
        );
    }

    #[test]
    fn extensions_are_bounded_and_need_a_reason() {
        assert!(check_extension(1, 0, "many requests", true).is_ok());
        assert!(check_extension(2, 0, "complex", true).is_ok());
        assert!(check_extension(1, 1, "still complex", true).is_ok());
        let field = |r: CoreResult<()>| r.unwrap_err().field.unwrap_or_default();
        assert_eq!(field(check_extension(2, 1, "too far", true)), "months");
        assert_eq!(field(check_extension(3, 0, "too far", true)), "months");
        assert_eq!(field(check_extension(0, 0, "none", true)), "months");
        assert_eq!(field(check_extension(1, 0, "  ", true)), "reason");
        assert_eq!(
            check_extension(1, 0, "done", false).unwrap_err().code,
            ErrorCode::Conflict
        );
    }

    #[test]
    fn receipt_is_not_in_the_future_nor_long_ago() {
        let now = at(2027, 6, 1);
        assert!(check_received(now, now).is_ok());
        assert!(check_received(now + Duration::minutes(4), now).is_ok());
        assert!(check_received(now + Duration::minutes(6), now).is_err());
        assert!(check_received(now - Duration::days(400), now).is_err());
        assert!(check_text("note", &"x".repeat(TEXT_MAX + 1), false).is_err());
        assert!(check_text("note", "", false).is_ok());
        assert!(check_text("evidence", "", true).is_err());
        assert!(check_text("note", "a\u{0}b", false).is_err());
    }
}
