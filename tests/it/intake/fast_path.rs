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
    prepare,
    writer::{Checked, Item, Writer},
};
use probity_proto::{intake::v1::SubmitFactRequest, registry::v1::CircumstanceGrade};

use super::*;
use crate::{db_test, fixtures::world, harness::TestServer};

fn checked(req: &SubmitFactRequest, reference_digest: Option<String>) -> Item {
    let prepared = prepare::prepare(req, chrono::Utc::now()).expect("prepared");
    let body_path = format!("/{}/", prepared.body_id);
    Item::Submit(Box::new(Checked {
        prepared,
        findings: Vec::new(),
        body_path,
        reference_digest,
        replay: false,
    }))
}

db_test!(
    a_stale_reference_is_not_written_in_one_statement,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut c = dept(&s, &w).await;
        let m1 = fact(&w, "M1", matter(&w, &two(&w), when()));
        c.submit_fact(m1.clone()).await.expect("matter");
        let m1_digest = prepare::prepare(&m1, chrono::Utc::now())
            .expect("prepared")
            .digest;

        let db = probity_common::db::connect(&s.settings.database_url("intake"), &s.settings)
            .await
            .expect("intake database");
        let key = s.settings.audit_key().load().expect("audit key");
        let writer = Writer::start(Store::new(db, Chain::new("intake", key)), 1000);
        let legal = Principal {
            subject: "test".into(),
            role: Role::LegalOffice,
            body: None,
        };
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
            Err(AppError::FailedPrecondition { reason, .. }) => {
                assert_eq!(*reason, "REFERENCE_CHANGED")
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
