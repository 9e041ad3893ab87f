//! Integration tests: real servers on port 0, real tonic clients, SQLite and
//! (with PROBITY_TEST_DATABASE_URL) PostgreSQL.
pub mod fixtures;
pub mod harness;
pub mod util;

mod accountability;
mod audit;
mod auth;
mod bodies;
mod check_actors;
mod check_spans;
mod credentials;
mod idempotency;
mod intake;
mod keys;
mod known_at;
mod major;
mod officers;
mod pagination;
mod powers;
mod public;
mod rankings;
mod rankings_breaches;
mod replicas;
mod review;
mod revisions;
mod sanction_status;
mod server;
mod service_contract;
mod smoke;
mod validation;
