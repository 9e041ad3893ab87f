//! Connection poolers (PgBouncer, docs/deploy.md): a service's PostgreSQL
//! connections carry no start-up settings a pooler refuses or drops, and
//! intake's lookups by key stay index probes on tables the planner has no
//! statistics for, which `options=-c enable_seqscan=off` used to paper over.
use probity_common::service::{Service, open};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, Value};

use crate::harness::{Backend, TestServer, fresh_pg_database};

/// The start-up parameters PgBouncer tracks per client and passes on; any
/// other it refuses ("unsupported startup parameter") unless told to
/// ignore it, and then the setting silently never applies.
const TRACKED: &[&str] = &[
    "DateStyle",
    "TimeZone",
    "application_name",
    "client_encoding",
    "standard_conforming_strings",
];

/// Settings this connection's client set at start-up (`options`,
/// `extra_float_digits`, ...), beside the ones PgBouncer tracks.
async fn untracked_client_settings(db: &DatabaseConnection) -> Vec<String> {
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT name FROM pg_settings WHERE source = 'client' ORDER BY name",
    ))
    .await
    .expect("pg_settings")
    .iter()
    .map(|r| r.try_get::<String>("", "name").expect("name"))
    .filter(|n| !TRACKED.contains(&n.as_str()))
    .collect()
}

async fn settings_of<S: Service>(s: &TestServer) -> Vec<String> {
    let mut settings = s.settings.clone();
    settings.database.run_migrations = false;
    let svc = open::<S>(&settings, s.addr).await.expect("open");
    untracked_client_settings(&svc.store().db).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_service_connects_with_no_session_options() {
    let Some(backend) = Backend::postgres() else {
        eprintln!("PROBITY_TEST_DATABASE_URL not set: PostgreSQL case skipped");
        return;
    };
    let s = TestServer::start(backend).await;
    for (service, set) in [
        (
            "registry",
            settings_of::<probity_registry::Registry>(&s).await,
        ),
        ("intake", settings_of::<probity_intake::Intake>(&s).await),
        (
            "accountability",
            settings_of::<probity_accountability::Accountability>(&s).await,
        ),
        (
            "rankings",
            settings_of::<probity_rankings_service::Rankings>(&s).await,
        ),
    ] {
        assert!(
            set.is_empty(),
            "{service} connects with start-up settings PgBouncer does not track: {set:?}"
        );
    }
    s.stop().await;
}

fn array(ty: sea_orm::sea_query::ArrayType, v: Vec<Value>) -> Value {
    Value::Array(ty, Some(Box::new(v)))
}

/// The plan of `sql` with `values`, as text.
async fn plan(db: &DatabaseConnection, sql: &str, values: Vec<Value>) -> String {
    db.query_all_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        format!("EXPLAIN (COSTS OFF) {sql}"),
        values,
    ))
    .await
    .expect("explain")
    .iter()
    .map(|r| r.try_get::<String>("", "QUERY PLAN").expect("plan line"))
    .collect::<Vec<_>>()
    .join("\n")
}

/// 100,000 facts never analyzed (as intake's tables are between autovacuum's
/// runs while they fill): 2,000 keys are still looked up one index probe
/// each, never hashed or merged against a scan of the table, and no key is
/// compared with every fact of a body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookups_by_key_are_index_probes_without_statistics() {
    use sea_orm::sea_query::ArrayType;
    let Some(Backend::Postgres(admin)) = Backend::postgres() else {
        eprintln!("PROBITY_TEST_DATABASE_URL not set: PostgreSQL case skipped");
        return;
    };
    let url = fresh_pg_database(&admin).await;
    let db = sea_orm::Database::connect(&url).await.expect("connect");
    probity_common::db::migrate::<probity_intake::Migrator>(&db)
        .await
        .expect("migrate");
    for sql in [
        "ALTER TABLE intake_facts SET (autovacuum_enabled = false)",
        "ALTER TABLE intake_revisions SET (autovacuum_enabled = false)",
        "INSERT INTO intake_facts (id, body, body_path, source_id, kind, revision, voided, \
         occurred_us, recorded_us) SELECT g, 'b' || (g % 20), '/', 's' || g, 1, 1, false, g, g \
         FROM generate_series(1, 100000) g",
        "INSERT INTO intake_revisions (fact_id, revision, kind, body, payload, digest, reason, \
         voided, actor, role, occurred_us, recorded_us, audit_seq) SELECT g, 1, 1, \
         'b' || (g % 20), '\\x00', 'd' || g, '', false, 'a', 'department', g, g, g \
         FROM generate_series(1, 100000) g",
    ] {
        db.execute_unprepared(sql).await.expect(sql);
    }
    let keys: Vec<i64> = (1..=2000).map(|g| g * 20 + 7).collect();
    let text = |f: &dyn Fn(i64) -> String| {
        array(
            ArrayType::String,
            keys.iter().map(|k| Value::from(f(*k))).collect(),
        )
    };
    let plans = [
        (
            "by_source",
            plan(
                &db,
                &probity_intake::store::pg_lookups::by_source(),
                vec!["b7".into(), text(&|k| format!("s{k}"))],
            )
            .await,
        ),
        (
            "digests",
            plan(
                &db,
                &probity_intake::store::pg_lookups::digests(),
                vec![array(
                    ArrayType::BigInt,
                    keys.iter().map(|k| Value::from(*k)).collect(),
                )],
            )
            .await,
        ),
        (
            "still_as_checked",
            plan(
                &db,
                &probity_intake::store::pg_lookups::still_as_checked(),
                vec![
                    text(&|_| "b7".into()),
                    text(&|k| format!("s{k}")),
                    array(
                        ArrayType::Int,
                        keys.iter().map(|_| Value::from(1)).collect(),
                    ),
                    text(&|k| format!("d{k}")),
                ],
            )
            .await,
        ),
    ];
    for (name, p) in plans {
        for bad in ["Seq Scan", "Hash Join", "Merge Join", "Join Filter"] {
            assert!(!p.contains(bad), "{name}: {bad} in\n{p}");
        }
        assert!(p.contains("Nested Loop"), "{name}:\n{p}");
    }
    db.close().await.ok();
}
