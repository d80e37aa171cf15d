//! Table-driven edge cases of GrowthBook's condition semantics. Every expected
//! outcome here was produced by the official JS SDK (npm @growthbook/growthbook
//! 1.8.0, through difftest/eval.js); the last test pins where kerro knowingly
//! differs. It does not repeat the shared conformance suite (conformance.rs).

use serde_json::{Map, Value};

use kerro_condition::{Condition, SavedGroups, Thrown};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Pass,
    Fail,
    /// The SDK throws a TypeError; `eval` reports false.
    Throw,
}
use Want::{Fail, Pass, Throw};

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("bad JSON {text}: {e}"))
}

/// Compiles `condition`, evaluates it against `attributes` with raw and with
/// precompiled saved groups, and checks the outcome.
fn check(name: &str, condition: &str, attributes: &str, groups: &str, want: Want) {
    let cond = Condition::compile(&parse(condition)).expect("compiles");
    let attrs = parse(attributes);
    let groups = parse(groups).as_object().cloned().unwrap_or_default();
    let expected = match want {
        Pass => Ok(true),
        Fail => Ok(false),
        Throw => Err(Thrown),
    };
    assert_eq!(cond.try_eval(&attrs, &groups), expected, "{name}");
    assert_eq!(
        cond.try_eval_with(&attrs, &SavedGroups::compile(&groups)),
        expected,
        "{name} (compiled groups)"
    );
    assert_eq!(cond.eval(&attrs, &groups), want == Pass, "{name} (eval)");
}

#[test]
fn edge_cases_match_the_js_sdk() {
    let cases: &[(&str, &str, &str, Want)] = &[
        (
            "scalar condition against an array attribute joins it",
            r#"{"tags": "a"}"#,
            r#"{"tags": ["a"]}"#,
            Pass,
        ),
        (
            "two-element array joins with a comma",
            r#"{"tags": "a,b"}"#,
            r#"{"tags": ["a", "b"]}"#,
            Pass,
        ),
        (
            "number condition converts a numeric string",
            r#"{"n": 1}"#,
            r#"{"n": "1"}"#,
            Pass,
        ),
        (
            "number condition trims whitespace",
            r#"{"n": 1}"#,
            r#"{"n": " 1 "}"#,
            Pass,
        ),
        (
            "number condition accepts hex strings",
            r#"{"n": 16}"#,
            r#"{"n": "0x10"}"#,
            Pass,
        ),
        (
            "number condition converts true to 1",
            r#"{"n": 1}"#,
            r#"{"n": true}"#,
            Pass,
        ),
        (
            "number condition converts a one-element array",
            r#"{"n": 1}"#,
            r#"{"n": [1]}"#,
            Pass,
        ),
        (
            "number condition: missing is null is 0",
            r#"{"n": 0}"#,
            r#"{}"#,
            Pass,
        ),
        (
            "$gt compares a numeric string numerically",
            r#"{"n": {"$gt": 5}}"#,
            r#"{"n": "10"}"#,
            Pass,
        ),
        (
            "$gt with a non-numeric string is false",
            r#"{"n": {"$gt": 5}}"#,
            r#"{"n": "abc"}"#,
            Fail,
        ),
        (
            "$lte with a non-numeric string is false too",
            r#"{"n": {"$lte": 5}}"#,
            r#"{"n": "abc"}"#,
            Fail,
        ),
        (
            "$gt between strings compares code units",
            r#"{"s": {"$gt": "10"}}"#,
            r#"{"s": "9"}"#,
            Pass,
        ),
        (
            "$lt against null compares with 0",
            r#"{"n": {"$lt": null}}"#,
            r#"{"n": -1}"#,
            Pass,
        ),
        (
            "$gte on a missing attribute compares null as 0",
            r#"{"n": {"$gte": 0}}"#,
            r#"{}"#,
            Pass,
        ),
        (
            "$lt with an array operand compares its joined string",
            r#"{"s": {"$lt": ["b"]}}"#,
            r#"{"s": "a"}"#,
            Pass,
        ),
        (
            "$eq is strict",
            r#"{"n": {"$eq": "1"}}"#,
            r#"{"n": 1}"#,
            Fail,
        ),
        (
            "$eq with an array operand never matches",
            r#"{"a": {"$eq": [1]}}"#,
            r#"{"a": [1]}"#,
            Fail,
        ),
        (
            "$ne with an object operand always passes",
            r#"{"a": {"$ne": {"b": 1}}}"#,
            r#"{"a": {"b": 1}}"#,
            Pass,
        ),
        (
            "$in intersects an array attribute",
            r#"{"tags": {"$in": ["x", "b"]}}"#,
            r#"{"tags": ["a", "b"]}"#,
            Pass,
        ),
        (
            "$in is strict about types",
            r#"{"n": {"$in": ["1"]}}"#,
            r#"{"n": 1}"#,
            Fail,
        ),
        (
            "$in with a non-array operand fails",
            r#"{"n": {"$in": 1}}"#,
            r#"{"n": 1}"#,
            Fail,
        ),
        (
            "$nin with a non-array operand fails too",
            r#"{"n": {"$nin": 1}}"#,
            r#"{"n": 2}"#,
            Fail,
        ),
        (
            "$nin passes a missing attribute",
            r#"{"n": {"$nin": [1]}}"#,
            r#"{}"#,
            Pass,
        ),
        (
            "$ini folds case",
            r#"{"c": {"$ini": ["fr", "DE"]}}"#,
            r#"{"c": "Fr"}"#,
            Pass,
        ),
        (
            "$ini folds case inside arrays",
            r#"{"c": {"$ini": ["FR"]}}"#,
            r#"{"c": ["x", "fr"]}"#,
            Pass,
        ),
        (
            "$nini folds case",
            r#"{"c": {"$nini": ["FR"]}}"#,
            r#"{"c": "fr"}"#,
            Fail,
        ),
        (
            "$exists true on a missing attribute",
            r#"{"a": {"$exists": true}}"#,
            r#"{}"#,
            Fail,
        ),
        (
            "$exists false on a null attribute",
            r#"{"a": {"$exists": false}}"#,
            r#"{"a": null}"#,
            Pass,
        ),
        (
            "$exists with a truthy string operand",
            r#"{"a": {"$exists": "no"}}"#,
            r#"{"a": 0}"#,
            Pass,
        ),
        (
            "$type of a missing attribute is null",
            r#"{"a": {"$type": "null"}}"#,
            r#"{}"#,
            Pass,
        ),
        (
            "$type array",
            r#"{"a": {"$type": "array"}}"#,
            r#"{"a": []}"#,
            Pass,
        ),
        (
            "$type undefined never matches",
            r#"{"a": {"$type": "undefined"}}"#,
            r#"{}"#,
            Fail,
        ),
        (
            "$size with an operator object",
            r#"{"a": {"$size": {"$gt": 1}}}"#,
            r#"{"a": [1, 2]}"#,
            Pass,
        ),
        (
            "$size with a string operand compares text",
            r#"{"a": {"$size": "2"}}"#,
            r#"{"a": [1, 2]}"#,
            Pass,
        ),
        (
            "$size on a non-array fails",
            r#"{"a": {"$size": 0}}"#,
            r#"{"a": ""}"#,
            Fail,
        ),
        (
            "$elemMatch with operators tests values",
            r#"{"a": {"$elemMatch": {"$gt": 2}}}"#,
            r#"{"a": [1, 3]}"#,
            Pass,
        ),
        (
            "$elemMatch tests 0 but skips null",
            r#"{"a": {"$elemMatch": {"$lt": 1}}}"#,
            r#"{"a": [null, 0]}"#,
            Pass,
        ),
        (
            "$elemMatch with a plain object is a nested condition",
            r#"{"a": {"$elemMatch": {"k": "v"}}}"#,
            r#"{"a": [{"k": "w"}, {"k": "v"}]}"#,
            Pass,
        ),
        (
            "$elemMatch with an empty object matches any non-null element",
            r#"{"a": {"$elemMatch": {}}}"#,
            r#"{"a": [null, 0]}"#,
            Pass,
        ),
        (
            "$elemMatch with null throws on an array",
            r#"{"a": {"$elemMatch": null}}"#,
            r#"{"a": [1]}"#,
            Throw,
        ),
        (
            "$elemMatch with null fails on a non-array",
            r#"{"a": {"$elemMatch": null}}"#,
            r#"{"a": 1}"#,
            Fail,
        ),
        (
            "$all needs every value",
            r#"{"a": {"$all": ["x", "y"]}}"#,
            r#"{"a": ["y", "z", "x"]}"#,
            Pass,
        ),
        (
            "$all with an empty list passes an array",
            r#"{"a": {"$all": []}}"#,
            r#"{"a": []}"#,
            Pass,
        ),
        (
            "$alli folds case",
            r#"{"a": {"$alli": ["X", "y"]}}"#,
            r#"{"a": ["x", "Y"]}"#,
            Pass,
        ),
        (
            "$all on a non-array fails",
            r#"{"a": {"$all": ["x"]}}"#,
            r#"{"a": "x"}"#,
            Fail,
        ),
        (
            "invalid regex fails",
            r#"{"a": {"$regex": "("}}"#,
            r#"{"a": "("}"#,
            Fail,
        ),
        (
            "$regex tests the string form of a number",
            r#"{"n": {"$regex": "^1"}}"#,
            r#"{"n": 12}"#,
            Pass,
        ),
        (
            "$regex tests the string form of a missing attribute",
            r#"{"a": {"$regex": "^null$"}}"#,
            r#"{}"#,
            Pass,
        ),
        (
            "$regexi",
            r#"{"a": {"$regexi": "^ab"}}"#,
            r#"{"a": "ABc"}"#,
            Pass,
        ),
        (
            "$regex Annex B: \\\\1 without groups is an octal escape",
            r#"{"a": {"$regex": "\\1"}}"#,
            r#"{"a": "\u0001"}"#,
            Pass,
        ),
        (
            "$regex named like an Object.prototype property fails",
            r#"{"a": {"$regex": "constructor"}}"#,
            r#"{"a": "constructor"}"#,
            Fail,
        ),
        (
            "$regex with a non-string operand fails",
            r#"{"a": {"$regex": 5}}"#,
            r#"{"a": "5"}"#,
            Fail,
        ),
        (
            "$regex dot is one UTF-16 code unit",
            r#"{"a": {"$regex": "^..$"}}"#,
            r#"{"a": "😀"}"#,
            Pass,
        ),
        (
            "$regexi uses JavaScript case folding, not Unicode's",
            r#"{"a": {"$regexi": "s"}}"#,
            r#"{"a": "ſ"}"#,
            Fail,
        ),
        (
            "$not negates a value test",
            r#"{"a": {"$not": {"$gt": 1}}}"#,
            r#"{"a": 0}"#,
            Pass,
        ),
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
fn saved_group_cases_match_the_js_sdk() {
    let cases: &[(&str, &str, &str, &str, Want)] = &[
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
