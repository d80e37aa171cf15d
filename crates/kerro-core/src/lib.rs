//! kerro's domain: what a customer declared, for which purpose, under which consent.
//!
//! This crate has no I/O, no clock and no async runtime: time and actor are
//! parameters, storage and HTTP live in `kerro-store` and `kerro`.

pub mod actor;
pub mod audience;
mod audience_dense;
mod audience_leaf;
mod audience_plan;
mod audience_range;
pub mod breach;
pub mod catalogue;
mod catalogue_index;
mod compact;
mod compact_eval;
pub mod consent;
pub mod contact;
pub mod decide;
pub mod disclosure;
pub mod email;
pub mod error;
pub mod i18n;
pub mod ids;
pub mod notice;
pub mod offer;
pub mod recipient;
pub mod records;
pub mod retention;
pub mod rights_request;
pub mod saved_audience;
pub mod schema;
pub mod slot_ids;
pub mod staff;
pub mod submission;
pub mod time;
pub mod value;

pub use actor::{Actor, Role};
pub use error::{CoreError, ErrorCode};
pub use i18n::{Lang, Localized};
pub use ids::{
    AttributeKey, AudienceKey, FormKey, OfferKey, PurposeKey, RecipientKey, RecordId, SubjectId,
};
