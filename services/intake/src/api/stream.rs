//! The bulk path: a bidirectional stream. Records are taken as they arrive,
//! checked and committed in batches, and each is acknowledged once durable
//! (or with its own refusal), echoing the client's sequence number, so a
//! client that loses the stream resends from its last acknowledgement and
//! the resent records are recognized by their source ids.
use std::sync::Arc;

use futures::{Stream, StreamExt};
use probity_common::AppError;
use probity_proto::intake::v1::*;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Code, Status, Streaming};

use super::{Ctx, submit};
use crate::{Intake, tables::fact_name, writer::Outcome};

pub fn submit_facts(
    intake: Arc<Intake>,
    ctx: Ctx,
    inbound: Streaming<SubmitFactsRequest>,
) -> impl Stream<Item = Result<SubmitFactsResponse, Status>> + Send + 'static {
    let (tx, rx) = mpsc::channel::<Result<SubmitFactsResponse, Status>>(4 * intake.batch_max);
    tokio::spawn(async move {
        let mut chunks = inbound.ready_chunks(intake.batch_max);
        while let Some(chunk) = chunks.next().await {
            let mut sequences = Vec::with_capacity(chunk.len());
            let mut subs = Vec::with_capacity(chunk.len());
            let mut broken = false;
            for r in chunk {
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
                let done = match submit::check(&intake, &ctx, &subs).await {
                    Ok(items) => {
                        intake
                            .writer
                            .submit(ctx.principal.clone(), ctx.method, items, false)
                            .await
                    }
                    Err(e) => Err(e),
                };
                match done {
                    Ok(outcomes) => {
                        for (seq, o) in sequences.into_iter().zip(outcomes) {
                            if tx.send(Ok(ack(seq, o))).await.is_err() {
                                return;
                            }
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e.into())).await;
                        return;
                    }
                }
            }
            if broken {
                return;
            }
        }
    });
    ReceiverStream::new(rx)
}

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
                AppError::NotFound { .. } => (Code::NotFound, "NOT_FOUND".into(), vec![]),
                AppError::AlreadyExists { reason, .. } => {
                    (Code::AlreadyExists, reason.to_string(), vec![])
                }
                AppError::FailedPrecondition { reason, .. } => {
                    (Code::FailedPrecondition, reason.to_string(), vec![])
                }
                AppError::PermissionDenied { reason, .. } => {
                    (Code::PermissionDenied, reason.to_string(), vec![])
                }
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
