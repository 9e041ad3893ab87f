//! A service's database with its audit chain, and the one way to change it:
//! a [`Write`] holds the transaction, the chain lock and the request id, so
//! an audited, idempotent change cannot be written by halves.
use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use prost::Message;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, TransactionTrait};

use crate::{
    audit::{Actor, Chain, sha256_hex},
    auth::Principal,
    db::{stmt, t},
    error::{AppError, AppResult},
    reasons::Reason,
};

#[derive(Clone)]
pub struct Store {
    pub db: DatabaseConnection,
    pub chain: Arc<Chain>,
    /// Writes this process committed: lets read caches notice them at once.
    commits: Arc<AtomicU64>,
}

/// A call's request id as its caller's own, with the digest of the request
/// it came with: what a retry is recognized by. Empty without a request id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestKey {
    id: String,
    digest: String,
}

impl RequestKey {
    pub fn new(principal: &Principal, request_id: &str, request: &impl Message) -> Self {
        RequestKey {
            id: caller_key(principal, request_id),
            digest: sha256_hex(&request.encode_to_vec()),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }
}

/// An open change: the transaction, the chain head it holds, and what to
/// record against the request id on commit.
pub struct Write<'a> {
    txn: DatabaseTransaction,
    store: &'a Store,
    principal: &'a Principal,
    method: &'static str,
    request: RequestKey,
    head: (i64, String),
    start_seq: i64,
    replay: Option<Vec<u8>>,
}

impl Store {
    pub fn new(db: DatabaseConnection, chain: Chain) -> Self {
        Store {
            db,
            chain: Arc::new(chain),
            commits: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Begins a change. If `request_id` was already used for this method and
    /// payload, [`Write::replayed`] returns the first response; if it was used
    /// with another payload the call is refused.
    pub async fn write<'a>(
        &'a self,
        principal: &'a Principal,
        method: &'static str,
        request_id: &str,
        request: &impl Message,
    ) -> AppResult<Write<'a>> {
        let txn = self.db.begin().await?;
        let head = self.chain.lock_head(&txn).await?;
        let request = RequestKey::new(principal, request_id, request);
        let replay = self.stored_response(&txn, method, &request).await?;
        Ok(Write {
            txn,
            store: self,
            principal,
            method,
            request,
            start_seq: head.0,
            head,
            replay,
        })
    }

    /// The stored response of an earlier call with this request id, looked up
    /// without taking the chain lock: a handler that must ask another service
    /// before it writes answers a retry first, even while that service is down.
    pub async fn replay<M: Message + Default>(
        &self,
        principal: &Principal,
        method: &str,
        request_id: &str,
        request: &impl Message,
    ) -> AppResult<Option<M>> {
        let key = RequestKey::new(principal, request_id, request);
        match self.stored_response(&self.db, method, &key).await? {
            None => Ok(None),
            Some(bytes) => M::decode(bytes.as_slice())
                .map(Some)
                .map_err(AppError::internal),
        }
    }

    /// The stored response of an earlier call with `key` (read in `db`: a
    /// transaction holding the chain lock sees every committed one).
    /// REQUEST_ID_REUSED if the id came with another method or request.
    pub async fn stored_response<C: ConnectionTrait>(
        &self,
        db: &C,
        method: &str,
        key: &RequestKey,
    ) -> AppResult<Option<Vec<u8>>> {
        if key.is_empty() {
            return Ok(None);
        }
        let (request_id, request_digest) = (&key.id, &key.digest);
        let table = t(self.chain.prefix(), "idempotency");
        let row = db
            .query_one_raw(stmt(
                db,
                &format!(
                    "SELECT method, request_digest, response FROM {table} WHERE request_id = $1"
                ),
                vec![request_id.clone().into()],
            ))
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let (m, d): (String, String) = (
            row.try_get("", "method")?,
            row.try_get("", "request_digest")?,
        );
        if m != method || d != *request_digest {
            return Err(AppError::refused(
                Reason::RequestIdReused,
                "this request_id was already used for a different request",
            ));
        }
        Ok(Some(row.try_get::<Vec<u8>>("", "response")?))
    }
}

/// Request ids are the caller's own: another caller reusing one gets its own
/// call, never the first caller's stored answer.
fn caller_key(principal: &Principal, request_id: &str) -> String {
    if request_id.is_empty() {
        return String::new();
    }
    // A scoped token is a caller of its own; unscoped keys are as before.
    let role = match principal.scope {
        Some(scope) => format!("{}:{}", principal.role.as_str(), scope.as_str()),
        None => principal.role.as_str().to_string(),
    };
    let caller = [
        role.as_str(),
        principal.body.as_deref().unwrap_or(""),
        &principal.subject,
        request_id,
    ];
    sha256_hex(
        serde_json::to_string(&caller)
            .unwrap_or_default()
            .as_bytes(),
    )
}

impl Store {
    /// Forgets request ids recorded before `before_us` (retention); returns
    /// how many. Housekeeping of replay records, not a change to the data.
    pub async fn forget_request_ids(&self, before_us: i64) -> AppResult<u64> {
        let table = t(self.chain.prefix(), "idempotency");
        let r = self
            .db
            .execute_raw(stmt(
                &self.db,
                &format!("DELETE FROM {table} WHERE at_us < $1"),
                vec![before_us.into()],
            ))
            .await?;
        Ok(r.rows_affected())
    }

    /// Counts a write committed without a [`Write`] (a single-statement
    /// change guarded by the chain head), so read caches notice it.
    pub fn count_commit(&self) {
        self.commits.fetch_add(1, Ordering::Release);
    }

    /// How many writes this process has committed so far.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Acquire)
    }

    /// Refuses to run with a key other than the one this database was used
    /// with: the first start records the key's check value (in the audit
    /// chain), later starts compare. `purpose` names the key and its setting.
    pub async fn ensure_key(&self, purpose: &'static str, key: &[u8]) -> AppResult<()> {
        let table = t(self.chain.prefix(), "key_checks");
        let value = crate::keys::check_value(key, purpose);
        let system = Principal::system("probity");
        let mut w = self.write(&system, "startup", "", &()).await?;
        let row = w
            .txn()
            .query_one_raw(stmt(
                w.txn(),
                &format!("SELECT check_value FROM {table} WHERE purpose = $1"),
                vec![purpose.into()],
            ))
            .await?;
        match row {
            Some(r) if r.try_get::<String>("", "check_value")? == value => Ok(()),
            Some(_) => Err(AppError::refused(
                Reason::KeyMismatch,
                format!(
                    "{purpose}: this is not the key this database was used with; refusing to start"
                ),
            )),
            None => {
                w.txn()
                    .execute_raw(stmt(
                        w.txn(),
                        &format!("INSERT INTO {table} (purpose, check_value) VALUES ($1, $2)"),
                        vec![purpose.into(), value.clone().into()],
                    ))
                    .await?;
                w.audit(
                    &format!("keys/{purpose}"),
                    serde_json::json!({"op": "record_key_check", "check_value": value}),
                )
                .await?;
                w.commit(()).await.map(|_| ())
            }
        }
    }
}

impl Write<'_> {
    /// The response of the first call with this request id, if this is a retry.
    pub fn replayed<M: Message + Default>(&self) -> AppResult<Option<M>> {
        match &self.replay {
            None => Ok(None),
            Some(bytes) => M::decode(bytes.as_slice())
                .map(Some)
                .map_err(AppError::internal),
        }
    }

    pub fn txn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    /// Records a change to `entity` in the audit chain, in this transaction.
    pub async fn audit(&mut self, entity: &str, change: serde_json::Value) -> AppResult<()> {
        let actor = Actor {
            subject: &self.principal.subject,
            role: self.principal.role.as_str(),
            method: self.method,
        };
        self.store
            .chain
            .append(&self.txn, &mut self.head, &actor, entity, &change)
            .await
    }

    /// Records a change made for `principal` by `method` (a write that groups
    /// several callers' changes in one transaction); returns its sequence.
    pub async fn audit_as(
        &mut self,
        principal: &Principal,
        method: &str,
        entity: &str,
        change: serde_json::Value,
    ) -> AppResult<i64> {
        let actor = Actor {
            subject: &principal.subject,
            role: principal.role.as_str(),
            method,
        };
        self.store
            .chain
            .append(&self.txn, &mut self.head, &actor, entity, &change)
            .await?;
        Ok(self.head.0)
    }

    /// The chain head's sequence as this transaction sees it (after its own
    /// entries): unchanged since an earlier commit means nobody else wrote.
    pub fn head_seq(&self) -> i64 {
        self.head.0
    }

    /// The chain head's hash as this transaction sees it.
    pub fn head_hash(&self) -> &str {
        &self.head.1
    }

    /// Whether anything was recorded in the audit chain yet.
    pub fn changed(&self) -> bool {
        self.head.0 != self.start_seq
    }

    /// Stores `response` against `key` in this transaction, so a retry of
    /// that call gets it (several callers' calls may share a transaction).
    pub async fn remember(
        &self,
        method: &str,
        key: &RequestKey,
        response: &impl Message,
    ) -> AppResult<()> {
        if key.is_empty() {
            return Ok(());
        }
        let table = t(self.store.chain.prefix(), "idempotency");
        self.txn
            .execute_raw(stmt(
                &self.txn,
                &format!(
                    "INSERT INTO {table} (request_id, method, request_digest, response, at_us) VALUES ($1, $2, $3, $4, $5)"
                ),
                vec![
                    key.id.clone().into(),
                    method.into(),
                    key.digest.clone().into(),
                    response.encode_to_vec().into(),
                    chrono::Utc::now().timestamp_micros().into(),
                ],
            ))
            .await?;
        Ok(())
    }

    /// Stores the response against the request id, then commits.
    pub async fn commit<M: Message>(self, response: M) -> AppResult<M> {
        if self.head.0 == self.start_seq {
            return Err(AppError::internal("a write committed no audit entry"));
        }
        self.remember(self.method, &self.request, &response).await?;
        self.txn.commit().await?;
        self.store.commits.fetch_add(1, Ordering::Release);
        Ok(response)
    }
}
