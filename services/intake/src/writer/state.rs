//! What a batch knows of the facts it touches, stored or made in it: the
//! one picture every stage (the batch, the refs check, both paths) reads.
use std::collections::HashMap;

use probity_common::{AppError, AppResult};
use probity_proto::intake::v1::Fact;
use prost::Message;

use crate::{finding_states::Held, store::Current};

/// What the batch knows of a fact: stored, or made earlier in this batch.
pub(super) struct State {
    pub kind: i32,
    pub revision: i32,
    pub voided: bool,
    /// (payload digest, reason) of every revision, oldest first.
    pub digests: Vec<(String, String)>,
    pub current_digest: String,
    /// The current stored Fact bytes and its officers/time (for voids).
    pub payload: Vec<u8>,
    pub occurred_us: i64,
    pub officers: Vec<String>,
    pub body: String,
    pub source_id: String,
    /// Source id of the fact of the same body it refers to ("" for none).
    pub refers_to: String,
    /// The findings on its record (read only for facts corrected or voided).
    pub findings: Vec<Held>,
}

impl State {
    /// A stored fact as read under the lock; its revisions' digests and the
    /// findings on its record are taken from what was read for the batch.
    pub fn stored(
        c: &Current,
        digests: &mut HashMap<i64, Vec<(String, String)>>,
        held: &mut HashMap<i64, Vec<Held>>,
    ) -> AppResult<State> {
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
            officers: officer_ids(&fact.named_officers()),
            body: c.body.clone(),
            source_id: c.source_id.clone(),
            refers_to: c.refers_to.clone(),
            findings: held.remove(&c.id).unwrap_or_default(),
        })
    }
}

/// The facts of a batch, by id and by (body, source id).
#[derive(Default)]
pub(super) struct Facts {
    pub by_id: HashMap<i64, State>,
    pub by_key: HashMap<(String, String), i64>,
}

impl Facts {
    /// The fact of this (body, source id), if the batch knows it.
    pub fn keyed(&self, key: &(String, String)) -> Option<&State> {
        self.by_key.get(key).and_then(|id| self.by_id.get(id))
    }
}

/// Officer names as the rows store them: ids, without "officers/".
pub(super) fn officer_ids(officers: &[String]) -> Vec<String> {
    officers
        .iter()
        .map(|o| o.strip_prefix("officers/").unwrap_or(o).to_string())
        .collect()
}
