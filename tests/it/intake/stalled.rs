//! Departments that send and never read their acks (issue 19, hole 6): a
//! dozen such SubmitFacts streams, each on its own connection with a small
//! HTTP/2 window so the server's acks back up at once, then as many 1 MiB
//! records as the server takes. Intake runs as its own process so that its
//! resident memory is measured alone.
//!
//! The stated bound: per stalled stream, `intake.stream_buffer_bytes`
//! (1 MiB here) of records read ahead, the HTTP/2 stream window (4 MiB) the
//! client may fill, a record being decoded (twice its size at most), and
//! 4 MiB for its queued acks and the chunks checked behind them (batches of
//! a thousand): 11 MiB; for twelve, 132 MiB, plus 32 MiB for the process's
//! own growth: 164 MiB. Before the bound (a fixed 32 MiB read-ahead per
//! stream and no end) the same twelve streams pinned some 30 MiB more each,
//! for as long as their clients liked.
//! Each stream is then ended with RESOURCE_EXHAUSTED / STREAM_STALLED; a
//! thirteenth stream of a department already at its limit is refused with
//! TOO_MANY_STREAMS; and a well-behaved stream is served afterwards.
use std::{
    net::SocketAddr,
    process::Stdio,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use futures::StreamExt;
use probity_common::auth::Role;
use probity_proto::intake::v1::{
    Fact, SubmitFactRequest, SubmitFactsRequest, intake_service_client::IntakeServiceClient,
};
use tokio::process::{Child, Command};
use tonic::{Code, transport::Endpoint};

use super::*;
use crate::{
    db_test,
    fixtures::{reason, world},
    harness::{Backend, Bearer, TestServer, fresh_pg_database},
};

const MIB: u64 = 1 << 20;
const STREAMS_PER_DEPT: usize = 4;
const BUFFER: u64 = MIB;
const BOUND: u64 = 12 * (BUFFER + 4 * MIB + 2 * MIB + 4 * MIB) + 32 * MIB;
const ACK_TIMEOUT_MS: u64 = 8_000;
/// Chunks of a thousand: 4,000 acks and 4,000 records queued per stream.
const BATCH: usize = 1_000;
/// Small records first: enough to fill the acks' way back (the client's
/// window of some 500 acks, 4 x BATCH queued acks, up to three chunks
/// behind them) and leave the record queue (4 x BATCH) room for the 1 MiB
/// records that follow.
const SMALL: i64 = 8_100;

async fn free_port() -> SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap()
}

/// `probity serve --target intake` with the test's batches and stream
/// bounds, calling the test server's registry with its keys.
fn start_intake(s: &TestServer, db_url: &str, addr: SocketAddr) -> Child {
    Command::new(env!("CARGO_BIN_EXE_probity"))
        .args(["serve", "--target", "intake"])
        .env_remove("PROBITY_CONFIG")
        .env("PROBITY__SERVER__LISTEN", addr.to_string())
        .env("PROBITY__DATABASE__DATA_DIR", &s.settings.database.data_dir)
        .env("PROBITY__DATABASE__INTAKE_URL", db_url)
        .env("PROBITY__INTAKE__REGISTRY_ENDPOINT", s.url())
        .env("PROBITY__INTAKE__DRAWS_ENDPOINT", s.url())
        .envs(s.issuer_env())
        .env("PROBITY__INTAKE__BATCH_MAX_FACTS", BATCH.to_string())
        .env("PROBITY__INTAKE__STREAM_BUFFER_BYTES", BUFFER.to_string())
        .env(
            "PROBITY__INTAKE__STREAM_ACK_TIMEOUT_MS",
            ACK_TIMEOUT_MS.to_string(),
        )
        .env(
            "PROBITY__INTAKE__MAX_STREAMS_PER_CALLER",
            STREAMS_PER_DEPT.to_string(),
        )
        .env("PROBITY__TELEMETRY__LEVEL", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn probity")
}

/// A line of /proc/<pid>/status, in bytes.
fn status_bytes(pid: u32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    text.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// A client on a connection of its own whose windows are as small as
/// HTTP/2 allows: acks it does not read stop the server at once.
async fn stingy(addr: SocketAddr, token: &str) -> Intake {
    loop {
        if let Ok(ch) = Endpoint::from_shared(format!("http://{addr}"))
            .unwrap()
            .initial_stream_window_size(Some(65_535))
            .initial_connection_window_size(Some(65_535))
            .connect()
            .await
        {
            return IntakeServiceClient::with_interceptor(ch, Bearer::new(token))
                .max_encoding_message_size(8 << 20);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Records a department would send to pin memory: small refused ones (to
/// back the acks up), then 1 MiB ones (refused too: a source id is at most
/// 128 characters, but the server reads each whole first).
fn flood(sent: Arc<AtomicUsize>) -> impl futures::Stream<Item = SubmitFactsRequest> + Send {
    futures::stream::iter(0..SMALL + 1_000).map(move |i| {
        sent.fetch_add(1, Ordering::SeqCst);
        let source_id = if i < SMALL {
            String::new()
        } else {
            "x".repeat(MIB as usize)
        };
        SubmitFactsRequest {
            sequence: i,
            submission: Some(SubmitFactRequest {
                fact: Some(Fact {
                    source_id,
                    ..Default::default()
                }),
                correction_reason: String::new(),
            }),
        }
    })
}

db_test!(
    a_dozen_stalled_streams_stay_within_bounds,
    |b: Backend| async move {
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
        let addr = free_port().await;
        let mut child = start_intake(&s, &db_url, addr);
        let pid = child.id().expect("the intake process");
        let tokens: Vec<String> = [&w.gov, &w.dept, &w.other]
            .iter()
            .map(|body| s.token(Role::Department, Some(&body.name)))
            .collect();
        // Warm: one stream served end to end, so the baseline is a working process.
        let mut c = stingy(addr, &tokens[1]).await;
        let acks: Vec<_> = c
            .submit_facts(futures::stream::iter(vec![SubmitFactsRequest {
                sequence: 0,
                submission: Some(fact(&w, "WARM", training(&w.a.name, 2.0))),
            }]))
            .await
            .expect("a stream")
            .into_inner()
            .collect()
            .await;
        assert_eq!(acks.len(), 1, "{acks:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
        let baseline = status_bytes(pid, "VmRSS:");

        // Twelve stalled streams: four per department, the most each may open.
        let sent = Arc::new(AtomicUsize::new(0));
        let mut stalled = Vec::new();
        for token in &tokens {
            for _ in 0..STREAMS_PER_DEPT {
                let mut c = stingy(addr, token).await;
                let acks = c
                    .submit_facts(flood(sent.clone()))
                    .await
                    .expect("a stream within the department's limit")
                    .into_inner();
                stalled.push((c, acks));
            }
        }
        // A fifth stream of the same department is refused at once.
        let mut fifth = stingy(addr, &tokens[0]).await;
        let e = fifth
            .submit_facts(flood(Arc::new(AtomicUsize::new(0))))
            .await
            .expect_err("a department's fifth stream");
        assert_eq!(e.code(), Code::ResourceExhausted, "{e:?}");
        assert_eq!(reason(&e), "TOO_MANY_STREAMS", "{e:?}");

        // The server stops reading: what the clients have sent stops growing.
        let started = Instant::now();
        let mut last = (sent.load(Ordering::SeqCst), Instant::now());
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let now = sent.load(Ordering::SeqCst);
            if now != last.0 {
                last = (now, Instant::now());
            } else if last.1.elapsed() > Duration::from_secs(1) {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the streams never stalled ({now} records sent)"
            );
        }
        let records = sent.load(Ordering::SeqCst);
        let big = records.saturating_sub(12 * SMALL as usize);
        assert!(
            big >= 12,
            "every stream got to its 1 MiB records ({records} records sent)"
        );
        let peak = status_bytes(pid, "VmHWM:");
        let grew = peak.saturating_sub(baseline);
        eprintln!(
            "stalled: {records} records sent ({big} of 1 MiB), intake RSS {} MiB -> peak {} MiB (+{} MiB, bound {} MiB)",
            baseline / MIB,
            peak / MIB,
            grew / MIB,
            BOUND / MIB
        );
        assert!(
            grew <= BOUND,
            "a dozen stalled streams grew intake by {} MiB, over the bound of {} MiB",
            grew / MIB,
            BOUND / MIB
        );

        // Past the ack timeout every stalled stream ends, RESOURCE_EXHAUSTED.
        tokio::time::sleep(Duration::from_millis(ACK_TIMEOUT_MS)).await;
        for (_, acks) in &mut stalled {
            let end = loop {
                match tokio::time::timeout(Duration::from_secs(10), acks.message())
                    .await
                    .expect("the stream ends")
                {
                    Ok(Some(_)) => continue,
                    Ok(None) => panic!("a stalled stream ended without a status"),
                    Err(e) => break e,
                }
            };
            assert_eq!(end.code(), Code::ResourceExhausted, "{end:?}");
            assert_eq!(reason(&end), "STREAM_STALLED", "{end:?}");
        }
        drop(stalled);

        // A department that reads its acks is served as before.
        let mut c = stingy(addr, &tokens[1]).await;
        let subs: Vec<SubmitFactsRequest> = (0..50)
            .map(|i| SubmitFactsRequest {
                sequence: i,
                submission: Some(fact(&w, &format!("OK{i}"), training(&w.a.name, 1.0))),
            })
            .collect();
        let mut acks = c
            .submit_facts(futures::stream::iter(subs))
            .await
            .expect("a stream after the stalled ones")
            .into_inner();
        let mut n = 0;
        while let Some(ack) = acks.message().await.expect("acks") {
            assert_eq!(ack.code, 0, "{ack:?}");
            assert!(ack.fact.starts_with("facts/"), "{ack:?}");
            n += 1;
        }
        assert_eq!(n, 50);
        child.start_kill().ok();
        let _ = child.wait().await;
        s.stop().await;
    }
);
