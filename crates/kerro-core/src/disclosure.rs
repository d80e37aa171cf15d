//! Disclosures to recipients (P21): who may be disclosed to a registered
//! recipient under a sharing purpose, and the record of each disclosure that
//! a subject sees. Writing the log, and the audience exports and webhooks
//! that disclose, live in the store and the binary.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::consent::{basis_active, ConsentState};
use crate::ids::{PurposeKey, RecipientKey};
use crate::schema::PurposeSpec;

/// How data left kerro for a recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DisclosureVia {
    /// An audience export made for the recipient (`POST /v1/audiences/export` with `recipient`).
    AudienceExport,
    /// A webhook delivered to an endpoint registered for the recipient.
    Webhook,
}

impl DisclosureVia {
    pub fn as_str(self) -> &'static str {
        match self {
            DisclosureVia::AudienceExport => "audience_export",
            DisclosureVia::Webhook => "webhook",
        }
    }

    pub fn parse(raw: &str) -> Option<DisclosureVia> {
        [DisclosureVia::AudienceExport, DisclosureVia::Webhook]
            .into_iter()
            .find(|v| v.as_str() == raw)
    }
}

/// One disclosure of one subject's data, as the log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Disclosure {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub recipient: RecipientKey,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub purpose: PurposeKey,
    /// What was disclosed: `id`, `email`, or the fields of a webhook's body.
    pub fields: Vec<String>,
    pub via: DisclosureVia,
    pub at: DateTime<Utc>,
}

/// Where a subject stands for one disclosure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// The latest state of the purpose's own consent.
    pub purpose: Option<ConsentState>,
    /// The latest state of the subject's choice about the recipient under the purpose.
    pub recipient: Option<ConsentState>,
    /// The subject objected to sharing (GPC, P17).
    pub objected_sharing: bool,
}

/// Whether `spec` lets data go to `recipient` for a subject standing so (P21):
/// the purpose names the recipient, its legal basis holds, the subject
/// consented to that recipient and did not object to sharing.
pub fn may_disclose(spec: &PurposeSpec, recipient: &RecipientKey, standing: Standing) -> bool {
    spec.recipients.iter().any(|r| r == recipient.as_str())
        && basis_active(spec, standing.purpose)
        && standing.recipient.is_some_and(ConsentState::is_active)
        && !standing.objected_sharing
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{LegalBasis, Use};
    use crate::{Lang, Localized};

    fn sharing(basis: LegalBasis) -> PurposeSpec {
        PurposeSpec {
            title: Localized::one(Lang::En, "Partner offers"),
            description: Localized::one(Lang::En, "Shared with partners"),
            legal_basis: basis,
            uses: [Use::Sharing].into(),
            retention_days: 30,
            consent_validity_days: None,
            recipients: vec!["partner".into()],
            dpv_category: None,
            subject_categories: vec![],
        }
    }

    #[test]
    fn only_a_consented_named_recipient_without_an_objection_is_disclosed_to() {
        let partner = RecipientKey::parse("r", "partner").unwrap();
        let other = RecipientKey::parse("r", "other").unwrap();
        let given = Some(ConsentState::Given);
        let ok = Standing {
            purpose: given,
            recipient: given,
            objected_sharing: false,
        };
        let spec = sharing(LegalBasis::Consent);
        assert!(may_disclose(&spec, &partner, ok));
        assert!(!may_disclose(&spec, &other, ok), "not named by the purpose");
        for s in [
            Standing {
                purpose: Some(ConsentState::Withdrawn),
                ..ok
            },
            Standing {
                purpose: None,
                ..ok
            },
            Standing {
                recipient: None,
                ..ok
            },
            Standing {
                recipient: Some(ConsentState::Withdrawn),
                ..ok
            },
            Standing {
                recipient: Some(ConsentState::Refused),
                ..ok
            },
            Standing {
                objected_sharing: true,
                ..ok
            },
        ] {
            assert!(!may_disclose(&spec, &partner, s), "{s:?}");
        }
        let contract = sharing(LegalBasis::Contract);
        let no_purpose_consent = Standing {
            purpose: None,
            ..ok
        };
        assert!(
            may_disclose(&contract, &partner, no_purpose_consent),
            "another basis holds without consent, the recipient's consent still counts"
        );
        assert!(!may_disclose(
            &contract,
            &partner,
            Standing {
                recipient: None,
                ..no_purpose_consent
            }
        ));
    }
}
