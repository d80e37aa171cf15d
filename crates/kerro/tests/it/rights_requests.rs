//! Rights requests (P15): the deadline of one calendar month (31 January
//! gives the last day of February), extensions up to three months with a
//! reason, identity verification, completion with evidence, the open and
//! overdue lists and the CSV export; the customer's own actions recorded as
//! completed requests, which outlive an erasure.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::common::TestApp;

pub async fn request(app: &TestApp, subject: &str, kind: &str, received_at: &str) -> Value {
    let r = app
        .post(
            "/v1/rights-requests",
            &app.admin,
            json!({"subject": subject, "kind": kind, "received_at": received_at, "channel": "email",
                   "note": "asked by e-mail to the DPO"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body
}

fn at(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

async fn csv(app: &TestApp, query: &str) -> (StatusCode, String, String) {
    let req = Request::builder()
        .uri(format!("/v1/rights-requests?{query}"))
        .header("authorization", format!("Bearer {}", app.admin))
        .body(Body::empty())
        .unwrap();
    let resp = app.router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let kind = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, kind, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn a_request_is_due_in_a_calendar_month_extended_verified_and_completed() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let id = app.subject("asks@example.com").await;
    // The clock is 1 March 2026: received on 31 January, due on 28 February.
    let r = request(&app, &id, "access", "2026-01-31T10:00:00Z").await;
    assert_eq!(at(&r["due_at"]), at(&json!("2026-02-28T10:00:00Z")));
    assert_eq!(
        (r["state"].as_str(), r["overdue"].as_bool()),
        (Some("open"), Some(true))
    );
    let rid = r["id"].as_str().unwrap().to_owned();
    let path = |tail: &str| format!("/v1/rights-requests/{rid}{tail}");

    let overdue = app
        .get("/v1/rights-requests?state=overdue", &app.admin)
        .await;
    assert_eq!(
        overdue.body.as_array().unwrap().len(),
        1,
        "{}",
        overdue.body
    );

    // Extended by one month, with a reason: due 31 March, no longer overdue.
    let r = app
        .post(
            &path("/extend"),
            &app.admin,
            json!({"months": 1, "reason": "many requests this month"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(at(&r.body["due_at"]), at(&json!("2026-03-31T10:00:00Z")));
    assert_eq!(r.body["overdue"], false);
    assert_eq!(
        r.body["extensions"][0]["reason"],
        "many requests this month"
    );
    let overdue = app
        .get("/v1/rights-requests?state=overdue", &app.admin)
        .await;
    assert_eq!(overdue.body, json!([]));
    // At most three months after receipt in all, and never without a reason.
    for (body, field) in [
        (json!({"months": 2, "reason": "more"}), "months"),
        (json!({"months": 3, "reason": "more"}), "months"),
        (json!({"months": 0, "reason": "more"}), "months"),
        (json!({"months": 1, "reason": "  "}), "reason"),
    ] {
        let r = app.post(&path("/extend"), &app.admin, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.body
        );
        assert_eq!(r.body["error"]["field"], field, "{body}");
    }
    let r = app
        .post(
            &path("/extend"),
            &app.admin,
            json!({"months": 1, "reason": "complex"}),
        )
        .await;
    assert_eq!(at(&r.body["due_at"]), at(&json!("2026-04-30T10:00:00Z")));

    // Identity verified once, by the caller.
    let r = app
        .post(&path("/identity-verified"), &app.admin, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body["identity_verified_by"]
        .as_str()
        .unwrap()
        .contains("admin"));
    let again = app
        .post(&path("/identity-verified"), &app.admin, json!({}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    // Completed with evidence, once; then it is no longer open nor extendable.
    let r = app
        .post(&path("/complete"), &app.admin, json!({"evidence": ""}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app
        .post(
            &path("/complete"),
            &app.admin,
            json!({"evidence": "export sent to the verified address"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["state"], "completed");
    assert_eq!(r.body["evidence"], "export sent to the verified address");
    for tail in ["/complete", "/extend"] {
        let body = if tail == "/complete" {
            json!({"evidence": "x"})
        } else {
            json!({"months": 1, "reason": "x"})
        };
        let r = app.post(&path(tail), &app.admin, body).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{tail}: {}", r.body);
    }
    assert_eq!(
        app.get("/v1/rights-requests", &app.admin).await.body,
        json!([])
    );
    let all = app.get("/v1/rights-requests?state=all", &app.admin).await;
    assert_eq!(all.body.as_array().unwrap().len(), 1);

    // Every change is in the audit log under the subject.
    let changes: Vec<String> = app
        .sql()
        .rows(
            "SELECT detail FROM audit_log WHERE action = 'rights_request_changed' ORDER BY seq",
            (),
        )
        .unwrap()
        .iter()
        .map(|r| r.get::<_, String>(0).unwrap())
        .collect();
    let said: Vec<&str> = [
        "received",
        "extended",
        "extended",
        "identity_verified",
        "completed",
    ]
    .to_vec();
    assert_eq!(changes.len(), said.len(), "{changes:?}");
    for (c, s) in changes.iter().zip(said) {
        assert!(c.contains(&format!("\"change\":\"{s}\"")), "{c} is not {s}");
    }
}

#[tokio::test]
async fn the_register_is_exported_as_csv_by_due_date() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let a = app.subject("first@example.com").await;
    let b = app.subject("second@example.com").await;
    let later = request(&app, &a, "erasure", "2026-02-20T08:00:00Z").await;
    let sooner = request(&app, &b, "objection", "2026-02-10T08:00:00Z").await;
    let (status, kind, text) = csv(&app, "format=csv&state=all").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/csv"), "{kind}");
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let ids: Vec<String> = rows
        .records()
        .map(|r| r.unwrap().get(0).unwrap().to_owned())
        .collect();
    assert_eq!(
        ids,
        [
            sooner["id"].as_str().unwrap(),
            later["id"].as_str().unwrap()
        ]
    );
    let (status, _, _) = csv(&app, "format=xml").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _, _) = csv(&app, "format=csv&format=csv").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_customers_own_actions_are_completed_requests_that_outlive_erasure() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (id, token) = app.answered_subject("self@example.com").await;
    let staff_made = request(&app, &id, "access", "2026-02-27T08:00:00Z").await;
    let r = app
        .call(
            Method::PATCH,
            "/v1/me/declarations",
            Some(&token),
            Some(json!({"interests": ["ot"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        app.get("/v1/me/export", &token).await.status,
        StatusCode::OK
    );
    let r = app
        .put("/v1/me/rights", &token, json!({"restricted": true}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Lifting it again is not a request.
    app.put("/v1/me/rights", &token, json!({"restricted": false}))
        .await;
    let r = app
        .put("/v1/me/rights", &token, json!({"objected_marketing": true}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app.call(Method::DELETE, "/v1/me", Some(&token), None).await;
    assert!(r.status.is_success(), "{}", r.body);

    let all = app
        .get("/v1/rights-requests?state=all", &app.admin)
        .await
        .body;
    let mut own: Vec<(String, String)> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["channel"] == "self_service")
        .map(|r| {
            assert_eq!(r["state"], "completed", "{r}");
            assert_eq!(r["subject"], id.as_str());
            assert!(
                r["evidence"]
                    .as_str()
                    .unwrap()
                    .starts_with("self-service: "),
                "{r}"
            );
            (
                r["kind"].as_str().unwrap().to_owned(),
                r["evidence"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    own.sort();
    let kinds: Vec<&str> = own.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "access",
            "erasure",
            "objection",
            "rectification",
            "restriction"
        ],
        "{own:?}"
    );
    assert!(own.iter().any(|(_, e)| e.contains("interests")), "{own:?}");
    // The staff-recorded request stays, without its free-text note.
    let kept = app
        .get(
            &format!("/v1/rights-requests/{}", staff_made["id"].as_str().unwrap()),
            &app.admin,
        )
        .await;
    assert_eq!(kept.status, StatusCode::OK);
    assert_eq!(kept.body["note"], Value::Null, "{}", kept.body);
    assert_eq!(kept.body["state"], "open");
    // An erased subject gets no new request.
    let r = app
        .post(
            "/v1/rights-requests",
            &app.admin,
            json!({"subject": id, "kind": "access", "received_at": "2026-02-28T08:00:00Z", "channel": "post"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::GONE, "{}", r.body);
    // Staff acting through the API record no self-service request.
    let other = app.subject("other@example.com").await;
    let before = app
        .get("/v1/rights-requests?state=all", &app.admin)
        .await
        .body;
    let staff_token = app
        .post(
            &format!("/v1/subjects/{other}/tokens"),
            &app.admin,
            json!({}),
        )
        .await;
    assert!(staff_token.status.is_success(), "{}", staff_token.body);
    assert_eq!(
        app.get("/v1/rights-requests?state=all", &app.admin)
            .await
            .body,
        before
    );
}
