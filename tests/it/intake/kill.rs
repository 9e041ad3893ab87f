//! The kill test: a 100,000-record stream into an intake process that is
//! killed with SIGKILL three times mid-stream; the client resumes from its
//! last acknowledgement. Afterwards exactly 100,000 facts: none lost, none
//! twice.
use std::{
    net::SocketAddr,
    process::Stdio,
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

use probity_common::auth::Role;
use probity_proto::intake::v1::{
    FactFilter, SubmitFactRequest, intake_service_client::IntakeServiceClient,
};
use tokio::process::{Child, Command};
use tonic::transport::Channel;

use super::{bulk::push, *};
use crate::{
    db_test,
    fixtures::world,
    harness::{Backend, Bearer, TestServer, fresh_pg_database},
};

const RECORDS: usize = 100_000;
const KILLS: [usize; 3] = [15_000, 40_000, 70_000];

struct IntakeProcess {
    child: Child,
    addr: SocketAddr,
}

async fn free_port() -> SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap()
}

/// `probity serve --target intake`, sharing the test server's keys (its data
/// directory) and calling its registry.
async fn start_intake(s: &TestServer, db_url: &str, addr: SocketAddr) -> IntakeProcess {
    let child = Command::new(env!("CARGO_BIN_EXE_probity"))
        .args(["serve", "--target", "intake"])
        .env_remove("PROBITY_CONFIG")
        .env("PROBITY__SERVER__LISTEN", addr.to_string())
        .env("PROBITY__DATABASE__DATA_DIR", &s.settings.database.data_dir)
        .env("PROBITY__DATABASE__INTAKE_URL", db_url)
        .env("PROBITY__INTAKE__REGISTRY_ENDPOINT", s.url())
        .env("PROBITY__INTAKE__DRAWS_ENDPOINT", s.url())
        .envs(s.issuer_env())
        .env("PROBITY__TELEMETRY__LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn probity");
    IntakeProcess { child, addr }
}

async fn client(addr: SocketAddr, token: &str) -> Intake {
    loop {
        if let Ok(ch) = Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
        {
            return IntakeServiceClient::with_interceptor(ch, Bearer::new(token));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

db_test!(sigkill_mid_stream_loses_nothing, |b| async move {
    let intake_url = match &b {
        Backend::Sqlite => String::new(),
        Backend::Postgres(admin) => fresh_pg_database(admin).await,
    };
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let dir = tempfile::tempdir().unwrap();
    let db_url = if intake_url.is_empty() {
        format!("sqlite://{}/intake.db?mode=rwc", dir.path().display())
    } else {
        intake_url
    };
    let token = s.token(Role::Department, Some(&w.dept.name));
    let t = when();
    let subs: Vec<SubmitFactRequest> = (0..RECORDS)
        .map(|i| {
            let at = t + chrono::Duration::seconds(i as i64 % 600);
            let mut f = fact(
                &w,
                &format!("K{i:06}"),
                training(&w.a.name, 1.0 + (i % 8) as f64),
            );
            if let Some(fact::Payload::Training(tr)) = f.fact.as_mut().unwrap().payload.as_mut() {
                tr.train_time = Some(crate::fixtures::ts(at));
            }
            f
        })
        .collect();

    let addr = free_port().await;
    let mut proc = start_intake(&s, &db_url, addr).await;
    let acked = AtomicUsize::new(0);
    let mut kills = 0;
    while acked.load(Ordering::SeqCst) < RECORDS {
        let mut c = client(proc.addr, &token).await;
        // the killer: SIGKILL once the stream has passed the next mark
        let mark = KILLS.get(kills).copied();
        let pushing = push(&mut c, &subs, &acked);
        tokio::pin!(pushing);
        let outcome = loop {
            tokio::select! {
                r = &mut pushing => break Some(r),
                _ = tokio::time::sleep(Duration::from_millis(20)) => {}
            }
            if mark.is_some_and(|m| acked.load(Ordering::SeqCst) >= m) {
                break None;
            }
        };
        match outcome {
            Some(Ok(refused)) => assert!(refused.is_empty(), "{refused:?}"),
            Some(Err(e)) => panic!("the stream broke without a kill: {e:?}"),
            None => {
                proc.child.start_kill().expect("SIGKILL");
                proc.child.wait().await.expect("reaped");
                kills += 1;
                proc = start_intake(&s, &db_url, addr).await;
            }
        }
    }
    assert_eq!(kills, KILLS.len(), "killed {kills} times");
    let mut c = client(proc.addr, &token).await;
    assert_eq!(count(&mut c, FactFilter::default()).await, RECORDS as i64);
    assert_eq!(
        stored_facts(&db_url).await,
        (RECORDS as i64, RECORDS as i64),
        "none lost, none twice"
    );
    proc.child.start_kill().ok();
    s.stop().await;
});
