//! Checking a hash chain against itself and against its signed checkpoints
//! (the stored ones and any copies kept elsewhere), and naming what is
//! wrong: a broken link, a removed tail, a chain rewritten and re-hashed, a
//! forged checkpoint, or a checkpoint missing from the database. Walking the
//! rows of each chain is the ledger's and the audit log's own code (they
//! know their canonical forms); this module only collects what it saw.
//!
//! A checkpoint is trusted only if it names the installation's public key
//! (`checkpoint.key` beside the master key) and its signature verifies with
//! it; the public key on the row is never trusted on its own, since whoever
//! can edit the database can write a row with a key of their own.

use kerro_core::consent::{ChainBreak, ChainVerifier};
use std::collections::{BTreeSet, HashMap};
use std::fmt;

use super::checkpoints::{all_of, Chain, Checkpoint};
use super::Store;
use crate::error::StoreResult;
use crate::signing::SignatureCheck;

/// What one walk of a chain saw: the first broken link, the last entry, and
/// the stored hash of each entry a checkpoint names.
#[derive(Default)]
pub(crate) struct Walk {
    verifier: ChainVerifier,
    first_break: Option<ChainBreak>,
    last: Option<(i64, String)>,
    want: BTreeSet<i64>,
    found: HashMap<i64, String>,
}

impl Walk {
    fn wanting(want: BTreeSet<i64>) -> Walk {
        Walk {
            want,
            ..Walk::default()
        }
    }

    /// One entry, in seq order.
    pub(crate) fn entry(&mut self, seq: i64, prev_hash: &str, canonical: &str, hash: &str) {
        if self.first_break.is_none() {
            if let Err(b) = self.verifier.check(seq, prev_hash, canonical, hash) {
                self.first_break = Some(b);
            }
        }
        self.seen(seq, hash);
    }

    /// An entry that cannot even be read back.
    pub(crate) fn unreadable(&mut self, seq: i64, hash: &str, reason: String) {
        if self.first_break.is_none() {
            self.first_break = Some(ChainBreak { seq, reason });
        }
        self.seen(seq, hash);
    }

    fn seen(&mut self, seq: i64, hash: &str) {
        if self.want.contains(&seq) {
            self.found.insert(seq, hash.to_owned());
        }
        self.last = Some((seq, hash.to_owned()));
    }

    /// The walk's verdict on the links alone: entries checked, or the first break.
    pub(crate) fn result(&self) -> Result<u64, ChainBreak> {
        match &self.first_break {
            Some(b) => Err(b.clone()),
            None => Ok(self.verifier.checked),
        }
    }
}

/// Checkpoints kept outside the database (a copy of `GET /v1/checkpoints`),
/// with where they came from for messages.
#[derive(Debug, Clone)]
pub struct CheckpointCopy {
    pub source: String,
    pub checkpoints: Vec<Checkpoint>,
}

/// How a checkpoint is named in messages: `checkpoint 3`, or `checkpoint 3 from FILE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointName {
    pub seq: i64,
    /// The copy it came from; `None` for a stored one.
    pub source: Option<String>,
}

impl fmt::Display for CheckpointName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "checkpoint {}", self.seq)?;
        match &self.source {
            Some(s) => write!(f, " from {s}"),
            None => Ok(()),
        }
    }
}

/// Something wrong with a chain, named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainProblem {
    /// A link does not hold (an entry edited, removed from the middle or reordered).
    Broken(ChainBreak),
    /// The chain ends before a checkpoint's head.
    TailRemoved {
        chain: Chain,
        checkpoint: CheckpointName,
        chain_end: i64,
        head_seq: i64,
    },
    /// The entry a checkpoint names is missing or has another hash, though the links hold.
    Rewritten {
        checkpoint: CheckpointName,
        seq: i64,
        missing: bool,
        /// The newest checkpoint below it that still matches, and its head.
        last_good: Option<(CheckpointName, i64)>,
    },
    /// A checkpoint the installation's key did not sign.
    Forged {
        checkpoint: CheckpointName,
        /// The other public key it names, if it names one.
        other_key: Option<String>,
        installation_key: String,
    },
    /// A validly signed copy of a checkpoint the database no longer holds.
    CheckpointRemoved { checkpoint: CheckpointName },
}

fn short(key: &str) -> String {
    key.chars().take(16).collect::<String>() + "…"
}

impl fmt::Display for ChainProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainProblem::Broken(b) => write!(f, "the link at seq {} is broken: {}", b.seq, b.reason),
            ChainProblem::TailRemoved { chain, checkpoint, chain_end, head_seq } => {
                if *chain_end == 0 {
                    f.write_str("the chain is empty")?;
                } else {
                    write!(f, "the chain ends at seq {chain_end}")?;
                }
                write!(
                    f,
                    " but {checkpoint} says {head_seq}: {} were removed from the tail",
                    chain.entries()
                )
            }
            ChainProblem::Rewritten { checkpoint, seq, missing, last_good } => {
                if *missing {
                    write!(f, "there is no entry at seq {seq}, which {checkpoint} covers: the chain was rewritten")?;
                } else {
                    write!(f, "the entry at seq {seq} does not match {checkpoint}'s hash: the chain was rewritten")?;
                }
                match last_good {
                    Some((name, at)) => write!(f, " after seq {at}, where {name} still matches"),
                    None => Ok(()),
                }
            }
            ChainProblem::Forged { checkpoint, other_key: Some(k), installation_key } => write!(
                f,
                "{checkpoint} is signed with key {}, not the installation's key {}: a forged checkpoint",
                short(k),
                short(installation_key)
            ),
            ChainProblem::Forged { checkpoint, other_key: None, .. } => write!(
                f,
                "{checkpoint}'s signature does not verify with the installation's key: a forged checkpoint"
            ),
            ChainProblem::CheckpointRemoved { checkpoint } => write!(
                f,
                "{checkpoint} is signed but missing from the database: checkpoints were removed"
            ),
        }
    }
}

/// A chain checked against itself and its checkpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub chain: Chain,
    /// Entries whose links were checked (up to the first break).
    pub entries: u64,
    /// The last entry's seq and hash.
    pub head: Option<(i64, String)>,
    /// Checkpoints that are validly signed and match the chain.
    pub verified: u64,
    /// The newest of those.
    pub newest: Option<Checkpoint>,
    pub problems: Vec<ChainProblem>,
}

impl ChainReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// Entries after the newest verified checkpoint: what no checkpoint vouches for yet.
    pub fn unanchored(&self) -> i64 {
        let head = self.head.as_ref().map_or(0, |(s, _)| *s);
        head - self.newest.as_ref().map_or(0, |c| c.head_seq)
    }
}

impl Store {
    /// Checks `chain`'s links and its stored checkpoints, and the `copies`
    /// kept elsewhere, in one read transaction. Problems are named, never errors;
    /// `Err` is only a database that cannot be read.
    pub fn verify_chain(
        &self,
        chain: Chain,
        copies: &[CheckpointCopy],
    ) -> StoreResult<ChainReport> {
        let key = self.inner.checkpoint_key.clone();
        let copies = copies.to_vec();
        self.read(move |conn| {
            let stored = all_of(conn, chain)?;
            let mut named: Vec<(CheckpointName, Checkpoint, bool)> = stored
                .iter()
                .map(|c| {
                    (
                        CheckpointName {
                            seq: c.seq,
                            source: None,
                        },
                        c.clone(),
                        true,
                    )
                })
                .collect();
            for copy in &copies {
                for c in copy.checkpoints.iter().filter(|c| c.chain == chain) {
                    if stored.contains(c) {
                        continue;
                    }
                    let name = CheckpointName {
                        seq: c.seq,
                        source: Some(copy.source.clone()),
                    };
                    named.push((name, c.clone(), false));
                }
            }
            let want = named.iter().map(|(_, c, _)| c.head_seq).collect();
            let mut walk = Walk::wanting(want);
            match chain {
                Chain::Ledger => super::ledger::walk(conn, &mut walk)?,
                Chain::Audit => super::audit::walk(conn, &mut walk)?,
            }
            let mut problems = Vec::new();
            if let Err(b) = walk.result() {
                problems.push(ChainProblem::Broken(b));
            }
            let entries = walk.verifier.checked;
            let chain_end = walk.last.as_ref().map_or(0, |(s, _)| *s);
            // Forged ones are named and then ignored: they vouch for nothing.
            let mut trusted = Vec::new();
            for (name, c, in_db) in named {
                match key.check(&c.public_key, &c.statement(), &c.signature) {
                    SignatureCheck::Valid => trusted.push((name, c, in_db)),
                    check => problems.push(ChainProblem::Forged {
                        checkpoint: name,
                        other_key: (check == SignatureCheck::OtherKey)
                            .then(|| c.public_key.clone()),
                        installation_key: key.public_key().to_owned(),
                    }),
                }
            }
            trusted.sort_by_key(|(_, c, _)| (c.head_seq, c.seq));
            for (name, _, in_db) in &trusted {
                if !in_db {
                    problems.push(ChainProblem::CheckpointRemoved {
                        checkpoint: name.clone(),
                    });
                }
            }
            let (mut verified, mut newest, mut last_good) = (0, None, None);
            let mut rewritten = false;
            for (name, c, _) in &trusted {
                if c.head_seq > chain_end {
                    continue;
                }
                match walk.found.get(&c.head_seq) {
                    Some(h) if *h == c.head_hash => {
                        if !rewritten {
                            verified += 1;
                            last_good = Some((name.clone(), c.head_seq));
                            newest = Some(c.clone());
                        }
                    }
                    found => {
                        if !rewritten {
                            problems.push(ChainProblem::Rewritten {
                                checkpoint: name.clone(),
                                seq: c.head_seq,
                                missing: found.is_none(),
                                last_good: last_good.clone(),
                            });
                            rewritten = true;
                        }
                    }
                }
            }
            // The furthest checkpoint past the end says how much is gone.
            if let Some((name, c, _)) = trusted
                .iter()
                .rev()
                .find(|(_, c, _)| c.head_seq > chain_end)
            {
                problems.push(ChainProblem::TailRemoved {
                    chain,
                    checkpoint: name.clone(),
                    chain_end,
                    head_seq: c.head_seq,
                });
            }
            Ok(ChainReport {
                chain,
                entries,
                head: walk.last.clone(),
                verified,
                newest,
                problems,
            })
        })
    }
}
