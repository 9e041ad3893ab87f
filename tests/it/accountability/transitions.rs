//! The procedure of a case (Art. 12, 21): every legal transition with what
//! it records, every illegal one refused naming the current state, the time
//! limits per state, and the audit chain behind the events.
use chrono::Utc;
use probity_common::auth::Role;
use tonic::{Code, Status};

use super::*;
use crate::{
    db_test,
    fixtures::{reason, rid, world},
    harness::{Backend, TestServer},
    util::{auditor, expect_err, expect_invalid, near},
};

const OFFICE: &str = "test-legal_office";
const DEPARTMENT: &str = "test-department";
const SECTION: &str = "test-legal_section";

fn propose_request(name: &str, d: Decision) -> ProposeDecisionRequest {
    ProposeDecisionRequest {
        request_id: rid(),
        name: name.into(),
        proposal: Some(d),
        ..Default::default()
    }
}

/// The office upholds the contested decision.
fn upheld(name: &str) -> ResolveContestRequest {
    ResolveContestRequest {
        request_id: rid(),
        name: name.into(),
        outcome: ContestOutcome::Upheld as i32,
        decision: None,
        reason: "维持".into(),
    }
}

fn evidence_request(name: &str, reference: &str) -> AddEvidenceRequest {
    AddEvidenceRequest {
        request_id: rid(),
        name: name.into(),
        evidence: vec![document(reference)],
    }
}

fn state(c: &Case) -> CaseState {
    CaseState::try_from(c.state).expect("known state")
}

/// The decision as decided, without who and when.
fn content(d: &Option<Decision>) -> (i32, Vec<Sanction>, String) {
    let d = d.clone().expect("a decision");
    (d.severity, d.sanctions, d.reasoning)
}

db_test!(every_legal_transition_in_order, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = parties(&s).await;
    let mut d = acc(&s, Role::Department, Some(&w.dept.name)).await;

    let opened = open(&mut c, &w.a.name, "ART20_05").await;
    assert_eq!(state(&opened), CaseState::Opened);
    assert_eq!(opened.version, 1);
    let subject = opened.subject.clone().unwrap();
    assert_eq!(subject.kind, SubjectKind::Officer as i32);
    assert_eq!(
        subject.body, w.dept.name,
        "an officer's case is scoped to their body"
    );
    assert_eq!(subject.display_name, w.a.display_name);
    assert_eq!(opened.grounds[0].article, "Art. 20(5)");
    assert!(!opened.grounds[0].title_zh.is_empty() && !opened.grounds[0].title_en.is_empty());
    assert_eq!(
        opened.origin.clone().unwrap().kind,
        OriginKind::Manual as i32
    );
    assert!(near(&opened.create_time, Utc::now()));
    assert_eq!(opened.deadline, DeadlineStatus::Green as i32);
    assert!(opened.due_time.is_some());
    let name = opened.name.clone();

    // Evidence in OPENED
    let e1 = c
        .add_evidence(evidence_request(&name, "archive://acc/1"))
        .await
        .expect("evidence while OPENED")
        .into_inner();
    assert_eq!(state(&e1), CaseState::Opened);
    assert_eq!(e1.evidence.len(), 1);
    assert_eq!(e1.evidence[0].added_by, OFFICE);
    assert!(e1.evidence[0].add_time.is_some());
    assert_eq!(
        e1.state_time, opened.state_time,
        "evidence does not change the state"
    );

    // OPENED -> INVESTIGATING
    let inv = c
        .start_investigation(step::<StartInvestigationRequest>(
            &name,
            "调查 start the investigation",
        ))
        .await
        .expect("start investigation")
        .into_inner();
    assert_eq!(state(&inv), CaseState::Investigating);
    assert_ne!(inv.state_time, opened.state_time);
    c.add_evidence(evidence_request(&name, "archive://acc/2"))
        .await
        .expect("evidence while INVESTIGATING");

    // INVESTIGATING -> PROPOSED
    let p1 = c
        .propose_decision(propose_request(
            &name,
            decision(2, &[SanctionKind::PublicCriticism]),
        ))
        .await
        .expect("propose")
        .into_inner();
    assert_eq!(state(&p1), CaseState::Proposed);
    let proposal = p1.proposal.clone().unwrap();
    assert_eq!(proposal.severity, 2);
    assert_eq!(
        proposal.decided_by, SECTION,
        "the unit's legal section proposes"
    );
    assert!(proposal.time.is_some());
    assert!(p1.decision.is_none());
    c.add_evidence(evidence_request(&name, "archive://acc/3"))
        .await
        .expect("evidence while PROPOSED");

    // PROPOSED -> PROPOSED: a revised proposal replaces the first
    let p2 = c
        .propose_decision(propose_request(
            &name,
            decision(1, &[SanctionKind::WrittenWarning]),
        ))
        .await
        .expect("revised proposal")
        .into_inner();
    assert_eq!(state(&p2), CaseState::Proposed);
    assert_eq!(p2.proposal.clone().unwrap().severity, 1);
    assert_eq!(p2.state_time, p1.state_time, "still the same state");

    // PROPOSED -> DECIDED: no decision given adopts the proposal
    let decided = c
        .decide_case(DecideCaseRequest {
            request_id: rid(),
            name: name.clone(),
            decision: None,
            reason: "决定 adopt the proposal".into(),
        })
        .await
        .expect("decide")
        .into_inner();
    assert_eq!(state(&decided), CaseState::Decided);
    assert_eq!(content(&decided.decision), content(&p2.proposal));
    assert_eq!(
        decided.decision.clone().unwrap().decided_by,
        DEPARTMENT,
        "the officer's unit decides"
    );
    assert_eq!(
        decided.proposal, p2.proposal,
        "the proposal stays on record"
    );

    // DECIDED -> CONTESTED by the subject's department
    let contested = d
        .contest_decision(step::<ContestDecisionRequest>(
            &name,
            "申诉 the officer contests",
        ))
        .await
        .expect("contest")
        .into_inner();
    assert_eq!(state(&contested), CaseState::Contested);
    let ct = contested.contest.clone().unwrap();
    assert_eq!(ct.outcome, ContestOutcome::Pending as i32);
    assert_eq!(ct.reason, "申诉 the officer contests");
    assert_eq!(ct.by, DEPARTMENT);
    assert_eq!(ct.contested, decided.decision);
    c.add_evidence(evidence_request(&name, "archive://acc/4"))
        .await
        .expect("evidence while CONTESTED");

    // CONTESTED -> DECIDED, upheld
    let upheld = c
        .resolve_contest(ResolveContestRequest {
            request_id: rid(),
            name: name.clone(),
            outcome: ContestOutcome::Upheld as i32,
            decision: None,
            reason: "维持 the decision stands".into(),
        })
        .await
        .expect("resolve contest")
        .into_inner();
    assert_eq!(state(&upheld), CaseState::Decided);
    let ct = upheld.contest.clone().unwrap();
    assert_eq!(ct.outcome, ContestOutcome::Upheld as i32);
    assert_eq!(ct.resolution, "维持 the decision stands");
    assert_eq!(ct.resolved_by, OFFICE);
    assert!(ct.resolve_time.is_some());
    assert_eq!(upheld.decision, decided.decision, "upheld: unchanged");

    // A decision is contested once
    let again = expect_err(
        d.contest_decision(step::<ContestDecisionRequest>(&name, "再次申诉"))
            .await,
        Code::FailedPrecondition,
        "ALREADY_CONTESTED",
    );
    assert!(again.message().contains("DECIDED"), "{again:?}");
    assert_eq!(state(&get(&mut c, &name).await), CaseState::Decided);

    // DECIDED -> EXECUTED -> CLOSED (no registry effects at level 1)
    let executed = c
        .execute_decision(step::<ExecuteDecisionRequest>(&name, "执行 carried out"))
        .await
        .expect("execute")
        .into_inner();
    assert_eq!(state(&executed), CaseState::Executed);
    assert!(executed.effects.is_empty(), "{:?}", executed.effects);
    let closed = c
        .close_case(step::<CloseCaseRequest>(&name, "结案 closed"))
        .await
        .expect("close")
        .into_inner();
    assert_eq!(state(&closed), CaseState::Closed);
    assert_eq!(closed.deadline, DeadlineStatus::None as i32);
    assert!(closed.due_time.is_none(), "a final state has no limit");
    assert_eq!(closed.evidence.len(), 4);

    // Every change is an event: action, states, actor, role, time, reason, audit entry
    let events = c
        .list_case_events(ListCaseEventsRequest {
            name: name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    use CaseState as S;
    let want: Vec<(&str, S, S, &str, &str)> = vec![
        (
            "OPEN",
            S::Unspecified,
            S::Opened,
            OFFICE,
            "立案 opened for the test",
        ),
        (
            "ADD_EVIDENCE",
            S::Opened,
            S::Opened,
            OFFICE,
            "1 item(s) of evidence",
        ),
        (
            "START_INVESTIGATION",
            S::Opened,
            S::Investigating,
            SECTION,
            "调查 start the investigation",
        ),
        (
            "ADD_EVIDENCE",
            S::Investigating,
            S::Investigating,
            OFFICE,
            "1 item(s) of evidence",
        ),
        (
            "PROPOSE",
            S::Investigating,
            S::Proposed,
            SECTION,
            "性质、情节 nature and circumstances",
        ),
        (
            "ADD_EVIDENCE",
            S::Proposed,
            S::Proposed,
            OFFICE,
            "1 item(s) of evidence",
        ),
        (
            "PROPOSE",
            S::Proposed,
            S::Proposed,
            SECTION,
            "性质、情节 nature and circumstances",
        ),
        (
            "DECIDE",
            S::Proposed,
            S::Decided,
            DEPARTMENT,
            "决定 adopt the proposal",
        ),
        (
            "CONTEST",
            S::Decided,
            S::Contested,
            DEPARTMENT,
            "申诉 the officer contests",
        ),
        (
            "ADD_EVIDENCE",
            S::Contested,
            S::Contested,
            OFFICE,
            "1 item(s) of evidence",
        ),
        (
            "RESOLVE_CONTEST",
            S::Contested,
            S::Decided,
            OFFICE,
            "维持 the decision stands",
        ),
        (
            "EXECUTE",
            S::Decided,
            S::Executed,
            DEPARTMENT,
            "执行 carried out",
        ),
        ("CLOSE", S::Executed, S::Closed, DEPARTMENT, "结案 closed"),
    ];
    let got: Vec<(&str, S, S, &str, &str)> = events
        .iter()
        .map(|e| {
            (
                e.action.as_str(),
                S::try_from(e.from_state).unwrap(),
                S::try_from(e.to_state).unwrap(),
                e.actor.as_str(),
                e.reason.as_str(),
            )
        })
        .collect();
    assert_eq!(got, want);
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.sequence, i as i64 + 1);
        let role = if e.actor == DEPARTMENT || e.actor == SECTION {
            "department"
        } else {
            "legal_office"
        };
        assert_eq!(e.role, role, "{e:?}");
        assert!(near(&e.time, Utc::now()), "{e:?}");
    }
    let seqs: Vec<i64> = events
        .iter()
        .map(|e| {
            e.audit_entry
                .strip_prefix("audit/accountability/")
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("not an audit entry: {e:?}"))
        })
        .collect();
    assert!(seqs.windows(2).all(|p| p[0] < p[1]), "{seqs:?}");
    assert_eq!(
        closed.version,
        events.len() as i64,
        "every change bumps the version"
    );
    s.stop().await;
});

db_test!(a_contest_can_change_the_decision, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = parties(&s).await;
    let mut req = open_request(&w.dept.name, "ART19_07");
    req.subject.as_mut().unwrap().principal_leader = "局长 张某".into();
    let case = c.open_case(req).await.expect("open").into_inner();
    let name = case.name.clone();
    c.start_investigation(step::<StartInvestigationRequest>(&name, "调查"))
        .await
        .unwrap();
    let mut first = decision(1, &[SanctionKind::Rectification, SanctionKind::Interview]);
    first.sanctions[1].target = SanctionTarget::PrincipalLeader as i32;
    c.propose_decision(propose_request(&name, first.clone()))
        .await
        .unwrap();
    // Decide may put its own decision in place of the proposal.
    let mut own = decision(2, &[SanctionKind::PublicCriticism]);
    own.reasoning = "决定不同于建议 the office decides otherwise".into();
    let decided = c
        .decide_case(DecideCaseRequest {
            request_id: rid(),
            name: name.clone(),
            decision: Some(own.clone()),
            reason: "决定".into(),
        })
        .await
        .expect("decide with a decision")
        .into_inner();
    assert_eq!(content(&decided.decision), content(&Some(own.clone())));
    assert_eq!(content(&decided.proposal), content(&Some(first)));
    acc(&s, Role::Department, Some(&w.dept.name))
        .await
        .contest_decision(step::<ContestDecisionRequest>(&name, "申诉"))
        .await
        .expect("contest");

    // Resolving: the outcome decides what must come with it.
    let resolve = |outcome: ContestOutcome, d: Option<Decision>| ResolveContestRequest {
        request_id: rid(),
        name: name.clone(),
        outcome: outcome as i32,
        decision: d,
        reason: "复核 reviewed".into(),
    };
    expect_invalid(
        c.resolve_contest(resolve(ContestOutcome::Changed, None))
            .await,
        &["decision"],
    );
    expect_invalid(
        c.resolve_contest(resolve(ContestOutcome::Upheld, Some(own.clone())))
            .await,
        &["decision"],
    );
    expect_invalid(
        c.resolve_contest(resolve(ContestOutcome::Pending, None))
            .await,
        &["outcome"],
    );
    let refused = expect_err(
        c.resolve_contest(resolve(
            ContestOutcome::Changed,
            Some(decision(1, &[SanctionKind::PublicCriticism])),
        ))
        .await,
        Code::FailedPrecondition,
        "SANCTION_NOT_ALLOWED",
    );
    assert!(
        refused.message().contains("Art. 19; Art. 21(1)"),
        "{refused:?}"
    );
    assert_eq!(state(&get(&mut c, &name).await), CaseState::Contested);

    let new = decision(
        3,
        &[
            SanctionKind::PublicCriticism,
            SanctionKind::LossOfAwardEligibility,
        ],
    );
    let changed = c
        .resolve_contest(resolve(ContestOutcome::Changed, Some(new.clone())))
        .await
        .expect("changed")
        .into_inner();
    assert_eq!(state(&changed), CaseState::Decided);
    assert_eq!(content(&changed.decision), content(&Some(new)));
    let ct = changed.contest.unwrap();
    assert_eq!(ct.outcome, ContestOutcome::Changed as i32);
    assert_eq!(
        content(&ct.contested),
        content(&Some(own)),
        "the contested decision is kept"
    );
    s.stop().await;
});

db_test!(dismissal_from_each_open_state, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = parties(&s).await;
    let opened = open(&mut c, &w.a.name, "ART20_01").await.name;
    let investigating = open(&mut c, &w.a.name, "ART20_01").await.name;
    c.start_investigation(step::<StartInvestigationRequest>(&investigating, "调查"))
        .await
        .unwrap();
    let proposed = open(&mut c, &w.a.name, "ART20_01").await.name;
    c.start_investigation(step::<StartInvestigationRequest>(&proposed, "调查"))
        .await
        .unwrap();
    c.propose_decision(propose_request(
        &proposed,
        decision(1, &[SanctionKind::Admonition]),
    ))
    .await
    .unwrap();

    // A dismissal needs its reason.
    expect_invalid(
        c.dismiss_case(step::<DismissCaseRequest>(&opened, ""))
            .await,
        &["reason"],
    );
    for (name, from) in [
        (&opened, CaseState::Opened),
        (&investigating, CaseState::Investigating),
        (&proposed, CaseState::Proposed),
    ] {
        let why = format!("撤销立案 no violation found ({})", from.as_str_name());
        let d = c
            .dismiss_case(step::<DismissCaseRequest>(name, &why))
            .await
            .expect("dismiss")
            .into_inner();
        assert_eq!(state(&d), CaseState::Dismissed);
        assert_eq!(d.dismissal_reason, why);
        assert_eq!(d.deadline, DeadlineStatus::None as i32);
        assert!(d.due_time.is_none());
        let events = c
            .list_case_events(ListCaseEventsRequest {
                name: name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .events;
        let last = events.last().unwrap();
        assert_eq!(
            (
                last.action.as_str(),
                last.from_state,
                last.to_state,
                last.reason.as_str()
            ),
            (
                "DISMISS",
                from as i32,
                CaseState::Dismissed as i32,
                why.as_str()
            )
        );
    }
    let dismissed = case_names(
        &mut c,
        CaseFilter {
            state: CaseState::Dismissed as i32,
            ..Default::default()
        },
    )
    .await;
    let mut want = vec![opened, investigating, proposed];
    want.sort();
    assert_eq!(dismissed, want);
    s.stop().await;
});

#[derive(Debug, Clone, Copy)]
enum Action {
    AddEvidence,
    StartInvestigation,
    Propose,
    Decide,
    Contest,
    ResolveContest,
    Execute,
    Close,
    Dismiss,
}

const ACTIONS: [Action; 9] = [
    Action::AddEvidence,
    Action::StartInvestigation,
    Action::Propose,
    Action::Decide,
    Action::Contest,
    Action::ResolveContest,
    Action::Execute,
    Action::Close,
    Action::Dismiss,
];

/// The states an action may start from (the proto's comments).
fn legal_from(a: Action) -> &'static [CaseState] {
    use CaseState as S;
    match a {
        Action::AddEvidence => &[S::Opened, S::Investigating, S::Proposed, S::Contested],
        Action::StartInvestigation => &[S::Opened],
        Action::Propose => &[S::Investigating, S::Proposed],
        Action::Decide => &[S::Proposed],
        Action::Contest => &[S::Decided],
        Action::ResolveContest => &[S::Contested],
        Action::Execute => &[S::Decided],
        Action::Close => &[S::Executed],
        Action::Dismiss => &[S::Opened, S::Investigating, S::Proposed],
    }
}

/// A well-formed request for `a` on the case `name`, by the office (`c`)
/// or, to contest, by the subject's department (`d`).
async fn attempt(c: &mut Parties, d: &mut Acc, a: Action, name: &str) -> Result<Case, Status> {
    let r = match a {
        Action::AddEvidence => {
            c.add_evidence(evidence_request(name, "archive://late"))
                .await
        }
        Action::StartInvestigation => {
            c.start_investigation(step::<StartInvestigationRequest>(name, "调查"))
                .await
        }
        Action::Propose => {
            c.propose_decision(propose_request(
                name,
                decision(1, &[SanctionKind::Admonition]),
            ))
            .await
        }
        Action::Decide => {
            c.decide_case(DecideCaseRequest {
                request_id: rid(),
                name: name.into(),
                decision: Some(decision(1, &[SanctionKind::Admonition])),
                reason: "决定".into(),
            })
            .await
        }
        Action::Contest => {
            d.contest_decision(step::<ContestDecisionRequest>(name, "申诉"))
                .await
        }
        Action::ResolveContest => {
            c.resolve_contest(ResolveContestRequest {
                request_id: rid(),
                name: name.into(),
                outcome: ContestOutcome::Upheld as i32,
                decision: None,
                reason: "维持".into(),
            })
            .await
        }
        Action::Execute => {
            c.execute_decision(step::<ExecuteDecisionRequest>(name, "执行"))
                .await
        }
        Action::Close => c.close_case(step::<CloseCaseRequest>(name, "结案")).await,
        Action::Dismiss => {
            c.dismiss_case(step::<DismissCaseRequest>(name, "撤销"))
                .await
        }
    };
    r.map(|r| r.into_inner())
}

db_test!(illegal_transitions_name_the_current_state, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = parties(&s).await;
    let d1 = || decision(1, &[SanctionKind::Admonition]);
    let subject = w.b.name.clone();
    let code = "ART20_04";

    // One case in each state.
    let opened = open(&mut c, &subject, code).await.name;
    let investigating = open(&mut c, &subject, code).await.name;
    c.start_investigation(step::<StartInvestigationRequest>(&investigating, "调查"))
        .await
        .unwrap();
    let proposed = open(&mut c, &subject, code).await.name;
    c.start_investigation(step::<StartInvestigationRequest>(&proposed, "调查"))
        .await
        .unwrap();
    c.propose_decision(propose_request(&proposed, d1()))
        .await
        .unwrap();
    let decided_ = decided(&mut c, &subject, code, d1()).await.name;
    let contested = decided(&mut c, &subject, code, d1()).await.name;
    let mut d = acc(&s, Role::Department, Some(&w.dept.name)).await;
    d.contest_decision(step::<ContestDecisionRequest>(&contested, "申诉"))
        .await
        .unwrap();
    let executed = decided(&mut c, &subject, code, d1()).await.name;
    c.execute_decision(step::<ExecuteDecisionRequest>(&executed, "执行"))
        .await
        .unwrap();
    let closed = decided(&mut c, &subject, code, d1()).await.name;
    c.execute_decision(step::<ExecuteDecisionRequest>(&closed, "执行"))
        .await
        .unwrap();
    c.close_case(step::<CloseCaseRequest>(&closed, "结案"))
        .await
        .unwrap();
    let dismissed = open(&mut c, &subject, code).await.name;
    c.dismiss_case(step::<DismissCaseRequest>(&dismissed, "撤销"))
        .await
        .unwrap();

    let cases = [
        (CaseState::Opened, opened),
        (CaseState::Investigating, investigating),
        (CaseState::Proposed, proposed),
        (CaseState::Decided, decided_),
        (CaseState::Contested, contested),
        (CaseState::Executed, executed),
        (CaseState::Closed, closed),
        (CaseState::Dismissed, dismissed),
    ];
    let mut before = Vec::new();
    for (st, name) in &cases {
        let case = get(&mut c, name).await;
        assert_eq!(state(&case), *st, "setup");
        before.push((case.version, actions(&mut c, name).await));
    }

    let mut refused = 0;
    for (st, name) in &cases {
        for a in ACTIONS {
            if legal_from(a).contains(st) {
                continue;
            }
            let e = attempt(&mut c, &mut d, a, name)
                .await
                .expect_err(&format!("{a:?} from {st:?} must be refused"));
            assert_eq!(
                e.code(),
                Code::FailedPrecondition,
                "{a:?} from {st:?}: {e:?}"
            );
            assert_eq!(reason(&e), "ILLEGAL_TRANSITION", "{a:?} from {st:?}: {e:?}");
            assert!(
                e.message().contains(st.as_str_name()),
                "{a:?} from {st:?}: the message must name the current state: {}",
                e.message()
            );
            for need in legal_from(a) {
                assert!(
                    e.message().contains(need.as_str_name()),
                    "{a:?} from {st:?}: the message should name {need:?}: {}",
                    e.message()
                );
            }
            refused += 1;
        }
    }
    assert_eq!(refused, 57, "every (state, action) pair outside the table");

    // Nothing changed: same version, same events.
    for ((st, name), (version, events)) in cases.iter().zip(before) {
        let case = get(&mut c, name).await;
        assert_eq!(state(&case), *st);
        assert_eq!(case.version, version, "{st:?}");
        assert_eq!(actions(&mut c, name).await, events, "{st:?}");
    }
    s.stop().await;
});

db_test!(
    close_is_refused_while_effects_wait,
    |b: Backend| async move {
        // Data (keys, SQLite file) in a directory that outlives the first server.
        let keep = tempfile::tempdir().expect("temp dir");
        let dir = keep.path().to_string_lossy().into_owned();
        let sqlite = format!("sqlite://{dir}/probity.db?mode=rwc");
        let is_sqlite = matches!(b, Backend::Sqlite);
        let (d, u) = (dir.clone(), sqlite.clone());
        let s = TestServer::start_with(b, move |st| {
            st.database.data_dir = d;
            if is_sqlite {
                st.database.url = u;
            }
        })
        .await;
        let w = world(&s).await;
        let mut c = parties(&s).await;
        let case = decided(
            &mut c,
            &w.a.name,
            "ART20_06",
            decision(3, &[SanctionKind::CredentialWithheld]),
        )
        .await;
        // The same database and keys again, with the registry out of reach:
        // the effect can only wait.
        let url = if is_sqlite { sqlite } else { s.db_url.clone() };
        s.stop().await;
        let cut = TestServer::start_with(Backend::Sqlite, move |st| {
            st.database.url = url;
            st.database.data_dir = dir;
            st.section_mut::<probity_accountability::settings::AccountabilitySettings>()
                .registry_endpoint = "http://127.0.0.1:9".into();
            st.section_mut::<probity_accountability::settings::AccountabilitySettings>()
                .peer_timeout_ms = 500;
            st.section_mut::<probity_accountability::settings::AccountabilitySettings>()
                .effect_retry_min_ms = 50;
            st.section_mut::<probity_accountability::settings::AccountabilitySettings>()
                .effect_retry_max_ms = 100;
        })
        .await;
        let mut c = parties(&cut).await;
        let executed = c
            .execute_decision(step::<ExecuteDecisionRequest>(&case.name, "执行"))
            .await
            .expect("execute")
            .into_inner();
        assert_eq!(executed.effects.len(), 1);
        // Let the outbox try (and fail) at least once.
        let mut tried = false;
        for _ in 0..100 {
            let e = get(&mut c, &case.name).await.effects[0].clone();
            assert_eq!(e.state, EffectState::Pending as i32, "{e:?}");
            if e.attempts > 0 {
                tried = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(tried, "the outbox never tried the effect");
        let version = get(&mut c, &case.name).await.version;
        let e = expect_err(
            c.close_case(step::<CloseCaseRequest>(&case.name, "结案"))
                .await,
            Code::FailedPrecondition,
            "EFFECTS_PENDING",
        );
        assert!(e.message().contains("EXECUTED"), "{e:?}");
        let after = get(&mut c, &case.name).await;
        assert_eq!(state(&after), CaseState::Executed);
        assert_eq!(after.version, version);
        assert!(
            !actions(&mut c, &case.name)
                .await
                .contains(&"CLOSE".to_string())
        );
        cut.stop().await;
        drop(keep);
    }
);

db_test!(a_lapsed_withholding_cannot_be_executed, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = parties(&s).await;
    let mut dept = acc(&s, Role::Department, Some(&w.dept.name)).await;
    let mut d = decision(3, &[SanctionKind::CredentialWithheld]);
    d.sanctions[0].until = Some(ts(Utc::now() + chrono::Duration::seconds(3)));
    let case = decided(&mut c, &w.b.name, "ART20_07", d).await;
    // contested and upheld before it lapses
    dept.contest_decision(step::<ContestDecisionRequest>(&case.name, "申诉"))
        .await
        .expect("contest");
    c.resolve_contest(upheld(&case.name))
        .await
        .expect("resolve contest");
    let case = get(&mut c, &case.name).await;
    tokio::time::sleep(std::time::Duration::from_millis(3500)).await;
    let e = expect_err(
        c.execute_decision(step::<ExecuteDecisionRequest>(&case.name, "执行"))
            .await,
        Code::FailedPrecondition,
        "DECISION_LAPSED",
    );
    assert!(e.message().contains("DECIDED"), "{e:?}");
    let now = get(&mut c, &case.name).await;
    assert_eq!(state(&now), CaseState::Decided);
    assert!(now.effects.is_empty());
    assert_eq!(now.version, case.version);
    // The way out: decide anew (adopting the lapsed proposal is refused too);
    // the lapsed decision stays in the events.
    let adopt = c
        .decide_case(DecideCaseRequest {
            request_id: rid(),
            name: case.name.clone(),
            decision: None,
            reason: "重新决定".into(),
        })
        .await;
    expect_err(adopt, Code::FailedPrecondition, "DECISION_REQUIRED");
    let anew = c
        .decide_case(DecideCaseRequest {
            request_id: rid(),
            name: case.name.clone(),
            decision: Some(decision(3, &[SanctionKind::CredentialWithheld])),
            reason: "重新决定 decided anew".into(),
        })
        .await
        .expect("decide anew")
        .into_inner();
    assert_eq!(state(&anew), CaseState::Decided);
    assert!(anew.contest.is_none(), "{:?}", anew.contest);
    // the new decision may be contested in its turn
    let again = dept
        .contest_decision(step::<ContestDecisionRequest>(&case.name, "再次申诉"))
        .await
        .expect("contest the new decision")
        .into_inner();
    assert_eq!(again.contest.unwrap().contested, anew.decision);
    c.resolve_contest(upheld(&case.name))
        .await
        .expect("resolve the second contest");
    c.execute_decision(step::<ExecuteDecisionRequest>(&case.name, "执行"))
        .await
        .expect("execute the new decision");
    let acts = actions(&mut c, &case.name).await;
    assert_eq!(
        acts.iter().filter(|a| *a == "DECIDE").count(),
        2,
        "{acts:?}"
    );
    s.stop().await;
});

db_test!(time_limits_past_due_are_red, |b| async move {
    let s = TestServer::start_with(b, |st| {
        st.section_mut::<probity_accountability::settings::AccountabilitySettings>()
            .limits
            .opened_hours = 0
    })
    .await;
    let w = world(&s).await;
    let mut c = parties(&s).await;
    let case = open(&mut c, &w.a.name, "ART20_01").await;
    assert_eq!(case.deadline, DeadlineStatus::Red as i32);
    let due = case.due_time.expect("due time");
    let created = case.create_time.unwrap();
    assert!(
        (due.seconds - created.seconds).abs() <= 1,
        "due at once: {due:?} {created:?}"
    );
    let red = CaseFilter {
        deadline: DeadlineStatus::Red as i32,
        ..Default::default()
    };
    let yellow = CaseFilter {
        deadline: DeadlineStatus::Yellow as i32,
        ..Default::default()
    };
    assert_eq!(
        case_names(&mut c, red.clone()).await,
        vec![case.name.clone()]
    );
    assert!(case_names(&mut c, yellow).await.is_empty());
    // The next state has its own (default) limit: no longer red.
    let inv = c
        .start_investigation(step::<StartInvestigationRequest>(&case.name, "调查"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(inv.deadline, DeadlineStatus::Green as i32);
    assert!(case_names(&mut c, red).await.is_empty());
    s.stop().await;
});

db_test!(time_limits_nearing_are_yellow, |b| async move {
    let s = TestServer::start_with(b, |st| {
        st.section_mut::<probity_accountability::settings::AccountabilitySettings>()
            .limits
            .opened_hours = 1;
        st.section_mut::<probity_accountability::settings::AccountabilitySettings>()
            .warn_hours = 2;
    })
    .await;
    let w = world(&s).await;
    let mut c = parties(&s).await;
    let case = open(&mut c, &w.dept.name, "ART19_01").await;
    assert_eq!(case.deadline, DeadlineStatus::Yellow as i32);
    let due = case.due_time.expect("due time");
    let created = case.create_time.unwrap();
    assert!(
        (due.seconds - created.seconds - 3600).abs() <= 1,
        "due an hour after opening: {due:?} {created:?}"
    );
    let filter = |light: DeadlineStatus| CaseFilter {
        deadline: light as i32,
        ..Default::default()
    };
    assert_eq!(
        case_names(&mut c, filter(DeadlineStatus::Yellow)).await,
        vec![case.name.clone()]
    );
    assert!(
        case_names(&mut c, filter(DeadlineStatus::Red))
            .await
            .is_empty()
    );
    // Only YELLOW and RED can be asked for.
    expect_invalid(
        c.list_cases(ListCasesRequest {
            filter: Some(filter(DeadlineStatus::Green)),
            ..Default::default()
        })
        .await,
        &["filter.deadline"],
    );
    s.stop().await;
});

db_test!(time_limits_by_default_are_green, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = parties(&s).await;
    let case = open(&mut c, &w.a.name, "ART20_01").await;
    assert_eq!(case.deadline, DeadlineStatus::Green as i32);
    let due = case.due_time.expect("due time");
    let created = case.create_time.unwrap();
    assert!(
        (due.seconds - created.seconds - 7 * 24 * 3600).abs() <= 1,
        "OPENED has seven days: {due:?} {created:?}"
    );
    for light in [DeadlineStatus::Yellow, DeadlineStatus::Red] {
        let found = case_names(
            &mut c,
            CaseFilter {
                deadline: light as i32,
                ..Default::default()
            },
        )
        .await;
        assert!(found.is_empty(), "{light:?}: {found:?}");
    }
    assert_eq!(
        case_names(&mut c, CaseFilter::default()).await,
        vec![case.name.clone()]
    );
    s.stop().await;
});

db_test!(every_change_is_in_the_audit_chain, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = parties(&s).await;
    let case = decided(
        &mut c,
        &w.dept.name,
        "ART19_04",
        decision(1, &[SanctionKind::Rectification]),
    )
    .await;
    c.execute_decision(step::<ExecuteDecisionRequest>(&case.name, "执行"))
        .await
        .unwrap();
    c.close_case(step::<CloseCaseRequest>(&case.name, "结案"))
        .await
        .unwrap();
    let other = open(&mut c, &w.a.name, "ART20_01").await;
    c.dismiss_case(step::<DismissCaseRequest>(&other.name, "撤销"))
        .await
        .unwrap();

    let mut a = auditor(&s).await;
    let v = a
        .verify_audit_chain(probity_proto::audit::v1::VerifyAuditChainRequest {
            service: "accountability".into(),
            ..Default::default()
        })
        .await
        .expect("verify")
        .into_inner();
    assert!(v.ok, "{v:?}");
    assert!(v.entries_checked >= 8, "{v:?}");

    // Each event names the audit entry that records it, with the same actor.
    let entries = a
        .list_audit_entries(probity_proto::audit::v1::ListAuditEntriesRequest {
            service: "accountability".into(),
            entity: case.name.clone(),
            page_size: 100,
            ..Default::default()
        })
        .await
        .expect("list audit entries")
        .into_inner()
        .entries;
    let events = c
        .list_case_events(ListCaseEventsRequest {
            name: case.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(entries.len(), events.len(), "{entries:?}");
    for (e, x) in events.iter().zip(&entries) {
        assert_eq!(
            e.audit_entry,
            format!("audit/accountability/{}", x.sequence)
        );
        assert_eq!(e.actor, x.actor);
        assert_eq!(e.role, x.role);
        let change: serde_json::Value = serde_json::from_str(&x.change).expect("JSON change");
        assert_eq!(change["action"], e.action.as_str(), "{x:?}");
        assert_eq!(change["reason"], e.reason.as_str(), "{x:?}");
    }
    assert_eq!(
        events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        [
            "OPEN",
            "START_INVESTIGATION",
            "PROPOSE",
            "DECIDE",
            "EXECUTE",
            "CLOSE"
        ]
    );
    s.stop().await;
});
