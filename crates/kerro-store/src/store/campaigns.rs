//! E-mail campaigns: one offer to an audience (a purpose, the e-mail channel
//! and a condition), planned when it starts and sent subject by subject. What
//! may reach a subject is checked again at the moment of sending (consent,
//! opt-in for the purpose, a confirmed address, restriction, objection, the
//! subject's weekly cap and the offer's own cap); each message sent is a
//! `sent` row of the decision log with its reasons. The sending itself (mail,
//! pace) is the binary's (`crates/kerro/src/campaigns.rs`).

use chrono::{DateTime, Duration, Utc};
use kerro_core::contact::{Channel, EmailStatus};
use kerro_core::decide::{
    messages_this_week, offer_cap_reached, reasons, ConsentReason, Delivery, Reasons, ValueReason,
};
use kerro_core::ids::{OfferKey, PurposeKey, SubjectId};
use kerro_core::offer::compile_condition;
use kerro_core::{Actor, CoreError, ErrorCode, Lang};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

use super::audit::{record, AuditAction};
use super::deliveries::{log_sent, RecordedDelivery};
use super::shared::{email_of, subject_key};
use super::{corrupt, new_ulid, parse_ts, ts, Store};
use crate::error::StoreResult;
use crate::sql::{params, OptionalExtension, Row};

/// Why a planned recipient was not sent the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Skip {
    /// The subject's weekly cap on messages, or the offer's own cap, is reached.
    Cap,
    /// The subject left e-mail, or e-mail for this purpose.
    OptedOut,
    /// No confirmed e-mail address (double opt-in pending).
    Unverified,
    /// The subject restricted processing.
    Restricted,
    /// The subject objected to direct marketing.
    Objected,
    /// The consent the purpose needs was withdrawn before sending.
    ConsentWithdrawn,
}

impl Skip {
    pub const ALL: [Skip; 6] = [
        Skip::Cap,
        Skip::OptedOut,
        Skip::Unverified,
        Skip::Restricted,
        Skip::Objected,
        Skip::ConsentWithdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Skip::Cap => "cap",
            Skip::OptedOut => "opted_out",
            Skip::Unverified => "unverified",
            Skip::Restricted => "restricted",
            Skip::Objected => "objected",
            Skip::ConsentWithdrawn => "consent_withdrawn",
        }
    }
}

/// What a campaign is asked to do.
#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub offer: OfferKey,
    pub purpose: PurposeKey,
    pub condition: Value,
    pub send_at: Option<DateTime<Utc>>,
}

/// A campaign and its counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Campaign {
    pub id: String,
    pub offer: OfferKey,
    pub purpose: PurposeKey,
    pub channel: Channel,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub condition: Value,
    pub send_at: DateTime<Utc>,
    /// `scheduled`, `sending`, `sent` or `cancelled`.
    pub state: String,
    /// The subjects the audience and the offer's condition reached when it started.
    pub planned: u64,
    pub sent: u64,
    /// Planned subjects not sent the message, by reason (every reason is listed).
    pub skipped: BTreeMap<Skip, u64>,
    /// Messages the mail path refused.
    pub failed: u64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A recipient cleared for sending: everything the message needs.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub subject: SubjectId,
    pub email: String,
    pub language: Lang,
    pub reasons: Reasons,
    pub personalized: bool,
}

/// What became of one planned recipient.
#[derive(Debug, Clone)]
pub enum Outcome {
    Sent(Recipient),
    Skipped(SubjectId, Skip),
    Failed(SubjectId, String),
}

const COLUMNS: &str = "id, offer, purpose, channel, condition, send_at, state, planned, sent, \
                       skipped, failed, created_by, created_at, started_at, finished_at";

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

/// The furthest ahead a campaign may be scheduled.
const MAX_AHEAD_DAYS: i64 = 366;

fn from_row(r: &Row) -> StoreResult<Campaign> {
    let s = |i: usize| r.get::<_, String>(i);
    let opt_ts = |i: usize| -> StoreResult<Option<DateTime<Utc>>> {
        r.get::<_, Option<String>>(i)?
            .map(|t| parse_ts(&t))
            .transpose()
    };
    let skipped: BTreeMap<String, u64> =
        serde_json::from_str(&s(9)?).map_err(corrupt("campaign counts"))?;
    let channel = s(3)?;
    Ok(Campaign {
        id: s(0)?,
        offer: OfferKey::parse("offer", &s(1)?).map_err(corrupt("campaign offer"))?,
        purpose: PurposeKey::parse("purpose", &s(2)?).map_err(corrupt("campaign purpose"))?,
        channel: Channel::parse(&channel)
            .ok_or_else(|| crate::StoreError::Corrupt(format!("channel '{channel}'")))?,
        condition: serde_json::from_str(&s(4)?).map_err(corrupt("campaign condition"))?,
        send_at: parse_ts(&s(5)?)?,
        state: s(6)?,
        planned: r.get::<_, i64>(7)? as u64,
        sent: r.get::<_, i64>(8)? as u64,
        skipped: Skip::ALL
            .into_iter()
            .map(|k| (k, skipped.get(k.as_str()).copied().unwrap_or(0)))
            .collect(),
        failed: r.get::<_, i64>(10)? as u64,
        created_by: s(11)?,
        created_at: parse_ts(&s(12)?)?,
        started_at: opt_ts(13)?,
        finished_at: opt_ts(14)?,
    })
}

fn not_found() -> CoreError {
    CoreError::not_found("id", "no such campaign")
}

impl Store {
    /// Creates a campaign after checking its offer, audience and time; it
    /// starts at `send_at` (default: now).
    pub fn create_campaign(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        new: NewCampaign,
    ) -> StoreResult<Campaign> {
        let snap = self.schema();
        let offer = snap
            .offers
            .iter()
            .find(|o| o.key == new.offer)
            .ok_or_else(|| CoreError::not_found("offer", "unknown offer"))?;
        if !snap.schema.purposes.contains_key(&new.purpose) {
            return Err(CoreError::not_found("audience.purpose", "unknown purpose").into());
        }
        if offer.spec.purpose != new.purpose {
            return Err(CoreError::invalid(
                "audience.purpose",
                format!(
                    "the offer serves the purpose '{}'; a campaign's audience must be for the same purpose",
                    offer.spec.purpose
                ),
            )
            .into());
        }
        if !offer.spec.channels.contains(&Channel::Email) {
            return Err(
                CoreError::invalid("offer", "the offer is not made on the email channel").into(),
            );
        }
        compile_condition(&new.purpose, &new.condition, &snap.schema).map_err(|mut e| {
            e.field = Some(match e.field.take() {
                Some(f) => format!("audience.{f}"),
                None => "audience.condition".into(),
            });
            e
        })?;
        let send_at = new.send_at.unwrap_or(now);
        if send_at > now + Duration::days(MAX_AHEAD_DAYS) {
            return Err(CoreError::invalid(
                "send_at",
                "a campaign is scheduled at most a year ahead",
            )
            .into());
        }
        if !offer.live_at(&send_at.max(now)) {
            return Err(
                CoreError::invalid("send_at", "the offer is not valid at that time").into(),
            );
        }
        let id = format!("cmp_{}", new_ulid());
        let (actor_label, condition) = (actor.label(), new.condition.to_string());
        let id2 = id.clone();
        self.write(actor, now, move |tx| {
            tx.execute(
                "INSERT INTO campaigns (id, offer, purpose, channel, condition, send_at, state, created_by, created_at)
                 VALUES (?1, ?2, ?3, 'email', ?4, ?5, 'scheduled', ?6, ?7)",
                params![id2.as_str(), new.offer.as_str(), new.purpose.as_str(), condition, ts(&send_at), actor_label, ts(&now)],
            )?;
            record(tx, None, AuditAction::CampaignChanged { campaign: &id2, change: "created" })
        })?;
        self.campaign(&id)
    }

    pub fn campaign(&self, id: &str) -> StoreResult<Campaign> {
        let id = id.to_owned();
        self.read(move |conn| {
            conn.rows(
                &format!("SELECT {COLUMNS} FROM campaigns WHERE id = ?1"),
                [id.as_str()],
            )?
            .first()
            .map(from_row)
            .unwrap_or_else(|| Err(not_found().into()))
        })
    }

    /// The newest campaigns first, at most `limit`.
    pub fn campaigns(&self, limit: u32) -> StoreResult<Vec<Campaign>> {
        self.read(move |conn| {
            conn.rows(
                &format!(
                    "SELECT {COLUMNS} FROM campaigns ORDER BY created_at DESC, id DESC LIMIT ?1"
                ),
                [i64::from(limit)],
            )?
            .iter()
            .map(from_row)
            .collect()
        })
    }

    /// Cancels a campaign that has not started; one sending or sent is a conflict.
    pub fn cancel_campaign(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
    ) -> StoreResult<Campaign> {
        let id2 = id.to_owned();
        self.write(actor, now, move |tx| {
            let state: Option<String> = tx
                .query_row(
                    "SELECT state FROM campaigns WHERE id = ?1",
                    [id2.as_str()],
                    |r| r.get(0),
                )
                .optional()?;
            match state.as_deref() {
                None => return Err(not_found().into()),
                Some("scheduled") => {}
                Some(other) => {
                    return Err(CoreError::new(
                        ErrorCode::Conflict,
                        format!("the campaign is {other}; only a scheduled one can be cancelled"),
                    )
                    .into())
                }
            }
            tx.execute(
                "UPDATE campaigns SET state = 'cancelled', finished_at = ?2 WHERE id = ?1",
                params![id2.as_str(), ts(&now)],
            )?;
            record(
                tx,
                None,
                AuditAction::CampaignChanged {
                    campaign: &id2,
                    change: "cancelled",
                },
            )
        })?;
        self.campaign(id)
    }

    /// Starts the oldest campaign due at `now`: plans its recipients (the
    /// audience, narrowed by the offer's own condition) and marks it
    /// `sending`. Only one node starts a campaign: the change of state is
    /// made under the write lock.
    pub fn start_due_campaign(&self, now: DateTime<Utc>) -> StoreResult<Option<Campaign>> {
        let due = self.read(move |conn| {
            conn.rows(
                &format!("SELECT {COLUMNS} FROM campaigns WHERE state = 'scheduled' AND send_at <= ?1 ORDER BY send_at, id LIMIT 1"),
                [ts(&now)],
            )?
            .first()
            .map(from_row)
            .transpose()
        })?;
        let Some(c) = due else { return Ok(None) };
        let planned = self.plan(&c, now)?;
        let id = c.id.clone();
        let actor = Actor::System("campaigns".into());
        let started = self.write(&actor, now, move |tx| {
            let n = tx.execute(
                "UPDATE campaigns SET state = 'sending', started_at = ?2, planned = ?3 WHERE id = ?1 AND state = 'scheduled'",
                params![id.as_str(), ts(&now), planned.len() as i64],
            )?;
            if n == 0 {
                return Ok(false);
            }
            for s in &planned {
                tx.defer(
                    "INSERT INTO campaign_recipients (campaign_id, subject_id, state) VALUES (?1, ?2, 'planned')",
                    params![id.as_str(), s.as_str()],
                )?;
            }
            record(tx, None, AuditAction::CampaignChanged { campaign: &id, change: "started" })?;
            Ok(true)
        })?;
        if !started {
            return Ok(None);
        }
        self.campaign(&c.id).map(Some)
    }

    /// Who a campaign reaches now: its audience, then the offer's condition on
    /// what each subject declared for the purpose.
    fn plan(&self, c: &Campaign, now: DateTime<Utc>) -> StoreResult<Vec<SubjectId>> {
        let snap = self.schema();
        let Some(offer) = snap.offers.iter().find(|o| o.key == c.offer) else {
            return Ok(Vec::new());
        };
        if !offer.live_at(&now) {
            return Ok(Vec::new());
        }
        let members = self.audience(&c.purpose, c.channel, &c.condition)?;
        let ids: Vec<SubjectId> = {
            let a = self.inner.index.audience.read();
            members
                .iter()
                .filter_map(|slot| a.ids.get(slot as usize).cloned().flatten())
                .collect()
        };
        let groups = Map::new();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let Ok(p) = self.profile(&id) else { continue };
            let masked = Value::Object(p.masked(&snap.schema, &c.purpose));
            if offer.generic || offer.condition.eval(&masked, &groups) {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// Campaigns being sent (a node resumes them after a restart).
    pub fn sending_campaigns(&self) -> StoreResult<Vec<Campaign>> {
        self.read(|conn| {
            conn.rows(&format!("SELECT {COLUMNS} FROM campaigns WHERE state = 'sending' ORDER BY started_at, id"), ())?
                .iter()
                .map(from_row)
                .collect()
        })
    }

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

    /// Checks, at the moment of sending, whether the message may go to `subject`.
    pub fn check_recipient(
        &self,
        now: DateTime<Utc>,
        c: &Campaign,
        subject: &SubjectId,
    ) -> StoreResult<Result<Recipient, Skip>> {
        let snap = self.schema();
        let Some(offer) = snap.offers.iter().find(|o| o.key == c.offer) else {
            return Ok(Err(Skip::ConsentWithdrawn));
        };
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
        let audience_reads = compile_condition(&c.purpose, &c.condition, &snap.schema)
            .map(|(_, reads)| reads)
            .unwrap_or_default();
        let masked = p.masked(&snap.schema, &c.purpose);
        for k in audience_reads {
            if why.values.iter().any(|v| v.attribute == k) || !masked.contains_key(k.as_str()) {
                continue;
            }
            if let Some(d) = p.declared.get(&k) {
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
