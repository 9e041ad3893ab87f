//! Rows of cases, orders, commendations and events: each keeps its whole
//! record (the protobuf message) beside the columns listings filter on, and
//! every change appends an event holding the record as it became, under the
//! audit entry that records it, in the same transaction.
use probity_common::{
    AppError, AppResult,
    audit::sha256_hex,
    auth::Principal,
    db::{Filter, stmt},
    names::Page,
    store::Write,
};
use probity_proto::accountability::v1::{
    Case, CaseEvent, CaseState, Commendation, CorrectionOrder,
};
use prost::Message;
use sea_orm::{ConnectionTrait, QueryResult, Value};

/// A case row's columns besides the record.
#[derive(Debug, Clone)]
pub struct CaseRow {
    pub id: String,
    pub body_path: String,
    pub state_us: i64,
    pub case: Case,
}

/// An event to append: what happened to which record.
pub struct Event<'a> {
    pub entity: &'a str,
    pub action: &'a str,
    pub from: i32,
    pub to: i32,
    pub reason: &'a str,
    pub doc: Vec<u8>,
}

pub fn case_id(name: &str) -> Option<&str> {
    name.strip_prefix("cases/")
}

fn decode<M: Message + Default>(row: &QueryResult) -> AppResult<M> {
    let bytes: Vec<u8> = row.try_get("", "doc")?;
    M::decode(bytes.as_slice()).map_err(AppError::internal)
}

pub fn case_row(row: &QueryResult) -> AppResult<CaseRow> {
    Ok(CaseRow {
        id: row.try_get("", "id")?,
        body_path: row.try_get("", "body_path")?,
        state_us: row.try_get("", "state_us")?,
        case: decode(row)?,
    })
}

pub const CASE_COLUMNS: &str = "id, body_path, state_us, doc";

pub async fn load_case<C: ConnectionTrait>(db: &C, id: &str) -> AppResult<Option<CaseRow>> {
    let row = db
        .query_one_raw(stmt(
            db,
            &format!("SELECT {CASE_COLUMNS} FROM accountability_cases WHERE id = $1"),
            vec![id.into()],
        ))
        .await?;
    row.as_ref().map(case_row).transpose()
}

pub async fn case_by_origin<C: ConnectionTrait>(db: &C, key: &str) -> AppResult<Option<CaseRow>> {
    let row = db
        .query_one_raw(stmt(
            db,
            &format!("SELECT {CASE_COLUMNS} FROM accountability_cases WHERE origin_key = $1"),
            vec![key.into()],
        ))
        .await?;
    row.as_ref().map(case_row).transpose()
}

/// Stores a new case (its record as given).
pub async fn insert_case<C: ConnectionTrait>(
    db: &C,
    id: &str,
    body_path: &str,
    now_us: i64,
    c: &Case,
) -> AppResult<()> {
    let subject = c.subject.clone().unwrap_or_default();
    let origin = c.origin.clone().unwrap_or_default();
    let key = (!origin.key.is_empty()).then(|| origin.key.clone());
    db.execute_raw(stmt(
        db,
        "INSERT INTO accountability_cases (id, subject, subject_kind, body, body_path, state, origin_kind, origin_key, state_us, created_us, version, doc) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        vec![
            id.into(),
            subject.name.into(),
            subject.kind.into(),
            subject.body.into(),
            body_path.into(),
            c.state.into(),
            origin.kind.into(),
            key.into(),
            now_us.into(),
            now_us.into(),
            c.version.into(),
            c.encode_to_vec().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Writes a changed case back (state, when it was entered, version, record).
pub async fn save_case<C: ConnectionTrait>(db: &C, row: &CaseRow) -> AppResult<()> {
    db.execute_raw(stmt(
        db,
        "UPDATE accountability_cases SET state = $1, state_us = $2, version = $3, doc = $4 WHERE id = $5",
        vec![
            row.case.state.into(),
            row.state_us.into(),
            row.case.version.into(),
            row.case.encode_to_vec().into(),
            row.id.clone().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Records `e` in the audit chain for `principal` and appends it to the
/// entity's events; returns the audit sequence.
pub async fn append(
    w: &mut Write<'_>,
    principal: &Principal,
    method: &str,
    e: Event<'_>,
) -> AppResult<i64> {
    let seq = w
        .audit_as(
            principal,
            method,
            e.entity,
            serde_json::json!({
                "action": e.action,
                "from": e.from,
                "to": e.to,
                "reason": e.reason,
                "record_sha256": sha256_hex(&e.doc),
            }),
        )
        .await?;
    let txn = w.txn();
    let next: i64 = txn
        .query_one_raw(stmt(
            txn,
            "SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM accountability_events WHERE entity = $1",
            vec![e.entity.into()],
        ))
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(1);
    txn.execute_raw(stmt(
        txn,
        "INSERT INTO accountability_events (entity, seq, action, from_state, to_state, actor, role, at_us, reason, audit_seq, doc) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        vec![
            e.entity.into(),
            next.into(),
            e.action.into(),
            e.from.into(),
            e.to.into(),
            principal.subject.clone().into(),
            principal.role.as_str().into(),
            chrono::Utc::now().timestamp_micros().into(),
            e.reason.into(),
            seq.into(),
            e.doc.into(),
        ],
    ))
    .await?;
    Ok(seq)
}

/// The entity's events after sequence `after`, at most `limit`, in order.
pub async fn events<C: ConnectionTrait>(
    db: &C,
    entity: &str,
    after: i64,
    limit: u64,
) -> AppResult<Vec<CaseEvent>> {
    let rows = db
        .query_all_raw(stmt(
            db,
            &format!(
                "SELECT seq, action, from_state, to_state, actor, role, at_us, reason, audit_seq \
                 FROM accountability_events WHERE entity = $1 AND seq > $2 ORDER BY seq LIMIT {limit}"
            ),
            vec![entity.into(), after.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            let at: i64 = r.try_get("", "at_us")?;
            let audit: i64 = r.try_get("", "audit_seq")?;
            Ok(CaseEvent {
                sequence: r.try_get("", "seq")?,
                action: r.try_get("", "action")?,
                from_state: r.try_get("", "from_state")?,
                to_state: r.try_get("", "to_state")?,
                actor: r.try_get("", "actor")?,
                role: r.try_get("", "role")?,
                time: probity_common::names::us_ts(at),
                reason: r.try_get("", "reason")?,
                audit_entry: format!("audit/accountability/{audit}"),
            })
        })
        .collect()
}

/// An order row's columns besides the record.
#[derive(Debug, Clone)]
pub struct OrderRow {
    pub id: String,
    pub body_path: String,
    pub order: CorrectionOrder,
}

pub fn order_row(row: &QueryResult) -> AppResult<OrderRow> {
    Ok(OrderRow {
        id: row.try_get("", "id")?,
        body_path: row.try_get("", "body_path")?,
        order: decode(row)?,
    })
}

pub async fn load_order<C: ConnectionTrait>(db: &C, id: &str) -> AppResult<Option<OrderRow>> {
    let row = db
        .query_one_raw(stmt(
            db,
            "SELECT id, body_path, doc FROM accountability_orders WHERE id = $1",
            vec![id.into()],
        ))
        .await?;
    row.as_ref().map(order_row).transpose()
}

pub async fn insert_order<C: ConnectionTrait>(
    db: &C,
    row: &OrderRow,
    deadline_us: i64,
    now_us: i64,
) -> AppResult<()> {
    db.execute_raw(stmt(
        db,
        "INSERT INTO accountability_orders (id, body, body_path, state, deadline_us, created_us, version, doc) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        vec![
            row.id.clone().into(),
            row.order.body.clone().into(),
            row.body_path.clone().into(),
            row.order.state.into(),
            deadline_us.into(),
            now_us.into(),
            1i64.into(),
            row.order.encode_to_vec().into(),
        ],
    ))
    .await?;
    Ok(())
}

pub async fn save_order<C: ConnectionTrait>(db: &C, row: &OrderRow) -> AppResult<()> {
    db.execute_raw(stmt(
        db,
        "UPDATE accountability_orders SET state = $1, version = version + 1, doc = $2 WHERE id = $3",
        vec![
            row.order.state.into(),
            row.order.encode_to_vec().into(),
            row.id.clone().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// The case state's name as the API spells it, for messages.
pub fn state_name(s: i32) -> &'static str {
    CaseState::try_from(s)
        .map(|s| s.as_str_name())
        .unwrap_or("CASE_STATE_UNSPECIFIED")
}

/// The records of the subject's cases in one of `states`.
pub async fn cases_of_subject<C: ConnectionTrait>(
    db: &C,
    subject: &str,
    states: &[CaseState],
) -> AppResult<Vec<Case>> {
    let mut values: Vec<Value> = vec![subject.into()];
    let mut marks = Vec::new();
    for s in states {
        values.push((*s as i32).into());
        marks.push(format!("${}", values.len()));
    }
    let rows = db
        .query_all_raw(stmt(
            db,
            &format!(
                "SELECT doc FROM accountability_cases WHERE subject = $1 AND state IN ({})",
                marks.join(", ")
            ),
            values,
        ))
        .await?;
    rows.iter().map(decode).collect()
}

/// The commendation of `subject` for `year`, if recorded.
pub async fn commendation_of<C: ConnectionTrait>(
    db: &C,
    year: i32,
    subject: &str,
) -> AppResult<Option<Commendation>> {
    db.query_one_raw(stmt(
        db,
        "SELECT doc FROM accountability_commendations WHERE year = $1 AND subject = $2",
        vec![year.into(), subject.into()],
    ))
    .await?
    .as_ref()
    .map(decode)
    .transpose()
}

/// Inserts a commendation; returns its record as stored (what the audit
/// entry's hash covers).
pub async fn insert_commendation<C: ConnectionTrait>(
    db: &C,
    id: &str,
    body_path: &str,
    created_us: i64,
    c: &Commendation,
) -> AppResult<Vec<u8>> {
    let doc = c.encode_to_vec();
    db.execute_raw(stmt(
        db,
        "INSERT INTO accountability_commendations (id, year, subject, subject_kind, body_path, created_us, doc) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            id.into(),
            c.year.into(),
            c.subject.clone().into(),
            c.subject_kind.into(),
            body_path.into(),
            created_us.into(),
            doc.clone().into(),
        ],
    ))
    .await?;
    Ok(doc)
}

/// One page of a year's commendations (of one subject kind, unless 0), by
/// id, with their ids.
pub async fn commendations<C: ConnectionTrait>(
    db: &C,
    year: i32,
    subject_kind: i32,
    p: &Page,
) -> AppResult<Vec<(String, Commendation)>> {
    let mut sql = "SELECT id, doc FROM accountability_commendations WHERE year = $1".to_string();
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
        .map(|row| Ok((row.try_get::<String>("", "id")?, decode(row)?)))
        .collect()
}

/// One page of the cases `q` selects, by id.
pub async fn cases<C: ConnectionTrait>(db: &C, q: Filter, size: u64) -> AppResult<Vec<CaseRow>> {
    let select = format!("SELECT {CASE_COLUMNS} FROM accountability_cases");
    select_page(db, &select, q, size, case_row).await
}

/// One page of the orders `q` selects, by id.
pub async fn orders<C: ConnectionTrait>(db: &C, q: Filter, size: u64) -> AppResult<Vec<OrderRow>> {
    let select = "SELECT id, body_path, doc FROM accountability_orders";
    select_page(db, select, q, size, order_row).await
}

async fn select_page<C: ConnectionTrait, T>(
    db: &C,
    select: &str,
    q: Filter,
    size: u64,
    row: fn(&QueryResult) -> AppResult<T>,
) -> AppResult<Vec<T>> {
    let wh = q.clause();
    let sql = format!("{select} {wh} ORDER BY id LIMIT {size}");
    let rows = db.query_all_raw(stmt(db, &sql, q.values)).await?;
    rows.iter().map(row).collect()
}
