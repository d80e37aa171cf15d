//! Sending a started campaign, recipient by recipient: claiming recipients
//! under the write lock (so no two nodes send to one subject), the checks at
//! the moment of sending, and recording what became of each with the
//! campaign's counts. The mail itself is the binary's (`web/campaign_mail.rs`).

use chrono::{DateTime, Duration, Utc};
use kerro_core::contact::{Channel, EmailStatus};
use kerro_core::decide::{
    messages_this_week, offer_cap_reached, reasons, ConsentReason, Delivery, Reasons, ValueReason,
};
use kerro_core::ids::{AttributeKey, SubjectId};
use kerro_core::offer::compile_condition;
use kerro_core::{Actor, Lang};
use std::collections::BTreeMap;

use super::audit::{record, AuditAction};
use super::campaigns::{Campaign, Skip};
use super::deliveries::{log_sent, RecordedDelivery};
use super::shared::{email_of, subject_key};
use super::{corrupt, new_ulid, ts, Store};
use crate::error::StoreResult;
use crate::sql::params;

/// A recipient cleared for sending: everything the message needs.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub subject: SubjectId,
    pub email: String,
    pub language: Lang,
    pub reasons: Reasons,
    pub personalized: bool,
}

/// A campaign with what every check of its recipients reads: the attributes
/// its audience's condition reads (for the line of why).
#[derive(Debug, Clone)]
pub struct CampaignCheck {
    campaign: Campaign,
    audience_reads: Vec<AttributeKey>,
}

/// What became of one planned recipient.
#[derive(Debug, Clone)]
pub enum Outcome {
    Sent(Recipient),
    Skipped(SubjectId, Skip),
    Failed(SubjectId, String),
}

/// How long a node may hold claimed recipients before their outcome must be in.
const CLAIM_LIFE: Duration = Duration::minutes(10);

/// Writes a campaign's counts from its recipients (so every node's batches
/// add up, and a later erasure does not rewrite a finished campaign's
/// counts), and marks it sent when no recipient is left to send to.
fn finish_if_done(tx: &super::tx::Tx, id: &str, now: DateTime<Utc>) -> StoreResult<()> {
    let (mut sent, mut failed, mut open) = (0i64, 0i64, 0i64);
    let mut skipped: BTreeMap<String, i64> = BTreeMap::new();
    for r in &tx.rows(
        "SELECT state, reason, COUNT(*) FROM campaign_recipients WHERE campaign_id = ?1 GROUP BY state, reason",
        [id],
    )? {
        let (state, reason, n): (String, Option<String>, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
        match state.as_str() {
            "sent" => sent += n,
            "failed" => failed += n,
            "skipped" => *skipped.entry(reason.unwrap_or_default()).or_default() += n,
            _ => open += n,
        }
    }
    tx.execute(
        "UPDATE campaigns SET sent = ?2, failed = ?3, skipped = ?4 WHERE id = ?1",
        params![
            id,
            sent,
            failed,
            serde_json::to_string(&skipped).map_err(corrupt("counts"))?
        ],
    )?;
    if open == 0 {
        let n = tx.execute(
            "UPDATE campaigns SET state = 'sent', finished_at = ?2 WHERE id = ?1 AND state = 'sending'",
            params![id, ts(&now)],
        )?;
        if n > 0 {
            record(
                tx,
                None,
                AuditAction::CampaignChanged {
                    campaign: id,
                    change: "finished",
                },
            )?;
        }
    }
    Ok(())
}

impl Store {
    /// Claims the next `n` planned recipients of a campaign for this node
    /// (under the write lock, so no two nodes send to one subject). A claim
    /// older than `CLAIM_LIFE` whose outcome never came (its node stopped
    /// mid-batch) is counted as failed, not sent again: a message is sent at
    /// most once.
    pub fn claim_recipients(
        &self,
        now: DateTime<Utc>,
        campaign: &str,
        n: u32,
    ) -> StoreResult<Vec<SubjectId>> {
        let id = campaign.to_owned();
        let actor = Actor::System("campaigns".into());
        self.write(&actor, now, move |tx| {
            tx.execute(
                "UPDATE campaign_recipients SET state = 'failed', reason = 'interrupted'
                 WHERE campaign_id = ?1 AND state = 'claimed' AND at < ?2",
                params![id.as_str(), ts(&(now - CLAIM_LIFE))],
            )?;
            let ids: Vec<String> = tx
                .query_map(
                    "SELECT subject_id FROM campaign_recipients WHERE campaign_id = ?1 AND state = 'planned'
                     ORDER BY subject_id LIMIT ?2",
                    params![id.as_str(), i64::from(n)],
                    |r| r.get::<_, String>(0),
                )?
                .collect::<Result<_, _>>()?;
            for s in &ids {
                tx.defer(
                    "UPDATE campaign_recipients SET state = 'claimed', at = ?3 WHERE campaign_id = ?1 AND subject_id = ?2",
                    params![id.as_str(), s.as_str(), ts(&now)],
                )?;
            }
            let out: Vec<SubjectId> = ids
                .iter()
                .map(|s| SubjectId::parse(s).map_err(corrupt("recipient")))
                .collect::<Result<_, _>>()?;
            if out.is_empty() {
                finish_if_done(tx, &id, now)?;
            }
            Ok(out)
        })
    }

    /// What the checks of one campaign's recipients share, worked out once.
    pub fn campaign_check(&self, c: &Campaign) -> CampaignCheck {
        let audience_reads = compile_condition(&c.purpose, &c.condition, &self.schema().schema)
            .map(|(_, reads)| reads)
            .unwrap_or_default();
        CampaignCheck {
            campaign: c.clone(),
            audience_reads,
        }
    }

    /// Checks, at the moment of sending, whether the message may go to `subject`.
    pub fn check_recipient(
        &self,
        now: DateTime<Utc>,
        check: &CampaignCheck,
        subject: &SubjectId,
    ) -> StoreResult<Result<Recipient, Skip>> {
        let c = &check.campaign;
        let snap = self.schema();
        let Some(offer) = snap.offers.iter().find(|o| o.key == c.offer) else {
            return Ok(Err(Skip::OfferEnded));
        };
        if !offer.live_at(&now) {
            return Ok(Err(Skip::OfferEnded));
        }
        let p = self.profile(subject)?;
        let marketing = snap
            .schema
            .purposes
            .get(&c.purpose)
            .is_some_and(|s| s.is_marketing());
        let past: Vec<Delivery> = self
            .inner
            .index
            .deliveries
            .lock()
            .get(subject)
            .cloned()
            .unwrap_or_default();
        let skip = if p.restricted {
            Some(Skip::Restricted)
        } else if marketing && p.objected_marketing {
            Some(Skip::Objected)
        } else if !p.basis_active(&snap.schema, &c.purpose) {
            Some(Skip::ConsentWithdrawn)
        } else if !p.contact.reachable(Channel::Email, &c.purpose) {
            Some(Skip::OptedOut)
        } else if p.email != EmailStatus::Verified {
            Some(Skip::Unverified)
        } else if p
            .contact
            .max_per_week
            .is_some_and(|cap| messages_this_week(&past, now) >= cap as usize)
            || offer_cap_reached(offer, &past, now)
        {
            Some(Skip::Cap)
        } else {
            None
        };
        if let Some(s) = skip {
            return Ok(Err(s));
        }
        let keys = self.keys();
        let id = subject.clone();
        let Some(email) = self.read(move |conn| email_of(conn, &keys, &id))? else {
            return Ok(Err(Skip::Unverified));
        };
        // Why this subject: the answers the audience and the offer read, and the basis.
        let mut why = reasons(&snap.schema, offer, &p);
        let masked = p.masked(&snap.schema, &c.purpose);
        for k in &check.audience_reads {
            if why.values.iter().any(|v| v.attribute == *k) || !masked.contains_key(k.as_str()) {
                continue;
            }
            if let Some(d) = p.declared.get(k) {
                why.values.push(ValueReason {
                    attribute: k.clone(),
                    value: d.value.clone(),
                    form: d.form.clone(),
                    given_at: d.given_at,
                });
            }
        }
        if why.consent.is_none() {
            let basis = snap.schema.purposes.get(&c.purpose).map(|s| s.legal_basis);
            let given = p.consents.get(&c.purpose).filter(|g| g.state.is_active());
            why.consent = basis.map(|legal_basis| ConsentReason {
                purpose: c.purpose.clone(),
                legal_basis,
                given_at: given.map(|g| g.at),
                record_id: given.map(|g| g.record_id.clone()),
            });
        }
        Ok(Ok(Recipient {
            subject: subject.clone(),
            email,
            language: p.language.unwrap_or(self.inner.default_lang),
            personalized: !offer.generic || !why.values.is_empty(),
            reasons: why,
        }))
    }

    /// Records what became of a batch of recipients, and finishes the
    /// campaign when none is left planned. Messages sent count against the
    /// subjects' caps at once.
    pub fn record_outcomes(
        &self,
        now: DateTime<Utc>,
        campaign: &str,
        outcomes: Vec<Outcome>,
    ) -> StoreResult<Campaign> {
        let actor = Actor::System("campaigns".into());
        let id = campaign.to_owned();
        let c = self.campaign(campaign)?;
        let sent_rows: Vec<(SubjectId, Delivery)> = outcomes
            .iter()
            .filter_map(|o| match o {
                Outcome::Sent(r) => Some((
                    r.subject.clone(),
                    Delivery {
                        offer: c.offer.clone(),
                        channel: Channel::Email,
                        at: now,
                    },
                )),
                _ => None,
            })
            .collect();
        self.write(&actor, now, move |tx| {
            for o in &outcomes {
                let (subject, state, reason) = match o {
                    Outcome::Sent(r) => {
                        // An erased subject's message was sent before the erasure: nothing to log.
                        if subject_key(tx, tx.keys, &r.subject).is_ok() {
                            let reasons = serde_json::to_vec(&r.reasons).map_err(corrupt("reasons"))?;
                            let sealed = subject_key(tx, tx.keys, &r.subject)?.seal(r.subject.as_str(), "decision", &reasons)?;
                            let d = RecordedDelivery {
                                decision_id: format!("dec_{}", new_ulid()),
                                subject: r.subject.clone(),
                                offer: c.offer.clone(),
                                channel: Channel::Email,
                                sent_at: now,
                            };
                            log_sent(tx, &d, r.personalized, &sealed, Some(&id))?;
                        }
                        (&r.subject, "sent", None)
                    }
                    Outcome::Skipped(s, why) => (s, "skipped", Some(why.as_str().to_owned())),
                    Outcome::Failed(s, e) => (s, "failed", Some(e.chars().take(200).collect::<String>())),
                };
                tx.defer(
                    "UPDATE campaign_recipients SET state = ?3, reason = ?4, at = ?5 WHERE campaign_id = ?1 AND subject_id = ?2",
                    params![id.as_str(), subject.as_str(), state, reason, ts(&now)],
                )?;
            }
            finish_if_done(tx, &id, now)
        })?;
        for (s, d) in sent_rows {
            self.inner.index.add_delivery(s, d);
        }
        self.campaign(campaign)
    }
}
