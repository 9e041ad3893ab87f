//! The planted acts of a body's patterns, drawn before its ordinary year.
use super::*;

impl Gen<'_> {
    pub(super) fn planted_acts(&mut self, per_officer: u64) {
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
}
