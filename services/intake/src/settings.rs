//! Intake's settings section, `[intake]`: where the registry is and how
//! many facts one commit takes.
use probity_common::{
    config::{ConfigError, bad},
    section::{Section, peer_endpoint, positive},
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IntakeSettings {
    pub registry_endpoint: String,
    pub registry_token_file: String,
    pub registry_timeout_ms: u64,
    pub registry_cache_ttl_ms: u64,
    pub batch_max_facts: usize,
    /// How often open matters are swept for INACTION_OVERDUE.
    pub inaction_sweep_interval_ms: u64,
    /// An open matter is YELLOW in the last this many days of its limit.
    pub inaction_warn_days: u32,
}

impl Default for IntakeSettings {
    fn default() -> Self {
        Self {
            registry_endpoint: String::new(),
            registry_token_file: String::new(),
            registry_timeout_ms: 5_000,
            registry_cache_ttl_ms: 5_000,
            batch_max_facts: 4_000,
            inaction_sweep_interval_ms: 60_000,
            inaction_warn_days: 3,
        }
    }
}

impl Section for IntakeSettings {
    const NAME: &'static str = "intake";

    fn validate(&self) -> Result<(), ConfigError> {
        peer_endpoint("intake.registry_endpoint", &self.registry_endpoint)?;
        positive("intake.registry_timeout_ms", self.registry_timeout_ms)?;
        positive(
            "intake.inaction_sweep_interval_ms",
            self.inaction_sweep_interval_ms,
        )?;
        if !(1..=10_000).contains(&self.batch_max_facts) {
            return Err(bad("intake.batch_max_facts", "must be between 1 and 10000"));
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
                "PROBITY__INTAKE__REGISTRY_ENDPOINT",
                "https://registry:50051",
                "intake.registry_endpoint",
            ),
            (
                "PROBITY__INTAKE__REGISTRY_TIMEOUT_MS",
                "0",
                "intake.registry_timeout_ms",
            ),
            (
                "PROBITY__INTAKE__BATCH_MAX_FACTS",
                "0",
                "intake.batch_max_facts",
            ),
        ] {
            assert_eq!(
                refused_key::<IntakeSettings>(var, value).as_deref(),
                Some(key),
                "{var}={value}"
            );
        }
    }
}
