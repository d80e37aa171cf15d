//! The public privacy policy, generated in each language from the configured
//! controller, purposes, attributes (data categories), recipients and
//! retention periods, and versioned: a change to any of them makes a new
//! version with its date. Also `/.well-known/gpc.json` (P17).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kerro_core::notice::sha256_hex;
use kerro_core::schema::{LegalBasis, Schema};
use serde_json::json;

use super::ctx::Ctx;
use super::form_notice::{basis_text, recipients_text};
use super::Chrome;
use crate::app::blocking;
use crate::config::Controller;

/// When kerro started honouring Global Privacy Control (the spec's `lastUpdate`).
const GPC_SINCE: &str = "2026-11-29";

/// The hash that versions the policy: everything the policy is generated from.
pub fn policy_sha256(controller: &Controller, schema: &Schema) -> String {
    let attributes: serde_json::Map<String, serde_json::Value> = schema
        .attributes
        .iter()
        .map(|(k, a)| {
            (
                k.to_string(),
                json!({"title": a.title, "purposes": a.purposes, "special": a.special_category}),
            )
        })
        .collect();
    let mut doc = json!({
        "version": 1,
        "controller": controller,
        "purposes": schema.purposes,
        "attributes": attributes,
    });
    // The policy shows recipients by name, so renaming one makes a new
    // version; a policy without registered recipients hashes as before.
    if !schema.recipients.is_empty() {
        doc["recipients"] = json!(schema.recipients);
    }
    sha256_hex(doc.to_string().as_bytes())
}

pub struct PolicyPurpose {
    pub key: String,
    pub title: String,
    pub description: String,
    pub basis: String,
    pub consent: bool,
    pub categories: Vec<String>,
    pub recipients: String,
    pub retention: String,
}

pub struct VersionRow {
    pub version: u32,
    pub date: String,
}

#[derive(askama::Template)]
#[template(path = "privacy.html")]
struct PolicyPage {
    page: Chrome,
    controller: Controller,
    purposes: Vec<PolicyPurpose>,
    versions: Vec<VersionRow>,
    current: String,
}

pub async fn page(ctx: Ctx) -> Response {
    let snapshot = ctx.state.app.store.schema();
    let schema = &snapshot.schema;
    let controller = ctx.state.app.config.controller.clone();
    let sha = policy_sha256(&controller, schema);
    let (store, now) = (ctx.state.app.store.clone(), ctx.now());
    let versions = match blocking(move || store.privacy_policy_versions(now, &sha)).await {
        Ok(v) => v,
        Err(e) => return ctx.failed(&e),
    };
    let tr = &ctx.tr;
    let purposes = schema
        .purposes
        .iter()
        .map(|(k, p)| PolicyPurpose {
            key: k.to_string(),
            title: tr.text(&p.title),
            description: tr.text(&p.description),
            basis: basis_text(tr, p.legal_basis),
            consent: p.legal_basis == LegalBasis::Consent,
            categories: schema
                .attributes
                .values()
                .filter(|a| a.purposes.contains(k))
                .map(|a| {
                    let t = tr.text(&a.title);
                    if a.special_category {
                        tr.t1("privacy-special", "category", &t)
                    } else {
                        t
                    }
                })
                .collect(),
            recipients: recipients_text(tr, &schema.recipient_names(p)),
            retention: tr.tn("retention-days", "days", i64::from(p.retention_days)),
        })
        .collect();
    let current = versions
        .last()
        .map(|v| {
            tr.t1(
                "privacy-version",
                "version",
                &format!("{} ({})", v.version, tr.date(&v.created_at)),
            )
        })
        .unwrap_or_default();
    let versions = versions
        .iter()
        .rev()
        .map(|v| VersionRow {
            version: v.version,
            date: tr.date(&v.created_at),
        })
        .collect();
    let page = PolicyPage {
        page: Chrome::new(&ctx, &tr.t("privacy-title"), ""),
        controller,
        purposes,
        versions,
        current,
    };
    ctx.page(StatusCode::OK, &page)
}

/// `/.well-known/gpc.json`: the Global Privacy Control support resource.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GpcSupport {
    pub gpc: bool,
    pub last_update: &'static str,
}

/// The Global Privacy Control support resource.
pub async fn gpc_json() -> Response {
    axum::Json(GpcSupport {
        gpc: true,
        last_update: GPC_SINCE,
    })
    .into_response()
}
