use super::*;
use crate::i18n::{Lang, Localized};
use crate::schema::tests::{attribute, purpose};
use crate::schema::{AttrKind, FormKind, FormSpec};
use serde_json::json;

fn schema() -> Schema {
    let mut s = Schema::default();
    for (k, basis) in [
        ("offers", LegalBasis::Consent),
        ("events", LegalBasis::Consent),
        ("service", LegalBasis::Contract),
    ] {
        s.purposes
            .insert(PurposeKey::parse("p", k).unwrap(), purpose(basis));
    }
    for (k, kind, ps) in [
        ("interests", AttrKind::MultiChoice, &["offers"][..]),
        ("diet", AttrKind::Choice, &["events"][..]),
        ("size", AttrKind::Number, &["service"][..]),
        ("both", AttrKind::Boolean, &["offers", "events"][..]),
        ("elsewhere", AttrKind::Boolean, &["offers"][..]),
    ] {
        s.attributes
            .insert(AttributeKey::parse("a", k).unwrap(), attribute(kind, ps));
    }
    s.forms.insert(
        FormKey::parse("f", "signup").unwrap(),
        FormSpec {
            title: Localized::one(Lang::En, "f"),
            notice: Localized::one(Lang::En, "n"),
            kind: FormKind::Survey,
            attributes: ["interests", "diet", "size", "both"]
                .iter()
                .map(|a| AttributeKey::parse("a", a).unwrap())
                .collect(),
            purposes: ["offers", "events", "service"]
                .iter()
                .map(|p| PurposeKey::parse("p", p).unwrap())
                .collect(),
        },
    );
    s
}

fn run(answers: Value, consents: Value, current: &[(&str, ConsentState)]) -> CoreResult<Plan> {
    let current = current
        .iter()
        .map(|(p, s)| (PurposeKey::parse("p", p).unwrap(), *s))
        .collect();
    plan_submission(
        &schema(),
        &FormKey::parse("f", "signup").unwrap(),
        3,
        3,
        answers.as_object().unwrap(),
        consents.as_object().unwrap(),
        &current,
    )
}

fn err(r: CoreResult<Plan>) -> (ErrorCode, String) {
    let e = r.unwrap_err();
    (e.code, e.field.unwrap_or_default())
}

#[test]
fn consent_given_now_allows_answers() {
    let plan = run(
        json!({"interests": ["b", "a"], "size": 40}),
        json!({"offers": true, "events": false}),
        &[],
    )
    .unwrap();
    assert_eq!(plan.declarations.len(), 2);
    assert_eq!(plan.declarations[0].1, json!(["a", "b"]));
    assert_eq!(
        plan.consents,
        vec![
            (
                PurposeKey::parse("p", "offers").unwrap(),
                ConsentState::Given
            ),
            (
                PurposeKey::parse("p", "events").unwrap(),
                ConsentState::Refused
            )
        ]
    );
}

#[test]
fn answer_without_basis_is_refused() {
    // P3: absent consent is not given; P8: such an answer is refused.
    assert_eq!(
        err(run(json!({"diet": "a"}), json!({}), &[])),
        (ErrorCode::NoLegalBasis, "answers.diet".into())
    );
    assert_eq!(
        err(run(json!({"diet": "a"}), json!({"events": false}), &[])).0,
        ErrorCode::NoLegalBasis
    );
    // Withdrawn in this very submission: refused.
    assert_eq!(
        err(run(
            json!({"diet": "a"}),
            json!({"events": false}),
            &[("events", ConsentState::Given)]
        ))
        .0,
        ErrorCode::NoLegalBasis
    );
    // Consent given earlier counts.
    assert!(run(
        json!({"diet": "a"}),
        json!({}),
        &[("events", ConsentState::Given)]
    )
    .is_ok());
    // A non-consent basis needs no consent.
    assert!(run(json!({"size": 3}), json!({}), &[]).is_ok());
    // One active purpose of several is enough.
    assert!(run(json!({"both": true}), json!({"events": true}), &[]).is_ok());
}

#[test]
fn withdrawal_through_a_form() {
    let plan = run(
        json!({}),
        json!({"offers": false}),
        &[("offers", ConsentState::Given)],
    )
    .unwrap();
    assert_eq!(plan.consents[0].1, ConsentState::Withdrawn);
}

#[test]
fn refuses_what_the_form_does_not_ask() {
    assert_eq!(
        err(run(
            json!({"elsewhere": true}),
            json!({"offers": true}),
            &[]
        )),
        (ErrorCode::Minimisation, "answers.elsewhere".into())
    );
    assert_eq!(
        err(run(json!({"ghost": 1}), json!({}), &[])),
        (ErrorCode::Minimisation, "answers.ghost".into())
    );
    assert_eq!(
        err(run(json!({}), json!({"ghost": true}), &[])),
        (ErrorCode::Minimisation, "consents.ghost".into())
    );
    assert_eq!(
        err(run(json!({}), json!({"offers": "yes"}), &[])),
        (ErrorCode::InvalidRequest, "consents.offers".into())
    );
    assert_eq!(
        err(run(json!({}), json!({"service": true}), &[])),
        (ErrorCode::InvalidValue, "consents.service".into())
    );
    assert_eq!(
        err(run(
            json!({"interests": ["zz"]}),
            json!({"offers": true}),
            &[]
        )),
        (ErrorCode::InvalidValue, "answers.interests.0".into())
    );
}

#[test]
fn stale_notice() {
    let s = schema();
    let r = plan_submission(
        &s,
        &FormKey::parse("f", "signup").unwrap(),
        4,
        3,
        &Map::new(),
        &Map::new(),
        &BTreeMap::new(),
    );
    assert_eq!(r.unwrap_err().code, ErrorCode::StaleNotice);
}

#[test]
fn rectification() {
    let s = schema();
    let given = BTreeMap::from([(
        PurposeKey::parse("p", "offers").unwrap(),
        ConsentState::Given,
    )]);
    assert_eq!(
        plan_rectification(&s, "interests", &json!(["a"]), &given)
            .unwrap()
            .1,
        Some(json!(["a"]))
    );
    assert_eq!(
        plan_rectification(&s, "interests", &json!(null), &BTreeMap::new())
            .unwrap()
            .1,
        None
    );
    assert_eq!(
        plan_rectification(&s, "interests", &json!(["a"]), &BTreeMap::new())
            .unwrap_err()
            .code,
        ErrorCode::NoLegalBasis
    );
    assert_eq!(
        plan_rectification(&s, "ghost", &json!(1), &given)
            .unwrap_err()
            .code,
        ErrorCode::NotFound
    );
}

/// `diet` made a special-category question of the signup form.
fn explicit(answers: Value, stated: &[&str]) -> CoreResult<Vec<AttributeKey>> {
    let mut s = schema();
    s.attributes
        .get_mut(&AttributeKey::parse("a", "diet").unwrap())
        .unwrap()
        .special_category = true;
    let stated: Vec<String> = stated.iter().map(|x| x.to_string()).collect();
    explicit_statements(
        &s,
        &FormKey::parse("f", "signup").unwrap(),
        answers.as_object().unwrap(),
        &stated,
    )
}

#[test]
fn a_special_category_answer_needs_its_own_explicit_statement() {
    let e = explicit(json!({"diet": "a", "interests": ["a"]}), &[]).unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::SpecialCategory, Some("answers.diet"))
    );
    let ok = explicit(json!({"diet": "a", "interests": ["a"]}), &["diet"]).unwrap();
    assert_eq!(ok, vec![AttributeKey::parse("a", "diet").unwrap()]);
    // Stated but not answered: nothing to record.
    assert!(explicit(json!({"interests": ["a"]}), &["diet"])
        .unwrap()
        .is_empty());
    // Only a special-category question of the form has a statement.
    for bad in ["interests", "elsewhere", "nope"] {
        let e = explicit(json!({}), &["diet", bad]).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("explicit.1"), "{bad}");
    }
}

#[test]
fn recipient_choices_name_a_sharing_purpose_of_the_form_and_one_of_its_recipients() {
    let mut s = schema();
    let mut share = purpose(LegalBasis::Consent);
    share.uses.insert(crate::schema::Use::Sharing);
    share.recipients = vec!["crm".into(), "partner".into()];
    s.purposes
        .insert(PurposeKey::parse("p", "share").unwrap(), share);
    let form = FormKey::parse("f", "signup").unwrap();
    s.forms
        .get_mut(&form)
        .unwrap()
        .purposes
        .push(PurposeKey::parse("p", "share").unwrap());
    let partner = RecipientKey::parse("r", "partner").unwrap();
    let share_key = PurposeKey::parse("p", "share").unwrap();
    let current: RecipientStates =
        [((share_key.clone(), partner.clone()), ConsentState::Given)].into();
    let got = recipient_choices(
        &s,
        &form,
        json!({"share": {"partner": false, "crm": true}})
            .as_object()
            .unwrap(),
        &current,
    )
    .unwrap();
    assert_eq!(
        got,
        vec![
            (
                share_key.clone(),
                RecipientKey::parse("r", "crm").unwrap(),
                ConsentState::Given
            ),
            (share_key, partner, ConsentState::Withdrawn),
        ],
        "in the purpose's recipient order; taking back an active choice withdraws it"
    );
    for (body, code, field) in [
        (
            json!({"nope": {"crm": true}}),
            ErrorCode::Minimisation,
            "recipients.nope",
        ),
        (
            json!({"offers": {"crm": true}}),
            ErrorCode::InvalidValue,
            "recipients.offers",
        ),
        (
            json!({"share": true}),
            ErrorCode::InvalidValue,
            "recipients.share",
        ),
        (
            json!({"share": {"other": true}}),
            ErrorCode::InvalidValue,
            "recipients.share.other",
        ),
        (
            json!({"share": {"crm": "yes"}}),
            ErrorCode::InvalidValue,
            "recipients.share.crm",
        ),
    ] {
        let e = recipient_choices(
            &s,
            &form,
            body.as_object().unwrap(),
            &RecipientStates::new(),
        )
        .unwrap_err();
        assert_eq!(
            (e.code, e.field.unwrap_or_default().as_str()),
            (code, field),
            "{body}"
        );
    }
}
