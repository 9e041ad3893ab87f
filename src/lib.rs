//! The `probity` binary's roles, as a library so tests start the same servers.
use std::{future::Future, sync::Arc};

use probity_common::{
    auth::Verifier,
    config::{Known, Settings},
    section::SectionKind,
    server::Mount,
    service::Listed,
};

pub mod demo;
pub mod story;

/// Every service this binary can run: `--target` takes their names, and
/// `all` runs them in this order. Adding a service is adding it here.
pub const SERVICES: &[Listed] = &[
    Listed::of::<probity_registry::Registry>(),
    Listed::of::<probity_intake::Intake>(),
    Listed::of::<probity_accountability::Accountability>(),
    Listed::of::<probity_rankings_service::Rankings>(),
    Listed::of::<probity_draws::Draws>(),
];

/// Settings sections of commands that are not services. The nightly job's,
/// `[rankings]`, is the rankings service's own (it asks the registry too).
const JOB_SECTIONS: &[SectionKind] = &[];

/// Every settings section beside the shared ones: `Settings::load` refuses
/// any other.
pub fn sections() -> Vec<SectionKind> {
    SERVICES
        .iter()
        .map(|s| s.section)
        .chain(JOB_SECTIONS.iter().copied())
        .filter(|k| !k.name.is_empty())
        .collect()
}

/// What `Settings::load` accepts: every section, and `database.<name>_url`
/// for every listed service.
pub fn known() -> Known {
    Known {
        sections: sections(),
        services: SERVICES.iter().map(|s| s.name).collect(),
    }
}

/// Which services one process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Every service in one process (development, small sites).
    All,
    /// The listed service of this name alone.
    Only(&'static str),
}

impl Target {
    pub fn runs(self, service: &str) -> bool {
        match self {
            Target::All => true,
            Target::Only(name) => name == service,
        }
    }

    /// Its `--target` value.
    pub fn name(self) -> &'static str {
        match self {
            Target::All => "all",
            Target::Only(name) => name,
        }
    }

    /// The listed services it runs, in list order.
    pub fn services(self) -> anyhow::Result<Vec<Listed>> {
        let run: Vec<Listed> = SERVICES
            .iter()
            .filter(|s| self.runs(s.name))
            .copied()
            .collect();
        anyhow::ensure!(!run.is_empty(), "--target {self}: no such service");
        Ok(run)
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl clap::ValueEnum for Target {
    fn value_variants<'a>() -> &'a [Self] {
        static VARIANTS: std::sync::LazyLock<Vec<Target>> = std::sync::LazyLock::new(|| {
            std::iter::once(Target::All)
                .chain(SERVICES.iter().map(|s| Target::Only(s.name)))
                .collect()
        });
        &VARIANTS
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let help = match self {
            Target::All => "Every service in one process (development, small sites)".to_string(),
            Target::Only(name) => {
                let s = SERVICES.iter().find(|s| s.name == *name)?;
                let peers: Vec<String> = s
                    .peers
                    .iter()
                    .map(|p| format!("{} at {}.{}", p.service, s.section.name, p.key))
                    .collect();
                match peers.is_empty() {
                    true => format!("{name} alone"),
                    false => format!("{name} alone (it calls {})", peers.join(", ")),
                }
            }
        };
        Some(clap::builder::PossibleValue::new(self.name()).help(help))
    }
}

/// Runs every migration `target` owns.
pub async fn migrate(settings: &Settings, target: Target) -> anyhow::Result<()> {
    for s in target.services()? {
        s.migrate(settings).await?;
    }
    Ok(())
}

/// A service calls its peers at their configured endpoints, or in this
/// process when none is set: a process that calls a service it does not run
/// must be told where that service is, or it would call itself, find no
/// such service, and refuse (intake every fact, accountability every
/// sanction). Refused at startup instead.
fn peers_configured(settings: &Settings, services: &[Listed]) -> anyhow::Result<()> {
    let runs = |name: &str| services.iter().any(|s| s.name == name);
    for s in services {
        for peer in s.peers.iter().filter(|p| !runs(p.service)) {
            anyhow::ensure!(
                !s.peer_endpoint(settings, peer).is_empty(),
                "{}.{} must be set: this process does not run {}",
                s.section.name,
                peer.key,
                peer.service,
            );
        }
    }
    Ok(())
}

/// Serves `target` on `listener` until `shutdown` resolves.
pub async fn serve(
    settings: &Settings,
    target: Target,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    serve_services(settings, &target.services()?, listener, shutdown).await
}

/// Serves `services` (a target's, or any list of them) on `listener` until
/// `shutdown` resolves.
pub async fn serve_services(
    settings: &Settings,
    services: &[Listed],
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    peers_configured(settings, services)?;
    // Before the services start: their gauges and the RPC layer take their
    // instruments from it (`init` installed it already in `probity serve`).
    let role = match services {
        [one] => one.name,
        _ => "all",
    };
    probity_common::telemetry::install_meter_provider(&settings.telemetry, role)?;
    let verifier = Arc::new(Verifier::from_settings(settings)?);
    let own = listener.local_addr()?;
    let mut mount = Mount::default();
    for s in services {
        s.start(settings, own, &mut mount).await?;
    }
    probity_common::server::serve(settings, verifier, listener, mount, shutdown).await
}

#[cfg(test)]
mod tests {
    use probity_accountability::settings::AccountabilitySettings;
    use probity_intake::settings::IntakeSettings;

    use super::*;

    fn peers_of(s: &Settings, target: Target) -> anyhow::Result<()> {
        peers_configured(s, &target.services()?)
    }

    #[test]
    fn a_role_alone_is_told_where_its_peers_are() {
        let mut s = Settings::default();
        assert!(peers_of(&s, Target::All).is_ok());
        assert!(peers_of(&s, Target::Only("registry")).is_ok());
        let e = peers_of(&s, Target::Only("intake")).unwrap_err();
        assert!(e.to_string().contains("intake.registry_endpoint"), "{e}");
        s.section_mut::<IntakeSettings>().registry_endpoint = "http://registry:50051".into();
        let e = peers_of(&s, Target::Only("intake")).unwrap_err();
        assert!(e.to_string().contains("intake.draws_endpoint"), "{e}");
        s.section_mut::<IntakeSettings>().draws_endpoint = "http://draws:50051".into();
        assert!(peers_of(&s, Target::Only("intake")).is_ok());
        s.section_mut::<AccountabilitySettings>().registry_endpoint =
            "http://registry:50051".into();
        let e = peers_of(&s, Target::Only("accountability")).unwrap_err();
        assert!(
            e.to_string().contains("accountability.intake_endpoint"),
            "{e}"
        );
        assert!(
            peers_of(&s, Target::Only("nothing")).is_err(),
            "a target no service answers to"
        );
    }

    #[test]
    fn every_service_is_a_target_and_a_section() {
        use clap::ValueEnum;
        let names: Vec<String> = Target::value_variants()
            .iter()
            .map(|t| t.to_string())
            .collect();
        assert_eq!(
            names,
            [
                "all",
                "registry",
                "intake",
                "accountability",
                "rankings",
                "draws"
            ]
        );
        let sections: Vec<&str> = sections().iter().map(|k| k.name).collect();
        for name in ["registry", "intake", "accountability", "rankings", "draws"] {
            assert!(sections.contains(&name), "{name}: {sections:?}");
        }
    }

    fn example_path() -> std::path::PathBuf {
        std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/probity.example.toml"))
    }

    /// The example documents every key, with its default value.
    #[test]
    fn example_is_complete_and_matches_defaults() {
        let known = known();
        let from_example = Settings::load_from(Some(&example_path()), [], &known).unwrap();
        let defaults = Settings::load_from(None, [], &known).unwrap();
        assert_eq!(
            serde_json::to_value(&from_example).unwrap(),
            serde_json::to_value(&defaults).unwrap(),
            "probity.example.toml must show the defaults"
        );
        let file: toml::Table = toml::from_str(probity_common::config::EXAMPLE).unwrap();
        let defaults = serde_json::to_value(&defaults).unwrap();
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
        for section in ["registry", "intake", "accountability", "rankings", "draws"] {
            assert!(
                all.iter().any(|k| k.starts_with(&format!("{section}."))),
                "{section} is among the keys checked"
            );
        }
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
