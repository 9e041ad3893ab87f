//! Double random, one public (双随机一公开): a draw of targets and inspectors
//! that anyone can recompute from its published record.
//!
//! The procedure is written down in docs/draws.md; `lists`, `sampler`,
//! `select` and `record` are its one implementation, used by the service
//! (the rest of this crate: units' target lists and plans, the commit,
//! public value and reveal, the record published) and by
//! `probity draw verify`, which checks a record offline.
use std::sync::Arc;

use probity_common::{
    service::{Opened, PeerSetting, Routes, Service},
    store::Store,
};
use probity_proto::draws::v1::{
    draws_service_server::DrawsServiceServer, public_draws_service_server::PublicDrawsServiceServer,
};

pub mod lists;
pub mod record;
pub mod sampler;
pub mod select;

mod api;
pub mod migration;
mod peers;
pub mod policy;
pub mod settings;
mod store;

pub use lists::{Conflict, Inspector, Pair, RiskClass, Target};
pub use migration::Migrator;
pub use record::{DrawRecord, Mismatch, verify};
pub use select::{Assignment, DrawError, Parameters, draw};

/// The draws service: its store, its settings and the registry.
pub struct Draws {
    pub(crate) store: Store,
    pub(crate) settings: settings::DrawsSettings,
    pub(crate) peers: peers::Peers,
}

impl Service for Draws {
    const NAME: &'static str = "draws";
    type Settings = settings::DrawsSettings;
    type Migrator = Migrator;
    const POLICY: &'static [(&'static str, probity_common::auth::Access)] = policy::POLICY;
    const PEERS: &'static [PeerSetting] = &[PeerSetting {
        key: "registry_endpoint",
        service: "registry",
    }];

    async fn open(o: Opened<'_, Self>) -> anyhow::Result<Arc<Draws>> {
        let peers = peers::Peers::new(o.settings, &o.section, o.own)?;
        Ok(Arc::new(Draws {
            store: o.store,
            settings: o.section,
            peers,
        }))
    }

    fn routes(self: &Arc<Self>, routes: &mut Routes<'_>) {
        // A target list of 100,000 codes is a few MiB: the server's request
        // limit bounds it, like every message.
        let max = routes.max_request_bytes();
        routes.add(
            DrawsServiceServer::new(api::DrawsApi(self.clone()))
                .max_decoding_message_size(max)
                .max_encoding_message_size(64 * 1024 * 1024),
        );
        routes.add(
            PublicDrawsServiceServer::new(api::PublicDrawsApi(self.clone()))
                .max_encoding_message_size(64 * 1024 * 1024),
        );
    }

    fn store(&self) -> &Store {
        &self.store
    }
}
