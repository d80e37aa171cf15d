//! The store: opening either backend, the reader pool, the group-commit
//! writer, the in-memory schema snapshot and following the changes other
//! nodes (or processes) make. Operations live in the sibling modules by topic.

mod audiences;
mod audit;
mod audit_view;
mod breach_scope;
mod breaches;
mod campaign_sending;
mod campaigns;
mod checkpoints;
mod decision_log;
mod declare;
mod deliveries;
mod disclosures;
mod email;
mod engine;
mod erasure_check;
mod follow;
mod hosted;
mod import;
mod index;
mod ledger;
pub(crate) mod outbox;
mod recipients;
mod records;
mod retention;
mod rights_requests;
mod schema_ops;
mod sessions;
mod shared;
mod staff;
mod staff_auth;
mod staff_sessions;
mod staff_signin;
mod stats;
mod subjects;
mod tokens;
pub(crate) mod tx;
mod unsubscribe;
mod verify;
mod web;
mod webhook_queue;
mod webhooks;

pub use audiences::{AudienceSize, SavedAudience, SIZE_DAYS};
pub use audit::ACTIONS as AUDIT_ACTIONS;
pub use audit_view::{AuditFilter, AuditPage, AuditRow};
pub use breach_scope::ScopeQuery;
pub use breaches::{
    AuthorityNotification, Breach, BreachMessage, BreachRecipient, BreachScope, BreachUpdate,
    MessageCounts, MessageOutcome, BREACH_PREFIX,
};
pub use campaign_sending::{CampaignCheck, Outcome, Recipient};
pub use campaigns::{Campaign, CampaignAudience, NewCampaign, Skip};
pub use checkpoints::{Chain, Checkpoint, CheckpointClock, CheckpointPolicy};
pub use declare::Submission;
pub use deliveries::{DeliveryReport, RecordedDelivery};
pub use disclosures::{LoggedDisclosure, RecipientDisclosures, DISCLOSURES_LISTED};
pub use email::{
    is_confirm_secret, ConfirmationMail, Confirmed, EmailState, CONFIRM_LINK_DAYS,
    CONFIRM_LINK_PREFIX, RESEND_MINUTES,
};
pub use hosted::{FormPost, FormPosted, Respondent};
pub use import::{ImportOutcome, ImportRecord};
pub use records::{RecordsVersion, StoredRecords};
pub use retention::{RetentionCount, RetentionKind, RetentionReport, RETENTION_LOCK};
pub use rights_requests::{Extension, NewRightsRequest, RequestFilter, RightsRequest};
pub use sessions::{is_sign_in_secret, LoginLink, WebSession, LOGIN_LINK_PREFIX, SESSION_PREFIX};
pub use staff::{Invited, StaffAccount, INVITE_PREFIX};
pub use staff_sessions::{SessionInfo, StaffSession, Stage, STAFF_SESSION_PREFIX};
pub use staff_signin::{Enrolment, SignIn};
pub use stats::{week_of, AdminStats, AnswerCount};
pub use subjects::{MintedBy, SubjectCaller, SUBJECT_TOKEN_PREFIX};
pub use tokens::{ApiToken, TokenCheck, TokenHolder, STAFF_TOKEN_PREFIX};
pub use unsubscribe::{Unsubscribe, UnsubscribeLink};
pub use verify::{ChainProblem, ChainReport, CheckpointCopy, CheckpointName};
pub use web::PolicyVersion;
pub use webhook_queue::{Attempt, Disabled, DueDelivery, RetrySchedule, WebhookDelivery};
pub use webhooks::{
    event_body, event_type, NewWebhook, WebhookEndpoint, DELIVERY_PREFIX,
    MAX_DESCRIPTION as WEBHOOK_MAX_DESCRIPTION, SECRET_PREFIX, WEBHOOK_EVENTS, WEBHOOK_PREFIX,
};

use chrono::{DateTime, Utc};
use kerro_core::Lang;
use parking_lot::{Condvar, Mutex, RwLock};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::crypto::Keyring;
use crate::db::{self, Location};
use crate::error::{StoreError, StoreResult};
use crate::model::SchemaSnapshot;
use crate::signing::{CheckpointKey, Ed25519Key, RECEIPT_KEY_FILE};
use crate::sql::{Conn, Dialect};
use crate::writer::Writer;
use kerro_core::Actor;
use tx::Tx;

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
    /// The database URL (`sqlite://PATH` or `postgres://…`); `None` means `<data_dir>/kerro.db`.
    pub database: Option<String>,
}

impl StoreOptions {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        StoreOptions {
            data_dir: data_dir.into(),
            master_key_file: None,
            default_lang: Lang::Fi,
            index: true,
            database: None,
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
    readers: Pool,
    location: Location,
    /// This process's id in the outbox, so it skips its own events when following.
    pub(crate) node: Arc<str>,
    snapshot: RwLock<Arc<SchemaSnapshot>>,
    default_lang: Lang,
    index: index::ProfileIndex,
    index_enabled: bool,
    /// Staff tokens seen valid, by hash, so an authenticated call needs no database read.
    staff_cache: RwLock<std::collections::HashMap<String, tokens::TokenHolder>>,
    /// Bumped by every revocation, so a look-up that raced one does not cache a stale token.
    staff_cache_generation: std::sync::atomic::AtomicU64,
    decision_log: std::sync::mpsc::Sender<decision_log::PendingLog>,
    /// Decisions for messages not yet in the log, for delivery reports that come at once.
    pub(crate) unflushed: decision_log::Unflushed,
    /// The key checkpoints are signed with (`checkpoint.key` beside the master key).
    pub(crate) checkpoint_key: Arc<CheckpointKey>,
    /// Signs receipts (`receipt.key` beside the master key).
    receipt_key: Arc<Ed25519Key>,
    pub(crate) checkpointer: checkpoints::Checkpointer,
    /// Confirmation links issued, waiting for the binary's mail thread.
    confirm_mail: email::MailQueue,
}

/// Readers kept open for reuse; more are opened on demand and closed after use.
const MAX_IDLE_READERS: usize = 64;

/// At most this many PostgreSQL read connections per node (the server's
/// `max_connections` is shared by every node); further readers wait their turn.
const MAX_PG_READERS: usize = 16;

/// Idle read connections, and a cap on how many are in use at once.
struct Pool {
    idle: Mutex<Vec<(Conn, Instant)>>,
    in_use: Mutex<usize>,
    freed: Condvar,
    max_in_use: usize,
}

impl Pool {
    fn new(max_in_use: usize) -> Pool {
        Pool {
            idle: Mutex::new(Vec::new()),
            in_use: Mutex::new(0),
            freed: Condvar::new(),
            max_in_use,
        }
    }

    /// Waits for a turn; the turn ends when the returned guard is dropped (even by a panic).
    fn acquire(&self) -> Turn<'_> {
        let mut n = self.in_use.lock();
        while *n >= self.max_in_use {
            self.freed.wait(&mut n);
        }
        *n += 1;
        Turn(self)
    }
}

struct Turn<'a>(&'a Pool);

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut n = self.0.in_use.lock();
        *n -= 1;
        self.0.freed.notify_one();
    }
}

impl Store {
    pub fn open(opts: &StoreOptions) -> StoreResult<Store> {
        create_private_dir(&opts.data_dir)?;
        let key_path = opts
            .master_key_file
            .clone()
            .unwrap_or_else(|| opts.data_dir.join("master.key"));
        let keys = Arc::new(Keyring::load_or_create(&key_path)?);
        let checkpoint_key = Arc::new(CheckpointKey::load_or_create(&CheckpointKey::path_beside(
            &key_path,
        ))?);
        let receipt_key = Arc::new(Ed25519Key::load_or_create(&Ed25519Key::file_beside(
            &key_path,
            RECEIPT_KEY_FILE,
        ))?);
        let location = match &opts.database {
            Some(url) => Location::parse(url)?,
            None => Location::Sqlite(opts.data_dir.join("kerro.db")),
        };
        let node: Arc<str> = Arc::from(new_ulid().as_str());
        let conn = db::connect(&location, true)?.with_node(node.clone());
        db::migrate(&conn)?;
        // Events after this point are replayed by the follower; replaying one already loaded is harmless.
        let followed_from = outbox::last_seq(&conn)?;
        let snapshot = schema_ops::load_snapshot(&conn)?;
        let index = if opts.index {
            index::load_index(&conn, &keys)?
        } else {
            index::ProfileIndex::default()
        };
        let (connect_location, writer_node) = (location.clone(), node.clone());
        let connect: crate::writer::Connect = Box::new(move || {
            Ok(db::connect(&connect_location, true)?.with_node(writer_node.clone()))
        });
        let max_readers = match location.dialect() {
            Dialect::Sqlite => usize::MAX,
            Dialect::Postgres => MAX_PG_READERS,
        };
        let inner = Arc::new_cyclic(|weak: &std::sync::Weak<Inner>| Inner {
            writer: Writer::start(
                conn,
                connect,
                keys.clone(),
                {
                    let store = weak.clone();
                    Box::new(move |touched| {
                        if let Some(inner) = store.upgrade() {
                            Store { inner }.after_commit(touched);
                        }
                    })
                },
                opts.index,
            ),
            keys,
            readers: Pool::new(max_readers),
            location: location.clone(),
            node: node.clone(),
            snapshot: RwLock::new(Arc::new(snapshot)),
            default_lang: opts.default_lang,
            index,
            index_enabled: opts.index,
            staff_cache: RwLock::default(),
            staff_cache_generation: std::sync::atomic::AtomicU64::new(0),
            decision_log: decision_log::start_flusher(weak.clone()),
            unflushed: decision_log::Unflushed::default(),
            checkpoint_key,
            receipt_key,
            checkpointer: checkpoints::Checkpointer::default(),
            confirm_mail: email::MailQueue::default(),
        });
        if opts.index {
            follow::start(Arc::downgrade(&inner), location, followed_from);
        }
        let store = Store { inner };
        // A server's start removes what a restored backup brought back (P13);
        // `kerro db check-erasures` does it on demand.
        let removed = match opts.index {
            true => store.check_erasures(&Actor::System("key-store".into()), Utc::now())?,
            false => Vec::new(),
        };
        if !removed.is_empty() {
            tracing::warn!(
                subjects = removed.len(),
                "removed subjects whose data key is gone from the key store (erased after the database backup this database was restored from)"
            );
        }
        Ok(store)
    }

    /// The SQLite database file (its WAL sits beside it as `-wal`); `None` on PostgreSQL.
    pub fn db_path(&self) -> Option<&Path> {
        match &self.inner.location {
            Location::Sqlite(p) => Some(p),
            Location::Postgres(_) => None,
        }
    }

    /// Where the database is, with any password masked.
    pub fn database(&self) -> String {
        self.inner.location.display()
    }

    pub fn dialect(&self) -> Dialect {
        self.inner.location.dialect()
    }

    /// Whether the database answers a trivial query (for `/healthz`).
    pub fn ping(&self) -> StoreResult<()> {
        self.read(|conn| {
            conn.query_row("SELECT 1", (), |r| r.get::<_, i64>(0))?;
            Ok(())
        })
    }

    /// This process's node id (as written to the outbox).
    pub fn node_id(&self) -> &str {
        &self.inner.node
    }

    /// The key that signs receipts (`receipt.key` beside the master key).
    pub fn receipt_key(&self) -> &Ed25519Key {
        &self.inner.receipt_key
    }

    pub fn default_lang(&self) -> Lang {
        self.inner.default_lang
    }

    /// The current schema with each form's current notice version.
    pub fn schema(&self) -> Arc<SchemaSnapshot> {
        self.inner.snapshot.read().clone()
    }

    /// Reloads the schema, notices and offers from the database (after another node changed them).
    pub(crate) fn reload_snapshot(&self) -> StoreResult<()> {
        let snapshot = self.read(schema_ops::load_snapshot)?;
        self.set_snapshot(snapshot);
        Ok(())
    }

    /// Installs `snapshot` unless the one in place reflects a newer outbox event.
    fn set_snapshot(&self, snapshot: SchemaSnapshot) {
        let mut guard = self.inner.snapshot.write();
        if snapshot.outbox_seq >= guard.outbox_seq {
            *guard = Arc::new(snapshot);
        }
    }

    fn keys(&self) -> Arc<Keyring> {
        self.inner.keys.clone()
    }

    /// Runs `f` on a pooled read connection inside one read transaction (a consistent snapshot).
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Conn) -> StoreResult<T>) -> StoreResult<T> {
        let _turn = self.inner.readers.acquire();
        self.read_on_pooled(f)
    }

    fn read_on_pooled<T>(&self, f: impl FnOnce(&Conn) -> StoreResult<T>) -> StoreResult<T> {
        let pool = &self.inner.readers;
        let mut conn = None;
        while let Some((c, idle_since)) = pool.idle.lock().pop() {
            // A connection idle for a while may have lost its server (a restart); check it first.
            let stale = c.dialect() == Dialect::Postgres
                && idle_since.elapsed() >= crate::writer::CHECK_AFTER_IDLE
                && !c.is_valid();
            if !stale && !c.is_broken() {
                conn = Some(c);
                break;
            }
        }
        let conn = match conn {
            Some(c) => c,
            None => db::connect(&self.inner.location, true)?,
        };
        conn.execute_batch(match conn.dialect() {
            Dialect::Sqlite => "BEGIN",
            Dialect::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ",
        })?;
        let result = f(&conn);
        let ended = if result.is_ok() {
            conn.execute_batch("COMMIT")
        } else {
            conn.execute_batch("ROLLBACK")
        };
        if ended.is_ok() && !conn.is_broken() {
            let mut idle = pool.idle.lock();
            if idle.len() < MAX_IDLE_READERS {
                idle.push((conn, Instant::now()));
            }
        }
        result
    }

    /// Runs `f` as `actor` at `now` in the writer's next group transaction;
    /// returns after it is durably committed and the in-memory state follows it.
    pub(crate) fn write<T, F>(&self, actor: &Actor, now: DateTime<Utc>, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Tx) -> StoreResult<T> + Send + 'static,
    {
        self.inner.writer.write(actor.clone(), now, f)
    }

    /// Brings the schema snapshot and the profiles up to date with what the
    /// jobs of one committed transaction wrote, in their order (on the writer
    /// thread, before any caller hears back). A profile is built from the one
    /// in memory and the job's edits; only a subject missing from memory is
    /// read back.
    fn after_commit(&self, touched: Vec<tx::Touched>) {
        let appended = touched
            .iter()
            .fold(tx::Appended::default(), |a, t| tx::Appended {
                ledger: a.ledger + t.appended.ledger,
                audit: a.audit + t.appended.audit,
            });
        self.inner.checkpointer.note(appended);
        for t in touched {
            if let Some(snapshot) = t.snapshot {
                self.set_snapshot(snapshot);
            }
            if !self.inner.index_enabled {
                continue;
            }
            for (id, touch) in t.subjects {
                if touch.erased {
                    self.inner.index.remove(&id);
                    continue;
                }
                if touch.created.is_none() && touch.edits.is_empty() {
                    self.inner.index.saw_version(&id, touch.version);
                    continue;
                }
                let base = match touch.created {
                    Some(p) => Some(p),
                    None => self.inner.index.get(&id).map(|p| (*p).clone()),
                };
                let Some(mut profile) = base else {
                    if let Err(e) = self.refresh_profile(&id) {
                        tracing::warn!(subject = %id, "cannot load the profile: {e}");
                    }
                    continue;
                };
                for edit in touch.edits {
                    edit.apply(&mut profile);
                }
                self.inner.index.put_edited(profile, touch.version);
            }
        }
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
