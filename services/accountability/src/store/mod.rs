//! Accountability's SQL, table by table; the rules that decide what to
//! write are in the domain modules (`cases/`, `lifecycle`, `effects`,
//! `sweep`, `finding_sweep`), which call these. Cases, orders and
//! commendations keep their record as this service's own row types
//! (`rows.rs`, JSON in a TEXT column) beside the columns listings filter
//! on; every change of a case or an order appends an event holding the
//! record as it became, under the audit entry that records it, in the same
//! transaction (`events.rs`).
use probity_common::{AppError, AppResult, db::stmt};
use sea_orm::{ConnectionTrait, QueryResult};
use serde::de::DeserializeOwned;

pub mod cases;
pub mod commendations;
pub mod effects;
pub mod events;
pub mod gathered;
pub mod notices;
pub mod orders;
pub mod recorded;
pub mod referrals;
pub mod rows;

pub use rows::{CaseRow, OrderRow, ReferralRow};

/// The record in a row's `record` column.
fn record<T: DeserializeOwned>(row: &QueryResult) -> AppResult<T> {
    let text: String = row.try_get("", "record")?;
    serde_json::from_str(&text).map_err(AppError::internal)
}

/// The LIKE pattern of body paths at or below the body `id`.
fn under(id: &str) -> String {
    probity_common::body_scope::under(id)
}

/// Rows of `select` that `q` keeps, by id, at most `size`.
async fn select_page<C: ConnectionTrait, T>(
    db: &C,
    select: &str,
    q: probity_common::db::Filter,
    size: u64,
    row: fn(&QueryResult) -> AppResult<T>,
) -> AppResult<Vec<T>> {
    let wh = q.clause();
    let sql = format!("{select} {wh} ORDER BY id LIMIT {size}");
    let rows = db.query_all_raw(stmt(db, &sql, q.values)).await?;
    rows.iter().map(row).collect()
}
