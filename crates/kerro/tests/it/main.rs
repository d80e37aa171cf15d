//! kerro's integration tests, one binary: in-process HTTP tests through the
//! router on a temporary SQLite store, and end-to-end tests of the real
//! binary. The `pg` test binary runs the same in-process suite on PostgreSQL.

/// The backend `TestApp::start` opens in this binary.
pub const BACKEND: common::Backend = common::Backend::Sqlite;

mod abuse;
mod api;
mod audit_page;
mod bad_input;
mod breach_notices;
mod breach_pages;
mod breaches;
mod browser;
mod browser_kit;
mod browser_offers;
mod browser_staff;
mod campaigns;
mod checkpoints;
mod common;
mod decisions;
mod disclosures;
mod e2e;
mod events;
mod form_choices;
mod gpc;
mod hostile;
mod hostile_staff;
mod import;
mod key_store;
mod messages;
mod openapi;
mod optin;
mod pages;
mod pg_support;
mod receipts;
mod records;
mod renewal;
mod requests_page;
mod retention;
mod rights_requests;
mod roles;
mod saved_audiences;
mod security;
mod serve;
mod slow_clients;
mod special_categories;
mod staff;
mod telemetry;
mod unsubscribe;
mod web;
mod webhooks;
mod write_path;
