//! The rankings service (考核结果): the runs the nightly rankings job
//! records and the rankings they found, served to leadership, departments
//! (their own subtree) and accountability over gRPC.
use std::sync::Arc;

use probity_common::{
    section::NoSettings,
    service::{Opened, Routes, Service},
    store::Store,
};
use probity_proto::rankings::v1::rankings_service_server::RankingsServiceServer;

mod api;
pub mod migration;
pub mod policy;
mod runs;
mod store;

pub use migration::Migrator;

pub struct Rankings {
    pub(crate) store: Store,
}

/// The `[rankings]` section is the job's (`probity_rankings::settings`):
/// the service has no settings of its own.
impl Service for Rankings {
    const NAME: &'static str = "rankings";
    type Settings = NoSettings;
    type Migrator = Migrator;
    const POLICY: &'static [(&'static str, probity_common::auth::Access)] = policy::POLICY;

    async fn open(o: Opened<'_, Self>) -> anyhow::Result<Arc<Rankings>> {
        Ok(Arc::new(Rankings { store: o.store }))
    }

    fn routes(self: &Arc<Self>, routes: &mut Routes<'_>) {
        // A run's rows come as a stream of batches; each message is bounded
        // by the server's request limit, the stream is not.
        let max = routes.max_request_bytes();
        routes.add(
            RankingsServiceServer::new(api::RankingsApi(self.clone()))
                .max_decoding_message_size(max),
        );
    }

    fn store(&self) -> &Store {
        &self.store
    }
}
