//! Superior assessments (`rankings_superior_assessments`): one row a
//! revision, never updated; the current one of a body's year is its highest
//! revision. The service's own columns, not the API's message.
use probity_common::{
    AppResult,
    db::{Filter, stmt},
};
use sea_orm::{ConnectionTrait, QueryResult};

/// One revision as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The body's id (without `bodies/`).
    pub body: String,
    pub year: i32,
    pub revision: i32,
    /// probity.rankings.v1.SuperiorGrade
    pub grade: i32,
    pub score: Option<f64>,
    pub superior: String,
    pub document: String,
    /// YYYY-MM-DD
    pub assessed_date: String,
    pub note: String,
    pub correction_reason: String,
    pub body_display_name: String,
    /// "/root/.../body/": who may read it (department scope).
    pub body_path: String,
    pub recorder: String,
    pub created_us: i64,
}

impl Row {
    /// Whether `other` says the same about the body's year (what a new
    /// revision would change).
    pub fn same_content(&self, other: &Row) -> bool {
        (
            self.grade,
            self.score.map(f64::to_bits),
            &self.superior,
            &self.document,
            &self.assessed_date,
            &self.note,
        ) == (
            other.grade,
            other.score.map(f64::to_bits),
            &other.superior,
            &other.document,
            &other.assessed_date,
            &other.note,
        )
    }
}

const COLUMNS: &str = "body, year, revision, grade, score, superior, document, assessed_date, \
     note, correction_reason, body_display_name, body_path, recorder, created_us";

fn read(r: &QueryResult) -> AppResult<Row> {
    Ok(Row {
        body: r.try_get("", "body")?,
        year: r.try_get("", "year")?,
        revision: r.try_get("", "revision")?,
        grade: r.try_get("", "grade")?,
        score: r.try_get("", "score")?,
        superior: r.try_get("", "superior")?,
        document: r.try_get("", "document")?,
        assessed_date: r.try_get("", "assessed_date")?,
        note: r.try_get("", "note")?,
        correction_reason: r.try_get("", "correction_reason")?,
        body_display_name: r.try_get("", "body_display_name")?,
        body_path: r.try_get("", "body_path")?,
        recorder: r.try_get("", "recorder")?,
        created_us: r.try_get("", "created_us")?,
    })
}

/// The current (highest) revision of a body's year, if any.
pub async fn current(db: &impl ConnectionTrait, body: &str, year: i32) -> AppResult<Option<Row>> {
    let row = db
        .query_one_raw(stmt(
            db,
            &format!(
                "SELECT {COLUMNS} FROM rankings_superior_assessments \
                 WHERE body = $1 AND year = $2 ORDER BY revision DESC LIMIT 1"
            ),
            vec![body.into(), year.into()],
        ))
        .await?;
    row.as_ref().map(read).transpose()
}

pub async fn insert(db: &impl ConnectionTrait, r: &Row) -> AppResult<()> {
    db.execute_raw(stmt(
        db,
        &format!(
            "INSERT INTO rankings_superior_assessments ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        ),
        vec![
            r.body.clone().into(),
            r.year.into(),
            r.revision.into(),
            r.grade.into(),
            r.score.into(),
            r.superior.clone().into(),
            r.document.clone().into(),
            r.assessed_date.clone().into(),
            r.note.clone().into(),
            r.correction_reason.clone().into(),
            r.body_display_name.clone().into(),
            r.body_path.clone().into(),
            r.recorder.clone().into(),
            r.created_us.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Every revision matching `filter` (a few a body and year: read whole).
pub async fn all(db: &impl ConnectionTrait, filter: Filter) -> AppResult<Vec<Row>> {
    let rows = db
        .query_all_raw(stmt(
            db,
            &format!(
                "SELECT {COLUMNS} FROM rankings_superior_assessments {} \
                 ORDER BY year, body, revision",
                filter.clause()
            ),
            filter.values,
        ))
        .await?;
    rows.iter().map(read).collect()
}
