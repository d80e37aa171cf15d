//! GrowthBook-compatible targeting conditions: compile a MongoDB-style condition
//! once, then evaluate it against many attribute objects with exactly the outcome
//! of the GrowthBook JS SDK's `evalCondition` (see README.md for the few known
//! differences). Fetching features, experiments and hashing are left out.
//!
//! ```
//! use serde_json::{json, Map};
//! use kerro_condition::Condition;
//!
//! let cond = Condition::compile(&json!({"country": {"$in": ["FR", "DE"]}, "age": {"$gte": 18}})).unwrap();
//! assert!(cond.eval(&json!({"country": "FR", "age": 30}), &Map::new()));
//! assert!(!cond.eval(&json!({"country": "US", "age": 30}), &Map::new()));
//! ```

mod compile;
mod eval;
mod groups;
mod js;
mod regexp;
mod tree;
mod version;

use std::collections::BTreeSet;

use serde_json::{Map, Value};

pub use compile::MAX_DEPTH;
pub use groups::SavedGroups;
pub use tree::{
    ElemMatch, FieldTest, Node, Op, Path, Prim, RegexTest, Rel, ValueSet, VersionOperand,
    VersionRel,
};

use groups::Groups;

/// Why a condition could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    /// The value nests deeper than [`MAX_DEPTH`] levels. serde_json's parser
    /// stops at 128, so only values built in code can hit this.
    #[error("condition nests deeper than {0} levels")]
    TooDeep(usize),
}

/// Evaluating the condition makes GrowthBook's JS SDK throw a `TypeError`
/// (for example `{"$or": null}` or `{"$not": null}`). [`Condition::eval`]
/// reports such a condition as not matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("GrowthBook's JS SDK throws a TypeError on this condition")]
pub struct Thrown;

/// A compiled targeting condition.
#[derive(Debug, Clone)]
pub struct Condition {
    root: Node,
}

impl Condition {
    /// Parses and compiles a condition once. Never panics on any JSON input.
    ///
    /// GrowthBook accepts any JSON value as a condition, so this does too: an
    /// object is the usual case; `null` compiles to a condition that throws in
    /// the SDK (and so fails); numbers and booleans have no entries and always
    /// pass; strings and arrays are read entry by entry, as `Object.entries`
    /// does. The only error is [`CompileError::TooDeep`].
    pub fn compile(json: &Value) -> Result<Condition, CompileError> {
        Ok(Condition {
            root: compile::condition(json, 0)?,
        })
    }

    /// Wraps a compiled tree (or a part of one, e.g. a single field test) as a condition.
    pub fn from_node(root: Node) -> Condition {
        Condition { root }
    }

    /// Evaluates against an attributes object. `saved_groups` maps group id to
    /// an array of values (v1) or to a v2 `{"type": "list" | "condition", …}` entry.
    /// A condition on which the SDK would throw does not match.
    pub fn eval(&self, attributes: &Value, saved_groups: &Map<String, Value>) -> bool {
        self.try_eval(attributes, saved_groups).unwrap_or(false)
    }

    /// As [`Condition::eval`], but tells a throwing condition apart from a failing one.
    pub fn try_eval(
        &self,
        attributes: &Value,
        saved_groups: &Map<String, Value>,
    ) -> Result<bool, Thrown> {
        eval::node(&self.root, attributes, Groups::Raw(saved_groups), None)
    }

    /// As [`Condition::eval`], with saved groups compiled beforehand (faster for
    /// large member lists and needed to avoid compiling condition groups per call).
    pub fn eval_with(&self, attributes: &Value, saved_groups: &SavedGroups) -> bool {
        self.try_eval_with(attributes, saved_groups)
            .unwrap_or(false)
    }

    /// As [`Condition::eval_with`], telling a throwing condition apart.
    pub fn try_eval_with(
        &self,
        attributes: &Value,
        saved_groups: &SavedGroups,
    ) -> Result<bool, Thrown> {
        eval::node(&self.root, attributes, Groups::Compiled(saved_groups), None)
    }

    /// The compiled tree, for index planners.
    pub fn root(&self) -> &Node {
        &self.root
    }

    /// The attribute paths (dotted, as written) this condition reads from the
    /// attributes object. Paths inside `$elemMatch` conditions are relative to
    /// array elements and are not listed; neither are the attribute keys that
    /// saved groups name themselves (only known at evaluation time), though a
    /// `$savedGroup` reference's own `attributeKey` override is.
    pub fn attributes_read(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        collect_paths(&self.root, &mut out);
        out
    }
}

impl FieldTest {
    /// Evaluates this test against one attribute's value, as the condition
    /// `{"k": test}` does on `{"k": value}`, with no saved groups. For a missing
    /// attribute, evaluate the whole condition on the attributes instead: the
    /// names JavaScript objects inherit (`constructor`, `__proto__`, ...) do
    /// not read as null.
    pub fn try_eval(&self, value: &Value) -> Result<bool, Thrown> {
        let none = Map::new();
        eval::test(self, js::JsVal::Json(value), Groups::Raw(&none), None)
    }
}

fn collect_paths(node: &Node, out: &mut BTreeSet<String>) {
    match node {
        Node::And(c) | Node::Or(c) | Node::Nor(c) => c.iter().for_each(|n| collect_paths(n, out)),
        Node::Not(n) => collect_paths(n, out),
        Node::Field { path, .. } => {
            out.insert(path.as_str().to_owned());
        }
        Node::SavedGroup {
            attribute_key: Some(k),
            ..
        } => {
            out.insert(k.clone());
        }
        Node::SavedGroup { .. } | Node::Const(_) | Node::Throw => {}
    }
}

/// Compiles and evaluates in one step. A condition that cannot be compiled
/// (nested deeper than [`MAX_DEPTH`]) does not match, as a JavaScript stack
/// overflow would make the SDK throw.
pub fn eval_condition(
    attributes: &Value,
    condition: &Value,
    saved_groups: &Map<String, Value>,
) -> bool {
    Condition::compile(condition).is_ok_and(|c| c.eval(attributes, saved_groups))
}
