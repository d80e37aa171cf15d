//! The audience index: which subjects hold which declared values, as roaring
//! bitmaps over dense subject slots, plus who may be reached for a purpose
//! on a channel. Counting an audience is bitmap algebra, never a scan.
//!
//! Per attribute the index keeps its holders, its numbers and its strings in
//! order with range-encoded bins (`audience_range`), the elements of
//! multi-choice answers, and any other distinct value. A condition is
//! evaluated by `audience_plan`: frequent shapes (`$in`, `$all`, `$eq`,
//! `$exists`, comparisons) read those bitmaps directly; anything else is
//! evaluated once per *distinct stored value* with GrowthBook's own semantics
//! (kerro-condition), and the holders of the passing values are united; a
//! missing value is one more case. Either way the result equals evaluating
//! the condition subject by subject; the property test checks exactly that.
//!
//! Slots are assigned by the caller; this module does no I/O and keeps no clock.

use kerro_condition::Condition;
use roaring::RoaringBitmap;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

use crate::audience_plan::Plan;
use crate::audience_range::{Key, RangeIndex};
use crate::contact::Channel;
use crate::decide::Profile;
use crate::ids::PurposeKey;
use crate::schema::{LegalBasis, Schema};

/// Everything one attribute's values are indexed by.
#[derive(Debug, Default, Clone)]
pub(crate) struct AttrIndex {
    /// Subjects holding any value.
    pub(crate) present: RoaringBitmap,
    /// Values that are numbers, in order.
    pub(crate) numbers: RangeIndex,
    /// Values that are strings (choices, dates, texts), in order.
    pub(crate) texts: RangeIndex,
    /// For arrays of strings (multi-choice answers): each element to the
    /// subjects whose array holds it.
    pub(crate) elements: HashMap<Box<str>, RoaringBitmap>,
    /// How many subjects hold an array of strings.
    arrays: u64,
    /// Every other distinct value (canonical JSON text) with its holders.
    others: HashMap<String, (Value, RoaringBitmap)>,
}

impl AttrIndex {
    pub(crate) fn all_strings(&self) -> bool {
        self.texts.holders() == self.present.len()
    }

    pub(crate) fn all_numbers(&self) -> bool {
        self.numbers.holders() == self.present.len()
    }

    pub(crate) fn all_string_arrays(&self) -> bool {
        self.arrays == self.present.len()
    }

    /// Every distinct value held, with its holders (disjoint across values).
    pub(crate) fn values(&self) -> impl Iterator<Item = (&Value, &RoaringBitmap)> {
        self.numbers
            .values()
            .chain(self.texts.values())
            .chain(self.others.values().map(|(v, b)| (v, b)))
    }

    fn insert(&mut self, slot: u32, value: &Value) {
        self.present.insert(slot);
        if let Some(key) = Key::of(value) {
            match key {
                Key::Num(_) => self.numbers.insert(slot, key, value),
                Key::Text(_) => self.texts.insert(slot, key, value),
            }
            return;
        }
        if let Value::Array(items) = value {
            if items.iter().all(Value::is_string) {
                self.arrays += 1;
                for item in items.iter().filter_map(Value::as_str) {
                    match self.elements.get_mut(item) {
                        Some(b) => {
                            b.insert(slot);
                        }
                        None => {
                            self.elements
                                .insert(item.into(), RoaringBitmap::from_iter([slot]));
                        }
                    }
                }
            }
        }
        self.others
            .entry(value.to_string())
            .or_insert_with(|| (value.clone(), RoaringBitmap::new()))
            .1
            .insert(slot);
    }

    fn remove(&mut self, slot: u32) {
        if !self.present.remove(slot) || self.numbers.remove(slot) || self.texts.remove(slot) {
            return;
        }
        let mut was_array = false;
        self.elements.retain(|_, b| {
            was_array |= b.remove(slot);
            !b.is_empty()
        });
        self.others.retain(|_, (v, b)| {
            if b.remove(slot) && !was_array {
                was_array = v.as_array().is_some_and(|a| a.iter().all(Value::is_string));
            }
            !b.is_empty()
        });
        self.arrays -= u64::from(was_array);
    }
}

/// Who a reachable set is for: the purpose and channel, and the two facts
/// of the purpose it rests on, so that a changed purpose is a new entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Reach {
    purpose: PurposeKey,
    channel: Channel,
    consent: bool,
    marketing: bool,
}

impl Reach {
    /// Whether `profile` is in this reachable set (as `compute_reachable` counts).
    fn admits(&self, p: &Profile) -> bool {
        p.reachable_on(self.channel)
            && (!self.consent
                || p.consents
                    .get(&self.purpose)
                    .is_some_and(|c| c.state.is_active()))
            && !p.restricted
            && p.contact.reachable(self.channel, &self.purpose)
            && !(self.marketing && p.objected_marketing)
    }
}

/// Reachable sets kept at once; more are computed afresh.
const REACH_CACHED: usize = 64;

/// Bitmaps of declared values and reachability, by subject slot.
#[derive(Debug, Default)]
pub struct AudienceIndex {
    /// Reachable sets once computed, kept exact by every change.
    reach: std::sync::Mutex<HashMap<Reach, Arc<RoaringBitmap>>>,
    live: RoaringBitmap,
    restricted: RoaringBitmap,
    objected_marketing: RoaringBitmap,
    channels: HashMap<Channel, RoaringBitmap>,
    /// Subjects who left a channel for one purpose (one-click unsubscribe).
    unsubscribed: HashMap<(Channel, PurposeKey), RoaringBitmap>,
    /// Subjects whose latest consent to the purpose is active.
    consented: HashMap<PurposeKey, RoaringBitmap>,
    attrs: HashMap<String, AttrIndex>,
}

/// The size of one part of the index: its bitmaps' serialised bytes (what
/// their containers hold) and their number of containers (each costs a
/// few dozen bytes more in memory).
#[derive(Debug, Clone)]
pub struct Footprint {
    pub part: &'static str,
    pub bytes: u64,
    pub containers: u64,
}

impl Footprint {
    fn of<'a>(
        part: &'static str,
        bitmaps: impl IntoIterator<Item = &'a RoaringBitmap>,
    ) -> Footprint {
        let (mut bytes, mut containers) = (0, 0);
        for b in bitmaps {
            bytes += b.serialized_size() as u64;
            containers += u64::from(b.statistics().n_containers);
        }
        Footprint {
            part,
            bytes,
            containers,
        }
    }
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
            match self.attrs.get_mut(k.as_str()) {
                Some(a) => a.insert(slot, &d.value),
                None => {
                    let mut a = AttrIndex::default();
                    a.insert(slot, &d.value);
                    self.attrs.insert(k.as_str().to_owned(), a);
                }
            }
        }
        if let Ok(reach) = self.reach.get_mut() {
            for (r, b) in reach.iter_mut() {
                if r.admits(profile) {
                    Arc::make_mut(b).insert(slot);
                }
            }
        }
    }

    /// Removes the subject in `slot` from every bitmap (erasure, or before an update).
    pub fn remove(&mut self, slot: u32) {
        if !self.live.remove(slot) {
            return;
        }
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
            a.remove(slot);
        }
        if let Ok(reach) = self.reach.get_mut() {
            for b in reach.values_mut() {
                if b.contains(slot) {
                    Arc::make_mut(b).remove(slot);
                }
            }
        }
    }

    pub fn len(&self) -> u64 {
        self.live.len()
    }

    /// What the bitmaps take, by part, for the benchmark's report.
    pub fn footprint(&self) -> Vec<Footprint> {
        let mut parts = vec![
            Footprint::of(
                "live, restricted, objected",
                [&self.live, &self.restricted, &self.objected_marketing],
            ),
            Footprint::of(
                "channels, consents, unsubscriptions",
                self.channels
                    .values()
                    .chain(self.consented.values())
                    .chain(self.unsubscribed.values()),
            ),
        ];
        let attrs = || self.attrs.values();
        parts.push(Footprint::of(
            "attribute holders",
            attrs().map(|a| &a.present),
        ));
        parts.push(Footprint::of(
            "numbers, exact",
            attrs().flat_map(|a| a.numbers.values().map(|(_, b)| b)),
        ));
        parts.push(Footprint::of(
            "numbers, bins",
            attrs().flat_map(|a| a.numbers.bins()),
        ));
        parts.push(Footprint::of(
            "strings, exact",
            attrs().flat_map(|a| a.texts.values().map(|(_, b)| b)),
        ));
        parts.push(Footprint::of(
            "strings, bins",
            attrs().flat_map(|a| a.texts.bins()),
        ));
        parts.push(Footprint::of(
            "array elements",
            attrs().flat_map(|a| a.elements.values()),
        ));
        parts.push(Footprint::of(
            "other values (whole arrays, ...)",
            attrs().flat_map(|a| a.others.values().map(|(_, b)| b)),
        ));
        if let Ok(r) = self.reach.lock() {
            parts.push(Footprint::of("reachable sets", r.values().map(|b| &**b)));
        }
        parts
    }

    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }

    /// Subjects who may be reached for `purpose` on `channel`: an active legal
    /// basis, the channel opted in, not restricted, and, for a marketing
    /// purpose, no objection to direct marketing (P14, P19). Computed once
    /// per purpose and channel, then kept exact by `set` and `remove`.
    pub fn reachable(
        &self,
        schema: &Schema,
        purpose: &PurposeKey,
        channel: Channel,
    ) -> Arc<RoaringBitmap> {
        let Some(spec) = schema.purposes.get(purpose) else {
            return Arc::default();
        };
        let key = Reach {
            purpose: purpose.clone(),
            channel,
            consent: spec.legal_basis == LegalBasis::Consent,
            marketing: spec.is_marketing(),
        };
        if let Some(hit) = self.reach.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return hit;
        }
        let computed = Arc::new(self.compute_reachable(&key));
        if let Ok(mut c) = self.reach.lock() {
            if c.len() >= REACH_CACHED {
                c.clear();
            }
            c.insert(key, computed.clone());
        }
        computed
    }

    fn compute_reachable(&self, r: &Reach) -> RoaringBitmap {
        let Some(opted) = self.channels.get(&r.channel) else {
            return RoaringBitmap::new();
        };
        let mut out = if r.consent {
            match self.consented.get(&r.purpose) {
                Some(c) => c & opted,
                None => return RoaringBitmap::new(),
            }
        } else {
            &self.live & opted
        };
        out -= &self.restricted;
        if let Some(left) = self.unsubscribed.get(&(r.channel, r.purpose.clone())) {
            out -= left;
        }
        if r.marketing {
            out -= &self.objected_marketing;
        }
        out
    }

    fn plan(&self) -> Plan<'_> {
        Plan {
            live: &self.live,
            attrs: &self.attrs,
        }
    }

    /// How many subjects an audience reaches, without building the set.
    ///
    /// Attributes are visible here because offers and audiences are
    /// type-checked to read only attributes bound to their purpose, and the
    /// reachable set holds only subjects for whom that purpose has an active basis.
    pub fn count(&self, schema: &Schema, q: &AudienceQuery<'_>) -> u64 {
        let reachable = self.reachable(schema, q.purpose, q.channel);
        if reachable.is_empty() {
            return 0;
        }
        self.plan().count(q.condition.root(), &reachable)
    }

    /// The subjects an audience reaches.
    pub fn matching(&self, schema: &Schema, q: &AudienceQuery<'_>) -> RoaringBitmap {
        let reachable = self.reachable(schema, q.purpose, q.channel);
        if reachable.is_empty() {
            return RoaringBitmap::new();
        }
        self.plan()
            .set(q.condition.root(), Some(&reachable))
            .within(&reachable)
    }
}

#[cfg(test)]
#[path = "audience_tests.rs"]
mod tests;
