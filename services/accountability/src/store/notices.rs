//! `accountability_notices`: a notice queued with what calls for it (one
//! per case or commendation: `source` is unique) and, once issued, its
//! record and number.
use probity_common::{
    AppResult,
    db::{Filter, stmt},
};
use sea_orm::{ConnectionTrait, QueryResult};

use crate::notices::{NoticeKind, NoticeRecord};

pub const QUEUED: i32 = 1;
pub const ISSUED: i32 = 2;

/// A notice row: what is known when queued, and the record once issued.
#[derive(Debug, Clone)]
pub struct NoticeRow {
    pub id: String,
    pub source: String,
    pub kind: NoticeKind,
    pub state: i32,
    pub record: Option<NoticeRecord>,
}

impl NoticeRow {
    pub fn name(&self) -> String {
        format!("notices/{}", self.id)
    }
}

fn row(r: &QueryResult) -> AppResult<NoticeRow> {
    let text: Option<String> = r.try_get("", "record")?;
    Ok(NoticeRow {
        id: r.try_get("", "id")?,
        source: r.try_get("", "source")?,
        kind: NoticeKind::from_code(r.try_get("", "kind")?),
        state: r.try_get("", "state")?,
        record: text
            .map(|t| serde_json::from_str(&t))
            .transpose()
            .map_err(probity_common::AppError::internal)?,
    })
}

const COLUMNS: &str = "SELECT id, source, kind, state, record FROM accountability_notices";

/// Queues the notice `source` calls for, once: a second call for the same
/// source changes nothing.
pub async fn queue<C: ConnectionTrait>(
    db: &C,
    source: &str,
    kind: NoticeKind,
    subject: &str,
    body_path: &str,
    now_us: i64,
) -> AppResult<()> {
    let id = probity_common::names::new_id();
    db.execute_raw(stmt(
        db,
        "INSERT INTO accountability_notices (id, source, kind, state, year, subject, body_path, queued_us) \
         VALUES ($1, $2, $3, $4, 0, $5, $6, $7) ON CONFLICT (source) DO NOTHING",
        vec![
            id.into(),
            source.into(),
            kind.code().into(),
            QUEUED.into(),
            subject.into(),
            body_path.into(),
            now_us.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Notices queued and not yet issued, oldest first.
pub async fn queued<C: ConnectionTrait>(db: &C, limit: u64) -> AppResult<Vec<NoticeRow>> {
    let sql = format!("{COLUMNS} WHERE state = $1 ORDER BY queued_us, id LIMIT {limit}");
    let rows = db
        .query_all_raw(stmt(db, &sql, vec![QUEUED.into()]))
        .await?;
    rows.iter().map(row).collect()
}

pub async fn load<C: ConnectionTrait>(db: &C, id: &str) -> AppResult<Option<NoticeRow>> {
    let sql = format!("{COLUMNS} WHERE id = $1");
    db.query_one_raw(stmt(db, &sql, vec![id.into()]))
        .await?
        .as_ref()
        .map(row)
        .transpose()
}

/// How many notices were issued in `year` (the next number is one more).
pub async fn issued_in<C: ConnectionTrait>(db: &C, year: i32) -> AppResult<i64> {
    let r = db
        .query_one_raw(stmt(
            db,
            "SELECT COUNT(*) AS n FROM accountability_notices WHERE state = $1 AND year = $2",
            vec![ISSUED.into(), year.into()],
        ))
        .await?;
    Ok(r.map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0))
}

/// Stores the issued record; returns it as stored (what the audit entry's
/// hash covers).
pub async fn issue<C: ConnectionTrait>(
    db: &C,
    id: &str,
    n: &NoticeRecord,
    issued_us: i64,
) -> AppResult<String> {
    let record = crate::store::rows::to_json(n);
    db.execute_raw(stmt(
        db,
        "UPDATE accountability_notices SET state = $1, year = $2, issued_us = $3, record = $4 \
         WHERE id = $5 AND state = $6",
        vec![
            ISSUED.into(),
            n.year.into(),
            issued_us.into(),
            record.clone().into(),
            id.into(),
            QUEUED.into(),
        ],
    ))
    .await?;
    Ok(record)
}

/// What a listing of issued notices selects; every part is optional.
#[derive(Debug, Default)]
pub struct Listing {
    pub year: Option<i32>,
    pub kind: Option<i32>,
    pub source: Option<String>,
    pub subject: Option<String>,
    /// A body's id: notices about that body, the bodies below it and their
    /// officers.
    pub under: Option<String>,
    /// The page starts after this id.
    pub after: Option<String>,
}

/// One page of the issued notices `l` selects, by id.
pub async fn page<C: ConnectionTrait>(db: &C, l: &Listing, size: u64) -> AppResult<Vec<NoticeRow>> {
    let mut q = Filter::default();
    q.and("state = $?", ISSUED);
    if let Some(y) = l.year {
        q.and("year = $?", y);
    }
    if let Some(k) = l.kind {
        q.and("kind = $?", k);
    }
    if let Some(s) = &l.source {
        q.and("source = $?", s.clone());
    }
    if let Some(s) = &l.subject {
        q.and("subject = $?", s.clone());
    }
    if let Some(b) = &l.under {
        q.and("body_path LIKE $? ESCAPE '\\'", super::under(b));
    }
    if let Some(after) = &l.after {
        q.and("id > $?", after.clone());
    }
    super::select_page(db, COLUMNS, q, size, row).await
}
