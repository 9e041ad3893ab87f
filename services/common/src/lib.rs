//! Plumbing every Probity service shares, written once: settings, telemetry,
//! auth, errors, server bootstrap, database, the audit chain, and the
//! contract a service keeps with the process that runs it.
pub mod actors;
pub mod audit;
pub mod audit_api;
pub mod audit_checkpoint;
pub mod auth;
pub mod body_scope;
pub mod config;
pub mod db;
pub mod dispatch;
pub mod error;
pub mod html;
pub mod keys;
pub mod names;
pub mod peer;
pub mod rate_limit;
pub mod reasons;
pub mod revocation;
pub mod schema;
pub mod section;
pub mod server;
pub mod service;
pub mod service_identity;
pub mod store;
pub mod telemetry;

pub use error::{AppError, AppResult, MAX_TEXT, Violations};
pub use reasons::Reason;
