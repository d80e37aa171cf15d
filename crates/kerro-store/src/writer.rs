//! Group commit: one thread owns the write connection and runs queued write
//! jobs in shared transactions, so many concurrent requests share one commit.
//! Each job runs inside its own savepoint, so a job that fails is rolled back
//! alone; no job's caller hears "ok" before the COMMIT covering it returned.
//!
//! On PostgreSQL every write transaction first takes one advisory lock, so
//! the writers of several kerro nodes take turns: the ledger's and the audit
//! log's hash chains each get one next link at a time, and outbox sequence
//! numbers become visible in the order they were drawn. A transaction that
//! wrote anything ends with `NOTIFY kerro_outbox`, which wakes the other nodes.
//! A lost connection is replaced before the next transaction; the jobs of a
//! transaction that failed are answered with the error (503 to clients).

use chrono::{DateTime, Utc};
use kerro_core::Actor;
use std::cell::RefCell;
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use crate::crypto::Keyring;
use crate::error::{StoreError, StoreResult};
use crate::sql::{Conn, Dialect};
use crate::store::tx::{ChainHeads, Touched, Tx};

type Reply = Box<dyn FnOnce(StoreResult<()>) + Send>;
/// A job runs in its savepoint; it answers with its reply and, if it succeeded, what it touched.
type Job =
    Box<dyn FnOnce(&Conn, &Keyring, &RefCell<ChainHeads>) -> (Reply, Option<Touched>) + Send>;

/// What the store does after each COMMIT with what its jobs touched, in job
/// order, before any of their callers hears back (the in-memory profiles and
/// the schema snapshot).
pub(crate) type OnCommit = Box<dyn Fn(Vec<Touched>) + Send>;

/// Opens a fresh connection when the current one is lost.
pub(crate) type Connect = Box<dyn Fn() -> StoreResult<Conn> + Send>;

/// The most jobs one transaction takes, so a burst cannot delay the first caller for long.
const MAX_BATCH: usize = 512;

/// The advisory lock every PostgreSQL write transaction holds (see the module docs).
pub const WRITE_LOCK: i64 = 0x6b65_7272_6f00_0002;

/// The channel other nodes LISTEN on.
pub const CHANNEL: &str = "kerro_outbox";

/// A connection idle this long is checked before use: the server may have restarted meanwhile.
pub(crate) const CHECK_AFTER_IDLE: Duration = Duration::from_secs(1);

pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    pub(crate) fn start(
        conn: Conn,
        connect: Connect,
        keys: Arc<Keyring>,
        on_commit: OnCommit,
    ) -> Writer {
        let (tx, rx) = mpsc::channel::<Job>();
        let spawned = thread::Builder::new()
            .name("kerro-writer".into())
            .spawn(move || run(conn, connect, &keys, &on_commit, rx));
        if let Err(e) = spawned {
            tracing::error!("cannot start the writer thread: {e}");
        }
        Writer { jobs: tx }
    }

    /// Runs `f` as `actor` at `now` in the next group transaction and
    /// returns its result once that transaction committed.
    pub(crate) fn write<T, F>(&self, actor: Actor, now: DateTime<Utc>, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Tx) -> StoreResult<T> + Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel::<StoreResult<T>>(1);
        let job: Job = Box::new(move |conn, keys, heads| {
            let write = Tx::new(conn, keys, heads, now, actor);
            let result = f(&write);
            let touched = result.is_ok().then(|| write.into_touched());
            let reply: Reply = Box::new(move |commit| {
                let out = match (result, commit) {
                    (Err(e), _) => Err(e),
                    (Ok(_), Err(e)) => Err(e),
                    (Ok(v), Ok(())) => Ok(v),
                };
                let _ = tx.send(out);
            });
            (reply, touched)
        });
        self.jobs.send(job).map_err(|_| StoreError::Closed)?;
        rx.recv().map_err(|_| StoreError::Closed)?
    }
}

fn begin(conn: &Conn) -> StoreResult<()> {
    match conn.dialect() {
        Dialect::Sqlite => conn.execute_batch("BEGIN IMMEDIATE"),
        Dialect::Postgres => conn.execute_batch(&format!(
            "BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})"
        )),
    }
}

/// Begins a transaction, replacing a lost connection first. No job has run yet, so retrying is safe.
fn begin_with_retry(
    conn: &mut Option<Conn>,
    connect: &Connect,
    idle_since: Instant,
) -> StoreResult<()> {
    if let Some(c) = conn.as_ref() {
        let stale = c.dialect() == Dialect::Postgres
            && idle_since.elapsed() >= CHECK_AFTER_IDLE
            && !c.is_valid();
        if c.is_broken() || stale {
            *conn = None;
        }
    }
    for attempt in 0..2 {
        if conn.is_none() {
            *conn = Some(connect()?);
        }
        let Some(c) = conn.as_ref() else { continue };
        match begin(c) {
            Ok(()) => return Ok(()),
            Err(e) if attempt == 0 && c.dialect() == Dialect::Postgres => {
                tracing::warn!("cannot begin a write transaction, reconnecting: {e}");
                *conn = None;
            }
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Closed)
}

fn run(
    conn: Conn,
    connect: Connect,
    keys: &Keyring,
    on_commit: &OnCommit,
    rx: mpsc::Receiver<Job>,
) {
    let mut conn = Some(conn);
    let mut idle_since = Instant::now();
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = begin_with_retry(&mut conn, &connect, idle_since) {
            // Dropping a job unanswered makes its caller see `StoreError::Closed`
            // (unavailable); nothing of it was written.
            tracing::error!("cannot begin a write transaction: {e}");
            drop(batch);
            continue;
        }
        let Some(c) = conn.as_ref() else { continue };
        // Under the write lock nobody else appends: the chain heads can be remembered.
        let heads = RefCell::new(ChainHeads::default());
        let mut replies = Vec::with_capacity(batch.len());
        let mut touched = Vec::with_capacity(batch.len());
        let mut wrote = false;
        for job in batch {
            if let Err(e) = c.execute_batch("SAVEPOINT job") {
                tracing::error!("cannot open a savepoint: {e}");
                continue;
            }
            let before = heads.borrow().clone();
            let (reply, done) = job(c, keys, &heads);
            let ok = done.is_some();
            if let Some(t) = done {
                touched.push(t);
            } else {
                // The job's appends are rolled back with its savepoint.
                *heads.borrow_mut() = before;
            }
            wrote |= ok;
            let end = if ok {
                "RELEASE SAVEPOINT job"
            } else {
                "ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job"
            };
            if let Err(e) = c.execute_batch(end) {
                tracing::error!("cannot close a savepoint: {e}");
            }
            replies.push(reply);
        }
        let commit = if wrote && c.dialect() == Dialect::Postgres {
            c.execute_batch(&format!("NOTIFY {CHANNEL}; COMMIT"))
        } else {
            c.execute_batch("COMMIT")
        };
        match &commit {
            Ok(()) => on_commit(touched),
            Err(e) => {
                tracing::error!("commit failed: {e}");
                let _ = c.execute_batch("ROLLBACK");
            }
        }
        if c.is_broken() {
            conn = None;
        }
        idle_since = Instant::now();
        for reply in replies {
            reply(match &commit {
                Ok(()) => Ok(()),
                Err(_) => Err(StoreError::Closed),
            });
        }
    }
}
