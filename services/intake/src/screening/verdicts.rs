//! The checks that decide each submission: a rightful reporter, then the
//! findings; an accepted one becomes the writer's item.
use std::collections::HashMap;

use probity_common::names::ts_us;
use probity_common::{AppError, AppResult, Violations, dispatch::Ctx};
use probity_proto::{
    intake::v1::{Fact, fact::Payload},
    registry::v1::CheckActorsResponse,
};

use super::{own_key, references::Revised};
use crate::{
    Intake,
    checks::Prepared,
    findings::{self, Referenced},
    reporters::{self, Paths},
    store,
    writer::{Checked, Item},
};

/// What every submission of one call is judged against.
pub struct Verdicts<'a> {
    pub intake: &'a Intake,
    pub ctx: &'a Ctx,
    pub referenced: &'a [Option<Referenced>],
    pub revised: &'a Revised,
    pub paths: &'a Paths,
    /// The draws the inspections cite, as the draws service holds them.
    pub draws: &'a HashMap<String, Option<probity_proto::draws::v1::Draw>>,
    /// The cap binding each plan's inspections (the strictest of its
    /// revisions); counted by the writer, under the lock.
    pub caps: &'a HashMap<crate::draw_match::PlanKey, Option<i32>>,
    /// The registry could not answer: every submission that needed it waits.
    pub down: Option<&'a AppError>,
}

impl Verdicts<'_> {
    /// An item or a refusal per submission, in order.
    pub async fn judge(
        &self,
        prepared: &mut [AppResult<Prepared>],
        mut answers: HashMap<usize, CheckActorsResponse>,
        revises: &mut [Option<String>],
    ) -> AppResult<Vec<Result<Item, AppError>>> {
        let mut items = Vec::with_capacity(prepared.len());
        for (i, slot) in prepared.iter_mut().enumerate() {
            let checked = match (&mut *slot, self.down) {
                (Err(e), _) => Err(e.clone()),
                (Ok(_), Some(e)) => Err(e.clone()),
                (Ok(p), None) => {
                    let answer = answers.remove(&i).unwrap_or_default();
                    self.one(i, p, &answer).await?
                }
            };
            // Only refused submissions are looked at again (replays), so an
            // accepted one moves into its item instead of being copied.
            let item = checked.and_then(|(findings, body_path)| {
                let prepared = std::mem::replace(slot, Err(AppError::internal("checked")))?;
                let bound = crate::draw_match::bound(&prepared, self.caps);
                Ok(Item::Submit(Box::new(Checked {
                    prepared,
                    findings,
                    body_path,
                    reference_digest: self.referenced[i].as_ref().map(|r| r.digest.clone()),
                    revises: revises[i].take(),
                    replay: false,
                    bound,
                })))
            });
            items.push(item);
        }
        Ok(items)
    }

    /// One submission's findings and its body's path, or its refusal; the
    /// outer error is the database failing.
    #[allow(clippy::type_complexity)]
    async fn one(
        &self,
        i: usize,
        p: &mut Prepared,
        answer: &CheckActorsResponse,
    ) -> AppResult<Result<(Vec<findings::Found>, String), AppError>> {
        let body_path = probity_common::body_scope::path_of(&answer.body_path);
        let before = self.revised.stored.get(&own_key(p));
        let judged = rightful(self.ctx, p, &body_path, before, self.paths)
            .and_then(|_| findings::evaluate(p, self.referenced[i].as_ref(), answer));
        Ok(match judged {
            Ok(mut found) => {
                keep_earlier_limit(p, before.map(|(f, _)| f));
                self.once_overdue(p, &mut found).await?;
                crate::draw_match::judge(p, self.draws, &mut found);
                found.extend(
                    reporters::outcome_not_reported(&self.intake.store.db, &p.body_id, &p.fact)
                        .await?,
                );
                Ok((found, body_path))
            }
            Err(e) => Err(e),
        })
    }
}

impl Verdicts<'_> {
    /// A matter is found overdue once: a closing of a matter the sweep or
    /// another closing already found adds no second finding.
    async fn once_overdue(&self, p: &Prepared, found: &mut Vec<findings::Found>) -> AppResult<()> {
        let inaction = probity_rules::catalogue::INACTION_OVERDUE;
        let Some(Payload::MatterClosing(c)) = p.fact.payload.as_ref() else {
            return Ok(());
        };
        if !found.iter().any(|f| f.rule == inaction) {
            return Ok(());
        }
        let db = &self.intake.store.db;
        if store::overdue::already_found(db, &p.body_id, &c.matter, &p.fact.source_id).await? {
            found.retain(|f| f.rule != inaction);
        }
        Ok(())
    }
}

/// A correction of a matter never moves its limit later: the time it is
/// overdue from stays the earliest any revision had (a department would
/// otherwise correct accept_time forward to make a late closing timely).
fn keep_earlier_limit(p: &mut Prepared, before: Option<&Fact>) {
    let Some(Payload::Matter(was)) = before.and_then(|f| f.payload.as_ref()) else {
        return;
    };
    let Some(Payload::Matter(now)) = p.fact.payload.as_mut() else {
        return;
    };
    let earlier = match (&was.overdue_time, &now.overdue_time) {
        (Some(a), Some(b)) => ts_us(a) < ts_us(b),
        (Some(_), None) => true,
        _ => false,
    };
    if earlier {
        now.overdue_time = was.overdue_time;
        now.time_limit_days = was.time_limit_days;
    }
}

/// The reporter checks of one submission: a named organizer the registry
/// knows, a rightful reporter of the fact and, for a correction, of the
/// revision it corrects.
fn rightful(
    ctx: &Ctx,
    p: &Prepared,
    path: &str,
    before: Option<&(Fact, String)>,
    paths: &Paths,
) -> AppResult<()> {
    if let Some(field) = reporters::unknown_organizer(&p.fact, paths) {
        let mut v = Violations::new();
        v.add(field, "no such body in the registry");
        v.finish()?;
    }
    reporters::check(&ctx.principal, &p.fact, path, paths)?;
    match before {
        Some((stored, stored_path)) => {
            reporters::may_revise(&ctx.principal, stored, stored_path, paths)
        }
        None => Ok(()),
    }
}
