//! Inspections a draw or a plan binds (issue 18), decided under the lock in
//! the order the batch takes them, with the store as it stands and every
//! item accepted before them counted: two inspections sent together (one
//! batch, two streams at once) cannot each see the other missing.
//!
//! - A (draw, target) slot goes to the first inspection accepted that
//!   matches it, for good: any other citing it is not verified and gets
//!   DRAW_MISMATCH. Corrections of that inspection keep the slot; a void
//!   does not free it (the draw happened and cannot be run again, so the
//!   unit cannot void the drawn inspection to launder another).
//! - A target inspected under a capped plan past the cap in the year, by an
//!   inspection with no cause on record, is INSPECTION_EXCESSIVE (Art.
//!   19(8)). Live inspections count unless their cause is a live complaint
//!   of the body, stored or accepted earlier in the batch.
//!
//! The fast path takes no bound item ([`super::fast`]): these are read and
//! decided on the locked path only.
use std::collections::{HashMap, HashSet};

use probity_common::AppResult;
use probity_proto::intake::v1::{FactKind, fact::Payload};
use probity_rules::catalogue as rules;
use sea_orm::ConnectionTrait;

use super::{
    job::{Accepted, Checked, Item, Job},
    state::Facts,
};
use crate::{
    draw_match::{year_of, year_span},
    findings::Found,
    store::{
        self,
        inspections::{Claim, Slot},
    },
};

/// (body id, power, target, year): what one cap counts.
type CapKey = (String, String, String, i32);

/// What the batch knows of draws' slots and of capped targets' inspections.
#[derive(Default)]
pub(super) struct Inspections {
    /// The batch has bound items: nothing to do for it otherwise.
    pub any: bool,
    /// Each slot's holder, stored or given in this batch.
    slots: HashMap<Slot, i64>,
    /// Slots given in this batch, to be written with it.
    pub claimed: Vec<Claim>,
    /// (body id, power, year) whose inspections were read.
    scopes: HashSet<(String, String, i32)>,
    /// Live inspections of each capped target: fact id -> cause.
    counted: HashMap<CapKey, HashMap<i64, String>>,
    /// Where each counted inspection is counted.
    at: HashMap<i64, CapKey>,
    /// Live complaints (body id, source id) among the causes named.
    complaints: HashSet<(String, String)>,
}

/// The batch's bound submissions.
fn bound(jobs: &[Job]) -> impl Iterator<Item = &Checked> {
    jobs.iter()
        .flat_map(|j| j.items.iter())
        .filter_map(|i| match i {
            Ok(Item::Submit(c)) if c.bound.is_some() => Some(c.as_ref()),
            _ => None,
        })
}

impl Inspections {
    /// Reads, under the lock, the slots and the capped years the batch's
    /// bound inspections touch.
    pub async fn read(c: &impl ConnectionTrait, jobs: &[Job]) -> AppResult<Inspections> {
        let mut me = Inspections {
            any: bound(jobs).next().is_some(),
            ..Default::default()
        };
        if !me.any {
            return Ok(me);
        }
        let mut slots = Vec::new();
        let mut causes: HashMap<String, Vec<String>> = HashMap::new();
        for ch in bound(jobs) {
            let p = &ch.prepared;
            let (Some(b), Some(Payload::Inspection(i))) = (&ch.bound, p.fact.payload.as_ref())
            else {
                continue;
            };
            if let Some(draw) = &b.slot {
                slots.push((draw.clone(), i.target.clone()));
            }
            if b.cap.is_some() {
                me.scopes
                    .insert((p.body_id.clone(), p.power.clone(), year_of(p.occurred_us)));
                causes
                    .entry(p.body_id.clone())
                    .or_default()
                    .push(i.cause.clone());
            }
        }
        me.slots = store::inspections::slot_holders(c, &slots).await?;
        let mut years: HashSet<(String, i32)> = HashSet::new();
        for (body, _, year) in &me.scopes {
            years.insert((body.clone(), *year));
        }
        for (body, year) in years {
            let (from_us, to_us) = year_span(year);
            for l in store::inspections::live_in_year(c, &body, from_us, to_us).await? {
                if !me.scopes.contains(&(body.clone(), l.power.clone(), year)) {
                    continue;
                }
                causes
                    .entry(body.clone())
                    .or_default()
                    .push(l.cause.clone());
                let key = (body.clone(), l.power, l.target, year);
                me.at.insert(l.fact_id, key.clone());
                me.counted
                    .entry(key)
                    .or_default()
                    .insert(l.fact_id, l.cause);
            }
        }
        for (body, named) in causes {
            for s in store::inspections::complaints_on_record(c, &body, &named).await? {
                me.complaints.insert((body.clone(), s));
            }
        }
        Ok(me)
    }

    fn caused(&self, body: &str, cause: &str) -> bool {
        !cause.is_empty()
            && self
                .complaints
                .contains(&(body.to_string(), cause.to_string()))
    }

    /// Judges a bound submission before the batch decides it: a slot held
    /// by another fact, a cap passed.
    pub fn judge(&self, c: &mut Checked, facts: &Facts) {
        let Checked {
            prepared: p,
            findings,
            bound: Some(b),
            ..
        } = c
        else {
            return;
        };
        let own = facts
            .by_key
            .get(&(p.body_id.clone(), p.fact.source_id.clone()))
            .copied();
        let Some(Payload::Inspection(i)) = p.fact.payload.as_mut() else {
            return;
        };
        if let Some(draw) = &b.slot
            && let Some(holder) = self.slots.get(&(draw.clone(), i.target.clone()))
            && Some(*holder) != own
        {
            i.draw_verified = false;
            findings.push(Found {
                rule: rules::DRAW_MISMATCH,
                officer: String::new(),
                detail: format!(
                    "{draw}: the draw's slot for {} was used by {}; a draw verifies one inspection per target",
                    i.target,
                    store::fact_name(*holder)
                ),
            });
        }
        let Some(cap) = b.cap else {
            return;
        };
        if self.caused(&p.body_id, &i.cause) {
            return;
        }
        let year = year_of(p.occurred_us);
        let key = (p.body_id.clone(), p.power.clone(), i.target.clone(), year);
        let before = self.counted.get(&key).map_or(0, |m| {
            m.iter()
                .filter(|(id, cause)| Some(**id) != own && !self.caused(&p.body_id, cause))
                .count()
        });
        if before as i64 + 1 > i64::from(cap) {
            findings.push(Found {
                rule: rules::INSPECTION_EXCESSIVE,
                officer: String::new(),
                detail: format!(
                    "inspection {} of {} in {year} without a cause on record; the plan allows {cap}",
                    before + 1,
                    i.target
                ),
            });
        }
    }

    /// What an accepted submission changes: a complaint now on record, an
    /// inspection counted where it now is, a slot given.
    pub fn accepted(&mut self, c: &Checked, a: &Accepted) {
        if a.replayed {
            return;
        }
        let p = &c.prepared;
        match p.fact.payload.as_ref() {
            Some(Payload::Complaint(_)) => {
                self.complaints
                    .insert((p.body_id.clone(), p.fact.source_id.clone()));
            }
            Some(Payload::Inspection(i)) => {
                self.uncount(a.fact_id);
                let year = year_of(p.occurred_us);
                if self
                    .scopes
                    .contains(&(p.body_id.clone(), p.power.clone(), year))
                {
                    let key = (p.body_id.clone(), p.power.clone(), i.target.clone(), year);
                    self.at.insert(a.fact_id, key.clone());
                    self.counted
                        .entry(key)
                        .or_default()
                        .insert(a.fact_id, i.cause.clone());
                }
                let claims = c.bound.as_ref().and_then(|b| b.slot.clone());
                if let Some(draw) = claims.filter(|_| i.draw_verified) {
                    let slot = (draw, i.target.clone());
                    if !self.slots.contains_key(&slot) {
                        self.slots.insert(slot.clone(), a.fact_id);
                        self.claimed.push(Claim {
                            slot,
                            fact_id: a.fact_id,
                            revision: a.revision,
                        });
                    }
                }
            }
            _ => {}
        }
    }

    /// A fact voided in the batch: no longer counted, no longer a cause. Its
    /// slot stays given.
    pub fn voided(&mut self, fact_id: i64, facts: &Facts) {
        self.uncount(fact_id);
        if let Some(st) = facts.by_id.get(&fact_id)
            && st.kind == FactKind::Complaint as i32
        {
            self.complaints
                .remove(&(st.body.clone(), st.source_id.clone()));
        }
    }

    fn uncount(&mut self, fact_id: i64) {
        if let Some(key) = self.at.remove(&fact_id)
            && let Some(m) = self.counted.get_mut(&key)
        {
            m.remove(&fact_id);
        }
    }
}
