//! The locked path: one transaction under the chain lock. Inside it every
//! (body, source id) is looked up again, so replicas sharing a database never
//! record a fact twice; it is the path that decides replays, conflicts,
//! corrections and voids. SQLite takes it always; PostgreSQL for a batch
//! with corrections, voids or resends, a writer's first batch, and a batch
//! the fast or COPY path could not write.
use std::collections::{HashMap, HashSet};

use probity_common::{
    AppResult,
    auth::Principal,
    store::{Store, Write},
};

use super::{
    audit_change::changes_by_caller,
    batch::{self, Batch, Requests},
    dependants::{self, REFERABLE},
    inspections::Inspections,
    job::{Item, Job, Outcome},
    refs,
    rows::{Row, table_rows},
    state::{Facts, State},
    tail::{Known, Tail},
    views,
};
use crate::{
    finding_states::{self, Held},
    store::{self, Current},
};

/// Writes the batch under the lock; afterwards `tail` is where it left the
/// chain.
pub(super) async fn commit(
    store: &Store,
    jobs: &mut [Job],
    tail: &mut Tail,
) -> AppResult<Vec<Vec<Outcome>>> {
    let known = tail.0.take();
    let system = Principal::system("probity-intake");
    let mut w = store.write(&system, "intake.commit", "", &()).await?;
    let (mut batch, dependants) = read(&w, jobs, known).await?;
    let mut inspections = Inspections::read(w.txn(), jobs).await?;

    let now_us = chrono::Utc::now().timestamp_micros();
    let (mut outcomes, requests) =
        decide(store, &w, jobs, &mut batch, &dependants, &mut inspections).await;

    let seq_of_job = audit(&mut w, jobs, &batch.rows).await?;
    write_rows(w.txn(), &batch.rows, &seq_of_job, now_us, jobs).await?;
    let restated: Vec<(i64, &Held)> = batch
        .facts
        .by_id
        .iter()
        .flat_map(|(id, st)| st.findings.iter().filter(|h| h.dirty).map(|h| (*id, h)))
        .collect();
    finding_states::write_states(w.txn(), &restated).await?;
    store::inspections::claim_slots(w.txn(), &inspections.claimed, now_us).await?;

    // Unary calls get the fact as stored: new facts from memory, the rest
    // read back.
    views::view_made(&mut outcomes, jobs, &batch.rows, now_us)?;
    views::read_back(w.txn(), &mut outcomes, jobs).await?;
    batch::remember(&w, jobs, &outcomes, &requests).await?;
    let known = Known {
        seq: w.head_seq(),
        hash: w.head_hash().to_string(),
        next: batch.next,
    };
    if w.changed() {
        w.commit(()).await?;
    }
    tail.0 = Some(known);
    Ok(outcomes)
}

/// Reads, under the lock, the stored facts the batch's items name (the
/// facts submitted, those they refer to, those voided) as the batch's
/// facts, and what refers to the ones it voids or corrects.
async fn read(
    w: &Write<'_>,
    jobs: &[Job],
    known: Option<Known>,
) -> AppResult<(Batch, dependants::Stored)> {
    let txn = w.txn();
    let void_ids: Vec<i64> = jobs
        .iter()
        .flat_map(|j| j.items.iter())
        .filter_map(|i| match i {
            Ok(Item::Void { fact_id, .. }) => Some(*fact_id),
            _ => None,
        })
        .collect();
    let stored = store::by_source(txn, &keys(jobs)).await?;
    let stored_by_id = store::by_id(txn, &void_ids).await?;
    // What the facts to void or correct have referring to them, under the
    // lock.
    let corrected = corrected(jobs);
    let is_corrected = |c: &&Current| corrected.contains(&(c.body.as_str(), c.source_id.as_str()));
    let referable: Vec<(String, String)> = stored_by_id
        .values()
        .chain(stored.values().filter(is_corrected))
        .filter(|c| REFERABLE.contains(&c.kind))
        .map(|c| (c.body.clone(), c.source_id.clone()))
        .collect();
    let dependants = store::dependants(txn, &referable).await?;
    // The records of the facts to void or correct, under the lock.
    let restating: Vec<i64> = stored
        .values()
        .filter(is_corrected)
        .map(|c| c.id)
        .chain(void_ids.iter().copied())
        .collect();
    let mut held = finding_states::held(txn, &restating).await?;
    let mut ids: Vec<i64> = stored.values().map(|c| c.id).collect();
    ids.extend(&void_ids);
    let mut digests = store::digests(txn, &ids).await?;
    let next = match known {
        Some(k) if k.seq == w.head_seq() => k.next,
        _ => store::next_id(txn).await?,
    };

    let mut facts = Facts::default();
    for c in stored.values() {
        facts
            .by_key
            .insert((c.body.clone(), c.source_id.clone()), c.id);
        let s = State::stored(c, &mut digests, &mut held)?;
        facts.by_id.insert(c.id, s);
    }
    for c in stored_by_id.values() {
        if let std::collections::hash_map::Entry::Vacant(e) = facts.by_id.entry(c.id) {
            e.insert(State::stored(c, &mut digests, &mut held)?);
        }
    }
    // A void records the officers the voided revision recorded, including
    // those a decision or closing inherited (they are not in its payload).
    for (id, officers) in store::current_officers(txn, &void_ids).await? {
        if let Some(st) = facts.by_id.get_mut(&id) {
            st.officers = officers;
        }
    }
    Ok((Batch::new(facts, next), dependants))
}

/// The facts submitted and the facts they refer to.
fn keys(jobs: &[Job]) -> Vec<(String, String)> {
    jobs.iter()
        .flat_map(|j| j.items.iter())
        .filter_map(|i| match i {
            Ok(Item::Submit(c)) => Some(&c.prepared),
            _ => None,
        })
        .flat_map(|p| {
            std::iter::once((p.body_id.clone(), p.fact.source_id.clone())).chain(
                p.reference
                    .as_ref()
                    .map(|r| (p.body_id.clone(), r.source_id.clone())),
            )
        })
        .collect()
}

/// The (body, source id) of every correction.
fn corrected(jobs: &[Job]) -> HashSet<(&str, &str)> {
    jobs.iter()
        .flat_map(|j| j.items.iter())
        .filter_map(|i| match i {
            Ok(Item::Submit(c)) if !c.prepared.correction_reason.trim().is_empty() => Some((
                c.prepared.body_id.as_str(),
                c.prepared.fact.source_id.as_str(),
            )),
            _ => None,
        })
        .collect()
}

/// Decides every item in order: each caller's outcomes, and the voids whose
/// answers are to be kept against their request ids.
async fn decide(
    store: &Store,
    w: &Write<'_>,
    jobs: &mut [Job],
    batch: &mut Batch,
    dependants: &dependants::Stored,
    inspections: &mut Inspections,
) -> (Vec<Vec<Outcome>>, Requests) {
    let mut outcomes: Vec<Vec<Outcome>> = Vec::with_capacity(jobs.len());
    let mut requests: Requests = Vec::new();
    for (j, job) in jobs.iter_mut().enumerate() {
        let mut out: Vec<Outcome> = Vec::with_capacity(job.items.len());
        for item in std::mem::take(&mut job.items) {
            let o = match item {
                Err(e) => Err(e),
                Ok(Item::Submit(mut c)) => match refs::reference_holds(&c, &batch.facts) {
                    Err(e) => Err(e),
                    Ok(()) if inspections.any => {
                        inspections.judge(&mut c, &batch.facts);
                        let o = batch.submit(&c, j, dependants);
                        if let Ok(a) = &o {
                            inspections.accepted(&c, a);
                        }
                        o
                    }
                    Ok(()) => batch.submit(&c, j, dependants),
                },
                Ok(Item::Void {
                    fact_id,
                    reason,
                    request,
                    checked,
                }) => match batch::answered_before(store, w, job.method, &request).await {
                    Err(e) => Err(e),
                    Ok(Some(first)) => first,
                    Ok(None) => {
                        let o = batch.void((fact_id, &checked), reason, j, dependants);
                        if o.as_ref().is_ok_and(|a| !a.replayed) {
                            requests.push((j, out.len(), request));
                            if inspections.any {
                                inspections.voided(fact_id, &batch.facts);
                            }
                        }
                        o
                    }
                },
            };
            out.push(o);
        }
        outcomes.push(out);
    }
    (outcomes, requests)
}

/// One audit entry per caller ([`changes_by_caller`]); the sequence of each.
async fn audit(w: &mut Write<'_>, jobs: &[Job], rows: &[Row]) -> AppResult<HashMap<usize, i64>> {
    let mut seq_of_job: HashMap<usize, i64> = HashMap::new();
    for (j, change) in changes_by_caller(rows, jobs) {
        let job = &jobs[j];
        let seq = w
            .audit_as(&job.principal, job.method, "facts", change)
            .await?;
        seq_of_job.insert(j, seq);
    }
    Ok(seq_of_job)
}

/// Inserts the batch's rows, then moves each fact it corrected or voided to
/// its last revision.
async fn write_rows(
    txn: &sea_orm::DatabaseTransaction,
    rows: &[Row],
    seq_of_job: &HashMap<usize, i64>,
    now_us: i64,
    jobs: &[Job],
) -> AppResult<()> {
    use sea_orm::ConnectionTrait;
    store::insert_all(txn, &table_rows(rows, seq_of_job, now_us, jobs)).await?;
    // After the inserts: a fact made and corrected in the same batch has its
    // row only now. A fact changed twice ends at its last revision.
    let mut last: HashMap<i64, &Row> = HashMap::new();
    for r in rows.iter().filter(|r| r.new_fact.is_none()) {
        last.insert(r.fact_id, r);
    }
    for r in last.values() {
        txn.execute_raw(probity_common::db::stmt(
            txn,
            "UPDATE intake_facts SET revision = $1, voided = $2, occurred_us = $3, refers_to = $4 \
             WHERE id = $5",
            vec![
                r.revision.into(),
                r.voided.into(),
                r.occurred_us.into(),
                r.refers_to.clone().into(),
                r.fact_id.into(),
            ],
        ))
        .await?;
    }
    Ok(())
}
