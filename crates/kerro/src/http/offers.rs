//! `/v1/offers`, `/v1/decisions`, `/v1/me/offers` and `/v1/reports/minimisation`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use kerro_core::contact::Channel;
use kerro_core::decide::Decision;
use kerro_core::ids::{OfferKey, SubjectId};
use kerro_core::offer::{CompiledOffer, OfferSpec};
use kerro_core::time::{days_after, days_before};
use kerro_core::{CoreError, ErrorCode, Lang};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::{Decide, Reports, SchemaRead, SchemaWrite, Staff, SubjectSession};
use super::{blocking, path_key, ApiError, AppState, Body};

fn offer_view(o: &CompiledOffer) -> Value {
    let mut v = serde_json::to_value(&o.spec).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("key".into(), json!(o.key));
        m.insert("generic".into(), json!(o.generic));
        m.insert("reads".into(), json!(o.reads));
    }
    v
}

#[utoipa::path(put, path = "/v1/offers/{key}", tag = "offers", params(("key" = String, Path)),
    request_body(content = Object, description = "title, body (per language), purpose, condition (GrowthBook), channels, priority, valid_from, valid_until, max_per_subject, period_days, topics"),
    responses((status = 201, description = "created"), (status = 200, description = "replaced"), (status = 422, description = "the condition does not type-check against the schema; `field` is its path")),
    security(("staff" = [])))]
pub async fn put(
    State(state): State<AppState>,
    staff: Staff<SchemaWrite>,
    Path(key): Path<String>,
    Body(spec): Body<OfferSpec>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let key = OfferKey::parse("key", &key).map_err(ApiError)?;
    let (store, now, k) = (state.store.clone(), state.now(), key.clone());
    let created = blocking(move || store.put_offer(&staff.actor, now, k, spec)).await?;
    let snap = state.store.schema();
    let view = snap
        .offers
        .iter()
        .find(|o| o.key == key)
        .map(offer_view)
        .unwrap_or(Value::Null);
    Ok((
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Json(view),
    ))
}

#[utoipa::path(get, path = "/v1/offers", tag = "offers", responses((status = 200, description = "all offers")), security(("staff" = [])))]
pub async fn list(State(state): State<AppState>, _: Staff<SchemaRead>) -> Json<Value> {
    let snap = state.store.schema();
    Json(json!({"offers": snap.offers.iter().map(offer_view).collect::<Vec<_>>()}))
}

#[utoipa::path(get, path = "/v1/offers/{key}", tag = "offers", params(("key" = String, Path)),
    responses((status = 200, description = "the offer"), (status = 404, description = "no such offer")), security(("staff" = [])))]
pub async fn get(
    State(state): State<AppState>,
    _: Staff<SchemaRead>,
    Path(key): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let key = path_key(OfferKey::parse, &key, "offer")?;
    let snap = state.store.schema();
    let offer = snap
        .offers
        .iter()
        .find(|o| o.key == key)
        .ok_or_else(|| CoreError::not_found("offer", format!("no offer '{key}'")))?;
    Ok(Json(offer_view(offer)))
}

#[utoipa::path(delete, path = "/v1/offers/{key}", tag = "offers", params(("key" = String, Path)),
    responses((status = 204, description = "deleted"), (status = 404, description = "no such offer")), security(("staff" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff<SchemaWrite>,
    Path(key): Path<String>,
) -> Result<StatusCode, ApiError> {
    let key = path_key(OfferKey::parse, &key, "offer")?;
    let (store, now) = (state.store.clone(), state.now());
    blocking(move || store.delete_offer(&staff.actor, now, &key)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
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

fn channel(raw: &str, field: &str) -> Result<Channel, ApiError> {
    Channel::parse(raw).ok_or_else(|| {
        ApiError(CoreError::invalid(
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
) -> Result<DateTime<Utc>, ApiError> {
    let Some(at) = asked else {
        return Ok(server);
    };
    if !dry_run {
        return Err(ApiError(CoreError::invalid(
            "now",
            "now may be given only with dry_run: a live decision happens at the server's clock",
        )));
    }
    if at < days_before(server, PREVIEW_DAYS) || at > days_after(server, PREVIEW_DAYS) {
        return Err(ApiError(CoreError::invalid(
            "now",
            "now must be within one year of the server's clock",
        )));
    }
    Ok(at)
}

fn limit(raw: Option<usize>) -> Result<usize, ApiError> {
    match raw.unwrap_or(3) {
        n @ 1..=100 => Ok(n),
        _ => Err(ApiError(CoreError::invalid(
            "limit",
            "limit is between 1 and 100",
        ))),
    }
}

/// The wire view of a decision: each offer in the subject's language, with its reasons.
fn decision_view(
    state: &AppState,
    subject: &SubjectId,
    channel: Channel,
    now: DateTime<Utc>,
    d: &Decision,
) -> Value {
    let snap = state.store.schema();
    let default = state.config.default_language;
    let lang = state
        .store
        .profile(subject)
        .ok()
        .and_then(|p| p.language)
        .unwrap_or(default);
    let offers: Vec<Value> = d
        .offers
        .iter()
        .map(|c| {
            // Offers are kept in key order: find the chosen ones without a per-request map.
            let o = snap
                .offers
                .binary_search_by(|o| o.key.cmp(&c.offer))
                .ok()
                .map(|i| &snap.offers[i]);
            json!({
                "key": c.offer,
                "title": o.map(|o| o.spec.title.get(lang, default)),
                "body": o.map(|o| o.spec.body.get(lang, default)),
                "topics": o.map(|o| o.spec.topics.clone()),
                "personalized": c.personalized,
                "priority": c.priority,
                "relevance": c.relevance,
                "reasons": c.reasons,
            })
        })
        .collect();
    json!({
        "subject": subject,
        "channel": channel.as_str(),
        "decided_at": now,
        "language": lang_str(lang),
        "offers": offers,
        "limited_by": d.limited_by,
    })
}

fn lang_str(l: Lang) -> &'static str {
    l.as_str()
}

#[utoipa::path(post, path = "/v1/decisions", tag = "decisions", request_body = DecisionBody,
    description = "Decides which offers to show the subject on the channel now. Unless `dry_run`, the offers returned count as delivered. `now` previews the decision at another time: it needs `dry_run` and must lie within one year (365 days) of the server's clock.",
    responses((status = 200, description = "ranked offers, each with reasons and `personalized`"), (status = 404, description = "unknown subject"), (status = 410, description = "erased"), (status = 422, description = "`invalid_value`: a bad `channel` or `limit`, or `now` without `dry_run` or more than one year from the server's clock; `field` names it")),
    security(("staff" = [])))]
pub async fn decide(
    State(state): State<AppState>,
    _: Staff<Decide>,
    Body(body): Body<DecisionBody>,
) -> Result<Json<Value>, ApiError> {
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
            .decide(now, &subject, channel, limit, body.dry_run)?
    } else {
        let (store, s) = (state.store.clone(), subject.clone());
        blocking(move || store.decide(now, &s, channel, limit, body.dry_run)).await?
    };
    Ok(Json(decision_view(&state, &subject, channel, now, &d)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeOffersQuery {
    pub channel: Option<String>,
    pub limit: Option<usize>,
}

#[utoipa::path(get, path = "/v1/me/offers", tag = "self-service",
    params(("channel" = Option<String>, Query, description = "default web"), ("limit" = Option<usize>, Query)),
    responses((status = 200, description = "the offers shown to the subject, with why")), security(("subject" = [])))]
pub async fn me_offers(
    State(state): State<AppState>,
    SubjectSession(id): SubjectSession,
    query: Result<Query<MeOffersQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) =
        query.map_err(|e| ApiError(CoreError::new(ErrorCode::InvalidRequest, e.body_text())))?;
    let channel = channel(q.channel.as_deref().unwrap_or("web"), "channel")?;
    let limit = limit(q.limit)?;
    let now = state.now();
    let (store, s) = (state.store.clone(), id.clone());
    let d = blocking(move || store.decide(now, &s, channel, limit, false)).await?;
    Ok(Json(decision_view(&state, &id, channel, now, &d)))
}

#[utoipa::path(get, path = "/v1/reports/minimisation", tag = "reports",
    responses((status = 200, description = "attributes collected but read by no live offer, with how many subjects hold them (P11)")),
    security(("staff" = [])))]
pub async fn minimisation(
    State(state): State<AppState>,
    _: Staff<Reports>,
) -> Result<Json<Value>, ApiError> {
    let (store, now) = (state.store.clone(), state.now());
    let report = blocking(move || Ok(store.minimisation_report(now))).await?;
    Ok(Json(json!({ "generated_at": now, "attributes": report })))
}
