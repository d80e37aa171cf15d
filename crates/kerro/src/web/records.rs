//! The record of processing activities' staff page (`/admin/records`,
//! P22): a version of the record, the recipients register beside it, the
//! list of versions, and the same exports as the API (CSV, printable HTML);
//! and what went to each recipient (P21), with the disclosure register as CSV.
//! Admin and dpo. Recipients are written through the API only.

use axum::http::StatusCode;
use axum::response::Response;
use kerro_core::records::RecordOfProcessing;
use kerro_core::Role;
use kerro_store::RecordsVersion;

use super::breach_documents::html_response;
use super::ctx::Ctx;
use super::i18n::Tr;
use super::records_documents::{self as docs, PrintedActivity};
use super::staff::allowed_or_return;
use super::Chrome;
use crate::app::{attachment, blocking, AppError};

/// Who reads the record on the pages (as `Registers` on the API).
const READERS: [Role; 2] = [Role::Admin, Role::Dpo];

/// One registered recipient, in words.
pub struct RecipientRow {
    pub key: String,
    pub name: String,
    pub country: String,
    pub role: String,
    pub safeguard: String,
}

#[derive(askama::Template)]
#[template(path = "staff_records.html")]
struct Page {
    page: Chrome,
    tr: Tr,
    r: RecordOfProcessing,
    created: String,
    activities: Vec<PrintedActivity>,
    recipients: Vec<RecipientRow>,
    /// What went to each recipient, in sum (P21): (name, disclosures, subjects, latest).
    disclosed: Vec<(String, u64, u64, String)>,
    version_label: String,
    /// (version, its label, its time) of each version, the newest first.
    versions: Vec<(u32, String, String)>,
    /// `?version=N` of the shown version, for the export links ("" for the latest).
    query: String,
}

/// `?version=N` when given and well formed; `Err` answers 404.
fn version_of(ctx: &Ctx) -> Result<Option<u32>, ()> {
    match ctx.query_value("version") {
        None => Ok(None),
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0 && v.bytes().all(|b| b.is_ascii_digit()))
            .map(Some)
            .ok_or(()),
    }
}

async fn load(ctx: &Ctx) -> Result<(RecordOfProcessing, Vec<RecordsVersion>), AppError> {
    let version = version_of(ctx).map_err(|_| {
        AppError(kerro_core::CoreError::not_found(
            "version",
            "no such version",
        ))
    })?;
    let r = docs::load(&ctx.state.app, version).await?;
    let store = ctx.state.app.store.clone();
    let versions = blocking(move || store.records_versions()).await?;
    Ok((r, versions))
}

/// `GET /admin/records`: the latest version, or `?version=N`.
pub async fn page(ctx: Ctx) -> Response {
    allowed_or_return!(ctx, &READERS);
    let (r, versions) = match load(&ctx).await {
        Ok(x) => x,
        Err(e) => return ctx.failed(&e),
    };
    let tr = ctx.tr.clone();
    let recipients = ctx
        .state
        .app
        .store
        .recipients()
        .into_iter()
        .map(|(k, s)| RecipientRow {
            key: k.to_string(),
            name: s.name.clone(),
            country: s.country.clone(),
            role: tr.t(&format!("records-role-{}", s.role.as_str())),
            safeguard: s
                .safeguard
                .map(|g| tr.t(&format!("records-safeguard-{}", g.as_str())))
                .unwrap_or_else(|| "–".into()),
        })
        .collect();
    let names: std::collections::BTreeMap<String, String> = ctx
        .state
        .app
        .store
        .recipients()
        .into_iter()
        .map(|(k, s)| (k.to_string(), s.name))
        .collect();
    let store = ctx.state.app.store.clone();
    let disclosed = match blocking(move || store.disclosure_summary()).await {
        Ok(sums) => sums
            .into_iter()
            .map(|d| {
                (
                    names.get(&d.recipient).cloned().unwrap_or(d.recipient),
                    d.disclosures,
                    d.subjects,
                    tr.time(&d.last_at),
                )
            })
            .collect(),
        Err(e) => return ctx.failed(&e),
    };
    let query = match version_of(&ctx) {
        Ok(Some(v)) => format!("?version={v}"),
        _ => String::new(),
    };
    let page = Page {
        page: Chrome::new(&ctx, &tr.t("records-title"), "/admin/records"),
        created: r.created_at.map(|t| tr.time(&t)).unwrap_or_default(),
        version_label: tr.tn("records-version", "version", i64::from(r.version)),
        activities: docs::printed(&tr, &r),
        versions: versions
            .iter()
            .map(|v| {
                (
                    v.version,
                    tr.tn("records-version", "version", i64::from(v.version)),
                    tr.time(&v.created_at),
                )
            })
            .collect(),
        recipients,
        disclosed,
        query,
        tr,
        r,
    };
    ctx.page(StatusCode::OK, &page)
}

/// `GET /admin/records.csv`: the shown version as the API's CSV.
pub async fn csv(ctx: Ctx) -> Response {
    allowed_or_return!(ctx, &READERS);
    match load(&ctx).await {
        Ok((r, _)) => match docs::csv(&r) {
            Ok(body) => attachment(
                "text/csv; charset=utf-8",
                &format!("kerro-records-of-processing-v{}.csv", r.version),
                body,
            ),
            Err(_) => ctx.error(StatusCode::INTERNAL_SERVER_ERROR, "error-internal"),
        },
        Err(e) => ctx.failed(&e),
    }
}

/// `GET /admin/records/print`: the shown version as a printable page in the page's language.
pub async fn print(ctx: Ctx) -> Response {
    allowed_or_return!(ctx, &READERS);
    match load(&ctx).await {
        Ok((r, _)) => {
            let default = ctx.state.app.config.default_language;
            match docs::html(&r, ctx.lang, default) {
                Ok(html) => html_response(StatusCode::OK, html),
                Err(_) => ctx.error(StatusCode::INTERNAL_SERVER_ERROR, "error-internal"),
            }
        }
        Err(e) => ctx.failed(&e),
    }
}

/// `GET /admin/records/disclosures.csv`: the disclosure register as the API's CSV (audited).
pub async fn disclosures_csv(ctx: Ctx) -> Response {
    let actor = allowed_or_return!(ctx, &READERS);
    let (store, now) = (ctx.state.app.store.clone(), ctx.now());
    match blocking(move || store.disclosure_register(&actor, now, None)).await {
        Ok(list) => match crate::documents::disclosures_csv(&list) {
            Ok(body) => attachment("text/csv; charset=utf-8", "kerro-disclosures.csv", body),
            Err(_) => ctx.error(StatusCode::INTERNAL_SERVER_ERROR, "error-internal"),
        },
        Err(e) => ctx.failed(&e),
    }
}
