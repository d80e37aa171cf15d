//! GrowthBook's `paddedVersionString` and the comparison of an attribute's padded
//! version against a pre-padded operand without allocating. It does not do
//! SemVer precedence: GrowthBook compares the padded strings, and so does this.

use std::cmp::Ordering;

use serde_json::Value;

use crate::js::{JsVal, NumBuf, Sink, Utf16Cmp};

/// Calls `put` with the pieces of `paddedVersionString(input)`.
fn padded_pieces(input: &str, sink: &mut impl Sink) {
    let core = strip_v_and_build_info(input);
    let parts = core.split(['-', '.']);
    let count = core.split(['-', '.']).count();
    for (i, part) in parts.enumerate() {
        if i > 0 {
            sink.put("-");
        }
        if !part.is_empty() && part.len() < 5 && part.bytes().all(|b| b.is_ascii_digit()) {
            sink.put(&"     "[part.len()..]);
        }
        sink.put(part);
    }
    // A plain `major.minor.patch` gets a `~` part so that it sorts after its
    // pre-releases ("~" is the largest printable ASCII character).
    if count == 3 {
        sink.put("-~");
    }
}

/// Applies `input.replace(/(^v|\+.*$)/g, "")`.
fn strip_v_and_build_info(input: &str) -> &str {
    let s = input.strip_prefix('v').unwrap_or(input);
    // `.` does not match line terminators, so `\+.*$` can only match a `+` with no
    // line terminator after it; the first such `+` starts the removed suffix.
    let tail_start = s
        .char_indices()
        .rfind(|(_, c)| matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    match s[tail_start..].find('+') {
        Some(p) => &s[..tail_start + p],
        None => s,
    }
}

/// `paddedVersionString(v)` for a compile-time operand.
pub(crate) fn padded_version(v: &Value) -> String {
    let mut out = String::new();
    with_source(JsVal::Json(v), |src| padded_pieces(src, &mut out));
    out
}

/// Runs `f` on the string `paddedVersionString` starts from: numbers are
/// stringified, and anything that is not a non-empty string becomes "0".
fn with_source<R>(actual: JsVal<'_>, f: impl FnOnce(&str) -> R) -> R {
    match actual {
        JsVal::Json(Value::String(s)) if !s.is_empty() => f(s),
        JsVal::Json(Value::Number(n)) => f(NumBuf::new(n.as_f64().unwrap_or(f64::NAN)).as_str()),
        JsVal::Num(n) => f(NumBuf::new(n).as_str()),
        _ => f("0"),
    }
}

/// Orders `paddedVersionString(actual)` against an already padded operand,
/// comparing UTF-16 code units as JavaScript's `<` does on strings.
pub(crate) fn cmp_version(actual: JsVal<'_>, padded: &str) -> Ordering {
    with_source(actual, |src| {
        let mut cmp = Utf16Cmp::new(padded);
        padded_pieces(src, &mut cmp);
        cmp.finish()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn padded(v: Value) -> String {
        padded_version(&v)
    }

    #[test]
    fn pads_like_growthbook() {
        assert_eq!(padded(json!("1.2.3")), "    1-    2-    3-~");
        assert_eq!(
            padded(json!("v1.2.3-rc.1+build123")),
            "    1-    2-    3-rc-    1"
        );
        assert_eq!(padded(json!("1.2")), "    1-    2");
        assert_eq!(padded(json!(1.5)), "    1-    5");
        assert_eq!(padded(json!("")), "    0");
        assert_eq!(padded(json!(null)), "    0");
        assert_eq!(padded(json!("123456.1.x")), "123456-    1-x-~");
        assert_eq!(padded(json!("1+a\n+b")), "1+a\n");
        assert_eq!(padded(json!("v+1.2.3")), "");
        assert_eq!(padded(json!("1.2.3+4\n5")), "    1-    2-3+4\n5-~");
    }

    #[test]
    fn compares_without_allocating() {
        let op = padded(json!("1.10.0"));
        let v = json!("1.9.0");
        assert_eq!(cmp_version(JsVal::Json(&v), &op), Ordering::Less);
        let v = json!("1.10.0");
        assert_eq!(cmp_version(JsVal::Json(&v), &op), Ordering::Equal);
        let v = json!("1.10.0-beta");
        assert_eq!(cmp_version(JsVal::Json(&v), &op), Ordering::Less);
    }
}
