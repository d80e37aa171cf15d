use super::*;
use crate::schema::tests::{attribute, purpose};
use crate::schema::LegalBasis;
use serde_json::json;

pub(crate) fn schema() -> Schema {
    let mut s = Schema::default();
    let mut offers = purpose(LegalBasis::Consent);
    offers.uses = [Use::Personalization, Use::Communication].into();
    s.purposes
        .insert(PurposeKey::parse("p", "offers").unwrap(), offers);
    let mut service = purpose(LegalBasis::Contract);
    service.uses = [Use::Service].into();
    s.purposes
        .insert(PurposeKey::parse("p", "service").unwrap(), service);
    let mut news = purpose(LegalBasis::Consent);
    news.uses = [Use::Personalization].into();
    s.purposes
        .insert(PurposeKey::parse("p", "news").unwrap(), news);
    for (k, kind, ps, special) in [
        (
            "interests",
            AttrKind::MultiChoice,
            &["offers", "news"][..],
            false,
        ),
        ("size", AttrKind::Choice, &["offers", "service"][..], false),
        ("employees", AttrKind::Number, &["offers"][..], false),
        ("wishes", AttrKind::Text, &["offers"][..], false),
        ("review", AttrKind::Date, &["offers"][..], false),
        ("trial", AttrKind::Boolean, &["offers"][..], false),
        ("health", AttrKind::Text, &["offers"][..], true),
        ("internal", AttrKind::Choice, &["service"][..], false),
        ("topics", AttrKind::MultiChoice, &["news"][..], false),
    ] {
        let mut a = attribute(kind, ps);
        a.special_category = special;
        s.attributes.insert(AttributeKey::parse("a", k).unwrap(), a);
    }
    s
}

pub(crate) fn spec(purpose: &str, condition: Value) -> OfferSpec {
    OfferSpec {
        title: Localized::one(crate::Lang::En, "Offer"),
        body: Localized::one(crate::Lang::En, "Body"),
        purpose: PurposeKey::parse("p", purpose).unwrap(),
        condition,
        channels: [Channel::Email, Channel::Web].into(),
        priority: 0,
        valid_from: None,
        valid_until: None,
        max_per_subject: None,
        period_days: None,
        topics: vec![],
    }
}

fn check(condition: Value, expected: Result<(), &str>) {
    let got = compile_offer(
        OfferKey::parse("k", "o").unwrap(),
        spec("offers", condition.clone()),
        &schema(),
    );
    match (got, expected) {
        (Ok(_), Ok(())) => {}
        (Err(e), Err(field)) => assert_eq!(e.field.as_deref(), Some(field), "{condition}: {e}"),
        (Ok(_), Err(field)) => panic!("{condition} was accepted; expected an error at {field}"),
        (Err(e), Ok(())) => panic!("{condition} was refused: {e}"),
    }
}

#[test]
fn type_checks() {
    check(json!({}), Ok(()));
    check(json!({"interests": {"$in": ["a"]}}), Ok(()));
    check(json!({"interests": {"$elemMatch": {"$eq": "b"}}}), Ok(()));
    check(
        json!({"interests": {"$all": ["a", "b"]}, "size": "a"}),
        Ok(()),
    );
    check(json!({"interests": {"$size": {"$gte": 2}}}), Ok(()));
    check(json!({"employees": {"$gte": 50, "$lt": 250}}), Ok(()));
    check(json!({"review": {"$lt": "2027-01-01"}}), Ok(()));
    check(
        json!({"trial": true, "wishes": {"$regexi": "cloud"}}),
        Ok(()),
    );
    check(
        json!({"$or": [{"size": "a"}, {"employees": {"$gt": 10}}], "$not": {"trial": false}}),
        Ok(()),
    );
    check(json!({"size": {"$exists": true}}), Ok(()));
    // Unknown attribute, dotted paths.
    check(json!({"country": "FI"}), Err("condition.country"));
    check(json!({"size.x": "a"}), Err("condition.size.x"));
    // Bound only to another purpose (P2).
    check(json!({"internal": "a"}), Err("condition.internal"));
    check(json!({"topics": {"$in": ["a"]}}), Err("condition.topics"));
    // Special category, never for targeting (P10).
    check(
        json!({"health": {"$exists": true}}),
        Err("condition.health"),
    );
    // Operators that cannot apply to the kind.
    check(json!({"size": {"$gt": "a"}}), Err("condition.size.$gt"));
    check(json!({"interests": "a"}), Err("condition.interests"));
    check(
        json!({"interests": {"$eq": "a"}}),
        Err("condition.interests.$eq"),
    );
    check(json!({"interests": ["a"]}), Err("condition.interests"));
    check(json!({"employees": "12"}), Err("condition.employees"));
    check(
        json!({"employees": {"$in": ["12"]}}),
        Err("condition.employees.$in"),
    );
    check(json!({"trial": "yes"}), Err("condition.trial"));
    check(json!({"size": {"$size": 1}}), Err("condition.size.$size"));
    check(
        json!({"size": {"$elemMatch": {"$eq": "a"}}}),
        Err("condition.size.$elemMatch"),
    );
    check(
        json!({"employees": {"$regex": "1"}}),
        Err("condition.employees.$regex"),
    );
    check(json!({"wishes": {"$vgt": "1.0"}}), Ok(()));
    check(json!({"size": {"$vgt": "1.0"}}), Err("condition.size.$veq"));
    // Values that are not options, bad dates, bad regexes, unknown operators, saved groups.
    check(json!({"size": "zzz"}), Err("condition.size"));
    check(
        json!({"interests": {"$in": ["a", "zzz"]}}),
        Err("condition.interests.$in"),
    );
    check(
        json!({"review": {"$gt": "soon"}}),
        Err("condition.review.$gt"),
    );
    // Dates in conditions are read as strictly as date answers, so the text
    // comparison is between canonical dates.
    check(json!({"review": "2027-01-31"}), Ok(()));
    check(
        json!({"review": {"$in": ["2027-01-31", "0001-01-01"]}}),
        Ok(()),
    );
    check(json!({"review": {"$gte": "9999-12-31"}}), Ok(()));
    for bad in [
        "2027-1-31",
        " 2027-01-31",
        "+2027-01-31",
        "-262143-01-01",
        "0000-01-01",
        "2027-02-29",
        "2027-01-31T00:00:00Z",
    ] {
        check(json!({"review": {"$lt": bad}}), Err("condition.review.$lt"));
        check(json!({"review": bad}), Err("condition.review"));
        check(json!({"review": {"$eq": bad}}), Err("condition.review.$eq"));
        check(
            json!({"review": {"$in": ["2027-01-31", bad]}}),
            Err("condition.review.$in"),
        );
        check(
            json!({"review": {"$nin": [bad]}}),
            Err("condition.review.$nin"),
        );
    }
    check(
        json!({"wishes": {"$regex": "("}}),
        Err("condition.wishes.$regex"),
    );
    check(json!({"size": {"$near": "a"}}), Err("condition.size.$near"));
    check(
        json!({"size": {"$inGroup": "vip"}}),
        Err("condition.size.$inGroup"),
    );
    check(json!({"size": {"$in": "a"}}), Err("condition.size"));
}

#[test]
fn offer_rules() {
    let s = schema();
    let key = || OfferKey::parse("k", "o").unwrap();
    let mut o = spec("service", json!({"size": "a"}));
    assert_eq!(
        compile_offer(key(), o.clone(), &s)
            .unwrap_err()
            .field
            .as_deref(),
        Some("purpose"),
        "service cannot target"
    );
    o.condition = json!({});
    assert!(
        compile_offer(key(), o.clone(), &s).unwrap().generic,
        "a generic offer needs no personalization use"
    );
    o.channels.clear();
    assert_eq!(
        compile_offer(key(), o.clone(), &s)
            .unwrap_err()
            .field
            .as_deref(),
        Some("channels")
    );
    let mut o = spec("offers", json!({}));
    o.max_per_subject = Some(2);
    assert_eq!(
        compile_offer(key(), o.clone(), &s)
            .unwrap_err()
            .field
            .as_deref(),
        Some("period_days")
    );
    o.period_days = Some(30);
    assert!(compile_offer(key(), o.clone(), &s).is_ok());
    o.condition = json!([]);
    assert_eq!(
        compile_offer(key(), o.clone(), &s)
            .unwrap_err()
            .field
            .as_deref(),
        Some("condition")
    );
    let c = compile_offer(
        key(),
        spec(
            "offers",
            json!({"size": "a", "$or": [{"employees": {"$gt": 1}}, {"trial": true}]}),
        ),
        &s,
    )
    .unwrap();
    let reads: Vec<&str> = c.reads.iter().map(|k| k.as_str()).collect();
    assert_eq!(reads, vec!["employees", "size", "trial"]);
}
