//! Bulk import throughput: `cargo run --release -p kerro --example import_bench -- [records]`.
//!
//! Seeds the demo schema into a fresh store in a temporary directory, writes
//! `records` NDJSON import lines (default 50,000; each a new B2B subject with
//! five to seven answers and three consent choices, with provenance and
//! evidence), then runs the same import code as `kerro import` and prints
//! declarations per second. Every record is committed with synchronous=FULL.
//!
//! `-- records --keep DIR` imports into DIR (which must not hold a store yet)
//! and keeps it, for `bench/run.sh memory` to serve.

use chrono::{Duration, Utc};
use kerro_store::{Store, StoreOptions};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde_json::json;
use std::io::Write;

fn main() -> anyhow::Result<()> {
    let records: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(50_000);
    let keep = std::env::args()
        .skip_while(|a| a != "--keep")
        .nth(1)
        .map(std::path::PathBuf::from);
    let temp = tempfile::tempdir()?;
    let path = keep.clone().unwrap_or_else(|| temp.path().to_owned());
    std::fs::create_dir_all(&path)?;
    let mut opts = StoreOptions::new(&path);
    opts.index = false;
    let store = Store::open(&opts)?;
    kerro::demo::seed(&store, Utc::now(), 1)?;
    let version = store
        .schema()
        .notices
        .iter()
        .find(|(k, _)| k.as_str() == "b2b_survey")
        .map(|(_, v)| v.version)
        .unwrap_or(1);

    let file = temp.path().join("import.ndjson");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file)?);
    let mut rng = StdRng::seed_from_u64(7);
    // The demo's B2B survey options, so the records fit the demo schema.
    let interests = kerro::demo::SECURITY_INTERESTS;
    let areas = kerro::demo::PROTECT_AREAS;
    let sizes = kerro::demo::COMPANY_SIZES.map(|(key, _, _)| key);
    let base = Utc::now() - Duration::days(400);
    for i in 0..records {
        let mut pick = |from: &[&'static str], n: usize| {
            let mut v: Vec<&str> = from.choose_multiple(&mut rng, n).copied().collect();
            v.sort();
            v
        };
        let ints = pick(&interests, 3);
        let prot = pick(&areas, 2);
        let comp = pick(&["nis2", "iso27001", "gdpr", "dora"], 1);
        let line = json!({
            "subject": {"external_id": format!("crm-{i:08}"), "email": format!("contact{i}@client{}.example", i % 997), "locale": "fi", "organization": format!("Client {i} Oy")},
            "form": "b2b_survey", "notice_version": version,
            "given_at": base + Duration::minutes(i as i64),
            "answers": {"security_interests": ints, "protect_areas": prot, "compliance_needs": comp,
                        "company_size": sizes[i % sizes.len()], "employees": 10 + (i % 5000), "next_review": "2027-03-31",
                        "wishes": "More OT security workshops"},
            "consents": {"security_updates": true, "compliance_advisory": true},
            "evidence": {"source": "legacy-preference-centre", "record": format!("lpc-{i}")}
        });
        let mut line = line;
        line["consents"]
            .as_object_mut()
            .map(|c| c.remove("account_service"));
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    drop(out);
    let report = kerro::import::run(&store, &file, 2000)?;
    println!("{report}");
    Ok(())
}
