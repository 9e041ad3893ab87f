//! The group rule of Art. 18 (at least N qualified officers; an auxiliary
//! never acts alone), in one place for the registry, which answers
//! CheckActors, and intake, which composes answers it keeps per officer.
use probity_proto::registry::v1::{ActorCheck, GroupProblem, OfficerKind};

/// The group's problems, after the power's own (`power_problems`), and how
/// many of the officers are qualified.
pub fn group_problems(
    actors: &[ActorCheck],
    power_problems: Vec<GroupProblem>,
    min_qualified: u32,
) -> (i32, Vec<GroupProblem>) {
    let mut problems = power_problems;
    let qualified = actors.iter().filter(|a| a.qualified).count() as i32;
    let any_auxiliary = actors
        .iter()
        .any(|a| a.kind == OfficerKind::Auxiliary as i32);
    if any_auxiliary && qualified == 0 {
        problems.push(GroupProblem::AuxiliaryAlone);
    }
    if qualified < min_qualified as i32 {
        problems.push(GroupProblem::TooFewQualified);
    }
    (qualified, problems)
}

/// The smallest span [from, until) around `t` that no change point cuts:
/// every rule of the registry compares an instant with stored instants
/// (`point <= t`), so an answer holds between consecutive points.
pub fn span_around(t: i64, points: impl IntoIterator<Item = i64>) -> (Option<i64>, Option<i64>) {
    let (mut from, mut until) = (None::<i64>, None::<i64>);
    for p in points {
        if p <= t {
            from = Some(from.map_or(p, |f| f.max(p)));
        } else {
            until = Some(until.map_or(p, |u| u.min(p)));
        }
    }
    (from, until)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(qualified: bool, kind: OfficerKind) -> ActorCheck {
        ActorCheck {
            qualified,
            kind: kind as i32,
            ..Default::default()
        }
    }

    #[test]
    fn two_qualified_or_a_problem() {
        let o = OfficerKind::Officer;
        assert_eq!(
            group_problems(&[actor(true, o), actor(true, o)], vec![], 2),
            (2, vec![])
        );
        assert_eq!(
            group_problems(&[actor(true, o)], vec![GroupProblem::PowerNotHeld], 2),
            (
                1,
                vec![GroupProblem::PowerNotHeld, GroupProblem::TooFewQualified]
            )
        );
        let aux = actor(false, OfficerKind::Auxiliary);
        assert_eq!(
            group_problems(std::slice::from_ref(&aux), vec![], 1),
            (
                0,
                vec![GroupProblem::AuxiliaryAlone, GroupProblem::TooFewQualified]
            )
        );
        assert_eq!(
            group_problems(&[aux, actor(true, o)], vec![], 1),
            (1, vec![])
        );
    }

    #[test]
    fn spans_between_points() {
        assert_eq!(span_around(5, [1, 5, 9, 12]), (Some(5), Some(9)));
        assert_eq!(span_around(4, [1, 5, 9]), (Some(1), Some(5)));
        assert_eq!(span_around(0, [1, 5]), (None, Some(1)));
        assert_eq!(span_around(20, [1, 5]), (Some(5), None));
        assert_eq!(span_around(3, []), (None, None));
    }
}
