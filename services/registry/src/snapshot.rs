//! An in-memory copy of the registry for the hot read paths (CheckActors,
//! VerifyCredential), which intake calls for every fact and the public for
//! every card shown.
//!
//! Freshness: every write appends to the audit chain, so the chain head's
//! sequence is the registry's version. A write committed by this process
//! makes the next read confirm the copy at once. Otherwise a background task
//! confirms it twice per `registry.snapshot_max_staleness_ms`, which bounds
//! how long another replica's write can go unseen without requests ever
//! waiting for the database. When the number moved, the copy is reloaded in
//! one read transaction.
use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use probity_common::{AppResult, store::Store};
use tokio::sync::{Mutex, RwLock};

use crate::store::{
    entities::{
        body, credential, credential_event, major_criteria, officer, officer_event, post_power,
        power, power_version,
    },
    snapshot as tables,
};

#[derive(Default)]
pub struct Snapshot {
    pub seq: i64,
    pub bodies: HashMap<String, body::Model>,
    pub powers: HashMap<String, power::Model>,
    /// Versions per power, ascending.
    pub versions: HashMap<String, Vec<power_version::Model>>,
    /// Assignment intervals per power.
    pub post_powers: HashMap<String, Vec<post_power::Model>>,
    pub officers: HashMap<String, officer::Model>,
    /// Events per officer, in seq order.
    pub officer_events: HashMap<String, Vec<officer_event::Model>>,
    pub credentials: HashMap<String, credential::Model>,
    pub credentials_by_holder: HashMap<String, Vec<String>>,
    pub credential_by_number: HashMap<String, String>,
    /// Events per credential, in seq order.
    pub credential_events: HashMap<String, Vec<credential_event::Model>>,
    /// Major-decision criteria per power, in version order.
    pub major_criteria: HashMap<String, Vec<major_criteria::Model>>,
}

impl Snapshot {
    /// The body's ancestry, from the top-level government down to itself.
    pub fn path(&self, body_id: &str) -> Vec<String> {
        let mut path = Vec::new();
        let mut cur = Some(body_id);
        while let Some(id) = cur
            && path.len() < 64
        {
            path.push(id.to_string());
            cur = self.bodies.get(id).and_then(|b| b.parent_id.as_deref());
        }
        path.reverse();
        path
    }

    /// Whether `body_id` is `root` or below it.
    pub fn within(&self, body_id: &str, root: &str) -> bool {
        let mut cur = Some(body_id);
        for _ in 0..64 {
            match cur {
                Some(id) if id == root => return true,
                Some(id) => cur = self.bodies.get(id).and_then(|b| b.parent_id.as_deref()),
                None => return false,
            }
        }
        false
    }
}

/// The cached copy and the lock that lets one caller reload it.
pub struct Cache {
    current: RwLock<Current>,
    loading: Mutex<()>,
    /// How long a copy may go without asking the database whether another
    /// process wrote (writes in this process are noticed at once).
    max_staleness: Duration,
}

struct Current {
    snap: Arc<Snapshot>,
    /// When the database last confirmed `snap.seq` was the head.
    confirmed: Instant,
    /// This process's commit count when the copy was confirmed.
    commits: u64,
}

impl Cache {
    pub fn new(max_staleness: Duration) -> Self {
        Cache {
            current: RwLock::new(Current {
                snap: Arc::new(Snapshot::default()),
                confirmed: Instant::now(),
                commits: u64::MAX,
            }),
            loading: Mutex::new(()),
            max_staleness,
        }
    }

    /// The registry as of this process's last write, and no older than
    /// `max_staleness` for writes made by other processes. The request path
    /// touches the database only after a write of this process (or when the
    /// background refresher has fallen behind); otherwise [`Cache::refresh`],
    /// run by [`Cache::keep_fresh`], keeps the copy confirmed.
    pub async fn get(&self, store: &Store) -> AppResult<Arc<Snapshot>> {
        let commits = store.commits();
        {
            let cur = self.current.read().await;
            if cur.commits == commits && cur.confirmed.elapsed() < self.max_staleness {
                return Ok(cur.snap.clone());
            }
        }
        self.refresh(store).await
    }

    /// Confirms the copy against the audit head, reloading it if it moved.
    pub async fn refresh(&self, store: &Store) -> AppResult<Arc<Snapshot>> {
        let _one_loader = self.loading.lock().await;
        // Read before asking the head: every commit counted here moved it.
        let commits = store.commits();
        {
            // Another caller may have refreshed while this one waited.
            let cur = self.current.read().await;
            if cur.commits == commits && cur.confirmed.elapsed() < self.max_staleness / 4 {
                return Ok(cur.snap.clone());
            }
        }
        let db = &store.db;
        let started = Instant::now();
        let seq = tables::head_seq(db).await?;
        {
            let mut cur = self.current.write().await;
            if cur.snap.seq == seq && cur.commits != u64::MAX {
                cur.confirmed = started;
                cur.commits = commits;
                return Ok(cur.snap.clone());
            }
        }
        let snap = Arc::new(tables::read(db).await?);
        *self.current.write().await = Current {
            snap: snap.clone(),
            confirmed: started,
            commits,
        };
        Ok(snap)
    }

    /// How long ago the database last confirmed the copy.
    pub async fn age(&self) -> Duration {
        self.current.read().await.confirmed.elapsed()
    }

    /// Refreshes twice per staleness bound for as long as `owner` lives, so
    /// requests find the copy confirmed and never wait for the database.
    pub fn keep_fresh<T: Send + Sync + 'static>(
        owner: std::sync::Weak<T>,
        cache: fn(&T) -> (&Cache, &Store),
        every: Duration,
    ) {
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let Some(owner) = owner.upgrade() else { return };
                let (c, store) = cache(&owner);
                if let Err(e) = c.refresh(store).await {
                    tracing::warn!(error = %e, "registry snapshot refresh failed");
                }
                // Near zero while refreshes succeed; it grows while they fail.
                probity_common::telemetry::ops::snapshot_age(c.age().await);
            }
        });
    }
}
