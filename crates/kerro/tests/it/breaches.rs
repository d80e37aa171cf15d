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
use crate::pages::get as get_page;

fn report(aware_at: &str) -> Value {
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
fn token(app: &TestApp, role: Role) -> (String, String) {
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

fn now(app: &TestApp) -> DateTime<Utc> {
    *app.clock.lock().unwrap()
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A GET with a bearer token whose body is not JSON (CSV, HTML): status, headers, text.
async fn get_text(
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

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
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
async fn subjects(app: &TestApp, tag: &str, n: usize) -> Vec<String> {
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
fn outbox(app: &TestApp) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(app.dir.path().join("outbox")) else {
        return Vec::new();
    };
    dir.map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect()
}

#[tokio::test]
async fn scoped_subjects_get_the_art_34_message_in_their_language() {
    let Some(app) = TestApp::start() else { return };
    let (reader_id, reader) = token(&app, Role::Support);
    let (_, dpo) = token(&app, Role::Dpo);
    let mut ids = Vec::new();
    for (email, locale) in [
        ("fi@example.fi", "fi"),
        ("sv@example.fi", "sv"),
        ("en@example.fi", "en"),
    ] {
        let r = app
            .post(
                "/v1/subjects",
                &app.admin,
                json!({"email": email, "locale": locale}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        ids.push(r.body["id"].as_str().unwrap().to_owned());
    }
    let no_email = app
        .post("/v1/subjects", &app.admin, json!({"locale": "fi"}))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let from = now(&app);
    for s in ids.iter().chain([&no_email]) {
        assert_eq!(
            app.get(&format!("/v1/subjects/{s}"), &reader).await.status,
            StatusCode::OK
        );
    }
    let b = create(&app, &dpo, report(&rfc3339(now(&app)))).await;
    let id = b["id"].as_str().unwrap();
    // No scope yet: nothing to send to.
    let r = app
        .post(
            &format!("/v1/breaches/{id}/subject-messages"),
            &dpo,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.field(), "scope");
    let r = app
        .post(
            &format!("/v1/breaches/{id}/scope"),
            &dpo,
            json!({"from": rfc3339(from), "to": rfc3339(now(&app)), "actors": [reader_id]}),
        )
        .await;
    assert_eq!(r.body["subjects"], 4, "{}", r.body);
    let r = app
        .post(&format!("/v1/breaches/{id}/subject-messages"), &dpo,
              json!({"message": {"fi": "Kannettava varastettiin.", "sv": "En bärbar dator stals.", "en": "A laptop was stolen."}}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (
            r.body["sent"].as_u64(),
            r.body["skipped"].as_u64(),
            r.body["failed"].as_u64()
        ),
        (Some(3), Some(1), Some(0)),
        "{}",
        r.body
    );
    let skipped: Vec<&Value> = r.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["outcome"] == "skipped")
        .collect();
    assert_eq!(skipped[0]["subject"], no_email);
    assert_eq!(skipped[0]["reason"], "no_verified_email");
    // Each message in its subject's language, through the mail path (the file outbox).
    let mails = outbox(&app);
    assert_eq!(mails.len(), 3);
    for (to, phrase, lang) in [
        ("fi@example.fi", "Kerromme", "fi"),
        ("sv@example.fi", "Vi skriver", "sv"),
        ("en@example.fi", "We are writing", "en"),
    ] {
        let m = mails
            .iter()
            .find(|m| m.contains(&format!("To: {to}")))
            .unwrap_or_else(|| panic!("no mail to {to}"));
        assert!(m.contains(phrase), "{lang}: {m}");
        let sent = r.body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["outcome"] == "sent" && x["lang"] == lang)
            .unwrap();
        assert!(ids.contains(&sent["subject"].as_str().unwrap().to_owned()));
    }
    assert!(mails.iter().any(|m| m.contains("A laptop was stolen.")));
    // Every message is recorded and audited, naming its subject.
    assert_eq!(
        app.store
            .audit_count("breach_subject_messaged", None)
            .unwrap(),
        4
    );
    let b = app.get(&format!("/v1/breaches/{id}"), &dpo).await.body;
    assert_eq!(b["messages"], json!({"sent": 3, "failed": 0, "skipped": 1}));
    // The staff page lists every message.
    let person = app.staff_person("breach-messages@example.fi", Role::Dpo);
    let page = get_page(
        &app,
        &format!("/admin/breaches/{id}"),
        &format!("{}; kerro_lang=en", person.cookie),
    )
    .await;
    assert_eq!(
        page.text.matches("<td>sent</td>").count(),
        3,
        "{}",
        page.text
    );
    assert!(
        page.text.contains("not sent (no_verified_email)"),
        "{}",
        page.text
    );
    // A second call reaches nobody new.
    let r = app
        .post(
            &format!("/v1/breaches/{id}/subject-messages"),
            &dpo,
            json!({}),
        )
        .await;
    assert_eq!(r.body["sent"], 0, "{}", r.body);
    assert_eq!(outbox(&app).len(), 3);
    // An erased subject is skipped as such.
    let erased = app
        .post(
            "/v1/subjects",
            &app.admin,
            json!({"email": "gone@example.fi"}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let from = now(&app);
    app.get(&format!("/v1/subjects/{erased}"), &reader).await;
    let t = app.subject_token(&erased).await;
    assert!(app
        .call(Method::DELETE, "/v1/me", Some(&t), None)
        .await
        .status
        .is_success());
    app.post(
        &format!("/v1/breaches/{id}/scope"),
        &dpo,
        json!({"from": rfc3339(from), "to": rfc3339(now(&app)), "actors": [reader_id]}),
    )
    .await;
    let r = app
        .post(
            &format!("/v1/breaches/{id}/subject-messages"),
            &dpo,
            json!({}),
        )
        .await;
    let gone = r.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["subject"] == erased.as_str())
        .unwrap();
    assert_eq!(
        (gone["outcome"].as_str(), gone["reason"].as_str()),
        (Some("skipped"), Some("erased")),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn the_art_33_notification_is_json_and_escaped_printable_html() {
    let Some(app) = TestApp::start() else { return };
    let (_, dpo) = token(&app, Role::Dpo);
    let mut body = report(&rfc3339(now(&app)));
    body["nature"] = json!("<script>alert(1)</script> & more");
    let b = create(&app, &dpo, body).await;
    let id = b["id"].as_str().unwrap();
    app.post(
        &format!("/v1/breaches/{id}/updates"),
        &dpo,
        json!({"text": "Phase <b>two</b>"}),
    )
    .await;
    let n = app
        .get(&format!("/v1/breaches/{id}/notification"), &dpo)
        .await;
    assert_eq!(n.status, StatusCode::OK, "{}", n.body);
    assert_eq!(n.body["format"], "kerro.breach-notification.v1");
    assert_eq!(n.body["breach"], id);
    assert_eq!(n.body["nature"], "<script>alert(1)</script> & more");
    assert_eq!(n.body["approx_subjects"], 120);
    assert_eq!(n.body["phases"][0]["text"], "Phase <b>two</b>");
    assert!(n.body["controller"]["dpo"].is_string());
    let (status, headers, html) = get_text(
        &app,
        &format!("/v1/breaches/{id}/notification?format=html&lang=sv"),
        &dpo,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62; &#38; more"),
        "{html}"
    );
    assert!(
        !html.contains("<script>") && !html.contains("<b>two"),
        "{html}"
    );
    assert!(
        html.contains("lang=\"sv\"") && html.contains("Anmälan av en personuppgiftsincident"),
        "{html}"
    );
    for (query, status, field) in [
        ("?format=xml", StatusCode::UNPROCESSABLE_ENTITY, "format"),
        (
            "?lang=de&format=html",
            StatusCode::UNPROCESSABLE_ENTITY,
            "lang",
        ),
        (
            "?format=html&format=json",
            StatusCode::BAD_REQUEST,
            "format",
        ),
        ("?pretty=1", StatusCode::BAD_REQUEST, "pretty"),
    ] {
        let r = app
            .get(&format!("/v1/breaches/{id}/notification{query}"), &dpo)
            .await;
        assert_eq!(r.status, status, "{query}: {}", r.body);
        assert_eq!(r.field(), field, "{query}");
    }
}

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

fn staff_cookie(app: &TestApp, role: Role, tag: &str) -> (String, String) {
    let person = app.staff_person(&format!("breach-{tag}@example.fi"), role);
    (
        person.id.clone(),
        format!("{}; kerro_lang=en", person.cookie),
    )
}

#[tokio::test]
async fn the_staff_pages_show_a_countdown_and_audit_the_subjects_download() {
    let Some(app) = TestApp::start() else { return };
    let (dpo_person, dpo) = staff_cookie(&app, Role::Dpo, "dpo");
    let (_, editor) = staff_cookie(&app, Role::Editor, "editor");
    let (_, api) = token(&app, Role::Dpo);
    let open = create(
        &app,
        &api,
        report(&rfc3339(now(&app) - Duration::minutes(55))),
    )
    .await;
    let overdue = create(
        &app,
        &api,
        report(&rfc3339(now(&app) - Duration::hours(73))),
    )
    .await;
    let (open, overdue) = (
        open["id"].as_str().unwrap(),
        overdue["id"].as_str().unwrap(),
    );
    for path in [
        "/admin/breaches".to_owned(),
        "/admin/breaches.csv".to_owned(),
        format!("/admin/breaches/{open}"),
        format!("/admin/breaches/{open}/notification"),
        format!("/admin/breaches/{open}/subjects.csv"),
    ] {
        let anonymous = get_page(&app, &path, "").await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(
            get_page(&app, &path, &editor).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
        assert_eq!(
            get_page(&app, &path, &dpo).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
    let list = get_page(&app, "/admin/breaches", &dpo).await;
    assert!(list.text.contains("71 h 5 min left"), "{}", list.text);
    assert!(list.text.contains("Overdue by 1 h 0 min"), "{}", list.text);
    assert!(list
        .text
        .contains(&format!("href=\"/admin/breaches/{overdue}?lang=en\"")));
    assert!(
        list.text.contains("href=\"/admin/breaches\""),
        "the nav links the register"
    );
    assert!(!get_page(&app, "/admin", &editor)
        .await
        .text
        .contains("href=\"/admin/breaches\""));
    // The countdown moves with the clock (within the session's 30 idle minutes); after notification it says so.
    app.advance(Duration::minutes(20));
    assert!(get_page(&app, "/admin/breaches", &dpo)
        .await
        .text
        .contains("70 h 45 min left"));
    app.post(
        &format!("/v1/breaches/{open}/notified"),
        &api,
        json!({"authority_ref": "TSV/7", "notified_at": rfc3339(now(&app))}),
    )
    .await;
    let detail = get_page(&app, &format!("/admin/breaches/{open}"), &dpo).await;
    assert!(
        detail.text.contains("Authority notified"),
        "{}",
        detail.text
    );
    assert!(detail
        .text
        .contains(&format!("/admin/breaches/{open}/notification")));
    let fi = get_page(
        &app,
        &format!("/admin/breaches/{open}?lang=fi"),
        &format!("{dpo}; kerro_lang=fi"),
    )
    .await;
    assert!(fi.text.contains("Viranomaiselle ilmoitettu"), "{}", fi.text);
    assert_eq!(
        get_page(&app, "/admin/breaches/brc_00000000000000000000000000", &dpo)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get_page(&app, "/admin/breaches/x%22y", &dpo).await.status,
        StatusCode::NOT_FOUND
    );
    // Downloading the subjects on the page is audited under the person's name.
    let rows = app
        .sql()
        .rows(
            "SELECT actor FROM audit_log WHERE action = 'breach_subjects_exported'",
            (),
        )
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].get::<_, String>(0).unwrap(),
        format!("staff:dpo:{dpo_person}")
    );
}

#[tokio::test]
async fn the_detail_page_takes_an_update_and_the_notification_under_the_persons_name() {
    let Some(app) = TestApp::start() else { return };
    let (person, dpo) = staff_cookie(&app, Role::Dpo, "forms");
    let (_, api) = token(&app, Role::Dpo);
    let b = create(
        &app,
        &api,
        report(&rfc3339(now(&app) - Duration::hours(80))),
    )
    .await;
    let id = b["id"].as_str().unwrap();
    let path = format!("/admin/breaches/{id}");
    let page = get_page(&app, &path, &dpo).await;
    assert!(
        page.text
            .contains(&format!("action=\"/admin/breaches/{id}/updates\"")),
        "{}",
        page.text
    );
    let csrf = page.csrf();
    let post = |to: &'static str, form: Vec<(&'static str, String)>| {
        let (app, dpo, id) = (&app, dpo.clone(), id.to_owned());
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            crate::pages::send(
                app,
                Method::POST,
                &format!("/admin/breaches/{id}/{to}"),
                &dpo,
                &[],
                &form,
            )
            .await
        }
    };
    // Without the CSRF token: refused, nothing written.
    let before = app.fingerprint();
    let r = post("updates", vec![("text", "x".into())]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A blank text: the page again with the error, nothing written.
    let r = post(
        "updates",
        vec![("csrf", csrf.clone()), ("text", " ".into())],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text.contains("id=\"breach-error\"") && r.text.contains("What is new"),
        "{}",
        r.text
    );
    // Late, without its reason: refused the same way.
    let at = rfc3339(now(&app));
    let r = post(
        "notified",
        vec![
            ("csrf", csrf.clone()),
            ("authority_ref", "TSV/3".into()),
            ("notified_at", at.clone()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        r.text.contains("give the reasons for the delay"),
        "{}",
        r.text
    );
    let r = post(
        "notified",
        vec![
            ("csrf", csrf.clone()),
            ("authority_ref", "TSV/3".into()),
            ("notified_at", "tomorrow".into()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(app.fingerprint(), before);
    // An update with a stage, then the late notification with its reason.
    let r = post(
        "updates",
        vec![
            ("csrf", csrf.clone()),
            ("text", "Contained.".into()),
            ("stage", "contained".into()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = post(
        "notified",
        vec![
            ("csrf", csrf.clone()),
            ("authority_ref", "TSV/3".into()),
            ("notified_at", at),
            ("late_reason", "Found on a holiday.".into()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let b = app.get(&format!("/v1/breaches/{id}"), &api).await.body;
    assert_eq!(b["stage"], "contained");
    assert_eq!(b["updates"][1]["by"], format!("staff:dpo:{person}"));
    assert_eq!(b["notification"]["late"], true);
    assert_eq!(
        b["notification"]["recorded_by"],
        format!("staff:dpo:{person}")
    );
    let page = get_page(&app, &path, &dpo).await;
    assert!(
        !page.text.contains("id=\"notify-form\""),
        "notified once: no form"
    );
}
