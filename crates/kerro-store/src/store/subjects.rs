//! Subjects and their credentials: creation with encrypted identifiers and
//! blind indexes, reads (audited for staff), contact preferences, subject and
//! staff tokens, and erasure by crypto-shredding.

use crate::sql::{params, Conn, OptionalExtension};
use chrono::{DateTime, Duration, Utc};
use kerro_core::consent::Method;
use kerro_core::contact::ContactPrefs;
use kerro_core::ids::SubjectId;
use kerro_core::rights_request::RightKind;
use kerro_core::{Actor, CoreError, ErrorCode, Lang, Role};

use super::audit::{entries_for, record, AuditAction};
use super::ledger::events_for;
use super::rights_requests::self_service;
use super::shared::{
    erase_in, insert_subject, load_contact, open_declaration, subject_key, NewSubjectRow,
};
use super::tx::{Edit, Tx};
use super::{corrupt, parse_ts, ts, Store};
use crate::crypto::{new_secret, normalize_email, secret_hash, Keyring};
use crate::error::{StoreError, StoreResult};
use crate::model::{
    Declaration, ErasureSummary, NewSubject, Provenance, Subject, SubjectData, PROVIDED_BY_SUBJECT,
};

/// Prefixes tell token kinds apart before any look-up.
pub const SUBJECT_TOKEN_PREFIX: &str = "ksu_";

/// The staff member behind a subject token they minted.
#[derive(Debug, Clone, PartialEq)]
pub struct MintedBy {
    pub id: String,
    pub role: Role,
}

/// Whoever presents a subject token: the subject, or staff on its behalf.
#[derive(Debug, Clone, PartialEq)]
pub struct SubjectCaller {
    pub subject: SubjectId,
    pub minted_by: Option<MintedBy>,
}

impl SubjectCaller {
    pub fn actor(&self) -> Actor {
        match &self.minted_by {
            None => Actor::Subject(self.subject.clone()),
            Some(m) => Actor::OnBehalf {
                staff: m.id.clone(),
                role: m.role,
                subject: self.subject.clone(),
            },
        }
    }
}

const MAX_IDENTIFIER_LEN: usize = 254;

fn check_identifier(field: &str, v: &Option<String>) -> StoreResult<Option<String>> {
    match v {
        None => Ok(None),
        Some(s) => {
            let t = s.trim();
            if t.is_empty() || t.chars().count() > MAX_IDENTIFIER_LEN {
                return Err(CoreError::invalid(
                    field,
                    format!("must be 1-{MAX_IDENTIFIER_LEN} characters"),
                )
                .into());
            }
            Ok(Some(t.to_owned()))
        }
    }
}

pub(crate) fn load_subject_data(
    conn: &Conn,
    keys: &Keyring,
    id: &SubjectId,
) -> StoreResult<SubjectData> {
    let dk = subject_key(conn, keys, id)?;
    let sid = id.as_str();
    let subject = conn.query_row("SELECT external_id_enc, email_enc, organization_enc, locale, restricted, objected_marketing,
                objected_sharing, created_at, email_source, email_verified_at FROM subjects WHERE id = ?1", [sid],
        |r| {
            Ok((
                r.get::<_, Option<Vec<u8>>>(0)?,
                r.get::<_, Option<Vec<u8>>>(1)?,
                r.get::<_, Option<Vec<u8>>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, bool>(4)?,
                r.get::<_, bool>(5)?,
                r.get::<_, bool>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, Option<String>>(8)?,
                r.get::<_, Option<String>>(9)?,
            ))
        },
    )?;
    let email = super::email::email_state(conn, &dk, id)?;
    let open = |field: &str, v: Option<Vec<u8>>| -> StoreResult<Option<String>> {
        v.map(|c| dk.open_string(sid, field, &c)).transpose()
    };
    let subject = Subject {
        id: id.clone(),
        external_id: open("external_id", subject.0)?,
        email: email.email,
        email_status: email.status,
        email_source: subject.8,
        email_verified_at: subject.9.as_deref().map(parse_ts).transpose()?,
        email_pending: email.pending,
        organization: open("organization", subject.2)?,
        locale: subject.3.as_deref().and_then(Lang::parse),
        restricted: subject.4,
        objected_marketing: subject.5,
        objected_sharing: subject.6,
        created_at: parse_ts(&subject.7)?,
    };

    let mut declarations = Vec::new();
    let mut history = Vec::new();
    for r in &conn.rows(
        "SELECT attribute, value_enc, form, notice_version, method, given_at, superseded_at
         FROM declarations WHERE subject_id = ?1 ORDER BY attribute, id",
        [sid],
    )? {
        let (attribute, value, form) = open_declaration(&dk, sid, r)?;
        let method: String = r.get(4)?;
        let superseded: Option<String> = r.get(6)?;
        let d = Declaration {
            attribute,
            value,
            provenance: Provenance {
                form,
                notice_version: r.get(3)?,
                given_at: parse_ts(&r.get::<_, String>(5)?)?,
                method: Method::parse(&method)
                    .ok_or_else(|| StoreError::Corrupt(format!("method '{method}'")))?,
                source: PROVIDED_BY_SUBJECT,
            },
            superseded_at: superseded.as_deref().map(parse_ts).transpose()?,
        };
        if d.superseded_at.is_some() {
            history.push(d);
        } else {
            declarations.push(d);
        }
    }
    let contact = load_contact(conn, id)?;
    Ok(SubjectData {
        subject,
        declarations,
        history,
        consents: events_for(conn, id)?,
        channel_events: super::ledger::channel_events_for(conn, id)?,
        statements: super::ledger::statements_for(conn, id)?,
        email_confirmations: super::email::confirmations_for(conn, id)?,
        recipient_choices: super::ledger::recipient_events_for(conn, id)?,
        disclosures: super::disclosures::disclosures_for(conn, id)?,
        contact,
        access_log: entries_for(conn, id)?,
        decisions: super::decision_log::decisions_for(conn, keys, id)?,
    })
}

/// Creates a subject in `tx` from checked, canonical identifiers; an
/// external id already taken is a conflict. The address is in use at once,
/// or, with `email_pending`, waits for its owner's confirmation (the caller
/// issues the link); `email_source` says where it came from.
#[allow(clippy::too_many_arguments)]
pub(crate) fn create_in(
    tx: &Tx,
    external_id: Option<&str>,
    email: Option<&str>,
    organization: Option<&str>,
    locale: Option<Lang>,
    email_pending: bool,
    email_source: &str,
) -> StoreResult<SubjectId> {
    if let Some(ext) = external_id {
        let taken = tx
            .query_row(
                "SELECT 1 FROM subjects WHERE external_id_bidx = ?1",
                [tx.keys.blind_index("external_id", ext)],
                |_| Ok(()),
            )
            .optional()?;
        if taken.is_some() {
            return Err(CoreError::at(
                ErrorCode::Conflict,
                "external_id",
                "a subject with this external_id exists",
            )
            .into());
        }
    }
    let (id, _) = insert_subject(
        tx,
        &NewSubjectRow {
            external_id,
            email,
            email_source,
            email_pending,
            organization,
            locale,
            created_at: tx.now,
        },
    )?;
    // The address's state and source are in the row; the creation is the audited change.
    record(tx, Some(&id), AuditAction::SubjectCreated)?;
    Ok(id)
}

/// Checks and canonicalises a new subject's identifiers (before any write).
pub(crate) fn check_new_subject(
    new: &NewSubject,
) -> StoreResult<(Option<String>, Option<String>, Option<String>)> {
    let external_id = check_identifier("external_id", &new.external_id)?;
    let organization = check_identifier("organization", &new.organization)?;
    // Stored, looked up and mailed to in its one canonical form (kerro_core::email).
    let email = new
        .email
        .as_deref()
        .map(|e| kerro_core::email::canonical("email", e))
        .transpose()?;
    Ok((external_id, email, organization))
}

impl Store {
    /// Creates a subject. An address given by staff comes from the company's
    /// own records and is in use at once, unless `new.email_pending` says it
    /// needs its owner's confirmation: then a link is mailed to it. Either way
    /// the actor is recorded as the address's source.
    pub fn create_subject(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        new: NewSubject,
    ) -> StoreResult<SubjectId> {
        let (external_id, email, organization) = check_new_subject(&new)?;
        let (source, lang) = (actor.label(), new.locale.unwrap_or(self.default_lang()));
        let (id, mail) = self.write(actor, now, move |tx| {
            let id = create_in(
                tx,
                external_id.as_deref(),
                email.as_deref(),
                organization.as_deref(),
                new.locale,
                new.email_pending,
                &source,
            )?;
            let mail = match (&email, new.email_pending) {
                (Some(e), true) => super::email::issue_confirmation_in(tx, &id, e, None, lang)?,
                _ => None,
            };
            Ok((id, mail))
        })?;
        self.queue_confirmation(mail);
        Ok(id)
    }

    /// Everything held about a subject. A read by anyone but the subject in
    /// person is written to the audit log in the same transaction, so no read
    /// goes unrecorded.
    pub fn subject_data(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &SubjectId,
    ) -> StoreResult<SubjectData> {
        self.subject_data_because(actor, now, id, None, false)
    }

    /// [`Store::subject_data`] for a person who stated why (P23): the reason,
    /// and whether it is an export, go into the audit entry.
    pub fn subject_data_because(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &SubjectId,
        reason: Option<&str>,
        export: bool,
    ) -> StoreResult<SubjectData> {
        let keys = self.keys();
        let id = id.clone();
        if actor.is_the_subject() {
            return self.read(move |conn| load_subject_data(conn, &keys, &id));
        }
        let reason = reason.map(str::to_owned);
        self.write(actor, now, move |tx| {
            let data = load_subject_data(tx, &keys, &id)?;
            record(
                tx,
                Some(&id),
                AuditAction::SubjectRead {
                    reason: reason.as_deref(),
                    export,
                },
            )?;
            Ok(data)
        })
    }

    /// Finds a live subject by external id through its blind index.
    pub fn find_by_external_id(&self, external_id: &str) -> StoreResult<Option<SubjectId>> {
        let bidx = self.keys().blind_index("external_id", external_id.trim());
        self.read(move |conn| {
            let id: Option<String> = conn
                .query_row(
                    "SELECT id FROM subjects WHERE external_id_bidx = ?1",
                    [bidx],
                    |r| r.get(0),
                )
                .optional()?;
            id.map(|i| SubjectId::parse(&i).map_err(corrupt("subject id")))
                .transpose()
        })
    }

    /// Finds live subjects by e-mail through its blind index: the address in
    /// use or one waiting for confirmation (sign-in reads only the former).
    /// Oldest first. Not an address: none.
    pub fn find_by_email(&self, email: &str) -> StoreResult<Vec<SubjectId>> {
        let Some(key) = normalize_email(email) else {
            return Ok(Vec::new());
        };
        let bidx = self.keys().blind_index("email", &key);
        self.read(move |conn| {
            let ids = conn.query_map(
                "SELECT id FROM subjects WHERE email_bidx = ?1 OR email_pending_bidx = ?1 ORDER BY id",
                [bidx],
                |r| r.get::<_, String>(0),
            )?;
            let mut out = Vec::new();
            for id in ids {
                out.push(SubjectId::parse(&id?).map_err(corrupt("subject id"))?);
            }
            Ok(out)
        })
    }

    /// Whether an e-mail address belongs to an erased subject (the hashed suppression list).
    pub fn is_suppressed(&self, email: &str) -> StoreResult<bool> {
        let Some(key) = normalize_email(email) else {
            return Ok(false);
        };
        let bidx = self.keys().blind_index("email", &key);
        self.read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT 1 FROM erasures WHERE email_bidx = ?1",
                    [bidx],
                    |_| Ok(()),
                )
                .optional()?
                .is_some())
        })
    }

    /// Sets the subject's restriction of processing and objections (P14, P17).
    /// `None` leaves a flag as it is. Returns the flags now in force.
    pub fn set_rights(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &SubjectId,
        restricted: Option<bool>,
        objected_marketing: Option<bool>,
        objected_sharing: Option<bool>,
    ) -> StoreResult<(bool, bool, bool)> {
        let id = id.clone();
        self.write(actor, now, move |tx| {
            subject_key(tx, tx.keys, &id)?;
            let (r0, m0, s0): (bool, bool, bool) = tx
                .query_row("SELECT restricted, objected_marketing, objected_sharing FROM subjects WHERE id = ?1", [id.as_str()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            let (r, m, s) = (restricted.unwrap_or(r0), objected_marketing.unwrap_or(m0), objected_sharing.unwrap_or(s0));
            tx.execute("UPDATE subjects SET restricted = ?2, objected_marketing = ?3, objected_sharing = ?4 WHERE id = ?1", params![id.as_str(), r, m, s])?;
            record(tx, Some(&id),
                AuditAction::RightsChanged { restricted: r, objected_marketing: m, objected_sharing: s },
            )?;
            tx.edit(&id, Edit::Flags { restricted: r, objected_marketing: m });
            if r && !r0 {
                self_service(tx, &id, RightKind::Restriction, "restricted processing")?;
            }
            if (m && !m0) || (s && !s0) {
                let what = match (m && !m0, s && !s0) {
                    (true, true) => "objected to direct marketing and to sharing",
                    (true, false) => "objected to direct marketing",
                    _ => "objected to sharing",
                };
                self_service(tx, &id, RightKind::Objection, what)?;
            }
            Ok((r, m, s))
        })
    }

    pub fn set_contact(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &SubjectId,
        prefs: ContactPrefs,
    ) -> StoreResult<ContactPrefs> {
        prefs.validate()?;
        let id = id.clone();
        self.write(actor, now, move |tx| {
            subject_key(tx, tx.keys, &id)?;
            // Channels left for one purpose stay left, unless the subject
            // turns the channel on again from off: a fresh opt-in to it.
            let before = load_contact(tx, &id)?;
            let mut prefs = prefs;
            prefs.unsubscribed = before
                .unsubscribed
                .into_iter()
                .filter(|(c, _)| before.channels.get(c).copied().unwrap_or(false) || !prefs.opted_in(*c))
                .collect();
            let doc = serde_json::to_string(&prefs).map_err(corrupt("contact prefs"))?;
            tx.execute("INSERT INTO contact_prefs (subject_id, prefs, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(subject_id) DO UPDATE SET prefs = excluded.prefs, updated_at = excluded.updated_at", params![id.as_str(), doc, ts(&now)],
            )?;
            record(tx, Some(&id), AuditAction::ContactChanged)?;
            tx.edit(&id, Edit::Contact(prefs.clone()));
            Ok(prefs)
        })
    }

    /// Issues a short-lived subject token; only its hash is stored.
    ///
    /// A token minted by staff remembers its minter: whatever is done with it is
    /// recorded as that staff member acting on the subject's behalf, with `reason`.
    pub fn issue_subject_token(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &SubjectId,
        ttl: Duration,
        reason: Option<&str>,
    ) -> StoreResult<(String, DateTime<Utc>)> {
        let id = id.clone();
        let (minted_by, minted_role) = match actor {
            Actor::Staff { id, role } => (Some(id.clone()), Some(role.as_str())),
            _ => (None, None),
        };
        let reason = reason.map(str::to_owned);
        self.write(actor, now, move |tx| {
            subject_key(tx, tx.keys, &id)?;
            let token = new_secret(SUBJECT_TOKEN_PREFIX);
            let expires = kerro_core::time::after(now, ttl);
            tx.execute("DELETE FROM subject_tokens WHERE expires_at < ?1", [ts(&now)])?;
            tx.execute(
                "INSERT INTO subject_tokens (hash, subject_id, expires_at, created_at, minted_by, minted_role)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![secret_hash(&token), id.as_str(), ts(&expires), ts(&now), minted_by, minted_role],
            )?;
            record(tx, Some(&id), AuditAction::SubjectTokenIssued { reason: reason.as_deref() })?;
            Ok((token, expires))
        })
    }

    /// The subject a token belongs to, and the staff member who minted it if
    /// one did, if the token is known and not expired.
    pub fn subject_for_token(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<SubjectCaller>> {
        let hash = secret_hash(token);
        self.read(move |conn| {
            let row: Option<(String, String, Option<String>, Option<String>)> = conn
                .query_row(
                    "SELECT subject_id, expires_at, minted_by, minted_role FROM subject_tokens WHERE hash = ?1",
                    [hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            match row {
                Some((sid, expires, by, role)) if parse_ts(&expires)? > now => {
                    let subject = SubjectId::parse(&sid).map_err(corrupt("token subject"))?;
                    let minted_by = match (by, role.as_deref().and_then(Role::parse)) {
                        (Some(id), Some(role)) => Some(MintedBy { id, role }),
                        _ => None,
                    };
                    Ok(Some(SubjectCaller { subject, minted_by }))
                }
                _ => Ok(None),
            }
        })
    }

    /// Erases a subject (P13): destroys its data key and deletes its rows. The
    /// consent ledger keeps its pseudonymous events as proof, and a blind index of
    /// the e-mail stays as a suppression entry. The subject's own erasure is
    /// recorded as a rights request already completed.
    pub fn erase(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &SubjectId,
    ) -> StoreResult<ErasureSummary> {
        let id = id.clone();
        let summary = self.write(actor, now, move |tx| {
            let summary = erase_in(tx, &id)?;
            self_service(tx, &id, RightKind::Erasure, "erased their data")?;
            Ok(summary)
        })?;
        self.after_erasure();
        Ok(summary)
    }

    /// Folds the WAL into the main file and truncates it, so an erased
    /// subject's wrapped key's old pages do not linger in the log. Best
    /// effort: the commit stands either way. (PostgreSQL has no such log to
    /// fold: its WAL segments are recycled by the server, and VACUUM reclaims
    /// the dead row versions.)
    pub(crate) fn after_erasure(&self) {
        let _ = self.read(|conn| {
            if let Some(sqlite) = conn.as_sqlite() {
                sqlite.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            }
            Ok(())
        });
    }

    /// How many live (not erased) subjects the store holds.
    pub fn subject_count(&self) -> StoreResult<u64> {
        self.read(|conn| {
            Ok(conn.query_row("SELECT COUNT(*) FROM subjects", (), |r| r.get::<_, i64>(0))? as u64)
        })
    }
}
