//! The run's tables and its manifest: officers and departments as Parquet
//! and CSV, floats rounded to 1e-9 so that a parallel sum's last bit never
//! changes a file; the manifest names the plan, fingerprints the inputs and
//! hashes every output. Only its `created_at` differs between two runs on
//! the same inputs and plan.
use std::{collections::HashMap, fs::File, path::Path, time::Duration};

use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};
use polars::prelude::*;
use probity_proto::registry::v1::OfficerKind;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{
    collect,
    columns::strs,
    compute::{department_counts, levels, officer_counts, scan},
    extract::Counts,
    plan::{PeerGroup, Plan},
    report, report_inputs, score, write_parquet,
};

/// Progress on the terminal (hidden when quiet or not a terminal).
pub struct Progress {
    quiet: bool,
}

impl Progress {
    pub fn new(quiet: bool) -> Self {
        Progress { quiet }
    }

    pub fn counter(&self, what: &str) -> ProgressBar {
        if self.quiet {
            return ProgressBar::hidden();
        }
        let b = ProgressBar::new(0);
        b.set_style(
            ProgressStyle::with_template("{spinner} {msg} {pos} [{elapsed_precise}, {per_sec}]")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b.set_message(what.to_string());
        b.enable_steady_tick(Duration::from_millis(200));
        b
    }

    pub fn step(&self, what: &str) -> ProgressBar {
        if self.quiet {
            return ProgressBar::hidden();
        }
        let b = ProgressBar::new_spinner();
        b.set_message(what.to_string());
        b.enable_steady_tick(Duration::from_millis(200));
        b
    }
}

pub struct Tables {
    pub officers: DataFrame,
    pub departments: DataFrame,
    /// Lower governments, ranked among themselves (Art. 4).
    pub towns: DataFrame,
}

fn rounded(df: DataFrame) -> PolarsResult<DataFrame> {
    let exprs: Vec<Expr> = df
        .schema()
        .iter()
        .filter(|(_, t)| **t == DataType::Float64)
        .map(|(n, _)| col(n.clone()).round(9, RoundMode::HalfToEven))
        .collect();
    df.lazy().with_columns(exprs).collect()
}

/// Officers' and departments' indicators, scores, ranks and flags.
pub fn compute(input: &Path, plan: &Plan, year: i32) -> PolarsResult<Tables> {
    let bodies = scan(input, "bodies.parquet")?
        .select([col("body").alias("b_body"), col("parent"), col("body_name")])
        .join(
            levels(input)?,
            [col("b_body")],
            [col("l_body")],
            JoinArgs::new(JoinType::Left),
        );
    // Towns are compared with towns only, whatever the plan says of the
    // departments: a town's work (the few powers the province devolved to
    // it) is not a department's, and Art. 4 names them apart. Their
    // officers likewise, unless compared within their own body.
    let group = |g: PeerGroup, own: Expr| {
        let plain = match g {
            PeerGroup::Body => return own,
            PeerGroup::Parent => col("parent"),
            PeerGroup::All => lit("all"),
        };
        when(col("town").fill_null(lit(false)))
            .then(lit(TOWNS))
            .otherwise(plain)
    };
    let base = officer_counts(input, year)?
        .filter(col("officer_kind").eq(lit(OfficerKind::Officer as i32)))
        .join(
            bodies,
            [col("body")],
            [col("b_body")],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns([
            group(plan.officers.peer_group, col("body")).alias("peer_group"),
            // days in post end a microsecond before midnight: a full window
            // is a hair under its days
            col("days_in_post")
                .gt_eq(lit(plan.officers.min_days_in_post as f64 - 1e-6))
                .alias("ranked"),
        ]);
    // The counts are collected once (thousands of rows): scoring and ranking
    // read them several times, and a lazy plan would count the facts again
    // for each.
    let base = collect(base)?.lazy();
    let officers = collect(score::ranked(
        score::scored(base, &plan.officers)?,
        plan,
        "officer",
        true,
    )?)?;
    let spread = officers
        .clone()
        .lazy()
        .filter(col("ranked"))
        .group_by([col("body")])
        .agg([
            col("score")
                .std(1)
                .fill_null(lit(0.0))
                .alias("officer_spread"),
            len().cast(DataType::Int64).alias("officers_ranked"),
        ])
        .rename(["body"], ["s_body"], true);
    let dbase = department_counts(input, year)?
        .join(
            spread,
            [col("body")],
            [col("s_body")],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns([
            group(plan.departments.peer_group, lit("all")).alias("peer_group"),
            lit(true).alias("ranked"),
            col("officer_spread").fill_null(lit(0.0)),
            col("officers_ranked").fill_null(lit(0i64)),
        ]);
    let dbase = collect(dbase)?.lazy();
    // Departments and towns are scored in one frame: every statistic is
    // taken within a peer group, and no group holds both.
    let units = collect(score::ranked(
        score::scored(dbase, &plan.departments)?,
        plan,
        "body",
        false,
    )?)?;
    let part = |towns: bool| -> PolarsResult<DataFrame> {
        let keep = if towns {
            col("town")
        } else {
            col("town").not()
        };
        Ok(units
            .clone()
            .lazy()
            .filter(keep)
            .collect()?
            .drop_many(["town", "assessed"]))
    };
    let names = body_names(input)?;
    Ok(Tables {
        officers: named_groups(rounded(officers.drop_many(["town", "assessed"]))?, &names)?,
        departments: named_groups(rounded(part(false)?)?, &names)?,
        towns: named_groups(rounded(part(true)?)?, &names)?,
    })
}

/// The name people know a peer group by, for a group "all".
pub const ALL_DEPARTMENTS: &str = "全市 All departments";

/// The towns' peer group (Art. 4: 下级人民政府), its id and its name.
pub const TOWNS: &str = "towns";
pub const TOWNS_GROUP: &str = "乡镇人民政府 Towns";

fn body_names(input: &Path) -> PolarsResult<HashMap<String, String>> {
    let df = collect(scan(input, "bodies.parquet")?.select([col("body"), col("body_name")]))?;
    Ok(strs(&df, "body")
        .into_iter()
        .zip(strs(&df, "body_name"))
        .collect())
}

/// Adds `peer_group_name`: the group body's name (its own body, or the
/// parent), or the whole city; reports print it, never the group's id.
fn named_groups(mut df: DataFrame, names: &HashMap<String, String>) -> PolarsResult<DataFrame> {
    let named: Vec<String> = strs(&df, "peer_group")
        .iter()
        .map(|g| match g.as_str() {
            "all" => ALL_DEPARTMENTS.to_string(),
            TOWNS => TOWNS_GROUP.to_string(),
            "" => "无上级单位 No parent body".to_string(),
            g => names
                .get(g)
                .filter(|n| !n.is_empty())
                .cloned()
                .unwrap_or_else(|| "未命名单位 Unnamed body".to_string()),
        })
        .collect();
    df.with_column(Column::new("peer_group_name".into(), named))?;
    Ok(df)
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct FileHash {
    pub file: String,
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Manifest {
    /// From the inputs, the plan, the as-of date and finality: the same run
    /// twice has the same id.
    pub run_id: String,
    /// The job that made it: version and a hash of its source.
    #[serde(default)]
    pub job: String,
    pub year: i32,
    pub as_of: String,
    pub finalized: bool,
    pub plan_version: String,
    pub plan_sha256: String,
    pub threshold_rule: String,
    /// SHA-256 over the plan and every input file's hash.
    pub input_fingerprint: String,
    pub inputs: Vec<FileHash>,
    /// Every file the run wrote beside the manifest, by its path under the
    /// run's folder (`notices/{notice}.html` for the year's notices).
    pub outputs: Vec<FileHash>,
    pub counts: serde_json::Value,
    pub officers_ranked: usize,
    pub departments_ranked: usize,
    #[serde(default)]
    pub towns_ranked: usize,
    pub flags: serde_json::Value,
    pub created_at: String,
    /// Seconds each stage took (printed, not stored: the file is reproducible).
    #[serde(skip)]
    pub timings: Vec<(String, f64)>,
    /// A finalize run that found its year sealed: the run that sealed it
    /// (whose flags and commendations were sent again); this run was not recorded.
    #[serde(skip)]
    pub sealed_by: Option<String>,
    /// The reports uploaded to the rankings service (`runs/{run}/reports/...`).
    #[serde(skip)]
    pub delivered: Vec<String>,
}

/// Names a run by what decides its results: inputs and plan (the
/// fingerprint), as-of date, finality and the job's code.
fn run_id(fingerprint: &str, as_of: NaiveDate, finalized: bool, job: &str) -> String {
    hex::encode(Sha256::digest(
        format!("{fingerprint}/{as_of}/{finalized}/{job}").as_bytes(),
    ))[..16]
        .to_string()
}

/// "probity-rankings 0.1.0+<first 12 of the source hash>".
pub fn job_version() -> String {
    format!(
        "{} {}+{}",
        env!("CARGO_PKG_NAME"),
        env!("CARGO_PKG_VERSION"),
        &env!("JOB_SOURCE_SHA256")[..12]
    )
}

pub fn sha256_file(path: &Path) -> std::io::Result<FileHash> {
    let bytes = std::fs::read(path)?;
    Ok(FileHash {
        file: path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default(),
        sha256: hex::encode(Sha256::digest(&bytes)),
        bytes: bytes.len() as u64,
    })
}

/// The table as CSV, its text cells safe to open in a spreadsheet
/// (`csv_cells`).
fn write_csv(df: &DataFrame, path: &Path) -> PolarsResult<()> {
    let mut f = File::create(path)?;
    CsvWriter::new(&mut f)
        .include_header(true)
        .finish(&mut crate::csv_cells::for_csv(df)?)
}

fn count_true(df: &DataFrame, column: &str) -> usize {
    df.column(column)
        .ok()
        .and_then(|c| c.bool().ok().map(|b| b.sum().unwrap_or(0) as usize))
        .unwrap_or(0)
}

#[allow(clippy::too_many_arguments)]
pub fn write(
    out: &Path,
    input: &Path,
    plan: &Plan,
    year: i32,
    as_of: NaiveDate,
    finalized: bool,
    counts: &Counts,
    mut t: Tables,
) -> anyhow::Result<Manifest> {
    let plan_text = toml::to_string(plan)?;
    let plan_sha = hex::encode(Sha256::digest(plan_text.as_bytes()));
    let mut inputs = Vec::new();
    for f in [
        "bodies.parquet",
        "officers.parquet",
        "facts.parquet",
        "fact_officers.parquet",
        "findings.parquet",
        "refs.parquet",
        "ref_officers.parquet",
        report_inputs::FILE,
    ] {
        inputs.push(sha256_file(&input.join(f))?);
    }
    // Absent from inputs made without the services (drawn_share::SHARES).
    if input.join(crate::drawn_share::SHARES).exists() {
        inputs.push(sha256_file(&input.join(crate::drawn_share::SHARES))?);
    }
    let mut h = Sha256::new();
    h.update(plan_sha.as_bytes());
    for i in &inputs {
        h.update(i.file.as_bytes());
        h.update(i.sha256.as_bytes());
    }
    let fingerprint = hex::encode(h.finalize());
    let job = job_version();
    let run_id = run_id(&fingerprint, as_of, finalized, &job);

    write_parquet(&mut t.officers, &out.join("officers.parquet"))?;
    write_csv(&t.officers, &out.join("officers.csv"))?;
    write_parquet(&mut t.departments, &out.join("departments.parquet"))?;
    write_csv(&t.departments, &out.join("departments.csv"))?;
    write_parquet(&mut t.towns, &out.join("towns.parquet"))?;
    write_csv(&t.towns, &out.join("towns.csv"))?;
    let beside = report_inputs::ReportInputs::load(input)?;
    let drawn = crate::drawn_share::load(input)?;
    let ctx = report::Context {
        plan,
        year,
        as_of,
        run_id: &run_id,
        finalized,
        officers: &t.officers,
        departments: &t.departments,
        towns: &t.towns,
        beside: &beside,
        drawn: drawn.as_deref(),
    };
    report::workbook(&ctx, &out.join("rankings.xlsx"))?;
    report::html(&ctx, &out.join("report.html"))?;
    // The year's notices beside the report, which links them.
    let mut notices = Vec::new();
    for n in beside.notices.iter().flatten() {
        let path = out.join(n.file());
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, &n.html)?;
        notices.push(FileHash {
            file: n.file(),
            ..sha256_file(&path)?
        });
    }
    let mut outputs = Vec::new();
    for f in [
        "officers.parquet",
        "officers.csv",
        "departments.parquet",
        "departments.csv",
        "towns.parquet",
        "towns.csv",
        "rankings.xlsx",
        "report.html",
    ] {
        outputs.push(sha256_file(&out.join(f))?);
    }
    notices.sort_by(|a, b| a.file.cmp(&b.file));
    outputs.extend(notices);
    let manifest = Manifest {
        run_id,
        job,
        year,
        as_of: as_of.to_string(),
        finalized,
        plan_version: plan.version.clone(),
        plan_sha256: plan_sha,
        threshold_rule: plan.threshold.describe(),
        input_fingerprint: fingerprint,
        inputs,
        outputs,
        counts: serde_json::to_value(counts)?,
        officers_ranked: count_true(&t.officers, "ranked"),
        departments_ranked: count_true(&t.departments, "ranked"),
        towns_ranked: count_true(&t.towns, "ranked"),
        flags: serde_json::json!({
            "officers_below_threshold": count_true(&t.officers, "below_threshold"),
            "officers_failing": count_true(&t.officers, "failing"),
            "officers_outstanding": count_true(&t.officers, "outstanding"),
            "departments_failing": count_true(&t.departments, "failing"),
            "departments_outstanding": count_true(&t.departments, "outstanding"),
            "towns_failing": count_true(&t.towns, "failing"),
            "towns_outstanding": count_true(&t.towns, "outstanding"),
            // Art. 19(7): units (each once) with a power's drawn share
            // below its plan's; null when the shares were not available.
            "units_drawn_share_below_plan": drawn.as_ref().map(|rows| {
                rows.iter()
                    .filter(|r| r.below_plan)
                    .map(|r| r.body.as_str())
                    .collect::<std::collections::BTreeSet<_>>()
                    .len()
            }),
        }),
        created_at: chrono::Utc::now().to_rfc3339(),
        timings: Vec::new(),
        sealed_by: None,
        delivered: Vec::new(),
    };
    std::fs::write(
        out.join("manifest.json"),
        serde_json::to_string_pretty(&manifest)?,
    )?;
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_named_by_its_inputs_date_finality_and_code() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        let one = run_id("f", day, true, "probity-rankings 0.1.0+aaaa");
        assert_eq!(one, run_id("f", day, true, "probity-rankings 0.1.0+aaaa"));
        assert_eq!(one.len(), 16);
        for other in [
            run_id("g", day, true, "probity-rankings 0.1.0+aaaa"),
            run_id(
                "f",
                day.pred_opt().unwrap(),
                true,
                "probity-rankings 0.1.0+aaaa",
            ),
            run_id("f", day, false, "probity-rankings 0.1.0+aaaa"),
            run_id("f", day, true, "probity-rankings 0.1.0+bbbb"),
        ] {
            assert_ne!(one, other);
        }
        assert!(job_version().starts_with("probity-rankings "));
    }
}
