//! The staff's read-only overview at `/admin`: consent rates per purpose over
//! time, the distribution of declared answers, rights requests and erasures
//! per week, and the minimisation report. Staff sign in as named people
//! (`staff.rs`); the page shows aggregates only, and reading them is audited
//! under the person's name.

use axum::http::StatusCode;
use axum::response::Response;
use kerro_core::Role;
use std::collections::BTreeSet;

use super::charts;
use super::ctx::Ctx;
use super::staff::require_staff;
use super::Chrome;
use crate::app::blocking;

/// Roles that may see the overview (aggregates only).
const ROLES: [Role; 4] = [Role::Admin, Role::Editor, Role::Support, Role::Dpo];
/// Weeks the charts cover.
const WEEKS: u32 = 26;

/// A chart with the same numbers as a table, for screen readers and for checking.
pub struct Chart {
    pub id: String,
    pub title: String,
    /// Show the title above the chart (not when a heading right above says the same).
    pub caption: bool,
    pub svg: String,
    pub columns: Vec<String>,
    pub rows: Vec<(String, Vec<String>)>,
}

pub struct UnusedAttribute {
    pub key: String,
    pub title: String,
    pub held: String,
}

#[derive(askama::Template)]
#[template(path = "admin.html")]
struct OverviewPage {
    page: Chrome,
    subjects: String,
    consent: Chart,
    rights: Chart,
    answers: Vec<Chart>,
    unasked: Vec<UnusedAttribute>,
    unread: Vec<UnusedAttribute>,
}

pub async fn overview(ctx: Ctx) -> Response {
    let (ctx, who) = match require_staff(ctx).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    if !ROLES.contains(&who.role) {
        return ctx.error(StatusCode::FORBIDDEN, "error-forbidden");
    }
    let (store, now) = (ctx.state.app.store.clone(), ctx.now());
    let actor = who.actor();
    let stats = match blocking(move || store.admin_stats(&actor, now, WEEKS)).await {
        Ok(s) => s,
        Err(e) => return ctx.failed(&e),
    };
    let tr = &ctx.tr;
    let snapshot = ctx.state.app.store.schema();
    let schema = &snapshot.schema;
    let weeks: Vec<String> = stats
        .weeks
        .iter()
        .map(|w| match tr.lang {
            kerro_core::Lang::En => w.format("%-d %b").to_string(),
            kerro_core::Lang::Sv => w.format("%-d/%-m").to_string(),
            kerro_core::Lang::Fi => w.format("%-d.%-m.").to_string(),
        })
        .collect();

    let consent_series: Vec<(String, Vec<Option<f64>>)> = stats
        .consent
        .iter()
        .map(|(k, per_week)| {
            let title = schema
                .purposes
                .get(k)
                .map(|p| tr.text(&p.title))
                .unwrap_or_else(|| k.to_string());
            let points = per_week
                .iter()
                .map(|(g, all)| (*all > 0).then(|| 100.0 * *g as f64 / *all as f64))
                .collect();
            (title, points)
        })
        .collect();
    let consent = Chart {
        id: "consent-rates".into(),
        title: tr.t("admin-consent-title"),
        caption: false,
        svg: charts::lines(&weeks, &consent_series, 100.0, &tr.t("admin-consent-axis")),
        columns: weeks.clone(),
        rows: stats
            .consent
            .iter()
            .zip(&consent_series)
            .map(|((_, per_week), (title, _))| {
                (
                    title.clone(),
                    per_week
                        .iter()
                        .map(|(g, all)| format!("{g}/{all}"))
                        .collect(),
                )
            })
            .collect(),
    };

    let rights_series: Vec<(String, Vec<Option<f64>>)> = stats
        .rights
        .iter()
        .map(|(kind, per_week)| {
            (
                tr.t(&format!("admin-rights-{kind}")),
                per_week.iter().map(|n| Some(*n as f64)).collect(),
            )
        })
        .collect();
    let rights_max = stats.rights.values().flatten().copied().max().unwrap_or(0) as f64;
    let rights = Chart {
        id: "rights".into(),
        title: tr.t("admin-rights-title"),
        caption: false,
        svg: charts::lines(
            &weeks,
            &rights_series,
            (rights_max * 1.2).max(4.0),
            &tr.t("admin-rights-axis"),
        ),
        columns: weeks.clone(),
        rows: rights_series
            .iter()
            .map(|(t, v)| {
                (
                    t.clone(),
                    v.iter()
                        .map(|n| format!("{}", n.unwrap_or(0.0) as u64))
                        .collect(),
                )
            })
            .collect(),
    };

    let answers = stats
        .answers
        .iter()
        .filter_map(|(k, counts)| {
            let spec = schema.attributes.get(k)?;
            let items: Vec<(String, u64)> = counts
                .iter()
                .map(|c| {
                    let label = match c.value.as_str() {
                        "true" if spec.options.is_empty() => tr.t("value-yes"),
                        "false" if spec.options.is_empty() => tr.t("value-no"),
                        v => spec
                            .option(v)
                            .map(|o| tr.text(&o.title))
                            .unwrap_or_else(|| v.to_owned()),
                    };
                    (label, c.count)
                })
                .collect();
            Some(Chart {
                id: format!("answers-{k}"),
                title: tr.text(&spec.title),
                caption: true,
                svg: charts::bars(&items),
                columns: vec![tr.t("admin-count")],
                rows: items
                    .iter()
                    .map(|(l, c)| (l.clone(), vec![c.to_string()]))
                    .collect(),
            })
        })
        .collect();

    let asked: BTreeSet<_> = schema
        .forms
        .values()
        .flat_map(|f| f.attributes.iter())
        .collect();
    let unasked = schema
        .attributes
        .iter()
        .filter(|(k, _)| !asked.contains(k))
        .map(|(k, a)| UnusedAttribute {
            key: k.to_string(),
            title: tr.text(&a.title),
            held: tr.tn(
                "admin-min-held",
                "count",
                stats.answered.get(k).copied().unwrap_or(0) as i64,
            ),
        })
        .collect();

    // P11: collected, yet read by no live offer.
    let unread = ctx
        .state
        .app
        .store
        .minimisation_report(ctx.now())
        .into_iter()
        .filter(|row| row.subjects_holding > 0)
        .map(|row| UnusedAttribute {
            title: schema
                .attributes
                .get(&row.attribute)
                .map(|a| tr.text(&a.title))
                .unwrap_or_default(),
            key: row.attribute.to_string(),
            held: tr.tn("admin-min-held", "count", row.subjects_holding as i64),
        })
        .collect();

    let page = OverviewPage {
        page: Chrome::new(&ctx, &tr.t("admin-title"), ""),
        subjects: tr.tn("admin-subjects", "count", stats.subjects as i64),
        consent,
        rights,
        answers,
        unasked,
        unread,
    };
    ctx.page(StatusCode::OK, &page)
}
