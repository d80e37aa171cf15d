//! One-click unsubscribe (RFC 8058, P19): the signed link every message
//! carries, naming the subject, the channel and the purpose, which needs no
//! sign-in; following it through POST leaves that channel for that purpose
//! (the channel stays on for the subject's other purposes), recorded in the
//! consent ledger as an event about that channel, in the audit log and in
//! the outbox (`unsubscribed`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use kerro_core::consent::{ConsentState, Method};
use kerro_core::contact::Channel;
use kerro_core::ids::{PurposeKey, SubjectId};
use kerro_core::{Actor, CoreError, ErrorCode, Lang};

use super::audit::{record, AuditAction};
use super::ledger::{append_for_channel, NewEvent};
use super::shared::{load_contact, subject_key};
use super::tx::Edit;
use super::{corrupt, ts, Store};
use crate::error::StoreResult;
use crate::sql::params;

/// What kind of signed link this is (kept apart from any other kind).
const KIND: &str = "unsubscribe v1";

/// Where an unsubscribe link points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsubscribeLink {
    pub subject: SubjectId,
    pub channel: Channel,
    pub purpose: PurposeKey,
}

/// What the confirmation page shows, and what an unsubscribe did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsubscribe {
    /// The subject is here: their language, and whether they already left.
    Subject {
        link: UnsubscribeLink,
        language: Lang,
        already: bool,
    },
    /// The subject was erased: a neutral page, nothing to change.
    Erased,
}

fn refused() -> CoreError {
    CoreError::not_found("token", "this unsubscribe link is not valid")
}

impl Store {
    /// The signed token of an unsubscribe link (no I/O; it does not expire,
    /// as a message's link must keep working).
    pub fn unsubscribe_token(&self, link: &UnsubscribeLink) -> String {
        let payload = format!(
            "{}|{}|{}",
            link.subject.as_str(),
            link.channel.as_str(),
            link.purpose.as_str()
        );
        let tag = self.keys().sign_link(KIND, payload.as_bytes());
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// The link a token names, if its signature holds; `not_found` otherwise.
    pub fn read_unsubscribe_token(&self, token: &str) -> StoreResult<UnsubscribeLink> {
        if token.len() > 400 {
            return Err(refused().into());
        }
        let (payload, tag) = token.split_once('.').ok_or_else(refused)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| refused())?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| refused())?;
        if !self.keys().verify_link(KIND, &payload, &tag) {
            return Err(refused().into());
        }
        let text = String::from_utf8(payload).map_err(|_| refused())?;
        let mut parts = text.split('|');
        let (Some(s), Some(c), Some(p), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(refused().into());
        };
        Ok(UnsubscribeLink {
            subject: SubjectId::parse(s).map_err(|_| refused())?,
            channel: Channel::parse(c).ok_or_else(refused)?,
            purpose: PurposeKey::parse("purpose", p).map_err(|_| refused())?,
        })
    }

    /// What the link's page shows; changes nothing (mail scanners follow GET links).
    pub fn unsubscribe_view(&self, token: &str) -> StoreResult<Unsubscribe> {
        let link = self.read_unsubscribe_token(token)?;
        match self.profile(&link.subject) {
            Ok(p) => Ok(Unsubscribe::Subject {
                already: !p.contact.reachable(link.channel, &link.purpose),
                language: p.language.unwrap_or(self.inner.default_lang),
                link,
            }),
            Err(e) if e.to_core().code == ErrorCode::Gone => Ok(Unsubscribe::Erased),
            Err(e) if e.to_core().code == ErrorCode::NotFound => Ok(Unsubscribe::Erased),
            Err(e) => Err(e),
        }
    }

    /// Leaves the link's channel for its purpose at once. Following the link
    /// again changes nothing more; an erased subject's link changes nothing.
    pub fn unsubscribe(&self, now: DateTime<Utc>, token: &str) -> StoreResult<Unsubscribe> {
        let link = self.read_unsubscribe_token(token)?;
        let language = match self.profile(&link.subject) {
            Ok(p) => p.language.unwrap_or(self.inner.default_lang),
            Err(e) if matches!(e.to_core().code, ErrorCode::Gone | ErrorCode::NotFound) => {
                return Ok(Unsubscribe::Erased)
            }
            Err(e) => Err(e)?,
        };
        let actor = Actor::Subject(link.subject.clone());
        let l = link.clone();
        let done = self.write(&actor, now, move |tx| {
            if let Err(e) = subject_key(tx, tx.keys, &l.subject) {
                return match e.to_core().code {
                    ErrorCode::Gone | ErrorCode::NotFound => Ok(None),
                    _ => Err(e),
                };
            }
            let mut prefs = load_contact(tx, &l.subject)?;
            let left = prefs.unsubscribed.entry(l.channel).or_default();
            if !left.insert(l.purpose.clone()) {
                return Ok(Some(true));
            }
            let doc = serde_json::to_string(&prefs).map_err(corrupt("contact prefs"))?;
            tx.execute(
                "INSERT INTO contact_prefs (subject_id, prefs, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(subject_id) DO UPDATE SET prefs = excluded.prefs, updated_at = excluded.updated_at",
                params![l.subject.as_str(), doc, ts(&now)],
            )?;
            tx.edit(&l.subject, Edit::Contact(prefs));
            let event = append_for_channel(
                tx,
                NewEvent {
                    subject: &l.subject,
                    purpose: &l.purpose,
                    state: ConsentState::Withdrawn,
                    notice: None,
                    language,
                    now,
                    actor: &tx.actor.clone(),
                    method: Method::UnsubscribeLink,
                },
                l.channel,
            )?;
            record(
                tx,
                Some(&l.subject),
                AuditAction::Unsubscribed {
                    purpose: l.purpose.as_str(),
                    channel: l.channel.as_str(),
                    record_id: event.event.record_id.as_str(),
                },
            )?;
            Ok(Some(false))
        })?;
        Ok(match done {
            Some(already) => Unsubscribe::Subject {
                link,
                language,
                already,
            },
            None => Unsubscribe::Erased,
        })
    }
}
