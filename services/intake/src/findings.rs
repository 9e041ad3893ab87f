//! What the registry's answer and the referenced fact make of a submission:
//! structural errors the registry reveals (unknown body, officer or power,
//! a reference that does not fit), the findings (breaches, stored with the
//! fact), and the output fields intake computes (benchmark compliance,
//! wrongful case).
use probity_common::{AppError, Violations, names::parse_top};
use probity_proto::{
    intake::v1::{fact::Payload, *},
    registry::v1::{
        ActorProblem, CheckActorsRequest, CheckActorsResponse, GroupProblem, OfficerKind,
        PowerCategory,
    },
};
use probity_rules::{
    group::{power_held, staffing},
    major::{legal_review_problem, major_by_catalogue},
    time_limit,
};

use probity_rules::catalogue::{self as rules, Rule};

use crate::checks::Prepared;

/// The fact a submission refers to, as stored (or earlier in the same batch).
#[derive(Debug, Clone)]
pub struct Referenced {
    pub fact: Fact,
    pub occurred_us: i64,
    pub voided: bool,
    /// Digest of the revision checked against: the writer refuses the
    /// submission if the fact is no longer that revision under the lock.
    pub digest: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub rule: Rule,
    /// officer id, or empty
    pub officer: String,
    pub detail: String,
}

/// The officers a decision or complaint closing that names none inherits
/// from the matter or complaint it refers to: they acted, and are checked
/// at the decision's or closing's own time, so leaving the list empty hides
/// no one. Other kinds, or a list given, stay as they are.
pub fn inherit_officers(p: &mut Prepared, referenced: Option<&Referenced>) {
    if !p.officers.is_empty() {
        return;
    }
    let from = referenced.and_then(|r| r.fact.payload.as_ref());
    p.officers = match (p.fact.payload.as_ref(), from) {
        (Some(Payload::Decision(_)), Some(Payload::Matter(m))) => m.officers.clone(),
        (Some(Payload::ComplaintClosing(_)), Some(Payload::Complaint(c))) => c.officers.clone(),
        _ => return,
    };
}

/// Whether `p`'s officers were inherited, not named in its payload.
fn inherited(p: &Prepared) -> bool {
    !p.officers.is_empty() && p.fact.named_officers().is_empty()
}

/// The registry question for a submission (one per fact).
pub fn question(p: &Prepared, referenced: Option<&Referenced>) -> CheckActorsRequest {
    let power = match p.fact.payload.as_ref() {
        Some(Payload::Matter(_)) | Some(Payload::Inspection(_)) => p.power.clone(),
        // A decision is measured against its matter's power, at its own time.
        Some(Payload::Decision(_)) => match referenced.and_then(|r| r.fact.payload.as_ref()) {
            Some(Payload::Matter(m)) => m.power.clone(),
            _ => String::new(),
        },
        // A closing asks for the time limit its matter's power had when the
        // matter was accepted (it names no officers).
        Some(Payload::MatterClosing(_)) => match referenced.and_then(|r| r.fact.payload.as_ref()) {
            Some(Payload::Matter(m)) => m.power.clone(),
            _ => String::new(),
        },
        _ => String::new(),
    };
    let at = match (p.kind, referenced) {
        (FactKind::MatterClosing, Some(r)) if !power.is_empty() => r.occurred_us,
        _ => p.occurred_us,
    };
    CheckActorsRequest {
        body: p.fact.body.clone(),
        power,
        act_time: probity_common::names::us_ts(at),
        officers: p.officers.clone(),
        min_qualified: 0,
        known_time: None,
    }
}

/// Checks a submission against its reference and the registry's answer.
/// Returns the findings; fills the output-only fields of `p.fact`.
pub fn evaluate(
    p: &mut Prepared,
    referenced: Option<&Referenced>,
    answer: &CheckActorsResponse,
) -> Result<Vec<Found>, AppError> {
    let mut v = Violations::new();
    if !answer.body_known {
        v.add("fact.body", "no such body in the registry");
        return Err(v.into_error());
    }
    check_reference(&mut v, p, referenced);
    for (i, a) in answer.actors.iter().enumerate() {
        if a.problems.contains(&(ActorProblem::UnknownOfficer as i32)) {
            match &p.reference {
                Some(r) if inherited(p) => v.add(
                    r.field.clone(),
                    format!(
                        "its officer {} is not in the registry at this fact's time",
                        a.officer
                    ),
                ),
                _ if p.kind == FactKind::Training => v.add(
                    p.officers_field.clone(),
                    "no such officer in the registry at that time",
                ),
                _ => v.add(
                    format!("{}[{i}]", p.officers_field),
                    "no such officer in the registry at that time",
                ),
            }
        }
    }
    let acts = matches!(p.kind, FactKind::Matter | FactKind::Inspection);
    if acts && !answer.power_known {
        v.add(p.power_field.clone(), "no such power in the registry");
    }
    v.finish()?;

    let mut found = Vec::new();
    match p.kind {
        // Every inspection is an inspection act; a matter is the kind of
        // act its power's category says (the registry's, not the reported
        // act_kind, which a department could set to dodge the rule).
        FactKind::Inspection => act_findings(&mut found, answer, true),
        FactKind::Matter => {
            let category = PowerCategory::try_from(answer.power_category).unwrap_or_default();
            act_findings(&mut found, answer, rules::two_officer_rule_binds(category))
        }
        // Who decided, took or closed a complaint, or transferred a case is
        // checked like who handled the matter, but alone: the two-officer
        // rule (TOO_FEW_QUALIFIED, AUXILIARY_ALONE) binds the act and was
        // checked on the matter or inspection, and a power not held is the
        // matter's finding. A post with the power is asked of a decision
        // only (the others have no power), and only where the body held it.
        FactKind::Decision => officer_findings(&mut found, answer, power_held(answer)),
        FactKind::Complaint | FactKind::ComplaintClosing | FactKind::Transfer => {
            officer_findings(&mut found, answer, false)
        }
        _ => {}
    }
    match p.fact.payload.as_mut() {
        Some(Payload::Inspection(i)) => {
            let category = PowerCategory::try_from(answer.power_category).unwrap_or_default();
            if power_held(answer) && !rules::INSPECTION_CATEGORIES.contains(&category) {
                found.push(Found {
                    rule: rules::INSPECTION_POWER_NOT_INSPECTION,
                    officer: String::new(),
                    detail: format!("{} is of category {}", i.power, category.as_str_name()),
                });
            }
            if i.records.is_empty() {
                found.push(Found {
                    rule: rules::INSPECTION_NOT_RECORDED,
                    officer: String::new(),
                    detail: "no written, audio or video record".into(),
                });
            }
        }
        Some(Payload::Decision(d)) => decision_findings(&mut found, d, answer),
        Some(Payload::Matter(m)) => {
            m.time_limit_days = answer.time_limit_days.max(0);
            m.overdue_time = time_limit::overdue_from_us(p.occurred_us, m.time_limit_days)
                .and_then(probity_common::names::us_ts);
        }
        Some(Payload::MatterClosing(_)) => {
            if let Some(f) = closed_late(p.occurred_us, referenced, answer) {
                found.extend(f);
            }
        }
        Some(Payload::ReviewOutcome(r)) => {
            r.wrongful =
                r.result == ReviewResult::Revoked as i32 || r.result == ReviewResult::Lost as i32;
        }
        _ => {}
    }
    Ok(found)
}

/// Findings of an act's staffing and power; `two_officers`: whether the
/// two-officer rule (TOO_FEW_QUALIFIED) binds this act
/// (`rules::TWO_OFFICER_CATEGORIES`). An auxiliary alone is a finding
/// under any power (Art. 18).
fn act_findings(found: &mut Vec<Found>, a: &CheckActorsResponse, two_officers: bool) {
    let power_held = power_held(a);
    let (qualified, group) = staffing(a, power_held);
    for g in group {
        if !two_officers && g == GroupProblem::TooFewQualified {
            continue;
        }
        let (rule, detail) = match g {
            GroupProblem::TooFewQualified => (
                rules::TOO_FEW_QUALIFIED,
                format!("{qualified} qualified of {} officers", a.actors.len()),
            ),
            GroupProblem::AuxiliaryAlone => (
                rules::AUXILIARY_ALONE,
                "no qualified officer beside the auxiliary".into(),
            ),
            GroupProblem::PowerNotHeld => (
                rules::POWER_NOT_HELD,
                "the body did not hold the power".into(),
            ),
            GroupProblem::PowerWithdrawn => {
                (rules::POWER_NOT_HELD, "the power had been withdrawn".into())
            }
            GroupProblem::Unspecified => continue,
        };
        found.push(Found {
            rule,
            officer: String::new(),
            detail,
        });
    }
    officer_findings(found, a, power_held);
}

/// Each officer's own problems (Art. 16, 19(2), 19(5), 19(9)).
/// `power_held`: whether a post lacking the power is a finding.
fn officer_findings(found: &mut Vec<Found>, a: &CheckActorsResponse, power_held: bool) {
    for actor in &a.actors {
        let officer = parse_top(&actor.officer, "officers").unwrap_or_default();
        let auxiliary = actor.kind == OfficerKind::Auxiliary as i32;
        for p in &actor.problems {
            let problem = ActorProblem::try_from(*p).unwrap_or_default();
            let rule = match problem {
                ActorProblem::NotActive => rules::OFFICER_NOT_ACTIVE,
                ActorProblem::OtherBody => rules::OFFICER_OF_OTHER_BODY,
                // Auxiliaries hold no posts with powers; they assist (Art. 18).
                ActorProblem::NoPostWithPower if power_held && !auxiliary => {
                    rules::NO_POST_WITH_POWER
                }
                ActorProblem::NoCredential
                | ActorProblem::CredentialWithheld
                | ActorProblem::CredentialRevoked
                | ActorProblem::CredentialExpired
                | ActorProblem::CredentialNotYetValid => rules::CREDENTIAL_NOT_VALID,
                _ => continue,
            };
            found.push(Found {
                rule,
                officer: officer.clone(),
                detail: problem
                    .as_str_name()
                    .trim_start_matches("ACTOR_PROBLEM_")
                    .to_lowercase(),
            });
        }
    }
}

/// When the matter `referenced` became overdue: its power's limit when it
/// was accepted, as the registry answers now, or as recorded on the matter
/// if that is earlier (a correction never moves it later).
pub fn matter_overdue_from(referenced: &Referenced, answer: &CheckActorsResponse) -> Option<i64> {
    let recorded = match referenced.fact.payload.as_ref() {
        Some(Payload::Matter(m)) => m.overdue_time.as_ref().map(probity_common::names::ts_us),
        _ => None,
    };
    let asked = time_limit::overdue_from_us(referenced.occurred_us, answer.time_limit_days);
    match (recorded, asked) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// INACTION_OVERDUE on each of the matter's officers when a closing at
/// `close_us` comes after the matter's limit (Art. 13, 19(4), 20(1)).
fn closed_late(
    close_us: i64,
    referenced: Option<&Referenced>,
    answer: &CheckActorsResponse,
) -> Option<Vec<Found>> {
    let r = referenced?;
    let Some(Payload::Matter(m)) = r.fact.payload.as_ref() else {
        return None;
    };
    let due = matter_overdue_from(r, answer)?;
    if !time_limit::closed_late(close_us, due) {
        return None;
    }
    let days = time_limit::days_late(close_us, due) + 1;
    let limit = if m.time_limit_days > 0 {
        m.time_limit_days
    } else {
        answer.time_limit_days
    };
    Some(overdue_findings(
        m,
        &format!(
            "closed on day {days} after the {limit}-day limit of {} ran out",
            m.power
        ),
    ))
}

/// INACTION_OVERDUE for a matter: one per officer who handled it (each
/// answers for it, and the body through them), or the body's alone when it
/// names none.
pub fn overdue_findings(m: &Matter, detail: &str) -> Vec<Found> {
    let officers: Vec<String> = m
        .officers
        .iter()
        .filter_map(|o| parse_top(o, "officers"))
        .collect();
    if officers.is_empty() {
        return vec![Found {
            rule: rules::INACTION_OVERDUE,
            officer: String::new(),
            detail: detail.to_string(),
        }];
    }
    officers
        .into_iter()
        .map(|officer| Found {
            rule: rules::INACTION_OVERDUE,
            officer,
            detail: detail.to_string(),
        })
        .collect()
}

fn decision_findings(found: &mut Vec<Found>, d: &mut Decision, a: &CheckActorsResponse) {
    if let Some(p) = d.penalty.as_mut() {
        let range = a.benchmark.iter().find(|b| b.grade == p.grade);
        p.within_benchmark =
            range.is_some_and(|b| (b.min_amount_fen..=b.max_amount_fen).contains(&p.amount_fen));
        if !p.within_benchmark {
            let detail = match range {
                Some(b) => format!(
                    "{} fen; the benchmark for this grade is {} to {} fen",
                    p.amount_fen, b.min_amount_fen, b.max_amount_fen
                ),
                None => format!(
                    "{} fen; the power has no benchmark for this grade then",
                    p.amount_fen
                ),
            };
            found.push(Found {
                rule: rules::PENALTY_OUTSIDE_BENCHMARK,
                officer: String::new(),
                detail,
            });
        }
    }
    // The submitter may raise `major`, never lower it: the catalogue decides.
    let by_catalogue = major_by_catalogue(d, a.major_criteria.as_ref());
    d.major = d.major || by_catalogue.is_some();
    if d.major
        && let Some(problem) = legal_review_problem(d)
    {
        found.push(Found {
            rule: rules::MAJOR_DECISION_WITHOUT_LEGAL_REVIEW,
            officer: String::new(),
            detail: match by_catalogue {
                Some(why) => format!("{problem}; major by the catalogue: {why}"),
                None => problem.into(),
            },
        });
    }
}

/// A reference must name a live fact of the right kind, and a closing or
/// outcome cannot come before what it closes.
fn check_reference(v: &mut Violations, p: &Prepared, referenced: Option<&Referenced>) {
    let Some(want) = &p.reference else { return };
    let what = match want.kind {
        FactKind::Matter => "matter",
        FactKind::Decision => "decision",
        _ => "complaint",
    };
    match referenced {
        None => v.add(
            want.field.clone(),
            format!("no {what} with this source_id for this body"),
        ),
        Some(r) if r.fact.kind != want.kind as i32 => v.add(
            want.field.clone(),
            format!("this source_id is not a {what}"),
        ),
        Some(r) if r.voided => v.add(want.field.clone(), format!("this {what} was voided")),
        Some(r) if r.occurred_us > p.occurred_us && p.kind != FactKind::Transfer => v.add(
            crate::checks::occurred_field(p.kind),
            format!("must not be before the {what} it refers to"),
        ),
        Some(_) => {}
    }
}
