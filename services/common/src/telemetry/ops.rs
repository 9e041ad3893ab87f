//! The operational gauges an operator watches beside the RPC metrics, one
//! function each, recorded where the quantity lives: intake's writer queue,
//! accountability's outbox, every service's database pool, the registry's
//! snapshot, the rankings job's last recorded run. Each is made from the
//! process's meter provider when recorded, so a provider installed after a
//! component started still gets its next value. Names and units:
//! docs/deploy.md.
use std::time::Duration;

use opentelemetry::{KeyValue, global, metrics::Gauge};

use super::METER;

fn gauge_u64(name: &'static str, unit: &'static str, what: &'static str) -> Gauge<u64> {
    global::meter(METER)
        .u64_gauge(name)
        .with_unit(unit)
        .with_description(what)
        .build()
}

fn gauge_f64(name: &'static str, unit: &'static str, what: &'static str) -> Gauge<f64> {
    global::meter(METER)
        .f64_gauge(name)
        .with_unit(unit)
        .with_description(what)
        .build()
}

/// Jobs (calls and stream batches) waiting for intake's one writer.
pub fn writer_queue_depth(jobs: usize) {
    gauge_u64(
        "probity.intake.writer.queue",
        "{job}",
        "Jobs waiting for intake's writer",
    )
    .record(jobs as u64, &[]);
}

/// Sanction effects written to accountability's outbox and not yet
/// confirmed or refused by the registry.
pub fn outbox_backlog(effects: u64) {
    gauge_u64(
        "probity.accountability.outbox.pending",
        "{effect}",
        "Sanction effects in the outbox waiting for the registry",
    )
    .record(effects, &[]);
}

/// A service's database pool: connections in use and idle (OpenTelemetry's
/// database client convention, the pool named after the service).
pub fn db_pool(service: &'static str, used: u64, idle: u64) {
    let g = gauge_u64(
        "db.client.connection.count",
        "{connection}",
        "Connections of the service's database pool, by state",
    );
    for (state, n) in [("used", used), ("idle", idle)] {
        g.record(
            n,
            &[
                KeyValue::new("db.client.connection.pool.name", service),
                KeyValue::new("db.client.connection.state", state),
            ],
        );
    }
}

/// How long ago the database last confirmed the registry's in-memory copy
/// (CheckActors answers from it): near zero while the refresher keeps up.
pub fn snapshot_age(age: Duration) {
    gauge_f64(
        "probity.registry.snapshot.age",
        "s",
        "Time since the registry snapshot was last confirmed against the database",
    )
    .record(age.as_secs_f64(), &[]);
}

/// When the rankings job last recorded a run (Unix seconds).
pub fn rankings_last_run(unix_seconds: f64) {
    gauge_f64(
        "probity.rankings.last_run.time",
        "s",
        "When the rankings job last recorded a run (Unix time)",
    )
    .record(unix_seconds, &[]);
}
