//! Metrics: `GET /metrics` with a staff token (and only with one of the roles
//! that may read it) reports requests under their route templates with
//! status and latency, the writer's batches and commits, decision and
//! audience timings and the follower's lag, in text Prometheus parses; the
//! separate listener of `metrics.listen` serves the same without a token.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use kerro_core::Role;
use serde_json::json;
use std::collections::BTreeMap;
use tower::ServiceExt;

use crate::common::{Backend, TestApp};

/// One scrape: its status, media type and text.
async fn get_metrics(app: &TestApp, token: Option<&str>) -> (StatusCode, String, String) {
    let mut req = Request::builder().method(Method::GET).uri("/metrics");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = app
        .router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let media = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, media, String::from_utf8(bytes.to_vec()).unwrap())
}

/// One sample: its name, labels and value.
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// A scrape: each family's HELP text and TYPE, and the samples.
pub struct Scrape {
    pub help: BTreeMap<String, String>,
    pub types: BTreeMap<String, String>,
    pub samples: Vec<Sample>,
}

/// Reads the Prometheus text format (0.0.4) strictly: comments are HELP or
/// TYPE, every other line is a name, optional quoted labels (values may hold
/// braces, commas and escapes) and a number; every family has HELP and TYPE.
pub fn parse(text: &str) -> Scrape {
    let mut s = Scrape {
        help: BTreeMap::new(),
        types: BTreeMap::new(),
        samples: Vec::new(),
    };
    let is_name = |n: &str| {
        !n.is_empty()
            && !n.starts_with(|c: char| c.is_ascii_digit())
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
    };
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            assert!(is_name(name), "{line}");
            s.help.insert(name.to_owned(), help.to_owned());
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect(line);
            assert!(is_name(name), "{line}");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{line}"
            );
            s.types.insert(name.to_owned(), kind.to_owned());
            continue;
        }
        assert!(!line.starts_with('#'), "an unknown comment: {line}");
        let end = line.find(['{', ' ']).expect(line);
        let name = &line[..end];
        assert!(is_name(name), "{line}");
        let mut labels = BTreeMap::new();
        let mut rest = &line[end..];
        if let Some(mut inner) = rest.strip_prefix('{') {
            loop {
                if let Some(after) = inner.strip_prefix('}') {
                    rest = after;
                    break;
                }
                let (key, after) = inner.split_once("=\"").expect(line);
                assert!(is_name(key), "{line}");
                let mut value = String::new();
                let mut chars = after.char_indices();
                let close = loop {
                    match chars.next().expect(line) {
                        (i, '"') => break i,
                        (_, '\\') => match chars.next().expect(line).1 {
                            'n' => value.push('\n'),
                            c @ ('\\' | '"') => value.push(c),
                            c => panic!("escape \\{c} in {line}"),
                        },
                        (_, c) => value.push(c),
                    }
                };
                labels.insert(key.to_owned(), value);
                inner = &after[close + 1..];
                inner = inner.strip_prefix(',').unwrap_or(inner);
            }
        }
        let value = rest.strip_prefix(' ').expect(line);
        let value = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("not a number: {line}")),
        };
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| {
                name.strip_suffix(suffix)
                    .filter(|f| s.types.get(*f).is_some_and(|t| t == "histogram"))
            })
            .unwrap_or(name);
        assert!(s.types.contains_key(family), "{name} has no TYPE");
        s.samples.push(Sample {
            name: name.to_owned(),
            labels,
            value,
        });
    }
    for name in s.types.keys() {
        assert!(s.help.contains_key(name), "{name} has a TYPE but no HELP");
    }
    s
}

/// The value of the sample `name` with (at least) these labels, if there is one.
pub fn value(s: &Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    s.samples
        .iter()
        .find(|x| {
            x.name == name
                && labels
                    .iter()
                    .all(|(k, v)| x.labels.get(*k).is_some_and(|got| got == v))
        })
        .map(|x| x.value)
}

/// Whether the histogram `name` with these labels is there, buckets up to +Inf included.
fn is_histogram(s: &Scrape, name: &str, labels: &[(&str, &str)]) -> bool {
    let mut inf = labels.to_vec();
    inf.push(("le", "+Inf"));
    s.types.get(name).is_some_and(|t| t == "histogram")
        && value(s, &format!("{name}_bucket"), &inf).is_some()
        && value(s, &format!("{name}_count"), labels) == value(s, &format!("{name}_bucket"), &inf)
}

#[tokio::test]
async fn metrics_report_routes_writes_decisions_and_audiences_to_staff() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (id, subject) = app.answered_subject("metrics@example.fi").await;
    let service = app.staff_token(Role::Service);
    // Who may read them.
    let (status, _, _) = get_metrics(&app, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for role in [Role::Editor, Role::Support] {
        let (status, _, body) = get_metrics(&app, Some(&app.staff_token(role))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}: {body}");
    }
    let (status, _, _) = get_metrics(&app, Some(&subject)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, media, text) = get_metrics(&app, Some(&service)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(media.starts_with("text/plain; version=0.0.4"), "{media}");
    let before = parse(&text);
    // Requests of a few routes, each with the subject's id in its path, a
    // write (a rectification), a decision and an audience count.
    let route = [
        ("method", "GET"),
        ("route", "/v1/subjects/{id}"),
        ("status", "200"),
    ];
    let count = |s: &Scrape, labels: &[(&str, &str)]| {
        value(s, "kerro_http_requests_total", labels).unwrap_or(0.0)
    };
    for _ in 0..3 {
        let r = app.get(&format!("/v1/subjects/{id}"), &app.admin).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let missing = "/v1/subjects/sub_00000000000000000000000000";
    assert_eq!(
        app.get(missing, &app.admin).await.status,
        StatusCode::NOT_FOUND
    );
    let unrouted = format!("/v1/nowhere/{id}");
    assert_eq!(
        app.get(&unrouted, &app.admin).await.status,
        StatusCode::NOT_FOUND
    );
    let r = app
        .call(
            Method::PATCH,
            "/v1/me/declarations",
            Some(&subject),
            Some(json!({"size": "small"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .post(
            "/v1/decisions",
            &service,
            json!({"subject": id, "channel": "web", "dry_run": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .post(
            "/v1/audiences/count",
            &app.admin,
            json!({"purpose": "offers", "channel": "email"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let (_, _, text) = get_metrics(&app, Some(&service)).await;
    let after = parse(&text);
    // Other tests share the process's recorder, so counts grow by at least ours.
    assert!(
        count(&after, &route) >= count(&before, &route) + 3.0,
        "{text}"
    );
    assert!(is_histogram(
        &after,
        "kerro_http_request_duration_seconds",
        &route
    ));
    let not_found = [("route", "/v1/subjects/{id}"), ("status", "404")];
    assert!(count(&after, &not_found) >= 1.0, "{text}");
    let unmatched = [("route", "unmatched"), ("status", "404")];
    assert!(count(&after, &unmatched) >= 1.0, "{text}");
    let scrape = [("route", "/metrics"), ("status", "403")];
    assert!(count(&after, &scrape) >= 2.0, "{text}");
    assert!(
        !text.contains(&id) && !text.contains("nowhere"),
        "a raw path became a label:\n{text}"
    );
    for (name, labels) in [
        (
            "kerro_http_request_duration_seconds_count",
            &[
                ("route", "/v1/me/declarations"),
                ("status", "200"),
                ("method", "PATCH"),
            ][..],
        ),
        ("kerro_writer_batch_size_count", &[]),
        ("kerro_writer_commit_seconds_count", &[]),
        ("kerro_decision_seconds_count", &[]),
        ("kerro_audience_seconds_count", &[]),
    ] {
        let (was, is) = (
            value(&before, name, labels).unwrap_or(0.0),
            value(&after, name, labels).unwrap_or(0.0),
        );
        assert!(is > was, "{name}: {was} then {is}\n{text}");
    }
    for name in [
        "kerro_writer_batch_size",
        "kerro_writer_commit_seconds",
        "kerro_decision_seconds",
        "kerro_audience_seconds",
    ] {
        assert!(is_histogram(&after, name, &[]), "{name}\n{text}");
        assert!(after.help.contains_key(name), "{name} has no HELP");
    }
    // The follower looks every 250 ms and says how far behind it was.
    let mut lag = None;
    for _ in 0..40 {
        let (_, _, text) = get_metrics(&app, Some(&service)).await;
        lag = value(&parse(&text), "kerro_follower_lag_events", &[]);
        if lag.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(lag.is_some_and(|v| v >= 0.0), "no follower lag gauge");
}

/// `metrics.listen` (here `KERRO_METRICS_LISTEN`) starts a second listener
/// that serves only `/metrics`, without a token; the main listener still asks for one.
#[test]
fn the_metrics_listener_serves_without_a_token() {
    if crate::BACKEND != Backend::Sqlite {
        return; // the real binary on its default database; once is enough
    }
    use std::io::BufRead;
    const ADMIN: &str = "metrics-admin-token-0123456789abcdef0123";
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url, mut out) = crate::serve::spawn_with_output(
        std::process::Command::new(env!("CARGO_BIN_EXE_kerro"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(dir.path())
            .env("KERRO_METRICS_LISTEN", "127.0.0.1:0")
            .env("KERRO_ADMIN_TOKEN", ADMIN)
            .env("KERRO_LOG", "warn"),
    );
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let metrics = line
        .trim()
        .strip_prefix("metrics on ")
        .unwrap_or_else(|| panic!("the metrics address comes second, not '{line}'"))
        .to_owned();
    assert!(metrics.ends_with("/metrics"), "{metrics}");
    let c = reqwest::blocking::Client::new();
    assert_eq!(
        c.get(format!("{url}/healthz")).send().unwrap().status(),
        200
    );
    assert_eq!(
        c.get(format!("{url}/metrics")).send().unwrap().status(),
        401,
        "the API's listener wants a token"
    );
    let r = c
        .get(format!("{url}/metrics"))
        .bearer_auth(ADMIN)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = c.get(&metrics).send().unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().unwrap();
    let s = parse(&text);
    let health = [("route", "/healthz"), ("status", "200"), ("method", "GET")];
    assert_eq!(
        value(&s, "kerro_http_requests_total", &health),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(
            &s,
            "kerro_http_requests_total",
            &[("route", "/metrics"), ("status", "401")]
        ),
        Some(1.0),
        "{text}"
    );
    // A fresh server wrote its bootstrap token: one batch at least.
    assert!(value(&s, "kerro_writer_batch_size_count", &[]).is_some_and(|n| n >= 1.0));
    let other = metrics.replace("/metrics", "/healthz");
    assert_eq!(c.get(other).send().unwrap().status(), 404, "only /metrics");
    child.kill().unwrap();
    child.wait().unwrap();
}
