//! Sealing the year: flags (Art. 20(2) below the threshold, Art. 6 failing,
//! Art. 19(7) a unit's drawn share below its plan's) raise cases in
//! accountability and outstanding units (departments and
//! towns, each in their own group) and officers are
//! recorded as commendations (Art. 6). Both are idempotent there: a flag
//! raises one case per year, kind and subject; a commendation is recorded
//! once per year and subject; so a finalize run again changes nothing.
use std::path::Path;

use polars::prelude::*;
use probity_common::Reason;
use probity_proto::accountability::v1::{
    Commendation, FlagKind, RaiseFromFlagRequest, RankingFlag, RecordCommendationRequest,
    accountability_service_client::AccountabilityServiceClient,
};

use crate::{
    columns::{bools, floats, strs},
    extract::Peers,
    output::Manifest,
};

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
    let (subject, group) = (strs(&df, key), strs(&df, "peer_group"));
    let (score, mean, rank) = (
        floats(&df, "score"),
        floats(&df, "peer_mean"),
        floats(&df, "rank"),
    );
    let (below, failing, outstanding) = (
        bools(&df, "below_threshold"),
        bools(&df, "failing"),
        bools(&df, "outstanding"),
    );
    Ok((0..df.height())
        .map(|i| Row {
            subject: subject[i].clone(),
            group: group[i].clone(),
            score: score[i],
            mean: mean[i],
            rank: rank[i] as i64,
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
    let mut all = rows(&out.join("officers.parquet"), "officer")?;
    all.extend(rows(&out.join("departments.parquet"), "body")?);
    all.extend(rows(&out.join("towns.parquet"), "body")?);
    send(peers, m.year, &m.run_id, &all, plan).await?;
    send_drawn(peers, m.year, &m.run_id, &out.join("input")).await
}

/// Art. 19(7): a flag against each unit with a power whose verified drawn
/// share of routine inspections is below its plan's, one per unit and year
/// (accountability raises one case per year, kind and subject): the power
/// furthest below. Sealing needs the shares: a run without them is refused
/// before it records anything (lib.rs), and one found missing here fails.
async fn send_drawn(peers: &Peers, year: i32, run_id: &str, input: &Path) -> anyhow::Result<()> {
    let rows = crate::drawn_share::load(input)?.ok_or_else(|| {
        anyhow::anyhow!(
            "{}: the drawn shares (Art. 19(7)) were not read; the year cannot be sealed without them",
            input.join(crate::drawn_share::SHARES).display()
        )
    })?;
    let mut worst: std::collections::BTreeMap<&str, &crate::drawn_share::DrawnShareRow> =
        Default::default();
    for r in rows.iter().filter(|r| r.below_plan) {
        let margin = |x: &crate::drawn_share::DrawnShareRow| {
            x.share().unwrap_or(0.0) - x.plan_share().unwrap_or(0.0)
        };
        match worst.get(r.body.as_str()) {
            Some(w) if margin(w) <= margin(r) => {}
            _ => {
                worst.insert(r.body.as_str(), r);
            }
        }
    }
    let mut client = AccountabilityServiceClient::new(peers.accountability.channel());
    for (body, r) in worst {
        let kind = FlagKind::DrawnShareBelowPlan;
        let req = RaiseFromFlagRequest {
            request_id: request_id(&format!("{year}/{}/{body}", kind.as_str_name())),
            flag: Some(RankingFlag {
                year,
                kind: kind as i32,
                subject: body.to_string(),
                run: run_id.to_string(),
                score: r.share().unwrap_or(0.0),
                threshold: r.plan_share().unwrap_or(0.0),
                // the power (where a group would be): the case names it
                peer_group: format!("{} ({}/{})", r.power, r.drawn, r.routine),
            }),
        };
        peers
            .accountability
            .call("accountability", client.raise_from_flag(req))
            .await
            .map_err(|e| anyhow::anyhow!("RaiseFromFlag {body}: {e}"))?;
    }
    Ok(())
}

/// A finalize run that found its year sealed (by an earlier finalize whose
/// publishing failed half-way, say): sends again what the sealed run found,
/// from its stored rows; returns the sealed run's name. The drawn-share
/// flags (Art. 19(7)) are not among the stored rows: they are sent from
/// this run's own reading of the sealed year (`input`).
pub async fn publish_sealed(
    peers: &Peers,
    year: i32,
    plan: &crate::plan::Plan,
    input: &Path,
) -> anyhow::Result<String> {
    use probity_proto::rankings::v1::{
        Level, ListRankingsRequest, rankings_service_client::RankingsServiceClient,
    };
    let mut client = RankingsServiceClient::new(peers.rankings.channel());
    let mut all = Vec::new();
    let mut run = String::new();
    for level in [Level::Officer, Level::Department, Level::Town] {
        let mut token = String::new();
        loop {
            let page = peers
                .rankings
                .call(
                    "the rankings service",
                    client.list_rankings(ListRankingsRequest {
                        year,
                        level: level as i32,
                        flagged_only: true,
                        page_size: 1000,
                        page_token: token,
                        ..Default::default()
                    }),
                )
                .await
                .map_err(|e| anyhow::anyhow!("ListRankings: {e}"))?;
            run = page.run.map(|r| r.name).unwrap_or_default();
            all.extend(page.rankings.into_iter().filter(|r| r.ranked).map(|r| Row {
                subject: r.subject,
                group: r.peer_group,
                score: r.score,
                mean: r.peer_mean,
                rank: i64::from(r.rank),
                below: r.below_threshold,
                failing: r.failing,
                outstanding: r.outstanding,
            }));
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
    }
    let id = run.trim_start_matches("runs/").to_string();
    send(peers, year, &id, &all, plan).await?;
    send_drawn(peers, year, &id, input).await?;
    Ok(run)
}

async fn send(
    peers: &Peers,
    year: i32,
    run_id: &str,
    all: &[Row],
    plan: &crate::plan::Plan,
) -> anyhow::Result<()> {
    let mut client = AccountabilityServiceClient::new(peers.accountability.channel());
    // The line each flag fell below, as the plan draws it.
    let line = |kind: FlagKind, mean: f64| match kind {
        FlagKind::BelowThreshold => mean * plan.threshold.factor(),
        _ => mean * plan.failing.below_mean_factor,
    };
    for r in all {
        let mut flags = Vec::new();
        if r.below {
            flags.push(FlagKind::BelowThreshold);
        }
        if r.failing {
            flags.push(FlagKind::Failing);
        }
        for kind in flags {
            let req = RaiseFromFlagRequest {
                request_id: request_id(&format!("{year}/{}/{}", kind.as_str_name(), r.subject)),
                flag: Some(RankingFlag {
                    year,
                    kind: kind as i32,
                    subject: r.subject.clone(),
                    run: run_id.to_string(),
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
                request_id: request_id(&format!("{year}/commendation/{}", r.subject)),
                commendation: Some(Commendation {
                    year,
                    subject: r.subject.clone(),
                    run: run_id.to_string(),
                    score: r.score,
                    rank: r.rank as i32,
                    peer_group: r.group.clone(),
                    note: "考核成绩突出 outstanding in the annual assessment (Art. 6)".into(),
                    ..Default::default()
                }),
            };
            match peers
                .accountability
                .call("accountability", client.record_commendation(req))
                .await
            {
                Ok(_) => {}
                // a sanction took the year's awards away: no commendation
                Err(e) if e.is(Reason::AwardEligibilityLost) => {
                    tracing::info!(subject = %r.subject, "not commended: {e}");
                }
                Err(e) => anyhow::bail!("RecordCommendation {}: {e}", r.subject),
            }
        }
    }
    Ok(())
}
