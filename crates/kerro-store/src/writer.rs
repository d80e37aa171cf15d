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

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::error::{StoreError, StoreResult};
use crate::sql::{Conn, Dialect};

type Reply = Box<dyn FnOnce(StoreResult<()>) + Send>;
type Job = Box<dyn FnOnce(&Conn) -> (bool, Reply) + Send>;

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
    pub(crate) fn start(conn: Conn, connect: Connect) -> Writer {
        let (tx, rx) = mpsc::channel::<Job>();
        let spawned = thread::Builder::new()
            .name("kerro-writer".into())
            .spawn(move || run(conn, connect, rx));
        if let Err(e) = spawned {
            tracing::error!("cannot start the writer thread: {e}");
        }
        Writer { jobs: tx }
    }

    /// Runs `f` in the next group transaction and returns its result once that transaction committed.
    pub fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Conn) -> StoreResult<T> + Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel::<StoreResult<T>>(1);
        let job: Job = Box::new(move |conn| {
            let result = f(conn);
            let ok = result.is_ok();
            let reply: Reply = Box::new(move |commit| {
                let out = match (result, commit) {
                    (Err(e), _) => Err(e),
                    (Ok(_), Err(e)) => Err(e),
                    (Ok(v), Ok(())) => Ok(v),
                };
                let _ = tx.send(out);
            });
            (ok, reply)
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

fn run(conn: Conn, connect: Connect, rx: mpsc::Receiver<Job>) {
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
        c.set_chain_heads(Some(Default::default()));
        let mut replies = Vec::with_capacity(batch.len());
        let mut wrote = false;
        for job in batch {
            if let Err(e) = c.execute_batch("SAVEPOINT job") {
                tracing::error!("cannot open a savepoint: {e}");
                continue;
            }
            let heads = c.chain_heads();
            let (ok, reply) = job(c);
            if !ok {
                // The job's appends are rolled back with its savepoint.
                c.set_chain_heads(heads);
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
        c.set_chain_heads(None);
        if let Err(e) = &commit {
            tracing::error!("commit failed: {e}");
            let _ = c.execute_batch("ROLLBACK");
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
