//! The export (`kerro.export.v1`): everything held about a subject (P12). Its
//! fields are documented in docs/export.md; change both together.

use chrono::{DateTime, Utc};
use kerro_core::consent::{basis_active, ConsentState};
use kerro_core::ids::{PurposeKey, SubjectId};
use kerro_core::schema::{LegalBasis, Use};
use kerro_core::Lang;
use kerro_store::SubjectData;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;
use utoipa::ToSchema;

use super::{ContactView, DeclarationView, EmailConfirmationView, EventView, SubjectRecord};
use crate::app::AppState;
use crate::config::Controller;

/// The export's schema identifier; bump it on any incompatible change.
pub const EXPORT_SCHEMA: &str = "kerro.export.v1";

/// A purpose the subject's data or consents concern, in the subject's language.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportPurpose {
    pub key: PurposeKey,
    pub title: String,
    pub description: String,
    pub legal_basis: LegalBasis,
    pub uses: BTreeSet<Use>,
    pub retention_days: u32,
    pub recipients: Vec<String>,
    pub consent_state: Option<ConsentState>,
    pub basis_active: bool,
}

/// One offer shown or delivered to the subject, from the decision log.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoggedDecisionView {
    pub offer: String,
    pub channel: String,
    pub decided_at: DateTime<Utc>,
    pub personalized: bool,
    /// The reasons recorded with the decision (P18).
    pub reasons: Value,
    /// `shown` (on the company's pages), `decided` (chosen for a message) or `sent` (a message sent).
    pub kind: String,
    pub decision_id: Option<String>,
    /// The campaign that sent the message.
    pub campaign: Option<String>,
}

/// One audited access to the subject's data: who, when, what (field names, never values).
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessEntry {
    pub seq: i64,
    pub time: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub detail: Value,
}

/// `GET /v1/me/export` and the preference centre's download.
#[derive(Debug, Serialize, ToSchema)]
pub struct Export {
    /// Always `kerro.export.v1`.
    pub schema_version: String,
    pub generated_at: DateTime<Utc>,
    pub language: Lang,
    pub controller: Controller,
    pub jurisdiction: String,
    pub subject: SubjectRecord,
    pub declarations: Vec<DeclarationView>,
    pub declaration_history: Vec<DeclarationView>,
    pub purposes: Vec<ExportPurpose>,
    pub consent_events: Vec<EventView>,
    /// The subject's choice about each recipient of each sharing purpose (P21).
    pub recipient_consents: Vec<super::RecipientConsentView>,
    /// Every disclosure of the subject's data to a recipient, oldest first (P21).
    pub disclosures: Vec<super::DisclosureView>,
    /// The ledger's evidence of each confirmed e-mail address (double opt-in).
    pub email_confirmations: Vec<EmailConfirmationView>,
    pub contact: ContactView,
    pub decisions: Vec<LoggedDecisionView>,
    pub access_log: Vec<AccessEntry>,
}

/// Builds the export of `data` as of `now`.
pub fn export(state: &AppState, data: &SubjectData, now: DateTime<Utc>) -> Export {
    let snap = state.store.schema();
    let default = state.config.default_language;
    let lang = data.subject.locale.unwrap_or(default);
    let states = data.consent_states();
    let held: Vec<_> = data
        .declarations
        .iter()
        .chain(&data.history)
        .map(|d| &d.attribute)
        .collect();
    let purposes = snap
        .schema
        .purposes
        .iter()
        .filter(|(k, _)| {
            states.contains_key(*k)
                || held.iter().any(|a| {
                    snap.schema
                        .attributes
                        .get(*a)
                        .is_some_and(|s| s.purposes.contains(k))
                })
        })
        .map(|(k, p)| ExportPurpose {
            key: k.clone(),
            title: p.title.get(lang, default).to_owned(),
            description: p.description.get(lang, default).to_owned(),
            legal_basis: p.legal_basis,
            uses: p.uses.clone(),
            retention_days: p.retention_days,
            recipients: snap.schema.recipient_names(p),
            consent_state: states.get(k).copied(),
            basis_active: basis_active(p, states.get(k).copied()),
        })
        .collect();
    Export {
        schema_version: EXPORT_SCHEMA.to_owned(),
        generated_at: now,
        language: lang,
        controller: state.config.controller.clone(),
        jurisdiction: state.config.jurisdiction.clone(),
        subject: SubjectRecord::new(&data.subject),
        declarations: DeclarationView::all(state, &data.declarations),
        declaration_history: DeclarationView::all(state, &data.history),
        purposes,
        consent_events: data
            .consents
            .iter()
            .chain(&data.channel_events)
            .chain(&data.statements)
            .chain(&data.recipient_choices)
            .map(|e| EventView::new(state, e))
            .collect(),
        recipient_consents: super::disclosures::recipient_consents(state, data, lang),
        disclosures: super::disclosures::disclosures(state, data),
        email_confirmations: data
            .email_confirmations
            .iter()
            .map(|e| EmailConfirmationView::new(state, e))
            .collect(),
        contact: ContactView::new(&data.contact),
        decisions: data
            .decisions
            .iter()
            .map(|d| LoggedDecisionView {
                offer: d.offer.clone(),
                channel: d.channel.clone(),
                decided_at: d.decided_at,
                personalized: d.personalized,
                reasons: d.reasons.clone(),
                kind: d.kind.clone(),
                decision_id: d.decision_id.clone(),
                campaign: d.campaign.clone(),
            })
            .collect(),
        access_log: data
            .access_log
            .iter()
            .map(|a| AccessEntry {
                seq: a.seq,
                time: a.time,
                actor: a.actor.clone(),
                action: a.action.clone(),
                detail: a.detail.clone(),
            })
            .collect(),
    }
}

/// A subject id as the export's file name shows it.
pub fn file_name(id: &SubjectId) -> String {
    format!("kerro-export-{id}.json")
}
