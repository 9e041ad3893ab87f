//! The `[draws]` section: where the registry is (the inspector pool is
//! computed from it at draw time) and the bounds of what a unit uploads.
use probity_common::{
    config::ConfigError,
    section::{Section, peer_endpoint, positive},
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DrawsSettings {
    /// Empty: the server.listen address (a `probity serve` on this machine).
    pub registry_endpoint: String,
    /// A file holding a `service` token; empty: signed with the dev key.
    pub token_file: String,
    pub timeout_ms: u64,
    /// The most targets one target list holds.
    pub max_targets: u64,
    /// The most conflicts of interest one draw declares with its commitment:
    /// a unit must not bar half its pool from a target it wants spared.
    pub max_conflicts: u64,
    /// The longest window a draw's inspections may take, in days.
    pub max_window_days: u64,
}

impl Default for DrawsSettings {
    fn default() -> Self {
        Self {
            registry_endpoint: String::new(),
            token_file: String::new(),
            timeout_ms: 30_000,
            max_targets: 100_000,
            max_conflicts: 20,
            max_window_days: 366,
        }
    }
}

impl Section for DrawsSettings {
    const NAME: &'static str = "draws";

    fn validate(&self) -> Result<(), ConfigError> {
        peer_endpoint("draws.registry_endpoint", &self.registry_endpoint)?;
        positive("draws.timeout_ms", self.timeout_ms)?;
        positive("draws.max_targets", self.max_targets)?;
        positive("draws.max_window_days", self.max_window_days)
    }
}

#[cfg(test)]
mod tests {
    use probity_common::section::refused_key;

    use super::*;

    #[test]
    fn errors_name_the_key() {
        for (var, value, key) in [
            ("PROBITY__DRAWS__TIMEOUT_MS", "0", "draws.timeout_ms"),
            ("PROBITY__DRAWS__MAX_TARGETS", "0", "draws.max_targets"),
            (
                "PROBITY__DRAWS__REGISTRY_ENDPOINT",
                "registry:50051",
                "draws.registry_endpoint",
            ),
        ] {
            assert_eq!(
                refused_key::<DrawsSettings>(var, value).as_deref(),
                Some(key),
                "{var}={value}"
            );
        }
    }
}
