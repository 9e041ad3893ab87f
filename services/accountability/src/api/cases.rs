//! Cases: opening (by the office, from a finding, from a ranking flag) and
//! every transition of Art. 12 and 21's procedure, each audited with actor,
//! time and reason. An illegal transition is FAILED_PRECONDITION naming the
//! current state.
use probity_common::{
    AppError, AppResult, Reason, Violations, body_scope,
    names::{check_request_id, parse_top, to_ts},
};
use probity_proto::accountability::v1::*;
use prost::Message;

use super::{Ctx, checks};
use crate::{
    Accountability, catalogue, effects,
    lifecycle::{self, truncate},
    store::{self, CaseRow, Event},
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

fn illegal(action: &str, current: i32, from: &[CaseState]) -> AppError {
    let allowed: Vec<&str> = from.iter().map(|s| s.as_str_name()).collect();
    AppError::refused(
        Reason::IllegalTransition,
        format!(
            "{action} is not possible: the case is {} (it needs {})",
            store::state_name(current),
            allowed.join(" or ")
        ),
    )
}

/// One change to a case: load it under the chain lock, check its state,
/// apply `f`, store it and its event, commit. `f` may refuse.
#[allow(clippy::too_many_arguments)]
async fn change<R: Message, F>(
    acc: &Accountability,
    ctx: &Ctx,
    request_id: &str,
    request: &R,
    name: &str,
    id: &str,
    action: &'static str,
    from: &[CaseState],
    to: Option<CaseState>,
    reason: &str,
    f: F,
) -> AppResult<Case>
where
    F: FnOnce(&mut Case) -> AppResult<()>,
{
    let mut w = acc
        .store
        .write(&ctx.principal, ctx.method, request_id, request)
        .await?;
    if let Some(done) = w.replayed::<Case>()? {
        return Ok(done);
    }
    let mut row = visible(ctx, store::load_case(w.txn(), id).await?, name)?;
    let before = row.case.state;
    if !from.iter().any(|s| *s as i32 == before) {
        return Err(illegal(action, before, from));
    }
    if to == Some(CaseState::Closed) {
        // Counted under the lock: an effect written by a concurrent Execute
        // or settled by the dispatcher is seen as it is.
        let pending = effects::of_case(w.txn(), &row.id)
            .await?
            .iter()
            .filter(|e| e.state == EffectState::Pending as i32)
            .count();
        if pending > 0 {
            return Err(AppError::refused(
                Reason::EffectsPending,
                format!("{pending} effect(s) still wait for the registry (current state EXECUTED)"),
            ));
        }
    }
    f(&mut row.case)?;
    let now = chrono::Utc::now();
    if let Some(to) = to
        && to as i32 != before
    {
        row.case.state = to as i32;
        row.case.state_time = Some(to_ts(now));
        row.state_us = now.timestamp_micros();
    }
    row.case.version += 1;
    if to == Some(CaseState::Executed) {
        let n =
            effects::insert(w.txn(), &row.id, &row.case, reason, now.timestamp_micros()).await?;
        if n > 0 {
            acc.wake.notify_one();
        }
    }
    store::save_case(w.txn(), &row).await?;
    store::append(
        &mut w,
        &ctx.principal,
        ctx.method,
        Event {
            entity: name,
            action,
            from: before,
            to: row.case.state,
            reason,
            doc: row.case.encode_to_vec(),
        },
    )
    .await?;
    let out = lifecycle::view(acc, w.txn(), &row).await?;
    let out = w.commit(out).await?;
    if to == Some(CaseState::Executed) {
        // After commit: the dispatcher must see the rows.
        acc.wake.notify_one();
    }
    Ok(out)
}

pub async fn open_case(acc: &Accountability, ctx: &Ctx, r: OpenCaseRequest) -> AppResult<Case> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    let subject = r.subject.clone().unwrap_or_default();
    let kind = subject_kind(&mut v, &subject.name, "subject.name");
    if kind == Some(SubjectKind::Officer)
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
    let who = acc.peers.resolve(&subject.name, "subject.name").await?;
    let case = Case {
        subject: Some(Subject {
            name: subject.name.clone(),
            kind: who.kind as i32,
            body: who.body.clone(),
            principal_leader: subject.principal_leader.clone(),
            responsible_leader: subject.responsible_leader.clone(),
            display_name: who.display_name.clone(),
        }),
        grounds: r.grounds.clone(),
        origin: Some(Origin {
            kind: OriginKind::Manual as i32,
            ..Default::default()
        }),
        title: r.title.clone(),
        evidence: unstamped(&r.evidence),
        ..Default::default()
    };
    let mut w = acc
        .store
        .write(&ctx.principal, ctx.method, &r.request_id, &r)
        .await?;
    if let Some(done) = w.replayed::<Case>()? {
        return Ok(done);
    }
    let (row, _) = lifecycle::create(
        &mut w,
        &ctx.principal,
        ctx.method,
        case,
        &who.body_path,
        &r.reason,
    )
    .await?;
    let out = lifecycle::view(acc, w.txn(), &row).await?;
    w.commit(out).await
}

/// Evidence as a client sent it, without the output-only stamps it may carry.
pub fn unstamped(list: &[Evidence]) -> Vec<Evidence> {
    list.iter()
        .map(|e| Evidence {
            added_by: String::new(),
            add_time: None,
            ..e.clone()
        })
        .collect()
}

fn subject_kind(v: &mut Violations, name: &str, field: &str) -> Option<SubjectKind> {
    if parse_top(name, "officers").is_some() {
        Some(SubjectKind::Officer)
    } else if parse_top(name, "bodies").is_some() {
        Some(SubjectKind::Body)
    } else {
        v.add(field, "must be bodies/{body} or officers/{officer}");
        None
    }
}

/// Creates a raised case unless its origin already raised one.
async fn raise<R: Message>(
    acc: &Accountability,
    ctx: &Ctx,
    request_id: &str,
    request: &R,
    case: Case,
    body_path: &str,
    reason: &str,
) -> AppResult<RaiseCaseResponse> {
    let mut w = acc
        .store
        .write(&ctx.principal, ctx.method, request_id, request)
        .await?;
    if let Some(done) = w.replayed::<RaiseCaseResponse>()? {
        return Ok(done);
    }
    let (row, created) =
        lifecycle::create(&mut w, &ctx.principal, ctx.method, case, body_path, reason).await?;
    let out = RaiseCaseResponse {
        case: Some(lifecycle::view(acc, w.txn(), &row).await?),
        created,
    };
    if !created {
        // Nothing was written: the transaction rolls back.
        return Ok(out);
    }
    w.commit(out).await
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
    let kind =
        if asked == SubjectKind::Officer || (asked != SubjectKind::Body && !f.officer.is_empty()) {
            SubjectKind::Officer
        } else {
            SubjectKind::Body
        };
    if !r.grounds.is_empty() {
        checks::grounds(&mut v, &r.grounds, Some(kind), "grounds");
    }
    v.max_len(&r.title, 200, "title");
    v.finish()?;
    super::replay_first!(acc, ctx, r);
    let revisions = acc.peers.fact_revisions(&f.fact, "finding.fact").await?;
    let in_force = |state: i32| {
        use probity_proto::intake::v1::FindingState as S;
        [S::Open, S::SupersededPending, S::Upheld]
            .iter()
            .any(|s| *s as i32 == state)
    };
    let fact = revisions
        .iter()
        .find(|x| x.revision == f.revision)
        .ok_or_else(|| AppError::invalid("finding.revision", "the fact has no such revision"))?;
    // The revision's view holds the findings on record up to it, each as it
    // stands now; one still in force first (a breach shown again after the
    // office cleared it is a finding of its own).
    let matching = || {
        fact.findings
            .iter()
            .filter(|x| x.rule == f.rule && x.officer == f.officer)
    };
    let finding = matching()
        .find(|x| in_force(x.state))
        .or_else(|| matching().next())
        .ok_or_else(|| AppError::invalid("finding", "that revision has no such finding"))?;
    // A correction or a void does not withdraw a finding (it stays in force
    // until the office rules); only the office's clearing does.
    if !in_force(finding.state) {
        return Err(AppError::refused(
            Reason::FindingCleared,
            format!(
                "{} was cleared by the legal-affairs office ({}): it raises no case",
                finding.name, finding.ruling_reason
            ),
        ));
    }
    let subject_name = match kind {
        SubjectKind::Officer if r.officer.is_empty() => finding.officer.clone(),
        SubjectKind::Officer => {
            let ok = if finding.officer.is_empty() {
                fact.named_officers().contains(&r.officer)
            } else {
                finding.officer == r.officer
            };
            if !ok {
                return Err(AppError::invalid(
                    "officer",
                    "neither the finding's officer nor one of the act's officers",
                ));
            }
            r.officer.clone()
        }
        _ => fact.body.clone(),
    };
    let who = acc.peers.resolve(&subject_name, "finding").await?;
    let grounds = if r.grounds.is_empty() {
        vec![Ground {
            code: catalogue::finding_ground(&finding.rule, kind).into(),
            detail: truncate(&finding.detail, checks::MAX_TEXT),
            ..Default::default()
        }]
    } else {
        r.grounds.clone()
    };
    let title = if r.title.is_empty() {
        truncate(
            &format!("{} ({}): {}", finding.rule, finding.article, finding.detail),
            200,
        )
    } else {
        r.title.clone()
    };
    let case = Case {
        subject: Some(Subject {
            name: subject_name.clone(),
            kind: kind as i32,
            body: who.body.clone(),
            display_name: who.display_name.clone(),
            ..Default::default()
        }),
        grounds,
        origin: Some(Origin {
            kind: OriginKind::Finding as i32,
            reference: f.fact.clone(),
            // One case per finding and subject, whatever revision of the
            // fact shows it.
            key: format!(
                "finding:{}:{}:{}:{}",
                f.fact, f.rule, f.officer, subject_name
            ),
        }),
        title,
        evidence: vec![Evidence {
            kind: EvidenceKind::Finding as i32,
            reference: f.fact.clone(),
            revision: f.revision,
            rule: f.rule.clone(),
            officer: f.officer.clone(),
            note: truncate(&finding.detail, checks::MAX_TEXT),
            ..Default::default()
        }],
        ..Default::default()
    };
    let reason = format!("raised from finding {} on {}", f.rule, f.fact);
    raise(acc, ctx, &r.request_id, &r, case, &who.body_path, &reason).await
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
        v.add("flag.kind", "BELOW_THRESHOLD or FAILING");
    }
    let sk = subject_kind(&mut v, &flag.subject, "flag.subject");
    if kind == FlagKind::BelowThreshold && sk == Some(SubjectKind::Body) {
        v.add("flag.subject", "Art. 20(2) flags are about officers");
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
    let who = acc.peers.resolve(&flag.subject, "flag.subject").await?;
    let reference = format!(
        "rankings/{}/{}/{}",
        flag.year,
        kind.as_str_name(),
        flag.subject
    );
    let code = catalogue::flag_ground(kind);
    let detail = format!(
        "{} {}: score {:.4} below {:.4} (peer group {}, run {})",
        flag.year,
        kind.as_str_name(),
        flag.score,
        flag.threshold,
        flag.peer_group,
        flag.run
    );
    let case = Case {
        subject: Some(Subject {
            name: flag.subject.clone(),
            kind: who.kind as i32,
            body: who.body.clone(),
            display_name: who.display_name.clone(),
            ..Default::default()
        }),
        grounds: vec![Ground {
            code: code.into(),
            detail: detail.clone(),
            ..Default::default()
        }],
        origin: Some(Origin {
            kind: OriginKind::RankingFlag as i32,
            reference: reference.clone(),
            // One case per year, kind and subject: the nightly runs of a
            // year raise the same flag again and again.
            key: format!("flag:{}:{}:{}", flag.year, kind.as_str_name(), flag.subject),
        }),
        title: truncate(
            &format!(
                "{}: {}",
                catalogue::ground(code).map(|g| g.zh).unwrap_or(code),
                detail
            ),
            200,
        ),
        evidence: vec![Evidence {
            kind: EvidenceKind::RankingFlag as i32,
            reference,
            note: detail,
            ..Default::default()
        }],
        ..Default::default()
    };
    raise(
        acc,
        ctx,
        &r.request_id,
        &r,
        case,
        &who.body_path,
        "raised from a ranking flag",
    )
    .await
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
    let now = to_ts(chrono::Utc::now());
    let reason = format!("{} item(s) of evidence", r.evidence.len());
    change(
        acc,
        ctx,
        &r.request_id,
        &r,
        &r.name,
        &id,
        "ADD_EVIDENCE",
        &[
            CaseState::Opened,
            CaseState::Investigating,
            CaseState::Proposed,
            CaseState::Contested,
        ],
        None,
        &reason,
        |c| {
            if c.evidence.len() + r.evidence.len() > 1000 {
                return Err(AppError::refused(
                    Reason::TooMuchEvidence,
                    "a case holds at most 1000 items of evidence",
                ));
            }
            for e in &r.evidence {
                let mut e = e.clone();
                e.added_by = by.clone();
                e.add_time = Some(now);
                c.evidence.push(e);
            }
            Ok(())
        },
    )
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

fn transition_input(r: &impl Transition) -> AppResult<String> {
    let (request_id, name, reason) = r.fields();
    let mut v = Violations::new();
    check_request_id(&mut v, request_id);
    let id = case_id(&mut v, name);
    checks::reason(&mut v, reason, "reason");
    v.finish()?;
    Ok(id)
}

/// A transition that takes only a reason: checked, then [`change`].
async fn transition<R: Transition, F>(
    acc: &Accountability,
    ctx: &Ctx,
    r: &R,
    action: &'static str,
    from: &[CaseState],
    to: CaseState,
    f: F,
) -> AppResult<Case>
where
    F: FnOnce(&mut Case) -> AppResult<()>,
{
    let id = transition_input(r)?;
    let (request_id, name, reason) = r.fields();
    change(
        acc,
        ctx,
        request_id,
        r,
        name,
        &id,
        action,
        from,
        Some(to),
        reason,
        f,
    )
    .await
}

pub async fn start_investigation(
    acc: &Accountability,
    ctx: &Ctx,
    r: StartInvestigationRequest,
) -> AppResult<Case> {
    let (from, to) = ([CaseState::Opened], CaseState::Investigating);
    transition(acc, ctx, &r, "START_INVESTIGATION", &from, to, |_| Ok(())).await
}

/// Checks a proposal or decision with the rest of the request (`v`), in one
/// round: the case is loaded first (when named well) for what depends on its
/// subject; its state is checked again under the lock.
async fn with_decision(
    acc: &Accountability,
    ctx: &Ctx,
    mut v: Violations,
    id: &str,
    name: &str,
    asked: Asked<'_>,
) -> AppResult<Case> {
    let Asked {
        decision: d,
        field,
        leaders,
    } = asked;
    let mut case = if id.is_empty() {
        None
    } else {
        store::load_case(&acc.store.db, id)
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
    Ok(case)
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

/// Leaders a proposal names for a body case raised without them (Art. 19).
#[derive(Clone, Copy, Default)]
struct Leaders<'a> {
    principal: &'a str,
    responsible: &'a str,
}

impl Leaders<'_> {
    fn check(&self, v: &mut Violations, case: &Case) {
        for (value, field) in [
            (self.principal, "principal_leader"),
            (self.responsible, "responsible_leader"),
        ] {
            v.max_len(value, 200, field);
            let body = case
                .subject
                .as_ref()
                .is_some_and(|s| s.kind == SubjectKind::Body as i32);
            v.check(
                value.is_empty() || body,
                field,
                "leaders are named only in cases against a body",
            );
        }
    }

    /// The case with the names given (those not given are left as they are).
    fn name(&self, case: &mut Case) {
        if let Some(s) = case.subject.as_mut() {
            if !self.principal.trim().is_empty() {
                s.principal_leader = self.principal.trim().to_string();
            }
            if !self.responsible.trim().is_empty() {
                s.responsible_leader = self.responsible.trim().to_string();
            }
        }
    }
}

/// Refuses a decision whose withholding or rectification date has passed:
/// it could no longer be carried out as decided.
fn lapsed(d: &Decision) -> AppResult<()> {
    let now = chrono::Utc::now();
    let past = |t: &Option<prost_types::Timestamp>| {
        t.as_ref()
            .and_then(probity_common::names::from_ts)
            .is_some_and(|t| t <= now)
    };
    let gone = d.sanctions.iter().any(|s| {
        (s.kind == SanctionKind::CredentialWithheld as i32 && past(&s.until))
            || (s.kind == SanctionKind::Rectification as i32 && past(&s.deadline))
    });
    if gone {
        return Err(AppError::refused(
            Reason::DecisionLapsed,
            "a date in the decision has passed (withheld until / rectify by): decide anew with new dates (current state CASE_STATE_DECIDED or CASE_STATE_PROPOSED)",
        ));
    }
    Ok(())
}

fn stamped(d: &Decision, ctx: &Ctx) -> Decision {
    let mut d = d.clone();
    d.decided_by = ctx.principal.subject.clone();
    d.time = Some(to_ts(chrono::Utc::now()));
    d
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
    with_decision(acc, ctx, v, &id, &r.name, asked).await?;
    let proposal = stamped(r.proposal.as_ref().expect("checked"), ctx);
    let reason = truncate(&proposal.reasoning, checks::MAX_TEXT);
    change(
        acc,
        ctx,
        &r.request_id,
        &r,
        &r.name,
        &id,
        "PROPOSE",
        &[CaseState::Investigating, CaseState::Proposed],
        Some(CaseState::Proposed),
        &reason,
        |c| {
            leaders.name(c);
            c.proposal = Some(proposal);
            Ok(())
        },
    )
    .await
}

pub async fn decide_case(acc: &Accountability, ctx: &Ctx, r: DecideCaseRequest) -> AppResult<Case> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    let id = case_id(&mut v, &r.name);
    checks::reason(&mut v, &r.reason, "reason");
    if r.decision.is_some() {
        with_decision(
            acc,
            ctx,
            v,
            &id,
            &r.name,
            Asked::decision(r.decision.as_ref()),
        )
        .await?;
    } else {
        v.finish()?;
    }
    let given = r.decision.as_ref().map(|d| stamped(d, ctx));
    let by = ctx.principal.subject.clone();
    change(
        acc,
        ctx,
        &r.request_id,
        &r,
        &r.name,
        &id,
        "DECIDE",
        // From DECIDED only when a date in the decision has passed before it
        // was executed: the office decides anew (the lapsed decision stays in
        // the case's events); otherwise a decision stands until executed.
        &[CaseState::Proposed, CaseState::Decided],
        Some(CaseState::Decided),
        &r.reason,
        |c| {
            if c.state == CaseState::Decided as i32
                && c.decision.as_ref().map(lapsed).unwrap_or(Ok(())).is_ok()
            {
                return Err(illegal("DECIDE", c.state, &[CaseState::Proposed]));
            }
            let d = match given {
                Some(d) => d,
                None if c.state == CaseState::Decided as i32 => {
                    return Err(AppError::refused(
                        Reason::DecisionRequired,
                        "the case is decided (current state CASE_STATE_DECIDED): deciding anew needs the new decision",
                    ));
                }
                None => {
                    let mut d = c.proposal.clone().ok_or_else(|| {
                        AppError::refused(Reason::NoProposal, "there is no proposal to adopt")
                    })?;
                    lapsed(&d)?;
                    d.decided_by = by;
                    d.time = Some(to_ts(chrono::Utc::now()));
                    d
                }
            };
            if c.state == CaseState::Decided as i32 {
                // A new decision may be contested in its turn: a contest of
                // the lapsed one stays in the case's events.
                c.contest = None;
            }
            c.decision = Some(d);
            Ok(())
        },
    )
    .await
}

pub async fn contest_decision(
    acc: &Accountability,
    ctx: &Ctx,
    r: ContestDecisionRequest,
) -> AppResult<Case> {
    let (by, reason) = (ctx.principal.subject.clone(), r.reason.clone());
    let (from, to) = ([CaseState::Decided], CaseState::Contested);
    transition(acc, ctx, &r, "CONTEST", &from, to, |c| {
        if c.contest.is_some() {
            return Err(AppError::refused(
                Reason::AlreadyContested,
                "a decision may be contested once; this case's was (current state DECIDED)",
            ));
        }
        c.contest = Some(Contest {
            reason,
            by,
            time: Some(to_ts(chrono::Utc::now())),
            outcome: ContestOutcome::Pending as i32,
            contested: c.decision.clone(),
            ..Default::default()
        });
        Ok(())
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
        with_decision(
            acc,
            ctx,
            v,
            &id,
            &r.name,
            Asked::decision(r.decision.as_ref()),
        )
        .await?;
        changed = Some(stamped(r.decision.as_ref().expect("checked"), ctx));
    } else {
        v.finish()?;
    }
    let by = ctx.principal.subject.clone();
    change(
        acc,
        ctx,
        &r.request_id,
        &r,
        &r.name,
        &id,
        "RESOLVE_CONTEST",
        &[CaseState::Contested],
        Some(CaseState::Decided),
        &r.reason,
        |c| {
            let contest = c.contest.get_or_insert_with(Default::default);
            contest.outcome = outcome as i32;
            contest.resolution = r.reason.clone();
            contest.resolved_by = by;
            contest.resolve_time = Some(to_ts(chrono::Utc::now()));
            match changed {
                Some(d) => c.decision = Some(d),
                None => c.decision.as_ref().map(lapsed).unwrap_or(Ok(()))?,
            }
            Ok(())
        },
    )
    .await
}

pub async fn execute_decision(
    acc: &Accountability,
    ctx: &Ctx,
    r: ExecuteDecisionRequest,
) -> AppResult<Case> {
    let (from, to) = ([CaseState::Decided], CaseState::Executed);
    transition(acc, ctx, &r, "EXECUTE", &from, to, |c| {
        c.decision.as_ref().map(lapsed).unwrap_or(Ok(()))
    })
    .await
}

pub async fn close_case(acc: &Accountability, ctx: &Ctx, r: CloseCaseRequest) -> AppResult<Case> {
    let (from, to) = ([CaseState::Executed], CaseState::Closed);
    transition(acc, ctx, &r, "CLOSE", &from, to, |_| Ok(())).await
}

pub async fn dismiss_case(
    acc: &Accountability,
    ctx: &Ctx,
    r: DismissCaseRequest,
) -> AppResult<Case> {
    let open = [
        CaseState::Opened,
        CaseState::Investigating,
        CaseState::Proposed,
    ];
    let reason = r.reason.clone();
    transition(acc, ctx, &r, "DISMISS", &open, CaseState::Dismissed, |c| {
        c.dismissal_reason = reason;
        Ok(())
    })
    .await
}
