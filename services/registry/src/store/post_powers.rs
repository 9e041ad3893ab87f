//! Which post holds which power over time (`registry_post_powers`): an
//! interval per holding, open while it lasts; ending one sets its end and
//! when that end was recorded, nothing is deleted.
use std::collections::BTreeSet;

use probity_common::AppResult;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    QueryTrait, sea_query::Expr,
};

use super::entities::{post_power, power};

/// Ids of the powers a post holds now (open intervals).
pub async fn open_power_ids<C: ConnectionTrait>(db: &C, post_id: &str) -> AppResult<Vec<String>> {
    Ok(post_power::Entity::find()
        .select_only()
        .column(post_power::Column::PowerId)
        .filter(post_power::Column::PostId.eq(post_id))
        .filter(post_power::Column::ToUs.is_null())
        .into_tuple()
        .all(db)
        .await?)
}

/// Every interval of a post, open or ended.
pub async fn of_post<C: ConnectionTrait>(
    db: &C,
    post_id: &str,
) -> AppResult<Vec<post_power::Model>> {
    Ok(post_power::Entity::find()
        .filter(post_power::Column::PostId.eq(post_id))
        .all(db)
        .await?)
}

/// Open intervals of the powers `power_ids`.
pub async fn open_of_powers<C: ConnectionTrait>(
    db: &C,
    power_ids: Vec<String>,
) -> AppResult<Vec<post_power::Model>> {
    Ok(post_power::Entity::find()
        .filter(post_power::Column::PowerId.is_in(power_ids))
        .filter(post_power::Column::ToUs.is_null())
        .all(db)
        .await?)
}

/// Open intervals of the posts of `body_id`.
pub async fn open_of_body<C: ConnectionTrait>(
    db: &C,
    body_id: &str,
) -> AppResult<Vec<post_power::Model>> {
    Ok(post_power::Entity::find()
        .filter(post_power::Column::BodyId.eq(body_id))
        .filter(post_power::Column::ToUs.is_null())
        .all(db)
        .await?)
}

/// Ids of the powers of `body_id` some post holds now, an entrusted
/// organization's posts included.
pub async fn held_of_body<C: ConnectionTrait>(
    db: &C,
    body_id: &str,
) -> AppResult<BTreeSet<String>> {
    let of_body = power::Entity::find()
        .select_only()
        .column(power::Column::Id)
        .filter(power::Column::BodyId.eq(body_id));
    Ok(post_power::Entity::find()
        .select_only()
        .column(post_power::Column::PowerId)
        .filter(post_power::Column::PowerId.in_subquery(of_body.into_query()))
        .filter(post_power::Column::ToUs.is_null())
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// Opens a holding of `power_id` by the post from `from_us`.
pub async fn open<C: ConnectionTrait>(
    db: &C,
    post_id: &str,
    body_id: &str,
    power_id: &str,
    from_us: i64,
    recorded_us: i64,
) -> AppResult<()> {
    post_power::Entity::insert(post_power::ActiveModel {
        id: Set(probity_common::names::new_id()),
        post_id: Set(post_id.to_string()),
        power_id: Set(power_id.to_string()),
        body_id: Set(body_id.to_string()),
        from_us: Set(from_us),
        to_us: Set(None),
        recorded_us: Set(recorded_us),
        to_recorded_us: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Which open holdings [`end`] closes.
pub enum Holdings<'a> {
    /// Every post's holding of this power (it is withdrawn).
    OfPower(&'a str),
    /// This post's holdings of these powers.
    OfPost(&'a str, Vec<String>),
}

/// Ends the open holdings `which` at `to_us`, recorded at `recorded_us`.
pub async fn end<C: ConnectionTrait>(
    db: &C,
    which: Holdings<'_>,
    to_us: i64,
    recorded_us: i64,
) -> AppResult<()> {
    let q = post_power::Entity::update_many()
        .col_expr(post_power::Column::ToUs, Expr::value(to_us))
        .col_expr(post_power::Column::ToRecordedUs, Expr::value(recorded_us));
    let q = match which {
        Holdings::OfPower(power_id) => q.filter(post_power::Column::PowerId.eq(power_id)),
        Holdings::OfPost(post_id, power_ids) => q
            .filter(post_power::Column::PostId.eq(post_id))
            .filter(post_power::Column::PowerId.is_in(power_ids)),
    };
    q.filter(post_power::Column::ToUs.is_null())
        .exec(db)
        .await?;
    Ok(())
}
