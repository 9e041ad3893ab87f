//! The doors a unit would try around the draw cross-check (issue 18): one
//! draw verifying many inspections of its target, inspections sent together
//! so that none sees the others (one stream, two streams at once), a plan
//! loosened after the fact, free text that names a draw, and a finding
//! voided or corrected away.
use std::sync::atomic::AtomicUsize;

use chrono::{Duration, Utc};
use probity_proto::{draws::v1::Draw, intake::v1::*};

use super::{
    bulk::push,
    drawn::{drawn, excessive, inspection_of, mismatches, verified, visit},
    *,
};
use crate::{
    db_test,
    draws_service::{Drawn, full_draw, plan_request, setup, unit},
    fixtures::rid,
    harness::TestServer,
};

/// The fact of this source id as stored now.
async fn stored(c: &mut Intake, d: &Drawn, source: &str) -> Fact {
    c.lookup_fact(LookupFactRequest {
        body: d.w.dept.name.clone(),
        source_id: source.into(),
    })
    .await
    .unwrap_or_else(|e| panic!("{source}: {e:?}"))
    .into_inner()
}

/// The inspection of the `n`th drawn target by its drawn officers.
fn as_drawn(d: &Drawn, draw: &Draw, n: usize, source: &str) -> SubmitFactRequest {
    let a = &draw.result[n];
    fact(
        &d.w,
        source,
        inspection_of(d, &draw.name, &a.target, &a.officers, Utc::now()),
    )
}

/// Sends each list of submissions on its own stream, all at once; every
/// record is accepted.
async fn streams_at_once(s: &TestServer, d: &Drawn, lists: Vec<Vec<SubmitFactRequest>>) {
    let mut tasks = Vec::new();
    for subs in lists {
        let mut c = dept(s, &d.w).await;
        tasks.push(tokio::spawn(async move {
            let acked = AtomicUsize::new(0);
            let refused = push(&mut c, &subs, &acked).await.expect("stream");
            assert!(refused.is_empty(), "{refused:?}");
        }));
    }
    for t in tasks {
        t.await.expect("stream task");
    }
}

/// How many of these facts are verified, and their DRAW_MISMATCH findings.
async fn tally(c: &mut Intake, d: &Drawn, sources: &[&str]) -> (usize, usize) {
    let mut verified_n = 0;
    let mut mismatched = 0;
    for source in sources {
        let f = stored(c, d, source).await;
        verified_n += usize::from(verified(&f));
        mismatched += mismatches(&f);
    }
    (verified_n, mismatched)
}

db_test!(a_draw_verifies_one_inspection_per_target, |b| async move {
    let s = TestServer::start(b).await;
    let d = setup(&s).await;
    let draw = full_draw(&s, &d, vec![]).await;
    let (target, officers, _) = drawn(&d, &draw);
    let mut c = dept(&s, &d.w).await;
    let now = Utc::now();
    let send = |source: &str, at| {
        fact(
            &d.w,
            source,
            inspection_of(&d, &draw.name, &target, &officers, at),
        )
    };

    let first = c
        .submit_fact(send("JC-1", now))
        .await
        .expect("the drawn inspection")
        .into_inner();
    assert!(verified(&first), "{first:?}");
    // The same draw, target and officers again: the draw's slot is used.
    let again = c
        .submit_fact(send("JC-2", now))
        .await
        .expect("a second inspection citing the slot")
        .into_inner();
    assert!(!verified(&again), "{again:?}");
    assert_eq!(mismatches(&again), 1, "{:?}", again.findings);
    assert!(
        again.findings[0].detail.contains("slot"),
        "{:?}",
        again.findings
    );

    // A correction of the drawn inspection itself keeps it verified.
    let fixed = c
        .submit_fact(correction(
            send("JC-1", now + Duration::seconds(1)),
            "录入错误: 检查时间",
        ))
        .await
        .expect("correction")
        .into_inner();
    assert!(verified(&fixed), "{fixed:?}");
    assert_eq!(mismatches(&fixed), 0, "{:?}", fixed.findings);

    // Voided, the drawn inspection keeps its slot: the draw happened and is
    // not run again, so a new inspection cannot take its place ...
    c.void_fact(VoidFactRequest {
        name: first.name.clone(),
        reason: "录入错误".into(),
        request_id: rid(),
    })
    .await
    .expect("void");
    let after = c
        .submit_fact(send("JC-3", now + Duration::seconds(2)))
        .await
        .expect("after the void")
        .into_inner();
    assert!(!verified(&after), "{after:?}");
    assert_eq!(mismatches(&after), 1, "{:?}", after.findings);
    // ... nor can one of the others, corrected.
    let second = c
        .submit_fact(correction(
            send("JC-2", now + Duration::seconds(3)),
            "录入错误: 检查时间",
        ))
        .await
        .expect("correcting the second")
        .into_inner();
    assert!(!verified(&second), "{second:?}");
    s.stop().await;
});

db_test!(one_stream_or_two_at_once_share_no_slot, |b| async move {
    let s = TestServer::start(b).await;
    let d = setup(&s).await;
    let draw = full_draw(&s, &d, vec![]).await;
    assert!(draw.result.len() >= 2, "{:?}", draw.result);
    let mut c = dept(&s, &d.w).await;

    // Two inspections of one drawn target in one stream (one batch).
    streams_at_once(
        &s,
        &d,
        vec![vec![
            as_drawn(&d, &draw, 0, "JB-1"),
            as_drawn(&d, &draw, 0, "JB-2"),
        ]],
    )
    .await;
    assert_eq!(tally(&mut c, &d, &["JB-1", "JB-2"]).await, (1, 1));

    // Two streams at once, one inspection of another drawn target each.
    streams_at_once(
        &s,
        &d,
        vec![
            vec![as_drawn(&d, &draw, 1, "JS-1")],
            vec![as_drawn(&d, &draw, 1, "JS-2")],
        ],
    )
    .await;
    assert_eq!(tally(&mut c, &d, &["JS-1", "JS-2"]).await, (1, 1));
    s.stop().await;
});

/// INSPECTION_EXCESSIVE findings among these facts.
async fn excessive_of(c: &mut Intake, d: &Drawn, sources: &[String]) -> usize {
    let mut n = 0;
    for source in sources {
        n += excessive(&stored(c, d, source).await);
    }
    n
}

db_test!(the_cap_counts_what_is_sent_together, |b| async move {
    let s = TestServer::start(b).await;
    // The plan allows two inspections of one target a year without cause.
    let d = setup(&s).await;
    let mut c = dept(&s, &d.w).await;
    let at = Utc::now() - Duration::minutes(5);
    let visits = |prefix: &str, target: u32, n: usize| -> Vec<SubmitFactRequest> {
        (0..n)
            .map(|i| {
                fact(
                    &d.w,
                    &format!("{prefix}{i}"),
                    visit(&d, &crate::draws::code(target), "", at),
                )
            })
            .collect()
    };
    let sources =
        |prefix: &str, n: usize| (0..n).map(|i| format!("{prefix}{i}")).collect::<Vec<_>>();

    // Three in one stream: the third is past the cap.
    streams_at_once(&s, &d, vec![visits("B", 3, 3)]).await;
    assert_eq!(excessive_of(&mut c, &d, &sources("B", 3)).await, 1);

    // Two streams at once with two each: two past the cap, whichever
    // order the writer takes them in.
    streams_at_once(&s, &d, vec![visits("P", 4, 2), visits("Q", 4, 2)]).await;
    let mut all = sources("P", 2);
    all.extend(sources("Q", 2));
    assert_eq!(excessive_of(&mut c, &d, &all).await, 2);
    s.stop().await;
});

db_test!(
    a_plan_loosened_after_the_fact_binds_as_before,
    |b| async move {
        let s = TestServer::start(b).await;
        let d = setup(&s).await;
        let mut c = dept(&s, &d.w).await;
        let mut u = unit(&s, &d.w.dept).await;
        let at = Utc::now() - Duration::minutes(5);
        let mut revise = async |cap: i32| {
            let mut r = plan_request(&d.w.dept, &d.w.inspection);
            if let Some(p) = r.draw_plan.as_mut() {
                p.max_inspections_per_target = cap;
            }
            r.correction_reason = format!("调整检查上限为 {cap}");
            u.set_draw_plan(r).await.expect("plan revised");
        };
        let mut send = async |source: &str, target: u32| {
            let f = c
                .submit_fact(fact(
                    &d.w,
                    source,
                    visit(&d, &crate::draws::code(target), "", at),
                ))
                .await
                .unwrap_or_else(|e| panic!("{source}: {e:?}"))
                .into_inner();
            excessive(&f)
        };
        // Two at the cap of two; then the unit raises its cap to five.
        assert_eq!(send("X1", 7).await, 0);
        assert_eq!(send("X2", 7).await, 0);
        revise(5).await;
        assert_eq!(send("X3", 7).await, 1, "raised after the fact");
        // Lowered to one and raised again: the one binds.
        revise(1).await;
        revise(5).await;
        assert_eq!(send("Y1", 8).await, 0);
        assert_eq!(send("Y2", 8).await, 1, "lowered, then raised");
        s.stop().await;
    }
);

db_test!(an_inspection_citing_no_draw_is_not_drawn, |b| async move {
    let s = TestServer::start(b).await;
    let d = setup(&s).await;
    let draw = full_draw(&s, &d, vec![]).await;
    let (target, officers, _) = drawn(&d, &draw);
    let mut c = dept(&s, &d.w).await;
    let now = Utc::now();
    // A routine inspection of a listed, even drawn, target by the drawn
    // officers: citing no draw, or the draw in words, it is not random.
    for (source, cited) in [
        ("JN-none", String::new()),
        ("JN-words", format!("按 {} 抽取", draw.name)),
        ("JN-free", "双随机一公开".to_string()),
    ] {
        let f = c
            .submit_fact(fact(
                &d.w,
                source,
                inspection_of(&d, &cited, &target, &officers, now),
            ))
            .await
            .unwrap_or_else(|e| panic!("{source}: {e:?}"))
            .into_inner();
        assert!(!verified(&f), "{source}: {f:?}");
        assert_eq!(mismatches(&f), 0, "{source}: {:?}", f.findings);
    }
    // None of them took the draw's slot.
    let f = c
        .submit_fact(fact(
            &d.w,
            "JN-cited",
            inspection_of(&d, &draw.name, &target, &officers, now),
        ))
        .await
        .expect("the drawn inspection")
        .into_inner();
    assert!(verified(&f), "{f:?}");
    s.stop().await;
});

db_test!(
    an_excessive_finding_outlives_void_and_retarget,
    |b| async move {
        let s = TestServer::start(b).await;
        let d = setup(&s).await;
        let mut c = dept(&s, &d.w).await;
        let at = Utc::now() - Duration::minutes(5);
        let target = crate::draws::code(9);
        let mut made = Vec::new();
        for source in ["X1", "X2", "X3", "X4"] {
            let f = c
                .submit_fact(fact(&d.w, source, visit(&d, &target, "", at)))
                .await
                .unwrap_or_else(|e| panic!("{source}: {e:?}"))
                .into_inner();
            made.push(f);
        }
        assert_eq!(made.iter().map(excessive).sum::<usize>(), 2);
        // X3 voided, X4 corrected to another target: the count they broke
        // was broken when they were recorded.
        c.void_fact(VoidFactRequest {
            name: made[2].name.clone(),
            reason: "录入错误".into(),
            request_id: rid(),
        })
        .await
        .expect("void");
        c.submit_fact(correction(
            fact(&d.w, "X4", visit(&d, &crate::draws::code(10), "", at)),
            "录入错误: 检查对象",
        ))
        .await
        .expect("retarget");
        let listed = c
            .list_findings(ListFindingsRequest {
                filter: Some(FindingFilter {
                    body: d.w.dept.name.clone(),
                    rule: "INSPECTION_EXCESSIVE".into(),
                    ..Default::default()
                }),
                page_size: 10,
                page_token: String::new(),
            })
            .await
            .expect("list findings")
            .into_inner()
            .findings;
        let mut sources: Vec<&str> = listed.iter().map(|f| f.source_id.as_str()).collect();
        sources.sort();
        assert_eq!(sources, ["X3", "X4"], "{listed:?}");
        // X1 and X2 still count: the next inspection of the target is past
        // the cap again.
        let f = c
            .submit_fact(fact(&d.w, "X5", visit(&d, &target, "", at)))
            .await
            .expect("X5")
            .into_inner();
        assert_eq!(excessive(&f), 1, "{:?}", f.findings);
        s.stop().await;
    }
);
