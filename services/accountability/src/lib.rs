//! The accountability service (行政执法责任追究): cases against bodies and
//! officers on the grounds of Art. 10, 11, 19 and 20, graded by Art. 21,
//! decided by the legal-affairs office; sanctions whose effects reach the
//! registry through an outbox; correction orders (Art. 10) and
//! commendations (Art. 6).
use std::{net::SocketAddr, sync::Arc};

use probity_common::{
    audit::Chain,
    config::{AccountabilitySettings, Settings},
    server::Mount,
    store::Store,
};
use probity_proto::accountability::v1::accountability_service_server::AccountabilityServiceServer;
use tokio::sync::Notify;

mod api;
mod cases;
pub mod catalogue;
pub mod deadline;
pub mod effects;
pub(crate) mod finding_sweep;
pub mod migration;
pub mod peers;
pub mod policy;
pub mod records;
pub mod severity;
pub(crate) mod sweep;

pub use migration::Migrator;

/// The service's state, shared by its handlers and background tasks.
pub struct Accountability {
    pub(crate) store: Store,
    pub(crate) peers: peers::Peers,
    pub(crate) settings: AccountabilitySettings,
    /// Wakes the outbox dispatcher when effects are written.
    pub(crate) wake: Arc<Notify>,
}

impl Accountability {
    /// Connects, migrates unless told not to, and starts the outbox
    /// dispatcher and the overdue-order sweep (they stop when it is dropped).
    /// `own` is this process's address, for peers that run here.
    pub async fn open(settings: &Settings, own: SocketAddr) -> anyhow::Result<Arc<Accountability>> {
        let db =
            probity_common::db::connect(&settings.database_url("accountability"), settings).await?;
        if settings.database.run_migrations {
            probity_common::db::migrate::<Migrator>(&db).await?;
        }
        let audit_key = settings.audit_key().load()?;
        let store = Store::new(
            db,
            Chain::new("accountability", audit_key.clone()).with_anchors(migration::AUDIT_ANCHORS),
        );
        store.ensure_key("audit.key_file", &audit_key).await?;
        let acc = Arc::new(Accountability {
            store,
            peers: peers::Peers::new(settings, own)?,
            settings: settings.accountability.clone(),
            wake: Arc::new(Notify::new()),
        });
        effects::start(&acc);
        sweep::start(&acc);
        Ok(acc)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Puts the service, its audit chain and its policy on a server.
    pub fn mount(self: &Arc<Self>, settings: &Settings, mount: &mut Mount) {
        let max = settings.server.max_request_bytes;
        mount.routes.add_service(
            AccountabilityServiceServer::new(api::AccountabilityApi(self.clone()))
                .max_decoding_message_size(max),
        );
        mount.services.push(
            <AccountabilityServiceServer<api::AccountabilityApi> as tonic::server::NamedService>::NAME,
        );
        mount.databases.push(self.store.db.clone());
        mount
            .audit_chains
            .push(("accountability", self.store.clone()));
        mount.policy.extend(policy::POLICY.iter().copied());
    }
}
