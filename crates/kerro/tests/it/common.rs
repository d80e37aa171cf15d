//! A test server: the real router on a real store (a SQLite file in a
//! temporary directory, or a fresh PostgreSQL database, as the test binary's
//! `BACKEND` says), with a clock the test can move, driven in-process.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chrono::{DateTime, Duration, TimeZone, Utc};
use http_body_util::BodyExt;
use kerro::app::{router, AppState};
use kerro::config::Config;
use kerro_core::{Actor, Role};
use kerro_store::{Store, StoreOptions};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

/// Which database a test binary runs its suite on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub dir: tempfile::TempDir,
    pub store: Store,
    pub router: axum::Router,
    /// The application state the router serves (for the campaign sender and the webhook dispatcher).
    pub state: AppState,
    pub clock: Arc<Mutex<DateTime<Utc>>>,
    pub admin: String,
    pub backend: Backend,
    /// The data directory (master key, mail outbox; the SQLite file unless `database` is set).
    pub data_dir: std::path::PathBuf,
    /// The database URL the store was opened with (`None`: `<dir>/kerro.db`).
    pub database: Option<String>,
    /// Held for its `Drop` (which drops the database); declared last so the
    /// store's connections close first.
    #[allow(dead_code)]
    pub pg: Option<crate::pg_support::PgDatabase>,
}

pub struct Resp {
    pub status: StatusCode,
    pub body: Value,
    pub headers: axum::http::HeaderMap,
}

impl Resp {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
    pub fn field(&self) -> &str {
        self.body["error"]["field"].as_str().unwrap_or("")
    }
}

impl TestApp {
    /// A test app on this binary's backend; `None` (after a loud SKIPPED line)
    /// when that backend is PostgreSQL and no server is reachable.
    pub fn start() -> Option<TestApp> {
        Self::start_with(|_| {})
    }

    /// A test app whose configuration `configure` changed first.
    pub fn start_with(configure: impl FnOnce(&mut Config)) -> Option<TestApp> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_owned();
        Self::configured(dir, &path, crate::BACKEND, configure)
    }

    /// A test app on SQLite, whatever the binary's backend (the source of `db copy`).
    #[allow(dead_code)] // only some test binaries use it
    pub fn new() -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_owned();
        Self::configured(dir, &path, Backend::Sqlite, |_| {}).unwrap()
    }

    /// A test app whose data directory is `path` (which the caller keeps).
    pub fn at(path: &std::path::Path) -> Option<TestApp> {
        Self::configured(tempfile::tempdir().unwrap(), path, crate::BACKEND, |_| {})
    }

    fn configured(
        dir: tempfile::TempDir,
        path: &std::path::Path,
        backend: Backend,
        configure: impl FnOnce(&mut Config),
    ) -> Option<TestApp> {
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => match crate::pg_support::fresh_database() {
                Some(db) => Some(db),
                None => {
                    crate::pg_support::skipped(std::thread::current().name().unwrap_or("a test"));
                    return None;
                }
            },
        };
        let database = pg.as_ref().map(|db| db.url.clone());
        let mut opts = StoreOptions::new(path);
        opts.database = database.clone();
        let store = Store::open(&opts).unwrap();
        let clock = Arc::new(Mutex::new(
            Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap(),
        ));
        let c = clock.clone();
        let mut config = Config {
            data_dir: dir.path().to_owned(),
            ..Config::default()
        };
        configure(&mut config);
        let state = AppState {
            store: store.clone(),
            config: Arc::new(config),
            clock: Arc::new(move || *c.lock().unwrap()),
        };
        let (_, admin) = store
            .create_staff_token(
                &Actor::System("test".into()),
                Utc::now(),
                Role::Admin,
                "test admin",
            )
            .unwrap();
        Some(TestApp {
            dir,
            store,
            router: router(state.clone()),
            state,
            clock,
            admin,
            backend,
            data_dir: path.to_owned(),
            database,
            pg,
        })
    }

    /// A direct connection to the app's database, for checks behind the API's back.
    pub fn sql(&self) -> kerro_store::sql::Conn {
        let location = match &self.database {
            Some(url) => kerro_store::Location::parse(url).unwrap(),
            None => kerro_store::Location::Sqlite(self.store.db_path().unwrap().to_owned()),
        };
        kerro_store::connect(&location, true).unwrap()
    }

    /// The command-line arguments that open this app's store: `--data DIR [--database URL]`.
    pub fn store_args(&self) -> Vec<String> {
        let mut args = vec!["--data".to_owned(), self.data_dir.display().to_string()];
        if let Some(url) = &self.database {
            args.push("--database".into());
            args.push(url.clone());
        }
        args
    }

    pub fn advance(&self, by: Duration) {
        *self.clock.lock().unwrap() += by;
    }

    /// A person invited, set up (password, and TOTP where the role needs it) and
    /// signed in through the store, as the pages do it.
    pub fn staff_person(&self, email: &str, role: Role) -> StaffPerson {
        let now = *self.clock.lock().unwrap();
        let invited = self
            .store
            .create_staff(&Actor::System("test".into()), now, email, email, role)
            .unwrap();
        let password = "a long test passphrase".to_owned();
        let kerro_store::SignIn::Session { secret, .. } = self
            .store
            .accept_staff_invite(now, &invited.secret, &password, "test")
            .unwrap()
            .unwrap()
        else {
            panic!("no session")
        };
        let mut totp = None;
        if role.needs_second_factor() {
            let e = self
                .store
                .staff_enrolment(now, &invited.account.id)
                .unwrap();
            let code = totp_code(&e.secret_base32, now);
            self.store
                .confirm_staff_enrolment(now, &invited.account.id, &secret, &code)
                .unwrap()
                .expect("enrolled");
            totp = Some(e.secret_base32);
        }
        StaffPerson {
            id: invited.account.id,
            email: email.to_owned(),
            password,
            totp,
            cookie: format!("kerro_staff={secret}"),
        }
    }

    pub fn staff_token(&self, role: Role) -> String {
        self.store
            .create_staff_token(&Actor::System("test".into()), Utc::now(), role, "test")
            .unwrap()
            .1
    }

    /// Sends a request with a raw body. It states a `Kerro-Access-Reason`, as
    /// staff reading a subject must; [`TestApp::request`] sends exactly the headers given.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Vec<u8>,
    ) -> Resp {
        self.request(
            method,
            path,
            token,
            &[("kerro-access-reason", "integration test")],
            body,
        )
        .await
    }

    /// Sends a request with these headers and a raw body.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Resp {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json");
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(
                *k,
                axum::http::HeaderValue::from_bytes(v.as_bytes()).unwrap(),
            );
        }
        let resp = self
            .router
            .clone()
            .oneshot(req.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        assert!(
            status != StatusCode::INTERNAL_SERVER_ERROR,
            "500 for {path}: {body}"
        );
        if !status.is_success() {
            assert!(
                body["error"]["code"].is_string(),
                "error without the documented shape for {path}: {body}"
            );
        }
        Resp {
            status,
            body,
            headers,
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let bytes = body
            .map(|b| serde_json::to_vec(&b).unwrap())
            .unwrap_or_default();
        self.raw(method, path, token, bytes).await
    }

    /// The served OpenAPI document.
    pub async fn openapi(&self) -> Value {
        self.call(Method::GET, "/openapi.json", None, None)
            .await
            .body
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    /// A small schema: a consent purpose for offers, another for events, a contract purpose.
    pub async fn schema(&self) {
        let a = &self.admin;
        let r = self
            .put(
                "/v1/recipients/tapahtuma",
                a,
                json!({"name": "Tapahtuma Oy", "country": "FI", "role": "controller"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        for (key, basis, recipients) in [
            ("offers", "consent", json!([])),
            ("events", "consent", json!(["tapahtuma"])),
            ("service", "contract", json!([])),
        ] {
            let uses = if recipients.as_array().unwrap().is_empty() {
                json!(["personalization", "communication"])
            } else {
                json!(["sharing"])
            };
            let r = self
                .put(
                    &format!("/v1/purposes/{key}"),
                    a,
                    json!({"title": {"fi": format!("{key} fi"), "en": key}, "description": {"en": format!("About {key}")},
                           "legal_basis": basis, "uses": uses, "retention_days": 365, "recipients": recipients}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        }
        for (key, body) in [
            (
                "interests",
                json!({"title": {"en": "Interests"}, "kind": "multi_choice", "purposes": ["offers"],
                "options": [{"value": "cloud", "title": {"en": "Cloud"}}, {"value": "ot", "title": {"en": "OT"}}, {"value": "training", "title": {"en": "Training"}}]}),
            ),
            (
                "size",
                json!({"title": {"en": "Size"}, "kind": "choice", "purposes": ["service"],
                "options": [{"value": "small", "title": {"en": "Small"}}, {"value": "large", "title": {"en": "Large"}}]}),
            ),
            (
                "employees",
                json!({"title": {"en": "Employees"}, "kind": "number", "min": 1, "max": 100000, "purposes": ["service"]}),
            ),
            (
                "diet",
                json!({"title": {"en": "Diet"}, "kind": "text", "max_length": 50, "purposes": ["events"]}),
            ),
            (
                "attending",
                json!({"title": {"en": "Attending"}, "kind": "boolean", "purposes": ["events", "offers"]}),
            ),
            (
                "review",
                json!({"title": {"en": "Next review"}, "kind": "date", "purposes": ["offers"]}),
            ),
        ] {
            let r = self.put(&format!("/v1/attributes/{key}"), a, body).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        }
        let r = self
            .put(
                "/v1/forms/survey",
                a,
                json!({"title": {"en": "Survey"}, "notice": {"en": "Turvakide Oy asks what interests you.", "fi": "Turvakide Oy kysyy."},
                       "attributes": ["interests", "size", "employees", "diet", "attending", "review"],
                       "purposes": ["offers", "events", "service"]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }

    pub async fn subject(&self, email: &str) -> String {
        let r = self
            .post(
                "/v1/subjects",
                &self.admin,
                json!({"email": email, "locale": "fi"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body["id"].as_str().unwrap().to_owned()
    }

    pub async fn subject_token(&self, id: &str) -> String {
        let r = self
            .post(&format!("/v1/subjects/{id}/tokens"), &self.admin, json!({}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body["token"].as_str().unwrap().to_owned()
    }

    pub async fn notice_version(&self, form: &str) -> u64 {
        self.get(&format!("/v1/forms/{form}"), &self.admin)
            .await
            .body["notice_version"]
            .as_u64()
            .unwrap()
    }

    /// A subject with a token, who answered the survey giving `offers` and refusing `events`.
    pub async fn answered_subject(&self, email: &str) -> (String, String) {
        let id = self.subject(email).await;
        let token = self.subject_token(&id).await;
        let v = self.notice_version("survey").await;
        let r = self
            .post(
                "/v1/forms/survey/submissions",
                &token,
                json!({"answers": {"interests": ["ot", "cloud"], "size": "large", "review": "2027-01-31"},
                       "consents": {"offers": true, "events": false}, "notice_version": v}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        (id, token)
    }

    /// Row counts of every table and the sizes of what can be edited in place:
    /// equal fingerprints mean nothing was written.
    pub fn fingerprint(&self) -> Vec<(String, i64)> {
        let conn = self.sql();
        let mut out = kerro_store::table_counts(&conn).unwrap();
        let changes: i64 = conn
            .query_row("SELECT CAST(COALESCE(SUM(LENGTH(spec)), 0) AS BIGINT) FROM (SELECT spec FROM purposes UNION ALL SELECT spec FROM attributes UNION ALL SELECT spec FROM forms UNION ALL SELECT spec FROM recipients) AS s", (), |r| r.get(0))
            .unwrap();
        out.push(("schema_bytes".into(), changes));
        let prefs: i64 = conn
            .query_row(
                "SELECT CAST(COALESCE(SUM(LENGTH(prefs)), 0) AS BIGINT) FROM contact_prefs",
                (),
                |r| r.get(0),
            )
            .unwrap();
        out.push(("prefs_bytes".into(), prefs));
        out
    }
}

/// The `(attribute, value)` pairs of a subject view's `declarations`.
#[allow(dead_code)] // not every test binary reads them
/// A staff person set up by [`TestApp::staff_person`].
pub struct StaffPerson {
    pub id: String,
    pub email: String,
    pub password: String,
    /// The TOTP secret in base32, where the role has one.
    pub totp: Option<String>,
    /// `kerro_staff=...` of a signed-in session.
    pub cookie: String,
}

/// The RFC 6238 code of a base32 secret at `at` (SHA-1, 6 digits, 30 s), as an app shows it.
pub fn totp_code(secret_base32: &str, at: chrono::DateTime<Utc>) -> String {
    let secret = totp_rs::Secret::Encoded(secret_base32.to_owned())
        .to_bytes()
        .unwrap();
    totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, secret, None, "t".into())
        .unwrap()
        .generate(at.timestamp() as u64)
}

pub fn declared(me: &Value) -> Vec<(String, Value)> {
    me["declarations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["attribute"].as_str().unwrap().to_owned(),
                d["value"].clone(),
            )
        })
        .collect()
}
