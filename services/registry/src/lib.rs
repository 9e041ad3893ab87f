//! The registry service: enforcement bodies (行政执法主体), their units and
//! posts, the power-and-responsibility lists (权责清单), officers and
//! auxiliary staff, enforcement credentials (行政执法证件), and the
//! CheckActors question every other service asks.
use std::sync::Arc;

use probity_common::{
    service::{Opened, Routes, Service},
    store::Store,
};
use probity_proto::registry::v1::{
    public_registry_service_server::PublicRegistryServiceServer,
    registry_service_server::RegistryServiceServer,
};

mod api;
mod convert;
pub mod eligibility;
pub mod major;
pub mod mask;
pub mod migration;
pub mod national_id;
pub mod policy;
mod scope;
pub mod settings;
pub mod snapshot;
pub mod store;
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

impl Service for Registry {
    const NAME: &'static str = "registry";
    type Settings = settings::RegistrySettings;
    type Migrator = Migrator;
    const POLICY: &'static [(&'static str, probity_common::auth::Access)] = policy::POLICY;

    /// Loads the national-ID key (checked against the database) and keeps
    /// the snapshot fresh.
    async fn open(o: Opened<'_, Self>) -> anyhow::Result<Arc<Registry>> {
        let national_id_key = o.section.national_id_key(o.settings).load()?;
        o.store
            .ensure_key("registry.national_id_key_file", &national_id_key)
            .await?;
        let staleness_ms = o.section.snapshot_max_staleness_ms;
        let registry = Arc::new(Registry {
            store: o.store,
            national_id_key,
            default_min_qualified: o.section.default_min_qualified,
            backdate_grace_us: o.section.backdate_grace_us(),
            cache: snapshot::Cache::new(std::time::Duration::from_millis(staleness_ms)),
        });
        let every = std::time::Duration::from_millis(staleness_ms / 2)
            .max(std::time::Duration::from_millis(1));
        snapshot::Cache::keep_fresh(
            Arc::downgrade(&registry),
            |r: &Registry| (&r.cache, &r.store),
            every,
        );
        Ok(registry)
    }

    fn routes(self: &Arc<Self>, routes: &mut Routes<'_>) {
        let max = routes.max_request_bytes();
        routes
            .add(
                RegistryServiceServer::new(api::RegistryApi(self.clone()))
                    .max_decoding_message_size(max),
            )
            .add(
                PublicRegistryServiceServer::new(api::PublicApi(self.clone()))
                    .max_decoding_message_size(max),
            );
    }

    fn store(&self) -> &Store {
        &self.store
    }
}
