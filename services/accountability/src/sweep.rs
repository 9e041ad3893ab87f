//! Correction orders past their deadline without an answer become OVERDUE
//! and open one case each (Art. 10), and on the same timer cases a unit
//! left undecided past their limit are escalated (`cases::escalate`); the findings sweep
//! (`finding_sweep`) runs on a timer of its own. Every replica sweeps; the order's state
//! and the case's origin key, checked under the chain lock, make it once.
use std::{sync::Arc, time::Duration};

use probity_common::{AppResult, auth::Principal, store::Write};

use crate::{
    Accountability, lifecycle,
    store::{
        self, OrderRow,
        events::{self, Event},
        rows::{OrderState, to_json},
    },
};

pub const OVERDUE: &str = "逾期未改正 (correction order overdue)";

pub fn start(acc: &Arc<Accountability>) {
    let weak = Arc::downgrade(acc);
    let every = Duration::from_millis(acc.settings.sweep_interval_ms);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let Some(acc) = weak.upgrade() else { return };
            if let Err(e) = sweep(&acc).await {
                tracing::warn!(error = %e, "overdue order sweep failed; will retry");
            }
            match crate::cases::escalate::sweep(&acc).await {
                Ok(n) if n > 0 => tracing::info!(cases = n, "undecided cases escalated"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "escalation sweep failed; will retry"),
            }
            match crate::cases::art6::sweep(&acc).await {
                Ok(n) if n > 0 => tracing::info!(cases = n, "Art. 6 decisions executed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "Art. 6 sweep failed; will retry"),
            }
            match crate::referrals::sweep(&acc).await {
                Ok(n) if n > 0 => tracing::info!(referrals = n, "referrals overdue"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "referral sweep failed; will retry"),
            }
        }
    });
    let weak = Arc::downgrade(acc);
    let every = Duration::from_millis(acc.settings.finding_sweep_interval_ms);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let Some(acc) = weak.upgrade() else { return };
            match crate::finding_sweep::sweep(&acc).await {
                Ok(opened) if !opened.is_empty() => {
                    tracing::info!(cases = opened.len(), "findings sweep opened cases")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "findings sweep failed; will retry"),
            }
        }
    });
}

pub async fn sweep(acc: &Accountability) -> AppResult<usize> {
    let now = chrono::Utc::now().timestamp_micros();
    let ids = store::orders::overdue_ids(&acc.store.db, now).await?;
    let principal = Principal::system("probity-accountability");
    let mut opened = 0;
    for id in ids {
        let mut w = acc.store.write(&principal, "sweep", "", &()).await?;
        let Some(mut row) = store::orders::load(w.txn(), &id).await? else {
            continue;
        };
        if row.order.state != OrderState::Open {
            continue;
        }
        overdue(&mut w, &principal, "sweep", &mut row).await?;
        store::orders::save(w.txn(), &row).await?;
        w.commit(()).await?;
        opened += 1;
    }
    Ok(opened)
}

/// Marks an open order OVERDUE and opens its Art. 10 case, in `w`; the
/// caller saves the order.
pub async fn overdue(
    w: &mut Write<'_>,
    principal: &Principal,
    method: &str,
    row: &mut OrderRow,
) -> AppResult<()> {
    let (case, _) = lifecycle::from_order(w, principal, method, row, OVERDUE).await?;
    row.order.state = OrderState::Overdue;
    row.order.case = case.name();
    events::append(
        w,
        principal,
        method,
        Event {
            entity: &row.name(),
            action: "OVERDUE",
            from: OrderState::Open.code(),
            to: OrderState::Overdue.code(),
            reason: OVERDUE,
            record: to_json(&row.order),
        },
    )
    .await?;
    Ok(())
}
