//! The rights requests staff page (`/admin/requests`, P15): open requests by
//! due date with the overdue ones marked, recording a request received by
//! e-mail or post, and on each request verifying the requester, extending,
//! completing with evidence, or fulfilling it (an erasure, an export) so
//! that what was done is recorded against it. Admin, support and dpo.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use kerro_core::ids::SubjectId;
use kerro_core::rights_request::{RequestChannel, RightKind};
use kerro_core::{CoreError, ErrorCode, Role};
use kerro_store::{NewRightsRequest, RequestFilter, RightsRequest};

use super::ctx::{Ctx, Posted};
use super::staff::allowed_or_return;
use super::Chrome;
use crate::app::{attachment, blocking, well_formed_id, AppError};

/// Who handles rights requests on the pages (as `RightsRequests` on the API).
const HANDLERS: [Role; 3] = [Role::Admin, Role::Support, Role::Dpo];
/// The most requests the list shows.
const LIST_MAX: u32 = 500;

/// One request as the pages show it.
pub struct Row {
    pub r: RightsRequest,
    pub kind: String,
    pub channel: String,
    pub received: String,
    pub due: String,
    /// The state, in words.
    pub state: String,
}

fn row(ctx: &Ctx, r: RightsRequest) -> Row {
    Row {
        kind: ctx.tr.t(&format!("requests-kind-{}", r.kind.as_str())),
        channel: ctx
            .tr
            .t(&format!("requests-channel-{}", r.channel.as_str())),
        received: r.received_at.format("%Y-%m-%d").to_string(),
        due: r.due_at.format("%Y-%m-%d").to_string(),
        state: ctx.tr.t(&format!("requests-state-{}", r.state)),
        r,
    }
}

/// What a form posted, kept to show again beside its error.
#[derive(Default)]
pub struct Typed {
    pub subject: String,
    pub kind: String,
    pub received: String,
    pub channel: String,
    pub note: String,
}

#[derive(askama::Template)]
#[template(path = "staff_requests.html")]
struct ListPage {
    page: Chrome,
    state: String,
    rows: Vec<Row>,
    typed: Typed,
    kinds: Vec<(&'static str, String)>,
    channels: Vec<(&'static str, String)>,
    error_field: String,
    error: String,
}

fn list_page(
    ctx: &Ctx,
    state: &str,
    rows: Vec<Row>,
    typed: Typed,
    e: Option<CoreError>,
) -> ListPage {
    let (error_field, error) = e
        .map(|e| (e.field.unwrap_or_default(), e.message))
        .unwrap_or_default();
    ListPage {
        page: Chrome::new(ctx, &ctx.tr.t("requests-title"), "/admin/requests"),
        state: state.to_owned(),
        rows,
        typed,
        kinds: RightKind::ALL
            .into_iter()
            .map(|k| {
                (
                    k.as_str(),
                    ctx.tr.t(&format!("requests-kind-{}", k.as_str())),
                )
            })
            .collect(),
        channels: RequestChannel::ALL
            .into_iter()
            .filter(|c| *c != RequestChannel::SelfService)
            .map(|c| {
                (
                    c.as_str(),
                    ctx.tr.t(&format!("requests-channel-{}", c.as_str())),
                )
            })
            .collect(),
        error_field,
        error,
    }
}

fn filter_of(ctx: &Ctx) -> (&'static str, RequestFilter) {
    match ctx.query_value("state") {
        Some("overdue") => ("overdue", RequestFilter::Overdue),
        Some("all") => ("all", RequestFilter::All),
        _ => ("open", RequestFilter::Open),
    }
}

async fn load_rows(ctx: &Ctx, filter: RequestFilter) -> Result<Vec<Row>, AppError> {
    let (store, now) = (ctx.state.app.store.clone(), ctx.now());
    let list = blocking(move || store.rights_requests(filter, now, LIST_MAX)).await?;
    Ok(list.into_iter().map(|r| row(ctx, r)).collect())
}

/// `GET /admin/requests`: the register, open requests by due date by default.
pub async fn list(ctx: Ctx) -> Response {
    allowed_or_return!(ctx, &HANDLERS);
    let (state, filter) = filter_of(&ctx);
    match load_rows(&ctx, filter).await {
        Ok(rows) => {
            let page = list_page(&ctx, state, rows, Typed::default(), None);
            ctx.page(StatusCode::OK, &page)
        }
        Err(e) => ctx.failed(&e),
    }
}

/// `GET /admin/requests.csv`: the register's export, as the API's.
pub async fn csv(ctx: Ctx) -> Response {
    allowed_or_return!(ctx, &HANDLERS);
    let (_, filter) = filter_of(&ctx);
    let (store, now) = (ctx.state.app.store.clone(), ctx.now());
    match blocking(move || store.rights_requests(filter, now, LIST_MAX)).await {
        Ok(list) => match crate::documents::rights_requests_csv(&list) {
            Ok(body) => attachment("text/csv; charset=utf-8", "kerro-rights-requests.csv", body),
            Err(_) => ctx.error(StatusCode::INTERNAL_SERVER_ERROR, "error-internal"),
        },
        Err(e) => ctx.failed(&e),
    }
}

/// Reads the record form; an error names the form's field.
fn read_new(posted: &Posted, now: DateTime<Utc>) -> (Typed, Result<NewRightsRequest, CoreError>) {
    let get = |k: &str| posted.get(k).unwrap_or("").trim().to_owned();
    let typed = Typed {
        subject: get("subject"),
        kind: get("kind"),
        received: get("received"),
        channel: get("channel"),
        note: get("note"),
    };
    let read = || -> Result<NewRightsRequest, CoreError> {
        let subject = SubjectId::parse(&typed.subject)
            .map_err(|_| CoreError::not_found("subject", "no such subject"))?;
        let kind = RightKind::parse(&typed.kind)
            .ok_or_else(|| CoreError::invalid("kind", "choose the right the request exercises"))?;
        let channel = RequestChannel::parse(&typed.channel)
            .filter(|c| *c != RequestChannel::SelfService)
            .ok_or_else(|| CoreError::invalid("channel", "choose how the request arrived"))?;
        let received_at = if typed.received.is_empty() {
            now
        } else {
            kerro_core::time::parse_date(&typed.received)
                .map(|d: NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc())
                .ok_or_else(|| CoreError::invalid("received", "a date as YYYY-MM-DD"))?
        };
        Ok(NewRightsRequest {
            subject,
            kind,
            received_at,
            channel,
            note: (!typed.note.is_empty()).then(|| typed.note.clone()),
        })
    };
    let r = read();
    (typed, r)
}

/// The API's field names, as the form's.
fn form_field(mut e: CoreError) -> CoreError {
    if e.field.as_deref() == Some("received_at") {
        e.field = Some("received".into());
    }
    e
}

/// `POST /admin/requests`: records a request received outside kerro.
pub async fn create(ctx: Ctx, posted: Posted) -> Response {
    if !ctx.csrf_ok(&posted) {
        return ctx.csrf_failed();
    }
    let actor = allowed_or_return!(ctx, &HANDLERS);
    let (typed, new) = read_new(&posted, ctx.now());
    let created = match new {
        Ok(new) => {
            let (store, now, actor) = (ctx.state.app.store.clone(), ctx.now(), actor);
            blocking(move || store.create_rights_request(&actor, now, new)).await
        }
        Err(e) => Err(AppError(e)),
    };
    match created {
        Ok(r) => {
            let lang = ctx.lang;
            ctx.redirect(&format!("/admin/requests/{}?lang={lang}", r.id))
        }
        Err(AppError(e)) if e.code != ErrorCode::Internal && e.code != ErrorCode::Unavailable => {
            let rows = load_rows(&ctx, RequestFilter::Open)
                .await
                .unwrap_or_default();
            let status = crate::app::status_of(e.code);
            let page = list_page(&ctx, "open", rows, typed, Some(form_field(e)));
            ctx.page(status, &page)
        }
        Err(e) => ctx.failed(&e),
    }
}

#[derive(askama::Template)]
#[template(path = "staff_request.html")]
struct DetailPage {
    page: Chrome,
    req: Row,
    error_field: String,
    error: String,
    /// Which fulfilment the request offers: `erase`, `export` or none.
    fulfil: &'static str,
}

fn fulfil_of(r: &RightsRequest) -> &'static str {
    match r.kind {
        _ if r.completed_at.is_some() || r.identity_verified_at.is_none() => "",
        RightKind::Erasure => "erase",
        RightKind::Access | RightKind::Portability => "export",
        _ => "",
    }
}

fn request_id(raw: &str) -> Option<String> {
    well_formed_id(raw, "rr_").then(|| raw.to_owned())
}

async fn detail(ctx: Ctx, id: &str, status: StatusCode, e: Option<CoreError>) -> Response {
    let (store, now, id) = (ctx.state.app.store.clone(), ctx.now(), id.to_owned());
    match blocking(move || store.rights_request(&id, now)).await {
        Ok(r) => {
            let (error_field, error) = e
                .map(|e| (e.field.unwrap_or_default(), e.message))
                .unwrap_or_default();
            let fulfil = fulfil_of(&r);
            let page = DetailPage {
                page: Chrome::new(&ctx, &ctx.tr.t("requests-one-title"), "/admin/requests"),
                req: row(&ctx, r),
                error_field,
                error,
                fulfil,
            };
            ctx.page(status, &page)
        }
        Err(e) => ctx.failed(&e),
    }
}

/// `GET /admin/requests/{id}`.
pub async fn one(ctx: Ctx, Path(id): Path<String>) -> Response {
    allowed_or_return!(ctx, &HANDLERS);
    match request_id(&id) {
        Some(id) => detail(ctx, &id, StatusCode::OK, None).await,
        None => ctx.error(StatusCode::NOT_FOUND, "error-not-found"),
    }
}

/// What a change on one request does.
enum Change {
    Verify,
    Extend(u32, String),
    Complete(String),
    Erase,
}

/// Runs a change on one request and shows it again, with the error beside
/// its field when the change was refused.
async fn change(
    ctx: Ctx,
    posted: Posted,
    id: String,
    what: impl FnOnce(&Posted) -> Change,
) -> Response {
    if !ctx.csrf_ok(&posted) {
        return ctx.csrf_failed();
    }
    let actor = allowed_or_return!(ctx, &HANDLERS);
    let Some(id) = request_id(&id) else {
        return ctx.error(StatusCode::NOT_FOUND, "error-not-found");
    };
    let change = what(&posted);
    let (store, now, actor, rid) = (ctx.state.app.store.clone(), ctx.now(), actor, id.clone());
    let done = blocking(move || match change {
        Change::Verify => store.verify_rights_request(&actor, now, &rid).map(|_| ()),
        Change::Extend(months, reason) => store
            .extend_rights_request(&actor, now, &rid, months, &reason)
            .map(|_| ()),
        Change::Complete(evidence) => store
            .complete_rights_request(&actor, now, &rid, &evidence)
            .map(|_| ()),
        Change::Erase => store.fulfil_erasure(&actor, now, &rid).map(|_| ()),
    })
    .await;
    match done {
        Ok(()) => {
            let lang = ctx.lang;
            ctx.redirect(&format!("/admin/requests/{id}?lang={lang}"))
        }
        Err(AppError(e)) if e.code == ErrorCode::NotFound && e.field.as_deref() == Some("id") => {
            ctx.error(StatusCode::NOT_FOUND, "error-not-found")
        }
        Err(AppError(e)) if e.code != ErrorCode::Internal && e.code != ErrorCode::Unavailable => {
            let status = crate::app::status_of(e.code);
            detail(ctx, &id, status, Some(e)).await
        }
        Err(e) => ctx.failed(&e),
    }
}

pub async fn verify(ctx: Ctx, Path(id): Path<String>, posted: Posted) -> Response {
    change(ctx, posted, id, |_| Change::Verify).await
}

pub async fn extend(ctx: Ctx, Path(id): Path<String>, posted: Posted) -> Response {
    change(ctx, posted, id, |p| {
        Change::Extend(
            p.get("months").and_then(|m| m.parse().ok()).unwrap_or(0),
            p.get("reason").unwrap_or("").to_owned(),
        )
    })
    .await
}

pub async fn complete(ctx: Ctx, Path(id): Path<String>, posted: Posted) -> Response {
    change(ctx, posted, id, |p| {
        Change::Complete(p.get("evidence").unwrap_or("").to_owned())
    })
    .await
}

pub async fn erase(ctx: Ctx, Path(id): Path<String>, posted: Posted) -> Response {
    change(ctx, posted, id, |_| Change::Erase).await
}

/// `POST /admin/requests/{id}/export`: the subject's export (JSON) for an
/// access or portability request whose requester was verified; the read is
/// audited with the request as its reason, and the request completed.
pub async fn export(ctx: Ctx, Path(id): Path<String>, posted: Posted) -> Response {
    if !ctx.csrf_ok(&posted) {
        return ctx.csrf_failed();
    }
    let actor = allowed_or_return!(ctx, &HANDLERS);
    let Some(id) = request_id(&id) else {
        return ctx.error(StatusCode::NOT_FOUND, "error-not-found");
    };
    let (store, now, actor, rid) = (ctx.state.app.store.clone(), ctx.now(), actor, id.clone());
    let found = blocking(move || {
        let r = store.rights_request(&rid, now)?;
        if fulfil_of(&r) != "export" {
            return Err(CoreError::new(
                ErrorCode::Conflict,
                "only an open access or portability request, its requester verified, is fulfilled by an export",
            )
            .into());
        }
        let reason = format!("rights request {rid}");
        let data = store.subject_data_because(&actor, now, &r.subject, Some(&reason), true)?;
        store.fulfil_export(&actor, now, &rid)?;
        Ok(data)
    })
    .await;
    match found {
        Ok(data) => {
            let doc = crate::documents::export(&ctx.state.app, &data, ctx.now());
            match serde_json::to_vec_pretty(&doc) {
                Ok(body) => attachment(
                    "application/json",
                    &crate::documents::export_file_name(&data.subject.id),
                    body,
                ),
                Err(_) => ctx.error(StatusCode::INTERNAL_SERVER_ERROR, "error-internal"),
            }
        }
        Err(AppError(e)) if e.code == ErrorCode::Conflict => {
            detail(ctx, &id, StatusCode::CONFLICT, Some(e)).await
        }
        Err(e) => ctx.failed(&e),
    }
}
