//! The recipients register (P21) and the record of processing activities
//! (P22): recipients with their country and safeguard, purposes naming only
//! registered recipients, customers shown the recipient's name, the record's
//! art. 30(1)(a)-(g) per purpose, its versions (earlier ones read as they
//! were), its CSV and HTML, the staff page and who may use it.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Utc;
use http_body_util::BodyExt;
use kerro_core::Role;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::common::TestApp;
use crate::pages::get as get_page;

async fn text(app: &TestApp, path: &str) -> (StatusCode, String, String) {
    let req = Request::builder()
        .uri(path)
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

fn audited(app: &TestApp, kind: &str) -> i64 {
    app.sql()
        .query_row(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'schema_changed' AND detail LIKE ?1",
            [format!("%\"{kind}\"%")],
            |r| r.get(0),
        )
        .unwrap()
}

fn activity<'a>(record: &'a Value, purpose: &str) -> &'a Value {
    record["activities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["purpose"] == purpose)
        .unwrap_or_else(|| panic!("no activity {purpose}: {record}"))
}

#[tokio::test]
async fn recipients_are_registered_with_country_and_safeguard_and_bad_ones_change_nothing() {
    let Some(app) = TestApp::start() else { return };
    let a = &app.admin;
    let us = json!({"name": "Cloud CRM Inc", "country": "US", "role": "processor",
                    "safeguard": "standard_contractual_clauses"});
    let r = app.put("/v1/recipients/crm", a, us.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["third_country"], true);
    assert_eq!(r.body["safeguard"], "standard_contractual_clauses");
    let r = app.put("/v1/recipients/crm", a, us.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "replacing answers 200");
    assert_eq!(audited(&app, "recipient_created"), 1);
    assert_eq!(audited(&app, "recipient_replaced"), 1);

    let before = app.fingerprint();
    for (body, status, field) in [
        (
            json!({"name": "X", "country": "US", "role": "processor"}),
            422,
            "safeguard",
        ),
        (
            json!({"name": "X", "country": "FI", "role": "processor", "safeguard": "derogation"}),
            422,
            "safeguard",
        ),
        (
            json!({"name": "X", "country": "XX", "role": "processor"}),
            422,
            "country",
        ),
        (
            json!({"name": "X", "country": "fi", "role": "processor"}),
            422,
            "country",
        ),
        (
            json!({"name": "  ", "country": "FI", "role": "processor"}),
            422,
            "name",
        ),
        (
            json!({"name": "X", "country": "FI", "role": "owner"}),
            400,
            "",
        ),
        (
            json!({"name": "X", "country": "US", "role": "processor", "safeguard": "trust_me"}),
            400,
            "",
        ),
        (
            json!({"name": "X", "country": "FI", "role": "processor", "colour": "red"}),
            400,
            "",
        ),
    ] {
        let r = app.put("/v1/recipients/other", a, body.clone()).await;
        assert_eq!(r.status.as_u16(), status, "{body}: {}", r.body);
        if !field.is_empty() {
            assert_eq!(r.field(), field, "{body}");
        }
    }
    let r = app.put("/v1/recipients/Bad%20Key", a, us.clone()).await;
    assert_eq!(
        (r.status, r.field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "key")
    );
    assert_eq!(
        app.fingerprint(),
        before,
        "refused recipients change nothing"
    );

    let list = app.get("/v1/recipients", a).await;
    assert_eq!(list.body["recipients"].as_array().unwrap().len(), 1);
    assert_eq!(list.body["recipients"][0]["key"], "crm");
    let one = app.get("/v1/recipients/crm", a).await;
    assert_eq!(one.body["name"], "Cloud CRM Inc");
    for missing in ["/v1/recipients/nobody", "/v1/recipients/NOT%20A%20KEY"] {
        assert_eq!(app.get(missing, a).await.status, StatusCode::NOT_FOUND);
    }

    // A purpose that names it keeps it from being deleted.
    let purpose = json!({"title": {"en": "CRM"}, "description": {"en": "d"}, "legal_basis": "consent",
                         "uses": ["sharing"], "retention_days": 30, "recipients": ["crm"]});
    assert_eq!(
        app.put("/v1/purposes/crm_sync", a, purpose).await.status,
        StatusCode::CREATED
    );
    let r = app
        .call(
            axum::http::Method::DELETE,
            "/v1/recipients/crm",
            Some(a),
            None,
        )
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "conflict"));
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("crm_sync"));
    let free = json!({"name": "Free Oy", "country": "FI", "role": "controller"});
    app.put("/v1/recipients/free", a, free).await;
    let r = app
        .call(
            axum::http::Method::DELETE,
            "/v1/recipients/free",
            Some(a),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(audited(&app, "recipient_deleted"), 1);
    let r = app
        .call(
            axum::http::Method::DELETE,
            "/v1/recipients/free",
            Some(a),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn purposes_name_only_registered_recipients_and_customers_see_their_names() {
    let Some(app) = TestApp::start() else { return };
    let a = &app.admin;
    let before = app.fingerprint();
    for recipients in [json!(["nobody"]), json!(["Partner Oy"])] {
        let purpose = json!({"title": {"en": "P"}, "description": {"en": "d"}, "legal_basis": "consent",
                             "uses": ["sharing"], "retention_days": 30, "recipients": recipients});
        let r = app.put("/v1/purposes/partner", a, purpose).await;
        assert_eq!(
            (r.status, r.field()),
            (StatusCode::UNPROCESSABLE_ENTITY, "recipients.0"),
            "{}",
            r.body
        );
    }
    assert_eq!(app.fingerprint(), before);

    // The fixture registers `tapahtuma` as "Tapahtuma Oy" for the events purpose.
    app.schema().await;
    let v1 = app.notice_version("survey").await;
    let notice = app.get(&format!("/v1/forms/survey/notices/{v1}"), a).await;
    let events = notice.body["bundle"]["purposes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["key"] == "events")
        .unwrap()
        .clone();
    assert_eq!(events["recipients"], json!(["Tapahtuma Oy"]));

    // Renaming the recipient is a new notice, and the privacy page shows the new name.
    let renamed = json!({"name": "Juhlat ja Tapahtumat Oy", "country": "FI", "role": "controller"});
    assert_eq!(
        app.put("/v1/recipients/tapahtuma", a, renamed).await.status,
        StatusCode::OK
    );
    assert_eq!(app.notice_version("survey").await, v1 + 1);
    // A consent receipt names the third party as customers see it.
    let (_, token) = app.answered_subject("receipt@example.fi").await;
    let r = app
        .put("/v1/me/consents/events", &token, json!({"given": true}))
        .await;
    let record = r.body["record_id"].as_str().unwrap().to_owned();
    let receipt = app.get(&format!("/v1/receipts/{record}"), &token).await;
    assert_eq!(receipt.status, StatusCode::OK, "{}", receipt.body);
    let p = &receipt.body["purposes"][0];
    assert_eq!(p["third_party_disclosure"], true);
    assert_eq!(p["third_parties"], json!(["Juhlat ja Tapahtumat Oy"]));
    let page = get_page(&app, "/privacy?lang=en", "").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("Juhlat ja Tapahtumat Oy"),
        "{}",
        page.text
    );
}

#[tokio::test]
async fn the_record_has_a_to_g_per_purpose_and_every_version_stays_readable() {
    let Some(app) = TestApp::start_with(|c| {
        c.records.security_measures = "Servers in a locked rack.".into();
    }) else {
        return;
    };
    let a = &app.admin;
    let r = app.get("/v1/records-of-processing", a).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["version"], 0, "no version before the first change");
    app.schema().await;

    let r = app.get("/v1/records-of-processing", a).await;
    let record = r.body;
    let latest = record["version"].as_u64().unwrap();
    assert!(latest >= 1);
    assert_eq!(record["controller"]["name"], "Example Company Oy");
    assert_eq!(record["dpo"], "dpo@example.invalid");
    assert_eq!(record["activities"].as_array().unwrap().len(), 3);
    let events = activity(&record, "events");
    assert_eq!(events["legal_basis"], "consent");
    assert_eq!(events["recipients"][0]["name"], "Tapahtuma Oy");
    assert_eq!(events["recipients"][0]["country"], "FI");
    assert_eq!(events["transfers"], json!([]));
    assert_eq!(events["retention"], "P365D");
    let data: Vec<&str> = events["data_categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["attribute"].as_str().unwrap())
        .collect();
    assert_eq!(data, vec!["attending", "diet"]);
    assert!(events["gaps"][0]
        .as_str()
        .unwrap()
        .contains("subject_categories"));
    assert_eq!(
        record["security_measures"]["text"],
        "Servers in a locked rack."
    );
    let facts = record["security_measures"]["facts"].to_string();
    for fact in ["per-subject data key", "hash-chained", "TOTP"] {
        assert!(facts.contains(fact), "{fact}: {facts}");
    }

    // A transfer to the US with its safeguard, and subject categories: a new version.
    let us = json!({"name": "Cloud CRM Inc", "country": "US", "role": "processor",
                    "safeguard": "adequacy_decision"});
    app.put("/v1/recipients/crm", a, us).await;
    let events_spec = json!({"title": {"en": "=HYPERLINK(\"x\")"}, "description": {"en": "About events"},
        "legal_basis": "consent", "uses": ["sharing"], "retention_days": 365,
        "recipients": ["tapahtuma", "crm"], "subject_categories": ["customers", "prospects"]});
    assert_eq!(
        app.put("/v1/purposes/events", a, events_spec).await.status,
        StatusCode::OK
    );
    let now = app.get("/v1/records-of-processing", a).await.body;
    assert_eq!(now["version"].as_u64().unwrap(), latest + 2);
    let events = activity(&now, "events");
    assert_eq!(
        events["subject_categories"],
        json!(["customers", "prospects"])
    );
    assert_eq!(events["transfers"][0]["country"], "US");
    assert_eq!(events["transfers"][0]["safeguard"], "adequacy_decision");
    assert_eq!(events["gaps"], json!([]));

    // The earlier version reads exactly as it did.
    let old = app
        .get(&format!("/v1/records-of-processing?version={latest}"), a)
        .await;
    assert_eq!(old.body, record);
    let versions = app.get("/v1/records-of-processing/versions", a).await;
    let listed: Vec<u64> = versions.body["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_u64().unwrap())
        .collect();
    assert_eq!(listed.first(), Some(&(latest + 2)), "the newest first");
    assert_eq!(listed.len() as u64, latest + 2);

    // A form change changes nothing in the record: no version.
    let r = app
        .put(
            "/v1/forms/survey",
            a,
            json!({"title": {"en": "Survey 2"}, "notice": {"en": "n"},
                   "attributes": ["interests"], "purposes": ["offers"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let again = app.get("/v1/records-of-processing", a).await.body;
    assert_eq!(again["version"], now["version"]);

    // CSV: one row per purpose, formulas defused; HTML: printable, escaped.
    let (status, kind, csv) = text(&app, "/v1/records-of-processing?format=csv").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/csv"), "{kind}");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 3);
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let ev = rows
        .iter()
        .find(|r| &r[col("purpose")] == "events")
        .unwrap();
    assert_eq!(&ev[col("title")], "'=HYPERLINK(\"x\")");
    assert!(ev[col("transfers")].contains("Cloud CRM Inc (US, adequacy_decision)"));
    assert_eq!(&ev[col("subject_categories")], "customers; prospects");
    let (status, kind, html) = text(&app, "/v1/records-of-processing?format=html").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(html.contains("Cloud CRM Inc (US)"), "{html}");
    assert!(!html.contains("\"x\")</h2>"), "the title is escaped");

    // Bad queries: documented codes, never 500.
    for (q, status, field) in [
        ("version=9999", 404, "version"),
        ("version=0", 422, "version"),
        ("version=abc", 422, "version"),
        ("version=%2B1", 422, "version"),
        ("format=xml", 422, "format"),
        ("colour=red", 400, "colour"),
        ("format=csv&format=csv", 400, "format"),
    ] {
        let r = app.get(&format!("/v1/records-of-processing?{q}"), a).await;
        assert_eq!(r.status.as_u16(), status, "{q}: {}", r.body);
        assert_eq!(r.field(), field, "{q}");
    }
}

#[tokio::test]
async fn a_changed_configuration_is_a_new_version_and_the_old_one_keeps_its_words() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let system = kerro_core::Actor::System("serve".into());
    let mut cfg = kerro::config::Config::default();
    cfg.records.security_measures = "Version one words.".into();
    let ctx = kerro::web::records_documents::context(&cfg);
    let first = app
        .store
        .note_records_context(&system, Utc::now(), ctx.clone())
        .unwrap()
        .expect("a first context is a version");
    assert_eq!(
        app.store
            .note_records_context(&system, Utc::now(), ctx)
            .unwrap(),
        None,
        "the same configuration makes no version"
    );
    cfg.records.security_measures = "Version two words.".into();
    cfg.controller.name = "Renamed Oy".into();
    let second = app
        .store
        .note_records_context(
            &system,
            Utc::now(),
            kerro::web::records_documents::context(&cfg),
        )
        .unwrap()
        .unwrap();
    assert_eq!(second, first + 1);
    assert_eq!(audited(&app, "records_context"), 2);
    let a = &app.admin;
    let old = app
        .get(&format!("/v1/records-of-processing?version={first}"), a)
        .await;
    assert_eq!(old.body["security_measures"]["text"], "Version one words.");
    let new = app.get("/v1/records-of-processing", a).await;
    assert_eq!(new.body["controller"]["name"], "Renamed Oy");
    // A later schema change carries the noted configuration forward.
    let body = json!({"title": {"en": "New"}, "description": {"en": "d"}, "legal_basis": "contract",
                      "retention_days": 10});
    app.put("/v1/purposes/new_one", a, body).await;
    let latest = app.get("/v1/records-of-processing", a).await;
    assert_eq!(
        latest.body["version"].as_u64().unwrap(),
        u64::from(second) + 1
    );
    assert_eq!(
        latest.body["security_measures"]["text"],
        "Version two words."
    );
}

#[tokio::test]
async fn the_staff_page_shows_the_record_and_recipients_to_admin_and_dpo_only() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    for role in [Role::Dpo, Role::Admin] {
        let person = app.staff_person(&format!("records-{role}@example.fi"), role);
        let cookie = format!("{}; kerro_lang=en", person.cookie);
        let page = get_page(&app, "/admin/records", &cookie).await;
        assert_eq!(page.status, StatusCode::OK, "{role}: {}", page.text);
        assert!(page.text.contains("Record of processing activities"));
        assert!(page.text.contains("id=\"recipient-tapahtuma\""));
        assert!(page.text.contains("Tapahtuma Oy"));
        assert!(page.text.contains("href=\"/admin/records\""), "nav entry");
        let csv = get_page(&app, "/admin/records.csv", &cookie).await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(csv.text.starts_with("version,controller"));
        let print = get_page(&app, "/admin/records/print?version=1", &cookie).await;
        assert_eq!(print.status, StatusCode::OK);
        assert!(print.text.contains("Version 1"));
        let missing = get_page(&app, "/admin/records?version=999", &cookie).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        let bad = get_page(&app, "/admin/records?version=x", &cookie).await;
        assert_eq!(bad.status, StatusCode::NOT_FOUND);
    }
    for role in [Role::Editor, Role::Support, Role::Service] {
        let person = app.staff_person(&format!("records-{role}@example.fi"), role);
        let cookie = format!("{}; kerro_lang=en", person.cookie);
        for path in [
            "/admin/records",
            "/admin/records.csv",
            "/admin/records/print",
        ] {
            let page = get_page(&app, path, &cookie).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{role} {path}");
        }
        let nav = get_page(&app, "/admin/sessions", &cookie).await;
        assert!(
            !nav.text.contains("href=\"/admin/records"),
            "{role} sees no link"
        );
    }
    let anonymous = get_page(&app, "/admin/records", "").await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_demo_registers_its_recipient_and_shows_it_in_the_record() {
    let Some(app) = TestApp::start() else { return };
    let now = *app.clock.lock().unwrap();
    let store = app.store.clone();
    tokio::task::spawn_blocking(move || kerro::demo::seed(&store, now, 3).map(|_| ()))
        .await
        .unwrap()
        .unwrap();
    let record = app.get("/v1/records-of-processing", &app.admin).await.body;
    let partner = activity(&record, "partner_events");
    assert_eq!(partner["recipients"][0]["name"], "Tapahtumakumppani Oy");
    assert_eq!(partner["recipients"][0]["role"], "controller");
    assert!(partner["subject_categories"]
        .as_array()
        .unwrap()
        .contains(&json!("customers")));
    let recipients = app.get("/v1/recipients", &app.admin).await.body;
    assert_eq!(recipients["recipients"][0]["key"], "tapahtumakumppani");
}
