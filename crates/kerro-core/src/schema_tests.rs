use super::*;
use crate::i18n::Lang;

pub(crate) fn text(s: &str) -> Localized {
    Localized::one(Lang::En, s)
}

pub(crate) fn purpose(basis: LegalBasis) -> PurposeSpec {
    PurposeSpec {
        title: text("t"),
        description: text("d"),
        legal_basis: basis,
        uses: BTreeSet::from([Use::Personalization]),
        retention_days: 365,
        consent_validity_days: None,
        recipients: vec![],
        dpv_category: None,
        subject_categories: vec![],
    }
}

pub(crate) fn attribute(kind: AttrKind, purposes: &[&str]) -> AttributeSpec {
    AttributeSpec {
        title: text("q"),
        description: None,
        kind,
        options: if kind.has_options() {
            vec![
                AttrOption {
                    value: "a".into(),
                    title: text("A"),
                },
                AttrOption {
                    value: "b".into(),
                    title: text("B"),
                },
            ]
        } else {
            vec![]
        },
        min: None,
        max: None,
        max_length: None,
        purposes: purposes
            .iter()
            .map(|p| PurposeKey::parse("p", p).unwrap())
            .collect(),
        special_category: false,
    }
}

fn pk(s: &str) -> PurposeKey {
    PurposeKey::parse("p", s).unwrap()
}

fn purposes() -> BTreeMap<PurposeKey, PurposeSpec> {
    BTreeMap::from([
        (pk("offers"), purpose(LegalBasis::Consent)),
        (pk("service"), purpose(LegalBasis::Contract)),
    ])
}

fn code(r: CoreResult<()>) -> Option<(ErrorCode, Option<String>)> {
    r.err().map(|e| (e.code, e.field))
}

#[test]
fn attribute_rules() {
    let ps = purposes();
    assert_eq!(
        code(attribute(AttrKind::Choice, &["offers"]).validate(&ps)),
        None
    );
    // P8: no purpose, no attribute.
    assert_eq!(
        code(attribute(AttrKind::Choice, &[]).validate(&ps)),
        Some((ErrorCode::Minimisation, Some("purposes".into())))
    );
    assert_eq!(
        code(attribute(AttrKind::Choice, &["nope"]).validate(&ps)),
        Some((ErrorCode::NotFound, Some("purposes.0".into())))
    );
    // P10: special categories only on consent purposes.
    let mut special = attribute(AttrKind::Boolean, &["offers", "service"]);
    special.special_category = true;
    assert_eq!(
        code(special.validate(&ps)),
        Some((ErrorCode::SpecialCategory, Some("purposes.1".into())))
    );
    special.purposes.pop();
    assert_eq!(code(special.validate(&ps)), None);

    let mut no_opts = attribute(AttrKind::Choice, &["offers"]);
    no_opts.options.clear();
    assert_eq!(
        code(no_opts.validate(&ps)).map(|c| c.0),
        Some(ErrorCode::InvalidValue)
    );
    let mut opts_on_number = attribute(AttrKind::Number, &["offers"]);
    opts_on_number.options.push(AttrOption {
        value: "x".into(),
        title: text("X"),
    });
    assert!(opts_on_number.validate(&ps).is_err());
    let mut bad_range = attribute(AttrKind::Number, &["offers"]);
    bad_range.min = Some(5.0);
    bad_range.max = Some(1.0);
    assert_eq!(
        code(bad_range.validate(&ps)).and_then(|c| c.1),
        Some("min".into())
    );
    let mut dup = attribute(AttrKind::MultiChoice, &["offers"]);
    dup.options[1].value = "a".into();
    assert_eq!(
        code(dup.validate(&ps)).and_then(|c| c.1),
        Some("options.1.value".into())
    );
}

#[test]
fn form_rules() {
    let ps = purposes();
    let attrs = BTreeMap::from([
        (
            AttributeKey::parse("a", "interests").unwrap(),
            attribute(AttrKind::MultiChoice, &["offers"]),
        ),
        (
            AttributeKey::parse("a", "size").unwrap(),
            attribute(AttrKind::Number, &["service"]),
        ),
    ]);
    let form = |attributes: &[&str], purposes: &[&str]| FormSpec {
        title: text("f"),
        notice: text("n"),
        kind: FormKind::Survey,
        attributes: attributes
            .iter()
            .map(|a| AttributeKey::parse("a", a).unwrap())
            .collect(),
        purposes: purposes.iter().map(|p| pk(p)).collect(),
    };
    assert_eq!(
        code(form(&["interests"], &["offers"]).validate(&ps, &attrs)),
        None
    );
    // P8: a form may not ask what none of its purposes needs.
    assert_eq!(
        code(form(&["interests", "size"], &["offers"]).validate(&ps, &attrs)),
        Some((ErrorCode::Minimisation, Some("attributes.1".into())))
    );
    assert_eq!(
        code(form(&["interests"], &[]).validate(&ps, &attrs)).and_then(|c| c.1),
        Some("purposes".into())
    );
    assert_eq!(
        code(form(&["ghost"], &["offers"]).validate(&ps, &attrs)),
        Some((ErrorCode::NotFound, Some("attributes.0".into())))
    );
}

#[test]
fn purpose_rules() {
    let mut p = purpose(LegalBasis::Consent);
    assert!(p.validate().is_ok());
    p.retention_days = 0;
    assert_eq!(
        code(p.validate()).and_then(|c| c.1),
        Some("retention_days".into())
    );
    p.retention_days = 30;
    p.recipients = vec!["Partner Oy".into()];
    assert_eq!(
        code(p.validate()).and_then(|c| c.1),
        Some("recipients.0".into()),
        "recipients are keys of the register, not names"
    );
    p.recipients = vec!["partner".into()];
    assert_eq!(code(p.validate()).and_then(|c| c.1), Some("uses".into()));
    p.uses.insert(Use::Sharing);
    assert!(p.validate().is_ok());
    let mut registered = BTreeMap::new();
    assert_eq!(
        p.check_recipients(&registered).err().and_then(|e| e.field),
        Some("recipients.0".into())
    );
    registered.insert(
        crate::ids::RecipientKey::parse("k", "partner").unwrap(),
        crate::recipient::RecipientSpec {
            name: "Partner Oy".into(),
            country: "FI".into(),
            role: crate::recipient::RecipientRole::Controller,
            safeguard: None,
        },
    );
    assert!(p.check_recipients(&registered).is_ok());
    let schema = Schema {
        recipients: registered,
        ..Schema::default()
    };
    assert_eq!(schema.recipient_names(&p), vec!["Partner Oy".to_owned()]);
    p.subject_categories = vec!["customers".into(), "customers".into()];
    assert_eq!(
        code(p.validate()).and_then(|c| c.1),
        Some("subject_categories.1".into())
    );
    p.subject_categories = vec![String::new()];
    assert_eq!(
        code(p.validate()).and_then(|c| c.1),
        Some("subject_categories.0".into())
    );
    p.subject_categories = vec!["x".into(); 21];
    assert_eq!(
        code(p.validate()).and_then(|c| c.1),
        Some("subject_categories".into())
    );
    p.subject_categories = vec!["customers".into(), "prospects".into()];
    assert!(p.validate().is_ok());
    p.title = Localized::default();
    assert_eq!(code(p.validate()).and_then(|c| c.1), Some("title".into()));
}

#[test]
fn purpose_json_rejects_unknown_fields() {
    let bad = serde_json::json!({
        "title": {"en": "t"}, "description": {"en": "d"}, "legal_basis": "consent",
        "retention_days": 30, "colour": "red"
    });
    assert!(serde_json::from_value::<PurposeSpec>(bad).is_err());
    let bad_basis = serde_json::json!({
        "title": {"en": "t"}, "description": {"en": "d"}, "legal_basis": "vibes", "retention_days": 30
    });
    assert!(serde_json::from_value::<PurposeSpec>(bad_basis).is_err());
}
