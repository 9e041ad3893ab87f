//! Time limits per case state (accountability.limits) and the traffic
//! light a case shows: GREEN within its limit, YELLOW within warn_hours of
//! it, RED past it. Computed at the time of the read from when the state
//! was entered, so a changed limit applies to open cases at once; a
//! listing by light selects on when the state was entered
//! ([`windows`], `store::cases::Listing`).
use crate::settings::AccountabilitySettings;
use probity_proto::accountability::v1::{CaseState, DeadlineStatus};

const HOUR_US: i64 = 3_600_000_000;

/// The limit of `state` in microseconds; None for final states.
pub fn limit_us(s: &AccountabilitySettings, state: CaseState) -> Option<i64> {
    let l = &s.limits;
    let hours = match state {
        CaseState::Opened => l.opened_hours,
        CaseState::Investigating => l.investigating_hours,
        CaseState::Proposed => l.proposed_hours,
        CaseState::Decided => l.decided_hours,
        CaseState::Contested => l.contested_hours,
        CaseState::Executed => l.executed_hours,
        _ => return None,
    };
    Some((hours as i64).saturating_mul(HOUR_US))
}

pub fn warn_us(s: &AccountabilitySettings) -> i64 {
    (s.warn_hours as i64).saturating_mul(HOUR_US)
}

/// When the state entered at `since_us` is due, and its light at `now_us`.
pub fn status(
    s: &AccountabilitySettings,
    state: CaseState,
    since_us: i64,
    now_us: i64,
) -> (Option<i64>, DeadlineStatus) {
    let Some(limit) = limit_us(s, state) else {
        return (None, DeadlineStatus::None);
    };
    let due = since_us.saturating_add(limit);
    let light = if now_us >= due {
        DeadlineStatus::Red
    } else if now_us >= due.saturating_sub(warn_us(s)) {
        DeadlineStatus::Yellow
    } else {
        DeadlineStatus::Green
    };
    (Some(due), light)
}

/// The states with a limit.
pub const TIMED: [CaseState; 6] = [
    CaseState::Opened,
    CaseState::Investigating,
    CaseState::Proposed,
    CaseState::Decided,
    CaseState::Contested,
    CaseState::Executed,
];

/// When a case must have entered its state for its light to be `want`
/// (YELLOW or RED) at `now_us`: per timed state, the range of `state_us`
/// as (after, up to and including); RED has no lower end.
pub fn windows(
    s: &AccountabilitySettings,
    want: DeadlineStatus,
    now_us: i64,
) -> Vec<(CaseState, Option<i64>, i64)> {
    let mut out = Vec::new();
    for st in TIMED {
        let Some(limit) = limit_us(s, st) else {
            continue;
        };
        // due = state_us + limit; RED: due <= now; YELLOW: now < due <= now + warn.
        let red_cut = now_us.saturating_sub(limit);
        out.push(match want {
            DeadlineStatus::Red => (st, None, red_cut),
            _ => (st, Some(red_cut), red_cut.saturating_add(warn_us(s))),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lights() {
        let s = AccountabilitySettings::default();
        let since = 0;
        let limit = limit_us(&s, CaseState::Opened).unwrap();
        assert_eq!(
            status(&s, CaseState::Opened, since, 0).1,
            DeadlineStatus::Green
        );
        assert_eq!(
            status(&s, CaseState::Opened, since, limit - warn_us(&s)).1,
            DeadlineStatus::Yellow
        );
        assert_eq!(
            status(&s, CaseState::Opened, since, limit).1,
            DeadlineStatus::Red
        );
        assert_eq!(
            status(&s, CaseState::Closed, since, limit).1,
            DeadlineStatus::None
        );
    }
}
