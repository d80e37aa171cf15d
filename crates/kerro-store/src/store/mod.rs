//! The SQLite store: opening, the reader pool, the group-commit writer and the
//! in-memory schema snapshot. Operations live in the sibling modules by topic.

mod audit;
mod declare;
mod engine;
mod import;
mod ledger;
mod schema_ops;
mod subjects;
mod web;

pub use declare::Submission;
pub use import::{ImportOutcome, ImportRecord};
pub use subjects::{STAFF_TOKEN_PREFIX, SUBJECT_TOKEN_PREFIX};
pub use web::{
    week_of, AdminStats, AnswerCount, PolicyVersion, WebSession, LOGIN_LINK_PREFIX, SESSION_PREFIX,
};

use chrono::{DateTime, Utc};
use kerro_core::Lang;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use crate::crypto::Keyring;
use crate::db;
use crate::error::{StoreError, StoreResult};
use crate::model::SchemaSnapshot;
use crate::writer::Writer;

/// Where and how to open a store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub data_dir: PathBuf,
    /// The master key file; `None` means `<data_dir>/master.key`, created at first start.
    pub master_key_file: Option<PathBuf>,
    /// The language texts fall back to, and receipts use when nothing else is known.
    pub default_lang: Lang,
    /// Keep the in-memory profile and audience index (the server does; one-shot CLI commands need not).
    pub index: bool,
}

impl StoreOptions {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        StoreOptions {
            data_dir: data_dir.into(),
            master_key_file: None,
            default_lang: Lang::Fi,
            index: true,
        }
    }
}

/// A handle to the store; cheap to clone, safe to share between threads.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) keys: Arc<Keyring>,
    pub(crate) writer: Writer,
    readers: Mutex<Vec<Connection>>,
    db_path: PathBuf,
    snapshot: RwLock<Arc<SchemaSnapshot>>,
    default_lang: Lang,
    index: engine::ProfileIndex,
    index_enabled: bool,
    /// Staff tokens seen valid, by hash, so an authenticated call needs no database read.
    staff_cache: RwLock<std::collections::HashMap<String, (String, kerro_core::Role)>>,
    decision_log: std::sync::mpsc::Sender<engine::PendingLog>,
}

/// Readers kept open for reuse; more are opened on demand and closed after use.
const MAX_IDLE_READERS: usize = 64;

impl Store {
    pub fn open(opts: &StoreOptions) -> StoreResult<Store> {
        create_private_dir(&opts.data_dir)?;
        let key_path = opts
            .master_key_file
            .clone()
            .unwrap_or_else(|| opts.data_dir.join("master.key"));
        let keys = Arc::new(Keyring::load_or_create(&key_path)?);
        let db_path = opts.data_dir.join("kerro.db");
        let mut conn = db::open(&db_path, true)?;
        db::migrate(&mut conn)?;
        let snapshot = schema_ops::load_snapshot(&conn)?;
        let index = if opts.index {
            engine::load_index(&conn, &keys)?
        } else {
            engine::ProfileIndex::default()
        };
        let inner = Arc::new_cyclic(|weak| Inner {
            keys,
            writer: Writer::start(conn),
            readers: Mutex::new(Vec::new()),
            db_path,
            snapshot: RwLock::new(Arc::new(snapshot)),
            default_lang: opts.default_lang,
            index,
            index_enabled: opts.index,
            staff_cache: RwLock::default(),
            decision_log: engine::start_flusher(weak.clone()),
        });
        Ok(Store { inner })
    }

    /// The SQLite database file (its WAL sits beside it as `-wal`).
    pub fn db_path(&self) -> &Path {
        &self.inner.db_path
    }

    pub fn default_lang(&self) -> Lang {
        self.inner.default_lang
    }

    /// The current schema with each form's current notice version.
    pub fn schema(&self) -> Arc<SchemaSnapshot> {
        match self.inner.snapshot.read() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn set_snapshot(&self, snapshot: SchemaSnapshot) {
        let mut guard = match self.inner.snapshot.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = Arc::new(snapshot);
    }

    fn keys(&self) -> Arc<Keyring> {
        self.inner.keys.clone()
    }

    /// Runs `f` on a pooled read connection inside one read transaction (a consistent snapshot).
    fn read<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let pooled = self.inner.readers.lock().ok().and_then(|mut v| v.pop());
        let conn = match pooled {
            Some(c) => c,
            None => db::open(&self.inner.db_path, true)?,
        };
        conn.execute_batch("BEGIN")?;
        let result = f(&conn);
        let ended = conn.execute_batch("COMMIT");
        if ended.is_ok() {
            if let Ok(mut pool) = self.inner.readers.lock() {
                if pool.len() < MAX_IDLE_READERS {
                    pool.push(conn);
                }
            }
        }
        result
    }

    /// Runs `f` in the writer's next group transaction; returns after it is durably committed.
    fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.inner.writer.write(f)
    }
}

fn create_private_dir(dir: &Path) -> StoreResult<()> {
    std::fs::create_dir_all(dir).map_err(|e| {
        StoreError::Config(format!(
            "cannot create data directory {}: {e}",
            dir.display()
        ))
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    Ok(())
}

pub(crate) fn ts(t: &DateTime<Utc>) -> String {
    kerro_core::consent::format_time(t)
}

pub(crate) fn parse_ts(raw: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| StoreError::Corrupt(format!("bad timestamp '{raw}'")))
}

pub(crate) fn corrupt<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> StoreError + '_ {
    move |e| StoreError::Corrupt(format!("{what}: {e}"))
}

pub(crate) fn new_ulid() -> String {
    ulid::Ulid::new().to_string()
}
