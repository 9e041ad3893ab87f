//! One step applied to a case in the caller's write (under the chain lock):
//! the state checked, the step's rule applied, the record stored with its
//! event, and on execution the decision's effects written to the outbox.
use chrono::Utc;
use probity_common::{AppError, AppResult, Reason, auth::Principal, store::Write};

use super::Action;
use crate::{
    Accountability, effects, notices,
    store::{
        self, CaseRow,
        events::{self, Event},
        rows::{CaseRecord, CaseState, to_json},
    },
};

/// FAILED_PRECONDITION naming the current state and the ones `action` needs.
pub fn illegal(action: Action, current: CaseState, from: &[CaseState]) -> AppError {
    let allowed: Vec<String> = from.iter().map(|s| s.api_name()).collect();
    AppError::refused(
        Reason::IllegalTransition,
        format!(
            "{} is not possible: the case is {} (it needs {})",
            action.name(),
            current.api_name(),
            allowed.join(" or ")
        ),
    )
}

/// Takes `action` on the case in `row` (loaded in `w`): checks its state,
/// applies `rule` (which may refuse), moves the state, stores the case and
/// its event. Returns the case as stored.
pub async fn apply<F>(
    acc: &Accountability,
    w: &mut Write<'_>,
    principal: &Principal,
    method: &str,
    mut row: CaseRow,
    (action, reason): (Action, &str),
    rule: F,
) -> AppResult<CaseRow>
where
    F: FnOnce(&mut CaseRecord) -> AppResult<()>,
{
    let before = row.case.state;
    if !action.from().contains(&before) {
        return Err(illegal(action, before, action.from()));
    }
    if action == Action::Close {
        // Counted under the lock: an effect written by a concurrent Execute
        // or settled by the dispatcher is seen as it is.
        let pending = effects::pending(w.txn(), &row.id).await?;
        if pending > 0 {
            return Err(AppError::refused(
                Reason::EffectsPending,
                format!("{pending} effect(s) still wait for the registry (current state EXECUTED)"),
            ));
        }
    }
    rule(&mut row.case)?;
    let now = Utc::now();
    if let Some(to) = action.to()
        && to != before
    {
        row.case.state = to;
        row.case.state_time = Some(now);
        row.state_us = now.timestamp_micros();
    }
    row.case.version += 1;
    if action == Action::Execute {
        let n =
            effects::insert(w.txn(), &row.id, &row.case, reason, now.timestamp_micros()).await?;
        if n > 0 {
            acc.wake.notify_one();
        }
        if notices::compose::criticizes(&row.case) {
            let s = &row.case.subject;
            let kind = notices::NoticeKind::Criticism;
            store::notices::queue(
                w.txn(),
                &row.name(),
                kind,
                &s.name,
                &row.body_path,
                now.timestamp_micros(),
            )
            .await?;
        }
        crate::referrals::on_execute(acc, w, (principal, method), &row, now).await?;
    }
    store::cases::save(w.txn(), &row).await?;
    events::append(
        w,
        principal,
        method,
        Event {
            entity: &row.name(),
            action: action.name(),
            from: before.code(),
            to: row.case.state.code(),
            reason,
            record: to_json(&row.case),
        },
    )
    .await?;
    Ok(row)
}
