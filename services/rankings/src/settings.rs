//! The `[rankings]` section, the service's and the nightly job's: where the
//! job reads facts and the registry, sends flags and commendations and writes
//! its files; where the service asks the registry whether a body is
//! vertically managed (Art. 4). The job re-exports it.
use probity_common::{
    config::ConfigError,
    section::{Section, peer_endpoint, positive},
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RankingsSettings {
    /// Empty: the server.listen address (a `probity serve` on this machine).
    /// The service asks it too (superior assessments).
    pub registry_endpoint: String,
    pub intake_endpoint: String,
    pub accountability_endpoint: String,
    /// Where runs are recorded (the rankings service).
    pub rankings_endpoint: String,
    /// Where the job reads the year's draw plans (the draws service), to
    /// hold each unit's drawn share to its plan (Art. 19(7)).
    pub draws_endpoint: String,
    /// A file holding a `service` token; empty: signed with the dev key.
    pub token_file: String,
    pub timeout_ms: u64,
    /// Runs are written under this directory, one folder per run: a cache,
    /// the reports are uploaded to the rankings service.
    pub out_dir: String,
    /// The nightly run (no --year) seals the last year on its first night
    /// after this many days of January; until then it recomputes the last
    /// year whole each night (facts of late December still arrive) beside
    /// the current one. 0: seal on 1 January.
    pub seal_after_days: u32,
    /// The city's today as the service sees it when it bounds a run's
    /// `as_of` and finalize; `None`: the clock's. Set in code by tests
    /// only: it is not a configuration key, so no file or variable moves
    /// the service's calendar.
    #[serde(skip)]
    pub today: Option<chrono::NaiveDate>,
}

impl Default for RankingsSettings {
    fn default() -> Self {
        Self {
            registry_endpoint: String::new(),
            intake_endpoint: String::new(),
            accountability_endpoint: String::new(),
            rankings_endpoint: String::new(),
            draws_endpoint: String::new(),
            token_file: String::new(),
            timeout_ms: 60_000,
            out_dir: "./data/rankings".into(),
            seal_after_days: 15,
            today: None,
        }
    }
}

impl Section for RankingsSettings {
    const NAME: &'static str = "rankings";

    fn validate(&self) -> Result<(), ConfigError> {
        for (key, ep) in [
            ("rankings.registry_endpoint", &self.registry_endpoint),
            ("rankings.intake_endpoint", &self.intake_endpoint),
            (
                "rankings.accountability_endpoint",
                &self.accountability_endpoint,
            ),
            ("rankings.rankings_endpoint", &self.rankings_endpoint),
            ("rankings.draws_endpoint", &self.draws_endpoint),
        ] {
            peer_endpoint(key, ep)?;
        }
        positive("rankings.timeout_ms", self.timeout_ms)?;
        if self.seal_after_days > 60 {
            return Err(probity_common::config::bad(
                "rankings.seal_after_days",
                "at most 60: the last year is sealed in the first two months",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use probity_common::section::refused_key;

    use super::*;

    #[test]
    fn errors_name_the_key() {
        for (var, value, key) in [
            (
                "PROBITY__RANKINGS__RANKINGS_ENDPOINT",
                "rankings:50051",
                "rankings.rankings_endpoint",
            ),
            ("PROBITY__RANKINGS__TIMEOUT_MS", "0", "rankings.timeout_ms"),
            (
                "PROBITY__RANKINGS__SEAL_AFTER_DAYS",
                "61",
                "rankings.seal_after_days",
            ),
        ] {
            assert_eq!(
                refused_key::<RankingsSettings>(var, value).as_deref(),
                Some(key),
                "{var}={value}"
            );
        }
    }
}
