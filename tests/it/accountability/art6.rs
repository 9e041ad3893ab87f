//! Art. 6: failing the sealed year brings its consequence by itself. The
//! case a FAILING flag raises is decided by the article as it is raised (an
//! officer transferred out of enforcement posts, a unit criticized in a
//! notice); the subject may contest it; left uncontested past the DECIDED
//! limit the sweep executes it, with nobody calling anything, once.
use std::time::Duration;

use probity_common::auth::Role;

use super::*;
use crate::{db_test, fixtures::world, harness::TestServer};

fn failing(subject: &str) -> RaiseFromFlagRequest {
    RaiseFromFlagRequest {
        request_id: crate::fixtures::rid(),
        flag: Some(RankingFlag {
            year: 2025,
            kind: FlagKind::Failing as i32,
            subject: subject.into(),
            run: "runs/2025-sealed".into(),
            score: 38.0,
            threshold: 60.0,
            peer_group: "all".into(),
        }),
    }
}

async fn case(c: &mut Acc, name: &str) -> Case {
    c.get_case(GetCaseRequest { name: name.into() })
        .await
        .expect("get case")
        .into_inner()
}

db_test!(
    a_failing_year_is_decided_by_the_article_as_raised,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut job = job(&s).await;

        // A failing unit: decided as raised, 通报批评, and no one chose it.
        let unit = job
            .raise_from_flag(failing(&w.dept.name))
            .await
            .expect("raise")
            .into_inner();
        assert!(unit.created);
        let raised = unit.case.expect("case");
        assert_eq!(raised.state, CaseState::Decided as i32, "{raised:?}");
        let d = raised.decision.clone().expect("decision");
        assert_eq!(d.decided_by, "第六条 Art. 6");
        let kinds: Vec<i32> = d.sanctions.iter().map(|s| s.kind).collect();
        assert_eq!(kinds, vec![SanctionKind::PublicCriticism as i32]);
        // The nightly runs raise the same flag again: nothing new.
        let again = job
            .raise_from_flag(failing(&w.dept.name))
            .await
            .unwrap()
            .into_inner();
        assert!(!again.created);

        // A failing officer: transferred out, which the unit contests (a wrong
        // score is a ground); the sweep executes DECIDED cases only.
        let officer = job
            .raise_from_flag(failing(&w.b.name))
            .await
            .unwrap()
            .into_inner()
            .case
            .expect("case");
        let d = officer.decision.clone().expect("decision");
        let kinds: Vec<i32> = d.sanctions.iter().map(|s| s.kind).collect();
        assert_eq!(kinds, vec![SanctionKind::TransferOut as i32]);
        let mut dept = acc(&s, Role::Department, Some(&w.dept.name)).await;
        let contested = dept
            .contest_decision(step::<ContestDecisionRequest>(
                &officer.name,
                "分数有误 the score is wrong",
            ))
            .await
            .expect("the unit contests")
            .into_inner();
        assert_eq!(contested.state, CaseState::Contested as i32);
    }
);

db_test!(
    an_uncontested_art6_decision_is_executed_by_itself,
    |b| async move {
        let s = TestServer::start_with(b, |s| {
            let acc = s.section_mut::<probity_accountability::settings::AccountabilitySettings>();
            acc.limits.decided_hours = 0;
            acc.sweep_interval_ms = 100;
        })
        .await;
        let w = world(&s).await;
        let mut job = job(&s).await;
        let mut office = office(&s).await;
        let raised = job
            .raise_from_flag(failing(&w.dept.name))
            .await
            .expect("raise")
            .into_inner()
            .case
            .expect("case");

        // The sweep executes it with nobody calling; its notice follows.
        let mut executed = None;
        for _ in 0..200 {
            let c = case(&mut office, &raised.name).await;
            if c.state == CaseState::Executed as i32 {
                executed = Some(c);
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let executed = executed.expect("the uncontested Art. 6 decision was executed by the sweep");
        let events = office
            .list_case_events(ListCaseEventsRequest {
                name: executed.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .events;
        let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["OPEN", "DECIDE", "EXECUTE"], "{events:?}");
        let notice = notices_of(&mut office, &executed.name).await;
        assert_eq!(notice.len(), 1, "a failing unit is criticized in a notice");
        assert_eq!(notice[0].issuer, "尚志市人民政府");
    }
);
