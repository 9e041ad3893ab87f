//! The bulk stream: an acknowledgement per record, resends recognized,
//! outages answered UNAVAILABLE with nothing acknowledged lost.
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::Duration;
use futures::StreamExt;
use probity_proto::{intake::v1::*, registry::v1::CircumstanceGrade};
use sea_orm::{ConnectionTrait, Database};
use tonic::{Code, Status};

use super::*;
use crate::{
    db_test,
    fixtures::{bad_fields, world},
    harness::{Backend, TestServer},
    util::expect_code,
};

/// Sends `subs[*acked..]` on one stream and advances `acked` with every
/// acknowledgement (they come in order). Returns the refusals seen and the
/// stream's error, if it broke.
pub async fn push(
    c: &mut Intake,
    subs: &[SubmitFactRequest],
    acked: &AtomicUsize,
) -> Result<Vec<SubmitFactsResponse>, Status> {
    let start = acked.load(Ordering::SeqCst);
    let outbound: Vec<SubmitFactsRequest> = subs[start..]
        .iter()
        .enumerate()
        .map(|(i, s)| SubmitFactsRequest {
            sequence: (start + i) as i64,
            submission: Some(s.clone()),
        })
        .collect();
    let mut acks = c
        .submit_facts(futures::stream::iter(outbound))
        .await?
        .into_inner();
    let mut refused = Vec::new();
    while let Some(ack) = acks.next().await {
        let ack = ack?;
        let next = acked.load(Ordering::SeqCst);
        assert_eq!(
            ack.sequence as usize, next,
            "acknowledgements come in order"
        );
        acked.store(next + 1, Ordering::SeqCst);
        if ack.code != 0 {
            refused.push(ack);
        }
    }
    Ok(refused)
}

db_test!(stream_acknowledges_every_record, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = dept(&s, &w).await;
    let t = when();
    let mut subs = Vec::new();
    for i in 0..3000 {
        let sub = match i % 3 {
            0 => fact(&w, &format!("M{i}"), matter(&w, &two(&w), t)),
            // a decision on the matter sent just before it, in the same stream
            1 => fact(
                &w,
                &format!("D{i}"),
                decision(
                    &format!("M{}", i - 1),
                    CircumstanceGrade::Minor,
                    1_000,
                    t + Duration::hours(1),
                ),
            ),
            _ => fact(
                &w,
                &format!("T{i}"),
                training(&w.a.name, if i % 300 == 2 { 0.0 } else { 2.0 }),
            ),
        };
        subs.push(sub);
    }
    let acked = AtomicUsize::new(0);
    let refused = push(&mut c, &subs, &acked).await.expect("stream");
    assert_eq!(acked.load(Ordering::SeqCst), 3000);
    // every 300th training has zero hours: refused with its field, alone
    assert_eq!(refused.len(), 10);
    assert!(
        refused
            .iter()
            .all(|r| r.code == Code::InvalidArgument as i32
                && r.bad_fields == vec!["fact.training.hours".to_string()])
    );
    assert_eq!(count(&mut c, FactFilter::default()).await, 2990);
    // the whole stream again: every accepted record replays, nothing is added
    let mut again = 0;
    let mut c2 = c.clone();
    let outbound: Vec<SubmitFactsRequest> = subs
        .iter()
        .enumerate()
        .map(|(i, s)| SubmitFactsRequest {
            sequence: i as i64,
            submission: Some(s.clone()),
        })
        .collect();
    let mut acks = c2
        .submit_facts(futures::stream::iter(outbound))
        .await
        .unwrap()
        .into_inner();
    while let Some(a) = acks.next().await {
        let a = a.unwrap();
        if a.code == 0 {
            assert!(a.replayed, "{a:?}");
            again += 1;
        }
    }
    assert_eq!(again, 2990);
    assert_eq!(count(&mut c, FactFilter::default()).await, 2990);
    s.stop().await;
});

db_test!(registry_unreachable_is_unavailable, |b| async move {
    let s = TestServer::start_with(b, |s| {
        s.section_mut::<probity_intake::settings::IntakeSettings>()
            .registry_endpoint = "http://127.0.0.1:9".into();
        s.section_mut::<probity_intake::settings::IntakeSettings>()
            .registry_timeout_ms = 500;
    })
    .await;
    let w = world(&s).await;
    let mut c = dept(&s, &w).await;
    let e = expect_code(
        c.submit_fact(fact(&w, "M1", matter(&w, &two(&w), when())))
            .await,
        Code::Unavailable,
    );
    assert!(e.message().contains("registry"), "{e:?}");
    let acked = AtomicUsize::new(0);
    let subs = vec![fact(&w, "M2", matter(&w, &two(&w), when()))];
    let e = push(&mut c, &subs, &acked)
        .await
        .expect_err("stream refused");
    assert_eq!(e.code(), Code::Unavailable);
    assert_eq!(acked.load(Ordering::SeqCst), 0);
    assert_eq!(count(&mut c, FactFilter::default()).await, 0);
    s.stop().await;
});

/// PostgreSQL goes away under load and comes back: UNAVAILABLE meanwhile,
/// intake recovers without a restart, and every acknowledged fact is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_under_load() {
    let Some(Backend::Postgres(admin_url)) = Backend::postgres() else {
        eprintln!("PROBITY_TEST_DATABASE_URL not set: PostgreSQL case skipped");
        return;
    };
    let s = TestServer::start(Backend::Postgres(admin_url.clone())).await;
    let w = world(&s).await;
    let c = dept(&s, &w).await;
    let subs: Vec<SubmitFactRequest> = (0..20_000)
        .map(|i| {
            fact(
                &w,
                &format!("L{i}"),
                training(&w.a.name, 1.0 + (i % 7) as f64),
            )
        })
        .collect();
    let total = subs.len();
    let progress = std::sync::Arc::new(AtomicUsize::new(0));
    let acked = progress.clone();
    let loader = tokio::spawn(async move {
        let mut c = c;
        let mut unavailable = 0;
        while acked.load(Ordering::SeqCst) < total {
            match push(&mut c, &subs, &acked).await {
                Ok(refused) => assert!(refused.is_empty(), "{refused:?}"),
                Err(e) => {
                    assert_eq!(
                        e.code(),
                        Code::Unavailable,
                        "an outage is UNAVAILABLE: {e:?}"
                    );
                    unavailable += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
            }
        }
        unavailable
    });
    // wait for some progress, then take the database away for a while
    let name = s.db_url.rsplit('/').next().unwrap().to_string();
    let admin = Database::connect(&admin_url).await.expect("admin");
    while progress.load(Ordering::SeqCst) < 2_000 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    admin
        .execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
        .await
        .unwrap();
    let at_cut = progress.load(Ordering::SeqCst);
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    admin
        .execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .await
        .unwrap();
    let unavailable = loader.await.expect("loader");
    assert!(
        at_cut < total,
        "the load was still running when the database went ({at_cut})"
    );
    assert!(unavailable > 0, "the outage was seen as UNAVAILABLE");
    assert_eq!(
        stored_facts(&s.db_url).await,
        (total as i64, total as i64),
        "none lost, none twice"
    );
    admin.close().await.ok();
    s.stop().await;
}

db_test!(made_and_corrected_in_one_stream, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = dept(&s, &w).await;
    let subs = vec![
        fact(&w, "TR1", training(&w.a.name, 8.0)),
        correction(fact(&w, "TR1", training(&w.a.name, 6.0)), "mistyped"),
    ];
    let acked = AtomicUsize::new(0);
    assert!(push(&mut c, &subs, &acked).await.unwrap().is_empty());
    let f = c
        .lookup_fact(LookupFactRequest {
            body: w.dept.name.clone(),
            source_id: "TR1".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(f.revision, 2, "the current revision is the correction");
    let revs = c
        .list_fact_revisions(ListFactRevisionsRequest {
            name: f.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .revisions;
    assert_eq!(revs.len(), 2);
    // and it can still be corrected and voided afterwards
    let third = c
        .submit_fact(correction(
            fact(&w, "TR1", training(&w.a.name, 5.0)),
            "again",
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(third.revision, 3);
    let void = c
        .void_fact(VoidFactRequest {
            name: f.name.clone(),
            reason: "entered twice".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(void.revision, 4);
    s.stop().await;
});

db_test!(hostile_sizes_are_refused_cheaply, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = dept(&s, &w).await;
    let many = vec![
        ProcessRecord {
            kind: 0,
            content_sha256: "x".into(),
            archive_ref: "\0".into(),
        };
        50_000
    ];
    let e = expect_code(
        c.submit_fact(fact(&w, "I1", inspection(&w, &w.inspection.name, many)))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&e), vec!["fact.inspection.records".to_string()]);
    let crowd: Vec<String> = (0..20_000).map(|i| format!("officers/o{i}")).collect();
    let crowd: Vec<&str> = crowd.iter().map(String::as_str).collect();
    let e = expect_code(
        c.submit_fact(fact(&w, "M1", matter(&w, &crowd, when())))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&e), vec!["fact.matter.officers".to_string()]);
    // a request with thousands of bad fields names at most 100 of them
    let bad: Vec<String> = (0..500).map(|i| format!("nobody-{i}")).collect();
    let mut p = matter(&w, &[], when());
    if let Payload::Matter(m) = &mut p {
        m.officers = bad.into_iter().take(100).collect();
        m.records = vec![
            ProcessRecord {
                kind: 0,
                content_sha256: String::new(),
                archive_ref: String::new(),
            };
            100
        ];
    }
    let e = expect_code(
        c.submit_fact(fact(&w, "M2", p)).await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&e).len(), 100);
    s.stop().await;
});
