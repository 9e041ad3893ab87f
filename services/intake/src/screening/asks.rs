//! The registry's answers about each submission's actors, and the paths of
//! the bodies the reporter checks need.
use std::collections::HashMap;

use probity_common::{AppResult, dispatch::Ctx};
use probity_proto::registry::v1::CheckActorsResponse;

use super::{
    own_key,
    references::{Refs, Revised},
};
use crate::{
    Intake,
    checks::Prepared,
    findings,
    reporters::{self, Paths},
};

/// The registry's answers to the submissions that passed the structural
/// checks (a department's view of officers, except for kinds whose officers
/// may be of any body), by submission.
pub async fn ask(
    intake: &Intake,
    ctx: &Ctx,
    prepared: &[AppResult<Prepared>],
    refs: &Refs,
    revised: &Revised,
) -> AppResult<(HashMap<usize, CheckActorsResponse>, Paths)> {
    let mut answer_of = HashMap::new();
    let view = ctx.principal.department_body();
    for open in [false, true] {
        let (ids, questions): (Vec<usize>, Vec<_>) = prepared
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let p = p.as_ref().ok()?;
                (reporters::open_view(p.kind) == open).then(|| {
                    let mut q = findings::question(p, refs.referenced[i].as_ref());
                    q.known_time = revised
                        .first_recorded
                        .get(&own_key(p))
                        .and_then(|us| probity_common::names::us_ts(*us));
                    (i, q)
                })
            })
            .unzip();
        if questions.is_empty() {
            continue;
        }
        let answers = intake
            .peers
            .check(&questions, if open { None } else { view })
            .await?;
        answer_of.extend(ids.into_iter().zip(answers));
    }
    let mut bodies = Vec::new();
    for p in prepared.iter().filter_map(|p| p.as_ref().ok()) {
        bodies.extend(reporters::wanted(&ctx.principal, &p.fact));
    }
    for (f, _) in revised.stored.values() {
        bodies.extend(reporters::wanted(&ctx.principal, f));
    }
    Ok((answer_of, reporters::paths(&intake.peers, bodies).await?))
}
