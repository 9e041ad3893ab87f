//! This year's routine inspections through draws (双随机一公开, issue 18):
//! each unit with an inspection power uploads its target list (检查对象名录库)
//! and sets its annual plan (抽查计划), commits to a seed, the legal-affairs
//! office records the public value, the unit reveals, and its inspections
//! are the draw's: the drawn officers at the drawn targets, citing the draw,
//! so that intake verifies them.
//!
//! A draw opens its window at the reveal, which is now, while the city's
//! ranked year has ended: the drawn inspections fall in the current year,
//! after the ranked one. Three units depart from their draws as the story
//! shows: one sends an officer the draw did not pick (DRAW_MISMATCH), one
//! inspects a drawn target past its plan's cap without cause
//! (INSPECTION_EXCESSIVE), one draws and then inspects whom it likes (its
//! drawn share nil). Seeds, lists, plans, public values and the departing
//! units follow from the city's seed; which officer a draw picks also
//! depends on the ids the registry gave.
use chrono::{DateTime, Datelike, Duration, Utc};
use futures::{StreamExt, TryStreamExt};
use probity_common::auth::Role;
use probity_proto::{
    draws::v1::{
        CreateDrawRequest, Draw, DrawPlan, ListedTarget, RecordPublicValueRequest,
        RevealDrawRequest, RiskClass, SetDrawPlanRequest, TargetList, UpdateTargetListRequest,
    },
    intake::v1::{Fact, Inspection, ProcessRecord, RecordKind, SubmitFactRequest, fact::Payload},
};
use rand::{Rng, seq::SliceRandom};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tonic_types::StatusExt;

use crate::{City, Endpoints, TokenSource, blueprint::Blueprint, connect::Conn, rng};

/// Units drawing (or inspecting) at once.
const PARALLEL: usize = 4;
/// Targets on each unit's list.
const LISTED: usize = 30;
/// The plan every unit sets: ratios per risk class (basis points), officers
/// per target, the drawn share of routine inspections, the cap a year.
const RATIOS: [i32; 5] = [5_000, 3_000, 2_000, 1_000, 2_500];
const PER_TARGET: i32 = 2;
pub const DRAWN_SHARE: i32 = 7_000;
pub const MAX_PER_TARGET: i32 = 2;
const PUBLIC_VALUE_SOURCE: &str =
    "中国福利彩票 3D (福彩3D), the draw of the day after the commitment";

/// How a unit departs from its draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Departure {
    /// One drawn target visited by an officer the draw did not pick.
    OtherOfficer,
    /// A drawn target inspected again and again, without cause.
    Excessive,
    /// Drew, then inspected targets and officers of its own choosing.
    Undrawn,
}

impl Departure {
    pub const ALL: [Departure; 3] = [
        Departure::OtherOfficer,
        Departure::Excessive,
        Departure::Undrawn,
    ];

    /// The finding intake records for it, if any (the undrawn inspections
    /// claim no draw, so nothing is mismatched: their share shows it).
    pub fn rule(self) -> Option<&'static str> {
        match self {
            Departure::OtherOfficer => Some("DRAW_MISMATCH"),
            Departure::Excessive => Some("INSPECTION_EXCESSIVE"),
            Departure::Undrawn => None,
        }
    }
}

/// One unit's draw and the inspections it sent after it.
#[derive(Debug, Clone, Serialize)]
pub struct UnitDraw {
    pub key: String,
    pub display_name: String,
    /// bodies/{id}
    pub body: String,
    /// bodies/{id}/powers/{id}: the inspection power drawn for.
    pub power: String,
    pub year: i32,
    /// draws/{id}
    pub draw: String,
    pub listed: usize,
    /// Targets the draw picked.
    pub drawn_targets: usize,
    /// The published record (format probity-draw/1), as the public API gives it.
    pub record_json: String,
    pub departure: Option<Departure>,
    /// Routine inspections sent after the draw.
    pub inspections: u64,
    /// Of them, those citing the draw.
    pub cited: u64,
    /// Of them, those intake verified (`draw_verified`).
    pub verified: u64,
    /// Rules intake found on them (one entry a finding).
    pub findings: Vec<String>,
}

impl UnitDraw {
    /// The share of its routine inspections verified as drawn, basis points.
    pub fn drawn_share(&self) -> i32 {
        if self.inspections == 0 {
            return 0;
        }
        (self.verified * 10_000 / self.inspections) as i32
    }

    pub fn below_plan(&self) -> bool {
        self.drawn_share() < DRAWN_SHARE
    }
}

/// A unit whose pool could not staff its draw (DRAW_UNDERSTAFFED), or that
/// otherwise drew nothing, and why.
#[derive(Debug, Clone, Serialize)]
pub struct NotDrawn {
    pub key: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Draws {
    pub units: Vec<UnitDraw>,
    pub not_drawn: Vec<NotDrawn>,
}

/// The year the draws are for: the current one in the city.
pub fn draw_year() -> i32 {
    Utc::now()
        .with_timezone(&probity_rules::city::city())
        .year()
}

/// The unit's seed: 32 bytes the city's seed fixes, secret until the reveal.
fn seed_of(seed: u64, key: &str) -> Vec<u8> {
    Sha256::digest(format!("probity-city/draw-seed/{seed}/{key}")).to_vec()
}

fn target_list(bp: &Blueprint, key: &str) -> Vec<ListedTarget> {
    let mut r = rng::of(bp.plan.seed, &format!("draws/targets/{key}"));
    let mut codes = bp.targets.clone();
    codes.shuffle(&mut r);
    codes.truncate(LISTED);
    codes
        .into_iter()
        .map(|code| {
            let risk = match r.gen_range(0..100) {
                0..15 => RiskClass::A,
                15..50 => RiskClass::B,
                50..85 => RiskClass::C,
                85..95 => RiskClass::D,
                _ => RiskClass::Unspecified,
            };
            ListedTarget {
                code,
                risk: risk as i32,
            }
        })
        .collect()
}

fn public_value(seed: u64, key: &str) -> String {
    let mut r = rng::of(seed, &format!("draws/public-value/{key}"));
    let day = Utc::now().with_timezone(&probity_rules::city::city());
    format!(
        "{} 福彩3D {} {} {}",
        day.format("%Y-%m-%d"),
        r.gen_range(0..10),
        r.gen_range(0..10),
        r.gen_range(0..10)
    )
}

fn rid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn ts(t: DateTime<Utc>) -> prost_types::Timestamp {
    crate::plan::ts(t)
}

fn from_ts(t: &prost_types::Timestamp) -> DateTime<Utc> {
    DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32).unwrap_or_default()
}

fn refusal(s: &tonic::Status) -> String {
    s.get_error_details()
        .error_info()
        .map(|i| i.reason.clone())
        .unwrap_or_else(|| format!("{}: {}", s.code(), s.message()))
}

/// One inspection as the unit reports it.
struct Visit {
    target: String,
    officers: Vec<String>,
    cites: bool,
}

/// Runs every unit's draw and sends the inspections after it; the city's
/// seed picks the departing units among those whose draw picked a target
/// and whose pool has an officer to spare.
pub async fn run(
    endpoints: &Endpoints,
    tokens: &dyn TokenSource,
    city: &City,
) -> anyhow::Result<Draws> {
    let bp = Blueprint::new(&city.plan)?;
    let conn = Conn::open(endpoints, tokens).await?;
    let year = draw_year();
    let mut out = Draws::default();
    // Every unit with an inspection power draws under its first one; a few
    // at a time, in the city's order.
    let units: Vec<(usize, &str)> = city
        .bodies
        .iter()
        .enumerate()
        .skip(1)
        .filter_map(|(b, made)| {
            let (_, power, _) = made
                .powers
                .iter()
                .find(|(_, _, cat)| cat == "POWER_CATEGORY_INSPECTION")?;
            Some((b, power.as_str()))
        })
        .collect();
    let results: Vec<_> = futures::stream::iter(units)
        .map(|(b, power)| {
            let (conn, bp) = (&conn, &bp);
            async move { (b, draw_one(conn, bp, &city.bodies[b], power, year).await) }
        })
        .buffered(PARALLEL)
        .collect()
        .await;
    let mut drawn: Vec<(usize, Draw)> = Vec::new();
    for (b, r) in results {
        match r? {
            Ok(d) => drawn.push((b, d)),
            Err(reason) => out.not_drawn.push(NotDrawn {
                key: city.bodies[b].key.clone(),
                reason,
            }),
        }
    }
    let mut r = rng::of(city.plan.seed, "draws/departures");
    let mut picks: Vec<usize> = (0..drawn.len())
        .filter(|i| {
            let d = &drawn[*i].1;
            !d.result.is_empty() && pool(d).len() > PER_TARGET as usize
        })
        .collect();
    picks.shuffle(&mut r);
    let conn = &conn;
    out.units = futures::stream::iter(drawn.into_iter().enumerate())
        .map(|(i, (b, d))| {
            let departure = picks
                .iter()
                .position(|p| *p == i)
                .and_then(|at| Departure::ALL.get(at).copied());
            inspect(conn, &city.bodies[b], d, departure, year)
        })
        .buffered(PARALLEL)
        .try_collect()
        .await?;
    Ok(out)
}

/// The unit's list and plan, its commitment, the office's public value
/// and the reveal; Err(reason) when the service refuses the draw.
async fn draw_one(
    conn: &Conn<'_>,
    bp: &Blueprint,
    made: &crate::MadeBody,
    power: &str,
    year: i32,
) -> anyhow::Result<Result<Draw, String>> {
    let mut unit = conn.draws(Role::Department, Some(&made.name))?;
    let seed = bp.plan.seed;
    unit.update_target_list(UpdateTargetListRequest {
        target_list: Some(TargetList {
            name: format!("{}/targetList", made.name),
            targets: target_list(bp, &made.key),
            ..Default::default()
        }),
        request_id: rid(),
    })
    .await
    .map_err(|s| anyhow::anyhow!("{} UpdateTargetList: {}", made.key, refusal(&s)))?;
    let [a, b, c, d, u] = RATIOS;
    unit.set_draw_plan(SetDrawPlanRequest {
        draw_plan: Some(DrawPlan {
            unit: made.name.clone(),
            power: power.into(),
            year,
            ratio_a: a,
            ratio_b: b,
            ratio_c: c,
            ratio_d: d,
            ratio_unclassified: u,
            inspectors_per_target: PER_TARGET,
            drawn_share: DRAWN_SHARE,
            max_inspections_per_target: MAX_PER_TARGET,
            public_value_source: PUBLIC_VALUE_SOURCE.into(),
            ..Default::default()
        }),
        request_id: rid(),
        correction_reason: String::new(),
    })
    .await
    .map_err(|s| anyhow::anyhow!("{} SetDrawPlan: {}", made.key, refusal(&s)))?;
    let secret = seed_of(seed, &made.key);
    let committed = unit
        .create_draw(CreateDrawRequest {
            draw: Some(Draw {
                unit: made.name.clone(),
                power: power.into(),
                year,
                commitment: hex::encode(Sha256::digest(&secret)),
                window_end_time: Some(ts(Utc::now() + Duration::days(30))),
                ..Default::default()
            }),
            request_id: rid(),
        })
        .await;
    let committed = match committed {
        Ok(d) => d.into_inner(),
        Err(s) if refusal(&s) == "DRAW_UNDERSTAFFED" => return Ok(Err(refusal(&s))),
        Err(s) => anyhow::bail!("{} CreateDraw: {}", made.key, refusal(&s)),
    };
    conn.draws(Role::LegalOffice, None)?
        .record_public_value(RecordPublicValueRequest {
            name: committed.name.clone(),
            public_value: public_value(seed, &made.key),
            source: PUBLIC_VALUE_SOURCE.into(),
            request_id: rid(),
        })
        .await
        .map_err(|s| anyhow::anyhow!("{} RecordPublicValue: {}", made.key, refusal(&s)))?;
    let drawn = unit
        .reveal_draw(RevealDrawRequest {
            name: committed.name.clone(),
            seed: hex::encode(&secret),
            request_id: rid(),
        })
        .await
        .map_err(|s| anyhow::anyhow!("{} RevealDraw: {}", made.key, refusal(&s)))?
        .into_inner();
    Ok(Ok(drawn))
}

/// The draw's inspector pool (执法检查人员名录库), from its record.
fn pool(d: &Draw) -> Vec<String> {
    serde_json::from_str::<serde_json::Value>(&d.record_json)
        .ok()
        .and_then(|r| serde_json::from_value(r["inspectors"].clone()).ok())
        .unwrap_or_default()
}

/// The inspections the unit sends after its draw, as its departure has them.
fn visits(d: &Draw, departure: Option<Departure>) -> Vec<Visit> {
    let drawn = |a: &probity_proto::draws::v1::Assignment| Visit {
        target: a.target.clone(),
        officers: a.officers.clone(),
        cites: true,
    };
    let mut v: Vec<Visit> = d.result.iter().map(drawn).collect();
    let pool = pool(d);
    match departure {
        None => {}
        Some(Departure::OtherOfficer) => {
            if let Some(first) = v.first_mut()
                && let Some(other) = pool.iter().find(|o| !first.officers.contains(o))
            {
                first.officers[1] = other.clone();
            }
        }
        Some(Departure::Excessive) => {
            // Twice more to the first drawn target: the second visit is at
            // the cap, the third past it. Neither cites the draw.
            if let Some(a) = d.result.first() {
                for _ in 0..MAX_PER_TARGET {
                    v.push(Visit {
                        cites: false,
                        ..drawn(a)
                    });
                }
            }
        }
        Some(Departure::Undrawn) => {
            // As many visits, to the list's first targets, by the first
            // officers of the pool: qualified, but chosen, not drawn.
            let listed: Vec<String> = serde_json::from_str::<serde_json::Value>(&d.record_json)
                .ok()
                .and_then(|r| r["targets"].as_array().cloned())
                .unwrap_or_default()
                .iter()
                .filter_map(|t| t["code"].as_str().map(String::from))
                .collect();
            v = listed
                .into_iter()
                .take(d.result.len())
                .map(|target| Visit {
                    target,
                    officers: pool.iter().take(PER_TARGET as usize).cloned().collect(),
                    cites: false,
                })
                .collect();
        }
    }
    v
}

async fn inspect(
    conn: &Conn<'_>,
    made: &crate::MadeBody,
    d: Draw,
    departure: Option<Departure>,
    year: i32,
) -> anyhow::Result<UnitDraw> {
    let visits = visits(&d, departure);
    // Within the window: after the reveal, and not in intake's future.
    let from = d.reveal_time.as_ref().map(from_ts).unwrap_or_else(Utc::now);
    let last = from + Duration::milliseconds(visits.len() as i64 + 1);
    if let Ok(wait) = (last - Utc::now()).to_std() {
        tokio::time::sleep(wait).await;
    }
    let mut intake = conn.intake(Role::Department, Some(&made.name))?;
    let mut u = UnitDraw {
        key: made.key.clone(),
        display_name: made.display_name.clone(),
        body: made.name.clone(),
        power: d.power.clone(),
        year,
        draw: d.name.clone(),
        listed: LISTED,
        drawn_targets: d.result.len(),
        record_json: d.record_json.clone(),
        departure,
        inspections: 0,
        cited: 0,
        verified: 0,
        findings: vec![],
    };
    for (i, v) in visits.into_iter().enumerate() {
        let source = format!("{}-{year}-SJ{:06}", made.key, i + 1);
        let at = from + Duration::milliseconds(i as i64 + 1);
        let records = ["written", "video"]
            .into_iter()
            .zip([RecordKind::Written, RecordKind::Video])
            .map(|(what, kind)| ProcessRecord {
                kind: kind as i32,
                content_sha256: hex::encode(Sha256::digest(format!("{source}/{what}"))),
                archive_ref: format!("archive://shangzhi/{}/{year}/{source}/{what}", made.key),
            })
            .collect();
        let fact: Fact = intake
            .submit_fact(SubmitFactRequest {
                fact: Some(Fact {
                    body: made.name.clone(),
                    source_id: source.clone(),
                    payload: Some(Payload::Inspection(Inspection {
                        power: d.power.clone(),
                        officers: v.officers,
                        target: v.target,
                        inspect_time: Some(ts(at)),
                        random_draw: if v.cites {
                            d.name.clone()
                        } else {
                            String::new()
                        },
                        records,
                        draw_verified: false,
                        cause: String::new(),
                        outcome: probity_proto::intake::v1::InspectionOutcome::NoProblem as i32,
                    })),
                    ..Default::default()
                }),
                correction_reason: String::new(),
            })
            .await
            .map_err(|s| anyhow::anyhow!("intake SubmitFact {source}: {}", refusal(&s)))?
            .into_inner();
        u.inspections += 1;
        u.cited += u64::from(v.cites);
        if let Some(Payload::Inspection(i)) = &fact.payload {
            u.verified += u64::from(i.draw_verified);
        }
        u.findings
            .extend(fact.findings.iter().map(|f| f.rule.clone()));
    }
    Ok(u)
}

#[cfg(test)]
mod tests {
    use probity_proto::draws::v1::Assignment;

    use super::*;

    fn draw() -> Draw {
        let record = serde_json::json!({
            "inspectors": ["officers/a", "officers/b", "officers/c", "officers/d"],
            "targets": [{"code": "T1"}, {"code": "T2"}, {"code": "T3"}, {"code": "T4"}],
        });
        Draw {
            name: "draws/d".into(),
            result: vec![
                Assignment {
                    target: "T3".into(),
                    officers: vec!["officers/c".into(), "officers/a".into()],
                },
                Assignment {
                    target: "T1".into(),
                    officers: vec!["officers/b".into(), "officers/d".into()],
                },
            ],
            record_json: record.to_string(),
            ..Default::default()
        }
    }

    #[test]
    fn a_unit_that_keeps_to_its_draw_sends_what_it_drew() {
        let v = visits(&draw(), None);
        assert_eq!(v.len(), 2);
        assert!(v.iter().all(|x| x.cites));
        assert_eq!(v[0].target, "T3");
        assert_eq!(v[0].officers, ["officers/c", "officers/a"]);
    }

    #[test]
    fn each_departure_is_the_one_planted() {
        let d = draw();
        // another officer of the pool at the first target, still citing
        let v = visits(&d, Some(Departure::OtherOfficer));
        assert_eq!(v[0].officers, ["officers/c", "officers/b"]);
        assert!(v[0].cites);
        assert_eq!(v[1].officers, d.result[1].officers);
        // the first target past the cap, the extra visits citing nothing
        let v = visits(&d, Some(Departure::Excessive));
        let first: Vec<_> = v.iter().filter(|x| x.target == "T3").collect();
        assert_eq!(first.len(), 1 + MAX_PER_TARGET as usize);
        assert_eq!(
            v.iter().filter(|x| !x.cites).count(),
            MAX_PER_TARGET as usize
        );
        // as many visits, chosen, none citing the draw
        let v = visits(&d, Some(Departure::Undrawn));
        assert_eq!(v.len(), d.result.len());
        assert!(v.iter().all(|x| !x.cites));
        assert_eq!(v[0].target, "T1");
    }

    #[test]
    fn seeds_and_lists_follow_the_citys_seed() {
        assert_eq!(seed_of(1, "SCJG"), seed_of(1, "SCJG"));
        assert_ne!(seed_of(1, "SCJG"), seed_of(2, "SCJG"));
        assert_ne!(seed_of(1, "SCJG"), seed_of(1, "HBJ"));
        let bp = Blueprint::new(&crate::CityPlan {
            departments: 8,
            towns: 2,
            officers: 90,
            facts: 4_000,
            year: 2025,
            ..crate::CityPlan::default()
        })
        .unwrap();
        let one = target_list(&bp, "SCJG");
        assert_eq!(one, target_list(&bp, "SCJG"));
        assert_eq!(one.len(), LISTED);
        let codes: std::collections::HashSet<_> = one.iter().map(|t| &t.code).collect();
        assert_eq!(codes.len(), LISTED, "each code once");
    }
}
