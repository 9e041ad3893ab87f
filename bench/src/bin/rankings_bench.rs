//! The rankings job's compute on synthetic inputs: `generate --from-city`
//! writes the synthetic city's year (probity-city: its departments, towns,
//! officers and auxiliaries, every kind of fact, the planted patterns and
//! their findings) as the job's input Parquet; plain `generate` the older
//! uniform year (a realistic mix of kinds, references between facts, two
//! officers an act, no findings on officers). `compute` runs the job's
//! computation on either (what scripts/bench-rankings.sh times against DuckDB).
use std::{path::PathBuf, time::Instant};

use clap::{Parser, Subcommand};
use polars::prelude::*;
use probity_proto::intake::v1::FactKind;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    Generate {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, default_value_t = 10_000_000)]
        facts: usize,
        #[arg(long, default_value_t = 3_000)]
        officers: usize,
        /// The uniform year's bodies (the city has its own: 30 departments
        /// and 8 towns by default).
        #[arg(long, default_value_t = 40)]
        bodies: usize,
        /// The synthetic city's year, for the last full year.
        #[arg(long)]
        from_city: bool,
        /// The city's seed.
        #[arg(long, default_value_t = 2018)]
        seed: u64,
    },
    /// Times the parts of the computation apart.
    Parts {
        #[arg(long)]
        dir: PathBuf,
        /// Default: the year of the input's facts.
        #[arg(long)]
        year: Option<i32>,
    },
    /// The edge-case year (probity_bench::edge_year) as the job's input.
    EdgeYear {
        #[arg(long)]
        dir: PathBuf,
    },
    Compute {
        #[arg(long)]
        dir: PathBuf,
        /// Also write the officers' counts here (to check against DuckDB).
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Also write the assessed units' counts here.
        #[arg(long)]
        departments_csv: Option<PathBuf>,
        /// Default: the year of the input's facts.
        #[arg(long)]
        year: Option<i32>,
    },
}

/// xorshift64*: reproducible without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() % 1_000_000) as f64 / 1_000_000.0 < p
    }
}

const YEAR: i32 = 2026;
const YEAR_START_US: i64 = 1_767_196_800_000_000; // 2026-01-01T00:00:00+08:00

fn generate(dir: PathBuf, n: usize, officers: usize, bodies: usize) -> anyhow::Result<()> {
    std::fs::create_dir_all(&dir)?;
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let per_body = (officers / bodies).max(2);
    let body = |b: usize| format!("bodies/b{b:04}");
    let officer = |b: usize, i: usize| format!("officers/o{b:04}x{i:04}");
    // Kinds by share (per mille), references to earlier facts of the same body.
    let mix: [(FactKind, u64); 10] = [
        (FactKind::Matter, 350),
        (FactKind::MatterClosing, 250),
        (FactKind::Decision, 150),
        (FactKind::Inspection, 120),
        (FactKind::ReviewOutcome, 10),
        (FactKind::CaseFileReview, 30),
        (FactKind::Complaint, 30),
        (FactKind::ComplaintClosing, 20),
        (FactKind::Transfer, 10),
        (FactKind::Training, 30),
    ];
    let mut recent: Vec<[Vec<String>; 3]> = (0..bodies).map(|_| Default::default()).collect();
    let (mut fid, mut kind, mut fbody, mut src, mut refs, mut at) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut records, mut random, mut wrongful, mut major, mut reviewed, mut penalty, mut within) = (
        vec![0i32; n],
        vec![false; n],
        vec![false; n],
        vec![false; n],
        vec![false; n],
        vec![false; n],
        vec![false; n],
    );
    let (mut hours, mut exam, mut has_exam, mut six, mut tkind) = (
        vec![0f64; n],
        vec![0f64; n],
        vec![false; n],
        vec![false; n],
        vec![0i32; n],
    );
    let (mut of_fid, mut of_officer) = (Vec::with_capacity(n * 2), Vec::with_capacity(n * 2));
    let (mut fi_fid, mut fi_body, mut fi_officer, mut fi_rule) = (vec![], vec![], vec![], vec![]);
    for i in 0..n {
        let b = r.below(bodies);
        let pick = r.below(1000) as u64;
        let mut acc = 0;
        let mut k = FactKind::Matter;
        for (kk, share) in mix {
            acc += share;
            if pick < acc {
                k = kk;
                break;
            }
        }
        let pool = |k: FactKind| match k {
            FactKind::MatterClosing | FactKind::Decision => Some(0),
            FactKind::ReviewOutcome | FactKind::CaseFileReview => Some(1),
            FactKind::ComplaintClosing => Some(2),
            _ => None,
        };
        let mut reference = String::new();
        if let Some(p) = pool(k) {
            let list = &recent[b][p];
            if list.is_empty() {
                k = FactKind::Matter;
            } else {
                reference = list[r.below(list.len())].clone();
            }
        }
        let source = format!("s{i}");
        match k {
            FactKind::Matter => push_recent(&mut recent[b][0], &source),
            FactKind::Decision => push_recent(&mut recent[b][1], &source),
            FactKind::Complaint => push_recent(&mut recent[b][2], &source),
            _ => {}
        }
        let id = i as i64 + 1;
        let two = |r: &mut Rng| [officer(b, r.below(per_body)), officer(b, r.below(per_body))];
        match k {
            FactKind::Matter | FactKind::Inspection | FactKind::Complaint | FactKind::Transfer => {
                for o in two(&mut r) {
                    of_fid.push(id);
                    of_officer.push(o);
                }
            }
            FactKind::Training => {
                of_fid.push(id);
                of_officer.push(officer(b, r.below(per_body)));
            }
            _ => {}
        }
        if matches!(k, FactKind::Matter | FactKind::Inspection) {
            records[i] = if r.chance(0.9) { 1 } else { 0 };
            random[i] = k == FactKind::Inspection && r.chance(0.6);
            if r.chance(0.02) {
                fi_fid.push(id);
                fi_body.push(body(b));
                fi_officer.push(String::new());
                fi_rule.push("INSPECTION_NOT_RECORDED".to_string());
            }
        }
        if k == FactKind::Decision {
            penalty[i] = r.chance(0.7);
            within[i] = penalty[i] && r.chance(0.95);
            major[i] = r.chance(0.1);
            reviewed[i] = major[i] && r.chance(0.9);
        }
        wrongful[i] = k == FactKind::ReviewOutcome && r.chance(0.3);
        six[i] = k == FactKind::CaseFileReview && r.chance(0.85);
        if k == FactKind::Training {
            hours[i] = 1.0 + r.below(16) as f64 / 2.0;
            has_exam[i] = r.chance(0.5);
            exam[i] = if has_exam[i] {
                60.0 + r.below(41) as f64
            } else {
                0.0
            };
        }
        if k == FactKind::Transfer {
            tkind[i] = 1 + r.below(3) as i32;
        }
        fid.push(id);
        kind.push(k as i32);
        fbody.push(body(b));
        src.push(source);
        refs.push(reference);
        at.push(YEAR_START_US + (i as i64 * 31_536_000_000_000 / n as i64));
    }
    let mut facts = DataFrame::new_infer_height(vec![
        Column::new("fid".into(), fid),
        Column::new("kind".into(), kind),
        Column::new("body".into(), fbody),
        Column::new("source_id".into(), src),
        Column::new("ref_source".into(), refs),
        Column::new("occurred_us".into(), at),
        Column::new("records".into(), records),
        Column::new("random".into(), random),
        Column::new("wrongful".into(), wrongful),
        // the job marks repeats while extracting; generated facts have none
        Column::new("repeat".into(), vec![false; n]),
        Column::new("major".into(), major),
        Column::new("reviewed".into(), reviewed),
        Column::new("penalty".into(), penalty),
        Column::new("within".into(), within),
        Column::new("hours".into(), hours),
        Column::new("exam".into(), exam),
        Column::new("has_exam".into(), has_exam),
        Column::new("six_ok".into(), six),
        Column::new("transfer_kind".into(), tkind),
        Column::new("item_score".into(), vec![0f64; n]),
        Column::new("item_year".into(), vec![0i32; n]),
    ])?;
    probity_rankings::write_parquet(&mut facts, &dir.join("facts.parquet"))?;
    drop(facts);
    let mut fo = DataFrame::new_infer_height(vec![
        Column::new("fid".into(), of_fid),
        Column::new("officer".into(), of_officer),
    ])?;
    probity_rankings::write_parquet(&mut fo, &dir.join("fact_officers.parquet"))?;
    probity_rankings::extract::no_references(&dir)?;
    let mut fi = DataFrame::new_infer_height(vec![
        Column::new("fid".into(), fi_fid),
        Column::new("body".into(), fi_body),
        Column::new("officer".into(), fi_officer),
        Column::new("rule".into(), fi_rule),
    ])?;
    probity_rankings::write_parquet(&mut fi, &dir.join("findings.parquet"))?;
    let (mut o_name, mut o_body) = (vec![], vec![]);
    for b in 0..bodies {
        for i in 0..per_body {
            o_name.push(officer(b, i));
            o_body.push(body(b));
        }
    }
    let no = o_name.len();
    let mut of = DataFrame::new_infer_height(vec![
        Column::new("officer".into(), o_name.clone()),
        Column::new("body".into(), o_body),
        Column::new("officer_kind".into(), vec![1i32; no]),
        Column::new("status".into(), vec![1i32; no]),
        Column::new("officer_name".into(), o_name),
        Column::new("days_in_post".into(), vec![365f64; no]),
    ])?;
    probity_rankings::write_parquet(&mut of, &dir.join("officers.parquet"))?;
    let mut names: Vec<String> = (0..bodies).map(body).collect();
    names.push("bodies/gov".into());
    let nb = names.len();
    let mut parents = vec!["bodies/gov".to_string(); bodies];
    parents.push(String::new());
    let mut kinds = vec![2i32; bodies];
    kinds.push(1);
    let mut bf = DataFrame::new_infer_height(vec![
        Column::new("body".into(), names.clone()),
        Column::new("parent".into(), parents),
        Column::new("body_kind".into(), kinds),
        Column::new("body_name".into(), names),
    ])?;
    let _ = nb;
    probity_rankings::write_parquet(&mut bf, &dir.join("bodies.parquet"))?;
    println!(
        "generated {n} facts, {no} officers, {bodies} bodies in {}",
        dir.display()
    );
    Ok(())
}

/// The last few thousand references of a kind per body: closings and
/// decisions refer to recent matters, as they do.
fn push_recent(list: &mut Vec<String>, s: &str) {
    if list.len() >= 4096 {
        list.swap_remove(0);
    }
    list.push(s.to_string());
}

/// The city's year straight to Parquet, with progress bars.
fn from_city(dir: PathBuf, facts: usize, officers: usize, seed: u64) -> anyhow::Result<()> {
    let plan = probity_city::CityPlan {
        seed,
        facts: facts as u64,
        officers,
        ..Default::default()
    };
    let started = Instant::now();
    let bars = probity_city::Bars::new();
    let w = probity_city::parquet::write_year(&plan, &dir, &bars)?;
    let secs = started.elapsed().as_secs_f64();
    std::fs::write(
        dir.join("truth.json"),
        serde_json::to_string_pretty(&w.truth)?,
    )?;
    println!(
        "wrote the city's {} (seed {seed}): {} facts, {} officers' rows, {} findings, {} officers, \
         {} bodies in {} in {secs:.1} s ({:.0} facts/s)",
        plan.year,
        w.counts.facts,
        w.counts.fact_officers,
        w.counts.findings,
        w.counts.officers,
        w.counts.bodies,
        dir.display(),
        w.counts.facts as f64 / secs
    );
    Ok(())
}

/// The year of the input's first fact: a city's year is the last full one,
/// the uniform year's is [`YEAR`].
fn year_of(dir: &std::path::Path, year: Option<i32>) -> anyhow::Result<i32> {
    if let Some(y) = year {
        return Ok(y);
    }
    let first = probity_rankings::collect(
        probity_rankings::compute::scan(dir, "facts.parquet")?
            .select([col("occurred_us")])
            .slice(0, 1),
    )?;
    let us = first.column("occurred_us")?.i64()?.get(0);
    Ok(us.map(probity_rules::city::year_of_us).unwrap_or(YEAR))
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().cmd {
        Cmd::Generate {
            dir,
            facts,
            officers,
            from_city: true,
            seed,
            ..
        } => from_city(dir, facts, officers, seed),
        Cmd::Generate {
            dir,
            facts,
            officers,
            bodies,
            ..
        } => generate(dir, facts, officers, bodies),
        Cmd::Parts { dir, year } => {
            use probity_rankings::compute::*;
            let year = year_of(&dir, year)?;
            // Each stage of the officer counts on its own, the next one
            // including the one before: where the time goes.
            let time = |what: &str, lf: LazyFrame| -> anyhow::Result<()> {
                let t = Instant::now();
                let df = probity_rankings::collect(lf)?;
                println!(
                    "{what}: {} in {:.2} s",
                    df.get_row(0)
                        .map(|r| format!("{:?}", r.0))
                        .unwrap_or_default(),
                    t.elapsed().as_secs_f64()
                );
                Ok(())
            };
            time(
                "read the facts' keys",
                scan(&dir, "facts.parquet")?.select([
                    col("fid").sum(),
                    col("body").eq(col("ref_source")).sum().alias("b"),
                    col("source_id").eq(col("ref_source")).sum().alias("s"),
                ]),
            )?;
            let registry = probity_rankings::collect(
                scan(&dir, "officers.parquet")?.select([col("officer")]),
            )?;
            let names: Vec<&str> = registry
                .column("officer")?
                .str()?
                .iter()
                .map(|o| o.unwrap_or(""))
                .collect();
            let t = Instant::now();
            let n = probity_rankings::crediting::by_officer_and_code(&dir, year, &names)?.height();
            println!(
                "credited to officers, grouped by (officer, code): {n} rows in {:.2} s",
                t.elapsed().as_secs_f64()
            );
            let t = Instant::now();
            let n = probity_rankings::collect(officer_counts(&dir, year)?)?.height();
            println!(
                "officer counts: {n} rows in {:.2} s",
                t.elapsed().as_secs_f64()
            );
            let t = Instant::now();
            let n = probity_rankings::collect(department_counts(&dir, year)?)?.height();
            println!(
                "department counts: {n} rows in {:.2} s",
                t.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Cmd::EdgeYear { dir } => {
            probity_bench::edge_year::write(&dir)?;
            println!("wrote the edge-case year in {}", dir.display());
            Ok(())
        }
        Cmd::Compute {
            dir,
            csv,
            departments_csv,
            year,
        } => {
            let year = year_of(&dir, year)?;
            let plan = probity_rankings::Plan::parse(
                &probity_rankings::plan::DEFAULT
                    .replace("min_days_in_post = 90", "min_days_in_post = 0"),
            )?;
            let started = Instant::now();
            let t = probity_rankings::output::compute(&dir, &plan, year)?;
            if let Some(path) = csv {
                // Every registered officer's counts, auxiliaries too (the
                // ranked table has officers only): what DuckDB counts.
                let mut counts = probity_rankings::collect(
                    probity_rankings::compute::officer_counts(&dir, year)?,
                )?;
                let mut f = std::fs::File::create(path)?;
                CsvWriter::new(&mut f)
                    .include_header(true)
                    .finish(&mut counts)?;
            }
            if let Some(path) = departments_csv {
                let mut counts = probity_rankings::collect(
                    probity_rankings::compute::department_counts(&dir, year)?,
                )?;
                let mut f = std::fs::File::create(path)?;
                CsvWriter::new(&mut f)
                    .include_header(true)
                    .finish(&mut counts)?;
            }
            println!(
                "computed {} officers and {} departments in {:.2} s",
                t.officers.height(),
                t.departments.height(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
    }
}
