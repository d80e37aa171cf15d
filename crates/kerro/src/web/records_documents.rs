//! The record of processing activities (P22) as documents, for the API
//! (`/v1/records-of-processing`) and the staff page alike: the context the
//! configuration gives (art. 30(1)(a) and (g), with the measures kerro
//! takes itself), a version built from its stored inputs, its CSV (one row
//! per purpose) and its printable HTML page. Who may read it is the callers'.

use kerro_core::records::{self, RecordOfProcessing, RecordsContext, RecordsController};
use kerro_core::Lang;
use std::sync::{Arc, OnceLock};

use super::form_notice::basis_text;
use super::i18n::{L10n, Tr};
use crate::app::{blocking, AppError, AppState};
use crate::config::Config;
use crate::documents::csv_cell;

fn l10n() -> Arc<L10n> {
    static L: OnceLock<Arc<L10n>> = OnceLock::new();
    L.get_or_init(|| Arc::new(L10n::load())).clone()
}

/// What the configuration says, with the measures this installation takes
/// by itself (art. 30(1)(g)): what kerro does in every installation, and the
/// checkpoint policy configured here.
pub fn context(cfg: &Config) -> RecordsContext {
    let c = &cfg.controller;
    RecordsContext {
        controller: RecordsController {
            name: c.name.clone(),
            address: c.address.clone(),
            email: c.email.clone(),
        },
        dpo: c.dpo.clone(),
        security_measures: cfg.records.security_measures.trim().to_owned(),
        facts: vec![
            "Encryption at rest: every personal value, e-mail address, external id and organisation is sealed with XChaCha20-Poly1305 under a per-subject data key, wrapped by a key derived from the master key; erasure deletes the subject's key (crypto-shredding).".into(),
            "Look-ups use keyed blind indexes (HMAC), never plaintext.".into(),
            format!(
                "Tamper-evident logs: the consent ledger and the audit log of every staff read and write of personal data are hash-chained and anchored by Ed25519-signed checkpoints every {} entries or {} minutes.",
                cfg.audit.checkpoint_every_events, cfg.audit.checkpoint_every_minutes
            ),
            "Staff sign in to the pages with a password (argon2id) and a TOTP second factor; API tokens, sign-in links and sessions are stored only as hashes.".into(),
            "Least-privilege staff roles; every request's permission is checked by its handler's type.".into(),
        ],
    }
}

/// Version `version` of the record (the latest for `None`), with the
/// context it was made with (the current configuration's if none was noted).
pub async fn load(state: &AppState, version: Option<u32>) -> Result<RecordOfProcessing, AppError> {
    let store = state.store.clone();
    let stored = blocking(move || store.records_version(version)).await?;
    let ctx = stored.context.unwrap_or_else(|| context(&state.config));
    Ok(records::build(
        stored.version,
        stored.created_at,
        &stored.inputs,
        &ctx,
        state.config.default_language,
    ))
}

/// One row per purpose; lists within a cell are separated by "; ".
pub fn csv(r: &RecordOfProcessing) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "version",
        "controller",
        "controller_address",
        "controller_email",
        "dpo",
        "purpose",
        "title",
        "description",
        "legal_basis",
        "subject_categories",
        "data_categories",
        "recipients",
        "transfers",
        "retention_days",
        "security_measures",
        "gaps",
    ])?;
    let measures = std::iter::once(r.security_measures.text.clone())
        .filter(|t| !t.is_empty())
        .chain(r.security_measures.facts.iter().cloned())
        .collect::<Vec<_>>()
        .join("; ");
    for a in &r.activities {
        let cells = [
            r.version.to_string(),
            r.controller.name.clone(),
            r.controller.address.clone(),
            r.controller.email.clone(),
            r.dpo.clone(),
            a.purpose.to_string(),
            a.title.clone(),
            a.description.clone(),
            a.legal_basis.as_str().to_owned(),
            a.subject_categories.join("; "),
            a.data_categories
                .iter()
                .map(|d| d.title.clone())
                .collect::<Vec<_>>()
                .join("; "),
            a.recipients
                .iter()
                .map(|x| match (&x.country, x.role) {
                    (Some(c), Some(role)) => format!("{} ({c}, {})", x.name, role.as_str()),
                    _ => x.name.clone(),
                })
                .collect::<Vec<_>>()
                .join("; "),
            a.transfers
                .iter()
                .map(|t| format!("{} ({}, {})", t.name, t.country, t.safeguard.as_str()))
                .collect::<Vec<_>>()
                .join("; "),
            a.retention_days.to_string(),
            measures.clone(),
            a.gaps.join("; "),
        ];
        w.write_record(cells.iter().map(|c| csv_cell(c)))?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// One purpose as the printable page shows it: every text computed here.
pub struct PrintedActivity {
    pub key: String,
    pub title: String,
    pub description: String,
    pub basis: String,
    pub subjects: Vec<String>,
    pub data: Vec<String>,
    pub recipients: Vec<String>,
    pub transfers: Vec<String>,
    pub retention: String,
    pub gaps: Vec<String>,
}

pub fn printed(tr: &Tr, r: &RecordOfProcessing) -> Vec<PrintedActivity> {
    r.activities
        .iter()
        .map(|a| PrintedActivity {
            key: a.purpose.to_string(),
            title: a.title.clone(),
            description: a.description.clone(),
            basis: basis_text(tr, a.legal_basis),
            subjects: a.subject_categories.clone(),
            data: a
                .data_categories
                .iter()
                .map(|d| {
                    if d.special_category {
                        tr.t1("privacy-special", "category", &d.title)
                    } else {
                        d.title.clone()
                    }
                })
                .collect(),
            recipients: a
                .recipients
                .iter()
                .map(|x| match (&x.country, x.role) {
                    (Some(c), Some(role)) => format!(
                        "{} ({c}, {})",
                        x.name,
                        tr.t(&format!("records-role-{}", role.as_str()))
                    ),
                    _ => x.name.clone(),
                })
                .collect(),
            transfers: a
                .transfers
                .iter()
                .map(|t| {
                    format!(
                        "{} ({}): {}",
                        t.name,
                        t.country,
                        tr.t(&format!("records-safeguard-{}", t.safeguard.as_str()))
                    )
                })
                .collect(),
            retention: tr.tn("retention-days", "days", i64::from(a.retention_days)),
            gaps: a.gaps.clone(),
        })
        .collect()
}

#[derive(askama::Template)]
#[template(path = "records_print.html")]
struct PrintPage<'a> {
    tr: Tr,
    lang: &'static str,
    r: &'a RecordOfProcessing,
    created: String,
    version_label: String,
    activities: Vec<PrintedActivity>,
}

/// The record as a printable HTML page in `lang` (every value escaped by askama).
pub fn html(r: &RecordOfProcessing, lang: Lang, default: Lang) -> Result<String, String> {
    let tr = Tr::new(l10n(), lang, default);
    let page = PrintPage {
        created: r.created_at.map(|t| tr.time(&t)).unwrap_or_default(),
        version_label: tr.tn("records-version", "version", i64::from(r.version)),
        activities: printed(&tr, r),
        lang: lang.as_str(),
        tr,
        r,
    };
    askama::Template::render(&page).map_err(|e| e.to_string())
}
