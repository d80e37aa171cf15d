//! Evaluating a compiled condition on the audience index. Each node becomes
//! a [`Set`] of live subjects kept in whatever form is cheapest: borrowed from
//! the index, as a complement, as an unevaluated union or range span, and
//! restricted to the subjects still in question (a conjunction's running
//! intersection). A count ends in cardinality calls instead of building the
//! last set. The semantics of each leaf are GrowthBook's; see `audience.rs`.

use kerro_condition::{Condition, ElemMatch, FieldTest, Node, Op, Prim, Rel};
use roaring::{MultiOps, RoaringBitmap};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::HashMap;

use crate::audience::AttrIndex;
use crate::audience_range::{RangeIndex, Span};

/// Subjects, unevaluated where that is cheaper.
pub(crate) enum Bits<'a> {
    Map(Cow<'a, RoaringBitmap>),
    /// The union of these; `disjoint` when no subject is in two of them.
    Union {
        parts: Vec<Cow<'a, RoaringBitmap>>,
        disjoint: bool,
    },
    Span(Span<'a>),
}

/// A set of live subjects: exactly `In`, or every live subject but `Out`.
pub(crate) enum Set<'a> {
    In(Bits<'a>),
    Out(Bits<'a>),
}

fn empty<'a>() -> Bits<'a> {
    Bits::Map(Cow::Owned(RoaringBitmap::new()))
}

fn restrict<'a>(b: Cow<'a, RoaringBitmap>, w: Option<&RoaringBitmap>) -> Cow<'a, RoaringBitmap> {
    match (b, w) {
        (b, None) => b,
        (Cow::Owned(mut b), Some(w)) => {
            b &= w;
            Cow::Owned(b)
        }
        (Cow::Borrowed(b), Some(w)) => Cow::Owned(b & w),
    }
}

impl<'a> Bits<'a> {
    /// `|w ∩ self|`.
    pub(crate) fn count_within(&self, w: &RoaringBitmap) -> u64 {
        match self {
            Bits::Map(b) => w.intersection_len(b),
            Bits::Union { parts, disjoint } if *disjoint || parts.len() == 1 => {
                parts.iter().map(|p| w.intersection_len(p)).sum()
            }
            Bits::Union { parts, .. } => w.intersection_len(&parts.iter().map(|p| &**p).union()),
            Bits::Span(s) => s.count_within(w),
        }
    }

    /// An upper bound of its size (exact for a bitmap), to order a conjunction.
    fn estimate(&self) -> u64 {
        match self {
            Bits::Map(b) => b.len(),
            Bits::Union { parts, .. } => parts.iter().map(|p| p.len()).sum(),
            Bits::Span(s) => s.estimate(),
        }
    }

    /// The subjects themselves, restricted to `w` when given.
    pub(crate) fn build(self, w: Option<&RoaringBitmap>) -> Cow<'a, RoaringBitmap> {
        match self {
            Bits::Map(b) => restrict(b, w),
            Bits::Union { mut parts, .. } if parts.len() <= 1 => {
                restrict(parts.pop().unwrap_or_default(), w)
            }
            Bits::Union { parts, .. } => match w {
                // A small universe: intersect each part first.
                Some(w) if w.len() * 4 < parts.iter().map(|p| p.len()).sum::<u64>() => {
                    Cow::Owned(parts.iter().map(|p| &**p & w).union())
                }
                _ => restrict(Cow::Owned(parts.iter().map(|p| &**p).union()), w),
            },
            Bits::Span(s) => s.build(w),
        }
    }
}

impl<'a> Set<'a> {
    fn all() -> Set<'a> {
        Set::Out(empty())
    }

    fn none() -> Set<'a> {
        Set::In(empty())
    }

    fn not(self) -> Set<'a> {
        match self {
            Set::In(b) => Set::Out(b),
            Set::Out(b) => Set::In(b),
        }
    }

    /// `|w ∩ self|`, for `w` within the live subjects.
    pub(crate) fn count_within(&self, w: &RoaringBitmap) -> u64 {
        match self {
            Set::In(b) => b.count_within(w),
            Set::Out(b) => w.len() - b.count_within(w),
        }
    }

    /// `w ∩ self` as a bitmap.
    pub(crate) fn within(self, w: &RoaringBitmap) -> RoaringBitmap {
        match self {
            Set::In(b) => b.build(Some(w)).into_owned(),
            Set::Out(b) => w - &*b.build(Some(w)),
        }
    }

    fn estimate(&self, live: u64) -> u64 {
        match self {
            Set::In(b) => b.estimate(),
            Set::Out(_) => live,
        }
    }
}

/// `hint` where restricting a set of about `size` subjects to it pays: it
/// leaves out at least half of them. Restricting to a broad set (most
/// reachable sets) costs a pass and saves nothing; the caller's last step
/// intersects anyway.
fn worth(hint: Option<&RoaringBitmap>, size: u64) -> Option<&RoaringBitmap> {
    hint.filter(|h| h.len() * 2 < size)
}

/// The intersection of `sets`, restricted to `hint`: the smallest first,
/// then the rest in ascending order, complements last (as differences).
fn and_all<'a>(mut sets: Vec<Set<'a>>, hint: Option<&RoaringBitmap>, live: u64) -> Set<'a> {
    sets.sort_by_key(|s| s.estimate(live));
    let mut acc: Option<Cow<'a, RoaringBitmap>> = None;
    let mut outs = Vec::new();
    for s in sets {
        match s {
            Set::In(b) => {
                acc = Some(match acc {
                    None => {
                        let hint = worth(hint, b.estimate());
                        b.build(hint)
                    }
                    Some(a) if a.is_empty() => a,
                    Some(a) => {
                        let a = a.into_owned();
                        let b = b.build(Some(&a));
                        match b {
                            Cow::Owned(b) => Cow::Owned(b),
                            Cow::Borrowed(b) => Cow::Owned(b & a),
                        }
                    }
                });
            }
            Set::Out(b) => outs.push(b),
        }
    }
    match acc {
        Some(mut a) => {
            for b in outs {
                if a.is_empty() {
                    break;
                }
                let remove = b.build(Some(&a));
                *a.to_mut() -= &*remove;
            }
            Set::In(Bits::Map(a))
        }
        // Only complements: `live − (b1 ∪ b2 ∪ ...)`.
        None => Set::Out(union_all(outs, hint)),
    }
}

/// The union of `bits`, kept lazy when every one is a plain bitmap or union.
fn union_all<'a>(bits: Vec<Bits<'a>>, hint: Option<&RoaringBitmap>) -> Bits<'a> {
    let mut parts = Vec::new();
    for b in bits {
        match b {
            Bits::Map(m) => parts.push(m),
            Bits::Union { parts: p, .. } => parts.extend(p),
            s @ Bits::Span(_) => {
                let hint = worth(hint, s.estimate());
                parts.push(s.build(hint))
            }
        }
    }
    match parts.len() {
        0 => empty(),
        1 => Bits::Map(parts.pop().unwrap_or_default()),
        _ => Bits::Union {
            parts,
            disjoint: false,
        },
    }
}

/// `ins ∪ complement(outs…)`: with any complement the result is one.
fn or_all<'a>(sets: Vec<Set<'a>>, hint: Option<&RoaringBitmap>, live: u64) -> Set<'a> {
    let (mut ins, mut outs) = (Vec::new(), Vec::new());
    for s in sets {
        match s {
            Set::In(b) => ins.push(b),
            Set::Out(b) => outs.push(Set::In(b)),
        }
    }
    if outs.is_empty() {
        return Set::In(union_all(ins, hint));
    }
    // `live − (∩ outs − ∪ ins)`.
    let kept = and_all(outs, hint, live);
    let Set::In(kept) = kept else {
        unreachable!("an intersection of plain sets is a plain set")
    };
    let mut kept = kept.build(None);
    if !ins.is_empty() && !kept.is_empty() {
        let inside = union_all(ins, None).build(Some(&kept));
        *kept.to_mut() -= &*inside;
    }
    Set::Out(Bits::Map(kept))
}

/// What a node reads of the index.
pub(crate) struct Plan<'a> {
    pub(crate) live: &'a RoaringBitmap,
    pub(crate) attrs: &'a HashMap<String, AttrIndex>,
}

impl<'a> Plan<'a> {
    /// The subjects `node` matches; only its intersection with `hint` counts.
    pub(crate) fn set(&self, node: &Node, hint: Option<&RoaringBitmap>) -> Set<'a> {
        let live = self.live.len();
        match node {
            Node::And(children) if children.is_empty() => Set::all(),
            Node::And(children) => self.and(children, hint, false).0,
            Node::Or(children) if children.is_empty() => Set::all(),
            Node::Or(children) => or_all(
                children.iter().map(|c| self.set(c, hint)).collect(),
                hint,
                live,
            ),
            Node::Nor(children) if children.is_empty() => Set::none(),
            Node::Nor(children) => or_all(
                children.iter().map(|c| self.set(c, hint)).collect(),
                hint,
                live,
            )
            .not(),
            Node::Not(child) => self.set(child, hint).not(),
            Node::Field { path, test } => self.field(node, path.as_str(), test, hint),
            Node::Const(true) => Set::all(),
            Node::Const(false) | Node::Throw | Node::SavedGroup { .. } => Set::none(),
        }
    }

    /// `|w ∩ node|`, for `w` within the live subjects.
    pub(crate) fn count(&self, node: &Node, w: &RoaringBitmap) -> u64 {
        match node {
            Node::Not(child) => w.len() - self.count(child, w),
            // The largest plain part is counted within what the others leave.
            Node::And(children) if children.len() > 1 => match self.and(children, Some(w), true) {
                (rest, Some(last)) => last.count_within(&rest.within(w)),
                (rest, None) => rest.count_within(w),
            },
            _ => self.set(node, Some(w)).count_within(w),
        }
    }

    /// A conjunction: its leaves first, in ascending size, then its nested
    /// nodes, each evaluated within what the leaves leave. With `keep_last`,
    /// the largest leaf that is a plain set is left out and returned apart,
    /// for a count to end in cardinality calls.
    fn and(
        &self,
        children: &[Node],
        hint: Option<&RoaringBitmap>,
        keep_last: bool,
    ) -> (Set<'a>, Option<Set<'a>>) {
        let live = self.live.len();
        let (leaves, nested): (Vec<&Node>, Vec<&Node>) = children
            .iter()
            .partition(|c| matches!(c, Node::Field { .. }));
        let mut sets: Vec<Set<'a>> = leaves.iter().map(|c| self.set(c, hint)).collect();
        let mut last = None;
        if keep_last && nested.is_empty() {
            sets.sort_by_key(|s| s.estimate(live));
            if let Some(at) = sets.iter().rposition(|s| matches!(s, Set::In(_))) {
                last = Some(sets.remove(at));
            }
        }
        let mut acc = and_all(sets, hint, live);
        for c in nested {
            let s = match &acc {
                Set::In(Bits::Map(m)) => self.set(c, Some(m)),
                _ => self.set(c, hint),
            };
            acc = and_all(vec![acc, s], hint, live);
        }
        (acc, last)
    }

    fn field(
        &self,
        node: &Node,
        attr: &str,
        test: &FieldTest,
        hint: Option<&RoaringBitmap>,
    ) -> Set<'a> {
        let Some(a) = self.attrs.get(attr) else {
            // Nobody holds a value: the test on a missing value decides for everyone.
            return if passes_missing(node) {
                Set::all()
            } else {
                Set::none()
            };
        };
        if let Some(fast) = self.fast(a, node, test, hint) {
            return fast;
        }
        // The general path: GrowthBook's own evaluation, once per distinct
        // value. Distinct values partition the holders, so the parts are disjoint.
        let single = Condition::from_node(node.clone());
        let groups = Map::new();
        let mut obj = Map::with_capacity(1);
        let missing = passes_missing(node);
        let mut parts = Vec::new();
        for (value, holders) in a.values() {
            obj.insert(attr.to_owned(), value.clone());
            let probe = Value::Object(std::mem::take(&mut obj));
            // Missing passing: the result is a complement of those who fail.
            if single.eval(&probe, &groups) != missing {
                parts.push(Cow::Borrowed(holders));
            }
            if let Value::Object(back) = probe {
                obj = back;
            }
        }
        let bits = Bits::Union {
            parts,
            disjoint: true,
        };
        if missing {
            Set::Out(bits)
        } else {
            Set::In(bits)
        }
    }

    /// Direct answers for the frequent shapes, each written to agree with
    /// GrowthBook on the values held: string tests where every value held
    /// is a string, array tests where every value is an array of strings,
    /// comparisons where every value is a number (or every value an ASCII
    /// string, against a string). Anything else takes the general path.
    fn fast(
        &self,
        a: &'a AttrIndex,
        node: &Node,
        test: &FieldTest,
        hint: Option<&RoaringBitmap>,
    ) -> Option<Set<'a>> {
        match test {
            // `actual + "" === s` on a string.
            FieldTest::Str(s) if a.all_strings() && !passes_missing(node) => {
                Some(Set::In(text(a, s)))
            }
            FieldTest::Ops(ops) if !ops.is_empty() => {
                let sets = ops
                    .iter()
                    .map(|op| self.op(a, node, op, hint))
                    .collect::<Option<Vec<_>>>()?;
                Some(if sets.len() == 1 {
                    sets.into_iter().next()?
                } else {
                    and_all(sets, hint, self.live.len())
                })
            }
            _ => None,
        }
    }

    fn op(
        &self,
        a: &'a AttrIndex,
        node: &Node,
        op: &Op,
        hint: Option<&RoaringBitmap>,
    ) -> Option<Set<'a>> {
        let set = self.shape(a, node, op, hint)?;
        // Each shape takes a missing value to fail (`In`) or to pass (`Out`);
        // where GrowthBook says otherwise, the general path answers.
        let missing = passes_missing(&with_test(node, FieldTest::Ops(vec![op.clone()])));
        (missing == matches!(set, Set::Out(_))).then_some(set)
    }

    fn shape(
        &self,
        a: &'a AttrIndex,
        node: &Node,
        op: &Op,
        hint: Option<&RoaringBitmap>,
    ) -> Option<Set<'a>> {
        let strings = a.all_strings();
        let arrays = a.all_string_arrays();
        match op {
            Op::Exists(true) => Some(Set::In(Bits::Map(Cow::Borrowed(&a.present)))),
            Op::Exists(false) => Some(Set::Out(Bits::Map(Cow::Borrowed(&a.present)))),
            // `$in`: a string passes when it is in the set, an array when an
            // element is; `$nin` is the negation, so a missing value passes.
            Op::In(set) if only_strings(set) && (strings || arrays) => {
                Some(Set::In(one_of(a, set.strings(), strings)))
            }
            Op::Nin(set) if only_strings(set) && (strings || arrays) => {
                Some(Set::Out(one_of(a, set.strings(), strings)))
            }
            Op::Eq(Prim::Str(s)) if strings => Some(Set::In(text(a, s))),
            Op::Ne(Prim::Str(s)) if strings => Some(Set::Out(text(a, s))),
            // `$all` of plain strings on arrays: every one is an element.
            Op::All(tests) if arrays && !tests.is_empty() => {
                let sets = tests
                    .iter()
                    .map(|t| match t {
                        FieldTest::Str(s) => Some(Set::In(element(a, s))),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()?;
                Some(and_all(sets, hint, self.live.len()))
            }
            // `$elemMatch` with `$in` or `$eq` on the elements.
            Op::ElemMatch(ElemMatch::Value(t)) if arrays => match t.as_ref() {
                FieldTest::Ops(inner) => match inner.as_slice() {
                    [Op::In(set)] if only_strings(set) => {
                        Some(Set::In(one_of(a, set.strings(), false)))
                    }
                    [Op::Eq(Prim::Str(s))] => Some(Set::In(element(a, s))),
                    _ => None,
                },
                _ => None,
            },
            Op::Cmp(rel, rhs) => {
                let range = match rhs {
                    Prim::Num(_) if a.all_numbers() => &a.numbers,
                    Prim::Str(_) if a.all_strings() && a.texts.ascii() => &a.texts,
                    _ => return None,
                };
                Some(compare(a, range, node, op, *rel))
            }
            _ => None,
        }
    }
}

/// A comparison over an ordered index: the values that pass form a prefix
/// (`$lt`, `$lte`) or a suffix (`$gt`, `$gte`) of the order, found by
/// evaluating the operator itself on the values at a binary search's probes.
fn compare<'a>(a: &'a AttrIndex, range: &'a RangeIndex, node: &Node, op: &Op, rel: Rel) -> Set<'a> {
    let test = FieldTest::Ops(vec![op.clone()]);
    let passes = |rank: usize| test.try_eval(range.value(rank)).unwrap_or(false);
    let below = matches!(rel, Rel::Lt | Rel::Lte);
    // The first rank where the answer changes.
    let cut = partition(range.distinct(), |r| passes(r) == below);
    let (inside, outside) = if below {
        (range.prefix(cut, &a.present), range.suffix(cut, &a.present))
    } else {
        (range.suffix(cut, &a.present), range.prefix(cut, &a.present))
    };
    if passes_missing(&with_test(node, test.clone())) {
        // Missing values pass too: everyone but the holders outside.
        Set::Out(Bits::Span(outside))
    } else {
        Set::In(Bits::Span(inside))
    }
}

/// The first of `0..n` for which `pred` is false, `pred` being true on a prefix.
fn partition(n: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

fn with_test(node: &Node, test: FieldTest) -> Node {
    match node {
        Node::Field { path, .. } => Node::Field {
            path: path.clone(),
            test,
        },
        other => other.clone(),
    }
}

/// Whether the field test passes for a subject who holds no value. The whole
/// condition is evaluated on no attributes: JavaScript objects inherit some
/// names (`constructor`, ...), which do not read as null.
fn passes_missing(node: &Node) -> bool {
    Condition::from_node(node.clone()).eval(&Value::Object(Map::new()), &Map::new())
}

fn text<'a>(a: &'a AttrIndex, s: &str) -> Bits<'a> {
    a.texts
        .find_text(s)
        .map_or_else(empty, |b| Bits::Map(Cow::Borrowed(b)))
}

fn element<'a>(a: &'a AttrIndex, s: &str) -> Bits<'a> {
    a.elements
        .get(s)
        .map_or_else(empty, |b| Bits::Map(Cow::Borrowed(b)))
}

/// Subjects whose string is one of `strs` (disjoint: one string each), or
/// whose array holds one of them.
fn one_of<'a, 's>(
    a: &'a AttrIndex,
    strs: impl IntoIterator<Item = &'s String>,
    strings: bool,
) -> Bits<'a> {
    let parts = strs
        .into_iter()
        .filter_map(|s| {
            if strings {
                a.texts.find_text(s)
            } else {
                a.elements.get(s.as_str())
            }
        })
        .map(Cow::Borrowed)
        .collect();
    Bits::Union {
        parts,
        disjoint: strings,
    }
}

fn only_strings(set: &kerro_condition::ValueSet) -> bool {
    set.numbers().is_empty() && !set.has_null() && !set.has_bool(true) && !set.has_bool(false)
}
