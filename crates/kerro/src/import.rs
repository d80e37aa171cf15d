//! `kerro import`: moves declared data from an existing preference centre into
//! kerro. Reads NDJSON (one record per line, see docs/import.md), parses on one
//! thread while the store writes the previous batch, shows a progress bar, and
//! reports every refused line with its reason. Nothing without provenance and
//! consent evidence is stored (P1).

use anyhow::Context;
use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use kerro_core::{Actor, CoreError, FormKey, Lang};
use kerro_store::{ImportRecord, Store};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::fmt;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::mpsc;
use std::time::Instant;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    #[serde(default)]
    subject: SubjectFields,
    form: String,
    notice_version: u32,
    given_at: DateTime<Utc>,
    #[serde(default)]
    answers: Map<String, Value>,
    #[serde(default)]
    consents: Map<String, Value>,
    #[serde(default)]
    explicit: Vec<String>,
    evidence: Value,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubjectFields {
    external_id: Option<String>,
    email: Option<String>,
    locale: Option<String>,
    organization: Option<String>,
}

/// What an import did.
#[derive(Debug, Default)]
pub struct Report {
    pub records: usize,
    pub declarations: usize,
    pub refused: Vec<(usize, String)>,
    pub seconds: f64,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (line, why) in self.refused.iter().take(50) {
            writeln!(f, "line {line}: refused: {why}")?;
        }
        if self.refused.len() > 50 {
            writeln!(f, "... and {} more refused lines", self.refused.len() - 50)?;
        }
        write!(
            f,
            "imported {} records ({} declarations) in {:.2} s ({:.0} declarations/s); refused {}",
            self.records,
            self.declarations,
            self.seconds,
            self.declarations as f64 / self.seconds.max(1e-9),
            self.refused.len()
        )
    }
}

fn parse(n: usize, text: &str) -> Result<ImportRecord, String> {
    let de = &mut serde_json::Deserializer::from_str(text);
    let l: Line = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        match path.as_str() {
            "." | "?" | "" => format!("not a valid record: {}", e.into_inner()),
            _ => format!("not a valid record at {path}: {}", e.into_inner()),
        }
    })?;
    let form = FormKey::parse("form", &l.form).map_err(|e| e.message)?;
    let locale = match l.subject.locale.as_deref() {
        Some(raw) => {
            Some(Lang::parse(raw).ok_or_else(|| format!("locale '{raw}' is not fi, sv or en"))?)
        }
        None => None,
    };
    Ok(ImportRecord {
        line: n,
        external_id: l.subject.external_id,
        email: l.subject.email,
        locale,
        organization: l.subject.organization,
        form,
        notice_version: l.notice_version,
        given_at: l.given_at,
        answers: l.answers,
        consents: l.consents,
        explicit: l.explicit,
        evidence: l.evidence,
    })
}

fn describe(e: &CoreError) -> String {
    match &e.field {
        Some(f) => format!("{} ({f}): {}", e.code.as_str(), e.message),
        None => format!("{}: {}", e.code.as_str(), e.message),
    }
}

/// Imports `file` into `store`, `batch` records per transaction.
pub fn run(store: &Store, file: &Path, batch: usize) -> anyhow::Result<Report> {
    let size = std::fs::metadata(file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .len();
    let reader = BufReader::new(
        std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?,
    );
    let bar = ProgressBar::new(size);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {per_sec} eta {eta} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let (tx, rx) = mpsc::sync_channel::<(Vec<ImportRecord>, Vec<(usize, String)>, u64)>(2);
    let parser = std::thread::spawn(move || -> anyhow::Result<()> {
        let (mut records, mut refused, mut bytes) = (Vec::with_capacity(batch), Vec::new(), 0u64);
        for (i, line) in reader.lines().enumerate() {
            let line = line.context("cannot read the input")?;
            bytes += line.len() as u64 + 1;
            if line.trim().is_empty() {
                continue;
            }
            match parse(i + 1, &line) {
                Ok(r) => records.push(r),
                Err(why) => refused.push((i + 1, why)),
            }
            if records.len() >= batch {
                let full = std::mem::replace(&mut records, Vec::with_capacity(batch));
                if tx
                    .send((
                        full,
                        std::mem::take(&mut refused),
                        std::mem::take(&mut bytes),
                    ))
                    .is_err()
                {
                    return Ok(());
                }
            }
        }
        let _ = tx.send((records, refused, bytes));
        Ok(())
    });
    let actor = Actor::System("import".into());
    let mut report = Report::default();
    for (records, refused, bytes) in rx {
        report.refused.extend(refused);
        if !records.is_empty() {
            for o in store.import_batch(&actor, chrono::Utc::now(), records)? {
                match o.result {
                    Ok((_, n)) => {
                        report.records += 1;
                        report.declarations += n;
                    }
                    Err(e) => report.refused.push((o.line, describe(&e))),
                }
            }
        }
        bar.inc(bytes);
        bar.set_message(format!(
            "{} records, {} refused",
            report.records,
            report.refused.len()
        ));
    }
    parser
        .join()
        .map_err(|_| anyhow::anyhow!("the parser thread failed"))??;
    bar.finish_and_clear();
    report.refused.sort_by_key(|(l, _)| *l);
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}
