//! A table's column as plain Rust values, for the files and messages built
//! row by row (report, record, publish). A missing column reads as empty
//! values, not an error: reports show what is there.
use polars::prelude::*;

pub fn strs(df: &DataFrame, n: &str) -> Vec<String> {
    df.column(n)
        .ok()
        .and_then(|c| {
            c.str().ok().map(|a| {
                a.iter()
                    .map(|v| v.unwrap_or_default().to_string())
                    .collect()
            })
        })
        .unwrap_or_else(|| vec![String::new(); df.height()])
}

/// Any numeric column as f64 (null stays None).
pub fn f64s(df: &DataFrame, n: &str) -> Vec<Option<f64>> {
    df.column(n)
        .ok()
        .and_then(|c| c.cast(&DataType::Float64).ok())
        .and_then(|c| c.f64().ok().map(|a| a.iter().collect()))
        .unwrap_or_else(|| vec![None; df.height()])
}

/// Any numeric column as f64, null as 0.
pub fn floats(df: &DataFrame, n: &str) -> Vec<f64> {
    f64s(df, n).into_iter().map(|v| v.unwrap_or(0.0)).collect()
}

pub fn bools(df: &DataFrame, n: &str) -> Vec<bool> {
    df.column(n)
        .ok()
        .and_then(|c| {
            c.bool()
                .ok()
                .map(|a| a.iter().map(|v| v == Some(true)).collect())
        })
        .unwrap_or_else(|| vec![false; df.height()])
}
