//! `/v1/deliveries` (what an outside sender sent, against a decision: the
//! messages a subject's weekly cap counts) and `/v1/campaigns` (e-mail
//! campaigns kerro sends itself, and their counts).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use kerro_core::contact::Channel;
use kerro_core::ids::{AudienceKey, OfferKey, PurposeKey, SubjectId};
use kerro_core::CoreError;
use kerro_store::{Campaign, CampaignAudience, DeliveryReport, NewCampaign};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use std::fmt;
use utoipa::ToSchema;

use super::auth::{Campaigns, Decide, Staff};
use super::{blocking, path_key, well_formed_id, AppError, AppState, Body};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryBody {
    /// The `decision_id` of the decision that chose the offer.
    pub decision_id: String,
    pub offer: String,
    /// The message's channel: email, sms, phone or post (the decision's own).
    pub channel: String,
    /// When the message went out (RFC 3339); at most 5 minutes ahead of the server's clock.
    pub sent_at: DateTime<Utc>,
}

/// A delivery as recorded: it counts against the subject's weekly cap from now on.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub decision_id: String,
    pub subject: SubjectId,
    pub offer: OfferKey,
    pub channel: Channel,
    pub sent_at: DateTime<Utc>,
}

fn decision_id(raw: &str) -> Result<String, AppError> {
    if well_formed_id(raw, "dec_") {
        Ok(raw.to_owned())
    } else {
        Err(AppError(CoreError::at(
            kerro_core::ErrorCode::UnknownDecision,
            "decision_id",
            "no decision has this id",
        )))
    }
}

fn channel(raw: &str) -> Result<Channel, AppError> {
    Channel::parse(raw).ok_or_else(|| {
        AppError(CoreError::invalid(
            "channel",
            "channels are email, sms, phone, post and web",
        ))
    })
}

#[utoipa::path(post, path = "/v1/deliveries", tag = "decisions", operation_id = "report_delivery", request_body = DeliveryBody,
    description = "Reports a message an outside sender actually sent, for an offer a decision chose on a message channel. This is what the subject's weekly cap counts; web decisions are impressions and never count against it.",
    responses((status = 201, description = "recorded; it counts against the subject's cap at once", body = DeliveryView),
              (status = 409, description = "`conflict`: this decision's offer was already reported sent"),
              (status = 410, description = "the subject was erased"),
              (status = 422, description = "`unknown_decision`: no decision chose this offer on this channel; `not_opted_in`: the subject is not opted in to the channel for the offer's purpose; `invalid_value`: a bad channel (web is not a message) or `sent_at`; `field` names it")),
    security(("staff" = ["admin", "service"])))]
pub async fn report_delivery(
    State(state): State<AppState>,
    staff: Staff<Decide>,
    Body(body): Body<DeliveryBody>,
) -> Result<(StatusCode, Json<DeliveryView>), AppError> {
    let report = DeliveryReport {
        decision_id: decision_id(&body.decision_id)?,
        offer: OfferKey::parse("offer", &body.offer).map_err(|_| {
            AppError(CoreError::at(
                kerro_core::ErrorCode::UnknownDecision,
                "offer",
                "that decision did not choose this offer",
            ))
        })?,
        channel: channel(&body.channel)?,
        sent_at: body.sent_at,
    };
    let (store, now) = (state.store.clone(), state.now());
    let d = blocking(move || store.report_delivery(&staff.actor, now, report)).await?;
    Ok((
        StatusCode::CREATED,
        Json(DeliveryView {
            decision_id: d.decision_id,
            subject: d.subject,
            offer: d.offer,
            channel: d.channel,
            sent_at: d.sent_at,
        }),
    ))
}

/// Who a campaign is for: subjects reachable by e-mail for the purpose whose
/// declarations for it match the condition.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InlineAudience {
    /// The offer's own purpose: its basis and bound attributes apply.
    pub purpose: String,
    /// Campaigns are e-mail: `email`.
    pub channel: String,
    /// A GrowthBook condition over attributes bound to the purpose; `{}` for everyone reachable.
    #[serde(default = "empty")]
    #[schema(value_type = Object)]
    pub condition: Value,
}

fn empty() -> Value {
    serde_json::json!({})
}

/// A saved audience's key (on the email channel), or an audience given inline.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum AudienceRef {
    /// The key of a saved audience (`PUT /v1/audiences/{key}`) on the email channel.
    Saved(String),
    Inline(InlineAudience),
}

impl<'de> Deserialize<'de> for AudienceRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Either;
        impl<'de> Visitor<'de> for Either {
            type Value = AudienceRef;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a saved audience's key or {purpose, channel, condition}")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<AudienceRef, E> {
                Ok(AudienceRef::Saved(key.to_owned()))
            }
            // The map is read in place, so an error inside it keeps its path.
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<AudienceRef, A::Error> {
                InlineAudience::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(AudienceRef::Inline)
            }
        }
        d.deserialize_any(Either)
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignBody {
    /// The offer to send; it must be made on the email channel.
    pub offer: String,
    pub audience: AudienceRef,
    /// When to start sending (RFC 3339, at most a year ahead); now when left out.
    pub send_at: Option<DateTime<Utc>>,
}

fn campaign_id(raw: &str) -> Result<String, AppError> {
    if well_formed_id(raw, "cmp_") {
        Ok(raw.to_owned())
    } else {
        Err(AppError(CoreError::not_found("id", "no such campaign")))
    }
}

#[utoipa::path(post, path = "/v1/campaigns", tag = "campaigns", operation_id = "create_campaign", request_body = CampaignBody,
    description = "Plans an e-mail campaign. At `send_at` kerro plans its recipients (the audience, narrowed by the offer's condition) and sends each a message in their language, checking consent, opt-in, a confirmed address, restriction, objection and the caps again at the moment of sending.",
    responses((status = 201, description = "scheduled", body = Campaign),
              (status = 404, description = "unknown offer, saved audience or purpose; `field` names it"),
              (status = 422, description = "the offer is not made on e-mail, serves another purpose or is not valid then; a channel other than email (also a saved audience's); a condition that does not type-check for the purpose; `send_at` more than a year ahead; `field` names it")),
    security(("staff" = ["admin", "editor"])))]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff<Campaigns>,
    Body(body): Body<CampaignBody>,
) -> Result<(StatusCode, Json<Campaign>), AppError> {
    let offer = OfferKey::parse("offer", &body.offer)
        .map_err(|_| AppError(CoreError::not_found("offer", "unknown offer")))?;
    let audience = match body.audience {
        AudienceRef::Saved(key) => {
            CampaignAudience::Saved(path_key(AudienceKey::parse, &key, "audience")?)
        }
        AudienceRef::Inline(inline) => {
            if inline.channel != "email" {
                return Err(AppError(CoreError::invalid(
                    "audience.channel",
                    "campaigns are sent by e-mail: the channel is email",
                )));
            }
            CampaignAudience::Inline {
                purpose: PurposeKey::parse("audience.purpose", &inline.purpose).map_err(|_| {
                    AppError(CoreError::not_found("audience.purpose", "unknown purpose"))
                })?,
                condition: inline.condition,
            }
        }
    };
    let new = NewCampaign {
        offer,
        audience,
        send_at: body.send_at,
    };
    let (store, now) = (state.store.clone(), state.now());
    let c = blocking(move || store.create_campaign(&staff.actor, now, new)).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

#[utoipa::path(get, path = "/v1/campaigns", tag = "campaigns", operation_id = "list_campaigns",
    responses((status = 200, description = "the newest 200 campaigns first, with their counts", body = [Campaign])),
    security(("staff" = ["admin", "editor"])))]
pub async fn list(
    State(state): State<AppState>,
    _: Staff<Campaigns>,
) -> Result<Json<Vec<Campaign>>, AppError> {
    let store = state.store.clone();
    Ok(Json(blocking(move || store.campaigns(200)).await?))
}

#[utoipa::path(get, path = "/v1/campaigns/{id}", tag = "campaigns", operation_id = "get_campaign",
    params(("id" = String, Path, description = "cmp_…")),
    responses((status = 200, description = "the campaign: planned, sent, skipped by reason, failed", body = Campaign),
              (status = 404, description = "no such campaign")),
    security(("staff" = ["admin", "editor"])))]
pub async fn get(
    State(state): State<AppState>,
    _: Staff<Campaigns>,
    Path(id): Path<String>,
) -> Result<Json<Campaign>, AppError> {
    let id = campaign_id(&id)?;
    let store = state.store.clone();
    Ok(Json(blocking(move || store.campaign(&id)).await?))
}

#[utoipa::path(post, path = "/v1/campaigns/{id}/cancel", tag = "campaigns", operation_id = "cancel_campaign",
    params(("id" = String, Path, description = "cmp_…")),
    responses((status = 200, description = "cancelled; nothing was or will be sent", body = Campaign),
              (status = 404, description = "no such campaign"),
              (status = 409, description = "the campaign already started")),
    security(("staff" = ["admin", "editor"])))]
pub async fn cancel(
    State(state): State<AppState>,
    staff: Staff<Campaigns>,
    Path(id): Path<String>,
) -> Result<Json<Campaign>, AppError> {
    let id = campaign_id(&id)?;
    let (store, now) = (state.store.clone(), state.now());
    Ok(Json(
        blocking(move || store.cancel_campaign(&staff.actor, now, &id)).await?,
    ))
}
