//! The facts that refer to one being voided or corrected (by `refers_to`):
//! a void, or a correction that moves what their checks read, waits until
//! none is live (FACT_HAS_DEPENDANTS).
use std::collections::{BTreeMap, HashMap};

use probity_common::{AppError, Reason};
use probity_proto::intake::v1::{Fact, FactKind};
use prost::Message;

use super::state::{Facts, State};
use crate::{checks::Prepared, store};

/// The stored facts referring to each (body, source id), read under the
/// lock for the facts a batch voids or corrects.
pub(super) type Stored = HashMap<(String, String), Vec<store::Dependant>>;

/// Kinds of fact other facts refer to: matters, decisions, complaints.
pub(super) const REFERABLE: [i32; 3] = [
    FactKind::Matter as i32,
    FactKind::Decision as i32,
    FactKind::Complaint as i32,
];

/// Whether correcting `st` to `p` changes what the checks of the facts
/// referring to it read from it: its time (theirs may not come before it)
/// or, for a matter, its power (the discretion benchmark its decisions were
/// held to). Their findings would stand on a revision that is gone.
pub(super) fn stranded_by(st: &State, p: &Prepared) -> bool {
    let power = |f: &Fact| match &f.payload {
        Some(probity_proto::intake::v1::fact::Payload::Matter(m)) => m.power.clone(),
        _ => String::new(),
    };
    REFERABLE.contains(&st.kind)
        && (st.occurred_us != p.occurred_us
            || Fact::decode(st.payload.as_slice())
                .map(|f| power(&f))
                .unwrap_or_default()
                != power(&p.fact))
}

/// Refuses to change `st` while live facts refer to it (a decision on a
/// voided matter would stay counted and its findings picked up): those are
/// voided or corrected first.
pub(super) fn none_live(
    fact_id: i64,
    st: &State,
    facts: &Facts,
    stored: &Stored,
) -> Result<(), AppError> {
    let live = live(fact_id, st, facts, stored);
    if live.is_empty() {
        Ok(())
    } else {
        Err(has_dependants(&live))
    }
}

/// The live facts referring to `st` as this batch leaves them: stored ones
/// (unless the batch voided or re-pointed them) and ones the batch made or
/// corrected; (id, source id) in id order.
fn live(fact_id: i64, st: &State, facts: &Facts, stored: &Stored) -> Vec<(i64, String)> {
    let refers = |s: &State| s.body == st.body && !s.voided && s.refers_to == st.source_id;
    let mut live: BTreeMap<i64, String> = stored
        .get(&(st.body.clone(), st.source_id.clone()))
        .into_iter()
        .flatten()
        .filter(|d| facts.by_id.get(&d.id).is_none_or(refers))
        .map(|d| (d.id, d.source_id.clone()))
        .collect();
    live.extend(
        facts
            .by_id
            .iter()
            .filter(|(_, s)| !st.source_id.is_empty() && refers(s))
            .map(|(id, s)| (*id, s.source_id.clone())),
    );
    live.remove(&fact_id);
    live.into_iter().collect()
}

/// FAILED_PRECONDITION naming the facts that still refer to one to void or
/// correct.
fn has_dependants(live: &[(i64, String)]) -> AppError {
    const SHOWN: usize = 10;
    let mut named: Vec<String> = live
        .iter()
        .take(SHOWN)
        .map(|(id, source)| format!("{} (source id {source})", store::fact_name(*id)))
        .collect();
    if live.len() > SHOWN {
        named.push(format!("and {} more", live.len() - SHOWN));
    }
    AppError::refused(
        Reason::FactHasDependants,
        format!(
            "{} live fact(s) refer to this one: {}; void them, or correct them to refer elsewhere, first",
            live.len(),
            named.join(", ")
        ),
    )
}
