//! The audience index: which subjects hold which declared values, as roaring
//! bitmaps over dense subject slots, plus who may be reached for a purpose
//! on a channel. Counting an audience is bitmap algebra, never a scan.
//!
//! Exactness: a condition is evaluated per *distinct stored value* of each
//! attribute it reads, with GrowthBook's own semantics (kerro-condition), and
//! the subjects holding a passing value are united; a missing value is one
//! more case. Frequent shapes (`$in` and `$all` over options, `$exists`) use
//! per-option bitmaps directly. Either way the result equals evaluating the
//! condition subject by subject; the property test checks exactly that.
//!
//! Slots are assigned by the caller; this module does no I/O and keeps no clock.

use kerro_condition::{Condition, FieldTest, Node, Op};
use roaring::RoaringBitmap;
use serde_json::{Map, Value};
use std::collections::HashMap;

use crate::contact::Channel;
use crate::decide::Profile;
use crate::ids::{AttributeKey, PurposeKey};
use crate::schema::{AttrKind, LegalBasis, Schema};

#[derive(Debug, Default, Clone)]
struct AttrIndex {
    /// Subjects holding any value.
    present: RoaringBitmap,
    /// Distinct value (canonical JSON text) to the value and its holders.
    by_value: HashMap<String, (Value, RoaringBitmap)>,
    /// For choice and multi_choice: option to the subjects whose answer is or contains it.
    by_option: HashMap<String, RoaringBitmap>,
}

/// Bitmaps of declared values and reachability, by subject slot.
#[derive(Debug, Default)]
pub struct AudienceIndex {
    /// `reachable` answers by purpose and channel, cleared by every change.
    reach_cache: std::sync::Mutex<HashMap<(PurposeKey, Channel), RoaringBitmap>>,
    live: RoaringBitmap,
    restricted: RoaringBitmap,
    objected_marketing: RoaringBitmap,
    channels: HashMap<Channel, RoaringBitmap>,
    /// Subjects who left a channel for one purpose (one-click unsubscribe).
    unsubscribed: HashMap<(Channel, PurposeKey), RoaringBitmap>,
    /// Subjects whose latest consent to the purpose is active.
    consented: HashMap<PurposeKey, RoaringBitmap>,
    attrs: HashMap<AttributeKey, AttrIndex>,
}

/// Who an audience is for.
pub struct AudienceQuery<'a> {
    pub purpose: &'a PurposeKey,
    pub channel: Channel,
    pub condition: &'a Condition,
}

impl AudienceIndex {
    pub fn new() -> AudienceIndex {
        AudienceIndex::default()
    }

    /// Puts (or replaces) the subject in `slot`.
    pub fn set(&mut self, slot: u32, profile: &Profile) {
        self.remove(slot);
        self.forget_reach();
        self.live.insert(slot);
        if profile.restricted {
            self.restricted.insert(slot);
        }
        if profile.objected_marketing {
            self.objected_marketing.insert(slot);
        }
        for c in profile.contact.channels.keys() {
            if profile.reachable_on(*c) {
                self.channels.entry(*c).or_default().insert(slot);
            }
        }
        for (c, purposes) in &profile.contact.unsubscribed {
            for p in purposes {
                self.unsubscribed
                    .entry((*c, p.clone()))
                    .or_default()
                    .insert(slot);
            }
        }
        for (p, c) in &profile.consents {
            if c.state.is_active() {
                self.consented.entry(p.clone()).or_default().insert(slot);
            }
        }
        for (k, d) in &profile.declared {
            let a = self.attrs.entry(k.clone()).or_default();
            a.present.insert(slot);
            a.by_value
                .entry(d.value.to_string())
                .or_insert_with(|| (d.value.clone(), RoaringBitmap::new()))
                .1
                .insert(slot);
            let options: Vec<&str> = match &d.value {
                Value::String(s) => vec![s.as_str()],
                Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            for o in options {
                a.by_option.entry(o.to_owned()).or_default().insert(slot);
            }
        }
    }

    /// Removes the subject in `slot` from every bitmap (erasure, or before an update).
    pub fn remove(&mut self, slot: u32) {
        if !self.live.remove(slot) {
            return;
        }
        self.forget_reach();
        self.restricted.remove(slot);
        self.objected_marketing.remove(slot);
        self.channels.values_mut().for_each(|b| {
            b.remove(slot);
        });
        self.unsubscribed.retain(|_, b| {
            b.remove(slot);
            !b.is_empty()
        });
        self.consented.values_mut().for_each(|b| {
            b.remove(slot);
        });
        for a in self.attrs.values_mut() {
            if a.present.remove(slot) {
                a.by_value.retain(|_, (_, b)| {
                    b.remove(slot);
                    !b.is_empty()
                });
                a.by_option.retain(|_, b| {
                    b.remove(slot);
                    !b.is_empty()
                });
            }
        }
    }

    pub fn len(&self) -> u64 {
        self.live.len()
    }

    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }

    /// Subjects who may be reached for `purpose` on `channel`: an active legal
    /// basis, the channel opted in, not restricted, and, for a marketing
    /// purpose, no objection to direct marketing (P14, P19).
    fn forget_reach(&mut self) {
        if let Ok(c) = self.reach_cache.get_mut() {
            c.clear();
        }
    }

    /// As `compute_reachable`, remembered until the next change to the index.
    pub fn reachable(
        &self,
        schema: &Schema,
        purpose: &PurposeKey,
        channel: Channel,
    ) -> RoaringBitmap {
        let key = (purpose.clone(), channel);
        if let Some(hit) = self
            .reach_cache
            .lock()
            .ok()
            .and_then(|c| c.get(&key).cloned())
        {
            return hit;
        }
        let computed = self.compute_reachable(schema, purpose, channel);
        if let Ok(mut c) = self.reach_cache.lock() {
            c.insert(key, computed.clone());
        }
        computed
    }

    fn compute_reachable(
        &self,
        schema: &Schema,
        purpose: &PurposeKey,
        channel: Channel,
    ) -> RoaringBitmap {
        let Some(spec) = schema.purposes.get(purpose) else {
            return RoaringBitmap::new();
        };
        let Some(opted) = self.channels.get(&channel) else {
            return RoaringBitmap::new();
        };
        let mut out = if spec.legal_basis == LegalBasis::Consent {
            match self.consented.get(purpose) {
                Some(c) => c & opted,
                None => return RoaringBitmap::new(),
            }
        } else {
            &self.live & opted
        };
        out -= &self.restricted;
        if let Some(left) = self.unsubscribed.get(&(channel, purpose.clone())) {
            out -= left;
        }
        if spec.is_marketing() {
            out -= &self.objected_marketing;
        }
        out
    }

    /// How many subjects an audience reaches, without building the set.
    pub fn count(&self, schema: &Schema, q: &AudienceQuery<'_>) -> u64 {
        let reachable = self.reachable(schema, q.purpose, q.channel);
        if reachable.is_empty() {
            return 0;
        }
        reachable.intersection_len(&self.node(schema, q.condition.root()))
    }

    /// The subjects an audience reaches.
    pub fn matching(&self, schema: &Schema, q: &AudienceQuery<'_>) -> RoaringBitmap {
        let reachable = self.reachable(schema, q.purpose, q.channel);
        if reachable.is_empty() {
            return reachable;
        }
        let matched = self.node(schema, q.condition.root());
        reachable & matched
    }

    /// The set of live subjects a node matches. Attributes are visible here
    /// because offers and audiences are type-checked to read only attributes
    /// bound to their purpose, and `matching` intersects with the subjects for
    /// whom that purpose has an active basis.
    fn node(&self, schema: &Schema, node: &Node) -> RoaringBitmap {
        match node {
            Node::And(children) => {
                // Intersect from the smallest set up; an empty list passes for everyone.
                let mut parts: Vec<RoaringBitmap> =
                    children.iter().map(|c| self.node(schema, c)).collect();
                parts.sort_by_key(RoaringBitmap::len);
                let mut it = parts.into_iter();
                match it.next() {
                    None => self.live.clone(),
                    Some(first) => {
                        it.fold(first, |acc, b| if acc.is_empty() { acc } else { acc & b })
                    }
                }
            }
            Node::Or(children) => {
                if children.is_empty() {
                    return self.live.clone();
                }
                let mut acc = RoaringBitmap::new();
                for c in children {
                    acc |= self.node(schema, c);
                }
                acc
            }
            Node::Nor(children) => {
                let mut acc = self.live.clone();
                for c in children {
                    acc -= self.node(schema, c);
                }
                if children.is_empty() {
                    RoaringBitmap::new()
                } else {
                    acc
                }
            }
            Node::Not(child) => &self.live - self.node(schema, child),
            Node::Field { path, test } => self.field(schema, node, path.as_str(), test),
            Node::Const(true) => self.live.clone(),
            Node::Const(false) | Node::Throw | Node::SavedGroup { .. } => RoaringBitmap::new(),
        }
    }

    fn field(&self, schema: &Schema, node: &Node, attr: &str, test: &FieldTest) -> RoaringBitmap {
        let index = self
            .attrs
            .iter()
            .find(|(k, _)| k.as_str() == attr)
            .map(|(_, a)| a);
        let kind = schema
            .attributes
            .iter()
            .find(|(k, _)| k.as_str() == attr)
            .map(|(_, a)| a.kind);
        if let (Some(a), Some(kind)) = (index, kind) {
            if let Some(fast) = fast_path(a, &self.live, kind, test) {
                return fast;
            }
        }
        // The general path: GrowthBook's own evaluation, once per distinct value.
        let single = Condition::from_node(node.clone());
        let groups = Map::new();
        let mut out = RoaringBitmap::new();
        let mut obj = Map::with_capacity(1);
        if single.eval(&Value::Object(Map::new()), &groups) {
            out |= match index {
                Some(a) => &self.live - &a.present,
                None => self.live.clone(),
            };
        }
        if let Some(a) = index {
            for (value, holders) in a.by_value.values() {
                obj.insert(attr.to_owned(), value.clone());
                let probe = Value::Object(std::mem::take(&mut obj));
                if single.eval(&probe, &groups) {
                    out |= holders;
                }
                if let Value::Object(back) = probe {
                    obj = back;
                }
            }
        }
        out
    }
}

/// Direct bitmap answers for the frequent, simple shapes. Each one is written
/// to agree with GrowthBook's semantics on kerro's normalised values (a choice
/// is one option string, a multi_choice an array of distinct option strings, a
/// number a JSON number); anything else returns `None` and takes the general
/// path. An operator object passes when every operator does, so its answer is
/// the intersection of theirs.
fn fast_path(
    a: &AttrIndex,
    live: &RoaringBitmap,
    kind: AttrKind,
    test: &FieldTest,
) -> Option<RoaringBitmap> {
    match (kind, test) {
        // `actual + "" === s`: a choice's option string.
        (AttrKind::Choice, FieldTest::Str(s)) => Some(option(a, s)),
        (_, FieldTest::Ops(ops)) if !ops.is_empty() => {
            let mut parts = ops
                .iter()
                .map(|op| op_fast_path(a, live, kind, op))
                .collect::<Option<Vec<_>>>()?;
            parts.sort_by_key(RoaringBitmap::len);
            let mut it = parts.into_iter();
            let first = it.next()?;
            Some(it.fold(first, |acc, b| acc & b))
        }
        _ => None,
    }
}

fn option(a: &AttrIndex, s: &str) -> RoaringBitmap {
    a.by_option.get(s).cloned().unwrap_or_default()
}

fn only_strings(set: &kerro_condition::ValueSet) -> bool {
    set.numbers().is_empty() && !set.has_null() && !set.has_bool(true) && !set.has_bool(false)
}

fn options<'a>(a: &AttrIndex, strs: impl IntoIterator<Item = &'a String>) -> RoaringBitmap {
    use roaring::MultiOps;
    strs.into_iter().filter_map(|s| a.by_option.get(s)).union()
}

fn op_fast_path(
    a: &AttrIndex,
    live: &RoaringBitmap,
    kind: AttrKind,
    op: &Op,
) -> Option<RoaringBitmap> {
    use kerro_condition::{ElemMatch, Prim, Rel};
    let choice = matches!(kind, AttrKind::Choice | AttrKind::MultiChoice);
    match op {
        Op::Exists(true) => Some(a.present.clone()),
        Op::Exists(false) => Some(live - &a.present),
        // `$in`: a string matches when it is in the set; an array when one element is.
        Op::In(set) if choice && only_strings(set) => Some(options(a, set.strings())),
        // `$nin` is its negation, so a missing answer passes.
        Op::Nin(set) if choice && only_strings(set) => Some(live - options(a, set.strings())),
        Op::Eq(Prim::Str(s)) if kind == AttrKind::Choice => Some(option(a, s)),
        Op::Ne(Prim::Str(s)) if kind == AttrKind::Choice => Some(live - option(a, s)),
        // `$all` of plain strings on an array: every one must be an element.
        Op::All(tests) if kind == AttrKind::MultiChoice && !tests.is_empty() => {
            let mut acc: Option<RoaringBitmap> = None;
            for t in tests {
                let FieldTest::Str(s) = t else { return None };
                let b = option(a, s);
                acc = Some(match acc {
                    Some(x) => x & b,
                    None => b,
                });
            }
            acc
        }
        // `$elemMatch` with `$in` or `$eq` on the elements: some element is one of the options.
        Op::ElemMatch(ElemMatch::Value(t)) if kind == AttrKind::MultiChoice => match t.as_ref() {
            FieldTest::Ops(inner) => match inner.as_slice() {
                [Op::In(set)] if only_strings(set) => Some(options(a, set.strings())),
                [Op::Eq(Prim::Str(s))] => Some(option(a, s)),
                _ => None,
            },
            _ => None,
        },
        // Ordering on numbers: each distinct stored number is compared once. A
        // missing answer reads as null, which JavaScript orders as 0, so it
        // passes exactly when 0 does.
        Op::Cmp(rel, Prim::Num(n)) if kind == AttrKind::Number => {
            use roaring::MultiOps;
            let n = *n;
            let passes = |x: f64| match rel {
                Rel::Lt => x < n,
                Rel::Lte => x <= n,
                Rel::Gt => x > n,
                Rel::Gte => x >= n,
            };
            let held = a
                .by_value
                .values()
                .filter(|(v, _)| v.as_f64().is_some_and(passes))
                .map(|(_, b)| b)
                .union();
            Some(if passes(0.0) {
                held | (live - &a.present)
            } else {
                held
            })
        }
        _ => None,
    }
}

#[cfg(test)]
#[path = "audience_tests.rs"]
mod tests;
