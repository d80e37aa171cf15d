//! The store suite on PostgreSQL: the same in-process tests as the `it`
//! binary (the API, bad input, roles, decisions, web pages, import,
//! encryption and crypto-shredding), each on a fresh database, plus the tests
//! only PostgreSQL has: several nodes on one database, concurrent ledger
//! writers, `db copy`. Without a server each test says SKIPPED and returns;
//! `.ci/run` sets `KERRO_REQUIRE_POSTGRES=1` so there a missing server fails.

/// The backend `TestApp::start` opens in this binary.
pub const BACKEND: common::Backend = common::Backend::Postgres;

#[path = "../it/abuse.rs"]
mod abuse;
#[path = "../it/api.rs"]
mod api;
#[path = "../it/audit_page.rs"]
mod audit_page;
#[path = "../it/bad_input.rs"]
mod bad_input;
#[path = "../it/breach_notices.rs"]
mod breach_notices;
#[path = "../it/breach_pages.rs"]
mod breach_pages;
#[path = "../it/breaches.rs"]
mod breaches;
#[path = "../it/campaigns.rs"]
mod campaigns;
#[path = "../it/checkpoints.rs"]
mod checkpoints;
mod cluster;
#[path = "../it/common.rs"]
mod common;
#[path = "../it/decisions.rs"]
mod decisions;
#[path = "../it/disclosures.rs"]
mod disclosures;
#[path = "../it/events.rs"]
mod events;
#[path = "../it/form_choices.rs"]
mod form_choices;
#[path = "../it/gpc.rs"]
mod gpc;
#[path = "../it/hostile.rs"]
mod hostile;
#[path = "../it/hostile_staff.rs"]
mod hostile_staff;
#[path = "../it/import.rs"]
mod import;
#[path = "../it/key_store.rs"]
mod key_store;
#[path = "../it/messages.rs"]
mod messages;
mod node;
#[path = "../it/optin.rs"]
mod optin;
#[path = "../it/pages.rs"]
mod pages;
#[path = "../it/pg_support.rs"]
mod pg_support;
#[path = "../it/receipts.rs"]
mod receipts;
#[path = "../it/records.rs"]
mod records;
#[path = "../it/renewal.rs"]
mod renewal;
#[path = "../it/requests_page.rs"]
mod requests_page;
#[path = "../it/retention.rs"]
mod retention;
#[path = "../it/rights_requests.rs"]
mod rights_requests;
#[path = "../it/roles.rs"]
mod roles;
#[path = "../it/saved_audiences.rs"]
mod saved_audiences;
#[path = "../it/security.rs"]
mod security;
#[path = "../it/serve.rs"]
mod serve;
#[path = "../it/special_categories.rs"]
mod special_categories;
#[path = "../it/staff.rs"]
mod staff;
#[path = "../it/telemetry.rs"]
mod telemetry;
#[path = "../it/unsubscribe.rs"]
mod unsubscribe;
#[path = "../it/web.rs"]
mod web;
#[path = "../it/webhooks.rs"]
mod webhooks;
#[path = "../it/write_path.rs"]
mod write_path;
