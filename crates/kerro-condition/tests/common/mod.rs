//! The `check` helper shared by the table-driven edge-case tests: compiles a
//! condition, evaluates it with raw and with precompiled saved groups, and
//! compares the outcome. It holds no cases itself.

use serde_json::Value;

use kerro_condition::{Condition, SavedGroups, Thrown};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    Pass,
    Fail,
    /// The SDK throws a TypeError; `eval` reports false.
    Throw,
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("bad JSON {text}: {e}"))
}

/// Compiles `condition`, evaluates it against `attributes` with raw and with
/// precompiled saved groups, and checks the outcome.
pub fn check(name: &str, condition: &str, attributes: &str, groups: &str, want: Want) {
    let cond = Condition::compile(&parse(condition)).expect("compiles");
    let attrs = parse(attributes);
    let groups = parse(groups).as_object().cloned().unwrap_or_default();
    let expected = match want {
        Want::Pass => Ok(true),
        Want::Fail => Ok(false),
        Want::Throw => Err(Thrown),
    };
    assert_eq!(cond.try_eval(&attrs, &groups), expected, "{name}");
    assert_eq!(
        cond.try_eval_with(&attrs, &SavedGroups::compile(&groups)),
        expected,
        "{name} (compiled groups)"
    );
    assert_eq!(
        cond.eval(&attrs, &groups),
        want == Want::Pass,
        "{name} (eval)"
    );
}
