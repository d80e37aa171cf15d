//! Writing what subjects declare: form submissions, self-service
//! rectification and consent changes. Every value is sealed with the
//! subject's data key; a new answer supersedes the old one, it never
//! overwrites it silently. When consent goes, values held only for it go too (P6).

use crate::crypto::DataKey;
use crate::sql::{Conn, OptionalExtension, Val};
use chrono::{DateTime, Utc};
use kerro_core::consent::{
    basis_active, renewal_due, state_for_choice, ConsentState, Method, NoticeOf, NoticeRef,
};
use kerro_core::ids::{AttributeKey, FormKey, PurposeKey, SubjectId};
use kerro_core::rights_request::RightKind;
use kerro_core::schema::{LegalBasis, Schema};
use kerro_core::submission::{
    explicit_statements, plan_rectification, plan_submission, recipient_choices,
};
use kerro_core::{Actor, CoreError, ErrorCode, Lang};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

use super::audit::{record, record_as, AuditAction};
use super::disclosures::{record_choice, RecipientChoice};
use super::ledger::{
    append, append_with_evidence, current_states, latest_events, latest_events_sql,
    recipient_states, states_from, NewEvent,
};
use super::rights_requests::self_service;
use super::schema_ops::purpose_notice;
use super::shared::{
    delete_declaration, subject_key, subject_key_from, write_declaration, SUBJECT_KEY_SQL,
};
use super::subjects::load_subject_data;
use super::tx::Tx;
use super::Store;
use crate::error::StoreResult;
use crate::model::{SchemaSnapshot, StoredEvent, SubjectData, SubmissionResult};

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
    /// The special-category questions whose explicit statement the subject
    /// ticked (P10); each answered one is recorded in the ledger on its own.
    pub explicit: Vec<String>,
    /// The subject's choices about the recipients of the form's sharing
    /// purposes (P21): `{purpose: {recipient: true|false}}`.
    pub recipients: Map<String, Value>,
}

pub(crate) fn subject_locale(conn: &Conn, id: &SubjectId) -> StoreResult<Option<Lang>> {
    let raw: Option<Option<String>> = conn
        .query_row(SUBJECT_LOCALE_SQL, [id.as_str()], |r| r.get(0))
        .optional()?;
    Ok(raw.and_then(locale_from))
}

const SUBJECT_LOCALE_SQL: &str = "SELECT locale FROM subjects WHERE id = ?1";

/// A stored locale as a language kerro speaks.
fn locale_from(raw: Option<String>) -> Option<Lang> {
    raw.as_deref().and_then(Lang::parse)
}

/// Deletes every value, current and past, of attributes that no longer have an active legal basis (P6).
fn purge_unsupported(
    tx: &Tx,
    schema: &Schema,
    subject: &SubjectId,
    states: &BTreeMap<PurposeKey, ConsentState>,
    now: &DateTime<Utc>,
) -> StoreResult<Vec<String>> {
    let held: Vec<String> = tx
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
            let key = AttributeKey::parse("attribute", &attr)
                .map_err(super::corrupt("declaration attribute"))?;
            delete_declaration(tx, subject, &key)?;
            purged.push(attr);
        }
    }
    if !purged.is_empty() {
        super::outbox::emit(
            tx,
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
        let snapshot = self.schema();
        let default_lang = self.default_lang();
        self.write(actor, now, move |tx| {
            submit_in(tx, &tx.actor, &snapshot, default_lang, sub)
        })
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
        let snapshot = self.schema();
        let id = id.clone();
        self.write(actor, now, move |tx| {
            let dk = subject_key(tx, tx.keys, &id)?;
            let states = current_states(tx, &id)?;
            let mut fields = Vec::new();
            for (raw, value) in &patches {
                let (attr, value) = plan_rectification(&snapshot.schema, raw, value, &states)?;
                match value {
                    Some(v) => write_declaration(
                        tx,
                        &dk,
                        &id,
                        &attr,
                        &v,
                        None,
                        Method::PreferenceCentre,
                        &now,
                    )?,
                    None => delete_declaration(tx, &id, &attr)?,
                }
                fields.push(attr.to_string());
            }
            let evidence = format!("corrected their answers: {}", fields.join(", "));
            record(tx, Some(&id), AuditAction::DeclarationsChanged { fields })?;
            self_service(tx, &id, RightKind::Rectification, &evidence)?;
            // What the subject sees back is read in the same transaction.
            load_subject_data(tx, tx.keys, &id)
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
        let default_lang = self.default_lang();
        let id = id.clone();
        self.write(actor, now, move |tx| {
            subject_key(tx, tx.keys, &id)?;
            let latest = latest_events(tx, &id)?;
            let mut states: BTreeMap<PurposeKey, ConsentState> = latest
                .iter()
                .map(|e| (e.event.purpose.clone(), e.event.state))
                .collect();
            let last = latest.iter().find(|e| e.event.purpose == key);
            // P7: granting again a consent given under a form's notice that has
            // since changed materially renews it, against that form's notice now.
            let renewing = last.filter(|_| given).and_then(|e| {
                let due = renewal_due(e.event.state, e.event.notice.as_ref(), |f| {
                    snapshot.material_notices.get(f).copied()
                });
                let form = e.event.notice.as_ref()?.of.form()?.clone();
                let current = snapshot.notices.get(&form)?;
                due.then(|| NoticeRef {
                    of: NoticeOf::Form(form),
                    version: current.version,
                    sha256: current.sha256.clone(),
                })
            });
            let (state, notice) = match renewing {
                Some(notice) => (ConsentState::Renewed, notice),
                None => {
                    // P4: the purpose's own notice, as the page or the client showed it, versioned like a form's.
                    let shown = purpose_notice(tx, &snapshot, &key, &now)?;
                    let state = state_for_choice(given, states.get(&key).copied());
                    (
                        state,
                        NoticeRef {
                            of: NoticeOf::Purpose(key.clone()),
                            version: shown.version,
                            sha256: shown.sha256,
                        },
                    )
                }
            };
            let language = match language {
                Some(l) => l,
                None => subject_locale(tx, &id)?.unwrap_or(default_lang),
            };
            let event = append(
                tx,
                NewEvent {
                    subject: &id,
                    purpose: &key,
                    state,
                    notice: Some(notice),
                    language,
                    now,
                    actor: &tx.actor,
                    method: Method::PreferenceCentre,
                },
            )?;
            states.insert(key.clone(), state);
            if !state.is_active() {
                purge_unsupported(tx, &snapshot.schema, &id, &states, &now)?;
            }
            record(
                tx,
                Some(&id),
                AuditAction::ConsentChanged {
                    purpose: key.as_str(),
                    state: state.as_str(),
                },
            )?;
            Ok(event)
        })
    }
}

/// Records a form submission in `tx`: consents first, then the answers they
/// P10: records each explicit statement as an event of its own, under each
/// purpose the answer is held for that has a basis now, naming the question;
/// it leaves consent states as they are.
#[allow(clippy::too_many_arguments)]
pub(crate) fn state_explicitly(
    tx: &Tx,
    schema: &Schema,
    subject: &SubjectId,
    stated: &[AttributeKey],
    notice: &NoticeRef,
    language: Lang,
    at: DateTime<Utc>,
    actor: &Actor,
) -> StoreResult<Vec<StoredEvent>> {
    let mut out = Vec::new();
    if stated.is_empty() {
        return Ok(out);
    }
    let after = current_states(tx, subject)?;
    for attr in stated {
        let Some(spec) = schema.attributes.get(attr) else {
            continue;
        };
        for purpose in &spec.purposes {
            let active = schema
                .purposes
                .get(purpose)
                .is_some_and(|p| basis_active(p, after.get(purpose).copied()));
            if !active {
                continue;
            }
            out.push(append_with_evidence(
                tx,
                NewEvent {
                    subject,
                    purpose,
                    state: ConsentState::Given,
                    notice: Some(notice.clone()),
                    language,
                    now: at,
                    actor,
                    method: Method::ExplicitStatement,
                },
                format!("art. 9(2)(a) explicit consent to processing the answer to '{attr}'"),
            )?);
        }
    }
    Ok(out)
}

/// What a submission reads of its subject before it writes.
struct SubjectReads {
    key: DataKey,
    states: BTreeMap<PurposeKey, ConsentState>,
    /// Read only when the submission names no language.
    locale: Option<Lang>,
}

/// Reads the subject's data key, its consent state per purpose and, with
/// `locale`, its language: in one round trip on PostgreSQL.
fn read_before_submitting(tx: &Tx, id: &SubjectId, locale: bool) -> StoreResult<SubjectReads> {
    let sid = || vec![Val::Text(id.as_str().to_owned())];
    let latest = latest_events_sql();
    let mut queries = vec![(SUBJECT_KEY_SQL, sid()), (latest.as_str(), sid())];
    if locale {
        queries.push((SUBJECT_LOCALE_SQL, sid()));
    }
    let answers = tx.rows_together(queries)?;
    let wrapped = match answers[0].first() {
        Some(r) => Some(r.get::<_, Vec<u8>>(0)?),
        None => None,
    };
    let locale = match answers.get(2).and_then(|rows| rows.first()) {
        Some(r) => locale_from(r.get(0)?),
        None => None,
    };
    Ok(SubjectReads {
        key: subject_key_from(tx, tx.keys, id, wrapped)?,
        states: states_from(&answers[1])?,
        locale,
    })
}

/// Records one submission: the answers, consents, recipient choices and
/// explicit statements the schema and the subject's states allow. Every check
/// runs before the first write.
pub(crate) fn submit_in(
    tx: &Tx,
    actor: &Actor,
    snapshot: &SchemaSnapshot,
    default_lang: Lang,
    sub: Submission,
) -> StoreResult<SubmissionResult> {
    let now = tx.now;
    let SubjectReads {
        key: dk,
        states,
        locale,
    } = read_before_submitting(tx, &sub.subject, sub.language.is_none())?;
    let notice = snapshot
        .notices
        .get(&sub.form)
        .ok_or_else(|| CoreError::not_found("form", format!("unknown form '{}'", sub.form)))?;
    let plan = plan_submission(
        &snapshot.schema,
        &sub.form,
        notice.version,
        sub.notice_version,
        &sub.answers,
        &sub.consents,
        &states,
    )?;
    let stated = explicit_statements(&snapshot.schema, &sub.form, &sub.answers, &sub.explicit)?;
    // The earlier choices matter only to the choices made now.
    let earlier = if sub.recipients.is_empty() {
        Default::default()
    } else {
        recipient_states(tx, &sub.subject)?
    };
    let chosen = recipient_choices(&snapshot.schema, &sub.form, &sub.recipients, &earlier)?;
    let language = sub.language.or(locale).unwrap_or(default_lang);
    let mut receipts = Vec::with_capacity(plan.consents.len());
    for (purpose, state) in &plan.consents {
        receipts.push(append(
            tx,
            NewEvent {
                subject: &sub.subject,
                purpose,
                state: *state,
                notice: Some(NoticeRef {
                    of: NoticeOf::Form(sub.form.clone()),
                    version: notice.version,
                    sha256: notice.sha256.clone(),
                }),
                language,
                now,
                actor,
                method: Method::Form,
            },
        )?);
    }
    for (purpose, recipient, state) in &chosen {
        receipts.push(record_choice(
            tx,
            RecipientChoice {
                subject: &sub.subject,
                purpose,
                recipient,
                state: *state,
                notice: NoticeRef {
                    of: NoticeOf::Form(sub.form.clone()),
                    version: notice.version,
                    sha256: notice.sha256.clone(),
                },
                language,
                method: Method::Form,
            },
        )?);
    }
    receipts.extend(state_explicitly(
        tx,
        &snapshot.schema,
        &sub.subject,
        &stated,
        &NoticeRef {
            of: NoticeOf::Form(sub.form.clone()),
            version: notice.version,
            sha256: notice.sha256.clone(),
        },
        language,
        now,
        actor,
    )?);
    for (attr, value) in &plan.declarations {
        write_declaration(
            tx,
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
        let after = current_states(tx, &sub.subject)?;
        purge_unsupported(tx, &snapshot.schema, &sub.subject, &after, &now)?;
    }
    let fields: Vec<String> = plan
        .declarations
        .iter()
        .map(|(k, _)| k.to_string())
        .collect();
    record_as(
        tx,
        &now,
        actor,
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
}
