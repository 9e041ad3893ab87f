//! Art. 22 referrals (移送, 处分建议): the legal-affairs office proposes
//! disciplinary action to the personnel department or the supervisory
//! commission, or transfers the facts to them, and they "shall handle it".
//! A referral is made by executing a decision with a REFERRAL sanction, in
//! the execution's transaction, so none is forgotten; the office records
//! the organ's receipt and answer; one not answered in
//! `accountability.referral_answer_hours` turns OVERDUE by the sweep.
use chrono::{DateTime, Duration, Utc};
use probity_common::{AppResult, auth::Principal, store::Write};
use probity_proto::accountability::v1::DeadlineStatus;

use crate::{
    Accountability,
    settings::AccountabilitySettings,
    store::{
        self, CaseRow, ReferralRow,
        events::{self, Event},
        rows::{ReferralRecord, ReferralState, SanctionKind, to_json},
    },
};

const SENT: &str = "移送 referred under Art. 22 with the executed decision";
const OVERDUE: &str = "逾期未答复 not answered by its due time (Art. 22: 应当依法处理)";

/// Appends a referral's event (its history and audit entry).
pub async fn event(
    w: &mut Write<'_>,
    (principal, method): (&Principal, &str),
    row: &ReferralRow,
    (action, before, reason): (&str, ReferralState, &str),
) -> AppResult<()> {
    events::append(
        w,
        principal,
        method,
        Event {
            entity: &row.name(),
            action,
            from: before.code(),
            to: row.referral.state.code(),
            reason,
            record: to_json(&row.referral),
        },
    )
    .await?;
    Ok(())
}

/// Makes the referrals of the executed case in `case` (one per REFERRAL
/// sanction), in `w`.
pub async fn on_execute(
    acc: &Accountability,
    w: &mut Write<'_>,
    who: (&Principal, &str),
    case: &CaseRow,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let hours = acc.settings.referral_answer_hours as i64;
    let sanctions = case.case.decision.iter().flat_map(|d| &d.sanctions);
    let mut made = 0;
    for s in sanctions.filter(|s| s.kind == SanctionKind::Referral) {
        let subject = &case.case.subject;
        let row = ReferralRow {
            id: probity_common::names::new_id(),
            body_path: case.body_path.clone(),
            referral: ReferralRecord {
                case: case.name(),
                to: s.referral_to,
                subject: subject.name.clone(),
                subject_display_name: subject.display_name.clone(),
                body: subject.body.clone(),
                state: ReferralState::Sent,
                note: s.note.clone(),
                send_time: Some(now),
                due_time: Some(now + Duration::hours(hours)),
                ..Default::default()
            },
        };
        store::referrals::insert(w.txn(), &row, now.timestamp_micros()).await?;
        event(w, who, &row, ("SEND", ReferralState::Unspecified, SENT)).await?;
        made += 1;
    }
    Ok(made)
}

/// Marks unanswered referrals past their due time OVERDUE (every replica
/// sweeps; the state, checked under the chain lock, makes it once).
pub async fn sweep(acc: &Accountability) -> AppResult<usize> {
    let now = Utc::now();
    let principal = Principal::system("probity-accountability");
    let mut marked = 0;
    for id in store::referrals::overdue_ids(&acc.store.db, now.timestamp_micros()).await? {
        let mut w = acc.store.write(&principal, "sweep", "", &()).await?;
        let Some(mut row) = store::referrals::load(w.txn(), &id).await? else {
            continue;
        };
        let before = row.referral.state;
        let due = row.referral.due_time.is_some_and(|d| d <= now);
        if !matches!(before, ReferralState::Sent | ReferralState::Received) || !due {
            continue;
        }
        row.referral.state = ReferralState::Overdue;
        row.referral.overdue_time = Some(now);
        store::referrals::save(w.txn(), &row).await?;
        event(
            &mut w,
            (&principal, "sweep"),
            &row,
            ("OVERDUE", before, OVERDUE),
        )
        .await?;
        w.commit(()).await?;
        marked += 1;
    }
    Ok(marked)
}

/// GREEN, YELLOW within `warn_hours` of the due time, RED past it; none
/// once answered.
pub fn light(s: &AccountabilitySettings, r: &ReferralRecord, now: DateTime<Utc>) -> DeadlineStatus {
    let Some(due) = r.due_time else {
        return DeadlineStatus::Unspecified;
    };
    match r.state {
        ReferralState::Answered | ReferralState::Unspecified => DeadlineStatus::Unspecified,
        _ if now >= due => DeadlineStatus::Red,
        _ if now + Duration::hours(s.warn_hours as i64) >= due => DeadlineStatus::Yellow,
        _ => DeadlineStatus::Green,
    }
}
