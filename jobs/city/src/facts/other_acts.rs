//! Acts that are not matters: inspections, complaints (with their
//! closings), transfers.
use super::*;

impl Gen<'_> {
    pub(super) fn inspection_by(
        &mut self,
        t: DateTime<Utc>,
        crew: &[usize],
        recorded: bool,
    ) -> String {
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
            draw_verified: false,
            cause: String::new(),
            ..Default::default()
        });
        self.push_own(t, &id, payload);
        id
    }

    pub(super) fn inspection(&mut self) {
        if self.body().powers_of(Cat::Inspection).is_empty() {
            return;
        }
        let window = self.year_days();
        if let Some((t, crew)) = self.crew(None, window) {
            self.inspection_by(t, &crew, true);
        }
    }

    pub(super) fn complaint(&mut self) {
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

    pub(super) fn transfer(&mut self) {
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
}
