//! The recipients register (P21): creating, replacing and deleting a
//! recipient, in the schema snapshot beside the purposes that name it. A
//! change renames the recipient on every notice that shows it (a new notice
//! version) and makes a new version of the record of processing activities;
//! a recipient a purpose names cannot be deleted. Reads come from the
//! snapshot in memory.

use chrono::{DateTime, Utc};
use kerro_core::ids::RecipientKey;
use kerro_core::recipient::RecipientSpec;
use kerro_core::{Actor, CoreError, ErrorCode};

use super::audit::{record, AuditAction};
use super::schema_ops::{bump_notices, load_snapshot, to_json};
use super::{ts, Store};
use crate::error::StoreResult;
use crate::sql::params;

impl Store {
    /// Creates or replaces a recipient; returns `true` when it was new.
    pub fn put_recipient(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        key: RecipientKey,
        spec: RecipientSpec,
    ) -> StoreResult<bool> {
        spec.validate()?;
        self.write(actor, now, move |tx| {
            let mut snap = load_snapshot(tx)?;
            let mut spec = spec;
            spec.name = spec.name.trim().to_owned();
            let created = snap
                .schema
                .recipients
                .insert(key.clone(), spec.clone())
                .is_none();
            tx.execute(
                "INSERT INTO recipients (key, spec, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(key) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at",
                params![key.as_str(), to_json(&spec)?, ts(&now)],
            )?;
            bump_notices(tx, &mut snap, &now, None)?;
            super::records::bump(tx, &snap.schema, &now)?;
            let kind = if created {
                "recipient_created"
            } else {
                "recipient_replaced"
            };
            record(tx, None, AuditAction::SchemaChanged { kind, key: key.as_str() })?;
            tx.schema_changed(snap);
            Ok(created)
        })
    }

    /// Deletes a recipient no purpose names (409 `conflict` while one does).
    pub fn delete_recipient(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        key: RecipientKey,
    ) -> StoreResult<()> {
        self.write(actor, now, move |tx| {
            let mut snap = load_snapshot(tx)?;
            if snap.schema.recipients.remove(&key).is_none() {
                return Err(CoreError::not_found("key", "no such recipient").into());
            }
            if let Some((p, _)) = snap
                .schema
                .purposes
                .iter()
                .find(|(_, p)| p.recipients.iter().any(|r| r == key.as_str()))
            {
                return Err(CoreError::at(
                    ErrorCode::Conflict,
                    "key",
                    format!("purpose '{p}' names this recipient: take it out of the purpose first"),
                )
                .into());
            }
            tx.execute("DELETE FROM recipients WHERE key = ?1", [key.as_str()])?;
            super::records::bump(tx, &snap.schema, &now)?;
            record(
                tx,
                None,
                AuditAction::SchemaChanged {
                    kind: "recipient_deleted",
                    key: key.as_str(),
                },
            )?;
            tx.schema_changed(snap);
            Ok(())
        })
    }

    /// Every registered recipient, by key.
    pub fn recipients(&self) -> Vec<(RecipientKey, RecipientSpec)> {
        self.schema()
            .schema
            .recipients
            .iter()
            .map(|(k, s)| (k.clone(), s.clone()))
            .collect()
    }

    pub fn recipient(&self, key: &RecipientKey) -> StoreResult<RecipientSpec> {
        self.schema()
            .schema
            .recipients
            .get(key)
            .cloned()
            .ok_or_else(|| CoreError::not_found("key", "no such recipient").into())
    }
}
