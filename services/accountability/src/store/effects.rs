//! `accountability_effects`: the outbox of sanction effects waiting for the
//! registry (`crate::effects` decides what goes in and what each attempt
//! came to). Kind and state are the numbers of the API's EffectKind and
//! EffectState, as the columns have always held them.
use probity_common::{AppResult, db::stmt};
use sea_orm::{ConnectionTrait, QueryResult};

/// One effect row.
#[derive(Debug, Clone)]
pub struct EffectRow {
    pub case_id: String,
    pub n: i32,
    pub kind: i32,
    pub officer: String,
    pub until_us: Option<i64>,
    pub state: i32,
    pub attempts: i32,
    pub last_error: String,
    pub applied_us: Option<i64>,
    pub credentials: Vec<String>,
    pub reason: String,
}

fn effect_row(row: &QueryResult) -> AppResult<EffectRow> {
    let creds: String = row.try_get("", "credentials")?;
    Ok(EffectRow {
        case_id: row.try_get("", "case_id")?,
        n: row.try_get("", "n")?,
        kind: row.try_get("", "kind")?,
        officer: row.try_get("", "officer")?,
        until_us: row.try_get("", "until_us")?,
        state: row.try_get("", "state")?,
        attempts: row.try_get("", "attempts")?,
        last_error: row.try_get("", "last_error")?,
        applied_us: row.try_get("", "applied_us")?,
        credentials: serde_json::from_str(&creds).unwrap_or_default(),
        reason: row.try_get("", "reason")?,
    })
}

const COLUMNS: &str = "case_id, n, kind, officer, until_us, state, attempts, last_error, applied_us, credentials, reason";

/// Writes `planned` (kind, until) as effects 1.. of the case, in state
/// `pending`, due at `now_us` (in the caller's transaction).
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    case_id: &str,
    officer: &str,
    planned: &[(i32, Option<i64>)],
    pending: i32,
    reason: &str,
    now_us: i64,
) -> AppResult<()> {
    for (n, (kind, until)) in planned.iter().enumerate() {
        db.execute_raw(stmt(
            db,
            "INSERT INTO accountability_effects (case_id, n, kind, officer, until_us, state, attempts, last_error, next_us, applied_us, credentials, reason) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, '', $7, NULL, '[]', $8)",
            vec![
                case_id.into(),
                (n as i32 + 1).into(),
                (*kind).into(),
                officer.into(),
                (*until).into(),
                pending.into(),
                now_us.into(),
                reason.into(),
            ],
        ))
        .await?;
    }
    Ok(())
}

/// The effects of a case, in order.
pub async fn of_case<C: ConnectionTrait>(db: &C, case_id: &str) -> AppResult<Vec<EffectRow>> {
    let rows = db
        .query_all_raw(stmt(
            db,
            &format!("SELECT {COLUMNS} FROM accountability_effects WHERE case_id = $1 ORDER BY n"),
            vec![case_id.into()],
        ))
        .await?;
    rows.iter().map(effect_row).collect()
}

/// How many effects are in `state` (the outbox gauge counts the pending).
pub async fn count_in<C: ConnectionTrait>(db: &C, state: i32) -> AppResult<u64> {
    let row = db
        .query_one_raw(stmt(
            db,
            "SELECT COUNT(*) AS n FROM accountability_effects WHERE state = $1",
            vec![state.into()],
        ))
        .await?;
    let n: i64 = match row {
        Some(r) => r.try_get("", "n")?,
        None => 0,
    };
    Ok(n.max(0) as u64)
}

/// The effects due at `now_us`: of each case, the first in state `pending`
/// if it is due (a case's effects apply in order, so waiting ones never
/// crowd out other cases); at most 200.
pub async fn due<C: ConnectionTrait>(
    db: &C,
    pending: i32,
    now_us: i64,
) -> AppResult<Vec<EffectRow>> {
    let rows = db
        .query_all_raw(stmt(
            db,
            &format!(
                "SELECT {COLUMNS} FROM accountability_effects e \
                 WHERE state = $1 AND next_us <= $2 AND NOT EXISTS (SELECT 1 FROM accountability_effects p \
                   WHERE p.case_id = e.case_id AND p.n < e.n AND p.state = $1) \
                 ORDER BY next_us, case_id, n LIMIT 200"
            ),
            vec![pending.into(), now_us.into()],
        ))
        .await?;
    rows.iter().map(effect_row).collect()
}

/// Counts an attempt that will be retried at `next_us`, if the effect is
/// still in state `pending`.
pub async fn retry_later<C: ConnectionTrait>(
    db: &C,
    e: &EffectRow,
    pending: i32,
    error: &str,
    next_us: i64,
) -> AppResult<()> {
    db.execute_raw(stmt(
        db,
        "UPDATE accountability_effects SET attempts = attempts + 1, last_error = $1, next_us = $2 \
         WHERE case_id = $3 AND n = $4 AND state = $5",
        vec![
            error.into(),
            next_us.into(),
            e.case_id.clone().into(),
            e.n.into(),
            pending.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// What an effect came to, to be written over its pending row.
pub struct Settled<'a> {
    pub state: i32,
    pub note: &'a str,
    pub applied_us: Option<i64>,
    pub credentials: &'a [String],
}

/// Settles the effect if it is still in state `pending`; false when
/// another replica settled it first.
pub async fn settle<C: ConnectionTrait>(
    db: &C,
    e: &EffectRow,
    pending: i32,
    s: Settled<'_>,
) -> AppResult<bool> {
    let done = db
        .execute_raw(stmt(
            db,
            "UPDATE accountability_effects SET state = $1, attempts = attempts + 1, last_error = $2, applied_us = $3, credentials = $4 \
             WHERE case_id = $5 AND n = $6 AND state = $7",
            vec![
                s.state.into(),
                s.note.into(),
                s.applied_us.into(),
                serde_json::to_string(s.credentials)
                    .unwrap_or_default()
                    .into(),
                e.case_id.clone().into(),
                e.n.into(),
                pending.into(),
            ],
        ))
        .await?
        .rows_affected();
    Ok(done > 0)
}
