//! Resends: a submission refused by the checks (or not checked: the registry
//! is down) may be the resend of a stored revision, and then the first result
//! stands, whatever the registry or the fact it refers to says now.
use probity_common::{AppError, AppResult, Reason, dispatch::Ctx};

use super::own_key;
use crate::{
    Intake,
    checks::Prepared,
    reporters, store,
    writer::{Checked, Item},
};

/// Turns every refused submission that resends a stored revision into a
/// replay. Looked up only for those, so new facts pay nothing for it.
pub async fn replays(
    intake: &Intake,
    ctx: &Ctx,
    prepared: &[AppResult<Prepared>],
    items: &mut [Result<Item, AppError>],
) -> AppResult<()> {
    let retry: Vec<(usize, &Prepared)> = prepared
        .iter()
        .enumerate()
        .filter(|(i, _)| items[*i].is_err())
        .filter_map(|(i, p)| Some((i, p.as_ref().ok()?)))
        .collect();
    if retry.is_empty() {
        return Ok(());
    }
    let own: Vec<(String, String)> = retry.iter().map(|(_, p)| own_key(p)).collect();
    let stored = store::by_source(&intake.store.db, &own).await?;
    let ids: Vec<i64> = stored.values().map(|c| c.id).collect();
    let revisions = store::digests(&intake.store.db, &ids).await?;
    for (i, p) in retry {
        let Some(c) = stored.get(&own_key(p)) else {
            continue;
        };
        let correction = !p.correction_reason.trim().is_empty();
        let known = revisions.get(&c.id).is_some_and(|all| {
            all.iter().any(|(d, r)| {
                *d == p.digest
                    && (!correction
                        || *r == p.correction_reason
                        || (c.digest == p.digest && !c.voided))
            })
        });
        if known {
            let seen = reporters::sees(&ctx.principal, &p.fact, &c.body_path);
            items[i] = seen.then_some(()).ok_or_else(outside).map(|_| {
                Item::Submit(Box::new(Checked {
                    prepared: p.clone(),
                    findings: Vec::new(),
                    body_path: c.body_path.clone(),
                    reference_digest: None,
                    revises: None,
                    replay: true,
                    bound: None,
                }))
            });
        }
    }
    Ok(())
}

pub(crate) fn outside() -> AppError {
    AppError::refused(
        Reason::OutsideDepartment,
        "a department may only act for itself and the bodies below it",
    )
}
