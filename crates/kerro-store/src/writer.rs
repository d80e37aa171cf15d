//! Group commit: one thread owns the write connection and runs queued write
//! jobs in shared transactions, so many concurrent requests share one fsync.
//! Each job runs inside its own savepoint, so a job that fails is rolled back
//! alone; no job's caller hears "ok" before the COMMIT covering it returned.

use rusqlite::Connection;
use std::sync::mpsc;
use std::thread;

use crate::error::{StoreError, StoreResult};

type Reply = Box<dyn FnOnce(StoreResult<()>) + Send>;
type Job = Box<dyn FnOnce(&Connection) -> (bool, Reply) + Send>;

/// The most jobs one transaction takes, so a burst cannot delay the first caller for long.
const MAX_BATCH: usize = 512;

pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    pub fn start(conn: Connection) -> Writer {
        let (tx, rx) = mpsc::channel::<Job>();
        let spawned = thread::Builder::new()
            .name("kerro-writer".into())
            .spawn(move || run(conn, rx));
        if let Err(e) = spawned {
            tracing::error!("cannot start the writer thread: {e}");
        }
        Writer { jobs: tx }
    }

    /// Runs `f` in the next group transaction and returns its result once that transaction committed.
    pub fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
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

fn run(conn: Connection, rx: mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            // Dropping a job unanswered makes its caller see `StoreError::Closed`
            // (unavailable); nothing of it was written.
            tracing::error!("cannot begin a write transaction: {e}");
            drop(batch);
            continue;
        }
        let mut replies = Vec::with_capacity(batch.len());
        for job in batch {
            if let Err(e) = conn.execute_batch("SAVEPOINT job") {
                tracing::error!("cannot open a savepoint: {e}");
                continue;
            }
            let (ok, reply) = job(&conn);
            let end = if ok {
                "RELEASE job"
            } else {
                "ROLLBACK TO job; RELEASE job"
            };
            if let Err(e) = conn.execute_batch(end) {
                tracing::error!("cannot close a savepoint: {e}");
            }
            replies.push(reply);
        }
        let commit = conn.execute_batch("COMMIT");
        if let Err(e) = &commit {
            tracing::error!("commit failed: {e}");
            let _ = conn.execute_batch("ROLLBACK");
        }
        for reply in replies {
            reply(match &commit {
                Ok(()) => Ok(()),
                Err(_) => Err(StoreError::Closed),
            });
        }
    }
}
