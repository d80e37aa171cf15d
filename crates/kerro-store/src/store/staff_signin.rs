//! Signing staff in, as storage sees it: setting a password through an
//! invite, enrolling the TOTP second factor (recovery codes shown once), and
//! sign-in with e-mail, password and code, with lock-out after repeated
//! failures. Wrong addresses, passwords and codes answer alike and cost the
//! same argon2 check.

use chrono::{DateTime, Utc};
use kerro_core::staff as rules;
use kerro_core::{Actor, CoreError, ErrorCode, Role};

use super::audit::{record, AuditAction};
use super::staff::{email_key, retire_bootstrap};
use super::staff_auth::{
    check_totp, hash_password, new_recovery_codes, new_totp_secret, recovery_hash, totp_setup,
    verify_password,
};
use super::staff_sessions::{new_staff_session, Stage};
use super::{corrupt, parse_ts, ts, Store};
use crate::crypto::secret_hash;
use crate::error::{StoreError, StoreResult};
use crate::sql::{params, OptionalExtension};

/// What sign-in with e-mail, password and code came to.
#[derive(Debug, Clone, PartialEq)]
pub enum SignIn {
    /// A session; `Stage::Enrol` when a second factor must be enrolled first.
    Session { secret: String, stage: Stage },
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

impl Store {
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
            Ok(Some(SignIn::Session { secret, stage }))
        })?;
        self.forget_tokens();
        Ok(done)
    }

    /// The TOTP secret being enrolled for `account` (made on first call, kept until confirmed).
    pub fn staff_enrolment(&self, now: DateTime<Utc>, account: &str) -> StoreResult<Enrolment> {
        let id = account.to_owned();
        let keys = self.keys();
        // Only the sealed secret is stored here; nothing is audited until it is confirmed.
        let actor = Actor::System("staff-enrolment".into());
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
                Ok(SignIn::Session { secret, stage })
            },
        )
    }
}
