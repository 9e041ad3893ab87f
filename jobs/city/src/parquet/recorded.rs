//! A fact as intake records and exports it, without intake: the kind and
//! the instant from the payload, the output fields intake computes
//! (a decision's `major` by the catalogue and its penalty's
//! `within_benchmark`, a review's `wrongful`, an inspection's
//! `draw_verified`), and the findings. The city
//! knows its findings: the planted facts carry their patterns' rules
//! (`planted.rs`, the same table the built city is checked against), and
//! every other fact is drawn to break no rule (a built city reports any
//! that does as a surprise).
use std::collections::{BTreeMap, HashMap};

use probity_proto::intake::v1::{fact::Payload, *};
use probity_rules::major::major_by_catalogue;

use crate::{blueprint::BodyBp, truth::Pattern};

/// The findings a planted fact carries: (rule, officer named or "").
pub type Findings = BTreeMap<Pattern, Vec<(String, String)>>;

/// When it happened: the payload's own time, as intake takes it.
pub fn occurred(p: &Payload) -> Option<prost_types::Timestamp> {
    match p {
        Payload::Matter(m) => m.accept_time,
        Payload::MatterClosing(c) => c.close_time,
        Payload::Decision(d) => d.decide_time,
        Payload::Inspection(i) => i.inspect_time,
        Payload::ReviewOutcome(r) => r.decide_time,
        Payload::Complaint(c) => c.accept_time,
        Payload::ComplaintClosing(c) => c.close_time,
        Payload::Transfer(t) => t.transfer_time,
        Payload::Training(t) => t.train_time,
        Payload::CaseFileReview(r) => r.review_time,
        Payload::AssessmentItem(a) => a.score_time,
    }
}

/// What intake would compute on one body's facts (still named by the
/// city's placeholders).
pub struct Body<'a> {
    body: &'a BodyBp,
    /// A matter's source id -> its power (index into the body's powers): a
    /// decision is measured against its matter's power.
    matters: HashMap<String, usize>,
}

impl<'a> Body<'a> {
    pub fn new(body: &'a BodyBp, own: &[SubmitFactRequest]) -> Body<'a> {
        let power: HashMap<String, usize> = (0..body.powers.len())
            .map(|p| (body.power_placeholder(p), p))
            .collect();
        let matters = own
            .iter()
            .filter_map(|r| r.fact.as_ref())
            .filter_map(|f| match &f.payload {
                Some(Payload::Matter(m)) => Some((f.source_id.clone(), *power.get(&m.power)?)),
                _ => None,
            })
            .collect();
        Body { body, matters }
    }

    /// Fills in intake's output fields of a payload.
    pub fn compute(&self, p: &mut Payload) {
        match p {
            Payload::Decision(d) => {
                let power = self.matters.get(&d.matter).map(|i| &self.body.powers[*i]);
                if let Some(pen) = d.penalty.as_mut() {
                    pen.within_benchmark = power
                        .and_then(|p| p.benchmark.iter().find(|b| b.grade == pen.grade))
                        .is_some_and(|b| {
                            (b.min_amount_fen..=b.max_amount_fen).contains(&pen.amount_fen)
                        });
                }
                let criteria = power.and_then(|p| p.major.as_ref());
                d.major = d.major || major_by_catalogue(d, criteria).is_some();
            }
            // The year's draws are free text (`SJ-…`), no draw of the
            // draws service: intake keeps them unverified, and so does this
            // (a verified draw opens its window at its reveal, which is
            // after the ranked year; `draws.rs` runs the current year's).
            Payload::Inspection(i) => i.draw_verified = false,
            Payload::ReviewOutcome(r) => {
                r.wrongful = r.result == ReviewResult::Revoked as i32
                    || r.result == ReviewResult::Lost as i32;
            }
            _ => {}
        }
    }
}

/// The findings of a fact, as the export shows them: in force (OPEN, or
/// SUPERSEDED_PENDING once the fact is voided).
pub fn findings(rules: &[(String, String)], fact: &str, body: &str, voided: bool) -> Vec<Finding> {
    let state = if voided {
        FindingState::SupersededPending
    } else {
        FindingState::Open
    };
    rules
        .iter()
        .map(|(rule, officer)| Finding {
            rule: rule.clone(),
            officer: officer.clone(),
            fact: fact.to_string(),
            body: body.to_string(),
            state: state as i32,
            ..Default::default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Blueprint, CityPlan};

    #[test]
    fn a_free_text_draw_is_not_verified() {
        let bp = Blueprint::new(&CityPlan {
            departments: 8,
            towns: 2,
            officers: 90,
            facts: 4_000,
            year: 2025,
            ..CityPlan::default()
        })
        .unwrap();
        let body = Body::new(&bp.bodies[1], &[]);
        let mut p = Payload::Inspection(Inspection {
            random_draw: "SJ-SCJG-202503".into(),
            draw_verified: true,
            ..Default::default()
        });
        body.compute(&mut p);
        let Payload::Inspection(i) = p else {
            unreachable!()
        };
        assert!(!i.draw_verified);
    }
}
