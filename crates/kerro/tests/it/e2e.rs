//! End-to-end: the real binary, real HTTP, SIGKILL in the middle of a write
//! storm, and every acknowledged write is still there after restart.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ADMIN: &str = "e2e-admin-token-0123456789abcdef0123456789";

struct Server {
    child: Child,
    url: String,
}

fn start(data: &Path) -> Server {
    let (child, url) = crate::serve::spawn_listening(
        Command::new(env!("CARGO_BIN_EXE_kerro"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .env("KERRO_ADMIN_TOKEN", ADMIN)
            .env("KERRO_LOG", "warn"),
    );
    Server { child, url }
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

use crate::serve::call;

#[test]
fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let c = client();
    let u = server.url.clone();
    let put = |path: &str, body: Value| {
        let (s, b) = call(
            &c,
            reqwest::Method::PUT,
            &format!("{u}{path}"),
            ADMIN,
            Some(body),
        );
        assert!(s == 200 || s == 201, "{path}: {s} {b}");
    };
    put(
        "/v1/purposes/news",
        json!({"title": {"en": "News"}, "description": {"en": "d"}, "legal_basis": "consent", "retention_days": 30}),
    );
    put(
        "/v1/attributes/topic",
        json!({"title": {"en": "Topic"}, "kind": "text", "purposes": ["news"]}),
    );
    put(
        "/v1/forms/f",
        json!({"title": {"en": "F"}, "notice": {"en": "n"}, "attributes": ["topic"], "purposes": ["news"]}),
    );

    // Eight writers submit as fast as they can; each remembers what was acknowledged.
    let acked: Arc<Mutex<Vec<(String, String, String)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..8 {
        let (acked, stop, url) = (acked.clone(), stop.clone(), server.url.clone());
        workers.push(std::thread::spawn(move || {
            let c = client();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let (s, b) = call(&c, reqwest::Method::POST, &format!("{url}/v1/subjects"), ADMIN, Some(json!({})));
                if s != 201 {
                    break;
                }
                let id = b["id"].as_str().unwrap().to_owned();
                let topic = format!("w{w}-{i}");
                let (s, b) = call(
                    &c,
                    reqwest::Method::POST,
                    &format!("{url}/v1/forms/f/submissions"),
                    ADMIN,
                    Some(json!({"subject": id, "answers": {"topic": topic}, "consents": {"news": true}, "notice_version": 1})),
                );
                if s != 201 {
                    break;
                }
                let record = b["receipts"][0]["record_id"].as_str().unwrap().to_owned();
                acked.lock().unwrap().push((id, topic, record));
                i += 1;
            }
        }));
    }
    let started = Instant::now();
    while acked.lock().unwrap().len() < 200 && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut server = server;
    // SIGKILL: no shutdown, no flush, writes in flight.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 50,
        "only {} writes were acknowledged",
        acked.len()
    );

    let mut server = start(dir.path());
    let c = client();
    for (id, topic, record) in &acked {
        let (s, b) = call(
            &c,
            reqwest::Method::GET,
            &format!("{}/v1/subjects/{id}", server.url),
            ADMIN,
            None,
        );
        assert_eq!(s, 200, "acknowledged subject {id} lost");
        assert_eq!(
            b["declarations"][0]["value"],
            topic.as_str(),
            "acknowledged answer of {id} lost"
        );
        let (s, _) = call(
            &c,
            reqwest::Method::GET,
            &format!("{}/v1/receipts/{record}", server.url),
            ADMIN,
            None,
        );
        assert_eq!(s, 200, "acknowledged consent {record} lost");
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let verify = Command::new(env!("CARGO_BIN_EXE_kerro"))
        .args(["ledger", "verify", "--data"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    eprintln!(
        "e2e: {} acknowledged submissions survived SIGKILL",
        acked.len()
    );
}

/// Reads the server's stdout until a line starting with `prefix` (trimmed), returning its rest.
fn read_until(reader: &mut impl BufRead, prefix: &str) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "no line starting with '{prefix}'"
        );
        if let Some(rest) = line.trim().strip_prefix(prefix) {
            return rest.trim().to_owned();
        }
    }
}

#[test]
fn demo_prints_a_url_and_working_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kerro"))
        .args([
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--subjects",
            "30",
            "--data",
        ])
        .arg(dir.path())
        .env("KERRO_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let url = read_until(&mut out, "listening on");
    let admin = read_until(&mut out, "admin token:");
    let subject = read_until(&mut out, "subject token:")
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let c = client();
    let (s, me) = call(
        &c,
        reqwest::Method::GET,
        &format!("{url}/v1/me"),
        &subject,
        None,
    );
    assert_eq!(s, 200, "{me}");
    assert_eq!(
        me["declarations"].as_array().unwrap().len(),
        7,
        "the sample subject answered the whole B2B survey"
    );
    let (s, purposes) = call(
        &c,
        reqwest::Method::GET,
        &format!("{url}/v1/purposes"),
        &admin,
        None,
    );
    assert_eq!(s, 200);
    assert!(purposes["purposes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["key"] == "security_updates"));
    let (_, health) = call(
        &c,
        reqwest::Method::GET,
        &format!("{url}/healthz"),
        &admin,
        None,
    );
    // Unauthenticated, so it says only whether kerro is well (no counts, no versions).
    assert_eq!(health, serde_json::json!({"status": "ok"}));
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn token_create_prints_a_working_token_of_its_role() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kerro"))
        .args(["token", "create", "--role", "support", "--data"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("kst_") && token.len() > 40, "{token}");
    let bad = Command::new(env!("CARGO_BIN_EXE_kerro"))
        .args(["token", "create", "--role", "root", "--data"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let mut server = start(dir.path());
    let c = client();
    let (s, _) = call(
        &c,
        reqwest::Method::GET,
        &format!("{}/v1/purposes", server.url),
        &token,
        None,
    );
    assert_eq!(s, 200);
    let body = json!({"title": {"en": "t"}, "description": {"en": "d"}, "legal_basis": "consent", "retention_days": 1});
    let (s, _) = call(
        &c,
        reqwest::Method::PUT,
        &format!("{}/v1/purposes/p", server.url),
        &token,
        Some(body),
    );
    assert_eq!(s, 403, "support may not change the schema");
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}

#[test]
fn a_database_from_a_newer_kerro_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ok = Command::new(env!("CARGO_BIN_EXE_kerro"))
        .args(["ledger", "verify", "--data"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(ok.status.success());
    let conn = rusqlite::Connection::open(dir.path().join("kerro.db")).unwrap();
    conn.execute("INSERT INTO schema_version (version) VALUES (999)", [])
        .unwrap();
    drop(conn);
    let refused = Command::new(env!("CARGO_BIN_EXE_kerro"))
        .args(["ledger", "verify", "--data"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("newer than this kerro knows"));
}

#[test]
fn master_key_comes_from_kerro_master_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let keys = tempfile::tempdir().unwrap();
    let key_file = keys.path().join("kerro.key");
    std::fs::write(&key_file, format!("{}\n", "ab".repeat(32))).unwrap();
    let run = |key: &Path| {
        Command::new(env!("CARGO_BIN_EXE_kerro"))
            .args(["token", "create", "--role", "admin", "--data"])
            .arg(dir.path())
            .env("KERRO_MASTER_KEY_FILE", key)
            .output()
            .unwrap()
    };
    assert!(run(&key_file).status.success());
    assert!(
        !dir.path().join("master.key").exists(),
        "no key generated when one is configured"
    );
    std::fs::write(keys.path().join("short.key"), "abcd").unwrap();
    let bad = run(&keys.path().join("short.key"));
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("64 hex characters"));
}

#[test]
fn the_database_url_scheme_picks_the_backend_and_nothing_else_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let run = |url: &str, env_url: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kerro"));
        cmd.args(["ledger", "verify", "--data"]).arg(dir.path());
        if !url.is_empty() {
            cmd.args(["--database", url]);
        }
        match env_url {
            Some(u) => cmd.env("KERRO_DATABASE_URL", u),
            None => cmd.env_remove("KERRO_DATABASE_URL"),
        };
        cmd.output().unwrap()
    };
    // An unknown scheme, from the flag or the environment, stops kerro before
    // anything is created; it never falls back to SQLite.
    for (flag, env) in [
        ("mysql://root@localhost/kerro", None),
        ("", Some("kerro.db")),
    ] {
        let out = run(flag, env);
        assert_eq!(out.status.code(), Some(2), "{flag} {env:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("sqlite://PATH"), "{err}");
        assert!(!dir.path().join("kerro.db").exists());
    }
    // sqlite://PATH puts the database where it says.
    let file = dir.path().join("elsewhere.db");
    let out = run(&format!("sqlite://{}", file.display()), None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(file.exists() && !dir.path().join("kerro.db").exists());
}
