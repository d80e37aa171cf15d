//! The demo's webhook receiver: `kerro demo` listens on a second local port,
//! registers a webhook for every event type to it, and prints one line for
//! each delivery it verified with the official Rust `standardwebhooks`
//! crate, so a signed event can be watched end to end. Only that one
//! address is allowed although it is local and plain HTTP (the API still
//! refuses private addresses); a webhook an earlier demo run registered is
//! replaced.

use std::net::SocketAddr;

use anyhow::Context;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use chrono::{DateTime, Utc};
use kerro_core::Actor;
use kerro_store::{NewWebhook, Store, WEBHOOK_EVENTS};

/// How the demo's webhook is told apart from the ones people register.
const DESCRIPTION: &str = "kerro demo receiver";

/// The receiver's socket, bound before the server starts.
pub struct Receiver {
    listener: std::net::TcpListener,
    pub addr: SocketAddr,
}

impl Receiver {
    pub fn bind() -> anyhow::Result<Receiver> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .context("cannot bind the demo's webhook receiver")?;
        let addr = listener.local_addr()?;
        Ok(Receiver { listener, addr })
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// Replaces an earlier demo webhook with one to this receiver, then
    /// serves it on a thread of its own.
    pub fn register_and_serve(self, store: &Store, now: DateTime<Utc>) -> anyhow::Result<()> {
        let actor = Actor::System("demo".into());
        for old in store.list_webhooks()? {
            if old.description == DESCRIPTION {
                store.delete_webhook(&actor, now, &old.id)?;
            }
        }
        let new = NewWebhook {
            url: self.url(),
            events: WEBHOOK_EVENTS.iter().map(|e| (*e).to_owned()).collect(),
            description: Some(DESCRIPTION.into()),
            recipient: None,
        };
        let (_, secret) = store.create_webhook(&actor, now, new, usize::MAX)?;
        let verifier = standardwebhooks::Webhook::new(&secret)
            .map_err(|e| anyhow::anyhow!("the demo webhook's secret: {e}"))?;
        self.listener.set_nonblocking(true)?;
        let listener = self.listener;
        std::thread::Builder::new()
            .name("kerro-demo-webhooks".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(r) => r,
                    Err(e) => return eprintln!("the demo's webhook receiver cannot start: {e}"),
                };
                runtime.block_on(async move {
                    let app = Router::new()
                        .route("/hook", post(receive))
                        .with_state(std::sync::Arc::new(verifier));
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => {
                            if let Err(e) = axum::serve(l, app).await {
                                eprintln!("the demo's webhook receiver stopped: {e}");
                            }
                        }
                        Err(e) => eprintln!("the demo's webhook receiver cannot listen: {e}"),
                    }
                });
            })?;
        Ok(())
    }
}

async fn receive(
    State(verifier): State<std::sync::Arc<standardwebhooks::Webhook>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let id = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("?");
    match verifier.verify(&body, &headers) {
        Ok(()) => {
            let kind = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["type"].as_str().map(str::to_owned))
                .unwrap_or_default();
            println!("webhook verified: {kind} {id}");
            StatusCode::NO_CONTENT
        }
        Err(e) => {
            println!("webhook NOT verified ({e}): {id}");
            StatusCode::UNAUTHORIZED
        }
    }
}
