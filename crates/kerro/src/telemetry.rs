//! Prometheus metrics: the process's one recorder, the middleware that counts
//! and times every request under its route template, and the scrape in the
//! Prometheus text format, served by the main router to staff
//! (`GET /metrics`, in `http`) and, without a token, by the listener of its
//! own (`metrics.listen`, [`router`]). What the store measures (the writer,
//! the follower, decisions, audiences) is named in `kerro_store::telemetry`.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Requests answered, by method, route template and status.
pub const HTTP_REQUESTS: &str = "kerro_http_requests_total";
/// How long requests took to answer (to the response's head), by method, route template and status.
pub const HTTP_DURATION: &str = "kerro_http_request_duration_seconds";

/// Webhook delivery attempts, by outcome (`delivered` or `failed`).
pub const WEBHOOK_ATTEMPTS: &str = "kerro_webhook_attempts_total";
/// Endpoints disabled after failing for the whole retry schedule.
pub const WEBHOOK_DISABLED: &str = "kerro_webhook_endpoints_disabled_total";
/// Webhook deliveries waiting to be sent (pending, to enabled endpoints).
pub const WEBHOOK_QUEUE_DEPTH: &str = "kerro_webhook_queue_depth";
/// Events JetStream acknowledged (`events.nats_url`).
pub const EVENTS_PUBLISHED: &str = "kerro_events_published_total";

/// The media type of the Prometheus text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds of the latency buckets, in seconds.
const SECONDS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Upper bounds of the writer's batch-size buckets (it takes at most 512 jobs).
const BATCH: [f64; 10] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

/// How often histogram samples are folded in when nobody scrapes, so they do not pile up.
const UPKEEP: Duration = Duration::from_secs(5);

/// The recorder's handle, installed on first use; `None` when the process
/// already had another recorder (kerro then runs without metrics).
pub fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE.get_or_init(install).as_ref()
}

fn install() -> Option<PrometheusHandle> {
    let built = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &SECONDS)
        .and_then(|b| {
            b.set_buckets_for_metric(
                Matcher::Full(kerro_store::telemetry::WRITER_BATCH_SIZE.into()),
                &BATCH,
            )
        });
    let recorder = match built {
        Ok(b) => b.build_recorder(),
        Err(e) => {
            tracing::warn!("metrics are off: {e}");
            return None;
        }
    };
    let handle = recorder.handle();
    if let Err(e) = metrics::set_global_recorder(recorder) {
        tracing::warn!("metrics are off: another recorder is installed ({e})");
        return None;
    }
    describe();
    kerro_store::telemetry::describe();
    let upkeep = handle.clone();
    let spawned = std::thread::Builder::new()
        .name("kerro-metrics".into())
        .spawn(move || loop {
            std::thread::sleep(UPKEEP);
            upkeep.run_upkeep();
        });
    if let Err(e) = spawned {
        tracing::warn!("cannot start the metrics upkeep thread: {e}");
    }
    Some(handle)
}

fn describe() {
    describe_counter!(
        HTTP_REQUESTS,
        Unit::Count,
        "Requests answered, by method, route template (never the raw path) and status."
    );
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "Time from a request's arrival to its response's head, by method, route template and status."
    );
    describe_counter!(
        WEBHOOK_ATTEMPTS,
        Unit::Count,
        "Webhook delivery attempts, by outcome (delivered: a 2xx answer; failed: anything else)."
    );
    describe_counter!(
        WEBHOOK_DISABLED,
        Unit::Count,
        "Webhook endpoints disabled because every attempt failed for the whole retry schedule."
    );
    describe_gauge!(
        WEBHOOK_QUEUE_DEPTH,
        Unit::Count,
        "Webhook deliveries pending to enabled endpoints, as of the dispatcher's last pass."
    );
    describe_counter!(
        EVENTS_PUBLISHED,
        Unit::Count,
        "Events published to NATS JetStream and acknowledged."
    );
}

/// The metrics now, in the Prometheus text format; `None` when metrics are off.
pub fn scrape() -> Option<Response> {
    let text = handle()?.render();
    Some((StatusCode::OK, [(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response())
}

/// Counts and times a request under the route template it matched (a
/// subject's id in a path never becomes a label), its method (an unusual one
/// is `other`) and its status. For `Router::layer`, so the route is known.
pub async fn track(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(req.method());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let resp = next.run(req).await;
    let labels = [
        ("method", method.to_owned()),
        ("route", route),
        ("status", resp.status().as_u16().to_string()),
    ];
    metrics::counter!(HTTP_REQUESTS, &labels).increment(1);
    metrics::histogram!(HTTP_DURATION, &labels).record(started.elapsed().as_secs_f64());
    resp
}

/// A method as a label: clients may send any token as a method, and each
/// would otherwise become a series of its own.
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The router of the metrics listener (`metrics.listen`): `GET /metrics`
/// without a token, and nothing else. Its address is for the monitoring
/// network only.
pub fn router() -> Router {
    Router::new()
        .route("/metrics", get(unauthenticated_scrape))
        .fallback(|| async { StatusCode::NOT_FOUND })
}

async fn unauthenticated_scrape() -> Response {
    scrape()
        .unwrap_or_else(|| (StatusCode::SERVICE_UNAVAILABLE, "metrics are off\n").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unusual_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        let odd = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&odd), "other");
    }
}
