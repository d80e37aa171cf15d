//! The audit log viewer (`/admin/audit`) and its exports, in-process: who
//! may see it, the filters, the chain and checkpoint status, CSV and JSON,
//! bad filters answered 400 without a write, and every view audited.

use axum::http::{header, StatusCode};
use kerro_core::Role;
use serde_json::Value;

use crate::common::TestApp;
use crate::pages::{get, Page};

/// A signed-in staff person of `role`, as a cookie header.
fn staff_cookie(app: &TestApp, role: Role) -> String {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let person = app.staff_person(&format!("audit-{role}-{n}@example.fi"), role);
    format!("{}; kerro_lang=en", person.cookie)
}

/// The entry numbers in a page's table, in order.
fn seqs(p: &Page) -> Vec<i64> {
    p.text
        .split("<tr><th scope=\"row\">")
        .skip(1)
        .map(|s| s[..s.find('<').unwrap()].parse().unwrap())
        .collect()
}

fn header_of(p: &Page, name: header::HeaderName) -> &str {
    p.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn only_admin_sees_the_audit_log_and_anonymous_visitors_sign_in_first() {
    let Some(app) = TestApp::start() else { return };
    for path in ["/admin/audit", "/admin/audit.csv", "/admin/audit.json"] {
        let anonymous = get(&app, path, "").await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER, "{path}");
        assert!(anonymous.location().starts_with("/admin/login"), "{path}");
        // Editors may sign in to the overview, not read the audit log.
        let editor = staff_cookie(&app, Role::Editor);
        let refused = get(&app, path, &editor).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}");
        let admin = staff_cookie(&app, Role::Admin);
        assert_eq!(
            get(&app, path, &admin).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
    // The overview links to it for admins only.
    let admin = staff_cookie(&app, Role::Admin);
    assert!(get(&app, "/admin", &admin)
        .await
        .text
        .contains("href=\"/admin/audit\""));
    let editor = staff_cookie(&app, Role::Editor);
    let overview = get(&app, "/admin", &editor).await;
    assert_eq!(overview.status, StatusCode::OK);
    assert!(!overview.text.contains("href=\"/admin/audit\""));
}

#[tokio::test]
async fn filters_narrow_the_entries_and_every_view_is_audited() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (a, _) = app.answered_subject("a@example.fi").await;
    let (b, _) = app.answered_subject("b@example.fi").await;
    let cookie = staff_cookie(&app, Role::Admin);

    let all = get(&app, "/admin/audit", &cookie).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text);
    let every = seqs(&all);
    assert!(every.len() > 10, "{every:?}");
    assert!(every.windows(2).all(|w| w[0] > w[1]), "newest first");
    assert!(
        all.text.contains("The hash chain is intact"),
        "{}",
        all.text
    );
    assert!(all.text.contains("No checkpoint has been written yet."));
    assert_eq!(app.store.audit_count("audit_log_read", None).unwrap(), 1);

    // By subject: only that subject's entries.
    let only_a = get(&app, &format!("/admin/audit?subject={a}"), &cookie).await;
    assert!(!seqs(&only_a).is_empty());
    assert!(only_a.text.contains(&a) && !only_a.text.contains(&b));
    // By action.
    let created = get(&app, "/admin/audit?action=subject_created", &cookie).await;
    assert_eq!(seqs(&created).len(), 2, "{}", created.text);
    // By actor: the test's admin token, by its label or by a leading part of it.
    let staff = get(
        &app,
        "/admin/audit?actor=staff%3Aadmin&action=subject_created",
        &cookie,
    )
    .await;
    assert_eq!(seqs(&staff).len(), 2);
    let partial = get(
        &app,
        "/admin/audit?actor=staff%3Aadm&action=subject_created",
        &cookie,
    )
    .await;
    assert!(seqs(&partial).is_empty(), "a prefix ends at a colon");
    // By time: the app's clock says 1 March 2026.
    for (range, n) in [
        ("from=2026-03-01&to=2026-03-01", 2),
        ("from=2026-03-02", 0),
        ("to=2026-02-28", 0),
    ] {
        let p = get(
            &app,
            &format!("/admin/audit?action=subject_created&{range}"),
            &cookie,
        )
        .await;
        assert_eq!(seqs(&p).len(), n, "{range}");
    }
    // With a checkpoint, the page says so.
    app.store.checkpoint(*app.clock.lock().unwrap()).unwrap();
    let anchored = get(&app, "/admin/audit", &cookie).await;
    assert!(
        anchored
            .text
            .contains("The newest verified checkpoint, number 2,"),
        "{}",
        anchored.text
    );
    let reads = app.store.audit_count("audit_log_read", None).unwrap();
    assert_eq!(reads, 9, "every view recorded");
}

#[tokio::test]
async fn older_entries_come_a_page_at_a_time() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    // Three entries a subject (created, token issued, submission).
    for i in 0..40 {
        app.answered_subject(&format!("p{i}@example.fi")).await;
    }
    let cookie = staff_cookie(&app, Role::Admin);
    let first = get(&app, "/admin/audit", &cookie).await;
    let page1 = seqs(&first);
    assert_eq!(page1.len(), 100);
    let older = first
        .text
        .split("id=\"audit-older\"")
        .next()
        .and_then(|t| t.rsplit("href=\"").next())
        .map(|h| h[..h.find('"').unwrap()].replace("&amp;", "&"))
        .unwrap();
    assert_eq!(older, format!("/admin/audit?before={}", page1[99]));
    let second = get(&app, &older, &cookie).await;
    let page2 = seqs(&second);
    assert!(!page2.is_empty() && page2[0] == page1[99] - 1, "{page2:?}");
}

#[tokio::test]
async fn exports_carry_the_same_filters_as_csv_and_json() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (a, _) = app.answered_subject("a@example.fi").await;
    app.answered_subject("b@example.fi").await;
    let cookie = staff_cookie(&app, Role::Admin);
    let page = get(&app, &format!("/admin/audit?subject={a}"), &cookie).await;
    let expected = seqs(&page);

    let csv = get(&app, &format!("/admin/audit.csv?subject={a}"), &cookie).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(
        header_of(&csv, header::CONTENT_TYPE),
        "text/csv; charset=utf-8"
    );
    assert!(header_of(&csv, header::CONTENT_DISPOSITION).contains("kerro-audit.csv"));
    let mut lines = csv.text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "seq,time,actor,action,subject,detail,prev_hash,hash"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), expected.len());
    for (row, seq) in rows.iter().zip(&expected) {
        assert!(row.starts_with(&format!("{seq},")), "{row}");
        assert!(row.contains(&a), "{row}");
    }

    let json = get(&app, &format!("/admin/audit.json?subject={a}"), &cookie).await;
    assert_eq!(json.status, StatusCode::OK);
    assert_eq!(header_of(&json, header::CONTENT_TYPE), "application/json");
    let body: Value = serde_json::from_str(&json.text).unwrap();
    assert_eq!(body["format"], "kerro.audit.v1");
    assert_eq!(body["filters"]["subject"], a.as_str());
    let entries = body["entries"].as_array().unwrap();
    assert_eq!(
        entries
            .iter()
            .map(|e| e["seq"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        expected
    );
    assert!(entries
        .iter()
        .all(|e| e["subject"] == a.as_str() && e["detail"].is_object()));
    assert!(body["next_before"].is_null());
    // The page, the CSV and the JSON: three reads, each with its format.
    let reads = app.sql().rows(
        "SELECT detail FROM audit_log WHERE action = 'audit_log_read' ORDER BY seq",
        (),
    );
    let formats: Vec<String> = reads
        .unwrap()
        .iter()
        .map(|r| {
            let d: Value = serde_json::from_str(&r.get::<_, String>(0).unwrap()).unwrap();
            assert_eq!(d["filters"]["subject"], a.as_str());
            d["format"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(formats, ["page", "csv", "json"]);
}

#[tokio::test]
async fn a_cell_a_spreadsheet_would_run_is_exported_as_text() {
    let Some(app) = TestApp::start() else { return };
    // An actor label that begins like a formula (written behind kerro's back).
    app.sql()
        .execute(
            "INSERT INTO audit_log (time, actor, action, subject_id, detail, prev_hash, hash)
             VALUES ('2026-03-01T09:00:00.000000Z', '=HYPERLINK(\"http://x\")', 'subject_read', NULL, '{}', 'x', 'y')",
            (),
        )
        .unwrap();
    let cookie = staff_cookie(&app, Role::Admin);
    let csv = get(&app, "/admin/audit.csv?action=subject_read", &cookie).await;
    assert_eq!(csv.status, StatusCode::OK);
    let row = csv.text.lines().nth(1).unwrap();
    assert!(
        row.contains(",\"'=HYPERLINK(\"\"http://x\"\")\",subject_read,"),
        "{row}"
    );
    // The page shows the broken chain it made.
    let page = get(&app, "/admin/audit", &cookie).await;
    assert!(
        page.text.contains("The chain is broken at entry"),
        "{}",
        page.text
    );
}

#[tokio::test]
async fn bad_filters_are_answered_400_naming_the_field_and_change_nothing() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let cookie = staff_cookie(&app, Role::Admin);
    let before = app.fingerprint();
    for (query, field) in [
        ("from=2026-3-1", "from"),
        ("to=2026-02-30", "to"),
        ("from=%2B2026-03-01", "from"),
        ("from=2026-03-02&to=2026-03-01", "to"),
        ("subject=nobody", "subject"),
        ("action=DROP%20TABLE", "action"),
        ("before=-5", "before"),
        ("before=x", "before"),
    ] {
        let p = get(&app, &format!("/admin/audit?{query}"), &cookie).await;
        assert_eq!(p.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(p.text.contains("role=\"alert\""), "{query}");
        if field != "before" {
            assert!(
                p.text
                    .contains(&format!("id=\"f-{field}\" name=\"{field}\"")),
                "{query}"
            );
            assert!(
                p.text
                    .contains(&format!("aria-describedby=\"f-{field}-error")),
                "{query}: {}",
                p.text
            );
        }
        for export in ["csv", "json"] {
            let e = get(&app, &format!("/admin/audit.{export}?{query}"), &cookie).await;
            assert_eq!(e.status, StatusCode::BAD_REQUEST, "{export} {query}");
            assert!(e.text.contains(field), "{export} {query}: {}", e.text);
        }
        assert_eq!(app.fingerprint(), before, "{query} changed something");
    }
    let json = get(&app, "/admin/audit.json?to=tomorrow", &cookie).await;
    let body: Value = serde_json::from_str(&json.text).unwrap();
    assert_eq!(body["error"]["field"], "to");
}

#[tokio::test]
async fn a_persons_id_finds_everything_they_did_under_any_role_with_their_name() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (subject, _) = app.answered_subject("seen@example.fi").await;
    let dpo = app.staff_person("watcher@example.fi", Role::Dpo);
    let support = app.staff_person("helper@example.fi", Role::Support);
    let now = *app.clock.lock().unwrap();
    let sid = kerro_core::SubjectId::parse(&subject).unwrap();
    let as_support = kerro_core::Actor::Staff {
        id: support.id.clone(),
        role: Role::Support,
    };
    app.store
        .subject_data_because(&as_support, now, &sid, Some("ticket 1"), false)
        .unwrap();
    let r = app
        .call(
            axum::http::Method::PATCH,
            &format!("/v1/staff/{}", support.id),
            Some(&app.admin),
            Some(serde_json::json!({"role": "admin"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let as_admin = kerro_core::Actor::Staff {
        id: support.id.clone(),
        role: Role::Admin,
    };
    app.store
        .subject_data_because(&as_admin, now, &sid, Some("ticket 2"), true)
        .unwrap();
    let cookie = format!("{}; kerro_lang=en", dpo.cookie);
    let page = get(&app, &format!("/admin/audit?actor={}", support.id), &cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let rows = seqs(&page);
    // Signing in and enrolling (as the person), the read as support, the export as admin.
    assert!(rows.len() >= 3, "{rows:?}: {}", page.text);
    assert!(
        page.text.contains("staff:support:"),
        "the read under the old role"
    );
    assert!(
        page.text.contains("staff:admin:"),
        "the export under the new one"
    );
    assert!(
        page.text.contains("helper@example.fi<br>"),
        "the person's name is shown"
    );
    assert!(
        !page.text.contains("watcher@example.fi<br>"),
        "only that person's entries"
    );
}
