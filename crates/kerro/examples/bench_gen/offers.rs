//! The generated offers (GrowthBook conditions over the schema), the
//! baselines' JSON of offers, subjects and profiles, and the audience
//! benchmark's conditions with the same question in SQL.

use super::*;

// ---------------------------------------------------------------------------
// Offers
// ---------------------------------------------------------------------------

fn interest_list(r: &mut Rng, max: usize) -> Vec<&'static str> {
    let k = 1 + r.below(max as u64) as usize;
    draw_interests(r, k)
        .into_iter()
        .map(|i| INTERESTS[i])
        .collect()
}

fn distinct<T: Copy + PartialEq>(r: &mut Rng, items: &[T], weights: &[f64], k: usize) -> Vec<T> {
    let mut out = Vec::new();
    while out.len() < k {
        let x = items[r.weighted(weights)];
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}

/// One test on one attribute, as a (key, test) pair.
fn leaf(r: &mut Rng, attr: &str) -> (String, Value) {
    let t = match attr {
        "interests" => match r.below(5) {
            0 | 1 => json!({"$in": interest_list(r, 3)}),
            2 => json!({"$elemMatch": {"$eq": *r.pick(&INTERESTS)}}),
            3 => json!({"$elemMatch": {"$in": interest_list(r, 3)}}),
            _ => json!({"$all": interest_list(r, 2)}),
        },
        "industry" => match r.below(8) {
            0..=3 => json!(INDUSTRIES[r.weighted(&INDUSTRY_W)]),
            4..=6 => json!({"$in": distinct(r, &INDUSTRIES, &INDUSTRY_W, 2)}),
            _ => json!({"$nin": distinct(r, &INDUSTRIES, &INDUSTRY_W, 3)}),
        },
        "company_size" => match r.below(8) {
            0..=3 => json!(SIZES[r.weighted(&SIZE_W)]),
            4..=6 => json!({"$in": distinct(r, &SIZES, &SIZE_W, 2)}),
            _ => json!({"$ne": SIZES[r.weighted(&SIZE_W)]}),
        },
        "country" => match r.below(8) {
            0..=3 => json!(COUNTRIES[r.weighted(&COUNTRY_W)]),
            4..=6 => json!({"$in": distinct(r, &COUNTRIES, &COUNTRY_W, 3)}),
            _ => json!({"$nin": distinct(r, &COUNTRIES, &COUNTRY_W, 2)}),
        },
        _ => {
            let lo = *r.pick(&[10, 50, 100, 250, 500, 1000]);
            match r.below(4) {
                0 | 1 => json!({"$gte": lo}),
                2 => json!({"$gte": lo, "$lt": lo * 10}),
                _ => json!({"$lt": lo}),
            }
        }
    };
    (attr.to_owned(), t)
}

/// A GrowthBook condition over the attributes bound to `purpose`.
fn condition(r: &mut Rng, purpose: &str) -> Value {
    let attrs: &[&str] = match purpose {
        "marketing" => &[
            "interests",
            "industry",
            "company_size",
            "country",
            "employees",
        ],
        "product_news" => &["interests", "country"],
        _ => &["industry", "company_size", "country", "employees"],
    };
    // Interests are the main targeting attribute where the purpose allows it.
    // Without interests, a single test (e.g. a country) is broad: use two or three.
    let n = if attrs.contains(&"interests") {
        1 + r.weighted(&[45.0, 40.0, 15.0])
    } else {
        2 + r.weighted(&[70.0, 30.0])
    }
    .min(attrs.len());
    let mut chosen: Vec<&str> = Vec::new();
    if attrs.contains(&"interests") && r.chance(0.8) {
        chosen.push("interests");
    }
    while chosen.len() < n {
        let a = *r.pick(attrs);
        if !chosen.contains(&a) {
            chosen.push(a);
        }
    }
    let leaves: Vec<(String, Value)> = chosen.iter().map(|a| leaf(r, a)).collect();
    let one = |(k, v): &(String, Value)| {
        let mut m = Map::new();
        m.insert(k.clone(), v.clone());
        Value::Object(m)
    };
    let cond = if leaves.len() == 1 {
        one(&leaves[0])
    } else {
        match r.weighted(&[60.0, 30.0, 10.0]) {
            0 => Value::Object(leaves.iter().cloned().collect()),
            1 => json!({"$and": leaves.iter().map(one).collect::<Vec<_>>()}),
            _ => json!({"$or": leaves.iter().map(one).collect::<Vec<_>>()}),
        }
    };
    if r.chance(0.02) {
        json!({"$not": cond})
    } else {
        cond
    }
}

pub fn offer_key(i: u64) -> OfferKey {
    OfferKey::parse("offer", &format!("o{i:05}")).expect("valid offer key")
}

/// Offer `i`: 5% generic, the rest targeted; every offer is on `email`.
pub fn offer(seed: u64, i: u64) -> (OfferKey, OfferSpec) {
    let mut r = Rng::stream(seed, OFFERS, i);
    let purpose = PURPOSES[r.weighted(&[60.0, 25.0, 15.0])];
    let generic = r.chance(0.05);
    let cond = if generic {
        json!({})
    } else {
        condition(&mut r, purpose)
    };
    let mut channels = BTreeSet::from([Channel::Email]);
    if r.chance(0.5) {
        channels.insert(Channel::Web);
    }
    if r.chance(0.2) {
        channels.insert(Channel::Sms);
    }
    let topics = if r.chance(0.6) {
        interest_list(&mut r, 2)
            .into_iter()
            .map(str::to_owned)
            .collect()
    } else {
        vec![]
    };
    let capped = r.chance(0.1);
    let spec = OfferSpec {
        title: en(&format!("Offer {i}")),
        body: en("A benchmark offer."),
        purpose: pk(purpose),
        condition: cond,
        channels,
        priority: r.below(4) as i32,
        valid_from: None,
        valid_until: None,
        max_per_subject: capped.then_some(3),
        period_days: capped.then_some(30),
        topics,
    };
    (offer_key(i), spec)
}

pub fn offers(seed: u64, k: usize) -> Vec<(OfferKey, OfferSpec)> {
    (0..k as u64).map(|i| offer(seed, i)).collect()
}

pub fn compiled_offers(seed: u64, k: usize, schema: &Schema) -> Vec<CompiledOffer> {
    offers(seed, k)
        .into_iter()
        .map(|(key, spec)| {
            compile_offer(key.clone(), spec, schema)
                .unwrap_or_else(|e| panic!("generated offer {key} does not compile: {e}"))
        })
        .collect()
}

/// An offer as the Node baselines read it.
pub fn offer_json(o: &CompiledOffer) -> Value {
    json!({
        "key": o.key,
        "purpose": o.spec.purpose,
        "generic": o.generic,
        "channels": o.spec.channels,
        "priority": o.spec.priority,
        "topics": o.spec.topics,
        "reads": o.reads,
        "max_per_subject": o.spec.max_per_subject,
        "condition": o.spec.condition,
    })
}

/// A subject as the Node baselines read it: per purpose, the masked attributes
/// an offer for that purpose may see (kerro's own `Profile::masked`), whether
/// the purpose has an active basis, and the declared values and consents that
/// reasons cite.
pub fn subject_json(schema: &Schema, g: &GenSubject, id: &str) -> Value {
    let mut p = g.profile();
    p.subject = SubjectId::from_suffix(&id.replace(SubjectId::PREFIX, ""));
    let mut v = profile_json(schema, &p);
    v["id"] = json!(id);
    v
}

/// The same, from a kerro `Profile` (e.g. one read back from a store).
pub fn profile_json(schema: &Schema, p: &Profile) -> Value {
    let mut masked = Map::new();
    let mut basis = Map::new();
    for purpose in PURPOSES {
        let key = pk(purpose);
        basis.insert(purpose.into(), json!(p.basis_active(schema, &key)));
        masked.insert(purpose.into(), Value::Object(p.masked(schema, &key)));
    }
    let declared: Map<String, Value> = p
        .declared
        .iter()
        .map(|(k, d)| {
            (
                k.to_string(),
                json!({"value": d.value, "form": d.form, "given_at": d.given_at}),
            )
        })
        .collect();
    let consents: Map<String, Value> = p
        .consents
        .iter()
        .map(|(k, c)| {
            (
                k.to_string(),
                json!({"state": c.state, "at": c.at, "record_id": c.record_id}),
            )
        })
        .collect();
    let channels: Vec<&str> = p
        .contact
        .channels
        .iter()
        .filter(|(_, on)| **on)
        .map(|(c, _)| c.as_str())
        .collect();
    json!({
        "id": p.subject,
        "masked": masked,
        "basis": basis,
        "declared": declared,
        "consents": consents,
        "channels": channels,
        "restricted": p.restricted,
        "objected_marketing": p.objected_marketing,
        "language": p.language,
    })
}

pub fn purposes_json(schema: &Schema) -> Value {
    Value::Object(
        schema
            .purposes
            .iter()
            .map(|(k, p)| {
                (
                    k.to_string(),
                    json!({"legal_basis": p.legal_basis, "marketing": p.is_marketing()}),
                )
            })
            .collect(),
    )
}

// ---------------------------------------------------------------------------
// Audience conditions and their SQL
// ---------------------------------------------------------------------------

/// One audience of the audience benchmark: the GrowthBook condition kerro
/// evaluates (purpose `marketing`, channel `email`) and the same question in
/// SQL over `bench_subjects.attrs` (reachability included).
pub struct AudienceCase {
    pub name: &'static str,
    pub condition: Value,
    pub sql_where: String,
}

/// Reachable for `marketing` on `email`: consent active, opted in, not
/// restricted, no objection to direct marketing (marketing is a marketing purpose).
pub const PG_REACHABLE: &str = r#"attrs @> '{"consents":["marketing"],"channels":["email"]}' AND NOT attrs @> '{"restricted":true}' AND NOT attrs @> '{"objected":true}'"#;

pub fn audience_cases() -> Vec<AudienceCase> {
    let case = |name, condition: Value, sql: &str| AudienceCase {
        name,
        condition,
        sql_where: format!("{PG_REACHABLE} AND {sql}"),
    };
    vec![
        // About 1.3%: two interests together, in two countries. $all and $in take
        // the index's per-option bitmaps.
        case(
            "a_1pct",
            json!({"interests": {"$all": ["ransomware", "nis2"]}, "country": {"$in": ["fi", "se", "ee"]}}),
            r#"attrs @> '{"interests":["ransomware","nis2"]}' AND attrs @? '$.country ? (@ == "fi" || @ == "se" || @ == "ee")'"#,
        ),
        // About 0.1%: an industry, a range and an $elemMatch. Plain equality,
        // ranges and $elemMatch take the general path (one evaluation per
        // distinct stored value).
        case(
            "b_01pct",
            json!({"$and": [
                {"industry": "finance"},
                {"employees": {"$gte": 250}},
                {"interests": {"$elemMatch": {"$in": ["iam", "zero_trust"]}}}
            ]}),
            r#"attrs @> '{"industry":"finance"}' AND attrs @? '$.employees ? (@ >= 250)' AND attrs @? '$.interests[*] ? (@ == "iam" || @ == "zero_trust")'"#,
        ),
        // About 30%: a broad $or.
        case(
            "c_30pct",
            json!({"$or": [
                {"interests": {"$in": ["phishing", "nis2"]}},
                {"company_size": {"$in": ["enterprise"]}}
            ]}),
            r#"(attrs @? '$.interests[*] ? (@ == "phishing" || @ == "nis2")' OR attrs @> '{"company_size":"enterprise"}')"#,
        ),
    ]
}
