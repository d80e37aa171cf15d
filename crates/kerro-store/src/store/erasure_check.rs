//! Erasure that reaches backups (P13): a subject whose data key is gone from
//! the key store cannot be read, whatever backup its rows came back from.
//! Finding such subjects and removing their rows (keeping the ledger, and
//! recording the erasure again) happens at a server's start and with
//! `kerro db check-erasures`.

use chrono::{DateTime, Utc};
use kerro_core::{Actor, SubjectId};

use super::shared::erase_rows;
use super::Store;
use crate::error::StoreResult;

impl Store {
    /// Removes every subject whose key is gone; returns their ids.
    pub fn check_erasures(&self, actor: &Actor, now: DateTime<Utc>) -> StoreResult<Vec<SubjectId>> {
        let raw: Vec<String> = self.read(|conn| {
            conn.query_map(
                "SELECT id FROM subjects
                 WHERE id NOT IN (SELECT subject_id FROM kerro_keys.subject_keys) ORDER BY id",
                (),
                |r| r.get(0),
            )?
            .collect()
        })?;
        let ids: Vec<SubjectId> = raw
            .iter()
            .filter_map(|s| SubjectId::parse(s).ok())
            .collect();
        if ids.is_empty() {
            return Ok(ids);
        }
        let gone = ids.clone();
        self.write(actor, now, move |tx| {
            for id in &gone {
                erase_rows(tx, id)?;
            }
            Ok(())
        })?;
        self.after_erasure();
        Ok(ids)
    }
}
