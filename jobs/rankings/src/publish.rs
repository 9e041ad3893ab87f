//! Sealing the year: flags (Art. 20(2) below the threshold, Art. 6 failing)
//! raise cases in accountability and outstanding units and officers are
//! recorded as commendations (Art. 6). Both are idempotent there: a flag
//! raises one case per year, kind and subject; a commendation is recorded
//! once per year and subject; so a finalize run again changes nothing.
use std::path::Path;

use polars::prelude::*;
use probity_proto::accountability::v1::{
    Commendation, FlagKind, RaiseFromFlagRequest, RankingFlag, RecordCommendationRequest,
    accountability_service_client::AccountabilityServiceClient,
};

use crate::{extract::Peers, output::Manifest};

fn request_id(parts: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("probity-rankings/{parts}").as_bytes(),
    )
    .to_string()
}

struct Row {
    subject: String,
    group: String,
    score: f64,
    mean: f64,
    rank: i64,
    below: bool,
    failing: bool,
    outstanding: bool,
}

fn rows(path: &Path, key: &str) -> anyhow::Result<Vec<Row>> {
    let df = LazyFrame::scan_parquet(
        PlRefPath::new(path.to_string_lossy().as_ref()),
        ScanArgsParquet::default(),
    )?
    .filter(col("ranked"))
    .collect()?;
    let s = |n: &str| -> anyhow::Result<Vec<String>> {
        Ok(df
            .column(n)?
            .str()?
            .iter()
            .map(|v| v.unwrap_or_default().to_string())
            .collect())
    };
    let f = |n: &str| -> anyhow::Result<Vec<f64>> {
        Ok(df
            .column(n)?
            .f64()?
            .iter()
            .map(|v| v.unwrap_or(0.0))
            .collect())
    };
    let b = |n: &str| -> anyhow::Result<Vec<bool>> {
        Ok(df
            .column(n)?
            .bool()?
            .iter()
            .map(|v| v == Some(true))
            .collect())
    };
    let (subject, group, score, mean) = (s(key)?, s("peer_group")?, f("score")?, f("peer_mean")?);
    let rank: Vec<i64> = df
        .column("rank")?
        .i64()?
        .iter()
        .map(|v| v.unwrap_or(0))
        .collect();
    let (below, failing, outstanding) = (b("below_threshold")?, b("failing")?, b("outstanding")?);
    Ok((0..df.height())
        .map(|i| Row {
            subject: subject[i].clone(),
            group: group[i].clone(),
            score: score[i],
            mean: mean[i],
            rank: rank[i],
            below: below[i],
            failing: failing[i],
            outstanding: outstanding[i],
        })
        .collect())
}

pub async fn publish(
    peers: &Peers,
    out: &Path,
    m: &Manifest,
    plan: &crate::plan::Plan,
) -> anyhow::Result<()> {
    let mut client = AccountabilityServiceClient::new(peers.accountability.channel());
    // The line each flag fell below, as the run's plan drew it.
    let line = |kind: FlagKind, mean: f64| match kind {
        FlagKind::BelowThreshold => mean * plan.threshold.factor(),
        _ => mean * plan.failing.below_mean_factor,
    };
    for (file, key) in [
        ("officers.parquet", "officer"),
        ("departments.parquet", "body"),
    ] {
        for r in rows(&out.join(file), key)? {
            let mut flags = Vec::new();
            if r.below {
                flags.push(FlagKind::BelowThreshold);
            }
            if r.failing {
                flags.push(FlagKind::Failing);
            }
            for kind in flags {
                let req = RaiseFromFlagRequest {
                    request_id: request_id(&format!(
                        "{}/{}/{}",
                        m.year,
                        kind.as_str_name(),
                        r.subject
                    )),
                    flag: Some(RankingFlag {
                        year: m.year,
                        kind: kind as i32,
                        subject: r.subject.clone(),
                        run: m.run_id.clone(),
                        score: r.score,
                        threshold: line(kind, r.mean),
                        peer_group: r.group.clone(),
                    }),
                };
                peers
                    .accountability
                    .call("accountability", client.raise_from_flag(req))
                    .await
                    .map_err(|e| anyhow::anyhow!("RaiseFromFlag {}: {e}", r.subject))?;
            }
            if r.outstanding {
                let req = RecordCommendationRequest {
                    request_id: request_id(&format!("{}/commendation/{}", m.year, r.subject)),
                    commendation: Some(Commendation {
                        year: m.year,
                        subject: r.subject.clone(),
                        run: m.run_id.clone(),
                        score: r.score,
                        rank: r.rank as i32,
                        peer_group: r.group.clone(),
                        note: "考核成绩突出 outstanding in the annual assessment (Art. 6)".into(),
                        ..Default::default()
                    }),
                };
                peers
                    .accountability
                    .call("accountability", client.record_commendation(req))
                    .await
                    .map_err(|e| anyhow::anyhow!("RecordCommendation {}: {e}", r.subject))?;
            }
        }
    }
    Ok(())
}
