//! The PostgreSQL side of `sql::Conn`: a tokio-postgres client driven on a
//! small runtime of kerro's own, so the store stays synchronous; its
//! statement cache, notifications, parameter rewriting (`?1` to `$1`) and the
//! conversion of values both ways.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::{Row, Val};
use crate::error::{StoreError, StoreResult};

/// A PostgreSQL connection with its statement cache. Used from one thread at a time.
///
/// The store is synchronous (its callers are the writer thread and blocking
/// tasks), while tokio-postgres is asynchronous. Each call runs on a small
/// runtime of kerro's own (`pg_runtime`) and the caller waits on a plain
/// channel, so a call works from any thread, inside an async runtime or not.
pub struct PgConn {
    client: Arc<tokio_postgres::Client>,
    statements: RefCell<HashMap<String, tokio_postgres::Statement>>,
    /// Statements whose answers nobody waits for, sent together (pipelined)
    /// before the next statement that needs an answer, or at `flush`.
    pending: RefCell<Vec<(String, Vec<Val>)>>,
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

/// Awaits every future, polling them always in the order given (a
/// tokio-postgres request is sent when its future is first polled, so the
/// server receives them in this order), and returns their outputs in order.
async fn in_order<F: Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut futures: Vec<_> = futures.into_iter().map(|f| Some(Box::pin(f))).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, out) in futures.iter_mut().zip(outputs.iter_mut()) {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        *out = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
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
            pending: RefCell::default(),
            notifications,
            closed,
        })
    }

    pub(super) fn is_closed(&self) -> bool {
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

    /// Queues a statement; it goes out with the others at the next round trip.
    pub(super) fn defer(&self, sql: &str, vals: Vec<Val>) {
        self.pending.borrow_mut().push((sql.to_owned(), vals));
    }

    /// Sends the queued statements at once and waits for all of their answers:
    /// tokio-postgres pipelines requests polled together on one connection,
    /// and the server runs them in order. The first error is returned (the
    /// transaction is then aborted; the writer rolls back the job's savepoint).
    pub(super) fn flush(&self) -> StoreResult<()> {
        self.with_pending(std::future::ready(Ok::<(), tokio_postgres::Error>(())))
    }

    /// Sends the queued statements and then `then`, without waiting in
    /// between, and waits for all of them: one round trip. `then`'s answer is
    /// returned if every queued statement succeeded.
    fn with_pending<T>(
        &self,
        then: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> StoreResult<T> {
        let pending = std::mem::take(&mut *self.pending.borrow_mut());
        if pending.is_empty() {
            return Ok(wait(then)?);
        }
        let statements = pending
            .iter()
            .map(|(sql, _)| self.prepare(sql))
            .collect::<StoreResult<Vec<_>>>()?;
        let params: Vec<_> = pending.iter().map(|(_, vals)| pg_params(vals)).collect();
        let calls = statements
            .iter()
            .zip(&params)
            .map(|(stmt, p)| self.client.execute(stmt, p));
        // Polled in order: the queued statements are sent first, then `then`.
        // Every answer is awaited (no short cut on the first error to arrive):
        // once one statement fails the server aborts the rest, so the error
        // that counts is the first in statement order.
        let (done, answer) = wait(futures_util::future::join(in_order(calls), then));
        if let Some(e) = done.into_iter().find_map(Result::err) {
            return Err(e.into());
        }
        Ok(answer?)
    }

    /// Forgets the queued statements (their job failed; they are never sent).
    pub(super) fn discard(&self) {
        self.pending.borrow_mut().clear();
    }

    pub(super) fn execute(&self, sql: &str, vals: Vec<Val>) -> StoreResult<u64> {
        let stmt = self.prepare(sql)?;
        self.with_pending(self.client.execute(&stmt, &pg_params(&vals)))
    }

    pub(super) fn query(&self, sql: &str, vals: Vec<Val>) -> StoreResult<Vec<Row>> {
        let stmt = self.prepare(sql)?;
        let rows = self.with_pending(self.client.query(&stmt, &pg_params(&vals)))?;
        rows.iter().map(pg_row).collect()
    }

    /// Sends the queued statements and then `queries`, all in one round
    /// trip, and returns each query's rows; the first error in statement order fails the call.
    pub(super) fn query_together(
        &self,
        queries: &[(&str, Vec<Val>)],
    ) -> StoreResult<Vec<Vec<Row>>> {
        let statements = queries
            .iter()
            .map(|(sql, _)| self.prepare(sql))
            .collect::<StoreResult<Vec<_>>>()?;
        let params: Vec<_> = queries.iter().map(|(_, vals)| pg_params(vals)).collect();
        let calls = statements
            .iter()
            .zip(&params)
            .map(|(stmt, p)| self.client.query(stmt, p));
        let answers = self.with_pending(async { Ok(in_order(calls).await) })?;
        answers
            .into_iter()
            .map(|rows| rows?.iter().map(pg_row).collect())
            .collect()
    }

    pub(super) fn batch(&self, sql: &str) -> StoreResult<()> {
        self.flush()?;
        Ok(wait(self.client.batch_execute(sql))?)
    }

    /// Checks the connection with a round trip (at most 2 s).
    pub(super) fn is_valid(&self) -> bool {
        let client = self.client.clone();
        on_pg(async move {
            tokio::time::timeout(Duration::from_secs(2), client.simple_query(""))
                .await
                .is_ok_and(|r| r.is_ok())
        })
        .unwrap_or(false)
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
}
