//! Every route with every role, with a subject token and with no token.

use axum::http::{Method, StatusCode};
use kerro_core::Role;
use serde_json::{json, Value};

use crate::common::TestApp;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Nobody,
    Subject,
    Staff(Role),
}

/// What a caller may do: `true` means the call is allowed (the test then expects a 2xx).
fn allowed(route: &str, who: Who) -> bool {
    use Role::*;
    let staff = |roles: &[Role]| matches!(who, Who::Staff(r) if roles.contains(&r));
    match route {
        "healthz" | "openapi" | "notice" | "purpose_notice" | "jwks" => true,
        "list_purposes" | "get_purpose" | "list_attributes" | "get_attribute" | "list_forms"
        | "get_form" => staff(&[Admin, Editor, Support, Service]),
        "put_purpose" | "put_attribute" | "put_form" => staff(&[Admin, Editor]),
        "create_subject" => staff(&[Admin, Service]),
        "get_subject" | "export_subject" => staff(&[Admin, Support]),
        "issue_token" => staff(&[Admin, Support]),
        "create_staff" | "list_staff" | "update_staff" | "deactivate_staff" | "reinvite_staff"
        | "create_token" | "list_tokens" | "revoke_token" => staff(&[Admin]),
        "create_webhook"
        | "list_webhooks"
        | "delete_webhook"
        | "list_webhook_deliveries"
        | "retry_webhook_delivery" => staff(&[Admin]),
        "submit" => who == Who::Subject || staff(&[Admin, Service]),
        "receipt" => who == Who::Subject || staff(&[Admin, Support]),
        "list_offers" | "get_offer" => staff(&[Admin, Editor, Support, Service]),
        "put_offer" | "delete_offer" => staff(&[Admin, Editor]),
        "decide" | "report_delivery" => staff(&[Admin, Service]),
        "create_campaign" | "list_campaigns" | "get_campaign" | "cancel_campaign" => {
            staff(&[Admin, Editor])
        }
        "minimisation" => staff(&[Admin, Editor, Support]),
        "metrics" => staff(&[Admin, Service]),
        "me_offers" => who == Who::Subject,
        "audience_count" | "list_audiences" | "get_audience" => staff(&[Admin, Editor, Support]),
        "put_audience" | "delete_audience" => staff(&[Admin, Editor]),
        "audience_export" => staff(&[Admin, Service]),
        "checkpoints" => staff(&[Admin, Dpo]),
        "create_rights_request"
        | "list_rights_requests"
        | "get_rights_request"
        | "extend_rights_request"
        | "verify_rights_request"
        | "complete_rights_request" => staff(&[Admin, Support, Dpo]),
        "create_breach"
        | "list_breaches"
        | "get_breach"
        | "update_breach"
        | "notify_breach"
        | "scope_breach"
        | "breach_subjects"
        | "breach_notification"
        | "message_breach_subjects" => staff(&[Admin, Dpo]),
        "put_recipient" | "list_recipients" | "get_recipient" | "delete_recipient" => {
            staff(&[Admin, Editor, Dpo])
        }
        "get_records_of_processing"
        | "list_records_of_processing_versions"
        | "list_disclosures" => staff(&[Admin, Dpo]),
        "me" | "export" | "rectify" | "consent" | "recipient_consent" | "contact"
        | "change_email" | "rights" | "erase" => who == Who::Subject,
        other => panic!("unknown route {other}"),
    }
}

#[tokio::test]
async fn every_route_with_every_role() {
    // A receiver on a loopback address may be registered (nothing is sent: no dispatcher runs).
    let Some(app) = TestApp::start_with(|c| c.webhooks.allow_private_addresses = true) else {
        return;
    };
    app.schema().await;
    let callers = [
        Who::Nobody,
        Who::Subject,
        Who::Staff(Role::Admin),
        Who::Staff(Role::Editor),
        Who::Staff(Role::Support),
        Who::Staff(Role::Service),
        Who::Staff(Role::Dpo),
    ];
    let base = json!({"title": {"en": "t"}, "body": {"en": "b"}, "purpose": "offers", "channels": ["web"]});
    assert_eq!(
        app.put("/v1/offers/base", &app.admin, base).await.status,
        StatusCode::CREATED
    );
    let mail = json!({"title": {"en": "m"}, "body": {"en": "b"}, "purpose": "offers", "channels": ["email"]});
    assert_eq!(
        app.put("/v1/offers/mail", &app.admin, mail).await.status,
        StatusCode::CREATED
    );
    let campaign = json!({"offer": "mail", "audience": {"purpose": "offers", "channel": "email"},
                          "send_at": "2026-12-01T00:00:00Z"});
    let saved = json!({"name": "Everyone on e-mail", "purpose": "offers", "channel": "email"});
    assert_eq!(
        app.put("/v1/audiences/saved", &app.admin, saved.clone())
            .await
            .status,
        StatusCode::CREATED
    );
    let mut tokens = std::collections::HashMap::new();
    for r in Role::ALL {
        tokens.insert(r, app.staff_token(r));
    }
    let mut checked = 0;
    for who in callers {
        // A fresh subject per caller, so erasure by one does not affect the next.
        let (id, subject_token) = app
            .answered_subject(
                &format!("{who:?}@example.fi")
                    .to_lowercase()
                    .replace(['(', ')'], ""),
            )
            .await;
        let me = app.get("/v1/me", &subject_token).await.body;
        let record = me["consents"][0]["history"][0]["record_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let token: Option<String> = match who {
            Who::Nobody => None,
            Who::Subject => Some(subject_token.clone()),
            Who::Staff(r) => Some(tokens[&r].clone()),
        };
        let tag = format!("{who:?}").to_lowercase().replace(['(', ')'], "");
        let invited = app
            .post(
                "/v1/staff",
                &app.admin,
                json!({"email": format!("{tag}-staff@example.fi"), "name": "n", "role": "editor"}),
            )
            .await
            .body["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let doomed_token = app
            .post(
                "/v1/tokens",
                &app.admin,
                json!({"name": "doomed", "role": "service"}),
            )
            .await
            .body["id"]
            .as_str()
            .unwrap()
            .to_owned();
        app.put(
            "/v1/me/contact",
            &subject_token,
            json!({"channels": {"email": true}}),
        )
        .await;
        let decided = app
            .post(
                "/v1/decisions",
                &app.admin,
                json!({"subject": id, "channel": "email", "limit": 1}),
            )
            .await
            .body;
        let delivery = json!({"decision_id": decided["decision_id"], "offer": "mail", "channel": "email",
                              "sent_at": decided["decided_at"]});
        // Open requests for the calls that change one (each caller its own).
        let rights_request = |kind: &str| json!({"subject": id, "kind": kind, "received_at": "2026-02-27T08:00:00Z", "channel": "email"});
        let mut open_requests = Vec::new();
        for _ in 0..3 {
            let r = app
                .post("/v1/rights-requests", &app.admin, rights_request("access"))
                .await;
            open_requests.push(format!(
                "/v1/rights-requests/{}",
                r.body["id"].as_str().unwrap()
            ));
        }
        let doomed_audience = format!("/v1/audiences/doomed-{tag}");
        app.put(&doomed_audience, &app.admin, saved.clone()).await;
        let doomed_recipient = format!("/v1/recipients/doomed-{tag}");
        let recipient = json!({"name": "Doomed Ltd", "country": "US", "role": "processor",
                               "safeguard": "standard_contractual_clauses"});
        app.put(&doomed_recipient, &app.admin, recipient.clone())
            .await;
        let scheduled = app
            .post("/v1/campaigns", &app.admin, campaign.clone())
            .await
            .body["id"]
            .as_str()
            .unwrap()
            .to_owned();
        // A webhook with one delivery, for the webhook routes.
        let hook = app
            .post(
                "/v1/webhooks",
                &app.admin,
                json!({"url": "https://127.0.0.1:9/hook", "events": ["subject.created"]}),
            )
            .await
            .body["id"]
            .as_str()
            .unwrap()
            .to_owned();
        app.subject(&format!("{tag}-hooked@example.fi")).await;
        app.store.webhook_fan_out(chrono::Utc::now()).unwrap();
        let hook_delivery = app
            .get(&format!("/v1/webhooks/{hook}/deliveries"), &app.admin)
            .await
            .body[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        // A breach of its own per caller (it is notified only once).
        let report = json!({"aware_at": "2026-02-28T00:00:00Z", "nature": "n", "data_categories": ["c"],
                            "subject_categories": ["s"], "contact_point": "dpo", "likely_consequences": "l",
                            "measures": "m"});
        let breach = app
            .post("/v1/breaches", &app.admin, report.clone())
            .await
            .body["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let purpose = json!({"title": {"en": "p"}, "description": {"en": "d"}, "legal_basis": "consent", "retention_days": 30});
        let attribute = json!({"title": {"en": "a"}, "kind": "boolean", "purposes": ["offers"]});
        let form = json!({"title": {"en": "f"}, "notice": {"en": "n"}, "attributes": ["interests"], "purposes": ["offers"]});
        let routes: Vec<(&str, Method, String, Option<Value>)> = vec![
            ("healthz", Method::GET, "/healthz".into(), None),
            ("openapi", Method::GET, "/openapi.json".into(), None),
            ("metrics", Method::GET, "/metrics".into(), None),
            ("jwks", Method::GET, "/.well-known/jwks.json".into(), None),
            (
                "purpose_notice",
                Method::GET,
                "/v1/purposes/offers/notices/1".into(),
                None,
            ),
            (
                "notice",
                Method::GET,
                "/v1/forms/survey/notices/1".into(),
                None,
            ),
            ("list_purposes", Method::GET, "/v1/purposes".into(), None),
            (
                "get_purpose",
                Method::GET,
                "/v1/purposes/offers".into(),
                None,
            ),
            (
                "put_purpose",
                Method::PUT,
                "/v1/purposes/extra".into(),
                Some(purpose),
            ),
            (
                "list_attributes",
                Method::GET,
                "/v1/attributes".into(),
                None,
            ),
            (
                "get_attribute",
                Method::GET,
                "/v1/attributes/interests".into(),
                None,
            ),
            (
                "put_attribute",
                Method::PUT,
                "/v1/attributes/extra".into(),
                Some(attribute),
            ),
            ("list_forms", Method::GET, "/v1/forms".into(), None),
            ("get_form", Method::GET, "/v1/forms/survey".into(), None),
            (
                "put_form",
                Method::PUT,
                "/v1/forms/extra".into(),
                Some(form),
            ),
            (
                "create_subject",
                Method::POST,
                "/v1/subjects".into(),
                Some(json!({})),
            ),
            (
                "get_subject",
                Method::GET,
                format!("/v1/subjects/{id}"),
                None,
            ),
            (
                "issue_token",
                Method::POST,
                format!("/v1/subjects/{id}/tokens"),
                Some(json!({})),
            ),
            (
                "submit",
                Method::POST,
                "/v1/forms/survey/submissions".into(),
                Some(json!({"subject": id, "answers": {"size": "small"}, "notice_version": 1})),
            ),
            (
                "receipt",
                Method::GET,
                format!("/v1/receipts/{record}"),
                None,
            ),
            (
                "put_offer",
                Method::PUT,
                "/v1/offers/extra".into(),
                Some(
                    json!({"title": {"en": "t"}, "body": {"en": "b"}, "purpose": "offers", "channels": ["web"]}),
                ),
            ),
            ("list_offers", Method::GET, "/v1/offers".into(), None),
            ("get_offer", Method::GET, "/v1/offers/base".into(), None),
            (
                "delete_offer",
                Method::DELETE,
                "/v1/offers/extra".into(),
                None,
            ),
            (
                "decide",
                Method::POST,
                "/v1/decisions".into(),
                Some(json!({"subject": id, "channel": "web", "dry_run": true})),
            ),
            (
                "report_delivery",
                Method::POST,
                "/v1/deliveries".into(),
                Some(delivery),
            ),
            (
                "create_campaign",
                Method::POST,
                "/v1/campaigns".into(),
                Some(campaign.clone()),
            ),
            ("list_campaigns", Method::GET, "/v1/campaigns".into(), None),
            (
                "get_campaign",
                Method::GET,
                format!("/v1/campaigns/{scheduled}"),
                None,
            ),
            (
                "cancel_campaign",
                Method::POST,
                format!("/v1/campaigns/{scheduled}/cancel"),
                None,
            ),
            (
                "minimisation",
                Method::GET,
                "/v1/reports/minimisation".into(),
                None,
            ),
            (
                "me_offers",
                Method::GET,
                "/v1/me/offers?channel=web".into(),
                None,
            ),
            (
                "audience_count",
                Method::POST,
                "/v1/audiences/count".into(),
                Some(json!({"purpose": "offers", "channel": "email"})),
            ),
            (
                "audience_export",
                Method::POST,
                "/v1/audiences/export".into(),
                Some(json!({"purpose": "offers", "channel": "email"})),
            ),
            (
                "put_audience",
                Method::PUT,
                format!("/v1/audiences/new-{tag}"),
                Some(saved.clone()),
            ),
            ("list_audiences", Method::GET, "/v1/audiences".into(), None),
            (
                "get_audience",
                Method::GET,
                "/v1/audiences/saved".into(),
                None,
            ),
            ("delete_audience", Method::DELETE, doomed_audience, None),
            (
                "put_recipient",
                Method::PUT,
                "/v1/recipients/tapahtuma".into(),
                Some(json!({"name": "Tapahtuma Oy", "country": "FI", "role": "controller"})),
            ),
            (
                "list_recipients",
                Method::GET,
                "/v1/recipients".into(),
                None,
            ),
            (
                "get_recipient",
                Method::GET,
                "/v1/recipients/tapahtuma".into(),
                None,
            ),
            ("delete_recipient", Method::DELETE, doomed_recipient, None),
            (
                "get_records_of_processing",
                Method::GET,
                "/v1/records-of-processing?format=csv".into(),
                None,
            ),
            (
                "list_records_of_processing_versions",
                Method::GET,
                "/v1/records-of-processing/versions".into(),
                None,
            ),
            (
                "list_disclosures",
                Method::GET,
                "/v1/disclosures".into(),
                None,
            ),
            (
                "create_rights_request",
                Method::POST,
                "/v1/rights-requests".into(),
                Some(rights_request("objection")),
            ),
            (
                "list_rights_requests",
                Method::GET,
                "/v1/rights-requests?state=all".into(),
                None,
            ),
            (
                "get_rights_request",
                Method::GET,
                open_requests[0].clone(),
                None,
            ),
            (
                "extend_rights_request",
                Method::POST,
                format!("{}/extend", open_requests[0]),
                Some(json!({"months": 1, "reason": "busy"})),
            ),
            (
                "verify_rights_request",
                Method::POST,
                format!("{}/identity-verified", open_requests[1]),
                Some(json!({})),
            ),
            (
                "complete_rights_request",
                Method::POST,
                format!("{}/complete", open_requests[2]),
                Some(json!({"evidence": "sent"})),
            ),
            (
                "checkpoints",
                Method::GET,
                "/v1/checkpoints?chain=ledger&limit=5".into(),
                None,
            ),
            ("me", Method::GET, "/v1/me".into(), None),
            ("export", Method::GET, "/v1/me/export".into(), None),
            (
                "rectify",
                Method::PATCH,
                "/v1/me/declarations".into(),
                Some(json!({"size": "small"})),
            ),
            (
                "consent",
                Method::PUT,
                "/v1/me/consents/events".into(),
                Some(json!({"given": true})),
            ),
            (
                "recipient_consent",
                Method::PUT,
                "/v1/me/consents/events/recipients/tapahtuma".into(),
                Some(json!({"given": true})),
            ),
            (
                "contact",
                Method::PUT,
                "/v1/me/contact".into(),
                Some(json!({"channels": {"email": true}})),
            ),
            (
                "change_email",
                Method::PUT,
                "/v1/me/email".into(),
                Some(json!({"email": format!("{tag}-changed@example.fi")})),
            ),
            (
                "rights",
                Method::PUT,
                "/v1/me/rights".into(),
                Some(json!({"objected_sharing": true})),
            ),
            (
                "export_subject",
                Method::GET,
                format!("/v1/subjects/{id}/export"),
                None,
            ),
            ("list_staff", Method::GET, "/v1/staff".into(), None),
            (
                "create_staff",
                Method::POST,
                "/v1/staff".into(),
                Some(
                    json!({"email": format!("{tag}-new@example.fi"), "name": "n", "role": "support"}),
                ),
            ),
            (
                "update_staff",
                Method::PATCH,
                format!("/v1/staff/{invited}"),
                Some(json!({"name": "renamed"})),
            ),
            (
                "reinvite_staff",
                Method::POST,
                format!("/v1/staff/{invited}/invite"),
                None,
            ),
            (
                "deactivate_staff",
                Method::POST,
                format!("/v1/staff/{invited}/deactivate"),
                None,
            ),
            ("list_tokens", Method::GET, "/v1/tokens".into(), None),
            (
                "create_token",
                Method::POST,
                "/v1/tokens".into(),
                Some(json!({"name": "n", "role": "service"})),
            ),
            (
                "revoke_token",
                Method::DELETE,
                format!("/v1/tokens/{doomed_token}"),
                None,
            ),
            ("list_webhooks", Method::GET, "/v1/webhooks".into(), None),
            (
                "create_webhook",
                Method::POST,
                "/v1/webhooks".into(),
                Some(json!({"url": "https://127.0.0.1:9/other", "events": ["consent.given"]})),
            ),
            (
                "list_webhook_deliveries",
                Method::GET,
                format!("/v1/webhooks/{hook}/deliveries"),
                None,
            ),
            (
                "retry_webhook_delivery",
                Method::POST,
                format!("/v1/webhooks/{hook}/deliveries/{hook_delivery}/retry"),
                None,
            ),
            (
                "delete_webhook",
                Method::DELETE,
                format!("/v1/webhooks/{hook}"),
                None,
            ),
            (
                "create_breach",
                Method::POST,
                "/v1/breaches".into(),
                Some(report),
            ),
            ("list_breaches", Method::GET, "/v1/breaches".into(), None),
            (
                "get_breach",
                Method::GET,
                format!("/v1/breaches/{breach}"),
                None,
            ),
            (
                "update_breach",
                Method::POST,
                format!("/v1/breaches/{breach}/updates"),
                Some(json!({"text": "more"})),
            ),
            (
                "notify_breach",
                Method::POST,
                format!("/v1/breaches/{breach}/notified"),
                Some(json!({"authority_ref": "R", "notified_at": "2026-03-01T08:00:00Z"})),
            ),
            (
                "scope_breach",
                Method::POST,
                format!("/v1/breaches/{breach}/scope"),
                Some(json!({"from": "2026-03-01T00:00:00Z", "to": "2026-03-01T10:00:00Z"})),
            ),
            (
                "breach_subjects",
                Method::GET,
                format!("/v1/breaches/{breach}/subjects"),
                None,
            ),
            (
                "breach_notification",
                Method::GET,
                format!("/v1/breaches/{breach}/notification"),
                None,
            ),
            (
                "message_breach_subjects",
                Method::POST,
                format!("/v1/breaches/{breach}/subject-messages"),
                Some(json!({})),
            ),
            ("erase", Method::DELETE, "/v1/me".into(), None),
        ];
        for (name, method, path, body) in routes {
            let r = app
                .call(method.clone(), &path, token.as_deref(), body)
                .await;
            let expect_ok = allowed(name, who);
            if expect_ok {
                assert!(
                    r.status.is_success(),
                    "{who:?} {name}: expected success, got {} {}",
                    r.status,
                    r.body
                );
            } else {
                let expected = if who == Who::Nobody {
                    StatusCode::UNAUTHORIZED
                } else {
                    StatusCode::FORBIDDEN
                };
                assert_eq!(r.status, expected, "{who:?} {name}: {}", r.body);
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 7 * 84);
}

/// The OpenAPI document states, per operation, exactly the callers `allowed`
/// lets in: the staff roles, the subject token, or nobody at all.
#[tokio::test]
async fn the_document_states_who_may_call_each_operation() {
    let Some(app) = TestApp::start() else { return };
    let spec = app.openapi().await;
    let mut ids = std::collections::BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or_default();
            assert!(
                ids.insert(id.to_owned()),
                "{method} {path}: operationId {id} twice"
            );
            let mut stated: Vec<(String, Vec<String>)> = op["security"]
                .as_array()
                .unwrap_or_else(|| panic!("{method} {path}: no security requirement"))
                .iter()
                .flat_map(|req| req.as_object().unwrap().iter())
                .map(|(scheme, roles)| {
                    let mut roles: Vec<String> = roles
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| r.as_str().unwrap().to_owned())
                        .collect();
                    roles.sort();
                    (scheme.clone(), roles)
                })
                .collect();
            stated.sort();
            let mut expected = Vec::new();
            if !allowed(id, Who::Nobody) {
                let mut staff: Vec<String> = Role::ALL
                    .into_iter()
                    .filter(|r| allowed(id, Who::Staff(*r)))
                    .map(|r| r.to_string())
                    .collect();
                staff.sort();
                if !staff.is_empty() {
                    expected.push(("staff".to_owned(), staff));
                }
                if allowed(id, Who::Subject) {
                    expected.push(("subject".to_owned(), Vec::new()));
                }
            }
            assert_eq!(stated, expected, "{method} {path} ({id})");
        }
    }
    // Every operation is one of the routes walked above, and every route is documented.
    assert_eq!(ids.len(), 84, "{ids:?}");
}

#[tokio::test]
async fn unknown_and_malformed_tokens() {
    let Some(app) = TestApp::start() else { return };
    for auth in [
        "Bearer kst_nope",
        "Bearer ksu_nope",
        "Bearer ",
        "Basic abc",
        "kst_x",
    ] {
        let r = app.raw_with_header(Method::GET, "/v1/purposes", auth).await;
        assert_eq!(
            (r.0, r.1["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthenticated")),
            "{auth}"
        );
    }
}

impl TestApp {
    async fn raw_with_header(&self, method: Method, path: &str, auth: &str) -> (StatusCode, Value) {
        use http_body_util::BodyExt;
        use tower::ServiceExt;
        let req = axum::http::Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", auth)
            .body(axum::body::Body::empty())
            .unwrap();
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }
}
