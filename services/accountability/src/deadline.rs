//! Time limits per case state (accountability.limits) and the traffic
//! light a case shows: GREEN within its limit, YELLOW within warn_hours of
//! it, RED past it. Computed at the time of the read from when the state
//! was entered, so a changed limit applies to open cases at once.
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

/// SQL over `state` and `state_us` selecting cases with light `want`
/// (YELLOW or RED) at `now_us`, with its bind values starting at `$first`.
pub fn filter(
    s: &AccountabilitySettings,
    want: DeadlineStatus,
    now_us: i64,
    first: usize,
) -> (String, Vec<sea_orm::Value>) {
    let mut parts = Vec::new();
    let mut values: Vec<sea_orm::Value> = Vec::new();
    for st in TIMED {
        let Some(limit) = limit_us(s, st) else {
            continue;
        };
        // due = state_us + limit; RED: due <= now; YELLOW: now < due <= now + warn.
        let red_cut = now_us.saturating_sub(limit);
        let n = first + values.len();
        match want {
            DeadlineStatus::Red => {
                parts.push(format!("(state = ${n} AND state_us <= ${})", n + 1));
                values.extend([(st as i32).into(), red_cut.into()]);
            }
            _ => {
                parts.push(format!(
                    "(state = ${n} AND state_us > ${} AND state_us <= ${})",
                    n + 1,
                    n + 2
                ));
                values.extend([
                    (st as i32).into(),
                    red_cut.into(),
                    red_cut.saturating_add(warn_us(s)).into(),
                ]);
            }
        }
    }
    (format!("({})", parts.join(" OR ")), values)
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
