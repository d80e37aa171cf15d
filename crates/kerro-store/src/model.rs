//! What the store hands back: decrypted, typed views of stored rows.

use chrono::{DateTime, Utc};
use kerro_core::consent::{ConsentEvent, ConsentState, Method};
use kerro_core::contact::ContactPrefs;
use kerro_core::ids::{AttributeKey, FormKey, PurposeKey, SubjectId};
use kerro_core::schema::Schema;
use kerro_core::Lang;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// One version of a form's notice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoticeVersion {
    pub version: u32,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

/// The schema plus each form's current notice version and the compiled offers, as cached in memory.
#[derive(Debug, Clone, Default)]
pub struct SchemaSnapshot {
    pub schema: Schema,
    pub notices: BTreeMap<FormKey, NoticeVersion>,
    /// Each form's newest notice version that was a material change (P7):
    /// consents given under an older version are due for renewal.
    pub material_notices: BTreeMap<FormKey, u32>,
    /// Every offer, compiled against `schema`, in key order.
    pub offers: Vec<kerro_core::offer::CompiledOffer>,
    /// The same offers prepared for the decision hot path.
    pub catalogue: std::sync::Arc<kerro_core::catalogue::Catalogue>,
    /// The newest outbox event this snapshot reflects: a snapshot never
    /// replaces a newer one (a node's follower and its own writes may race).
    pub outbox_seq: i64,
}

/// The fields a new subject may carry.
#[derive(Debug, Clone, Default)]
pub struct NewSubject {
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub locale: Option<Lang>,
    pub organization: Option<String>,
    /// The address waits for its owner's confirmation (double opt-in) instead
    /// of being in use at once as the company's own records.
    pub email_pending: bool,
}

/// A subject, decrypted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subject {
    pub id: SubjectId,
    pub external_id: Option<String>,
    /// The address in use: confirmed by its owner or from the company's own records.
    pub email: Option<String>,
    /// `verified` when `email` is held, `pending` when only an address
    /// waiting for confirmation is, else `none`.
    pub email_status: kerro_core::contact::EmailStatus,
    /// Where `email` came from: `form:<key>`, a staff actor, `import`, `subject`, `legacy`.
    pub email_source: Option<String>,
    pub email_verified_at: Option<DateTime<Utc>>,
    /// An address waiting for its owner's confirmation; `email` stays in use until then.
    pub email_pending: Option<String>,
    pub locale: Option<Lang>,
    pub organization: Option<String>,
    pub restricted: bool,
    pub objected_marketing: bool,
    pub objected_sharing: bool,
    pub created_at: DateTime<Utc>,
}

/// Where a declared value came from (P1). The source is always the subject
/// (DPV `ProvidedPersonalData`); kerro stores nothing observed or inferred.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provenance {
    pub form: Option<FormKey>,
    pub notice_version: Option<u32>,
    pub given_at: DateTime<Utc>,
    pub method: Method,
    pub source: &'static str,
}

pub const PROVIDED_BY_SUBJECT: &str = "dpv:ProvidedPersonalData";

/// One declared value with its provenance; `superseded_at` is set on history rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Declaration {
    pub attribute: AttributeKey,
    pub value: Value,
    pub provenance: Provenance,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub superseded_at: Option<DateTime<Utc>>,
}

/// A ledger event as stored, with its position and hash.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEvent {
    pub seq: i64,
    #[serde(flatten)]
    pub event: ConsentEvent,
    pub hash: String,
}

/// One audit entry that concerns a subject, for the subject's own export.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub time: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub detail: Value,
}

/// Everything held about one subject.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubjectData {
    pub subject: Subject,
    pub declarations: Vec<Declaration>,
    pub history: Vec<Declaration>,
    pub consents: Vec<StoredEvent>,
    /// Ledger events about one channel of a purpose (unsubscribes); they never change a purpose's state.
    pub channel_events: Vec<StoredEvent>,
    /// Explicit statements for special-category answers (P10); they never change a purpose's state.
    pub statements: Vec<StoredEvent>,
    /// E-mail confirmations in the consent ledger (evidence, not consents).
    pub email_confirmations: Vec<StoredEvent>,
    /// Choices about recipients of sharing purposes (P21), in ledger order;
    /// they never change a purpose's own state.
    pub recipient_choices: Vec<StoredEvent>,
    /// Every disclosure of the subject's data to a recipient (P21), oldest first.
    pub disclosures: Vec<kerro_core::disclosure::Disclosure>,
    pub contact: ContactPrefs,
    pub access_log: Vec<AuditEntry>,
    pub decisions: Vec<LoggedDecision>,
}

/// One offer shown or delivered to the subject, from the decision log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoggedDecision {
    pub offer: String,
    pub channel: String,
    pub decided_at: DateTime<Utc>,
    pub personalized: bool,
    pub reasons: Value,
    /// `shown` (an impression on the web), `decided` (chosen for a message) or `sent` (a message sent).
    pub kind: String,
    pub decision_id: Option<String>,
    /// The campaign that sent it, for a message a campaign sent.
    pub campaign: Option<String>,
}

impl SubjectData {
    /// The latest consent state per purpose.
    pub fn consent_states(&self) -> BTreeMap<PurposeKey, ConsentState> {
        latest_states(
            self.consents
                .iter()
                .map(|e| (&e.event.purpose, e.event.state)),
        )
    }
}

pub fn latest_states<'a>(
    events: impl Iterator<Item = (&'a PurposeKey, ConsentState)>,
) -> BTreeMap<PurposeKey, ConsentState> {
    let mut out = BTreeMap::new();
    for (p, s) in events {
        out.insert(p.clone(), s);
    }
    out
}

/// What a submission recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubmissionResult {
    pub subject: SubjectId,
    pub declarations: Vec<AttributeKey>,
    pub receipts: Vec<StoredEvent>,
}

/// What an erasure removed and what proof remains.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErasureSummary {
    pub subject: SubjectId,
    pub erased_at: DateTime<Utc>,
    pub declarations_deleted: u64,
    pub tokens_revoked: u64,
    pub consent_events_kept: u64,
}

/// A consent record: one event with the history of its purpose for that subject.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiptData {
    pub event: StoredEvent,
    pub history: Vec<StoredEvent>,
    /// The bundle of the notice the event names, as stored with its version.
    pub notice_bundle: Option<Value>,
    /// The channels the purpose could reach the subject on at the event.
    pub channels: Vec<kerro_core::contact::Channel>,
    pub subject_erased: bool,
}

/// A staff token, as listed (never with its secret).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StaffToken {
    pub id: String,
    pub role: kerro_core::Role,
    pub label: String,
    pub created_at: DateTime<Utc>,
}

/// One line of the minimisation report (P11): an attribute no live offer reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MinimisationRow {
    pub attribute: kerro_core::AttributeKey,
    pub purposes: Vec<PurposeKey>,
    /// The forms that ask it.
    pub forms: Vec<FormKey>,
    /// How many live subjects hold a value for it.
    pub subjects_holding: usize,
}
