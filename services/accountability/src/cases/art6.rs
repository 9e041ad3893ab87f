//! Art. 6: what failing the year brings follows from the year, not from
//! someone remembering. An officer who fails is transferred out of
//! enforcement posts (调离执法岗位); a unit that fails is criticized in a
//! notice (通报批评). The case a FAILING flag raises is decided by the
//! article as it is raised: nobody chooses whether there is a consequence
//! or which. Its subject may contest it while it is DECIDED (a wrong score
//! is a ground); left uncontested past the state's time limit, the sweep
//! executes it, with its effects and notice like any execution.
use chrono::Utc;
use probity_common::{AppResult, auth::Principal, store::Write};
use probity_proto::accountability::v1::CaseState as Pb;

use super::{Action, steps};
use crate::{
    Accountability, deadline,
    store::{
        self, CaseRow,
        cases::Listing,
        events::{self, Event},
        rows::{
            CaseRecord, CaseState, Decision, OriginKind, Sanction, SanctionKind, SanctionTarget,
            SubjectKind, to_json,
        },
    },
};

/// Who decided, as the case's record says.
pub const BY: &str = "第六条 Art. 6";
const DECIDED: &str =
    "考核不合格 failed the sealed year's assessment: Art. 6 prescribes the consequence";
const EXECUTED: &str =
    "未申诉、期满执行 not contested within the time limit: executed as Art. 6 prescribes";

/// Whether `case` is one a FAILING flag raised (origin a ranking flag, on
/// the Art. 6 ground).
pub fn applies(case: &CaseRecord) -> bool {
    case.origin.kind == OriginKind::RankingFlag && case.grounds.iter().any(|g| g.code == "ART06")
}

/// The decision Art. 6 prescribes for a subject of `kind`.
pub fn prescribed(kind: SubjectKind) -> Decision {
    let (severity, sanction) = match kind {
        // Art. 21(4) is the grade that carries 调离行政执法岗位.
        SubjectKind::Officer => (4, SanctionKind::TransferOut),
        _ => (2, SanctionKind::PublicCriticism),
    };
    Decision {
        severity,
        sanctions: vec![Sanction {
            kind: sanction,
            target: SanctionTarget::Subject,
            ..Default::default()
        }],
        reasoning: "对考核不合格的行政执法单位给予通报批评，对考核不合格的行政执法人员调离执法岗位（第六条）".into(),
        decided_by: BY.into(),
        time: Some(Utc::now()),
        ..Default::default()
    }
}

/// Records the prescribed decision on the case a FAILING flag just raised,
/// in the same write: OPENED -> DECIDED, with its event.
pub async fn decide(
    w: &mut Write<'_>,
    principal: &Principal,
    method: &str,
    row: &mut CaseRow,
) -> AppResult<()> {
    let now = Utc::now();
    let before = row.case.state;
    row.case.decision = Some(prescribed(row.case.subject.kind));
    row.case.state = CaseState::Decided;
    row.case.state_time = Some(now);
    row.state_us = now.timestamp_micros();
    row.case.version += 1;
    store::cases::save(w.txn(), row).await?;
    events::append(
        w,
        principal,
        method,
        Event {
            entity: &row.name(),
            action: "DECIDE",
            from: before.code(),
            to: CaseState::Decided.code(),
            reason: DECIDED,
            record: to_json(&row.case),
        },
    )
    .await?;
    Ok(())
}

/// Executes every Art. 6 decision left uncontested past the DECIDED limit
/// (every replica sweeps; the state, checked under the chain lock, makes
/// it once). Returns how many.
pub async fn sweep(acc: &Accountability) -> AppResult<usize> {
    let now = Utc::now().timestamp_micros();
    let Some(limit) = deadline::limit_us(&acc.settings, Pb::Decided) else {
        return Ok(0);
    };
    let listing = Listing {
        state: Some(CaseState::Decided.code()),
        origin: Some(OriginKind::RankingFlag.code()),
        ..Default::default()
    };
    let due = store::cases::ids_where(&acc.store.db, listing, |r| is_due(r, now, limit)).await?;
    let principal = Principal::system("probity-accountability");
    let mut executed = 0;
    for id in due {
        let mut w = acc.store.write(&principal, "art6", "", &()).await?;
        let Some(row) = store::cases::load(w.txn(), &id).await? else {
            continue;
        };
        if !is_due(&row, now, limit) {
            continue;
        }
        let step = (Action::Execute, EXECUTED);
        super::apply(acc, &mut w, &principal, "art6", row, step, steps::execute).await?;
        w.commit(()).await?;
        executed += 1;
    }
    if executed > 0 {
        acc.wake.notify_one();
        acc.notices_wake.notify_one();
    }
    Ok(executed)
}

fn is_due(row: &CaseRow, now: i64, limit: i64) -> bool {
    row.case.state == CaseState::Decided
        && applies(&row.case)
        && row
            .case
            .decision
            .as_ref()
            .is_some_and(|d| d.decided_by == BY)
        && row.state_us + limit <= now
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::rows::{Ground, Origin};

    #[test]
    fn only_an_uncontested_prescribed_decision_past_its_limit_is_due() {
        let mut row = CaseRow {
            id: "c".into(),
            body_path: "/g/".into(),
            state_us: 0,
            case: CaseRecord {
                grounds: vec![Ground {
                    code: "ART06".into(),
                    ..Default::default()
                }],
                origin: Origin {
                    kind: OriginKind::RankingFlag,
                    ..Default::default()
                },
                state: CaseState::Decided,
                decision: Some(prescribed(SubjectKind::Body)),
                ..Default::default()
            },
        };
        assert!(is_due(&row, 10, 10));
        assert!(!is_due(&row, 9, 10), "not before its limit");
        row.case.state = CaseState::Contested;
        assert!(!is_due(&row, 10, 10), "a contest stops it");
        row.case.state = CaseState::Decided;
        row.case.decision.as_mut().unwrap().decided_by = "the government".into();
        assert!(
            !is_due(&row, 10, 10),
            "a decision someone made is theirs to execute"
        );
    }
}
