//! Every query of the draws service. Rows keep their record as the API's
//! message (protobuf `doc`): target lists and plans are appended, a row a
//! revision; a draw's row is rewritten only by a forward move of its state,
//! on the transaction that audits it.
use probity_common::{
    AppError, AppResult,
    db::{Filter, stmt},
};
use probity_proto::draws::v1::{Draw, DrawPlan, TargetList};
use prost::Message;
use sea_orm::{ConnectionTrait, QueryResult};

fn doc<M: Message + Default>(r: &QueryResult) -> AppResult<M> {
    let bytes: Vec<u8> = r.try_get("", "doc")?;
    M::decode(bytes.as_slice()).map_err(AppError::internal)
}

/// A unit's target list: `revision` 0 is the current one.
pub async fn target_list(
    db: &impl ConnectionTrait,
    unit: &str,
    revision: i32,
) -> AppResult<Option<TargetList>> {
    let (sql, values) = match revision {
        0 => (
            "SELECT doc FROM draws_target_lists WHERE unit = $1 ORDER BY revision DESC LIMIT 1",
            vec![unit.into()],
        ),
        r => (
            "SELECT doc FROM draws_target_lists WHERE unit = $1 AND revision = $2",
            vec![unit.into(), r.into()],
        ),
    };
    let row = db.query_one_raw(stmt(db, sql, values)).await?;
    row.as_ref().map(doc).transpose()
}

pub async fn insert_target_list(
    db: &impl ConnectionTrait,
    unit: &str,
    l: &TargetList,
    created_us: i64,
) -> AppResult<()> {
    db.execute_raw(stmt(
        db,
        "INSERT INTO draws_target_lists (unit, revision, created_us, doc) VALUES ($1, $2, $3, $4)",
        vec![
            unit.into(),
            l.revision.into(),
            created_us.into(),
            l.encode_to_vec().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// The current revision of a unit's plan for a power and year.
pub async fn plan(
    db: &impl ConnectionTrait,
    unit: &str,
    power: &str,
    year: i32,
) -> AppResult<Option<DrawPlan>> {
    plan_revision(db, unit, power, year, 0).await
}

/// A revision of a unit's plan for a power and year; 0: the current one.
pub async fn plan_revision(
    db: &impl ConnectionTrait,
    unit: &str,
    power: &str,
    year: i32,
    revision: i32,
) -> AppResult<Option<DrawPlan>> {
    let (sql, values) = match revision {
        0 => (
            "SELECT doc FROM draws_plans WHERE unit = $1 AND power = $2 AND year = $3 \
             ORDER BY revision DESC LIMIT 1",
            vec![unit.into(), power.into(), year.into()],
        ),
        r => (
            "SELECT doc FROM draws_plans WHERE unit = $1 AND power = $2 AND year = $3 \
             AND revision = $4",
            vec![unit.into(), power.into(), year.into(), r.into()],
        ),
    };
    let row = db.query_one_raw(stmt(db, sql, values)).await?;
    row.as_ref().map(doc).transpose()
}

/// The current revision of every plan of `year` (of `unit` alone if given),
/// by unit then power, after the key `(unit, power)`, at most `limit`.
pub async fn plans_of_year(
    db: &impl ConnectionTrait,
    year: i32,
    unit: Option<&str>,
    after: Option<(String, String)>,
    limit: u64,
) -> AppResult<Vec<(String, String, DrawPlan)>> {
    let mut q = Filter::default();
    q.and("p.year = $?", year);
    q.and_numbered(
        "p.revision = (SELECT MAX(r.revision) FROM draws_plans r \
         WHERE r.unit = p.unit AND r.power = p.power AND r.year = p.year)"
            .to_string(),
        vec![],
    );
    if let Some(u) = unit {
        q.and("p.unit = $?", u.to_string());
    }
    if let Some((u, pw)) = after {
        let n = q.next();
        q.and_numbered(
            format!(
                "(p.unit > ${n} OR (p.unit = ${} AND p.power > ${}))",
                n + 1,
                n + 2
            ),
            vec![u.clone().into(), u.into(), pw.into()],
        );
    }
    let rows = db
        .query_all_raw(stmt(
            db,
            &format!(
                "SELECT p.unit, p.power, p.doc FROM draws_plans p {} \
                 ORDER BY p.unit, p.power LIMIT {limit}",
                q.clause()
            ),
            q.values,
        ))
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "unit")?, r.try_get("", "power")?, doc(r)?)))
        .collect()
}

pub async fn insert_plan(
    db: &impl ConnectionTrait,
    unit: &str,
    power: &str,
    p: &DrawPlan,
    created_us: i64,
) -> AppResult<()> {
    db.execute_raw(stmt(
        db,
        "INSERT INTO draws_plans (unit, power, year, revision, created_us, doc) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        vec![
            unit.into(),
            power.into(),
            p.year.into(),
            p.revision.into(),
            created_us.into(),
            p.encode_to_vec().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// One draw and the subject of the token that committed it.
pub struct DrawRow {
    pub draw: Draw,
    pub creator: String,
}

pub async fn draw(db: &impl ConnectionTrait, id: &str) -> AppResult<Option<DrawRow>> {
    let row = db
        .query_one_raw(stmt(
            db,
            "SELECT creator, doc FROM draws_draws WHERE id = $1",
            vec![id.into()],
        ))
        .await?;
    row.as_ref()
        .map(|r| {
            Ok(DrawRow {
                creator: r.try_get("", "creator")?,
                draw: doc(r)?,
            })
        })
        .transpose()
}

pub async fn insert_draw(
    db: &impl ConnectionTrait,
    id: &str,
    unit: &str,
    power: &str,
    creator: &str,
    created_us: i64,
    d: &Draw,
) -> AppResult<()> {
    db.execute_raw(stmt(
        db,
        "INSERT INTO draws_draws (id, unit, power, year, state, creator, created_us, doc) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        vec![
            id.into(),
            unit.into(),
            power.into(),
            d.year.into(),
            d.state.into(),
            creator.into(),
            created_us.into(),
            d.encode_to_vec().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Moves a draw from state `from` to the record `d`; false when it was not
/// in `from` (the caller holds the chain lock, so it never races).
pub async fn move_draw(
    db: &impl ConnectionTrait,
    id: &str,
    from: i32,
    d: &Draw,
) -> AppResult<bool> {
    let r = db
        .execute_raw(stmt(
            db,
            "UPDATE draws_draws SET state = $1, doc = $2 WHERE id = $3 AND state = $4",
            vec![
                d.state.into(),
                d.encode_to_vec().into(),
                id.into(),
                from.into(),
            ],
        ))
        .await?;
    Ok(r.rows_affected() == 1)
}

/// The draws of a unit and power in the given states, newest first.
pub async fn draws_in(
    db: &impl ConnectionTrait,
    unit: &str,
    power: &str,
    states: &[i32],
) -> AppResult<Vec<Draw>> {
    let mut q = Filter::default();
    q.and("unit = $?", unit.to_string());
    q.and("power = $?", power.to_string());
    let first = q.next();
    let marks: Vec<String> = (0..states.len())
        .map(|i| format!("${}", first + i))
        .collect();
    q.and_numbered(
        format!("state IN ({})", marks.join(", ")),
        states.iter().map(|s| (*s).into()).collect(),
    );
    let rows = db
        .query_all_raw(stmt(
            db,
            &format!(
                "SELECT doc FROM draws_draws {} ORDER BY created_us DESC, id DESC",
                q.clause()
            ),
            q.values,
        ))
        .await?;
    rows.iter().map(doc).collect()
}

/// A page of draws, newest first: `unit` None for every unit; `after` the
/// last (created_us, id) of the previous page.
pub async fn list(
    db: &impl ConnectionTrait,
    unit: Option<&str>,
    after: Option<(i64, String)>,
    limit: u64,
) -> AppResult<Vec<(i64, String, Draw)>> {
    let mut q = Filter::default();
    if let Some(u) = unit {
        q.and("unit = $?", u.to_string());
    }
    if let Some((us, id)) = after {
        let n = q.next();
        q.and_numbered(
            format!(
                "(created_us < ${n} OR (created_us = ${} AND id < ${}))",
                n + 1,
                n + 2
            ),
            vec![us.into(), us.into(), id.into()],
        );
    }
    let rows = db
        .query_all_raw(stmt(
            db,
            &format!(
                "SELECT id, created_us, doc FROM draws_draws {} \
                 ORDER BY created_us DESC, id DESC LIMIT {limit}",
                q.clause()
            ),
            q.values,
        ))
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "created_us")?, r.try_get("", "id")?, doc(r)?)))
        .collect()
}
