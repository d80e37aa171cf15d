//! JavaScript value semantics over JSON attributes: property lookup (with the
//! prototype properties JavaScript's `in` operator sees), `String()`, `Number()`,
//! truthiness, `typeof`, strict and relational comparison, and `JSON.stringify`
//! equality. It leaves out everything a JSON document cannot produce (symbols,
//! BigInt, `undefined` values, user-defined objects).

mod number;
mod props;

use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::LazyLock;

use serde_json::{Map, Value};

use crate::tree::Prim;

pub(crate) use number::{string_to_number, NumBuf};
pub(crate) use props::is_object_proto_key;
use props::{native_source, ARRAY_PROTO, OBJECT_PROTO};

/// A JavaScript value as GrowthBook's `getPath` can return it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum JsVal<'a> {
    /// A value of the attributes (or a stand-in: a missing path is `null`).
    Json(&'a Value),
    /// A number that is not stored in the attributes, such as an array's `length`.
    Num(f64),
    /// A built-in function reached through a prototype; the text is its `String()`.
    Func(&'static str),
}

pub(crate) static NULL: Value = Value::Null;
static EMPTY_ARRAY: Value = Value::Array(Vec::new());
static EMPTY_OBJECT: LazyLock<Value> = LazyLock::new(|| Value::Object(Map::new()));
/// Where a path lookup stands: on a JSON value or on one of the two prototypes.
enum Cursor<'a> {
    Json(&'a Value),
    ObjectProto,
    ArrayProto,
    Done(JsVal<'a>),
}

/// Parses a canonical array index ("0", "17", not "017" or "+1").
pub(crate) fn array_index(key: &str) -> Option<u64> {
    let b = key.as_bytes();
    if b.is_empty() || b.len() > 10 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if b.len() > 1 && b[0] == b'0' {
        return None;
    }
    key.parse::<u64>().ok().filter(|&n| n <= 4_294_967_294)
}

/// GrowthBook's `getPath`: walks `parts` with `part in current`, returning `null`
/// as soon as the current value is not an object or lacks the property.
pub(crate) fn get_path<'a, 'p>(
    root: &'a Value,
    parts: impl IntoIterator<Item = &'p str>,
) -> JsVal<'a> {
    let mut cur = Cursor::Json(root);
    for part in parts {
        cur = match cur {
            Cursor::Json(Value::Object(map)) => match map.get(part) {
                Some(v) => Cursor::Json(v),
                None if part == "__proto__" => Cursor::ObjectProto,
                None if OBJECT_PROTO.contains(&part) => {
                    Cursor::Done(JsVal::Func(native_source(if part == "constructor" {
                        "Object"
                    } else {
                        part
                    })))
                }
                None => return JsVal::Json(&NULL),
            },
            Cursor::Json(Value::Array(items)) => array_step(part, Some(items)),
            Cursor::ArrayProto => array_step(part, None),
            Cursor::ObjectProto => match part {
                // `Object.prototype.__proto__` is null, and null has no properties.
                "__proto__" => Cursor::Json(&NULL),
                p if OBJECT_PROTO.contains(&p) => {
                    Cursor::Done(JsVal::Func(native_source(if p == "constructor" {
                        "Object"
                    } else {
                        p
                    })))
                }
                _ => return JsVal::Json(&NULL),
            },
            // Strings, numbers, booleans, null and functions are not `typeof "object"`
            // (or are null), so `getPath` stops with null; so does a reached function.
            _ => return JsVal::Json(&NULL),
        };
    }
    match cur {
        Cursor::Json(v) => JsVal::Json(v),
        Cursor::ObjectProto => JsVal::Json(&EMPTY_OBJECT),
        Cursor::ArrayProto => JsVal::Json(&EMPTY_ARRAY),
        Cursor::Done(v) => v,
    }
}

/// One lookup step on an array (`items`) or on `Array.prototype` (`None`).
fn array_step<'a>(part: &str, items: Option<&'a Vec<Value>>) -> Cursor<'a> {
    let len = items.map_or(0, Vec::len);
    if let (Some(idx), Some(items)) = (array_index(part), items) {
        if let Some(v) = usize::try_from(idx).ok().and_then(|i| items.get(i)) {
            return Cursor::Json(v);
        }
    }
    match part {
        "length" => Cursor::Done(JsVal::Num(len as f64)),
        "__proto__" if items.is_some() => Cursor::ArrayProto,
        "__proto__" => Cursor::ObjectProto,
        "constructor" => Cursor::Done(JsVal::Func(native_source("Array"))),
        p if ARRAY_PROTO.contains(&p) || OBJECT_PROTO.contains(&p) => {
            Cursor::Done(JsVal::Func(native_source(p)))
        }
        _ => Cursor::Json(&NULL),
    }
}

impl<'a> JsVal<'a> {
    pub(crate) fn is_null(self) -> bool {
        matches!(self, JsVal::Json(Value::Null))
    }

    /// See [`to_primitive_throws`].
    pub(crate) fn to_primitive_throws(self) -> bool {
        match self {
            JsVal::Json(v) => to_primitive_throws(v),
            JsVal::Num(_) | JsVal::Func(_) => false,
        }
    }

    pub(crate) fn as_array(self) -> Option<&'a Vec<Value>> {
        match self {
            JsVal::Json(Value::Array(a)) => Some(a),
            _ => None,
        }
    }

    /// JavaScript truthiness (`!!value`).
    pub(crate) fn truthy(self) -> bool {
        match self {
            JsVal::Json(v) => json_truthy(v),
            JsVal::Num(n) => n != 0.0 && !n.is_nan(),
            JsVal::Func(_) => true,
        }
    }

    /// GrowthBook's `getType`.
    pub(crate) fn type_name(self) -> &'static str {
        match self {
            JsVal::Json(Value::Null) => "null",
            JsVal::Json(Value::Array(_)) => "array",
            JsVal::Json(Value::Object(_)) => "object",
            JsVal::Json(Value::String(_)) => "string",
            JsVal::Json(Value::Bool(_)) => "boolean",
            JsVal::Json(Value::Number(_)) | JsVal::Num(_) => "number",
            JsVal::Func(_) => "unknown",
        }
    }

    /// `Number(value)`.
    pub(crate) fn to_number(self) -> f64 {
        match self {
            JsVal::Json(v) => json_to_number(v),
            JsVal::Num(n) => n,
            JsVal::Func(_) => f64::NAN,
        }
    }

    /// `String(value)`, borrowing where the value already is a string.
    pub(crate) fn to_js_string(self) -> Cow<'a, str> {
        match self {
            JsVal::Json(Value::String(s)) => Cow::Borrowed(s.as_str()),
            JsVal::Json(Value::Object(_)) => Cow::Borrowed("[object Object]"),
            JsVal::Func(src) => Cow::Borrowed(src),
            other => {
                let mut out = String::new();
                other.write_string(&mut out);
                Cow::Owned(out)
            }
        }
    }

    /// Writes `String(value)` into `sink` piece by piece.
    pub(crate) fn write_string(self, sink: &mut impl Sink) {
        match self {
            JsVal::Json(v) => write_json_string(v, sink),
            JsVal::Num(n) => sink.put(NumBuf::new(n).as_str()),
            JsVal::Func(src) => sink.put(src),
        }
    }

    /// Whether `String(value) === s`, without building the string.
    pub(crate) fn string_equals(self, s: &str) -> bool {
        if let JsVal::Json(Value::String(v)) = self {
            return v == s;
        }
        let mut sink = EqSink { rest: s, ok: true };
        self.write_string(&mut sink);
        sink.ok && sink.rest.is_empty()
    }

    /// The primitive JavaScript's relational operators see (`ToPrimitive`, number hint).
    pub(crate) fn to_primitive(self) -> PrimRef<'a> {
        match self {
            JsVal::Json(Value::Null) => PrimRef::Null,
            JsVal::Json(Value::Bool(b)) => PrimRef::Bool(*b),
            JsVal::Json(Value::Number(n)) => PrimRef::Num(n.as_f64().unwrap_or(f64::NAN)),
            JsVal::Num(n) => PrimRef::Num(n),
            other => PrimRef::Str(other.to_js_string()),
        }
    }

    /// `value === p` for a primitive operand.
    pub(crate) fn strict_eq(self, p: &Prim) -> bool {
        match (self, p) {
            (JsVal::Json(Value::Null), Prim::Null) => true,
            (JsVal::Json(Value::Bool(a)), Prim::Bool(b)) => a == b,
            (JsVal::Json(Value::String(a)), Prim::Str(b)) => a == b,
            (JsVal::Json(Value::Number(a)), Prim::Num(b)) => a.as_f64() == Some(*b),
            (JsVal::Num(a), Prim::Num(b)) => a == *b,
            _ => false,
        }
    }
}

/// Whether converting `v` to a primitive (`String(v)`, `v * 1`, `v < x`) throws a
/// TypeError: an object with an own `toString` property (JSON can only make it a
/// non-function) has no usable conversion, since `valueOf` returns the object
/// itself; an array converts each element when joining them.
pub(crate) fn to_primitive_throws(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.contains_key("toString"),
        Value::Array(items) => items.iter().any(to_primitive_throws),
        _ => false,
    }
}

/// A borrowed primitive, the result of `ToPrimitive`.
pub(crate) enum PrimRef<'a> {
    Null,
    Bool(bool),
    Num(f64),
    Str(Cow<'a, str>),
}

impl PrimRef<'_> {
    fn to_number(&self) -> f64 {
        match self {
            PrimRef::Null => 0.0,
            PrimRef::Bool(b) => f64::from(u8::from(*b)),
            PrimRef::Num(n) => *n,
            PrimRef::Str(s) => string_to_number(s),
        }
    }
}

/// JavaScript's `IsLessThan`-based comparison of `a` with `b`: `None` when either
/// side is NaN after conversion (every relational operator is then false).
pub(crate) fn js_compare(a: &PrimRef<'_>, b: &Prim) -> Option<Ordering> {
    if let (PrimRef::Str(x), Prim::Str(y)) = (a, b) {
        return Some(utf16_cmp(x, y));
    }
    let x = a.to_number();
    let y = match b {
        Prim::Null => 0.0,
        Prim::Bool(v) => f64::from(u8::from(*v)),
        Prim::Num(n) => *n,
        Prim::Str(s) => string_to_number(s),
    };
    x.partial_cmp(&y)
}

/// Orders two strings by UTF-16 code units, as JavaScript compares strings.
pub(crate) fn utf16_cmp(a: &str, b: &str) -> Ordering {
    if a.is_ascii() || b.is_ascii() {
        // UTF-8 byte order equals UTF-16 order unless both sides hold characters
        // at or above U+E000, so ASCII on either side makes bytes enough.
        return a.as_bytes().cmp(b.as_bytes());
    }
    let mut cmp = Utf16Cmp::new(b);
    cmp.put(a);
    cmp.finish()
}

/// UTF-16 sort key of a character: its first code unit, then its second.
fn utf16_key(c: char) -> (u32, u32) {
    let c = c as u32;
    if c < 0x10000 {
        (c, 0)
    } else {
        let v = c - 0x10000;
        (0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF))
    }
}

/// Receives a string in pieces (for allocation-free `String()` comparisons).
pub(crate) trait Sink {
    fn put(&mut self, s: &str);
}

impl Sink for String {
    fn put(&mut self, s: &str) {
        self.push_str(s);
    }
}

/// Checks that the pieces put into it spell exactly `rest`.
struct EqSink<'e> {
    rest: &'e str,
    ok: bool,
}

impl Sink for EqSink<'_> {
    fn put(&mut self, s: &str) {
        if self.ok {
            match self.rest.strip_prefix(s) {
                Some(r) => self.rest = r,
                None => self.ok = false,
            }
        }
    }
}

/// Compares the pieces put into it against `other` in UTF-16 order.
pub(crate) struct Utf16Cmp<'e> {
    rest: std::str::Chars<'e>,
    result: Option<Ordering>,
}

impl<'e> Utf16Cmp<'e> {
    pub(crate) fn new(other: &'e str) -> Self {
        Utf16Cmp {
            rest: other.chars(),
            result: None,
        }
    }

    /// The order of everything put so far relative to `other`.
    pub(crate) fn finish(mut self) -> Ordering {
        match self.result {
            Some(o) => o,
            None if self.rest.next().is_none() => Ordering::Equal,
            None => Ordering::Less,
        }
    }
}

impl Sink for Utf16Cmp<'_> {
    fn put(&mut self, s: &str) {
        if self.result.is_some() {
            return;
        }
        for a in s.chars() {
            match self.rest.next() {
                None => {
                    self.result = Some(Ordering::Greater);
                    return;
                }
                Some(b) if a != b => {
                    self.result = Some(utf16_key(a).cmp(&utf16_key(b)));
                    return;
                }
                Some(_) => {}
            }
        }
    }
}

fn json_truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0 && !x.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// `Number(v)` for a JSON value.
pub(crate) fn json_to_number(v: &Value) -> f64 {
    match v {
        Value::Null => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) => string_to_number(s),
        Value::Array(_) => array_to_number(v),
        Value::Object(_) => f64::NAN,
    }
}

/// `Number(String(v))` for an array or array element, computed without joining:
/// an array of two or more elements always joins to a string with a comma.
fn array_to_number(v: &Value) -> f64 {
    match v {
        Value::Null => 0.0,
        Value::String(s) => string_to_number(s),
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::Array(items) => match items.as_slice() {
            [] => 0.0,
            [one] => array_to_number(one),
            _ => f64::NAN,
        },
        Value::Bool(_) | Value::Object(_) => f64::NAN,
    }
}

/// `String(v)` for a JSON value (arrays join their elements with commas).
pub(crate) fn write_json_string(v: &Value, sink: &mut impl Sink) {
    match v {
        Value::Null => sink.put("null"),
        Value::Bool(true) => sink.put("true"),
        Value::Bool(false) => sink.put("false"),
        Value::Number(n) => sink.put(NumBuf::new(n.as_f64().unwrap_or(f64::NAN)).as_str()),
        Value::String(s) => sink.put(s),
        Value::Object(_) => sink.put("[object Object]"),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    sink.put(",");
                }
                // `Array.prototype.join` writes null and undefined as empty strings.
                if !item.is_null() {
                    write_json_string(item, sink);
                }
            }
        }
    }
}

/// `JSON.stringify(actual) === JSON.stringify(cond)`, compared structurally.
pub(crate) fn json_stringify_eq(actual: JsVal<'_>, cond: &Value) -> bool {
    match actual {
        JsVal::Json(v) => json_eq(v, cond),
        JsVal::Num(n) => matches!(cond, Value::Number(c) if c.as_f64() == Some(n)),
        // `JSON.stringify` of a function is undefined, which equals no string.
        JsVal::Func(_) => false,
    }
}

fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        // Distinct doubles print differently and 0 and -0 both print "0", so
        // equal text is equal numeric value.
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            if x.len() != y.len() {
                return false;
            }
            if !y
                .iter()
                .all(|(k, vy)| x.get(k).is_some_and(|vx| json_eq(vx, vy)))
            {
                return false;
            }
            // Same keys; the text is equal only if the keys also come in the same
            // order. Integer keys always come first in ascending order, so only the
            // order of the other keys can differ.
            let xs = x.keys().filter(|k| array_index(k).is_none());
            let ys = y.keys().filter(|k| array_index(k).is_none());
            xs.eq(ys)
        }
        _ => false,
    }
}

/// The entries of a JSON object in JavaScript's property order: integer keys
/// ascending first, then the other keys in the map's order.
pub(crate) fn js_entries(map: &Map<String, Value>) -> Vec<(&str, &Value)> {
    let mut ints: Vec<(u64, &str, &Value)> = map
        .iter()
        .filter_map(|(k, v)| array_index(k).map(|i| (i, k.as_str(), v)))
        .collect();
    ints.sort_by_key(|e| e.0);
    let mut out: Vec<(&str, &Value)> = ints.into_iter().map(|(_, k, v)| (k, v)).collect();
    out.extend(
        map.iter()
            .filter(|(k, _)| array_index(k).is_none())
            .map(|(k, v)| (k.as_str(), v)),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_order_differs_from_code_point_order() {
        assert_eq!(utf16_cmp("\u{FF61}", "\u{1F600}"), Ordering::Greater);
        assert_eq!(utf16_cmp("a", "b"), Ordering::Less);
        assert_eq!(utf16_cmp("ab", "a"), Ordering::Greater);
    }
}
