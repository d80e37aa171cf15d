//! Bad input gets the documented 4xx and changes nothing.

use axum::http::{Method, StatusCode};

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
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, s("{\"answers\": {\"attending\": \"yes\"}, \"notice_version\": 1}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "answers.attending"),
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, s("{\"answers\": {\"size\": \"small\"}, \"notice_version\": 1, \"language\": \"de\"}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "language"),
        (Method::PATCH, s("/v1/me/declarations"), &subject, s("{\"size\": \"huge\"}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "declarations.size"),
        (Method::PATCH, s("/v1/me/declarations"), &subject, s("{}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "declarations"),
        (Method::PUT, s("/v1/purposes/Bad_Key"), &admin, s("{\"title\": {\"en\": \"t\"}, \"description\": {\"en\": \"d\"}, \"legal_basis\": \"consent\", \"retention_days\": 30}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "key"),
        (Method::PUT, s("/v1/purposes/p2"), &admin, s("{\"title\": {}, \"description\": {\"en\": \"d\"}, \"legal_basis\": \"consent\", \"retention_days\": 30}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "title"),
        (Method::PUT, s("/v1/purposes/p2"), &admin, s("{\"title\": {\"de\": \"t\"}, \"description\": {\"en\": \"d\"}, \"legal_basis\": \"consent\", \"retention_days\": 30}"), StatusCode::BAD_REQUEST, "invalid_request", "title"),
        (Method::PUT, s("/v1/purposes/p2"), &admin, s("{\"title\": {\"en\": \"t\"}, \"description\": {\"en\": \"d\"}, \"legal_basis\": \"vibes\", \"retention_days\": 30}"), StatusCode::BAD_REQUEST, "invalid_request", "legal_basis"),
        (Method::PUT, s("/v1/purposes/p2"), &admin, s("{\"title\": {\"en\": \"t\"}, \"description\": {\"en\": \"d\"}, \"legal_basis\": \"consent\", \"retention_days\": 0}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "retention_days"),
        (Method::PUT, s("/v1/attributes/a2"), &admin, s("{\"title\": {\"en\": \"a\"}, \"kind\": \"colour\", \"purposes\": [\"offers\"]}"), StatusCode::BAD_REQUEST, "invalid_request", "kind"),
        (Method::PUT, s("/v1/attributes/a2"), &admin, s("{\"title\": {\"en\": \"a\"}, \"kind\": \"number\", \"min\": 5, \"max\": 1, \"purposes\": [\"offers\"]}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "min"),
        (Method::PUT, s("/v1/me/contact"), &subject, s("{\"channels\": {\"email\": \"yes\"}}"), StatusCode::BAD_REQUEST, "invalid_request", "channels.email"),
        (Method::PUT, s("/v1/me/contact"), &subject, s("{\"language\": \"klingon\"}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "language"),
        (Method::POST, s("/v1/subjects"), &admin, s("{\"email\": \"not an address\"}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "email"),
        (Method::POST, s("/v1/subjects"), &admin, s("{\"locale\": \"de\"}"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "locale"),
        (Method::POST, s("/v1/subjects"), &admin, s("{\"name\": \"x\"}"), StatusCode::BAD_REQUEST, "invalid_request", "name"),
        // Oversized body.
        (Method::POST, s("/v1/forms/survey/submissions"), &subject, huge, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", ""),
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
