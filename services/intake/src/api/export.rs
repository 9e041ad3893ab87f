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
use crate::{Intake, prepare::year_start_us, tables};
use probity_common::body_scope;

/// Facts per streamed message.
const PAGE: usize = 1000;

pub fn export_facts(
    intake: Arc<Intake>,
    ctx: Ctx,
    r: ExportFactsRequest,
) -> AppResult<impl Stream<Item = Result<ExportFactsResponse, Status>> + Send + 'static> {
    let mut v = Violations::new();
    v.check(
        (2000..=2200).contains(&r.year),
        "year",
        "must be between 2000 and 2200",
    );
    v.check(
        r.kind == 0 || FactKind::try_from(r.kind).is_ok(),
        "kind",
        format!("unknown value {}", r.kind),
    );
    v.finish()?;
    let (tx, rx) = mpsc::channel(2);
    tokio::spawn(async move {
        let mut after = 0i64;
        loop {
            match page(&intake, &ctx, &r, after).await {
                Ok((facts, _)) if facts.is_empty() => return,
                Ok((facts, last)) => {
                    after = last;
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
) -> AppResult<(Vec<Fact>, i64)> {
    let mut values: Vec<Value> = vec![
        after.into(),
        year_start_us(r.year).into(),
        year_start_us(r.year + 1).into(),
    ];
    let mut sql = "SELECT id, revision FROM intake_facts WHERE id > $1 AND occurred_us >= $2 AND occurred_us < $3".to_string();
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
    sql.push_str(&format!(" ORDER BY id LIMIT {PAGE}"));
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
    let last = wanted.last().map(|(id, _)| *id).unwrap_or(after);
    Ok((tables::load(db, &wanted).await?, last))
}
