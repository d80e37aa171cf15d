//! Confirmation mail off the request path: the store queues each
//! confirmation link it issues (a hosted form's address, one staff marked
//! unverified, a subject's new address), and one thread per router composes
//! the message in the link's language and sends it. So a page that gave an
//! address answers as fast as one that did not, and nothing but this link is
//! ever written to an address that waits for its confirmation.

use kerro_store::{ConfirmationMail, Store, CONFIRM_LINK_DAYS};
use std::sync::Arc;

use super::i18n::{L10n, Tr};
use super::mail::Mailer;
use crate::config::Config;

/// Starts the thread; it ends when the store (the queue's sender) is gone.
/// It holds the queue and the configuration, never the store itself.
pub fn start(store: &Store, config: Arc<Config>, l10n: Arc<L10n>, mailer: Arc<Mailer>) {
    let queue = store.confirmation_mail();
    let spawned = std::thread::Builder::new()
        .name("kerro-confirm-mail".into())
        .spawn(move || loop {
            let next = queue.lock().recv();
            let Ok(mail) = next else { return };
            if let Err(e) = send(&config, &l10n, &mailer, mail) {
                tracing::error!("could not send an e-mail confirmation link: {e}");
            }
        });
    if let Err(e) = spawned {
        tracing::error!("cannot start the confirmation mail thread: {e}");
    }
}

fn send(
    cfg: &Config,
    l10n: &Arc<L10n>,
    mailer: &Mailer,
    mail: ConfirmationMail,
) -> Result<(), String> {
    let url = format!("{}/confirm-email/{}", cfg.public_url(), mail.secret);
    let tr = Tr::new(l10n.clone(), mail.lang, cfg.default_language);
    let body = format!(
        "{}\n\n{url}\n\n{}\n\n{}\n",
        tr.t1("confirm-mail-intro", "controller", &cfg.controller.name),
        tr.tn("confirm-mail-expiry", "days", CONFIRM_LINK_DAYS),
        tr.t("confirm-mail-not-you"),
    );
    if cfg.mail.print_links {
        println!("e-mail confirmation link (demo): {url}");
    }
    mailer.send(&mail.to, &tr.t("confirm-mail-subject"), body)
}
