//! The schema a company defines: purposes, attributes (the questions) and forms
//! (the collection points), with the rules that keep collection minimal (P8)
//! and special-category data consent-only (P10).
//!
//! Storage of these definitions and notice versioning over time live in the store.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

use crate::error::{CoreError, CoreResult, ErrorCode};
use crate::i18n::Localized;
use crate::ids::{is_valid_key, AttributeKey, FormKey, PurposeKey, RecipientKey};
use crate::recipient::RecipientSpec;

/// The GDPR art. 6 basis a purpose rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LegalBasis {
    Consent,
    Contract,
    LegitimateInterest,
    LegalObligation,
}

impl LegalBasis {
    pub fn as_str(self) -> &'static str {
        match self {
            LegalBasis::Consent => "consent",
            LegalBasis::Contract => "contract",
            LegalBasis::LegitimateInterest => "legitimate_interest",
            LegalBasis::LegalObligation => "legal_obligation",
        }
    }

    /// The DPV term for the basis, used in consent receipts.
    pub fn dpv(self) -> &'static str {
        match self {
            LegalBasis::Consent => "dpv:Consent",
            LegalBasis::Contract => "dpv:Contract",
            LegalBasis::LegitimateInterest => "dpv:LegitimateInterest",
            LegalBasis::LegalObligation => "dpv:LegalObligation",
        }
    }
}

/// What a purpose lets kerro do with the values bound to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Use {
    Personalization,
    Communication,
    Analytics,
    Sharing,
    Service,
}

/// A purpose as defined by the company (`PUT /v1/purposes/{key}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PurposeSpec {
    pub title: Localized,
    pub description: Localized,
    pub legal_basis: LegalBasis,
    #[serde(default)]
    pub uses: BTreeSet<Use>,
    pub retention_days: u32,
    /// How long a consent to this purpose holds before it must be given again
    /// (P7): past it the retention job records it `expired`. Consent purposes only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_validity_days: Option<u32>,
    /// Keys of registered recipients (`PUT /v1/recipients/{key}`) the purpose discloses data to.
    #[serde(default)]
    pub recipients: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpv_category: Option<String>,
    /// Whose data the purpose processes, e.g. "customers", "prospects",
    /// "employees of client companies" (art. 30(1)(c)); at most 20 of 1-100
    /// characters. Optional: a purpose without any is flagged in the record
    /// of processing activities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subject_categories: Vec<String>,
}

/// The most subject categories one purpose lists.
pub const MAX_SUBJECT_CATEGORIES: usize = 20;

/// Retention is capped at 100 years: anything longer is a typo, not a policy.
pub const MAX_RETENTION_DAYS: u32 = 36_500;

impl PurposeSpec {
    pub fn validate(&self) -> CoreResult<()> {
        self.title.validate("title")?;
        self.description.validate("description")?;
        if self.retention_days == 0 || self.retention_days > MAX_RETENTION_DAYS {
            return Err(CoreError::invalid(
                "retention_days",
                format!("retention must be between 1 and {MAX_RETENTION_DAYS} days"),
            ));
        }
        if let Some(days) = self.consent_validity_days {
            if self.legal_basis != LegalBasis::Consent {
                return Err(CoreError::invalid(
                    "consent_validity_days",
                    "only a purpose based on consent has a consent validity",
                ));
            }
            if days == 0 || days > MAX_RETENTION_DAYS {
                return Err(CoreError::invalid(
                    "consent_validity_days",
                    format!("consent validity must be between 1 and {MAX_RETENTION_DAYS} days"),
                ));
            }
        }
        let mut seen = BTreeSet::new();
        for (i, r) in self.recipients.iter().enumerate() {
            if !is_valid_key(r) {
                return Err(CoreError::invalid(
                    format!("recipients.{i}"),
                    "a recipient is named by its key in the recipients register: 1-64 of a-z, 0-9, '_' and '-', starting with a letter",
                ));
            }
            if !seen.insert(r.as_str()) {
                return Err(CoreError::invalid(
                    format!("recipients.{i}"),
                    "recipient listed twice",
                ));
            }
        }
        if !self.recipients.is_empty() && !self.uses.contains(&Use::Sharing) {
            return Err(CoreError::invalid(
                "uses",
                "a purpose with recipients discloses data: list 'sharing' among its uses",
            ));
        }
        if self.subject_categories.len() > MAX_SUBJECT_CATEGORIES {
            return Err(CoreError::invalid(
                "subject_categories",
                format!("at most {MAX_SUBJECT_CATEGORIES} categories of subjects"),
            ));
        }
        let mut seen = BTreeSet::new();
        for (i, c) in self.subject_categories.iter().enumerate() {
            let field = format!("subject_categories.{i}");
            if c.trim().is_empty() || c.chars().count() > 100 || c.chars().any(char::is_control) {
                return Err(CoreError::invalid(
                    field,
                    "a category of subjects is 1-100 characters, e.g. 'customers'",
                ));
            }
            if !seen.insert(c.trim()) {
                return Err(CoreError::invalid(field, "category listed twice"));
            }
        }
        if let Some(cat) = &self.dpv_category {
            if cat.trim().is_empty() || cat.len() > 200 {
                return Err(CoreError::invalid(
                    "dpv_category",
                    "give a DPV purpose term such as 'dpv:ServicePersonalisation'",
                ));
            }
        }
        Ok(())
    }

    /// Checks that every recipient the purpose names is in the register
    /// (`registered`: the recipients the changed schema would hold).
    pub fn check_recipients(
        &self,
        registered: &BTreeMap<RecipientKey, RecipientSpec>,
    ) -> CoreResult<()> {
        for (i, r) in self.recipients.iter().enumerate() {
            if !registered.keys().any(|k| k.as_str() == r) {
                return Err(CoreError::invalid(
                    format!("recipients.{i}"),
                    format!("no recipient '{r}' is registered: PUT /v1/recipients/{r} first"),
                ));
            }
        }
        Ok(())
    }

    /// Whether the purpose asks consent per recipient (P21): it shares, with
    /// registered recipients; forms and the preference centre show one choice per recipient.
    pub fn asks_per_recipient(&self) -> bool {
        self.uses.contains(&Use::Sharing) && !self.recipients.is_empty()
    }

    /// Marketing purposes are the ones an objection to direct marketing (P14) stops.
    pub fn is_marketing(&self) -> bool {
        self.uses.contains(&Use::Personalization) || self.uses.contains(&Use::Communication)
    }
}

/// The kind of answer an attribute takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AttrKind {
    Choice,
    MultiChoice,
    Number,
    Boolean,
    Text,
    Date,
}

impl AttrKind {
    pub fn has_options(self) -> bool {
        matches!(self, AttrKind::Choice | AttrKind::MultiChoice)
    }
}

/// One option of a choice attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AttrOption {
    pub value: String,
    pub title: Localized,
}

/// Free text answers are capped so that a form cannot become a document store.
pub const DEFAULT_TEXT_MAX: u32 = 2_000;

/// An attribute: one declared field, e.g. "Which security areas interest you?".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AttributeSpec {
    pub title: Localized,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Localized>,
    pub kind: AttrKind,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<AttrOption>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    pub purposes: Vec<PurposeKey>,
    #[serde(default)]
    pub special_category: bool,
}

impl AttributeSpec {
    /// Checks the attribute against itself and the purposes it is bound to.
    pub fn validate(&self, purposes: &BTreeMap<PurposeKey, PurposeSpec>) -> CoreResult<()> {
        self.title.validate("title")?;
        if let Some(d) = &self.description {
            d.validate("description")?;
        }
        if self.purposes.is_empty() {
            return Err(CoreError::at(
                ErrorCode::Minimisation,
                "purposes",
                "an attribute must be bound to at least one purpose (P8)",
            ));
        }
        let mut seen = BTreeSet::new();
        for (i, p) in self.purposes.iter().enumerate() {
            let field = format!("purposes.{i}");
            if !seen.insert(p) {
                return Err(CoreError::invalid(
                    field,
                    format!("purpose '{p}' listed twice"),
                ));
            }
            let spec = purposes.get(p).ok_or_else(|| {
                CoreError::not_found(field.clone(), format!("unknown purpose '{p}'"))
            })?;
            if self.special_category && spec.legal_basis != LegalBasis::Consent {
                return Err(CoreError::at(
                    ErrorCode::SpecialCategory,
                    field,
                    format!(
                        "special-category data may only be bound to consent-based purposes; '{p}' rests on {} (P10)",
                        spec.legal_basis.as_str()
                    ),
                ));
            }
        }
        if self.kind.has_options() {
            if self.options.is_empty() {
                return Err(CoreError::invalid(
                    "options",
                    "a choice attribute needs at least one option",
                ));
            }
            let mut values = BTreeSet::new();
            for (i, o) in self.options.iter().enumerate() {
                if !is_valid_key(&o.value) {
                    return Err(CoreError::invalid(
                        format!("options.{i}.value"),
                        "an option value uses 1-64 of a-z, 0-9, '_' and '-', starting with a letter",
                    ));
                }
                if !values.insert(o.value.as_str()) {
                    return Err(CoreError::invalid(
                        format!("options.{i}.value"),
                        "option value listed twice",
                    ));
                }
                o.title.validate(&format!("options.{i}.title"))?;
            }
        } else if !self.options.is_empty() {
            return Err(CoreError::invalid(
                "options",
                "only choice and multi_choice attributes take options",
            ));
        }
        if self.kind == AttrKind::Number {
            for (name, v) in [("min", self.min), ("max", self.max)] {
                if v.is_some_and(|v| !v.is_finite()) {
                    return Err(CoreError::invalid(name, "must be a finite number"));
                }
            }
            if let (Some(min), Some(max)) = (self.min, self.max) {
                if min > max {
                    return Err(CoreError::invalid("min", "min is greater than max"));
                }
            }
        } else if self.min.is_some() || self.max.is_some() {
            return Err(CoreError::invalid(
                "min",
                "only number attributes take min and max",
            ));
        }
        if self.max_length.is_some() && self.kind != AttrKind::Text {
            return Err(CoreError::invalid(
                "max_length",
                "only text attributes take max_length",
            ));
        }
        if self.max_length.is_some_and(|m| m == 0 || m > 100_000) {
            return Err(CoreError::invalid(
                "max_length",
                "max_length must be between 1 and 100000",
            ));
        }
        Ok(())
    }

    pub fn option(&self, value: &str) -> Option<&AttrOption> {
        self.options.iter().find(|o| o.value == value)
    }
}

/// What kind of collection point a form is; it changes wording, never the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FormKind {
    #[default]
    Survey,
    Quiz,
    PreferenceCentre,
    EventSignup,
}

/// A form: a collection point with its notice, questions and purposes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FormSpec {
    pub title: Localized,
    pub notice: Localized,
    #[serde(default)]
    pub kind: FormKind,
    pub attributes: Vec<AttributeKey>,
    pub purposes: Vec<PurposeKey>,
}

impl FormSpec {
    /// Checks that every purpose exists and every attribute serves one of the form's purposes (P8).
    pub fn validate(
        &self,
        purposes: &BTreeMap<PurposeKey, PurposeSpec>,
        attributes: &BTreeMap<AttributeKey, AttributeSpec>,
    ) -> CoreResult<()> {
        self.title.validate("title")?;
        self.notice.validate("notice")?;
        if self.purposes.is_empty() {
            return Err(CoreError::invalid(
                "purposes",
                "a form needs at least one purpose",
            ));
        }
        let mut seen = BTreeSet::new();
        for (i, p) in self.purposes.iter().enumerate() {
            if !seen.insert(p) {
                return Err(CoreError::invalid(
                    format!("purposes.{i}"),
                    format!("purpose '{p}' listed twice"),
                ));
            }
            if !purposes.contains_key(p) {
                return Err(CoreError::not_found(
                    format!("purposes.{i}"),
                    format!("unknown purpose '{p}'"),
                ));
            }
        }
        let mut seen = BTreeSet::new();
        for (i, a) in self.attributes.iter().enumerate() {
            let field = format!("attributes.{i}");
            if !seen.insert(a) {
                return Err(CoreError::invalid(
                    field,
                    format!("attribute '{a}' listed twice"),
                ));
            }
            let spec = attributes.get(a).ok_or_else(|| {
                CoreError::not_found(field.clone(), format!("unknown attribute '{a}'"))
            })?;
            if !spec.purposes.iter().any(|p| self.purposes.contains(p)) {
                return Err(CoreError::at(
                    ErrorCode::Minimisation,
                    field,
                    format!("attribute '{a}' serves none of this form's purposes (P8)"),
                ));
            }
        }
        Ok(())
    }
}

/// A whole schema snapshot, as the submission rules need it.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub purposes: BTreeMap<PurposeKey, PurposeSpec>,
    pub attributes: BTreeMap<AttributeKey, AttributeSpec>,
    pub forms: BTreeMap<FormKey, FormSpec>,
    /// The recipients register, which purposes name by key.
    pub recipients: BTreeMap<RecipientKey, RecipientSpec>,
}

impl Schema {
    /// The names customers see for a purpose's recipients: a registered
    /// recipient's name, or the entry itself for one a schema stored before
    /// the register named directly.
    pub fn recipient_names(&self, purpose: &PurposeSpec) -> Vec<String> {
        purpose
            .recipients
            .iter()
            .map(|r| {
                self.recipients
                    .iter()
                    .find(|(k, _)| k.as_str() == r)
                    .map_or_else(|| r.clone(), |(_, spec)| spec.name.trim().to_owned())
            })
            .collect()
    }
}

#[cfg(test)]
#[path = "schema_tests.rs"]
pub(crate) mod tests;
