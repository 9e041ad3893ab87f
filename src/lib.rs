//! The `probity` binary's roles, as a library so tests start the same servers.
use std::{future::Future, sync::Arc};

use probity_common::{auth::Verifier, config::Settings, server::Mount};

/// Which services one process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// Every service in one process (development, small sites).
    All,
    /// The registry alone.
    Registry,
    /// Intake alone (it calls the registry at intake.registry_endpoint).
    Intake,
    /// Accountability alone (it calls the registry and intake at
    /// accountability.registry_endpoint and intake_endpoint).
    Accountability,
    /// The rankings the nightly job records, served to readers.
    Rankings,
}

impl Target {
    pub fn runs_registry(self) -> bool {
        matches!(self, Target::All | Target::Registry)
    }
    pub fn runs_intake(self) -> bool {
        matches!(self, Target::All | Target::Intake)
    }
    pub fn runs_accountability(self) -> bool {
        matches!(self, Target::All | Target::Accountability)
    }
    pub fn runs_rankings(self) -> bool {
        matches!(self, Target::All | Target::Rankings)
    }
}

/// Runs every migration `target` owns. Its pools are closed, not only
/// dropped: a SQLite file's checkpointer holds the pool it was started on
/// until that pool is closed (see `probity_common::db`).
pub async fn migrate(settings: &Settings, target: Target) -> anyhow::Result<()> {
    if target.runs_registry() {
        let db = probity_common::db::connect(&settings.migrate_url("registry"), settings).await?;
        probity_common::db::migrate::<probity_registry::Migrator>(&db).await?;
        db.close().await?;
    }
    if target.runs_intake() {
        let db = probity_common::db::connect(&settings.migrate_url("intake"), settings).await?;
        probity_common::db::migrate::<probity_intake::Migrator>(&db).await?;
        db.close().await?;
    }
    if target.runs_accountability() {
        let db =
            probity_common::db::connect(&settings.migrate_url("accountability"), settings).await?;
        probity_common::db::migrate::<probity_accountability::Migrator>(&db).await?;
        db.close().await?;
    }
    if target.runs_rankings() {
        let db = probity_common::db::connect(&settings.migrate_url("rankings"), settings).await?;
        probity_common::db::migrate::<probity_rankings_service::Migrator>(&db).await?;
        db.close().await?;
    }
    Ok(())
}

/// A service calls its peers at their configured endpoints, or in this
/// process when none is set: a role that calls a service it does not run
/// must be told where that service is, or it would call itself, find no
/// such service, and refuse (intake every fact, accountability every
/// sanction). Refused at startup instead.
fn peers_configured(settings: &Settings, target: Target) -> anyhow::Result<()> {
    let needs = [
        (
            target == Target::Intake,
            "intake.registry_endpoint",
            &settings.intake.registry_endpoint,
        ),
        (
            target == Target::Accountability,
            "accountability.registry_endpoint",
            &settings.accountability.registry_endpoint,
        ),
        (
            target == Target::Accountability,
            "accountability.intake_endpoint",
            &settings.accountability.intake_endpoint,
        ),
    ];
    for (needed, key, endpoint) in needs {
        anyhow::ensure!(
            !needed || !endpoint.is_empty(),
            "{key} must be set: --target {target:?} does not run that service in this process"
        );
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
    peers_configured(settings, target)?;
    let verifier = Arc::new(Verifier::from_settings(settings)?);
    let mut mount = Mount::default();
    if target.runs_registry() {
        let registry = probity_registry::Registry::open(settings).await?;
        registry.mount(settings, &mut mount);
    }
    if target.runs_intake() {
        let intake = probity_intake::Intake::open(settings, listener.local_addr()?).await?;
        intake.mount(settings, &mut mount);
    }
    if target.runs_accountability() {
        let acc =
            probity_accountability::Accountability::open(settings, listener.local_addr()?).await?;
        acc.mount(settings, &mut mount);
    }
    if target.runs_rankings() {
        let r = probity_rankings_service::Rankings::open(settings).await?;
        r.mount(settings, &mut mount);
    }
    probity_common::server::serve(settings, verifier, listener, mount, shutdown).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_alone_is_told_where_its_peers_are() {
        let mut s = Settings::default();
        assert!(peers_configured(&s, Target::All).is_ok());
        assert!(peers_configured(&s, Target::Registry).is_ok());
        let e = peers_configured(&s, Target::Intake).unwrap_err();
        assert!(e.to_string().contains("intake.registry_endpoint"), "{e}");
        s.intake.registry_endpoint = "http://registry:50051".into();
        assert!(peers_configured(&s, Target::Intake).is_ok());
        s.accountability.registry_endpoint = "http://registry:50051".into();
        let e = peers_configured(&s, Target::Accountability).unwrap_err();
        assert!(
            e.to_string().contains("accountability.intake_endpoint"),
            "{e}"
        );
    }
}
