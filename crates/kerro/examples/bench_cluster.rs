//! Cluster benchmark: a load generator for `kerro serve` nodes that are already
//! running (one SQLite node, or one or more nodes sharing a PostgreSQL
//! database). It embeds no server; `bench/run.sh cluster` starts the nodes.
//!
//! ```text
//! bench_cluster setup  --nodes URL[,URL..] --token T --state FILE [--clients 1,16,64] [--subjects 50] [--setup-clients 16]
//! bench_cluster ingest --nodes URL[,URL..] --token T --state FILE [--clients 1,16,64] [--seconds 5]
//! bench_cluster decide --nodes URL         --token T --state FILE [--clients 16] [--seconds 5]
//! ```
//!
//! - `setup` defines, through the first node, a consent purpose, a multi_choice
//!   attribute, a form and two offers on channel `web`; then creates
//!   `--subjects` subjects per client slot (slots: the largest of `--clients`),
//!   each with a subject token, one answered submission and channel `web`
//!   opted in, and waits until every node decides for them. The subjects'
//!   ids and tokens go to `--state`.
//! - `ingest`: for each client count C in `--clients`, C clients (one
//!   keep-alive connection each, spread round-robin over the nodes) post form
//!   submissions with their subjects' own tokens for `--seconds`; the subjects
//!   are divided among the C clients, each cycling over its share. Only 201
//!   responses count: kerro answers after the COMMIT that holds the write.
//! - `decide`: C clients post dry-run decisions (`web`, limit 10) for the
//!   subjects in turn to the first node only.
//!
//! Each prints one line per client count: `clients rate/s p50_ms p99_ms errors`.
//! Any other status, a timeout or a connection error is counted as an error.

use axum::body::Bytes;
use axum::http::{header, HeaderValue, Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

type Http = Client<HttpConnector, Full<Bytes>>;

const TIMEOUT: Duration = Duration::from_secs(30);
const FORM: &str = "bench_survey";
const PURPOSE: &str = "bench_offers";
const OPTIONS: [&str; 3] = ["cloud", "ot", "training"];

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_owned())
}

/// One client with at most one idle connection: a sequential caller keeps one keep-alive connection.
fn client() -> Http {
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(1)
        .build_http()
}

fn bearer(token: &str) -> anyhow::Result<HeaderValue> {
    Ok(HeaderValue::from_str(&format!("Bearer {token}"))?)
}

/// One request; `Err` for a transport error or a timeout, else the status and body.
async fn send(
    http: &Http,
    method: Method,
    uri: Uri,
    auth: &HeaderValue,
    body: Option<Bytes>,
) -> Result<(u16, Bytes), String> {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, auth.clone())
        // Staff reads of a subject's data state why (minting the subjects' tokens in setup).
        .header("kerro-access-reason", "load test setup");
    if body.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/json");
    }
    let req = req
        .body(Full::new(body.unwrap_or_default()))
        .map_err(|e| e.to_string())?;
    let work = async {
        let resp = http.request(req).await.map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok::<_, String>((status, body))
    };
    tokio::time::timeout(TIMEOUT, work)
        .await
        .map_err(|_| format!("no answer within {TIMEOUT:?}"))?
}

/// A setup call that must succeed (200 or 201); returns the JSON body.
async fn must(
    http: &Http,
    method: Method,
    url: &str,
    token: &str,
    body: Value,
) -> anyhow::Result<Value> {
    let uri: Uri = url.parse()?;
    let (status, bytes) = send(
        http,
        method.clone(),
        uri,
        &bearer(token)?,
        Some(Bytes::from(serde_json::to_vec(&body)?)),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{method} {url}: {e}"))?;
    if status != 200 && status != 201 {
        anyhow::bail!(
            "{method} {url}: status {status}: {}",
            String::from_utf8_lossy(&bytes)
        );
    }
    Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn text(v: &Value, key: &str) -> anyhow::Result<String> {
    v[key]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no '{key}' in {v}"))
}

/// The answers of submission `i`: a non-empty subset of the options, changing with `i`.
fn answers(i: usize) -> Vec<&'static str> {
    let mask = i % 7 + 1;
    OPTIONS
        .iter()
        .enumerate()
        .filter(|(b, _)| mask & (1 << b) != 0)
        .map(|(_, o)| *o)
        .collect()
}

fn submission_body(i: usize) -> Bytes {
    Bytes::from(
        json!({"answers": {"interests": answers(i)}, "consents": {PURPOSE: true}, "notice_version": 1})
            .to_string(),
    )
}

struct Subject {
    id: String,
    token: String,
}

fn load_state(path: &str) -> anyhow::Result<Vec<Subject>> {
    let v: Value = serde_json::from_slice(
        &std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read --state {path}: {e}"))?,
    )?;
    let subjects = v["subjects"]
        .as_array()
        .ok_or_else(|| anyhow::anyhow!("{path}: no subjects; run setup first"))?
        .iter()
        .map(|s| {
            Ok(Subject {
                id: text(s, "id")?,
                token: text(s, "token")?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if subjects.is_empty() {
        anyhow::bail!("{path}: no subjects");
    }
    Ok(subjects)
}

async fn setup(nodes: &[String], token: &str, state: &str) -> anyhow::Result<()> {
    let slots = clients()?.into_iter().max().unwrap_or(1);
    let per_slot: usize = arg("--subjects", "50").parse()?;
    let workers: usize = arg("--setup-clients", "16").parse()?;
    let total = slots * per_slot;
    if total == 0 {
        anyhow::bail!("--subjects must be at least 1");
    }
    let first = &nodes[0];
    let http = client();
    let t = Instant::now();
    let schema = [
        (
            format!("/v1/purposes/{PURPOSE}"),
            json!({"title": {"en": "Offers"}, "description": {"en": "Offers that fit"}, "legal_basis": "consent",
                   "uses": ["personalization", "communication"], "retention_days": 365}),
        ),
        (
            "/v1/attributes/interests".to_owned(),
            json!({"title": {"en": "Interests"}, "kind": "multi_choice", "purposes": [PURPOSE],
                   "options": OPTIONS.iter().map(|o| json!({"value": o, "title": {"en": o}})).collect::<Vec<_>>()}),
        ),
        (
            format!("/v1/forms/{FORM}"),
            json!({"title": {"en": "Survey"}, "notice": {"en": "We ask what interests you."},
                   "attributes": ["interests"], "purposes": [PURPOSE]}),
        ),
        (
            "/v1/offers/cloud".to_owned(),
            json!({"title": {"en": "Cloud audit"}, "body": {"en": "b"}, "purpose": PURPOSE,
                   "condition": {"interests": {"$in": ["cloud"]}}, "channels": ["web"], "priority": 5}),
        ),
        (
            "/v1/offers/any".to_owned(),
            json!({"title": {"en": "Newsletter"}, "body": {"en": "b"}, "purpose": PURPOSE,
                   "condition": {}, "channels": ["web"], "priority": 1}),
        ),
    ];
    for (path, body) in schema {
        must(&http, Method::PUT, &format!("{first}{path}"), token, body).await?;
    }

    // Subjects, `workers` at a time through the first node: create, token, one answer with consent, web opted in.
    let mut tasks = Vec::new();
    for w in 0..workers.max(1) {
        let (first, token) = (first.clone(), token.to_owned());
        tasks.push(tokio::spawn(async move {
            let http = client();
            let mut mine = Vec::new();
            for n in (w..total).step_by(workers.max(1)) {
                let id = text(
                    &must(&http, Method::POST, &format!("{first}/v1/subjects"), &token, json!({})).await?,
                    "id",
                )?;
                let st = text(
                    &must(&http, Method::POST, &format!("{first}/v1/subjects/{id}/tokens"), &token, json!({})).await?,
                    "token",
                )?;
                must(&http, Method::POST, &format!("{first}/v1/forms/{FORM}/submissions"), &st,
                    json!({"answers": {"interests": ["cloud"]}, "consents": {PURPOSE: true}, "notice_version": 1})).await?;
                must(&http, Method::PUT, &format!("{first}/v1/me/contact"), &st,
                    json!({"channels": {"web": true}})).await?;
                mine.push((n, id, st));
            }
            Ok::<_, anyhow::Error>(mine)
        }));
    }
    let mut all = Vec::with_capacity(total);
    for t in tasks {
        all.extend(t.await??);
    }
    all.sort_by_key(|(n, _, _)| *n);
    eprintln!(
        "bench_cluster setup: schema and {total} subjects ({per_slot} per client slot, {slots} slots) through {first} in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // Every node must decide for the last subject (followers apply the others' changes).
    let last = &all[total - 1].1;
    for node in nodes {
        let started = Instant::now();
        loop {
            let body = Bytes::from(
                json!({"subject": last, "channel": "web", "limit": 10, "dry_run": true})
                    .to_string(),
            );
            let r = send(
                &http,
                Method::POST,
                format!("{node}/v1/decisions").parse()?,
                &bearer(token)?,
                Some(body),
            )
            .await;
            if let Ok((200, b)) = &r {
                let v: Value = serde_json::from_slice(b).unwrap_or(Value::Null);
                let keys: Vec<&str> = v["offers"]
                    .as_array()
                    .map(|o| o.iter().filter_map(|o| o["key"].as_str()).collect())
                    .unwrap_or_default();
                if keys == ["cloud", "any"] {
                    break;
                }
            }
            if started.elapsed() > Duration::from_secs(30) {
                anyhow::bail!(
                    "{node} does not decide ['cloud', 'any'] for {last} after 30 s: {r:?}"
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        eprintln!(
            "bench_cluster setup: {node} decides for the last subject after {:?}",
            started.elapsed()
        );
    }
    let subjects: Vec<Value> = all
        .iter()
        .map(|(_, id, st)| json!({"id": id, "token": st}))
        .collect();
    std::fs::write(state, serde_json::to_vec(&json!({"subjects": subjects}))?)?;
    Ok(())
}

fn clients() -> anyhow::Result<Vec<usize>> {
    let v = arg("--clients", "1,16,64")
        .split(',')
        .map(|c| c.trim().parse::<usize>())
        .collect::<Result<Vec<_>, _>>()?;
    if v.contains(&0) {
        anyhow::bail!("--clients: every count must be at least 1");
    }
    Ok(v)
}

/// One prepared request of a client's cycle.
#[derive(Clone)]
struct Call {
    auth: HeaderValue,
    body: Bytes,
}

/// What one client measured.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    errors: u64,
    first_error: Option<String>,
}

/// Runs `calls.len()` clients, client `c` posting its own cycle of calls to `uris[c]`, until `seconds` pass.
async fn load(uris: Vec<Uri>, calls: Vec<Vec<Call>>, ok_status: u16, seconds: f64) -> (f64, Tally) {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let tasks: Vec<_> = uris
        .into_iter()
        .zip(calls)
        .map(|(uri, cycle)| {
            tokio::spawn(async move {
                let http = client();
                let mut tally = Tally::default();
                let mut i = 0usize;
                while Instant::now() < deadline && !cycle.is_empty() {
                    let call = &cycle[i % cycle.len()];
                    i += 1;
                    let t = Instant::now();
                    let r = send(
                        &http,
                        Method::POST,
                        uri.clone(),
                        &call.auth,
                        Some(call.body.clone()),
                    )
                    .await;
                    match r {
                        Ok((s, _)) if s == ok_status => tally.latencies.push(t.elapsed()),
                        Ok((s, b)) => {
                            tally.errors += 1;
                            tally.first_error.get_or_insert_with(|| {
                                format!("status {s}: {}", String::from_utf8_lossy(&b))
                            });
                        }
                        Err(e) => {
                            tally.errors += 1;
                            tally.first_error.get_or_insert(e);
                            // Do not spin on a node that is gone.
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                    }
                }
                tally
            })
        })
        .collect();
    let mut all = Tally::default();
    for t in tasks {
        match t.await {
            Ok(t) => {
                all.latencies.extend(t.latencies);
                all.errors += t.errors;
                if all.first_error.is_none() {
                    all.first_error = t.first_error;
                }
            }
            Err(e) => {
                all.errors += 1;
                all.first_error.get_or_insert(e.to_string());
            }
        }
    }
    (started.elapsed().as_secs_f64(), all)
}

fn report(n: usize, elapsed: f64, mut tally: Tally) {
    tally.latencies.sort();
    let pct = |p: f64| {
        let l = &tally.latencies;
        l.get(((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1)))
            .map(|d| d.as_secs_f64() * 1e3)
            .unwrap_or(f64::NAN)
    };
    println!(
        "{n:>7}  {:>13.0}  {:>6.2}  {:>6.2}  {:>6}",
        tally.latencies.len() as f64 / elapsed,
        pct(0.5),
        pct(0.99),
        tally.errors
    );
    if let Some(e) = tally.first_error {
        eprintln!(
            "bench_cluster: {n} clients: {} errors, the first: {e}",
            tally.errors
        );
    }
}

async fn ingest(nodes: &[String], subjects: &[Subject]) -> anyhow::Result<()> {
    let seconds: f64 = arg("--seconds", "5").parse()?;
    let bodies: Vec<Bytes> = (0..7).map(submission_body).collect();
    let auths = subjects
        .iter()
        .map(|s| bearer(&s.token))
        .collect::<anyhow::Result<Vec<_>>>()?;
    println!(
        "clients  submissions/s  p50_ms  p99_ms  errors   ({} node(s) round-robin, {} subjects divided among the clients, {seconds} s per point; only 201 = committed counted)",
        nodes.len(),
        subjects.len()
    );
    for n in clients()? {
        let uris = (0..n)
            .map(|c| format!("{}/v1/forms/{FORM}/submissions", nodes[c % nodes.len()]).parse())
            .collect::<Result<Vec<Uri>, _>>()?;
        // Client c takes subjects c, c + n, c + 2n, ...; each submission changes the answers.
        let calls = (0..n)
            .map(|c| {
                (c..subjects.len())
                    .step_by(n)
                    .enumerate()
                    .map(|(k, s)| Call {
                        auth: auths[s].clone(),
                        body: bodies[(k + c) % bodies.len()].clone(),
                    })
                    .collect()
            })
            .collect();
        let (elapsed, tally) = load(uris, calls, 201, seconds).await;
        report(n, elapsed, tally);
    }
    Ok(())
}

async fn decide(nodes: &[String], token: &str, subjects: &[Subject]) -> anyhow::Result<()> {
    let seconds: f64 = arg("--seconds", "5").parse()?;
    let auth = bearer(token)?;
    let node = &nodes[0];
    println!(
        "clients    decisions/s  p50_ms  p99_ms  errors   (POST /v1/decisions dry run, web, limit 10, on {node}; {} subjects in turn, {seconds} s per point)",
        subjects.len()
    );
    for n in clients()? {
        let uri: Uri = format!("{node}/v1/decisions").parse()?;
        let calls = (0..n)
            .map(|c| {
                (c..subjects.len())
                    .step_by(n)
                    .map(|s| Call {
                        auth: auth.clone(),
                        body: Bytes::from(
                            json!({"subject": subjects[s].id, "channel": "web", "limit": 10, "dry_run": true})
                                .to_string(),
                        ),
                    })
                    .collect()
            })
            .collect();
        let (elapsed, tally) = load(vec![uri; n], calls, 200, seconds).await;
        report(n, elapsed, tally);
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let usage = "usage: bench_cluster setup|ingest|decide --nodes http://127.0.0.1:P1[,http://127.0.0.1:P2] --token T --state FILE [--clients 1,16,64] [--seconds 5] [--subjects 50]";
    let mode = std::env::args().nth(1).unwrap_or_default();
    let nodes: Vec<String> = arg("--nodes", "")
        .split(',')
        .map(|n| n.trim().trim_end_matches('/').to_owned())
        .filter(|n| !n.is_empty())
        .collect();
    let token = arg("--token", "");
    let state = arg("--state", "bench_cluster_state.json");
    if nodes.is_empty() || token.is_empty() {
        anyhow::bail!("{usage}");
    }
    match mode.as_str() {
        "setup" => setup(&nodes, &token, &state).await,
        "ingest" => ingest(&nodes, &load_state(&state)?).await,
        "decide" => decide(&nodes, &token, &load_state(&state)?).await,
        _ => anyhow::bail!("{usage}"),
    }
}
