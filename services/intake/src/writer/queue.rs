//! The queue: calls hand their jobs to the one writer task, which takes
//! what is waiting as a batch, writes it the fast way if it can and under
//! the lock if not, and answers each job once its transaction committed.
use std::time::Instant;

use probity_common::{AppError, AppResult, auth::Principal, error::unless_panics, store::Store};
use tokio::sync::{mpsc, oneshot};

use super::{
    batch, fast,
    job::{Item, Job, Outcome},
    locked,
    tail::Tail,
};

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
    probity_common::telemetry::ops::writer_queue_depth(0);
    while let Some(first) = rx.recv().await {
        let mut jobs = batch::gather(first, &mut rx, batch_max);
        let started = Instant::now();
        let result = unless_panics(write(&store, &mut jobs, &mut tail)).await;
        if result.is_err() {
            // What this writer knew of the head may not be so any more.
            tail.0 = None;
        }
        reply(jobs, started, result);
        probity_common::telemetry::ops::writer_queue_depth(rx.len());
    }
}

/// Writes one batch: in one statement if it can, else under the lock.
async fn write(store: &Store, jobs: &mut [Job], tail: &mut Tail) -> AppResult<Vec<Vec<Outcome>>> {
    let Some(plan) = fast::plan(store, jobs, tail)? else {
        return locked::commit(store, jobs, tail).await;
    };
    tail.0 = None;
    if !plan.write(store).await? {
        return locked::commit(store, jobs, tail).await;
    }
    tail.0 = Some(plan.after);
    Ok(plan.outcomes)
}

/// Answers every job of the batch: its outcomes, or the batch's error.
fn reply(jobs: Vec<Job>, started: Instant, result: AppResult<Vec<Vec<Outcome>>>) {
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
