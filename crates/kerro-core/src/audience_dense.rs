//! Counting and listing an audience over flat words. The index keeps a flat
//! copy (one bit per slot) of each dense bitmap a query has read, kept exact
//! by every change; a condition becomes a [`Prog`] of word-wide AND, OR and
//! NOT, evaluated 65,536 slots at a time in a buffer that stays in the L1
//! cache and ended by a popcount against the reachable set. No intermediate
//! set is built, so the cost is a pass over the words each leaf reads
//! (bitmaps too sparse for a flat copy are scattered into the buffer).

use kerro_condition::{FieldTest, Node};
use roaring::RoaringBitmap;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::audience::AttrIndex;
use crate::audience_leaf::{general, passes_missing, recognise, Leaf, Part, Shape, Src};
use crate::audience_range::Key;

/// Words per block: 65,536 slots, 8 KiB.
const BLOCK: usize = 1024;

/// Flat copies kept at once (an eighth of a byte per slot each, so at most
/// 32 bytes per subject); more are dropped and made again when read.
const MIRRORS_KEPT: usize = 256;

/// Which bitmap a flat copy is of.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct MirrorKey {
    attr: String,
    part: Part,
}

/// Flat copies of the index's bitmaps, by place.
#[derive(Debug, Default)]
pub(crate) struct Mirrors {
    flat: HashMap<MirrorKey, Arc<Vec<u64>>>,
}

/// A bitmap as words: bit `s % 64` of word `s / 64` is slot `s`.
pub(crate) fn flat_of(b: &RoaringBitmap) -> Vec<u64> {
    let mut w = vec![0u64; b.max().map_or(0, |m| m as usize / 64 + 1)];
    for s in b {
        w[s as usize / 64] |= 1 << (s % 64);
    }
    w
}

/// Sets or clears the bit of `slot`, growing the words as needed.
pub(crate) fn set_bit(w: &mut Arc<Vec<u64>>, slot: u32, on: bool) {
    let (i, bit) = (slot as usize / 64, 1u64 << (slot % 64));
    let now = w.get(i).is_some_and(|x| x & bit != 0);
    if now == on {
        return;
    }
    let w = Arc::make_mut(w);
    if i >= w.len() {
        w.resize(i + 1, 0);
    }
    if on {
        w[i] |= bit;
    } else {
        w[i] &= !bit;
    }
}

/// The bitmap at `part` of `a`: `None` where it no longer exists (a bin of an
/// earlier drawing), `Some(None)` where it is empty now.
fn resolve<'a>(a: &'a AttrIndex, part: &Part) -> Option<Option<&'a RoaringBitmap>> {
    Some(match part {
        Part::Present => Some(&a.present),
        Part::Text(s) => a.texts.find_text(s),
        Part::Element(s) => a.elements.get(s),
        Part::Value { numbers, key } => if *numbers { &a.numbers } else { &a.texts }.find(key),
        Part::Bin {
            numbers,
            generation,
            j,
        } => {
            let range = if *numbers { &a.numbers } else { &a.texts };
            Some(range.bin(*generation, *j)?)
        }
    })
}

impl Mirrors {
    /// Bytes the flat copies take.
    pub(crate) fn bytes(&self) -> u64 {
        self.flat.values().map(|w| (w.len() * 8) as u64).sum()
    }

    /// Brings every flat copy in line with the index for `slot`, after a change.
    pub(crate) fn refresh(&mut self, attrs: &HashMap<String, AttrIndex>, slot: u32) {
        self.flat.retain(|k, w| {
            let now = match attrs.get(&k.attr).map(|a| resolve(a, &k.part)) {
                Some(None) => return false,
                Some(Some(b)) => b.is_some_and(|b| b.contains(slot)),
                None => false,
            };
            set_bit(w, slot, now);
            true
        });
    }
}

/// A condition as word operations.
pub(crate) enum Prog<'a> {
    Words(Arc<Vec<u64>>),
    Sparse(&'a RoaringBitmap),
    Built(RoaringBitmap),
    And(Vec<Prog<'a>>),
    Or(Vec<Prog<'a>>),
    Not(Box<Prog<'a>>),
    Const(bool),
}

/// Turns conditions into programs over the index's words.
pub(crate) struct Compiler<'a> {
    pub(crate) attrs: &'a HashMap<String, AttrIndex>,
    pub(crate) mirrors: &'a Mutex<Mirrors>,
    /// One past the highest slot.
    pub(crate) slots: u64,
}

impl<'a> Compiler<'a> {
    pub(crate) fn node(&self, node: &Node) -> Prog<'a> {
        match node {
            Node::And(c) => Prog::And(c.iter().map(|n| self.node(n)).collect()),
            Node::Or(c) if c.is_empty() => Prog::Const(true),
            Node::Or(c) => Prog::Or(c.iter().map(|n| self.node(n)).collect()),
            Node::Nor(c) if c.is_empty() => Prog::Const(false),
            Node::Nor(c) => Prog::Not(Box::new(Prog::Or(c.iter().map(|n| self.node(n)).collect()))),
            Node::Not(c) => Prog::Not(Box::new(self.node(c))),
            Node::Field { path, test } => self.field(node, path.as_str(), test),
            Node::Const(b) => Prog::Const(*b),
            Node::Throw | Node::SavedGroup { .. } => Prog::Const(false),
        }
    }

    fn field(&self, node: &Node, attr: &str, test: &FieldTest) -> Prog<'a> {
        let Some(a) = self.attrs.get(attr) else {
            return Prog::Const(passes_missing(node));
        };
        let leaves = recognise(a, node, test).unwrap_or_else(|| vec![general(a, attr, node)]);
        let mut progs: Vec<Prog<'a>> = leaves.into_iter().map(|l| self.leaf(attr, l)).collect();
        if progs.len() == 1 {
            progs.pop().unwrap_or(Prog::Const(true))
        } else {
            Prog::And(progs)
        }
    }

    fn leaf(&self, attr: &str, leaf: Leaf<'a>) -> Prog<'a> {
        let p = match leaf.shape {
            Shape::Any { parts, .. } => {
                Prog::Or(parts.into_iter().map(|s| self.src(attr, s)).collect())
            }
            Shape::All(parts) => Prog::And(parts.into_iter().map(|s| self.src(attr, s)).collect()),
            // Dense answers are turned into words once; sparse ones scattered.
            Shape::Built(b) if b.len() * 64 >= self.slots => Prog::Words(Arc::new(flat_of(&b))),
            Shape::Built(b) => Prog::Built(b),
            Shape::Span(span, plus, minus) => {
                let base = match (plus, minus) {
                    (None, _) => Prog::Const(false),
                    (Some(p), None) => self.src(attr, p),
                    (Some(p), Some(m)) => Prog::And(vec![
                        self.src(attr, p),
                        Prog::Not(Box::new(self.src(attr, m))),
                    ]),
                };
                let numbers = matches!(span.exact.first(), Some((_, Key::Num(_))));
                let exact = Prog::Or(
                    span.exact
                        .iter()
                        .map(|(bits, key)| {
                            let part = Part::Value {
                                numbers,
                                key: (*key).clone(),
                            };
                            self.src(
                                attr,
                                Src {
                                    bits,
                                    part: Some(part),
                                },
                            )
                        })
                        .collect(),
                );
                if span.add {
                    Prog::Or(vec![base, exact])
                } else {
                    Prog::And(vec![base, Prog::Not(Box::new(exact))])
                }
            }
        };
        if leaf.out {
            Prog::Not(Box::new(p))
        } else {
            p
        }
    }

    /// A bitmap as words where it holds at least one slot in 1,024: setting
    /// its bits one by one (a few nanoseconds each) then costs more than a
    /// pass over its words (a fraction of a nanosecond per 64 slots).
    /// Sparser ones are scattered as they are.
    fn src(&self, attr: &str, s: Src<'a>) -> Prog<'a> {
        let Some(part) = s.part.filter(|_| s.bits.len() * 1024 >= self.slots) else {
            return Prog::Sparse(s.bits);
        };
        let Ok(mut m) = self.mirrors.lock() else {
            return Prog::Sparse(s.bits);
        };
        let key = MirrorKey {
            attr: attr.to_owned(),
            part,
        };
        if let Some(w) = m.flat.get(&key) {
            return Prog::Words(w.clone());
        }
        if m.flat.len() >= MIRRORS_KEPT {
            m.flat.clear();
        }
        let w = Arc::new(flat_of(s.bits));
        m.flat.insert(key, w.clone());
        Prog::Words(w)
    }
}

type Block = Box<[u64; BLOCK]>;

fn block() -> Block {
    Box::new([0; BLOCK])
}

/// The words of block `b` of `w`, zero past its end, into `out`.
fn load(out: &mut [u64; BLOCK], w: &[u64], b: usize) {
    let from = (b * BLOCK).min(w.len());
    let src = &w[from..(from + BLOCK).min(w.len())];
    out[..src.len()].copy_from_slice(src);
    out[src.len()..].fill(0);
}

fn words(w: &[u64], b: usize) -> &[u64] {
    let from = (b * BLOCK).min(w.len());
    &w[from..(from + BLOCK).min(w.len())]
}

/// Evaluates `p` on block `b` into `out`; `spare` lends buffers.
fn eval(p: &Prog<'_>, b: usize, out: &mut [u64; BLOCK], spare: &mut Vec<Block>) {
    match p {
        Prog::Words(w) => load(out, w, b),
        Prog::Sparse(bits) => scatter(bits, b, out),
        Prog::Built(bits) => scatter(bits, b, out),
        Prog::Const(v) => out.fill(if *v { !0 } else { 0 }),
        Prog::Not(c) => {
            eval(c, b, out, spare);
            kernels::not(&mut out[..]);
        }
        Prog::And(cs) => combine(cs, b, out, spare, true),
        Prog::Or(cs) => combine(cs, b, out, spare, false),
    }
}

/// The slots of `bits` in block `b`, as words into `out`.
fn scatter(bits: &RoaringBitmap, b: usize, out: &mut [u64; BLOCK]) {
    out.fill(0);
    let lo = (b * BLOCK * 64) as u64;
    let hi = (lo + (BLOCK * 64) as u64).min(1 << 32);
    for s in bits.range(lo as u32..=(hi - 1) as u32) {
        let i = (s as u64 - lo) as usize;
        out[i / 64] |= 1 << (i % 64);
    }
}

fn combine(cs: &[Prog<'_>], b: usize, out: &mut [u64; BLOCK], spare: &mut Vec<Block>, and: bool) {
    let Some((first, rest)) = cs.split_first() else {
        out.fill(if and { !0 } else { 0 });
        return;
    };
    eval(first, b, out, spare);
    for c in rest {
        // Words and their negation apply in place; anything else through a buffer.
        match (c, and) {
            (Prog::Words(w), true) => and_in(out, words(w, b), false),
            (Prog::Words(w), false) => or_in(out, words(w, b)),
            (Prog::Not(n), true) => match &**n {
                Prog::Words(w) => and_in(out, words(w, b), true),
                _ => through_buffer(c, b, out, spare, and),
            },
            _ => through_buffer(c, b, out, spare, and),
        }
    }
}

/// `out &= c` or `out |= c`, with `c` evaluated into a spare buffer.
fn through_buffer(
    c: &Prog<'_>,
    b: usize,
    out: &mut [u64; BLOCK],
    spare: &mut Vec<Block>,
    and: bool,
) {
    let mut t = spare.pop().unwrap_or_else(block);
    eval(c, b, &mut t, spare);
    if and {
        and_in(out, &t[..], false)
    } else {
        or_in(out, &t[..])
    }
    spare.push(t);
}

/// `out &= w` (or `&= !w`), words past `w`'s end being zero.
fn and_in(out: &mut [u64; BLOCK], w: &[u64], negate: bool) {
    let (head, tail) = out.split_at_mut(w.len());
    if negate {
        kernels::and_not(head, w);
    } else {
        kernels::and(head, w);
        tail.fill(0);
    }
}

fn or_in(out: &mut [u64; BLOCK], w: &[u64]) {
    let n = w.len();
    kernels::or(&mut out[..n], w);
}

/// The word loops, compiled twice: for AVX2 with POPCNT where the processor
/// has them (checked once, at run time) and for the baseline x86-64 (or any
/// other target). Both are the same safe code; only the instructions differ.
mod kernels {
    macro_rules! kernels {
        ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty $body:block)*) => {
            mod wide {
                $(
                    #[cfg(target_arch = "x86_64")]
                    #[target_feature(enable = "avx2,popcnt")]
                    pub(super) fn $name($($arg: $ty),*) -> $ret $body
                )*
            }
            mod plain {
                $( pub(super) fn $name($($arg: $ty),*) -> $ret $body )*
            }
            $(
                pub(super) fn $name($($arg: $ty),*) -> $ret {
                    #[cfg(target_arch = "x86_64")]
                    if std::arch::is_x86_feature_detected!("avx2")
                        && std::arch::is_x86_feature_detected!("popcnt")
                    {
                        // SAFETY: the processor has the features the function was compiled for.
                        return unsafe { wide::$name($($arg),*) };
                    }
                    plain::$name($($arg),*)
                }
            )*
        };
    }

    kernels! {
        and(out: &mut [u64], w: &[u64]) -> () {
            out.iter_mut().zip(w).for_each(|(o, x)| *o &= x);
        }
        and_not(out: &mut [u64], w: &[u64]) -> () {
            out.iter_mut().zip(w).for_each(|(o, x)| *o &= !x);
        }
        or(out: &mut [u64], w: &[u64]) -> () {
            out.iter_mut().zip(w).for_each(|(o, x)| *o |= x);
        }
        not(out: &mut [u64]) -> () {
            out.iter_mut().for_each(|o| *o = !*o);
        }
        count_and(out: &[u64], w: &[u64]) -> u64 {
            out.iter().zip(w).map(|(o, x)| u64::from((o & x).count_ones())).sum()
        }
    }
}

/// `|reach ∩ p|`.
pub(crate) fn count(p: &Prog<'_>, reach: &[u64]) -> u64 {
    let (mut out, mut spare) = (block(), Vec::new());
    let mut total = 0;
    for b in 0..reach.len().div_ceil(BLOCK) {
        let r = words(reach, b);
        eval(p, b, &mut out, &mut spare);
        total += kernels::count_and(&out[..], r);
    }
    total
}

/// Calls `f` with the slots of `reach ∩ p`, in order and in batches (a
/// block's at a time), building no set.
pub(crate) fn each(p: &Prog<'_>, reach: &[u64], mut f: impl FnMut(&[u32])) {
    let (mut out, mut spare) = (block(), Vec::new());
    // A block's slots, with room for the writes past the last one below.
    let mut slots = vec![0u32; BLOCK * 64 + 4];
    for b in 0..reach.len().div_ceil(BLOCK) {
        let r = words(reach, b);
        eval(p, b, &mut out, &mut spare);
        let mut len = 0;
        for (i, (o, r)) in out.iter().zip(r).enumerate() {
            // Four positions are written whatever the word holds, so that a
            // sparse audience costs no mispredicted branch per word.
            let (mut w, base) = (o & r, ((b * BLOCK + i) * 64) as u32);
            let n = w.count_ones() as usize;
            for k in 0..4 {
                slots[len + k] = base.wrapping_add(w.trailing_zeros());
                w &= w.wrapping_sub(1);
            }
            for k in 4..n {
                slots[len + k] = base + w.trailing_zeros();
                w &= w - 1;
            }
            len += n;
        }
        if len > 0 {
            f(&slots[..len]);
        }
    }
}

/// `reach ∩ p`.
pub(crate) fn matching(p: &Prog<'_>, reach: &[u64]) -> RoaringBitmap {
    let (mut out, mut spare) = (block(), Vec::new());
    let mut result = RoaringBitmap::new();
    let mut bytes = Vec::with_capacity(BLOCK * 8);
    for b in 0..reach.len().div_ceil(BLOCK) {
        let r = words(reach, b);
        eval(p, b, &mut out, &mut spare);
        bytes.clear();
        for (o, r) in out.iter().zip(r) {
            bytes.extend_from_slice(&(o & r).to_le_bytes());
        }
        result |= RoaringBitmap::from_lsb0_bytes((b * BLOCK * 64) as u32, &bytes);
    }
    result
}
