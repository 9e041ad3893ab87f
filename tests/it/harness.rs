//! Test servers: the real `probity` services on port 0, on SQLite in a temp
//! directory or on a PostgreSQL database made for the one test, reached
//! through generated tonic clients.
use std::{net::SocketAddr, path::PathBuf};

use probity_common::{
    auth::{Role, issue_token},
    config::Settings,
};
use probity_proto::{
    audit::v1::audit_service_client::AuditServiceClient,
    registry::v1::{
        public_registry_service_client::PublicRegistryServiceClient,
        registry_service_client::RegistryServiceClient,
    },
};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use tonic::{
    metadata::MetadataValue,
    service::{Interceptor, interceptor::InterceptedService},
    transport::Channel,
};

#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

impl Backend {
    /// PostgreSQL when `PROBITY_TEST_DATABASE_URL` is set (an admin URL whose
    /// user may CREATE DATABASE). With `PROBITY_TEST_REQUIRE_POSTGRES=1` (CI)
    /// a missing URL fails the test instead of skipping it.
    pub fn postgres() -> Option<Backend> {
        match std::env::var("PROBITY_TEST_DATABASE_URL") {
            Ok(u) if !u.is_empty() => Some(Backend::Postgres(u)),
            _ => {
                assert!(
                    std::env::var("PROBITY_TEST_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                    "PROBITY_TEST_REQUIRE_POSTGRES=1 but PROBITY_TEST_DATABASE_URL is not set"
                );
                None
            }
        }
    }
}

/// Runs an async test body once per backend: `db_test!(name, |b| async move { ... })`.
#[macro_export]
macro_rules! db_test {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)($crate::harness::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                match $crate::harness::Backend::postgres() {
                    Some(b) => ($body)(b).await,
                    None => eprintln!("PROBITY_TEST_DATABASE_URL not set: PostgreSQL case skipped"),
                }
            }
        }
    };
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub settings: Settings,
    pub db_url: String,
    _dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    /// How clients reach a server with `server.tls` set (https://localhost).
    pub client_tls: Option<tonic::transport::ClientTlsConfig>,
}

/// Makes a fresh PostgreSQL database and returns its URL.
pub async fn fresh_pg_database(admin_url: &str) -> String {
    let name = format!("probity_t_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(admin_url)
        .await
        .expect("connect to PROBITY_TEST_DATABASE_URL");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    admin.close().await.ok();
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("URL with a database path");
    format!("{base}/{name}")
}

impl TestServer {
    pub async fn start(backend: Backend) -> TestServer {
        Self::start_with(backend, |_| {}).await
    }

    /// The issuer's keys as settings variables, for a `probity` process a
    /// test spawns on this server's data (development keys are refused
    /// beside PostgreSQL).
    pub fn issuer_env(&self) -> Vec<(&'static str, String)> {
        issuer_env(&self.settings)
    }

    /// Starts with settings adjusted by `tweak` (after the test defaults).
    pub async fn start_with(backend: Backend, tweak: impl FnOnce(&mut Settings)) -> TestServer {
        Self::start_target(backend, probity::Target::All, tweak).await
    }

    /// Starts the services of `target` only.
    pub async fn start_target(
        backend: Backend,
        target: probity::Target,
        tweak: impl FnOnce(&mut Settings),
    ) -> TestServer {
        let services = target.services().expect("a listed target");
        Self::start_services(backend, services, tweak).await
    }

    /// Starts `services`, listed as `probity::SERVICES` lists them.
    pub async fn start_services(
        backend: Backend,
        services: Vec<probity_common::service::Listed>,
        tweak: impl FnOnce(&mut Settings),
    ) -> TestServer {
        Self::start_services_tls(backend, services, None, tweak).await
    }

    /// As [`TestServer::start_services`], for a server whose `tweak` sets
    /// `server.tls`: its clients connect with `client_tls`.
    pub async fn start_services_tls(
        backend: Backend,
        services: Vec<probity_common::service::Listed>,
        client_tls: Option<tonic::transport::ClientTlsConfig>,
        tweak: impl FnOnce(&mut Settings),
    ) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut s = Settings::default();
        s.database.data_dir = dir.path().to_string_lossy().into_owned();
        s.server.listen = "127.0.0.1:0".into();
        s.server.shutdown_grace_ms = 2_000;
        s.database.max_connections = 8;
        // Every test client calls from 127.0.0.1: the public methods' limit
        // per address is tested on its own (registry::rate_limit).
        s.server.public_rate_limit.burst = 1_000_000;
        s.server.public_rate_limit.per_minute = 60_000_000;
        let db_url = match &backend {
            Backend::Sqlite => format!("sqlite://{}/registry.db?mode=rwc", dir.path().display()),
            Backend::Postgres(admin) => fresh_pg_database(admin).await,
        };
        s.database.url = db_url.clone();
        s.auth.dev_keys = false;
        tweak(&mut s);
        // An issuer's key pair, as a deployment has: development keys are
        // refused beside PostgreSQL (and would be a second door anyway). It
        // lives in the data directory, so servers a test starts on one
        // directory (replicas, a service alone) trust the same issuer.
        if !s.auth.dev_keys
            && s.auth.signing_key_file.is_empty()
            && s.auth.public_key_files.is_empty()
        {
            let data = std::path::Path::new(&s.database.data_dir);
            let (private, public) = (data.join("issuer.pem"), data.join("issuer.pub.pem"));
            if !private.exists() {
                probity_common::auth::write_key_pair(&private, &public).expect("issuer keys");
            }
            s.auth.signing_key_file = private.to_string_lossy().into_owned();
            s.auth.public_key_files = vec![public.to_string_lossy().into_owned()];
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let addr = listener.local_addr().expect("local addr");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let settings = s.clone();
        let handle = tokio::spawn(async move {
            probity::serve_services(&settings, &services, listener, async move {
                let _ = rx.await;
            })
            .await
        });
        let mut server = TestServer {
            addr,
            settings: s,
            db_url,
            _dir: dir,
            shutdown: Some(tx),
            handle: Some(handle),
            client_tls,
        };
        server.wait_serving().await;
        server
    }

    async fn wait_serving(&mut self) {
        use tonic_health::pb::{
            HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
        };
        for _ in 0..200 {
            if let Ok(ch) = self.endpoint().connect().await {
                let mut h = HealthClient::new(ch);
                if let Ok(r) = h
                    .check(HealthCheckRequest {
                        service: String::new(),
                    })
                    .await
                    && r.into_inner().status == ServingStatus::Serving as i32
                {
                    return;
                }
            }
            if self.handle.as_ref().is_some_and(|h| h.is_finished())
                && let Some(h) = self.handle.take()
            {
                panic!("the server stopped: {:?}", h.await);
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("server did not become SERVING (did it stop? see its result)");
    }

    pub fn url(&self) -> String {
        match self.client_tls {
            None => format!("http://{}", self.addr),
            Some(_) => format!("https://localhost:{}", self.addr.port()),
        }
    }

    fn endpoint(&self) -> tonic::transport::Endpoint {
        let e = Channel::from_shared(self.url()).expect("url");
        match &self.client_tls {
            None => e,
            Some(tls) => e.tls_config(tls.clone()).expect("client TLS"),
        }
    }

    pub async fn channel(&self) -> Channel {
        self.endpoint().connect().await.expect("connect")
    }

    /// A `service` token of one identity (`service_identity::ALL`).
    pub fn service_token(
        &self,
        identity: &probity_common::service_identity::ServiceIdentity,
    ) -> String {
        issue_token(
            &self.settings,
            identity.subject,
            Role::Service,
            None,
            chrono::Duration::hours(1),
        )
        .expect("token")
    }

    pub fn token(&self, role: Role, body: Option<&str>) -> String {
        let body = body.map(|b| b.strip_prefix("bodies/").unwrap_or(b).to_string());
        issue_token(
            &self.settings,
            &format!("test-{}", role.as_str()),
            role,
            body.as_deref(),
            chrono::Duration::hours(1),
        )
        .expect("token")
    }

    pub async fn registry(
        &self,
        token: &str,
    ) -> RegistryServiceClient<InterceptedService<Channel, Bearer>> {
        RegistryServiceClient::with_interceptor(self.channel().await, Bearer::new(token))
    }

    pub async fn legal(&self) -> RegistryServiceClient<InterceptedService<Channel, Bearer>> {
        self.registry(&self.token(Role::LegalOffice, None)).await
    }

    pub async fn public(&self) -> PublicRegistryServiceClient<Channel> {
        PublicRegistryServiceClient::new(self.channel().await)
    }

    pub async fn audit(
        &self,
        token: &str,
    ) -> AuditServiceClient<InterceptedService<Channel, Bearer>> {
        AuditServiceClient::with_interceptor(self.channel().await, Bearer::new(token))
    }

    /// A direct connection to the service's database, for tampering tests.
    pub async fn raw_db(&self) -> DatabaseConnection {
        Database::connect(&self.db_url).await.expect("raw db")
    }

    pub fn data_dir(&self) -> PathBuf {
        PathBuf::from(&self.settings.database.data_dir)
    }

    /// Stops the server and waits for it to finish draining.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await.expect("server task").expect("server result");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Adds `authorization: Bearer <token>` to every call.
#[derive(Clone)]
pub struct Bearer(MetadataValue<tonic::metadata::Ascii>);

impl Bearer {
    pub fn new(token: &str) -> Self {
        Bearer(format!("Bearer {token}").parse().expect("ascii token"))
    }
}

impl Interceptor for Bearer {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        req.metadata_mut().insert("authorization", self.0.clone());
        Ok(req)
    }
}

/// The issuer's keys of `s` as settings variables (see `TestServer::issuer_env`).
pub fn issuer_env(s: &Settings) -> Vec<(&'static str, String)> {
    vec![
        ("PROBITY__AUTH__DEV_KEYS", "false".into()),
        (
            "PROBITY__AUTH__SIGNING_KEY_FILE",
            s.auth.signing_key_file.clone(),
        ),
        (
            "PROBITY__AUTH__PUBLIC_KEY_FILES",
            s.auth.public_key_files.join(","),
        ),
    ]
}
