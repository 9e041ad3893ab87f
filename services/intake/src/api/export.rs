//! The rankings job's bulk read: every current fact of a year (in the city's
//! time zone), with its findings, streamed in pages ordered by name.
use std::sync::Arc;

use futures::Stream;
use probity_common::{AppResult, Violations, db::stmt};
use probity_proto::intake::v1::*;
use sea_orm::{ConnectionTrait, Value};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

use super::Ctx;
use crate::{Intake, checks::year_start_us, store};
use probity_common::body_scope;

/// Ids per page (one streamed message holds at most this many facts).
const PAGE: usize = 1000;

async fn last_id(intake: &Intake) -> AppResult<i64> {
    let db = &intake.store.db;
    let row = db
        .query_one_raw(stmt(
            db,
            "SELECT COALESCE(MAX(id), 0) AS top FROM intake_facts",
            vec![],
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "top"))
        .transpose()?
        .unwrap_or(0))
}

/// The year and the kind filter both exports take.
pub(super) fn check_year_and_kind(year: i32, kind: i32) -> AppResult<()> {
    let mut v = Violations::new();
    v.check(
        (2000..=2200).contains(&year),
        "year",
        "must be between 2000 and 2200",
    );
    v.check(
        kind == 0 || FactKind::try_from(kind).is_ok(),
        "kind",
        format!("unknown value {kind}"),
    );
    v.finish()
}

pub fn export_facts(
    intake: Arc<Intake>,
    ctx: Ctx,
    r: ExportFactsRequest,
) -> AppResult<impl Stream<Item = Result<ExportFactsResponse, Status>> + Send + 'static> {
    check_year_and_kind(r.year, r.kind)?;
    let (tx, rx) = mpsc::channel(2);
    tokio::spawn(async move {
        // Pages are windows of ids up to the largest id when the export
        // starts: each query is a bounded range of the primary key, whatever
        // the planner thinks of the year's share of the table (with a LIMIT
        // and stale statistics it sorted the whole year for every page).
        let top = match last_id(&intake).await {
            Ok(t) => t,
            Err(e) => {
                let _ = tx.send(Err(e.into())).await;
                return;
            }
        };
        let mut after = 0i64;
        while after < top {
            match page(&intake, &ctx, &r, after).await {
                Ok(facts) => {
                    after += PAGE as i64;
                    if facts.is_empty() {
                        continue;
                    }
                    if tx.send(Ok(ExportFactsResponse { facts })).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e.into())).await;
                    return;
                }
            }
        }
    });
    Ok(ReceiverStream::new(rx))
}

async fn page(
    intake: &Intake,
    ctx: &Ctx,
    r: &ExportFactsRequest,
    after: i64,
) -> AppResult<Vec<Fact>> {
    let mut values: Vec<Value> = vec![
        after.into(),
        (after + PAGE as i64).into(),
        year_start_us(r.year).into(),
        year_start_us(r.year + 1).into(),
    ];
    let mut sql = "SELECT id, revision FROM intake_facts WHERE id > $1 AND id <= $2 AND occurred_us >= $3 AND occurred_us < $4".to_string();
    if r.kind != 0 {
        values.push(r.kind.into());
        sql.push_str(&format!(" AND kind = ${}", values.len()));
    }
    if !r.include_voided {
        sql.push_str(" AND voided = FALSE");
    }
    if let Some(p) = body_scope::read_pattern(&ctx.principal) {
        values.push(p.into());
        sql.push_str(&format!(
            " AND body_path LIKE ${} ESCAPE '\\'",
            values.len()
        ));
    }
    sql.push_str(" ORDER BY id");
    let db = &intake.store.db;
    let rows = db.query_all_raw(stmt(db, &sql, values)).await?;
    let wanted = rows
        .iter()
        .map(|row| {
            Ok((
                row.try_get::<i64>("", "id")?,
                row.try_get::<i32>("", "revision")?,
            ))
        })
        .collect::<AppResult<Vec<_>>>()?;
    store::load(db, &wanted).await
}
