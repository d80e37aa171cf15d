//! Authentication and permissions, visible in handler signatures: a handler
//! that takes `Staff<SchemaWrite>` can only run for roles that may change the
//! schema; one that takes `SubjectSession` only for a subject's own token.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use kerro_core::{Actor, CoreError, ErrorCode, Role, SubjectId};
use std::marker::PhantomData;

use super::{blocking, AppError, AppState};

/// Whoever presented a valid token.
#[derive(Debug, Clone)]
pub enum Caller {
    Staff { token_id: String, role: Role },
    Subject(SubjectId),
}

impl Caller {
    pub fn actor(&self) -> Actor {
        match self {
            Caller::Staff { token_id, role } => Actor::Staff {
                token_id: token_id.clone(),
                role: *role,
            },
            Caller::Subject(id) => Actor::Subject(id.clone()),
        }
    }
}

fn unauthenticated(msg: &str) -> AppError {
    AppError(CoreError::new(ErrorCode::Unauthenticated, msg))
}

fn forbidden(msg: String) -> AppError {
    AppError(CoreError::new(ErrorCode::Forbidden, msg))
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
        if let Some((token_id, role)) = state.store.staff_for_token_cached(&token) {
            return Ok(Caller::Staff { token_id, role });
        }
        let store = state.store.clone();
        let now = state.now();
        let caller = blocking(move || {
            if token.starts_with(kerro_store::STAFF_TOKEN_PREFIX)
                || !token.starts_with(kerro_store::SUBJECT_TOKEN_PREFIX)
            {
                // Bootstrap tokens may have any shape, so anything not a subject token is tried as staff.
                Ok(store
                    .staff_for_token(&token)?
                    .map(|(token_id, role)| Caller::Staff { token_id, role }))
            } else {
                Ok(store.subject_for_token(&token, now)?.map(Caller::Subject))
            }
        })
        .await?;
        caller.ok_or_else(|| unauthenticated("the token is unknown, expired or revoked"))
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
    /// Read everything held about a subject; every read is audited.
    SubjectRead, "read subjects", [Admin, Support]
);
permission!(
    /// Issue a short-lived self-service token for a subject.
    SubjectToken, "issue subject tokens", [Admin, Service, Support]
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
            Caller::Staff { token_id, role } if P::ROLES.contains(&role) => Ok(Staff {
                actor: Actor::Staff { token_id, role },
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

/// A subject acting on its own data with its own token.
pub struct SubjectSession(pub SubjectId);

impl FromRequestParts<AppState> for SubjectSession {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match Caller::from_request_parts(parts, state).await? {
            Caller::Subject(id) => Ok(SubjectSession(id)),
            Caller::Staff { .. } => Err(forbidden(
                "self-service calls need the subject's own token, not a staff token".into(),
            )),
        }
    }
}
