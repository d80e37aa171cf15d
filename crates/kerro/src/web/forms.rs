//! Hosted forms: `GET /f/{form}` shows any form with its notice beside the
//! choices it explains (P4), one unticked choice per consent purpose and
//! accept and decline equally prominent (P3, P26); `POST /f/{form}` records
//! answers and consents through the same store call as the API; the thank-you
//! page says what the customer gets in return. Also the start page `/`.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Duration;
use kerro_core::consent::{basis_active, ConsentState};
use kerro_core::schema::{FormSpec, LegalBasis};
use kerro_core::submission::plan_submission;
use kerro_core::{Actor, ErrorCode, FormKey, PurposeKey};
use kerro_store::{FormPost, FormPosted, NewSubject, Respondent};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

use super::ctx::{cookie, Ctx, Posted, SESSION_COOKIE};
use super::fields::{display_value, field_view, posted_answer, FieldView};
use super::form_notice::{purpose_notices, PurposeNotice, Seen};
use super::limits::Limit;
use super::Chrome;
use crate::app::blocking;

#[derive(askama::Template)]
#[template(path = "form.html")]
struct FormPage {
    page: Chrome,
    form_key: String,
    title: String,
    notice: String,
    controller: String,
    notice_version: u32,
    fields: Vec<FieldView>,
    purposes: Vec<PurposeNotice>,
    any_choice: bool,
    anonymous: bool,
    email: String,
    email_error: String,
    form_token: String,
    message: String,
    /// The declined purposes offered again, carried to the post.
    asked: String,
}

struct Loaded {
    key: FormKey,
    spec: FormSpec,
    version: u32,
    schema: std::sync::Arc<kerro_store::SchemaSnapshot>,
}

fn load(ctx: &Ctx, raw: &str) -> Option<Loaded> {
    let key = FormKey::parse("form", raw).ok()?;
    let schema = ctx.state.app.store.schema();
    let spec = schema.schema.forms.get(&key)?.clone();
    let version = schema.notices.get(&key)?.version;
    Some(Loaded {
        key,
        spec,
        version,
        schema,
    })
}

/// The signed-in subject's current states and what the form shows of them.
async fn subject_states(ctx: &Ctx) -> Result<(BTreeMap<PurposeKey, ConsentState>, Seen), Response> {
    let Some(id) = ctx.subject.clone() else {
        return Ok(Default::default());
    };
    let (store, now) = (ctx.state.app.store.clone(), ctx.now());
    let data = blocking(move || store.subject_data(&Actor::Subject(id.clone()), now, &id))
        .await
        .map_err(|e| super::ctx::failure_page(&ctx.tr, &e))?;
    let states = data.consent_states();
    let mut seen = Seen::default();
    // Events are in ledger order: the latest of each purpose's state wins.
    for e in &data.consents {
        let (purpose, date) = (&e.event.purpose, ctx.tr.date(&e.event.event_time));
        match states.get(purpose) {
            Some(s) if s.is_active() => {
                seen.active.insert(purpose.clone(), date);
            }
            Some(ConsentState::Refused | ConsentState::Withdrawn)
                if e.event.state == states[purpose] =>
            {
                seen.declined.insert(purpose.clone(), date);
            }
            _ => {}
        }
    }
    for e in &data.recipient_choices {
        if let Some(r) = &e.event.recipient {
            seen.recipients.insert(
                (e.event.purpose.clone(), r.to_string()),
                (e.event.state.is_active(), ctx.tr.date(&e.event.event_time)),
            );
        }
    }
    Ok((states, seen))
}

fn controller_line(ctx: &Ctx) -> String {
    let c = &ctx.state.app.config.controller;
    ctx.tr.t1(
        "notice-controller",
        "controller",
        &format!(
            "{}, {}, {} ({}: {})",
            c.name,
            c.address,
            c.email,
            ctx.tr.t("notice-dpo"),
            c.dpo
        ),
    )
}

fn form_page(ctx: &Ctx, f: &Loaded, fields: Vec<FieldView>, seen: &Seen) -> FormPage {
    let tr = &ctx.tr;
    let purposes = purpose_notices(tr, &f.schema.schema, &f.spec, seen);
    FormPage {
        page: Chrome::new(ctx, &tr.text(&f.spec.title), ""),
        form_key: f.key.to_string(),
        title: tr.text(&f.spec.title),
        notice: tr.text(&f.spec.notice),
        controller: controller_line(ctx),
        notice_version: f.version,
        fields,
        any_choice: purposes.iter().any(|p| p.offered),
        purposes,
        anonymous: ctx.subject.is_none(),
        email: String::new(),
        email_error: String::new(),
        form_token: ctx.form_token(f.key.as_str()),
        message: String::new(),
        asked: seen.asked_field(),
    }
}

fn fields_for(ctx: &Ctx, f: &Loaded, values: &Map<String, Value>) -> Vec<FieldView> {
    f.spec
        .attributes
        .iter()
        .filter_map(|a| f.schema.schema.attributes.get(a).map(|s| (a, s)))
        .map(|(a, s)| {
            field_view(
                &ctx.tr,
                &f.schema.schema,
                a,
                s,
                &f.spec.purposes,
                values.get(a.as_str()).unwrap_or(&Value::Null),
            )
        })
        .collect()
}

/// `?ask=` on a form: the declined purposes the subject asks to be offered again.
#[derive(serde::Deserialize)]
pub struct AskQuery {
    ask: Option<String>,
}

pub async fn show(
    ctx: Ctx,
    Path(raw): Path<String>,
    axum::extract::Query(q): axum::extract::Query<AskQuery>,
) -> Response {
    let Some(f) = load(&ctx, &raw) else {
        return ctx.error(StatusCode::NOT_FOUND, "error-no-form");
    };
    let mut seen = match subject_states(&ctx).await {
        Ok((_, seen)) => seen,
        Err(r) => return r,
    };
    seen.ask(&f.spec, q.ask.as_deref());
    let page = form_page(&ctx, &f, fields_for(&ctx, &f, &Map::new()), &seen);
    ctx.page(StatusCode::OK, &page)
}

pub async fn submit(ctx: Ctx, Path(raw): Path<String>, posted: Posted) -> Response {
    let Some(f) = load(&ctx, &raw) else {
        return ctx.error(StatusCode::NOT_FOUND, "error-no-form");
    };
    // A signed-in subject's post carries the CSRF token bound to its session. An
    // anonymous post carries a single-use form token, which needs no cookie (a form
    // embedded in another site may get none); with the CSRF cookie as well, the
    // browser is signed in afterwards. Anonymous posts are rate-limited per client.
    let bound = ctx.csrf_ok(&posted);
    let (mut ctx, token) = if ctx.subject.is_some() {
        if !bound {
            return ctx.csrf_failed();
        }
        (ctx, None)
    } else {
        if let Some(wait) = ctx.over_limit(Limit::FormPost) {
            return ctx.too_many(wait);
        }
        // Genuine and fresh here; whether it was used before is checked where the
        // answers are written, so a post with mistakes can be corrected.
        let checked = posted
            .get("form_token")
            .and_then(|t| ctx.form_token_check(f.key.as_str(), t));
        let Some(token) = checked else {
            return ctx.csrf_failed();
        };
        (ctx, Some(token))
    };
    let (states, mut seen) = match subject_states(&ctx).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    seen.ask(&f.spec, posted.get("ask"));
    let tr = ctx.tr.clone();
    let schema = &f.schema.schema;

    let mut answers = Map::new();
    let mut errors: BTreeMap<String, String> = BTreeMap::new();
    for a in &f.spec.attributes {
        let Some(spec) = schema.attributes.get(a) else {
            continue;
        };
        match posted_answer(&tr, a, spec, &posted) {
            Ok(Some(v)) => {
                answers.insert(a.to_string(), v);
            }
            Ok(None) => {}
            Err(msg) => {
                errors.insert(a.to_string(), msg);
            }
        }
    }

    // P10: a special-category answer needs its own ticked statement; without it the
    // question is marked and nothing is written.
    let mut explicit = Vec::new();
    for a in &f.spec.attributes {
        if !schema.attributes.get(a).is_some_and(|s| s.special_category) {
            continue;
        }
        if posted.get(&format!("x.{a}")) == Some("yes") {
            explicit.push(a.to_string());
        } else if answers.contains_key(a.as_str()) {
            errors.insert(a.to_string(), tr.t("error-explicit-needed"));
        }
    }

    // P3: only a ticked box is a grant; "decline" refuses every purpose offered here.
    let decline = posted.get("decision") == Some("decline");
    let mut consents = Map::new();
    for p in &f.spec.purposes {
        let Some(spec) = schema.purposes.get(p) else {
            continue;
        };
        // Only what the page offered: not a purpose already given, nor one the
        // subject declined before and did not ask about again (P26).
        if spec.legal_basis != LegalBasis::Consent || !seen.offers(p) {
            continue;
        }
        let ticked = posted.get(&format!("c.{p}")) == Some("yes");
        if decline {
            consents.insert(p.to_string(), Value::Bool(false));
        } else if ticked {
            consents.insert(p.to_string(), Value::Bool(true));
        }
    }

    // P21: one box per recipient of a sharing purpose the page offered; "decline" refuses each.
    let mut recipients = Map::new();
    for p in &f.spec.purposes {
        let Some(spec) = schema.purposes.get(p).filter(|s| s.asks_per_recipient()) else {
            continue;
        };
        let mut per = Map::new();
        let consent = spec.legal_basis == LegalBasis::Consent;
        for r in spec
            .recipients
            .iter()
            .filter(|r| seen.offers_recipient(p, consent, r))
        {
            if decline {
                per.insert(r.clone(), Value::Bool(false));
            } else if posted.get(&format!("r.{p}.{r}")) == Some("yes") {
                per.insert(r.clone(), Value::Bool(true));
            }
        }
        if !per.is_empty() {
            recipients.insert(p.to_string(), Value::Object(per));
        }
    }

    // Answers that would serve only purposes without a basis are not stored (P8); say so.
    let after = |p: &PurposeKey| -> Option<ConsentState> {
        match consents.get(p.as_str()) {
            Some(Value::Bool(true)) => Some(ConsentState::Given),
            Some(_) => Some(ConsentState::Refused),
            None => states.get(p).copied(),
        }
    };
    let mut dropped = Vec::new();
    answers.retain(|k, _| {
        let keep = schema
            .attributes
            .iter()
            .find(|(a, _)| a.as_str() == k)
            .is_some_and(|(_, spec)| {
                spec.purposes.iter().any(|p| {
                    schema
                        .purposes
                        .get(p)
                        .is_some_and(|ps| basis_active(ps, after(p)))
                })
            });
        if !keep {
            dropped.push(k.clone());
        }
        keep
    });

    let notice_version = posted
        .get("notice_version")
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(0);
    let email = posted.get("email").map(str::trim).unwrap_or("").to_owned();
    let new_email = email.clone();
    let rerender = |errors: &BTreeMap<String, String>, message: String, email_error: String| {
        let mut fields = fields_for(&ctx, &f, &answers);
        for fv in &mut fields {
            if let Some(e) = errors.get(&fv.key) {
                fv.error = e.clone();
            }
        }
        let mut page = form_page(&ctx, &f, fields, &seen);
        page.email = email.clone();
        page.email_error = email_error;
        page.message = message;
        page
    };
    // An address is checked with the answers, before anything is written (not even
    // the form token is used up by a post that is refused).
    let email_error = if ctx.subject.is_none()
        && !email.is_empty()
        && kerro_core::email::canonical("email", &email).is_err()
    {
        tr.t("error-email")
    } else {
        String::new()
    };
    if !errors.is_empty() || !email_error.is_empty() {
        let page = rerender(&errors, tr.t("form-has-errors"), email_error);
        return ctx.page(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    if let Err(e) = plan_submission(
        schema,
        &f.key,
        f.version,
        notice_version,
        &answers,
        &consents,
        &states,
    ) {
        let message = if e.code == ErrorCode::StaleNotice {
            tr.t("form-notice-changed")
        } else {
            tr.t("form-has-errors")
        };
        let page = rerender(&errors, message, String::new());
        return ctx.page(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }

    let (store, now, lang) = (ctx.state.app.store.clone(), ctx.now(), ctx.lang);
    let existing = ctx.subject.clone();
    // A new respondent's address waits for the link mailed to it; the thank-you page says so.
    let email_to_confirm = existing.is_none() && !new_email.is_empty();
    let sign_in = existing.is_none() && bound;
    let session_ttl = Duration::minutes(i64::from(ctx.state.app.config.web.session_minutes));
    let post = FormPost {
        form: f.key.clone(),
        respondent: match existing {
            Some(id) => Respondent::Known(id),
            None => Respondent::New(NewSubject {
                email: (!new_email.is_empty()).then_some(new_email),
                locale: Some(lang),
                ..Default::default()
            }),
        },
        notice_version,
        answers: answers.clone(),
        consents: consents.clone(),
        explicit,
        recipients,
        language: lang,
        token: token.map(|t| (t.used_key, t.expires_at)),
        session_ttl: sign_in.then_some(session_ttl),
        gpc: ctx.gpc,
    };
    // The token, the new subject, the answers and the session: one transaction.
    let result = blocking(move || store.post_form(now, post)).await;
    match result {
        Ok(FormPosted::TokenUsed) => ctx.error(StatusCode::FORBIDDEN, "error-form-used"),
        Ok(FormPosted::Done { session, .. }) => {
            if let Some(s) = session {
                let secure = ctx.state.secure_cookies();
                ctx.set_cookie(cookie(
                    SESSION_COOKIE,
                    &s,
                    session_ttl.num_seconds(),
                    secure,
                ));
            }
            let given: Vec<&str> = consents
                .iter()
                .filter(|(_, v)| **v == Value::Bool(true))
                .map(|(k, _)| k.as_str())
                .collect();
            let mut q = form_urlencoded::Serializer::new(String::new());
            q.append_pair("given", &given.join(","));
            q.append_pair("dropped", &dropped.join(","));
            if email_to_confirm {
                q.append_pair("confirm", "1");
            }
            // An embedded form's thank-you page stays embedded and in its language:
            // in a frame no language cookie may be kept.
            if ctx.embed {
                q.append_pair("embed", "1");
            }
            q.append_pair("lang", ctx.lang.as_str());
            let to = format!("/f/{}/thanks?{}", f.key, q.finish());
            ctx.redirect(&to)
        }
        Err(e) if e.0.field.as_deref() == Some("email") => {
            let page = rerender(&errors, tr.t("form-has-errors"), tr.t("error-email"));
            ctx.page(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => {
            tracing::warn!("form submission failed: {}", e.0);
            if e.status().is_server_error() {
                ctx.failed(&e)
            } else {
                let page = rerender(&errors, tr.t("form-has-errors"), String::new());
                ctx.page(StatusCode::UNPROCESSABLE_ENTITY, &page)
            }
        }
    }
}

pub struct GivenView {
    pub title: String,
    pub description: String,
    pub based_on: String,
}

#[derive(askama::Template)]
#[template(path = "thanks.html")]
struct ThanksPage {
    page: Chrome,
    title: String,
    given: Vec<GivenView>,
    dropped: Vec<String>,
    signed_in: bool,
    confirm_email: bool,
}

pub async fn thanks(ctx: Ctx, Path(raw): Path<String>) -> Response {
    let Some(f) = load(&ctx, &raw) else {
        return ctx.error(StatusCode::NOT_FOUND, "error-no-form");
    };
    let schema = &f.schema.schema;
    let list = |name: &str| -> Vec<String> {
        ctx.query_value(name)
            .unwrap_or("")
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let declarations = match ctx.subject.clone() {
        Some(id) => {
            let (store, now) = (ctx.state.app.store.clone(), ctx.now());
            blocking(move || store.subject_data(&Actor::Subject(id.clone()), now, &id))
                .await
                .map(|d| d.declarations)
                .unwrap_or_default()
        }
        None => Vec::new(),
    };
    let tr = &ctx.tr;
    let given = list("given")
        .iter()
        .filter_map(|k| schema.purposes.iter().find(|(p, _)| p.as_str() == k))
        .filter(|(p, _)| f.spec.purposes.contains(p))
        .map(|(p, spec)| {
            let based: Vec<String> = declarations
                .iter()
                .filter_map(|d| schema.attributes.get(&d.attribute).map(|s| (d, s)))
                .filter(|(_, s)| s.purposes.contains(p))
                .map(|(d, s)| {
                    format!(
                        "{} – {}",
                        tr.text(&s.title),
                        display_value(tr, Some(s), &d.value)
                    )
                })
                .collect();
            GivenView {
                title: tr.text(&spec.title),
                description: tr.text(&spec.description),
                based_on: based.join("; "),
            }
        })
        .collect();
    let dropped = list("dropped")
        .iter()
        .filter_map(|k| schema.attributes.iter().find(|(a, _)| a.as_str() == k))
        .filter(|(a, _)| f.spec.attributes.contains(a))
        .map(|(_, s)| tr.text(&s.title))
        .collect();
    let page = ThanksPage {
        page: Chrome::new(&ctx, &tr.t("thanks-title"), ""),
        title: tr.text(&f.spec.title),
        given,
        dropped,
        signed_in: ctx.subject.is_some(),
        confirm_email: ctx.query_value("confirm").is_some(),
    };
    ctx.page(StatusCode::OK, &page)
}

pub struct FormLink {
    pub href: String,
    pub title: String,
}

#[derive(askama::Template)]
#[template(path = "home.html")]
struct HomePage {
    page: Chrome,
    forms: Vec<FormLink>,
}

/// The start page: the hosted forms, the preference centre and the privacy policy.
pub async fn home(ctx: Ctx) -> Response {
    let schema = ctx.state.app.store.schema();
    let forms = schema
        .schema
        .forms
        .iter()
        .map(|(k, f)| FormLink {
            href: format!("/f/{k}"),
            title: ctx.tr.text(&f.title),
        })
        .collect();
    let page = HomePage {
        page: Chrome::new(&ctx, &ctx.tr.t("home-title"), ""),
        forms,
    };
    ctx.page(StatusCode::OK, &page)
}
