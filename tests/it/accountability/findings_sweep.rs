//! Findings raise cases by themselves: no breach waits on someone calling
//! RaiseFromFinding, and a lapse that repeats is one case, not one a lapse.
use probity_common::auth::Role;
use probity_proto::{
    accountability::v1::*,
    intake::v1::{ClearFindingRequest, Fact},
    registry::v1::OfficerKind,
};
use tonic::Code;

use super::*;
use crate::{
    db_test,
    fixtures::{officer, reason, rid, since, world},
    harness::TestServer,
    intake::{dept as intake_dept, fact, inspection, legal as intake_legal, matter, when},
    util::expect_code,
};

async fn sweep(c: &mut Acc) -> Vec<String> {
    c.sweep_findings(SweepFindingsRequest {})
        .await
        .expect("sweep")
        .into_inner()
        .cases
}

async fn unrecorded(s: &TestServer, w: &crate::fixtures::World, source: &str) -> Fact {
    intake_dept(s, w)
        .await
        .submit_fact(fact(w, source, inspection(w, &w.inspection.name, vec![])))
        .await
        .expect("submit")
        .into_inner()
}

db_test!(
    repeated_lapses_raise_one_case_at_the_threshold,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut c = parties(&s).await;

        // Two unrecorded inspections: below INSPECTION_NOT_RECORDED's threshold.
        let first = unrecorded(&s, &w, "blind-1").await;
        unrecorded(&s, &w, "blind-2").await;
        assert!(sweep(&mut c).await.is_empty(), "two of three: no case yet");

        // One the department voids still counts; a third reaches the threshold.
        intake_dept(&s, &w)
            .await
            .void_fact(probity_proto::intake::v1::VoidFactRequest {
                name: first.name.clone(),
                reason: "entered twice".into(),
                request_id: rid(),
            })
            .await
            .expect("void");
        unrecorded(&s, &w, "blind-3").await;
        let opened = sweep(&mut c).await;
        assert_eq!(opened.len(), 1, "{opened:?}");
        let case = get(&mut c, &opened[0]).await;
        let subject = case.subject.clone().unwrap();
        assert_eq!(subject.name, w.dept.name);
        assert_eq!(case.grounds[0].code, "ART19_15");
        assert_eq!(case.evidence.len(), 3, "every finding gathered");
        assert!(
            case.evidence
                .iter()
                .all(|e| e.kind == EvidenceKind::Finding as i32
                    && e.rule == "INSPECTION_NOT_RECORDED")
        );
        assert_eq!(
            case.origin.as_ref().unwrap().kind,
            OriginKind::Finding as i32
        );

        // Swept again, and by a replica started on the same database (a
        // restart): the same findings raise nothing more.
        assert!(sweep(&mut c).await.is_empty());
        let (url, dir) = (s.db_url.clone(), s.settings.database.data_dir.clone());
        let replica = TestServer::start_with(crate::harness::Backend::Sqlite, move |st| {
            st.database.url = url;
            st.database.data_dir = dir;
        })
        .await;
        assert!(sweep(&mut office(&replica).await).await.is_empty());
        replica.stop().await;

        // The next lapses start a count of their own.
        for i in 4..=5 {
            unrecorded(&s, &w, &format!("blind-{i}")).await;
        }
        assert!(sweep(&mut c).await.is_empty(), "two new ones: below again");
        s.stop().await;
    }
);

db_test!(
    acting_without_a_credential_is_a_case_at_once,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut c = parties(&s).await;
        let nocred = officer(
            &s,
            &w.dept,
            "孙八",
            OfficerKind::Officer,
            vec![w.post.name.clone()],
            7,
            since(),
        )
        .await;
        let f = intake_dept(&s, &w)
            .await
            .submit_fact(fact(
                &w,
                "nocred",
                matter(&w, &[&w.a.name, &w.b.name, &nocred.name], when()),
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(f.findings.len(), 1);
        assert_eq!(f.findings[0].rule, "CREDENTIAL_NOT_VALID");
        let opened = sweep(&mut c).await;
        assert_eq!(opened.len(), 1);
        let case = get(&mut c, &opened[0]).await;
        let subject = case.subject.unwrap();
        assert_eq!(subject.name, nocred.name);
        assert_eq!(subject.kind, SubjectKind::Officer as i32);
        assert_eq!(case.grounds[0].code, "ART20_09");
        s.stop().await;
    }
);

db_test!(
    cleared_or_already_raised_findings_are_not_gathered,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut c = parties(&s).await;
        let facts = [
            unrecorded(&s, &w, "a").await,
            unrecorded(&s, &w, "b").await,
            unrecorded(&s, &w, "c").await,
        ];
        // The office clears one: two in force, below the threshold.
        intake_legal(&s)
            .await
            .clear_finding(ClearFindingRequest {
                name: facts[0].findings[0].name.clone(),
                reason: "recorded on paper; the scan was attached late".into(),
                request_id: rid(),
            })
            .await
            .unwrap();
        assert!(sweep(&mut c).await.is_empty());
        // A third in force, but one of the three was raised by hand already: its
        // own case holds it, and the other two stay below.
        unrecorded(&s, &w, "d").await;
        let raised = c
            .raise_from_finding(RaiseFromFindingRequest {
                request_id: rid(),
                finding: Some(FindingRef {
                    fact: facts[1].name.clone(),
                    revision: 1,
                    rule: "INSPECTION_NOT_RECORDED".into(),
                    officer: String::new(),
                }),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(raised.created);
        assert!(sweep(&mut c).await.is_empty());
        // A department does not run the sweep.
        let e = expect_code(
            acc(&s, Role::Department, Some(&w.dept.name))
                .await
                .sweep_findings(SweepFindingsRequest {})
                .await,
            Code::PermissionDenied,
        );
        assert!(!reason(&e).is_empty());
        s.stop().await;
    }
);
