//! The catalogue of major decisions (`registry_major_criteria`): every
//! version of a power's criteria, appended, never rewritten.
use probity_common::AppResult;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::entities::major_criteria;

/// Every version of a power's criteria, in version order.
pub async fn versions<C: ConnectionTrait>(
    db: &C,
    power_id: &str,
) -> AppResult<Vec<major_criteria::Model>> {
    Ok(major_criteria::Entity::find()
        .filter(major_criteria::Column::PowerId.eq(power_id))
        .order_by_asc(major_criteria::Column::Version)
        .all(db)
        .await?)
}

/// Every version of the criteria of `power_ids`, in version order.
pub async fn versions_of<C: ConnectionTrait>(
    db: &C,
    power_ids: &[&str],
) -> AppResult<Vec<major_criteria::Model>> {
    Ok(major_criteria::Entity::find()
        .filter(major_criteria::Column::PowerId.is_in(power_ids.iter().copied()))
        .order_by_asc(major_criteria::Column::Version)
        .all(db)
        .await?)
}

pub async fn insert<C: ConnectionTrait>(db: &C, row: &major_criteria::Model) -> AppResult<()> {
    major_criteria::Entity::insert(major_criteria::ActiveModel::from(row.clone()))
        .exec_without_returning(db)
        .await?;
    Ok(())
}
