//! Accountability's settings section, `[accountability]`: its peers, the
//! time limit of each case state, and how often overdue orders and pending
//! effects are looked at.
use probity_common::{
    config::{ConfigError, bad},
    section::{Section, peer_endpoint, positive},
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccountabilitySettings {
    pub registry_endpoint: String,
    pub intake_endpoint: String,
    /// One `service` token for both peers.
    pub token_file: String,
    pub peer_timeout_ms: u64,
    pub limits: CaseLimits,
    /// A case is YELLOW this many hours before its state's limit.
    pub warn_hours: u64,
    /// How often overdue correction orders are looked for.
    pub sweep_interval_ms: u64,
    /// How often intake's findings in force are swept for subjects whose
    /// findings of one rule reach the rule's threshold (a case each).
    pub finding_sweep_interval_ms: u64,
    /// The findings sweep counts findings that occurred this many days back.
    pub finding_window_days: u64,
    /// First and longest wait between attempts at an effect.
    pub effect_retry_min_ms: u64,
    pub effect_retry_max_ms: u64,
    /// Hours the personnel department or the supervisory commission has to
    /// answer an Art. 22 referral before it is OVERDUE.
    pub referral_answer_hours: u64,
    pub notices: NoticeSettings,
}

/// How notices (通报) are issued and printed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NoticeSettings {
    /// The issuer of commendations and of criticism decided for the
    /// government (Art. 6, 19).
    pub government_name: String,
    /// The number's prefix: {prefix}〔{year}〕{n}号.
    pub number_prefix: String,
    /// A CJK OpenType font (file or collection) for the PDF; empty: the
    /// Noto CJK fonts where Debian's fonts-noto-cjk puts them.
    pub font: String,
}

impl Default for NoticeSettings {
    fn default() -> Self {
        Self {
            government_name: "尚志市人民政府".into(),
            number_prefix: "尚政通".into(),
            font: String::new(),
        }
    }
}

/// Hours a case may stay in each state before it is RED.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CaseLimits {
    pub opened_hours: u64,
    pub investigating_hours: u64,
    pub proposed_hours: u64,
    pub decided_hours: u64,
    pub contested_hours: u64,
    pub executed_hours: u64,
}

impl Default for CaseLimits {
    fn default() -> Self {
        Self {
            opened_hours: 7 * 24,
            investigating_hours: 30 * 24,
            proposed_hours: 15 * 24,
            decided_hours: 10 * 24,
            contested_hours: 15 * 24,
            executed_hours: 30 * 24,
        }
    }
}

impl Default for AccountabilitySettings {
    fn default() -> Self {
        Self {
            registry_endpoint: String::new(),
            intake_endpoint: String::new(),
            token_file: String::new(),
            peer_timeout_ms: 5_000,
            limits: CaseLimits::default(),
            warn_hours: 72,
            sweep_interval_ms: 60_000,
            finding_sweep_interval_ms: 900_000,
            finding_window_days: 365,
            effect_retry_min_ms: 1_000,
            effect_retry_max_ms: 300_000,
            referral_answer_hours: 60 * 24,
            notices: NoticeSettings::default(),
        }
    }
}

impl Section for AccountabilitySettings {
    const NAME: &'static str = "accountability";

    fn validate(&self) -> Result<(), ConfigError> {
        peer_endpoint("accountability.registry_endpoint", &self.registry_endpoint)?;
        peer_endpoint("accountability.intake_endpoint", &self.intake_endpoint)?;
        for (key, v) in [
            ("accountability.peer_timeout_ms", self.peer_timeout_ms),
            ("accountability.sweep_interval_ms", self.sweep_interval_ms),
            (
                "accountability.finding_sweep_interval_ms",
                self.finding_sweep_interval_ms,
            ),
            (
                "accountability.finding_window_days",
                self.finding_window_days,
            ),
            (
                "accountability.effect_retry_min_ms",
                self.effect_retry_min_ms,
            ),
        ] {
            positive(key, v)?;
        }
        if self.notices.government_name.trim().is_empty() {
            return Err(bad(
                "accountability.notices.government_name",
                "must name the government that issues notices",
            ));
        }
        if !self.notices.font.is_empty() && !std::path::Path::new(&self.notices.font).is_file() {
            return Err(bad(
                "accountability.notices.font",
                "must be a font file that exists",
            ));
        }
        if self.effect_retry_max_ms < self.effect_retry_min_ms {
            return Err(bad(
                "accountability.effect_retry_max_ms",
                "must be at least accountability.effect_retry_min_ms",
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
                "PROBITY__ACCOUNTABILITY__INTAKE_ENDPOINT",
                "intake:50051",
                "accountability.intake_endpoint",
            ),
            (
                "PROBITY__ACCOUNTABILITY__SWEEP_INTERVAL_MS",
                "0",
                "accountability.sweep_interval_ms",
            ),
            (
                "PROBITY__ACCOUNTABILITY__EFFECT_RETRY_MAX_MS",
                "10",
                "accountability.effect_retry_max_ms",
            ),
            (
                "PROBITY__ACCOUNTABILITY__LIMITS__OPENED_HOURS",
                "soon",
                "accountability.limits.opened_hours",
            ),
        ] {
            assert_eq!(
                refused_key::<AccountabilitySettings>(var, value).as_deref(),
                Some(key),
                "{var}={value}"
            );
        }
    }
}
