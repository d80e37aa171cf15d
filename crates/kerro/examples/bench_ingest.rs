//! Ingestion benchmark: durable submissions per second through the real HTTP
//! API on SQLite, with submissions rotating over a pool of subjects per client
//! (`--pool 1`: one subject per client, every submission adding to its history).
//!
//! `cargo run --release -p kerro --example bench_ingest -- [--clients 1,16,64] [--seconds 5] [--pool 200]`
//!
//! With `--pool 1` each client re-submits for its one subject, so within seconds
//! a subject holds hundreds or thousands of consent events and declarations,
//! and every submission's work that reads the subject's history grows with it.
//! Here each client cycles through `--pool` subjects of its own (created up
//! front through the store), so a subject receives a submission every
//! `pool` requests of its client, as it would in real traffic. The difference
//! between the two shows how much of the cost is the history.

use chrono::Utc;
use kerro::app::{router, system_clock, AppState};
use kerro::config::Config;
use kerro_core::{Actor, Role};
use kerro_store::{NewSubject, Store, StoreOptions};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_owned())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let clients: Vec<usize> = arg("--clients", "1,16,64")
        .split(',')
        .map(|c| c.parse())
        .collect::<Result<_, _>>()?;
    let seconds: u64 = arg("--seconds", "5").parse()?;
    let pool: usize = arg("--pool", "200").parse()?;
    let dir = tempfile::tempdir()?;
    let store = Store::open(&StoreOptions::new(dir.path()))?;
    let (_, token) = store.create_staff_token(
        &Actor::System("bench".into()),
        Utc::now(),
        Role::Admin,
        "bench",
    )?;
    let state = AppState {
        store: store.clone(),
        config: Arc::new(Config {
            data_dir: dir.path().to_owned(),
            ..Config::default()
        }),
        clock: system_clock(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router(state)).await });

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let put = |path: &str, body: serde_json::Value| {
        http.put(format!("{url}{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    put("/v1/purposes/news", json!({"title": {"en": "News"}, "description": {"en": "d"}, "legal_basis": "consent", "retention_days": 365})).await?.error_for_status()?;
    put("/v1/attributes/topics", json!({"title": {"en": "Topics"}, "kind": "multi_choice", "purposes": ["news"],
        "options": [{"value": "cloud", "title": {"en": "Cloud"}}, {"value": "ot", "title": {"en": "OT"}}, {"value": "training", "title": {"en": "Training"}}]})).await?.error_for_status()?;
    put(
        "/v1/attributes/size",
        json!({"title": {"en": "Size"}, "kind": "number", "min": 1, "purposes": ["news"]}),
    )
    .await?
    .error_for_status()?;
    put("/v1/forms/f", json!({"title": {"en": "F"}, "notice": {"en": "n"}, "attributes": ["topics", "size"], "purposes": ["news"]})).await?.error_for_status()?;

    // `pool` subjects per client, created up front through the store (several
    // writers at once share the group commits).
    let max_clients = clients.iter().copied().max().unwrap_or(1);
    let total = max_clients * pool;
    let t = Instant::now();
    let subjects: Vec<String> = {
        let store = store.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<String>> {
            let actor = Actor::System("bench".into());
            std::thread::scope(|s| {
                let per = total.div_ceil(16);
                let handles: Vec<_> = (0..16)
                    .map(|t| {
                        let (store, actor) = (store.clone(), actor.clone());
                        s.spawn(move || -> anyhow::Result<Vec<String>> {
                            (t * per..((t + 1) * per).min(total))
                                .map(|_| {
                                    Ok(store
                                        .create_subject(&actor, Utc::now(), NewSubject::default())?
                                        .to_string())
                                })
                                .collect()
                        })
                    })
                    .collect();
                let mut all = Vec::with_capacity(total);
                for h in handles {
                    all.extend(h.join().map_err(|_| anyhow::anyhow!("seeding thread"))??);
                }
                Ok(all)
            })
        })
        .await??
    };
    eprintln!(
        "bench_ingest: {total} subjects ({pool} per client) created in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    println!("clients  submissions/s  p50 ms  p99 ms  (each a durable commit: SQLite WAL, synchronous=FULL, group commit; {pool} subjects per client in turn)");
    for n in clients {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let mut tasks = Vec::new();
        for c in 0..n {
            let mine: Vec<String> = subjects[c * pool..(c + 1) * pool].to_vec();
            let (http, url, token) = (http.clone(), url.clone(), token.clone());
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut i = 0u64;
                while Instant::now() < deadline {
                    let subject = &mine[(i as usize) % mine.len()];
                    let body = json!({"subject": subject, "answers": {"topics": ["cloud", "ot"], "size": 10 + (i % 500)},
                                      "consents": {"news": true}, "notice_version": 1});
                    let t = Instant::now();
                    let r = http.post(format!("{url}/v1/forms/f/submissions")).bearer_auth(&token).json(&body).send().await;
                    match r {
                        Ok(r) if r.status().as_u16() == 201 => lat.push(t.elapsed()),
                        Ok(r) => return Err(anyhow::anyhow!("unexpected status {}", r.status())),
                        Err(e) => return Err(e.into()),
                    }
                    i += 1;
                }
                Ok(lat)
            }));
        }
        let started = Instant::now();
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await??);
        }
        let elapsed = started.elapsed().as_secs_f64();
        all.sort();
        let pct = |p: f64| {
            all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
                .map(|d| d.as_secs_f64() * 1e3)
                .unwrap_or(0.0)
        };
        println!(
            "{n:>7}  {:>13.0}  {:>6.2}  {:>6.2}",
            all.len() as f64 / elapsed,
            pct(0.5),
            pct(0.99)
        );
    }
    Ok(())
}
