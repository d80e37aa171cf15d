//! The properties that JavaScript's `in` operator finds on every JSON object
//! and array through `Object.prototype` and `Array.prototype` (Node 20), and the
//! source text of those built-in functions. It leaves out symbol-keyed properties.

/// Own properties of `Object.prototype`, which `key in {}` finds on every object.
pub(crate) const OBJECT_PROTO: [&str; 12] = [
    "constructor",
    "__defineGetter__",
    "__defineSetter__",
    "hasOwnProperty",
    "__lookupGetter__",
    "__lookupSetter__",
    "isPrototypeOf",
    "propertyIsEnumerable",
    "toString",
    "valueOf",
    "__proto__",
    "toLocaleString",
];

/// Own properties of `Array.prototype` in Node 20 (besides `length`).
pub(crate) const ARRAY_PROTO: [&str; 39] = [
    "constructor",
    "at",
    "concat",
    "copyWithin",
    "fill",
    "find",
    "findIndex",
    "findLast",
    "findLastIndex",
    "lastIndexOf",
    "pop",
    "push",
    "reverse",
    "shift",
    "unshift",
    "slice",
    "sort",
    "splice",
    "includes",
    "indexOf",
    "join",
    "keys",
    "entries",
    "values",
    "forEach",
    "filter",
    "flat",
    "flatMap",
    "map",
    "every",
    "some",
    "reduce",
    "reduceRight",
    "toLocaleString",
    "toString",
    "toReversed",
    "toSorted",
    "toSpliced",
    "with",
];

/// Whether `key in {}` is true for an object that lacks `key` as its own property.
pub(crate) fn is_object_proto_key(key: &str) -> bool {
    OBJECT_PROTO.contains(&key)
}

/// Builds `(name, source text)` pairs for built-in functions at compile time.
macro_rules! natives {
    ($($name:literal),* $(,)?) => {
        &[$(($name, concat!("function ", $name, "() { [native code] }"))),*]
    };
}

/// `String()` of every built-in function reachable through a prototype.
static NATIVE_SOURCES: &[(&str, &str)] = natives!(
    "Object",
    "Array",
    "__defineGetter__",
    "__defineSetter__",
    "hasOwnProperty",
    "__lookupGetter__",
    "__lookupSetter__",
    "isPrototypeOf",
    "propertyIsEnumerable",
    "toString",
    "valueOf",
    "toLocaleString",
    "at",
    "concat",
    "copyWithin",
    "fill",
    "find",
    "findIndex",
    "findLast",
    "findLastIndex",
    "lastIndexOf",
    "pop",
    "push",
    "reverse",
    "shift",
    "unshift",
    "slice",
    "sort",
    "splice",
    "includes",
    "indexOf",
    "join",
    "keys",
    "entries",
    "values",
    "forEach",
    "filter",
    "flat",
    "flatMap",
    "map",
    "every",
    "some",
    "reduce",
    "reduceRight",
    "toReversed",
    "toSorted",
    "toSpliced",
    "with",
);

/// The source text JavaScript prints for a built-in method, e.g. `function map() { [native code] }`.
pub(crate) fn native_source(name: &str) -> &'static str {
    NATIVE_SOURCES
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("function () { [native code] }", |(_, t)| t)
}
