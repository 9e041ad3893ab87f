//! A resend is recognized, not stored again: a resent correction changes
//! nothing, and a resend replays even while the registry is down.
use probity_proto::intake::v1::fact::Payload;
use tonic::Code;

use super::*;
use crate::{
    db_test,
    fixtures::{reason, world},
    harness::TestServer,
    util::expect_code,
};

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
