//! What each step does to a case's record, and what it refuses: evidence
//! added, a proposal (naming a body's leaders), a decision adopted or made
//! anew, a contest and its resolution, a decision whose dates have passed.
//! Each is the `rule` of [`super::apply`] for its action.
use chrono::{DateTime, Utc};
use probity_common::{AppError, AppResult, Reason, Violations};

use super::{Action, illegal};
use crate::store::rows::{
    CaseRecord, CaseState, Contest, ContestOutcome, Decision, Evidence, SanctionKind, SubjectKind,
};

/// Items of evidence a case holds at most.
const MAX_CASE_EVIDENCE: usize = 1000;

/// Adds `list`, stamped with who added it and when.
pub fn add_evidence(
    c: &mut CaseRecord,
    list: Vec<Evidence>,
    by: &str,
    at: DateTime<Utc>,
) -> AppResult<()> {
    if c.evidence.len() + list.len() > MAX_CASE_EVIDENCE {
        return Err(AppError::refused(
            Reason::TooMuchEvidence,
            "a case holds at most 1000 items of evidence",
        ));
    }
    for mut e in list {
        e.added_by = by.to_string();
        e.add_time = Some(at);
        c.evidence.push(e);
    }
    Ok(())
}

/// A proposal or decision as made now by `by`.
pub fn stamped(mut d: Decision, by: &str) -> Decision {
    d.decided_by = by.to_string();
    d.time = Some(Utc::now());
    d
}

/// Leaders a proposal names for a body case raised without them (Art. 19).
#[derive(Clone, Copy, Default)]
pub struct Leaders<'a> {
    pub principal: &'a str,
    pub responsible: &'a str,
}

impl Leaders<'_> {
    /// Leaders are named only in cases against a body.
    pub fn check(&self, v: &mut Violations, case: &CaseRecord) {
        for (value, field) in [
            (self.principal, "principal_leader"),
            (self.responsible, "responsible_leader"),
        ] {
            v.max_len(value, 200, field);
            v.check(
                value.is_empty() || case.subject.kind == SubjectKind::Body,
                field,
                "leaders are named only in cases against a body",
            );
        }
    }

    /// The case with the names given (those not given are left as they are).
    pub fn name(&self, case: &mut CaseRecord) {
        let s = &mut case.subject;
        if !self.principal.trim().is_empty() {
            s.principal_leader = self.principal.trim().to_string();
        }
        if !self.responsible.trim().is_empty() {
            s.responsible_leader = self.responsible.trim().to_string();
        }
    }
}

/// PROPOSE: the proposal (made anew when revised), with the leaders named.
pub fn propose(c: &mut CaseRecord, leaders: &Leaders<'_>, proposal: Decision) -> AppResult<()> {
    leaders.name(c);
    c.proposal = Some(proposal);
    Ok(())
}

/// Refuses a decision whose withholding or rectification date has passed:
/// it could no longer be carried out as decided.
pub fn lapsed(d: &Decision) -> AppResult<()> {
    let now = Utc::now();
    let past = |t: &Option<DateTime<Utc>>| t.is_some_and(|t| t <= now);
    let gone = d.sanctions.iter().any(|s| {
        (s.kind == SanctionKind::CredentialWithheld && past(&s.until))
            || (s.kind == SanctionKind::Rectification && past(&s.deadline))
    });
    if gone {
        return Err(AppError::refused(
            Reason::DecisionLapsed,
            "a date in the decision has passed (withheld until / rectify by): decide anew with new dates (current state CASE_STATE_DECIDED or CASE_STATE_PROPOSED)",
        ));
    }
    Ok(())
}

/// The case's decision, if any, must not have lapsed.
fn in_force(c: &CaseRecord) -> AppResult<()> {
    c.decision.as_ref().map(lapsed).unwrap_or(Ok(()))
}

/// DECIDE: `given` (made by `by`), or else the proposal adopted. From
/// DECIDED only when that decision lapsed, and only with a new one (the
/// lapsed decision stays in the case's events).
pub fn decide(c: &mut CaseRecord, given: Option<Decision>, by: &str) -> AppResult<()> {
    let again = c.state == CaseState::Decided;
    if again && in_force(c).is_ok() {
        return Err(illegal(Action::Decide, c.state, &[CaseState::Proposed]));
    }
    let d = match given {
        Some(d) => d,
        None if again => {
            return Err(AppError::refused(
                Reason::DecisionRequired,
                "the case is decided (current state CASE_STATE_DECIDED): deciding anew needs the new decision",
            ));
        }
        None => {
            let d = c.proposal.clone().ok_or_else(|| {
                AppError::refused(Reason::NoProposal, "there is no proposal to adopt")
            })?;
            lapsed(&d)?;
            stamped(d, by)
        }
    };
    if again {
        // A new decision may be contested in its turn: a contest of the
        // lapsed one stays in the case's events.
        c.contest = None;
    }
    c.decision = Some(d);
    Ok(())
}

/// CONTEST: once per case, keeping the decision contested.
pub fn contest(c: &mut CaseRecord, reason: &str, by: &str) -> AppResult<()> {
    if c.contest.is_some() {
        return Err(AppError::refused(
            Reason::AlreadyContested,
            "a decision may be contested once; this case's was (current state DECIDED)",
        ));
    }
    c.contest = Some(Contest {
        reason: reason.to_string(),
        by: by.to_string(),
        time: Some(Utc::now()),
        outcome: ContestOutcome::Pending,
        contested: c.decision.clone(),
        ..Default::default()
    });
    Ok(())
}

/// RESOLVE_CONTEST: UPHELD keeps the decision (which must still be in
/// force), CHANGED puts `changed` in its place.
pub fn resolve(
    c: &mut CaseRecord,
    outcome: ContestOutcome,
    resolution: &str,
    by: &str,
    changed: Option<Decision>,
) -> AppResult<()> {
    let contest = c.contest.get_or_insert_with(Default::default);
    contest.outcome = outcome;
    contest.resolution = resolution.to_string();
    contest.resolved_by = by.to_string();
    contest.resolve_time = Some(Utc::now());
    match changed {
        Some(d) => c.decision = Some(d),
        None => in_force(c)?,
    }
    Ok(())
}

/// EXECUTE: only a decision still in force.
pub fn execute(c: &mut CaseRecord) -> AppResult<()> {
    in_force(c)
}

/// DISMISS: with its reason.
pub fn dismiss(c: &mut CaseRecord, reason: &str) -> AppResult<()> {
    c.dismissal_reason = reason.to_string();
    Ok(())
}
