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

use crate::audience_dense::{self as dense, Compiler, Mirrors};
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
    /// Arrays of strings whole, for the general path.
    pub(crate) arrays: ArrayColumn,
    /// Every other distinct value (canonical JSON text) with its holders:
    /// values of a type the attribute does not take, kept exact all the same.
    others: HashMap<String, (Value, RoaringBitmap)>,
}

/// Whole arrays of strings, one entry per slot: which distinct array the
/// subject holds, numbered from 1 (0: none). The column costs four bytes a
/// slot; a bitmap per distinct array cost a container for every 65,536 slots
/// it touched, most holding a handful of subjects (137 bytes a subject at
/// 2M subjects, against 15 for all the rest of the index).
#[derive(Debug, Default, Clone)]
pub(crate) struct ArrayColumn {
    ids: Vec<u32>,
    /// Distinct arrays, each with how many hold it.
    values: Vec<(Value, u64)>,
    numbered: HashMap<String, u32>,
    holders: u64,
}

impl ArrayColumn {
    fn insert(&mut self, slot: u32, value: &Value) {
        let text = value.to_string();
        let id = match self.numbered.get(&text) {
            Some(id) => *id,
            None => {
                self.values.push((value.clone(), 0));
                let id = self.values.len() as u32;
                self.numbered.insert(text, id);
                id
            }
        };
        self.values[id as usize - 1].1 += 1;
        let at = slot as usize;
        if self.ids.len() <= at {
            self.ids.resize(at + 1, 0);
        }
        self.ids[at] = id;
        self.holders += 1;
    }

    /// Takes `slot` out; its array, if it held one.
    fn remove(&mut self, slot: u32) -> Option<&Value> {
        let id = self.ids.get_mut(slot as usize).filter(|id| **id != 0)?;
        let entry = &mut self.values[*id as usize - 1];
        *id = 0;
        entry.1 -= 1;
        self.holders -= 1;
        Some(&entry.0)
    }

    /// The holders of the arrays `pass` says yes to, each array asked once.
    pub(crate) fn holders_where(&self, pass: impl Fn(&Value) -> bool) -> RoaringBitmap {
        let yes: Vec<bool> = self.values.iter().map(|(v, n)| *n > 0 && pass(v)).collect();
        if !yes.contains(&true) {
            return RoaringBitmap::new();
        }
        let slots =
            self.ids.iter().enumerate().filter_map(|(slot, id)| {
                (*id != 0 && yes[*id as usize - 1]).then_some(slot as u32)
            });
        RoaringBitmap::from_sorted_iter(slots).unwrap_or_default()
    }

    fn bytes(&self) -> u64 {
        (self.ids.capacity() * 4) as u64
    }
}

impl AttrIndex {
    pub(crate) fn all_strings(&self) -> bool {
        self.texts.holders() == self.present.len()
    }

    pub(crate) fn all_numbers(&self) -> bool {
        self.numbers.holders() == self.present.len()
    }

    pub(crate) fn all_string_arrays(&self) -> bool {
        self.arrays.holders == self.present.len()
    }

    /// Every distinct value held but the arrays of strings (which are in
    /// `arrays`), with its holders (disjoint across values).
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
                self.arrays.insert(slot, value);
                return;
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
        if let Some(Value::Array(items)) = self.arrays.remove(slot) {
            for item in items.iter().filter_map(Value::as_str) {
                if let Some(b) = self.elements.get_mut(item) {
                    b.remove(slot);
                    if b.is_empty() {
                        self.elements.remove(item);
                    }
                }
            }
            return;
        }
        self.others.retain(|_, (_, b)| {
            b.remove(slot);
            !b.is_empty()
        });
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

/// How conditions are evaluated: both are exact; the property tests hold
/// each equal to a subject-by-subject evaluation.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Word-wide passes over flat copies of the bitmaps read (`audience_dense`).
    #[default]
    Flat,
    /// Lazy roaring-bitmap algebra (`audience_plan`).
    Roaring,
}

/// A reachable set, and the same as flat words.
#[derive(Debug, Clone, Default)]
struct ReachSet {
    bits: Arc<RoaringBitmap>,
    flat: Arc<Vec<u64>>,
}

/// Bitmaps of declared values and reachability, by subject slot.
#[derive(Debug, Default)]
pub struct AudienceIndex {
    engine: Engine,
    /// Reachable sets once computed, kept exact by every change.
    reach: std::sync::Mutex<HashMap<Reach, ReachSet>>,
    /// Flat copies of the dense bitmaps queries read, kept exact by every change.
    mirrors: std::sync::Mutex<Mirrors>,
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

    /// A part held as plain memory, not as bitmaps.
    fn flat(part: &'static str, bytes: u64) -> Footprint {
        Footprint {
            part,
            bytes,
            containers: 0,
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
                    Arc::make_mut(&mut b.bits).insert(slot);
                    dense::set_bit(&mut b.flat, slot, true);
                }
            }
        }
        if let Ok(m) = self.mirrors.get_mut() {
            m.refresh(&self.attrs, slot);
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
                if b.bits.contains(slot) {
                    Arc::make_mut(&mut b.bits).remove(slot);
                    dense::set_bit(&mut b.flat, slot, false);
                }
            }
        }
        if let Ok(m) = self.mirrors.get_mut() {
            m.refresh(&self.attrs, slot);
        }
    }

    /// Chooses how conditions are evaluated (the benchmark compares the two).
    pub fn use_engine(&mut self, engine: Engine) {
        self.engine = engine;
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
        parts.push(Footprint::flat(
            "whole arrays (a column)",
            attrs().map(|a| a.arrays.bytes()).sum(),
        ));
        parts.push(Footprint::of(
            "values of another type",
            attrs().flat_map(|a| a.others.values().map(|(_, b)| b)),
        ));
        if let Ok(r) = self.reach.lock() {
            parts.push(Footprint::of(
                "reachable sets",
                r.values().map(|b| &*b.bits),
            ));
            parts.push(Footprint::flat(
                "reachable sets, flat",
                r.values().map(|b| (b.flat.len() * 8) as u64).sum(),
            ));
        }
        if let Ok(m) = self.mirrors.lock() {
            parts.push(Footprint::flat("flat copies read by queries", m.bytes()));
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
        self.reach_set(schema, purpose, channel).bits
    }

    fn reach_set(&self, schema: &Schema, purpose: &PurposeKey, channel: Channel) -> ReachSet {
        let Some(spec) = schema.purposes.get(purpose) else {
            return ReachSet::default();
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
        let bits = self.compute_reachable(&key);
        let computed = ReachSet {
            flat: Arc::new(dense::flat_of(&bits)),
            bits: Arc::new(bits),
        };
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
        let reach = self.reach_set(schema, q.purpose, q.channel);
        if reach.bits.is_empty() {
            return 0;
        }
        match self.engine {
            Engine::Flat => dense::count(&self.compiler().node(q.condition.root()), &reach.flat),
            Engine::Roaring => self.plan().count(q.condition.root(), &reach.bits),
        }
    }

    /// The subjects an audience reaches.
    pub fn matching(&self, schema: &Schema, q: &AudienceQuery<'_>) -> RoaringBitmap {
        let reach = self.reach_set(schema, q.purpose, q.channel);
        if reach.bits.is_empty() {
            return RoaringBitmap::new();
        }
        match self.engine {
            Engine::Flat => dense::matching(&self.compiler().node(q.condition.root()), &reach.flat),
            Engine::Roaring => self
                .plan()
                .set(q.condition.root(), Some(&reach.bits))
                .within(&reach.bits),
        }
    }

    /// Calls `f` with the subjects an audience reaches, in slot order and in
    /// batches, without building the set (an export streams from it).
    pub fn each_member(&self, schema: &Schema, q: &AudienceQuery<'_>, f: impl FnMut(&[u32])) {
        let reach = self.reach_set(schema, q.purpose, q.channel);
        if reach.bits.is_empty() {
            return;
        }
        match self.engine {
            Engine::Flat => dense::each(&self.compiler().node(q.condition.root()), &reach.flat, f),
            Engine::Roaring => {
                let all: Vec<u32> = self.matching(schema, q).iter().collect();
                all.chunks(65_536).for_each(f)
            }
        }
    }

    fn compiler(&self) -> Compiler<'_> {
        Compiler {
            attrs: &self.attrs,
            mirrors: &self.mirrors,
            slots: self.live.max().map_or(0, |m| u64::from(m) + 1),
        }
    }
}

#[cfg(test)]
#[path = "audience_tests.rs"]
mod tests;
