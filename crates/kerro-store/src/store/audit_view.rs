//! Reading the audit log for the staff's viewer and its exports: filters by
//! actor, subject, action and time range, newest first, a page at a time.
//! Every read is itself recorded in the audit log before its rows are
//! returned. The rows are read on a reader connection and the record is a
//! write of its own right after, so a large export never holds the writer;
//! if the record cannot be written, no rows are returned.
//! What a filter may look like (dates, lengths) is checked by the caller.

use chrono::{DateTime, NaiveDate, Utc};
use kerro_core::{Actor, SubjectId};
use serde_json::{json, Value};

use super::audit::{record, AuditAction};
use super::Store;
use crate::error::StoreResult;
use crate::sql::{Row, Val};

/// Which audit entries to read. Every field narrows; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// The actor as stored (`staff:admin:tok_…`, `subject`, `system:cli`), or
    /// a leading part of it that ends before a `:` (`staff`, `staff:admin`).
    pub actor: Option<String>,
    pub subject: Option<SubjectId>,
    /// An action name (see `audit::ACTIONS`).
    pub action: Option<String>,
    /// The first day (UTC) included.
    pub from: Option<NaiveDate>,
    /// The last day (UTC) included.
    pub to: Option<NaiveDate>,
    /// Only entries numbered below this (the next page).
    pub before: Option<i64>,
}

impl AuditFilter {
    /// The filter as the audit record of a read names it.
    fn describe(&self) -> Value {
        let mut v = json!({});
        if let Some(a) = &self.actor {
            v["actor"] = json!(a);
        }
        if let Some(s) = &self.subject {
            v["subject"] = json!(s.as_str());
        }
        if let Some(a) = &self.action {
            v["action"] = json!(a);
        }
        if let Some(d) = self.from {
            v["from"] = json!(kerro_core::time::format_date(d));
        }
        if let Some(d) = self.to {
            v["to"] = json!(kerro_core::time::format_date(d));
        }
        if let Some(b) = self.before {
            v["before"] = json!(b);
        }
        v
    }
}

/// One audit entry as stored (the detail is its JSON text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub seq: i64,
    pub time: String,
    pub actor: String,
    pub action: String,
    pub subject: Option<String>,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// A page of entries, newest first, and whether older ones match too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    pub more: bool,
}

/// The start of a UTC day as stored times spell it (they compare as text).
fn day_start(d: NaiveDate) -> String {
    format!("{}T00:00:00.000000Z", kerro_core::time::format_date(d))
}

fn from_row(r: &Row) -> StoreResult<AuditRow> {
    Ok(AuditRow {
        seq: r.get(0)?,
        time: r.get(1)?,
        actor: r.get(2)?,
        action: r.get(3)?,
        subject: r.get(4)?,
        detail: r.get(5)?,
        prev_hash: r.get(6)?,
        hash: r.get(7)?,
    })
}

impl Store {
    /// At most `limit` entries matching `filter`, newest first; the read is
    /// recorded as `audit_log_read` by `actor` at `now` with its `format`
    /// (`page`, `csv` or `json`) before the rows are returned.
    pub fn audit_log(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        filter: &AuditFilter,
        limit: usize,
        format: &'static str,
    ) -> StoreResult<AuditPage> {
        let f = filter.clone();
        let mut rows = self.read(move |conn| {
            let mut sql = "SELECT seq, time, actor, action, subject_id, detail, prev_hash, hash \
                           FROM audit_log WHERE 1 = 1"
                .to_owned();
            let mut vals: Vec<Val> = Vec::new();
            let mut param = |v: Val| {
                vals.push(v);
                format!("?{}", vals.len())
            };
            if let Some(a) = &f.actor {
                // A bare staff id (`stf_…` a person, `tok_…` a token) matches it under
                // every role it had, and its acts on a subject's behalf.
                let labels: Vec<String> = if is_staff_id(a) {
                    kerro_core::Role::ALL
                        .iter()
                        .map(|r| format!("staff:{r}:{a}"))
                        .collect()
                } else {
                    vec![a.clone()]
                };
                let mut any = Vec::new();
                for label in labels {
                    let len = label.chars().count() as i64 + 1;
                    let exact = param(Val::Text(label.clone()));
                    let prefix = param(Val::Text(format!("{label}:")));
                    let len = param(Val::Int(len));
                    any.push(format!(
                        "actor = {exact} OR substr(actor, 1, {len}) = {prefix}"
                    ));
                }
                sql.push_str(&format!(" AND ({})", any.join(" OR ")));
            }
            if let Some(s) = &f.subject {
                let p = param(Val::Text(s.as_str().to_owned()));
                sql.push_str(&format!(" AND subject_id = {p}"));
            }
            if let Some(a) = &f.action {
                let p = param(Val::Text(a.clone()));
                sql.push_str(&format!(" AND action = {p}"));
            }
            if let Some(d) = f.from {
                let p = param(Val::Text(day_start(d)));
                sql.push_str(&format!(" AND time >= {p}"));
            }
            if let Some(d) = f.to {
                let next =
                    kerro_core::time::days_after(d.and_time(chrono::NaiveTime::MIN).and_utc(), 1);
                let p = param(Val::Text(day_start(next.date_naive())));
                sql.push_str(&format!(" AND time < {p}"));
            }
            if let Some(b) = f.before {
                let p = param(Val::Int(b));
                sql.push_str(&format!(" AND seq < {p}"));
            }
            let p = param(Val::Int(i64::try_from(limit).unwrap_or(i64::MAX - 1) + 1));
            sql.push_str(&format!(" ORDER BY seq DESC LIMIT {p}"));
            conn.query_map(&sql, vals, from_row)?
                .collect::<StoreResult<Vec<_>>>()
        })?;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let (filters, count) = (filter.describe(), rows.len() as u64);
        self.write(actor, now, move |tx| {
            record(
                tx,
                None,
                AuditAction::AuditLogRead {
                    format,
                    filters,
                    count,
                },
            )
        })?;
        Ok(AuditPage { rows, more })
    }
}

/// Whether `raw` is a staff account's or an API token's id, as the audit log names them.
fn is_staff_id(raw: &str) -> bool {
    (raw.starts_with("stf_") || raw.starts_with("tok_"))
        && raw.len() > 4
        && raw[4..].bytes().all(|b| b.is_ascii_alphanumeric())
}
