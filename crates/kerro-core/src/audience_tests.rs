use super::*;
use crate::consent::ConsentState;
use crate::decide::{ConsentInfo, DeclaredValue};
use crate::ids::AttributeKey;
use crate::ids::{RecordId, SubjectId};
use crate::offer::tests::schema;
use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use serde_json::json;
use serde_json::Map;

const ENGINES: [Engine; 2] = [Engine::Flat, Engine::Roaring];

fn pk(s: &str) -> PurposeKey {
    PurposeKey::parse("p", s).unwrap()
}

#[derive(Debug, Clone)]
struct Subject {
    consent: Option<bool>,
    email: bool,
    /// The address waits for its confirmation (double opt-in).
    pending: bool,
    web: bool,
    restricted: bool,
    objected: bool,
    /// Left e-mail for the purpose `offers` only (one-click unsubscribe).
    unsubscribed: bool,
    values: Vec<(&'static str, Value)>,
}

fn value_for(attr: &'static str) -> BoxedStrategy<Value> {
    match attr {
        "interests" => proptest::sample::subsequence(vec!["a", "b"], 0..=2)
            .prop_map(|v| json!(v))
            .boxed(),
        // Now and then a value of an unexpected type: the index must stay exact.
        "size" => {
            prop_oneof![8 => Just(json!("a")), 8 => Just(json!("b")), 1 => Just(json!(3))].boxed()
        }
        "employees" => prop_oneof![
            20 => (0i64..200).prop_map(|n| json!(n)),
            1 => Just(json!(1.5)),
            1 => Just(json!(-0.0)),
            1 => Just(json!("7")),
        ]
        .boxed(),
        "trial" => any::<bool>().prop_map(Value::from).boxed(),
        "wishes" => prop_oneof![
            Just(json!("abc")),
            Just(json!("xyz")),
            Just(json!("a")),
            Just(json!("undefined")),
            Just(json!("ä")),
        ]
        .boxed(),
        _ => prop_oneof![Just(json!("2026-01-01")), Just(json!("2026-07-01"))].boxed(),
    }
}

fn subject() -> impl Strategy<Value = Subject> {
    const ATTRS: [&str; 6] = [
        "interests",
        "size",
        "employees",
        "trial",
        "wishes",
        "review",
    ];
    let attrs = ATTRS;
    let values = attrs
        .iter()
        .map(|a: &&'static str| {
            let a: &'static str = a;
            proptest::option::of(value_for(a)).prop_map(move |v| v.map(|v| (a, v)))
        })
        .collect::<Vec<_>>();
    (
        proptest::option::of(any::<bool>()),
        (any::<bool>(), prop::bool::weighted(0.2)),
        any::<bool>(),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.1),
        values,
    )
        .prop_map(
            |(consent, (email, pending), web, restricted, objected, unsubscribed, values)| {
                Subject {
                    consent,
                    email,
                    pending,
                    web,
                    restricted,
                    objected,
                    unsubscribed,
                    values: values.into_iter().flatten().collect(),
                }
            },
        )
}

fn leaf() -> impl Strategy<Value = Value> {
    let strs = proptest::sample::subsequence(vec!["a", "b", "z"], 0..=3);
    prop_oneof![
        prop_oneof![Just("a"), Just("b"), Just("z")].prop_map(|s| json!({"size": s})),
        strs.clone().prop_map(|s| json!({"size": {"$in": s}})),
        strs.clone().prop_map(|s| json!({"size": {"$nin": s}})),
        Just(json!({"size": {"$ne": "a"}})),
        any::<bool>().prop_map(|b| json!({"size": {"$exists": b}})),
        strs.clone().prop_map(|s| json!({"interests": {"$in": s}})),
        strs.clone().prop_map(|s| json!({"interests": {"$nin": s}})),
        strs.clone().prop_map(|s| json!({"interests": {"$all": s}})),
        Just(json!({"interests": {"$elemMatch": {"$eq": "b"}}})),
        strs.clone()
            .prop_map(|s| json!({"interests": {"$elemMatch": {"$in": s}}})),
        prop_oneof![Just("a"), Just("z")].prop_map(|s| json!({"size": {"$eq": s}})),
        (0i64..200).prop_map(|n| json!({"employees": {"$lt": n}})),
        Just(json!({"size": {"$in": ["a"], "$exists": true}})),
        (0u32..3).prop_map(|n| json!({"interests": {"$size": n}})),
        any::<bool>().prop_map(|b| json!({"interests": {"$exists": b}})),
        (0i64..200).prop_map(|n| json!({"employees": {"$gt": n}})),
        (0i64..200).prop_map(|n| json!({"employees": {"$lte": n, "$gte": 50}})),
        any::<bool>().prop_map(|b| json!({"trial": b})),
        Just(json!({"trial": {"$ne": true}})),
        Just(json!({"wishes": {"$regex": "^a"}})),
        Just(json!({"review": {"$lt": "2026-06-01"}})),
        Just(json!({})),
        Just(json!({"size": "undefined"})),
        Just(json!({"wishes": "undefined"})),
        (0i64..200).prop_map(|n| json!({"employees": n})),
        Just(json!({"employees": "7"})),
        (0i64..200).prop_map(|n| json!({"employees": {"$gte": n.to_string()}})),
        Just(json!({"wishes": {"$gt": "b"}})),
        Just(json!({"wishes": {"$lte": "abc"}})),
        Just(json!({"review": {"$gte": "2026-03-01"}})),
        Just(json!({"size": {"$lt": "b"}})),
        Just(json!({"interests": ["a", "b"]})),
        Just(json!({"interests": "a"})),
    ]
}

fn condition() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(|v| json!({"$and": v})),
            proptest::collection::vec(inner.clone(), 0..3).prop_map(|v| json!({"$or": v})),
            proptest::collection::vec(inner.clone(), 0..3).prop_map(|v| json!({"$nor": v})),
            inner.prop_map(|c| json!({"$not": c})),
        ]
    })
}

fn profile(i: usize, s: &Subject) -> Profile {
    let mut p = Profile::new(SubjectId::from_suffix(&format!("{i:026}")));
    let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    if let Some(given) = s.consent {
        let state = if given {
            ConsentState::Given
        } else {
            ConsentState::Withdrawn
        };
        p.consents.insert(
            pk("offers"),
            ConsentInfo {
                state,
                at,
                record_id: RecordId::from_stored("rec_x".into()),
                notice: None,
            },
        );
    }
    p.contact.channels.insert(Channel::Email, s.email);
    p.contact.channels.insert(Channel::Web, s.web);
    if s.pending {
        p.email = crate::contact::EmailStatus::Pending;
    }
    if s.unsubscribed {
        p.contact
            .unsubscribed
            .entry(Channel::Email)
            .or_default()
            .insert(pk("offers"));
    }
    p.restricted = s.restricted;
    p.objected_marketing = s.objected;
    for (a, v) in &s.values {
        p.declared.insert(
            AttributeKey::parse("a", a).unwrap(),
            DeclaredValue {
                value: v.clone(),
                form: None,
                given_at: at,
            },
        );
    }
    p
}

fn brute_force(
    schema: &Schema,
    profiles: &[Profile],
    purpose: &PurposeKey,
    channel: Channel,
    cond: &Condition,
) -> RoaringBitmap {
    let marketing = schema.purposes[purpose].is_marketing();
    let mut out = RoaringBitmap::new();
    for (slot, p) in profiles.iter().enumerate() {
        let reachable = p.basis_active(schema, purpose)
            && p.reachable_on(channel)
            && p.contact.reachable(channel, purpose)
            && !p.restricted
            && !(marketing && p.objected_marketing);
        if reachable && cond.eval(&Value::Object(p.masked(schema, purpose)), &Map::new()) {
            out.insert(slot as u32);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Counts equal a brute-force evaluation of the same condition, subject by subject.
    #[test]
    fn index_equals_brute_force(subjects in proptest::collection::vec(subject(), 0..60), cond in condition(), web in any::<bool>(), removed in proptest::collection::vec(0usize..60, 0..12)) {
        let schema = schema();
        let mut profiles: Vec<Profile> = subjects.iter().enumerate().map(|(i, s)| profile(i, s)).collect();
        let mut index = AudienceIndex::new();
        for (slot, p) in profiles.iter().enumerate() {
            index.set(slot as u32, p);
        }
        let compiled = Condition::compile(&cond).unwrap();
        let purpose = pk("offers");
        let channel = if web { Channel::Web } else { Channel::Email };
        // Asked once before the changes, so the reachable set and the flat
        // copies they must keep exact are there.
        for e in ENGINES {
            index.use_engine(e);
            index.count(&schema, &AudienceQuery { purpose: &purpose, channel, condition: &compiled });
        }
        // Updates and removals keep the index exact: rewrite some, erase others.
        for (i, r) in removed.iter().enumerate() {
            if *r < profiles.len() {
                index.remove(*r as u32);
                if i % 2 == 0 {
                    profiles[*r].restricted = true;
                } else {
                    // Takes the next subject's answers: values come and go.
                    profiles[*r].declared = profiles[(*r + 1) % profiles.len()].declared.clone();
                    profiles[*r].contact.channels.insert(channel, true);
                }
                index.set(*r as u32, &profiles[*r]);
            }
        }
        let want = brute_force(&schema, &profiles, &purpose, channel, &compiled);
        for e in ENGINES {
            index.use_engine(e);
            let q = AudienceQuery { purpose: &purpose, channel, condition: &compiled };
            prop_assert_eq!(index.count(&schema, &q), want.len(), "{:?}: condition {}", e, cond);
            prop_assert_eq!(&index.matching(&schema, &q), &want, "{:?}: condition {}", e, cond);
            let mut each = Vec::new();
            index.each_member(&schema, &q, |s| each.extend_from_slice(s));
            prop_assert_eq!(each, want.iter().collect::<Vec<_>>());
        }
    }
}

fn range_leaf() -> impl Strategy<Value = Value> {
    let day = (1u32..=12, 1u32..=28).prop_map(|(m, d)| format!("2026-{m:02}-{d:02}"));
    prop_oneof![
        (0i64..500).prop_map(|n| json!({"employees": {"$lt": n}})),
        (0i64..500).prop_map(|n| json!({"employees": {"$gte": n}})),
        (0i64..500, 0i64..500).prop_map(|(a, b)| json!({"employees": {"$gt": a, "$lte": b}})),
        day.clone().prop_map(|d| json!({"review": {"$lte": d}})),
        day.prop_map(|d| json!({"review": {"$gt": d}})),
        Just(json!({"size": "a"})),
        Just(json!({"interests": {"$in": ["b"]}})),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// With enough subjects and distinct values for range bins to be drawn,
    /// and then changed, comparisons stay exact.
    #[test]
    fn ranges_over_bins_equal_brute_force(
        n in 1200usize..2200,
        seed in any::<u64>(),
        cond in proptest::collection::vec(range_leaf(), 1..4).prop_map(|v| json!({"$and": v})),
    ) {
        let schema = schema();
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut rng = seed;
        let mut next = move |m: u64| {
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (rng >> 33) % m
        };
        let mut profiles = Vec::new();
        for i in 0..n {
            let mut s = Subject {
                consent: Some(next(10) > 0),
                ..reachable(vec![])
            };
            if next(5) > 0 {
                s.values.push(("employees", json!(next(100) * next(5))));
            }
            if next(4) > 0 {
                s.values.push(("review", json!(format!("2026-{:02}-{:02}", 1 + next(12), 1 + next(28)))));
            }
            s.values.push(("size", json!(if next(2) == 0 { "a" } else { "b" })));
            s.values.push(("interests", json!(["b"])));
            profiles.push(profile(i, &s));
        }
        let mut index = AudienceIndex::new();
        for (slot, p) in profiles.iter().enumerate() {
            index.set(slot as u32, p);
        }
        let compiled = Condition::compile(&cond).unwrap();
        let purpose = pk("offers");
        let q = AudienceQuery { purpose: &purpose, channel: Channel::Email, condition: &compiled };
        index.count(&schema, &q);
        // Change a third of them after the bins were drawn.
        for slot in (0..n).filter(|i| i % 3 == 0) {
            let v = json!(next(700));
            profiles[slot].declared.insert(
                AttributeKey::parse("a", "employees").unwrap(),
                DeclaredValue { value: v, form: None, given_at: at },
            );
            index.set(slot as u32, &profiles[slot]);
        }
        let want = brute_force(&schema, &profiles, &purpose, Channel::Email, &compiled);
        for e in ENGINES {
            index.use_engine(e);
            prop_assert_eq!(index.count(&schema, &q), want.len(), "{:?}: condition {}", e, cond);
            prop_assert_eq!(&index.matching(&schema, &q), &want);
        }
    }
}

/// A subject who consented to `offers` and may be e-mailed, holding `values`.
fn reachable(values: Vec<(&'static str, Value)>) -> Subject {
    Subject {
        consent: Some(true),
        email: true,
        pending: false,
        web: false,
        restricted: false,
        objected: false,
        unsubscribed: false,
        values,
    }
}

#[test]
fn reachability_follows_basis_channel_restriction_and_objection() {
    let schema = schema();
    let base = reachable(vec![("size", json!("a"))]);
    let variants = [
        base.clone(),
        Subject {
            consent: Some(false),
            ..base.clone()
        },
        Subject {
            consent: None,
            ..base.clone()
        },
        Subject {
            email: false,
            ..base.clone()
        },
        Subject {
            restricted: true,
            ..base.clone()
        },
        Subject {
            objected: true,
            ..base.clone()
        },
        Subject {
            unsubscribed: true,
            ..base.clone()
        },
        Subject {
            pending: true,
            ..base.clone()
        },
    ];
    let mut index = AudienceIndex::new();
    for (i, s) in variants.iter().enumerate() {
        index.set(i as u32, &profile(i, s));
    }
    let r = index.reachable(&schema, &pk("offers"), Channel::Email);
    assert_eq!(r.iter().collect::<Vec<_>>(), vec![0]);
    // `service` rests on a contract: no consent needed, but still channel, restriction; not marketing.
    // Leaving e-mail for `offers` (6) leaves it on for `service`.
    let r = index.reachable(&schema, &pk("service"), Channel::Email);
    assert_eq!(r.iter().collect::<Vec<_>>(), vec![0, 1, 2, 5, 6]);
    // The unconfirmed address leaves e-mail out, not the web.
    let web = Subject {
        web: true,
        ..variants[7].clone()
    };
    index.set(7, &profile(7, &web));
    assert!(index
        .reachable(&schema, &pk("service"), Channel::Web)
        .contains(7));
    index.remove(0);
    assert_eq!(index.len(), 7);
    assert!(index
        .reachable(&schema, &pk("offers"), Channel::Email)
        .is_empty());
}

/// The general path reads whole arrays from a column: a subject whose array
/// changes or goes away is counted by what it holds now.
#[test]
fn general_path_follows_changes_of_whole_arrays() {
    let schema = schema();
    let with = reachable;
    let mut profiles: Vec<Profile> = [
        with(vec![("interests", json!(["a"]))]),
        with(vec![("interests", json!(["a", "b"]))]),
        with(vec![("interests", json!(["b"]))]),
        with(vec![]),
        with(vec![("interests", json!(["a"]))]),
    ]
    .iter()
    .enumerate()
    .map(|(i, s)| profile(i, s))
    .collect();
    let mut index = AudienceIndex::new();
    for (slot, p) in profiles.iter().enumerate() {
        index.set(slot as u32, p);
    }
    // Subject 0 drops its answer, subject 3 gives one.
    profiles[0] = profile(0, &with(vec![]));
    profiles[3] = profile(3, &with(vec![("interests", json!(["a", "b"]))]));
    index.set(0, &profiles[0]);
    index.set(3, &profiles[3]);
    let purpose = pk("offers");
    for cond in [
        json!({"interests": {"$size": 1}}),
        json!({"interests": ["a", "b"]}),
        json!({"interests": {"$size": 0}}),
        json!({"$not": {"interests": ["a"]}}),
    ] {
        let compiled = Condition::compile(&cond).unwrap();
        let want = brute_force(&schema, &profiles, &purpose, Channel::Email, &compiled);
        for e in ENGINES {
            index.use_engine(e);
            let q = AudienceQuery {
                purpose: &purpose,
                channel: Channel::Email,
                condition: &compiled,
            };
            assert_eq!(index.matching(&schema, &q), want, "{e:?}: {cond}");
            assert_eq!(index.count(&schema, &q), want.len(), "{e:?}: {cond}");
        }
    }
}
