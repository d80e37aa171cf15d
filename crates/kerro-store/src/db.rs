//! Where the database is (a `sqlite://` or `postgres://` URL), opening
//! connections the way kerro needs them, and the embedded, versioned
//! migrations of each dialect.
//!
//! SQLite runs in WAL mode with synchronous commits and secure delete.
//! PostgreSQL connections get a connect timeout and TCP keepalives, so a
//! lost server is noticed instead of waited on.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use crate::error::{StoreError, StoreResult};
use crate::sql::{Conn, Dialect};

/// SQLite migrations, applied in order; the index + 1 is the schema version.
const SQLITE_MIGRATIONS: &[&str] = &[
    include_str!("migrations/sqlite/0001_init.sql"),
    include_str!("migrations/sqlite/0002_decisions.sql"),
    include_str!("migrations/sqlite/0003_web.sql"),
    include_str!("migrations/sqlite/0004_outbox.sql"),
    include_str!("migrations/sqlite/0005_form_tokens.sql"),
    include_str!("migrations/sqlite/0006_staff.sql"),
    include_str!("migrations/sqlite/0007_checkpoints.sql"),
    include_str!("migrations/sqlite/0008_webhooks.sql"),
    include_str!("migrations/sqlite/0009_messages.sql"),
    include_str!("migrations/sqlite/0010_email_optin.sql"),
    include_str!("migrations/sqlite/0011_breaches.sql"),
    include_str!("migrations/sqlite/0012_audiences.sql"),
    include_str!("migrations/sqlite/0013_rights_requests.sql"),
    include_str!("migrations/sqlite/0014_notice_changes.sql"),
    include_str!("migrations/sqlite/0015_records.sql"),
    include_str!("migrations/sqlite/0016_key_store.sql"),
    include_str!("migrations/sqlite/0017_disclosures.sql"),
    include_str!("migrations/sqlite/0018_ledger_reads.sql"),
];

/// The same versions for PostgreSQL.
const POSTGRES_MIGRATIONS: &[&str] = &[
    include_str!("migrations/postgres/0001_init.sql"),
    include_str!("migrations/postgres/0002_decisions.sql"),
    include_str!("migrations/postgres/0003_web.sql"),
    include_str!("migrations/postgres/0004_outbox.sql"),
    include_str!("migrations/postgres/0005_form_tokens.sql"),
    include_str!("migrations/postgres/0006_staff.sql"),
    include_str!("migrations/postgres/0007_checkpoints.sql"),
    include_str!("migrations/postgres/0008_webhooks.sql"),
    include_str!("migrations/postgres/0009_messages.sql"),
    include_str!("migrations/postgres/0010_email_optin.sql"),
    include_str!("migrations/postgres/0011_breaches.sql"),
    include_str!("migrations/postgres/0012_audiences.sql"),
    include_str!("migrations/postgres/0013_rights_requests.sql"),
    include_str!("migrations/postgres/0014_notice_changes.sql"),
    include_str!("migrations/postgres/0015_records.sql"),
    include_str!("migrations/postgres/0016_key_store.sql"),
    include_str!("migrations/postgres/0017_disclosures.sql"),
    include_str!("migrations/postgres/0018_ledger_reads.sql"),
];

pub const SCHEMA_VERSION: i64 = SQLITE_MIGRATIONS.len() as i64;

const _: () = assert!(SQLITE_MIGRATIONS.len() == POSTGRES_MIGRATIONS.len());

/// The advisory lock that serialises migrations when several nodes start at once.
const MIGRATION_LOCK: i64 = 0x6b65_7272_6f00_0001;

/// A database location, parsed from its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// `sqlite://PATH`: the database file (its WAL sits beside it).
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…`, kept as given.
    Postgres(String),
}

impl Location {
    /// Parses a database URL. The scheme picks the backend; anything else is an error.
    pub fn parse(url: &str) -> StoreResult<Location> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(StoreError::Config(
                    "the database URL sqlite:// names no file; write sqlite://PATH, e.g. sqlite:///var/lib/kerro/kerro.db".into(),
                ));
            }
            return Ok(Location::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pg = PgUrl::parse(url)?;
            tokio_postgres::Config::from_str(&pg.url).map_err(|e| {
                StoreError::Config(format!("the PostgreSQL URL cannot be read: {e}"))
            })?;
            return Ok(Location::Postgres(url.to_owned()));
        }
        let scheme = url.split("://").next().filter(|_| url.contains("://"));
        Err(StoreError::Config(match scheme {
            Some(s) => format!(
                "unknown database URL scheme '{s}://'; kerro speaks sqlite://PATH and postgres://USER@HOST/DB"
            ),
            None => "the database URL has no scheme; write sqlite://PATH or postgres://USER@HOST/DB".into(),
        }))
    }

    /// The URL with any password masked, for logs and messages.
    pub fn display(&self) -> String {
        match self {
            Location::Sqlite(p) => format!("sqlite://{}", p.display()),
            Location::Postgres(url) => mask_password(url),
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Location::Sqlite(_) => Dialect::Sqlite,
            Location::Postgres(_) => Dialect::Postgres,
        }
    }
}

fn mask_password(url: &str) -> String {
    // postgres://user:secret@host/db -> postgres://user:***@host/db
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

/// Opens a connection. `write` matters to SQLite only (PostgreSQL connections can always write).
pub fn connect(location: &Location, write: bool) -> StoreResult<Conn> {
    match location {
        Location::Sqlite(path) => open_sqlite(path, write).map(Conn::sqlite),
        Location::Postgres(url) => connect_postgres(url).map(Conn::postgres),
    }
}

/// A PostgreSQL connection with a connect timeout and TCP keepalives, over
/// TLS when the URL says `sslmode=require` (or `verify-ca`/`verify-full`).
///
/// With TLS the server's certificate is always verified, against the
/// system's roots or, when the URL names one, `sslrootcert=PATH` alone
/// (stricter than libpq's `require`, which encrypts without verifying).
/// Without `sslmode`, or with `disable` or `prefer`, kerro connects in plain
/// text, as for a server on the same host or a private network.
pub fn connect_postgres(url: &str) -> StoreResult<crate::sql::PgConn> {
    let pg = PgUrl::parse(url)?;
    let mut config = tokio_postgres::Config::from_str(&pg.url)
        .map_err(|e| StoreError::Config(format!("the PostgreSQL URL cannot be read: {e}")))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(5));
    }
    if config.get_application_name().is_none() {
        config.application_name("kerro");
    }
    config.keepalives(true);
    config.keepalives_idle(Duration::from_secs(30));
    let tls = if pg.tls {
        Some(tls_config(pg.root_cert.as_deref())?)
    } else {
        None
    };
    crate::sql::PgConn::connect(config, tls)
}

/// A PostgreSQL URL with kerro's TLS settings taken out of its query string.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PgUrl {
    /// The URL tokio-postgres reads (`sslmode` normalised, `sslrootcert` removed).
    url: String,
    tls: bool,
    root_cert: Option<PathBuf>,
}

impl PgUrl {
    fn parse(url: &str) -> StoreResult<PgUrl> {
        let (head, query) = match url.split_once('?') {
            Some((h, q)) => (h, q),
            None => (url, ""),
        };
        let mut kept = Vec::new();
        let (mut tls, mut root_cert) = (false, None);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k {
                "sslrootcert" => root_cert = Some(PathBuf::from(
                        percent_encoding::percent_decode_str(v)
                            .decode_utf8_lossy()
                            .into_owned(),
                    )),
                "sslmode" => match v {
                    "disable" | "prefer" | "allow" => kept.push("sslmode=disable".to_owned()),
                    "require" | "verify-ca" | "verify-full" => {
                        tls = true;
                        kept.push("sslmode=require".to_owned());
                    }
                    other => {
                        return Err(StoreError::Config(format!(
                            "sslmode={other} is not one of disable, prefer, require, verify-ca, verify-full"
                        )))
                    }
                },
                _ => kept.push(pair.to_owned()),
            }
        }
        if root_cert.is_some() && !tls {
            return Err(StoreError::Config(
                "sslrootcert is given but sslmode is not require, verify-ca or verify-full".into(),
            ));
        }
        let url = if kept.is_empty() {
            head.to_owned()
        } else {
            format!("{head}?{}", kept.join("&"))
        };
        Ok(PgUrl {
            url,
            tls,
            root_cert,
        })
    }
}

/// The TLS client: ring for the cryptography, the system's roots or `root_cert`.
fn tls_config(root_cert: Option<&Path>) -> StoreResult<rustls::ClientConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    match root_cert {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|it| it.collect::<Result<Vec<_>, _>>())
                .map_err(|e| {
                    StoreError::Config(format!("cannot read sslrootcert {}: {e}", path.display()))
                })?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(StoreError::Config(format!(
                    "sslrootcert {} holds no usable certificate",
                    path.display()
                )));
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
            if roots.is_empty() {
                return Err(StoreError::Config(
                    "no system root certificates found for sslmode=require; give sslrootcert=PATH"
                        .into(),
                ));
            }
        }
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Crypto(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

fn open_sqlite(path: &Path, write: bool) -> StoreResult<rusqlite::Connection> {
    use rusqlite::{Connection, OpenFlags};
    let flags = if write {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.set_prepared_statement_cache_capacity(256);
    // The query planner's stability guarantee: a plan never depends on the
    // values bound to it. Without it SQLite marks a parameter compared with an
    // indexed column (a partial index's condition, say) as one a better plan
    // may depend on, and prepares the cached statement again on every new
    // binding: the ledger's reads in a write then spent most of their time in
    // the parser (`bench/run.sh ingest`, docs/benchmarks.md section 8).
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    // synchronous=FULL: a commit returns only after the WAL is on disk, so an
    // acknowledged write survives kill -9 and power loss. secure_delete zeroes
    // freed pages so deleted ciphertexts and wrapped keys do not linger.
    // temp_store=MEMORY keeps savepoint journals (one per request in a group
    // commit) off the disk; they are rebuilt from the WAL on any crash anyway.
    conn.execute_batch(
        "PRAGMA journal_mode=WAL;
         PRAGMA synchronous=FULL;
         PRAGMA foreign_keys=ON;
         PRAGMA secure_delete=ON;
         PRAGMA temp_store=MEMORY;
         PRAGMA cache_size=-65536;",
    )?;
    // The key store (P13): its own file, attached under one name, with the same durability.
    let keys = key_store_path(path);
    conn.execute("ATTACH DATABASE ?1 AS kerro_keys", [keys.to_string_lossy()])?;
    conn.execute_batch(
        "PRAGMA kerro_keys.journal_mode=WAL;
         PRAGMA kerro_keys.synchronous=FULL;
         PRAGMA kerro_keys.secure_delete=ON;",
    )?;
    Ok(conn)
}

/// The key store of the SQLite database at `db` (P13): `<db>.keys` beside it,
/// e.g. `kerro.db.keys`. Back it up apart from the database.
pub fn key_store_path(db: &Path) -> std::path::PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".keys");
    std::path::PathBuf::from(name)
}

/// The schema version the database is at (0 for an empty database).
pub fn current_version(conn: &Conn) -> StoreResult<i64> {
    let exists: i64 = match conn.dialect() {
        Dialect::Sqlite => conn.query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
            (),
            |r| r.get(0),
        )?,
        Dialect::Postgres => conn.query_row(
            "SELECT COUNT(*) FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_name = 'schema_version'",
            (),
            |r| r.get(0),
        )?,
    };
    if exists == 0 {
        return Ok(0);
    }
    conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_version",
        (),
        |r| r.get(0),
    )
}

/// Brings the schema up to date; refuses a database newer than this binary.
pub fn migrate(conn: &Conn) -> StoreResult<()> {
    let migrations = match conn.dialect() {
        Dialect::Sqlite => SQLITE_MIGRATIONS,
        Dialect::Postgres => POSTGRES_MIGRATIONS,
    };
    conn.execute_batch(match conn.dialect() {
        Dialect::Sqlite => "BEGIN IMMEDIATE",
        Dialect::Postgres => "BEGIN",
    })?;
    let result = (|| {
        if conn.dialect() == Dialect::Postgres {
            conn.query_row("SELECT pg_advisory_xact_lock(?1)", [MIGRATION_LOCK], |_| {
                Ok(())
            })?;
        }
        conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")?;
        let current = current_version(conn)?;
        if current > SCHEMA_VERSION {
            return Err(StoreError::Config(format!(
                "the database has schema version {current}, newer than this kerro knows ({SCHEMA_VERSION}); upgrade kerro"
            )));
        }
        for (i, sql) in migrations.iter().enumerate().skip(current as usize) {
            conn.execute_batch(sql)?;
            conn.execute(
                "INSERT INTO schema_version (version) VALUES (?1)",
                [i as i64 + 1],
            )?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => conn.execute_batch("COMMIT"),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// For the store's own PostgreSQL tests: a new, empty database named after
/// `prefix` and the process, on the server `KERRO_TEST_POSTGRES_URL` names.
/// Returns its URL and the connection to drop it with, or `None` (the test
/// says SKIPPED) when the variable is not set.
#[cfg(test)]
pub(crate) fn fresh_test_database(prefix: &str) -> Option<(String, Conn, String)> {
    let Ok(url) = std::env::var("KERRO_TEST_POSTGRES_URL") else {
        eprintln!("SKIPPED: KERRO_TEST_POSTGRES_URL is not set");
        return None;
    };
    let admin = connect(&Location::parse(&url).ok()?, true).ok()?;
    let name = format!("{prefix}_{}", std::process::id());
    admin
        .execute_batch(&format!("DROP DATABASE IF EXISTS {name}"))
        .ok()?;
    admin
        .execute_batch(&format!("CREATE DATABASE {name}"))
        .ok()?;
    let (base, _) = url.rsplit_once('/')?;
    Some((format!("{base}/{name}"), admin, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_picks_the_backend_and_nothing_else_is_accepted() {
        assert_eq!(
            Location::parse("sqlite:///var/lib/kerro/kerro.db").unwrap(),
            Location::Sqlite(PathBuf::from("/var/lib/kerro/kerro.db"))
        );
        assert_eq!(
            Location::parse("sqlite://data/kerro.db").unwrap(),
            Location::Sqlite(PathBuf::from("data/kerro.db"))
        );
        for url in [
            "postgres://kerro@db/kerro",
            "postgresql://u:p@127.0.0.1:5432/test",
        ] {
            assert_eq!(Location::parse(url).unwrap().dialect(), Dialect::Postgres);
        }
        for bad in [
            "mysql://root@localhost/x",
            "kerro.db",
            "sqlite://",
            "http://x",
        ] {
            let e = Location::parse(bad).unwrap_err().to_string();
            assert!(e.contains("sqlite://"), "{bad}: {e}");
        }
    }

    #[test]
    fn tls_settings_come_from_sslmode_and_sslrootcert() {
        let plain = PgUrl::parse("postgres://k@db/kerro").unwrap();
        assert!(!plain.tls);
        let tls = PgUrl::parse(
            "postgres://k@db/kerro?application_name=x&sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem",
        )
        .unwrap();
        assert!(tls.tls);
        assert_eq!(tls.root_cert, Some(PathBuf::from("/etc/ca.pem")));
        assert_eq!(
            tls.url,
            "postgres://k@db/kerro?application_name=x&sslmode=require"
        );
        assert_eq!(
            PgUrl::parse("postgres://k@db/kerro?sslmode=prefer")
                .unwrap()
                .url,
            "postgres://k@db/kerro?sslmode=disable"
        );
        for bad in [
            "postgres://k@db/kerro?sslmode=sometimes",
            "postgres://k@db/kerro?sslrootcert=/ca.pem",
        ] {
            assert!(Location::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_are_masked_in_messages() {
        let l = Location::parse("postgres://kerro:hunter2@db:5432/kerro").unwrap();
        assert_eq!(l.display(), "postgres://kerro:***@db:5432/kerro");
    }
}
