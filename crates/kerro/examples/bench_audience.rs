//! Audience benchmark, kerro's side: `kerro_core::audience::AudienceIndex`
//! over N generated subjects (slots 0..N), three conditions of about 1%, 0.1%
//! and 30% of the subjects (purpose `marketing`, channel `email`), and an export.
//!
//! `cargo run --release -p kerro --example bench_audience -- --seed 1 --n 1000000 --out FILE.json`
//! (`--profile-case NAME --profile-seconds S` builds the index, then only
//! counts that case for S seconds, for `perf`; `export` profiles the export)
//!
//! Measures:
//! - build: `AudienceIndex::set(slot, &profile)` for every subject, timed in
//!   chunks of 65,536 (generating the profiles is timed apart and excluded);
//! - memory: the heap bytes in use (glibc `mallinfo2`: in-use chunks plus
//!   mmapped blocks) after the build minus before it, with every profile
//!   dropped, i.e. what the index holds including allocator slack; the RSS
//!   delta (after `malloc_trim`) is reported beside it;
//! - count: `compile_condition` + `AudienceIndex::count` (asserted equal to
//!   `matching(..).len()`), which is what `Store::audience_count` (behind
//!   `POST /v1/audiences/count`) does under its read lock; median of `--rounds` calls;
//! - export, for the condition whose count is nearest 130,000 at N = 10M
//!   (`a_1pct`): `AudienceIndex::each_member` streaming the members, and (1)
//!   their slots written into a preallocated `Vec<u32>`, and (2) each member's
//!   subject id read from the flat `SlotIds` table (as the store keeps it)
//!   and written as an NDJSON line `{"id":"sub_..."}` into a preallocated
//!   byte buffer. The store's export additionally clones each id and writes
//!   an audit row; that is not measured here.
//!
//! Writes the figures, counts and the SQL of each condition to `--out` for
//! `bench/node/audience_pg.mjs`, which asserts PostgreSQL's counts are equal.

#[path = "bench_gen.rs"]
mod gen;

use kerro_core::audience::{AudienceIndex, AudienceQuery, Engine};
use kerro_core::contact::Channel;
use kerro_core::offer::compile_condition;
use kerro_core::slot_ids::SlotIds;
use kerro_core::SubjectId;
use serde_json::json;
use std::hint::black_box;
use std::time::Instant;

#[repr(C)]
struct MallInfo2 {
    arena: usize,
    ordblks: usize,
    smblks: usize,
    hblks: usize,
    hblkhd: usize,
    usmblks: usize,
    fsmblks: usize,
    uordblks: usize,
    fordblks: usize,
    keepcost: usize,
}

extern "C" {
    fn mallinfo2() -> MallInfo2;
    fn malloc_trim(pad: usize) -> i32;
}

/// Heap bytes in use (glibc): allocated chunks plus mmapped blocks.
fn heap_in_use() -> usize {
    // SAFETY: glibc's mallinfo2 has no preconditions and returns a plain struct.
    let m = unsafe { mallinfo2() };
    m.uordblks + m.hblkhd
}

fn trim() {
    // SAFETY: malloc_trim only returns free memory to the system.
    unsafe {
        malloc_trim(0);
    }
}

fn rss() -> usize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<usize>().ok())
        })
        .unwrap_or(0)
        * 4096
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// Microseconds per call: one warm-up, then the median of `rounds` calls.
fn time_us(rounds: usize, mut f: impl FnMut()) -> (f64, Vec<f64>) {
    f();
    let mut v: Vec<f64> = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    let m = median(&mut v.clone());
    v.sort_by(|a, b| a.total_cmp(b));
    (m, v)
}

fn main() -> anyhow::Result<()> {
    let seed = gen::arg_u64("--seed", 1);
    let n = gen::arg_u64("--n", 1_000_000);
    let rounds = gen::arg_u64("--rounds", 15) as usize;
    let out = gen::arg("--out", "target/bench/audience_kerro.json");
    let schema = gen::schema();

    // Build.
    trim();
    let (heap0, rss0) = (heap_in_use(), rss());
    let mut index = AudienceIndex::new();
    // `--engine roaring`: the lazy roaring planner instead of flat words.
    if gen::arg("--engine", "flat") == "roaring" {
        index.use_engine(Engine::Roaring);
    }
    let (mut gen_s, mut build_s) = (0.0, 0.0);
    const CHUNK: u64 = 65_536;
    let mut start = 0;
    while start < n {
        let end = (start + CHUNK).min(n);
        let t = Instant::now();
        let profiles: Vec<_> = (start..end)
            .map(|i| gen::subject(seed, i).profile())
            .collect();
        gen_s += t.elapsed().as_secs_f64();
        let t = Instant::now();
        for (i, p) in profiles.iter().enumerate() {
            index.set((start + i as u64) as u32, p);
        }
        build_s += t.elapsed().as_secs_f64();
        drop(profiles);
        start = end;
    }
    trim();
    let (heap1, rss1) = (heap_in_use(), rss());
    let heap = heap1.saturating_sub(heap0);
    let rss_delta = rss1.saturating_sub(rss0);
    println!(
        "audience: seed {seed}, N = {n}: index built in {build_s:.2} s ({:.2} us/subject; generating the profiles took {gen_s:.2} s more)",
        build_s * 1e6 / n as f64
    );
    println!(
        "  index memory: {:.1} MiB heap in use ({:.1} bytes/subject); RSS delta {:.1} MiB ({:.1} bytes/subject)",
        heap as f64 / 1048576.0,
        heap as f64 / n as f64,
        rss_delta as f64 / 1048576.0,
        rss_delta as f64 / n as f64
    );

    // `--profile-case NAME`: count (or export) one case for a while, time nothing.
    let profile_case = gen::arg("--profile-case", "");
    if !profile_case.is_empty() {
        let secs = gen::arg_u64("--profile-seconds", 10);
        let purpose = gen::pk("marketing");
        let cases = gen::audience_cases();
        let export = profile_case == "export";
        let case = if export {
            &cases[0]
        } else {
            cases
                .iter()
                .find(|c| c.name == profile_case)
                .ok_or_else(|| anyhow::anyhow!("no case {profile_case}"))?
        };
        let (compiled, _) = compile_condition(&purpose, &case.condition, &schema)?;
        let q = AudienceQuery {
            purpose: &purpose,
            channel: Channel::Email,
            condition: &compiled,
        };
        let t = Instant::now();
        let mut calls = 0u64;
        while t.elapsed().as_secs() < secs {
            if export {
                let mut slots = Vec::new();
                index.each_member(&schema, &q, |s| slots.extend_from_slice(s));
                black_box(slots);
            } else {
                black_box(index.count(&schema, &q));
            }
            calls += 1;
        }
        println!(
            "  profiled {profile_case}: {calls} calls, {:.1} us each",
            t.elapsed().as_secs_f64() * 1e6 / calls as f64
        );
        std::process::exit(0);
    }

    // The slot table the store keeps (slot -> subject id), for the export.
    let mut ids = SlotIds::new();
    for i in 0..n {
        ids.push(&SubjectId::from_suffix(&format!("BENCH{i:021}")));
    }

    let purpose = gen::pk("marketing");
    let channel = Channel::Email;
    let mut cases = Vec::new();
    println!(
        "  {:<8}  {:>10}  {:>8}  {:>12}  {:>12}",
        "case", "count", "share", "count us", "min..max us"
    );
    for case in gen::audience_cases() {
        let mut count = 0;
        let (us, runs) = time_us(rounds, || {
            let (compiled, _) =
                compile_condition(&purpose, &case.condition, &schema).expect("condition compiles");
            let q = AudienceQuery {
                purpose: &purpose,
                channel,
                condition: &compiled,
            };
            count = black_box(index.count(&schema, &q));
        });
        assert_eq!(
            count,
            index
                .matching(
                    &schema,
                    &AudienceQuery {
                        purpose: &purpose,
                        channel,
                        condition: &compile_condition(&purpose, &case.condition, &schema)?.0,
                    }
                )
                .len(),
            "count() and matching() disagree on {}",
            case.name
        );
        println!(
            "  {:<8}  {count:>10}  {:>7.3}%  {us:>12.1}  {:>5.0}..{:.0}",
            case.name,
            100.0 * count as f64 / n as f64,
            runs[0],
            runs[runs.len() - 1]
        );
        cases.push(json!({
            "name": case.name,
            "condition": case.condition,
            "sql_where": case.sql_where,
            "count": count,
            "count_us": us,
            "count_us_runs": runs,
        }));
    }

    // Where the time goes: the reachable set alone (consent, channel,
    // restriction, objection), and each test of the conditions alone.
    let (reach_us, _) = time_us(rounds, || {
        black_box(index.reachable(&schema, &purpose, channel));
    });
    println!("  reachable(marketing, email) alone: {reach_us:.1} us");
    let mut parts = Vec::new();
    for case in gen::audience_cases() {
        let leaves: Vec<serde_json::Value> = match &case.condition {
            serde_json::Value::Object(m)
                if m.len() == 1 && (m.contains_key("$and") || m.contains_key("$or")) =>
            {
                m.values()
                    .next()
                    .and_then(|v| v.as_array())
                    .cloned()
                    .unwrap_or_default()
            }
            serde_json::Value::Object(m) => m
                .iter()
                .map(|(k, v)| json!({ k.clone(): v.clone() }))
                .collect(),
            _ => vec![],
        };
        for leaf in leaves {
            let (compiled, _) = compile_condition(&purpose, &leaf, &schema)?;
            let q = AudienceQuery {
                purpose: &purpose,
                channel,
                condition: &compiled,
            };
            let (us, _) = time_us(rounds.min(5), || {
                black_box(index.count(&schema, &q));
            });
            println!("    {} part {leaf}: {us:.1} us", case.name);
            parts.push(json!({"case": case.name, "part": leaf, "us": us}));
        }
    }

    // Export of the ~1% audience.
    let case = &gen::audience_cases()[0];
    let (compiled, _) = compile_condition(&purpose, &case.condition, &schema)?;
    let q = AudienceQuery {
        purpose: &purpose,
        channel,
        condition: &compiled,
    };
    let members = index.matching(&schema, &q).len() as usize;
    let mut slots: Vec<u32> = Vec::with_capacity(members);
    let (slots_us, slots_runs) = time_us(rounds, || {
        slots.clear();
        index.each_member(&schema, &q, |s| slots.extend_from_slice(s));
        black_box(&slots);
    });
    let line = "{\"id\":\"\"}\n".len() + 30;
    let mut buf: Vec<u8> = Vec::with_capacity(members * line);
    let (ndjson_us, ndjson_runs) = time_us(rounds, || {
        buf.clear();
        index.each_member(&schema, &q, |s| ids.write_lines(s, &mut buf));
        black_box(&buf);
    });
    assert_eq!(buf.len(), members * line);
    println!(
        "  export {}: {members} ids; slots into a Vec<u32>: {slots_us:.0} us; NDJSON ids into a buffer: {ndjson_us:.0} us (matching included in both)",
        case.name
    );

    println!("  index parts (after the queries, with the flat copies they made):");
    for f in index.footprint() {
        println!(
            "    {}: {:.1} bytes/subject in {} containers",
            f.part,
            f.bytes as f64 / n as f64,
            f.containers
        );
    }

    let result = json!({
        "seed": seed,
        "n": n,
        "build_s": build_s,
        "gen_s": gen_s,
        "heap_bytes": heap,
        "rss_delta_bytes": rss_delta,
        "cases": cases,
        "reachable_us": reach_us,
        "parts": parts,
        "export": {
            "case": case.name,
            "ids": members,
            "slots_us": slots_us,
            "slots_us_runs": slots_runs,
            "ndjson_us": ndjson_us,
            "ndjson_us_runs": ndjson_runs,
            "ndjson_bytes": buf.len(),
        },
    });
    if let Some(dir) = std::path::Path::new(&out).parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&out, result.to_string())?;
    Ok(())
}
