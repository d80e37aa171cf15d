//! Rights requests (P15): recorded with their deadline, extended, marked
//! identity-verified and completed with evidence, listed open or overdue;
//! the customer's own actions recorded as requests already completed; and a
//! request fulfilled by staff (an erasure, an export) recorded against it.

use chrono::{DateTime, Utc};
use kerro_core::ids::SubjectId;
use kerro_core::rights_request::{
    check_extension, check_received, check_text, due_at, RequestChannel, RightKind,
};
use kerro_core::{Actor, CoreError, ErrorCode};
use serde::{Deserialize, Serialize};

use super::audit::{record, AuditAction};
use super::shared::{erase_in, subject_key};
use super::tx::Tx;
use super::{corrupt, new_ulid, parse_ts, ts, Store};
use crate::error::{StoreError, StoreResult};
use crate::model::ErasureSummary;
use crate::sql::{params, Conn, Row};

/// What a new request says.
#[derive(Debug, Clone)]
pub struct NewRightsRequest {
    pub subject: SubjectId,
    pub kind: RightKind,
    pub received_at: DateTime<Utc>,
    pub channel: RequestChannel,
    pub note: Option<String>,
}

/// One extension of a request's deadline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Extension {
    pub months: u32,
    pub reason: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// A rights request as recorded, with where it stands at `now`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RightsRequest {
    pub id: String,
    pub subject: SubjectId,
    pub kind: RightKind,
    pub channel: RequestChannel,
    /// Cleared when the subject is erased (the request itself stays as proof).
    pub note: Option<String>,
    pub received_at: DateTime<Utc>,
    /// One calendar month after receipt, plus the extensions.
    pub due_at: DateTime<Utc>,
    pub extensions: Vec<Extension>,
    /// `open` or `completed`.
    pub state: String,
    /// Open past its deadline.
    pub overdue: bool,
    pub identity_verified_at: Option<DateTime<Utc>>,
    pub identity_verified_by: Option<String>,
    pub completed_at: Option<DateTime<Utc>>,
    pub completed_by: Option<String>,
    pub evidence: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// Which requests to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestFilter {
    All,
    Open,
    Overdue,
}

const COLUMNS: &str = "id, subject_id, kind, channel, note, received_at, due_at, extensions, \
     identity_verified_at, identity_verified_by, completed_at, completed_by, evidence, created_by, created_at";

fn from_row(r: &Row, now: DateTime<Utc>) -> StoreResult<RightsRequest> {
    let s = |i: usize| r.get::<_, String>(i);
    let opt = |i: usize| r.get::<_, Option<String>>(i);
    let opt_ts = |i: usize| -> StoreResult<Option<DateTime<Utc>>> {
        opt(i)?.map(|t| parse_ts(&t)).transpose()
    };
    let kind = s(2)?;
    let channel = s(3)?;
    let due_at = parse_ts(&s(6)?)?;
    let completed_at = opt_ts(10)?;
    Ok(RightsRequest {
        id: s(0)?,
        subject: SubjectId::parse(&s(1)?).map_err(corrupt("request subject"))?,
        kind: RightKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("request kind '{kind}'")))?,
        channel: RequestChannel::parse(&channel)
            .ok_or_else(|| StoreError::Corrupt(format!("request channel '{channel}'")))?,
        note: opt(4)?,
        received_at: parse_ts(&s(5)?)?,
        due_at,
        extensions: serde_json::from_str(&s(7)?).map_err(corrupt("request extensions"))?,
        state: if completed_at.is_some() {
            "completed"
        } else {
            "open"
        }
        .to_owned(),
        overdue: completed_at.is_none() && due_at < now,
        identity_verified_at: opt_ts(8)?,
        identity_verified_by: opt(9)?,
        completed_at,
        completed_by: opt(11)?,
        evidence: opt(12)?,
        created_by: s(13)?,
        created_at: parse_ts(&s(14)?)?,
    })
}

fn load(conn: &Conn, id: &str, now: DateTime<Utc>) -> StoreResult<RightsRequest> {
    conn.rows(
        &format!("SELECT {COLUMNS} FROM rights_requests WHERE id = ?1"),
        [id],
    )?
    .first()
    .map(|r| from_row(r, now))
    .unwrap_or_else(|| Err(CoreError::not_found("id", "no such rights request").into()))
}

fn audit(tx: &Tx, r: &RightsRequest, change: &str) -> StoreResult<()> {
    record(
        tx,
        Some(&r.subject),
        AuditAction::RightsRequestChanged {
            request: &r.id,
            kind: r.kind.as_str(),
            change,
        },
    )
}

/// After a change to request `id`: the request as it now is, its `change` audited.
fn changed(tx: &Tx, id: &str, change: &str) -> StoreResult<RightsRequest> {
    let r = load(tx, id, tx.now)?;
    audit(tx, &r, change)?;
    Ok(r)
}

fn insert(tx: &Tx, new: &NewRightsRequest, completed: Option<&str>) -> StoreResult<String> {
    let id = format!("rr_{}", new_ulid());
    let (now, by) = (ts(&tx.now), tx.actor.label());
    let (done_at, done_by) = match completed {
        Some(_) => (Some(now.clone()), Some(by.clone())),
        None => (None, None),
    };
    tx.execute(
        "INSERT INTO rights_requests (id, subject_id, kind, channel, note, received_at, due_at,
             completed_at, completed_by, evidence, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            id.as_str(),
            new.subject.as_str(),
            new.kind.as_str(),
            new.channel.as_str(),
            new.note.as_deref(),
            ts(&new.received_at),
            ts(&due_at(new.received_at, 0)),
            done_at,
            done_by,
            completed,
            by.as_str(),
            now
        ],
    )?;
    Ok(id)
}

/// Records the subject's own action as a request already completed, with
/// the action as its evidence. Only the subject's own actions (or staff
/// acting through a subject token) count; staff actions through the API are
/// recorded against their requests instead.
pub(crate) fn self_service(
    tx: &Tx,
    subject: &SubjectId,
    kind: RightKind,
    action: &str,
) -> StoreResult<()> {
    if !matches!(tx.actor, Actor::Subject(_) | Actor::OnBehalf { .. }) {
        return Ok(());
    }
    let new = NewRightsRequest {
        subject: subject.clone(),
        kind,
        received_at: tx.now,
        channel: RequestChannel::SelfService,
        note: None,
    };
    let id = insert(tx, &new, Some(&format!("self-service: {action}")))?;
    let r = load(tx, &id, tx.now)?;
    audit(tx, &r, "completed")
}

/// Completes an open request inside a transaction.
fn complete_in(tx: &Tx, id: &str, evidence: &str) -> StoreResult<RightsRequest> {
    let r = load(tx, id, tx.now)?;
    if r.completed_at.is_some() {
        return Err(CoreError::new(ErrorCode::Conflict, "the request is completed already").into());
    }
    tx.execute(
        "UPDATE rights_requests SET completed_at = ?2, completed_by = ?3, evidence = ?4 WHERE id = ?1",
        params![id, ts(&tx.now), tx.actor.label(), evidence],
    )?;
    changed(tx, id, "completed")
}

/// An open request of one of `kinds` whose requester was verified, to be
/// fulfilled by `doing` (erasing, exporting).
fn to_fulfil(tx: &Tx, id: &str, kinds: &[RightKind], doing: &str) -> StoreResult<RightsRequest> {
    let r = load(tx, id, tx.now)?;
    if !kinds.contains(&r.kind) {
        return Err(CoreError::invalid(
            "id",
            format!("a {} request is not fulfilled by {doing}", r.kind.as_str()),
        )
        .into());
    }
    if r.completed_at.is_some() {
        return Err(CoreError::new(ErrorCode::Conflict, "the request is completed already").into());
    }
    if r.identity_verified_at.is_none() {
        return Err(CoreError::new(
            ErrorCode::Conflict,
            format!("verify the requester's identity before {doing}"),
        )
        .into());
    }
    Ok(r)
}

impl Store {
    /// Records a request received by the company; it is due one calendar
    /// month after `received_at`. The subject must exist.
    pub fn create_rights_request(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        new: NewRightsRequest,
    ) -> StoreResult<RightsRequest> {
        if new.channel == RequestChannel::SelfService {
            return Err(CoreError::invalid(
                "channel",
                "self_service requests are recorded by kerro when the customer acts",
            )
            .into());
        }
        check_received(new.received_at, now)?;
        check_text("note", new.note.as_deref().unwrap_or(""), false)?;
        self.write(actor, now, move |tx| {
            subject_key(tx, tx.keys, &new.subject).map_err(|e| match e.to_core().code {
                ErrorCode::NotFound => CoreError::not_found("subject", "no such subject").into(),
                _ => e,
            })?;
            let id = insert(tx, &new, None)?;
            let r = load(tx, &id, now)?;
            audit(tx, &r, "received")?;
            Ok(r)
        })
    }

    pub fn rights_request(&self, id: &str, now: DateTime<Utc>) -> StoreResult<RightsRequest> {
        let id = id.to_owned();
        self.read(move |conn| load(conn, &id, now))
    }

    /// Requests by due date (the soonest first), at most `limit`.
    pub fn rights_requests(
        &self,
        filter: RequestFilter,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<RightsRequest>> {
        let (clause, bound) = match filter {
            // (Every statement binds `?1`; PostgreSQL needs its type.)
            RequestFilter::All => ("CAST(?1 AS TEXT) IS NOT NULL", ts(&now)),
            RequestFilter::Open => (
                "completed_at IS NULL AND CAST(?1 AS TEXT) IS NOT NULL",
                ts(&now),
            ),
            RequestFilter::Overdue => ("completed_at IS NULL AND due_at < ?1", ts(&now)),
        };
        self.read(move |conn| {
            conn.rows(
                &format!(
                    "SELECT {COLUMNS} FROM rights_requests WHERE {clause} ORDER BY due_at, id LIMIT ?2"
                ),
                params![bound, i64::from(limit)],
            )?
            .iter()
            .map(|r| from_row(r, now))
            .collect()
        })
    }

    /// A subject's requests, the newest first (for their export and the staff).
    pub fn rights_requests_of(
        &self,
        subject: &SubjectId,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<RightsRequest>> {
        let subject = subject.clone();
        self.read(move |conn| {
            conn.rows(
                &format!("SELECT {COLUMNS} FROM rights_requests WHERE subject_id = ?1 ORDER BY received_at DESC, id DESC"),
                [subject.as_str()],
            )?
            .iter()
            .map(|r| from_row(r, now))
            .collect()
        })
    }

    /// Extends an open request's deadline by 1 or 2 months, with a reason; at
    /// most 3 months after receipt in all.
    pub fn extend_rights_request(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        months: u32,
        reason: &str,
    ) -> StoreResult<RightsRequest> {
        let (id, reason) = (id.to_owned(), reason.trim().to_owned());
        self.write(actor, now, move |tx| {
            let r = load(tx, &id, now)?;
            let extended: u32 = r.extensions.iter().map(|e| e.months).sum();
            check_extension(months, extended, &reason, r.completed_at.is_none())?;
            let mut extensions = r.extensions.clone();
            extensions.push(Extension {
                months,
                reason,
                by: tx.actor.label(),
                at: now,
            });
            let total = extended + months;
            tx.execute(
                "UPDATE rights_requests SET extensions = ?2, extended_months = ?3, due_at = ?4 WHERE id = ?1",
                params![
                    id.as_str(),
                    serde_json::to_string(&extensions).map_err(corrupt("extensions"))?,
                    i64::from(total),
                    ts(&due_at(r.received_at, total))
                ],
            )?;
            changed(tx, &id, "extended")
        })
    }

    /// Records that the requester's identity was verified (once).
    pub fn verify_rights_request(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
    ) -> StoreResult<RightsRequest> {
        let id = id.to_owned();
        self.write(actor, now, move |tx| {
            let r = load(tx, &id, now)?;
            if r.identity_verified_at.is_some() {
                return Err(CoreError::new(
                    ErrorCode::Conflict,
                    "the requester's identity is verified already",
                )
                .into());
            }
            tx.execute(
                "UPDATE rights_requests SET identity_verified_at = ?2, identity_verified_by = ?3 WHERE id = ?1",
                params![id.as_str(), ts(&now), tx.actor.label()],
            )?;
            changed(tx, &id, "identity_verified")
        })
    }

    /// Completes an open request with the evidence of what was done.
    pub fn complete_rights_request(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        evidence: &str,
    ) -> StoreResult<RightsRequest> {
        let evidence = evidence.trim().to_owned();
        check_text("evidence", &evidence, true)?;
        let id = id.to_owned();
        self.write(actor, now, move |tx| complete_in(tx, &id, &evidence))
    }

    /// Fulfils an open erasure request: erases its subject and completes the
    /// request in one transaction, the summary as its evidence.
    pub fn fulfil_erasure(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
    ) -> StoreResult<(RightsRequest, ErasureSummary)> {
        let id = id.to_owned();
        let done = self.write(actor, now, move |tx| {
            let r = to_fulfil(tx, &id, &[RightKind::Erasure], "erasing")?;
            let summary = erase_in(tx, &r.subject)?;
            let evidence = format!(
                "erased by staff: {} declarations deleted, {} tokens revoked, {} consent events kept as proof",
                summary.declarations_deleted, summary.tokens_revoked, summary.consent_events_kept
            );
            Ok((complete_in(tx, &id, &evidence)?, summary))
        })?;
        self.after_erasure();
        Ok(done)
    }

    /// Records an export staff made for an open access or portability
    /// request (the export itself is audited as a read with its reason).
    pub fn fulfil_export(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
    ) -> StoreResult<RightsRequest> {
        let id = id.to_owned();
        self.write(actor, now, move |tx| {
            to_fulfil(
                tx,
                &id,
                &[RightKind::Access, RightKind::Portability],
                "exporting",
            )?;
            complete_in(tx, &id, "export (JSON) made by staff for the requester")
        })
    }
}
