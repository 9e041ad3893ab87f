//! ExportFactColumns: the facts ExportFacts gives (the same year in the
//! city's time, scope, current revisions and voids), as Arrow record
//! batches in id order. One read transaction (a snapshot on PostgreSQL),
//! windows of ids streamed row by row into column builders: memory is a
//! window's columns whatever the year, and one connection does it all.
use std::sync::Arc;

use futures::{Stream, StreamExt};
use probity_common::{AppError, AppResult, body_scope, db::stmt};
use probity_proto::intake::v1::*;
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseBackend, DatabaseTransaction, IsolationLevel, StreamTrait,
    TransactionTrait, Value,
};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

use super::Ctx;
use crate::{
    Intake,
    checks::year_start_us,
    fact_columns::{Batch, Stored},
};

/// Ids a window spans: a message holds at most this many facts.
const WINDOW: i64 = 65_536;

pub fn export_fact_columns(
    intake: Arc<Intake>,
    ctx: Ctx,
    r: ExportFactColumnsRequest,
) -> AppResult<impl Stream<Item = Result<ExportFactColumnsResponse, Status>> + Send + 'static> {
    super::export::check_year_and_kind(r.year, r.kind)?;
    let (tx, rx) = mpsc::channel(2);
    tokio::spawn(async move {
        if let Err(e) = export(&intake, &ctx, &r, &tx).await {
            let _ = tx.send(Err(e.into())).await;
        }
    });
    Ok(ReceiverStream::new(rx))
}

type Out = mpsc::Sender<Result<ExportFactColumnsResponse, Status>>;

async fn export(
    intake: &Intake,
    ctx: &Ctx,
    r: &ExportFactColumnsRequest,
    tx: &Out,
) -> AppResult<()> {
    let db = &intake.store.db;
    let pg = db.get_database_backend() == DatabaseBackend::Postgres;
    // Every window from one snapshot: a correction committed mid-export is
    // either wholly in or wholly out.
    let txn = if pg {
        db.begin_with_config(
            Some(IsolationLevel::RepeatableRead),
            Some(AccessMode::ReadOnly),
        )
        .await?
    } else {
        db.begin().await?
    };
    let q = Query::new(pg, ctx, r);
    let top = last_id(&txn).await?;
    let mut after = 0i64;
    let mut batch = Batch::default();
    while after < top {
        let upto = after + WINDOW;
        q.facts(&txn, after, upto, &mut batch).await?;
        if !batch.is_empty() {
            q.findings(&txn, after, upto, &mut batch).await?;
            let [facts, officers, findings] = batch.encode()?;
            let m = ExportFactColumnsResponse {
                facts,
                officers,
                findings,
            };
            if tx.send(Ok(m)).await.is_err() {
                break;
            }
        }
        after = upto;
    }
    // read only: nothing to keep
    txn.rollback().await?;
    Ok(())
}

async fn last_id(txn: &DatabaseTransaction) -> AppResult<i64> {
    let row = txn
        .query_one_raw(stmt(
            txn,
            "SELECT COALESCE(MAX(id), 0) AS top FROM intake_facts",
            vec![],
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "top"))
        .transpose()?
        .unwrap_or(0))
}

/// The conditions ExportFacts puts on a fact, for a window of ids.
struct Query {
    pg: bool,
    /// after `f.` conditions on the window ($1, $2) and the year ($3, $4)
    filter: String,
    values: Vec<Value>,
}

impl Query {
    fn new(pg: bool, ctx: &Ctx, r: &ExportFactColumnsRequest) -> Query {
        let mut values: Vec<Value> = vec![
            year_start_us(r.year).into(),
            year_start_us(r.year + 1).into(),
        ];
        let mut filter = String::new();
        let p = |n: usize| if pg { format!("${n}") } else { "?".into() };
        if r.kind != 0 {
            values.push(r.kind.into());
            filter.push_str(&format!(" AND f.kind = {}", p(values.len() + 2)));
        }
        if !r.include_voided {
            filter.push_str(" AND f.voided = FALSE");
        }
        if let Some(pattern) = body_scope::read_pattern(&ctx.principal) {
            values.push(pattern.into());
            filter.push_str(&format!(
                " AND f.body_path LIKE {} ESCAPE '\\'",
                p(values.len() + 2)
            ));
        }
        Query { pg, filter, values }
    }

    fn window(&self, after: i64, upto: i64) -> (String, Vec<Value>) {
        let p = |n: usize| if self.pg { format!("${n}") } else { "?".into() };
        let mut values: Vec<Value> = vec![after.into(), upto.into()];
        values.extend(self.values.iter().cloned());
        (
            format!(
                "f.id > {} AND f.id <= {} AND f.occurred_us >= {} AND f.occurred_us < {}{}",
                p(1),
                p(2),
                p(3),
                p(4),
                self.filter
            ),
            values,
        )
    }

    async fn facts(
        &self,
        txn: &DatabaseTransaction,
        after: i64,
        upto: i64,
        batch: &mut Batch,
    ) -> AppResult<()> {
        let (cond, values) = self.window(after, upto);
        let sql = format!(
            "SELECT f.id, f.kind, f.body, f.source_id, f.voided, f.occurred_us, r.payload \
             FROM intake_facts f JOIN intake_revisions r \
             ON r.fact_id = f.id AND r.revision = f.revision WHERE {cond} ORDER BY f.id"
        );
        let mut rows = std::pin::pin!(txn.stream_raw(stmt(txn, &sql, values)).await?);
        while let Some(row) = rows.next().await {
            let row = row?;
            let body: String = row.try_get_by_index(2)?;
            let source_id: String = row.try_get_by_index(3)?;
            let payload: Vec<u8> = row.try_get_by_index(6)?;
            batch.push(&Stored {
                id: row.try_get_by_index(0)?,
                kind: row.try_get_by_index(1)?,
                body: &body,
                source_id: &source_id,
                voided: row.try_get_by_index(4)?,
                occurred_us: row.try_get_by_index(5)?,
                payload: &payload,
            })?;
        }
        Ok(())
    }

    /// Every finding on the window's facts, of any revision: the current
    /// revision shows all of them (store::load).
    async fn findings(
        &self,
        txn: &DatabaseTransaction,
        after: i64,
        upto: i64,
        batch: &mut Batch,
    ) -> AppResult<()> {
        let (cond, values) = self.window(after, upto);
        let sql = format!(
            "SELECT x.fact_id, x.rule, x.officer, x.state FROM intake_findings x \
             JOIN intake_facts f ON f.id = x.fact_id WHERE {cond} \
             ORDER BY x.fact_id, x.revision, x.seq"
        );
        let mut rows = std::pin::pin!(txn.stream_raw(stmt(txn, &sql, values)).await?);
        while let Some(row) = rows.next().await {
            let row = row.map_err(AppError::from)?;
            let rule: String = row.try_get_by_index(1)?;
            let officer: String = row.try_get_by_index(2)?;
            batch.push_finding(
                row.try_get_by_index(0)?,
                &rule,
                &officer,
                row.try_get_by_index(3)?,
            );
        }
        Ok(())
    }
}
