//! `accountability_cases`: one row per case, its record and the columns
//! listings filter on (subject, body path, state and since when, origin).
use probity_common::{
    AppResult,
    db::{Filter, stmt},
};
use sea_orm::{ConnectionTrait, QueryResult, Value};

use super::{
    CaseRow,
    rows::{CaseState, to_json},
};

const COLUMNS: &str = "id, body_path, state_us, record";

fn case_row(row: &QueryResult) -> AppResult<CaseRow> {
    Ok(CaseRow {
        id: row.try_get("", "id")?,
        body_path: row.try_get("", "body_path")?,
        state_us: row.try_get("", "state_us")?,
        case: super::record(row)?,
    })
}

pub async fn load<C: ConnectionTrait>(db: &C, id: &str) -> AppResult<Option<CaseRow>> {
    let row = db
        .query_one_raw(stmt(
            db,
            &format!("SELECT {COLUMNS} FROM accountability_cases WHERE id = $1"),
            vec![id.into()],
        ))
        .await?;
    row.as_ref().map(case_row).transpose()
}

/// The case its origin key raised, if any.
pub async fn by_origin<C: ConnectionTrait>(db: &C, key: &str) -> AppResult<Option<CaseRow>> {
    let row = db
        .query_one_raw(stmt(
            db,
            &format!("SELECT {COLUMNS} FROM accountability_cases WHERE origin_key = $1"),
            vec![key.into()],
        ))
        .await?;
    row.as_ref().map(case_row).transpose()
}

/// Stores a new case.
pub async fn insert<C: ConnectionTrait>(db: &C, row: &CaseRow, now_us: i64) -> AppResult<()> {
    let c = &row.case;
    let key = (!c.origin.key.is_empty()).then(|| c.origin.key.clone());
    db.execute_raw(stmt(
        db,
        "INSERT INTO accountability_cases (id, subject, subject_kind, body, body_path, state, origin_kind, origin_key, state_us, created_us, version, record) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        vec![
            row.id.clone().into(),
            c.subject.name.clone().into(),
            c.subject.kind.code().into(),
            c.subject.body.clone().into(),
            row.body_path.clone().into(),
            c.state.code().into(),
            c.origin.kind.code().into(),
            key.into(),
            row.state_us.into(),
            now_us.into(),
            c.version.into(),
            to_json(c).into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Writes a changed case back (state, when it was entered, version, record).
pub async fn save<C: ConnectionTrait>(db: &C, row: &CaseRow) -> AppResult<()> {
    db.execute_raw(stmt(
        db,
        "UPDATE accountability_cases SET state = $1, state_us = $2, version = $3, record = $4 WHERE id = $5",
        vec![
            row.case.state.code().into(),
            row.state_us.into(),
            row.case.version.into(),
            to_json(&row.case).into(),
            row.id.clone().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// The subject's cases in one of `states`.
pub async fn of_subject<C: ConnectionTrait>(
    db: &C,
    subject: &str,
    states: &[CaseState],
) -> AppResult<Vec<CaseRow>> {
    let mut values: Vec<Value> = vec![subject.into()];
    let mut marks = Vec::new();
    for s in states {
        values.push(s.code().into());
        marks.push(format!("${}", values.len()));
    }
    let rows = db
        .query_all_raw(stmt(
            db,
            &format!(
                "SELECT {COLUMNS} FROM accountability_cases WHERE subject = $1 AND state IN ({})",
                marks.join(", ")
            ),
            values,
        ))
        .await?;
    rows.iter().map(case_row).collect()
}

/// What a listing of cases selects; every part is optional.
#[derive(Debug, Default)]
pub struct Listing {
    pub state: Option<i32>,
    pub subject: Option<String>,
    /// Cases against bodies or officers only (`SubjectKind::code`).
    pub subject_kind: Option<i32>,
    /// A body's id: cases of that body and the bodies below it.
    pub under: Option<String>,
    /// The caller's scope (`body_scope::read_pattern`).
    pub scope: Option<String>,
    pub origin: Option<i32>,
    /// (state, entered after, entered up to): `deadline::windows`.
    pub entered: Option<Vec<(i32, Option<i64>, i64)>>,
    /// The page starts after this id.
    pub after: Option<String>,
}

/// The ids of every case `l` selects that `keep` accepts, read a page at a
/// time so a sweep never holds the whole table.
pub async fn ids_where<C: ConnectionTrait>(
    db: &C,
    mut l: Listing,
    keep: impl Fn(&CaseRow) -> bool,
) -> AppResult<Vec<String>> {
    let mut ids = Vec::new();
    loop {
        let page = page(db, &l, 500).await?;
        let Some(last) = page.last() else { break };
        l.after = Some(last.id.clone());
        ids.extend(page.into_iter().filter(|r| keep(r)).map(|r| r.id));
    }
    Ok(ids)
}

/// One page of the cases `l` selects, by id.
pub async fn page<C: ConnectionTrait>(db: &C, l: &Listing, size: u64) -> AppResult<Vec<CaseRow>> {
    let mut q = Filter::default();
    if let Some(s) = l.state {
        q.and("state = $?", s);
    }
    if let Some(s) = &l.subject {
        q.and("subject = $?", s.clone());
    }
    if let Some(k) = l.subject_kind {
        q.and("subject_kind = $?", k);
    }
    if let Some(b) = &l.under {
        q.and("body_path LIKE $? ESCAPE '\\'", super::under(b));
    }
    if let Some(pat) = &l.scope {
        q.and("body_path LIKE $? ESCAPE '\\'", pat.clone());
    }
    if let Some(o) = l.origin {
        q.and("origin_kind = $?", o);
    }
    if let Some(windows) = &l.entered {
        let mut parts = Vec::new();
        let mut values = Vec::new();
        for (state, after, upto) in windows {
            let n = q.next() + values.len();
            values.extend([(*state).into(), (*upto).into()]);
            let mut part = format!("(state = ${n} AND state_us <= ${}", n + 1);
            if let Some(after) = after {
                part.push_str(&format!(" AND state_us > ${}", n + 2));
                values.push((*after).into());
            }
            parts.push(part + ")");
        }
        let any = if parts.is_empty() {
            "1 = 0".to_string()
        } else {
            format!("({})", parts.join(" OR "))
        };
        q.and_numbered(any, values);
    }
    if let Some(after) = &l.after {
        q.and("id > $?", after.clone());
    }
    let select = format!("SELECT {COLUMNS} FROM accountability_cases");
    super::select_page(db, &select, q, size, case_row).await
}
