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
    blueprint::{Blueprint, BodyBp, BodyRole, LegalReviewPractice, MAJOR_FINE_FEN, OfficerRole},
    catalog::Cat,
    plan::{at, ts},
    rng,
    truth::Pattern,
};

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

/// The rounding step of a fine under a power fining up to `max_yuan`, in fen.
fn step(max_yuan: i64) -> i64 {
    if max_yuan <= 2_000 {
        1_000
    } else if max_yuan <= 50_000 {
        10_000
    } else {
        100_000
    }
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

    /// A working moment (08:30-17:00) of a weekday between two dates.
    fn instant(&mut self, from: NaiveDate, to: NaiveDate) -> DateTime<Utc> {
        let span = (to - from).num_days().max(0);
        let mut d = from + Duration::days(self.rng.gen_range(0..=span));
        for _ in 0..10 {
            if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                break;
            }
            d = from + Duration::days(self.rng.gen_range(0..=span));
        }
        let minute = self.rng.gen_range(0..510u32);
        let second = self.rng.gen_range(0..60u32);
        at(
            d.year(),
            d.month(),
            d.day(),
            8 + (30 + minute) / 60,
            (30 + minute) % 60,
            second,
        )
    }

    fn year_days(&self) -> (NaiveDate, NaiveDate) {
        (date(self.y, 1, 2), date(self.y, 12, 31))
    }

    /// A working moment `min`-`max` days after `t`, still in the year.
    fn later(&mut self, t: DateTime<Utc>, min: i64, max: i64) -> Option<DateTime<Utc>> {
        let local = t.with_timezone(&probity_rules::city::city()).date_naive();
        let mut d = local + Duration::days(self.rng.gen_range(min..=max));
        while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            d += Duration::days(1);
        }
        let minute = self.rng.gen_range(0..510u32);
        let mut out = at(
            d.year(),
            d.month(),
            d.day(),
            8 + (30 + minute) / 60,
            (30 + minute) % 60,
            self.rng.gen_range(0..60),
        );
        if out <= t {
            out = t + Duration::minutes(self.rng.gen_range(30..240));
        }
        (out < self.end - Duration::hours(1)).then_some(out)
    }

    fn style(&self, lead: usize) -> Style {
        let p = &self.body().profile;
        let mut s = Style {
            close: p.close,
            decide: p.decide,
            random: p.random,
            matter_records: p.matter_records,
            review: p.review,
            wrongful: p.wrongful,
            file_review: p.file_review,
            file_pass: p.file_pass,
        };
        match self.bp.officers[lead].role {
            OfficerRole::Outstanding => {
                s.close = 1.0;
                s.random = 1.0;
                s.matter_records = 1.0;
                s.file_review = 0.5;
                s.file_pass = 1.0;
                s.wrongful = 0.0;
            }
            // None closed, recorded or drawn at random, every file failing
            // and nearly every decision overturned: poor work that breaks
            // no rule intake checks.
            OfficerRole::Slacker => {
                s.close = 0.0;
                s.random = 0.0;
                s.matter_records = 0.0;
                s.review = 1.0;
                s.wrongful = 0.9;
                s.file_review = 1.0;
                s.file_pass = 0.0;
            }
            _ => {}
        }
        s
    }

    /// Qualified officers over an act at `t` and its follow-ups.
    fn eligible(&self, t: DateTime<Utc>, follow_ups: bool) -> Vec<usize> {
        let until = if follow_ups {
            t + Duration::days(FOLLOW_UP_DAYS)
        } else {
            t
        };
        self.qualified
            .iter()
            .copied()
            .filter(|o| self.bp.officers[*o].qualified_over(t, until))
            .collect()
    }

    /// A moment between two dates and who acts then: the lead (given, or
    /// drawn by activity), a partner and now and then an auxiliary
    /// assisting. The planted slacker's acts are his own (planted_acts):
    /// he is never drawn.
    fn crew(
        &mut self,
        lead: Option<usize>,
        (from, to): (NaiveDate, NaiveDate),
    ) -> Option<(DateTime<Utc>, Vec<usize>)> {
        for _ in 0..20 {
            let t = self.instant(from, to);
            let ok = self.eligible(t, true);
            let lead = match lead {
                Some(l) if ok.contains(&l) => l,
                Some(_) => continue,
                None => {
                    let w: Vec<(usize, f64)> = ok
                        .iter()
                        .filter(|o| self.bp.officers[**o].role != OfficerRole::Slacker)
                        .map(|o| (*o, self.bp.officers[*o].activity))
                        .collect();
                    match weighted(&mut self.rng, &w) {
                        Some(l) => l,
                        None => continue,
                    }
                }
            };
            // The outstanding officer shares no planted officer's poor
            // acts: a partner is credited with the act's outcome too.
            let poor_lead = !matches!(
                self.bp.officers[lead].role,
                OfficerRole::Normal | OfficerRole::Outstanding
            );
            let partners: Vec<usize> = ok
                .iter()
                .copied()
                .filter(|o| {
                    let role = self.bp.officers[*o].role;
                    *o != lead
                        && role != OfficerRole::Slacker
                        && !(poor_lead && role == OfficerRole::Outstanding)
                })
                .collect();
            if partners.is_empty() {
                continue;
            }
            let partner = partners[self.rng.gen_range(0..partners.len())];
            let mut crew = vec![lead, partner];
            if !self.auxiliaries.is_empty() && self.rng.gen_bool(0.15) {
                crew.push(self.auxiliaries[self.rng.gen_range(0..self.auxiliaries.len())]);
            }
            return Some((t, crew));
        }
        None
    }

    fn records(&mut self, source: &str, video: bool) -> Vec<ProcessRecord> {
        let mut kinds = vec![(RecordKind::Written, "written")];
        if video {
            kinds.push((RecordKind::Video, "video"));
        }
        kinds
            .into_iter()
            .map(|(k, what)| ProcessRecord {
                kind: k as i32,
                content_sha256: hex::encode(Sha256::digest(format!("{source}/{what}"))),
                archive_ref: format!(
                    "archive://shangzhi/{}/{}/{source}/{what}",
                    self.body().key,
                    self.y
                ),
            })
            .collect()
    }

    fn matter(&mut self, t: DateTime<Utc>, power: usize, crew: &[usize], st: Style) -> String {
        let id = self.source("SL");
        let records = if self.rng.gen_bool(st.matter_records) {
            let video = self.rng.gen_bool(0.5);
            self.records(&id, video)
        } else {
            vec![]
        };
        let body = self.body();
        let payload = Payload::Matter(Matter {
            power: body.power_placeholder(power),
            act_kind: body.powers[power].t.cat.proto() as i32,
            officers: crew.iter().map(|o| self.officer(*o)).collect(),
            accept_time: Some(ts(t)),
            records,
        });
        self.push_own(t, &id, payload);
        self.matters.push((t, id.clone()));
        id
    }

    fn closing(&mut self, after: DateTime<Utc>, matter: &str, outcome: MatterOutcome) {
        if let Some(t) = self.later(after, 1, 10) {
            let id = self.source("BJ");
            self.push_own(
                t,
                &id,
                Payload::MatterClosing(MatterClosing {
                    matter: matter.into(),
                    close_time: Some(ts(t)),
                    outcome: outcome as i32,
                }),
            );
        }
    }

    fn file_review(&mut self, after: DateTime<Utc>, decision: &str, st: Style) {
        let Some(t) = self.later(after, 10, 50) else {
            return;
        };
        let mut six = [true; 6];
        if !self.rng.gen_bool(st.file_pass) {
            six[self.rng.gen_range(0..6)] = false;
        }
        let id = self.source("PC");
        self.push_office(
            t,
            &id,
            Payload::CaseFileReview(CaseFileReview {
                decision: decision.into(),
                review_time: Some(ts(t)),
                facts_clear: six[0],
                evidence_conclusive: six[1],
                basis_correct: six[2],
                procedure_lawful: six[3],
                content_appropriate: six[4],
                documents_standard: six[5],
                reviewer: String::new(),
            }),
        );
    }

    fn grade(&mut self) -> CircumstanceGrade {
        weighted(
            &mut self.rng,
            &[
                (CircumstanceGrade::Minor, 35.0),
                (CircumstanceGrade::Ordinary, 40.0),
                (CircumstanceGrade::Serious, 18.0),
                (CircumstanceGrade::Grave, 7.0),
            ],
        )
        .unwrap_or(CircumstanceGrade::Minor)
    }

    /// A penalty matter and what follows it.
    fn penalty(&mut self, lead: Option<usize>, plant: Plant, window: (NaiveDate, NaiveDate)) {
        let powers = self.body().powers_of(Cat::Penalty);
        if powers.is_empty() {
            return;
        }
        let Some((t, crew)) = self.crew(lead, window) else {
            return;
        };
        let st = self.style(crew[0]);
        let power = if plant == Plant::OutsideBenchmark {
            // the smallest fines: a breach of the benchmark that is not also
            // a major decision
            *powers
                .iter()
                .min_by_key(|p| self.body().powers[**p].t.max_yuan)
                .unwrap_or(&powers[0])
        } else {
            powers[self.rng.gen_range(0..powers.len())]
        };
        let matter = self.matter(t, power, &crew, st);
        let mut last = t;
        let mut decided = None;
        if (plant != Plant::Not || self.rng.gen_bool(st.decide))
            && let Some(td) = self.later(t, 1, 20)
        {
            decided = Some((td, self.decision(td, &matter, power, plant)));
            last = td;
        }
        let forced = matches!(plant, Plant::Overturned | Plant::OutsideBenchmark);
        if forced || self.rng.gen_bool(st.close) {
            let outcome = if decided.is_some() {
                MatterOutcome::Decided
            } else {
                *[
                    MatterOutcome::NotGranted,
                    MatterOutcome::Terminated,
                    MatterOutcome::Transferred,
                ]
                .get(self.rng.gen_range(0..3))
                .unwrap_or(&MatterOutcome::NotGranted)
            };
            self.closing(last, &matter, outcome);
        }
        let Some((td, decision)) = decided else {
            return;
        };
        if plant == Plant::Overturned || self.rng.gen_bool(st.review) {
            let wrongful = plant == Plant::Overturned || self.rng.gen_bool(st.wrongful);
            if let Some(id) = self.review(td, &decision, wrongful)
                && plant == Plant::Overturned
            {
                self.planted.push((Pattern::OverturnedDecisions, id));
            }
        }
        if self.rng.gen_bool(st.file_review) {
            self.file_review(td, &decision, st);
        }
    }

    fn decision(&mut self, td: DateTime<Utc>, matter: &str, power: usize, plant: Plant) -> String {
        let p = self.body().powers[power].clone();
        let grade = match plant {
            Plant::OutsideBenchmark => CircumstanceGrade::Minor,
            _ => self.grade(),
        };
        let (min, max) = p.range(grade);
        let step = step(p.t.max_yuan);
        let amount = if plant == Plant::OutsideBenchmark {
            // above the grade's range, below what makes a decision major
            let hi = (max * 18 / 10).min(MAJOR_FINE_FEN - 1);
            let k = ((hi - max) / step).max(1);
            max + step * self.rng.gen_range(1..=k)
        } else {
            min + (self.rng.gen_range(0..=(max - min)) / step) * step
        };
        let measure = match plant {
            Plant::ForcedMajor => "责令停产停业",
            Plant::OutsideBenchmark => "",
            _ => weighted(
                &mut self.rng,
                &[
                    ("", 60.0),
                    ("警告", 15.0),
                    ("没收违法所得", 20.0),
                    ("责令停产停业", 3.0),
                    ("吊销许可证件", 2.0),
                ],
            )
            .unwrap_or(""),
        };
        let mut d = Decision {
            matter: matter.into(),
            decide_time: Some(ts(td)),
            penalty: Some(Penalty {
                violation: p.t.what.into(),
                grade: grade as i32,
                amount_fen: amount,
                within_benchmark: false,
            }),
            other_measure: measure.into(),
            major: false,
            legal_review: None,
            officers: vec![],
        };
        let major = major_by_catalogue(&d, p.major.as_ref()).is_some();
        let practice = self.body().profile.legal_review;
        if major && practice != LegalReviewPractice::Skipped {
            let back = Duration::hours(self.rng.gen_range(4..72));
            let result = if practice == LegalReviewPractice::Passed {
                LegalReviewResult::Passed
            } else {
                LegalReviewResult::Failed
            };
            d.legal_review = Some(LegalReview {
                result: result as i32,
                review_time: Some(ts(td - back)),
            });
        }
        let id = self.source("JD");
        self.push_own(td, &id, Payload::Decision(d));
        match practice {
            _ if !major => {}
            LegalReviewPractice::Skipped => self
                .planted
                .push((Pattern::MajorWithoutLegalReview, id.clone())),
            LegalReviewPractice::FailedIgnored => {
                self.planted.push((Pattern::FailingDepartment, id.clone()))
            }
            LegalReviewPractice::Passed => {}
        }
        if plant == Plant::OutsideBenchmark {
            self.planted.push((Pattern::OutsideBenchmark, id.clone()));
        }
        id
    }

    fn review(&mut self, td: DateTime<Utc>, decision: &str, wrongful: bool) -> Option<String> {
        let t = self.later(td, 15, 60)?;
        let litigation = self.rng.gen_bool(0.3);
        let (kind, result) = match (litigation, wrongful) {
            (false, true) => (ReviewKind::Reconsideration, ReviewResult::Revoked),
            (true, true) => (ReviewKind::Litigation, ReviewResult::Lost),
            (false, false) if self.rng.gen_bool(0.15) => {
                (ReviewKind::Reconsideration, ReviewResult::Changed)
            }
            (false, false) => (ReviewKind::Reconsideration, ReviewResult::Upheld),
            (true, false) => (ReviewKind::Litigation, ReviewResult::Won),
        };
        let id = self.source("FY");
        self.push_own(
            t,
            &id,
            Payload::ReviewOutcome(ReviewOutcome {
                decision: decision.into(),
                kind: kind as i32,
                result: result as i32,
                decide_time: Some(ts(t)),
                wrongful: false,
                reporter: String::new(),
            }),
        );
        Some(id)
    }

    /// A licensing or compulsory-measure matter, decided and closed.
    fn other_matter(&mut self, cat: Cat) {
        let powers = self.body().powers_of(cat);
        if powers.is_empty() {
            return;
        }
        let window = self.year_days();
        let Some((t, crew)) = self.crew(None, window) else {
            return;
        };
        let st = self.style(crew[0]);
        let power = powers[self.rng.gen_range(0..powers.len())];
        let matter = self.matter(t, power, &crew, st);
        let mut last = t;
        let mut outcome = MatterOutcome::Withdrawn;
        let mut decision = None;
        if self.rng.gen_bool(0.9)
            && let Some(td) = self.later(t, 1, 20)
        {
            let granted = cat != Cat::Licensing || self.rng.gen_bool(0.85);
            let measure = match cat {
                Cat::Licensing if granted => "准予行政许可".to_string(),
                Cat::Licensing => "不予行政许可".to_string(),
                _ => self.body().powers[power].t.what.to_string(),
            };
            outcome = if granted {
                MatterOutcome::Decided
            } else {
                MatterOutcome::NotGranted
            };
            let id = self.source("JD");
            self.push_own(
                td,
                &id,
                Payload::Decision(Decision {
                    matter: matter.clone(),
                    decide_time: Some(ts(td)),
                    other_measure: measure,
                    ..Default::default()
                }),
            );
            decision = Some((td, id));
            last = td;
        }
        if self.rng.gen_bool(st.close) {
            self.closing(last, &matter, outcome);
        }
        if let Some((td, id)) = decision {
            // A refusal or a seizure is taken to review too.
            if self.rng.gen_bool(st.review) {
                let wrongful = self.rng.gen_bool(st.wrongful);
                self.review(td, &id, wrongful);
            }
            if self.rng.gen_bool(st.file_review / 2.0) {
                self.file_review(td, &id, st);
            }
        }
    }

    fn inspection_by(&mut self, t: DateTime<Utc>, crew: &[usize], recorded: bool) -> String {
        let powers = self.body().powers_of(Cat::Inspection);
        let power = powers[self.rng.gen_range(0..powers.len())];
        let st = self.style(crew[0]);
        let id = self.source("JC");
        let draw = if self.rng.gen_bool(st.random) {
            let month = t.with_timezone(&probity_rules::city::city()).month();
            format!("SJ-{}-{}{month:02}", self.body().key, self.y)
        } else {
            String::new()
        };
        let records = if recorded {
            let video = self.rng.gen_bool(0.7);
            self.records(&id, video)
        } else {
            vec![]
        };
        let target = self.bp.targets[self.rng.gen_range(0..self.bp.targets.len())].clone();
        let payload = Payload::Inspection(Inspection {
            power: self.body().power_placeholder(power),
            officers: crew.iter().map(|o| self.officer(*o)).collect(),
            target,
            inspect_time: Some(ts(t)),
            random_draw: draw,
            records,
        });
        self.push_own(t, &id, payload);
        id
    }

    fn inspection(&mut self) {
        if self.body().powers_of(Cat::Inspection).is_empty() {
            return;
        }
        let window = self.year_days();
        if let Some((t, crew)) = self.crew(None, window) {
            self.inspection_by(t, &crew, true);
        }
    }

    fn complaint(&mut self) {
        let window = self.year_days();
        let Some((t, crew)) = self.crew(None, window) else {
            return;
        };
        let st = self.style(crew[0]);
        let officers: Vec<String> = crew[..if self.rng.gen_bool(0.5) { 1 } else { 2 }]
            .iter()
            .map(|o| self.officer(*o))
            .collect();
        let source = weighted(
            &mut self.rng,
            &[
                (ComplaintSource::Citizen, 45.0),
                (ComplaintSource::MayorsHotline, 25.0),
                (ComplaintSource::PetitionOffice, 12.0),
                (ComplaintSource::Superior, 12.0),
                (ComplaintSource::LegalAffairsOffice, 6.0),
            ],
        )
        .unwrap_or(ComplaintSource::Citizen);
        let id = self.source("JB");
        self.push_own(
            t,
            &id,
            Payload::Complaint(Complaint {
                source: source as i32,
                accept_time: Some(ts(t)),
                officers,
            }),
        );
        if self.rng.gen_bool(st.close)
            && let Some(tc) = self.later(t, 1, 20)
        {
            let close = self.source("JA");
            self.push_own(
                tc,
                &close,
                Payload::ComplaintClosing(ComplaintClosing {
                    complaint: id,
                    close_time: Some(ts(tc)),
                    officers: vec![],
                }),
            );
        }
    }

    fn transfer(&mut self) {
        let window = self.year_days();
        let Some((t, crew)) = self.crew(None, window) else {
            return;
        };
        let kind = weighted(
            &mut self.rng,
            &[
                (TransferKind::OtherDepartmentInCase, 40.0),
                (TransferKind::FoundInDailyWork, 45.0),
                (TransferKind::SuspectedCrime, 15.0),
            ],
        )
        .unwrap_or(TransferKind::FoundInDailyWork);
        let recipient = if kind == TransferKind::SuspectedCrime {
            if self.body().key == "GAJ" {
                "尚志市人民检察院".to_string()
            } else {
                "尚志市公安局".to_string()
            }
        } else {
            let others: Vec<&BodyBp> = self
                .bp
                .bodies
                .iter()
                .enumerate()
                .filter(|(i, b)| *i != self.b && *i != 0 && b.parent == Some(0))
                .map(|(_, b)| b)
                .collect();
            others
                .get(self.rng.gen_range(0..others.len().max(1)))
                .map_or("尚志市人民政府".to_string(), |b| {
                    b.display_name.clone()
                })
        };
        // A case found in handling one's own matter names the matter.
        let matter = if kind == TransferKind::OtherDepartmentInCase && !self.matters.is_empty() {
            let (mt, m) = self.matters[self.rng.gen_range(0..self.matters.len())].clone();
            if mt < t { m } else { String::new() }
        } else {
            String::new()
        };
        let officers: Vec<String> = crew[..if self.rng.gen_bool(0.6) { 1 } else { 2 }]
            .iter()
            .map(|o| self.officer(*o))
            .collect();
        let id = self.source("YJ");
        self.push_own(
            t,
            &id,
            Payload::Transfer(Transfer {
                kind: kind as i32,
                recipient,
                transfer_time: Some(ts(t)),
                officers,
                matter,
            }),
        );
    }

    /// The department's own trainings of each of its people.
    fn trainings(&mut self) {
        let profile = self.body().profile.clone();
        for o in self.body().officers.clone() {
            let off = &self.bp.officers[o];
            let aux = off.kind == OfficerKind::Auxiliary;
            let (n, exam) = match off.role {
                OfficerRole::Outstanding => (6, Some(98.0)),
                OfficerRole::Slacker => (0, None),
                _ if aux => (self.rng.gen_range(1..=2), None),
                _ => (
                    ((profile.trainings * self.rng.gen_range(0.7..1.3)).round() as usize).max(1),
                    Some(profile.exam),
                ),
            };
            let hired = off
                .hired
                .with_timezone(&probity_rules::city::city())
                .date_naive();
            let (from, to) = self.year_days();
            let from = from.max(hired + Duration::days(1));
            for i in 0..n {
                let t = self.instant(from, to);
                let hours = match off.role {
                    OfficerRole::Outstanding => 8.0,
                    _ => [2.0, 3.0, 4.0, 6.0, 8.0][self.rng.gen_range(0..5)],
                };
                let tested = exam.filter(|_| {
                    matches!(off.role, OfficerRole::Outstanding | OfficerRole::Slacker)
                        || i == 0
                        || self.rng.gen_bool(0.5)
                });
                let exam_score = tested.map(|m| score(&mut self.rng, m, 5.0));
                let id = self.source("PX");
                let payload = Payload::Training(Training {
                    officer: self.officer(o),
                    hours,
                    exam_score: exam_score.unwrap_or(0.0),
                    has_exam: exam_score.is_some(),
                    train_time: Some(ts(t)),
                    organizer: String::new(),
                });
                self.push_own(t, &id, payload);
            }
        }
    }

    /// The office's Art. 8 scores of the body, in late December.
    fn items(&mut self) {
        let mean = self.body().profile.items;
        for item in 1..=11 {
            let t = self.instant(date(self.y, 12, 15), date(self.y, 12, 28));
            let s = score(&mut self.rng, mean, 4.0);
            let id = self.source("KH");
            self.push_office(
                t,
                &id,
                Payload::AssessmentItem(AssessmentItem {
                    year: self.y,
                    item,
                    score: s,
                    note: format!("第八条第（{item}）项年度考核评分"),
                    score_time: Some(ts(t)),
                }),
            );
        }
    }

    /// Two qualified officers at `t` besides `o`, so that a planted act's
    /// one finding is `o`'s own.
    fn two_beside(&mut self, o: usize, t: DateTime<Utc>) -> Option<Vec<usize>> {
        let mut ok: Vec<usize> = self
            .eligible(t, false)
            .into_iter()
            .filter(|x| *x != o && self.bp.officers[*x].role != OfficerRole::Slacker)
            .collect();
        if ok.len() < 2 {
            return None;
        }
        let a = ok.swap_remove(self.rng.gen_range(0..ok.len()));
        let b = ok[self.rng.gen_range(0..ok.len())];
        Some(vec![o, a, b])
    }

    fn planted_acts(&mut self, per_officer: u64) {
        let y = self.y;
        let r = &self.bp.roles;
        let whole = (date(y, 1, 2), date(y, 11, 30));
        for o in self.body().officers.clone() {
            match self.bp.officers[o].role {
                OfficerRole::Overturned => {
                    for _ in 0..(per_officer / 40).max(6) {
                        self.penalty(Some(o), Plant::Overturned, (date(y, 1, 2), date(y, 9, 30)));
                    }
                }
                OfficerRole::OutsideBenchmark => {
                    for _ in 0..(per_officer / 30).max(6) {
                        self.penalty(Some(o), Plant::OutsideBenchmark, whole);
                    }
                }
                OfficerRole::Slacker => {
                    for _ in 0..(per_officer / 10).max(12) {
                        self.penalty(Some(o), Plant::Slack, (date(y, 1, 2), date(y, 9, 30)));
                    }
                    for _ in 0..(per_officer / 20).max(6) {
                        if let Some((t, crew)) = self.crew(Some(o), whole) {
                            self.inspection_by(t, &crew, true);
                        }
                    }
                }
                OfficerRole::AuxiliaryAlone => {
                    for _ in 0..(per_officer / 30).max(8) {
                        let t = self.instant(whole.0, date(y, 12, 31));
                        let id = self.inspection_by(t, &[o], true);
                        self.planted.push((Pattern::AuxiliaryAlone, id));
                    }
                }
                OfficerRole::CardExpired | OfficerRole::CardLate => {
                    let (pattern, span, n) = if self.bp.officers[o].role == OfficerRole::CardExpired
                    {
                        (
                            Pattern::ActingWithoutValidCredential,
                            (date(y, 7, 2), date(y, 12, 20)),
                            (per_officer / 20).max(8),
                        )
                    } else {
                        (
                            Pattern::BackdatesCredential,
                            (date(y, 1, 5), date(y, 2, 27)),
                            (per_officer / 40).max(6),
                        )
                    };
                    let mut made = 0;
                    for _ in 0..n * 5 {
                        if made == n {
                            break;
                        }
                        let t = self.instant(span.0, span.1);
                        if let Some(crew) = self.two_beside(o, t) {
                            let id = self.inspection_by(t, &crew, true);
                            self.planted.push((pattern, id));
                            made += 1;
                        }
                    }
                }
                _ => {}
            }
        }
        // Major decisions enough to tell: the catalogue's measures make
        // them so whatever the fine.
        if self.b == r.no_review_dept {
            for _ in 0..5 {
                self.penalty(None, Plant::ForcedMajor, whole);
            }
        }
        if self.b == r.failing_dept {
            for _ in 0..(per_officer / 10).max(8) {
                self.penalty(None, Plant::ForcedMajor, whole);
            }
        }
        if self.b == r.voider {
            for _ in 0..6 {
                let window = self.year_days();
                if let Some((t, crew)) = self.crew(None, window) {
                    let id = self.inspection_by(t, &crew, false);
                    self.planted.push((Pattern::VoidsFindings, id.clone()));
                    self.voids.push(id);
                }
            }
        }
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

/// The office's city-wide annual law course and exam (全市行政执法人员年度法律
/// 知识培训考试), one record per officer, reported as the government's.
pub fn city_trainings(bp: &Blueprint) -> Vec<SubmitFactRequest> {
    let mut g = Gen::new(bp, 0);
    let y = g.y;
    let mut out = Vec::new();
    for o in 0..bp.officers.len() {
        let off = &bp.officers[o];
        if off.kind != OfficerKind::Officer {
            continue;
        }
        let mean = match off.role {
            OfficerRole::Outstanding => 98.0,
            OfficerRole::Slacker => 15.0,
            _ => 82.0,
        };
        let t = g.instant(date(y, 9, 8), date(y, 9, 12));
        let t = t.with_minute(0).unwrap_or(t);
        let exam = score(&mut g.rng, mean, 6.0);
        let id = g.source("PX");
        out.push(g.request(
            &id,
            Payload::Training(Training {
                officer: off.placeholder(),
                hours: 16.0,
                exam_score: exam,
                has_exam: true,
                train_time: Some(ts(t)),
                organizer: String::new(),
            }),
        ));
    }
    out
}

/// Whether a body's year would plant something (so it is not "normal").
pub fn plants(bp: &Blueprint, b: usize) -> bool {
    bp.bodies[b].role != BodyRole::Normal
        || bp.bodies[b]
            .officers
            .iter()
            .any(|o| bp.officers[*o].role != OfficerRole::Normal)
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
