//! Versions of the record of processing activities (P22). Each version
//! keeps its inputs exactly as they were: the purposes, attributes and
//! recipients (written in the same transaction as the schema change that
//! made them) and the configured identity and security measures (noted by
//! `serve` when they change). A change that leaves the inputs as they were,
//! e.g. a form's, makes no version. Building and rendering the record is
//! the core's and the server's.

use chrono::{DateTime, Utc};
use kerro_core::notice::sha256_hex;
use kerro_core::records::{RecordsContext, RecordsInputs};
use kerro_core::schema::Schema;
use kerro_core::{Actor, CoreError};
use serde::Serialize;

use super::audit::{record, AuditAction};
use super::schema_ops::load_snapshot;
use super::{corrupt, parse_ts, ts, Store};
use crate::error::StoreResult;
use crate::sql::{params, Conn, OptionalExtension};

/// The most versions one list answers with (the newest).
const LIST_MAX: u32 = 1000;

/// A version, as the list of versions shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordsVersion {
    pub version: u32,
    pub created_at: DateTime<Utc>,
    /// SHA-256 of the version's inputs.
    pub sha256: String,
}

/// A version's inputs, to build the record from.
#[derive(Debug, Clone)]
pub struct StoredRecords {
    /// 0 when no version was made yet (then the inputs are the current schema's).
    pub version: u32,
    pub created_at: Option<DateTime<Utc>>,
    pub inputs: RecordsInputs,
    /// `None` until `serve` noted the configuration: use the current one.
    pub context: Option<RecordsContext>,
}

struct Latest {
    version: u32,
    inputs: String,
    context: Option<String>,
}

fn latest(conn: &Conn) -> StoreResult<Option<Latest>> {
    conn.query_row(
        "SELECT version, inputs, context FROM records_versions ORDER BY version DESC LIMIT 1",
        (),
        |r| {
            Ok(Latest {
                version: r.get(0)?,
                inputs: r.get(1)?,
                context: r.get(2)?,
            })
        },
    )
    .optional()
}

fn insert(
    conn: &Conn,
    version: u32,
    inputs: &str,
    context: Option<&str>,
    now: &DateTime<Utc>,
) -> StoreResult<()> {
    let sha = sha256_hex(format!("{inputs}\n{}", context.unwrap_or("")).as_bytes());
    conn.execute(
        "INSERT INTO records_versions (version, inputs, context, sha256, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![version, inputs, context.map(str::to_owned), sha, ts(now)],
    )?;
    Ok(())
}

/// Makes the next version if `schema`'s purposes, attributes or recipients
/// differ from the latest version's; called in the transaction of the change.
pub(crate) fn bump(conn: &Conn, schema: &Schema, now: &DateTime<Utc>) -> StoreResult<()> {
    let inputs = RecordsInputs::of(schema).canonical();
    let last = latest(conn)?;
    if last.as_ref().is_some_and(|l| l.inputs == inputs) {
        return Ok(());
    }
    let (version, context) = match last {
        Some(l) => (l.version + 1, l.context),
        None => (1, None),
    };
    insert(conn, version, &inputs, context.as_deref(), now)
}

impl Store {
    /// Notes the configured identity and security measures; makes a new
    /// version (returned) when they differ from the latest version's, or
    /// when there is none yet.
    pub fn note_records_context(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        context: RecordsContext,
    ) -> StoreResult<Option<u32>> {
        let text = serde_json::to_string(&context).map_err(corrupt("records context"))?;
        self.write(actor, now, move |tx| {
            let last = latest(tx)?;
            if last
                .as_ref()
                .is_some_and(|l| l.context.as_deref() == Some(text.as_str()))
            {
                return Ok(None);
            }
            let (version, inputs) = match last {
                Some(l) => (l.version + 1, l.inputs),
                None => (1, RecordsInputs::of(&load_snapshot(tx)?.schema).canonical()),
            };
            insert(tx, version, &inputs, Some(&text), &now)?;
            record(
                tx,
                None,
                AuditAction::SchemaChanged {
                    kind: "records_context",
                    key: "configuration",
                },
            )?;
            Ok(Some(version))
        })
    }

    /// The versions, the newest first (at most 1000).
    pub fn records_versions(&self) -> StoreResult<Vec<RecordsVersion>> {
        self.read(|conn| {
            let rows = conn.query_map(
                "SELECT version, created_at, sha256 FROM records_versions ORDER BY version DESC LIMIT ?1",
                [LIST_MAX],
                |r| Ok((r.get::<_, u32>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)),
            )?;
            let mut out = Vec::new();
            for row in rows {
                let (version, created, sha256) = row?;
                out.push(RecordsVersion {
                    version,
                    created_at: parse_ts(&created)?,
                    sha256,
                });
            }
            Ok(out)
        })
    }

    /// Version `version`'s inputs, or the latest's (`None`); 404 for a version never made.
    pub fn records_version(&self, version: Option<u32>) -> StoreResult<StoredRecords> {
        let found = self.read(move |conn| {
            let sql = "SELECT version, inputs, context, created_at FROM records_versions";
            let read = |r: &crate::sql::Row| {
                Ok((
                    r.get::<_, u32>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                ))
            };
            Ok(match version {
                Some(v) => conn
                    .query_row(&format!("{sql} WHERE version = ?1"), [v], read)
                    .optional()?,
                None => conn
                    .query_row(&format!("{sql} ORDER BY version DESC LIMIT 1"), (), read)
                    .optional()?,
            })
        })?;
        let Some((version, inputs, context, created)) = found else {
            if version.is_some() {
                return Err(CoreError::not_found("version", "no such version").into());
            }
            return Ok(StoredRecords {
                version: 0,
                created_at: None,
                inputs: RecordsInputs::of(&self.schema().schema),
                context: None,
            });
        };
        Ok(StoredRecords {
            version,
            created_at: Some(parse_ts(&created)?),
            inputs: serde_json::from_str(&inputs).map_err(corrupt("records inputs"))?,
            context: context
                .map(|c| serde_json::from_str(&c))
                .transpose()
                .map_err(corrupt("records context"))?,
        })
    }
}
