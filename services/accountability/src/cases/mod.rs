//! The case rules, on the service's own records (`store::rows`): the
//! procedure's steps and the states each starts from (here), how one step
//! is applied under the chain lock (`change.rs`), what each step does to
//! the case (`steps.rs`), and the cases raised by hand, from a finding or
//! from a ranking flag (`raise.rs`). The handlers in `api/cases.rs` check
//! the input, call these, and answer with the message.
use crate::store::rows::CaseState::{self, *};

pub mod art6;
pub mod change;
pub mod escalate;
pub mod raise;
pub mod steps;

pub use change::{apply, illegal};

/// A step of the procedure (Art. 12, 21).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    AddEvidence,
    StartInvestigation,
    Propose,
    Decide,
    Contest,
    ResolveContest,
    Execute,
    Close,
    Dismiss,
}

impl Action {
    /// As its events name it.
    pub fn name(self) -> &'static str {
        match self {
            Action::AddEvidence => "ADD_EVIDENCE",
            Action::StartInvestigation => "START_INVESTIGATION",
            Action::Propose => "PROPOSE",
            Action::Decide => "DECIDE",
            Action::Contest => "CONTEST",
            Action::ResolveContest => "RESOLVE_CONTEST",
            Action::Execute => "EXECUTE",
            Action::Close => "CLOSE",
            Action::Dismiss => "DISMISS",
        }
    }

    /// The states it may be taken from.
    pub fn from(self) -> &'static [CaseState] {
        match self {
            Action::AddEvidence => &[Opened, Investigating, Proposed, Contested],
            Action::StartInvestigation => &[Opened],
            // Again from PROPOSED: a revised proposal.
            Action::Propose => &[Investigating, Proposed],
            // From DECIDED only when a date in the decision has passed
            // before it was executed (steps::decide).
            Action::Decide => &[Proposed, Decided],
            Action::Contest => &[Decided],
            Action::ResolveContest => &[Contested],
            Action::Execute => &[Decided],
            Action::Close => &[Executed],
            Action::Dismiss => &[Opened, Investigating, Proposed],
        }
    }

    /// The state it leads to; None: the case stays where it is.
    pub fn to(self) -> Option<CaseState> {
        match self {
            Action::AddEvidence => None,
            Action::StartInvestigation => Some(Investigating),
            Action::Propose => Some(Proposed),
            Action::Decide | Action::ResolveContest => Some(Decided),
            Action::Contest => Some(Contested),
            Action::Execute => Some(Executed),
            Action::Close => Some(Closed),
            Action::Dismiss => Some(Dismissed),
        }
    }
}
