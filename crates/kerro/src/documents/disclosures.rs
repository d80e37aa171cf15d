//! What a subject is shown about recipients (P21): their choice about each
//! recipient of each sharing purpose, and every disclosure of their data, for
//! `GET /v1/me`, the export and the preference centre alike.

use chrono::{DateTime, Utc};
use kerro_core::consent::ConsentState;
use kerro_core::disclosure::DisclosureVia;
use kerro_core::ids::{PurposeKey, RecipientKey, RecordId};
use kerro_core::recipient::RecipientSpec;
use kerro_core::Lang;
use kerro_store::SubjectData;
use serde::Serialize;
use utoipa::ToSchema;

use super::receipt_url;
use crate::app::AppState;

/// The subject's choice about one recipient of a sharing purpose.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecipientConsentView {
    pub purpose: PurposeKey,
    /// The purpose's title in the subject's language.
    pub purpose_title: String,
    pub recipient: RecipientKey,
    /// The recipient's registered name, its country and role.
    pub recipient_name: String,
    pub country: String,
    pub role: kerro_core::recipient::RecipientRole,
    /// `null` until the subject chooses; only `given` or `renewed` lets data go to the recipient.
    pub state: Option<ConsentState>,
    pub changed_at: Option<DateTime<Utc>>,
    pub record_id: Option<RecordId>,
    pub receipt_url: Option<String>,
}

/// One disclosure of the subject's data to a recipient.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DisclosureView {
    pub recipient: RecipientKey,
    pub recipient_name: String,
    pub purpose: PurposeKey,
    /// What left: `id`, `email`, or the fields of a webhook's body.
    pub fields: Vec<String>,
    pub via: DisclosureVia,
    pub at: DateTime<Utc>,
}

fn registered(state: &AppState, key: &str) -> Option<(RecipientKey, RecipientSpec)> {
    let snap = state.store.schema();
    snap.schema
        .recipients
        .iter()
        .find(|(k, _)| k.as_str() == key)
        .map(|(k, s)| (k.clone(), s.clone()))
}

/// One row per recipient of every sharing purpose, with the subject's latest choice.
pub fn recipient_consents(
    state: &AppState,
    data: &SubjectData,
    lang: Lang,
) -> Vec<RecipientConsentView> {
    let snap = state.store.schema();
    let default = state.config.default_language;
    let mut out = Vec::new();
    for (purpose, spec) in &snap.schema.purposes {
        if !spec.asks_per_recipient() {
            continue;
        }
        for r in &spec.recipients {
            let Some((key, reg)) = registered(state, r) else {
                continue;
            };
            let latest =
                data.recipient_choices.iter().rev().find(|e| {
                    &e.event.purpose == purpose && e.event.recipient.as_ref() == Some(&key)
                });
            out.push(RecipientConsentView {
                purpose: purpose.clone(),
                purpose_title: spec.title.get(lang, default).to_owned(),
                recipient: key,
                recipient_name: reg.name.trim().to_owned(),
                country: reg.country.clone(),
                role: reg.role,
                state: latest.map(|e| e.event.state),
                changed_at: latest.map(|e| e.event.event_time),
                record_id: latest.map(|e| e.event.record_id.clone()),
                receipt_url: latest.map(|e| receipt_url(state, e)),
            });
        }
    }
    out
}

/// Every disclosure of the subject's data, oldest first, recipients by name.
pub fn disclosures(state: &AppState, data: &SubjectData) -> Vec<DisclosureView> {
    data.disclosures
        .iter()
        .map(|d| DisclosureView {
            recipient_name: registered(state, d.recipient.as_str()).map_or_else(
                || d.recipient.to_string(),
                |(_, s)| s.name.trim().to_owned(),
            ),
            recipient: d.recipient.clone(),
            purpose: d.purpose.clone(),
            fields: d.fields.clone(),
            via: d.via,
            at: d.at,
        })
        .collect()
}
