//! Every fact kind, structural refusals, idempotency, corrections, scope,
//! export and the audit chain.
use std::collections::HashSet;

use chrono::{Duration, Utc};
use futures::StreamExt;
use probity_common::auth::Role;
use probity_proto::{
    intake::v1::{fact::Payload, *},
    registry::v1::CircumstanceGrade,
};
use tonic::Code;

use super::*;
use crate::{
    db_test,
    fixtures::{bad_fields, reason, rid, world},
    harness::TestServer,
    util::{expect_code, sorted},
};

db_test!(every_kind_is_recorded, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = dept(&s, &w).await;
    let t = when();
    let (a, bb) = (w.a.name.clone(), w.b.name.clone());
    let kinds: Vec<(&str, Payload)> = vec![
        ("M1", matter(&w, &two(&w), t)),
        (
            "M1-close",
            Payload::MatterClosing(MatterClosing {
                matter: "M1".into(),
                close_time: Some(ts(t + Duration::hours(5))),
                outcome: MatterOutcome::Decided as i32,
            }),
        ),
        (
            "D1",
            decision(
                "M1",
                CircumstanceGrade::Minor,
                10_000,
                t + Duration::hours(4),
            ),
        ),
        ("I1", inspection(&w, &w.inspection.name, vec![record()])),
        (
            "R1",
            Payload::ReviewOutcome(ReviewOutcome {
                decision: "D1".into(),
                kind: ReviewKind::Reconsideration as i32,
                result: ReviewResult::Revoked as i32,
                decide_time: Some(ts(t + Duration::days(2))),
                ..Default::default()
            }),
        ),
        (
            "C1",
            Payload::Complaint(Complaint {
                source: ComplaintSource::MayorsHotline as i32,
                accept_time: Some(ts(t)),
                officers: vec![a.clone()],
            }),
        ),
        (
            "C1-close",
            Payload::ComplaintClosing(ComplaintClosing {
                complaint: "C1".into(),
                close_time: Some(ts(t + Duration::days(1))),
                ..Default::default()
            }),
        ),
        (
            "T1",
            Payload::Transfer(Transfer {
                kind: TransferKind::SuspectedCrime as i32,
                recipient: "尚志市公安局".into(),
                transfer_time: Some(ts(t)),
                officers: vec![a.clone(), bb.clone()],
                matter: "M1".into(),
            }),
        ),
        ("TR1", training(&a, 8.0)),
        (
            "F1",
            Payload::CaseFileReview(CaseFileReview {
                decision: "D1".into(),
                review_time: Some(ts(t + Duration::days(3))),
                facts_clear: true,
                evidence_conclusive: true,
                basis_correct: true,
                procedure_lawful: true,
                content_appropriate: true,
                documents_standard: false,
                ..Default::default()
            }),
        ),
    ];
    let mut names = Vec::new();
    let mut office = legal(&s).await;
    for (source, payload) in kinds {
        // A case file is reviewed by the legal-affairs office, not the unit.
        let reporter = if source == "F1" { &mut office } else { &mut c };
        let f = reporter
            .submit_fact(fact(&w, source, payload))
            .await
            .unwrap_or_else(|e| panic!("{source}: {e:?}"))
            .into_inner();
        assert!(f.name.starts_with("facts/"), "{source}");
        assert_eq!(f.revision, 1);
        assert_eq!(f.source_id, source);
        assert!(f.findings.is_empty(), "{source}: {:?}", f.findings);
        assert!(f.occur_time.is_some() && f.record_time.is_some());
        names.push(f.name);
    }
    // Art. 8 item scores: the legal-affairs office only.
    let item = fact(
        &w,
        "A1",
        Payload::AssessmentItem(AssessmentItem {
            year: 2026,
            item: 6,
            score: 92.5,
            note: "培训到位".into(),
            score_time: Some(ts(Utc::now())),
        }),
    );
    let e = expect_code(c.submit_fact(item.clone()).await, Code::FailedPrecondition);
    assert_eq!(reason(&e), "WRONG_REPORTER");
    legal(&s)
        .await
        .submit_fact(item)
        .await
        .expect("legal office records an item");

    // outputs computed by intake
    let d = c
        .lookup_fact(LookupFactRequest {
            body: w.dept.name.clone(),
            source_id: "D1".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let Some(Payload::Decision(dd)) = d.payload else {
        panic!("decision")
    };
    assert!(dd.penalty.unwrap().within_benchmark);
    let r = c
        .get_fact(GetFactRequest {
            name: names[4].clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let Some(Payload::ReviewOutcome(ro)) = r.payload else {
        panic!("review")
    };
    assert!(ro.wrongful, "revoked in reconsideration is a wrongful case");
    assert_eq!(r.kind, FactKind::ReviewOutcome as i32);

    let counts = c
        .count_facts(CountFactsRequest {
            filter: Some(FactFilter::default()),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(counts.total, 11);
    assert_eq!(counts.by_kind.len(), 11);
    // per officer: a handled M1, I1, C1, T1, TR1, and decided D1 and closed
    // C1-close (naming no one, they are M1's and C1's)
    let by_a = count(
        &mut c,
        FactFilter {
            officer: a.clone(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(by_a, 7);
    let matters = count(
        &mut c,
        FactFilter {
            kind: FactKind::Matter as i32,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(matters, 1);
    let around_t = count(
        &mut c,
        FactFilter {
            from: Some(ts(t - Duration::hours(1))),
            to: Some(ts(t + Duration::hours(1))),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(around_t, 5, "M1, I1, C1, T1 and TR1 happened then");
    s.stop().await;
});

db_test!(structural_errors_name_every_field, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = dept(&s, &w).await;
    // everything wrong at once
    let bad = fact(
        &w,
        "",
        Payload::Matter(Matter {
            power: "powers/x".into(),
            act_kind: 0,
            officers: vec!["nobody".into()],
            accept_time: Some(ts(Utc::now() + Duration::days(2))),
            records: vec![ProcessRecord {
                kind: 9,
                content_sha256: "xyz".into(),
                archive_ref: String::new(),
            }],
            ..Default::default()
        }),
    );
    let e = expect_code(c.submit_fact(bad).await, Code::InvalidArgument);
    assert_eq!(
        bad_fields(&e),
        sorted(&[
            "fact.source_id",
            "fact.matter.power",
            "fact.matter.act_kind",
            "fact.matter.officers[0]",
            "fact.matter.accept_time",
            "fact.matter.records[0].kind",
            "fact.matter.records[0].content_sha256",
            "fact.matter.records[0].archive_ref",
        ])
    );
    // no payload
    let mut none = fact(&w, "X", training(&w.a.name, 1.0));
    none.fact.as_mut().unwrap().payload = None;
    let e = expect_code(c.submit_fact(none).await, Code::InvalidArgument);
    assert_eq!(bad_fields(&e), vec!["fact.payload".to_string()]);
    // hours out of range, exam score without exam
    let e = expect_code(
        c.submit_fact(fact(
            &w,
            "TR",
            Payload::Training(Training {
                officer: w.a.name.clone(),
                hours: 500.0,
                exam_score: 50.0,
                has_exam: false,
                train_time: Some(ts(when())),
                ..Default::default()
            }),
        ))
        .await,
        Code::InvalidArgument,
    );
    assert_eq!(
        bad_fields(&e),
        sorted(&["fact.training.hours", "fact.training.exam_score"])
    );
    // 2000 is the city's (UTC+8): its first hour is UTC's 1999-12-31 16:00.
    for (at, want) in [
        (
            "1999-12-31T15:59:59Z",
            &["fact.training.hours", "fact.training.train_time"][..],
        ),
        ("1999-12-31T16:00:00Z", &["fact.training.hours"][..]),
    ] {
        let at: chrono::DateTime<Utc> = at.parse().unwrap();
        let e = expect_code(
            c.submit_fact(fact(
                &w,
                "TR2000",
                Payload::Training(Training {
                    officer: w.a.name.clone(),
                    hours: 500.0,
                    train_time: Some(ts(at)),
                    ..Default::default()
                }),
            ))
            .await,
            Code::InvalidArgument,
        );
        assert_eq!(bad_fields(&e), sorted(want), "at {at}");
    }
    // unknown officer, unknown power, unknown body: the registry says so
    let e = expect_code(
        c.submit_fact(fact(
            &w,
            "M9",
            matter(&w, &[w.a.name.as_str(), "officers/ghost"], when()),
        ))
        .await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&e), vec!["fact.matter.officers[1]".to_string()]);
    let mut p = matter(&w, &two(&w), when());
    if let Payload::Matter(m) = &mut p {
        m.power = format!("{}/powers/nope", w.dept.name);
    }
    let e = expect_code(
        c.submit_fact(fact(&w, "M8", p)).await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&e), vec!["fact.matter.power".to_string()]);
    let mut ghost_body = fact(&w, "M7", matter(&w, &two(&w), when()));
    ghost_body.fact.as_mut().unwrap().body = "bodies/ghost".into();
    let e = expect_code(
        legal(&s).await.submit_fact(ghost_body).await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&e), vec!["fact.body".to_string()]);
    // a closing before its matter was accepted; a closing of nothing
    c.submit_fact(fact(&w, "M1", matter(&w, &two(&w), when())))
        .await
        .unwrap();
    let early = Payload::MatterClosing(MatterClosing {
        matter: "M1".into(),
        close_time: Some(ts(when() - Duration::days(1))),
        outcome: MatterOutcome::Decided as i32,
    });
    let e = expect_code(
        c.submit_fact(fact(&w, "M1c", early)).await,
        Code::InvalidArgument,
    );
    assert_eq!(
        bad_fields(&e),
        vec!["fact.matter_closing.close_time".to_string()]
    );
    let orphan = Payload::MatterClosing(MatterClosing {
        matter: "M404".into(),
        close_time: Some(ts(when())),
        outcome: MatterOutcome::Decided as i32,
    });
    let e = expect_code(
        c.submit_fact(fact(&w, "M2c", orphan)).await,
        Code::InvalidArgument,
    );
    assert_eq!(
        bad_fields(&e),
        vec!["fact.matter_closing.matter".to_string()]
    );
    // a decision referring to a complaint is refused too
    let e = expect_code(
        c.submit_fact(fact(
            &w,
            "D9",
            decision("TRX", CircumstanceGrade::Minor, 1, when()),
        ))
        .await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&e), vec!["fact.decision.matter".to_string()]);
    // nothing refused was stored
    assert_eq!(count(&mut c, FactFilter::default()).await, 1);
    s.stop().await;
});

db_test!(resends_replay_and_conflicts_are_refused, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = dept(&s, &w).await;
    let sub = fact(&w, "M1", matter(&w, &two(&w), when()));
    let first = c.submit_fact(sub.clone()).await.unwrap().into_inner();
    let again = c.submit_fact(sub.clone()).await.unwrap().into_inner();
    assert_eq!(first, again, "the same submission returns the first result");
    let mut other = sub.clone();
    if let Some(Payload::Matter(m)) = other.fact.as_mut().unwrap().payload.as_mut() {
        m.officers.pop();
    }
    let e = expect_code(c.submit_fact(other).await, Code::AlreadyExists);
    assert_eq!(reason(&e), "FACT_CONFLICT");

    // 1,000 concurrent copies of one submission: exactly one fact
    let one = fact(&w, "M2", matter(&w, &two(&w), when()));
    let mut calls = Vec::new();
    for _ in 0..1000 {
        let mut c = c.clone();
        let one = one.clone();
        calls.push(tokio::spawn(async move {
            c.submit_fact(one).await.map(|r| r.into_inner().name)
        }));
    }
    let mut names = HashSet::new();
    for call in calls {
        names.insert(call.await.unwrap().expect("every copy succeeds"));
    }
    assert_eq!(names.len(), 1);
    assert_eq!(count(&mut c, FactFilter::default()).await, 2);
    let revisions = c
        .list_fact_revisions(ListFactRevisionsRequest {
            name: names.into_iter().next().unwrap(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .revisions;
    assert_eq!(revisions.len(), 1);
    s.stop().await;
});

db_test!(fact_revisions_page, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = dept(&s, &w).await;
    let first = c
        .submit_fact(fact(&w, "TRP", training(&w.a.name, 1.0)))
        .await
        .unwrap()
        .into_inner();
    for hours in 2..=5 {
        let mut fix = fact(&w, "TRP", training(&w.a.name, f64::from(hours)));
        fix.correction_reason = "hours were mistyped".into();
        c.submit_fact(fix).await.unwrap();
    }
    // another fact, whose listing a token of the first must not continue
    let other = c
        .submit_fact(fact(&w, "TRQ", training(&w.a.name, 1.0)))
        .await
        .unwrap()
        .into_inner();
    let list = |token: String, name: String, page_size: i32| {
        let mut c = c.clone();
        async move {
            c.list_fact_revisions(ListFactRevisionsRequest {
                name,
                page_size,
                page_token: token,
            })
            .await
        }
    };
    let pages = crate::util::walk(|token| {
        let page = list(token, first.name.clone(), 2);
        async move {
            let r = page.await.unwrap().into_inner();
            let revisions = r.revisions.iter().map(|f| f.revision.to_string());
            (revisions.collect(), r.next_page_token)
        }
    })
    .await;
    let all: Vec<String> = (1..=5).map(|r| r.to_string()).collect();
    crate::util::assert_pages(&pages, 2, &all);
    // a token is bound to its fact, and one never issued is refused
    let token = list(String::new(), first.name.clone(), 2)
        .await
        .unwrap()
        .into_inner()
        .next_page_token;
    for (token, name) in [(token, other.name), ("forged".into(), first.name)] {
        let e = expect_code(list(token, name, 2).await, Code::InvalidArgument);
        assert_eq!(bad_fields(&e), vec!["page_token".to_string()]);
    }
    s.stop().await;
});

db_test!(corrections_and_voids_keep_history, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = dept(&s, &w).await;
    let original = fact(&w, "TR1", training(&w.a.name, 8.0));
    let f1 = c.submit_fact(original.clone()).await.unwrap().into_inner();
    let mut fix = fact(&w, "TR1", training(&w.a.name, 6.0));
    fix.correction_reason = "hours were mistyped".into();
    let f2 = c.submit_fact(fix.clone()).await.unwrap().into_inner();
    assert_eq!((f2.name.clone(), f2.revision), (f1.name.clone(), 2));
    assert_eq!(f2.reason, "hours were mistyped");
    // the correction again changes nothing; the original again replays
    assert_eq!(c.submit_fact(fix).await.unwrap().into_inner().revision, 2);
    assert_eq!(
        c.submit_fact(original).await.unwrap().into_inner().revision,
        2
    );
    let revs = c
        .list_fact_revisions(ListFactRevisionsRequest {
            name: f1.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .revisions;
    assert_eq!(revs.len(), 2);
    let hours = |f: &Fact| match &f.payload {
        Some(Payload::Training(t)) => t.hours,
        _ => -1.0,
    };
    assert_eq!((hours(&revs[0]), hours(&revs[1])), (8.0, 6.0));
    // a correction of nothing, and one that changes the kind
    let mut nothing = fact(&w, "TR404", training(&w.a.name, 1.0));
    nothing.correction_reason = "x".into();
    let e = expect_code(c.submit_fact(nothing).await, Code::FailedPrecondition);
    assert_eq!(reason(&e), "NOTHING_TO_CORRECT");
    let mut kind = fact(&w, "TR1", matter(&w, &two(&w), when()));
    kind.correction_reason = "x".into();
    let e = expect_code(c.submit_fact(kind).await, Code::FailedPrecondition);
    assert_eq!(reason(&e), "KIND_CHANGED");
    // void: a revision too, and gone from listings unless asked
    let v = c
        .void_fact(VoidFactRequest {
            name: f1.name.clone(),
            reason: "entered twice".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((v.revision, v.voided), (3, true));
    let again = c
        .void_fact(VoidFactRequest {
            name: f1.name.clone(),
            reason: "entered twice".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.revision, 3);
    assert_eq!(count(&mut c, FactFilter::default()).await, 0);
    assert_eq!(
        count(
            &mut c,
            FactFilter {
                include_voided: true,
                ..Default::default()
            }
        )
        .await,
        1
    );
    let e = expect_code(
        c.void_fact(VoidFactRequest {
            name: "facts/x".into(),
            reason: String::new(),
            request_id: "not-a-uuid".into(),
        })
        .await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&e), sorted(&["name", "reason", "request_id"]));
    s.stop().await;
});

db_test!(departments_stay_in_their_subtree, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut mine = dept(&s, &w).await;
    let mut theirs = intake(&s, Role::Department, Some(&w.other.name)).await;
    let f = mine
        .submit_fact(fact(&w, "M1", matter(&w, &two(&w), when())))
        .await
        .unwrap()
        .into_inner();
    // the other department cannot submit for this body, nor see its facts
    let e = expect_code(
        theirs
            .submit_fact(fact(&w, "M2", matter(&w, &two(&w), when())))
            .await,
        Code::PermissionDenied,
    );
    assert_eq!(reason(&e), "OUTSIDE_DEPARTMENT");
    expect_code(
        theirs
            .get_fact(GetFactRequest {
                name: f.name.clone(),
            })
            .await,
        Code::NotFound,
    );
    expect_code(
        theirs
            .void_fact(VoidFactRequest {
                name: f.name.clone(),
                reason: "x".into(),
                ..Default::default()
            })
            .await,
        Code::NotFound,
    );
    assert_eq!(count(&mut theirs, FactFilter::default()).await, 0);
    assert_eq!(count(&mut mine, FactFilter::default()).await, 1);
    // the government above both sees both; leadership reads, never writes
    let mut gov = intake(&s, Role::Department, Some(&w.gov.name)).await;
    assert_eq!(count(&mut gov, FactFilter::default()).await, 1);
    let mut lead = intake(&s, Role::Leadership, None).await;
    assert_eq!(count(&mut lead, FactFilter::default()).await, 1);
    expect_code(
        lead.submit_fact(fact(&w, "M3", matter(&w, &two(&w), when())))
            .await,
        Code::PermissionDenied,
    );
    s.stop().await;
});

db_test!(export_streams_a_year_and_the_chain_holds, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = dept(&s, &w).await;
    for i in 0..25 {
        c.submit_fact(fact(
            &w,
            &format!("TR{i}"),
            training(&w.a.name, 1.0 + i as f64),
        ))
        .await
        .unwrap();
    }
    let year = chrono::Datelike::year(&(when() + Duration::hours(8)));
    let mut lead = intake(&s, Role::Leadership, None).await;
    let mut stream = lead
        .export_facts(ExportFactsRequest {
            year,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut got = Vec::new();
    while let Some(page) = stream.next().await {
        got.extend(page.unwrap().facts);
    }
    assert_eq!(got.len(), 25);
    let empty = lead
        .export_facts(ExportFactsRequest {
            year: year - 5,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .collect::<Vec<_>>()
        .await;
    assert!(empty.is_empty());
    // every submission is in intake's audit chain, which verifies
    assert!(intake_chain_verifies(&s).await >= 1);
    s.stop().await;
});

db_test!(listings_walk_every_page_and_keep_scope, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = dept(&s, &w).await;
    let mut names = Vec::new();
    for i in 0..23 {
        // one officer only: every matter has a TOO_FEW_QUALIFIED finding
        let f = c
            .submit_fact(fact(
                &w,
                &format!("M{i}"),
                matter(&w, &[w.a.name.as_str()], when()),
            ))
            .await
            .unwrap()
            .into_inner();
        names.push(f.name);
    }
    let filter = FactFilter {
        kind: FactKind::Matter as i32,
        ..Default::default()
    };
    let pages = crate::util::walk(|token| {
        let mut c = c.clone();
        let filter = filter.clone();
        async move {
            let r = c
                .list_facts(ListFactsRequest {
                    filter: Some(filter),
                    page_size: 10,
                    page_token: token,
                })
                .await
                .unwrap()
                .into_inner();
            (
                r.facts.into_iter().map(|f| f.name).collect(),
                r.next_page_token,
            )
        }
    })
    .await;
    crate::util::assert_pages(&pages, 10, &names);
    let findings = crate::util::walk(|token| {
        let mut c = c.clone();
        async move {
            let r = c
                .list_findings(ListFindingsRequest {
                    filter: Some(FindingFilter::default()),
                    page_size: 7,
                    page_token: token,
                })
                .await
                .unwrap()
                .into_inner();
            (
                r.findings.into_iter().map(|f| f.fact).collect(),
                r.next_page_token,
            )
        }
    })
    .await;
    crate::util::assert_pages(&findings, 7, &names);
    // a token is bound to its filter
    let first = c
        .list_facts(ListFactsRequest {
            filter: Some(filter.clone()),
            page_size: 10,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let e = expect_code(
        c.list_facts(ListFactsRequest {
            filter: Some(FactFilter::default()),
            page_size: 10,
            page_token: first.next_page_token,
        })
        .await,
        Code::InvalidArgument,
    );
    assert_eq!(bad_fields(&e), vec!["page_token".to_string()]);
    // another department sees none of it, in listings, counts and the export
    let mut other = intake(&s, Role::Department, Some(&w.other.name)).await;
    let listed = other
        .list_facts(ListFactsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(listed.facts.is_empty());
    let counted = other
        .count_findings(CountFindingsRequest { filter: None })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(counted.total, 0);
    let year = chrono::Datelike::year(&(when() + Duration::hours(8)));
    let exported: Vec<_> = other
        .export_facts(ExportFactsRequest {
            year,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .collect()
        .await;
    assert!(
        exported
            .iter()
            .all(|p| p.as_ref().unwrap().facts.is_empty())
    );
    s.stop().await;
});

// A void with a request id takes effect once: its retry, even after a
// correction brought the fact back, answers the first call and voids nothing.
db_test!(a_retried_void_takes_effect_once, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = dept(&s, &w).await;
    let f = c
        .submit_fact(fact(&w, "TRV1", training(&w.a.name, 8.0)))
        .await
        .unwrap()
        .into_inner();
    let request = VoidFactRequest {
        name: f.name.clone(),
        reason: "entered twice".into(),
        request_id: rid(),
    };
    let first = c.void_fact(request.clone()).await.unwrap().into_inner();
    assert_eq!((first.revision, first.voided), (2, true));
    let mut back = fact(&w, "TRV1", training(&w.a.name, 6.0));
    back.correction_reason = "not a duplicate after all".into();
    let back = c.submit_fact(back).await.unwrap().into_inner();
    assert_eq!((back.revision, back.voided), (3, false));

    let retry = c.void_fact(request.clone()).await.unwrap().into_inner();
    assert_eq!(retry, first);
    let now = c
        .get_fact(GetFactRequest {
            name: f.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((now.revision, now.voided), (3, false));
    // The same id with another request is refused; a new call voids.
    let e = expect_code(
        c.void_fact(VoidFactRequest {
            reason: "another reason".into(),
            ..request.clone()
        })
        .await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&e), "REQUEST_ID_REUSED");
    let again = c
        .void_fact(VoidFactRequest {
            request_id: rid(),
            ..request
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((again.revision, again.voided), (4, true));
    s.stop().await;
});

db_test!(many_facts_are_looked_up_at_once, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = dept(&s, &w).await;
    let t = when();
    for source in ["M1", "M2"] {
        c.submit_fact(fact(&w, source, matter(&w, &two(&w), t)))
            .await
            .unwrap();
    }
    let m2 = c
        .lookup_fact(LookupFactRequest {
            body: w.dept.name.clone(),
            source_id: "M2".into(),
        })
        .await
        .unwrap()
        .into_inner();
    c.void_fact(VoidFactRequest {
        name: m2.name.clone(),
        reason: "entered twice".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let key = |body: &probity_proto::registry::v1::Body, source: &str| LookupFactRequest {
        body: body.name.clone(),
        source_id: source.into(),
    };
    let asked = vec![
        key(&w.dept, "M2"),
        key(&w.dept, "M1"),
        key(&w.dept, "nothing"),
        key(&w.dept, "M1"),
    ];
    let sources = |facts: Vec<Fact>| -> Vec<(String, bool)> {
        facts.into_iter().map(|f| (f.source_id, f.voided)).collect()
    };
    let live = c
        .batch_lookup_facts(BatchLookupFactsRequest {
            keys: asked.clone(),
            include_voided: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(sources(live.facts), [("M1".to_string(), false)]);
    let all = c
        .batch_lookup_facts(BatchLookupFactsRequest {
            keys: asked.clone(),
            include_voided: true,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.facts[0].name, m2.name);
    assert_eq!(all.facts[0].payload, m2.payload, "the stored fact, whole");
    assert_eq!(
        sources(all.facts),
        [("M2".to_string(), true), ("M1".to_string(), false)],
        "in the order asked, each once"
    );
    // Another department's facts are not there for it.
    let mut other = intake(&s, Role::Department, Some(&w.other.name)).await;
    let seen = other
        .batch_lookup_facts(BatchLookupFactsRequest {
            keys: asked,
            include_voided: true,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(seen.facts.is_empty(), "{:?}", seen.facts);

    // Every bad key is named; the number of keys is bounded.
    let e = c
        .batch_lookup_facts(BatchLookupFactsRequest {
            keys: vec![
                LookupFactRequest {
                    body: "departments/x".into(),
                    source_id: "M1".into(),
                },
                key(&w.dept, ""),
            ],
            include_voided: false,
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&e), ["keys[0].body", "keys[1].source_id"]);
    let e = c
        .batch_lookup_facts(BatchLookupFactsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&e), ["keys"]);
    let e = c
        .batch_lookup_facts(BatchLookupFactsRequest {
            keys: vec![key(&w.dept, "M1"); 1001],
            include_voided: false,
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&e), ["keys"]);
});
