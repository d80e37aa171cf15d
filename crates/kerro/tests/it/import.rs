//! `kerro import`: provenance and consent evidence are required, bad lines are reported, good ones land.

use chrono::Utc;
use kerro_core::{Actor, Role};
use kerro_store::{Store, StoreOptions};
use serde_json::json;
use std::process::Command;

use crate::common::TestApp;

#[tokio::test]
async fn import_refuses_lines_without_provenance_or_evidence() {
    let dir = tempfile::tempdir().unwrap();
    // The schema through the API of a running store in `dir` (and, on
    // PostgreSQL, its database), which stays up during the import.
    let Some(app) = TestApp::at(dir.path()) else {
        return;
    };
    app.schema().await;
    let (store_args, database) = (app.store_args(), app.database.clone());
    let offers = kerro_core::PurposeKey::parse("purpose", "offers").unwrap();
    assert_eq!(app.store.consenting_count(&offers), 0);
    let ok = |ext: &str, extra: serde_json::Value| {
        let mut l = json!({
            "subject": {"external_id": ext, "email": format!("{ext}@example.fi"), "locale": "sv"},
            "form": "survey", "notice_version": 1, "given_at": "2025-05-01T10:00:00Z",
            "answers": {"interests": ["cloud"], "size": "small"},
            "consents": {"offers": true},
            "evidence": {"source": "old-centre", "record": "r-1"}
        });
        for (k, v) in extra.as_object().unwrap() {
            l[k] = v.clone();
        }
        l.to_string()
    };
    let mut no_form = json!({"subject": {"external_id": "x2"}, "notice_version": 1, "given_at": "2025-05-01T10:00:00Z", "evidence": {"source": "s"}});
    no_form["answers"] = json!({"size": "small"});
    let lines = [
        ok("c-1", json!({})),
        no_form.to_string(),
        ok("c-3", json!({"given_at": null})),
        ok("c-4", json!({"evidence": {}})),
        ok("c-5", json!({"consents": {}})), // interests need consent: no legal basis
        ok("c-6", json!({"notice_version": 9})),
        "not json".into(),
        ok(
            "c-1",
            json!({"answers": {"size": "large"}, "consents": {}, "given_at": "2025-06-01T10:00:00Z"}),
        ),
        ok("c-9", json!({"answers": {"review": "2027-1-31"}})),
        ok("c-10", json!({"given_at": "+10000-01-01T00:00:00Z"})),
        ok("c-11", json!({"given_at": "-262134-01-01T00:00:00Z"})),
        ok(
            "c-12",
            json!({"subject": {"external_id": "c-12", "email": "xss\"<b>@example.invalid"}}),
        ),
    ];
    let file = dir.path().join("in.ndjson");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kerro"))
        .arg("import")
        .args(&store_args)
        .arg(&file)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    for (line, why) in [
        (2, "form"),
        (3, "given_at"),
        (4, "evidence.source"),
        (5, "no_legal_basis"),
        (6, "notice version 9"),
        (7, "not a valid record"),
        (9, "invalid_value (answers.review)"),
        (10, "invalid_value (given_at)"),
        (11, "invalid_value (given_at)"),
        (12, "invalid_value (subject.email)"),
    ] {
        assert!(
            err.lines()
                .any(|l| l.starts_with(&format!("line {line}: refused")) && l.contains(why)),
            "line {line} ({why}) in:\n{err}"
        );
    }
    assert!(err.contains("imported 2 records (3 declarations)"), "{err}");
    // The running store follows the other process's writes through the outbox.
    let started = std::time::Instant::now();
    while app.store.consenting_count(&offers) != 1 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "the running store did not see the import"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }

    let mut opts = StoreOptions::new(dir.path());
    opts.database = database;
    let store = Store::open(&opts).unwrap();
    let id = store
        .find_by_external_id("c-1")
        .unwrap()
        .expect("imported subject");
    let data = store
        .subject_data(&Actor::System("t".into()), Utc::now(), &id)
        .unwrap();
    let size = data
        .declarations
        .iter()
        .find(|d| d.attribute.as_str() == "size")
        .unwrap();
    assert_eq!(
        size.value,
        json!("large"),
        "the second record for c-1 supersedes the first"
    );
    assert_eq!(
        size.provenance.given_at.to_rfc3339(),
        "2025-06-01T10:00:00+00:00"
    );
    assert_eq!(size.provenance.method.as_str(), "import");
    // An imported address is the company's own record: in use at once (docs/email.md).
    assert_eq!(
        data.subject.email_status,
        kerro_core::contact::EmailStatus::Verified
    );
    assert_eq!(data.subject.email_source.as_deref(), Some("import"));
    assert_eq!(data.subject.email.as_deref(), Some("c-1@example.fi"));
    assert_eq!(
        store.profile(&id).unwrap().email,
        kerro_core::contact::EmailStatus::Verified
    );
    assert_eq!(data.history.len(), 1);
    assert_eq!(
        data.consents[0].event.event_time.to_rfc3339(),
        "2025-05-01T10:00:00+00:00"
    );
    assert_eq!(data.consents[0].event.notice.as_ref().unwrap().version, 1);
    assert!(
        store.find_by_external_id("c-4").unwrap().is_none(),
        "refused records leave nothing behind"
    );
    assert_eq!(store.verify_ledger().unwrap(), Ok(1));
    let _ = Role::Admin;
}
