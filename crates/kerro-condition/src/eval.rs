//! Evaluates a compiled condition tree against attributes, reproducing the JS
//! SDK's `evalCondition` outcome (pass, fail, or throw). It never parses JSON
//! and allocates only for rare conversions (arrays stringified for a regex or a
//! comparison, non-ASCII lowercasing, saved condition groups given as raw JSON).

use std::cmp::Ordering;

use serde_json::Value;

use crate::groups::Groups;
use crate::js::{get_path, js_compare, json_stringify_eq, JsVal};
use crate::regexp;
use crate::tree::{ElemMatch, FieldTest, Node, Op, RegexTest, Rel, ValueSet, VersionRel};
use crate::version::cmp_version;
use crate::Thrown;

/// The outcome of evaluating part of a condition: `Err` when the SDK would throw.
pub(crate) type Outcome = Result<bool, Thrown>;

/// The saved-group ids being resolved, innermost first, to stop cycles.
pub(crate) struct Visited<'a> {
    pub(crate) id: &'a str,
    pub(crate) up: Option<&'a Visited<'a>>,
}

/// Condition groups nested deeper than this (each referring to the next) are
/// treated as a stack overflow, which makes the SDK throw. JavaScript's own limit
/// is in the thousands; this one keeps Rust's stack use small.
pub(crate) const MAX_GROUP_NESTING: usize = 64;

impl Visited<'_> {
    pub(crate) fn depth(mut v: Option<&Visited<'_>>) -> usize {
        let mut n = 0;
        while let Some(node) = v {
            n += 1;
            v = node.up;
        }
        n
    }

    pub(crate) fn contains(mut v: Option<&Visited<'_>>, id: &str) -> bool {
        while let Some(node) = v {
            if node.id == id {
                return true;
            }
            v = node.up;
        }
        false
    }
}

/// `evalCondition(root, node)`.
pub(crate) fn node(n: &Node, root: &Value, g: Groups<'_>, vis: Option<&Visited<'_>>) -> Outcome {
    match n {
        Node::Field { path, test: t } => {
            let actual = get_path(root, path.parts().iter().map(String::as_str));
            test(t, actual, g, vis)
        }
        Node::And(children) => {
            for c in children {
                if !node(c, root, g, vis)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Node::Or(children) => any(children, root, g, vis),
        Node::Nor(children) => Ok(!any(children, root, g, vis)?),
        Node::Not(child) => Ok(!node(child, root, g, vis)?),
        Node::SavedGroup { id, attribute_key } => {
            g.eval_ref(id, attribute_key.as_deref(), root, vis)
        }
        Node::Const(b) => Ok(*b),
        Node::Throw => Err(Thrown),
    }
}

/// GrowthBook's `evalOr`: an empty list passes.
fn any(children: &[Node], root: &Value, g: Groups<'_>, vis: Option<&Visited<'_>>) -> Outcome {
    if children.is_empty() {
        return Ok(true);
    }
    for c in children {
        if node(c, root, g, vis)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `evalConditionValue(test, actual)`.
pub(crate) fn test(
    t: &FieldTest,
    actual: JsVal<'_>,
    g: Groups<'_>,
    vis: Option<&Visited<'_>>,
) -> Outcome {
    // `value + ""`, `String(value)` and `value * 1` convert the value first.
    if matches!(
        t,
        FieldTest::Str(_) | FieldTest::StrI(_) | FieldTest::Num(_)
    ) && actual.to_primitive_throws()
    {
        return Err(Thrown);
    }
    Ok(match t {
        FieldTest::Str(s) => actual.string_equals(s),
        FieldTest::StrI(s) => lower_equals(&actual.to_js_string(), s),
        // NaN never equals, which `==` on f64 already gives.
        FieldTest::Num(n) => actual.to_number() == *n,
        FieldTest::Bool(b) => !actual.is_null() && actual.truthy() == *b,
        FieldTest::Null => actual.is_null(),
        FieldTest::Json(v) => json_stringify_eq(actual, v),
        FieldTest::Ops(ops) => {
            for o in ops {
                if !op(o, actual, g, vis)? {
                    return Ok(false);
                }
            }
            true
        }
        FieldTest::Never => false,
    })
}

/// `evalOperatorCondition(op, actual, operand)`.
fn op(o: &Op, actual: JsVal<'_>, g: Groups<'_>, vis: Option<&Visited<'_>>) -> Outcome {
    Ok(match o {
        Op::Eq(p) => actual.strict_eq(p),
        Op::Ne(p) => !actual.strict_eq(p),
        Op::Cmp(..) if actual.to_primitive_throws() => return Err(Thrown),
        Op::Cmp(rel, rhs) => match js_compare(&actual.to_primitive(), rhs) {
            Some(ord) => match rel {
                Rel::Lt => ord == Ordering::Less,
                Rel::Lte => ord != Ordering::Greater,
                Rel::Gt => ord == Ordering::Greater,
                Rel::Gte => ord != Ordering::Less,
            },
            None => false,
        },
        // `actual != null`; a missing attribute is null.
        Op::Exists(want) => actual.is_null() != *want,
        Op::In(set) => is_in(actual, set, false),
        Op::Nin(set) => !is_in(actual, set, false),
        Op::Ini(set) => is_in(actual, set, true),
        Op::Nini(set) => !is_in(actual, set, true),
        Op::InGroup(key) => g.members(key).is_some_and(|m| m.contains(actual)),
        Op::NotInGroup(key) => g.members(key).is_some_and(|m| !m.contains(actual)),
        Op::Not(t) => !test(t, actual, g, vis)?,
        Op::Size(t) => match actual.as_array() {
            Some(items) => test(t, JsVal::Num(items.len() as f64), g, vis)?,
            None => false,
        },
        Op::ElemMatch(em) => return elem_match(em, actual, g, vis),
        Op::All(tests) | Op::Alli(tests) => return all(tests, actual, g, vis),
        Op::Regex(r) => regex(r, actual),
        Op::Type(name) => actual.type_name() == name,
        Op::Version(rel, operand) => {
            let ord = cmp_version(actual, &operand.padded);
            match rel {
                VersionRel::Eq => ord == Ordering::Equal,
                VersionRel::Ne => ord != Ordering::Equal,
                VersionRel::Lt => ord == Ordering::Less,
                VersionRel::Lte => ord != Ordering::Greater,
                VersionRel::Gt => ord == Ordering::Greater,
                VersionRel::Gte => ord != Ordering::Less,
            }
        }
        Op::Const(b) => *b,
        Op::Throw => return Err(Thrown),
        Op::Unknown(_) => false,
    })
}

fn elem_match(
    em: &ElemMatch,
    actual: JsVal<'_>,
    g: Groups<'_>,
    vis: Option<&Visited<'_>>,
) -> Outcome {
    let Some(items) = actual.as_array() else {
        return Ok(false);
    };
    // Only null elements are skipped; 0, "" and false are still tested.
    let mut elements = items.iter().filter(|el| !el.is_null());
    match em {
        // `Object.keys(null)` throws once the attribute is known to be an array.
        ElemMatch::Throw => Err(Thrown),
        ElemMatch::Value(t) => {
            for el in elements.by_ref() {
                if test(t, JsVal::Json(el), g, vis)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        ElemMatch::Condition(n) => {
            for el in elements {
                if node(n, el, g, vis)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
    }
}

/// GrowthBook's `isInAll`: every test is passed by some element.
fn all(
    tests: &[FieldTest],
    actual: JsVal<'_>,
    g: Groups<'_>,
    vis: Option<&Visited<'_>>,
) -> Outcome {
    let Some(items) = actual.as_array() else {
        return Ok(false);
    };
    for t in tests {
        let mut passed = false;
        for el in items {
            if test(t, JsVal::Json(el), g, vis)? {
                passed = true;
                break;
            }
        }
        if !passed {
            return Ok(false);
        }
    }
    Ok(true)
}

fn regex(r: &RegexTest, actual: JsVal<'_>) -> bool {
    let Some(re) = &r.compiled else {
        return false;
    };
    // A conversion error is thrown inside the SDK's try block: the test fails.
    if actual.to_primitive_throws() {
        return false;
    }
    // A subject the backtracking guard refuses fails the operator, negated or not.
    regexp::is_match(re, &actual.to_js_string()).is_some_and(|m| m != r.negate)
}

/// GrowthBook's `isIn`: an array attribute needs one element in the set.
pub(crate) fn is_in(actual: JsVal<'_>, set: &ValueSet, insensitive: bool) -> bool {
    match actual.as_array() {
        Some(items) => items
            .iter()
            .any(|el| set_contains(set, JsVal::Json(el), insensitive)),
        None => set_contains(set, actual, insensitive),
    }
}

/// `includes` (SameValueZero) of one value, lowercasing strings for `$ini`.
fn set_contains(set: &ValueSet, v: JsVal<'_>, insensitive: bool) -> bool {
    match v {
        JsVal::Json(Value::String(s)) if insensitive => with_lowercase(s, |l| {
            set.strs.binary_search_by(|x| x.as_str().cmp(l)).is_ok()
        }),
        JsVal::Json(Value::String(s)) => set.strs.binary_search(s).is_ok(),
        JsVal::Json(Value::Number(n)) => n.as_f64().is_some_and(|x| has_num(set, x)),
        JsVal::Num(x) => has_num(set, x),
        JsVal::Json(Value::Bool(b)) => set.has_bool(*b),
        JsVal::Json(Value::Null) => set.null,
        _ => false,
    }
}

fn has_num(set: &ValueSet, x: f64) -> bool {
    let x = x + 0.0;
    set.nums.binary_search_by(|n| n.total_cmp(&x)).is_ok()
}

/// Runs `f` on `s.toLowerCase()`, using a stack buffer for short ASCII strings.
fn with_lowercase<R>(s: &str, f: impl FnOnce(&str) -> R) -> R {
    let mut buf = [0u8; 64];
    if s.len() <= buf.len() && s.is_ascii() {
        let out = &mut buf[..s.len()];
        out.copy_from_slice(s.as_bytes());
        out.make_ascii_lowercase();
        if let Ok(l) = std::str::from_utf8(out) {
            return f(l);
        }
    }
    f(&s.to_lowercase())
}

/// `s.toLowerCase() === lowered`.
fn lower_equals(s: &str, lowered: &str) -> bool {
    if s.is_ascii() {
        return s.len() == lowered.len()
            && s.bytes()
                .zip(lowered.bytes())
                .all(|(a, b)| a.to_ascii_lowercase() == b);
    }
    s.to_lowercase() == lowered
}
