//! The contract every service keeps with the process that runs it: its name,
//! settings section, migrations, peers, and how it opens and mounts. What
//! every service did alike (connect, migrate, the audit chain and its key,
//! health, databases, policy) is done here once; a service adds only its
//! own state and routes. [`Listed`] is a service as a process's list of
//! services holds it (`src/lib.rs`), its type erased.
use std::{future::Future, net::SocketAddr, sync::Arc};

use futures::future::BoxFuture;
use sea_orm_migration::MigratorTrait;

use crate::{
    audit::{Anchor, Chain, RecordCheck},
    auth::Access,
    config::Settings,
    db,
    section::{Section, SectionKind},
    server::Mount,
    store::Store,
};

/// One service of the suite.
pub trait Service: Send + Sync + Sized + 'static {
    /// The `--target` value; also its database (`database.<NAME>_url`, else
    /// `<NAME>.db`), its tables' prefix and its audit chain's name.
    const NAME: &'static str;
    /// Its settings section (`[NAME]`), or [`NoSettings`](crate::section::NoSettings).
    type Settings: Section;
    /// Its migrations; the first is `SharedTables::new(NAME)`.
    type Migrator: MigratorTrait;
    /// Who may call each of its methods ([`policy!`](crate::policy)).
    const POLICY: &'static [(&'static str, Access)];
    /// The services it calls and the keys of its section naming where they are.
    const PEERS: &'static [PeerSetting] = &[];
    /// Its rows that name audit entries ([`Chain::with_anchors`]).
    const AUDIT_ANCHORS: &'static [Anchor] = &[];
    /// Checks its rows against the entries that vouch for them ([`Chain::with_records`]).
    const AUDIT_RECORDS: Option<RecordCheck> = None;

    /// Builds its state on the store common opened: background tasks, keys
    /// of its own, clients of its peers.
    fn open(opened: Opened<'_, Self>) -> impl Future<Output = anyhow::Result<Arc<Self>>> + Send;

    /// Its gRPC services.
    fn routes(self: &Arc<Self>, routes: &mut Routes<'_>);

    /// The store it was opened with.
    fn store(&self) -> &Store;
}

/// A peer a service calls: `key` of its section holds the endpoint of
/// `service`. Empty means "in this process", so a process that does not run
/// `service` must set it.
#[derive(Debug, Clone, Copy)]
pub struct PeerSetting {
    pub key: &'static str,
    pub service: &'static str,
}

/// What common opened for a service: its store (connected, migrated unless
/// `database.run_migrations` is false, audit key checked) and its section.
pub struct Opened<'a, S: Service> {
    pub settings: &'a Settings,
    pub section: S::Settings,
    pub store: Store,
    /// This process's listening address: where peers that run here are called.
    pub own: SocketAddr,
}

/// Where a service puts its gRPC services.
pub struct Routes<'a> {
    mount: &'a mut Mount,
    max_request_bytes: usize,
}

impl Routes<'_> {
    /// `server.max_request_bytes`, for each service's decoding limit.
    pub fn max_request_bytes(&self) -> usize {
        self.max_request_bytes
    }

    /// Serves `svc` and reports its health under its name.
    pub fn add<T>(&mut self, svc: T) -> &mut Self
    where
        T: tower::Service<
                http::Request<tonic::body::Body>,
                Response = http::Response<tonic::body::Body>,
                Error = std::convert::Infallible,
            > + tonic::server::NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        T::Future: Send + 'static,
    {
        self.mount.routes.add_service(svc);
        self.mount.services.push(T::NAME);
        self
    }
}

/// Connects, migrates unless told not to, opens the audit chain and checks
/// its key, then lets the service build on that. `own` is this process's
/// address (peers that run here are called there).
pub async fn open<S: Service>(settings: &Settings, own: SocketAddr) -> anyhow::Result<Arc<S>> {
    let db = db::connect(&settings.database_url(S::NAME), settings).await?;
    if settings.database.run_migrations {
        db::migrate::<S::Migrator>(&db).await?;
    }
    let audit_key = settings.audit_key().load()?;
    let chain = Chain::new(S::NAME, audit_key.clone())
        .with_anchors(S::AUDIT_ANCHORS)
        .with_records(S::AUDIT_RECORDS);
    let store = Store::new(db, chain);
    store.ensure_key("audit.key_file", &audit_key).await?;
    S::open(Opened {
        settings,
        section: settings.section::<S::Settings>().into_owned(),
        store,
        own,
    })
    .await
}

/// Puts a service's routes, health names, database, audit chain and policy
/// on a server.
pub fn mount<S: Service>(service: &Arc<S>, settings: &Settings, mount: &mut Mount) {
    service.routes(&mut Routes {
        mount,
        max_request_bytes: settings.server.max_request_bytes,
    });
    let store = service.store();
    mount.databases.push(store.db.clone());
    mount.audit_chains.push((S::NAME, store.clone()));
    mount.policy.extend(S::POLICY.iter().copied());
}

/// Applies a service's migrations through `database.migrate_url` where it
/// applies. The pool is closed, not only dropped: a SQLite file's
/// checkpointer holds the pool it was started on until that pool is closed
/// (see `db`).
pub async fn migrate<S: Service>(settings: &Settings) -> anyhow::Result<()> {
    let db = db::connect(&settings.migrate_url(S::NAME), settings).await?;
    db::migrate::<S::Migrator>(&db).await?;
    db.close().await?;
    Ok(())
}

/// A service as a process's list holds it: its type erased, its contract kept.
#[derive(Debug, Clone, Copy)]
pub struct Listed {
    pub name: &'static str,
    /// Its section, named "" when it has none.
    pub section: SectionKind,
    pub peers: &'static [PeerSetting],
    pub audit_anchors: &'static [Anchor],
    pub audit_records: Option<RecordCheck>,
    section_json: fn(&Settings) -> serde_json::Value,
    migrate: for<'a> fn(&'a Settings) -> BoxFuture<'a, anyhow::Result<()>>,
    start: for<'a> fn(&'a Settings, SocketAddr, &'a mut Mount) -> BoxFuture<'a, anyhow::Result<()>>,
}

impl Listed {
    pub const fn of<S: Service>() -> Listed {
        Listed {
            name: S::NAME,
            section: SectionKind::of::<S::Settings>(),
            peers: S::PEERS,
            audit_anchors: S::AUDIT_ANCHORS,
            audit_records: S::AUDIT_RECORDS,
            section_json: section_json::<S>,
            migrate: migrate_boxed::<S>,
            start: start_boxed::<S>,
        }
    }

    /// The endpoint its section names for `peer` (empty: in this process).
    pub fn peer_endpoint(&self, settings: &Settings, peer: &PeerSetting) -> String {
        let section = (self.section_json)(settings);
        peer.key
            .split('.')
            .try_fold(&section, |v, part| v.get(part))
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    }

    pub async fn migrate(&self, settings: &Settings) -> anyhow::Result<()> {
        (self.migrate)(settings).await
    }

    /// Opens the service and mounts it on `mount`.
    pub async fn start(
        &self,
        settings: &Settings,
        own: SocketAddr,
        mount: &mut Mount,
    ) -> anyhow::Result<()> {
        (self.start)(settings, own, mount).await
    }
}

fn section_json<S: Service>(settings: &Settings) -> serde_json::Value {
    serde_json::to_value(&*settings.section::<S::Settings>()).unwrap_or_default()
}

fn migrate_boxed<S: Service>(settings: &Settings) -> BoxFuture<'_, anyhow::Result<()>> {
    Box::pin(migrate::<S>(settings))
}

fn start_boxed<'a, S: Service>(
    settings: &'a Settings,
    own: SocketAddr,
    into: &'a mut Mount,
) -> BoxFuture<'a, anyhow::Result<()>> {
    Box::pin(async move {
        let service = open::<S>(settings, own).await?;
        mount(&service, settings, into);
        Ok(())
    })
}
