//! Evaluates GrowthBook conditions with kerro-condition, for the differential
//! test: reads JSON lines `{"condition", "attributes", "savedGroups"}` from stdin
//! and prints `true`, `false` or `throw` per line, like `difftest/eval.js`.
//! It checks that raw and precompiled saved groups agree, printing
//! `internal-mismatch` otherwise; it does nothing else.

use std::io::{self, BufRead, BufWriter, Write};

use serde_json::{Map, Value};

use kerro_condition::{Condition, SavedGroups};

fn main() -> io::Result<()> {
    let stdin = io::stdin();
    let mut out = BufWriter::new(io::stdout().lock());
    for line in stdin.lock().lines() {
        let line = line?;
        if line.is_empty() {
            continue;
        }
        let case: Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => {
                writeln!(out, "bad-json: {e}")?;
                continue;
            }
        };
        let groups = case
            .get("savedGroups")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_else(Map::new);
        let attributes = case.get("attributes").unwrap_or(&Value::Null);
        let result = match Condition::compile(case.get("condition").unwrap_or(&Value::Null)) {
            Err(_) => "throw",
            Ok(cond) => {
                let raw = cond.try_eval(attributes, &groups);
                let compiled = cond.try_eval_with(attributes, &SavedGroups::compile(&groups));
                match (raw, compiled) {
                    (a, b) if a != b => "internal-mismatch",
                    (Ok(true), _) => "true",
                    (Ok(false), _) => "false",
                    (Err(_), _) => "throw",
                }
            }
        };
        writeln!(out, "{result}")?;
    }
    out.flush()
}
