//! Signing in to the web pages, as storage sees it: single-use sign-in links
//! (one open link per address, replaced by a new one), browser sessions of
//! subjects and staff, the used tokens of anonymous forms, and the keyed MAC
//! the pages sign CSRF and form tokens with.
//!
//! Secrets are stored only as SHA-256 (or keyed) hashes. Rendering, cookies and
//! CSRF live in `kerro::web`; this module only keeps state and writes the audit log.

use crate::sql::{params, Conn, OptionalExtension};
use chrono::{DateTime, Duration, Utc};
use kerro_core::ids::SubjectId;
use kerro_core::Actor;

use super::audit::{record, record_as, AuditAction};
use super::shared::subject_key;
use super::tx::Tx;
use super::{corrupt, parse_ts, ts, Store};
use crate::crypto::{new_secret, secret_hash, SECRET_CHARS};
use crate::error::StoreResult;

/// Sign-in links sent by e-mail start with this; subject tokens (`ksu_`) are accepted too.
pub const LOGIN_LINK_PREFIX: &str = "kml_";
/// Browser session ids start with this.
pub const SESSION_PREFIX: &str = "kws_";

/// A live browser session of a subject (staff sessions are `staff_sessions`).
#[derive(Debug, Clone, PartialEq)]
pub enum WebSession {
    Subject(SubjectId),
}

/// A sign-in link issued for an address: whom it signs in, its secret, and the
/// stored address to send it to.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginLink {
    pub subject: SubjectId,
    pub secret: String,
    pub email: String,
}

/// Replaces the subject's open sign-in links with a new one and audits it.
fn insert_login_link(tx: &Tx, id: &SubjectId, ttl: Duration) -> StoreResult<String> {
    let now = tx.now;
    tx.execute(
        "DELETE FROM web_login_links WHERE subject_id = ?1 OR expires_at < ?2",
        params![id.as_str(), ts(&now)],
    )?;
    let secret = new_secret(LOGIN_LINK_PREFIX);
    let expires = now.checked_add_signed(ttl).unwrap_or(now);
    tx.execute(
        "INSERT INTO web_login_links (hash, subject_id, expires_at, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![secret_hash(&secret), id.as_str(), ts(&expires), ts(&now)],
    )?;
    record(tx, Some(id), AuditAction::SignInLinkIssued)?;
    Ok(secret)
}

/// Whether `secret` has the exact shape of a sign-in link (`kml_`) or a subject token
/// (`ksu_`): the prefix and 43 characters of unpadded base64url (32 random bytes).
/// Anything else is refused before it is looked up or shown on a page.
pub fn is_sign_in_secret(secret: &str) -> bool {
    let body = secret
        .strip_prefix(LOGIN_LINK_PREFIX)
        .or_else(|| secret.strip_prefix(crate::SUBJECT_TOKEN_PREFIX));
    body.is_some_and(|b| {
        b.len() == SECRET_CHARS
            && b.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    })
}

fn new_session(
    conn: &Conn,
    now: DateTime<Utc>,
    ttl: Duration,
    subject: Option<&SubjectId>,
) -> StoreResult<String> {
    let secret = new_secret(SESSION_PREFIX);
    conn.execute("DELETE FROM web_sessions WHERE expires_at < ?1", [ts(&now)])?;
    conn.execute(
        "INSERT INTO web_sessions (hash, subject_id, expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4)",
        params![
            secret_hash(&secret),
            subject.map(SubjectId::as_str),
            ts(&(now + ttl)),
            ts(&now)
        ],
    )?;
    Ok(secret)
}

/// Uses up an anonymous form's token in `tx`: `true` the first time.
pub(crate) fn use_form_token_in(
    tx: &Tx,
    hash: &str,
    expires_at: DateTime<Utc>,
) -> StoreResult<bool> {
    tx.execute(
        "DELETE FROM web_form_tokens WHERE expires_at < ?1",
        [ts(&tx.now)],
    )?;
    let fresh = tx.execute(
        "INSERT INTO web_form_tokens (hash, expires_at) VALUES (?1, ?2)
         ON CONFLICT (hash) DO NOTHING",
        params![hash, ts(&expires_at)],
    )?;
    Ok(fresh == 1)
}

/// Starts a session in `tx` for a subject that has just answered a form, audited as the subject's sign-in.
pub(crate) fn start_session_in(tx: &Tx, id: &SubjectId, ttl: Duration) -> StoreResult<String> {
    subject_key(tx, tx.keys, id)?;
    let session = new_session(tx, tx.now, ttl, Some(id))?;
    record_as(
        tx,
        &tx.now,
        &Actor::Subject(id.clone()),
        Some(id),
        AuditAction::SignedIn { method: "form" },
    )?;
    Ok(session)
}

impl Store {
    /// A keyed hash (HMAC under a key derived from the master key), stable across restarts:
    /// the web pages sign CSRF tokens with it.
    pub fn web_mac(&self, purpose: &str, value: &str) -> String {
        self.keys().blind_index(&format!("web:{purpose}"), value)
    }

    /// Issues a single-use sign-in link secret for a subject, valid for `ttl`. It
    /// replaces the subject's open links, so asking again never locks anyone out.
    pub fn issue_login_link(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &SubjectId,
        ttl: Duration,
    ) -> StoreResult<String> {
        let id = id.clone();
        self.write(actor, now, move |tx| {
            subject_key(tx, tx.keys, &id)?;
            insert_login_link(tx, &id, ttl)
        })
    }

    /// A sign-in link for the address `email`: one link, for the oldest live subject
    /// holding it (a profile someone else created later with the same address cannot
    /// take the owner's place), replacing every open link of that address. Returns the
    /// subject, the secret and the address as stored (mail goes there, never to what
    /// was typed). `None`: no live subject has the address, or it is not an address.
    pub fn issue_login_link_for_email(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        email: &str,
        ttl: Duration,
    ) -> StoreResult<Option<LoginLink>> {
        let Some(key) = crate::crypto::normalize_email(email) else {
            return Ok(None);
        };
        let bidx = self.keys().blind_index("email", &key);
        self.write(actor, now, move |tx| {
            let first: Option<String> = tx
                .query_row(
                    "SELECT id FROM subjects WHERE email_bidx = ?1 ORDER BY id LIMIT 1",
                    [&bidx],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(sid) = first else {
                return Ok(None);
            };
            let id = SubjectId::parse(&sid).map_err(corrupt("subject id"))?;
            let Some(email) = super::shared::email_of(tx, tx.keys, &id)? else {
                return Ok(None);
            };
            tx.execute(
                "DELETE FROM web_login_links WHERE subject_id IN
                   (SELECT id FROM subjects WHERE email_bidx = ?1)",
                [&bidx],
            )?;
            let secret = insert_login_link(tx, &id, ttl)?;
            Ok(Some(LoginLink {
                subject: id,
                secret,
                email,
            }))
        })
    }

    /// Uses up an anonymous form's token (by its hash): `true` the first time, `false`
    /// if it was used before. It is remembered until `expires_at`, after which the
    /// token itself is refused as stale.
    pub fn use_form_token(
        &self,
        now: DateTime<Utc>,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let h = token_hash.to_owned();
        self.write(&Actor::System("web-form".into()), now, move |tx| {
            use_form_token_in(tx, &h, expires_at)
        })
    }

    /// Consumes a sign-in link (`kml_...`) or a subject token (`ksu_...`) and starts a
    /// session, in one write: a link works once. `None` if it is unknown, used or expired.
    pub fn sign_in_with_link(
        &self,
        now: DateTime<Utc>,
        secret: &str,
        session_ttl: Duration,
    ) -> StoreResult<Option<(SubjectId, String)>> {
        if !is_sign_in_secret(secret) {
            return Ok(None);
        }
        // A subject token minted by staff acts on the subject's behalf through the
        // API only: it never becomes the subject's own browser session.
        let (table, only) = if secret.starts_with(LOGIN_LINK_PREFIX) {
            ("web_login_links", "")
        } else if secret.starts_with(crate::SUBJECT_TOKEN_PREFIX) {
            ("subject_tokens", " AND minted_by IS NULL")
        } else {
            return Ok(None);
        };
        let h = secret_hash(secret);
        self.write(&Actor::System("sign-in".into()), now, move |tx| {
            let row: Option<(String, String)> = tx
                .query_row(
                    &format!(
                        "DELETE FROM {table} WHERE hash = ?1{only} RETURNING subject_id, expires_at"
                    ),
                    [&h],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((sid, expires)) = row else {
                return Ok(None);
            };
            if parse_ts(&expires)? <= now {
                return Ok(None);
            }
            let id = SubjectId::parse(&sid).map_err(corrupt("link subject"))?;
            let session = new_session(tx, now, session_ttl, Some(&id))?;
            let method = if table == "web_login_links" {
                "email_link"
            } else {
                "subject_token"
            };
            record_as(
                tx,
                &now,
                &Actor::Subject(id.clone()),
                Some(&id),
                AuditAction::SignedIn { method },
            )?;
            Ok(Some((id, session)))
        })
    }

    /// Starts a session for a subject this browser has just created by answering a form.
    pub fn start_session(
        &self,
        now: DateTime<Utc>,
        id: &SubjectId,
        ttl: Duration,
    ) -> StoreResult<String> {
        let id = id.clone();
        self.write(&Actor::Subject(id.clone()), now, move |tx| {
            start_session_in(tx, &id, ttl)
        })
    }

    /// The session a browser's session id belongs to, if live. A staff session ends with its token.
    pub fn web_session(&self, now: DateTime<Utc>, secret: &str) -> StoreResult<Option<WebSession>> {
        if !secret.starts_with(SESSION_PREFIX) {
            return Ok(None);
        }
        let h = secret_hash(secret);
        self.read(move |conn| {
            let row: Option<(Option<String>, String)> = conn
                .query_row(
                    "SELECT subject_id, expires_at FROM web_sessions WHERE hash = ?1",
                    [h],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((Some(subject), expires)) = row else {
                return Ok(None);
            };
            if parse_ts(&expires)? <= now {
                return Ok(None);
            }
            Ok(Some(WebSession::Subject(
                SubjectId::parse(&subject).map_err(corrupt("session subject"))?,
            )))
        })
    }

    /// Ends a session (sign-out). Unknown ids are fine.
    pub fn end_web_session(&self, now: DateTime<Utc>, secret: &str) -> StoreResult<()> {
        let h = secret_hash(secret);
        self.write(&Actor::System("sign-out".into()), now, move |tx| {
            tx.execute("DELETE FROM web_sessions WHERE hash = ?1", [h])?;
            Ok(())
        })
    }
}
