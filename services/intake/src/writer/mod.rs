//! The one writer of a process's facts. Submissions that arrive together,
//! from any number of calls and streams, are committed together (group
//! commit): the audit chain serializes a service's writes, so batching is
//! what lets intake keep up with its database. A batch of new facts goes
//! without a lock; anything else, or a batch that way could not write, takes
//! the locked path, where every (body, source id) is looked up again, so
//! replicas sharing a database never record a fact twice.
//!
//! ```text
//! api ──Job──> queue: the writer task; batch::gather takes what is waiting
//!                │
//!                ├─> fast: new facts only, on the head this writer left
//!                │     one guarded statement, or from 256 revisions copy (COPY)
//!                │     wrote nothing (head moved, key taken, reference changed) ─┐
//!                ├─> locked: chain lock, lookups, replays, corrections, voids <──┘
//!                │
//!                └─> each job answered once its transaction committed
//! ```
//!
//! Both paths decide items in [`batch`] (new, replay, conflict, correction,
//! void), guarded by [`refs`] (what was checked before the lock still
//! holds) and [`dependants`] (no live fact left referring to one changed),
//! and write the same [`rows`] under one audit entry per caller
//! ([`audit_change`]); [`views`] gives unary calls their facts. Inspections
//! a draw's slot or a plan's cap binds take the locked path, where
//! [`inspections`] counts them with everything accepted before them. Beneath
//! every stage: [`job`] (what a call hands in and gets back), [`state`]
//! (what a batch knows of a fact) and [`tail`] (where this writer left the
//! chain). Imports go one way, down this order: queue; fast, locked;
//! inspections; batch; copy; refs, dependants; audit_change, views; rows;
//! job, state, tail.
mod audit_change;
mod batch;
mod copy;
mod dependants;
mod fast;
mod inspections;
mod job;
mod locked;
mod queue;
mod refs;
mod rows;
mod state;
mod tail;
mod views;

pub use job::{Accepted, Bound, Checked, Item, Job, Outcome};
pub use queue::Writer;
pub(crate) use refs::still_as_checked as refs_still_as_checked;
