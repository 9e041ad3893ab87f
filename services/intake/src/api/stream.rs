//! The bulk path: a bidirectional stream. Records are taken as they arrive,
//! checked and committed in batches, and each is acknowledged once durable
//! (or with its own refusal), echoing the client's sequence number, so a
//! client that loses the stream resends from its last acknowledgement and
//! the resent records are recognized by their source ids.
//!
//! What a stream holds is bounded (`stream_bounds`): records read ahead by
//! `intake.stream_buffer_bytes`, acks not yet taken by four chunks' worth
//! and by `intake.stream_ack_timeout_ms` (a client that stops reading them
//! gets STREAM_STALLED and the stream's memory back), and streams open at
//! once by `intake.max_streams_per_caller`.
use std::sync::Arc;

use futures::{Stream, StreamExt};
use probity_common::{AppError, Reason};
use probity_proto::intake::v1::*;
use prost::Message;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};
use tonic::{Code, Status, Streaming};

use super::{Ctx, stream_bounds};
use crate::{Intake, store::fact_name, writer::Outcome};

pub fn submit_facts(
    intake: Arc<Intake>,
    ctx: Ctx,
    mut inbound: Streaming<SubmitFactsRequest>,
) -> Result<impl Stream<Item = Result<SubmitFactsResponse, Status>> + Send + 'static, Status> {
    let max = intake.batch_max;
    let bounds = &intake.stream_bounds;
    let slot = intake
        .open_streams
        .open(&ctx.principal, bounds.max_per_caller)?;
    let (out_tx, out_rx) = stream_bounds::channel(4 * max, bounds.ack_timeout, slot.clone());
    // The reader keeps taking records while earlier ones are checked and
    // committed, so the next chunk is as large as what arrived meanwhile.
    // What it holds is bounded in bytes too: each record carries a permit
    // for its size until its chunk has been checked and queued.
    let (rec_tx, mut rec_rx) = mpsc::channel::<Received>(4 * max);
    let buffer_bytes = bounds.buffer_bytes.min(u32::MAX as usize);
    let budget = Arc::new(Semaphore::new(buffer_bytes));
    tokio::spawn(async move {
        // The slot is given back once the request stream is let go too.
        let _slot = slot;
        loop {
            // Once the stream has ended (a stalled client), stop reading.
            let r = tokio::select! {
                biased;
                _ = rec_tx.closed() => return,
                r = inbound.next() => r,
            };
            let Some(r) = r else { return };
            let broken = r.is_err();
            let size = r.as_ref().map(|m| m.encoded_len()).unwrap_or(0);
            let permits = size.clamp(1, buffer_bytes) as u32;
            let permit = tokio::select! {
                biased;
                _ = rec_tx.closed() => return,
                p = budget.clone().acquire_many_owned(permits) => p,
            };
            let Ok(permit) = permit else {
                return;
            };
            if rec_tx.send((r, permit)).await.is_err() || broken {
                return;
            }
        }
    });
    // Chunks being committed, in order; the acker answers them in order.
    let (pending_tx, mut pending_rx) = mpsc::channel::<(Vec<i64>, Pending)>(2);
    tokio::spawn(async move {
        while let Some((sequences, pending)) = pending_rx.recv().await {
            let done = match pending.await {
                Ok(r) => r,
                Err(_) => Err(AppError::Unavailable("intake is shutting down".into())),
            };
            match done {
                Ok(outcomes) => {
                    for (seq, o) in sequences.into_iter().zip(outcomes) {
                        // Gone or stalled: either way the stream is over,
                        // and dropping pending_rx stops the checker.
                        if out_tx.send(Ok(ack(seq, o))).await.is_err() {
                            return;
                        }
                    }
                }
                Err(e) => {
                    let _ = out_tx.send(Err(e.into())).await;
                    return;
                }
            }
        }
    });
    tokio::spawn(async move {
        let mut recent = crate::screening::Recent::default();
        loop {
            let first = tokio::select! {
                biased;
                _ = pending_tx.closed() => return,
                r = rec_rx.recv() => r,
            };
            let Some(first) = first else { return };
            let mut chunk = vec![first];
            while chunk.len() < max {
                match rec_rx.try_recv() {
                    Ok(r) => chunk.push(r),
                    Err(_) => break,
                }
            }
            let mut sequences = Vec::with_capacity(chunk.len());
            let mut subs = Vec::with_capacity(chunk.len());
            let mut broken = false;
            // The chunk's buffer permits, given back once it is queued.
            let mut held = Vec::with_capacity(chunk.len());
            for (r, permit) in chunk {
                held.push(permit);
                match r {
                    Ok(r) => {
                        sequences.push(r.sequence);
                        subs.push(r.submission.unwrap_or_default());
                    }
                    Err(_) => {
                        broken = true;
                        break;
                    }
                }
            }
            if !subs.is_empty() {
                let started = std::time::Instant::now();
                let checked = crate::screening::check(&intake, &ctx, &subs, &mut recent).await;
                tracing::debug!(
                    records = subs.len(),
                    ms = started.elapsed().as_secs_f64() * 1e3,
                    "intake chunk checked"
                );
                let pending = match checked {
                    Ok(items) => {
                        intake
                            .writer
                            .enqueue(ctx.principal.clone(), ctx.method, items, false)
                            .await
                    }
                    Err(e) => Err(e),
                };
                let (failed, pending) = match pending {
                    Ok(rx) => (false, rx),
                    Err(e) => {
                        let (tx, rx) = oneshot::channel();
                        let _ = tx.send(Err(e));
                        (true, rx)
                    }
                };
                if pending_tx.send((sequences, pending)).await.is_err() || failed {
                    return;
                }
            }
            drop(held);
            if broken {
                return;
            }
        }
    });
    Ok(out_rx)
}

type Pending = oneshot::Receiver<probity_common::AppResult<Vec<Outcome>>>;

/// A record as read, with the buffer permit for its size.
type Received = (Result<SubmitFactsRequest, Status>, OwnedSemaphorePermit);

fn ack(sequence: i64, o: Outcome) -> SubmitFactsResponse {
    match o {
        Ok(a) => SubmitFactsResponse {
            sequence,
            fact: fact_name(a.fact_id),
            revision: a.revision,
            replayed: a.replayed,
            findings: a.findings as i32,
            ..Default::default()
        },
        Err(e) => {
            let (code, reason, bad_fields) = match &e {
                AppError::Invalid(vs) => (
                    Code::InvalidArgument,
                    String::new(),
                    vs.iter().map(|v| v.field.clone()).collect(),
                ),
                AppError::NotFound { .. } => {
                    let r = Reason::NotFound;
                    (r.grpc(), r.code().into(), vec![])
                }
                AppError::Refused { reason, .. } => (reason.grpc(), reason.code().into(), vec![]),
                AppError::Unauthenticated(_) => (Code::Unauthenticated, String::new(), vec![]),
                AppError::Unavailable(_) => (Code::Unavailable, String::new(), vec![]),
                AppError::Internal(_) => (Code::Internal, String::new(), vec![]),
            };
            let message = match &e {
                AppError::Internal(_) => "internal error".to_string(),
                other => other.to_string(),
            };
            SubmitFactsResponse {
                sequence,
                code: code as i32,
                reason,
                message,
                bad_fields,
                ..Default::default()
            }
        }
    }
}
