//! Recording a run with the rankings service (its own tables): the run and
//! every ranked row with its indicator breakdown, streamed in batches and
//! committed there in one transaction, once per run id; the run declares
//! its reports' digests (deliver.rs uploads them after).
use std::{collections::HashMap, path::Path};

use polars::prelude::*;
use probity_proto::rankings::v1::{
    Contribution, Level, Ranking, RankingBatch, RecordRunRequest, Run,
    rankings_service_client::RankingsServiceClient, record_run_request::Part,
};

use crate::{
    columns::{bools, f64s, strs},
    extract::Peers,
    indicators,
    output::Manifest,
    plan::Plan,
};

const BATCH: usize = 500;

/// "/root/.../body/" for every body, from the snapshot's parents.
fn paths(input: &Path) -> anyhow::Result<HashMap<String, String>> {
    let df = crate::collect(crate::compute::scan(input, "bodies.parquet")?)?;
    let parent: HashMap<String, String> = strs(&df, "body")
        .into_iter()
        .zip(strs(&df, "parent"))
        .collect();
    let mut out = HashMap::new();
    for b in parent.keys() {
        let mut chain = vec![b.clone()];
        let mut cur = b.clone();
        while let Some(p) = parent
            .get(&cur)
            .filter(|p| !p.is_empty() && chain.len() < 64)
        {
            chain.push(p.clone());
            cur = p.clone();
        }
        let mut s = String::from("/");
        for x in chain.iter().rev() {
            s.push_str(x.trim_start_matches("bodies/"));
            s.push('/');
        }
        out.insert(b.clone(), s);
    }
    Ok(out)
}

/// An indicator with its raw values, normalized values and points, by row.
type Part3<'a> = (
    &'a crate::plan::Weighted,
    Vec<Option<f64>>,
    Vec<Option<f64>>,
    Vec<Option<f64>>,
);

fn rows(df: &DataFrame, plan: &Plan, of: Level, paths: &HashMap<String, String>) -> Vec<Ranking> {
    let officers = of == Level::Officer;
    let level = if officers {
        &plan.officers
    } else {
        &plan.departments
    };
    let subject = strs(df, if officers { "officer" } else { "body" });
    let name = strs(
        df,
        if officers {
            "officer_name"
        } else {
            "body_name"
        },
    );
    let body = strs(df, "body");
    let group = strs(df, "peer_group");
    let ranked = bools(df, "ranked");
    let (score, rank, n, pct, mean, days) = (
        f64s(df, "score"),
        f64s(df, "rank"),
        f64s(df, "peer_n"),
        f64s(df, "percentile"),
        f64s(df, "peer_mean"),
        f64s(df, "days_in_post"),
    );
    let (below, out, fail) = (
        bools(df, "below_threshold"),
        bools(df, "outstanding"),
        bools(df, "failing"),
    );
    let parts: Vec<Part3<'_>> = level
        .indicators
        .iter()
        .map(|w| {
            (
                w,
                f64s(df, &format!("v_{}", w.indicator)),
                f64s(df, &format!("n_{}", w.indicator)),
                f64s(df, &format!("c_{}", w.indicator)),
            )
        })
        .collect();
    (0..df.height())
        .map(|i| Ranking {
            level: of as i32,
            subject: subject[i].clone(),
            display_name: name[i].clone(),
            body: body[i].clone(),
            body_path: paths.get(&body[i]).cloned().unwrap_or_default(),
            peer_group: group[i].clone(),
            ranked: ranked[i],
            score: score[i].unwrap_or(0.0),
            rank: rank[i].unwrap_or(0.0) as i32,
            peer_size: n[i].unwrap_or(0.0) as i32,
            percentile: pct[i].unwrap_or(0.0),
            peer_mean: mean[i].unwrap_or(0.0),
            below_threshold: below[i],
            outstanding: out[i],
            failing: fail[i],
            days_in_post: days[i].unwrap_or(0.0),
            contributions: parts
                .iter()
                .map(|(w, v, nz, c)| {
                    let ind = indicators::find(&w.indicator);
                    Contribution {
                        indicator: w.indicator.clone(),
                        article: ind.map(|x| x.article).unwrap_or_default().into(),
                        title_zh: ind.map(|x| x.zh).unwrap_or_default().into(),
                        title_en: ind.map(|x| x.en).unwrap_or_default().into(),
                        value: v[i],
                        normalized: nz[i].unwrap_or(0.0),
                        weight: w.weight,
                        points: c[i].unwrap_or(0.0),
                    }
                })
                .collect(),
        })
        .collect()
}

pub async fn record(
    peers: &Peers,
    input: &Path,
    out: &Path,
    plan: &Plan,
    m: &Manifest,
) -> anyhow::Result<Run> {
    let paths = paths(input)?;
    let read = |f: &str| crate::collect(crate::compute::scan(out, f)?);
    let mut all = rows(&read("officers.parquet")?, plan, Level::Officer, &paths);
    all.extend(rows(
        &read("departments.parquet")?,
        plan,
        Level::Department,
        &paths,
    ));
    all.extend(rows(&read("towns.parquet")?, plan, Level::Town, &paths));
    let run = Run {
        name: format!("runs/{}", m.run_id),
        year: m.year,
        as_of: m.as_of.clone(),
        finalized: m.finalized,
        plan_version: m.plan_version.clone(),
        plan_sha256: m.plan_sha256.clone(),
        input_fingerprint: m.input_fingerprint.clone(),
        threshold_rule: m.threshold_rule.clone(),
        officers_ranked: m.officers_ranked as i32,
        departments_ranked: m.departments_ranked as i32,
        towns_ranked: m.towns_ranked as i32,
        reports: crate::deliver::declared(m),
        ..Default::default()
    };
    let mut messages = vec![RecordRunRequest {
        part: Some(Part::Run(run)),
    }];
    for chunk in all.chunks(BATCH) {
        messages.push(RecordRunRequest {
            part: Some(Part::Rankings(RankingBatch {
                rankings: chunk.to_vec(),
            })),
        });
    }
    let mut client = RankingsServiceClient::new(peers.rankings.channel());
    peers
        .rankings
        .call(
            "the rankings service",
            client.record_run(futures::stream::iter(messages)),
        )
        .await
        .map_err(|e| anyhow::anyhow!("RecordRun: {e}"))
}
