//! Authentication and permissions, visible in handler signatures: a handler
//! that takes `Staff<SchemaWrite>` can only run for roles that may change the
//! schema; one that takes `SubjectSession` only for a subject token (the
//! subject's own, or one a staff member minted, then acting on its behalf).
//! A staff token that was revoked or has expired is told apart (401
//! `token_revoked`, `token_expired`); a token with a rate limit gets 429.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use kerro_core::{Actor, CoreError, ErrorCode, Role, SubjectId};
use kerro_store::{SubjectCaller, TokenCheck};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::num::NonZeroU32;
use std::sync::Arc;

use super::{blocking, AppError, AppState};

/// Whoever presented a valid token.
#[derive(Debug, Clone)]
pub enum Caller {
    Staff { id: String, role: Role },
    Subject(SubjectCaller),
}

impl Caller {
    pub fn actor(&self) -> Actor {
        match self {
            Caller::Staff { id, role } => Actor::Staff {
                id: id.clone(),
                role: *role,
            },
            Caller::Subject(s) => s.actor(),
        }
    }
}

fn unauthenticated(msg: &str) -> AppError {
    AppError(CoreError::new(ErrorCode::Unauthenticated, msg))
}

fn forbidden(msg: String) -> AppError {
    AppError(CoreError::new(ErrorCode::Forbidden, msg))
}

/// Per-token request limits (governor's GCRA), for tokens that have one.
#[derive(Default)]
pub struct TokenLimits {
    /// The limit of tokens created without one; 0: none.
    pub default_per_minute: u32,
    limiters: Mutex<HashMap<(String, u32), Arc<DefaultDirectRateLimiter>>>,
}

impl TokenLimits {
    pub fn new(default_per_minute: u32) -> TokenLimits {
        TokenLimits {
            default_per_minute,
            limiters: Mutex::default(),
        }
    }

    /// Takes one request from the token's allowance; `Err` is the seconds to wait.
    fn check(&self, token: &str, per_minute: Option<u32>) -> Result<(), u64> {
        let Some(n) = per_minute
            .or((self.default_per_minute > 0).then_some(self.default_per_minute))
            .and_then(NonZeroU32::new)
        else {
            return Ok(());
        };
        let limiter = self
            .limiters
            .lock()
            .entry((token.to_owned(), n.get()))
            .or_insert_with(|| Arc::new(RateLimiter::direct(Quota::per_minute(n))))
            .clone();
        limiter.check().map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(
                &governor::clock::DefaultClock::default(),
            ));
            wait.as_secs().max(1)
        })
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| unauthenticated("send 'Authorization: Bearer <token>'"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| unauthenticated("send 'Authorization: Bearer <token>'"))?
            .to_owned();
        let store = state.store.clone();
        let now = state.now();
        if token.starts_with(kerro_store::SUBJECT_TOKEN_PREFIX) {
            let found = blocking(move || store.subject_for_token(&token, now)).await?;
            return found
                .map(Caller::Subject)
                .ok_or_else(|| unauthenticated("the token is unknown or expired"));
        }
        // Bootstrap tokens may have any shape, so anything not a subject token is tried as staff.
        // A cached token is checked here; a miss reads the database on a blocking thread.
        let check = match store.cached_staff_token(&token, now) {
            Some(c) => c,
            None => blocking(move || store.check_staff_token(&token, now)).await?,
        };
        match check {
            TokenCheck::Valid(holder) => {
                let limits = parts.extensions.get::<Arc<TokenLimits>>().cloned();
                if let Some(limits) = limits {
                    if let Err(wait) = limits.check(&holder.id, holder.per_minute) {
                        return Err(AppError(CoreError::rate_limited(
                            format!("this token's request limit is reached; retry after {wait} s"),
                            wait,
                        )));
                    }
                }
                // Written down at most once a minute per token, off the request's path.
                if holder.use_due(now) {
                    let (id, store) = (holder.id.clone(), state.store.clone());
                    tokio::task::spawn_blocking(move || {
                        if let Err(e) = store.note_token_use(&id, now) {
                            tracing::debug!("cannot note a token's use: {e}");
                        }
                    });
                }
                Ok(Caller::Staff {
                    id: holder.id,
                    role: holder.role,
                })
            }
            TokenCheck::Revoked => Err(AppError(CoreError::new(
                ErrorCode::TokenRevoked,
                "this token was revoked",
            ))),
            TokenCheck::Expired => Err(AppError(CoreError::new(
                ErrorCode::TokenExpired,
                "this token has expired; create a new one",
            ))),
            TokenCheck::Unknown => Err(unauthenticated("the token is unknown")),
        }
    }
}

/// A permission: the staff roles that hold it.
pub trait Permission: Send + Sync + 'static {
    const NAME: &'static str;
    const ROLES: &'static [Role];
}

macro_rules! permission {
    ($(#[$doc:meta])* $name:ident, $label:literal, [$($role:ident),*]) => {
        $(#[$doc])*
        pub struct $name;
        impl Permission for $name {
            const NAME: &'static str = $label;
            const ROLES: &'static [Role] = &[$(Role::$role),*];
        }
    };
}

permission!(
    /// Read purposes, attributes and forms.
    SchemaRead, "read the schema", [Admin, Editor, Support, Service]
);
permission!(
    /// Define purposes, attributes and forms.
    SchemaWrite, "change the schema", [Admin, Editor]
);
permission!(
    /// Create subjects (the company's own site or CRM).
    SubjectCreate, "create subjects", [Admin, Service]
);
permission!(
    /// Read everything held about a subject; every read is audited with its reason.
    SubjectRead, "read subjects", [Admin, Support]
);
permission!(
    /// Mint a short-lived token to act on a subject's behalf (audited as such).
    SubjectToken, "issue subject tokens", [Admin, Support]
);
permission!(
    /// Record a submission on a subject's behalf.
    Submit, "submit on a subject's behalf", [Admin, Service]
);
permission!(
    /// Ask for decisions on a subject's behalf (the company's site, CRM or mailer).
    Decide, "ask for decisions", [Admin, Service]
);
permission!(
    /// Plan, start, watch and cancel e-mail campaigns (the marketing team).
    Campaigns, "run campaigns", [Admin, Editor]
);
permission!(
    /// Export an audience's subject ids (and e-mail addresses) for a campaign.
    AudienceExport, "export audiences", [Admin, Service]
);
permission!(
    /// Read aggregate reports (no personal values).
    Reports, "read reports", [Admin, Editor, Support]
);
permission!(
    /// Read any consent receipt (a subject reads its own with its token).
    ReceiptRead, "read consent receipts", [Admin, Support]
);
permission!(
    /// Invite, change and deactivate staff accounts.
    StaffManage, "manage staff accounts", [Admin]
);
permission!(
    /// Create, list and revoke API tokens.
    TokenManage, "manage API tokens", [Admin]
);
permission!(
    /// Read the audit log and the chains' signed checkpoints.
    AuditRead, "read the audit log and checkpoints", [Admin, Dpo]
);
permission!(
    /// Record rights requests, extend them, verify the requester and complete
    /// them; list the register (P15).
    RightsRequests, "handle rights requests", [Admin, Support, Dpo]
);
permission!(
    /// Register, list and delete webhooks, read their deliveries and retry them.
    WebhookManage, "manage webhooks", [Admin]
);
permission!(
    /// Keep the registers (breaches, ...): record, update and export them (P25).
    Registers, "keep the registers (breaches, ...)", [Admin, Dpo]
);
permission!(
    /// Keep the recipients register (P21): recipients are part of the schema
    /// (purposes name them), so editors keep them; the dpo answers for the
    /// transfers' safeguards.
    Recipients, "keep the recipients register", [Admin, Editor, Dpo]
);
permission!(
    /// Scrape the operational metrics (`GET /metrics`: counts and timings, no personal data).
    Metrics, "read metrics", [Admin, Service]
);

/// A staff caller holding permission `P`.
pub struct Staff<P: Permission> {
    pub actor: Actor,
    _p: PhantomData<P>,
}

impl<P: Permission> Staff<P> {
    pub fn check(caller: Caller) -> Result<Self, AppError> {
        match caller {
            Caller::Staff { id, role } if P::ROLES.contains(&role) => Ok(Staff {
                actor: Actor::Staff { id, role },
                _p: PhantomData,
            }),
            Caller::Staff { role, .. } => {
                Err(forbidden(format!("the {role} role may not {}", P::NAME)))
            }
            Caller::Subject(_) => Err(forbidden(format!(
                "a subject token may not {}; use a staff token",
                P::NAME
            ))),
        }
    }
}

impl<P: Permission> FromRequestParts<AppState> for Staff<P> {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Staff::check(Caller::from_request_parts(parts, state).await?)
    }
}

/// A subject token: the subject acting on its own data, or a staff member who
/// minted it acting on the subject's behalf (`actor` says which, for the audit log).
pub struct SubjectSession {
    pub id: SubjectId,
    pub actor: Actor,
}

impl FromRequestParts<AppState> for SubjectSession {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match Caller::from_request_parts(parts, state).await? {
            Caller::Subject(s) => {
                let session = SubjectSession {
                    actor: s.actor(),
                    id: s.subject,
                };
                // P17: the subject's own browser saying `Sec-GPC: 1` objects to
                // sharing, as on the pages (not a staff member's, on their behalf).
                let gpc = parts
                    .headers
                    .get("sec-gpc")
                    .is_some_and(|v| v.as_bytes() == b"1");
                if gpc && matches!(session.actor, Actor::Subject(_)) {
                    honour_gpc(state, &session.id).await?;
                }
                Ok(session)
            }
            Caller::Staff { .. } => Err(forbidden(
                "self-service calls need a subject token, not a staff token".into(),
            )),
        }
    }
}

/// Records the subject's objection to sharing once: a read first, so a
/// browser that sends the signal with every call writes only the first time.
async fn honour_gpc(state: &AppState, id: &SubjectId) -> Result<(), AppError> {
    let (store, now, id) = (state.store.clone(), state.now(), id.clone());
    blocking(move || {
        if !store.objected_sharing(&id)? {
            store.object_to_sharing(&Actor::Subject(id.clone()), now, &id, "gpc")?;
        }
        Ok(())
    })
    .await
}

/// Why a person reads one subject's personal data: the `Kerro-Access-Reason`
/// header, 3 to 500 characters (P23). Without it: 400 `reason_required`.
pub struct AccessReason(pub String);

pub const REASON_HEADER: &str = "kerro-access-reason";

impl<S: Send + Sync> FromRequestParts<S> for AccessReason {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // UTF-8 is allowed (a reason may be written in Finnish or Swedish).
        let raw = parts
            .headers
            .get(REASON_HEADER)
            .and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
            .unwrap_or("");
        Ok(AccessReason(kerro_core::staff::check_access_reason(raw)?))
    }
}
