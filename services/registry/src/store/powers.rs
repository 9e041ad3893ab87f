//! The power list: `registry_powers` (each power's current state, for
//! listings) and `registry_power_versions` (every version, the record).
use std::collections::HashMap;

use probity_common::{AppResult, names::Page};
use probity_proto::registry::v1::PowerState;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};

use super::entities::{power, power_version};

pub async fn power<C: ConnectionTrait>(db: &C, id: &str) -> AppResult<Option<power::Model>> {
    Ok(power::Entity::find_by_id(id).one(db).await?)
}

/// The body's power with this code, withdrawn or not.
pub async fn by_code<C: ConnectionTrait>(
    db: &C,
    body_id: &str,
    code: &str,
) -> AppResult<Option<power::Model>> {
    Ok(power::Entity::find()
        .filter(power::Column::BodyId.eq(body_id))
        .filter(power::Column::Code.eq(code))
        .one(db)
        .await?)
}

pub async fn by_ids<C: ConnectionTrait>(
    db: &C,
    ids: impl IntoIterator<Item = String>,
) -> AppResult<Vec<power::Model>> {
    Ok(power::Entity::find()
        .filter(power::Column::Id.is_in(ids))
        .all(db)
        .await?)
}

/// Inserts a new power with its first version.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    pm: &power::Model,
    vm: &power_version::Model,
) -> AppResult<()> {
    power::Entity::insert(power::ActiveModel::from(pm.clone()))
        .exec_without_returning(db)
        .await?;
    insert_version(db, vm).await
}

pub async fn insert_version<C: ConnectionTrait>(
    db: &C,
    vm: &power_version::Model,
) -> AppResult<()> {
    power_version::Entity::insert(power_version::ActiveModel::from(vm.clone()))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Moves the power's current state to version `vm`.
pub async fn set_current<C: ConnectionTrait>(db: &C, vm: &power_version::Model) -> AppResult<()> {
    power::Entity::update_many()
        .col_expr(power::Column::CurrentVersion, Expr::value(vm.version))
        .col_expr(power::Column::State, Expr::value(vm.state))
        .col_expr(
            power::Column::DisplayName,
            Expr::value(vm.display_name.clone()),
        )
        .filter(power::Column::Id.eq(vm.power_id.clone()))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn version<C: ConnectionTrait>(
    db: &C,
    power_id: &str,
    version: i32,
) -> AppResult<Option<power_version::Model>> {
    Ok(
        power_version::Entity::find_by_id((power_id.to_string(), version))
            .one(db)
            .await?,
    )
}

/// Every version of a power.
pub async fn versions<C: ConnectionTrait>(
    db: &C,
    power_id: &str,
) -> AppResult<Vec<power_version::Model>> {
    Ok(power_version::Entity::find()
        .filter(power_version::Column::PowerId.eq(power_id))
        .all(db)
        .await?)
}

/// The current version of each of `powers`, by power id.
pub async fn current_versions<C: ConnectionTrait>(
    db: &C,
    powers: &[power::Model],
) -> AppResult<HashMap<String, power_version::Model>> {
    if powers.is_empty() {
        return Ok(HashMap::new());
    }
    let mut cond = Condition::any();
    for p in powers {
        cond = cond.add(
            Condition::all()
                .add(power_version::Column::PowerId.eq(p.id.clone()))
                .add(power_version::Column::Version.eq(p.current_version)),
        );
    }
    Ok(power_version::Entity::find()
        .filter(cond)
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.power_id.clone(), v))
        .collect())
}

/// One page of a body's powers, ordered by code; `category`: only these.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    body_id: &str,
    include_withdrawn: bool,
    category: Option<i32>,
    pg: &Page,
) -> AppResult<Vec<power::Model>> {
    let mut q = power::Entity::find()
        .filter(power::Column::BodyId.eq(body_id))
        .order_by_asc(power::Column::Code)
        .limit(pg.size);
    if !include_withdrawn {
        q = q.filter(power::Column::State.eq(PowerState::Active as i32));
    }
    if let Some(c) = category {
        q = q.filter(power::Column::Category.eq(c));
    }
    if let Some(after) = &pg.after {
        q = q.filter(power::Column::Code.gt(after.clone()));
    }
    Ok(q.all(db).await?)
}

/// Every active power of a body, ordered by code.
pub async fn active_of<C: ConnectionTrait>(db: &C, body_id: &str) -> AppResult<Vec<power::Model>> {
    Ok(power::Entity::find()
        .filter(power::Column::BodyId.eq(body_id))
        .filter(power::Column::State.eq(PowerState::Active as i32))
        .order_by_asc(power::Column::Code)
        .all(db)
        .await?)
}
