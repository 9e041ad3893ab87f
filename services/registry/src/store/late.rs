//! Changes recorded later than the backdating grace allows
//! (`registry_late_changes`), kept for the legal-affairs office to list.
use probity_common::{AppResult, names::Page};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::entities::late_change;

pub async fn insert<C: ConnectionTrait>(db: &C, m: &late_change::Model) -> AppResult<()> {
    late_change::Entity::insert(late_change::ActiveModel::from(m.clone()))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// One page of late changes, ordered by id: of `body`, else of the bodies
/// `within` (a department's), else of all.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    body: Option<&str>,
    within: Option<Vec<String>>,
    pg: &Page,
) -> AppResult<Vec<late_change::Model>> {
    let mut q = late_change::Entity::find()
        .order_by_asc(late_change::Column::Id)
        .limit(pg.size);
    if let Some(b) = body {
        q = q.filter(late_change::Column::BodyId.eq(b));
    } else if let Some(ids) = within {
        q = q.filter(late_change::Column::BodyId.is_in(ids));
    }
    if let Some(after) = &pg.after {
        q = q.filter(late_change::Column::Id.gt(after.clone()));
    }
    Ok(q.all(db).await?)
}
