//! Compiles a GrowthBook condition (any JSON value) into the `tree` types,
//! reading each part exactly as the JS SDK's `evalCondition` would read it
//! (including non-object conditions, array-like `$or` operands and JavaScript
//! key order). It evaluates nothing against attributes.

use serde_json::{Map, Value};

use crate::js::{
    self, is_object_proto_key, js_entries, json_to_number, to_primitive_throws, write_json_string,
};
use crate::regexp;
use crate::tree::{
    ElemMatch, FieldTest, Node, Op, Path, Prim, RegexTest, Rel, ValueSet, VersionOperand,
    VersionRel,
};
use crate::version::padded_version;
use crate::CompileError;

/// Conditions nested deeper than this are refused rather than recursed into.
/// The depth counted never exceeds the JSON nesting depth, and serde_json's
/// parser stops at 128 levels, so only values built in code can reach it.
pub const MAX_DEPTH: usize = 128;

type Res<T> = Result<T, CompileError>;

/// `evalCondition(obj, v)`: the entries of `v` as `Object.entries` lists them,
/// all of which must pass.
pub(crate) fn condition(v: &Value, depth: usize) -> Res<Node> {
    if depth > MAX_DEPTH {
        return Err(CompileError::TooDeep(MAX_DEPTH));
    }
    let nodes = match v {
        // `Object.entries(null)` throws a TypeError.
        Value::Null => return Ok(Node::Throw),
        // Numbers and booleans have no own enumerable properties: nothing to check.
        Value::Bool(_) | Value::Number(_) => Vec::new(),
        // A string's entries are its UTF-16 code units, keyed by index.
        Value::String(s) => s
            .encode_utf16()
            .enumerate()
            .map(|(i, u)| unit_entry(i, u))
            .collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, el)| entry(&i.to_string(), el, depth))
            .collect::<Res<Vec<_>>>()?,
        Value::Object(map) => js_entries(map)
            .into_iter()
            .map(|(k, el)| entry(k, el, depth))
            .collect::<Res<Vec<_>>>()?,
    };
    Ok(and_of(nodes))
}

fn and_of(mut nodes: Vec<Node>) -> Node {
    if nodes.len() == 1 {
        if let Some(n) = nodes.pop() {
            return n;
        }
    }
    Node::And(nodes)
}

/// The entry `[i, unit]` of a string used as a condition: path `i` must equal
/// the one-unit string (which no value can when the unit is half a surrogate pair).
fn unit_entry(i: usize, unit: u16) -> Node {
    let test = match char::from_u32(u32::from(unit)) {
        Some(c) => FieldTest::Str(c.to_string()),
        None => FieldTest::Never,
    };
    Node::Field {
        path: Path::new(&i.to_string()),
        test,
    }
}

/// One `[key, value]` entry of a condition.
fn entry(key: &str, v: &Value, depth: usize) -> Res<Node> {
    Ok(match key {
        "$or" => list(v, ListKind::Or, depth)?,
        "$nor" => list(v, ListKind::Nor, depth)?,
        "$and" => list(v, ListKind::And, depth)?,
        "$not" => Node::Not(Box::new(condition(v, depth + 1)?)),
        "$savedGroup" => saved_group_ref(v),
        _ => Node::Field {
            path: Path::new(key),
            test: value_test(v, false, depth + 1)?,
        },
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ListKind {
    Or,
    Nor,
    And,
}

fn wrap(kind: ListKind, nodes: Vec<Node>) -> Node {
    match kind {
        ListKind::Or => Node::Or(nodes),
        ListKind::Nor => Node::Nor(nodes),
        ListKind::And => Node::And(nodes),
    }
}

/// The operand of `$or`/`$nor`/`$and`, which the SDK walks as an array-like:
/// `conditions.length`, then `conditions[i]` while `i < length`.
fn list(v: &Value, kind: ListKind, depth: usize) -> Res<Node> {
    let nodes = match v {
        // `null.length` throws.
        Value::Null => return Ok(Node::Throw),
        Value::Array(items) => items
            .iter()
            .map(|c| condition(c, depth + 1))
            .collect::<Res<Vec<_>>>()?,
        // Each element of a string is a one-unit string, itself a condition.
        Value::String(s) => s.encode_utf16().map(|u| unit_entry(0, u)).collect(),
        // `length` is undefined: `$or` passes (`!undefined`), `$and` loops zero times.
        Value::Bool(_) | Value::Number(_) => Vec::new(),
        Value::Object(map) => return object_list(map, kind, depth),
    };
    Ok(wrap(kind, nodes))
}

/// An object operand of `$or`/`$nor`/`$and`, read through its `length` and
/// index properties; a missing index within `length` yields `undefined`, on
/// which `evalCondition` throws.
fn object_list(map: &Map<String, Value>, kind: ListKind, depth: usize) -> Res<Node> {
    let Some(len) = map.get("length") else {
        return Ok(wrap(kind, Vec::new()));
    };
    if kind != ListKind::And && !js::JsVal::Json(len).truthy() {
        return Ok(wrap(kind, Vec::new()));
    }
    // `i < length` converts `length` with ToNumber (after ToPrimitive), which
    // throws for an object with a `toString` key.
    if to_primitive_throws(len) {
        return Ok(Node::Throw);
    }
    let limit = json_to_number(len);
    let mut nodes = Vec::new();
    let mut i: u64 = 0;
    while (i as f64) < limit {
        match map.get(&i.to_string()) {
            Some(c) => nodes.push(condition(c, depth + 1)?),
            None => {
                nodes.push(Node::Throw);
                break;
            }
        }
        i += 1;
    }
    if nodes.is_empty() {
        // `length` was truthy yet admitted no index: `evalOr` returns false.
        return Ok(match kind {
            ListKind::Or => Node::Const(false),
            ListKind::Nor => Node::Const(true),
            ListKind::And => Node::And(Vec::new()),
        });
    }
    Ok(wrap(kind, nodes))
}

/// `$savedGroup`: an object with a string `id` and an optional string `attributeKey`.
fn saved_group_ref(v: &Value) -> Node {
    let Value::Object(m) = v else {
        return Node::Const(false);
    };
    let Some(Value::String(id)) = m.get("id") else {
        return Node::Const(false);
    };
    let attribute_key = match m.get("attributeKey") {
        None => None,
        Some(Value::String(k)) => Some(k.clone()),
        Some(_) => return Node::Const(false),
    };
    Node::SavedGroup {
        id: id.clone(),
        attribute_key,
    }
}

/// GrowthBook's `isOperatorObject`: a non-empty object whose keys all start with `$`.
pub(crate) fn is_operator_object(map: &Map<String, Value>) -> bool {
    !map.is_empty() && map.keys().all(|k| k.starts_with('$'))
}

/// `evalConditionValue(v, …)`: what the value at a path must satisfy.
fn value_test(v: &Value, insensitive: bool, depth: usize) -> Res<FieldTest> {
    if depth > MAX_DEPTH {
        return Err(CompileError::TooDeep(MAX_DEPTH));
    }
    Ok(match v {
        Value::String(s) if insensitive => FieldTest::StrI(s.to_lowercase()),
        Value::String(s) => FieldTest::Str(s.clone()),
        Value::Number(n) => FieldTest::Num(n.as_f64().unwrap_or(f64::NAN)),
        Value::Bool(b) => FieldTest::Bool(*b),
        Value::Null => FieldTest::Null,
        Value::Object(map) if is_operator_object(map) => FieldTest::Ops(
            js_entries(map)
                .into_iter()
                .map(|(name, operand)| operator(name, operand, depth))
                .collect::<Res<Vec<_>>>()?,
        ),
        Value::Array(_) | Value::Object(_) => FieldTest::Json(v.clone()),
    })
}

fn operator(name: &str, operand: &Value, depth: usize) -> Res<Op> {
    let converts = matches!(
        name,
        "$lt" | "$lte" | "$gt" | "$gte" | "$inGroup" | "$notInGroup"
    );
    if converts && to_primitive_throws(operand) {
        return Ok(Op::Throw);
    }
    let version = |rel| {
        Op::Version(
            rel,
            VersionOperand {
                padded: padded_version(operand),
            },
        )
    };
    Ok(match name {
        "$veq" => version(VersionRel::Eq),
        "$vne" => version(VersionRel::Ne),
        "$vgt" => version(VersionRel::Gt),
        "$vgte" => version(VersionRel::Gte),
        "$vlt" => version(VersionRel::Lt),
        "$vlte" => version(VersionRel::Lte),
        // `===` never holds between a fresh operand object and an attribute.
        "$eq" => prim(operand).map_or(Op::Const(false), Op::Eq),
        "$ne" => prim(operand).map_or(Op::Const(true), Op::Ne),
        "$lt" => Op::Cmp(Rel::Lt, to_primitive(operand)),
        "$lte" => Op::Cmp(Rel::Lte, to_primitive(operand)),
        "$gt" => Op::Cmp(Rel::Gt, to_primitive(operand)),
        "$gte" => Op::Cmp(Rel::Gte, to_primitive(operand)),
        "$exists" => Op::Exists(js::JsVal::Json(operand).truthy()),
        "$in" => value_set(operand, false).map_or(Op::Const(false), Op::In),
        "$nin" => value_set(operand, false).map_or(Op::Const(false), Op::Nin),
        "$ini" => value_set(operand, true).map_or(Op::Const(false), Op::Ini),
        "$nini" => value_set(operand, true).map_or(Op::Const(false), Op::Nini),
        "$inGroup" => Op::InGroup(property_key(operand)),
        "$notInGroup" => Op::NotInGroup(property_key(operand)),
        "$not" => Op::Not(Box::new(value_test(operand, false, depth + 1)?)),
        "$size" => Op::Size(Box::new(value_test(operand, false, depth + 1)?)),
        "$elemMatch" => Op::ElemMatch(match operand {
            Value::Null => ElemMatch::Throw,
            Value::Object(m) if is_operator_object(m) => {
                ElemMatch::Value(Box::new(value_test(operand, false, depth + 1)?))
            }
            _ => ElemMatch::Condition(Box::new(condition(operand, depth + 1)?)),
        }),
        "$all" | "$alli" => match operand {
            Value::Array(items) => {
                let insensitive = name == "$alli";
                let tests = items
                    .iter()
                    .map(|el| value_test(el, insensitive, depth + 1))
                    .collect::<Res<Vec<_>>>()?;
                if insensitive {
                    Op::Alli(tests)
                } else {
                    Op::All(tests)
                }
            }
            _ => Op::Const(false),
        },
        "$regex" => Op::Regex(regex_test(operand, false, false)),
        "$regexi" => Op::Regex(regex_test(operand, true, false)),
        "$notRegex" => Op::Regex(regex_test(operand, false, true)),
        "$notRegexi" => Op::Regex(regex_test(operand, true, true)),
        "$type" => match operand {
            Value::String(s) => Op::Type(s.clone()),
            _ => Op::Const(false),
        },
        _ => Op::Unknown(name.to_owned()),
    })
}

fn prim(v: &Value) -> Option<Prim> {
    match v {
        Value::Null => Some(Prim::Null),
        Value::Bool(b) => Some(Prim::Bool(*b)),
        Value::Number(n) => Some(Prim::Num(n.as_f64().unwrap_or(f64::NAN))),
        Value::String(s) => Some(Prim::Str(s.clone())),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// `ToPrimitive`: arrays and objects become the string JavaScript prints for them.
fn to_primitive(v: &Value) -> Prim {
    prim(v).unwrap_or_else(|| Prim::Str(property_key(v)))
}

/// `String(v)`, the key `savedGroups[v]` looks up.
fn property_key(v: &Value) -> String {
    let mut out = String::new();
    write_json_string(v, &mut out);
    out
}

/// The primitive members of an array operand; `None` for a non-array.
fn value_set(v: &Value, insensitive: bool) -> Option<ValueSet> {
    let Value::Array(items) = v else {
        return None;
    };
    Some(ValueSet::from_items(items, insensitive))
}

/// Prepares a regex operator. A non-string operand fails, and so does a pattern
/// named like an `Object.prototype` property: the SDK's regex cache is a plain
/// object, so such a key finds the inherited property instead of a RegExp.
fn regex_test(operand: &Value, insensitive: bool, negate: bool) -> RegexTest {
    let pattern = operand.as_str().map(str::to_owned);
    let compiled = match pattern.as_deref() {
        Some(p) if !insensitive && is_object_proto_key(p) => None,
        Some(p) => regexp::compile_cached(p, insensitive),
        None => None,
    };
    RegexTest {
        pattern,
        insensitive,
        negate,
        compiled,
    }
}
