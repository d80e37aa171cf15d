//! Table-driven edge cases of GrowthBook's value tests and operators (loose
//! conversions, comparisons, membership, regexes, versions). Every expected
//! outcome was produced by the official JS SDK (npm @growthbook/growthbook 1.8.0,
//! through difftest/eval.js). Logic, paths and saved groups are in edge_logic.rs.

mod common;

use common::{check, Want::*};

#[test]
fn value_edge_cases_match_the_js_sdk() {
    let cases: &[(&str, &str, &str, common::Want)] = &[
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
    ];
    for &(name, condition, attributes, want) in cases {
        check(name, condition, attributes, "{}", want);
    }
}
