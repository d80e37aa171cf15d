//! Which bitmaps of the audience index answer one field test: the frequent
//! shapes (`$in`, `$all`, `$eq`, `$exists`, comparisons, ...) recognised once
//! as a [`Leaf`], and anything else evaluated once per distinct stored value.
//! Both evaluators read leaves: lazy roaring sets (`audience_plan`) and flat
//! words (`audience_dense`). Each leaf names the place of its bitmaps
//! ([`Part`]), so that a flat copy of them can be kept.

use kerro_condition::{Condition, ElemMatch, FieldTest, Node, Op, Prim, Rel};
use roaring::RoaringBitmap;
use serde_json::{Map, Value};

use crate::audience::AttrIndex;
use crate::audience_range::{Base, Key, RangeIndex, Span};

/// The place of one bitmap within an attribute's index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Part {
    Present,
    Text(Box<str>),
    Element(Box<str>),
    /// The holders of one number or string.
    Value {
        numbers: bool,
        key: Key,
    },
    /// A range index's cumulative bin `j`, as drawn in `generation`.
    Bin {
        numbers: bool,
        generation: u64,
        j: usize,
    },
}

/// A bitmap of the index, and where it lives (`None`: a distinct value's
/// holders, which are left as they are).
#[derive(Debug, Clone)]
pub(crate) struct Src<'a> {
    pub(crate) bits: &'a RoaringBitmap,
    pub(crate) part: Option<Part>,
}

#[derive(Debug, Clone)]
pub(crate) enum Shape<'a> {
    /// Subjects in any of these; `disjoint` when none is in two.
    Any { parts: Vec<Src<'a>>, disjoint: bool },
    /// Subjects in every one of these.
    All(Vec<Src<'a>>),
    /// Exactly these subjects (the general path's answer).
    Built(RoaringBitmap),
    /// A comparison's holders: `(plus − minus) ± exact`.
    Span(Span<'a>, Option<Src<'a>>, Option<Src<'a>>),
}

/// The subjects a field test passes: the shape's, or, with `out`, every live
/// subject but those.
#[derive(Debug, Clone)]
pub(crate) struct Leaf<'a> {
    pub(crate) shape: Shape<'a>,
    pub(crate) out: bool,
}

impl<'a> Leaf<'a> {
    fn any(parts: Vec<Src<'a>>, disjoint: bool, out: bool) -> Leaf<'a> {
        Leaf {
            shape: Shape::Any { parts, disjoint },
            out,
        }
    }
}

/// The leaves whose intersection the field test `node` passes, or `None`
/// where only the general path is exact.
///
/// Each shape is written to agree with GrowthBook on the values held: string
/// tests where every value held is a string, array tests where every value
/// is an array of strings, comparisons where every value is a number (or
/// every value an ASCII string, against a string).
pub(crate) fn recognise<'a>(
    a: &'a AttrIndex,
    node: &Node,
    test: &FieldTest,
) -> Option<Vec<Leaf<'a>>> {
    match test {
        // `actual + "" === s` on a string.
        FieldTest::Str(s) if a.all_strings() && !passes_missing(node) => Some(vec![Leaf::any(
            text(a, s).into_iter().collect(),
            true,
            false,
        )]),
        FieldTest::Ops(ops) if !ops.is_empty() => ops
            .iter()
            .map(|op| {
                let leaf = shape(a, node, op)?;
                // Each shape takes a missing value to fail (in) or to pass
                // (out); where GrowthBook says otherwise, the general path answers.
                let missing = passes_missing(&with_test(node, FieldTest::Ops(vec![op.clone()])));
                (missing == leaf.out).then_some(leaf)
            })
            .collect(),
        _ => None,
    }
}

fn shape<'a>(a: &'a AttrIndex, node: &Node, op: &Op) -> Option<Leaf<'a>> {
    let strings = a.all_strings();
    let arrays = a.all_string_arrays();
    let present = || Src {
        bits: &a.present,
        part: Some(Part::Present),
    };
    match op {
        Op::Exists(b) => Some(Leaf::any(vec![present()], true, !b)),
        // `$in`: a string passes when it is in the set, an array when an
        // element is; `$nin` is the negation, so a missing value passes.
        Op::In(set) if only_strings(set) && (strings || arrays) => {
            Some(Leaf::any(one_of(a, set.strings(), strings), strings, false))
        }
        Op::Nin(set) if only_strings(set) && (strings || arrays) => {
            Some(Leaf::any(one_of(a, set.strings(), strings), strings, true))
        }
        Op::Eq(Prim::Str(s)) if strings => {
            Some(Leaf::any(text(a, s).into_iter().collect(), true, false))
        }
        Op::Ne(Prim::Str(s)) if strings => {
            Some(Leaf::any(text(a, s).into_iter().collect(), true, true))
        }
        // `$all` of plain strings on arrays: every one is an element; an
        // element nobody holds leaves nobody.
        Op::All(tests) if arrays && !tests.is_empty() => {
            let mut parts = Vec::new();
            for t in tests {
                let FieldTest::Str(s) = t else { return None };
                match element(a, s) {
                    Some(src) => parts.push(src),
                    None => return Some(Leaf::any(vec![], true, false)),
                }
            }
            Some(Leaf {
                shape: Shape::All(parts),
                out: false,
            })
        }
        // `$elemMatch` with `$in` or `$eq` on the elements.
        Op::ElemMatch(ElemMatch::Value(t)) if arrays => match t.as_ref() {
            FieldTest::Ops(inner) => match inner.as_slice() {
                [Op::In(set)] if only_strings(set) => {
                    Some(Leaf::any(one_of(a, set.strings(), false), false, false))
                }
                [Op::Eq(Prim::Str(s))] => {
                    Some(Leaf::any(element(a, s).into_iter().collect(), true, false))
                }
                _ => None,
            },
            _ => None,
        },
        Op::Cmp(rel, rhs) => {
            let (range, numbers) = match rhs {
                Prim::Num(_) if a.all_numbers() => (&a.numbers, true),
                Prim::Str(_) if a.all_strings() && a.texts.ascii() => (&a.texts, false),
                _ => return None,
            };
            Some(compare(a, range, numbers, node, op, *rel))
        }
        _ => None,
    }
}

/// A comparison over an ordered index: the values that pass form a prefix
/// (`$lt`, `$lte`) or a suffix (`$gt`, `$gte`) of the order, found by
/// evaluating the operator itself on the values at a binary search's probes.
fn compare<'a>(
    a: &'a AttrIndex,
    range: &'a RangeIndex,
    numbers: bool,
    node: &Node,
    op: &Op,
    rel: Rel,
) -> Leaf<'a> {
    let test = FieldTest::Ops(vec![op.clone()]);
    let passes = |rank: usize| test.try_eval(range.value(rank)).unwrap_or(false);
    let below = matches!(rel, Rel::Lt | Rel::Lte);
    // The first rank where the answer changes.
    let cut = partition(range.distinct(), |r| passes(r) == below);
    let missing = passes_missing(&with_test(node, test.clone()));
    // With missing values passing too: everyone but the holders outside.
    let span = if below != missing {
        range.prefix(cut, &a.present)
    } else {
        range.suffix(cut, &a.present)
    };
    let src = |base: Base, bits: &'a RoaringBitmap| Src {
        bits,
        part: Some(match base {
            Base::Present => Part::Present,
            Base::Bin(j) => Part::Bin {
                numbers,
                generation: range.generation(),
                j,
            },
        }),
    };
    let plus = span.plus.map(|(bits, base)| src(base, bits));
    let minus = span.minus.map(|(bits, base)| src(base, bits));
    Leaf {
        shape: Shape::Span(span, plus, minus),
        out: missing,
    }
}

/// The general path: GrowthBook's own evaluation, once per distinct value,
/// and the holders of the passing values united; where a missing value
/// passes, the leaf is the complement of those who fail.
pub(crate) fn general<'a>(a: &'a AttrIndex, attr: &str, node: &Node) -> Leaf<'a> {
    let single = Condition::from_node(node.clone());
    let groups = Map::new();
    let missing = passes_missing(node);
    let counts = |value: &Value| {
        let mut probe = Map::with_capacity(1);
        probe.insert(attr.to_owned(), value.clone());
        single.eval(&Value::Object(probe), &groups) != missing
    };
    let mut built = a.arrays.holders_where(counts);
    for (value, holders) in a.values() {
        if counts(value) {
            built |= holders;
        }
    }
    Leaf {
        shape: Shape::Built(built),
        out: missing,
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
pub(crate) fn passes_missing(node: &Node) -> bool {
    Condition::from_node(node.clone()).eval(&Value::Object(Map::new()), &Map::new())
}

fn text<'a>(a: &'a AttrIndex, s: &str) -> Option<Src<'a>> {
    a.texts.find_text(s).map(|bits| Src {
        bits,
        part: Some(Part::Text(s.into())),
    })
}

fn element<'a>(a: &'a AttrIndex, s: &str) -> Option<Src<'a>> {
    a.elements.get(s).map(|bits| Src {
        bits,
        part: Some(Part::Element(s.into())),
    })
}

/// The bitmaps of the strings `strs`, or of the arrays holding one of them.
fn one_of<'a, 's>(
    a: &'a AttrIndex,
    strs: impl IntoIterator<Item = &'s String>,
    strings: bool,
) -> Vec<Src<'a>> {
    strs.into_iter()
        .filter_map(|s| if strings { text(a, s) } else { element(a, s) })
        .collect()
}

fn only_strings(set: &kerro_condition::ValueSet) -> bool {
    set.numbers().is_empty() && !set.has_null() && !set.has_bool(true) && !set.has_bool(false)
}
