//! The group rule of Art. 18 (at least N qualified officers; an auxiliary
//! never acts alone), in one place for the registry, which answers
//! CheckActors, and intake, which composes answers it keeps per officer and
//! decides what an act's staffing breaks.
use probity_proto::registry::v1::{
    ActorCheck, ActorProblem, CheckActorsResponse, GroupProblem, OfficerKind,
};

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

fn has_group(a: &CheckActorsResponse, g: GroupProblem) -> bool {
    a.group_problems.contains(&(g as i32))
}

/// Whether the body held the power at the act's instant (neither never
/// held nor withdrawn).
pub fn power_held(a: &CheckActorsResponse) -> bool {
    !has_group(a, GroupProblem::PowerNotHeld) && !has_group(a, GroupProblem::PowerWithdrawn)
}

/// The group's problems and qualified count as Art. 18 sees them. Under a
/// power the body does not hold, no post holds it either, so every officer
/// lacks a post with the power: that is the power's breach (POWER_NOT_HELD,
/// Art. 15, 19(5)), not the staffing's, and the group is measured as if the
/// power were held (an officer whose one problem is that counts).
pub fn staffing(a: &CheckActorsResponse, power_held: bool) -> (i32, Vec<GroupProblem>) {
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
    group_problems(&actors, power_problems, a.min_qualified.max(0) as u32)
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

    /// An officer the registry found unqualified for one reason only.
    fn lacking(kind: OfficerKind, problem: ActorProblem) -> ActorCheck {
        ActorCheck {
            problems: vec![problem as i32],
            ..actor(false, kind)
        }
    }

    fn answer(actors: Vec<ActorCheck>, group: &[GroupProblem]) -> CheckActorsResponse {
        let (qualified_count, _) = group_problems(&actors, vec![], 2);
        CheckActorsResponse {
            qualified_count,
            group_problems: group.iter().map(|g| *g as i32).collect(),
            actors,
            min_qualified: 2,
            ..Default::default()
        }
    }

    #[test]
    fn staffing_under_a_power_held_is_the_registrys_answer() {
        let no_post = lacking(OfficerKind::Officer, ActorProblem::NoPostWithPower);
        let a = answer(
            vec![no_post.clone(), no_post],
            &[GroupProblem::TooFewQualified],
        );
        assert!(power_held(&a));
        assert_eq!(staffing(&a, true), (0, vec![GroupProblem::TooFewQualified]));
    }

    #[test]
    fn staffing_under_a_power_not_held_is_not_blamed_on_the_officers() {
        let o = OfficerKind::Officer;
        let no_post = lacking(o, ActorProblem::NoPostWithPower);
        // Both lack a post only because the body lacks the power: the group
        // is staffed, and the power's breach is the one problem.
        let a = answer(
            vec![no_post.clone(), no_post.clone()],
            &[GroupProblem::PowerNotHeld, GroupProblem::TooFewQualified],
        );
        assert!(!power_held(&a));
        assert_eq!(staffing(&a, false), (2, vec![GroupProblem::PowerNotHeld]));
        // Another problem still disqualifies, and an auxiliary never counts.
        let no_card = lacking(o, ActorProblem::NoCredential);
        let aux = lacking(OfficerKind::Auxiliary, ActorProblem::NoPostWithPower);
        let a = answer(vec![no_post, no_card], &[GroupProblem::PowerWithdrawn]);
        assert_eq!(
            staffing(&a, false),
            (
                1,
                vec![GroupProblem::PowerWithdrawn, GroupProblem::TooFewQualified]
            )
        );
        let a = answer(vec![aux], &[GroupProblem::PowerNotHeld]);
        assert_eq!(
            staffing(&a, false),
            (
                0,
                vec![
                    GroupProblem::PowerNotHeld,
                    GroupProblem::AuxiliaryAlone,
                    GroupProblem::TooFewQualified
                ]
            )
        );
    }
}
