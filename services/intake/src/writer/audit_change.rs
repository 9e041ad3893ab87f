//! What each caller's audit entry says of the revisions a batch made for it
//! (the same on both paths). It names the facts' range and digests the list
//! of (fact, revision, payload digest) it made; each revision row keeps its
//! payload digest and the sequence of this entry, so an edited or inserted
//! revision no longer matches its entry.
use super::{job::Job, rows::Row};
use crate::store;

/// The audit record of a caller's revisions in one transaction.
fn revisions_change(rows: &[&Row]) -> serde_json::Value {
    let listed: String = rows
        .iter()
        .map(|r| {
            let restated: String = r
                .restated
                .iter()
                .map(|(rev, seq, state)| format!(" {rev}-{seq}:{state}"))
                .collect();
            format!(
                "{} {} {} {}{restated}\n",
                r.fact_id, r.revision, r.digest, r.voided
            )
        })
        .collect();
    serde_json::json!({
        "op": "record_facts",
        "revisions": rows.len(),
        "first_fact": store::fact_name(rows.iter().map(|r| r.fact_id).min().unwrap_or(0)),
        "last_fact": store::fact_name(rows.iter().map(|r| r.fact_id).max().unwrap_or(0)),
        "findings_restated": rows.iter().map(|r| r.restated.len()).sum::<usize>(),
        "list_sha256": probity_common::audit::sha256_hex(listed.as_bytes()),
    })
}

/// Each caller's audit record of the revisions made for it, callers with
/// none left out.
pub(super) fn changes_by_caller(rows: &[Row], jobs: &[Job]) -> Vec<(usize, serde_json::Value)> {
    (0..jobs.len())
        .filter_map(|j| {
            let mine: Vec<&Row> = rows.iter().filter(|r| r.job == j).collect();
            (!mine.is_empty()).then(|| (j, revisions_change(&mine)))
        })
        .collect()
}
