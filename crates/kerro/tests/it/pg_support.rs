//! PostgreSQL for tests: a fresh database per test, dropped afterwards.
//!
//! The server is found at `KERRO_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`). Without one, PostgreSQL tests
//! print a SKIPPED banner to the terminal (not to the captured output) and
//! return; with `KERRO_REQUIRE_POSTGRES=1` (as `.ci/run` sets) they fail instead.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use kerro_store::sql::Conn;
use kerro_store::Location;

pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

fn admin_url() -> String {
    std::env::var("KERRO_TEST_POSTGRES_URL")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| DEFAULT_URL.to_owned())
}

fn admin() -> Option<Conn> {
    let url = admin_url();
    match kerro_store::connect(&Location::Postgres(url.clone()), true) {
        Ok(c) => Some(c),
        Err(e) => {
            static ONCE: OnceLock<()> = OnceLock::new();
            if std::env::var("KERRO_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("KERRO_REQUIRE_POSTGRES=1 but PostgreSQL at {url} is unreachable: {e}");
            }
            ONCE.get_or_init(|| {
                let _ = writeln!(
                    std::io::stderr(),
                    "\n\x1b[1;33m*** SKIPPED: PostgreSQL tests need a server at {url} ({e}).\n*** Set KERRO_TEST_POSTGRES_URL to run them; these tests did NOT run. ***\x1b[0m\n"
                );
            });
            None
        }
    }
}

/// Says loudly that one test did not run for want of a PostgreSQL server.
pub fn skipped(test: &str) {
    skipped_because(test, "no PostgreSQL server");
}

/// Says loudly that one test did not run, and why.
pub fn skipped_because(test: &str, why: &str) {
    let _ = writeln!(
        std::io::stderr(),
        "\x1b[1;33mSKIPPED ({why}): {test}\x1b[0m"
    );
}

/// A database created for one test; dropped (with its connections) when this is.
pub struct PgDatabase {
    pub url: String,
    name: String,
}

/// A new empty database, or `None` (after the SKIPPED banner) when there is no server.
pub fn fresh_database() -> Option<PgDatabase> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let admin = admin()?;
    let name = format!(
        "kerro_t_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    admin
        .execute_batch(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .unwrap();
    admin
        .execute_batch(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let base = admin_url();
    let (head, query) = match base.split_once('?') {
        Some((h, q)) => (h.to_owned(), format!("?{q}")),
        None => (base.clone(), String::new()),
    };
    let prefix = head.rsplit_once('/').map(|(p, _)| p).unwrap_or(&head);
    Some(PgDatabase {
        url: format!("{prefix}/{name}{query}"),
        name,
    })
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if std::env::var("KERRO_KEEP_TEST_DATABASES").is_ok() {
            return;
        }
        if let Some(admin) = admin() {
            let _ = admin.execute_batch(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}
