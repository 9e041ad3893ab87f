//! `accountability_commendations`: one row per year and subject, its record
//! and the columns listings filter on.
use probity_common::{AppResult, db::stmt, names::Page};
use sea_orm::{ConnectionTrait, Value};

use super::rows::{CommendationRecord, to_json};

/// The commendation of `subject` for `year`, with its id, if recorded.
pub async fn of_subject<C: ConnectionTrait>(
    db: &C,
    year: i32,
    subject: &str,
) -> AppResult<Option<(String, CommendationRecord)>> {
    db.query_one_raw(stmt(
        db,
        "SELECT id, record FROM accountability_commendations WHERE year = $1 AND subject = $2",
        vec![year.into(), subject.into()],
    ))
    .await?
    .as_ref()
    .map(|row| Ok((row.try_get::<String>("", "id")?, super::record(row)?)))
    .transpose()
}

/// The commendation `id`, if recorded.
pub async fn load<C: ConnectionTrait>(db: &C, id: &str) -> AppResult<Option<CommendationRecord>> {
    db.query_one_raw(stmt(
        db,
        "SELECT record FROM accountability_commendations WHERE id = $1",
        vec![id.into()],
    ))
    .await?
    .as_ref()
    .map(super::record)
    .transpose()
}

/// Inserts a commendation; returns its record as stored (what the audit
/// entry's hash covers).
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    id: &str,
    body_path: &str,
    created_us: i64,
    c: &CommendationRecord,
) -> AppResult<String> {
    let record = to_json(c);
    db.execute_raw(stmt(
        db,
        "INSERT INTO accountability_commendations (id, year, subject, subject_kind, body_path, created_us, record) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            id.into(),
            c.year.into(),
            c.subject.clone().into(),
            c.subject_kind.code().into(),
            body_path.into(),
            created_us.into(),
            record.clone().into(),
        ],
    ))
    .await?;
    Ok(record)
}

/// One page of a year's commendations (of one subject kind, unless 0), by
/// id, with their ids.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    year: i32,
    subject_kind: i32,
    p: &Page,
) -> AppResult<Vec<(String, CommendationRecord)>> {
    let mut sql = "SELECT id, record FROM accountability_commendations WHERE year = $1".to_string();
    let mut values: Vec<Value> = vec![year.into()];
    if subject_kind != 0 {
        values.push(subject_kind.into());
        sql.push_str(&format!(" AND subject_kind = ${}", values.len()));
    }
    if let Some(after) = &p.after {
        values.push(after.clone().into());
        sql.push_str(&format!(" AND id > ${}", values.len()));
    }
    sql.push_str(&format!(" ORDER BY id LIMIT {}", p.size));
    let rows = db.query_all_raw(stmt(db, &sql, values)).await?;
    rows.iter()
        .map(|row| Ok((row.try_get::<String>("", "id")?, super::record(row)?)))
        .collect()
}
