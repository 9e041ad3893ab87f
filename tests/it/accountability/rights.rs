//! Decision rights (Art. 12, 19, 20, 6, 10, 11): every actor tries every
//! step on a case of every family of grounds. The expectations are written
//! out here from the regulation, not read from the service's table.
use probity_common::auth::Role;
use tonic::{Code, Status};

use super::*;
use crate::{
    db_test,
    fixtures::{World, reason, rid, world},
    harness::TestServer,
    util::{expect_err, expect_invalid},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Office,
    Government,
    /// A department above the unit (the city government's body, as a
    /// department token).
    Superior,
    Unit,
    Section,
    /// A department beside the unit.
    Other,
    Leadership,
    Service,
}

const EVERYONE: [Who; 8] = [
    Who::Office,
    Who::Government,
    Who::Superior,
    Who::Unit,
    Who::Section,
    Who::Other,
    Who::Leadership,
    Who::Service,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Do {
    Open,
    AddEvidence,
    Investigate,
    Propose,
    Decide,
    Execute,
    Contest,
    Resolve,
    Dismiss,
    Close,
}

const STEPS: [Do; 10] = [
    Do::Open,
    Do::AddEvidence,
    Do::Investigate,
    Do::Propose,
    Do::Decide,
    Do::Execute,
    Do::Contest,
    Do::Resolve,
    Do::Dismiss,
    Do::Close,
];

/// How the regulation splits a family's powers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Art. 19 (and Art. 10, Art. 11 against a unit): the office proposes,
    /// the government or the superior authority decides.
    Unit,
    /// Art. 6 against a unit: the city government alone decides.
    FailingUnit,
    /// Art. 20 (and Art. 6, 11 against an officer): the legal section
    /// investigates and proposes, the unit decides, the office supervises
    /// (and alone drops a case: a unit may not make its officer's go away).
    Officer,
}

/// Who may take `step` on a case of `shape` (before any escalation).
fn allowed(shape: Shape, step: Do) -> Vec<Who> {
    use Who::*;
    match shape {
        Shape::Officer => match step {
            Do::Open | Do::AddEvidence => vec![Office, Section],
            Do::Investigate | Do::Propose => vec![Section],
            Do::Resolve | Do::Dismiss => vec![Office],
            Do::Decide | Do::Execute | Do::Contest | Do::Close => vec![Unit],
        },
        Shape::Unit | Shape::FailingUnit => {
            let deciders = if shape == Shape::Unit {
                vec![Government, Superior]
            } else {
                vec![Government]
            };
            let with_office = |mut v: Vec<Who>| {
                v.insert(0, Office);
                v
            };
            match step {
                Do::Open | Do::AddEvidence | Do::Investigate | Do::Propose => vec![Office],
                Do::Decide | Do::Resolve => deciders,
                Do::Execute | Do::Dismiss | Do::Close => with_office(deciders),
                Do::Contest => vec![Unit],
            }
        }
    }
}

/// What `who` gets trying `step` on a case of `shape`: Ok, or the code and
/// reason of the refusal.
fn expected(shape: Shape, step: Do, who: Who) -> Option<(Code, &'static str)> {
    // The method's access class: departments and the office write; the
    // government also decides, executes, resolves, dismisses and closes.
    let decide_class = matches!(
        step,
        Do::Decide | Do::Execute | Do::Resolve | Do::Dismiss | Do::Close
    );
    let admitted = match who {
        Who::Leadership | Who::Service => false,
        Who::Government => decide_class,
        _ => true,
    };
    if !admitted {
        return Some((Code::PermissionDenied, "ROLE_NOT_ALLOWED"));
    }
    if who == Who::Other {
        // Another department's cases are not there, as far as it can tell.
        return Some((Code::NotFound, "NOT_FOUND"));
    }
    if allowed(shape, step).contains(&who) {
        None
    } else {
        Some((Code::PermissionDenied, "DECISION_RIGHT"))
    }
}

/// A client for every actor.
struct Actors {
    office: Acc,
    government: Acc,
    superior: Acc,
    unit: Acc,
    section: Acc,
    other: Acc,
    leadership: Acc,
    service: Acc,
}

impl Actors {
    async fn new(s: &TestServer, w: &World) -> Actors {
        Actors {
            office: office(s).await,
            government: acc(s, Role::Government, None).await,
            superior: acc(s, Role::Department, Some(&w.gov.name)).await,
            unit: acc(s, Role::Department, Some(&w.dept.name)).await,
            section: section(s, &w.dept.name).await,
            other: acc(s, Role::Department, Some(&w.other.name)).await,
            leadership: acc(s, Role::Leadership, None).await,
            service: job(s).await,
        }
    }

    fn of(&mut self, who: Who) -> &mut Acc {
        match who {
            Who::Office => &mut self.office,
            Who::Government => &mut self.government,
            Who::Superior => &mut self.superior,
            Who::Unit => &mut self.unit,
            Who::Section => &mut self.section,
            Who::Other => &mut self.other,
            Who::Leadership => &mut self.leadership,
            Who::Service => &mut self.service,
        }
    }
}

/// Takes `step` as `who` on `case` (for Open: opens a new case on the
/// subject and ground of `family`).
async fn take(
    a: &mut Actors,
    who: Who,
    what: Do,
    case: &str,
    family: &Family,
) -> Result<Case, Status> {
    let c = a.of(who);
    let why = "依规 as the rule says".to_string();
    let r = match what {
        Do::Open => {
            c.open_case(open_request(&family.subject, family.code))
                .await
        }
        Do::AddEvidence => {
            c.add_evidence(AddEvidenceRequest {
                request_id: rid(),
                name: case.into(),
                evidence: vec![document("archive://rights/1")],
            })
            .await
        }
        Do::Investigate => {
            c.start_investigation(step::<StartInvestigationRequest>(case, &why))
                .await
        }
        Do::Propose => {
            c.propose_decision(ProposeDecisionRequest {
                request_id: rid(),
                name: case.into(),
                proposal: Some(decision(2, &[SanctionKind::PublicCriticism])),
                ..Default::default()
            })
            .await
        }
        Do::Decide => {
            c.decide_case(DecideCaseRequest {
                request_id: rid(),
                name: case.into(),
                decision: None,
                reason: why,
            })
            .await
        }
        Do::Execute => {
            c.execute_decision(step::<ExecuteDecisionRequest>(case, &why))
                .await
        }
        Do::Contest => {
            c.contest_decision(step::<ContestDecisionRequest>(case, &why))
                .await
        }
        Do::Resolve => {
            c.resolve_contest(ResolveContestRequest {
                request_id: rid(),
                name: case.into(),
                outcome: ContestOutcome::Upheld as i32,
                decision: None,
                reason: why,
            })
            .await
        }
        Do::Dismiss => c.dismiss_case(step::<DismissCaseRequest>(case, &why)).await,
        Do::Close => c.close_case(step::<CloseCaseRequest>(case, &why)).await,
    };
    r.map(|r| r.into_inner())
}

/// The steps that bring a new case to where `step` can be taken.
fn path_to(step: Do) -> &'static [Do] {
    match step {
        Do::Open | Do::AddEvidence | Do::Investigate | Do::Dismiss => &[],
        Do::Propose => &[Do::Investigate],
        Do::Decide => &[Do::Investigate, Do::Propose],
        Do::Execute | Do::Contest => &[Do::Investigate, Do::Propose, Do::Decide],
        Do::Resolve => &[Do::Investigate, Do::Propose, Do::Decide, Do::Contest],
        Do::Close => &[Do::Investigate, Do::Propose, Do::Decide, Do::Execute],
    }
}

/// A ground of a family and the subject it is raised against.
struct Family {
    code: &'static str,
    shape: Shape,
    subject: String,
}

/// A case of `family` opened by the office, taken along `path_to(step)`
/// by the first actor the expectations allow for each step.
async fn ready(a: &mut Actors, family: &Family, step: Do) -> String {
    let name = open(&mut a.office, &family.subject, family.code).await.name;
    for s in path_to(step) {
        let who = allowed(family.shape, *s)[0];
        take(a, who, *s, &name, family)
            .await
            .unwrap_or_else(|e| panic!("{:?} by {who:?} on {}: {e:?}", s, family.code));
    }
    name
}

db_test!(every_actor_every_step_every_family, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut a = Actors::new(&s, &w).await;
    let (dept, officer) = (w.dept.name.clone(), w.a.name.clone());
    let families = [
        ("ART19_04", Shape::Unit, &dept),
        ("ART06", Shape::FailingUnit, &dept),
        ("ART10", Shape::Unit, &dept),
        ("ART11", Shape::Unit, &dept),
        ("ART20_05", Shape::Officer, &officer),
        ("ART06", Shape::Officer, &officer),
        ("ART11", Shape::Officer, &officer),
    ]
    .map(|(code, shape, subject)| Family {
        code,
        shape,
        subject: subject.clone(),
    });
    let mut tried = 0;
    for family in &families {
        for step in STEPS {
            let refused: Vec<Who> = EVERYONE
                .into_iter()
                .filter(|w| expected(family.shape, step, *w).is_some())
                .collect();
            for (i, who) in allowed(family.shape, step).into_iter().enumerate() {
                let case = ready(&mut a, family, step).await;
                if i == 0 {
                    for r in &refused {
                        let (code, why) = expected(family.shape, step, *r).unwrap();
                        let got = take(&mut a, *r, step, &case, family).await;
                        let e = got.expect_err(&format!(
                            "{step:?} by {r:?} on {} ({:?}) must be refused",
                            family.code, family.shape
                        ));
                        assert_eq!(
                            (e.code(), reason(&e).as_str()),
                            (code, why),
                            "{step:?} by {r:?} on {} ({:?}): {e:?}",
                            family.code,
                            family.shape
                        );
                        if why == "DECISION_RIGHT" {
                            assert!(e.message().contains(" is for "), "{e:?}");
                        }
                        tried += 1;
                    }
                }
                take(&mut a, who, step, &case, family)
                    .await
                    .unwrap_or_else(|e| {
                        panic!(
                            "{step:?} by {who:?} on {} ({:?}): {e:?}",
                            family.code, family.shape
                        )
                    });
                tried += 1;
            }
        }
    }
    assert_eq!(tried, families.len() * STEPS.len() * EVERYONE.len());
});

// The officer's unit decides within the Art. 21 table, like the office
// did: a sanction the table does not give for the severity is refused.
db_test!(
    the_unit_decides_its_officer_within_article_21,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut a = Actors::new(&s, &w).await;
        let f = Family {
            code: "ART20_08",
            shape: Shape::Officer,
            subject: w.a.name.clone(),
        };
        let name = ready(&mut a, &f, Do::Decide).await;
        let outside = decision(1, &[SanctionKind::CredentialRevoked]);
        let r = a
            .unit
            .decide_case(DecideCaseRequest {
                request_id: rid(),
                name: name.clone(),
                decision: Some(outside),
                reason: "从重 harsher than the table".into(),
            })
            .await;
        let e = expect_err(r, Code::FailedPrecondition, "SANCTION_NOT_ALLOWED");
        assert!(e.message().contains("Art. 21"), "{e:?}");
        let decided = a
            .unit
            .decide_case(DecideCaseRequest {
                request_id: rid(),
                name: name.clone(),
                decision: Some(decision(3, &[SanctionKind::CredentialWithheld])),
                reason: "情节较重 serious".into(),
            })
            .await
            .expect("the unit decides within the table")
            .into_inner();
        assert_eq!(decided.state, CaseState::Decided as i32);
        assert_eq!(decided.decision.unwrap().decided_by, "test-department");
        // Its legal section proposed, it does not decide.
        let other = ready(&mut a, &f, Do::Decide).await;
        let r = take(&mut a, Who::Section, Do::Decide, &other, &f).await;
        expect_err(r, Code::PermissionDenied, "DECISION_RIGHT");
    }
);

// A unit that leaves its officer's case undecided past the limit loses it
// to the office: the sweep escalates it without anyone calling, the unit
// may no longer decide, the office may. Before the limit the office may not.
db_test!(
    an_undecided_officer_case_is_escalated,
    |b: crate::harness::Backend| async move {
        let before = TestServer::start(b.clone()).await;
        let w = world(&before).await;
        let mut a = Actors::new(&before, &w).await;
        let f = Family {
            code: "ART20_01",
            shape: Shape::Officer,
            subject: w.a.name.clone(),
        };
        let name = ready(&mut a, &f, Do::Decide).await;
        let r = take(&mut a, Who::Office, Do::Decide, &name, &f).await;
        let e = expect_err(r, Code::PermissionDenied, "DECISION_RIGHT");
        assert!(e.message().contains("it is not"), "{e:?}");
        assert!(get(&mut a.office, &name).await.escalate_time.is_none());
        before.stop().await;

        let s = TestServer::start_with(b, |s| {
            let acc = s.section_mut::<probity_accountability::settings::AccountabilitySettings>();
            acc.limits.proposed_hours = 0;
            acc.sweep_interval_ms = 100;
        })
        .await;
        let w = world(&s).await;
        let mut a = Actors::new(&s, &w).await;
        let f = Family {
            subject: w.a.name.clone(),
            ..f
        };
        let name = ready(&mut a, &f, Do::Decide).await;
        let mut escalated = None;
        for _ in 0..200 {
            let c = get(&mut a.office, &name).await;
            if c.escalate_time.is_some() {
                escalated = Some(c);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let c = escalated.expect("the sweep escalated the case within 10 s");
        assert_eq!(c.state, CaseState::Proposed as i32);
        let events = a
            .unit
            .list_case_events(ListCaseEventsRequest {
                name: name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .events;
        let e = events
            .iter()
            .find(|e| e.action == "ESCALATED")
            .expect("an ESCALATED event");
        assert_eq!(e.role, "service");
        assert_eq!(
            events.iter().filter(|e| e.action == "ESCALATED").count(),
            1,
            "escalated once, however often the sweep runs"
        );
        let r = take(&mut a, Who::Unit, Do::Decide, &name, &f).await;
        expect_err(r, Code::PermissionDenied, "DECISION_RIGHT");
        let decided = a
            .office
            .decide_case(DecideCaseRequest {
                request_id: rid(),
                name: name.clone(),
                decision: Some(decision(1, &[SanctionKind::WrittenWarning])),
                reason: "逾期移交，法制机构决定 escalated: the office decides".into(),
            })
            .await
            .expect("the office decides the escalated case")
            .into_inner();
        assert_eq!(decided.decision.unwrap().decided_by, "test-legal_office");
        assert!(decided.escalate_time.is_some());
    }
);

// Art. 19: the office proposes, the government decides, or the superior
// authority; the unit, gaming its own case, may not decide, dismiss or
// close it, nor rule on its own contest; it may contest. An overdue
// proposal is listed for the government.
db_test!(a_unit_case_is_decided_above_the_unit, |b| async move {
    let s = TestServer::start_with(b, |s| {
        let acc = s.section_mut::<probity_accountability::settings::AccountabilitySettings>();
        acc.limits.proposed_hours = 0;
    })
    .await;
    let w = world(&s).await;
    let mut a = Actors::new(&s, &w).await;
    let f = Family {
        code: "ART19_16",
        shape: Shape::Unit,
        subject: w.dept.name.clone(),
    };
    let name = ready(&mut a, &f, Do::Decide).await;
    let officers = Family {
        code: "ART20_05",
        shape: Shape::Officer,
        subject: w.a.name.clone(),
    };
    let officer_case = ready(&mut a, &officers, Do::Decide).await;

    // Listed for the government, overdue; an officer's case is not its.
    let waiting = |deadline: DeadlineStatus| CaseFilter {
        awaiting_decision_by: Decider::Government as i32,
        deadline: deadline as i32,
        ..Default::default()
    };
    let overdue = case_names(&mut a.government, waiting(DeadlineStatus::Red)).await;
    assert_eq!(overdue, vec![name.clone()]);
    assert!(!overdue.contains(&officer_case));
    let r = a
        .government
        .list_cases(ListCasesRequest {
            filter: Some(CaseFilter {
                state: CaseState::Decided as i32,
                ..waiting(DeadlineStatus::Unspecified)
            }),
            ..Default::default()
        })
        .await;
    expect_invalid(r, &["filter.state"]);

    // The department tries to settle its own case.
    for (step, what) in [
        (Do::Decide, "decide"),
        (Do::Dismiss, "dismiss"),
        (Do::Propose, "propose anew"),
    ] {
        for who in [Who::Unit, Who::Section] {
            let r = take(&mut a, who, step, &name, &f).await;
            let e = expect_err(r, Code::PermissionDenied, "DECISION_RIGHT");
            assert!(
                e.message().contains("Art. 19"),
                "{who:?} may not {what} its own case: {e:?}"
            );
        }
    }
    let decided = a
        .government
        .decide_case(DecideCaseRequest {
            request_id: rid(),
            name: name.clone(),
            decision: None,
            reason: "市政府决定 the government decides".into(),
        })
        .await
        .expect("the government decides")
        .into_inner();
    assert_eq!(decided.decision.unwrap().decided_by, "test-government");
    assert!(
        case_names(&mut a.government, waiting(DeadlineStatus::Red))
            .await
            .is_empty()
    );
    // It may contest, and not rule on its own contest.
    take(&mut a, Who::Unit, Do::Contest, &name, &f)
        .await
        .expect("the unit contests");
    let r = take(&mut a, Who::Unit, Do::Resolve, &name, &f).await;
    expect_err(r, Code::PermissionDenied, "DECISION_RIGHT");
    take(&mut a, Who::Government, Do::Resolve, &name, &f)
        .await
        .expect("the government rules on the contest");
    take(&mut a, Who::Office, Do::Execute, &name, &f)
        .await
        .expect("the office carries the decision out");
    let r = take(&mut a, Who::Unit, Do::Close, &name, &f).await;
    expect_err(r, Code::PermissionDenied, "DECISION_RIGHT");

    // The superior authority decides another.
    let other = ready(&mut a, &f, Do::Decide).await;
    let d = a
        .superior
        .decide_case(DecideCaseRequest {
            request_id: rid(),
            name: other,
            decision: Some(decision(1, &[SanctionKind::Rectification])),
            reason: "上一级主管机关决定 decided by the superior authority".into(),
        })
        .await
        .expect("the superior authority decides")
        .into_inner();
    assert_eq!(d.decision.unwrap().decided_by, "test-department");
});
