//! The OpenAPI document is a contract a client can be generated from: every
//! operation documents its request body, its success bodies, every error
//! status it can answer with the one error body, and who may call it. A new
//! handler that forgets one of these fails here.

use serde_json::Value;

use crate::common::TestApp;

/// Operations that are public on purpose.
const PUBLIC: [&str; 5] = ["healthz", "openapi", "notice", "purpose_notice", "jwks"];

/// POSTs that take no body.
const NO_BODY: [&str; 6] = [
    "issue_token",
    "deactivate_staff",
    "reinvite_staff",
    "cancel_campaign",
    "retry_webhook_delivery",
    "verify_rights_request",
];

fn has_schema(content: &Value, media: &str) -> bool {
    content[media]["schema"].is_object()
}

#[tokio::test]
async fn every_operation_documents_bodies_errors_and_security() {
    let Some(app) = TestApp::start() else { return };
    let spec = app.openapi().await;
    assert_eq!(spec["openapi"], "3.1.0");
    let schemas = &spec["components"]["schemas"];
    assert!(schemas["ErrorBody"].is_object(), "no ErrorBody schema");
    let mut operations = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let id = op["operationId"].as_str().unwrap_or_default();
            let at = format!("{method} {path} ({id})");
            let takes_body =
                matches!(method.as_str(), "put" | "post" | "patch") && !NO_BODY.contains(&id);
            if takes_body {
                assert!(
                    has_schema(&op["requestBody"]["content"], "application/json"),
                    "{at}: no request body schema"
                );
            } else {
                assert!(op.get("requestBody").is_none(), "{at}: an unexpected body");
            }
            let responses = op["responses"].as_object().unwrap();
            let mut successes = 0;
            for (status, response) in responses {
                let code: u16 = status
                    .parse()
                    .unwrap_or_else(|_| panic!("{at}: status {status}"));
                match code {
                    204 => assert!(response.get("content").is_none(), "{at}: 204 with a body"),
                    200..=299 => {
                        successes += 1;
                        let content = &response["content"];
                        assert!(
                            content
                                .as_object()
                                .is_some_and(|c| c.values().all(|m| m["schema"].is_object())
                                    && !c.is_empty()),
                            "{at}: {status} has no body schema"
                        );
                    }
                    400..=599 => assert_eq!(
                        response["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorBody",
                        "{at}: {status} without the error body"
                    ),
                    _ => panic!("{at}: status {status}"),
                }
            }
            assert!(
                successes > 0 || responses.contains_key("204"),
                "{at}: no success status"
            );
            let security = op["security"]
                .as_array()
                .unwrap_or_else(|| panic!("{at}: no security requirement"));
            let public = security
                .iter()
                .any(|r| r.as_object().is_some_and(|o| o.is_empty()));
            assert_eq!(public, PUBLIC.contains(&id), "{at}: public or not");
            let mut errors = Vec::new();
            if !public {
                errors.extend(["401", "403"]);
            }
            if takes_body {
                errors.extend(["400", "413"]);
            }
            // A path key names something that may not exist, except a PUT's, which names it anew.
            if path.contains('{') && method != "put" {
                errors.push("404");
            }
            if id != "openapi" {
                errors.push("503");
            }
            for status in errors {
                assert!(
                    responses.contains_key(status),
                    "{at}: {status} undocumented"
                );
            }
        }
    }
    assert_eq!(operations, 84);
}

/// Regressions schemathesis found in the document: a response that adds fields
/// to a request spec (a purpose with its `key`) must not inherit the spec's ban
/// on other fields, and a PUT naming an unknown purpose answers a documented 404.
#[tokio::test]
async fn responses_fit_their_schemas() {
    let Some(app) = TestApp::start() else { return };
    let spec = app.openapi().await;
    for (name, schema) in spec["components"]["schemas"].as_object().unwrap() {
        for part in schema["allOf"].as_array().into_iter().flatten() {
            assert!(
                part.get("$ref").is_none() || !is_closed(&spec, &part["$ref"]),
                "{name}: {part}"
            );
            assert_ne!(part["additionalProperties"], false, "{name}: {part}");
        }
    }
    let r = app
        .put(
            "/v1/attributes/orphan",
            &app.admin,
            serde_json::json!({"title": {"en": "a"}, "kind": "boolean", "purposes": ["no_such_purpose"]}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 404, "{}", r.body);
    for path in ["/v1/attributes/{key}", "/v1/forms/{key}"] {
        assert!(
            spec["paths"][path]["put"]["responses"]["404"].is_object(),
            "PUT {path}: 404 undocumented"
        );
    }
}

/// Every link names an operation that exists and only parameters it takes.
#[tokio::test]
async fn links_lead_to_real_operations() {
    let Some(app) = TestApp::start() else { return };
    let spec = app.openapi().await;
    let ops: Vec<&Value> = spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .collect();
    let mut links = 0;
    for op in &ops {
        for response in op["responses"].as_object().unwrap().values() {
            for (name, link) in response["links"].as_object().into_iter().flatten() {
                links += 1;
                let target = ops
                    .iter()
                    .find(|o| o["operationId"] == link["operationId"])
                    .unwrap_or_else(|| panic!("{name}: no operation {}", link["operationId"]));
                for param in link["parameters"].as_object().unwrap().keys() {
                    assert!(
                        target["parameters"]
                            .as_array()
                            .is_some_and(|ps| ps.iter().any(|p| p["name"] == param.as_str())),
                        "{name}: {} takes no {param}",
                        link["operationId"]
                    );
                }
            }
        }
    }
    assert!(links >= 10, "{links} links");
}

fn is_closed(spec: &Value, reference: &Value) -> bool {
    let name = reference
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
        .unwrap_or_default();
    spec["components"]["schemas"][name]["additionalProperties"] == false
}

/// The kerro-core spec types a client sends are described field by field, so a
/// generated client gets typed models rather than untyped maps.
#[tokio::test]
async fn put_bodies_are_described() {
    let Some(app) = TestApp::start() else { return };
    let spec = app.openapi().await;
    let schemas = &spec["components"]["schemas"];
    for (name, field) in [
        ("PurposeSpec", "legal_basis"),
        ("AttributeSpec", "kind"),
        ("FormBody", "attributes"),
        ("FormBody", "notice_change"),
        ("OfferSpec", "channels"),
        ("ContactBody", "channels"),
        ("SubmissionBody", "notice_version"),
    ] {
        assert!(
            schemas[name]["properties"][field].is_object(),
            "{name}.{field}: {}",
            schemas[name]
        );
    }
}
