//! The story `probity demo` tells and the whole-loop test checks: a city
//! built through the public APIs, its findings raised as cases, its year
//! ranked and sealed (flags raise cases, the outstanding are commended), one
//! officer's case decided with a withheld credential that the registry
//! applies, that officer's next act found, and the loop closed by that
//! finding's own case. Everything goes through gRPC, as a department, the
//! legal-affairs office and the nightly job would.
use std::{
    path::{Path, PathBuf},
    time::Instant,
};

use probity_city::{City, CityPlan, DevTokens, Endpoints, Progress};
use probity_common::config::Settings;
use probity_rankings::{output::Manifest, summary::RunTables};

mod cases;
mod check;
mod draws;
mod next_act;
mod summary;

pub use check::{DrawCheck, Found, PatternCheck};
pub use next_act::LoopClosed;
pub use summary::print;

/// What to tell.
#[derive(Debug, Clone)]
pub struct StoryOptions {
    pub plan: CityPlan,
    /// The ground truth, the run's tables and reports go under it.
    pub out: PathBuf,
    /// No progress bars (tests, logs).
    pub quiet: bool,
}

/// What happened, for the summary and for the whole-loop test.
pub struct Story {
    pub city: City,
    pub truth_file: PathBuf,
    pub run_dir: PathBuf,
    pub manifest: Manifest,
    pub tables: RunTables,
    /// Cases raised from the planted findings, by pattern.
    pub raised: Vec<cases::Raised>,
    pub checks: Vec<PatternCheck>,
    /// Subjects flagged by the run that nothing was planted on.
    pub false_flags: Vec<String>,
    pub closed: LoopClosed,
    pub cases: cases::CaseCounts,
    /// This year's draws and the inspections after them (双随机一公开).
    pub draws: draws::Published,
    /// Seconds per stage, in order.
    pub stages: Vec<(String, f64)>,
}

/// Tells the story against the services at `url` (every service at one
/// address), with tokens signed by the deployment's development key.
pub async fn tell(
    settings: &Settings,
    url: &str,
    o: &StoryOptions,
    progress: &dyn Progress,
) -> anyhow::Result<Story> {
    std::fs::create_dir_all(&o.out)?;
    let tokens = DevTokens::new(settings);
    let endpoints = Endpoints::all(url);
    let mut stages = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |name: &str, stages: &mut Vec<(String, f64)>| {
        stages.push((name.to_string(), clock.elapsed().as_secs_f64()));
        clock = Instant::now();
    };

    let city = probity_city::build(&endpoints, &tokens, &o.plan, progress).await?;
    let truth_file = o.out.join("ground-truth.json");
    std::fs::write(&truth_file, serde_json::to_vec_pretty(&city.truth)?)?;
    lap("build the city", &mut stages);

    let conn = cases::Conn::open(&endpoints, &tokens).await?;
    let raised = cases::raise_planted(&conn, &city.truth).await?;
    lap("raise cases from findings", &mut stages);

    let run_dir = o.out.join("rankings");
    let manifest = rank(settings, url, o.plan.year, &run_dir, o.quiet).await?;
    let tables = RunTables::read(&run_dir)?;
    lap("rank and seal the year", &mut stages);

    let closed = next_act::close_the_loop(&conn, &city, &raised).await?;
    lap("decide, withhold, find the next act", &mut stages);

    // After the loop: intake keeps the registry's answers for a few seconds
    // (intake.registry_cache_ttl_ms), so inspections just before the
    // withholding could let the next act pass as qualified.
    let draws = draws::draw_and_inspect(&endpoints, &tokens, &city, &o.out).await?;
    lap("draw and inspect (双随机一公开)", &mut stages);

    // One walk of every case, for the counts and the patterns' checks.
    let all = cases::all_cases(&conn).await?;
    let cases = cases::count(&all);
    let checks = check::patterns(&conn, &city.truth, &tables, &raised, &all).await?;
    let false_flags = check::false_flags(&city.truth, &tables);
    let draws = draws.checked(&conn).await?;
    lap("check the planted patterns", &mut stages);
    Ok(Story {
        city,
        truth_file,
        run_dir,
        manifest,
        tables,
        raised,
        checks,
        false_flags,
        closed,
        cases,
        draws,
        stages,
    })
}

/// Runs the nightly job for the city's year, finalized: its tables and
/// reports go to `out`, its flags and commendations to accountability.
async fn rank(
    settings: &Settings,
    url: &str,
    year: i32,
    out: &Path,
    quiet: bool,
) -> anyhow::Result<Manifest> {
    let mut s = settings.clone();
    {
        let r = s.section_mut::<probity_rankings::settings::RankingsSettings>();
        r.registry_endpoint = url.into();
        r.intake_endpoint = url.into();
        r.accountability_endpoint = url.into();
        r.rankings_endpoint = url.into();
    }
    probity_rankings::run(
        &s,
        probity_rankings::RunOptions {
            year,
            as_of: None,
            plan: None,
            out: Some(out.to_path_buf()),
            finalize: true,
            quiet,
            today: None,
        },
    )
    .await
}
