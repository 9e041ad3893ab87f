//! A run's life: recorded once per run id (the job's retry gets the first
//! record back), and a sealed year takes no other run. Readers name a run,
//! or a year for its latest.
use probity_common::{AppError, AppResult, Reason, dispatch::Ctx, names::parse_top, names::to_ts};
use probity_proto::rankings::v1::{Ranking, Run};

use crate::{Rankings, store};

/// Records `run` (its id already checked) and its rows in one transaction.
pub async fn record(
    rankings: &Rankings,
    ctx: &Ctx,
    id: String,
    mut run: Run,
    rows: Vec<Ranking>,
) -> AppResult<Run> {
    let mut w = rankings
        .store
        .write(&ctx.principal, ctx.method, "", &run)
        .await?;
    let txn = w.txn();
    if let Some(first) = store::run(txn, &id).await? {
        return Ok(first);
    }
    if let Some(sealer) = store::sealed_by(txn, run.year).await? {
        return Err(AppError::refused(
            Reason::YearSealed,
            format!(
                "{} was sealed by runs/{sealer}: no other run of the year is recorded",
                run.year
            ),
        ));
    }
    let now = chrono::Utc::now();
    run.create_time = Some(to_ts(now));
    run.rows = rows.len() as i32;
    let rows_sha256 = store::insert(txn, &id, &run, now.timestamp_micros(), &rows).await?;
    w.audit(
        &run.name,
        serde_json::json!({
            "op": "record_run", "year": run.year, "as_of": run.as_of, "finalized": run.finalized,
            "plan_version": run.plan_version, "input_fingerprint": run.input_fingerprint,
            "rows": rows.len(), "rows_sha256": rows_sha256,
            // what its reports must be when they are uploaded
            "reports": run.reports.iter()
                .map(|f| serde_json::json!({"path": f.path, "sha256": f.sha256, "size_bytes": f.size_bytes}))
                .collect::<Vec<_>>(),
        }),
    )
    .await?;
    let recorded = w.commit(run).await?;
    probity_common::telemetry::ops::rankings_last_run(now.timestamp_micros() as f64 / 1e6);
    Ok(recorded)
}

/// The run asked for: by name, or the year's latest (its sealed one).
pub async fn resolve(rankings: &Rankings, run: &str, year: i32) -> AppResult<Run> {
    let db = &rankings.store.db;
    let found = if !run.is_empty() {
        let id =
            parse_top(run, "runs").ok_or_else(|| AppError::invalid("run", "must be runs/{run}"))?;
        store::run(db, &id).await?
    } else {
        if !(2000..=2100).contains(&year) {
            return Err(AppError::invalid("year", "a run or a year 2000-2100"));
        }
        store::latest_of(db, year).await?
    };
    found.ok_or_else(|| {
        AppError::not_found(if run.is_empty() {
            format!("a run of {year}")
        } else {
            run.to_string()
        })
    })
}
