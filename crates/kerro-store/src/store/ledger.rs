//! The consent ledger: appending events to the hash chain, reading a
//! subject's history, verifying the chain and assembling receipts.
//! Rows are never updated or deleted, not even on erasure: they carry only
//! the pseudonymous subject id, so they stay as the proof P13 allows.

use super::tx::{Edit, Tx};
use crate::sql::{params, Conn, OptionalExtension, Row};
use chrono::{DateTime, Utc};
use kerro_core::consent::{
    ChainBreak, ConsentEvent, ConsentState, Method, NoticeOf, NoticeRef, GENESIS,
};
use kerro_core::contact::Channel;
use kerro_core::decide::ConsentInfo;
use kerro_core::ids::{PurposeKey, RecipientKey, RecordId, SubjectId};
use kerro_core::submission::RecipientStates;
use kerro_core::{Actor, CoreError, Lang};
use std::collections::BTreeMap;

use super::audit::{record, AuditAction};
use super::verify::Walk;
use super::{corrupt, new_ulid, parse_ts, ts, Store};
use crate::error::{StoreError, StoreResult};
use crate::model::{ReceiptData, StoredEvent};

pub(crate) const EVENT_COLUMNS: &str =
    "seq, record_id, subject_id, purpose, state, form, notice_version, notice_sha256, \
                             language, event_time, actor, method, prev_hash, hash, channel, evidence, recipient";

/// Only consents in a read of consent states: events about one channel
/// (unsubscribes), about one recipient (P21), e-mail confirmations
/// (`Method::EmailConfirmation`, evidence about an address) and explicit
/// statements leave a purpose's state as it was.
pub(crate) const ONLY_CONSENTS: &str =
    "channel IS NULL AND recipient IS NULL AND method NOT IN ('email_confirmation', 'explicit_statement')";

/// Everything of an event but its place in the chain.
pub(crate) struct NewEvent<'a> {
    pub subject: &'a SubjectId,
    pub purpose: &'a PurposeKey,
    pub state: ConsentState,
    pub notice: Option<NoticeRef>,
    pub language: Lang,
    pub now: DateTime<Utc>,
    pub actor: &'a Actor,
    pub method: Method,
}

/// Writes `event` as the chain's next entry (its `prev_hash` must be the
/// head) and returns its number and hash. Runs inside the writer's
/// transaction, which serialises appends.
pub(crate) fn insert_event(tx: &Tx, event: &ConsentEvent) -> StoreResult<(i64, String)> {
    let hash = event.hash();
    let notice = event.notice.as_ref();
    let seq: i64 = tx.query_row("INSERT INTO consent_events (record_id, subject_id, purpose, state, form, notice_version, notice_sha256,
                                     language, event_time, actor, method, prev_hash, hash, channel, evidence, recipient)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) RETURNING seq", params![
            event.record_id.as_str(),
            event.subject.as_str(),
            event.purpose.as_str(),
            event.state.as_str(),
            notice.map(|n| n.of.stored_key()),
            notice.map(|n| n.version),
            notice.map(|n| n.sha256.as_str()),
            event.language.as_str(),
            ts(&event.event_time),
            event.actor,
            event.method.as_str(),
            event.prev_hash,
            hash,
            event.channel.map(Channel::as_str),
            event.evidence,
            event.recipient.as_ref().map(|r| r.as_str()),
        ],
        |r| r.get(0),
    )?;
    tx.advance_chain("consent_events", &hash);
    Ok((seq, hash))
}

/// Appends one consent event (and its outbox event); the subject's profile follows after COMMIT.
pub(crate) fn append(tx: &Tx, new: NewEvent<'_>) -> StoreResult<StoredEvent> {
    append_event(tx, new, None)
}

/// Appends an event about one channel of a purpose (a one-click unsubscribe):
/// it is in the chain, the receipts and the export, and leaves the purpose's
/// consent state as it was.
pub(crate) fn append_for_channel(
    tx: &Tx,
    new: NewEvent<'_>,
    channel: Channel,
) -> StoreResult<StoredEvent> {
    append_event(tx, new, Some(channel))
}

/// Appends an event with evidence beyond its notice that leaves the purpose's
/// consent state as it was (a special-category question's explicit
/// statement, P10): in the chain, with a receipt of its own.
pub(crate) fn append_with_evidence(
    tx: &Tx,
    new: NewEvent<'_>,
    evidence: String,
) -> StoreResult<StoredEvent> {
    let event = chained(tx, new, None, Some(evidence))?;
    let (seq, hash) = insert_event(tx, &event)?;
    Ok(StoredEvent { seq, event, hash })
}

/// Appends the subject's choice about one recipient of a sharing purpose
/// (P21): in the chain with a receipt of its own, leaving the purpose's own
/// consent state as it was. Its audit entry is the caller's.
pub(crate) fn append_for_recipient(
    tx: &Tx,
    new: NewEvent<'_>,
    recipient: RecipientKey,
) -> StoreResult<StoredEvent> {
    let mut event = chained(tx, new, None, None)?;
    event.recipient = Some(recipient);
    let (seq, hash) = insert_event(tx, &event)?;
    Ok(StoredEvent { seq, event, hash })
}

/// The next event of the chain: `new` with its id, its place after the head, and what it carries.
fn chained(
    tx: &Tx,
    new: NewEvent<'_>,
    channel: Option<Channel>,
    evidence: Option<String>,
) -> StoreResult<ConsentEvent> {
    Ok(ConsentEvent {
        record_id: RecordId::from_suffix(&new_ulid()),
        subject: new.subject.clone(),
        purpose: new.purpose.clone(),
        state: new.state,
        notice: new.notice,
        language: new.language,
        event_time: new.now,
        actor: new.actor.label(),
        method: new.method,
        prev_hash: tx.chain_head("consent_events", GENESIS)?,
        channel,
        evidence,
        recipient: None,
    })
}

fn append_event(tx: &Tx, new: NewEvent<'_>, channel: Option<Channel>) -> StoreResult<StoredEvent> {
    let event = chained(tx, new, channel, None)?;
    let (seq, hash) = insert_event(tx, &event)?;
    if event.channel.is_some() {
        // The unsubscribe's own outbox event is the caller's: it knows what changed.
        return Ok(StoredEvent { seq, event, hash });
    }
    tx.edit(
        &event.subject,
        Edit::Consent(
            event.purpose.clone(),
            ConsentInfo {
                state: event.state,
                at: event.event_time,
                record_id: event.record_id.clone(),
                notice: event.notice.clone(),
            },
        ),
    );
    super::outbox::emit(
        tx,
        match event.state {
            ConsentState::Given | ConsentState::Renewed => super::outbox::kind::CONSENT_GIVEN,
            ConsentState::Withdrawn => super::outbox::kind::CONSENT_WITHDRAWN,
            ConsentState::Refused => super::outbox::kind::CONSENT_REFUSED,
            ConsentState::Expired => super::outbox::kind::CONSENT_EXPIRED,
        },
        Some(&event.subject),
        serde_json::json!({
            "subject": event.subject.as_str(),
            "record_id": event.record_id.as_str(),
            "purpose": event.purpose.as_str(),
            "state": event.state.as_str(),
            "event_time": ts(&event.event_time),
            "ledger_seq": seq,
        }),
        &event.event_time,
    )?;
    Ok(StoredEvent { seq, event, hash })
}

pub(crate) fn event_from_row(r: &Row) -> StoreResult<StoredEvent> {
    let get_s = |i: usize| -> StoreResult<String> { r.get::<_, String>(i) };
    let form: Option<String> = r.get(5)?;
    let notice = match form {
        Some(f) => Some(NoticeRef {
            of: NoticeOf::from_stored(&f).map_err(corrupt("ledger notice"))?,
            version: r.get::<_, Option<u32>>(6)?.unwrap_or(0),
            sha256: r.get::<_, Option<String>>(7)?.unwrap_or_default(),
        }),
        None => None,
    };
    let state = get_s(4)?;
    let method = get_s(11)?;
    let language = get_s(8)?;
    Ok(StoredEvent {
        seq: r.get(0)?,
        event: ConsentEvent {
            record_id: RecordId::from_stored(get_s(1)?),
            subject: SubjectId::parse(&get_s(2)?).map_err(corrupt("ledger subject"))?,
            purpose: PurposeKey::parse("purpose", &get_s(3)?).map_err(corrupt("ledger purpose"))?,
            state: ConsentState::parse(&state)
                .ok_or_else(|| StoreError::Corrupt(format!("state '{state}'")))?,
            notice,
            language: Lang::parse(&language)
                .ok_or_else(|| StoreError::Corrupt(format!("language '{language}'")))?,
            event_time: parse_ts(&get_s(9)?)?,
            actor: get_s(10)?,
            method: Method::parse(&method)
                .ok_or_else(|| StoreError::Corrupt(format!("method '{method}'")))?,
            prev_hash: get_s(12)?,
            channel: match r.get::<_, Option<String>>(14)? {
                Some(c) => Some(
                    Channel::parse(&c)
                        .ok_or_else(|| StoreError::Corrupt(format!("channel '{c}'")))?,
                ),
                None => None,
            },
            evidence: r.get(15)?,
            recipient: match r.get::<_, Option<String>>(16)? {
                Some(k) => Some(
                    RecipientKey::parse("recipient", &k).map_err(corrupt("ledger recipient"))?,
                ),
                None => None,
            },
        },
        hash: get_s(13)?,
    })
}

/// A subject's consent events proper (`ONLY_CONSENTS`), in ledger order.
pub(crate) fn events_for(conn: &Conn, subject: &SubjectId) -> StoreResult<Vec<StoredEvent>> {
    events_where(conn, subject, ONLY_CONSENTS)
}

/// A subject's events that `filter` (an SQL condition) selects, in ledger order.
fn events_where(conn: &Conn, subject: &SubjectId, filter: &str) -> StoreResult<Vec<StoredEvent>> {
    conn.query_map(
        &format!(
            "SELECT {EVENT_COLUMNS} FROM consent_events
             WHERE subject_id = ?1 AND {filter} ORDER BY seq"
        ),
        [subject.as_str()],
        event_from_row,
    )?
    .collect()
}

/// A subject's explicit statements for special-category answers (P10), in ledger order.
pub(crate) fn statements_for(conn: &Conn, subject: &SubjectId) -> StoreResult<Vec<StoredEvent>> {
    events_where(conn, subject, "method = 'explicit_statement'")
}

/// A subject's events about single channels of purposes (unsubscribes), in ledger order.
pub(crate) fn channel_events_for(
    conn: &Conn,
    subject: &SubjectId,
) -> StoreResult<Vec<StoredEvent>> {
    events_where(conn, subject, "channel IS NOT NULL")
}

/// A subject's choices about recipients of sharing purposes (P21), in ledger order.
pub(crate) fn recipient_events_for(
    conn: &Conn,
    subject: &SubjectId,
) -> StoreResult<Vec<StoredEvent>> {
    events_where(conn, subject, "recipient IS NOT NULL")
}

/// The latest state of a subject's choice per (purpose, recipient) (P21).
pub(crate) fn recipient_states(conn: &Conn, subject: &SubjectId) -> StoreResult<RecipientStates> {
    let mut out = RecipientStates::new();
    for e in recipient_events_for(conn, subject)? {
        if let Some(r) = e.event.recipient {
            out.insert((e.event.purpose, r), e.event.state);
        }
    }
    Ok(out)
}

/// The latest event of each purpose for a subject, in ledger order. Reads one
/// row per purpose through the (subject, purpose, seq) index, however long the
/// subject's history is.
pub(crate) fn latest_events(conn: &Conn, subject: &SubjectId) -> StoreResult<Vec<StoredEvent>> {
    conn.query_map(&latest_events_sql(), [subject.as_str()], event_from_row)?
        .collect()
}

/// The query of `latest_events`: the index of migration 18 answers its inner
/// part without reading the table.
pub(crate) fn latest_events_sql() -> String {
    format!(
        "SELECT {EVENT_COLUMNS} FROM consent_events WHERE seq IN
            (SELECT MAX(seq) FROM consent_events
             WHERE subject_id = ?1 AND {ONLY_CONSENTS} GROUP BY purpose)
         ORDER BY seq"
    )
}

/// The latest consent state per purpose for a subject.
pub(crate) fn current_states(
    conn: &Conn,
    subject: &SubjectId,
) -> StoreResult<BTreeMap<PurposeKey, ConsentState>> {
    states_from(&conn.rows(&latest_events_sql(), [subject.as_str()])?)
}

/// The consent state per purpose from the rows of `latest_events_sql`.
pub(crate) fn states_from(rows: &[Row]) -> StoreResult<BTreeMap<PurposeKey, ConsentState>> {
    rows.iter()
        .map(|r| event_from_row(r).map(|e| (e.event.purpose, e.event.state)))
        .collect()
}

/// Shows `w` every event of the ledger, in order.
pub(crate) fn walk(conn: &Conn, w: &mut Walk) -> StoreResult<()> {
    let rows = conn.rows(
        &format!("SELECT {EVENT_COLUMNS} FROM consent_events ORDER BY seq"),
        (),
    )?;
    for r in &rows {
        let seq: i64 = r.get(0)?;
        match event_from_row(r) {
            Ok(e) => w.entry(seq, &e.event.prev_hash, &e.event.canonical(), &e.hash),
            Err(e) => {
                let hash: String = r.get(13).unwrap_or_default();
                w.unreadable(seq, &hash, format!("unreadable event: {e}"));
            }
        }
    }
    Ok(())
}

impl Store {
    /// Walks the whole ledger in order; `Ok(Err(..))` names the first bad event.
    /// (`verify_chain` also checks the ledger against its checkpoints.)
    pub fn verify_ledger(&self) -> StoreResult<Result<u64, ChainBreak>> {
        self.read(|conn| {
            let mut w = Walk::default();
            walk(conn, &mut w)?;
            Ok(w.result())
        })
    }

    /// A consent record by id, with the history of the same purpose for the same subject.
    /// Staff reads are audited.
    pub fn receipt(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        record_id: &str,
    ) -> StoreResult<ReceiptData> {
        let record_id = record_id.to_owned();
        let actor = actor.clone();
        let load = move |conn: &Conn| -> StoreResult<ReceiptData> {
            let rows = conn.rows(
                &format!("SELECT {EVENT_COLUMNS} FROM consent_events WHERE record_id = ?1 AND method <> 'email_confirmation'"),
                [record_id.as_str()],
            )?;
            let event = match rows.first() {
                Some(r) => event_from_row(r)?,
                None => {
                    return Err(CoreError::not_found("record_id", "no such consent record").into())
                }
            };
            // A choice about a recipient has the history of that choice; any other, the purpose's.
            let history: Vec<StoredEvent> = match &event.event.recipient {
                Some(_) => recipient_events_for(conn, &event.event.subject)?,
                None => events_for(conn, &event.event.subject)?,
            }
            .into_iter()
            .filter(|e| {
                e.event.purpose == event.event.purpose
                    && e.event.recipient == event.event.recipient
                    && e.seq <= event.seq
            })
            .collect();
            let notice_bundle = match &event.event.notice {
                Some(n) => conn
                    .query_row(
                        "SELECT bundle FROM notice_versions WHERE form = ?1 AND version = ?2",
                        params![n.of.stored_key(), n.version],
                        |r| r.get::<_, String>(0),
                    )
                    .optional()?
                    .and_then(|b| serde_json::from_str(&b).ok()),
                None => None,
            };
            // The channels the purpose could reach the subject on at the
            // event: the channels opted in to (contact preferences keep no
            // history, so as they are now), less those the ledger shows
            // left for this purpose (an unsubscribe) at or before the event.
            let prefs = super::shared::load_contact(conn, &event.event.subject)?;
            let mut left = std::collections::BTreeSet::new();
            for e in channel_events_for(conn, &event.event.subject)? {
                if e.event.purpose != event.event.purpose || e.seq > event.seq {
                    continue;
                }
                if let Some(c) = e.event.channel {
                    if e.event.state.is_active() {
                        left.remove(&c);
                    } else {
                        left.insert(c);
                    }
                }
            }
            let channels = Channel::ALL
                .into_iter()
                .filter(|c| prefs.opted_in(*c) && !left.contains(c))
                .collect();
            let subject_erased = conn
                .query_row(
                    "SELECT 1 FROM erasures WHERE subject_id = ?1",
                    [event.event.subject.as_str()],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            Ok(ReceiptData {
                event,
                history,
                notice_bundle,
                channels,
                subject_erased,
            })
        };
        match actor {
            Actor::Staff { .. } | Actor::OnBehalf { .. } => self.write(&actor, now, move |tx| {
                let data = load(tx)?;
                record(
                    tx,
                    Some(&data.event.event.subject),
                    AuditAction::ReceiptRead {
                        record_id: data.event.event.record_id.as_str(),
                    },
                )?;
                Ok(data)
            }),
            _ => self.read(load),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StoreOptions;

    /// A consent given through a form, now, by the transaction's actor.
    fn given<'a>(tx: &'a Tx, subject: &'a SubjectId, purpose: &'a PurposeKey) -> NewEvent<'a> {
        NewEvent {
            subject,
            purpose,
            state: ConsentState::Given,
            notice: None,
            language: Lang::Fi,
            now: tx.now,
            actor: &tx.actor,
            method: Method::Form,
        }
    }

    /// The writer remembers the chain's head within a transaction; a job rolled
    /// back after appending must not leave its hash behind for the next job of
    /// the same group commit.
    #[test]
    fn jobs_rolled_back_after_appending_do_not_fork_the_chain() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&StoreOptions::new(dir.path())).unwrap();
        let subject = SubjectId::from_suffix(&new_ulid());
        let purpose = PurposeKey::parse("purpose", "offers").unwrap();
        let threads: Vec<_> = (0..16)
            .map(|i| {
                let (store, subject, purpose) = (store.clone(), subject.clone(), purpose.clone());
                std::thread::spawn(move || {
                    for j in 0..20 {
                        let (subject, purpose) = (subject.clone(), purpose.clone());
                        let actor = Actor::System("test".into());
                        let _ = store.write(&actor, Utc::now(), move |tx| {
                            append(tx, given(tx, &subject, &purpose))?;
                            if (i + j) % 3 == 0 {
                                return Err(CoreError::invalid("test", "rolled back").into());
                            }
                            Ok(())
                        });
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let kept = (0..16)
            .flat_map(|i| (0..20).map(move |j| (i + j) % 3 != 0))
            .filter(|k| *k)
            .count() as u64;
        assert_eq!(store.verify_ledger().unwrap(), Ok(kept));
    }

    /// The read of a subject's consent states that every submission makes is
    /// prepared once and then only bound (no new plan per subject), and reads
    /// the (subject, purpose, seq) index alone, however long the history.
    /// Either failing made each write's ledger read cost about a fifth of the
    /// writer's time (`bench/run.sh ingest`).
    #[test]
    fn the_read_of_consent_states_is_prepared_once_and_reads_the_index_alone() {
        use rusqlite::StatementStatus;
        let dir = tempfile::tempdir().unwrap();
        let subjects: Vec<SubjectId> = (0..20)
            .map(|_| SubjectId::from_suffix(&new_ulid()))
            .collect();
        {
            // A ledger with a few events per subject, written as the store writes.
            let store = Store::open(&StoreOptions::new(dir.path())).unwrap();
            let purpose = PurposeKey::parse("purpose", "offers").unwrap();
            for subject in subjects.iter().cycle().take(60) {
                let (subject, purpose) = (subject.clone(), purpose.clone());
                let actor = Actor::System("test".into());
                store
                    .write(&actor, Utc::now(), move |tx| {
                        append(tx, given(tx, &subject, &purpose)).map(|_| ())
                    })
                    .unwrap();
            }
        }
        let location = crate::db::Location::Sqlite(dir.path().join("kerro.db"));
        let conn = crate::db::connect(&location, true).unwrap();
        let sqlite = conn.as_sqlite().unwrap();
        let sql = latest_events_sql();
        for subject in &subjects {
            assert_eq!(latest_events(&conn, subject).unwrap().len(), 1);
        }
        let stmt = sqlite.prepare_cached(&sql).unwrap();
        assert_eq!(
            stmt.get_status(StatementStatus::RePrepare),
            0,
            "the cached statement was prepared again for a new subject"
        );
        drop(stmt);
        let plan: Vec<String> = sqlite
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap()
            .query_map(["sub_x"], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            plan.iter()
                .any(|step| step.contains("COVERING INDEX consent_events_subject")),
            "{plan:?}"
        );
    }
}
