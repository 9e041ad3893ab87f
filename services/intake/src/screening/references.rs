//! What each submission refers to (an earlier record of the same call or
//! stream, else a stored fact) and, for a correction, the stored revision it
//! corrects.
use std::collections::{HashMap, VecDeque};

use probity_common::AppResult;
use probity_proto::intake::v1::Fact;
use prost::Message;

use super::own_key;
use crate::{
    Intake,
    checks::Prepared,
    findings::{self, Referenced},
    store,
};

type Key = (String, String);

/// Facts of a stream's latest chunks, which may still be on their way to the
/// database when the next chunk refers to them. The writer checks again under
/// the lock that a fact referred to was recorded.
#[derive(Default)]
pub struct Recent {
    chunks: VecDeque<HashMap<Key, Referenced>>,
    /// The DRAWN draws the stream's inspections cited: a drawn draw never
    /// changes again, so a stream asks the draws service for each once.
    pub(crate) drawn: crate::draws_peer::Drawn,
}

impl Recent {
    /// Chunks a stream can have in flight: one checked, two queued, one acknowledged.
    const KEEP: usize = 4;

    fn get(&self, key: &Key) -> Option<&Referenced> {
        self.chunks.iter().rev().find_map(|m| m.get(key))
    }

    fn push(&mut self, chunk: HashMap<Key, Referenced>) {
        if self.chunks.len() == Self::KEEP {
            self.chunks.pop_front();
        }
        self.chunks.push_back(chunk);
    }
}

/// Per submission: the fact it refers to, and the digest of the revision a
/// correction is checked against.
pub struct Refs {
    pub referenced: Vec<Option<Referenced>>,
    pub revises: Vec<Option<String>>,
}

/// Resolves references within the call or stream first, then in the store.
pub async fn resolve(
    intake: &Intake,
    prepared: &[AppResult<Prepared>],
    recent: &mut Recent,
) -> AppResult<Refs> {
    let mut earlier: HashMap<Key, Referenced> = HashMap::new();
    let mut referenced: Vec<Option<Referenced>> = vec![None; prepared.len()];
    let mut wanted = Vec::new();
    // The revision each correction is checked against, when it is still on
    // its way (an earlier record of this call or stream); stored ones later.
    let mut revises: Vec<Option<String>> = vec![None; prepared.len()];
    for (i, p) in prepared.iter().enumerate() {
        let Ok(p) = p else { continue };
        if !p.correction_reason.trim().is_empty() {
            let own = own_key(p);
            revises[i] = earlier
                .get(&own)
                .or_else(|| recent.get(&own))
                .map(|r| r.digest.clone());
        }
        if let Some(r) = &p.reference {
            let key = (p.body_id.clone(), r.source_id.clone());
            match earlier.get(&key).or_else(|| recent.get(&key)) {
                Some(found) => referenced[i] = Some(found.clone()),
                None => wanted.push((i, key)),
            }
        }
        earlier.insert(
            own_key(p),
            Referenced {
                fact: p.fact.clone(),
                occurred_us: p.occurred_us,
                voided: false,
                digest: p.digest.clone(),
            },
        );
    }
    let keys: Vec<Key> = wanted.iter().map(|(_, k)| k.clone()).collect();
    let stored = store::by_source(&intake.store.db, &keys).await?;
    for (i, key) in wanted {
        referenced[i] = stored.get(&key).and_then(|c| {
            Some(Referenced {
                fact: Fact::decode(c.payload.as_slice()).ok()?,
                occurred_us: c.occurred_us,
                voided: c.voided,
                digest: c.digest.clone(),
            })
        });
    }
    recent.push(earlier);
    Ok(Refs {
        referenced,
        revises,
    })
}

/// Known now: who a decision or closing naming no officers inherits; they
/// are asked about and stored as its officers.
pub fn inherit_officers(prepared: &mut [AppResult<Prepared>], refs: &Refs) {
    for (p, r) in prepared.iter_mut().zip(&refs.referenced) {
        if let Ok(p) = p {
            findings::inherit_officers(p, r.as_ref());
        }
    }
}

/// The stored revisions that corrections correct.
#[derive(Default)]
pub struct Revised {
    /// The stored fact and its body's path, by the submission's own key.
    pub stored: HashMap<Key, (Fact, String)>,
    /// When each was first recorded: a correction is also checked against
    /// the registry as it stood then, so that nothing recorded there since (a
    /// card "valid since" January issued today) clears what it was found to be.
    pub first_recorded: HashMap<Key, i64>,
}

/// Looks up the stored revision of every correction, and fills in the digest
/// each is checked against where no earlier record of the call had it.
pub async fn revised(
    intake: &Intake,
    prepared: &[AppResult<Prepared>],
    refs: &mut Refs,
) -> AppResult<Revised> {
    let keys: Vec<Key> = prepared
        .iter()
        .filter_map(|p| p.as_ref().ok())
        .filter(|p| !p.correction_reason.trim().is_empty())
        .map(own_key)
        .collect();
    let mut out = Revised::default();
    if keys.is_empty() {
        return Ok(out);
    }
    let mut stored_digest: HashMap<Key, String> = HashMap::new();
    for (k, c) in store::by_source(&intake.store.db, &keys).await? {
        out.first_recorded.insert(k.clone(), c.first_recorded_us);
        stored_digest.insert(k.clone(), c.digest.clone());
        if let Ok(f) = Fact::decode(c.payload.as_slice()) {
            out.stored.insert(k, (f, c.body_path));
        }
    }
    for (i, p) in prepared.iter().enumerate() {
        if let Ok(p) = p
            && refs.revises[i].is_none()
        {
            refs.revises[i] = stored_digest.get(&own_key(p)).cloned();
        }
    }
    Ok(out)
}
