//! Double opt-in of e-mail addresses, as storage sees it: an address waiting
//! for its owner's confirmation (held beside the address in use, sealed and
//! blind-indexed like it), the single-use confirmation links (stored as
//! SHA-256 hashes, at most one new link per address per
//! [`RESEND_MINUTES`]), confirming (the address becomes the one in use, with
//! the evidence in the consent ledger) and the queue of confirmation mail
//! the binary drains. Composing and sending the mail is `kerro::web`'s job.
//!
//! Nothing here sends anything to an unconfirmed address but its link: the
//! sign-in look-ups read only `email_bidx`, the address in use.

use chrono::{DateTime, Duration, Utc};
use kerro_core::consent::{
    ConsentEvent, ConsentState, Method, NoticeOf, NoticeRef, EMAIL_CONFIRMATION_PURPOSE, GENESIS,
};
use kerro_core::contact::EmailStatus;
use kerro_core::ids::{FormKey, PurposeKey, RecordId, SubjectId};
use kerro_core::{Actor, Lang};
use parking_lot::Mutex;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;

use super::audit::{record, record_as, AuditAction};
use super::shared::{email_bidx, subject_key, subject_lang, EMAIL_PENDING_FIELD};
use super::tx::{Edit, Tx};
use super::{corrupt, new_ulid, parse_ts, ts, Store};
use crate::crypto::{new_secret, secret_hash, SECRET_CHARS};
use crate::error::StoreResult;
use crate::sql::{params, Conn, OptionalExtension};

/// Confirmation links start with this.
pub const CONFIRM_LINK_PREFIX: &str = "kec_";
/// A confirmation link works this long.
pub const CONFIRM_LINK_DAYS: i64 = 7;
/// At most one new link per address in this many minutes, whoever asks.
pub const RESEND_MINUTES: i64 = 10;
/// Confirmation mail waiting for the mail thread at most; more is dropped (and logged).
const QUEUE_CAPACITY: usize = 1024;

/// A confirmation link to mail: the pending address, the link's secret, the language.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfirmationMail {
    pub to: String,
    pub secret: String,
    pub lang: Lang,
}

/// What following a confirmation link did.
#[derive(Debug, Clone, PartialEq)]
pub enum Confirmed {
    /// The address is now the subject's address in use; the ledger holds the evidence.
    Done {
        subject: SubjectId,
        lang: Lang,
        record_id: RecordId,
    },
    /// Unknown, used, expired, superseded or of an erased subject: nothing changed.
    Invalid,
}

/// The subject's address as the pages and the API show it to its owner.
#[derive(Debug, Clone, PartialEq)]
pub struct EmailState {
    pub status: EmailStatus,
    pub email: Option<String>,
    pub pending: Option<String>,
}

/// Confirmation mail from the store to whichever thread drains it.
pub(crate) struct MailQueue {
    tx: SyncSender<ConfirmationMail>,
    rx: Arc<Mutex<Receiver<ConfirmationMail>>>,
}

impl Default for MailQueue {
    fn default() -> MailQueue {
        let (tx, rx) = sync_channel(QUEUE_CAPACITY);
        MailQueue {
            tx,
            rx: Arc::new(Mutex::new(rx)),
        }
    }
}

/// Whether `secret` has the exact shape of a confirmation link: the prefix and
/// 43 characters of unpadded base64url. Anything else is refused unread.
pub fn is_confirm_secret(secret: &str) -> bool {
    secret.strip_prefix(CONFIRM_LINK_PREFIX).is_some_and(|b| {
        b.len() == SECRET_CHARS
            && b.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    })
}

/// The language a subject is addressed in (contact preferences, else locale).
fn lang_of(conn: &Conn, id: &SubjectId, default: Lang) -> StoreResult<Lang> {
    Ok(subject_lang(conn, id)?.unwrap_or(default))
}

/// Issues a confirmation link for the subject's pending address `email`
/// (canonical), replacing the subject's older links, unless a link for the
/// same address was issued in the last [`RESEND_MINUTES`] (to anyone): then
/// `None`, and nothing is mailed. `notice` is the form notice the address
/// was given under. Audited.
pub(crate) fn issue_confirmation_in(
    tx: &Tx,
    id: &SubjectId,
    email: &str,
    notice: Option<(&FormKey, u32)>,
    lang: Lang,
) -> StoreResult<Option<ConfirmationMail>> {
    let now = tx.now;
    let bidx = email_bidx(tx.keys, email);
    tx.execute(
        "DELETE FROM email_confirmations WHERE expires_at < ?1",
        [ts(&now)],
    )?;
    let recent = tx
        .query_row(
            "SELECT 1 FROM email_confirmations WHERE email_bidx = ?1 AND created_at > ?2 LIMIT 1",
            params![&bidx, ts(&(now - Duration::minutes(RESEND_MINUTES)))],
            |_| Ok(()),
        )
        .optional()?;
    if recent.is_some() {
        return Ok(None);
    }
    tx.execute(
        "DELETE FROM email_confirmations WHERE subject_id = ?1",
        [id.as_str()],
    )?;
    let secret = new_secret(CONFIRM_LINK_PREFIX);
    let expires = kerro_core::time::after(now, Duration::days(CONFIRM_LINK_DAYS));
    tx.execute(
        "INSERT INTO email_confirmations (hash, subject_id, email_bidx, form, notice_version, expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            secret_hash(&secret),
            id.as_str(),
            bidx,
            notice.map(|n| n.0.as_str()),
            notice.map(|n| n.1),
            ts(&expires),
            ts(&now)
        ],
    )?;
    record(tx, Some(id), AuditAction::EmailConfirmationIssued)?;
    Ok(Some(ConfirmationMail {
        to: email.to_owned(),
        secret,
        lang,
    }))
}

/// Holds `email` (canonical) as the subject's address waiting for
/// confirmation, replacing an earlier pending one; the address in use, if
/// any, stays in use. Returns the status the profile now has.
pub(crate) fn set_pending_in(
    tx: &Tx,
    id: &SubjectId,
    email: &str,
    source: &str,
) -> StoreResult<EmailStatus> {
    let dk = subject_key(tx, tx.keys, id)?;
    let sealed = dk.seal(id.as_str(), EMAIL_PENDING_FIELD, email.as_bytes())?;
    tx.execute(
        "UPDATE subjects SET email_pending_enc = ?2, email_pending_bidx = ?3,
                email_pending_source = ?4, email_pending_since = ?5 WHERE id = ?1",
        params![
            id.as_str(),
            sealed,
            email_bidx(tx.keys, email),
            source,
            ts(&tx.now)
        ],
    )?;
    let in_use: bool = tx.query_row(
        "SELECT email_enc IS NOT NULL FROM subjects WHERE id = ?1",
        [id.as_str()],
        |r| r.get(0),
    )?;
    let status = if in_use {
        EmailStatus::Verified
    } else {
        EmailStatus::Pending
    };
    record(
        tx,
        Some(id),
        AuditAction::EmailChanged {
            state: "pending",
            source,
        },
    )?;
    tx.edit(id, Edit::Email(status));
    Ok(status)
}

/// The address in use and the one waiting for confirmation, decrypted.
pub(crate) fn email_state(
    conn: &Conn,
    dk: &crate::crypto::DataKey,
    id: &SubjectId,
) -> StoreResult<EmailState> {
    let (in_use, pending): (Option<Vec<u8>>, Option<Vec<u8>>) = conn.query_row(
        "SELECT email_enc, email_pending_enc FROM subjects WHERE id = ?1",
        [id.as_str()],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let sid = id.as_str();
    let email = in_use
        .map(|c| dk.open_string(sid, "email", &c))
        .transpose()?;
    let pending = pending
        .map(|c| dk.open_string(sid, EMAIL_PENDING_FIELD, &c))
        .transpose()?;
    let status = match (&email, &pending) {
        (Some(_), _) => EmailStatus::Verified,
        (None, Some(_)) => EmailStatus::Pending,
        (None, None) => EmailStatus::None,
    };
    Ok(EmailState {
        status,
        email,
        pending,
    })
}

/// The subject's e-mail confirmations in the ledger, oldest first.
pub(crate) fn confirmations_for(
    conn: &Conn,
    id: &SubjectId,
) -> StoreResult<Vec<crate::model::StoredEvent>> {
    use super::ledger::{event_from_row, EVENT_COLUMNS};
    conn.query_map(
        &format!(
            "SELECT {EVENT_COLUMNS} FROM consent_events
             WHERE subject_id = ?1 AND method = 'email_confirmation' ORDER BY seq"
        ),
        [id.as_str()],
        event_from_row,
    )?
    .collect()
}

/// A live confirmation link's row: subject, address, notice, expiry.
struct LinkRow {
    subject: SubjectId,
    bidx: String,
    form: Option<String>,
    version: Option<u32>,
}

/// The live link with hash `h`, if it is not expired and still names the
/// subject's pending address.
fn live_link(conn: &Conn, h: &str, now: DateTime<Utc>) -> StoreResult<Option<LinkRow>> {
    type Row = (String, String, Option<String>, Option<u32>, String);
    let row: Option<Row> = conn
        .query_row(
            "SELECT c.subject_id, c.email_bidx, c.form, c.notice_version, c.expires_at
             FROM email_confirmations c JOIN subjects s ON s.id = c.subject_id
             WHERE c.hash = ?1 AND s.email_pending_bidx = c.email_bidx",
            [h],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let Some((sid, bidx, form, version, expires)) = row else {
        return Ok(None);
    };
    if parse_ts(&expires)? <= now {
        return Ok(None);
    }
    Ok(Some(LinkRow {
        subject: SubjectId::parse(&sid).map_err(corrupt("confirmation subject"))?,
        bidx,
        form,
        version,
    }))
}

impl Store {
    /// Confirmation links issued since, for the thread that mails them. Every
    /// caller gets the same queue; each message goes to one of them.
    pub fn confirmation_mail(&self) -> Arc<Mutex<Receiver<ConfirmationMail>>> {
        self.inner.confirm_mail.rx.clone()
    }

    /// Hands issued links to the mail thread (never blocks: a full queue drops the message).
    pub(crate) fn queue_confirmation(&self, mail: Option<ConfirmationMail>) {
        let Some(mail) = mail else { return };
        match self.inner.confirm_mail.tx.try_send(mail) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => tracing::warn!("the confirmation mail queue is full"),
            Err(TrySendError::Disconnected(_)) => {}
        }
    }

    /// The subject's address in use and the one waiting for confirmation (the subject's own view).
    pub fn email_state(&self, id: &SubjectId) -> StoreResult<EmailState> {
        let (keys, id) = (self.keys(), id.clone());
        self.read(move |conn| {
            let dk = subject_key(conn, &keys, &id)?;
            email_state(conn, &dk, &id)
        })
    }

    /// The subject changes its own address: the new one waits for
    /// confirmation (a link is mailed to it), the old one stays in use until
    /// then. The same address as the one in use changes nothing.
    pub fn change_email(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &SubjectId,
        email: &str,
    ) -> StoreResult<EmailState> {
        let email = kerro_core::email::canonical("email", email)?;
        let (id, default) = (id.clone(), self.default_lang());
        // The subject's own change, or staff acting on its behalf with a token they minted.
        let source = match actor {
            Actor::Subject(_) => "subject".to_owned(),
            other => other.label(),
        };
        let (state, mail) = self.write(actor, now, move |tx| {
            let dk = subject_key(tx, tx.keys, &id)?;
            let before = email_state(tx, &dk, &id)?;
            let same = |e: &Option<String>| {
                e.as_deref().map(kerro_core::email::lookup_key)
                    == Some(kerro_core::email::lookup_key(&email))
            };
            if same(&before.email) {
                // Back to the address in use: a pending change is dropped.
                if before.pending.is_some() {
                    tx.execute(
                        "UPDATE subjects SET email_pending_enc = NULL, email_pending_bidx = NULL,
                                email_pending_source = NULL, email_pending_since = NULL WHERE id = ?1",
                        [id.as_str()],
                    )?;
                    tx.execute(
                        "DELETE FROM email_confirmations WHERE subject_id = ?1",
                        [id.as_str()],
                    )?;
                    record(
                        tx,
                        Some(&id),
                        AuditAction::EmailChanged {
                            state: "verified",
                            source: &source,
                        },
                    )?;
                }
                return Ok((email_state(tx, &dk, &id)?, None));
            }
            set_pending_in(tx, &id, &email, &source)?;
            let lang = lang_of(tx, &id, default)?;
            let mail = issue_confirmation_in(tx, &id, &email, None, lang)?;
            Ok((email_state(tx, &dk, &id)?, mail))
        })?;
        self.queue_confirmation(mail);
        Ok(state)
    }

    /// The language of a live confirmation link's subject, for the page that
    /// asks to confirm; `None` for anything else. Reads only.
    pub fn confirmation_lang(&self, now: DateTime<Utc>, secret: &str) -> StoreResult<Option<Lang>> {
        if !is_confirm_secret(secret) {
            return Ok(None);
        }
        let (h, default) = (secret_hash(secret), self.default_lang());
        self.read(move |conn| match live_link(conn, &h, now)? {
            Some(link) => Ok(Some(lang_of(conn, &link.subject, default)?)),
            None => Ok(None),
        })
    }

    /// Follows a confirmation link, in one write: the pending address
    /// becomes the address in use (its blind index with it, so sign-in finds
    /// it), the link is used up with the subject's other links, and the
    /// consent ledger gets an event with the evidence (time, the notice the
    /// address was given under, the link's hash); audited as the subject.
    pub fn confirm_email(&self, now: DateTime<Utc>, secret: &str) -> StoreResult<Confirmed> {
        if !is_confirm_secret(secret) {
            return Ok(Confirmed::Invalid);
        }
        let (h, default) = (secret_hash(secret), self.default_lang());
        self.write(&Actor::System("email-confirmation".into()), now, move |tx| {
            let Some(link) = live_link(tx, &h, now)? else {
                return Ok(Confirmed::Invalid);
            };
            let id = link.subject;
            let dk = match subject_key(tx, tx.keys, &id) {
                Ok(dk) => dk,
                Err(_) => return Ok(Confirmed::Invalid),
            };
            let sid = id.as_str();
            let (pending, source): (Option<Vec<u8>>, Option<String>) = tx.query_row(
                "SELECT email_pending_enc, email_pending_source FROM subjects WHERE id = ?1",
                [sid],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let Some(pending) = pending else {
                return Ok(Confirmed::Invalid);
            };
            let email = dk.open_string(sid, EMAIL_PENDING_FIELD, &pending)?;
            tx.execute(
                "UPDATE subjects SET email_enc = ?2, email_bidx = ?3, email_source = ?4, email_verified_at = ?5,
                        email_pending_enc = NULL, email_pending_bidx = NULL,
                        email_pending_source = NULL, email_pending_since = NULL WHERE id = ?1",
                params![
                    sid,
                    dk.seal(sid, "email", email.as_bytes())?,
                    link.bidx,
                    source,
                    ts(&now)
                ],
            )?;
            tx.execute("DELETE FROM email_confirmations WHERE subject_id = ?1", [sid])?;
            let lang = lang_of(tx, &id, default)?;
            let notice = match (&link.form, link.version) {
                (Some(form), Some(version)) => {
                    let sha256: Option<String> = tx
                        .query_row(
                            "SELECT sha256 FROM notice_versions WHERE form = ?1 AND version = ?2",
                            params![form, version],
                            |r| r.get(0),
                        )
                        .optional()?;
                    Some(NoticeRef {
                        of: NoticeOf::Form(
                            FormKey::parse("form", form).map_err(corrupt("confirmation form"))?,
                        ),
                        version,
                        sha256: sha256.unwrap_or_default(),
                    })
                }
                _ => None,
            };
            let subject = Actor::Subject(id.clone());
            let event = ConsentEvent {
                record_id: RecordId::from_suffix(&new_ulid()),
                subject: id.clone(),
                purpose: PurposeKey::parse("purpose", EMAIL_CONFIRMATION_PURPOSE)
                    .map_err(corrupt("confirmation purpose"))?,
                state: ConsentState::Given,
                notice,
                language: lang,
                event_time: now,
                actor: subject.label(),
                method: Method::EmailConfirmation,
                prev_hash: tx.chain_head("consent_events", GENESIS)?,
                channel: None,
                evidence: Some(format!("link_sha256:{h}")),
                recipient: None,
            };
            super::ledger::insert_event(tx, &event)?;
            record_as(
                tx,
                &now,
                &subject,
                Some(&id),
                AuditAction::EmailConfirmed {
                    record_id: event.record_id.as_str(),
                },
            )?;
            tx.edit(&id, Edit::Email(EmailStatus::Verified));
            Ok(Confirmed::Done {
                subject: id.clone(),
                lang,
                record_id: event.record_id,
            })
        })
    }
}
