//! The verified inspections of one draw (一公开): read from the stored facts
//! of the drawing unit within the draw's window, never from a list the unit
//! keeps. The window bounds the read to one unit's inspections of a few
//! weeks, which the (body, occurred_us) index serves.
use std::collections::HashMap;

use probity_common::{AppResult, db::stmt};
use probity_proto::intake::v1::{Fact, FactKind, Inspection, fact::Payload};
use prost::Message;
use sea_orm::{ConnectionTrait, Value};

/// Live, verified inspections of `body` between `from_us` and `to_us`
/// (inclusive) that cite `draw`, by target: the first reported (lowest
/// fact id) for each.
pub async fn verified_by_target(
    c: &impl ConnectionTrait,
    body: &str,
    draw: &str,
    from_us: i64,
    to_us: i64,
) -> AppResult<HashMap<String, Inspection>> {
    let sql = "SELECT r.payload FROM intake_facts f \
         JOIN intake_revisions r ON r.fact_id = f.id AND r.revision = f.revision \
         WHERE f.body = $1 AND f.kind = $2 AND f.voided = $3 \
         AND f.occurred_us >= $4 AND f.occurred_us <= $5 ORDER BY f.id";
    let values: Vec<Value> = vec![
        body.to_string().into(),
        (FactKind::Inspection as i32).into(),
        false.into(),
        from_us.into(),
        to_us.into(),
    ];
    let mut out = HashMap::new();
    for row in c.query_all_raw(stmt(c, sql, values)).await? {
        let payload: Vec<u8> = row.try_get("", "payload")?;
        let Ok(Fact {
            payload: Some(Payload::Inspection(i)),
            ..
        }) = Fact::decode(payload.as_slice())
        else {
            continue;
        };
        if i.draw_verified && i.random_draw == draw {
            out.entry(i.target.clone()).or_insert(i);
        }
    }
    Ok(out)
}
