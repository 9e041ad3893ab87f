//! The accountability service (行政执法责任追究): cases against bodies and
//! officers on the grounds of Art. 10, 11, 19 and 20, graded by Art. 21,
//! decided by the legal-affairs office; sanctions whose effects reach the
//! registry through an outbox; correction orders (Art. 10) and
//! commendations (Art. 6).
use std::sync::Arc;

use probity_common::{
    service::{Opened, PeerSetting, Routes, Service},
    store::Store,
};
use probity_proto::accountability::v1::accountability_service_server::AccountabilityServiceServer;
use tokio::sync::Notify;

mod api;
pub(crate) mod cases;
pub mod catalogue;
pub mod deadline;
pub mod effects;
pub(crate) mod eligibility;
pub(crate) mod finding_sweep;
mod lifecycle;
pub mod migration;
pub mod notices;
pub mod peers;
pub mod policy;
pub mod referrals;
pub mod rights;
pub mod settings;
pub mod severity;
pub mod store;
pub(crate) mod sweep;

pub use migration::Migrator;
use settings::AccountabilitySettings;

/// The service's state, shared by its handlers and background tasks.
pub struct Accountability {
    pub(crate) store: Store,
    pub(crate) peers: peers::Peers,
    pub(crate) settings: AccountabilitySettings,
    /// Wakes the outbox dispatcher when effects are written.
    pub(crate) wake: Arc<Notify>,
    /// Wakes the notices dispatcher when a notice is queued.
    pub(crate) notices_wake: Arc<Notify>,
    /// The notices' PDF font, read on the first PDF asked for.
    pub(crate) notice_font: std::sync::OnceLock<Result<notices::pdf::NoticeFont, String>>,
}

impl Service for Accountability {
    const NAME: &'static str = "accountability";
    type Settings = AccountabilitySettings;
    type Migrator = Migrator;
    const POLICY: &'static [(&'static str, probity_common::auth::Access)] = policy::POLICY;
    const PEERS: &'static [PeerSetting] = &[
        PeerSetting {
            key: "registry_endpoint",
            service: "registry",
        },
        PeerSetting {
            key: "intake_endpoint",
            service: "intake",
        },
    ];
    const AUDIT_ANCHORS: &'static [probity_common::audit::Anchor] = migration::AUDIT_ANCHORS;
    const AUDIT_RECORDS: Option<probity_common::audit::RecordCheck> =
        Some(store::recorded::check_records);

    /// Starts the outbox dispatcher and the overdue-order sweep (they stop
    /// when it is dropped).
    async fn open(o: Opened<'_, Self>) -> anyhow::Result<Arc<Accountability>> {
        let acc = Arc::new(Accountability {
            peers: peers::Peers::new(o.settings, o.own)?,
            store: o.store,
            settings: o.section,
            wake: Arc::new(Notify::new()),
            notices_wake: Arc::new(Notify::new()),
            notice_font: std::sync::OnceLock::new(),
        });
        effects::start(&acc);
        notices::dispatch::start(&acc);
        sweep::start(&acc);
        Ok(acc)
    }

    fn routes(self: &Arc<Self>, routes: &mut Routes<'_>) {
        let max = routes.max_request_bytes();
        routes.add(
            AccountabilityServiceServer::new(api::AccountabilityApi(self.clone()))
                .max_decoding_message_size(max),
        );
    }

    fn store(&self) -> &Store {
        &self.store
    }
}
