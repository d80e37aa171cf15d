//! The breach register's staff pages: the countdown to each deadline, the
//! audited download of the affected subjects, and a breach's page taking an
//! update and the notification under the signed-in person's name.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use kerro_core::Role;
use serde_json::json;

use crate::breaches::{create, now, report, rfc3339, token};
use crate::common::TestApp;
use crate::pages::get as get_page;

fn staff_cookie(app: &TestApp, role: Role, tag: &str) -> (String, String) {
    let person = app.staff_person(&format!("breach-{tag}@example.fi"), role);
    (
        person.id.clone(),
        format!("{}; kerro_lang=en", person.cookie),
    )
}

#[tokio::test]
async fn the_staff_pages_show_a_countdown_and_audit_the_subjects_download() {
    let Some(app) = TestApp::start() else { return };
    let (dpo_person, dpo) = staff_cookie(&app, Role::Dpo, "dpo");
    let (_, editor) = staff_cookie(&app, Role::Editor, "editor");
    let (_, api) = token(&app, Role::Dpo);
    let open = create(
        &app,
        &api,
        report(&rfc3339(now(&app) - Duration::minutes(55))),
    )
    .await;
    let overdue = create(
        &app,
        &api,
        report(&rfc3339(now(&app) - Duration::hours(73))),
    )
    .await;
    let (open, overdue) = (
        open["id"].as_str().unwrap(),
        overdue["id"].as_str().unwrap(),
    );
    for path in [
        "/admin/breaches".to_owned(),
        "/admin/breaches.csv".to_owned(),
        format!("/admin/breaches/{open}"),
        format!("/admin/breaches/{open}/notification"),
        format!("/admin/breaches/{open}/subjects.csv"),
    ] {
        let anonymous = get_page(&app, &path, "").await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(
            get_page(&app, &path, &editor).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
        assert_eq!(
            get_page(&app, &path, &dpo).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
    let list = get_page(&app, "/admin/breaches", &dpo).await;
    assert!(list.text.contains("71 h 5 min left"), "{}", list.text);
    assert!(list.text.contains("Overdue by 1 h 0 min"), "{}", list.text);
    assert!(list
        .text
        .contains(&format!("href=\"/admin/breaches/{overdue}?lang=en\"")));
    assert!(
        list.text.contains("href=\"/admin/breaches\""),
        "the nav links the register"
    );
    assert!(!get_page(&app, "/admin", &editor)
        .await
        .text
        .contains("href=\"/admin/breaches\""));
    // The countdown moves with the clock (within the session's 30 idle minutes); after notification it says so.
    app.advance(Duration::minutes(20));
    assert!(get_page(&app, "/admin/breaches", &dpo)
        .await
        .text
        .contains("70 h 45 min left"));
    app.post(
        &format!("/v1/breaches/{open}/notified"),
        &api,
        json!({"authority_ref": "TSV/7", "notified_at": rfc3339(now(&app))}),
    )
    .await;
    let detail = get_page(&app, &format!("/admin/breaches/{open}"), &dpo).await;
    assert!(
        detail.text.contains("Authority notified"),
        "{}",
        detail.text
    );
    assert!(detail
        .text
        .contains(&format!("/admin/breaches/{open}/notification")));
    let fi = get_page(
        &app,
        &format!("/admin/breaches/{open}?lang=fi"),
        &format!("{dpo}; kerro_lang=fi"),
    )
    .await;
    assert!(fi.text.contains("Viranomaiselle ilmoitettu"), "{}", fi.text);
    assert_eq!(
        get_page(&app, "/admin/breaches/brc_00000000000000000000000000", &dpo)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get_page(&app, "/admin/breaches/x%22y", &dpo).await.status,
        StatusCode::NOT_FOUND
    );
    // Downloading the subjects on the page is audited under the person's name.
    let rows = app
        .sql()
        .rows(
            "SELECT actor FROM audit_log WHERE action = 'breach_subjects_exported'",
            (),
        )
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].get::<_, String>(0).unwrap(),
        format!("staff:dpo:{dpo_person}")
    );
}

#[tokio::test]
async fn the_detail_page_takes_an_update_and_the_notification_under_the_persons_name() {
    let Some(app) = TestApp::start() else { return };
    let (person, dpo) = staff_cookie(&app, Role::Dpo, "forms");
    let (_, api) = token(&app, Role::Dpo);
    let b = create(
        &app,
        &api,
        report(&rfc3339(now(&app) - Duration::hours(80))),
    )
    .await;
    let id = b["id"].as_str().unwrap();
    let path = format!("/admin/breaches/{id}");
    let page = get_page(&app, &path, &dpo).await;
    assert!(
        page.text
            .contains(&format!("action=\"/admin/breaches/{id}/updates\"")),
        "{}",
        page.text
    );
    let csrf = page.csrf();
    let post = |to: &'static str, form: Vec<(&'static str, String)>| {
        let (app, dpo, id) = (&app, dpo.clone(), id.to_owned());
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            crate::pages::send(
                app,
                Method::POST,
                &format!("/admin/breaches/{id}/{to}"),
                &dpo,
                &[],
                &form,
            )
            .await
        }
    };
    // Without the CSRF token: refused, nothing written.
    let before = app.fingerprint();
    let r = post("updates", vec![("text", "x".into())]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A blank text: the page again with the error, nothing written.
    let r = post(
        "updates",
        vec![("csrf", csrf.clone()), ("text", " ".into())],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text.contains("id=\"breach-error\"") && r.text.contains("What is new"),
        "{}",
        r.text
    );
    // Late, without its reason: refused the same way.
    let at = rfc3339(now(&app));
    let r = post(
        "notified",
        vec![
            ("csrf", csrf.clone()),
            ("authority_ref", "TSV/3".into()),
            ("notified_at", at.clone()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        r.text.contains("give the reasons for the delay"),
        "{}",
        r.text
    );
    let r = post(
        "notified",
        vec![
            ("csrf", csrf.clone()),
            ("authority_ref", "TSV/3".into()),
            ("notified_at", "tomorrow".into()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(app.fingerprint(), before);
    // An update with a stage, then the late notification with its reason.
    let r = post(
        "updates",
        vec![
            ("csrf", csrf.clone()),
            ("text", "Contained.".into()),
            ("stage", "contained".into()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = post(
        "notified",
        vec![
            ("csrf", csrf.clone()),
            ("authority_ref", "TSV/3".into()),
            ("notified_at", at),
            ("late_reason", "Found on a holiday.".into()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let b = app.get(&format!("/v1/breaches/{id}"), &api).await.body;
    assert_eq!(b["stage"], "contained");
    assert_eq!(b["updates"][1]["by"], format!("staff:dpo:{person}"));
    assert_eq!(b["notification"]["late"], true);
    assert_eq!(
        b["notification"]["recorded_by"],
        format!("staff:dpo:{person}")
    );
    let page = get_page(&app, &path, &dpo).await;
    assert!(
        !page.text.contains("id=\"notify-form\""),
        "notified once: no form"
    );
}
