//! Saved audiences: put, read, list and delete them, their size now, and the
//! daily record of each one's size that the chart of its size over time reads.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use kerro_core::contact::Channel;
use kerro_core::ids::{AudienceKey, PurposeKey};
use kerro_core::saved_audience::AudienceSpec;
use kerro_core::{Actor, CoreError};
use serde::Serialize;
use serde_json::Value;

use super::audit::{record, AuditAction};
use super::{corrupt, parse_ts, ts, Store};
use crate::error::{StoreError, StoreResult};
use crate::sql::{params, Conn, OptionalExtension, Row};

/// How many days of sizes a saved audience keeps (and `GET` returns).
pub const SIZE_DAYS: i64 = 400;

/// A saved audience, with its size now.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SavedAudience {
    pub key: AudienceKey,
    pub name: String,
    pub purpose: PurposeKey,
    pub channel: Channel,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub condition: Value,
    /// How many subjects it reaches now; `null` when the schema changed so
    /// that its condition no longer type-checks (`problem` says why).
    pub size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// Its size on one day (the last size written down that day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AudienceSize {
    pub day: NaiveDate,
    pub size: u64,
}

const COLUMNS: &str =
    "key, name, purpose, channel, condition, created_by, created_at, updated_by, updated_at";

fn not_found(key: &str) -> StoreError {
    CoreError::not_found("audience", format!("no saved audience '{key}'")).into()
}

/// A row as stored, before its size is counted.
fn from_row(r: &Row) -> StoreResult<SavedAudience> {
    let s = |i: usize| r.get::<_, String>(i);
    let channel = s(3)?;
    Ok(SavedAudience {
        key: AudienceKey::parse("key", &s(0)?).map_err(corrupt("audience key"))?,
        name: s(1)?,
        purpose: PurposeKey::parse("purpose", &s(2)?).map_err(corrupt("audience purpose"))?,
        channel: Channel::parse(&channel)
            .ok_or_else(|| StoreError::Corrupt(format!("channel '{channel}'")))?,
        condition: serde_json::from_str(&s(4)?).map_err(corrupt("audience condition"))?,
        size: None,
        problem: None,
        created_by: s(5)?,
        created_at: parse_ts(&s(6)?)?,
        updated_by: s(7)?,
        updated_at: parse_ts(&s(8)?)?,
    })
}

fn load(conn: &Conn, key: &str) -> StoreResult<Option<SavedAudience>> {
    conn.rows(
        &format!("SELECT {COLUMNS} FROM audiences WHERE key = ?1"),
        [key],
    )?
    .first()
    .map(from_row)
    .transpose()
}

/// Writes down `size` as the audience's size on `now`'s day.
fn note_size(conn: &Conn, key: &str, now: DateTime<Utc>, size: u64) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO audience_sizes (audience, day, size) VALUES (?1, ?2, ?3)
         ON CONFLICT (audience, day) DO UPDATE SET size = excluded.size",
        params![
            key,
            now.date_naive().to_string(),
            i64::try_from(size).unwrap_or(i64::MAX)
        ],
    )?;
    Ok(())
}

impl Store {
    /// Creates or replaces a saved audience after checking it against the
    /// schema; returns it with its size, and `true` when it was new.
    pub fn put_audience(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        key: AudienceKey,
        spec: AudienceSpec,
    ) -> StoreResult<(SavedAudience, bool)> {
        spec.check(&key, &self.schema().schema)?;
        let size = self.audience_count(&spec.purpose, spec.channel, &spec.condition)?;
        let (label, k) = (actor.label(), key.clone());
        let created = self.write(actor, now, move |tx| {
            let existed = tx
                .query_row("SELECT 1 FROM audiences WHERE key = ?1", [k.as_str()], |r| {
                    r.get::<_, i64>(0)
                })
                .optional()?
                .is_some();
            let condition = spec.condition.to_string();
            if existed {
                tx.execute(
                    "UPDATE audiences SET name = ?2, purpose = ?3, channel = ?4, condition = ?5, updated_by = ?6, updated_at = ?7 WHERE key = ?1",
                    params![k.as_str(), spec.name.trim(), spec.purpose.as_str(), spec.channel.as_str(), condition, label.as_str(), ts(&now)],
                )?;
            } else {
                tx.execute(
                    "INSERT INTO audiences (key, name, purpose, channel, condition, created_by, created_at, updated_by, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?6, ?7)",
                    params![k.as_str(), spec.name.trim(), spec.purpose.as_str(), spec.channel.as_str(), condition, label.as_str(), ts(&now)],
                )?;
            }
            note_size(tx, k.as_str(), now, size)?;
            record(
                tx,
                None,
                AuditAction::SchemaChanged {
                    kind: if existed { "audience_replaced" } else { "audience_created" },
                    key: k.as_str(),
                },
            )?;
            Ok(!existed)
        })?;
        Ok((self.saved_audience(&key)?, created))
    }

    /// A saved audience with its size now.
    pub fn saved_audience(&self, key: &AudienceKey) -> StoreResult<SavedAudience> {
        let k = key.clone();
        let a = self
            .read(move |conn| load(conn, k.as_str()))?
            .ok_or_else(|| not_found(key.as_str()))?;
        Ok(self.sized(a))
    }

    /// Every saved audience by key, each with its size now.
    pub fn saved_audiences(&self) -> StoreResult<Vec<SavedAudience>> {
        let rows = self.read(|conn| {
            conn.rows(&format!("SELECT {COLUMNS} FROM audiences ORDER BY key"), ())?
                .iter()
                .map(from_row)
                .collect::<StoreResult<Vec<_>>>()
        })?;
        Ok(rows.into_iter().map(|a| self.sized(a)).collect())
    }

    /// Deletes a saved audience and its sizes; campaigns planned from it keep
    /// the purpose and condition they copied.
    pub fn delete_audience(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        key: &AudienceKey,
    ) -> StoreResult<()> {
        let key = key.clone();
        self.write(actor, now, move |tx| {
            tx.execute(
                "DELETE FROM audience_sizes WHERE audience = ?1",
                [key.as_str()],
            )?;
            if tx.execute("DELETE FROM audiences WHERE key = ?1", [key.as_str()])? == 0 {
                return Err(not_found(key.as_str()));
            }
            record(
                tx,
                None,
                AuditAction::SchemaChanged {
                    kind: "audience_deleted",
                    key: key.as_str(),
                },
            )
        })
    }

    /// The audience's size by day, oldest first, over the last `SIZE_DAYS`.
    pub fn audience_sizes(
        &self,
        key: &AudienceKey,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<AudienceSize>> {
        let key = key.clone();
        let since = (now - Duration::days(SIZE_DAYS)).date_naive().to_string();
        self.read(move |conn| {
            if load(conn, key.as_str())?.is_none() {
                return Err(not_found(key.as_str()));
            }
            conn.rows(
                "SELECT day, size FROM audience_sizes WHERE audience = ?1 AND day >= ?2 ORDER BY day",
                params![key.as_str(), since],
            )?
            .iter()
            .map(|r| {
                let day = r.get::<_, String>(0)?;
                Ok(AudienceSize {
                    day: day.parse().map_err(corrupt("audience size day"))?,
                    size: r.get::<_, i64>(1)?.max(0) as u64,
                })
            })
            .collect()
        })
    }

    /// Writes down today's size of every saved audience that has none yet,
    /// and forgets sizes older than `SIZE_DAYS`; returns how many it wrote.
    /// Every node may run it: a day's first size is kept.
    pub fn note_audience_sizes(&self, now: DateTime<Utc>) -> StoreResult<usize> {
        let today = now.date_naive().to_string();
        let t = today.clone();
        let due = self.read(move |conn| {
            conn.rows(
                &format!(
                    "SELECT {COLUMNS} FROM audiences a WHERE NOT EXISTS
                     (SELECT 1 FROM audience_sizes s WHERE s.audience = a.key AND s.day = ?1) ORDER BY key"
                ),
                [t.as_str()],
            )?
            .iter()
            .map(from_row)
            .collect::<StoreResult<Vec<_>>>()
        })?;
        let sizes: Vec<(String, u64)> = due
            .into_iter()
            .filter_map(|a| {
                let a = self.sized(a);
                a.size.map(|n| (a.key.as_str().to_owned(), n))
            })
            .collect();
        let oldest = (now - Duration::days(SIZE_DAYS)).date_naive().to_string();
        let actor = Actor::System("audiences".into());
        self.write(&actor, now, move |tx| {
            let mut wrote = 0;
            for (key, size) in &sizes {
                // Deleted since it was counted: nothing to write down.
                if load(tx, key)?.is_none() {
                    continue;
                }
                wrote += tx.execute(
                    "INSERT INTO audience_sizes (audience, day, size) VALUES (?1, ?2, ?3)
                     ON CONFLICT (audience, day) DO NOTHING",
                    params![
                        key.as_str(),
                        today.as_str(),
                        i64::try_from(*size).unwrap_or(i64::MAX)
                    ],
                )?;
            }
            tx.execute(
                "DELETE FROM audience_sizes WHERE day < ?1",
                [oldest.as_str()],
            )?;
            Ok(wrote)
        })
    }

    /// Counts a stored audience now; a condition the schema no longer allows
    /// gives no size and says why.
    fn sized(&self, mut a: SavedAudience) -> SavedAudience {
        match self.audience_count(&a.purpose, a.channel, &a.condition) {
            Ok(n) => a.size = Some(n),
            Err(e) => a.problem = Some(e.to_string()),
        }
        a
    }
}
