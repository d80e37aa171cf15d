//! Named staff accounts as storage sees them: creating and changing them,
//! invites, setting a password, enrolling the second factor, signing in with
//! lock-out after repeated failures, and deactivation, which ends a person's
//! sessions, API tokens and minted subject tokens in the same transaction.
//! Browser sessions of staff are in `staff_sessions`.

use chrono::{DateTime, Duration, Utc};
use kerro_core::staff::{self as rules, StaffState};
use kerro_core::{Actor, CoreError, ErrorCode, Role};
use serde::Serialize;

use super::audit::{record, AuditAction};
use super::outbox::{emit, kind};
use super::staff_auth::{
    check_totp, hash_password, new_recovery_codes, new_totp_secret, recovery_hash, totp_setup,
    verify_password,
};
use super::staff_sessions::{new_staff_session, Stage};
use super::tx::Tx;
use super::{corrupt, new_ulid, parse_ts, ts, Store};
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

/// What sign-in with e-mail, password and code came to.
#[derive(Debug, Clone, PartialEq)]
pub enum SignIn {
    /// A session; `Stage::Enrol` when a second factor must be enrolled first.
    Session {
        secret: String,
        stage: Stage,
        account: String,
    },
    /// Wrong address, password or code: one answer for all of them.
    Failed,
    /// Too many failures; try again after this time.
    Locked(DateTime<Utc>),
}

/// A TOTP enrolment under way: what the page shows.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub otpauth_url: String,
    pub secret_base32: String,
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

fn email_key(field: &str, raw: &str) -> StoreResult<(String, String)> {
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
fn retire_bootstrap(tx: &Tx) -> StoreResult<()> {
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

    /// Sets the password through an invite link (used up here) and starts a
    /// session: full for a role without a second factor, else one that may only enrol it.
    pub fn accept_staff_invite(
        &self,
        now: DateTime<Utc>,
        secret: &str,
        password: &str,
        user_agent: &str,
    ) -> StoreResult<Option<SignIn>> {
        let Some(account) = self.staff_invite(now, secret)? else {
            return Ok(None);
        };
        rules::check_password("password", password, &account.email)?;
        // Hashing takes tens of milliseconds: done here, not on the writer thread.
        let phc = hash_password(password)?;
        let h = secret_hash(secret);
        let ua = user_agent.to_owned();
        let done = self.write(&account.actor(), now, move |tx| {
            if tx.execute("DELETE FROM staff_invites WHERE hash = ?1 AND account_id = ?2", params![h, account.id])? == 0 {
                return Ok(None);
            }
            let needs_factor = account.role.needs_second_factor();
            let state = if needs_factor { "invited" } else { "active" };
            tx.execute(
                "UPDATE staff_accounts SET password_hash = ?1, state = ?2, updated_at = ?3 WHERE id = ?4 AND state = 'invited'",
                params![phc, state, ts(&now), account.id],
            )?;
            record(tx, None, AuditAction::StaffPasswordSet { account: &account.id })?;
            let stage = if needs_factor { Stage::Enrol } else { Stage::Full };
            if !needs_factor {
                retire_bootstrap(tx)?;
            }
            let secret = new_staff_session(tx, &account.id, stage, &ua)?;
            Ok(Some(SignIn::Session { secret, stage, account: account.id.clone() }))
        })?;
        self.forget_tokens();
        Ok(done)
    }

    /// The TOTP secret being enrolled for `account` (made on first call, kept until confirmed).
    pub fn staff_enrolment(&self, now: DateTime<Utc>, account: &str) -> StoreResult<Enrolment> {
        let id = account.to_owned();
        let keys = self.keys();
        let actor = Actor::Staff {
            id: id.clone(),
            role: Role::Service,
        };
        let (secret, email) = self.write(&actor, now, move |tx| {
            let row: Option<(Option<String>, Option<String>, String)> = tx
                .query_row("SELECT totp_sealed, totp_confirmed_at, email FROM staff_accounts WHERE id = ?1", [&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            let Some((sealed, confirmed, email)) = row else {
                return Err(CoreError::not_found("account", "no such staff account").into());
            };
            if confirmed.is_some() {
                return Err(CoreError::at(ErrorCode::Conflict, "account", "a second factor is already enrolled").into());
            }
            if let Some(s) = sealed {
                let raw = hex::decode(&s).map_err(corrupt("sealed TOTP secret"))?;
                return Ok((keys.open_staff(&id, "totp", &raw)?, email));
            }
            let secret = new_totp_secret();
            let sealed = hex::encode(keys.seal_staff(&id, "totp", &secret)?);
            tx.execute("UPDATE staff_accounts SET totp_sealed = ?1 WHERE id = ?2", params![sealed, id])?;
            Ok((secret, email))
        })?;
        let (otpauth_url, secret_base32) = totp_setup(&secret, &email)?;
        Ok(Enrolment {
            otpauth_url,
            secret_base32,
        })
    }

    /// Confirms the TOTP enrolment with a code from the app: the account becomes
    /// active, the session full, and ten recovery codes are returned (shown once).
    pub fn confirm_staff_enrolment(
        &self,
        now: DateTime<Utc>,
        account: &str,
        session: &str,
        code: &str,
    ) -> StoreResult<Option<Vec<String>>> {
        let id = account.to_owned();
        let keys = self.keys();
        let (sealed, last_step, role) = self.read({
            let id = id.clone();
            move |conn| {
                conn.query_row(
                    "SELECT totp_sealed, totp_step, role FROM staff_accounts WHERE id = ?1 AND totp_confirmed_at IS NULL",
                    [&id],
                    |r| Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?)),
                )
                .optional()?
                .ok_or_else(|| CoreError::at(ErrorCode::Conflict, "account", "nothing to enrol").into())
            }
        })?;
        let Some(sealed) = sealed else {
            return Ok(None);
        };
        let secret = keys.open_staff(
            &id,
            "totp",
            &hex::decode(&sealed).map_err(corrupt("sealed TOTP secret"))?,
        )?;
        let unix = u64::try_from(now.timestamp()).unwrap_or(0);
        let Some(step) = check_totp(&secret, code, unix, u64::try_from(last_step).unwrap_or(0))
        else {
            self.note_failure(now, &id)?;
            return Ok(None);
        };
        let codes = new_recovery_codes();
        let hashes =
            serde_json::to_string(&codes.iter().map(|c| recovery_hash(c)).collect::<Vec<_>>())
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let session_hash = secret_hash(session);
        let role = Role::parse(&role).unwrap_or(Role::Service);
        self.write(&Actor::Staff { id: id.clone(), role }, now, move |tx| {
            tx.execute(
                "UPDATE staff_accounts SET totp_confirmed_at = ?1, totp_step = ?2, recovery_codes = ?3,
                        state = CASE WHEN state = 'invited' AND password_hash IS NOT NULL THEN 'active' ELSE state END,
                        failures = 0, locked_until = NULL, updated_at = ?1
                 WHERE id = ?4",
                params![ts(&now), step as i64, hashes, id],
            )?;
            tx.execute("UPDATE staff_sessions SET stage = 'full' WHERE hash = ?1 AND account_id = ?2", params![session_hash, id])?;
            record(tx, None, AuditAction::StaffSecondFactorEnrolled { account: &id })?;
            retire_bootstrap(tx)
        })?;
        self.forget_tokens();
        Ok(Some(codes))
    }

    /// Counts a wrong password or code against an account and locks it when due.
    fn note_failure(&self, now: DateTime<Utc>, id: &str) -> StoreResult<()> {
        let id = id.to_owned();
        self.write(&Actor::System("sign-in".into()), now, move |tx| {
            let failures: i64 = tx.query_row(
                "SELECT failures FROM staff_accounts WHERE id = ?1",
                [&id],
                |r| r.get(0),
            )?;
            let failures = failures.saturating_add(1);
            let locked = rules::lock_after(u32::try_from(failures).unwrap_or(u32::MAX))
                .map(|d| ts(&kerro_core::time::after(now, d)));
            tx.execute(
                "UPDATE staff_accounts SET failures = ?1, locked_until = ?2 WHERE id = ?3",
                params![failures, locked, id],
            )?;
            record(
                tx,
                None,
                AuditAction::StaffSignInFailed {
                    account: &id,
                    locked: locked.is_some(),
                },
            )
        })
    }

    /// Signs a person in with e-mail, password and (for roles that need one)
    /// a TOTP or recovery code. Wrong address, password and code answer alike
    /// and take the same time; failures lock the account with growing pauses.
    pub fn staff_sign_in(
        &self,
        now: DateTime<Utc>,
        email: &str,
        password: &str,
        code: &str,
        user_agent: &str,
    ) -> StoreResult<SignIn> {
        let key = email_key("email", email).map(|(_, k)| k).ok();
        type Row = (
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            i64,
            String,
            Option<String>,
        );
        let row: Option<Row> = match key {
            Some(k) => self.read(move |conn| {
                conn.query_row(
                    "SELECT id, role, state, password_hash, totp_sealed, totp_confirmed_at, totp_step, recovery_codes, locked_until
                     FROM staff_accounts WHERE email_key = ?1",
                    [k],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?)),
                )
                .optional()
            })?,
            None => None,
        };
        let password_ok = verify_password(password, row.as_ref().and_then(|r| r.3.as_deref()));
        let Some((id, role, state, _, sealed, confirmed, last_step, recovery, locked)) = row else {
            return Ok(SignIn::Failed);
        };
        if let Some(until) = locked
            .as_deref()
            .map(parse_ts)
            .transpose()?
            .filter(|u| *u > now)
        {
            return Ok(SignIn::Locked(until));
        }
        let role =
            Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("staff role {role}")))?;
        let may = match state.as_str() {
            "active" => true,
            // Password set, second factor not yet: may sign in only to enrol it.
            "invited" => role.needs_second_factor() && confirmed.is_none(),
            _ => false,
        };
        if !password_ok || !may {
            if password_ok || state != "deactivated" {
                self.note_failure(now, &id)?;
            }
            return Ok(SignIn::Failed);
        }
        let mut step = None;
        let mut used_recovery = None;
        let stage = if !role.needs_second_factor() {
            Stage::Full
        } else if confirmed.is_none() {
            Stage::Enrol
        } else {
            let secret = match &sealed {
                Some(s) => self.keys().open_staff(
                    &id,
                    "totp",
                    &hex::decode(s).map_err(corrupt("sealed TOTP secret"))?,
                )?,
                None => {
                    return Err(StoreError::Corrupt(format!(
                        "staff account {id} has no TOTP secret"
                    )))
                }
            };
            let unix = u64::try_from(now.timestamp()).unwrap_or(0);
            step = check_totp(&secret, code, unix, u64::try_from(last_step).unwrap_or(0));
            if step.is_none() {
                let hashes: Vec<String> =
                    serde_json::from_str(&recovery).map_err(corrupt("recovery codes"))?;
                let h = recovery_hash(code);
                if hashes.contains(&h) {
                    used_recovery =
                        Some(hashes.into_iter().filter(|x| *x != h).collect::<Vec<_>>());
                } else {
                    self.note_failure(now, &id)?;
                    return Ok(SignIn::Failed);
                }
            }
            Stage::Full
        };
        let ua = user_agent.to_owned();
        self.write(
            &Actor::Staff {
                id: id.clone(),
                role,
            },
            now,
            move |tx| {
                tx.execute(
                    "UPDATE staff_accounts SET failures = 0, locked_until = NULL WHERE id = ?1",
                    [&id],
                )?;
                if let Some(s) = step {
                    // Compare-and-set: two sign-ins with one code cannot both pass.
                    let n = tx.execute(
                        "UPDATE staff_accounts SET totp_step = ?1 WHERE id = ?2 AND totp_step < ?1",
                        params![s as i64, id],
                    )?;
                    if n == 0 {
                        return Ok(SignIn::Failed);
                    }
                }
                let method = match (&used_recovery, stage) {
                    (Some(rest), _) => {
                        let rest = serde_json::to_string(rest)
                            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                        tx.execute(
                            "UPDATE staff_accounts SET recovery_codes = ?1 WHERE id = ?2",
                            params![rest, id],
                        )?;
                        "password+recovery_code"
                    }
                    (None, Stage::Enrol) => "password (second factor to enrol)",
                    (None, Stage::Full) if step.is_some() => "password+totp",
                    (None, Stage::Full) => "password",
                };
                let secret = new_staff_session(tx, &id, stage, &ua)?;
                record(tx, None, AuditAction::StaffSignedIn { method })?;
                Ok(SignIn::Session {
                    secret,
                    stage,
                    account: id.clone(),
                })
            },
        )
    }
}
