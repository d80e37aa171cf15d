//! Conditions compiled against a schema snapshot for one purpose, and their
//! evaluation on a `CompactProfile`, with GrowthBook's outcome exactly.
//!
//! Exact by construction: every table a compiled test looks up is filled by
//! running kerro-condition's evaluator on the values the compact form stands
//! for (each option of a choice; one-element arrays for the element-wise
//! operators of a multi-choice), and the outcome for a missing attribute comes
//! from evaluating the test on an empty object. What depends on more than the
//! set of options held (order, duplicates, string conversion of an array, a
//! throw that only order decides) is evaluated on the declared JSON value; a
//! condition part that is not a test of one attribute (a dotted path, a saved
//! group) is evaluated on the masked JSON profile. An attribute the purpose
//! may not see (P2) compiles to its missing outcome.

use kerro_condition::{Condition, ElemMatch, FieldTest, Node, Op, Prim, Rel, Thrown};
use serde_json::{json, Map, Value};
use std::cell::OnceCell;

use crate::compact::{AttrInfo, Bits, CompactProfile, Slot, Snapshot};
use crate::decide::Profile;
use crate::ids::PurposeKey;
use crate::schema::{AttrKind, Schema};

type Outcome = Result<bool, Thrown>;

/// A compiled condition node; children keep GrowthBook's order.
#[derive(Debug)]
pub(crate) enum CNode {
    And(Box<[CNode]>),
    Or(Box<[CNode]>),
    Nor(Box<[CNode]>),
    Not(Box<CNode>),
    Const(Outcome),
    Field(Box<CField>),
    /// Evaluated on the masked JSON profile.
    Json(Box<Condition>),
}

/// A test of one attribute the purpose may see.
#[derive(Debug)]
pub(crate) struct CField {
    pub(crate) attr: u32,
    pub(crate) missing: Outcome,
    pub(crate) test: CTest,
    /// The test itself, for a value with no compact form.
    raw: FieldTest,
}

#[derive(Debug)]
pub(crate) enum CTest {
    /// The outcome for each option of a choice.
    Choice(Box<[Outcome]>),
    /// Operators on a multi-choice's option set, all of which must pass, in order.
    Multi(Box<[MultiOp]>),
    /// Operators on a number, all of which must pass, in order.
    Num(Box<[NumOp]>),
    /// Evaluated on the declared JSON value.
    Raw,
}

/// An element-wise outcome table: the options that pass, and those that throw.
#[derive(Debug)]
pub(crate) struct PerOption {
    pub(crate) pass: Bits,
    pub(crate) throws: Bits,
}

#[derive(Debug)]
pub(crate) enum MultiOp {
    /// Some element passes (`$in`, `$ini`, `$elemMatch`), negated for `$nin`, `$nini`.
    Any { table: PerOption, negate: bool },
    /// For each table, some element passes (`$all`, `$alli`).
    All(Box<[PerOption]>),
    /// The outcome for each number of options held (`$size`).
    Size(Box<[Outcome]>),
    /// The same outcome for every array (`$exists`, `$type`, `$eq` a primitive, ...).
    Const(Outcome),
}

#[derive(Debug)]
pub(crate) enum NumOp {
    Cmp(Rel, f64),
    Eq(f64),
    Ne(f64),
    Const(Outcome),
}

/// Compiles `node` for offers of `purpose`.
pub(crate) fn compile(snap: &Snapshot, purpose: &PurposeKey, node: &Node) -> CNode {
    let list = |c: &[Node]| c.iter().map(|n| compile(snap, purpose, n)).collect();
    match node {
        Node::And(c) => CNode::And(list(c)),
        Node::Or(c) => CNode::Or(list(c)),
        Node::Nor(c) => CNode::Nor(list(c)),
        Node::Not(n) => CNode::Not(Box::new(compile(snap, purpose, n))),
        Node::Const(b) => CNode::Const(Ok(*b)),
        Node::Throw => CNode::Const(Err(Thrown)),
        Node::Field { path, test } if path.parts().len() == 1 => {
            let missing = Condition::from_node(node.clone()).try_eval(&json!({}), &Map::new());
            let visible = snap
                .id(path.as_str())
                .map(|id| (id, &snap.attrs[id as usize]))
                .filter(|(_, a)| a.visible_to(purpose));
            match visible {
                None => CNode::Const(missing),
                Some((attr, a)) => CNode::Field(Box::new(CField {
                    attr,
                    missing,
                    test: compile_test(a, test),
                    raw: test.clone(),
                })),
            }
        }
        Node::Field { .. } | Node::SavedGroup { .. } => {
            CNode::Json(Box::new(Condition::from_node(node.clone())))
        }
    }
}

fn compile_test(a: &AttrInfo, test: &FieldTest) -> CTest {
    match a.kind {
        AttrKind::Choice => CTest::Choice(
            a.options
                .iter()
                .map(|o| test.try_eval(&Value::String(o.clone())))
                .collect(),
        ),
        AttrKind::MultiChoice => multi_ops(a, test).map_or(CTest::Raw, CTest::Multi),
        AttrKind::Number => num_ops(test).map_or(CTest::Raw, CTest::Num),
        AttrKind::Boolean | AttrKind::Text | AttrKind::Date => CTest::Raw,
    }
}

/// The outcome of `op` alone on `value`.
fn op_on(op: &Op, value: &Value) -> Outcome {
    FieldTest::Ops(vec![op.clone()]).try_eval(value)
}

/// The element-wise table of `op`: its outcome on each one-option array.
fn per_option(a: &AttrInfo, op: &Op) -> PerOption {
    let mut t = PerOption {
        pass: Bits::new(a.options.len()),
        throws: Bits::new(a.options.len()),
    };
    for (i, o) in a.options.iter().enumerate() {
        match op_on(op, &json!([o])) {
            Ok(true) => t.pass.set(i),
            Ok(false) => {}
            Err(Thrown) => t.throws.set(i),
        }
    }
    t
}

fn multi_ops(a: &AttrInfo, test: &FieldTest) -> Option<Box<[MultiOp]>> {
    let ops = match test {
        FieldTest::Ops(ops) => ops,
        // An array is never null and always truthy.
        FieldTest::Bool(_) | FieldTest::Null | FieldTest::Never => {
            return Some(Box::new([MultiOp::Const(test.try_eval(&json!([])))]))
        }
        // `value + ""` and `JSON.stringify` read the order.
        _ => return None,
    };
    ops.iter()
        .map(|op| {
            // The element-wise forms below hold only where an empty array gives
            // what no element passing gives (`$elemMatch: null` throws on any array).
            let empty = op_on(op, &json!([]));
            Some(match op {
                Op::In(_) | Op::Ini(_) | Op::ElemMatch(_) if empty == Ok(false) => MultiOp::Any {
                    table: per_option(a, op),
                    negate: false,
                },
                Op::ElemMatch(ElemMatch::Throw) => MultiOp::Const(empty),
                Op::Nin(set) => MultiOp::Any {
                    table: per_option(a, &Op::In(set.clone())),
                    negate: true,
                },
                Op::Nini(set) => MultiOp::Any {
                    table: per_option(a, &Op::Ini(set.clone())),
                    negate: true,
                },
                Op::All(tests) | Op::Alli(tests) => MultiOp::All(
                    tests
                        .iter()
                        .map(|t| per_option(a, &Op::All(vec![t.clone()])))
                        .collect(),
                ),
                Op::Size(_) => MultiOp::Size(
                    (0..=a.options.len())
                        .map(|n| op_on(op, &Value::Array(vec![Value::Null; n])))
                        .collect(),
                ),
                Op::Eq(_)
                | Op::Ne(_)
                | Op::Exists(_)
                | Op::Type(_)
                | Op::InGroup(_)
                | Op::NotInGroup(_)
                | Op::Const(_)
                | Op::Throw
                | Op::Unknown(_) => MultiOp::Const(empty),
                _ => return None,
            })
        })
        .collect()
}

fn num_ops(test: &FieldTest) -> Option<Box<[NumOp]>> {
    match test {
        FieldTest::Num(n) => Some(Box::new([NumOp::Eq(*n)])),
        FieldTest::Ops(ops) => ops
            .iter()
            .map(|op| {
                Some(match op {
                    Op::Cmp(rel, Prim::Num(n)) => NumOp::Cmp(*rel, *n),
                    Op::Eq(Prim::Num(n)) => NumOp::Eq(*n),
                    Op::Ne(Prim::Num(n)) => NumOp::Ne(*n),
                    // A number is never null.
                    Op::Exists(want) => NumOp::Const(Ok(*want)),
                    _ => return None,
                })
            })
            .collect(),
        _ => None,
    }
}

/// What evaluating on one profile needs: the compact profile, and the masked
/// JSON profile of the purpose, built on first use.
pub(crate) struct EvalCx<'a> {
    pub(crate) snap: &'a Snapshot,
    pub(crate) compact: &'a CompactProfile<'a>,
    pub(crate) schema: &'a Schema,
    pub(crate) profile: &'a Profile,
    pub(crate) purpose: &'a PurposeKey,
    pub(crate) masked: OnceCell<Value>,
}

impl EvalCx<'_> {
    fn masked(&self) -> &Value {
        self.masked
            .get_or_init(|| Value::Object(self.profile.masked(self.schema, self.purpose)))
    }
}

/// Evaluates a compiled node: `Err` when GrowthBook's SDK would throw.
pub(crate) fn eval(n: &CNode, cx: &EvalCx<'_>) -> Outcome {
    match n {
        CNode::And(children) => {
            for c in children.iter() {
                if !eval(c, cx)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        CNode::Or(children) => any_passes(children, cx),
        CNode::Nor(children) => Ok(!any_passes(children, cx)?),
        CNode::Not(c) => Ok(!eval(c, cx)?),
        CNode::Const(o) => *o,
        CNode::Field(f) => field(f, cx),
        CNode::Json(c) => c.try_eval(cx.masked(), &Map::new()),
    }
}

/// GrowthBook's `evalOr`: an empty list passes.
fn any_passes(children: &[CNode], cx: &EvalCx<'_>) -> Outcome {
    if children.is_empty() {
        return Ok(true);
    }
    for c in children {
        if eval(c, cx)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn field(f: &CField, cx: &EvalCx<'_>) -> Outcome {
    let i = f.attr as usize;
    let (slot, raw) = cx.compact.cells[i];
    let compact = match (&f.test, slot) {
        (_, Slot::Missing) => return f.missing,
        (CTest::Choice(table), Slot::Choice(o)) => Some(table[o as usize]),
        (CTest::Multi(ops), Slot::Multi(at)) => {
            let a = &cx.snap.attrs[i];
            multi(ops, cx.compact.multi_words(at, a))
        }
        (CTest::Num(ops), Slot::Num(x)) => num(ops, x),
        _ => None,
    };
    match compact {
        Some(o) => o,
        None => f.raw.try_eval(raw.unwrap_or(&Value::Null)),
    }
}

/// The ops on the set `held`, or `None` when a held option throws somewhere
/// (then the order of the elements decides, and the JSON value is evaluated).
fn multi(ops: &[MultiOp], held: &[u64]) -> Option<Outcome> {
    for op in ops {
        let pass = match op {
            MultiOp::Any { table, negate } => {
                if table.throws.intersects(held) {
                    return None;
                }
                table.pass.intersects(held) != *negate
            }
            MultiOp::All(tables) => {
                if tables.iter().any(|t| t.throws.intersects(held)) {
                    return None;
                }
                tables.iter().all(|t| t.pass.intersects(held))
            }
            MultiOp::Size(table) => {
                let n: u32 = held.iter().map(|w| w.count_ones()).sum();
                match table[n as usize] {
                    Ok(b) => b,
                    e => return Some(e),
                }
            }
            MultiOp::Const(Ok(b)) => *b,
            MultiOp::Const(e) => return Some(*e),
        };
        if !pass {
            return Some(Ok(false));
        }
    }
    Some(Ok(true))
}

fn num(ops: &[NumOp], x: f64) -> Option<Outcome> {
    for op in ops {
        let pass = match *op {
            NumOp::Cmp(Rel::Lt, n) => x < n,
            NumOp::Cmp(Rel::Lte, n) => x <= n,
            NumOp::Cmp(Rel::Gt, n) => x > n,
            NumOp::Cmp(Rel::Gte, n) => x >= n,
            NumOp::Eq(n) => x == n,
            NumOp::Ne(n) => x != n,
            NumOp::Const(Ok(b)) => b,
            NumOp::Const(e) => return Some(e),
        };
        if !pass {
            return Some(Ok(false));
        }
    }
    Some(Ok(true))
}

/// A necessary condition of `n` passing: some literal (an attribute's option,
/// by literal id) is held, or a choice attribute it reads has a value with no
/// compact form (see `CompactProfile::unfit`). `Some(empty)`: it never passes;
/// `None`: no guard can be derived.
pub(crate) fn guard(snap: &Snapshot, n: &CNode) -> Option<Vec<u32>> {
    match n {
        CNode::And(c) => c.iter().filter_map(|n| guard(snap, n)).min_by_key(Vec::len),
        CNode::Or(c) if !c.is_empty() => {
            let mut out = Vec::new();
            for n in c.iter() {
                out.extend(guard(snap, n)?);
            }
            Some(out)
        }
        CNode::Const(Ok(false) | Err(_)) => Some(Vec::new()),
        CNode::Field(f) if f.missing != Ok(true) => {
            let a = &snap.attrs[f.attr as usize];
            let lits = |b: &Bits| b.iter().map(|o| a.lit_base + o as u32).collect::<Vec<_>>();
            match &f.test {
                CTest::Choice(table) => Some(
                    (0..table.len())
                        .filter(|&o| table[o] == Ok(true))
                        .map(|o| a.lit_base + o as u32)
                        .collect(),
                ),
                CTest::Multi(ops) => ops
                    .iter()
                    .filter_map(|op| match op {
                        MultiOp::Any {
                            table,
                            negate: false,
                        } => Some(lits(&table.pass)),
                        MultiOp::All(tables) => {
                            tables.iter().map(|t| lits(&t.pass)).min_by_key(Vec::len)
                        }
                        MultiOp::Const(Ok(false) | Err(_)) => Some(Vec::new()),
                        _ => None,
                    })
                    .min_by_key(Vec::len),
                CTest::Num(_) | CTest::Raw => None,
            }
        }
        _ => None,
    }
}

/// Whether holding any literal of `n`'s guard makes it pass: a single test
/// of a choice, or a single `$in`/`$elemMatch`/one-value `$all` on a
/// multi-choice that throws on no option. The index then decides the offer
/// without evaluating it (for a profile whose values all have a compact form).
pub(crate) fn decided_by_guard(n: &CNode) -> bool {
    let no_throws = |t: &PerOption| t.throws.iter().next().is_none();
    match n {
        CNode::And(c) if c.len() == 1 => decided_by_guard(&c[0]),
        CNode::Field(f) if f.missing != Ok(true) => match &f.test {
            CTest::Choice(_) => true,
            CTest::Multi(ops) => match &ops[..] {
                [MultiOp::Any {
                    table,
                    negate: false,
                }] => no_throws(table),
                [MultiOp::All(tables)] => tables.len() == 1 && no_throws(&tables[0]),
                _ => false,
            },
            CTest::Num(_) | CTest::Raw => false,
        },
        _ => false,
    }
}

/// At most this many tests in a conjunction the index decides by counting.
pub(crate) const MAX_CONJUNCTS: usize = 8;

/// The guards of `n`'s tests when `n` passes exactly when each of them has a
/// literal held: an `And` (the implicit one of a condition object, or
/// `$and`) of 2 to [`MAX_CONJUNCTS`] tests each decided by its own guard. A
/// test that is not `Ok(true)` makes the `And` fail or throw, and either way
/// the offer does not match, so counting the tests whose literal is held is
/// exact (for a profile whose values all have a compact form).
pub(crate) fn decided_conjuncts(snap: &Snapshot, n: &CNode) -> Option<Vec<Vec<u32>>> {
    let mut n = n;
    while let CNode::And(c) = n {
        match &c[..] {
            [inner @ CNode::And(_)] => n = inner,
            _ => break,
        }
    }
    let CNode::And(children) = n else {
        return None;
    };
    if !(2..=MAX_CONJUNCTS).contains(&children.len()) {
        return None;
    }
    children
        .iter()
        .map(|c| decided_by_guard(c).then(|| guard(snap, c)).flatten())
        .collect()
}

#[cfg(test)]
#[path = "compact_tests.rs"]
mod tests;
