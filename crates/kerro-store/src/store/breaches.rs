//! The breach register as storage sees it (P25): recording a breach with
//! its 72-hour deadline, the append-only, phased history of updates that
//! amend its current view, the notification to the authority, the subjects
//! of its newest scope (computed from the audit log in `breach_scope`) and
//! the art. 34 messages sent to them. The rules are `kerro_core::breach`'s;
//! composing and sending mail is the binary's. Every change, and every
//! download of the subjects' ids, is audited in the same transaction.

use chrono::{DateTime, Utc};
use kerro_core::breach::{self, Amendment, Report, Stage};
use kerro_core::{Actor, CoreError, ErrorCode, Lang, SubjectId};
use serde::Serialize;
use serde_json::{json, Value};

use super::audit::{record, AuditAction};
use super::tx::Tx;
use super::{corrupt, new_ulid, parse_ts, ts, Store};
use crate::error::StoreResult;
use crate::sql::{params, Conn, OptionalExtension, Row};

/// Breach ids start with this.
pub const BREACH_PREFIX: &str = "brc_";

/// A breach as the register shows it: the current view, with its history.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Breach {
    /// `brc_` and 26 characters.
    pub id: String,
    /// When the controller became aware of the breach.
    pub aware_at: DateTime<Utc>,
    /// `aware_at` + 72 h: when the authority must be notified by (art. 33(1)).
    pub deadline: DateTime<Utc>,
    pub nature: String,
    pub data_categories: Vec<String>,
    pub subject_categories: Vec<String>,
    pub approx_subjects: Option<u64>,
    pub approx_records: Option<u64>,
    pub contact_point: String,
    pub likely_consequences: String,
    pub measures: String,
    /// `investigating`, `contained` or `resolved`.
    pub stage: String,
    /// The notification to the supervisory authority, once made.
    pub notification: Option<AuthorityNotification>,
    /// The newest affected-subjects scope, once computed.
    pub scope: Option<BreachScope>,
    /// The art. 34 messages to the scoped subjects so far.
    pub messages: MessageCounts,
    /// Phase 0 is the report as recorded; each later phase one update, oldest first.
    pub updates: Vec<BreachUpdate>,
    /// The staff member or token that recorded it (as the audit log names actors).
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl Breach {
    /// The report as it stands.
    pub fn report(&self) -> Report {
        Report {
            nature: self.nature.clone(),
            data_categories: self.data_categories.clone(),
            subject_categories: self.subject_categories.clone(),
            approx_subjects: self.approx_subjects,
            approx_records: self.approx_records,
            contact_point: self.contact_point.clone(),
            likely_consequences: self.likely_consequences.clone(),
            measures: self.measures.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthorityNotification {
    /// The authority's reference (case number) for the notification.
    pub authority_ref: String,
    pub notified_at: DateTime<Utc>,
    /// Whether it was made after the deadline.
    pub late: bool,
    /// Why it is late (required when it is).
    pub late_reason: Option<String>,
    pub recorded_by: String,
}

/// One entry of a breach's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BreachUpdate {
    /// 0 for the report as recorded, then 1, 2, ... in order.
    pub phase: u32,
    /// The server's time when it was recorded.
    pub at: DateTime<Utc>,
    pub by: String,
    pub text: String,
    /// The fields it set, with their new values.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub changes: Value,
}

/// An affected-subjects scope: the query and what the audit log says.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BreachScope {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The staff or token ids it was narrowed to (empty: any actor).
    pub actors: Vec<String>,
    /// The fields it was narrowed to (empty: any).
    pub fields: Vec<String>,
    /// Distinct subjects whose personal data those actors read or exported in the window.
    pub subjects: u64,
    /// Distinct records (a subject's field) read or exported, plus those of audience exports.
    pub records: u64,
    /// Audit entries that matched.
    pub entries: u64,
    /// Subjects of audience exports, which the audit log counts but does not name.
    pub unnamed_subjects: u64,
    /// Whether the audit log's hash chain (and its signed checkpoints) verified
    /// when the scope was computed; if not, the log may have been tampered with.
    #[serde(default)]
    pub audit_log_intact: bool,
    pub computed_at: DateTime<Utc>,
    pub computed_by: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageCounts {
    /// Subjects a message reached the mail server for.
    pub sent: u64,
    pub failed: u64,
    pub skipped: u64,
}

/// One art. 34 message, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BreachMessage {
    pub subject: String,
    /// The language it was written in (none when skipped before composing).
    pub lang: Option<String>,
    /// `sent`, `failed` or `skipped`.
    pub outcome: String,
    /// Why it failed or was skipped (`no_verified_email`, `erased`, the mail error).
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
    pub by: String,
}

/// A scoped subject to write to: the address in use, if any, and its language.
#[derive(Debug, Clone)]
pub struct BreachRecipient {
    pub subject: SubjectId,
    pub email: Option<String>,
    pub language: Lang,
    pub erased: bool,
}

/// What became of the message to one recipient.
#[derive(Debug, Clone)]
pub struct MessageOutcome {
    pub subject: SubjectId,
    pub lang: Option<Lang>,
    /// `sent`, `failed` or `skipped`.
    pub outcome: &'static str,
    pub reason: Option<String>,
}

fn list_of(raw: &str) -> StoreResult<Vec<String>> {
    serde_json::from_str(raw).map_err(corrupt("breach categories"))
}

fn breach_from_row(r: &Row) -> StoreResult<Breach> {
    let notified: Option<String> = r.get(13)?;
    let notification = match notified {
        Some(at) => Some(AuthorityNotification {
            authority_ref: r.get::<_, Option<String>>(12)?.unwrap_or_default(),
            notified_at: parse_ts(&at)?,
            late: false,
            late_reason: r.get(14)?,
            recorded_by: r.get::<_, Option<String>>(15)?.unwrap_or_default(),
        }),
        None => None,
    };
    let scope: Option<String> = r.get(16)?;
    let aware_at = parse_ts(&r.get::<_, String>(1)?)?;
    let notification = notification.map(|n| AuthorityNotification {
        late: breach::is_late(aware_at, n.notified_at),
        ..n
    });
    Ok(Breach {
        id: r.get(0)?,
        aware_at,
        deadline: parse_ts(&r.get::<_, String>(2)?)?,
        nature: r.get(3)?,
        data_categories: list_of(&r.get::<_, String>(4)?)?,
        subject_categories: list_of(&r.get::<_, String>(5)?)?,
        approx_subjects: r.get(6)?,
        approx_records: r.get(7)?,
        contact_point: r.get(8)?,
        likely_consequences: r.get(9)?,
        measures: r.get(10)?,
        stage: r.get(11)?,
        notification,
        scope: scope
            .map(|s| serde_json::from_str(&s).map_err(corrupt("breach scope")))
            .transpose()?,
        messages: MessageCounts::default(),
        updates: Vec::new(),
        created_by: r.get(17)?,
        created_at: parse_ts(&r.get::<_, String>(18)?)?,
    })
}

const COLUMNS: &str = "id, aware_at, deadline, nature, data_categories, subject_categories, \
     approx_subjects, approx_records, contact_point, likely_consequences, measures, stage, \
     authority_ref, notified_at, late_reason, notified_by, scope, created_by, created_at";

fn updates_of(conn: &Conn, id: &str) -> StoreResult<Vec<BreachUpdate>> {
    conn.query_map(
        "SELECT phase, at, actor, text, changes FROM breach_updates WHERE breach_id = ?1 ORDER BY phase",
        [id],
        |r| {
            Ok(BreachUpdate {
                phase: r.get(0)?,
                at: parse_ts(&r.get::<_, String>(1)?)?,
                by: r.get(2)?,
                text: r.get(3)?,
                changes: serde_json::from_str(&r.get::<_, String>(4)?)
                    .map_err(corrupt("breach update"))?,
            })
        },
    )?
    .collect()
}

fn counts_of(conn: &Conn, id: &str) -> StoreResult<MessageCounts> {
    let mut c = MessageCounts::default();
    // A subject counts once, by its newest message.
    let rows = conn.rows(
        "SELECT m.outcome, COUNT(*) FROM breach_messages m
         WHERE m.breach_id = ?1 AND m.seq = (SELECT MAX(n.seq) FROM breach_messages n
                                              WHERE n.breach_id = m.breach_id AND n.subject_id = m.subject_id)
         GROUP BY m.outcome",
        [id],
    )?;
    for r in &rows {
        let n: u64 = r.get(1)?;
        match r.get::<_, String>(0)?.as_str() {
            "sent" => c.sent = n,
            "failed" => c.failed = n,
            _ => c.skipped = n,
        }
    }
    Ok(c)
}

pub(crate) fn load_breach(conn: &Conn, id: &str) -> StoreResult<Option<Breach>> {
    let found = conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM breaches WHERE id = ?1"),
            [id],
            breach_from_row,
        )
        .optional()?;
    let Some(mut b) = found else {
        return Ok(None);
    };
    b.updates = updates_of(conn, id)?;
    b.messages = counts_of(conn, id)?;
    Ok(Some(b))
}

pub(crate) fn breach_or_404(conn: &Conn, id: &str) -> StoreResult<Breach> {
    load_breach(conn, id)?.ok_or_else(|| {
        let shown: String = id.chars().take(40).collect();
        CoreError::not_found("id", format!("no breach '{shown}'")).into()
    })
}

fn cats(list: &[String]) -> String {
    json!(list).to_string()
}

fn next_phase(tx: &Tx, id: &str) -> StoreResult<u32> {
    let n: Option<i64> = tx.query_row(
        "SELECT MAX(phase) FROM breach_updates WHERE breach_id = ?1",
        [id],
        |r| r.get(0),
    )?;
    Ok(n.map_or(0, |n| u32::try_from(n + 1).unwrap_or(u32::MAX)))
}

fn changes_of(a: &Amendment) -> Value {
    serde_json::to_value(a).unwrap_or_default()
}

impl Store {
    /// Records a breach the controller became aware of at `aware_at` (not
    /// after `now`); its deadline is `aware_at` + 72 h.
    pub fn create_breach(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        aware_at: DateTime<Utc>,
        report: Report,
    ) -> StoreResult<Breach> {
        breach::check_report(aware_at, &report, now)?;
        let id = format!("{BREACH_PREFIX}{}", new_ulid());
        let by = actor.label();
        self.write(actor, now, move |tx| {
            let r = &report;
            tx.execute(
                &format!("INSERT INTO breaches ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, NULL, NULL, NULL, NULL, NULL, ?13, ?14)"),
                params![
                    id.as_str(),
                    ts(&aware_at),
                    ts(&breach::deadline(aware_at)),
                    r.nature.as_str(),
                    cats(&r.data_categories),
                    cats(&r.subject_categories),
                    r.approx_subjects,
                    r.approx_records,
                    r.contact_point.as_str(),
                    r.likely_consequences.as_str(),
                    r.measures.as_str(),
                    Stage::Investigating.as_str(),
                    by.as_str(),
                    ts(&now)
                ],
            )?;
            let recorded = changes_of(&Amendment {
                nature: Some(r.nature.clone()),
                data_categories: Some(r.data_categories.clone()),
                subject_categories: Some(r.subject_categories.clone()),
                approx_subjects: r.approx_subjects,
                approx_records: r.approx_records,
                contact_point: Some(r.contact_point.clone()),
                likely_consequences: Some(r.likely_consequences.clone()),
                measures: Some(r.measures.clone()),
                stage: Some(Stage::Investigating),
            });
            let mut recorded = recorded;
            recorded["aware_at"] = json!(ts(&aware_at));
            tx.execute(
                "INSERT INTO breach_updates (breach_id, phase, at, actor, text, changes) VALUES (?1, 0, ?2, ?3, ?4, ?5)",
                params![id.as_str(), ts(&now), by.as_str(), "recorded", recorded.to_string()],
            )?;
            record(tx, None, AuditAction::BreachRecorded { breach: &id })?;
            breach_or_404(tx, &id)
        })
    }

    /// Every breach, the newest known first.
    pub fn breaches(&self) -> StoreResult<Vec<Breach>> {
        self.read(|conn| {
            let ids: Vec<String> = conn
                .query_map(
                    "SELECT id FROM breaches ORDER BY aware_at DESC, id DESC",
                    (),
                    |r| r.get(0),
                )?
                .collect::<StoreResult<_>>()?;
            ids.iter().map(|id| breach_or_404(conn, id)).collect()
        })
    }

    /// One breach; `not_found` for an unknown id.
    pub fn breach(&self, id: &str) -> StoreResult<Breach> {
        let id = id.to_owned();
        self.read(move |conn| breach_or_404(conn, &id))
    }

    /// Appends an update (the next phase) at `now`; the fields it names amend the current view.
    pub fn update_breach(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        text: String,
        amendment: Amendment,
    ) -> StoreResult<Breach> {
        breach::check_update(&text, &amendment)?;
        let (id, by) = (id.to_owned(), actor.label());
        self.write(actor, now, move |tx| {
            let current = breach_or_404(tx, &id)?;
            let r = current.report().amended(&amendment);
            let stage = amendment
                .stage
                .map(Stage::as_str)
                .unwrap_or(current.stage.as_str());
            tx.execute(
                "UPDATE breaches SET nature = ?2, data_categories = ?3, subject_categories = ?4,
                   approx_subjects = ?5, approx_records = ?6, contact_point = ?7,
                   likely_consequences = ?8, measures = ?9, stage = ?10 WHERE id = ?1",
                params![
                    id.as_str(),
                    r.nature.as_str(),
                    cats(&r.data_categories),
                    cats(&r.subject_categories),
                    r.approx_subjects,
                    r.approx_records,
                    r.contact_point.as_str(),
                    r.likely_consequences.as_str(),
                    r.measures.as_str(),
                    stage
                ],
            )?;
            let phase = next_phase(tx, &id)?;
            tx.execute(
                "INSERT INTO breach_updates (breach_id, phase, at, actor, text, changes) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id.as_str(), phase, ts(&now), by.as_str(), text.as_str(), changes_of(&amendment).to_string()],
            )?;
            let fields = amendment
                .fields()
                .into_iter()
                .map(str::to_owned)
                .collect();
            record(
                tx,
                None,
                AuditAction::BreachUpdated {
                    breach: &id,
                    phase,
                    changed: fields,
                },
            )?;
            breach_or_404(tx, &id)
        })
    }

    /// Records the notification to the supervisory authority (once); one
    /// after the deadline needs `late_reason`.
    pub fn notify_breach(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        authority_ref: String,
        notified_at: DateTime<Utc>,
        late_reason: Option<String>,
    ) -> StoreResult<Breach> {
        let (id, by) = (id.to_owned(), actor.label());
        self.write(actor, now, move |tx| {
            let current = breach_or_404(tx, &id)?;
            let late = breach::check_notification(
                current.aware_at,
                notified_at,
                &authority_ref,
                late_reason.as_deref(),
                now,
            )?;
            if current.notification.is_some() {
                return Err(CoreError::at(
                    ErrorCode::Conflict,
                    "notified_at",
                    "the authority's notification is recorded already; add an update instead",
                )
                .into());
            }
            tx.execute(
                "UPDATE breaches SET authority_ref = ?2, notified_at = ?3, late_reason = ?4, notified_by = ?5 WHERE id = ?1",
                params![id.as_str(), authority_ref.as_str(), ts(&notified_at), late_reason.as_deref(), by.as_str()],
            )?;
            record(tx, None, AuditAction::BreachNotified { breach: &id, late })?;
            breach_or_404(tx, &id)
        })
    }

    /// The ids of the subjects of the breach's newest scope; the download is audited.
    pub fn breach_subject_ids(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
    ) -> StoreResult<Vec<String>> {
        let id = id.to_owned();
        self.write(actor, now, move |tx| {
            breach_or_404(tx, &id)?;
            let ids = scoped_ids(tx, &id)?;
            record(
                tx,
                None,
                AuditAction::BreachSubjectsExported {
                    breach: &id,
                    count: ids.len() as u64,
                },
            )?;
            Ok(ids)
        })
    }

    /// The scoped subjects no art. 34 message reached yet, with the address
    /// in use and the language each is written to in. Reading an address is
    /// audited with the outcome of its message (`record_breach_messages`).
    pub fn breach_recipients(&self, id: &str) -> StoreResult<Vec<BreachRecipient>> {
        let id = id.to_owned();
        let keys = self.keys();
        let ids = self.read(move |conn| {
            let b = breach_or_404(conn, &id)?;
            if b.scope.is_none() {
                return Err(CoreError::at(
                    ErrorCode::Conflict,
                    "scope",
                    "compute the breach's affected subjects first (POST .../scope)",
                )
                .into());
            }
            let rows = conn.rows(
                "SELECT s.subject_id FROM breach_subjects s WHERE s.breach_id = ?1
                 AND NOT EXISTS (SELECT 1 FROM breach_messages m WHERE m.breach_id = s.breach_id
                                 AND m.subject_id = s.subject_id AND m.outcome = 'sent')
                 ORDER BY s.subject_id",
                [id.as_str()],
            )?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let raw: String = r.get(0)?;
                let subject = SubjectId::parse(&raw).map_err(corrupt("breach subject"))?;
                let erased = super::shared::subject_key(conn, &keys, &subject).is_err();
                let email = if erased {
                    None
                } else {
                    super::shared::email_of(conn, &keys, &subject)?
                };
                out.push((subject, email, erased));
            }
            Ok(out)
        })?;
        let default = self.default_lang();
        ids.into_iter()
            .map(|(subject, email, erased)| {
                let language = if erased {
                    default
                } else {
                    self.subject_locale(&subject)?.unwrap_or(default)
                };
                Ok(BreachRecipient {
                    subject,
                    email,
                    language,
                    erased,
                })
            })
            .collect()
    }

    /// Records what became of each art. 34 message, by `actor` at `now`,
    /// each with its audit entry naming the subject.
    pub fn record_breach_messages(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        outcomes: Vec<MessageOutcome>,
    ) -> StoreResult<Vec<BreachMessage>> {
        let (id, by) = (id.to_owned(), actor.label());
        self.write(actor, now, move |tx| {
            breach_or_404(tx, &id)?;
            let last: Option<i64> = tx.query_row(
                "SELECT MAX(seq) FROM breach_messages WHERE breach_id = ?1",
                [id.as_str()],
                |r| r.get(0),
            )?;
            let mut seq = last.unwrap_or(0);
            let mut out = Vec::with_capacity(outcomes.len());
            for o in &outcomes {
                seq += 1;
                let lang = o.lang.map(Lang::as_str);
                tx.defer(
                    "INSERT INTO breach_messages (breach_id, seq, subject_id, lang, outcome, reason, actor, at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![id.as_str(), seq, o.subject.as_str(), lang, o.outcome, o.reason.as_deref(), by.as_str(), ts(&now)],
                )?;
                record(
                    tx,
                    Some(&o.subject),
                    AuditAction::BreachSubjectMessaged {
                        breach: &id,
                        outcome: o.outcome,
                        email_read: o.lang.is_some(),
                    },
                )?;
                out.push(BreachMessage {
                    subject: o.subject.as_str().to_owned(),
                    lang: lang.map(str::to_owned),
                    outcome: o.outcome.to_owned(),
                    reason: o.reason.clone(),
                    at: now,
                    by: by.clone(),
                });
            }
            Ok(out)
        })
    }

    /// Every art. 34 message of a breach, oldest first.
    pub fn breach_messages(&self, id: &str) -> StoreResult<Vec<BreachMessage>> {
        let id = id.to_owned();
        self.read(move |conn| {
            breach_or_404(conn, &id)?;
            conn.query_map(
                "SELECT subject_id, lang, outcome, reason, at, actor FROM breach_messages WHERE breach_id = ?1 ORDER BY seq",
                [id.as_str()],
                |r| {
                    Ok(BreachMessage {
                        subject: r.get(0)?,
                        lang: r.get(1)?,
                        outcome: r.get(2)?,
                        reason: r.get(3)?,
                        at: parse_ts(&r.get::<_, String>(4)?)?,
                        by: r.get(5)?,
                    })
                },
            )?
            .collect()
        })
    }
}

/// The subject ids of a breach's newest scope, in order.
pub(crate) fn scoped_ids(conn: &Conn, id: &str) -> StoreResult<Vec<String>> {
    conn.query_map(
        "SELECT subject_id FROM breach_subjects WHERE breach_id = ?1 ORDER BY subject_id",
        [id],
        |r| r.get(0),
    )?
    .collect()
}
