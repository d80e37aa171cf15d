//! What a hosted form's notice says about each of its purposes (P4), and
//! which purposes it offers as a choice to a signed-in customer: not one
//! already given, nor one they declined unless they ask again (P26).

use kerro_core::schema::{FormSpec, LegalBasis, Schema};
use kerro_core::PurposeKey;
use std::collections::{BTreeMap, BTreeSet};

use super::i18n::Tr;

/// What the notice says about one purpose of a form, shown beside its choice.
pub struct PurposeNotice {
    pub key: String,
    pub title: String,
    pub description: String,
    pub basis: String,
    pub retention: String,
    pub recipients: String,
    /// The questions of this form whose answers the purpose uses.
    pub data_categories: Vec<String>,
    /// The purpose rests on consent, so the subject chooses.
    pub needs_consent: bool,
    /// The signed-in subject already gave it (shown as state, not as a choice).
    pub active_since: String,
    /// The signed-in subject said no to it (refused or withdrew) on this day:
    /// not offered again unless they ask (P26).
    pub declined_on: String,
    /// Shown as an unticked choice.
    pub offered: bool,
}

/// What the signed-in subject already chose, as the form shows it: purposes
/// given (since when), purposes declined (when), and the declined ones the
/// subject asked to be offered again (`?ask=`).
#[derive(Default)]
pub struct Seen {
    pub active: BTreeMap<PurposeKey, String>,
    pub declined: BTreeMap<PurposeKey, String>,
    pub asked: BTreeSet<PurposeKey>,
}

impl Seen {
    /// Whether the form offers the purpose as a choice.
    pub fn offers(&self, key: &PurposeKey) -> bool {
        !self.active.contains_key(key)
            && (!self.declined.contains_key(key) || self.asked.contains(key))
    }

    /// The `ask` a page carries to its post: comma-separated purpose keys.
    pub fn asked_field(&self) -> String {
        self.asked
            .iter()
            .map(PurposeKey::as_str)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Reads `ask` (from the link or the post), keeping only declined purposes of the form.
    pub fn ask(&mut self, form: &FormSpec, raw: Option<&str>) {
        let Some(raw) = raw else { return };
        self.asked = raw
            .split(',')
            .take(form.purposes.len())
            .filter_map(|k| PurposeKey::parse("ask", k.trim()).ok())
            .filter(|k| form.purposes.contains(k) && self.declined.contains_key(k))
            .collect();
    }
}

pub fn basis_text(tr: &Tr, b: LegalBasis) -> String {
    tr.t(match b {
        LegalBasis::Consent => "basis-consent",
        LegalBasis::Contract => "basis-contract",
        LegalBasis::LegitimateInterest => "basis-legitimate-interest",
        LegalBasis::LegalObligation => "basis-legal-obligation",
    })
}

pub fn recipients_text(tr: &Tr, recipients: &[String]) -> String {
    if recipients.is_empty() {
        tr.t("notice-no-recipients")
    } else {
        recipients.join(", ")
    }
}

pub fn purpose_notices(
    tr: &Tr,
    schema: &Schema,
    form: &FormSpec,
    seen: &Seen,
) -> Vec<PurposeNotice> {
    form.purposes
        .iter()
        .filter_map(|k| schema.purposes.get(k).map(|p| (k, p)))
        .map(|(k, p)| {
            let categories: Vec<String> = form
                .attributes
                .iter()
                .filter_map(|a| schema.attributes.get(a))
                .filter(|a| a.purposes.contains(k))
                .map(|a| tr.text(&a.title))
                .collect();
            PurposeNotice {
                key: k.to_string(),
                title: tr.text(&p.title),
                description: tr.text(&p.description),
                basis: basis_text(tr, p.legal_basis),
                retention: tr.tn("retention-days", "days", i64::from(p.retention_days)),
                recipients: recipients_text(tr, &schema.recipient_names(p)),
                data_categories: if categories.is_empty() {
                    vec![tr.t("notice-no-categories")]
                } else {
                    categories
                },
                needs_consent: p.legal_basis == LegalBasis::Consent,
                active_since: seen.active.get(k).cloned().unwrap_or_default(),
                declined_on: seen.declined.get(k).cloned().unwrap_or_default(),
                offered: p.legal_basis == LegalBasis::Consent && seen.offers(k),
            }
        })
        .collect()
}
