//! Material notice changes (P7): `PUT /v1/forms/{key}` with
//! `"notice_change": "material"` flags the consents given under earlier
//! versions (`renewal_due` in `/v1/me`), the preference centre asks once for
//! their renewal, and granting again appends `renewed`.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::TestApp;
use crate::pages::{get, send, session_for};

fn survey(notice: &str, change: Option<&str>) -> Value {
    let mut body = json!({"title": {"en": "Survey"}, "notice": {"en": notice},
        "attributes": ["interests", "size", "employees", "diet", "attending", "review"],
        "purposes": ["offers", "events", "service"]});
    if let Some(c) = change {
        body["notice_change"] = json!(c);
    }
    body
}

/// `purpose`'s consent in `/v1/me`.
async fn consent(app: &TestApp, token: &str, purpose: &str) -> Value {
    let me = app.get("/v1/me", token).await.body;
    me["consents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["purpose"] == purpose)
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_material_change_flags_earlier_consents_and_renewing_appends_renewed() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (id, token) = app.answered_subject("renew@example.fi").await;
    assert_eq!(consent(&app, &token, "offers").await["renewal_due"], false);

    // An editorial change (the default) makes a new version and flags nothing.
    let r = app
        .put("/v1/forms/survey", &app.admin, survey("Reworded.", None))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(app.notice_version("survey").await, 2);
    let r = app
        .put(
            "/v1/forms/survey",
            &app.admin,
            survey("Reworded again.", Some("editorial")),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(consent(&app, &token, "offers").await["renewal_due"], false);

    // Anything but material or editorial is refused, names the field and changes nothing.
    let before = app.fingerprint();
    let r = app
        .put(
            "/v1/forms/survey",
            &app.admin,
            survey("Other text.", Some("major")),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(r.field(), "notice_change");
    assert_eq!(app.fingerprint(), before);

    // A material change: the active consent is due, the refused one is not.
    let r = app
        .put(
            "/v1/forms/survey",
            &app.admin,
            survey("We now also share.", Some("material")),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let material = app.notice_version("survey").await;
    assert_eq!(material, 4);
    assert_eq!(consent(&app, &token, "offers").await["renewal_due"], true);
    assert_eq!(consent(&app, &token, "events").await["renewal_due"], false);
    // Flagged across a restart too: the mark is stored with the version.
    assert_eq!(
        app.sql()
            .query_row(
                "SELECT material FROM notice_versions WHERE form = 'survey' AND version = ?1",
                [material as i64],
                |r| r.get::<_, i64>(0),
            )
            .unwrap(),
        1
    );

    // The preference centre asks once, above the purposes, and offers the renewal for the one due.
    let cookie = session_for(&app, &id);
    let page = get(&app, "/me/consents", &cookie).await;
    assert_eq!(page.text.matches("id=\"renewal-ask\"").count(), 1);
    assert!(page.text.contains("id=\"renew-offers\""));
    assert!(!page.text.contains("id=\"renew-events\""));
    let r = send(
        &app,
        Method::POST,
        "/me/consents/offers",
        &cookie,
        &[],
        &[("csrf", &page.csrf()), ("given", "true")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let c = consent(&app, &token, "offers").await;
    assert_eq!(c["state"], "renewed");
    assert_eq!(c["active"], true);
    assert_eq!(c["renewal_due"], false);
    let last = c["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["notice"]["form"], "survey");
    assert_eq!(last["notice"]["version"], material);
    let states: Vec<&str> = c["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["given", "renewed"]);
    // Asked once: answered, the page no longer asks.
    let page = get(&app, "/me/consents", &cookie).await;
    assert!(!page.text.contains("renewal-ask"));
    assert!(!page.text.contains("id=\"renew-offers\""));

    // PUT /v1/me/consents renews the same way; a consent given after the change is not due.
    let (_, other) = app.answered_subject("later@example.fi").await;
    assert_eq!(consent(&app, &other, "offers").await["renewal_due"], false);
    let r = app
        .put(
            "/v1/forms/survey",
            &app.admin,
            survey("Shared with more.", Some("material")),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(consent(&app, &other, "offers").await["renewal_due"], true);
    let r = app
        .put("/v1/me/consents/offers", &other, json!({"given": true}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["state"], "renewed");
    assert_eq!(consent(&app, &other, "offers").await["renewal_due"], false);
    // A withdrawal while due is a withdrawal, and clears the flag.
    let r = app
        .put("/v1/me/consents/offers", &token, json!({"given": false}))
        .await;
    assert_eq!(r.body["state"], "withdrawn");
    assert_eq!(consent(&app, &token, "offers").await["renewal_due"], false);
    // The renewals are audited like every consent change, and the ledger still verifies.
    let renewed: i64 = app
        .sql()
        .query_row(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'consent_changed' AND detail LIKE '%renewed%'",
            (),
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(renewed, 2);
    let marked: Vec<String> = app
        .sql()
        .query_map(
            "SELECT detail FROM audit_log WHERE action = 'notice_changed_materially' ORDER BY seq",
            (),
            |r| r.get(0),
        )
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(marked.len(), 2, "{marked:?}");
    assert!(marked[0].contains("\"version\":4"), "{marked:?}");
    assert!(app.store.verify_ledger().unwrap().is_ok());
}
