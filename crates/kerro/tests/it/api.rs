//! The API's behaviour through the router: collection, self-service rights, receipts.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use serde_json::{json, Value};

use crate::common::{declared, TestApp};

fn consent_state(me: &Value, purpose: &str) -> Option<String> {
    me["consents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["purpose"] == purpose)
        .map(|c| c["state"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn submission_records_answers_consents_and_provenance() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (id, token) = app.answered_subject("anna@example.fi").await;
    let me = app.get("/v1/me", &token).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["subject"]["id"], id);
    assert_eq!(me.body["subject"]["email"], "anna@example.fi");
    assert_eq!(
        declared(&me.body),
        vec![
            ("interests".into(), json!(["cloud", "ot"])),
            ("review".into(), json!("2027-01-31")),
            ("size".into(), json!("large")),
        ]
    );
    let prov = &me.body["declarations"][0]["provenance"];
    assert_eq!(prov["form"], "survey");
    assert_eq!(prov["notice_version"], 1);
    assert_eq!(prov["source"], "dpv:ProvidedPersonalData");
    assert_eq!(prov["given_at"], "2026-03-01T09:00:00Z");
    assert_eq!(consent_state(&me.body, "offers").as_deref(), Some("given"));
    assert_eq!(
        consent_state(&me.body, "events").as_deref(),
        Some("refused")
    );
    // P3: a purpose not in the submission gets no event at all.
    assert_eq!(consent_state(&me.body, "service"), None);
    let ev = &me.body["consents"][1]["history"][0];
    assert_eq!(ev["notice"]["version"], 1);
    assert_eq!(ev["notice"]["sha256"].as_str().unwrap().len(), 64);
}

#[tokio::test]
async fn staff_submission_names_the_subject() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let id = app.subject("b@example.fi").await;
    let r = app
        .post(
            "/v1/forms/survey/submissions",
            &app.admin,
            json!({"answers": {"employees": 40}, "notice_version": 1}),
        )
        .await;
    assert_eq!((r.status, r.field()), (StatusCode::BAD_REQUEST, "subject"));
    let r = app
        .post(
            "/v1/forms/survey/submissions",
            &app.admin,
            json!({"subject": id, "answers": {"employees": 40}, "notice_version": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let staff_view = app.get(&format!("/v1/subjects/{id}"), &app.admin).await;
    assert_eq!(
        declared(&staff_view.body),
        vec![("employees".into(), json!(40))]
    );
}

#[tokio::test]
async fn answers_need_a_legal_basis_and_a_place_on_the_form() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let id = app.subject("c@example.fi").await;
    let token = app.subject_token(&id).await;
    let before = app.fingerprint();
    for (body, code, field) in [
        (
            json!({"answers": {"diet": "vegan"}, "notice_version": 1}),
            "no_legal_basis",
            "answers.diet",
        ),
        (
            json!({"answers": {"diet": "vegan"}, "consents": {"events": false}, "notice_version": 1}),
            "no_legal_basis",
            "answers.diet",
        ),
        (
            json!({"answers": {"nope": 1}, "consents": {"offers": true}, "notice_version": 1}),
            "minimisation",
            "answers.nope",
        ),
        (
            json!({"answers": {}, "consents": {"nope": true}, "notice_version": 1}),
            "minimisation",
            "consents.nope",
        ),
    ] {
        let r = app
            .post("/v1/forms/survey/submissions", &token, body.clone())
            .await;
        assert_eq!(
            (r.status, r.code(), r.field()),
            (StatusCode::UNPROCESSABLE_ENTITY, code, field),
            "{body}"
        );
    }
    assert_eq!(
        app.fingerprint(),
        before,
        "refused submissions changed nothing"
    );
    // Consent in the same submission is enough; earlier consent is too.
    let r = app
        .post("/v1/forms/survey/submissions", &token, json!({"answers": {"diet": "vegan"}, "consents": {"events": true}, "notice_version": 1}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = app
        .post(
            "/v1/forms/survey/submissions",
            &token,
            json!({"answers": {"diet": "kosher"}, "notice_version": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let me = app.get("/v1/me", &token).await;
    assert_eq!(declared(&me.body), vec![("diet".into(), json!("kosher"))]);
    assert_eq!(
        me.body["history"][0]["value"], "vegan",
        "a new answer supersedes, the old one stays in history"
    );
}

#[tokio::test]
async fn notice_changes_make_versions_and_stale_submissions_conflict() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let form = app.get("/v1/forms/survey", &app.admin).await.body;
    assert_eq!(form["notice_version"], 1);
    let sha1 = form["notice_sha256"].as_str().unwrap().to_owned();
    // Same form again: same notice, same version.
    let mut spec = form.clone();
    for k in [
        "key",
        "notice_version",
        "notice_sha256",
        "notice_updated_at",
    ] {
        spec.as_object_mut().unwrap().remove(k);
    }
    assert_eq!(
        app.put("/v1/forms/survey", &app.admin, spec.clone())
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(app.notice_version("survey").await, 1);
    // New notice text: version 2 with a new hash.
    spec["notice"]["en"] = json!("Turvakide Oy asks, and now also says more.");
    app.put("/v1/forms/survey", &app.admin, spec).await;
    let form = app.get("/v1/forms/survey", &app.admin).await.body;
    assert_eq!(form["notice_version"], 2);
    assert_ne!(form["notice_sha256"], sha1);
    // A purpose's retention is part of what the notice shows: version 3.
    let mut p = app.get("/v1/purposes/offers", &app.admin).await.body;
    p.as_object_mut().unwrap().remove("key");
    p["retention_days"] = json!(180);
    app.put("/v1/purposes/offers", &app.admin, p).await;
    assert_eq!(app.notice_version("survey").await, 3);

    let id = app.subject("d@example.fi").await;
    let token = app.subject_token(&id).await;
    let r = app
        .post(
            "/v1/forms/survey/submissions",
            &token,
            json!({"consents": {"offers": true}, "notice_version": 2}),
        )
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "stale_notice"));
    // Old versions stay readable, publicly, with the exact bundle that was hashed.
    let old = app
        .call(Method::GET, "/v1/forms/survey/notices/1", None, None)
        .await;
    assert_eq!(old.status, StatusCode::OK);
    assert_eq!(old.body["sha256"], sha1);
    assert_eq!(
        old.body["bundle"]["notice"]["en"],
        "Turvakide Oy asks what interests you."
    );
}

#[tokio::test]
async fn rectify_withdraw_contact_and_export() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (_, token) = app.answered_subject("e@example.fi").await;
    app.advance(Duration::minutes(30));

    // Rectification and deletion of one answer.
    let r = app
        .call(
            Method::PATCH,
            "/v1/me/declarations",
            Some(&token),
            Some(json!({"interests": ["training"], "review": null})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        declared(&r.body),
        vec![
            ("interests".into(), json!(["training"])),
            ("size".into(), json!("large"))
        ]
    );
    let d = &r.body["declarations"][0]["provenance"];
    assert_eq!(d["method"], "preference_centre");
    assert_eq!(d["form"], Value::Null);
    // Rectifying an attribute whose only purpose has no consent is refused.
    let r = app
        .call(
            Method::PATCH,
            "/v1/me/declarations",
            Some(&token),
            Some(json!({"diet": "vegan"})),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "no_legal_basis")
    );

    // P6: withdrawal is the same request as a grant, and values held only for it go.
    let r = app
        .put("/v1/me/consents/offers", &token, json!({"given": false}))
        .await;
    assert_eq!(
        (r.status, r.body["state"].as_str()),
        (StatusCode::OK, Some("withdrawn"))
    );
    let me = app.get("/v1/me", &token).await.body;
    assert_eq!(consent_state(&me, "offers").as_deref(), Some("withdrawn"));
    assert_eq!(
        declared(&me),
        vec![("size".into(), json!("large"))],
        "offers-only answers deleted on withdrawal"
    );
    assert!(me["history"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["attribute"] != "interests"));
    let r = app
        .put("/v1/me/consents/offers", &token, json!({"given": true}))
        .await;
    assert_eq!(r.body["state"], "given");
    let r = app
        .put("/v1/me/consents/service", &token, json!({"given": true}))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_value")
    );
    let r = app
        .put("/v1/me/consents/ghost", &token, json!({"given": true}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Contact preferences: a channel never set is not opted in.
    let r = app
        .put(
            "/v1/me/contact",
            &token,
            json!({"channels": {"email": true, "sms": false}, "max_per_week": 2, "language": "sv"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body["channels"],
        json!({"email": true, "sms": false, "phone": false, "post": false, "web": false})
    );
    let r = app
        .put(
            "/v1/me/contact",
            &token,
            json!({"channels": {"pigeon": true}}),
        )
        .await;
    assert_eq!(
        (r.status, r.field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "channels.pigeon")
    );
    let r = app
        .put("/v1/me/contact", &token, json!({"max_per_week": 1000}))
        .await;
    assert_eq!(
        (r.status, r.field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "max_per_week")
    );

    // P12: the export holds everything, in the documented shape.
    let ex = app.get("/v1/me/export", &token).await.body;
    assert_eq!(ex["schema_version"], "kerro.export.v1");
    assert_eq!(ex["controller"]["name"], "Example Company Oy");
    assert_eq!(ex["contact"]["max_per_week"], 2);
    assert_eq!(ex["declarations"].as_array().unwrap().len(), 1);
    let events: Vec<&str> = ex["consent_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["state"].as_str().unwrap())
        .collect();
    assert_eq!(events, vec!["given", "refused", "withdrawn", "given"]);
    let offers = ex["purposes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["key"] == "offers")
        .unwrap();
    assert_eq!(
        (
            offers["retention_days"].as_u64(),
            offers["legal_basis"].as_str()
        ),
        (Some(365), Some("consent"))
    );
    let events_purpose = ex["purposes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["key"] == "events")
        .unwrap();
    // The export names the recipient as customers see it, not by its register key.
    assert_eq!(events_purpose["recipients"], json!(["Tapahtuma Oy"]));
    assert!(ex["access_log"].as_array().unwrap().len() >= 4);
}

#[tokio::test]
async fn receipts_in_both_shapes_and_only_for_their_subject() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (id, token) = app.answered_subject("f@example.fi").await;
    let r = app
        .put("/v1/me/consents/offers", &token, json!({"given": false}))
        .await;
    let record = r.body["record_id"].as_str().unwrap().to_owned();
    let iso = app.get(&format!("/v1/receipts/{record}"), &token).await;
    assert_eq!(iso.status, StatusCode::OK, "{}", iso.body);
    let b = &iso.body;
    for field in [
        "schema_version",
        "record_id",
        "subject_id",
        "jurisdiction",
        "language",
        "controller",
        "purposes",
        "sensitive",
        "events",
    ] {
        assert!(!b[field].is_null(), "missing {field}");
    }
    assert_eq!(b["subject_id"], id);
    assert_eq!(b["jurisdiction"], "FI");
    assert_eq!(b["purposes"][0]["retention"], "P365D");
    assert_eq!(b["purposes"][0]["lawful_basis"], "dpv:Consent");
    let states: Vec<&str> = b["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, vec!["dpv:ConsentGiven", "dpv:ConsentWithdrawn"]);
    // The grant's receipt carries the notice it was given against.
    let me = app.get("/v1/me", &token).await.body;
    let grant = me["consents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["purpose"] == "offers")
        .unwrap()["history"][0]["record_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let g = app.get(&format!("/v1/receipts/{grant}"), &token).await.body;
    assert_eq!(g["notice"]["version"], 1);
    assert_eq!(
        g["notice"]["sha256"],
        app.get("/v1/forms/survey", &app.admin).await.body["notice_sha256"]
    );
    let k = app
        .get(&format!("/v1/receipts/{grant}?format=kantara"), &token)
        .await
        .body;
    assert_eq!(k["version"], "KI-CR-v1.1.0");
    assert_eq!(k["consentTimestamp"], 1772355600);
    assert_eq!(k["consentReceiptID"], grant.as_str());
    // P16: another subject cannot read it; staff support can, and that read is audited.
    let (_, other) = app.answered_subject("g@example.fi").await;
    assert_eq!(
        app.get(&format!("/v1/receipts/{grant}"), &other)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let support = app.staff_token(kerro_core::Role::Support);
    assert_eq!(
        app.get(&format!("/v1/receipts/{grant}"), &support)
            .await
            .status,
        StatusCode::OK
    );
    // The support token's read, and (since its tokens were minted by the test's
    // admin) each read through a subject token as staff on the subject's behalf.
    let by_support: i64 = app
        .sql()
        .query_row(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'receipt_read' AND subject_id = ?1 AND actor LIKE 'staff:support:%'",
            [id.as_str()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(by_support, 1);
    assert_eq!(
        app.get("/v1/receipts/rec_nope", &token).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/v1/receipts/{grant}?format=pdf"), &token)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn erasure_ends_every_token_and_leaves_proof() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (id, token) = app.answered_subject("h@example.fi").await;
    let second = app.subject_token(&id).await;
    let r = app.call(Method::DELETE, "/v1/me", Some(&token), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["erased"]["declarations_deleted"], 3);
    assert_eq!(r.body["erased"]["consent_events_kept"], 2);
    for t in [&token, &second] {
        assert_eq!(app.get("/v1/me", t).await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        app.get(&format!("/v1/subjects/{id}"), &app.admin)
            .await
            .status,
        StatusCode::GONE
    );
    let r = app
        .post(&format!("/v1/subjects/{id}/tokens"), &app.admin, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::GONE);
    assert!(
        app.store.is_suppressed("H@example.fi ").unwrap(),
        "hashed suppression entry remains"
    );
    assert_eq!(app.store.verify_ledger().unwrap(), Ok(2));
    assert!(app.store.verify_audit().unwrap().is_ok());
}

#[tokio::test]
async fn subject_tokens_expire() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let id = app.subject("i@example.fi").await;
    let r = app
        .post(&format!("/v1/subjects/{id}/tokens"), &app.admin, json!({}))
        .await;
    assert_eq!(r.body["expires_at"], "2026-03-01T10:00:00Z");
    let token = r.body["token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/v1/me", &token).await.status, StatusCode::OK);
    app.advance(Duration::minutes(61));
    assert_eq!(
        app.get("/v1/me", &token).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn subjects_and_schema_reads() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let r = app
        .post(
            "/v1/subjects",
            &app.admin,
            json!({"external_id": "crm-1", "organization": "Esimerkki Oy"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = app
        .post("/v1/subjects", &app.admin, json!({"external_id": "crm-1"}))
        .await;
    assert_eq!(
        (r.status, r.code(), r.field()),
        (StatusCode::CONFLICT, "conflict", "external_id")
    );
    assert!(app.store.find_by_external_id("crm-1").unwrap().is_some());
    let list = app.get("/v1/purposes", &app.admin).await.body;
    assert_eq!(list["purposes"].as_array().unwrap().len(), 3);
    assert_eq!(
        app.get("/v1/attributes", &app.admin).await.body["attributes"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    assert_eq!(
        app.get("/v1/purposes/nope", &app.admin).await.status,
        StatusCode::NOT_FOUND
    );
    let health = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(health.body, json!({"status": "ok"}), "nothing but ok");
    let spec = app
        .call(Method::GET, "/openapi.json", None, None)
        .await
        .body;
    assert_eq!(spec["openapi"], "3.1.0");
    assert!(spec["paths"]["/v1/me/consents/{purpose}"]["put"].is_object());
    let decide = &spec["paths"]["/v1/decisions"]["post"];
    assert!(decide["responses"]["422"].is_object(), "{decide}");
    assert!(
        decide["description"]
            .as_str()
            .is_some_and(|d| d.contains("dry_run") && d.contains("one year")),
        "{decide}"
    );
}

#[tokio::test]
async fn schema_changes_that_break_other_definitions_are_refused() {
    let Some(app) = TestApp::start_with(|c| c.privacy.special_categories = true) else {
        return;
    };
    app.schema().await;
    // P10: special category on a contract purpose.
    let r = app
        .put("/v1/attributes/health", &app.admin, json!({"title": {"en": "Health"}, "kind": "text", "purposes": ["service"], "special_category": true}))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "special_category")
    );
    let r = app
        .put("/v1/attributes/health", &app.admin, json!({"title": {"en": "Health"}, "kind": "text", "purposes": ["events"], "special_category": true}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    // Turning `events` into a contract purpose would break that attribute: refused, nothing changes.
    let before = app.fingerprint();
    let mut p = app.get("/v1/purposes/events", &app.admin).await.body;
    p.as_object_mut().unwrap().remove("key");
    p["legal_basis"] = json!("contract");
    let r = app.put("/v1/purposes/events", &app.admin, p).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "special_category")
    );
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("attribute 'health'"));
    assert_eq!(app.fingerprint(), before);
    // P8: an attribute without purposes, a form asking what its purposes do not need.
    let r = app
        .put(
            "/v1/attributes/free",
            &app.admin,
            json!({"title": {"en": "x"}, "kind": "boolean", "purposes": []}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "minimisation")
    );
    let r = app
        .put("/v1/forms/mini", &app.admin, json!({"title": {"en": "x"}, "notice": {"en": "n"}, "attributes": ["diet"], "purposes": ["offers"]}))
        .await;
    assert_eq!(
        (r.status, r.code(), r.field()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "minimisation",
            "attributes.0"
        )
    );
}

#[tokio::test]
async fn domain_events_reach_the_outbox_with_the_change_and_without_personal_values() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (id, token) = app.answered_subject("outbox@example.fi").await;
    app.put("/v1/me/consents/offers", &token, json!({"given": false}))
        .await;
    app.call(Method::DELETE, "/v1/me", Some(&token), None).await;
    let events = app.store.outbox_since(0, 1000).unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert!(kinds.contains(&"schema.changed"), "{kinds:?}");
    // The subject's own events were forgotten with it; only the erasure remains, last.
    let mine: Vec<&str> = events
        .iter()
        .filter(|e| e.subject.as_deref() == Some(id.as_str()))
        .map(|e| e.kind.as_str())
        .collect();
    assert_eq!(mine, ["subject.erased"]);
    assert!(events.windows(2).all(|w| w[0].seq < w[1].seq));
    let all = serde_json::to_string(&events).unwrap();
    for personal in ["outbox@example.fi", "cloud", "large"] {
        assert!(!all.contains(personal), "'{personal}' in the outbox: {all}");
    }

    // Before erasure, a submission and a withdrawal each leave their events, in order.
    let (other, token) = app.answered_subject("outbox2@example.fi").await;
    app.put("/v1/me/consents/offers", &token, json!({"given": false}))
        .await;
    let theirs: Vec<(String, Value)> = app
        .store
        .outbox_since(0, 1000)
        .unwrap()
        .into_iter()
        .filter(|e| e.subject.as_deref() == Some(other.as_str()))
        .map(|e| (e.kind, e.payload))
        .collect();
    let kinds: Vec<&str> = theirs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "subject.created",
            "consent.given",
            "consent.refused",
            "declaration.changed",
            "consent.withdrawn",
            "declaration.deleted"
        ],
        "{theirs:?}"
    );
    let withdrawn = theirs
        .iter()
        .find(|(k, _)| k == "consent.withdrawn")
        .unwrap();
    assert_eq!(withdrawn.1["purpose"], "offers");
    assert_eq!(theirs[5].1["attributes"], json!(["interests", "review"]));
    assert!(withdrawn.1["record_id"]
        .as_str()
        .unwrap()
        .starts_with("rec_"));

    // Old events are pruned; newer ones stay.
    let n = app.store.outbox_since(0, 1000).unwrap().len();
    assert_eq!(
        app.store
            .prune_outbox(chrono::Utc::now() - chrono::Duration::days(36500))
            .unwrap(),
        0
    );
    assert_eq!(
        app.store
            .prune_outbox(chrono::Utc::now() + chrono::Duration::days(36500))
            .unwrap() as usize,
        n
    );
}
