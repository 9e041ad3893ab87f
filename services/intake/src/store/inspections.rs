//! Inspections as Probity holds them, read under the writer's lock (issue
//! 18): those of a body's year (INSPECTION_EXCESSIVE counts them, never
//! the unit's word), the complaints they name as their causes, and the
//! draws' slots already taken.
use std::collections::{HashMap, HashSet};

use probity_common::{AppResult, db::stmt};
use probity_proto::intake::v1::{Fact, FactKind, fact::Payload};
use prost::Message;
use sea_orm::{ConnectionTrait, Value};

/// A stored, live inspection.
pub struct Live {
    pub fact_id: i64,
    /// bodies/{b}/powers/{p}
    pub power: String,
    pub target: String,
    /// The source id of the complaint it names as its cause, or "".
    pub cause: String,
}

/// The body's live inspections with from_us <= inspect time < to_us.
pub async fn live_in_year(
    c: &impl ConnectionTrait,
    body: &str,
    from_us: i64,
    to_us: i64,
) -> AppResult<Vec<Live>> {
    let sql = "SELECT f.id, r.payload FROM intake_facts f \
         JOIN intake_revisions r ON r.fact_id = f.id AND r.revision = f.revision \
         WHERE f.body = $1 AND f.kind = $2 AND f.voided = $3 \
         AND f.occurred_us >= $4 AND f.occurred_us < $5";
    let values: Vec<Value> = vec![
        body.to_string().into(),
        (FactKind::Inspection as i32).into(),
        false.into(),
        from_us.into(),
        to_us.into(),
    ];
    let mut out = Vec::new();
    for row in c.query_all_raw(stmt(c, sql, values)).await? {
        let payload: Vec<u8> = row.try_get("", "payload")?;
        let Ok(Fact {
            payload: Some(Payload::Inspection(i)),
            ..
        }) = Fact::decode(payload.as_slice())
        else {
            continue;
        };
        out.push(Live {
            fact_id: row.try_get("", "id")?,
            power: i.power,
            target: i.target,
            cause: i.cause,
        });
    }
    Ok(out)
}

/// Source ids asked for in one statement.
const IN_CHUNK: usize = 500;

/// Those of `sources` that are live complaints of the body.
pub async fn complaints_on_record(
    c: &impl ConnectionTrait,
    body: &str,
    sources: &[String],
) -> AppResult<HashSet<String>> {
    let wanted: Vec<&String> = sources
        .iter()
        .filter(|s| !s.is_empty())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut found = HashSet::new();
    for chunk in wanted.chunks(IN_CHUNK) {
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 4)).collect();
        let sql = format!(
            "SELECT source_id FROM intake_facts WHERE body = $1 AND kind = $2 AND voided = $3 \
             AND source_id IN ({})",
            list.join(", ")
        );
        let mut values: Vec<Value> = vec![
            body.to_string().into(),
            (FactKind::Complaint as i32).into(),
            false.into(),
        ];
        values.extend(chunk.iter().map(|s| Value::from(s.to_string())));
        for row in c.query_all_raw(stmt(c, &sql, values)).await? {
            found.insert(row.try_get::<String>("", "source_id")?);
        }
    }
    Ok(found)
}

/// A (draw, target) slot: the draw's name and the target's code.
pub type Slot = (String, String);

/// The fact holding each of these slots, where one does.
pub async fn slot_holders(
    c: &impl ConnectionTrait,
    slots: &[Slot],
) -> AppResult<HashMap<Slot, i64>> {
    let mut out = HashMap::new();
    for (draw, target) in slots.iter().collect::<HashSet<_>>() {
        let row = c
            .query_one_raw(stmt(
                c,
                "SELECT fact_id FROM intake_draw_slots WHERE draw = $1 AND target = $2",
                vec![draw.clone().into(), target.clone().into()],
            ))
            .await?;
        if let Some(row) = row {
            out.insert((draw.clone(), target.clone()), row.try_get("", "fact_id")?);
        }
    }
    Ok(out)
}

/// A slot given to an inspection: the fact and the revision that matched.
pub struct Claim {
    pub slot: Slot,
    pub fact_id: i64,
    pub revision: i32,
}

/// Records the slots given in this transaction.
pub async fn claim_slots(c: &impl ConnectionTrait, claims: &[Claim], now_us: i64) -> AppResult<()> {
    for cl in claims {
        c.execute_raw(stmt(
            c,
            "INSERT INTO intake_draw_slots (draw, target, fact_id, revision, recorded_us) \
             VALUES ($1, $2, $3, $4, $5)",
            vec![
                cl.slot.0.clone().into(),
                cl.slot.1.clone().into(),
                cl.fact_id.into(),
                cl.revision.into(),
                now_us.into(),
            ],
        ))
        .await?;
    }
    Ok(())
}
