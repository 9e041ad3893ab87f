//! A batch: everything waiting when the writer is free (up to
//! intake.batch_max_facts), and what its items make of the facts it knows,
//! the same on both paths: each item's outcome and the revisions to write.
//! The source id is the idempotency key: a resend replays by its payload's
//! digest; a void's retry is answered by its request id.
use probity_common::{
    AppError, AppResult, Reason,
    store::{RequestKey, Store, Write},
};
use probity_proto::intake::v1::Fact;
use prost::Message;
use tokio::sync::mpsc;

use super::{
    dependants,
    job::{Accepted, Checked, Job, Outcome},
    refs,
    rows::Row,
    state::{Facts, State, officer_ids},
};
use crate::{
    checks::Prepared,
    finding_states::{self, Held},
    findings::Found,
    store,
};

/// The first job and whatever else is already queued, up to `batch_max`
/// items: one batch.
pub(super) fn gather(first: Job, rx: &mut mpsc::Receiver<Job>, batch_max: usize) -> Vec<Job> {
    let mut n = first.items.len();
    let mut jobs = vec![first];
    while n < batch_max {
        match rx.try_recv() {
            Ok(j) => {
                n += j.items.len();
                jobs.push(j);
            }
            Err(_) => break,
        }
    }
    jobs
}

/// The facts a batch knows and the revisions it makes of them.
pub(super) struct Batch {
    pub facts: Facts,
    /// The id the next new fact gets.
    pub next: i64,
    pub rows: Vec<Row>,
}

/// A submission's fact as its revision's row holds it.
struct Encoded {
    payload: Vec<u8>,
    officers: Vec<String>,
    refers_to: String,
}

impl Batch {
    pub fn new(facts: Facts, next: i64) -> Batch {
        Batch {
            facts,
            next,
            rows: Vec::new(),
        }
    }

    /// Decides a submission: a new fact, a resend (replayed), a conflict or
    /// a correction. `dependants`: what refers to the facts it corrects.
    pub fn submit(&mut self, c: &Checked, job: usize, dependants: &dependants::Stored) -> Outcome {
        let p = &c.prepared;
        let key = (p.body_id.clone(), p.fact.source_id.clone());
        let correction = !p.correction_reason.trim().is_empty();
        let encoded = Encoded {
            payload: p.fact.encode_to_vec(),
            officers: officer_ids(&p.officers),
            refers_to: crate::checks::refers_to(&p.fact).to_string(),
        };
        let Some(id) = self.facts.by_key.get(&key).copied() else {
            if correction {
                return Err(AppError::refused(
                    Reason::NothingToCorrect,
                    format!("no fact {} for this body to correct", p.fact.source_id),
                ));
            }
            return Ok(self.add(c, job, key, encoded));
        };
        let Some(st) = self.facts.by_id.get(&id) else {
            return Err(AppError::internal("fact state missing"));
        };
        if resends(st, p, correction) {
            return Ok(Accepted {
                fact_id: id,
                revision: st.revision,
                replayed: true,
                findings: 0,
                fact: None,
            });
        }
        if !correction {
            return Err(AppError::refused(
                Reason::FactConflict,
                format!(
                    "fact {} of this body was recorded with a different payload; send a correction (correction_reason) to change it",
                    p.fact.source_id
                ),
            ));
        }
        refs::correction_on_current(c, st)?;
        correction_allowed(st, p)?;
        if dependants::stranded_by(st, p) {
            dependants::none_live(id, st, &self.facts, dependants)?;
        }
        self.correct(id, c, job, encoded)
    }

    /// Makes a new fact, revision 1.
    fn add(&mut self, c: &Checked, job: usize, key: (String, String), s: Encoded) -> Accepted {
        let p = &c.prepared;
        let id = self.next;
        self.next += 1;
        self.facts.by_key.insert(key.clone(), id);
        self.facts.by_id.insert(
            id,
            State {
                kind: p.kind as i32,
                revision: 1,
                voided: false,
                digests: vec![(p.digest.clone(), String::new())],
                current_digest: p.digest.clone(),
                payload: s.payload.clone(),
                occurred_us: p.occurred_us,
                officers: s.officers.clone(),
                body: p.body_id.clone(),
                source_id: p.fact.source_id.clone(),
                refers_to: s.refers_to.clone(),
                findings: finding_states::held_of(1, &c.findings),
            },
        );
        let n = c.findings.len();
        self.rows.push(Row {
            job,
            fact_id: id,
            revision: 1,
            new_fact: Some(key),
            body: p.body_id.clone(),
            body_path: c.body_path.clone(),
            kind: p.kind as i32,
            payload: s.payload,
            digest: p.digest.clone(),
            reason: String::new(),
            voided: false,
            occurred_us: p.occurred_us,
            officers: s.officers,
            findings: c.findings.clone(),
            refers_to: s.refers_to,
            restated: Vec::new(),
        });
        Accepted {
            fact_id: id,
            revision: 1,
            replayed: false,
            findings: n,
            fact: None,
        }
    }

    /// Makes the next revision of fact `id`, which passed every check.
    fn correct(&mut self, id: i64, c: &Checked, job: usize, s: Encoded) -> Outcome {
        let p = &c.prepared;
        let Some(st) = self.facts.by_id.get_mut(&id) else {
            return Err(AppError::internal("fact state missing"));
        };
        st.revision += 1;
        st.voided = false;
        st.digests
            .push((p.digest.clone(), p.correction_reason.clone()));
        st.current_digest = p.digest.clone();
        st.payload = s.payload.clone();
        st.occurred_us = p.occurred_us;
        st.officers = s.officers.clone();
        st.refers_to = s.refers_to.clone();
        let (new, restated, n) = restate(&mut st.findings, st.revision, &c.findings);
        self.rows.push(Row {
            job,
            fact_id: id,
            revision: st.revision,
            new_fact: None,
            body: p.body_id.clone(),
            body_path: c.body_path.clone(),
            kind: p.kind as i32,
            payload: s.payload,
            digest: p.digest.clone(),
            reason: p.correction_reason.clone(),
            voided: false,
            occurred_us: p.occurred_us,
            officers: s.officers,
            findings: new,
            refers_to: s.refers_to,
            restated,
        });
        Ok(Accepted {
            fact_id: id,
            revision: st.revision,
            replayed: false,
            findings: n,
            fact: None,
        })
    }

    /// Voids a fact, unless live facts still refer to it
    /// ([`dependants::none_live`]); a void of a voided fact replays.
    pub fn void(
        &mut self,
        (fact_id, checked): (i64, &str),
        reason: String,
        job: usize,
        dependants: &dependants::Stored,
    ) -> Outcome {
        let Some(st) = self.facts.by_id.get(&fact_id) else {
            return Err(AppError::not_found(store::fact_name(fact_id)));
        };
        if !st.voided {
            refs::void_on_current(fact_id, st, checked)?;
            dependants::none_live(fact_id, st, &self.facts, dependants)?;
        }
        let Some(st) = self.facts.by_id.get_mut(&fact_id) else {
            return Err(AppError::not_found(store::fact_name(fact_id)));
        };
        if st.voided {
            return Ok(Accepted {
                fact_id,
                revision: st.revision,
                replayed: true,
                findings: 0,
                fact: None,
            });
        }
        st.revision += 1;
        st.voided = true;
        // A void leaves the record: its findings stay in force until the office
        // rules on them.
        let (_, restated, n) = restate(&mut st.findings, st.revision, &[]);
        self.rows.push(Row {
            job,
            fact_id,
            revision: st.revision,
            new_fact: None,
            body: st.body.clone(),
            body_path: String::new(),
            kind: st.kind,
            payload: st.payload.clone(),
            digest: st.current_digest.clone(),
            reason,
            voided: true,
            occurred_us: st.occurred_us,
            officers: st.officers.clone(),
            findings: Vec::new(),
            refers_to: st.refers_to.clone(),
            restated,
        });
        Ok(Accepted {
            fact_id,
            revision: st.revision,
            replayed: false,
            findings: n,
            fact: None,
        })
    }
}

/// A resend replays: a fact with any revision of this payload, or a
/// correction already made (same payload and reason), or one that would
/// change nothing.
fn resends(st: &State, p: &Prepared, correction: bool) -> bool {
    if correction {
        (st.current_digest == p.digest && !st.voided)
            || st
                .digests
                .iter()
                .any(|(d, r)| *d == p.digest && *r == p.correction_reason)
    } else {
        st.digests.iter().any(|(d, _)| *d == p.digest)
    }
}

/// What a correction may not change: the kind of fact, or the year of one
/// whose findings are in force.
fn correction_allowed(st: &State, p: &Prepared) -> AppResult<()> {
    if st.kind != p.kind as i32 {
        return Err(AppError::refused(
            Reason::KindChanged,
            "a correction cannot change the kind of fact; void it and submit a new one",
        ));
    }
    // The year's ranking reads a fact by its time: a fact whose findings are
    // in force is not moved out of the year they count in.
    if probity_rules::city::year_of_us(st.occurred_us)
        != probity_rules::city::year_of_us(p.occurred_us)
        && st
            .findings
            .iter()
            .any(|h| finding_states::in_force(h.state))
    {
        return Err(AppError::refused(
            Reason::FindingsHoldTheYear,
            format!(
                "fact {} has findings in force: it cannot be moved to another year until the \
                 legal-affairs office rules on them",
                p.fact.source_id
            ),
        ));
    }
    Ok(())
}

/// A new revision's effect on the fact's record (see
/// [`finding_states::apply_revision`]): the findings new on it, the ones it
/// superseded or reopened, and how many are in force after it.
fn restate(
    held: &mut Vec<Held>,
    revision: i32,
    found: &[Found],
) -> (Vec<Found>, Vec<(i32, i32, i32)>, usize) {
    let before: Vec<bool> = held.iter().map(|h| h.dirty).collect();
    for h in held.iter_mut() {
        h.dirty = false;
    }
    let new = finding_states::apply_revision(held, revision, found);
    let restated = held
        .iter()
        .filter(|h| h.dirty)
        .map(|h| (h.revision, h.seq, h.state))
        .collect();
    // Dirty stays set for whatever an earlier revision in this batch changed.
    for (h, was) in held.iter_mut().zip(before) {
        h.dirty |= was;
    }
    held.extend(finding_states::held_of(revision, &new));
    let n = held
        .iter()
        .filter(|h| finding_states::in_force(h.state))
        .count();
    (new, restated, n)
}

/// A void's retry by request id (under the lock): the answer kept for the
/// first call, if there was one, replayed.
pub(super) async fn answered_before(
    store: &Store,
    w: &Write<'_>,
    method: &'static str,
    request: &RequestKey,
) -> AppResult<Option<Outcome>> {
    Ok(store
        .stored_response(w.txn(), method, request)
        .await?
        .map(|first| first_answer(&first)))
}

/// A retried void answered as the first call was.
fn first_answer(stored: &[u8]) -> Outcome {
    let f = Fact::decode(stored).map_err(AppError::internal)?;
    Ok(Accepted {
        fact_id: store::fact_id(&f.name).ok_or_else(|| AppError::internal("stored fact name"))?,
        revision: f.revision,
        replayed: true,
        findings: f.findings.len(),
        fact: Some(f),
    })
}

/// Voids made in this batch whose answers are kept against their request
/// ids: (job, item, request id).
pub(super) type Requests = Vec<(usize, usize, RequestKey)>;

/// Keeps each void's answer (its fact as stored, once read back) for
/// retries of its request id.
pub(super) async fn remember(
    w: &Write<'_>,
    jobs: &[Job],
    outcomes: &[Vec<Outcome>],
    requests: &Requests,
) -> AppResult<()> {
    for (j, i, request) in requests {
        if let Ok(Accepted { fact: Some(f), .. }) = &outcomes[*j][*i] {
            w.remember(jobs[*j].method, request, f).await?;
        }
    }
    Ok(())
}
