//! Following other nodes, and other processes. Each node keeps the schema
//! snapshot, the compiled offers and the profile and audience index in
//! memory. When another node changes something, its write transaction adds
//! outbox events and ends with `NOTIFY kerro_outbox`; this thread LISTENs on
//! a connection of its own, reads the outbox past the last `seq` it applied,
//! and refreshes what those events touch. It also polls every 250 ms, so a
//! lost notification (or a reconnect) delays a change by at most that long.
//!
//! Outbox numbers are drawn under the writers' shared advisory lock, so a
//! transaction with a higher `seq` always commits after every lower one:
//! reading `seq > last` never skips an event that commits later. (On
//! SQLite the one writer of the file serialises them the same way.)
//!
//! On SQLite there is one server, but other processes may write the same
//! file (`kerro import`, `kerro token create`): the follower polls the outbox
//! there too, so a running server sees an import without a restart.

use std::collections::BTreeMap;
use std::sync::Weak;
use std::thread;
use std::time::Duration;

use chrono::DateTime;
use kerro_core::contact::Channel;
use kerro_core::decide::Delivery;
use kerro_core::ids::{OfferKey, SubjectId};
use kerro_core::ErrorCode;

use super::outbox::{kind, others_since, since, OutboxEvent};
use super::{Inner, Store};
use crate::db::{self, Location};
use crate::error::StoreResult;
use crate::sql::{Conn, Dialect};
use crate::telemetry;
use crate::writer::CHANNEL;

/// How long the follower waits for a notification before looking anyway.
const POLL: Duration = Duration::from_millis(250);

pub(crate) fn start(store: Weak<Inner>, location: Location, from_seq: i64) {
    let spawned = thread::Builder::new()
        .name("kerro-follow".into())
        .spawn(move || run(store, location, from_seq));
    if let Err(e) = spawned {
        tracing::error!("cannot start the follower thread: {e}");
    }
}

fn run(store: Weak<Inner>, location: Location, mut last: i64) {
    let mut backoff = Duration::from_millis(100);
    loop {
        if store.strong_count() == 0 {
            return;
        }
        let conn = match db::connect(&location, false) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("the follower cannot reach the database, retrying: {e}");
                thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(2));
                continue;
            }
        };
        let listen = match conn.dialect() {
            Dialect::Postgres => conn.execute_batch(&format!("LISTEN {CHANNEL}")),
            Dialect::Sqlite => Ok(()),
        };
        if let Err(e) = listen {
            tracing::warn!("the follower cannot LISTEN, retrying: {e}");
            thread::sleep(backoff);
            continue;
        }
        backoff = Duration::from_millis(100);
        loop {
            let Some(inner) = store.upgrade() else { return };
            let store = Store { inner };
            if let Err(e) = catch_up(&store, &conn, &mut last) {
                tracing::warn!("the follower lost its connection, reconnecting: {e}");
                break;
            }
            drop(store);
            if let Err(e) = wait(&conn) {
                tracing::warn!("the follower lost its connection, reconnecting: {e}");
                break;
            }
        }
    }
}

/// Waits for a notification or `POLL`, then drains any others pending
/// (SQLite has no notifications: it just waits).
fn wait(conn: &Conn) -> StoreResult<()> {
    let Some(pg) = conn.as_postgres() else {
        thread::sleep(POLL);
        return Ok(());
    };
    if pg.wait_notification(POLL).is_some() {
        pg.drain_notifications();
    }
    if conn.is_broken() {
        return Err(crate::error::StoreError::Closed);
    }
    Ok(())
}

fn catch_up(store: &Store, conn: &Conn, last: &mut i64) -> StoreResult<()> {
    // The lag: events of other nodes not applied yet, counted once a pass and
    // then down as batches are applied. (Counted, not timed: an event's
    // `created_at` is the time of what it records, an import's `given_at` say.)
    let mut behind = others_since(conn, *last, store.node_id())?;
    lag(behind);
    loop {
        let events = since(conn, *last, 2000)?;
        let Some(newest) = events.last().map(|e| e.seq) else {
            lag(0);
            return Ok(());
        };
        // An event is passed only once applied: if the database went away
        // meanwhile, the same events are read again after reconnecting.
        apply(store, &events)?;
        *last = newest;
        let applied = events.iter().filter(|e| e.node != store.node_id()).count();
        behind -= i64::try_from(applied).unwrap_or(i64::MAX);
        lag(behind);
    }
}

fn lag(events: i64) {
    metrics::gauge!(telemetry::FOLLOWER_LAG_EVENTS).set(events.max(0) as f64);
}

/// What one subject needs after a run of events.
enum Refresh {
    Reload,
    Drop,
}

fn apply(store: &Store, events: &[OutboxEvent]) -> StoreResult<()> {
    let node = store.node_id();
    let mut schema = false;
    let mut subjects: BTreeMap<String, Refresh> = BTreeMap::new();
    for e in events.iter().filter(|e| e.node != node) {
        match e.kind.as_str() {
            kind::SCHEMA_CHANGED | kind::OFFER_CHANGED => schema = true,
            kind::SUBJECT_ERASED => {
                if let Some(s) = &e.subject {
                    subjects.insert(s.clone(), Refresh::Drop);
                }
            }
            kind::OFFER_DELIVERED | kind::DELIVERY_SENT => delivered(store, e),
            kind::STAFF_ACCESS_REVOKED => store.forget_tokens(),
            _ => {
                if let Some(s) = &e.subject {
                    subjects.entry(s.clone()).or_insert(Refresh::Reload);
                }
            }
        }
    }
    if schema {
        store.reload_snapshot()?;
    }
    if !store.inner.index_enabled {
        return Ok(());
    }
    for (id, what) in subjects {
        let Ok(id) = SubjectId::parse(&id) else {
            continue;
        };
        match what {
            Refresh::Drop => store.inner.index.remove(&id),
            Refresh::Reload => match store.refresh_profile(&id) {
                Ok(()) => {}
                Err(e) if e.to_core().code == ErrorCode::Unavailable => return Err(e),
                // Erased or unknown by now: nothing to follow.
                Err(e) => tracing::debug!(subject = %id, "profile not reloaded: {e}"),
            },
        }
    }
    Ok(())
}

/// Another node showed an offer or sent a message: count it here too, so caps hold across nodes.
fn delivered(store: &Store, e: &OutboxEvent) {
    let (Some(subject), Some(offer), Some(channel), Some(at)) = (
        e.subject.as_deref().and_then(|s| SubjectId::parse(s).ok()),
        e.payload["offer"]
            .as_str()
            .and_then(|o| OfferKey::parse("offer", o).ok()),
        e.payload["channel"].as_str().and_then(Channel::parse),
        e.payload["at"]
            .as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok()),
    ) else {
        return;
    };
    store.inner.index.add_delivery(
        subject,
        Delivery {
            offer,
            channel,
            at: at.to_utc(),
        },
    );
}
