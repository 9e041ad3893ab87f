//! Cases: opening (by the office, from a finding, from a ranking flag) and
//! every transition of Art. 12 and 21's procedure. Each handler checks the
//! request, calls the case rules (`crate::cases`) and answers with the
//! case as a reader sees it. An illegal transition is FAILED_PRECONDITION
//! naming the current state.
use probity_common::{
    AppError, AppResult, Violations,
    auth::Role,
    body_scope,
    names::{check_request_id, parse_top},
};
use probity_proto::accountability::v1::*;
use prost::Message;

use super::{
    Ctx, checks,
    convert::{self, Mirror},
    read::case_view,
};
use crate::{
    Accountability,
    cases::{
        self, Action,
        raise::{FindingAsk, FlagAsk, Opening, Raised},
        steps::{self, Leaders},
    },
    catalogue, lifecycle,
    rights::{self, Step},
    store::{self, CaseRow, rows},
};

fn case_id(v: &mut Violations, name: &str) -> String {
    match parse_top(name, "cases") {
        Some(id) => id,
        None => {
            v.add("name", "must be a resource name cases/{case}");
            String::new()
        }
    }
}

/// A case the caller may see, else NOT_FOUND (another department's cases
/// are not there, as far as it can tell).
pub fn visible(ctx: &Ctx, row: Option<CaseRow>, name: &str) -> AppResult<CaseRow> {
    let row = row.ok_or_else(|| AppError::not_found(name))?;
    body_scope::check(&ctx.principal, &row.body_path).map_err(|_| AppError::not_found(name))?;
    Ok(row)
}

/// The call a change answers: its request (for its id and replay) and the
/// case it names.
struct Call<'a, R> {
    request_id: &'a str,
    request: &'a R,
    name: &'a str,
    id: &'a str,
}

/// Who the caller is to the case `id` (`rights::Actor`). A department of
/// another body is placed by the registry (a superior authority is above
/// the unit); asked before the write, so no call waits under the lock.
async fn caller(acc: &Accountability, ctx: &Ctx, id: &str) -> AppResult<rights::Actor> {
    let p = &ctx.principal;
    let unit = if p.role == Role::Department {
        match store::cases::load(&acc.store.db, id).await? {
            // Not there, or not the caller's to see: NOT_FOUND in the write.
            Some(row) if body_scope::check(p, &row.body_path).is_ok() => row.case.subject.body,
            _ => return Ok(rights::Actor::Other),
        }
    } else {
        String::new()
    };
    rights::actor(p, &unit, || acc.peers.body_path(&unit)).await
}

/// One step on a case: replayed, or the case loaded under the chain lock,
/// escalated if it is due, the caller's right to the step checked
/// (`rights`), and the step applied (`cases::apply`), then committed.
async fn change<R: Message, F>(
    acc: &Accountability,
    ctx: &Ctx,
    call: Call<'_, R>,
    action: Action,
    reason: &str,
    rule: F,
) -> AppResult<Case>
where
    F: FnOnce(&mut rows::CaseRecord) -> AppResult<()>,
{
    if let Some(done) = acc
        .store
        .replay(&ctx.principal, ctx.method, call.request_id, call.request)
        .await?
    {
        return Ok(done);
    }
    let actor = caller(acc, ctx, call.id).await?;
    let mut w = acc
        .store
        .write(&ctx.principal, ctx.method, call.request_id, call.request)
        .await?;
    if let Some(done) = w.replayed::<Case>()? {
        return Ok(done);
    }
    let mut row = visible(ctx, store::cases::load(w.txn(), call.id).await?, call.name)?;
    cases::escalate::if_due(acc, &mut w, &mut row).await?;
    let escalated = row.case.escalate_time.is_some();
    rights::check(&row.case, Step::Act(action), actor, escalated)?;
    let (p, m) = (&ctx.principal, ctx.method);
    let row = cases::apply(acc, &mut w, p, m, row, (action, reason), rule).await?;
    let out = case_view(acc, w.txn(), &row).await?;
    let out = w.commit(out).await?;
    if action == Action::Execute {
        // After commit: the dispatchers must see the rows.
        acc.wake.notify_one();
        acc.notices_wake.notify_one();
    }
    Ok(out)
}

/// Creates a raised case unless its origin already raised one.
async fn raise<R: Message>(
    acc: &Accountability,
    ctx: &Ctx,
    request_id: &str,
    request: &R,
    raised: Raised,
) -> AppResult<RaiseCaseResponse> {
    let mut w = acc
        .store
        .write(&ctx.principal, ctx.method, request_id, request)
        .await?;
    if let Some(done) = w.replayed::<RaiseCaseResponse>()? {
        return Ok(done);
    }
    let Raised {
        case,
        body_path,
        reason,
    } = raised;
    let (p, m) = (&ctx.principal, ctx.method);
    let (mut row, created) = lifecycle::create(&mut w, p, m, case, &body_path, &reason).await?;
    if created && cases::art6::applies(&row.case) {
        cases::art6::decide(&mut w, p, m, &mut row).await?;
    }
    let out = RaiseCaseResponse {
        case: Some(case_view(acc, w.txn(), &row).await?),
        created,
    };
    if !created {
        // Nothing was written: the transaction rolls back.
        return Ok(out);
    }
    w.commit(out).await
}

fn subject_kind(v: &mut Violations, name: &str, field: &str) -> Option<rows::SubjectKind> {
    if parse_top(name, "officers").is_some() {
        Some(rows::SubjectKind::Officer)
    } else if parse_top(name, "bodies").is_some() {
        Some(rows::SubjectKind::Body)
    } else {
        v.add(field, "must be bodies/{body} or officers/{officer}");
        None
    }
}

pub async fn open_case(acc: &Accountability, ctx: &Ctx, r: OpenCaseRequest) -> AppResult<Case> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    let subject = r.subject.clone().unwrap_or_default();
    let kind = subject_kind(&mut v, &subject.name, "subject.name");
    if kind == Some(rows::SubjectKind::Officer)
        && !(subject.principal_leader.is_empty() && subject.responsible_leader.is_empty())
    {
        v.add("subject", "leaders are named only for a body");
    }
    v.max_len(&subject.principal_leader, 200, "subject.principal_leader");
    v.max_len(
        &subject.responsible_leader,
        200,
        "subject.responsible_leader",
    );
    checks::grounds(&mut v, &r.grounds, kind, "grounds");
    v.non_empty(&r.title, "title");
    v.max_len(&r.title, 200, "title");
    checks::evidence(&mut v, &r.evidence, "evidence");
    checks::reason(&mut v, &r.reason, "reason");
    v.finish()?;
    super::replay_first!(acc, ctx, r);
    let opening = Opening {
        subject: subject.name,
        principal_leader: subject.principal_leader,
        responsible_leader: subject.responsible_leader,
        grounds: r.grounds.iter().map(convert::ground_in).collect(),
        title: r.title.clone(),
        evidence: convert::evidence_list_in(&r.evidence),
        reason: r.reason.clone(),
    };
    let raised = cases::raise::opened(acc, opening).await?;
    if body_scope::check(&ctx.principal, &raised.body_path).is_err() {
        return Err(AppError::not_found(&raised.case.subject.name));
    }
    let path = raised.body_path.clone();
    let actor = rights::actor(&ctx.principal, &raised.case.subject.body, || async {
        Ok(path)
    })
    .await?;
    rights::check(&raised.case, Step::Open, actor, false)?;
    let mut w = acc
        .store
        .write(&ctx.principal, ctx.method, &r.request_id, &r)
        .await?;
    if let Some(done) = w.replayed::<Case>()? {
        return Ok(done);
    }
    let (p, m) = (&ctx.principal, ctx.method);
    let (case, path, why) = (raised.case, &raised.body_path, &raised.reason);
    let (row, _) = lifecycle::create(&mut w, p, m, case, path, why).await?;
    let out = case_view(acc, w.txn(), &row).await?;
    w.commit(out).await
}

/// Whom a case raised from a finding is against: an officer when asked
/// (or when an officer is named), else the finding's officer if it names
/// one, else the fact's body.
fn finding_subject(
    v: &mut Violations,
    r: &RaiseFromFindingRequest,
    f: &FindingRef,
) -> rows::SubjectKind {
    let mut asked = SubjectKind::try_from(r.subject_kind).unwrap_or_else(|_| {
        v.add("subject_kind", "BODY or OFFICER");
        SubjectKind::Unspecified
    });
    if !r.officer.is_empty() {
        if parse_top(&r.officer, "officers").is_none() {
            v.add("officer", "must be officers/{officer}");
        }
        if asked == SubjectKind::Body {
            v.add("officer", "a case against the body names no officer");
        }
        asked = SubjectKind::Officer;
    }
    if asked == SubjectKind::Officer && f.officer.is_empty() && r.officer.is_empty() {
        v.add(
            "officer",
            "the finding names no officer: say which of the act's officers",
        );
    }
    if asked == SubjectKind::Officer || (asked != SubjectKind::Body && !f.officer.is_empty()) {
        rows::SubjectKind::Officer
    } else {
        rows::SubjectKind::Body
    }
}

pub async fn raise_from_finding(
    acc: &Accountability,
    ctx: &Ctx,
    r: RaiseFromFindingRequest,
) -> AppResult<RaiseCaseResponse> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    let f = r.finding.clone().unwrap_or_default();
    if parse_top(&f.fact, "facts").is_none() {
        v.add("finding.fact", "must be facts/{fact}");
    }
    v.check(f.revision >= 1, "finding.revision", "must be at least 1");
    v.non_empty(&f.rule, "finding.rule");
    v.max_len(&f.rule, 64, "finding.rule");
    if !f.officer.is_empty() && parse_top(&f.officer, "officers").is_none() {
        v.add("finding.officer", "must be officers/{officer}");
    }
    let kind = finding_subject(&mut v, &r, &f);
    if !r.grounds.is_empty() {
        checks::grounds(&mut v, &r.grounds, Some(kind), "grounds");
    }
    v.max_len(&r.title, 200, "title");
    v.finish()?;
    super::replay_first!(acc, ctx, r);
    let ask = FindingAsk {
        fact: f.fact,
        revision: f.revision,
        rule: f.rule,
        finding_officer: f.officer,
        officer: r.officer.clone(),
        kind,
        grounds: r.grounds.iter().map(convert::ground_in).collect(),
        title: r.title.clone(),
    };
    let raised = cases::raise::from_finding(acc, ask).await?;
    raise(acc, ctx, &r.request_id, &r, raised).await
}

pub async fn raise_from_flag(
    acc: &Accountability,
    ctx: &Ctx,
    r: RaiseFromFlagRequest,
) -> AppResult<RaiseCaseResponse> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    let flag = r.flag.clone().unwrap_or_default();
    v.check(
        (2000..=2100).contains(&flag.year),
        "flag.year",
        "must be a year 2000-2100",
    );
    let kind = FlagKind::try_from(flag.kind).unwrap_or_default();
    if kind == FlagKind::Unspecified {
        v.add(
            "flag.kind",
            "BELOW_THRESHOLD, FAILING or DRAWN_SHARE_BELOW_PLAN",
        );
    }
    let sk = subject_kind(&mut v, &flag.subject, "flag.subject");
    if kind == FlagKind::BelowThreshold && sk == Some(rows::SubjectKind::Body) {
        v.add("flag.subject", "Art. 20(2) flags are about officers");
    }
    if kind == FlagKind::DrawnShareBelowPlan && sk == Some(rows::SubjectKind::Officer) {
        v.add(
            "flag.subject",
            "Art. 19(7) flags are about bodies (the unit whose inspections were not drawn)",
        );
    }
    v.non_empty(&flag.run, "flag.run");
    v.max_len(&flag.run, 128, "flag.run");
    v.max_len(&flag.peer_group, 200, "flag.peer_group");
    v.check(
        flag.score.is_finite() && flag.threshold.is_finite(),
        "flag.score",
        "must be finite numbers",
    );
    v.finish()?;
    super::replay_first!(acc, ctx, r);
    let ask = FlagAsk {
        year: flag.year,
        kind: kind.as_str_name(),
        ground: catalogue::flag_ground(kind),
        subject: flag.subject,
        score: flag.score,
        threshold: flag.threshold,
        peer_group: flag.peer_group,
        run: flag.run,
    };
    let raised = cases::raise::from_flag(acc, ask).await?;
    raise(acc, ctx, &r.request_id, &r, raised).await
}

pub async fn add_evidence(
    acc: &Accountability,
    ctx: &Ctx,
    r: AddEvidenceRequest,
) -> AppResult<Case> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    let id = case_id(&mut v, &r.name);
    if r.evidence.is_empty() {
        v.add("evidence", "at least one");
    }
    checks::evidence(&mut v, &r.evidence, "evidence");
    v.finish()?;
    let by = ctx.principal.subject.clone();
    let now = chrono::Utc::now();
    let reason = format!("{} item(s) of evidence", r.evidence.len());
    let list = convert::evidence_list_in(&r.evidence);
    let call = Call {
        request_id: &r.request_id,
        request: &r,
        name: &r.name,
        id: &id,
    };
    change(acc, ctx, call, Action::AddEvidence, &reason, |c| {
        steps::add_evidence(c, list, &by, now)
    })
    .await
}

/// A transition's request: only a reason, each method its own message
/// (AIP-136) of the same three fields.
trait Transition: Message {
    /// (request_id, name, reason)
    fn fields(&self) -> (&str, &str, &str);
}

macro_rules! transition_requests {
    ($($t:ty),*) => {$(
        impl Transition for $t {
            fn fields(&self) -> (&str, &str, &str) {
                (&self.request_id, &self.name, &self.reason)
            }
        }
    )*};
}
transition_requests!(
    StartInvestigationRequest,
    ContestDecisionRequest,
    ExecuteDecisionRequest,
    CloseCaseRequest,
    DismissCaseRequest
);

/// A transition that takes only a reason: checked, then [`change`].
async fn transition<R: Transition, F>(
    acc: &Accountability,
    ctx: &Ctx,
    r: &R,
    action: Action,
    rule: F,
) -> AppResult<Case>
where
    F: FnOnce(&mut rows::CaseRecord) -> AppResult<()>,
{
    let (request_id, name, reason) = r.fields();
    let mut v = Violations::new();
    check_request_id(&mut v, request_id);
    let id = case_id(&mut v, name);
    checks::reason(&mut v, reason, "reason");
    v.finish()?;
    let call = Call {
        request_id,
        request: r,
        name,
        id: &id,
    };
    change(acc, ctx, call, action, reason, rule).await
}

pub async fn start_investigation(
    acc: &Accountability,
    ctx: &Ctx,
    r: StartInvestigationRequest,
) -> AppResult<Case> {
    transition(acc, ctx, &r, Action::StartInvestigation, |_| Ok(())).await
}

/// Checks a proposal or decision with the rest of the request (`v`), in one
/// round: the case is loaded first (when named well) for what depends on its
/// subject; its state is checked again under the lock.
async fn with_decision(
    acc: &Accountability,
    ctx: &Ctx,
    mut v: Violations,
    (id, name): (&str, &str),
    asked: Asked<'_>,
) -> AppResult<()> {
    let Asked {
        decision: d,
        field,
        leaders,
    } = asked;
    let mut case = if id.is_empty() {
        None
    } else {
        store::cases::load(&acc.store.db, id)
            .await?
            .filter(|row| body_scope::check(&ctx.principal, &row.body_path).is_ok())
            .map(|row| row.case)
    };
    if let Some(c) = case.as_mut() {
        leaders.check(&mut v, c);
        leaders.name(c);
    }
    checks::decision(&mut v, d, case.as_ref(), field);
    v.finish()?;
    let case = case.ok_or_else(|| AppError::not_found(name))?;
    if let Some(d) = d {
        checks::severity_rule(d, &case)?;
    }
    Ok(())
}

/// The proposal or decision a call asks for, and the leaders it names.
struct Asked<'a> {
    decision: Option<&'a Decision>,
    field: &'static str,
    leaders: Leaders<'a>,
}

impl<'a> Asked<'a> {
    fn decision(d: Option<&'a Decision>) -> Self {
        Asked {
            decision: d,
            field: "decision",
            leaders: Leaders::default(),
        }
    }
}

/// The decision a request gives, as made now by the caller.
fn given(ctx: &Ctx, d: Option<&Decision>) -> Option<rows::Decision> {
    d.map(|d| steps::stamped(convert::decision_in(d), &ctx.principal.subject))
}

pub async fn propose_decision(
    acc: &Accountability,
    ctx: &Ctx,
    r: ProposeDecisionRequest,
) -> AppResult<Case> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    let id = case_id(&mut v, &r.name);
    let leaders = Leaders {
        principal: &r.principal_leader,
        responsible: &r.responsible_leader,
    };
    let asked = Asked {
        decision: r.proposal.as_ref(),
        field: "proposal",
        leaders,
    };
    with_decision(acc, ctx, v, (&id, &r.name), asked).await?;
    let proposal = given(ctx, r.proposal.as_ref()).expect("checked");
    let reason = lifecycle::truncate(&proposal.reasoning, checks::MAX_TEXT);
    let call = Call {
        request_id: &r.request_id,
        request: &r,
        name: &r.name,
        id: &id,
    };
    change(acc, ctx, call, Action::Propose, &reason, |c| {
        steps::propose(c, &leaders, proposal)
    })
    .await
}

pub async fn decide_case(acc: &Accountability, ctx: &Ctx, r: DecideCaseRequest) -> AppResult<Case> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    let id = case_id(&mut v, &r.name);
    checks::reason(&mut v, &r.reason, "reason");
    if r.decision.is_some() {
        let asked = Asked::decision(r.decision.as_ref());
        with_decision(acc, ctx, v, (&id, &r.name), asked).await?;
    } else {
        v.finish()?;
    }
    let decision = given(ctx, r.decision.as_ref());
    let by = ctx.principal.subject.clone();
    let call = Call {
        request_id: &r.request_id,
        request: &r,
        name: &r.name,
        id: &id,
    };
    let body = ctx
        .principal
        .department_body()
        .map(|b| format!("bodies/{b}"))
        .unwrap_or_default();
    change(acc, ctx, call, Action::Decide, &r.reason, |c| {
        steps::decide(c, decision, &by)?;
        if let Some(d) = c.decision.as_mut() {
            d.decided_body = body;
        }
        Ok(())
    })
    .await
}

pub async fn contest_decision(
    acc: &Accountability,
    ctx: &Ctx,
    r: ContestDecisionRequest,
) -> AppResult<Case> {
    let by = &ctx.principal.subject;
    transition(acc, ctx, &r, Action::Contest, |c| {
        steps::contest(c, &r.reason, by)
    })
    .await
}

pub async fn resolve_contest(
    acc: &Accountability,
    ctx: &Ctx,
    r: ResolveContestRequest,
) -> AppResult<Case> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    let id = case_id(&mut v, &r.name);
    checks::reason(&mut v, &r.reason, "reason");
    let outcome = ContestOutcome::try_from(r.outcome).unwrap_or_default();
    match outcome {
        ContestOutcome::Upheld if r.decision.is_some() => {
            v.add("decision", "only when the outcome is CHANGED")
        }
        ContestOutcome::Upheld | ContestOutcome::Changed => {}
        _ => v.add("outcome", "UPHELD or CHANGED"),
    }
    let mut changed = None;
    if outcome == ContestOutcome::Changed {
        let asked = Asked::decision(r.decision.as_ref());
        with_decision(acc, ctx, v, (&id, &r.name), asked).await?;
        changed = given(ctx, r.decision.as_ref());
    } else {
        v.finish()?;
    }
    let by = &ctx.principal.subject;
    let outcome = rows::ContestOutcome::from_pb(outcome as i32);
    let call = Call {
        request_id: &r.request_id,
        request: &r,
        name: &r.name,
        id: &id,
    };
    change(acc, ctx, call, Action::ResolveContest, &r.reason, |c| {
        steps::resolve(c, outcome, &r.reason, by, changed)
    })
    .await
}

pub async fn execute_decision(
    acc: &Accountability,
    ctx: &Ctx,
    r: ExecuteDecisionRequest,
) -> AppResult<Case> {
    transition(acc, ctx, &r, Action::Execute, steps::execute).await
}

pub async fn close_case(acc: &Accountability, ctx: &Ctx, r: CloseCaseRequest) -> AppResult<Case> {
    transition(acc, ctx, &r, Action::Close, |_| Ok(())).await
}

pub async fn dismiss_case(
    acc: &Accountability,
    ctx: &Ctx,
    r: DismissCaseRequest,
) -> AppResult<Case> {
    transition(acc, ctx, &r, Action::Dismiss, |c| {
        steps::dismiss(c, &r.reason)
    })
    .await
}
