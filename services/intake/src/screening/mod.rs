//! Submissions before the lock: structural checks, references, the registry's
//! answers and the findings; then the writer commits them. Each stage is its
//! own room: `references` (what a submission refers to or corrects), `asks`
//! (the registry's answers), `verdicts` (the checks that decide a
//! submission) and `replays` (resends of stored revisions).
use probity_common::{AppError, AppResult, dispatch::Ctx};
use probity_proto::intake::v1::SubmitFactRequest;

use crate::{
    Intake,
    checks::{self, Prepared},
    reporters::{self, Paths},
    writer::Item,
};

mod asks;
mod references;
mod replays;
mod verdicts;

pub use references::Recent;

/// Checks every submission; each comes back as an item for the writer or as
/// its own refusal. Fails as a whole only when the registry or the database
/// cannot answer (UNAVAILABLE), so nothing is half-checked.
pub async fn check(
    intake: &Intake,
    ctx: &Ctx,
    subs: &[SubmitFactRequest],
    recent: &mut Recent,
) -> AppResult<Vec<Result<Item, AppError>>> {
    let mut prepared = prepare(ctx, subs);
    let mut refs = references::resolve(intake, &prepared, recent).await?;
    references::inherit_officers(&mut prepared, &refs);
    let revised = references::revised(intake, &prepared, &mut refs).await?;

    // The draws inspections cite, each asked for once per call (a stream's
    // drawn ones once per stream): the draws service down fails the call
    // whole (UNAVAILABLE), so no inspection is judged on a guess.
    let draws = intake
        .draws
        .draws(&crate::draw_match::cited(&prepared), &mut recent.drawn)
        .await?;
    // The plans' caps on inspections per target, from the same service,
    // once per plan and call (a revision may tighten one at any time).
    let mut caps = std::collections::HashMap::new();
    for key in crate::draw_match::plan_keys(&prepared) {
        let cap = intake.draws.cap(&key.0, &key.1, key.2).await?;
        caps.insert(key, cap);
    }
    let (answers, paths, down) = match asks::ask(intake, ctx, &prepared, &refs, &revised).await {
        Ok((a, paths)) => (a, paths, None),
        Err(e @ AppError::Unavailable(_)) => (Default::default(), Paths::new(), Some(e)),
        Err(e) => return Err(e),
    };
    let references::Refs {
        referenced,
        mut revises,
    } = refs;
    let verdicts = verdicts::Verdicts {
        intake,
        ctx,
        referenced: &referenced,
        revised: &revised,
        paths: &paths,
        draws: &draws,
        caps: &caps,
        down: down.as_ref(),
    };
    let mut items = verdicts.judge(&mut prepared, answers, &mut revises).await?;
    replays::replays(intake, ctx, &prepared, &mut items).await?;
    if let Some(e) = down
        && items
            .iter()
            .any(|i| matches!(i, Err(AppError::Unavailable(_))))
    {
        return Err(e);
    }
    Ok(items)
}

/// The structural checks, and the reporter stamped on what it reports.
fn prepare(ctx: &Ctx, subs: &[SubmitFactRequest]) -> Vec<AppResult<Prepared>> {
    let now = chrono::Utc::now();
    subs.iter()
        .map(|s| {
            let mut p = checks::prepare(s, now)?;
            if reporters::stamp(&ctx.principal, &mut p.fact) {
                p.digest = checks::digest(&p.fact);
            }
            Ok(p)
        })
        .collect()
}

/// A submission's own key: its body and the departmental system's id.
fn own_key(p: &Prepared) -> (String, String) {
    (p.body_id.clone(), p.fact.source_id.clone())
}
