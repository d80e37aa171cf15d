//! PostgreSQL goes away under load and comes back: while it is down, writes
//! fail with 503 and a JSON error (never 500, never a hang); after it is back
//! they succeed again on their own; and every write that was acknowledged
//! before, during or after is there. A binary of its own, because stopping
//! the server would break any other test running at the same time.
//!
//! It stops the machine's PostgreSQL, so it runs only when asked to with
//! `KERRO_TEST_PG_RESTART=1` (`.ci/run` sets it); it then needs root and
//! Debian's `pg_ctlcluster` (the cluster is the one under /etc/postgresql).
//! Otherwise it says SKIPPED.

#[path = "../pg/node.rs"]
mod node;
#[path = "../it/pg_support.rs"]
mod pg_support;
#[path = "../it/serve.rs"]
mod serve;

use serde_json::json;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use node::{answered, define_schema, Cluster, ADMIN};

/// The local cluster, as `pg_ctlcluster` names it (version, name).
fn local_cluster() -> Option<(String, String)> {
    let version = std::fs::read_dir("/etc/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .max()?;
    Command::new("pg_ctlcluster").arg("--help").output().ok()?;
    Some((version, "main".to_owned()))
}

fn pg_ctl(cluster: &(String, String), action: &str) {
    let out = Command::new("pg_ctlcluster")
        .args(["--skip-systemctl-redirect", &cluster.0, &cluster.1, action])
        .args(if action == "stop" {
            &["-m", "fast"][..]
        } else {
            &[][..]
        })
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pg_ctlcluster {action}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts the cluster again however the test ends.
struct Restart((String, String));

impl Drop for Restart {
    fn drop(&mut self) {
        let _ = Command::new("pg_ctlcluster")
            .args(["--skip-systemctl-redirect", &self.0 .0, &self.0 .1, "start"])
            .output();
    }
}

#[derive(Default)]
struct Seen {
    acked: Vec<(String, String, String)>,
    unavailable: usize,
    other: Vec<String>,
}

#[test]
fn writes_fail_with_503_while_postgresql_is_down_and_no_acknowledged_write_is_lost() {
    if std::env::var("KERRO_TEST_PG_RESTART").as_deref() != Ok("1") {
        return pg_support::skipped_because(
            "pg_outage",
            "it stops and starts the local PostgreSQL; set KERRO_TEST_PG_RESTART=1 to allow it",
        );
    }
    let Some(cluster_name) = local_cluster() else {
        panic!("KERRO_TEST_PG_RESTART=1, but pg_ctlcluster or /etc/postgresql is missing");
    };
    let Some(cluster) = Cluster::new() else {
        return pg_support::skipped("pg_outage");
    };
    let node = Arc::new(cluster.node("a"));
    let follower = cluster.node("b");
    define_schema(&node);
    // A subject the second node knows before the outage.
    let (known, known_token) = answered(&node, 1);
    let until = |what: &str, check: &dyn Fn() -> bool| {
        let started = Instant::now();
        while !check() {
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "{what}: not within 1 s"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    until("the subject on node B", &|| {
        follower.offers(&known) == Ok(vec!["cloud".into(), "once".into()])
    });

    let seen: Arc<Mutex<Seen>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (node, seen, stop) = (node.clone(), seen.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let city = format!("w{w}-{i}");
                    let note = |status: u16, body: &serde_json::Value| {
                        let mut s = seen.lock().unwrap();
                        if status == 503 && body["error"]["code"] == "unavailable" {
                            s.unavailable += 1;
                        } else {
                            s.other.push(format!("{status} {body}"));
                        }
                    };
                    let (s, b) = node.call("POST", "/v1/subjects", ADMIN, Some(json!({})));
                    if s != 201 {
                        note(s, &b);
                        std::thread::sleep(Duration::from_millis(20));
                        continue;
                    }
                    let id = b["id"].as_str().unwrap().to_owned();
                    let (s, b) = node.call(
                        "POST",
                        "/v1/forms/survey/submissions",
                        ADMIN,
                        Some(json!({"subject": id, "answers": {"city": city},
                                    "consents": {"events": true}, "notice_version": 1})),
                    );
                    if s != 201 {
                        note(s, &b);
                        std::thread::sleep(Duration::from_millis(20));
                        continue;
                    }
                    let record = b["receipts"][0]["record_id"].as_str().unwrap().to_owned();
                    seen.lock().unwrap().acked.push((id, city, record));
                }
            })
        })
        .collect();
    let acked = || seen.lock().unwrap().acked.len();
    let wait_for = |n: usize, what: &str| {
        let started = Instant::now();
        while acked() < n {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{what}: only {} writes acknowledged",
                acked()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    wait_for(30, "before the outage");

    // Down: stop the cluster (fast: open transactions are rolled back), keep it down a while.
    let _restart = Restart(cluster_name.clone());
    let before = acked();
    pg_ctl(&cluster_name, "stop");
    let down_at = Instant::now();
    std::thread::sleep(Duration::from_secs(2));
    let (s, b) = node.call("POST", "/v1/subjects", ADMIN, Some(json!({})));
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (503, Some("unavailable")),
        "{b}"
    );
    let (s, b) = node.call("GET", "/v1/purposes", ADMIN, None);
    assert!(s == 200 || s == 503, "a read while down: {s} {b}");
    pg_ctl(&cluster_name, "start");
    let up_at = Instant::now();
    eprintln!("pg_outage: PostgreSQL was down for {:?}", up_at - down_at);

    // Up: writes succeed again without restarting kerro.
    let during = acked();
    let started = Instant::now();
    wait_for(during + 30, "after the outage");
    let recovered = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    let seen = seen.lock().unwrap();
    eprintln!(
        "pg_outage: {} writes acknowledged ({before} before the stop), {} answered 503 unavailable, writes succeeded again {recovered:?} after the start",
        seen.acked.len(),
        seen.unavailable
    );
    assert!(seen.unavailable > 0, "some writes met the outage");
    assert!(
        seen.other.is_empty(),
        "every failure is a 503 JSON error: {:?}",
        &seen.other[..seen.other.len().min(5)]
    );

    // Node B followed through the outage: it still decides for the subject it
    // knew, and sees a withdrawal made through node A afterwards.
    assert_eq!(
        follower.offers(&known),
        Ok(vec!["cloud".into(), "once".into()])
    );
    node.ok(
        "PUT",
        "/v1/me/consents/offers",
        &known_token,
        json!({"given": false}),
    );
    until("the withdrawal on node B after the outage", &|| {
        follower.offers(&known) == Ok(vec!["once".into()])
    });

    // Nothing acknowledged is missing.
    for (id, city, record) in &seen.acked {
        let (s, b) = node.call("GET", &format!("/v1/subjects/{id}"), ADMIN, None);
        assert_eq!(s, 200, "acknowledged subject {id} lost: {b}");
        assert_eq!(
            b["declarations"][0]["value"],
            city.as_str(),
            "acknowledged answer of {id} lost"
        );
        let (s, _) = node.call("GET", &format!("/v1/receipts/{record}"), ADMIN, None);
        assert_eq!(s, 200, "acknowledged consent {record} lost");
    }
    let out = cluster.cli(&["ledger", "verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
