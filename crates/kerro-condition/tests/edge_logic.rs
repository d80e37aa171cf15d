//! Table-driven edge cases of GrowthBook's condition structure: `$or`/`$and`/
//! `$nor`/`$not`, paths and inherited properties, JSON-literal conditions,
//! non-object conditions and saved groups. Every expected outcome was produced by
//! the official JS SDK (npm @growthbook/growthbook 1.8.0, through
//! difftest/eval.js). Operator cases are in edge_values.rs.

mod common;

use common::{check, Want::*};

#[test]
fn logic_edge_cases_match_the_js_sdk() {
    let cases: &[(&str, &str, &str, common::Want)] = &[
        (
            "$or with an empty list passes",
            r#"{"$or": []}"#,
            r#"{}"#,
            Pass,
        ),
        (
            "$nor with an empty list fails",
            r#"{"$nor": []}"#,
            r#"{}"#,
            Fail,
        ),
        (
            "$and with an empty list passes",
            r#"{"$and": []}"#,
            r#"{}"#,
            Pass,
        ),
        ("$or with null throws", r#"{"$or": null}"#, r#"{}"#, Throw),
        ("$or with a number passes", r#"{"$or": 5}"#, r#"{}"#, Pass),
        (
            "$or with an array-like object reads its length",
            r#"{"$or": {"length": 1, "0": {"a": 1}}}"#,
            r#"{"a": 1}"#,
            Pass,
        ),
        (
            "$or whose length runs past its elements throws",
            r#"{"$or": {"length": 2, "0": {"a": 2}}}"#,
            r#"{"a": 1}"#,
            Throw,
        ),
        ("$not of null throws", r#"{"$not": null}"#, r#"{}"#, Throw),
        (
            "$veq pads versions",
            r#"{"v": {"$veq": "1.2.3"}}"#,
            r#"{"v": "v1.2.3+build"}"#,
            Pass,
        ),
        (
            "$vgt compares numerically per part",
            r#"{"v": {"$vgt": "1.9.0"}}"#,
            r#"{"v": "1.10.0"}"#,
            Pass,
        ),
        (
            "release sorts after its pre-release",
            r#"{"v": {"$vgt": "1.2.3-beta"}}"#,
            r#"{"v": "1.2.3"}"#,
            Pass,
        ),
        (
            "$vlt with a number attribute",
            r#"{"v": {"$vlt": "2.0.0"}}"#,
            r#"{"v": 1.5}"#,
            Pass,
        ),
        (
            "$veq of a missing attribute is version 0",
            r#"{"v": {"$veq": "0"}}"#,
            r#"{}"#,
            Pass,
        ),
        (
            "dotted path",
            r#"{"a.b.c": 1}"#,
            r#"{"a": {"b": {"c": 1}}}"#,
            Pass,
        ),
        (
            "dotted path into an array index",
            r#"{"arr.1": "y"}"#,
            r#"{"arr": ["x", "y"]}"#,
            Pass,
        ),
        (
            "array length through a path",
            r#"{"arr.length": {"$gt": 1}}"#,
            r#"{"arr": [1, 2]}"#,
            Pass,
        ),
        (
            "a key containing a dot is unreachable",
            r#"{"x.y": 1}"#,
            r#"{"x.y": 1}"#,
            Fail,
        ),
        (
            "a path through a string is null",
            r#"{"s.length": null}"#,
            r#"{"s": "abc"}"#,
            Pass,
        ),
        (
            "an inherited function is truthy",
            r#"{"constructor": true}"#,
            r#"{}"#,
            Pass,
        ),
        (
            "an inherited function exists",
            r#"{"toString": {"$exists": true}}"#,
            r#"{}"#,
            Pass,
        ),
        (
            "an inherited function has type unknown",
            r#"{"toString": {"$type": "unknown"}}"#,
            r#"{}"#,
            Pass,
        ),
        (
            "__proto__ of an object is an object",
            r#"{"a.__proto__": {"$type": "object"}}"#,
            r#"{"a": {}}"#,
            Pass,
        ),
        (
            "an own toString key makes string conversion throw",
            r#"{"a": "x"}"#,
            r#"{"a": {"toString": 1}}"#,
            Throw,
        ),
        (
            "an own toString key inside an array throws when joined",
            r#"{"a": {"$gt": 1}}"#,
            r#"{"a": [{"toString": 1}]}"#,
            Throw,
        ),
        (
            "an own toString key does not disturb $exists",
            r#"{"a": {"$exists": true}}"#,
            r#"{"a": {"toString": 1}}"#,
            Pass,
        ),
        (
            "unknown operator fails",
            r#"{"a": {"$foo": 1}}"#,
            r#"{"a": 1}"#,
            Fail,
        ),
        (
            "operators are only known inside operator objects",
            r#"{"$in": [1]}"#,
            r#"{"$in": [1]}"#,
            Pass,
        ),
        (
            "a plain object condition compares JSON text",
            r#"{"a": {"b": 1, "c": [2]}}"#,
            r#"{"a": {"b": 1, "c": [2]}}"#,
            Pass,
        ),
        (
            "mixed operator and plain keys compare as JSON",
            r#"{"a": {"$in": [1], "b": 1}}"#,
            r#"{"a": {"$in": [1], "b": 1}}"#,
            Pass,
        ),
        (
            "an array condition compares JSON text",
            r#"{"a": [1, "2"]}"#,
            r#"{"a": [1, "2"]}"#,
            Pass,
        ),
        (
            "boolean condition uses truthiness",
            r#"{"a": true}"#,
            r#"{"a": "false"}"#,
            Pass,
        ),
        (
            "false condition does not match a missing attribute",
            r#"{"a": false}"#,
            r#"{}"#,
            Fail,
        ),
        (
            "null condition matches a missing attribute",
            r#"{"a": null}"#,
            r#"{}"#,
            Pass,
        ),
        ("number top-level condition passes", r#"5"#, r#"{}"#, Pass),
        ("null top-level condition throws", r#"null"#, r#"{}"#, Throw),
        (
            "string top-level condition reads characters by index",
            r#""ab""#,
            r#"{"0": "a", "1": "b"}"#,
            Pass,
        ),
        (
            "integer keys are evaluated first",
            r#"{"$not": {"1": 5, "$or": null}}"#,
            r#"{"1": 4}"#,
            Pass,
        ),
    ];
    for &(name, condition, attributes, want) in cases {
        check(name, condition, attributes, "{}", want);
    }
}

#[test]
fn saved_group_edge_cases_match_the_js_sdk() {
    let cases: &[(&str, &str, &str, &str, common::Want)] = &[
        (
            "$inGroup member",
            r#"{"id": {"$inGroup": "g"}}"#,
            r#"{"id": 2}"#,
            r#"{"g": [1, 2]}"#,
            Pass,
        ),
        (
            "$inGroup with an array attribute intersects",
            r#"{"id": {"$inGroup": "g"}}"#,
            r#"{"id": [5, 1]}"#,
            r#"{"g": [1, 2]}"#,
            Pass,
        ),
        (
            "$inGroup unknown id fails",
            r#"{"id": {"$inGroup": "nope"}}"#,
            r#"{"id": 1}"#,
            r#"{"g": [1]}"#,
            Fail,
        ),
        (
            "$notInGroup unknown id passes",
            r#"{"id": {"$notInGroup": "nope"}}"#,
            r#"{"id": 1}"#,
            r#"{"g": [1]}"#,
            Pass,
        ),
        (
            "$notInGroup malformed group fails",
            r#"{"id": {"$notInGroup": "bad"}}"#,
            r#"{"id": 1}"#,
            r#"{"bad": 5}"#,
            Fail,
        ),
        (
            "$notInGroup inherited id fails",
            r#"{"id": {"$notInGroup": "constructor"}}"#,
            r#"{"id": 1}"#,
            r#"{}"#,
            Fail,
        ),
        (
            "$inGroup v2 list",
            r#"{"id": {"$inGroup": "l"}}"#,
            r#"{"id": "b"}"#,
            r#"{"l": {"type": "list", "attributeKey": "x", "values": ["a", "b"]}}"#,
            Pass,
        ),
        (
            "$inGroup condition group is malformed for it",
            r#"{"id": {"$notInGroup": "c"}}"#,
            r#"{"id": 1}"#,
            r#"{"c": {"type": "condition", "condition": {}}}"#,
            Fail,
        ),
        (
            "$inGroup number operand is a property key",
            r#"{"id": {"$inGroup": 7}}"#,
            r#"{"id": 1}"#,
            r#"{"7": [1]}"#,
            Pass,
        ),
        (
            "$savedGroup list uses the group's attribute",
            r#"{"$savedGroup": {"id": "l"}}"#,
            r#"{"x": "a"}"#,
            r#"{"l": {"type": "list", "attributeKey": "x", "values": ["a"]}}"#,
            Pass,
        ),
        (
            "$savedGroup attributeKey overrides",
            r#"{"$savedGroup": {"id": "l", "attributeKey": "y"}}"#,
            r#"{"x": "a", "y": "b"}"#,
            r#"{"l": {"type": "list", "attributeKey": "x", "values": ["b"]}}"#,
            Pass,
        ),
        (
            "$savedGroup condition group",
            r#"{"$savedGroup": {"id": "c"}}"#,
            r#"{"age": 20}"#,
            r#"{"c": {"type": "condition", "condition": {"age": {"$gte": 18}}}}"#,
            Pass,
        ),
        (
            "$savedGroup cycle fails",
            r#"{"$savedGroup": {"id": "c"}}"#,
            r#"{}"#,
            r#"{"c": {"type": "condition", "condition": {"$nor": [{"$savedGroup": {"id": "c"}}]}}}"#,
            Pass,
        ),
        (
            "$savedGroup bare array fails",
            r#"{"$savedGroup": {"id": "g"}}"#,
            r#"{"id": 1}"#,
            r#"{"g": [1]}"#,
            Fail,
        ),
        (
            "$savedGroup unknown id fails",
            r#"{"$savedGroup": {"id": "nope"}}"#,
            r#"{}"#,
            r#"{}"#,
            Fail,
        ),
    ];
    for &(name, condition, attributes, groups, want) in cases {
        check(name, condition, attributes, groups, want);
    }
}
