//! Anchored chains from outside: `GET /v1/checkpoints`, and `kerro ledger
//! verify` / `kerro audit verify` against a database edited behind kerro's
//! back: a removed tail, a chain rewritten and re-hashed, a forged
//! checkpoint, and (with a copy kept elsewhere) checkpoints removed too.

use axum::http::StatusCode;
use kerro_core::consent::{link, GENESIS};
use kerro_store::sql::{params, Conn, Val};
use kerro_store::Chain;
use serde_json::{json, Value};
use std::process::Command;

use crate::common::TestApp;

/// An app whose chains have two checkpoints each, with entries after the
/// first: three subjects, a checkpoint, one more subject, a checkpoint.
async fn anchored() -> Option<TestApp> {
    let app = TestApp::start()?;
    app.schema().await;
    for i in 0..3 {
        app.answered_subject(&format!("c{i}@example.fi")).await;
    }
    app.store.checkpoint(*app.clock.lock().unwrap()).unwrap();
    app.answered_subject("c3@example.fi").await;
    app.store.checkpoint(*app.clock.lock().unwrap()).unwrap();
    Some(app)
}

/// `kerro <chain> verify [extra]` on the app's store: exit code and standard output.
fn verify(app: &TestApp, chain: Chain, extra: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kerro"))
        .args([chain.as_str(), "verify"])
        .args(app.store_args())
        .args(extra)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let err = String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), format!("{text}{err}"))
}

/// The stored checkpoints of `chain` as (number, head), oldest first.
async fn checkpoints(app: &TestApp, chain: Chain) -> Vec<(i64, i64)> {
    let r = app
        .get(
            &format!("/v1/checkpoints?chain={}", chain.as_str()),
            &app.admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut out: Vec<(i64, i64)> = r.body["checkpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["seq"].as_i64().unwrap(), c["head_seq"].as_i64().unwrap()))
        .collect();
    out.reverse();
    out
}

fn text(row: &kerro_store::sql::Row, i: usize) -> Option<String> {
    row.get::<_, Option<String>>(i).unwrap()
}

/// What someone with the database does to hide an edit: change the entry at
/// `seq`, then recompute every hash from it on so the links hold again.
fn rewrite_and_rehash(conn: &Conn, chain: Chain, seq: i64) {
    let (table, edit, columns) = match chain {
        Chain::Ledger => (
            "consent_events",
            "UPDATE consent_events SET state = CASE WHEN state = 'given' THEN 'refused' ELSE 'given' END WHERE seq = ?1",
            "seq, record_id, subject_id, purpose, state, form, notice_version, notice_sha256, language, event_time, actor, method, hash",
        ),
        Chain::Audit => (
            "audit_log",
            "UPDATE audit_log SET actor = 'someone-else' WHERE seq = ?1",
            "seq, time, actor, action, subject_id, detail, hash",
        ),
    };
    assert_eq!(conn.execute(edit, [seq]).unwrap(), 1);
    let rows = conn
        .rows(&format!("SELECT {columns} FROM {table} ORDER BY seq"), ())
        .unwrap();
    let mut prev = GENESIS.to_owned();
    for r in &rows {
        let at: i64 = r.get(0).unwrap();
        let stored = text(r, r.len() - 1).unwrap();
        if at < seq {
            prev = stored;
            continue;
        }
        // The canonical forms of `store/ledger.rs` and `store/audit.rs`.
        let canonical = match chain {
            Chain::Ledger => json!([
                1,
                text(r, 1),
                text(r, 2),
                text(r, 3),
                text(r, 4),
                text(r, 5),
                r.get::<_, Option<i64>>(6).unwrap(),
                text(r, 7),
                text(r, 8),
                text(r, 9),
                text(r, 10),
                text(r, 11)
            ]),
            Chain::Audit => json!([
                1,
                text(r, 1),
                text(r, 2),
                text(r, 3),
                text(r, 4),
                text(r, 5)
            ]),
        }
        .to_string();
        let hash = link(&prev, &canonical);
        conn.execute(
            &format!("UPDATE {table} SET prev_hash = ?1, hash = ?2 WHERE seq = ?3"),
            params![prev, hash, at],
        )
        .unwrap();
        prev = hash;
    }
}

#[tokio::test]
async fn checkpoints_are_published_newest_first_a_page_at_a_time() {
    let Some(app) = anchored().await else { return };
    let all = app.get("/v1/checkpoints", &app.admin).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    let list = all.body["checkpoints"].as_array().unwrap();
    assert_eq!(list.len(), 4);
    let seqs: Vec<i64> = list.iter().map(|c| c["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, [4, 3, 2, 1]);
    let key = all.body["public_key"].as_str().unwrap();
    assert_eq!(key.len(), 64);
    for c in list {
        assert_eq!(c["public_key"], key);
        assert_eq!(c["signature"].as_str().unwrap().len(), 128);
        assert!(c["chain"] == "ledger" || c["chain"] == "audit");
        assert!(c["created_at"]
            .as_str()
            .unwrap()
            .starts_with("2026-03-01T09:00:00"));
    }
    assert!(all.body["next_before"].is_null());
    // The ledger's heads: six events from three subjects, then two more.
    assert_eq!(checkpoints(&app, Chain::Ledger).await, [(1, 6), (3, 8)]);
    // By pages of one.
    let first = app.get("/v1/checkpoints?limit=1", &app.admin).await;
    assert_eq!(first.body["checkpoints"][0]["seq"], 4);
    assert_eq!(first.body["next_before"], 4);
    let next = app
        .get("/v1/checkpoints?limit=3&before=4", &app.admin)
        .await;
    let seqs: Vec<&Value> = next.body["checkpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["seq"])
        .collect();
    assert_eq!(seqs, [3, 2, 1]);
    assert!(next.body["next_before"].is_null());
}

#[tokio::test]
async fn verify_reports_intact_chains_and_their_checkpoints() {
    let Some(app) = anchored().await else { return };
    for (chain, title) in [(Chain::Ledger, "ledger"), (Chain::Audit, "audit log")] {
        let (code, out) = verify(&app, chain, &[]);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains(&format!("{title} ok: ")), "{out}");
        assert!(out.contains("hash chain intact"), "{out}");
        assert!(
            out.contains(&format!("{title} checkpoints: 2 verified")),
            "{out}"
        );
        assert!(!out.contains("BROKEN"), "{out}");
    }
}

#[tokio::test]
async fn verify_names_a_removed_tail() {
    for chain in [Chain::Ledger, Chain::Audit] {
        let Some(app) = anchored().await else { return };
        let head = checkpoints(&app, chain).await[1].1;
        let (number, _) = checkpoints(&app, chain).await[1];
        app.sql()
            .execute(
                &format!(
                    "DELETE FROM {} WHERE seq > ?1",
                    if chain == Chain::Ledger {
                        "consent_events"
                    } else {
                        "audit_log"
                    }
                ),
                [head - 2],
            )
            .unwrap();
        let (code, out) = verify(&app, chain, &[]);
        assert_eq!(code, 1, "{out}");
        let what = if chain == Chain::Ledger {
            "events"
        } else {
            "entries"
        };
        assert!(
            out.contains(&format!(
                "BROKEN: the chain ends at seq {} but checkpoint {number} says {head}: {what} were removed from the tail",
                head - 2
            )),
            "{chain:?}: {out}"
        );
    }
}

#[tokio::test]
async fn verify_names_a_rewritten_and_rehashed_chain() {
    for chain in [Chain::Ledger, Chain::Audit] {
        let Some(app) = anchored().await else { return };
        let cps = checkpoints(&app, chain).await;
        let ((good, good_head), (bad, bad_head)) = (cps[0], cps[1]);
        rewrite_and_rehash(&app.sql(), chain, good_head + 1);
        let (code, out) = verify(&app, chain, &[]);
        assert_eq!(code, 1, "{out}");
        assert!(
            out.contains(&format!(
                "BROKEN: the entry at seq {bad_head} does not match checkpoint {bad}'s hash: the chain was rewritten after seq {good_head}, where checkpoint {good} still matches"
            )),
            "{chain:?}: {out}"
        );
        // Its links hold: without the checkpoint nothing would tell.
        assert!(out.contains("hash chain intact"), "{out}");
    }
}

#[tokio::test]
async fn verify_names_a_forged_checkpoint() {
    for chain in [Chain::Ledger, Chain::Audit] {
        let Some(app) = anchored().await else { return };
        let conn = app.sql();
        // A checkpoint signed with someone else's key, vouching for less than there was.
        let forger = kerro_store::signing::CheckpointKey::from_seed(&[7; 32]);
        let fake = kerro_store::Checkpoint {
            seq: 0,
            chain,
            head_seq: 2,
            head_hash: "00".repeat(32),
            created_at: "2026-03-01T09:00:00.000000Z".into(),
            public_key: forger.public_key().to_owned(),
            signature: String::new(),
        };
        let signature = forger.sign(&fake.statement());
        let inserted: Vec<Val> = conn
            .rows(
                "INSERT INTO checkpoints (chain, head_seq, head_hash, created_at, public_key, signature)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING seq",
                params![chain.as_str(), fake.head_seq, fake.head_hash, fake.created_at, fake.public_key, signature],
            )
            .unwrap()
            .remove(0)
            .into_vals();
        let Val::Int(forged) = inserted[0] else {
            panic!("{inserted:?}")
        };
        let (code, out) = verify(&app, chain, &[]);
        assert_eq!(code, 1, "{out}");
        assert!(
            out.contains(&format!("BROKEN: checkpoint {forged} is signed with key "))
                && out.contains("not the installation's key")
                && out.contains("a forged checkpoint"),
            "{chain:?}: {out}"
        );
        // A genuine checkpoint edited to name another head no longer verifies.
        let (real, _) = checkpoints(&app, chain).await[0];
        conn.execute(
            "UPDATE checkpoints SET head_seq = head_seq + 1 WHERE seq = ?1",
            [real],
        )
        .unwrap();
        let (code, out) = verify(&app, chain, &[]);
        assert_eq!(code, 1, "{out}");
        assert!(
            out.contains(&format!(
                "BROKEN: checkpoint {real}'s signature does not verify with the installation's key: a forged checkpoint"
            )),
            "{chain:?}: {out}"
        );
    }
}

#[tokio::test]
async fn a_copy_kept_elsewhere_catches_what_the_database_no_longer_shows() {
    let Some(app) = anchored().await else { return };
    let published = app.get("/v1/checkpoints", &app.admin).await.body;
    let copy = app.dir.path().join("checkpoints.json");
    std::fs::write(&copy, published.to_string()).unwrap();
    let copy_arg = copy.display().to_string();
    let (code, out) = verify(&app, Chain::Ledger, &["--checkpoints", &copy_arg]);
    assert_eq!(code, 0, "the copy matches: {out}");
    // The tail and every checkpoint are removed together.
    let conn = app.sql();
    conn.execute("DELETE FROM consent_events WHERE seq > 4", ())
        .unwrap();
    conn.execute("DELETE FROM checkpoints", ()).unwrap();
    let (code, out) = verify(&app, Chain::Ledger, &[]);
    assert_eq!(code, 0, "nothing in the database tells: {out}");
    let (code, out) = verify(&app, Chain::Ledger, &["--checkpoints", &copy_arg]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "checkpoint 3 from {copy_arg} is signed but missing from the database: checkpoints were removed"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "the chain ends at seq 4 but checkpoint 3 from {copy_arg} says 8: events were removed from the tail"
        )),
        "{out}"
    );
    // A copy that is not one is refused as such.
    std::fs::write(&copy, "{\"checkpoints\": 3}").unwrap();
    let (code, out) = verify(&app, Chain::Ledger, &["--checkpoints", &copy_arg]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("is not a list of checkpoints"), "{out}");
}
