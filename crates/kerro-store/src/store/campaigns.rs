//! E-mail campaigns: one offer to an audience (a saved one, or a purpose, the
//! e-mail channel and a condition), created, listed, cancelled, and planned
//! when it starts.
//! Sending it recipient by recipient, with the checks at the moment of
//! sending, is `campaign_sending`'s; the mail and its pace are the binary's
//! (`web/campaign_mail.rs`).

use chrono::{DateTime, Duration, Utc};
use kerro_core::contact::Channel;
use kerro_core::ids::{AudienceKey, OfferKey, PurposeKey, SubjectId};
use kerro_core::offer::compile_condition;
use kerro_core::{Actor, CoreError, ErrorCode};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

use super::audit::{record, AuditAction};
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
    /// The offer was deleted, or its validity ended, before sending.
    OfferEnded,
}

impl Skip {
    pub const ALL: [Skip; 7] = [
        Skip::Cap,
        Skip::OptedOut,
        Skip::Unverified,
        Skip::Restricted,
        Skip::Objected,
        Skip::ConsentWithdrawn,
        Skip::OfferEnded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Skip::Cap => "cap",
            Skip::OptedOut => "opted_out",
            Skip::Unverified => "unverified",
            Skip::Restricted => "restricted",
            Skip::Objected => "objected",
            Skip::ConsentWithdrawn => "consent_withdrawn",
            Skip::OfferEnded => "offer_ended",
        }
    }
}

/// Who a new campaign is for.
#[derive(Debug, Clone)]
pub enum CampaignAudience {
    /// A saved audience on the email channel; its purpose and condition are
    /// copied onto the campaign when it is created.
    Saved(AudienceKey),
    /// Subjects reachable by e-mail for the purpose whose declarations for it
    /// match the condition.
    Inline {
        purpose: PurposeKey,
        condition: Value,
    },
}

/// What a campaign is asked to do.
#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub offer: OfferKey,
    pub audience: CampaignAudience,
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
    /// The saved audience it was planned from, if any (its purpose and
    /// condition as they were when the campaign was created are the ones above).
    pub audience: Option<AudienceKey>,
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

const COLUMNS: &str = "id, offer, purpose, channel, condition, send_at, state, planned, sent, \
                       skipped, failed, created_by, created_at, started_at, finished_at, audience";

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
        audience: r
            .get::<_, Option<String>>(15)?
            .map(|k| AudienceKey::parse("audience", &k))
            .transpose()
            .map_err(corrupt("campaign audience"))?,
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
        let (saved, purpose, condition) = match new.audience {
            CampaignAudience::Saved(key) => {
                let a = self.saved_audience(&key)?;
                if a.channel != Channel::Email {
                    return Err(CoreError::invalid(
                        "audience",
                        format!(
                            "the saved audience '{key}' is for the {} channel; campaigns are sent by e-mail",
                            a.channel.as_str()
                        ),
                    )
                    .into());
                }
                (Some(key), a.purpose, a.condition)
            }
            CampaignAudience::Inline { purpose, condition } => (None, purpose, condition),
        };
        // Errors about a saved audience's definition name the audience itself.
        let field = |f: &str| {
            if saved.is_some() {
                "audience".to_owned()
            } else {
                format!("audience.{f}")
            }
        };
        let snap = self.schema();
        let offer = snap
            .offers
            .iter()
            .find(|o| o.key == new.offer)
            .ok_or_else(|| CoreError::not_found("offer", "unknown offer"))?;
        if !snap.schema.purposes.contains_key(&purpose) {
            return Err(CoreError::not_found(field("purpose"), "unknown purpose").into());
        }
        if offer.spec.purpose != purpose {
            return Err(CoreError::invalid(
                field("purpose"),
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
        compile_condition(&purpose, &condition, &snap.schema).map_err(|mut e| {
            e.field = Some(match e.field.take() {
                Some(f) => field(&f),
                None => field("condition"),
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
        let (actor_label, condition) = (actor.label(), condition.to_string());
        let saved = saved.map(|k| k.as_str().to_owned());
        let id2 = id.clone();
        self.write(actor, now, move |tx| {
            tx.execute(
                "INSERT INTO campaigns (id, offer, purpose, channel, condition, send_at, state, created_by, created_at, audience)
                 VALUES (?1, ?2, ?3, 'email', ?4, ?5, 'scheduled', ?6, ?7, ?8)",
                params![id2.as_str(), new.offer.as_str(), purpose.as_str(), condition, ts(&send_at), actor_label, ts(&now), saved],
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
        let ids = self.audience_ids(&c.purpose, c.channel, &c.condition)?;
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
}
