//! Sending campaigns: starts the campaigns that are due, and for each
//! claimed recipient checks again what may reach them (the store's
//! `check_recipient`), writes the message in their language from the offer's
//! texts with one line of why built from their own answers, a link to the
//! preference centre and the one-click unsubscribe (RFC 8058 headers and a
//! visible link), and sends it through the mail path at the configured pace.

use chrono::{DateTime, Utc};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use kerro_core::contact::Channel;
use kerro_store::{Campaign, Outcome, Recipient, StoreError, UnsubscribeLink};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use super::fields::answer_text;
use super::i18n::{L10n, Tr};
use super::mail::Mailer;
use crate::app::AppState;

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub started: usize,
    pub sent: usize,
    pub skipped: usize,
    pub failed: usize,
}

/// Sends due campaigns. One per node; the store's claims keep nodes apart.
pub struct CampaignSender {
    app: AppState,
    l10n: Arc<L10n>,
    mailer: Arc<Mailer>,
    pace: DefaultDirectRateLimiter,
}

impl CampaignSender {
    pub fn new(app: AppState) -> CampaignSender {
        let per_second =
            NonZeroU32::new(app.config.campaigns.messages_per_second).unwrap_or(NonZeroU32::MIN);
        CampaignSender {
            l10n: Arc::new(L10n::load()),
            mailer: Arc::new(Mailer::from_config(&app.config)),
            pace: RateLimiter::direct(Quota::per_second(per_second).allow_burst(NonZeroU32::MIN)),
            app,
        }
    }

    /// Starts a thread that sends due campaigns every second, for `serve` and `demo`.
    pub fn start(app: AppState) {
        let sender = CampaignSender::new(app);
        let spawned = std::thread::Builder::new()
            .name("kerro-campaigns".into())
            .spawn(move || loop {
                let now = sender.app.now();
                if let Err(e) = sender.run_once(now) {
                    tracing::warn!("campaigns: {e}");
                }
                std::thread::sleep(Duration::from_secs(1));
            });
        if let Err(e) = spawned {
            tracing::error!("cannot start the campaign sender: {e}");
        }
    }

    /// Starts what is due at `now` and sends every campaign being sent to the end.
    pub fn run_once(&self, now: DateTime<Utc>) -> Result<Run, StoreError> {
        let store = &self.app.store;
        let mut run = Run::default();
        while store.start_due_campaign(now)?.is_some() {
            run.started += 1;
        }
        for c in store.sending_campaigns()? {
            let check = store.campaign_check(&c);
            loop {
                let batch = store.claim_recipients(now, &c.id, self.app.config.campaigns.batch)?;
                if batch.is_empty() {
                    break;
                }
                let mut outcomes = Vec::with_capacity(batch.len());
                for subject in batch {
                    let outcome = match store.check_recipient(now, &check, &subject) {
                        Ok(Ok(r)) => self.send(&c, r),
                        Ok(Err(why)) => Outcome::Skipped(subject, why),
                        // An erased subject has nothing to check: not sent.
                        Err(e) if e.to_core().code == kerro_core::ErrorCode::Gone => {
                            Outcome::Skipped(subject, kerro_store::Skip::ConsentWithdrawn)
                        }
                        Err(e) => Outcome::Failed(subject, e.to_string()),
                    };
                    match &outcome {
                        Outcome::Sent(_) => run.sent += 1,
                        Outcome::Skipped(..) => run.skipped += 1,
                        Outcome::Failed(..) => run.failed += 1,
                    }
                    outcomes.push(outcome);
                }
                store.record_outcomes(now, &c.id, outcomes)?;
            }
        }
        Ok(run)
    }

    fn send(&self, c: &Campaign, r: Recipient) -> Outcome {
        let m = compose(&self.app, &self.l10n, c, &r);
        while let Err(not_yet) = self.pace.check() {
            std::thread::sleep(not_yet.wait_time_from(DefaultClock::default().now()));
        }
        let headers = [
            ("List-Unsubscribe", format!("<{}>", m.unsubscribe_url)),
            (
                "List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click".to_owned(),
            ),
        ];
        match self
            .mailer
            .send_with(&r.email, &m.subject, m.body, &headers)
        {
            Ok(()) => Outcome::Sent(r),
            Err(e) => Outcome::Failed(r.subject, e),
        }
    }
}

/// A message ready to send.
pub struct Composed {
    pub subject: String,
    pub body: String,
    pub unsubscribe_url: String,
}

/// Writes the campaign's message for one recipient, in their language.
pub fn compose(app: &AppState, l10n: &Arc<L10n>, c: &Campaign, r: &Recipient) -> Composed {
    let default = app.config.default_language;
    let tr = Tr::new(l10n.clone(), r.language, default);
    let snap = app.store.schema();
    let offer = snap.offers.iter().find(|o| o.key == c.offer);
    let base = app.config.public_url();
    let token = app.store.unsubscribe_token(&UnsubscribeLink {
        subject: r.subject.clone(),
        channel: Channel::Email,
        purpose: c.purpose.clone(),
    });
    let unsubscribe_url = format!("{base}/u/{token}");
    let purpose = snap
        .schema
        .purposes
        .get(&c.purpose)
        .map(|p| tr.text(&p.title))
        .unwrap_or_else(|| c.purpose.to_string());
    let answers: Vec<String> = r
        .reasons
        .values
        .iter()
        .map(|v| answer_text(&tr, &snap.schema, &v.attribute, &v.value))
        .collect();
    let why = if answers.is_empty() {
        tr.t1("campaign-why-consent", "purpose", &purpose)
    } else {
        tr.t2(
            "campaign-why",
            "answers",
            &answers.join("; "),
            "purpose",
            &purpose,
        )
    };
    let body = [
        offer.map(|o| tr.text(&o.spec.body)).unwrap_or_default(),
        String::new(),
        "--".to_owned(),
        why,
        tr.t1("campaign-preferences", "url", &format!("{base}/me")),
        tr.t2(
            "campaign-unsubscribe",
            "purpose",
            &purpose,
            "url",
            &unsubscribe_url,
        ),
    ]
    .join("\n");
    Composed {
        subject: offer
            .map(|o| tr.text(&o.spec.title))
            .unwrap_or_else(|| c.offer.to_string()),
        body,
        unsubscribe_url,
    }
}
