//! Two intake replicas on one database. Each writer keeps the chain head it
//! last wrote and writes new facts in one statement guarded by it; a write
//! through the other replica moves the head, so the guarded statement must
//! write nothing and the locked path take over. Interleaved and concurrent
//! submissions through both: every fact once, distinct ids, resends through
//! the other replica answered with the same fact, one chain that verifies.
use std::collections::HashSet;

use super::*;
use crate::{
    db_test,
    fixtures::world,
    harness::{Backend, TestServer},
};

db_test!(
    two_replicas_write_each_fact_once_on_one_chain,
    |b| async move {
        let a = TestServer::start_with(b, |s| {
            s.section_mut::<probity_registry::settings::RegistrySettings>()
                .snapshot_max_staleness_ms = 100
        })
        .await;
        let (url, dir) = (a.db_url.clone(), a.settings.database.data_dir.clone());
        let r = TestServer::start_with(Backend::Sqlite, move |s| {
            s.database.url = url;
            s.database.data_dir = dir;
            s.section_mut::<probity_registry::settings::RegistrySettings>()
                .snapshot_max_staleness_ms = 100;
        })
        .await;
        let w = world(&a).await;
        // The replica's registry sees the world after its staleness bound.
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        let (mut ca, mut cr) = (dept(&a, &w).await, dept(&r, &w).await);
        let t = when();
        let mut names = HashSet::new();

        // Interleaved: every write finds the head moved by the other replica.
        for i in 0..12 {
            let c = if i % 2 == 0 { &mut ca } else { &mut cr };
            let f = c
                .submit_fact(fact(&w, &format!("M{i}"), matter(&w, &two(&w), t)))
                .await
                .unwrap_or_else(|e| panic!("M{i}: {e:?}"))
                .into_inner();
            assert_eq!(f.source_id, format!("M{i}"));
            assert!(
                names.insert(f.name.clone()),
                "M{i} got a used name {}",
                f.name
            );
        }

        // Concurrent: both writers race for the head.
        let calls = (0..40).map(|i| {
            let mut c = if i % 2 == 0 { ca.clone() } else { cr.clone() };
            let req = fact(&w, &format!("C{i}"), matter(&w, &two(&w), t));
            async move { c.submit_fact(req).await.map(|f| f.into_inner()) }
        });
        for (i, f) in futures::future::join_all(calls)
            .await
            .into_iter()
            .enumerate()
        {
            let f = f.unwrap_or_else(|e| panic!("C{i}: {e:?}"));
            assert!(
                names.insert(f.name.clone()),
                "C{i} got a used name {}",
                f.name
            );
        }

        // A resend through the other replica is the fact already recorded.
        for i in [0, 1, 10, 11] {
            let (first, other) = if i % 2 == 0 {
                (&a, &mut cr)
            } else {
                (&r, &mut ca)
            };
            let again = other
                .submit_fact(fact(&w, &format!("M{i}"), matter(&w, &two(&w), t)))
                .await
                .unwrap_or_else(|e| panic!("resend of M{i} (first through {}): {e:?}", first.addr))
                .into_inner();
            assert_eq!(again.revision, 1);
            assert!(
                names.contains(&again.name),
                "resend of M{i} made {}",
                again.name
            );
        }
        assert_eq!(stored_facts(&a.db_url).await, (52, 52));
        assert_eq!(
            count(&mut ca, Default::default()).await,
            52,
            "the facts as intake counts them"
        );

        assert!(intake_chain_verifies(&a).await >= 52);
        r.stop().await;
        a.stop().await;
    }
);
