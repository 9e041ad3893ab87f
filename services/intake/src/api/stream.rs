//! The bulk path: a bidirectional stream. Records are taken as they arrive,
//! checked and committed in batches, and each is acknowledged once durable
//! (or with its own refusal), echoing the client's sequence number, so a
//! client that loses the stream resends from its last acknowledgement and
//! the resent records are recognized by their source ids.
use std::sync::Arc;

use futures::{Stream, StreamExt};
use probity_common::{AppError, Reason};
use probity_proto::intake::v1::*;
use prost::Message;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Code, Status, Streaming};

use super::Ctx;
use crate::{Intake, store::fact_name, writer::Outcome};

pub fn submit_facts(
    intake: Arc<Intake>,
    ctx: Ctx,
    mut inbound: Streaming<SubmitFactsRequest>,
) -> impl Stream<Item = Result<SubmitFactsResponse, Status>> + Send + 'static {
    let max = intake.batch_max;
    let (out_tx, out_rx) = mpsc::channel::<Result<SubmitFactsResponse, Status>>(4 * max);
    // The reader keeps taking records while earlier ones are checked and
    // committed, so the next chunk is as large as what arrived meanwhile.
    // What it holds is bounded in bytes too: each record carries a permit
    // for its size until its chunk has been checked and queued.
    let (rec_tx, mut rec_rx) = mpsc::channel::<Received>(4 * max);
    let budget = Arc::new(Semaphore::new(BUFFER_BYTES));
    tokio::spawn(async move {
        while let Some(r) = inbound.next().await {
            let broken = r.is_err();
            let size = r.as_ref().map(|m| m.encoded_len()).unwrap_or(0);
            let permits = size.clamp(1, BUFFER_BYTES) as u32;
            let Ok(permit) = budget.clone().acquire_many_owned(permits).await else {
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
        while let Some(first) = rec_rx.recv().await {
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
    ReceiverStream::new(out_rx)
}

type Pending = oneshot::Receiver<probity_common::AppResult<Vec<Outcome>>>;

/// A record as read, with the buffer permit for its size.
type Received = (Result<SubmitFactsRequest, Status>, OwnedSemaphorePermit);

/// Bytes of records one stream may hold before they are checked.
const BUFFER_BYTES: usize = 32 << 20;

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
