//! The one-statement path checks, in the statement, that the stored facts a
//! batch refers to are still the revisions that were checked. A writer of
//! our own on the server's database gets a decision whose check saw another
//! revision of its matter than the one stored: the statement must write
//! nothing and the locked path refuse it (REFERENCE_CHANGED), on PostgreSQL
//! (the one-statement path) as on SQLite (always locked).
use probity_common::{
    AppError,
    audit::Chain,
    auth::{Principal, Role},
    store::Store,
};
use probity_intake::{
    checks,
    writer::{Checked, Item, Writer},
};
use probity_proto::{intake::v1::SubmitFactRequest, registry::v1::CircumstanceGrade};

use super::{bulk::push, *};
use crate::{db_test, fixtures::world, harness::TestServer};

/// A writer of the test's own on the server's intake database (as a second
/// replica's would be), and the principal it writes for.
async fn own_writer(s: &TestServer) -> (Writer, Principal) {
    let db = probity_common::db::connect(&s.settings.database_url("intake"), &s.settings)
        .await
        .expect("intake database");
    let key = s.settings.audit_key().load().expect("audit key");
    let writer = Writer::start(Store::new(db, Chain::new("intake", key)), 10_000);
    let legal = Principal {
        subject: "test".into(),
        role: Role::LegalOffice,
        body: None,
        scope: None,
    };
    (writer, legal)
}

fn checked(req: &SubmitFactRequest, reference_digest: Option<String>) -> Item {
    correction_checked(req, reference_digest, None)
}

/// A submission as checked before the lock; `revises`: the revision a
/// correction was checked against.
fn correction_checked(
    req: &SubmitFactRequest,
    reference_digest: Option<String>,
    revises: Option<String>,
) -> Item {
    let prepared = checks::prepare(req, chrono::Utc::now()).expect("prepared");
    let body_path = format!("/{}/", prepared.body_id);
    Item::Submit(Box::new(Checked {
        prepared,
        findings: Vec::new(),
        body_path,
        reference_digest,
        revises,
        replay: false,
        bound: None,
    }))
}

// A correction is checked (who may revise the fact; the registry as it
// stood) against the revision stored then. If another revision came in
// before the lock (court records' outcome, another clerk's correction), that
// check weighed the wrong fact: the writer refuses it, to be sent again.
db_test!(
    a_correction_checked_against_another_revision_is_sent_again,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut c = dept(&s, &w).await;
        let m1 = fact(&w, "M1", matter(&w, &two(&w), when()));
        c.submit_fact(m1.clone()).await.expect("matter");
        let rev1 = checks::prepare(&m1, chrono::Utc::now())
            .expect("prepared")
            .digest;
        // Someone else's correction lands first: revision 2.
        let mut other = fact(&w, "M1", matter(&w, &[&w.a.name], when()));
        other.correction_reason = "one officer only".into();
        c.submit_fact(other).await.expect("revision 2");

        let (writer, legal) = own_writer(&s).await;
        let mut mine = fact(
            &w,
            "M1",
            matter(&w, &[&w.a.name, &w.b.name, &w.aux.name], when()),
        );
        mine.correction_reason = "the auxiliary was there too".into();
        for (why, revises) in [
            ("checked against revision 1", Some(rev1)),
            ("checked when the fact was not there", None),
        ] {
            let out = writer
                .submit(
                    legal.clone(),
                    "test.submit",
                    vec![Ok(correction_checked(&mine, None, revises))],
                    false,
                )
                .await
                .expect("batch");
            match &out[0] {
                Err(AppError::Refused { reason, .. }) => {
                    assert_eq!(reason.code(), "REVISION_CHANGED", "{why}")
                }
                other => panic!("{why}: {other:?}"),
            }
        }
        // Sent again, it is checked against revision 2 and goes in.
        let again = c.submit_fact(mine).await.expect("sent again").into_inner();
        assert_eq!(again.revision, 3);
        s.stop().await;
    }
);

db_test!(
    a_stale_reference_is_not_written_in_one_statement,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut c = dept(&s, &w).await;
        let m1 = fact(&w, "M1", matter(&w, &two(&w), when()));
        c.submit_fact(m1.clone()).await.expect("matter");
        let m1_digest = checks::prepare(&m1, chrono::Utc::now())
            .expect("prepared")
            .digest;

        let (writer, legal) = own_writer(&s).await;
        // A first batch through this writer: afterwards it knows the head.
        let first = writer
            .submit(
                legal.clone(),
                "test.submit",
                vec![Ok(checked(
                    &fact(&w, "M2", matter(&w, &two(&w), when())),
                    None,
                ))],
                false,
            )
            .await
            .expect("batch");
        assert!(first[0].is_ok(), "{first:?}");

        let d = fact(
            &w,
            "D1",
            decision("M1", CircumstanceGrade::Minor, 1_000, when()),
        );
        let out = writer
            .submit(
                legal.clone(),
                "test.submit",
                vec![Ok(checked(&d, Some("a revision never stored".into())))],
                false,
            )
            .await
            .expect("batch");
        match &out[0] {
            Err(AppError::Refused { reason, .. }) => {
                assert_eq!(reason.code(), "REFERENCE_CHANGED")
            }
            other => panic!("a decision checked against another revision was {other:?}"),
        }
        // Checked against the stored revision, it goes in.
        let d2 = fact(
            &w,
            "D2",
            decision("M1", CircumstanceGrade::Minor, 1_000, when()),
        );
        let out = writer
            .submit(
                legal,
                "test.submit",
                vec![Ok(checked(&d2, Some(m1_digest)))],
                false,
            )
            .await
            .expect("batch");
        assert!(out[0].is_ok(), "{out:?}");
        assert_eq!(stored_facts(&s.db_url).await, (3, 3), "M1, M2, D2");
        s.stop().await;
    }
);

// Large batches go by COPY (PostgreSQL). Two streams racing with the same
// facts, and a third resending them with one new fact among them: the COPY
// of a batch whose keys are taken fails whole and the batch takes the
// locked path; every fact is stored once, and every record acknowledged.
db_test!(
    streams_racing_with_the_same_facts_store_each_once,
    |b| async move {
        use std::sync::atomic::AtomicUsize;
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let t = when();
        let facts: Vec<SubmitFactRequest> = (0..600)
            .map(|i| {
                let m = fact(&w, &format!("R{i}"), matter(&w, &two(&w), t));
                if i % 5 == 4 {
                    // a decision on the matter before it: references by COPY too
                    fact(
                        &w,
                        &format!("R{i}"),
                        decision(&format!("R{}", i - 1), CircumstanceGrade::Minor, 1_000, t),
                    )
                } else {
                    m
                }
            })
            .collect();
        let (mut c1, mut c2) = (dept(&s, &w).await, dept(&s, &w).await);
        let (a1, a2) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let (r1, r2) = tokio::join!(push(&mut c1, &facts, &a1), push(&mut c2, &facts, &a2));
        let (r1, r2) = (r1.expect("stream 1"), r2.expect("stream 2"));
        assert!(r1.is_empty() && r2.is_empty(), "{r1:?} {r2:?}");
        assert_eq!(stored_facts(&s.db_url).await, (600, 600));

        let mut again = facts.clone();
        again.push(fact(&w, "R600", matter(&w, &two(&w), t)));
        let a3 = AtomicUsize::new(0);
        let r3 = push(&mut c1, &again, &a3).await.expect("stream 3");
        assert!(r3.is_empty(), "{r3:?}");
        assert_eq!(a3.load(std::sync::atomic::Ordering::SeqCst), 601);
        assert_eq!(stored_facts(&s.db_url).await, (601, 601));

        intake_chain_verifies(&s).await;
        s.stop().await;
    }
);

// Deterministically: a batch large enough for COPY whose keys are taken
// (the facts were stored by an earlier batch, and nothing marked them as
// resends) fails whole and is answered by the locked path: the old facts
// as replays with their ids, the new one made.
db_test!(
    a_copied_batch_with_taken_keys_takes_the_locked_path,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let (writer, legal) = own_writer(&s).await;
        let t = when();
        let reqs: Vec<SubmitFactRequest> = (0..301)
            .map(|i| fact(&w, &format!("K{i}"), matter(&w, &two(&w), t)))
            .collect();
        let send = |from: usize, to: usize| {
            let items = reqs[from..to]
                .iter()
                .map(|r| Ok(checked(r, None)))
                .collect::<Vec<_>>();
            writer.submit(legal.clone(), "test.submit", items, false)
        };
        // the first batch of a writer takes the locked path; the second, COPY
        assert!(send(0, 1).await.expect("one")[0].is_ok());
        let first: Vec<i64> = send(1, 300)
            .await
            .expect("copied")
            .into_iter()
            .map(|o| o.expect("made").fact_id)
            .collect();
        let again = send(1, 301).await.expect("again");
        for (i, o) in again.iter().enumerate().take(299) {
            let a = o.as_ref().expect("replayed");
            assert!(a.replayed, "K{} was made again", i + 1);
            assert_eq!(a.fact_id, first[i]);
        }
        let last = again[299].as_ref().expect("the new one");
        assert!(!last.replayed);
        assert_eq!(stored_facts(&s.db_url).await, (301, 301));
        s.stop().await;
    }
);
