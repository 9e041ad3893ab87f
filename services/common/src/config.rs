//! Settings: built-in defaults, then an optional TOML file, then environment
//! variables `PROBITY__SECTION__KEY`. Invalid settings stop startup with the
//! key and what was wrong. The sections every service reads are here; each
//! service's own section is its crate's (`section.rs`).
use std::{collections::BTreeMap, net::SocketAddr, path::PathBuf};

use serde::{Deserialize, Serialize, ser::SerializeMap};

use crate::{
    keys::KeyFile,
    section::{SectionKind, Sections},
};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub telemetry: TelemetrySettings,
    pub auth: AuthSettings,
    pub audit: AuditSettings,
    pub peer_tls: PeerTlsSettings,
    /// The services' own sections, by type: `section()` and `section_mut()`.
    #[serde(skip)]
    pub(crate) sections: Sections,
}

/// The shared sections' names: any other top-level name must be a listed service's.
const SHARED: [&str; 6] = [
    "server",
    "database",
    "telemetry",
    "auth",
    "audit",
    "peer_tls",
];

impl Serialize for Settings {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("server", &self.server)?;
        m.serialize_entry("database", &self.database)?;
        m.serialize_entry("telemetry", &self.telemetry)?;
        m.serialize_entry("auth", &self.auth)?;
        m.serialize_entry("audit", &self.audit)?;
        m.serialize_entry("peer_tls", &self.peer_tls)?;
        for (name, value) in self.sections.to_json() {
            m.serialize_entry(name, &value)?;
        }
        m.end()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    pub listen: String,
    pub max_request_bytes: usize,
    pub request_timeout_ms: u64,
    pub shutdown_grace_ms: u64,
    pub tls: TlsSettings,
    /// A second, plaintext address serving health only, for probes that
    /// cannot speak TLS when `tls` is set; empty: none.
    pub health_listen: String,
    pub public_rate_limit: RateLimitSettings,
}

/// Calls to methods that need no token, per client address (a token
/// bucket): the public credential check answers anyone, so it must not
/// answer anyone as fast as they ask.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitSettings {
    /// Calls an address may make at once after a quiet while.
    pub burst: u32,
    /// Calls per minute an address gets back.
    pub per_minute: u32,
    /// Addresses tracked at most; past it, new addresses share one bucket.
    pub max_addresses: usize,
    /// Proxies (addresses or CIDR blocks) whose `x-forwarded-for` names the
    /// client: the last address in it is the one limited.
    pub trusted_proxies: Vec<String>,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            burst: 20,
            per_minute: 60,
            max_addresses: 100_000,
            trusted_proxies: Vec::new(),
        }
    }
}

/// TLS on calls to other Probity services (`https://` peer endpoints).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PeerTlsSettings {
    /// The CA that signed the peers' server certificates; set, every peer
    /// endpoint must be `https://`.
    pub ca_file: String,
    /// This service's client certificate and key, for peers that require
    /// one (mutual TLS: `server.tls.client_ca_file` on the peer).
    pub cert_file: String,
    pub key_file: String,
    /// The name the peers' certificates are checked against, when it is
    /// not the endpoint's host name.
    pub domain: String,
}

impl PeerTlsSettings {
    pub fn enabled(&self) -> bool {
        !self.ca_file.is_empty()
    }
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
    /// `<service>_url`: a listed service's own database, overriding `url`.
    /// Keyed by the setting's name, so adding a service adds no field here.
    #[serde(flatten, skip_deserializing)]
    pub service_urls: BTreeMap<String, String>,
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
    /// Where the Prometheus scrape endpoint (`GET /metrics`) listens; empty = none.
    pub prometheus_listen: String,
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
    /// The longest a token may live (`exp - iat`), in seconds.
    pub max_token_lifetime_secs: u64,
    /// A file of revoked token ids (`jti`), one a line; empty: none.
    pub revoked_jti_file: String,
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
            health_listen: String::new(),
            public_rate_limit: RateLimitSettings::default(),
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            data_dir: "./data".into(),
            url: String::new(),
            url_file: String::new(),
            service_urls: BTreeMap::new(),
            migrate_url: String::new(),
            max_connections: 16,
            run_migrations: true,
            sqlite_busy_timeout_ms: 5_000,
            sqlite_cache_mib: 64,
            request_id_retention_hours: 168,
        }
    }
}

impl DatabaseSettings {
    /// Sets `database.<service>_url`.
    pub fn set_service_url(&mut self, service: &str, url: impl Into<String>) {
        self.service_urls
            .insert(format!("{service}_url"), url.into());
    }
}

impl Default for TelemetrySettings {
    fn default() -> Self {
        Self {
            format: "pretty".into(),
            level: "info".into(),
            otlp_endpoint: String::new(),
            service_name: "probity".into(),
            prometheus_listen: String::new(),
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
            max_token_lifetime_secs: 86_400,
            revoked_jti_file: String::new(),
        }
    }
}

/// What settings may name beside the shared sections: the services' own
/// sections, and the services, each of which may have `database.<name>_url`.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub sections: Vec<SectionKind>,
    pub services: Vec<&'static str>,
}

impl Known {
    /// Only these services' database keys (for tests of the shared sections).
    pub fn services(services: &[&'static str]) -> Known {
        Known {
            sections: Vec::new(),
            services: services.to_vec(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {key}: {problem}")]
pub struct ConfigError {
    pub key: String,
    pub problem: String,
}

/// A configuration error naming `key`.
pub fn bad(key: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        key: key.into(),
        problem: problem.into(),
    }
}

pub(crate) fn from_config(e: &config::ConfigError) -> ConfigError {
    bad(&error_key(e), e.to_string())
}

impl Settings {
    /// Loads defaults, then `file` (if any), then `PROBITY__*` variables.
    /// `known` names the services and their sections: any other is refused.
    pub fn load(file: Option<&std::path::Path>, known: &Known) -> Result<Self, ConfigError> {
        Self::load_from(file, std::env::vars(), known)
    }

    /// As [`Settings::load`], with the environment given (for tests).
    pub fn load_from(
        file: Option<&std::path::Path>,
        env: impl IntoIterator<Item = (String, String)>,
        known: &Known,
    ) -> Result<Self, ConfigError> {
        let sections = &known.sections[..];
        let merged = Self::merged(file, env, known)?;
        let mut top: BTreeMap<String, config::Value> = merged
            .cache
            .into_table()
            .map_err(|e| from_config(&e))?
            .into_iter()
            .collect();
        let own = Self::take_sections(&mut top, sections)?;
        let service_urls = Self::take_service_urls(&mut top, &known.services)?;
        let shared = config::Value::new(None, config::ValueKind::Table(top.into_iter().collect()));
        let mut s: Settings = shared.try_deserialize().map_err(|e| from_config(&e))?;
        s.sections = own;
        s.database.service_urls = service_urls;
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
        s.sections.validate()?;
        s.check_peer_schemes()?;
        Ok(s)
    }

    /// Defaults (every listed section's too), the file, then the environment.
    fn merged(
        file: Option<&std::path::Path>,
        env: impl IntoIterator<Item = (String, String)>,
        known: &Known,
    ) -> Result<config::Config, ConfigError> {
        let mut defaults = Settings {
            sections: Sections::defaults(&known.sections),
            ..Settings::default()
        };
        for service in &known.services {
            defaults.database.set_service_url(service, "");
        }
        let defaults =
            config::Config::try_from(&defaults).map_err(|e| bad("(defaults)", e.to_string()))?;
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
                .with_list_parse_key("server.public_rate_limit.trusted_proxies")
                .source(Some(vars)),
        );
        b.build().map_err(|e| from_config(&e))
    }

    /// Reads the listed sections out of `top`, leaving the shared ones;
    /// refuses a top-level name that is neither.
    fn take_sections(
        top: &mut BTreeMap<String, config::Value>,
        sections: &[SectionKind],
    ) -> Result<Sections, ConfigError> {
        let mut own = Sections::default();
        let mut seen = std::collections::HashSet::new();
        for kind in sections.iter().filter(|k| !k.name.is_empty()) {
            if !seen.insert(kind.name) || SHARED.contains(&kind.name) {
                return Err(bad(kind.name, "a section is listed twice"));
            }
            if let Some(v) = top.remove(kind.name) {
                own.read(kind, v)?;
            }
        }
        if let Some(unknown) = top.keys().find(|k| !SHARED.contains(&k.as_str())) {
            let known: Vec<&str> = SHARED
                .iter()
                .copied()
                .chain(sections.iter().map(|k| k.name).filter(|n| !n.is_empty()))
                .collect();
            return Err(bad(
                unknown,
                format!("unknown section (known: {})", known.join(", ")),
            ));
        }
        Ok(own)
    }

    /// Reads `database.<service>_url` of the listed services out of `top`;
    /// any other key is left for the shared section, which refuses it.
    fn take_service_urls(
        top: &mut BTreeMap<String, config::Value>,
        services: &[&str],
    ) -> Result<BTreeMap<String, String>, ConfigError> {
        let mut urls = BTreeMap::new();
        let Some(database) = top.get_mut("database") else {
            return Ok(urls);
        };
        let mut table = database.clone().into_table().map_err(|e| from_config(&e))?;
        for service in services {
            let key = format!("{service}_url");
            if let Some(v) = table.remove(&key) {
                let url = v
                    .into_string()
                    .map_err(|e| bad(&format!("database.{key}"), e.to_string()))?;
                urls.insert(key, url);
            }
        }
        let shared = ["url", "migrate_url"];
        if let Some(k) = table
            .keys()
            .find(|k| k.ends_with("_url") && !shared.contains(&k.as_str()))
        {
            return Err(bad(
                &format!("database.{k}"),
                format!(
                    "no listed service of that name (services: {})",
                    services.join(", ")
                ),
            ));
        }
        *database = config::Value::new(None, config::ValueKind::Table(table));
        Ok(urls)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        self.server
            .listen
            .parse::<SocketAddr>()
            .map_err(|e| bad("server.listen", format!("not a socket address ({e})")))?;
        if !self.server.health_listen.is_empty() {
            self.server
                .health_listen
                .parse::<SocketAddr>()
                .map_err(|e| {
                    bad(
                        "server.health_listen",
                        format!("not a socket address ({e})"),
                    )
                })?;
        }
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
        let rl = &self.server.public_rate_limit;
        if rl.burst == 0 {
            return Err(bad("server.public_rate_limit.burst", "must be positive"));
        }
        if rl.per_minute == 0 {
            return Err(bad(
                "server.public_rate_limit.per_minute",
                "must be positive",
            ));
        }
        if rl.max_addresses == 0 {
            return Err(bad(
                "server.public_rate_limit.max_addresses",
                "must be positive",
            ));
        }
        for p in &rl.trusted_proxies {
            crate::rate_limit::parse_net(p).map_err(|e| {
                bad(
                    "server.public_rate_limit.trusted_proxies",
                    format!("{p}: {e}"),
                )
            })?;
        }
        let pt = &self.peer_tls;
        if pt.cert_file.is_empty() != pt.key_file.is_empty() {
            return Err(bad(
                "peer_tls.key_file",
                "cert_file and key_file go together",
            ));
        }
        let client_side = !pt.cert_file.is_empty() || !pt.domain.is_empty();
        if client_side && !pt.enabled() {
            return Err(bad(
                "peer_tls.ca_file",
                "peer TLS needs the CA that signed the peers' certificates",
            ));
        }
        let own = self
            .database
            .service_urls
            .iter()
            .map(|(k, url)| (format!("database.{k}"), url));
        for (key, url) in [
            ("database.url".to_string(), &self.database.url),
            (
                "database.migrate_url".to_string(),
                &self.database.migrate_url,
            ),
        ]
        .into_iter()
        .chain(own)
        {
            if !(url.is_empty()
                || ["sqlite:", "postgres://", "postgresql://"]
                    .iter()
                    .any(|p| url.starts_with(p)))
            {
                return Err(bad(&key, "must be a sqlite: or postgres:// URL"));
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
        let prom = &self.telemetry.prometheus_listen;
        if !prom.is_empty() {
            let addr = prom.parse::<SocketAddr>().map_err(|e| {
                bad(
                    "telemetry.prometheus_listen",
                    format!("not a socket address ({e})"),
                )
            })?;
            if addr.port() != 0
                && Some(addr.port())
                    == self
                        .server
                        .listen
                        .parse::<SocketAddr>()
                        .ok()
                        .map(|a| a.port())
            {
                return Err(bad(
                    "telemetry.prometheus_listen",
                    "must be another port than server.listen",
                ));
            }
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
        if a.max_token_lifetime_secs < 60 {
            return Err(bad("auth.max_token_lifetime_secs", "must be at least 60"));
        }
        if let Some(e) = self.dev_keys_refusal() {
            return Err(e);
        }
        Ok(())
    }

    /// Every service section's `*_endpoint` key (its peers) against
    /// `peer_tls`: plaintext is refused when peer TLS is set, https://
    /// without the CA that checks the peer's certificate.
    pub fn check_peer_schemes(&self) -> Result<(), ConfigError> {
        for (name, section) in self.sections.to_json() {
            let Some(fields) = section.as_object() else {
                continue;
            };
            for (k, v) in fields.iter().filter(|(k, _)| k.ends_with("_endpoint")) {
                let key = format!("{name}.{k}");
                crate::peer::check_scheme(self, &key, v.as_str().unwrap_or_default()).map_err(
                    |e| {
                        let text = e.to_string();
                        let problem = text.strip_prefix(&format!("{key}: ")).unwrap_or(&text);
                        bad(&key, problem)
                    },
                )?;
            }
        }
        Ok(())
    }

    /// Development keys are for one developer's machine: a key made under
    /// the data directory, beside the data, signs any token. They are
    /// refused where a deployment shows: a PostgreSQL database, a listen
    /// address other than loopback, or an issuer's public keys configured.
    pub fn dev_keys_refusal(&self) -> Option<ConfigError> {
        if !self.auth.dev_keys {
            return None;
        }
        let why = |what: String| {
            Some(bad(
                "auth.dev_keys",
                format!(
                    "refused with {what}: set auth.dev_keys = false and give the issuer's keys in auth.public_key_files"
                ),
            ))
        };
        let db = &self.database;
        let urls = [
            ("database.url".to_string(), &db.url),
            ("database.migrate_url".to_string(), &db.migrate_url),
        ]
        .into_iter()
        .chain(
            db.service_urls
                .iter()
                .map(|(k, u)| (format!("database.{k}"), u)),
        );
        for (key, url) in urls {
            if url.starts_with("postgres://") || url.starts_with("postgresql://") {
                return why(format!("a PostgreSQL database ({key})"));
            }
        }
        if let Ok(addr) = self.server.listen.parse::<SocketAddr>()
            && !addr.ip().is_loopback()
        {
            return why(format!(
                "a listen address that is not loopback (server.listen = {addr})"
            ));
        }
        if !self.auth.public_key_files.is_empty() {
            return why("an issuer's keys configured (auth.public_key_files)".into());
        }
        None
    }

    pub fn data_dir(&self) -> PathBuf {
        PathBuf::from(&self.database.data_dir)
    }

    /// The database URL of one service: its own key, else the shared one,
    /// else a SQLite file of its own under the data directory.
    pub fn database_url(&self, service: &str) -> String {
        let own = self.own_database_url(service);
        if !own.is_empty() {
            return own.to_string();
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
        let own = self.own_database_url(service);
        if own.is_empty() && !self.database.migrate_url.is_empty() {
            return self.database.migrate_url.clone();
        }
        self.database_url(service)
    }

    /// `database.<service>_url`; a service without such a key shares
    /// `database.url` (or has `<service>.db` under the data directory).
    fn own_database_url(&self, service: &str) -> &str {
        self.database
            .service_urls
            .get(&format!("{service}_url"))
            .map_or("", String::as_str)
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

    /// Two services, so their `database.<name>_url` keys are known.
    fn both() -> Known {
        Known::services(&["registry", "intake"])
    }

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_without_anything() {
        let s = Settings::load_from(None, env(&[]), &both()).unwrap();
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
                ("PROBITY__AUTH__DEV_KEYS", "false"),
            ]),
            &both(),
        )
        .unwrap();
        assert_eq!(s.migrate_url("registry"), "postgres://owner@db/p");
        assert_eq!(s.database_url("registry"), "postgres://app@db/p");
        assert_eq!(
            s.migrate_url("intake"),
            "postgres://intake@db2/i",
            "a database of its own is migrated through its own URL"
        );
        let s = Settings::load_from(None, env(&[]), &both()).unwrap();
        assert_eq!(s.migrate_url("registry"), s.database_url("registry"));
        let e = Settings::load_from(
            None,
            env(&[("PROBITY__DATABASE__MIGRATE_URL", "mysql://x")]),
            &both(),
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
            env(&[
                ("PROBITY__SERVER__LISTEN", "0.0.0.0:7000"),
                ("PROBITY__AUTH__DEV_KEYS", "false"),
                ("OTHER", "x"),
            ]),
            &both(),
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
            env(&[
                ("PROBITY__DATABASE__REGISTRY_URL", "sqlite://r.db"),
                ("PROBITY__AUTH__DEV_KEYS", "false"),
            ]),
            &both(),
        )
        .unwrap();
        assert_eq!(
            s.database_url("registry"),
            "sqlite://r.db",
            "a service's own URL wins"
        );
    }

    /// A listed service has `database.<name>_url` without a field of its
    /// own here; a name that is not a listed service is refused by its key.
    #[test]
    fn every_listed_service_has_a_database_key() {
        let s = Settings::load_from(
            None,
            env(&[
                ("PROBITY__DATABASE__DRAWS_URL", "postgres://d@db/draws"),
                ("PROBITY__AUTH__DEV_KEYS", "false"),
            ]),
            &Known::services(&["registry", "draws"]),
        )
        .unwrap();
        assert_eq!(s.database_url("draws"), "postgres://d@db/draws");
        assert_eq!(
            s.database_url("registry"),
            "sqlite://./data/registry.db?mode=rwc"
        );
        let e = Settings::load_from(
            None,
            env(&[("PROBITY__DATABASE__DRAWS_URL", "postgres://d@db/draws")]),
            &both(),
        )
        .unwrap_err();
        assert_eq!(e.key, "database.draws_url", "{e}");
        let e = Settings::load_from(
            None,
            env(&[("PROBITY__DATABASE__INTAKE_URL", "mysql://x")]),
            &both(),
        )
        .unwrap_err();
        assert_eq!(e.key, "database.intake_url", "{e}");
    }

    #[test]
    fn url_from_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("url");
        std::fs::write(&f, "postgres://probity:secret@db/probity\n").unwrap();
        let s = Settings::load_from(
            None,
            env(&[
                ("PROBITY__DATABASE__URL_FILE", f.to_str().unwrap()),
                ("PROBITY__AUTH__DEV_KEYS", "false"),
            ]),
            &both(),
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
            &both(),
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
                &[("PROBITY__TELEMETRY__PROMETHEUS_LISTEN", "9464")],
                "telemetry.prometheus_listen",
            ),
            (
                &[
                    ("PROBITY__SERVER__LISTEN", "0.0.0.0:9464"),
                    ("PROBITY__TELEMETRY__PROMETHEUS_LISTEN", "0.0.0.0:9464"),
                ],
                "telemetry.prometheus_listen",
            ),
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
        ];
        for (vars, key) in cases {
            let e = Settings::load_from(None, env(vars), &both()).unwrap_err();
            assert_eq!(e.key, *key, "{vars:?}: {e}");
        }
    }

    /// Issue 19: a deployment that forgets `auth.dev_keys` does not start
    /// on a key made beside its data.
    #[test]
    fn dev_keys_are_refused_where_a_deployment_shows() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[("PROBITY__DATABASE__URL", "postgres://a@db/p")],
                "database.url",
            ),
            (
                &[("PROBITY__DATABASE__MIGRATE_URL", "postgresql://o@db/p")],
                "database.migrate_url",
            ),
            (
                &[("PROBITY__DATABASE__INTAKE_URL", "postgres://i@db/i")],
                "database.intake_url",
            ),
            (
                &[("PROBITY__SERVER__LISTEN", "0.0.0.0:50051")],
                "0.0.0.0:50051",
            ),
            (&[("PROBITY__SERVER__LISTEN", "[::]:50051")], "[::]:50051"),
            (&[("PROBITY__SERVER__LISTEN", "10.0.0.5:50051")], "10.0.0.5"),
            (
                &[("PROBITY__AUTH__PUBLIC_KEY_FILES", "/issuer.pem")],
                "public_key_files",
            ),
        ];
        for (vars, names) in cases {
            let e = Settings::load_from(None, env(vars), &both()).unwrap_err();
            assert_eq!(e.key, "auth.dev_keys", "{vars:?}: {e}");
            assert!(e.problem.contains(names), "{vars:?}: {e}");
            let mut off = vars.to_vec();
            off.push(("PROBITY__AUTH__DEV_KEYS", "false"));
            assert!(
                Settings::load_from(None, env(&off), &both()).is_ok(),
                "{off:?}"
            );
        }
        for listen in ["127.0.0.1:50051", "[::1]:50051"] {
            let vars = [("PROBITY__SERVER__LISTEN", listen)];
            assert!(
                Settings::load_from(None, env(&vars), &both()).is_ok(),
                "{listen}"
            );
        }
        let e = Settings::load_from(
            None,
            env(&[("PROBITY__AUTH__MAX_TOKEN_LIFETIME_SECS", "5")]),
            &both(),
        )
        .unwrap_err();
        assert_eq!(e.key, "auth.max_token_lifetime_secs");
    }

    #[test]
    fn unknown_key_in_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("p.toml");
        std::fs::write(&f, "[server]\nlisten_on = \"x\"\n").unwrap();
        let e = Settings::load_from(Some(&f), env(&[]), &both()).unwrap_err();
        assert!(e.to_string().contains("listen_on"), "{e}");
        let e = Settings::load_from(Some(&dir.path().join("missing.toml")), env(&[]), &both())
            .unwrap_err();
        assert_eq!(e.key, "--config");
    }

    /// A service's section, as a service crate defines it.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    struct Demo {
        peer_endpoint: String,
        batch: u64,
    }

    impl Default for Demo {
        fn default() -> Self {
            Demo {
                peer_endpoint: String::new(),
                batch: 10,
            }
        }
    }

    impl crate::section::Section for Demo {
        const NAME: &'static str = "demo";
        fn validate(&self) -> Result<(), ConfigError> {
            crate::section::peer_endpoint("demo.peer_endpoint", &self.peer_endpoint)?;
            crate::section::positive("demo.batch", self.batch)
        }
    }

    fn demo_only() -> Known {
        Known {
            sections: vec![SectionKind::of::<Demo>()],
            services: Vec::new(),
        }
    }

    #[test]
    fn a_service_section_is_read_typed_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("p.toml");
        std::fs::write(&f, "[demo]\nbatch = 5\n").unwrap();
        let s = Settings::load_from(
            Some(&f),
            env(&[("PROBITY__DEMO__PEER_ENDPOINT", "http://peer:50051")]),
            &demo_only(),
        )
        .unwrap();
        let demo = s.section::<Demo>();
        assert_eq!(demo.batch, 5, "the file wins over defaults");
        assert_eq!(demo.peer_endpoint, "http://peer:50051");
        assert_eq!(
            Settings::default().section::<Demo>().batch,
            10,
            "settings built in code have the section's defaults"
        );
        let mut t = Settings::default();
        t.section_mut::<Demo>().batch = 3;
        assert_eq!(t.clone().section::<Demo>().batch, 3);
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(
            json["demo"]["batch"], 5,
            "serialized beside the shared sections"
        );

        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("PROBITY__DEMO__BATCH", "lots")], "demo.batch"),
            (&[("PROBITY__DEMO__BATCH", "0")], "demo.batch"),
            (
                &[("PROBITY__DEMO__PEER_ENDPOINT", "https://peer:50051")],
                "demo.peer_endpoint",
            ),
            (&[("PROBITY__DEMOS__BATCH", "1")], "demos"),
            (
                &[
                    ("PROBITY__DEMO__PEER_ENDPOINT", "http://peer:50051"),
                    ("PROBITY__PEER_TLS__CA_FILE", "/ca.pem"),
                ],
                "demo.peer_endpoint",
            ),
            (
                &[("PROBITY__PEER_TLS__CERT_FILE", "/c.pem")],
                "peer_tls.key_file",
            ),
            (
                &[
                    ("PROBITY__PEER_TLS__CERT_FILE", "/c.pem"),
                    ("PROBITY__PEER_TLS__KEY_FILE", "/c.key"),
                ],
                "peer_tls.ca_file",
            ),
            (
                &[("PROBITY__SERVER__PUBLIC_RATE_LIMIT__BURST", "0")],
                "server.public_rate_limit.burst",
            ),
            (
                &[(
                    "PROBITY__SERVER__PUBLIC_RATE_LIMIT__TRUSTED_PROXIES",
                    "10.0.0.0/8,proxy",
                )],
                "server.public_rate_limit.trusted_proxies",
            ),
        ];
        for (vars, key) in cases {
            let e = Settings::load_from(None, env(vars), &demo_only()).unwrap_err();
            assert_eq!(e.key, *key, "{vars:?}: {e}");
        }
        let s = Settings::load_from(
            None,
            env(&[
                ("PROBITY__DEMO__PEER_ENDPOINT", "https://peer:50051"),
                ("PROBITY__PEER_TLS__CA_FILE", "/ca.pem"),
            ]),
            &demo_only(),
        )
        .expect("an https:// peer with the CA to check it");
        assert!(s.peer_tls.enabled());
        std::fs::write(&f, "[demo]\nbatches = 5\n").unwrap();
        let e = Settings::load_from(Some(&f), env(&[]), &demo_only()).unwrap_err();
        assert!(e.to_string().contains("batches"), "{e}");
        let e =
            Settings::load_from(None, env(&[("PROBITY__DEMO__BATCH", "1")]), &both()).unwrap_err();
        assert_eq!(e.key, "demo", "a section no listed service owns: {e}");
    }
}
