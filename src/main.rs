//! `probity`: one binary, many roles.
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use probity::Target;
use probity_common::{
    auth::{Role, Scope, issue_scoped_token},
    config::Settings,
};

mod audit_cli;
mod draw_cli;

// glibc's allocator spent about 45% of intake's bulk CPU in malloc/free
// (scripts/bench-intake.sh, perf): many short-lived buffers across threads.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "probity",
    version,
    about = "Administrative law-enforcement accountability (行政执法责任制)"
)]
struct Cli {
    /// TOML configuration file (see probity.example.toml); PROBITY__SECTION__KEY variables override it.
    #[arg(long, global = true, env = "PROBITY_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The whole system in one command: every service on SQLite in a fresh
    /// directory, a synthetic city's year built through the APIs, ranked and
    /// sealed, cases raised and one decided, the loop closed, the reports written.
    Demo {
        /// About how many facts the city's year has.
        #[arg(long, default_value_t = 300_000)]
        scale: u64,
        /// The same seed builds the same city.
        #[arg(long, default_value_t = 2018)]
        seed: u64,
        /// Where the data, the ground truth, the reports and the summary go (must not hold a demo).
        #[arg(long, default_value = "./demo")]
        out: PathBuf,
        /// The address the demo's services listen on.
        #[arg(long, default_value = "127.0.0.1:50051")]
        listen: String,
        /// Leave the services running afterwards (for grpcurl).
        #[arg(long)]
        keep: bool,
        /// No progress bars.
        #[arg(long)]
        quiet: bool,
    },
    /// Run gRPC services.
    Serve {
        /// Which services this process runs.
        #[arg(long, value_enum, default_value_t = Target::All)]
        target: Target,
        /// Do not apply pending migrations at start-up.
        #[arg(long)]
        no_migrate: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        #[arg(long, value_enum, default_value_t = Target::All)]
        target: Target,
    },
    /// Development tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The audit chain.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The annual assessment (年度考核): indicators, scores, rankings, reports.
    Rankings {
        #[command(subcommand)]
        command: RankingsCommand,
    },
    /// Double random, one public (双随机一公开) draws.
    Draw {
        #[command(subcommand)]
        command: DrawCommand,
    },
}

#[derive(Subcommand)]
enum DrawCommand {
    /// Recompute a draw from its published record (JSON), offline, and name
    /// each field that does not hold. Exits 1 if it does not match.
    Verify {
        /// The draw record, as published.
        record: PathBuf,
    },
}

#[derive(Subcommand)]
enum RankingsCommand {
    /// Compute the year's rankings from intake and the registry. Without
    /// --year (the nightly): the current year in city time to date, and the
    /// last year recomputed for the first rankings.seal_after_days days of
    /// January, sealed on the first night after; a sealed year is skipped.
    Run {
        /// One year, as told (with --finalize: seal it).
        #[arg(long)]
        year: Option<i32>,
        /// Facts up to the end of this day, YYYY-MM-DD (city time); default today.
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
        /// The assessment plan (TOML); default: the plan shipped with Probity.
        #[arg(long)]
        plan: Option<PathBuf>,
        /// Output directory (with --year); default rankings.out_dir/{year}/{as_of}.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Seal the year: send flags and commendations to accountability.
        #[arg(long)]
        finalize: bool,
        /// No progress display.
        #[arg(long)]
        quiet: bool,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Sign a bearer token with the development key (auth.signing_key_file).
    Issue {
        /// legal_office, department, leadership, auditor, service,
        /// court_records or government.
        #[arg(long)]
        role: String,
        /// The body a department token is scoped to: bodies/{id} or {id}.
        #[arg(long)]
        body: Option<String>,
        /// legal_section: a department token for the body's legal section
        /// (法制股室, Art. 12), which investigates and proposes.
        #[arg(long)]
        scope: Option<String>,
        /// Lifetime, e.g. 8h, 30m, 7d.
        #[arg(long, default_value = "8h")]
        ttl: humantime::Duration,
        /// The token's subject, recorded as the actor in the audit chain.
        /// A service token's subject is its identity (service:intake,
        /// service:accountability, service:rankings, service:rankings-job).
        #[arg(long, default_value = "dev")]
        subject: String,
    },
    /// Make an issuer's Ed25519 key pair: the private key for
    /// auth.signing_key_file, the public key for auth.public_key_files
    /// (development keys are refused beside PostgreSQL).
    Keygen {
        /// Where the private key (PKCS#8 PEM) goes; written 0600.
        #[arg(long)]
        private: PathBuf,
        /// Where the public key (SPKI PEM) goes.
        #[arg(long)]
        public: PathBuf,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute a service's chain and name the first bad entry. Exits 1 if broken.
    Verify {
        #[arg(long, default_value = "registry")]
        service: String,
        /// First sequence (default: the start).
        #[arg(long, default_value_t = 0)]
        from: i64,
        /// Last sequence (default: the head).
        #[arg(long, default_value_t = 0)]
        to: i64,
        /// A checkpoint (`probity audit checkpoint`) the chain must still hold:
        /// its head not behind it, its entry there unchanged.
        #[arg(long)]
        checkpoint: Option<PathBuf>,
    },
    /// Verify a service's chain and print its head signed under the audit key
    /// (JSON), to keep outside the database. Exits 1 if the chain is broken.
    Checkpoint {
        #[arg(long, default_value = "registry")]
        service: String,
        /// Write it to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref(), &probity::known()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("probity: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("probity: starting the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli.command, settings)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("probity: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, mut settings: Settings) -> anyhow::Result<std::process::ExitCode> {
    match command {
        Command::Draw {
            command: DrawCommand::Verify { record },
        } => return Ok(draw_cli::verify_file(&record)),
        Command::Demo {
            scale,
            seed,
            out,
            listen,
            keep,
            quiet,
        } => {
            settings.telemetry.level = "warn".into();
            let _guard = probity_common::telemetry::init(&settings.telemetry, "demo")?;
            let o = probity::demo::DemoOptions {
                scale,
                seed,
                out,
                listen,
                keep,
                quiet,
            };
            probity::demo::run(&settings, o).await?;
        }
        Command::Serve { target, no_migrate } => {
            // Listen for SIGTERM from the first moment, not only once serving.
            let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
            tokio::spawn(async move {
                probity_common::server::shutdown_signal().await;
                let _ = stop_tx.send(true);
            });
            if no_migrate {
                settings.database.run_migrations = false;
            }
            let _guard = probity_common::telemetry::init(&settings.telemetry, &target.to_string())?;
            let listener = tokio::net::TcpListener::bind(&settings.server.listen).await?;
            let addr = listener.local_addr()?;
            tracing::info!(%addr, %target, "probity listening");
            if settings.auth.dev_keys {
                eprintln!(
                    "probity: listening on {addr}. Development token:\n  probity token issue --role legal_office\n\
                     then: grpcurl -plaintext -H \"authorization: Bearer $TOKEN\" {addr} list"
                );
            }
            let shutdown = async move {
                let _ = stop_rx.wait_for(|stop| *stop).await;
            };
            probity::serve(&settings, target, listener, shutdown).await?;
        }
        Command::Migrate { target } => {
            probity::migrate(&settings, target).await?;
            eprintln!("probity: migrations applied");
        }
        Command::Token {
            command:
                TokenCommand::Issue {
                    role,
                    body,
                    scope,
                    ttl,
                    subject,
                },
        } => {
            let role = Role::parse(&role).ok_or_else(|| {
                anyhow::anyhow!(
                    "--role must be one of: legal_office, department, leadership, auditor, service, court_records, government"
                )
            })?;
            let scope = match scope.as_deref() {
                None => None,
                Some(s) => Some(
                    Scope::parse(s)
                        .ok_or_else(|| anyhow::anyhow!("--scope must be legal_section"))?,
                ),
            };
            let body = body.map(|b| b.strip_prefix("bodies/").unwrap_or(&b).to_string());
            let ttl = chrono::Duration::from_std(*ttl.as_ref())?;
            println!(
                "{}",
                issue_scoped_token(&settings, &subject, role, body.as_deref(), scope, ttl)?
            );
        }
        Command::Token {
            command: TokenCommand::Keygen { private, public },
        } => {
            for f in [&private, &public] {
                anyhow::ensure!(
                    !f.exists(),
                    "{}: exists; keys are never overwritten",
                    f.display()
                );
            }
            probity_common::auth::write_key_pair(&private, &public)?;
            eprintln!(
                "probity: private key {}, public key {}",
                private.display(),
                public.display()
            );
        }
        Command::Rankings {
            command:
                RankingsCommand::Run {
                    year,
                    as_of,
                    plan,
                    out,
                    finalize,
                    quiet,
                },
        } => {
            let Some(year) = year else {
                anyhow::ensure!(
                    as_of.is_none() && out.is_none() && !finalize,
                    "--as-of, --out and --finalize go with --year: the nightly run (no --year) works out its years and seals the last one itself"
                );
                use probity_rankings::nightly::{self, Done};
                let done = nightly::run(
                    &settings,
                    nightly::NightlyOptions {
                        plan,
                        quiet,
                        ..Default::default()
                    },
                )
                .await?;
                for d in &done {
                    match d {
                        Done::Ran(m) => print_run(m),
                        Done::Sealed { year, run } => {
                            println!("rankings {year}: sealed by {run}, not computed again")
                        }
                        Done::NoRun { year } => {
                            println!("rankings {year}: no run recorded, nothing to seal")
                        }
                    }
                }
                return Ok(std::process::ExitCode::SUCCESS);
            };
            let m = probity_rankings::run(
                &settings,
                probity_rankings::RunOptions {
                    year,
                    as_of,
                    plan,
                    out,
                    finalize,
                    quiet,
                    today: None,
                },
            )
            .await?;
            print_run(&m);
        }
        Command::Audit {
            command:
                AuditCommand::Verify {
                    service,
                    from,
                    to,
                    checkpoint,
                },
        } => {
            return audit_cli::verify(&settings, &service, from, to, checkpoint.as_deref()).await;
        }
        Command::Audit {
            command: AuditCommand::Checkpoint { service, out },
        } => return audit_cli::checkpoint(&settings, &service, out.as_deref()).await,
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// What a rankings run printed for the operator.
fn print_run(m: &probity_rankings::output::Manifest) {
    println!(
        "rankings {} as of {}: run {}, {} officers and {} departments ranked, flags {}, {} reports delivered{}",
        m.year,
        m.as_of,
        m.run_id,
        m.officers_ranked,
        m.departments_ranked,
        m.flags,
        m.delivered.len(),
        if m.finalized { ", the year sealed" } else { "" }
    );
    if let Some(run) = &m.sealed_by {
        println!(
            "  the year was sealed by {run}: this run was not recorded; the sealed run's flags and commendations were sent again"
        );
    }
    let facts = m.counts["facts"].as_f64().unwrap_or(0.0);
    for (stage, s) in &m.timings {
        let rate = if stage == "extract facts" && *s > 0.0 {
            format!(" ({:.0} facts/s)", facts / s)
        } else {
            String::new()
        };
        println!("  {stage}: {s:.2} s{rate}");
    }
}
