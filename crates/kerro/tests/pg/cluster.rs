//! Several real `kerro serve` processes on one PostgreSQL database, and
//! `kerro db copy` from SQLite to PostgreSQL.

use serde_json::{json, Value};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::TestApp;
use crate::node::{answered, define_schema, Cluster, ADMIN};
use crate::pg_support::{fresh_database, skipped};

/// Polls `check` every 5 ms until it holds; returns how long that took, or panics after `limit`.
fn within(limit: Duration, what: &str, mut check: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    loop {
        if check() {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "{what}: not seen within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn changes_through_one_node_reach_the_other_within_a_second() {
    let Some(cluster) = Cluster::new() else {
        return skipped("cluster::changes_through_one_node_reach_the_other_within_a_second");
    };
    let a = cluster.node("a");
    let b = cluster.node("b");
    let second = Duration::from_secs(1);
    define_schema(&a);
    let (id, token) = answered(&a, 1);
    // Schema, offers and the new subject's profile, all written through A, reach B.
    let seen = within(second, "A's subject, schema and offers on B", || {
        b.offers(&id).map(|o| o.contains(&"cloud".to_owned())) == Ok(true)
    });
    eprintln!("cluster: a new subject and offers reached node B in {seen:?}");

    // The withdrawal is honoured by B's decisions within a second.
    a.ok(
        "PUT",
        "/v1/me/consents/offers",
        &token,
        json!({"given": false}),
    );
    // Only the offer that reads no answer is left (P6).
    let took = within(second, "the withdrawal on B", || {
        b.offers(&id) == Ok(vec!["once".to_owned()])
    });
    eprintln!("cluster: a withdrawal through node A was honoured on node B after {took:?}");

    // The other way round: answers and consent given again (the withdrawal
    // deleted the answers it covered) and a new offer, all through B, reach A.
    b.ok(
        "POST",
        "/v1/forms/survey/submissions",
        &token,
        json!({"answers": {"interests": ["cloud"]}, "consents": {"offers": true}, "notice_version": 1}),
    );
    b.ok(
        "PUT",
        "/v1/offers/ot",
        ADMIN,
        json!({"title": {"en": "OT"}, "body": {"en": "b"}, "purpose": "offers",
               "condition": {"interests": {"$in": ["cloud"]}}, "channels": ["web"], "priority": 3}),
    );
    within(second, "B's consent and offer on A", || {
        a.offers(&id).map(|o| o == ["cloud", "ot", "once"]) == Ok(true)
    });

    // A recipient registered through A is in B's schema: a purpose naming it is accepted on B.
    a.ok(
        "PUT",
        "/v1/recipients/partner",
        ADMIN,
        json!({"name": "Partner Oy", "country": "FI", "role": "controller"}),
    );
    within(second, "A's recipient on B", || {
        b.call("GET", "/v1/recipients/partner", ADMIN, None).0 == 200
    });
    b.ok(
        "PUT",
        "/v1/purposes/shared",
        ADMIN,
        json!({"title": {"en": "Shared"}, "description": {"en": "d"}, "legal_basis": "consent",
               "uses": ["sharing"], "retention_days": 30, "recipients": ["partner"]}),
    );

    // A delivery on A counts against the offer's cap on B too.
    let (s, d) = a.call(
        "POST",
        "/v1/decisions",
        ADMIN,
        Some(json!({"subject": id, "channel": "web", "limit": 10})),
    );
    assert_eq!(s, 200, "{d}");
    assert!(d["offers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["key"] == "once"));
    within(second, "A's delivery counted on B", || {
        b.offers(&id).map(|o| !o.contains(&"once".to_owned())) == Ok(true)
    });

    // Erasure through B: A refuses to decide for the subject at once.
    let (s, _) = b.call("DELETE", "/v1/me", &token, None);
    assert_eq!(s, 200);
    within(second, "B's erasure on A", || a.offers(&id) == Err(410));

    // Each node's follower says how far behind it was; once it caught up, nothing.
    within(second, "A's follower up to date", || {
        let s = crate::telemetry::parse(&a.metrics());
        crate::telemetry::value(&s, "kerro_follower_lag_events", &[]) == Some(0.0)
    });
    let s = crate::telemetry::parse(&b.metrics());
    assert!(
        crate::telemetry::value(&s, "kerro_writer_batch_size_count", &[]).is_some_and(|n| n > 0.0)
    );
}

#[test]
fn two_nodes_writing_at_once_keep_one_valid_ledger_chain() {
    let Some(cluster) = Cluster::new() else {
        return skipped("cluster::two_nodes_writing_at_once_keep_one_valid_ledger_chain");
    };
    // Both nodes write checkpoints often, so they race for the same heads.
    for name in ["a", "b"] {
        let data = cluster.dir.path().join(name);
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(
            data.join("kerro.toml"),
            "[audit]\ncheckpoint_every_events = 7\ncheckpoint_every_minutes = 1\n",
        )
        .unwrap();
    }
    let a = cluster.node("a");
    let b = cluster.node("b");
    define_schema(&a);
    within(Duration::from_secs(1), "the form on B", || {
        b.call("GET", "/v1/forms/survey", ADMIN, None).0 == 200
    });
    let (a, b) = (std::sync::Arc::new(a), std::sync::Arc::new(b));
    // Eight writers, four per node, each submitting for its own subjects at once.
    let per_writer = 20;
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let node = if w % 2 == 0 { a.clone() } else { b.clone() };
            std::thread::spawn(move || {
                for i in 0..per_writer {
                    answered(&node, w * 1000 + i);
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    // Each submission gave two consents.
    let expected = 8 * per_writer * 2;
    for (cmd, what) in [("ledger", "ledger"), ("audit", "audit log")] {
        let out = cluster.cli(&[cmd, "verify"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{what}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("hash chain intact"), "{text}");
        assert!(text.contains(" checkpoints: "), "{text}");
        assert!(!text.contains("none verified"), "{text}");
        if cmd == "ledger" {
            assert!(text.contains(&format!("ok: {expected} entries")), "{text}");
        }
        eprintln!("cluster: {}", text.trim());
    }
}

#[tokio::test]
async fn db_copy_moves_a_sqlite_installation_to_postgresql() {
    let Some(target) = fresh_database() else {
        return skipped("cluster::db_copy_moves_a_sqlite_installation_to_postgresql");
    };
    // A SQLite installation with schema, answers, consents, a withdrawal, an erasure and logged decisions.
    let app = TestApp::new();
    app.schema().await;
    // A webhook with deliveries, so its tables and the stream cursor are copied too.
    app.store
        .create_webhook(
            &kerro_core::Actor::System("test".into()),
            chrono::Utc::now(),
            kerro_store::NewWebhook {
                url: "https://hooks.example.invalid/kerro".into(),
                events: vec!["consent.given".into(), "subject.erased".into()],
                description: None,
                recipient: None,
            },
            20,
        )
        .unwrap();
    let (id, token) = app.answered_subject("copy1@example.fi").await;
    let (gone, gone_token) = app.answered_subject("copy2@example.fi").await;
    app.put("/v1/me/consents/offers", &token, json!({"given": false}))
        .await;
    app.call(
        axum::http::Method::DELETE,
        "/v1/me",
        Some(&gone_token),
        None,
    )
    .await;
    app.store.webhook_fan_out(chrono::Utc::now()).unwrap();
    let source_path = app.store.db_path().unwrap().to_owned();
    let before = app
        .get(&format!("/v1/subjects/{id}"), &app.admin)
        .await
        .body;
    let source_counts = kerro_store::table_counts(&app.sql()).unwrap();

    let copy = |to: &str| {
        Command::new(env!("CARGO_BIN_EXE_kerro"))
            .args(["db", "copy", "--data"])
            .arg(&app.data_dir)
            .arg("--from")
            .arg(format!("sqlite://{}", source_path.display()))
            .args(["--to", to])
            .output()
            .unwrap()
    };
    let out = copy(&target.url);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("ledger ok: 5 entries, hash chain intact"),
        "{text}"
    );
    assert!(text.contains("audit log ok"), "{text}");
    assert!(text.contains("row counts equal"), "{text}");

    // The copy holds the same rows, and the same key opens the same data.
    let pg =
        kerro_store::connect(&kerro_store::Location::Postgres(target.url.clone()), true).unwrap();
    assert_eq!(kerro_store::table_counts(&pg).unwrap(), source_counts);
    let mut opts = kerro_store::StoreOptions::new(&app.data_dir);
    opts.database = Some(target.url.clone());
    let copied = kerro_store::Store::open(&opts).unwrap();
    let subject = kerro_core::SubjectId::parse(&id).unwrap();
    let data = copied
        .subject_data(
            &kerro_core::Actor::System("test".into()),
            chrono::Utc::now(),
            &subject,
        )
        .unwrap();
    assert_eq!(data.subject.email.as_deref(), Some("copy1@example.fi"));
    let copied_answers: Vec<(String, Value)> = data
        .declarations
        .iter()
        .map(|d| (d.attribute.as_str().to_owned(), d.value.clone()))
        .collect();
    let sqlite_answers = crate::common::declared(&before);
    assert!(!copied_answers.is_empty());
    assert_eq!(
        copied_answers, sqlite_answers,
        "the answers decrypt to what SQLite held"
    );
    let gone = kerro_core::SubjectId::parse(&gone).unwrap();
    assert!(
        copied
            .subject_data(
                &kerro_core::Actor::System("t".into()),
                chrono::Utc::now(),
                &gone
            )
            .is_err(),
        "the erased subject stays erased"
    );
    // New writes continue the copied sequences and chains.
    copied
        .create_subject(
            &kerro_core::Actor::System("t".into()),
            chrono::Utc::now(),
            kerro_store::NewSubject::default(),
        )
        .unwrap();
    assert!(copied.verify_ledger().unwrap().is_ok());
    assert!(copied.verify_audit().unwrap().is_ok());
    drop(copied);

    // A target that already holds data is refused, and left as it was.
    let again = copy(&target.url);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("not empty"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

#[test]
fn a_postgresql_schema_from_a_newer_kerro_is_refused() {
    let Some(cluster) = Cluster::new() else {
        return skipped("cluster::a_postgresql_schema_from_a_newer_kerro_is_refused");
    };
    let ok = cluster.cli(&["ledger", "verify"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let conn = kerro_store::connect(
        &kerro_store::Location::Postgres(cluster.db.url.clone()),
        true,
    )
    .unwrap();
    assert_eq!(
        conn.query_row("SELECT MAX(version) FROM schema_version", (), |r| r
            .get::<_, i64>(0))
            .unwrap(),
        kerro_store::SCHEMA_VERSION,
        "every migration ran"
    );
    conn.execute("INSERT INTO schema_version (version) VALUES (999)", ())
        .unwrap();
    let refused = cluster.cli(&["ledger", "verify"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("newer than this kerro knows"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}

#[test]
fn sslmode_require_encrypts_and_verifies_the_server() {
    const SNAKEOIL: &str = "/etc/ssl/certs/ssl-cert-snakeoil.pem";
    let Some(db) = fresh_database() else {
        return skipped("cluster::sslmode_require_encrypts_and_verifies_the_server");
    };
    let plain =
        kerro_store::connect(&kerro_store::Location::parse(&db.url).unwrap(), true).unwrap();
    let ssl_on: String = plain.query_row("SHOW ssl", (), |r| r.get(0)).unwrap();
    // Debian's server has TLS on with a "snakeoil" certificate for localhost.
    if ssl_on != "on" || !std::path::Path::new(SNAKEOIL).exists() || !db.url.contains("@127.0.0.1:")
    {
        return skipped(
            "cluster::sslmode_require (the server has no TLS with Debian's snakeoil certificate)",
        );
    }
    let url = |host: &str| {
        format!(
            "{}?sslmode=require&sslrootcert={SNAKEOIL}",
            db.url.replace("@127.0.0.1:", &format!("@{host}:"))
        )
    };
    let tls = kerro_store::connect(
        &kerro_store::Location::parse(&url("localhost")).unwrap(),
        true,
    )
    .unwrap();
    let encrypted: i64 = tls
        .query_row(
            "SELECT CAST(ssl AS INTEGER) FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            (),
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(encrypted, 1, "the connection is TLS");
    let unencrypted: i64 = plain
        .query_row(
            "SELECT CAST(ssl AS INTEGER) FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            (),
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(unencrypted, 0, "without sslmode the connection is plain");
    // The certificate names localhost, not 127.0.0.1: refused, however valid the chain.
    let Err(e) = kerro_store::connect(
        &kerro_store::Location::parse(&url("127.0.0.1")).unwrap(),
        true,
    ) else {
        panic!("a certificate for another name was accepted");
    };
    assert!(e.to_string().contains("not valid for name"), "{e}");
    // A whole store works over TLS.
    let dir = tempfile::tempdir().unwrap();
    let mut opts = kerro_store::StoreOptions::new(dir.path());
    opts.database = Some(url("localhost"));
    let store = kerro_store::Store::open(&opts).unwrap();
    assert!(store.verify_ledger().unwrap().is_ok());
}

#[test]
fn a_revoked_token_stops_on_every_node_within_a_second() {
    let Some(cluster) = Cluster::new() else {
        return skipped("cluster::a_revoked_token_stops_on_every_node_within_a_second");
    };
    let a = cluster.node("a");
    let b = cluster.node("b");
    let created = a.ok(
        "POST",
        "/v1/tokens",
        ADMIN,
        json!({"name": "crm sync", "role": "service"}),
    );
    let (id, token) = (
        created["id"].as_str().unwrap(),
        created["token"].as_str().unwrap(),
    );
    // B has seen the token, so it sits in B's cache.
    assert_eq!(b.call("GET", "/v1/purposes", token, None).0, 200);
    assert_eq!(b.call("GET", "/v1/purposes", token, None).0, 200);
    let revoked_at = std::time::Instant::now();
    assert_eq!(
        a.call("DELETE", &format!("/v1/tokens/{id}"), ADMIN, None).0,
        204
    );
    within(Duration::from_secs(1), "the revocation on B", || {
        let (s, body) = b.call("GET", "/v1/purposes", token, None);
        s == 401 && body["error"]["code"] == "token_revoked"
    });
    eprintln!(
        "cluster: a token revoked on A was refused on B after {:?}",
        revoked_at.elapsed()
    );
    assert_eq!(a.call("GET", "/v1/purposes", token, None).0, 401);
}

/// The hidden field `name` of a page.
fn hidden(page: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let at = page
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + key.len();
    page[at..at + page[at..].find('"').unwrap()].to_owned()
}

#[test]
fn an_address_confirmed_through_one_node_is_in_use_on_the_other() {
    let Some(cluster) = Cluster::new() else {
        return skipped("cluster::an_address_confirmed_through_one_node_is_in_use_on_the_other");
    };
    let a = cluster.node("a");
    let b = cluster.node("b");
    let second = Duration::from_secs(1);
    define_schema(&a);
    a.ok(
        "PUT",
        "/v1/offers/letter",
        ADMIN,
        json!({"title": {"en": "Letter"}, "body": {"en": "b"}, "purpose": "offers",
               "condition": {}, "channels": ["email"]}),
    );
    let id = a.ok(
        "POST",
        "/v1/subjects",
        ADMIN,
        json!({"email": "wait@example.fi", "email_verified": false, "locale": "en"}),
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = a.ok(
        "POST",
        &format!("/v1/subjects/{id}/tokens"),
        ADMIN,
        json!({}),
    )["token"]
        .as_str()
        .unwrap()
        .to_owned();
    a.ok(
        "POST",
        "/v1/forms/survey/submissions",
        &token,
        json!({"answers": {"interests": ["cloud"]}, "consents": {"offers": true}, "notice_version": 1}),
    );
    a.ok(
        "PUT",
        "/v1/me/contact",
        &token,
        json!({"channels": {"email": true}}),
    );
    let email_decision = |node: &crate::node::Node| {
        let (s, d) = node.call(
            "POST",
            "/v1/decisions",
            ADMIN,
            Some(json!({"subject": id, "channel": "email", "limit": 5, "dry_run": true})),
        );
        assert_eq!(s, 200, "{d}");
        d
    };
    within(second, "the pending address on B", || {
        email_decision(&b)["limited_by"] == "email_unverified"
    });

    // Node A mailed the link (its file outbox); the visitor confirms it on node B.
    let outbox = cluster.dir.path().join("a").join("outbox");
    let mut link = String::new();
    within(Duration::from_secs(10), "the confirmation mail", || {
        for f in std::fs::read_dir(&outbox).into_iter().flatten().flatten() {
            let m = std::fs::read_to_string(f.path())
                .unwrap_or_default()
                .replace("=\r\n", "")
                .replace("=\n", "");
            if let Some(at) = m.find("/confirm-email/kec_") {
                link = m[at + 15..at + 15 + 47].to_owned();
                return true;
            }
        }
        false
    });
    let http = reqwest::blocking::Client::new();
    let page = http
        .get(format!("{}/confirm-email/{link}", b.url))
        .send()
        .unwrap();
    assert_eq!(page.status(), 200);
    let cookie = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("kerro_csrf="))
        .map(|c| c.split(';').next().unwrap().to_owned())
        .unwrap();
    let text = page.text().unwrap();
    let done = http
        .post(format!("{}/confirm-email", b.url))
        .header("cookie", cookie)
        .form(&[("csrf", hidden(&text, "csrf")), ("secret", link.clone())])
        .send()
        .unwrap();
    assert_eq!(done.status(), 200, "{}", done.text().unwrap());
    let took = within(second, "the confirmation on A", || {
        email_decision(&a)["offers"][0]["key"] == "letter"
    });
    eprintln!("cluster: an address confirmed through node B was in use on node A after {took:?}");
    let (_, me) = a.call("GET", "/v1/me", &token, None);
    assert_eq!(me["subject"]["email"], "wait@example.fi");
    let out = cluster.cli(&["ledger", "verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
