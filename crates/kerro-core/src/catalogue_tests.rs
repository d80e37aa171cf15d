use super::*;
use crate::compact_eval::compile;
use crate::consent::ConsentState;
use crate::decide::{decide, ConsentInfo, DeclaredValue};
use crate::ids::{AttributeKey, OfferKey, RecordId, SubjectId};
use crate::offer::compile_offer;
use crate::offer::tests::{schema, spec};
use chrono::{Duration, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{json, Value};

fn leaf() -> impl Strategy<Value = Value> {
    let opts = proptest::sample::subsequence(vec!["a", "b"], 0..=2);
    prop_oneof![
        prop_oneof![Just("a"), Just("b")].prop_map(|s| json!({"size": s})),
        opts.clone().prop_map(|s| json!({"size": {"$in": s}})),
        opts.clone().prop_map(|s| json!({"size": {"$nin": s}})),
        opts.clone().prop_map(|s| json!({"interests": {"$in": s}})),
        opts.clone().prop_map(|s| json!({"interests": {"$all": s}})),
        opts.clone().prop_map(|s| json!({"interests": {"$nin": s}})),
        Just(json!({"interests": {"$elemMatch": {"$eq": "a"}}})),
        Just(json!({"interests": {"$elemMatch": {"$in": ["b"]}}})),
        (0i64..100).prop_map(|n| json!({"employees": {"$gt": n}})),
        any::<bool>().prop_map(|b| json!({"trial": b})),
        any::<bool>().prop_map(|b| json!({"size": {"$exists": b}})),
        Just(json!({"size": {"$eq": "a"}, "employees": {"$lt": 50}})),
    ]
}

fn condition() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({})),
        leaf().prop_recursive(2, 8, 3, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3).prop_map(|v| json!({"$and": v})),
                proptest::collection::vec(inner.clone(), 0..3).prop_map(|v| json!({"$or": v})),
                inner.clone().prop_map(|c| json!({"$not": c})),
                proptest::collection::vec(inner, 1..3).prop_map(|v| json!({"$nor": v})),
            ]
        }),
    ]
}

fn offer_strategy() -> impl Strategy<Value = (Value, bool, i32, bool, u8, Vec<&'static str>)> {
    (
        condition(),
        any::<bool>(),
        -2i32..3,
        any::<bool>(),
        0u8..4,
        proptest::sample::subsequence(vec!["a", "b", "zzz"], 0..=2),
    )
}

fn value(attr: &str) -> BoxedStrategy<Value> {
    match attr {
        // Mostly answers that fit, and some that no longer do (an option
        // since removed, a duplicate, a null), which the index must not miss.
        "interests" => prop_oneof![
            8 => proptest::sample::subsequence(vec!["a", "b"], 0..=2).prop_map(|v| json!(v)),
            1 => prop_oneof![Just(json!(["a", "a"])), Just(json!(["zzz", "b"])), Just(json!("a"))],
        ]
        .boxed(),
        "size" => prop_oneof![
            8 => prop_oneof![Just(json!("a")), Just(json!("b"))],
            1 => prop_oneof![Just(json!("zzz")), Just(json!(null)), Just(json!(["a"]))],
        ]
        .boxed(),
        "employees" => (0i64..100).prop_map(|n| json!(n)).boxed(),
        _ => any::<bool>().prop_map(Value::from).boxed(),
    }
}

fn profile_strategy() -> impl Strategy<Value = Profile> {
    (
        proptest::option::of(value("interests")),
        proptest::option::of(value("size")),
        proptest::option::of(value("employees")),
        proptest::option::of(value("trial")),
        proptest::option::of(any::<bool>()),
        proptest::option::of(any::<bool>()),
        any::<bool>(),
        proptest::option::of(0u32..4),
    )
        .prop_map(
            |(interests, size, employees, trial, offers, news, objected, cap)| {
                let at = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
                let mut p = Profile::new(SubjectId::from_suffix("01HZY3K6Q5W9X8V7T6S5R4P3N2"));
                for (k, v) in [
                    ("interests", interests),
                    ("size", size),
                    ("employees", employees),
                    ("trial", trial),
                ] {
                    if let Some(v) = v {
                        p.declared.insert(
                            AttributeKey::parse("a", k).unwrap(),
                            DeclaredValue {
                                value: v,
                                form: None,
                                given_at: at,
                            },
                        );
                    }
                }
                for (k, c) in [("offers", offers), ("news", news)] {
                    if let Some(given) = c {
                        let state = if given {
                            ConsentState::Given
                        } else {
                            ConsentState::Withdrawn
                        };
                        p.consents.insert(
                            crate::PurposeKey::parse("p", k).unwrap(),
                            ConsentInfo {
                                state,
                                at,
                                record_id: RecordId::from_stored(format!("rec_{k}")),
                                notice: None,
                            },
                        );
                    }
                }
                p.contact.channels.insert(Channel::Email, true);
                p.contact.channels.insert(Channel::Web, true);
                p.contact.max_per_week = cap;
                p.objected_marketing = objected;
                p
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// The indexed catalogue decides exactly as the plain loop does.
    #[test]
    fn catalogue_equals_plain_decide(
        offers in proptest::collection::vec(offer_strategy(), 0..25),
        mut profile in profile_strategy(),
        left_news_by_email in any::<bool>(),
        web in any::<bool>(),
        limit in 1usize..6,
        delivered in proptest::collection::vec((0usize..25, 0i64..20, any::<bool>()), 0..6),
    ) {
        let s = schema();
        let now = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
        let mut compiled = Vec::new();
        for (i, (cond, news, priority, web_only, cap, topics)) in offers.into_iter().enumerate() {
            let mut o = spec(if news { "news" } else { "offers" }, cond);
            if news {
                // `news` may only read attributes bound to it.
                if o.condition.to_string().contains("size") || o.condition.to_string().contains("employees") || o.condition.to_string().contains("trial") {
                    o.condition = json!({});
                }
            }
            o.priority = priority;
            o.topics = topics.into_iter().map(String::from).collect();
            if web_only {
                o.channels = [Channel::Web].into();
            }
            if cap > 0 {
                o.max_per_subject = Some(u32::from(cap));
                o.period_days = Some(10);
            }
            if let Ok(c) = compile_offer(OfferKey::parse("k", &format!("o{i:02}")).unwrap(), o, &s) {
                compiled.push(c);
            }
        }
        let deliveries: Vec<Delivery> = delivered
            .into_iter()
            .filter(|(i, _, _)| *i < compiled.len())
            .map(|(i, days, shown)| Delivery {
                offer: compiled[i].key.clone(),
                channel: if shown { Channel::Web } else { Channel::Email },
                at: now - Duration::days(days),
            })
            .collect();
        if left_news_by_email {
            profile.contact.unsubscribed.entry(Channel::Email).or_default()
                .insert(crate::PurposeKey::parse("p", "news").unwrap());
        }
        let req = Request { channel: if web { Channel::Web } else { Channel::Email }, limit, now };
        let want = decide(&s, &compiled, &profile, &deliveries, &req);
        let catalogue = Catalogue::new(&s, compiled);
        prop_assert_eq!(catalogue.decide(&s, &profile, &deliveries, &req), want);
    }
}

#[test]
fn guards_are_derived_where_they_are_necessary() {
    let s = schema();
    let snap = Snapshot::new(&s);
    let offers = PurposeKey::parse("p", "offers").unwrap();
    let g = |c: Value| {
        let cond = kerro_condition::Condition::compile(&c).unwrap();
        guard(&snap, &compile(&snap, &offers, cond.root())).map(|mut lits| {
            lits.sort_unstable();
            lits
        })
    };
    let lit = |a: &str, o: &str| {
        let id = snap.id(a).unwrap();
        let info = &snap.attrs[id as usize];
        info.lit_base + info.option(o).unwrap()
    };
    let lits = |v: &[(&str, &str)]| {
        let mut l: Vec<u32> = v.iter().map(|(a, o)| lit(a, o)).collect();
        l.sort_unstable();
        Some(l)
    };
    assert_eq!(g(json!({"size": "a"})), lits(&[("size", "a")]));
    assert_eq!(
        g(json!({"size": {"$regex": "^b"}})),
        lits(&[("size", "b")]),
        "a choice's guard is every option that passes, whatever the operator"
    );
    assert_eq!(
        g(json!({"size": {"$ne": "a"}})),
        None,
        "passes on a missing answer"
    );
    assert_eq!(
        g(json!({"interests": {"$in": ["a", "b"]}, "employees": {"$gt": 1}})),
        lits(&[("interests", "a"), ("interests", "b")])
    );
    assert_eq!(
        g(json!({"$or": [{"size": "a"}, {"interests": {"$elemMatch": {"$eq": "b"}}}]})),
        lits(&[("size", "a"), ("interests", "b")])
    );
    assert_eq!(
        g(json!({"$or": [{"size": "a"}, {"employees": {"$gt": 1}}]})),
        None,
        "one branch needs no option"
    );
    assert_eq!(g(json!({"$not": {"size": "a"}})), None);
    assert_eq!(g(json!({"interests": {"$nin": ["a"]}})), None);
    assert_eq!(
        g(json!({"size": {"$exists": false}})),
        None,
        "passes on a missing answer"
    );
    assert_eq!(
        g(json!({"interests": {"$in": []}})),
        Some(vec![]),
        "never passes"
    );
    assert_eq!(
        g(json!({"interests": {"$all": ["b", "a"]}})),
        lits(&[("interests", "b")])
    );
}
