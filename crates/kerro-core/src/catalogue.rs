//! The offer catalogue: offers compiled once per schema snapshot into the
//! shape the decision hot path wants. Offers are grouped by purpose (so the
//! basis check and the masked profile are done once per purpose), channels
//! are bit masks, and each group has an inverted index from the options a
//! condition *requires* to the offers requiring them, so a decision evaluates
//! only offers the subject could possibly match.
//!
//! A guard is a necessary condition derived from the compiled tree: the
//! offer can only pass if the subject's visible answer holds one of the
//! guard's options. Skipping an offer whose guard is not met therefore never
//! changes a result; `decide` and `Catalogue::decide` are property-tested to
//! agree on random catalogues and profiles.

use kerro_condition::{ElemMatch, FieldTest, Node, Op};
use serde_json::{Map, Value};
use std::collections::HashMap;

use crate::contact::Channel;
use crate::decide::{admission, rank_and_explain, Decision, Delivery, Profile, Request};
use crate::ids::PurposeKey;
use crate::offer::CompiledOffer;
use crate::schema::Schema;

/// A required option: attribute key and option value.
type Literal = (String, String);

fn channel_bit(c: Channel) -> u8 {
    match c {
        Channel::Email => 1,
        Channel::Sms => 2,
        Channel::Phone => 4,
        Channel::Post => 8,
        Channel::Web => 16,
    }
}

struct Group {
    purpose: PurposeKey,
    marketing: bool,
    /// Offers of this purpose (indexes into `Catalogue::offers`) with no guard: always evaluated.
    unguarded: Vec<usize>,
    /// Option literal to the guarded offers that require it.
    by_literal: HashMap<Literal, Vec<usize>>,
}

/// Offers prepared for fast decisions.
#[derive(Default)]
pub struct Catalogue {
    offers: Vec<CompiledOffer>,
    channels: Vec<u8>,
    groups: Vec<Group>,
}

impl std::fmt::Debug for Catalogue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalogue")
            .field("offers", &self.offers.len())
            .field("groups", &self.groups.len())
            .finish()
    }
}

impl Catalogue {
    pub fn new(schema: &Schema, offers: Vec<CompiledOffer>) -> Catalogue {
        let channels = offers
            .iter()
            .map(|o| o.spec.channels.iter().fold(0u8, |m, c| m | channel_bit(*c)))
            .collect();
        let mut groups: Vec<Group> = Vec::new();
        for (i, o) in offers.iter().enumerate() {
            let gi = match groups.iter().position(|g| g.purpose == o.spec.purpose) {
                Some(g) => g,
                None => {
                    let marketing = schema
                        .purposes
                        .get(&o.spec.purpose)
                        .is_some_and(|p| p.is_marketing());
                    groups.push(Group {
                        purpose: o.spec.purpose.clone(),
                        marketing,
                        unguarded: Vec::new(),
                        by_literal: HashMap::new(),
                    });
                    groups.len() - 1
                }
            };
            let g = &mut groups[gi];
            match if o.generic {
                None
            } else {
                guard(o.condition.root())
            } {
                None => g.unguarded.push(i),
                Some(lits) => {
                    for l in lits {
                        g.by_literal.entry(l).or_default().push(i);
                    }
                }
            }
        }
        Catalogue {
            offers,
            channels,
            groups,
        }
    }

    pub fn offers(&self) -> &[CompiledOffer] {
        &self.offers
    }

    /// The same decision as [`crate::decide::decide`] over the same offers, faster.
    pub fn decide<'s>(
        &'s self,
        schema: &Schema,
        profile: &Profile,
        deliveries: &[Delivery],
        req: &Request,
    ) -> Decision {
        let (limit, limited_by) = match admission(profile, deliveries, req) {
            Ok(v) => v,
            Err(d) => return d,
        };
        let bit = channel_bit(req.channel);
        let groups_map = Map::new();
        let mut candidates: Vec<(&'s CompiledOffer, u32)> = Vec::new();
        let mut seen: Vec<bool> = Vec::new();
        for g in &self.groups {
            if profile.objected_marketing && g.marketing {
                continue;
            }
            if !profile.contact.reachable(req.channel, &g.purpose) {
                continue;
            }
            let basis = profile.basis_active(schema, &g.purpose);
            let masked = if basis {
                Value::Object(profile.masked(schema, &g.purpose))
            } else {
                Value::Object(Map::new())
            };
            let ctx = Ctx {
                bit,
                req,
                deliveries,
                basis,
                masked: &masked,
                groups: &groups_map,
            };
            let consider = |i: usize, candidates: &mut Vec<(&'s CompiledOffer, u32)>| {
                self.consider(i, &ctx, candidates)
            };
            for &i in &g.unguarded {
                consider(i, &mut candidates);
            }
            if !basis || g.by_literal.is_empty() {
                continue;
            }
            if seen.len() < self.offers.len() {
                seen.resize(self.offers.len(), false);
            }
            let mut touched = Vec::new();
            if let Value::Object(m) = &masked {
                for (attr, v) in m {
                    let mut visit = |opt: &str| {
                        if let Some(list) = g.by_literal.get(&(attr.clone(), opt.to_owned())) {
                            for &i in list {
                                if !seen[i] {
                                    seen[i] = true;
                                    touched.push(i);
                                    consider(i, &mut candidates);
                                }
                            }
                        }
                    };
                    match v {
                        Value::String(s) => visit(s),
                        Value::Array(items) => {
                            items.iter().filter_map(Value::as_str).for_each(&mut visit)
                        }
                        _ => {}
                    }
                }
            }
            for i in touched {
                seen[i] = false;
            }
        }
        Decision {
            offers: rank_and_explain(schema, candidates, profile, limit),
            limited_by,
        }
    }
}

/// What `consider` needs to know about the decision under way.
struct Ctx<'a> {
    bit: u8,
    req: &'a Request,
    deliveries: &'a [Delivery],
    basis: bool,
    masked: &'a Value,
    groups: &'a Map<String, Value>,
}

impl Catalogue {
    /// Adds offer `i` to the candidates if it may be shown and matches.
    fn consider<'s>(
        &'s self,
        i: usize,
        ctx: &Ctx<'_>,
        candidates: &mut Vec<(&'s CompiledOffer, u32)>,
    ) {
        let o = &self.offers[i];
        if self.channels[i] & ctx.bit == 0 || !o.live_at(&ctx.req.now) {
            return;
        }
        if crate::decide::offer_cap_reached(o, ctx.deliveries, ctx.req.now) {
            return;
        }
        if o.generic {
            candidates.push((o, 0));
        } else if ctx.basis && o.condition.eval(ctx.masked, ctx.groups) {
            candidates.push((o, crate::decide::relevance(o, ctx.masked)));
        }
    }
}

/// A necessary condition of `node` as a set of option literals (one must be held),
/// `Some(empty)` if the node can never pass, `None` if no guard can be derived.
fn guard(node: &Node) -> Option<Vec<Literal>> {
    match node {
        Node::And(children) => children.iter().filter_map(guard).min_by_key(Vec::len),
        Node::Or(children) if !children.is_empty() => {
            let mut out = Vec::new();
            for c in children {
                out.extend(guard(c)?);
            }
            Some(out)
        }
        Node::Field { path, test } => field_guard(path.as_str(), test),
        Node::Const(false) | Node::Throw => Some(Vec::new()),
        _ => None,
    }
}

fn field_guard(attr: &str, test: &FieldTest) -> Option<Vec<Literal>> {
    let lit = |s: &str| (attr.to_owned(), s.to_owned());
    match test {
        FieldTest::Str(s) => Some(vec![lit(s)]),
        FieldTest::Ops(ops) => ops
            .iter()
            .filter_map(|op| op_guard(attr, op))
            .min_by_key(Vec::len),
        _ => None,
    }
}

fn op_guard(attr: &str, op: &Op) -> Option<Vec<Literal>> {
    let lit = |s: &str| (attr.to_owned(), s.to_owned());
    match op {
        // `$in` passes only for a held string in the set (numbers, booleans and null never
        // equal an option string, so a set holding them gives no guard).
        Op::In(set)
            if set.numbers().is_empty()
                && !set.has_null()
                && !set.has_bool(true)
                && !set.has_bool(false) =>
        {
            Some(set.strings().iter().map(|s| lit(s)).collect())
        }
        Op::Eq(kerro_condition::Prim::Str(s)) => Some(vec![lit(s)]),
        Op::ElemMatch(ElemMatch::Value(t)) => field_guard(attr, t),
        Op::All(tests) => tests.iter().find_map(|t| match t {
            FieldTest::Str(s) => Some(vec![lit(s)]),
            _ => None,
        }),
        _ => None,
    }
}

#[cfg(test)]
#[path = "catalogue_tests.rs"]
mod tests;
