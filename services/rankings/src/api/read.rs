//! The reads: runs by name or year, a run's rankings a page at a time, one
//! subject's ranking. A department sees only its own subtree; another's
//! rows are not there, as far as it can tell.
use probity_common::{
    AppError, AppResult, Violations, body_scope,
    db::Filter,
    names::{next_token, page, parse_top, ts_us},
};
use probity_proto::rankings::v1::*;

use super::Ctx;
use crate::{Rankings, runs, store};

pub async fn get_run(rankings: &Rankings, _: &Ctx, r: GetRunRequest) -> AppResult<Run> {
    if parse_top(&r.name, "runs").is_none() {
        return Err(AppError::invalid("name", "must be runs/{run}"));
    }
    runs::resolve(rankings, &r.name, 0).await
}

pub async fn list_runs(
    rankings: &Rankings,
    _: &Ctx,
    r: ListRunsRequest,
) -> AppResult<ListRunsResponse> {
    let mut v = Violations::new();
    v.check((2000..=2100).contains(&r.year), "year", "a year 2000-2100");
    let key = r.year.to_string();
    let p = page(&mut v, r.page_size, &r.page_token, &key);
    v.finish()?;
    let after = p.after.as_ref().map(|a| {
        let (us, id) = a.split_once(':').unwrap_or(("0", ""));
        (us.parse::<i64>().unwrap_or(0), id.to_string())
    });
    let runs = store::runs_of(&rankings.store.db, r.year, after, p.size).await?;
    let last = runs.last().map(|x| {
        let us = x.create_time.as_ref().map(ts_us).unwrap_or(0);
        format!("{us}:{}", x.name.trim_start_matches("runs/"))
    });
    Ok(ListRunsResponse {
        next_page_token: next_token(runs.len(), &p, last.as_deref(), &key),
        runs,
    })
}

pub async fn list_rankings(
    rankings: &Rankings,
    ctx: &Ctx,
    r: ListRankingsRequest,
) -> AppResult<ListRankingsResponse> {
    let mut v = Violations::new();
    if !matches!(
        Level::try_from(r.level),
        Ok(Level::Officer | Level::Department | Level::Town)
    ) {
        v.add("level", "OFFICER, DEPARTMENT or TOWN");
    }
    v.max_len(&r.peer_group, 200, "peer_group");
    let key = format!(
        "{}|{}|{}|{}|{}",
        r.run, r.year, r.level, r.peer_group, r.flagged_only
    );
    let p = page(&mut v, r.page_size, &r.page_token, &key);
    v.finish()?;
    let run = runs::resolve(rankings, &r.run, r.year).await?;
    let mut q = Filter::default();
    q.and(
        "run_id = $?",
        run.name.trim_start_matches("runs/").to_string(),
    )
    .and("level = $?", r.level);
    if !r.peer_group.is_empty() {
        q.and("peer_group = $?", r.peer_group.clone());
    }
    if r.flagged_only {
        q.and("flagged = $?", true);
    }
    if let Some(pat) = body_scope::read_pattern(&ctx.principal) {
        q.and("body_path LIKE $? ESCAPE '\\'", pat);
    }
    if let Some(after) = &p.after {
        q.and("ord > $?", after.parse::<i64>().unwrap_or(i64::MAX));
    }
    let (rankings, last) = store::rows(&rankings.store.db, q, p.size).await?;
    let last = last.map(|o| o.to_string());
    Ok(ListRankingsResponse {
        run: Some(run),
        next_page_token: next_token(rankings.len(), &p, last.as_deref(), &key),
        rankings,
    })
}

pub async fn get_ranking(
    rankings: &Rankings,
    ctx: &Ctx,
    r: GetRankingRequest,
) -> AppResult<Ranking> {
    if parse_top(&r.subject, "officers").is_none() && parse_top(&r.subject, "bodies").is_none() {
        return Err(AppError::invalid(
            "subject",
            "officers/{officer} or bodies/{body}",
        ));
    }
    let run = runs::resolve(rankings, &r.run, r.year).await?;
    let id = run.name.trim_start_matches("runs/");
    let (path, ranking) = store::row_of(&rankings.store.db, id, &r.subject)
        .await?
        .ok_or_else(|| AppError::not_found(&r.subject))?;
    body_scope::check(&ctx.principal, &path).map_err(|_| AppError::not_found(&r.subject))?;
    Ok(ranking)
}
