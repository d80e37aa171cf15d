//! Receipts and the notices behind them. Every grant names the notice shown
//! (a form's, or the purpose's own in the preference centre and
//! `PUT /v1/me/consents`), and a receipt describes the purpose from that
//! stored bundle, with its channels. Signed receipts from the outside: `GET /v1/receipts/{id}` with
//! `Accept: application/jose` answers a compact JWS, and `jws_verify.py`
//! checks it with joserfc (not kerro's code) against the key published at
//! `/.well-known/jwks.json`. It needs the Python named by
//! `KERRO_WEBHOOK_PYTHON` (CI installs `joserfc` into the same venv as
//! `standardwebhooks`); without one the test says SKIPPED, unless
//! `KERRO_REQUIRE_WEBHOOK_VERIFIER=1` (as in CI), when it fails.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::io::Write;
use std::process::{Command, Stdio};
use tower::ServiceExt;

use crate::common::TestApp;

fn python(test: &str) -> Option<String> {
    match std::env::var("KERRO_WEBHOOK_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            assert!(
                std::env::var("KERRO_REQUIRE_WEBHOOK_VERIFIER").as_deref() != Ok("1"),
                "{test}: KERRO_REQUIRE_WEBHOOK_VERIFIER=1 but KERRO_WEBHOOK_PYTHON names no Python with joserfc"
            );
            eprintln!("SKIPPED: {test}: set KERRO_WEBHOOK_PYTHON to a Python with `pip install joserfc==1.8.0`");
            None
        }
    }
}

/// Verifies `jws` with joserfc against `jwks`: `Ok({header, payload})` or the verifier's reason.
fn verify(python: &str, jwks: &Value, jws: &str) -> Result<Value, String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/jws_verify.py");
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the verifier");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(json!({"jwks": jwks, "jws": jws}).to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(serde_json::from_str(&text).unwrap())
    } else {
        Err(text)
    }
}

/// A GET with these headers: status, content type and the body as text.
async fn get(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    accept: Option<&str>,
) -> (StatusCode, String, String) {
    let mut req = Request::builder().uri(path);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(a) = accept {
        req = req.header("accept", a);
    }
    let resp = app
        .router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let ctype = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, ctype, String::from_utf8(bytes.to_vec()).unwrap())
}

/// The record id of the subject's first `offers` event (its grant from the survey).
async fn grant_of(app: &TestApp, token: &str) -> String {
    let me = app.get("/v1/me", token).await.body;
    me["consents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["purpose"] == "offers")
        .unwrap()["history"][0]["record_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_signed_receipt_verifies_with_joserfc_and_the_published_key() {
    let test = "a_signed_receipt_verifies_with_joserfc_and_the_published_key";
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (_, token) = app.answered_subject("jws@example.fi").await;
    let grant = grant_of(&app, &token).await;
    let path = format!("/v1/receipts/{grant}");

    // The key set is public and names one Ed25519 signing key.
    let (status, ctype, body) = get(&app, "/.well-known/jwks.json", None, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(ctype.starts_with("application/json"), "{ctype}");
    let jwks: Value = serde_json::from_str(&body).unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{jwks}");
    let key = &keys[0];
    for (field, value) in [
        ("kty", "OKP"),
        ("crv", "Ed25519"),
        ("alg", "EdDSA"),
        ("use", "sig"),
    ] {
        assert_eq!(key[field], value, "{jwks}");
    }
    let x = URL_SAFE_NO_PAD.decode(key["x"].as_str().unwrap()).unwrap();
    assert_eq!(x.len(), 32);
    // The receipt key is its own file, not the checkpoint key.
    assert_ne!(hex::encode(&x), app.store.checkpoint_public_key());
    assert!(app.data_dir.join("receipt.key").exists());

    let (status, ctype, jws) = get(&app, &path, Some(&token), Some("application/jose")).await;
    assert_eq!(status, StatusCode::OK, "{jws}");
    assert_eq!(ctype, "application/jose");
    assert_eq!(jws.split('.').count(), 3, "compact serialisation: {jws}");
    let (_, _, json_body) = get(&app, &path, Some(&token), None).await;
    let as_json: Value = serde_json::from_str(&json_body).unwrap();

    let Some(python) = python(test) else { return };
    let verified = verify(&python, &jwks, &jws).expect("joserfc verifies the receipt");
    assert_eq!(verified["header"]["alg"], "EdDSA");
    assert_eq!(verified["header"]["kid"], key["kid"]);
    // The payload is the JSON receipt, field for field.
    assert_eq!(verified["payload"], as_json);
    assert_eq!(verified["payload"]["record_id"], grant.as_str());

    // Kantara receipts are signed the same way.
    let (status, _, kantara) = get(
        &app,
        &format!("{path}?format=kantara"),
        Some(&token),
        Some("application/jose"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let v = verify(&python, &jwks, &kantara).unwrap();
    assert_eq!(v["payload"]["consentReceiptID"], grant.as_str());

    // A changed payload, or another key, does not verify.
    let parts: Vec<&str> = jws.split('.').collect();
    let mut forged_payload = as_json.clone();
    forged_payload["subject_id"] = json!("sub_00000000000000000000000000");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(forged_payload.to_string()),
        parts[2]
    );
    assert!(verify(&python, &jwks, &forged).is_err());
    let mut other_key = jwks.clone();
    other_key["keys"][0]["x"] = json!(URL_SAFE_NO_PAD.encode([7u8; 32]));
    assert!(verify(&python, &other_key, &jws).is_err());
}

#[tokio::test]
async fn accept_picks_the_shape_and_a_jws_is_refused_like_the_json() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (_, token) = app.answered_subject("accept@example.fi").await;
    let grant = grant_of(&app, &token).await;
    let path = format!("/v1/receipts/{grant}");
    // Any other Accept still gets JSON, as before.
    for accept in [
        None,
        Some("application/json"),
        Some("text/html"),
        Some("*/*"),
        Some("application/jose;q=0"),
    ] {
        let (status, ctype, body) = get(&app, &path, Some(&token), accept).await;
        assert_eq!(status, StatusCode::OK, "{accept:?}: {body}");
        assert!(ctype.starts_with("application/json"), "{accept:?}: {ctype}");
        assert!(serde_json::from_str::<Value>(&body).is_ok(), "{accept:?}");
    }
    // Another subject's receipt, an unknown one and no token: refused as for JSON, with the error body.
    let (_, other) = app.answered_subject("other@example.fi").await;
    for (token, want) in [
        (Some(other.as_str()), StatusCode::NOT_FOUND),
        (None, StatusCode::UNAUTHORIZED),
    ] {
        let (status, ctype, body) = get(&app, &path, token, Some("application/jose")).await;
        assert_eq!(status, want, "{body}");
        assert!(ctype.starts_with("application/json"), "{ctype}");
        let err: Value = serde_json::from_str(&body).unwrap();
        assert!(err["error"]["code"].is_string(), "{body}");
    }
    let (status, _, _) = get(
        &app,
        "/v1/receipts/rec_nope",
        Some(&token),
        Some("application/jose"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = get(
        &app,
        &format!("{path}?format=pdf"),
        Some(&token),
        Some("application/jose"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // The document offers both media types for the receipt, and the key set without a token.
    let spec = app.openapi().await;
    let content = &spec["paths"]["/v1/receipts/{record_id}"]["get"]["responses"]["200"]["content"];
    assert!(
        content["application/json"]["schema"].is_object(),
        "{content}"
    );
    assert!(
        content["application/jose"]["schema"].is_object(),
        "{content}"
    );
    assert_eq!(
        spec["paths"]["/.well-known/jwks.json"]["get"]["security"],
        json!([{}])
    );
}

/// The newest event of `purpose` in `/v1/me`.
async fn last_event(app: &TestApp, token: &str, purpose: &str) -> Value {
    let me = app.get("/v1/me", token).await.body;
    me["consents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["purpose"] == purpose)
        .unwrap()["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn every_grant_stores_the_notice_shown_and_its_receipt_reads_the_stored_bundle() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (id, token) = app.answered_subject("notice@example.fi").await;
    let r = app
        .put(
            "/v1/me/contact",
            &token,
            json!({"channels": {"email": true, "sms": false}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // PUT /v1/me/consents: the purpose's own notice, version 1, readable without a token.
    let r = app
        .put("/v1/me/consents/events", &token, json!({"given": true}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let api_grant = r.body["record_id"].as_str().unwrap().to_owned();
    let ev = last_event(&app, &token, "events").await;
    assert_eq!(ev["record_id"], api_grant.as_str());
    assert_eq!(ev["notice"]["purpose"], "events");
    assert!(ev["notice"].get("form").is_none(), "{ev}");
    // Versioned like a form's: each schema change that altered it (the purpose, then the
    // attributes bound to it, made by `schema()`) made a version; the grant names the newest.
    let v = ev["notice"]["version"].as_u64().unwrap();
    assert_eq!(v, 3);
    let (status, _, body) = get(
        &app,
        &format!("/v1/purposes/events/notices/{v}"),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let notice: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(ev["notice"]["sha256"], notice["sha256"]);
    assert!(ev["notice"]["url"]
        .as_str()
        .unwrap()
        .ends_with("/v1/purposes/events/notices/3"));
    assert_eq!(notice["bundle"]["purposes"][0]["key"], "events");
    assert_eq!(
        notice["bundle"]["purposes"][0]["recipients"],
        json!(["Tapahtuma Oy"])
    );
    let shown: Vec<&String> = notice["bundle"]["data_categories"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        shown,
        ["attending", "diet"],
        "the attributes bound to the purpose"
    );
    // The hash is of the stored bundle's canonical text.
    assert_eq!(
        notice["sha256"],
        serde_json::from_value::<kerro_core::notice::NoticeBundle>(notice["bundle"].clone())
            .unwrap()
            .sha256()
    );
    let (_, _, first) = get(&app, "/v1/purposes/events/notices/1", None, None).await;
    let first: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(
        first["bundle"]["data_categories"],
        json!({}),
        "before any attribute was bound"
    );
    assert_eq!(
        get(&app, "/v1/purposes/events/notices/4", None, None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, "/v1/purposes/ghost/notices/1", None, None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    // The preference centre: a withdrawal and a grant, each against the notice on the page.
    let cookie = crate::pages::session_for(&app, &id);
    for given in ["false", "true"] {
        let page = crate::pages::get(&app, "/me/consents", &cookie).await;
        let r = crate::pages::send(
            &app,
            axum::http::Method::POST,
            "/me/consents/offers",
            &cookie,
            &[],
            &[("csrf", &page.csrf()), ("given", given)],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let ev = last_event(&app, &token, "offers").await;
        assert_eq!(ev["method"], "preference_centre");
        assert_eq!(ev["notice"]["purpose"], "offers", "{ev}");
        assert!(
            ev["notice"]["sha256"]
                .as_str()
                .is_some_and(|s| s.len() == 64),
            "{ev}"
        );
    }

    // The purpose changes: a new version of its notice; the old receipt keeps what was shown.
    let r = app
        .put(
            "/v1/recipients/uusi",
            &app.admin,
            json!({"name": "Uusi Oy", "country": "FI", "role": "processor"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = app
        .put(
            "/v1/purposes/events",
            &app.admin,
            json!({"title": {"en": "events"}, "description": {"en": "About events"}, "legal_basis": "consent",
                   "uses": ["sharing"], "retention_days": 30, "recipients": ["uusi"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .put("/v1/me/consents/events", &token, json!({"given": true}))
        .await;
    let later = r.body["record_id"].as_str().unwrap().to_owned();
    assert_eq!(
        last_event(&app, &token, "events").await["notice"]["version"],
        4
    );
    let old = app
        .get(&format!("/v1/receipts/{api_grant}"), &token)
        .await
        .body;
    assert_eq!(old["notice"]["version"], 3);
    assert_eq!(
        old["purposes"][0]["third_parties"],
        json!(["Tapahtuma Oy"]),
        "{old}"
    );
    assert_eq!(old["purposes"][0]["retention"], "P365D");
    assert_eq!(
        old["purposes"][0]["data_categories"],
        json!(["attending", "diet"])
    );
    assert_eq!(old["purposes"][0]["channels"], json!(["email"]));
    let new = app.get(&format!("/v1/receipts/{later}"), &token).await.body;
    assert_eq!(new["notice"]["version"], 4);
    assert_eq!(new["purposes"][0]["third_parties"], json!(["Uusi Oy"]));
    assert_eq!(new["purposes"][0]["retention"], "P30D");
    let kantara = app
        .get(&format!("/v1/receipts/{api_grant}?format=kantara"), &token)
        .await
        .body;
    assert_eq!(
        kantara["services"][0]["purposes"][0]["thirdPartyName"],
        "Tapahtuma Oy"
    );
    // A form grant's receipt reads the form's bundle: the survey's questions for this purpose only.
    let form_grant = grant_of(&app, &token).await;
    let r = app
        .get(&format!("/v1/receipts/{form_grant}"), &token)
        .await
        .body;
    assert_eq!(
        r["purposes"][0]["data_categories"],
        json!(["attending", "interests", "review"])
    );
    // The hashed notice keys keep the ledger verifiable.
    assert!(app.store.verify_ledger().unwrap().is_ok());
}

#[tokio::test]
async fn an_unsubscribe_before_the_event_leaves_its_channel_out() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (id, token) = app.answered_subject("chan@example.fi").await;
    app.put(
        "/v1/me/contact",
        &token,
        json!({"channels": {"email": true, "web": true}}),
    )
    .await;
    let grant = grant_of(&app, &token).await;
    let before = app.get(&format!("/v1/receipts/{grant}"), &token).await.body;
    assert_eq!(before["purposes"][0]["channels"], json!(["email", "web"]));
    let subject = kerro_core::SubjectId::parse(&id).unwrap();
    let offers = kerro_core::PurposeKey::parse("p", "offers").unwrap();
    let link = app.store.unsubscribe_token(&kerro_store::UnsubscribeLink {
        subject,
        channel: kerro_core::contact::Channel::Email,
        purpose: offers,
    });
    app.store.unsubscribe(app.state.now(), &link).unwrap();
    let r = app
        .put("/v1/me/consents/offers", &token, json!({"given": true}))
        .await;
    let after = r.body["record_id"].as_str().unwrap().to_owned();
    let later = app.get(&format!("/v1/receipts/{after}"), &token).await.body;
    assert_eq!(later["purposes"][0]["channels"], json!(["web"]));
    // The earlier receipt is as it was at its event.
    let again = app.get(&format!("/v1/receipts/{grant}"), &token).await.body;
    assert_eq!(again["purposes"][0]["channels"], json!(["email", "web"]));
}
