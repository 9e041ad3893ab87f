//! Who may act, as a pure function of the facts: could these officers act
//! for this body under this power at this instant (Art. 16, 18, 19(9))?
//! CheckActors (`api/check.rs`) gathers the facts from the snapshot; this
//! decides, so the rule lives in one place, apart from where facts come from.
use probity_proto::registry::v1::{
    ActorCheck, ActorProblem, CheckActorsResponse, CredentialStatus, GroupProblem, OfficerKind,
    PowerState,
};

use crate::{
    store::entities::{
        credential, credential_event, major_criteria, officer, officer_event, power, power_version,
    },
    temporal,
};

/// What is known of one officer named in the request.
pub struct OfficerFacts<'a> {
    pub name: &'a str,
    pub officer: Option<&'a officer::Model>,
    pub events: &'a [officer_event::Model],
    pub credentials: Vec<(&'a credential::Model, &'a [credential_event::Model])>,
}

/// What is known of the power and who holds it at the instant.
pub struct PowerFacts<'a> {
    /// The acting body.
    pub body_id: &'a str,
    /// Bodies whose powers the acting body may exercise: itself, and for an
    /// entrusted organization the body that entrusted it (Art. 23).
    pub may_use_powers_of: &'a [String],
    pub power: Option<&'a power::Model>,
    pub versions: &'a [power_version::Model],
    /// Posts holding the power at the instant.
    pub posts_with_power: &'a [String],
    /// Where the power's post assignments begin and end.
    pub post_power_points: &'a [i64],
    /// False for a batch check about the officers only: no power problems.
    pub power_asked: bool,
    /// The power's major-decision criteria, in version order.
    pub major_criteria: &'a [major_criteria::Model],
}

pub fn evaluate(
    p: &PowerFacts<'_>,
    officers: &[OfficerFacts<'_>],
    t_us: i64,
    min_qualified: u32,
) -> CheckActorsResponse {
    let mut group_problems = Vec::new();
    let mut power_category = 0;
    let mut benchmark = Vec::new();
    let mut time_limit_days = 0;
    match p.power {
        _ if !p.power_asked => {}
        Some(pm) if p.may_use_powers_of.contains(&pm.body_id) => {
            power_category = pm.category;
            match temporal::power_version_at(p.versions, t_us) {
                None => group_problems.push(GroupProblem::PowerNotHeld),
                Some(v) if v.state == PowerState::Withdrawn as i32 => {
                    group_problems.push(GroupProblem::PowerWithdrawn)
                }
                Some(v) => {
                    benchmark = crate::convert::benchmark(&v.benchmark);
                    time_limit_days = v.time_limit_days;
                }
            }
        }
        _ => group_problems.push(GroupProblem::PowerNotHeld),
    }
    let actors: Vec<ActorCheck> = officers.iter().map(|o| check_one(p, o, t_us)).collect();
    if !p.power_asked {
        return CheckActorsResponse {
            qualified_count: actors.iter().filter(|a| a.qualified).count() as i32,
            group_ok: true,
            min_qualified: min_qualified as i32,
            actors,
            ..Default::default()
        };
    }
    let (qualified, group_problems) =
        probity_rules::group::group_problems(&actors, group_problems, min_qualified);
    CheckActorsResponse {
        group_ok: group_problems.is_empty(),
        qualified_count: qualified,
        actors,
        group_problems: group_problems.into_iter().map(|g| g as i32).collect(),
        power_category,
        power_known: p.power.is_some(),
        benchmark,
        time_limit_days,
        min_qualified: min_qualified as i32,
        // The catalogue is the power's wherever it is exercised: a decision
        // under a power its body did not hold is still measured by it.
        major_criteria: p
            .power
            .and_then(|_| crate::major::criteria_at(p.major_criteria, t_us))
            .map(crate::major::criteria),
        ..Default::default()
    }
}

/// The span around `t_us` in which the answer stays the same: between the
/// change points of everything `evaluate` read (officer events, credentials
/// and their steps, the power's versions and its post assignments).
/// `also`: other points the caller's own reading depends on.
pub fn same_span(
    p: &PowerFacts<'_>,
    officers: &[OfficerFacts<'_>],
    also: &[i64],
    t_us: i64,
) -> (Option<i64>, Option<i64>) {
    let power_points = p
        .versions
        .iter()
        .map(|v| v.effective_us)
        .chain(p.major_criteria.iter().map(|c| c.effective_us))
        .chain(p.post_power_points.iter().copied());
    let officer_points = officers.iter().flat_map(|o| {
        o.events
            .iter()
            .map(|e| e.effective_us)
            .chain(o.credentials.iter().flat_map(|(c, evs)| {
                [c.valid_from_us, c.valid_until_us].into_iter().chain(
                    evs.iter()
                        .flat_map(|e| std::iter::once(e.at_us).chain(e.withheld_until_us)),
                )
            }))
    });
    probity_common::actors::span_around(
        t_us,
        power_points
            .chain(officer_points)
            .chain(also.iter().copied()),
    )
}

fn check_one(p: &PowerFacts<'_>, o: &OfficerFacts<'_>, t_us: i64) -> ActorCheck {
    let mut problems = Vec::new();
    let Some(m) = o.officer else {
        return ActorCheck {
            officer: o.name.to_string(),
            qualified: false,
            kind: 0,
            problems: vec![ActorProblem::UnknownOfficer as i32],
            credential: String::new(),
        };
    };
    if m.kind == OfficerKind::Auxiliary as i32 {
        problems.push(ActorProblem::Auxiliary);
    }
    match temporal::officer_at(o.events, t_us) {
        None => problems.push(ActorProblem::UnknownOfficer),
        Some(at) => {
            if !temporal::is_active(at.status) {
                problems.push(ActorProblem::NotActive);
            }
            if at.body_id != p.body_id {
                problems.push(ActorProblem::OtherBody);
            }
            if p.power_asked
                && !at
                    .posts
                    .iter()
                    .any(|post| p.posts_with_power.contains(post))
            {
                problems.push(ActorProblem::NoPostWithPower);
            }
        }
    }
    let mut credential = String::new();
    if m.kind != OfficerKind::Auxiliary as i32 {
        // The best credential the officer had at that instant.
        let best = o
            .credentials
            .iter()
            .map(|(c, evs)| (c, temporal::credential_at(c, evs, t_us).0))
            .min_by_key(|(_, s)| rank(*s));
        match best {
            None => problems.push(ActorProblem::NoCredential),
            Some((c, s)) => {
                credential = format!("credentials/{}", c.id);
                // another card of theirs withheld at that instant binds them
                // too (a renewal issued before the withholding)
                let s = if s == CredentialStatus::Valid
                    && o.credentials
                        .iter()
                        .any(|(_, evs)| temporal::holder_withheld_at(evs, t_us).is_some())
                {
                    CredentialStatus::Withheld
                } else {
                    s
                };
                match s {
                    CredentialStatus::Valid => {}
                    CredentialStatus::Withheld => problems.push(ActorProblem::CredentialWithheld),
                    CredentialStatus::Revoked => problems.push(ActorProblem::CredentialRevoked),
                    CredentialStatus::Expired => problems.push(ActorProblem::CredentialExpired),
                    _ => problems.push(ActorProblem::CredentialNotYetValid),
                }
            }
        }
    }
    ActorCheck {
        officer: o.name.to_string(),
        qualified: problems.is_empty(),
        kind: m.kind,
        problems: problems.into_iter().map(|x| x as i32).collect(),
        credential,
    }
}

fn rank(s: CredentialStatus) -> u8 {
    match s {
        CredentialStatus::Valid => 0,
        CredentialStatus::Withheld => 1,
        CredentialStatus::NotYetValid => 2,
        CredentialStatus::Expired => 3,
        _ => 4,
    }
}
