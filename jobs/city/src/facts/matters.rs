//! Matters and what follows them: the decision (with its penalty, measure
//! and legal review), the closing, a reconsideration or litigation outcome,
//! the office's case-file review.
use super::*;

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

impl Gen<'_> {
    pub(super) fn records(&mut self, source: &str, video: bool) -> Vec<ProcessRecord> {
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

    pub(super) fn matter(
        &mut self,
        t: DateTime<Utc>,
        power: usize,
        crew: &[usize],
        st: Style,
    ) -> String {
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
            ..Default::default()
        });
        self.push_own(t, &id, payload);
        self.matters.push((t, id.clone()));
        id
    }

    pub(super) fn closing(&mut self, after: DateTime<Utc>, matter: &str, outcome: MatterOutcome) {
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

    pub(super) fn file_review(&mut self, after: DateTime<Utc>, decision: &str, st: Style) {
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

    pub(super) fn grade(&mut self) -> CircumstanceGrade {
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
    pub(super) fn penalty(
        &mut self,
        lead: Option<usize>,
        plant: Plant,
        window: (NaiveDate, NaiveDate),
    ) {
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

    pub(super) fn decision(
        &mut self,
        td: DateTime<Utc>,
        matter: &str,
        power: usize,
        plant: Plant,
    ) -> String {
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

    pub(super) fn review(
        &mut self,
        td: DateTime<Utc>,
        decision: &str,
        wrongful: bool,
    ) -> Option<String> {
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
    pub(super) fn other_matter(&mut self, cat: Cat) {
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
}
