//! kerro's integration tests, one binary: in-process HTTP tests through the
//! router on a temporary store, and end-to-end tests of the real binary.

mod api;
mod bad_input;
mod browser;
mod browser_kit;
mod common;
mod decisions;
mod e2e;
mod import;
mod roles;
mod security;
mod web;
