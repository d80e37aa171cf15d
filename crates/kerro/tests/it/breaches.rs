//! The breach register (P25): recording a breach with its 72-hour deadline,
//! phased append-only updates, the notification to the authority (a late one
//! needs its reason), the affected subjects computed from the audit log (a
//! token that read N chosen subjects in a window is scoped to exactly N), the
//! art. 33 notification as JSON and escaped HTML, the art. 34 messages in each
//! subject's language through the mail path, the staff pages with their
//! countdown, and every change audited under the staff member who made it.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use chrono::{DateTime, Duration, Utc};
use http_body_util::BodyExt;
use kerro_core::{Actor, Role};
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::common::TestApp;

pub fn report(aware_at: &str) -> Value {
    json!({
        "aware_at": aware_at,
        "nature": "A support laptop with an unencrypted export was stolen.",
        "data_categories": ["contact details", "declared interests"],
        "subject_categories": ["customers"],
        "approx_subjects": 120,
        "contact_point": "dpo@example.fi",
        "likely_consequences": "Phishing aimed at the customers concerned.",
        "measures": "The laptop's tokens were revoked; customers are told.",
    })
}

/// A staff token of `role` and its id (`tok_...`), as the audit log names it.
pub fn token(app: &TestApp, role: Role) -> (String, String) {
    let (t, secret) = app
        .store
        .create_staff_token(
            &Actor::System("test".into()),
            Utc::now(),
            role,
            "breach test",
        )
        .unwrap();
    (t.id, secret)
}

pub fn now(app: &TestApp) -> DateTime<Utc> {
    *app.clock.lock().unwrap()
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A GET with a bearer token whose body is not JSON (CSV, HTML): status, headers, text.
pub async fn get_text(
    app: &TestApp,
    path: &str,
    token: &str,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let req = Request::builder()
        .method(Method::GET)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let resp = app.router.clone().oneshot(req).await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

pub async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let r = app.post("/v1/breaches", token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body
}

#[tokio::test]
async fn a_breach_has_its_deadline_phased_updates_and_one_notification() {
    let Some(app) = TestApp::start() else { return };
    let (dpo_id, dpo) = token(&app, Role::Dpo);
    let aware = now(&app) - Duration::hours(2);
    let b = create(&app, &dpo, report(&rfc3339(aware))).await;
    let id = b["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("brc_"), "{id}");
    assert_eq!(b["deadline"], json!(aware + Duration::hours(72)), "{b}");
    assert_eq!(b["stage"], "investigating");
    assert_eq!(b["updates"][0]["phase"], 0);
    assert!(b["notification"].is_null());
    assert!(b["created_by"].as_str().unwrap().ends_with(&dpo_id));
    // Two updates: each a phase with the server's time; fields amend the current view.
    app.advance(Duration::hours(1));
    let u1 = app
        .post(&format!("/v1/breaches/{id}/updates"), &dpo,
              json!({"text": "The export held 340 customers.", "approx_subjects": 340, "stage": "contained"}))
        .await;
    assert_eq!(u1.status, StatusCode::CREATED, "{}", u1.body);
    app.advance(Duration::hours(1));
    let u2 = app
        .post(
            &format!("/v1/breaches/{id}/updates"),
            &dpo,
            json!({"text": "Customers were told.", "measures": "Tokens revoked, customers told."}),
        )
        .await;
    assert_eq!(u2.status, StatusCode::CREATED, "{}", u2.body);
    let b = app.get(&format!("/v1/breaches/{id}"), &dpo).await.body;
    assert_eq!(b["approx_subjects"], 340);
    assert_eq!(b["stage"], "contained");
    assert_eq!(b["measures"], "Tokens revoked, customers told.");
    assert_eq!(b["nature"], report("")["nature"]);
    let updates = b["updates"].as_array().unwrap();
    assert_eq!(updates.len(), 3, "{b}");
    assert_eq!(
        updates[0]["changes"]["approx_subjects"], 120,
        "the history keeps the original"
    );
    assert_eq!(updates[1]["phase"], 1);
    assert_eq!(
        updates[1]["changes"],
        json!({"approx_subjects": 340, "stage": "contained"})
    );
    assert_eq!(updates[1]["at"], json!(aware + Duration::hours(3)));
    assert_eq!(updates[2]["phase"], 2);
    assert_eq!(updates[2]["text"], "Customers were told.");
    // Notified within the deadline: no reason needed, once only.
    let at = rfc3339(now(&app));
    let n = app
        .post(
            &format!("/v1/breaches/{id}/notified"),
            &dpo,
            json!({"authority_ref": "TSV/1/2026", "notified_at": at}),
        )
        .await;
    assert_eq!(n.status, StatusCode::OK, "{}", n.body);
    assert_eq!(n.body["notification"]["late"], false);
    assert_eq!(n.body["notification"]["authority_ref"], "TSV/1/2026");
    let before = app.fingerprint();
    let again = app
        .post(
            &format!("/v1/breaches/{id}/notified"),
            &dpo,
            json!({"authority_ref": "TSV/2/2026", "notified_at": at}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert_eq!(app.fingerprint(), before);
    // The list, and the register's export as CSV.
    let list = app.get("/v1/breaches", &dpo).await.body;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (status, headers, csv) = get_text(&app, "/v1/breaches?format=csv", &dpo).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[0].starts_with("id,aware_at,deadline,stage"), "{csv}");
    assert!(
        lines[1].starts_with(&id) && lines[1].contains("TSV/1/2026"),
        "{csv}"
    );
    // Every change is audited under the token that made it.
    for action in ["breach_recorded", "breach_updated", "breach_notified"] {
        let rows = app
            .sql()
            .rows("SELECT actor FROM audit_log WHERE action = ?1", [action])
            .unwrap();
        assert!(!rows.is_empty(), "{action}");
        for r in rows {
            assert_eq!(
                r.get::<_, String>(0).unwrap(),
                format!("staff:dpo:{dpo_id}"),
                "{action}"
            );
        }
    }
    assert_eq!(app.store.audit_count("breach_updated", None).unwrap(), 2);
}

#[tokio::test]
async fn a_late_notification_needs_its_reason() {
    let Some(app) = TestApp::start() else { return };
    let (_, dpo) = token(&app, Role::Dpo);
    let aware = now(&app);
    let b = create(&app, &dpo, report(&rfc3339(aware))).await;
    let id = b["id"].as_str().unwrap();
    app.advance(Duration::hours(80));
    let late_at = rfc3339(aware + Duration::hours(73));
    let before = app.fingerprint();
    let r = app
        .post(
            &format!("/v1/breaches/{id}/notified"),
            &dpo,
            json!({"authority_ref": "TSV/9", "notified_at": late_at}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.field(), "late_reason");
    assert_eq!(
        app.fingerprint(),
        before,
        "a refused notification changes nothing"
    );
    // Exactly at the deadline is on time.
    let on_time = app
        .post(&format!("/v1/breaches/{id}/notified"), &dpo,
              json!({"authority_ref": "TSV/9", "notified_at": rfc3339(aware + Duration::hours(72)), "late_reason": "n/a"}))
        .await;
    assert_eq!(on_time.status, StatusCode::OK, "{}", on_time.body);
    assert_eq!(on_time.body["notification"]["late"], false);
    // Another breach, notified late with its reason.
    let b2 = create(
        &app,
        &dpo,
        report(&rfc3339(now(&app) - Duration::hours(100))),
    )
    .await;
    let id2 = b2["id"].as_str().unwrap();
    let r = app
        .post(&format!("/v1/breaches/{id2}/notified"), &dpo,
              json!({"authority_ref": "TSV/10", "notified_at": rfc3339(now(&app)), "late_reason": "Found over a long weekend."}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["notification"]["late"], true);
    assert_eq!(
        r.body["notification"]["late_reason"],
        "Found over a long weekend."
    );
    let n = app
        .get(&format!("/v1/breaches/{id2}/notification"), &dpo)
        .await
        .body;
    assert_eq!(n["late"], true);
    assert_eq!(n["late_reason"], "Found over a long weekend.");
}

/// Subjects with a token each, created and read by nobody but the admin.
pub async fn subjects(app: &TestApp, tag: &str, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(app.subject(&format!("{tag}{i}@example.fi")).await);
    }
    out
}

#[tokio::test]
async fn a_token_that_read_n_chosen_subjects_in_a_window_scopes_exactly_n() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (leaked_id, leaked) = token(&app, Role::Support);
    let (_, other) = token(&app, Role::Support);
    let (_, dpo) = token(&app, Role::Dpo);
    let all = subjects(&app, "scoped", 9).await;
    let (chosen, rest) = all.split_at(5);
    // Before the window, the leaked token reads the others.
    for s in rest {
        assert_eq!(
            app.get(&format!("/v1/subjects/{s}"), &leaked).await.status,
            StatusCode::OK
        );
    }
    app.advance(Duration::hours(1));
    let from = now(&app);
    app.advance(Duration::minutes(10));
    // In the window: the leaked token reads (and exports) the chosen ones; another token reads the rest.
    for s in chosen {
        assert_eq!(
            app.get(&format!("/v1/subjects/{s}"), &leaked).await.status,
            StatusCode::OK
        );
    }
    assert_eq!(
        app.get(&format!("/v1/subjects/{}/export", chosen[0]), &leaked)
            .await
            .status,
        StatusCode::OK
    );
    for s in rest {
        assert_eq!(
            app.get(&format!("/v1/subjects/{s}"), &other).await.status,
            StatusCode::OK
        );
    }
    app.advance(Duration::minutes(10));
    let to = now(&app);
    // After the window, the leaked token reads the others again.
    app.advance(Duration::hours(1));
    for s in rest {
        assert_eq!(
            app.get(&format!("/v1/subjects/{s}"), &leaked).await.status,
            StatusCode::OK
        );
    }
    let b = create(&app, &dpo, report(&rfc3339(now(&app)))).await;
    let id = b["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/v1/breaches/{id}/scope"),
            &dpo,
            json!({"from": rfc3339(from), "to": rfc3339(to), "actors": [leaked_id]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["subjects"], 5, "{}", r.body);
    // Each read names the subject row, its answers, consents and contact: 4 records a subject.
    assert_eq!(r.body["records"], 20, "{}", r.body);
    assert_eq!(r.body["entries"], 6, "{}", r.body);
    assert_eq!(r.body["audit_log_intact"], true, "{}", r.body);
    // The scope is stored on the breach; its ids download as CSV, audited.
    let b = app.get(&format!("/v1/breaches/{id}"), &dpo).await.body;
    assert_eq!(b["scope"]["subjects"], 5);
    let (status, headers, csv) = get_text(&app, &format!("/v1/breaches/{id}/subjects"), &dpo).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let mut got: Vec<&str> = csv.lines().skip(1).collect();
    got.sort();
    let mut want: Vec<&str> = chosen.iter().map(String::as_str).collect();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(
        app.store
            .audit_count("breach_subjects_exported", None)
            .unwrap(),
        1
    );
    assert_eq!(app.store.audit_count("breach_scoped", None).unwrap(), 1);
    // Narrowed to a field: only the records of that field.
    let r = app
        .post(&format!("/v1/breaches/{id}/scope"), &dpo,
              json!({"from": rfc3339(from), "to": rfc3339(to), "actors": [leaked_id], "fields": ["contact"]}))
        .await;
    assert_eq!(
        (r.body["subjects"].as_u64(), r.body["records"].as_u64()),
        (Some(5), Some(5)),
        "{}",
        r.body
    );
    // Any actor in the window: all nine.
    let r = app
        .post(
            &format!("/v1/breaches/{id}/scope"),
            &dpo,
            json!({"from": rfc3339(from), "to": rfc3339(to)}),
        )
        .await;
    assert_eq!(r.body["subjects"], 9, "{}", r.body);
    // An empty window: none.
    let r = app
        .post(&format!("/v1/breaches/{id}/scope"), &dpo,
              json!({"from": rfc3339(to + Duration::minutes(1)), "to": rfc3339(to + Duration::minutes(2))}))
        .await;
    assert_eq!(r.body["subjects"], 0, "{}", r.body);
    let (_, _, csv) = get_text(&app, &format!("/v1/breaches/{id}/subjects"), &dpo).await;
    assert_eq!(csv.lines().count(), 1, "only the header: {csv}");
    // A rewritten audit entry is noticed: the scope says the log is not intact.
    app.sql()
        .execute(
            "UPDATE audit_log SET detail = '{}' WHERE seq = (SELECT MIN(seq) FROM audit_log WHERE action = 'subject_read')",
            (),
        )
        .unwrap();
    let r = app
        .post(
            &format!("/v1/breaches/{id}/scope"),
            &dpo,
            json!({"from": rfc3339(from), "to": rfc3339(to)}),
        )
        .await;
    assert_eq!(r.body["audit_log_intact"], false, "{}", r.body);
}

/// The `.eml` files of the file outbox, as text.
#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let Some(app) = TestApp::start() else { return };
    let (_, dpo) = token(&app, Role::Dpo);
    let at = rfc3339(now(&app));
    let b = create(&app, &dpo, report(&at)).await;
    let id = b["id"].as_str().unwrap().to_owned();
    let with = |k: &str, v: Value| {
        let mut r = report(&at);
        r[k] = v;
        r
    };
    let future = rfc3339(now(&app) + Duration::minutes(1));
    let cases: Vec<(&str, String, Value, StatusCode, &str)> = vec![
        (
            "create",
            "/v1/breaches".into(),
            with("aware_at", json!(future)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "aware_at",
        ),
        (
            "create",
            "/v1/breaches".into(),
            with("aware_at", json!("yesterday")),
            StatusCode::BAD_REQUEST,
            "aware_at",
        ),
        (
            "create",
            "/v1/breaches".into(),
            with("aware_at", json!("2026-03-01")),
            StatusCode::BAD_REQUEST,
            "aware_at",
        ),
        (
            "create",
            "/v1/breaches".into(),
            with("nature", json!("x".repeat(10_001))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "nature",
        ),
        (
            "create",
            "/v1/breaches".into(),
            with("nature", json!("  ")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "nature",
        ),
        (
            "create",
            "/v1/breaches".into(),
            with("data_categories", json!([])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "data_categories",
        ),
        (
            "create",
            "/v1/breaches".into(),
            with("subject_categories", json!(["ok", "two\nlines"])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "subject_categories[1]",
        ),
        (
            "create",
            "/v1/breaches".into(),
            with("approx_records", json!(-1)),
            StatusCode::BAD_REQUEST,
            "approx_records",
        ),
        (
            "create",
            "/v1/breaches".into(),
            with("approx_records", json!(10_000_000_001u64)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "approx_records",
        ),
        (
            "create",
            "/v1/breaches".into(),
            with("contact_point", json!("a".repeat(501))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "contact_point",
        ),
        (
            "create",
            "/v1/breaches".into(),
            with("severity", json!("high")),
            StatusCode::BAD_REQUEST,
            "severity",
        ),
        (
            "update",
            format!("/v1/breaches/{id}/updates"),
            json!({"text": ""}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "text",
        ),
        (
            "update",
            format!("/v1/breaches/{id}/updates"),
            json!({"text": "x", "stage": "closed"}),
            StatusCode::BAD_REQUEST,
            "stage",
        ),
        (
            "update",
            format!("/v1/breaches/{id}/updates"),
            json!({"text": "x", "measures": ""}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "measures",
        ),
        (
            "update",
            "/v1/breaches/brc_00000000000000000000000000/updates".into(),
            json!({"text": "x"}),
            StatusCode::NOT_FOUND,
            "id",
        ),
        (
            "update",
            "/v1/breaches/nope/updates".into(),
            json!({"text": "x"}),
            StatusCode::NOT_FOUND,
            "id",
        ),
        (
            "notified",
            format!("/v1/breaches/{id}/notified"),
            json!({"authority_ref": "R", "notified_at": future}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "notified_at",
        ),
        (
            "notified",
            format!("/v1/breaches/{id}/notified"),
            json!({"authority_ref": "R", "notified_at": rfc3339(now(&app) - Duration::days(1))}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "notified_at",
        ),
        (
            "notified",
            format!("/v1/breaches/{id}/notified"),
            json!({"authority_ref": "", "notified_at": at}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "authority_ref",
        ),
        (
            "notified",
            format!("/v1/breaches/{id}/notified"),
            json!({"authority_ref": "R"}),
            StatusCode::BAD_REQUEST,
            "",
        ),
        (
            "scope",
            format!("/v1/breaches/{id}/scope"),
            json!({"from": at, "to": rfc3339(now(&app) - Duration::hours(1))}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "to",
        ),
        (
            "scope",
            format!("/v1/breaches/{id}/scope"),
            json!({"from": at, "to": at, "actors": ["admin"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "actors[0]",
        ),
        (
            "scope",
            format!("/v1/breaches/{id}/scope"),
            json!({"from": at, "to": at, "fields": ["E-mail"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "fields[0]",
        ),
        (
            "scope",
            format!("/v1/breaches/{id}/scope"),
            json!({"from": at, "to": at, "actors": vec!["tok_a"; 101]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "actors",
        ),
        (
            "scope",
            "/v1/breaches/brc_00000000000000000000000000/scope".into(),
            json!({"from": at, "to": at}),
            StatusCode::NOT_FOUND,
            "id",
        ),
        (
            "messages",
            format!("/v1/breaches/{id}/subject-messages"),
            json!({"message": {"fi": " "}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "message.fi",
        ),
        (
            "messages",
            format!("/v1/breaches/{id}/subject-messages"),
            json!({"message": {"de": "x"}}),
            StatusCode::BAD_REQUEST,
            "message",
        ),
        (
            "messages",
            format!("/v1/breaches/{id}/subject-messages"),
            json!({}),
            StatusCode::CONFLICT,
            "scope",
        ),
    ];
    let before = app.fingerprint();
    for (what, path, body, status, field) in cases {
        let r = app.post(&path, &dpo, body.clone()).await;
        assert_eq!(r.status, status, "{what} {body}: {}", r.body);
        if !field.is_empty() {
            assert_eq!(r.field(), field, "{what} {body}: {}", r.body);
        }
        assert_eq!(app.fingerprint(), before, "{what} {body} changed state");
    }
    for path in [
        "/v1/breaches/brc_00000000000000000000000000",
        "/v1/breaches/x/notification",
        "/v1/breaches/brc_00000000000000000000000000/subjects",
    ] {
        let r = app.get(path, &dpo).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.field(), "id", "{path}");
    }
    assert_eq!(
        app.get("/v1/breaches?format=pdf", &dpo).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(app.fingerprint(), before);
}
