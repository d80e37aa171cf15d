//! Consent per recipient and the disclosure log (issue 13 item 6, P21): a
//! sharing purpose asks one choice per recipient on the API, the hosted form
//! and the preference centre; an audience export or a webhook for a recipient
//! reaches only the subjects who consented to it and did not object to
//! sharing, and each disclosure is logged where the subject sees it.

use axum::http::{Method, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::common::TestApp;

/// A subject with a token who answered the survey: `events` (shared with
/// `tapahtuma`) given, the choice about `tapahtuma` as `recipient`, e-mail on.
async fn sharer(app: &TestApp, email: &str, recipient: Option<bool>) -> (String, String) {
    let id = app.subject(email).await;
    let token = app.subject_token(&id).await;
    let v = app.notice_version("survey").await;
    let mut body =
        json!({"answers": {"diet": "vegan"}, "consents": {"events": true}, "notice_version": v});
    if let Some(given) = recipient {
        body["recipients"] = json!({"events": {"tapahtuma": given}});
    }
    let r = app.post("/v1/forms/survey/submissions", &token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = app
        .put(
            "/v1/me/contact",
            &token,
            json!({"channels": {"email": true}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    (id, token)
}

/// The ids an NDJSON audience export answers.
async fn export(app: &TestApp, service: &str, body: Value) -> (StatusCode, Vec<String>) {
    let req = axum::http::Request::builder()
        .method("POST")
        .uri("/v1/audiences/export")
        .header("authorization", format!("Bearer {service}"))
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    let resp = app.router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let text = String::from_utf8(
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    if status != StatusCode::OK {
        return (status, vec![text]);
    }
    let mut ids: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    ids.sort();
    (status, ids)
}

/// The subject's own choice about `tapahtuma` for `events`.
async fn choose(app: &TestApp, token: &str, given: bool) {
    let r = app
        .put(
            "/v1/me/consents/events/recipients/tapahtuma",
            token,
            json!({"given": given}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// Who an export for `tapahtuma` reaches.
async fn partner_export(app: &TestApp, service: &str) -> Vec<String> {
    let body = json!({"purpose": "events", "channel": "email", "recipient": "tapahtuma"});
    let (status, ids) = export(app, service, body).await;
    assert_eq!(status, StatusCode::OK, "{ids:?}");
    ids
}

fn choice<'a>(me: &'a Value, purpose: &str, recipient: &str) -> &'a Value {
    me["recipient_consents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["purpose"] == purpose && c["recipient"] == recipient)
        .unwrap_or_else(|| panic!("no choice about {recipient} for {purpose}: {me}"))
}

fn purpose_state(me: &Value, purpose: &str) -> Value {
    me["consents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["purpose"] == purpose)
        .map(|c| c["state"].clone())
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_choice_per_recipient_is_its_own_ledger_event_and_leaves_the_purpose_alone() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (_, token) = sharer(&app, "share1@example.fi", Some(true)).await;
    let me = app.get("/v1/me", &token).await.body;
    assert_eq!(purpose_state(&me, "events"), "given");
    let c = choice(&me, "events", "tapahtuma");
    assert_eq!(c["state"], "given", "{c}");
    assert_eq!(c["recipient_name"], "Tapahtuma Oy");
    assert_eq!(c["country"], "FI");
    let receipt = c["record_id"].as_str().unwrap().to_owned();

    // Taking the recipient back withdraws that choice only.
    let r = app
        .put(
            "/v1/me/consents/events/recipients/tapahtuma",
            &token,
            json!({"given": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (r.body["state"].as_str(), r.body["recipient"].as_str()),
        (Some("withdrawn"), Some("tapahtuma"))
    );
    let me = app.get("/v1/me", &token).await.body;
    assert_eq!(
        purpose_state(&me, "events"),
        "given",
        "the purpose's own consent stands"
    );
    assert_eq!(choice(&me, "events", "tapahtuma")["state"], "withdrawn");
    assert_eq!(
        me["declarations"].as_array().unwrap().len(),
        1,
        "the answer held for the purpose stays: {me}"
    );

    // Each choice has a receipt of its own, naming the recipient alone, with
    // the history of that choice; and the ledger's chain holds.
    let r = app.get(&format!("/v1/receipts/{receipt}"), &token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body["purposes"][0]["third_parties"],
        json!(["Tapahtuma Oy"]),
        "{}",
        r.body
    );
    let withdrawn = app
        .get(
            &format!(
                "/v1/receipts/{}",
                choice(&me, "events", "tapahtuma")["record_id"]
                    .as_str()
                    .unwrap()
            ),
            &token,
        )
        .await;
    assert_eq!(withdrawn.status, StatusCode::OK);
    assert!(withdrawn.body["purposes"][0]["withdrawal_method"]
        .as_str()
        .unwrap()
        .contains("/v1/me/consents/events/recipients/tapahtuma"));
    let states: Vec<&str> = withdrawn.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["state"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        states.len(),
        2,
        "the choice's own history: {}",
        withdrawn.body
    );
    assert!(app.store.verify_ledger().unwrap().is_ok());

    // The export lists the choices among the ledger's events, naming the recipient.
    let r = app.get("/v1/me/export", &token).await;
    let events: Vec<&Value> = r.body["consent_events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["recipient"] == "tapahtuma")
        .collect();
    assert_eq!(events.len(), 2, "{}", r.body["consent_events"]);
    assert_eq!(r.body["recipient_consents"][0]["state"], "withdrawn");
}

#[tokio::test]
async fn an_export_for_a_recipient_reaches_only_who_consented_to_it_and_logs_each_disclosure() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let service = app.staff_token(kerro_core::Role::Service);
    let (yes, yes_token) = sharer(&app, "yes@example.fi", Some(true)).await;
    let (no_choice, no_choice_token) = sharer(&app, "none@example.fi", None).await;
    let (refused, _) = sharer(&app, "refused@example.fi", Some(false)).await;
    let (objector, objector_token) = sharer(&app, "gpc@example.fi", Some(true)).await;
    let r = app
        .put(
            "/v1/me/rights",
            &objector_token,
            json!({"objected_sharing": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Without a recipient the audience is everyone reachable; nothing is a disclosure.
    let (status, all) = export(
        &app,
        &service,
        json!({"purpose": "events", "channel": "email"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let mut expected = vec![
        yes.clone(),
        no_choice.clone(),
        refused.clone(),
        objector.clone(),
    ];
    expected.sort();
    assert_eq!(all, expected);
    let me = app.get("/v1/me", &yes_token).await.body;
    assert_eq!(me["disclosures"], json!([]));

    // The count says how many an export for the recipient would reach, disclosing nothing.
    let r = app
        .post(
            "/v1/audiences/count",
            &app.admin,
            json!({"purpose": "events", "channel": "email", "recipient": "tapahtuma"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["count"].as_u64()),
        (StatusCode::OK, Some(1))
    );

    let (status, shared) = export(
        &app,
        &service,
        json!({"purpose": "events", "channel": "email", "recipient": "tapahtuma", "include_email": true}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        shared,
        vec![yes.clone()],
        "only the one who consented and did not object"
    );

    let me = app.get("/v1/me", &yes_token).await.body;
    let log = me["disclosures"].as_array().unwrap();
    assert_eq!(log.len(), 1, "{me}");
    assert_eq!(log[0]["recipient"], "tapahtuma");
    assert_eq!(log[0]["recipient_name"], "Tapahtuma Oy");
    assert_eq!(log[0]["purpose"], "events");
    assert_eq!(log[0]["fields"], json!(["id", "email"]));
    assert_eq!(log[0]["via"], "audience_export");
    for token in [&no_choice_token, &objector_token] {
        let me = app.get("/v1/me", token).await.body;
        assert_eq!(me["disclosures"], json!([]), "not disclosed: {me}");
    }
    let r = app.get("/v1/me/export", &yes_token).await;
    assert_eq!(r.body["disclosures"].as_array().unwrap().len(), 1);

    // The audit entry names the recipient and the count.
    let audit = app.sql().rows(
        "SELECT detail FROM audit_log WHERE action = 'audience_exported' ORDER BY seq DESC",
        (),
    );
    let detail: String = audit.unwrap()[0].get(0).unwrap();
    let detail: Value = serde_json::from_str(&detail).unwrap();
    assert_eq!(
        (detail["recipient"].as_str(), detail["count"].as_u64()),
        (Some("tapahtuma"), Some(1))
    );

    // The register names the subject for the dpo, sums per recipient, and is audited.
    let dpo = app.staff_token(kerro_core::Role::Dpo);
    let r = app.get("/v1/disclosures", &dpo).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["recipients"][0]["recipient"], "tapahtuma");
    assert_eq!(
        (
            r.body["recipients"][0]["disclosures"].as_u64(),
            r.body["recipients"][0]["subjects"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(r.body["disclosures"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["disclosures"][0]["subject"], yes.as_str());
    assert_eq!(r.body["disclosures"][0]["via"], "audience_export");
    let reads: i64 = app
        .sql()
        .query_row(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'disclosures_read'",
            (),
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(reads, 1);
    let csv = app
        .request(
            Method::GET,
            "/v1/disclosures?format=csv&recipient=tapahtuma",
            Some(&dpo),
            &[],
            vec![],
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    for (query, status, field) in [
        ("format=xml", StatusCode::UNPROCESSABLE_ENTITY, "format"),
        (
            "recipient=Not%20a%20key",
            StatusCode::UNPROCESSABLE_ENTITY,
            "recipient",
        ),
        (
            "recipient=a&recipient=b",
            StatusCode::BAD_REQUEST,
            "recipient",
        ),
        ("page=2", StatusCode::BAD_REQUEST, "page"),
    ] {
        let r = app.get(&format!("/v1/disclosures?{query}"), &dpo).await;
        assert_eq!(
            (r.status, r.field()),
            (status, field),
            "{query}: {}",
            r.body
        );
    }
    let editor = app.staff_token(kerro_core::Role::Editor);
    assert_eq!(
        app.get("/v1/disclosures", &editor).await.status,
        StatusCode::FORBIDDEN
    );

    // Withdrawing the recipient, or the purpose, takes the subject out of the next export.
    choose(&app, &yes_token, false).await;
    assert!(partner_export(&app, &service).await.is_empty());
    choose(&app, &yes_token, true).await;
    assert_eq!(partner_export(&app, &service).await, vec![yes.clone()]);
    let r = app
        .put(
            "/v1/me/consents/events",
            &yes_token,
            json!({"given": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        partner_export(&app, &service).await.is_empty(),
        "the purpose's own consent is needed too"
    );
}

#[tokio::test]
async fn choices_and_exports_naming_the_wrong_recipient_are_refused_and_change_nothing() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (_, token) = sharer(&app, "bad@example.fi", None).await;
    let service = app.staff_token(kerro_core::Role::Service);
    let before = app.fingerprint();
    let v = app.notice_version("survey").await;
    for (body, status, field) in [
        (
            json!({"offers": {"tapahtuma": true}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "recipients.offers",
        ),
        (
            json!({"events": {"other": true}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "recipients.events.other",
        ),
        (
            json!({"events": {"tapahtuma": "yes"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "recipients.events.tapahtuma",
        ),
        (
            json!({"events": true}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "recipients.events",
        ),
        (
            json!({"nope": {"tapahtuma": true}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "recipients.nope",
        ),
    ] {
        let r = app
            .post(
                "/v1/forms/survey/submissions",
                &token,
                json!({"consents": {"events": true}, "recipients": body, "notice_version": v}),
            )
            .await;
        assert_eq!((r.status, r.field()), (status, field), "{body}: {}", r.body);
    }
    for (path, status, field) in [
        (
            "/v1/me/consents/events/recipients/other",
            StatusCode::NOT_FOUND,
            "recipient",
        ),
        (
            "/v1/me/consents/offers/recipients/tapahtuma",
            StatusCode::UNPROCESSABLE_ENTITY,
            "purpose",
        ),
        (
            "/v1/me/consents/nope/recipients/tapahtuma",
            StatusCode::NOT_FOUND,
            "purpose",
        ),
    ] {
        let r = app.put(path, &token, json!({"given": true})).await;
        assert_eq!((r.status, r.field()), (status, field), "{path}: {}", r.body);
    }
    for (body, status) in [
        (
            json!({"purpose": "events", "channel": "email", "recipient": "other"}),
            StatusCode::NOT_FOUND,
        ),
        (
            json!({"purpose": "offers", "channel": "email", "recipient": "tapahtuma"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"purpose": "events", "channel": "email", "recipient": 7}),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (got, _) = export(&app, &service, body.clone()).await;
        assert_eq!(got, status, "{body}");
    }
    assert_eq!(app.fingerprint(), before, "nothing was written");
    let r = app
        .raw(
            Method::PUT,
            "/v1/me/consents/events/recipients/tapahtuma",
            Some(&token),
            b"{\"given\": 1}".to_vec(),
        )
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
}

#[tokio::test]
async fn a_recipients_webhook_carries_only_consenting_subjects_and_each_delivery_is_logged() {
    use crate::webhooks::{app as webhook_app, dispatch, of_type, python, Receiver};
    let Some(py) = python("disclosures::a_recipients_webhook") else {
        return;
    };
    let Some(app) = webhook_app().await else {
        return;
    };
    let rx = Receiver::start(&py);
    // Half a pair, and a purpose that shares with no one, are refused.
    for (body, status, field) in [
        (
            json!({"recipient": "tapahtuma"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "purpose",
        ),
        (
            json!({"purpose": "events"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "recipient",
        ),
        (
            json!({"purpose": "offers", "recipient": "tapahtuma"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "purpose",
        ),
        (
            json!({"purpose": "events", "recipient": "other"}),
            StatusCode::NOT_FOUND,
            "recipient",
        ),
    ] {
        let mut b = json!({"url": rx.url, "events": ["consent.given"]});
        b.as_object_mut()
            .unwrap()
            .extend(body.as_object().unwrap().clone());
        let r = app.post("/v1/webhooks", &app.admin, b).await;
        assert_eq!((r.status, r.field()), (status, field), "{body}: {}", r.body);
    }
    let r = app
        .post(
            "/v1/webhooks",
            &app.admin,
            json!({"url": rx.url, "events": ["consent.given", "declaration.changed"],
                   "purpose": "events", "recipient": "tapahtuma", "description": "the event partner's CRM"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(
        (r.body["webhook"]["recipient"]
            .as_str()
            .or(r.body["recipient"].as_str())),
        Some("tapahtuma"),
        "{}",
        r.body
    );
    let secret = r.body["secret"].as_str().unwrap().to_owned();
    rx.control(&secret, 0).await;
    let _d = dispatch(&app, kerro_store::RetrySchedule::default());

    // One who did not choose the recipient first, then one who consented to it.
    let (silent, silent_token) = sharer(&app, "silent@example.fi", None).await;
    let (agreed, agreed_token) = sharer(&app, "agreed@example.fi", Some(true)).await;
    let log = rx
        .wait_for("the consenting subject's events", |l| {
            of_type(l, "consent.given")
                .iter()
                .any(|e| e["body"].as_str().unwrap_or("").contains(&agreed))
                && !of_type(l, "declaration.changed").is_empty()
        })
        .await;
    for e in &log {
        let body = e["body"].as_str().unwrap();
        assert!(
            body.contains(&agreed),
            "only the consenting subject: {body}"
        );
        assert!(!body.contains(&silent), "{body}");
        assert!(!body.contains("vegan"), "no personal value: {body}");
        assert_eq!(e["verified"], true);
    }
    let me = app.get("/v1/me", &agreed_token).await.body;
    let logged: Vec<&Value> = me["disclosures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["via"] == "webhook")
        .collect();
    assert_eq!(logged.len(), log.len(), "one disclosure per delivery: {me}");
    assert!(logged.iter().all(|d| d["recipient"] == "tapahtuma"
        && d["fields"].as_array().unwrap().contains(&json!("subject"))));
    let me = app.get("/v1/me", &silent_token).await.body;
    assert_eq!(me["disclosures"], json!([]), "{me}");
}

#[tokio::test]
async fn the_hosted_form_and_the_preference_centre_show_one_choice_per_recipient() {
    use crate::pages::{get, send, session_for};
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    // The form offers the recipient beside the purpose that shares with it.
    let page = get(&app, "/f/survey?lang=en", "").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains(r#"name="r.events.tapahtuma""#),
        "{}",
        page.text
    );
    assert!(page.text.contains("Tapahtuma Oy (FI)"));
    let cookie = format!("kerro_csrf={}", page.cookie("kerro_csrf").unwrap());
    let (token, version) = (page.hidden("form_token"), page.hidden("notice_version"));
    let posted = send(
        &app,
        Method::POST,
        "/f/survey?lang=en",
        &cookie,
        &[],
        &[
            ("csrf", page.csrf().as_str()),
            ("form_token", token.as_str()),
            ("notice_version", version.as_str()),
            ("c.events", "yes"),
            ("r.events.tapahtuma", "yes"),
            ("a.diet", "vegan"),
        ],
    )
    .await;
    assert!(
        posted.status.is_redirection(),
        "{}: {}",
        posted.status,
        posted.text
    );
    let chosen = app
        .sql()
        .rows(
            "SELECT subject_id, state, method FROM consent_events WHERE recipient = 'tapahtuma'",
            (),
        )
        .unwrap();
    assert_eq!(chosen.len(), 1, "one event for the ticked recipient");
    let id: String = chosen[0].get(0).unwrap();
    assert_eq!(chosen[0].get::<_, String>(1).unwrap(), "given");
    assert_eq!(chosen[0].get::<_, String>(2).unwrap(), "form");

    // The preference centre shows the choice with a switch, and the empty disclosure log.
    let session = session_for(&app, &id);
    let page = get(&app, "/me/consents?lang=en", &session).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("Who receives your data"),
        "{}",
        page.text
    );
    assert!(page.text.contains(r#"id="rtoggle-events-tapahtuma""#));
    assert!(page.text.contains("Stop sharing with Tapahtuma Oy"));
    assert!(page.text.contains(r#"id="disclosures-none""#));
    // A signed-in customer who chose is not asked again on the form.
    let form = get(&app, "/f/survey?lang=en", &session).await;
    assert!(!form.text.contains(r#"name="r.events.tapahtuma""#));
    assert!(form
        .text
        .contains("You agreed to sharing with Tapahtuma Oy"));

    let cookie = session.clone();
    let r = send(
        &app,
        Method::POST,
        "/me/consents/events/recipients/tapahtuma",
        &cookie,
        &[],
        &[("csrf", page.csrf().as_str()), ("given", "false")],
    )
    .await;
    assert!(r.status.is_redirection(), "{}: {}", r.status, r.text);
    let page = get(&app, "/me/consents?lang=en", &session).await;
    assert!(
        page.text.contains("Agree to sharing with Tapahtuma Oy"),
        "{}",
        page.text
    );
    let r = send(
        &app,
        Method::POST,
        "/me/consents/offers/recipients/tapahtuma",
        &cookie,
        &[],
        &[("csrf", page.csrf().as_str()), ("given", "true")],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "no such switch");
}

#[tokio::test]
async fn the_record_page_sums_disclosures_per_recipient_and_downloads_the_register() {
    use crate::pages::get;
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let service = app.staff_token(kerro_core::Role::Service);
    let dpo = app.staff_person("disclosures-dpo@example.fi", kerro_core::Role::Dpo);
    let cookie = format!("{}; kerro_lang=en", dpo.cookie);
    let page = get(&app, "/admin/records", &cookie).await;
    assert!(
        page.text.contains(r#"id="disclosed-none""#),
        "{}",
        page.text
    );
    let (yes, _) = sharer(&app, "page-yes@example.fi", Some(true)).await;
    sharer(&app, "page-no@example.fi", Some(false)).await;
    assert_eq!(partner_export(&app, &service).await, vec![yes.clone()]);
    let page = get(&app, "/admin/records", &cookie).await;
    assert!(page.text.contains(r#"id="disclosed""#), "{}", page.text);
    assert!(
        page.text
            .contains("<td>Tapahtuma Oy</td><td>1</td><td>1</td>"),
        "{}",
        page.text
    );
    let csv = get(&app, "/admin/records/disclosures.csv", &cookie).await;
    assert_eq!(csv.status, StatusCode::OK);
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(lines[0], "at,subject,recipient,purpose,fields,via");
    assert_eq!(lines.len(), 2, "{}", csv.text);
    assert!(
        lines[1].contains(&yes) && lines[1].ends_with(",tapahtuma,events,id,audience_export"),
        "{}",
        lines[1]
    );
    let editor = app.staff_person("disclosures-editor@example.fi", kerro_core::Role::Editor);
    let denied = get(&app, "/admin/records/disclosures.csv", &editor.cookie).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
}
