//! JavaScript number conversions: `Number(string)` (StringToNumber) and
//! `Number.prototype.toString()` for finite doubles. It leaves out radix
//! arguments and locale formatting.

use std::fmt::Write as _;

/// JavaScript's `StringToNumber`: trims JavaScript whitespace, accepts decimal
/// literals, `Infinity`, and 0x/0o/0b integers; everything else is NaN.
pub(crate) fn string_to_number(s: &str) -> f64 {
    let t = s.trim_matches(is_js_space);
    if t.is_empty() {
        return 0.0;
    }
    let b = t.as_bytes();
    if b.len() > 2 && b[0] == b'0' {
        let radix = match b[1] {
            b'x' | b'X' => 16,
            b'o' | b'O' => 8,
            b'b' | b'B' => 2,
            _ => 0,
        };
        if radix != 0 {
            return radix_to_number(&t[2..], radix);
        }
    }
    let (neg, body) = match b[0] {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let mag = if body == "Infinity" {
        f64::INFINITY
    } else if is_decimal_literal(body.as_bytes()) {
        body.parse::<f64>().unwrap_or(f64::NAN)
    } else {
        f64::NAN
    };
    if neg {
        -mag
    } else {
        mag
    }
}

/// JavaScript's `StrWhiteSpaceChar` (WhiteSpace and LineTerminator).
fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{B}' | '\u{C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// `StrUnsignedDecimalLiteral` without `Infinity`: digits with an optional
/// fraction and exponent, at least one digit in the mantissa.
fn is_decimal_literal(b: &[u8]) -> bool {
    let mut i = 0;
    let int_digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    i += int_digits;
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        i += frac_digits;
    }
    if int_digits + frac_digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if exp_digits == 0 {
            return false;
        }
        i += exp_digits;
    }
    i == b.len()
}

/// Parses binary, octal or hex digits, rounding to nearest-even like JavaScript.
fn radix_to_number(digits: &str, radix: u32) -> f64 {
    let bits_per_digit = radix.trailing_zeros();
    // Keep up to 64 significant bits, then remember whether any dropped bit was set.
    let mut mant: u64 = 0;
    let mut shift: i32 = 0;
    let mut sticky = false;
    for c in digits.chars() {
        let Some(d) = c.to_digit(radix) else {
            return f64::NAN;
        };
        for k in (0..bits_per_digit).rev() {
            let bit = (d >> k) & 1;
            if mant >> 63 == 0 {
                mant = (mant << 1) | u64::from(bit);
            } else {
                shift = shift.saturating_add(1);
                sticky |= bit == 1;
            }
        }
    }
    if mant == 0 {
        return 0.0;
    }
    // Round the 64-bit mantissa (plus sticky bit) to 53 bits.
    let lz = mant.leading_zeros();
    let width = 64 - lz;
    if width <= 53 {
        return (mant as f64) * 2f64.powi(shift);
    }
    let drop = width - 53;
    let kept = mant >> drop;
    let rem = mant & ((1u64 << drop) - 1);
    let half = 1u64 << (drop - 1);
    let round_up = rem > half || (rem == half && (sticky || kept & 1 == 1));
    let kept = if round_up { kept + 1 } else { kept };
    (kept as f64) * 2f64.powi(shift.saturating_add(drop as i32))
}

/// `Number.prototype.toString()` output, formatted on the stack.
pub(crate) struct NumBuf {
    buf: [u8; 40],
    len: usize,
}

impl NumBuf {
    pub(crate) fn new(x: f64) -> NumBuf {
        let mut out = NumBuf {
            buf: [0; 40],
            len: 0,
        };
        if x.is_nan() {
            out.push_str("NaN");
        } else if x == 0.0 {
            out.push_str("0");
        } else if x.is_infinite() {
            out.push_str(if x > 0.0 { "Infinity" } else { "-Infinity" });
        } else {
            if x < 0.0 {
                out.push_str("-");
            }
            out.push_shortest(x.abs());
        }
        out
    }

    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("NaN")
    }

    fn push_str(&mut self, s: &str) {
        for &b in s.as_bytes() {
            self.push(b);
        }
    }

    fn push(&mut self, b: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    /// Formats a positive finite number per ECMA-262 Number::toString, using the
    /// shortest round-tripping digits that Rust's `{:e}` produces.
    fn push_shortest(&mut self, x: f64) {
        let mut sci = NumBuf {
            buf: [0; 40],
            len: 0,
        };
        // Writing into a fixed buffer cannot fail for f64 (at most ~25 bytes).
        let _ = write!(sci, "{x:e}");
        let text = sci.as_str();
        let (mantissa, exp) = text.split_once('e').unwrap_or((text, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let mut digits = [0u8; 20];
        let mut k = 0;
        for &b in mantissa.as_bytes() {
            if b.is_ascii_digit() && k < digits.len() {
                digits[k] = b;
                k += 1;
            }
        }
        let digits = &digits[..k];
        let n = exp + 1;
        let k = k as i32;
        if k <= n && n <= 21 {
            digits.iter().for_each(|&d| self.push(d));
            (0..n - k).for_each(|_| self.push(b'0'));
        } else if 0 < n && n <= 21 {
            let (int, frac) = digits.split_at(n as usize);
            int.iter().for_each(|&d| self.push(d));
            self.push(b'.');
            frac.iter().for_each(|&d| self.push(d));
        } else if -6 < n && n <= 0 {
            self.push_str("0.");
            (0..-n).for_each(|_| self.push(b'0'));
            digits.iter().for_each(|&d| self.push(d));
        } else {
            self.push(digits.first().copied().unwrap_or(b'0'));
            if digits.len() > 1 {
                self.push(b'.');
                digits[1..].iter().for_each(|&d| self.push(d));
            }
            self.push(b'e');
            self.push(if n > 0 { b'+' } else { b'-' });
            let mut e = NumBuf {
                buf: [0; 40],
                len: 0,
            };
            let _ = write!(e, "{}", (n - 1).abs());
            self.push_str(e.as_str());
        }
    }
}

impl std::fmt::Write for NumBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.push_str(s);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_like_javascript() {
        let cases = [
            (1e21, "1e+21"),
            (1e-7, "1e-7"),
            (123456789012345680000.0, "123456789012345680000"),
            (0.000001, "0.000001"),
            (-0.0, "0"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (1.5, "1.5"),
            (-12.25, "-12.25"),
            (100.0, "100"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1.5e-7, "1.5e-7"),
            (123e20, "1.23e+22"),
        ];
        for (x, want) in cases {
            assert_eq!(NumBuf::new(x).as_str(), want, "{x}");
        }
    }

    #[test]
    fn strings_convert_like_javascript() {
        let cases: [(&str, f64); 14] = [
            ("0x1F", 31.0),
            (" 12 ", 12.0),
            (".5", 0.5),
            ("5.", 5.0),
            ("+.5e1", 5.0),
            ("\u{a0} 7\u{feff}", 7.0),
            ("-Infinity", f64::NEG_INFINITY),
            ("", 0.0),
            ("0b101", 5.0),
            ("0o17", 15.0),
            ("0x20000000000001", 9007199254740992.0),
            ("0x20000000000003", 9007199254740996.0),
            ("-0", -0.0),
            ("1e3", 1000.0),
        ];
        for (s, want) in cases {
            assert_eq!(string_to_number(s), want, "{s:?}");
        }
        for s in [
            "1_0", "-0x1", "infinity", "1e", "0x", "NaN", "inf", "1 2", "e5", ".",
        ] {
            assert!(string_to_number(s).is_nan(), "{s:?}");
        }
    }
}
