//! `accountability_events`: every change of a case or an order, with the
//! record as it became, appended under the audit entry that records it.
use probity_common::{AppResult, audit::sha256_hex, auth::Principal, db::stmt, store::Write};
use sea_orm::ConnectionTrait;

/// An event to append: what happened to which record.
pub struct Event<'a> {
    pub entity: &'a str,
    pub action: &'a str,
    /// The state before and after, as the record's state column numbers it.
    pub from: i32,
    pub to: i32,
    pub reason: &'a str,
    /// The record after the change (`rows::to_json`): stored as is, and its
    /// SHA-256 is the audit entry's `record_sha256`.
    pub record: String,
}

/// An event as listed.
#[derive(Debug, Clone)]
pub struct EventRow {
    pub seq: i64,
    pub action: String,
    pub from: i32,
    pub to: i32,
    pub actor: String,
    pub role: String,
    pub at_us: i64,
    pub reason: String,
    pub audit_seq: i64,
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
                "record_sha256": sha256_hex(e.record.as_bytes()),
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
        "INSERT INTO accountability_events (entity, seq, action, from_state, to_state, actor, role, at_us, reason, audit_seq, record) \
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
            e.record.into(),
        ],
    ))
    .await?;
    Ok(seq)
}

/// The entity's events after sequence `after`, at most `limit`, in order.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    entity: &str,
    after: i64,
    limit: u64,
) -> AppResult<Vec<EventRow>> {
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
            Ok(EventRow {
                seq: r.try_get("", "seq")?,
                action: r.try_get("", "action")?,
                from: r.try_get("", "from_state")?,
                to: r.try_get("", "to_state")?,
                actor: r.try_get("", "actor")?,
                role: r.try_get("", "role")?,
                at_us: r.try_get("", "at_us")?,
                reason: r.try_get("", "reason")?,
                audit_seq: r.try_get("", "audit_seq")?,
            })
        })
        .collect()
}
