//! Tests of checkpoints and of verifying the chains against them: each kind
//! of tampering made directly in the database, on both chains; the count and
//! time triggers; copies kept elsewhere; two nodes on one PostgreSQL.

use super::*;
use crate::signing::CheckpointKey;
use crate::store::audit::{record, AuditAction};
use crate::store::ledger::{append, NewEvent};
use crate::store::verify::{ChainProblem, CheckpointCopy};
use crate::store::{new_ulid, ts};
use crate::{Location, StoreOptions};
use chrono::{TimeZone, Utc};
use kerro_core::consent::{link, ConsentState, Method, GENESIS};
use kerro_core::ids::{PurposeKey, SubjectId};
use kerro_core::Lang;
use std::time::Instant;

fn open(dir: &std::path::Path) -> Store {
    Store::open(&StoreOptions::new(dir)).unwrap()
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

/// Appends `n` events to the ledger and `n` entries to the audit log, one job each.
fn grow(store: &Store, n: usize) {
    let subject = SubjectId::from_suffix(&new_ulid());
    let purpose = PurposeKey::parse("purpose", "offers").unwrap();
    for i in 0..n {
        let (subject, purpose) = (subject.clone(), purpose.clone());
        let actor = Actor::System("test".into());
        store
            .write(&actor, t0(), move |tx| {
                append(
                    tx,
                    NewEvent {
                        subject: &subject,
                        purpose: &purpose,
                        state: if i % 2 == 0 {
                            ConsentState::Given
                        } else {
                            ConsentState::Withdrawn
                        },
                        notice: None,
                        language: Lang::Fi,
                        now: t0(),
                        actor: &tx.actor,
                        method: Method::Form,
                    },
                )?;
                record(
                    tx,
                    Some(&subject),
                    AuditAction::SubjectRead {
                        reason: None,
                        export: false,
                    },
                )
            })
            .unwrap();
    }
}

fn sql(store: &Store) -> Conn {
    let location = match store.db_path() {
        Some(p) => Location::Sqlite(p.to_owned()),
        None => Location::parse(&store.database()).unwrap(),
    };
    crate::db::connect(&location, true).unwrap()
}

/// Rewrites `chain` from `seq` on the way someone with the database would:
/// changes that entry, then recomputes every link after it so the links hold.
fn rewrite_and_rehash(conn: &Conn, chain: Chain, seq: i64) {
    match chain {
        Chain::Ledger => {
            conn.execute(
                "UPDATE consent_events SET state = 'refused' WHERE seq = ?1",
                [seq],
            )
            .unwrap();
            let rows = conn
                .rows(
                    &format!(
                        "SELECT {} FROM consent_events ORDER BY seq",
                        crate::store::ledger::EVENT_COLUMNS
                    ),
                    (),
                )
                .unwrap();
            let mut prev = GENESIS.to_owned();
            for r in &rows {
                let mut e = crate::store::ledger::event_from_row(r).unwrap();
                if e.seq >= seq {
                    e.event.prev_hash = prev.clone();
                    e.hash = e.event.hash();
                    conn.execute(
                        "UPDATE consent_events SET prev_hash = ?1, hash = ?2 WHERE seq = ?3",
                        params![e.event.prev_hash, e.hash, e.seq],
                    )
                    .unwrap();
                }
                prev = e.hash;
            }
        }
        Chain::Audit => {
            conn.execute(
                "UPDATE audit_log SET actor = 'someone-else' WHERE seq = ?1",
                [seq],
            )
            .unwrap();
            let rows = conn
                .rows(
                    "SELECT seq, time, actor, action, subject_id, detail, hash FROM audit_log ORDER BY seq",
                    (),
                )
                .unwrap();
            let mut prev = GENESIS.to_owned();
            for r in &rows {
                let at: i64 = r.get(0).unwrap();
                let mut hash: String = r.get(6).unwrap();
                if at >= seq {
                    let subject: Option<String> = r.get(4).unwrap();
                    let canon = crate::store::audit::canonical(
                        &r.get::<_, String>(1).unwrap(),
                        &r.get::<_, String>(2).unwrap(),
                        &r.get::<_, String>(3).unwrap(),
                        subject.as_deref(),
                        &r.get::<_, String>(5).unwrap(),
                    );
                    hash = link(&prev, &canon);
                    conn.execute(
                        "UPDATE audit_log SET prev_hash = ?1, hash = ?2 WHERE seq = ?3",
                        params![prev, hash, at],
                    )
                    .unwrap();
                }
                prev = hash;
            }
        }
    }
}

#[test]
fn a_checkpoint_names_each_moved_head_once_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    assert!(store.checkpoint(t0()).unwrap().is_empty(), "empty chains");
    grow(&store, 3);
    let written = store.checkpoint(t0()).unwrap();
    assert_eq!(
        written
            .iter()
            .map(|c| (c.chain, c.head_seq))
            .collect::<Vec<_>>(),
        [(Chain::Ledger, 3), (Chain::Audit, 3)]
    );
    assert!(written
        .iter()
        .all(|c| c.public_key == store.checkpoint_public_key()));
    assert!(
        store.checkpoint(t0()).unwrap().is_empty(),
        "no new checkpoint for the same head"
    );
    grow(&store, 2);
    assert_eq!(store.checkpoint(t0()).unwrap().len(), 2);
    for chain in Chain::ALL {
        let r = store.verify_chain(chain, &[]).unwrap();
        assert!(r.is_ok(), "{:?}", r.problems);
        assert_eq!((r.entries, r.verified, r.unanchored()), (5, 2, 0));
        assert_eq!(r.newest.unwrap().head_seq, 5);
    }
    // Newest first, one chain or both, by page.
    let listed = store.checkpoints(None, None, 10).unwrap();
    assert_eq!(
        listed.iter().map(|c| c.seq).collect::<Vec<_>>(),
        [4, 3, 2, 1]
    );
    let ledger = store.checkpoints(Some(Chain::Ledger), Some(3), 10).unwrap();
    assert_eq!(ledger.iter().map(|c| c.seq).collect::<Vec<_>>(), [1]);
    // The key survives a restart: the checkpoints still verify.
    let key = store.checkpoint_public_key().to_owned();
    drop(store);
    let again = open(dir.path());
    assert_eq!(again.checkpoint_public_key(), key);
    assert!(again.verify_chain(Chain::Ledger, &[]).unwrap().is_ok());
}

#[test]
fn a_removed_tail_is_named_on_both_chains() {
    for chain in Chain::ALL {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        grow(&store, 5);
        store.checkpoint(t0()).unwrap();
        sql(&store)
            .execute(&format!("DELETE FROM {} WHERE seq > 3", chain.table()), ())
            .unwrap();
        let r = store.verify_chain(chain, &[]).unwrap();
        // The links that are left still hold; only the checkpoint tells.
        assert_eq!(r.entries, 3);
        assert!(
            matches!(
                &r.problems[..],
                [ChainProblem::TailRemoved {
                    chain_end: 3,
                    head_seq: 5,
                    ..
                }]
            ),
            "{chain:?}: {:?}",
            r.problems
        );
        let text = r.problems[0].to_string();
        assert!(
            text.contains("the chain ends at seq 3 but checkpoint")
                && text.contains("says 5")
                && text.contains("removed from the tail"),
            "{text}"
        );
        // The other chain is untouched.
        let other = Chain::ALL.into_iter().find(|c| *c != chain).unwrap();
        assert!(store.verify_chain(other, &[]).unwrap().is_ok());
    }
}

#[test]
fn a_rewritten_and_rehashed_chain_is_named_on_both_chains() {
    for chain in Chain::ALL {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        grow(&store, 3);
        store.checkpoint(t0()).unwrap();
        grow(&store, 3);
        store.checkpoint(t0()).unwrap();
        rewrite_and_rehash(&sql(&store), chain, 5);
        let r = store.verify_chain(chain, &[]).unwrap();
        let checkpoint = |n: i64| {
            let c = store.checkpoints(Some(chain), None, 10).unwrap();
            c.into_iter().find(|c| c.head_seq == n).unwrap().seq
        };
        match &r.problems[..] {
            [ChainProblem::Rewritten {
                checkpoint: name,
                seq: 6,
                missing: false,
                last_good: Some((good, 3)),
            }] => {
                assert_eq!(name.to_string(), format!("checkpoint {}", checkpoint(6)));
                assert_eq!(good.to_string(), format!("checkpoint {}", checkpoint(3)));
            }
            other => panic!("{chain:?}: {other:?}"),
        }
        let text = r.problems[0].to_string();
        assert!(
            text.starts_with("the entry at seq 6 does not match checkpoint")
                && text.contains("the chain was rewritten after seq 3"),
            "{text}"
        );
        assert_eq!(r.verified, 1);
        // Without checkpoints the rewrite would pass: the links hold.
        let walk_only = match chain {
            Chain::Ledger => store.verify_ledger(),
            Chain::Audit => store.verify_audit(),
        };
        assert_eq!(walk_only.unwrap(), Ok(6));
    }
}

#[test]
fn a_forged_checkpoint_is_named_on_both_chains() {
    for chain in Chain::ALL {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        grow(&store, 4);
        store.checkpoint(t0()).unwrap();
        let conn = sql(&store);
        // Someone's own key signs a checkpoint that would hide a shorter chain...
        let forger = CheckpointKey::from_seed(&[9; 32]);
        let head: String = conn
            .query_row(
                &format!("SELECT hash FROM {} WHERE seq = 2", chain.table()),
                (),
                |r| r.get(0),
            )
            .unwrap();
        let mut forged = Checkpoint {
            seq: 0,
            chain,
            head_seq: 2,
            head_hash: head,
            created_at: ts(&t0()),
            public_key: forger.public_key().to_owned(),
            signature: String::new(),
        };
        forged.signature = forger.sign(&forged.statement());
        conn.execute(
            "INSERT INTO checkpoints (chain, head_seq, head_hash, created_at, public_key, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![chain.as_str(), forged.head_seq, forged.head_hash, forged.created_at, forged.public_key, forged.signature],
        )
        .unwrap();
        // ...and the real one is moved back to claim less than it signed.
        let real: i64 = conn
            .query_row(
                "SELECT seq FROM checkpoints WHERE chain = ?1 AND head_seq = 4",
                [chain.as_str()],
                |r| r.get(0),
            )
            .unwrap();
        conn.execute("UPDATE checkpoints SET head_seq = 3 WHERE seq = ?1", [real])
            .unwrap();
        let r = store.verify_chain(chain, &[]).unwrap();
        assert_eq!(r.problems.len(), 2, "{chain:?}: {:?}", r.problems);
        assert!(r
            .problems
            .iter()
            .all(|p| matches!(p, ChainProblem::Forged { .. })));
        let text: Vec<String> = r.problems.iter().map(|p| p.to_string()).collect();
        assert!(
            text.iter().any(|t| t.contains(&format!(
                "checkpoint {real}'s signature does not verify with the installation's key: a forged checkpoint"
            ))),
            "{text:?}"
        );
        assert!(
            text.iter().any(|t| t.contains("is signed with key")
                && t.contains("not the installation's key")
                && t.ends_with("a forged checkpoint")),
            "{text:?}"
        );
        assert_eq!(r.verified, 0, "a forged checkpoint vouches for nothing");
    }
}

#[test]
fn a_copy_kept_elsewhere_names_what_the_database_lost() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    grow(&store, 5);
    store.checkpoint(t0()).unwrap();
    let copy = CheckpointCopy {
        source: "copy.json".into(),
        checkpoints: store.checkpoints(None, None, 100).unwrap(),
    };
    // The tail and the checkpoints that named it are removed together.
    let conn = sql(&store);
    conn.execute("DELETE FROM consent_events WHERE seq > 2", ())
        .unwrap();
    conn.execute("DELETE FROM checkpoints", ()).unwrap();
    let alone = store.verify_chain(Chain::Ledger, &[]).unwrap();
    assert!(alone.is_ok(), "nothing in the database tells");
    let r = store
        .verify_chain(Chain::Ledger, std::slice::from_ref(&copy))
        .unwrap();
    let text: Vec<String> = r.problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(text.len(), 2, "{text:?}");
    assert!(text[0].contains("checkpoint 1 from copy.json is signed but missing from the database"));
    assert!(text[1].contains("the chain ends at seq 2 but checkpoint 1 from copy.json says 5"));
    // A copy identical to the stored rows adds nothing.
    let fresh = tempfile::tempdir().unwrap();
    let other = open(fresh.path());
    grow(&other, 2);
    other.checkpoint(t0()).unwrap();
    let same = CheckpointCopy {
        source: "same.json".into(),
        checkpoints: other.checkpoints(None, None, 100).unwrap(),
    };
    let r = other.verify_chain(Chain::Audit, &[same]).unwrap();
    assert!(r.is_ok() && r.verified == 1, "{r:?}");
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within 10 s");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn checkpoints_follow_the_count_and_the_clock() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let clock: CheckpointClock = Arc::new(t0);
    store.start_checkpoints(
        CheckpointPolicy {
            every_entries: 5,
            every: Duration::from_secs(3600),
        },
        clock.clone(),
    );
    grow(&store, 4);
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(store.checkpoints(None, None, 10).unwrap().is_empty());
    grow(&store, 1);
    wait_for("a checkpoint after five entries", || {
        store.checkpoints(None, None, 10).unwrap().len() == 2
    });
    let c = store.checkpoints(Some(Chain::Ledger), None, 1).unwrap();
    assert_eq!(
        (c[0].head_seq, c[0].created_at.as_str()),
        (5, ts(&t0()).as_str())
    );

    // By time: one entry, and the interval passes.
    let dir = tempfile::tempdir().unwrap();
    let timed = open(dir.path());
    timed.start_checkpoints(
        CheckpointPolicy {
            every_entries: 1_000_000,
            every: Duration::from_millis(100),
        },
        clock,
    );
    grow(&timed, 1);
    wait_for("a checkpoint after the interval", || {
        timed.checkpoints(None, None, 10).unwrap().len() == 2
    });
    // Nothing moved since: the timer writes no more.
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(timed.checkpoints(None, None, 10).unwrap().len(), 2);
}

/// Two nodes on one PostgreSQL database, writing and checkpointing at once:
/// one valid chain, no checkpoint twice, every checkpoint verified on both.
/// Runs when `KERRO_TEST_POSTGRES_URL` is set.
#[test]
fn two_nodes_checkpointing_at_once_keep_verification_intact() {
    let Some((db_url, admin, name)) = crate::db::fresh_test_database("kerro_checkpoints") else {
        return;
    };
    let keys = tempfile::tempdir().unwrap();
    let nodes: Vec<(tempfile::TempDir, Store)> = (0..2)
        .map(|_| {
            let dir = tempfile::tempdir().unwrap();
            let mut opts = StoreOptions::new(dir.path());
            opts.database = Some(db_url.clone());
            opts.master_key_file = Some(keys.path().join("master.key"));
            let store = Store::open(&opts).unwrap();
            store.start_checkpoints(
                CheckpointPolicy {
                    every_entries: 3,
                    every: Duration::from_millis(50),
                },
                Arc::new(Utc::now),
            );
            (dir, store)
        })
        .collect();
    assert_eq!(
        nodes[0].1.checkpoint_public_key(),
        nodes[1].1.checkpoint_public_key(),
        "the key beside the shared master key"
    );
    let threads: Vec<_> = (0..4)
        .map(|w| {
            let store = nodes[w % 2].1.clone();
            std::thread::spawn(move || {
                for _ in 0..5 {
                    grow(&store, 3);
                    store.checkpoint(Utc::now()).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // Both nodes at the same head at once.
    let (a, b) = (nodes[0].1.clone(), nodes[1].1.clone());
    let other = std::thread::spawn(move || b.checkpoint(Utc::now()).unwrap());
    let mine = a.checkpoint(Utc::now()).unwrap();
    let theirs = other.join().unwrap();
    assert!(mine.len() + theirs.len() <= 2, "{mine:?} {theirs:?}");
    let all = nodes[0].1.checkpoints(None, None, 10_000).unwrap();
    let mut heads: Vec<(Chain, i64)> = all.iter().map(|c| (c.chain, c.head_seq)).collect();
    heads.sort();
    heads.dedup();
    assert_eq!(heads.len(), all.len(), "a head checkpointed twice");
    for (_, store) in &nodes {
        for chain in Chain::ALL {
            let r = store.verify_chain(chain, &[]).unwrap();
            assert!(r.is_ok(), "{chain:?}: {:?}", r.problems);
            assert_eq!(r.entries, 60);
            assert_eq!(r.unanchored(), 0);
            assert_eq!(
                r.verified as usize,
                all.iter().filter(|c| c.chain == chain).count()
            );
        }
    }
    drop(nodes);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let _ = admin.execute_batch(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}
