//! Double opt-in of e-mail addresses (issue 14, item 4): an address typed
//! into an anonymous form waits for its owner to follow the link mailed to
//! it; until then no decision or audience uses it by e-mail. Opening the link
//! changes nothing; the button confirms, once, with evidence in the consent
//! ledger. Staff-given addresses are the company's own records unless marked
//! otherwise; a changed address is used only once confirmed.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use kerro_core::contact::{ContactPrefs, EmailStatus};
use kerro_core::{Actor, SubjectId};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::common::TestApp;
use crate::pages::{get, send, session_for, Page};

/// The messages in the mail outbox, oldest first, quoted-printable soft breaks undone.
pub fn mails(app: &TestApp) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(app.dir.path().join("outbox"))
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort_by_key(|f| std::fs::metadata(f).and_then(|m| m.modified()).ok());
    files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .map(|m| {
            m.replace("=\r\n", "")
                .replace("=\n", "")
                .replace("=3D", "=")
        })
        .collect()
}

/// The confirmation links mailed to `to` so far, oldest first.
pub fn confirm_links(app: &TestApp, to: &str) -> Vec<String> {
    let marker = "/confirm-email/kec_";
    mails(app)
        .iter()
        .filter(|m| m.contains(&format!("To: {to}")))
        .flat_map(|m| {
            m.match_indices(marker)
                .map(|(at, _)| m[at + 15..at + 15 + 47].to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Waits (up to 10 s, for the mail thread) until `n` links went to `to`.
pub fn wait_links(app: &TestApp, to: &str, n: usize) -> Vec<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let links = confirm_links(app, to);
        if links.len() >= n || std::time::Instant::now() > deadline {
            return links;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Answers the survey anonymously, as a browser does, giving `email`.
async fn answer_form(app: &TestApp, email: &str, lang: &str) -> Page {
    let form = get(app, &format!("/f/survey?embed=1&lang={lang}"), "").await;
    let token = form.hidden("form_token");
    let version = form.hidden("notice_version");
    let posted = send(
        app,
        Method::POST,
        &format!("/f/survey?embed=1&lang={lang}"),
        "",
        &[],
        &[
            ("form_token", &token),
            ("notice_version", &version),
            ("email", email),
            ("a.interests", "cloud"),
            ("c.offers", "yes"),
        ],
    )
    .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.text);
    posted
}

fn only_subject(app: &TestApp, email: &str) -> SubjectId {
    let found = app.store.find_by_email(email).unwrap();
    assert_eq!(found.len(), 1, "{email}: {found:?}");
    found[0].clone()
}

async fn offer_on_email_and_web(app: &TestApp) {
    let r = app
        .put(
            "/v1/offers/hello",
            &app.admin,
            json!({"title": {"en": "Hello"}, "body": {"en": "b"}, "purpose": "offers",
                   "channels": ["email", "web"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

fn opt_in(app: &TestApp, id: &SubjectId) {
    let now = *app.clock.lock().unwrap();
    let prefs: ContactPrefs =
        serde_json::from_value(json!({"channels": {"email": true, "web": true}})).unwrap();
    app.store
        .set_contact(&Actor::Subject(id.clone()), now, id, prefs)
        .unwrap();
}

async fn decide(app: &TestApp, id: &SubjectId, channel: &str) -> Value {
    let r = app
        .post(
            "/v1/decisions",
            &app.admin,
            // A dry run: nothing reaches the decision log, which is written in batches.
            json!({"subject": id.as_str(), "channel": channel, "limit": 5, "dry_run": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

async fn audience(app: &TestApp, channel: &str) -> u64 {
    let r = app
        .post(
            "/v1/audiences/count",
            &app.admin,
            json!({"purpose": "offers", "channel": channel, "condition": {}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["count"].as_u64().unwrap()
}

/// The confirmation page of `link` and the CSRF cookie and token to press its button.
async fn open_link(app: &TestApp, link: &str) -> (Page, String, String) {
    let page = get(app, &format!("/confirm-email/{link}"), "").await;
    let cookie = page
        .cookie("kerro_csrf")
        .map(|c| format!("kerro_csrf={c}"))
        .unwrap_or_default();
    let csrf = page.csrf();
    (page, cookie, csrf)
}

async fn press(app: &TestApp, link: &str, cookie: &str, csrf: &str) -> Page {
    send(
        app,
        Method::POST,
        "/confirm-email",
        cookie,
        &[],
        &[("csrf", csrf), ("secret", link)],
    )
    .await
}

/// `GET /v1/subjects/{id}` as the admin, with a reason.
async fn staff_read(app: &TestApp, id: &SubjectId) -> crate::common::Resp {
    app.request(
        Method::GET,
        &format!("/v1/subjects/{id}"),
        Some(&app.admin),
        &[("kerro-access-reason", "testing the opt-in")],
        Vec::new(),
    )
    .await
}

fn can_sign_in(app: &TestApp, email: &str) -> Option<SubjectId> {
    let now = *app.clock.lock().unwrap();
    app.store
        .issue_login_link_for_email(
            &Actor::System("test".into()),
            now,
            email,
            Duration::minutes(5),
        )
        .unwrap()
        .map(|l| l.subject)
}

#[tokio::test]
async fn optin_a_form_address_waits_for_its_link_and_the_button_confirms_it() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    offer_on_email_and_web(&app).await;
    let before_form = app.store.verify_ledger().unwrap().unwrap();
    let posted = answer_form(&app, "anna@example.fi", "sv").await;
    let thanks = get(&app, posted.location(), "").await;
    assert!(thanks.text.contains("Kolla din e-post"), "{}", thanks.text);
    let id = only_subject(&app, "anna@example.fi");
    opt_in(&app, &id);

    // Pending: no e-mail decision, no e-mail audience, no sign-in mail; the web still works.
    assert_eq!(app.store.profile(&id).unwrap().email, EmailStatus::Pending);
    let d = decide(&app, &id, "email").await;
    assert_eq!(d["offers"], json!([]), "{d}");
    assert_eq!(d["limited_by"], "email_unverified", "{d}");
    assert_eq!(decide(&app, &id, "web").await["offers"][0]["key"], "hello");
    assert_eq!(audience(&app, "email").await, 0);
    assert_eq!(audience(&app, "web").await, 1);
    assert_eq!(can_sign_in(&app, "anna@example.fi"), None);

    // One message, in the form's language, with one link; nothing else went to the address.
    let links = wait_links(&app, "anna@example.fi", 1);
    assert_eq!(links.len(), 1, "{:?}", mails(&app));
    let mail = mails(&app).remove(0);
    assert!(
        mail.contains("Subject: =?utf-8?") || mail.contains("Bekr"),
        "{mail}"
    );
    assert!(
        mail.contains("Öppna länken") || mail.contains("=C3=96ppna"),
        "{mail}"
    );
    assert_eq!(mails(&app).len(), 1);
    let link = links[0].clone();

    // Opening the link (as a mail scanner does) changes nothing.
    let before = app.fingerprint();
    let (page, cookie, csrf) = open_link(&app, &link).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("<html lang=\"sv\""), "{}", page.text);
    assert!(page.text.contains("action=\"/confirm-email\""));
    assert!(page.text.contains(&link), "the secret in the hidden field");
    for _ in 0..3 {
        get(&app, &format!("/confirm-email/{link}"), "").await;
    }
    assert_eq!(app.fingerprint(), before, "GET wrote something");
    assert_eq!(app.store.profile(&id).unwrap().email, EmailStatus::Pending);

    // The button confirms.
    let done = press(&app, &link, &cookie, &csrf).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert!(done.text.contains("Adressen är bekräftad"), "{}", done.text);
    assert_eq!(app.store.profile(&id).unwrap().email, EmailStatus::Verified);
    assert_eq!(
        decide(&app, &id, "email").await["offers"][0]["key"],
        "hello"
    );
    assert_eq!(audience(&app, "email").await, 1);
    assert_eq!(can_sign_in(&app, "anna@example.fi"), Some(id.clone()));

    // The evidence: one ledger event of its own kind, with the notice and the link's hash,
    // kept out of the consents; the chain still verifies.
    let token = app.subject_token(id.as_str()).await;
    let me = app.get("/v1/me", &token).await.body;
    assert_eq!(me["subject"]["email"], "anna@example.fi");
    assert_eq!(me["subject"]["email_status"], "verified");
    assert_eq!(me["subject"]["email_source"], "form:survey");
    assert!(me["subject"]["email_verified_at"].is_string());
    assert!(me["consents"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["purpose"] != "email-confirmation"));
    let export = app.get("/v1/me/export", &token).await.body;
    let evidence = &export["email_confirmations"];
    assert_eq!(evidence.as_array().unwrap().len(), 1, "{export}");
    let hash = hex::encode(Sha256::digest(link.as_bytes()));
    assert_eq!(evidence[0]["evidence"], format!("link_sha256:{hash}"));
    assert_eq!(evidence[0]["notice"]["form"], "survey");
    assert_eq!(evidence[0]["notice"]["version"], 1);
    assert!(!export["consent_events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["method"] == "email_confirmation"));
    let row: (String, String, String) = app
        .sql()
        .query_row(
            "SELECT purpose, method, evidence FROM consent_events ORDER BY seq DESC LIMIT 1",
            (),
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        row,
        (
            "email-confirmation".into(),
            "email_confirmation".into(),
            format!("link_sha256:{hash}")
        )
    );
    let after = app.store.verify_ledger().unwrap().unwrap();
    assert_eq!(
        after,
        before_form + 2,
        "the form's consent and the confirmation"
    );
    let report = app
        .store
        .verify_chain(kerro_store::Chain::Ledger, &[])
        .unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let actions: Vec<&str> = export["access_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in ["email_confirmation_issued", "email_confirmed"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }

    // The link works once: a replayed button gets the neutral page and changes nothing.
    let before = app.fingerprint();
    let again = press(&app, &link, &cookie, &csrf).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "{}", again.text);
    assert_eq!(
        get(&app, &format!("/confirm-email/{link}"), "")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.fingerprint(), before);
}

#[tokio::test]
async fn optin_bad_links_get_one_neutral_page_and_change_nothing() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    answer_form(&app, "late@example.fi", "en").await;
    answer_form(&app, "erased@example.fi", "en").await;
    let late = wait_links(&app, "late@example.fi", 1).remove(0);
    let erased = wait_links(&app, "erased@example.fi", 1).remove(0);
    // Both pages open while the links are live.
    let (_, cookie, csrf) = open_link(&app, &late).await;
    let now = *app.clock.lock().unwrap();
    let gone = only_subject(&app, "erased@example.fi");
    app.store
        .erase(&Actor::Subject(gone.clone()), now, &gone)
        .unwrap();
    let unknown = format!("kec_{}", "A".repeat(43));
    app.advance(Duration::days(7) + Duration::seconds(1));
    let before = app.fingerprint();
    let neutral = |p: &Page| {
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{}", p.text);
        let said = ["Nothing was changed", "Mitään ei muutettu"];
        assert!(said.iter().any(|t| p.text.contains(t)), "{}", p.text);
        assert!(!p.text.contains("action=\"/confirm-email\""));
    };
    for secret in [
        late.as_str(),
        erased.as_str(),
        unknown.as_str(),
        "kec_short",
        "..%2Fme",
    ] {
        neutral(&get(&app, &format!("/confirm-email/{secret}?lang=en"), "").await);
        neutral(&press(&app, secret, &cookie, &csrf).await);
    }
    // The same answer for a link that expired and one that never existed.
    let a = get(&app, &format!("/confirm-email/{late}?lang=en"), "").await;
    let b = get(&app, &format!("/confirm-email/{unknown}?lang=en"), "").await;
    assert_eq!(a.text, b.text);
    // Without the CSRF token the button does nothing.
    let forged = send(
        &app,
        Method::POST,
        "/confirm-email",
        "",
        &[],
        &[("secret", &late)],
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(app.fingerprint(), before, "a bad link changed something");
    let id = only_subject(&app, "late@example.fi");
    assert_eq!(app.store.profile(&id).unwrap().email, EmailStatus::Pending);
}

#[tokio::test]
async fn optin_one_link_per_address_per_ten_minutes() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    // Someone types another person's address into the form again and again.
    for _ in 0..4 {
        answer_form(&app, "victim@example.fi", "fi").await;
    }
    assert_eq!(wait_links(&app, "victim@example.fi", 1).len(), 1);
    app.advance(Duration::minutes(11));
    answer_form(&app, "victim@example.fi", "fi").await;
    assert_eq!(wait_links(&app, "victim@example.fi", 2).len(), 2);
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(mails(&app).len(), 2, "nothing else went to the address");
}

#[tokio::test]
async fn optin_staff_addresses_are_the_company_records_unless_marked_unverified() {
    let Some(app) = TestApp::start() else { return };
    let r = app
        .post(
            "/v1/subjects",
            &app.admin,
            json!({"email": "crm@example.fi"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let crm = SubjectId::parse(r.body["id"].as_str().unwrap()).unwrap();
    assert_eq!(
        app.store.profile(&crm).unwrap().email,
        EmailStatus::Verified
    );
    let got = staff_read(&app, &crm).await;
    assert_eq!(
        got.body["subject"]["email_status"], "verified",
        "{}",
        got.body
    );
    let source = got.body["subject"]["email_source"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(source.starts_with("staff:admin:"), "{source}");

    let r = app
        .post(
            "/v1/subjects",
            &app.admin,
            json!({"email": "maybe@example.fi", "email_verified": false, "locale": "fi"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let maybe = SubjectId::parse(r.body["id"].as_str().unwrap()).unwrap();
    assert_eq!(
        app.store.profile(&maybe).unwrap().email,
        EmailStatus::Pending
    );
    let got = staff_read(&app, &maybe).await;
    assert_eq!(got.body["subject"]["email"], Value::Null);
    assert_eq!(got.body["subject"]["email_pending"], "maybe@example.fi");
    assert_eq!(got.body["subject"]["email_status"], "pending");
    let link = wait_links(&app, "maybe@example.fi", 1).remove(0);
    assert!(
        mails(&app).iter().any(|m| m.contains("Vahvista")),
        "in Finnish"
    );
    let now = *app.clock.lock().unwrap();
    let done = app.store.confirm_email(now, &link).unwrap();
    assert!(
        matches!(done, kerro_store::Confirmed::Done { .. }),
        "{done:?}"
    );
    let got = staff_read(&app, &maybe).await;
    assert_eq!(got.body["subject"]["email"], "maybe@example.fi");
    assert_eq!(
        got.body["subject"]["email_source"], source,
        "the staff actor stays the source"
    );
    // `email_verified` is a boolean.
    let bad = app
        .post(
            "/v1/subjects",
            &app.admin,
            json!({"email": "x@example.fi", "email_verified": "no"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
}

#[tokio::test]
async fn optin_a_changed_address_is_used_only_once_confirmed() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (id, token) = app.answered_subject("old@example.fi").await;
    let id = SubjectId::parse(&id).unwrap();
    let r = app
        .put("/v1/me/email", &token, json!({"email": "New@Example.fi"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body,
        json!({"status": "verified", "email": "old@example.fi", "pending": "New@example.fi"})
    );
    // The old address stays in use: sign-in, decisions, the preference centre.
    assert_eq!(app.store.profile(&id).unwrap().email, EmailStatus::Verified);
    assert_eq!(can_sign_in(&app, "old@example.fi"), Some(id.clone()));
    assert_eq!(can_sign_in(&app, "new@example.fi"), None);
    let cookie = session_for(&app, id.as_str());
    let page = get(&app, "/me/email?lang=en", &cookie).await;
    assert!(page.text.contains("old@example.fi") && page.text.contains("New@example.fi"));
    let me = app.get("/v1/me", &token).await.body;
    assert_eq!(me["subject"]["email_pending"], "New@example.fi");

    // The preference centre's page changes it again; the newest address gets its own link.
    let csrf = page.csrf();
    let saved = send(
        &app,
        Method::POST,
        "/me/email",
        &cookie,
        &[],
        &[("csrf", &csrf), ("email", "newer@example.fi")],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    let bad = send(
        &app,
        Method::POST,
        "/me/email",
        &cookie,
        &[],
        &[("csrf", &csrf), ("email", "not an address")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let first = wait_links(&app, "New@example.fi", 1).remove(0);
    let newer = wait_links(&app, "newer@example.fi", 1).remove(0);
    let now = *app.clock.lock().unwrap();
    assert_eq!(
        app.store.confirm_email(now, &first).unwrap(),
        kerro_store::Confirmed::Invalid,
        "a superseded address's link"
    );
    assert!(matches!(
        app.store.confirm_email(now, &newer).unwrap(),
        kerro_store::Confirmed::Done { .. }
    ));
    // Now the new address replaces the old one everywhere.
    let me = app.get("/v1/me", &token).await.body;
    assert_eq!(me["subject"]["email"], "newer@example.fi");
    assert_eq!(me["subject"]["email_pending"], Value::Null);
    assert_eq!(me["subject"]["email_source"], "subject");
    assert_eq!(can_sign_in(&app, "newer@example.fi"), Some(id.clone()));
    assert_eq!(can_sign_in(&app, "old@example.fi"), None);
    let export = app.get("/v1/me/export", &token).await.body;
    assert_eq!(export["email_confirmations"][0]["notice"], Value::Null);
    let changes = export["access_log"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "email_changed")
        .count();
    assert_eq!(changes, 2, "each change is audited");
    // Bad bodies are refused and change nothing.
    let before = app.fingerprint();
    for (body, status, field) in [
        (
            json!({"email": "nope"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "email",
        ),
        (
            json!({"email": "a@example.fi", "x": 1}),
            StatusCode::BAD_REQUEST,
            "",
        ),
        (json!({}), StatusCode::BAD_REQUEST, ""),
    ] {
        let r = app.put("/v1/me/email", &token, body).await;
        assert_eq!(r.status, status, "{}", r.body);
        if !field.is_empty() {
            assert_eq!(r.field(), field);
        }
    }
    assert_eq!(app.fingerprint(), before);
}
