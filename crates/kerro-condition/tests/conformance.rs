//! Runs the `evalCondition` cases of GrowthBook's shared SDK test suite
//! (cases.json, spec 0.7.1) against kerro-condition. It does not test anything
//! outside that section of the suite.

use serde_json::{Map, Value};

use kerro_condition::{eval_condition, Condition};

const CASES: &str = include_str!("data/growthbook-conditions.json");

#[test]
fn all_growthbook_eval_condition_cases_pass() {
    let doc: Value = serde_json::from_str(CASES).expect("conformance file is valid JSON");
    let cases = doc["evalCondition"]
        .as_array()
        .expect("evalCondition is an array");
    let mut failures = Vec::new();
    for case in cases {
        let case = case.as_array().expect("each case is an array");
        let name = case[0].as_str().expect("case name");
        let (condition, attributes) = (&case[1], &case[2]);
        let expected = case[3].as_bool().expect("expected is a boolean");
        let groups = case
            .get(4)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_else(Map::new);
        let compiled = Condition::compile(condition).expect("every case compiles");
        let got = compiled.eval(attributes, &groups);
        // The convenience function and precompiled saved groups must agree too.
        let got_convenience = eval_condition(attributes, condition, &groups);
        let got_compiled_groups =
            compiled.eval_with(attributes, &kerro_condition::SavedGroups::compile(&groups));
        if got != expected || got_convenience != expected || got_compiled_groups != expected {
            failures.push(format!(
                "{name}: expected {expected}, got {got}/{got_convenience}/{got_compiled_groups}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        cases.len(),
        259,
        "the suite should hold 259 evalCondition cases"
    );
}
