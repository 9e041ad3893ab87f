//! Server bootstrap shared by every role: health (SERVING only while the
//! databases answer, NOT_SERVING from the moment shutdown begins), reflection,
//! auth and telemetry layers, a rate limit on the public methods, request
//! size and time limits, optional (mutual) TLS with a plaintext health-only
//! port for probes, and a graceful shutdown with a bounded drain.
use std::{future::Future, time::Duration};

use probity_proto::audit::v1::audit_service_server::AuditServiceServer;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};
use tonic_health::ServingStatus;

use crate::{
    audit_api::AuditApi,
    auth::{Access, AuthLayer, Policy, Verifier},
    config::Settings,
    rate_limit::PublicRateLimitLayer,
    store::Store,
    telemetry::{self, RpcLayer},
};

/// What a role puts on the server.
#[derive(Default)]
pub struct Mount {
    pub routes: tonic::service::RoutesBuilder,
    pub policy: Policy,
    /// Fully-qualified service names, for health.
    pub services: Vec<&'static str>,
    /// Databases that must answer before the services report SERVING.
    pub databases: Vec<DatabaseConnection>,
    /// Audit chains served by this process's AuditService, by service name.
    pub audit_chains: Vec<(&'static str, Store)>,
}

/// The audit API is the same for every service: auditors and the legal-affairs office.
pub const AUDIT_POLICY: &[(&str, Access)] = &[
    (
        "/probity.audit.v1.AuditService/ListAuditEntries",
        Access::Audit,
    ),
    (
        "/probity.audit.v1.AuditService/VerifyAuditChain",
        Access::Audit,
    ),
];

/// The health service name that does not depend on the databases.
pub const LIVENESS: &str = "liveness";

/// How often request ids past their retention are forgotten.
const FORGET_INTERVAL: Duration = Duration::from_secs(3600);

/// How often health re-checks the databases.
const HEALTH_INTERVAL: Duration = Duration::from_secs(2);

/// Serves `mount` on `listener` until `shutdown` resolves, then drains for at
/// most `server.shutdown_grace_ms`.
pub async fn serve(
    settings: &Settings,
    verifier: std::sync::Arc<Verifier>,
    listener: TcpListener,
    mut mount: Mount,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // The scrape port first: a port taken stops start-up before anything runs.
    let metrics_listener = if settings.telemetry.prometheus_listen.is_empty() {
        None
    } else {
        telemetry::install_meter_provider(&settings.telemetry, "server")?;
        let at = &settings.telemetry.prometheus_listen;
        let listener = TcpListener::bind(at)
            .await
            .map_err(|e| anyhow::anyhow!("telemetry.prometheus_listen: {at}: {e}"))?;
        tracing::info!(addr = %listener.local_addr()?, "Prometheus metrics at /metrics");
        Some(listener)
    };
    let stores: Vec<Store> = mount.audit_chains.iter().map(|(_, s)| s.clone()).collect();
    // Each service's pool, named after it, for the pool gauges.
    let pools: Vec<(&'static str, DatabaseConnection)> = mount
        .audit_chains
        .iter()
        .map(|(name, s)| (*name, s.db.clone()))
        .collect();
    if !mount.audit_chains.is_empty() {
        let chains = std::mem::take(&mut mount.audit_chains);
        mount.routes.add_service(
            AuditServiceServer::new(AuditApi::new(chains))
                .max_decoding_message_size(settings.server.max_request_bytes),
        );
        mount
            .services
            .push(<AuditServiceServer<AuditApi> as tonic::server::NamedService>::NAME);
        mount.policy.extend(AUDIT_POLICY.iter().copied());
    }
    let (reporter, health) = tonic_health::server::health_reporter();
    let names: Vec<&'static str> = std::iter::once("")
        .chain(mount.services.iter().copied())
        .collect();
    for n in &names {
        reporter
            .set_service_status(*n, ServingStatus::NotServing)
            .await;
    }
    // Liveness answers whether the process works, not whether its database
    // does: a database outage must not get every pod restarted.
    reporter
        .set_service_status(LIVENESS, ServingStatus::Serving)
        .await;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);

    let watcher = {
        let reporter = reporter.clone();
        let names = names.clone();
        let dbs = mount.databases.clone();
        let mut stop_rx = stop_rx.clone();
        tokio::spawn(async move {
            let mut last = None;
            loop {
                let mut up = true;
                for db in &dbs {
                    up &= crate::db::ping(db).await;
                }
                for (name, db) in &pools {
                    let (used, idle) = crate::db::pool_counts(db);
                    telemetry::ops::db_pool(name, used, idle);
                }
                if last != Some(up) {
                    let status = if up {
                        ServingStatus::Serving
                    } else {
                        ServingStatus::NotServing
                    };
                    for n in &names {
                        reporter.set_service_status(*n, status).await;
                    }
                    if !up {
                        tracing::warn!("a database does not answer: NOT_SERVING");
                    }
                    last = Some(up);
                }
                tokio::select! {
                    _ = tokio::time::sleep(HEALTH_INTERVAL) => {}
                    _ = stop_rx.changed() => return,
                }
            }
        })
    };

    // Both reflection versions: grpcurl and older tools still ask v1alpha.
    // Request ids past their retention: once before serving, then hourly.
    let keep = chrono::Duration::hours(settings.database.request_id_retention_hours as i64);
    forget_request_ids(&stores, keep).await;
    let forgetter = {
        let stores = stores.clone();
        let mut stop_rx = stop_rx.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(FORGET_INTERVAL) => {}
                    _ = stop_rx.changed() => return,
                }
                forget_request_ids(&stores, keep).await;
            }
        })
    };
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(probity_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;

    // Bulk streams (intake) keep many records in flight: HTTP/2's default
    // 64 KiB windows would let a client send only a few hundred ahead.
    let mut builder = Server::builder()
        .timeout(Duration::from_millis(settings.server.request_timeout_ms))
        .initial_stream_window_size(Some(4 << 20))
        .initial_connection_window_size(Some(16 << 20));
    let tls = &settings.server.tls;
    if !tls.cert_file.is_empty() {
        let read = |key: &str, f: &str| {
            std::fs::read(f).map_err(|e| anyhow::anyhow!("server.tls.{key}: {f}: {e}"))
        };
        let mut cfg = ServerTlsConfig::new().identity(Identity::from_pem(
            read("cert_file", &tls.cert_file)?,
            read("key_file", &tls.key_file)?,
        ));
        if !tls.client_ca_file.is_empty() {
            cfg = cfg.client_ca_root(Certificate::from_pem(read(
                "client_ca_file",
                &tls.client_ca_file,
            )?));
        }
        builder = builder.tls_config(cfg)?;
    }
    // Probes that cannot speak TLS (the kubelet's gRPC probes) ask a
    // plaintext port that serves health and nothing else.
    let health_only = match settings.server.health_listen.as_str() {
        "" => None,
        addr => {
            let l = TcpListener::bind(addr)
                .await
                .map_err(|e| anyhow::anyhow!("server.health_listen: {addr}: {e}"))?;
            let incoming = tonic::transport::server::TcpIncoming::from(l);
            let router = Server::builder().add_service(health.clone());
            Some(tokio::spawn(async move {
                if let Err(e) = router.serve_with_incoming(incoming).await {
                    tracing::warn!(error = %e, "the health port stopped");
                }
            }))
        }
    };
    let metrics =
        metrics_listener.map(|l| tokio::spawn(telemetry::prometheus::serve(l, stop_rx.clone())));
    let rpc = RpcLayer::new(mount.policy.keys().copied());
    let routes = mount.routes.routes();
    let limit = PublicRateLimitLayer::new(&settings.server.public_rate_limit, &mount.policy)?;
    let mut router = builder
        .layer(rpc)
        .layer(limit)
        .layer(AuthLayer::new(verifier, mount.policy))
        .add_routes(routes)
        .add_service(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha);
    let _ = &mut router;

    let grace = Duration::from_millis(settings.server.shutdown_grace_ms);
    let (drain_tx, drain_rx) = tokio::sync::oneshot::channel::<()>();
    let signal = {
        let reporter = reporter.clone();
        let names = names.clone();
        async move {
            shutdown.await;
            let _ = stop_tx.send(true);
            for n in names.iter().chain(std::iter::once(&LIVENESS)) {
                reporter
                    .set_service_status(*n, ServingStatus::NotServing)
                    .await;
            }
            tracing::info!(
                grace_ms = grace.as_millis() as u64,
                "shutting down: draining calls in flight"
            );
            let _ = drain_tx.send(());
        }
    };
    // TCP_NODELAY as tonic sets it when it binds itself: without it, Nagle's
    // algorithm holds small responses back and adds milliseconds to the tail.
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    let server = router.serve_with_incoming_shutdown(incoming, signal);
    tokio::pin!(server);
    let result = tokio::select! {
        r = &mut server => r.map_err(anyhow::Error::from),
        _ = async { let _ = drain_rx.await; tokio::time::sleep(grace).await } => {
            tracing::warn!("drain took longer than server.shutdown_grace_ms: closing remaining calls");
            Ok(())
        }
    };
    watcher.abort();
    forgetter.abort();
    if let Some(h) = health_only {
        h.abort();
    }
    if let Some(m) = metrics {
        m.abort();
    }
    result
}

async fn forget_request_ids(stores: &[Store], keep: chrono::Duration) {
    let before = (chrono::Utc::now() - keep).timestamp_micros();
    for s in stores {
        match s.forget_request_ids(before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(n, "forgot request ids past their retention"),
            Err(e) => tracing::warn!(error = %e, "could not forget old request ids"),
        }
    }
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
