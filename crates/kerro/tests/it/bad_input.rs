//! Bad input gets the documented 4xx and changes nothing.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::TestApp;

#[tokio::test]
async fn bad_input_table() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (id, subject) = app.answered_subject("bad@example.fi").await;
    let admin = app.admin.clone();
    let service = app.staff_token(kerro_core::Role::Service);
    let huge = format!(
        "{{\"answers\": {{\"diet\": \"{}\"}}, \"notice_version\": 1}}",
        "x".repeat(1024 * 1024 + 10)
    );
    let s = |v: &str| v.to_owned();
    let review =
        |date: &str| format!("{{\"answers\": {{\"review\": \"{date}\"}}, \"notice_version\": 1}}");
    let decision = |now: &str, dry_run: bool| {
        format!("{{\"subject\": \"{id}\", \"channel\": \"web\", \"now\": {now}, \"dry_run\": {dry_run}}}")
    };
    let mail = json!({"title": {"en": "m"}, "body": {"en": "b"}, "purpose": "offers", "channels": ["email"]});
    assert_eq!(
        app.put("/v1/offers/mail", &admin, mail).await.status,
        StatusCode::CREATED
    );
    let campaign = |extra: &str| {
        format!("{{\"offer\": \"mail\", \"audience\": {{\"purpose\": \"offers\", \"channel\": \"email\"{extra}}}}}")
    };
    let rr = |subject: &str, kind: &str, received: &str, channel: &str| {
        format!("{{\"subject\": \"{subject}\", \"kind\": \"{kind}\", \"received_at\": \"{received}\", \"channel\": \"{channel}\"}}")
    };
    let audience = |name: &str, purpose: &str, channel: &str, condition: &str| {
        format!("{{\"name\": {name}, \"purpose\": \"{purpose}\", \"channel\": \"{channel}\", \"condition\": {condition}}}")
    };
    let delivery = |id: &str, channel: &str, at: &str| {
        format!("{{\"decision_id\": \"{id}\", \"offer\": \"mail\", \"channel\": \"{channel}\", \"sent_at\": \"{at}\"}}")
    };
    let no_decision = "dec_01AAAAAAAAAAAAAAAAAAAAAAAA";
    let hook = |url: &str, events: &str| format!("{{\"url\": \"{url}\", \"events\": {events}}}");
    let breach_report = |aware_at: &str| {
        format!("{{\"aware_at\": \"{aware_at}\", \"nature\": \"n\", \"data_categories\": [\"c\"], \"subject_categories\": [\"s\"], \"contact_point\": \"dpo\", \"likely_consequences\": \"l\", \"measures\": \"m\"}}")
    };
    let breach = app
        .raw(
            Method::POST,
            "/v1/breaches",
            Some(&admin),
            breach_report("2026-02-20T00:00:00Z").into_bytes(),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // (method, path, token, body, status, code, field)
    let cases: Vec<(Method, String, &str, String, StatusCode, &str, &str)> = vec![
        // Malformed JSON and wrong shapes.
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, s("{\"answers\": "), StatusCode::BAD_REQUEST, "invalid_request", ""),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, s("[]"), StatusCode::BAD_REQUEST, "invalid_request", ""),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, s(""), StatusCode::BAD_REQUEST, "invalid_request", ""),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, s("{\"answers\": {}, \"notice_version\": \"1\"}"), StatusCode::BAD_REQUEST, "invalid_request", "notice_version"),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, s("{\"answers\": [], \"notice_version\": 1}"), StatusCode::BAD_REQUEST, "invalid_request", "answers"),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, s("{\"notice_version\": 1, \"extra\": true}"), StatusCode::BAD_REQUEST, "invalid_request", "extra"),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, s("{\"consents\": {\"offers\": \"yes\"}, \"notice_version\": 1}"), StatusCode::BAD_REQUEST, "invalid_request", "consents.offers"),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, s("{\"answers\": {}}"), StatusCode::BAD_REQUEST, "invalid_request", ""),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, s("{\"notice_version\": -1}"), StatusCode::BAD_REQUEST, "invalid_request", "notice_version"),
        // Unknown things.
        (Method::POST, s("/v1/forms/nope/submissions"), &subject, s("{\"notice_version\": 1}"), StatusCode::NOT_FOUND, "not_found", "form"),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, s("{\"answers\": {\"ghost\": 1}, \"notice_version\": 1}"), StatusCode::UNPROCESSABLE_ENTITY, "minimisation", "answers.ghost"),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, s("{\"consents\": {\"ghost\": true}, \"notice_version\": 1}"), StatusCode::UNPROCESSABLE_ENTITY, "minimisation", "consents.ghost"),
        (Method::PUT, s("/v1/forms/f2"), &admin, s("{\"title\": {\"en\": \"f\"}, \"notice\": {\"en\": \"n\"}, \"attributes\": [\"ghost\"], \"purposes\": [\"offers\"]}"), StatusCode::NOT_FOUND, "not_found", "attributes.0"),
        (Method::PUT, s("/v1/attributes/a2"), &admin, s("{\"title\": {\"en\": \"a\"}, \"kind\": \"boolean\", \"purposes\": [\"ghost\"]}"), StatusCode::NOT_FOUND, "not_found", "purposes.0"),
        (Method::PUT, s("/v1/me/consents/ghost"), &subject, s("{\"given\": true}"), StatusCode::NOT_FOUND, "not_found", "purpose"),
        (Method::GET, s("/v1/purposes/ghost/notices/1"), &admin, s(""), StatusCode::NOT_FOUND, "not_found", "purpose"),
        (Method::GET, s("/v1/purposes/offers/notices/x"), &admin, s(""), StatusCode::NOT_FOUND, "not_found", "version"),
        (Method::GET, s("/v1/purposes/offers/notices/99"), &admin, s(""), StatusCode::NOT_FOUND, "not_found", "version"),
        (Method::PATCH, s("/v1/me/declarations"), &subject, s("{\"ghost\": 1}"), StatusCode::NOT_FOUND, "not_found", "declarations.ghost"),
        (Method::GET, s("/v1/subjects/sub_00000000000000000000000000"), &admin, s(""), StatusCode::NOT_FOUND, "not_found", "subject"),
        (Method::GET, s("/v1/subjects/not-an-id"), &admin, s(""), StatusCode::NOT_FOUND, "not_found", "subject"),
        (Method::POST, s("/v1/forms/survey/submissions"), &service, s("{\"subject\": \"sub_00000000000000000000000000\", \"notice_version\": 1}"), StatusCode::NOT_FOUND, "not_found", "subject"),
        (Method::GET, s("/v1/nothing"), &admin, s(""), StatusCode::NOT_FOUND, "not_found", ""),
        (Method::DELETE, s("/v1/purposes/offers"), &admin, s(""), StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", ""),
        (Method::GET, s("/v1/purposes/%FF"), &admin, s(""), StatusCode::BAD_REQUEST, "invalid_request", ""),
        // Values outside options or ranges.
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, s("{\"answers\": {\"size\": \"huge\"}, \"notice_version\": 1}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "answers.size"),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, s("{\"answers\": {\"interests\": [\"ot\", \"mars\"]}, \"notice_version\": 1}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "answers.interests.1"),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, s("{\"answers\": {\"employees\": 0}, \"notice_version\": 1}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "answers.employees"),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, s("{\"answers\": {\"employees\": 100001}, \"notice_version\": 1}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "answers.employees"),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, s("{\"answers\": {\"employees\": \"12\"}, \"notice_version\": 1}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "answers.employees"),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, s("{\"answers\": {\"review\": \"2027-02-30\"}, \"notice_version\": 1}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "answers.review"),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, review("2020-1-1"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "answers.review"),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, review(" 2020-01-01"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "answers.review"),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, review("+2020-01-01"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "answers.review"),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, review("-262143-01-01"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "answers.review"),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, review("2020-01-01T00:00:00Z"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "answers.review"),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, review("20200101"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "answers.review"),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, review("2020-13-01"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "answers.review"),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, review("0000-01-01"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "answers.review"),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, review("2021-02-29"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "answers.review"),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, review("２０２０-01-01"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "answers.review"),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, review("10000-01-01"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "answers.review"),
        (Method::PATCH, s("/v1/me/declarations"), &subject, s("{\"review\": \"2027-1-31\"}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "declarations.review"),
        (Method::PATCH, s("/v1/me/declarations"), &subject, s("{\"review\": \"+2027-01-31\"}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "declarations.review"),
        (Method::PUT, s("/v1/offers/o2"), &admin, s("{\"title\": {\"en\": \"t\"}, \"body\": {\"en\": \"b\"}, \"purpose\": \"offers\", \"channels\": [\"web\"], \"condition\": {\"review\": {\"$lt\": \"2027-1-31\"}}}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "condition.review.$lt"),
        (Method::PUT, s("/v1/offers/o2"), &admin, s("{\"title\": {\"en\": \"t\"}, \"body\": {\"en\": \"b\"}, \"purpose\": \"offers\", \"channels\": [\"web\"], \"condition\": {\"review\": {\"$in\": [\"-262143-01-01\"]}}}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "condition.review.$in"),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, s("{\"answers\": {\"attending\": \"yes\"}, \"notice_version\": 1}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "answers.attending"),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, s("{\"answers\": {\"size\": \"small\"}, \"notice_version\": 1, \"language\": \"de\"}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "language"),
        (Method::PATCH, s("/v1/me/declarations"), &subject, s("{\"size\": \"huge\"}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "declarations.size"),
        (Method::PATCH, s("/v1/me/declarations"), &subject, s("{}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "declarations"),
        (Method::PUT, s("/v1/purposes/Bad_Key"), &admin, s("{\"title\": {\"en\": \"t\"}, \"description\": {\"en\": \"d\"}, \"legal_basis\": \"consent\", \"retention_days\": 30}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "key"),
        (Method::PUT, s("/v1/purposes/p2"), &admin, s("{\"title\": {}, \"description\": {\"en\": \"d\"}, \"legal_basis\": \"consent\", \"retention_days\": 30}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "title"),
        (Method::PUT, s("/v1/purposes/p2"), &admin, s("{\"title\": {\"en\": \"t\"}, \"description\": {\"en\": \"d\"}, \"legal_basis\": \"consent\", \"retention_days\": 30, \"consent_validity_days\": 0}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "consent_validity_days"),
        (Method::PUT, s("/v1/purposes/p2"), &admin, s("{\"title\": {\"en\": \"t\"}, \"description\": {\"en\": \"d\"}, \"legal_basis\": \"contract\", \"retention_days\": 30, \"consent_validity_days\": 30}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "consent_validity_days"),
        (Method::PUT, s("/v1/purposes/p2"), &admin, s("{\"title\": {\"en\": \"t\"}, \"description\": {\"en\": \"d\"}, \"legal_basis\": \"consent\", \"retention_days\": 30, \"consent_validity_days\": -1}"), StatusCode::BAD_REQUEST, "invalid_request", ""),
        (Method::PUT, s("/v1/purposes/p2"), &admin, s("{\"title\": {\"de\": \"t\"}, \"description\": {\"en\": \"d\"}, \"legal_basis\": \"consent\", \"retention_days\": 30}"), StatusCode::BAD_REQUEST, "invalid_request", "title"),
        (Method::PUT, s("/v1/purposes/p2"), &admin, s("{\"title\": {\"en\": \"t\"}, \"description\": {\"en\": \"d\"}, \"legal_basis\": \"vibes\", \"retention_days\": 30}"), StatusCode::BAD_REQUEST, "invalid_request", "legal_basis"),
        (Method::PUT, s("/v1/purposes/p2"), &admin, s("{\"title\": {\"en\": \"t\"}, \"description\": {\"en\": \"d\"}, \"legal_basis\": \"consent\", \"retention_days\": 0}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "retention_days"),
        (Method::PUT, s("/v1/attributes/a2"), &admin, s("{\"title\": {\"en\": \"a\"}, \"kind\": \"colour\", \"purposes\": [\"offers\"]}"), StatusCode::BAD_REQUEST, "invalid_request", "kind"),
        // A notice change is material or editorial, nothing else.
        (Method::PUT, s("/v1/forms/survey"), &admin, s("{\"title\": {\"en\": \"f\"}, \"notice\": {\"en\": \"changed\"}, \"attributes\": [\"interests\"], \"purposes\": [\"offers\"], \"notice_change\": \"major\"}"), StatusCode::BAD_REQUEST, "invalid_request", "notice_change"),
        (Method::PUT, s("/v1/forms/survey"), &admin, s("{\"title\": {\"en\": \"f\"}, \"notice\": {\"en\": \"changed\"}, \"attributes\": [\"interests\"], \"purposes\": [\"offers\"], \"notice_change\": true}"), StatusCode::BAD_REQUEST, "invalid_request", "notice_change"),
        (Method::PUT, s("/v1/forms/survey"), &admin, s("{\"title\": {\"en\": \"f\"}, \"notice\": {\"en\": \"changed\"}, \"attributes\": [\"interests\"], \"purposes\": [\"offers\"], \"notice_change\": null}"), StatusCode::BAD_REQUEST, "invalid_request", "notice_change"),
        (Method::PUT, s("/v1/attributes/a2"), &admin, s("{\"title\": {\"en\": \"a\"}, \"kind\": \"number\", \"min\": 5, \"max\": 1, \"purposes\": [\"offers\"]}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "min"),
        (Method::PUT, s("/v1/me/contact"), &subject, s("{\"channels\": {\"email\": \"yes\"}}"), StatusCode::BAD_REQUEST, "invalid_request", "channels.email"),
        (Method::PUT, s("/v1/me/contact"), &subject, s("{\"language\": \"klingon\"}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "language"),
        (Method::POST, s("/v1/subjects"), &admin, s("{\"email\": \"not an address\"}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "email"),
        (Method::POST, s("/v1/subjects"), &admin, s("{\"locale\": \"de\"}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "locale"),
        (Method::POST, s("/v1/subjects"), &admin, s("{\"name\": \"x\"}"), StatusCode::BAD_REQUEST, "invalid_request", "name"),
        (Method::POST, s("/v1/subjects"), &admin, s("{\"email\": \"a@example.fi\", \"email_verified\": \"no\"}"), StatusCode::BAD_REQUEST, "invalid_request", "email_verified"),
        (Method::PUT, s("/v1/me/email"), &subject, s("{\"email\": \"not an address\"}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "email"),
        (Method::PUT, s("/v1/me/email"), &subject, s("{\"email\": \"a@example.fi\\r\\nBcc: b@example.fi\"}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "email"),
        (Method::PUT, s("/v1/me/email"), &subject, s("{\"email\": 5}"), StatusCode::BAD_REQUEST, "invalid_request", "email"),
        (Method::PUT, s("/v1/me/email"), &subject, s("{\"address\": \"a@example.fi\"}"), StatusCode::BAD_REQUEST, "invalid_request", "address"),
        (Method::PUT, s("/v1/purposes/email-confirmation"), &admin, s("{\"title\": {\"en\": \"t\"}, \"description\": {\"en\": \"d\"}, \"legal_basis\": \"consent\", \"retention_days\": 30}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "key"),
        // A decision's `now`: only with dry_run, only within a year of the server's clock
        // (2026-03-01T09:00:00Z in tests). The first two used to panic under the deliveries lock.
        (Method::POST, s("/v1/decisions"), &admin, decision("\"-262134-01-01T00:00:00Z\"", true), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "now"),
        (Method::POST, s("/v1/decisions"), &admin, decision("\"-262134-01-01T00:00:00Z\"", false), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "now"),
        (Method::POST, s("/v1/decisions"), &admin, decision("\"+262000-01-01T00:00:00Z\"", true), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "now"),
        (Method::POST, s("/v1/decisions"), &admin, decision("\"+262000-01-01T00:00:00Z\"", false), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "now"),
        (Method::POST, s("/v1/decisions"), &admin, decision("\"2027-03-02T09:00:00Z\"", true), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "now"),
        (Method::POST, s("/v1/decisions"), &admin, decision("\"2025-02-28T09:00:00Z\"", true), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "now"),
        (Method::POST, s("/v1/decisions"), &admin, decision("\"2026-03-01T09:00:00Z\"", false), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "now"),
        (Method::POST, s("/v1/decisions"), &admin, format!("{{\"subject\": \"{id}\", \"channel\": \"web\", \"now\": \"2026-03-02T09:00:00Z\"}}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "now"),
        (Method::POST, s("/v1/decisions"), &admin, decision("\"2026-03-01\"", true), StatusCode::BAD_REQUEST, "invalid_request", "now"),
        (Method::POST, s("/v1/decisions"), &admin, decision("1772355600", true), StatusCode::BAD_REQUEST, "invalid_request", "now"),
        // Campaigns and deliveries.
        (Method::POST, s("/v1/campaigns"), &admin, s("{\"offer\": \"ghost\", \"audience\": {\"purpose\": \"offers\", \"channel\": \"email\"}}"), StatusCode::NOT_FOUND, "not_found", "offer"),
        (Method::POST, s("/v1/campaigns"), &admin, s("{\"offer\": \"mail\", \"audience\": {\"purpose\": \"offers\", \"channel\": \"sms\"}}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "audience.channel"),
        (Method::POST, s("/v1/campaigns"), &admin, s("{\"offer\": \"mail\", \"audience\": {\"purpose\": \"events\", \"channel\": \"email\"}}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "audience.purpose"),
        (Method::POST, s("/v1/campaigns"), &admin, s("{\"offer\": \"mail\", \"audience\": {\"purpose\": \"ghost\", \"channel\": \"email\"}}"), StatusCode::NOT_FOUND, "not_found", "audience.purpose"),
        (Method::POST, s("/v1/campaigns"), &admin, campaign(", \"condition\": {\"size\": \"small\"}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "audience.condition.size"),
        (Method::POST, s("/v1/campaigns"), &admin, campaign(", \"condition\": {\"interests\": {\"$gt\": 3}}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "audience.condition.interests.$gt"),
        (Method::POST, s("/v1/campaigns"), &admin, campaign(", \"extra\": 1"), StatusCode::BAD_REQUEST, "invalid_request", "audience.extra"),
        (Method::POST, s("/v1/campaigns"), &admin, s("{\"offer\": \"mail\"}"), StatusCode::BAD_REQUEST, "invalid_request", ""),
        (Method::POST, s("/v1/campaigns"), &admin, format!("{{\"send_at\": \"tomorrow\", {}", &campaign("")[1..]), StatusCode::BAD_REQUEST, "invalid_request", "send_at"),
        (Method::POST, s("/v1/campaigns"), &admin, format!("{{\"send_at\": \"2028-03-01T09:00:00Z\", {}", &campaign("")[1..]), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "send_at"),
        (Method::POST, s("/v1/campaigns"), &admin, s("{\"offer\": \"mail\", \"audience\": \"ghost\"}"), StatusCode::NOT_FOUND, "not_found", "audience"),
        (Method::POST, s("/v1/campaigns"), &admin, s("{\"offer\": \"mail\", \"audience\": 5}"), StatusCode::BAD_REQUEST, "invalid_request", "audience"),
        // Rights requests.
        (Method::POST, s("/v1/rights-requests"), &admin, rr("sub_00000000000000000000000000", "access", "2026-02-01T00:00:00Z", "email"), StatusCode::NOT_FOUND, "not_found", "subject"),
        (Method::POST, s("/v1/rights-requests"), &admin, rr("not-a-subject", "access", "2026-02-01T00:00:00Z", "email"), StatusCode::NOT_FOUND, "not_found", "subject"),
        (Method::POST, s("/v1/rights-requests"), &admin, rr(&id, "forgetting", "2026-02-01T00:00:00Z", "email"), StatusCode::BAD_REQUEST, "invalid_request", "kind"),
        (Method::POST, s("/v1/rights-requests"), &admin, rr(&id, "access", "2026-02-01T00:00:00Z", "pigeon"), StatusCode::BAD_REQUEST, "invalid_request", "channel"),
        (Method::POST, s("/v1/rights-requests"), &admin, rr(&id, "access", "2026-02-01T00:00:00Z", "self_service"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "channel"),
        (Method::POST, s("/v1/rights-requests"), &admin, rr(&id, "access", "2026-03-02T00:00:00Z", "email"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "received_at"),
        (Method::POST, s("/v1/rights-requests"), &admin, rr(&id, "access", "2024-01-01T00:00:00Z", "email"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "received_at"),
        (Method::POST, s("/v1/rights-requests"), &admin, rr(&id, "access", "yesterday", "email"), StatusCode::BAD_REQUEST, "invalid_request", "received_at"),
        (Method::POST, s("/v1/rights-requests"), &admin, format!("{{\"subject\": \"{id}\", \"kind\": \"access\", \"received_at\": \"2026-02-01T00:00:00Z\", \"channel\": \"post\", \"note\": \"{}\"}}", "n".repeat(2001)), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "note"),
        (Method::GET, s("/v1/rights-requests?state=late"), &admin, s(""), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "state"),
        (Method::GET, s("/v1/rights-requests?sort=due"), &admin, s(""), StatusCode::BAD_REQUEST, "invalid_request", "sort"),
        (Method::GET, s("/v1/rights-requests/rr_01AAAAAAAAAAAAAAAAAAAAAAAA"), &admin, s(""), StatusCode::NOT_FOUND, "not_found", "id"),
        (Method::GET, s("/v1/rights-requests/..%2F..%2Fetc"), &admin, s(""), StatusCode::NOT_FOUND, "not_found", "id"),
        (Method::POST, s("/v1/rights-requests/rr_01AAAAAAAAAAAAAAAAAAAAAAAA/extend"), &admin, s("{\"months\": 1, \"reason\": \"busy\"}"), StatusCode::NOT_FOUND, "not_found", "id"),
        (Method::POST, s("/v1/rights-requests/rr_01AAAAAAAAAAAAAAAAAAAAAAAA/extend"), &admin, s("{\"months\": -1, \"reason\": \"busy\"}"), StatusCode::BAD_REQUEST, "invalid_request", "months"),
        (Method::POST, s("/v1/rights-requests/rr_01AAAAAAAAAAAAAAAAAAAAAAAA/complete"), &admin, s("{}"), StatusCode::BAD_REQUEST, "invalid_request", ""),
        (Method::PUT, s("/v1/recipients/crm"), &admin, s("{\"name\": \"C\", \"country\": \"US\", \"role\": \"processor\"}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "safeguard"),
        (Method::PUT, s("/v1/recipients/crm"), &admin, s("{\"name\": \"C\", \"country\": \"ZZ\", \"role\": \"processor\"}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "country"),
        (Method::PUT, s("/v1/recipients/crm"), &admin, s("{\"name\": \"C\", \"country\": \"FI\", \"role\": \"boss\"}"), StatusCode::BAD_REQUEST, "invalid_request", "role"),
        (Method::PUT, s("/v1/recipients/crm"), &admin, format!("{{\"name\": \"{}\", \"country\": \"FI\", \"role\": \"processor\"}}", "n".repeat(201)), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "name"),
        (Method::PUT, s("/v1/recipients/-crm"), &admin, s("{\"name\": \"C\", \"country\": \"FI\", \"role\": \"processor\"}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "key"),
        (Method::GET, s("/v1/recipients/..%2F..%2Fetc"), &admin, s(""), StatusCode::NOT_FOUND, "not_found", "key"),
        (Method::DELETE, s("/v1/recipients/nobody"), &admin, s(""), StatusCode::NOT_FOUND, "not_found", "key"),
        (Method::PUT, s("/v1/purposes/shared"), &admin, s("{\"title\": {\"en\": \"t\"}, \"description\": {\"en\": \"d\"}, \"legal_basis\": \"consent\", \"uses\": [\"sharing\"], \"retention_days\": 30, \"recipients\": [\"unregistered\"]}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "recipients.0"),
        (Method::PUT, s("/v1/purposes/shared"), &admin, s("{\"title\": {\"en\": \"t\"}, \"description\": {\"en\": \"d\"}, \"legal_basis\": \"consent\", \"retention_days\": 30, \"subject_categories\": [\"\"]}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "subject_categories.0"),
        (Method::GET, s("/v1/records-of-processing?version=99"), &admin, s(""), StatusCode::NOT_FOUND, "not_found", "version"),
        (Method::GET, s("/v1/records-of-processing?version=-1"), &admin, s(""), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "version"),
        (Method::GET, s("/v1/records-of-processing?format=pdf"), &admin, s(""), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "format"),
        (Method::GET, s("/v1/records-of-processing?lang=fi"), &admin, s(""), StatusCode::BAD_REQUEST, "invalid_request", "lang"),
        // Saved audiences.
        (Method::PUT, s("/v1/audiences/a2"), &admin, audience("\"\"", "offers", "email", "{}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "name"),
        (Method::PUT, s("/v1/audiences/a2"), &admin, audience("\"a\"", "offers", "email", "{\"size\": \"small\"}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "condition.size"),
        (Method::PUT, s("/v1/audiences/a2"), &admin, audience("\"a\"", "ghost", "email", "{}"), StatusCode::NOT_FOUND, "not_found", "purpose"),
        (Method::PUT, s("/v1/audiences/a2"), &admin, audience("\"a\"", "offers", "pigeon", "{}"), StatusCode::BAD_REQUEST, "invalid_request", "channel"),
        (Method::PUT, s("/v1/audiences/a2"), &admin, audience("7", "offers", "email", "{}"), StatusCode::BAD_REQUEST, "invalid_request", "name"),
        (Method::PUT, s("/v1/audiences/Bad"), &admin, audience("\"a\"", "offers", "email", "{}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "key"),
        (Method::GET, s("/v1/audiences/ghost"), &admin, s(""), StatusCode::NOT_FOUND, "not_found", "audience"),
        (Method::DELETE, s("/v1/audiences/..%2F..%2Fetc"), &admin, s(""), StatusCode::NOT_FOUND, "not_found", "audience"),
        (Method::GET, s("/v1/campaigns/cmp_01AAAAAAAAAAAAAAAAAAAAAAAA"), &admin, s(""), StatusCode::NOT_FOUND, "not_found", "id"),
        (Method::GET, s("/v1/campaigns/..%2F..%2Fetc"), &admin, s(""), StatusCode::NOT_FOUND, "not_found", "id"),
        (Method::POST, s("/v1/campaigns/cmp_01AAAAAAAAAAAAAAAAAAAAAAAA/cancel"), &admin, s(""), StatusCode::NOT_FOUND, "not_found", "id"),
        (Method::POST, s("/v1/deliveries"), &admin, delivery(no_decision, "email", "2026-03-01T09:00:00Z"), StatusCode::UNPROCESSABLE_ENTITY, "unknown_decision", "decision_id"),
        (Method::POST, s("/v1/deliveries"), &admin, delivery("dec_'; DROP TABLE decisions;--", "email", "2026-03-01T09:00:00Z"), StatusCode::UNPROCESSABLE_ENTITY, "unknown_decision", "decision_id"),
        (Method::POST, s("/v1/deliveries"), &admin, delivery(no_decision, "pigeon", "2026-03-01T09:00:00Z"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "channel"),
        (Method::POST, s("/v1/deliveries"), &admin, delivery(no_decision, "web", "2026-03-01T09:00:00Z"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "channel"),
        (Method::POST, s("/v1/deliveries"), &admin, delivery(no_decision, "email", "yesterday"), StatusCode::BAD_REQUEST, "invalid_request", "sent_at"),
        (Method::POST, s("/v1/deliveries"), &admin, delivery(no_decision, "email", "+262000-01-01T00:00:00Z"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "sent_at"),
        (Method::POST, s("/v1/deliveries"), &service, s("{\"decision_id\": 5}"), StatusCode::BAD_REQUEST, "invalid_request", "decision_id"),
        // Oversized body.
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, huge.clone(), StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", ""),
        (Method::POST, s("/v1/webhooks"), &admin, huge, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", ""),
        // Webhooks: URLs that do not parse, are not https, carry credentials or reach a
        // non-public address; unknown events; bad ids. (No network is needed to refuse them.)
        (Method::POST, s("/v1/webhooks"), &admin, hook("not a url", "[\"consent.given\"]"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "url"),
        (Method::POST, s("/v1/webhooks"), &admin, hook("/relative/path", "[\"consent.given\"]"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "url"),
        (Method::POST, s("/v1/webhooks"), &admin, hook("ftp://hooks.example.invalid/", "[\"consent.given\"]"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "url"),
        (Method::POST, s("/v1/webhooks"), &admin, hook("http://hooks.example.invalid/", "[\"consent.given\"]"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "url"),
        (Method::POST, s("/v1/webhooks"), &admin, hook("https://user:pw@hooks.example.invalid/", "[\"consent.given\"]"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "url"),
        (Method::POST, s("/v1/webhooks"), &admin, hook("https://127.0.0.1:8443/hook", "[\"consent.given\"]"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "url"),
        (Method::POST, s("/v1/webhooks"), &admin, hook("https://169.254.169.254/latest/meta-data", "[\"consent.given\"]"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "url"),
        (Method::POST, s("/v1/webhooks"), &admin, hook("https://10.0.0.1/", "[\"consent.given\"]"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "url"),
        (Method::POST, s("/v1/webhooks"), &admin, hook("https://[::1]/", "[\"consent.given\"]"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "url"),
        (Method::POST, s("/v1/webhooks"), &admin, hook("https://[::ffff:192.168.0.1]/", "[\"consent.given\"]"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "url"),
        (Method::POST, s("/v1/webhooks"), &admin, hook("https://localhost/", "[\"consent.given\"]"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "url"),
        (Method::POST, s("/v1/webhooks"), &admin, hook(&format!("https://hooks.example.invalid/{}", "a".repeat(3000)), "[\"consent.given\"]"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "url"),
        (Method::POST, s("/v1/webhooks"), &admin, hook("https://127.0.0.1/", "[\"consent.given\", \"consent.maybe\"]"), StatusCode::BAD_REQUEST, "invalid_request", "events[1]"),
        (Method::POST, s("/v1/webhooks"), &admin, hook("https://127.0.0.1/", "[]"), StatusCode::BAD_REQUEST, "invalid_request", "events"),
        (Method::POST, s("/v1/webhooks"), &admin, hook("https://127.0.0.1/", "\"consent.given\""), StatusCode::BAD_REQUEST, "invalid_request", "events"),
        (Method::POST, s("/v1/webhooks"), &admin, s("{\"url\": \"https://127.0.0.1/\"}"), StatusCode::BAD_REQUEST, "invalid_request", ""),
        (Method::POST, s("/v1/webhooks"), &admin, s("{\"url\": \"https://127.0.0.1/\", \"events\": [\"consent.given\"], \"secret\": \"mine\"}"), StatusCode::BAD_REQUEST, "invalid_request", "secret"),
        (Method::POST, s("/v1/webhooks"), &admin, format!("{{\"url\": \"https://127.0.0.1/\", \"events\": [\"consent.given\"], \"description\": \"{}\"}}", "d".repeat(501)), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "description"),
        (Method::POST, s("/v1/webhooks"), &service, hook("https://127.0.0.1/", "[\"consent.given\"]"), StatusCode::FORBIDDEN, "forbidden", ""),
        (Method::DELETE, s("/v1/webhooks/not-an-id"), &admin, s(""), StatusCode::NOT_FOUND, "not_found", "id"),
        (Method::DELETE, s("/v1/webhooks/wh_00000000000000000000000000"), &admin, s(""), StatusCode::NOT_FOUND, "not_found", "id"),
        (Method::GET, s("/v1/webhooks/wh_%FF/deliveries"), &admin, s(""), StatusCode::BAD_REQUEST, "invalid_request", ""),
        (Method::GET, s("/v1/webhooks/wh_00000000000000000000000000/deliveries"), &admin, s(""), StatusCode::NOT_FOUND, "not_found", "id"),
        (Method::POST, s("/v1/webhooks/wh_00000000000000000000000000/deliveries/nope/retry"), &admin, s(""), StatusCode::NOT_FOUND, "not_found", "delivery"),
        (Method::POST, s("/v1/webhooks/wh_00000000000000000000000000/deliveries/msg_00000000000000000000000000/retry"), &admin, s(""), StatusCode::NOT_FOUND, "not_found", "id"),
        // The breach register: a future or malformed time, huge or blank texts, unknown ids,
        // a window that ends before it starts, a late notification without its reason.
        (Method::POST, s("/v1/breaches"), &admin, breach_report("2030-01-01T00:00:00Z"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "aware_at"),
        (Method::POST, s("/v1/breaches"), &admin, breach_report("2026-02-30T00:00:00Z"), StatusCode::BAD_REQUEST, "invalid_request", "aware_at"),
        (Method::POST, s("/v1/breaches"), &admin, breach_report("2026-02-27T00:00:00Z").replace("\"nature\": \"n\"", &format!("\"nature\": \"{}\"", "n".repeat(10_001))), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "nature"),
        (Method::POST, s("/v1/breaches"), &admin, breach_report("2026-02-27T00:00:00Z").replace("[\"c\"]", "[]"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "data_categories"),
        (Method::POST, s("/v1/breaches"), &service, breach_report("2026-02-27T00:00:00Z"), StatusCode::FORBIDDEN, "forbidden", ""),
        (Method::GET, s("/v1/breaches/brc_00000000000000000000000000"), &admin, s(""), StatusCode::NOT_FOUND, "not_found", "id"),
        (Method::GET, s("/v1/breaches/not-an-id/subjects"), &admin, s(""), StatusCode::NOT_FOUND, "not_found", "id"),
        (Method::GET, s("/v1/breaches?format=pdf"), &admin, s(""), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "format"),
        (Method::POST, format!("/v1/breaches/{breach}/updates"), &admin, s("{\"text\": \"\"}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "text"),
        (Method::POST, format!("/v1/breaches/{breach}/notified"), &admin, s("{\"authority_ref\": \"R\", \"notified_at\": \"2026-03-01T08:00:00Z\"}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "late_reason"),
        (Method::POST, format!("/v1/breaches/{breach}/scope"), &admin, s("{\"from\": \"2026-03-01T00:00:00Z\", \"to\": \"2026-02-01T00:00:00Z\"}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "to"),
        (Method::POST, format!("/v1/breaches/{breach}/subject-messages"), &admin, s("{}"), StatusCode::CONFLICT, "conflict", "scope"),
        // Wrong token kind.
        (Method::GET, s("/v1/me"), &admin, s(""), StatusCode::FORBIDDEN, "forbidden", ""),
        (Method::GET, s("/v1/purposes"), &subject, s(""), StatusCode::FORBIDDEN, "forbidden", ""),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, format!("{{\"subject\": \"{}\", \"notice_version\": 1}}", "sub_00000000000000000000000000"), StatusCode::FORBIDDEN, "forbidden", "subject"),
        // Stale notice.
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, s("{\"notice_version\": 7}"), StatusCode::CONFLICT, "stale_notice", "notice_version"),
    ];
    let before = app.fingerprint();
    let n = cases.len();
    for (method, path, token, body, status, code, field) in cases {
        let shown = if body.len() > 80 {
            format!("{}...", &body[..80])
        } else {
            body.clone()
        };
        let r = app
            .raw(method.clone(), &path, Some(token), body.into_bytes())
            .await;
        assert_eq!(r.status, status, "{method} {path} {shown}: {}", r.body);
        assert_eq!(r.code(), code, "{method} {path} {shown}: {}", r.body);
        if !field.is_empty() {
            assert_eq!(r.field(), field, "{method} {path} {shown}: {}", r.body);
        }
        assert_eq!(
            app.fingerprint(),
            before,
            "{method} {path} {shown} changed state"
        );
    }
    assert!(n >= 45);
    // And the subject is still exactly as before.
    let me = app.get("/v1/me", &subject).await.body;
    assert_eq!(me["subject"]["id"], id);
    assert_eq!(me["declarations"].as_array().unwrap().len(), 3);
}

/// A decision's `now` cannot break decisions for anyone: the times that used
/// to panic under the deliveries lock (and then made every decision answer
/// 503) are refused, later decisions and `/v1/me/offers` still answer, and a
/// preview within a year of the server's clock works.
#[tokio::test]
async fn decision_times_are_bounded_and_decisions_keep_working() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (id, subject) = app.answered_subject("when@example.fi").await;
    let r = app
        .put(
            "/v1/me/contact",
            &subject,
            json!({"channels": {"web": true}, "max_per_week": 5}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // One offer for always, one that starts 200 days after the test clock's now.
    for (key, extra) in [
        ("hello", json!({})),
        ("later", json!({"valid_from": "2026-09-17T09:00:00Z"})),
    ] {
        let mut body = json!({"title": {"en": key}, "body": {"en": "b"}, "purpose": "offers",
                              "channels": ["web"], "max_per_subject": 3, "period_days": 3650});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = app
            .put(&format!("/v1/offers/{key}"), &app.admin, body)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let decide = |extra: Value| {
        let mut body = json!({"subject": id, "channel": "web"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        app.post("/v1/decisions", &app.admin, body)
    };
    let offers = |r: &crate::common::Resp| -> Vec<String> {
        r.body["offers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["key"].as_str().unwrap().to_owned())
            .collect()
    };
    for now in [
        "-262143-01-01T00:00:00Z",
        "-262134-01-01T00:00:00Z",
        "+262142-12-31T23:59:59Z",
    ] {
        for dry_run in [true, false] {
            let r = decide(json!({"now": now, "dry_run": dry_run})).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{now}: {}",
                r.body
            );
            assert_eq!(
                (r.code(), r.field()),
                ("invalid_value", "now"),
                "{}",
                r.body
            );
        }
    }
    // Nothing is poisoned: a live decision and the subject's own offers still answer.
    let r = decide(json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(offers(&r), ["hello"]);
    assert_eq!(r.body["decided_at"], "2026-03-01T09:00:00Z");
    let r = app.get("/v1/me/offers", &subject).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(offers(&r), ["hello"]);
    // A preview within the year (both ends included) decides at that time.
    for (now, want) in [
        ("2026-09-17T09:00:00Z", vec!["hello", "later"]),
        ("2027-03-01T09:00:00Z", vec!["hello", "later"]),
        ("2025-03-01T09:00:00Z", vec!["hello"]),
    ] {
        let r = decide(json!({"now": now, "dry_run": true})).await;
        assert_eq!(r.status, StatusCode::OK, "{now}: {}", r.body);
        assert_eq!(r.body["decided_at"], now);
        assert_eq!(offers(&r), want, "{now}");
    }
    // The previews counted nothing: `hello` was delivered twice (decision and /v1/me/offers).
    let r = decide(json!({"dry_run": true})).await;
    assert_eq!(offers(&r), ["hello"]);
    let r = decide(json!({})).await;
    assert_eq!(offers(&r), ["hello"]);
    let r = decide(json!({})).await;
    assert!(
        offers(&r).is_empty(),
        "the offer's cap of 3 holds: {}",
        r.body
    );
}
