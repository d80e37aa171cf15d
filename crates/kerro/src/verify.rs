//! `kerro ledger verify` and `kerro audit verify`: a chain's links and its
//! signed checkpoints, and copies of them kept elsewhere (`--checkpoints
//! FILE`, a saved `GET /v1/checkpoints`), reported one line per finding.
//! Exit 0 when all holds, 1 naming each problem. What counts as a problem is
//! the store's (`Store::verify_chain`); this module reads copies and prints.

use anyhow::Context;
use kerro_store::{Chain, ChainProblem, ChainReport, Checkpoint, CheckpointCopy, Store};
use serde::Deserialize;
use std::path::Path;
use std::process::ExitCode;

/// One checkpoint as `GET /v1/checkpoints` answers it.
#[derive(Deserialize)]
struct Published {
    #[serde(default)]
    seq: i64,
    chain: String,
    head_seq: i64,
    head_hash: String,
    created_at: String,
    public_key: String,
    signature: String,
}

/// A copy: the API's answer (`{"checkpoints": [...]}`) or a bare list of checkpoints.
#[derive(Deserialize)]
#[serde(untagged)]
enum CopyFile {
    Answer { checkpoints: Vec<Published> },
    List(Vec<Published>),
}

/// Reads a copy of the checkpoints kept elsewhere.
pub fn read_copy(path: &Path) -> anyhow::Result<CheckpointCopy> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read checkpoints from {}", path.display()))?;
    let file: CopyFile = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a list of checkpoints as GET /v1/checkpoints answers",
            path.display()
        )
    })?;
    let list = match file {
        CopyFile::Answer { checkpoints } | CopyFile::List(checkpoints) => checkpoints,
    };
    let mut checkpoints = Vec::with_capacity(list.len());
    for p in list {
        let chain = Chain::parse(&p.chain).with_context(|| {
            format!(
                "{}: chain '{}' is neither ledger nor audit",
                path.display(),
                p.chain
            )
        })?;
        checkpoints.push(Checkpoint {
            seq: p.seq,
            chain,
            head_seq: p.head_seq,
            head_hash: p.head_hash,
            created_at: p.created_at,
            public_key: p.public_key,
            signature: p.signature,
        });
    }
    Ok(CheckpointCopy {
        source: path.display().to_string(),
        checkpoints,
    })
}

/// Checks `chain` against its checkpoints and the copies, prints the report.
pub fn run(store: &Store, chain: Chain, copies: &[CheckpointCopy]) -> anyhow::Result<ExitCode> {
    let report = store.verify_chain(chain, copies)?;
    print!("{}", render(&report));
    Ok(if report.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// What the chain is called in the report.
fn title(chain: Chain) -> &'static str {
    match chain {
        Chain::Ledger => "ledger",
        Chain::Audit => "audit log",
    }
}

/// The report's lines: the links, then the checkpoints, then each problem.
pub fn render(r: &ChainReport) -> String {
    let what = title(r.chain);
    let mut out = String::new();
    let broken = r
        .problems
        .iter()
        .any(|p| matches!(p, ChainProblem::Broken(_)));
    if !broken {
        out.push_str(&format!(
            "{what} ok: {} entries, hash chain intact\n",
            r.entries
        ));
    }
    match &r.newest {
        Some(c) => out.push_str(&format!(
            "{what} checkpoints: {} verified, the newest (checkpoint {}) covers seq {} as of {}; {} {} since\n",
            r.verified,
            c.seq,
            c.head_seq,
            c.created_at,
            r.unanchored(),
            r.chain.entries()
        )),
        None => out.push_str(&format!("{what} checkpoints: none verified yet\n")),
    }
    for p in &r.problems {
        match p {
            ChainProblem::Broken(b) => {
                out.push_str(&format!("{what} BROKEN at seq {}: {}\n", b.seq, b.reason))
            }
            other => out.push_str(&format!("{what} BROKEN: {other}\n")),
        }
    }
    out
}
