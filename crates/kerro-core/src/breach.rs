//! The breach register's rules (P25, GDPR art. 33 and 34): what a report
//! must contain and how long its texts may be, the 72-hour deadline, the
//! phases a breach goes through, what an update may amend, when a
//! notification to the authority is late (and then needs its reason), and
//! the window an affected-subjects scope reads. No storage and no clock: the
//! caller passes `now`.

use chrono::{DateTime, TimeDelta, Utc};

use crate::error::{CoreError, CoreResult};

/// The authority must be notified within this many hours of awareness (art. 33(1)).
pub const DEADLINE_HOURS: i64 = 72;
/// The longest free text (nature, consequences, measures, an update, a late reason), in characters.
pub const MAX_TEXT: usize = 10_000;
/// The longest short text (contact point, authority reference, one category), in characters.
pub const MAX_SHORT: usize = 500;
/// The most categories of data or of subjects in one list.
pub const MAX_CATEGORIES: usize = 50;
/// The largest approximate number of subjects or records taken.
pub const MAX_APPROX: u64 = 10_000_000_000;
/// The most actors or fields one scope may name.
pub const MAX_SCOPE_NAMES: usize = 100;

/// A time the register keeps: from 1970 up to the end of year 9999, so it
/// reads back as RFC 3339 (chrono's range reaches years that format does not).
pub fn check_time(field: &str, t: DateTime<Utc>) -> CoreResult<()> {
    let ok = t.timestamp() >= 0 && t.timestamp() < 253_402_300_800;
    if ok {
        Ok(())
    } else {
        Err(CoreError::invalid(
            field,
            "a time between 1970-01-01 and 9999-12-31",
        ))
    }
}

/// When the notification is due: `aware_at` + 72 h.
pub fn deadline(aware_at: DateTime<Utc>) -> DateTime<Utc> {
    crate::time::after(aware_at, TimeDelta::hours(DEADLINE_HOURS))
}

/// Whether a notification at `notified_at` is past the deadline.
pub fn is_late(aware_at: DateTime<Utc>, notified_at: DateTime<Utc>) -> bool {
    notified_at > deadline(aware_at)
}

/// Where a breach is in its handling; each update may move it on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Found and being looked into (every breach starts here).
    Investigating,
    /// The cause is stopped; the consequences are being handled.
    Contained,
    /// Handled; nothing more is expected to happen.
    Resolved,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Investigating, Stage::Contained, Stage::Resolved];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Investigating => "investigating",
            Stage::Contained => "contained",
            Stage::Resolved => "resolved",
        }
    }

    pub fn parse(raw: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// The art. 33(3) content of a report, as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub nature: String,
    pub data_categories: Vec<String>,
    pub subject_categories: Vec<String>,
    pub approx_subjects: Option<u64>,
    pub approx_records: Option<u64>,
    pub contact_point: String,
    pub likely_consequences: String,
    pub measures: String,
}

/// What one update changes in the report; `None` leaves a field as it is.
/// Serialised, it is the fields it changes (as the update stores them).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Amendment {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nature: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_categories: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_categories: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approx_subjects: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approx_records: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_point: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub likely_consequences: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measures: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
}

impl Amendment {
    /// The names of the fields it changes, in the report's order.
    pub fn fields(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut note = |set: bool, name: &'static str| {
            if set {
                out.push(name);
            }
        };
        note(self.nature.is_some(), "nature");
        note(self.data_categories.is_some(), "data_categories");
        note(self.subject_categories.is_some(), "subject_categories");
        note(self.approx_subjects.is_some(), "approx_subjects");
        note(self.approx_records.is_some(), "approx_records");
        note(self.contact_point.is_some(), "contact_point");
        note(self.likely_consequences.is_some(), "likely_consequences");
        note(self.measures.is_some(), "measures");
        note(self.stage.is_some(), "stage");
        out
    }
}

impl Report {
    /// The report with `a`'s fields put in.
    pub fn amended(&self, a: &Amendment) -> Report {
        let mut r = self.clone();
        if let Some(v) = &a.nature {
            r.nature = v.clone();
        }
        if let Some(v) = &a.data_categories {
            r.data_categories = v.clone();
        }
        if let Some(v) = &a.subject_categories {
            r.subject_categories = v.clone();
        }
        if a.approx_subjects.is_some() {
            r.approx_subjects = a.approx_subjects;
        }
        if a.approx_records.is_some() {
            r.approx_records = a.approx_records;
        }
        if let Some(v) = &a.contact_point {
            r.contact_point = v.clone();
        }
        if let Some(v) = &a.likely_consequences {
            r.likely_consequences = v.clone();
        }
        if let Some(v) = &a.measures {
            r.measures = v.clone();
        }
        r
    }
}

/// A text of 1 to `max` characters, not blank, without control characters
/// other than line breaks and tabs.
pub fn check_text(field: &str, raw: &str, max: usize) -> CoreResult<()> {
    if raw.trim().is_empty() {
        return Err(CoreError::invalid(field, "must not be blank"));
    }
    if raw.chars().count() > max {
        return Err(CoreError::invalid(
            field,
            format!("at most {max} characters"),
        ));
    }
    if raw
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(CoreError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// A one-line text: [`check_text`] without line breaks.
fn check_line(field: &str, raw: &str, max: usize) -> CoreResult<()> {
    check_text(field, raw, max)?;
    if raw.contains(['\n', '\r', '\t']) {
        return Err(CoreError::invalid(field, "must be one line"));
    }
    Ok(())
}

fn check_categories(field: &str, list: &[String]) -> CoreResult<()> {
    if list.is_empty() {
        return Err(CoreError::invalid(field, "name at least one category"));
    }
    if list.len() > MAX_CATEGORIES {
        return Err(CoreError::invalid(
            field,
            format!("at most {MAX_CATEGORIES} categories"),
        ));
    }
    for (i, c) in list.iter().enumerate() {
        check_line(&format!("{field}[{i}]"), c, MAX_SHORT)?;
    }
    Ok(())
}

fn check_approx(field: &str, n: Option<u64>) -> CoreResult<()> {
    match n {
        Some(n) if n > MAX_APPROX => {
            Err(CoreError::invalid(field, format!("at most {MAX_APPROX}")))
        }
        _ => Ok(()),
    }
}

/// A new report: when the controller became aware (not after `now`) and its content.
pub fn check_report(aware_at: DateTime<Utc>, r: &Report, now: DateTime<Utc>) -> CoreResult<()> {
    check_time("aware_at", aware_at)?;
    if aware_at > now {
        return Err(CoreError::invalid(
            "aware_at",
            "the time of awareness must not be in the future",
        ));
    }
    check_text("nature", &r.nature, MAX_TEXT)?;
    check_categories("data_categories", &r.data_categories)?;
    check_categories("subject_categories", &r.subject_categories)?;
    check_approx("approx_subjects", r.approx_subjects)?;
    check_approx("approx_records", r.approx_records)?;
    check_line("contact_point", &r.contact_point, MAX_SHORT)?;
    check_text("likely_consequences", &r.likely_consequences, MAX_TEXT)?;
    check_text("measures", &r.measures, MAX_TEXT)
}

/// An update: its text, and each field it amends checked as a report's is.
pub fn check_update(text: &str, a: &Amendment) -> CoreResult<()> {
    check_text("text", text, MAX_TEXT)?;
    if let Some(v) = &a.nature {
        check_text("nature", v, MAX_TEXT)?;
    }
    if let Some(v) = &a.data_categories {
        check_categories("data_categories", v)?;
    }
    if let Some(v) = &a.subject_categories {
        check_categories("subject_categories", v)?;
    }
    check_approx("approx_subjects", a.approx_subjects)?;
    check_approx("approx_records", a.approx_records)?;
    if let Some(v) = &a.contact_point {
        check_line("contact_point", v, MAX_SHORT)?;
    }
    if let Some(v) = &a.likely_consequences {
        check_text("likely_consequences", v, MAX_TEXT)?;
    }
    if let Some(v) = &a.measures {
        check_text("measures", v, MAX_TEXT)?;
    }
    Ok(())
}

/// A notification to the supervisory authority: not before awareness, not
/// in the future, with the authority's reference; one past the deadline
/// needs its reason (art. 33(1)). Returns whether it is late.
pub fn check_notification(
    aware_at: DateTime<Utc>,
    notified_at: DateTime<Utc>,
    authority_ref: &str,
    late_reason: Option<&str>,
    now: DateTime<Utc>,
) -> CoreResult<bool> {
    check_line("authority_ref", authority_ref, MAX_SHORT)?;
    check_time("notified_at", notified_at)?;
    if notified_at > now {
        return Err(CoreError::invalid(
            "notified_at",
            "the time of notification must not be in the future",
        ));
    }
    if notified_at < aware_at {
        return Err(CoreError::invalid(
            "notified_at",
            "the authority cannot be notified before the breach was known (aware_at)",
        ));
    }
    let late = is_late(aware_at, notified_at);
    match late_reason {
        Some(r) => check_text("late_reason", r, MAX_TEXT)?,
        None if late => {
            return Err(CoreError::invalid(
                "late_reason",
                "the notification is after the deadline (aware_at + 72 h): give the reasons for the delay",
            ))
        }
        None => {}
    }
    Ok(late)
}

/// The time window of a scope: `to` not before `from`.
pub fn check_window(from: DateTime<Utc>, to: DateTime<Utc>) -> CoreResult<()> {
    check_time("from", from)?;
    check_time("to", to)?;
    if to < from {
        return Err(CoreError::invalid("to", "must not be before from"));
    }
    Ok(())
}

/// A staff account's (`stf_…`) or an API token's (`tok_…`) id as the audit log names them.
pub fn is_staff_or_token_id(raw: &str) -> bool {
    (raw.starts_with("stf_") || raw.starts_with("tok_"))
        && (5..=64).contains(&raw.len())
        && raw[4..].bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The actors and fields of a scope: staff or token ids, and field names
/// as audit entries name them (`declarations`, `email`, …).
pub fn check_scope_names(actors: &[String], fields: &[String]) -> CoreResult<()> {
    if actors.len() > MAX_SCOPE_NAMES {
        return Err(CoreError::invalid(
            "actors",
            format!("at most {MAX_SCOPE_NAMES} actors"),
        ));
    }
    for (i, a) in actors.iter().enumerate() {
        if !is_staff_or_token_id(a) {
            return Err(CoreError::invalid(
                format!("actors[{i}]"),
                "name a staff account (stf_…) or an API token (tok_…) by its id",
            ));
        }
    }
    if fields.len() > MAX_SCOPE_NAMES {
        return Err(CoreError::invalid(
            "fields",
            format!("at most {MAX_SCOPE_NAMES} fields"),
        ));
    }
    for (i, f) in fields.iter().enumerate() {
        let ok = !f.is_empty()
            && f.len() <= 100
            && f.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-/.".contains(&b));
        if !ok {
            return Err(CoreError::invalid(
                format!("fields[{i}]"),
                "a field as audit entries name it: a-z, 0-9, '_', '-', '/', '.'",
            ));
        }
    }
    Ok(())
}

/// How long until the deadline (negative once it passed).
pub fn remaining(aware_at: DateTime<Utc>, now: DateTime<Utc>) -> TimeDelta {
    deadline(aware_at) - now
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, h, m, 0).unwrap()
    }

    fn report() -> Report {
        Report {
            nature: "A laptop was stolen".into(),
            data_categories: vec!["contact".into()],
            subject_categories: vec!["customers".into()],
            approx_subjects: Some(10),
            approx_records: None,
            contact_point: "dpo@example.fi".into(),
            likely_consequences: "phishing".into(),
            measures: "disk encrypted, keys rotated".into(),
        }
    }

    #[test]
    fn the_deadline_is_72_hours_after_awareness() {
        assert_eq!(
            deadline(t(9, 0)),
            Utc.with_ymd_and_hms(2026, 3, 4, 9, 0, 0).unwrap()
        );
        let last = deadline(t(9, 0));
        assert!(!is_late(t(9, 0), last));
        assert!(is_late(t(9, 0), last + TimeDelta::seconds(1)));
        assert_eq!(remaining(t(9, 0), t(10, 0)), TimeDelta::hours(71));
        // Saturates instead of overflowing.
        assert_eq!(deadline(DateTime::<Utc>::MAX_UTC), DateTime::<Utc>::MAX_UTC);
    }

    #[test]
    fn reports_are_checked() {
        let now = t(12, 0);
        assert!(check_report(t(9, 0), &report(), now).is_ok());
        let field = |aware, r: Report| check_report(aware, &r, now).unwrap_err().field.unwrap();
        assert_eq!(field(t(13, 0), report()), "aware_at");
        assert_eq!(field(DateTime::<Utc>::MIN_UTC, report()), "aware_at");
        assert_eq!(
            field(
                Utc.with_ymd_and_hms(1969, 12, 31, 23, 59, 59).unwrap(),
                report()
            ),
            "aware_at"
        );
        for (r, f) in [
            (
                Report {
                    nature: " ".into(),
                    ..report()
                },
                "nature",
            ),
            (
                Report {
                    nature: "x".repeat(MAX_TEXT + 1),
                    ..report()
                },
                "nature",
            ),
            (
                Report {
                    data_categories: vec![],
                    ..report()
                },
                "data_categories",
            ),
            (
                Report {
                    data_categories: vec!["a\nb".into()],
                    ..report()
                },
                "data_categories[0]",
            ),
            (
                Report {
                    subject_categories: vec!["x".into(); MAX_CATEGORIES + 1],
                    ..report()
                },
                "subject_categories",
            ),
            (
                Report {
                    approx_records: Some(MAX_APPROX + 1),
                    ..report()
                },
                "approx_records",
            ),
            (
                Report {
                    contact_point: "a\u{0}b".into(),
                    ..report()
                },
                "contact_point",
            ),
            (
                Report {
                    likely_consequences: "".into(),
                    ..report()
                },
                "likely_consequences",
            ),
            (
                Report {
                    measures: "".into(),
                    ..report()
                },
                "measures",
            ),
        ] {
            assert_eq!(field(t(9, 0), r), f);
        }
    }

    #[test]
    fn a_late_notification_needs_its_reason() {
        let aware = t(9, 0);
        let now = deadline(aware) + TimeDelta::hours(10);
        let on_time = deadline(aware);
        assert_eq!(
            check_notification(aware, on_time, "REF-1", None, now),
            Ok(false)
        );
        let late = deadline(aware) + TimeDelta::minutes(1);
        let e = check_notification(aware, late, "REF-1", None, now).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("late_reason"));
        assert_eq!(e.code, crate::ErrorCode::InvalidValue);
        assert_eq!(
            check_notification(aware, late, "REF-1", Some("the weekend"), now),
            Ok(true)
        );
        let f = |at, r: &str| {
            check_notification(aware, at, r, None, now)
                .unwrap_err()
                .field
                .unwrap()
        };
        assert_eq!(f(now + TimeDelta::seconds(1), "R"), "notified_at");
        assert_eq!(f(aware - TimeDelta::seconds(1), "R"), "notified_at");
        assert_eq!(f(on_time, ""), "authority_ref");
        assert_eq!(
            check_notification(aware, late, "R", Some(" "), now)
                .unwrap_err()
                .field
                .as_deref(),
            Some("late_reason")
        );
    }

    #[test]
    fn updates_amend_only_what_they_name() {
        let a = Amendment {
            approx_subjects: Some(12),
            measures: Some("more".into()),
            stage: Some(Stage::Contained),
            ..Amendment::default()
        };
        assert_eq!(a.fields(), ["approx_subjects", "measures", "stage"]);
        let r = report().amended(&a);
        assert_eq!(r.approx_subjects, Some(12));
        assert_eq!(r.measures, "more");
        assert_eq!(r.nature, report().nature);
        assert!(check_update("found more", &a).is_ok());
        assert_eq!(
            check_update("", &a).unwrap_err().field.as_deref(),
            Some("text")
        );
        let bad = Amendment {
            data_categories: Some(vec![]),
            ..Amendment::default()
        };
        assert_eq!(
            check_update("x", &bad).unwrap_err().field.as_deref(),
            Some("data_categories")
        );
    }

    #[test]
    fn scopes_are_checked() {
        assert!(check_window(t(9, 0), t(9, 0)).is_ok());
        assert_eq!(
            check_window(t(9, 0), DateTime::<Utc>::MAX_UTC)
                .unwrap_err()
                .field
                .as_deref(),
            Some("to")
        );
        let y9999 = Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap();
        assert!(check_window(t(9, 0), y9999).is_ok());
        assert_eq!(
            check_window(t(9, 0), t(8, 0)).unwrap_err().field.as_deref(),
            Some("to")
        );
        assert!(check_scope_names(
            &["tok_01HZX".into(), "stf_ABC".into()],
            &["declarations".into(), "email".into()]
        )
        .is_ok());
        for (actors, fields, f) in [
            (vec!["admin".to_owned()], vec![], "actors[0]"),
            (vec!["tok_".to_owned()], vec![], "actors[0]"),
            (vec!["tok_a:b".to_owned()], vec![], "actors[0]"),
            (vec![], vec!["Email".to_owned()], "fields[0]"),
            (vec![], vec!["".to_owned()], "fields[0]"),
            (
                vec!["tok_a".to_owned(); MAX_SCOPE_NAMES + 1],
                vec![],
                "actors",
            ),
        ] {
            assert_eq!(
                check_scope_names(&actors, &fields)
                    .unwrap_err()
                    .field
                    .unwrap(),
                f
            );
        }
        assert_eq!(Stage::parse("contained"), Some(Stage::Contained));
        assert_eq!(Stage::parse("closed"), None);
    }
}
