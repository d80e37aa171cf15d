//! Bulk import of declared data from another preference centre (`kerro import`).
//!
//! Every record carries its provenance (form, notice version, `given_at`) and
//! its consent evidence; the same rules as a live submission decide what may
//! be stored (P1, P8). Records are written in large transactions, each in its
//! own savepoint, so one bad record is refused and reported without failing
//! its neighbours.

use crate::sql::{params, Conn, OptionalExtension};
use chrono::{DateTime, Datelike, Utc};
use kerro_core::consent::{Method, NoticeOf, NoticeRef};
use kerro_core::ids::{FormKey, SubjectId};
use kerro_core::submission::{explicit_statements, plan_submission};
use kerro_core::{Actor, CoreError, ErrorCode, Lang};
use serde_json::{Map, Value};
use std::collections::HashMap;

use super::audit::{record_as, AuditAction};
use super::declare::state_explicitly;
use super::ledger::{append, current_states, NewEvent};
use super::shared::{insert_subject, subject_key, write_declaration, NewSubjectRow};
use super::tx::Tx;
use super::Store;
use crate::crypto::DataKey;
use crate::error::{StoreError, StoreResult};

/// One record to import, already parsed.
#[derive(Debug, Clone)]
pub struct ImportRecord {
    /// The record's line number in the input, for the report.
    pub line: usize,
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub locale: Option<Lang>,
    pub organization: Option<String>,
    pub form: FormKey,
    pub notice_version: u32,
    pub given_at: DateTime<Utc>,
    pub answers: Map<String, Value>,
    pub consents: Map<String, Value>,
    /// The special-category questions whose explicit statement the original
    /// system recorded (P10); an answer to one without it is refused.
    pub explicit: Vec<String>,
    /// Where the consent was originally recorded (at least `source`); kept in the audit log.
    pub evidence: Value,
}

/// What happened to one record.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    pub line: usize,
    pub result: Result<(SubjectId, usize), CoreError>,
}

impl Store {
    /// Imports a batch in one transaction; each record succeeds or fails on its own.
    pub fn import_batch(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        records: Vec<ImportRecord>,
    ) -> StoreResult<Vec<ImportOutcome>> {
        let snapshot = self.schema();
        let default_lang = self.default_lang();
        // `now` only dates the batch; each record keeps its own `given_at`.
        self.write(actor, now, move |tx| {
            let mut notices: HashMap<(FormKey, u32), Option<String>> = HashMap::new();
            let mut out = Vec::with_capacity(records.len());
            for rec in records {
                // Every check runs before the record's first write, so a refused
                // record writes nothing and needs no savepoint of its own.
                let line = rec.line;
                let result = match import_one(tx, &snapshot.schema, default_lang, &mut notices, rec)
                {
                    Ok(v) => Ok(v),
                    Err(StoreError::Core(e)) => Err(e),
                    Err(other) => return Err(other),
                };
                out.push(ImportOutcome { line, result });
            }
            Ok(out)
        })
    }
}

fn import_one(
    tx: &Tx,
    schema: &kerro_core::schema::Schema,
    default_lang: Lang,
    notices: &mut HashMap<(FormKey, u32), Option<String>>,
    mut rec: ImportRecord,
) -> StoreResult<(SubjectId, usize)> {
    if !rec.evidence.as_object().is_some_and(|e| {
        e.get("source")
            .and_then(Value::as_str)
            .is_some_and(|s| !s.trim().is_empty())
    }) {
        return Err(CoreError::at(
            ErrorCode::InvalidRequest,
            "evidence.source",
            "every record names where its consent was recorded",
        )
        .into());
    }
    // Stored times are RFC 3339, which has four-digit years: a `given_at` outside
    // them would be written but never read back (the subject, and the index at
    // start, would fail to load).
    if !(1..=9999).contains(&rec.given_at.year()) {
        return Err(CoreError::invalid(
            "given_at",
            "given_at must be a time in the years 0001 to 9999",
        )
        .into());
    }
    let sha = notices
        .entry((rec.form.clone(), rec.notice_version))
        .or_insert_with(|| {
            tx.query_row(
                "SELECT sha256 FROM notice_versions WHERE form = ?1 AND version = ?2",
                params![rec.form.as_str(), rec.notice_version],
                |r| r.get::<_, String>(0),
            )
            .optional()
            .ok()
            .flatten()
        })
        .clone()
        .ok_or_else(|| {
            CoreError::at(
                ErrorCode::NotFound,
                "notice_version",
                format!(
                    "form '{}' has no notice version {}",
                    rec.form, rec.notice_version
                ),
            )
        })?;

    let existing = find_subject(tx, tx.keys, &rec)?;
    if existing.is_none() {
        // The same canonical form as `Store::create_subject` (kerro_core::email).
        rec.email = rec
            .email
            .as_deref()
            .map(|e| kerro_core::email::canonical("subject.email", e))
            .transpose()?;
    }
    let states = match &existing {
        Some((id, _)) => current_states(tx, id)?,
        None => Default::default(),
    };
    let plan = plan_submission(
        schema,
        &rec.form,
        rec.notice_version,
        rec.notice_version,
        &rec.answers,
        &rec.consents,
        &states,
    )?;
    let stated = explicit_statements(schema, &rec.form, &rec.answers, &rec.explicit)?;
    // From here on only the database itself can fail, and that fails the whole batch.
    let (subject, dk) = match existing {
        Some(found) => found,
        None => create_subject(tx, &rec)?,
    };
    let language = rec.locale.unwrap_or(default_lang);
    for (purpose, state) in &plan.consents {
        append(
            tx,
            NewEvent {
                subject: &subject,
                purpose,
                state: *state,
                notice: Some(NoticeRef {
                    of: NoticeOf::Form(rec.form.clone()),
                    version: rec.notice_version,
                    sha256: sha.clone(),
                }),
                language,
                now: rec.given_at,
                actor: &tx.actor,
                method: Method::Import,
            },
        )?;
    }
    state_explicitly(
        tx,
        schema,
        &subject,
        &stated,
        &NoticeRef {
            of: NoticeOf::Form(rec.form.clone()),
            version: rec.notice_version,
            sha256: sha.clone(),
        },
        language,
        rec.given_at,
        &tx.actor,
    )?;
    for (attr, value) in &plan.declarations {
        write_declaration(
            tx,
            &dk,
            &subject,
            attr,
            value,
            Some((&rec.form, rec.notice_version)),
            Method::Import,
            &rec.given_at,
        )?;
    }
    record_as(
        tx,
        &rec.given_at,
        &tx.actor,
        Some(&subject),
        AuditAction::Submission {
            form: rec.form.as_str(),
            fields: plan
                .declarations
                .iter()
                .map(|(k, _)| k.to_string())
                .collect(),
            purposes: plan.consents.iter().map(|(p, _)| p.to_string()).collect(),
        },
    )?;
    Ok((subject, plan.declarations.len()))
}

/// Finds a live subject by external id, with its data key.
fn find_subject(
    conn: &Conn,
    keys: &crate::crypto::Keyring,
    rec: &ImportRecord,
) -> StoreResult<Option<(SubjectId, DataKey)>> {
    let Some(ext) = &rec.external_id else {
        return Ok(None);
    };
    let bidx = keys.blind_index("external_id", ext.trim());
    let found: Option<String> = conn
        .query_row(
            "SELECT id FROM subjects WHERE external_id_bidx = ?1",
            [bidx],
            |r| r.get(0),
        )
        .optional()?;
    match found {
        Some(id) => {
            let id = SubjectId::parse(&id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let dk = subject_key(conn, keys, &id)?;
            Ok(Some((id, dk)))
        }
        None => Ok(None),
    }
}

/// Creates the subject with a new data key.
fn create_subject(tx: &Tx, rec: &ImportRecord) -> StoreResult<(SubjectId, DataKey)> {
    let (id, dk) = insert_subject(
        tx,
        &NewSubjectRow {
            external_id: rec.external_id.as_deref().map(str::trim),
            email: rec.email.as_deref().map(str::trim),
            // An import moves the company's own records: the address is in use at once.
            email_source: "import",
            email_pending: false,
            organization: rec.organization.as_deref().map(str::trim),
            locale: rec.locale,
            created_at: rec.given_at,
        },
    )?;
    super::outbox::emit(
        tx,
        super::outbox::kind::SUBJECT_CREATED,
        Some(&id),
        serde_json::json!({"subject": id.as_str(), "via": "import"}),
        &rec.given_at,
    )?;
    Ok((id, dk))
}
