//! The preference centre's recipients (P21): the customer's choice about each
//! recipient of each sharing purpose, with a one-click switch either way, and
//! the log of every disclosure of their data, on the consents page.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use kerro_core::{Actor, ErrorCode};
use kerro_store::SubjectData;

use super::ctx::{Ctx, Posted};
use super::i18n::Tr;
use crate::app::blocking;
use crate::documents::{disclosure_views, recipient_consent_views};

/// One recipient of one sharing purpose, as the page shows it.
pub struct RecipientRow {
    pub purpose: String,
    pub purpose_title: String,
    pub recipient: String,
    pub name: String,
    pub country: String,
    pub state: String,
    pub active: bool,
    pub changed: bool,
}

/// One disclosure of the customer's data, in words.
pub struct DisclosureRow {
    pub day: String,
    pub name: String,
    pub purpose_title: String,
    pub fields: String,
    pub via: String,
}

pub fn recipient_rows(ctx: &Ctx, tr: &Tr, data: &SubjectData) -> Vec<RecipientRow> {
    let changed = ctx.query_value("changed_recipient").unwrap_or("");
    recipient_consent_views(&ctx.state.app, data, ctx.lang)
        .into_iter()
        .map(|v| {
            let state = match (v.state, v.changed_at) {
                (Some(s), Some(at)) => tr.t1(
                    &format!("consent-state-{}", s.as_str()),
                    "date",
                    &tr.date(&at),
                ),
                _ => tr.t("consent-state-none"),
            };
            let id = format!("{}.{}", v.purpose, v.recipient);
            RecipientRow {
                changed: changed == id,
                purpose: v.purpose.to_string(),
                purpose_title: v.purpose_title,
                recipient: v.recipient.to_string(),
                name: v.recipient_name,
                country: v.country,
                state,
                active: v.state.is_some_and(|s| s.is_active()),
            }
        })
        .collect()
}

pub fn disclosure_rows(ctx: &Ctx, tr: &Tr, data: &SubjectData) -> Vec<DisclosureRow> {
    let schema = ctx.state.app.store.schema();
    disclosure_views(&ctx.state.app, data)
        .into_iter()
        .rev()
        .map(|d| DisclosureRow {
            day: tr.date(&d.at),
            purpose_title: schema
                .schema
                .purposes
                .get(&d.purpose)
                .map_or_else(|| d.purpose.to_string(), |p| tr.text(&p.title)),
            name: d.recipient_name,
            fields: d.fields.join(", "),
            via: tr.t(&format!("disclosure-via-{}", d.via.as_str())),
        })
        .collect()
}

/// One click either way for one recipient of a sharing purpose.
pub async fn toggle(
    ctx: Ctx,
    Path((purpose, recipient)): Path<(String, String)>,
    posted: Posted,
) -> Response {
    if !ctx.csrf_ok(&posted) {
        return ctx.csrf_failed();
    }
    let Some(id) = ctx.subject.clone() else {
        return ctx.sign_in_first();
    };
    let given = posted.get("given") == Some("true");
    let (store, now, lang) = (ctx.state.app.store.clone(), ctx.now(), ctx.lang);
    let (p, r) = (purpose.clone(), recipient.clone());
    match blocking(move || {
        store.set_recipient_consent(
            &Actor::Subject(id.clone()),
            now,
            &id,
            &p,
            &r,
            given,
            Some(lang),
        )
    })
    .await
    {
        Ok(_) => {
            let mut q = form_urlencoded::Serializer::new(String::new());
            q.append_pair("changed_recipient", &format!("{purpose}.{recipient}"));
            ctx.redirect(&format!(
                "/me/consents?{}#recipient-{purpose}-{recipient}",
                q.finish()
            ))
        }
        // A purpose that shares with no one, or not with this recipient, has no switch.
        Err(e) if matches!(e.0.code, ErrorCode::InvalidValue | ErrorCode::NotFound) => {
            ctx.error(StatusCode::NOT_FOUND, "error-not-found")
        }
        Err(e) => ctx.failed(&e),
    }
}
