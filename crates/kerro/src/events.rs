//! The event stream (issue 14, item 6): when `events.nats_url` is set, a
//! thread publishes the webhooks' events (the same types and bodies, ids and
//! keys only) to NATS JetStream under `<prefix>.<type>`, each with the
//! outbox sequence number as `Nats-Msg-Id`, so JetStream drops a duplicate
//! within its duplicate window. It keeps its own cursor in the database
//! (`stream_cursors`, `nats`), moved only after JetStream acknowledged
//! everything up to it: at least once, resumed after a restart. Several
//! nodes may publish the same event; the message id makes that harmless.
//! Creating the stream (e.g. subjects `kerro.>`) is the operator's.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use kerro_store::{event_body, event_type, Store};

use crate::app::Clock;
use crate::telemetry;

/// The cursor's name in `stream_cursors`.
pub const CURSOR: &str = "nats";
/// How often the publisher looks for new events.
const POLL: Duration = Duration::from_millis(250);
/// Events read per pass.
const BATCH: i64 = 200;

/// A running publisher; it stops when this is dropped.
pub struct Publisher {
    stop: Arc<AtomicBool>,
}

impl Drop for Publisher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Where and how to publish.
#[derive(Clone)]
pub struct Options {
    pub store: Store,
    pub url: String,
    pub prefix: String,
    pub clock: Clock,
}

impl Publisher {
    pub fn start(opts: Options) -> anyhow::Result<Publisher> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::Builder::new()
            .name("kerro-events".into())
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(run(opts, flag)),
                    Err(e) => tracing::error!("the event stream cannot start: {e}"),
                }
            })?;
        Ok(Publisher { stop })
    }
}

async fn run(opts: Options, stop: Arc<AtomicBool>) {
    let mut backoff = Duration::from_millis(200);
    while !stop.load(Ordering::Relaxed) {
        let client = match async_nats::ConnectOptions::new()
            .connection_timeout(Duration::from_secs(5))
            .connect(opts.url.as_str())
            .await
        {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("events: cannot reach NATS at {}, retrying: {e}", opts.url);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
                continue;
            }
        };
        backoff = Duration::from_millis(200);
        let js = async_nats::jetstream::new(client);
        while !stop.load(Ordering::Relaxed) {
            match publish_pending(&opts, &js).await {
                Ok(0) => tokio::time::sleep(POLL).await,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!("events: cannot publish, retrying: {e}");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                    break;
                }
            }
        }
    }
}

/// Publishes the events after the cursor (one batch) and moves the cursor
/// past them; returns how many events it read.
pub async fn publish_pending(
    opts: &Options,
    js: &async_nats::jetstream::Context,
) -> anyhow::Result<usize> {
    let store = opts.store.clone();
    let events = tokio::task::spawn_blocking(move || {
        let after = store.stream_cursor(CURSOR)?;
        store.outbox_since(after, BATCH)
    })
    .await??;
    let Some(newest) = events.last().map(|e| e.seq) else {
        return Ok(0);
    };
    for e in &events {
        let (Some(kind), Some(body)) = (event_type(e), event_body(e)) else {
            continue;
        };
        publish(js, &opts.prefix, kind, e.seq, body.to_string()).await?;
        metrics::counter!(telemetry::EVENTS_PUBLISHED).increment(1);
    }
    let (store, now) = (opts.store.clone(), (opts.clock)());
    tokio::task::spawn_blocking(move || store.advance_stream_cursor(now, CURSOR, newest)).await??;
    Ok(events.len())
}

/// Publishes one event as `<prefix>.<kind>` with `Nats-Msg-Id` = `seq` and
/// waits for JetStream's acknowledgement; returns whether it was a duplicate.
pub async fn publish(
    js: &async_nats::jetstream::Context,
    prefix: &str,
    kind: &str,
    seq: i64,
    body: String,
) -> anyhow::Result<bool> {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(
        async_nats::header::NATS_MESSAGE_ID,
        seq.to_string().as_str(),
    );
    let ack = js
        .publish_with_headers(format!("{prefix}.{kind}"), headers, body.into())
        .await?
        .await?;
    Ok(ack.duplicate)
}
