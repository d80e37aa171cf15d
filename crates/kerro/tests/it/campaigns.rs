//! E-mail campaigns end to end: counts that equal a brute-force count over
//! the subjects, an offer that ends before sending, a real SMTP server
//! receiving the messages with RFC 8058 headers, the one-click unsubscribe (a
//! GET that changes nothing, the mail client's POST, an erased subject's
//! neutral page). The page's button and forged links are `unsubscribe.rs`'s.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chrono::Duration;
use http_body_util::BodyExt;
use kerro::web::CampaignSender;
use mailin_embedded::{response, Handler, Response, Server, SslConfig};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

use crate::common::TestApp;
use crate::messages::{newsletter, reachable_subject};
use crate::pages::{get, send};
use crate::unsubscribe::email_link;

/// An SMTP server (mailin) on a free local port that keeps every message it receives.
#[derive(Clone, Default)]
struct Inbox {
    got: Arc<Mutex<Vec<Vec<u8>>>>,
    buf: Vec<u8>,
}

impl Handler for Inbox {
    fn data_start(&mut self, _: &str, _: &str, _: bool, _: &[String]) -> Response {
        self.buf.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.buf.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        self.got.lock().unwrap().push(std::mem::take(&mut self.buf));
        response::OK
    }
}

fn smtp_server() -> (Inbox, u16) {
    let inbox = Inbox::default();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut server = Server::new(inbox.clone());
    server
        .with_name("smtp.test.invalid")
        .with_ssl(SslConfig::None)
        .unwrap()
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    (inbox, port)
}

async fn campaign(app: &TestApp, condition: Value) -> String {
    let r = app
        .post(
            "/v1/campaigns",
            &app.admin,
            json!({"offer": "newsletter", "audience": {"purpose": "offers", "channel": "email", "condition": condition}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["state"], "scheduled");
    r.body["id"].as_str().unwrap().to_owned()
}

fn send_due(app: &TestApp) -> kerro::web::Run {
    let now = *app.clock.lock().unwrap();
    CampaignSender::new(app.state.clone())
        .run_once(now)
        .unwrap()
}

#[tokio::test]
async fn campaign_counts_equal_a_brute_force_count_over_the_subjects() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    newsletter(&app).await;
    // Subjects in every state a campaign must tell apart.
    let mut ids = Vec::new();
    for (n, state) in [
        "fine",
        "fine",
        "cap",
        "restricted",
        "objected",
        "withdrawn",
        "email-off",
        "left",
        "no-cloud",
    ]
    .into_iter()
    .enumerate()
    {
        let (id, token) = reachable_subject(&app, &format!("s{n}@example.com"), 1).await;
        match state {
            "restricted" => {
                app.put("/v1/me/rights", &token, json!({"restricted": true}))
                    .await;
            }
            "objected" => {
                app.put("/v1/me/rights", &token, json!({"objected_marketing": true}))
                    .await;
            }
            "email-off" => {
                app.put("/v1/me/contact", &token, json!({"channels": {"web": true}}))
                    .await;
            }
            "no-cloud" => {
                let r = app
                    .call(
                        Method::PATCH,
                        "/v1/me/declarations",
                        Some(&token),
                        Some(json!({"interests": ["ot"]})),
                    )
                    .await;
                assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            }
            _ => {}
        }
        ids.push((id, token, state));
    }
    let id = campaign(&app, json!({"interests": {"$in": ["cloud"]}})).await;
    // Between planning and sending, some subjects change their minds.
    let started = app
        .store
        .start_due_campaign(*app.clock.lock().unwrap())
        .unwrap()
        .unwrap();
    for (sid, token, state) in &ids {
        match *state {
            "cap" => {
                let d = app
                    .post(
                        "/v1/decisions",
                        &app.admin,
                        json!({"subject": sid, "channel": "email", "limit": 1}),
                    )
                    .await
                    .body;
                let r = app
                    .post(
                        "/v1/deliveries",
                        &app.admin,
                        json!({"decision_id": d["decision_id"], "offer": "newsletter", "channel": "email",
                               "sent_at": d["decided_at"]}),
                    )
                    .await;
                assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            }
            "withdrawn" => {
                let r = app
                    .put("/v1/me/consents/offers", token, json!({"given": false}))
                    .await;
                assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            }
            "left" => {
                let tok = app.store.unsubscribe_token(&email_link(sid, "offers"));
                app.store
                    .unsubscribe(*app.clock.lock().unwrap(), &tok)
                    .unwrap();
            }
            _ => {}
        }
    }
    let run = send_due(&app);
    let c = app
        .get(&format!("/v1/campaigns/{id}"), &app.admin)
        .await
        .body;
    assert_eq!(c["state"], "sent", "{c}");
    // The brute force: the audience at the start (opted in to e-mail, consenting,
    // not restricted, not objecting, holding "cloud"), then each one's state at sending.
    let planned: Vec<_> = ids
        .iter()
        .filter(|(_, _, s)| !matches!(*s, "restricted" | "objected" | "email-off" | "no-cloud"))
        .collect();
    assert_eq!(started.planned as usize, planned.len());
    assert_eq!(c["planned"], planned.len());
    let count = |s: &str| planned.iter().filter(|(_, _, st)| *st == s).count();
    assert_eq!(c["sent"], count("fine"));
    assert_eq!(c["skipped"]["cap"], count("cap"));
    assert_eq!(c["skipped"]["consent_withdrawn"], count("withdrawn"));
    assert_eq!(c["skipped"]["opted_out"], count("left"));
    assert_eq!(c["skipped"]["unverified"], 0);
    assert_eq!(c["failed"], 0);
    assert_eq!(run.sent, count("fine"));
    // Each message is a delivery in the decision log, with its reasons, and uses the cap.
    let (fine, token, _) = ids.iter().find(|(_, _, s)| *s == "fine").unwrap();
    let export = app.get("/v1/me/export", token).await.body;
    let sent: Vec<&Value> = export["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"] == "sent")
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["campaign"], id);
    assert_eq!(sent[0]["reasons"]["consent"]["purpose"], "offers");
    let d = app
        .post(
            "/v1/decisions",
            &app.admin,
            json!({"subject": fine, "channel": "email", "limit": 1}),
        )
        .await
        .body;
    assert_eq!(
        d["limited_by"], "weekly_cap_reached",
        "the campaign's message counts: {d}"
    );
    // The messages are in the file outbox the demo and the tests read.
    let files = std::fs::read_dir(app.dir.path().join("outbox"))
        .unwrap()
        .count();
    assert_eq!(files, count("fine"));
    // A second run sends nothing more.
    assert_eq!(send_due(&app).sent, 0);
}

#[tokio::test]
async fn an_offer_deleted_or_ended_before_sending_is_not_sent() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    newsletter(&app).await;
    let now = *app.clock.lock().unwrap();
    let until = (now + Duration::hours(1)).to_rfc3339();
    let r = app
        .put(
            "/v1/offers/flash",
            &app.admin,
            json!({"title": {"en": "Flash sale"}, "body": {"en": "Today only."}, "purpose": "offers",
                   "condition": {}, "channels": ["email"], "valid_until": until}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    for n in 0..2 {
        reachable_subject(&app, &format!("ended{n}@example.com"), 5).await;
    }
    let deleted = campaign(&app, json!({})).await;
    let r = app
        .post(
            "/v1/campaigns",
            &app.admin,
            json!({"offer": "flash", "audience": {"purpose": "offers", "channel": "email"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let ended = r.body["id"].as_str().unwrap().to_owned();
    // Both are planned; then one offer is deleted and the other's validity ends.
    while app.store.start_due_campaign(now).unwrap().is_some() {}
    let r = app
        .call(
            Method::DELETE,
            "/v1/offers/newsletter",
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    *app.clock.lock().unwrap() = now + Duration::hours(2);
    assert_eq!(send_due(&app).sent, 0);
    for id in [deleted, ended] {
        let c = app
            .get(&format!("/v1/campaigns/{id}"), &app.admin)
            .await
            .body;
        assert_eq!(c["planned"], 2, "{c}");
        assert_eq!(c["skipped"]["offer_ended"], 2, "{c}");
        assert_eq!(c["skipped"]["consent_withdrawn"], 0, "{c}");
        assert_eq!(
            (c["sent"].clone(), c["state"].clone()),
            (json!(0), json!("sent")),
            "{c}"
        );
    }
    assert!(
        !app.dir.path().join("outbox").exists()
            || std::fs::read_dir(app.dir.path().join("outbox"))
                .unwrap()
                .count()
                == 0
    );
}

#[tokio::test]
async fn a_campaign_over_smtp_is_unsubscribed_in_one_click() {
    let (inbox, port) = smtp_server();
    let Some(app) = TestApp::start_with(|c| {
        c.mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        c.public_url = Some("https://kerro.example".into());
    }) else {
        return;
    };
    app.schema().await;
    newsletter(&app).await;
    let (id, token) = reachable_subject(&app, "reader@example.com", 3).await;
    let before = app.get("/v1/me", &token).await.body;
    assert_eq!(before["contact"]["unsubscribed"], json!({}));
    let cid = campaign(&app, json!({"interests": {"$in": ["cloud"]}})).await;
    assert_eq!(send_due(&app).sent, 1);
    let raw = inbox
        .got
        .lock()
        .unwrap()
        .pop()
        .expect("the SMTP server received the message");
    let mail = mailparse::parse_mail(&raw).unwrap();
    use mailparse::MailHeaderMap;
    assert_eq!(
        mail.headers.get_first_value("To").unwrap(),
        "reader@example.com"
    );
    // The subject was created with locale fi: the message is in Finnish.
    assert_eq!(
        mail.headers.get_first_value("Subject").unwrap(),
        "Tietoturvakirje"
    );
    assert_eq!(
        mail.headers
            .get_first_value("List-Unsubscribe-Post")
            .unwrap(),
        "List-Unsubscribe=One-Click"
    );
    let list = mail.headers.get_first_value("List-Unsubscribe").unwrap();
    let url = list.trim_start_matches('<').trim_end_matches('>');
    let path = url
        .strip_prefix("https://kerro.example")
        .expect("an absolute link to kerro");
    assert!(path.starts_with("/u/"), "{url}");
    let body = mail.get_body().unwrap();
    assert!(
        body.contains(url),
        "a visible one-step link in the body: {body}"
    );
    assert!(
        body.contains("https://kerro.example/me"),
        "a link to the preference centre"
    );
    assert!(
        body.contains("Interests: Cloud, OT"),
        "why, from their own answers: {body}"
    );
    // A mail scanner's GET changes nothing, and shows the page in the subject's language.
    let fp = app.fingerprint();
    let page = get(&app, path, "").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("Lopeta nämä sähköpostit"),
        "{}",
        page.text
    );
    assert_eq!(app.fingerprint(), fp);
    // The mail client's one-click POST (multipart/form-data, as RFC 8058 prefers), no cookie.
    let boundary = "kerro-test-boundary";
    let form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--{boundary}--\r\n"
    );
    let req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(form))
        .unwrap();
    let resp = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let text = String::from_utf8(
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    assert!(text.contains("emme enää lähetä"), "{text}");
    let me = app.get("/v1/me", &token).await.body;
    assert_eq!(
        me["contact"]["unsubscribed"]["email"],
        json!(["offers"]),
        "{}",
        me["contact"]
    );
    assert_eq!(
        me["contact"]["channels"]["email"], true,
        "e-mail stays on for other purposes"
    );
    // The ledger holds the unsubscribe as an event about e-mail for the purpose; the chain holds.
    let export = app.get("/v1/me/export", &token).await.body;
    let event = export["consent_events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["channel"] == "email")
        .expect("the unsubscribe in the ledger")
        .clone();
    assert_eq!(
        (event["purpose"].as_str(), event["method"].as_str()),
        (Some("offers"), Some("unsubscribe_link"))
    );
    assert!(app.store.verify_ledger().unwrap().is_ok());
    // The purpose's consent is unchanged: the subject left a channel, not the purpose.
    let consent = me["consents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["purpose"] == "offers")
        .unwrap()
        .clone();
    assert_eq!(consent["state"], "given", "{consent}");
    // The audit log and the outbox have it.
    let events = app.store.outbox_since(0, 10_000).unwrap();
    assert_eq!(
        events.iter().filter(|e| e.kind == "unsubscribed").count(),
        1
    );
    // Again: nothing more happens, the page says so.
    let again = send(
        &app,
        Method::POST,
        path,
        "",
        &[],
        &[("List-Unsubscribe", "One-Click")],
    )
    .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(
        app.store
            .outbox_since(0, 10_000)
            .unwrap()
            .iter()
            .filter(|e| e.kind == "unsubscribed")
            .count(),
        1
    );
    // A POST without the one-click body changes nothing.
    let fp = app.fingerprint();
    let bad = send(&app, Method::POST, path, "", &[], &[("other", "x")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.fingerprint(), fp);
    // The next campaign leaves the subject out: the audience no longer reaches them.
    app.advance(Duration::days(8));
    let _ = cid;
    let next = campaign(&app, json!({})).await;
    send_due(&app);
    let c = app
        .get(&format!("/v1/campaigns/{next}"), &app.admin)
        .await
        .body;
    assert_eq!(
        (c["planned"].as_u64(), c["sent"].as_u64()),
        (Some(0), Some(0)),
        "{c}"
    );
    assert!(inbox.got.lock().unwrap().is_empty());
    // A forged token: the neutral page, 404, nothing changed.
    let forged = format!("{}x", &path[..path.len() - 1]);
    let page = get(&app, &forged, "").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    // Erased: the link gives a neutral page and changes nothing.
    let token = app.subject_token(&id).await;
    let r = app.call(Method::DELETE, "/v1/me", Some(&token), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let page = get(&app, path, "").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.text.contains("name=\"token\""),
        "no button for an erased subject"
    );
    let fp = app.fingerprint();
    let gone = send(
        &app,
        Method::POST,
        path,
        "",
        &[],
        &[("List-Unsubscribe", "One-Click")],
    )
    .await;
    assert_eq!(gone.status, StatusCode::OK);
    assert_eq!(app.fingerprint(), fp);
}

/// The campaign send rate, measured (not a check: `cargo test --release -p kerro
/// --test it campaign_send_rate -- --ignored --nocapture`): 1,000 recipients,
/// the pace set out of the way, to the file outbox and to a local SMTP server.
#[tokio::test]
#[ignore]
async fn campaign_send_rate() {
    for smtp in [false, true] {
        let (_inbox, port) = smtp_server();
        let Some(app) = TestApp::start_with(|c| {
            c.campaigns.messages_per_second = 10_000;
            if smtp {
                c.mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
            }
        }) else {
            return;
        };
        app.schema().await;
        newsletter(&app).await;
        for n in 0..1000 {
            reachable_subject(&app, &format!("rate{n}@example.com"), 5).await;
        }
        campaign(&app, json!({})).await;
        let t = std::time::Instant::now();
        let run = send_due(&app);
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(run.sent, 1000);
        println!(
            "campaign to {} ({}): {} messages in {secs:.2} s = {:.0} messages/s",
            if smtp {
                "SMTP (mailin, local)"
            } else {
                "the file outbox"
            },
            if smtp {
                "lettre's connection pool"
            } else {
                "one file per message"
            },
            run.sent,
            run.sent as f64 / secs
        );
    }
}
