//! When an act happens and who does it: working moments of the city's
//! calendar, follow-ups, and the crew (lead, partner, an auxiliary now and
//! then) qualified over the act; how the lead does things.
use super::*;

impl Gen<'_> {
    /// A working moment (08:30-17:00) of a weekday between two dates.
    pub(super) fn instant(&mut self, from: NaiveDate, to: NaiveDate) -> DateTime<Utc> {
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

    pub(super) fn year_days(&self) -> (NaiveDate, NaiveDate) {
        (date(self.y, 1, 2), date(self.y, 12, 31))
    }

    /// A working moment `min`-`max` days after `t`, still in the year.
    pub(super) fn later(&mut self, t: DateTime<Utc>, min: i64, max: i64) -> Option<DateTime<Utc>> {
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

    pub(super) fn style(&self, lead: usize) -> Style {
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
    pub(super) fn eligible(&self, t: DateTime<Utc>, follow_ups: bool) -> Vec<usize> {
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
    pub(super) fn crew(
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

    /// Two qualified officers at `t` besides `o`, so that a planted act's
    /// one finding is `o`'s own.
    pub(super) fn two_beside(&mut self, o: usize, t: DateTime<Utc>) -> Option<Vec<usize>> {
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
}
