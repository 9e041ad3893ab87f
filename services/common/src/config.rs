//! Settings: built-in defaults, then an optional TOML file, then environment
//! variables `PROBITY__SECTION__KEY`. Invalid settings stop startup with the
//! key and what was wrong.
use std::{net::SocketAddr, path::PathBuf};

use serde::{Deserialize, Serialize};

use crate::keys::KeyFile;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub telemetry: TelemetrySettings,
    pub auth: AuthSettings,
    pub registry: RegistrySettings,
    pub intake: IntakeSettings,
    pub accountability: AccountabilitySettings,
    pub rankings: RankingsSettings,
    pub audit: AuditSettings,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    pub listen: String,
    pub max_request_bytes: usize,
    pub request_timeout_ms: u64,
    pub shutdown_grace_ms: u64,
    pub tls: TlsSettings,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsSettings {
    pub cert_file: String,
    pub key_file: String,
    pub client_ca_file: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    pub data_dir: String,
    pub url: String,
    pub url_file: String,
    pub registry_url: String,
    pub intake_url: String,
    pub accountability_url: String,
    pub rankings_url: String,
    pub migrate_url: String,
    pub max_connections: u32,
    pub run_migrations: bool,
    pub sqlite_busy_timeout_ms: u64,
    pub sqlite_cache_mib: u64,
    pub request_id_retention_hours: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetrySettings {
    pub format: String,
    pub level: String,
    pub otlp_endpoint: String,
    pub service_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSettings {
    pub issuer: String,
    pub audience: String,
    pub dev_keys: bool,
    pub signing_key_file: String,
    pub public_key_files: Vec<String>,
    pub allow_hs256: bool,
    pub hs256_secret: String,
}

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

impl RegistrySettings {
    /// `backdate_grace` in microseconds (validated at load).
    pub fn backdate_grace_us(&self) -> i64 {
        humantime::parse_duration(&self.backdate_grace)
            .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IntakeSettings {
    pub registry_endpoint: String,
    pub registry_token_file: String,
    pub registry_timeout_ms: u64,
    pub registry_cache_ttl_ms: u64,
    pub batch_max_facts: usize,
}

impl Default for IntakeSettings {
    fn default() -> Self {
        Self {
            registry_endpoint: String::new(),
            registry_token_file: String::new(),
            registry_timeout_ms: 5_000,
            registry_cache_ttl_ms: 5_000,
            batch_max_facts: 4_000,
        }
    }
}

/// Accountability: its peers, the time limit of each case state, and how
/// often overdue orders and pending effects are looked at.
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
        }
    }
}

/// The rankings job: where it reads facts and the registry, where it sends
/// flags and commendations, and where it writes its files.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RankingsSettings {
    /// Empty: the server.listen address (a `probity serve` on this machine).
    pub registry_endpoint: String,
    pub intake_endpoint: String,
    pub accountability_endpoint: String,
    /// Where runs are recorded (the rankings service).
    pub rankings_endpoint: String,
    /// A file holding a `service` token; empty: signed with the dev key.
    pub token_file: String,
    pub timeout_ms: u64,
    /// Runs are written under this directory, one folder per run.
    pub out_dir: String,
}

impl Default for RankingsSettings {
    fn default() -> Self {
        Self {
            registry_endpoint: String::new(),
            intake_endpoint: String::new(),
            accountability_endpoint: String::new(),
            rankings_endpoint: String::new(),
            token_file: String::new(),
            timeout_ms: 60_000,
            out_dir: "./data/rankings".into(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditSettings {
    pub key_file: String,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:50051".into(),
            max_request_bytes: 4 * 1024 * 1024,
            request_timeout_ms: 30_000,
            shutdown_grace_ms: 10_000,
            tls: TlsSettings::default(),
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            data_dir: "./data".into(),
            url: String::new(),
            url_file: String::new(),
            registry_url: String::new(),
            intake_url: String::new(),
            accountability_url: String::new(),
            rankings_url: String::new(),
            migrate_url: String::new(),
            max_connections: 16,
            run_migrations: true,
            sqlite_busy_timeout_ms: 5_000,
            sqlite_cache_mib: 64,
            request_id_retention_hours: 168,
        }
    }
}

impl Default for TelemetrySettings {
    fn default() -> Self {
        Self {
            format: "pretty".into(),
            level: "info".into(),
            otlp_endpoint: String::new(),
            service_name: "probity".into(),
        }
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            issuer: "probity".into(),
            audience: "probity".into(),
            dev_keys: true,
            signing_key_file: String::new(),
            public_key_files: Vec::new(),
            allow_hs256: false,
            hs256_secret: String::new(),
        }
    }
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

#[derive(Debug, thiserror::Error)]
#[error("configuration: {key}: {problem}")]
pub struct ConfigError {
    pub key: String,
    pub problem: String,
}

fn bad(key: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        key: key.into(),
        problem: problem.into(),
    }
}

impl Settings {
    /// Loads defaults, then `file` (if any), then `PROBITY__*` variables.
    pub fn load(file: Option<&std::path::Path>) -> Result<Self, ConfigError> {
        Self::load_from(file, std::env::vars())
    }

    /// As [`Settings::load`], with the environment given (for tests).
    pub fn load_from(
        file: Option<&std::path::Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let defaults = config::Config::try_from(&Settings::default())
            .map_err(|e| bad("(defaults)", e.to_string()))?;
        let mut b = config::Config::builder().add_source(defaults);
        if let Some(f) = file {
            if !f.exists() {
                return Err(bad(
                    "--config",
                    format!("file {} does not exist", f.display()),
                ));
            }
            b = b.add_source(config::File::from(f).format(config::FileFormat::Toml));
        }
        let vars: std::collections::HashMap<String, String> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with("PROBITY__"))
            .collect();
        b = b.add_source(
            config::Environment::with_prefix("PROBITY")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true)
                .list_separator(",")
                .with_list_parse_key("auth.public_key_files")
                .source(Some(vars)),
        );
        let c = b.build().map_err(|e| bad(&error_key(&e), e.to_string()))?;
        let s: Settings = c
            .try_deserialize()
            .map_err(|e| bad(&error_key(&e), e.to_string()))?;
        let mut s = s;
        if !s.database.url_file.is_empty() {
            if !s.database.url.is_empty() {
                return Err(bad(
                    "database.url_file",
                    "set database.url or database.url_file, not both",
                ));
            }
            let f = &s.database.url_file;
            s.database.url = std::fs::read_to_string(f)
                .map_err(|e| bad("database.url_file", format!("{f}: {e}")))?
                .trim()
                .to_string();
        }
        s.validate()?;
        Ok(s)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        self.server
            .listen
            .parse::<SocketAddr>()
            .map_err(|e| bad("server.listen", format!("not a socket address ({e})")))?;
        if self.server.max_request_bytes < 1024 {
            return Err(bad("server.max_request_bytes", "must be at least 1024"));
        }
        if self.server.request_timeout_ms == 0 {
            return Err(bad("server.request_timeout_ms", "must be positive"));
        }
        let tls = &self.server.tls;
        if tls.cert_file.is_empty() != tls.key_file.is_empty() {
            return Err(bad(
                "server.tls.key_file",
                "cert_file and key_file go together",
            ));
        }
        if !tls.client_ca_file.is_empty() && tls.cert_file.is_empty() {
            return Err(bad(
                "server.tls.client_ca_file",
                "mutual TLS needs server.tls.cert_file and key_file",
            ));
        }
        for (key, url) in [
            ("database.url", &self.database.url),
            ("database.registry_url", &self.database.registry_url),
            ("database.intake_url", &self.database.intake_url),
            (
                "database.accountability_url",
                &self.database.accountability_url,
            ),
            ("database.rankings_url", &self.database.rankings_url),
            ("database.migrate_url", &self.database.migrate_url),
        ] {
            if !(url.is_empty()
                || ["sqlite:", "postgres://", "postgresql://"]
                    .iter()
                    .any(|p| url.starts_with(p)))
            {
                return Err(bad(key, "must be a sqlite: or postgres:// URL"));
            }
        }
        if self.database.request_id_retention_hours == 0 {
            return Err(bad(
                "database.request_id_retention_hours",
                "must be at least 1",
            ));
        }
        if self.database.max_connections == 0 {
            return Err(bad("database.max_connections", "must be positive"));
        }
        if !matches!(self.telemetry.format.as_str(), "pretty" | "json") {
            return Err(bad("telemetry.format", "must be \"pretty\" or \"json\""));
        }
        tracing_subscriber::EnvFilter::try_new(&self.telemetry.level)
            .map_err(|e| bad("telemetry.level", format!("not a tracing filter ({e})")))?;
        let ep = &self.telemetry.otlp_endpoint;
        if !(ep.is_empty() || ep.starts_with("http://")) {
            // opentelemetry-otlp reads a scheme-less endpoint as https, which
            // silently fails against a plaintext collector; and this build's
            // exporter has no TLS (an https:// collector would stop every
            // process at start): reach a TLS collector through a local one.
            return Err(bad(
                "telemetry.otlp_endpoint",
                "must start with http:// (send to a collector beside the service; it may forward over TLS)",
            ));
        }
        let a = &self.auth;
        if a.allow_hs256 && a.hs256_secret.len() < 32 {
            return Err(bad(
                "auth.hs256_secret",
                "must be at least 32 bytes when auth.allow_hs256 is true",
            ));
        }
        if !a.allow_hs256 && !a.hs256_secret.is_empty() {
            return Err(bad(
                "auth.hs256_secret",
                "is set but auth.allow_hs256 is false",
            ));
        }
        // Peer calls have no TLS client in this build: an https:// peer
        // would fail on every call, so it is refused here.
        let peer = "must start with http:// (peer calls have no TLS client: reach peers inside the cluster; a mesh may add mTLS)";
        let ep = &self.intake.registry_endpoint;
        if !(ep.is_empty() || ep.starts_with("http://")) {
            return Err(bad("intake.registry_endpoint", peer));
        }
        match humantime::parse_duration(&self.registry.backdate_grace) {
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
        if self.intake.registry_timeout_ms == 0 {
            return Err(bad("intake.registry_timeout_ms", "must be positive"));
        }
        if !(1..=10_000).contains(&self.intake.batch_max_facts) {
            return Err(bad("intake.batch_max_facts", "must be between 1 and 10000"));
        }
        let a = &self.accountability;
        let r = &self.rankings;
        for (key, ep) in [
            ("accountability.registry_endpoint", &a.registry_endpoint),
            ("accountability.intake_endpoint", &a.intake_endpoint),
            ("rankings.registry_endpoint", &r.registry_endpoint),
            ("rankings.intake_endpoint", &r.intake_endpoint),
            (
                "rankings.accountability_endpoint",
                &r.accountability_endpoint,
            ),
            ("rankings.rankings_endpoint", &r.rankings_endpoint),
        ] {
            if !(ep.is_empty() || ep.starts_with("http://")) {
                return Err(bad(key, peer));
            }
        }
        for (key, v) in [
            ("accountability.peer_timeout_ms", a.peer_timeout_ms),
            ("accountability.sweep_interval_ms", a.sweep_interval_ms),
            (
                "accountability.finding_sweep_interval_ms",
                a.finding_sweep_interval_ms,
            ),
            ("accountability.finding_window_days", a.finding_window_days),
            ("accountability.effect_retry_min_ms", a.effect_retry_min_ms),
            ("rankings.timeout_ms", r.timeout_ms),
        ] {
            if v == 0 {
                return Err(bad(key, "must be positive"));
            }
        }
        if a.effect_retry_max_ms < a.effect_retry_min_ms {
            return Err(bad(
                "accountability.effect_retry_max_ms",
                "must be at least accountability.effect_retry_min_ms",
            ));
        }
        if self.registry.default_min_qualified == 0 {
            return Err(bad("registry.default_min_qualified", "must be at least 1"));
        }
        Ok(())
    }

    pub fn data_dir(&self) -> PathBuf {
        PathBuf::from(&self.database.data_dir)
    }

    /// The database URL of one service: its own key, else the shared one,
    /// else a SQLite file of its own under the data directory.
    pub fn database_url(&self, service: &str) -> String {
        let own = match service {
            "registry" => &self.database.registry_url,
            "intake" => &self.database.intake_url,
            "accountability" => &self.database.accountability_url,
            "rankings" => &self.database.rankings_url,
            _ => &self.database.url,
        };
        if !own.is_empty() {
            return own.clone();
        }
        if !self.database.url.is_empty() {
            return self.database.url.clone();
        }
        format!("sqlite://{}/{service}.db?mode=rwc", self.database.data_dir)
    }

    /// The URL `probity migrate` applies a service's migrations through:
    /// the owner role's (`database.migrate_url`) where the service uses the
    /// shared database, so the role it serves with needs no DDL, TRUNCATE or
    /// trigger rights. A service with a database of its own is migrated
    /// through that database's URL.
    pub fn migrate_url(&self, service: &str) -> String {
        let own = match service {
            "registry" => &self.database.registry_url,
            "intake" => &self.database.intake_url,
            "accountability" => &self.database.accountability_url,
            "rankings" => &self.database.rankings_url,
            _ => &self.database.url,
        };
        if own.is_empty() && !self.database.migrate_url.is_empty() {
            return self.database.migrate_url.clone();
        }
        self.database_url(service)
    }

    pub fn signing_key(&self) -> KeyFile {
        KeyFile::resolve(
            &self.auth.signing_key_file,
            &self.data_dir(),
            "dev-signing-key.pem",
            "auth.signing_key_file",
        )
    }

    pub fn audit_key(&self) -> KeyFile {
        KeyFile::resolve(
            &self.audit.key_file,
            &self.data_dir(),
            "audit-chain.key",
            "audit.key_file",
        )
    }

    pub fn national_id_key(&self) -> KeyFile {
        KeyFile::resolve(
            &self.registry.national_id_key_file,
            &self.data_dir(),
            "national-id-hmac.key",
            "registry.national_id_key_file",
        )
    }
}

fn error_key(e: &config::ConfigError) -> String {
    // config's messages end with "for key `a.b`" when they know the key.
    let s = e.to_string();
    match s.rfind("for key `") {
        Some(i) => s[i + 9..]
            .trim_end_matches(['`', '.'])
            .split('`')
            .next()
            .unwrap_or("")
            .to_string(),
        None => s.split('`').nth(1).unwrap_or("(file)").to_string(),
    }
}

/// The example configuration with every key documented, shipped as
/// `probity.example.toml` and checked by a test to load.
pub const EXAMPLE: &str = include_str!("../../../probity.example.toml");

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn example_path() -> PathBuf {
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../probity.example.toml"
        ))
    }

    #[test]
    fn defaults_without_anything() {
        let s = Settings::load_from(None, env(&[])).unwrap();
        assert_eq!(s.server.listen, "127.0.0.1:50051");
        assert_eq!(
            s.database_url("registry"),
            "sqlite://./data/registry.db?mode=rwc"
        );
    }

    #[test]
    fn migrations_go_through_the_owners_url() {
        let s = Settings::load_from(
            None,
            env(&[
                ("PROBITY__DATABASE__URL", "postgres://app@db/p"),
                ("PROBITY__DATABASE__MIGRATE_URL", "postgres://owner@db/p"),
                ("PROBITY__DATABASE__INTAKE_URL", "postgres://intake@db2/i"),
            ]),
        )
        .unwrap();
        assert_eq!(s.migrate_url("registry"), "postgres://owner@db/p");
        assert_eq!(s.database_url("registry"), "postgres://app@db/p");
        assert_eq!(
            s.migrate_url("intake"),
            "postgres://intake@db2/i",
            "a database of its own is migrated through its own URL"
        );
        let s = Settings::load_from(None, env(&[])).unwrap();
        assert_eq!(s.migrate_url("registry"), s.database_url("registry"));
        let e = Settings::load_from(
            None,
            env(&[("PROBITY__DATABASE__MIGRATE_URL", "mysql://x")]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("database.migrate_url"), "{e}");
    }

    #[test]
    fn file_then_environment() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("p.toml");
        std::fs::write(&f, "[server]\nlisten = \"127.0.0.1:6000\"\nrequest_timeout_ms = 5\n[database]\nurl = \"postgres://a@b/c\"\n")
            .unwrap();
        let s = Settings::load_from(
            Some(&f),
            env(&[("PROBITY__SERVER__LISTEN", "0.0.0.0:7000"), ("OTHER", "x")]),
        )
        .unwrap();
        assert_eq!(
            s.server.listen, "0.0.0.0:7000",
            "environment wins over the file"
        );
        assert_eq!(
            s.server.request_timeout_ms, 5,
            "the file wins over defaults"
        );
        assert_eq!(s.database_url("registry"), "postgres://a@b/c");
        let s = Settings::load_from(
            Some(&f),
            env(&[("PROBITY__DATABASE__REGISTRY_URL", "sqlite://r.db")]),
        )
        .unwrap();
        assert_eq!(
            s.database_url("registry"),
            "sqlite://r.db",
            "a service's own URL wins"
        );
    }

    #[test]
    fn url_from_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("url");
        std::fs::write(&f, "postgres://probity:secret@db/probity\n").unwrap();
        let s = Settings::load_from(
            None,
            env(&[("PROBITY__DATABASE__URL_FILE", f.to_str().unwrap())]),
        )
        .unwrap();
        assert_eq!(
            s.database_url("registry"),
            "postgres://probity:secret@db/probity"
        );
    }

    #[test]
    fn list_from_environment() {
        let s = Settings::load_from(
            None,
            env(&[
                ("PROBITY__AUTH__PUBLIC_KEY_FILES", "/a.pem,/b.pem"),
                ("PROBITY__AUTH__DEV_KEYS", "false"),
            ]),
        )
        .unwrap();
        assert_eq!(s.auth.public_key_files, vec!["/a.pem", "/b.pem"]);
        assert!(!s.auth.dev_keys);
    }

    #[test]
    fn errors_name_the_key() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[("PROBITY__SERVER__MAX_REQUEST_BYTES", "lots")],
                "server.max_request_bytes",
            ),
            (&[("PROBITY__SERVER__LISTEN", "nowhere")], "server.listen"),
            (&[("PROBITY__DATABASE__URL", "mysql://x")], "database.url"),
            (&[("PROBITY__TELEMETRY__FORMAT", "xml")], "telemetry.format"),
            (
                &[("PROBITY__TELEMETRY__OTLP_ENDPOINT", "collector:4317")],
                "telemetry.otlp_endpoint",
            ),
            (
                &[(
                    "PROBITY__TELEMETRY__OTLP_ENDPOINT",
                    "https://collector:4317",
                )],
                "telemetry.otlp_endpoint",
            ),
            (
                &[(
                    "PROBITY__INTAKE__REGISTRY_ENDPOINT",
                    "https://registry:50051",
                )],
                "intake.registry_endpoint",
            ),
            (
                &[("PROBITY__RANKINGS__RANKINGS_ENDPOINT", "rankings:50051")],
                "rankings.rankings_endpoint",
            ),
            (
                &[("PROBITY__AUTH__HS256_SECRET", "short")],
                "auth.hs256_secret",
            ),
            (
                &[
                    ("PROBITY__AUTH__ALLOW_HS256", "true"),
                    ("PROBITY__AUTH__HS256_SECRET", "short"),
                ],
                "auth.hs256_secret",
            ),
            (
                &[
                    ("PROBITY__DATABASE__URL", "postgres://a"),
                    ("PROBITY__DATABASE__URL_FILE", "/u"),
                ],
                "database.url_file",
            ),
            (
                &[("PROBITY__DATABASE__URL_FILE", "/nonexistent/url")],
                "database.url_file",
            ),
            (
                &[("PROBITY__SERVER__TLS__CERT_FILE", "/c.pem")],
                "server.tls.key_file",
            ),
            (
                &[("PROBITY__REGISTRY__DEFAULT_MIN_QUALIFIED", "0")],
                "registry.default_min_qualified",
            ),
        ];
        for (vars, key) in cases {
            let e = Settings::load_from(None, env(vars)).unwrap_err();
            assert_eq!(e.key, *key, "{vars:?}: {e}");
        }
    }

    #[test]
    fn unknown_key_in_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("p.toml");
        std::fs::write(&f, "[server]\nlisten_on = \"x\"\n").unwrap();
        let e = Settings::load_from(Some(&f), env(&[])).unwrap_err();
        assert!(e.to_string().contains("listen_on"), "{e}");
        let e = Settings::load_from(Some(&dir.path().join("missing.toml")), env(&[])).unwrap_err();
        assert_eq!(e.key, "--config");
    }

    /// The example documents every key, with its default value.
    #[test]
    fn example_is_complete_and_matches_defaults() {
        let from_example = Settings::load_from(Some(&example_path()), env(&[])).unwrap();
        assert_eq!(
            serde_json::to_value(&from_example).unwrap(),
            serde_json::to_value(Settings::default()).unwrap(),
            "probity.example.toml must show the defaults"
        );
        let file: toml::Table = toml::from_str(EXAMPLE).unwrap();
        let defaults = serde_json::to_value(Settings::default()).unwrap();
        fn keys(v: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
            if let serde_json::Value::Object(m) = v {
                for (k, v) in m {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    if v.is_object() {
                        keys(v, &p, out)
                    } else {
                        out.push(p)
                    }
                }
            }
        }
        let mut all = Vec::new();
        keys(&defaults, "", &mut all);
        for key in all {
            let mut cur = toml::Value::Table(file.clone());
            for part in key.split('.') {
                cur = cur
                    .get(part)
                    .cloned()
                    .unwrap_or_else(|| panic!("probity.example.toml lacks {key}"));
            }
        }
    }
}
