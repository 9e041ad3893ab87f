//! What the registry's answer and the referenced fact make of a submission:
//! structural errors the registry reveals (unknown body, officer or power,
//! a reference that does not fit), the findings (breaches, stored with the
//! fact), and the output fields intake computes (benchmark compliance,
//! wrongful case).
use probity_common::{AppError, Violations, names::parse_top};
use probity_proto::{
    intake::v1::{fact::Payload, *},
    registry::v1::{
        ActorCheck, ActorProblem, CheckActorsRequest, CheckActorsResponse, GroupProblem,
        MajorDecisionCriteria, OfficerKind, PowerCategory,
    },
};

use crate::{
    prepare::Prepared,
    rules::{self, Rule},
};

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
    !p.officers.is_empty() && crate::prepare::officers_of(&p.fact).is_empty()
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
        _ => String::new(),
    };
    CheckActorsRequest {
        body: p.fact.body.clone(),
        power,
        at: probity_common::names::us_ts(p.occurred_us),
        officers: p.officers.clone(),
        min_qualified: 0,
        known_at: None,
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
        FactKind::Matter | FactKind::Inspection => act_findings(&mut found, answer),
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
            let held = !has_group(answer, GroupProblem::PowerNotHeld)
                && !has_group(answer, GroupProblem::PowerWithdrawn);
            if held && !rules::INSPECTION_CATEGORIES.contains(&category) {
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
        Some(Payload::ReviewOutcome(r)) => {
            r.wrongful =
                r.result == ReviewResult::Revoked as i32 || r.result == ReviewResult::Lost as i32;
        }
        _ => {}
    }
    Ok(found)
}

fn has_group(a: &CheckActorsResponse, g: GroupProblem) -> bool {
    a.group_problems.contains(&(g as i32))
}

fn power_held(a: &CheckActorsResponse) -> bool {
    !has_group(a, GroupProblem::PowerNotHeld) && !has_group(a, GroupProblem::PowerWithdrawn)
}

/// The group's problems and qualified count as Art. 18 sees them. Under a
/// power the body does not hold, no post holds it either, so every officer
/// lacks a post with the power: that is the power's breach (POWER_NOT_HELD,
/// Art. 15, 19(5)), not the staffing's, and the group is measured as if the
/// power were held (an officer whose one problem is that counts).
fn staffing(a: &CheckActorsResponse, power_held: bool) -> (i32, Vec<GroupProblem>) {
    let all: Vec<GroupProblem> = a
        .group_problems
        .iter()
        .map(|g| GroupProblem::try_from(*g).unwrap_or_default())
        .collect();
    if power_held {
        return (a.qualified_count, all);
    }
    let actors: Vec<ActorCheck> = a
        .actors
        .iter()
        .map(|x| ActorCheck {
            qualified: x.qualified
                || (x.kind != OfficerKind::Auxiliary as i32
                    && x.problems
                        .iter()
                        .all(|p| *p == ActorProblem::NoPostWithPower as i32)),
            ..x.clone()
        })
        .collect();
    let power_problems = all
        .into_iter()
        .filter(|g| matches!(g, GroupProblem::PowerNotHeld | GroupProblem::PowerWithdrawn))
        .collect();
    probity_common::actors::group_problems(&actors, power_problems, a.min_qualified.max(0) as u32)
}

fn act_findings(found: &mut Vec<Found>, a: &CheckActorsResponse) {
    let power_held = power_held(a);
    let (qualified, group) = staffing(a, power_held);
    for g in group {
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

/// What matching a measure ignores: whitespace, so that a spacing variant
/// of a listed measure is still that measure.
/// Letters and digits only, lower-cased: a zero-width space, a middle dot or
/// other punctuation slipped into a listed measure does not hide it.
fn measure_key(m: &str) -> String {
    m.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Why the catalogue of major decisions (重大执法决定法制审核目录: the
/// power's criteria in force at the decision) makes `d` major, if it does.
/// A listed measure counts when the decision's other_measure contains it,
/// so naming it among others or with a term added does not escape it.
pub fn major_by_catalogue(d: &Decision, c: Option<&MajorDecisionCriteria>) -> Option<String> {
    let c = c?;
    if c.always {
        return Some("every decision under this power is major".into());
    }
    if c.fine_at_least_fen > 0
        && let Some(p) = &d.penalty
        && p.amount_fen >= c.fine_at_least_fen
    {
        return Some(format!(
            "a fine of {} fen (major from {} fen)",
            p.amount_fen, c.fine_at_least_fen
        ));
    }
    let measure = measure_key(&d.other_measure);
    if measure.is_empty() {
        return None;
    }
    c.measures
        .iter()
        .find(|m| {
            let k = measure_key(m);
            !k.is_empty() && measure.contains(&k)
        })
        .map(|m| format!("the measure {} is listed", m.trim()))
}

/// What keeps a decision's legal review (法制审核) from counting, if
/// anything: Art. 19(16) wants a major decision reviewed, passed, before it
/// is made. The rankings count reviewed major decisions by the same rule.
pub fn legal_review_problem(d: &Decision) -> Option<&'static str> {
    let decided = d.decided_at.as_ref().map(|t| (t.seconds, t.nanos));
    match &d.legal_review {
        None => Some("no legal review (法制审核)"),
        Some(lr) if lr.result != LegalReviewResult::Passed as i32 => {
            Some("the legal review did not pass")
        }
        Some(lr) if lr.reviewed_at.as_ref().map(|t| (t.seconds, t.nanos)) > decided => {
            Some("the legal review came after the decision")
        }
        Some(_) => None,
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
            crate::prepare::occurred_field(p.kind),
            format!("must not be before the {what} it refers to"),
        ),
        Some(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(fine: Option<i64>, measure: &str) -> Decision {
        Decision {
            penalty: fine.map(|amount_fen| Penalty {
                amount_fen,
                ..Default::default()
            }),
            other_measure: measure.into(),
            ..Default::default()
        }
    }

    fn criteria(always: bool, fine: i64, measures: &[&str]) -> MajorDecisionCriteria {
        MajorDecisionCriteria {
            always,
            fine_at_least_fen: fine,
            measures: measures.iter().map(|m| m.to_string()).collect(),
        }
    }

    #[test]
    fn the_catalogue_decides_what_is_major() {
        let major =
            |d: &Decision, c: &MajorDecisionCriteria| major_by_catalogue(d, Some(c)).is_some();
        let plain = decision(None, "");
        assert!(
            major_by_catalogue(&plain, None).is_none(),
            "no catalogue entry"
        );
        assert!(major(&plain, &criteria(true, 0, &[])));
        assert!(!major(&plain, &criteria(false, 0, &[])));
        // the fine rule: at the threshold is major, below is not; 0 is no rule
        let fine = criteria(false, 2_000_000, &[]);
        assert!(major(&decision(Some(2_000_000), ""), &fine));
        assert!(!major(&decision(Some(1_999_999), ""), &fine));
        assert!(!major(
            &decision(Some(5_000_000), ""),
            &criteria(false, 0, &[])
        ));
        // a listed measure, alone, among others, or spaced differently
        let listed = criteria(false, 0, &["责令停产停业", "吊销许可证"]);
        assert!(major(&decision(None, "责令停产停业"), &listed));
        assert!(major(
            &decision(None, " 没收违法所得；吊销 许可证 "),
            &listed
        ));
        assert!(major(&decision(None, "责令停产停业三个月"), &listed));
        // zero-width space, middle dot, full-width punctuation slipped in
        assert!(major(&decision(None, "吊销\u{200B}许可证"), &listed));
        assert!(major(&decision(None, "吊销·许可证"), &listed));
        assert!(major(&decision(None, "责令停产、停业"), &listed));
        assert!(!major(&decision(None, "警告"), &listed));
        assert!(!major(&plain, &listed));
    }
}
