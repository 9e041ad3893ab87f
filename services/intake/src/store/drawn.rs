//! The inspections of one draw (一公开): the facts holding the draw's slots
//! (intake_draw_slots, given by the writer to the first inspection that
//! matched each drawn target), never a list the unit keeps.
use std::collections::HashMap;

use probity_common::{AppResult, db::stmt};
use probity_proto::intake::v1::{Fact, Inspection, fact::Payload};
use prost::Message;
use sea_orm::{ConnectionTrait, Value};

/// By target, the live inspection holding each slot of `draw`, at its
/// current revision, where that revision still matches the draw (a
/// correction away from the draw leaves the slot taken but not done).
pub async fn verified_by_target(
    c: &impl ConnectionTrait,
    draw: &str,
) -> AppResult<HashMap<String, Inspection>> {
    let sql = "SELECT s.target, r.payload FROM intake_draw_slots s \
         JOIN intake_facts f ON f.id = s.fact_id \
         JOIN intake_revisions r ON r.fact_id = f.id AND r.revision = f.revision \
         WHERE s.draw = $1 AND f.voided = $2";
    let values: Vec<Value> = vec![draw.to_string().into(), false.into()];
    let mut out = HashMap::new();
    for row in c.query_all_raw(stmt(c, sql, values)).await? {
        let target: String = row.try_get("", "target")?;
        let payload: Vec<u8> = row.try_get("", "payload")?;
        let Ok(Fact {
            payload: Some(Payload::Inspection(i)),
            ..
        }) = Fact::decode(payload.as_slice())
        else {
            continue;
        };
        if i.draw_verified && i.random_draw == draw && i.target == target {
            out.insert(target, i);
        }
    }
    Ok(out)
}
