//! Webhooks from the receiving side: a receiver in Python
//! (`webhook_receiver.py`) verifies every delivery with the official
//! Standard Webhooks library from PyPI, not kerro's code. It needs a Python
//! with `standardwebhooks` installed, named by `KERRO_WEBHOOK_PYTHON`;
//! without one each test says SKIPPED, unless `KERRO_REQUIRE_WEBHOOK_VERIFIER=1`
//! (as in CI), when it fails.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use kerro::webhooks::{Dispatcher, Options};
use kerro_core::Role;
use kerro_store::RetrySchedule;
use serde_json::{json, Value};
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use crate::common::TestApp;

/// The Python to run the receiver with, or `None` after a loud SKIPPED line.
pub(crate) fn python(test: &str) -> Option<String> {
    match std::env::var("KERRO_WEBHOOK_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            assert!(
                std::env::var("KERRO_REQUIRE_WEBHOOK_VERIFIER").as_deref() != Ok("1"),
                "{test}: KERRO_REQUIRE_WEBHOOK_VERIFIER=1 but KERRO_WEBHOOK_PYTHON names no Python with standardwebhooks"
            );
            eprintln!(
                "SKIPPED: {test}: set KERRO_WEBHOOK_PYTHON to a Python with `pip install standardwebhooks==1.1.0`"
            );
            None
        }
    }
}

/// The Python receiver; killed when dropped.
pub struct Receiver {
    child: Child,
    pub url: String,
    base: String,
    http: reqwest::Client,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Receiver {
    pub fn start(python: &str) -> Receiver {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/webhook_receiver.py");
        let mut child = Command::new(python)
            .arg(script)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the receiver");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("receiver said {line:?}"))
            .to_owned();
        let base = format!("http://127.0.0.1:{port}");
        Receiver {
            child,
            url: format!("{base}/hook"),
            base,
            http: reqwest::Client::new(),
        }
    }

    /// Sets the secret it verifies with and how many next deliveries get a 500.
    pub async fn control(&self, secret: &str, fail: u32) {
        let r = self
            .http
            .post(format!("{}/_control", self.base))
            .body(json!({"secret": secret, "fail": fail}).to_string())
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }

    /// Every request so far: id, type, verified, status, body.
    pub async fn log(&self) -> Vec<Value> {
        let r = self
            .http
            .get(format!("{}/_log", self.base))
            .send()
            .await
            .unwrap();
        r.json::<Vec<Value>>().await.unwrap()
    }

    /// Waits (10 s at most) until the log satisfies `check`; returns it.
    pub async fn wait_for(&self, what: &str, check: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let log = self.log().await;
            if check(&log) {
                return log;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "{what}: not seen within 10 s; the receiver saw {log:#?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

/// Entries of `kind`.
pub(crate) fn of_type<'a>(log: &'a [Value], kind: &str) -> Vec<&'a Value> {
    log.iter().filter(|e| e["type"] == kind).collect()
}

/// An app that allows the local receiver (plain HTTP on 127.0.0.1) with the schema.
pub(crate) async fn app() -> Option<TestApp> {
    let app = TestApp::start_with(|c| {
        c.webhooks.allow_http = true;
        c.webhooks.allow_private_addresses = true;
    })?;
    app.schema().await;
    Some(app)
}

/// Registers `url` for `events`; returns (id, secret).
async fn register(app: &TestApp, url: &str, events: &[&str]) -> (String, String) {
    let r = app
        .post(
            "/v1/webhooks",
            &app.admin,
            json!({"url": url, "events": events, "description": "test receiver"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let secret = r.body["secret"].as_str().unwrap().to_owned();
    assert!(
        secret.starts_with("whsec_") && secret.len() == 38,
        "{secret}"
    );
    (r.body["id"].as_str().unwrap().to_owned(), secret)
}

pub(crate) fn dispatch(app: &TestApp, schedule: RetrySchedule) -> Dispatcher {
    let mut opts = Options::new(&app.state);
    opts.schedule = schedule;
    Dispatcher::start(opts).unwrap()
}

fn seconds(s: &[i64]) -> RetrySchedule {
    RetrySchedule {
        delays: s.iter().map(|s| Duration::seconds(*s)).collect(),
    }
}

async fn deliveries(app: &TestApp, id: &str) -> Vec<Value> {
    let r = app
        .get(&format!("/v1/webhooks/{id}/deliveries"), &app.admin)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body.as_array().unwrap().clone()
}

/// Waits (10 s at most) until the endpoint's deliveries satisfy `check`
/// (the receiver may log a request before its attempt is recorded).
async fn deliveries_when(app: &TestApp, id: &str, check: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let listed = deliveries(app, id).await;
        if check(&listed) {
            return listed;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "deliveries not as expected within 10 s: {listed:#?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_consent_reaches_the_receiver_signed_and_without_personal_values() {
    let Some(py) = python("webhooks::a_consent_reaches_the_receiver") else {
        return;
    };
    let Some(app) = app().await else { return };
    let rx = Receiver::start(&py);
    let (hook, secret) = register(
        &app,
        &rx.url,
        &["consent.given", "declaration.changed", "subject.created"],
    )
    .await;
    rx.control(&secret, 0).await;
    let _d = dispatch(&app, RetrySchedule::default());
    let (subject, _) = app.answered_subject("verify.me@example.fi").await;
    let log = rx
        .wait_for("consent.given and declaration.changed", |l| {
            !of_type(l, "consent.given").is_empty() && !of_type(l, "declaration.changed").is_empty()
        })
        .await;
    for e in &log {
        assert_eq!(e["verified"], true, "the official library verified it: {e}");
        assert_eq!(e["content_type"], "application/json");
        assert!(e["id"].as_str().unwrap().starts_with("msg_"));
        let body = e["body"].as_str().unwrap();
        for personal in ["verify.me", "example.fi", "large", "2027-01-31", "cloud"] {
            assert!(!body.contains(personal), "{personal} in {body}");
        }
    }
    let given: Value =
        serde_json::from_str(of_type(&log, "consent.given")[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(given["data"]["subject"], subject.as_str());
    assert_eq!(given["data"]["purpose"], "offers");
    assert!(given["timestamp"]
        .as_str()
        .unwrap()
        .starts_with("2026-03-01T09:00:00"));
    let changed: Value = serde_json::from_str(
        of_type(&log, "declaration.changed")[0]["body"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert!(changed["data"]["attributes"]
        .as_array()
        .unwrap()
        .contains(&json!("interests")));
    // The refused purpose's event was not asked for.
    assert!(of_type(&log, "consent.refused").is_empty());
    // Every delivery shows as succeeded.
    deliveries_when(&app, &hook, |l| {
        l.len() == log.len()
            && l.iter()
                .all(|d| d["state"] == "succeeded" && d["attempts"] == 1 && d["last_status"] == 204)
    })
    .await;
    let r = app.get("/v1/webhooks", &app.admin).await;
    assert!(
        !r.body.to_string().contains(&secret),
        "the list shows no secret"
    );
}

#[tokio::test]
async fn a_500_is_retried_with_the_same_webhook_id() {
    let Some(py) = python("webhooks::a_500_is_retried_with_the_same_webhook_id") else {
        return;
    };
    let Some(app) = app().await else { return };
    let rx = Receiver::start(&py);
    let (hook, secret) = register(&app, &rx.url, &["subject.created"]).await;
    rx.control(&secret, 1).await;
    let _d = dispatch(&app, seconds(&[5, 30]));
    app.subject("retry.me@example.fi").await;
    let log = rx.wait_for("the first attempt", |l| l.len() == 1).await;
    assert_eq!(log[0]["status"], 500);
    let listed = deliveries_when(&app, &hook, |l| l[0]["attempts"] == 1).await;
    assert_eq!(listed[0]["state"], "pending");
    assert_eq!(listed[0]["last_status"], 500);
    // Not before its time...
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(rx.log().await.len(), 1, "no retry before the backoff");
    // ...but once the clock moved past it.
    app.advance(Duration::seconds(5));
    let log = rx.wait_for("the retry", |l| l.len() == 2).await;
    assert_eq!(log[1]["status"], 204);
    assert_eq!(
        log[0]["id"], log[1]["id"],
        "a redelivery has the same webhook-id"
    );
    assert_eq!(log[0]["body"], log[1]["body"]);
    assert!(log.iter().all(|e| e["verified"] == true));
    let listed = deliveries_when(&app, &hook, |l| l[0]["state"] != "pending").await;
    assert_eq!(listed[0]["state"], "succeeded");
    assert_eq!(listed[0]["attempts"], 2);
}

#[tokio::test]
async fn a_subjects_later_events_wait_for_its_failed_one() {
    let Some(py) = python("webhooks::a_subjects_later_events_wait_for_its_failed_one") else {
        return;
    };
    let Some(app) = app().await else { return };
    let rx = Receiver::start(&py);
    let (_, secret) = register(&app, &rx.url, &["consent.given", "consent.withdrawn"]).await;
    rx.control(&secret, 1).await;
    let _d = dispatch(&app, seconds(&[5]));
    let (first, token) = app.answered_subject("first@example.fi").await;
    rx.wait_for("the failed first attempt", |l| l.len() == 1)
        .await;
    // The same subject withdraws: that waits behind the failed consent.given.
    let r = app
        .put("/v1/me/consents/offers", &token, json!({"given": false}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Another subject's event is not held up.
    let (second, _) = app.answered_subject("second@example.fi").await;
    let log = rx
        .wait_for("the other subject's consent", |l| l.len() == 2)
        .await;
    assert!(log[1]["body"].as_str().unwrap().contains(&second));
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(
        rx.log().await.len(),
        2,
        "the withdrawal waits for the failed consent"
    );
    app.advance(Duration::seconds(5));
    let log = rx
        .wait_for("the retry and the withdrawal", |l| l.len() == 4)
        .await;
    let of_first: Vec<&Value> = log
        .iter()
        .filter(|e| e["body"].as_str().unwrap().contains(&first))
        .collect();
    let kinds: Vec<(&str, i64)> = of_first
        .iter()
        .map(|e| (e["type"].as_str().unwrap(), e["status"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("consent.given", 500),
            ("consent.given", 204),
            ("consent.withdrawn", 204)
        ],
        "in order per subject"
    );
}

#[tokio::test]
async fn exhausted_retries_disable_the_endpoint_tell_the_admins_and_a_retry_enables_it() {
    let Some(py) = python("webhooks::exhausted_retries_disable_the_endpoint") else {
        return;
    };
    let Some(app) = app().await else { return };
    let boss = app.staff_person("boss@example.fi", Role::Admin);
    let rx = Receiver::start(&py);
    let (hook, secret) = register(&app, &rx.url, &["subject.created"]).await;
    rx.control(&secret, 100).await;
    let _d = dispatch(&app, seconds(&[5]));
    app.subject("unlucky@example.fi").await;
    rx.wait_for("the first attempt", |l| l.len() == 1).await;
    deliveries_when(&app, &hook, |l| l[0]["attempts"] == 1).await;
    app.advance(Duration::seconds(5));
    rx.wait_for("the last attempt", |l| l.len() == 2).await;
    let started = Instant::now();
    let disabled = loop {
        let r = app.get("/v1/webhooks", &app.admin).await;
        let w = r.body[0].clone();
        if !w["disabled_at"].is_null() || started.elapsed().as_secs() > 10 {
            break w;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(!disabled["disabled_at"].is_null(), "{disabled}");
    assert!(disabled["disabled_reason"]
        .as_str()
        .unwrap()
        .contains("500"));
    let listed = deliveries(&app, &hook).await;
    assert_eq!(listed[0]["state"], "failed");
    assert_eq!(listed[0]["attempts"], 2);
    assert_eq!(app.store.audit_count("webhook_disabled", None).unwrap(), 1);
    // Every active admin got an e-mail.
    let mail = wait_for_mail(&app, &boss.email).await;
    assert!(mail.contains(&hook), "{mail}");
    // Nothing more is sent while disabled.
    app.subject("meanwhile@example.fi").await;
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(rx.log().await.len(), 2);
    // The manual retry re-queues it with the same webhook-id and enables the endpoint.
    rx.control(&secret, 0).await;
    let delivery = listed[0]["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/v1/webhooks/{hook}/deliveries/{delivery}/retry"),
            &app.admin,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["state"], "pending");
    let log = rx.wait_for("the manual retry", |l| l.len() == 3).await;
    assert_eq!(log[2]["id"], delivery);
    assert_eq!(log[2]["status"], 204);
    let r = app.get("/v1/webhooks", &app.admin).await;
    assert!(r.body[0]["disabled_at"].is_null(), "{}", r.body);
    assert_eq!(
        app.store
            .audit_count("webhook_delivery_retried", None)
            .unwrap(),
        1
    );
}

async fn wait_for_mail(app: &TestApp, to: &str) -> String {
    let started = Instant::now();
    loop {
        let dir = app.dir.path().join("outbox");
        let found = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .find_map(|f| {
                let text = std::fs::read_to_string(f.path()).ok()?;
                (text.contains(to) && text.contains("disabled")).then_some(text)
            });
        if let Some(text) = found {
            return text;
        }
        assert!(
            started.elapsed().as_secs() < 10,
            "no mail to {to} in {dir:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_deleted_endpoint_gets_nothing_more() {
    let Some(py) = python("webhooks::a_deleted_endpoint_gets_nothing_more") else {
        return;
    };
    let Some(app) = app().await else { return };
    let rx = Receiver::start(&py);
    let (hook, secret) = register(&app, &rx.url, &["subject.created"]).await;
    rx.control(&secret, 0).await;
    let _d = dispatch(&app, RetrySchedule::default());
    app.subject("one@example.fi").await;
    rx.wait_for("the first event", |l| l.len() == 1).await;
    let r = app
        .call(
            Method::DELETE,
            &format!("/v1/webhooks/{hook}"),
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(app.store.audit_count("webhook_deleted", None).unwrap(), 1);
    app.subject("two@example.fi").await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(rx.log().await.len(), 1, "nothing after the deletion");
    let r = app
        .get(&format!("/v1/webhooks/{hook}/deliveries"), &app.admin)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// Two nodes on one database, each with its own dispatcher: each event is
/// delivered once, not once per node.
#[tokio::test]
async fn two_nodes_deliver_each_event_once() {
    let Some(py) = python("webhooks::two_nodes_deliver_each_event_once") else {
        return;
    };
    let Some(app) = app().await else { return };
    let rx = Receiver::start(&py);
    let (_, secret) = register(&app, &rx.url, &["subject.created"]).await;
    rx.control(&secret, 0).await;
    let mut opts = kerro_store::StoreOptions::new(app.dir.path().join("node-b"));
    opts.master_key_file = Some(app.data_dir.join("master.key"));
    opts.database = Some(match &app.database {
        Some(url) => url.clone(),
        None => format!("sqlite://{}", app.store.db_path().unwrap().display()),
    });
    let node_b = kerro_store::Store::open(&opts).unwrap();
    let mut b = Options::new(&app.state);
    b.store = node_b;
    let _a = dispatch(&app, RetrySchedule::default());
    let _b = Dispatcher::start(b).unwrap();
    for i in 0..12 {
        app.subject(&format!("node{i}@example.fi")).await;
    }
    rx.wait_for("twelve deliveries", |l| l.len() >= 12).await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let log = rx.log().await;
    let ids: std::collections::BTreeSet<&str> =
        log.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(log.len(), 12, "each event once: {log:#?}");
    assert_eq!(ids.len(), 12);
}

/// Erasure drops what was still to be sent about the subject; the erasure
/// itself is announced, with the pseudonymous id only.
#[tokio::test]
async fn erasure_drops_a_subjects_pending_deliveries() {
    let Some(py) = python("webhooks::erasure_drops_a_subjects_pending_deliveries") else {
        return;
    };
    let Some(app) = app().await else { return };
    let rx = Receiver::start(&py);
    let (hook, secret) = register(&app, &rx.url, &["subject.created", "subject.erased"]).await;
    rx.control(&secret, 1).await;
    let _d = dispatch(&app, seconds(&[5]));
    let id = app.subject("forget.me@example.fi").await;
    rx.wait_for("the failed first attempt", |l| l.len() == 1)
        .await;
    deliveries_when(&app, &hook, |l| l[0]["attempts"] == 1).await;
    let token = app.subject_token(&id).await;
    let r = app.call(Method::DELETE, "/v1/me", Some(&token), None).await;
    assert!(r.status.is_success(), "{}", r.body);
    let log = rx.wait_for("the erasure", |l| l.len() == 2).await;
    assert_eq!(log[1]["type"], "subject.erased");
    assert_eq!(log[1]["status"], 204);
    let body: Value = serde_json::from_str(log[1]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["data"], json!({"subject": id}));
    // The subject.created that was waiting for its retry is gone, not sent.
    app.advance(Duration::seconds(10));
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(rx.log().await.len(), 2);
    let listed = deliveries(&app, &hook).await;
    assert_eq!(listed.len(), 1, "{listed:#?}");
    assert_eq!(listed[0]["event_type"], "subject.erased");
}
