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
    ("purposes", &["key"]),
    ("attributes", &["key"]),
    ("forms", &["key"]),
    ("notice_versions", &["form", "version"]),
    ("offers", &["key"]),
    ("staff_tokens", &["id"]),
    ("subjects", &["id"]),
    ("erasures", &["subject_id"]),
    ("declarations", &["id"]),
    ("consent_events", &["seq"]),
    ("contact_prefs", &["subject_id"]),
    ("subject_tokens", &["hash"]),
    ("audit_log", &["seq"]),
    ("decisions", &["id"]),
    ("web_login_links", &["hash"]),
    ("web_sessions", &["hash"]),
    ("privacy_policy_versions", &["version"]),
    ("outbox", &["seq"]),
];

/// Identity columns whose PostgreSQL sequence must continue after the copied rows.
const IDENTITIES: &[(&str, &str)] = &[
    ("declarations", "id"),
    ("consent_events", "seq"),
    ("audit_log", "seq"),
    ("decisions", "id"),
    ("outbox", "seq"),
];

/// Rows read per round trip.
const CHUNK: i64 = 2000;

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
    let sql = match conn.dialect() {
        Dialect::Sqlite => "SELECT name FROM pragma_table_info(?1) ORDER BY cid",
        Dialect::Postgres => {
            "SELECT CAST(column_name AS TEXT) FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = ?1 ORDER BY ordinal_position"
        }
    };
    conn.query_map(sql, [table], |r| r.get(0))?.collect()
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
            let insert = format!(
                "INSERT INTO {table} ({list}) VALUES ({})",
                (1..=cols.len())
                    .map(|i| format!("?{i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
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
                for row in rows {
                    to.execute(&insert, row.into_vals())?;
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
