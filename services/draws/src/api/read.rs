//! Reading draws. Every draw is public from its commitment on (一公开):
//! PublicDrawsService answers anyone; DrawsService answers a department
//! about its own unit's draws only (as it acts only for itself).
use probity_common::{
    AppError, AppResult, Violations,
    names::{page, parse_top},
};
use probity_proto::draws::v1::*;

use super::{Ctx, own_unit};
use crate::Draws;

async fn get_draw(draws: &Draws, name: &str) -> AppResult<Draw> {
    let Some(id) = parse_top(name, "draws") else {
        return Err(AppError::invalid("name", "draws/{draw}"));
    };
    crate::store::draw(&draws.store.db, &id)
        .await?
        .map(|r| r.draw)
        .ok_or_else(|| AppError::not_found(name.to_string()))
}

pub async fn get_public(draws: &Draws, _ctx: &Ctx, r: GetDrawRequest) -> AppResult<Draw> {
    get_draw(draws, &r.name).await
}

pub async fn get(draws: &Draws, ctx: &Ctx, r: GetDrawRequest) -> AppResult<Draw> {
    let d = get_draw(draws, &r.name).await?;
    let unit = d.unit.strip_prefix("bodies/").unwrap_or_default();
    match own_unit(&ctx.principal, unit) {
        // As if it did not exist: the department reads the public one.
        Err(_) => Err(AppError::not_found(r.name)),
        Ok(()) => Ok(d),
    }
}

async fn list_draws(
    draws: &Draws,
    ctx: Option<&Ctx>,
    r: ListDrawsRequest,
) -> AppResult<ListDrawsResponse> {
    let mut v = Violations::new();
    let unit = if r.parent == "bodies/-" {
        None
    } else {
        let id = parse_top(&r.parent, "bodies");
        if id.is_none() {
            v.add("parent", "bodies/{body} or bodies/-");
        }
        id
    };
    let key = r.parent.clone();
    let p = page(&mut v, r.page_size, &r.page_token, &key);
    v.finish()?;
    let unit = match (ctx.and_then(|c| c.principal.department_body()), unit) {
        (Some(own), None) => Some(own.to_string()),
        (Some(_), Some(u)) => {
            own_unit(&ctx.expect("a department").principal, &u)?;
            Some(u)
        }
        (None, u) => u,
    };
    let after = p.after.as_deref().and_then(|a| {
        let (us, id) = a.split_once('\u{1}')?;
        Some((us.parse().ok()?, id.to_string()))
    });
    let rows = crate::store::list(&draws.store.db, unit.as_deref(), after, p.size).await?;
    let last = rows.last().map(|(us, id, _)| format!("{us}\u{1}{id}"));
    let next_page_token = probity_common::names::next_token(rows.len(), &p, last.as_deref(), &key);
    Ok(ListDrawsResponse {
        draws: rows
            .into_iter()
            .map(|(_, _, d)| Draw {
                record_json: String::new(),
                ..d
            })
            .collect(),
        next_page_token,
    })
}

pub async fn list(draws: &Draws, ctx: &Ctx, r: ListDrawsRequest) -> AppResult<ListDrawsResponse> {
    list_draws(draws, Some(ctx), r).await
}

pub async fn list_public(
    draws: &Draws,
    _ctx: &Ctx,
    r: ListDrawsRequest,
) -> AppResult<ListDrawsResponse> {
    list_draws(draws, None, r).await
}
