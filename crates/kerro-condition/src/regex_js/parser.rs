//! The recursive-descent parser that reads a JavaScript pattern (as UTF-16 code
//! units, V8's non-Unicode grammar with Annex B) and writes the equivalent Rust
//! `regex` pattern as it goes. Caching and matching are left to the parent module.

use super::charset::{self, push_unit, UnitSet};
use super::{Res, TranslateError};

/// V8's largest quantifier bound; a bound this large means "no upper bound".
const INFINITY: u32 = 2_147_483_647;
/// Deeper group nesting than this is reported unsupported rather than recursed into.
const MAX_DEPTH: usize = 200;

/// One class atom: a single code unit or a class escape such as `\d`.
enum ClassAtom {
    Unit(u16),
    Set(UnitSet),
}

pub(super) struct Parser {
    src: Vec<u16>,
    pos: usize,
    ic: bool,
    ncaps: usize,
    named: bool,
    names: Vec<Vec<char>>,
    out: String,
}

impl Parser {
    pub(super) fn new(src: Vec<u16>, ignore_case: bool, ncaps: usize, named: bool) -> Parser {
        Parser {
            src,
            pos: 0,
            ic: ignore_case,
            ncaps,
            named,
            names: Vec::new(),
            out: String::new(),
        }
    }

    /// Parses the whole pattern, returning the translation.
    pub(super) fn run(mut self) -> Res<String> {
        self.disjunction(0)?;
        if self.pos < self.src.len() {
            // The only thing that stops a top-level disjunction early is `)`.
            return Err(TranslateError::Syntax);
        }
        Ok(self.out)
    }

    /// The code unit at `i` as a char; a surrogate reads as U+FFFD, which is
    /// no syntax character (only `None` means the end of the pattern).
    fn peek_at(&self, i: usize) -> Option<char> {
        self.src
            .get(i)
            .map(|&u| char::from_u32(u32::from(u)).unwrap_or('\u{FFFD}'))
    }

    fn peek(&self) -> Option<char> {
        self.peek_at(self.pos)
    }

    fn unit(&self, i: usize) -> Option<u16> {
        self.src.get(i).copied()
    }

    fn disjunction(&mut self, depth: usize) -> Res<()> {
        if depth > MAX_DEPTH {
            return Err(TranslateError::Unsupported);
        }
        loop {
            while !matches!(self.peek(), None | Some(')' | '|')) {
                self.term(depth)?;
            }
            if self.peek() == Some('|') {
                self.pos += 1;
                self.out.push('|');
            } else {
                return Ok(());
            }
        }
    }

    fn term(&mut self, depth: usize) -> Res<()> {
        let Some(unit) = self.unit(self.pos) else {
            return Ok(());
        };
        let quantifiable = match char::from_u32(u32::from(unit)) {
            Some('^') => self.assertion(1, r"\A"),
            Some('$') => self.assertion(1, r"\z"),
            Some('\\') if self.peek_at(self.pos + 1) == Some('b') => self.assertion(2, r"(?-u:\b)"),
            Some('\\') if self.peek_at(self.pos + 1) == Some('B') => self.assertion(2, r"(?-u:\B)"),
            Some('(') => {
                self.group(depth)?;
                true
            }
            Some('[') => {
                let set = self.class()?;
                set.emit(&mut self.out);
                true
            }
            Some('.') => {
                self.pos += 1;
                self.emit_set(charset::dot());
                true
            }
            Some('*' | '+' | '?') => return Err(TranslateError::Syntax),
            Some('{') => {
                if self.interval(self.pos).is_some() {
                    return Err(TranslateError::Syntax); // Nothing to repeat.
                }
                self.pos += 1;
                self.emit_unit(unit);
                true
            }
            Some('\\') => {
                self.atom_escape()?;
                true
            }
            _ => {
                self.pos += 1;
                self.emit_unit(unit);
                true
            }
        };
        if quantifiable {
            self.quantifier()
        } else if matches!(self.peek(), Some('*' | '+' | '?')) || self.interval(self.pos).is_some()
        {
            Err(TranslateError::Syntax) // Nothing to repeat (after an assertion).
        } else {
            Ok(())
        }
    }

    fn assertion(&mut self, len: usize, text: &str) -> bool {
        self.pos += len;
        self.out.push_str(text);
        false
    }

    fn group(&mut self, depth: usize) -> Res<()> {
        self.pos += 1;
        if self.peek() == Some('?') {
            match self.peek_at(self.pos + 1) {
                Some(':') => self.pos += 2,
                Some('=' | '!') => return Err(TranslateError::Unsupported),
                Some('<') if matches!(self.peek_at(self.pos + 2), Some('=' | '!')) => {
                    return Err(TranslateError::Unsupported);
                }
                Some('<') => {
                    self.pos += 2;
                    let name = self.group_name()?;
                    if self.names.contains(&name) {
                        return Err(TranslateError::Syntax); // Duplicate capture group name.
                    }
                    self.names.push(name);
                }
                _ => return Err(TranslateError::Syntax), // Invalid group.
            }
        }
        // Captures do not matter to `test`, so every group is non-capturing.
        self.out.push_str("(?:");
        self.disjunction(depth + 1)?;
        if self.peek() != Some(')') {
            return Err(TranslateError::Syntax); // Unterminated group.
        }
        self.pos += 1;
        self.out.push(')');
        Ok(())
    }

    /// Parses a group name up to `>` (surrogate pairs and `\u` escapes combined).
    fn group_name(&mut self) -> Res<Vec<char>> {
        let mut name = Vec::new();
        loop {
            let c = match self.code_point() {
                Some('>') if !name.is_empty() => return Ok(name),
                Some('\\') => {
                    if self.peek() != Some('u') {
                        return Err(TranslateError::Syntax);
                    }
                    self.pos += 1;
                    self.name_escape().ok_or(TranslateError::Syntax)?
                }
                Some(c) => c,
                None => return Err(TranslateError::Syntax),
            };
            let ok = if name.is_empty() {
                is_id_start(c)
            } else {
                is_id_part(c)
            };
            if !ok {
                return Err(TranslateError::Syntax); // Invalid capture group name.
            }
            name.push(c);
        }
    }

    /// Reads one code point, combining a surrogate pair.
    fn code_point(&mut self) -> Option<char> {
        let hi = self.unit(self.pos)?;
        self.pos += 1;
        if (0xD800..0xDC00).contains(&hi) {
            if let Some(lo) = self
                .unit(self.pos)
                .filter(|lo| (0xDC00..0xE000).contains(lo))
            {
                self.pos += 1;
                let cp = 0x10000 + ((u32::from(hi) - 0xD800) << 10) + (u32::from(lo) - 0xDC00);
                return char::from_u32(cp);
            }
        }
        char::from_u32(u32::from(hi)).or(Some('\u{FFFD}'))
    }

    /// `\uXXXX` (possibly a surrogate pair of two) or `\u{X…}` inside a group name.
    fn name_escape(&mut self) -> Option<char> {
        if self.peek() == Some('{') {
            let start = self.pos + 1;
            let mut end = start;
            while self.peek_at(end).is_some_and(|c| c.is_ascii_hexdigit()) {
                end += 1;
            }
            if end == start || self.peek_at(end) != Some('}') {
                return None;
            }
            let v = self.hex_value(start, end)?;
            self.pos = end + 1;
            return char::from_u32(v);
        }
        let hi = self.hex_units(self.pos, 4)?;
        self.pos += 4;
        if (0xD800..0xDC00).contains(&hi)
            && self.peek() == Some('\\')
            && self.peek_at(self.pos + 1) == Some('u')
        {
            if let Some(lo) = self
                .hex_units(self.pos + 2, 4)
                .filter(|lo| (0xDC00..0xE000).contains(lo))
            {
                self.pos += 6;
                return char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00));
            }
        }
        char::from_u32(hi)
    }

    fn hex_value(&self, start: usize, end: usize) -> Option<u32> {
        let mut v: u32 = 0;
        for i in start..end {
            v = v
                .checked_mul(16)?
                .checked_add(self.peek_at(i)?.to_digit(16)?)?;
        }
        Some(v)
    }

    /// Exactly `n` hex digits at `at`.
    fn hex_units(&self, at: usize, n: usize) -> Option<u32> {
        if (at..at + n).all(|i| self.peek_at(i).is_some_and(|c| c.is_ascii_hexdigit())) {
            self.hex_value(at, at + n)
        } else {
            None
        }
    }

    /// Parses `{n}`, `{n,}` or `{n,m}` at `at` without consuming it: the bounds and
    /// the length of the text, or `None` when the text is not a quantifier.
    fn interval(&self, at: usize) -> Option<(u32, u32, usize)> {
        if self.peek_at(at) != Some('{') {
            return None;
        }
        let mut i = at + 1;
        let digits = |i: &mut usize| -> Option<u32> {
            let start = *i;
            let mut v: u32 = 0;
            while let Some(d) = self.peek_at(*i).and_then(|c| c.to_digit(10)) {
                v = v.saturating_mul(10).saturating_add(d).min(INFINITY);
                *i += 1;
            }
            (*i > start).then_some(v)
        };
        let min = digits(&mut i)?;
        let max = match self.peek_at(i) {
            Some('}') => min,
            Some(',') => {
                i += 1;
                if self.peek_at(i) == Some('}') {
                    INFINITY
                } else {
                    let m = digits(&mut i)?;
                    if self.peek_at(i) != Some('}') {
                        return None;
                    }
                    m
                }
            }
            _ => return None,
        };
        Some((min, max, i + 1 - at))
    }

    fn quantifier(&mut self) -> Res<()> {
        match self.peek() {
            Some(c @ ('*' | '+' | '?')) => {
                self.pos += 1;
                self.out.push(c);
            }
            Some('{') => {
                let Some((min, max, len)) = self.interval(self.pos) else {
                    return Ok(()); // A literal `{`, parsed by the next term.
                };
                if max < min {
                    return Err(TranslateError::Syntax); // Numbers out of order.
                }
                self.pos += len;
                let text = if max == INFINITY {
                    format!("{{{min},}}")
                } else if max == min {
                    format!("{{{min}}}")
                } else {
                    format!("{{{min},{max}}}")
                };
                self.out.push_str(&text);
            }
            _ => return Ok(()),
        }
        if self.peek() == Some('?') {
            self.pos += 1;
            self.out.push('?');
        }
        Ok(())
    }

    fn emit_unit(&mut self, u: u16) {
        if self.ic && charset::has_case_variants(u) {
            let mut set = UnitSet::empty();
            set.insert(u);
            set.case_closed().emit(&mut self.out);
        } else {
            push_unit(&mut self.out, u);
        }
    }

    fn emit_set(&mut self, set: UnitSet) {
        let set = if self.ic { set.case_closed() } else { set };
        set.emit(&mut self.out);
    }

    /// An escape outside a class (`\b` and `\B` are handled as assertions).
    fn atom_escape(&mut self) -> Res<()> {
        let Some(c) = self.peek_at(self.pos + 1) else {
            return Err(TranslateError::Syntax); // `\` at end of pattern.
        };
        if let Some(set) = class_escape(c) {
            self.pos += 2;
            self.emit_set(set);
            return Ok(());
        }
        match c {
            'k' if self.named => Err(TranslateError::Unsupported),
            '1'..='9' => {
                let mut end = self.pos + 1;
                let mut value: usize = 0;
                while let Some(d) = self.peek_at(end).and_then(|c| c.to_digit(10)) {
                    value = value.saturating_mul(10).saturating_add(d as usize);
                    end += 1;
                }
                if value <= self.ncaps {
                    return Err(TranslateError::Unsupported); // A backreference.
                }
                if matches!(c, '8' | '9') {
                    self.pos += 2;
                    self.emit_unit(c as u16);
                } else {
                    self.pos += 1;
                    let u = self.octal();
                    self.emit_unit(u);
                }
                Ok(())
            }
            '0' => {
                self.pos += 1;
                let u = self.octal();
                self.emit_unit(u);
                Ok(())
            }
            'c' => {
                match self.peek_at(self.pos + 2).filter(char::is_ascii_alphabetic) {
                    Some(l) => {
                        self.pos += 3;
                        self.emit_unit(l as u16 % 32);
                    }
                    None => {
                        // `\c` without a letter is a literal backslash; `c` follows.
                        self.pos += 1;
                        self.emit_unit(u16::from(b'\\'));
                    }
                }
                Ok(())
            }
            _ => {
                let u = self.simple_escape();
                self.emit_unit(u);
                Ok(())
            }
        }
    }

    /// `\f \n \r \t \v \xHH \uHHHH` and identity escapes, at `self.pos` (the backslash).
    fn simple_escape(&mut self) -> u16 {
        let c = self.unit(self.pos + 1).unwrap_or(0);
        self.pos += 2;
        match char::from_u32(u32::from(c)) {
            Some('f') => 0x0C,
            Some('n') => 0x0A,
            Some('r') => 0x0D,
            Some('t') => 0x09,
            Some('v') => 0x0B,
            Some('x') => self.hex_escape(2).unwrap_or(c),
            Some('u') => self.hex_escape(4).unwrap_or(c),
            _ => c,
        }
    }

    fn hex_escape(&mut self, n: usize) -> Option<u16> {
        let v = self.hex_units(self.pos, n)?;
        self.pos += n;
        u16::try_from(v).ok()
    }

    /// V8's `ParseOctalLiteral` at `self.pos` (a digit 0-7): up to three digits ≤ 0o377.
    fn octal(&mut self) -> u16 {
        let digit = |p: &Parser, i: usize| p.peek_at(i).and_then(|c| c.to_digit(8));
        let mut v = digit(self, self.pos).unwrap_or(0);
        self.pos += 1;
        if let Some(d) = digit(self, self.pos) {
            v = v * 8 + d;
            self.pos += 1;
            if v < 32 {
                if let Some(d) = digit(self, self.pos) {
                    v = v * 8 + d;
                    self.pos += 1;
                }
            }
        }
        v as u16
    }

    /// Parses `[...]` into the set of code units it matches.
    fn class(&mut self) -> Res<UnitSet> {
        self.pos += 1;
        let negated = self.peek() == Some('^');
        if negated {
            self.pos += 1;
        }
        let mut set = UnitSet::empty();
        loop {
            match self.peek() {
                None => return Err(TranslateError::Syntax), // Unterminated character class.
                Some(']') => {
                    self.pos += 1;
                    break;
                }
                _ => {}
            }
            let a = self.class_atom()?;
            let ranged =
                self.peek() == Some('-') && !matches!(self.peek_at(self.pos + 1), None | Some(']'));
            if !ranged {
                add_atom(&mut set, a);
                continue;
            }
            self.pos += 1;
            let b = self.class_atom()?;
            match (a, b) {
                (ClassAtom::Unit(x), ClassAtom::Unit(y)) => {
                    if x > y {
                        return Err(TranslateError::Syntax); // Range out of order.
                    }
                    set.insert_range(x, y);
                }
                // Annex B: a range with a class escape at either end is a union
                // of both ends and a literal `-`.
                (a, b) => {
                    add_atom(&mut set, a);
                    set.insert(u16::from(b'-'));
                    add_atom(&mut set, b);
                }
            }
        }
        // Under /i, JavaScript matches a unit if some member has the same canonical
        // form, and a negated class negates that test, so close before inverting.
        let mut set = if self.ic { set.case_closed() } else { set };
        if negated {
            set.invert();
        }
        Ok(set)
    }

    fn class_atom(&mut self) -> Res<ClassAtom> {
        let Some(u) = self.unit(self.pos) else {
            return Err(TranslateError::Syntax);
        };
        if u != u16::from(b'\\') {
            self.pos += 1;
            return Ok(ClassAtom::Unit(u));
        }
        let Some(c) = self.peek_at(self.pos + 1) else {
            return Err(TranslateError::Syntax); // `\` at end of pattern.
        };
        if let Some(set) = class_escape(c) {
            self.pos += 2;
            return Ok(ClassAtom::Set(set));
        }
        let unit = match c {
            'b' => {
                self.pos += 2;
                0x08
            }
            'k' if self.named => return Err(TranslateError::Syntax), // Invalid escape.
            '0'..='7' => {
                self.pos += 1;
                self.octal()
            }
            'c' => match self
                .peek_at(self.pos + 2)
                .filter(|l| l.is_ascii_alphanumeric() || *l == '_')
            {
                Some(l) => {
                    self.pos += 3;
                    l as u16 % 32
                }
                None => {
                    self.pos += 1;
                    u16::from(b'\\')
                }
            },
            _ => self.simple_escape(),
        };
        Ok(ClassAtom::Unit(unit))
    }
}

fn add_atom(set: &mut UnitSet, atom: ClassAtom) {
    match atom {
        ClassAtom::Unit(u) => set.insert(u),
        ClassAtom::Set(s) => set.union(&s),
    }
}

/// `\d \D \s \S \w \W`.
fn class_escape(c: char) -> Option<UnitSet> {
    let (mut set, negate) = match c {
        'd' => (charset::digits(), false),
        'D' => (charset::digits(), true),
        's' => (charset::space(), false),
        'S' => (charset::space(), true),
        'w' => (charset::word(), false),
        'W' => (charset::word(), true),
        _ => return None,
    };
    if negate {
        set.invert();
    }
    Some(set)
}

/// Approximates ID_Start (plus `$` and `_`) with Unicode's Alphabetic property.
fn is_id_start(c: char) -> bool {
    c == '$' || c == '_' || c.is_alphabetic()
}

/// Approximates ID_Continue (plus `$`, ZWNJ and ZWJ).
fn is_id_part(c: char) -> bool {
    is_id_start(c) || c.is_numeric() || c == '\u{200C}' || c == '\u{200D}'
}
