//! Officers: `registry_officers` (each one's current state, for listings and
//! filters) and `registry_officer_events` (every change, the record).
use probity_common::{
    AppResult,
    db::{stmt, t},
    names::Page,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};

use super::entities::{officer, officer_event};

pub async fn officer<C: ConnectionTrait>(db: &C, id: &str) -> AppResult<Option<officer::Model>> {
    Ok(officer::Entity::find_by_id(id).one(db).await?)
}

/// The officers registered with this keyed hash of a national ID number:
/// one person, registered by one body or (m0006) by more, earliest first.
pub async fn by_national_id<C: ConnectionTrait>(
    db: &C,
    hmac: &str,
) -> AppResult<Vec<officer::Model>> {
    Ok(officer::Entity::find()
        .filter(officer::Column::NationalIdHmac.eq(hmac))
        .order_by_asc(officer::Column::CreatedUs)
        .order_by_asc(officer::Column::Id)
        .all(db)
        .await?)
}

pub async fn insert<C: ConnectionTrait>(db: &C, m: &officer::Model) -> AppResult<()> {
    officer::Entity::insert(officer::ActiveModel::from(m.clone()))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// What ListOfficers filters on; `within`: only officers of these bodies.
pub struct OfficerFilter {
    pub body: Option<String>,
    pub within: Option<Vec<String>>,
    pub status: Option<i32>,
    pub kind: Option<i32>,
}

/// One page of officers, ordered by id.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    f: OfficerFilter,
    pg: &Page,
) -> AppResult<Vec<officer::Model>> {
    let mut q = officer::Entity::find()
        .order_by_asc(officer::Column::Id)
        .limit(pg.size);
    if let Some(b) = f.body {
        q = q.filter(officer::Column::BodyId.eq(b));
    } else if let Some(ids) = f.within {
        q = q.filter(officer::Column::BodyId.is_in(ids));
    }
    if let Some(status) = f.status {
        q = q.filter(officer::Column::Status.eq(status));
    }
    if let Some(kind) = f.kind {
        q = q.filter(officer::Column::Kind.eq(kind));
    }
    if let Some(after) = &pg.after {
        q = q.filter(officer::Column::Id.gt(after.clone()));
    }
    Ok(q.all(db).await?)
}

/// The sequence number the officer's next event takes.
pub async fn next_event_seq<C: ConnectionTrait>(db: &C, officer_id: &str) -> AppResult<i32> {
    let seq: Option<i32> = officer_event::Entity::find()
        .select_only()
        .column_as(officer_event::Column::Seq.max(), "m")
        .filter(officer_event::Column::OfficerId.eq(officer_id))
        .into_tuple::<Option<i32>>()
        .one(db)
        .await?
        .flatten();
    Ok(seq.unwrap_or(0) + 1)
}

/// Appends `ev` to the officer's history and moves the current state to it.
pub async fn append_event<C: ConnectionTrait>(db: &C, ev: &officer_event::Model) -> AppResult<()> {
    officer_event::Entity::insert(officer_event::ActiveModel::from(ev.clone()))
        .exec_without_returning(db)
        .await?;
    officer::Entity::update_many()
        .col_expr(officer::Column::BodyId, Expr::value(ev.body_id.clone()))
        .col_expr(officer::Column::Status, Expr::value(ev.status))
        .col_expr(officer::Column::Posts, Expr::value(ev.posts.clone()))
        .col_expr(
            officer::Column::LastEffectiveUs,
            Expr::value(ev.effective_us),
        )
        .filter(officer::Column::Id.eq(ev.officer_id.clone()))
        .exec(db)
        .await?;
    Ok(())
}

/// The officer's history, in seq order.
pub async fn events<C: ConnectionTrait>(
    db: &C,
    officer_id: &str,
) -> AppResult<Vec<officer_event::Model>> {
    Ok(officer_event::Entity::find()
        .filter(officer_event::Column::OfficerId.eq(officer_id))
        .order_by_asc(officer_event::Column::Seq)
        .all(db)
        .await?)
}

/// The officer's latest STATUS_CHANGED event.
pub async fn last_status_change<C: ConnectionTrait>(
    db: &C,
    officer_id: &str,
) -> AppResult<Option<officer_event::Model>> {
    Ok(officer_event::Entity::find()
        .filter(officer_event::Column::OfficerId.eq(officer_id))
        .filter(officer_event::Column::Kind.eq("STATUS_CHANGED"))
        .order_by_desc(officer_event::Column::Seq)
        .one(db)
        .await?)
}

/// The role of the caller whose audit entry on `entity` records the
/// STATUS_CHANGED event `seq` (events recorded before m0002 keep no role of
/// their own). Reads the chain `chain_prefix`, newest entry first.
pub async fn status_change_role<C: ConnectionTrait>(
    db: &C,
    chain_prefix: &str,
    entity: &str,
    seq: i32,
) -> AppResult<Option<String>> {
    let entries = t(chain_prefix, "audit_entries");
    let rows = db
        .query_all_raw(stmt(
            db,
            &format!("SELECT role, change FROM {entries} WHERE entity = $1 ORDER BY seq DESC"),
            vec![entity.into()],
        ))
        .await?;
    for row in rows {
        let change: String = row.try_get("", "change")?;
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&change) else {
            continue;
        };
        if v["op"] == "STATUS_CHANGED" && v["seq"] == seq {
            return Ok(Some(row.try_get("", "role")?));
        }
    }
    Ok(None)
}
