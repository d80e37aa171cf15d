//! One connection type over both backends: SQLite (rusqlite) and PostgreSQL
//! (tokio-postgres, in `sql/pg.rs`). The store writes its SQL once, in the common
//! subset both dialects speak, with numbered parameters (`?1`); PostgreSQL
//! gets them rewritten to `$1` and its prepared statements cached per
//! connection. Rows are read into owned values, so the code that maps them is
//! the same for both backends.

mod pg;

pub use pg::{to_postgres, PgConn};

use crate::error::{StoreError, StoreResult};

/// Which SQL engine a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// One SQL value, as bound or as read.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// A Rust value that can be bound as a parameter.
pub trait ToVal {
    fn to_val(&self) -> Val;
}

macro_rules! int_to_val {
    ($($t:ty),*) => {$(
        impl ToVal for $t {
            fn to_val(&self) -> Val {
                Val::Int(*self as i64)
            }
        }
    )*};
}
int_to_val!(i64, i32, u32, u16, u8);

impl ToVal for u64 {
    fn to_val(&self) -> Val {
        Val::Int(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}
impl ToVal for usize {
    fn to_val(&self) -> Val {
        Val::Int(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}
impl ToVal for bool {
    fn to_val(&self) -> Val {
        Val::Int(i64::from(*self))
    }
}
impl ToVal for f64 {
    fn to_val(&self) -> Val {
        Val::Real(*self)
    }
}
impl ToVal for str {
    fn to_val(&self) -> Val {
        Val::Text(self.to_owned())
    }
}
impl ToVal for String {
    fn to_val(&self) -> Val {
        Val::Text(self.clone())
    }
}
impl ToVal for [u8] {
    fn to_val(&self) -> Val {
        Val::Blob(self.to_vec())
    }
}
impl ToVal for Vec<u8> {
    fn to_val(&self) -> Val {
        Val::Blob(self.clone())
    }
}
impl ToVal for Val {
    fn to_val(&self) -> Val {
        self.clone()
    }
}
impl<T: ToVal + ?Sized> ToVal for &T {
    fn to_val(&self) -> Val {
        (**self).to_val()
    }
}
impl<T: ToVal> ToVal for Option<T> {
    fn to_val(&self) -> Val {
        match self {
            Some(v) => v.to_val(),
            None => Val::Null,
        }
    }
}

/// Parameters for one statement: `()`, an array of one type, or `params![...]`.
pub trait Params {
    fn vals(self) -> Vec<Val>;
}
impl Params for () {
    fn vals(self) -> Vec<Val> {
        Vec::new()
    }
}
impl<T: ToVal, const N: usize> Params for [T; N] {
    fn vals(self) -> Vec<Val> {
        self.iter().map(ToVal::to_val).collect()
    }
}
impl Params for &[&dyn ToVal] {
    fn vals(self) -> Vec<Val> {
        self.iter().map(|v| v.to_val()).collect()
    }
}
impl Params for Vec<Val> {
    fn vals(self) -> Vec<Val> {
        self
    }
}

/// `params![a, b, c]`: parameters of mixed types.
#[macro_export]
macro_rules! params {
    () => { () };
    ($($p:expr),+ $(,)?) => {
        &[$(&$p as &dyn $crate::sql::ToVal),+] as &[&dyn $crate::sql::ToVal]
    };
}

pub use crate::params;

/// A Rust value that can be read from a column.
pub trait FromVal: Sized {
    fn from_val(v: &Val) -> Result<Self, String>;
}

fn int_of(v: &Val) -> Result<i64, String> {
    match v {
        Val::Int(i) => Ok(*i),
        Val::Real(f) if f.fract() == 0.0 => Ok(*f as i64),
        other => Err(format!("expected an integer, found {other:?}")),
    }
}

macro_rules! int_from_val {
    ($($t:ty),*) => {$(
        impl FromVal for $t {
            fn from_val(v: &Val) -> Result<Self, String> {
                let i = int_of(v)?;
                <$t>::try_from(i).map_err(|_| format!("{i} is out of range"))
            }
        }
    )*};
}
int_from_val!(i64, i32, u32, u64, u16, u8, usize);

impl FromVal for bool {
    fn from_val(v: &Val) -> Result<Self, String> {
        Ok(int_of(v)? != 0)
    }
}
impl FromVal for f64 {
    fn from_val(v: &Val) -> Result<Self, String> {
        match v {
            Val::Real(f) => Ok(*f),
            Val::Int(i) => Ok(*i as f64),
            other => Err(format!("expected a number, found {other:?}")),
        }
    }
}
impl FromVal for String {
    fn from_val(v: &Val) -> Result<Self, String> {
        match v {
            Val::Text(s) => Ok(s.clone()),
            other => Err(format!("expected text, found {other:?}")),
        }
    }
}
impl FromVal for Vec<u8> {
    fn from_val(v: &Val) -> Result<Self, String> {
        match v {
            Val::Blob(b) => Ok(b.clone()),
            Val::Text(s) => Ok(s.as_bytes().to_vec()),
            other => Err(format!("expected bytes, found {other:?}")),
        }
    }
}
impl FromVal for Val {
    fn from_val(v: &Val) -> Result<Self, String> {
        Ok(v.clone())
    }
}
impl<T: FromVal> FromVal for Option<T> {
    fn from_val(v: &Val) -> Result<Self, String> {
        match v {
            Val::Null => Ok(None),
            v => T::from_val(v).map(Some),
        }
    }
}

/// A column position (only `usize`, so an integer literal infers as one).
pub trait RowIndex {
    fn index(self) -> usize;
}
impl RowIndex for usize {
    fn index(self) -> usize {
        self
    }
}

/// One row, read into owned values.
#[derive(Debug, Clone)]
pub struct Row {
    pub(super) vals: Vec<Val>,
}

impl Row {
    /// The column at `idx` as `T`. (The first type parameter mirrors rusqlite's `get::<_, T>`.)
    pub fn get<I: RowIndex, T: FromVal>(&self, idx: I) -> StoreResult<T> {
        let idx = idx.index();
        let v = self
            .vals
            .get(idx)
            .ok_or_else(|| StoreError::Corrupt(format!("no column {idx}")))?;
        T::from_val(v).map_err(|e| StoreError::Corrupt(format!("column {idx}: {e}")))
    }

    pub fn len(&self) -> usize {
        self.vals.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vals.is_empty()
    }

    pub fn into_vals(self) -> Vec<Val> {
        self.vals
    }
}

/// `query_row(..).optional()`: no row is `None`, not an error.
pub trait OptionalExtension<T> {
    fn optional(self) -> StoreResult<Option<T>>;
}

impl<T> OptionalExtension<T> for StoreResult<T> {
    fn optional(self) -> StoreResult<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(StoreError::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

enum Backend {
    Sqlite(rusqlite::Connection),
    Pg(PgConn),
}

/// A connection to either backend.
pub struct Conn {
    backend: Backend,
    /// The node that writes through this connection, as recorded in the outbox.
    node: std::sync::Arc<str>,
}

impl Conn {
    pub fn sqlite(conn: rusqlite::Connection) -> Conn {
        Conn {
            backend: Backend::Sqlite(conn),
            node: std::sync::Arc::from("local"),
        }
    }

    pub fn postgres(pg: PgConn) -> Conn {
        Conn {
            backend: Backend::Pg(pg),
            node: std::sync::Arc::from("local"),
        }
    }

    /// Names the node writing through this connection.
    pub fn with_node(mut self, node: std::sync::Arc<str>) -> Conn {
        self.node = node;
        self
    }

    pub fn node(&self) -> &str {
        &self.node
    }

    pub fn dialect(&self) -> Dialect {
        match self.backend {
            Backend::Sqlite(_) => Dialect::Sqlite,
            Backend::Pg(_) => Dialect::Postgres,
        }
    }

    /// True when the connection can no longer be used (PostgreSQL only; SQLite files do not go away).
    pub fn is_broken(&self) -> bool {
        match &self.backend {
            Backend::Sqlite(_) => false,
            Backend::Pg(pg) => pg.is_closed(),
        }
    }

    /// Checks the connection with a round trip (PostgreSQL); SQLite is always valid.
    pub fn is_valid(&self) -> bool {
        match &self.backend {
            Backend::Sqlite(_) => true,
            Backend::Pg(pg) => pg.is_valid(),
        }
    }

    /// The PostgreSQL connection (for notifications), `None` on SQLite.
    pub fn as_postgres(&self) -> Option<&PgConn> {
        match &self.backend {
            Backend::Sqlite(_) => None,
            Backend::Pg(pg) => Some(pg),
        }
    }

    /// The underlying SQLite connection, for the few SQLite-only steps (WAL checkpoints).
    pub fn as_sqlite(&self) -> Option<&rusqlite::Connection> {
        match &self.backend {
            Backend::Sqlite(c) => Some(c),
            Backend::Pg(_) => None,
        }
    }

    /// Runs several statements without parameters.
    pub fn execute_batch(&self, sql: &str) -> StoreResult<()> {
        match &self.backend {
            Backend::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Backend::Pg(pg) => pg.batch(sql),
        }
    }

    /// Runs one statement whose answer the caller does not need. On SQLite it
    /// runs at once; on PostgreSQL it is queued and sent with the next
    /// statement that needs an answer (or at `flush`), pipelined, so a
    /// job's writes share round trips. Its error, if any, comes from that call.
    pub fn defer<P: Params>(&self, sql: &str, params: P) -> StoreResult<()> {
        match &self.backend {
            Backend::Sqlite(_) => self.execute(sql, params).map(|_| ()),
            Backend::Pg(pg) => {
                pg.defer(sql, params.vals());
                Ok(())
            }
        }
    }

    /// Sends what `defer` queued and waits for it (PostgreSQL; SQLite has nothing queued).
    pub fn flush(&self) -> StoreResult<()> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(()),
            Backend::Pg(pg) => pg.flush(),
        }
    }

    /// Drops what `defer` queued without sending it.
    pub fn discard(&self) {
        if let Backend::Pg(pg) = &self.backend {
            pg.discard();
        }
    }

    /// Runs fixed statements without parameters: on SQLite each from the
    /// statement cache (no parsing per call), on PostgreSQL in one round trip.
    pub fn run_fixed(&self, statements: &[&str]) -> StoreResult<()> {
        match &self.backend {
            Backend::Sqlite(c) => {
                for sql in statements {
                    c.prepare_cached(sql)?.execute([])?;
                }
                Ok(())
            }
            Backend::Pg(pg) => pg.batch(&statements.join("; ")),
        }
    }

    /// Runs one statement; returns the number of rows it changed.
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> StoreResult<usize> {
        let vals = params.vals();
        match &self.backend {
            Backend::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                Ok(stmt.execute(rusqlite::params_from_iter(vals.iter()))?)
            }
            Backend::Pg(pg) => Ok(pg.execute(sql, vals)? as usize),
        }
    }

    /// All rows of a query.
    pub fn rows<P: Params>(&self, sql: &str, params: P) -> StoreResult<Vec<Row>> {
        let vals = params.vals();
        match &self.backend {
            Backend::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let n = stmt.column_count();
                let mut rows = stmt.query(rusqlite::params_from_iter(vals.iter()))?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    let mut vals = Vec::with_capacity(n);
                    for i in 0..n {
                        vals.push(sqlite_val(r.get_ref(i)?));
                    }
                    out.push(Row { vals });
                }
                Ok(out)
            }
            Backend::Pg(pg) => pg.query(sql, vals),
        }
    }

    /// The rows of several queries whose answers are needed together. On
    /// PostgreSQL they go out in one round trip (after what `defer` queued),
    /// and the server runs them in order; on SQLite they run one by one.
    pub fn rows_together(&self, queries: Vec<(&str, Vec<Val>)>) -> StoreResult<Vec<Vec<Row>>> {
        match &self.backend {
            Backend::Sqlite(_) => queries
                .into_iter()
                .map(|(sql, vals)| self.rows(sql, vals))
                .collect(),
            Backend::Pg(pg) => pg.query_together(&queries),
        }
    }

    /// The first row mapped by `f`; `StoreError::NoRows` when there is none.
    pub fn query_row<P: Params, T>(
        &self,
        sql: &str,
        params: P,
        f: impl FnOnce(&Row) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let rows = self.rows(sql, params)?;
        match rows.first() {
            Some(r) => f(r),
            None => Err(StoreError::NoRows),
        }
    }

    /// Every row mapped by `f`.
    pub fn query_map<P: Params, T>(
        &self,
        sql: &str,
        params: P,
        f: impl FnMut(&Row) -> StoreResult<T>,
    ) -> StoreResult<std::vec::IntoIter<StoreResult<T>>> {
        let rows = self.rows(sql, params)?;
        Ok(rows.iter().map(f).collect::<Vec<_>>().into_iter())
    }
}

fn sqlite_val(v: rusqlite::types::ValueRef<'_>) -> Val {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => Val::Null,
        ValueRef::Integer(i) => Val::Int(i),
        ValueRef::Real(f) => Val::Real(f),
        ValueRef::Text(t) => Val::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Val::Blob(b.to_vec()),
    }
}

impl rusqlite::ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Val::Null => ValueRef::Null,
            Val::Int(i) => ValueRef::Integer(*i),
            Val::Real(f) => ValueRef::Real(*f),
            Val::Text(s) => ValueRef::Text(s.as_bytes()),
            Val::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_through_sqlite() {
        let conn = Conn::sqlite(rusqlite::Connection::open_in_memory().unwrap());
        conn.execute_batch("CREATE TABLE t (i INTEGER, s TEXT, b BLOB, n TEXT)")
            .unwrap();
        let blob = vec![0u8, 1, 255];
        conn.execute(
            "INSERT INTO t VALUES (?1, ?2, ?3, ?4)",
            params![42u32, "x", blob, None::<String>],
        )
        .unwrap();
        let (i, s, b, n): (u32, String, Vec<u8>, Option<String>) = conn
            .query_row("SELECT i, s, b, n FROM t", (), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .unwrap();
        assert_eq!((i, s.as_str(), b, n), (42, "x", blob, None));
        let none = conn
            .query_row("SELECT i FROM t WHERE i = ?1", [7], |r| r.get::<_, i64>(0))
            .optional()
            .unwrap();
        assert_eq!(none, None);
    }
}
