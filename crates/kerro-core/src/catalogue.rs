//! The offer catalogue: offers compiled once per schema snapshot into the
//! shape the decision hot path wants, deciding exactly as `decide::decide`.
//!
//! - Offers are grouped by purpose, so the basis and contact checks are done
//!   once per purpose, and channels are bit masks.
//! - Conditions are compiled against the snapshot's dense ids and evaluated
//!   on the compact profile (`compact`, `compact_eval`), never on a JSON map.
//! - Each group has an inverted index from the options a condition *requires*
//!   (its guard) to the offers requiring them, so a decision evaluates only
//!   offers the subject could match. A guard is necessary, so skipping an
//!   offer whose guard is not met never changes a result. Where it is also
//!   sufficient (a single test of a choice, or a conjunction of such tests,
//!   counted) the index decides the match and nothing is evaluated.
//! - Offers are visited by priority, highest first, and only the best `limit`
//!   candidates are kept in a bounded heap; an offer that could not enter it
//!   even with its highest possible relevance is not evaluated at all, and
//!   relevance is computed only for offers that match and may enter.
//!
//! `decide` and `Catalogue::decide` are property-tested to agree on random
//! catalogues and profiles.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use chrono::{DateTime, Utc};

use crate::catalogue_index::{Guard, Level, DECIDED};
use crate::compact::{Bits, CompactProfile, Snapshot};
use crate::compact_eval::{
    compile, decided_by_guard, decided_conjuncts, eval, guard, CNode, EvalCx,
};
use crate::contact::Channel;
use crate::decide::{
    admission, holds_text, rank_and_explain, Decision, Delivery, Profile, Request,
};
use crate::ids::PurposeKey;
use crate::offer::CompiledOffer;
use crate::schema::Schema;

/// At most this many priority levels: beyond, neighbouring priorities share one.
const MAX_LEVELS: usize = 8;

fn channel_bit(c: Channel) -> u8 {
    match c {
        Channel::Email => 1,
        Channel::Sms => 2,
        Channel::Phone => 4,
        Channel::Post => 8,
        Channel::Web => 16,
    }
}

/// An option as (attribute id, option id).
type OptionId = (u32, u32);

/// What every visit of an offer reads, packed apart from the rest.
#[derive(Clone, Copy)]
struct Hot {
    priority: i32,
    /// The offer's place among all offers in key order.
    rank: u32,
    /// The highest relevance the offer can have.
    bound: u32,
    channels: u8,
    generic: bool,
    capped: bool,
    /// For a conjunction the index counts: its number of tests.
    conjuncts: u8,
    valid_from: Option<DateTime<Utc>>,
    valid_until: Option<DateTime<Utc>>,
}

impl Hot {
    fn new(o: &CompiledOffer, c: &Compiled, rank: u32, conjuncts: u8) -> Hot {
        Hot {
            priority: o.spec.priority,
            rank,
            bound: if o.generic {
                0
            } else {
                (c.reads.len() + c.topics.len()) as u32
            },
            channels: o.spec.channels.iter().fold(0u8, |m, c| m | channel_bit(*c)),
            generic: o.generic,
            capped: o.spec.max_per_subject.is_some(),
            conjuncts,
            valid_from: o.spec.valid_from,
            valid_until: o.spec.valid_until,
        }
    }

    /// `CompiledOffer::live_at`.
    fn live_at(&self, now: &DateTime<Utc>) -> bool {
        self.valid_from.is_none_or(|f| f <= *now) && self.valid_until.is_none_or(|u| *now < u)
    }
}

/// An offer's condition and what its relevance reads.
struct Compiled {
    condition: CNode,
    /// The attributes the condition reads that its purpose may see.
    reads: Box<[u32]>,
    /// Per topic of the offer (in order): the (attribute, option) pairs equal to
    /// it among the choice attributes its purpose may see.
    topics: Box<[Box<[OptionId]>]>,
}

struct Group {
    purpose: PurposeKey,
    known: bool,
    marketing: bool,
    /// The attributes the purpose may see.
    visible: Bits,
    /// Those of them with options.
    optioned: Bits,
    /// One per `Catalogue::levels`.
    levels: Vec<Level>,
}

/// Offers prepared for fast decisions.
#[derive(Default)]
pub struct Catalogue {
    offers: Vec<CompiledOffer>,
    hot: Vec<Hot>,
    compiled: Vec<Compiled>,
    snap: Snapshot,
    groups: Vec<Group>,
    /// The highest priority of each level, highest first.
    levels: Vec<i32>,
}

impl std::fmt::Debug for Catalogue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalogue")
            .field("offers", &self.offers.len())
            .field("groups", &self.groups.len())
            .field("levels", &self.levels.len())
            .finish()
    }
}

/// The priority levels: each level's highest priority, highest first.
fn levels(offers: &[CompiledOffer]) -> Vec<i32> {
    let mut ps: Vec<i32> = offers.iter().map(|o| o.spec.priority).collect();
    ps.sort_unstable_by(|a, b| b.cmp(a));
    ps.dedup();
    let per = ps.len().div_ceil(MAX_LEVELS).max(1);
    ps.chunks(per).map(|c| c[0]).collect()
}

impl Catalogue {
    /// Compiles `offers` against `schema`; decisions must be asked with the same schema.
    pub fn new(schema: &Schema, offers: Vec<CompiledOffer>) -> Catalogue {
        let snap = Snapshot::new(schema);
        let levels = levels(&offers);
        let mut groups: Vec<Group> = Vec::new();
        // Per group and level: each offer with what the index knows of it.
        let mut pending: Vec<Vec<Vec<(u32, Guard)>>> = Vec::new();
        let mut compiled = Vec::with_capacity(offers.len());
        let mut conjuncts = vec![0u8; offers.len()];
        for (i, o) in offers.iter().enumerate() {
            let purpose = &o.spec.purpose;
            let gi = match groups.iter().position(|g| &g.purpose == purpose) {
                Some(g) => g,
                None => {
                    let spec = schema.purposes.get(purpose);
                    let visible = snap.visible(purpose);
                    let mut optioned = Bits::new(snap.attrs.len());
                    for a in visible.iter() {
                        if snap.attrs[a].kind.has_options() {
                            optioned.set(a);
                        }
                    }
                    groups.push(Group {
                        purpose: purpose.clone(),
                        known: spec.is_some(),
                        marketing: spec.is_some_and(|p| p.is_marketing()),
                        visible,
                        optioned,
                        levels: Vec::new(),
                    });
                    pending.push((0..levels.len()).map(|_| Vec::new()).collect());
                    groups.len() - 1
                }
            };
            let c = compile_offer(&snap, &groups[gi].visible, o);
            // The level holding the priority: the last whose highest priority is at least it.
            let li = levels.partition_point(|&p| p >= o.spec.priority) - 1;
            let g = if o.generic {
                Guard::None
            } else if let Some(tests) = decided_conjuncts(&snap, &c.condition) {
                Guard::All(tests)
            } else {
                match guard(&snap, &c.condition) {
                    None => Guard::None,
                    Some(literals) => Guard::Any {
                        literals,
                        decided: decided_by_guard(&c.condition),
                    },
                }
            };
            if let Guard::All(tests) = &g {
                conjuncts[i] = tests.len() as u8;
            }
            pending[gi][li].push((i as u32, g));
            compiled.push(c);
        }
        let mut by_key: Vec<u32> = (0..offers.len() as u32).collect();
        by_key.sort_by(|&a, &b| offers[a as usize].key.cmp(&offers[b as usize].key));
        let mut ranks = vec![0u32; offers.len()];
        for (rank, i) in by_key.into_iter().enumerate() {
            ranks[i as usize] = rank as u32;
        }
        let hot = offers
            .iter()
            .zip(&compiled)
            .zip(ranks.into_iter().zip(conjuncts))
            .map(|((o, c), (rank, conjuncts))| Hot::new(o, c, rank, conjuncts))
            .collect();
        for (g, per_level) in groups.iter_mut().zip(pending) {
            g.levels = per_level
                .into_iter()
                .map(|entries| Level::new(snap.literals, entries))
                .collect();
        }
        Catalogue {
            offers,
            hot,
            compiled,
            snap,
            groups,
            levels,
        }
    }

    pub fn offers(&self) -> &[CompiledOffer] {
        &self.offers
    }
}

/// Compiles one offer for the hot path, under its group's visibility.
fn compile_offer(snap: &Snapshot, visible: &Bits, o: &CompiledOffer) -> Compiled {
    let purpose = &o.spec.purpose;
    let condition = if o.generic {
        CNode::Const(Ok(true))
    } else {
        compile(snap, purpose, o.condition.root())
    };
    let reads = o
        .reads
        .iter()
        .filter_map(|k| snap.id(k.as_str()))
        .filter(|&a| visible.has(a as usize))
        .collect();
    let topics = o
        .spec
        .topics
        .iter()
        .map(|t| {
            visible
                .iter()
                .flat_map(|a| {
                    let info = &snap.attrs[a];
                    info.options
                        .iter()
                        .enumerate()
                        .filter(move |(_, v)| *v == t)
                        .map(move |(opt, _)| (a as u32, opt as u32))
                })
                .collect()
        })
        .collect();
    Compiled {
        condition,
        reads,
        topics,
    }
}

/// A candidate in the bounded heap: the worse ranked compares greater, so
/// the heap's top is the candidate the next better one replaces.
#[derive(PartialEq, Eq)]
struct Entry {
    priority: i32,
    relevance: u32,
    /// The offer's place in key order (keys are unique).
    rank: u32,
    index: u32,
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .priority
            .cmp(&self.priority)
            .then(other.relevance.cmp(&self.relevance))
            .then(self.rank.cmp(&other.rank))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The best `limit` candidates so far.
struct Best {
    limit: usize,
    heap: BinaryHeap<Entry>,
}

impl Best {
    /// Whether a candidate ranked `e` would be kept.
    fn admits(&self, e: &Entry) -> bool {
        self.heap.len() < self.limit || self.heap.peek().is_some_and(|w| e < w)
    }

    fn offer(&mut self, e: Entry) {
        if self.heap.len() < self.limit {
            self.heap.push(e);
        } else if let Some(mut worst) = self.heap.peek_mut() {
            if e < *worst {
                *worst = e;
            }
        }
    }

    /// Whether no offer of priority `p` or lower can be kept any more.
    fn closed_at(&self, p: i32) -> bool {
        self.heap.len() >= self.limit && self.heap.peek().is_some_and(|w| w.priority > p)
    }
}

/// What considering an offer needs to know about the decision under way.
struct Ctx<'a> {
    bit: u8,
    req: &'a Request,
    deliveries: &'a [Delivery],
}

/// The per-decision state of a group that may be shown at all.
struct GroupCx<'a> {
    basis: bool,
    eval: EvalCx<'a>,
}

impl Catalogue {
    /// The same decision as [`crate::decide::decide`] over the same offers, faster.
    /// `schema` must be the one the catalogue was built with.
    pub fn decide(
        &self,
        schema: &Schema,
        profile: &Profile,
        deliveries: &[Delivery],
        req: &Request,
    ) -> Decision {
        let (limit, limited_by) = match admission(profile, deliveries, req) {
            Ok(v) => v,
            Err(d) => return d,
        };
        let compact = CompactProfile::new(&self.snap, profile);
        let cx = Ctx {
            bit: channel_bit(req.channel),
            req,
            deliveries,
        };
        let groups: smallvec::SmallVec<[Option<GroupCx<'_>>; 4]> = self
            .groups
            .iter()
            .map(|g| {
                let shown = g.known
                    && !(profile.objected_marketing && g.marketing)
                    && profile.contact.reachable(req.channel, &g.purpose);
                shown.then(|| GroupCx {
                    basis: profile.basis_active(schema, &g.purpose),
                    eval: EvalCx {
                        snap: &self.snap,
                        compact: &compact,
                        schema,
                        profile,
                        purpose: &g.purpose,
                        masked: Default::default(),
                    },
                })
            })
            .collect();
        let mut best = Best {
            limit,
            heap: BinaryHeap::with_capacity(limit.min(64)),
        };
        // Each offer is in one group and one level, so a mark never needs clearing.
        let mut seen = Bits::new(self.offers.len());
        // Per offer: the tests of its conjunction found held, one bit each.
        let mut tests: Vec<u8> = Vec::new();
        for (li, &top) in self.levels.iter().enumerate() {
            if best.closed_at(top) {
                break;
            }
            for (g, gcx) in self.groups.iter().zip(&groups) {
                let Some(gcx) = gcx else { continue };
                let level = &g.levels[li];
                for &i in &level.unguarded {
                    self.consider(i, false, &cx, gcx, g, &mut best);
                }
                if !gcx.basis || level.guarded.is_empty() {
                    continue;
                }
                if compact.unfit.intersects(g.optioned.words()) {
                    // A guard attribute holds a value the index does not know.
                    for &i in &level.guarded {
                        self.consider(i, false, &cx, gcx, g, &mut best);
                    }
                    continue;
                }
                for &l in &compact.held {
                    for &p in level.posts(l) {
                        let i = p & !DECIDED;
                        if !seen.has(i as usize) {
                            seen.set(i as usize);
                            self.consider(i, p & DECIDED != 0, &cx, gcx, g, &mut best);
                        }
                    }
                }
                if level.has_conjunctions() {
                    // Mark the tests of each conjunction whose literal is held;
                    // one with every test marked passes.
                    if tests.is_empty() {
                        tests.resize(self.offers.len(), 0);
                    }
                    let mut touched: smallvec::SmallVec<[u32; 32]> = Default::default();
                    for &l in &compact.held {
                        for &p in level.conj_posts(l) {
                            let i = (p >> 3) as usize;
                            if tests[i] == 0 {
                                touched.push(i as u32);
                            }
                            tests[i] |= 1 << (p & 7);
                        }
                    }
                    for i in touched {
                        let held = u32::from(tests[i as usize]).count_ones();
                        if held == u32::from(self.hot[i as usize].conjuncts) {
                            self.consider(i, true, &cx, gcx, g, &mut best);
                        }
                    }
                }
            }
        }
        let candidates = best
            .heap
            .into_vec()
            .into_iter()
            .map(|e| (&self.offers[e.index as usize], e.relevance))
            .collect();
        Decision {
            offers: rank_and_explain(schema, candidates, profile, limit),
            limited_by,
        }
    }

    /// Keeps offer `i` among the best if it may be shown, matches, and ranks high enough.
    /// `matched`: the index already knows the condition passes.
    fn consider(
        &self,
        i: u32,
        matched: bool,
        cx: &Ctx<'_>,
        gcx: &GroupCx<'_>,
        g: &Group,
        best: &mut Best,
    ) {
        let h = &self.hot[i as usize];
        if h.channels & cx.bit == 0 || !h.live_at(&cx.req.now) || (!h.generic && !gcx.basis) {
            return;
        }
        let mut entry = Entry {
            priority: h.priority,
            relevance: h.bound,
            rank: h.rank,
            index: i,
        };
        if !best.admits(&entry) {
            return;
        }
        let o = &self.offers[i as usize];
        if h.capped && crate::decide::offer_cap_reached(o, cx.deliveries, cx.req.now) {
            return;
        }
        if !h.generic {
            let c = &self.compiled[i as usize];
            if !matched && eval(&c.condition, &gcx.eval) != Ok(true) {
                return;
            }
            entry.relevance = self.relevance(c, o, gcx.eval.compact, &g.visible);
            if !best.admits(&entry) {
                return;
            }
        }
        best.offer(entry);
    }

    /// `decide::relevance` on the compact profile: the attributes read that
    /// the subject answered, plus the topics among the visible options held
    /// (and among the visible values with no compact form).
    fn relevance(
        &self,
        c: &Compiled,
        o: &CompiledOffer,
        p: &CompactProfile<'_>,
        visible: &Bits,
    ) -> u32 {
        let read = c
            .reads
            .iter()
            .filter(|&&a| p.present.has(a as usize))
            .count();
        let topical = c
            .topics
            .iter()
            .zip(&o.spec.topics)
            .filter(|(lits, text)| {
                lits.iter().any(|&(a, opt)| p.holds(&self.snap, a, opt))
                    || p.others.iter().any(|&a| {
                        visible.has(a as usize)
                            && p.cells[a as usize].1.is_some_and(|v| holds_text(v, text))
                    })
            })
            .count();
        (read + topical) as u32
    }
}

#[cfg(test)]
#[path = "catalogue_tests.rs"]
mod tests;
