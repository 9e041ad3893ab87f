//! SubmitFact and VoidFact: screened (`crate::screening`), then committed by
//! the writer.
use probity_common::{AppError, AppResult, store::RequestKey};
use probity_proto::intake::v1::*;
use prost::Message;

use super::Ctx;
use crate::{
    Intake, reporters,
    screening::{self, Recent},
    store,
    writer::{Item, Outcome},
};

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
    let items = screening::check(
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
