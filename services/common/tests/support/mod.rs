//! The bootstrap started alone, for the tests of this crate.
use std::sync::Arc;

use probity_common::{
    auth::Verifier,
    config::Settings,
    server::{Mount, serve},
};

pub struct Started {
    pub addr: std::net::SocketAddr,
    pub stop: tokio::sync::oneshot::Sender<()>,
    pub handle: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// Defaults with the data (and development keys) under `dir`.
pub fn settings(dir: &std::path::Path) -> Settings {
    let mut s = Settings::default();
    s.database.data_dir = dir.to_string_lossy().into_owned();
    s.server.shutdown_grace_ms = 1_000;
    s
}

/// Serves `mount` on a free loopback port until `stop` is sent.
pub async fn start(settings: Settings, mount: Mount) -> Started {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let verifier = Arc::new(Verifier::from_settings(&settings).unwrap());
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        serve(&settings, verifier, listener, mount, async move {
            let _ = rx.await;
        })
        .await
    });
    Started { addr, stop, handle }
}
