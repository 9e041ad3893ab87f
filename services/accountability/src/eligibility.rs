//! Whether a subject may still be commended for a year (Art. 6): not when
//! a decision in force (executed or closed), made in that year (city
//! time), took its award eligibility away (取消年度评选先进资格, Art. 19, 20).
use probity_common::AppResult;
use probity_rules::city::year_start_us;
use sea_orm::ConnectionTrait;

use crate::store::{
    self,
    rows::{CaseState, SanctionKind},
};

/// The case, if any, that took `subject`'s award eligibility for `year`.
pub async fn lost_by(
    db: &impl ConnectionTrait,
    subject: &str,
    year: i32,
) -> AppResult<Option<String>> {
    let executed = [CaseState::Executed, CaseState::Closed];
    let cases = store::cases::of_subject(db, subject, &executed).await?;
    let (from, until) = (year_start_us(year), year_start_us(year + 1));
    for row in cases {
        let Some(d) = &row.case.decision else {
            continue;
        };
        let at = d.time.map(|t| t.timestamp_micros()).unwrap_or(0);
        let lost = d
            .sanctions
            .iter()
            .any(|s| s.kind == SanctionKind::LossOfAwardEligibility && !s.target.is_leader());
        if lost && (from..until).contains(&at) {
            return Ok(Some(row.name()));
        }
    }
    Ok(None)
}
