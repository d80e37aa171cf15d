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
    /// One choice per recipient of a sharing purpose (P21).
    pub recipient_choices: Vec<RecipientChoiceField>,
}

/// One recipient of a sharing purpose on the form: an unticked box, or what
/// the signed-in subject already chose (changed in the preference centre).
pub struct RecipientChoiceField {
    pub key: String,
    pub name: String,
    pub country: String,
    pub offered: bool,
    /// The subject's earlier choice, said in words, when not offered.
    pub state: String,
}

/// What the signed-in subject already chose, as the form shows it: purposes
/// given (since when), purposes declined (when), and the declined ones the
/// subject asked to be offered again (`?ask=`).
#[derive(Default)]
pub struct Seen {
    pub active: BTreeMap<PurposeKey, String>,
    pub declined: BTreeMap<PurposeKey, String>,
    pub asked: BTreeSet<PurposeKey>,
    /// The subject's latest choice per (purpose, recipient) (P21), with its day.
    pub recipients: BTreeMap<(PurposeKey, String), (bool, String)>,
}

impl Seen {
    /// Whether the form offers the purpose as a choice.
    pub fn offers(&self, key: &PurposeKey) -> bool {
        !self.active.contains_key(key)
            && (!self.declined.contains_key(key) || self.asked.contains(key))
    }

    /// Whether the form offers a choice about `recipient` of `purpose`
    /// (`consent`: whether the purpose rests on consent): the subject has not
    /// chosen about it yet, and the purpose itself is offered or given; a
    /// purpose the subject declined brings no recipient back either (P26).
    pub fn offers_recipient(&self, purpose: &PurposeKey, consent: bool, recipient: &str) -> bool {
        (!consent || self.offers(purpose) || self.active.contains_key(purpose))
            && !self
                .recipients
                .contains_key(&(purpose.clone(), recipient.to_owned()))
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
                recipient_choices: recipient_fields(tr, schema, k, seen),
            }
        })
        .collect()
}

/// The recipient choices of a sharing purpose, as the form shows them.
fn recipient_fields(
    tr: &Tr,
    schema: &Schema,
    key: &PurposeKey,
    seen: &Seen,
) -> Vec<RecipientChoiceField> {
    let Some(p) = schema.purposes.get(key).filter(|p| p.asks_per_recipient()) else {
        return Vec::new();
    };
    p.recipients
        .iter()
        .filter_map(|r| {
            let (_, spec) = schema.recipients.iter().find(|(k, _)| k.as_str() == r)?;
            let name = spec.name.trim().to_owned();
            let state = match seen.recipients.get(&(key.clone(), r.clone())) {
                Some((true, day)) => tr.t2("recipient-given", "recipient", &name, "date", day),
                Some((false, _)) => tr.t1("recipient-declined", "recipient", &name),
                None => String::new(),
            };
            Some(RecipientChoiceField {
                key: r.clone(),
                country: spec.country.clone(),
                offered: seen.offers_recipient(key, p.legal_basis == LegalBasis::Consent, r),
                name,
                state,
            })
        })
        .filter(|f| f.offered || !f.state.is_empty())
        .collect()
}
