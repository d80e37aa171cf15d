//! The write path: one user action is one transaction, and the in-memory
//! profiles follow what each transaction wrote without reading it back.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use kerro_core::contact::{ContactPrefs, EmailStatus};
use kerro_core::{Actor, ErrorCode, Lang, SubjectId};
use kerro_store::{FormPost, FormPosted, NewSubject, Respondent, Store, StoreOptions};
use serde_json::{json, Map, Value};

use crate::common::TestApp;

fn map(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

fn post(app: &TestApp, email: &str, answers: Value, token: &str) -> FormPost {
    FormPost {
        form: kerro_core::FormKey::parse("form", "survey").unwrap(),
        respondent: Respondent::New(NewSubject {
            email: Some(email.into()),
            ..Default::default()
        }),
        notice_version: app.store.schema().notices
            [&kerro_core::FormKey::parse("f", "survey").unwrap()]
            .version,
        answers: map(answers),
        consents: map(json!({"offers": true, "events": false})),
        explicit: vec![],
        recipients: Default::default(),
        language: Lang::Fi,
        token: Some((token.into(), app.store_now() + Duration::hours(1))),
        session_ttl: Some(Duration::minutes(30)),
        gpc: false,
    }
}

impl TestApp {
    fn store_now(&self) -> chrono::DateTime<chrono::Utc> {
        *self.clock.lock().unwrap()
    }

    fn count(&self, table: &str) -> i64 {
        self.sql()
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), (), |r| r.get(0))
            .unwrap()
    }
}

/// A hosted-form post creates the subject, records its answers and consents,
/// starts its session and uses up its token in one transaction. When the
/// answers are refused after the subject step ran, nothing of it remains: no
/// subject, no declaration, no consent event, no session, no used token.
#[tokio::test]
async fn a_hosted_form_post_commits_all_or_nothing() {
    let Some(app) = TestApp::start() else {
        return;
    };
    app.schema().await;
    let now = app.store_now();
    let send =
        |email: &str, answers: Value| app.store.post_form(now, post(&app, email, answers, "t1"));
    let before = app.fingerprint();
    // `size` must be one of its options: refused inside the transaction, after the subject was inserted.
    let refused = send(
        "new@example.fi",
        json!({"size": "huge", "interests": ["ot"]}),
    )
    .unwrap_err();
    assert_eq!(refused.to_core().code, ErrorCode::InvalidValue, "{refused}");
    assert_eq!(
        app.fingerprint(),
        before,
        "a refused post left something behind"
    );
    assert!(app
        .store
        .find_by_email("new@example.fi")
        .unwrap()
        .is_empty());

    // The same post, answered correctly: everything at once.
    let done = send(
        "new@example.fi",
        json!({"size": "large", "interests": ["ot"]}),
    )
    .unwrap();
    let FormPosted::Done { result, session } = done else {
        panic!("the token was fresh")
    };
    assert!(session.is_some_and(|s| s.starts_with(kerro_store::SESSION_PREFIX)));
    assert_eq!(
        app.store.find_by_email("new@example.fi").unwrap(),
        vec![result.subject.clone()]
    );
    assert_eq!(app.count("subjects"), 1);
    assert_eq!(app.count("web_sessions"), 1);
    assert_eq!(app.count("web_form_tokens"), 1);
    assert_eq!(app.count("declarations"), 2);
    assert_eq!(result.receipts.len(), 2);
    // The profile decisions read holds the answers at once.
    let profile = app.store.profile(&result.subject).unwrap();
    assert_eq!(profile.declared.len(), 2);
    assert_eq!(profile.language, Some(Lang::Fi));

    // The token works once: a replay writes nothing.
    let after = app.fingerprint();
    let replay = send("other@example.fi", json!({"size": "small"})).unwrap();
    assert!(matches!(replay, FormPosted::TokenUsed));
    assert_eq!(app.fingerprint(), after);
}

/// Opens a second store on the same database: its index is loaded from disk.
fn reopened(app: &TestApp) -> Store {
    let mut opts = StoreOptions::new(&app.data_dir);
    opts.database = app.database.clone();
    Store::open(&opts).unwrap()
}

/// After every kind of write the profile the writer built from its own edits
/// equals the profile loaded from the database: declarations, consents (and
/// what a withdrawal deletes), corrections, contact choices, flags, erasure.
#[tokio::test]
async fn profiles_built_from_edits_equal_profiles_read_from_disk() {
    let Some(app) = TestApp::start() else {
        return;
    };
    app.schema().await;
    let (a, token) = app.answered_subject("edits@example.fi").await;
    let (b, _) = app.answered_subject("other@example.fi").await;
    let (a, b) = (SubjectId::parse(&a).unwrap(), SubjectId::parse(&b).unwrap());
    let me = Actor::Subject(a.clone());
    let now = app.store_now();
    let check = |what: &str| {
        let disk = reopened(&app);
        for id in [&a, &b] {
            match (app.store.profile(id), disk.profile(id)) {
                (Ok(mem), Ok(loaded)) => assert_eq!(*mem, *loaded, "{what}: {id}"),
                (Err(_), Err(_)) => {}
                (mem, loaded) => panic!("{what}: {id}: in memory {mem:?}, on disk {loaded:?}"),
            }
        }
    };
    check("after the submissions");

    let r = app
        .call(
            Method::PATCH,
            "/v1/me/declarations",
            Some(&token),
            Some(json!({"review": "2028-02-29", "interests": null})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    check("after a correction");

    app.store
        .set_contact(
            &me,
            now,
            &a,
            serde_json::from_value::<ContactPrefs>(
                json!({"channels": {"email": true}, "max_per_week": 2, "language": "sv"}),
            )
            .unwrap(),
        )
        .unwrap();
    check("after a contact change");

    app.store
        .set_rights(&me, now, &a, Some(true), Some(true), None)
        .unwrap();
    check("after restriction and objection");

    app.store
        .set_consent(&me, now, &a, "events", true, None)
        .unwrap();
    app.store
        .set_consent(&me, now, &a, "offers", false, None)
        .unwrap();
    check("after a consent and a withdrawal");
    assert!(
        !app.store
            .profile(&a)
            .unwrap()
            .declared
            .keys()
            .any(|k| k.as_str() == "review"),
        "withdrawing `offers` deletes what only it allowed"
    );

    // E-mail addresses: a form's waits (pending), its link confirms it
    // (verified); a changed address waits beside the one in use.
    let check_one = |what: &str, id: &SubjectId, want: EmailStatus| {
        let mem = app.store.profile(id).unwrap();
        assert_eq!(mem.email, want, "{what}");
        assert_eq!(*mem, *reopened(&app).profile(id).unwrap(), "{what}: {id}");
    };
    let FormPosted::Done { result, .. } = app
        .store
        .post_form(
            now,
            post(&app, "pending@example.fi", json!({"size": "small"}), "t2"),
        )
        .unwrap()
    else {
        panic!("a fresh token")
    };
    let c = result.subject;
    check_one("a form's address", &c, EmailStatus::Pending);
    let link = crate::optin::wait_links(&app, "pending@example.fi", 1).remove(0);
    app.store.confirm_email(now, &link).unwrap();
    check_one("a confirmed address", &c, EmailStatus::Verified);
    app.store
        .change_email(&me, now, &a, "changed@example.fi")
        .unwrap();
    check_one("a changed address", &a, EmailStatus::Verified);
    let link = crate::optin::wait_links(&app, "changed@example.fi", 1).remove(0);
    app.store.confirm_email(now, &link).unwrap();
    check_one("the changed address confirmed", &a, EmailStatus::Verified);
    let unverified = app
        .store
        .create_subject(
            &Actor::System("test".into()),
            now,
            NewSubject {
                email: Some("unverified@example.fi".into()),
                email_pending: true,
                ..Default::default()
            },
        )
        .unwrap();
    check_one(
        "staff marked it unverified",
        &unverified,
        EmailStatus::Pending,
    );
    check("after the e-mail changes");

    app.store.erase(&me, now, &a).unwrap();
    assert!(
        app.store.profile(&a).is_err(),
        "an erased subject has no profile"
    );
    check("after an erasure");
}
