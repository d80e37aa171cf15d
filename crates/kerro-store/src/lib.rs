//! kerro's storage: the embedded SQLite store with encryption at rest,
//! the hash-chained consent ledger, the audit log and group commit.
//!
//! The domain rules live in `kerro-core`; this crate applies them inside
//! transactions and never decides policy on its own.

pub mod copy;
pub mod crypto;
mod db;
pub mod error;
pub mod model;
pub mod sql;
mod store;
pub mod telemetry;
mod writer;

pub use copy::{copy, table_counts, CopyProgress, CopyReport};
pub use db::{connect, Location, SCHEMA_VERSION};
pub use error::{StoreError, StoreResult};
pub use model::*;
pub use store::{
    is_sign_in_secret, week_of, AdminStats, AnswerCount, FormPost, FormPosted, ImportOutcome,
    ImportRecord, LoginLink, PolicyVersion, Respondent, Store, StoreOptions, Submission,
    WebSession, LOGIN_LINK_PREFIX, SESSION_PREFIX, STAFF_TOKEN_PREFIX, SUBJECT_TOKEN_PREFIX,
};
