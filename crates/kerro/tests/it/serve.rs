//! Starting the real binary: `kerro serve` (or `demo`) on port 0, reading
//! back the address it prints first.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};

/// Spawns `cmd` with stdout piped and returns the child with its base URL
/// (from the first line, `listening on http://…`).
pub fn spawn_listening(cmd: &mut Command) -> (Child, String) {
    let (child, url, _) = spawn_with_output(cmd);
    (child, url)
}

/// Like [`spawn_listening`], also handing back the rest of standard output
/// (keep it open while the child prints more, or its next line fails).
pub fn spawn_with_output(cmd: &mut Command) -> (Child, String, BufReader<ChildStdout>) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("kerro prints its address first, not '{line}'"))
        .to_owned();
    (child, url, out)
}

/// A request with a bearer token and an optional JSON body; the status and
/// the JSON answer (`Null` when there is none), or status 0 when the server
/// could not be reached.
pub fn call(
    c: &reqwest::blocking::Client,
    method: reqwest::Method,
    url: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    // Staff reading a subject state why (`Kerro-Access-Reason`); other calls ignore it.
    let mut req = c
        .request(method, url)
        .bearer_auth(token)
        .header("kerro-access-reason", "end-to-end test");
    if let Some(b) = body {
        req = req.json(&b);
    }
    match req.send() {
        Ok(r) => {
            let status = r.status().as_u16();
            (status, r.json().unwrap_or(Value::Null))
        }
        Err(_) => (0, Value::Null),
    }
}
