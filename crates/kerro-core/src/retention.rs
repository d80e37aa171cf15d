//! Storage limitation (P9) and consent expiry (P7) for one subject, without
//! I/O: given the schema, the latest consent state of each purpose and the
//! values held (their times, not their contents), which consents have expired
//! and which values must go at `now`. The store reads the inputs and carries
//! the plan out in one transaction; the CLI and the job report its counts.
//!
//! The rules:
//! - A consent to a purpose with `consent_validity_days` expires that many days
//!   after it was last given or renewed.
//! - A value is held for the purposes of its attribute that still have a legal
//!   basis. It goes, with its history, once the retention of every one of them
//!   has run out, counted for a consent purpose from the latest grant or
//!   renewal and for any other basis from when the value was last declared.
//!   A value no purpose holds any more goes at once (as on withdrawal, P6).
//! - A superseded value (the history of a correction) goes once the longest
//!   retention of those purposes has run out since it was superseded.

use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;

use crate::consent::{basis_active, ConsentState};
use crate::ids::{AttributeKey, PurposeKey};
use crate::schema::{LegalBasis, PurposeSpec, Schema};

/// The latest consent event of one purpose: its state and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatestConsent {
    pub state: ConsentState,
    pub at: DateTime<Utc>,
}

/// One stored value of an attribute: the row, when it was declared, and when a
/// newer answer superseded it (`None` for the current value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldValue {
    pub row: i64,
    pub attribute: AttributeKey,
    pub given_at: DateTime<Utc>,
    pub superseded_at: Option<DateTime<Utc>>,
}

/// Why a row goes, for the report: the purpose whose retention ended last
/// (`None` when no purpose of the schema holds the attribute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    pub row: i64,
    pub attribute: AttributeKey,
    pub purpose: Option<PurposeKey>,
}

/// What is due for one subject at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetentionPlan {
    /// Consents past their validity: each gets an `expired` event.
    pub expire: Vec<PurposeKey>,
    /// Rows of values to delete, current and past.
    pub remove: Vec<Removal>,
}

impl RetentionPlan {
    pub fn is_empty(&self) -> bool {
        self.expire.is_empty() && self.remove.is_empty()
    }
}

fn days(n: u32) -> Duration {
    Duration::days(i64::from(n))
}

/// When the consent last given or renewed at `at` stops holding, if the purpose limits it.
pub fn consent_expires_at(spec: &PurposeSpec, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    spec.consent_validity_days.map(|d| at + days(d))
}

/// The plan for one subject at `now`.
pub fn plan(
    schema: &Schema,
    consents: &BTreeMap<PurposeKey, LatestConsent>,
    held: &[HeldValue],
    now: DateTime<Utc>,
) -> RetentionPlan {
    let mut out = RetentionPlan::default();
    let mut states: BTreeMap<&PurposeKey, LatestConsent> =
        consents.iter().map(|(k, c)| (k, *c)).collect();
    for (key, latest) in consents {
        let due = schema.purposes.get(key).is_some_and(|spec| {
            spec.legal_basis == LegalBasis::Consent
                && latest.state.is_active()
                && consent_expires_at(spec, latest.at).is_some_and(|end| end <= now)
        });
        if due {
            out.expire.push(key.clone());
            states.insert(
                key,
                LatestConsent {
                    state: ConsentState::Expired,
                    at: now,
                },
            );
        }
    }
    let mut by_attribute: BTreeMap<&AttributeKey, Vec<&HeldValue>> = BTreeMap::new();
    for v in held {
        by_attribute.entry(&v.attribute).or_default().push(v);
    }
    for (attribute, rows) in by_attribute {
        // The purposes that still hold the attribute, with the retention of each.
        let holding: Vec<(&PurposeKey, &PurposeSpec)> = schema
            .attributes
            .get(attribute)
            .map(|a| {
                a.purposes
                    .iter()
                    .filter_map(|p| schema.purposes.get(p).map(|spec| (p, spec)))
                    .filter(|(p, spec)| basis_active(spec, states.get(p).map(|c| c.state)))
                    .collect()
            })
            .unwrap_or_default();
        let remove_all = |purpose: Option<&PurposeKey>, out: &mut RetentionPlan| {
            out.remove.extend(rows.iter().map(|v| Removal {
                row: v.row,
                attribute: attribute.clone(),
                purpose: purpose.cloned(),
            }));
        };
        if holding.is_empty() {
            let lapsed = schema
                .attributes
                .get(attribute)
                .and_then(|a| a.purposes.iter().find(|p| out.expire.contains(p)));
            remove_all(lapsed, &mut out);
            continue;
        }
        let declared = rows
            .iter()
            .filter(|v| v.superseded_at.is_none())
            .map(|v| v.given_at)
            .max()
            .or_else(|| rows.iter().map(|v| v.given_at).max());
        // When each holding purpose's retention of the value ends; the value lasts until the latest.
        let ends = holding.iter().filter_map(|(p, spec)| {
            let from = match spec.legal_basis {
                LegalBasis::Consent => states.get(p).map(|c| c.at),
                _ => declared,
            }?;
            Some((from + days(spec.retention_days), *p))
        });
        let Some((end, last)) = ends.max() else {
            continue;
        };
        if end <= now {
            remove_all(Some(last), &mut out);
            continue;
        }
        let Some((longest, kept_for)) = holding
            .iter()
            .map(|(p, spec)| (spec.retention_days, *p))
            .max()
        else {
            continue;
        };
        out.remove.extend(
            rows.iter()
                .filter(|v| v.superseded_at.is_some_and(|s| s + days(longest) <= now))
                .map(|v| Removal {
                    row: v.row,
                    attribute: attribute.clone(),
                    purpose: Some(kept_for.clone()),
                }),
        );
    }
    out
}

#[cfg(test)]
#[path = "retention_tests.rs"]
mod tests;
