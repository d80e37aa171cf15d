//! Translates a JavaScript regular expression, as GrowthBook builds it with
//! `new RegExp(pattern)` or `new RegExp(pattern, "i")` (non-Unicode mode with the
//! Annex B grammar that V8 accepts), into a Rust `regex` pattern with the same
//! matches, and caches the compiled result. Lookaround and backreferences are
//! left out: the `regex` crate cannot express them, so such patterns report
//! `Unsupported` and the operator fails, as for an invalid pattern.

mod charset;
mod parser;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use regex::Regex;

use charset::map_unit;
use parser::Parser;

/// Why a pattern has no translation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TranslateError {
    /// JavaScript rejects the pattern with a SyntaxError.
    Syntax,
    /// JavaScript accepts it, but it uses lookaround or a backreference.
    Unsupported,
}

type Res<T> = Result<T, TranslateError>;

/// Compiled regexes by (pattern, ignore case); `None` records a failure.
type RegexCache = HashMap<(String, bool), Option<Arc<Regex>>>;

/// Compiles `pattern` as GrowthBook's `getRegex` would, from a process-wide cache.
/// `None` means the operator fails (syntax error, unsupported feature, or a
/// pattern too large for the `regex` crate).
pub(crate) fn compile_cached(pattern: &str, ignore_case: bool) -> Option<Arc<Regex>> {
    static CACHE: LazyLock<Mutex<RegexCache>> = LazyLock::new(|| Mutex::new(HashMap::new()));
    let key = (pattern.to_owned(), ignore_case);
    if let Some(hit) = CACHE.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return hit.clone();
    }
    let compiled = translate(pattern, ignore_case)
        .ok()
        .and_then(|p| Regex::new(&p).ok())
        .map(Arc::new);
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    // The cache is bounded so that a stream of distinct patterns cannot grow it
    // without limit; clearing it only costs recompiling.
    if cache.len() >= 4096 {
        cache.clear();
    }
    cache.insert(key, compiled.clone());
    compiled
}

/// `regex.test(haystack)`: haystack characters outside the BMP are split into
/// their two (mapped) surrogate code units first, as JavaScript sees them.
pub(crate) fn is_match(re: &Regex, haystack: &str) -> bool {
    if !haystack.bytes().any(|b| b >= 0xF0) {
        return re.is_match(haystack);
    }
    let mut mapped = String::with_capacity(haystack.len() + 8);
    for unit in haystack.encode_utf16() {
        mapped.push(map_unit(unit));
    }
    re.is_match(&mapped)
}

/// Translates a JavaScript pattern to an equivalent `regex` crate pattern.
pub(crate) fn translate(pattern: &str, ignore_case: bool) -> Res<String> {
    let src = escape_slashes(pattern);
    let (ncaps, named) = scan_captures(&src);
    Parser::new(src, ignore_case, ncaps, named).run()
}

/// GrowthBook's `regex.replace(/([^\\])\//g, "$1\\/")`, over UTF-16 code units.
fn escape_slashes(pattern: &str) -> Vec<u16> {
    let units: Vec<u16> = pattern.encode_utf16().collect();
    let mut out = Vec::with_capacity(units.len() + 4);
    let mut i = 0;
    while i < units.len() {
        if i + 1 < units.len() && units[i] != u16::from(b'\\') && units[i + 1] == u16::from(b'/') {
            out.extend_from_slice(&[units[i], u16::from(b'\\'), u16::from(b'/')]);
            i += 2;
        } else {
            out.push(units[i]);
            i += 1;
        }
    }
    out
}

/// V8's `ScanForCaptures`: the number of capturing groups, and whether any is named.
fn scan_captures(src: &[u16]) -> (usize, bool) {
    let at = |i: usize| src.get(i).copied().map(u32::from);
    let (mut i, mut n, mut named) = (0, 0, false);
    while i < src.len() {
        match char::from_u32(u32::from(src[i])) {
            Some('\\') => i += 1,
            Some('[') => {
                i += 1;
                while i < src.len() {
                    let c = src[i];
                    if c == u16::from(b'\\') {
                        i += 1;
                    } else if c == u16::from(b']') {
                        break;
                    }
                    i += 1;
                }
            }
            Some('(') => {
                if at(i + 1) == Some('?' as u32) {
                    if at(i + 2) == Some('<' as u32)
                        && at(i + 3) != Some('=' as u32)
                        && at(i + 3) != Some('!' as u32)
                    {
                        n += 1;
                        named = true;
                    }
                } else {
                    n += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    (n, named)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test(pattern: &str, ic: bool, hay: &str) -> Option<bool> {
        compile_cached(pattern, ic).map(|re| is_match(&re, hay))
    }

    #[test]
    fn annex_b_quirks() {
        assert_eq!(test(r"\1", false, "\u{1}"), Some(true));
        assert_eq!(test(r"\8", false, "8"), Some(true));
        assert_eq!(test(r"[\1]", false, "\u{1}"), Some(true));
        assert_eq!(test(r"\u{2}", false, "uu"), Some(true));
        assert_eq!(test(r"\c", false, "\\c"), Some(true));
        assert_eq!(test(r"[\c]", false, "\\"), Some(true));
        assert_eq!(test(r"[\c_]", false, "\u{1f}"), Some(true));
        assert_eq!(test(r"x{1,", false, "x{1,"), Some(true));
        assert_eq!(test(r"[]", false, ""), Some(false));
        assert_eq!(test(r"[^]", false, "\n"), Some(true));
        assert_eq!(test(r"\400", false, " 0"), Some(true));
    }

    #[test]
    fn syntax_errors_and_unsupported() {
        for p in [
            "a{2,1}",
            "{1}",
            "a{1}{2}",
            "a**",
            "^*",
            r"\b+",
            "(",
            ")",
            "(?x)",
            "[z-a]",
            "\\",
            "(?<a>x)(?<a>y)",
        ] {
            assert_eq!(translate(p, false), Err(TranslateError::Syntax), "{p}");
        }
        for p in ["(?=a)", "(?<=a)", "(a)\\1", "(?<a>x)\\k<a>"] {
            assert_eq!(translate(p, false), Err(TranslateError::Unsupported), "{p}");
        }
    }

    #[test]
    fn case_insensitive_is_javascript_not_unicode() {
        assert_eq!(test("s", true, "\u{17f}"), Some(false));
        assert_eq!(test("k", true, "\u{212a}"), Some(false));
        assert_eq!(test("[^a]", true, "A"), Some(false));
        assert_eq!(test("\u{e9}", true, "\u{c9}"), Some(true));
    }

    #[test]
    fn astral_characters_are_two_units() {
        assert_eq!(test("^.$", false, "\u{1F600}"), Some(false));
        assert_eq!(test("^..$", false, "\u{1F600}"), Some(true));
        assert_eq!(test("\u{1F600}", false, "a\u{1F600}"), Some(true));
    }
}
