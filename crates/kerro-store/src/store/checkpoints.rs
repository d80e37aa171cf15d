//! Signed checkpoints of the two hash chains (issue 11, item 8): writing one
//! for each chain whose head moved, inside a write transaction, so it names
//! the committed head while the write lock keeps every other writer (of any
//! node) out; the policy (every N entries or M minutes, whichever comes
//! first) and the thread that applies it; and listing them for
//! `GET /v1/checkpoints`. Comparing the chains with them is `verify.rs`'s;
//! the key and the signed statement are `signing.rs`'s.
//!
//! Two nodes may both decide to write a checkpoint: the second one's write
//! transaction sees the first one's checkpoint of the same head and writes
//! none (and `UNIQUE (chain, head_seq)` would refuse a duplicate anyway).
//! Writing a checkpoint is not itself audited: an audit entry would move the
//! head the checkpoint just named.

use chrono::{DateTime, Utc};
use kerro_core::Actor;
use parking_lot::Mutex;
use std::sync::mpsc;
use std::sync::{Arc, Weak};
use std::time::Duration;

use super::tx::{Appended, Tx};
use super::{ts, Inner, Store};
use crate::error::{StoreError, StoreResult};
use crate::signing::{statement, CheckpointKey};
use crate::sql::{params, Conn, OptionalExtension, Row, Val};

/// One of the two hash chains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Chain {
    /// The consent ledger (`consent_events`).
    Ledger,
    /// The audit log (`audit_log`).
    Audit,
}

impl Chain {
    pub const ALL: [Chain; 2] = [Chain::Ledger, Chain::Audit];

    /// The name checkpoints and the API use: `ledger` or `audit`.
    pub fn as_str(self) -> &'static str {
        match self {
            Chain::Ledger => "ledger",
            Chain::Audit => "audit",
        }
    }

    pub fn parse(raw: &str) -> Option<Chain> {
        Chain::ALL.into_iter().find(|c| c.as_str() == raw)
    }

    /// What the chain's entries are called in messages.
    pub fn entries(self) -> &'static str {
        match self {
            Chain::Ledger => "events",
            Chain::Audit => "entries",
        }
    }

    pub(crate) fn table(self) -> &'static str {
        match self {
            Chain::Ledger => "consent_events",
            Chain::Audit => "audit_log",
        }
    }
}

/// A signed statement that `chain`'s entry `head_seq` had hash `head_hash` at `created_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The checkpoint's own number (0 for one that is not stored, such as a copy's).
    pub seq: i64,
    pub chain: Chain,
    pub head_seq: i64,
    pub head_hash: String,
    /// RFC 3339 with microseconds, exactly as signed.
    pub created_at: String,
    /// The Ed25519 public key it claims to be signed with, in hex.
    pub public_key: String,
    /// The Ed25519 signature of [`Checkpoint::statement`], in hex.
    pub signature: String,
}

impl Checkpoint {
    /// The text the signature covers (see `signing::statement`).
    pub fn statement(&self) -> String {
        statement(
            self.chain.as_str(),
            self.head_seq,
            &self.head_hash,
            &self.created_at,
        )
    }
}

/// When checkpoints are written: after `every_entries` new entries in either
/// chain, or `every` after the last one, whichever comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointPolicy {
    pub every_entries: u64,
    pub every: Duration,
}

impl Default for CheckpointPolicy {
    fn default() -> Self {
        CheckpointPolicy {
            every_entries: 1000,
            every: Duration::from_secs(10 * 60),
        }
    }
}

const COLUMNS: &str = "seq, chain, head_seq, head_hash, created_at, public_key, signature";

fn from_row(r: &Row) -> StoreResult<Checkpoint> {
    let chain: String = r.get(1)?;
    Ok(Checkpoint {
        seq: r.get(0)?,
        chain: Chain::parse(&chain)
            .ok_or_else(|| StoreError::Corrupt(format!("checkpoint chain '{chain}'")))?,
        head_seq: r.get(2)?,
        head_hash: r.get(3)?,
        created_at: r.get(4)?,
        public_key: r.get(5)?,
        signature: r.get(6)?,
    })
}

/// Every stored checkpoint of `chain`, oldest first.
pub(crate) fn all_of(conn: &Conn, chain: Chain) -> StoreResult<Vec<Checkpoint>> {
    conn.query_map(
        &format!("SELECT {COLUMNS} FROM checkpoints WHERE chain = ?1 ORDER BY seq"),
        [chain.as_str()],
        from_row,
    )?
    .collect()
}

/// Writes a checkpoint of each chain whose head is past its newest
/// checkpoint, at the transaction's `now`; returns what it wrote.
pub(crate) fn write_in(tx: &Tx, key: &CheckpointKey) -> StoreResult<Vec<Checkpoint>> {
    let mut written = Vec::new();
    for chain in Chain::ALL {
        let head: Option<(i64, String)> = tx
            .query_row(
                &format!(
                    "SELECT seq, hash FROM {} ORDER BY seq DESC LIMIT 1",
                    chain.table()
                ),
                (),
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((head_seq, head_hash)) = head else {
            continue;
        };
        let newest: Option<i64> = tx.query_row(
            "SELECT MAX(head_seq) FROM checkpoints WHERE chain = ?1",
            [chain.as_str()],
            |r| r.get(0),
        )?;
        if newest.is_some_and(|n| n >= head_seq) {
            continue;
        }
        let mut cp = Checkpoint {
            seq: 0,
            chain,
            head_seq,
            head_hash,
            created_at: ts(&tx.now),
            public_key: key.public_key().to_owned(),
            signature: String::new(),
        };
        cp.signature = key.sign(&cp.statement());
        let rows = tx.rows(
            "INSERT INTO checkpoints (chain, head_seq, head_hash, created_at, public_key, signature)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (chain, head_seq) DO NOTHING RETURNING seq",
            params![
                chain.as_str(),
                cp.head_seq,
                cp.head_hash,
                cp.created_at,
                cp.public_key,
                cp.signature
            ],
        )?;
        if let Some(r) = rows.first() {
            cp.seq = r.get(0)?;
            written.push(cp);
        }
    }
    Ok(written)
}

/// The count trigger and the thread that writes checkpoints. Without a
/// policy (one-shot commands, tests) nothing is counted and no thread runs.
#[derive(Default)]
pub(crate) struct Checkpointer {
    state: Mutex<Option<Running>>,
}

struct Running {
    policy: CheckpointPolicy,
    since: Appended,
    wake: mpsc::SyncSender<()>,
}

impl Checkpointer {
    /// Counts what one COMMIT appended (on the writer thread, after COMMIT);
    /// wakes the checkpoint thread once either chain grew by the policy's count.
    pub(crate) fn note(&self, appended: Appended) {
        if appended == Appended::default() {
            return;
        }
        let mut state = self.state.lock();
        let Some(run) = state.as_mut() else { return };
        run.since.ledger += appended.ledger;
        run.since.audit += appended.audit;
        let n = run.policy.every_entries;
        if run.since.ledger >= n || run.since.audit >= n {
            // A full channel means a wake-up is already pending.
            let _ = run.wake.try_send(());
        }
    }

    fn reset(&self) {
        if let Some(run) = self.state.lock().as_mut() {
            run.since = Appended::default();
        }
    }
}

/// The clock the checkpoint thread reads (the server's).
pub type CheckpointClock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

impl Store {
    /// Writes a checkpoint of each chain whose head moved since its newest
    /// checkpoint, now; returns the new ones (none when nothing moved).
    pub fn checkpoint(&self, now: DateTime<Utc>) -> StoreResult<Vec<Checkpoint>> {
        let key = self.inner.checkpoint_key.clone();
        self.write(&Actor::System("checkpoints".into()), now, move |tx| {
            write_in(tx, &key)
        })
    }

    /// Stored checkpoints, newest first: of one chain or both, with a number
    /// below `before`, at most `limit`.
    pub fn checkpoints(
        &self,
        chain: Option<Chain>,
        before: Option<i64>,
        limit: usize,
    ) -> StoreResult<Vec<Checkpoint>> {
        self.read(move |conn| {
            let mut sql = format!("SELECT {COLUMNS} FROM checkpoints WHERE 1 = 1");
            let mut vals: Vec<Val> = Vec::new();
            if let Some(c) = chain {
                vals.push(Val::Text(c.as_str().to_owned()));
                sql.push_str(&format!(" AND chain = ?{}", vals.len()));
            }
            if let Some(b) = before {
                vals.push(Val::Int(b));
                sql.push_str(&format!(" AND seq < ?{}", vals.len()));
            }
            vals.push(Val::Int(i64::try_from(limit).unwrap_or(i64::MAX)));
            sql.push_str(&format!(" ORDER BY seq DESC LIMIT ?{}", vals.len()));
            conn.query_map(&sql, vals, from_row)?.collect()
        })
    }

    /// The installation's checkpoint public key, in hex.
    pub fn checkpoint_public_key(&self) -> &str {
        self.inner.checkpoint_key.public_key()
    }

    /// Starts writing checkpoints by `policy`: a thread wakes after the
    /// policy's count of new entries (counted after each COMMIT) or its
    /// interval, whichever comes first. A second call changes nothing.
    pub fn start_checkpoints(&self, policy: CheckpointPolicy, clock: CheckpointClock) {
        let mut state = self.inner.checkpointer.state.lock();
        if state.is_some() {
            return;
        }
        let (wake, woken) = mpsc::sync_channel(1);
        let weak = Arc::downgrade(&self.inner);
        let spawned = std::thread::Builder::new()
            .name("kerro-checkpoints".into())
            .spawn(move || run(weak, policy.every, woken, clock));
        match spawned {
            Ok(_) => {
                *state = Some(Running {
                    policy,
                    since: Appended::default(),
                    wake,
                })
            }
            Err(e) => tracing::error!("cannot start the checkpoint thread: {e}"),
        }
    }
}

fn run(inner: Weak<Inner>, every: Duration, woken: mpsc::Receiver<()>, clock: CheckpointClock) {
    loop {
        match woken.recv_timeout(every) {
            Ok(()) | Err(mpsc::RecvTimeoutError::Timeout) => {}
            // The store is gone (its sender with it).
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
        let Some(inner) = inner.upgrade() else { return };
        let store = Store { inner };
        // Entries appended from here on count towards the next checkpoint.
        store.inner.checkpointer.reset();
        let now = chrono::SubsecRound::trunc_subsecs(clock(), 6);
        match store.checkpoint(now) {
            Ok(written) => {
                for c in written {
                    tracing::info!(
                        chain = c.chain.as_str(),
                        head_seq = c.head_seq,
                        "wrote checkpoint {}",
                        c.seq
                    );
                }
            }
            Err(e) => tracing::warn!("cannot write a checkpoint: {e}"),
        }
    }
}

#[cfg(test)]
#[path = "checkpoints_tests.rs"]
mod tests;
