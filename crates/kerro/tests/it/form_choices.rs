//! P26: a purpose a signed-in customer said no to is not offered again on a
//! later visit to a form, unless the customer asks for it there.

use axum::http::{Method, StatusCode};

use crate::common::TestApp;
use crate::pages::{get, send, session_for, Page};

fn events_states(app: &TestApp, id: &str) -> Vec<String> {
    app.sql()
        .query_map(
            "SELECT state FROM consent_events WHERE subject_id = ?1 AND purpose = 'events' ORDER BY seq",
            [id],
            |r| r.get::<_, String>(0),
        )
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

async fn post(app: &TestApp, cookie: &str, page: &Page, extra: &[(&str, &str)]) -> Page {
    let (csrf, token, version) = (
        page.csrf(),
        page.hidden("form_token"),
        page.hidden("notice_version"),
    );
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("form_token", token.as_str()),
        ("notice_version", version.as_str()),
        ("a.size", "small"),
    ];
    form.extend_from_slice(extra);
    send(app, Method::POST, "/f/survey", cookie, &[], &form).await
}

#[tokio::test]
async fn a_declined_purpose_is_offered_again_only_when_asked() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    // Gave offers and refused events on the survey.
    let (id, _) = app.answered_subject("no-thanks@example.fi").await;
    assert_eq!(events_states(&app, &id), ["refused"]);
    let cookie = session_for(&app, &id);

    let page = get(&app, "/f/survey?lang=en", &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text.contains("name=\"c.events\""), "offered again");
    assert!(!page.text.contains("name=\"c.offers\""), "given already");
    assert!(
        page.text.contains("You said no to this on"),
        "{}",
        page.text
    );
    assert!(page
        .text
        .contains("href=\"/f/survey?ask=events#purpose-events\""));
    // Nothing left to choose: one plain send button, no refuse-all.
    assert!(!page.text.contains("value=\"decline\""));

    // Neither refusing everything nor a forged tick changes what was declined.
    let r = post(&app, &cookie, &page, &[("decision", "decline")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = get(&app, "/f/survey?lang=en", &cookie).await;
    let r = post(
        &app,
        &cookie,
        &page,
        &[("c.events", "yes"), ("decision", "accept")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(events_states(&app, &id), ["refused"]);

    // Asked for, it is an unticked choice again, and the tick is a grant.
    let asked = get(&app, "/f/survey?lang=en&ask=events", &cookie).await;
    assert!(asked.text.contains("name=\"c.events\""), "{}", asked.text);
    assert!(!asked
        .text
        .contains("name=\"c.events\" value=\"yes\" checked"));
    assert_eq!(asked.hidden("ask"), "events");
    assert!(asked.text.contains("value=\"decline\""));
    let r = post(
        &app,
        &cookie,
        &asked,
        &[
            ("ask", "events"),
            ("c.events", "yes"),
            ("decision", "accept"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(events_states(&app, &id), ["refused", "given"]);

    // An `ask` naming a purpose not declined, or not on the form, or not a key, offers nothing more.
    let page = get(&app, "/f/survey?lang=en&ask=offers,nope,%3Cb%3E", &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text.contains("name=\"c.offers\""));
    assert!(!page.text.contains("name=\"ask\""));

    // A visitor who is not signed in is asked everything, as before.
    let anonymous = get(&app, "/f/survey?lang=en", "").await;
    assert!(anonymous.text.contains("name=\"c.events\""));
    assert!(anonymous.text.contains("name=\"c.offers\""));
}
