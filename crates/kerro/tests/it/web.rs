//! The web pages through the router, in-process: forms of every attribute
//! kind, submission as the API records it, CSRF, languages, sign-in links,
//! sessions ended by erasure and the admin sign-in. Global Privacy Control
//! is `gpc.rs`'s.
//! The real-browser walk is in `browser.rs`.

use axum::http::{header, Method, StatusCode};
use chrono::Duration;
use kerro_core::{Actor, Role, SubjectId};
use serde_json::json;

use crate::common::TestApp;
use crate::pages::{get, mails_after_wait, send, session_for};

#[tokio::test]
async fn a_form_shows_every_kind_unticked_with_its_notice() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let p = get(&app, "/f/survey?lang=en", "").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.text.contains("<html lang=\"en\">"));
    for needle in [
        "type=\"checkbox\" id=\"q-interests-cloud\"",
        "<select id=\"q-size\"",
        "type=\"number\" id=\"q-employees\"",
        "<textarea id=\"q-diet\"",
        "<select id=\"q-attending\"",
        "type=\"date\" id=\"q-review\"",
        "id=\"c-offers\"",
        "id=\"c-events\"",
        "Tapahtuma Oy",
        "365 days",
        "id=\"accept\"",
        "id=\"decline\"",
        "href=\"/privacy?lang=en\"",
    ] {
        assert!(p.text.contains(needle), "missing {needle}");
    }
    assert!(!p.text.contains(" checked"), "nothing is pre-selected");
    assert!(!p.text.contains(" selected"), "nothing is pre-selected");
    // The contract purpose asks no consent.
    assert!(!p.text.contains("id=\"c-service\""));
    assert!(p.cookie("kerro_csrf").is_some());
    let csp = p
        .headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(csp.contains("frame-ancestors 'self'"), "{csp}");

    let missing = get(&app, "/f/nothing?lang=sv", "").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.text.contains("<html lang=\"sv\">"));
}

#[tokio::test]
async fn submitting_records_what_the_api_records_and_signs_in() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let p = get(&app, "/f/survey?lang=fi", "").await;
    let cookie = format!("kerro_csrf={}", p.cookie("kerro_csrf").unwrap());
    let before = app.fingerprint();
    let forged = send(
        &app,
        Method::POST,
        "/f/survey",
        &cookie,
        &[],
        &[
            ("csrf", "nope"),
            ("form_token", "1.x.nope"),
            ("a.size", "large"),
        ],
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.text.contains("<html lang=\"fi\">"));
    assert_eq!(app.fingerprint(), before, "a forged post changes nothing");

    let version = p.hidden("notice_version");
    // An invalid answer, and a date answer in any but the strict form (the same
    // check as the API's), change nothing.
    let mut bad = None;
    for (field, value) in [
        ("a.employees", "many"),
        ("a.review", "2027-1-31"),
        ("a.review", "+2027-01-31"),
        ("a.review", "-262143-01-01"),
        ("a.review", "2027-01-31T00:00:00Z"),
    ] {
        let page = send(
            &app,
            Method::POST,
            "/f/survey",
            &cookie,
            &[],
            &[
                ("csrf", &p.csrf()),
                ("form_token", &p.hidden("form_token")),
                ("notice_version", &version),
                (field, value),
            ],
        )
        .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{value}");
        assert!(page.text.contains("class=\"error\""), "{value}");
        assert_eq!(app.fingerprint(), before, "{value} changed state");
        bad = Some(page);
    }
    let bad = bad.unwrap();

    let ok = send(
        &app,
        Method::POST,
        "/f/survey",
        &cookie,
        &[],
        &[
            ("csrf", &p.csrf()),
            // The page with the mistake marked carries a token of its own; the first
            // one was not used up by a post that wrote nothing.
            ("form_token", &bad.hidden("form_token")),
            ("notice_version", &version),
            ("a.interests", "cloud"),
            ("a.interests", "ot"),
            ("a.size", "large"),
            ("a.employees", "120"),
            ("a.diet", "vegan"),
            ("c.offers", "yes"),
            ("decision", "accept"),
        ],
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    assert!(
        ok.location()
            .starts_with("/f/survey/thanks?given=offers&dropped=diet"),
        "{}",
        ok.location()
    );
    let session = ok.cookie("kerro_session").expect("signed in");
    let data = get(&app, "/me/data", &format!("kerro_session={session}")).await;
    let at = data.text.find("id=\"subject-id\">").unwrap() + 16;
    let id = &data.text[at..at + 30];
    let me = app
        .get(&format!("/v1/subjects/{id}"), &app.admin)
        .await
        .body;
    let attrs: Vec<&str> = me["declarations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["attribute"].as_str().unwrap())
        .collect();
    assert_eq!(attrs, ["employees", "interests", "size"]);
    assert_eq!(me["declarations"][0]["value"], json!(120));
    let consents: Vec<(&str, &str)> = me["consents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["purpose"].as_str().unwrap(), c["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        consents,
        [("offers", "given")],
        "an unticked purpose sends nothing"
    );
    assert_eq!(me["subject"]["locale"], "fi");

    let thanks = get(&app, ok.location(), &format!("kerro_session={session}")).await;
    assert!(
        thanks.text.contains("offers fi"),
        "what they get: {}",
        thanks.text
    );
}

#[tokio::test]
async fn declining_refuses_every_purpose_and_keeps_contract_answers() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let p = get(&app, "/f/survey?lang=en", "").await;
    let cookie = format!("kerro_csrf={}", p.cookie("kerro_csrf").unwrap());
    let ok = send(
        &app,
        Method::POST,
        "/f/survey",
        &cookie,
        &[],
        &[
            ("csrf", &p.csrf()),
            ("form_token", &p.hidden("form_token")),
            ("notice_version", &p.hidden("notice_version")),
            ("a.interests", "cloud"),
            ("a.size", "small"),
            ("c.offers", "yes"),
            ("decision", "decline"),
        ],
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert!(
        ok.location().contains("given=&dropped=interests"),
        "{}",
        ok.location()
    );
}

#[tokio::test]
async fn an_embedded_form_without_cookies_uses_the_form_token_and_does_not_sign_in() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let p = get(&app, "/f/survey?embed=1", "").await;
    assert!(!p.text.contains("class=\"me-nav\""));
    let ok = send(
        &app,
        Method::POST,
        "/f/survey?embed=1",
        "",
        &[],
        &[
            ("form_token", &p.hidden("form_token")),
            ("notice_version", &p.hidden("notice_version")),
            ("a.size", "small"),
            ("decision", "accept"),
        ],
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    assert!(ok.cookie("kerro_session").is_none());
    assert_eq!(app.store.subject_count().unwrap(), 1);
    // The thank-you page stays embedded, in the form's language, and sends the
    // visitor to sign in in the whole window (a frame keeps no session cookie).
    assert!(
        ok.location().contains("embed=1") && ok.location().contains("lang=fi"),
        "{}",
        ok.location()
    );
    let thanks = get(&app, ok.location(), "").await;
    assert!(thanks.text.contains("<body class=\"embed\">"));
    assert!(
        thanks
            .text
            .contains("href=\"/login?lang=fi\" target=\"_top\""),
        "{}",
        thanks.text
    );
    // A token for another form, or a stale one, is refused.
    let other = send(
        &app,
        Method::POST,
        "/f/survey",
        "",
        &[],
        &[("form_token", "1.abc.def"), ("a.size", "small")],
    )
    .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    app.advance(Duration::hours(5));
    let stale = send(
        &app,
        Method::POST,
        "/f/survey",
        "",
        &[],
        &[("form_token", &p.hidden("form_token")), ("a.size", "small")],
    )
    .await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn language_follows_switch_then_locale_then_accept_language() {
    let Some(app) = TestApp::start() else { return };
    let p = send(
        &app,
        Method::GET,
        "/",
        "",
        &[("accept-language", "de, sv;q=0.8, en;q=0.5")],
        &[],
    )
    .await;
    assert!(p.text.contains("<html lang=\"sv\">"));
    let p = get(&app, "/privacy?lang=en", "").await;
    assert!(p.text.contains("<html lang=\"en\">"));
    assert_eq!(p.cookie("kerro_lang").as_deref(), Some("en"));
    let p = send(
        &app,
        Method::GET,
        "/privacy",
        "kerro_lang=en",
        &[("accept-language", "sv")],
        &[],
    )
    .await;
    assert!(p.text.contains("<html lang=\"en\">"));
    // A signed-in subject's own locale (fi) beats the browser's header.
    let id = app.subject("kieli@example.fi").await;
    let cookie = session_for(&app, &id);
    let p = send(
        &app,
        Method::GET,
        "/me",
        &cookie,
        &[("accept-language", "en")],
        &[],
    )
    .await;
    assert!(p.text.contains("<html lang=\"fi\">"), "{}", &p.text[..200]);
}

#[tokio::test]
async fn sign_in_links_work_once_and_expire() {
    let Some(app) = TestApp::start() else { return };
    let id = SubjectId::parse(&app.subject("link@example.fi").await).unwrap();
    let now = *app.clock.lock().unwrap();
    let actor = Actor::System("test".into());
    let link = app
        .store
        .issue_login_link(&actor, now, &id, Duration::minutes(15))
        .unwrap();
    assert!(link.starts_with("kml_"));
    let (who, _) = app
        .store
        .sign_in_with_link(now, &link, Duration::minutes(60))
        .unwrap()
        .unwrap();
    assert_eq!(who, id);
    assert!(
        app.store
            .sign_in_with_link(now, &link, Duration::minutes(60))
            .unwrap()
            .is_none(),
        "single use"
    );
    let late = app
        .store
        .issue_login_link(&actor, now, &id, Duration::minutes(15))
        .unwrap();
    assert!(
        app.store
            .sign_in_with_link(now + Duration::minutes(16), &late, Duration::minutes(60))
            .unwrap()
            .is_none(),
        "expired"
    );

    // Through the pages: the confirm button needs the CSRF token.
    let fresh = app
        .store
        .issue_login_link(&actor, now, &id, Duration::minutes(15))
        .unwrap();
    let page = get(&app, &format!("/login/{fresh}"), "").await;
    assert_eq!(page.status, StatusCode::OK);
    let cookie = format!("kerro_csrf={}", page.cookie("kerro_csrf").unwrap());
    assert!(page.text.contains("action=\"/login/confirm\""));
    assert_eq!(page.hidden("secret"), fresh);
    let no = send(
        &app,
        Method::POST,
        "/login/confirm",
        &cookie,
        &[],
        &[("secret", &fresh)],
    )
    .await;
    assert_eq!(no.status, StatusCode::FORBIDDEN);
    let yes = send(
        &app,
        Method::POST,
        "/login/confirm",
        &cookie,
        &[],
        &[("csrf", &page.csrf()), ("secret", &fresh)],
    )
    .await;
    assert_eq!(yes.location(), "/me");
    let again = send(
        &app,
        Method::POST,
        "/login/confirm",
        &cookie,
        &[],
        &[("csrf", &page.csrf()), ("secret", &fresh)],
    )
    .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);

    // An unknown address gets the same answer and no mail.
    let login = get(&app, "/login", "").await;
    let cookie = format!("kerro_csrf={}", login.cookie("kerro_csrf").unwrap());
    let r = send(
        &app,
        Method::POST,
        "/login",
        &cookie,
        &[],
        &[("csrf", &login.csrf()), ("email", "nobody@example.fi")],
    )
    .await;
    assert_eq!(r.location(), "/login/sent");
    let r = send(
        &app,
        Method::POST,
        "/login",
        &cookie,
        &[],
        &[("csrf", &login.csrf()), ("email", "link@example.fi")],
    )
    .await;
    assert_eq!(r.location(), "/login/sent");
    // One thread sends in order, so once the known address's mail is there, the
    // unknown one was handled before it and sent nothing.
    assert_eq!(mails_after_wait(&app, 1), 1);
}

#[tokio::test]
async fn erasure_ends_sessions_and_withdrawal_is_one_request() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (id, _) = app.answered_subject("pois@example.fi").await;
    let cookie = session_for(&app, &id);
    let page = get(&app, "/me/consents", &cookie).await;
    assert!(page.text.contains("id=\"toggle-offers\""));
    let r = send(
        &app,
        Method::POST,
        "/me/consents/offers",
        &cookie,
        &[],
        &[("csrf", &page.csrf()), ("given", "false")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let me = app
        .get(&format!("/v1/subjects/{id}"), &app.admin)
        .await
        .body;
    let offers = me["consents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["purpose"] == "offers")
        .unwrap();
    assert_eq!(offers["state"], "withdrawn");

    // Another browser's token does not work for this session.
    let other = session_for(&app, &app.subject("toinen@example.fi").await);
    let other_page = get(&app, "/me/data", &other).await;
    let r = send(
        &app,
        Method::POST,
        "/me/delete",
        &cookie,
        &[],
        &[("csrf", &other_page.csrf())],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let r = send(
        &app,
        Method::POST,
        "/me/delete",
        &cookie,
        &[],
        &[("csrf", &page.csrf())],
    )
    .await;
    assert!(r.location().starts_with("/me/deleted?"), "{}", r.location());
    let after = get(&app, "/me", &cookie).await;
    assert_eq!(
        after.status,
        StatusCode::SEE_OTHER,
        "the session ended with the erasure"
    );
    assert!(after.location().starts_with("/login"));
    let conn = app.sql();
    let left: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM web_sessions WHERE subject_id = ?1",
            [&id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn admin_overview_needs_a_named_sign_in_with_a_second_factor() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    app.answered_subject("a@example.fi").await;
    let r = get(&app, "/admin", "").await;
    assert!(r.location().starts_with("/admin/login"));
    let admin = app.staff_person("boss@example.fi", Role::Admin);
    let login = get(&app, "/admin/login?lang=en", "").await;
    let cookie = format!("kerro_csrf={}", login.cookie("kerro_csrf").unwrap());
    let now = *app.clock.lock().unwrap();
    let post = |password: String, code: String| {
        let (cookie, csrf, email) = (cookie.clone(), login.csrf(), admin.email.clone());
        let app = &app;
        async move {
            send(
                app,
                Method::POST,
                "/admin/login",
                &cookie,
                &[],
                &[
                    ("csrf", &csrf),
                    ("email", &email),
                    ("password", &password),
                    ("code", &code),
                ],
            )
            .await
        }
    };
    // A staff token is no longer a way in; a right password without the code neither.
    let r = post(app.admin.clone(), String::new()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = post(admin.password.clone(), String::new()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    app.advance(Duration::seconds(30));
    let code =
        crate::common::totp_code(admin.totp.as_deref().unwrap(), now + Duration::seconds(30));
    let r = post(admin.password.clone(), code.clone()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let staff = r.cookie("kerro_staff").expect("a staff session");
    let set = r
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("kerro_staff="))
        .unwrap();
    for part in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/admin",
        "Max-Age=43200",
    ] {
        assert!(set.contains(part), "{set}");
    }
    // The same code does not work twice.
    let r = post(admin.password.clone(), code).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let page = get(&app, "/admin?lang=en", &format!("kerro_staff={staff}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.matches("<svg").count() >= 3, "charts");
    assert!(page
        .text
        .contains("Every attribute is asked by at least one form."));
    assert_eq!(app.store.audit_count("statistics_read", None).unwrap(), 1);
    // A service person signs in without a code but may not see the overview.
    let service = app.staff_person("crm@example.fi", Role::Service);
    assert!(service.totp.is_none());
    let page = get(&app, "/admin?lang=en", &service.cookie).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn why_these_offers_shows_each_offer_with_its_reasons() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    for (key, condition) in [
        ("cloud", json!({"interests": {"$in": ["cloud"]}})),
        ("training", json!({"interests": {"$in": ["training"]}})),
    ] {
        let r = app
            .put(
                &format!("/v1/offers/{key}"),
                &app.admin,
                json!({"title": {"en": format!("Offer {key}")}, "body": {"en": "b"}, "purpose": "offers", "condition": condition, "channels": ["web"]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let (id, token) = app.answered_subject("why@example.fi").await;
    let cookie = format!("{}; kerro_lang=en", session_for(&app, &id));
    let p = get(&app, "/me/offers", &cookie).await;
    assert!(
        p.text.contains("id=\"no-offers\""),
        "no channel allowed yet"
    );
    app.put("/v1/me/contact", &token, json!({"channels": {"web": true}}))
        .await;
    let p = get(&app, "/me/offers", &cookie).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.text.contains("Offer cloud"), "{}", p.text);
    assert!(!p.text.contains("Offer training"), "only matching offers");
    assert!(
        p.text.contains("Interests: Cloud, OT"),
        "the answer it used: {}",
        p.text
    );
    assert!(
        p.text.contains("Allowed by your consent to"),
        "and the consent that allowed it"
    );
    // A preview only: nothing was delivered or logged.
    let d = app
        .post(
            "/v1/decisions",
            &app.admin,
            json!({"subject": id, "channel": "web", "dry_run": true}),
        )
        .await;
    assert_eq!(d.body["offers"].as_array().unwrap().len(), 1);
    app.put("/v1/me/consents/offers", &token, json!({"given": false}))
        .await;
    let p = get(&app, "/me/offers", &cookie).await;
    assert!(
        !p.text.contains("Offer cloud"),
        "withdrawal takes the offer away at once"
    );
}
