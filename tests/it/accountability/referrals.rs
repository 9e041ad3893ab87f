//! Art. 22 referrals: executing a decision with a REFERRAL sanction refers
//! the case to the personnel department or the supervisory commission by
//! itself; the office records their receipt and answer, once; a referral
//! not answered in time turns OVERDUE with nobody calling anything; the
//! unit concerned reads its own and can neither answer nor hide one.
use std::time::Duration;

use probity_common::auth::Role;
use probity_proto::audit::v1::ListAuditEntriesRequest;
use tonic::Code;

use super::*;
use crate::{
    db_test,
    fixtures::{rid, ts, world},
    harness::TestServer,
    util::auditor,
};

fn referring() -> Decision {
    let mut d = decision(
        3,
        &[SanctionKind::CredentialWithheld, SanctionKind::Referral],
    );
    d.sanctions[1].note = "建议给予政务处分 disciplinary action proposed".into();
    d
}

async fn referrals_of(c: &mut Acc, case: &str) -> Vec<Referral> {
    c.list_referrals(ListReferralsRequest {
        case: case.into(),
        ..Default::default()
    })
    .await
    .expect("list referrals")
    .into_inner()
    .referrals
}

fn document() -> Evidence {
    Evidence {
        kind: EvidenceKind::Document as i32,
        reference: "监察委〔2026〕8号".into(),
        sha256: "ab".repeat(32),
        note: "答复 answer".into(),
        ..Default::default()
    }
}

db_test!(
    an_executed_referral_is_sent_received_and_answered_once,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut c = parties(&s).await;
        let case = decided(&mut c, &w.a.name, "ART20_03", referring()).await;
        c.execute_decision(step::<ExecuteDecisionRequest>(&case.name, "执行"))
            .await
            .expect("execute");
        let mut office = office(&s).await;
        let found = referrals_of(&mut office, &case.name).await;
        assert_eq!(found.len(), 1, "{found:?}");
        let r = &found[0];
        assert_eq!(r.state, ReferralState::Sent as i32);
        assert_eq!(r.to, ReferralTo::Supervisory as i32);
        assert_eq!(r.subject, w.a.name);
        assert_eq!(r.deadline, DeadlineStatus::Green as i32);
        let (sent, due) = (r.send_time.unwrap(), r.due_time.unwrap());
        assert_eq!(due.seconds - sent.seconds, 60 * 24 * 3600);

        // The unit concerned reads it; another unit does not see it.
        let mut own = acc(&s, Role::Department, Some(&w.dept.name)).await;
        assert_eq!(referrals_of(&mut own, &case.name).await.len(), 1);
        let mut other = acc(&s, Role::Department, Some(&w.other.name)).await;
        assert!(referrals_of(&mut other, &case.name).await.is_empty());
        let hidden = other
            .get_referral(GetReferralRequest {
                name: r.name.clone(),
            })
            .await
            .expect_err("another unit's referral");
        assert_eq!(hidden.code(), Code::NotFound);
        let answered_at = ts(chrono::Utc::now());
        // The unit cannot answer for the organ it was referred to.
        let answer = |request_id: String| RecordReferralAnswerRequest {
            request_id,
            name: r.name.clone(),
            answer_time: Some(answered_at),
            answer: "给予政务警告处分 a disciplinary warning was given".into(),
            answer_document: Some(document()),
        };
        let denied = own
            .record_referral_answer(answer(rid()))
            .await
            .expect_err("a department answers");
        assert_eq!(denied.code(), Code::PermissionDenied);

        let received = office
            .record_referral_receipt(RecordReferralReceiptRequest {
                request_id: rid(),
                name: r.name.clone(),
                receive_time: Some(ts(chrono::Utc::now())),
                receipt_reference: "收文2026-114".into(),
            })
            .await
            .expect("receipt")
            .into_inner();
        assert_eq!(received.state, ReferralState::Received as i32);
        let first = rid();
        let answered = office
            .record_referral_answer(answer(first.clone()))
            .await
            .expect("answer")
            .into_inner();
        assert_eq!(answered.state, ReferralState::Answered as i32);
        assert_eq!(answered.deadline, DeadlineStatus::Unspecified as i32);
        // A retry replays; a second answer is refused.
        let replay = office
            .record_referral_answer(answer(first))
            .await
            .expect("replay")
            .into_inner();
        assert_eq!(replay, answered);
        let again = office
            .record_referral_answer(answer(rid()))
            .await
            .expect_err("answered twice");
        assert_eq!(again.code(), Code::FailedPrecondition);

        let entries = auditor(&s)
            .await
            .list_audit_entries(ListAuditEntriesRequest {
                service: "accountability".into(),
                entity: r.name.clone(),
                page_size: 10,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .entries;
        assert_eq!(entries.len(), 3, "send, receipt, answer: {entries:?}");

        // Bad asks are named, every field at once.
        let bad = office
            .record_referral_answer(RecordReferralAnswerRequest {
                request_id: rid(),
                name: "cases/x".into(),
                answer_time: Some(ts(chrono::Utc::now() + chrono::Duration::days(2))),
                answer: String::new(),
                answer_document: None,
            })
            .await
            .expect_err("bad answer");
        assert_eq!(
            crate::fixtures::bad_fields(&bad),
            vec!["answer", "answer_document", "answer_time", "name"]
        );
    }
);

db_test!(
    an_unanswered_referral_turns_overdue_by_itself,
    |b| async move {
        let s = TestServer::start_with(b, |s| {
            let acc = s.section_mut::<probity_accountability::settings::AccountabilitySettings>();
            acc.referral_answer_hours = 0;
            acc.sweep_interval_ms = 100;
        })
        .await;
        let w = world(&s).await;
        let mut c = parties(&s).await;
        let case = decided(&mut c, &w.a.name, "ART20_03", referring()).await;
        c.execute_decision(step::<ExecuteDecisionRequest>(&case.name, "执行"))
            .await
            .expect("execute");
        let mut office = office(&s).await;
        let mut state = 0;
        for _ in 0..100 {
            let r = referrals_of(&mut office, &case.name).await;
            state = r[0].state;
            if state == ReferralState::Overdue as i32 {
                assert_eq!(r[0].deadline, DeadlineStatus::Red as i32);
                assert!(r[0].overdue_time.is_some());
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(state, ReferralState::Overdue as i32, "not marked overdue");
        let listed = office
            .list_referrals(ListReferralsRequest {
                state: ReferralState::Overdue as i32,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .referrals;
        assert_eq!(listed.len(), 1);
    }
);
