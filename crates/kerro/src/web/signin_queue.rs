//! Sign-in mail off the request path: `POST /login` only checks the address
//! and puts it on a bounded queue; one thread drains it, asks the store for a
//! link (which replaces the address's open links) and mails it to the stored
//! address. So a request for a customer's address costs what a request for an
//! unknown one costs, and the page says the same either way.

use chrono::Duration;
use kerro_core::{Actor, Lang};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;

use super::i18n::{L10n, Tr};
use super::mail::Mailer;
use crate::app::AppState;

/// Requests waiting at most; past that `POST /login` answers 503 (the limit per
/// client address keeps one sender from filling it).
const CAPACITY: usize = 1024;

/// One asked-for sign-in link: the address in its canonical form and the page's language.
pub struct SignInJob {
    pub email: String,
    pub lang: Lang,
}

#[derive(Clone)]
pub struct SignInQueue {
    tx: SyncSender<SignInJob>,
}

impl SignInQueue {
    /// Starts the thread that drains the queue; it ends when the last queue handle is dropped.
    pub fn start(app: &AppState, l10n: Arc<L10n>, mailer: Arc<Mailer>) -> SignInQueue {
        let (tx, rx) = sync_channel(CAPACITY);
        let app = app.clone();
        let spawned = std::thread::Builder::new()
            .name("kerro-sign-in-mail".into())
            .spawn(move || drain(rx, app, l10n, mailer));
        if let Err(e) = spawned {
            tracing::error!("cannot start the sign-in mail thread: {e}");
        }
        SignInQueue { tx }
    }

    /// `false` when the queue is full (or its thread is gone): nothing was queued.
    pub fn push(&self, job: SignInJob) -> bool {
        match self.tx.try_send(job) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                tracing::warn!("the sign-in mail queue is full");
                false
            }
            Err(TrySendError::Disconnected(_)) => false,
        }
    }
}

fn drain(rx: Receiver<SignInJob>, app: AppState, l10n: Arc<L10n>, mailer: Arc<Mailer>) {
    let actor = Actor::System("web-sign-in".into());
    while let Ok(job) = rx.recv() {
        if let Err(e) = send_link(&app, &actor, &l10n, &mailer, job) {
            tracing::error!("could not send a sign-in link: {e}");
        }
    }
}

fn send_link(
    app: &AppState,
    actor: &Actor,
    l10n: &Arc<L10n>,
    mailer: &Mailer,
    job: SignInJob,
) -> Result<(), String> {
    let cfg = &app.config;
    let minutes = i64::from(cfg.web.login_link_minutes);
    let issued = app
        .store
        .issue_login_link_for_email(actor, app.now(), &job.email, Duration::minutes(minutes))
        .map_err(|e| e.to_string())?;
    let Some(link) = issued else {
        return Ok(());
    };
    let url = format!("{}/login/{}", cfg.public_url(), link.secret);
    let tr = Tr::new(l10n.clone(), job.lang, cfg.default_language);
    let body = format!(
        "{}\n\n{url}\n\n{}\n",
        tr.t("mail-body-intro"),
        tr.tn("mail-body-expiry", "minutes", minutes)
    );
    if cfg.mail.print_links {
        println!("sign-in link (demo): {url}");
    }
    mailer.send(&link.email, &tr.t("mail-subject"), body)
}
