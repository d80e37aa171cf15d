//! Who is acting: a staff member through a role-bound token, the subject
//! themselves, or kerro's own maintenance. Permissions are checked on roles.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::ids::SubjectId;

/// Staff roles, least privilege first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Submits on a subject's behalf and, later, asks for decisions.
    Service,
    /// Looks up a subject to help with a rights request; every read is audited.
    Support,
    /// Defines purposes, attributes, forms and, later, offers.
    Editor,
    /// Everything.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Service, Role::Support, Role::Editor, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Service => "service",
            Role::Support => "support",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == raw)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The party behind a change, recorded in the ledger and the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Staff {
        token_id: String,
        role: Role,
    },
    Subject(SubjectId),
    /// kerro itself: start-up, the CLI on the server's own machine, maintenance jobs.
    System(String),
}

impl Actor {
    /// The text stored for the actor; a subject is recorded as `subject`, its id is on the row already.
    pub fn label(&self) -> String {
        match self {
            Actor::Staff { token_id, role } => format!("staff:{role}:{token_id}"),
            Actor::Subject(_) => "subject".to_owned(),
            Actor::System(what) => format!("system:{what}"),
        }
    }
}
