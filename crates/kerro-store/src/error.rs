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
            StoreError::Closed => CoreError::new(
                ErrorCode::Unavailable,
                "the store could not take the write; nothing was changed",
            ),
            _ => CoreError::new(ErrorCode::Internal, "internal error; nothing was changed"),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
