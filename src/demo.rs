//! `probity demo`: every service in this process on SQLite in a fresh data
//! directory, the story told against them (`story`), and its summary.
use std::path::PathBuf;

use probity_city::{Bars, CityPlan, Progress, Quiet};
use probity_common::config::Settings;

use crate::{Target, story};

#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// About how many facts the city's year has.
    pub scale: u64,
    pub seed: u64,
    /// Holds the data directory, the ground truth, the run and the summary.
    pub out: PathBuf,
    pub listen: String,
    /// Leave the services running afterwards (for grpcurl).
    pub keep: bool,
    pub quiet: bool,
}

/// The settings of the demo's own services: SQLite under `out/data`
/// whatever the configuration says, so a demo never writes to a real
/// deployment's database.
pub fn settings(base: &Settings, o: &DemoOptions) -> Settings {
    let mut s = base.clone();
    s.database.data_dir = o.out.join("data").display().to_string();
    s.database.url.clear();
    s.database.url_file.clear();
    s.database.migrate_url.clear();
    s.database.service_urls.clear();
    s.server.listen = o.listen.clone();
    s.auth.dev_keys = true;
    s.auth.signing_key_file.clear();
    s.auth.public_key_files.clear();
    s.audit.key_file.clear();
    s.section_mut::<probity_rankings::settings::RankingsSettings>()
        .out_dir = o.out.join("runs").display().to_string();
    s
}

pub async fn run(base: &Settings, o: DemoOptions) -> anyhow::Result<()> {
    let data = o.out.join("data");
    anyhow::ensure!(
        !data.exists(),
        "--out {}: it holds an earlier demo ({}); choose another directory or remove it",
        o.out.display(),
        data.display()
    );
    let settings = settings(base, &o);
    // The demo signs its tokens with a development key: loopback only.
    if let Some(e) = settings.dev_keys_refusal() {
        anyhow::bail!("--listen {}: {e}", o.listen);
    }
    std::fs::create_dir_all(&data)?;
    let listener = tokio::net::TcpListener::bind(&settings.server.listen)
        .await
        .map_err(|e| anyhow::anyhow!("--listen {}: {e}", settings.server.listen))?;
    let addr = listener.local_addr()?;
    let url = format!("http://{addr}");
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let served = {
        let settings = settings.clone();
        tokio::spawn(async move {
            let shutdown = async move {
                let _ = stop_rx.wait_for(|stop| *stop).await;
            };
            crate::serve(&settings, Target::All, listener, shutdown).await
        })
    };
    wait_until_serving(&url).await?;
    eprintln!(
        "probity demo: every service on {addr}, data in {}",
        data.display()
    );

    let plan = CityPlan {
        seed: o.seed,
        facts: o.scale,
        ..CityPlan::default()
    };
    let options = story::StoryOptions {
        plan,
        out: o.out.clone(),
        quiet: o.quiet,
    };
    let progress: Box<dyn Progress> = if o.quiet {
        Box::new(Quiet)
    } else {
        Box::new(Bars::new())
    };
    let told = story::tell(&settings, &url, &options, progress.as_ref()).await?;
    let summary = story::print(&told);
    std::fs::write(o.out.join("summary.txt"), &summary)?;
    println!("{summary}");

    if o.keep {
        eprintln!(
            "probity demo: the services stay up on {addr} (Ctrl-C stops them). Try:\n  \
             export TOKEN=$(PROBITY__DATABASE__DATA_DIR={} probity token issue --role legal_office)\n  \
             grpcurl -plaintext -H \"authorization: Bearer $TOKEN\" {addr} list",
            data.display()
        );
        probity_common::server::shutdown_signal().await;
    }
    let _ = stop_tx.send(true);
    served.await??;
    Ok(())
}

/// Waits for the health service to answer (migrations run before serving).
async fn wait_until_serving(url: &str) -> anyhow::Result<()> {
    for _ in 0..300 {
        if let Ok(ch) = tonic::transport::Endpoint::from_shared(url.to_string())?
            .connect()
            .await
        {
            let mut h = tonic_health::pb::health_client::HealthClient::new(ch);
            let ok = h
                .check(tonic_health::pb::HealthCheckRequest::default())
                .await
                .is_ok_and(|r| r.into_inner().status == 1);
            if ok {
                return Ok(());
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    anyhow::bail!("the demo's services did not start serving on {url} in 30 s")
}
