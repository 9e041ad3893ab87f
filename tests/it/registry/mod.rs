//! The registry: bodies, posts, power lists, officers, credentials, the
//! public check and CheckActors.
mod bodies;
mod check_actors;
mod check_spans;
mod credentials;
mod known_at;
mod major;
mod national_id;
mod officers;
mod powers;
mod public;
mod rate_limit;
mod replicas;
mod revisions;
mod sanction_status;
mod scope;
mod time_limits;
