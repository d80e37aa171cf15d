//! `/v1/offers`, `/v1/decisions`, `/v1/me/offers` and `/v1/reports/minimisation`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use kerro_core::contact::Channel;
use kerro_core::decide::{Decision, Limit, Reasons};
use kerro_core::ids::{AttributeKey, FormKey, OfferKey, PurposeKey, SubjectId};
use kerro_core::offer::{CompiledOffer, OfferSpec};
use kerro_core::time::{days_after, days_before};
use kerro_core::{CoreError, ErrorCode, Lang};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{Decide, Reports, SchemaRead, SchemaWrite, Staff, SubjectSession};
use super::{blocking, path_key, AppError, AppState, Body};

/// An offer as returned: its spec with its key and what its condition reads.
#[derive(Debug, Serialize, ToSchema)]
pub struct Offer {
    pub key: OfferKey,
    #[serde(flatten)]
    pub spec: OfferSpec,
    /// A generic offer (condition `{}`) needs no personalisation consent.
    pub generic: bool,
    /// The attributes the condition reads, in key order.
    pub reads: Vec<AttributeKey>,
}

impl Offer {
    fn new(o: &CompiledOffer) -> Offer {
        Offer {
            key: o.key.clone(),
            spec: o.spec.clone(),
            generic: o.generic,
            reads: o.reads.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OfferList {
    pub offers: Vec<Offer>,
}

fn find_offer(state: &AppState, key: &OfferKey) -> Result<Offer, AppError> {
    let snap = state.store.schema();
    let offer = snap
        .offers
        .iter()
        .find(|o| &o.key == key)
        .ok_or_else(|| CoreError::not_found("offer", format!("no offer '{key}'")))?;
    Ok(Offer::new(offer))
}

#[utoipa::path(put, path = "/v1/offers/{key}", tag = "offers", operation_id = "put_offer", params(("key" = OfferKey, Path)),
    request_body = OfferSpec,
    responses((status = 201, description = "created", body = Offer), (status = 200, description = "replaced", body = Offer),
              (status = 404, description = "an unknown purpose"),
              (status = 422, description = "an invalid key or definition, or a condition that does not type-check against the schema; `field` is its path")),
    security(("staff" = ["admin", "editor"])))]
pub async fn put(
    State(state): State<AppState>,
    staff: Staff<SchemaWrite>,
    Path(key): Path<String>,
    Body(spec): Body<OfferSpec>,
) -> Result<(StatusCode, Json<Offer>), AppError> {
    let key = OfferKey::parse("key", &key).map_err(AppError)?;
    let (store, now, k) = (state.store.clone(), state.now(), key.clone());
    let created = blocking(move || store.put_offer(&staff.actor, now, k, spec)).await?;
    let view = find_offer(&state, &key)?;
    Ok((
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Json(view),
    ))
}

#[utoipa::path(get, path = "/v1/offers", tag = "offers", operation_id = "list_offers",
    responses((status = 200, description = "all offers", body = OfferList)),
    security(("staff" = ["admin", "editor", "support", "service"])))]
pub async fn list(State(state): State<AppState>, _: Staff<SchemaRead>) -> Json<OfferList> {
    let snap = state.store.schema();
    Json(OfferList {
        offers: snap.offers.iter().map(Offer::new).collect(),
    })
}

#[utoipa::path(get, path = "/v1/offers/{key}", tag = "offers", operation_id = "get_offer", params(("key" = OfferKey, Path)),
    responses((status = 200, description = "the offer", body = Offer), (status = 404, description = "no such offer")),
    security(("staff" = ["admin", "editor", "support", "service"])))]
pub async fn get(
    State(state): State<AppState>,
    _: Staff<SchemaRead>,
    Path(key): Path<String>,
) -> Result<Json<Offer>, AppError> {
    let key = path_key(OfferKey::parse, &key, "offer")?;
    Ok(Json(find_offer(&state, &key)?))
}

#[utoipa::path(delete, path = "/v1/offers/{key}", tag = "offers", operation_id = "delete_offer", params(("key" = OfferKey, Path)),
    responses((status = 204, description = "deleted"), (status = 404, description = "no such offer")),
    security(("staff" = ["admin", "editor"])))]
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff<SchemaWrite>,
    Path(key): Path<String>,
) -> Result<StatusCode, AppError> {
    let key = path_key(OfferKey::parse, &key, "offer")?;
    let (store, now) = (state.store.clone(), state.now());
    blocking(move || store.delete_offer(&staff.actor, now, &key)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    pub subject: String,
    /// email, sms, phone, post or web.
    pub channel: String,
    /// How many offers at most (1-100, default 3).
    pub limit: Option<usize>,
    /// With `dry_run` only: the time to preview the decision at (default: the
    /// server's clock), at most one year before or after the server's clock.
    /// A live decision always happens now, so its deliveries count for caps
    /// from the very next decision.
    pub now: Option<DateTime<Utc>>,
    /// Decide without counting the offers as delivered or logging them.
    #[serde(default)]
    pub dry_run: bool,
}

fn channel(raw: &str, field: &str) -> Result<Channel, AppError> {
    Channel::parse(raw).ok_or_else(|| {
        AppError(CoreError::invalid(
            field,
            "channels are email, sms, phone, post and web",
        ))
    })
}

/// How far from the server's clock a preview (`now` with `dry_run`) may look.
const PREVIEW_DAYS: i64 = 365;

/// The time a decision is made at: the server's clock, or a preview's `now`.
fn decision_time(
    server: DateTime<Utc>,
    asked: Option<DateTime<Utc>>,
    dry_run: bool,
) -> Result<DateTime<Utc>, AppError> {
    let Some(at) = asked else {
        return Ok(server);
    };
    if !dry_run {
        return Err(AppError(CoreError::invalid(
            "now",
            "now may be given only with dry_run: a live decision happens at the server's clock",
        )));
    }
    if at < days_before(server, PREVIEW_DAYS) || at > days_after(server, PREVIEW_DAYS) {
        return Err(AppError(CoreError::invalid(
            "now",
            "now must be within one year of the server's clock",
        )));
    }
    Ok(at)
}

fn limit(raw: Option<usize>) -> Result<usize, AppError> {
    match raw.unwrap_or(3) {
        n @ 1..=100 => Ok(n),
        _ => Err(AppError(CoreError::invalid(
            "limit",
            "limit is between 1 and 100",
        ))),
    }
}

/// One offer of a decision, in the subject's language, with why it was chosen (P18).
#[derive(Debug, Serialize, ToSchema)]
pub struct DecidedOffer {
    pub key: OfferKey,
    pub title: Option<String>,
    pub body: Option<String>,
    pub topics: Option<Vec<String>>,
    /// Whether declared values were used; a generic offer is not personalised.
    pub personalized: bool,
    pub priority: i32,
    pub relevance: u32,
    pub reasons: Reasons,
}

/// A decision: the offers to show the subject on the channel now, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionView {
    pub subject: SubjectId,
    pub channel: Channel,
    pub decided_at: DateTime<Utc>,
    pub language: Lang,
    pub offers: Vec<DecidedOffer>,
    /// Why fewer offers than asked came back, if a limit of the subject's applied.
    pub limited_by: Option<Limit>,
    /// The logged decision, for `POST /v1/deliveries` once a message is sent;
    /// `null` for a dry run or when no offer was chosen.
    pub decision_id: Option<String>,
}

/// The wire view of a decision: each offer in the subject's language, with its reasons.
fn decision_view(
    state: &AppState,
    subject: &SubjectId,
    channel: Channel,
    now: DateTime<Utc>,
    (d, decision_id): &(Decision, Option<String>),
) -> DecisionView {
    let snap = state.store.schema();
    let default = state.config.default_language;
    let lang = state
        .store
        .profile(subject)
        .ok()
        .and_then(|p| p.language)
        .unwrap_or(default);
    let offers = d
        .offers
        .iter()
        .map(|c| {
            // Offers are kept in key order: find the chosen ones without a per-request map.
            let o = snap
                .offers
                .binary_search_by(|o| o.key.cmp(&c.offer))
                .ok()
                .map(|i| &snap.offers[i]);
            DecidedOffer {
                key: c.offer.clone(),
                title: o.map(|o| o.spec.title.get(lang, default).to_owned()),
                body: o.map(|o| o.spec.body.get(lang, default).to_owned()),
                topics: o.map(|o| o.spec.topics.clone()),
                personalized: c.personalized,
                priority: c.priority,
                relevance: c.relevance,
                reasons: c.reasons.clone(),
            }
        })
        .collect();
    DecisionView {
        subject: subject.clone(),
        channel,
        decided_at: now,
        language: lang,
        offers,
        limited_by: d.limited_by,
        decision_id: decision_id.clone(),
    }
}

#[utoipa::path(post, path = "/v1/decisions", tag = "decisions", operation_id = "decide", request_body = DecisionBody,
    description = "Decides which offers to show the subject on the channel now. Unless `dry_run`, the decision is logged under `decision_id`: on the web its offers are impressions, which count against the offers' own caps at once; on a message channel (email, sms, phone, post) they count against the subject's weekly cap only once reported sent with `POST /v1/deliveries`. `now` previews the decision at another time: it needs `dry_run` and must lie within one year (365 days) of the server's clock.",
    responses((status = 200, description = "ranked offers, each with reasons and `personalized`", body = DecisionView),
              (status = 404, description = "unknown subject"), (status = 410, description = "erased"),
              (status = 422, description = "`invalid_value`: a bad `channel` or `limit`, or `now` without `dry_run` or more than one year from the server's clock; `field` names it")),
    security(("staff" = ["admin", "service"])))]
pub async fn decide(
    State(state): State<AppState>,
    _: Staff<Decide>,
    Body(body): Body<DecisionBody>,
) -> Result<Json<DecisionView>, AppError> {
    let subject = SubjectId::parse(&body.subject)
        .map_err(|_| CoreError::not_found("subject", format!("no subject '{}'", body.subject)))?;
    let channel = channel(&body.channel, "channel")?;
    let limit = limit(body.limit)?;
    let now = decision_time(state.now(), body.now, body.dry_run)?;
    // A decision over an in-memory profile is pure computation: run it here
    // rather than hop to the blocking pool; a profile miss reads the disk there.
    let d = if state.store.profile_cached(&subject) {
        state
            .store
            .decide_logged(now, &subject, channel, limit, body.dry_run)?
    } else {
        let (store, s) = (state.store.clone(), subject.clone());
        blocking(move || store.decide_logged(now, &s, channel, limit, body.dry_run)).await?
    };
    Ok(Json(decision_view(&state, &subject, channel, now, &d)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeOffersQuery {
    pub channel: Option<String>,
    pub limit: Option<usize>,
}

#[utoipa::path(get, path = "/v1/me/offers", tag = "self-service", operation_id = "me_offers",
    params(("channel" = Option<String>, Query, description = "email, sms, phone, post or web (default)"), ("limit" = Option<usize>, Query, description = "1-100, default 3")),
    responses((status = 200, description = "the offers shown to the subject, with why", body = DecisionView),
              (status = 400, description = "an unknown query parameter or a limit that is not a number"),
              (status = 410, description = "the subject was erased"),
              (status = 422, description = "a bad channel or limit; `field` names it")),
    security(("subject" = [])))]
pub async fn me_offers(
    State(state): State<AppState>,
    session: SubjectSession,
    query: Result<Query<MeOffersQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<DecisionView>, AppError> {
    let Query(q) =
        query.map_err(|e| AppError(CoreError::new(ErrorCode::InvalidRequest, e.body_text())))?;
    let channel = channel(q.channel.as_deref().unwrap_or("web"), "channel")?;
    let limit = limit(q.limit)?;
    let now = state.now();
    let id = session.id;
    let (store, s) = (state.store.clone(), id.clone());
    let d = blocking(move || store.decide_logged(now, &s, channel, limit, false)).await?;
    Ok(Json(decision_view(&state, &id, channel, now, &d)))
}

/// An attribute collected but read by no live offer (P11).
#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadAttribute {
    pub attribute: AttributeKey,
    pub purposes: Vec<PurposeKey>,
    /// The forms that ask it.
    pub forms: Vec<FormKey>,
    /// How many live subjects hold a value for it.
    pub subjects_holding: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MinimisationReport {
    pub generated_at: DateTime<Utc>,
    pub attributes: Vec<UnreadAttribute>,
}

#[utoipa::path(get, path = "/v1/reports/minimisation", tag = "reports", operation_id = "minimisation",
    responses((status = 200, description = "attributes collected but read by no live offer, with how many subjects hold them (P11)", body = MinimisationReport)),
    security(("staff" = ["admin", "editor", "support"])))]
pub async fn minimisation(
    State(state): State<AppState>,
    _: Staff<Reports>,
) -> Result<Json<MinimisationReport>, AppError> {
    let (store, now) = (state.store.clone(), state.now());
    let report = blocking(move || Ok(store.minimisation_report(now))).await?;
    let attributes = report
        .into_iter()
        .map(|r| UnreadAttribute {
            attribute: r.attribute,
            purposes: r.purposes,
            forms: r.forms,
            subjects_holding: r.subjects_holding,
        })
        .collect();
    Ok(Json(MinimisationReport {
        generated_at: now,
        attributes,
    }))
}
