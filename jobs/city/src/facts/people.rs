//! What is reported about people rather than acts: trainings and exams,
//! the office's Art. 8 scores of a body, the city-wide annual course.
use super::*;

impl Gen<'_> {
    /// The department's own trainings of each of its people.
    pub(super) fn trainings(&mut self) {
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
    pub(super) fn items(&mut self) {
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
