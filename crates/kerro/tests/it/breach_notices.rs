//! The breach register's notices: the art. 34 messages to the affected
//! subjects, each in their language through the mail path and recorded, and
//! the art. 33 notification as JSON and as escaped printable HTML.

use axum::http::{header, Method, StatusCode};
use kerro_core::Role;
use serde_json::{json, Value};

use crate::breaches::{create, get_text, now, report, rfc3339, token};
use crate::common::TestApp;
use crate::pages::get as get_page;

fn outbox(app: &TestApp) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(app.dir.path().join("outbox")) else {
        return Vec::new();
    };
    dir.map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect()
}

#[tokio::test]
async fn scoped_subjects_get_the_art_34_message_in_their_language() {
    let Some(app) = TestApp::start() else { return };
    let (reader_id, reader) = token(&app, Role::Support);
    let (_, dpo) = token(&app, Role::Dpo);
    let mut ids = Vec::new();
    for (email, locale) in [
        ("fi@example.fi", "fi"),
        ("sv@example.fi", "sv"),
        ("en@example.fi", "en"),
    ] {
        let r = app
            .post(
                "/v1/subjects",
                &app.admin,
                json!({"email": email, "locale": locale}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        ids.push(r.body["id"].as_str().unwrap().to_owned());
    }
    let no_email = app
        .post("/v1/subjects", &app.admin, json!({"locale": "fi"}))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let from = now(&app);
    for s in ids.iter().chain([&no_email]) {
        assert_eq!(
            app.get(&format!("/v1/subjects/{s}"), &reader).await.status,
            StatusCode::OK
        );
    }
    let b = create(&app, &dpo, report(&rfc3339(now(&app)))).await;
    let id = b["id"].as_str().unwrap();
    // No scope yet: nothing to send to.
    let r = app
        .post(
            &format!("/v1/breaches/{id}/subject-messages"),
            &dpo,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.field(), "scope");
    let r = app
        .post(
            &format!("/v1/breaches/{id}/scope"),
            &dpo,
            json!({"from": rfc3339(from), "to": rfc3339(now(&app)), "actors": [reader_id]}),
        )
        .await;
    assert_eq!(r.body["subjects"], 4, "{}", r.body);
    let r = app
        .post(&format!("/v1/breaches/{id}/subject-messages"), &dpo,
              json!({"message": {"fi": "Kannettava varastettiin.", "sv": "En bärbar dator stals.", "en": "A laptop was stolen."}}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (
            r.body["sent"].as_u64(),
            r.body["skipped"].as_u64(),
            r.body["failed"].as_u64()
        ),
        (Some(3), Some(1), Some(0)),
        "{}",
        r.body
    );
    let skipped: Vec<&Value> = r.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["outcome"] == "skipped")
        .collect();
    assert_eq!(skipped[0]["subject"], no_email);
    assert_eq!(skipped[0]["reason"], "no_verified_email");
    // Each message in its subject's language, through the mail path (the file outbox).
    let mails = outbox(&app);
    assert_eq!(mails.len(), 3);
    for (to, phrase, lang) in [
        ("fi@example.fi", "Kerromme", "fi"),
        ("sv@example.fi", "Vi skriver", "sv"),
        ("en@example.fi", "We are writing", "en"),
    ] {
        let m = mails
            .iter()
            .find(|m| m.contains(&format!("To: {to}")))
            .unwrap_or_else(|| panic!("no mail to {to}"));
        assert!(m.contains(phrase), "{lang}: {m}");
        let sent = r.body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["outcome"] == "sent" && x["lang"] == lang)
            .unwrap();
        assert!(ids.contains(&sent["subject"].as_str().unwrap().to_owned()));
    }
    assert!(mails.iter().any(|m| m.contains("A laptop was stolen.")));
    // Every message is recorded and audited, naming its subject.
    assert_eq!(
        app.store
            .audit_count("breach_subject_messaged", None)
            .unwrap(),
        4
    );
    let b = app.get(&format!("/v1/breaches/{id}"), &dpo).await.body;
    assert_eq!(b["messages"], json!({"sent": 3, "failed": 0, "skipped": 1}));
    // The staff page lists every message.
    let person = app.staff_person("breach-messages@example.fi", Role::Dpo);
    let page = get_page(
        &app,
        &format!("/admin/breaches/{id}"),
        &format!("{}; kerro_lang=en", person.cookie),
    )
    .await;
    assert_eq!(
        page.text.matches("<td>sent</td>").count(),
        3,
        "{}",
        page.text
    );
    assert!(
        page.text.contains("not sent (no_verified_email)"),
        "{}",
        page.text
    );
    // A second call reaches nobody new.
    let r = app
        .post(
            &format!("/v1/breaches/{id}/subject-messages"),
            &dpo,
            json!({}),
        )
        .await;
    assert_eq!(r.body["sent"], 0, "{}", r.body);
    assert_eq!(outbox(&app).len(), 3);
    // An erased subject is skipped as such.
    let erased = app
        .post(
            "/v1/subjects",
            &app.admin,
            json!({"email": "gone@example.fi"}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let from = now(&app);
    app.get(&format!("/v1/subjects/{erased}"), &reader).await;
    let t = app.subject_token(&erased).await;
    assert!(app
        .call(Method::DELETE, "/v1/me", Some(&t), None)
        .await
        .status
        .is_success());
    app.post(
        &format!("/v1/breaches/{id}/scope"),
        &dpo,
        json!({"from": rfc3339(from), "to": rfc3339(now(&app)), "actors": [reader_id]}),
    )
    .await;
    let r = app
        .post(
            &format!("/v1/breaches/{id}/subject-messages"),
            &dpo,
            json!({}),
        )
        .await;
    let gone = r.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["subject"] == erased.as_str())
        .unwrap();
    assert_eq!(
        (gone["outcome"].as_str(), gone["reason"].as_str()),
        (Some("skipped"), Some("erased")),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn the_art_33_notification_is_json_and_escaped_printable_html() {
    let Some(app) = TestApp::start() else { return };
    let (_, dpo) = token(&app, Role::Dpo);
    let mut body = report(&rfc3339(now(&app)));
    body["nature"] = json!("<script>alert(1)</script> & more");
    let b = create(&app, &dpo, body).await;
    let id = b["id"].as_str().unwrap();
    app.post(
        &format!("/v1/breaches/{id}/updates"),
        &dpo,
        json!({"text": "Phase <b>two</b>"}),
    )
    .await;
    let n = app
        .get(&format!("/v1/breaches/{id}/notification"), &dpo)
        .await;
    assert_eq!(n.status, StatusCode::OK, "{}", n.body);
    assert_eq!(n.body["format"], "kerro.breach-notification.v1");
    assert_eq!(n.body["breach"], id);
    assert_eq!(n.body["nature"], "<script>alert(1)</script> & more");
    assert_eq!(n.body["approx_subjects"], 120);
    assert_eq!(n.body["phases"][0]["text"], "Phase <b>two</b>");
    assert!(n.body["controller"]["dpo"].is_string());
    let (status, headers, html) = get_text(
        &app,
        &format!("/v1/breaches/{id}/notification?format=html&lang=sv"),
        &dpo,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62; &#38; more"),
        "{html}"
    );
    assert!(
        !html.contains("<script>") && !html.contains("<b>two"),
        "{html}"
    );
    assert!(
        html.contains("lang=\"sv\"") && html.contains("Anmälan av en personuppgiftsincident"),
        "{html}"
    );
    for (query, status, field) in [
        ("?format=xml", StatusCode::UNPROCESSABLE_ENTITY, "format"),
        (
            "?lang=de&format=html",
            StatusCode::UNPROCESSABLE_ENTITY,
            "lang",
        ),
        (
            "?format=html&format=json",
            StatusCode::BAD_REQUEST,
            "format",
        ),
        ("?pretty=1", StatusCode::BAD_REQUEST, "pretty"),
    ] {
        let r = app
            .get(&format!("/v1/breaches/{id}/notification{query}"), &dpo)
            .await;
        assert_eq!(r.status, status, "{query}: {}", r.body);
        assert_eq!(r.field(), field, "{query}");
    }
}
