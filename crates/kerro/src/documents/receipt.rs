//! A consent record as a receipt: the ISO/IEC TS 27560 field set listed in
//! PRIVACY-REQUIREMENTS.md, or the Kantara Consent Receipt v1.1 shape.

use chrono::{DateTime, Utc};
use kerro_core::consent::{ConsentState, Method};
use kerro_core::ids::{PurposeKey, RecordId, SubjectId};
use kerro_core::notice::NoticeBundle;
use kerro_core::Lang;
use kerro_store::ReceiptData;
use serde::Serialize;
use utoipa::ToSchema;

use super::notice_url;
use crate::app::AppState;

/// The notice of an ISO receipt.
#[derive(Debug, Serialize, ToSchema)]
pub struct IsoNotice {
    pub url: String,
    pub version: u32,
    pub sha256: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IsoController {
    pub name: String,
    pub contact: String,
    pub address: String,
    pub email: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IsoPurpose {
    pub purpose_id: PurposeKey,
    pub description: Option<String>,
    pub category: Option<String>,
    /// The DPV term of the legal basis.
    pub lawful_basis: Option<String>,
    /// Always `explicit`.
    pub consent_type: String,
    pub data_categories: Vec<String>,
    /// ISO 8601 duration, `P<days>D`.
    pub retention: Option<String>,
    pub third_party_disclosure: bool,
    pub third_parties: Vec<String>,
    pub withdrawal_method: String,
    pub channels: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IsoEvent {
    pub record_id: RecordId,
    pub event_time: DateTime<Utc>,
    /// The DPV term of the state.
    pub state: String,
    pub validity: String,
    pub actor: String,
    pub expression_method: Method,
    pub hash: String,
}

/// `GET /v1/receipts/{record_id}` (the default format).
#[derive(Debug, Serialize, ToSchema)]
pub struct Iso27560Receipt {
    pub schema_version: String,
    pub record_id: RecordId,
    pub subject_id: SubjectId,
    pub subject_erased: bool,
    pub jurisdiction: String,
    pub language: Lang,
    pub notice: Option<IsoNotice>,
    pub controller: IsoController,
    pub purposes: Vec<IsoPurpose>,
    pub sensitive: bool,
    pub events: Vec<IsoEvent>,
}

/// What both receipt shapes say about the record's purpose, in the record's
/// language. Title, description, legal basis, retention, recipients and data
/// categories come from the notice bundle stored with the version the event
/// names, so a later change to the purpose does not rewrite an old receipt;
/// the DPV category and the special-category flag are not in a bundle and
/// come from the schema (`None` where the purpose no longer exists), as does
/// everything for an event without a notice.
struct PurposeFacts {
    title: Option<String>,
    description: Option<String>,
    category: Option<String>,
    legal_basis_dpv: Option<String>,
    retention_days: Option<u32>,
    recipients: Option<Vec<String>>,
    data_categories: Vec<String>,
    sensitive: bool,
}

/// The facts of the record: a choice about one recipient (P21) names that recipient alone.
fn facts(state: &AppState, data: &ReceiptData) -> PurposeFacts {
    let mut f = purpose_facts(state, data);
    if let Some(r) = &data.event.event.recipient {
        let snap = state.store.schema();
        let name = snap
            .schema
            .recipients
            .get(r)
            .map_or_else(|| r.to_string(), |s| s.name.trim().to_owned());
        f.recipients = Some(vec![name]);
    }
    f
}

fn purpose_facts(state: &AppState, data: &ReceiptData) -> PurposeFacts {
    let ev = &data.event.event;
    let snap = state.store.schema();
    let default = state.config.default_language;
    let spec = snap.schema.purposes.get(&ev.purpose);
    let bound = || {
        snap.schema
            .attributes
            .iter()
            .filter(|(_, a)| a.purposes.contains(&ev.purpose))
    };
    let now = PurposeFacts {
        title: spec.map(|p| p.title.get(ev.language, default).to_owned()),
        description: spec.map(|p| p.description.get(ev.language, default).to_owned()),
        category: spec.and_then(|p| p.dpv_category.clone()),
        legal_basis_dpv: spec.map(|p| p.legal_basis.dpv().to_owned()),
        retention_days: spec.map(|p| p.retention_days),
        recipients: spec.map(|p| snap.schema.recipient_names(p)),
        data_categories: bound().map(|(k, _)| k.as_str().to_owned()).collect(),
        sensitive: bound().any(|(_, a)| a.special_category),
    };
    let bundle: Option<NoticeBundle> = data
        .notice_bundle
        .clone()
        .and_then(|b| serde_json::from_value(b).ok());
    let Some(bundle) = bundle else { return now };
    let Some(shown) = bundle.purposes.iter().find(|p| p.key == ev.purpose) else {
        return now;
    };
    // A form's notice lists the form's questions for all its purposes: keep
    // those bound to this purpose, and those no longer defined (they were shown).
    let data_categories = bundle
        .data_categories
        .keys()
        .filter(|k| {
            snap.schema
                .attributes
                .get(*k)
                .is_none_or(|a| a.purposes.contains(&ev.purpose))
        })
        .map(|k| k.as_str().to_owned())
        .collect();
    PurposeFacts {
        title: Some(shown.title.get(ev.language, default).to_owned()),
        description: Some(shown.description.get(ev.language, default).to_owned()),
        category: now.category,
        legal_basis_dpv: Some(shown.legal_basis.dpv().to_owned()),
        retention_days: Some(shown.retention_days),
        recipients: Some(shown.recipients.clone()),
        data_categories,
        sensitive: now.sensitive,
    }
}

/// The record in the ISO/IEC TS 27560 field set.
pub fn iso27560(state: &AppState, data: &ReceiptData) -> Iso27560Receipt {
    let ev = &data.event.event;
    let f = facts(state, data);
    let c = &state.config.controller;
    Iso27560Receipt {
        schema_version: "ISO/IEC TS 27560:2023; kerro 1".into(),
        record_id: ev.record_id.clone(),
        subject_id: ev.subject.clone(),
        subject_erased: data.subject_erased,
        jurisdiction: state.config.jurisdiction.clone(),
        language: ev.language,
        notice: ev.notice.as_ref().map(|n| IsoNotice {
            url: notice_url(state, &n.of, n.version),
            version: n.version,
            sha256: n.sha256.clone(),
        }),
        controller: IsoController {
            name: c.name.clone(),
            contact: c.dpo.clone(),
            address: c.address.clone(),
            email: c.email.clone(),
        },
        purposes: vec![IsoPurpose {
            purpose_id: ev.purpose.clone(),
            description: f.description,
            category: f.category,
            lawful_basis: f.legal_basis_dpv,
            consent_type: "explicit".into(),
            data_categories: f.data_categories,
            retention: f.retention_days.map(|d| format!("P{d}D")),
            third_party_disclosure: f.recipients.as_ref().is_some_and(|r| !r.is_empty()),
            third_parties: f.recipients.unwrap_or_default(),
            withdrawal_method: format!(
                "PUT {}/v1/me/consents/{}{} {{\"given\": false}}, or the preference centre",
                state.config.public_url(),
                ev.purpose,
                ev.recipient
                    .as_ref()
                    .map(|r| format!("/recipients/{r}"))
                    .unwrap_or_default()
            ),
            channels: data
                .channels
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
        }],
        sensitive: f.sensitive,
        events: data
            .history
            .iter()
            .map(|e| IsoEvent {
                record_id: e.event.record_id.clone(),
                event_time: e.event.event_time,
                state: e.event.state.dpv().to_owned(),
                validity: if e.event.state.is_active() {
                    "valid until withdrawn"
                } else {
                    "not valid"
                }
                .to_owned(),
                actor: e.event.actor.clone(),
                expression_method: e.event.method,
                hash: e.hash.clone(),
            })
            .collect(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KantaraAddress {
    pub street_address: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KantaraController {
    pub pii_controller: String,
    pub contact: String,
    pub address: KantaraAddress,
    pub email: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KantaraPurpose {
    pub purpose: Option<String>,
    pub purpose_category: Vec<String>,
    /// Always `EXPLICIT`.
    pub consent_type: String,
    pub pii_category: Vec<String>,
    pub primary_purpose: bool,
    pub termination: Option<String>,
    pub third_party_disclosure: bool,
    pub third_party_name: Option<String>,
    pub consent_state: ConsentState,
    pub consent_given: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KantaraService {
    pub service: Option<String>,
    pub purposes: Vec<KantaraPurpose>,
}

/// `GET /v1/receipts/{record_id}?format=kantara`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KantaraReceipt {
    /// Always `KI-CR-v1.1.0`.
    pub version: String,
    pub jurisdiction: String,
    /// Seconds since the Unix epoch.
    pub consent_timestamp: i64,
    pub collection_method: Method,
    #[serde(rename = "consentReceiptID")]
    pub consent_receipt_id: RecordId,
    pub language: Lang,
    pub pii_principal_id: SubjectId,
    pub pii_controllers: Vec<KantaraController>,
    pub policy_url: String,
    pub services: Vec<KantaraService>,
    pub sensitive: bool,
    pub spi_cat: Vec<String>,
}

/// The same record in the Kantara Consent Receipt v1.1 shape.
pub fn kantara(state: &AppState, data: &ReceiptData) -> KantaraReceipt {
    let ev = &data.event.event;
    let f = facts(state, data);
    let c = &state.config.controller;
    let policy_url = c
        .privacy_policy_url
        .clone()
        .unwrap_or_else(|| format!("{}/privacy", state.config.public_url()));
    KantaraReceipt {
        version: "KI-CR-v1.1.0".into(),
        jurisdiction: state.config.jurisdiction.clone(),
        consent_timestamp: ev.event_time.timestamp(),
        collection_method: ev.method,
        consent_receipt_id: ev.record_id.clone(),
        language: ev.language,
        pii_principal_id: ev.subject.clone(),
        pii_controllers: vec![KantaraController {
            pii_controller: c.name.clone(),
            contact: c.dpo.clone(),
            address: KantaraAddress {
                street_address: c.address.clone(),
            },
            email: c.email.clone(),
        }],
        policy_url,
        services: vec![KantaraService {
            service: f.title,
            purposes: vec![KantaraPurpose {
                purpose: f.description,
                purpose_category: f.category.into_iter().collect(),
                consent_type: "EXPLICIT".into(),
                pii_category: f.data_categories,
                primary_purpose: true,
                termination: f
                    .retention_days
                    .map(|d| format!("{d} days after collection, or on withdrawal")),
                third_party_disclosure: f.recipients.as_ref().is_some_and(|r| !r.is_empty()),
                third_party_name: f.recipients.map(|r| r.join(", ")),
                consent_state: ev.state,
                consent_given: ev.state == ConsentState::Given || ev.state == ConsentState::Renewed,
            }],
        }],
        sensitive: f.sensitive,
        spi_cat: Vec::new(),
    }
}
