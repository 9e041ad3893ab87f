//! The intake service (执法数据归集): facts from departmental case-handling
//! systems, checked against the registry (over gRPC) and the regulation,
//! stored with their findings, never overwritten, and exported to the
//! nightly rankings.
use std::{net::SocketAddr, sync::Arc};

use probity_common::{audit::Chain, config::Settings, server::Mount, store::Store};
use probity_proto::intake::v1::intake_service_server::IntakeServiceServer;

mod api;
pub mod finding_states;
pub mod findings;
pub mod link;
pub mod migration;
pub mod policy;
pub mod prepare;
pub mod reporters;
pub mod tables;
pub mod writer;

pub use migration::Migrator;
/// The finding catalogue, shared with the rankings job (`probity-rules`).
pub use probity_rules::catalogue as rules;

/// The service's state, shared by its handlers.
pub struct Intake {
    pub(crate) store: Store,
    pub(crate) link: link::RegistryLink,
    pub(crate) writer: writer::Writer,
    pub(crate) batch_max: usize,
}

impl Intake {
    /// Connects, migrates unless told not to, and starts the writer. `own`
    /// is this process's listening address (the registry's, when it runs here).
    pub async fn open(settings: &Settings, own: SocketAddr) -> anyhow::Result<Arc<Intake>> {
        // Intake's lookups are a few keys against tables that grow fast: before
        // autovacuum has analyzed a fresh table the planner would scan it once
        // per key (2 s a batch, measured). Index paths exist for every query.
        let db = probity_common::db::connect_with(
            &settings.database_url("intake"),
            settings,
            &[("enable_seqscan", "off")],
        )
        .await?;
        if settings.database.run_migrations {
            probity_common::db::migrate::<Migrator>(&db).await?;
        }
        let audit_key = settings.audit_key().load()?;
        let store = Store::new(
            db,
            Chain::new("intake", audit_key.clone()).with_anchors(migration::AUDIT_ANCHORS),
        );
        store.ensure_key("audit.key_file", &audit_key).await?;
        let link = link::RegistryLink::new(settings, own)?;
        let writer = writer::Writer::start(store.clone(), settings.intake.batch_max_facts);
        Ok(Arc::new(Intake {
            store,
            link,
            writer,
            batch_max: settings.intake.batch_max_facts,
        }))
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Puts intake's service, its audit chain and its policy on a server.
    pub fn mount(self: &Arc<Self>, settings: &Settings, mount: &mut Mount) {
        let max = settings.server.max_request_bytes;
        mount.routes.add_service(
            IntakeServiceServer::new(api::IntakeApi(self.clone())).max_decoding_message_size(max),
        );
        mount
            .services
            .push(<IntakeServiceServer<api::IntakeApi> as tonic::server::NamedService>::NAME);
        mount.databases.push(self.store.db.clone());
        mount.audit_chains.push(("intake", self.store.clone()));
        mount.policy.extend(policy::POLICY.iter().copied());
    }
}
