//! What this writer knows of the chain between batches.

/// The chain head and the next fact id as of this writer's last commit.
/// While the head has not moved since (no other replica wrote) they save a
/// query a batch, and new facts go in one statement (the fast path).
#[derive(Default)]
pub(super) struct Tail(pub Option<Known>);

pub(super) struct Known {
    pub seq: i64,
    pub hash: String,
    pub next: i64,
}
