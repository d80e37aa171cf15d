//! Evaluating a compiled condition on the audience index. Each node becomes
//! a [`Set`] of live subjects kept in whatever form is cheapest: borrowed from
//! the index, as a complement, as an unevaluated union or range span, and
//! restricted to the subjects still in question (a conjunction's running
//! intersection). A count ends in cardinality calls instead of building the
//! last set. Which bitmaps answer a field test is `audience_leaf`'s to say.

use kerro_condition::{FieldTest, Node};
use roaring::{MultiOps, RoaringBitmap};
use std::borrow::Cow;
use std::collections::HashMap;

use crate::audience::AttrIndex;
use crate::audience_leaf::{general, passes_missing, recognise, Leaf, Shape};
use crate::audience_range::Span;

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

/// The plain sets and the complements' bitmaps, apart.
fn split(sets: Vec<Set<'_>>) -> (Vec<Bits<'_>>, Vec<Bits<'_>>) {
    let (mut ins, mut outs) = (Vec::new(), Vec::new());
    for s in sets {
        match s {
            Set::In(b) => ins.push(b),
            Set::Out(b) => outs.push(b),
        }
    }
    (ins, outs)
}

/// The intersection of `sets`, restricted to `hint`: the smallest first,
/// then the rest in ascending order, complements last (as differences).
fn and_all<'a>(sets: Vec<Set<'a>>, hint: Option<&RoaringBitmap>) -> Set<'a> {
    let (ins, outs) = split(sets);
    match intersect(ins, hint) {
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

/// The intersection of plain sets, the smallest first and each next one
/// built only within what is left; `None` for no sets.
fn intersect<'a>(
    mut ins: Vec<Bits<'a>>,
    hint: Option<&RoaringBitmap>,
) -> Option<Cow<'a, RoaringBitmap>> {
    ins.sort_by_key(Bits::estimate);
    let mut acc: Option<Cow<'a, RoaringBitmap>> = None;
    for b in ins {
        acc = Some(match acc {
            None => {
                let hint = worth(hint, b.estimate());
                b.build(hint)
            }
            Some(a) if a.is_empty() => a,
            Some(a) => {
                let a = a.into_owned();
                match b.build(Some(&a)) {
                    Cow::Owned(b) => Cow::Owned(b),
                    Cow::Borrowed(b) => Cow::Owned(b & a),
                }
            }
        });
    }
    acc
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
fn or_all<'a>(sets: Vec<Set<'a>>, hint: Option<&RoaringBitmap>) -> Set<'a> {
    let (ins, outs) = split(sets);
    if outs.is_empty() {
        return Set::In(union_all(ins, hint));
    }
    // `live − (∩ outs − ∪ ins)`.
    let mut kept = intersect(outs, hint).unwrap_or_default();
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
        match node {
            Node::And(children) if children.is_empty() => Set::all(),
            Node::And(children) => self.and(children, hint, false).0,
            Node::Or(children) if children.is_empty() => Set::all(),
            Node::Or(children) => {
                or_all(children.iter().map(|c| self.set(c, hint)).collect(), hint)
            }
            Node::Nor(children) if children.is_empty() => Set::none(),
            Node::Nor(children) => {
                or_all(children.iter().map(|c| self.set(c, hint)).collect(), hint).not()
            }
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
        let mut acc = and_all(sets, hint);
        for c in nested {
            let s = match &acc {
                Set::In(Bits::Map(m)) => self.set(c, Some(m)),
                _ => self.set(c, hint),
            };
            acc = and_all(vec![acc, s], hint);
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
        let leaves = recognise(a, node, test).unwrap_or_else(|| vec![general(a, attr, node)]);
        let mut sets: Vec<Set<'a>> = leaves.into_iter().map(|l| leaf_set(l, hint)).collect();
        if sets.len() == 1 {
            return sets.pop().unwrap_or_else(Set::all);
        }
        and_all(sets, hint)
    }
}

/// A leaf as a lazy set.
fn leaf_set<'a>(leaf: Leaf<'a>, hint: Option<&RoaringBitmap>) -> Set<'a> {
    let set = match leaf.shape {
        Shape::Any {
            mut parts,
            disjoint,
        } => Set::In(match parts.len() {
            0 => empty(),
            1 => Bits::Map(Cow::Borrowed(parts.remove(0).bits)),
            _ => Bits::Union {
                parts: parts.into_iter().map(|p| Cow::Borrowed(p.bits)).collect(),
                disjoint,
            },
        }),
        Shape::All(parts) => and_all(
            parts
                .into_iter()
                .map(|p| Set::In(Bits::Map(Cow::Borrowed(p.bits))))
                .collect(),
            hint,
        ),
        Shape::Built(b) => Set::In(Bits::Map(Cow::Owned(b))),
        Shape::Span(span, ..) => Set::In(Bits::Span(span)),
    };
    if leaf.out {
        set.not()
    } else {
        set
    }
}
