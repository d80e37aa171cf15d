//! The backtracking guard. regress, like V8, is a backtracking matcher without
//! a step limit: `(a+)+$` takes seconds on thirty characters, `.*.*.*x`
//! seconds on four hundred. This module bounds, from the shape of a pattern
//! that regress has already accepted, the work one `test` can cost on a subject
//! of `n` UTF-16 code units, and finds the longest subject whose bound stays
//! within [`BUDGET`]. Longer subjects fail the operator without running.
//!
//! It is not a regex parser: it never decides what matches (regress does),
//! only how many paths a backtracking search can walk. It reads groups,
//! alternations, quantifiers, escapes and classes well enough to
//! over-estimate: where unsure it assumes more paths and narrower items.
//!
//! The bound, per start position, for an item `x` (a character, class, group,
//! …): `cost(x)` = steps to explore every way through `x`, `ways(x)` = how many
//! ways lead out of it (each one makes the rest of the pattern be explored
//! again), `width(x)` = the fewest units it consumes. Then
//! - a sequence `x y`: cost = cost(x) + ways(x)·cost(y), ways = ways(x)·ways(y);
//! - an alternation `x|y`: cost and ways add up;
//! - a quantifier `x{min,max}`: at most `A` iterations are attempted along a
//!   path, where `A` is bounded by the subject (after `min`, an iteration that
//!   consumes nothing fails, so each consumes at least one unit, and at least
//!   `width(x)`); cost = cost(x)·Σ_{j<A} ways(x)^j, ways = Σ_{min≤j≤A} ways(x)^j.
//!   Nested quantifiers make `ways(x)` grow with `n`, hence the exponential;
//! - a lookaround runs to completion but leaves one way out (it is atomic);
//! - a backreference compares up to `n` units.
//!
//! One refinement keeps unambiguous patterns such as `^([\w-]+\.)+com$` or
//! `^(\d+\.)*\d+$` out of the exponential case: when a loop over one
//! character set (`[\w-]+`) is followed by an item whose first character
//! cannot be in that set (`\.`), only one of the loop's iteration counts can
//! lead on, so the pair has the ways of the second item alone; every other
//! count costs one failed first step of it. Character sets are over-estimated
//! (ASCII exactly, all other characters as one), which can only miss this
//! refinement, never apply it wrongly.
//!
//! The whole test tries every start position unless every alternative starts
//! with `^` (no `m` flag is ever used).

mod syntax;

use syntax::{class, escape, group_opening, quantifier, u, Escape};

/// The most work one regex test may cost, in matcher steps (about a
/// nanosecond each in a release build of regress): about 0.1 s at worst.
pub(crate) const BUDGET: f64 = 1e8;

/// Subject lengths are searched up to this many UTF-16 code units.
const MAX_UNITS: usize = 1 << 31;

/// The longest subject (in UTF-16 code units) on which the bound stays within
/// [`BUDGET`], or `None` if not even the empty subject is within it.
pub(crate) fn max_subject_units(pattern: &[u16], ignore_case: bool) -> Option<usize> {
    let within = |n: usize| work(pattern, n, ignore_case) <= BUDGET;
    if !within(0) {
        return None;
    }
    // Exponential search for an upper end, then bisection; `work` grows with n.
    let mut lo = 0; // within the budget
    let mut hi = 1;
    while hi < MAX_UNITS && within(hi) {
        lo = hi;
        hi *= 2;
    }
    if hi >= MAX_UNITS && within(MAX_UNITS) {
        return Some(MAX_UNITS);
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if within(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(lo)
}

/// A set of UTF-16 code units, over-estimated: ASCII exactly, every other unit
/// as one flag.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Chars {
    ascii: u128,
    other: bool,
}

impl Chars {
    const NONE: Chars = Chars {
        ascii: 0,
        other: false,
    };
    const ALL: Chars = Chars {
        ascii: u128::MAX,
        other: true,
    };

    fn unit(c: u16) -> Chars {
        Chars::range(c, c)
    }

    fn range(lo: u16, hi: u16) -> Chars {
        if lo > hi {
            return Chars::ALL;
        }
        let mut ascii = 0u128;
        for c in lo..=hi.min(127) {
            ascii |= 1 << c;
        }
        Chars {
            ascii,
            other: hi >= 128,
        }
    }

    fn ascii_ranges(ranges: &[(u8, u8)]) -> Chars {
        ranges.iter().fold(Chars::NONE, |acc, &(lo, hi)| {
            acc.union(Chars::range(u16::from(lo), u16::from(hi)))
        })
    }

    fn union(self, o: Chars) -> Chars {
        Chars {
            ascii: self.ascii | o.ascii,
            other: self.other || o.other,
        }
    }

    fn negate(self) -> Chars {
        Chars {
            ascii: !self.ascii,
            other: true,
        }
    }

    fn disjoint(self, o: Chars) -> bool {
        self.ascii & o.ascii == 0 && !(self.other && o.other)
    }

    /// Under `i`: ASCII letters gain their other case, and since regress may
    /// fold some non-ASCII characters (ſ, K, ı) to ASCII letters, letters and
    /// non-ASCII characters each bring the other in.
    fn ignore_case(self, on: bool) -> Chars {
        if !on {
            return self;
        }
        let upper = Chars::ascii_ranges(&[(b'A', b'Z')]).ascii;
        let lower = Chars::ascii_ranges(&[(b'a', b'z')]).ascii;
        let mut ascii = self.ascii | ((self.ascii & upper) << 32) | ((self.ascii & lower) >> 32);
        let letters = ascii & (upper | lower) != 0;
        if self.other {
            ascii |= upper | lower;
        }
        Chars {
            ascii,
            other: self.other || letters,
        }
    }

    fn digits() -> Chars {
        Chars::ascii_ranges(&[(b'0', b'9')])
    }

    fn word() -> Chars {
        Chars::ascii_ranges(&[(b'0', b'9'), (b'A', b'Z'), (b'_', b'_'), (b'a', b'z')])
    }

    fn space() -> Chars {
        Chars {
            other: true,
            ..Chars::ascii_ranges(&[(9, 13), (b' ', b' ')])
        }
    }
}

/// What one part of the pattern costs on a subject of `n` units.
#[derive(Clone, Copy, Debug)]
struct Item {
    /// Steps to explore every way through it.
    cost: f64,
    /// How many ways lead out of it.
    ways: f64,
    /// The fewest units it consumes.
    width: f64,
    /// The units it may consume first (all, when it may consume none).
    first: Chars,
    /// Steps to fail when the next unit is not in `first`.
    fail_cost: f64,
    /// For a character, class or escape that consumes one unit: its set.
    single: Option<Chars>,
    /// For a repetition of such a one-unit item: the set repeated.
    loop_over: Option<Chars>,
}

impl Item {
    fn one_unit(chars: Chars) -> Item {
        Item {
            cost: 1.0,
            ways: 1.0,
            width: 1.0,
            first: chars,
            fail_cost: 1.0,
            single: Some(chars),
            loop_over: None,
        }
    }

    fn zero_width(cost: f64) -> Item {
        Item {
            cost,
            ways: 1.0,
            width: 0.0,
            first: Chars::ALL,
            fail_cost: cost,
            single: None,
            loop_over: None,
        }
    }
}

/// One alternative being read: the sequence so far.
#[derive(Clone, Copy)]
struct Seq {
    cost: f64,
    ways: f64,
    width: f64,
    /// The first item's `first` and `fail_cost` (`None`: no item yet).
    first: Option<(Chars, f64)>,
    /// Whether the first item is `^` (`None`: no item yet).
    starts_with_caret: Option<bool>,
}

impl Seq {
    const EMPTY: Seq = Seq {
        cost: 0.0,
        ways: 1.0,
        width: 0.0,
        first: None,
        starts_with_caret: None,
    };

    fn push(&mut self, x: Item, caret: bool) {
        self.starts_with_caret.get_or_insert(caret);
        let first = if x.width >= 1.0 { x.first } else { Chars::ALL };
        self.first.get_or_insert((first, x.fail_cost));
        self.cost += self.ways * x.cost;
        self.ways *= x.ways;
        self.width += x.width;
    }

    fn first(&self) -> (Chars, f64) {
        self.first.unwrap_or((Chars::ALL, 0.0))
    }
}

/// A group being read (the whole pattern is the outermost one).
struct Frame {
    /// The alternatives already closed by `|`, combined.
    alts: Option<Seq>,
    all_anchored: bool,
    seq: Seq,
    /// The last two items (with whether each is `^`), kept apart from `seq`:
    /// the last may still get a quantifier, and the one before needs the
    /// final form of the last to tell whether the refinement applies.
    before_last: Option<(Item, bool)>,
    pending: Option<(Item, bool)>,
    lookaround: bool,
}

impl Frame {
    fn new(lookaround: bool) -> Frame {
        Frame {
            alts: None,
            all_anchored: true,
            seq: Seq::EMPTY,
            before_last: None,
            pending: None,
            lookaround,
        }
    }

    /// Moves `before_last` into the sequence, knowing the item after it.
    fn settle(&mut self) {
        let Some((mut x, caret)) = self.before_last.take() else {
            return;
        };
        if let (Some(over), Some((y, _))) = (x.loop_over, self.pending.as_ref()) {
            if y.width >= 1.0 && over.disjoint(y.first) {
                // One iteration count leads on; the others fail on y's first step.
                x.cost += x.ways * y.fail_cost;
                x.ways = 1.0;
            }
        }
        self.seq.push(x, caret);
    }

    /// Moves both kept items into the sequence.
    fn flush(&mut self) {
        self.settle();
        self.before_last = self.pending.take();
        self.settle();
    }

    fn add(&mut self, x: Item, caret: bool) {
        self.settle();
        self.before_last = self.pending.take();
        self.pending = Some((x, caret));
    }

    fn close_alternative(&mut self) {
        self.flush();
        let s = self.seq;
        self.all_anchored &= s.starts_with_caret == Some(true);
        self.alts = Some(match self.alts {
            None => s,
            Some(a) => {
                let ((fa, ca), (fs, cs)) = (a.first(), s.first());
                Seq {
                    cost: a.cost + s.cost,
                    ways: a.ways + s.ways,
                    width: a.width.min(s.width),
                    first: Some((fa.union(fs), ca + cs)),
                    starts_with_caret: None,
                }
            }
        });
        self.seq = Seq::EMPTY;
    }

    /// The group as one item, and whether every alternative starts with `^`.
    fn finish(mut self) -> (Item, bool) {
        self.close_alternative();
        let inner = self.alts.unwrap_or(Seq::EMPTY);
        // Entering and leaving the group is a step too (it may be empty).
        let cost = inner.cost + 1.0;
        let item = if self.lookaround {
            Item::zero_width(cost)
        } else {
            let (first, fail_cost) = inner.first();
            Item {
                cost,
                ways: inner.ways,
                width: inner.width,
                first: if inner.width >= 1.0 {
                    first
                } else {
                    Chars::ALL
                },
                fail_cost: fail_cost + 1.0,
                single: None,
                loop_over: None,
            }
        };
        (item, self.all_anchored)
    }
}

/// The work bound for one test on a subject of `n` UTF-16 code units.
fn work(p: &[u16], n: usize, ic: bool) -> f64 {
    let nf = n as f64;
    let at = |i: usize| p.get(i).copied().unwrap_or(0);
    let mut stack = vec![Frame::new(false)];
    let mut i = 0;
    while i < p.len() {
        let c = p[i];
        let top = stack.len() - 1;
        if c == u('\\') {
            let (esc, len) = escape(p, i, false);
            let item = match esc {
                Escape::Unit(v) => Item::one_unit(Chars::unit(v).ignore_case(ic)),
                Escape::Set(s) => Item::one_unit(s.ignore_case(ic)),
                Escape::Assertion => Item::zero_width(1.0),
                Escape::Backreference => Item::zero_width(nf + 1.0),
            };
            stack[top].add(item, false);
            i += len;
        } else if c == u('[') {
            let (chars, len) = class(p, i);
            stack[top].add(Item::one_unit(chars.ignore_case(ic)), false);
            i += len;
        } else if c == u('(') {
            let (lookaround, len) = group_opening(p, i);
            stack.push(Frame::new(lookaround));
            i += len;
        } else if c == u(')') && stack.len() > 1 {
            close_group(&mut stack);
            i += 1;
        } else if c == u('|') {
            stack[top].close_alternative();
            i += 1;
        } else if let Some((min, max, len)) = quantifier(p, i) {
            let frame = &mut stack[top];
            match frame.pending.take() {
                Some((x, _)) => {
                    frame.pending = Some((quantify(x, min, max, nf), false));
                    i += len;
                    // A lazy quantifier explores the same paths in another order.
                    if at(i) == u('?') {
                        i += 1;
                    }
                }
                // Nothing to repeat: regress has rejected such patterns; read
                // the character as a literal.
                None => {
                    frame.add(Item::one_unit(Chars::unit(c)), false);
                    i += 1;
                }
            }
        } else if c == u('^') || c == u('$') {
            stack[top].add(Item::zero_width(1.0), c == u('^'));
            i += 1;
        } else if c == u('.') {
            stack[top].add(Item::one_unit(Chars::ALL), false);
            i += 1;
        } else {
            stack[top].add(Item::one_unit(Chars::unit(c).ignore_case(ic)), false);
            i += 1;
        }
    }
    // Unclosed groups (regress has rejected them) are closed at the end.
    while stack.len() > 1 {
        close_group(&mut stack);
    }
    let (per_start, anchored) = stack.pop().unwrap_or_else(|| Frame::new(false)).finish();
    let starts = if anchored { 1.0 } else { nf + 1.0 };
    starts * per_start.cost + nf + 1.0
}

fn close_group(stack: &mut Vec<Frame>) {
    if let Some(frame) = stack.pop() {
        let (item, _) = frame.finish();
        if let Some(parent) = stack.last_mut() {
            parent.add(item, false);
        }
    }
}

/// `x{min,max}` on a subject of `n` units.
fn quantify(x: Item, min: f64, max: f64, n: f64) -> Item {
    // Iterations attempted along one path: each one past `min` consumes at
    // least one unit (an empty one fails), and every one at least `width`;
    // one more attempt fails.
    let by_subject = if x.width >= 1.0 {
        (n / x.width).floor() + 1.0
    } else {
        min + n + 1.0
    };
    let attempts = max.min(by_subject);
    let w = x.ways.max(1.0);
    Item {
        cost: x.cost * geometric(w, 0.0, attempts - 1.0),
        ways: geometric(w, min, attempts).max(1.0),
        width: min * x.width,
        first: if min >= 1.0 { x.first } else { Chars::ALL },
        fail_cost: x.fail_cost,
        single: None,
        loop_over: x.single,
    }
}

/// Σ_{lo ≤ j ≤ hi} w^j (0 when hi < lo), saturating at infinity.
fn geometric(w: f64, lo: f64, hi: f64) -> f64 {
    if hi < lo {
        return 0.0;
    }
    if w == 1.0 {
        return hi - lo + 1.0;
    }
    (w.powf(hi + 1.0) - w.powf(lo)) / (w - 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(p: &str) -> Vec<u16> {
        p.encode_utf16().collect()
    }

    fn max(p: &str) -> Option<usize> {
        max_subject_units(&units(p), false)
    }

    #[test]
    fn simple_patterns_run_on_long_subjects() {
        assert!(max("abc").unwrap() > 10_000_000);
        assert!(max("^abc").unwrap() > 10_000_000);
        assert!(max("^\\d+$").unwrap() > 10_000_000);
        assert!(max("(Mobile|Tablet)").unwrap() > 1_000_000);
        assert!(max("^https://example\\.com/.*").unwrap() > 1_000_000);
        assert!(max(".*x").unwrap() > 5_000);
        assert!(max("^(\\d{1,3}\\.){3}\\d{1,3}$").unwrap() > 1_000_000);
        assert!(max("^.*foo.*bar.*$").unwrap() > 300);
    }

    #[test]
    fn nested_quantifiers_run_on_short_subjects_only() {
        for p in [
            "(a+)+$",
            "(a|a)+$",
            "(\\w+\\s?)*$",
            "((a+)+)+$",
            "(a*)*b",
            "(?:a?){40}a{40}",
        ] {
            let m = max(p).unwrap_or(0);
            assert!(m < 40, "{p}: {m}");
        }
        assert!(max(".*.*.*.*.*.*.*.*x").unwrap() < 40);
    }

    #[test]
    fn backreferences_and_lookaround_count() {
        assert!(max("(.*)\\1x").unwrap() < max(".*x").unwrap());
        assert!(max("(?=.*a)(?=.*b).*c").unwrap() > 100);
        assert!(max("\\k<n>").is_some());
    }

    #[test]
    fn the_bound_grows_with_the_subject() {
        for p in ["(a+)+$", ".*x", "a{1000}", "(?=a*)b", "x{2,}?y"] {
            let mut last = 0.0;
            for n in [0, 1, 2, 5, 10, 100, 1000] {
                let w = work(&units(p), n, false);
                assert!(w >= last, "{p} at {n}");
                last = w;
            }
        }
    }

    #[test]
    fn counted_repetitions() {
        // A repetition needing more than the subject stops at its end…
        assert!(max("x{2147483647}").unwrap() > 5_000);
        // …but may run a long way before that, from every start.
        let m = max("((a{1000}){1000}){1000}").unwrap();
        assert!((1_000..1_000_000).contains(&m), "{m}");
        // Empty iterations up to `min` are all run.
        assert_eq!(max("(?:){1000000000}"), None);
    }

    #[test]
    fn odd_text_does_not_panic() {
        for p in [
            "", "\\", "(", ")", "[", "[\\", "{", "a{", "a{1", "a{1,", "a{,1}", "(?", "(?<", "(?<n",
            "\\k<", "\\u12", "\\x4", "\\c", "*", "a|*", "((((", "))))", "(?<=a",
        ] {
            let _ = max(p);
        }
    }
}
