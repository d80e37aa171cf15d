//! P10: special categories of data are off until the configuration turns
//! them on; then an answer to such a question needs its own explicit
//! statement, on the hosted form and through the API, recorded in the ledger
//! as an event of its own.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::common::TestApp;
use crate::pages::{get, send};

const HEALTH: &str = r#"{"title": {"en": "Allergies"}, "kind": "text", "purposes": ["events"], "special_category": true}"#;

fn health() -> serde_json::Value {
    serde_json::from_str(HEALTH).unwrap()
}

/// The test schema with `health` (special, for events) on the survey form.
async fn with_health(app: &TestApp) {
    app.schema().await;
    let r = app.put("/v1/attributes/health", &app.admin, health()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = app
        .put(
            "/v1/forms/survey",
            &app.admin,
            json!({"title": {"en": "Survey"}, "notice": {"en": "Turvakide Oy asks what interests you."},
                   "attributes": ["interests", "size", "health"], "purposes": ["offers", "events", "service"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

fn statements(app: &TestApp, subject: &str) -> Vec<(String, String, Option<String>)> {
    app.sql()
        .query_map(
            "SELECT purpose, state, evidence FROM consent_events WHERE subject_id = ?1 AND method = 'explicit_statement' ORDER BY seq",
            [subject],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[tokio::test]
async fn special_categories_are_off_until_configured() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let before = app.fingerprint();
    let r = app.put("/v1/attributes/health", &app.admin, health()).await;
    assert_eq!(
        (r.status, r.code(), r.field()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "special_category",
            "special_category"
        ),
        "{}",
        r.body
    );
    assert_eq!(app.fingerprint(), before);
    // An ordinary question is unaffected.
    let mut plain = health();
    plain["special_category"] = json!(false);
    let r = app.put("/v1/attributes/health", &app.admin, plain).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

#[tokio::test]
async fn an_api_answer_needs_its_explicit_statement_recorded_on_its_own() {
    let Some(app) = TestApp::start_with(|c| c.privacy.special_categories = true) else {
        return;
    };
    with_health(&app).await;
    let id = app.subject("allergic@example.fi").await;
    let token = app.subject_token(&id).await;
    let v = app.notice_version("survey").await;
    let before = app.fingerprint();
    let bare =
        json!({"answers": {"health": "nuts"}, "consents": {"events": true}, "notice_version": v});
    let r = app.post("/v1/forms/survey/submissions", &token, bare).await;
    assert_eq!(
        (r.status, r.code(), r.field()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "special_category",
            "answers.health"
        ),
        "{}",
        r.body
    );
    let wrong = json!({"answers": {"interests": ["ot"]}, "consents": {"offers": true}, "explicit": ["interests"], "notice_version": v});
    let r = app
        .post("/v1/forms/survey/submissions", &token, wrong)
        .await;
    assert_eq!(
        (r.status, r.field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "explicit.0"),
        "{}",
        r.body
    );
    assert_eq!(
        app.fingerprint(),
        before,
        "a refused submission wrote something"
    );

    let stated = json!({"answers": {"health": "nuts"}, "consents": {"events": true}, "explicit": ["health"], "notice_version": v});
    let r = app
        .post("/v1/forms/survey/submissions", &token, stated)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["declarations"], json!(["health"]));
    assert_eq!(
        r.body["receipts"].as_array().unwrap().len(),
        2,
        "the grant and the statement"
    );
    let recorded = statements(&app, &id);
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!(
        (recorded[0].0.as_str(), recorded[0].1.as_str()),
        ("events", "given")
    );
    assert!(
        recorded[0].2.as_deref().unwrap().contains("'health'"),
        "{recorded:?}"
    );
    // The statement is in the chain and in the export, and leaves the purpose's state to the consent.
    assert!(app.store.verify_ledger().unwrap().is_ok());
    let export = app.get("/v1/me/export", &token).await.body;
    let methods: Vec<&str> = export["consent_events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["method"].as_str())
        .collect();
    assert!(methods.contains(&"explicit_statement"), "{methods:?}");
    let r = app
        .put("/v1/me/consents/events", &token, json!({"given": false}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let me = app.get("/v1/me", &token).await.body;
    assert!(
        !me["declarations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["attribute"] == "health"),
        "withdrawing the purpose deletes the answer: {me}"
    );
}

#[tokio::test]
async fn the_form_asks_for_the_statement_beside_the_question() {
    let Some(app) = TestApp::start_with(|c| c.privacy.special_categories = true) else {
        return;
    };
    with_health(&app).await;
    let page = get(&app, "/f/survey?lang=en", "").await;
    assert!(page.text.contains("name=\"x.health\""), "{}", page.text);
    assert!(page.text.contains("special category of personal data"));
    let cookie = format!("kerro_csrf={}", page.cookie("kerro_csrf").unwrap());
    let before = app.fingerprint();
    let post = |form: Vec<(&'static str, String)>| {
        let app = &app;
        let cookie = cookie.clone();
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            send(app, Method::POST, "/f/survey", &cookie, &[], &form).await
        }
    };
    let base = |page: &crate::pages::Page| {
        vec![
            ("csrf", page.csrf()),
            ("form_token", page.hidden("form_token")),
            ("notice_version", page.hidden("notice_version")),
            ("a.health", "gluten".to_owned()),
            ("c.events", "yes".to_owned()),
            ("decision", "accept".to_owned()),
        ]
    };
    let refused = post(base(&page)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text
            .contains("id=\"q-health-error\">Tämä vastaus kuuluu erityisiin"),
        "{}",
        refused.text
    );
    assert_eq!(app.fingerprint(), before);
    let mut form = base(&refused);
    form.push(("x.health", "yes".to_owned()));
    let ok = post(form).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    let id: String = app
        .sql()
        .query_row(
            "SELECT subject_id FROM declarations WHERE attribute = 'health'",
            (),
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(statements(&app, &id).len(), 1);
}

#[tokio::test]
async fn an_import_brings_the_statement_with_the_answer_or_is_refused() {
    let Some(app) = TestApp::start_with(|c| c.privacy.special_categories = true) else {
        return;
    };
    with_health(&app).await;
    let v = app.notice_version("survey").await;
    let line = |ext: &str, explicit: serde_json::Value| {
        json!({"subject": {"external_id": ext}, "form": "survey", "notice_version": v,
               "given_at": "2025-05-01T10:00:00Z", "answers": {"health": "nuts"},
               "consents": {"events": true}, "explicit": explicit,
               "evidence": {"source": "old-centre"}})
        .to_string()
    };
    let file = app.data_dir.join("in.ndjson");
    std::fs::write(
        &file,
        [line("i-1", json!([])), line("i-2", json!(["health"]))].join("\n"),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kerro"))
        .arg("import")
        .args(app.store_args())
        .arg(&file)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.lines()
            .any(|l| l.starts_with("line 1: refused")
                && l.contains("special_category (answers.health)")),
        "{err}"
    );
    assert!(err.contains("imported 1 records (1 declarations)"), "{err}");
    let id = app.store.find_by_external_id("i-2").unwrap().unwrap();
    let recorded = statements(&app, id.as_str());
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert!(app.store.find_by_external_id("i-1").unwrap().is_none());
}
