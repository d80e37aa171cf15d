//! Offers, decisions with reasons, consent masking end to end, contact policy, the decision log.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use serde_json::{json, Value};

use crate::common::TestApp;

async fn offers(app: &TestApp) {
    for (key, body) in [
        (
            "cloud",
            json!({"title": {"en": "Cloud audit", "fi": "Pilviauditointi"}, "body": {"en": "b"}, "purpose": "offers",
            "condition": {"interests": {"$in": ["cloud"]}}, "channels": ["email", "web"], "priority": 5, "topics": ["cloud"]}),
        ),
        (
            "training",
            json!({"title": {"en": "Training"}, "body": {"en": "b"}, "purpose": "offers",
            "condition": {"interests": {"$elemMatch": {"$eq": "training"}}}, "channels": ["email", "web"], "priority": 5}),
        ),
        (
            "newsletter",
            json!({"title": {"en": "Newsletter"}, "body": {"en": "b"}, "purpose": "offers",
            "condition": {}, "channels": ["email", "web"], "priority": 1}),
        ),
        (
            "capped",
            json!({"title": {"en": "Once a month"}, "body": {"en": "b"}, "purpose": "offers",
            "condition": {"review": {"$exists": true}}, "channels": ["email"], "priority": 9, "max_per_subject": 1, "period_days": 30}),
        ),
    ] {
        let r = app
            .put(&format!("/v1/offers/{key}"), &app.admin, body)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{key}: {}", r.body);
    }
}

async fn opt_in(app: &TestApp, token: &str, cap: Option<u32>) {
    let r = app
        .put(
            "/v1/me/contact",
            token,
            json!({"channels": {"email": true, "web": true}, "max_per_week": cap}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

async fn decide(app: &TestApp, subject: &str, channel: &str, extra: Value) -> Value {
    let mut body = json!({"subject": subject, "channel": channel, "limit": 10});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = app.post("/v1/decisions", &app.admin, body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

/// Reports offer `key` of decision `d` sent by e-mail at `at`.
async fn sent(app: &TestApp, d: &Value, key: &str, at: &str) {
    let r = app
        .post(
            "/v1/deliveries",
            &app.admin,
            json!({"decision_id": d["decision_id"], "offer": key, "channel": "email", "sent_at": at}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

fn keys(d: &Value) -> Vec<&str> {
    d["offers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["key"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn offers_are_type_checked_with_the_path_of_the_problem() {
    let Some(app) = TestApp::start_with(|c| c.privacy.special_categories = true) else {
        return;
    };
    app.schema().await;
    let base = |condition: Value| json!({"title": {"en": "t"}, "body": {"en": "b"}, "purpose": "offers", "condition": condition, "channels": ["web"]});
    for (condition, code, field) in [
        (
            json!({"country": "FI"}),
            "invalid_value",
            "condition.country",
        ),
        (json!({"size": "large"}), "invalid_value", "condition.size"),
        (
            json!({"interests": {"$gt": "cloud"}}),
            "invalid_value",
            "condition.interests.$gt",
        ),
        (
            json!({"interests": "cloud"}),
            "invalid_value",
            "condition.interests",
        ),
        (
            json!({"interests": {"$in": ["mars"]}}),
            "invalid_value",
            "condition.interests.$in",
        ),
        (
            json!({"attending": {"$regex": "x"}}),
            "invalid_value",
            "condition.attending.$regex",
        ),
    ] {
        let r = app
            .put("/v1/offers/o", &app.admin, base(condition.clone()))
            .await;
        assert_eq!(
            (r.status, r.code(), r.field()),
            (StatusCode::UNPROCESSABLE_ENTITY, code, field),
            "{condition}"
        );
    }
    let r = app
        .put("/v1/attributes/health", &app.admin, json!({"title": {"en": "h"}, "kind": "text", "purposes": ["offers"], "special_category": true}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = app
        .put(
            "/v1/offers/o",
            &app.admin,
            base(json!({"health": {"$exists": true}})),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "special_category")
    );
    let r = app
        .put(
            "/v1/offers/o",
            &app.admin,
            base(json!({"interests": {"$all": ["cloud", "ot"]}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["reads"], json!(["interests"]));
    // A schema change that would break a saved offer is refused.
    let mut a = app.get("/v1/attributes/interests", &app.admin).await.body;
    a.as_object_mut().unwrap().remove("key");
    a["purposes"] = json!(["events"]);
    let r = app.put("/v1/attributes/interests", &app.admin, a).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("offer 'o'"),
        "{}",
        r.body
    );
    assert_eq!(
        app.call(Method::DELETE, "/v1/offers/o", Some(&app.admin), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get("/v1/offers/o", &app.admin).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn decisions_explain_themselves_and_follow_consent() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    offers(&app).await;
    let (id, token) = app.answered_subject("d1@example.fi").await;
    // No channel opt-in yet: nothing (P19).
    let d = decide(&app, &id, "email", json!({})).await;
    assert_eq!(
        (keys(&d), d["limited_by"].as_str()),
        (vec![], Some("channel_not_opted_in"))
    );
    opt_in(&app, &token, None).await;
    let d = decide(&app, &id, "email", json!({})).await;
    assert_eq!(keys(&d), vec!["capped", "cloud", "newsletter"]);
    let cloud = &d["offers"][1];
    assert_eq!(
        cloud["title"], "Pilviauditointi",
        "the subject's locale is fi"
    );
    assert_eq!(cloud["personalized"], true);
    assert_eq!(cloud["reasons"]["values"][0]["attribute"], "interests");
    assert_eq!(
        cloud["reasons"]["values"][0]["value"],
        json!(["cloud", "ot"])
    );
    assert_eq!(cloud["reasons"]["values"][0]["form"], "survey");
    assert_eq!(cloud["reasons"]["consent"]["purpose"], "offers");
    assert!(cloud["reasons"]["consent"]["record_id"]
        .as_str()
        .unwrap()
        .starts_with("rec_"));
    assert_eq!(d["offers"][2]["personalized"], false);
    // Deciding is not sending: the same offers come again until one is reported sent.
    let again = decide(&app, &id, "email", json!({})).await;
    assert_eq!(keys(&again), vec!["capped", "cloud", "newsletter"]);
    let at = app.clock.lock().unwrap().to_rfc3339();
    sent(&app, &d, "capped", &at).await;
    // The offer's own cap: sent once, not again within 30 days.
    let d = decide(&app, &id, "email", json!({})).await;
    assert_eq!(keys(&d), vec!["cloud", "newsletter"]);
    // Rectification applies to the next decision (P13).
    let r = app
        .call(
            Method::PATCH,
            "/v1/me/declarations",
            Some(&token),
            Some(json!({"interests": ["training"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        keys(&decide(&app, &id, "web", json!({"dry_run": true})).await),
        vec!["training", "newsletter"]
    );
    // Withdrawal: only the generic offer remains (P6).
    app.put("/v1/me/consents/offers", &token, json!({"given": false}))
        .await;
    let d = decide(&app, &id, "web", json!({"dry_run": true})).await;
    assert_eq!(keys(&d), vec!["newsletter"]);
    // The subject sees the same, with why, through self-service.
    let r = app.get("/v1/me/offers?channel=web", &token).await;
    assert_eq!(keys(&r.body), vec!["newsletter"]);
    assert_eq!(
        app.get("/v1/me/offers?channel=pigeon", &token).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn the_weekly_cap_holds_and_the_log_is_exported_and_erased() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    offers(&app).await;
    let (id, token) = app.answered_subject("d2@example.fi").await;
    opt_in(&app, &token, Some(2)).await;
    let d = decide(&app, &id, "email", json!({})).await;
    assert_eq!(
        (keys(&d).len(), d["limited_by"].as_str()),
        (2, Some("weekly_cap_reached"))
    );
    let at = app.clock.lock().unwrap().to_rfc3339();
    for k in keys(&d) {
        sent(&app, &d, k, &at).await;
    }
    let d = decide(&app, &id, "email", json!({})).await;
    assert!(
        keys(&d).is_empty(),
        "the subject's own cap is never exceeded"
    );
    // The cap is on messages: the web still shows offers.
    assert!(!keys(&decide(&app, &id, "web", json!({"dry_run": true})).await).is_empty());
    // A week later the cap has room again.
    app.advance(Duration::days(8));
    let token = app.subject_token(&id).await;
    assert_eq!(keys(&decide(&app, &id, "email", json!({})).await).len(), 2);
    // The decision log is part of the export (it is written in batches; wait for it).
    // Two choices, the two messages sent, two choices a week later.
    let mut logged = 0;
    for _ in 0..100 {
        let ex = app.get("/v1/me/export", &token).await.body;
        logged = ex["decisions"].as_array().unwrap().len();
        if logged == 6 {
            assert_eq!(
                ex["decisions"][0]["reasons"]["consent"]["purpose"],
                "offers"
            );
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(logged, 6);
    // Erasure removes it with everything else.
    app.call(Method::DELETE, "/v1/me", Some(&token), None).await;
    let conn = app.sql();
    let left: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM decisions WHERE subject_id = ?1",
            [&id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0);
    let r = app
        .post(
            "/v1/decisions",
            &app.admin,
            json!({"subject": id, "channel": "web"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::GONE);
}

#[tokio::test]
async fn minimisation_report_lists_what_no_offer_reads() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    offers(&app).await;
    app.answered_subject("m1@example.fi").await;
    app.answered_subject("m2@example.fi").await;
    let r = app.get("/v1/reports/minimisation", &app.admin).await;
    assert_eq!(r.status, StatusCode::OK);
    let rows = r.body["attributes"].as_array().unwrap();
    let names: Vec<&str> = rows
        .iter()
        .map(|a| a["attribute"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["attending", "diet", "employees", "size"],
        "interests and review are read by offers"
    );
    let size = rows.iter().find(|a| a["attribute"] == "size").unwrap();
    assert_eq!(size["subjects_holding"], 2);
    assert_eq!(size["forms"], json!(["survey"]));
}

#[tokio::test]
async fn audiences_count_and_export_only_who_may_be_reached() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let mut tokens = Vec::new();
    for i in 0..6 {
        let (id, token) = app.answered_subject(&format!("aud{i}@example.fi")).await; // interests [cloud, ot], offers given
        tokens.push((id, token));
    }
    // 0-3 opt in to email; 4 only web; 5 nothing.
    for (_, t) in &tokens[..4] {
        opt_in(&app, t, None).await;
    }
    app.put(
        "/v1/me/contact",
        &tokens[4].1,
        json!({"channels": {"web": true}}),
    )
    .await;
    // 1 changes interests; 2 withdraws consent; 3 is erased.
    app.call(
        Method::PATCH,
        "/v1/me/declarations",
        Some(&tokens[1].1),
        Some(json!({"interests": ["training"]})),
    )
    .await;
    app.put(
        "/v1/me/consents/offers",
        &tokens[2].1,
        json!({"given": false}),
    )
    .await;
    app.call(Method::DELETE, "/v1/me", Some(&tokens[3].1), None)
        .await;

    let count = |cond: Value, channel: &'static str| {
        let app = &app;
        async move {
            let r = app
                .post(
                    "/v1/audiences/count",
                    &app.admin,
                    json!({"purpose": "offers", "channel": channel, "condition": cond}),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            r.body["count"].as_u64().unwrap()
        }
    };
    assert_eq!(
        count(json!({}), "email").await,
        2,
        "0 and 1: consent, email opt-in, not erased"
    );
    assert_eq!(
        count(json!({"interests": {"$in": ["cloud"]}}), "email").await,
        1
    );
    assert_eq!(
        count(json!({"interests": {"$in": ["training"]}}), "email").await,
        1
    );
    assert_eq!(
        count(json!({"interests": {"$nin": ["cloud"]}}), "email").await,
        1
    );
    assert_eq!(
        count(json!({}), "web").await,
        3,
        "0, 1 and 4 opted in to web"
    );
    assert_eq!(count(json!({}), "sms").await, 0);
    // Type-checked like offers.
    let r = app
        .post(
            "/v1/audiences/count",
            &app.admin,
            json!({"purpose": "offers", "channel": "email", "condition": {"size": "large"}}),
        )
        .await;
    assert_eq!(
        (r.status, r.field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "condition.size")
    );
    let r = app
        .post(
            "/v1/audiences/count",
            &app.admin,
            json!({"purpose": "nope", "channel": "email"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Export: ids, and e-mail addresses only for the email channel.
    let service = app.staff_token(kerro_core::Role::Service);
    let r = app
        .raw(
            Method::POST,
            "/v1/audiences/export",
            Some(&service),
            serde_json::to_vec(
                &json!({"purpose": "offers", "channel": "email", "include_email": true}),
            )
            .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app.router.clone();
    let req = axum::http::Request::builder()
        .method("POST")
        .uri("/v1/audiences/export")
        .header("authorization", format!("Bearer {service}"))
        .body(axum::body::Body::from(
            json!({"purpose": "offers", "channel": "email", "include_email": true}).to_string(),
        ))
        .unwrap();
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let resp = r.oneshot(req).await.unwrap();
    assert_eq!(resp.headers()["content-type"], "application/x-ndjson");
    let text = String::from_utf8(
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    let mut lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    lines.sort_by_key(|l| l["email"].as_str().unwrap().to_owned());
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["email"], "aud0@example.fi");
    assert_eq!(lines[0]["id"], tokens[0].0.as_str());
    let r = app
        .post(
            "/v1/audiences/export",
            &service,
            json!({"purpose": "offers", "channel": "web", "include_email": true}),
        )
        .await;
    assert_eq!(
        (r.status, r.field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "include_email")
    );
    assert_eq!(app.store.audit_count("audience_exported", None).unwrap(), 2);
}

#[tokio::test]
async fn restriction_and_objection_stop_every_marketing_offer() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    offers(&app).await;
    let (id, token) = app.answered_subject("p14@example.fi").await;
    opt_in(&app, &token, None).await;
    assert_eq!(reach(&app, &id).await, (3, 1));
    let r = app
        .put("/v1/me/rights", &token, json!({"objected_marketing": true}))
        .await;
    assert_eq!(
        r.body,
        json!({"restricted": false, "objected_marketing": true, "objected_sharing": false})
    );
    assert_eq!(
        reach(&app, &id).await,
        (0, 0),
        "objection stops every marketing offer and audience (P14)"
    );
    app.put(
        "/v1/me/rights",
        &token,
        json!({"objected_marketing": false, "restricted": true}),
    )
    .await;
    let d = decide(&app, &id, "email", json!({"dry_run": true})).await;
    assert_eq!(
        (keys(&d).len(), d["limited_by"].as_str()),
        (0, Some("restricted"))
    );
    assert_eq!(reach(&app, &id).await.1, 0);
    let me = app.get("/v1/me", &token).await.body;
    assert_eq!(me["subject"]["restricted"], true);
    assert_eq!(
        me["declarations"].as_array().unwrap().len(),
        3,
        "restriction keeps the data"
    );
    app.put("/v1/me/rights", &token, json!({"restricted": false}))
        .await;
    assert_eq!(reach(&app, &id).await, (3, 1));
    let r = app.put("/v1/me/rights", &token, json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// How many offers the subject would get by e-mail, and how many subjects the `offers` e-mail audience reaches.
async fn reach(app: &TestApp, id: &str) -> (usize, u64) {
    let r = app
        .post(
            "/v1/audiences/count",
            &app.admin,
            json!({"purpose": "offers", "channel": "email"}),
        )
        .await;
    (
        keys(&decide(app, id, "email", json!({"dry_run": true})).await).len(),
        r.body["count"].as_u64().unwrap(),
    )
}

/// Offers may start and end anywhere in chrono's range: decisions, previews
/// at both ends of their year and the caps keep working around them, and a
/// dry run neither counts as a delivery nor reaches the decision log.
#[tokio::test]
async fn offer_dates_at_chronos_edges_and_dry_runs_that_record_nothing() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (id, token) = app.answered_subject("edges@example.fi").await;
    opt_in(&app, &token, None).await;
    let (min, max) = ("-262143-01-01T00:00:00Z", "+262142-12-31T23:59:59Z");
    for (key, from, until) in [
        ("always", min, max),
        ("ended", min, "-262143-01-01T00:00:01Z"),
        ("someday", "+262142-12-31T23:59:58Z", max),
    ] {
        let body = json!({"title": {"en": key}, "body": {"en": "b"}, "purpose": "offers", "channels": ["web"],
                          "valid_from": from, "valid_until": until, "max_per_subject": 2, "period_days": 3650});
        let r = app
            .put(&format!("/v1/offers/{key}"), &app.admin, body)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{key}: {}", r.body);
    }
    let r = app.get("/v1/offers/always", &app.admin).await;
    assert_eq!(
        (&r.body["valid_from"], &r.body["valid_until"]),
        (&json!(min), &json!(max))
    );
    for now in ["2025-03-01T09:00:00Z", "2027-03-01T09:00:00Z"] {
        let d = decide(&app, &id, "web", json!({"now": now, "dry_run": true})).await;
        assert_eq!((keys(&d), &d["decided_at"]), (vec!["always"], &json!(now)));
    }
    for _ in 0..3 {
        assert_eq!(
            keys(&decide(&app, &id, "web", json!({"dry_run": true})).await),
            ["always"]
        );
    }
    // Only the live decisions count: the cap of two holds after two of them.
    assert_eq!(keys(&decide(&app, &id, "web", json!({})).await), ["always"]);
    assert_eq!(keys(&decide(&app, &id, "web", json!({})).await), ["always"]);
    assert!(keys(&decide(&app, &id, "web", json!({})).await).is_empty());
    // The log holds the two live ones, written in order after any dry run would have been.
    let logged = || -> i64 {
        app.sql()
            .query_row(
                "SELECT COUNT(*) FROM decisions WHERE subject_id = ?1",
                [&id],
                |r| r.get(0),
            )
            .unwrap()
    };
    let mut n = 0;
    for _ in 0..100 {
        n = logged();
        if n >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(n, 2, "only live decisions are logged");
}
