//! Sets of UTF-16 code units for translated JavaScript regexes: the predefined
//! classes, JavaScript's non-Unicode case canonicalization, and emission as a
//! Rust `regex` class. It leaves out Unicode-mode (`u`/`v` flag) semantics.

use std::fmt::Write as _;
use std::sync::OnceLock;

/// A set of UTF-16 code units as a 65,536-bit bitmap.
#[derive(Clone)]
pub(crate) struct UnitSet {
    bits: Box<[u64; 1024]>,
}

impl UnitSet {
    pub(crate) fn empty() -> UnitSet {
        UnitSet {
            bits: Box::new([0; 1024]),
        }
    }

    pub(crate) fn insert(&mut self, u: u16) {
        self.bits[usize::from(u >> 6)] |= 1 << (u & 63);
    }

    pub(crate) fn insert_range(&mut self, lo: u16, hi: u16) {
        for u in lo..=hi {
            self.insert(u);
        }
    }

    pub(crate) fn union(&mut self, other: &UnitSet) {
        for (a, b) in self.bits.iter_mut().zip(other.bits.iter()) {
            *a |= b;
        }
    }

    pub(crate) fn invert(&mut self) {
        for w in self.bits.iter_mut() {
            *w = !*w;
        }
    }

    /// The set of code units that match some member under `/i`: those whose
    /// canonical form equals the canonical form of a member.
    pub(crate) fn case_closed(&self) -> UnitSet {
        let folds = folds();
        let mut out = UnitSet::empty();
        for u in self.units() {
            let c = usize::from(folds.canon[usize::from(u)]);
            let (lo, hi) = (folds.offsets[c] as usize, folds.offsets[c + 1] as usize);
            for &v in &folds.members[lo..hi] {
                out.insert(v);
            }
        }
        out
    }

    fn units(&self) -> impl Iterator<Item = u16> + '_ {
        self.bits
            .iter()
            .enumerate()
            .filter(|(_, w)| **w != 0)
            .flat_map(|(i, &w)| {
                (0..64u16)
                    .filter(move |b| w & (1 << b) != 0)
                    .map(move |b| ((i as u16) << 6) | b)
            })
    }

    /// Maximal runs of members as inclusive ranges.
    fn ranges(&self) -> Vec<(u16, u16)> {
        let mut out: Vec<(u16, u16)> = Vec::new();
        for u in self.units() {
            match out.last_mut() {
                Some((_, hi)) if u32::from(*hi) + 1 == u32::from(u) => *hi = u,
                _ => out.push((u, u)),
            }
        }
        out
    }

    /// Writes the set as a Rust `regex` class over mapped code units.
    pub(crate) fn emit(&self, out: &mut String) {
        let ranges = self.ranges();
        if ranges.is_empty() {
            // An empty JavaScript class (`[]`) matches nothing.
            out.push_str(r"[^\x{0}-\x{10FFFF}]");
            return;
        }
        out.push('[');
        for (lo, hi) in ranges {
            // Ranges are split at the surrogate block because surrogates map to
            // a different region of scalar values (see `map_unit`).
            for (a, b) in split_at_surrogates(lo, hi) {
                push_unit(out, a);
                if b != a {
                    out.push('-');
                    push_unit(out, b);
                }
            }
        }
        out.push(']');
    }
}

fn split_at_surrogates(lo: u16, hi: u16) -> Vec<(u16, u16)> {
    let mut out = Vec::new();
    let bounds = [(0u16, 0xD7FFu16), (0xD800, 0xDFFF), (0xE000, 0xFFFF)];
    for (a, b) in bounds {
        let l = lo.max(a);
        let h = hi.min(b);
        if l <= h {
            out.push((l, h));
        }
    }
    out
}

/// The scalar value a code unit stands for in translated patterns and haystacks:
/// itself, or for a surrogate a private-use character (U+F0000 + offset), so that
/// each UTF-16 code unit is one `char` as JavaScript's non-Unicode regexes see it.
pub(crate) fn map_unit(u: u16) -> char {
    let v = u32::from(u);
    let mapped = if (0xD800..=0xDFFF).contains(&v) {
        0xF0000 + (v - 0xD800)
    } else {
        v
    };
    char::from_u32(mapped).unwrap_or('\u{FFFD}')
}

/// Writes one code unit as a `regex` escape.
pub(crate) fn push_unit(out: &mut String, u: u16) {
    let _ = write!(out, "\\x{{{:X}}}", u32::from(map_unit(u)));
}

/// JavaScript's `Canonicalize` for non-Unicode ignore-case matching, and its
/// inverse: for each canonical unit, the units that canonicalize to it.
struct Folds {
    canon: Vec<u16>,
    offsets: Vec<u32>,
    members: Vec<u16>,
}

/// Builds the tables once. Canonicalize takes the simple uppercase when it is
/// one code unit, unless that would map a non-ASCII unit onto ASCII.
fn folds() -> &'static Folds {
    static FOLDS: OnceLock<Folds> = OnceLock::new();
    FOLDS.get_or_init(|| {
        let canon: Vec<u16> = (0..=u16::MAX)
            .map(|u| {
                let Some(c) = char::from_u32(u32::from(u)) else {
                    return u; // A surrogate is its own canonical form.
                };
                let mut up = c.to_uppercase();
                match (up.next(), up.next()) {
                    (Some(v), None) => match u16::try_from(u32::from(v)) {
                        Ok(cu) if !(u >= 128 && cu < 128) => cu,
                        _ => u,
                    },
                    _ => u,
                }
            })
            .collect();
        let mut offsets = vec![0u32; 65537];
        for &c in &canon {
            offsets[usize::from(c) + 1] += 1;
        }
        for i in 1..offsets.len() {
            offsets[i] += offsets[i - 1];
        }
        let mut fill = offsets.clone();
        let mut members = vec![0u16; 65536];
        for u in 0..=u16::MAX {
            let c = usize::from(canon[usize::from(u)]);
            members[fill[c] as usize] = u;
            fill[c] += 1;
        }
        Folds {
            canon,
            offsets,
            members,
        }
    })
}

/// Whether `u` has case variants under `/i` (so it needs a class, not a literal).
pub(crate) fn has_case_variants(u: u16) -> bool {
    let f = folds();
    let c = usize::from(f.canon[usize::from(u)]);
    f.offsets[c + 1] - f.offsets[c] > 1
}

/// `\d`.
pub(crate) fn digits() -> UnitSet {
    let mut s = UnitSet::empty();
    s.insert_range(u16::from(b'0'), u16::from(b'9'));
    s
}

/// `\w`: ASCII word characters (Unicode mode would add more; this is not it).
pub(crate) fn word() -> UnitSet {
    let mut s = digits();
    s.insert_range(u16::from(b'A'), u16::from(b'Z'));
    s.insert_range(u16::from(b'a'), u16::from(b'z'));
    s.insert(u16::from(b'_'));
    s
}

/// `\s`: JavaScript's WhiteSpace and LineTerminator code points.
pub(crate) fn space() -> UnitSet {
    let mut s = UnitSet::empty();
    for u in [
        0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
        0xFEFF,
    ] {
        s.insert(u);
    }
    s.insert_range(0x2000, 0x200A);
    s
}

/// `.` without the `s` flag: everything but the four line terminators.
pub(crate) fn dot() -> UnitSet {
    let mut s = UnitSet::empty();
    for u in [0x0A, 0x0D, 0x2028, 0x2029] {
        s.insert(u);
    }
    s.invert();
    s
}
