//! The facts as stored, for the calls that asked for them (unary calls):
//! new facts from memory, the rest read back.
use std::collections::HashMap;

use probity_common::{AppError, AppResult};
use probity_proto::intake::v1::Fact;
use prost::Message;

use super::{
    job::{Job, Outcome},
    rows::Row,
};
use crate::{finding_states, store};

/// The revision as the API shows it, without reading it back.
fn view(row: &Row, actor: &str, recorded_us: i64) -> AppResult<Fact> {
    let fact = Fact::decode(row.payload.as_slice()).map_err(AppError::internal)?;
    let source_id = fact.source_id.clone();
    let mut f = store::view(
        fact,
        store::Stamp {
            id: row.fact_id,
            revision: row.revision,
            reason: row.reason.clone(),
            voided: row.voided,
            actor: actor.to_string(),
            occurred_us: row.occurred_us,
            recorded_us,
        },
    );
    f.findings = row
        .findings
        .iter()
        .enumerate()
        .map(|(i, x)| {
            finding_states::view_new(
                row.fact_id,
                row.revision,
                i as i32,
                x,
                &row.body,
                row.kind,
                row.occurred_us,
                &source_id,
            )
        })
        .collect();
    Ok(f)
}

/// Gives the callers that asked for them (unary calls) the new facts made
/// for them as stored, from memory. Corrections and voids are read back
/// ([`read_back`]): they show the findings of earlier revisions too.
pub(super) fn view_made(
    outcomes: &mut [Vec<Outcome>],
    jobs: &[Job],
    rows: &[Row],
    now_us: i64,
) -> AppResult<()> {
    let made: HashMap<(i64, i32), &Row> = rows
        .iter()
        .filter(|r| r.new_fact.is_some())
        .map(|r| ((r.fact_id, r.revision), r))
        .collect();
    for (j, job) in jobs.iter().enumerate().filter(|(_, job)| job.full) {
        for a in outcomes[j].iter_mut().filter_map(|o| o.as_mut().ok()) {
            if let Some(r) = made.get(&(a.fact_id, a.revision)) {
                let f = view(r, &job.principal.subject, now_us)?;
                a.findings = f.findings.len();
                a.fact = Some(f);
            }
        }
    }
    Ok(())
}

/// Reads back, in the batch's transaction, what the callers that asked got
/// without a view from memory: replays, corrections and voids.
pub(super) async fn read_back(
    txn: &sea_orm::DatabaseTransaction,
    outcomes: &mut [Vec<Outcome>],
    jobs: &[Job],
) -> AppResult<()> {
    for j in (0..jobs.len()).filter(|&j| jobs[j].full) {
        let replays: Vec<(i64, i32)> = outcomes[j]
            .iter()
            .filter_map(|o| o.as_ref().ok())
            .filter(|a| a.fact.is_none())
            .map(|a| (a.fact_id, a.revision))
            .collect();
        if replays.is_empty() {
            continue;
        }
        let mut read: HashMap<(i64, i32), Fact> = store::load(txn, &replays)
            .await?
            .into_iter()
            .map(|f| {
                let id = store::fact_id(&f.name).unwrap_or(0);
                ((id, f.revision), f)
            })
            .collect();
        for a in outcomes[j].iter_mut().filter_map(|o| o.as_mut().ok()) {
            if a.fact.is_none() {
                a.fact = read.remove(&(a.fact_id, a.revision));
                a.findings = a.fact.as_ref().map_or(0, |f| f.findings.len());
            }
        }
    }
    Ok(())
}
