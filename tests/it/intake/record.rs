//! The record the assessed cannot rewrite: a department that corrects or
//! voids a fact changes what the fact says, never its findings. Each test is
//! written as the department would try to clear its record, then as the
//! legal-affairs office rules.
use probity_proto::{
    audit::v1::{ListAuditEntriesRequest, VerifyAuditChainRequest},
    intake::v1::*,
};
use tonic::Code;

use super::*;
use crate::{
    db_test,
    fixtures::{reason, rid, world},
    harness::TestServer,
    util::{expect_code, expect_invalid},
};

/// An inspection with no record of the process: INSPECTION_NOT_RECORDED.
async fn unrecorded(c: &mut Intake, w: &World, source: &str) -> Fact {
    let f = c
        .submit_fact(fact(w, source, inspection(w, &w.inspection.name, vec![])))
        .await
        .expect("submit")
        .into_inner();
    assert_eq!(rules_of(&f), ["INSPECTION_NOT_RECORDED"]);
    f
}

fn states(f: &[Finding]) -> Vec<(String, i32, FindingState)> {
    f.iter()
        .map(|x| {
            (
                x.rule.clone(),
                x.revision,
                FindingState::try_from(x.state).unwrap_or_default(),
            )
        })
        .collect()
}

async fn in_force(c: &mut Intake, w: &World) -> Vec<Finding> {
    c.list_findings(ListFindingsRequest {
        filter: Some(FindingFilter {
            body: w.dept.name.clone(),
            ..Default::default()
        }),
        ..Default::default()
    })
    .await
    .expect("list")
    .into_inner()
    .findings
}

db_test!(a_void_leaves_the_findings_in_force, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = dept(&s, &w).await;
    let f = unrecorded(&mut c, &w, "void-me").await;

    // The department voids the fact that carries the finding.
    let voided = c
        .void_fact(VoidFactRequest {
            name: f.name.clone(),
            reason: "entered in error".into(),
            request_id: rid(),
        })
        .await
        .expect("the void is recorded")
        .into_inner();
    assert!(voided.voided);
    assert_eq!(
        states(&voided.findings),
        [(
            "INSPECTION_NOT_RECORDED".to_string(),
            1,
            FindingState::SupersededPending
        )]
    );
    assert_eq!(voided.findings[0].superseded_by, 2);

    // Still on its record, and still counted.
    let listed = in_force(&mut c, &w).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].name, format!("{}/findings/1-0", f.name));
    let counted = c
        .count_findings(CountFindingsRequest {
            filter: Some(FindingFilter::default()),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(counted.total, 1);

    // Nor can the department rule on it itself.
    for e in [
        c.clear_finding(ClearFindingRequest {
            name: listed[0].name.clone(),
            reason: "voided".into(),
            request_id: rid(),
        })
        .await
        .map(|_| ()),
        c.uphold_finding(UpholdFindingRequest {
            name: listed[0].name.clone(),
            reason: "voided".into(),
            request_id: rid(),
        })
        .await
        .map(|_| ()),
    ] {
        let e = expect_code(e, Code::PermissionDenied);
        assert_eq!(reason(&e), "FINDING_CLEARANCE_OFFICE_ONLY");
    }
    assert_eq!(in_force(&mut c, &w).await.len(), 1);
    s.stop().await;
});

db_test!(a_correction_supersedes_and_never_doubles, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = dept(&s, &w).await;
    let f = unrecorded(&mut c, &w, "fix-me").await;
    let correct = |records: Vec<ProcessRecord>, why: &str| {
        let mut r = fact(&w, "fix-me", inspection(&w, &w.inspection.name, records));
        r.correction_reason = why.into();
        r
    };

    // A correction that keeps the breach continues the finding on record:
    // one finding, of revision 1, not a second one on revision 2.
    let mut r = correct(vec![], "target's name misspelt");
    if let Some(fact::Payload::Inspection(i)) = r.fact.as_mut().and_then(|f| f.payload.as_mut()) {
        i.target = "party-0009".into();
    }
    let kept = c.submit_fact(r).await.unwrap().into_inner();
    assert_eq!(kept.revision, 2);
    assert_eq!(
        states(&kept.findings),
        [("INSPECTION_NOT_RECORDED".to_string(), 1, FindingState::Open)]
    );

    // The department "finds" the video: the finding is superseded, still in
    // force, and the rankings' export still carries it.
    let mended = c
        .submit_fact(correct(vec![record()], "the video was found"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(mended.revision, 3);
    assert_eq!(
        states(&mended.findings),
        [(
            "INSPECTION_NOT_RECORDED".to_string(),
            1,
            FindingState::SupersededPending
        )]
    );
    assert_eq!(mended.findings[0].superseded_by, 3);
    assert_eq!(in_force(&mut c, &w).await.len(), 1);
    let got = c
        .get_fact(GetFactRequest {
            name: f.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        got.findings.len(),
        1,
        "the current revision shows the record"
    );

    // Back again, the same finding reopens rather than doubling.
    let back = c
        .submit_fact(correct(vec![], "the video was of another inspection"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        states(&back.findings),
        [("INSPECTION_NOT_RECORDED".to_string(), 1, FindingState::Open)]
    );
    assert_eq!(in_force(&mut c, &w).await.len(), 1);

    // Revision 1 as it was listed keeps its finding too.
    let revisions = c
        .list_fact_revisions(ListFactRevisionsRequest {
            name: f.name,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .revisions;
    assert_eq!(revisions.len(), 4);
    assert!(revisions.iter().all(|r| r.findings.len() == 1));
    s.stop().await;
});

db_test!(only_the_office_rules_with_who_and_why, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = dept(&s, &w).await;
    let mut office = legal(&s).await;
    let cleared = unrecorded(&mut c, &w, "to-clear").await.findings[0].clone();
    let upheld = unrecorded(&mut c, &w, "to-uphold").await.findings[0].clone();

    // Another department does not see them at all.
    let mut stranger = intake(&s, Role::Department, Some(&w.other.name)).await;
    expect_code(
        stranger
            .get_finding(GetFindingRequest {
                name: cleared.name.clone(),
            })
            .await,
        Code::NotFound,
    );
    assert!(in_force(&mut stranger, &w).await.is_empty());

    // Bad input names every field; an unknown finding is NOT_FOUND.
    expect_invalid(
        office
            .clear_finding(ClearFindingRequest {
                name: "facts/1/findings/x".into(),
                reason: String::new(),
                request_id: "not-a-uuid".into(),
            })
            .await,
        &["name", "reason", "request_id"],
    );
    expect_code(
        office
            .clear_finding(ClearFindingRequest {
                name: "facts/999/findings/1-0".into(),
                reason: "no such".into(),
                request_id: rid(),
            })
            .await,
        Code::NotFound,
    );

    let id = rid();
    let clear = ClearFindingRequest {
        name: cleared.name.clone(),
        reason: "the record was filed under the wrong inspection".into(),
        request_id: id.clone(),
    };
    let ruled = office
        .clear_finding(clear.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ruled.state, FindingState::Cleared as i32);
    assert_eq!(ruled.ruling_reason, clear.reason);
    assert!(!ruled.ruled_by.is_empty());
    assert!(ruled.ruled_time.is_some());
    // A retry answers the first call; a second ruling is refused.
    assert_eq!(
        office.clear_finding(clear).await.unwrap().into_inner(),
        ruled
    );
    for e in [
        office
            .clear_finding(ClearFindingRequest {
                name: cleared.name.clone(),
                reason: "again".into(),
                request_id: rid(),
            })
            .await
            .map(|_| ()),
        office
            .uphold_finding(UpholdFindingRequest {
                name: cleared.name.clone(),
                reason: "changed my mind".into(),
                request_id: rid(),
            })
            .await
            .map(|_| ()),
    ] {
        let e = expect_code(e, Code::FailedPrecondition);
        assert_eq!(reason(&e), "FINDING_ALREADY_CLEARED");
    }

    // Upheld stays upheld whatever the department corrects afterwards.
    office
        .uphold_finding(UpholdFindingRequest {
            name: upheld.name.clone(),
            reason: "no record was made; confirmed on site".into(),
            request_id: rid(),
        })
        .await
        .unwrap();
    let mut r = fact(
        &w,
        "to-uphold",
        inspection(&w, &w.inspection.name, vec![record()]),
    );
    r.correction_reason = "the video was found".into();
    let after = c.submit_fact(r).await.unwrap().into_inner();
    assert_eq!(
        states(&after.findings),
        [(
            "INSPECTION_NOT_RECORDED".to_string(),
            1,
            FindingState::Upheld
        )]
    );

    // In force: the upheld one; the cleared one only when asked for.
    let listed: Vec<String> = in_force(&mut c, &w)
        .await
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(listed, std::slice::from_ref(&upheld.name));
    let cleared_list = c
        .list_findings(ListFindingsRequest {
            filter: Some(FindingFilter {
                states: vec![FindingState::Cleared as i32],
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .findings;
    assert_eq!(cleared_list.len(), 1);
    assert_eq!(cleared_list[0].name, cleared.name);
    expect_invalid(
        c.list_findings(ListFindingsRequest {
            filter: Some(FindingFilter {
                states: vec![0, 99],
                ..Default::default()
            }),
            ..Default::default()
        })
        .await,
        &["filter.states[0]", "filter.states[1]"],
    );

    // Each ruling is in intake's audit chain, and the chain holds.
    let mut a = crate::util::auditor(&s).await;
    for name in [&cleared.name, &upheld.name] {
        let entries = a
            .list_audit_entries(ListAuditEntriesRequest {
                service: "intake".into(),
                entity: name.clone(),
                page_size: 100,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .entries;
        assert_eq!(entries.len(), 1, "one audit entry for {name}");
    }
    let verified = a
        .verify_audit_chain(VerifyAuditChainRequest {
            service: "intake".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(verified.ok, "{verified:?}");
    s.stop().await;
});

db_test!(
    a_fact_with_findings_is_not_moved_out_of_its_year,
    |b| async move {
        use chrono::{Datelike, TimeZone};
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut c = dept(&s, &w).await;
        // The first half hour of the year in the city, and the last noon of the
        // year before: both inside the fixtures' history (a year back).
        let city = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
        let year = chrono::Utc::now().with_timezone(&city).year();
        let this_year = city
            .with_ymd_and_hms(year, 1, 1, 0, 30, 0)
            .unwrap()
            .to_utc();
        let last_year = city
            .with_ymd_and_hms(year - 1, 12, 31, 12, 0, 0)
            .unwrap()
            .to_utc();
        let at = |t| {
            let mut p = inspection(&w, &w.inspection.name, vec![]);
            if let fact::Payload::Inspection(i) = &mut p {
                i.inspect_time = Some(crate::fixtures::ts(t));
            }
            p
        };
        let f = c
            .submit_fact(fact(&w, "new-year", at(this_year)))
            .await
            .unwrap()
            .into_inner();
        assert!(rules_of(&f).contains(&"INSPECTION_NOT_RECORDED".to_string()));
        // Moved into last year, its finding would leave this year's ranking.
        let mut moved = fact(&w, "new-year", at(last_year));
        moved.correction_reason = "it was done on new year's eve".into();
        let e = expect_code(c.submit_fact(moved).await, Code::FailedPrecondition);
        assert_eq!(reason(&e), "FINDINGS_HOLD_THE_YEAR");
        // Within the year a correction of the time is a correction like any.
        let mut later = fact(&w, "new-year", at(this_year + chrono::Duration::minutes(5)));
        later.correction_reason = "the clock was five minutes slow".into();
        assert_eq!(c.submit_fact(later).await.unwrap().into_inner().revision, 2);
        s.stop().await;
    }
);

db_test!(a_lost_case_is_not_the_units_to_erase, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = dept(&s, &w).await;
    let t = when();
    c.submit_fact(fact(&w, "m", matter(&w, &two(&w), t)))
        .await
        .unwrap();
    c.submit_fact(fact(
        &w,
        "d",
        decision(
            "m",
            probity_proto::registry::v1::CircumstanceGrade::Ordinary,
            100_000,
            t + chrono::Duration::minutes(1),
        ),
    ))
    .await
    .unwrap();
    let outcome = |result: ReviewResult| {
        fact::Payload::ReviewOutcome(ReviewOutcome {
            decision: "d".into(),
            kind: ReviewKind::Litigation as i32,
            result: result as i32,
            decide_time: Some(crate::fixtures::ts(t + chrono::Duration::minutes(2))),
            ..Default::default()
        })
    };
    let lost = c
        .submit_fact(fact(&w, "lawsuit", outcome(ReviewResult::Lost)))
        .await
        .unwrap()
        .into_inner();
    // The unit reported its lost lawsuit; it may not turn it into a win...
    let mut won = fact(&w, "lawsuit", outcome(ReviewResult::Won));
    won.correction_reason = "appeal pending".into();
    let e = expect_code(c.submit_fact(won).await, Code::FailedPrecondition);
    assert_eq!(reason(&e), "WRONGFUL_OUTCOME_STANDS");
    // ...nor void it.
    let e = expect_code(
        c.void_fact(VoidFactRequest {
            name: lost.name.clone(),
            reason: "entered by mistake".into(),
            request_id: rid(),
        })
        .await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&e), "WRONGFUL_OUTCOME_STANDS");
    // The office may, with its reason.
    legal(&s)
        .await
        .void_fact(VoidFactRequest {
            name: lost.name,
            reason: "the judgment was set aside on appeal".into(),
            request_id: rid(),
        })
        .await
        .expect("the office voids it");
    s.stop().await;
});
