//! The audit chain vouches for the rows, not only for itself: a case's
//! event or a notice edited in the database under an intact chain (a
//! department with a friend at the database, changing a decision or
//! softening its notice) fails VerifyAuditChain with RECORD_EDITED, naming
//! the row and the entry whose hash it no longer matches.
use probity_proto::audit::v1::VerifyAuditChainRequest;
use sea_orm::ConnectionTrait;

use super::*;
use crate::{db_test, fixtures::world, harness::TestServer, util::auditor};

async fn verify(s: &TestServer) -> probity_proto::audit::v1::VerifyAuditChainResponse {
    auditor(s)
        .await
        .verify_audit_chain(VerifyAuditChainRequest {
            service: "accountability".into(),
            ..Default::default()
        })
        .await
        .expect("verify")
        .into_inner()
}

db_test!(
    rows_edited_under_an_intact_chain_are_caught,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut c = parties(&s).await;
        let case = decided(
            &mut c,
            &w.a.name,
            "ART20_05",
            decision(2, &[SanctionKind::PublicCriticism]),
        )
        .await;
        c.execute_decision(step::<ExecuteDecisionRequest>(&case.name, "执行"))
            .await
            .expect("execute");
        let notice = notices_of(&mut c, &case.name).await.remove(0);
        let v = verify(&s).await;
        assert!(v.ok, "{v:?}");

        let db = s.raw_db().await;
        // The decision's event, rewritten to a lighter sanction.
        let decided_event = "UPDATE accountability_events SET record = \
         replace(record, 'PUBLIC_CRITICISM', 'ADMONITION') WHERE action = 'DECIDE'";
        let n = db.execute_unprepared(decided_event).await.unwrap();
        assert_eq!(n.rows_affected(), 1);
        let v = verify(&s).await;
        assert!(!v.ok, "an edited event passed: {v:?}");
        assert_eq!(v.problem, "RECORD_EDITED", "{v:?}");
        assert!(v.first_bad_sequence > 0, "{v:?}");
        assert!(v.detail.contains(&case.name), "{v:?}");
        db.execute_unprepared(
            "UPDATE accountability_events SET record = \
         replace(record, 'ADMONITION', 'PUBLIC_CRITICISM') WHERE action = 'DECIDE'",
        )
        .await
        .unwrap();
        assert!(verify(&s).await.ok);

        // The notice, softened.
        db.execute_unprepared(
            "UPDATE accountability_notices SET record = replace(record, '深刻反思', '继续努力')",
        )
        .await
        .unwrap();
        let v = verify(&s).await;
        assert_eq!(v.problem, "RECORD_EDITED", "{v:?}");
        assert!(v.detail.contains(&notice.name), "{v:?}");
    }
);
