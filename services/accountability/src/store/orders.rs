//! `accountability_orders`: one row per correction order, its record and
//! the columns listings and the overdue sweep filter on.
use probity_common::{
    AppResult,
    db::{Filter, stmt},
};
use sea_orm::{ConnectionTrait, QueryResult};

use super::{
    OrderRow,
    rows::{OrderState, to_json},
};

fn order_row(row: &QueryResult) -> AppResult<OrderRow> {
    Ok(OrderRow {
        id: row.try_get("", "id")?,
        body_path: row.try_get("", "body_path")?,
        order: super::record(row)?,
    })
}

pub async fn load<C: ConnectionTrait>(db: &C, id: &str) -> AppResult<Option<OrderRow>> {
    let row = db
        .query_one_raw(stmt(
            db,
            "SELECT id, body_path, record FROM accountability_orders WHERE id = $1",
            vec![id.into()],
        ))
        .await?;
    row.as_ref().map(order_row).transpose()
}

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    row: &OrderRow,
    deadline_us: i64,
    now_us: i64,
) -> AppResult<()> {
    db.execute_raw(stmt(
        db,
        "INSERT INTO accountability_orders (id, body, body_path, state, deadline_us, created_us, version, record) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        vec![
            row.id.clone().into(),
            row.order.body.clone().into(),
            row.body_path.clone().into(),
            row.order.state.code().into(),
            deadline_us.into(),
            now_us.into(),
            1i64.into(),
            to_json(&row.order).into(),
        ],
    ))
    .await?;
    Ok(())
}

pub async fn save<C: ConnectionTrait>(db: &C, row: &OrderRow) -> AppResult<()> {
    db.execute_raw(stmt(
        db,
        "UPDATE accountability_orders SET state = $1, version = version + 1, record = $2 WHERE id = $3",
        vec![
            row.order.state.code().into(),
            to_json(&row.order).into(),
            row.id.clone().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Ids of open orders whose deadline is at or before `now_us`, at most 500.
pub async fn overdue_ids<C: ConnectionTrait>(db: &C, now_us: i64) -> AppResult<Vec<String>> {
    let rows = db
        .query_all_raw(stmt(
            db,
            "SELECT id FROM accountability_orders WHERE state = $1 AND deadline_us <= $2 ORDER BY id LIMIT 500",
            vec![OrderState::Open.code().into(), now_us.into()],
        ))
        .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get::<String>("", "id"))
        .collect::<Result<_, _>>()?)
}

/// What a listing of orders selects; every part is optional.
#[derive(Debug, Default)]
pub struct Listing {
    /// A body's id: orders to that body and the bodies below it.
    pub under: Option<String>,
    /// The caller's scope (`body_scope::read_pattern`).
    pub scope: Option<String>,
    pub state: Option<i32>,
    /// The page starts after this id.
    pub after: Option<String>,
}

/// One page of the orders `l` selects, by id.
pub async fn page<C: ConnectionTrait>(db: &C, l: &Listing, size: u64) -> AppResult<Vec<OrderRow>> {
    let mut q = Filter::default();
    if let Some(b) = &l.under {
        q.and("body_path LIKE $? ESCAPE '\\'", super::under(b));
    }
    if let Some(pat) = &l.scope {
        q.and("body_path LIKE $? ESCAPE '\\'", pat.clone());
    }
    if let Some(s) = l.state {
        q.and("state = $?", s);
    }
    if let Some(after) = &l.after {
        q.and("id > $?", after.clone());
    }
    let select = "SELECT id, body_path, record FROM accountability_orders";
    super::select_page(db, select, q, size, order_row).await
}
