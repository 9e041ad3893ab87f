//! Inspections of one target as Probity holds them (INSPECTION_EXCESSIVE):
//! counted from the stored facts, never from the unit's word. An
//! inspection counts unless it is voided or names a cause (a complaint of
//! its body) that is on record.
use std::collections::HashSet;

use probity_common::{AppResult, db::stmt};
use probity_proto::intake::v1::{Fact, FactKind, fact::Payload};
use prost::Message;
use sea_orm::{ConnectionTrait, Value};

/// Which inspections to count.
pub struct Counted<'a> {
    /// The body's id (as stored).
    pub body: &'a str,
    /// bodies/{b}/powers/{p}
    pub power: &'a str,
    pub target: &'a str,
    /// The year: from_us <= inspect time < to_us.
    pub from_us: i64,
    pub to_us: i64,
    /// The fact being submitted (a correction replaces it; not counted).
    pub except_source: &'a str,
}

/// Stored, live inspections of the target under the power in the year that
/// name no cause on record.
pub async fn without_cause(c: &impl ConnectionTrait, q: &Counted<'_>) -> AppResult<i64> {
    let sql = "SELECT f.source_id, r.payload FROM intake_facts f \
         JOIN intake_revisions r ON r.fact_id = f.id AND r.revision = f.revision \
         WHERE f.body = $1 AND f.kind = $2 AND f.voided = $3 \
         AND f.occurred_us >= $4 AND f.occurred_us < $5 AND f.source_id <> $6";
    let values: Vec<Value> = vec![
        q.body.to_string().into(),
        (FactKind::Inspection as i32).into(),
        false.into(),
        q.from_us.into(),
        q.to_us.into(),
        q.except_source.to_string().into(),
    ];
    let mut causes = Vec::new();
    for row in c.query_all_raw(stmt(c, sql, values)).await? {
        let payload: Vec<u8> = row.try_get("", "payload")?;
        let Ok(Fact {
            payload: Some(Payload::Inspection(i)),
            ..
        }) = Fact::decode(payload.as_slice())
        else {
            continue;
        };
        if i.target == q.target && i.power == q.power {
            causes.push(i.cause);
        }
    }
    let named: Vec<String> = causes.iter().filter(|c| !c.is_empty()).cloned().collect();
    let on_record = complaints_on_record(c, q.body, &named).await?;
    Ok(causes.iter().filter(|c| !on_record.contains(*c)).count() as i64)
}

/// Those of `sources` that are live complaints of the body.
pub async fn complaints_on_record(
    c: &impl ConnectionTrait,
    body: &str,
    sources: &[String],
) -> AppResult<HashSet<String>> {
    let mut found = HashSet::new();
    for s in sources.iter().collect::<HashSet<_>>() {
        let sql = "SELECT 1 AS one FROM intake_facts \
             WHERE body = $1 AND source_id = $2 AND kind = $3 AND voided = $4";
        let values: Vec<Value> = vec![
            body.to_string().into(),
            s.clone().into(),
            (FactKind::Complaint as i32).into(),
            false.into(),
        ];
        if c.query_one_raw(stmt(c, sql, values)).await?.is_some() {
            found.insert(s.clone());
        }
    }
    Ok(found)
}
