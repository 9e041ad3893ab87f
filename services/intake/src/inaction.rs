//! Inaction (不作为, Art. 13, 19(4), 20(1)): a matter not closed within its
//! power's statutory time limit. A late closing is found when it is
//! submitted (`findings`); a matter never closed is found by the sweep here,
//! on a timer, with no one calling anything: a department that wants a clean
//! record would simply never send the closing. Once only: the sweep skips a
//! matter with the finding on its record, and a closing of a matter already
//! found adds none (`screening::verdicts`). A void does not end a matter's
//! time: one voided after its limit ran out, never closed, is found too.
use std::{sync::Arc, time::Duration};

use probity_common::{AppResult, auth::Principal, names::ts_us};
use probity_proto::intake::v1::DeadlineLight;
use probity_rules::time_limit;

use crate::{
    Intake, findings,
    store::{self, overdue::Scan},
};

const DAY_US: i64 = 86_400_000_000;
/// Matters read at a time while scanning.
pub const CHUNK: u64 = 1_000;

/// Starts the sweep; it stops when the service is dropped. Every replica
/// sweeps: the check under the chain lock makes each finding once.
pub fn start(intake: &Arc<Intake>, every: Duration) {
    let weak = Arc::downgrade(intake);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let Some(intake) = weak.upgrade() else { return };
            match sweep(&intake).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(matters = n, "inaction sweep found overdue matters"),
                Err(e) => tracing::warn!(error = %e, "inaction sweep failed; will retry"),
            }
        }
    });
}

/// When `m` is past its limit at `now_us` and has not been found: the
/// instant it became overdue. A voided matter is measured at its void.
fn past_due(m: &store::overdue::OpenMatter, now_us: i64) -> Option<i64> {
    let due = ts_us(m.matter()?.overdue_time.as_ref()?);
    let end = if m.voided { m.recorded_us } else { now_us };
    time_limit::closed_late(end, due).then_some(due)
}

/// Finds every open matter past its limit; returns how many were found.
pub async fn sweep(intake: &Intake) -> AppResult<usize> {
    let now = chrono::Utc::now().timestamp_micros();
    let db = &intake.store.db;
    let mut due = Vec::new();
    let mut after = 0;
    loop {
        let scan = Scan {
            after,
            limit: CHUNK,
            voided: true,
            unfound: true,
            ..Default::default()
        };
        let chunk = store::overdue::open_matters(db, &scan).await?;
        let Some(last) = chunk.last() else { break };
        after = last.id;
        due.extend(chunk.into_iter().filter(|m| past_due(m, now).is_some()));
    }
    let principal = Principal::system("probity-intake");
    let mut found = 0;
    for m in due {
        let mut w = intake
            .store
            .write(&principal, "inaction_sweep", "", &())
            .await?;
        // Again under the lock: still open, still unfound, the same revision.
        let scan = Scan {
            after: m.id - 1,
            limit: 1,
            voided: true,
            unfound: true,
            ..Default::default()
        };
        let again = store::overdue::open_matters(w.txn(), &scan).await?;
        let Some(m) = again
            .into_iter()
            .find(|x| x.id == m.id && x.revision == m.revision)
        else {
            continue;
        };
        let (Some(due), Some(matter)) = (past_due(&m, now), m.matter()) else {
            continue;
        };
        let late = time_limit::days_late(now, due) + 1;
        let detail = if m.voided {
            format!(
                "voided after the {}-day limit of {} ran out, never closed",
                matter.time_limit_days, matter.power
            )
        } else {
            format!(
                "not closed {late} day(s) after the {}-day limit of {} ran out",
                matter.time_limit_days, matter.power
            )
        };
        let rows = findings::overdue_findings(matter, &detail);
        let at = store::overdue::record(w.txn(), &m, &rows).await?;
        let names: Vec<String> = at
            .iter()
            .map(|(rev, seq)| crate::finding_states::finding_name(m.id, *rev, *seq))
            .collect();
        w.audit(
            &store::fact_name(m.id),
            serde_json::json!({
                "op": "inaction_overdue",
                "rule": probity_rules::catalogue::INACTION_OVERDUE.code,
                "revision": m.revision,
                "findings": names,
                "overdue_from_us": due,
                "time_limit_days": matter.time_limit_days,
                "detail": detail,
            }),
        )
        .await?;
        w.commit(()).await?;
        found += 1;
    }
    Ok(found)
}

/// An open matter's light at `now_us`: RED from the instant it is overdue,
/// YELLOW in the last `warn_days` days before, GREEN before that.
pub fn light(overdue_from_us: i64, now_us: i64, warn_days: u32) -> DeadlineLight {
    if now_us >= overdue_from_us {
        DeadlineLight::Red
    } else if now_us >= overdue_from_us.saturating_sub(warn_days as i64 * DAY_US) {
        DeadlineLight::Yellow
    } else {
        DeadlineLight::Green
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lights_turn_at_the_warning_and_at_the_limit() {
        let due = 100 * DAY_US;
        assert_eq!(light(due, due - 3 * DAY_US - 1, 3), DeadlineLight::Green);
        assert_eq!(light(due, due - 3 * DAY_US, 3), DeadlineLight::Yellow);
        assert_eq!(light(due, due - 1, 3), DeadlineLight::Yellow);
        assert_eq!(light(due, due, 3), DeadlineLight::Red);
        assert_eq!(light(due, due - 1, 0), DeadlineLight::Green);
    }
}
