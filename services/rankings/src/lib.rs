//! The rankings service (考核结果): the runs the nightly rankings job
//! records and the rankings they found, served to leadership, departments
//! (their own subtree) and accountability over gRPC; and the superior
//! assessments of vertically managed bodies the legal-affairs office
//! records beside them (Art. 4).
use std::sync::Arc;

use probity_common::{
    service::{Opened, PeerSetting, Routes, Service},
    store::Store,
};
use probity_proto::rankings::v1::rankings_service_server::RankingsServiceServer;

mod api;
pub mod migration;
mod peers;
pub mod policy;
mod runs;
pub mod settings;
mod store;

pub use migration::Migrator;

pub struct Rankings {
    pub(crate) store: Store,
    pub(crate) peers: peers::Peers,
    /// `rankings.today` (tests): the calendar RecordRun bounds runs by.
    pub(crate) today: Option<chrono::NaiveDate>,
}

/// The `[rankings]` section is shared with the nightly job
/// (`probity_rankings::settings` re-exports it): the service reads the
/// registry's endpoint and the token from it.
impl Service for Rankings {
    const NAME: &'static str = "rankings";
    type Settings = settings::RankingsSettings;
    type Migrator = Migrator;
    const POLICY: &'static [(&'static str, probity_common::auth::Access)] = policy::POLICY;
    const PEERS: &'static [PeerSetting] = &[PeerSetting {
        key: "registry_endpoint",
        service: "registry",
    }];

    async fn open(o: Opened<'_, Self>) -> anyhow::Result<Arc<Rankings>> {
        let peers = peers::Peers::new(o.settings, &o.section, o.own)?;
        let rankings = Arc::new(Rankings {
            store: o.store,
            peers,
            today: o.section.today,
        });
        last_run_gauge(Arc::downgrade(&rankings));
        Ok(rankings)
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

/// How often the last recorded run is read for its gauge: another replica
/// may have recorded it.
const LAST_RUN_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Keeps `probity.rankings.last_run.time` current while the service lives
/// (the alert on a job that has not succeeded reads it).
fn last_run_gauge(rankings: std::sync::Weak<Rankings>) {
    tokio::spawn(async move {
        loop {
            let Some(r) = rankings.upgrade() else { return };
            match store::last_recorded(&r.store.db).await {
                Ok(Some(us)) => probity_common::telemetry::ops::rankings_last_run(us as f64 / 1e6),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "could not read the last recorded run"),
            }
            drop(r);
            tokio::time::sleep(LAST_RUN_EVERY).await;
        }
    });
}
