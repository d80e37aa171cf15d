//! Writing what subjects declare: form submissions, self-service
//! rectification and consent changes. Every value is sealed with the
//! subject's data key; a new answer supersedes the old one, it never
//! overwrites it silently. When consent goes, values held only for it go too (P6).

use crate::sql::{params, Conn, OptionalExtension};
use chrono::{DateTime, Utc};
use kerro_core::consent::{basis_active, state_for_choice, ConsentState, Method, NoticeRef};
use kerro_core::ids::{AttributeKey, FormKey, PurposeKey, SubjectId};
use kerro_core::schema::{LegalBasis, Schema};
use kerro_core::submission::{plan_rectification, plan_submission};
use kerro_core::{Actor, CoreError, ErrorCode, Lang};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

use super::audit::{record, AuditAction};
use super::ledger::{append, current_states, NewEvent};
use super::subjects::{load_subject_data, subject_key};
use super::{ts, Store};
use crate::crypto::DataKey;
use crate::error::StoreResult;
use crate::model::{StoredEvent, SubjectData, SubmissionResult};

/// A form submission as received.
#[derive(Debug, Clone)]
pub struct Submission {
    pub form: FormKey,
    pub subject: SubjectId,
    pub notice_version: u32,
    pub answers: Map<String, Value>,
    pub consents: Map<String, Value>,
    /// The language the form was shown in; else the subject's locale; else the default.
    pub language: Option<Lang>,
}

fn subject_locale(conn: &Conn, id: &SubjectId) -> StoreResult<Option<Lang>> {
    let raw: Option<Option<String>> = conn
        .query_row(
            "SELECT locale FROM subjects WHERE id = ?1",
            [id.as_str()],
            |r| r.get(0),
        )
        .optional()?;
    Ok(raw.flatten().as_deref().and_then(Lang::parse))
}

/// Writes one declared value, superseding the current one.
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_declaration(
    conn: &Conn,
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
        &super::subjects::declaration_field(attribute.as_str()),
        value.to_string().as_bytes(),
    )?;
    conn.execute("UPDATE declarations SET superseded_at = ?3 WHERE subject_id = ?1 AND attribute = ?2 AND superseded_at IS NULL", params![sid, attribute.as_str(), ts(now)],
    )?;
    conn.execute("INSERT INTO declarations (subject_id, attribute, value_enc, form, notice_version, method, given_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", params![
            sid,
            attribute.as_str(),
            sealed,
            notice.map(|n| n.0.as_str()),
            notice.map(|n| n.1),
            method.as_str(),
            ts(now)
        ],
    )?;
    Ok(())
}

/// Deletes every value, current and past, of attributes that no longer have an active legal basis (P6).
fn purge_unsupported(
    conn: &Conn,
    schema: &Schema,
    subject: &SubjectId,
    states: &BTreeMap<PurposeKey, ConsentState>,
    now: &DateTime<Utc>,
) -> StoreResult<Vec<String>> {
    let held: Vec<String> = conn
        .query_map(
            "SELECT DISTINCT attribute FROM declarations WHERE subject_id = ?1",
            [subject.as_str()],
            |r| r.get::<_, String>(0),
        )?
        .collect::<Result<_, _>>()?;
    let mut purged = Vec::new();
    for attr in held {
        let supported = schema
            .attributes
            .iter()
            .find(|(k, _)| k.as_str() == attr)
            .is_some_and(|(_, spec)| {
                spec.purposes.iter().any(|p| {
                    schema
                        .purposes
                        .get(p)
                        .is_some_and(|ps| basis_active(ps, states.get(p).copied()))
                })
            });
        if !supported {
            conn.execute(
                "DELETE FROM declarations WHERE subject_id = ?1 AND attribute = ?2",
                params![subject.as_str(), attr],
            )?;
            purged.push(attr);
        }
    }
    if !purged.is_empty() {
        super::outbox::emit(
            conn,
            super::outbox::kind::DECLARATION_DELETED,
            Some(subject),
            serde_json::json!({"subject": subject.as_str(), "attributes": purged, "reason": "no_legal_basis"}),
            now,
        )?;
    }
    Ok(purged)
}

impl Store {
    /// Records a form submission: consents first, then the answers they allow, in one transaction.
    pub fn submit(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        sub: Submission,
    ) -> StoreResult<SubmissionResult> {
        let subject = sub.subject.clone();
        let keys = self.keys();
        let snapshot = self.schema();
        let actor = actor.clone();
        let default_lang = self.default_lang();
        self.write(move |conn| {
            let dk = subject_key(conn, &keys, &sub.subject)?;
            let notice = snapshot.notices.get(&sub.form).ok_or_else(|| {
                CoreError::not_found("form", format!("unknown form '{}'", sub.form))
            })?;
            let states = current_states(conn, &sub.subject)?;
            let plan = plan_submission(
                &snapshot.schema,
                &sub.form,
                notice.version,
                sub.notice_version,
                &sub.answers,
                &sub.consents,
                &states,
            )?;
            let language = match sub.language {
                Some(l) => l,
                None => subject_locale(conn, &sub.subject)?.unwrap_or(default_lang),
            };
            let mut receipts = Vec::with_capacity(plan.consents.len());
            for (purpose, state) in &plan.consents {
                receipts.push(append(
                    conn,
                    NewEvent {
                        subject: &sub.subject,
                        purpose,
                        state: *state,
                        notice: Some(NoticeRef {
                            form: sub.form.clone(),
                            version: notice.version,
                            sha256: notice.sha256.clone(),
                        }),
                        language,
                        now,
                        actor: &actor,
                        method: Method::Form,
                    },
                )?);
            }
            for (attr, value) in &plan.declarations {
                write_declaration(
                    conn,
                    &dk,
                    &sub.subject,
                    attr,
                    value,
                    Some((&sub.form, notice.version)),
                    Method::Form,
                    &now,
                )?;
            }
            if plan.consents.iter().any(|(_, s)| !s.is_active()) {
                let after = current_states(conn, &sub.subject)?;
                purge_unsupported(conn, &snapshot.schema, &sub.subject, &after, &now)?;
            }
            let fields: Vec<String> = plan
                .declarations
                .iter()
                .map(|(k, _)| k.to_string())
                .collect();
            record(
                conn,
                &now,
                &actor,
                Some(&sub.subject),
                AuditAction::Submission {
                    form: sub.form.as_str(),
                    fields: fields.clone(),
                    purposes: plan.consents.iter().map(|(p, _)| p.to_string()).collect(),
                },
            )?;
            Ok(SubmissionResult {
                subject: sub.subject.clone(),
                declarations: plan.declarations.into_iter().map(|(k, _)| k).collect(),
                receipts,
            })
        })
        .inspect(|_| self.after_write(&subject))
    }

    /// Applies the subject's own corrections (P13): a value rectifies, `null` deletes. All or nothing.
    pub fn rectify(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &SubjectId,
        patches: Map<String, Value>,
    ) -> StoreResult<SubjectData> {
        if patches.is_empty() {
            return Err(CoreError::invalid(
                "declarations",
                "send at least one attribute to change",
            )
            .into());
        }
        let keys = self.keys();
        let snapshot = self.schema();
        let (actor, id) = (actor.clone(), id.clone());
        self.write(move |conn| {
            let dk = subject_key(conn, &keys, &id)?;
            let states = current_states(conn, &id)?;
            let mut fields = Vec::new();
            for (raw, value) in &patches {
                let (attr, value) = plan_rectification(&snapshot.schema, raw, value, &states)?;
                match value {
                    Some(v) => write_declaration(
                        conn,
                        &dk,
                        &id,
                        &attr,
                        &v,
                        None,
                        Method::PreferenceCentre,
                        &now,
                    )?,
                    None => {
                        conn.execute(
                            "DELETE FROM declarations WHERE subject_id = ?1 AND attribute = ?2",
                            params![id.as_str(), attr.as_str()],
                        )?;
                    }
                }
                fields.push(attr.to_string());
            }
            record(
                conn,
                &now,
                &actor,
                Some(&id),
                AuditAction::DeclarationsChanged { fields },
            )?;
            let version = super::outbox::subject_version(conn, &id)?;
            Ok((load_subject_data(conn, &keys, &id)?, version))
        })
        .map(|(data, version)| {
            self.index()
                .put_versioned(super::index::profile_from(&data), version);
            data
        })
    }

    /// Grants or withdraws one purpose: the same call both ways (P6).
    pub fn set_consent(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &SubjectId,
        purpose: &str,
        given: bool,
        language: Option<Lang>,
    ) -> StoreResult<StoredEvent> {
        let snapshot: Arc<_> = self.schema();
        let (key, spec) = snapshot
            .schema
            .purposes
            .iter()
            .find(|(k, _)| k.as_str() == purpose)
            .ok_or_else(|| {
                CoreError::not_found("purpose", format!("unknown purpose '{purpose}'"))
            })?;
        if spec.legal_basis != LegalBasis::Consent {
            return Err(CoreError::at(
                ErrorCode::InvalidValue,
                "purpose",
                format!(
                    "purpose '{purpose}' rests on {}, not on consent",
                    spec.legal_basis.as_str()
                ),
            )
            .into());
        }
        let key = key.clone();
        let keys = self.keys();
        let default_lang = self.default_lang();
        let (actor, id) = (actor.clone(), id.clone());
        self.write(move |conn| {
            subject_key(conn, &keys, &id)?;
            let mut states = current_states(conn, &id)?;
            let state = state_for_choice(given, states.get(&key).copied());
            let language = match language {
                Some(l) => l,
                None => subject_locale(conn, &id)?.unwrap_or(default_lang),
            };
            let event = append(
                conn,
                NewEvent {
                    subject: &id,
                    purpose: &key,
                    state,
                    notice: None,
                    language,
                    now,
                    actor: &actor,
                    method: Method::PreferenceCentre,
                },
            )?;
            states.insert(key.clone(), state);
            if !state.is_active() {
                purge_unsupported(conn, &snapshot.schema, &id, &states, &now)?;
            }
            record(
                conn,
                &now,
                &actor,
                Some(&id),
                AuditAction::ConsentChanged {
                    purpose: key.as_str(),
                    state: state.as_str(),
                },
            )?;
            Ok(event)
        })
        .inspect(|e| self.after_write(&e.event.subject))
    }
}
