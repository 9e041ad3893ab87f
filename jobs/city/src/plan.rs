//! What city to build: the plan (seed, scale, year) and the city's calendar.
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use probity_rules::city::city;
use serde::{Deserialize, Serialize};

use crate::catalog::{DEPARTMENTS, TOWNS};

/// The fewest departments that hold every planted pattern apart: seven
/// department-level patterns and a host for the officer-level ones.
pub const MIN_DEPARTMENTS: usize = 8;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CityPlan {
    /// Everything random is drawn from this seed: the same plan is the same
    /// city (names, registry, facts in the same order, ground truth).
    pub seed: u64,
    /// About how many facts the year has (±5%).
    pub facts: u64,
    /// Enforcement bodies below the government: departments, the
    /// legal-affairs office, the vertically managed bureau, the entrusted
    /// brigade (8 to 34).
    pub departments: usize,
    /// Town governments (乡镇人民政府), 0 to 16.
    pub towns: usize,
    /// Officers and auxiliaries, all bodies together (about).
    pub officers: usize,
    /// The assessment year; it must have ended in the city (facts are never
    /// in the future).
    pub year: i32,
    /// Bodies whose facts are sent at once (one SubmitFacts stream each);
    /// does not change the city.
    pub streams: usize,
}

impl Default for CityPlan {
    fn default() -> Self {
        CityPlan {
            seed: 2018,
            facts: 300_000,
            departments: 30,
            towns: 8,
            officers: 1_000,
            year: last_full_year(),
            streams: 4,
        }
    }
}

/// The last calendar year that has ended in the city.
pub fn last_full_year() -> i32 {
    Utc::now().with_timezone(&city()).year() - 1
}

impl CityPlan {
    /// The officers the plan needs at least: every department five (four
    /// officers and an auxiliary), every town four, and the twins' share.
    pub fn min_officers(&self) -> usize {
        self.departments * 5 + self.towns * 4 + 20
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        let max = DEPARTMENTS.len();
        anyhow::ensure!(
            (MIN_DEPARTMENTS..=max).contains(&self.departments),
            "departments: {MIN_DEPARTMENTS} to {max} (the patterns need {MIN_DEPARTMENTS}; the catalogue has {max})"
        );
        anyhow::ensure!(self.towns <= TOWNS.len(), "towns: 0 to {}", TOWNS.len());
        anyhow::ensure!(
            self.officers >= self.min_officers(),
            "officers: at least {} for {} departments and {} towns",
            self.min_officers(),
            self.departments,
            self.towns
        );
        anyhow::ensure!(
            self.facts >= 20 * self.officers as u64,
            "facts: at least 20 per officer ({})",
            20 * self.officers
        );
        anyhow::ensure!((2001..=2100).contains(&self.year), "year: 2001 to 2100");
        anyhow::ensure!(
            self.year <= last_full_year(),
            "year: {} has not ended in the city yet (facts are never in the future)",
            self.year
        );
        anyhow::ensure!(self.streams >= 1, "streams: at least 1");
        Ok(())
    }
}

/// An instant of the city's wall clock.
pub fn at(y: i32, m: u32, d: u32, hour: u32, min: u32, sec: u32) -> DateTime<Utc> {
    city()
        .with_ymd_and_hms(y, m, d, hour, min, sec)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// Midnight starting `date` in the city.
pub fn day_start(date: NaiveDate) -> DateTime<Utc> {
    at(date.year(), date.month(), date.day(), 0, 0, 0)
}

pub fn ts(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_plan_is_valid() {
        CityPlan::default().validate().unwrap();
        let small = CityPlan {
            departments: 8,
            towns: 2,
            officers: 90,
            facts: 4_000,
            ..CityPlan::default()
        };
        small.validate().unwrap();
        let this_year = CityPlan {
            year: last_full_year() + 1,
            ..CityPlan::default()
        };
        assert!(this_year.validate().is_err());
        assert_eq!(
            at(2025, 1, 1, 0, 0, 0).to_rfc3339(),
            "2024-12-31T16:00:00+00:00"
        );
    }
}
