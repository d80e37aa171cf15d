//! The preference centre's everyday pages: what kerro holds (and correcting
//! it), consents with a one-click toggle that withdraws the same way it grants
//! (P6), contact channels and the weekly cap (P19), and "why am I seeing these
//! offers" (P18). History, receipts, export and erasure are in `me_data.rs`.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use kerro_core::consent::renewal_due;
use kerro_core::contact::{Channel, ContactPrefs};
use kerro_core::schema::LegalBasis;
use kerro_core::{Actor, AttributeKey, ErrorCode, Lang, SubjectId};
use kerro_store::SubjectData;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

use super::ctx::{Ctx, Posted};
use super::fields::{answer_text, display_value, field_view, posted_answer, FieldView};
use super::form_notice::{basis_text, recipients_text};
use super::i18n::Tr;
use super::Chrome;
use crate::app::{blocking, AppError};

/// The signed-in subject's data; `Err(None)` when no one is signed in.
pub async fn load(ctx: &Ctx) -> Result<(SubjectId, SubjectData), Option<AppError>> {
    let id = ctx.subject.clone().ok_or(None)?;
    let (store, now, id2) = (ctx.state.app.store.clone(), ctx.now(), id.clone());
    let data = blocking(move || store.subject_data(&Actor::Subject(id2.clone()), now, &id2))
        .await
        .map_err(Some)?;
    Ok((id, data))
}

/// Runs `load` and turns a failure into the right page.
macro_rules! signed_in {
    ($ctx:ident) => {
        match load(&$ctx).await {
            Ok(v) => v,
            Err(None) => return $ctx.sign_in_first(),
            Err(Some(e)) => return $ctx.failed(&e),
        }
    };
}
pub(crate) use signed_in;

/// The form a value came from, as its title, or "the preference centre".
pub fn source_text(
    tr: &Tr,
    ctx: &Ctx,
    form: Option<&kerro_core::FormKey>,
    version: Option<u32>,
) -> String {
    match form {
        Some(f) => {
            let schema = ctx.state.app.store.schema();
            let title = schema
                .schema
                .forms
                .get(f)
                .map(|s| tr.text(&s.title))
                .unwrap_or_else(|| f.to_string());
            let form = tr.t1("source-form-version", "form", &title);
            match version {
                Some(v) => format!(
                    "{form}, {}",
                    tr.tn("notice-version", "version", i64::from(v))
                ),
                None => form,
            }
        }
        None => tr.t("source-preference-centre"),
    }
}

pub struct HeldRow {
    pub key: String,
    pub question: String,
    pub answer: String,
    pub source: String,
    pub given_at: String,
    pub purposes: String,
}

#[derive(askama::Template)]
#[template(path = "me.html")]
struct OverviewPage {
    page: Chrome,
    rows: Vec<HeldRow>,
    email: String,
    /// A new address waiting for its confirmation (double opt-in).
    email_pending: String,
    organization: String,
    history_count: usize,
    objected_sharing: bool,
    saved: bool,
}

pub async fn overview(ctx: Ctx) -> Response {
    let (_, data) = signed_in!(ctx);
    let tr = &ctx.tr;
    let schema = ctx.state.app.store.schema();
    let rows = data
        .declarations
        .iter()
        .map(|d| {
            let spec = schema.schema.attributes.get(&d.attribute);
            let purposes: Vec<String> = spec
                .map(|s| {
                    s.purposes
                        .iter()
                        .filter_map(|p| schema.schema.purposes.get(p))
                        .map(|p| tr.text(&p.title))
                        .collect()
                })
                .unwrap_or_default();
            HeldRow {
                key: d.attribute.to_string(),
                question: spec
                    .map(|s| tr.text(&s.title))
                    .unwrap_or_else(|| d.attribute.to_string()),
                answer: display_value(tr, spec, &d.value),
                source: source_text(
                    tr,
                    &ctx,
                    d.provenance.form.as_ref(),
                    d.provenance.notice_version,
                ),
                given_at: tr.time(&d.provenance.given_at),
                purposes: purposes.join(", "),
            }
        })
        .collect();
    let page = OverviewPage {
        page: Chrome::new(&ctx, &tr.t("me-title"), "/me"),
        rows,
        email: data.subject.email.clone().unwrap_or_default(),
        email_pending: data.subject.email_pending.clone().unwrap_or_default(),
        organization: data.subject.organization.clone().unwrap_or_default(),
        history_count: data.history.len(),
        objected_sharing: data.subject.objected_sharing,
        saved: ctx.query_value("saved").is_some(),
    };
    ctx.page(StatusCode::OK, &page)
}

#[derive(askama::Template)]
#[template(path = "me_answer.html")]
struct AnswerPage {
    page: Chrome,
    f: FieldView,
    message: String,
}

fn held(data: &SubjectData, raw: &str) -> Option<(AttributeKey, Value)> {
    data.declarations
        .iter()
        .find(|d| d.attribute.as_str() == raw)
        .map(|d| (d.attribute.clone(), d.value.clone()))
}

fn answer_field(ctx: &Ctx, key: &AttributeKey, value: &Value) -> Option<FieldView> {
    let schema = ctx.state.app.store.schema();
    let spec = schema.schema.attributes.get(key)?;
    Some(field_view(
        &ctx.tr,
        &schema.schema,
        key,
        spec,
        &spec.purposes,
        value,
    ))
}

pub async fn edit_answer(ctx: Ctx, Path(raw): Path<String>) -> Response {
    let (_, data) = signed_in!(ctx);
    let Some(f) = held(&data, &raw).and_then(|(k, v)| answer_field(&ctx, &k, &v)) else {
        return ctx.error(StatusCode::NOT_FOUND, "error-not-found");
    };
    let page = AnswerPage {
        page: Chrome::new(&ctx, &f.title, "/me"),
        f,
        message: String::new(),
    };
    ctx.page(StatusCode::OK, &page)
}

pub async fn save_answer(ctx: Ctx, Path(raw): Path<String>, posted: Posted) -> Response {
    if !ctx.csrf_ok(&posted) {
        return ctx.csrf_failed();
    }
    let (id, data) = signed_in!(ctx);
    let Some((key, old)) = held(&data, &raw) else {
        return ctx.error(StatusCode::NOT_FOUND, "error-not-found");
    };
    let schema = ctx.state.app.store.schema();
    let Some(spec) = schema.schema.attributes.get(&key) else {
        return ctx.error(StatusCode::NOT_FOUND, "error-not-found");
    };
    let delete = posted.get("decision") == Some("delete");
    let value = if delete {
        Value::Null
    } else {
        match posted_answer(&ctx.tr, &key, spec, &posted) {
            Ok(Some(v)) => v,
            Ok(None) => {
                let msg = ctx.tr.t("error-answer-empty");
                return rerender(ctx, &key, &old, msg);
            }
            Err(msg) => return rerender(ctx, &key, &old, msg),
        }
    };
    let mut patch = Map::new();
    patch.insert(key.to_string(), value);
    let (store, now) = (ctx.state.app.store.clone(), ctx.now());
    match blocking(move || store.rectify(&Actor::Subject(id.clone()), now, &id, patch)).await {
        Ok(_) => ctx.redirect("/me?saved=1"),
        Err(e) if e.0.code == ErrorCode::NoLegalBasis => {
            let msg = ctx.tr.t("error-no-basis");
            rerender(ctx, &key, &old, msg)
        }
        Err(e) => ctx.failed(&e),
    }
}

fn rerender(ctx: Ctx, key: &AttributeKey, value: &Value, message: String) -> Response {
    let Some(mut f) = answer_field(&ctx, key, value) else {
        return ctx.error(StatusCode::NOT_FOUND, "error-not-found");
    };
    f.error = message.clone();
    let page = AnswerPage {
        page: Chrome::new(&ctx, &f.title, "/me"),
        f,
        message,
    };
    ctx.page(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

pub struct ConsentRow {
    pub key: String,
    pub title: String,
    pub description: String,
    pub state: String,
    pub active: bool,
    pub data_categories: Vec<String>,
    pub recipients: String,
    pub retention: String,
    pub changed: bool,
    /// The consent was given under a notice that has since changed materially (P7).
    pub renewal_due: bool,
}

pub struct OtherPurpose {
    pub title: String,
    pub description: String,
    pub basis: String,
}

#[derive(askama::Template)]
#[template(path = "me_consents.html")]
struct ConsentsPage {
    page: Chrome,
    rows: Vec<ConsentRow>,
    others: Vec<OtherPurpose>,
    /// How many consents are due for renewal: the page asks once, above them all.
    renewals: usize,
    /// The choice about each recipient of each sharing purpose (P21).
    recipients: Vec<super::me_recipients::RecipientRow>,
    /// Every disclosure of the customer's data, newest first (P21).
    disclosures: Vec<super::me_recipients::DisclosureRow>,
}

pub async fn consents(ctx: Ctx) -> Response {
    let (_, data) = signed_in!(ctx);
    let tr = &ctx.tr;
    let schema = ctx.state.app.store.schema();
    let mut last: BTreeMap<&str, &kerro_store::StoredEvent> = BTreeMap::new();
    for e in &data.consents {
        last.insert(e.event.purpose.as_str(), e);
    }
    let changed = ctx.query_value("changed").unwrap_or("");
    let mut rows = Vec::new();
    let mut others = Vec::new();
    for (k, p) in &schema.schema.purposes {
        if p.legal_basis != LegalBasis::Consent {
            others.push(OtherPurpose {
                title: tr.text(&p.title),
                description: tr.text(&p.description),
                basis: basis_text(tr, p.legal_basis),
            });
            continue;
        }
        let ev = last.get(k.as_str());
        let active = ev.is_some_and(|e| e.event.state.is_active());
        let renewal_due = ev.is_some_and(|e| {
            renewal_due(e.event.state, e.event.notice.as_ref(), |f| {
                schema.material_notices.get(f).copied()
            })
        });
        let state = match ev {
            Some(e) => tr.t1(
                &format!("consent-state-{}", e.event.state.as_str()),
                "date",
                &tr.date(&e.event.event_time),
            ),
            None => tr.t("consent-state-none"),
        };
        let categories: Vec<String> = schema
            .schema
            .attributes
            .values()
            .filter(|a| a.purposes.contains(k))
            .map(|a| tr.text(&a.title))
            .collect();
        rows.push(ConsentRow {
            key: k.to_string(),
            title: tr.text(&p.title),
            description: tr.text(&p.description),
            state,
            active,
            data_categories: categories,
            recipients: recipients_text(tr, &schema.schema.recipient_names(p)),
            retention: tr.tn("retention-days", "days", i64::from(p.retention_days)),
            changed: changed == k.as_str(),
            renewal_due,
        });
    }
    let page = ConsentsPage {
        page: Chrome::new(&ctx, &tr.t("consents-title"), "/me/consents"),
        renewals: rows.iter().filter(|r| r.renewal_due).count(),
        recipients: super::me_recipients::recipient_rows(&ctx, tr, &data),
        disclosures: super::me_recipients::disclosure_rows(&ctx, tr, &data),
        rows,
        others,
    };
    ctx.page(StatusCode::OK, &page)
}

/// One click either way: the same request grants (`given=true`) or withdraws (`given=false`).
pub async fn toggle_consent(ctx: Ctx, Path(purpose): Path<String>, posted: Posted) -> Response {
    if !ctx.csrf_ok(&posted) {
        return ctx.csrf_failed();
    }
    let Some(id) = ctx.subject.clone() else {
        return ctx.sign_in_first();
    };
    let given = posted.get("given") == Some("true");
    let (store, now, lang) = (ctx.state.app.store.clone(), ctx.now(), ctx.lang);
    let p = purpose.clone();
    match blocking(move || {
        store.set_consent(&Actor::Subject(id.clone()), now, &id, &p, given, Some(lang))
    })
    .await
    {
        Ok(_) => {
            let mut q = form_urlencoded::Serializer::new(String::new());
            q.append_pair("changed", &purpose);
            ctx.redirect(&format!("/me/consents?{}#purpose-{purpose}", q.finish()))
        }
        // A purpose that is not there, or does not rest on consent, has no switch to toggle.
        Err(e) if e.0.code == ErrorCode::InvalidValue => {
            ctx.error(StatusCode::NOT_FOUND, "error-not-found")
        }
        Err(e) => ctx.failed(&e),
    }
}

pub struct ChannelRow {
    pub key: &'static str,
    pub label: String,
    pub on: bool,
}

pub struct LangOption {
    pub code: &'static str,
    pub name: &'static str,
    pub selected: bool,
}

#[derive(askama::Template)]
#[template(path = "me_contact.html")]
struct ContactPage {
    page: Chrome,
    channels: Vec<ChannelRow>,
    max_per_week: String,
    languages: Vec<LangOption>,
    message: String,
    saved: bool,
}

fn contact_page(ctx: &Ctx, prefs: &ContactPrefs, max_text: String, message: String) -> ContactPage {
    ContactPage {
        page: Chrome::new(ctx, &ctx.tr.t("contact-title"), "/me/contact"),
        channels: Channel::ALL
            .into_iter()
            .map(|c| ChannelRow {
                key: c.as_str(),
                label: ctx.tr.t(&format!("channel-{}", c.as_str())),
                on: prefs.opted_in(c),
            })
            .collect(),
        max_per_week: max_text,
        languages: Lang::ALL
            .into_iter()
            .map(|l| LangOption {
                code: l.as_str(),
                name: Tr::native_name(l),
                selected: prefs.language == Some(l),
            })
            .collect(),
        message,
        saved: ctx.query_value("saved").is_some(),
    }
}

pub async fn contact(ctx: Ctx) -> Response {
    let (_, data) = signed_in!(ctx);
    let max = data
        .contact
        .max_per_week
        .map(|n| n.to_string())
        .unwrap_or_default();
    let page = contact_page(&ctx, &data.contact, max, String::new());
    ctx.page(StatusCode::OK, &page)
}

pub async fn save_contact(ctx: Ctx, posted: Posted) -> Response {
    if !ctx.csrf_ok(&posted) {
        return ctx.csrf_failed();
    }
    let Some(id) = ctx.subject.clone() else {
        return ctx.sign_in_first();
    };
    let on: Vec<&str> = posted.all("channel").collect();
    let channels = Channel::ALL
        .into_iter()
        .map(|c| (c, on.contains(&c.as_str())))
        .collect();
    let raw_max = posted
        .get("max_per_week")
        .map(str::trim)
        .unwrap_or("")
        .to_owned();
    let max_per_week = if raw_max.is_empty() {
        None
    } else {
        match raw_max.parse::<u32>() {
            Ok(n) if n <= kerro_core::contact::MAX_PER_WEEK_LIMIT => Some(n),
            _ => {
                let prefs = ContactPrefs {
                    channels,
                    max_per_week: None,
                    language: posted.get("language").and_then(Lang::parse),
                    ..Default::default()
                };
                let msg = ctx.tr.t("error-max-per-week");
                let page = contact_page(&ctx, &prefs, raw_max, msg);
                return ctx.page(StatusCode::UNPROCESSABLE_ENTITY, &page);
            }
        }
    };
    let prefs = ContactPrefs {
        channels,
        max_per_week,
        language: posted.get("language").and_then(Lang::parse),
        ..Default::default()
    };
    let (store, now) = (ctx.state.app.store.clone(), ctx.now());
    match blocking(move || store.set_contact(&Actor::Subject(id.clone()), now, &id, prefs)).await {
        Ok(_) => ctx.redirect("/me/contact?saved=1"),
        Err(e) => ctx.failed(&e),
    }
}

/// One offer with its reasons (P18).
pub struct OfferView {
    /// The offer's key, the anchor the company site's "why you see this" links point to.
    pub key: String,
    pub title: String,
    pub body: String,
    pub channels: String,
    pub reasons: Vec<String>,
    pub consent: String,
}

#[derive(askama::Template)]
#[template(path = "me_offers.html")]
struct OffersPage {
    page: Chrome,
    offers: Vec<OfferView>,
    opted_in: bool,
}

/// The offers the engine would choose for the subject now on each channel they
/// opted in to, with why. A preview: nothing is delivered or logged.
pub async fn offers(ctx: Ctx) -> Response {
    let (id, data) = signed_in!(ctx);
    let channels: Vec<Channel> = Channel::ALL
        .into_iter()
        .filter(|c| data.contact.opted_in(*c))
        .collect();
    let (store, now) = (ctx.state.app.store.clone(), ctx.now());
    let chans = channels.clone();
    let decisions = blocking(move || {
        chans
            .iter()
            .map(|c| store.decide(now, &id, *c, 10, true).map(|d| (*c, d)))
            .collect::<Result<Vec<_>, _>>()
    })
    .await;
    let decisions = match decisions {
        Ok(d) => d,
        Err(e) => return ctx.failed(&e),
    };
    let tr = &ctx.tr;
    let snap = ctx.state.app.store.schema();
    let mut by_offer: BTreeMap<String, (Vec<Channel>, kerro_core::decide::Chosen)> =
        BTreeMap::new();
    for (c, d) in decisions {
        for chosen in d.offers {
            by_offer
                .entry(chosen.offer.to_string())
                .or_insert_with(|| (Vec::new(), chosen))
                .0
                .push(c);
        }
    }
    let offers = by_offer
        .into_values()
        .map(|(chans, chosen)| {
            let spec = snap
                .offers
                .iter()
                .find(|o| o.key == chosen.offer)
                .map(|o| &o.spec);
            let reasons = chosen
                .reasons
                .values
                .iter()
                .map(|v| {
                    format!(
                        "{} ({}, {})",
                        answer_text(tr, &snap.schema, &v.attribute, &v.value),
                        source_text(tr, &ctx, v.form.as_ref(), None),
                        tr.date(&v.given_at)
                    )
                })
                .collect();
            let consent = match &chosen.reasons.consent {
                Some(c) => {
                    let title = snap
                        .schema
                        .purposes
                        .get(&c.purpose)
                        .map(|p| tr.text(&p.title))
                        .unwrap_or_else(|| c.purpose.to_string());
                    match c.given_at {
                        Some(at) => {
                            tr.t2("offers-consent", "purpose", &title, "date", &tr.date(&at))
                        }
                        None => tr.t1("offers-basis", "purpose", &title),
                    }
                }
                None => tr.t("offers-generic"),
            };
            OfferView {
                key: chosen.offer.to_string(),
                title: spec
                    .map(|s| tr.text(&s.title))
                    .unwrap_or_else(|| chosen.offer.to_string()),
                body: spec.map(|s| tr.text(&s.body)).unwrap_or_default(),
                channels: chans
                    .iter()
                    .map(|c| tr.t(&format!("channel-{}", c.as_str())))
                    .collect::<Vec<_>>()
                    .join(", "),
                reasons,
                consent,
            }
        })
        .collect();
    let page = OffersPage {
        page: Chrome::new(&ctx, &ctx.tr.t("offers-title"), "/me/offers"),
        offers,
        opted_in: !channels.is_empty(),
    };
    ctx.page(StatusCode::OK, &page)
}
