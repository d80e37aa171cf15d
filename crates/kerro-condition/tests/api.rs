//! Tests of the public API around evaluation: the compiled tree an index planner
//! walks, `attributes_read`, error and throw reporting, robustness on arbitrary
//! JSON, and the documented differences from the npm SDK. Semantics are covered
//! by conformance.rs, edge_values.rs and edge_logic.rs.

use serde_json::{json, Map, Value};

use kerro_condition::{
    eval_condition, CompileError, Condition, FieldTest, Node, Op, Prim, Rel, Thrown, VersionRel,
    MAX_DEPTH,
};

fn compile(v: Value) -> Condition {
    Condition::compile(&v).expect("compiles")
}

#[test]
fn tree_exposes_fields_and_operators_in_order() {
    let c = compile(json!({
        "country": {"$in": ["FR", "DE"]},
        "age": {"$gte": 18, "$lt": "65"},
        "$or": [{"v": {"$vgt": "1.2.0"}}, {"tags": "vip"}],
    }));
    let Node::And(children) = c.root() else {
        panic!("top level should be an AND: {:?}", c.root());
    };
    // serde_json's map is sorted, and JavaScript keeps that order for non-integer keys.
    assert_eq!(children.len(), 3);
    let Node::Or(alts) = &children[0] else {
        panic!("first entry should be $or: {:?}", children[0]);
    };
    assert!(
        matches!(&alts[0], Node::Field { path, test: FieldTest::Ops(ops) }
        if path.as_str() == "v" && matches!(&ops[0], Op::Version(VersionRel::Gt, _)))
    );
    let Node::Field {
        path,
        test: FieldTest::Ops(ops),
    } = &children[1]
    else {
        panic!("second entry should be age: {:?}", children[1]);
    };
    assert_eq!(path.parts(), ["age"]);
    assert!(matches!(&ops[0], Op::Cmp(Rel::Gte, Prim::Num(n)) if *n == 18.0));
    assert!(matches!(&ops[1], Op::Cmp(Rel::Lt, Prim::Str(s)) if s == "65"));
    let Node::Field {
        test: FieldTest::Ops(ops),
        ..
    } = &children[2]
    else {
        panic!("third entry should be country: {:?}", children[2]);
    };
    let Op::In(set) = &ops[0] else {
        panic!("expected $in: {:?}", ops[0]);
    };
    assert_eq!(set.strings(), ["DE", "FR"]);
}

#[test]
fn attributes_read_lists_root_paths_only() {
    let c = compile(json!({
        "a.b": 1,
        "$not": {"c": {"$exists": true}},
        "$nor": [{"d": 1}],
        "items": {"$elemMatch": {"sku": "x"}},
        "$savedGroup": {"id": "g", "attributeKey": "user.id"},
    }));
    let read: Vec<String> = c.attributes_read().into_iter().collect();
    assert_eq!(read, ["a.b", "c", "d", "items", "user.id"]);
}

#[test]
fn throwing_conditions_fail_in_eval_and_report_in_try_eval() {
    let groups = Map::new();
    for cond in [
        json!(null),
        json!({"$or": null}),
        json!({"$and": [null]}),
        json!({"$not": null}),
    ] {
        let c = compile(cond.clone());
        assert_eq!(c.try_eval(&json!({}), &groups), Err(Thrown), "{cond}");
        assert!(!c.eval(&json!({}), &groups), "{cond}");
        assert!(!eval_condition(&json!({}), &cond, &groups), "{cond}");
    }
}

#[test]
fn too_deep_values_are_refused_not_overflowed() {
    let mut v = json!({"a": 1});
    for _ in 0..(MAX_DEPTH + 10) {
        v = json!({ "$not": v });
    }
    assert_eq!(
        Condition::compile(&v).err(),
        Some(CompileError::TooDeep(MAX_DEPTH))
    );
    assert!(!eval_condition(&json!({}), &v, &Map::new()));
}

#[test]
fn compile_and_eval_never_panic_on_odd_json() {
    let odd = [
        json!([]),
        json!(""),
        json!({"": {"": {"": ""}}}),
        json!({"a": {"$regex": "[\\"}}),
        json!({"a": {"$size": {"$size": {"$size": 0}}}}),
        json!({"$or": {"length": 1e300, "0": {}}}),
        json!({"$or": {"length": [2], "0": {}, "1": {"a": 1}}}),
        json!({"a": {"$in": [[], {}, null]}, "b": {"$all": [{"$all": []}]}}),
        json!({"a": {"$vgt": {"x": 1}}, "b": {"$inGroup": {"toString": 1}}}),
        json!({"a": {"$regex": "(?<n>a)\\k<n>", "$regexi": "a{99999}{1}"}}),
        json!({"a": {"$elemMatch": "ab"}, "b": {"$elemMatch": [1]}}),
        json!("\u{1F600}"),
    ];
    let attrs = [
        json!(null),
        json!([1, [2]]),
        json!({"a": [null, {"toString": 1}], "b": "x"}),
        json!("s"),
    ];
    for cond in &odd {
        let c = compile(cond.clone());
        for a in &attrs {
            let _ = c.try_eval(a, &Map::new());
        }
    }
}

#[test]
fn conditions_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Condition>();
    assert_send_sync::<kerro_condition::SavedGroups>();
}

#[test]
fn lookaround_and_backreferences_match_like_javascript() {
    let groups = Map::new();
    let pass = |attr: Value, cond: Value| eval_condition(&attr, &cond, &groups);
    assert!(pass(json!({"a": "ab"}), json!({"a": {"$regex": "a(?=b)"}})));
    assert!(!pass(
        json!({"a": "ab"}),
        json!({"a": {"$regex": "a(?!b)"}})
    ));
    assert!(pass(
        json!({"a": "ab"}),
        json!({"a": {"$regex": "(?<=a)b"}})
    ));
    assert!(!pass(
        json!({"a": "ab"}),
        json!({"a": {"$regex": "(?<!a)b"}})
    ));
    assert!(pass(json!({"a": "aa"}), json!({"a": {"$regex": "(a)\\1"}})));
    assert!(pass(
        json!({"a": "xAx"}),
        json!({"a": {"$regexi": "^(?<c>x)a\\k<c>$"}})
    ));
    assert!(!pass(
        json!({"a": "xy"}),
        json!({"a": {"$regex": "^(.)\\1$"}})
    ));
    assert!(pass(
        json!({"a": "b"}),
        json!({"a": {"$notRegex": "(?=a)"}})
    ));
}

/// regress backtracks without a step limit; the guard refuses to run a pattern
/// on a subject long enough to take more than about 0.1 s (README.md).
#[test]
fn pathological_patterns_cannot_hang() {
    let groups = Map::new();
    let long = "a".repeat(100_000) + "!";
    let start = std::time::Instant::now();
    let cases = [
        ("(a+)+$", "baa", true),
        ("(a|aa)+$", "aa!", false),
        ("((a*)*)*b", "b", true),
        ("(\\w+\\s?)+$", "ab c", true),
        (".*.*.*.*.*.*x", "abx", true),
        ("(.*)\\1\\1x", "ababx", true),
    ];
    for (pattern, short, matches) in cases {
        for op in ["$regex", "$regexi", "$notRegex", "$notRegexi"] {
            let cond = json!({"a": {op: pattern}});
            // A refused test fails, whether negated or not.
            assert!(
                !eval_condition(&json!({"a": long}), &cond, &groups),
                "{op} {pattern}"
            );
            // Short subjects are still matched.
            let negated = op.starts_with("$not");
            let got = eval_condition(&json!({"a": short}), &cond, &groups);
            assert_eq!(got, matches != negated, "{op} {pattern}");
        }
    }
    assert!(
        start.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    // Unambiguous nested patterns still run on long subjects.
    let email = json!({"a": {"$regexi": "^[\\w.+-]+@([\\w-]+\\.)+[\\w-]{2,}$"}});
    let address = "x".repeat(2_000) + "@mail." + &"y".repeat(2_000) + ".com";
    assert!(eval_condition(&json!({"a": address}), &email, &groups));
}

/// Where kerro knowingly differs from the npm SDK (see README.md).
#[test]
fn documented_differences() {
    let groups = Map::new();
    // The backtracking guard: `(a+)+$` runs on a few characters only.
    assert!(eval_condition(
        &json!({"a": "aaaaa"}),
        &json!({"a": {"$regex": "^(a+)+$"}}),
        &groups
    ));
    assert!(!eval_condition(
        &json!({"a": "a".repeat(40)}),
        &json!({"a": {"$regex": "^(a+)+$"}}),
        &groups
    ));
    // A case-insensitive pattern naming ſ (U+017F) is folded by regress to s.
    assert!(eval_condition(
        &json!({"a": "s"}),
        &json!({"a": {"$regexi": "\\u017f"}}),
        &groups
    ));
    // ES2025 syntax that Node.js up to 22 rejects: modifiers, duplicate names.
    assert!(eval_condition(
        &json!({"a": "A"}),
        &json!({"a": {"$regex": "(?i:a)"}}),
        &groups
    ));
    assert!(eval_condition(
        &json!({"a": "b"}),
        &json!({"a": {"$regex": "(?<n>a)|(?<n>b)"}}),
        &groups
    ));
    // $notRegex follows the shared spec suite; npm SDK 1.8.0 treats it as unknown.
    assert!(eval_condition(
        &json!({"a": "b"}),
        &json!({"a": {"$notRegex": "a"}}),
        &groups
    ));
    assert!(!eval_condition(
        &json!({"a": "b"}),
        &json!({"a": {"$notRegex": "("}}),
        &groups
    ));
    // serde_json (without `preserve_order`) sorts object keys, so two objects with
    // the same entries in a different order compare equal, where JSON.stringify
    // in the SDK would tell them apart.
    let cond: Value = serde_json::from_str(r#"{"a": {"b": 1, "c": 2}}"#).expect("json");
    let attrs: Value = serde_json::from_str(r#"{"a": {"c": 2, "b": 1}}"#).expect("json");
    assert!(eval_condition(&attrs, &cond, &groups));
}

#[test]
fn deepest_parseable_conditions_compile_and_evaluate() {
    // serde_json parses up to 128 levels; such conditions must compile and evaluate
    // within a test thread's stack even in debug builds.
    let mut text = String::from(r#"{"a": 1}"#);
    for _ in 0..126 {
        text = format!(r#"{{"$not": {text}}}"#);
    }
    let c = compile(serde_json::from_str(&text).expect("parses"));
    assert!(c.eval(&json!({"a": 1}), &Map::new()));
    let mut text = String::from("1");
    for _ in 0..42 {
        text = format!(r#"{{"a": {{"$elemMatch": {text}}}}}"#);
    }
    let c = compile(serde_json::from_str(&text).expect("parses"));
    let _ = c.eval(&json!({"a": [{"a": [1]}]}), &Map::new());
}
