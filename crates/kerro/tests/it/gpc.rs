//! Global Privacy Control (P17): `Sec-GPC: 1` records the subject's objection
//! to sharing once, on the pages of a signed-in subject, on the form that
//! creates a subject (with its answers), and on the API with the subject's
//! own token (not a token staff minted to act on its behalf).

use axum::http::{Method, StatusCode};
use kerro_core::SubjectId;
use serde_json::json;

use crate::common::TestApp;
use crate::pages::{get, send, session_for};

/// A subject token that is the subject's own (not minted by staff).
fn own_token(app: &TestApp, id: &SubjectId) -> String {
    let now = *app.clock.lock().unwrap();
    app.store
        .issue_subject_token(
            &kerro_core::Actor::System("test".into()),
            now,
            id,
            chrono::Duration::minutes(10),
            None,
        )
        .unwrap()
        .0
}

/// A GET on the API with a bearer token and extra headers; its status.
async fn call_with(app: &TestApp, path: &str, token: &str, headers: &[(&str, &str)]) -> StatusCode {
    use tower::ServiceExt;
    let mut req = axum::http::Request::builder()
        .uri(path)
        .header("authorization", format!("Bearer {token}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(axum::body::Body::empty()).unwrap();
    app.router.clone().oneshot(req).await.unwrap().status()
}

#[tokio::test]
async fn gpc_records_an_objection_to_sharing_once() {
    let Some(app) = TestApp::start() else { return };
    let gpc = get(&app, "/.well-known/gpc.json", "").await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&gpc.text).unwrap()["gpc"],
        true
    );
    let id = app.subject("gpc@example.fi").await;
    let sid = SubjectId::parse(&id).unwrap();
    // Not signed in: nothing to record.
    send(&app, Method::GET, "/privacy", "", &[("sec-gpc", "1")], &[]).await;
    let cookie = session_for(&app, &id);
    assert!(!app.store.objected_sharing(&sid).unwrap());
    for _ in 0..2 {
        let p = send(&app, Method::GET, "/me", &cookie, &[("sec-gpc", "1")], &[]).await;
        assert_eq!(p.status, StatusCode::OK);
    }
    assert!(app.store.objected_sharing(&sid).unwrap());
    assert_eq!(
        app.store
            .audit_count("sharing_objected", Some(&sid))
            .unwrap(),
        1
    );
    let me = app
        .get(&format!("/v1/subjects/{id}"), &app.admin)
        .await
        .body;
    assert_eq!(me["subject"]["objected_sharing"], true);
}

#[tokio::test]
async fn gpc_on_the_form_that_creates_a_subject_is_recorded_with_its_answers() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    for gpc in [true, false] {
        let p = get(&app, "/f/survey?lang=en", "").await;
        let cookie = format!("kerro_csrf={}", p.cookie("kerro_csrf").unwrap());
        let headers: &[(&str, &str)] = if gpc { &[("sec-gpc", "1")] } else { &[] };
        let before: i64 = app
            .sql()
            .query_row("SELECT COUNT(*) FROM subjects", (), |r| r.get(0))
            .unwrap();
        let ok = send(
            &app,
            Method::POST,
            "/f/survey",
            &cookie,
            headers,
            &[
                ("csrf", &p.csrf()),
                ("form_token", &p.hidden("form_token")),
                ("notice_version", &p.hidden("notice_version")),
                ("a.interests", "cloud"),
                ("c.offers", "yes"),
            ],
        )
        .await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
        let rows = app
            .sql()
            .rows(
                "SELECT id, objected_sharing FROM subjects ORDER BY created_at, id",
                (),
            )
            .unwrap();
        assert_eq!(rows.len() as i64, before + 1);
        let (id, objected): (String, bool) = {
            let r = rows.last().unwrap();
            (r.get(0).unwrap(), r.get(1).unwrap())
        };
        assert_eq!(objected, gpc, "{id}: Sec-GPC {gpc}");
        let sid = SubjectId::parse(&id).unwrap();
        assert_eq!(
            app.store
                .audit_count("sharing_objected", Some(&sid))
                .unwrap(),
            u64::from(gpc)
        );
    }
}

#[tokio::test]
async fn gpc_on_the_api_is_the_subjects_own_signal() {
    let Some(app) = TestApp::start() else { return };
    let id = app.subject("api-gpc@example.fi").await;
    let sid = SubjectId::parse(&id).unwrap();
    // A token staff minted acts on the subject's behalf: the staff browser's signal is not the subject's.
    let minted = app
        .post(&format!("/v1/subjects/{id}/tokens"), &app.admin, json!({}))
        .await;
    let minted = minted.body["token"].as_str().unwrap().to_owned();
    let on_behalf = call_with(&app, "/v1/me", &minted, &[("sec-gpc", "1")]).await;
    assert_eq!(on_behalf, StatusCode::OK);
    assert!(!app.store.objected_sharing(&sid).unwrap());
    // The subject's own token, twice: one objection.
    // (A token minted by the system, as the pages mint one for the offers snippet.)
    let own = own_token(&app, &sid);
    for _ in 0..2 {
        let r = call_with(&app, "/v1/me", &own, &[("sec-gpc", "1")]).await;
        assert_eq!(r, StatusCode::OK);
    }
    assert!(app.store.objected_sharing(&sid).unwrap());
    assert_eq!(
        app.store
            .audit_count("sharing_objected", Some(&sid))
            .unwrap(),
        1
    );
    // Any other value is no signal.
    let other = app.subject("api-gpc-0@example.fi").await;
    let token = own_token(&app, &SubjectId::parse(&other).unwrap());
    call_with(&app, "/v1/me", &token, &[("sec-gpc", "0")]).await;
    assert!(!app
        .store
        .objected_sharing(&SubjectId::parse(&other).unwrap())
        .unwrap());
}
