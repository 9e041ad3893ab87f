//! Reading the whole registry for the in-memory copy (`crate::snapshot`):
//! every table the hot reads need, in the caller's read transaction, and
//! the audit head's sequence, which is the copy's version.
use std::collections::HashMap;

use probity_common::{AppError, AppResult, db::stmt};
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, IsolationLevel,
    QueryOrder, TransactionTrait,
};

use super::entities::{
    body, credential, credential_event, major_criteria, officer, officer_event, post_power, power,
    power_version,
};
use crate::snapshot::Snapshot;

fn group<K, T>(rows: Vec<T>, key: impl Fn(&T) -> K) -> HashMap<K, Vec<T>>
where
    K: std::hash::Hash + Eq,
{
    let mut m: HashMap<K, Vec<T>> = HashMap::new();
    for r in rows {
        m.entry(key(&r)).or_default().push(r);
    }
    m
}

/// The registry's audit head: every write moves it.
pub async fn head_seq<C: ConnectionTrait>(db: &C) -> AppResult<i64> {
    let row = db
        .query_one_raw(stmt(
            db,
            "SELECT seq FROM registry_audit_head WHERE id = 1",
            vec![],
        ))
        .await?
        .ok_or_else(|| AppError::internal("audit head row missing"))?;
    Ok(row.try_get("", "seq")?)
}

/// The copy of every table, read in one transaction: one consistent view
/// across the tables, versioned by the audit head it saw.
pub async fn read(db: &DatabaseConnection) -> AppResult<Snapshot> {
    let txn = match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            db.begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await?
        }
        _ => db.begin().await?,
    };
    let seq = head_seq(&txn).await?;
    let snap = load(&txn, seq).await?;
    txn.commit().await?;
    Ok(snap)
}

async fn load<C: ConnectionTrait>(db: &C, seq: i64) -> AppResult<Snapshot> {
    let credentials = credential::Entity::find().all(db).await?;
    let mut by_holder: HashMap<String, Vec<String>> = HashMap::new();
    for c in &credentials {
        by_holder
            .entry(c.holder_id.clone())
            .or_default()
            .push(c.id.clone());
    }
    Ok(Snapshot {
        seq,
        bodies: by_id(body::Entity::find().all(db).await?, |b| b.id.clone()),
        powers: by_id(power::Entity::find().all(db).await?, |p| p.id.clone()),
        versions: group(
            power_version::Entity::find()
                .order_by_asc(power_version::Column::Version)
                .all(db)
                .await?,
            |v| v.power_id.clone(),
        ),
        post_powers: group(post_power::Entity::find().all(db).await?, |p| {
            p.power_id.clone()
        }),
        officers: by_id(officer::Entity::find().all(db).await?, |o| o.id.clone()),
        officer_events: group(
            officer_event::Entity::find()
                .order_by_asc(officer_event::Column::Seq)
                .all(db)
                .await?,
            |e| e.officer_id.clone(),
        ),
        credential_by_number: credentials
            .iter()
            .map(|c| (c.number.clone(), c.id.clone()))
            .collect(),
        credentials_by_holder: by_holder,
        credentials: by_id(credentials, |c| c.id.clone()),
        credential_events: group(
            credential_event::Entity::find()
                .order_by_asc(credential_event::Column::Seq)
                .all(db)
                .await?,
            |e| e.credential_id.clone(),
        ),
        major_criteria: group(
            major_criteria::Entity::find()
                .order_by_asc(major_criteria::Column::Version)
                .all(db)
                .await?,
            |c| c.power_id.clone(),
        ),
    })
}

fn by_id<T>(rows: Vec<T>, id: impl Fn(&T) -> String) -> HashMap<String, T> {
    rows.into_iter().map(|r| (id(&r), r)).collect()
}
