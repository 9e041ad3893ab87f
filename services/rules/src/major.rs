//! Major decisions (重大执法决定) and their legal review (法制审核), Art.
//! 19(16): whether the catalogue makes a decision major, and whether its
//! review counts. Intake finds MAJOR_DECISION_WITHOUT_LEGAL_REVIEW by them;
//! the rankings count reviewed major decisions by the same rule.
use probity_proto::{
    intake::v1::{Decision, LegalReviewResult},
    registry::v1::MajorDecisionCriteria,
};

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
    let decided = d.decide_time.as_ref().map(|t| (t.seconds, t.nanos));
    match &d.legal_review {
        None => Some("no legal review (法制审核)"),
        Some(lr) if lr.result != LegalReviewResult::Passed as i32 => {
            Some("the legal review did not pass")
        }
        Some(lr) if lr.review_time.as_ref().map(|t| (t.seconds, t.nanos)) > decided => {
            Some("the legal review came after the decision")
        }
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use probity_proto::intake::v1::{LegalReview, Penalty};
    use prost_types::Timestamp;

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

    #[test]
    fn a_review_counts_when_passed_before_the_decision() {
        let at = |seconds| Some(Timestamp { seconds, nanos: 0 });
        let reviewed = |result: LegalReviewResult, seconds| Decision {
            decide_time: at(100),
            legal_review: Some(LegalReview {
                result: result as i32,
                review_time: at(seconds),
            }),
            ..Default::default()
        };
        let none = Decision {
            decide_time: at(100),
            ..Default::default()
        };
        assert_eq!(
            legal_review_problem(&none),
            Some("no legal review (法制审核)")
        );
        assert_eq!(
            legal_review_problem(&reviewed(LegalReviewResult::Passed, 100)),
            None
        );
        assert_eq!(
            legal_review_problem(&reviewed(LegalReviewResult::Passed, 99)),
            None
        );
        assert_eq!(
            legal_review_problem(&reviewed(LegalReviewResult::Passed, 101)),
            Some("the legal review came after the decision")
        );
        assert_eq!(
            legal_review_problem(&reviewed(LegalReviewResult::Failed, 99)),
            Some("the legal review did not pass")
        );
    }
}
