//! The registry service: enforcement bodies (行政执法主体), their units and
//! posts, the power-and-responsibility lists (权责清单), officers and
//! auxiliary staff, enforcement credentials (行政执法证件), and the
//! CheckActors question every other service asks.
use std::sync::Arc;

use probity_common::{audit::Chain, config::Settings, server::Mount, store::Store};
use probity_proto::registry::v1::{
    public_registry_service_server::PublicRegistryServiceServer,
    registry_service_server::RegistryServiceServer,
};

mod api;
pub mod check;
mod convert;
pub mod entities;
pub mod major;
pub mod mask;
pub mod migration;
pub mod national_id;
pub mod policy;
mod scope;
pub mod snapshot;
pub mod temporal;

pub use migration::Migrator;

/// The service's state, shared by its handlers.
pub struct Registry {
    pub(crate) store: Store,
    pub(crate) national_id_key: Vec<u8>,
    pub(crate) default_min_qualified: u32,
    pub(crate) cache: snapshot::Cache,
    /// How far back a department may date a change (registry.backdate_grace).
    pub(crate) backdate_grace_us: i64,
}

impl Registry {
    /// Connects, migrates unless told not to, and loads the keys.
    pub async fn open(settings: &Settings) -> anyhow::Result<Arc<Registry>> {
        let db = probity_common::db::connect(&settings.database_url("registry"), settings).await?;
        if settings.database.run_migrations {
            probity_common::db::migrate::<Migrator>(&db).await?;
        }
        let audit_key = settings.audit_key().load()?;
        let national_id_key = settings.national_id_key().load()?;
        let store = Store::new(db, Chain::new("registry", audit_key.clone()));
        store.ensure_key("audit.key_file", &audit_key).await?;
        store
            .ensure_key("registry.national_id_key_file", &national_id_key)
            .await?;
        let registry = Arc::new(Registry {
            store,
            national_id_key,
            default_min_qualified: settings.registry.default_min_qualified,
            backdate_grace_us: settings.registry.backdate_grace_us(),
            cache: snapshot::Cache::new(std::time::Duration::from_millis(
                settings.registry.snapshot_max_staleness_ms,
            )),
        });
        let every =
            std::time::Duration::from_millis(settings.registry.snapshot_max_staleness_ms / 2)
                .max(std::time::Duration::from_millis(1));
        snapshot::Cache::keep_fresh(
            Arc::downgrade(&registry),
            |r: &Registry| (&r.cache, &r.store),
            every,
        );
        Ok(registry)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Puts the registry's services, its audit API and its policy on a server.
    pub fn mount(self: &Arc<Self>, settings: &Settings, mount: &mut Mount) {
        let max = settings.server.max_request_bytes;
        mount.routes.add_service(
            RegistryServiceServer::new(api::RegistryApi(self.clone()))
                .max_decoding_message_size(max),
        );
        mount.routes.add_service(
            PublicRegistryServiceServer::new(api::PublicApi(self.clone()))
                .max_decoding_message_size(max),
        );
        mount
            .services
            .push(<RegistryServiceServer<api::RegistryApi> as tonic::server::NamedService>::NAME);
        mount.services.push(
            <PublicRegistryServiceServer<api::PublicApi> as tonic::server::NamedService>::NAME,
        );
        mount.databases.push(self.store.db.clone());
        mount.audit_chains.push(("registry", self.store.clone()));
        mount.policy.extend(policy::POLICY.iter().copied());
    }
}
