//! Correction orders (Art. 10): a body corrects (with evidence) or refuses;
//! a refusal, or silence past the deadline, opens exactly one case on
//! Art. 10. Commendations (Art. 6): once per year and subject, published.
use std::time::Duration as StdDuration;

use chrono::{DateTime, Datelike, Duration, Utc};
use probity_common::auth::Role;
use tonic::{Code, Status};

use super::*;
use crate::{
    db_test,
    fixtures::{rid, world},
    harness::TestServer,
    util::{expect_code, expect_err, expect_invalid, near},
};

const ACT: &str =
    "对某公司的处罚未告知陈述申辩权利 penalty without notice of the right to be heard";

fn order_request(body: &str, deadline: DateTime<Utc>) -> CreateOrderRequest {
    CreateOrderRequest {
        request_id: rid(),
        order: Some(CorrectionOrder {
            body: body.into(),
            act: ACT.into(),
            evidence: vec![document("archive://orders/1")],
            deadline: Some(ts(deadline)),
            ..Default::default()
        }),
    }
}

fn answer_request(name: &str, answer: OrderAnswer, evidence: Vec<Evidence>) -> AnswerOrderRequest {
    AnswerOrderRequest {
        request_id: rid(),
        name: name.into(),
        answer: answer as i32,
        note: "已撤销原处罚决定 the decision was withdrawn".into(),
        evidence,
    }
}

async fn create(c: &mut Acc, body: &str, deadline: DateTime<Utc>) -> CorrectionOrder {
    c.create_order(order_request(body, deadline))
        .await
        .expect("create order")
        .into_inner()
}

async fn get_order(c: &mut Acc, name: &str) -> CorrectionOrder {
    c.get_order(GetOrderRequest { name: name.into() })
        .await
        .expect("get order")
        .into_inner()
}

fn from_orders() -> CaseFilter {
    CaseFilter {
        origin: OriginKind::CorrectionOrder as i32,
        ..Default::default()
    }
}

db_test!(a_corrected_order_opens_no_case, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = parties(&s).await;
    let mut d = acc(&s, Role::Department, Some(&w.dept.name)).await;
    let mut other = acc(&s, Role::Department, Some(&w.other.name)).await;

    // Structure first, every field at once; then the registry.
    expect_invalid(
        c.create_order(CreateOrderRequest {
            request_id: rid(),
            order: Some(CorrectionOrder {
                body: "dept".into(),
                act: String::new(),
                evidence: vec![Evidence {
                    kind: EvidenceKind::Document as i32,
                    reference: "archive://x".into(),
                    ..Default::default()
                }],
                deadline: Some(ts(Utc::now() - Duration::hours(1))),
                ..Default::default()
            }),
        })
        .await,
        &[
            "order.body",
            "order.act",
            "order.evidence[0].sha256",
            "order.deadline",
        ],
    );
    expect_invalid(
        c.create_order(order_request(
            "bodies/nobody",
            Utc::now() + Duration::days(7),
        ))
        .await,
        &["order.body"],
    );
    // Orders are the office's to give.
    expect_code(
        d.create_order(order_request(&w.dept.name, Utc::now() + Duration::days(7)))
            .await,
        Code::PermissionDenied,
    );

    let deadline = Utc::now() + Duration::days(7);
    let order = create(&mut c, &w.dept.name, deadline).await;
    assert!(order.name.starts_with("orders/"));
    assert_eq!(order.state, OrderState::Open as i32);
    assert_eq!(order.body, w.dept.name);
    assert_eq!(order.body_display_name, w.dept.display_name);
    assert_eq!(order.created_by, "test-legal_office");
    assert_eq!(order.act, ACT);
    assert_eq!(order.evidence.len(), 1);
    assert!(near(&order.deadline, deadline));
    assert!(near(&order.create_time, Utc::now()));
    assert!(order.case.is_empty());

    // Another department does not see it, let alone answer it.
    expect_code(
        other
            .get_order(GetOrderRequest {
                name: order.name.clone(),
            })
            .await,
        Code::NotFound,
    );
    expect_code(
        other
            .answer_order(answer_request(&order.name, OrderAnswer::Refused, vec![]))
            .await,
        Code::NotFound,
    );
    // A correction needs evidence; an answer needs its kind and note.
    expect_invalid(
        d.answer_order(answer_request(&order.name, OrderAnswer::Corrected, vec![]))
            .await,
        &["evidence"],
    );
    let mut blank = answer_request(&order.name, OrderAnswer::Unspecified, vec![]);
    blank.note.clear();
    expect_invalid(d.answer_order(blank).await, &["answer", "note"]);
    assert_eq!(
        get_order(&mut c, &order.name).await.state,
        OrderState::Open as i32
    );

    let corrected = d
        .answer_order(answer_request(
            &order.name,
            OrderAnswer::Corrected,
            vec![document("archive://orders/1/correction")],
        ))
        .await
        .expect("corrected")
        .into_inner();
    assert_eq!(corrected.state, OrderState::Corrected as i32);
    assert_eq!(corrected.answer, OrderAnswer::Corrected as i32);
    assert_eq!(
        corrected.answer_note,
        "已撤销原处罚决定 the decision was withdrawn"
    );
    assert_eq!(corrected.answer_evidence.len(), 1);
    assert_eq!(corrected.answer_evidence[0].added_by, "test-department");
    assert!(corrected.answer_time.is_some());
    assert!(corrected.case.is_empty(), "a correction opens no case");

    // Answered once.
    for again in [OrderAnswer::Refused, OrderAnswer::Corrected] {
        let e = expect_err(
            d.answer_order(answer_request(
                &order.name,
                again,
                vec![document("archive://again")],
            ))
            .await,
            Code::FailedPrecondition,
            "ORDER_ANSWERED",
        );
        assert!(e.message().contains("ORDER_STATE_CORRECTED"), "{e:?}");
    }
    assert_eq!(get_order(&mut d, &order.name).await, corrected);
    assert!(case_names(&mut c, from_orders()).await.is_empty());

    // Listed for its department by state; not for the other.
    let listed = d
        .list_orders(ListOrdersRequest {
            body: w.dept.name.clone(),
            state: OrderState::Corrected as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .orders;
    assert_eq!(listed, vec![corrected.clone()]);
    let open_ones = c
        .list_orders(ListOrdersRequest {
            state: OrderState::Open as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .orders;
    assert!(open_ones.is_empty());
    let theirs = other
        .list_orders(ListOrdersRequest::default())
        .await
        .unwrap()
        .into_inner()
        .orders;
    assert!(theirs.is_empty(), "{theirs:?}");
    s.stop().await;
});

db_test!(a_refused_order_opens_one_case, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = parties(&s).await;
    let mut d = acc(&s, Role::Department, Some(&w.dept.name)).await;
    let order = create(&mut c, &w.dept.name, Utc::now() + Duration::days(7)).await;

    let refusal = AnswerOrderRequest {
        request_id: rid(),
        name: order.name.clone(),
        answer: OrderAnswer::Refused as i32,
        note: "原决定合法 we hold the act lawful".into(),
        evidence: vec![],
    };
    let refused = d
        .answer_order(refusal.clone())
        .await
        .expect("refuse")
        .into_inner();
    assert_eq!(refused.state, OrderState::Refused as i32);
    assert_eq!(refused.answer, OrderAnswer::Refused as i32);
    assert!(refused.case.starts_with("cases/"), "{refused:?}");

    // The case: against the body, on Art. 10, from this order.
    let case = get(&mut d, &refused.case).await;
    assert_eq!(case.state, CaseState::Opened as i32);
    let subject = case.subject.clone().unwrap();
    assert_eq!(subject.name, w.dept.name);
    assert_eq!(subject.kind, SubjectKind::Body as i32);
    assert_eq!(subject.display_name, w.dept.display_name);
    assert_eq!(case.grounds.len(), 1);
    assert_eq!(case.grounds[0].code, "ART10");
    assert_eq!(case.grounds[0].article, "Art. 10");
    assert_eq!(case.grounds[0].detail, ACT);
    let origin = case.origin.clone().unwrap();
    assert_eq!(origin.kind, OriginKind::CorrectionOrder as i32);
    assert_eq!(origin.reference, order.name);
    assert_eq!(case.evidence[0].kind, EvidenceKind::CorrectionOrder as i32);
    assert_eq!(case.evidence[0].reference, order.name);
    assert!(
        case.evidence
            .iter()
            .any(|e| e.reference == "archive://orders/1"),
        "the order's evidence comes along: {:?}",
        case.evidence
    );
    let events = c
        .list_case_events(ListCaseEventsRequest {
            name: case.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].action.as_str(), events[0].role.as_str()),
        ("OPEN", "department")
    );

    // A retry of the same request replays; a new answer is refused.
    let replay = d.answer_order(refusal).await.expect("replay").into_inner();
    assert_eq!(replay, refused);
    for again in [OrderAnswer::Refused, OrderAnswer::Corrected] {
        expect_err(
            d.answer_order(answer_request(
                &order.name,
                again,
                vec![document("archive://late")],
            ))
            .await,
            Code::FailedPrecondition,
            "ORDER_ANSWERED",
        );
    }
    assert_eq!(
        case_names(&mut c, from_orders()).await,
        vec![case.name.clone()]
    );
    assert_eq!(get_order(&mut c, &order.name).await.case, case.name);
    s.stop().await;
});

db_test!(an_overdue_order_opens_one_case, |b| async move {
    let s = TestServer::start_with(b, |st| {
        st.section_mut::<probity_accountability::settings::AccountabilitySettings>()
            .sweep_interval_ms = 100
    })
    .await;
    let w = world(&s).await;
    let mut c = parties(&s).await;
    let late = create(
        &mut c,
        &w.dept.name,
        Utc::now() + Duration::milliseconds(1500),
    )
    .await;
    let control = create(&mut c, &w.dept.name, Utc::now() + Duration::days(7)).await;
    assert_eq!(late.state, OrderState::Open as i32);

    let mut overdue = None;
    for _ in 0..200 {
        let o = get_order(&mut c, &late.name).await;
        if o.state == OrderState::Overdue as i32 {
            overdue = Some(o);
            break;
        }
        assert_eq!(o.state, OrderState::Open as i32, "{o:?}");
        assert!(
            o.case.is_empty(),
            "a case before the order was overdue: {o:?}"
        );
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    let overdue = overdue.expect("the order never became OVERDUE");
    assert!(
        Utc::now().timestamp() >= late.deadline.unwrap().seconds,
        "not before its deadline"
    );
    assert!(overdue.case.starts_with("cases/"), "{overdue:?}");
    let case = get(&mut c, &overdue.case).await;
    assert_eq!(case.grounds[0].code, "ART10");
    let origin = case.origin.clone().unwrap();
    assert_eq!(origin.kind, OriginKind::CorrectionOrder as i32);
    assert_eq!(origin.reference, late.name);
    let events = c
        .list_case_events(ListCaseEventsRequest {
            name: case.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].role, "service",
        "opened by the sweep: {:?}",
        events[0]
    );

    // More sweeps: still exactly one case; the other order is untouched.
    tokio::time::sleep(StdDuration::from_millis(700)).await;
    assert_eq!(
        case_names(&mut c, from_orders()).await,
        vec![case.name.clone()]
    );
    let untouched = get_order(&mut c, &control.name).await;
    assert_eq!(untouched.state, OrderState::Open as i32);
    assert!(untouched.case.is_empty());

    // A late refusal does not open a second case.
    let mut d = acc(&s, Role::Department, Some(&w.dept.name)).await;
    let answered = d
        .answer_order(answer_request(&late.name, OrderAnswer::Refused, vec![]))
        .await
        .expect("a late answer")
        .into_inner();
    assert_eq!(answered.case, case.name, "the case it opened stays");
    assert_eq!(
        case_names(&mut c, from_orders()).await,
        vec![case.name.clone()]
    );
    s.stop().await;
});

fn commendation(year: i32, subject: &str, run: &str, rank: i32) -> RecordCommendationRequest {
    RecordCommendationRequest {
        request_id: rid(),
        commendation: Some(Commendation {
            year,
            subject: subject.into(),
            run: run.into(),
            score: 98.5,
            rank,
            peer_group: "市场监管".into(),
            note: "年度优秀 outstanding".into(),
            ..Default::default()
        }),
    }
}

async fn commended(c: &mut Acc, year: i32, kind: SubjectKind) -> Result<Vec<String>, Status> {
    c.list_commendations(ListCommendationsRequest {
        year,
        subject_kind: kind as i32,
        ..Default::default()
    })
    .await
    .map(|r| {
        r.into_inner()
            .commendations
            .into_iter()
            .map(|c| c.subject)
            .collect()
    })
}

db_test!(a_commendation_is_recorded_once_a_year, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut svc = job(&s).await;
    let first = svc
        .record_commendation(commendation(2025, &w.a.name, "run-1", 1))
        .await
        .expect("record")
        .into_inner();
    assert!(first.created);
    let c1 = first.commendation.unwrap();
    assert!(c1.name.starts_with("commendations/"));
    assert_eq!(c1.subject_kind, SubjectKind::Officer as i32);
    assert_eq!(c1.body, w.dept.name);
    assert!(near(&c1.create_time, Utc::now()));

    // The next run of the same year: already recorded, nothing changed.
    let again = svc
        .record_commendation(commendation(2025, &w.a.name, "run-2", 2))
        .await
        .expect("record again")
        .into_inner();
    assert!(!again.created);
    assert_eq!(again.commendation.unwrap(), c1);
    let body = svc
        .record_commendation(commendation(2025, &w.dept.name, "run-1", 1))
        .await
        .unwrap()
        .into_inner();
    assert!(body.created);
    let next_year = svc
        .record_commendation(commendation(2026, &w.a.name, "run-9", 3))
        .await
        .unwrap()
        .into_inner();
    assert!(next_year.created);
    assert_ne!(next_year.commendation.unwrap().name, c1.name);

    // Published: any reader lists them by year and kind.
    let mut other = acc(&s, Role::Department, Some(&w.other.name)).await;
    let mut all = commended(&mut other, 2025, SubjectKind::Unspecified)
        .await
        .unwrap();
    all.sort();
    let mut want = vec![w.a.name.clone(), w.dept.name.clone()];
    want.sort();
    assert_eq!(all, want);
    assert_eq!(
        commended(&mut other, 2025, SubjectKind::Officer)
            .await
            .unwrap(),
        vec![w.a.name.clone()]
    );
    assert_eq!(
        commended(&mut other, 2025, SubjectKind::Body)
            .await
            .unwrap(),
        vec![w.dept.name.clone()]
    );
    assert!(
        commended(&mut other, 2024, SubjectKind::Unspecified)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        commended(&mut other, 2026, SubjectKind::Unspecified)
            .await
            .unwrap(),
        vec![w.a.name.clone()]
    );
    expect_invalid(
        commended(&mut other, 0, SubjectKind::Unspecified).await,
        &["year"],
    );
    // Paged.
    let page = other
        .list_commendations(ListCommendationsRequest {
            year: 2025,
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.commendations.len(), 1);
    let rest = other
        .list_commendations(ListCommendationsRequest {
            year: 2025,
            page_size: 1,
            page_token: page.next_page_token.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rest.commendations.len(), 1);
    assert_ne!(rest.commendations[0].name, page.commendations[0].name);

    // Recorded by the rankings job (or the office), checked.
    expect_code(
        other
            .record_commendation(commendation(2025, &w.other.name, "run-1", 1))
            .await,
        Code::PermissionDenied,
    );
    let mut bad = commendation(1999, "someone", "", -1);
    bad.commendation.as_mut().unwrap().score = f64::INFINITY;
    expect_invalid(
        svc.record_commendation(bad).await,
        &[
            "commendation.year",
            "commendation.subject",
            "commendation.run",
            "commendation.rank",
            "commendation.score",
        ],
    );
    expect_invalid(
        svc.record_commendation(commendation(2025, "officers/nobody", "run-1", 1))
            .await,
        &["commendation.subject"],
    );
    s.stop().await;
});

db_test!(
    a_late_answer_before_the_sweep_still_opens_the_case,
    |b| async move {
        // The sweep runs rarely here: the answer comes first.
        let s = TestServer::start_with(b, |st| {
            st.section_mut::<probity_accountability::settings::AccountabilitySettings>()
                .sweep_interval_ms = 3_600_000
        })
        .await;
        let w = world(&s).await;
        let mut c = parties(&s).await;
        let order = create(
            &mut c,
            &w.dept.name,
            Utc::now() + Duration::milliseconds(800),
        )
        .await;
        tokio::time::sleep(StdDuration::from_millis(1_000)).await;
        let mut d = acc(&s, Role::Department, Some(&w.dept.name)).await;
        let answered = d
            .answer_order(answer_request(
                &order.name,
                OrderAnswer::Corrected,
                vec![document("archive://corrections/late")],
            ))
            .await
            .expect("a late answer is recorded")
            .into_inner();
        assert_eq!(answered.state, OrderState::Corrected as i32);
        assert!(
            !answered.case.is_empty(),
            "the deadline passed: Art. 10 case"
        );
        let cases = case_names(&mut c, from_orders()).await;
        assert_eq!(cases, vec![answered.case.clone()]);
        // The evidence of the order keeps who added it: the office.
        let case = get(&mut c, &answered.case).await;
        let from_order = case
            .evidence
            .iter()
            .find(|e| e.reference == "archive://orders/1")
            .expect("the order's evidence");
        assert_eq!(from_order.added_by, "test-legal_office");
        s.stop().await;
    }
);

// A decision in force that took away a subject's award eligibility for the
// year (取消年度评选先进资格) keeps the year's commendation from it.
db_test!(
    a_lost_eligibility_keeps_the_commendation_away,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut c = parties(&s).await;
        let d = decision(
            2,
            &[
                SanctionKind::PublicCriticism,
                SanctionKind::LossOfAwardEligibility,
            ],
        );
        let case = decided(&mut c, &w.b.name, "ART20_01", d).await;
        // no effect on the registry: executed at once
        let executed = c
            .execute_decision(step::<ExecuteDecisionRequest>(&case.name, "执行"))
            .await
            .expect("execute")
            .into_inner();
        assert_eq!(executed.state, CaseState::Executed as i32);
        let year = Utc::now()
            .with_timezone(&probity_rules::city::city())
            .year();
        let mut svc = job(&s).await;
        let e = expect_err(
            svc.record_commendation(commendation(year, &w.b.name, "run-1", 1))
                .await,
            Code::FailedPrecondition,
            "AWARD_ELIGIBILITY_LOST",
        );
        assert!(e.message().contains(&case.name), "{e:?}");
        // another year's, and another officer's, are not touched
        assert!(
            svc.record_commendation(commendation(year - 1, &w.b.name, "run-0", 1))
                .await
                .expect("last year")
                .into_inner()
                .created
        );
        assert!(
            svc.record_commendation(commendation(year, &w.a.name, "run-1", 2))
                .await
                .expect("officer a")
                .into_inner()
                .created
        );
        s.stop().await;
    }
);
