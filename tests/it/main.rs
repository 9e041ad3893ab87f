//! Integration tests: real servers on port 0, real tonic clients, SQLite and
//! (with PROBITY_TEST_DATABASE_URL) PostgreSQL.
pub mod fixtures;
pub mod harness;
pub mod util;

mod accountability;
mod audit;
mod auth;
mod city;
mod city_parquet;
mod draws;
mod draws_service;
mod idempotency;
mod intake;
mod keys;
mod metrics;
mod pagination;
mod peer_tls;
mod pooler;
mod rankings;
mod rankings_breaches;
mod rankings_csv;
mod rankings_drawn;
mod rankings_reports;
mod rankings_towns;
mod registry;
mod report;
pub(crate) mod server;
mod service_contract;
mod service_identities;
mod smoke;
mod token_policy;
mod validation;
mod whole_loop;
