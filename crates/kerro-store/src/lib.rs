//! kerro's storage: the embedded SQLite store with encryption at rest,
//! the hash-chained consent ledger, the audit log and group commit.
//!
//! The domain rules live in `kerro-core`; this crate applies them inside
//! transactions and never decides policy on its own.

pub mod copy;
pub mod crypto;
mod db;
pub mod error;
pub mod model;
pub mod signing;
pub mod sql;
mod store;
pub mod telemetry;
mod writer;

pub use copy::{copy, table_counts, CopyProgress, CopyReport};
pub use db::{connect, key_store_path, Location, SCHEMA_VERSION};
pub use error::{StoreError, StoreResult};
pub use model::*;
pub use store::{
    is_sign_in_secret, week_of, AdminStats, AnswerCount, ApiToken, Enrolment, FormPost, FormPosted,
    ImportOutcome, ImportRecord, Invited, LoginLink, MintedBy, PolicyVersion, Respondent,
    SessionInfo, SignIn, StaffAccount, StaffSession, Stage, Store, StoreOptions, SubjectCaller,
    Submission, TokenCheck, TokenHolder, WebSession, INVITE_PREFIX, LOGIN_LINK_PREFIX,
    SESSION_PREFIX, STAFF_SESSION_PREFIX, STAFF_TOKEN_PREFIX, SUBJECT_TOKEN_PREFIX,
};
// The communication loop (issue 14).
pub use store::{
    AudienceSize, Campaign, CampaignAudience, CampaignCheck, DeliveryReport, NewCampaign, Outcome,
    Recipient, RecordedDelivery, SavedAudience, Skip, Unsubscribe, UnsubscribeLink, SIZE_DAYS,
};
// Rights requests with deadlines (issue 13, item 3).
pub use store::{Extension, NewRightsRequest, RequestFilter, RightsRequest};
pub use store::{LoggedDisclosure, RecipientDisclosures, DISCLOSURES_LISTED};
pub use store::{RecordsVersion, StoredRecords};
pub use store::{RetentionCount, RetentionKind, RetentionReport, RETENTION_LOCK};
// Double opt-in of e-mail addresses (issue 14, item 4).
pub use store::{
    is_confirm_secret, ConfirmationMail, Confirmed, EmailState, CONFIRM_LINK_DAYS,
    CONFIRM_LINK_PREFIX, RESEND_MINUTES,
};
// Anchored chains and the audit log viewer (issue 11, items 8 and 9).
pub use store::{
    AuditFilter, AuditPage, AuditRow, Chain, ChainProblem, ChainReport, Checkpoint,
    CheckpointClock, CheckpointCopy, CheckpointName, CheckpointPolicy, AUDIT_ACTIONS,
};
// Signed webhooks and the event stream (issue 14, items 5 and 6).
pub use store::outbox::OutboxEvent;
pub use store::{
    event_body, event_type, Attempt, Disabled, DueDelivery, NewWebhook, RetrySchedule,
    WebhookDelivery, WebhookEndpoint, DELIVERY_PREFIX, SECRET_PREFIX, WEBHOOK_EVENTS,
    WEBHOOK_MAX_DESCRIPTION, WEBHOOK_PREFIX,
};
// The breach register (issue 13, item 1).
pub use store::{
    AuthorityNotification, Breach, BreachMessage, BreachRecipient, BreachScope, BreachUpdate,
    MessageCounts, MessageOutcome, ScopeQuery, BREACH_PREFIX,
};
