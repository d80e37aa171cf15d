//! Delivering webhooks (issue 14, item 5): the dispatcher thread each node
//! runs. It fans new outbox events out to the endpoints (a write
//! transaction: once across nodes), claims the deliveries that are due,
//! signs each with the official Standard Webhooks library, POSTs it, and
//! records how it went; an endpoint that fails for the whole retry schedule
//! is disabled and every active admin gets an e-mail. The queue's rules are
//! `kerro_store`'s (`store/webhook_queue.rs`); where a URL may point is
//! `guard`'s. The same events go to NATS from `crate::events`.

pub mod guard;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use kerro_core::Role;
use kerro_store::{Attempt, Disabled, DueDelivery, RetrySchedule, Store};
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE};

use crate::app::{AppState, Clock};
use crate::telemetry;
use crate::web::Mailer;
use guard::Guard;

/// How often the dispatcher looks for new events and due deliveries.
const POLL: Duration = Duration::from_millis(250);
/// Deliveries sent at once by one node.
const BATCH: usize = 16;

/// What a dispatcher needs.
#[derive(Clone)]
pub struct Options {
    pub store: Store,
    pub config: Arc<crate::config::Config>,
    /// When deliveries are due (the server's clock; tests move it).
    pub clock: Clock,
    /// The `webhook-timestamp` of each attempt: the real time, since
    /// receivers compare it with their own clocks.
    pub signing_clock: Clock,
    pub schedule: RetrySchedule,
}

impl Options {
    pub fn new(state: &AppState) -> Options {
        Options {
            store: state.store.clone(),
            config: state.config.clone(),
            clock: state.clock.clone(),
            signing_clock: crate::app::system_clock(),
            schedule: RetrySchedule::default(),
        }
    }
}

/// A running dispatcher; it stops when this is dropped.
pub struct Dispatcher {
    stop: Arc<AtomicBool>,
}

impl Drop for Dispatcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Dispatcher {
    /// Starts the dispatcher thread.
    pub fn start(opts: Options) -> anyhow::Result<Dispatcher> {
        let stop = Arc::new(AtomicBool::new(false));
        let client = client(&opts.config.webhooks)?;
        let mailer = Mailer::from_config(&opts.config);
        let flag = stop.clone();
        std::thread::Builder::new()
            .name("kerro-webhooks".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(r) => r,
                    Err(e) => return tracing::error!("the webhook dispatcher cannot start: {e}"),
                };
                runtime.block_on(run(opts, client, mailer, flag));
            })?;
        Ok(Dispatcher { stop })
    }
}

/// The HTTP client: a short timeout, no redirects, no proxy from the
/// environment, names resolved through the guard.
fn client(cfg: &crate::config::WebhooksConfig) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_secs(u64::from(cfg.timeout_secs)))
        .connect_timeout(Duration::from_secs(u64::from(cfg.timeout_secs).min(5)))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("kerro-webhooks/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(Guard::new(cfg)))
        .build()?)
}

async fn run(opts: Options, client: reqwest::Client, mailer: Mailer, stop: Arc<AtomicBool>) {
    let guard = Guard::new(&opts.config.webhooks);
    let lease = chrono::Duration::seconds(i64::from(opts.config.webhooks.timeout_secs) + 30);
    while !stop.load(Ordering::Relaxed) {
        let now = now(&opts.clock);
        let store = opts.store.clone();
        let claimed = tokio::task::spawn_blocking(move || {
            store.webhook_fan_out(now)?;
            store.claim_webhook_deliveries(now, lease, BATCH)
        })
        .await;
        let due = match claimed {
            Ok(Ok(d)) => d,
            Ok(Err(e)) => {
                tracing::warn!("webhooks: cannot read the queue: {e}");
                Vec::new()
            }
            Err(e) => {
                tracing::error!("webhooks: {e}");
                Vec::new()
            }
        };
        let mut sends = tokio::task::JoinSet::new();
        let busy = !due.is_empty();
        for d in due {
            let (client, guard, signing) =
                (client.clone(), guard.clone(), opts.signing_clock.clone());
            sends.spawn(async move {
                let attempt = send(&client, &guard, &d, signing().timestamp()).await;
                (d, attempt)
            });
        }
        while let Some(done) = sends.join_next().await {
            let Ok((d, attempt)) = done else { continue };
            record(&opts, &mailer, d, attempt).await;
        }
        if let Ok(Ok(depth)) = {
            let store = opts.store.clone();
            tokio::task::spawn_blocking(move || store.webhook_queue_depth()).await
        } {
            metrics::gauge!(telemetry::WEBHOOK_QUEUE_DEPTH).set(depth as f64);
        }
        if !busy {
            tokio::time::sleep(POLL).await;
        }
    }
}

fn now(clock: &Clock) -> DateTime<Utc> {
    chrono::SubsecRound::trunc_subsecs(clock(), 6)
}

/// One attempt: the Standard Webhooks headers over the stored body.
pub async fn send(
    client: &reqwest::Client,
    guard: &Guard,
    d: &DueDelivery,
    timestamp: i64,
) -> Attempt {
    let failed = |error: String| Attempt::Failed {
        status: None,
        error,
    };
    let url = match reqwest::Url::parse(&d.url) {
        Ok(u) => u,
        Err(e) => return failed(format!("bad URL: {e}")),
    };
    if let Err(e) = guard.check_before_send(&url) {
        return failed(e);
    }
    let signature = match standardwebhooks::Webhook::new(&d.secret)
        .and_then(|w| w.sign(&d.id, timestamp, d.body.as_bytes()))
    {
        Ok(s) => s,
        Err(e) => return failed(format!("cannot sign: {e}")),
    };
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    for (name, value) in [
        ("webhook-id", d.id.clone()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", signature),
    ] {
        match HeaderValue::from_str(&value) {
            Ok(v) => {
                headers.insert(name, v);
            }
            Err(_) => return failed(format!("bad {name} header")),
        }
    }
    match client
        .post(url)
        .headers(headers)
        .body(d.body.clone())
        .send()
        .await
    {
        Ok(resp) if resp.status().is_success() => Attempt::Delivered {
            status: resp.status().as_u16(),
        },
        Ok(resp) => Attempt::Failed {
            status: Some(resp.status().as_u16()),
            error: format!("the receiver answered {}", resp.status()),
        },
        Err(e) => failed(describe(&e)),
    }
}

/// A client error in one line, with its causes (the address refused, the timeout).
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "no answer in time".to_owned()
    } else if e.is_connect() {
        "cannot connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

async fn record(opts: &Options, mailer: &Mailer, d: DueDelivery, attempt: Attempt) {
    let outcome = match &attempt {
        Attempt::Delivered { .. } => "delivered",
        Attempt::Failed { .. } => "failed",
    };
    metrics::counter!(telemetry::WEBHOOK_ATTEMPTS, "outcome" => outcome).increment(1);
    let (store, schedule, now) = (opts.store.clone(), opts.schedule.clone(), now(&opts.clock));
    let id = d.id.clone();
    let recorded = tokio::task::spawn_blocking(move || {
        store.record_webhook_attempt(now, &id, attempt, &schedule)
    })
    .await;
    match recorded {
        Ok(Ok(Some(disabled))) => {
            metrics::counter!(telemetry::WEBHOOK_DISABLED).increment(1);
            tracing::warn!(endpoint = %disabled.endpoint, "webhook disabled: {}", disabled.reason);
            let (store, config) = (opts.store.clone(), opts.config.clone());
            let mailer_result = notify_admins(&store, &config, mailer, &disabled);
            if let Err(e) = mailer_result {
                tracing::warn!("cannot tell the admins that a webhook was disabled: {e}");
            }
        }
        Ok(Ok(None)) => {}
        Ok(Err(e)) => tracing::warn!(delivery = %d.id, "webhooks: cannot record an attempt: {e}"),
        Err(e) => tracing::error!("webhooks: {e}"),
    }
}

/// E-mails every active admin account that `disabled` was disabled.
fn notify_admins(
    store: &Store,
    config: &crate::config::Config,
    mailer: &Mailer,
    disabled: &Disabled,
) -> Result<(), String> {
    let admins = store.list_staff().map_err(|e| e.to_string())?;
    let body = format!(
        "The webhook {} ({}) was disabled: {}.\n\n\
         Nothing more is sent to it. Once the receiver works again, retry one of its\n\
         deliveries (POST /v1/webhooks/{}/deliveries/{{delivery}}/retry): that enables it again.\n\
         Its deliveries: {}/v1/webhooks/{}/deliveries\n",
        disabled.endpoint,
        disabled.url,
        disabled.reason,
        disabled.endpoint,
        config.public_url(),
        disabled.endpoint
    );
    let mut errors = Vec::new();
    for a in admins
        .iter()
        .filter(|a| a.role == Role::Admin && a.state == kerro_core::staff::StaffState::Active)
    {
        if let Err(e) = mailer.send(
            &a.email,
            &format!("kerro: webhook {} disabled", disabled.endpoint),
            body.clone(),
        ) {
            errors.push(e);
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}
