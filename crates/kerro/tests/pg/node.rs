//! Real `kerro serve` processes on a PostgreSQL database, for the cluster
//! and outage tests: starting nodes, calling them, a small schema.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use crate::pg_support::{fresh_database, PgDatabase};

pub const ADMIN: &str = "cluster-admin-token-0123456789abcdef012345";

/// One `kerro serve` process; killed when dropped.
pub struct Node {
    child: Child,
    pub url: String,
    http: reqwest::blocking::Client,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a node with its own data directory and the shared master key.
pub fn start_node(data: &Path, key: &Path, database: &str) -> Node {
    let (child, url) = crate::serve::spawn_listening(
        Command::new(env!("CARGO_BIN_EXE_kerro"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(["--database", database])
            .env("KERRO_MASTER_KEY_FILE", key)
            .env("KERRO_ADMIN_TOKEN", ADMIN)
            .env("KERRO_LOG", "warn"),
    );
    Node {
        child,
        url,
        http: reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap(),
    }
}

impl Node {
    /// A request; status 0 when the node could not be reached.
    pub fn call(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        crate::serve::call(
            &self.http,
            method,
            &format!("{}{path}", self.url),
            token,
            body,
        )
    }

    pub fn ok(&self, method: &str, path: &str, token: &str, body: Value) -> Value {
        let (s, b) = self.call(method, path, token, Some(body));
        assert!(s == 200 || s == 201, "{method} {path}: {s} {b}");
        b
    }

    /// The node's metrics (Prometheus text), scraped with the admin token.
    #[allow(dead_code)] // the outage tests do not scrape
    pub fn metrics(&self) -> String {
        let r = self
            .http
            .get(format!("{}/metrics", self.url))
            .bearer_auth(ADMIN)
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
        r.text().unwrap()
    }

    /// The offers a (dry-run) decision on `web` gives `subject`, or the HTTP status when refused.
    pub fn offers(&self, subject: &str) -> Result<Vec<String>, u16> {
        let (s, b) = self.call(
            "POST",
            "/v1/decisions",
            ADMIN,
            Some(json!({"subject": subject, "channel": "web", "limit": 10, "dry_run": true})),
        );
        if s != 200 {
            return Err(s);
        }
        Ok(b["offers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["key"].as_str().unwrap().to_owned())
            .collect())
    }
}

/// Two data directories, one master key file, one fresh database.
pub struct Cluster {
    pub db: PgDatabase,
    pub dir: tempfile::TempDir,
}

impl Cluster {
    pub fn new() -> Option<Cluster> {
        let db = fresh_database()?;
        Some(Cluster {
            db,
            dir: tempfile::tempdir().unwrap(),
        })
    }

    pub fn key(&self) -> PathBuf {
        self.dir.path().join("master.key")
    }

    pub fn node(&self, name: &str) -> Node {
        let data = self.dir.path().join(name);
        start_node(&data, &self.key(), &self.db.url)
    }

    /// `kerro <args> --data <dir>/a --database URL` with the shared key.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_kerro"))
            .args(args)
            .arg("--data")
            .arg(self.dir.path().join("a"))
            .args(["--database", &self.db.url])
            .env("KERRO_MASTER_KEY_FILE", self.key())
            .output()
            .unwrap()
    }
}

/// A purpose, two attributes, a form and two offers (one capped at one delivery).
pub fn define_schema(node: &Node) {
    node.ok(
        "PUT",
        "/v1/purposes/offers",
        ADMIN,
        json!({"title": {"en": "Offers"}, "description": {"en": "Offers that fit"}, "legal_basis": "consent",
               "uses": ["personalization", "communication"], "retention_days": 365}),
    );
    node.ok(
        "PUT",
        "/v1/purposes/events",
        ADMIN,
        json!({"title": {"en": "Events"}, "description": {"en": "Event invitations"}, "legal_basis": "consent",
               "uses": ["communication"], "retention_days": 365}),
    );
    node.ok(
        "PUT",
        "/v1/attributes/interests",
        ADMIN,
        json!({"title": {"en": "Interests"}, "kind": "multi_choice", "purposes": ["offers"],
               "options": [{"value": "cloud", "title": {"en": "Cloud"}}, {"value": "ot", "title": {"en": "OT"}}]}),
    );
    node.ok(
        "PUT",
        "/v1/attributes/city",
        ADMIN,
        json!({"title": {"en": "City"}, "kind": "text", "max_length": 40, "purposes": ["events"]}),
    );
    node.ok(
        "PUT",
        "/v1/forms/survey",
        ADMIN,
        json!({"title": {"en": "Survey"}, "notice": {"en": "We ask what interests you."},
               "attributes": ["interests", "city"], "purposes": ["offers", "events"]}),
    );
    node.ok(
        "PUT",
        "/v1/offers/cloud",
        ADMIN,
        json!({"title": {"en": "Cloud audit"}, "body": {"en": "b"}, "purpose": "offers",
               "condition": {"interests": {"$in": ["cloud"]}}, "channels": ["web"], "priority": 5}),
    );
    node.ok(
        "PUT",
        "/v1/offers/once",
        ADMIN,
        json!({"title": {"en": "Once"}, "body": {"en": "b"}, "purpose": "offers", "condition": {},
               "channels": ["web"], "priority": 1, "max_per_subject": 1, "period_days": 30}),
    );
}

/// A subject who answered the survey through `node`, consenting to offers; returns (id, token).
pub fn answered(node: &Node, n: usize) -> (String, String) {
    let id = node.ok(
        "POST",
        "/v1/subjects",
        ADMIN,
        json!({"email": format!("c{n}@example.fi")}),
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = node.ok(
        "POST",
        &format!("/v1/subjects/{id}/tokens"),
        ADMIN,
        json!({}),
    )["token"]
        .as_str()
        .unwrap()
        .to_owned();
    node.ok(
        "POST",
        "/v1/forms/survey/submissions",
        &token,
        json!({"answers": {"interests": ["cloud"], "city": "Tampere"},
               "consents": {"offers": true, "events": true}, "notice_version": 1}),
    );
    node.ok(
        "PUT",
        "/v1/me/contact",
        &token,
        json!({"channels": {"web": true}}),
    );
    (id, token)
}
