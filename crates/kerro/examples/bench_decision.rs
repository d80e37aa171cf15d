//! Decision benchmark, kerro's side: one subject against K offers (K = 100,
//! 1,000, 10,000 by default), through `kerro_core::catalogue::Catalogue::decide`
//! (what the server runs: offers grouped by purpose, with an inverted index of
//! the options a condition requires) and, for comparison, through the plain
//! loop `kerro_core::decide::decide`.
//!
//! `cargo run --release -p kerro --example bench_decision -- --seed 1 --out DIR`
//! (`--profile-catalogue S` runs only `Catalogue::decide`, S seconds per K, for `perf`)
//!
//! Writes, per K, `DIR/decision_K.json`: the offers (conditions, purposes,
//! reads, topics) and the subjects (per purpose the masked profile kerro's
//! `Profile::masked` gives, plus the values and consents reasons cite) with the
//! offers kerro matched and the ranked offers it chose, so that
//! `bench/node/decision.mjs` can assert the GrowthBook SDK agrees before it
//! times the same work. Then times `Catalogue::decide` (ranking and reasons
//! included), the plain `decide`, and the bare loop of `Condition::eval` over
//! the same conditions, and writes `DIR/decision_kerro.json` (`--tag T` names
//! it `decision_kerroT.json`, so several runs can sit side by side).
//!
//! The subjects are the first `--subjects` generated subjects who consented to
//! both consent purposes, opted in to e-mail, are not restricted and did not
//! object: for them every offer's condition is evaluated, none is skipped early.
//! Each figure is the median over `--rounds` batches per subject (a batch runs
//! about 1 ms), then the median over subjects.

#[path = "bench_gen.rs"]
mod gen;

use kerro_core::catalogue::Catalogue;
use kerro_core::contact::Channel;
use kerro_core::decide::{decide, Request};
use kerro_core::offer::CompiledOffer;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::hint::black_box;
use std::time::Instant;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return f64::NAN;
    }
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// Nanoseconds per call of `f`, median over `rounds` batches of about `batch_ns`.
fn time_per_call(rounds: usize, batch_ns: f64, mut f: impl FnMut()) -> f64 {
    // Calibrate.
    let t = Instant::now();
    let mut calls = 0u64;
    while t.elapsed().as_nanos() < 2_000_000 || calls < 3 {
        f();
        calls += 1;
    }
    let per = t.elapsed().as_nanos() as f64 / calls as f64;
    let iters = ((batch_ns / per).ceil() as u64).max(1);
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        for _ in 0..iters {
            f();
        }
        samples.push(t.elapsed().as_nanos() as f64 / iters as f64);
    }
    median(&mut samples)
}

/// The offers whose condition passes on the subject's profile masked for the
/// offer's purpose (generic offers pass), by key: what the SDK must agree on.
fn matches(offers: &[CompiledOffer], subject: &Value) -> Vec<String> {
    let groups = Map::new();
    offers
        .iter()
        .filter(|o| {
            let p = o.spec.purpose.as_str();
            o.generic
                || (subject["basis"][p] == json!(true)
                    && o.condition.eval(&subject["masked"][p], &groups))
        })
        .map(|o| o.key.to_string())
        .collect()
}

fn main() -> anyhow::Result<()> {
    let seed = gen::arg_u64("--seed", 1);
    let ks: Vec<usize> = gen::arg("--ks", "100,1000,10000")
        .split(',')
        .map(|k| k.replace('_', "").parse())
        .collect::<Result<_, _>>()?;
    let nsub = gen::arg_u64("--subjects", 16) as usize;
    let rounds = gen::arg_u64("--rounds", 21) as usize;
    let limit = gen::arg_u64("--limit", 3) as usize;
    // `--profile-catalogue S`: run only `Catalogue::decide` for S seconds per K
    // (under `perf record`), and time nothing.
    let profile_secs = gen::arg_u64("--profile-catalogue", 0);
    let out = std::path::PathBuf::from(gen::arg("--out", "target/bench"));
    std::fs::create_dir_all(&out)?;

    let schema = gen::schema();
    let channel = Channel::Email;
    let subjects = gen::decision_subjects(seed, channel, 0, nsub);
    let profiles: Vec<_> = subjects.iter().map(|s| s.profile()).collect();
    let now = gen::epoch();

    println!(
        "decision: seed {seed}, {nsub} subjects, channel email, limit {limit}; median ns per decision"
    );
    println!(
        "{:>6}  {:>9}  {:>13}  {:>16}  {:>13}",
        "K", "matched", "catalogue ns", "plain decide ns", "eval-loop ns"
    );
    let mut results = Map::new();
    for &k in &ks {
        let offers = gen::compiled_offers(seed, k, &schema);
        let catalogue = Catalogue::new(&schema, offers.clone());
        let req = Request {
            channel,
            limit,
            now,
        };
        let all = Request {
            channel,
            limit: usize::MAX,
            now,
        };
        // Inputs for the baseline, with what kerro decided.
        let mut subj_json = Vec::new();
        let mut matched_total = 0usize;
        for (g, p) in subjects.iter().zip(&profiles) {
            let mut sj = gen::subject_json(&schema, g, g.id().as_str());
            let m = matches(&offers, &sj);
            // With no limit, a decision must choose exactly the matching offers
            // here (all offers are on e-mail, no cap is reached, the subject is
            // reachable); the catalogue must agree with the plain loop.
            let every = decide(&schema, &offers, p, &[], &all);
            let chosen: BTreeSet<String> =
                every.offers.iter().map(|c| c.offer.to_string()).collect();
            let expected: BTreeSet<String> = m.iter().cloned().collect();
            assert_eq!(
                chosen,
                expected,
                "decide() and the condition loop disagree for {}",
                g.id()
            );
            let every_cat = catalogue.decide(&schema, p, &[], &all);
            assert_eq!(
                every_cat,
                every,
                "Catalogue::decide and decide disagree for {}",
                g.id()
            );
            matched_total += m.len();
            let ranked = catalogue.decide(&schema, p, &[], &req);
            assert_eq!(
                ranked,
                decide(&schema, &offers, p, &[], &req),
                "Catalogue::decide and decide rank differently for {}",
                g.id()
            );
            let ranked: Vec<String> = ranked.offers.iter().map(|c| c.offer.to_string()).collect();
            sj["expected_matches"] = json!(m);
            sj["expected_ranked"] = json!(ranked);
            subj_json.push(sj);
        }
        let input = json!({
            "seed": seed,
            "k": k,
            "channel": "email",
            "limit": limit,
            "purposes": gen::purposes_json(&schema),
            "offers": offers.iter().map(gen::offer_json).collect::<Vec<_>>(),
            "subjects": subj_json,
        });
        std::fs::write(out.join(format!("decision_{k}.json")), input.to_string())?;
        drop(input);

        if profile_secs > 0 {
            let t = Instant::now();
            while t.elapsed().as_secs() < profile_secs {
                for p in &profiles {
                    black_box(catalogue.decide(&schema, black_box(p), &[], &req));
                }
            }
            continue;
        }
        // Timing per subject: the catalogue (what the server runs), the plain
        // decide, and the bare loop of conditions.
        let mut cat_ns = Vec::new();
        let mut plain_ns = Vec::new();
        let mut eval_ns = Vec::new();
        for (i, p) in profiles.iter().enumerate() {
            cat_ns.push(time_per_call(rounds, 1e6, || {
                black_box(catalogue.decide(&schema, black_box(p), &[], &req));
            }));
            plain_ns.push(time_per_call(rounds, 1e6, || {
                black_box(decide(&schema, &offers, black_box(p), &[], &req));
            }));
            // Every targeted offer's condition on the profile masked for its
            // purpose (masks precomputed), as the SDK loop does.
            let masks = subj_json[i]["masked"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            let targeted: Vec<(&CompiledOffer, &Value)> = offers
                .iter()
                .filter(|o| !o.generic)
                .map(|o| (o, &masks[o.spec.purpose.as_str()]))
                .collect();
            let groups = Map::new();
            eval_ns.push(time_per_call(rounds, 1e6, || {
                let mut n = 0u32;
                for (o, m) in &targeted {
                    n += u32::from(o.condition.eval(black_box(m), &groups));
                }
                black_box(n);
            }));
        }
        let (c, p, e) = (
            median(&mut cat_ns.clone()),
            median(&mut plain_ns.clone()),
            median(&mut eval_ns.clone()),
        );
        let matched = matched_total as f64 / subjects.len() as f64;
        println!("{k:>6}  {matched:>9.1}  {c:>13.0}  {p:>16.0}  {e:>13.0}");
        results.insert(
            k.to_string(),
            json!({
                "decide_ns": c,
                "decide_ns_per_subject": cat_ns,
                "plain_decide_ns": p,
                "plain_decide_ns_per_subject": plain_ns,
                "eval_loop_ns": e,
                "eval_loop_ns_per_subject": eval_ns,
                "matched_mean": matched,
            }),
        );
    }
    std::fs::write(
        out.join(format!("decision_kerro{}.json", gen::arg("--tag", ""))),
        json!({"seed": seed, "limit": limit, "subjects": nsub, "results": results}).to_string(),
    )?;
    Ok(())
}
