//! Messages versus impressions: web decisions never use up the subject's
//! weekly cap; a message counts once an outside sender reports it sent
//! against its decision (`POST /v1/deliveries`), and a report not backed by
//! a decision, or on a channel the subject left, is refused and changes nothing.

use axum::http::StatusCode;
use chrono::{Duration, SecondsFormat};
use serde_json::{json, Value};

use crate::common::TestApp;

/// A subject who consented to `offers`, opted in to e-mail and the web, with a cap of `cap` a week.
pub async fn reachable_subject(app: &TestApp, email: &str, cap: u32) -> (String, String) {
    let (id, token) = app.answered_subject(email).await;
    let r = app
        .put(
            "/v1/me/contact",
            &token,
            json!({"channels": {"email": true, "web": true}, "max_per_week": cap}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    (id, token)
}

/// A generic newsletter offer on e-mail and the web, for the `offers` purpose.
pub async fn newsletter(app: &TestApp) {
    let r = app
        .put(
            "/v1/offers/newsletter",
            &app.admin,
            json!({"title": {"en": "Security newsletter", "fi": "Tietoturvakirje"},
                   "body": {"en": "This month: ransomware.", "fi": "Tässä kuussa: kiristysohjelmat."},
                   "purpose": "offers", "condition": {}, "channels": ["email", "web"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

async fn decide(app: &TestApp, subject: &str, channel: &str) -> Value {
    let r = app
        .post(
            "/v1/decisions",
            &app.admin,
            json!({"subject": subject, "channel": channel, "limit": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

fn now_text(app: &TestApp) -> String {
    app.clock
        .lock()
        .unwrap()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

async fn report(app: &TestApp, decision: &Value, channel: &str) -> crate::common::Resp {
    app.post(
        "/v1/deliveries",
        &app.admin,
        json!({"decision_id": decision["decision_id"], "offer": decision["offers"][0]["key"],
               "channel": channel, "sent_at": now_text(app)}),
    )
    .await
}

#[tokio::test]
async fn twenty_web_decisions_leave_both_emails_of_the_week() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    newsletter(&app).await;
    let (id, _) = reachable_subject(&app, "cap@example.com", 2).await;
    for _ in 0..20 {
        let d = decide(&app, &id, "web").await;
        assert_eq!(d["offers"].as_array().unwrap().len(), 1, "{d}");
        assert!(d["decision_id"].as_str().unwrap().starts_with("dec_"));
        app.advance(Duration::minutes(5));
    }
    // Two e-mails go out, each reported against its decision.
    for n in 0..2 {
        let d = decide(&app, &id, "email").await;
        assert_eq!(d["offers"].as_array().unwrap().len(), 1, "e-mail {n}: {d}");
        assert_eq!(d["limited_by"], Value::Null, "{d}");
        // Deciding is not sending: the cap is untouched until the report.
        let again = decide(&app, &id, "email").await;
        assert_eq!(again["offers"].as_array().unwrap().len(), 1);
        let r = report(&app, &d, "email").await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.body["subject"], id);
        app.advance(Duration::hours(1));
    }
    let d = decide(&app, &id, "email").await;
    assert!(d["offers"].as_array().unwrap().is_empty(), "{d}");
    assert_eq!(d["limited_by"], "weekly_cap_reached");
    // The web still shows offers: impressions are not messages.
    let d = decide(&app, &id, "web").await;
    assert_eq!(d["offers"].as_array().unwrap().len(), 1);
    // A week later the cap has room again.
    app.advance(Duration::days(7));
    assert_eq!(
        decide(&app, &id, "email").await["offers"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // The export tells impressions, choices and messages apart (the decision
    // log is written in batches: wait for it).
    let token = app.subject_token(&id).await;
    let mut kinds: Vec<String> = Vec::new();
    for _ in 0..100 {
        let export = app.get("/v1/me/export", &token).await.body;
        kinds = export["decisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["kind"].as_str().unwrap().to_owned())
            .collect();
        if kinds.iter().filter(|k| *k == "shown").count() >= 21 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        kinds.iter().filter(|k| *k == "sent").count(),
        2,
        "{kinds:?}"
    );
    assert!(
        kinds.iter().filter(|k| *k == "shown").count() >= 21,
        "{kinds:?}"
    );
}

#[tokio::test]
async fn a_delivery_needs_its_decision_and_the_subjects_opt_in() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    newsletter(&app).await;
    let (id, token) = reachable_subject(&app, "refuse@example.com", 5).await;
    let web = decide(&app, &id, "web").await;
    let email = decide(&app, &id, "email").await;
    // The decision log is written in batches: let this one land first.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let before = app.fingerprint();
    let post = |body: Value| {
        let app = &app;
        async move { app.post("/v1/deliveries", &app.admin, body).await }
    };
    let offer = email["offers"][0]["key"].clone();
    let at = now_text(&app);
    let cases = [
        (
            json!({"decision_id": "dec_01AAAAAAAAAAAAAAAAAAAAAAAA", "offer": offer, "channel": "email", "sent_at": at}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_decision",
            "decision_id",
        ),
        (
            json!({"decision_id": "not-an-id", "offer": offer, "channel": "email", "sent_at": at}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_decision",
            "decision_id",
        ),
        (
            json!({"decision_id": email["decision_id"], "offer": "other", "channel": "email", "sent_at": at}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_decision",
            "offer",
        ),
        (
            json!({"decision_id": email["decision_id"], "offer": offer, "channel": "sms", "sent_at": at}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_decision",
            "channel",
        ),
        // A web decision is an impression: there is no message to report.
        (
            json!({"decision_id": web["decision_id"], "offer": offer, "channel": "web", "sent_at": at}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
            "channel",
        ),
        (
            json!({"decision_id": email["decision_id"], "offer": offer, "channel": "email",
                   "sent_at": (*app.clock.lock().unwrap() + Duration::hours(1)).to_rfc3339()}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
            "sent_at",
        ),
        (
            json!({"decision_id": email["decision_id"], "offer": offer, "channel": "email",
                   "sent_at": (*app.clock.lock().unwrap() - Duration::hours(1)).to_rfc3339()}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
            "sent_at",
        ),
    ];
    for (body, status, code, field) in cases {
        let r = post(body.clone()).await;
        assert_eq!(
            (r.status, r.code(), r.field()),
            (status, code, field),
            "{body}: {}",
            r.body
        );
    }
    assert_eq!(app.fingerprint(), before, "refused reports changed nothing");
    // The subject leaves e-mail after the decision: the message may not be reported as sent.
    let r = app
        .put(
            "/v1/me/contact",
            &token,
            json!({"channels": {"email": false, "web": true}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = report(&app, &email, "email").await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "not_opted_in")
    );
    app.put(
        "/v1/me/contact",
        &token,
        json!({"channels": {"email": true, "web": true}}),
    )
    .await;
    let r = report(&app, &email, "email").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // The same message again is a conflict, not a second message.
    let r = report(&app, &email, "email").await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "conflict"));
    // The delivery is in the outbox for webhooks, with ids only.
    let events = app.store.outbox_since(0, 10_000).unwrap();
    let sent: Vec<_> = events
        .iter()
        .filter(|e| e.kind == "delivery.sent")
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].payload["decision_id"], email["decision_id"]);
    assert!(!sent[0].payload.to_string().contains("refuse@example.com"));
}
