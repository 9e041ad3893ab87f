//! What one caller's SubmitFacts streams may hold of intake: how many are
//! open at once (per department, so its systems share one allowance), and
//! an acknowledgement stream that ends the call when the client has not
//! taken an ack for a while. A client that sends and never reads its acks
//! would otherwise pin its buffered records, its acks and the HTTP/2
//! window for as long as it keeps the connection.
use std::{
    collections::HashMap,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
};

use futures::Stream;
use probity_common::{AppError, Reason, auth::Principal};
use tokio::sync::mpsc;
use tonic::Status;

/// Open streams per caller.
#[derive(Default)]
pub struct OpenStreams(Mutex<HashMap<String, usize>>);

impl OpenStreams {
    /// A slot for one more stream of `p`, or TOO_MANY_STREAMS.
    pub fn open(self: &Arc<Self>, p: &Principal, max: usize) -> Result<Arc<Slot>, Status> {
        // A department's tokens share its allowance: another token of the
        // same body is not another allowance.
        let key = match &p.body {
            Some(b) => format!("body:{b}"),
            None => format!("subject:{}", p.subject),
        };
        let mut open = self
            .0
            .lock()
            .map_err(|_| Status::internal("internal error"))?;
        let n = open.entry(key.clone()).or_default();
        if *n >= max {
            return Err(AppError::refused(
                Reason::TooManyStreams,
                format!("{max} SubmitFacts streams are already open for this caller"),
            )
            .into());
        }
        *n += 1;
        Ok(Arc::new(Slot {
            streams: self.clone(),
            key,
        }))
    }

    #[cfg(test)]
    fn count(&self, key: &str) -> usize {
        self.0.lock().unwrap().get(key).copied().unwrap_or(0)
    }
}

/// One open stream; given back when the last part of the stream lets go.
pub struct Slot {
    streams: Arc<OpenStreams>,
    key: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.streams.0.lock()
            && let Some(n) = open.get_mut(&self.key)
        {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

type Item = Result<probity_proto::intake::v1::SubmitFactsResponse, Status>;

/// The acks on their way to the client, and the way to end the stream when
/// the client stops taking them: [`AckSender::send`] waits at most the
/// idle-ack timeout, then drops the acks not yet taken and leaves
/// STREAM_STALLED as the stream's last word.
struct Shared {
    acks: Option<mpsc::Receiver<Item>>,
    last: Option<Status>,
}

pub struct Acks {
    shared: Arc<Mutex<Shared>>,
    _slot: Arc<Slot>,
}

#[derive(Clone)]
pub struct AckSender {
    tx: mpsc::Sender<Item>,
    shared: Arc<Mutex<Shared>>,
    timeout: std::time::Duration,
}

/// A channel of `capacity` acks whose sender gives up after `timeout`.
pub fn channel(
    capacity: usize,
    timeout: std::time::Duration,
    slot: Arc<Slot>,
) -> (AckSender, Acks) {
    let (tx, rx) = mpsc::channel(capacity);
    let shared = Arc::new(Mutex::new(Shared {
        acks: Some(rx),
        last: None,
    }));
    (
        AckSender {
            tx,
            shared: shared.clone(),
            timeout,
        },
        Acks {
            shared,
            _slot: slot,
        },
    )
}

/// Why a send failed: the client went away, or stopped reading.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    Gone,
    Stalled,
}

impl AckSender {
    pub async fn send(&self, item: Item) -> Result<(), Ended> {
        match tokio::time::timeout(self.timeout, self.tx.send(item)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Ended::Gone),
            Err(_) => {
                self.stall();
                Err(Ended::Stalled)
            }
        }
    }

    /// Drops the acks the client did not take (they are durable; the
    /// client resends from its last ack and the resends are recognized)
    /// and ends the stream with STREAM_STALLED.
    fn stall(&self) {
        tracing::warn!(
            timeout_ms = self.timeout.as_millis() as u64,
            "a SubmitFacts client stopped reading its acks: stream ended"
        );
        if let Ok(mut s) = self.shared.lock() {
            s.acks = None;
            s.last = Some(
                AppError::refused(
                    Reason::StreamStalled,
                    format!(
                        "no acknowledgement was read for {} ms: resend from the last one read",
                        self.timeout.as_millis()
                    ),
                )
                .into(),
            );
        }
    }
}

impl Stream for Acks {
    type Item = Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        let Ok(mut s) = self.shared.lock() else {
            return Poll::Ready(None);
        };
        match s.acks.as_mut() {
            Some(rx) => rx.poll_recv(cx),
            None => Poll::Ready(s.last.take().map(Err)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures::StreamExt;
    use probity_common::auth::Role;
    use tonic::Code;

    use super::*;

    fn dept(body: &str, subject: &str) -> Principal {
        Principal {
            subject: subject.into(),
            role: Role::Department,
            body: Some(body.into()),
            scope: None,
        }
    }

    #[test]
    fn a_department_shares_one_allowance_across_its_tokens() {
        let open = Arc::new(OpenStreams::default());
        let a = open.open(&dept("1", "system-a"), 2).unwrap();
        let _b = open.open(&dept("1", "system-b"), 2).unwrap();
        let e = open.open(&dept("1", "system-c"), 2).err().unwrap();
        assert_eq!(e.code(), Code::ResourceExhausted);
        assert!(open.open(&dept("2", "system-a"), 2).is_ok());
        drop(a);
        assert_eq!(open.count("body:1"), 1);
        assert!(open.open(&dept("1", "system-c"), 2).is_ok());
    }

    #[tokio::test]
    async fn a_client_that_stops_reading_gets_stream_stalled() {
        let open = Arc::new(OpenStreams::default());
        let slot = open.open(&dept("1", "s"), 1).unwrap();
        let (tx, mut acks) = channel(2, Duration::from_millis(50), slot);
        for _ in 0..2 {
            tx.send(Ok(Default::default())).await.unwrap();
        }
        assert_eq!(
            tx.send(Ok(Default::default())).await,
            Err(Ended::Stalled),
            "the channel is full and no one reads"
        );
        let last = acks.next().await.unwrap().unwrap_err();
        assert_eq!(last.code(), Code::ResourceExhausted);
        assert!(acks.next().await.is_none(), "the stream ends");
        assert_eq!(open.count("body:1"), 1, "held until the stream is dropped");
        drop(acks);
        drop(tx);
        assert_eq!(open.count("body:1"), 0);
    }
}
