//! The rights requests staff page: recording a request received by e-mail
//! (a bad one refused beside its field, changing nothing), the overdue mark,
//! verifying the requester, and fulfilling an erasure and an export so that
//! what was done is recorded against the request; who may use it.

use axum::http::{Method, StatusCode};
use kerro_core::Role;

use crate::common::TestApp;
use crate::pages::{get, send, Page};
use crate::rights_requests::request;

fn signed_in(app: &TestApp, role: Role) -> String {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let person = app.staff_person(&format!("requests-{role}-{n}@example.fi"), role);
    format!("{}; kerro_lang=en", person.cookie)
}

/// The cookies to send with a form taken from `page`.
fn with_csrf(cookie: &str, page: &Page) -> String {
    match page.cookie("kerro_csrf") {
        Some(c) => format!("{cookie}; kerro_csrf={c}"),
        None => cookie.to_owned(),
    }
}

async fn post(app: &TestApp, cookie: &str, from: &str, to: &str, form: &[(&str, &str)]) -> Page {
    let page = get(app, from, cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{from}: {}", page.text);
    let csrf = page.csrf();
    let mut fields = vec![("csrf", csrf.as_str())];
    fields.extend_from_slice(form);
    send(
        app,
        Method::POST,
        to,
        &with_csrf(cookie, &page),
        &[],
        &fields,
    )
    .await
}

fn location(p: &Page) -> String {
    p.headers["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_dpo_records_a_request_and_fulfils_an_erasure_against_it() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (id, _) = app.answered_subject("erase-me@example.com").await;
    let dpo = signed_in(&app, Role::Dpo);

    // A bad request is refused beside its field and records nothing.
    let before = app.fingerprint();
    for (form, field) in [
        (
            vec![
                ("subject", "sub_00000000000000000000000000"),
                ("kind", "erasure"),
                ("channel", "email"),
            ],
            "subject",
        ),
        (
            vec![
                ("subject", id.as_str()),
                ("kind", "erasure"),
                ("channel", "email"),
                ("received", "1.2.2026"),
            ],
            "received",
        ),
        (
            vec![
                ("subject", id.as_str()),
                ("kind", "erasure"),
                ("channel", "email"),
                ("received", "2026-03-09"),
            ],
            "received",
        ),
        (
            vec![
                ("subject", id.as_str()),
                ("kind", "forgetting"),
                ("channel", "email"),
            ],
            "kind",
        ),
        (
            vec![
                ("subject", id.as_str()),
                ("kind", "erasure"),
                ("channel", "self_service"),
            ],
            "channel",
        ),
    ] {
        let r = post(&app, &dpo, "/admin/requests", "/admin/requests", &form).await;
        assert!(r.status.is_client_error(), "{form:?}: {}", r.status);
        assert!(
            r.text.contains(&format!("id=\"r-{field}-error\"")),
            "{form:?}: no error beside {field}: {}",
            r.text
        );
        assert!(r.text.contains(&format!(
            "aria-invalid=\"true\" aria-describedby=\"r-{field}-error\""
        )));
    }
    assert_eq!(app.fingerprint(), before);

    // Received by e-mail on 31 January: due 28 February, overdue on 1 March.
    let r = post(
        &app,
        &dpo,
        "/admin/requests",
        "/admin/requests",
        &[
            ("subject", &id),
            ("kind", "erasure"),
            ("channel", "email"),
            ("received", "2026-01-31"),
            ("note", "by e-mail"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let at = location(&r);
    let path = at.split('?').next().unwrap().to_owned();
    let list = get(&app, "/admin/requests", &dpo).await;
    assert!(list.text.contains("2026-02-28"), "{}", list.text);
    assert!(list.text.contains("class=\"overdue\""), "{}", list.text);

    // Not erasable before the requester is verified.
    let page = get(&app, &path, &dpo).await;
    assert!(!page.text.contains("id=\"erase-request\""));
    let r = post(&app, &dpo, &path, &format!("{path}/erase"), &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(
        app.get(&format!("/v1/subjects/{id}"), &app.admin)
            .await
            .status
            != StatusCode::GONE
    );

    let r = post(&app, &dpo, &path, &format!("{path}/verify"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = get(&app, &path, &dpo).await;
    assert!(page.text.contains("id=\"erase-request\""), "{}", page.text);
    let r = post(&app, &dpo, &path, &format!("{path}/erase"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = app
        .call(
            Method::GET,
            &format!("/v1/subjects/{id}"),
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::GONE, "{}", r.body);
    let done = get(&app, &path, &dpo).await;
    assert!(
        done.text
            .contains("id=\"request-evidence\">erased by staff"),
        "{}",
        done.text
    );
    assert!(
        !done.text.contains("by e-mail"),
        "the note is cleared with the subject"
    );
    let rid = path.rsplit('/').next().unwrap();
    let api = app
        .get(&format!("/v1/rights-requests/{rid}"), &app.admin)
        .await;
    assert_eq!(api.body["state"], "completed");
    assert!(
        api.body["completed_by"].as_str().unwrap().contains("stf_"),
        "{}",
        api.body
    );
}

#[tokio::test]
async fn an_export_for_an_access_request_is_downloaded_and_recorded() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (id, _) = app.answered_subject("see-mine@example.com").await;
    let support = signed_in(&app, Role::Support);
    let r = request(&app, &id, "access", "2026-02-27T08:00:00Z").await;
    let path = format!("/admin/requests/{}", r["id"].as_str().unwrap());
    post(&app, &support, &path, &format!("{path}/verify"), &[]).await;
    let file = post(&app, &support, &path, &format!("{path}/export"), &[]).await;
    assert_eq!(file.status, StatusCode::OK, "{}", file.text);
    assert!(file.headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let doc: serde_json::Value = serde_json::from_str(&file.text).unwrap();
    assert_eq!(doc["subject"]["id"], id.as_str(), "{doc}");
    let api = app
        .get(
            &format!("/v1/rights-requests/{}", r["id"].as_str().unwrap()),
            &app.admin,
        )
        .await;
    assert_eq!(api.body["state"], "completed", "{}", api.body);
    // The read is audited with the request as its reason.
    let reasons: Vec<String> = app
        .sql()
        .rows(
            "SELECT detail FROM audit_log WHERE action = 'subject_exported'",
            (),
        )
        .unwrap()
        .iter()
        .map(|r| r.get::<_, String>(0).unwrap())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|d| d.contains(&format!("rights request {}", r["id"].as_str().unwrap()))),
        "{reasons:?}"
    );
    // Once completed, neither again.
    let again = post(&app, &support, &path, &format!("{path}/export"), &[]).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    // Completing it again is refused on the page as well.
    let r = post(
        &app,
        &support,
        &path,
        &format!("{path}/complete"),
        &[("evidence", "again")],
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
}

#[tokio::test]
async fn only_admin_support_and_dpo_see_the_requests() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let id = app.subject("who@example.com").await;
    let r = request(&app, &id, "objection", "2026-02-27T08:00:00Z").await;
    let one = format!("/admin/requests/{}", r["id"].as_str().unwrap());
    for role in Role::ALL {
        let cookie = signed_in(&app, role);
        let allowed = matches!(role, Role::Admin | Role::Support | Role::Dpo);
        for path in ["/admin/requests", "/admin/requests.csv", one.as_str()] {
            let p = get(&app, path, &cookie).await;
            let want = if allowed {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(p.status, want, "{role} {path}");
        }
        let nav = get(&app, "/admin/sessions", &cookie).await;
        assert_eq!(
            nav.text.contains("href=\"/admin/requests"),
            allowed,
            "{role}: the navigation"
        );
    }
    // No session: the sign-in page; a malformed id: not found.
    let p = get(&app, "/admin/requests", "").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let dpo = signed_in(&app, Role::Dpo);
    for bad in [
        "/admin/requests/nope",
        "/admin/requests/rr_01AAAAAAAAAAAAAAAAAAAAAAAA",
        "/admin/requests/..%2F..%2Fetc",
    ] {
        assert_eq!(
            get(&app, bad, &dpo).await.status,
            StatusCode::NOT_FOUND,
            "{bad}"
        );
    }
    // A form without its CSRF token changes nothing.
    let before = app.fingerprint();
    let r = send(&app, Method::POST, &format!("{one}/verify"), &dpo, &[], &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.fingerprint(), before);
}
