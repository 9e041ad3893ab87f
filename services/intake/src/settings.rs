//! Intake's settings section, `[intake]`: where the registry and the draws
//! service are, how many
//! facts one commit takes and what a SubmitFacts stream may hold.
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
    /// Where intake reads the draws an inspection cites (docs/draws.md).
    pub draws_endpoint: String,
    pub draws_token_file: String,
    pub draws_timeout_ms: u64,
    pub batch_max_facts: usize,
    /// How often open matters are swept for INACTION_OVERDUE.
    pub inaction_sweep_interval_ms: u64,
    /// An open matter is YELLOW in the last this many days of its limit.
    pub inaction_warn_days: u32,
    /// Bytes of records one SubmitFacts stream reads ahead of its checks.
    pub stream_buffer_bytes: usize,
    /// A stream whose client takes no ack for this long is ended
    /// (STREAM_STALLED), and what it held is freed.
    pub stream_ack_timeout_ms: u64,
    /// SubmitFacts streams one caller (a department: all its tokens) has
    /// open at once.
    pub max_streams_per_caller: usize,
}

impl Default for IntakeSettings {
    fn default() -> Self {
        Self {
            registry_endpoint: String::new(),
            registry_token_file: String::new(),
            registry_timeout_ms: 5_000,
            registry_cache_ttl_ms: 5_000,
            draws_endpoint: String::new(),
            draws_token_file: String::new(),
            draws_timeout_ms: 5_000,
            batch_max_facts: 4_000,
            inaction_sweep_interval_ms: 60_000,
            inaction_warn_days: 3,
            stream_buffer_bytes: 8 << 20,
            stream_ack_timeout_ms: 30_000,
            max_streams_per_caller: 4,
        }
    }
}

impl Section for IntakeSettings {
    const NAME: &'static str = "intake";

    fn validate(&self) -> Result<(), ConfigError> {
        peer_endpoint("intake.registry_endpoint", &self.registry_endpoint)?;
        positive("intake.registry_timeout_ms", self.registry_timeout_ms)?;
        peer_endpoint("intake.draws_endpoint", &self.draws_endpoint)?;
        positive("intake.draws_timeout_ms", self.draws_timeout_ms)?;
        positive(
            "intake.inaction_sweep_interval_ms",
            self.inaction_sweep_interval_ms,
        )?;
        if !(1 << 16..=1 << 30).contains(&self.stream_buffer_bytes) {
            return Err(bad(
                "intake.stream_buffer_bytes",
                "must be between 65536 and 1073741824",
            ));
        }
        positive("intake.stream_ack_timeout_ms", self.stream_ack_timeout_ms)?;
        positive(
            "intake.max_streams_per_caller",
            self.max_streams_per_caller as u64,
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
                "PROBITY__INTAKE__DRAWS_ENDPOINT",
                "https://draws:50051",
                "intake.draws_endpoint",
            ),
            (
                "PROBITY__INTAKE__DRAWS_TIMEOUT_MS",
                "0",
                "intake.draws_timeout_ms",
            ),
            (
                "PROBITY__INTAKE__BATCH_MAX_FACTS",
                "0",
                "intake.batch_max_facts",
            ),
            (
                "PROBITY__INTAKE__STREAM_BUFFER_BYTES",
                "100",
                "intake.stream_buffer_bytes",
            ),
            (
                "PROBITY__INTAKE__STREAM_ACK_TIMEOUT_MS",
                "0",
                "intake.stream_ack_timeout_ms",
            ),
            (
                "PROBITY__INTAKE__MAX_STREAMS_PER_CALLER",
                "0",
                "intake.max_streams_per_caller",
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
