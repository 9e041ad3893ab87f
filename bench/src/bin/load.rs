//! `load`: a tonic load generator for the registry benchmark.
//!
//! Subcommands:
//! - `free-port`: print a free loopback port.
//! - `wait`: wait until a server answers `VerifyCredential` (any gRPC status).
//! - `seed`: build a department with a penalty power on a post and N officers
//!   holding valid credentials, through the gRPC API; write what `run` needs.
//! - `run`: closed loop (C workers, D seconds) for requests/s, latency and
//!   server CPU per RPC, then an open loop at half the measured rate for p99 at
//!   half saturation; write the figures as JSON.
//! - `report`: print the side-by-side table (Markdown) of `run` results.
//!
//! Server CPU is utime+stime of the server process from /proc/<pid>/stat
//! (all threads), read before and after each measured window, converted with
//! sysconf(_SC_CLK_TCK) and divided by the requests completed in the window.
use std::{
    collections::BTreeMap,
    path::PathBuf,
    sync::{
        Arc, Mutex,
        atomic::{AtomicI64, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use chrono::Utc;
use clap::{Parser, Subcommand, ValueEnum};
use futures::{StreamExt, stream};
use hdrhistogram::Histogram;
use probity_bench::{Seed, authed, bearer, connect, ts};
use probity_proto::registry::v1::{
    BenchmarkRange, Body, BodyKind, CheckActorsRequest, CreateBodyRequest, CreateOfficerRequest,
    CreatePostRequest, CreatePowerRequest, Credential, CredentialStatus, IssueCredentialRequest,
    LegalBasis, LegalBasisChange, Officer, OfficerKind, Post, Power, PowerCategory,
    SetPostPowersRequest, VerifyCredentialRequest,
    public_registry_service_client::PublicRegistryServiceClient,
    registry_service_client::RegistryServiceClient,
};
use serde::{Deserialize, Serialize};
use tonic::{
    Code, Request,
    metadata::{Ascii, MetadataValue},
    transport::Channel,
};

#[derive(Parser)]
#[command(
    name = "load",
    about = "Load generator for the Probity registry benchmark"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Target {
    /// PublicRegistryService.VerifyCredential on `probity serve`.
    Verify,
    /// RegistryService.CheckActors (two officers) on `probity serve`.
    Check,
    /// PublicRegistryService.VerifyCredential on `echo-server`.
    Echo,
}

#[derive(Subcommand)]
enum Cmd {
    /// Print a free TCP port on 127.0.0.1.
    FreePort,
    /// Wait until the server at --addr answers a VerifyCredential call.
    Wait {
        #[arg(long)]
        addr: String,
        #[arg(long, default_value_t = 60)]
        timeout_secs: u64,
    },
    /// Seed the registry through its gRPC API.
    Seed {
        #[arg(long)]
        addr: String,
        /// A legal_office bearer token (`probity token issue --role legal_office`).
        #[arg(long, env = "PROBITY_BENCH_TOKEN", hide_env_values = true)]
        token: String,
        /// Officers, each with one valid credential.
        #[arg(long, default_value_t = 500)]
        officers: u32,
        /// Calls in flight while seeding.
        #[arg(long, default_value_t = 8)]
        parallel: usize,
        #[arg(long)]
        out: PathBuf,
    },
    /// Measure one target.
    Run {
        #[arg(long)]
        addr: String,
        #[arg(long, value_enum)]
        target: Target,
        /// The file `seed` wrote (required for verify and check; echo uses the
        /// same credential numbers when given, synthetic ones otherwise).
        #[arg(long)]
        seed: Option<PathBuf>,
        /// Bearer token for CheckActors.
        #[arg(long, env = "PROBITY_BENCH_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// PID of the server process, for its CPU time.
        #[arg(long)]
        server_pid: u32,
        /// Closed-loop workers (calls in flight).
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// HTTP/2 connections the workers share.
        #[arg(long, default_value_t = 4)]
        connections: usize,
        /// Unmeasured closed-loop warm-up, seconds.
        #[arg(long, default_value_t = 2.0)]
        warmup: f64,
        /// Measured closed-loop window, seconds.
        #[arg(long, default_value_t = 10.0)]
        duration: f64,
        /// Open-loop window at half the closed-loop rate, seconds (0 = skip).
        #[arg(long, default_value_t = 8.0)]
        open_duration: f64,
        /// Fraction of the closed-loop rate the open loop offers.
        #[arg(long, default_value_t = 0.5)]
        open_fraction: f64,
        /// Offer the open loop at the rate another result's open loop offered
        /// (the echo server at VerifyCredential's half-saturation rate: same
        /// load, comparable latency and CPU per RPC).
        #[arg(long)]
        open_rate_from: Option<PathBuf>,
        /// Which round of an interleaved series this is (report pairs each
        /// target with the echo result of the same round).
        #[arg(long, default_value_t = 1)]
        round: u32,
        /// A note recorded with the result (e.g. the CPU pinning).
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the side-by-side table of `run` results as Markdown.
    Report {
        /// Result files written by `run`.
        files: Vec<PathBuf>,
        /// CPU per RPC goal: at most this many times the echo server's.
        #[arg(long, default_value_t = 2.0)]
        cpu_ratio_goal: f64,
        /// p99 goal at half saturation, milliseconds.
        #[arg(long, default_value_t = 5.0)]
        p99_goal_ms: f64,
        /// An open-loop round counts for the p99 goal only if the load
        /// generator started its calls on schedule: its start lag p99 under
        /// this many milliseconds.
        #[arg(long, default_value_t = 1.0)]
        on_schedule_lag_ms: f64,
    },
}

#[derive(Serialize, Deserialize, Default, Clone)]
struct Phase {
    seconds: f64,
    offered_rps: f64,
    requests: u64,
    errors: u64,
    unexpected: u64,
    dropped: u64,
    rps: f64,
    p50_us: u64,
    p90_us: u64,
    p99_us: u64,
    p999_us: u64,
    max_us: u64,
    server_cpu_us: u64,
    server_cpu_us_per_rpc: f64,
    server_cores_busy: f64,
    client_cores_busy: f64,
    /// Cores busy with anything but this server and this client (other
    /// processes on the machine): how noisy the window was.
    other_cores_busy: f64,
    /// Open loop: how late the client started calls against the schedule.
    #[serde(default)]
    start_lag_p50_us: u64,
    #[serde(default)]
    start_lag_p99_us: u64,
    /// Server CPU µs per RPC by thread name (tokio workers, SQLite workers…).
    #[serde(default)]
    server_threads_us_per_rpc: BTreeMap<String, f64>,
    /// Server context switches (voluntary + involuntary, all threads) per RPC.
    #[serde(default)]
    server_ctx_switches_per_rpc: f64,
    /// The kernel's share (stime) of the server CPU per RPC.
    #[serde(default)]
    server_sys_cpu_us_per_rpc: f64,
    /// Open loop: the slowest call (µs) started in each 250 ms slice, to tell
    /// one stall from a steady tail.
    #[serde(default)]
    max_us_per_250ms: Vec<u64>,
    /// Every latency recorded, as (µs, calls) pairs, so that a report can
    /// take percentiles over all rounds' calls together.
    #[serde(default)]
    latency_counts: Vec<(u64, u64)>,
    first_error: String,
}

#[derive(Serialize, Deserialize)]
struct RunResult {
    target: Target,
    round: u32,
    addr: String,
    concurrency: usize,
    connections: usize,
    clk_tck: u64,
    note: String,
    closed: Phase,
    open: Option<Phase>,
    /// The open loop ran at another result's rate, not at a fraction of this one's.
    #[serde(default)]
    open_rate_matched: bool,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        match cli.command {
            Cmd::FreePort => {
                let l = std::net::TcpListener::bind("127.0.0.1:0")?;
                println!("{}", l.local_addr()?.port());
                Ok(())
            }
            Cmd::Wait { addr, timeout_secs } => wait(&addr, timeout_secs).await,
            Cmd::Seed {
                addr,
                token,
                officers,
                parallel,
                out,
            } => seed(&addr, &token, officers, parallel, &out).await,
            Cmd::Run {
                addr,
                target,
                seed,
                token,
                server_pid,
                concurrency,
                connections,
                warmup,
                duration,
                open_duration,
                open_fraction,
                open_rate_from,
                round,
                note,
                out,
            } => {
                let cfg = RunConfig {
                    addr,
                    target,
                    seed,
                    token,
                    server_pid,
                    concurrency: concurrency.max(1),
                    connections: connections.max(1),
                    warmup,
                    duration,
                    open_duration,
                    open_fraction,
                    open_rate_from,
                    round,
                    note,
                };
                let r = run(cfg).await?;
                std::fs::write(&out, serde_json::to_string_pretty(&r)?)
                    .with_context(|| format!("writing {}", out.display()))?;
                Ok(())
            }
            Cmd::Report {
                files,
                cpu_ratio_goal,
                p99_goal_ms,
                on_schedule_lag_ms,
            } => report(&files, cpu_ratio_goal, p99_goal_ms, on_schedule_lag_ms),
        }
    })
}

/// GB 11643 check digit appended to 17 digits.
fn national_id(n: u32) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let first17 = format!("2301831990{n:07}");
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    format!("{first17}{}", CHECK[(sum % 11) as usize] as char)
}

fn number(i: usize) -> String {
    format!("BENCH-{:06}", i + 1)
}

// ---- wait ----

async fn wait(addr: &str, timeout_secs: u64) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(timeout_secs);
    loop {
        let last = match connect(addr).await {
            Ok(ch) => {
                let mut c = PublicRegistryServiceClient::new(ch);
                match c
                    .verify_credential(VerifyCredentialRequest {
                        number: "BENCH-WAIT".into(),
                    })
                    .await
                {
                    Ok(_) => return Ok(()),
                    Err(s) if s.code() != Code::Unavailable => return Ok(()),
                    Err(s) => format!("{s}"),
                }
            }
            Err(e) => format!("{e}"),
        };
        if Instant::now() > deadline {
            bail!("{addr} did not answer within {timeout_secs}s: {last}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ---- seed ----

async fn seed(
    addr: &str,
    token: &str,
    n: u32,
    parallel: usize,
    out: &PathBuf,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let auth = bearer(token)?;
    let mut c = RegistryServiceClient::new(connect(addr).await?);
    let since = Utc::now() - chrono::Duration::days(365);
    let until = Utc::now() + chrono::Duration::days(3 * 365);
    let body = |name: &str, kind: BodyKind, parent: &str| CreateBodyRequest {
        request_id: String::new(),
        body: Some(Body {
            display_name: name.into(),
            kind: kind as i32,
            parent: parent.into(),
            region_code: "230183".into(),
            ..Default::default()
        }),
    };
    let gov = c
        .create_body(authed(
            body("尚志市人民政府", BodyKind::Government, ""),
            &auth,
        ))
        .await
        .context("create government body")?
        .into_inner();
    let dept = c
        .create_body(authed(
            body("尚志市市场监督管理局", BodyKind::Department, &gov.name),
            &auth,
        ))
        .await
        .context("create department")?
        .into_inner();
    let power = c
        .create_power(authed(
            CreatePowerRequest {
                request_id: String::new(),
                parent: dept.name.clone(),
                power: Some(Power {
                    code: "CF-001".into(),
                    display_name: "对违反市场监管法规行为的行政处罚".into(),
                    category: PowerCategory::Penalty as i32,
                    legal_bases: vec![LegalBasis {
                        law: "《中华人民共和国行政处罚法》".into(),
                        article: "第二十八条".into(),
                    }],
                    duty: "依法查处违法行为".into(),
                    benchmark: [
                        (1, 0, 50_000),
                        (2, 50_000, 200_000),
                        (3, 200_000, 500_000),
                        (4, 500_000, 1_000_000),
                    ]
                    .into_iter()
                    .map(|(grade, min, max)| BenchmarkRange {
                        grade,
                        min_amount_fen: min,
                        max_amount_fen: max,
                        note: String::new(),
                    })
                    .collect(),
                    ..Default::default()
                }),
                legal_basis_change: Some(LegalBasisChange {
                    document: "《尚志市人民政府令》2026年第1号".into(),
                    summary: "新增执法事项".into(),
                }),
                effective_time: Some(ts(since)),
                backdate_reason: "registered from the paper records".into(),
            },
            &auth,
        ))
        .await
        .context("create power")?
        .into_inner();
    let post = c
        .create_post(authed(
            CreatePostRequest {
                request_id: String::new(),
                parent: dept.name.clone(),
                post: Some(Post {
                    display_name: "执法一科科员".into(),
                    responsibilities: "负责辖区市场监管执法".into(),
                    ..Default::default()
                }),
            },
            &auth,
        ))
        .await
        .context("create post")?
        .into_inner();
    c.set_post_powers(authed(
        SetPostPowersRequest {
            request_id: String::new(),
            post: post.name.clone(),
            powers: vec![power.name.clone()],
            effective_time: Some(ts(since)),
            backdate_reason: "registered from the paper records".into(),
        },
        &auth,
    ))
    .await
    .context("set post powers")?;

    let made: Vec<anyhow::Result<(String, String)>> = stream::iter(0..n)
        .map(|i| {
            let mut c = c.clone();
            let auth = auth.clone();
            let dept = dept.name.clone();
            let post = post.name.clone();
            async move {
                let o = c
                    .create_officer(authed(
                        CreateOfficerRequest {
                            request_id: String::new(),
                            officer: Some(Officer {
                                display_name: format!("执法员{:04}", i + 1),
                                kind: OfficerKind::Officer as i32,
                                body: dept,
                                posts: vec![post],
                                national_id: national_id(i + 1),
                                ..Default::default()
                            }),
                            effective_time: Some(ts(since)),
                            backdate_reason: "registered from the paper records".into(),
                        },
                        &auth,
                    ))
                    .await
                    .with_context(|| format!("create officer {}", i + 1))?
                    .into_inner();
                let cr = c
                    .issue_credential(authed(
                        IssueCredentialRequest {
                            request_id: String::new(),
                            credential: Some(Credential {
                                number: number(i as usize),
                                holder: o.name.clone(),
                                issuing_authority: "尚志市人民政府".into(),
                                valid_from: Some(ts(since)),
                                valid_until: Some(ts(until)),
                                ..Default::default()
                            }),
                            backdate_reason: "registered from the paper records".into(),
                        },
                        &auth,
                    ))
                    .await
                    .with_context(|| format!("issue credential {}", i + 1))?
                    .into_inner();
                Ok((o.name, cr.number))
            }
        })
        .buffer_unordered(parallel.max(1))
        .collect()
        .await;
    let mut officers = Vec::with_capacity(made.len());
    let mut numbers = Vec::with_capacity(made.len());
    for m in made {
        let (o, num) = m?;
        officers.push(o);
        numbers.push(num);
    }
    let s = Seed {
        body: dept.name,
        power: power.name,
        officers,
        numbers,
    };
    std::fs::write(out, serde_json::to_string_pretty(&s)?)
        .with_context(|| format!("writing {}", out.display()))?;
    eprintln!(
        "load: seeded {} officers with credentials in {:.1}s",
        n,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

// ---- run ----

struct RunConfig {
    addr: String,
    target: Target,
    seed: Option<PathBuf>,
    token: Option<String>,
    server_pid: u32,
    concurrency: usize,
    connections: usize,
    warmup: f64,
    duration: f64,
    open_duration: f64,
    open_fraction: f64,
    open_rate_from: Option<PathBuf>,
    round: u32,
    note: String,
}

/// What a call needs: the request data shared by every worker.
struct Work {
    target: Target,
    numbers: Vec<String>,
    officers: Vec<String>,
    body: String,
    power: String,
    auth: Option<MetadataValue<Ascii>>,
}

#[derive(Clone)]
enum Caller {
    Public(PublicRegistryServiceClient<Channel>),
    Registry(RegistryServiceClient<Channel>),
}

enum Outcome {
    Ok,
    Unexpected,
    Error(String),
}

/// A tiny xorshift generator: which credential or officers a call uses.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

impl Caller {
    async fn call(&mut self, w: &Work, rng: &mut Rng) -> Outcome {
        match self {
            Caller::Public(c) => {
                let number = w.numbers[rng.below(w.numbers.len())].clone();
                match c
                    .verify_credential(VerifyCredentialRequest { number })
                    .await
                {
                    Ok(r) if r.get_ref().status == CredentialStatus::Valid as i32 => Outcome::Ok,
                    Ok(_) => Outcome::Unexpected,
                    Err(s) => Outcome::Error(format!("{:?}: {}", s.code(), s.message())),
                }
            }
            Caller::Registry(c) => {
                let n = w.officers.len();
                let a = rng.below(n);
                let mut b = rng.below(n);
                if b == a {
                    b = (a + 1) % n;
                }
                let req = CheckActorsRequest {
                    body: w.body.clone(),
                    power: w.power.clone(),
                    act_time: Some(ts(Utc::now())),
                    officers: vec![w.officers[a].clone(), w.officers[b].clone()],
                    min_qualified: 0,
                    known_time: None,
                };
                let req = match &w.auth {
                    Some(auth) => authed(req, auth),
                    None => Request::new(req),
                };
                match c.check_actors(req).await {
                    Ok(r) if r.get_ref().group_ok && r.get_ref().qualified_count == 2 => {
                        Outcome::Ok
                    }
                    Ok(_) => Outcome::Unexpected,
                    Err(s) => Outcome::Error(format!("{:?}: {}", s.code(), s.message())),
                }
            }
        }
    }
}

fn clk_tck() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as u64 } else { 100 }
}

/// utime+stime of a process (all its threads), in microseconds.
fn proc_cpu_us(pid: &str) -> anyhow::Result<u64> {
    proc_times_us(pid).map(|(u, s)| u + s)
}

/// (utime, stime) of a process (all its threads), in microseconds.
fn proc_times_us(pid: &str) -> anyhow::Result<(u64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .context("unexpected /proc stat format")?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state); utime is field 14, stime field 15.
    let utime: u64 = f.get(11).context("no utime")?.parse()?;
    let stime: u64 = f.get(12).context("no stime")?.parse()?;
    let tck = clk_tck();
    Ok((utime * 1_000_000 / tck, stime * 1_000_000 / tck))
}

/// CPU µs of a process's threads, summed by thread name.
fn threads_cpu_us(pid: &str) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return m;
    };
    for t in dir.flatten() {
        let tid = t.file_name().to_string_lossy().into_owned();
        let comm = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/comm"))
            .map(|c| c.trim().to_string())
            .unwrap_or_default();
        if let Ok(us) = proc_cpu_us(&format!("{pid}/task/{tid}")) {
            *m.entry(comm).or_insert(0) += us;
        }
    }
    m
}

/// Context switches of all of a process's threads (voluntary + involuntary).
fn ctx_switches(pid: &str) -> u64 {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    let mut n = 0;
    for t in dir.flatten() {
        let tid = t.file_name().to_string_lossy().into_owned();
        if let Ok(st) = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/status")) {
            for l in st.lines() {
                if let Some(v) = l
                    .strip_prefix("voluntary_ctxt_switches:")
                    .or_else(|| l.strip_prefix("nonvoluntary_ctxt_switches:"))
                {
                    n += v.trim().parse::<u64>().unwrap_or(0);
                }
            }
        }
    }
    n
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 120_000_000, 3).expect("valid histogram bounds")
}

/// Busy time of all CPUs together (user+nice+system+irq+softirq+steal), in
/// microseconds, from the first line of /proc/stat.
fn machine_busy_us() -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string("/proc/stat").context("reading /proc/stat")?;
    let line = stat.lines().next().context("empty /proc/stat")?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .context("parsing /proc/stat")?;
    // user nice system idle iowait irq softirq steal (guest time is in user).
    let busy: u64 = v
        .iter()
        .take(8)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, t)| t)
        .sum();
    Ok(busy * 1_000_000 / clk_tck())
}

struct Meter {
    server: String,
    t0: Instant,
    server0: u64,
    client0: u64,
    machine0: u64,
    threads0: BTreeMap<String, u64>,
    switches0: u64,
    sys0: u64,
}

impl Meter {
    fn start(server_pid: u32) -> anyhow::Result<Meter> {
        let server = server_pid.to_string();
        Ok(Meter {
            server0: proc_cpu_us(&server)?,
            client0: proc_cpu_us("self")?,
            machine0: machine_busy_us()?,
            threads0: threads_cpu_us(&server),
            switches0: ctx_switches(&server),
            sys0: proc_times_us(&server)?.1,
            t0: Instant::now(),
            server,
        })
    }

    fn finish(&self, h: &Histogram<u64>, p: &mut Phase) -> anyhow::Result<()> {
        let wall = self.t0.elapsed().as_secs_f64();
        let server = proc_cpu_us(&self.server)?.saturating_sub(self.server0);
        let client = proc_cpu_us("self")?.saturating_sub(self.client0);
        let machine = machine_busy_us()?.saturating_sub(self.machine0);
        let threads = threads_cpu_us(&self.server);
        let switches = ctx_switches(&self.server).saturating_sub(self.switches0);
        let sys = proc_times_us(&self.server)?.1.saturating_sub(self.sys0);
        p.seconds = wall;
        p.rps = p.requests as f64 / wall;
        p.p50_us = h.value_at_quantile(0.50);
        p.p90_us = h.value_at_quantile(0.90);
        p.p99_us = h.value_at_quantile(0.99);
        p.p999_us = h.value_at_quantile(0.999);
        p.max_us = h.max();
        p.latency_counts = counts(h);
        p.server_cpu_us = server;
        p.server_cpu_us_per_rpc = if p.requests > 0 {
            server as f64 / p.requests as f64
        } else {
            0.0
        };
        p.server_cores_busy = server as f64 / 1e6 / wall;
        p.client_cores_busy = client as f64 / 1e6 / wall;
        p.other_cores_busy = machine.saturating_sub(server + client) as f64 / 1e6 / wall;
        if p.requests > 0 {
            p.server_ctx_switches_per_rpc = switches as f64 / p.requests as f64;
            p.server_sys_cpu_us_per_rpc = sys as f64 / p.requests as f64;
            p.server_threads_us_per_rpc = threads
                .into_iter()
                .map(|(name, us)| {
                    let d = us.saturating_sub(self.threads0.get(&name).copied().unwrap_or(0));
                    (name, d as f64 / p.requests as f64)
                })
                .collect();
        }
        Ok(())
    }
}

async fn run(cfg: RunConfig) -> anyhow::Result<RunResult> {
    let seed: Option<Seed> = match &cfg.seed {
        Some(p) => Some(
            serde_json::from_str(
                &std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
            )
            .with_context(|| format!("parsing {}", p.display()))?,
        ),
        None => None,
    };
    if cfg.target != Target::Echo && seed.is_none() {
        bail!("--seed is required for {:?}", cfg.target);
    }
    let auth = cfg.token.as_deref().map(bearer).transpose()?;
    if cfg.target == Target::Check && auth.is_none() {
        bail!("--token is required for check");
    }
    let work = Arc::new(match seed {
        Some(s) => Work {
            target: cfg.target,
            numbers: s.numbers,
            officers: s.officers,
            body: s.body,
            power: s.power,
            auth,
        },
        None => Work {
            target: cfg.target,
            numbers: (0..500).map(number).collect(),
            officers: Vec::new(),
            body: String::new(),
            power: String::new(),
            auth,
        },
    });
    if work.numbers.is_empty() || (work.target == Target::Check && work.officers.len() < 2) {
        bail!("the seed file has too few officers");
    }

    let mut callers = Vec::with_capacity(cfg.connections);
    for _ in 0..cfg.connections {
        let ch = connect(&cfg.addr)
            .await
            .with_context(|| format!("connecting to {}", cfg.addr))?;
        callers.push(match cfg.target {
            Target::Check => Caller::Registry(RegistryServiceClient::new(ch)),
            Target::Verify | Target::Echo => Caller::Public(PublicRegistryServiceClient::new(ch)),
        });
    }

    if cfg.warmup > 0.0 {
        closed_loop(&callers, &work, cfg.concurrency, cfg.warmup, None).await?;
    }
    let closed = closed_loop(
        &callers,
        &work,
        cfg.concurrency,
        cfg.duration,
        Some(cfg.server_pid),
    )
    .await?;
    eprintln!(
        "load: {:?} closed loop: {:.0} req/s, p50 {} us, p99 {} us, server {:.1} us CPU/RPC ({:.2} cores), client {:.2} cores, other processes {:.2} cores, {} errors",
        cfg.target,
        closed.rps,
        closed.p50_us,
        closed.p99_us,
        closed.server_cpu_us_per_rpc,
        closed.server_cores_busy,
        closed.client_cores_busy,
        closed.other_cores_busy,
        closed.errors
    );
    let matched_rate = match &cfg.open_rate_from {
        Some(f) => {
            let other: RunResult = serde_json::from_str(
                &std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?,
            )
            .with_context(|| format!("parsing {}", f.display()))?;
            Some(
                other
                    .open
                    .map(|o| o.offered_rps)
                    .with_context(|| format!("{} has no open-loop phase", f.display()))?,
            )
        }
        None => None,
    };
    let open = if cfg.open_duration > 0.0 && closed.rps > 0.0 {
        let rate = matched_rate.unwrap_or(closed.rps * cfg.open_fraction);
        // Let the closed loop's backlog drain first.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let p = open_loop(&callers, &work, rate, cfg.open_duration, cfg.server_pid).await?;
        eprintln!(
            "load: {:?} open loop at {:.0} req/s: achieved {:.0} req/s, p50 {} us, p99 {} us, server {:.1} us CPU/RPC, client start lag p99 {} us, other processes {:.2} cores, {} errors, {} dropped",
            cfg.target,
            rate,
            p.rps,
            p.p50_us,
            p.p99_us,
            p.server_cpu_us_per_rpc,
            p.start_lag_p99_us,
            p.other_cores_busy,
            p.errors,
            p.dropped
        );
        Some(p)
    } else {
        None
    };
    Ok(RunResult {
        target: cfg.target,
        round: cfg.round,
        addr: cfg.addr,
        concurrency: cfg.concurrency,
        connections: cfg.connections,
        clk_tck: clk_tck(),
        note: cfg.note,
        closed,
        open,
        open_rate_matched: matched_rate.is_some(),
    })
}

struct WorkerTally {
    h: Histogram<u64>,
    ok: u64,
    errors: u64,
    unexpected: u64,
    first_error: Option<String>,
}

/// C workers, each calling back-to-back until the window ends.
async fn closed_loop(
    callers: &[Caller],
    work: &Arc<Work>,
    concurrency: usize,
    seconds: f64,
    server_pid: Option<u32>,
) -> anyhow::Result<Phase> {
    let meter = server_pid.map(Meter::start).transpose()?;
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let mut tasks = Vec::with_capacity(concurrency);
    for i in 0..concurrency {
        let mut caller = callers[i % callers.len()].clone();
        let work = work.clone();
        tasks.push(tokio::spawn(async move {
            let mut t = WorkerTally {
                h: histogram(),
                ok: 0,
                errors: 0,
                unexpected: 0,
                first_error: None,
            };
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((i as u64 + 1) * 0x2545_F491_4F6C_DD1D));
            while Instant::now() < deadline {
                let start = Instant::now();
                let o = caller.call(&work, &mut rng).await;
                let _ = t.h.record(start.elapsed().as_micros().max(1) as u64);
                match o {
                    Outcome::Ok => t.ok += 1,
                    Outcome::Unexpected => t.unexpected += 1,
                    Outcome::Error(e) => {
                        t.errors += 1;
                        t.first_error.get_or_insert(e);
                    }
                }
            }
            t
        }));
    }
    let mut h = histogram();
    let mut p = Phase::default();
    for task in tasks {
        let t = task.await?;
        h.add(&t.h)?;
        p.requests += t.ok + t.errors + t.unexpected;
        p.errors += t.errors;
        p.unexpected += t.unexpected;
        if p.first_error.is_empty()
            && let Some(e) = t.first_error
        {
            p.first_error = e;
        }
    }
    if let Some(m) = meter {
        m.finish(&h, &mut p)?;
    }
    Ok(p)
}

/// What the open loop's calls report into.
struct OpenTally {
    latency: Mutex<Histogram<u64>>,
    lag: Mutex<Histogram<u64>>,
    ok: AtomicU64,
    errors: AtomicU64,
    unexpected: AtomicU64,
    outstanding: AtomicI64,
    first_error: Mutex<String>,
    slices: Vec<AtomicU64>,
}

/// Calls started on a fixed schedule regardless of answers; latency is taken
/// from each call's scheduled start, so a stalled server is not hidden
/// (no coordinated omission). How late the client itself started calls
/// (dispatch batching, its own scheduling) is recorded apart as start lag:
/// it is part of the latency figures, so they overstate the server's share.
async fn open_loop(
    callers: &[Caller],
    work: &Arc<Work>,
    rate: f64,
    seconds: f64,
    server_pid: u32,
) -> anyhow::Result<Phase> {
    const MAX_OUTSTANDING: i64 = 5_000;
    // Within this of the next call the dispatcher yields instead of sleeping.
    const SPIN: Duration = Duration::from_millis(2);
    let tally = Arc::new(OpenTally {
        latency: Mutex::new(histogram()),
        lag: Mutex::new(histogram()),
        ok: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        unexpected: AtomicU64::new(0),
        outstanding: AtomicI64::new(0),
        first_error: Mutex::new(String::new()),
        slices: (0..(seconds * 4.0).ceil() as usize + 1)
            .map(|_| AtomicU64::new(0))
            .collect(),
    });
    let callers = callers.to_vec();
    let interval = Duration::from_secs_f64(1.0 / rate);
    let total = (rate * seconds).floor() as u64;

    let meter = Meter::start(server_pid)?;
    let t0 = Instant::now();
    let dispatcher = {
        let (tally, work) = (tally.clone(), work.clone());
        // A task on the client's own runtime: a separate dispatcher thread
        // competes with the runtime for the client's one core and stalls both
        // for milliseconds at high rates. Calls start when due, to within a
        // pass of the runtime's other tasks; their latency is counted from
        // their own scheduled start.
        tokio::spawn(async move {
            let mut dropped = 0u64;
            let due = |i: u64| t0 + interval.mul_f64(i as f64);
            let mut i = 0u64;
            while i < total {
                let now = Instant::now();
                while i < total && due(i) <= now {
                    let d = due(i);
                    let n = i;
                    i += 1;
                    if tally.outstanding.load(Ordering::Relaxed) >= MAX_OUTSTANDING {
                        dropped += 1;
                        continue;
                    }
                    tally.outstanding.fetch_add(1, Ordering::Relaxed);
                    let mut caller = callers[n as usize % callers.len()].clone();
                    let (tally, work) = (tally.clone(), work.clone());
                    tokio::spawn(async move {
                        let lag = d.elapsed().as_micros().max(1) as u64;
                        let mut rng =
                            Rng(0xD1B5_4A32_D192_ED03 ^ (n.wrapping_add(1) * 0x9E37_79B9));
                        let o = caller.call(&work, &mut rng).await;
                        let us = d.elapsed().as_micros().max(1) as u64;
                        let slice = (d - t0).as_millis() as usize / 250;
                        if let Some(m) = tally.slices.get(slice) {
                            m.fetch_max(us, Ordering::Relaxed);
                        }
                        if let Ok(mut h) = tally.latency.lock() {
                            let _ = h.record(us);
                        }
                        if let Ok(mut h) = tally.lag.lock() {
                            let _ = h.record(lag);
                        }
                        match o {
                            Outcome::Ok => tally.ok.fetch_add(1, Ordering::Relaxed),
                            Outcome::Unexpected => tally.unexpected.fetch_add(1, Ordering::Relaxed),
                            Outcome::Error(e) => {
                                if let Ok(mut f) = tally.first_error.lock()
                                    && f.is_empty()
                                {
                                    *f = e;
                                }
                                tally.errors.fetch_add(1, Ordering::Relaxed)
                            }
                        };
                        tally.outstanding.fetch_sub(1, Ordering::Relaxed);
                    });
                }
                if i >= total {
                    break;
                }
                // Sleep only when the next call is far off: tokio's timer
                // wakes on millisecond ticks, so near calls are waited for
                // by yielding (the client's core is its own; spinning there
                // costs the server nothing and starts each call on time).
                let next = due(i);
                if next > Instant::now() + SPIN {
                    tokio::time::sleep_until(tokio::time::Instant::from_std(next - SPIN)).await;
                } else {
                    tokio::task::yield_now().await;
                }
            }
            dropped
        })
    };
    let dropped = dispatcher
        .await
        .map_err(|_| anyhow::anyhow!("open-loop dispatcher panicked"))?;
    // Wait for the calls in flight (bounded).
    let drain = Instant::now() + Duration::from_secs(10);
    while tally.outstanding.load(Ordering::Relaxed) > 0 && Instant::now() < drain {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let poisoned = || anyhow::anyhow!("histogram lock poisoned");
    let h = tally.latency.lock().map_err(|_| poisoned())?.clone();
    let lag = tally.lag.lock().map_err(|_| poisoned())?.clone();
    let (ok, errors, unexpected) = (
        tally.ok.load(Ordering::Relaxed),
        tally.errors.load(Ordering::Relaxed),
        tally.unexpected.load(Ordering::Relaxed),
    );
    let mut p = Phase {
        offered_rps: rate,
        requests: ok + errors + unexpected,
        errors,
        unexpected,
        dropped: dropped + tally.outstanding.load(Ordering::Relaxed).max(0) as u64,
        first_error: tally
            .first_error
            .lock()
            .map(|f| f.clone())
            .unwrap_or_default(),
        start_lag_p50_us: lag.value_at_quantile(0.50),
        start_lag_p99_us: lag.value_at_quantile(0.99),
        max_us_per_250ms: tally
            .slices
            .iter()
            .map(|m| m.load(Ordering::Relaxed))
            .collect(),
        ..Default::default()
    };
    meter.finish(&h, &mut p)?;
    Ok(p)
}

// ---- report ----

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// "m" for one round, "m (lo–hi)" for several.
fn spread(v: &[f64], digits: usize) -> String {
    let m = median(v.to_vec());
    if v.len() < 2 {
        return format!("{m:.digits$}");
    }
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!("{m:.digits$} ({lo:.digits$}–{hi:.digits$})")
}

/// A histogram's recorded latencies as (µs, calls) pairs.
fn counts(h: &Histogram<u64>) -> Vec<(u64, u64)> {
    h.iter_recorded()
        .map(|v| (v.value_iterated_to(), v.count_at_value()))
        .collect()
}

/// The q-quantile (ms) of all the phases' calls taken together, or None when
/// a phase was written without its latencies (files from an older `load`).
fn pooled_ms(phases: &[&Phase], q: f64) -> anyhow::Result<Option<f64>> {
    let mut all = histogram();
    for p in phases {
        if p.latency_counts.is_empty() {
            return Ok(None);
        }
        for &(us, n) in &p.latency_counts {
            all.record_n(us, n)
                .with_context(|| format!("latency {us} µs out of the histogram's range"))?;
        }
    }
    Ok((!all.is_empty()).then(|| all.value_at_quantile(q) as f64 / 1000.0))
}

/// A target's open-loop p99 readings: over the calls of the rounds on
/// schedule (the goal's), over all rounds' calls, and the median of rounds.
struct P99 {
    kept: usize,
    rounds: usize,
    on_schedule_ms: Option<f64>,
    all_ms: Option<f64>,
    median_of_rounds_ms: f64,
}

impl P99 {
    fn of(opens: &[&Phase], lag_ms: f64) -> anyhow::Result<P99> {
        let kept = on_schedule(opens, lag_ms);
        Ok(P99 {
            kept: kept.len(),
            rounds: opens.len(),
            on_schedule_ms: pooled_ms(&kept, 0.99)?,
            all_ms: pooled_ms(opens, 0.99)?,
            median_of_rounds_ms: median(opens.iter().map(|o| o.p99_us as f64 / 1000.0).collect()),
        })
    }

    /// The goal read on the calls of the rounds on schedule taken together
    /// (a per-round p99 moves by milliseconds with one stall; pooled, a
    /// stall weighs by the calls it delayed), with the readings it was
    /// chosen over.
    fn verdict(&self, goal_ms: f64, lag_ms: f64) -> String {
        if self.rounds == 0 {
            return "no open-loop phase".to_string();
        }
        let all = ms(self.all_ms);
        let context = format!(
            "{} of {} rounds on schedule (client start lag p99 < {lag_ms} ms); all rounds' calls {all} ms; median of per-round p99 {:.2} ms",
            self.kept, self.rounds, self.median_of_rounds_ms
        );
        if self.kept * 2 < self.rounds {
            return format!(
                "no reading: the machine stalled the load generator in most rounds ({context})"
            );
        }
        match self.on_schedule_ms {
            None => format!("no latencies recorded ({context})"),
            Some(m) if m < goal_ms => format!("p99 at half saturation {m:.2} ms: met ({context})"),
            Some(m) => format!(
                "p99 at half saturation {m:.2} ms: NOT met, {:.1}x the {goal_ms} ms goal ({context})",
                m / goal_ms
            ),
        }
    }
}

fn ms(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |v| format!("{v:.2}"))
}

fn name(t: Target) -> &'static str {
    match t {
        Target::Echo => "VerifyCredential, bare tonic echo-server",
        Target::Verify => "VerifyCredential, probity",
        Target::Check => "CheckActors (2 officers), probity",
    }
}

/// The open-loop rounds whose load generator kept its schedule. Its core
/// runs nothing else, so a round where it could not start its calls on time
/// is one where the machine stalled (seen on the bare tonic server as much
/// as on probity): the load offered was not the one scheduled, and the
/// round measures the machine rather than the server.
fn on_schedule<'a>(opens: &[&'a Phase], lag_ms: f64) -> Vec<&'a Phase> {
    opens
        .iter()
        .copied()
        .filter(|o| (o.start_lag_p99_us as f64) < lag_ms * 1000.0)
        .collect()
}

fn report(files: &[PathBuf], cpu_goal: f64, p99_goal_ms: f64, lag_ms: f64) -> anyhow::Result<()> {
    let mut results = Vec::new();
    for f in files {
        let r: RunResult = serde_json::from_str(
            &std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?,
        )
        .with_context(|| format!("parsing {}", f.display()))?;
        results.push(r);
    }
    let echo_of = |round: u32| {
        results
            .iter()
            .find(|r| r.target == Target::Echo && r.round == round)
    };
    let mut rounds: Vec<u32> = results.iter().map(|r| r.round).collect();
    rounds.sort_unstable();
    rounds.dedup();
    for r in &rounds {
        if echo_of(*r).is_none() {
            bail!("round {r} has no echo result to compare with");
        }
    }
    let first = results.first().context("no results")?;
    let (c, k) = (first.concurrency, first.connections);
    let targets = [Target::Echo, Target::Verify, Target::Check];
    // Per target, one entry per round: (result, echo result of that round).
    let per = |t: Target| -> Vec<(&RunResult, &RunResult)> {
        results
            .iter()
            .filter(|r| r.target == t)
            .filter_map(|r| echo_of(r.round).map(|e| (r, e)))
            .collect()
    };
    let n = rounds.len();
    let how = if n == 1 {
        "one round".to_string()
    } else {
        format!("median of {n} interleaved rounds (range in brackets)")
    };

    println!(
        "Saturation (closed loop: {c} calls in flight over {k} HTTP/2 connections), {how}; ratios are taken within each round, then the median:"
    );
    println!();
    println!(
        "| RPC | req/s | req/s ÷ echo | server CPU µs/RPC | CPU/RPC ÷ echo | server cores busy | client cores busy | other processes (cores) | p50 ms | p99 ms | errors |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for t in targets {
        let rs = per(t);
        if rs.is_empty() {
            continue;
        }
        let col =
            |f: &dyn Fn(&Phase) -> f64| rs.iter().map(|(r, _)| f(&r.closed)).collect::<Vec<_>>();
        let ratio = |f: &dyn Fn(&Phase) -> f64| {
            rs.iter()
                .map(|(r, e)| f(&r.closed) / f(&e.closed))
                .collect::<Vec<_>>()
        };
        let errors: u64 = rs
            .iter()
            .map(|(r, _)| r.closed.errors + r.closed.unexpected)
            .sum();
        println!(
            "| {} | {:.0} | {} | {:.1} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {} |",
            name(t),
            median(col(&|p| p.rps)),
            spread(&ratio(&|p| p.rps), 2),
            median(col(&|p| p.server_cpu_us_per_rpc)),
            spread(&ratio(&|p| p.server_cpu_us_per_rpc), 2),
            median(col(&|p| p.server_cores_busy)),
            median(col(&|p| p.client_cores_busy)),
            median(col(&|p| p.other_cores_busy)),
            median(col(&|p| p.p50_us as f64)) / 1000.0,
            median(col(&|p| p.p99_us as f64)) / 1000.0,
            errors
        );
    }
    println!();
    let matched = results
        .iter()
        .any(|r| r.target == Target::Echo && r.open_rate_matched);
    println!(
        "Half saturation (open loop: calls started on a fixed schedule at half of each probity target's own closed-loop rate{}; latency from the scheduled start, so it includes the client's start lag):",
        if matched {
            "; the echo server is offered the same rate as VerifyCredential in its round"
        } else {
            ""
        }
    );
    println!();
    println!(
        "| RPC | offered req/s | achieved req/s | p50 ms | p99 ms, per round | p99 ms, all rounds' calls | p99 ms, calls of rounds on schedule | p99.9 ms | client start lag p99 ms | server CPU µs/RPC | CPU/RPC ÷ echo | other processes (cores) | errors + dropped |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for t in targets {
        let rs: Vec<(&Phase, &Phase)> = per(t)
            .into_iter()
            .filter_map(|(r, e)| Some((r.open.as_ref()?, e.open.as_ref()?)))
            .collect();
        if rs.is_empty() {
            continue;
        }
        let col = |f: &dyn Fn(&Phase) -> f64| rs.iter().map(|(o, _)| f(o)).collect::<Vec<_>>();
        let bad: u64 = rs
            .iter()
            .map(|(o, _)| o.errors + o.unexpected + o.dropped)
            .sum();
        let opens: Vec<&Phase> = rs.iter().map(|(o, _)| *o).collect();
        let p99 = P99::of(&opens, lag_ms)?;
        println!(
            "| {} | {:.0} | {:.0} | {:.2} | {} | {} | {} ({}/{}) | {:.2} | {:.2} | {:.1} | {} | {:.2} | {} |",
            name(t),
            median(col(&|o| o.offered_rps)),
            median(col(&|o| o.rps)),
            median(col(&|o| o.p50_us as f64)) / 1000.0,
            spread(&col(&|o| o.p99_us as f64 / 1000.0), 2),
            ms(p99.all_ms),
            ms(p99.on_schedule_ms),
            p99.kept,
            p99.rounds,
            median(col(&|o| o.p999_us as f64)) / 1000.0,
            median(col(&|o| o.start_lag_p99_us as f64)) / 1000.0,
            median(col(&|o| o.server_cpu_us_per_rpc)),
            spread(
                &rs.iter()
                    .map(|(o, e)| o.server_cpu_us_per_rpc / e.server_cpu_us_per_rpc)
                    .collect::<Vec<_>>(),
                2
            ),
            median(col(&|o| o.other_cores_busy)),
            bad
        );
    }
    println!();
    println!(
        "Goals: server CPU per RPC at most {cpu_goal}x the echo server's (at saturation); p99 under {p99_goal_ms} ms at half saturation."
    );
    println!();
    for t in [Target::Verify, Target::Check] {
        let rs = per(t);
        if rs.is_empty() {
            continue;
        }
        let ratio = median(
            rs.iter()
                .map(|(r, e)| r.closed.server_cpu_us_per_rpc / e.closed.server_cpu_us_per_rpc)
                .collect(),
        );
        let extra = median(
            rs.iter()
                .map(|(r, e)| r.closed.server_cpu_us_per_rpc - e.closed.server_cpu_us_per_rpc)
                .collect(),
        );
        let cpu = if ratio <= cpu_goal {
            format!("CPU/RPC {ratio:.2}x echo (+{extra:.0} µs): met")
        } else {
            format!(
                "CPU/RPC {ratio:.2}x echo (+{extra:.0} µs): NOT met ({:.2}x the {cpu_goal}x budget)",
                ratio / cpu_goal
            )
        };
        let opens: Vec<&Phase> = rs.iter().filter_map(|(r, _)| r.open.as_ref()).collect();
        let lat = P99::of(&opens, lag_ms)?.verdict(p99_goal_ms, lag_ms);
        println!("- {}: {cpu}; {lat}", name(t));
    }
    println!();
    println!(
        "Where the server CPU goes at saturation (median of rounds): µs/RPC by thread name, kernel (stime) µs/RPC, context switches per RPC:"
    );
    println!();
    for t in targets {
        let rs = per(t);
        if rs.is_empty() {
            continue;
        }
        let mut names: Vec<&String> = rs
            .iter()
            .flat_map(|(r, _)| r.closed.server_threads_us_per_rpc.keys())
            .collect();
        names.sort();
        names.dedup();
        let parts: Vec<String> = names
            .iter()
            .map(|n| {
                let v = rs
                    .iter()
                    .map(|(r, _)| {
                        r.closed
                            .server_threads_us_per_rpc
                            .get(*n)
                            .copied()
                            .unwrap_or(0.0)
                    })
                    .collect();
                format!("{n} {:.1}", median(v))
            })
            .collect();
        let switches = median(
            rs.iter()
                .map(|(r, _)| r.closed.server_ctx_switches_per_rpc)
                .collect(),
        );
        let sys = median(
            rs.iter()
                .map(|(r, _)| r.closed.server_sys_cpu_us_per_rpc)
                .collect(),
        );
        println!(
            "- {}: {}; kernel {sys:.1}; {switches:.2} context switches/RPC",
            name(t),
            parts.join(", ")
        );
    }
    let errors: Vec<&str> = results
        .iter()
        .flat_map(|r| [Some(&r.closed), r.open.as_ref()])
        .flatten()
        .map(|p| p.first_error.as_str())
        .filter(|e| !e.is_empty())
        .collect();
    if let Some(e) = errors.first() {
        println!("- first error seen: {e}");
    }
    if !first.note.is_empty() {
        println!();
        println!(
            "Note: {}; CPU time from /proc/<pid>/stat utime+stime (CLK_TCK={}), \"other processes\" from /proc/stat.",
            first.note, first.clk_tck
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_whose_client_stalled_do_not_count_for_the_goal() {
        let mut stalled = phase(&[(1_000, 90), (100_000, 10)]);
        stalled.start_lag_p99_us = 12_000;
        let quiet = phase(&[(1_000, 100)]);
        let v = P99::of(&[&stalled, &quiet, &quiet], 1.0)
            .unwrap()
            .verdict(5.0, 1.0);
        assert!(v.starts_with("p99 at half saturation 1.00 ms: met"), "{v}");
        assert!(v.contains("2 of 3 rounds on schedule"), "{v}");
        let v = P99::of(&[&stalled, &stalled, &quiet], 1.0)
            .unwrap()
            .verdict(5.0, 1.0);
        assert!(v.starts_with("no reading"), "{v}");
        let slow = phase(&[(1_000, 90), (9_000, 10)]);
        let v = P99::of(&[&slow, &quiet], 1.0).unwrap().verdict(5.0, 1.0);
        assert!(v.contains("NOT met"), "{v}");
    }

    fn phase(calls: &[(u64, u64)]) -> Phase {
        let mut h = histogram();
        for &(us, n) in calls {
            h.record_n(us, n).expect("in range");
        }
        Phase {
            p99_us: h.value_at_quantile(0.99),
            latency_counts: counts(&h),
            ..Default::default()
        }
    }

    #[test]
    fn pooled_p99_weighs_a_stall_by_the_calls_it_delayed() {
        // Two slow calls in a round of 100 make that round's p99; over both
        // rounds' 200 calls they are 1%, under the p99.
        let stalled = phase(&[(1_000, 98), (100_000, 2)]);
        let quiet = phase(&[(1_000, 100)]);
        assert!(stalled.p99_us >= 99_000);
        let pooled = pooled_ms(&[&stalled, &quiet], 0.99).unwrap().unwrap();
        assert!((pooled - 1.0).abs() < 0.01, "{pooled}");
        let three = phase(&[(1_000, 97), (100_000, 3)]);
        let pooled = pooled_ms(&[&three, &quiet], 0.99).unwrap().unwrap();
        assert!(pooled >= 99.0, "{pooled}");
    }

    #[test]
    fn results_without_latencies_are_not_pooled() {
        let old = Phase::default();
        assert_eq!(pooled_ms(&[&old], 0.99).unwrap(), None);
    }
}
