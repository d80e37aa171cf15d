//! Saved groups: looking them up for `$inGroup`/`$notInGroup` and `$savedGroup`
//! the way GrowthBook's SDK does, either straight from the raw JSON map or from a
//! precompiled [`SavedGroups`]. It does not fetch or refresh groups.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::eval::{self, Visited, MAX_GROUP_NESTING};
use crate::js::{get_path, is_object_proto_key, JsVal};
use crate::tree::{Node, ValueSet};
use crate::{Condition, Thrown};

/// Saved groups compiled once for many evaluations: member lists become sorted
/// sets and condition groups are compiled.
#[derive(Debug, Clone, Default)]
pub struct SavedGroups {
    groups: HashMap<String, Group>,
}

#[derive(Debug, Clone)]
enum Group {
    /// A v1 group: a bare array of values.
    Bare(ValueSet),
    /// A v2 `{"type": "list"}` group; `None` fields were not a string / an array.
    List {
        attribute_key: Option<String>,
        values: Option<ValueSet>,
    },
    /// A v2 `{"type": "condition"}` group; `None` when `condition` is not an object.
    Condition(Option<Condition>),
    /// Anything else: matches nobody, for both `$inGroup` and `$notInGroup`.
    Malformed,
}

impl SavedGroups {
    /// Compiles every group of a `savedGroups` payload.
    pub fn compile(map: &Map<String, Value>) -> SavedGroups {
        let groups = map
            .iter()
            .map(|(id, entry)| (id.clone(), compile_group(entry)))
            .collect();
        SavedGroups { groups }
    }
}

fn compile_group(entry: &Value) -> Group {
    match entry {
        Value::Array(items) => Group::Bare(members_set(items)),
        Value::Object(m) => match m.get("type") {
            Some(Value::String(t)) if t == "list" => Group::List {
                attribute_key: m
                    .get("attributeKey")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                values: m
                    .get("values")
                    .and_then(Value::as_array)
                    .map(|v| members_set(v)),
            },
            Some(Value::String(t)) if t == "condition" => {
                Group::Condition(match m.get("condition") {
                    // A compile error (absurd nesting) would be a RangeError in JavaScript.
                    Some(c @ (Value::Object(_) | Value::Array(_))) => Some(
                        Condition::compile(c).unwrap_or_else(|_| Condition::from_node(Node::Throw)),
                    ),
                    _ => None,
                })
            }
            _ => Group::Malformed,
        },
        _ => Group::Malformed,
    }
}

/// The members of a group as an `$in` set (composite members never match `===`).
fn members_set(items: &[Value]) -> ValueSet {
    ValueSet::from_items(items, false)
}

/// Where evaluation finds saved groups.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Groups<'g> {
    Raw(&'g Map<String, Value>),
    Compiled(&'g SavedGroups),
}

/// The member list of a group, for `$inGroup`/`$notInGroup`.
pub(crate) enum Members<'g> {
    Raw(&'g [Value]),
    Set(&'g ValueSet),
}

impl Members<'_> {
    /// GrowthBook's `isIn(actual, members)`.
    pub(crate) fn contains(&self, actual: JsVal<'_>) -> bool {
        match self {
            Members::Set(set) => eval::is_in(actual, set, false),
            Members::Raw(items) => match actual.as_array() {
                Some(els) => els
                    .iter()
                    .any(|el| items.iter().any(|m| same_value_zero(el, m))),
                None => match actual {
                    JsVal::Json(v) => items.iter().any(|m| same_value_zero(v, m)),
                    JsVal::Num(n) => items.iter().any(|m| m.as_f64() == Some(n)),
                    JsVal::Func(_) => false,
                },
            },
        }
    }
}

/// `Array.prototype.includes` equality between JSON values: primitives by
/// value, arrays and objects never (they are distinct objects).
fn same_value_zero(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(x), Value::String(y)) => x == y,
        _ => false,
    }
}

impl<'g> Groups<'g> {
    /// `getSavedGroupArrayValues(savedGroups[key])`: `None` is its `null`, on which
    /// both `$inGroup` and `$notInGroup` fail.
    pub(crate) fn members(self, key: &str) -> Option<Members<'g>> {
        match self {
            Groups::Raw(map) => match map.get(key) {
                // An unknown id behaves as an empty list, but a key that `{}`
                // inherits finds a function or `Object.prototype`: malformed.
                None if is_object_proto_key(key) => None,
                None => Some(Members::Raw(&[])),
                Some(Value::Array(items)) => Some(Members::Raw(items)),
                Some(Value::Object(m)) if m.get("type").and_then(Value::as_str) == Some("list") => {
                    m.get("values")
                        .and_then(Value::as_array)
                        .map(|v| Members::Raw(v))
                }
                Some(_) => None,
            },
            Groups::Compiled(sg) => match sg.groups.get(key) {
                None if is_object_proto_key(key) => None,
                None => Some(Members::Raw(&[])),
                Some(Group::Bare(set)) => Some(Members::Set(set)),
                Some(Group::List { values, .. }) => values.as_ref().map(Members::Set),
                Some(Group::Condition(_) | Group::Malformed) => None,
            },
        }
    }

    /// GrowthBook's `evalSavedGroup` for `{"$savedGroup": {"id", "attributeKey"?}}`.
    pub(crate) fn eval_ref(
        self,
        id: &str,
        attribute_key: Option<&str>,
        root: &Value,
        vis: Option<&Visited<'_>>,
    ) -> Result<bool, Thrown> {
        if Visited::contains(vis, id) {
            return Ok(false);
        }
        let next = Visited { id, up: vis };
        if Visited::depth(vis) >= MAX_GROUP_NESTING {
            return Err(Thrown);
        }
        match self {
            Groups::Raw(map) => {
                // Absent ids (inherited keys included) and non-objects match nobody.
                let Some(Value::Object(m)) = map.get(id) else {
                    return Ok(false);
                };
                match m.get("type").and_then(Value::as_str) {
                    Some("list") => {
                        // `attributeKey ?? entry.attributeKey`, which must be a string.
                        let own = m.get("attributeKey").and_then(Value::as_str);
                        let Some(key) = attribute_key.or(own) else {
                            return Ok(false);
                        };
                        let Some(values) = m.get("values").and_then(Value::as_array) else {
                            return Ok(false);
                        };
                        Ok(Members::Raw(values).contains(get_path(root, key.split('.'))))
                    }
                    Some("condition") => match m.get("condition") {
                        Some(c @ (Value::Object(_) | Value::Array(_))) => {
                            let cond = Condition::compile(c).map_err(|_| Thrown)?;
                            eval::node(cond.root(), root, self, Some(&next))
                        }
                        _ => Ok(false),
                    },
                    _ => Ok(false),
                }
            }
            Groups::Compiled(sg) => match sg.groups.get(id) {
                Some(Group::List {
                    attribute_key: own,
                    values,
                }) => {
                    let Some(key) = attribute_key.or(own.as_deref()) else {
                        return Ok(false);
                    };
                    let Some(set) = values else {
                        return Ok(false);
                    };
                    Ok(Members::Set(set).contains(get_path(root, key.split('.'))))
                }
                Some(Group::Condition(Some(cond))) => {
                    eval::node(cond.root(), root, self, Some(&next))
                }
                _ => Ok(false),
            },
        }
    }
}
