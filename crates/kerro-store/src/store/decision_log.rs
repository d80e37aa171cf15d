//! The decision log: every offer shown, with its reasons (sealed under the
//! subject's key), written in batches by a background thread so the hot path
//! never waits for an fsync, and read back for the subject's export. Each
//! logged delivery also goes to the outbox (`offer.delivered`).

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

/// A decision waiting to be written to the log.
pub(crate) struct PendingLog {
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
            "INSERT INTO decisions (subject_id, offer, channel, decided_at, personalized, reasons_enc)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
            log.subject.as_str(),
            log.offer.as_str(),
            log.channel.as_str(),
            ts(&log.at),
            log.personalized,
            sealed
        ])?;
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
        "SELECT offer, channel, decided_at, personalized, reasons_enc FROM decisions WHERE subject_id = ?1 ORDER BY id",
[id.as_str()])? {
        let sealed: Vec<u8> = r.get(4)?;
        let reasons = dk.open(id.as_str(), "decision", &sealed)?;
        out.push(LoggedDecision {
            offer: r.get(0)?,
            channel: r.get(1)?,
            decided_at: parse_ts(&r.get::<_, String>(2)?)?,
            personalized: r.get(3)?,
            reasons: serde_json::from_slice(&reasons).map_err(corrupt("decision reasons"))?,
        });
    }
    Ok(out)
}
