//! Running the retention job (P9, P7): every hour in each serving node
//! (`start`), and once from the command line (`kerro retention run`), which
//! prints what was deleted by purpose and kind. What is due is
//! `kerro_core::retention`'s; carrying it out is the store's.

use chrono::{DateTime, Utc};
use kerro_core::Actor;
use kerro_store::{RetentionReport, Store};
use std::fmt::Write;
use std::time::Duration;

use crate::app::AppState;

/// How often a serving node runs the job.
pub const EVERY: Duration = Duration::from_secs(3600);

/// Who the job's ledger events and audit entries name.
pub fn actor() -> Actor {
    Actor::System("retention".into())
}

/// Runs the job once at `now`.
pub fn run_once(store: &Store, now: DateTime<Utc>) -> kerro_store::StoreResult<RetentionReport> {
    store.run_retention(&actor(), now)
}

/// The report as the command prints it: one line per purpose and kind.
pub fn render(report: &RetentionReport) -> String {
    let at = report.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    if report.skipped {
        return format!("retention at {at}: another node is running the job; nothing was done\n");
    }
    let mut out = format!(
        "retention at {at}: {} subject(s) looked at\n",
        report.subjects
    );
    if report.counts.is_empty() {
        out.push_str("nothing was due\n");
        return out;
    }
    let _ = writeln!(out, "{:<32} {:<10} {:>8}", "purpose", "kind", "deleted");
    for c in &report.counts {
        let purpose = c.purpose.as_ref().map_or("-", |p| p.as_str());
        let _ = writeln!(out, "{purpose:<32} {:<10} {:>8}", c.kind.as_str(), c.count);
    }
    out
}

/// Starts the hourly run of a serving node (its first run is at start).
pub fn start(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(EVERY);
        loop {
            every.tick().await;
            let (store, now) = (state.store.clone(), state.now());
            match tokio::task::spawn_blocking(move || run_once(&store, now)).await {
                Ok(Ok(r)) if !r.counts.is_empty() => {
                    tracing::info!("{}", render(&r).trim_end());
                }
                Ok(Err(e)) => tracing::warn!("the retention job failed: {e}"),
                _ => {}
            }
        }
    });
}
