//! What a call hands the writer and what it gets back: its items, checked
//! before the lock, and each item's outcome.
use probity_common::{AppError, AppResult, auth::Principal, store::RequestKey};
use probity_proto::intake::v1::Fact;
use tokio::sync::oneshot;

use crate::{checks::Prepared, findings::Found};

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
    /// An inspection a draw's slot or a plan's cap binds: decided under the
    /// lock, where the batch's other inspections are counted with it.
    pub bound: Option<Bound>,
}

/// What binds an inspection under the lock (issue 18). Counted before the
/// lock, two inspections sent together (one batch, or two streams at once)
/// would each see the other missing: a second inspection verified by one
/// draw, a target inspected past the cap with no finding.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bound {
    /// The draw it matched before the lock: its (draw, target) slot goes to
    /// the first inspection accepted, once and for good.
    pub slot: Option<String>,
    /// max_inspections_per_target binding the target (the strictest of the
    /// year's plan revisions).
    pub cap: Option<i32>,
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
