//! Staff API tokens for programs: created with a role and a lifetime (90 days
//! by default, at most 365), listed without their secrets, revoked at once.
//! A token is checked against a per-process cache; a revocation clears the
//! cache here and, through the outbox, on every other node.
//! `KERRO_ADMIN_TOKEN` is a bootstrap token that stops working once an admin
//! account is active.

use chrono::{DateTime, Utc};
use kerro_core::{Actor, CoreError, Role};
use serde::Serialize;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use super::audit::{record, AuditAction};
use super::outbox::{emit, kind};
use super::staff::admin_active;
use super::{new_ulid, parse_ts, ts, Store};
use crate::crypto::{new_secret, secret_hash};
use crate::error::{StoreError, StoreResult};
use crate::model::StaffToken;
use crate::sql::{params, OptionalExtension};

/// Staff API tokens start with this.
pub const STAFF_TOKEN_PREFIX: &str = "kst_";
/// Who created the bootstrap token.
const BOOTSTRAP: &str = "system:bootstrap";
/// A token's last use is written down at most this often.
const LAST_USED_EVERY_SECONDS: i64 = 60;

/// A token as `GET /v1/tokens` lists it: never the secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Requests a minute this token may make; `None`: not limited.
    pub per_minute: Option<u32>,
}

/// A token that checked out: who it is and what it may do.
#[derive(Debug, Clone)]
pub struct TokenHolder {
    pub id: String,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
    pub per_minute: Option<u32>,
    /// When its use was last written down (Unix seconds), shared by the cached copies.
    last_noted: Arc<AtomicI64>,
}

impl PartialEq for TokenHolder {
    fn eq(&self, other: &Self) -> bool {
        (&self.id, self.role, self.expires_at, self.per_minute)
            == (&other.id, other.role, other.expires_at, other.per_minute)
    }
}

impl TokenHolder {
    /// Whether this use at `now` should be written down (at most once a minute per
    /// token and process); `true` also claims that write.
    pub fn use_due(&self, now: DateTime<Utc>) -> bool {
        let (t, last) = (now.timestamp(), self.last_noted.load(Ordering::Relaxed));
        t.saturating_sub(last) >= LAST_USED_EVERY_SECONDS
            && self
                .last_noted
                .compare_exchange(last, t, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

/// What presenting a staff token comes to.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenCheck {
    Valid(TokenHolder),
    Revoked,
    Expired,
    Unknown,
}

type TokenRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
);
const COLUMNS: &str = "id, label, role, created_at, expires_at, COALESCE(created_by, 'unknown'), last_used_at, revoked_at, per_minute";

fn token_from_row(r: TokenRow) -> StoreResult<ApiToken> {
    let (id, name, role, created, expires, created_by, used, revoked, per_minute) = r;
    let created_at = parse_ts(&created)?;
    Ok(ApiToken {
        role: Role::parse(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("token role {role}")))?,
        // Tokens from before expiry existed live the default lifetime from their creation.
        expires_at: match expires {
            Some(e) => parse_ts(&e)?,
            None => kerro_core::time::days_after(
                created_at,
                i64::from(kerro_core::staff::TOKEN_DEFAULT_DAYS),
            ),
        },
        last_used_at: used.as_deref().map(parse_ts).transpose()?,
        revoked_at: revoked.as_deref().map(parse_ts).transpose()?,
        per_minute: per_minute.and_then(|n| u32::try_from(n).ok()),
        id,
        name,
        created_by,
        created_at,
    })
}

fn read_row(r: &crate::sql::Row) -> StoreResult<TokenRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
    ))
}

/// Who made something, as stored: a staff actor by its id, others by their label.
fn creator(actor: &Actor) -> String {
    match actor {
        Actor::Staff { id, .. } => format!("staff:{id}"),
        other => other.label(),
    }
}

impl Store {
    /// Creates an API token; the secret is returned once and stored only as a hash.
    pub fn create_api_token(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        name: &str,
        role: Role,
        expires_in_days: Option<u32>,
        per_minute: Option<u32>,
    ) -> StoreResult<(ApiToken, String)> {
        let name = kerro_core::staff::check_name("name", name)?;
        let expires = kerro_core::staff::token_expiry(now, expires_in_days)?;
        if per_minute == Some(0) {
            return Err(CoreError::invalid("per_minute", "a limit is at least 1 a minute").into());
        }
        let secret = new_secret(STAFF_TOKEN_PREFIX);
        let t = self.insert_token(
            actor,
            now,
            &name,
            role,
            expires,
            per_minute,
            &secret,
            &creator(actor),
        )?;
        Ok((t, secret))
    }

    /// Creates a token with the default lifetime (the CLI, tests, the demo).
    pub fn create_staff_token(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        role: Role,
        label: &str,
    ) -> StoreResult<(StaffToken, String)> {
        let (t, secret) = self.create_api_token(actor, now, label, role, None, None)?;
        Ok((
            StaffToken {
                id: t.id,
                role: t.role,
                label: t.name,
                created_at: t.created_at,
            },
            secret,
        ))
    }

    /// `KERRO_ADMIN_TOKEN`: makes sure a bootstrap admin token with this secret
    /// exists while no admin account is active. `true` if it was created now.
    pub fn ensure_bootstrap_token(&self, now: DateTime<Utc>, secret: &str) -> StoreResult<bool> {
        if secret.len() < 32 {
            return Err(StoreError::Config(
                "a bootstrap token needs at least 32 characters".into(),
            ));
        }
        let hash = secret_hash(secret);
        let (exists, admin) = self.read(move |conn| {
            let exists = conn
                .query_row("SELECT 1 FROM staff_tokens WHERE hash = ?1", [hash], |_| {
                    Ok(())
                })
                .optional()?
                .is_some();
            Ok((exists, admin_active(conn)?))
        })?;
        if exists || admin {
            return Ok(false);
        }
        let expires =
            kerro_core::time::days_after(now, i64::from(kerro_core::staff::TOKEN_MAX_DAYS));
        self.insert_token(
            &Actor::System("bootstrap".into()),
            now,
            "KERRO_ADMIN_TOKEN",
            Role::Admin,
            expires,
            None,
            secret,
            BOOTSTRAP,
        )?;
        Ok(true)
    }

    #[allow(clippy::too_many_arguments)]
    fn insert_token(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        name: &str,
        role: Role,
        expires: DateTime<Utc>,
        per_minute: Option<u32>,
        secret: &str,
        created_by: &str,
    ) -> StoreResult<ApiToken> {
        let t = ApiToken {
            id: format!("tok_{}", new_ulid()),
            name: name.to_owned(),
            role,
            created_by: created_by.to_owned(),
            created_at: now,
            expires_at: expires,
            last_used_at: None,
            revoked_at: None,
            per_minute,
        };
        let hash = secret_hash(secret);
        self.write(actor, now, move |tx| {
            tx.execute(
                "INSERT INTO staff_tokens (id, hash, role, label, created_at, expires_at, created_by, per_minute)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![t.id, hash, t.role.as_str(), t.name, ts(&now), ts(&t.expires_at), t.created_by, t.per_minute],
            )?;
            record(tx, None, AuditAction::StaffTokenCreated { token_id: &t.id, role: t.role.as_str() })?;
            Ok(t)
        })
    }

    /// Every token, newest first (revoked and expired ones too, marked as such).
    pub fn list_api_tokens(&self) -> StoreResult<Vec<ApiToken>> {
        let rows = self.read(|conn| {
            conn.query_map(
                &format!("SELECT {COLUMNS} FROM staff_tokens ORDER BY created_at DESC, id"),
                (),
                read_row,
            )?
            .collect::<StoreResult<Vec<_>>>()
        })?;
        rows.into_iter().map(token_from_row).collect()
    }

    /// Revokes a token: from now on it gets 401 `token_revoked` on every node. `false` if unknown.
    pub fn revoke_api_token(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
    ) -> StoreResult<bool> {
        let id = id.to_owned();
        let found = self.write(actor, now, move |tx| {
            let known = tx
                .query_row(
                    "SELECT 1 FROM staff_tokens WHERE id = ?1",
                    [&id],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            if !known {
                return Ok(false);
            }
            let n = tx.execute(
                "UPDATE staff_tokens SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
                params![ts(&now), id],
            )?;
            if n > 0 {
                tx.execute("DELETE FROM subject_tokens WHERE minted_by = ?1", [&id])?;
                record(tx, None, AuditAction::StaffTokenRevoked { token_id: &id })?;
                emit(
                    tx,
                    kind::STAFF_ACCESS_REVOKED,
                    None,
                    serde_json::json!({"token": id}),
                    &tx.now,
                )?;
            }
            Ok(true)
        })?;
        self.forget_tokens();
        Ok(found)
    }

    /// A presented staff token checked against this process's cache only
    /// (`None`: not cached, ask [`Store::check_staff_token`], which may read the database).
    pub fn cached_staff_token(&self, token: &str, now: DateTime<Utc>) -> Option<TokenCheck> {
        let holder = self
            .inner
            .staff_cache
            .read()
            .get(&secret_hash(token))
            .cloned()?;
        Some(if holder.expires_at <= now {
            TokenCheck::Expired
        } else {
            TokenCheck::Valid(holder)
        })
    }

    /// Checks a presented staff token.
    pub fn check_staff_token(&self, token: &str, now: DateTime<Utc>) -> StoreResult<TokenCheck> {
        let hash = secret_hash(token);
        let cached = self.inner.staff_cache.read().get(&hash).cloned();
        let holder = match cached {
            Some(h) => h,
            None => {
                let generation = self.inner.staff_cache_generation.load(Ordering::Acquire);
                let key = hash.clone();
                let row = self.read(move |conn| {
                    conn.query_row(
                        &format!("SELECT {COLUMNS} FROM staff_tokens WHERE hash = ?1"),
                        [key],
                        read_row,
                    )
                    .optional()
                })?;
                let Some(t) = row.map(token_from_row).transpose()? else {
                    return Ok(TokenCheck::Unknown);
                };
                if t.revoked_at.is_some() {
                    return Ok(TokenCheck::Revoked);
                }
                let holder = TokenHolder {
                    id: t.id,
                    role: t.role,
                    expires_at: t.expires_at,
                    per_minute: t.per_minute,
                    last_noted: Arc::new(AtomicI64::new(i64::MIN)),
                };
                let mut cache = self.inner.staff_cache.write();
                // A revocation that ran while this was read must win: cache only if none did.
                if self.inner.staff_cache_generation.load(Ordering::Acquire) == generation {
                    cache.insert(hash, holder.clone());
                }
                holder
            }
        };
        if holder.expires_at <= now {
            return Ok(TokenCheck::Expired);
        }
        Ok(TokenCheck::Valid(holder))
    }

    /// Drops every cached token, so the next use of each is checked in the database.
    pub(crate) fn forget_tokens(&self) {
        let mut cache = self.inner.staff_cache.write();
        self.inner
            .staff_cache_generation
            .fetch_add(1, Ordering::AcqRel);
        cache.clear();
    }

    /// Writes down a token's last use (see [`TokenHolder::use_due`]).
    pub fn note_token_use(&self, id: &str, now: DateTime<Utc>) -> StoreResult<()> {
        let id = id.to_owned();
        self.write(&Actor::System("token-use".into()), now, move |tx| {
            tx.execute(
                "UPDATE staff_tokens SET last_used_at = ?1 WHERE id = ?2",
                params![ts(&now), id],
            )?;
            Ok(())
        })
    }
}
