//! The row helpers store operations share: a live subject's data key,
//! opening and writing a declaration, contact preferences, the e-mail
//! address and language, deleting a subject's web state, and erasing a
//! subject. Every operation module uses
//! these; none of them uses another operation module for them, so the
//! modules do not import each other in a circle.

use chrono::{DateTime, Utc};
use kerro_core::consent::Method;
use kerro_core::contact::{ContactPrefs, EmailStatus};
use kerro_core::decide::DeclaredValue;
use kerro_core::ids::{AttributeKey, FormKey, SubjectId};
use kerro_core::{CoreError, ErrorCode, Lang};
use serde_json::Value;

use super::audit::{record, AuditAction};
use super::tx::{Edit, Tx};
use super::{corrupt, ts};
use crate::crypto::{DataKey, Keyring};
use crate::error::StoreResult;
use crate::model::ErasureSummary;
use crate::sql::{params, Conn, OptionalExtension};

/// Loads and unwraps a live subject's data key; erased subjects are `gone`, unknown ones `not_found`.
pub(crate) fn subject_key(conn: &Conn, keys: &Keyring, id: &SubjectId) -> StoreResult<DataKey> {
    let wrapped: Option<Vec<u8>> = conn
        .query_row(SUBJECT_KEY_SQL, [id.as_str()], |r| r.get(0))
        .optional()?;
    subject_key_from(conn, keys, id, wrapped)
}

/// The query `subject_key` reads the wrapped key with (`?1`: the subject).
pub(crate) const SUBJECT_KEY_SQL: &str =
    "SELECT wrapped_key FROM kerro_keys.subject_keys WHERE subject_id = ?1";

/// The subject's data key from the wrapped key `SUBJECT_KEY_SQL` read, or
/// why there is none (erased: gone; else not found).
pub(crate) fn subject_key_from(
    conn: &Conn,
    keys: &Keyring,
    id: &SubjectId,
    wrapped: Option<Vec<u8>>,
) -> StoreResult<DataKey> {
    match wrapped {
        Some(w) => keys.unwrap_data_key(id.as_str(), &w),
        None => {
            let erased = conn
                .query_row(
                    "SELECT 1 FROM erasures WHERE subject_id = ?1",
                    [id.as_str()],
                    |_| Ok(()),
                )
                .optional()?;
            Err(match erased {
                Some(()) => {
                    CoreError::at(ErrorCode::Gone, "subject", "this subject was erased").into()
                }
                None => CoreError::not_found("subject", "no such subject").into(),
            })
        }
    }
}

/// Reads and decrypts the first three columns of a declarations row
/// (`attribute`, `value_enc`, `form`).
pub(crate) fn open_declaration(
    dk: &DataKey,
    sid: &str,
    r: &crate::sql::Row,
) -> StoreResult<(AttributeKey, serde_json::Value, Option<FormKey>)> {
    let attribute: String = r.get(0)?;
    let sealed: Vec<u8> = r.get(1)?;
    let plain = dk.open(sid, &declaration_field(&attribute), &sealed)?;
    let form: Option<String> = r.get(2)?;
    Ok((
        AttributeKey::parse("attribute", &attribute).map_err(corrupt("declaration attribute"))?,
        serde_json::from_slice(&plain).map_err(corrupt("declaration value"))?,
        form.map(|f| FormKey::parse("form", &f))
            .transpose()
            .map_err(corrupt("declaration form"))?,
    ))
}

/// The associated-data field name a declaration value is sealed under.
pub(crate) fn declaration_field(attribute: &str) -> String {
    format!("declaration/{attribute}")
}

/// A live subject's e-mail address, decrypted; `None` if it has none or was erased meanwhile.
pub(crate) fn email_of(conn: &Conn, keys: &Keyring, id: &SubjectId) -> StoreResult<Option<String>> {
    let Ok(dk) = subject_key(conn, keys, id) else {
        return Ok(None);
    };
    let sealed: Option<Vec<u8>> = conn.query_row(
        "SELECT email_enc FROM subjects WHERE id = ?1",
        [id.as_str()],
        |r| r.get(0),
    )?;
    sealed
        .map(|c| dk.open_string(id.as_str(), "email", &c))
        .transpose()
}

pub(crate) fn load_contact(conn: &Conn, id: &SubjectId) -> StoreResult<ContactPrefs> {
    let raw: Option<String> = conn
        .query_row(
            "SELECT prefs FROM contact_prefs WHERE subject_id = ?1",
            [id.as_str()],
            |r| r.get(0),
        )
        .optional()?;
    match raw {
        Some(s) => serde_json::from_str(&s).map_err(corrupt("contact prefs")),
        None => Ok(ContactPrefs::default()),
    }
}

/// The language a subject asked to be addressed in, else the locale it was
/// created with; `None` for no such subject or neither.
pub(crate) fn subject_lang(conn: &Conn, id: &SubjectId) -> StoreResult<Option<Lang>> {
    let row: Option<(Option<String>, Option<String>)> = conn
        .query_row(
            "SELECT s.locale, c.prefs FROM subjects s
             LEFT JOIN contact_prefs c ON c.subject_id = s.id WHERE s.id = ?1",
            [id.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((locale, prefs)) = row else {
        return Ok(None);
    };
    let preferred = prefs
        .and_then(|p| serde_json::from_str::<ContactPrefs>(&p).ok())
        .and_then(|p| p.language);
    Ok(preferred.or_else(|| locale.as_deref().and_then(Lang::parse)))
}

/// Writes one declared value, superseding the current one; the subject's
/// profile follows after COMMIT.
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_declaration(
    tx: &Tx,
    dk: &DataKey,
    subject: &SubjectId,
    attribute: &AttributeKey,
    value: &Value,
    notice: Option<(&FormKey, u32)>,
    method: Method,
    now: &DateTime<Utc>,
) -> StoreResult<()> {
    let sid = subject.as_str();
    let sealed = dk.seal(
        sid,
        &declaration_field(attribute.as_str()),
        value.to_string().as_bytes(),
    )?;
    tx.defer(
        "UPDATE declarations SET superseded_at = ?3
         WHERE subject_id = ?1 AND attribute = ?2 AND superseded_at IS NULL",
        params![sid, attribute.as_str(), ts(now)],
    )?;
    tx.defer(
        "INSERT INTO declarations (subject_id, attribute, value_enc, form, notice_version, method, given_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            sid,
            attribute.as_str(),
            sealed,
            notice.map(|n| n.0.as_str()),
            notice.map(|n| n.1),
            method.as_str(),
            ts(now)
        ],
    )?;
    tx.edit(
        subject,
        Edit::Declared(
            attribute.clone(),
            DeclaredValue {
                value: value.clone(),
                form: notice.map(|n| n.0.clone()),
                given_at: *now,
            },
        ),
    );
    Ok(())
}

/// Deletes every value, current and past, of one attribute of a subject.
pub(crate) fn delete_declaration(
    tx: &Tx,
    subject: &SubjectId,
    attribute: &AttributeKey,
) -> StoreResult<()> {
    tx.execute(
        "DELETE FROM declarations WHERE subject_id = ?1 AND attribute = ?2",
        params![subject.as_str(), attribute.as_str()],
    )?;
    tx.edit(subject, Edit::Undeclared(attribute.clone()));
    Ok(())
}

/// The blind index of a canonical e-mail address (the same for the address in
/// use and one waiting for confirmation).
pub(crate) fn email_bidx(keys: &Keyring, canonical: &str) -> String {
    keys.blind_index("email", &kerro_core::email::lookup_key(canonical))
}

/// Deletes a subject's sign-in links, e-mail confirmation links and sessions;
/// called from the erasure, in its transaction.
pub(crate) fn erase_web(conn: &Conn, subject: &SubjectId) -> StoreResult<u64> {
    let sid = subject.as_str();
    conn.execute(
        "DELETE FROM email_confirmations WHERE subject_id = ?1",
        [sid],
    )?;
    let links = conn.execute("DELETE FROM web_login_links WHERE subject_id = ?1", [sid])?;
    let sessions = conn.execute("DELETE FROM web_sessions WHERE subject_id = ?1", [sid])?;
    Ok((links + sessions) as u64)
}

/// A new subject's identifiers, already checked and in their canonical form.
pub(crate) struct NewSubjectRow<'a> {
    pub(crate) external_id: Option<&'a str>,
    pub(crate) email: Option<&'a str>,
    /// Where the address came from (`form:<key>`, a staff actor, `import`), and
    /// whether it waits for its owner's confirmation (double opt-in) or is in
    /// use at once (the company's own records).
    pub(crate) email_source: &'a str,
    pub(crate) email_pending: bool,
    pub(crate) organization: Option<&'a str>,
    pub(crate) locale: Option<Lang>,
    pub(crate) created_at: DateTime<Utc>,
}

/// Inserts a subject with a new data key, its identifiers sealed and blind-indexed.
pub(crate) fn insert_subject(
    tx: &Tx,
    new: &NewSubjectRow<'_>,
) -> StoreResult<(SubjectId, DataKey)> {
    let keys = tx.keys;
    let id = SubjectId::from_suffix(&super::new_ulid());
    let sid = id.as_str();
    let (dk, wrapped) = keys.new_data_key(sid)?;
    let seal =
        |field: &str, v: Option<&str>| v.map(|s| dk.seal(sid, field, s.as_bytes())).transpose();
    let bidx = new.email.map(|e| email_bidx(keys, e));
    let (in_use, pending) = match new.email_pending {
        false => (new.email, None),
        true => (None, new.email),
    };
    let created = ts(&new.created_at);
    let source = new.email.map(|_| new.email_source);
    tx.execute(
        "INSERT INTO subjects (id, external_id_bidx, email_bidx, external_id_enc, email_enc,
                               organization_enc, locale, created_at, email_source, email_verified_at,
                               email_pending_enc, email_pending_bidx, email_pending_source, email_pending_since)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        params![
            sid,
            new.external_id.map(|e| keys.blind_index("external_id", e)),
            in_use.and(bidx.as_deref()),
            seal("external_id", new.external_id)?,
            seal("email", in_use)?,
            seal("organization", new.organization)?,
            new.locale.map(Lang::as_str),
            &created,
            in_use.and(source),
            in_use.map(|_| created.as_str()),
            seal(EMAIL_PENDING_FIELD, pending)?,
            pending.and(bidx.as_deref()),
            pending.and(source),
            pending.map(|_| created.as_str()),
        ],
    )?;
    // The key goes to the key store (P13), in the same transaction.
    tx.execute(
        "INSERT INTO kerro_keys.subject_keys (subject_id, wrapped_key, created_at) VALUES (?1, ?2, ?3)",
        params![sid, wrapped, &created],
    )?;
    tx.created(&id, new.locale);
    if new.email.is_some() {
        let status = match new.email_pending {
            false => EmailStatus::Verified,
            true => EmailStatus::Pending,
        };
        tx.edit(&id, Edit::Email(status));
    }
    Ok((id, dk))
}

/// The associated-data field an address waiting for confirmation is sealed under.
pub(crate) const EMAIL_PENDING_FIELD: &str = "email_pending";

/// Erases a subject inside a write transaction (see `Store::erase`): its key
/// in the key store first, so no backup of the database can be read for it (P13).
pub(crate) fn erase_in(tx: &Tx, id: &SubjectId) -> StoreResult<ErasureSummary> {
    subject_key(tx, tx.keys, id)?;
    tx.execute(
        "DELETE FROM kerro_keys.subject_keys WHERE subject_id = ?1",
        [id.as_str()],
    )?;
    erase_rows(tx, id)
}

/// Deletes what the database holds of a subject, keeping the ledger and the
/// erasure's proof; also for a subject whose key is gone (a restored backup).
pub(crate) fn erase_rows(tx: &Tx, id: &SubjectId) -> StoreResult<ErasureSummary> {
    let sid = id.as_str();
    let email_bidx: Option<String> = tx.query_row(
        "SELECT email_bidx FROM subjects WHERE id = ?1",
        [sid],
        |r| r.get(0),
    )?;
    let declarations = tx.execute("DELETE FROM declarations WHERE subject_id = ?1", [sid])? as u64;
    let tokens = tx.execute("DELETE FROM subject_tokens WHERE subject_id = ?1", [sid])? as u64;
    tx.execute("DELETE FROM contact_prefs WHERE subject_id = ?1", [sid])?;
    erase_web(tx, id)?;
    tx.execute("DELETE FROM subjects WHERE id = ?1", [sid])?;
    tx.execute(
        "INSERT INTO erasures (subject_id, erased_at, email_bidx) VALUES (?1, ?2, ?3)",
        params![sid, ts(&tx.now), email_bidx],
    )?;
    // Rights requests stay as proof of what was done; their free-text notes go.
    tx.execute(
        "UPDATE rights_requests SET note = NULL WHERE subject_id = ?1",
        [sid],
    )?;
    let kept: i64 = tx.query_row(
        "SELECT COUNT(*) FROM consent_events WHERE subject_id = ?1",
        [sid],
        |r| r.get(0),
    )?;
    record(tx, Some(id), AuditAction::SubjectErased)?;
    tx.erased(id);
    Ok(ErasureSummary {
        subject: id.clone(),
        erased_at: tx.now,
        declarations_deleted: declarations,
        tokens_revoked: tokens,
        consent_events_kept: kept as u64,
    })
}

/// Records the subject's objection to sharing (P17) unless it is recorded
/// already; `signal` says how it was made (`gpc`). Returns whether it changed.
pub(crate) fn object_to_sharing_in(
    tx: &Tx,
    id: &SubjectId,
    signal: &'static str,
) -> StoreResult<bool> {
    let changed = tx.execute(
        "UPDATE subjects SET objected_sharing = 1 WHERE id = ?1 AND objected_sharing = 0",
        [id.as_str()],
    )?;
    if changed > 0 {
        record(tx, Some(id), AuditAction::SharingObjected { signal })?;
    }
    Ok(changed > 0)
}
