//! `kerro db copy`: moves an installation into a new, empty database with a
//! progress bar, then verifies the copy: equal row counts in every table, and
//! the ledger's and audit log's hash chains intact on the target.

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use kerro_store::{Location, Store, StoreOptions};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::{Config, Overrides};

pub fn run(
    data: &Option<PathBuf>,
    config: &Option<PathBuf>,
    from: &str,
    to: &str,
) -> anyhow::Result<ExitCode> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let cfg = Config::load(
        &Overrides {
            config_file: config.clone(),
            data_dir: data.clone(),
            database: Some(to.to_owned()),
            listen: None,
        },
        &env,
    )?;
    let (source, target) = (Location::parse(from)?, Location::parse(to)?);
    if source == target {
        bail!("--from and --to name the same database");
    }
    // The copy keeps ciphertexts as they are; verifying it needs the very key they were sealed with.
    let key = cfg
        .master_key_file
        .clone()
        .unwrap_or_else(|| cfg.data_dir.join("master.key"));
    if !key.exists() {
        bail!(
            "the master key {} is missing; give the installation's --data DIR or KERRO_MASTER_KEY_FILE",
            key.display()
        );
    }
    let from_conn = kerro_store::connect(&source, false)
        .with_context(|| format!("cannot open {}", source.display()))?;
    let to_conn = kerro_store::connect(&target, true)
        .with_context(|| format!("cannot open {}", target.display()))?;
    eprintln!("copying {} -> {}", source.display(), target.display());
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} rows ({per_sec}) {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let report = kerro_store::copy(&from_conn, &to_conn, |p| {
        bar.set_length(p.total);
        bar.set_position(p.copied);
        bar.set_message(p.table.to_owned());
    })
    .context("the copy failed; the target was left empty")?;
    bar.finish_with_message("done");
    drop((from_conn, to_conn));
    for (table, n) in &report.tables {
        println!("{table:<24} {n:>10}");
    }
    let store = Store::open(&StoreOptions {
        data_dir: cfg.data_dir.clone(),
        master_key_file: cfg.master_key_file.clone(),
        default_lang: cfg.default_language,
        index: false,
        database: Some(to.to_owned()),
    })
    .context("cannot open the copy")?;
    let mut ok = true;
    for (what, result) in [
        ("ledger", store.verify_ledger()?),
        ("audit log", store.verify_audit()?),
    ] {
        match result {
            Ok(n) => println!("{what} ok: {n} entries, hash chain intact"),
            Err(b) => {
                ok = false;
                println!("{what} BROKEN at seq {}: {}", b.seq, b.reason);
            }
        }
    }
    println!(
        "copied {} rows; row counts equal in all {} tables",
        report.rows(),
        report.tables.len() - 1
    );
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
