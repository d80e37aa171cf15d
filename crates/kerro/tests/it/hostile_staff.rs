//! The bad-input table of issue 11's routes: staff accounts, API tokens,
//! access reasons and the staff pages. Every row gets its documented 4xx,
//! names the field where there is one, and changes nothing.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::TestApp;
use crate::pages::{get, send};

/// A page row: what it is, the request, the form, the status it must get.
type PageProbe<'a> = (
    &'a str,
    Method,
    &'a str,
    Vec<(&'a str, &'a str)>,
    StatusCode,
);

#[tokio::test]
async fn staff_routes_refuse_bad_input_and_change_nothing() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (id, _) = app.answered_subject("victim@example.fi").await;
    let support = app.staff_token(kerro_core::Role::Support);
    let unknown = "stf_01AAAAAAAAAAAAAAAAAAAAAAAA";
    use Method as M;
    use StatusCode as S;
    #[rustfmt::skip]
    let api: Vec<(&str, Method, String, Value, StatusCode, &str)> = vec![
        ("staff: not an address", M::POST, "/v1/staff".into(), json!({"email": "nobody", "name": "n", "role": "editor"}), S::UNPROCESSABLE_ENTITY, "email"),
        ("staff: blank name", M::POST, "/v1/staff".into(), json!({"email": "a@example.fi", "name": "  ", "role": "editor"}), S::UNPROCESSABLE_ENTITY, "name"),
        ("staff: a name with a control character", M::POST, "/v1/staff".into(), json!({"email": "a@example.fi", "name": "a\u{7}", "role": "editor"}), S::UNPROCESSABLE_ENTITY, "name"),
        ("staff: unknown role", M::POST, "/v1/staff".into(), json!({"email": "a@example.fi", "name": "n", "role": "root"}), S::BAD_REQUEST, "role"),
        ("staff: a password in the body", M::POST, "/v1/staff".into(), json!({"email": "a@example.fi", "name": "n", "role": "editor", "password": "x"}), S::BAD_REQUEST, "password"),
        ("staff: markup as an id", M::PATCH, "/v1/staff/%22%3E%3Cscript%3E".into(), json!({"name": "n"}), S::NOT_FOUND, "id"),
        ("staff: unknown id", M::POST, format!("/v1/staff/{unknown}/deactivate"), Value::Null, S::NOT_FOUND, "id"),
        ("staff: reinvite unknown", M::POST, format!("/v1/staff/{unknown}/invite"), Value::Null, S::NOT_FOUND, "id"),
        ("staff: role as a number", M::PATCH, format!("/v1/staff/{unknown}"), json!({"role": 1}), S::BAD_REQUEST, "role"),
        ("token: negative lifetime", M::POST, "/v1/tokens".into(), json!({"name": "n", "role": "service", "expires_in_days": -1}), S::BAD_REQUEST, "expires_in_days"),
        ("token: lifetime past u32", M::POST, "/v1/tokens".into(), json!({"name": "n", "role": "service", "expires_in_days": 4_294_967_296_u64}), S::BAD_REQUEST, "expires_in_days"),
        ("token: lifetime over a year", M::POST, "/v1/tokens".into(), json!({"name": "n", "role": "service", "expires_in_days": 366}), S::UNPROCESSABLE_ENTITY, "expires_in_days"),
        ("token: a limit of zero", M::POST, "/v1/tokens".into(), json!({"name": "n", "role": "service", "per_minute": 0}), S::UNPROCESSABLE_ENTITY, "per_minute"),
        ("token: a huge name", M::POST, "/v1/tokens".into(), json!({"name": "n".repeat(201), "role": "service"}), S::UNPROCESSABLE_ENTITY, "name"),
        ("token: revoke unknown", M::DELETE, "/v1/tokens/tok_%2E%2E".into(), Value::Null, S::NOT_FOUND, "id"),
    ];
    let before = app.fingerprint();
    let staff_before = app.get("/v1/staff", &app.admin).await.body;
    for (what, method, path, body, status, field) in api {
        let body = (!body.is_null()).then_some(body);
        let got = app.call(method, &path, Some(&app.admin), body).await;
        assert_eq!(got.status, status, "{what}: {}", got.body);
        assert_eq!(got.field(), field, "{what}: {}", got.body);
    }
    // Reasons: missing, too short, too long, only spaces.
    let long = "r".repeat(501);
    for reason in [None, Some("ab"), Some(long.as_str()), Some("      ")] {
        let headers: Vec<(&str, &str)> = reason
            .map(|r| vec![("kerro-access-reason", r)])
            .unwrap_or_default();
        for path in [
            format!("/v1/subjects/{id}"),
            format!("/v1/subjects/{id}/export"),
        ] {
            let got = app
                .request(M::GET, &path, Some(&support), &headers, vec![])
                .await;
            assert_eq!(
                (got.status, got.code()),
                (S::BAD_REQUEST, "reason_required"),
                "{path} {reason:?}"
            );
        }
        let got = app
            .request(
                M::POST,
                &format!("/v1/subjects/{id}/tokens"),
                Some(&support),
                &headers,
                b"{}".to_vec(),
            )
            .await;
        assert_eq!(got.code(), "reason_required", "mint {reason:?}");
    }
    // The staff pages.
    let login = get(&app, "/admin/login?lang=en", "").await;
    let jar = format!("kerro_csrf={}", login.cookie("kerro_csrf").unwrap());
    let csrf = login.csrf();
    let huge = "x".repeat(70 * 1024);
    #[rustfmt::skip]
    let pages: Vec<PageProbe> = vec![
        ("invite with markup", M::GET, "/admin/invite?token=kin_%22%3E%3Cscript%3E", vec![], S::GONE),
        ("invite with a path", M::GET, "/admin/invite?token=..%2F..%2Fme", vec![], S::GONE),
        ("invite without a token", M::GET, "/admin/invite", vec![], S::GONE),
        ("invite posted without CSRF", M::POST, "/admin/invite", vec![("token", "kin_x"), ("password", "p"), ("password_again", "p")], S::FORBIDDEN),
        ("invite posted with a forged token", M::POST, "/admin/invite", vec![("csrf", &csrf), ("token", "kin_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), ("password", "long enough password"), ("password_again", "long enough password")], S::GONE),
        ("enrol without a session", M::GET, "/admin/enrol", vec![], S::SEE_OTHER),
        ("enrol posted without a session", M::POST, "/admin/enrol", vec![("csrf", &csrf), ("code", "123456")], S::SEE_OTHER),
        ("sign-in without CSRF", M::POST, "/admin/login", vec![("email", "a@example.fi"), ("password", "p"), ("code", "1")], S::FORBIDDEN),
        ("sign-in with a huge password", M::POST, "/admin/login", vec![("csrf", &csrf), ("email", "a@example.fi"), ("password", &huge)], S::PAYLOAD_TOO_LARGE),
        ("sign-in with markup as the address", M::POST, "/admin/login", vec![("csrf", &csrf), ("email", "\"><script>alert(1)</script>"), ("password", "p")], S::UNAUTHORIZED),
        ("sessions without a session", M::GET, "/admin/sessions", vec![], S::SEE_OTHER),
        ("ending a session without one", M::POST, "/admin/sessions/end", vec![("csrf", &csrf), ("session", "ses_x")], S::SEE_OTHER),
        ("staff list without a session", M::GET, "/admin/staff", vec![], S::SEE_OTHER),
        ("the record of processing without a session", M::GET, "/admin/records", vec![], S::SEE_OTHER),
        ("the record's CSV without a session", M::GET, "/admin/records.csv?version=1", vec![], S::SEE_OTHER),
        ("the printable record without a session", M::GET, "/admin/records/print", vec![], S::SEE_OTHER),
    ];
    for (what, method, path, form, status) in pages {
        let got = send(&app, method, path, &jar, &[], &form).await;
        assert_eq!(got.status, status, "{what}: {}", got.text);
        assert!(!got.text.contains("<script>"), "{what}: {}", got.text);
    }
    assert_eq!(app.fingerprint(), before, "a bad request changed something");
    assert_eq!(app.get("/v1/staff", &app.admin).await.body, staff_before);
}
