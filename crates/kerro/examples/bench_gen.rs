//! The benchmarks' one seeded generator: a schema, subjects (profiles with
//! consents, channels and declared answers) and offers (GrowthBook conditions),
//! shared by kerro's benchmarks and the baselines' inputs.
//!
//! Every subject and every offer is a pure function of `(seed, index)`, so the
//! 1M data set is the first million of the 10M one and K = 100 offers are the
//! first hundred of K = 10,000. The generator has its own PRNG (SplitMix64),
//! so its output never changes with a dependency's version.
//!
//! Used two ways: the other `bench_*` examples include this file as a module
//! (`#[path = "bench_gen.rs"] mod gen;`), and as an example of its own it
//! writes baseline inputs:
//!
//! ```text
//! cargo run --release -p kerro --example bench_gen -- pg-copy --seed 1 --n 1000000   # COPY text for PostgreSQL
//! cargo run --release -p kerro --example bench_gen -- sample --seed 1 --n 5          # a few subjects, as JSON lines
//! cargo run --release -p kerro --example bench_gen -- stats --seed 1 --n 100000      # distributions, for a sanity check
//! ```
#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use kerro_core::consent::ConsentState;
use kerro_core::contact::{Channel, ContactPrefs};
use kerro_core::decide::{ConsentInfo, DeclaredValue, Profile};
use kerro_core::ids::OfferKey;
use kerro_core::offer::{compile_offer, CompiledOffer, OfferSpec};
use kerro_core::schema::{
    AttrKind, AttrOption, AttributeSpec, FormKind, FormSpec, LegalBasis, PurposeSpec, Schema, Use,
};
use kerro_core::{AttributeKey, FormKey, Lang, Localized, PurposeKey, RecordId, SubjectId};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::io::Write;

// Offers, the baselines' JSON of offers, subjects and profiles, and the
// audience cases with their SQL. (A path relative to `examples/`, so the
// same file serves this example and those that include it as a module.)
#[path = "bench_gen/offers.rs"]
mod offers;
pub use offers::*;

// ---------------------------------------------------------------------------
// PRNG
// ---------------------------------------------------------------------------

/// SplitMix64: tiny, fast, and fully determined by its state.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// The stream for one item: `kind` separates subjects from offers, `index` the item.
    pub fn stream(seed: u64, kind: u64, index: u64) -> Rng {
        let mut r = Rng(seed ^ kind.wrapping_mul(0xD1B5_4A32_D192_ED03));
        r.0 ^= r
            .next_u64()
            .wrapping_add(index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        r.next_u64();
        r
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `[0, 1)`.
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// An index drawn with the given weights (need not sum to 1).
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.f64() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const SUBJECTS: u64 = 1;
const OFFERS: u64 = 2;

// ---------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------

/// 64 interests; drawn with a Zipf(1.1) law, so the first ones are common.
pub const INTERESTS: [&str; 64] = [
    "cloud_security",
    "phishing",
    "ransomware",
    "nis2",
    "iso27001",
    "zero_trust",
    "iam",
    "mfa",
    "endpoint",
    "soc",
    "siem",
    "incident_response",
    "pentest",
    "awareness_training",
    "gdpr",
    "backup",
    "ot_security",
    "iec62443",
    "network_security",
    "firewall",
    "email_security",
    "vulnerability_mgmt",
    "patching",
    "devsecops",
    "appsec",
    "api_security",
    "container_security",
    "kubernetes",
    "threat_intel",
    "red_team",
    "bug_bounty",
    "supply_chain",
    "third_party_risk",
    "dora",
    "pci_dss",
    "cyber_insurance",
    "tabletop",
    "crisis_comms",
    "forensics",
    "mdr",
    "xdr",
    "sase",
    "sd_wan",
    "pki",
    "encryption",
    "hsm",
    "data_loss_prevention",
    "casb",
    "secure_coding",
    "sbom",
    "iot",
    "medical_devices",
    "scada",
    "physical_security",
    "privileged_access",
    "password_manager",
    "browser_isolation",
    "deception",
    "ai_security",
    "llm_governance",
    "quantum_safe",
    "board_reporting",
    "security_budget",
    "ciso_network",
];

pub const INDUSTRIES: [&str; 12] = [
    "software",
    "manufacturing",
    "finance",
    "public_sector",
    "retail",
    "healthcare",
    "logistics",
    "energy",
    "telecom",
    "education",
    "construction",
    "media",
];
const INDUSTRY_W: [f64; 12] = [
    18.0, 14.0, 11.0, 10.0, 9.0, 8.0, 7.0, 6.0, 5.0, 5.0, 4.0, 3.0,
];

pub const SIZES: [&str; 5] = ["micro", "small", "medium", "large", "enterprise"];
const SIZE_W: [f64; 5] = [30.0, 30.0, 20.0, 13.0, 7.0];
/// Employee ranges per size (inclusive low, exclusive high).
const SIZE_EMPLOYEES: [(f64, f64); 5] = [
    (1.0, 10.0),
    (10.0, 50.0),
    (50.0, 250.0),
    (250.0, 1000.0),
    (1000.0, 50000.0),
];

pub const COUNTRIES: [&str; 10] = ["fi", "se", "no", "dk", "ee", "de", "nl", "pl", "fr", "lt"];
const COUNTRY_W: [f64; 10] = [35.0, 15.0, 9.0, 8.0, 7.0, 8.0, 6.0, 5.0, 4.0, 3.0];

pub const PURPOSES: [&str; 3] = ["marketing", "product_news", "service"];

/// The Zipf(1.1) weights of the interests.
fn interest_weights() -> &'static [f64; 64] {
    static W: std::sync::OnceLock<[f64; 64]> = std::sync::OnceLock::new();
    W.get_or_init(|| {
        let mut w = [0.0; 64];
        for (i, x) in w.iter_mut().enumerate() {
            *x = 1.0 / ((i + 1) as f64).powf(1.1);
        }
        w
    })
}

fn draw_interests(r: &mut Rng, k: usize) -> BTreeSet<usize> {
    let mut set = BTreeSet::new();
    while set.len() < k {
        set.insert(r.weighted(interest_weights()));
    }
    set
}

// ---------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------

fn en(s: &str) -> Localized {
    Localized::one(Lang::En, s)
}

pub fn pk(s: &str) -> PurposeKey {
    PurposeKey::parse("purpose", s).expect("valid purpose key")
}

pub fn ak(s: &str) -> AttributeKey {
    AttributeKey::parse("attribute", s).expect("valid attribute key")
}

pub const FORM: &str = "bench_survey";

/// Purposes, attributes and forms, each with its key.
pub type Definitions = (
    Vec<(PurposeKey, PurposeSpec)>,
    Vec<(AttributeKey, AttributeSpec)>,
    Vec<(FormKey, FormSpec)>,
);

/// The benchmark schema's definitions, in the order they can be put into a store.
pub fn definitions() -> Definitions {
    let purpose = |title: &str, basis, uses: &[Use]| PurposeSpec {
        title: en(title),
        description: en(title),
        legal_basis: basis,
        uses: uses.iter().copied().collect(),
        retention_days: 730,
        consent_validity_days: None,
        recipients: vec![],
        dpv_category: None,
        subject_categories: vec![],
    };
    let purposes = vec![
        (
            pk("marketing"),
            purpose(
                "Marketing",
                LegalBasis::Consent,
                &[Use::Personalization, Use::Communication],
            ),
        ),
        (
            pk("product_news"),
            purpose(
                "Product news",
                LegalBasis::Consent,
                &[Use::Personalization, Use::Communication],
            ),
        ),
        (
            pk("service"),
            purpose(
                "Service",
                LegalBasis::Contract,
                &[Use::Personalization, Use::Service],
            ),
        ),
    ];
    let attr = |title: &str, kind, options: &[&str], purposes: &[&str]| AttributeSpec {
        title: en(title),
        description: None,
        kind,
        options: options
            .iter()
            .map(|o| AttrOption {
                value: (*o).to_owned(),
                title: en(o),
            })
            .collect(),
        min: (kind == AttrKind::Number).then_some(1.0),
        max: None,
        max_length: None,
        purposes: purposes.iter().map(|p| pk(p)).collect(),
        special_category: false,
    };
    let attributes = vec![
        (
            ak("interests"),
            attr(
                "Interests",
                AttrKind::MultiChoice,
                &INTERESTS,
                &["marketing", "product_news"],
            ),
        ),
        (
            ak("industry"),
            attr(
                "Industry",
                AttrKind::Choice,
                &INDUSTRIES,
                &["marketing", "service"],
            ),
        ),
        (
            ak("company_size"),
            attr(
                "Company size",
                AttrKind::Choice,
                &SIZES,
                &["marketing", "service"],
            ),
        ),
        (
            ak("country"),
            attr(
                "Country",
                AttrKind::Choice,
                &COUNTRIES,
                &["marketing", "product_news", "service"],
            ),
        ),
        (
            ak("employees"),
            attr(
                "Employees",
                AttrKind::Number,
                &[],
                &["marketing", "service"],
            ),
        ),
    ];
    let forms = vec![(
        FormKey::parse("form", FORM).expect("valid form key"),
        FormSpec {
            title: en("Benchmark survey"),
            notice: en("We use your answers for the purposes shown."),
            kind: FormKind::Survey,
            attributes: attributes.iter().map(|(k, _)| k.clone()).collect(),
            purposes: purposes.iter().map(|(k, _)| k.clone()).collect(),
        },
    )];
    (purposes, attributes, forms)
}

pub fn schema() -> Schema {
    let (p, a, f) = definitions();
    Schema {
        purposes: p.into_iter().collect(),
        attributes: a.into_iter().collect(),
        forms: f.into_iter().collect(),
        recipients: Default::default(),
    }
}

// ---------------------------------------------------------------------------
// Subjects
// ---------------------------------------------------------------------------

/// One generated subject, before it becomes a kerro `Profile` or a PostgreSQL row.
#[derive(Debug, Clone, PartialEq)]
pub struct GenSubject {
    pub n: u64,
    /// Latest consent state per consent-based purpose (absent: never asked).
    pub consents: Vec<(&'static str, ConsentState)>,
    /// Opted-in channels.
    pub channels: Vec<Channel>,
    pub restricted: bool,
    pub objected_marketing: bool,
    /// Interests in option (schema) order, as kerro normalises them.
    pub interests: Option<Vec<&'static str>>,
    pub industry: Option<&'static str>,
    pub company_size: Option<&'static str>,
    pub country: Option<&'static str>,
    pub employees: Option<u32>,
}

/// A fixed "now" for decisions and the time answers were given before it.
pub fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .expect("valid date")
}

/// Rounds to two significant digits, as people tend to answer "how many employees".
fn round2(x: f64) -> u32 {
    if x < 100.0 {
        return x.floor().max(1.0) as u32;
    }
    let mag = 10f64.powf(x.log10().floor() - 1.0);
    ((x / mag).round() * mag) as u32
}

pub fn subject(seed: u64, n: u64) -> GenSubject {
    let mut r = Rng::stream(seed, SUBJECTS, n);
    let mut consents = Vec::new();
    // marketing: 85% given, else withdrawn / refused / never asked.
    match r.weighted(&[85.0, 6.0, 5.0, 4.0]) {
        0 => consents.push(("marketing", ConsentState::Given)),
        1 => consents.push(("marketing", ConsentState::Withdrawn)),
        2 => consents.push(("marketing", ConsentState::Refused)),
        _ => {}
    }
    match r.weighted(&[50.0, 10.0, 20.0, 20.0]) {
        0 => consents.push(("product_news", ConsentState::Given)),
        1 => consents.push(("product_news", ConsentState::Withdrawn)),
        2 => consents.push(("product_news", ConsentState::Refused)),
        _ => {}
    }
    let mut channels = Vec::new();
    for (c, p) in [
        (Channel::Email, 0.80),
        (Channel::Sms, 0.20),
        (Channel::Phone, 0.05),
        (Channel::Post, 0.10),
        (Channel::Web, 0.70),
    ] {
        if r.chance(p) {
            channels.push(c);
        }
    }
    let restricted = r.chance(0.01);
    let objected_marketing = r.chance(0.02);

    let k = 1 + r.weighted(&[25.0, 25.0, 20.0, 12.0, 8.0, 5.0, 3.0, 2.0]);
    let interests = draw_interests(&mut r, k);
    let interests: Vec<&'static str> = interests.into_iter().map(|i| INTERESTS[i]).collect();
    let size = r.weighted(&SIZE_W);
    let (lo, hi) = SIZE_EMPLOYEES[size];
    let employees = round2((lo.ln() + r.f64() * (hi.ln() - lo.ln())).exp()).max(lo as u32);
    let industry = INDUSTRIES[r.weighted(&INDUSTRY_W)];
    let country = COUNTRIES[r.weighted(&COUNTRY_W)];

    // Which questions were answered.
    let answered = [0.92, 0.85, 0.85, 0.95, 0.60].map(|p| r.chance(p));
    // An answer is stored only while one of its attribute's purposes has an
    // active basis (P8): interests need marketing or product_news consent; the
    // others are also bound to `service` (contract), which always holds.
    let interests_ok = consents.iter().any(|(_, s)| s.is_active());
    GenSubject {
        n,
        consents,
        channels,
        restricted,
        objected_marketing,
        interests: (answered[0] && interests_ok).then_some(interests),
        industry: answered[1].then_some(industry),
        company_size: answered[2].then_some(SIZES[size]),
        country: answered[3].then_some(country),
        employees: answered[4].then_some(employees),
    }
}

impl GenSubject {
    pub fn id(&self) -> SubjectId {
        SubjectId::from_suffix(&format!("BENCH{:021}", self.n))
    }

    /// The declared answers, in normal form (what a submission stores).
    pub fn answers(&self) -> Map<String, Value> {
        let mut m = Map::new();
        if let Some(v) = &self.interests {
            m.insert("interests".into(), json!(v));
        }
        if let Some(v) = self.industry {
            m.insert("industry".into(), json!(v));
        }
        if let Some(v) = self.company_size {
            m.insert("company_size".into(), json!(v));
        }
        if let Some(v) = self.country {
            m.insert("country".into(), json!(v));
        }
        if let Some(v) = self.employees {
            m.insert("employees".into(), json!(v));
        }
        m
    }

    pub fn opted_in(&self, c: Channel) -> bool {
        self.channels.contains(&c)
    }

    pub fn consent_active(&self, purpose: &str) -> bool {
        self.consents
            .iter()
            .any(|(p, s)| *p == purpose && s.is_active())
    }

    pub fn given_at(&self) -> DateTime<Utc> {
        epoch() - Duration::seconds(3600 + (self.n % 10_000_000) as i64)
    }

    pub fn profile(&self) -> Profile {
        let mut p = Profile::new(self.id());
        let at = self.given_at();
        let form = FormKey::parse("form", FORM).ok();
        for (k, v) in self.answers() {
            p.declared.insert(
                ak(&k),
                DeclaredValue {
                    value: v,
                    form: form.clone(),
                    given_at: at,
                },
            );
        }
        for (i, (purpose, state)) in self.consents.iter().enumerate() {
            p.consents.insert(
                pk(purpose),
                ConsentInfo {
                    state: *state,
                    at,
                    record_id: RecordId::from_suffix(&format!("BENCH{:019}{i:02}", self.n)),
                    notice: None,
                },
            );
        }
        p.contact = ContactPrefs {
            channels: self.channels.iter().map(|c| (*c, true)).collect(),
            max_per_week: None,
            language: None,
            ..Default::default()
        };
        p.restricted = self.restricted;
        p.objected_marketing = self.objected_marketing;
        p
    }

    /// The subject as one jsonb document for PostgreSQL: the answers, plus the
    /// purposes with an active consent, the opted-in channels and the two flags
    /// (present only when true).
    pub fn pg_json(&self) -> Value {
        let mut m = self.answers();
        let consents: Vec<&str> = self
            .consents
            .iter()
            .filter(|(_, s)| s.is_active())
            .map(|(p, _)| *p)
            .collect();
        m.insert("consents".into(), json!(consents));
        m.insert(
            "channels".into(),
            json!(self.channels.iter().map(|c| c.as_str()).collect::<Vec<_>>()),
        );
        if self.restricted {
            m.insert("restricted".into(), json!(true));
        }
        if self.objected_marketing {
            m.insert("objected".into(), json!(true));
        }
        Value::Object(m)
    }

    /// Reachable for a decision on `channel` with everything evaluated: both
    /// consents active, the channel opted in, not restricted, no objection.
    pub fn fully_reachable(&self, channel: Channel) -> bool {
        self.consent_active("marketing")
            && self.consent_active("product_news")
            && self.opted_in(channel)
            && !self.restricted
            && !self.objected_marketing
            && self.interests.is_some()
    }
}

/// The first `count` subjects (from index `start`) that are fully reachable on `channel`.
pub fn decision_subjects(seed: u64, channel: Channel, start: u64, count: usize) -> Vec<GenSubject> {
    (start..)
        .map(|n| subject(seed, n))
        .filter(|s| s.fully_reachable(channel))
        .take(count)
        .collect()
}

// ---------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------

pub fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_owned())
}

pub fn arg_u64(name: &str, default: u64) -> u64 {
    arg(name, &default.to_string())
        .replace('_', "")
        .parse()
        .unwrap_or_else(|_| panic!("{name} needs a number"))
}

fn main() {
    let cmd = std::env::args().nth(1).unwrap_or_default();
    let seed = arg_u64("--seed", 1);
    let n = arg_u64("--n", 10);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    match cmd.as_str() {
        // COPY text: id TAB attrs. The JSON has no tab, newline or backslash.
        "pg-copy" => {
            for i in 0..n {
                let g = subject(seed, i);
                let text = g.pg_json().to_string();
                debug_assert!(!text.contains(['\\', '\t', '\n']));
                writeln!(out, "{}\t{}", g.id(), text).expect("write");
            }
        }
        "sample" => {
            for i in 0..n {
                let g = subject(seed, i);
                writeln!(out, "{}", json!({"id": g.id(), "pg": g.pg_json()})).expect("write");
            }
        }
        "offers" => {
            let schema = schema();
            for o in compiled_offers(seed, n as usize, &schema) {
                writeln!(out, "{}", offer_json(&o)).expect("write");
            }
        }
        "stats" => {
            let mut reach = 0u64;
            let mut k = 0usize;
            for i in 0..n {
                let g = subject(seed, i);
                if g.consent_active("marketing")
                    && g.opted_in(Channel::Email)
                    && !g.restricted
                    && !g.objected_marketing
                {
                    reach += 1;
                }
                k += g.interests.as_ref().map_or(0, Vec::len);
            }
            writeln!(
                out,
                "subjects {n}: reachable for marketing/email {:.1}%, mean interests {:.2}",
                100.0 * reach as f64 / n as f64,
                k as f64 / n as f64
            )
            .expect("write");
        }
        _ => {
            eprintln!("usage: bench_gen pg-copy|sample|offers|stats [--seed S] [--n N]");
            std::process::exit(2);
        }
    }
    out.flush().expect("flush");
}
