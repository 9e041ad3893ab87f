//! Submissions before the lock: structural checks, references, the registry's
//! answers and the findings; then the writer commits them.
use std::collections::{HashMap, VecDeque};

use probity_common::{AppError, AppResult, Reason, Violations, store::RequestKey};
use probity_proto::intake::v1::*;
use prost::Message;

use super::Ctx;
use crate::{
    Intake,
    checks::{self, Prepared},
    findings::{self, Referenced},
    reporters::{self, Paths},
    store,
    writer::{Checked, Item, Outcome},
};

/// Facts of a stream's latest chunks, which may still be on their way to the
/// database when the next chunk refers to them. The writer checks again under
/// the lock that a fact referred to was recorded.
#[derive(Default)]
pub struct Recent {
    chunks: VecDeque<HashMap<(String, String), Referenced>>,
}

impl Recent {
    /// Chunks a stream can have in flight: one checked, two queued, one acknowledged.
    const KEEP: usize = 4;

    fn get(&self, key: &(String, String)) -> Option<&Referenced> {
        self.chunks.iter().rev().find_map(|m| m.get(key))
    }

    fn push(&mut self, chunk: HashMap<(String, String), Referenced>) {
        if self.chunks.len() == Self::KEEP {
            self.chunks.pop_front();
        }
        self.chunks.push_back(chunk);
    }
}

/// Checks every submission; each comes back as an item for the writer or as
/// its own refusal. Fails as a whole only when the registry or the database
/// cannot answer (UNAVAILABLE), so nothing is half-checked.
pub async fn check(
    intake: &Intake,
    ctx: &Ctx,
    subs: &[SubmitFactRequest],
    recent: &mut Recent,
) -> AppResult<Vec<Result<Item, AppError>>> {
    let now = chrono::Utc::now();
    let mut prepared: Vec<AppResult<Prepared>> = subs
        .iter()
        .map(|s| {
            let mut p = checks::prepare(s, now)?;
            if reporters::stamp(&ctx.principal, &mut p.fact) {
                p.digest = checks::digest(&p.fact);
            }
            Ok(p)
        })
        .collect();

    // References: to an earlier record of the same call or stream, else to
    // a stored fact.
    let mut earlier: HashMap<(String, String), Referenced> = HashMap::new();
    let mut referenced: Vec<Option<Referenced>> = vec![None; prepared.len()];
    let mut wanted = Vec::new();
    // The revision each correction is checked against, when it is still on
    // its way (an earlier record of this call or stream); stored ones below.
    let mut revises: Vec<Option<String>> = vec![None; prepared.len()];
    for (i, p) in prepared.iter().enumerate() {
        let Ok(p) = p else { continue };
        if !p.correction_reason.trim().is_empty() {
            let own = (p.body_id.clone(), p.fact.source_id.clone());
            revises[i] = earlier
                .get(&own)
                .or_else(|| recent.get(&own))
                .map(|r| r.digest.clone());
        }
        if let Some(r) = &p.reference {
            let key = (p.body_id.clone(), r.source_id.clone());
            match earlier.get(&key).or_else(|| recent.get(&key)) {
                Some(found) => referenced[i] = Some(found.clone()),
                None => wanted.push((i, key)),
            }
        }
        earlier.insert(
            (p.body_id.clone(), p.fact.source_id.clone()),
            Referenced {
                fact: p.fact.clone(),
                occurred_us: p.occurred_us,
                voided: false,
                digest: p.digest.clone(),
            },
        );
    }
    let keys: Vec<(String, String)> = wanted.iter().map(|(_, k)| k.clone()).collect();
    let stored = store::by_source(&intake.store.db, &keys).await?;
    for (i, key) in wanted {
        referenced[i] = stored.get(&key).and_then(|c| {
            Some(Referenced {
                fact: Fact::decode(c.payload.as_slice()).ok()?,
                occurred_us: c.occurred_us,
                voided: c.voided,
                digest: c.digest.clone(),
            })
        });
    }
    recent.push(earlier);
    // Known now: who a decision or closing naming no officers inherits; they
    // are asked about and stored as its officers.
    for (p, r) in prepared.iter_mut().zip(&referenced) {
        if let Ok(p) = p {
            findings::inherit_officers(p, r.as_ref());
        }
    }

    // A correction must come from whoever may revise the stored revision.
    let revised: Vec<(String, String)> = prepared
        .iter()
        .filter_map(|p| p.as_ref().ok())
        .filter(|p| !p.correction_reason.trim().is_empty())
        .map(|p| (p.body_id.clone(), p.fact.source_id.clone()))
        .collect();
    // A correction is also checked against the registry as it stood when
    // the fact was first recorded, so that nothing recorded there since (a
    // card "valid since" January issued today) clears what it was found to be.
    let mut first_recorded: HashMap<(String, String), i64> = HashMap::new();
    let mut stored_digest: HashMap<(String, String), String> = HashMap::new();
    let stored: HashMap<(String, String), (Fact, String)> = if revised.is_empty() {
        HashMap::new()
    } else {
        store::by_source(&intake.store.db, &revised)
            .await?
            .into_iter()
            .filter_map(|(k, c)| {
                first_recorded.insert(k.clone(), c.first_recorded_us);
                stored_digest.insert(k.clone(), c.digest.clone());
                Some((k, (Fact::decode(c.payload.as_slice()).ok()?, c.body_path)))
            })
            .collect()
    };
    for (i, p) in prepared.iter().enumerate() {
        if let Ok(p) = p
            && revises[i].is_none()
        {
            revises[i] = stored_digest
                .get(&(p.body_id.clone(), p.fact.source_id.clone()))
                .cloned();
        }
    }

    let asks: Vec<usize> = (0..prepared.len())
        .filter(|&i| prepared[i].is_ok())
        .collect();
    let mut bodies = Vec::new();
    for p in prepared.iter().filter_map(|p| p.as_ref().ok()) {
        bodies.extend(reporters::wanted(&ctx.principal, &p.fact));
    }
    for (f, _) in stored.values() {
        bodies.extend(reporters::wanted(&ctx.principal, f));
    }
    let (mut answer_of, paths, down) = match ask(
        intake,
        ctx,
        &prepared,
        &referenced,
        &asks,
        bodies,
        &first_recorded,
    )
    .await
    {
        Ok((a, paths)) => (a, paths, None),
        Err(e @ AppError::Unavailable(_)) => (HashMap::new(), Paths::new(), Some(e)),
        Err(e) => return Err(e),
    };

    let mut items = Vec::with_capacity(prepared.len());
    for (i, slot) in prepared.iter_mut().enumerate() {
        let checked = match (&mut *slot, &down) {
            (Err(e), _) => Err(e.clone()),
            (Ok(_), Some(e)) => Err(e.clone()),
            (Ok(p), None) => {
                let answer = answer_of.remove(&i).unwrap_or_default();
                let body_path = probity_common::body_scope::path_of(&answer.body_path);
                let before = stored.get(&(p.body_id.clone(), p.fact.source_id.clone()));
                match rightful(ctx, p, &body_path, before, &paths)
                    .and_then(|_| findings::evaluate(p, referenced[i].as_ref(), &answer))
                {
                    Ok(mut found) => {
                        found.extend(
                            reporters::outcome_not_reported(&intake.store.db, &p.body_id, &p.fact)
                                .await?,
                        );
                        Ok((found, body_path))
                    }
                    Err(e) => Err(e),
                }
            }
        };
        // Only refused submissions are looked at again (replays), so an
        // accepted one moves into its item instead of being copied.
        let item = checked.and_then(|(findings, body_path)| {
            let prepared = std::mem::replace(slot, Err(AppError::internal("checked")))?;
            Ok(Item::Submit(Box::new(Checked {
                prepared,
                findings,
                body_path,
                reference_digest: referenced[i].as_ref().map(|r| r.digest.clone()),
                revises: revises[i].take(),
                replay: false,
            })))
        });
        items.push(item);
    }
    replays(intake, ctx, &prepared, &mut items).await?;
    if let Some(e) = down
        && items
            .iter()
            .any(|i| matches!(i, Err(AppError::Unavailable(_))))
    {
        return Err(e);
    }
    Ok(items)
}

/// The registry's answers to the submissions `asks` (a department's view of
/// officers, except for kinds whose officers may be of any body) and the
/// paths of the other bodies the reporter checks need.
async fn ask(
    intake: &Intake,
    ctx: &Ctx,
    prepared: &[AppResult<Prepared>],
    referenced: &[Option<Referenced>],
    asks: &[usize],
    bodies: Vec<String>,
    first_recorded: &HashMap<(String, String), i64>,
) -> AppResult<(
    HashMap<usize, probity_proto::registry::v1::CheckActorsResponse>,
    Paths,
)> {
    let mut answer_of = HashMap::with_capacity(asks.len());
    let view = ctx.principal.department_body();
    for open in [false, true] {
        let (ids, questions): (Vec<usize>, Vec<_>) = asks
            .iter()
            .filter_map(|&i| {
                let p = prepared[i].as_ref().ok()?;
                (reporters::open_view(p.kind) == open).then(|| {
                    let mut q = findings::question(p, referenced[i].as_ref());
                    q.known_time = first_recorded
                        .get(&(p.body_id.clone(), p.fact.source_id.clone()))
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
    Ok((answer_of, reporters::paths(&intake.peers, bodies).await?))
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

/// A submission refused above (or not checked: the registry is down) may be
/// the resend of a stored revision: then the first result stands, whatever
/// the registry or the fact it refers to says now. Looked up only for those,
/// so new facts pay nothing for it.
async fn replays(
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
    let own: Vec<(String, String)> = retry
        .iter()
        .map(|(_, p)| (p.body_id.clone(), p.fact.source_id.clone()))
        .collect();
    let stored = store::by_source(&intake.store.db, &own).await?;
    let ids: Vec<i64> = stored.values().map(|c| c.id).collect();
    let revisions = store::digests(&intake.store.db, &ids).await?;
    for (i, p) in retry {
        let Some(c) = stored.get(&(p.body_id.clone(), p.fact.source_id.clone())) else {
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
                }))
            });
        }
    }
    Ok(())
}

fn outside() -> AppError {
    AppError::refused(
        Reason::OutsideDepartment,
        "a department may only act for itself and the bodies below it",
    )
}

fn single(mut out: Vec<Outcome>) -> AppResult<Fact> {
    match out.pop() {
        Some(Ok(a)) => a
            .fact
            .ok_or_else(|| AppError::internal("the writer returned no fact")),
        Some(Err(e)) => Err(e),
        None => Err(AppError::internal("the writer returned nothing")),
    }
}

pub async fn submit_fact(intake: &Intake, ctx: &Ctx, r: SubmitFactRequest) -> AppResult<Fact> {
    let items = check(
        intake,
        ctx,
        std::slice::from_ref(&r),
        &mut Recent::default(),
    )
    .await?;
    let out = intake
        .writer
        .submit(ctx.principal.clone(), ctx.method, items, true)
        .await?;
    single(out)
}

pub async fn void_fact(intake: &Intake, ctx: &Ctx, r: VoidFactRequest) -> AppResult<Fact> {
    let mut v = probity_common::Violations::new();
    let id = super::read::fact_id(&mut v, &r.name, "name");
    v.non_empty(&r.reason, "reason");
    v.max_len(&r.reason, 1000, "reason");
    probity_common::names::check_request_id(&mut v, &r.request_id);
    v.finish()?;
    // A retry is answered before the writer, as the first call was.
    if let Some(f) = intake
        .store
        .replay::<Fact>(&ctx.principal, ctx.method, &r.request_id, &r)
        .await?
    {
        return Ok(f);
    }
    let current = store::by_id(&intake.store.db, &[id])
        .await?
        .remove(&id)
        .ok_or_else(|| AppError::not_found(r.name.clone()))?;
    let stored = Fact::decode(current.payload.as_slice()).map_err(AppError::internal)?;
    if !reporters::sees(&ctx.principal, &stored, &current.body_path) {
        // Another department's facts are not there, as far as it can tell.
        return Err(AppError::not_found(r.name.clone()));
    }
    let paths = reporters::paths(&intake.peers, reporters::wanted(&ctx.principal, &stored)).await?;
    reporters::may_revise(&ctx.principal, &stored, &current.body_path, &paths)?;
    let item = Item::Void {
        fact_id: id,
        reason: r.reason.clone(),
        request: RequestKey::new(&ctx.principal, &r.request_id, &r),
        checked: current.digest.clone(),
    };
    let out = intake
        .writer
        .submit(ctx.principal.clone(), ctx.method, vec![Ok(item)], true)
        .await?;
    single(out)
}
