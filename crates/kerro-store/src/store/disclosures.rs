//! Consent per recipient and the disclosure log (P21): a subject's choice
//! about one recipient of a sharing purpose, who of a set of subjects may be
//! disclosed to a recipient, and the log of every disclosure, per subject,
//! that the subject sees and exports. What counts as consent is
//! `kerro_core::disclosure`'s.

use chrono::{DateTime, Utc};
use kerro_core::consent::{state_for_choice, ConsentState, Method, NoticeOf, NoticeRef};
use kerro_core::disclosure::{may_disclose, Disclosure, DisclosureVia, Standing};
use kerro_core::ids::{PurposeKey, RecipientKey, SubjectId};
use kerro_core::schema::PurposeSpec;
use kerro_core::{Actor, CoreError, ErrorCode, Lang};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

use super::audit::{record, AuditAction};
use super::ledger::{
    append_for_recipient, current_states, recipient_states, NewEvent, ONLY_CONSENTS,
};
use super::schema_ops::purpose_notice;
use super::shared::subject_key;
use super::tx::Tx;
use super::{new_ulid, parse_ts, ts, Store};
use crate::error::{StoreError, StoreResult};
use crate::model::{SchemaSnapshot, StoredEvent};
use crate::sql::{params, Conn, OptionalExtension};

/// One choice about a recipient, as a form or the preference centre made it.
pub(crate) struct RecipientChoice<'a> {
    pub subject: &'a SubjectId,
    pub purpose: &'a PurposeKey,
    pub recipient: &'a RecipientKey,
    pub state: ConsentState,
    pub notice: NoticeRef,
    pub language: Lang,
    pub method: Method,
}

/// Records one choice about a recipient in the ledger, and audits it.
pub(crate) fn record_choice(tx: &Tx, c: RecipientChoice<'_>) -> StoreResult<StoredEvent> {
    let event = append_for_recipient(
        tx,
        NewEvent {
            subject: c.subject,
            purpose: c.purpose,
            state: c.state,
            notice: Some(c.notice),
            language: c.language,
            now: tx.now,
            actor: &tx.actor,
            method: c.method,
        },
        c.recipient.clone(),
    )?;
    record(
        tx,
        Some(c.subject),
        AuditAction::RecipientConsentChanged {
            purpose: c.purpose.as_str(),
            recipient: c.recipient.as_str(),
            state: c.state.as_str(),
        },
    )?;
    Ok(event)
}

/// The purpose and recipient a choice names, checked against the schema: an
/// unknown purpose or one that names no such recipient is 404, a purpose that
/// shares with no recipient 422.
pub(crate) fn shared_purpose<'s>(
    snapshot: &'s SchemaSnapshot,
    purpose: &str,
    recipient: &str,
) -> StoreResult<(&'s PurposeKey, &'s PurposeSpec, RecipientKey)> {
    let (key, spec) = snapshot
        .schema
        .purposes
        .iter()
        .find(|(k, _)| k.as_str() == purpose)
        .ok_or_else(|| CoreError::not_found("purpose", format!("unknown purpose '{purpose}'")))?;
    if !spec.asks_per_recipient() {
        return Err(CoreError::at(
            ErrorCode::InvalidValue,
            "purpose",
            format!(
                "purpose '{purpose}' shares with no recipient: it takes no choice per recipient"
            ),
        )
        .into());
    }
    if !spec.recipients.iter().any(|r| r == recipient) {
        return Err(CoreError::not_found(
            "recipient",
            format!("purpose '{purpose}' does not share with '{recipient}'"),
        )
        .into());
    }
    Ok((key, spec, RecipientKey::parse("recipient", recipient)?))
}

/// The latest state per subject, under `purpose`, of its own consent
/// (`recipient` none) or of the choice about `recipient`.
fn latest_states(
    conn: &Conn,
    purpose: &PurposeKey,
    recipient: Option<&RecipientKey>,
) -> StoreResult<HashMap<String, ConsentState>> {
    let inner = "SELECT subject_id, state FROM consent_events WHERE seq IN
                   (SELECT MAX(seq) FROM consent_events WHERE purpose = ?1 AND";
    let rows = match recipient {
        None => conn.rows(
            &format!("{inner} {ONLY_CONSENTS} GROUP BY subject_id)"),
            [purpose.as_str()],
        )?,
        Some(r) => conn.rows(
            &format!("{inner} recipient = ?2 GROUP BY subject_id)"),
            params![purpose.as_str(), r.as_str()],
        )?,
    };
    let mut out = HashMap::with_capacity(rows.len());
    for r in &rows {
        let state: String = r.get(1)?;
        let state = ConsentState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("state '{state}'")))?;
        out.insert(r.get::<_, String>(0)?, state);
    }
    Ok(out)
}

/// Where each subject stands for a disclosure to `recipient` under
/// `purpose`, read in three queries however many subjects there are.
fn standings(
    conn: &Conn,
    purpose: &PurposeKey,
    recipient: &RecipientKey,
) -> StoreResult<impl Fn(&SubjectId) -> Standing> {
    let own = latest_states(conn, purpose, None)?;
    let chosen = latest_states(conn, purpose, Some(recipient))?;
    let objected: HashSet<String> = conn
        .query_map(
            "SELECT id FROM subjects WHERE objected_sharing <> 0",
            (),
            |r| r.get::<_, String>(0),
        )?
        .collect::<Result<_, _>>()?;
    Ok(move |id: &SubjectId| Standing {
        purpose: own.get(id.as_str()).copied(),
        recipient: chosen.get(id.as_str()).copied(),
        objected_sharing: objected.contains(id.as_str()),
    })
}

/// Keeps of `ids` those who may be disclosed to `recipient` under `purpose` (P21).
pub(crate) fn disclosable(
    conn: &Conn,
    spec: &PurposeSpec,
    purpose: &PurposeKey,
    recipient: &RecipientKey,
    ids: Vec<SubjectId>,
) -> StoreResult<Vec<SubjectId>> {
    let standing = standings(conn, purpose, recipient)?;
    Ok(ids
        .into_iter()
        .filter(|id| may_disclose(spec, recipient, standing(id)))
        .collect())
}

/// Whether one subject may be disclosed to `recipient` under `purpose` now (P21).
pub(crate) fn may_disclose_to(
    conn: &Conn,
    spec: &PurposeSpec,
    purpose: &PurposeKey,
    recipient: &RecipientKey,
    subject: &SubjectId,
) -> StoreResult<bool> {
    let objected: Option<i64> = conn
        .query_row(
            "SELECT objected_sharing FROM subjects WHERE id = ?1",
            [subject.as_str()],
            |r| r.get(0),
        )
        .optional()?;
    let standing = Standing {
        purpose: current_states(conn, subject)?.get(purpose).copied(),
        recipient: recipient_states(conn, subject)?
            .get(&(purpose.clone(), recipient.clone()))
            .copied(),
        objected_sharing: objected.unwrap_or(0) != 0,
    };
    Ok(may_disclose(spec, recipient, standing))
}

/// Logs that `fields` of each of `ids` went to `recipient` under `purpose`.
pub(crate) fn log(
    tx: &Tx,
    ids: &[SubjectId],
    recipient: &RecipientKey,
    purpose: &PurposeKey,
    fields: &[&str],
    via: DisclosureVia,
) -> StoreResult<()> {
    let fields = serde_json::to_string(fields).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let (actor, at) = (tx.actor.label(), ts(&tx.now));
    for id in ids {
        tx.execute(
            "INSERT INTO disclosures (id, subject_id, recipient, purpose, fields, via, actor, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                format!("dis_{}", new_ulid()),
                id.as_str(),
                recipient.as_str(),
                purpose.as_str(),
                fields,
                via.as_str(),
                actor,
                at
            ],
        )?;
    }
    Ok(())
}

/// Every disclosure of a subject's data, oldest first.
pub(crate) fn disclosures_for(conn: &Conn, subject: &SubjectId) -> StoreResult<Vec<Disclosure>> {
    let rows = conn.rows(
        "SELECT recipient, purpose, fields, via, at FROM disclosures
         WHERE subject_id = ?1 ORDER BY at, id",
        [subject.as_str()],
    )?;
    rows.iter().map(|r| disclosure_from(r, 0)).collect()
}

/// One disclosure in the register: whose data, and the disclosure.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoggedDisclosure {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub subject: SubjectId,
    #[serde(flatten)]
    pub disclosure: Disclosure,
}

/// What went to one recipient, in sum: no subject is named.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecipientDisclosures {
    pub recipient: String,
    pub disclosures: u64,
    pub subjects: u64,
    pub last_at: DateTime<Utc>,
}

/// The most rows one read of the register answers.
pub const DISCLOSURES_LISTED: i64 = 10_000;

fn disclosure_from(r: &crate::sql::Row, at: usize) -> StoreResult<Disclosure> {
    let via: String = r.get(at + 3)?;
    Ok(Disclosure {
        recipient: RecipientKey::parse("recipient", &r.get::<_, String>(at)?)
            .map_err(super::corrupt("disclosure recipient"))?,
        purpose: PurposeKey::parse("purpose", &r.get::<_, String>(at + 1)?)
            .map_err(super::corrupt("disclosure purpose"))?,
        fields: serde_json::from_str(&r.get::<_, String>(at + 2)?)
            .map_err(|e| StoreError::Corrupt(format!("disclosure fields: {e}")))?,
        via: DisclosureVia::parse(&via)
            .ok_or_else(|| StoreError::Corrupt(format!("disclosure via '{via}'")))?,
        at: parse_ts(&r.get::<_, String>(at + 4)?)?,
    })
}

impl Store {
    /// The disclosure register (P21), newest first, at most
    /// `DISCLOSURES_LISTED` rows, for one recipient or all: it names
    /// subjects, so the read is audited.
    pub fn disclosure_register(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        recipient: Option<RecipientKey>,
    ) -> StoreResult<Vec<LoggedDisclosure>> {
        self.write(actor, now, move |tx| {
            let sql = format!(
                "SELECT subject_id, recipient, purpose, fields, via, at FROM disclosures {}
                 ORDER BY at DESC, id DESC LIMIT {DISCLOSURES_LISTED}",
                if recipient.is_some() {
                    "WHERE recipient = ?1"
                } else {
                    ""
                }
            );
            let rows = match &recipient {
                Some(r) => tx.rows(&sql, [r.as_str()])?,
                None => tx.rows(&sql, ())?,
            };
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(LoggedDisclosure {
                    subject: SubjectId::parse(&r.get::<_, String>(0)?)
                        .map_err(super::corrupt("disclosure subject"))?,
                    disclosure: disclosure_from(r, 1)?,
                });
            }
            record(
                tx,
                None,
                AuditAction::DisclosuresRead {
                    recipient: recipient.as_ref().map(|r| r.as_str()),
                    count: out.len() as u64,
                },
            )?;
            Ok(out)
        })
    }

    /// What went to each recipient, in sum (no subject named, so not audited).
    pub fn disclosure_summary(&self) -> StoreResult<Vec<RecipientDisclosures>> {
        self.read(|conn| {
            let rows = conn.rows(
                "SELECT recipient, COUNT(*), COUNT(DISTINCT subject_id), MAX(at) FROM disclosures
                 GROUP BY recipient ORDER BY recipient",
                (),
            )?;
            rows.iter()
                .map(|r| {
                    Ok(RecipientDisclosures {
                        recipient: r.get(0)?,
                        disclosures: r.get::<_, i64>(1)? as u64,
                        subjects: r.get::<_, i64>(2)? as u64,
                        last_at: parse_ts(&r.get::<_, String>(3)?)?,
                    })
                })
                .collect()
        })
    }

    /// How many of an audience may be disclosed to `recipient` (P21), without disclosing anything.
    pub fn audience_count_for_recipient(
        &self,
        purpose: &PurposeKey,
        channel: kerro_core::contact::Channel,
        condition: &serde_json::Value,
        recipient: &str,
    ) -> StoreResult<u64> {
        let snapshot = self.schema();
        let (_, spec, key) = shared_purpose(&snapshot, purpose.as_str(), recipient)?;
        let spec = spec.clone();
        let ids = self.audience_ids(purpose, channel, condition)?;
        let purpose = purpose.clone();
        self.read(move |conn| Ok(disclosable(conn, &spec, &purpose, &key, ids)?.len() as u64))
    }

    /// The subject's own choice about one recipient of a sharing purpose
    /// (`PUT /v1/me/consents/{purpose}/recipients/{recipient}`, the
    /// preference centre): recorded against the purpose's own notice.
    #[allow(clippy::too_many_arguments)]
    pub fn set_recipient_consent(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &SubjectId,
        purpose: &str,
        recipient: &str,
        given: bool,
        language: Option<Lang>,
    ) -> StoreResult<StoredEvent> {
        let snapshot = self.schema();
        let (key, _, recipient) = shared_purpose(&snapshot, purpose, recipient)?;
        let key = key.clone();
        let default_lang = self.default_lang();
        let id = id.clone();
        self.write(actor, now, move |tx| {
            subject_key(tx, tx.keys, &id)?;
            let current = recipient_states(tx, &id)?;
            let state = state_for_choice(
                given,
                current.get(&(key.clone(), recipient.clone())).copied(),
            );
            let shown = purpose_notice(tx, &snapshot, &key, &now)?;
            let language = match language {
                Some(l) => l,
                None => super::declare::subject_locale(tx, &id)?.unwrap_or(default_lang),
            };
            record_choice(
                tx,
                RecipientChoice {
                    subject: &id,
                    purpose: &key,
                    recipient: &recipient,
                    state,
                    notice: NoticeRef {
                        of: NoticeOf::Purpose(key.clone()),
                        version: shown.version,
                        sha256: shown.sha256,
                    },
                    language,
                    method: Method::PreferenceCentre,
                },
            )
        })
    }
}
