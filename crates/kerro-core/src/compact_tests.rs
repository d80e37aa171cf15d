use super::*;
use crate::consent::ConsentState;
use crate::decide::{ConsentInfo, DeclaredValue};
use crate::ids::{AttributeKey, RecordId, SubjectId};
use crate::schema::tests::{attribute, purpose, text};
use crate::schema::{AttrOption, AttributeSpec, LegalBasis};
use chrono::{TimeZone, Utc};
use proptest::prelude::any as arb;
use proptest::prelude::*;

const ATTRS: [&str; 7] = [
    "size",
    "interests",
    "employees",
    "trial",
    "since",
    "constructor",
    "tags",
];
const NUMBERS: [f64; 6] = [-1.0, 0.0, 1.0, 2.5, 3.0, 100.0];
const OPTIONS: [&str; 8] = ["a", "b", "c", "a,b", "1", "", "constructor", "Ü"];
const KINDS: [AttrKind; 6] = [
    AttrKind::Choice,
    AttrKind::MultiChoice,
    AttrKind::Number,
    AttrKind::Boolean,
    AttrKind::Text,
    AttrKind::Date,
];

fn pk(k: &str) -> PurposeKey {
    PurposeKey::parse("p", k).unwrap()
}

/// Values a declaration may hold: fitting ones, and ones that no longer fit
/// (an option since removed, a duplicate, a wrong type, an object).
fn values() -> Vec<Value> {
    vec![
        json!("a"),
        json!("b"),
        json!("c"),
        json!("zzz"),
        json!("a,b"),
        json!("1"),
        json!(""),
        json!("Ü"),
        json!("constructor"),
        json!("2024-01-01"),
        json!(1),
        json!(0),
        json!(-0.0),
        json!(2.5),
        json!(100),
        json!(true),
        json!(false),
        json!(null),
        json!([]),
        json!(["a"]),
        json!(["a", "b"]),
        json!(["b", "a"]),
        json!(["a", "a"]),
        json!(["c", "1", ""]),
        json!(["a", null]),
        json!(["a", 1]),
        json!([["a"]]),
        json!(["a", {"toString": 1}]),
        json!({"toString": 1}),
        json!({"x": 1}),
    ]
}

fn schema_strategy() -> impl Strategy<Value = Schema> {
    proptest::collection::vec(
        (
            0usize..KINDS.len(),
            proptest::sample::subsequence(OPTIONS.to_vec(), 0..=OPTIONS.len()),
            proptest::sample::subsequence(vec!["p1", "p2"], 1..=2),
            proptest::bool::weighted(0.1),
        ),
        ATTRS.len(),
    )
    .prop_map(|attrs| {
        let mut s = Schema::default();
        s.purposes.insert(pk("p1"), purpose(LegalBasis::Consent));
        s.purposes.insert(pk("p2"), purpose(LegalBasis::Contract));
        for (name, (kind, options, purposes, special)) in ATTRS.iter().zip(attrs) {
            let mut a: AttributeSpec = attribute(KINDS[kind], &purposes);
            a.options = if a.kind.has_options() {
                options
                    .iter()
                    .map(|o| AttrOption {
                        value: o.to_string(),
                        title: text(o),
                    })
                    .collect()
            } else {
                vec![]
            };
            a.special_category = special;
            s.attributes
                .insert(AttributeKey::parse("a", name).unwrap(), a);
        }
        s
    })
}

/// A value that fits attribute `a`'s kind (an option, a set of options, a number, ...).
fn fitting(a: &AttributeSpec) -> BoxedStrategy<Value> {
    let options: Vec<Value> = a.options.iter().map(|o| json!(o.value)).collect();
    match a.kind {
        AttrKind::Choice if !options.is_empty() => proptest::sample::select(options).boxed(),
        AttrKind::MultiChoice => {
            let n = options.len();
            proptest::sample::subsequence(options, 0..=n)
                .prop_shuffle()
                .prop_map(Value::Array)
                .boxed()
        }
        AttrKind::Number => proptest::sample::select(NUMBERS.to_vec())
            .prop_map(|n| json!(n))
            .boxed(),
        AttrKind::Boolean => arb::<bool>().prop_map(Value::from).boxed(),
        AttrKind::Date => Just(json!("2024-01-01")).boxed(),
        AttrKind::Choice | AttrKind::Text => proptest::sample::select(OPTIONS.to_vec())
            .prop_map(|s| json!(s))
            .boxed(),
    }
}

fn profile_strategy(schema: &Schema) -> impl Strategy<Value = Profile> {
    let per_attr: Vec<_> = schema
        .attributes
        .iter()
        .map(|(k, a)| {
            let v = prop_oneof![3 => fitting(a), 1 => proptest::sample::select(values())];
            (Just(k.clone()), proptest::option::weighted(0.8, v))
        })
        .collect();
    per_attr.prop_map(|vals| {
        let at = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
        let mut p = Profile::new(SubjectId::from_suffix("01HZY3K6Q5W9X8V7T6S5R4P3N2"));
        for (key, v) in vals {
            if let Some(value) = v {
                p.declared.insert(
                    key,
                    DeclaredValue {
                        value,
                        form: None,
                        given_at: at,
                    },
                );
            }
        }
        p.consents.insert(
            pk("p1"),
            ConsentInfo {
                state: ConsentState::Given,
                at,
                record_id: RecordId::from_stored("rec_1".to_string()),
                notice: None,
            },
        );
        p
    })
}

/// Field tests of every shape kerro-condition compiles.
fn field_test() -> impl Strategy<Value = Value> {
    let operand = proptest::sample::select(values());
    let set = proptest::collection::vec(proptest::sample::select(values()), 0..4);
    let rel = proptest::sample::select(vec!["$gt", "$gte", "$lt", "$lte", "$eq", "$ne"]);
    prop_oneof![
        operand.clone(),
        set.clone().prop_map(|s| json!({ "$in": s })),
        set.clone().prop_map(|s| json!({ "$nin": s })),
        set.clone().prop_map(|s| json!({ "$all": s })),
        set.clone().prop_map(|s| json!({ "$ini": s })),
        set.clone().prop_map(|s| json!({ "$nini": s })),
        set.clone().prop_map(|s| json!({ "$alli": s })),
        (rel.clone(), operand.clone()).prop_map(|(r, v)| json!({ r: v })),
        (rel, proptest::sample::select(NUMBERS.to_vec())).prop_map(|(r, n)| json!({ r: n })),
        (
            proptest::sample::select(NUMBERS.to_vec()),
            proptest::sample::select(NUMBERS.to_vec())
        )
            .prop_map(|(lo, hi)| json!({"$gte": lo, "$lt": hi})),
        proptest::sample::select(NUMBERS.to_vec()).prop_map(|n| json!(n)),
        proptest::sample::select(OPTIONS.to_vec()).prop_map(|o| json!({"$elemMatch": {"$eq": o}})),
        proptest::collection::vec(proptest::sample::select(OPTIONS.to_vec()), 0..3)
            .prop_map(|s| json!({"$all": s})),
        proptest::collection::vec(proptest::sample::select(OPTIONS.to_vec()), 0..3)
            .prop_map(|s| json!({"$in": s})),
        proptest::collection::vec(proptest::sample::select(OPTIONS.to_vec()), 0..3)
            .prop_map(|s| json!({"$nin": s})),
        arb::<bool>().prop_map(|b| json!({ "$exists": b })),
        (0i64..3).prop_map(|n| json!({ "$size": n })),
        Just(json!({"$size": {"$gt": 1}})),
        operand
            .clone()
            .prop_map(|v| json!({"$elemMatch": {"$eq": v}})),
        set.clone().prop_map(|s| json!({"$elemMatch": {"$in": s}})),
        Just(json!({"$elemMatch": {"x": 1}})),
        Just(json!({"$elemMatch": null})),
        Just(json!({"$elemMatch": {"$gt": {"toString": 1}}})),
        Just(json!({"$elemMatch": {"$or": null}})),
        Just(json!({"$all": [{"$elemMatch": null}]})),
        Just(json!({"$regex": "^a"})),
        Just(json!({"$regexi": "U"})),
        proptest::sample::select(vec!["array", "string", "number", "null", "undefined"])
            .prop_map(|t| json!({ "$type": t })),
        Just(json!({"$veq": "1.0"})),
        Just(json!({"$inGroup": "g"})),
        Just(json!({"$notInGroup": "g"})),
        Just(json!({"$lt": {"toString": 1}})),
        Just(json!({"$foo": 1})),
        operand.prop_map(|v| json!({"$not": {"$eq": v}})),
        set.prop_map(|s| json!({"$not": {"$in": s}, "$exists": true})),
    ]
}

fn condition() -> impl Strategy<Value = Value> {
    let mut paths: Vec<&str> = ATTRS.to_vec();
    paths.extend([
        "missing",
        "size.length",
        "interests.0",
        "__proto__",
        "toString",
    ]);
    let leaf = (proptest::sample::select(paths), field_test()).prop_map(|(p, t)| json!({ p: t }));
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(|v| json!({"$and": v})),
            proptest::collection::vec(inner.clone(), 0..3).prop_map(|v| json!({"$or": v})),
            proptest::collection::vec(inner.clone(), 0..3).prop_map(|v| json!({"$nor": v})),
            inner.clone().prop_map(|c| json!({"$not": c})),
            (inner.clone(), inner).prop_map(|(a, b)| {
                let mut m = a.as_object().cloned().unwrap_or_default();
                m.extend(b.as_object().cloned().unwrap_or_default());
                Value::Object(m)
            }),
            Just(json!({"$or": null})),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The compact evaluation gives the JSON evaluation's outcome (pass, fail
    /// or throw) on the profile masked for the purpose, on random schemas,
    /// profiles and conditions.
    #[test]
    fn compact_evaluation_equals_json_evaluation(
        (schema, profile) in schema_strategy().prop_flat_map(|s| {
            let p = profile_strategy(&s);
            (Just(s), p)
        }),
        conds in proptest::collection::vec(condition(), 1..6),
    ) {
        let snap = Snapshot::new(&schema);
        let compact = CompactProfile::new(&snap, &profile);
        for (cond, p) in conds.iter().flat_map(|c| [(c, "p1"), (c, "p2")]) {
            let c = Condition::compile(cond).unwrap();
            let purpose = pk(p);
            let masked = Value::Object(profile.masked(&schema, &purpose));
            let cx = EvalCx {
                snap: &snap,
                compact: &compact,
                schema: &schema,
                profile: &profile,
                purpose: &purpose,
                masked: Default::default(),
            };
            let compiled = compile(&snap, &purpose, c.root());
            prop_assert_eq!(
                eval(&compiled, &cx),
                c.try_eval(&masked, &Map::new()),
                "{} on {} for {}", cond, masked, p
            );
            // A guard is necessary: a passing condition holds one of its
            // literals, or reads a choice whose value the index does not know.
            if eval(&compiled, &cx) == Ok(true) && compact.unfit.iter().next().is_none() {
                if let Some(lits) = guard(&snap, &compiled) {
                    prop_assert!(lits.iter().any(|l| compact.held.contains(l)), "{} passes without its guard {:?}", cond, lits);
                }
            }
            // Where the index counts, every test having a literal held is passing.
            if let Some(conjs) = decided_conjuncts(&snap, &compiled) {
                if compact.unfit.iter().next().is_none() {
                    prop_assert_eq!(
                        eval(&compiled, &cx) == Ok(true),
                        conjs.iter().all(|lits| lits.iter().any(|l| compact.held.contains(l))),
                        "{} is not decided by its tests' guards {:?}", cond, conjs
                    );
                }
            }
            // Where the index decides, holding a literal of the guard is passing.
            if decided_by_guard(&compiled) && compact.unfit.iter().next().is_none() {
                let lits = guard(&snap, &compiled).unwrap_or_default();
                prop_assert_eq!(
                    eval(&compiled, &cx) == Ok(true),
                    lits.iter().any(|l| compact.held.contains(l)),
                    "{} is not decided by its guard {:?}", cond, lits
                );
            }
        }
    }
}
