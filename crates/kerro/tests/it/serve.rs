//! Starting the real binary: `kerro serve` (or `demo`) on port 0, reading
//! back the address it prints first.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Spawns `cmd` with stdout piped and returns the child with its base URL
/// (from the first line, `listening on http://…`).
pub fn spawn_listening(cmd: &mut Command) -> (Child, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("kerro prints its address first, not '{line}'"))
        .to_owned();
    (child, url)
}
