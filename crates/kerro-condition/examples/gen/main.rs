//! Generates random GrowthBook conditions, attribute objects and saved groups as
//! JSON lines `{"condition", "attributes", "savedGroups"}` for the differential
//! test (`difftest/run.sh`); the same seed always gives the same lines.
//!
//! Usage: `gen --seed 1 --count 100000 [--focus all|regex|ops] [--include-not-regex]`.
//! `--focus regex` emits one regex operator per case against random strings;
//! `--focus ops` one operator (or a literal) applied to one attribute, so that
//! every operator decides the outcome.
//!
//! It leaves out, on purpose, the inputs where kerro knowingly differs from the
//! npm SDK (see README.md): `$notRegex`/`$notRegexi` unless asked for (the npm
//! SDK treats them as unknown); regex operands whose text would collide in the
//! SDK's process-wide regex cache (patterns ending in "/i", or equal to the text
//! of a non-string operand); ES2025 regex syntax that Node.js up to 22 rejects
//! (modifiers such as `(?i:…)`, a group name used twice); case-insensitive
//! patterns naming a character on which regress folds case differently; and
//! regexes that kerro's backtracking guard would refuse to run on the subject
//! (asked of kerro itself, see `guard_allows`).

use std::process::ExitCode;

use serde_json::{json, Map, Value};

use kerro_condition::{Condition, FieldTest, Node, Op};

mod pools;

use pools::{
    CURATED_PATTERNS, FOLD_DIFFERENT, GROUP_IDS, HAYSTACK_CHARS, KEYS, NON_STRING_PATTERN_TEXTS,
    PATTERN_TOKENS, STRS, SUBKEYS, VERSIONS,
};

/// SplitMix64: tiny, seedable, good enough for test-case generation.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn scalar(r: &mut Rng) -> Value {
    match r.below(10) {
        0..=4 => json!(r.pick(STRS)),
        5..=7 => {
            let nums: [f64; 15] = [
                0.0,
                1.0,
                2.0,
                3.0,
                5.0,
                10.0,
                -1.0,
                1.5,
                0.1,
                0.30000000000000004,
                1e21,
                1e-7,
                255.0,
                -0.0,
                2.5,
            ];
            let n = *r.pick(&nums);
            if n.fract() == 0.0 && n.abs() < 1e15 && !(n == 0.0 && n.is_sign_negative()) {
                json!(n as i64)
            } else {
                json!(n)
            }
        }
        8 => json!(*r.pick(&[true, false])),
        _ => match r.below(4) {
            0 => json!(9_007_199_254_740_993u64),
            1 => json!(123_456_789.125),
            _ => Value::Null,
        },
    }
}

fn value(r: &mut Rng, depth: usize) -> Value {
    if depth >= 3 || r.chance(60) {
        return scalar(r);
    }
    if r.chance(55) {
        let n = r.below(5);
        Value::Array((0..n).map(|_| value(r, depth + 1)).collect())
    } else {
        let n = r.below(4);
        let mut m = Map::new();
        for _ in 0..n {
            let k = if r.chance(70) {
                r.pick(SUBKEYS)
            } else {
                r.pick(KEYS)
            };
            m.insert((*k).to_owned(), value(r, depth + 1));
        }
        Value::Object(m)
    }
}

fn attributes(r: &mut Rng) -> Value {
    if r.chance(4) {
        return match r.below(4) {
            0 => json!(["a", 1]),
            1 => json!("abc"),
            2 => Value::Null,
            _ => json!(5),
        };
    }
    let mut m = Map::new();
    for _ in 0..2 + r.below(6) {
        let k = *r.pick(KEYS);
        let v = match k {
            "obj" => {
                let mut o = Map::new();
                for _ in 0..1 + r.below(3) {
                    o.insert((*r.pick(SUBKEYS)).to_owned(), value(r, 1));
                }
                Value::Object(o)
            }
            "arr" | "tags" => Value::Array((0..r.below(5)).map(|_| value(r, 2)).collect()),
            "v" => json!(r.pick(VERSIONS)),
            _ => value(r, 1),
        };
        m.insert(k.to_owned(), v);
    }
    Value::Object(m)
}

fn path(r: &mut Rng) -> String {
    match r.below(10) {
        0..=5 => (*r.pick(KEYS)).to_owned(),
        6..=7 => format!("{}.{}", r.pick(KEYS), r.pick(SUBKEYS)),
        8 => format!("{}.{}.{}", r.pick(KEYS), r.pick(SUBKEYS), r.pick(SUBKEYS)),
        _ => (*r.pick(&[
            "a..b",
            "arr.length",
            "obj.__proto__.constructor",
            "s.length",
            ".",
            "arr.__proto__.length",
            "obj.a.length",
            "tags.0",
            "tags.1",
            "arr.01",
            "obj.toString",
            "constructor.name",
            "x.y",
        ]))
        .to_owned(),
    }
}

/// No attribute value the generator makes is longer than this as a string
/// (the longest seen over millions of cases is under 150 UTF-16 units).
const MAX_SUBJECT_UNITS: usize = 256;

/// A regex operand for operator `op`, to be tested against subjects of at most
/// `subject_units` UTF-16 code units.
fn pattern(r: &mut Rng, op: &str, subject_units: usize) -> Value {
    if r.chance(10) {
        return r
            .pick(&[
                json!(null),
                json!(true),
                json!(42),
                json!({"k": 1}),
                json!(["q", "r"]),
            ])
            .clone();
    }
    let insensitive = op.ends_with('i');
    for _ in 0..20 {
        let p = if r.chance(40) {
            (*r.pick(CURATED_PATTERNS)).to_owned()
        } else {
            (0..1 + r.below(7))
                .map(|_| *r.pick(PATTERN_TOKENS))
                .collect::<String>()
        };
        if pattern_allowed(&p, insensitive) && guard_allows(insensitive, &p, subject_units) {
            return json!(p);
        }
    }
    json!("abc")
}

/// Whether `p` avoids the documented regex differences that depend on the
/// pattern alone (see the module documentation).
fn pattern_allowed(p: &str, insensitive: bool) -> bool {
    let cache_collision = p.ends_with("/i") || NON_STRING_PATTERN_TEXTS.contains(&p);
    // `(?i:`, `(?-i:`, `(?ims-s:` …: modifiers (ES2025).
    let modifiers = p.match_indices("(?").any(|(i, _)| {
        p[i + 2..]
            .chars()
            .next()
            .is_some_and(|c| "ims-".contains(c))
    });
    let mut names: Vec<&str> = p
        .match_indices("(?<")
        .filter_map(|(i, _)| {
            let rest = &p[i + 3..];
            let end = rest.find('>')?;
            (!rest.starts_with('=') && !rest.starts_with('!')).then(|| &rest[..end])
        })
        .collect();
    let count = names.len();
    names.sort_unstable();
    names.dedup();
    let duplicate_name = names.len() != count;
    !(cache_collision || modifiers || duplicate_name || (insensitive && names_fold_different(p)))
}

/// Whether a case-insensitive pattern may name a character on which regress
/// folds case differently from ECMAScript: one of them written out or as a
/// `\u` escape, or a class range with a non-ASCII end (kerro's rule in
/// `regexp::compat`, over-estimated).
fn names_fold_different(p: &str) -> bool {
    let units: Vec<u16> = p.encode_utf16().collect();
    let different = |u: u16| {
        FOLD_DIFFERENT
            .iter()
            .any(|&(lo, hi)| (lo..=hi).contains(&u))
    };
    let escaped = units.windows(6).any(|w| {
        w[0] == u16::from(b'\\')
            && w[1] == u16::from(b'u')
            && String::from_utf16(&w[2..])
                .ok()
                .and_then(|h| u16::from_str_radix(&h, 16).ok())
                .is_some_and(|v| different(v) || v >= 0xF000)
    });
    let non_ascii_class_range = p.contains('[') && p.contains('-') && !p.is_ascii();
    units.iter().any(|&u| different(u)) || escaped || non_ascii_class_range
}

/// Whether kerro's backtracking guard lets pattern `p` run on a subject of
/// `units` UTF-16 code units. A refused test fails both `$regex` and
/// `$notRegex`, which a compiled pattern otherwise never does; the guard
/// depends on the subject's length only.
fn guard_allows(insensitive: bool, p: &str, units: usize) -> bool {
    let (test, negated) = if insensitive {
        ("$regexi", "$notRegexi")
    } else {
        ("$regex", "$notRegex")
    };
    let (Ok(pos), Ok(neg)) = (
        Condition::compile(&json!({"s": {test: p}})),
        Condition::compile(&json!({"s": {negated: p}})),
    ) else {
        return true;
    };
    if !regex_compiled(pos.root()) {
        return true; // an invalid pattern fails everywhere, guard or not
    }
    let subject = json!({"s": "\u{1}".repeat(units)});
    pos.eval(&subject, &Map::new()) || neg.eval(&subject, &Map::new())
}

fn regex_compiled(node: &Node) -> bool {
    match node {
        Node::And(children) => children.iter().any(regex_compiled),
        Node::Field {
            test: FieldTest::Ops(ops),
            ..
        } => ops
            .iter()
            .any(|op| matches!(op, Op::Regex(r) if r.is_compiled())),
        _ => false,
    }
}

fn operand(r: &mut Rng, name: &str, depth: usize) -> Value {
    match name {
        "$eq" | "$ne" | "$lt" | "$lte" | "$gt" | "$gte" => {
            if r.chance(80) {
                scalar(r)
            } else {
                value(r, 2)
            }
        }
        "$exists" => r
            .pick(&[
                json!(true),
                json!(false),
                json!(0),
                json!(1),
                json!(""),
                json!("x"),
                json!(null),
                json!([]),
            ])
            .clone(),
        "$in" | "$nin" | "$ini" | "$nini" => {
            if r.chance(85) {
                Value::Array(
                    (0..r.below(6))
                        .map(|_| if r.chance(90) { scalar(r) } else { value(r, 2) })
                        .collect(),
                )
            } else {
                scalar(r)
            }
        }
        "$inGroup" | "$notInGroup" => {
            if r.chance(85) {
                json!(r.pick(GROUP_IDS))
            } else {
                r.pick(&[json!(1), json!(null), json!(["g1"]), json!({})])
                    .clone()
            }
        }
        "$not" => cond_value(r, depth + 1),
        "$size" => match r.below(10) {
            0..=5 => json!(r.below(4)),
            6..=8 => op_object(r, depth + 1),
            _ => r
                .pick(&[json!("2"), json!(null), json!([1]), json!(true)])
                .clone(),
        },
        "$elemMatch" => match r.below(10) {
            0..=3 => op_object(r, depth + 1),
            4..=7 => condition(r, depth + 1),
            _ => r
                .pick(&[
                    json!(null),
                    json!(5),
                    json!("ab"),
                    json!([]),
                    json!({}),
                    json!(true),
                ])
                .clone(),
        },
        "$all" | "$alli" => {
            if r.chance(85) {
                Value::Array(
                    (0..r.below(4))
                        .map(|_| {
                            if r.chance(75) {
                                scalar(r)
                            } else {
                                cond_value(r, depth + 1)
                            }
                        })
                        .collect(),
                )
            } else {
                scalar(r)
            }
        }
        "$regex" | "$regexi" | "$notRegex" | "$notRegexi" => pattern(r, name, MAX_SUBJECT_UNITS),
        "$type" => r
            .pick(&[
                json!("string"),
                json!("number"),
                json!("boolean"),
                json!("array"),
                json!("null"),
                json!("object"),
                json!("undefined"),
                json!("unknown"),
                json!(5),
                json!(null),
            ])
            .clone(),
        "$veq" | "$vne" | "$vgt" | "$vgte" | "$vlt" | "$vlte" => match r.below(10) {
            0..=7 => json!(r.pick(VERSIONS)),
            8 => json!(*r.pick(&[1, 2, 10])),
            _ => r
                .pick(&[json!(null), json!(1.5), json!(true), json!([1])])
                .clone(),
        },
        _ => value(r, 2),
    }
}

/// Every operator the generator uses (known ones, several twice, and unknown ones).
fn op_names() -> Vec<&'static str> {
    let mut ops: Vec<&str> = vec![
        "$eq",
        "$ne",
        "$lt",
        "$lte",
        "$gt",
        "$gte",
        "$exists",
        "$in",
        "$nin",
        "$ini",
        "$nini",
        "$inGroup",
        "$notInGroup",
        "$not",
        "$size",
        "$elemMatch",
        "$all",
        "$alli",
        "$regex",
        "$regexi",
        "$type",
        "$veq",
        "$vne",
        "$vgt",
        "$vgte",
        "$vlt",
        "$vlte",
        "$regex",
        "$regexi",
        "$in",
        "$elemMatch",
        "$foo",
        "$regx",
        "$savedGroup",
        "$or",
        "$and",
        "$exist",
        "$IN",
        "$",
    ];
    if INCLUDE_NOT_REGEX.load(std::sync::atomic::Ordering::Relaxed) {
        ops.extend(["$notRegex", "$notRegexi"]);
    }
    ops
}

fn op_object(r: &mut Rng, depth: usize) -> Value {
    let mut ops = op_names();
    if depth >= 4 {
        ops.retain(|o| !matches!(*o, "$not" | "$size" | "$elemMatch" | "$all" | "$alli"));
    }
    let mut m = Map::new();
    for _ in 0..1 + r.below(3) {
        let name = *r.pick(&ops);
        let v = operand(r, name, depth);
        m.insert(name.to_owned(), v);
    }
    Value::Object(m)
}

static INCLUDE_NOT_REGEX: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn cond_value(r: &mut Rng, depth: usize) -> Value {
    match r.below(20) {
        0..=4 => scalar(r),
        5 => value(r, 2),
        6 => {
            // Mixed `$` and plain keys: not an operator object, compared as JSON.
            json!({"$in": [1, 2], "a": scalar(r)})
        }
        _ if depth >= 5 => scalar(r),
        _ => op_object(r, depth),
    }
}

fn list_operand(r: &mut Rng, depth: usize) -> Value {
    if r.chance(85) {
        return Value::Array((0..r.below(4)).map(|_| condition(r, depth + 1)).collect());
    }
    match r.below(9) {
        0 => Value::Null,
        1 => json!(5),
        2 => json!("ab"),
        3 => json!(""),
        4 => json!({"length": 1, "0": condition(r, depth + 1)}),
        5 => json!({"length": 2, "0": condition(r, depth + 1)}),
        6 => json!({"length": "x"}),
        7 => json!({"a": 1}),
        _ => json!(true),
    }
}

fn saved_group_ref(r: &mut Rng) -> Value {
    match r.below(10) {
        0..=5 => json!({"id": r.pick(GROUP_IDS)}),
        6..=7 => json!({"id": r.pick(GROUP_IDS), "attributeKey": path(r)}),
        8 => json!({"id": "gl", "attributeKey": null}),
        _ => r
            .pick(&[json!("g1"), json!(null), json!({"id": 5}), json!(["gl"])])
            .clone(),
    }
}

fn condition(r: &mut Rng, depth: usize) -> Value {
    let mut m = Map::new();
    for _ in 0..1 + r.below(3) {
        let roll = if depth >= 3 { 99 } else { r.below(100) };
        let (k, v) = match roll {
            0..=14 => (
                (*r.pick(&["$or", "$and", "$nor"])).to_owned(),
                list_operand(r, depth),
            ),
            15..=20 => (
                "$not".to_owned(),
                if r.chance(5) {
                    Value::Null
                } else {
                    condition(r, depth + 1)
                },
            ),
            21..=24 => ("$savedGroup".to_owned(), saved_group_ref(r)),
            _ => (path(r), cond_value(r, depth)),
        };
        m.insert(k, v);
    }
    Value::Object(m)
}

fn saved_groups(r: &mut Rng) -> Option<Value> {
    if r.chance(20) {
        return None;
    }
    let mut m = Map::new();
    let scalars = |r: &mut Rng| Value::Array((0..r.below(5)).map(|_| scalar(r)).collect());
    m.insert("g1".into(), scalars(r));
    if r.chance(60) {
        m.insert("g2".into(), scalars(r));
    }
    m.insert(
        "gl".into(),
        json!({"type": "list", "attributeKey": r.pick(&["a", "s", "n", "arr", "obj.a", "tags"]), "values": scalars(r)}),
    );
    if r.chance(70) {
        let c = if r.chance(20) {
            json!({"$savedGroup": {"id": "gc"}})
        } else {
            condition(r, 2)
        };
        m.insert("gc".into(), json!({"type": "condition", "condition": c}));
    }
    let bad = r
        .pick(&[
            json!(null),
            json!(5),
            json!("x"),
            json!({"type": "other"}),
            json!({"type": "list"}),
            json!({"type": "list", "values": 5}),
            json!({"type": "condition", "condition": null}),
            json!({"type": "condition"}),
            json!({"type": "condition", "condition": "ab"}),
            json!({}),
            json!({"type": "list", "attributeKey": 5, "values": [1]}),
        ])
        .clone();
    m.insert("gbad".into(), bad);
    if r.chance(30) {
        m.insert("gnull".into(), Value::Null);
    }
    if r.chance(10) {
        m.insert("constructor".into(), scalars(r));
    }
    Some(Value::Object(m))
}

/// A random haystack for the regex focus: short strings over characters that the
/// pattern tokens mention, plus case variants and astral characters.
fn haystack(r: &mut Rng) -> Value {
    if r.chance(15) {
        return scalar(r);
    }
    let s: String = (0..r.below(9)).map(|_| *r.pick(HAYSTACK_CHARS)).collect();
    json!(s)
}

fn focused_condition(r: &mut Rng, focus: &str) -> (Value, Value) {
    match focus {
        "regex" => {
            let op = *r.pick(&["$regex", "$regexi"]);
            let subject = haystack(r);
            // The subject as a string is short: `haystack` or a scalar.
            let units = subject.as_str().map_or(32, |s| s.encode_utf16().count());
            (
                json!({"s": {op: pattern(r, op, units)}}),
                json!({"s": subject}),
            )
        }
        _ => {
            let ops = op_names();
            let op = *r.pick(&ops);
            let cond = if r.chance(15) {
                cond_value(r, 3)
            } else {
                json!({op: operand(r, op, 3)})
            };
            let attr = match r.below(10) {
                0..=3 => value(r, 1),
                4..=6 => Value::Array((0..r.below(4)).map(|_| scalar(r)).collect()),
                7 => json!(r.pick(VERSIONS)),
                _ => haystack(r),
            };
            let attrs = if r.chance(5) {
                json!({})
            } else {
                json!({"s": attr})
            };
            (json!({"s": cond}), attrs)
        }
    }
}

fn top_condition(r: &mut Rng) -> Value {
    if r.chance(3) {
        return r
            .pick(&[
                json!(null),
                json!(5),
                json!(true),
                json!("ab"),
                json!(""),
                json!([{"a": 1}]),
                json!([]),
            ])
            .clone();
    }
    condition(r, 0)
}

fn main() -> ExitCode {
    let mut seed: u64 = 1;
    let mut count: usize = 1000;
    let mut focus = String::from("all");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let parsed = match arg.as_str() {
            "--seed" => args.next().and_then(|v| v.parse().ok()).map(|v| seed = v),
            "--count" => args.next().and_then(|v| v.parse().ok()).map(|v| count = v),
            "--focus" => args
                .next()
                .filter(|f| ["all", "regex", "ops"].contains(&f.as_str()))
                .map(|f| focus = f),
            "--include-not-regex" => {
                INCLUDE_NOT_REGEX.store(true, std::sync::atomic::Ordering::Relaxed);
                Some(())
            }
            _ => None,
        };
        if parsed.is_none() {
            eprintln!(
                "usage: gen [--seed N] [--count N] [--focus all|regex|ops] [--include-not-regex]"
            );
            return ExitCode::from(2);
        }
    }
    let mut r = Rng(seed);
    let mut out = String::new();
    for _ in 0..count {
        let mut line = Map::new();
        if focus == "all" {
            line.insert("condition".into(), top_condition(&mut r));
            line.insert("attributes".into(), attributes(&mut r));
        } else {
            let (c, a) = focused_condition(&mut r, &focus);
            line.insert("condition".into(), c);
            line.insert("attributes".into(), a);
        }
        if let Some(g) = saved_groups(&mut r) {
            line.insert("savedGroups".into(), g);
        }
        out.push_str(&Value::Object(line).to_string());
        out.push('\n');
    }
    print!("{out}");
    ExitCode::SUCCESS
}
