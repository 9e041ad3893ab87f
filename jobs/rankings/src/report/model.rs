//! What the report says, worked out once from the run's tables and the
//! report inputs, for the HTML pages and the workbook alike: names instead
//! of resource ids, each subject's indicators beside its peer group's, the
//! reasons an officer is flagged, the year's cases, each department's rank
//! against the previous year's sealed run.
use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;

use super::{
    Context,
    labels::{score, signed},
};
use crate::{
    columns::{bools, f64s, floats, strs},
    day_start_us,
    indicators::{self, Kind},
    plan::{Direction, Plan},
    report_inputs::{CaseRow, Previous, PreviousRank, SuperiorRow},
};

/// One indicator of a level as the plan weighs it.
pub struct Indicator {
    pub name: String,
    pub zh: &'static str,
    pub en: &'static str,
    pub article: &'static str,
    pub kind: Kind,
    pub weight: f64,
    pub lower_is_better: bool,
}

impl Indicator {
    pub fn label(&self) -> String {
        format!("{} {}", self.zh, self.en)
    }
}

/// An officer or a department, as ranked.
pub struct Subject {
    pub subject: String,
    pub name: String,
    pub body: String,
    pub body_name: String,
    pub peer_group: String,
    pub peer_group_name: String,
    pub ranked: bool,
    pub rank: Option<i64>,
    pub peer_n: i64,
    pub score: f64,
    pub percentile: Option<f64>,
    pub peer_mean: Option<f64>,
    pub days_in_post: f64,
    pub below_threshold: bool,
    pub failing: bool,
    pub outstanding: bool,
    /// Per indicator, in the plan's order: the raw value (none without a
    /// denominator), the peer group's value (its mean or pooled rate), points.
    pub values: Vec<Option<f64>>,
    pub group_values: Vec<Option<f64>>,
    pub points: Vec<f64>,
    /// Departments: the spread of their officers' scores, officers ranked.
    pub spread: f64,
    pub officers_ranked: i64,
    /// Departments: the registry marks it vertically managed (Art. 4).
    pub vertically_managed: bool,
}

impl Subject {
    pub fn flagged(&self) -> bool {
        self.below_threshold || self.failing
    }
}

/// A department's rank against the previous year's sealed run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Places up (positive) or down (negative); 0: the same.
    Moved { before: i32, by: i32 },
    /// Not ranked in the previous year.
    New,
}

/// The year's cases, counted.
#[derive(Default)]
pub struct Cases {
    pub opened: usize,
    pub decided: usize,
    pub dismissed: usize,
    /// Cases opened in the window by (origin, state).
    pub by_origin_state: BTreeMap<(String, String), usize>,
    /// Cases opened in the window by subject kind.
    pub by_subject_kind: BTreeMap<String, usize>,
}

pub struct Model<'a> {
    pub ctx: &'a Context<'a>,
    pub departments: Vec<Subject>,
    /// Lower governments, ranked among themselves with the departments'
    /// indicators (Art. 4).
    pub towns: Vec<Subject>,
    pub officers: Vec<Subject>,
    pub department_indicators: Vec<Indicator>,
    pub officer_indicators: Vec<Indicator>,
    /// Mean points per indicator of the ranked members of each peer group.
    dept_group_points: HashMap<String, Vec<f64>>,
    officer_group_points: HashMap<String, Vec<f64>>,
    pub cases: Option<Cases>,
    pub previous: &'a Previous,
    changes: HashMap<String, Change>,
    /// The year's superior assessments by body (Art. 4).
    superior: HashMap<&'a str, &'a SuperiorRow>,
    /// Each unit's drawn share beside its plan's (Art. 19(7)); `None`: not
    /// available in this run.
    drawn: Option<HashMap<String, crate::drawn_share::UnitShare>>,
}

const UNNAMED: &str = "未命名 Unnamed";

fn indicators_of(plan: &Plan, officers: bool) -> Vec<Indicator> {
    let level = if officers {
        &plan.officers
    } else {
        &plan.departments
    };
    level
        .indicators
        .iter()
        .filter_map(|w| {
            indicators::find(&w.indicator).map(|i| Indicator {
                name: w.indicator.clone(),
                zh: i.zh,
                en: i.en,
                article: i.article,
                kind: i.kind,
                weight: w.weight,
                lower_is_better: w.direction == Direction::Lower,
            })
        })
        .collect()
}

fn subjects(df: &DataFrame, inds: &[Indicator], officers: bool) -> Vec<Subject> {
    let key = if officers { "officer" } else { "body" };
    let name_col = if officers {
        "officer_name"
    } else {
        "body_name"
    };
    let (subject, name, body, body_name) = (
        strs(df, key),
        strs(df, name_col),
        strs(df, "body"),
        strs(df, "body_name"),
    );
    let (group, group_name) = (strs(df, "peer_group"), strs(df, "peer_group_name"));
    let (ranked, below, failing, outstanding) = (
        bools(df, "ranked"),
        bools(df, "below_threshold"),
        bools(df, "failing"),
        bools(df, "outstanding"),
    );
    let (rank, n, score, pct, mean) = (
        f64s(df, "rank"),
        floats(df, "peer_n"),
        floats(df, "score"),
        f64s(df, "percentile"),
        f64s(df, "peer_mean"),
    );
    let (days, spread, officers_ranked) = (
        floats(df, "days_in_post"),
        floats(df, "officer_spread"),
        floats(df, "officers_ranked"),
    );
    let vertical = bools(df, "vertically_managed");
    let per = |prefix: &str| -> Vec<Vec<Option<f64>>> {
        inds.iter()
            .map(|i| f64s(df, &format!("{prefix}_{}", i.name)))
            .collect()
    };
    let (v, g, c) = (per("v"), per("g"), per("c"));
    let named = |s: &str| {
        if s.is_empty() {
            UNNAMED.to_string()
        } else {
            s.to_string()
        }
    };
    (0..df.height())
        .map(|r| Subject {
            subject: subject[r].clone(),
            name: named(&name[r]),
            body: body[r].clone(),
            body_name: named(&body_name[r]),
            peer_group: group[r].clone(),
            peer_group_name: group_name[r].clone(),
            ranked: ranked[r],
            rank: rank[r].map(|x| x as i64),
            peer_n: n[r] as i64,
            score: score[r],
            percentile: pct[r],
            peer_mean: mean[r],
            days_in_post: days[r],
            below_threshold: below[r],
            failing: failing[r],
            outstanding: outstanding[r],
            values: v.iter().map(|col| col[r]).collect(),
            group_values: g.iter().map(|col| col[r]).collect(),
            points: c.iter().map(|col| col[r].unwrap_or(0.0)).collect(),
            spread: spread[r],
            officers_ranked: officers_ranked[r] as i64,
            vertically_managed: vertical[r],
        })
        .collect()
}

/// Each ranked unit's rank against the previous year's sealed run.
fn changes_of(units: &[Subject], before: &[PreviousRank]) -> HashMap<String, Change> {
    let before: HashMap<&str, i32> = before
        .iter()
        .map(|p| (p.subject.as_str(), p.rank))
        .collect();
    units
        .iter()
        .filter(|d| d.ranked)
        .map(|d| {
            let change = match (before.get(d.subject.as_str()), d.rank) {
                (Some(b), Some(r)) => Change::Moved {
                    before: *b,
                    by: *b - r as i32,
                },
                _ => Change::New,
            };
            (d.subject.clone(), change)
        })
        .collect()
}

/// Mean points per indicator over each group's ranked members.
fn group_points(subjects: &[&Subject], n: usize) -> HashMap<String, Vec<f64>> {
    let mut sums: HashMap<String, (Vec<f64>, usize)> = HashMap::new();
    for s in subjects.iter().filter(|s| s.ranked) {
        let e = sums
            .entry(s.peer_group.clone())
            .or_insert_with(|| (vec![0.0; n], 0));
        for (acc, p) in e.0.iter_mut().zip(&s.points) {
            *acc += p;
        }
        e.1 += 1;
    }
    sums.into_iter()
        .map(|(g, (v, k))| (g, v.into_iter().map(|x| x / k as f64).collect()))
        .collect()
}

fn count_cases(rows: &[CaseRow], from_us: i64, until_us: i64) -> Cases {
    let within = |t: Option<i64>| t.is_some_and(|t| (from_us..=until_us).contains(&t));
    let mut c = Cases::default();
    for r in rows {
        if within(Some(r.opened_us)) {
            c.opened += 1;
            *c.by_origin_state
                .entry((r.origin.clone(), r.state.clone()))
                .or_default() += 1;
            *c.by_subject_kind.entry(r.subject_kind.clone()).or_default() += 1;
        }
        c.decided += usize::from(within(r.decided_us));
        c.dismissed += usize::from(within(r.dismissed_us));
    }
    c
}

impl<'a> Model<'a> {
    pub fn new(ctx: &'a Context<'a>) -> Model<'a> {
        let department_indicators = indicators_of(ctx.plan, false);
        let officer_indicators = indicators_of(ctx.plan, true);
        let departments = subjects(ctx.departments, &department_indicators, false);
        let towns = subjects(ctx.towns, &department_indicators, false);
        let officers = subjects(ctx.officers, &officer_indicators, true);
        let from_us = chrono::NaiveDate::from_ymd_opt(ctx.year, 1, 1)
            .map(day_start_us)
            .unwrap_or(i64::MIN);
        let until_us = day_start_us(ctx.as_of + chrono::Duration::days(1)) - 1;
        let changes = if ctx.beside.previous.sealed {
            let mut c = changes_of(&departments, &ctx.beside.previous.departments);
            c.extend(changes_of(&towns, &ctx.beside.previous.towns));
            c
        } else {
            HashMap::new()
        };
        let units: Vec<&Subject> = departments.iter().chain(&towns).collect();
        Model {
            // departments and towns are never in one group: one map holds both
            dept_group_points: group_points(&units, department_indicators.len()),
            officer_group_points: group_points(
                &officers.iter().collect::<Vec<_>>(),
                officer_indicators.len(),
            ),
            cases: ctx
                .beside
                .cases
                .as_ref()
                .map(|rows| count_cases(rows, from_us, until_us)),
            previous: &ctx.beside.previous,
            changes,
            superior: ctx
                .beside
                .superior
                .iter()
                .map(|a| (a.body.as_str(), a))
                .collect(),
            drawn: ctx.drawn.map(crate::drawn_share::by_unit),
            ctx,
            departments,
            towns,
            officers,
            department_indicators,
            officer_indicators,
        }
    }

    /// The mean points of a subject's peer group, per indicator.
    pub fn group_points(&self, s: &Subject, officer: bool) -> Vec<f64> {
        let map = if officer {
            &self.officer_group_points
        } else {
            &self.dept_group_points
        };
        map.get(&s.peer_group).cloned().unwrap_or_else(|| {
            vec![
                0.0;
                if officer {
                    self.officer_indicators.len()
                } else {
                    self.department_indicators.len()
                }
            ]
        })
    }

    /// The indicators an officer lost most points on against their peer
    /// group's mean, largest shortfall first: why they are where they are.
    pub fn gaps(&self, s: &Subject, officer: bool, most: usize) -> Vec<(&Indicator, f64)> {
        let inds = if officer {
            &self.officer_indicators
        } else {
            &self.department_indicators
        };
        let group = self.group_points(s, officer);
        let mut gaps: Vec<(&Indicator, f64)> = inds
            .iter()
            .zip(s.points.iter().zip(&group))
            .map(|(i, (p, g))| (i, p - g))
            .filter(|(_, d)| *d < -0.005)
            .collect();
        gaps.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.name.cmp(&b.0.name)));
        gaps.truncate(most);
        gaps
    }

    /// The Art. 20(2) line of an officer's group.
    pub fn threshold_line(&self, s: &Subject) -> f64 {
        s.peer_mean.unwrap_or(0.0) * self.ctx.plan.threshold.factor()
    }

    /// The Art. 6 failing line of a subject's group.
    pub fn failing_line(&self, s: &Subject) -> f64 {
        s.peer_mean.unwrap_or(0.0) * self.ctx.plan.failing.below_mean_factor
    }

    pub fn change(&self, d: &Subject) -> Option<Change> {
        self.changes.get(&d.subject).copied()
    }

    /// Whether the run read the units' drawn shares (Art. 19(7)).
    pub fn has_drawn(&self) -> bool {
        self.drawn.is_some()
    }

    /// A unit's drawn share beside its plan's (Art. 19(7)): `None` when it
    /// reported no inspection and has no plan, or the run did not read them.
    pub fn drawn(&self, d: &Subject) -> Option<crate::drawn_share::UnitShare> {
        self.drawn.as_ref()?.get(&d.subject).copied()
    }

    /// The superior's assessment of a vertically managed body (Art. 4),
    /// if the office recorded one for the year.
    pub fn superior(&self, d: &Subject) -> Option<&SuperiorRow> {
        self.superior.get(d.subject.as_str()).copied()
    }

    /// The departments the registry marks vertically managed, and the
    /// bodies with a superior assessment recorded (whatever the mark says
    /// now): each with its row, if any.
    pub fn superior_rows(&self) -> Vec<(&Subject, Option<&SuperiorRow>)> {
        self.departments
            .iter()
            .filter(|d| d.vertically_managed || self.superior(d).is_some())
            .map(|d| (d, self.superior(d)))
            .collect()
    }

    /// The ranked departments in their groups' order, each group's first
    /// and last (ties included), with their group's name.
    pub fn top_and_bottom(&self) -> Vec<(String, Vec<&Subject>, Vec<&Subject>)> {
        Self::top_and_bottom_of(&self.departments)
    }

    /// The same for the towns (one group).
    pub fn towns_top_and_bottom(&self) -> Vec<(String, Vec<&Subject>, Vec<&Subject>)> {
        Self::top_and_bottom_of(&self.towns)
    }

    fn top_and_bottom_of(units: &[Subject]) -> Vec<(String, Vec<&Subject>, Vec<&Subject>)> {
        let mut groups: Vec<(String, String, Vec<&Subject>)> = Vec::new();
        for d in units.iter().filter(|d| d.ranked) {
            match groups.iter_mut().find(|(g, _, _)| *g == d.peer_group) {
                Some((_, _, v)) => v.push(d),
                None => groups.push((d.peer_group.clone(), d.peer_group_name.clone(), vec![d])),
            }
        }
        groups
            .into_iter()
            .map(|(_, name, v)| {
                let best = v.iter().filter_map(|d| d.rank).min().unwrap_or(1);
                let worst = v.iter().filter_map(|d| d.rank).max().unwrap_or(1);
                let top = v.iter().copied().filter(|d| d.rank == Some(best)).collect();
                let bottom = if worst == best {
                    Vec::new()
                } else {
                    v.iter()
                        .copied()
                        .filter(|d| d.rank == Some(worst))
                        .collect()
                };
                (name, top, bottom)
            })
            .collect()
    }

    /// The officers of a department: ranked by rank, then the others.
    pub fn officers_of(&self, body: &str) -> Vec<&Subject> {
        let mut v: Vec<&Subject> = self.officers.iter().filter(|o| o.body == body).collect();
        v.sort_by(|a, b| {
            (a.rank.is_none(), a.rank, &a.name, &a.subject).cmp(&(
                b.rank.is_none(),
                b.rank,
                &b.name,
                &b.subject,
            ))
        });
        v
    }

    /// Officers whose body has no page of its own (not a ranked unit).
    pub fn officers_elsewhere(&self) -> Vec<&Subject> {
        self.officers
            .iter()
            .filter(|o| {
                !self
                    .departments
                    .iter()
                    .chain(&self.towns)
                    .any(|d| d.body == o.body)
            })
            .collect()
    }

    /// Why an officer is flagged: the lines crossed and the indicators
    /// they lost most points on against their peer group.
    pub fn why(&self, o: &Subject) -> String {
        let mut parts = Vec::new();
        if o.below_threshold {
            parts.push(format!(
                "低于第二十条第二项阈值 below the Art. 20(2) line ({} < {})",
                score(o.score),
                score(self.threshold_line(o))
            ));
        }
        if o.failing {
            parts.push(format!(
                "考核不合格 failing under Art. 6 ({} < {})",
                score(o.score),
                score(self.failing_line(o))
            ));
        }
        let gaps = self.gaps(o, true, 3);
        if !gaps.is_empty() {
            let list: Vec<String> = gaps
                .iter()
                .map(|(i, d)| format!("{} {}", i.label(), signed(*d)))
                .collect();
            parts.push(format!(
                "失分最多 most points lost against the peer group: {}",
                list.join(", ")
            ));
        }
        parts.join("; ")
    }

    /// The same, short, for the opening page: the lines crossed and the
    /// one indicator that cost most.
    pub fn why_short(&self, o: &Subject) -> String {
        let mut parts = Vec::new();
        if o.below_threshold {
            parts.push(format!(
                "低于阈值 below the Art. 20(2) line {}",
                score(self.threshold_line(o))
            ));
        }
        if o.failing {
            parts.push(format!(
                "不合格 failing (Art. 6, line {})",
                score(self.failing_line(o))
            ));
        }
        if let Some((i, d)) = self.gaps(o, true, 1).first() {
            parts.push(format!("失分最多 most lost: {} {}", i.label(), signed(*d)));
        }
        parts.join("; ")
    }

    pub fn flagged_officers(&self) -> Vec<&Subject> {
        let mut v: Vec<&Subject> = self.officers.iter().filter(|o| o.flagged()).collect();
        // the furthest below their line first
        v.sort_by(|a, b| {
            let ra = a.score - self.threshold_line(a);
            let rb = b.score - self.threshold_line(b);
            ra.total_cmp(&rb).then_with(|| a.subject.cmp(&b.subject))
        });
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(origin: &str, state: &str, opened: i64, decided: Option<i64>) -> CaseRow {
        CaseRow {
            case: format!("cases/{opened}"),
            subject: "officers/x".into(),
            subject_kind: "SUBJECT_KIND_OFFICER".into(),
            subject_name: "张三".into(),
            origin: origin.into(),
            state: state.into(),
            opened_us: opened,
            decided_us: decided,
            dismissed_us: None,
        }
    }

    #[test]
    fn cases_count_by_when_they_were_opened_and_decided() {
        let rows = [
            case("ORIGIN_KIND_MANUAL", "CASE_STATE_OPENED", 10, None),
            case("ORIGIN_KIND_MANUAL", "CASE_STATE_DECIDED", 11, Some(20)),
            // opened last year, decided this year
            case("ORIGIN_KIND_FINDING", "CASE_STATE_CLOSED", 1, Some(12)),
            // decided after the as-of day: opened only
            case("ORIGIN_KIND_FINDING", "CASE_STATE_DECIDED", 13, Some(99)),
        ];
        let c = count_cases(&rows, 5, 50);
        assert_eq!((c.opened, c.decided, c.dismissed), (3, 2, 0));
        assert_eq!(
            c.by_origin_state[&("ORIGIN_KIND_MANUAL".into(), "CASE_STATE_DECIDED".into())],
            1
        );
        assert_eq!(c.by_subject_kind["SUBJECT_KIND_OFFICER"], 3);
    }
}
