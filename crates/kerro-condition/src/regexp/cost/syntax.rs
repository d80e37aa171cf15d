//! Reading a pattern's pieces for the cost bound: escapes, classes, group
//! openings and quantifiers, each with the units it spans. It never decides
//! what matches; where unsure it reads the widest set.

use super::Chars;

pub(super) const fn u(c: char) -> u16 {
    c as u16
}

fn is_digit(c: u16) -> bool {
    (u('0')..=u('9')).contains(&c)
}

fn hex_value(p: &[u16], at: usize, digits: usize) -> Option<u16> {
    let text = p.get(at..at + digits)?;
    let mut v: u32 = 0;
    for &c in text {
        v = v * 16 + char::from_u32(u32::from(c))?.to_digit(16)?;
    }
    u16::try_from(v).ok()
}

/// What an escape stands for.
pub(super) enum Escape {
    /// One code unit.
    Unit(u16),
    /// One unit from a set (`\d`, `\W`, …).
    Set(Chars),
    /// `\b`, `\B`.
    Assertion,
    /// A backreference, or digits read as one (over-estimated as such).
    Backreference,
}

/// The escape at `p[i]` (a backslash), inside a class or not, and its length.
pub(super) fn escape(p: &[u16], i: usize, in_class: bool) -> (Escape, usize) {
    let at = |k: usize| p.get(k).copied().unwrap_or(0);
    if i + 1 >= p.len() {
        return (Escape::Unit(u('\\')), 1);
    }
    let c = at(i + 1);
    let ascii = |v: u16| char::from_u32(u32::from(v)).filter(char::is_ascii);
    match ascii(c) {
        Some('d') => (Escape::Set(Chars::digits()), 2),
        Some('D') => (Escape::Set(Chars::digits().negate()), 2),
        Some('w') => (Escape::Set(Chars::word()), 2),
        Some('W') => (Escape::Set(Chars::word().negate()), 2),
        Some('s') => (Escape::Set(Chars::space()), 2),
        Some('S') => (Escape::Set(Chars::space().negate()), 2),
        Some('b') if in_class => (Escape::Unit(8), 2),
        Some('b' | 'B') if !in_class => (Escape::Assertion, 2),
        Some('0') if !is_digit(at(i + 2)) => (Escape::Unit(0), 2),
        // Inside a class, an octal escape: any of the first 256 units.
        Some('0'..='9') if in_class => (Escape::Set(Chars::range(0, 255)), 2),
        Some('0'..='9') => {
            let mut len = 2;
            while is_digit(at(i + len)) {
                len += 1;
            }
            (Escape::Backreference, len)
        }
        Some('k') if !in_class && at(i + 2) == u('<') => {
            let close = (i + 3..p.len()).find(|&k| p[k] == u('>'));
            (
                Escape::Backreference,
                close.map_or(p.len() - i, |k| k + 1 - i),
            )
        }
        // `\k` alone (Annex B): the letter, or a backreference: over-estimate.
        Some('k') if !in_class => (Escape::Backreference, 2),
        Some('c') => match ascii(at(i + 2)) {
            Some(l) if l.is_ascii_alphabetic() => (Escape::Unit(at(i + 2) % 32), 3),
            Some(l) if in_class && (l.is_ascii_digit() || l == '_') => {
                (Escape::Unit(at(i + 2) % 32), 3)
            }
            // A backslash; the `c` is read next.
            _ => (Escape::Unit(u('\\')), 1),
        },
        Some('x') => match hex_value(p, i + 2, 2) {
            Some(v) => (Escape::Unit(v), 4),
            None => (Escape::Unit(u('x')), 2),
        },
        Some('u') => match hex_value(p, i + 2, 4) {
            Some(v) => (Escape::Unit(v), 6),
            None => (Escape::Unit(u('u')), 2),
        },
        Some(other) if "fnrtv".contains(other) => {
            let v = match other {
                'f' => 0x0C,
                'n' => 0x0A,
                'r' => 0x0D,
                't' => 0x09,
                _ => 0x0B,
            };
            (Escape::Unit(v), 2)
        }
        // An identity escape: the character itself.
        _ => (Escape::Unit(c), 2),
    }
}

/// The set a class `[…]` at `p[i]` matches (before case folding), and its
/// length. Without the `u` flag the first unescaped `]` closes it, even right
/// after `[` or `[^`, and a range next to a class escape (`[\w-a]`) is read as
/// its three parts (Annex B).
pub(super) fn class(p: &[u16], i: usize) -> (Chars, usize) {
    let member = |k: usize| -> (Escape, usize) {
        if p[k] == u('\\') {
            escape(p, k, true)
        } else {
            (Escape::Unit(p[k]), 1)
        }
    };
    let chars_of = |e: &Escape| match *e {
        Escape::Unit(v) => Chars::unit(v),
        Escape::Set(s) => s,
        Escape::Assertion | Escape::Backreference => Chars::ALL,
    };
    let mut k = i + 1;
    let negated = p.get(k) == Some(&u('^'));
    if negated {
        k += 1;
    }
    let mut set = Chars::NONE;
    while k < p.len() && p[k] != u(']') {
        let (first, len) = member(k);
        k += len;
        if p.get(k) == Some(&u('-')) && k + 1 < p.len() && p[k + 1] != u(']') {
            let (second, len2) = member(k + 1);
            if let (Escape::Unit(lo), Escape::Unit(hi)) = (&first, &second) {
                set = set.union(Chars::range(*lo, *hi));
                k += 1 + len2;
                continue;
            }
        }
        set = set.union(chars_of(&first));
    }
    let set = if negated { set.negate() } else { set };
    (set, (k + 1).min(p.len()) - i)
}

/// Whether the group opened at `p[i]` is a lookaround, and the length of its opening.
pub(super) fn group_opening(p: &[u16], i: usize) -> (bool, usize) {
    let at = |k: usize| p.get(k).copied().unwrap_or(0);
    if at(i + 1) != u('?') {
        return (false, 1);
    }
    match at(i + 2) {
        c if c == u('=') || c == u('!') => (true, 3),
        c if c == u('<') && (at(i + 3) == u('=') || at(i + 3) == u('!')) => (true, 4),
        c if c == u('<') => {
            // A named group: `(?<name>`.
            let close = (i + 3..p.len()).find(|&k| p[k] == u('>'));
            (false, close.map_or(3, |k| k + 1 - i))
        }
        _ => {
            // `(?:` or a modifier group such as `(?i:`.
            let colon = (i + 2..p.len()).find(|&k| p[k] == u(':'));
            (false, colon.map_or(2, |k| k + 1 - i))
        }
    }
}

/// The quantifier at `p[i]`: (min, max, length), `max` infinite for none.
/// A `{` that does not open `{n}`, `{n,}` or `{n,m}` is a literal (Annex B).
pub(super) fn quantifier(p: &[u16], i: usize) -> Option<(f64, f64, usize)> {
    let c = p[i];
    if c == u('*') {
        return Some((0.0, f64::INFINITY, 1));
    }
    if c == u('+') {
        return Some((1.0, f64::INFINITY, 1));
    }
    if c == u('?') {
        return Some((0.0, 1.0, 1));
    }
    if c != u('{') {
        return None;
    }
    let number = |mut k: usize| -> Option<(f64, usize)> {
        let start = k;
        let mut v = 0.0f64;
        while k < p.len() && is_digit(p[k]) {
            v = v * 10.0 + f64::from(p[k] - u('0'));
            k += 1;
        }
        (k > start).then_some((v, k))
    };
    let (min, k) = number(i + 1)?;
    let at = |k: usize| p.get(k).copied().unwrap_or(0);
    if at(k) == u('}') {
        return Some((min, min, k + 1 - i));
    }
    if at(k) != u(',') {
        return None;
    }
    if at(k + 1) == u('}') {
        return Some((min, f64::INFINITY, k + 2 - i));
    }
    let (max, k) = number(k + 1)?;
    (at(k) == u('}')).then_some((min, max.max(min), k + 1 - i))
}
