//! GrowthBook's regexes, compiled and run by `regress` (an ECMAScript regex
//! engine) exactly as the SDK's `getRegex` builds them:
//! `new RegExp(pattern.replace(/([^\\])\//g, "$1\\/"), insensitive ? "i" : undefined)`,
//! that is without the `u` flag. Without `u`, JavaScript reads both the pattern
//! and the subject as UTF-16 code units (an astral character is two units), so
//! the pattern is handed to regress as code units and the subject is matched
//! with `find_from_ucs2`.
//!
//! regress is a backtracking engine with no step limit, so each compiled
//! pattern carries the longest subject it may run on (see `cost`): a longer
//! subject fails the operator instead of risking catastrophic backtracking.

mod compat;
mod cost;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

/// A compiled GrowthBook regex.
#[derive(Debug)]
pub(crate) struct JsRegex {
    re: regress::Regex,
    /// The longest subject, in UTF-16 code units, that `is_match` runs the
    /// pattern on; `None`: not even the empty string.
    max_subject_units: Option<usize>,
    /// Swap the subject's characters on which regress's case folding departs
    /// from ECMAScript for stand-ins (see `compat`).
    remap_subject: bool,
}

/// Compiled regexes by (pattern, ignore case); `None` records a failure.
type RegexCache = HashMap<(String, bool), Option<Arc<JsRegex>>>;

/// Bound on the cache: a stream of distinct patterns cannot grow it without
/// limit, and clearing it only costs recompiling.
const CACHE_CAPACITY: usize = 4096;

/// Compiles `pattern` as GrowthBook's `getRegex` would, from a process-wide
/// cache. `None` means the operator fails: JavaScript's `new RegExp` throws a
/// SyntaxError on it (the SDK catches it and fails).
pub(crate) fn compile_cached(pattern: &str, ignore_case: bool) -> Option<Arc<JsRegex>> {
    static CACHE: LazyLock<Mutex<RegexCache>> = LazyLock::new(|| Mutex::new(HashMap::new()));
    let key = (pattern.to_owned(), ignore_case);
    if let Some(hit) = CACHE.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return hit.clone();
    }
    let compiled = compile(pattern, ignore_case).map(Arc::new);
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if cache.len() >= CACHE_CAPACITY {
        cache.clear();
    }
    cache.insert(key, compiled.clone());
    compiled
}

fn compile(pattern: &str, ignore_case: bool) -> Option<JsRegex> {
    let prepared = compat::prepare(&escape_slashes(pattern), ignore_case)?;
    let units = prepared.units;
    let flags = if ignore_case { "i" } else { "" };
    let build = || regress::Regex::from_unicode(units.iter().map(|&u| u32::from(u)), flags).ok();
    let re = if prepared.deep {
        // regress recurses per alternative and nesting level: give it a stack
        // that does not depend on the caller's.
        std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("kerro-regex-compile".into())
                .stack_size(compat::DEEP_STACK)
                .spawn_scoped(scope, build)
                .ok()
                .and_then(|handle| handle.join().ok())
                .flatten()
        })?
    } else {
        build()?
    };
    Some(JsRegex {
        re,
        max_subject_units: cost::max_subject_units(&units, ignore_case),
        remap_subject: prepared.remap_subject,
    })
}

/// Subjects up to this many UTF-16 code units are encoded on the stack.
const STACK_UNITS: usize = 256;

/// `regex.test(haystack)`, or `None` when the subject is longer than the
/// pattern's backtracking guard allows (the operator then fails, negated or not).
pub(crate) fn is_match(re: &JsRegex, haystack: &str) -> Option<bool> {
    let max = re.max_subject_units?;
    // UTF-16 length ≤ UTF-8 length, so short strings skip the count.
    if haystack.len() > max && haystack.encode_utf16().nth(max).is_some() {
        return None;
    }
    let mut stack = [0u16; STACK_UNITS];
    let mut heap = Vec::new();
    let units: &mut [u16] = if haystack.len() <= STACK_UNITS {
        let mut n = 0;
        for u in haystack.encode_utf16() {
            stack[n] = u;
            n += 1;
        }
        &mut stack[..n]
    } else {
        heap.extend(haystack.encode_utf16());
        &mut heap
    };
    if re.remap_subject && units.iter().any(|&u| compat::fold_different(u)) {
        compat::remap_subject(units);
    }
    Some(re.re.find_from_ucs2(units, 0).next().is_some())
}

/// GrowthBook's `regex.replace(/([^\\])\//g, "$1\\/")`, over UTF-16 code units:
/// each `/` preceded by a character other than a backslash gets a backslash,
/// matching left to right without overlap, as a global replace does.
fn escape_slashes(pattern: &str) -> Vec<u16> {
    const BACKSLASH: u16 = b'\\' as u16;
    const SLASH: u16 = b'/' as u16;
    let units: Vec<u16> = pattern.encode_utf16().collect();
    let mut out = Vec::with_capacity(units.len() + 4);
    let mut i = 0;
    while i < units.len() {
        if i + 1 < units.len() && units[i] != BACKSLASH && units[i + 1] == SLASH {
            out.extend_from_slice(&[units[i], BACKSLASH, SLASH]);
            i += 2;
        } else {
            out.push(units[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test(pattern: &str, ic: bool, hay: &str) -> Option<bool> {
        compile_cached(pattern, ic).and_then(|re| is_match(&re, hay))
    }

    #[test]
    fn slashes_are_escaped_like_the_sdk() {
        let s = |p: &str| String::from_utf16(&escape_slashes(p)).unwrap();
        assert_eq!(s("a/b"), "a\\/b");
        assert_eq!(s("/a"), "/a");
        assert_eq!(s("a//"), "a\\//");
        assert_eq!(s("a\\/b"), "a\\/b");
        assert_eq!(s("\u{e9}/"), "\u{e9}\\/");
    }

    #[test]
    fn annex_b_quirks() {
        assert_eq!(test(r"\1", false, "\u{1}"), Some(true));
        assert_eq!(test(r"\8", false, "8"), Some(true));
        assert_eq!(test(r"[\1]", false, "\u{1}"), Some(true));
        assert_eq!(test(r"\u{2}", false, "uu"), Some(true));
        assert_eq!(test(r"\c", false, "\\c"), Some(true));
        assert_eq!(test(r"[\c_]", false, "\u{1f}"), Some(true));
        assert_eq!(test(r"x{1,", false, "x{1,"), Some(true));
        assert_eq!(test(r"[]", false, ""), Some(false));
        assert_eq!(test(r"[^]", false, "\n"), Some(true));
        assert_eq!(test(r"\400", false, " 0"), Some(true));
        assert_eq!(test(r"\p{L}", false, "p{L}"), Some(true));
    }

    #[test]
    fn syntax_errors_fail() {
        for p in [
            "a{2,1}", "{1}", "a{1}{2}", "a**", "^*", r"\b+", r"\B{2}", r"\b?", "(", ")", "(?x)",
            "[z-a]", "\\", "(?<1>a)",
        ] {
            assert!(compile_cached(p, false).is_none(), "{p}");
        }
        // `\b` in a class is a backspace; `{` that is no quantifier is a brace.
        assert_eq!(test(r"[\b]+", false, "\u{8}"), Some(true));
        assert_eq!(test(r"\b{", false, "a{"), Some(true));
    }

    #[test]
    fn u_escapes_without_the_u_flag() {
        // `\u` without four hex digits is the letter u (regress reads `\u{…}`).
        assert_eq!(test(r"^\u{2}$", false, "uu"), Some(true));
        assert_eq!(test(r"\u{41}", false, "A"), Some(false));
        assert_eq!(test(r"^[\u{41}]$", false, "{"), Some(true));
        assert_eq!(test(r"^\u12$", false, "u12"), Some(true));
        // Escaped surrogates are separate code units (regress would join them).
        assert_eq!(test(r"^\uD83D\uDE00$", false, "\u{1F600}"), Some(true));
        assert_eq!(test(r"^[\uD83D\uDE00]$", false, "\u{1F600}"), Some(false));
        assert_eq!(
            test(r"^\uD83D\uDE00+$", false, "\u{1F600}\u{1F600}"),
            Some(false)
        );
        assert_eq!(test(r"^\uD83D", false, "\u{1F600}"), Some(true));
        // Group names may use `\u{…}`; they are left alone.
        assert_eq!(test(r"(?<\u{61}>x)\k<\u{61}>", false, "xx"), Some(true));
    }
    #[test]
    fn sizes_regress_cannot_compile_safely_fail() {
        // regress recurses once per alternative: deep patterns are compiled
        // on a thread of their own, so a caller's small stack is enough.
        let alternatives = |n: usize| vec!["ab"; n].join("|");
        let ok = alternatives(compat::MAX_ALTERNATIVES + 1);
        let too_many = alternatives(compat::MAX_ALTERNATIVES + 2);
        let small_stack = std::thread::Builder::new().stack_size(128 << 10);
        let handle = small_stack.spawn(move || {
            (
                test(&ok, false, "xab").is_some(),
                compile_cached(&too_many, false).is_some(),
            )
        });
        assert_eq!(handle.unwrap().join().unwrap(), (true, false));
        // `|` inside a class or escaped does not count.
        assert!(compile_cached(&"[|]\\|".repeat(2000), false).is_some());
        assert!(compile_cached(&"a".repeat(compat::MAX_PATTERN_UNITS), false).is_some());
        assert!(compile_cached(&"a".repeat(compat::MAX_PATTERN_UNITS + 1), false).is_none());
        // Lookarounds nest at most 8 deep (regress recurses on them as it matches).
        let looks = |n: usize| "(?<=".repeat(n) + "a" + &")".repeat(n);
        assert_eq!(
            test(&looks(compat::MAX_LOOKAROUND_NESTING), false, "aa"),
            Some(true)
        );
        assert!(compile_cached(&looks(compat::MAX_LOOKAROUND_NESTING + 1), false).is_none());
        let handle = std::thread::Builder::new()
            .stack_size(128 << 10)
            .spawn(move || test(&looks(compat::MAX_LOOKAROUND_NESTING), true, "aa"));
        assert_eq!(handle.unwrap().join().unwrap(), Some(true));
        // regress refuses groups nested more than 256 deep.
        let nested = |n: usize| "(".repeat(n) + "a" + &")".repeat(n);
        assert_eq!(test(&nested(200), false, "a"), Some(true));
        assert!(compile_cached(&nested(300), false).is_none());
    }

    #[test]
    fn lookaround_and_backreferences() {
        assert_eq!(test("a(?=b)", false, "ab"), Some(true));
        assert_eq!(test("a(?!b)", false, "ab"), Some(false));
        assert_eq!(test("(?<=a)b", false, "ab"), Some(true));
        assert_eq!(test("(?<!a)b", false, "ab"), Some(false));
        assert_eq!(test(r"^(a)\1$", false, "aa"), Some(true));
        assert_eq!(test(r"^(?<x>a)\k<x>$", false, "aa"), Some(true));
        assert_eq!(test(r"^(a)\1$", true, "aA"), Some(true));
    }

    #[test]
    fn case_insensitive_is_javascript_not_unicode() {
        assert_eq!(test("s", true, "\u{17f}"), Some(false));
        assert_eq!(test("S", true, "\u{17f}"), Some(false));
        assert_eq!(test("i", true, "\u{131}"), Some(false));
        assert_eq!(test("k", true, "\u{212a}"), Some(false));
        assert_eq!(test("[a-z]", true, "\u{212a}"), Some(false));
        assert_eq!(test(r"\w", true, "\u{17f}"), Some(false));
        assert_eq!(test(r"\W", true, "\u{17f}"), Some(true));
        assert_eq!(test(r"^[^\W]$", true, "K"), Some(true));
        assert_eq!(test(r"^[\W]$", true, "k"), Some(false));
        assert_eq!(test(r"^[\W]$", true, "\u{212a}"), Some(true));
        assert_eq!(test("[^a]", true, "A"), Some(false));
        assert_eq!(test("[^s]", true, "\u{17f}"), Some(true));
        assert_eq!(test("\u{e9}", true, "\u{c9}"), Some(true));
        assert_eq!(test("\u{3c3}", true, "\u{3a3}"), Some(true));
        // Backreferences compare canonical forms: ſ and ı stay distinct.
        assert_eq!(test(r"^(.)\1$", true, "\u{17f}\u{17f}"), Some(true));
        assert_eq!(test(r"^(.)\1$", true, "\u{17f}\u{131}"), Some(false));
        assert_eq!(test(r"^(.)\1$", true, "s\u{17f}"), Some(false));
        assert_eq!(test(r"^(.)\1$", true, "\u{17f}\u{f000}"), Some(false));
        // The stand-ins are chosen outside the subject.
        assert_eq!(test("^\u{17f}$", false, "\u{17f}"), Some(true));
        assert_eq!(test(r"^.\W$", true, "\u{f000}\u{17f}"), Some(true));
    }

    #[test]
    fn remaining_case_differences_need_the_pattern_to_name_them() {
        // Known difference (README): a case-insensitive pattern naming ſ, K,
        // … is folded by regress; ECMAScript would not match here.
        assert_eq!(test("\u{17f}", true, "s"), Some(true));
        assert_eq!(test(r"[\u212a]", true, "k"), Some(true));
    }

    #[test]
    fn astral_characters_are_two_units() {
        assert_eq!(test("^.$", false, "\u{1F600}"), Some(false));
        assert_eq!(test("^..$", false, "\u{1F600}"), Some(true));
        assert_eq!(test("\u{1F600}", false, "a\u{1F600}"), Some(true));
        assert_eq!(test("^[\u{1F600}]$", false, "\u{1F600}"), Some(false));
        assert_eq!(
            test("^\u{1F600}+$", false, "\u{1F600}\u{1F600}"),
            Some(false)
        );
        assert_eq!(test("^\\uD83D", false, "\u{1F600}"), Some(true));
    }

    #[test]
    fn long_subjects_use_the_heap() {
        let long = "x".repeat(10_000) + "abc";
        assert_eq!(test("abc$", false, &long), Some(true));
        assert_eq!(test("^x+abc$", false, &long), Some(true));
    }
}

/// Worst-case timings of the backtracking guard, for tuning `cost::BUDGET`:
/// each pattern runs on an adversarial subject as long as its limit allows.
/// `cargo test --release -p kerro-condition --lib guard_timings -- --ignored --nocapture`
#[cfg(test)]
mod guard_timings {
    use super::*;

    #[test]
    #[ignore = "timings, for tuning the budget"]
    fn guard_timings() {
        let cases: &[(&str, bool, &str, &str)] = &[
            ("(a+)+$", false, "a", "!"),
            ("(a|a)+$", false, "a", "!"),
            ("(a|aa)+$", false, "a", "!"),
            ("((a+)+)+$", false, "a", "!"),
            ("(\\w+\\s?)+$", false, "a", "!"),
            ("(?:a?){40}a{40}", false, "a", ""),
            (".*x", false, "a", ""),
            (".*.*x", false, "a", ""),
            (".*.*.*x", false, "a", ""),
            (".*.*.*.*.*x", false, "a", ""),
            ("^.*foo.*bar.*\\n$", false, "foobar", ""),
            ("(?:ab)+$", false, "ab", "!"),
            ("(.*)\\1x", false, "a", ""),
            ("(?=.*a)(?=.*b)(?=.*c).*d", false, "ab", ""),
            ("a{2,}b", true, "a", ""),
            ("x{2147483647}", false, "x", ""),
            ("abc", false, "ab", ""),
            ("^(\\d+\\.)*\\d+$", false, "1.", "x"),
            ("(?<=a+)b", false, "a", ""),
            ("\\d+\\.\\d+\\.\\d+", false, "1.", ""),
            ("(Mobile|Tablet).*Safari", true, "Mobile ", ""),
            ("((a{1000}){1000}){1000}", false, "a", ""),
            ("^[\\w.+-]+@([\\w-]+\\.)+[\\w-]{2,}$", true, "a", "!"),
            ("^[\\w.+-]+@([\\w-]+\\.)+[\\w-]{2,}$", true, "a.", "!"),
            ("([\\w-]+\\.)+com", true, "a.", "!"),
            ("^(a+)+$", false, "a", "!"),
            ("(\\d+)+\\.", false, "1", ""),
            ("\"[^\"]*\"", false, "\"", ""),
        ];
        for &(p, ic, fill, tail) in cases {
            let re = compile_cached(p, ic).unwrap();
            let max = re.max_subject_units.unwrap_or(0);
            let n = max.saturating_sub(tail.len()) / fill.len();
            let s = fill.repeat(n) + tail;
            let t = std::time::Instant::now();
            let m = is_match(&re, &s).expect("within the guard");
            println!(
                "{p:32} max={max:10} len={:10} match={m} {:?}",
                s.len(),
                t.elapsed()
            );
        }
    }
}
