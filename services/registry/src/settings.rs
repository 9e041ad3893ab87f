//! The registry's settings section, `[registry]`.
use probity_common::{
    config::{ConfigError, Settings, bad},
    keys::KeyFile,
    section::Section,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegistrySettings {
    pub national_id_key_file: String,
    pub default_min_qualified: u32,
    pub snapshot_max_staleness_ms: u64,
    /// How far before now a department may date a change (humantime, e.g.
    /// "7d"); earlier is the legal-affairs office's, with a reason.
    pub backdate_grace: String,
}

impl Default for RegistrySettings {
    fn default() -> Self {
        Self {
            national_id_key_file: String::new(),
            default_min_qualified: 2,
            snapshot_max_staleness_ms: 250,
            backdate_grace: "7d".into(),
        }
    }
}

impl Section for RegistrySettings {
    const NAME: &'static str = "registry";

    fn validate(&self) -> Result<(), ConfigError> {
        match humantime::parse_duration(&self.backdate_grace) {
            Err(e) => {
                return Err(bad(
                    "registry.backdate_grace",
                    format!("not a duration ({e})"),
                ));
            }
            // A grace of months would let departments rewrite the year.
            Ok(d) if d > std::time::Duration::from_secs(90 * 86_400) => {
                return Err(bad("registry.backdate_grace", "must be at most 90 days"));
            }
            Ok(_) => {}
        }
        if self.default_min_qualified == 0 {
            return Err(bad("registry.default_min_qualified", "must be at least 1"));
        }
        Ok(())
    }
}

impl RegistrySettings {
    /// `backdate_grace` in microseconds (validated at load).
    pub fn backdate_grace_us(&self) -> i64 {
        humantime::parse_duration(&self.backdate_grace)
            .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
    }

    pub fn national_id_key(&self, settings: &Settings) -> KeyFile {
        KeyFile::resolve(
            &self.national_id_key_file,
            &settings.data_dir(),
            "national-id-hmac.key",
            "registry.national_id_key_file",
        )
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
                "PROBITY__REGISTRY__DEFAULT_MIN_QUALIFIED",
                "0",
                "registry.default_min_qualified",
            ),
            (
                "PROBITY__REGISTRY__BACKDATE_GRACE",
                "soon",
                "registry.backdate_grace",
            ),
            (
                "PROBITY__REGISTRY__BACKDATE_GRACE",
                "100d",
                "registry.backdate_grace",
            ),
        ] {
            assert_eq!(
                refused_key::<RegistrySettings>(var, value).as_deref(),
                Some(key),
                "{var}={value}"
            );
        }
    }
}
