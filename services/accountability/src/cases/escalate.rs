//! Escalation: a case its unit decides (Art. 20) that is still undecided
//! past its state's time limit passes to the legal-affairs office, as a
//! refused correction does (Art. 10). The sweep records it for cases no
//! one touches; a step on such a case records it first, so the right to
//! decide never waits for the sweep.
use chrono::Utc;
use probity_common::{AppResult, auth::Principal, store::Write};

use crate::{
    Accountability, deadline, rights,
    store::{
        self, CaseRow,
        cases::Listing,
        events::{self, Event},
        rows::{SubjectKind, to_json},
    },
};
use probity_proto::accountability::v1::{CaseState as Pb, DeadlineStatus};

const METHOD: &str = "escalate";

fn system() -> Principal {
    Principal::system("probity-accountability")
}

/// Escalates the case in `row` (loaded in `w`) if it is due: the record
/// marked, an ESCALATED event in the case's history. Returns whether it did.
pub async fn if_due(acc: &Accountability, w: &mut Write<'_>, row: &mut CaseRow) -> AppResult<bool> {
    let now = Utc::now();
    if !rights::due_escalation(
        &acc.settings,
        &row.case,
        row.state_us,
        now.timestamp_micros(),
    ) {
        return Ok(false);
    }
    row.case.escalate_time = Some(now);
    row.case.version += 1;
    store::cases::save(w.txn(), row).await?;
    let state = row.case.state.code();
    events::append(
        w,
        &system(),
        METHOD,
        Event {
            entity: &row.name(),
            action: "ESCALATED",
            from: state,
            to: state,
            reason: rights::ESCALATED,
            record: to_json(&row.case),
        },
    )
    .await?;
    Ok(true)
}

/// Escalates every case due (every replica sweeps; the record, checked
/// under the chain lock, makes it once). Returns how many.
pub async fn sweep(acc: &Accountability) -> AppResult<usize> {
    let now = Utc::now().timestamp_micros();
    let undecided = [Pb::Opened, Pb::Investigating, Pb::Proposed];
    let windows = deadline::windows(&acc.settings, DeadlineStatus::Red, now)
        .into_iter()
        .filter(|(st, _, _)| undecided.contains(st))
        .map(|(st, after, upto)| (st as i32, after, upto))
        .collect();
    let listing = Listing {
        subject_kind: Some(SubjectKind::Officer.code()),
        entered: Some(windows),
        ..Default::default()
    };
    let due = store::cases::ids_where(&acc.store.db, listing, |r| {
        rights::due_escalation(&acc.settings, &r.case, r.state_us, now)
    })
    .await?;
    let principal = system();
    let mut escalated = 0;
    for id in due {
        let mut w = acc.store.write(&principal, METHOD, "", &()).await?;
        let Some(mut row) = store::cases::load(w.txn(), &id).await? else {
            continue;
        };
        if !if_due(acc, &mut w, &mut row).await? {
            continue;
        }
        w.commit(()).await?;
        escalated += 1;
    }
    Ok(escalated)
}
