//! The transactional outbox: domain events written in the same transaction
//! as the change they describe, numbered by `seq`. Other kerro nodes follow
//! it (see `follow`); it feeds webhooks and the event stream
//! (`webhooks`, `webhook_queue`). An event names the
//! pseudonymous subject id, keys and times, never a declared value, an
//! e-mail address or any other personal value.

use chrono::{DateTime, Utc};
use kerro_core::ids::SubjectId;
use kerro_core::Actor;
use serde_json::Value;

use super::ts;
use super::tx::Tx;
use crate::error::StoreResult;
use crate::sql::{params, Conn};

/// The kinds of events, as stored in `outbox.kind`.
pub mod kind {
    pub const CONSENT_GIVEN: &str = "consent.given";
    pub const CONSENT_WITHDRAWN: &str = "consent.withdrawn";
    pub const CONSENT_REFUSED: &str = "consent.refused";
    pub const CONSENT_EXPIRED: &str = "consent.expired";
    pub const DECLARATION_CHANGED: &str = "declaration.changed";
    /// Answers deleted because no purpose gives them a legal basis any more (P6).
    pub const DECLARATION_DELETED: &str = "declaration.deleted";
    pub const SUBJECT_CREATED: &str = "subject.created";
    /// Contact preferences, restriction or objection changed.
    pub const SUBJECT_CHANGED: &str = "subject.changed";
    pub const SUBJECT_ERASED: &str = "subject.erased";
    /// The subject left a channel for one purpose (one-click unsubscribe).
    pub const UNSUBSCRIBED: &str = "unsubscribed";
    /// A message (e-mail, SMS, call, letter) was sent: a campaign's or one an outside sender reported.
    pub const DELIVERY_SENT: &str = "delivery.sent";
    pub const SCHEMA_CHANGED: &str = "schema.changed";
    pub const OFFER_CHANGED: &str = "offer.changed";
    /// An offer was delivered (counted against contact caps on every node).
    pub const OFFER_DELIVERED: &str = "offer.delivered";
    /// A staff token was revoked or a person deactivated: every node drops its token cache.
    pub const STAFF_ACCESS_REVOKED: &str = "staff.access_revoked";
}

/// Appends one event; call it inside the write that makes the change (it is
/// sent with the job's next round trip).
pub(crate) fn emit(
    tx: &Tx,
    kind: &str,
    subject: Option<&SubjectId>,
    payload: Value,
    now: &DateTime<Utc>,
) -> StoreResult<()> {
    tx.defer(
        "INSERT INTO outbox (kind, subject_id, payload, node, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            kind,
            subject.map(|s| s.as_str()),
            payload.to_string(),
            tx.node(),
            ts(now)
        ],
    )?;
    if let Some(s) = subject {
        tx.saw_event(s);
    }
    Ok(())
}

/// Forgets a subject's earlier events (on erasure); the erasure event itself is written after.
pub(crate) fn forget(conn: &Conn, subject: &SubjectId) -> StoreResult<u64> {
    Ok(conn.execute(
        "DELETE FROM outbox WHERE subject_id = ?1",
        [subject.as_str()],
    )? as u64)
}

/// The newest event's number (0 when there is none).
pub(crate) fn last_seq(conn: &Conn) -> StoreResult<i64> {
    conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM outbox", (), |r| r.get(0))
}

/// The newest event about `subject` (0 when there is none): the version of what is read with it.
pub(crate) fn subject_version(conn: &Conn, subject: &SubjectId) -> StoreResult<i64> {
    conn.query_row(
        "SELECT COALESCE(MAX(seq), 0) FROM outbox WHERE subject_id = ?1",
        [subject.as_str()],
        |r| r.get(0),
    )
}

/// How many events after `after` other nodes (or processes) wrote: what a
/// follower that applied everything up to `after` has yet to apply.
pub(crate) fn others_since(conn: &Conn, after: i64, node: &str) -> StoreResult<i64> {
    conn.query_row(
        "SELECT COUNT(*) FROM outbox WHERE seq > ?1 AND node <> ?2",
        params![after, node],
        |r| r.get(0),
    )
}

/// One stored event.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OutboxEvent {
    pub seq: i64,
    pub kind: String,
    pub subject: Option<String>,
    pub payload: Value,
    pub node: String,
    pub created_at: String,
}

/// Events after `after`, oldest first, at most `limit`.
pub(crate) fn since(conn: &Conn, after: i64, limit: i64) -> StoreResult<Vec<OutboxEvent>> {
    conn.query_map(
        "SELECT seq, kind, subject_id, payload, node, created_at FROM outbox
         WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        [after, limit],
        |r| {
            let payload: String = r.get(3)?;
            Ok(OutboxEvent {
                seq: r.get(0)?,
                kind: r.get(1)?,
                subject: r.get(2)?,
                payload: serde_json::from_str(&payload).unwrap_or(Value::Null),
                node: r.get(4)?,
                created_at: r.get(5)?,
            })
        },
    )?
    .collect()
}

impl super::Store {
    /// Deletes outbox events created before `before`; returns how many.
    pub fn prune_outbox(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let cutoff = ts(&before);
        self.write(&Actor::System("outbox".into()), before, move |tx| {
            Ok(tx.execute("DELETE FROM outbox WHERE created_at < ?1", [cutoff])? as u64)
        })
    }

    /// Outbox events after `after` (oldest first, at most `limit`), for webhooks and tests.
    pub fn outbox_since(&self, after: i64, limit: i64) -> StoreResult<Vec<OutboxEvent>> {
        self.read(|conn| since(conn, after, limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Store, StoreOptions};

    /// The follower's lag counts other nodes' events after the last one it applied, not its own.
    #[test]
    fn others_since_counts_only_what_other_nodes_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&StoreOptions::new(dir.path())).unwrap();
        let me = store.node_id().to_owned();
        let before = store.read(last_seq).unwrap();
        let nodes = [me.clone(), "other".into(), me.clone(), "another".into()];
        store
            .write(&Actor::System("test".into()), Utc::now(), move |tx| {
                for node in &nodes {
                    tx.execute(
                        "INSERT INTO outbox (kind, subject_id, payload, node, created_at)
                         VALUES ('schema.changed', NULL, '{}', ?1, '2026-03-01T09:00:00Z')",
                        [node.as_str()],
                    )?;
                }
                Ok(())
            })
            .unwrap();
        let count = |after: i64| store.read(|c| others_since(c, after, &me)).unwrap();
        assert_eq!(count(before), 2);
        assert_eq!(count(before + 2), 1, "one of them is already applied");
        assert_eq!(count(store.read(last_seq).unwrap()), 0);
    }
}
