//! The admin overview's aggregates: consent choices and rights requests per
//! week, and how many subjects gave each answer. Counts only; no subject is
//! named, and the read that decrypts answers to count them is audited.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use kerro_core::consent::ConsentState;
use kerro_core::ids::{AttributeKey, PurposeKey, SubjectId};
use kerro_core::schema::{AttrKind, LegalBasis};
use kerro_core::Actor;
use serde_json::Value;
use std::collections::BTreeMap;

use super::audit::{record, AuditAction};
use super::shared::subject_key;
use super::{corrupt, parse_ts, ts, Store};
use crate::error::StoreResult;

/// How many subjects gave one option (or `true`/`false`) of an attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerCount {
    pub value: String,
    pub count: u64,
}

/// The admin overview's numbers. Aggregates only; no subject is named.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AdminStats {
    /// The first day (Monday) of each week covered, oldest first.
    pub weeks: Vec<NaiveDate>,
    /// Per consent-based purpose and week: (grants, all choices: grants, refusals, withdrawals).
    pub consent: BTreeMap<PurposeKey, Vec<(u64, u64)>>,
    /// Per choice, multi-choice or boolean attribute: counts of current answers by value.
    pub answers: BTreeMap<AttributeKey, Vec<AnswerCount>>,
    /// Per attribute of any kind: how many subjects hold a current answer.
    pub answered: BTreeMap<AttributeKey, u64>,
    /// Per kind of rights request (rectification, withdrawal, export, erasure) and week.
    pub rights: BTreeMap<&'static str, Vec<u64>>,
    /// Live subjects (restricted ones included).
    pub subjects: u64,
}

/// The Monday starting the week of `t` (chrono's first date for the few days
/// before the first Monday in its range, which have none).
pub fn week_of(t: DateTime<Utc>) -> NaiveDate {
    let d = t.date_naive();
    d.checked_sub_days(chrono::Days::new(u64::from(
        d.weekday().num_days_from_monday(),
    )))
    .unwrap_or(NaiveDate::MIN)
}

impl Store {
    /// The admin overview's aggregates over the `weeks` weeks up to `now`. Counting answers
    /// decrypts every live, unrestricted subject's current choice answers, so the read is audited.
    pub fn admin_stats(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        weeks: u32,
    ) -> StoreResult<AdminStats> {
        let snapshot = self.schema();
        let actor = actor.clone();
        self.write(&actor, now, move |tx| {
            let last = week_of(now);
            let first = last - Duration::weeks(i64::from(weeks.max(1)) - 1);
            let week_list: Vec<NaiveDate> = (0..weeks.max(1))
                .map(|i| first + Duration::weeks(i64::from(i)))
                .collect();
            let index = |t: DateTime<Utc>| -> Option<usize> {
                let w = week_of(t);
                (w >= first && w <= last).then(|| ((w - first).num_days() / 7) as usize)
            };
            let since = ts(&first
                .and_hms_opt(0, 0, 0)
                .map(|d| d.and_utc())
                .unwrap_or(now));
            let mut stats = AdminStats {
                weeks: week_list.clone(),
                ..Default::default()
            };
            for (k, p) in &snapshot.schema.purposes {
                if p.legal_basis == LegalBasis::Consent {
                    stats.consent.insert(k.clone(), vec![(0, 0); week_list.len()]);
                }
            }
            let sql = format!(
                "SELECT purpose, state, event_time FROM consent_events WHERE event_time >= ?1 AND {}",
                super::ledger::ONLY_CONSENTS
            );
            for r in &tx.rows(&sql, [&since])? {
                let (p, s, t): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
                let Some(series) = stats.consent.iter_mut().find(|(k, _)| k.as_str() == p) else {
                    continue;
                };
                let Some(i) = index(parse_ts(&t)?) else {
                    continue;
                };
                match ConsentState::parse(&s) {
                    Some(ConsentState::Given | ConsentState::Renewed) => {
                        series.1[i].0 += 1;
                        series.1[i].1 += 1;
                    }
                    Some(ConsentState::Refused | ConsentState::Withdrawn) => series.1[i].1 += 1,
                    _ => {}
                }
            }

            for kind in ["rectification", "withdrawal", "export", "erasure"] {
                stats.rights.insert(kind, vec![0; week_list.len()]);
            }
            for r in &tx.rows(
                "SELECT action, actor, detail, time FROM audit_log WHERE time >= ?1
                 AND action IN ('declarations_changed', 'consent_changed', 'data_exported', 'subject_erased')",
[&since])? {
                let (action, who, detail, t): (String, String, String, String) =
                    (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
                let kind = match action.as_str() {
                    "declarations_changed" if who == "subject" => "rectification",
                    "consent_changed"
                        if serde_json::from_str::<Value>(&detail)
                            .ok()
                            .is_some_and(|d| d["state"] == "withdrawn") =>
                    {
                        "withdrawal"
                    }
                    "data_exported" => "export",
                    "subject_erased" => "erasure",
                    _ => continue,
                };
                if let (Some(i), Some(series)) = (index(parse_ts(&t)?), stats.rights.get_mut(kind)) {
                    series[i] += 1;
                }
            }

            stats.subjects =
                tx.query_row("SELECT COUNT(*) FROM subjects", (), |r| r.get::<_, i64>(0))? as u64;
            let mut counts: BTreeMap<AttributeKey, BTreeMap<String, u64>> = BTreeMap::new();
            let rows = tx.rows(
                "SELECT d.subject_id, d.attribute, d.value_enc FROM declarations d
                 JOIN subjects s ON s.id = d.subject_id
                 WHERE d.superseded_at IS NULL AND s.restricted = 0 ORDER BY d.subject_id",
())?;
            let mut key: Option<(String, crate::crypto::DataKey)> = None;
            for r in &rows {
                let (sid, attr, sealed): (String, String, Vec<u8>) = (r.get(0)?, r.get(1)?, r.get(2)?);
                let Some((akey, spec)) = snapshot
                    .schema
                    .attributes
                    .iter()
                    .find(|(k, _)| k.as_str() == attr)
                else {
                    continue;
                };
                *stats.answered.entry(akey.clone()).or_default() += 1;
                let countable = matches!(
                    spec.kind,
                    AttrKind::Choice | AttrKind::MultiChoice | AttrKind::Boolean
                );
                if !countable || spec.special_category {
                    continue;
                }
                if key.as_ref().is_none_or(|(s, _)| *s != sid) {
                    let id = SubjectId::parse(&sid).map_err(corrupt("declaration subject"))?;
                    key = Some((sid.clone(), subject_key(tx, tx.keys, &id)?));
                }
                let Some((_, dk)) = &key else { continue };
                let plain = dk.open(&sid, &super::shared::declaration_field(&attr), &sealed)?;
                let value: Value = serde_json::from_slice(&plain).map_err(corrupt("declaration"))?;
                let entry = counts.entry(akey.clone()).or_default();
                let values: Vec<String> = match value {
                    Value::Array(items) => items
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect(),
                    Value::String(s) => vec![s],
                    Value::Bool(b) => vec![b.to_string()],
                    _ => vec![],
                };
                for v in values {
                    *entry.entry(v).or_default() += 1;
                }
            }
            for (akey, spec) in &snapshot.schema.attributes {
                let Some(by_value) = counts.get(akey) else {
                    continue;
                };
                let ordered: Vec<String> = if spec.kind == AttrKind::Boolean {
                    vec!["true".into(), "false".into()]
                } else {
                    spec.options.iter().map(|o| o.value.clone()).collect()
                };
                stats.answers.insert(
                    akey.clone(),
                    ordered
                        .into_iter()
                        .map(|value| AnswerCount {
                            count: by_value.get(&value).copied().unwrap_or(0),
                            value,
                        })
                        .collect(),
                );
            }
            let attributes = stats.answers.keys().map(|k| k.to_string()).collect();
            record(tx, None,
                AuditAction::StatisticsRead { attributes },
            )?;
            Ok(stats)
        })
    }
}
