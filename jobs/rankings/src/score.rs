//! Scores and rankings within peer groups, from the counts and the plan.
//!
//! - A volume (or a mean) is compared with its peer group's mean: value /
//!   mean, capped at `volume_cap` and scaled to 0..1. A department twice the
//!   size of another does not score twice as high on volume: it is compared
//!   with the mean of its group, and the cap stops one number from
//!   dominating.
//! - A rate is shrunk toward the peer group's rate: (num + prior x group
//!   rate) / (den + prior). A subject with few cases keeps close to the
//!   group; one with many keeps its own rate.
//! - `lower` indicators count 1 - x. Contribution = 100 x weight x
//!   normalized value; the score is their sum, so they add up to it.
//! - Group statistics use the ranked subjects only. Ranks: by score
//!   (rounded to 1e-9), descending, ties share the best rank (1, 2, 2, 4);
//!   rows are listed by peer group, rank, then subject (resource name).
//!   Flags compare the rounded score with the rounded line; outstanding
//!   needs a score strictly above its line.
use polars::prelude::*;

use crate::{
    indicators::{self, Kind},
    plan::{Direction, Level, Plan},
};

fn num(e: Expr) -> Expr {
    e.cast(DataType::Float64)
}

/// The raw value of an indicator (null when its denominator is zero).
fn value(kind: Kind) -> Expr {
    match kind {
        Kind::Volume(c) => num(col(c)),
        Kind::Rate(n, d) | Kind::Mean(n, d) => when(col(d).gt(lit(0.0)))
            .then(num(col(n)) / num(col(d)))
            .otherwise(lit(NULL).cast(DataType::Float64)),
    }
}

/// Adds v_*, n_* (normalized) and c_* (contribution) columns for every
/// indicator of `level`, and `score`.
pub fn scored(base: LazyFrame, level: &Level) -> PolarsResult<LazyFrame> {
    let inds: Vec<(&crate::plan::Weighted, &'static indicators::Indicator)> = level
        .indicators
        .iter()
        .filter_map(|w| indicators::find(&w.indicator).map(|i| (w, i)))
        .collect();
    let values: Vec<Expr> = inds
        .iter()
        .map(|(w, i)| value(i.kind).alias(format!("v_{}", w.indicator)))
        .collect();
    let base = base.with_columns(values);
    let stats: Vec<Expr> = inds
        .iter()
        .map(|(w, i)| {
            let name = &w.indicator;
            match i.kind {
                Kind::Volume(_) | Kind::Mean(..) => {
                    col(format!("v_{name}")).mean().alias(format!("g_{name}"))
                }
                Kind::Rate(n, d) => when(col(d).sum().gt(lit(0.0)))
                    .then(num(col(n).sum()) / num(col(d).sum()))
                    .otherwise(lit(0.0))
                    .alias(format!("g_{name}")),
            }
        })
        .collect();
    let groups = base
        .clone()
        .filter(col("ranked"))
        .group_by([col("peer_group")])
        .agg(stats);
    let cap = level.volume_cap;
    let prior = level.rate_prior;
    let mut norms = Vec::new();
    let mut contributions = Vec::new();
    for (w, i) in &inds {
        let name = &w.indicator;
        let g = col(format!("g_{name}")).fill_null(lit(0.0));
        let v = col(format!("v_{name}"));
        let n = match i.kind {
            Kind::Volume(_) | Kind::Mean(..) => when(g.clone().gt(lit(0.0)))
                .then((v.fill_null(g.clone()) / g).clip(lit(0.0), lit(cap)) / lit(cap))
                .otherwise(lit(0.0)),
            Kind::Rate(nc, dc) => {
                let den = num(col(dc)) + lit(prior);
                when(den.clone().gt(lit(0.0)))
                    .then((num(col(nc)) + lit(prior) * g.clone()) / den)
                    .otherwise(g)
                    .clip(lit(0.0), lit(1.0))
            }
        };
        let n = match w.direction {
            Direction::Higher => n,
            Direction::Lower => lit(1.0) - n,
        };
        norms.push(n.alias(format!("n_{name}")));
        contributions
            .push((lit(100.0 * w.weight) * col(format!("n_{name}"))).alias(format!("c_{name}")));
    }
    let total = inds
        .iter()
        .map(|(w, _)| col(format!("c_{}", w.indicator)))
        .reduce(|a, b| a + b)
        .unwrap_or(lit(0.0));
    Ok(base
        .join(
            groups,
            [col("peer_group")],
            [col("peer_group")],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns(norms)
        .with_columns(contributions)
        .with_column(total.alias("score")))
}

/// Ranks, percentiles and the Art. 6 / 20(2) flags, within peer groups,
/// for the ranked subjects; `key` is the subject column.
pub fn ranked(
    scored: LazyFrame,
    plan: &Plan,
    key: &str,
    officers: bool,
) -> PolarsResult<LazyFrame> {
    let g = [col("peer_group")];
    let ranks = scored
        .clone()
        .filter(col("ranked"))
        .with_column(
            col("score")
                .round(9, RoundMode::HalfToEven)
                .alias("score_r"),
        )
        .select([
            col(key).alias("r_key"),
            col("score_r")
                .rank(
                    RankOptions {
                        method: RankMethod::Min,
                        descending: true,
                    },
                    None,
                )
                .over(g.clone())?
                .cast(DataType::Int64)
                .alias("rank"),
            len().over(g.clone())?.cast(DataType::Int64).alias("peer_n"),
            col("score").mean().over(g)?.alias("peer_mean"),
        ]);
    let rank = col("rank");
    let n = num(col("peer_n"));
    // Flags compare values rounded as the tables are: a parallel sum's last
    // bit must not move anyone across a line.
    let r9 = |e: Expr| e.round(9, RoundMode::HalfToEven);
    let mean = col("peer_mean");
    let score = r9(col("score"));
    let top = (n.clone() * lit(plan.outstanding.top_share))
        .floor()
        .clip(lit(1.0), lit(f64::MAX));
    let threshold = if officers {
        score
            .clone()
            .lt(r9(mean.clone() * lit(plan.threshold.factor())))
    } else {
        lit(false)
    };
    Ok(scored
        .join(
            ranks,
            [col(key)],
            [col("r_key")],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns([
            when(n.clone().gt(lit(1.0)))
                .then(lit(100.0) * (n.clone() - num(rank.clone())) / (n.clone() - lit(1.0)))
                .otherwise(lit(100.0))
                .alias("percentile"),
            (col("ranked").and(threshold)).alias("below_threshold"),
            (col("ranked").and(
                score
                    .clone()
                    .lt(r9(mean.clone() * lit(plan.failing.below_mean_factor))),
            ))
            .alias("failing"),
            // Above the line, strictly: a group that all scored the same (an
            // idle body, a body of one) commends nobody.
            (col("ranked")
                .and(num(rank).lt_eq(top))
                .and(score.gt(r9(mean * lit(plan.outstanding.min_over_mean)))))
            .alias("outstanding"),
        ])
        .with_column(
            when(col("ranked"))
                .then(col("percentile"))
                .otherwise(lit(NULL).cast(DataType::Float64))
                .alias("percentile"),
        )
        .sort_by_exprs(
            [col("peer_group"), col("rank"), col(key)],
            SortMultipleOptions::default()
                .with_nulls_last(true)
                .with_maintain_order(true),
        ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Plan, Reading};

    fn plan(officers: &str) -> Plan {
        let text = crate::plan::DEFAULT;
        let start = text.find("[officers]").unwrap();
        let end = text.find("[departments]").unwrap();
        Plan::parse(&format!("{}{officers}\n{}", &text[..start], &text[end..])).unwrap()
    }

    /// Two indicators: a volume (matters) and a rate (wrongful / decisions, lower).
    const TWO: &str = r#"[officers]
peer_group = "body"
min_days_in_post = 0
rate_prior = 5.0
volume_cap = 2.0
[[officers.indicators]]
indicator = "matters_accepted"
weight = 0.6
direction = "higher"
[[officers.indicators]]
indicator = "wrongful_rate"
weight = 0.4
direction = "lower"
"#;

    fn frame(rows: &[(&str, &str, f64, f64, f64)]) -> LazyFrame {
        let s =
            |f: fn(&(&str, &str, f64, f64, f64)) -> String| rows.iter().map(f).collect::<Vec<_>>();
        let n = |f: fn(&(&str, &str, f64, f64, f64)) -> f64| rows.iter().map(f).collect::<Vec<_>>();
        DataFrame::new_infer_height(vec![
            Column::new("officer".into(), s(|r| r.0.to_string())),
            Column::new("peer_group".into(), s(|r| r.1.to_string())),
            Column::new("matters".into(), n(|r| r.2)),
            Column::new("wrongful".into(), n(|r| r.3)),
            Column::new("decisions".into(), n(|r| r.4)),
            Column::new("ranked".into(), vec![true; rows.len()]),
        ])
        .unwrap()
        .lazy()
    }

    fn run(p: &Plan, rows: &[(&str, &str, f64, f64, f64)]) -> DataFrame {
        crate::collect(
            ranked(
                scored(frame(rows), &p.officers).unwrap(),
                p,
                "officer",
                true,
            )
            .unwrap(),
        )
        .unwrap()
    }

    fn col_f(df: &DataFrame, name: &str) -> Vec<f64> {
        df.column(name)
            .unwrap()
            .f64()
            .unwrap()
            .iter()
            .map(|v| v.unwrap())
            .collect()
    }

    /// The documented formulas, written out by hand for one group.
    fn expected(rows: &[(f64, f64, f64)]) -> Vec<f64> {
        let mean = rows.iter().map(|r| r.0).sum::<f64>() / rows.len() as f64;
        let rate = rows.iter().map(|r| r.1).sum::<f64>() / rows.iter().map(|r| r.2).sum::<f64>();
        rows.iter()
            .map(|&(m, w, d)| {
                let vol = (m / mean).min(2.0) / 2.0;
                let shrunk = (w + 5.0 * rate) / (d + 5.0);
                100.0 * (0.6 * vol + 0.4 * (1.0 - shrunk))
            })
            .collect()
    }

    #[test]
    fn scores_follow_the_formulas_and_contributions_add_up() {
        let p = plan(TWO);
        let rows = [
            ("officers/x", "g", 10.0, 1.0, 4.0),
            ("officers/y", "g", 4.0, 0.0, 2.0),
            ("officers/z", "g", 1.0, 2.0, 3.0),
        ];
        let df = run(&p, &rows);
        let want = expected(&rows.map(|r| (r.2, r.3, r.4)));
        let names: Vec<String> = df
            .column("officer")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.unwrap().to_string())
            .collect();
        let score = col_f(&df, "score");
        let (c1, c2) = (
            col_f(&df, "c_matters_accepted"),
            col_f(&df, "c_wrongful_rate"),
        );
        for (i, name) in names.iter().enumerate() {
            let at = rows.iter().position(|r| r.0 == name).unwrap();
            assert!(
                (score[i] - want[at]).abs() < 1e-9,
                "{name}: {} vs {}",
                score[i],
                want[at]
            );
            assert!(
                (c1[i] + c2[i] - score[i]).abs() < 1e-9,
                "contributions add up"
            );
        }
        // Sorted by rank: x first.
        assert_eq!(names[0], "officers/x");
    }

    #[test]
    fn a_group_twice_the_size_scores_the_same() {
        let p = plan(TWO);
        let small = [
            ("officers/a", "small", 3.0, 1.0, 3.0),
            ("officers/b", "small", 1.0, 0.0, 1.0),
        ];
        let big = [
            ("officers/c", "big", 6.0, 2.0, 6.0),
            ("officers/d", "big", 2.0, 0.0, 2.0),
        ];
        let df = run(&p, &[small[0], small[1], big[0], big[1]]);
        let names: Vec<String> = df
            .column("officer")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.unwrap().to_string())
            .collect();
        let score = col_f(&df, "score");
        let get = |n: &str| score[names.iter().position(|x| x == n).unwrap()];
        // Volumes are relative to the group: twice everything, same volume marks.
        let vol =
            |n: &str| col_f(&df, "c_matters_accepted")[names.iter().position(|x| x == n).unwrap()];
        assert!((vol("officers/a") - vol("officers/c")).abs() < 1e-9);
        assert!((vol("officers/b") - vol("officers/d")).abs() < 1e-9);
        assert!(get("officers/a") > get("officers/b"));
        let ranks: Vec<i64> = df
            .column("rank")
            .unwrap()
            .i64()
            .unwrap()
            .iter()
            .map(|v| v.unwrap())
            .collect();
        assert_eq!(
            ranks.iter().filter(|r| **r == 1).count(),
            2,
            "each group has its own first"
        );
    }

    #[test]
    fn ties_share_the_best_rank_and_flags_follow_both_readings() {
        let mut p = plan(TWO);
        // Identical officers tie; a weak one falls below the threshold.
        let rows = [
            ("officers/a", "g", 10.0, 0.0, 5.0),
            ("officers/b", "g", 10.0, 0.0, 5.0),
            ("officers/c", "g", 10.0, 0.0, 5.0),
            ("officers/d", "g", 0.0, 5.0, 5.0),
        ];
        let df = run(&p, &rows);
        let ranks: Vec<i64> = df
            .column("rank")
            .unwrap()
            .i64()
            .unwrap()
            .iter()
            .map(|v| v.unwrap())
            .collect();
        assert_eq!(ranks, vec![1, 1, 1, 4]);
        let score = col_f(&df, "score");
        let mean = score.iter().sum::<f64>() / 4.0;
        let flags = |df: &DataFrame| -> Vec<bool> {
            df.column("below_threshold")
                .unwrap()
                .bool()
                .unwrap()
                .iter()
                .map(|v| v.unwrap())
                .collect()
        };
        let by_hand: Vec<bool> = score.iter().map(|s| *s < 0.6 * mean).collect();
        assert_eq!(flags(&df), by_hand);
        assert!(by_hand[3], "d is more than 40% below the mean: {score:?}");
        p.threshold.reading = Reading::BelowFractionOfMean;
        let df = run(&p, &rows);
        let score = col_f(&df, "score");
        let by_hand: Vec<bool> = score.iter().map(|s| *s < 0.4 * mean).collect();
        assert_eq!(flags(&df), by_hand);
        let pct = col_f(&df, "percentile");
        assert_eq!(pct, vec![100.0, 100.0, 100.0, 0.0]);
    }

    #[test]
    fn a_group_that_all_scored_the_same_commends_nobody() {
        let p = plan(TWO);
        let rows = [
            ("officers/a", "idle", 0.0, 0.0, 0.0),
            ("officers/b", "idle", 0.0, 0.0, 0.0),
            ("officers/c", "alone", 7.0, 1.0, 3.0),
            ("officers/d", "pair", 9.0, 0.0, 3.0),
            ("officers/e", "pair", 1.0, 2.0, 3.0),
        ];
        let df = run(&p, &rows);
        let names: Vec<String> = df
            .column("officer")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.unwrap().to_string())
            .collect();
        let out: Vec<bool> = df
            .column("outstanding")
            .unwrap()
            .bool()
            .unwrap()
            .iter()
            .map(|v| v.unwrap())
            .collect();
        let commended: Vec<&str> = names
            .iter()
            .zip(&out)
            .filter(|(_, o)| **o)
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(
            commended,
            vec!["officers/d"],
            "the idle pair and the lone officer are not commended"
        );
    }
}
