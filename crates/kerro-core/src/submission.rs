//! The rules for a form submission and for self-service rectification: which
//! answers may be stored and which consent events are recorded. Pure: the
//! caller supplies the schema and the subject's current consent states, and
//! writes the returned plan in one transaction.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

use crate::consent::{basis_active, state_for_choice, ConsentState};
use crate::error::{CoreError, CoreResult, ErrorCode};
use crate::ids::{AttributeKey, FormKey, PurposeKey, RecipientKey};
use crate::schema::{LegalBasis, Schema};
use crate::value::normalize;

/// What a valid submission writes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    /// Normalised answers, in attribute-key order.
    pub declarations: Vec<(AttributeKey, Value)>,
    /// One event per purpose the subject made a choice for, in the order the form lists purposes.
    pub consents: Vec<(PurposeKey, ConsentState)>,
}

/// Checks a submission to `form_key` and returns what to store.
///
/// `current` holds the subject's latest consent state per purpose. `notice_version` is what the
/// client showed; `current_notice_version` is the form's newest version.
pub fn plan_submission(
    schema: &Schema,
    form_key: &FormKey,
    current_notice_version: u32,
    notice_version: u32,
    answers: &Map<String, Value>,
    consents: &Map<String, Value>,
    current: &BTreeMap<PurposeKey, ConsentState>,
) -> CoreResult<Plan> {
    let form = schema
        .forms
        .get(form_key)
        .ok_or_else(|| CoreError::not_found("form", format!("unknown form '{form_key}'")))?;
    if notice_version != current_notice_version {
        return Err(CoreError::at(
            ErrorCode::StaleNotice,
            "notice_version",
            format!(
                "the form's notice is now version {current_notice_version}; show it to the subject and submit again"
            ),
        ));
    }

    // P3: consents are explicit booleans per purpose; a purpose left out is simply not given.
    let mut choices: BTreeMap<PurposeKey, bool> = BTreeMap::new();
    for (raw, v) in consents {
        let field = format!("consents.{raw}");
        let key = form
            .purposes
            .iter()
            .find(|p| p.as_str() == raw)
            .ok_or_else(|| {
                CoreError::at(
                    ErrorCode::Minimisation,
                    &field,
                    format!("purpose '{raw}' is not asked by this form"),
                )
            })?;
        let given = v.as_bool().ok_or_else(|| {
            CoreError::at(
                ErrorCode::InvalidRequest,
                &field,
                "a consent is true or false",
            )
        })?;
        let spec = &schema.purposes[key];
        if spec.legal_basis != LegalBasis::Consent {
            return Err(CoreError::invalid(
                field,
                format!(
                    "purpose '{raw}' rests on {}, not on consent",
                    spec.legal_basis.as_str()
                ),
            ));
        }
        choices.insert(key.clone(), given);
    }

    let plan_consents: Vec<(PurposeKey, ConsentState)> = form
        .purposes
        .iter()
        .filter_map(|p| {
            choices
                .get(p)
                .map(|g| (p.clone(), state_for_choice(*g, current.get(p).copied())))
        })
        .collect();

    // The state each purpose will have once this submission is written.
    let after = |p: &PurposeKey| -> Option<ConsentState> {
        plan_consents
            .iter()
            .find(|(k, _)| k == p)
            .map(|(_, s)| *s)
            .or_else(|| current.get(p).copied())
    };

    let mut declarations = Vec::with_capacity(answers.len());
    for (raw, v) in answers {
        let field = format!("answers.{raw}");
        let key = form
            .attributes
            .iter()
            .find(|a| a.as_str() == raw)
            .ok_or_else(|| {
                CoreError::at(
                    ErrorCode::Minimisation,
                    &field,
                    format!("'{raw}' is not a question of this form"),
                )
            })?;
        let spec = &schema.attributes[key];
        let value = normalize(&field, spec, v)?;
        let allowed = spec.purposes.iter().any(|p| {
            schema
                .purposes
                .get(p)
                .is_some_and(|ps| basis_active(ps, after(p)))
        });
        if !allowed {
            return Err(CoreError::at(
                ErrorCode::NoLegalBasis,
                field,
                format!("'{raw}' serves only purposes without consent; it was not stored"),
            ));
        }
        declarations.push((key.clone(), value));
    }
    declarations.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Plan {
        declarations,
        consents: plan_consents,
    })
}

/// P10: an answer to a special-category question needs its own explicit
/// statement beside the purpose's consent (art. 9(2)(a)). `explicit` names the
/// questions whose statement the subject ticked; each must be a
/// special-category question of the form, and each such question answered
/// must be among them. Returns the answered ones, whose statements the ledger
/// records, in attribute-key order.
pub fn explicit_statements(
    schema: &Schema,
    form_key: &FormKey,
    answers: &Map<String, Value>,
    explicit: &[String],
) -> CoreResult<Vec<AttributeKey>> {
    let form = schema
        .forms
        .get(form_key)
        .ok_or_else(|| CoreError::not_found("form", format!("unknown form '{form_key}'")))?;
    let special = |raw: &str| {
        form.attributes
            .iter()
            .find(|a| a.as_str() == raw)
            .filter(|a| {
                schema
                    .attributes
                    .get(*a)
                    .is_some_and(|s| s.special_category)
            })
    };
    let mut stated = std::collections::BTreeSet::new();
    for (i, raw) in explicit.iter().enumerate() {
        let key = special(raw).ok_or_else(|| {
            CoreError::invalid(
                format!("explicit.{i}"),
                format!("'{raw}' is not a special-category question of this form"),
            )
        })?;
        stated.insert(key.clone());
    }
    let mut out = Vec::new();
    for raw in answers.keys() {
        let Some(key) = special(raw) else { continue };
        if !stated.contains(key) {
            return Err(CoreError::at(
                ErrorCode::SpecialCategory,
                format!("answers.{raw}"),
                format!(
                    "'{raw}' is special-category data: it needs its own explicit statement (list it in 'explicit') (P10)"
                ),
            ));
        }
        out.push(key.clone());
    }
    out.sort();
    Ok(out)
}

/// The latest state of a subject's choice per (purpose, recipient) (P21).
pub type RecipientStates = BTreeMap<(PurposeKey, RecipientKey), ConsentState>;

/// P21: the subject's choices about the recipients of a form's sharing
/// purposes, `{purpose: {recipient: true|false}}`. Each purpose must be asked
/// by the form and ask per recipient, each recipient be one it names, each
/// choice a boolean. Returns the events to record, in the form's purpose
/// order, then the purpose's recipient order.
pub fn recipient_choices(
    schema: &Schema,
    form_key: &FormKey,
    choices: &Map<String, Value>,
    current: &RecipientStates,
) -> CoreResult<Vec<(PurposeKey, RecipientKey, ConsentState)>> {
    let form = schema
        .forms
        .get(form_key)
        .ok_or_else(|| CoreError::not_found("form", format!("unknown form '{form_key}'")))?;
    let asked = |raw: &str| form.purposes.iter().find(|p| p.as_str() == raw);
    let mut out = Vec::new();
    for (raw, per) in choices {
        let field = format!("recipients.{raw}");
        let key = asked(raw).ok_or_else(|| {
            CoreError::at(
                ErrorCode::Minimisation,
                &field,
                format!("purpose '{raw}' is not asked by this form"),
            )
        })?;
        let spec = &schema.purposes[key];
        if !spec.asks_per_recipient() {
            return Err(CoreError::invalid(
                field,
                format!(
                    "purpose '{raw}' shares with no recipient: it takes no choice per recipient"
                ),
            ));
        }
        let per = per
            .as_object()
            .ok_or_else(|| CoreError::invalid(&field, "give {recipient key: true or false}"))?;
        for (r, v) in per {
            let field = format!("recipients.{raw}.{r}");
            if !spec.recipients.iter().any(|n| n == r) {
                return Err(CoreError::invalid(
                    field,
                    format!("purpose '{raw}' does not share with '{r}'"),
                ));
            }
            let given = v
                .as_bool()
                .ok_or_else(|| CoreError::invalid(&field, "a consent is true or false"))?;
            let recipient = RecipientKey::parse("recipient", r)?;
            let state = state_for_choice(
                given,
                current.get(&(key.clone(), recipient.clone())).copied(),
            );
            out.push((key.clone(), recipient, state));
        }
    }
    let order = |p: &PurposeKey, r: &RecipientKey| {
        let pi = form.purposes.iter().position(|k| k == p);
        let ri = schema.purposes[p]
            .recipients
            .iter()
            .position(|k| k == r.as_str());
        (pi, ri)
    };
    out.sort_by_key(|(p, r, _)| order(p, r));
    Ok(out)
}

/// Checks one self-service correction: `Some(value)` to rectify, `None` to delete.
/// A correction needs the same legal basis as an answer in a form.
pub fn plan_rectification(
    schema: &Schema,
    raw_key: &str,
    value: &Value,
    current: &BTreeMap<PurposeKey, ConsentState>,
) -> CoreResult<(AttributeKey, Option<Value>)> {
    let field = format!("declarations.{raw_key}");
    let (key, spec) = schema
        .attributes
        .iter()
        .find(|(k, _)| k.as_str() == raw_key)
        .ok_or_else(|| CoreError::not_found(&field, format!("unknown attribute '{raw_key}'")))?;
    if value.is_null() {
        return Ok((key.clone(), None));
    }
    let value = normalize(&field, spec, value)?;
    let allowed = spec.purposes.iter().any(|p| {
        schema
            .purposes
            .get(p)
            .is_some_and(|ps| basis_active(ps, current.get(p).copied()))
    });
    if !allowed {
        return Err(CoreError::at(
            ErrorCode::NoLegalBasis,
            field,
            format!(
                "'{raw_key}' serves only purposes you have not consented to; it was not stored"
            ),
        ));
    }
    Ok((key.clone(), Some(value)))
}

#[cfg(test)]
#[path = "submission_tests.rs"]
mod tests;
