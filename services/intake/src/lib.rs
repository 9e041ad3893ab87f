//! The intake service (执法数据归集): facts from departmental case-handling
//! systems, checked against the registry and the draws service (over gRPC)
//! and the regulation,
//! stored with their findings, never overwritten, and exported to the
//! nightly rankings.
use std::sync::Arc;

use probity_common::{
    service::{Opened, PeerSetting, Routes, Service},
    store::Store,
};
use probity_proto::intake::v1::{
    intake_service_server::IntakeServiceServer,
    public_inspections_service_server::PublicInspectionsServiceServer,
};

mod api;
pub mod checks;
pub mod draw_match;
pub mod draws_peer;
pub mod fact_columns;
pub mod finding_states;
pub mod findings;
pub mod inaction;
pub mod migration;
pub mod peers;
pub mod policy;
pub mod reporters;
pub mod screening;
pub mod settings;
pub mod store;
pub mod writer;

pub use migration::Migrator;

/// The service's state, shared by its handlers.
pub struct Intake {
    pub(crate) store: Store,
    pub(crate) peers: peers::Peers,
    /// The draws service, for the draws inspections cite.
    pub(crate) draws: draws_peer::DrawsPeer,
    pub(crate) writer: writer::Writer,
    pub(crate) batch_max: usize,
    /// What one SubmitFacts stream, and one caller's streams, may hold.
    pub(crate) stream_bounds: StreamBounds,
    pub(crate) open_streams: Arc<api::stream_bounds::OpenStreams>,
    /// An open matter is YELLOW in the last this many days of its limit.
    pub(crate) inaction_warn_days: u32,
}

/// The settings that bound SubmitFacts streams (`intake.stream_*`).
pub(crate) struct StreamBounds {
    pub buffer_bytes: usize,
    pub ack_timeout: std::time::Duration,
    pub max_per_caller: usize,
}

impl Service for Intake {
    const NAME: &'static str = "intake";
    type Settings = settings::IntakeSettings;
    type Migrator = Migrator;
    const POLICY: &'static [(&'static str, probity_common::auth::Access)] = policy::POLICY;
    const PEERS: &'static [PeerSetting] = &[
        PeerSetting {
            key: "registry_endpoint",
            service: "registry",
        },
        PeerSetting {
            key: "draws_endpoint",
            service: "draws",
        },
    ];
    const AUDIT_ANCHORS: &'static [probity_common::audit::Anchor] = migration::AUDIT_ANCHORS;

    /// Starts the writer, the line to the registry and the inaction sweep.
    async fn open(o: Opened<'_, Self>) -> anyhow::Result<Arc<Intake>> {
        let peers = peers::Peers::new(o.settings, o.own)?;
        let draws = draws_peer::DrawsPeer::new(o.settings, o.own)?;
        let writer = writer::Writer::start(o.store.clone(), o.section.batch_max_facts);
        let intake = Arc::new(Intake {
            store: o.store,
            peers,
            draws,
            writer,
            batch_max: o.section.batch_max_facts,
            stream_bounds: StreamBounds {
                buffer_bytes: o.section.stream_buffer_bytes,
                ack_timeout: std::time::Duration::from_millis(o.section.stream_ack_timeout_ms),
                max_per_caller: o.section.max_streams_per_caller,
            },
            open_streams: Arc::default(),
            inaction_warn_days: o.section.inaction_warn_days,
        });
        inaction::start(
            &intake,
            std::time::Duration::from_millis(o.section.inaction_sweep_interval_ms),
        );
        Ok(intake)
    }

    fn routes(self: &Arc<Self>, routes: &mut Routes<'_>) {
        let max = routes.max_request_bytes();
        routes.add(
            IntakeServiceServer::new(api::IntakeApi(self.clone())).max_decoding_message_size(max),
        );
        routes.add(PublicInspectionsServiceServer::new(
            api::public_results::PublicInspectionsApi(self.clone()),
        ));
    }

    fn store(&self) -> &Store {
        &self.store
    }
}
