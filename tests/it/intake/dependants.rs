//! A fact other live facts refer to (a matter with its decision, a decision
//! with its review) is voided only after them: otherwise the decision of a
//! voided matter would stay counted and its findings picked up.
use std::sync::atomic::AtomicUsize;

use probity_proto::intake::v1::{fact::Payload, *};
use probity_proto::registry::v1::CircumstanceGrade;
use sea_orm::{ConnectionTrait, Database, Statement};
use sea_orm_migration::MigratorTrait;
use tonic::Code;

use super::{bulk::push, *};
use crate::{
    db_test,
    fixtures::{reason, world},
    harness::{Backend, fresh_pg_database},
    util::expect_code,
};

async fn void(c: &mut Intake, name: &str) -> Result<Fact, tonic::Status> {
    c.void_fact(VoidFactRequest {
        name: name.into(),
        reason: "entered in error".into(),
        ..Default::default()
    })
    .await
    .map(|r| r.into_inner())
}

fn review_of(decision: &str) -> Payload {
    Payload::ReviewOutcome(ReviewOutcome {
        decision: decision.into(),
        kind: ReviewKind::Reconsideration as i32,
        result: ReviewResult::Upheld as i32,
        decide_time: Some(crate::fixtures::ts(when())),
        ..Default::default()
    })
}

db_test!(
    a_fact_is_voided_after_the_facts_referring_to_it,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut c = dept(&s, &w).await;
        let t = when();
        let mut submit = async |source: &str, payload: Payload| {
            c.submit_fact(fact(&w, source, payload))
                .await
                .unwrap()
                .into_inner()
        };
        let m1 = submit("M1", matter(&w, &two(&w), t)).await;
        let m2 = submit("M2", matter(&w, &two(&w), t)).await;
        let d1 = submit("D1", decision("M1", CircumstanceGrade::Minor, 100, t)).await;
        let r1 = submit("R1", review_of("D1")).await;
        let mut c = dept(&s, &w).await;

        // the matter has a live decision, the decision a live review
        let e = expect_code(void(&mut c, &m1.name).await, Code::FailedPrecondition);
        assert_eq!(reason(&e), "FACT_HAS_DEPENDANTS");
        assert!(
            e.message().contains(&format!("{} (source id D1)", d1.name)),
            "{}",
            e.message()
        );
        let e = expect_code(void(&mut c, &d1.name).await, Code::FailedPrecondition);
        assert!(e.message().contains(&r1.name), "{}", e.message());
        // a matter nothing refers to goes at once
        let other = c
            .submit_fact(fact(&w, "M3", matter(&w, &two(&w), t)))
            .await
            .unwrap()
            .into_inner();
        assert!(void(&mut c, &other.name).await.unwrap().voided);

        // the decision corrected onto another matter frees the first one
        let mut moved = fact(&w, "D1", decision("M2", CircumstanceGrade::Minor, 100, t));
        moved.correction_reason = "recorded on the wrong matter".into();
        assert_eq!(c.submit_fact(moved).await.unwrap().into_inner().revision, 2);
        assert!(void(&mut c, &m1.name).await.unwrap().voided);
        let e = expect_code(void(&mut c, &m2.name).await, Code::FailedPrecondition);
        assert_eq!(reason(&e), "FACT_HAS_DEPENDANTS");

        // Nor is a matter corrected under its decision where the decision's
        // checks read it: its time (a decision may not come before its
        // matter) or its power (the benchmark the decision was held to).
        // Its officers may change.
        let mut later = fact(
            &w,
            "M2",
            matter(&w, &two(&w), t + chrono::Duration::hours(1)),
        );
        later.correction_reason = "accepted an hour later".into();
        let e = expect_code(c.submit_fact(later).await, Code::FailedPrecondition);
        assert_eq!(reason(&e), "FACT_HAS_DEPENDANTS");
        let mut power = fact(&w, "M2", matter(&w, &two(&w), t));
        if let Some(Payload::Matter(m)) = power.fact.as_mut().and_then(|f| f.payload.as_mut()) {
            m.power = w.inspection.name.clone();
        }
        power.correction_reason = "another power".into();
        let e = expect_code(c.submit_fact(power).await, Code::FailedPrecondition);
        assert_eq!(reason(&e), "FACT_HAS_DEPENDANTS");
        let mut officers = fact(&w, "M2", matter(&w, &[w.a.name.as_str()], t));
        officers.correction_reason = "one officer only".into();
        assert_eq!(
            c.submit_fact(officers).await.unwrap().into_inner().revision,
            2
        );

        // voided from the leaves up, each a revision of its own
        assert!(void(&mut c, &r1.name).await.unwrap().voided);
        assert!(void(&mut c, &d1.name).await.unwrap().voided);
        let m2 = void(&mut c, &m2.name).await.unwrap();
        assert_eq!((m2.revision, m2.voided), (3, true));
        assert_eq!(count(&mut c, FactFilter::default()).await, 0);
        s.stop().await;
    }
);

// Facts stored before the reference column existed get it from their
// current revision when the migration adds it.
db_test!(
    stored_facts_get_their_references_on_upgrade,
    |b| async move {
        let dir = tempfile::tempdir().unwrap();
        let url = match &b {
            Backend::Sqlite => format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("intake.db").display()
            ),
            Backend::Postgres(admin) => fresh_pg_database(admin).await,
        };
        let db = Database::connect(&url).await.unwrap();
        // the shared tables and m0001_intake: the schema before references
        probity_intake::Migrator::up(&db, Some(2)).await.unwrap();
        let backend = db.get_database_backend();
        let stored = [
            (
                1i64,
                FactKind::Matter,
                "M1",
                Payload::Matter(Matter::default()),
            ),
            (
                2,
                FactKind::Decision,
                "D1",
                Payload::Decision(Decision {
                    matter: "M1".into(),
                    ..Default::default()
                }),
            ),
            (3, FactKind::ReviewOutcome, "R1", review_of("D1")),
        ];
        for (id, kind, source, payload) in stored {
            let f = Fact {
                source_id: source.into(),
                payload: Some(payload),
                ..Default::default()
            };
            let three = if backend == sea_orm::DatabaseBackend::Postgres {
                "$1, $2, $3"
            } else {
                "?, ?, ?"
            };
            db.execute_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "INSERT INTO intake_facts (id, kind, source_id, body, body_path, revision, voided, \
                 occurred_us, recorded_us) VALUES ({three}, 'b', '/b/', 1, false, 0, 0)"
            ),
            [id.into(), (kind as i32).into(), source.into()],
        ))
        .await
        .unwrap();
            let payload = prost::Message::encode_to_vec(&f);
            let values: Vec<sea_orm::Value> = vec![id.into(), (kind as i32).into(), payload.into()];
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "INSERT INTO intake_revisions (fact_id, kind, payload, revision, body, digest, \
                 reason, voided, actor, role, occurred_us, recorded_us, audit_seq) \
                 VALUES ({three}, 1, 'b', 'd', '', false, 'a', 'r', 0, 0, 0)"
                ),
                values,
            ))
            .await
            .unwrap();
        }
        probity_intake::Migrator::up(&db, None).await.unwrap();
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT id, refers_to FROM intake_facts ORDER BY id",
            ))
            .await
            .unwrap();
        let got: Vec<(i64, String)> = rows
            .iter()
            .map(|r| {
                (
                    r.try_get("", "id").unwrap(),
                    r.try_get("", "refers_to").unwrap(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![(1, String::new()), (2, "M1".into()), (3, "D1".into())]
        );
        db.close().await.unwrap();
    }
);

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
                close_time: Some(ts(when() + chrono::Duration::hours(1))),
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
