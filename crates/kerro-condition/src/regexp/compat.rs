//! Where regress 0.12 departs from ECMAScript's non-Unicode mode (no `u`
//! flag, Annex B), and the narrow corrections applied around it. regress still
//! parses, validates and runs every pattern; this module only rewrites a few
//! escapes into equivalent text regress reads correctly, rejects one construct
//! regress wrongly accepts, and tells when case-insensitive matching needs the
//! subject remapped. Each rule has a test in `super::tests`.
//!
//! 1. `\uXXXX` naming a surrogate: regress joins two such escapes into one
//!    astral character, as only the `u` flag should, so `\uD83D\uDE00` would
//!    never match UTF-16 units. They are written as the bare code units.
//! 2. `\u` not followed by four hex digits is the letter `u` (`\u{41}` is
//!    `u` repeated 41 times); regress reads `\u{…}` as a code point.
//! 3. A quantified `\b` or `\B` (`\b+`) is a SyntaxError; regress accepts it.
//! 4. Under `i`, ECMAScript compares characters by `Canonicalize` (simple
//!    uppercase, never mapping a non-ASCII character to ASCII); regress does not
//!    apply the ASCII rule and folds classes with Unicode case folding instead.
//!    Every pair of characters on which the two disagree involves a member of
//!    [`FOLD_DIFFERENT`] (ſ ı K Å ẞ ϴ Ω, Greek letters with iota subscript…), and
//!    each member is, for ECMAScript, equivalent only to itself. So when the
//!    pattern cannot name such a character, those characters in the subject
//!    are swapped for private-use units that no case mapping touches (see
//!    `super::is_match`), and `\W` inside a class, which regress would fold
//!    from ſ and K to s, S, k and K, is written out without ſ and K.
//! 5. regress compiles alternatives and groups recursively, one stack level per
//!    `|` and per nesting level (about 12,000 alternatives overflow a 2 MiB
//!    thread stack in a release build, 1,000 in an unoptimized one, and abort
//!    the process), and alternatives in quadratic time. Patterns with more
//!    than [`MAX_ALTERNATIVES`] alternatives, or longer than
//!    [`MAX_PATTERN_UNITS`], fail as invalid ones do (JavaScript accepts
//!    them); deep ones are compiled on a thread with a large stack
//!    (`Prepared::deep`). Matching recurses once per nested lookaround (some
//!    8 KiB each, unoptimized), so lookarounds nested more than
//!    [`MAX_LOOKAROUND_NESTING`] deep fail too.

/// Characters on which regress's case-insensitive matching departs from
/// ECMAScript's `Canonicalize` (found by comparing the two over every pair of
/// BMP characters related by a case mapping), as inclusive ranges.
pub(crate) const FOLD_DIFFERENT: &[(u16, u16)] = &[
    (0x0131, 0x0131), // ı
    (0x017F, 0x017F), // ſ
    (0x03F4, 0x03F4), // ϴ
    (0x1E9E, 0x1E9E), // ẞ
    (0x1F80, 0x1FAF), // ᾀ … ᾯ
    (0x1FB3, 0x1FB3),
    (0x1FBC, 0x1FBC),
    (0x1FC3, 0x1FC3),
    (0x1FCC, 0x1FCC),
    (0x1FD3, 0x1FD3),
    (0x1FE3, 0x1FE3),
    (0x1FF3, 0x1FF3),
    (0x1FFC, 0x1FFC),
    (0x2126, 0x2126), // Ω
    (0x212A, 0x212B), // K Å
    (0xFB05, 0xFB06), // ﬅ ﬆ
];

/// The private-use units that stand in for [`FOLD_DIFFERENT`] characters in a
/// subject: no case mapping, not word characters, not white space.
pub(crate) const STAND_INS: (u16, u16) = (0xF000, 0xF8FF);

pub(crate) fn fold_different(u: u16) -> bool {
    FOLD_DIFFERENT
        .iter()
        .any(|&(lo, hi)| (lo..=hi).contains(&u))
}

fn is_stand_in(u: u16) -> bool {
    (STAND_INS.0..=STAND_INS.1).contains(&u)
}

/// `\W` without ſ (U+017F) and K (U+212A), for use inside a class.
const CLASS_NON_WORD: &str =
    r"\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\u017e\u0180-\u2129\u212b-\uffff";

/// The most `|` a pattern may hold: compiling them takes about 40 ms.
pub(crate) const MAX_ALTERNATIVES: usize = 1000;

/// Patterns whose alternatives plus nesting depth exceed this are compiled on a
/// thread of their own with [`DEEP_STACK`] bytes of stack.
const DEEP: usize = 16;

/// The deepest lookaround nesting run (`(?=a(?=b))` is 2).
pub(crate) const MAX_LOOKAROUND_NESTING: usize = 8;

/// Enough stack for [`MAX_ALTERNATIVES`] alternatives inside groups nested
/// 256 deep (regress's limit), unoptimized, with a wide margin.
pub(crate) const DEEP_STACK: usize = 64 << 20;

/// The longest pattern compiled, in UTF-16 code units.
pub(crate) const MAX_PATTERN_UNITS: usize = 1 << 16;

/// A pattern as handed to regress.
pub(crate) struct Prepared {
    pub(crate) units: Vec<u16>,
    /// Whether the subject's [`FOLD_DIFFERENT`] characters must be swapped for
    /// stand-ins (case-insensitive patterns that cannot name them).
    pub(crate) remap_subject: bool,
    /// Whether compiling may recurse deeper than a small thread stack allows.
    pub(crate) deep: bool,
}

/// Applies the rules above to a pattern (already slash-escaped). `None`: the
/// operator fails (a SyntaxError regress would miss, or rule 5).
pub(crate) fn prepare(src: &[u16], ignore_case: bool) -> Option<Prepared> {
    if src.len() > MAX_PATTERN_UNITS {
        return None;
    }
    let first = rewrite(src, false)?;
    let deep = first.depth > DEEP;
    if !(ignore_case && first.names_nothing_fold_different) {
        return Some(Prepared {
            units: first.units,
            remap_subject: false,
            deep,
        });
    }
    Some(Prepared {
        units: rewrite(src, true)?.units,
        remap_subject: true,
        deep,
    })
}

struct Rewritten {
    units: Vec<u16>,
    /// The number of `|` plus the deepest group nesting: how deep regress's
    /// compiler recurses, give or take a constant.
    depth: usize,
    /// No literal, escape or class range can stand for a [`FOLD_DIFFERENT`]
    /// character or a stand-in.
    names_nothing_fold_different: bool,
}

const fn u(c: char) -> u16 {
    c as u16
}

fn hex_value(src: &[u16], at: usize, digits: usize) -> Option<u16> {
    let text = src.get(at..at + digits)?;
    let mut v: u32 = 0;
    for &c in text {
        let d = char::from_u32(u32::from(c))?.to_digit(16)?;
        v = v * 16 + d;
    }
    u16::try_from(v).ok()
}

/// Whether a quantifier (`*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`) starts at `at`.
fn quantifier_at(src: &[u16], at: usize) -> bool {
    let Some(&c) = src.get(at) else { return false };
    if c == u('*') || c == u('+') || c == u('?') {
        return true;
    }
    if c != u('{') {
        return false;
    }
    let digit = |k: usize| src.get(k).is_some_and(|&d| (u('0')..=u('9')).contains(&d));
    let mut k = at + 1;
    if !digit(k) {
        return false;
    }
    while digit(k) {
        k += 1;
    }
    if src.get(k) == Some(&u(',')) {
        k += 1;
        while digit(k) {
            k += 1;
        }
    }
    src.get(k) == Some(&u('}'))
}

/// Copies `src`, rewriting as described in the module documentation; with
/// `class_non_word`, also rewrites `\W` inside classes (rule 4).
fn rewrite(src: &[u16], class_non_word: bool) -> Option<Rewritten> {
    let mut out = Vec::with_capacity(src.len() + 8);
    let mut clean = true;
    let names = |u: u16, clean: &mut bool| {
        if fold_different(u) || is_stand_in(u) {
            *clean = false;
        }
    };
    // Inside a class: whether it holds a `-` and whether it holds a non-ASCII
    // character; both together may make a range over non-ASCII characters.
    let mut in_class = false;
    let (mut class_dash, mut class_non_ascii) = (false, false);
    let mut alternatives = 0;
    let (mut nesting, mut deepest) = (0usize, 0usize);
    // For each open group, whether it is a lookaround.
    let mut open: Vec<bool> = Vec::new();
    let mut i = 0;
    while i < src.len() {
        let c = src[i];
        if c == u('\\') {
            let Some(&e) = src.get(i + 1) else {
                out.push(c);
                i += 1;
                continue;
            };
            if e == u('u') {
                match hex_value(src, i + 2, 4) {
                    Some(v) => {
                        names(v, &mut clean);
                        class_non_ascii |= v >= 0x80;
                        if (0xD800..=0xDFFF).contains(&v) {
                            out.push(v); // rule 1
                        } else {
                            out.extend_from_slice(&src[i..i + 6]);
                        }
                        i += 6;
                    }
                    None => {
                        out.push(u('u')); // rule 2
                        i += 2;
                    }
                }
                continue;
            }
            if (e == u('b') || e == u('B')) && !in_class && quantifier_at(src, i + 2) {
                return None; // rule 3
            }
            if e == u('k') && src.get(i + 2) == Some(&u('<')) {
                // `\k<name>`: copied as is; a group name may use `\u{…}`.
                let end = (i + 3..src.len()).find(|&k| src[k] == u('>'));
                let end = end.map_or(src.len(), |k| k + 1);
                for &n in &src[i..end] {
                    names(n, &mut clean);
                }
                out.extend_from_slice(&src[i..end]);
                i = end;
                continue;
            }
            if e == u('W') && in_class && class_non_word {
                let before =
                    out.last() == Some(&u('-')) && out.len() >= 2 && out[out.len() - 2] != u('\\');
                let after = src.get(i + 2) == Some(&u('-'));
                if !before && !after {
                    out.extend(CLASS_NON_WORD.encode_utf16());
                    i += 2;
                    continue;
                }
            }
            names(e, &mut clean);
            class_non_ascii |= e >= 0x80;
            out.extend_from_slice(&src[i..i + 2]);
            i += 2;
            continue;
        }
        names(c, &mut clean);
        if in_class {
            if c == u(']') {
                in_class = false;
                if class_dash && class_non_ascii {
                    clean = false;
                }
            } else {
                class_dash |= c == u('-');
                class_non_ascii |= c >= 0x80;
            }
            out.push(c);
            i += 1;
        } else if c == u('|') {
            alternatives += 1;
            if alternatives > MAX_ALTERNATIVES {
                return None; // rule 5
            }
            out.push(c);
            i += 1;
        } else if c == u('[') {
            in_class = true;
            (class_dash, class_non_ascii) = (false, false);
            out.push(c);
            i += 1;
        } else if c == u('(')
            && src.get(i + 1) == Some(&u('?'))
            && src.get(i + 2) == Some(&u('<'))
            && !matches!(src.get(i + 3), Some(&n) if n == u('=') || n == u('!'))
        {
            // `(?<name>`: copied as is.
            nesting += 1;
            deepest = deepest.max(nesting);
            open.push(false);
            let end = (i + 3..src.len()).find(|&k| src[k] == u('>'));
            let end = end.map_or(src.len(), |k| k + 1);
            for &n in &src[i..end] {
                names(n, &mut clean);
            }
            out.extend_from_slice(&src[i..end]);
            i = end;
        } else {
            if c == u('(') {
                nesting += 1;
                deepest = deepest.max(nesting);
                let at = |k: usize| src.get(k).copied().unwrap_or(0);
                let lookaround = at(i + 1) == u('?')
                    && (at(i + 2) == u('=')
                        || at(i + 2) == u('!')
                        || (at(i + 2) == u('<') && (at(i + 3) == u('=') || at(i + 3) == u('!'))));
                open.push(lookaround);
                if open.iter().filter(|&&l| l).count() > MAX_LOOKAROUND_NESTING {
                    return None;
                }
            } else if c == u(')') {
                nesting = nesting.saturating_sub(1);
                open.pop();
            }
            out.push(c);
            i += 1;
        }
    }
    if in_class && class_dash && class_non_ascii {
        clean = false;
    }
    Some(Rewritten {
        units: out,
        depth: alternatives + deepest,
        names_nothing_fold_different: clean,
    })
}

/// Swaps each [`FOLD_DIFFERENT`] unit of `subject` for a stand-in, a distinct
/// one per distinct character, none already in the subject. Returns false
/// (leaving `subject` as it was) if stand-ins run out, which needs a subject
/// holding most of the 2,304 private-use stand-ins.
pub(crate) fn remap_subject(subject: &mut [u16]) -> bool {
    let (lo, hi) = STAND_INS;
    let mut used = vec![false; usize::from(hi - lo) + 1];
    for &s in subject.iter() {
        if is_stand_in(s) {
            used[usize::from(s - lo)] = true;
        }
    }
    let mut assigned: Vec<(u16, u16)> = Vec::new();
    let mut mapped = Vec::with_capacity(subject.len());
    for &s in subject.iter() {
        if !fold_different(s) {
            mapped.push(s);
            continue;
        }
        let stand_in = match assigned.iter().find(|&&(from, _)| from == s) {
            Some(&(_, to)) => to,
            None => {
                let Some(free) = used.iter().position(|&taken| !taken) else {
                    return false;
                };
                used[free] = true;
                let to = lo + u16::try_from(free).unwrap_or(0);
                assigned.push((s, to));
                to
            }
        };
        mapped.push(stand_in);
    }
    subject.copy_from_slice(&mapped);
    true
}
