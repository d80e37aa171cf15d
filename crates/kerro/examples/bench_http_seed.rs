//! HTTP decision benchmark, the data: seeds a kerro data directory through the
//! store API with the benchmark schema, K generated offers and S generated
//! subjects (answers and consents through a form submission, channels through
//! the contact preferences), and a `service` staff token.
//!
//! `cargo run --release -p kerro --example bench_http_seed -- --seed 1 --k 1000 --subjects 1000 --data DIR`
//!
//! Writes `DIR/bench_http.json` (token, subject ids, seed, K) and
//! `DIR/node_input.json` (the offers, and each subject's profile as the store
//! holds it, masked per purpose) for the Node baseline server. Does nothing if
//! `DIR/bench_http.json` already records the same seed, K and S.
//!
//! The subjects are generated subjects who consented to both consent purposes
//! and opted in to e-mail (as in the in-process decision benchmark), so every
//! decision evaluates the whole catalogue for them.

#[path = "bench_gen.rs"]
mod gen;

use chrono::Utc;
use kerro_core::contact::{Channel, ContactPrefs};
use kerro_core::{Actor, Role};
use kerro_store::{NewSubject, Store, StoreOptions, Submission};
use serde_json::{json, Map, Value};
use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let seed = gen::arg_u64("--seed", 1);
    let k = gen::arg_u64("--k", 1000) as usize;
    let nsub = gen::arg_u64("--subjects", 1000) as usize;
    let dir = PathBuf::from(gen::arg("--data", "target/bench/http-data"));
    let marker = dir.join("bench_http.json");
    if let Ok(text) = std::fs::read_to_string(&marker) {
        let m: Value = serde_json::from_str(&text)?;
        if m["seed"] == json!(seed)
            && m["k"] == json!(k)
            && m["subjects"].as_array().map(Vec::len) == Some(nsub)
        {
            eprintln!(
                "bench_http_seed: {} already holds seed {seed}, K = {k}, {nsub} subjects",
                dir.display()
            );
            return Ok(());
        }
    }
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    let store = Store::open(&StoreOptions::new(&dir))?;
    let actor = Actor::System("bench".into());
    let now = Utc::now();
    let (purposes, attributes, forms) = gen::definitions();
    for (key, spec) in purposes {
        store.put_purpose(&actor, now, key, spec)?;
    }
    for (key, spec) in attributes {
        store.put_attribute(&actor, now, key, spec)?;
    }
    for (key, spec) in forms {
        store.put_form(&actor, now, key, spec)?;
    }
    let t = std::time::Instant::now();
    for (key, spec) in gen::offers(seed, k) {
        store.put_offer(&actor, now, key, spec)?;
    }
    eprintln!(
        "bench_http_seed: {k} offers in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let form = kerro_core::FormKey::parse("form", gen::FORM)?;
    let notice_version = store
        .schema()
        .notices
        .get(&form)
        .map(|n| n.version)
        .ok_or_else(|| anyhow::anyhow!("the form has no notice"))?;
    let subjects = gen::decision_subjects(seed, Channel::Email, 0, nsub);
    let t = std::time::Instant::now();
    // Several writers at once: the store's group commit shares each fsync.
    let threads = 16;
    let ids: Vec<anyhow::Result<String>> = std::thread::scope(|s| {
        let chunks: Vec<_> = subjects.chunks(nsub.div_ceil(threads).max(1)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                let (store, actor, form) = (store.clone(), actor.clone(), form.clone());
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|g| -> anyhow::Result<String> {
                            let id = store.create_subject(&actor, now, NewSubject::default())?;
                            let mut consents = Map::new();
                            for (p, st) in &g.consents {
                                consents.insert((*p).to_owned(), json!(st.is_active()));
                            }
                            store.submit(
                                &actor,
                                now,
                                Submission {
                                    form: form.clone(),
                                    subject: id.clone(),
                                    notice_version,
                                    answers: g.answers(),
                                    consents,
                                    language: None,
                                    explicit: vec![],
                                    recipients: Default::default(),
                                },
                            )?;
                            store.set_contact(
                                &actor,
                                now,
                                &id,
                                ContactPrefs {
                                    channels: g.channels.iter().map(|c| (*c, true)).collect(),
                                    max_per_week: None,
                                    language: None,
                                    ..Default::default()
                                },
                            )?;
                            Ok(id.to_string())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("seeding thread"))
            .collect()
    });
    let ids: Vec<String> = ids.into_iter().collect::<Result<_, _>>()?;
    eprintln!(
        "bench_http_seed: {nsub} subjects in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // The Node server's input: the offers and each subject as the store holds it.
    let snap = store.schema();
    let mut subj_json = Vec::new();
    for id in &ids {
        let sid = kerro_core::SubjectId::parse(id)?;
        let p = store.profile(&sid)?;
        subj_json.push(gen::profile_json(&snap.schema, &p));
    }
    let input = json!({
        "seed": seed,
        "k": k,
        "default_language": "fi",
        "purposes": gen::purposes_json(&snap.schema),
        "offers": snap.offers.iter().map(|o| {
            let mut v = gen::offer_json(o);
            v["title"] = json!(o.spec.title);
            v["body"] = json!(o.spec.body);
            v
        }).collect::<Vec<_>>(),
        "subjects": subj_json,
    });
    std::fs::write(dir.join("node_input.json"), input.to_string())?;
    let (_, token) = store.create_staff_token(&actor, Utc::now(), Role::Service, "bench")?;
    std::fs::write(
        &marker,
        json!({"seed": seed, "k": k, "token": token, "subjects": ids}).to_string(),
    )?;
    eprintln!("bench_http_seed: wrote {}", dir.display());
    Ok(())
}
