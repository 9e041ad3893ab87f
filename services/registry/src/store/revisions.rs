//! Every description a body or post has had (`registry_body_revisions`,
//! `registry_post_revisions`): appended on create and on each correction,
//! never changed.
use chrono::Utc;
use probity_common::AppResult;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::entities::{body, body_revision, post, post_revision};

/// The revision after the highest one recorded under `key` = `id`.
async fn next_revision<C: ConnectionTrait, E: EntityTrait>(
    db: &C,
    key: E::Column,
    id: &str,
    rev: E::Column,
) -> AppResult<i32> {
    let max: Option<i32> = E::find()
        .select_only()
        .column_as(rev.max(), "m")
        .filter(key.eq(id))
        .into_tuple::<Option<i32>>()
        .one(db)
        .await?
        .flatten();
    Ok(max.unwrap_or(0) + 1)
}

pub async fn next_body_revision<C: ConnectionTrait>(db: &C, body_id: &str) -> AppResult<i32> {
    next_revision::<_, body_revision::Entity>(
        db,
        body_revision::Column::BodyId,
        body_id,
        body_revision::Column::Revision,
    )
    .await
}

pub async fn next_post_revision<C: ConnectionTrait>(db: &C, post_id: &str) -> AppResult<i32> {
    next_revision::<_, post_revision::Entity>(
        db,
        post_revision::Column::PostId,
        post_id,
        post_revision::Column::Revision,
    )
    .await
}

/// Records the body's description as revision `revision` (create and update).
pub async fn insert_body_revision<C: ConnectionTrait>(
    db: &C,
    b: &body::Model,
    revision: i32,
    reason: &str,
    actor: &str,
) -> AppResult<()> {
    body_revision::Entity::insert(body_revision::ActiveModel::from(body_revision::Model {
        body_id: b.id.clone(),
        revision,
        display_name: b.display_name.clone(),
        region_code: b.region_code.clone(),
        vertically_managed: b.vertically_managed,
        reason: reason.to_string(),
        actor: actor.to_string(),
        recorded_us: Utc::now().timestamp_micros(),
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Records the post's description as revision `revision` (create and update).
pub async fn insert_post_revision<C: ConnectionTrait>(
    db: &C,
    p: &post::Model,
    revision: i32,
    reason: &str,
    actor: &str,
) -> AppResult<()> {
    post_revision::Entity::insert(post_revision::ActiveModel::from(post_revision::Model {
        post_id: p.id.clone(),
        revision,
        display_name: p.display_name.clone(),
        unit_id: p.unit_id.clone(),
        responsibilities: p.responsibilities.clone(),
        reason: reason.to_string(),
        actor: actor.to_string(),
        recorded_us: Utc::now().timestamp_micros(),
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn body_revisions<C: ConnectionTrait>(
    db: &C,
    body_id: &str,
) -> AppResult<Vec<body_revision::Model>> {
    Ok(body_revision::Entity::find()
        .filter(body_revision::Column::BodyId.eq(body_id))
        .all(db)
        .await?)
}

pub async fn post_revisions<C: ConnectionTrait>(
    db: &C,
    post_id: &str,
) -> AppResult<Vec<post_revision::Model>> {
    Ok(post_revision::Entity::find()
        .filter(post_revision::Column::PostId.eq(post_id))
        .all(db)
        .await?)
}
