//! The retention job (P9, P7): carries out `kerro_core::retention`'s plan for
//! every subject something may be due for, deletes decision-log entries past
//! their purpose's retention and web sessions, links and tokens past their
//! life, and reports what it did by purpose and kind. Every node runs it; on
//! PostgreSQL a session advisory lock lets one node at a time do so, and a
//! node that finds it taken skips the run.

use chrono::{DateTime, Duration, Utc};
use kerro_core::consent::{ConsentState, Method};
use kerro_core::ids::{AttributeKey, PurposeKey, SubjectId};
use kerro_core::retention::{plan, HeldValue, LatestConsent};
use kerro_core::schema::Schema;
use kerro_core::staff::{SESSION_ABSOLUTE_HOURS, SESSION_IDLE_MINUTES};
use kerro_core::Actor;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::audit::{record, AuditAction};
use super::ledger::{append, latest_events, NewEvent};
use super::shared::{delete_declaration, subject_lang};
use super::tx::Tx;
use super::{parse_ts, ts, Store};
use crate::db;
use crate::error::StoreResult;
use crate::sql::params;
use crate::sql::Dialect;

/// The advisory lock a PostgreSQL node holds while it runs the job.
pub const RETENTION_LOCK: i64 = 0x6b65_7272_6f00_0003;

/// Subjects handled in one write transaction, so the writer is never held long.
const BATCH: usize = 200;

/// What the job deleted or expired, in the order the report prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionKind {
    /// Consents recorded `expired` (P7).
    Expired,
    /// Stored declaration values, current or past.
    Values,
    /// Decision-log entries.
    Decisions,
    /// Customer and staff browser sessions.
    Sessions,
    /// Sign-in, confirmation and invitation links.
    Links,
    /// Form tokens and subject tokens.
    Tokens,
}

impl RetentionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RetentionKind::Expired => "expired",
            RetentionKind::Values => "values",
            RetentionKind::Decisions => "decisions",
            RetentionKind::Sessions => "sessions",
            RetentionKind::Links => "links",
            RetentionKind::Tokens => "tokens",
        }
    }
}

/// One line of the report: a purpose (none for what no purpose governs), a kind, a count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetentionCount {
    pub purpose: Option<PurposeKey>,
    pub kind: RetentionKind,
    pub count: u64,
}

/// What one run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetentionReport {
    pub at: DateTime<Utc>,
    /// Another node held the job's lock: this one did nothing.
    pub skipped: bool,
    /// Subjects looked at.
    pub subjects: u64,
    pub counts: Vec<RetentionCount>,
}

#[derive(Default)]
struct Tally(BTreeMap<(Option<PurposeKey>, RetentionKind), u64>);

impl Tally {
    fn add(&mut self, purpose: Option<&PurposeKey>, kind: RetentionKind, n: u64) {
        if n > 0 {
            *self.0.entry((purpose.cloned(), kind)).or_default() += n;
        }
    }

    fn merge(&mut self, other: Tally) {
        for ((p, k), n) in other.0 {
            self.add(p.as_ref(), k, n);
        }
    }

    fn counts(&self) -> Vec<RetentionCount> {
        let mut v: Vec<RetentionCount> = self
            .0
            .iter()
            .map(|((purpose, kind), count)| RetentionCount {
                purpose: purpose.clone(),
                kind: *kind,
                count: *count,
            })
            .collect();
        v.sort_by(|a, b| {
            (a.purpose.is_none(), &a.purpose, a.kind).cmp(&(
                b.purpose.is_none(),
                &b.purpose,
                b.kind,
            ))
        });
        v
    }
}

/// The shortest time after which anything can be due: nothing younger is read.
fn shortest_period(schema: &Schema) -> Duration {
    let days = schema
        .purposes
        .values()
        .flat_map(|p| [Some(p.retention_days), p.consent_validity_days])
        .flatten()
        .min()
        .unwrap_or(kerro_core::schema::MAX_RETENTION_DAYS);
    Duration::days(i64::from(days))
}

impl Store {
    /// Runs the retention job once as `actor` at `now` and reports what it did.
    pub fn run_retention(&self, actor: &Actor, now: DateTime<Utc>) -> StoreResult<RetentionReport> {
        let lock = match self.dialect() {
            Dialect::Sqlite => None,
            Dialect::Postgres => {
                let conn = db::connect(&self.inner.location, true)?;
                let got: bool =
                    conn.query_row("SELECT pg_try_advisory_lock(?1)", [RETENTION_LOCK], |r| {
                        r.get(0)
                    })?;
                if !got {
                    return Ok(RetentionReport {
                        at: now,
                        skipped: true,
                        subjects: 0,
                        counts: vec![],
                    });
                }
                Some(conn)
            }
        };
        let result = self.retention_pass(actor, now);
        if let Some(conn) = lock {
            // Ending the session frees the lock too; unlocking says so at once.
            let _ = conn.query_row("SELECT pg_advisory_unlock(?1)", [RETENTION_LOCK], |r| {
                r.get::<_, bool>(0)
            });
        }
        result
    }

    fn retention_pass(&self, actor: &Actor, now: DateTime<Utc>) -> StoreResult<RetentionReport> {
        let snapshot = self.schema();
        let schema = Arc::new(snapshot.schema.clone());
        let cutoff = ts(&(now - shortest_period(&schema)));
        let mut tally = Tally::default();
        let mut subjects = 0u64;
        let mut after = String::new();
        loop {
            let (c, a) = (cutoff.clone(), after.clone());
            let batch: Vec<String> = self.read(move |conn| {
                conn.query_map(
                    &format!(
                        "SELECT subject_id FROM declarations WHERE subject_id > ?2 AND (given_at <= ?1 OR superseded_at <= ?1)
                         UNION
                         SELECT subject_id FROM consent_events WHERE subject_id > ?2 AND event_time <= ?1
                           AND state IN ('given', 'renewed') AND {only}
                           AND subject_id IN (SELECT id FROM subjects)
                         ORDER BY subject_id LIMIT {BATCH}",
                        only = super::ledger::ONLY_CONSENTS
                    ),
                    params![c, a],
                    |r| r.get::<_, String>(0),
                )?
                .collect()
            })?;
            let Some(last) = batch.last().cloned() else {
                break;
            };
            subjects += batch.len() as u64;
            let ids: Vec<SubjectId> = batch
                .iter()
                .filter_map(|s| SubjectId::parse(s).ok())
                .collect();
            let schema = schema.clone();
            let default_lang = self.default_lang();
            let done = self.write(actor, now, move |tx| {
                let mut tally = Tally::default();
                for id in &ids {
                    retain_subject(tx, &schema, id, default_lang, &mut tally)?;
                }
                Ok(tally)
            })?;
            tally.merge(done);
            if batch.len() < BATCH {
                break;
            }
            after = last;
        }
        let offers: BTreeMap<String, PurposeKey> = snapshot
            .offers
            .iter()
            .map(|o| (o.key.as_str().to_owned(), o.spec.purpose.clone()))
            .collect();
        let (decisions, life) = self.write(actor, now, move |tx| {
            let decisions = expire_decisions(tx, &schema, &offers)?;
            let life = expire_web_state(tx)?;
            Ok((decisions, life))
        })?;
        tally.merge(decisions);
        tally.merge(life);
        let report = RetentionReport {
            at: now,
            skipped: false,
            subjects,
            counts: tally.counts(),
        };
        if report
            .counts
            .iter()
            .any(|c| c.kind == RetentionKind::Values)
        {
            // As after an erasure: the deleted ciphertexts' old pages leave the SQLite WAL.
            self.after_erasure();
        }
        if !report.counts.is_empty() {
            let counts = serde_json::to_value(&report.counts).unwrap_or_default();
            self.write(actor, now, move |tx| {
                record(tx, None, AuditAction::RetentionRun { counts: &counts })
            })?;
        }
        Ok(report)
    }
}

/// Reads one subject's consents and values, and carries out what is due.
fn retain_subject(
    tx: &Tx,
    schema: &Schema,
    id: &SubjectId,
    default_lang: kerro_core::Lang,
    tally: &mut Tally,
) -> StoreResult<()> {
    let consents: BTreeMap<PurposeKey, LatestConsent> = latest_events(tx, id)?
        .into_iter()
        .map(|e| {
            (
                e.event.purpose,
                LatestConsent {
                    state: e.event.state,
                    at: e.event.event_time,
                },
            )
        })
        .collect();
    let held: Vec<HeldValue> = tx
        .query_map(
            "SELECT id, attribute, given_at, superseded_at FROM declarations WHERE subject_id = ?1 ORDER BY id",
            [id.as_str()],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, Option<String>>(3)?)),
        )?
        .map(|row| {
            let (row, attribute, given, superseded) = row?;
            Ok(HeldValue {
                row,
                attribute: AttributeKey::parse("attribute", &attribute).map_err(super::corrupt("declaration attribute"))?,
                given_at: parse_ts(&given)?,
                superseded_at: superseded.as_deref().map(parse_ts).transpose()?,
            })
        })
        .collect::<StoreResult<_>>()?;
    let due = plan(schema, &consents, &held, tx.now);
    if due.is_empty() {
        return Ok(());
    }
    let language = subject_lang(tx, id)?.unwrap_or(default_lang);
    for purpose in &due.expire {
        append(
            tx,
            NewEvent {
                subject: id,
                purpose,
                state: ConsentState::Expired,
                notice: None,
                language,
                now: tx.now,
                actor: &tx.actor,
                method: Method::Expiry,
            },
        )?;
        record(
            tx,
            Some(id),
            AuditAction::ConsentChanged {
                purpose: purpose.as_str(),
                state: ConsentState::Expired.as_str(),
            },
        )?;
        tally.add(Some(purpose), RetentionKind::Expired, 1);
    }
    let current: BTreeSet<i64> = held
        .iter()
        .filter(|v| v.superseded_at.is_none())
        .map(|v| v.row)
        .collect();
    let mut gone = BTreeSet::new();
    for r in &due.remove {
        tally.add(r.purpose.as_ref(), RetentionKind::Values, 1);
        if current.contains(&r.row) {
            gone.insert(r.attribute.clone());
        } else {
            tx.execute(
                "DELETE FROM declarations WHERE id = ?1 AND subject_id = ?2",
                params![r.row, id.as_str()],
            )?;
        }
    }
    for attribute in &gone {
        delete_declaration(tx, id, attribute)?;
    }
    if !due.remove.is_empty() {
        let attributes: BTreeSet<&str> = due.remove.iter().map(|r| r.attribute.as_str()).collect();
        super::outbox::emit(
            tx,
            super::outbox::kind::DECLARATION_DELETED,
            Some(id),
            serde_json::json!({"subject": id.as_str(), "attributes": attributes, "reason": "retention"}),
            &tx.now,
        )?;
    }
    Ok(())
}

/// Deletes decision-log entries older than their offer's purpose keeps them;
/// an entry whose offer is gone is kept as long as the longest retention.
fn expire_decisions(
    tx: &Tx,
    schema: &Schema,
    offers: &BTreeMap<String, PurposeKey>,
) -> StoreResult<Tally> {
    let longest = schema
        .purposes
        .values()
        .map(|p| p.retention_days)
        .max()
        .unwrap_or(kerro_core::schema::MAX_RETENTION_DAYS);
    let logged: Vec<String> = tx
        .query_map("SELECT DISTINCT offer FROM decisions", (), |r| {
            r.get::<_, String>(0)
        })?
        .collect::<Result<_, _>>()?;
    let mut tally = Tally::default();
    for offer in logged {
        let purpose = offers
            .get(&offer)
            .filter(|p| schema.purposes.contains_key(*p));
        let days = purpose
            .and_then(|p| schema.purposes.get(p))
            .map_or(longest, |p| p.retention_days);
        let cutoff = ts(&(tx.now - Duration::days(i64::from(days))));
        let n = tx.execute(
            "DELETE FROM decisions WHERE offer = ?1 AND decided_at < ?2",
            params![offer, cutoff],
        )?;
        tally.add(purpose, RetentionKind::Decisions, n as u64);
    }
    Ok(tally)
}

/// Deletes sessions, links and tokens past their life (P9 for what is not a declaration).
fn expire_web_state(tx: &Tx) -> StoreResult<Tally> {
    let now = ts(&tx.now);
    let idle = ts(&(tx.now - Duration::minutes(SESSION_IDLE_MINUTES)));
    let began = ts(&(tx.now - Duration::hours(SESSION_ABSOLUTE_HOURS)));
    let mut tally = Tally::default();
    let mut count = |kind, sql: &str, args: &[&str]| -> StoreResult<()> {
        let n = match args {
            [a] => tx.execute(sql, params![a])?,
            [a, b] => tx.execute(sql, params![a, b])?,
            _ => 0,
        };
        tally.add(None, kind, n as u64);
        Ok(())
    };
    count(
        RetentionKind::Sessions,
        "DELETE FROM web_sessions WHERE expires_at <= ?1",
        &[&now],
    )?;
    count(
        RetentionKind::Sessions,
        "DELETE FROM staff_sessions WHERE last_seen_at <= ?1 OR created_at <= ?2",
        &[&idle, &began],
    )?;
    count(
        RetentionKind::Links,
        "DELETE FROM web_login_links WHERE expires_at <= ?1",
        &[&now],
    )?;
    count(
        RetentionKind::Links,
        "DELETE FROM email_confirmations WHERE expires_at <= ?1",
        &[&now],
    )?;
    count(
        RetentionKind::Links,
        "DELETE FROM staff_invites WHERE expires_at <= ?1",
        &[&now],
    )?;
    count(
        RetentionKind::Tokens,
        "DELETE FROM web_form_tokens WHERE expires_at <= ?1",
        &[&now],
    )?;
    count(
        RetentionKind::Tokens,
        "DELETE FROM subject_tokens WHERE expires_at <= ?1",
        &[&now],
    )?;
    Ok(tally)
}
