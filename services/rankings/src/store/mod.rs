//! Every query of the rankings service: runs (`rankings_runs`, one row a run
//! with its message) and their rows (`rankings_rows`, one a subject, in the
//! order the job ranked them); superior assessments in [`superior`].
use probity_common::{
    AppError, AppResult,
    audit::sha256_hex,
    db::{Filter, stmt},
};
use probity_proto::rankings::v1::{Ranking, Run};
use prost::Message;
use sea_orm::{ConnectionTrait, QueryResult, Value};

/// Rows per INSERT: well under SQLite's and PostgreSQL's bind limits.
const CHUNK: usize = 500;

pub mod reports;
pub mod superior;

fn decode<M: Message + Default>(row: &QueryResult) -> AppResult<M> {
    let doc: Vec<u8> = row.try_get("", "doc")?;
    M::decode(doc.as_slice()).map_err(AppError::internal)
}

/// The run recorded under `id`, if any.
pub async fn run(db: &impl ConnectionTrait, id: &str) -> AppResult<Option<Run>> {
    let row = db
        .query_one_raw(stmt(
            db,
            "SELECT doc FROM rankings_runs WHERE id = $1",
            vec![id.into()],
        ))
        .await?;
    row.as_ref().map(decode).transpose()
}

/// When the latest run was recorded (Unix microseconds), if any was.
pub async fn last_recorded(db: &impl ConnectionTrait) -> AppResult<Option<i64>> {
    let row = db
        .query_one_raw(stmt(
            db,
            "SELECT MAX(created_us) AS t FROM rankings_runs",
            vec![],
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<Option<i64>>("", "t"))
        .transpose()?
        .flatten())
}

/// The id of the run that sealed `year`, if one did.
pub async fn sealed_by(db: &impl ConnectionTrait, year: i32) -> AppResult<Option<String>> {
    let row = db
        .query_one_raw(stmt(
            db,
            "SELECT id FROM rankings_runs WHERE year = $1 AND finalized = $2",
            vec![year.into(), true.into()],
        ))
        .await?;
    Ok(row.map(|r| r.try_get("", "id")).transpose()?)
}

/// The year's run a reader means when naming none: the sealed one, else the
/// one counting the latest day (the last recorded of those: a rerun after a
/// fix).
pub async fn latest_of(db: &impl ConnectionTrait, year: i32) -> AppResult<Option<Run>> {
    let row = db
        .query_one_raw(stmt(
            db,
            "SELECT doc FROM rankings_runs WHERE year = $1 \
             ORDER BY finalized DESC, as_of DESC, created_us DESC, id DESC LIMIT 1",
            vec![year.into()],
        ))
        .await?;
    row.as_ref().map(decode).transpose()
}

/// Inserts the run and its rows; returns the SHA-256 of the rows' digests,
/// in order, for the audit entry.
pub async fn insert(
    db: &impl ConnectionTrait,
    id: &str,
    run: &Run,
    created_us: i64,
    rows: &[Ranking],
) -> AppResult<String> {
    db.execute_raw(stmt(
        db,
        "INSERT INTO rankings_runs (id, year, finalized, created_us, doc, as_of) VALUES ($1, $2, $3, $4, $5, $6)",
        vec![
            id.into(),
            run.year.into(),
            run.finalized.into(),
            created_us.into(),
            run.encode_to_vec().into(),
            run.as_of.clone().into(),
        ],
    ))
    .await?;
    let mut digest = Vec::with_capacity(rows.len() * 64);
    for (n, chunk) in rows.chunks(CHUNK).enumerate() {
        insert_rows(db, id, n * CHUNK, chunk, &mut digest).await?;
    }
    Ok(sha256_hex(&digest))
}

async fn insert_rows(
    db: &impl ConnectionTrait,
    id: &str,
    first: usize,
    chunk: &[Ranking],
    digest: &mut Vec<u8>,
) -> AppResult<()> {
    let mut sql = String::from(
        "INSERT INTO rankings_rows (run_id, level, ord, subject, body_path, peer_group, flagged, doc) VALUES ",
    );
    let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 8);
    for (i, r) in chunk.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        let b = values.len();
        let params: Vec<String> = (1..=8).map(|k| format!("${}", b + k)).collect();
        sql.push_str(&format!("({})", params.join(", ")));
        let doc = r.encode_to_vec();
        digest.extend_from_slice(sha256_hex(&doc).as_bytes());
        values.extend([
            id.into(),
            r.level.into(),
            ((first + i) as i64).into(),
            r.subject.clone().into(),
            r.body_path.clone().into(),
            r.peer_group.clone().into(),
            (r.below_threshold || r.failing || r.outstanding).into(),
            doc.into(),
        ]);
    }
    db.execute_raw(stmt(db, &sql, values)).await?;
    Ok(())
}

/// A page of the year's runs, newest first, after `(created_us, id)`.
pub async fn runs_of(
    db: &impl ConnectionTrait,
    year: i32,
    after: Option<(i64, String)>,
    size: u64,
) -> AppResult<Vec<Run>> {
    let (sql, values): (&str, Vec<Value>) = match after {
        None => (
            "SELECT id, doc FROM rankings_runs WHERE year = $1 ORDER BY created_us DESC, id DESC LIMIT $2",
            vec![year.into(), (size as i64).into()],
        ),
        Some((us, id)) => (
            "SELECT id, doc FROM rankings_runs WHERE year = $1 AND (created_us < $2 OR (created_us = $2 AND id < $3)) ORDER BY created_us DESC, id DESC LIMIT $4",
            vec![year.into(), us.into(), id.into(), (size as i64).into()],
        ),
    };
    let rows = db.query_all_raw(stmt(db, sql, values)).await?;
    rows.iter().map(decode).collect()
}

/// A page of a run's rows matching `filter`, in the job's order, with the
/// order of the last.
pub async fn rows(
    db: &impl ConnectionTrait,
    filter: Filter,
    size: u64,
) -> AppResult<(Vec<Ranking>, Option<i64>)> {
    let sql = format!(
        "SELECT ord, doc FROM rankings_rows {} ORDER BY ord LIMIT {size}",
        filter.clause(),
    );
    let rows = db.query_all_raw(stmt(db, &sql, filter.values)).await?;
    let mut out = Vec::with_capacity(rows.len());
    let mut last = None;
    for row in &rows {
        last = Some(row.try_get::<i64>("", "ord")?);
        out.push(decode(row)?);
    }
    Ok((out, last))
}

/// One subject's row of a run, with the body path scope is checked on.
pub async fn row_of(
    db: &impl ConnectionTrait,
    run_id: &str,
    subject: &str,
) -> AppResult<Option<(String, Ranking)>> {
    let row = db
        .query_one_raw(stmt(
            db,
            "SELECT body_path, doc FROM rankings_rows WHERE run_id = $1 AND subject = $2",
            vec![run_id.into(), subject.into()],
        ))
        .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some((row.try_get("", "body_path")?, decode(&row)?)))
}
