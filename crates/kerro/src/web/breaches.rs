//! The breach register's staff pages (admin and dpo): `/admin/breaches`
//! lists every breach with a countdown to each open breach's deadline,
//! server-rendered (no script); `/admin/breaches/{id}` shows one with its
//! phases, scope and messages, and takes an update (text and stage) and the
//! notification to the authority from its forms (CSRF-checked, audited under
//! the person's name); `/admin/breaches/{id}/notification` is the
//! printable art. 33 notification and `/admin/breaches/{id}/subjects.csv`
//! the scoped subjects' ids (the download is audited by the store).
//! What the API renders too (the notification, the messages, the CSV) is
//! `breach_documents`'.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, TimeDelta, Utc};
use kerro_core::Role;
use kerro_store::Breach;

use super::breach_documents::{
    csv_download, html_response, is_breach_id, notification, notification_html, register_csv,
    subjects_csv,
};
use super::ctx::{Ctx, Posted};
use super::i18n::Tr;
use super::staff::allowed_or_return;
use super::Chrome;
use crate::app::{blocking, AppError};

/// Roles that keep the registers.
pub const ROLES: [Role; 2] = [Role::Admin, Role::Dpo];

/// The time left to a deadline, or past it, in the page's words.
fn countdown(tr: &Tr, deadline: DateTime<Utc>, now: DateTime<Utc>) -> (String, bool) {
    let left = deadline - now;
    let overdue = left < TimeDelta::zero();
    let m = left.num_minutes().unsigned_abs();
    let (h, m) = ((m / 60).to_string(), (m % 60).to_string());
    let id = if overdue {
        "breach-overdue"
    } else {
        "breach-left"
    };
    (tr.t2(id, "hours", &h, "minutes", &m), overdue)
}

/// One breach as the list shows it.
pub struct Row {
    pub id: String,
    pub aware_at: String,
    pub deadline: String,
    pub deadline_iso: String,
    pub stage: String,
    pub nature: String,
    /// The countdown (open), or when the authority was notified.
    pub status: String,
    pub overdue: bool,
    pub notified: bool,
}

fn row(tr: &Tr, b: &Breach, now: DateTime<Utc>) -> Row {
    let (status, overdue) = match &b.notification {
        Some(n) => {
            let id = if n.late {
                "breach-notified-late"
            } else {
                "breach-notified"
            };
            (tr.t1(id, "time", &tr.time(&n.notified_at)), false)
        }
        None => countdown(tr, b.deadline, now),
    };
    let nature: String = b.nature.chars().take(120).collect();
    Row {
        id: b.id.clone(),
        aware_at: tr.time(&b.aware_at),
        deadline: tr.time(&b.deadline),
        deadline_iso: kerro_core::consent::format_time(&b.deadline),
        stage: tr.t(&format!("breach-stage-{}", b.stage)),
        nature,
        status,
        overdue,
        notified: b.notification.is_some(),
    }
}

#[derive(askama::Template)]
#[template(path = "admin_breaches.html")]
struct ListPage {
    page: Chrome,
    rows: Vec<Row>,
    now: String,
}

/// `GET /admin/breaches`.
pub async fn list(ctx: Ctx) -> Response {
    let _actor = allowed_or_return!(ctx, &ROLES);
    let store = ctx.state.app.store.clone();
    let all = match blocking(move || store.breaches()).await {
        Ok(b) => b,
        Err(e) => return ctx.failed(&e),
    };
    let now = ctx.now();
    let view = ListPage {
        page: Chrome::new(&ctx, &ctx.tr.t("breach-title"), "/admin/breaches"),
        rows: all.iter().map(|b| row(&ctx.tr, b, now)).collect(),
        now: ctx.tr.time(&now),
    };
    ctx.page(StatusCode::OK, &view)
}

/// One phase as the page shows it.
pub struct Phase {
    pub phase: u32,
    pub label: String,
    pub at: String,
    pub by: String,
    pub text: String,
    pub changes: String,
}

/// One art. 34 message as the page lists it.
pub struct Message {
    pub subject: String,
    pub lang: String,
    pub outcome: String,
    pub reason: String,
    pub at: String,
    pub by: String,
}

#[derive(askama::Template)]
#[template(path = "admin_breach.html")]
struct DetailPage {
    page: Chrome,
    messages: Vec<Message>,
    /// The field a refused form named, and why.
    error_field: String,
    error: String,
    /// (value, label) of each stage, for the update form.
    stages: Vec<(&'static str, String)>,
    row: Row,
    b: Breach,
    phases: Vec<Phase>,
    notified_at: String,
    scope_window: String,
    scope_at: String,
    scope_counts: String,
    scope_unnamed: String,
    messages_line: String,
}

/// `GET /admin/breaches/{id}`.
pub async fn detail(ctx: Ctx, Path(id): Path<String>) -> Response {
    let _actor = allowed_or_return!(ctx, &ROLES);
    if !is_breach_id(&id) {
        return ctx.error(StatusCode::NOT_FOUND, "error-not-found");
    }
    render_detail(ctx, id, StatusCode::OK, None).await
}

/// A form's field in error, and what to say about it.
struct FormError {
    field: String,
    message: String,
}

/// The detail page, with a form's error if one was refused.
async fn render_detail(
    ctx: Ctx,
    id: String,
    status: StatusCode,
    error: Option<FormError>,
) -> Response {
    let store = ctx.state.app.store.clone();
    let found = blocking(move || Ok((store.breach(&id)?, store.breach_messages(&id)?))).await;
    let (b, messages) = match found {
        Ok(b) => b,
        Err(e) => return ctx.failed(&e),
    };
    let tr = &ctx.tr;
    let now = ctx.now();
    let messages = messages
        .into_iter()
        .map(|m| Message {
            at: tr.time(&m.at),
            subject: m.subject,
            lang: m.lang.unwrap_or_default(),
            outcome: tr.t(&format!("breach-outcome-{}", m.outcome)),
            reason: m.reason.unwrap_or_default(),
            by: m.by,
        })
        .collect();
    let phases = b
        .updates
        .iter()
        .map(|u| Phase {
            phase: u.phase,
            label: tr.tn("breach-phase", "phase", i64::from(u.phase)),
            at: tr.time(&u.at),
            by: u.by.clone(),
            text: u.text.clone(),
            changes: u
                .changes
                .as_object()
                .map(|o| o.keys().cloned().collect::<Vec<_>>().join(", "))
                .unwrap_or_default(),
        })
        .collect();
    let (error_field, error) = match error {
        Some(e) => (e.field, e.message),
        None => (String::new(), String::new()),
    };
    let view = DetailPage {
        page: Chrome::new(&ctx, &tr.t("breach-title"), "/admin/breaches"),
        messages,
        error_field,
        error,
        stages: kerro_core::breach::Stage::ALL
            .iter()
            .map(|s| (s.as_str(), tr.t(&format!("breach-stage-{}", s.as_str()))))
            .collect(),
        row: row(tr, &b, now),
        phases,
        notified_at: b
            .notification
            .as_ref()
            .map(|n| tr.time(&n.notified_at))
            .unwrap_or_default(),
        scope_window: b
            .scope
            .as_ref()
            .map(|s| format!("{} – {}", tr.time(&s.from), tr.time(&s.to)))
            .unwrap_or_default(),
        scope_at: b
            .scope
            .as_ref()
            .map(|s| tr.time(&s.computed_at))
            .unwrap_or_default(),
        scope_counts: b
            .scope
            .as_ref()
            .map(|s| {
                tr.t2(
                    "breach-scope-counts",
                    "subjects",
                    &s.subjects.to_string(),
                    "records",
                    &s.records.to_string(),
                )
            })
            .unwrap_or_default(),
        scope_unnamed: b
            .scope
            .as_ref()
            .filter(|s| s.unnamed_subjects > 0)
            .map(|s| {
                tr.tn(
                    "breach-scope-unnamed",
                    "count",
                    i64::try_from(s.unnamed_subjects).unwrap_or(i64::MAX),
                )
            })
            .unwrap_or_default(),
        messages_line: tr.t2(
            "breach-messages-counts",
            "sent",
            &b.messages.sent.to_string(),
            "skipped",
            &(b.messages.skipped + b.messages.failed).to_string(),
        ),
        b,
    };
    ctx.page(status, &view)
}

/// What a refused form says: the field's label and why, in the page's language.
fn form_error(ctx: &Ctx, e: &AppError) -> Option<FormError> {
    use kerro_core::ErrorCode::*;
    if !matches!(e.0.code, InvalidValue | InvalidRequest | Conflict) {
        return None;
    }
    let field = e.0.field.clone().unwrap_or_default();
    let label = match field.as_str() {
        "text" => "breach-form-text",
        "authority_ref" => "breach-form-authority-ref",
        "notified_at" => "breach-notified-at",
        "late_reason" => "breach-late-reason",
        _ => "breach-form-input",
    };
    let why = match (e.0.code, field.as_str()) {
        (Conflict, _) => "breach-form-conflict",
        (_, "late_reason") => "breach-form-late",
        (_, "notified_at") => "breach-form-time",
        _ => "breach-form-text-rule",
    };
    Some(FormError {
        message: format!("{}: {}", ctx.tr.t(label), ctx.tr.t(why)),
        field,
    })
}

/// Answers a form's store call: back to the breach when it worked, the page
/// with the form's error when it was refused, the error page otherwise.
async fn after_form(ctx: Ctx, id: String, done: Result<kerro_store::Breach, AppError>) -> Response {
    match done {
        Ok(_) => {
            let lang = ctx.lang;
            ctx.redirect(&format!("/admin/breaches/{id}?lang={lang}"))
        }
        Err(e) => match form_error(&ctx, &e) {
            Some(fe) => render_detail(ctx, id, e.status(), Some(fe)).await,
            None => ctx.failed(&e),
        },
    }
}

/// `POST /admin/breaches/{id}/updates`: the next phase, from the page (text and stage).
pub async fn post_update(ctx: Ctx, Path(id): Path<String>, posted: Posted) -> Response {
    if !ctx.csrf_ok(&posted) {
        return ctx.csrf_failed();
    }
    let actor = allowed_or_return!(ctx, &ROLES);
    if !is_breach_id(&id) {
        return ctx.error(StatusCode::NOT_FOUND, "error-not-found");
    }
    let text = posted.get("text").unwrap_or("").to_owned();
    let stage = match posted.get("stage").unwrap_or("") {
        "" => None,
        raw => match kerro_core::breach::Stage::parse(raw) {
            Some(s) => Some(s),
            None => return ctx.error(StatusCode::BAD_REQUEST, "error-invalid"),
        },
    };
    let amendment = kerro_core::breach::Amendment {
        stage,
        ..Default::default()
    };
    let (store, now, target) = (ctx.state.app.store.clone(), ctx.now(), id.clone());
    let done = blocking(move || store.update_breach(&actor, now, &target, text, amendment)).await;
    after_form(ctx, id, done).await
}

/// `POST /admin/breaches/{id}/notified`: the notification to the authority, from the page.
pub async fn post_notified(ctx: Ctx, Path(id): Path<String>, posted: Posted) -> Response {
    if !ctx.csrf_ok(&posted) {
        return ctx.csrf_failed();
    }
    let actor = allowed_or_return!(ctx, &ROLES);
    if !is_breach_id(&id) {
        return ctx.error(StatusCode::NOT_FOUND, "error-not-found");
    }
    let authority_ref = posted.get("authority_ref").unwrap_or("").trim().to_owned();
    let late_reason = Some(posted.get("late_reason").unwrap_or("").trim())
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    let at = posted.get("notified_at").unwrap_or("").trim();
    let Ok(notified_at) = DateTime::parse_from_rfc3339(at) else {
        let e = AppError(kerro_core::CoreError::at(
            kerro_core::ErrorCode::InvalidRequest,
            "notified_at",
            "not an RFC 3339 time",
        ));
        return after_form(ctx, id, Err(e)).await;
    };
    let notified_at = chrono::SubsecRound::trunc_subsecs(notified_at.with_timezone(&Utc), 6);
    let (store, now, target) = (ctx.state.app.store.clone(), ctx.now(), id.clone());
    let done = blocking(move || {
        store.notify_breach(
            &actor,
            now,
            &target,
            authority_ref,
            notified_at,
            late_reason,
        )
    })
    .await;
    after_form(ctx, id, done).await
}

/// `GET /admin/breaches/{id}/notification`: the printable art. 33 notification.
pub async fn notification_page(ctx: Ctx, Path(id): Path<String>) -> Response {
    let _actor = allowed_or_return!(ctx, &ROLES);
    if !is_breach_id(&id) {
        return ctx.error(StatusCode::NOT_FOUND, "error-not-found");
    }
    let store = ctx.state.app.store.clone();
    let b = match blocking(move || store.breach(&id)).await {
        Ok(b) => b,
        Err(e) => return ctx.failed(&e),
    };
    let n = notification(&ctx.state.app, &b, ctx.now());
    match notification_html(&n, ctx.lang, ctx.state.app.config.default_language) {
        Ok(html) => ctx.finish(html_response(StatusCode::OK, html)),
        Err(e) => {
            tracing::error!("cannot render the notification: {e}");
            ctx.error(StatusCode::INTERNAL_SERVER_ERROR, "error-internal")
        }
    }
}

/// `GET /admin/breaches.csv`: the register.
pub async fn register_download(ctx: Ctx) -> Response {
    let _actor = allowed_or_return!(ctx, &ROLES);
    let store = ctx.state.app.store.clone();
    let all = match blocking(move || store.breaches()).await {
        Ok(b) => b,
        Err(e) => return ctx.failed(&e),
    };
    match register_csv(&all) {
        Ok(body) => ctx.finish(csv_download("kerro-breaches.csv", body)),
        Err(e) => {
            tracing::error!("cannot write the breach register CSV: {e}");
            ctx.error(StatusCode::INTERNAL_SERVER_ERROR, "error-internal")
        }
    }
}

/// `GET /admin/breaches/{id}/subjects.csv`: the scoped subjects (audited).
pub async fn subjects_download(ctx: Ctx, Path(id): Path<String>) -> Response {
    let actor = allowed_or_return!(ctx, &ROLES);
    if !is_breach_id(&id) {
        return ctx.error(StatusCode::NOT_FOUND, "error-not-found");
    }
    let (store, now) = (ctx.state.app.store.clone(), ctx.now());
    let ids = match blocking(move || store.breach_subject_ids(&actor, now, &id)).await {
        Ok(i) => i,
        Err(e) => return ctx.failed(&e),
    };
    match subjects_csv(&ids) {
        Ok(body) => ctx.finish(csv_download("kerro-breach-subjects.csv", body)),
        Err(e) => {
            tracing::error!("cannot write the subjects CSV: {e}");
            ctx.error(StatusCode::INTERNAL_SERVER_ERROR, "error-internal")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::i18n::L10n;
    use super::*;
    use kerro_core::Lang;
    use std::sync::Arc;

    #[test]
    fn breach_ids_have_one_shape() {
        assert!(is_breach_id("brc_01ARZ3NDEKTSV4RRFFQ69G5FAV"));
        assert!(!is_breach_id("brc_01ARZ3NDEKTSV4RRFFQ69G5FA"));
        assert!(!is_breach_id("brc_01ARZ3NDEKTSV4RRFFQ69G5FA/"));
        assert!(!is_breach_id("sub_01ARZ3NDEKTSV4RRFFQ69G5FAV"));
    }

    #[test]
    fn the_countdown_says_hours_and_minutes() {
        let tr = Tr::new(Arc::new(L10n::load()), Lang::En, Lang::En);
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 3, 1, 9, 0, 0).unwrap();
        let (s, overdue) = countdown(&tr, now + TimeDelta::minutes(71 * 60 + 5), now);
        assert!(!overdue);
        assert!(s.contains("71") && s.contains('5'), "{s}");
        let (s, overdue) = countdown(&tr, now - TimeDelta::minutes(90), now);
        assert!(overdue);
        assert!(s.contains('1') && s.contains("30"), "{s}");
    }
}
