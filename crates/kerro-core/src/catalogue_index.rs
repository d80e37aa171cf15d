//! The catalogue's inverted index for one purpose and one priority level:
//! from a literal (an attribute's option, by literal id) to the offers whose
//! guard needs it, and to the tests of the conjunctions it counts towards.

/// In a posting: holding the literal is passing (see `decided_by_guard`).
pub(super) const DECIDED: u32 = 1 << 31;

/// What the index knows of an offer's condition.
pub(super) enum Guard {
    /// Nothing: the offer is always considered.
    None,
    /// One of these literals must be held; with `decided`, holding one is passing.
    Any { literals: Vec<u32>, decided: bool },
    /// Passing is holding a literal of each list (`decided_conjuncts`).
    All(Vec<Vec<u32>>),
}

/// The offers of one group with one priority level.
#[derive(Default)]
pub(super) struct Level {
    /// Offers with no guard: always considered.
    pub(super) unguarded: Vec<u32>,
    /// Offers with a guard, for a profile whose guard attributes have no compact form.
    pub(super) guarded: Vec<u32>,
    /// The offers requiring literal `l` are `posts[starts[l]..starts[l + 1]]`,
    /// with [`DECIDED`] set on those the literal alone makes pass.
    starts: Box<[u32]>,
    posts: Box<[u32]>,
    /// The tests of counted conjunctions that literal `l` passes, as
    /// `offer << 3 | test`, are `conj_posts[conj_starts[l]..conj_starts[l + 1]]`.
    conj_starts: Box<[u32]>,
    conj_posts: Box<[u32]>,
}

fn range<'a>(starts: &[u32], posts: &'a [u32], literal: u32) -> &'a [u32] {
    let l = literal as usize;
    match (starts.get(l), starts.get(l + 1)) {
        (Some(&a), Some(&b)) => &posts[a as usize..b as usize],
        _ => &[],
    }
}

impl Level {
    /// Builds a level from its offers (by index) and their guards.
    pub(super) fn new(literals: u32, entries: Vec<(u32, Guard)>) -> Level {
        let mut level = Level::default();
        let mut any: Vec<(u32, u32)> = Vec::new();
        let mut conj: Vec<(u32, u32)> = Vec::new();
        for (i, g) in entries {
            match g {
                Guard::None => level.unguarded.push(i),
                Guard::Any { literals, decided } => {
                    level.guarded.push(i);
                    let flag = if decided { DECIDED } else { 0 };
                    any.extend(literals.into_iter().map(|l| (l, i | flag)));
                }
                Guard::All(tests) => {
                    level.guarded.push(i);
                    for (j, lits) in tests.into_iter().enumerate() {
                        conj.extend(lits.into_iter().map(|l| (l, i << 3 | j as u32)));
                    }
                }
            }
        }
        (level.starts, level.posts) = csr(literals, any);
        (level.conj_starts, level.conj_posts) = csr(literals, conj);
        level
    }

    pub(super) fn posts(&self, literal: u32) -> &[u32] {
        range(&self.starts, &self.posts, literal)
    }

    pub(super) fn conj_posts(&self, literal: u32) -> &[u32] {
        range(&self.conj_starts, &self.conj_posts, literal)
    }

    pub(super) fn has_conjunctions(&self) -> bool {
        !self.conj_posts.is_empty()
    }
}

/// Compressed rows of `(literal, value)` pairs: empty when there are none.
fn csr(literals: u32, mut pairs: Vec<(u32, u32)>) -> (Box<[u32]>, Box<[u32]>) {
    if pairs.is_empty() {
        return Default::default();
    }
    pairs.sort_unstable();
    pairs.dedup();
    let mut starts = vec![0u32; literals as usize + 1];
    for &(l, _) in &pairs {
        starts[l as usize + 1] += 1;
    }
    for l in 1..starts.len() {
        starts[l] += starts[l - 1];
    }
    let posts = pairs.into_iter().map(|(_, v)| v).collect();
    (starts.into_boxed_slice(), posts)
}
