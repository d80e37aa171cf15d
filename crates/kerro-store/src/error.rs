//! Store errors. Domain errors pass through unchanged; everything else is
//! either "unavailable" (the database could not be reached or written) or a
//! configuration problem found at start.

use kerro_core::{CoreError, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error("database: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("postgresql: {}", pg_message(.0))]
    Pg(#[from] tokio_postgres::Error),
    #[error("the query returned no rows")]
    NoRows,
    #[error("crypto: {0}")]
    Crypto(String),
    #[error("configuration: {0}")]
    Config(String),
    #[error("the store could not take the write")]
    Closed,
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// The domain error a client sees. Internal details stay in the server log.
    pub fn to_core(&self) -> CoreError {
        match self {
            StoreError::Core(e) => e.clone(),
            StoreError::Db(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy
                        | rusqlite::ErrorCode::DatabaseLocked
                        | rusqlite::ErrorCode::CannotOpen
                        | rusqlite::ErrorCode::DiskFull
                        | rusqlite::ErrorCode::SystemIoFailure
                ) =>
            {
                CoreError::new(
                    ErrorCode::Unavailable,
                    "the database is unavailable; nothing was changed",
                )
            }
            StoreError::Pg(e) if pg_unavailable(e) => CoreError::new(
                ErrorCode::Unavailable,
                "the database is unavailable; nothing was changed",
            ),
            StoreError::Closed => CoreError::new(
                ErrorCode::Unavailable,
                "the store could not take the write; nothing was changed",
            ),
            _ => CoreError::new(ErrorCode::Internal, "internal error; nothing was changed"),
        }
    }
}

/// The server's own message (and SQLSTATE) where there is one; `tokio_postgres::Error`'s
/// Display says only "db error".
pub fn pg_message(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{} ({})", db.message(), db.code().code());
    }
    // The causes (a refused connection, a certificate for another name) are in the source chain.
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let c = cause.to_string();
        if !text.contains(&c) {
            text = format!("{text}: {c}");
        }
        source = cause.source();
    }
    text
}

/// Errors that mean "try again later": the connection is gone, the server is
/// shutting down or starting, or a transaction lost a race it may win next time.
pub fn pg_unavailable(e: &tokio_postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    match e.code() {
        Some(code) => {
            let c = code.code();
            c.starts_with("08")
                || c.starts_with("57P")
                || c == "53300"
                || c == "40001"
                || c == "40P01"
                || c == "25006"
        }
        // No SQLSTATE: an I/O error, a timeout, a refused connection or a
        // closed socket (as opposed to a value that failed to convert).
        None => {
            let io = std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>());
            let text = e.to_string();
            io || text.starts_with("error connecting")
                || text.starts_with("error communicating")
                || text.starts_with("timeout")
                || text.starts_with("error performing TLS handshake")
                || text.starts_with("connection closed")
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
