//! Two replicas on one database: a sanction applied through one is seen by
//! the other's CheckActors within registry.snapshot_max_staleness_ms.
use std::time::{Duration, Instant};

use chrono::Utc;
use probity_proto::registry::v1::*;

use crate::{db_test, fixtures::*, harness::TestServer, util::*};

db_test!(
    a_revocation_on_one_replica_reaches_the_other,
    |b| async move {
        let a = TestServer::start_with(b, |s| {
            s.section_mut::<probity_registry::settings::RegistrySettings>()
                .snapshot_max_staleness_ms = 200
        })
        .await;
        let (url, dir) = (a.db_url.clone(), a.settings.database.data_dir.clone());
        let replica = TestServer::start_with(crate::harness::Backend::Sqlite, move |s| {
            s.database.url = url;
            s.database.data_dir = dir;
            s.section_mut::<probity_registry::settings::RegistrySettings>()
                .snapshot_max_staleness_ms = 200;
        })
        .await;
        let w = world(&a).await;
        let before = check(
            &a,
            &w.dept.name,
            &w.penalty.name,
            Utc::now(),
            &[&w.a, &w.b],
            0,
        )
        .await;
        assert!(before.group_ok, "{before:?}");

        replica
            .legal()
            .await
            .revoke_credential(RevokeCredentialRequest {
                request_id: rid(),
                name: w.cred_a.name.clone(),
                reason: "缴销".into(),
            })
            .await
            .unwrap();
        let revoked_at = Instant::now();
        loop {
            let r = check(
                &a,
                &w.dept.name,
                &w.penalty.name,
                Utc::now(),
                &[&w.a, &w.b],
                0,
            )
            .await;
            if problems(&r, &w.a.name).contains(&ActorProblem::CredentialRevoked) {
                break;
            }
            assert!(
                revoked_at.elapsed() < Duration::from_millis(200 + 300),
                "still unseen after the staleness bound: {r:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // The public check on the first replica agrees.
        let v = a
            .public()
            .await
            .verify_credential(VerifyCredentialRequest {
                number: w.cred_a.number.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(v.status, CredentialStatus::Revoked as i32);
        replica.stop().await;
        a.stop().await;
    }
);

// Replicas starting together on a fresh PostgreSQL database migrate it
// once: the others wait for the advisory lock, then find nothing pending.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_starting_together_migrate_once() {
    let Some(crate::harness::Backend::Postgres(admin)) = crate::harness::Backend::postgres() else {
        eprintln!("PROBITY_TEST_DATABASE_URL not set: PostgreSQL case skipped");
        return;
    };
    let url = crate::harness::fresh_pg_database(&admin).await;
    let mut pools = Vec::new();
    for _ in 0..4 {
        pools.push(sea_orm::Database::connect(&url).await.expect("connect"));
    }
    let runs = pools
        .iter()
        .map(probity_common::db::migrate::<probity_intake::Migrator>);
    for r in futures::future::join_all(runs).await {
        r.expect("every replica's migration succeeds");
    }
    for db in pools {
        db.close().await.ok();
    }
}
