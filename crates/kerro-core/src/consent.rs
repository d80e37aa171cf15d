//! The consent ledger's events and the hash chain that makes editing a past
//! event detectable (P5). Persisting events, and choosing their order, is the
//! store's job; this module only defines what is hashed and how.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::contact::Channel;
use crate::i18n::Lang;
use crate::ids::{FormKey, PurposeKey, RecipientKey, RecordId, SubjectId};
use crate::schema::{LegalBasis, PurposeSpec};

/// A consent state, named as in DPV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConsentState {
    Given,
    Refused,
    Withdrawn,
    Expired,
    Renewed,
}

impl ConsentState {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentState::Given => "given",
            ConsentState::Refused => "refused",
            ConsentState::Withdrawn => "withdrawn",
            ConsentState::Expired => "expired",
            ConsentState::Renewed => "renewed",
        }
    }

    pub fn parse(raw: &str) -> Option<ConsentState> {
        [
            ConsentState::Given,
            ConsentState::Refused,
            ConsentState::Withdrawn,
            ConsentState::Expired,
            ConsentState::Renewed,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }

    /// Whether the purpose may be relied on while this is the latest state.
    pub fn is_active(self) -> bool {
        matches!(self, ConsentState::Given | ConsentState::Renewed)
    }

    pub fn dpv(self) -> &'static str {
        match self {
            ConsentState::Given => "dpv:ConsentGiven",
            ConsentState::Refused => "dpv:ConsentRefused",
            ConsentState::Withdrawn => "dpv:ConsentWithdrawn",
            ConsentState::Expired => "dpv:ConsentExpired",
            ConsentState::Renewed => "dpv:RenewedConsentGiven",
        }
    }
}

/// The state a subject's choice in a form or the preference centre produces.
pub fn state_for_choice(given: bool, current: Option<ConsentState>) -> ConsentState {
    match (given, current) {
        (true, _) => ConsentState::Given,
        (false, Some(s)) if s.is_active() => ConsentState::Withdrawn,
        (false, _) => ConsentState::Refused,
    }
}

/// Whether an active consent must be renewed (P7): it was given under a
/// version of a form's notice older than that form's newest material change
/// (`last_material` names it). A purpose's own notice never changes materially.
pub fn renewal_due(
    state: ConsentState,
    notice: Option<&NoticeRef>,
    last_material: impl Fn(&FormKey) -> Option<u32>,
) -> bool {
    let Some(NoticeRef {
        of: NoticeOf::Form(form),
        version,
        ..
    }) = notice
    else {
        return false;
    };
    state.is_active() && last_material(form).is_some_and(|m| m > *version)
}

/// Whether `spec` gives an active legal basis for a subject whose latest consent state is `latest`.
pub fn basis_active(spec: &PurposeSpec, latest: Option<ConsentState>) -> bool {
    spec.legal_basis != LegalBasis::Consent || latest.is_some_and(ConsentState::is_active)
}

/// How a consent was expressed (ISO 27560 `expression_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// A form answered by the subject (hosted, embedded or through the API on their behalf).
    Form,
    /// The subject's own self-service (preference centre or `/v1/me`).
    PreferenceCentre,
    /// Moved in from another system with its original evidence.
    Import,
    /// The owner of an e-mail address followed the confirmation link sent to
    /// it (double opt-in). Such an event is evidence about the address, not a
    /// consent to a purpose: its purpose is [`EMAIL_CONFIRMATION_PURPOSE`], its
    /// evidence the link's hash, and the store keeps it out of consent states.
    EmailConfirmation,
    /// The one-click unsubscribe link of a message (RFC 8058).
    UnsubscribeLink,
    /// The consent outlived the purpose's `consent_validity_days` (P7): the
    /// retention job recorded it `expired`; nobody expressed anything.
    Expiry,
    /// The explicit statement a special-category question needs beside the
    /// purpose's consent (art. 9(2)(a), P10), ticked on the form; its evidence
    /// names the question. Kept out of consent states like an e-mail confirmation.
    ExplicitStatement,
}

/// The purpose column of an e-mail confirmation event: reserved, so no
/// schema purpose may take the key (`schema.rs` refuses it).
pub const EMAIL_CONFIRMATION_PURPOSE: &str = "email-confirmation";

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Form => "form",
            Method::PreferenceCentre => "preference_centre",
            Method::Import => "import",
            Method::EmailConfirmation => "email_confirmation",
            Method::UnsubscribeLink => "unsubscribe_link",
            Method::Expiry => "expiry",
            Method::ExplicitStatement => "explicit_statement",
        }
    }

    pub fn parse(raw: &str) -> Option<Method> {
        [
            Method::Form,
            Method::PreferenceCentre,
            Method::Import,
            Method::EmailConfirmation,
            Method::UnsubscribeLink,
            Method::Expiry,
            Method::ExplicitStatement,
        ]
        .into_iter()
        .find(|m| m.as_str() == raw)
    }
}

/// Whose notice a consent was given against: a form's, or a purpose's own
/// (what the preference centre and `PUT /v1/me/consents/{purpose}` show).
/// Both are versioned the same way, in one table, under [`NoticeOf::stored_key`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeOf {
    Form(FormKey),
    Purpose(PurposeKey),
}

/// What a purpose's own notice key starts with where it is stored and hashed.
/// A form key cannot contain `:`, so the two never meet.
const PURPOSE_NOTICE_PREFIX: &str = "purpose:";

impl NoticeOf {
    /// The key under which the notice's versions are stored and which a
    /// consent event hashes: a form's key as it always was, or `purpose:<key>`.
    pub fn stored_key(&self) -> String {
        match self {
            NoticeOf::Form(f) => f.as_str().to_owned(),
            NoticeOf::Purpose(p) => format!("{PURPOSE_NOTICE_PREFIX}{p}"),
        }
    }

    /// Reads a stored key back.
    pub fn from_stored(raw: &str) -> crate::error::CoreResult<NoticeOf> {
        match raw.strip_prefix(PURPOSE_NOTICE_PREFIX) {
            Some(p) => Ok(NoticeOf::Purpose(PurposeKey::parse("purpose", p)?)),
            None => Ok(NoticeOf::Form(FormKey::parse("form", raw)?)),
        }
    }

    pub fn form(&self) -> Option<&FormKey> {
        match self {
            NoticeOf::Form(f) => Some(f),
            NoticeOf::Purpose(_) => None,
        }
    }
}

/// The notice a consent was given against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeRef {
    pub of: NoticeOf,
    pub version: u32,
    pub sha256: String,
}

/// One event of the consent ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentEvent {
    pub record_id: RecordId,
    pub subject: SubjectId,
    pub purpose: PurposeKey,
    pub state: ConsentState,
    pub notice: Option<NoticeRef>,
    pub language: Lang,
    /// Always whole microseconds in UTC, so the stored text and the hash agree.
    pub event_time: DateTime<Utc>,
    /// Who recorded it: `subject` or `staff:<token id>`.
    pub actor: String,
    pub method: Method,
    pub prev_hash: String,
    /// Set when the event is about one channel of the purpose only (a
    /// one-click unsubscribe withdraws e-mail for the purpose, not the
    /// purpose's consent); such events never change the purpose's state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// Evidence beyond the notice, hashed with the event when present: for an
    /// e-mail confirmation, `link_sha256:<hex>` (the followed link's hash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// Set when the event is the subject's choice about one recipient of a
    /// sharing purpose (P21): it gives or takes back consent to disclosing to
    /// that recipient, and never changes the purpose's own state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<RecipientKey>,
}

/// The `prev_hash` of the first event of a chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Formats a time the one way kerro stores and hashes it.
pub fn format_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The next hash of a chain: SHA-256 over the previous hash and the canonical form of the new entry.
pub fn link(prev_hash: &str, canonical: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(canonical.as_bytes());
    hex::encode(h.finalize())
}

impl ConsentEvent {
    /// The canonical text hashed for this event: a JSON array in a fixed order,
    /// version first. An event about one channel appends the channel; an event
    /// with evidence is version 2, the evidence last; an event about one
    /// recipient is version 3 and appends channel, evidence (each `null` when
    /// absent) and the recipient, so no two shapes can hash the same text;
    /// any other keeps version 1's text, so older chains verify unchanged.
    pub fn canonical(&self) -> String {
        let notice = self.notice.as_ref();
        let mut v = serde_json::json!([
            1,
            self.record_id.as_str(),
            self.subject.as_str(),
            self.purpose.as_str(),
            self.state.as_str(),
            notice.map(|n| n.of.stored_key()),
            notice.map(|n| n.version),
            notice.map(|n| n.sha256.as_str()),
            self.language.as_str(),
            format_time(&self.event_time),
            self.actor,
            self.method.as_str(),
        ]);
        // Events about one channel hash it too; every other event hashes as it always did.
        if let (Some(c), Some(items)) = (self.channel, v.as_array_mut()) {
            items.push(serde_json::json!(c.as_str()));
        }
        if let Some(recipient) = &self.recipient {
            if let Some(items) = v.as_array_mut() {
                items[0] = serde_json::json!(3);
                if self.channel.is_none() {
                    items.push(serde_json::Value::Null);
                }
                items.push(serde_json::json!(self.evidence));
                items.push(serde_json::json!(recipient.as_str()));
            }
        } else if let (Some(evidence), Some(items)) = (&self.evidence, v.as_array_mut()) {
            items[0] = serde_json::json!(2);
            items.push(serde_json::json!(evidence));
        }
        v.to_string()
    }

    pub fn hash(&self) -> String {
        link(&self.prev_hash, &self.canonical())
    }
}

/// Where a chain check found the first break.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub seq: i64,
    pub reason: String,
}

/// Walks stored entries `(seq, prev_hash, canonical, stored_hash)` in order and finds the first break.
pub struct ChainVerifier {
    expected_prev: String,
    pub checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            expected_prev: GENESIS.to_owned(),
            checked: 0,
        }
    }
}

impl ChainVerifier {
    pub fn check(
        &mut self,
        seq: i64,
        prev_hash: &str,
        canonical: &str,
        stored_hash: &str,
    ) -> Result<(), ChainBreak> {
        if prev_hash != self.expected_prev {
            return Err(ChainBreak {
                seq,
                reason: "prev_hash does not match the hash of the event before it (an event was removed or reordered)".into(),
            });
        }
        let actual = link(prev_hash, canonical);
        if actual != stored_hash {
            return Err(ChainBreak {
                seq,
                reason: "content does not match its hash (the event was edited)".into(),
            });
        }
        self.expected_prev = actual;
        self.checked += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn event(n: u32, prev: &str) -> ConsentEvent {
        ConsentEvent {
            record_id: RecordId::from_suffix(&format!("{n:026}")),
            subject: SubjectId::from_suffix("01HZY3K6Q5W9X8V7T6S5R4P3N2"),
            purpose: PurposeKey::parse("p", "newsletter").unwrap(),
            state: ConsentState::Given,
            notice: None,
            language: Lang::Fi,
            event_time: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, n).unwrap(),
            actor: "subject".into(),
            method: Method::Form,
            prev_hash: prev.into(),
            channel: None,
            evidence: None,
            recipient: None,
        }
    }

    #[test]
    fn a_recipient_is_hashed_in_a_shape_of_its_own() {
        let plain = event(1, GENESIS);
        let mut to = plain.clone();
        to.recipient = Some(RecipientKey::parse("r", "partner").unwrap());
        assert!(to.canonical().starts_with("[3,"));
        assert!(to.canonical().ends_with(",null,null,\"partner\"]"));
        assert_ne!(to.hash(), plain.hash());
        let mut other = to.clone();
        other.recipient = Some(RecipientKey::parse("r", "partners").unwrap());
        assert_ne!(other.hash(), to.hash(), "the recipient is in the hash");
        // Evidence that spells a recipient cannot pass for one.
        let mut forged = plain.clone();
        forged.evidence = Some("partner".into());
        assert_ne!(forged.canonical(), to.canonical());
        assert!(
            plain.canonical().starts_with("[1,"),
            "older events hash as before"
        );
    }

    #[test]
    fn a_channel_is_hashed_and_its_absence_keeps_the_old_form() {
        let e = event(1, GENESIS);
        assert!(!e.canonical().contains("email"));
        assert_eq!(
            e.canonical().matches(',').count(),
            11,
            "twelve fields, as before"
        );
        let on_email = ConsentEvent {
            channel: Some(Channel::Email),
            ..e.clone()
        };
        assert!(on_email.canonical().ends_with(",\"email\"]"));
        assert_ne!(on_email.hash(), e.hash());
    }

    #[test]
    fn evidence_is_hashed_and_leaves_older_events_as_they_were() {
        let plain = event(1, GENESIS);
        assert!(plain.canonical().starts_with("[1,"));
        assert!(!plain.canonical().contains("link_sha256"));
        let mut with = plain.clone();
        with.evidence = Some("link_sha256:ab".into());
        assert!(with.canonical().starts_with("[2,"));
        assert!(with.canonical().ends_with(",\"link_sha256:ab\"]"));
        assert_ne!(with.hash(), plain.hash());
        let mut other = with.clone();
        other.evidence = Some("link_sha256:ac".into());
        assert_ne!(other.hash(), with.hash(), "the evidence is in the hash");
    }

    #[test]
    fn chain_detects_edit_and_removal() {
        let e1 = event(1, GENESIS);
        let h1 = e1.hash();
        let e2 = event(2, &h1);
        let h2 = e2.hash();
        let e3 = event(3, &h2);
        let h3 = e3.hash();

        let mut v = ChainVerifier::default();
        for (seq, e, h) in [(1, &e1, &h1), (2, &e2, &h2), (3, &e3, &h3)] {
            v.check(seq, &e.prev_hash, &e.canonical(), h).unwrap();
        }
        assert_eq!(v.checked, 3);

        let mut edited = e2.clone();
        edited.state = ConsentState::Refused;
        let mut v = ChainVerifier::default();
        v.check(1, &e1.prev_hash, &e1.canonical(), &h1).unwrap();
        assert_eq!(
            v.check(2, &edited.prev_hash, &edited.canonical(), &h2)
                .unwrap_err()
                .seq,
            2
        );

        let mut v = ChainVerifier::default();
        v.check(1, &e1.prev_hash, &e1.canonical(), &h1).unwrap();
        assert_eq!(
            v.check(3, &e3.prev_hash, &e3.canonical(), &h3)
                .unwrap_err()
                .seq,
            3
        );
    }

    #[test]
    fn a_purpose_notice_is_keyed_apart_from_forms_and_a_form_hashes_as_before() {
        let form = NoticeOf::Form(FormKey::parse("f", "survey").unwrap());
        let purpose = NoticeOf::Purpose(PurposeKey::parse("p", "survey").unwrap());
        assert_eq!(form.stored_key(), "survey");
        assert_eq!(purpose.stored_key(), "purpose:survey");
        for of in [&form, &purpose] {
            assert_eq!(&NoticeOf::from_stored(&of.stored_key()).unwrap(), of);
        }
        assert!(NoticeOf::from_stored("purpose:").is_err());
        let mut e = event(1, GENESIS);
        e.notice = Some(NoticeRef {
            of: form,
            version: 3,
            sha256: "ab".into(),
        });
        assert!(e
            .canonical()
            .contains(r#""newsletter","given","survey",3,"ab","#));
        let mut p = e.clone();
        p.notice = Some(NoticeRef {
            of: purpose,
            version: 3,
            sha256: "ab".into(),
        });
        assert!(p.canonical().contains(r#""purpose:survey",3,"ab""#));
        assert_ne!(p.hash(), e.hash());
    }

    #[test]
    fn renewal_is_due_for_active_consents_under_an_older_version_than_a_material_change() {
        let survey = FormKey::parse("f", "survey").unwrap();
        let under = |v: u32| NoticeRef {
            of: NoticeOf::Form(survey.clone()),
            version: v,
            sha256: String::new(),
        };
        let material_at_3 = |f: &FormKey| (f.as_str() == "survey").then_some(3);
        let none = |_: &FormKey| None;
        for (state, notice, material, due) in [
            (ConsentState::Given, Some(under(2)), true, true),
            (ConsentState::Renewed, Some(under(2)), true, true),
            (ConsentState::Given, Some(under(3)), true, false),
            (ConsentState::Given, Some(under(4)), true, false),
            (ConsentState::Withdrawn, Some(under(2)), true, false),
            (ConsentState::Refused, Some(under(1)), true, false),
            (ConsentState::Given, Some(under(1)), false, false),
            (ConsentState::Given, None, true, false),
        ] {
            let got = if material {
                renewal_due(state, notice.as_ref(), material_at_3)
            } else {
                renewal_due(state, notice.as_ref(), none)
            };
            assert_eq!(got, due, "{state:?} {notice:?} {material}");
        }
        let own = NoticeRef {
            of: NoticeOf::Purpose(PurposeKey::parse("p", "survey").unwrap()),
            version: 1,
            sha256: String::new(),
        };
        assert!(!renewal_due(ConsentState::Given, Some(&own), material_at_3));
    }

    #[test]
    fn choices() {
        assert_eq!(state_for_choice(true, None), ConsentState::Given);
        assert_eq!(state_for_choice(false, None), ConsentState::Refused);
        assert_eq!(
            state_for_choice(false, Some(ConsentState::Given)),
            ConsentState::Withdrawn
        );
        assert_eq!(
            state_for_choice(false, Some(ConsentState::Withdrawn)),
            ConsentState::Refused
        );
        assert_eq!(
            state_for_choice(true, Some(ConsentState::Withdrawn)),
            ConsentState::Given
        );
    }
}
