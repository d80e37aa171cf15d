//! Moving a whole installation between databases (`kerro db copy`), e.g.
//! from the embedded SQLite file to PostgreSQL when a company outgrows one
//! machine. Rows are copied as stored: ciphertexts stay ciphertexts under the
//! same master key, and the ledger and audit chains keep their hashes. The
//! copy runs in one target transaction, so a failure leaves the target empty.

use crate::db;
use crate::error::{StoreError, StoreResult};
use crate::sql::{Conn, Dialect, Val};

/// Every table, parents before children, with the columns that order it.
pub const TABLES: &[(&str, &[&str])] = &[
    // The key store (P13), a schema or file of its own.
    ("kerro_keys.subject_keys", &["subject_id"]),
    ("purposes", &["key"]),
    ("attributes", &["key"]),
    ("forms", &["key"]),
    ("notice_versions", &["form", "version"]),
    ("offers", &["key"]),
    ("recipients", &["key"]),
    ("records_versions", &["version"]),
    ("staff_accounts", &["id"]),
    ("staff_invites", &["hash"]),
    ("staff_sessions", &["hash"]),
    ("staff_tokens", &["id"]),
    ("subjects", &["id"]),
    ("erasures", &["subject_id"]),
    ("declarations", &["id"]),
    ("consent_events", &["seq"]),
    ("disclosures", &["id"]),
    ("contact_prefs", &["subject_id"]),
    ("subject_tokens", &["hash"]),
    ("audit_log", &["seq"]),
    ("decisions", &["id"]),
    ("web_login_links", &["hash"]),
    ("web_sessions", &["hash"]),
    ("web_form_tokens", &["hash"]),
    ("email_confirmations", &["hash"]),
    ("audiences", &["key"]),
    ("audience_sizes", &["audience", "day"]),
    ("campaigns", &["id"]),
    ("rights_requests", &["id"]),
    ("campaign_recipients", &["campaign_id", "subject_id"]),
    ("privacy_policy_versions", &["version"]),
    ("outbox", &["seq"]),
    ("checkpoints", &["seq"]),
    ("webhook_endpoints", &["id"]),
    ("webhook_deliveries", &["id"]),
    ("stream_cursors", &["name"]),
    ("breaches", &["id"]),
    ("breach_updates", &["breach_id", "phase"]),
    ("breach_subjects", &["breach_id", "subject_id"]),
    ("breach_messages", &["breach_id", "seq"]),
];

/// Identity columns whose PostgreSQL sequence must continue after the copied rows.
const IDENTITIES: &[(&str, &str)] = &[
    ("declarations", "id"),
    ("consent_events", "seq"),
    ("audit_log", "seq"),
    ("decisions", "id"),
    ("outbox", "seq"),
    ("checkpoints", "seq"),
];

/// Rows read per round trip.
const CHUNK: i64 = 2000;

/// Rows written per INSERT (at most 18 columns each: well under both
/// backends' limits on parameters).
const ROWS_PER_INSERT: usize = 200;

/// Row counts of every table (and the schema version), in `TABLES` order.
pub fn table_counts(conn: &Conn) -> StoreResult<Vec<(String, i64)>> {
    let mut out = vec![("schema_version".to_owned(), db::current_version(conn)?)];
    for (table, _) in TABLES {
        let n: i64 = conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), (), |r| r.get(0))?;
        out.push(((*table).to_owned(), n));
    }
    Ok(out)
}

/// Where a copy is: the table, rows done in it, and rows done of all.
#[derive(Debug, Clone)]
pub struct CopyProgress<'a> {
    pub table: &'a str,
    pub copied: u64,
    pub total: u64,
}

/// What a finished copy moved, table by table (verified equal on both sides).
#[derive(Debug, Clone, PartialEq)]
pub struct CopyReport {
    pub tables: Vec<(String, i64)>,
}

impl CopyReport {
    pub fn rows(&self) -> i64 {
        self.tables
            .iter()
            .filter(|(t, _)| t != "schema_version")
            .map(|(_, n)| n)
            .sum()
    }
}

fn columns(conn: &Conn, table: &str) -> StoreResult<Vec<String>> {
    // `schema.table` for the key store; the main schema otherwise.
    let (schema, table) = table.split_once('.').unwrap_or(("", table));
    let sql = match conn.dialect() {
        Dialect::Sqlite => {
            "SELECT name FROM pragma_table_info(?1, CASE WHEN ?2 = '' THEN 'main' ELSE ?2 END) ORDER BY cid"
        }
        Dialect::Postgres => {
            "SELECT CAST(column_name AS TEXT) FROM information_schema.columns
             WHERE table_schema = CASE WHEN CAST(?2 AS TEXT) = '' THEN current_schema() ELSE CAST(?2 AS TEXT) END
               AND table_name = ?1 ORDER BY ordinal_position"
        }
    };
    conn.query_map(sql, crate::sql::params![table, schema], |r| r.get(0))?
        .collect()
}

/// Copies everything in `from` into the empty database `to`, then checks
/// that every table holds as many rows on both sides.
pub fn copy(
    from: &Conn,
    to: &Conn,
    mut progress: impl FnMut(CopyProgress<'_>),
) -> StoreResult<CopyReport> {
    db::migrate(from)?;
    db::migrate(to)?;
    let source = table_counts(from)?;
    let target = table_counts(to)?;
    if let Some((t, n)) = target.iter().skip(1).find(|(_, n)| *n > 0) {
        return Err(StoreError::Config(format!(
            "the target database is not empty ({t} has {n} rows); copy into a new, empty database"
        )));
    }
    let total: i64 = source.iter().skip(1).map(|(_, n)| n).sum();
    let total = total as u64;
    let mut copied = 0u64;
    from.execute_batch(match from.dialect() {
        Dialect::Sqlite => "BEGIN",
        Dialect::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    })?;
    to.execute_batch(match to.dialect() {
        Dialect::Sqlite => "BEGIN IMMEDIATE",
        Dialect::Postgres => "BEGIN",
    })?;
    let result = (|| {
        for (table, order) in TABLES {
            let cols = columns(from, table)?;
            let target_cols = columns(to, table)?;
            if cols.len() != target_cols.len() || cols.iter().any(|c| !target_cols.contains(c)) {
                return Err(StoreError::Config(format!(
                    "table {table} has different columns on the two sides"
                )));
            }
            let list = cols.join(", ");
            let key_at: Vec<usize> = order
                .iter()
                .map(|k| cols.iter().position(|c| c == k).unwrap_or(0))
                .collect();
            let order_by = order.join(", ");
            // Many rows per INSERT: one round trip per ROWS_PER_INSERT rows.
            let insert = |rows: usize| {
                let width = cols.len();
                let tuples: Vec<String> = (0..rows)
                    .map(|r| {
                        let marks: Vec<String> =
                            (1..=width).map(|c| format!("?{}", r * width + c)).collect();
                        format!("({})", marks.join(", "))
                    })
                    .collect();
                format!("INSERT INTO {table} ({list}) VALUES {}", tuples.join(", "))
            };
            let mut last: Option<Vec<Val>> = None;
            progress(CopyProgress {
                table,
                copied,
                total,
            });
            loop {
                let rows = match &last {
                    None => from.rows(
                        &format!("SELECT {list} FROM {table} ORDER BY {order_by} LIMIT {CHUNK}"),
                        (),
                    )?,
                    Some(key) => {
                        let marks = (1..=key.len())
                            .map(|i| format!("?{i}"))
                            .collect::<Vec<_>>()
                            .join(", ");
                        from.rows(
                            &format!(
                                "SELECT {list} FROM {table} WHERE ({order_by}) > ({marks}) ORDER BY {order_by} LIMIT {CHUNK}"
                            ),
                            key.clone(),
                        )?
                    }
                };
                let Some(end) = rows.last() else { break };
                let end = end.clone().into_vals();
                last = Some(key_at.iter().map(|i| end[*i].clone()).collect());
                let n = rows.len();
                let mut rows = rows.into_iter().peekable();
                while rows.peek().is_some() {
                    let part: Vec<Val> = rows
                        .by_ref()
                        .take(ROWS_PER_INSERT)
                        .flat_map(|r| r.into_vals())
                        .collect();
                    to.execute(&insert(part.len() / cols.len()), part)?;
                }
                copied += n as u64;
                progress(CopyProgress {
                    table,
                    copied,
                    total,
                });
                if (n as i64) < CHUNK {
                    break;
                }
            }
        }
        if to.dialect() == Dialect::Postgres {
            for (table, col) in IDENTITIES {
                to.query_row(
                    &format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', '{col}'),
                                       COALESCE((SELECT MAX({col}) FROM {table}), 0) + 1, false)"
                    ),
                    (),
                    |_| Ok(()),
                )?;
            }
        }
        let copied_counts = table_counts(to)?;
        if copied_counts != source {
            return Err(StoreError::Corrupt(format!(
                "row counts differ after the copy: source {source:?}, target {copied_counts:?}"
            )));
        }
        Ok(CopyReport {
            tables: copied_counts,
        })
    })();
    let _ = from.execute_batch("COMMIT");
    match result {
        Ok(report) => {
            to.execute_batch("COMMIT")?;
            Ok(report)
        }
        Err(e) => {
            let _ = to.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Location;
    use crate::params;

    /// Every table of the schema is copied (a new table must be added to `TABLES`).
    #[test]
    fn every_table_is_listed() {
        let dir = tempfile::tempdir().unwrap();
        let conn = db::connect(&Location::Sqlite(dir.path().join("t.db")), true).unwrap();
        db::migrate(&conn).unwrap();
        let mut found: Vec<String> = conn
            .query_map(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_version'",
                (),
                |r| r.get(0),
            )
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        found.push("kerro_keys.subject_keys".into());
        found.sort();
        let mut listed: Vec<String> = TABLES.iter().map(|(t, _)| (*t).to_owned()).collect();
        listed.sort();
        assert_eq!(found, listed);
    }

    /// Enough rows to cross both the read pages and the multi-row inserts, and
    /// a table ordered by a two-column key.
    #[test]
    fn a_copy_crosses_pages_and_keeps_every_row_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let open =
            |name: &str| db::connect(&Location::Sqlite(dir.path().join(name)), true).unwrap();
        let from = open("from.db");
        db::migrate(&from).unwrap();
        from.execute_batch("BEGIN").unwrap();
        for i in 0..4_503i64 {
            from.execute(
                "INSERT INTO outbox (seq, kind, subject_id, payload, node, created_at) VALUES (?1, 'k', NULL, ?2, 'n', 't')",
                params![i * 3 + 1, format!("{{\"i\":{i}}}")],
            )
            .unwrap();
        }
        from.execute(
            "INSERT INTO forms (key, spec, updated_at) VALUES ('f', '{}', 't')",
            (),
        )
        .unwrap();
        for v in 1..=450i64 {
            from.execute(
                "INSERT INTO notice_versions (form, version, sha256, bundle, created_at) VALUES ('f', ?1, 'h', 'b', 't')",
                [v],
            )
            .unwrap();
        }
        from.execute_batch("COMMIT").unwrap();
        let to = open("to.db");
        let mut seen = 0;
        let report = copy(&from, &to, |p| seen = p.copied).unwrap();
        assert_eq!(report.rows(), 4_503 + 1 + 450);
        assert_eq!(seen, 4_954);
        let dump = |c: &Conn| -> Vec<(i64, String)> {
            c.query_map("SELECT seq, payload FROM outbox ORDER BY seq", (), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
        };
        assert_eq!(dump(&from), dump(&to));
        let versions: i64 = to
            .query_row("SELECT SUM(version) FROM notice_versions", (), |r| r.get(0))
            .unwrap();
        assert_eq!(versions, 450 * 451 / 2);
        // Copying into it again is refused: the target is not empty.
        let e = copy(&from, &to, |_| {}).unwrap_err().to_string();
        assert!(e.contains("not empty"), "{e}");
    }
}
