//! The range index of one ordered attribute (a number or a date): its
//! distinct values in order, each with its holders, and range-encoded
//! cumulative bitmaps at up to [`BINS`] boundaries drawn at the holders'
//! quantiles. A comparison is then one cumulative bitmap plus or minus at most
//! half a bin of exact ones ([`Span`]), so neither a count nor a set ever
//! unites one bitmap per distinct value.

use roaring::RoaringBitmap;
use serde_json::Value;
use std::borrow::Cow;

/// Cumulative bitmaps per attribute. Each costs at most one bit per slot (a
/// dense container), so 64 of them cost at most 8 bytes per subject; a
/// comparison then reads at most a 128th of the holders one by one.
pub(crate) const BINS: usize = 64;

/// Fewer distinct values than this need no bins: half of them is few bitmaps.
const MIN_DISTINCT_FOR_BINS: usize = 64;

/// The bins are drawn again once this many changes have been made since the
/// last drawing, or as many as there were holders then, whichever is more.
const REDRAW_AFTER: u64 = 1024;

/// A value's place in the order: numbers by their value (`f64::total_cmp`,
/// which only separates -0 from 0, kept adjacent), strings by their bytes
/// (for ASCII text JavaScript's UTF-16 order; comparisons on strings are
/// answered here only while every string held is ASCII).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Key {
    Num(u64),
    Text(Box<str>),
}

impl Key {
    /// The key of a number or a string; `None` for anything else.
    pub(crate) fn of(value: &Value) -> Option<Key> {
        match value {
            Value::Number(n) => n.as_f64().map(|x| {
                let bits = x.to_bits();
                Key::Num(if bits >> 63 == 1 {
                    !bits
                } else {
                    bits | 1 << 63
                })
            }),
            Value::String(s) => Some(Key::Text(s.as_str().into())),
            _ => None,
        }
    }
}

impl Key {
    fn is_ascii(&self) -> bool {
        match self {
            Key::Num(_) => true,
            Key::Text(t) => t.is_ascii(),
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    key: Key,
    value: Value,
    holders: RoaringBitmap,
}

/// Entries per chunk of the order, at most: inserting a new value moves at
/// most this many, however many distinct values there are (a free-text
/// answer may have millions).
const CHUNK: usize = 512;

/// Distinct values in key order, in chunks, none empty.
#[derive(Debug, Default, Clone)]
struct Sorted {
    chunks: Vec<Vec<Entry>>,
    len: usize,
}

impl Sorted {
    fn len(&self) -> usize {
        self.len
    }

    fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.chunks.iter().flatten()
    }

    /// The chunk and place where `pred` (true on a prefix) first fails.
    fn locate(&self, pred: impl Fn(&Entry) -> bool) -> (usize, usize) {
        let c = self.chunks.partition_point(|c| c.last().is_some_and(&pred));
        match self.chunks.get(c) {
            Some(chunk) => (c, chunk.partition_point(pred)),
            None => (c, 0),
        }
    }

    /// How many entries `pred` (true on a prefix) holds for.
    fn partition_point(&self, pred: impl Fn(&Entry) -> bool) -> usize {
        let (c, at) = self.locate(pred);
        self.chunks[..c].iter().map(Vec::len).sum::<usize>() + at
    }

    fn find(&self, pred: impl Fn(&Entry) -> bool, hit: impl Fn(&Entry) -> bool) -> Option<&Entry> {
        let (c, at) = self.locate(pred);
        self.chunks.get(c)?.get(at).filter(|e| hit(e))
    }

    fn get(&self, rank: usize) -> Option<&Entry> {
        self.range(rank..rank + 1).next()
    }

    /// The entries of ranks `r`.
    fn range(&self, r: std::ops::Range<usize>) -> impl Iterator<Item = &Entry> {
        let mut skip = r.start;
        let first = self
            .chunks
            .iter()
            .position(|c| {
                if skip < c.len() {
                    true
                } else {
                    skip -= c.len();
                    false
                }
            })
            .unwrap_or(self.chunks.len());
        self.chunks[first..]
            .iter()
            .flatten()
            .skip(skip)
            .take(r.end.saturating_sub(r.start))
    }

    /// The entry with `key`, made with `make` if there is none.
    fn entry(&mut self, key: &Key, make: impl FnOnce() -> Entry) -> &mut Entry {
        let (mut c, at) = self.locate(|e| e.key < *key);
        if c == self.chunks.len() {
            // Past the end: the last chunk grows (or the first is made).
            c = c.saturating_sub(1);
            if self.chunks.is_empty() {
                self.chunks.push(Vec::new());
            }
            let at = self.chunks[c].len();
            self.chunks[c].push(make());
            self.len += 1;
            return self.split(c, at);
        }
        if self.chunks[c][at].key != *key {
            self.chunks[c].insert(at, make());
            self.len += 1;
            return self.split(c, at);
        }
        &mut self.chunks[c][at]
    }

    /// Splits chunk `c` in two if it grew past `CHUNK`; the entry at `at` of it.
    fn split(&mut self, c: usize, at: usize) -> &mut Entry {
        if self.chunks[c].len() <= CHUNK {
            return &mut self.chunks[c][at];
        }
        let tail = self.chunks[c].split_off(CHUNK / 2);
        self.chunks.insert(c + 1, tail);
        if at < CHUNK / 2 {
            &mut self.chunks[c][at]
        } else {
            &mut self.chunks[c + 1][at - CHUNK / 2]
        }
    }

    /// Takes `slot` out of the entry holding it (and the entry out, if it
    /// held no one else); that entry's key.
    fn remove_holder(&mut self, slot: u32) -> Option<Key> {
        let (c, at) = self.chunks.iter().enumerate().find_map(|(c, chunk)| {
            chunk
                .iter()
                .position(|e| e.holders.contains(slot))
                .map(|at| (c, at))
        })?;
        let e = &mut self.chunks[c][at];
        e.holders.remove(slot);
        let key = e.key.clone();
        if e.holders.is_empty() {
            self.chunks[c].remove(at);
            self.len -= 1;
            if self.chunks[c].is_empty() {
                self.chunks.remove(c);
            }
        }
        Some(key)
    }
}

#[derive(Debug, Default, Clone)]
pub(crate) struct RangeIndex {
    /// Distinct values in key order.
    entries: Sorted,
    /// Inclusive upper bounds of the bins, ascending; `le[j]` holds the
    /// subjects whose key is at most `bounds[j]`. A bound may outlive the last
    /// value with its key; it still cuts the order in the same place.
    bounds: Vec<Key>,
    le: Vec<RoaringBitmap>,
    holders: u64,
    /// Counts the drawings, so that a bin is known by the drawing it belongs to.
    generation: u64,
    /// Holders of a string that is not ASCII.
    non_ascii: u64,
    drawn_for: u64,
    changes: u64,
}

/// Which bitmap a span's base is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Base {
    /// Every holder of the attribute.
    Present,
    /// The cumulative bin `j`.
    Bin(usize),
}

/// `(plus − minus) ± exact`, unevaluated: `minus` ⊆ `plus`; the exact
/// bitmaps are pairwise disjoint and, when added, disjoint from
/// `plus − minus`, and when taken away, inside it.
#[derive(Debug, Clone)]
pub(crate) struct Span<'a> {
    pub(crate) plus: Option<(&'a RoaringBitmap, Base)>,
    pub(crate) minus: Option<(&'a RoaringBitmap, Base)>,
    pub(crate) exact: Vec<(&'a RoaringBitmap, &'a Key)>,
    pub(crate) add: bool,
}

impl<'a> Span<'a> {
    /// `|w ∩ span|` by cardinality calls alone, since the parts are disjoint or nested.
    pub(crate) fn count_within(&self, w: &RoaringBitmap) -> u64 {
        let base = self.plus.map_or(0, |(p, _)| w.intersection_len(p))
            - self.minus.map_or(0, |(m, _)| w.intersection_len(m));
        let exact: u64 = self.exact.iter().map(|(e, _)| w.intersection_len(e)).sum();
        if self.add {
            base + exact
        } else {
            base - exact
        }
    }

    /// An upper bound of its size, for ordering a conjunction.
    pub(crate) fn estimate(&self) -> u64 {
        let base = self.plus.map_or(0, |(p, _)| p.len()) - self.minus.map_or(0, |(m, _)| m.len());
        if self.add {
            base + self.exact.iter().map(|(e, _)| e.len()).sum::<u64>()
        } else {
            base
        }
    }

    /// The set itself, restricted to `w` when given.
    pub(crate) fn build(&self, w: Option<&RoaringBitmap>) -> Cow<'a, RoaringBitmap> {
        let mut out: Cow<'a, RoaringBitmap> = match (self.plus.map(|(p, _)| p), w) {
            (None, _) => Cow::Owned(RoaringBitmap::new()),
            (Some(p), Some(w)) => Cow::Owned(p & w),
            (Some(p), None) => Cow::Borrowed(p),
        };
        if let Some((m, _)) = self.minus {
            *out.to_mut() -= m;
        }
        for (e, _) in &self.exact {
            match (self.add, w) {
                (true, Some(w)) => *out.to_mut() |= *e & w,
                (true, None) => *out.to_mut() |= *e,
                (false, _) => *out.to_mut() -= *e,
            }
        }
        out
    }
}

impl RangeIndex {
    pub(crate) fn insert(&mut self, slot: u32, key: Key, value: &Value) {
        self.non_ascii += u64::from(!key.is_ascii());
        self.entries
            .entry(&key, || Entry {
                key: key.clone(),
                value: value.clone(),
                holders: RoaringBitmap::new(),
            })
            .holders
            .insert(slot);
        let first = self.bounds.partition_point(|b| *b < key);
        for le in &mut self.le[first..] {
            le.insert(slot);
        }
        self.holders += 1;
        self.changed();
    }

    /// Takes `slot` out, wherever it is; false when it held no value here.
    pub(crate) fn remove(&mut self, slot: u32) -> bool {
        let Some(key) = self.entries.remove_holder(slot) else {
            return false;
        };
        self.non_ascii -= u64::from(!key.is_ascii());
        let first = self.bounds.partition_point(|b| *b < key);
        for le in &mut self.le[first..] {
            le.remove(slot);
        }
        self.holders -= 1;
        self.changed();
        true
    }

    fn changed(&mut self) {
        self.changes += 1;
        if self.changes >= self.drawn_for.max(REDRAW_AFTER) {
            self.redraw();
        }
    }

    /// Draws the bins at the holders' quantiles and builds their cumulative bitmaps.
    fn redraw(&mut self) {
        self.bounds.clear();
        self.le.clear();
        self.generation += 1;
        self.drawn_for = self.holders;
        self.changes = 0;
        if self.entries.len() < MIN_DISTINCT_FOR_BINS {
            return;
        }
        let per_bin = (self.holders / BINS as u64).max(1);
        let mut seen = 0;
        let mut acc = RoaringBitmap::new();
        let last = self.entries.len().saturating_sub(1);
        for (i, e) in self.entries.iter().enumerate() {
            acc |= &e.holders;
            seen += e.holders.len();
            // The last value needs no bound: everything is at most it.
            if i < last && seen >= per_bin * (self.bounds.len() as u64 + 1) {
                self.bounds.push(e.key.clone());
                self.le.push(acc.clone());
            }
        }
    }

    /// Which drawing of the bins is current.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// Bin `j` of drawing `generation`, while that drawing is current.
    pub(crate) fn bin(&self, generation: u64, j: usize) -> Option<&RoaringBitmap> {
        self.le.get(j).filter(|_| generation == self.generation)
    }

    /// The cumulative bitmaps of the bins.
    pub(crate) fn bins(&self) -> impl Iterator<Item = &RoaringBitmap> {
        self.le.iter()
    }

    /// How many subjects hold a value here.
    pub(crate) fn holders(&self) -> u64 {
        self.holders
    }

    /// Whether every string held is ASCII.
    pub(crate) fn ascii(&self) -> bool {
        self.non_ascii == 0
    }

    /// The holders of the value with `key`.
    pub(crate) fn find(&self, key: &Key) -> Option<&RoaringBitmap> {
        self.entries
            .find(|e| e.key < *key, |e| e.key == *key)
            .map(|e| &e.holders)
    }

    /// The holders of the string `s`.
    pub(crate) fn find_text(&self, s: &str) -> Option<&RoaringBitmap> {
        self.entries
            .find(
                |e| match &e.key {
                    Key::Num(_) => true,
                    Key::Text(t) => &**t < s,
                },
                |e| matches!(&e.key, Key::Text(t) if &**t == s),
            )
            .map(|e| &e.holders)
    }

    /// The distinct values with their holders, for evaluating a test on each.
    pub(crate) fn values(&self) -> impl Iterator<Item = (&Value, &RoaringBitmap)> {
        self.entries.iter().map(|e| (&e.value, &e.holders))
    }

    pub(crate) fn distinct(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn value(&self, rank: usize) -> &Value {
        // Ranks come from `distinct()`; an entry is always there.
        self.entries.get(rank).map_or(&Value::Null, |e| &e.value)
    }

    /// The holders of the first `cut` distinct values, as the cheapest span.
    /// `present` is every holder.
    pub(crate) fn prefix<'a>(&'a self, cut: usize, present: &'a RoaringBitmap) -> Span<'a> {
        let cut = cut.min(self.entries.len());
        // Values up to bound j are the first `upto(j)`.
        let upto = |j: usize| self.entries.partition_point(|e| e.key <= self.bounds[j]);
        let cost = |r: std::ops::Range<usize>| -> u64 {
            self.entries.range(r).map(|e| e.holders.len()).sum()
        };
        let refs = |r: std::ops::Range<usize>| {
            self.entries
                .range(r)
                .map(|e| (&e.holders, &e.key))
                .collect()
        };
        // Build up from the bin below (or nothing), or take away from the bin
        // above (or everyone): whichever needs fewer exact holders.
        let j_below = (0..self.bounds.len()).rev().find(|&j| upto(j) <= cut);
        let j_above = (0..self.bounds.len()).find(|&j| upto(j) >= cut);
        let from = j_below.map_or(0, upto);
        let (to, top) = match j_above {
            Some(j) => (upto(j), (&self.le[j], Base::Bin(j))),
            None => (self.entries.len(), (present, Base::Present)),
        };
        if cost(cut..to) < cost(from..cut) {
            Span {
                plus: Some(top),
                minus: None,
                exact: refs(cut..to),
                add: false,
            }
        } else {
            Span {
                plus: j_below.map(|j| (&self.le[j], Base::Bin(j))),
                minus: None,
                exact: refs(from..cut),
                add: true,
            }
        }
    }

    /// The holders of every distinct value from rank `cut` on: the
    /// complement of `prefix(cut)` within `present`.
    pub(crate) fn suffix<'a>(&'a self, cut: usize, present: &'a RoaringBitmap) -> Span<'a> {
        let p = self.prefix(cut, present);
        match p.plus {
            // `present − (top − exact)` = `(present − top) + exact`.
            Some(top) if !p.add => Span {
                plus: Some((present, Base::Present)),
                minus: Some(top),
                exact: p.exact,
                add: true,
            },
            // `present − (below + exact)` = `(present − below) − exact`.
            below => Span {
                plus: Some((present, Base::Present)),
                minus: below,
                exact: p.exact,
                add: false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prefix_and_suffix_are_exact_at_every_cut_whatever_the_bins() {
        let mut r = RangeIndex::default();
        let mut present = RoaringBitmap::new();
        // 6,000 subjects over 150 values, unevenly: enough to draw bins.
        let value_of = |slot: u32| ((slot * 7919) % 997 % 150) as i64 - 5;
        for slot in 0..6000u32 {
            let v = json!(value_of(slot));
            r.insert(slot, Key::of(&v).unwrap(), &v);
            present.insert(slot);
        }
        assert!(r.bounds.len() > 8, "bins were drawn");
        // Take some out again, so bounds may outlive their values.
        for slot in (0..6000u32).filter(|s| value_of(*s) == 0 || s % 11 == 0) {
            assert!(r.remove(slot));
            present.remove(slot);
        }
        let mut order: Vec<i64> = present.iter().map(value_of).collect();
        order.sort();
        order.dedup();
        assert_eq!(r.distinct(), order.len());
        let rank = |slot: u32| order.binary_search(&value_of(slot)).unwrap();
        let w: RoaringBitmap = (0..6000u32).filter(|s| s % 3 == 0).collect();
        for cut in 0..=order.len() {
            let want: RoaringBitmap = present.iter().filter(|s| rank(*s) < cut).collect();
            let p = r.prefix(cut, &present);
            assert_eq!(*p.build(None), want, "prefix {cut}");
            assert_eq!(p.count_within(&w), w.intersection_len(&want));
            assert_eq!(*p.build(Some(&w)), &w & &want);
            let s = r.suffix(cut, &present);
            assert_eq!(*s.build(None), &present - &want, "suffix {cut}");
            assert_eq!(
                s.count_within(&w),
                w.intersection_len(&present) - w.intersection_len(&want)
            );
        }
    }

    #[test]
    fn many_distinct_values_stay_in_order_across_chunks() {
        let mut r = RangeIndex::default();
        let mut present = RoaringBitmap::new();
        // 5,000 distinct strings, in a scrambled order, two holders each.
        let text = |i: u32| format!("w{:05}", (i * 7919) % 5000);
        for slot in 0..10_000u32 {
            let v = json!(text(slot % 5000));
            r.insert(slot, Key::of(&v).unwrap(), &v);
            present.insert(slot);
        }
        assert!(r.entries.chunks.len() > 5, "the order was split in chunks");
        for slot in (0..10_000u32).filter(|s| s % 7 == 0) {
            assert!(r.remove(slot));
            present.remove(slot);
        }
        let mut want: Vec<String> = present.iter().map(|s| text(s % 5000)).collect();
        want.sort();
        want.dedup();
        let got: Vec<&str> = r.values().map(|(v, _)| v.as_str().unwrap()).collect();
        assert_eq!(got, want);
        assert_eq!(r.distinct(), want.len());
        for (rank, w) in want.iter().enumerate().step_by(97) {
            assert_eq!(r.value(rank).as_str(), Some(w.as_str()));
            let holders: RoaringBitmap = present.iter().filter(|s| text(s % 5000) == *w).collect();
            assert_eq!(r.find_text(w), Some(&holders));
            let below: RoaringBitmap = present.iter().filter(|s| text(s % 5000) < *w).collect();
            assert_eq!(
                *r.prefix(rank, &present).build(None),
                below,
                "prefix {rank}"
            );
        }
        assert_eq!(r.find_text("nope"), None);
    }

    #[test]
    fn keys_order_numbers_by_value() {
        let k = |v: Value| Key::of(&v).unwrap();
        assert!(k(json!(-3.5)) < k(json!(-1)));
        assert!(k(json!(-1)) < k(json!(0)));
        assert!(k(json!(0)) < k(json!(0.25)));
        assert!(k(json!(2)) < k(json!(10)));
        assert!(k(json!("2026-01-01")) < k(json!("2026-06-01")));
        assert!(Key::of(&json!(true)).is_none());
    }
}
