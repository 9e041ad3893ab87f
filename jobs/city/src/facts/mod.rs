//! A body's year of facts, drawn from the blueprint: acts led by its
//! officers in proportion to how active they are, each with its follow-ups
//! (decision, closing, review, case-file review), complaints, transfers,
//! trainings and the office's Art. 8 scores; the planted acts of its
//! patterns first. Names are the city's placeholders (`bodies/SCJG`,
//! `officers/SCJG-007`) until the registry gives real ones.
use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc, Weekday};
use probity_proto::{
    intake::v1::{fact::Payload, *},
    registry::v1::{CircumstanceGrade, OfficerKind},
};
use probity_rules::major::major_by_catalogue;
use prost::Message;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

use crate::{
    blueprint::{Blueprint, BodyBp, LegalReviewPractice, MAJOR_FINE_FEN, OfficerRole},
    catalog::Cat,
    plan::{at, ts},
    rng,
    truth::Pattern,
};

mod crew;
mod matters;
mod other_acts;
mod people;
mod plants;

pub use people::city_trainings;

/// Follow-ups (decision, closing, a complaint's closing) come within this
/// many days of the act: officers acting must be qualified over it.
const FOLLOW_UP_DAYS: i64 = 45;

/// What one body's year makes.
#[derive(Debug, Default)]
pub struct BodyFacts {
    /// What the body reports itself, in the order it happened.
    pub own: Vec<SubmitFactRequest>,
    /// What the legal-affairs office reports about it: case-file reviews
    /// and the Art. 8 item scores.
    pub office: Vec<SubmitFactRequest>,
    /// The planted facts: (pattern, source id).
    pub planted: Vec<(Pattern, String)>,
    /// Source ids the body voids once they are recorded.
    pub voids: Vec<String>,
}

impl BodyFacts {
    /// SHA-256 over every request, its own then the office's, as encoded.
    pub fn digest(&self) -> String {
        digest(self.own.iter().chain(&self.office))
    }

    pub fn len(&self) -> usize {
        self.own.len() + self.office.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

pub fn digest<'a>(facts: impl Iterator<Item = &'a SubmitFactRequest>) -> String {
    let mut h = Sha256::new();
    for f in facts {
        h.update(f.encode_to_vec());
    }
    hex::encode(h.finalize())
}

/// How one act is done: the body's profile, changed by who leads it.
#[derive(Debug, Clone, Copy)]
struct Style {
    close: f64,
    decide: f64,
    random: f64,
    matter_records: f64,
    review: f64,
    wrongful: f64,
    file_review: f64,
    file_pass: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plant {
    Not,
    Overturned,
    OutsideBenchmark,
    ForcedMajor,
    /// the slacker's: decided and taken to review, as his style has it
    Slack,
}

type Dated = (DateTime<Utc>, u64, SubmitFactRequest);

struct Gen<'a> {
    bp: &'a Blueprint,
    b: usize,
    rng: ChaCha8Rng,
    y: i32,
    end: DateTime<Utc>,
    own: Vec<Dated>,
    office: Vec<Dated>,
    seq: u64,
    counters: BTreeMap<&'static str, u32>,
    matters: Vec<(DateTime<Utc>, String)>,
    planted: Vec<(Pattern, String)>,
    voids: Vec<String>,
    qualified: Vec<usize>,
    auxiliaries: Vec<usize>,
}

/// Irwin-Hall: roughly normal noise with this standard deviation.
fn noise(rng: &mut ChaCha8Rng, sd: f64) -> f64 {
    let s: f64 = (0..3).map(|_| rng.r#gen::<f64>()).sum();
    (s - 1.5) * 2.0 * sd
}

/// A score near `mean`, within 0-100, to half a point.
fn score(rng: &mut ChaCha8Rng, mean: f64, sd: f64) -> f64 {
    ((mean + noise(rng, sd)).clamp(0.0, 100.0) * 2.0).round() / 2.0
}

fn weighted<T: Copy>(rng: &mut ChaCha8Rng, items: &[(T, f64)]) -> Option<T> {
    let total: f64 = items.iter().map(|(_, w)| w).sum();
    if total <= 0.0 {
        return None;
    }
    let mut x = rng.gen_range(0.0..total);
    for (t, w) in items {
        if x < *w {
            return Some(*t);
        }
        x -= w;
    }
    items.last().map(|(t, _)| *t)
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

impl<'a> Gen<'a> {
    fn new(bp: &'a Blueprint, b: usize) -> Gen<'a> {
        let y = bp.plan.year;
        Gen {
            bp,
            b,
            rng: rng::of(bp.plan.seed, &format!("facts/{}", bp.bodies[b].key)),
            y,
            end: at(y + 1, 1, 1, 0, 0, 0),
            own: vec![],
            office: vec![],
            seq: 0,
            counters: BTreeMap::new(),
            matters: vec![],
            planted: vec![],
            voids: vec![],
            qualified: bp.qualified(b),
            auxiliaries: bp.auxiliaries(b),
        }
    }

    fn body(&self) -> &'a BodyBp {
        &self.bp.bodies[self.b]
    }

    fn count(&self) -> u64 {
        (self.own.len() + self.office.len()) as u64
    }

    fn source(&mut self, prefix: &'static str) -> String {
        let n = self.counters.entry(prefix).or_insert(0);
        *n += 1;
        let n = *n;
        format!("{}-{}-{prefix}{n:06}", self.body().key, self.y)
    }

    fn request(&self, source: &str, payload: Payload) -> SubmitFactRequest {
        SubmitFactRequest {
            fact: Some(Fact {
                body: self.body().placeholder(),
                source_id: source.into(),
                payload: Some(payload),
                ..Default::default()
            }),
            correction_reason: String::new(),
        }
    }

    fn push_own(&mut self, t: DateTime<Utc>, source: &str, payload: Payload) {
        let r = self.request(source, payload);
        self.seq += 1;
        self.own.push((t, self.seq, r));
    }

    fn push_office(&mut self, t: DateTime<Utc>, source: &str, payload: Payload) {
        let r = self.request(source, payload);
        self.seq += 1;
        self.office.push((t, self.seq, r));
    }

    fn officer(&self, o: usize) -> String {
        self.bp.officers[o].placeholder()
    }

    fn run(mut self) -> BodyFacts {
        let body = self.body();
        let budget = body.budget;
        let q = self.qualified.len().max(1) as u64;
        self.planted_acts(budget / q);
        self.trainings();
        self.items();
        let p = &body.profile;
        let has = |c: Cat| {
            if body.powers_of(c).is_empty() {
                0.0
            } else {
                1.0
            }
        };
        let kinds = [
            (0u8, 0.34 * has(Cat::Penalty)),
            (1, 0.12 * has(Cat::Licensing)),
            (2, 0.04 * has(Cat::Compulsory)),
            (3, 0.32 * has(Cat::Inspection) * p.inspections),
            (4, 0.12),
            (5, 0.03),
        ];
        let whole = self.year_days();
        let mut guard = budget * 4 + 100;
        while self.count() < budget && guard > 0 {
            guard -= 1;
            match weighted(&mut self.rng, &kinds) {
                Some(0) => self.penalty(None, Plant::Not, whole),
                Some(1) => self.other_matter(Cat::Licensing),
                Some(2) => self.other_matter(Cat::Compulsory),
                Some(3) => self.inspection(),
                Some(4) => self.complaint(),
                _ => self.transfer(),
            }
        }
        let sorted = |mut v: Vec<Dated>| -> Vec<SubmitFactRequest> {
            v.sort_by_key(|(t, s, _)| (*t, *s));
            v.into_iter().map(|(_, _, r)| r).collect()
        };
        BodyFacts {
            own: sorted(self.own),
            office: sorted(self.office),
            planted: self.planted,
            voids: self.voids,
        }
    }
}

/// Body `b`'s year (nothing for the government: see [`city_trainings`]).
pub fn body_facts(bp: &Blueprint, b: usize) -> BodyFacts {
    if b == 0 {
        return BodyFacts::default();
    }
    Gen::new(bp, b).run()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::plan::CityPlan;

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
    fn a_year_is_deterministic_and_in_order() {
        let bp = Blueprint::new(&small()).unwrap();
        for b in 1..bp.bodies.len() {
            let one = body_facts(&bp, b);
            let two = body_facts(&bp, b);
            assert_eq!(one.digest(), two.digest());
            assert!(
                one.len() as u64 >= bp.bodies[b].budget,
                "{}",
                bp.bodies[b].key
            );
            // Every reference points back to a fact sent before it.
            let mut seen = HashSet::new();
            for r in &one.own {
                let f = r.fact.as_ref().unwrap();
                let refers = match f.payload.as_ref().unwrap() {
                    Payload::MatterClosing(c) => Some(&c.matter),
                    Payload::Decision(d) => Some(&d.matter),
                    Payload::ReviewOutcome(x) => Some(&x.decision),
                    Payload::ComplaintClosing(c) => Some(&c.complaint),
                    Payload::Transfer(t) if !t.matter.is_empty() => Some(&t.matter),
                    _ => None,
                };
                if let Some(s) = refers {
                    assert!(
                        seen.contains(s),
                        "{} refers to {s} not yet sent",
                        f.source_id
                    );
                }
                assert!(seen.insert(f.source_id.clone()), "{} twice", f.source_id);
            }
        }
        let total: usize = (1..bp.bodies.len())
            .map(|b| body_facts(&bp, b).len())
            .sum::<usize>()
            + city_trainings(&bp).len();
        assert!((3_800..=4_300).contains(&total), "{total}");
    }
}
