//! `kerro condition eval`: evaluate conditions in batch, one JSON line in, one answer out,
//! so people can test their targeting rules against sample attributes.

use kerro_condition::Condition;
use serde_json::{Map, Value};
use std::io::{BufRead, Write};

/// Answers one line: `true`, `false` or `error: <why>`.
pub fn eval_line(line: &str) -> String {
    let v: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return format!("error: not JSON: {e}"),
    };
    let Some(obj) = v.as_object() else {
        return "error: each line is an object {\"condition\", \"attributes\", \"savedGroups\"}"
            .into();
    };
    if let Some(k) = obj
        .keys()
        .find(|k| !matches!(k.as_str(), "condition" | "attributes" | "savedGroups"))
    {
        return format!("error: unknown field '{k}'");
    }
    let Some(condition) = obj.get("condition") else {
        return "error: missing 'condition'".into();
    };
    let empty = Value::Object(Map::new());
    let attributes = obj.get("attributes").unwrap_or(&empty);
    let groups = match obj.get("savedGroups") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return "error: 'savedGroups' is an object of group id to values".into(),
    };
    match Condition::compile(condition) {
        Ok(c) => c.eval(attributes, &groups).to_string(),
        Err(e) => format!("error: {e}"),
    }
}

/// Reads lines until end of input; blank lines are skipped.
pub fn run(input: impl BufRead, mut output: impl Write) -> std::io::Result<()> {
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        writeln!(output, "{}", eval_line(&line))?;
    }
    output.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let input = concat!(
            "{\"condition\": {\"country\": {\"$in\": [\"FI\", \"SE\"]}}, \"attributes\": {\"country\": \"FI\"}}\n",
            "{\"condition\": {\"age\": {\"$gt\": 18}}, \"attributes\": {\"age\": 10}}\n",
            "\n",
            "{\"condition\": {\"id\": {\"$inGroup\": \"vip\"}}, \"attributes\": {\"id\": 7}, \"savedGroups\": {\"vip\": [7]}}\n",
            "not json\n",
            "[1]\n",
            "{\"attributes\": {}}\n",
            "{\"condition\": {}, \"extra\": 1}\n",
        );
        let mut out = Vec::new();
        run(input.as_bytes(), &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(&lines[..3], &["true", "false", "true"]);
        assert!(
            lines[3..].iter().all(|l| l.starts_with("error: ")),
            "{lines:?}"
        );
        assert_eq!(lines.len(), 7);
    }
}
