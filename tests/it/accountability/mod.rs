//! Accountability: cases, sanctions and their effects on the registry,
//! correction orders and commendations. Helpers here drive cases through
//! their states.
use chrono::{Duration, Utc};
use probity_common::auth::{Role, Scope, issue_scoped_token};
use probity_proto::accountability::v1::{
    accountability_service_client::AccountabilityServiceClient, *,
};
use tonic::{service::interceptor::InterceptedService, transport::Channel};

use crate::{
    fixtures::{rid, ts},
    harness::{Bearer, TestServer},
};

mod access;
mod art6;
mod effects;
mod findings_sweep;
mod notices;
mod orders;
mod paging;
mod records;
mod referrals;
mod rights;
mod rules;
mod transitions;
mod upgrade;

pub type Acc = AccountabilityServiceClient<InterceptedService<Channel, Bearer>>;

pub async fn acc(s: &TestServer, role: Role, body: Option<&str>) -> Acc {
    AccountabilityServiceClient::with_interceptor(
        s.channel().await,
        Bearer::new(&s.token(role, body)),
    )
}

/// Accountability as the nightly rankings job (its service identity).
pub async fn job(s: &TestServer) -> Acc {
    AccountabilityServiceClient::with_interceptor(
        s.channel().await,
        Bearer::new(&s.service_token(&probity_common::service_identity::RANKINGS_JOB)),
    )
}

/// Accountability as `body`'s legal section (法制股室, Art. 12): a department
/// token with the legal-section scope.
pub async fn section(s: &TestServer, body: &str) -> Acc {
    let body = body.strip_prefix("bodies/").unwrap_or(body);
    let token = issue_scoped_token(
        &s.settings,
        "test-legal_section",
        Role::Department,
        Some(body),
        Some(Scope::LegalSection),
        Duration::hours(1),
    )
    .expect("token");
    AccountabilityServiceClient::with_interceptor(s.channel().await, Bearer::new(&token))
}

pub async fn office(s: &TestServer) -> Acc {
    acc(s, Role::LegalOffice, None).await
}

pub fn ground(code: &str) -> Ground {
    Ground {
        code: code.into(),
        detail: "详情 particulars".into(),
        ..Default::default()
    }
}

pub fn open_request(subject: &str, code: &str) -> OpenCaseRequest {
    OpenCaseRequest {
        request_id: rid(),
        subject: Some(Subject {
            name: subject.into(),
            ..Default::default()
        }),
        grounds: vec![ground(code)],
        title: "案件 test case".into(),
        evidence: vec![],
        reason: "立案 opened for the test".into(),
    }
}

pub async fn open(c: &mut Acc, subject: &str, code: &str) -> Case {
    c.open_case(open_request(subject, code))
        .await
        .expect("open case")
        .into_inner()
}

/// A transition's request (each method has its own message of these three
/// fields).
pub trait Step {
    fn new(request_id: String, name: String, reason: String) -> Self;
}

macro_rules! steps {
    ($($t:ty),*) => {$(
        impl Step for $t {
            fn new(request_id: String, name: String, reason: String) -> Self {
                Self { request_id, name, reason }
            }
        }
    )*};
}
steps!(
    StartInvestigationRequest,
    ContestDecisionRequest,
    ExecuteDecisionRequest,
    CloseCaseRequest,
    DismissCaseRequest
);

pub fn step<R: Step>(name: &str, reason: &str) -> R {
    R::new(rid(), name.into(), reason.into())
}

pub fn sanction(kind: SanctionKind) -> Sanction {
    let mut s = Sanction {
        kind: kind as i32,
        ..Default::default()
    };
    match kind {
        SanctionKind::CredentialWithheld => s.until = Some(ts(Utc::now() + Duration::days(90))),
        SanctionKind::Rectification => s.deadline = Some(ts(Utc::now() + Duration::days(30))),
        SanctionKind::Referral => s.referral_to = ReferralTo::Supervisory as i32,
        _ => {}
    }
    s
}

pub fn decision(severity: i32, kinds: &[SanctionKind]) -> Decision {
    Decision {
        severity,
        sanctions: kinds.iter().map(|k| sanction(*k)).collect(),
        reasoning: "性质、情节 nature and circumstances".into(),
        ..Default::default()
    }
}

/// Every party to a case, each step sent as whoever the regulation gives
/// it to (rights::Holder, written out again here): on a case against an
/// officer the unit's legal section investigates and proposes and the unit
/// decides, executes and closes, the office rules on a contest and dismisses;
/// on a case against a unit the office investigates, proposes, executes,
/// dismisses and closes, the city government decides and rules on a
/// contest; the subject's department contests on a client of its own. Everything else (opening,
/// evidence, reads, orders) goes as the office, which it dereferences to.
pub struct Parties {
    office: Acc,
    government: Acc,
    server_settings: probity_common::config::Settings,
    channel: Channel,
}

/// Who takes a step, as `Parties` routes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum By {
    Proposer,
    Decider,
    Executor,
    Resolver,
    Dismisser,
}

impl Parties {
    pub async fn new(s: &TestServer) -> Parties {
        Parties {
            office: office(s).await,
            government: acc(s, Role::Government, None).await,
            server_settings: s.settings.clone(),
            channel: s.channel().await,
        }
    }

    fn department(&self, body: &str, scope: Option<Scope>) -> Acc {
        let body = body.strip_prefix("bodies/").unwrap_or(body);
        let subject = match scope {
            Some(_) => "test-legal_section",
            None => "test-department",
        };
        let token = issue_scoped_token(
            &self.server_settings,
            subject,
            Role::Department,
            Some(body),
            scope,
            Duration::hours(1),
        )
        .expect("token");
        AccountabilityServiceClient::with_interceptor(self.channel.clone(), Bearer::new(&token))
    }

    /// The client that takes `by`'s step on the case `name` (the office's
    /// when the case cannot be read: the call then answers for itself).
    async fn by(&mut self, name: &str, by: By) -> Acc {
        let Ok(case) = self
            .office
            .get_case(GetCaseRequest { name: name.into() })
            .await
        else {
            return self.office.clone();
        };
        let subject = case.into_inner().subject.unwrap_or_default();
        let unit = subject.body;
        let officer = subject.kind == SubjectKind::Officer as i32;
        match (by, officer) {
            (By::Proposer, true) => self.department(&unit, Some(Scope::LegalSection)),
            (By::Decider | By::Executor, true) => self.department(&unit, None),
            (By::Resolver | By::Dismisser, true) => self.office.clone(),
            (By::Dismisser, false) => self.office.clone(),
            (By::Decider | By::Resolver, false) => self.government.clone(),
            (By::Proposer | By::Executor, false) => self.office.clone(),
        }
    }

    pub async fn start_investigation(
        &mut self,
        r: StartInvestigationRequest,
    ) -> Result<tonic::Response<Case>, tonic::Status> {
        self.by(&r.name, By::Proposer)
            .await
            .start_investigation(r)
            .await
    }

    pub async fn propose_decision(
        &mut self,
        r: ProposeDecisionRequest,
    ) -> Result<tonic::Response<Case>, tonic::Status> {
        self.by(&r.name, By::Proposer)
            .await
            .propose_decision(r)
            .await
    }

    pub async fn decide_case(
        &mut self,
        r: DecideCaseRequest,
    ) -> Result<tonic::Response<Case>, tonic::Status> {
        self.by(&r.name, By::Decider).await.decide_case(r).await
    }

    pub async fn resolve_contest(
        &mut self,
        r: ResolveContestRequest,
    ) -> Result<tonic::Response<Case>, tonic::Status> {
        self.by(&r.name, By::Resolver)
            .await
            .resolve_contest(r)
            .await
    }

    pub async fn execute_decision(
        &mut self,
        r: ExecuteDecisionRequest,
    ) -> Result<tonic::Response<Case>, tonic::Status> {
        self.by(&r.name, By::Executor)
            .await
            .execute_decision(r)
            .await
    }

    pub async fn close_case(
        &mut self,
        r: CloseCaseRequest,
    ) -> Result<tonic::Response<Case>, tonic::Status> {
        self.by(&r.name, By::Executor).await.close_case(r).await
    }

    pub async fn dismiss_case(
        &mut self,
        r: DismissCaseRequest,
    ) -> Result<tonic::Response<Case>, tonic::Status> {
        self.by(&r.name, By::Dismisser).await.dismiss_case(r).await
    }
}

impl std::ops::Deref for Parties {
    type Target = Acc;
    fn deref(&self) -> &Acc {
        &self.office
    }
}

impl std::ops::DerefMut for Parties {
    fn deref_mut(&mut self) -> &mut Acc {
        &mut self.office
    }
}

/// Every party (`Parties`), for tests of the procedure rather than of who
/// takes its steps.
pub async fn parties(s: &TestServer) -> Parties {
    Parties::new(s).await
}

/// Opens a case and takes it to DECIDED with `d`, each step by its holder.
pub async fn decided(c: &mut Parties, subject: &str, code: &str, d: Decision) -> Case {
    let case = open(c, subject, code).await;
    c.start_investigation(step::<StartInvestigationRequest>(
        &case.name,
        "调查 investigate",
    ))
    .await
    .expect("investigate");
    c.propose_decision(ProposeDecisionRequest {
        request_id: rid(),
        name: case.name.clone(),
        proposal: Some(d),
        ..Default::default()
    })
    .await
    .expect("propose");
    c.decide_case(DecideCaseRequest {
        request_id: rid(),
        name: case.name.clone(),
        decision: None,
        reason: "决定 decided".into(),
    })
    .await
    .expect("decide")
    .into_inner()
}

/// Waits until every effect of the case is settled; returns the case.
pub async fn settled(c: &mut Acc, name: &str) -> Case {
    for _ in 0..400 {
        let case = c
            .get_case(GetCaseRequest { name: name.into() })
            .await
            .expect("get case")
            .into_inner();
        if !case.effects.is_empty()
            && case
                .effects
                .iter()
                .all(|e| e.state != EffectState::Pending as i32)
        {
            return case;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("effects of {name} were not settled in 20 s");
}

/// A document as evidence (an archive reference and its SHA-256).
pub fn document(reference: &str) -> Evidence {
    Evidence {
        kind: EvidenceKind::Document as i32,
        reference: reference.into(),
        sha256: "cd".repeat(32),
        note: "证据 evidence".into(),
        ..Default::default()
    }
}

/// The names of the cases `filter` lists (every page), sorted.
pub async fn case_names(c: &mut Acc, filter: CaseFilter) -> Vec<String> {
    let mut out = Vec::new();
    let mut token = String::new();
    loop {
        let r = c
            .list_cases(ListCasesRequest {
                filter: Some(filter.clone()),
                page_size: 100,
                page_token: token,
            })
            .await
            .expect("list cases")
            .into_inner();
        out.extend(r.cases.into_iter().map(|c| c.name));
        if r.next_page_token.is_empty() {
            out.sort();
            return out;
        }
        token = r.next_page_token;
    }
}

/// The case as it is now.
pub async fn get(c: &mut Acc, name: &str) -> Case {
    c.get_case(GetCaseRequest { name: name.into() })
        .await
        .expect("get case")
        .into_inner()
}

/// The actions of the case's events, in order.
pub async fn actions(c: &mut Acc, name: &str) -> Vec<String> {
    c.list_case_events(ListCaseEventsRequest {
        name: name.into(),
        ..Default::default()
    })
    .await
    .expect("list case events")
    .into_inner()
    .events
    .into_iter()
    .map(|e| e.action)
    .collect()
}

/// The notices issued from `source`, waiting up to 20 s for the first.
pub async fn notices_of(c: &mut Acc, source: &str) -> Vec<Notice> {
    for _ in 0..400 {
        let found = c
            .list_notices(ListNoticesRequest {
                source: source.into(),
                ..Default::default()
            })
            .await
            .expect("list notices")
            .into_inner()
            .notices;
        if !found.is_empty() {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no notice was issued from {source} in 20 s");
}
