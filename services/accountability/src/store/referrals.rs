//! `accountability_referrals`: one row per Art. 22 referral, its record
//! and the columns listings and the overdue sweep filter on.
use probity_common::{
    AppResult,
    db::{Filter, stmt},
};
use sea_orm::{ConnectionTrait, QueryResult};

use super::rows::{ReferralRow, ReferralState, to_json};

const COLUMNS: &str = "SELECT id, body_path, record FROM accountability_referrals";

fn referral_row(r: &QueryResult) -> AppResult<ReferralRow> {
    Ok(ReferralRow {
        id: r.try_get("", "id")?,
        body_path: r.try_get("", "body_path")?,
        referral: super::record(r)?,
    })
}

fn due_us(row: &ReferralRow) -> i64 {
    row.referral
        .due_time
        .map(|t| t.timestamp_micros())
        .unwrap_or(i64::MAX)
}

pub async fn insert<C: ConnectionTrait>(db: &C, row: &ReferralRow, now_us: i64) -> AppResult<()> {
    let case_id = row.referral.case.trim_start_matches("cases/").to_string();
    db.execute_raw(stmt(
        db,
        "INSERT INTO accountability_referrals (id, case_id, state, due_us, body_path, created_us, record) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            row.id.clone().into(),
            case_id.into(),
            row.referral.state.code().into(),
            due_us(row).into(),
            row.body_path.clone().into(),
            now_us.into(),
            to_json(&row.referral).into(),
        ],
    ))
    .await?;
    Ok(())
}

pub async fn save<C: ConnectionTrait>(db: &C, row: &ReferralRow) -> AppResult<()> {
    db.execute_raw(stmt(
        db,
        "UPDATE accountability_referrals SET state = $1, record = $2 WHERE id = $3",
        vec![
            row.referral.state.code().into(),
            to_json(&row.referral).into(),
            row.id.clone().into(),
        ],
    ))
    .await?;
    Ok(())
}

pub async fn load<C: ConnectionTrait>(db: &C, id: &str) -> AppResult<Option<ReferralRow>> {
    let sql = format!("{COLUMNS} WHERE id = $1");
    db.query_one_raw(stmt(db, &sql, vec![id.into()]))
        .await?
        .as_ref()
        .map(referral_row)
        .transpose()
}

/// Unanswered referrals past their due time, not yet marked overdue.
pub async fn overdue_ids<C: ConnectionTrait>(db: &C, now_us: i64) -> AppResult<Vec<String>> {
    let rows = db
        .query_all_raw(stmt(
            db,
            "SELECT id FROM accountability_referrals WHERE state IN ($1, $2) AND due_us <= $3 ORDER BY id",
            vec![
                ReferralState::Sent.code().into(),
                ReferralState::Received.code().into(),
                now_us.into(),
            ],
        ))
        .await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<String>("", "id")?))
        .collect()
}

/// What a listing of referrals selects; every part is optional.
#[derive(Debug, Default)]
pub struct Listing {
    pub case_id: Option<String>,
    pub state: Option<i32>,
    /// The caller's scope (`body_scope::read_pattern`).
    pub scope: Option<String>,
    pub after: Option<String>,
}

pub async fn page<C: ConnectionTrait>(
    db: &C,
    l: &Listing,
    size: u64,
) -> AppResult<Vec<ReferralRow>> {
    let mut q = Filter::default();
    if let Some(c) = &l.case_id {
        q.and("case_id = $?", c.clone());
    }
    if let Some(s) = l.state {
        q.and("state = $?", s);
    }
    if let Some(pat) = &l.scope {
        q.and("body_path LIKE $? ESCAPE '\\'", pat.clone());
    }
    if let Some(after) = &l.after {
        q.and("id > $?", after.clone());
    }
    super::select_page(db, COLUMNS, q, size, referral_row).await
}
