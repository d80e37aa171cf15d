//! The preference centre's record pages: consent history with receipts, the
//! download of everything held (the API's `kerro.export.v1` JSON, P12) and
//! erasure with one confirmation, then a page saying what was deleted and what
//! proof remains (P13).

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use kerro_core::Actor;

use super::ctx::{cookie, Ctx, Posted, SESSION_COOKIE};
use super::me::{load, signed_in, source_text};
use super::Chrome;
use crate::app::blocking;

pub struct EventRow {
    pub time: String,
    pub purpose: String,
    pub state: String,
    pub source: String,
    pub receipt: String,
}

#[derive(askama::Template)]
#[template(path = "me_history.html")]
struct HistoryPage {
    page: Chrome,
    events: Vec<EventRow>,
}

pub async fn history(ctx: Ctx) -> Response {
    let (_, data) = signed_in!(ctx);
    let tr = &ctx.tr;
    let schema = ctx.state.app.store.schema();
    let events = data
        .consents
        .iter()
        .rev()
        .map(|e| {
            let ev = &e.event;
            EventRow {
                time: tr.time(&ev.event_time),
                purpose: schema
                    .schema
                    .purposes
                    .get(&ev.purpose)
                    .map(|p| tr.text(&p.title))
                    .unwrap_or_else(|| ev.purpose.to_string()),
                state: tr.t(&format!("state-{}", ev.state.as_str())),
                source: source_text(
                    tr,
                    &ctx,
                    ev.notice.as_ref().and_then(|n| n.of.form()),
                    ev.notice.as_ref().map(|n| n.version),
                ),
                receipt: format!("/me/receipts/{}", ev.record_id),
            }
        })
        .collect();
    let page = HistoryPage {
        page: Chrome::new(&ctx, &tr.t("history-title"), "/me/history"),
        events,
    };
    ctx.page(StatusCode::OK, &page)
}

#[derive(askama::Template)]
#[template(path = "me_receipt.html")]
struct ReceiptPage {
    page: Chrome,
    record_id: String,
    purpose: String,
    state: String,
    time: String,
    json: String,
}

pub async fn receipt(ctx: Ctx, Path(record): Path<String>) -> Response {
    let Some(id) = ctx.subject.clone() else {
        return ctx.sign_in_first();
    };
    let (store, now) = (ctx.state.app.store.clone(), ctx.now());
    let r = record.clone();
    let data = match blocking(move || store.receipt(&Actor::Subject(id.clone()), now, &r)).await {
        // P16: another subject's record looks the same as an unknown one.
        Ok(d) if Some(&d.event.event.subject) == ctx.subject.as_ref() => d,
        Ok(_) => return ctx.error(StatusCode::NOT_FOUND, "error-not-found"),
        Err(e) => return ctx.failed(&e),
    };
    let doc = crate::documents::iso27560(&ctx.state.app, &data);
    let json = serde_json::to_string_pretty(&doc).unwrap_or_default();
    if ctx.query_value("download").is_some() {
        let disposition = format!("attachment; filename=\"{record}.json\"");
        return ctx.finish(
            (
                [
                    (header::CONTENT_TYPE, "application/json".to_owned()),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                json,
            )
                .into_response(),
        );
    }
    let tr = &ctx.tr;
    let ev = &data.event.event;
    let schema = ctx.state.app.store.schema();
    let page = ReceiptPage {
        page: Chrome::new(&ctx, &tr.t("receipt-title"), "/me/history"),
        record_id: ev.record_id.to_string(),
        purpose: schema
            .schema
            .purposes
            .get(&ev.purpose)
            .map(|p| tr.text(&p.title))
            .unwrap_or_else(|| ev.purpose.to_string()),
        state: tr.t(&format!("state-{}", ev.state.as_str())),
        time: tr.time(&ev.event_time),
        json,
    };
    ctx.page(StatusCode::OK, &page)
}

#[derive(askama::Template)]
#[template(path = "me_data.html")]
struct DataPage {
    page: Chrome,
    subject_id: String,
}

pub async fn data(ctx: Ctx) -> Response {
    let (id, _) = signed_in!(ctx);
    let page = DataPage {
        page: Chrome::new(&ctx, &ctx.tr.t("data-title"), "/me/data"),
        subject_id: id.to_string(),
    };
    ctx.page(StatusCode::OK, &page)
}

/// Everything held, as the API's export document (docs/export.md); the download is audited.
pub async fn export(ctx: Ctx) -> Response {
    let (id, data) = signed_in!(ctx);
    let now = ctx.now();
    let doc = crate::documents::export(&ctx.state.app, &data, now);
    let store = ctx.state.app.store.clone();
    let id2 = id.clone();
    if let Err(e) =
        blocking(move || store.note_export(&Actor::Subject(id2.clone()), now, &id2)).await
    {
        return ctx.failed(&e);
    }
    let body = serde_json::to_string_pretty(&doc).unwrap_or_default();
    let disposition = format!(
        "attachment; filename=\"{}\"",
        crate::documents::export_file_name(&id)
    );
    ctx.finish(
        (
            [
                (header::CONTENT_TYPE, "application/json".to_owned()),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            body,
        )
            .into_response(),
    )
}

#[derive(askama::Template)]
#[template(path = "me_delete.html")]
struct ConfirmDeletePage {
    page: Chrome,
    will_delete: String,
    will_keep: String,
}

pub async fn confirm_delete(ctx: Ctx) -> Response {
    let (_, data) = signed_in!(ctx);
    let page = ConfirmDeletePage {
        page: Chrome::new(&ctx, &ctx.tr.t("delete-title"), "/me/data"),
        will_delete: ctx.tr.tn(
            "delete-will-delete",
            "count",
            (data.declarations.len() + data.history.len()) as i64,
        ),
        will_keep: ctx
            .tr
            .tn("delete-will-keep", "count", data.consents.len() as i64),
    };
    ctx.page(StatusCode::OK, &page)
}

pub async fn delete(mut ctx: Ctx, posted: Posted) -> Response {
    if !ctx.csrf_ok(&posted) {
        return ctx.csrf_failed();
    }
    let Some(id) = ctx.subject.clone() else {
        return ctx.sign_in_first();
    };
    let (store, now) = (ctx.state.app.store.clone(), ctx.now());
    match blocking(move || store.erase(&Actor::Subject(id.clone()), now, &id)).await {
        Ok(summary) => {
            let secure = ctx.state.secure_cookies();
            ctx.set_cookie(cookie(SESSION_COOKIE, "", 0, secure));
            ctx.redirect(&format!(
                "/me/deleted?answers={}&kept={}",
                summary.declarations_deleted, summary.consent_events_kept
            ))
        }
        Err(e) => ctx.failed(&e),
    }
}

#[derive(askama::Template)]
#[template(path = "me_deleted.html")]
struct DeletedPage {
    page: Chrome,
    deleted: String,
    kept: String,
}

pub async fn deleted(ctx: Ctx) -> Response {
    let n = |name: &str| -> i64 {
        ctx.query_value(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let page = DeletedPage {
        page: Chrome::new(&ctx, &ctx.tr.t("deleted-title"), ""),
        deleted: ctx.tr.tn("deleted-answers", "count", n("answers")),
        kept: ctx.tr.tn("deleted-kept", "count", n("kept")),
    };
    ctx.page(StatusCode::OK, &page)
}
