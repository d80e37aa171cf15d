//! One connection type over both backends: SQLite (rusqlite) and PostgreSQL
//! (the `postgres` crate). The store writes its SQL once, in the common
//! subset both dialects speak, with numbered parameters (`?1`); PostgreSQL
//! gets them rewritten to `$1` and its prepared statements cached per
//! connection. Rows are read into owned values, so the code that maps them is
//! the same for both backends.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

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
    vals: Vec<Val>,
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

/// The rows of a query, walked with `while let Some(r) = rows.next()?`.
pub struct Rows {
    rows: std::vec::IntoIter<Row>,
    current: Option<Row>,
}

impl Rows {
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> StoreResult<Option<&Row>> {
        self.current = self.rows.next();
        Ok(self.current.as_ref())
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

/// A PostgreSQL connection with its statement cache. Used from one thread at a time.
///
/// The store is synchronous (its callers are the writer thread and blocking
/// tasks), while tokio-postgres is asynchronous. Each call runs on a small
/// runtime of kerro's own (`pg_runtime`) and the caller waits on a plain
/// channel, so a call works from any thread, inside an async runtime or not.
pub struct PgConn {
    client: Arc<tokio_postgres::Client>,
    statements: RefCell<HashMap<String, tokio_postgres::Statement>>,
    notifications: std::sync::mpsc::Receiver<tokio_postgres::Notification>,
    closed: Arc<AtomicBool>,
}

/// The runtime every PostgreSQL connection of this process does its I/O on.
fn pg_runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("kerro-pg")
            .enable_all()
            .build()
            .expect("the PostgreSQL I/O runtime starts")
    })
}

/// Drives one connection until it ends, passing notifications on.
async fn drive<S, T>(
    mut connection: tokio_postgres::Connection<S, T>,
    notes: std::sync::mpsc::Sender<tokio_postgres::Notification>,
    closed: Arc<AtomicBool>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            Some(Ok(tokio_postgres::AsyncMessage::Notification(n))) => {
                let _ = notes.send(n);
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => {
                tracing::debug!("a PostgreSQL connection ended: {e}");
                break;
            }
            None => break,
        }
    }
    closed.store(true, Ordering::SeqCst);
}

/// Waits for a client call on this thread. The client's futures only pass
/// messages to the connection's task (which runs on `pg_runtime`) and wait
/// for the answer, so they need no runtime of their own: this saves a thread
/// hop per statement over `on_pg`, and works on any thread, async or not.
fn wait<F: Future>(fut: F) -> F::Output {
    futures_executor::block_on(fut)
}

/// Runs `fut` on the PostgreSQL runtime and waits for it. Should the task
/// die without an answer (a panic in the driver), the call fails as
/// "unavailable" instead of taking the caller down.
fn on_pg<T: Send + 'static>(fut: impl Future<Output = T> + Send + 'static) -> StoreResult<T> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    pg_runtime().spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.recv().map_err(|_| StoreError::Closed)
}

impl PgConn {
    /// Connects (over TLS when `tls` is given) and starts the task that drives
    /// the connection and collects its notifications.
    pub fn connect(
        config: tokio_postgres::Config,
        tls: Option<rustls::ClientConfig>,
    ) -> StoreResult<PgConn> {
        let (tx, notifications) = std::sync::mpsc::channel();
        let closed = Arc::new(AtomicBool::new(false));
        let flag = closed.clone();
        let client = match tls {
            None => {
                let (client, connection) =
                    on_pg(async move { config.connect(tokio_postgres::NoTls).await })??;
                pg_runtime().spawn(drive(connection, tx, flag));
                client
            }
            Some(tls) => {
                let make = tokio_postgres_rustls::MakeRustlsConnect::new(tls);
                let (client, connection) = on_pg(async move { config.connect(make).await })??;
                pg_runtime().spawn(drive(connection, tx, flag));
                client
            }
        };
        Ok(PgConn {
            client: Arc::new(client),
            statements: RefCell::default(),
            notifications,
            closed,
        })
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst) || self.client.is_closed()
    }

    fn prepare(&self, sql: &str) -> StoreResult<tokio_postgres::Statement> {
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let stmt = wait(self.client.prepare(&to_postgres(sql)))?;
        self.statements
            .borrow_mut()
            .insert(sql.to_owned(), stmt.clone());
        Ok(stmt)
    }

    fn execute(&self, sql: &str, vals: Vec<Val>) -> StoreResult<u64> {
        let stmt = self.prepare(sql)?;
        Ok(wait(self.client.execute(&stmt, &pg_params(&vals)))?)
    }

    fn query(&self, sql: &str, vals: Vec<Val>) -> StoreResult<Vec<Row>> {
        let stmt = self.prepare(sql)?;
        let rows = wait(self.client.query(&stmt, &pg_params(&vals)))?;
        rows.iter().map(pg_row).collect()
    }

    fn batch(&self, sql: &str) -> StoreResult<()> {
        Ok(wait(self.client.batch_execute(sql))?)
    }

    /// Waits up to `timeout` for a notification (of a channel this connection LISTENs on).
    pub fn wait_notification(&self, timeout: Duration) -> Option<tokio_postgres::Notification> {
        self.notifications.recv_timeout(timeout).ok()
    }

    /// Takes notifications already received without waiting.
    pub fn drain_notifications(&self) -> usize {
        self.notifications.try_iter().count()
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
    /// The newest hash of each hash chain (ledger, audit log), known while
    /// the writer's transaction holds the write lock; `None` outside one.
    heads: RefCell<Option<ChainHeads>>,
}

/// Chain heads by table.
pub type ChainHeads = HashMap<&'static str, String>;

impl Conn {
    pub fn sqlite(conn: rusqlite::Connection) -> Conn {
        Conn {
            backend: Backend::Sqlite(conn),
            node: std::sync::Arc::from("local"),
            heads: RefCell::new(None),
        }
    }

    pub fn postgres(pg: PgConn) -> Conn {
        Conn {
            backend: Backend::Pg(pg),
            node: std::sync::Arc::from("local"),
            heads: RefCell::new(None),
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

    /// Starts (`Some`) or ends (`None`) remembering chain heads; the writer
    /// does so around each transaction, under its write lock, and restores
    /// the heads from before a job whose savepoint it rolls back.
    pub(crate) fn set_chain_heads(&self, heads: Option<ChainHeads>) {
        *self.heads.borrow_mut() = heads;
    }

    pub(crate) fn chain_heads(&self) -> Option<ChainHeads> {
        self.heads.borrow().clone()
    }

    /// The newest hash of `table`'s chain: remembered within the writer's
    /// transaction, else read (`GENESIS` for an empty chain).
    pub(crate) fn chain_head(&self, table: &'static str, genesis: &str) -> StoreResult<String> {
        if let Some(h) = self.heads.borrow().as_ref().and_then(|m| m.get(table)) {
            return Ok(h.clone());
        }
        let head = self
            .query_row(
                &format!("SELECT hash FROM {table} ORDER BY seq DESC LIMIT 1"),
                (),
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or_else(|| genesis.to_owned());
        Ok(head)
    }

    /// Records the hash just appended to `table`'s chain (if heads are being remembered).
    pub(crate) fn advance_chain(&self, table: &'static str, hash: &str) {
        if let Some(m) = self.heads.borrow_mut().as_mut() {
            m.insert(table, hash.to_owned());
        }
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
            Backend::Pg(pg) => {
                let client = pg.client.clone();
                on_pg(async move {
                    tokio::time::timeout(Duration::from_secs(2), client.simple_query(""))
                        .await
                        .is_ok_and(|r| r.is_ok())
                })
                .unwrap_or(false)
            }
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

    /// A statement to run later; the text is kept, the backends cache the preparation.
    pub fn prepare_cached(&self, sql: &str) -> StoreResult<Stmt<'_>> {
        Ok(Stmt {
            conn: self,
            sql: sql.to_owned(),
        })
    }

    pub fn prepare(&self, sql: &str) -> StoreResult<Stmt<'_>> {
        self.prepare_cached(sql)
    }
}

/// A statement bound to a connection (mirrors rusqlite's `prepare_cached` use).
pub struct Stmt<'c> {
    conn: &'c Conn,
    sql: String,
}

impl Stmt<'_> {
    pub fn execute<P: Params>(&mut self, params: P) -> StoreResult<usize> {
        self.conn.execute(&self.sql, params)
    }

    pub fn query_row<P: Params, T>(
        &mut self,
        params: P,
        f: impl FnOnce(&Row) -> StoreResult<T>,
    ) -> StoreResult<T> {
        self.conn.query_row(&self.sql, params, f)
    }

    pub fn query_map<P: Params, T>(
        &mut self,
        params: P,
        f: impl FnMut(&Row) -> StoreResult<T>,
    ) -> StoreResult<std::vec::IntoIter<StoreResult<T>>> {
        self.conn.query_map(&self.sql, params, f)
    }

    pub fn query<P: Params>(&mut self, params: P) -> StoreResult<Rows> {
        Ok(Rows {
            rows: self.conn.rows(&self.sql, params)?.into_iter(),
            current: None,
        })
    }
}

/// `?1` becomes `$1`; a bare `?` takes the next number. Quoted text is left alone.
pub fn to_postgres(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut next = 1;
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
            out.push(c);
        } else if c == '?' && !quoted {
            let mut digits = String::new();
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(*d);
                chars.next();
            }
            if digits.is_empty() {
                digits = next.to_string();
            }
            next += 1;
            out.push('$');
            out.push_str(&digits);
        } else {
            out.push(c);
        }
    }
    out
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

fn pg_params(vals: &[Val]) -> Vec<&(dyn tokio_postgres::types::ToSql + Sync)> {
    vals.iter()
        .map(|v| v as &(dyn tokio_postgres::types::ToSql + Sync))
        .collect()
}

fn pg_row(r: &tokio_postgres::Row) -> StoreResult<Row> {
    use tokio_postgres::types::Type;
    let mut vals = Vec::with_capacity(r.len());
    for (i, col) in r.columns().iter().enumerate() {
        let ty = col.type_();
        let v = if *ty == Type::INT8 {
            r.try_get::<_, Option<i64>>(i)?.map(Val::Int)
        } else if *ty == Type::INT4 {
            r.try_get::<_, Option<i32>>(i)?.map(|v| Val::Int(v.into()))
        } else if *ty == Type::INT2 {
            r.try_get::<_, Option<i16>>(i)?.map(|v| Val::Int(v.into()))
        } else if *ty == Type::BOOL {
            r.try_get::<_, Option<bool>>(i)?.map(|v| Val::Int(v.into()))
        } else if *ty == Type::FLOAT8 {
            r.try_get::<_, Option<f64>>(i)?.map(Val::Real)
        } else if *ty == Type::FLOAT4 {
            r.try_get::<_, Option<f32>>(i)?.map(|v| Val::Real(v.into()))
        } else if *ty == Type::BYTEA {
            r.try_get::<_, Option<Vec<u8>>>(i)?.map(Val::Blob)
        } else if *ty == Type::VOID {
            None
        } else if *ty == Type::OID {
            r.try_get::<_, Option<u32>>(i)?.map(|v| Val::Int(v.into()))
        } else {
            r.try_get::<_, Option<String>>(i)?.map(Val::Text)
        };
        vals.push(v.unwrap_or(Val::Null));
    }
    Ok(Row { vals })
}

impl tokio_postgres::types::ToSql for Val {
    fn to_sql(
        &self,
        ty: &tokio_postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use tokio_postgres::types::{IsNull, Type};
        match self {
            Val::Null => Ok(IsNull::Yes),
            Val::Int(i) => {
                if *ty == Type::INT8 {
                    i.to_sql(ty, out)
                } else if *ty == Type::INT4 {
                    i32::try_from(*i)?.to_sql(ty, out)
                } else if *ty == Type::INT2 {
                    i16::try_from(*i)?.to_sql(ty, out)
                } else if *ty == Type::BOOL {
                    (*i != 0).to_sql(ty, out)
                } else if *ty == Type::FLOAT8 {
                    (*i as f64).to_sql(ty, out)
                } else if *ty == Type::TEXT || *ty == Type::VARCHAR {
                    i.to_string().to_sql(ty, out)
                } else {
                    Err(format!("cannot bind an integer as {ty}").into())
                }
            }
            Val::Real(f) => {
                if *ty == Type::FLOAT8 {
                    f.to_sql(ty, out)
                } else if *ty == Type::FLOAT4 {
                    (*f as f32).to_sql(ty, out)
                } else {
                    Err(format!("cannot bind a number as {ty}").into())
                }
            }
            Val::Text(s) => s.to_sql(ty, out),
            Val::Blob(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_: &tokio_postgres::types::Type) -> bool {
        true
    }

    tokio_postgres::types::to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_and_bare_parameters_become_dollars() {
        assert_eq!(
            to_postgres("SELECT a FROM t WHERE b = ?2 AND c = ?1"),
            "SELECT a FROM t WHERE b = $2 AND c = $1"
        );
        assert_eq!(to_postgres("VALUES (?, ?)"), "VALUES ($1, $2)");
        assert_eq!(to_postgres("SELECT '?1' || ?1"), "SELECT '?1' || $1");
    }

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
