//! The one-click unsubscribe's page and its forgeries: the page's button
//! needs its CSRF token, turning e-mail off and on is a fresh opt-in, and a
//! link not signed by this installation, for this purpose, changes nothing.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::common::TestApp;
use crate::messages::{newsletter, reachable_subject};
use crate::pages::{get, send};

/// The unsubscribe link of subject `id`'s e-mail for `purpose`.
pub fn email_link(id: &str, purpose: &str) -> kerro_store::UnsubscribeLink {
    kerro_store::UnsubscribeLink {
        subject: kerro_core::SubjectId::parse(id).unwrap(),
        channel: kerro_core::contact::Channel::Email,
        purpose: kerro_core::PurposeKey::parse("p", purpose).unwrap(),
    }
}

#[tokio::test]
async fn the_pages_button_unsubscribes_with_its_csrf_token() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    newsletter(&app).await;
    let (id, token) = reachable_subject(&app, "button@example.com", 3).await;
    let tok = app.store.unsubscribe_token(&email_link(&id, "offers"));
    let page = get(&app, &format!("/u/{tok}"), "").await;
    assert_eq!(page.status, StatusCode::OK);
    let cookie = page
        .cookie("kerro_csrf")
        .map(|c| format!("kerro_csrf={c}"))
        .unwrap_or_default();
    // Without the page's CSRF token nothing happens.
    let fp = app.fingerprint();
    let bad = send(
        &app,
        Method::POST,
        "/u",
        &cookie,
        &[],
        &[("token", tok.as_str())],
    )
    .await;
    assert_eq!(bad.status, StatusCode::FORBIDDEN);
    assert_eq!(app.fingerprint(), fp);
    let csrf = page.csrf();
    let done = send(
        &app,
        Method::POST,
        "/u",
        &cookie,
        &[],
        &[("csrf", csrf.as_str()), ("token", tok.as_str())],
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    let me = app.get("/v1/me", &token).await.body;
    assert_eq!(me["contact"]["unsubscribed"]["email"], json!(["offers"]));
    // Turning e-mail off and on again in the preference centre is a fresh opt-in to it.
    app.put("/v1/me/contact", &token, json!({"channels": {"web": true}}))
        .await;
    let me = app.get("/v1/me", &token).await.body;
    assert_eq!(
        me["contact"]["unsubscribed"]["email"],
        json!(["offers"]),
        "off keeps the record"
    );
    app.put(
        "/v1/me/contact",
        &token,
        json!({"channels": {"web": true, "email": true}}),
    )
    .await;
    let me = app.get("/v1/me", &token).await.body;
    assert_eq!(
        me["contact"]["unsubscribed"],
        json!({}),
        "{}",
        me["contact"]
    );
}

#[tokio::test]
async fn unsubscribe_links_that_are_not_ours_change_nothing() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (id, _) = reachable_subject(&app, "hostile@example.com", 3).await;
    let link = email_link(&id, "offers");
    let good = app.store.unsubscribe_token(&link);
    let (payload, tag) = good.split_once('.').unwrap();
    // The same link signed by another installation's key.
    let other = TestApp::new();
    let foreign = other.store.unsubscribe_token(&link);
    // Another purpose's payload with this link's tag.
    let events = app.store.unsubscribe_token(&email_link(&id, "events"));
    let swapped = format!("{}.{tag}", events.split_once('.').unwrap().0);
    let long = "A".repeat(5000);
    let tokens = [
        "garbage".to_owned(),
        format!("{payload}."),
        format!(".{tag}"),
        format!("{payload}.{tag}x"),
        swapped,
        foreign,
        long,
        "..%2F..%2Fetc%2Fpasswd".to_owned(),
        "%00".to_owned(),
    ];
    let page = get(&app, &format!("/u/{good}"), "").await;
    let cookie = page
        .cookie("kerro_csrf")
        .map(|c| format!("kerro_csrf={c}"))
        .unwrap_or_default();
    let csrf = page.csrf();
    let before = app.fingerprint();
    for t in &tokens {
        let path = format!("/u/{t}");
        let g = get(&app, &path, "").await;
        assert_eq!(g.status, StatusCode::NOT_FOUND, "GET {path}");
        assert!(!g.text.contains("name=\"token\""), "no button for {path}");
        let p = send(
            &app,
            Method::POST,
            &path,
            "",
            &[],
            &[("List-Unsubscribe", "One-Click")],
        )
        .await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "POST {path}");
        let b = send(
            &app,
            Method::POST,
            "/u",
            &cookie,
            &[],
            &[("csrf", csrf.as_str()), ("token", t.as_str())],
        )
        .await;
        assert_eq!(b.status, StatusCode::NOT_FOUND, "POST /u {t}");
    }
    assert_eq!(app.fingerprint(), before);
    // The good link still works after all that.
    let ok = send(
        &app,
        Method::POST,
        &format!("/u/{good}"),
        "",
        &[],
        &[("List-Unsubscribe", "One-Click")],
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_ne!(app.fingerprint(), before);
}
