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
use crate::telemetry;

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
    /// Whether jobs note their profile edits (only when an index reads them).
    track_profiles: bool,
}

impl Writer {
    pub(crate) fn start(
        conn: Conn,
        connect: Connect,
        keys: Arc<Keyring>,
        on_commit: OnCommit,
        track_profiles: bool,
    ) -> Writer {
        let (tx, rx) = mpsc::channel::<Job>();
        let wal = start_wal_checkpoints(&conn, &connect);
        let spawned = thread::Builder::new()
            .name("kerro-writer".into())
            .spawn(move || run(conn, connect, &keys, &on_commit, rx, wal));
        if let Err(e) = spawned {
            tracing::error!("cannot start the writer thread: {e}");
        }
        Writer {
            jobs: tx,
            track_profiles,
        }
    }

    /// Runs `f` as `actor` at `now` in the next group transaction and
    /// returns its result once that transaction committed.
    pub(crate) fn write<T, F>(&self, actor: Actor, now: DateTime<Utc>, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Tx) -> StoreResult<T> + Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel::<StoreResult<T>>(1);
        let track = self.track_profiles;
        let job: Job = Box::new(move |conn, keys, heads| {
            let write = Tx::new(conn, keys, heads, now, actor, track);
            // What the job deferred is sent now: its errors are the job's.
            let result = f(&write).and_then(|v| conn.flush().map(|()| v));
            if result.is_err() {
                conn.discard();
            }
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

/// How long the WAL thread lets commits gather before it folds them into the database file.
const WAL_CHECKPOINT_EVERY: Duration = Duration::from_millis(50);

/// On SQLite, moves WAL checkpoints off the writer: its connection stops
/// checkpointing after commits (SQLite would copy the log's pages into the
/// database file and sync it inside a commit, about a fifth of the writer's
/// time under load), and a thread of its own with its own connection runs a
/// passive checkpoint, which never blocks the writer or a reader, shortly
/// after commits. Durability is unchanged: every commit's log is synced
/// before it is answered. Returns what the writer pokes after a commit.
fn start_wal_checkpoints(conn: &Conn, connect: &Connect) -> Option<mpsc::SyncSender<()>> {
    let sqlite = conn.as_sqlite()?;
    let stay = |e: &dyn std::fmt::Display| tracing::warn!("checkpoints stay in the writer: {e}");
    let own = connect().map_err(|e| stay(&e)).ok()?;
    let (poke, poked) = mpsc::sync_channel::<()>(1);
    thread::Builder::new()
        .name("kerro-wal".into())
        .spawn(move || {
            // Ends when the writer is gone; the last connection to close checkpoints.
            while poked.recv().is_ok() {
                thread::sleep(WAL_CHECKPOINT_EVERY);
                while poked.try_recv().is_ok() {}
                if let Some(c) = own.as_sqlite() {
                    if let Err(e) = c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                        tracing::warn!("WAL checkpoint: {e}");
                    }
                }
            }
        })
        .map_err(|e| stay(&e))
        .ok()?;
    // Only once another thread checkpoints does the writer stop (should this
    // fail, both checkpoint, which is merely slower).
    if let Err(e) = sqlite.pragma_update(None, "wal_autocheckpoint", 0) {
        stay(&e);
    }
    Some(poke)
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
    wal: Option<mpsc::SyncSender<()>>,
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
        metrics::histogram!(telemetry::WRITER_BATCH_SIZE).record(batch.len() as f64);
        // Under the write lock nobody else appends: the chain heads can be remembered.
        let heads = RefCell::new(ChainHeads::default());
        let mut replies = Vec::with_capacity(batch.len());
        let mut touched = Vec::with_capacity(batch.len());
        let mut wrote = false;
        // Whether the last job's savepoint is still to be released: the release
        // goes out with the next savepoint, or the COMMIT (one round trip less a job).
        let mut open = false;
        for job in batch {
            let begin: &[&str] = if open {
                &["RELEASE SAVEPOINT job", "SAVEPOINT job"]
            } else {
                &["SAVEPOINT job"]
            };
            open = false;
            if let Err(e) = c.run_fixed(begin) {
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
            if ok {
                open = true;
            } else if let Err(e) =
                c.run_fixed(&["ROLLBACK TO SAVEPOINT job", "RELEASE SAVEPOINT job"])
            {
                tracing::error!("cannot close a savepoint: {e}");
            }
            replies.push(reply);
        }
        // The profiles of this transaction are as of its newest outbox event:
        // under the write lock no other node's event falls between its own.
        if touched.iter().any(Touched::has_events) {
            match crate::store::outbox::last_seq(c) {
                Ok(seq) => touched.iter_mut().for_each(|t| t.set_version(seq)),
                Err(e) => tracing::error!("cannot read the outbox's last number: {e}"),
            }
        }
        let notify = format!("NOTIFY {CHANNEL}");
        let mut end: Vec<&str> = Vec::with_capacity(3);
        if open {
            end.push("RELEASE SAVEPOINT job");
        }
        if wrote && c.dialect() == Dialect::Postgres {
            end.push(&notify);
        }
        end.push("COMMIT");
        let committing = Instant::now();
        let commit = c.run_fixed(&end);
        match &commit {
            Ok(()) => {
                telemetry::seconds_since(telemetry::WRITER_COMMIT_SECONDS, committing);
                if let Some(poke) = &wal {
                    // Full means a checkpoint is already due.
                    let _ = poke.try_send(());
                }
                on_commit(touched);
            }
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

#[cfg(test)]
mod tests {
    use crate::sql::params;
    use crate::{Store, StoreOptions};
    use chrono::Utc;
    use kerro_core::{Actor, ErrorCode};

    /// A deferred statement that fails fails its own job at the job's end, in
    /// its savepoint; the other jobs of the same group transaction commit.
    fn deferred_errors_stay_with_their_job(store: &Store) {
        let actor = Actor::System("test".into());
        let insert = "INSERT INTO web_form_tokens (hash, expires_at) VALUES (?1, ?2)";
        let later = "9999-01-01T00:00:00Z";
        store
            .write(&actor, Utc::now(), move |tx| {
                tx.defer(insert, params!["taken", later])
            })
            .unwrap();
        let threads: Vec<_> = (0..16)
            .map(|i| {
                let (store, actor) = (store.clone(), actor.clone());
                std::thread::spawn(move || {
                    let hash = if i % 2 == 1 {
                        "taken".to_owned()
                    } else {
                        format!("h{i}")
                    };
                    let r = store.write(&actor, Utc::now(), move |tx| {
                        tx.defer(insert, params![hash, later])?;
                        // More statements after the failing one: their "transaction
                        // aborted" answers must not hide the error that counts.
                        for k in 0..4 {
                            tx.defer(insert, params![format!("extra{i}.{k}"), later])?;
                        }
                        Ok(())
                    });
                    (i, r)
                })
            })
            .collect();
        for t in threads {
            let (i, r) = t.join().unwrap();
            match r {
                Ok(()) => assert_eq!(i % 2, 0, "job {i} should have failed"),
                Err(e) => {
                    assert_eq!(i % 2, 1, "job {i} failed: {e}");
                    // A constraint the store's checks should have caught is an internal error.
                    assert_eq!(e.to_core().code, ErrorCode::Internal, "{e}");
                    assert!(e.to_string().to_lowercase().contains("unique"), "{e}");
                }
            }
        }
        // Sixty statements whose order matters, in one job (more than a
        // small join would poll by itself): each insert needs the delete before it.
        store
            .write(&actor, Utc::now(), move |tx| {
                for _ in 0..30 {
                    tx.defer(insert, params!["ordered", later])?;
                    tx.defer("DELETE FROM web_form_tokens WHERE hash = ?1", ["ordered"])?;
                }
                Ok(())
            })
            .unwrap();
        let kept: Vec<String> = store
            .read(|c| {
                c.query_map("SELECT hash FROM web_form_tokens ORDER BY hash", (), |r| {
                    r.get(0)
                })?
                .collect()
            })
            .unwrap();
        let mut want: Vec<String> = (0..16)
            .filter(|i| i % 2 == 0)
            .flat_map(|i| {
                (0..4)
                    .map(move |k| format!("extra{i}.{k}"))
                    .chain([format!("h{i}")])
            })
            .chain(["taken".to_owned()])
            .collect();
        want.sort();
        assert_eq!(kept, want);
    }

    #[test]
    fn deferred_errors_stay_with_their_job_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&StoreOptions::new(dir.path())).unwrap();
        deferred_errors_stay_with_their_job(&store);
    }

    /// On PostgreSQL the deferred statements are pipelined: the error of one
    /// arrives with the others' answers. Runs when `KERRO_TEST_POSTGRES_URL` is set.
    #[test]
    fn deferred_errors_stay_with_their_job_on_postgres() {
        let Some((url, admin, name)) = crate::db::fresh_test_database("kerro_writer") else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let mut opts = StoreOptions::new(dir.path());
        opts.database = Some(url);
        {
            let store = Store::open(&opts).unwrap();
            deferred_errors_stay_with_their_job(&store);
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
        let _ = admin.execute_batch(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
}
