//! Named staff accounts as storage sees them: creating and changing them,
//! invites, and deactivation, which ends a person's sessions, API tokens and
//! minted subject tokens in the same transaction. Setting a password,
//! enrolling the second factor and signing in are `staff_signin`; browser
//! sessions of staff are `staff_sessions`.

use chrono::{DateTime, Duration, Utc};
use kerro_core::staff::{self as rules, StaffState};
use kerro_core::{Actor, CoreError, ErrorCode, Role};
use serde::Serialize;

use super::audit::{record, AuditAction};
use super::outbox::{emit, kind};
use super::tx::Tx;
use super::{new_ulid, parse_ts, ts, Store};
use crate::crypto::{new_secret, secret_hash};
use crate::error::{StoreError, StoreResult};
use crate::sql::{params, Conn, OptionalExtension};

/// Invite links carry a secret with this prefix.
pub const INVITE_PREFIX: &str = "kin_";

/// A staff account as the API and the pages show it (never a secret).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffAccount {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub state: StaffState,
    /// Whether a second factor is enrolled.
    pub second_factor: bool,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set while sign-in is paused after repeated failures.
    pub locked_until: Option<DateTime<Utc>>,
}

impl StaffAccount {
    pub fn actor(&self) -> Actor {
        Actor::Staff {
            id: self.id.clone(),
            role: self.role,
        }
    }
}

/// A new account and the secret of its invite link (shown once).
#[derive(Debug, Clone)]
pub struct Invited {
    pub account: StaffAccount,
    pub secret: String,
    pub expires_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, email, name, role, state, totp_confirmed_at IS NOT NULL, created_by, created_at, updated_at, locked_until";

pub(crate) fn account_from_row(r: &crate::sql::Row) -> StoreResult<StaffAccount> {
    let role: String = r.get(3)?;
    let state: String = r.get(4)?;
    let locked: Option<String> = r.get(9)?;
    Ok(StaffAccount {
        id: r.get(0)?,
        email: r.get(1)?,
        name: r.get(2)?,
        role: Role::parse(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("staff role {role}")))?,
        state: StaffState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("staff state {state}")))?,
        second_factor: r.get(5)?,
        created_by: r.get(6)?,
        created_at: parse_ts(&r.get::<_, String>(7)?)?,
        updated_at: parse_ts(&r.get::<_, String>(8)?)?,
        locked_until: locked.as_deref().map(parse_ts).transpose()?,
    })
}

pub(crate) fn load_account(conn: &Conn, id: &str) -> StoreResult<Option<StaffAccount>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM staff_accounts WHERE id = ?1"),
        [id],
        account_from_row,
    )
    .optional()
}

fn account_or_404(conn: &Conn, id: &str) -> StoreResult<StaffAccount> {
    load_account(conn, id)?
        .ok_or_else(|| CoreError::not_found("id", format!("no staff account '{id}'")).into())
}

pub(crate) fn email_key(field: &str, raw: &str) -> StoreResult<(String, String)> {
    let canonical = kerro_core::email::canonical(field, raw)?;
    let key = kerro_core::email::lookup_key(&canonical);
    Ok((canonical, key))
}

/// Replaces the account's open invite with a new one.
fn new_invite(tx: &Tx, account: &str) -> StoreResult<(String, DateTime<Utc>)> {
    tx.execute(
        "DELETE FROM staff_invites WHERE account_id = ?1 OR expires_at < ?2",
        params![account, ts(&tx.now)],
    )?;
    let secret = new_secret(INVITE_PREFIX);
    let expires = kerro_core::time::after(tx.now, Duration::hours(rules::INVITE_HOURS));
    tx.execute(
        "INSERT INTO staff_invites (hash, account_id, expires_at, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![secret_hash(&secret), account, ts(&expires), ts(&tx.now)],
    )?;
    Ok((secret, expires))
}

/// Whether an active admin account would remain if `except` lost its admin rights.
fn another_admin(conn: &Conn, except: &str) -> StoreResult<bool> {
    let n: i64 = conn.query_row(
        "SELECT COUNT(*) FROM staff_accounts WHERE role = 'admin' AND state = 'active' AND id <> ?1",
        [except],
        |r| r.get(0),
    )?;
    Ok(n > 0)
}

/// Whether any admin account is active (then `KERRO_ADMIN_TOKEN` no longer works).
pub(crate) fn admin_active(conn: &Conn) -> StoreResult<bool> {
    another_admin(conn, "")
}

/// Revokes the bootstrap tokens once an admin account is active.
pub(crate) fn retire_bootstrap(tx: &Tx) -> StoreResult<()> {
    if admin_active(tx)? {
        let n = tx.execute(
            "UPDATE staff_tokens SET revoked_at = ?1 WHERE created_by = 'system:bootstrap' AND revoked_at IS NULL",
            [ts(&tx.now)],
        )?;
        if n > 0 {
            emit(
                tx,
                kind::STAFF_ACCESS_REVOKED,
                None,
                serde_json::json!({"bootstrap": true}),
                &tx.now,
            )?;
        }
    }
    Ok(())
}

/// Ends everything an account can act with: sessions, its API tokens and the subject tokens it minted.
fn cut_access(tx: &Tx, account: &str) -> StoreResult<()> {
    let now = ts(&tx.now);
    tx.execute(
        "DELETE FROM staff_sessions WHERE account_id = ?1",
        [account],
    )?;
    tx.execute(
        "DELETE FROM subject_tokens WHERE minted_by = ?1
            OR minted_by IN (SELECT id FROM staff_tokens WHERE created_by = ?2)",
        params![account, format!("staff:{account}")],
    )?;
    tx.execute(
        "UPDATE staff_tokens SET revoked_at = ?1 WHERE created_by = ?2 AND revoked_at IS NULL",
        params![now, format!("staff:{account}")],
    )?;
    emit(
        tx,
        kind::STAFF_ACCESS_REVOKED,
        None,
        serde_json::json!({"account": account}),
        &tx.now,
    )
}

impl Store {
    /// Creates an invited account and its invite link (72 h, single use).
    pub fn create_staff(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        email: &str,
        name: &str,
        role: Role,
    ) -> StoreResult<Invited> {
        let (email, key) = email_key("email", email)?;
        let name = rules::check_name("name", name)?;
        let by = actor.label();
        self.write(actor, now, move |tx| {
            let taken = tx
                .query_row("SELECT 1 FROM staff_accounts WHERE email_key = ?1", [&key], |_| Ok(()))
                .optional()?
                .is_some();
            if taken {
                return Err(CoreError::at(ErrorCode::Conflict, "email", "a staff account with this address exists").into());
            }
            let id = format!("stf_{}", new_ulid());
            tx.execute(
                "INSERT INTO staff_accounts (id, email, email_key, name, role, state, created_by, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'invited', ?6, ?7, ?7)",
                params![id, email, key, name, role.as_str(), by, ts(&now)],
            )?;
            let (secret, expires_at) = new_invite(tx, &id)?;
            record(tx, None, AuditAction::StaffCreated { account: &id, role: role.as_str() })?;
            Ok(Invited { account: account_or_404(tx, &id)?, secret, expires_at })
        })
    }

    /// A new invite link for an account that has not finished setting up (the old one stops working).
    pub fn reinvite_staff(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
    ) -> StoreResult<Invited> {
        let id = id.to_owned();
        self.write(actor, now, move |tx| {
            let account = account_or_404(tx, &id)?;
            if account.state != StaffState::Invited {
                return Err(CoreError::at(
                    ErrorCode::Conflict,
                    "id",
                    "only an invited account gets a new invite",
                )
                .into());
            }
            let (secret, expires_at) = new_invite(tx, &id)?;
            record(tx, None, AuditAction::StaffInvited { account: &id })?;
            Ok(Invited {
                account,
                secret,
                expires_at,
            })
        })
    }

    pub fn list_staff(&self) -> StoreResult<Vec<StaffAccount>> {
        self.read(|conn| {
            conn.query_map(
                &format!("SELECT {COLUMNS} FROM staff_accounts ORDER BY created_at, id"),
                (),
                account_from_row,
            )?
            .collect()
        })
    }

    pub fn staff_account(&self, id: &str) -> StoreResult<Option<StaffAccount>> {
        let id = id.to_owned();
        self.read(move |conn| load_account(conn, &id))
    }

    /// Changes an account's role or name. The last active admin keeps the admin role.
    pub fn update_staff(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        role: Option<Role>,
        name: Option<&str>,
    ) -> StoreResult<StaffAccount> {
        let name = name.map(|n| rules::check_name("name", n)).transpose()?;
        let id = id.to_owned();
        self.write(actor, now, move |tx| {
            let before = account_or_404(tx, &id)?;
            if before.state == StaffState::Deactivated {
                return Err(CoreError::at(
                    ErrorCode::Conflict,
                    "id",
                    "a deactivated account cannot be changed",
                )
                .into());
            }
            if let Some(r) = role {
                if before.role == Role::Admin
                    && r != Role::Admin
                    && before.state == StaffState::Active
                    && !another_admin(tx, &id)?
                {
                    return Err(CoreError::at(
                        ErrorCode::Conflict,
                        "role",
                        "the last active admin keeps the admin role",
                    )
                    .into());
                }
                tx.execute(
                    "UPDATE staff_accounts SET role = ?1, updated_at = ?2 WHERE id = ?3",
                    params![r.as_str(), ts(&now), id],
                )?;
            }
            if let Some(n) = &name {
                tx.execute(
                    "UPDATE staff_accounts SET name = ?1, updated_at = ?2 WHERE id = ?3",
                    params![n, ts(&now), id],
                )?;
            }
            record(
                tx,
                None,
                AuditAction::StaffChanged {
                    account: &id,
                    role: role.map(Role::as_str),
                    name_changed: name.is_some(),
                },
            )?;
            retire_bootstrap(tx)?;
            account_or_404(tx, &id)
        })
    }

    /// Deactivates an account: its sessions, API tokens and minted subject tokens end at once.
    pub fn deactivate_staff(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
    ) -> StoreResult<StaffAccount> {
        let id = id.to_owned();
        let done = self.write(actor, now, move |tx| {
            let before = account_or_404(tx, &id)?;
            if before.role == Role::Admin && before.state == StaffState::Active && !another_admin(tx, &id)? {
                return Err(CoreError::at(ErrorCode::Conflict, "id", "the last active admin cannot be deactivated").into());
            }
            tx.execute(
                "UPDATE staff_accounts SET state = 'deactivated', password_hash = NULL, updated_at = ?1 WHERE id = ?2",
                params![ts(&now), id],
            )?;
            tx.execute("DELETE FROM staff_invites WHERE account_id = ?1", [&id])?;
            cut_access(tx, &id)?;
            record(tx, None, AuditAction::StaffDeactivated { account: &id })?;
            account_or_404(tx, &id)
        })?;
        self.forget_tokens();
        Ok(done)
    }

    /// The account an invite link is for, if the link is live.
    pub fn staff_invite(
        &self,
        now: DateTime<Utc>,
        secret: &str,
    ) -> StoreResult<Option<StaffAccount>> {
        if !secret.starts_with(INVITE_PREFIX) {
            return Ok(None);
        }
        let h = secret_hash(secret);
        self.read(move |conn| {
            let row: Option<(String, String)> = conn
                .query_row(
                    "SELECT account_id, expires_at FROM staff_invites WHERE hash = ?1",
                    [h],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            match row {
                Some((id, expires)) if parse_ts(&expires)? > now => {
                    Ok(load_account(conn, &id)?.filter(|a| a.state == StaffState::Invited))
                }
                _ => Ok(None),
            }
        })
    }
}
