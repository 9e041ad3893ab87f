//! The rankings service (考核结果): the runs the nightly rankings job
//! records and the rankings they found, served to leadership, departments
//! (their own subtree) and accountability over gRPC.
use std::sync::Arc;

use probity_common::{audit::Chain, config::Settings, server::Mount, store::Store};
use probity_proto::rankings::v1::rankings_service_server::RankingsServiceServer;

mod api;
pub mod migration;
pub mod policy;

pub use migration::Migrator;

pub struct Rankings {
    pub(crate) store: Store,
}

impl Rankings {
    pub async fn open(settings: &Settings) -> anyhow::Result<Arc<Rankings>> {
        let db = probity_common::db::connect(&settings.database_url("rankings"), settings).await?;
        if settings.database.run_migrations {
            probity_common::db::migrate::<Migrator>(&db).await?;
        }
        let key = settings.audit_key().load()?;
        let store = Store::new(db, Chain::new("rankings", key.clone()));
        store.ensure_key("audit.key_file", &key).await?;
        Ok(Arc::new(Rankings { store }))
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn mount(self: &Arc<Self>, settings: &Settings, mount: &mut Mount) {
        // A run's rows come as a stream of batches; each message is bounded
        // by the server's request limit, the stream is not.
        let max = settings.server.max_request_bytes;
        mount.routes.add_service(
            RankingsServiceServer::new(api::RankingsApi(self.clone()))
                .max_decoding_message_size(max),
        );
        mount
            .services
            .push(<RankingsServiceServer<api::RankingsApi> as tonic::server::NamedService>::NAME);
        mount.databases.push(self.store.db.clone());
        mount.audit_chains.push(("rankings", self.store.clone()));
        mount.policy.extend(policy::POLICY.iter().copied());
    }
}
