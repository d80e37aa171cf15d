//! Who is acting: a staff member (a named person signed in to the pages, or a
//! program's role-bound API token), the subject themselves, a staff member
//! using a subject token they minted, or kerro's own maintenance. Permissions
//! are checked on roles.

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
    /// The data protection officer: reads the registers and the audit log.
    Dpo,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Service,
        Role::Support,
        Role::Editor,
        Role::Admin,
        Role::Dpo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Service => "service",
            Role::Support => "support",
            Role::Editor => "editor",
            Role::Admin => "admin",
            Role::Dpo => "dpo",
        }
    }

    pub fn parse(raw: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == raw)
    }

    /// Whether a person with this role must sign in with a second factor: every
    /// role that can read personal data (admin, support, dpo), and editor.
    pub fn needs_second_factor(self) -> bool {
        !matches!(self, Role::Service)
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
    /// A named staff account (`stf_…`) or a program's API token (`tok_…`).
    Staff {
        id: String,
        role: Role,
    },
    Subject(SubjectId),
    /// A staff member using a subject token they minted: the subject's
    /// self-service, done and recorded as "staff X on behalf of subject Y".
    OnBehalf {
        /// The minter's id (`stf_…` or `tok_…`).
        staff: String,
        role: Role,
        subject: SubjectId,
    },
    /// kerro itself: start-up, the CLI on the server's own machine, maintenance jobs.
    System(String),
}

impl Actor {
    /// The text stored for the actor; a subject is recorded as `subject`, its id is on the row already.
    pub fn label(&self) -> String {
        match self {
            Actor::Staff { id, role } => format!("staff:{role}:{id}"),
            Actor::Subject(_) => "subject".to_owned(),
            Actor::OnBehalf { staff, role, .. } => {
                format!("staff:{role}:{staff}:on-behalf-of-subject")
            }
            Actor::System(what) => format!("system:{what}"),
        }
    }

    /// Whether the subject acts on its own data in person (reads by anyone else are audited).
    pub fn is_the_subject(&self) -> bool {
        matches!(self, Actor::Subject(_))
    }
}
