//! What a case rests on and what it may lead to: the grounds catalogue
//! (Art. 10, 11, 19, 20), raising from intake findings and ranking flags
//! (once per finding or flag), the severity table of Art. 21 row by row,
//! and the structural refusals of proposals and cases.
use std::collections::BTreeSet;

use chrono::{Duration, Utc};
use probity_common::auth::Role;
use probity_proto::{
    intake::v1::{ClearFindingRequest, FindingState, fact::Payload},
    registry::v1::OfficerKind,
};
use tonic::Code;

use super::*;
use crate::{
    db_test,
    fixtures::{officer, reason, rid, since, world},
    harness::TestServer,
    intake::{dept as intake_dept, fact, inspection, matter, record, when},
    util::{expect_code, expect_err, expect_invalid},
};

use SanctionKind as K;

/// One row of Art. 21 as the regulation reads (severity.rs's module docs),
/// written out here independently of the service's table.
struct Row {
    severity: i32,
    subject: SubjectKind,
    leader: bool,
    any: &'static [K],
    all: &'static [K],
    also: &'static [K],
    article: &'static str,
    /// One sanction this row must refuse.
    disallowed: K,
}

const O: SubjectKind = SubjectKind::Officer;
const B: SubjectKind = SubjectKind::Body;

#[rustfmt::skip]
const TABLE: &[Row] = &[
    Row { severity: 1, subject: O, leader: false, any: &[K::Admonition, K::WrittenWarning, K::WrittenSelfExamination], all: &[], also: &[K::Referral], article: "Art. 21(1)", disallowed: K::PublicCriticism },
    Row { severity: 2, subject: O, leader: false, any: &[], all: &[K::PublicCriticism], also: &[K::LossOfAwardEligibility, K::Referral], article: "Art. 21(2); Art. 20", disallowed: K::CredentialWithheld },
    Row { severity: 3, subject: O, leader: false, any: &[], all: &[K::CredentialWithheld], also: &[K::OffPostTraining, K::TransferOut, K::PublicCriticism, K::LossOfAwardEligibility, K::Referral], article: "Art. 21(3); Art. 20; Art. 6", disallowed: K::CredentialRevoked },
    Row { severity: 4, subject: O, leader: false, any: &[], all: &[K::CredentialRevoked, K::TransferOut], also: &[K::QualificationCancelled, K::PublicCriticism, K::LossOfAwardEligibility, K::Referral], article: "Art. 21(4); Art. 20", disallowed: K::Admonition },
    Row { severity: 1, subject: B, leader: false, any: &[], all: &[K::Rectification], also: &[K::Referral], article: "Art. 19; Art. 21(1)", disallowed: K::PublicCriticism },
    Row { severity: 2, subject: B, leader: false, any: &[], all: &[K::PublicCriticism], also: &[K::Rectification, K::Referral], article: "Art. 19; Art. 21(2)", disallowed: K::LossOfAwardEligibility },
    Row { severity: 3, subject: B, leader: false, any: &[], all: &[K::PublicCriticism, K::LossOfAwardEligibility], also: &[K::Rectification, K::Referral], article: "Art. 19; Art. 21(3)", disallowed: K::Interview },
    Row { severity: 4, subject: B, leader: false, any: &[], all: &[K::PublicCriticism, K::LossOfAwardEligibility], also: &[K::Rectification, K::Referral], article: "Art. 19; Art. 21(4)", disallowed: K::CredentialRevoked },
    Row { severity: 1, subject: B, leader: true, any: &[], all: &[], also: &[K::Interview, K::Referral], article: "Art. 19 (leaders); Art. 21(1)", disallowed: K::PublicCriticism },
    Row { severity: 2, subject: B, leader: true, any: &[], all: &[], also: &[K::Interview, K::PublicCriticism, K::Referral], article: "Art. 19 (leaders); Art. 21(2)", disallowed: K::LossOfAwardEligibility },
    Row { severity: 3, subject: B, leader: true, any: &[], all: &[], also: &[K::Interview, K::PublicCriticism, K::Referral], article: "Art. 19 (leaders); Art. 21(3)", disallowed: K::Rectification },
    Row { severity: 4, subject: B, leader: true, any: &[], all: &[], also: &[K::Interview, K::PublicCriticism, K::Referral], article: "Art. 19 (leaders); Art. 21(4)", disallowed: K::TransferOut },
];

impl Row {
    fn allowed(&self) -> Vec<K> {
        self.any
            .iter()
            .chain(self.all)
            .chain(self.also)
            .copied()
            .collect()
    }

    /// The body's own required sanctions at this level (a leader row is
    /// decided beside the body's).
    fn body_required(&self) -> Vec<K> {
        TABLE
            .iter()
            .find(|r| r.severity == self.severity && r.subject == B && !r.leader)
            .map(|r| r.all.to_vec())
            .unwrap_or_default()
    }
}

fn set(v: &[i32]) -> BTreeSet<i32> {
    v.iter().copied().collect()
}

fn ks(v: &[K]) -> BTreeSet<i32> {
    v.iter().map(|k| *k as i32).collect()
}

/// A decision of `severity`: `subject` sanctions on the case's subject,
/// `leaders` on the named leader `target`.
fn mixed(severity: i32, subject: &[K], leaders: &[K], target: SanctionTarget) -> Decision {
    let mut d = decision(severity, subject);
    for k in leaders {
        let mut s = sanction(*k);
        s.target = target as i32;
        d.sanctions.push(s);
    }
    d
}

async fn propose(c: &mut Parties, name: &str, d: Decision) -> Result<Case, tonic::Status> {
    c.propose_decision(ProposeDecisionRequest {
        request_id: rid(),
        name: name.into(),
        proposal: Some(d),
        ..Default::default()
    })
    .await
    .map(|r| r.into_inner())
}

db_test!(the_catalogue_and_the_table_are_served, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = acc(&s, Role::Department, Some(&w.dept.name)).await;

    let grounds = c
        .list_grounds(ListGroundsRequest::default())
        .await
        .expect("list grounds")
        .into_inner()
        .grounds;
    let codes: BTreeSet<&str> = grounds.iter().map(|g| g.code.as_str()).collect();
    assert_eq!(codes.len(), grounds.len(), "each code once");
    assert_eq!(
        grounds.len(),
        2 + 1 + 17 + 9,
        "Art. 6, 10, 11, 19(1-17), 20(1-9)"
    );
    let find = |code: &str| {
        grounds
            .iter()
            .find(|g| g.code == code)
            .unwrap_or_else(|| panic!("{code} missing"))
    };
    assert_eq!(find("ART10").article, "Art. 10");
    assert_eq!(find("ART10").subject_kind, B as i32);
    assert_eq!(find("ART19_07").article, "Art. 19(7)");
    assert_eq!(find("ART19_17").subject_kind, B as i32);
    assert_eq!(find("ART20_05").article, "Art. 20(5)");
    assert_eq!(find("ART20_05").subject_kind, O as i32);
    assert_eq!(find("ART11").subject_kind, SubjectKind::Unspecified as i32);
    assert!(
        grounds
            .iter()
            .all(|g| !g.title_zh.is_empty() && !g.title_en.is_empty())
    );

    let rules = c
        .list_severity_rules(ListSeverityRulesRequest::default())
        .await
        .expect("list severity rules")
        .into_inner()
        .rules;
    // One row per level for officers and bodies, one per level and leader.
    assert_eq!(rules.len(), 4 + 4 + 4 * 2, "{rules:#?}");
    for row in TABLE {
        let targets: &[SanctionTarget] = if row.leader {
            &[
                SanctionTarget::PrincipalLeader,
                SanctionTarget::ResponsibleLeader,
            ]
        } else {
            &[SanctionTarget::Subject]
        };
        for t in targets {
            let served = rules
                .iter()
                .find(|r| {
                    r.severity == row.severity
                        && r.subject_kind == row.subject as i32
                        && r.target == *t as i32
                })
                .unwrap_or_else(|| panic!("no row {} {:?} {t:?}", row.severity, row.subject));
            assert_eq!(set(&served.required_any), ks(row.any), "{served:?}");
            assert_eq!(set(&served.required_all), ks(row.all), "{served:?}");
            assert_eq!(set(&served.allowed), ks(&row.allowed()), "{served:?}");
            assert_eq!(served.article, row.article);
            assert!(!served.note.is_empty());
        }
    }
    s.stop().await;
});

db_test!(every_severity_row_is_enforced, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = parties(&s).await;
    let officer_case = open(&mut c, &w.a.name, "ART20_03").await.name;
    let mut req = open_request(&w.dept.name, "ART19_05");
    {
        let subject = req.subject.as_mut().unwrap();
        subject.principal_leader = "局长 张某".into();
        subject.responsible_leader = "副局长 李某".into();
    }
    let body_case = c.open_case(req).await.expect("open body case").into_inner();
    assert_eq!(
        body_case.subject.clone().unwrap().principal_leader,
        "局长 张某"
    );
    let body_case = body_case.name;
    for name in [&officer_case, &body_case] {
        c.start_investigation(step::<StartInvestigationRequest>(name, "调查"))
            .await
            .unwrap();
    }

    let accepted = |r: Result<Case, tonic::Status>, what: &str| {
        let case = r.unwrap_or_else(|e| panic!("{what} must be accepted: {e:?}"));
        assert_eq!(case.state, CaseState::Proposed as i32);
    };
    let refused = |r: Result<Case, tonic::Status>, article: &str, what: &str| {
        let e = expect_err(r, Code::FailedPrecondition, "SANCTION_NOT_ALLOWED");
        assert!(
            e.message().contains(article),
            "{what}: the message must cite {article}: {}",
            e.message()
        );
    };

    for row in TABLE {
        let sev = row.severity;
        let tag = format!("severity {sev} {:?} leader={}", row.subject, row.leader);
        if !row.leader {
            let case = if row.subject == O {
                &officer_case
            } else {
                &body_case
            };
            // the whole allowed set
            accepted(
                propose(&mut c, case, decision(sev, &row.allowed())).await,
                &tag,
            );
            // the required ones alone
            if row.any.is_empty() {
                accepted(propose(&mut c, case, decision(sev, row.all)).await, &tag);
            }
            for k in row.any {
                accepted(
                    propose(&mut c, case, decision(sev, &[*k])).await,
                    &format!("{tag}: {k:?} alone"),
                );
            }
            // each required one missing
            for k in row.all {
                let without: Vec<K> = row.allowed().into_iter().filter(|x| x != k).collect();
                refused(
                    propose(&mut c, case, decision(sev, &without)).await,
                    row.article,
                    &format!("{tag} without {k:?}"),
                );
            }
            if !row.any.is_empty() {
                let without: Vec<K> = row
                    .allowed()
                    .into_iter()
                    .filter(|x| !row.any.contains(x))
                    .collect();
                refused(
                    propose(&mut c, case, decision(sev, &without)).await,
                    row.article,
                    &format!("{tag} without any of {:?}", row.any),
                );
            }
            // one sanction outside the row
            let mut with: Vec<K> = row.all.to_vec();
            with.extend(row.any.first());
            with.push(row.disallowed);
            refused(
                propose(&mut c, case, decision(sev, &with)).await,
                row.article,
                &format!("{tag} with {:?}", row.disallowed),
            );
        } else {
            let body = row.body_required();
            for t in [
                SanctionTarget::PrincipalLeader,
                SanctionTarget::ResponsibleLeader,
            ] {
                let tag = format!("{tag} {t:?}");
                accepted(
                    propose(&mut c, &body_case, mixed(sev, &body, &row.allowed(), t)).await,
                    &tag,
                );
                refused(
                    propose(&mut c, &body_case, mixed(sev, &body, &[row.disallowed], t)).await,
                    row.article,
                    &format!("{tag} with {:?}", row.disallowed),
                );
            }
            // both leaders at once: an interview each is not a duplicate
            let mut both = mixed(sev, &body, &[K::Interview], SanctionTarget::PrincipalLeader);
            let mut second = sanction(K::Interview);
            second.target = SanctionTarget::ResponsibleLeader as i32;
            both.sanctions.push(second);
            accepted(
                propose(&mut c, &body_case, both).await,
                &format!("{tag} both leaders"),
            );
            // the body's own row still applies beside its leaders'
            if !body.is_empty() {
                refused(
                    propose(
                        &mut c,
                        &body_case,
                        mixed(sev, &[], &[K::Interview], SanctionTarget::PrincipalLeader),
                    )
                    .await,
                    &format!("Art. 19; Art. 21({sev})"),
                    &format!("{tag} leaders only"),
                );
            }
        }
    }

    // A refused proposal leaves the last accepted one in place.
    let case = get(&mut c, &officer_case).await;
    assert_eq!(case.proposal.unwrap().severity, 4);
    s.stop().await;
});

// Art. 6: an officer who failed the annual assessment is moved out of
// enforcement posts; on that ground alone the transfer needs no withholding
// beside it, as it does for a level-3 breach.
db_test!(
    a_failed_assessment_ends_in_a_transfer_alone,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut c = parties(&s).await;
        let transfer = || decision(3, &[K::TransferOut, K::Referral]);
        let failed = open(&mut c, &w.a.name, "ART06").await.name;
        let breach = open(&mut c, &w.b.name, "ART20_03").await.name;
        for name in [&failed, &breach] {
            c.start_investigation(step::<StartInvestigationRequest>(name, "调查"))
                .await
                .unwrap();
        }
        let case = propose(&mut c, &failed, transfer())
            .await
            .expect("Art. 6: transfer out alone");
        assert_eq!(case.state, CaseState::Proposed as i32);
        expect_err(
            propose(&mut c, &breach, transfer()).await,
            Code::FailedPrecondition,
            "SANCTION_NOT_ALLOWED",
        );
        // Art. 6 still does not make a lighter sanction enough
        expect_err(
            propose(&mut c, &failed, decision(3, &[K::PublicCriticism])).await,
            Code::FailedPrecondition,
            "SANCTION_NOT_ALLOWED",
        );
        s.stop().await;
    }
);

// A body case raised without its leaders' names (from a finding, a flag or
// an order) has them named by the proposal that sanctions them (Art. 19).
db_test!(a_proposal_names_the_leaders_it_sanctions, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = parties(&s).await;
    let body = open(&mut c, &w.dept.name, "ART19_05").await.name;
    let officer = open(&mut c, &w.a.name, "ART20_03").await.name;
    for name in [&body, &officer] {
        c.start_investigation(step::<StartInvestigationRequest>(name, "调查"))
            .await
            .unwrap();
    }
    let mut d = decision(1, &[K::Rectification, K::Interview]);
    d.sanctions[1].target = SanctionTarget::PrincipalLeader as i32;
    let request = |name: &str, leader: &str| ProposeDecisionRequest {
        request_id: rid(),
        name: name.into(),
        proposal: Some(d.clone()),
        principal_leader: leader.into(),
        ..Default::default()
    };
    expect_invalid(
        c.propose_decision(request(&body, "")).await,
        &["proposal.sanctions[1].target"],
    );
    let proposed = c
        .propose_decision(request(&body, " 局长 王某 "))
        .await
        .expect("the leader named with the proposal")
        .into_inner();
    assert_eq!(proposed.subject.unwrap().principal_leader, "局长 王某");
    // an officer's case has no leaders to name
    let mut p = request(&officer, "局长 王某");
    p.proposal = Some(decision(1, &[K::Admonition]));
    expect_invalid(c.propose_decision(p).await, &["principal_leader"]);
    s.stop().await;
});

db_test!(structural_errors_name_their_fields, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = parties(&s).await;
    let officer_case = open(&mut c, &w.a.name, "ART20_03").await.name;
    let body_case = open(&mut c, &w.dept.name, "ART19_05").await.name; // no leaders named
    for name in [&officer_case, &body_case] {
        c.start_investigation(step::<StartInvestigationRequest>(name, "调查"))
            .await
            .unwrap();
    }
    let with = |severity: i32, f: &dyn Fn(&mut Decision)| {
        let mut d = decision(severity, &[K::Admonition]);
        f(&mut d);
        d
    };
    let past = ts(Utc::now() - Duration::days(1));
    let cases: Vec<(&str, &String, Decision, Vec<&str>)> = vec![
        (
            "severity 0",
            &officer_case,
            with(0, &|_| {}),
            vec!["proposal.severity"],
        ),
        (
            "severity 5",
            &officer_case,
            with(5, &|_| {}),
            vec!["proposal.severity"],
        ),
        (
            "withheld without until",
            &officer_case,
            with(3, &|d| {
                d.sanctions = vec![Sanction {
                    kind: K::CredentialWithheld as i32,
                    ..Default::default()
                }]
            }),
            vec!["proposal.sanctions[0].until"],
        ),
        (
            "withheld until the past",
            &officer_case,
            with(3, &|d| {
                d.sanctions = vec![sanction(K::CredentialWithheld)];
                d.sanctions[0].until = Some(past);
            }),
            vec!["proposal.sanctions[0].until"],
        ),
        (
            "rectification without deadline",
            &body_case,
            with(1, &|d| {
                d.sanctions = vec![Sanction {
                    kind: K::Rectification as i32,
                    ..Default::default()
                }]
            }),
            vec!["proposal.sanctions[0].deadline"],
        ),
        (
            "referral without referral_to",
            &officer_case,
            with(1, &|d| {
                d.sanctions.push(Sanction {
                    kind: K::Referral as i32,
                    ..Default::default()
                })
            }),
            vec!["proposal.sanctions[1].referral_to"],
        ),
        (
            "leader on an officer's case",
            &officer_case,
            with(1, &|d| {
                let mut s = sanction(K::Interview);
                s.target = SanctionTarget::PrincipalLeader as i32;
                d.sanctions.push(s);
            }),
            vec!["proposal.sanctions[1].target"],
        ),
        (
            "leader not named",
            &body_case,
            with(1, &|d| {
                d.sanctions = vec![sanction(K::Rectification), sanction(K::Interview)];
                d.sanctions[1].target = SanctionTarget::ResponsibleLeader as i32;
            }),
            vec!["proposal.sanctions[1].target"],
        ),
        (
            "the same sanction twice",
            &officer_case,
            with(1, &|d| d.sanctions.push(sanction(K::Admonition))),
            vec!["proposal.sanctions[1].kind"],
        ),
        (
            "subject and SUBJECT target are the same person",
            &officer_case,
            with(1, &|d| {
                let mut s = sanction(K::Admonition);
                s.target = SanctionTarget::Subject as i32;
                d.sanctions.push(s);
            }),
            vec!["proposal.sanctions[1].kind"],
        ),
        (
            "no sanction kind",
            &officer_case,
            with(1, &|d| d.sanctions[0].kind = 0),
            vec!["proposal.sanctions[0].kind"],
        ),
        (
            "no sanctions",
            &officer_case,
            with(1, &|d| d.sanctions.clear()),
            vec!["proposal.sanctions"],
        ),
        (
            "empty reasoning",
            &officer_case,
            with(1, &|d| d.reasoning = " ".into()),
            vec!["proposal.reasoning"],
        ),
        (
            "several at once",
            &officer_case,
            with(0, &|d| {
                d.reasoning = String::new();
                d.sanctions = vec![
                    Sanction {
                        kind: K::CredentialWithheld as i32,
                        ..Default::default()
                    },
                    Sanction {
                        kind: K::Referral as i32,
                        ..Default::default()
                    },
                    sanction(K::Admonition),
                    sanction(K::Admonition),
                ];
            }),
            vec![
                "proposal.severity",
                "proposal.reasoning",
                "proposal.sanctions[0].until",
                "proposal.sanctions[1].referral_to",
                "proposal.sanctions[3].kind",
            ],
        ),
    ];
    for (what, case, d, fields) in cases {
        let r = propose(&mut c, case, d).await;
        let e = expect_code(r, Code::InvalidArgument);
        assert_eq!(
            crate::fixtures::bad_fields(&e),
            crate::util::sorted(&fields),
            "{what}: {e:?}"
        );
    }
    expect_invalid(
        c.propose_decision(ProposeDecisionRequest {
            request_id: rid(),
            name: officer_case.clone(),
            proposal: None,
            ..Default::default()
        })
        .await,
        &["proposal"],
    );
    // Decide checks a decision it is given the same way.
    c.propose_decision(ProposeDecisionRequest {
        request_id: rid(),
        name: officer_case.clone(),
        proposal: Some(decision(1, &[K::Admonition])),
        ..Default::default()
    })
    .await
    .expect("a good proposal");
    expect_invalid(
        c.decide_case(DecideCaseRequest {
            request_id: rid(),
            name: officer_case.clone(),
            decision: Some(with(9, &|d| d.reasoning.clear())),
            reason: "决定".into(),
        })
        .await,
        &["decision.severity", "decision.reasoning"],
    );
    let case = get(&mut c, &officer_case).await;
    assert_eq!(
        case.state,
        CaseState::Proposed as i32,
        "nothing was decided"
    );
    assert!(case.decision.is_none());
    s.stop().await;
});

// One BadRequest names every bad field (ARCHITECTURE.md: "validate
// everything", validation.rs): the request-local fields of a transition and
// the request-local structure of its decision are reported together.
db_test!(
    a_decision_request_names_every_bad_field_at_once,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut c = parties(&s).await;
        let case = open(&mut c, &w.a.name, "ART20_03").await.name;
        c.start_investigation(step::<StartInvestigationRequest>(&case, "调查"))
            .await
            .unwrap();
        let bad = || {
            let mut d = decision(9, &[K::Admonition]);
            d.reasoning.clear();
            d
        };
        let mut wrong = Vec::new();
        let mut check = |method: &str, r: Result<Case, tonic::Status>, want: &[&str]| {
            let e = expect_code(r, Code::InvalidArgument);
            let got = crate::fixtures::bad_fields(&e);
            if got != crate::util::sorted(want) {
                wrong.push(format!("{method}: named {got:?}, want {want:?}"));
            }
        };
        let r = c
            .propose_decision(ProposeDecisionRequest {
                request_id: "not-a-uuid".into(),
                name: case.clone(),
                proposal: Some(bad()),
                ..Default::default()
            })
            .await
            .map(|r| r.into_inner());
        check(
            "ProposeDecision",
            r,
            &["request_id", "proposal.severity", "proposal.reasoning"],
        );
        propose(&mut c, &case, decision(1, &[K::Admonition]))
            .await
            .unwrap();
        let r = c
            .decide_case(DecideCaseRequest {
                request_id: rid(),
                name: case.clone(),
                decision: Some(bad()),
                reason: String::new(),
            })
            .await
            .map(|r| r.into_inner());
        check(
            "DecideCase",
            r,
            &["reason", "decision.severity", "decision.reasoning"],
        );
        c.decide_case(DecideCaseRequest {
            request_id: rid(),
            name: case.clone(),
            decision: None,
            reason: "决定".into(),
        })
        .await
        .unwrap();
        acc(&s, Role::Department, Some(&w.dept.name))
            .await
            .contest_decision(step::<ContestDecisionRequest>(&case, "申诉"))
            .await
            .unwrap();
        let r = c
            .resolve_contest(ResolveContestRequest {
                request_id: rid(),
                name: case.clone(),
                outcome: ContestOutcome::Changed as i32,
                decision: Some(bad()),
                reason: String::new(),
            })
            .await
            .map(|r| r.into_inner());
        check(
            "ResolveContest",
            r,
            &["reason", "decision.severity", "decision.reasoning"],
        );
        assert!(wrong.is_empty(), "{wrong:#?}");
        let now = get(&mut c, &case).await;
        assert_eq!(
            now.state,
            CaseState::Contested as i32,
            "nothing was changed"
        );
        s.stop().await;
    }
);

db_test!(a_case_is_opened_only_on_valid_grounds, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = parties(&s).await;
    expect_invalid(
        c.open_case(OpenCaseRequest {
            request_id: "not-a-uuid".into(),
            subject: Some(Subject {
                name: "people/1".into(),
                ..Default::default()
            }),
            grounds: vec![],
            title: " ".into(),
            evidence: vec![
                Evidence {
                    kind: EvidenceKind::Document as i32,
                    reference: "archive://x".into(),
                    ..Default::default()
                },
                Evidence {
                    reference: "facts/x".into(),
                    ..Default::default()
                },
                Evidence {
                    kind: EvidenceKind::AuditEntry as i32,
                    reference: "audit/nowhere/0".into(),
                    ..Default::default()
                },
                Evidence {
                    kind: EvidenceKind::Finding as i32,
                    reference: "facts/f1".into(),
                    ..Default::default()
                },
                // fields of other kinds of evidence, kept unchecked before
                Evidence {
                    kind: EvidenceKind::AuditEntry as i32,
                    reference: "audit/intake/1".into(),
                    revision: 2,
                    rule: "x".repeat(100_000),
                    officer: "someone".into(),
                    sha256: "ab".repeat(32),
                    ..Default::default()
                },
                Evidence {
                    kind: EvidenceKind::Document as i32,
                    reference: "archive://y".into(),
                    sha256: "ab".repeat(32),
                    rule: "ART19_07".into(),
                    ..Default::default()
                },
            ],
            reason: String::new(),
        })
        .await,
        &[
            "request_id",
            "subject.name",
            "grounds",
            "title",
            "reason",
            "evidence[0].sha256",
            "evidence[1].kind",
            "evidence[2].reference",
            "evidence[3].revision",
            "evidence[3].rule",
            "evidence[4].officer",
            "evidence[4].revision",
            "evidence[4].rule",
            "evidence[4].sha256",
            "evidence[5].rule",
        ],
    );
    // Grounds must be known, fit the subject, and be listed once.
    let mut r = open_request(&w.a.name, "ART19_07");
    r.grounds
        .extend([ground("ART20_01"), ground("ART20_01"), ground("ART99")]);
    expect_invalid(
        c.open_case(r).await,
        &["grounds[0].code", "grounds[2].code", "grounds[3].code"],
    );
    // Leaders are named only for a body.
    let mut r = open_request(&w.a.name, "ART20_01");
    r.subject.as_mut().unwrap().principal_leader = "局长".into();
    expect_invalid(c.open_case(r).await, &["subject"]);
    // The registry must know the subject.
    expect_invalid(
        c.open_case(open_request("officers/nobody", "ART20_01"))
            .await,
        &["subject.name"],
    );
    expect_invalid(
        c.open_case(open_request("bodies/nobody", "ART19_01")).await,
        &["subject.name"],
    );
    // Grounds either kind of subject may answer for.
    let body = open(&mut c, &w.dept.name, "ART11").await;
    assert_eq!(body.subject.unwrap().kind, B as i32);
    let officer = open(&mut c, &w.a.name, "ART11").await;
    assert_eq!(officer.subject.unwrap().kind, O as i32);
    assert_eq!(case_names(&mut c, CaseFilter::default()).await.len(), 2);
    s.stop().await;
});

fn finding_request(
    fact: &str,
    revision: i32,
    rule: &str,
    officer: &str,
) -> RaiseFromFindingRequest {
    RaiseFromFindingRequest {
        request_id: rid(),
        finding: Some(FindingRef {
            fact: fact.into(),
            revision,
            rule: rule.into(),
            officer: officer.into(),
        }),
        ..Default::default()
    }
}

db_test!(a_finding_raises_one_case, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut i = intake_dept(&s, &w).await;
    let blind = i
        .submit_fact(fact(
            &w,
            "insp-blind",
            inspection(&w, &w.inspection.name, vec![]),
        ))
        .await
        .expect("submit")
        .into_inner();
    let rules: Vec<&str> = blind.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(rules, vec!["INSPECTION_NOT_RECORDED"]);

    let mut c = parties(&s).await;
    let r = c
        .raise_from_finding(finding_request(
            &blind.name,
            blind.revision,
            "INSPECTION_NOT_RECORDED",
            "",
        ))
        .await
        .expect("raise")
        .into_inner();
    assert!(r.created);
    let case = r.case.unwrap();
    assert_eq!(case.state, CaseState::Opened as i32);
    let subject = case.subject.clone().unwrap();
    assert_eq!(
        (subject.name.as_str(), subject.kind),
        (w.dept.name.as_str(), B as i32)
    );
    assert_eq!(subject.display_name, w.dept.display_name);
    assert_eq!(case.grounds.len(), 1);
    assert_eq!(
        case.grounds[0].code, "ART19_15",
        "not recorded: Art. 19(15) for the body"
    );
    assert_eq!(case.grounds[0].article, "Art. 19(15)");
    let origin = case.origin.clone().unwrap();
    assert_eq!(origin.kind, OriginKind::Finding as i32);
    assert_eq!(origin.reference, blind.name);
    assert!(!origin.key.is_empty());
    assert!(
        case.title.contains("INSPECTION_NOT_RECORDED"),
        "{}",
        case.title
    );
    let ev = &case.evidence[0];
    assert_eq!(
        (
            ev.kind,
            ev.reference.as_str(),
            ev.revision,
            ev.rule.as_str()
        ),
        (
            EvidenceKind::Finding as i32,
            blind.name.as_str(),
            1,
            "INSPECTION_NOT_RECORDED"
        )
    );

    // Again (the office by hand, another request): the same case. The
    // rankings job's token may not raise from a finding at all.
    let mut svc = office(&s).await;
    let again = svc
        .raise_from_finding(finding_request(
            &blind.name,
            blind.revision,
            "INSPECTION_NOT_RECORDED",
            "",
        ))
        .await
        .expect("raise again")
        .into_inner();
    assert!(!again.created);
    assert_eq!(again.case.unwrap().name, case.name);
    let from_findings = CaseFilter {
        origin: OriginKind::Finding as i32,
        ..Default::default()
    };
    assert_eq!(
        case_names(&mut c, from_findings.clone()).await,
        vec![case.name.clone()]
    );
    assert_eq!(actions(&mut c, &case.name).await, vec!["OPEN"]);

    // This finding is about the act: a case against an officer names one of
    // the act's officers; it is another subject, so another case, once.
    let mut officer_req =
        finding_request(&blind.name, blind.revision, "INSPECTION_NOT_RECORDED", "");
    officer_req.subject_kind = O as i32;
    expect_invalid(c.raise_from_finding(officer_req).await, &["officer"]);
    let mut stranger = finding_request(&blind.name, blind.revision, "INSPECTION_NOT_RECORDED", "");
    stranger.officer = w.aux.name.clone();
    expect_invalid(c.raise_from_finding(stranger).await, &["officer"]);
    let mut against_a = finding_request(&blind.name, blind.revision, "INSPECTION_NOT_RECORDED", "");
    against_a.officer = w.a.name.clone();
    let first = c
        .raise_from_finding(against_a.clone())
        .await
        .expect("raise against an officer of the act")
        .into_inner();
    assert!(first.created);
    let officer_case = first.case.unwrap();
    assert_eq!(officer_case.subject.clone().unwrap().name, w.a.name);
    assert_eq!(
        officer_case.grounds[0].code, "ART20_05",
        "not recorded: Art. 20(5) for an officer"
    );
    against_a.request_id = rid();
    let again = c.raise_from_finding(against_a).await.unwrap().into_inner();
    assert!(!again.created);
    assert_eq!(again.case.unwrap().name, officer_case.name);
    c.dismiss_case(step::<DismissCaseRequest>(
        &officer_case.name,
        "不予追究 not pursued",
    ))
    .await
    .expect("dismiss");

    // An officer without a credential: the finding names them.
    let nocred = officer(
        &s,
        &w.dept,
        "赵六",
        OfficerKind::Officer,
        vec![w.post.name.clone()],
        4,
        since(),
    )
    .await;
    let act = i
        .submit_fact(fact(
            &w,
            "nocred",
            matter(&w, &[&w.a.name, &w.b.name, &nocred.name], when()),
        ))
        .await
        .expect("submit")
        .into_inner();
    assert_eq!(act.findings.len(), 1, "{:?}", act.findings);
    assert_eq!(act.findings[0].rule, "CREDENTIAL_NOT_VALID");
    assert_eq!(act.findings[0].officer, nocred.name);
    let r = svc
        .raise_from_finding(finding_request(
            &act.name,
            1,
            "CREDENTIAL_NOT_VALID",
            &nocred.name,
        ))
        .await
        .expect("raise against the officer")
        .into_inner();
    assert!(r.created);
    let oc = r.case.unwrap();
    let subject = oc.subject.clone().unwrap();
    assert_eq!(
        (subject.name.as_str(), subject.kind),
        (nocred.name.as_str(), O as i32)
    );
    assert_eq!(subject.body, w.dept.name);
    assert_eq!(oc.grounds[0].code, "ART20_09");
    assert_eq!(oc.evidence[0].officer, nocred.name);
    assert_eq!(case_names(&mut c, from_findings).await.len(), 3);

    // Given grounds and title replace the defaults, checked against the subject.
    let aux = i
        .submit_fact(fact(&w, "aux", matter(&w, &[&w.aux.name], when())))
        .await
        .expect("submit")
        .into_inner();
    let mut bad = finding_request(&aux.name, 1, "AUXILIARY_ALONE", "");
    bad.grounds = vec![ground("ART20_01")];
    expect_invalid(c.raise_from_finding(bad).await, &["grounds[0].code"]);
    let mut own = finding_request(&aux.name, 1, "AUXILIARY_ALONE", "");
    own.grounds = vec![ground("ART19_12"), ground("ART19_09")];
    own.title = "辅助人员单独执法 auxiliary alone".into();
    let r = c.raise_from_finding(own).await.expect("raise").into_inner();
    let aux_case = r.case.unwrap();
    let codes: Vec<&str> = aux_case.grounds.iter().map(|g| g.code.as_str()).collect();
    assert_eq!(codes, vec!["ART19_12", "ART19_09"]);
    assert_eq!(aux_case.grounds[1].article, "Art. 19(9)");
    assert_eq!(aux_case.title, "辅助人员单独执法 auxiliary alone");

    // Findings that do not exist.
    expect_invalid(
        c.raise_from_finding(finding_request(
            "facts/999999",
            1,
            "INSPECTION_NOT_RECORDED",
            "",
        ))
        .await,
        &["finding.fact"],
    );
    expect_invalid(
        c.raise_from_finding(finding_request(
            &blind.name,
            2,
            "INSPECTION_NOT_RECORDED",
            "",
        ))
        .await,
        &["finding.revision"],
    );
    expect_invalid(
        c.raise_from_finding(finding_request(&blind.name, 1, "TOO_FEW_QUALIFIED", ""))
            .await,
        &["finding"],
    );
    expect_invalid(
        c.raise_from_finding(finding_request(
            &act.name,
            1,
            "CREDENTIAL_NOT_VALID",
            &w.a.name,
        ))
        .await,
        &["finding"],
    );
    expect_invalid(
        c.raise_from_finding(finding_request("fact-1", 0, "", "someone"))
            .await,
        &[
            "finding.fact",
            "finding.revision",
            "finding.rule",
            "finding.officer",
        ],
    );
    // A correction that keeps the breach shows the finding on revision 2:
    // still the one case.
    let mut p = inspection(&w, &w.inspection.name, vec![]);
    if let Payload::Inspection(x) = &mut p {
        x.target = "party-0002".into();
    }
    let mut fix = fact(&w, "insp-blind", p);
    fix.correction_reason = "wrong party recorded".into();
    let corrected = i.submit_fact(fix).await.expect("correct").into_inner();
    assert_eq!(corrected.revision, 2);
    assert_eq!(corrected.findings[0].rule, "INSPECTION_NOT_RECORDED");
    let r = c
        .raise_from_finding(finding_request(
            &blind.name,
            2,
            "INSPECTION_NOT_RECORDED",
            "",
        ))
        .await
        .expect("raise from revision 2")
        .into_inner();
    assert!(!r.created);
    assert_eq!(r.case.unwrap().name, case.name);
    assert_eq!(
        case_names(
            &mut c,
            CaseFilter {
                origin: OriginKind::Finding as i32,
                ..Default::default()
            }
        )
        .await
        .len(),
        4,
        "the body's, officer a's, the uncredentialed officer's and the auxiliary act's"
    );
    // A correction that mends the breach does not withdraw the finding: it
    // stays in force (superseded, pending the office's ruling) and raises
    // the same one case from either revision.
    let mut fix = fact(
        &w,
        "insp-blind",
        inspection(&w, &w.inspection.name, vec![record()]),
    );
    if let Some(Payload::Inspection(x)) = fix.fact.as_mut().and_then(|f| f.payload.as_mut()) {
        x.target = "party-0002".into();
    }
    fix.correction_reason = "the video was found".into();
    let mended = i.submit_fact(fix).await.expect("correct").into_inner();
    let kept = mended
        .findings
        .iter()
        .find(|x| x.rule == "INSPECTION_NOT_RECORDED")
        .expect("the finding outlives the correction")
        .clone();
    assert_eq!(kept.state, FindingState::SupersededPending as i32);
    for revision in [1, 2, 3] {
        let r = c
            .raise_from_finding(finding_request(
                &blind.name,
                revision,
                "INSPECTION_NOT_RECORDED",
                "",
            ))
            .await
            .unwrap_or_else(|e| panic!("raise from revision {revision}: {e:?}"))
            .into_inner();
        assert!(!r.created);
        assert_eq!(r.case.unwrap().name, case.name);
    }
    // Only the office's clearing takes it off the record that counts.
    crate::intake::legal(&s)
        .await
        .clear_finding(ClearFindingRequest {
            name: kept.name.clone(),
            reason: "the video existed at the time; the system lost it".into(),
            request_id: rid(),
        })
        .await
        .expect("the office clears it");
    for revision in [1, 3] {
        let e = expect_code(
            c.raise_from_finding(finding_request(
                &blind.name,
                revision,
                "INSPECTION_NOT_RECORDED",
                "",
            ))
            .await,
            Code::FailedPrecondition,
        );
        assert_eq!(reason(&e), "FINDING_CLEARED");
    }
    // A name intake cannot even parse (its ids are numbers) is as unknown:
    // a client's mistake, not INTERNAL.
    expect_invalid(
        c.raise_from_finding(finding_request(
            "facts/nosuchfact",
            1,
            "INSPECTION_NOT_RECORDED",
            "",
        ))
        .await,
        &["finding.fact"],
    );
    s.stop().await;
});

fn flag_request(year: i32, kind: FlagKind, subject: &str, run: &str) -> RaiseFromFlagRequest {
    RaiseFromFlagRequest {
        request_id: rid(),
        flag: Some(RankingFlag {
            year,
            kind: kind as i32,
            subject: subject.into(),
            run: run.into(),
            score: 41.5,
            threshold: 55.2,
            peer_group: "市场监管".into(),
        }),
    }
}

db_test!(a_ranking_flag_raises_one_case_a_year, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut svc = job(&s).await;
    let first = svc
        .raise_from_flag(flag_request(
            2025,
            FlagKind::BelowThreshold,
            &w.a.name,
            "run-1",
        ))
        .await
        .expect("raise")
        .into_inner();
    assert!(first.created);
    let case = first.case.unwrap();
    assert_eq!(case.grounds[0].code, "ART20_02");
    assert_eq!(case.grounds[0].article, "Art. 20(2)");
    assert_eq!(case.subject.clone().unwrap().kind, O as i32);
    let origin = case.origin.clone().unwrap();
    assert_eq!(origin.kind, OriginKind::RankingFlag as i32);
    assert!(origin.reference.starts_with("rankings/2025/"), "{origin:?}");
    assert!(origin.reference.ends_with(&w.a.name), "{origin:?}");
    assert_eq!(case.evidence[0].kind, EvidenceKind::RankingFlag as i32);
    assert_eq!(case.evidence[0].reference, origin.reference);

    // The next night's run raises the same flag: the same case.
    let second = svc
        .raise_from_flag(flag_request(
            2025,
            FlagKind::BelowThreshold,
            &w.a.name,
            "run-2",
        ))
        .await
        .expect("raise again")
        .into_inner();
    assert!(!second.created);
    assert_eq!(second.case.unwrap().name, case.name);
    let mut c = parties(&s).await;
    let flagged = CaseFilter {
        origin: OriginKind::RankingFlag as i32,
        ..Default::default()
    };
    assert_eq!(
        case_names(&mut c, flagged.clone()).await,
        vec![case.name.clone()]
    );

    // Another year is another case; a failing body rests on Art. 6.
    let next_year = svc
        .raise_from_flag(flag_request(
            2026,
            FlagKind::BelowThreshold,
            &w.a.name,
            "run-3",
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(next_year.created);
    assert_ne!(next_year.case.unwrap().name, case.name);
    let failing = c
        .raise_from_flag(flag_request(2025, FlagKind::Failing, &w.dept.name, "run-1"))
        .await
        .expect("the office may raise too")
        .into_inner();
    assert!(failing.created);
    let fc = failing.case.unwrap();
    assert_eq!(fc.grounds[0].code, "ART06");
    assert_eq!(fc.subject.unwrap().kind, B as i32);
    assert_eq!(case_names(&mut c, flagged).await.len(), 3);

    // Art. 20(2) is about officers; the subject must exist.
    expect_invalid(
        svc.raise_from_flag(flag_request(
            2025,
            FlagKind::BelowThreshold,
            &w.dept.name,
            "run-1",
        ))
        .await,
        &["flag.subject"],
    );
    expect_invalid(
        svc.raise_from_flag(flag_request(
            2025,
            FlagKind::BelowThreshold,
            "officers/nobody",
            "run-1",
        ))
        .await,
        &["flag.subject"],
    );
    let mut bad = flag_request(1999, FlagKind::Unspecified, "someone", "");
    bad.flag.as_mut().unwrap().score = f64::NAN;
    expect_invalid(
        svc.raise_from_flag(bad).await,
        &[
            "flag.year",
            "flag.kind",
            "flag.subject",
            "flag.run",
            "flag.score",
        ],
    );
    s.stop().await;
});
