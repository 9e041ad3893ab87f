//! Integration tests: real servers on port 0, real tonic clients, SQLite and
//! (with PROBITY_TEST_DATABASE_URL) PostgreSQL.
pub mod fixtures;
pub mod harness;

mod smoke;
