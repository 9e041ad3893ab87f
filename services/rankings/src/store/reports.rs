//! A run's reports as uploaded (`rankings_reports`, one row a file) and
//! their bytes (`rankings_report_chunks`, at most [`CHUNK_BYTES`] a row, in
//! order), so a download reads one chunk at a time and no replica needs a
//! shared volume.
use probity_common::{AppResult, db::stmt};
use sea_orm::{ConnectionTrait, QueryResult};

/// Bytes a stored chunk (and a download message) holds at most: well under
/// gRPC's default 4 MiB message limit on the reader's side.
pub const CHUNK_BYTES: usize = 1 << 20;

/// A report whose bytes are stored.
#[derive(Debug, Clone)]
pub struct Stored {
    pub path: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub content_type: String,
    pub chunks: i64,
    pub uploaded_us: i64,
}

fn stored(row: &QueryResult) -> AppResult<Stored> {
    Ok(Stored {
        path: row.try_get("", "path")?,
        sha256: row.try_get("", "sha256")?,
        size_bytes: row.try_get("", "size_bytes")?,
        content_type: row.try_get("", "content_type")?,
        chunks: row.try_get("", "chunks")?,
        uploaded_us: row.try_get("", "uploaded_us")?,
    })
}

const COLUMNS: &str = "path, sha256, size_bytes, content_type, chunks, uploaded_us";

/// Every stored report of a run.
pub async fn of_run(db: &impl ConnectionTrait, run_id: &str) -> AppResult<Vec<Stored>> {
    let rows = db
        .query_all_raw(stmt(
            db,
            &format!("SELECT {COLUMNS} FROM rankings_reports WHERE run_id = $1"),
            vec![run_id.into()],
        ))
        .await?;
    rows.iter().map(stored).collect()
}

/// One stored report.
pub async fn one(db: &impl ConnectionTrait, run_id: &str, path: &str) -> AppResult<Option<Stored>> {
    let row = db
        .query_one_raw(stmt(
            db,
            &format!("SELECT {COLUMNS} FROM rankings_reports WHERE run_id = $1 AND path = $2"),
            vec![run_id.into(), path.into()],
        ))
        .await?;
    row.as_ref().map(stored).transpose()
}

/// Stores a report's bytes, a chunk a statement.
pub async fn insert(
    db: &impl ConnectionTrait,
    run_id: &str,
    r: &Stored,
    bytes: &[u8],
) -> AppResult<()> {
    db.execute_raw(stmt(
        db,
        &format!(
            "INSERT INTO rankings_reports (run_id, {COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ),
        vec![
            run_id.into(),
            r.path.clone().into(),
            r.sha256.clone().into(),
            r.size_bytes.into(),
            r.content_type.clone().into(),
            r.chunks.into(),
            r.uploaded_us.into(),
        ],
    ))
    .await?;
    for (seq, chunk) in bytes.chunks(CHUNK_BYTES).enumerate() {
        db.execute_raw(stmt(
            db,
            "INSERT INTO rankings_report_chunks (run_id, path, seq, data) VALUES ($1, $2, $3, $4)",
            vec![
                run_id.into(),
                r.path.clone().into(),
                (seq as i64).into(),
                chunk.to_vec().into(),
            ],
        ))
        .await?;
    }
    Ok(())
}

/// The `seq`th chunk of a stored report.
pub async fn chunk(
    db: &impl ConnectionTrait,
    run_id: &str,
    path: &str,
    seq: i64,
) -> AppResult<Option<Vec<u8>>> {
    let row = db
        .query_one_raw(stmt(
            db,
            "SELECT data FROM rankings_report_chunks WHERE run_id = $1 AND path = $2 AND seq = $3",
            vec![run_id.into(), path.into(), seq.into()],
        ))
        .await?;
    Ok(row.map(|r| r.try_get("", "data")).transpose()?)
}
