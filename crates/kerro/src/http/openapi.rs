//! `GET /openapi.json`: the OpenAPI 3.1 document, generated from the handlers'
//! annotations. The handlers state their success bodies, their own error
//! statuses and the roles they take; [`document`] adds the statuses every
//! operation of a kind can answer (401 and 403 with a token, 400 and 413 with a
//! body, 400 with a query, 503 when the store does not answer) and gives every
//! error status the one error body, and the links from what an operation
//! creates to the operations that read it.

use axum::Json;
use serde_json::{json, Value};
use std::sync::OnceLock;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{
    audiences, breaches, campaigns, checkpoints, disclosures, jose, me, offers, receipts,
    recipients, records, rights_requests, schema, staff, subjects, webhooks, ErrorBody,
    ErrorDetail, Health,
};

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut staff = Http::new(HttpAuthScheme::Bearer);
        staff.description = Some(
            "A staff API token (kst_..., from POST /v1/tokens) with one role: admin, editor, \
             support, service or dpo. It expires (90 days by default, at most 365) and can be \
             revoked. An operation's requirement lists the roles it takes."
                .into(),
        );
        components.add_security_scheme("staff", SecurityScheme::Http(staff));
        let mut subject = Http::new(HttpAuthScheme::Bearer);
        subject.description = Some(
            "A short-lived subject token (ksu_...): the subject's own, or one minted by \
             admin or support staff with POST /v1/subjects/{id}/tokens, then audited as that \
             staff member on the subject's behalf. It reaches only its own subject."
                .into(),
        );
        components.add_security_scheme("subject", SecurityScheme::Http(subject));
    }
}

const METHODS: [&str; 5] = ["get", "put", "post", "patch", "delete"];

/// Completes an operation's error statuses; see the module comment.
fn complete_errors(op: &mut Value) {
    let takes = |scheme: &str| -> Option<Vec<String>> {
        op["security"].as_array()?.iter().find_map(|req| {
            req.get(scheme)?.as_array().map(|roles| {
                roles
                    .iter()
                    .filter_map(|r| r.as_str().map(str::to_owned))
                    .collect()
            })
        })
    };
    let (staff, subject) = (takes("staff"), takes("subject"));
    let has_body = op.get("requestBody").is_some();
    let has_query = op["parameters"]
        .as_array()
        .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
    let mut add = |status: &str, description: String| {
        let responses = &mut op["responses"];
        if responses.get(status).is_none() {
            responses[status] = json!({ "description": description });
        }
    };
    if staff.is_some() || subject.is_some() {
        add(
            "401",
            "no token, or an unknown one; a staff token that was revoked or has expired gets `token_revoked` or `token_expired`".into(),
        );
        let mut who = Vec::new();
        if let Some(roles) = &staff {
            who.push(format!("a staff token with role {}", roles.join(", ")));
        }
        if subject.is_some() {
            who.push("the subject's own token".into());
        }
        add(
            "403",
            format!(
                "a token that may not call this: it takes {}",
                who.join(" or ")
            ),
        );
        if staff.is_some() {
            add(
                "429",
                "a staff token over the request limit set for it; `Retry-After` says when to retry"
                    .into(),
            );
        }
    }
    if has_body {
        add(
            "400",
            "a body that is not JSON, or has an unknown field or a wrong type; `field` names it"
                .into(),
        );
        add("413", format!("a body over {} bytes", super::MAX_BODY));
    }
    if has_query {
        add("400", "an unknown or malformed query parameter".into());
    }
    add(
        "503",
        "the store does not answer; nothing was changed".into(),
    );
    if let Some(responses) = op["responses"].as_object_mut() {
        for (status, response) in responses.iter_mut() {
            if status.as_str() >= "400" {
                response["content"] = json!({"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}});
            }
        }
    }
}

/// Where a response leads: (operation, status, link name, target operation,
/// [(target parameter, runtime expression)]). Clients and schemathesis's
/// stateful phase follow them from what was created to what reads it.
type Link = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

const LINKS: &[Link] = &[
    (
        "create_subject",
        "201",
        "GetSubject",
        "get_subject",
        &[("id", "$response.body#/id")],
    ),
    (
        "create_subject",
        "201",
        "IssueToken",
        "issue_token",
        &[("id", "$response.body#/id")],
    ),
    (
        "put_purpose",
        "201",
        "GetPurpose",
        "get_purpose",
        &[("key", "$response.body#/key")],
    ),
    (
        "put_attribute",
        "201",
        "GetAttribute",
        "get_attribute",
        &[("key", "$response.body#/key")],
    ),
    (
        "put_form",
        "201",
        "GetForm",
        "get_form",
        &[("key", "$response.body#/key")],
    ),
    (
        "put_form",
        "201",
        "GetNotice",
        "notice",
        &[
            ("key", "$response.body#/key"),
            ("version", "$response.body#/notice_version"),
        ],
    ),
    (
        "put_form",
        "201",
        "Submit",
        "submit",
        &[("key", "$response.body#/key")],
    ),
    (
        "put_offer",
        "201",
        "GetOffer",
        "get_offer",
        &[("key", "$response.body#/key")],
    ),
    (
        "put_offer",
        "201",
        "DeleteOffer",
        "delete_offer",
        &[("key", "$response.body#/key")],
    ),
    (
        "submit",
        "201",
        "GetReceipt",
        "receipt",
        &[("record_id", "$response.body#/receipts/0/record_id")],
    ),
    (
        "consent",
        "200",
        "GetReceipt",
        "receipt",
        &[("record_id", "$response.body#/record_id")],
    ),
    ("create_breach", "201", "GetBreach", "get_breach", BREACH),
    (
        "create_breach",
        "201",
        "UpdateBreach",
        "update_breach",
        BREACH,
    ),
    (
        "create_breach",
        "201",
        "NotifyBreach",
        "notify_breach",
        BREACH,
    ),
    (
        "create_breach",
        "201",
        "ScopeBreach",
        "scope_breach",
        BREACH,
    ),
    (
        "create_breach",
        "201",
        "BreachSubjects",
        "breach_subjects",
        BREACH,
    ),
    (
        "create_breach",
        "201",
        "BreachNotification",
        "breach_notification",
        BREACH,
    ),
    (
        "create_breach",
        "201",
        "MessageBreachSubjects",
        "message_breach_subjects",
        BREACH,
    ),
];

/// A created breach's id, for the links from `create_breach`.
const BREACH: &[(&str, &str)] = &[("id", "$response.body#/id")];

fn add_links(paths: &mut serde_json::Map<String, Value>) {
    for (from, status, name, to, params) in LINKS {
        let parameters: serde_json::Map<String, Value> = params
            .iter()
            .map(|(p, e)| ((*p).to_owned(), json!(e)))
            .collect();
        let link = json!({ "operationId": to, "parameters": parameters });
        for item in paths.values_mut() {
            for m in METHODS {
                let Some(op) = item.get_mut(m) else { continue };
                if op["operationId"] != *from {
                    continue;
                }
                if let Some(response) = op["responses"].get_mut(*status) {
                    response["links"][*name] = link.clone();
                }
            }
        }
    }
}

/// What the derives cannot say. A key is 1-64 of a-z, 0-9, `_` and `-`,
/// starting with a letter. A response that adds fields to a request spec (a
/// purpose with its `key`) flattens the spec, whose schema forbids other
/// fields: the response gets a copy of the spec's schema without that ban.
fn refine_schemas(schemas: &mut Value) {
    for key in ["PurposeKey", "AttributeKey", "FormKey", "OfferKey"] {
        schemas[key]["pattern"] = json!("^[a-z][a-z0-9_-]{0,63}$");
        schemas[key]["maxLength"] = json!(64);
    }
    let Some(all) = schemas.as_object() else {
        return;
    };
    let closed = |r: &Value| -> Option<Value> {
        let name = r["$ref"].as_str()?.strip_prefix("#/components/schemas/")?;
        let target = all.get(name)?;
        (target["additionalProperties"] == false).then(|| {
            let mut open = target.clone();
            if let Some(o) = open.as_object_mut() {
                o.remove("additionalProperties");
            }
            open
        })
    };
    let opened: Vec<(String, Vec<Value>)> = all
        .iter()
        .filter_map(|(name, schema)| {
            let parts = schema["allOf"].as_array()?;
            parts.iter().any(|p| closed(p).is_some()).then(|| {
                (
                    name.clone(),
                    parts
                        .iter()
                        .map(|p| closed(p).unwrap_or_else(|| p.clone()))
                        .collect(),
                )
            })
        })
        .collect();
    for (name, parts) in opened {
        schemas[name.as_str()]["allOf"] = Value::Array(parts);
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "kerro", description = "Zero-party data: declared data, purpose-bound consent and self-service rights. Errors are {\"error\":{\"code\",\"message\",\"field\"}}; see docs/api.md."),
    paths(
        super::healthz, spec, super::scrape,
        schema::put_purpose, schema::list_purposes, schema::get_purpose,
        schema::put_attribute, schema::list_attributes, schema::get_attribute,
        schema::put_form, schema::list_forms, schema::get_form, schema::get_notice, schema::get_purpose_notice,
        subjects::create, subjects::get, subjects::export, subjects::issue_token, subjects::submit,
        staff::create, staff::list, staff::update, staff::deactivate, staff::reinvite,
        staff::create_token, staff::list_tokens, staff::revoke_token,
        campaigns::report_delivery, campaigns::create, campaigns::list, campaigns::get, campaigns::cancel,
        me::get, me::export, me::rectify, me::set_consent, me::set_recipient_consent, me::set_contact, me::change_email, me::set_rights, me::erase,
        receipts::get, jose::jwks,
        audiences::count, audiences::export, audiences::put_saved, audiences::list_saved,
        audiences::get_saved, audiences::delete_saved,
        offers::put, offers::list, offers::get, offers::delete, offers::decide, offers::me_offers, offers::minimisation,
        checkpoints::list,
        rights_requests::create, rights_requests::list, rights_requests::get, rights_requests::extend,
        rights_requests::verify, rights_requests::complete,
        recipients::put, recipients::list, recipients::get, recipients::delete,
        records::get, records::versions, disclosures::list,
        webhooks::create, webhooks::list, webhooks::delete, webhooks::deliveries, webhooks::retry,
        breaches::create, breaches::list, breaches::get, breaches::update, breaches::notified,
        breaches::scope, breaches::subjects, breaches::notification, breaches::subject_messages,
    ),
    components(schemas(ErrorBody, ErrorDetail, Health)),
    modifiers(&Security),
)]
pub struct ApiDoc;

/// The document, generated once: the annotations' document with every
/// operation's error statuses completed.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or(Value::Null);
        refine_schemas(&mut doc["components"]["schemas"]);
        if let Some(paths) = doc["paths"].as_object_mut() {
            add_links(paths);
            for (path, item) in paths.iter_mut() {
                for m in METHODS {
                    if let Some(op) = item.get_mut(m) {
                        if path != "/openapi.json" {
                            complete_errors(op);
                        }
                    }
                }
            }
        }
        doc
    })
}

#[utoipa::path(get, path = "/openapi.json", tag = "meta", operation_id = "openapi",
    responses((status = 200, description = "this document (OpenAPI 3.1)", body = Object)),
    security(()))]
pub async fn spec() -> Json<&'static Value> {
    Json(document())
}
