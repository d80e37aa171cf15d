//! Staff members' browser sessions: started by sign-in or an accepted invite,
//! ended by sign-out, by the person or an admin, by deactivation, after 30
//! minutes without a request or 12 hours after they began.

use chrono::{DateTime, Duration, Utc};
use kerro_core::staff::{session_live, StaffState};
use kerro_core::Actor;
use serde::Serialize;

use super::audit::{record, AuditAction};
use super::staff::{load_account, StaffAccount};
use super::tx::Tx;
use super::{new_ulid, parse_ts, ts, Store};
use crate::crypto::{new_secret, secret_hash};
use crate::error::StoreResult;
use crate::sql::{params, OptionalExtension};

/// Staff session cookies start with this.
pub const STAFF_SESSION_PREFIX: &str = "kss_";
/// A session's last request is written down at most this often.
const TOUCH_EVERY_SECONDS: i64 = 60;

/// What a session may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Only enrol the second factor the role needs.
    Enrol,
    /// Everything the role allows.
    Full,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Stage::Enrol => "enrol",
            Stage::Full => "full",
        }
    }
}

/// A live staff session: whose, and how far signed in.
#[derive(Debug, Clone)]
pub struct StaffSession {
    pub id: String,
    pub account: StaffAccount,
    pub stage: Stage,
    /// The last request was long enough ago that it should be written down.
    pub touch_due: bool,
}

/// One line of "your sessions".
#[derive(Debug, Clone, Serialize)]
pub struct SessionInfo {
    pub id: String,
    pub account: String,
    pub user_agent: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

pub(crate) fn new_staff_session(
    tx: &Tx,
    account: &str,
    stage: Stage,
    user_agent: &str,
) -> StoreResult<String> {
    let secret = new_secret(STAFF_SESSION_PREFIX);
    let ua: String = user_agent
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    tx.execute(
        "INSERT INTO staff_sessions (hash, id, account_id, stage, user_agent, created_at, last_seen_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![secret_hash(&secret), format!("ses_{}", new_ulid()), account, stage.as_str(), ua, ts(&tx.now)],
    )?;
    Ok(secret)
}

impl Store {
    /// The live session a staff cookie names: the account must still be able to sign in.
    pub fn staff_session(
        &self,
        now: DateTime<Utc>,
        secret: &str,
    ) -> StoreResult<Option<StaffSession>> {
        if !secret.starts_with(STAFF_SESSION_PREFIX) {
            return Ok(None);
        }
        let h = secret_hash(secret);
        self.read(move |conn| {
            let row: Option<(String, String, String, String, String)> = conn
                .query_row(
                    "SELECT id, account_id, stage, created_at, last_seen_at FROM staff_sessions WHERE hash = ?1",
                    [h],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .optional()?;
            let Some((id, account, stage, created, seen)) = row else {
                return Ok(None);
            };
            let (created, seen) = (parse_ts(&created)?, parse_ts(&seen)?);
            if !session_live(created, seen, now) {
                return Ok(None);
            }
            let Some(account) = load_account(conn, &account)? else {
                return Ok(None);
            };
            let stage = if stage == "full" { Stage::Full } else { Stage::Enrol };
            let ok = matches!(
                (account.state, stage),
                (StaffState::Active, _) | (StaffState::Invited, Stage::Enrol)
            );
            // An active account whose role now needs a second factor it lacks may only enrol.
            let stage = if account.role.needs_second_factor() && !account.second_factor { Stage::Enrol } else { stage };
            Ok(ok.then(|| StaffSession {
                id,
                account,
                stage,
                touch_due: now - seen >= Duration::seconds(TOUCH_EVERY_SECONDS),
            }))
        })
    }

    /// Notes a request on a session, for the idle timeout.
    pub fn touch_staff_session(&self, now: DateTime<Utc>, session_id: &str) -> StoreResult<()> {
        let id = session_id.to_owned();
        self.write(&Actor::System("session".into()), now, move |tx| {
            tx.execute(
                "UPDATE staff_sessions SET last_seen_at = ?1 WHERE id = ?2",
                params![ts(&now), id],
            )?;
            Ok(())
        })
    }

    /// The live sessions of one account, or of everyone with `None`, newest first.
    pub fn staff_sessions(
        &self,
        now: DateTime<Utc>,
        account: Option<&str>,
    ) -> StoreResult<Vec<SessionInfo>> {
        let account = account.map(str::to_owned);
        let all = self.read(move |conn| {
            let columns =
                "SELECT id, account_id, user_agent, created_at, last_seen_at FROM staff_sessions";
            let order = "ORDER BY created_at DESC, id";
            let (sql, args) = match &account {
                Some(a) => (
                    format!("{columns} WHERE account_id = ?1 {order}"),
                    vec![crate::sql::ToVal::to_val(a)],
                ),
                None => (format!("{columns} {order}"), vec![]),
            };
            conn.query_map(&sql, args, |r| {
                Ok(SessionInfo {
                    id: r.get(0)?,
                    account: r.get(1)?,
                    user_agent: r.get(2)?,
                    created_at: parse_ts(&r.get::<_, String>(3)?)?,
                    last_seen_at: parse_ts(&r.get::<_, String>(4)?)?,
                })
            })?
            .collect::<StoreResult<Vec<_>>>()
        })?;
        Ok(all
            .into_iter()
            .filter(|s| session_live(s.created_at, s.last_seen_at, now))
            .collect())
    }

    /// Ends one session by its id; `of` limits it to that account's own. `true` if one ended.
    pub fn end_staff_session(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        session_id: &str,
        of: Option<&str>,
    ) -> StoreResult<bool> {
        let (id, of) = (session_id.to_owned(), of.map(str::to_owned));
        self.write(actor, now, move |tx| {
            let account: Option<String> = tx
                .query_row(
                    "SELECT account_id FROM staff_sessions WHERE id = ?1",
                    [&id],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(account) = account.filter(|a| of.as_ref().is_none_or(|o| o == a)) else {
                return Ok(false);
            };
            tx.execute("DELETE FROM staff_sessions WHERE id = ?1", [&id])?;
            record(
                tx,
                None,
                AuditAction::StaffSessionEnded {
                    account: &account,
                    sessions: 1,
                },
            )?;
            Ok(true)
        })
    }

    /// Ends every session of an account; returns how many ended.
    pub fn end_staff_sessions(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        account: &str,
    ) -> StoreResult<u64> {
        let account = account.to_owned();
        self.write(actor, now, move |tx| {
            let n = tx.execute(
                "DELETE FROM staff_sessions WHERE account_id = ?1",
                [&account],
            )? as u64;
            record(
                tx,
                None,
                AuditAction::StaffSessionEnded {
                    account: &account,
                    sessions: n,
                },
            )?;
            Ok(n)
        })
    }

    /// Signs out: ends the session a cookie names. Unknown cookies are fine.
    pub fn staff_sign_out(&self, now: DateTime<Utc>, secret: &str) -> StoreResult<()> {
        let h = secret_hash(secret);
        self.write(&Actor::System("sign-out".into()), now, move |tx| {
            tx.execute("DELETE FROM staff_sessions WHERE hash = ?1", [h])?;
            Ok(())
        })
    }
}
