//! The decision engine: which offers a subject sees, why, on a channel, now.
//!
//! Consent masking (P2): each offer is evaluated against a profile holding
//! only the subject's declarations whose attribute is bound to the offer's
//! purpose, and only while that purpose has an active legal basis. Contact
//! policy (P14, P19): a channel needs the subject's opt-in; restricted
//! subjects get nothing, subjects who objected to direct marketing get no
//! marketing offer; the subject's own weekly cap and each offer's cap are
//! never exceeded. Ranking: priority (higher first), then relevance, then key.
//!
//! Pure: the caller passes the profile, the recent deliveries and `now`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

use crate::consent::{ConsentState, NoticeRef};
use crate::contact::{Channel, ContactPrefs, EmailStatus};
use crate::ids::{AttributeKey, FormKey, PurposeKey, RecordId, SubjectId};
use crate::offer::{CompiledOffer, OfferKey};
use crate::schema::{LegalBasis, Schema};
use crate::time::days_before;

/// One declared value as the engine sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclaredValue {
    pub value: Value,
    pub form: Option<FormKey>,
    pub given_at: DateTime<Utc>,
}

/// The latest consent event of a purpose.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsentInfo {
    pub state: ConsentState,
    pub at: DateTime<Utc>,
    pub record_id: RecordId,
    pub notice: Option<NoticeRef>,
}

/// Everything about one subject a decision may consider. Masking happens in `decide`.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub subject: SubjectId,
    pub declared: BTreeMap<AttributeKey, DeclaredValue>,
    pub consents: BTreeMap<PurposeKey, ConsentInfo>,
    pub contact: ContactPrefs,
    pub restricted: bool,
    pub objected_marketing: bool,
    /// The language to address the subject in: their contact choice, else their locale.
    pub language: Option<crate::Lang>,
    /// The locale the subject was created with (what `language` falls back to).
    pub locale: Option<crate::Lang>,
    /// Whether an e-mail address is held and confirmed (double opt-in).
    pub email: EmailStatus,
}

impl Profile {
    pub fn new(subject: SubjectId) -> Profile {
        Profile {
            subject,
            declared: BTreeMap::new(),
            consents: BTreeMap::new(),
            contact: ContactPrefs::default(),
            restricted: false,
            objected_marketing: false,
            language: None,
            locale: None,
            email: EmailStatus::None,
        }
    }

    /// Whether the subject may be reached on `channel` at all: opted in and,
    /// for e-mail, no address waiting for its confirmation (double opt-in). A
    /// subject without an address kerro holds may still be reached by e-mail
    /// through the company's own records.
    pub fn reachable_on(&self, channel: Channel) -> bool {
        self.contact.opted_in(channel)
            && !(channel == Channel::Email && self.email == EmailStatus::Pending)
    }

    /// Whether `purpose` has an active legal basis for this subject.
    pub fn basis_active(&self, schema: &Schema, purpose: &PurposeKey) -> bool {
        schema.purposes.get(purpose).is_some_and(|p| {
            p.legal_basis != LegalBasis::Consent
                || self
                    .consents
                    .get(purpose)
                    .is_some_and(|c| c.state.is_active())
        })
    }

    /// The profile an offer for `purpose` may see (P2): only attributes bound to
    /// that purpose, and nothing at all without an active basis.
    pub fn masked(&self, schema: &Schema, purpose: &PurposeKey) -> Map<String, Value> {
        let mut out = Map::new();
        if !self.basis_active(schema, purpose) {
            return out;
        }
        for (k, d) in &self.declared {
            if schema
                .attributes
                .get(k)
                .is_some_and(|a| a.purposes.contains(purpose) && !a.special_category)
            {
                out.insert(k.to_string(), d.value.clone());
            }
        }
        out
    }
}

/// One earlier delivery of an offer to the subject, from the decision log:
/// an impression on the web channel, or a message on any other.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub offer: OfferKey,
    pub channel: Channel,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValueReason {
    pub attribute: AttributeKey,
    pub value: Value,
    pub form: Option<FormKey>,
    pub given_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentReason {
    pub purpose: PurposeKey,
    pub legal_basis: LegalBasis,
    /// For a consent basis: when it was given and the receipt that proves it.
    pub given_at: Option<DateTime<Utc>>,
    pub record_id: Option<RecordId>,
}

/// Why an offer was chosen (P18): the declared values used and the basis that allowed it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reasons {
    pub values: Vec<ValueReason>,
    pub consent: Option<ConsentReason>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chosen {
    pub offer: OfferKey,
    pub personalized: bool,
    pub priority: i32,
    pub relevance: u32,
    pub reasons: Reasons,
}

/// Why a decision returned fewer offers than asked, for the caller's logs and the subject's view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// The subject restricted processing (P14).
    Restricted,
    /// The subject did not opt in to this channel (P19).
    ChannelNotOptedIn,
    /// E-mail was asked for, but the subject's address is not confirmed yet (double opt-in).
    EmailUnverified,
    /// The subject's own weekly cap is reached (P19).
    WeeklyCapReached,
}

/// How many messages (not impressions, see `Channel::is_message`) the subject
/// received in the window their own cap counts over, up to `now`.
pub fn messages_this_week(deliveries: &[Delivery], now: DateTime<Utc>) -> usize {
    let since = days_before(now, CAP_WINDOW_DAYS);
    deliveries
        .iter()
        .filter(|d| d.channel.is_message() && d.at > since)
        .count()
}

/// How many times `offer` reached the subject (impressions and messages) in
/// the offer's own frequency window reached its cap (never, without a cap).
pub fn offer_cap_reached(
    offer: &CompiledOffer,
    deliveries: &[Delivery],
    now: DateTime<Utc>,
) -> bool {
    let (Some(max), Some(days)) = (offer.spec.max_per_subject, offer.spec.period_days) else {
        return false;
    };
    let since = days_before(now, i64::from(days));
    deliveries
        .iter()
        .filter(|d| d.offer == offer.key && d.at > since)
        .count()
        >= max as usize
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub offers: Vec<Chosen>,
    pub limited_by: Option<Limit>,
}

pub struct Request {
    pub channel: Channel,
    pub limit: usize,
    pub now: DateTime<Utc>,
}

/// The window the subject's own cap counts over.
pub const CAP_WINDOW_DAYS: i64 = 7;

/// The contact policy that comes before any offer (P14, P19): how many offers
/// may be made at all, and why fewer than asked; `Err` is the decision already
/// made (nothing may be shown).
pub(crate) fn admission(
    profile: &Profile,
    deliveries: &[Delivery],
    req: &Request,
) -> Result<(usize, Option<Limit>), Decision> {
    let none = |why| Decision {
        offers: Vec::new(),
        limited_by: Some(why),
    };
    if profile.restricted {
        return Err(none(Limit::Restricted));
    }
    if !profile.contact.opted_in(req.channel) {
        return Err(none(Limit::ChannelNotOptedIn));
    }
    if !profile.reachable_on(req.channel) {
        return Err(none(Limit::EmailUnverified));
    }
    let mut limit = req.limit;
    let mut limited_by = None;
    // The subject's cap limits messages; web impressions never use it up.
    if let Some(cap) = profile
        .contact
        .max_per_week
        .filter(|_| req.channel.is_message())
    {
        let used = messages_this_week(deliveries, req.now);
        let left = (cap as usize).saturating_sub(used);
        if left < limit {
            limit = left;
            limited_by = Some(Limit::WeeklyCapReached);
        }
    }
    if limit == 0 {
        return Err(Decision {
            offers: Vec::new(),
            limited_by,
        });
    }
    Ok((limit, limited_by))
}

/// Decides which offers to show. `offers` may be in any order; the result is ranked.
pub fn decide(
    schema: &Schema,
    offers: &[CompiledOffer],
    profile: &Profile,
    deliveries: &[Delivery],
    req: &Request,
) -> Decision {
    let (limit, limited_by) = match admission(profile, deliveries, req) {
        Ok(v) => v,
        Err(d) => return d,
    };

    // Masked profiles are built once per purpose, not once per offer.
    let mut masks: Vec<(&PurposeKey, Value)> = Vec::new();
    let groups = Map::new();
    let mut candidates: Vec<(&CompiledOffer, u32)> = Vec::new();
    for offer in offers {
        let spec = &offer.spec;
        if !spec.channels.contains(&req.channel) || !offer.live_at(&req.now) {
            continue;
        }
        let Some(purpose) = schema.purposes.get(&spec.purpose) else {
            continue;
        };
        if profile.objected_marketing && purpose.is_marketing() {
            continue;
        }
        if !profile.contact.reachable(req.channel, &spec.purpose) {
            continue;
        }
        if offer_cap_reached(offer, deliveries, req.now) {
            continue;
        }
        if offer.generic {
            candidates.push((offer, 0));
            continue;
        }
        if !profile.basis_active(schema, &spec.purpose) {
            continue;
        }
        let masked = match masks.iter().position(|(p, _)| *p == &spec.purpose) {
            Some(i) => &masks[i].1,
            None => {
                masks.push((
                    &spec.purpose,
                    Value::Object(profile.masked(schema, &spec.purpose)),
                ));
                &masks[masks.len() - 1].1
            }
        };
        if offer.condition.eval(masked, &groups) {
            candidates.push((offer, relevance(offer, masked)));
        }
    }
    Decision {
        offers: rank_and_explain(schema, candidates, profile, limit),
        limited_by,
    }
}

/// Ranks matched offers (priority, then relevance, then key) and explains the first `limit`.
pub(crate) fn rank_and_explain(
    schema: &Schema,
    mut candidates: Vec<(&CompiledOffer, u32)>,
    profile: &Profile,
    limit: usize,
) -> Vec<Chosen> {
    // The order is total (keys are unique), so selecting the best `limit` and
    // sorting only those gives exactly the head of a full sort.
    let order = |(a, ra): &(&CompiledOffer, u32), (b, rb): &(&CompiledOffer, u32)| {
        b.spec
            .priority
            .cmp(&a.spec.priority)
            .then(rb.cmp(ra))
            .then_with(|| a.key.cmp(&b.key))
    };
    if candidates.len() > limit && limit > 0 {
        candidates.select_nth_unstable_by(limit - 1, order);
        candidates.truncate(limit);
    }
    candidates.sort_by(order);
    candidates
        .into_iter()
        .take(limit)
        .map(|(offer, relevance)| Chosen {
            offer: offer.key.clone(),
            personalized: !offer.generic,
            priority: offer.spec.priority,
            relevance,
            reasons: reasons(schema, offer, profile),
        })
        .collect()
}

/// How much of what the subject declared the offer matches: the attributes its
/// condition reads that the subject answered, plus its topics found among the
/// subject's (visible) chosen options.
pub(crate) fn relevance(offer: &CompiledOffer, masked: &Value) -> u32 {
    let Some(m) = masked.as_object() else {
        return 0;
    };
    let read = offer
        .reads
        .iter()
        .filter(|k| m.contains_key(k.as_str()))
        .count();
    let topical = offer
        .spec
        .topics
        .iter()
        .filter(|t| m.values().any(|v| holds_text(v, t)))
        .count();
    (read + topical) as u32
}

/// Whether a declared value is the string `t` or an array holding it (a topic match).
pub(crate) fn holds_text(v: &Value, t: &str) -> bool {
    match v {
        Value::String(s) => s == t,
        Value::Array(items) => items.iter().any(|i| i.as_str() == Some(t)),
        _ => false,
    }
}

/// Why `offer` is for this subject (P18): the declared values its condition
/// reads and the basis that allows it. Campaign messages carry the same.
pub fn reasons(schema: &Schema, offer: &CompiledOffer, profile: &Profile) -> Reasons {
    if offer.generic {
        return Reasons {
            values: Vec::new(),
            consent: None,
        };
    }
    let values = offer
        .reads
        .iter()
        .filter_map(|k| {
            profile.declared.get(k).map(|d| ValueReason {
                attribute: k.clone(),
                value: d.value.clone(),
                form: d.form.clone(),
                given_at: d.given_at,
            })
        })
        .collect();
    let purpose = &offer.spec.purpose;
    let basis = schema
        .purposes
        .get(purpose)
        .map(|p| p.legal_basis)
        .unwrap_or(LegalBasis::Consent);
    let consent = profile
        .consents
        .get(purpose)
        .filter(|c| basis == LegalBasis::Consent && c.state.is_active());
    Reasons {
        values,
        consent: Some(ConsentReason {
            purpose: purpose.clone(),
            legal_basis: basis,
            given_at: consent.map(|c| c.at),
            record_id: consent.map(|c| c.record_id.clone()),
        }),
    }
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
