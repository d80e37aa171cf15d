//! Storage limitation (P9) and consent expiry (P7): the retention job, run
//! from the command line and in process, on what each purpose allows.

use axum::http::StatusCode;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use kerro_core::Actor;
use serde_json::{json, Value};
use std::process::Command;

use crate::common::{declared, TestApp};
use crate::security::{contains, raw_files};

/// The offers purpose of the test schema with `extra` fields over its defaults.
async fn put_offers(app: &TestApp, extra: Value) -> crate::common::Resp {
    let mut body = json!({"title": {"fi": "offers fi", "en": "offers"}, "description": {"en": "About offers"},
                          "legal_basis": "consent", "uses": ["personalization", "communication"], "retention_days": 365});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    app.put("/v1/purposes/offers", &app.admin, body).await
}

fn now(app: &TestApp) -> DateTime<Utc> {
    *app.clock.lock().unwrap()
}

/// `kerro retention run --now AT`: its exit code and its (purpose, kind, count) lines.
fn run_cli(app: &TestApp, at: DateTime<Utc>) -> (i32, String, Vec<(String, String, u64)>) {
    let out = Command::new(env!("CARGO_BIN_EXE_kerro"))
        .args(["retention", "run"])
        .args(app.store_args())
        .args(["--now", &at.to_rfc3339_opts(SecondsFormat::Secs, true)])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines = text
        .lines()
        .skip(2)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            match f[..] {
                [p, k, n] => Some((p.to_owned(), k.to_owned(), n.parse().ok()?)),
                _ => None,
            }
        })
        .collect();
    (out.status.code().unwrap_or(-1), text, lines)
}

fn count(report: &kerro_store::RetentionReport, purpose: &str, kind: &str) -> u64 {
    report
        .counts
        .iter()
        .filter(|c| {
            c.purpose.as_ref().map_or("-", |p| p.as_str()) == purpose && c.kind.as_str() == kind
        })
        .map(|c| c.count)
        .sum()
}

fn attributes(app: &TestApp, subject: &str) -> Vec<String> {
    app.sql()
        .query_map(
            "SELECT attribute FROM declarations WHERE subject_id = ?1 ORDER BY attribute",
            [subject],
            |r| r.get::<_, String>(0),
        )
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[tokio::test]
async fn a_value_past_its_retention_is_gone_from_storage_the_export_and_the_files() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let r = put_offers(&app, json!({"retention_days": 30})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // interests and review are held for offers (30 days), size for the contract (365 days).
    let (id, _) = app.answered_subject("kept@example.fi").await;
    let sealed: Vec<u8> = app
        .sql()
        .query_row(
            "SELECT value_enc FROM declarations WHERE subject_id = ?1 AND attribute = 'interests'",
            [&id],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        contains(&raw_files(&app), &sealed),
        "the test looks for what is stored"
    );
    let start = now(&app);

    let (code, text, lines) = run_cli(&app, start + Duration::days(29));
    assert_eq!(code, 0, "{text}");
    assert!(
        !lines.iter().any(|(p, k, _)| p == "offers" && k == "values"),
        "{text}"
    );
    assert_eq!(attributes(&app, &id), ["interests", "review", "size"]);

    let (code, text, lines) = run_cli(&app, start + Duration::days(31));
    assert_eq!(code, 0, "{text}");
    assert!(
        lines.contains(&("offers".into(), "values".into(), 2)),
        "{text}"
    );
    assert!(!lines.iter().any(|(_, k, _)| k == "expired"), "{text}");
    assert_eq!(attributes(&app, &id), ["size"]);
    let token = app.subject_token(&id).await;
    let me = app.get("/v1/me", &token).await.body;
    assert_eq!(declared(&me), vec![("size".to_owned(), json!("large"))]);
    let export = app.get("/v1/me/export", &token).await;
    assert_eq!(export.status, StatusCode::OK);
    for list in ["declarations", "declaration_history"] {
        let held: Vec<&str> = export.body[list]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|d| d["attribute"].as_str())
            .collect();
        assert!(
            !held.contains(&"interests") && !held.contains(&"review"),
            "{list}: {held:?}"
        );
    }
    assert!(
        !contains(&raw_files(&app), &sealed),
        "the deleted ciphertext is still on disk"
    );
    // Each run that deleted something is audited with its counts (the first one
    // deleted the test's expired tokens).
    let details: Vec<String> = app
        .sql()
        .query_map(
            "SELECT detail FROM audit_log WHERE action = 'retention_run' ORDER BY seq",
            (),
            |r| r.get(0),
        )
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(details.len(), 2, "{details:?}");
    let last: Value = serde_json::from_str(&details[1]).unwrap();
    assert!(
        last.as_array()
            .unwrap()
            .iter()
            .any(|c| c["purpose"] == "offers" && c["kind"] == "values" && c["count"] == 2),
        "{last}"
    );

    // Nothing is left to do at that moment (the token just minted for the
    // checks aside): a second run changes nothing else.
    let (code, text, lines) = run_cli(&app, start + Duration::days(31));
    assert_eq!(code, 0);
    assert_eq!(lines, [("-".to_owned(), "tokens".to_owned(), 1)], "{text}");
    let (code, text, _) = run_cli(&app, start + Duration::days(31));
    assert_eq!(code, 0);
    assert!(text.contains("nothing was due"), "{text}");
    assert_eq!(attributes(&app, &id), ["size"]);
}

#[tokio::test]
async fn a_consent_expires_after_its_validity_and_takes_what_only_it_allowed() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let r = put_offers(&app, json!({"consent_validity_days": 100})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (id, _) = app.answered_subject("expiring@example.fi").await;
    // An erased subject's consents stay in the ledger as proof; they do not expire.
    let (erased, _) = app.answered_subject("erased@example.fi").await;
    let erased = kerro_core::SubjectId::parse(&erased).unwrap();
    app.store
        .erase(&Actor::System("test".into()), now(&app), &erased)
        .unwrap();
    let start = now(&app);
    let actor = Actor::System("retention".into());

    let early = app
        .store
        .run_retention(&actor, start + Duration::days(99))
        .unwrap();
    assert_eq!(count(&early, "offers", "expired"), 0, "{early:?}");
    let due = app
        .store
        .run_retention(&actor, start + Duration::days(101))
        .unwrap();
    assert!(!due.skipped);
    assert_eq!(count(&due, "offers", "expired"), 1, "{due:?}");
    assert_eq!(count(&due, "offers", "values"), 2, "{due:?}");
    assert_eq!(attributes(&app, &id), ["size"]);
    let (state, method): (String, String) = app
        .sql()
        .query_row(
            "SELECT state, method FROM consent_events WHERE subject_id = ?1 AND purpose = 'offers' ORDER BY seq DESC LIMIT 1",
            [&id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((state.as_str(), method.as_str()), ("expired", "expiry"));
    let token = app.subject_token(&id).await;
    let me = app.get("/v1/me", &token).await.body;
    let offers = me["consents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["purpose"] == "offers")
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(offers["state"], "expired", "{me}");
    // The in-memory profile followed: offers may no longer be personalised.
    let profile = app
        .store
        .profile(&kerro_core::SubjectId::parse(&id).unwrap())
        .unwrap();
    let offers_key = kerro_core::PurposeKey::parse("purpose", "offers").unwrap();
    assert!(!profile.consents[&offers_key].state.is_active());

    // An expired consent does not expire again, and a new grant starts a new validity.
    let again = app
        .store
        .run_retention(&actor, start + Duration::days(150))
        .unwrap();
    assert_eq!(count(&again, "offers", "expired"), 0, "{again:?}");
    assert!(app.store.verify_ledger().unwrap().is_ok());
}

#[tokio::test]
async fn decisions_sessions_and_links_go_when_their_time_is_up() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let r = put_offers(&app, json!({"retention_days": 10})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .put(
            "/v1/offers/newsletter",
            &app.admin,
            json!({"title": {"en": "Newsletter"}, "body": {"en": "b"}, "purpose": "offers",
                   "condition": {}, "channels": ["web"], "priority": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let (id, token) = app.answered_subject("logged@example.fi").await;
    let r = app
        .put("/v1/me/contact", &token, json!({"channels": {"web": true}}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .post(
            "/v1/decisions",
            &app.admin,
            json!({"subject": id, "channel": "web", "limit": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let logged = || -> i64 {
        app.sql()
            .query_row(
                "SELECT COUNT(*) FROM decisions WHERE subject_id = ?1",
                [&id],
                |r| r.get(0),
            )
            .unwrap()
    };
    // The decision log is written in batches.
    for _ in 0..100 {
        if logged() > 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(logged(), 1);
    let start = now(&app);
    let actor = Actor::System("retention".into());
    app.store
        .issue_login_link_for_email(&actor, start, "logged@example.fi", Duration::minutes(15))
        .unwrap()
        .expect("the address is known");
    let links = || -> i64 {
        app.sql()
            .query_row("SELECT COUNT(*) FROM web_login_links", (), |r| r.get(0))
            .unwrap()
    };
    assert_eq!(links(), 1);

    let soon = app
        .store
        .run_retention(&actor, start + Duration::minutes(14))
        .unwrap();
    assert_eq!(count(&soon, "-", "links"), 0, "{soon:?}");
    assert_eq!(links(), 1);
    let later = app
        .store
        .run_retention(&actor, start + Duration::days(9))
        .unwrap();
    assert_eq!(count(&later, "-", "links"), 1, "{later:?}");
    assert_eq!(count(&later, "offers", "decisions"), 0, "{later:?}");
    assert_eq!((links(), logged()), (0, 1));
    let past = app
        .store
        .run_retention(&actor, start + Duration::days(11))
        .unwrap();
    assert_eq!(count(&past, "offers", "decisions"), 1, "{past:?}");
    assert_eq!(logged(), 0);
}

#[tokio::test]
async fn a_validity_only_a_consent_purpose_takes_and_a_bad_now_are_refused() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let before = app.fingerprint();
    for (extra, status) in [
        (
            json!({"consent_validity_days": 0}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"consent_validity_days": 36_501}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"consent_validity_days": "a year"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"legal_basis": "contract", "consent_validity_days": 30}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let r = put_offers(&app, extra.clone()).await;
        assert_eq!(r.status, status, "{extra}: {}", r.body);
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            assert_eq!(r.field(), "consent_validity_days", "{}", r.body);
        }
    }
    assert_eq!(app.fingerprint(), before);
    let out = Command::new(env!("CARGO_BIN_EXE_kerro"))
        .args(["retention", "run"])
        .args(app.store_args())
        .args(["--now", "next tuesday"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("RFC 3339"));
    assert_eq!(app.fingerprint(), before);
}

/// On PostgreSQL one node at a time runs the job: while another session holds
/// its advisory lock, a run (in process or from the command line) does nothing.
#[tokio::test]
async fn one_node_at_a_time_runs_the_job_on_postgresql() {
    let Some(app) = TestApp::start() else { return };
    if app.backend != crate::common::Backend::Postgres {
        return;
    }
    app.schema().await;
    let r = put_offers(&app, json!({"retention_days": 30})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (id, _) = app.answered_subject("locked@example.fi").await;
    let later = now(&app) + Duration::days(31);
    let other_node = app.sql();
    let held: bool = other_node
        .query_row(
            "SELECT pg_try_advisory_lock(?1)",
            [kerro_store::RETENTION_LOCK],
            |r| r.get(0),
        )
        .unwrap();
    assert!(held);
    let actor = Actor::System("retention".into());
    let skipped = app.store.run_retention(&actor, later).unwrap();
    assert!(skipped.skipped && skipped.counts.is_empty(), "{skipped:?}");
    let (code, text, _) = run_cli(&app, later);
    assert_eq!(code, 3, "{text}");
    assert!(text.contains("another node"), "{text}");
    assert_eq!(attributes(&app, &id), ["interests", "review", "size"]);
    drop(other_node);
    let ran = app.store.run_retention(&actor, later).unwrap();
    assert_eq!(count(&ran, "offers", "values"), 2, "{ran:?}");
    assert_eq!(attributes(&app, &id), ["size"]);
}
