//! A breach's affected subjects, computed from the tamper-evident audit log
//! (P23, P25): every read or export of a subject's personal data in a time
//! window, optionally by some actors only and of some fields only. The
//! entries name the subject and the fields (never values), so the distinct
//! subjects and their (subject, field) records follow; an audience export
//! names only how many subjects it held, and is counted apart.
//!
//! The log is read on a reader connection and its hash chain verified (the
//! answer says whether it was intact); the scope and its subjects are then
//! stored in a write of their own, with its audit entry.

use chrono::{DateTime, Utc};
use kerro_core::{breach, Actor};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

use super::audit::{record, AuditAction};
use super::breaches::{breach_or_404, BreachScope};
use super::{ts, Store};
use crate::error::StoreResult;
use crate::sql::params;

/// What a scope asks: the window (both ends included) and, if not empty,
/// the actors (staff or token ids) and the fields it is narrowed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeQuery {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub actors: Vec<String>,
    pub fields: Vec<String>,
}

/// What a subject's record read shows: the subject row, its answers, its
/// consents and its contact preferences.
const WHOLE_SUBJECT: &[&str] = &["subject", "declarations", "consents", "contact"];

/// The audit actions that read or export personal data, with the fields
/// each reads when its entry names none.
const READS: &[(&str, &[&str])] = &[
    ("subject_read", WHOLE_SUBJECT),
    ("subject_exported", WHOLE_SUBJECT),
    ("data_exported", WHOLE_SUBJECT),
    ("receipt_read", &["consents"]),
    ("message_sent", &["email"]),
    ("audience_exported", &["id"]),
];

/// The id of the staff account or token an actor label names
/// (`staff:<role>:<id>`, also `...:on-behalf-of-subject`).
fn staff_id_of(actor: &str) -> Option<&str> {
    let mut parts = actor.split(':');
    (parts.next() == Some("staff"))
        .then(|| parts.nth(1))
        .flatten()
}

/// The fields an entry names, or its action's default.
fn fields_of(detail: &Value, default: &[&str]) -> Vec<String> {
    match detail.get("fields").and_then(Value::as_array) {
        Some(list) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        None => default.iter().map(|f| (*f).to_owned()).collect(),
    }
}

/// The counts and the subjects (with their records) of one scope.
#[derive(Debug, Default)]
struct Tally {
    records: BTreeMap<String, BTreeSet<String>>,
    entries: u64,
    unnamed_subjects: u64,
    unnamed_records: u64,
}

impl Store {
    /// Computes the breach's affected subjects from the audit log and stores
    /// them as its scope (replacing an earlier one), audited as `breach_scoped`.
    pub fn scope_breach(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        query: ScopeQuery,
    ) -> StoreResult<BreachScope> {
        breach::check_window(query.from, query.to)?;
        breach::check_scope_names(&query.actors, &query.fields)?;
        let (read_id, q) = (id.to_owned(), query.clone());
        let tally = self.read(move |conn| {
            breach_or_404(conn, &read_id)?;
            let names: Vec<String> = READS.iter().map(|(a, _)| format!("'{a}'")).collect();
            let rows = conn.rows(
                &format!(
                    "SELECT actor, action, subject_id, detail FROM audit_log
                     WHERE time >= ?1 AND time <= ?2 AND action IN ({}) ORDER BY seq",
                    names.join(", ")
                ),
                params![ts(&q.from), ts(&q.to)],
            )?;
            let mut t = Tally::default();
            for r in &rows {
                let actor: String = r.get(0)?;
                if !q.actors.is_empty()
                    && !staff_id_of(&actor).is_some_and(|a| q.actors.iter().any(|x| x == a))
                {
                    continue;
                }
                let action: String = r.get(1)?;
                let subject: Option<String> = r.get(2)?;
                let detail: Value =
                    serde_json::from_str(&r.get::<_, String>(3)?).unwrap_or(Value::Null);
                let default = READS
                    .iter()
                    .find(|(a, _)| *a == action)
                    .map_or(&[][..], |(_, f)| *f);
                let mut fields = fields_of(&detail, default);
                if !q.fields.is_empty() {
                    fields.retain(|f| q.fields.contains(f));
                }
                if fields.is_empty() {
                    continue;
                }
                match subject {
                    Some(s) => {
                        t.records.entry(s).or_default().extend(fields);
                    }
                    None => {
                        let count = detail.get("count").and_then(Value::as_u64).unwrap_or(0);
                        t.unnamed_subjects = t.unnamed_subjects.saturating_add(count);
                        t.unnamed_records = t
                            .unnamed_records
                            .saturating_add(count.saturating_mul(fields.len() as u64));
                    }
                }
                t.entries += 1;
            }
            Ok(t)
        })?;
        let intact = self
            .verify_chain(super::checkpoints::Chain::Audit, &[])?
            .is_ok();
        let named_records: u64 = tally.records.values().map(|f| f.len() as u64).sum();
        let scope = BreachScope {
            from: query.from,
            to: query.to,
            actors: query.actors,
            fields: query.fields,
            subjects: tally.records.len() as u64,
            records: named_records.saturating_add(tally.unnamed_records),
            entries: tally.entries,
            unnamed_subjects: tally.unnamed_subjects,
            audit_log_intact: intact,
            computed_at: now,
            computed_by: actor.label(),
        };
        let (id, stored) = (id.to_owned(), scope.clone());
        self.write(actor, now, move |tx| {
            breach_or_404(tx, &id)?;
            let json = serde_json::to_string(&stored).map_err(super::corrupt("breach scope"))?;
            tx.execute(
                "UPDATE breaches SET scope = ?2 WHERE id = ?1",
                params![id.as_str(), json],
            )?;
            tx.execute(
                "DELETE FROM breach_subjects WHERE breach_id = ?1",
                [id.as_str()],
            )?;
            for (subject, fields) in &tally.records {
                tx.defer(
                    "INSERT INTO breach_subjects (breach_id, subject_id, records) VALUES (?1, ?2, ?3)",
                    params![id.as_str(), subject.as_str(), fields.len()],
                )?;
            }
            record(
                tx,
                None,
                AuditAction::BreachScoped {
                    breach: &id,
                    subjects: stored.subjects,
                    records: stored.records,
                },
            )?;
            Ok(())
        })?;
        Ok(scope)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn actor_labels_name_their_staff_id() {
        use super::staff_id_of;
        assert_eq!(staff_id_of("staff:admin:tok_1"), Some("tok_1"));
        assert_eq!(
            staff_id_of("staff:support:stf_2:on-behalf-of-subject"),
            Some("stf_2")
        );
        assert_eq!(staff_id_of("subject"), None);
        assert_eq!(staff_id_of("system:campaigns"), None);
        assert_eq!(staff_id_of("staff:admin"), None);
    }
}
