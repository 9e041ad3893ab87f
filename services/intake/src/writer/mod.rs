//! The one writer of a process's facts. Submissions that arrive together,
//! from any number of calls and streams, are committed together (group
//! commit): the audit chain serializes a service's writes, so batching is
//! what lets intake keep up with its database. A batch of new facts goes
//! without a lock ([`fast`], [`copy`]); anything else, or a batch those
//! could not write, takes the locked path here: inside the lock every
//! (body, source id) is looked up again, so replicas sharing a database
//! never record a fact twice.
use std::collections::HashMap;

use probity_common::{
    AppError, AppResult,
    auth::{Principal, Role},
    error::unless_panics,
    store::{RequestKey, Store},
};
use probity_proto::intake::v1::{Fact, FactKind};
use prost::Message;
use tokio::sync::{mpsc, oneshot};

mod copy;
mod fast;
mod rows;

use crate::{
    finding_states::{self, Held},
    findings::Found,
    prepare::Prepared,
    tables::{self, Current},
};

/// A submission that passed every check before the lock.
#[derive(Debug, Clone)]
pub struct Checked {
    pub prepared: Prepared,
    pub findings: Vec<Found>,
    /// "/root/.../body/": the body's ancestry, for department scope on reads.
    pub body_path: String,
    /// Digest of the referenced fact's revision it was checked against.
    pub reference_digest: Option<String>,
    /// A correction: the digest of the revision it was checked against
    /// (who may revise it, as of when it was recorded); None when the fact
    /// was not there. The writer refuses it if the fact moved on since.
    pub revises: Option<String>,
    /// Recognized before the lock as a resend of a stored revision: not
    /// checked again (the writer still decides under the lock).
    pub replay: bool,
}

#[derive(Debug)]
pub enum Item {
    Submit(Box<Checked>),
    Void {
        fact_id: i64,
        reason: String,
        /// The call's request id: its first answer is kept for retries.
        request: RequestKey,
        /// The digest of the revision whose reporter the void was checked
        /// against: refused if another revision came in since.
        checked: String,
    },
}

/// What became of one item.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub fact_id: i64,
    pub revision: i32,
    pub replayed: bool,
    pub findings: usize,
    /// The fact as stored, when the job asked for it.
    pub fact: Option<Fact>,
}

pub type Outcome = Result<Accepted, AppError>;

pub struct Job {
    pub principal: Principal,
    pub method: &'static str,
    /// Items refused before the lock come as their error, so outcomes align.
    pub items: Vec<Result<Item, AppError>>,
    /// Return each fact as stored (unary calls), not only its name.
    pub full: bool,
    pub reply: oneshot::Sender<AppResult<Vec<Outcome>>>,
}

#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer task; it ends when every Writer handle is dropped.
    pub fn start(store: Store, batch_max: usize) -> Writer {
        let (tx, rx) = mpsc::channel(256);
        tokio::spawn(run(store, rx, batch_max));
        Writer { tx }
    }

    pub async fn submit(
        &self,
        principal: Principal,
        method: &'static str,
        items: Vec<Result<Item, AppError>>,
        full: bool,
    ) -> AppResult<Vec<Outcome>> {
        self.enqueue(principal, method, items, full)
            .await?
            .await
            .map_err(|_| AppError::Unavailable("intake is shutting down".into()))?
    }

    /// Queues a job and returns where its outcomes will arrive, so a stream
    /// can check its next records while these are committed.
    pub async fn enqueue(
        &self,
        principal: Principal,
        method: &'static str,
        items: Vec<Result<Item, AppError>>,
        full: bool,
    ) -> AppResult<oneshot::Receiver<AppResult<Vec<Outcome>>>> {
        let (reply, rx) = oneshot::channel();
        let job = Job {
            principal,
            method,
            items,
            full,
            reply,
        };
        self.tx
            .send(job)
            .await
            .map_err(|_| AppError::Unavailable("intake is shutting down".into()))?;
        Ok(rx)
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Job>, batch_max: usize) {
    let mut tail = Tail::default();
    while let Some(first) = rx.recv().await {
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
        let started = std::time::Instant::now();
        let result = unless_panics(write(&store, &mut jobs, &mut tail)).await;
        if result.is_err() {
            // What this writer knew of the head may not be so any more.
            tail.0 = None;
        }
        reply(jobs, started, result);
    }
}

/// Writes one batch: in one statement if it can, else under the lock.
async fn write(store: &Store, jobs: &mut [Job], tail: &mut Tail) -> AppResult<Vec<Vec<Outcome>>> {
    let Some(plan) = fast::plan(store, jobs, tail)? else {
        return commit(store, jobs, tail).await;
    };
    tail.0 = None;
    if !plan.write(store).await? {
        return commit(store, jobs, tail).await;
    }
    tail.0 = Some(plan.after);
    Ok(plan.outcomes)
}

fn reply(jobs: Vec<Job>, started: std::time::Instant, result: AppResult<Vec<Vec<Outcome>>>) {
    tracing::debug!(
        jobs = jobs.len(),
        ms = started.elapsed().as_secs_f64() * 1e3,
        "intake batch committed"
    );
    match result {
        Ok(outcomes) => {
            for (job, out) in jobs.into_iter().zip(outcomes) {
                let _ = job.reply.send(Ok(out));
            }
        }
        Err(e) => {
            if matches!(e, AppError::Internal(_)) {
                tracing::error!(error = %e, "intake batch failed");
            }
            for job in jobs {
                let _ = job.reply.send(Err(e.clone()));
            }
        }
    }
}

/// What the batch knows of a fact: stored, or made earlier in this batch.
struct State {
    kind: i32,
    revision: i32,
    voided: bool,
    /// (payload digest, reason) of every revision, oldest first.
    digests: Vec<(String, String)>,
    current_digest: String,
    /// The current stored Fact bytes and its officers/time (for voids).
    payload: Vec<u8>,
    occurred_us: i64,
    officers: Vec<String>,
    body: String,
    source_id: String,
    /// Source id of the fact of the same body it refers to ("" for none).
    refers_to: String,
    /// The findings on its record (read only for facts corrected or voided).
    findings: Vec<Held>,
}

/// One revision to write.
struct Row {
    job: usize,
    fact_id: i64,
    revision: i32,
    new_fact: Option<(String, String)>,
    body: String,
    body_path: String,
    kind: i32,
    payload: Vec<u8>,
    digest: String,
    reason: String,
    voided: bool,
    occurred_us: i64,
    officers: Vec<String>,
    /// Findings new on this revision (one the record holds is not recorded
    /// again: it continues).
    findings: Vec<Found>,
    refers_to: String,
    /// Findings on the record this revision superseded or reopened:
    /// (revision, seq, state), for the audit entry.
    restated: Vec<(i32, i32, i32)>,
}

impl Row {
    /// The revision as the API shows it, without reading it back.
    fn view(&self, actor: &str, recorded_us: i64) -> AppResult<Fact> {
        let fact = Fact::decode(self.payload.as_slice()).map_err(AppError::internal)?;
        let source_id = fact.source_id.clone();
        let mut f = tables::view(
            fact,
            tables::Stamp {
                id: self.fact_id,
                revision: self.revision,
                reason: self.reason.clone(),
                voided: self.voided,
                actor: actor.to_string(),
                occurred_us: self.occurred_us,
                recorded_us,
            },
        );
        f.findings = self
            .findings
            .iter()
            .enumerate()
            .map(|(i, x)| {
                finding_states::view_new(
                    self.fact_id,
                    self.revision,
                    i as i32,
                    x,
                    &self.body,
                    self.kind,
                    self.occurred_us,
                    &source_id,
                )
            })
            .collect();
        Ok(f)
    }
}

/// The audit record of a caller's revisions in one transaction.
fn revisions_change(rows: &[&Row]) -> serde_json::Value {
    let listed: String = rows
        .iter()
        .map(|r| {
            let restated: String = r
                .restated
                .iter()
                .map(|(rev, seq, state)| format!(" {rev}-{seq}:{state}"))
                .collect();
            format!(
                "{} {} {} {}{restated}\n",
                r.fact_id, r.revision, r.digest, r.voided
            )
        })
        .collect();
    serde_json::json!({
        "op": "record_facts",
        "revisions": rows.len(),
        "first_fact": tables::fact_name(rows.iter().map(|r| r.fact_id).min().unwrap_or(0)),
        "last_fact": tables::fact_name(rows.iter().map(|r| r.fact_id).max().unwrap_or(0)),
        "findings_restated": rows.iter().map(|r| r.restated.len()).sum::<usize>(),
        "list_sha256": probity_common::audit::sha256_hex(listed.as_bytes()),
    })
}

/// Each caller's audit record of the revisions made for it, callers with
/// none left out.
fn changes_by_caller(rows: &[Row], jobs: &[Job]) -> Vec<(usize, serde_json::Value)> {
    (0..jobs.len())
        .filter_map(|j| {
            let mine: Vec<&Row> = rows.iter().filter(|r| r.job == j).collect();
            (!mine.is_empty()).then(|| (j, revisions_change(&mine)))
        })
        .collect()
}

/// Gives the callers that asked for them (unary calls) the new facts made
/// for them as stored, from memory. Corrections and voids are read back: they
/// show the findings of earlier revisions too.
fn view_made(
    outcomes: &mut [Vec<Outcome>],
    jobs: &[Job],
    rows: &[Row],
    now_us: i64,
) -> AppResult<()> {
    let made: HashMap<(i64, i32), &Row> = rows
        .iter()
        .filter(|r| r.new_fact.is_some())
        .map(|r| ((r.fact_id, r.revision), r))
        .collect();
    for (j, job) in jobs.iter().enumerate().filter(|(_, job)| job.full) {
        for a in outcomes[j].iter_mut().filter_map(|o| o.as_mut().ok()) {
            if let Some(r) = made.get(&(a.fact_id, a.revision)) {
                let f = r.view(&job.principal.subject, now_us)?;
                a.findings = f.findings.len();
                a.fact = Some(f);
            }
        }
    }
    Ok(())
}

fn officer_ids(officers: &[String]) -> Vec<String> {
    officers
        .iter()
        .map(|o| o.strip_prefix("officers/").unwrap_or(o).to_string())
        .collect()
}

/// The chain head and the next fact id as of this writer's last commit.
/// While the head has not moved since (no other replica wrote) they save a
/// query a batch, and new facts go in one statement ([`fast`]).
#[derive(Default)]
struct Tail(Option<Known>);

struct Known {
    seq: i64,
    hash: String,
    next: i64,
}

async fn commit(store: &Store, jobs: &mut [Job], tail: &mut Tail) -> AppResult<Vec<Vec<Outcome>>> {
    let known = tail.0.take();
    let system = Principal {
        subject: "probity-intake".into(),
        role: Role::Service,
        body: None,
    };
    let mut w = store.write(&system, "intake.commit", "", &()).await?;
    // The facts submitted and the facts they refer to.
    let keys: Vec<(String, String)> = jobs
        .iter()
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
        .collect();
    let void_ids: Vec<i64> = jobs
        .iter()
        .flat_map(|j| j.items.iter())
        .filter_map(|i| match i {
            Ok(Item::Void { fact_id, .. }) => Some(*fact_id),
            _ => None,
        })
        .collect();
    let stored = tables::by_source(w.txn(), &keys).await?;
    let stored_by_id = tables::by_id(w.txn(), &void_ids).await?;
    // What the facts to void or correct have referring to them, under the
    // lock.
    let corrected: std::collections::HashSet<(&str, &str)> = jobs
        .iter()
        .flat_map(|j| j.items.iter())
        .filter_map(|i| match i {
            Ok(Item::Submit(c)) if !c.prepared.correction_reason.trim().is_empty() => Some((
                c.prepared.body_id.as_str(),
                c.prepared.fact.source_id.as_str(),
            )),
            _ => None,
        })
        .collect();
    let referable: Vec<(String, String)> = stored_by_id
        .values()
        .chain(
            stored
                .values()
                .filter(|c| corrected.contains(&(c.body.as_str(), c.source_id.as_str()))),
        )
        .filter(|c| REFERABLE.contains(&c.kind))
        .map(|c| (c.body.clone(), c.source_id.clone()))
        .collect();
    let dependants = tables::dependants(w.txn(), &referable).await?;
    // The records of the facts to void or correct, under the lock.
    let restating: Vec<i64> = stored
        .values()
        .filter(|c| corrected.contains(&(c.body.as_str(), c.source_id.as_str())))
        .map(|c| c.id)
        .chain(void_ids.iter().copied())
        .collect();
    let mut held = finding_states::held(w.txn(), &restating).await?;
    let mut ids: Vec<i64> = stored.values().map(|c| c.id).collect();
    ids.extend(&void_ids);
    let mut digests = tables::digests(w.txn(), &ids).await?;
    let mut next = match known {
        Some(k) if k.seq == w.head_seq() => k.next,
        _ => tables::next_id(w.txn()).await?,
    };

    let mut states: HashMap<i64, State> = HashMap::new();
    let mut by_key: HashMap<(String, String), i64> = HashMap::new();
    let mut adopt =
        |c: &Current, digests: &mut HashMap<i64, Vec<(String, String)>>| -> AppResult<State> {
            let all = digests.remove(&c.id).unwrap_or_default();
            let fact = Fact::decode(c.payload.as_slice()).map_err(AppError::internal)?;
            Ok(State {
                kind: c.kind,
                revision: c.revision,
                voided: c.voided,
                current_digest: c.digest.clone(),
                digests: all,
                payload: c.payload.clone(),
                occurred_us: c.occurred_us,
                officers: officer_ids(&crate::prepare::officers_of(&fact)),
                body: c.body.clone(),
                source_id: c.source_id.clone(),
                refers_to: c.refers_to.clone(),
                findings: held.remove(&c.id).unwrap_or_default(),
            })
        };
    for c in stored.values() {
        by_key.insert((c.body.clone(), c.source_id.clone()), c.id);
        let s = adopt(c, &mut digests)?;
        states.insert(c.id, s);
    }
    for c in stored_by_id.values() {
        if let std::collections::hash_map::Entry::Vacant(e) = states.entry(c.id) {
            e.insert(adopt(c, &mut digests)?);
        }
    }
    // A void records the officers the voided revision recorded, including
    // those a decision or closing inherited (they are not in its payload).
    for (id, officers) in tables::current_officers(w.txn(), &void_ids).await? {
        if let Some(st) = states.get_mut(&id) {
            st.officers = officers;
        }
    }

    let now_us = chrono::Utc::now().timestamp_micros();
    let mut outcomes: Vec<Vec<Outcome>> = Vec::with_capacity(jobs.len());
    let mut rows: Vec<Row> = Vec::new();
    // Voids whose answers are kept against their request ids: (job, item).
    let mut remember: Vec<(usize, usize, RequestKey)> = Vec::new();
    for (j, job) in jobs.iter_mut().enumerate() {
        let mut out: Vec<Outcome> = Vec::with_capacity(job.items.len());
        for item in std::mem::take(&mut job.items) {
            let o = match item {
                Err(e) => Err(e),
                Ok(Item::Submit(c)) => match reference_holds(&c, &states, &by_key) {
                    Err(e) => Err(e),
                    Ok(()) => submit(
                        &c,
                        j,
                        &mut states,
                        &mut by_key,
                        &mut next,
                        &mut rows,
                        &dependants,
                    ),
                },
                Ok(Item::Void {
                    fact_id,
                    reason,
                    request,
                    checked,
                }) => match store.stored_response(w.txn(), job.method, &request).await {
                    Err(e) => Err(e),
                    Ok(Some(first)) => first_answer(&first),
                    Ok(None) => {
                        let o = void(
                            (fact_id, &checked),
                            reason,
                            j,
                            &mut states,
                            &dependants,
                            &mut rows,
                        );
                        if o.as_ref().is_ok_and(|a| !a.replayed) {
                            remember.push((j, out.len(), request));
                        }
                        o
                    }
                },
            };
            out.push(o);
        }
        outcomes.push(out);
    }

    // One audit entry per caller. It names the facts' range and digests the
    // list of (fact, revision, payload digest) it made; each revision row
    // keeps its payload digest and the sequence of this entry, so an edited
    // or inserted revision no longer matches its entry.
    let mut seq_of_job: HashMap<usize, i64> = HashMap::new();
    for (j, change) in changes_by_caller(&rows, jobs) {
        let job = &jobs[j];
        let seq = w
            .audit_as(&job.principal, job.method, "facts", change)
            .await?;
        seq_of_job.insert(j, seq);
    }
    write_rows(w.txn(), &rows, &seq_of_job, now_us, jobs).await?;
    let restated: Vec<(i64, &Held)> = states
        .iter()
        .flat_map(|(id, st)| st.findings.iter().filter(|h| h.dirty).map(|h| (*id, h)))
        .collect();
    finding_states::write_states(w.txn(), &restated).await?;

    // Unary calls get the fact as stored: new facts from memory, the rest
    // read back.
    view_made(&mut outcomes, jobs, &rows, now_us)?;
    for j in (0..jobs.len()).filter(|&j| jobs[j].full) {
        let replays: Vec<(i64, i32)> = outcomes[j]
            .iter()
            .filter_map(|o| o.as_ref().ok())
            .filter(|a| a.fact.is_none())
            .map(|a| (a.fact_id, a.revision))
            .collect();
        if replays.is_empty() {
            continue;
        }
        let mut read: HashMap<(i64, i32), Fact> = tables::load(w.txn(), &replays)
            .await?
            .into_iter()
            .map(|f| {
                let id = tables::fact_id(&f.name).unwrap_or(0);
                ((id, f.revision), f)
            })
            .collect();
        for a in outcomes[j].iter_mut().filter_map(|o| o.as_mut().ok()) {
            if a.fact.is_none() {
                a.fact = read.remove(&(a.fact_id, a.revision));
                a.findings = a.fact.as_ref().map_or(0, |f| f.findings.len());
            }
        }
    }
    for (j, i, request) in &remember {
        if let Ok(Accepted { fact: Some(f), .. }) = &outcomes[*j][*i] {
            w.remember(jobs[*j].method, request, f).await?;
        }
    }
    let known = Known {
        seq: w.head_seq(),
        hash: w.head_hash().to_string(),
        next,
    };
    if w.changed() {
        w.commit(()).await?;
    }
    tail.0 = Some(known);
    Ok(outcomes)
}

/// A retried void answered as the first call was.
fn first_answer(stored: &[u8]) -> Outcome {
    let f = Fact::decode(stored).map_err(AppError::internal)?;
    Ok(Accepted {
        fact_id: tables::fact_id(&f.name).ok_or_else(|| AppError::internal("stored fact name"))?,
        revision: f.revision,
        replayed: true,
        findings: f.findings.len(),
        fact: Some(f),
    })
}

/// The fact referred to was checked before the lock, maybe while it was
/// itself on its way or about to change: under the lock it must be there,
/// live, of the right kind, and still the revision that was checked.
fn reference_holds(
    c: &Checked,
    states: &HashMap<i64, State>,
    by_key: &HashMap<(String, String), i64>,
) -> AppResult<()> {
    let Some(r) = c.prepared.reference.as_ref().filter(|_| !c.replay) else {
        return Ok(());
    };
    let key = (c.prepared.body_id.clone(), r.source_id.clone());
    let field = r.field.clone();
    match by_key.get(&key).and_then(|id| states.get(id)) {
        None => Err(AppError::invalid(
            field,
            "the fact it refers to was not recorded",
        )),
        Some(st) if st.kind != r.kind as i32 => Err(AppError::invalid(
            field,
            "this source_id is a fact of another kind",
        )),
        Some(st) if st.voided => Err(AppError::invalid(field, "the fact it refers to was voided")),
        Some(st) if Some(&st.current_digest) != c.reference_digest.as_ref() => {
            Err(AppError::precondition(
                "REFERENCE_CHANGED",
                format!(
                    "{field}: the fact it refers to changed while this one was checked; send it again"
                ),
            ))
        }
        Some(_) => Ok(()),
    }
}

fn submit(
    c: &Checked,
    job: usize,
    states: &mut HashMap<i64, State>,
    by_key: &mut HashMap<(String, String), i64>,
    next: &mut i64,
    rows: &mut Vec<Row>,
    dependants: &HashMap<(String, String), Vec<tables::Dependant>>,
) -> Outcome {
    let Checked {
        prepared: p,
        findings,
        body_path,
        ..
    } = c;
    let key = (p.body_id.clone(), p.fact.source_id.clone());
    let correction = !p.correction_reason.trim().is_empty();
    let payload = p.fact.encode_to_vec();
    let officers = officer_ids(&p.officers);
    let refers_to = crate::prepare::refers_to(&p.fact).to_string();
    let Some(id) = by_key.get(&key).copied() else {
        if correction {
            return Err(AppError::precondition(
                "NOTHING_TO_CORRECT",
                format!("no fact {} for this body to correct", p.fact.source_id),
            ));
        }
        let id = *next;
        *next += 1;
        by_key.insert(key.clone(), id);
        states.insert(
            id,
            State {
                kind: p.kind as i32,
                revision: 1,
                voided: false,
                digests: vec![(p.digest.clone(), String::new())],
                current_digest: p.digest.clone(),
                payload: payload.clone(),
                occurred_us: p.occurred_us,
                officers: officers.clone(),
                body: p.body_id.clone(),
                source_id: p.fact.source_id.clone(),
                refers_to: refers_to.clone(),
                findings: finding_states::held_of(1, findings),
            },
        );
        let n = findings.len();
        rows.push(Row {
            job,
            fact_id: id,
            revision: 1,
            new_fact: Some(key),
            body: p.body_id.clone(),
            body_path: body_path.clone(),
            kind: p.kind as i32,
            payload,
            digest: p.digest.clone(),
            reason: String::new(),
            voided: false,
            occurred_us: p.occurred_us,
            officers,
            findings: findings.clone(),
            refers_to,
            restated: Vec::new(),
        });
        return Ok(Accepted {
            fact_id: id,
            revision: 1,
            replayed: false,
            findings: n,
            fact: None,
        });
    };
    let Some(st) = states.get(&id) else {
        return Err(AppError::internal("fact state missing"));
    };
    // A resend replays: a fact with any revision of this payload, or a
    // correction already made (same payload and reason), or one that would
    // change nothing.
    let replay = if correction {
        (st.current_digest == p.digest && !st.voided)
            || st
                .digests
                .iter()
                .any(|(d, r)| *d == p.digest && *r == p.correction_reason)
    } else {
        st.digests.iter().any(|(d, _)| *d == p.digest)
    };
    if replay {
        return Ok(Accepted {
            fact_id: id,
            revision: st.revision,
            replayed: true,
            findings: 0,
            fact: None,
        });
    }
    if !correction {
        return Err(AppError::exists(
            "FACT_CONFLICT",
            format!(
                "fact {} of this body was recorded with a different payload; send a correction (correction_reason) to change it",
                p.fact.source_id
            ),
        ));
    }
    // Checked before the lock against another revision (or none): whoever
    // made the one now current was not weighed, so the reporter check and
    // the registry's answer are the caller's to make again.
    if !c.replay && c.revises.as_deref() != Some(st.current_digest.as_str()) {
        return Err(AppError::precondition(
            "REVISION_CHANGED",
            format!(
                "fact {} changed while this correction was checked; send it again",
                p.fact.source_id
            ),
        ));
    }
    if st.kind != p.kind as i32 {
        return Err(AppError::precondition(
            "KIND_CHANGED",
            "a correction cannot change the kind of fact; void it and submit a new one",
        ));
    }
    // The year's ranking reads a fact by its time: a fact whose findings are
    // in force is not moved out of the year they count in.
    if probity_common::city::year_of_us(st.occurred_us)
        != probity_common::city::year_of_us(p.occurred_us)
        && st
            .findings
            .iter()
            .any(|h| finding_states::in_force(h.state))
    {
        return Err(AppError::precondition(
            "FINDINGS_HOLD_THE_YEAR",
            format!(
                "fact {} has findings in force: it cannot be moved to another year until the \
                 legal-affairs office rules on them",
                p.fact.source_id
            ),
        ));
    }
    if strands_dependants(st, p) {
        let live = live_dependants(id, st, states, dependants);
        if !live.is_empty() {
            return Err(has_dependants(&live));
        }
    }
    let Some(st) = states.get_mut(&id) else {
        return Err(AppError::internal("fact state missing"));
    };
    st.revision += 1;
    st.voided = false;
    st.digests
        .push((p.digest.clone(), p.correction_reason.clone()));
    st.current_digest = p.digest.clone();
    st.payload = payload.clone();
    st.occurred_us = p.occurred_us;
    st.officers = officers.clone();
    st.refers_to = refers_to.clone();
    let (new, restated, n) = restate(&mut st.findings, st.revision, findings);
    rows.push(Row {
        job,
        fact_id: id,
        revision: st.revision,
        new_fact: None,
        body: p.body_id.clone(),
        body_path: body_path.clone(),
        kind: p.kind as i32,
        payload,
        digest: p.digest.clone(),
        reason: p.correction_reason.clone(),
        voided: false,
        occurred_us: p.occurred_us,
        officers,
        findings: new,
        refers_to,
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

/// Whether correcting `st` to `p` changes what the checks of the facts
/// referring to it read from it: its time (theirs may not come before it)
/// or, for a matter, its power (the discretion benchmark its decisions were
/// held to). Their findings would stand on a revision that is gone.
fn strands_dependants(st: &State, p: &Prepared) -> bool {
    let power = |f: &Fact| match &f.payload {
        Some(probity_proto::intake::v1::fact::Payload::Matter(m)) => m.power.clone(),
        _ => String::new(),
    };
    REFERABLE.contains(&st.kind)
        && (st.occurred_us != p.occurred_us
            || Fact::decode(st.payload.as_slice())
                .map(|f| power(&f))
                .unwrap_or_default()
                != power(&p.fact))
}

/// Kinds of fact other facts refer to: matters, decisions, complaints.
const REFERABLE: [i32; 3] = [
    FactKind::Matter as i32,
    FactKind::Decision as i32,
    FactKind::Complaint as i32,
];

/// Voids a fact, unless live facts still refer to it (a decision on a
/// voided matter would stay counted and its findings picked up): those are
/// voided or corrected first.
fn void(
    (fact_id, checked): (i64, &str),
    reason: String,
    job: usize,
    states: &mut HashMap<i64, State>,
    dependants: &HashMap<(String, String), Vec<tables::Dependant>>,
    rows: &mut Vec<Row>,
) -> Outcome {
    let Some(st) = states.get(&fact_id) else {
        return Err(AppError::not_found(tables::fact_name(fact_id)));
    };
    if !st.voided && st.current_digest != checked {
        return Err(AppError::precondition(
            "REVISION_CHANGED",
            format!(
                "{} changed while this void was checked; send it again",
                tables::fact_name(fact_id)
            ),
        ));
    }
    if !st.voided {
        let live = live_dependants(fact_id, st, states, dependants);
        if !live.is_empty() {
            return Err(has_dependants(&live));
        }
    }
    let Some(st) = states.get_mut(&fact_id) else {
        return Err(AppError::not_found(tables::fact_name(fact_id)));
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
    rows.push(Row {
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

/// The live facts referring to `st` as this batch leaves them: stored ones
/// (unless the batch voided or re-pointed them) and ones the batch made or
/// corrected; (id, source id) in id order.
fn live_dependants(
    fact_id: i64,
    st: &State,
    states: &HashMap<i64, State>,
    stored: &HashMap<(String, String), Vec<tables::Dependant>>,
) -> Vec<(i64, String)> {
    let refers = |s: &State| s.body == st.body && !s.voided && s.refers_to == st.source_id;
    let mut live: std::collections::BTreeMap<i64, String> = stored
        .get(&(st.body.clone(), st.source_id.clone()))
        .into_iter()
        .flatten()
        .filter(|d| states.get(&d.id).is_none_or(refers))
        .map(|d| (d.id, d.source_id.clone()))
        .collect();
    live.extend(
        states
            .iter()
            .filter(|(_, s)| !st.source_id.is_empty() && refers(s))
            .map(|(id, s)| (*id, s.source_id.clone())),
    );
    live.remove(&fact_id);
    live.into_iter().collect()
}

/// FAILED_PRECONDITION naming the facts that still refer to one to void.
fn has_dependants(live: &[(i64, String)]) -> AppError {
    const SHOWN: usize = 10;
    let mut named: Vec<String> = live
        .iter()
        .take(SHOWN)
        .map(|(id, source)| format!("{} (source id {source})", tables::fact_name(*id)))
        .collect();
    if live.len() > SHOWN {
        named.push(format!("and {} more", live.len() - SHOWN));
    }
    AppError::precondition(
        "FACT_HAS_DEPENDANTS",
        format!(
            "{} live fact(s) refer to this one: {}; void them, or correct them to refer elsewhere, first",
            live.len(),
            named.join(", ")
        ),
    )
}

async fn write_rows(
    txn: &sea_orm::DatabaseTransaction,
    rows: &[Row],
    seq_of_job: &HashMap<usize, i64>,
    now_us: i64,
    jobs: &[Job],
) -> AppResult<()> {
    use sea_orm::ConnectionTrait;
    tables::insert_all(txn, &rows::table_rows(rows, seq_of_job, now_us, jobs)).await?;
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
