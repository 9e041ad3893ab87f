//! What a review of intake found, each pinned: a fact made and corrected in
//! one batch, references re-checked under the lock, hostile sizes, resent
//! corrections.
use std::sync::atomic::AtomicUsize;

use probity_proto::intake::v1::{fact::Payload, *};
use tonic::Code;

use super::{bulk::push, *};
use crate::{
    db_test,
    fixtures::{bad_fields, reason, world},
    harness::TestServer,
    util::expect_code,
};

fn correction(mut s: SubmitFactRequest, why: &str) -> SubmitFactRequest {
    s.correction_reason = why.into();
    s
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

db_test!(
    references_are_checked_again_under_the_lock,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut c = dept(&s, &w).await;
        let m = fact(&w, "M1", matter(&w, &two(&w), when()));
        let stored = c.submit_fact(m.clone()).await.unwrap().into_inner();
        c.void_fact(VoidFactRequest {
            name: stored.name.clone(),
            reason: "wrong case".into(),
            ..Default::default()
        })
        .await
        .unwrap();
        // the voided matter resent (a replay), then a closing on it, in one stream
        let closing = fact(
            &w,
            "M1-close",
            Payload::MatterClosing(MatterClosing {
                matter: "M1".into(),
                closed_at: Some(ts(when() + chrono::Duration::hours(1))),
                outcome: MatterOutcome::Decided as i32,
            }),
        );
        let acked = AtomicUsize::new(0);
        let refused = push(&mut c, &[m, closing], &acked).await.unwrap();
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert_eq!(refused[0].sequence, 1);
        assert_eq!(
            refused[0].bad_fields,
            vec!["fact.matter_closing.matter".to_string()]
        );
        // a matter refused as a conflict does not make its decision's check count
        let other = fact(&w, "M2", matter(&w, &two(&w), when()));
        c.submit_fact(other).await.unwrap();
        let mut changed = fact(&w, "M2", matter(&w, &[w.a.name.as_str()], when()));
        if let Some(Payload::Matter(m)) = changed.fact.as_mut().unwrap().payload.as_mut() {
            m.power = w.inspection.name.clone();
        }
        let decision = fact(
            &w,
            "D2",
            decision(
                "M2",
                probity_proto::registry::v1::CircumstanceGrade::Minor,
                1_000,
                when(),
            ),
        );
        let acked = AtomicUsize::new(0);
        let refused = push(&mut c, &[changed, decision], &acked).await.unwrap();
        assert_eq!(refused.len(), 2, "{refused:?}");
        assert_eq!(refused[0].reason, "FACT_CONFLICT");
        assert_eq!(refused[1].reason, "REFERENCE_CHANGED");
        s.stop().await;
    }
);

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

db_test!(a_resent_correction_changes_nothing, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = dept(&s, &w).await;
    c.submit_fact(fact(&w, "TR1", training(&w.a.name, 8.0)))
        .await
        .unwrap();
    let b6 = correction(fact(&w, "TR1", training(&w.a.name, 6.0)), "first fix");
    let c5 = correction(fact(&w, "TR1", training(&w.a.name, 5.0)), "second fix");
    assert_eq!(
        c.submit_fact(b6.clone())
            .await
            .unwrap()
            .into_inner()
            .revision,
        2
    );
    assert_eq!(c.submit_fact(c5).await.unwrap().into_inner().revision, 3);
    // the first correction again (its answer was lost): nothing is rewritten
    let again = c.submit_fact(b6).await.unwrap().into_inner();
    assert_eq!(again.revision, 3);
    let Some(Payload::Training(t)) = again.payload else {
        panic!("training")
    };
    assert_eq!(t.hours, 5.0, "the later correction stands");
    // a correction of nothing, sent twice, is refused both times
    let none = correction(fact(&w, "TR9", training(&w.a.name, 1.0)), "x");
    for _ in 0..2 {
        let e = expect_code(c.submit_fact(none.clone()).await, Code::FailedPrecondition);
        assert_eq!(reason(&e), "NOTHING_TO_CORRECT");
    }
    s.stop().await;
});

db_test!(
    a_resend_replays_while_the_registry_is_down,
    |b: crate::harness::Backend| async move {
        let first = TestServer::start(b.clone()).await;
        let w = world(&first).await;
        let m1 = fact(&w, "M1", matter(&w, &two(&w), when()));
        let stored = dept(&first, &w)
            .await
            .submit_fact(m1.clone())
            .await
            .unwrap()
            .into_inner();
        // a second process on the same database and keys, whose registry is gone
        let (url, dir) = (
            first.db_url.clone(),
            first.settings.database.data_dir.clone(),
        );
        let second = TestServer::start_with(b, move |s| {
            s.database.url = url;
            s.database.data_dir = dir;
            s.section_mut::<probity_intake::settings::IntakeSettings>()
                .registry_endpoint = "http://127.0.0.1:9".into();
            s.section_mut::<probity_intake::settings::IntakeSettings>()
                .registry_timeout_ms = 500;
        })
        .await;
        let mut c = dept(&second, &w).await;
        let again = c
            .submit_fact(m1)
            .await
            .expect("a resend replays")
            .into_inner();
        assert_eq!((again.name, again.revision), (stored.name, 1));
        expect_code(
            c.submit_fact(fact(&w, "M2", matter(&w, &two(&w), when())))
                .await,
            Code::Unavailable,
        );
        second.stop().await;
        first.stop().await;
    }
);

db_test!(
    a_department_learns_nothing_of_other_bodies_officers,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let stranger = crate::fixtures::officer(
            &s,
            &w.other,
            "周九",
            probity_proto::registry::v1::OfficerKind::Officer,
            vec![],
            7,
            crate::fixtures::since(),
        )
        .await;
        let names = [w.a.name.as_str(), w.b.name.as_str(), stranger.name.as_str()];
        // to the department, another body's officer is no officer at all ...
        let e = expect_code(
            dept(&s, &w)
                .await
                .submit_fact(fact(&w, "M1", matter(&w, &names, when())))
                .await,
            Code::InvalidArgument,
        );
        assert_eq!(bad_fields(&e), vec!["fact.matter.officers[2]".to_string()]);
        // ... while the legal-affairs office records the act and its finding
        let f = legal(&s)
            .await
            .submit_fact(fact(&w, "M1", matter(&w, &names, when())))
            .await
            .unwrap()
            .into_inner();
        assert!(
            f.findings
                .iter()
                .any(|x| x.rule == "OFFICER_OF_OTHER_BODY" && x.officer == stranger.name),
            "{:?}",
            f.findings
        );
        s.stop().await;
    }
);
