//! The decision log: every offer a decision chose, with its reasons (sealed
//! under the subject's key), written in batches by a background thread so the
//! hot path never waits for an fsync, and read back for the subject's export.
//! A row is an impression (`shown`, the web channel), a choice for a message
//! not yet sent (`decided`), or a message sent (`sent`, see `deliveries`).
//! Each impression also goes to the outbox (`offer.delivered`).

use crate::sql::{params, Conn};
use chrono::{DateTime, Utc};
use kerro_core::contact::Channel;
use kerro_core::ids::{OfferKey, SubjectId};
use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::Arc;

use super::outbox;
use super::shared::subject_key;
use super::tx::Tx;
use super::{corrupt, parse_ts, ts};
use crate::crypto::Keyring;
use crate::error::StoreResult;
use crate::model::LoggedDecision;
use kerro_core::Actor;

/// What a decision log row records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogKind {
    /// Shown on the company's own pages (web): an impression.
    Shown,
    /// Chosen for a message; a delivery report or a campaign makes it `sent`.
    Decided,
    /// A message sent.
    Sent,
}

impl LogKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            LogKind::Shown => "shown",
            LogKind::Decided => "decided",
            LogKind::Sent => "sent",
        }
    }

    /// What a decision on `channel` logs: an impression on the web, a choice elsewhere.
    pub(crate) fn for_decision(channel: Channel) -> LogKind {
        if channel.is_message() {
            LogKind::Decided
        } else {
            LogKind::Shown
        }
    }
}

/// Decisions for messages whose rows the flusher has not written yet, by
/// decision id, so a delivery reported at once is still recognised.
#[derive(Default)]
pub(crate) struct Unflushed {
    pub(super) decisions: parking_lot::Mutex<HashMap<String, UnflushedDecision>>,
}

#[derive(Clone)]
pub(crate) struct UnflushedDecision {
    pub(super) subject: SubjectId,
    pub(super) channel: Channel,
    pub(super) at: DateTime<Utc>,
    /// The offers chosen: key, personalised, reasons.
    pub(super) offers: Vec<(OfferKey, bool, serde_json::Value)>,
}

/// A decision waiting to be written to the log.
pub(crate) struct PendingLog {
    pub(super) decision_id: String,
    pub(super) kind: LogKind,
    pub(super) subject: SubjectId,
    pub(super) offer: OfferKey,
    pub(super) channel: Channel,
    pub(super) at: DateTime<Utc>,
    pub(super) personalized: bool,
    pub(super) reasons: serde_json::Value,
}

/// Starts the background thread that writes logged decisions in batches.
pub(crate) fn start_flusher(store: std::sync::Weak<super::Inner>) -> mpsc::Sender<PendingLog> {
    let (tx, rx) = mpsc::channel::<PendingLog>();
    let spawned = std::thread::Builder::new()
        .name("kerro-decision-log".into())
        .spawn(move || {
            while let Ok(first) = rx.recv() {
                // Gather what arrives within a short window into one transaction.
                std::thread::sleep(std::time::Duration::from_millis(20));
                let mut batch = vec![first];
                while let Ok(more) = rx.try_recv() {
                    batch.push(more);
                }
                let Some(inner) = store.upgrade() else { return };
                // While the database is unavailable (PostgreSQL restarting), the
                // batch is kept and retried for up to two minutes.
                let batch = Arc::new(batch);
                for attempt in 1.. {
                    let b = batch.clone();
                    let at = batch.iter().map(|l| l.at).max().unwrap_or_default();
                    let actor = Actor::System("decision-log".into());
                    match inner.writer.write(actor, at, move |tx| write_logs(tx, &b)) {
                        Ok(()) => break,
                        Err(e)
                            if attempt < 240
                                && e.to_core().code == kerro_core::ErrorCode::Unavailable =>
                        {
                            if attempt == 1 {
                                tracing::warn!("the decision log waits for the database: {e}");
                            }
                            std::thread::sleep(std::time::Duration::from_millis(500));
                        }
                        Err(e) => {
                            tracing::error!(
                                "cannot write the decision log; {} decisions not logged: {e}",
                                batch.len()
                            );
                            break;
                        }
                    }
                }
                // Written, or given up on: either way the rows no longer wait
                // in memory (a batch given up on would otherwise stay for good).
                let mut unflushed = inner.unflushed.decisions.lock();
                for l in batch.iter() {
                    unflushed.remove(&l.decision_id);
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!("cannot start the decision-log thread: {e}");
    }
    tx
}

fn write_logs(tx: &Tx, batch: &[PendingLog]) -> StoreResult<()> {
    let (conn, keys) = (tx, tx.keys);
    let mut dk_cache: HashMap<SubjectId, Option<crate::crypto::DataKey>> = HashMap::new();
    for log in batch {
        let dk = dk_cache
            .entry(log.subject.clone())
            .or_insert_with(|| subject_key(conn, keys, &log.subject).ok());
        // An erased subject (its key is gone) has its pending decisions dropped with it.
        let Some(dk) = dk else { continue };
        let sealed = dk.seal(
            log.subject.as_str(),
            "decision",
            log.reasons.to_string().as_bytes(),
        )?;
        conn.defer(
            "INSERT INTO decisions (subject_id, offer, channel, decided_at, personalized, reasons_enc,
                                    decision_id, kind)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
            log.subject.as_str(),
            log.offer.as_str(),
            log.channel.as_str(),
            ts(&log.at),
            log.personalized,
            sealed,
            log.decision_id.as_str(),
            log.kind.as_str()
        ])?;
        if log.kind != LogKind::Shown {
            continue;
        }
        outbox::emit(
            tx,
            outbox::kind::OFFER_DELIVERED,
            Some(&log.subject),
            serde_json::json!({
                "offer": log.offer.as_str(),
                "channel": log.channel.as_str(),
                "at": ts(&log.at),
            }),
            &log.at,
        )?;
    }
    Ok(())
}

pub(crate) fn decisions_for(
    conn: &Conn,
    keys: &Keyring,
    id: &SubjectId,
) -> StoreResult<Vec<LoggedDecision>> {
    let dk = subject_key(conn, keys, id)?;
    let mut out = Vec::new();
    for r in &conn.rows(
        "SELECT offer, channel, decided_at, personalized, reasons_enc, kind, decision_id, campaign_id
         FROM decisions WHERE subject_id = ?1 ORDER BY id",
[id.as_str()])? {
        let sealed: Vec<u8> = r.get(4)?;
        let reasons = dk.open(id.as_str(), "decision", &sealed)?;
        out.push(LoggedDecision {
            offer: r.get(0)?,
            channel: r.get(1)?,
            decided_at: parse_ts(&r.get::<_, String>(2)?)?,
            personalized: r.get(3)?,
            reasons: serde_json::from_slice(&reasons).map_err(corrupt("decision reasons"))?,
            kind: r.get(5)?,
            decision_id: r.get(6)?,
            campaign: r.get(7)?,
        });
    }
    Ok(out)
}
