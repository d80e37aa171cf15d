//! Dates and times without a clock: checked arithmetic on instants and the one
//! strict reading of a calendar date. Every instant arrives as a parameter
//! (often from a client), so nothing here may panic: arithmetic saturates at
//! chrono's range instead of overflowing, and a date is read only in exactly
//! the form kerro stores.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

/// The earliest date answer kerro accepts, in the form it is stored.
pub const MIN_DATE: &str = "0001-01-01";
/// The latest date answer kerro accepts, in the form it is stored.
pub const MAX_DATE: &str = "9999-12-31";

/// `t` minus `days` days, saturating at chrono's earliest (or, for negative
/// `days`, latest) instant instead of panicking.
pub fn days_before(t: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    TimeDelta::try_days(days)
        .and_then(|d| t.checked_sub_signed(d))
        .unwrap_or(if days >= 0 {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        })
}

/// `t` plus `days` days, saturating at chrono's latest (or, for negative
/// `days`, earliest) instant instead of panicking.
pub fn days_after(t: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    TimeDelta::try_days(days)
        .and_then(|d| t.checked_add_signed(d))
        .unwrap_or(if days >= 0 {
            DateTime::<Utc>::MAX_UTC
        } else {
            DateTime::<Utc>::MIN_UTC
        })
}

/// `t` plus `by` (a TTL, say), saturating at chrono's range instead of panicking.
pub fn after(t: DateTime<Utc>, by: TimeDelta) -> DateTime<Utc> {
    t.checked_add_signed(by)
        .unwrap_or(if by >= TimeDelta::zero() {
            DateTime::<Utc>::MAX_UTC
        } else {
            DateTime::<Utc>::MIN_UTC
        })
}

/// Reads a calendar date in exactly the ISO 8601 form `YYYY-MM-DD`: ten ASCII
/// characters, a four-digit year from 0001 to 9999, a two-digit month and day,
/// and a day that exists. No sign, no spaces, no time, no short fields: chrono's
/// `%Y-%m-%d` accepts `2020-1-1` and `+2020-01-01`, which would then compare
/// wrongly as text.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let &[y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = s.as_bytes() else {
        return None;
    };
    let digits = [y0, y1, y2, y3, m0, m1, d0, d1];
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = |ds: &[u8]| {
        ds.iter()
            .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
    };
    let (year, month, day) = (n(&digits[..4]), n(&digits[4..6]), n(&digits[6..]));
    if year == 0 {
        return None;
    }
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

/// A date in the form kerro stores (`YYYY-MM-DD`); what `parse_date` reads back.
pub fn format_date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
    }

    #[test]
    fn arithmetic_saturates_at_the_range() {
        let (min, max) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
        let one = TimeDelta::days(1);
        // (start, days, days_before, days_after)
        let cases = [
            (at(2026, 3, 8), 7, at(2026, 3, 1), at(2026, 3, 15)),
            (at(2026, 3, 8), 0, at(2026, 3, 8), at(2026, 3, 8)),
            (at(2026, 3, 8), -7, at(2026, 3, 15), at(2026, 3, 1)),
            (min, 7, min, min + TimeDelta::days(7)),
            (min + one, 7, min, min + TimeDelta::days(8)),
            (max, 7, max - TimeDelta::days(7), max),
            (max, -7, max, max - TimeDelta::days(7)),
            (min, -7, min + TimeDelta::days(7), min),
            (at(2026, 3, 8), i64::from(u32::MAX), min, max),
            (at(2026, 3, 8), i64::MAX, min, max),
            (at(2026, 3, 8), i64::MIN, max, min),
        ];
        for (t, days, before, later) in cases {
            assert_eq!(days_before(t, days), before, "{t} - {days} days");
            assert_eq!(days_after(t, days), later, "{t} + {days} days");
        }
        assert_eq!(after(max, one), max);
        assert_eq!(after(min, -one), min);
        assert_eq!(after(at(2026, 3, 8), one), at(2026, 3, 9));
    }

    #[test]
    fn dates_are_read_only_in_the_stored_form() {
        // (input, canonical form if accepted)
        let cases = [
            ("2020-01-01", Some("2020-01-01")),
            ("0001-01-01", Some("0001-01-01")),
            ("9999-12-31", Some("9999-12-31")),
            ("2020-02-29", Some("2020-02-29")),
            ("2021-02-29", None),
            ("0000-01-01", None),
            ("2020-1-1", None),
            (" 2020-01-01", None),
            ("2020-01-01 ", None),
            ("+2020-01-01", None),
            ("-262143-01-01", None),
            ("2020-01-01T00:00:00Z", None),
            ("20200101", None),
            ("2020-13-01", None),
            ("2020-00-10", None),
            ("2020-01-00", None),
            ("2020/01/01", None),
            ("２０２０-01-01", None),
            ("", None),
        ];
        for (input, expected) in cases {
            let got = parse_date(input).map(format_date);
            assert_eq!(got.as_deref(), expected, "{input:?}");
        }
        assert_eq!(
            parse_date(MIN_DATE).map(format_date).as_deref(),
            Some(MIN_DATE)
        );
        assert_eq!(
            parse_date(MAX_DATE).map(format_date).as_deref(),
            Some(MAX_DATE)
        );
    }
}
