//! `intake-load`: load for the intake benchmark (scripts/bench-intake.sh).
//!
//! - `stream`: N realistic facts (matters, decisions on them, trainings,
//!   complaints, inspections) over S concurrent SubmitFacts streams, each
//!   record acknowledged; prints facts, seconds and facts/s as JSON.
//! - `unary`: SubmitFact in a closed loop at concurrency C for D seconds;
//!   prints the same.
//! - `export`: a year through ExportFactColumns (Arrow), every message's
//!   three IPC streams read into DataFrames, or with `--into DIR` made into
//!   the job's input Parquet as the job makes it; prints facts, seconds and
//!   facts/s (scripts/bench-export.sh).
//!
//! Facts are made from what `load seed` wrote (a department, a penalty power,
//! officers with credentials); every fact has its own instant, so every
//! registry check is a real one, not a cache hit.
use std::{
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context;
use chrono::Utc;
use clap::{Parser, Subcommand};
use futures::StreamExt;
use probity_bench::{Seed, authed, bearer, connect, ts};
use probity_proto::{
    intake::v1::{fact::Payload, intake_service_client::IntakeServiceClient, *},
    registry::v1::{CircumstanceGrade, PowerCategory},
};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    Stream {
        #[arg(long)]
        addr: String,
        #[arg(long)]
        seed: PathBuf,
        #[arg(long, env = "PROBITY_BENCH_TOKEN")]
        token: String,
        #[arg(long, default_value_t = 100_000)]
        records: usize,
        #[arg(long, default_value_t = 4)]
        streams: usize,
        /// Source-id prefix, so runs do not replay each other.
        #[arg(long, default_value = "S")]
        prefix: String,
    },
    Unary {
        #[arg(long)]
        addr: String,
        #[arg(long)]
        seed: PathBuf,
        #[arg(long, env = "PROBITY_BENCH_TOKEN")]
        token: String,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        #[arg(long, default_value_t = 10.0)]
        duration: f64,
        #[arg(long, default_value = "U")]
        prefix: String,
    },
    Export {
        #[arg(long)]
        addr: String,
        #[arg(long, env = "PROBITY_BENCH_TOKEN")]
        token: String,
        #[arg(long)]
        year: i32,
        /// Also write the job's input Parquet here (its ColumnFiles path).
        #[arg(long)]
        into: Option<PathBuf>,
    },
}

/// Fact `i` of a run: 50% matters, 20% decisions on the matter ten before,
/// 15% trainings, 10% complaints, 5% inspections.
fn fact(seed: &Seed, prefix: &str, i: usize) -> SubmitFactRequest {
    let base = Utc::now() - chrono::Duration::days(30);
    let at = |j: usize| ts(base + chrono::Duration::milliseconds(j as i64 * 7));
    let k = seed.officers.len();
    let o = |j: usize| seed.officers[j % k].clone();
    let record = || ProcessRecord {
        kind: RecordKind::Video as i32,
        content_sha256: format!("{:064x}", i),
        archive_ref: format!("archive://bench/{prefix}/{i}"),
    };
    let (source, payload) = match i % 20 {
        0..=9 => (
            format!("{prefix}M{i}"),
            Payload::Matter(Matter {
                power: seed.power.clone(),
                act_kind: PowerCategory::Penalty as i32,
                officers: vec![o(i), o(i + 1)],
                accept_time: Some(at(i)),
                records: vec![record()],
                ..Default::default()
            }),
        ),
        10..=13 => (
            format!("{prefix}D{i}"),
            Payload::Decision(Decision {
                matter: format!("{prefix}M{}", i - 10),
                decide_time: Some(at(i)),
                penalty: Some(Penalty {
                    violation: "未按规定公示信息".into(),
                    grade: CircumstanceGrade::Minor as i32,
                    amount_fen: 10_000 + (i as i64 % 30_000),
                    within_benchmark: false,
                }),
                ..Default::default()
            }),
        ),
        14..=16 => (
            format!("{prefix}T{i}"),
            Payload::Training(Training {
                officer: o(i),
                hours: 2.0,
                exam_score: 80.0 + (i % 20) as f64,
                has_exam: true,
                train_time: Some(at(i)),
                ..Default::default()
            }),
        ),
        17 | 18 => (
            format!("{prefix}C{i}"),
            Payload::Complaint(Complaint {
                source: ComplaintSource::MayorsHotline as i32,
                accept_time: Some(at(i)),
                officers: vec![o(i)],
            }),
        ),
        _ => (
            format!("{prefix}I{i}"),
            Payload::Inspection(Inspection {
                power: seed.power.clone(),
                officers: vec![o(i), o(i + 2)],
                target: format!("party-{}", i % 977),
                inspect_time: Some(at(i)),
                random_draw: "draw-bench".into(),
                records: vec![record()],
                draw_verified: false,
                cause: String::new(),
                ..Default::default()
            }),
        ),
    };
    SubmitFactRequest {
        fact: Some(Fact {
            body: seed.body.clone(),
            source_id: source,
            payload: Some(payload),
            ..Default::default()
        }),
        correction_reason: String::new(),
    }
}

fn report(mode: &str, facts: u64, refused: u64, seconds: f64, extra: serde_json::Value) {
    let mut v = serde_json::json!({
        "mode": mode,
        "facts": facts,
        "refused": refused,
        "seconds": seconds,
        "facts_per_s": facts as f64 / seconds,
    });
    if let (Some(m), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        m.extend(e.clone());
    }
    println!("{v}");
}

async fn stream_run(
    addr: &str,
    seed: &Seed,
    token: &str,
    records: usize,
    streams: usize,
    prefix: &str,
) -> anyhow::Result<()> {
    let auth = bearer(token)?;
    // Streams take whole blocks of 20, so decisions find their matters.
    let per = records.div_ceil(streams.max(1)).div_ceil(20) * 20;
    let facts: Vec<SubmitFactRequest> = (0..records).map(|i| fact(seed, prefix, i)).collect();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (n, chunk) in facts.chunks(per).enumerate() {
        let chunk: Vec<SubmitFactsRequest> = chunk
            .iter()
            .enumerate()
            .map(|(j, f)| SubmitFactsRequest {
                sequence: (n * per + j) as i64,
                submission: Some(f.clone()),
            })
            .collect();
        let mut c =
            IntakeServiceClient::new(connect(addr).await?).max_decoding_message_size(64 << 20);
        let auth = auth.clone();
        tasks.push(tokio::spawn(async move {
            let mut acks = c
                .submit_facts(authed(futures::stream::iter(chunk), &auth))
                .await?
                .into_inner();
            let (mut ok, mut refused) = (0u64, 0u64);
            while let Some(a) = acks.next().await {
                let a = a?;
                if a.code == 0 {
                    ok += 1;
                } else {
                    if refused == 0 {
                        eprintln!("intake-load: refused: {a:?}");
                    }
                    refused += 1;
                }
            }
            anyhow::Ok((ok, refused))
        }));
    }
    let (mut ok, mut refused) = (0, 0);
    for t in tasks {
        let (o, r) = t.await??;
        ok += o;
        refused += r;
    }
    report(
        "stream",
        ok,
        refused,
        started.elapsed().as_secs_f64(),
        serde_json::json!({"streams": streams}),
    );
    Ok(())
}

async fn unary_run(
    addr: &str,
    seed: Arc<Seed>,
    token: &str,
    concurrency: usize,
    duration: f64,
    prefix: &str,
) -> anyhow::Result<()> {
    let auth = bearer(token)?;
    let next = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    // Matters only: one registry check and one durable commit each.
    let deadline = Instant::now() + Duration::from_secs_f64(duration);
    let channel = connect(addr).await?;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let mut c = IntakeServiceClient::new(channel.clone());
        let (auth, next, done, refused, seed) = (
            auth.clone(),
            next.clone(),
            done.clone(),
            refused.clone(),
            seed.clone(),
        );
        let prefix = prefix.to_string();
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let f = fact(&seed, &prefix, (i / 10) * 20 + i % 10);
                match c.submit_fact(authed(f, &auth)).await {
                    Ok(_) => done.fetch_add(1, Ordering::Relaxed),
                    Err(e) => {
                        if refused.fetch_add(1, Ordering::Relaxed) == 0 {
                            eprintln!("intake-load: refused: {e:?}");
                        }
                        0
                    }
                };
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    report(
        "unary",
        done.load(Ordering::Relaxed),
        refused.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64(),
        serde_json::json!({"concurrency": concurrency}),
    );
    Ok(())
}

fn load_seed(p: &PathBuf) -> anyhow::Result<Seed> {
    serde_json::from_str(
        &std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
    )
    .context("seed file")
}

async fn export_run(
    addr: &str,
    token: &str,
    year: i32,
    into: Option<PathBuf>,
) -> anyhow::Result<()> {
    let auth = bearer(token)?;
    let mut c = IntakeServiceClient::new(connect(addr).await?).max_decoding_message_size(256 << 20);
    let started = Instant::now();
    let req = ExportFactColumnsRequest {
        year,
        kind: 0,
        include_voided: true,
    };
    let mut stream = c
        .export_fact_columns(authed(req, &auth))
        .await?
        .into_inner();
    // decoded on a thread of their own while the next message arrives, as
    // the job does
    let (tx, mut rx) = tokio::sync::mpsc::channel::<ExportFactColumnsResponse>(2);
    let reader = tokio::task::spawn_blocking(move || {
        let (mut facts, mut bytes) = (0u64, 0u64);
        let (mut counted, mut routine) = Default::default();
        let mut files = into.map(|d| probity_rankings::extract::ColumnFiles::new(&d));
        while let Some(m) = rx.blocking_recv() {
            bytes += (m.facts.len() + m.officers.len() + m.findings.len()) as u64;
            facts += match &mut files {
                Some(f) => f.push(&m, i64::MAX)? as u64,
                None => probity_rankings::fact_columns::frames(
                    &m,
                    i64::MAX,
                    &mut counted,
                    &mut routine,
                )?[0]
                    .height() as u64,
            };
        }
        if let Some(f) = files {
            f.finish()?;
        }
        anyhow::Ok((facts, bytes))
    });
    while let Some(m) = stream.next().await {
        if tx.send(m?).await.is_err() {
            break;
        }
    }
    drop(tx);
    let (facts, bytes) = reader.await??;
    report(
        "export",
        facts,
        0,
        started.elapsed().as_secs_f64(),
        serde_json::json!({"mib": bytes as f64 / 1048576.0}),
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        match cli.command {
            Cmd::Stream {
                addr,
                seed,
                token,
                records,
                streams,
                prefix,
            } => stream_run(&addr, &load_seed(&seed)?, &token, records, streams, &prefix).await,
            Cmd::Export {
                addr,
                token,
                year,
                into,
            } => export_run(&addr, &token, year, into).await,
            Cmd::Unary {
                addr,
                seed,
                token,
                concurrency,
                duration,
                prefix,
            } => {
                unary_run(
                    &addr,
                    Arc::new(load_seed(&seed)?),
                    &token,
                    concurrency,
                    duration,
                    &prefix,
                )
                .await
            }
        }
    })
}
