//! The nightly rankings job (年度考核): the year's facts from intake and a
//! registry snapshot, read in bulk over gRPC into Parquet; indicators, scores
//! and rankings of officers and departments computed with polars (lazy,
//! streaming engine); tables and reports for people; on `--finalize`, flags
//! and commendations sent to accountability.
use std::{
    fs::File,
    path::{Path, PathBuf},
};

use chrono::NaiveDate;
use polars::prelude::*;
use probity_common::{Reason, config::Settings};

pub mod columns;
pub mod compute;
pub mod crediting;
pub mod csv_cells;
pub mod deliver;
pub mod drawn_share;
pub mod extract;
pub mod fact_columns;
pub mod indicators;
pub mod nightly;
pub mod output;
pub mod plan;
pub mod publish;
pub mod record;
pub mod report;
pub mod report_inputs;
pub mod score;
pub mod settings;
pub mod summary;

pub use plan::Plan;

/// The city's time zone (UTC+8) and its midnights: years and dates are the city's.
pub use probity_rules::city::{city, day_start_us};

#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub year: i32,
    /// Facts up to the end of this day (city time); default: today, or the
    /// year's last day for a past year.
    pub as_of: Option<NaiveDate>,
    pub plan: Option<PathBuf>,
    /// Default: rankings.out_dir/{year}/{as_of}.
    pub out: Option<PathBuf>,
    /// Seal the year: flags and commendations go to accountability.
    pub finalize: bool,
    /// No progress bars (tests, logs).
    pub quiet: bool,
    /// The city's today; `None`: the clock's. Tests set it to finalize a
    /// year that has not ended yet.
    pub today: Option<NaiveDate>,
}

/// The one Parquet configuration (fixed compression, statistics, row
/// groups), so equal tables are equal files.
pub fn parquet_writer(f: File) -> ParquetWriter<File> {
    ParquetWriter::new(f)
        .with_compression(ParquetCompression::Zstd(None))
        .with_statistics(StatisticsOptions::full())
        .with_row_group_size(Some(512 * 1024))
}

pub fn write_parquet(df: &mut DataFrame, path: &Path) -> PolarsResult<u64> {
    parquet_writer(File::create(path)?).finish(df)
}

pub fn collect(lf: LazyFrame) -> PolarsResult<DataFrame> {
    Ok(lf.collect_with_engine(Engine::Streaming)?.unwrap_single())
}

/// Runs `f` on a thread of its own with a deep stack: polars plans are
/// walked recursively, and a debug build overflows a default 2 MiB stack.
async fn big_stack<T: Send + 'static>(
    f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(move || {
        std::thread::Builder::new()
            .name("rankings-compute".into())
            .stack_size(256 << 20)
            .spawn(f)?
            .join()
            .map_err(|_| anyhow::anyhow!("the computation panicked"))?
    })
    .await?
}

/// Runs the job: extract, compute, write, and (finalizing) publish.
pub async fn run(settings: &Settings, o: RunOptions) -> anyhow::Result<output::Manifest> {
    let plan = Plan::load(o.plan.as_deref())?;
    anyhow::ensure!((2000..=2100).contains(&o.year), "--year: 2000-2100");
    let today = o
        .today
        .unwrap_or_else(|| chrono::Utc::now().with_timezone(&city()).date_naive());
    let last_day = NaiveDate::from_ymd_opt(o.year, 12, 31).unwrap_or(today);
    let first_day = NaiveDate::from_ymd_opt(o.year, 1, 1).unwrap_or(today);
    let as_of = o.as_of.unwrap_or(today.min(last_day));
    anyhow::ensure!(
        as_of >= first_day && as_of <= last_day,
        "--as-of {as_of}: not a day of {}",
        o.year
    );
    anyhow::ensure!(
        !(o.finalize && as_of < last_day),
        "--finalize seals the whole year: --as-of must be {last_day} (or left out after the year)"
    );
    // Sealing is for good (later runs of the year are refused, flags become
    // cases): never on a year whose facts may still come.
    anyhow::ensure!(
        !(o.finalize && today <= last_day),
        "--finalize seals the whole year: {} has not ended in the city yet (today is {today})",
        o.year
    );
    let from_us = day_start_us(first_day);
    let until_us = day_start_us(as_of + chrono::Duration::days(1)) - 1;
    let out = o.out.clone().unwrap_or_else(|| {
        PathBuf::from(
            &settings
                .section::<crate::settings::RankingsSettings>()
                .out_dir,
        )
        .join(o.year.to_string())
        .join(as_of.to_string())
    });
    let input = out.join("input");
    std::fs::create_dir_all(&input)?;
    let progress = output::Progress::new(o.quiet);

    let peers = extract::Peers::new(settings)?;
    let mut timings = Vec::new();
    let mut clock = std::time::Instant::now();
    let mut lap = |name: &str, timings: &mut Vec<(String, f64)>| {
        timings.push((name.to_string(), clock.elapsed().as_secs_f64()));
        clock = std::time::Instant::now();
    };
    let bar = progress.counter("读取事实 reading facts from intake");
    let counts = extract::facts(&peers, o.year, until_us, &input, &bar).await?;
    bar.finish();
    let bar = progress.counter("读取引用 reading earlier years' facts the year's facts refer to");
    let referenced = extract::referenced(&peers, &input, &bar).await?;
    bar.finish();
    lap("extract facts", &mut timings);
    let bar = progress.counter("读取登记 reading the registry (officers' days in post)");
    let (bodies, officers) = extract::registry(&peers, from_us, until_us, &input, &bar).await?;
    bar.finish();
    lap("extract registry", &mut timings);
    let step = progress.step("读取案件 reading the year's cases and last year's sealed ranks");
    report_inputs::extract(&peers, o.year, from_us, until_us, &input).await?;
    step.finish();
    lap("extract report inputs", &mut timings);
    let step = progress.step("读取抽查计划 reading the year's draw plans (Art. 19(7))");
    match drawn_share::extract(&peers, o.year, &input).await {
        Ok(_) => {}
        // Sealing without the plans would let a unit below its plan pass
        // unflagged for good; a daily run reports the share as unavailable.
        Err(e) if o.finalize => return Err(e),
        Err(e) => {
            tracing::warn!("drawn shares not available in this run: {e}");
            let _ = std::fs::remove_file(input.join(drawn_share::SHARES));
        }
    }
    step.finish();
    lap("extract draw plans", &mut timings);
    let counts = extract::Counts {
        bodies,
        officers,
        referenced,
        ..counts
    };

    let step =
        progress.step("计算 computing indicators, scores and rankings; writing tables and reports");
    // Early in the year nobody can have served the plan's minimum: it is
    // capped at the days the window has had, so a run on 15 March ranks the
    // officers who served all of it instead of no one.
    let mut plan = plan;
    let window_days = u32::try_from((as_of - first_day).num_days() + 1).unwrap_or(0);
    plan.officers.min_days_in_post = plan.officers.min_days_in_post.min(window_days);
    let (out2, plan2, finalize, year) = (out.clone(), plan.clone(), o.finalize, o.year);
    let mut manifest = big_stack(move || {
        let tables = output::compute(&input, &plan2, year)?;
        output::write(
            &out2, &input, &plan2, year, as_of, finalize, &counts, tables,
        )
    })
    .await?;
    step.finish();
    let step = progress.step("记录 recording the run with the rankings service");
    lap("compute and write", &mut timings);
    let recorded = record::record(&peers, &out.join("input"), &out, &plan, &manifest).await;
    step.finish();
    lap("record", &mut timings);
    let run = match recorded {
        Ok(run) => run,
        // A finalize that finds its year sealed resumes the sealed run's
        // publishing (idempotent there): an earlier finalize may have
        // stopped half-way, and its inputs are gone by now.
        Err(e) if !(o.finalize && e.to_string().contains(Reason::YearSealed.code())) => {
            return Err(e);
        }
        Err(_) => {
            let step = progress
                .step("报送 the year is sealed: sending the sealed run's flags and commendations");
            let sealed = publish::publish_sealed(&peers, o.year, &plan, &out.join("input")).await?;
            step.finish();
            lap("publish", &mut timings);
            manifest.sealed_by = Some(sealed);
            manifest.timings = timings;
            return Ok(manifest);
        }
    };
    let step = progress.step("交付 uploading the reports to the rankings service");
    let delivered = deliver::upload(&peers, &out, &run.name, &run.reports).await?;
    step.finish();
    lap("deliver", &mut timings);
    manifest.delivered = delivered.into_iter().map(|r| r.name).collect();
    if o.finalize {
        let step = progress.step("报送 sending flags and commendations to accountability");
        publish::publish(&peers, &out, &manifest, &plan).await?;
        step.finish();
        lap("publish", &mut timings);
    }
    manifest.timings = timings;
    Ok(manifest)
}
