//! kerro: a self-hosted platform for zero-party data. This crate is the one
//! binary: CLI, configuration, the HTTP API and the web pages, exposed as a library so the
//! tests can drive the router in-process.

pub mod app;
pub mod cli;
pub mod condition_eval;
pub mod config;
pub mod db_copy;
pub mod demo;
pub mod demo_offers;
pub mod demo_webhook;
pub mod documents;
pub mod events;
pub mod http;
pub mod import;
pub mod retention;
pub mod server;
pub mod telemetry;
pub mod verify;
pub mod web;
pub mod webhooks;
