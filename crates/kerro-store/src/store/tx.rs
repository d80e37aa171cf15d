//! The write transaction one job of the group commit runs in (`Tx`): the
//! connection, the keys, the job's `now` and actor, the hash-chain heads of
//! the group transaction, and what the job touched. The shared write helpers
//! (the ledger append, the audit record, a declaration, an outbox event)
//! note what they change here, so after COMMIT the writer updates the
//! in-memory profiles and the schema snapshot from what was written, with no
//! read-back, and no store method can forget to.

use chrono::{DateTime, Utc};
use kerro_core::contact::ContactPrefs;
use kerro_core::decide::{ConsentInfo, DeclaredValue, Profile};
use kerro_core::ids::{AttributeKey, PurposeKey, SubjectId};
use kerro_core::{Actor, Lang};
use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Deref;

use crate::crypto::Keyring;
use crate::model::SchemaSnapshot;
use crate::sql::Conn;

/// The newest hash of each hash chain (ledger, audit log), by table: known
/// while the group transaction holds the write lock, so an append reads the
/// head from the database once per transaction.
pub(crate) type ChainHeads = HashMap<&'static str, String>;

/// One job's view of the group transaction. Reads go through `Deref` to the connection.
pub(crate) struct Tx<'a> {
    conn: &'a Conn,
    pub(crate) keys: &'a Keyring,
    pub(crate) now: DateTime<Utc>,
    pub(crate) actor: Actor,
    heads: &'a RefCell<ChainHeads>,
    touched: RefCell<Touched>,
    /// Whether profile edits are noted (no index, no one to read them).
    track_profiles: bool,
}

impl Deref for Tx<'_> {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        self.conn
    }
}

impl<'a> Tx<'a> {
    pub(crate) fn new(
        conn: &'a Conn,
        keys: &'a Keyring,
        heads: &'a RefCell<ChainHeads>,
        now: DateTime<Utc>,
        actor: Actor,
        track_profiles: bool,
    ) -> Tx<'a> {
        Tx {
            conn,
            keys,
            now,
            actor,
            heads,
            touched: RefCell::default(),
            track_profiles,
        }
    }

    /// The newest hash of `table`'s chain: remembered within the group
    /// transaction, else read (`genesis` for an empty chain).
    pub(crate) fn chain_head(
        &self,
        table: &'static str,
        genesis: &str,
    ) -> crate::error::StoreResult<String> {
        if let Some(h) = self.heads.borrow().get(table) {
            return Ok(h.clone());
        }
        use crate::sql::OptionalExtension;
        let head = self
            .conn
            .query_row(
                &format!("SELECT hash FROM {table} ORDER BY seq DESC LIMIT 1"),
                (),
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or_else(|| genesis.to_owned());
        Ok(head)
    }

    /// Records the hash just appended to `table`'s chain.
    pub(crate) fn advance_chain(&self, table: &'static str, hash: &str) {
        self.heads.borrow_mut().insert(table, hash.to_owned());
        let mut t = self.touched.borrow_mut();
        match table {
            "consent_events" => t.appended.ledger += 1,
            _ => t.appended.audit += 1,
        }
    }

    /// Notes an outbox event about `subject`: the profile written after
    /// COMMIT is versioned by the transaction's newest event.
    pub(crate) fn saw_event(&self, subject: &SubjectId) {
        if !self.track_profiles {
            return;
        }
        let mut t = self.touched.borrow_mut();
        t.subjects.entry(subject.clone()).or_default().event = true;
    }

    /// A new subject: its profile starts empty, with its locale.
    pub(crate) fn created(&self, subject: &SubjectId, locale: Option<Lang>) {
        if !self.track_profiles {
            return;
        }
        let mut p = Profile::new(subject.clone());
        p.locale = locale;
        p.language = locale;
        let mut t = self.touched.borrow_mut();
        let touch = t.subjects.entry(subject.clone()).or_default();
        touch.created = Some(p);
        touch.edits.clear();
    }

    /// A change to what a decision reads about `subject`.
    pub(crate) fn edit(&self, subject: &SubjectId, edit: Edit) {
        if !self.track_profiles {
            return;
        }
        self.touched
            .borrow_mut()
            .subjects
            .entry(subject.clone())
            .or_default()
            .edits
            .push(edit);
    }

    /// The subject is gone: its profile is dropped after COMMIT.
    pub(crate) fn erased(&self, subject: &SubjectId) {
        if !self.track_profiles {
            return;
        }
        let mut t = self.touched.borrow_mut();
        let touch = t.subjects.entry(subject.clone()).or_default();
        touch.erased = true;
        touch.created = None;
        touch.edits.clear();
    }

    /// The schema, notices or offers changed: this snapshot is installed after COMMIT.
    pub(crate) fn schema_changed(&self, snapshot: SchemaSnapshot) {
        self.touched.borrow_mut().snapshot = Some(snapshot);
    }

    pub(crate) fn into_touched(self) -> Touched {
        self.touched.into_inner()
    }
}

/// What one job wrote that the in-memory state must follow.
#[derive(Default)]
pub(crate) struct Touched {
    pub(crate) subjects: HashMap<SubjectId, Touch>,
    pub(crate) snapshot: Option<SchemaSnapshot>,
    /// Entries the job appended to each chain (the checkpoints' event count).
    pub(crate) appended: Appended,
}

/// How many entries were appended to the ledger and to the audit log.
#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Appended {
    pub(crate) ledger: u64,
    pub(crate) audit: u64,
}

impl Touched {
    pub(crate) fn has_events(&self) -> bool {
        self.subjects.values().any(|t| t.event)
    }

    /// Versions the profiles of subjects with an outbox event in this job.
    pub(crate) fn set_version(&mut self, seq: i64) {
        for t in self.subjects.values_mut().filter(|t| t.event) {
            t.version = seq;
        }
    }
}

/// What happened to one subject in a job.
#[derive(Default)]
pub(crate) struct Touch {
    /// Whether the job wrote an outbox event about the subject.
    pub(crate) event: bool,
    /// The outbox number the subject's profile is as of after COMMIT (0: unchanged).
    pub(crate) version: i64,
    /// Created in this job: the edits apply to this profile, not to the index's.
    pub(crate) created: Option<Profile>,
    pub(crate) edits: Vec<Edit>,
    pub(crate) erased: bool,
}

/// One change to a profile, as a write helper made it.
#[derive(Debug, Clone)]
pub(crate) enum Edit {
    Declared(AttributeKey, DeclaredValue),
    Undeclared(AttributeKey),
    Consent(PurposeKey, ConsentInfo),
    Contact(ContactPrefs),
    Flags {
        restricted: bool,
        objected_marketing: bool,
    },
    /// The e-mail address was set, confirmed or removed.
    Email(kerro_core::contact::EmailStatus),
}

impl Edit {
    pub(crate) fn apply(self, p: &mut Profile) {
        match self {
            Edit::Declared(k, v) => {
                p.declared.insert(k, v);
            }
            Edit::Undeclared(k) => {
                p.declared.remove(&k);
            }
            Edit::Consent(k, c) => {
                p.consents.insert(k, c);
            }
            Edit::Contact(prefs) => {
                p.language = prefs.language.or(p.locale);
                p.contact = prefs;
            }
            Edit::Flags {
                restricted,
                objected_marketing,
            } => {
                p.restricted = restricted;
                p.objected_marketing = objected_marketing;
            }
            Edit::Email(status) => p.email = status,
        }
    }
}
