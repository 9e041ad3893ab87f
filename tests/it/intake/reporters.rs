//! Each kind of fact has a rightful reporter (services/intake/src/reporters.rs),
//! written as the department that wants a better rank would try it: review
//! its own case files, leave a lost lawsuit unreported, claim training it did
//! not organize, score itself, or void what the other side reported.
use chrono::Duration;
use futures::StreamExt;
use probity_common::auth::Role;
use probity_proto::{
    accountability::v1::{GetCaseRequest, ListCasesRequest},
    audit::v1::VerifyAuditChainRequest,
    intake::v1::{fact::Payload, *},
    registry::v1::{BodyKind, CircumstanceGrade, GetBodyRequest, ListBodiesRequest},
};
use tonic::Code;

use super::*;
use crate::{
    db_test,
    fixtures::{World, bad_fields, body, reason, world},
    harness::TestServer,
    util::expect_code,
};

/// A matter and its decision, reported by the department.
async fn decided(c: &mut Intake, w: &World, matter: &str, decision_id: &str) {
    let t = when();
    c.submit_fact(fact(w, matter, super::matter(w, &two(w), t)))
        .await
        .expect("matter");
    let d = decision(
        matter,
        CircumstanceGrade::Minor,
        10_000,
        t + Duration::hours(1),
    );
    c.submit_fact(fact(w, decision_id, d))
        .await
        .expect("decision");
}

fn file_review(decision: &str) -> Payload {
    Payload::CaseFileReview(CaseFileReview {
        decision: decision.into(),
        review_time: Some(ts(when() + Duration::days(1))),
        facts_clear: true,
        evidence_conclusive: true,
        basis_correct: true,
        procedure_lawful: true,
        content_appropriate: true,
        documents_standard: true,
        ..Default::default()
    })
}

fn outcome(decision: &str, kind: ReviewKind, result: ReviewResult) -> Payload {
    Payload::ReviewOutcome(ReviewOutcome {
        decision: decision.into(),
        kind: kind as i32,
        result: result as i32,
        decide_time: Some(ts(when() + Duration::days(2))),
        ..Default::default()
    })
}

async fn void(c: &mut Intake, name: &str) -> Result<tonic::Response<Fact>, tonic::Status> {
    c.void_fact(VoidFactRequest {
        name: name.into(),
        reason: "entered in error".into(),
        ..Default::default()
    })
    .await
}

#[track_caller]
fn wrong_reporter<T: std::fmt::Debug>(r: Result<T, tonic::Status>, names: &str) {
    let e = expect_code(r, Code::FailedPrecondition);
    assert_eq!(reason(&e), "WRONG_REPORTER", "{e:?}");
    assert!(e.message().contains(names), "{e:?} should name {names}");
}

db_test!(a_department_reviews_its_own_case_files, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut own = dept(&s, &w).await;
    decided(&mut own, &w, "M1", "D1").await;
    let review = fact(&w, "F1", file_review("D1"));

    // The reviewed unit, the government above it and a unit below it are
    // all of the same line.
    wrong_reporter(
        own.submit_fact(review.clone()).await,
        "legal-affairs office",
    );
    let mut above = intake(&s, Role::Department, Some(&w.gov.name)).await;
    wrong_reporter(above.submit_fact(review.clone()).await, "outside");
    let sub = body(
        &s,
        "尚志市市场监督管理局一分局",
        BodyKind::Department,
        &w.dept.name,
    )
    .await;
    let mut below = intake(&s, Role::Department, Some(&sub.name)).await;
    wrong_reporter(below.submit_fact(review.clone()).await, "outside");
    // Nor through the bulk stream.
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    tx.send(SubmitFactsRequest {
        sequence: 1,
        submission: Some(review.clone()),
    })
    .await
    .unwrap();
    drop(tx);
    let acks: Vec<SubmitFactsResponse> = own
        .submit_facts(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .expect("stream")
        .into_inner()
        .map(|a| a.expect("ack"))
        .collect()
        .await;
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].code, Code::FailedPrecondition as i32, "{acks:?}");
    assert_eq!(acks[0].reason, "WRONG_REPORTER");

    // A department of another line (交叉评查): accepted, and recorded as the reviewer.
    let mut cross = intake(&s, Role::Department, Some(&w.other.name)).await;
    let f = cross
        .submit_fact(review.clone())
        .await
        .expect("a unit of another line reviews")
        .into_inner();
    let Some(Payload::CaseFileReview(r)) = &f.payload else {
        panic!("{f:?}")
    };
    assert_eq!(r.reviewer, w.other.name);
    // A resend replays, for the reviewer that sent it.
    let again = cross
        .submit_fact(review.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.name, f.name);
    assert_eq!(again.revision, 1);

    // The reviewed unit cannot correct or void the review it got.
    let mut worse = review.clone();
    if let Some(Payload::CaseFileReview(r)) = worse.fact.as_mut().and_then(|f| f.payload.as_mut()) {
        r.documents_standard = false;
    }
    let mut better = worse.clone();
    if let Some(Payload::CaseFileReview(r)) = better.fact.as_mut().and_then(|f| f.payload.as_mut())
    {
        r.documents_standard = true;
        r.procedure_lawful = true;
    }
    wrong_reporter(
        own.submit_fact(correction(worse.clone(), "typo")).await,
        "legal-affairs office",
    );
    wrong_reporter(void(&mut own, &f.name).await, "legal-affairs office");
    // Nor can a friendly unit of a third line rewrite it.
    let third = body(&s, "尚志市交通运输局", BodyKind::Department, &w.gov.name).await;
    let mut friend = intake(&s, Role::Department, Some(&third.name)).await;
    wrong_reporter(
        friend
            .submit_fact(correction(better.clone(), "recheck"))
            .await,
        "whoever reported",
    );
    // The reviewer corrects its own review.
    let fixed = cross
        .submit_fact(correction(worse, "documents recounted"))
        .await
        .expect("the reviewer corrects its review")
        .into_inner();
    assert_eq!(fixed.revision, 2);

    // The legal-affairs office reviews too; no reviewer body is recorded.
    let f2 = legal(&s)
        .await
        .submit_fact(fact(&w, "F2", file_review("D1")))
        .await
        .expect("the office reviews")
        .into_inner();
    let Some(Payload::CaseFileReview(r)) = &f2.payload else {
        panic!("{f2:?}")
    };
    assert!(r.reviewer.is_empty());
    // The reviewer's void is the reviewer's.
    void(&mut cross, &f.name)
        .await
        .expect("the reviewer voids its review");
});

db_test!(a_lost_lawsuit_left_unreported, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut own = dept(&s, &w).await;
    decided(&mut own, &w, "M1", "D1").await;
    let mut court = intake(&s, Role::CourtRecords, None).await;

    // The unit reported "upheld"; the court records a lost lawsuit.
    own.submit_fact(fact(
        &w,
        "R-own-1",
        outcome("D1", ReviewKind::Litigation, ReviewResult::Won),
    ))
    .await
    .expect("the unit reports a won lawsuit");
    let lost = fact(
        &w,
        "COURT-1",
        outcome("D1", ReviewKind::Litigation, ReviewResult::Lost),
    );
    let f = court
        .submit_fact(lost.clone())
        .await
        .expect("court records report the outcome")
        .into_inner();
    assert_eq!(rules_of(&f), vec!["OUTCOME_NOT_REPORTED".to_string()]);
    let Some(Payload::ReviewOutcome(r)) = &f.payload else {
        panic!("{f:?}")
    };
    assert_eq!(r.reporter, "court_records");
    assert!(r.wrongful);

    // Reporting it afterwards does not clear the finding.
    own.submit_fact(fact(
        &w,
        "R-own-2",
        outcome("D1", ReviewKind::Litigation, ReviewResult::Lost),
    ))
    .await
    .expect("the unit reports it late");
    let back = court
        .get_fact(GetFactRequest {
            name: f.name.clone(),
        })
        .await
        .expect("court records read their outcome back")
        .into_inner();
    assert_eq!(rules_of(&back), vec!["OUTCOME_NOT_REPORTED".to_string()]);
    // Nor can the unit void the court's record or correct it into a win.
    wrong_reporter(void(&mut own, &f.name).await, "whoever reported");
    let won = fact(
        &w,
        "COURT-1",
        outcome("D1", ReviewKind::Litigation, ReviewResult::Won),
    );
    wrong_reporter(
        own.submit_fact(correction(won, "appeal")).await,
        "whoever reported",
    );
    assert_eq!(
        rules_of(
            &own.get_fact(GetFactRequest {
                name: f.name.clone()
            })
            .await
            .unwrap()
            .into_inner()
        ),
        vec!["OUTCOME_NOT_REPORTED".to_string()]
    );
    // Court records cannot report for the unit side's facts either.
    wrong_reporter(
        court
            .submit_fact(fact(&w, "M9", matter(&w, &two(&w), when())))
            .await,
        "the unit itself",
    );
});

db_test!(a_lost_lawsuit_the_unit_reported_first, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut own = dept(&s, &w).await;
    decided(&mut own, &w, "M1", "D1").await;
    own.submit_fact(fact(
        &w,
        "R-own",
        outcome("D1", ReviewKind::Litigation, ReviewResult::Lost),
    ))
    .await
    .expect("the unit reports its lost lawsuit");
    let mut court = intake(&s, Role::CourtRecords, None).await;
    let f = court
        .submit_fact(fact(
            &w,
            "COURT-1",
            outcome("D1", ReviewKind::Litigation, ReviewResult::Lost),
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(f.findings.is_empty(), "{:?}", f.findings);
    // The office's reconsideration decision the unit had not reported.
    let r = legal(&s)
        .await
        .submit_fact(fact(
            &w,
            "OFFICE-1",
            outcome("D1", ReviewKind::Reconsideration, ReviewResult::Revoked),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rules_of(&r), vec!["OUTCOME_NOT_REPORTED".to_string()]);
});

db_test!(court_records_may_do_nothing_else, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut own = dept(&s, &w).await;
    decided(&mut own, &w, "M1", "D1").await;
    let token = s.token(Role::CourtRecords, None);
    let denied = |e: tonic::Status| {
        assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
        assert_eq!(reason(&e), "ROLE_NOT_ALLOWED", "{e:?}");
    };
    // Intake: no listing, counting, export, findings or void.
    let mut court = intake(&s, Role::CourtRecords, None).await;
    denied(
        court
            .list_facts(ListFactsRequest::default())
            .await
            .unwrap_err(),
    );
    denied(
        court
            .count_facts(CountFactsRequest::default())
            .await
            .unwrap_err(),
    );
    denied(
        court
            .list_findings(ListFindingsRequest::default())
            .await
            .unwrap_err(),
    );
    denied(
        court
            .export_facts(ExportFactsRequest::default())
            .await
            .unwrap_err(),
    );
    denied(
        court
            .list_fact_revisions(ListFactRevisionsRequest {
                name: "facts/1".into(),
                ..Default::default()
            })
            .await
            .unwrap_err(),
    );
    denied(void(&mut court, "facts/1").await.unwrap_err());
    // A decision is not a review outcome: not there, as far as it can tell.
    expect_code(
        court
            .lookup_fact(LookupFactRequest {
                body: w.dept.name.clone(),
                source_id: "D1".into(),
            })
            .await,
        Code::NotFound,
    );
    // Registry, accountability, audit: nothing.
    let mut reg = s.registry(&token).await;
    denied(
        reg.list_bodies(ListBodiesRequest::default())
            .await
            .unwrap_err(),
    );
    denied(
        reg.get_body(GetBodyRequest {
            name: w.dept.name.clone(),
        })
        .await
        .unwrap_err(),
    );
    let mut acc = crate::accountability::acc(&s, Role::CourtRecords, None).await;
    denied(
        acc.list_cases(ListCasesRequest::default())
            .await
            .unwrap_err(),
    );
    denied(
        acc.get_case(GetCaseRequest {
            name: "cases/1".into(),
        })
        .await
        .unwrap_err(),
    );
    let mut aud = s.audit(&token).await;
    denied(
        aud.verify_audit_chain(VerifyAuditChainRequest::default())
            .await
            .unwrap_err(),
    );
    let mut rank = probity_proto::rankings::v1::rankings_service_client::RankingsServiceClient::with_interceptor(
        s.channel().await,
        crate::harness::Bearer::new(&token),
    );
    denied(
        rank.list_runs(probity_proto::rankings::v1::ListRunsRequest::default())
            .await
            .unwrap_err(),
    );
});

db_test!(training_from_a_non_organizer, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut own = dept(&s, &w).await;
    let organized_by = |organizer: &str, source: &str| {
        let mut t = training(&w.a.name, 40.0);
        if let Payload::Training(x) = &mut t {
            x.organizer = organizer.into();
        }
        fact(&w, source, t)
    };
    // The unit claims forty hours of the other bureau's training.
    wrong_reporter(
        own.submit_fact(organized_by(&w.other.name, "TR1")).await,
        "organizer",
    );
    // The organizer reports it for an officer of another body.
    let mut organizer = intake(&s, Role::Department, Some(&w.other.name)).await;
    let f = organizer
        .submit_fact(organized_by(&w.other.name, "TR1"))
        .await
        .expect("the organizer reports its training")
        .into_inner();
    assert!(f.findings.is_empty(), "{:?}", f.findings);
    // The unit cannot make it its own by a correction.
    wrong_reporter(
        own.submit_fact(correction(organized_by(&w.dept.name, "TR1"), "ours"))
            .await,
        "organizer",
    );
    // Its own training (no organizer: the fact's body) still comes from it.
    own.submit_fact(fact(&w, "TR2", training(&w.a.name, 2.0)))
        .await
        .expect("in-house training");
    // An organizer the registry does not know.
    let e = legal(&s)
        .await
        .submit_fact(organized_by("bodies/nowhere", "TR3"))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&e), vec!["fact.training.organizer".to_string()]);
});

db_test!(an_art8_item_scored_by_a_department, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let item = fact(
        &w,
        "A1",
        Payload::AssessmentItem(AssessmentItem {
            year: 2026,
            item: 6,
            score: 100.0,
            note: "自评".into(),
            score_time: Some(ts(chrono::Utc::now())),
        }),
    );
    let mut own = dept(&s, &w).await;
    wrong_reporter(own.submit_fact(item.clone()).await, "legal-affairs office");
    let f = legal(&s)
        .await
        .submit_fact(item)
        .await
        .expect("the office scores")
        .into_inner();
    wrong_reporter(void(&mut own, &f.name).await, "legal-affairs office");
});
