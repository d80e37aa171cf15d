//! Profiles on integers for the decision hot path: a schema snapshot gives
//! every attribute and every option a dense id, and a profile becomes one slot
//! per attribute (an option id for a choice, an option bitset for a
//! multi-choice, an `f64` for a number), keeping the declared JSON value beside
//! it for whatever the compact form cannot express. Conditions compiled
//! against these ids are in `compact_eval`.

use rustc_hash::FxHashMap;
use serde_json::Value;
use smallvec::SmallVec;

use crate::decide::Profile;
use crate::ids::PurposeKey;
use crate::schema::{AttrKind, Schema};

/// A set of small ids, one bit each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Bits(SmallVec<[u64; 2]>);

impl Bits {
    pub(crate) fn new(len: usize) -> Bits {
        Bits(smallvec::smallvec![0; len.div_ceil(64)])
    }

    pub(crate) fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }

    pub(crate) fn has(&self, i: usize) -> bool {
        words_have(&self.0, i)
    }

    pub(crate) fn words(&self) -> &[u64] {
        &self.0
    }

    pub(crate) fn intersects(&self, other: &[u64]) -> bool {
        self.0.iter().zip(other).any(|(a, b)| a & b != 0)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        ones(&self.0)
    }
}

pub(crate) fn words_have(words: &[u64], i: usize) -> bool {
    words.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
}

/// The ids whose bits are set, ascending.
pub(crate) fn ones(words: &[u64]) -> impl Iterator<Item = usize> + '_ {
    words.iter().enumerate().flat_map(|(wi, &w)| {
        let mut w = w;
        std::iter::from_fn(move || {
            (w != 0).then(|| {
                let b = w.trailing_zeros() as usize;
                w &= w - 1;
                wi * 64 + b
            })
        })
    })
}

/// One attribute of the snapshot.
#[derive(Debug)]
pub(crate) struct AttrInfo {
    pub(crate) kind: AttrKind,
    /// The option values in the schema's order; an option's id is its index.
    pub(crate) options: Vec<String>,
    by_value: FxHashMap<String, u32>,
    /// The 64-bit words a multi-choice value takes.
    pub(crate) words: usize,
    /// The id of option 0 among all options of all attributes (a literal id).
    pub(crate) lit_base: u32,
    purposes: Vec<PurposeKey>,
    special_category: bool,
}

impl AttrInfo {
    pub(crate) fn option(&self, value: &str) -> Option<u32> {
        self.by_value.get(value).copied()
    }

    /// Whether an offer for `purpose` may see this attribute (P2), as `Profile::masked` decides.
    pub(crate) fn visible_to(&self, purpose: &PurposeKey) -> bool {
        !self.special_category && self.purposes.contains(purpose)
    }
}

/// Dense ids for the attributes and options of one schema.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    ids: FxHashMap<String, u32>,
    pub(crate) attrs: Vec<AttrInfo>,
    /// The number of literal ids (all options of all attributes).
    pub(crate) literals: u32,
}

impl Snapshot {
    pub(crate) fn new(schema: &Schema) -> Snapshot {
        let mut snap = Snapshot::default();
        for (key, spec) in &schema.attributes {
            let options: Vec<String> = if spec.kind.has_options() {
                spec.options.iter().map(|o| o.value.clone()).collect()
            } else {
                Vec::new()
            };
            let mut by_value = FxHashMap::default();
            for (i, o) in options.iter().enumerate() {
                by_value.entry(o.clone()).or_insert(i as u32);
            }
            let id = snap.attrs.len() as u32;
            snap.ids.insert(key.to_string(), id);
            snap.attrs.push(AttrInfo {
                kind: spec.kind,
                words: if spec.kind == AttrKind::MultiChoice {
                    options.len().div_ceil(64)
                } else {
                    0
                },
                lit_base: snap.literals,
                options,
                by_value,
                purposes: spec.purposes.clone(),
                special_category: spec.special_category,
            });
            snap.literals += snap.attrs[id as usize].options.len() as u32;
        }
        snap
    }

    pub(crate) fn id(&self, key: &str) -> Option<u32> {
        self.ids.get(key).copied()
    }

    /// The attributes an offer for `purpose` may see.
    pub(crate) fn visible(&self, purpose: &PurposeKey) -> Bits {
        let mut b = Bits::new(self.attrs.len());
        for (i, a) in self.attrs.iter().enumerate() {
            if a.visible_to(purpose) {
                b.set(i);
            }
        }
        b
    }
}

/// An attribute's value in the compact form.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Slot {
    /// Not declared.
    Missing,
    /// A choice holding the option with this id.
    Choice(u32),
    /// A multi-choice holding distinct options: its bits start at this word of `words`.
    Multi(u32),
    /// A number.
    Num(f64),
    /// Declared, with no compact form: text, boolean, date, or a value that does
    /// not fit the attribute's kind (an option since removed, a duplicate).
    Other,
}

/// A profile's declared values on the snapshot's ids, for every purpose at
/// once: what a purpose may not see is left out when conditions compile.
pub(crate) struct CompactProfile<'p> {
    /// Per attribute id: its slot, and the declared JSON value for the fallback.
    pub(crate) cells: Vec<(Slot, Option<&'p Value>)>,
    pub(crate) words: SmallVec<[u64; 4]>,
    /// The attributes declared.
    pub(crate) present: Bits,
    /// The choice and multi-choice attributes whose value has no compact form.
    pub(crate) unfit: Bits,
    /// The attributes whose slot is `Other`, ascending.
    pub(crate) others: SmallVec<[u32; 4]>,
    /// The literal ids of the options held, ascending by attribute.
    pub(crate) held: SmallVec<[u32; 16]>,
}

impl<'p> CompactProfile<'p> {
    pub(crate) fn new(snap: &Snapshot, profile: &'p Profile) -> CompactProfile<'p> {
        let n = snap.attrs.len();
        let mut p = CompactProfile {
            cells: vec![(Slot::Missing, None); n],
            words: SmallVec::new(),
            present: Bits::new(n),
            unfit: Bits::new(n),
            others: SmallVec::new(),
            held: SmallVec::new(),
        };
        for (key, d) in &profile.declared {
            let Some(id) = snap.id(key.as_str()) else {
                continue;
            };
            let (i, a) = (id as usize, &snap.attrs[id as usize]);
            p.present.set(i);
            let slot = match (a.kind, &d.value) {
                (AttrKind::Choice, Value::String(s)) => a.option(s).map(|o| {
                    p.held.push(a.lit_base + o);
                    Slot::Choice(o)
                }),
                (AttrKind::MultiChoice, Value::Array(items)) => p.multi(a, items),
                (AttrKind::Number, Value::Number(x)) => x.as_f64().map(Slot::Num),
                _ => None,
            };
            let slot = slot.unwrap_or_else(|| {
                if a.kind.has_options() {
                    p.unfit.set(i);
                }
                p.others.push(id);
                Slot::Other
            });
            p.cells[i] = (slot, Some(&d.value));
        }
        p
    }

    /// The bitset of a multi-choice value of distinct options, or `None`.
    fn multi(&mut self, a: &AttrInfo, items: &[Value]) -> Option<Slot> {
        let at = self.words.len();
        self.words.resize(at + a.words, 0);
        for item in items {
            let o = item.as_str().and_then(|s| a.option(s));
            match o {
                Some(o) if !words_have(&self.words[at..], o as usize) => {
                    self.words[at + o as usize / 64] |= 1 << (o % 64);
                }
                _ => {
                    self.words.truncate(at);
                    return None;
                }
            }
        }
        self.held
            .extend(ones(&self.words[at..]).map(|o| a.lit_base + o as u32));
        Some(Slot::Multi(at as u32))
    }

    /// The bits of the multi-choice value starting at word `at`.
    pub(crate) fn multi_words(&self, at: u32, a: &AttrInfo) -> &[u64] {
        &self.words[at as usize..at as usize + a.words]
    }

    /// Whether attribute `attr` holds option `opt`.
    pub(crate) fn holds(&self, snap: &Snapshot, attr: u32, opt: u32) -> bool {
        match self.cells[attr as usize].0 {
            Slot::Choice(o) => o == opt,
            Slot::Multi(at) => words_have(
                self.multi_words(at, &snap.attrs[attr as usize]),
                opt as usize,
            ),
            _ => false,
        }
    }
}
