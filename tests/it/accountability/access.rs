//! Who may do what: the office manages orders and raises cases; a
//! department reads what concerns its body, the bodies below it and their
//! officers, answers its orders and contests its decisions (the steps of a
//! case by whom: rights.rs); leadership reads; the rankings job raises.
//! Request ids replay.
use probity_common::auth::Role;
use tonic::{Code, Status};

use super::*;
use crate::{
    db_test,
    fixtures::{reason, rid, world},
    harness::{Bearer, TestServer},
    util::{expect_code, expect_err},
};

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

db_test!(a_department_reads_what_concerns_it, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = parties(&s).await;
    let on_dept = open(&mut c, &w.dept.name, "ART19_04").await.name;
    let on_a = open(&mut c, &w.a.name, "ART20_01").await.name;
    let on_b = open(&mut c, &w.b.name, "ART20_04").await.name;
    let on_other = open(&mut c, &w.other.name, "ART19_04").await.name;
    let on_gov = open(&mut c, &w.gov.name, "ART19_14").await.name;
    let everything = sorted(vec![
        on_dept.clone(),
        on_a.clone(),
        on_b.clone(),
        on_other.clone(),
        on_gov.clone(),
    ]);
    let mine = sorted(vec![on_dept.clone(), on_a.clone(), on_b.clone()]);

    let mut d = acc(&s, Role::Department, Some(&w.dept.name)).await;
    for name in &mine {
        assert_eq!(get(&mut d, name).await.name, *name);
        assert!(!actions(&mut d, name).await.is_empty());
    }
    for name in [&on_other, &on_gov] {
        expect_err(
            d.get_case(GetCaseRequest { name: name.clone() }).await,
            Code::NotFound,
            "NOT_FOUND",
        );
        expect_code(
            d.list_case_events(ListCaseEventsRequest {
                name: name.clone(),
                ..Default::default()
            })
            .await,
            Code::NotFound,
        );
    }
    assert_eq!(case_names(&mut d, CaseFilter::default()).await, mine);
    // Filters narrow within the scope, never widen it.
    let by_body = |body: &str| CaseFilter {
        body: body.into(),
        ..Default::default()
    };
    assert!(case_names(&mut d, by_body(&w.other.name)).await.is_empty());
    assert_eq!(case_names(&mut d, by_body(&w.gov.name)).await, mine);
    assert_eq!(
        case_names(
            &mut d,
            CaseFilter {
                subject: w.a.name.clone(),
                ..Default::default()
            }
        )
        .await,
        vec![on_a.clone()]
    );
    assert!(
        case_names(
            &mut d,
            CaseFilter {
                subject: w.other.name.clone(),
                ..Default::default()
            }
        )
        .await
        .is_empty()
    );

    // The other department sees its own only.
    let mut o = acc(&s, Role::Department, Some(&w.other.name)).await;
    assert_eq!(
        case_names(&mut o, CaseFilter::default()).await,
        vec![on_other.clone()]
    );
    expect_code(
        o.get_case(GetCaseRequest { name: on_a.clone() }).await,
        Code::NotFound,
    );

    // The government sees the bodies below it; leadership, the office and
    // the rankings job see everything.
    let mut g = acc(&s, Role::Department, Some(&w.gov.name)).await;
    assert_eq!(case_names(&mut g, CaseFilter::default()).await, everything);
    for role in [Role::Leadership, Role::LegalOffice] {
        let mut r = acc(&s, role, None).await;
        assert_eq!(
            case_names(&mut r, CaseFilter::default()).await,
            everything,
            "{role:?}"
        );
        assert_eq!(get(&mut r, &on_other).await.name, on_other);
    }
    // The job lists the cases its report shows, and reads nothing else.
    let mut r = job(&s).await;
    assert_eq!(case_names(&mut r, CaseFilter::default()).await, everything);
    expect_code(
        r.get_case(GetCaseRequest {
            name: on_other.clone(),
        })
        .await,
        Code::PermissionDenied,
    );
    // The office's body filter: the body, its officers, the bodies below.
    assert_eq!(case_names(&mut c, by_body(&w.dept.name)).await, mine);
    assert_eq!(case_names(&mut c, by_body(&w.gov.name)).await, everything);
    // The auditor reads the audit chain, not the cases.
    let mut auditor = acc(&s, Role::Auditor, None).await;
    expect_code(
        auditor
            .get_case(GetCaseRequest { name: on_a.clone() })
            .await,
        Code::PermissionDenied,
    );
    // An unknown case is NOT_FOUND for everyone; a malformed name is invalid.
    expect_code(
        c.get_case(GetCaseRequest {
            name: "cases/nosuchcase".into(),
        })
        .await,
        Code::NotFound,
    );
    crate::util::expect_invalid(
        c.get_case(GetCaseRequest {
            name: "case-1".into(),
        })
        .await,
        &["name"],
    );
    s.stop().await;
});

/// Every write method, with a well-formed request about `case` and `order`;
/// what each call came to.
async fn every_write(
    c: &mut Acc,
    w: &crate::fixtures::World,
    case: &str,
    order: &str,
) -> Vec<(&'static str, Result<(), Status>)> {
    fn done<T>(r: Result<tonic::Response<T>, Status>) -> Result<(), Status> {
        r.map(|_| ())
    }
    let mut out = Vec::new();
    out.push((
        "OpenCase",
        done(c.open_case(open_request(&w.a.name, "ART20_01")).await),
    ));
    out.push((
        "RaiseFromFinding",
        done(
            c.raise_from_finding(RaiseFromFindingRequest {
                request_id: rid(),
                finding: Some(FindingRef {
                    fact: "facts/999999".into(),
                    revision: 1,
                    rule: "INSPECTION_NOT_RECORDED".into(),
                    officer: String::new(),
                }),
                ..Default::default()
            })
            .await,
        ),
    ));
    out.push((
        "RaiseFromFlag",
        done(
            c.raise_from_flag(RaiseFromFlagRequest {
                request_id: rid(),
                flag: Some(RankingFlag {
                    year: 2025,
                    kind: FlagKind::BelowThreshold as i32,
                    subject: w.b.name.clone(),
                    run: "run-1".into(),
                    ..Default::default()
                }),
            })
            .await,
        ),
    ));
    out.push((
        "AddEvidence",
        done(
            c.add_evidence(AddEvidenceRequest {
                request_id: rid(),
                name: case.into(),
                evidence: vec![document("archive://x")],
            })
            .await,
        ),
    ));
    out.push((
        "StartInvestigation",
        done(
            c.start_investigation(step::<StartInvestigationRequest>(case, "调查"))
                .await,
        ),
    ));
    out.push((
        "ProposeDecision",
        done(
            c.propose_decision(ProposeDecisionRequest {
                request_id: rid(),
                name: case.into(),
                proposal: Some(decision(1, &[SanctionKind::Admonition])),
                ..Default::default()
            })
            .await,
        ),
    ));
    out.push((
        "DecideCase",
        done(
            c.decide_case(DecideCaseRequest {
                request_id: rid(),
                name: case.into(),
                decision: None,
                reason: "决定".into(),
            })
            .await,
        ),
    ));
    out.push((
        "ContestDecision",
        done(
            c.contest_decision(step::<ContestDecisionRequest>(case, "申诉"))
                .await,
        ),
    ));
    out.push((
        "ResolveContest",
        done(
            c.resolve_contest(ResolveContestRequest {
                request_id: rid(),
                name: case.into(),
                outcome: ContestOutcome::Upheld as i32,
                decision: None,
                reason: "维持".into(),
            })
            .await,
        ),
    ));
    out.push((
        "ExecuteDecision",
        done(
            c.execute_decision(step::<ExecuteDecisionRequest>(case, "执行"))
                .await,
        ),
    ));
    out.push((
        "CloseCase",
        done(c.close_case(step::<CloseCaseRequest>(case, "结案")).await),
    ));
    out.push((
        "DismissCase",
        done(
            c.dismiss_case(step::<DismissCaseRequest>(case, "撤销"))
                .await,
        ),
    ));
    out.push((
        "CreateOrder",
        done(
            c.create_order(CreateOrderRequest {
                request_id: rid(),
                order: Some(CorrectionOrder {
                    body: w.dept.name.clone(),
                    act: "act".into(),
                    deadline: Some(ts(chrono::Utc::now() + chrono::Duration::days(3))),
                    ..Default::default()
                }),
            })
            .await,
        ),
    ));
    out.push((
        "AnswerOrder",
        done(
            c.answer_order(AnswerOrderRequest {
                request_id: rid(),
                name: order.into(),
                answer: OrderAnswer::Refused as i32,
                note: "拒绝".into(),
                evidence: vec![],
            })
            .await,
        ),
    ));
    out.push((
        "RecordCommendation",
        done(
            c.record_commendation(RecordCommendationRequest {
                request_id: rid(),
                commendation: Some(Commendation {
                    year: 2025,
                    subject: w.b.name.clone(),
                    run: "run-1".into(),
                    ..Default::default()
                }),
            })
            .await,
        ),
    ));
    out
}

db_test!(only_the_office_manages_cases, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = parties(&s).await;
    let case = decided(
        &mut c,
        &w.a.name,
        "ART20_01",
        decision(1, &[SanctionKind::Admonition]),
    )
    .await;
    let order = c
        .create_order(CreateOrderRequest {
            request_id: rid(),
            order: Some(CorrectionOrder {
                body: w.dept.name.clone(),
                act: "act".into(),
                deadline: Some(ts(chrono::Utc::now() + chrono::Duration::days(3))),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    let denied = |role: &str,
                  results: Vec<(&'static str, Result<(), Status>)>,
                  allowed: &[&str]| {
        for (method, r) in results {
            if allowed.contains(&method) {
                continue;
            }
            let e = r.expect_err(&format!("{role} must not call {method}"));
            assert_eq!(e.code(), Code::PermissionDenied, "{role} {method}: {e:?}");
            // a service whose identity does not call it: SERVICE_NOT_ALLOWED
            let why = reason(&e);
            assert!(
                why == "ROLE_NOT_ALLOWED" || (role == "service" && why == "SERVICE_NOT_ALLOWED"),
                "{role} {method}: {e:?}"
            );
        }
    };
    // The department, the officer's unit: on its decided case it contests,
    // and answers its order. The office's own methods are refused by role;
    // the case's other steps by the decision-rights table (rights.rs) or
    // by the case's state.
    let mut d = acc(&s, Role::Department, Some(&w.dept.name)).await;
    let results = every_write(&mut d, &w, &case.name, &order.name).await;
    let allowed = ["ContestDecision", "AnswerOrder"];
    let by_role = [
        "RaiseFromFinding",
        "RaiseFromFlag",
        "CreateOrder",
        "RecordCommendation",
    ];
    for (method, r) in results {
        if allowed.contains(&method) {
            assert!(r.is_ok(), "the department may {method}: {r:?}");
            continue;
        }
        let e = r.expect_err(&format!("department must not {method}"));
        let why = reason(&e);
        if by_role.contains(&method) {
            assert_eq!(why, "ROLE_NOT_ALLOWED", "{method}: {e:?}");
        } else {
            assert!(
                why == "DECISION_RIGHT" || why == "ILLEGAL_TRANSITION",
                "department {method}: {e:?}"
            );
        }
    }
    // Leadership reads only.
    let mut l = acc(&s, Role::Leadership, None).await;
    denied(
        "leadership",
        every_write(&mut l, &w, &case.name, &order.name).await,
        &[],
    );
    // The rankings job raises flags and records commendations, and opens
    // nothing by hand (findings are raised by accountability's own sweep).
    let mut svc = job(&s).await;
    let results = every_write(&mut svc, &w, &case.name, &order.name).await;
    let allowed = ["RaiseFromFlag", "RecordCommendation"];
    for (method, r) in &results {
        if allowed.contains(method) {
            assert!(r.is_ok(), "the service may {method}: {r:?}")
        }
    }
    denied("service", results, &allowed);

    // Only the department's own writes happened.
    let now = get(&mut c, &case.name).await;
    assert_eq!(now.state, CaseState::Contested as i32);
    assert_eq!(now.contest.unwrap().by, "test-department");
    assert_eq!(
        actions(&mut c, &case.name).await,
        vec![
            "OPEN",
            "START_INVESTIGATION",
            "PROPOSE",
            "DECIDE",
            "CONTEST"
        ]
    );
    let o = c
        .get_order(GetOrderRequest {
            name: order.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(o.state, OrderState::Refused as i32);
    assert_eq!(
        case_names(&mut c, CaseFilter::default()).await.len(),
        3,
        "the decided case, the refusal's case, the service's flag case"
    );

    // Without a valid token, nothing at all.
    let mut anon = AccountabilityServiceClient::new(s.channel().await);
    expect_code(
        anon.list_grounds(ListGroundsRequest::default()).await,
        Code::Unauthenticated,
    );
    expect_code(
        anon.get_case(GetCaseRequest {
            name: case.name.clone(),
        })
        .await,
        Code::Unauthenticated,
    );
    expect_code(
        anon.open_case(open_request(&w.a.name, "ART20_01")).await,
        Code::Unauthenticated,
    );
    let mut forged = AccountabilityServiceClient::with_interceptor(
        s.channel().await,
        Bearer::new("not.a.token"),
    );
    expect_code(
        forged
            .list_severity_rules(ListSeverityRulesRequest::default())
            .await,
        Code::Unauthenticated,
    );
    s.stop().await;
});

db_test!(
    a_department_contests_only_its_own_decisions,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut c = parties(&s).await;
        let d1 = || decision(1, &[SanctionKind::Rectification]);
        let ours = decided(&mut c, &w.dept.name, "ART19_04", d1()).await.name;
        let theirs = decided(&mut c, &w.other.name, "ART19_04", d1()).await.name;
        let mut d = acc(&s, Role::Department, Some(&w.dept.name)).await;
        let mut o = acc(&s, Role::Department, Some(&w.other.name)).await;

        expect_err(
            d.contest_decision(step::<ContestDecisionRequest>(&theirs, "申诉"))
                .await,
            Code::NotFound,
            "NOT_FOUND",
        );
        expect_err(
            o.contest_decision(step::<ContestDecisionRequest>(&ours, "申诉"))
                .await,
            Code::NotFound,
            "NOT_FOUND",
        );
        assert_eq!(get(&mut c, &ours).await.state, CaseState::Decided as i32);
        assert_eq!(get(&mut c, &theirs).await.state, CaseState::Decided as i32);

        let contested = d
            .contest_decision(step::<ContestDecisionRequest>(&ours, "申诉 we contest"))
            .await
            .expect("contest")
            .into_inner();
        assert_eq!(contested.state, CaseState::Contested as i32);
        let contested = o
            .contest_decision(step::<ContestDecisionRequest>(&theirs, "申诉 we too"))
            .await
            .expect("contest")
            .into_inner();
        assert_eq!(contested.contest.unwrap().reason, "申诉 we too");
        s.stop().await;
    }
);

db_test!(listings_page_within_the_scope, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = parties(&s).await;
    let mut mine = Vec::new();
    for subject in [&w.dept.name, &w.a.name, &w.b.name, &w.a.name, &w.dept.name] {
        let code = if subject.starts_with("bodies/") {
            "ART19_04"
        } else {
            "ART20_01"
        };
        mine.push(open(&mut c, subject, code).await.name);
    }
    open(&mut c, &w.other.name, "ART19_04").await;
    let mut d = acc(&s, Role::Department, Some(&w.dept.name)).await;
    let pages = crate::util::walk(|token| {
        let mut d = d.clone();
        async move {
            let r = d
                .list_cases(ListCasesRequest {
                    filter: None,
                    page_size: 2,
                    page_token: token,
                })
                .await
                .expect("list cases")
                .into_inner();
            (
                r.cases.into_iter().map(|c| c.name).collect(),
                r.next_page_token,
            )
        }
    })
    .await;
    crate::util::assert_pages(&pages, 2, &mine);
    // A page token belongs to its filter.
    let first = d
        .list_cases(ListCasesRequest {
            filter: None,
            page_size: 2,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    crate::util::expect_invalid(
        d.list_cases(ListCasesRequest {
            filter: Some(CaseFilter {
                subject: w.a.name.clone(),
                ..Default::default()
            }),
            page_size: 2,
            page_token: first.next_page_token,
        })
        .await,
        &["page_token"],
    );
    s.stop().await;
});

db_test!(a_request_id_makes_a_retry_safe, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = parties(&s).await;
    let req = open_request(&w.a.name, "ART20_01");
    let first = c.open_case(req.clone()).await.expect("open").into_inner();
    let second = c.open_case(req.clone()).await.expect("retry").into_inner();
    assert_eq!(second, first);
    assert_eq!(
        case_names(&mut c, CaseFilter::default()).await,
        vec![first.name.clone()]
    );
    assert_eq!(actions(&mut c, &first.name).await, vec!["OPEN"]);

    // The same id for another request is refused, not mistaken for a retry.
    let mut other = req.clone();
    other.title = "另一个案件 another case".into();
    expect_err(
        c.open_case(other).await,
        Code::FailedPrecondition,
        "REQUEST_ID_REUSED",
    );
    assert_eq!(case_names(&mut c, CaseFilter::default()).await.len(), 1);

    // Request ids are the caller's own: another caller's request with the
    // same id is its own request.
    let order = c
        .create_order(CreateOrderRequest {
            request_id: rid(),
            order: Some(CorrectionOrder {
                body: w.dept.name.clone(),
                act: "act".into(),
                deadline: Some(ts(chrono::Utc::now() + chrono::Duration::days(3))),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    let mut d = acc(&s, Role::Department, Some(&w.dept.name)).await;
    let answered = d
        .answer_order(AnswerOrderRequest {
            request_id: req.request_id.clone(),
            name: order.name.clone(),
            answer: OrderAnswer::Corrected as i32,
            note: "已改正".into(),
            evidence: vec![document("archive://fixed")],
        })
        .await
        .expect("the department's own request")
        .into_inner();
    assert_eq!(answered.state, OrderState::Corrected as i32);

    // A transition retried, even after the case moved on, replays its answer.
    let start = step::<StartInvestigationRequest>(&first.name, "调查");
    let started = c
        .start_investigation(start.clone())
        .await
        .unwrap()
        .into_inner();
    c.propose_decision(ProposeDecisionRequest {
        request_id: rid(),
        name: first.name.clone(),
        proposal: Some(decision(1, &[SanctionKind::Admonition])),
        ..Default::default()
    })
    .await
    .unwrap();
    let retried = c
        .start_investigation(start)
        .await
        .expect("replayed")
        .into_inner();
    assert_eq!(retried, started);
    assert_eq!(
        actions(&mut c, &first.name).await,
        vec!["OPEN", "START_INVESTIGATION", "PROPOSE"]
    );
    assert_eq!(
        get(&mut c, &first.name).await.state,
        CaseState::Proposed as i32
    );

    // A raise retried with its request id replays "created" as it was.
    let flag = RaiseFromFlagRequest {
        request_id: rid(),
        flag: Some(RankingFlag {
            year: 2025,
            kind: FlagKind::Failing as i32,
            subject: w.dept.name.clone(),
            run: "run-1".into(),
            ..Default::default()
        }),
    };
    let mut svc = job(&s).await;
    let raised = svc
        .raise_from_flag(flag.clone())
        .await
        .unwrap()
        .into_inner();
    assert!(raised.created);
    let replay = svc.raise_from_flag(flag).await.unwrap().into_inner();
    assert_eq!(replay, raised);
    assert_eq!(case_names(&mut c, CaseFilter::default()).await.len(), 2);
    s.stop().await;
});
