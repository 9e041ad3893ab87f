//! Bodies (`registry_bodies`), their units (`registry_units`) and posts
//! (`registry_posts`): the current description of each; earlier ones are in
//! `revisions.rs`.
use std::collections::BTreeSet;

use probity_common::{AppResult, names::Page};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::entities::{body, post, unit};

pub async fn body<C: ConnectionTrait>(db: &C, id: &str) -> AppResult<Option<body::Model>> {
    Ok(body::Entity::find_by_id(id).one(db).await?)
}

pub async fn insert_body<C: ConnectionTrait>(db: &C, m: &body::Model) -> AppResult<()> {
    body::Entity::insert(body::ActiveModel::from(m.clone()))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Stores the description fields of `m` (the ones UpdateBody may change).
pub async fn update_body<C: ConnectionTrait>(db: &C, m: &body::Model) -> AppResult<()> {
    body::ActiveModel {
        id: Set(m.id.clone()),
        display_name: Set(m.display_name.clone()),
        region_code: Set(m.region_code.clone()),
        vertically_managed: Set(m.vertically_managed),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// What ListBodies filters on; `within`: only these bodies (a department's).
pub struct BodyFilter<'a> {
    pub parent: Option<&'a str>,
    pub kind: Option<i32>,
    pub within: Option<Vec<String>>,
}

/// One page of bodies, ordered by id.
pub async fn list_bodies<C: ConnectionTrait>(
    db: &C,
    f: BodyFilter<'_>,
    pg: &Page,
) -> AppResult<Vec<body::Model>> {
    let mut q = body::Entity::find()
        .order_by_asc(body::Column::Id)
        .limit(pg.size);
    if let Some(p) = f.parent {
        q = q.filter(body::Column::ParentId.eq(p));
    }
    if let Some(kind) = f.kind {
        q = q.filter(body::Column::Kind.eq(kind));
    }
    if let Some(after) = &pg.after {
        q = q.filter(body::Column::Id.gt(after.clone()));
    }
    if let Some(ids) = f.within {
        q = q.filter(body::Column::Id.is_in(ids));
    }
    Ok(q.all(db).await?)
}

/// Ids of the bodies whose parent is one of `parents`.
pub async fn children<C: ConnectionTrait>(db: &C, parents: &[String]) -> AppResult<Vec<String>> {
    Ok(body::Entity::find()
        .select_only()
        .column(body::Column::Id)
        .filter(body::Column::ParentId.is_in(parents.to_vec()))
        .into_tuple()
        .all(db)
        .await?)
}

pub async fn unit<C: ConnectionTrait>(db: &C, id: &str) -> AppResult<Option<unit::Model>> {
    Ok(unit::Entity::find_by_id(id).one(db).await?)
}

pub async fn insert_unit<C: ConnectionTrait>(db: &C, m: &unit::Model) -> AppResult<()> {
    unit::Entity::insert(unit::ActiveModel::from(m.clone()))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// One page of a body's units, ordered by id.
pub async fn list_units<C: ConnectionTrait>(
    db: &C,
    body_id: &str,
    pg: &Page,
) -> AppResult<Vec<unit::Model>> {
    let mut q = unit::Entity::find()
        .filter(unit::Column::BodyId.eq(body_id))
        .order_by_asc(unit::Column::Id)
        .limit(pg.size);
    if let Some(after) = &pg.after {
        q = q.filter(unit::Column::Id.gt(after.clone()));
    }
    Ok(q.all(db).await?)
}

/// Every unit of a body.
pub async fn units_of<C: ConnectionTrait>(db: &C, body_id: &str) -> AppResult<Vec<unit::Model>> {
    Ok(unit::Entity::find()
        .filter(unit::Column::BodyId.eq(body_id))
        .all(db)
        .await?)
}

pub async fn post<C: ConnectionTrait>(db: &C, id: &str) -> AppResult<Option<post::Model>> {
    Ok(post::Entity::find_by_id(id).one(db).await?)
}

pub async fn insert_post<C: ConnectionTrait>(db: &C, m: &post::Model) -> AppResult<()> {
    post::Entity::insert(post::ActiveModel::from(m.clone()))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Stores the description fields of `m` (the ones UpdatePost may change).
pub async fn update_post<C: ConnectionTrait>(db: &C, m: &post::Model) -> AppResult<()> {
    post::ActiveModel {
        id: Set(m.id.clone()),
        display_name: Set(m.display_name.clone()),
        unit_id: Set(m.unit_id.clone()),
        responsibilities: Set(m.responsibilities.clone()),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// One page of a body's posts, ordered by id.
pub async fn list_posts<C: ConnectionTrait>(
    db: &C,
    body_id: &str,
    pg: &Page,
) -> AppResult<Vec<post::Model>> {
    let mut q = post::Entity::find()
        .filter(post::Column::BodyId.eq(body_id))
        .order_by_asc(post::Column::Id)
        .limit(pg.size);
    if let Some(after) = &pg.after {
        q = q.filter(post::Column::Id.gt(after.clone()));
    }
    Ok(q.all(db).await?)
}

/// Every post of a body.
pub async fn posts_of<C: ConnectionTrait>(db: &C, body_id: &str) -> AppResult<Vec<post::Model>> {
    Ok(post::Entity::find()
        .filter(post::Column::BodyId.eq(body_id))
        .all(db)
        .await?)
}

/// Which of `ids` are posts of `body_id`.
pub async fn posts_found<C: ConnectionTrait>(
    db: &C,
    ids: &[String],
    body_id: &str,
) -> AppResult<BTreeSet<String>> {
    Ok(post::Entity::find()
        .select_only()
        .column(post::Column::Id)
        .filter(post::Column::Id.is_in(ids.to_vec()))
        .filter(post::Column::BodyId.eq(body_id))
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}
