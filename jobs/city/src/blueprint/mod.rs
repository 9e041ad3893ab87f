//! The city before any server sees it: bodies, units, posts, powers,
//! officers and their cards, each body's behaviour, and who carries which
//! planted pattern. A pure function of the plan; resource names come later,
//! so everything here is named by the city's own keys.
use std::collections::HashSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use probity_proto::registry::v1::{
    BenchmarkRange, BodyKind, CircumstanceGrade, MajorDecisionCriteria, OfficerKind,
};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

mod behaviour;
mod place;

pub use behaviour::{BodyRole, LegalReviewPractice, OfficerRole, Profile};
use place::place;

use crate::{
    catalog::{self, Cat, DeptKind, DeptT, PowerT},
    codes, names,
    plan::{CityPlan, at, day_start},
    rng,
};

/// A fine from which a decision is major (重大执法决定), in fen: 50,000 yuan.
pub const MAJOR_FINE_FEN: i64 = 5_000_000;
/// Measures the catalogue of major decisions lists for every penalty power.
pub const MAJOR_MEASURES: &[&str] = &["责令停产停业", "吊销许可证件"];

#[derive(Debug, Clone)]
pub struct PowerBp {
    pub t: PowerT,
    pub benchmark: Vec<BenchmarkRange>,
    pub major: Option<MajorDecisionCriteria>,
}

impl PowerBp {
    pub fn range(&self, grade: CircumstanceGrade) -> (i64, i64) {
        self.benchmark
            .iter()
            .find(|b| b.grade == grade as i32)
            .map_or((0, 0), |b| (b.min_amount_fen, b.max_amount_fen))
    }
}

#[derive(Debug, Clone)]
pub struct PostBp {
    pub display_name: String,
    pub unit: usize,
    pub responsibilities: String,
    /// Indexes into the body's powers.
    pub powers: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct BodyBp {
    /// The city's key for it (ASCII, in source ids).
    pub key: String,
    pub display_name: String,
    pub kind: BodyKind,
    pub parent: Option<usize>,
    pub entrusted_by: Option<usize>,
    pub vertically_managed: bool,
    pub units: Vec<String>,
    pub posts: Vec<PostBp>,
    pub powers: Vec<PowerBp>,
    pub officers: Vec<usize>,
    pub profile: Profile,
    pub role: BodyRole,
    pub issuer: String,
    /// Facts about it in the year (its own and the office's about it).
    pub budget: u64,
}

impl BodyBp {
    pub fn placeholder(&self) -> String {
        format!("bodies/{}", self.key)
    }

    pub fn power_placeholder(&self, p: usize) -> String {
        format!("bodies/{}/powers/{}", self.key, self.powers[p].t.code)
    }

    pub fn powers_of(&self, cat: Cat) -> Vec<usize> {
        (0..self.powers.len())
            .filter(|p| self.powers[*p].t.cat == cat)
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct CardBp {
    pub number: String,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct OfficerBp {
    pub key: String,
    pub display_name: String,
    pub national_id: String,
    pub kind: OfficerKind,
    pub body: usize,
    pub post: usize,
    /// When they took up the enforcement post (the registry's effective time).
    pub hired: DateTime<Utc>,
    pub card: Option<CardBp>,
    /// How much of the body's work they lead, relative to 1.
    pub activity: f64,
    pub role: OfficerRole,
}

impl OfficerBp {
    pub fn placeholder(&self) -> String {
        format!("officers/{}", self.key)
    }

    /// Qualified for an act at `t` whose follow-ups run to `until`.
    pub fn qualified_over(&self, t: DateTime<Utc>, until: DateTime<Utc>) -> bool {
        self.kind == OfficerKind::Officer
            && self.hired <= t
            && self
                .card
                .as_ref()
                .is_some_and(|c| c.valid_from <= t && until < c.valid_until)
    }
}

/// Who carries the planted patterns (indexes into bodies and officers).
#[derive(Debug, Clone)]
pub struct Roles {
    pub outstanding_dept: usize,
    pub failing_dept: usize,
    pub no_review_dept: usize,
    pub voider: usize,
    pub backdater: usize,
    pub twin_small: usize,
    pub twin_large: usize,
    pub overturned: usize,
    pub auxiliary_alone: usize,
    pub outside_benchmark: usize,
    pub card_expired: usize,
    pub card_late: usize,
    pub outstanding_officer: usize,
    pub slacker: usize,
}

#[derive(Debug, Clone)]
pub struct Blueprint {
    pub plan: CityPlan,
    /// The government first; parents and entrusting bodies before the
    /// bodies under them.
    pub bodies: Vec<BodyBp>,
    pub officers: Vec<OfficerBp>,
    /// Unified social credit codes of the parties inspected.
    pub targets: Vec<String>,
    pub roles: Roles,
}

/// The four grades of a fine up to `max_yuan`, in fen: 0-10%, 10-40%,
/// 40-70% and 70-100% of it.
fn benchmark(max_yuan: i64) -> Vec<BenchmarkRange> {
    let fen = max_yuan * 100;
    [
        (
            CircumstanceGrade::Minor,
            0,
            fen / 10,
            "警告或者较低数额罚款",
        ),
        (CircumstanceGrade::Ordinary, fen / 10, fen * 4 / 10, "罚款"),
        (
            CircumstanceGrade::Serious,
            fen * 4 / 10,
            fen * 7 / 10,
            "罚款，没收违法所得",
        ),
        (
            CircumstanceGrade::Grave,
            fen * 7 / 10,
            fen,
            "顶格罚款，可以责令停产停业",
        ),
    ]
    .into_iter()
    .map(|(g, min, max, note)| BenchmarkRange {
        grade: g as i32,
        min_amount_fen: min,
        max_amount_fen: max,
        note: note.into(),
    })
    .collect()
}

fn power(t: &PowerT) -> PowerBp {
    let penalty = t.cat == Cat::Penalty;
    PowerBp {
        t: *t,
        benchmark: if penalty {
            benchmark(t.max_yuan)
        } else {
            vec![]
        },
        major: penalty.then(|| MajorDecisionCriteria {
            always: false,
            fine_at_least_fen: MAJOR_FINE_FEN,
            measures: MAJOR_MEASURES.iter().map(|m| m.to_string()).collect(),
        }),
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn plus_years(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_add_months(chrono::Months::new(12 * n))
        .unwrap_or(d)
}

fn day_between(rng: &mut ChaCha8Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days().max(0);
    from + Duration::days(rng.gen_range(0..=span))
}

/// Posts: one enforcement post per unit holding every power, and the
/// auxiliaries' post, which holds none (Art. 18).
fn posts(name: &str, units: &[String], n_powers: usize) -> Vec<PostBp> {
    let mut v: Vec<PostBp> = units
        .iter()
        .enumerate()
        .map(|(i, u)| PostBp {
            display_name: format!("{u}执法岗"),
            unit: i,
            responsibilities: format!(
                "依据{name}权责清单，承担{u}职责范围内的行政检查、调查取证、案件办理和全过程记录"
            ),
            powers: (0..n_powers).collect(),
        })
        .collect();
    v.push(PostBp {
        display_name: "行政执法辅助岗".into(),
        unit: 0,
        responsibilities: "协助执法人员开展宣传、巡查、信息采集等辅助性工作，不得单独执法".into(),
        powers: vec![],
    });
    v
}

impl Blueprint {
    pub fn new(plan: &CityPlan) -> anyhow::Result<Blueprint> {
        plan.validate()?;
        let y = plan.year;
        let mut rng_names = rng::of(plan.seed, "names");
        let mut rng_city = rng::of(plan.seed, "city");

        // Bodies: the government, then the departments in catalogue order
        // (entrusting ones come first), then the towns.
        let mut bodies = vec![BodyBp {
            key: "ZF".into(),
            display_name: catalog::GOVERNMENT.into(),
            kind: BodyKind::Government,
            parent: None,
            entrusted_by: None,
            vertically_managed: false,
            units: vec![],
            posts: vec![],
            powers: vec![],
            officers: vec![],
            profile: Profile::normal(&mut rng_city),
            role: BodyRole::Normal,
            issuer: catalog::PROVINCE_ISSUER.into(),
            budget: 0,
        }];
        let chosen = &catalog::DEPARTMENTS[..plan.departments];
        for d in chosen {
            let entrusted_by = match d.kind {
                DeptKind::Entrusted(by) => bodies.iter().position(|b| b.key == by),
                _ => None,
            };
            let units: Vec<String> = d.units.iter().map(|u| u.to_string()).collect();
            bodies.push(BodyBp {
                key: d.code.into(),
                display_name: d.name.into(),
                kind: match d.kind {
                    DeptKind::Entrusted(_) => BodyKind::EntrustedOrganization,
                    DeptKind::Empowered => BodyKind::EmpoweredOrganization,
                    _ => BodyKind::Department,
                },
                // An entrusted brigade sits under the department that
                // entrusted it; the rest under the government.
                parent: Some(entrusted_by.unwrap_or(0)),
                entrusted_by,
                vertically_managed: d.kind == DeptKind::Vertical,
                posts: posts(d.name, &units, d.powers.len()),
                units,
                powers: d.powers.iter().map(power).collect(),
                officers: vec![],
                profile: Profile::normal(&mut rng_city),
                role: BodyRole::Normal,
                issuer: d.issuer.into(),
                budget: 0,
            });
        }
        for (code, name) in &catalog::TOWNS[..plan.towns] {
            let units: Vec<String> = catalog::TOWN_UNITS.iter().map(|u| u.to_string()).collect();
            bodies.push(BodyBp {
                key: code.to_string(),
                display_name: name.to_string(),
                kind: BodyKind::Government,
                parent: Some(0),
                entrusted_by: None,
                vertically_managed: false,
                posts: posts(name, &units, catalog::TOWN_POWERS.len()),
                units,
                powers: catalog::TOWN_POWERS.iter().map(power).collect(),
                officers: vec![],
                profile: Profile::normal(&mut rng_city),
                role: BodyRole::Normal,
                issuer: catalog::PROVINCE_ISSUER.into(),
                budget: 0,
            });
        }

        let depts: Vec<(usize, &DeptT)> =
            chosen.iter().enumerate().map(|(i, d)| (i + 1, d)).collect();
        let p = place(&mut rng_city, &depts);
        for (b, role) in [
            (p.outstanding, BodyRole::Outstanding),
            (p.failing, BodyRole::Failing),
            (p.no_review, BodyRole::NoLegalReview),
            (p.voider, BodyRole::Voider),
            (p.backdater, BodyRole::Backdater),
            (p.twin_small, BodyRole::TwinSmall),
            (p.twin_large, BodyRole::TwinLarge),
        ] {
            bodies[b].role = role;
        }
        bodies[p.outstanding].profile = Profile::outstanding();
        bodies[p.failing].profile = Profile::failing();
        bodies[p.no_review].profile.legal_review = LegalReviewPractice::Skipped;
        bodies[p.twin_small].profile = Profile::typical();
        bodies[p.twin_large].profile = Profile::typical();

        // Staff: the twins first, exactly one and three parts of what the
        // larger one's size would give it; then the rest of the plan's
        // officers shared by relative size, each body its minimum.
        let size = |b: usize| -> u32 {
            if b == 0 || b == p.twin_small || b == p.twin_large {
                0
            } else if b <= plan.departments {
                chosen[b - 1].size
            } else {
                catalog::TOWN_SIZE
            }
        };
        let all: u32 = (0..bodies.len()).map(size).sum::<u32>() + chosen[p.twin_large - 1].size;
        let large_share =
            plan.officers as f64 * f64::from(chosen[p.twin_large - 1].size) / f64::from(all);
        let small_q = ((large_share * 0.82 / 3.0).round() as usize).max(6);
        let twins = small_q * 4 + 4;
        let rest = plan.officers.saturating_sub(twins) as f64;
        let total: u32 = (0..bodies.len()).map(size).sum();
        let staff = |b: usize| -> (usize, usize) {
            if size(b) == 0 {
                return (0, 0);
            }
            let town = b > plan.departments;
            let share = rest * f64::from(size(b)) / f64::from(total);
            let aux = ((share * 0.18).round() as usize).max(1);
            let min_q = if town { 3 } else { 4 };
            let mut q = ((share - aux as f64).round() as usize).max(min_q);
            if b == p.performers {
                q = q.max(6);
            }
            (q, aux)
        };
        let mut sizes: Vec<(usize, usize)> = (0..bodies.len()).map(staff).collect();
        sizes[p.twin_small] = (small_q, 1);
        sizes[p.twin_large] = (small_q * 3, 3);

        // Officers.
        let mut taken_names = HashSet::new();
        let mut taken_ids = HashSet::new();
        let mut officers: Vec<OfficerBp> = Vec::new();
        let mut card_no = 0u32;
        for (b, &(q, aux)) in sizes.iter().enumerate() {
            let body = bodies[b].clone();
            let body = &body;
            let enforcement_posts = body.posts.len().saturating_sub(1);
            for i in 0..q + aux {
                let kind = if i < q {
                    OfficerKind::Officer
                } else {
                    OfficerKind::Auxiliary
                };
                let hired = day_between(&mut rng_names, date(y - 12, 1, 1), date(y - 1, 10, 31));
                let birth = hired.year() - rng_names.gen_range(23..36);
                let display_name = names::person(&mut rng_names, &mut taken_names);
                let national_id = loop {
                    let id = codes::national_id(&mut rng_names, birth);
                    if taken_ids.insert(id.clone()) {
                        break id;
                    }
                };
                let card = (kind == OfficerKind::Officer).then(|| {
                    card_no += 1;
                    let from = day_between(
                        &mut rng_names,
                        hired.max(date(y - 4, 1, 1)),
                        date(y - 1, 11, 30),
                    );
                    CardBp {
                        number: card_number(body, card_no),
                        valid_from: day_start(from),
                        valid_until: day_start(plus_years(from, 5)),
                    }
                });
                officers.push(OfficerBp {
                    key: format!("{}-{:03}", body.key, i + 1),
                    display_name,
                    national_id,
                    kind,
                    body: b,
                    post: if kind == OfficerKind::Officer {
                        i % enforcement_posts.max(1)
                    } else {
                        body.posts.len() - 1
                    },
                    hired: at(hired.year(), hired.month(), hired.day(), 8, 30, 0),
                    card,
                    activity: rng_names.gen_range(0.8..1.2),
                    role: OfficerRole::Normal,
                });
                bodies[b].officers.push(officers.len() - 1);
            }
        }

        // Officer-level patterns: distinct officers of their hosts.
        let mut used = HashSet::new();
        let mut pick = |b: usize, kind: OfficerKind, rng: &mut ChaCha8Rng| -> usize {
            let mut cands: Vec<usize> = bodies[b]
                .officers
                .iter()
                .copied()
                .filter(|o| officers[*o].kind == kind && !used.contains(o))
                .collect();
            cands.sort_unstable();
            let o = cands[rng.gen_range(0..cands.len())];
            used.insert(o);
            o
        };
        let outstanding_officer = pick(p.performers, OfficerKind::Officer, &mut rng_city);
        let slacker = pick(p.performers, OfficerKind::Officer, &mut rng_city);
        let overturned = pick(p.overturned, OfficerKind::Officer, &mut rng_city);
        let outside_benchmark = pick(p.benchmark, OfficerKind::Officer, &mut rng_city);
        let auxiliary_alone = pick(p.auxiliary, OfficerKind::Auxiliary, &mut rng_city);
        let card_expired = pick(p.expired, OfficerKind::Officer, &mut rng_city);
        let card_late = pick(p.backdater, OfficerKind::Officer, &mut rng_city);
        for (o, role) in [
            (outstanding_officer, OfficerRole::Outstanding),
            (slacker, OfficerRole::Slacker),
            (overturned, OfficerRole::Overturned),
            (outside_benchmark, OfficerRole::OutsideBenchmark),
            (auxiliary_alone, OfficerRole::AuxiliaryAlone),
            (card_expired, OfficerRole::CardExpired),
            (card_late, OfficerRole::CardLate),
        ] {
            officers[o].role = role;
        }
        officers[outstanding_officer].activity = 3.0;
        // The slacker's acts are planted, none drawn (facts.rs).
        officers[slacker].activity = 0.0;
        // Five years on a card that ran out on 1 July of the year.
        {
            let e = &mut officers[card_expired];
            let from = date(y - 5, 7, 1);
            e.hired = e.hired.min(at(y - 6, 3, 1, 8, 30, 0));
            if let Some(c) = e.card.as_mut() {
                c.valid_from = day_start(from);
                c.valid_until = day_start(date(y, 7, 1));
            }
        }
        // Joined on 2 January; the card came on 1 March.
        {
            let k = &mut officers[card_late];
            k.hired = at(y, 1, 2, 8, 30, 0);
            if let Some(c) = k.card.as_mut() {
                c.valid_from = day_start(date(y, 3, 1));
                c.valid_until = day_start(date(y + 5, 3, 1));
            }
        }

        // The year's facts shared by how much work each body's officers lead.
        let city_trainings = officers
            .iter()
            .filter(|o| o.kind == OfficerKind::Officer)
            .count() as u64;
        let work: Vec<f64> = bodies
            .iter()
            .map(|b| {
                b.officers
                    .iter()
                    .filter(|o| officers[**o].kind == OfficerKind::Officer)
                    .map(|o| officers[*o].activity)
                    .sum()
            })
            .collect();
        let all: f64 = work.iter().sum();
        let left = plan.facts.saturating_sub(city_trainings) as f64;
        for (b, w) in work.iter().enumerate() {
            bodies[b].budget = (left * w / all).round() as u64;
        }

        let mut rng_targets = rng::of(plan.seed, "targets");
        let n_targets = (plan.facts / 40).clamp(100, 20_000) as usize;
        let targets = (0..n_targets)
            .map(|_| codes::uscc(&mut rng_targets))
            .collect();

        Ok(Blueprint {
            plan: plan.clone(),
            bodies,
            officers,
            targets,
            roles: Roles {
                outstanding_dept: p.outstanding,
                failing_dept: p.failing,
                no_review_dept: p.no_review,
                voider: p.voider,
                backdater: p.backdater,
                twin_small: p.twin_small,
                twin_large: p.twin_large,
                overturned,
                auxiliary_alone,
                outside_benchmark,
                card_expired,
                card_late,
                outstanding_officer,
                slacker,
            },
        })
    }

    /// Qualified officers of a body.
    pub fn qualified(&self, b: usize) -> Vec<usize> {
        self.bodies[b]
            .officers
            .iter()
            .copied()
            .filter(|o| self.officers[*o].kind == OfficerKind::Officer)
            .collect()
    }

    pub fn auxiliaries(&self, b: usize) -> Vec<usize> {
        self.bodies[b]
            .officers
            .iter()
            .copied()
            .filter(|o| self.officers[*o].kind == OfficerKind::Auxiliary)
            .collect()
    }

    /// Registry calls the build makes (for progress).
    pub fn registry_calls(&self) -> u64 {
        self.bodies
            .iter()
            .map(|b| {
                1 + b.units.len()
                    + b.posts.len()
                    + b.posts.iter().filter(|p| !p.powers.is_empty()).count()
                    + b.powers.len()
                    + b.powers.iter().filter(|p| p.major.is_some()).count()
            })
            .sum::<usize>() as u64
            + self.officers.len() as u64
            + self.officers.iter().filter(|o| o.card.is_some()).count() as u64
    }
}

fn card_number(body: &BodyBp, n: u32) -> String {
    let prefix = if body.vertically_managed {
        body.key.as_str()
    } else {
        "HLJ"
    };
    format!("{prefix}-{}-{n:05}", codes::CITY_DIVISION)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> CityPlan {
        CityPlan {
            departments: 8,
            towns: 2,
            officers: 90,
            facts: 4_000,
            year: 2025,
            ..CityPlan::default()
        }
    }

    #[test]
    fn the_same_plan_is_the_same_city() {
        let a = Blueprint::new(&small()).unwrap();
        let b = Blueprint::new(&small()).unwrap();
        let names = |x: &Blueprint| -> Vec<String> {
            x.officers.iter().map(|o| o.display_name.clone()).collect()
        };
        assert_eq!(names(&a), names(&b));
        let other = Blueprint::new(&CityPlan { seed: 7, ..small() }).unwrap();
        assert_ne!(names(&a), names(&other));
    }

    #[test]
    fn roles_fall_on_distinct_subjects_and_twins_are_one_to_three() {
        for seed in 0..20 {
            let bp = Blueprint::new(&CityPlan { seed, ..small() }).unwrap();
            let r = &bp.roles;
            let mut bodies = vec![
                r.outstanding_dept,
                r.failing_dept,
                r.no_review_dept,
                r.voider,
                r.backdater,
                r.twin_small,
                r.twin_large,
            ];
            bodies.sort();
            bodies.dedup();
            assert_eq!(bodies.len(), 7, "seed {seed}");
            let q = |b| bp.qualified(b).len();
            assert_eq!(q(r.twin_large), 3 * q(r.twin_small), "seed {seed}");
            assert_eq!(
                bp.bodies[r.twin_large].profile,
                bp.bodies[r.twin_small].profile
            );
            let o = &bp.officers;
            assert_eq!(o[r.auxiliary_alone].kind, OfficerKind::Auxiliary);
            assert_eq!(o[r.card_late].body, r.backdater);
            for b in [
                r.twin_small,
                r.twin_large,
                r.outstanding_dept,
                r.failing_dept,
            ] {
                for x in [r.overturned, r.outside_benchmark, r.card_expired, r.slacker] {
                    assert_ne!(
                        o[x].body, b,
                        "seed {seed}: a planted officer in a planted body"
                    );
                }
            }
            let total: u64 = bp.bodies.iter().map(|b| b.budget).sum();
            assert!(total <= 4_000 && total > 3_800, "{total}");
        }
    }
}
