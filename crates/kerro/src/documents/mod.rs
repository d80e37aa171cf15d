//! The documents kerro hands out about a subject, built once and rendered by
//! both the API and the pages: the subject view (`GET /v1/me`, the staff
//! read), the export (`kerro.export.v1`, docs/export.md) and the consent
//! receipts (ISO/IEC TS 27560 and Kantara), and the registers' exports. Each is a typed wire shape
//! (`Serialize + ToSchema`), so the OpenAPI document describes exactly what is
//! sent. Reading the data and checking who may see it is left to the callers.

mod disclosures;
mod export;
mod receipt;
mod registers;

pub use disclosures::{
    disclosures as disclosure_views, recipient_consents as recipient_consent_views, DisclosureView,
    RecipientConsentView,
};
pub use export::{
    export, file_name as export_file_name, AccessEntry, Export, ExportPurpose, LoggedDecisionView,
    EXPORT_SCHEMA,
};
pub use receipt::{iso27560, kantara, Iso27560Receipt, KantaraReceipt};
pub use registers::{csv_cell, disclosures_csv, rights_requests_csv};

use chrono::{DateTime, Utc};
use kerro_core::consent::{renewal_due, ConsentState, Method, NoticeOf, NoticeRef};
use kerro_core::contact::{Channel, EmailStatus};
use kerro_core::ids::{AttributeKey, FormKey, PurposeKey, RecipientKey, RecordId, SubjectId};
use kerro_core::Lang;
use kerro_store::{Declaration, StoredEvent, Subject, SubjectData};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::ToSchema;

use crate::app::AppState;

pub fn receipt_url(state: &AppState, e: &StoredEvent) -> String {
    format!(
        "{}/v1/receipts/{}",
        state.config.public_url(),
        e.event.record_id
    )
}

/// Where a notice version can be read: a form's under `/v1/forms`, a purpose's own under `/v1/purposes`.
pub fn notice_url(state: &AppState, of: &NoticeOf, version: u32) -> String {
    let base = state.config.public_url();
    match of {
        NoticeOf::Form(f) => format!("{base}/v1/forms/{f}/notices/{version}"),
        NoticeOf::Purpose(p) => format!("{base}/v1/purposes/{p}/notices/{version}"),
    }
}

/// The notice a consent was given against, with where to read it.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeLink {
    /// The form whose notice was shown (absent for a purpose's own notice).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<FormKey>,
    /// The purpose whose own notice was shown: a consent changed in the
    /// preference centre or with `PUT /v1/me/consents/{purpose}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<PurposeKey>,
    pub version: u32,
    pub sha256: String,
    pub url: String,
}

impl NoticeLink {
    pub fn new(state: &AppState, n: &NoticeRef) -> NoticeLink {
        let (form, purpose) = match &n.of {
            NoticeOf::Form(f) => (Some(f.clone()), None),
            NoticeOf::Purpose(p) => (None, Some(p.clone())),
        };
        NoticeLink {
            form,
            purpose,
            version: n.version,
            sha256: n.sha256.clone(),
            url: notice_url(state, &n.of, n.version),
        }
    }
}

/// One event of the consent ledger, with its position, hash and receipt.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub record_id: RecordId,
    pub purpose: PurposeKey,
    pub state: ConsentState,
    pub event_time: DateTime<Utc>,
    pub method: Method,
    /// `subject` or `staff:<token id>`.
    pub actor: String,
    pub language: Lang,
    pub notice: Option<NoticeLink>,
    /// For an event about one channel of the purpose only (an unsubscribe).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// For a choice about one recipient of the purpose (P21).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient: Option<RecipientKey>,
    pub receipt_url: String,
    pub seq: i64,
    pub hash: String,
}

impl EventView {
    pub fn new(state: &AppState, e: &StoredEvent) -> EventView {
        let ev = &e.event;
        EventView {
            record_id: ev.record_id.clone(),
            purpose: ev.purpose.clone(),
            state: ev.state,
            event_time: ev.event_time,
            method: ev.method,
            actor: ev.actor.clone(),
            language: ev.language,
            channel: ev.channel,
            recipient: ev.recipient.clone(),
            notice: ev.notice.as_ref().map(|n| NoticeLink::new(state, n)),
            receipt_url: receipt_url(state, e),
            seq: e.seq,
            hash: e.hash.clone(),
        }
    }
}

/// An e-mail confirmation in the consent ledger: the evidence that the
/// address's owner followed the link mailed to it (double opt-in).
#[derive(Debug, Serialize, ToSchema)]
pub struct EmailConfirmationView {
    pub record_id: RecordId,
    pub confirmed_at: DateTime<Utc>,
    /// The form notice the address was given under (none for an address
    /// changed in the preference centre or given by staff).
    pub notice: Option<NoticeLink>,
    /// `link_sha256:<hex>`: the SHA-256 of the followed link's secret.
    pub evidence: Option<String>,
    pub seq: i64,
    pub hash: String,
}

impl EmailConfirmationView {
    pub fn new(state: &AppState, e: &StoredEvent) -> EmailConfirmationView {
        let ev = &e.event;
        EmailConfirmationView {
            record_id: ev.record_id.clone(),
            confirmed_at: ev.event_time,
            notice: ev.notice.as_ref().map(|n| NoticeLink::new(state, n)),
            evidence: ev.evidence.clone(),
            seq: e.seq,
            hash: e.hash.clone(),
        }
    }
}

/// What a submission or consent change returns for each event.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptSummary {
    pub record_id: RecordId,
    pub purpose: PurposeKey,
    /// Set for a choice about one recipient of the purpose (P21).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient: Option<RecipientKey>,
    pub state: ConsentState,
    pub event_time: DateTime<Utc>,
    pub receipt_url: String,
}

impl ReceiptSummary {
    pub fn new(state: &AppState, e: &StoredEvent) -> ReceiptSummary {
        ReceiptSummary {
            record_id: e.event.record_id.clone(),
            purpose: e.event.purpose.clone(),
            recipient: e.event.recipient.clone(),
            state: e.event.state,
            event_time: e.event.event_time,
            receipt_url: receipt_url(state, e),
        }
    }
}

/// Where a declared value came from (P1): always the subject.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProvenanceView {
    pub form: Option<FormKey>,
    pub notice_version: Option<u32>,
    pub given_at: DateTime<Utc>,
    pub method: Method,
    /// Always `dpv:ProvidedPersonalData`.
    pub source: String,
}

/// One declared value with its purposes and provenance.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeclarationView {
    pub attribute: AttributeKey,
    /// The answer, typed by the attribute's kind.
    pub value: Value,
    pub purposes: Vec<PurposeKey>,
    pub provenance: ProvenanceView,
    /// Set on history rows only: when a newer answer or a deletion replaced it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub superseded_at: Option<DateTime<Utc>>,
}

impl DeclarationView {
    pub fn new(state: &AppState, d: &Declaration) -> DeclarationView {
        let purposes = state
            .store
            .schema()
            .schema
            .attributes
            .get(&d.attribute)
            .map(|a| a.purposes.clone())
            .unwrap_or_default();
        let p = &d.provenance;
        DeclarationView {
            attribute: d.attribute.clone(),
            value: d.value.clone(),
            purposes,
            provenance: ProvenanceView {
                form: p.form.clone(),
                notice_version: p.notice_version,
                given_at: p.given_at,
                method: p.method,
                source: p.source.to_owned(),
            },
            superseded_at: d.superseded_at,
        }
    }

    fn all(state: &AppState, ds: &[Declaration]) -> Vec<DeclarationView> {
        ds.iter().map(|d| DeclarationView::new(state, d)).collect()
    }
}

/// The latest consent state of one purpose, with every event behind it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentView {
    pub purpose: PurposeKey,
    pub state: ConsentState,
    pub active: bool,
    /// The consent was given under a version of a form's notice older than
    /// its newest material change (P7): granting it again renews it.
    pub renewal_due: bool,
    pub since: DateTime<Utc>,
    pub history: Vec<EventView>,
}

fn consents(state: &AppState, data: &SubjectData) -> Vec<ConsentView> {
    let snap = state.store.schema();
    let mut by_purpose: BTreeMap<&PurposeKey, Vec<&StoredEvent>> = BTreeMap::new();
    for e in &data.consents {
        by_purpose.entry(&e.event.purpose).or_default().push(e);
    }
    by_purpose
        .into_iter()
        .filter_map(|(purpose, events)| {
            let last = events.last()?;
            Some(ConsentView {
                purpose: purpose.clone(),
                state: last.event.state,
                active: last.event.state.is_active(),
                renewal_due: renewal_due(last.event.state, last.event.notice.as_ref(), |f| {
                    snap.material_notices.get(f).copied()
                }),
                since: last.event.event_time,
                history: events.iter().map(|e| EventView::new(state, e)).collect(),
            })
        })
        .collect()
}

/// Contact preferences: every channel with its state, the subject's own cap, the language.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactView {
    pub channels: BTreeMap<Channel, bool>,
    pub max_per_week: Option<u32>,
    pub language: Option<Lang>,
    /// Channels left for some purposes only (a message's one-click unsubscribe):
    /// channel to the purposes it is off for.
    pub unsubscribed: BTreeMap<Channel, Vec<PurposeKey>>,
}

impl ContactView {
    pub fn new(prefs: &kerro_core::contact::ContactPrefs) -> ContactView {
        ContactView {
            channels: prefs.all_channels(),
            max_per_week: prefs.max_per_week,
            language: prefs.language,
            unsubscribed: prefs
                .unsubscribed
                .iter()
                .map(|(c, p)| (*c, p.iter().cloned().collect()))
                .collect(),
        }
    }
}

/// The subject record itself, decrypted.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectRecord {
    pub id: SubjectId,
    pub external_id: Option<String>,
    /// The address in use: confirmed by its owner, or from the company's own records.
    pub email: Option<String>,
    /// `verified` (an address is in use), `pending` (only an address waiting
    /// for its confirmation is held: nothing is sent to it) or `none`.
    pub email_status: EmailStatus,
    /// Where the address in use came from: `form:<key>`, a staff actor
    /// (`staff:<role>:<id>`), `import`, `subject` (the subject's own change) or
    /// `legacy` (held before double opt-in).
    pub email_source: Option<String>,
    pub email_verified_at: Option<DateTime<Utc>>,
    /// A new address waiting for its confirmation; `email` stays in use until then.
    pub email_pending: Option<String>,
    pub locale: Option<Lang>,
    pub organization: Option<String>,
    pub restricted: bool,
    pub objected_marketing: bool,
    pub objected_sharing: bool,
    pub created_at: DateTime<Utc>,
}

impl SubjectRecord {
    pub fn new(s: &Subject) -> SubjectRecord {
        SubjectRecord {
            id: s.id.clone(),
            external_id: s.external_id.clone(),
            email: s.email.clone(),
            email_status: s.email_status,
            email_source: s.email_source.clone(),
            email_verified_at: s.email_verified_at,
            email_pending: s.email_pending.clone(),
            locale: s.locale,
            organization: s.organization.clone(),
            restricted: s.restricted,
            objected_marketing: s.objected_marketing,
            objected_sharing: s.objected_sharing,
            created_at: s.created_at,
        }
    }
}

/// `GET /v1/me` and the staff read of a subject: everything held, current and past.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectView {
    pub subject: SubjectRecord,
    pub declarations: Vec<DeclarationView>,
    pub history: Vec<DeclarationView>,
    pub consents: Vec<ConsentView>,
    /// The subject's choice about each recipient of each sharing purpose (P21).
    pub recipient_consents: Vec<RecipientConsentView>,
    /// Every disclosure of the subject's data to a recipient, oldest first (P21).
    pub disclosures: Vec<DisclosureView>,
    pub contact: ContactView,
}

impl SubjectView {
    pub fn new(state: &AppState, data: &SubjectData) -> SubjectView {
        SubjectView {
            subject: SubjectRecord::new(&data.subject),
            declarations: DeclarationView::all(state, &data.declarations),
            history: DeclarationView::all(state, &data.history),
            consents: consents(state, data),
            recipient_consents: disclosures::recipient_consents(
                state,
                data,
                data.subject.locale.unwrap_or(state.config.default_language),
            ),
            disclosures: disclosures::disclosures(state, data),
            contact: ContactView::new(&data.contact),
        }
    }
}
