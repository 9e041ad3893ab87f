//! The edge-case year (probity_bench::edge_year): the job's counts are the
//! ones worked out by hand, every count of every officer and unit, zeros
//! included. scripts/bench-rankings.sh holds DuckDB to the same files.
use std::collections::HashMap;

use probity_bench::edge_year::{EXPECTED_DEPARTMENTS, EXPECTED_OFFICERS, YEAR, write};
use probity_rankings::{
    collect,
    columns::{floats, strs},
    compute::{department_counts, officer_counts, scan},
    indicators::{DEPARTMENT_EXTRA, OFFICER_COUNTS},
    write_parquet,
};

fn check(
    table: &polars::prelude::DataFrame,
    key: &str,
    counts: &[&str],
    expected: &[(&str, &[(&str, f64)])],
) -> Vec<String> {
    let keys = strs(table, key);
    let mut bad = Vec::new();
    let want: HashMap<&str, HashMap<&str, f64>> = expected
        .iter()
        .map(|(k, v)| (*k, v.iter().copied().collect()))
        .collect();
    for c in counts {
        let got = floats(table, c);
        for (k, g) in keys.iter().zip(got) {
            let w = want
                .get(k.as_str())
                .and_then(|m| m.get(c))
                .copied()
                .unwrap_or(0.0);
            if (g - w).abs() > 1e-9 {
                bad.push(format!("{k} {c}: got {g}, want {w}"));
            }
        }
    }
    for k in want.keys() {
        if !keys.iter().any(|x| x == k) {
            bad.push(format!("{k}: missing"));
        }
    }
    bad
}

/// Every count of the year in `dir` is the hand-worked one.
fn assert_hand_counts(dir: &std::path::Path) {
    let counts: Vec<&str> = OFFICER_COUNTS
        .iter()
        .copied()
        .filter(|c| *c != "findings")
        .collect();
    let officers = collect(officer_counts(dir, YEAR).unwrap()).unwrap();
    assert_eq!(officers.height(), 6);
    let mut bad = check(&officers, "officer", &counts, EXPECTED_OFFICERS);
    let departments = collect(department_counts(dir, YEAR).unwrap()).unwrap();
    // the city government assesses, it is not assessed
    let mut units = strs(&departments, "body");
    units.sort();
    assert_eq!(units, ["bodies/b1", "bodies/b2"]);
    let all: Vec<&str> = counts.iter().chain(DEPARTMENT_EXTRA).copied().collect();
    bad.extend(check(&departments, "body", &all, EXPECTED_DEPARTMENTS));
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn the_job_counts_the_edge_case_year_as_worked_out_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path()).unwrap();
    assert_hand_counts(dir.path());
}

/// The crediting walks fact_officers along the facts when both come in id
/// order; rows in any other order (bodies interleaved, a file written
/// backwards) must count the same.
#[test]
fn the_counts_do_not_depend_on_the_order_of_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path()).unwrap();
    for f in [
        "facts.parquet",
        "fact_officers.parquet",
        "refs.parquet",
        "ref_officers.parquet",
        "findings.parquet",
    ] {
        let mut df = collect(scan(dir.path(), f).unwrap()).unwrap().reverse();
        write_parquet(&mut df, &dir.path().join(f)).unwrap();
    }
    assert_hand_counts(dir.path());
}
