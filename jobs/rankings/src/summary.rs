//! A run's tables read back as plain rows, for callers that print or check
//! them (`probity demo`, the whole-loop test) without knowing polars.
use std::{collections::BTreeMap, path::Path};

use polars::prelude::*;

use crate::columns::{bools, f64s, floats, strs};

/// An officer or a department as the run ranked it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// `officers/{id}` or `bodies/{id}`.
    pub subject: String,
    pub name: String,
    pub body: String,
    pub body_name: String,
    pub peer_group_name: String,
    pub ranked: bool,
    pub rank: Option<i64>,
    pub peer_n: i64,
    pub score: f64,
    pub below_threshold: bool,
    pub failing: bool,
    pub outstanding: bool,
    /// Every indicator value (`v_<indicator>`) and findings count
    /// (`findings_<rule>`) of the row; None where it has no denominator.
    pub columns: BTreeMap<String, Option<f64>>,
}

impl Row {
    pub fn flagged(&self) -> bool {
        self.below_threshold || self.failing
    }
}

/// The officers', departments' and towns' tables of one run.
#[derive(Debug, Clone, Default)]
pub struct RunTables {
    pub officers: Vec<Row>,
    pub departments: Vec<Row>,
    /// Lower governments, ranked among themselves (Art. 4).
    pub towns: Vec<Row>,
}

impl RunTables {
    /// Reads `officers.parquet`, `departments.parquet` and `towns.parquet`
    /// from a run's folder (a run from before towns were ranked has none).
    pub fn read(out: &Path) -> anyhow::Result<RunTables> {
        let towns = out.join("towns.parquet");
        Ok(RunTables {
            officers: rows(&read(&out.join("officers.parquet"))?, true),
            departments: rows(&read(&out.join("departments.parquet"))?, false),
            towns: if towns.exists() {
                rows(&read(&towns)?, false)
            } else {
                Vec::new()
            },
        })
    }

    /// Ranked departments, best first.
    pub fn departments_by_rank(&self) -> Vec<&Row> {
        by_rank(&self.departments)
    }

    /// Ranked towns, best first.
    pub fn towns_by_rank(&self) -> Vec<&Row> {
        by_rank(&self.towns)
    }
}

fn by_rank(rows: &[Row]) -> Vec<&Row> {
    let mut v: Vec<&Row> = rows.iter().filter(|d| d.ranked).collect();
    v.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.name.cmp(&b.name)));
    v
}

fn read(path: &Path) -> anyhow::Result<DataFrame> {
    let f = std::fs::File::open(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(ParquetReader::new(f).finish()?)
}

fn rows(df: &DataFrame, officers: bool) -> Vec<Row> {
    let (key, name) = if officers {
        ("officer", "officer_name")
    } else {
        ("body", "body_name")
    };
    let (subject, names, body, body_name, group) = (
        strs(df, key),
        strs(df, name),
        strs(df, "body"),
        strs(df, "body_name"),
        strs(df, "peer_group_name"),
    );
    let (ranked, below, failing, outstanding) = (
        bools(df, "ranked"),
        bools(df, "below_threshold"),
        bools(df, "failing"),
        bools(df, "outstanding"),
    );
    let (rank, n, score) = (f64s(df, "rank"), floats(df, "peer_n"), floats(df, "score"));
    let measured: Vec<(String, Vec<Option<f64>>)> = df
        .get_column_names()
        .into_iter()
        .filter(|c| c.starts_with("v_") || c.starts_with("findings_"))
        .map(|c| (c.to_string(), f64s(df, c)))
        .collect();
    (0..df.height())
        .map(|i| Row {
            subject: subject[i].clone(),
            name: names[i].clone(),
            body: body[i].clone(),
            body_name: body_name[i].clone(),
            peer_group_name: group[i].clone(),
            ranked: ranked[i],
            rank: rank[i].map(|r| r as i64),
            peer_n: n[i] as i64,
            score: score[i],
            below_threshold: below[i],
            failing: failing[i],
            outstanding: outstanding[i],
            columns: measured.iter().map(|(c, v)| (c.clone(), v[i])).collect(),
        })
        .collect()
}
