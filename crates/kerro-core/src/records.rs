//! The record of processing activities (GDPR art. 30(1), P22), one activity
//! per purpose, built from the schema's purposes, attributes and recipients
//! and the identity and security measures the configuration gives. Pure:
//! the store keeps the inputs of every version, the server renders them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::i18n::Lang;
use crate::ids::{AttributeKey, PurposeKey, RecipientKey};
use crate::recipient::{RecipientRole, RecipientSpec, Safeguard};
use crate::schema::{AttributeSpec, LegalBasis, PurposeSpec, Schema};

/// What the schema contributes to a version: purposes, attributes, recipients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordsInputs {
    pub purposes: BTreeMap<PurposeKey, PurposeSpec>,
    pub attributes: BTreeMap<AttributeKey, AttributeSpec>,
    pub recipients: BTreeMap<RecipientKey, RecipientSpec>,
}

impl RecordsInputs {
    pub fn of(schema: &Schema) -> RecordsInputs {
        RecordsInputs {
            purposes: schema.purposes.clone(),
            attributes: schema.attributes.clone(),
            recipients: schema.recipients.clone(),
        }
    }

    /// Stable JSON (struct fields in order, maps sorted): what a version stores and hashes.
    pub fn canonical(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// What the configuration contributes: art. 30(1)(a) and (g).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordsContext {
    pub controller: RecordsController,
    /// The data protection officer's contact.
    pub dpo: String,
    /// The configured description of the technical and organisational measures.
    pub security_measures: String,
    /// Measures kerro itself takes in this installation, generated.
    pub facts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordsController {
    pub name: String,
    pub address: String,
    pub email: String,
}

/// One version of the record.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordOfProcessing {
    /// 1 for the first; each change of purposes, attributes, recipients or
    /// of the configured identity and measures makes the next. 0 before the first.
    pub version: u32,
    pub created_at: Option<DateTime<Utc>>,
    /// The language texts are given in (the installation's default).
    pub language: String,
    /// (a) the controller and (a) its data protection officer.
    pub controller: RecordsController,
    pub dpo: String,
    /// (b) to (f), one per purpose.
    pub activities: Vec<Activity>,
    /// (g) the technical and organisational security measures.
    pub security_measures: SecurityMeasures,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecurityMeasures {
    pub text: String,
    pub facts: Vec<String>,
}

/// The processing done for one purpose.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Activity {
    /// (b) the purpose.
    pub purpose: PurposeKey,
    pub title: String,
    pub description: String,
    pub legal_basis: LegalBasis,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dpv_category: Option<String>,
    /// (c) categories of data subjects.
    pub subject_categories: Vec<String>,
    /// (c) categories of personal data: the questions bound to the purpose.
    pub data_categories: Vec<DataCategory>,
    /// (d) recipients.
    pub recipients: Vec<ActivityRecipient>,
    /// (e) transfers to third countries (recipients outside the EEA), with the safeguard.
    pub transfers: Vec<Transfer>,
    /// (f) the time limit for erasure.
    pub retention_days: u32,
    /// The same as an ISO 8601 duration, e.g. `P365D`.
    pub retention: String,
    /// What art. 30 asks that the definitions do not say yet.
    pub gaps: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataCategory {
    pub attribute: AttributeKey,
    pub title: String,
    /// Special-category data (art. 9).
    pub special_category: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityRecipient {
    pub key: String,
    pub name: String,
    /// `None` for an entry stored before the register that names no registered recipient.
    pub country: Option<String>,
    pub role: Option<RecipientRole>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transfer {
    pub recipient: String,
    pub name: String,
    pub country: String,
    pub safeguard: Safeguard,
}

/// Builds version `version` of the record from its inputs; texts in `lang`.
pub fn build(
    version: u32,
    created_at: Option<DateTime<Utc>>,
    inputs: &RecordsInputs,
    ctx: &RecordsContext,
    lang: Lang,
) -> RecordOfProcessing {
    let activities = inputs
        .purposes
        .iter()
        .map(|(k, p)| activity(k, p, inputs, lang))
        .collect();
    RecordOfProcessing {
        version,
        created_at,
        language: lang.as_str().to_owned(),
        controller: ctx.controller.clone(),
        dpo: ctx.dpo.clone(),
        activities,
        security_measures: SecurityMeasures {
            text: ctx.security_measures.clone(),
            facts: ctx.facts.clone(),
        },
    }
}

fn activity(key: &PurposeKey, p: &PurposeSpec, inputs: &RecordsInputs, lang: Lang) -> Activity {
    let data_categories: Vec<DataCategory> = inputs
        .attributes
        .iter()
        .filter(|(_, a)| a.purposes.contains(key))
        .map(|(k, a)| DataCategory {
            attribute: k.clone(),
            title: a.title.get(lang, lang).to_owned(),
            special_category: a.special_category,
        })
        .collect();
    let mut gaps = Vec::new();
    if p.subject_categories.is_empty() {
        gaps.push("no categories of data subjects are given (subject_categories)".to_owned());
    }
    if data_categories.is_empty() {
        gaps.push("no question is bound to this purpose".to_owned());
    }
    let (mut recipients, mut transfers) = (Vec::new(), Vec::new());
    for r in &p.recipients {
        let found = inputs.recipients.iter().find(|(k, _)| k.as_str() == r);
        match found {
            Some((_, spec)) => {
                if let (true, Some(safeguard)) = (spec.third_country(), spec.safeguard) {
                    transfers.push(Transfer {
                        recipient: r.clone(),
                        name: spec.name.trim().to_owned(),
                        country: spec.country.clone(),
                        safeguard,
                    });
                }
                recipients.push(ActivityRecipient {
                    key: r.clone(),
                    name: spec.name.trim().to_owned(),
                    country: Some(spec.country.clone()),
                    role: Some(spec.role),
                });
            }
            None => {
                gaps.push(format!("recipient '{r}' is not in the recipients register"));
                recipients.push(ActivityRecipient {
                    key: r.clone(),
                    name: r.clone(),
                    country: None,
                    role: None,
                });
            }
        }
    }
    Activity {
        purpose: key.clone(),
        title: p.title.get(lang, lang).to_owned(),
        description: p.description.get(lang, lang).to_owned(),
        legal_basis: p.legal_basis,
        dpv_category: p.dpv_category.clone(),
        subject_categories: p.subject_categories.clone(),
        data_categories,
        recipients,
        transfers,
        retention_days: p.retention_days,
        retention: format!("P{}D", p.retention_days),
        gaps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::tests::{attribute, purpose};
    use crate::schema::{AttrKind, Use};

    fn ctx() -> RecordsContext {
        RecordsContext {
            controller: RecordsController {
                name: "Turvakide Oy".into(),
                address: "Katu 1".into(),
                email: "privacy@x.fi".into(),
            },
            dpo: "dpo@x.fi".into(),
            security_measures: "locked racks".into(),
            facts: vec!["per-subject keys".into()],
        }
    }

    #[test]
    fn one_activity_per_purpose_with_a_to_g() {
        let mut s = Schema::default();
        let mut share = purpose(LegalBasis::Consent);
        share.uses.insert(Use::Sharing);
        share.recipients = vec!["mailer".into(), "us_crm".into(), "legacy".into()];
        share.subject_categories = vec!["customers".into()];
        let pk = PurposeKey::parse("k", "share").unwrap();
        s.purposes.insert(pk.clone(), share);
        s.purposes.insert(
            PurposeKey::parse("k", "lonely").unwrap(),
            purpose(LegalBasis::Contract),
        );
        s.attributes.insert(
            AttributeKey::parse("k", "size").unwrap(),
            attribute(AttrKind::Number, &["share"]),
        );
        for (k, country, safeguard) in [
            ("mailer", "FI", None),
            ("us_crm", "US", Some(Safeguard::AdequacyDecision)),
        ] {
            s.recipients.insert(
                RecipientKey::parse("k", k).unwrap(),
                RecipientSpec {
                    name: format!("{k} Ltd"),
                    country: country.into(),
                    role: RecipientRole::Processor,
                    safeguard,
                },
            );
        }
        let r = build(3, None, &RecordsInputs::of(&s), &ctx(), Lang::En);
        assert_eq!((r.version, r.dpo.as_str()), (3, "dpo@x.fi"));
        assert_eq!(r.controller.name, "Turvakide Oy");
        assert_eq!(r.activities.len(), 2);
        let a = r.activities.iter().find(|a| a.purpose == pk).unwrap();
        assert_eq!(a.subject_categories, vec!["customers".to_owned()]);
        assert_eq!(a.data_categories.len(), 1);
        assert_eq!(a.data_categories[0].attribute.as_str(), "size");
        assert_eq!(a.recipients.len(), 3);
        assert_eq!(a.recipients[0].name, "mailer Ltd");
        assert_eq!(a.transfers.len(), 1, "only the US recipient is a transfer");
        assert_eq!(a.transfers[0].country, "US");
        assert_eq!(a.transfers[0].safeguard, Safeguard::AdequacyDecision);
        assert_eq!(a.retention, "P365D");
        assert_eq!(a.gaps.len(), 1, "{:?}", a.gaps);
        assert!(a.gaps[0].contains("legacy"));
        let lonely = r.activities.iter().find(|a| a.purpose != pk).unwrap();
        assert_eq!(lonely.gaps.len(), 2, "{:?}", lonely.gaps);
        assert_eq!(r.security_measures.text, "locked racks");
    }

    #[test]
    fn inputs_are_canonical() {
        let mut s = Schema::default();
        s.purposes.insert(
            PurposeKey::parse("k", "b").unwrap(),
            purpose(LegalBasis::Contract),
        );
        s.purposes.insert(
            PurposeKey::parse("k", "a").unwrap(),
            purpose(LegalBasis::Consent),
        );
        let text = RecordsInputs::of(&s).canonical();
        let back: RecordsInputs = serde_json::from_str(&text).unwrap();
        assert_eq!(back.canonical(), text);
        assert!(text.find("\"a\"").unwrap() < text.find("\"b\"").unwrap());
    }
}
