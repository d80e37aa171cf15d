//! The rules of staff identity, without I/O: an account's states, what a name,
//! a password and an access reason must be, how long an API token may live,
//! and how long an account is locked after repeated wrong passwords or codes.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, CoreResult};

/// Where a staff account is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum StaffState {
    /// Created; the person has not yet set a password (and, where the role needs one, a second factor).
    Invited,
    /// May sign in.
    Active,
    /// Signed out everywhere, its tokens revoked; kept for the audit log's names.
    Deactivated,
}

impl StaffState {
    pub fn as_str(self) -> &'static str {
        match self {
            StaffState::Invited => "invited",
            StaffState::Active => "active",
            StaffState::Deactivated => "deactivated",
        }
    }

    pub fn parse(raw: &str) -> Option<StaffState> {
        [
            StaffState::Invited,
            StaffState::Active,
            StaffState::Deactivated,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// Passwords are at least this many characters (NIST SP 800-63B with no other composition rule).
pub const PASSWORD_MIN_CHARS: usize = 12;
/// And at most this many, so hashing one stays cheap.
pub const PASSWORD_MAX_CHARS: usize = 128;
/// How long an invite link is valid.
pub const INVITE_HOURS: i64 = 72;
/// An API token's lifetime when none is asked for, and the longest allowed.
pub const TOKEN_DEFAULT_DAYS: u32 = 90;
pub const TOKEN_MAX_DAYS: u32 = 365;
/// Wrong passwords or codes in a row before the account is locked.
pub const FREE_FAILURES: u32 = 5;
/// The first lock, doubled with each further failure, up to the longest.
pub const FIRST_LOCK_SECONDS: i64 = 30;
pub const LONGEST_LOCK_SECONDS: i64 = 3600;
/// Staff sessions end after this long without a request, and at the latest after the absolute limit.
pub const SESSION_IDLE_MINUTES: i64 = 30;
pub const SESSION_ABSOLUTE_HOURS: i64 = 12;

/// A display name: 1 to 200 characters after trimming, no control characters.
pub fn check_name(field: &str, raw: &str) -> CoreResult<String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(CoreError::invalid(field, "a name has 1 to 200 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(CoreError::invalid(
            field,
            "a name has no control characters",
        ));
    }
    Ok(name.to_owned())
}

/// A new password: 12 to 128 characters, not the person's e-mail address.
pub fn check_password(field: &str, password: &str, email: &str) -> CoreResult<()> {
    let n = password.chars().count();
    if !(PASSWORD_MIN_CHARS..=PASSWORD_MAX_CHARS).contains(&n) {
        return Err(CoreError::invalid(
            field,
            format!("a password has {PASSWORD_MIN_CHARS} to {PASSWORD_MAX_CHARS} characters"),
        ));
    }
    if password.trim().eq_ignore_ascii_case(email.trim()) {
        return Err(CoreError::invalid(
            field,
            "a password may not be the e-mail address",
        ));
    }
    Ok(())
}

/// The reason a person gives for reading one subject's personal data (P23):
/// free text of 3 to 500 characters, without control characters.
pub fn check_access_reason(raw: &str) -> CoreResult<String> {
    let reason = raw.trim();
    let n = reason.chars().count();
    if !(3..=500).contains(&n) || reason.chars().any(char::is_control) {
        return Err(CoreError::at(
            crate::ErrorCode::ReasonRequired,
            "Kerro-Access-Reason",
            "say why you read this subject's data: 3 to 500 characters without control characters",
        ));
    }
    Ok(reason.to_owned())
}

/// When an API token asked to live `days` (default 90, at most 365) expires.
pub fn token_expiry(now: DateTime<Utc>, days: Option<u32>) -> CoreResult<DateTime<Utc>> {
    let days = days.unwrap_or(TOKEN_DEFAULT_DAYS);
    if !(1..=TOKEN_MAX_DAYS).contains(&days) {
        return Err(CoreError::invalid(
            "expires_in_days",
            format!("a token lives 1 to {TOKEN_MAX_DAYS} days"),
        ));
    }
    Ok(crate::time::days_after(now, i64::from(days)))
}

/// How long an account stays locked after `failures` wrong passwords or codes in
/// a row: nothing for the first five, then 30 s, doubling with each failure, at most an hour.
pub fn lock_after(failures: u32) -> Option<Duration> {
    let over = failures.checked_sub(FREE_FAILURES)?;
    let seconds = FIRST_LOCK_SECONDS
        .saturating_mul(1_i64.checked_shl(over.min(20)).unwrap_or(i64::MAX))
        .min(LONGEST_LOCK_SECONDS);
    Some(Duration::seconds(seconds))
}

/// Whether a staff session started at `created` and last used at `seen` is still live at `now`.
pub fn session_live(created: DateTime<Utc>, seen: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    use crate::time::after;
    now < after(seen, Duration::minutes(SESSION_IDLE_MINUTES))
        && now < after(created, Duration::hours(SESSION_ABSOLUTE_HOURS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_grow_exponentially_and_stop_at_an_hour() {
        let secs = |n| lock_after(n).map(|d| d.num_seconds());
        assert_eq!(secs(4), None);
        assert_eq!(secs(5), Some(30));
        assert_eq!(secs(6), Some(60));
        assert_eq!(secs(8), Some(240));
        assert_eq!(secs(12), Some(3600));
        assert_eq!(secs(u32::MAX), Some(3600));
    }

    #[test]
    fn passwords_names_and_reasons() {
        assert!(check_password("p", "short", "a@b.fi").is_err());
        assert!(check_password("p", "correct horse battery", "a@b.fi").is_ok());
        assert!(check_password("p", "Anna@Example.fi", "anna@example.fi").is_err());
        assert!(check_password("p", &"x".repeat(129), "a@b.fi").is_err());
        assert!(check_name("name", "  ").is_err());
        assert_eq!(check_name("name", " Anna ").unwrap(), "Anna");
        assert!(check_name("name", "a\u{7}b").is_err());
        assert_eq!(
            check_access_reason("ab").unwrap_err().code,
            crate::ErrorCode::ReasonRequired
        );
        assert!(check_access_reason(&"r".repeat(501)).is_err());
        assert!(check_access_reason("ticket 4711\n").is_ok());
        assert!(check_access_reason("tic\u{0}ket").is_err());
    }

    #[test]
    fn token_lifetimes() {
        let now = "2026-03-01T09:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!((token_expiry(now, None).unwrap() - now).num_days(), 90);
        assert_eq!(
            (token_expiry(now, Some(365)).unwrap() - now).num_days(),
            365
        );
        assert!(token_expiry(now, Some(366)).is_err());
        assert!(token_expiry(now, Some(0)).is_err());
    }

    #[test]
    fn sessions_end_when_idle_or_old() {
        let t0 = "2026-03-01T09:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert!(session_live(t0, t0, t0 + Duration::minutes(29)));
        assert!(!session_live(t0, t0, t0 + Duration::minutes(30)));
        assert!(session_live(
            t0,
            t0 + Duration::hours(11),
            t0 + Duration::hours(11) + Duration::minutes(5)
        ));
        assert!(!session_live(
            t0,
            t0 + Duration::hours(12),
            t0 + Duration::hours(12) + Duration::minutes(1)
        ));
    }
}
