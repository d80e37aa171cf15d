//! The compiled condition tree that `Condition` evaluates and an index planner
//! can walk. It holds data only: compiling is in `compile`, evaluating in `eval`.

use std::sync::Arc;

use serde_json::Value;

/// A node of a compiled condition. Children are kept in GrowthBook's evaluation
/// order, which matters only when a later child would throw (see [`Node::Throw`]).
#[derive(Debug, Clone)]
pub enum Node {
    /// Every child must pass (the implicit AND of a condition object, and `$and`).
    /// An empty list passes.
    And(Vec<Node>),
    /// Some child must pass (`$or`). An empty list passes, as in GrowthBook.
    Or(Vec<Node>),
    /// No child may pass (`$nor`). An empty list fails, as in GrowthBook.
    Nor(Vec<Node>),
    /// The child must fail (`$not` at condition level).
    Not(Box<Node>),
    /// The attribute at `path` must pass `test`.
    Field { path: Path, test: FieldTest },
    /// `$savedGroup`: membership in a v2 saved group, resolved at evaluation time.
    SavedGroup {
        /// The saved group id.
        id: String,
        /// Overrides the list group's own `attributeKey` when given.
        attribute_key: Option<String>,
    },
    /// A fixed outcome (e.g. `$or` over an object whose `length` admits no element).
    Const(bool),
    /// Evaluating this node makes GrowthBook's JS SDK throw a `TypeError`
    /// (e.g. `{"$or": null}`); `Condition::eval` then returns false.
    Throw,
}

/// A dotted attribute path, split once at compile time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    raw: String,
    parts: Vec<String>,
}

impl Path {
    /// Splits `raw` on every `.`, as GrowthBook's `getPath` does (empty parts are kept).
    pub fn new(raw: &str) -> Path {
        Path {
            raw: raw.to_owned(),
            parts: raw.split('.').map(str::to_owned).collect(),
        }
    }

    /// The path as written in the condition, e.g. `"user.country"`.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The path's parts, e.g. `["user", "country"]`.
    pub fn parts(&self) -> &[String] {
        &self.parts
    }
}

/// What a path's value must satisfy: GrowthBook's `evalConditionValue`.
#[derive(Debug, Clone)]
pub enum FieldTest {
    /// A string condition: `value + "" === s`.
    Str(String),
    /// A string inside `$alli`: `String(value).toLowerCase() === s` (`s` is lowercased).
    StrI(String),
    /// A number condition: `value * 1 === n`.
    Num(f64),
    /// A boolean condition: `value !== null && !!value === b`.
    Bool(bool),
    /// A null condition: `value === null` (a missing attribute is null).
    Null,
    /// An array, or an object that is not all operators: equal `JSON.stringify` text.
    Json(Value),
    /// An operator object: every operator must pass, in order.
    Ops(Vec<Op>),
    /// A test no value passes (a one-code-unit string that is half a surrogate pair).
    Never,
}

/// One operator of an operator object, with its operand prepared.
#[derive(Debug, Clone)]
pub enum Op {
    /// `$eq`: `value === operand`. Array and object operands compile to `Const(false)`.
    Eq(Prim),
    /// `$ne`: `value !== operand`. Array and object operands compile to `Const(true)`.
    Ne(Prim),
    /// `$lt $lte $gt $gte`: JavaScript's loose relational comparison. Array and
    /// object operands are kept as the string JavaScript converts them to.
    Cmp(Rel, Prim),
    /// `$exists`: the operand's truthiness.
    Exists(bool),
    /// `$in`: strict membership; an array attribute needs one element in the set.
    In(ValueSet),
    /// `$nin`: the negation of `$in` with the same operand.
    Nin(ValueSet),
    /// `$ini`: as `$in`, comparing strings lowercased.
    Ini(ValueSet),
    /// `$nini`: the negation of `$ini`.
    Nini(ValueSet),
    /// `$inGroup`: membership in the saved group with this id.
    InGroup(String),
    /// `$notInGroup`: non-membership in the saved group with this id.
    NotInGroup(String),
    /// `$not` inside an operator object: the test must fail.
    Not(Box<FieldTest>),
    /// `$size`: the attribute is an array whose length passes the test.
    Size(Box<FieldTest>),
    /// `$elemMatch`: some non-null element of an array attribute matches.
    ElemMatch(ElemMatch),
    /// `$all`: an array attribute where every test is passed by some element.
    All(Vec<FieldTest>),
    /// `$alli`: as `$all`, with string tests compared lowercased.
    Alli(Vec<FieldTest>),
    /// `$regex $regexi $notRegex $notRegexi`.
    Regex(RegexTest),
    /// `$type`: GrowthBook's `getType` of the attribute equals this name.
    Type(String),
    /// `$veq $vne $vgt $vgte $vlt $vlte`: compares padded version strings.
    Version(VersionRel, VersionOperand),
    /// An operator whose operand makes its outcome fixed (e.g. `$in` with a non-array).
    Const(bool),
    /// An operator on which the SDK throws, e.g. `$lt` or `$inGroup` with an operand
    /// that cannot be converted to a primitive (an object with a `toString` key).
    Throw,
    /// An operator GrowthBook does not know: fails.
    Unknown(String),
}

/// A JSON primitive operand (after JavaScript's `ToPrimitive` for `Cmp`).
#[derive(Debug, Clone, PartialEq)]
pub enum Prim {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
}

/// The relation of `$lt $lte $gt $gte`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rel {
    Lt,
    Lte,
    Gt,
    Gte,
}

/// The relation of a version operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionRel {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
}

/// A version operand, pre-padded with GrowthBook's `paddedVersionString`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionOperand {
    /// The padded form, e.g. `"    1-    2-    3-~"` for `"1.2.3"`.
    pub padded: String,
}

/// The operand of `$elemMatch`.
#[derive(Debug, Clone)]
pub enum ElemMatch {
    /// An operator object: each element is tested as a value.
    Value(Box<FieldTest>),
    /// Anything else: each element is the root of a nested condition.
    Condition(Box<Node>),
    /// A null operand: GrowthBook throws once the attribute is an array.
    Throw,
}

/// A regular-expression operator with its pattern compiled (by `regress`).
#[derive(Debug, Clone)]
pub struct RegexTest {
    /// The pattern, or `None` when the operand is not a string.
    pub pattern: Option<String>,
    /// `$regexi` and `$notRegexi`.
    pub insensitive: bool,
    /// `$notRegex` and `$notRegexi`.
    pub negate: bool,
    pub(crate) compiled: Option<Arc<crate::regexp::JsRegex>>,
}

impl RegexTest {
    /// Whether the pattern compiled; if not (a SyntaxError in JavaScript, or
    /// beyond kerro's size limits, see README.md), the operator always fails.
    pub fn is_compiled(&self) -> bool {
        self.compiled.is_some()
    }
}

/// The primitive members of an `$in`-style operand, ready for lookups.
/// Array and object members are dropped: strict equality never matches them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ValueSet {
    pub(crate) strs: Vec<String>,
    pub(crate) nums: Vec<f64>,
    pub(crate) null: bool,
    pub(crate) true_: bool,
    pub(crate) false_: bool,
}

impl ValueSet {
    /// The primitive members of `items`, sorted and deduplicated; strings
    /// lowercased when `insensitive` (`$ini`/`$nini`). Arrays and objects are
    /// dropped: strict equality never matches them.
    pub(crate) fn from_items(items: &[Value], insensitive: bool) -> ValueSet {
        let mut set = ValueSet::default();
        for item in items {
            match item {
                Value::String(s) if insensitive => set.strs.push(s.to_lowercase()),
                Value::String(s) => set.strs.push(s.clone()),
                // Adding 0.0 turns -0 into 0, which `includes` treats as equal anyway.
                Value::Number(n) => set.nums.push(n.as_f64().unwrap_or(f64::NAN) + 0.0),
                Value::Bool(true) => set.true_ = true,
                Value::Bool(false) => set.false_ = true,
                Value::Null => set.null = true,
                Value::Array(_) | Value::Object(_) => {}
            }
        }
        set.strs.sort();
        set.strs.dedup();
        set.nums.retain(|n| !n.is_nan());
        set.nums.sort_by(f64::total_cmp);
        set.nums.dedup();
        set
    }

    /// The string members, sorted (lowercased for `$ini`/`$nini`).
    pub fn strings(&self) -> &[String] {
        &self.strs
    }

    /// The number members, sorted, with -0 stored as 0.
    pub fn numbers(&self) -> &[f64] {
        &self.nums
    }

    /// Whether `null` is a member.
    pub fn has_null(&self) -> bool {
        self.null
    }

    /// Whether the boolean `b` is a member.
    pub fn has_bool(&self, b: bool) -> bool {
        if b {
            self.true_
        } else {
            self.false_
        }
    }
}
