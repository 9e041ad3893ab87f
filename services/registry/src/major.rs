//! The catalogue of major decisions (重大执法决定法制审核目录) as data: which
//! version of a power's criteria is in force at an instant, and the rows in
//! their proto form. Intake applies the criteria to a decision; the registry
//! only keeps them and answers with the ones in force.
use probity_proto::registry::v1::{MajorDecisionCriteria, MajorDecisionCriteriaVersion};

use crate::store::entities::major_criteria;

/// The version in force at `t_us` among `rows` (in version order, whose
/// effective times never go back); `None` before the first.
pub fn criteria_at(rows: &[major_criteria::Model], t_us: i64) -> Option<&major_criteria::Model> {
    rows.iter().take_while(|r| r.effective_us <= t_us).last()
}

pub fn criteria(m: &major_criteria::Model) -> MajorDecisionCriteria {
    MajorDecisionCriteria {
        always: m.always,
        fine_at_least_fen: m.fine_at_least_fen,
        measures: serde_json::from_str(&m.measures).unwrap_or_default(),
    }
}

pub fn version(m: &major_criteria::Model, power: String) -> MajorDecisionCriteriaVersion {
    MajorDecisionCriteriaVersion {
        power,
        version: m.version,
        criteria: Some(criteria(m)),
        reason: m.reason.clone(),
        effective_time: probity_common::names::us_ts(m.effective_us),
        record_time: probity_common::names::us_ts(m.recorded_us),
        actor: m.actor.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(version: i32, effective_us: i64, fine: i64) -> major_criteria::Model {
        major_criteria::Model {
            power_id: "p".into(),
            version,
            always: false,
            fine_at_least_fen: fine,
            measures: "[]".into(),
            reason: "r".into(),
            actor: "a".into(),
            effective_us,
            recorded_us: effective_us,
        }
    }

    #[test]
    fn the_version_in_force_is_the_last_one_that_took_effect() {
        let rows = [row(1, 10, 100), row(2, 20, 200), row(3, 20, 300)];
        assert_eq!(criteria_at(&rows, 9), None);
        assert_eq!(criteria_at(&rows, 10).map(|r| r.version), Some(1));
        assert_eq!(criteria_at(&rows, 19).map(|r| r.version), Some(1));
        // two versions at one instant: the later recorded one holds
        assert_eq!(criteria_at(&rows, 20).map(|r| r.version), Some(3));
    }
}
