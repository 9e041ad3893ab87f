//! RecordRun: the job's stream, a run then its rows in batches, checked
//! whole before anything is written.
use std::collections::HashSet;

use probity_common::{AppError, Violations};
use probity_proto::rankings::v1::{RecordRunRequest, Run, record_run_request::Part};
use tonic::{Status, Streaming};

use super::{Ctx, checks};
use crate::{Rankings, runs};

/// Rows one run may hold.
const MAX_ROWS: usize = 2_000_000;

pub async fn record_run(
    rankings: &Rankings,
    ctx: &Ctx,
    mut stream: Streaming<RecordRunRequest>,
) -> Result<Run, Status> {
    let run = match stream.message().await? {
        Some(RecordRunRequest {
            part: Some(Part::Run(r)),
        }) => r,
        _ => {
            return Err(
                AppError::invalid("run", "the first message of the stream is the run").into(),
            );
        }
    };
    let mut rows = Vec::new();
    let mut subjects = HashSet::new();
    let mut v = Violations::new();
    while let Some(m) = stream.message().await? {
        let Some(Part::Rankings(b)) = m.part else {
            v.add("run", "one run per stream");
            continue;
        };
        for r in b.rankings {
            checks::row(&mut v, rows.len(), &r);
            // GetRanking reads one row per subject.
            v.check(
                subjects.insert(r.subject.clone()),
                format!("rankings[{}].subject", rows.len()),
                "appears twice in the run",
            );
            rows.push(r);
        }
        if rows.len() > MAX_ROWS {
            return Err(
                AppError::invalid("rankings", format!("at most {MAX_ROWS} rows a run")).into(),
            );
        }
    }
    v.finish()?;
    let today = rankings.today.unwrap_or_else(checks::city_today);
    let id = checks::run(&run, today)?;
    Ok(runs::record(rankings, ctx, id, run, rows).await?)
}
