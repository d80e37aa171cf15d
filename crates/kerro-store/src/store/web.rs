//! What the customer-facing pages need from storage besides signing in
//! (`sessions`) and the admin overview (`stats`): the language a subject is
//! addressed in, the Global Privacy Control objection, the subject's own
//! downloads for the audit log, and the versions of the privacy policy.

use crate::sql::{params, Conn, OptionalExtension};
use chrono::{DateTime, Utc};
use kerro_core::ids::SubjectId;
use kerro_core::rights_request::RightKind;
use kerro_core::{Actor, Lang};

use super::audit::{record, AuditAction};
use super::rights_requests::self_service;
use super::shared::{object_to_sharing_in, subject_key, subject_lang};
use super::{parse_ts, ts, Store};
use crate::error::StoreResult;

/// One version of the public privacy policy.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyVersion {
    pub version: u32,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

impl Store {
    /// The language a subject asked to be addressed in, else the locale it was created with.
    pub fn subject_locale(&self, id: &SubjectId) -> StoreResult<Option<Lang>> {
        let id = id.clone();
        self.read(move |conn| subject_lang(conn, &id))
    }

    /// Whether the subject objected to sharing (P17), read without writing.
    pub fn objected_sharing(&self, id: &SubjectId) -> StoreResult<bool> {
        let id = id.clone();
        self.read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT objected_sharing FROM subjects WHERE id = ?1",
                    [id.as_str()],
                    |r| r.get::<_, bool>(0),
                )
                .optional()?
                .unwrap_or(false))
        })
    }

    /// Records an objection to sharing or sale (P17), e.g. from `Sec-GPC: 1`; audited.
    /// Returns `true` if it was not recorded before.
    pub fn object_to_sharing(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &SubjectId,
        signal: &'static str,
    ) -> StoreResult<bool> {
        let (actor, id) = (actor.clone(), id.clone());
        self.write(&actor, now, move |tx| {
            subject_key(tx, tx.keys, &id)?;
            object_to_sharing_in(tx, &id, signal)
        })
    }

    /// Writes a subject's own download of its data to the audit log (a rights request).
    pub fn note_export(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &SubjectId,
    ) -> StoreResult<()> {
        let (actor, id) = (actor.clone(), id.clone());
        self.write(&actor, now, move |tx| {
            record(tx, Some(&id), AuditAction::DataExported)?;
            self_service(tx, &id, RightKind::Access, "downloaded their data (JSON)")
        })
    }

    /// Every version of the privacy policy, oldest first; records a new version first when
    /// `sha256` (of the policy as generated now) differs from the newest one.
    pub fn privacy_policy_versions(
        &self,
        now: DateTime<Utc>,
        sha256: &str,
    ) -> StoreResult<Vec<PolicyVersion>> {
        let load =
            |conn: &Conn| -> StoreResult<Vec<PolicyVersion>> {
                let rows = conn.query_map(
                "SELECT version, sha256, created_at FROM privacy_policy_versions ORDER BY version",
(), |r| {
                Ok((
                    r.get::<_, u32>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?;
                let mut out = Vec::new();
                for row in rows {
                    let (version, sha256, created) = row?;
                    out.push(PolicyVersion {
                        version,
                        sha256,
                        created_at: parse_ts(&created)?,
                    });
                }
                Ok(out)
            };
        let versions = self.read(load)?;
        if versions.last().is_some_and(|v| v.sha256 == sha256) {
            return Ok(versions);
        }
        let sha256 = sha256.to_owned();
        self.write(&Actor::System("privacy-policy".into()), now, move |tx| {
            let current = load(tx)?;
            if current.last().is_some_and(|v| v.sha256 == sha256) {
                return Ok(current);
            }
            tx.execute(
                "INSERT INTO privacy_policy_versions (version, sha256, created_at) VALUES (?1, ?2, ?3)",
                params![current.len() as u32 + 1, sha256, ts(&now)],
            )?;
            load(tx)
        })
    }
}
