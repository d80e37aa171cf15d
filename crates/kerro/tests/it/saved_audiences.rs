//! Saved audiences: defined once, sized now and by day, refused when they do
//! not type-check for their purpose, and reused by campaigns, which copy what
//! the audience was when they were created.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use serde_json::{json, Value};

use crate::common::TestApp;
use crate::messages::{newsletter, reachable_subject};

const CLOUD: &str = "/v1/audiences/cloud_readers";

fn cloud_readers() -> Value {
    json!({"name": "Cloud readers", "purpose": "offers", "channel": "email",
           "condition": {"interests": {"$in": ["cloud"]}}})
}

/// Subjects reachable by e-mail who declared cloud (two) and one who did not.
async fn three_subjects(app: &TestApp) -> Vec<String> {
    let mut ids = Vec::new();
    for n in 0..3 {
        let (id, token) = reachable_subject(app, &format!("a{n}@example.com"), 3).await;
        if n == 2 {
            let r = app
                .call(
                    Method::PATCH,
                    "/v1/me/declarations",
                    Some(&token),
                    Some(json!({"interests": ["ot"]})),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
        ids.push(id);
    }
    ids
}

async fn count(app: &TestApp, body: &Value) -> u64 {
    let r = app
        .post(
            "/v1/audiences/count",
            &app.admin,
            json!({"purpose": body["purpose"], "channel": body["channel"], "condition": body["condition"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["count"].as_u64().unwrap()
}

#[tokio::test]
async fn a_saved_audience_is_created_sized_replaced_listed_and_deleted() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    three_subjects(&app).await;

    let r = app.put(CLOUD, &app.admin, cloud_readers()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["key"], "cloud_readers");
    assert_eq!(r.body["size"], 2);
    assert_eq!(
        r.body["size"].as_u64().unwrap(),
        count(&app, &cloud_readers()).await
    );
    assert_eq!(r.body["created_by"], r.body["updated_by"]);

    // Replaced: the size follows the new condition, today's size is the new one.
    let everyone = json!({"name": "Everyone on e-mail", "purpose": "offers", "channel": "email"});
    let r = app.put(CLOUD, &app.admin, everyone.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["size"], 3);
    assert_eq!(r.body["condition"], json!({}));
    let got = app.get(CLOUD, &app.admin).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.body["name"], "Everyone on e-mail");
    let sizes = got.body["sizes"].as_array().unwrap();
    assert_eq!(sizes.len(), 1, "{sizes:?}");
    assert_eq!(sizes[0]["size"], 3);

    // Listed by key; support may read it, but not change it.
    app.put(
        "/v1/audiences/all_web",
        &app.admin,
        json!({"name": "Web", "purpose": "offers", "channel": "web"}),
    )
    .await;
    let support = app.staff_token(kerro_core::Role::Support);
    let list = app.get("/v1/audiences", &support).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let keys: Vec<&str> = list.body["audiences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["all_web", "cloud_readers"]);
    let r = app.put(CLOUD, &support, cloud_readers()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // Every change is audited under the caller's name.
    let r = app
        .call(Method::DELETE, CLOUD, Some(&app.admin), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(
        app.get(CLOUD, &app.admin).await.status,
        StatusCode::NOT_FOUND
    );
    let r = app
        .call(Method::DELETE, CLOUD, Some(&app.admin), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let conn = app.sql();
    let kinds: Vec<String> = conn
        .rows(
            "SELECT detail FROM audit_log WHERE action = 'schema_changed' AND detail LIKE '%cloud_readers%' ORDER BY seq",
            (),
        )
        .unwrap()
        .iter()
        .map(|r| r.get::<_, String>(0).unwrap())
        .collect();
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    for (detail, kind) in
        kinds
            .iter()
            .zip(["audience_created", "audience_replaced", "audience_deleted"])
    {
        assert!(detail.contains(kind), "{detail} lacks {kind}");
    }
}

#[tokio::test]
async fn sizes_are_written_down_once_a_day() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let ids = three_subjects(&app).await;
    let r = app.put(CLOUD, &app.admin, cloud_readers()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let now = *app.clock.lock().unwrap();
    let store = &app.state.store;
    // Today's size was written when it was created: nothing more today.
    assert_eq!(store.note_audience_sizes(now).unwrap(), 0);
    // The next day one subject leaves e-mail; the day's first size is kept.
    let token = app.subject_token(&ids[0]).await;
    let r = app
        .put("/v1/me/contact", &token, json!({"channels": {"web": true}}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let tomorrow = now + Duration::days(1);
    assert_eq!(store.note_audience_sizes(tomorrow).unwrap(), 1);
    assert_eq!(store.note_audience_sizes(tomorrow).unwrap(), 0);
    let key = kerro_core::AudienceKey::parse("k", "cloud_readers").unwrap();
    let sizes: Vec<(String, u64)> = store
        .audience_sizes(&key, tomorrow)
        .unwrap()
        .into_iter()
        .map(|s| (s.day.to_string(), s.size))
        .collect();
    assert_eq!(
        sizes,
        [
            (now.date_naive().to_string(), 2),
            (tomorrow.date_naive().to_string(), 1)
        ]
    );
    // Past the kept days, old sizes are forgotten.
    let later = now + Duration::days(kerro_store::SIZE_DAYS + 2);
    store.note_audience_sizes(later).unwrap();
    let kept = store.audience_sizes(&key, later).unwrap();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0].day, later.date_naive());
}

#[tokio::test]
async fn a_bad_saved_audience_is_refused_beside_its_field_and_changes_nothing() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let r = app.put(CLOUD, &app.admin, cloud_readers()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let before = app.get(CLOUD, &app.admin).await.body;
    let fingerprint = app.fingerprint();
    let with = |k: &str, v: Value| {
        let mut b = cloud_readers();
        b[k] = v;
        b
    };
    let cases: Vec<(&str, Value, StatusCode, &str)> = vec![
        (
            CLOUD,
            with("name", json!("")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            CLOUD,
            with("name", json!("   ")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            CLOUD,
            with("name", json!("x".repeat(121))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            CLOUD,
            with("name", json!("a\u{0007}b")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            CLOUD,
            with("channel", json!("pigeon")),
            StatusCode::BAD_REQUEST,
            "channel",
        ),
        (
            CLOUD,
            with("purpose", json!("nope")),
            StatusCode::NOT_FOUND,
            "purpose",
        ),
        (
            CLOUD,
            with("purpose", json!("Not A Key")),
            StatusCode::NOT_FOUND,
            "purpose",
        ),
        // Another purpose's attribute, and $gt on a choice.
        (
            CLOUD,
            with("condition", json!({"size": "large"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "condition.size",
        ),
        (
            CLOUD,
            with("condition", json!({"interests": {"$gt": "cloud"}})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "condition.interests.$gt",
        ),
        (
            CLOUD,
            with("condition", json!([1])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "condition",
        ),
        (CLOUD, with("extra", json!(1)), StatusCode::BAD_REQUEST, ""),
        (
            "/v1/audiences/Bad%20Key",
            cloud_readers(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "key",
        ),
    ];
    for (path, body, status, field) in cases {
        let r = app.put(path, &app.admin, body.clone()).await;
        assert_eq!(r.status, status, "{path} {body}: {}", r.body);
        if !field.is_empty() {
            assert_eq!(r.body["error"]["field"], field, "{body}: {}", r.body);
        }
    }
    // The API's own routes are not keys.
    for path in ["/v1/audiences/count", "/v1/audiences/export"] {
        let r = app.put(path, &app.admin, cloud_readers()).await;
        assert!(r.status.is_client_error(), "{path}: {}", r.status);
    }
    assert_eq!(app.get(CLOUD, &app.admin).await.body, before);
    assert_eq!(app.fingerprint(), fingerprint);
}

#[tokio::test]
async fn a_campaign_to_a_saved_audience_copies_it_when_created() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    newsletter(&app).await;
    let ids = three_subjects(&app).await;
    let r = app.put(CLOUD, &app.admin, cloud_readers()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = app
        .post(
            "/v1/campaigns",
            &app.staff_token(kerro_core::Role::Editor),
            json!({"offer": "newsletter", "audience": "cloud_readers"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["audience"], "cloud_readers");
    assert_eq!(r.body["purpose"], "offers");
    assert_eq!(
        r.body["condition"],
        json!({"interests": {"$in": ["cloud"]}})
    );
    let id = r.body["id"].as_str().unwrap().to_owned();

    // Widening the saved audience later does not widen the campaign.
    let everyone = json!({"name": "Everyone", "purpose": "offers", "channel": "email"});
    assert_eq!(
        app.put(CLOUD, &app.admin, everyone).await.status,
        StatusCode::OK
    );
    let now = *app.clock.lock().unwrap();
    kerro::web::CampaignSender::new(app.state.clone())
        .run_once(now)
        .unwrap();
    let c = app.get(&format!("/v1/campaigns/{id}"), &app.admin).await;
    assert_eq!(c.body["planned"], 2, "{}", c.body);
    let sent: Vec<String> = app
        .sql()
        .rows(
            "SELECT subject_id FROM campaign_recipients WHERE campaign_id = ?1 ORDER BY subject_id",
            [id.as_str()],
        )
        .unwrap()
        .iter()
        .map(|r| r.get::<_, String>(0).unwrap())
        .collect();
    let mut cloud = ids[..2].to_vec();
    cloud.sort();
    assert_eq!(sent, cloud);
}

#[tokio::test]
async fn a_campaign_refuses_a_saved_audience_it_cannot_use() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    newsletter(&app).await;
    let web = json!({"name": "Web", "purpose": "offers", "channel": "web"});
    assert_eq!(
        app.put("/v1/audiences/on_web", &app.admin, web)
            .await
            .status,
        StatusCode::CREATED
    );
    let events = json!({"name": "Events", "purpose": "events", "channel": "email"});
    assert_eq!(
        app.put("/v1/audiences/events", &app.admin, events)
            .await
            .status,
        StatusCode::CREATED
    );
    let fingerprint = app.fingerprint();
    for (audience, status) in [
        (json!("on_web"), StatusCode::UNPROCESSABLE_ENTITY),
        (json!("events"), StatusCode::UNPROCESSABLE_ENTITY),
        (json!("nobody_saved"), StatusCode::NOT_FOUND),
        (json!("Not A Key"), StatusCode::NOT_FOUND),
        (json!(7), StatusCode::BAD_REQUEST),
        (json!(["on_web"]), StatusCode::BAD_REQUEST),
    ] {
        let r = app
            .post(
                "/v1/campaigns",
                &app.admin,
                json!({"offer": "newsletter", "audience": audience}),
            )
            .await;
        assert_eq!(r.status, status, "{audience}: {}", r.body);
        assert_eq!(
            r.body["error"]["field"], "audience",
            "{audience}: {}",
            r.body
        );
    }
    assert_eq!(app.fingerprint(), fingerprint);
}
