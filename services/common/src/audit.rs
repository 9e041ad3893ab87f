//! The audit chain (Art. 16: 全程留痕, every act traceable).
//!
//! Every state change appends an entry in the same transaction as the change.
//! Each entry's hash is an HMAC-SHA256, under a key kept outside the database,
//! over its fields and the previous entry's hash: someone who can write the
//! table but lacks the key cannot edit, delete, reorder or insert entries
//! without `verify` naming the first bad one.
use futures::future::BoxFuture;
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DatabaseTransaction, FromQueryResult,
    IsolationLevel, TransactionTrait,
};
use sha2::{Digest, Sha256};

use crate::{
    db::{stmt, t},
    error::{AppError, AppResult},
    keys::hmac_hex,
};

/// The previous-hash of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An entry's columns, in the order every insert names them.
pub const ENTRY_COLUMNS: &str =
    "seq, at_us, actor, role, method, entity, change, digest, prev_hash, hash";

/// How many entries `verify` reads per query.
const VERIFY_BATCH: i64 = 2_000;

/// One service's chain: its table prefix, its key, and the columns of its
/// own tables that hold sequence numbers of its entries.
pub struct Chain {
    prefix: &'static str,
    key: Vec<u8>,
    anchors: &'static [Anchor],
    records: Option<RecordCheck>,
}

/// Checks the rows a service's entries vouch for (the `record_sha256` an
/// entry holds against the row it names): each that does not match, with
/// the sequence of its entry (0 when it has none) and what is wrong.
/// Without it an edited row under an intact chain would verify.
pub type RecordCheck =
    for<'a> fn(&'a DatabaseTransaction) -> BoxFuture<'a, AppResult<Vec<(i64, String)>>>;

/// `(table, column)`: a column of a service's data holding the sequence of
/// the entry that recorded the row; the head cannot be behind any of them.
pub type Anchor = (&'static str, &'static str);

#[derive(Debug, Clone, FromQueryResult)]
pub struct Entry {
    pub seq: i64,
    pub at_us: i64,
    pub actor: String,
    pub role: String,
    pub method: String,
    pub entity: String,
    pub change: String,
    pub digest: String,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub ok: bool,
    pub checked: i64,
    pub first_bad: i64,
    pub problem: String,
    pub detail: String,
    pub head_seq: i64,
    pub head_hash: String,
}

/// What is being recorded, besides the change itself.
pub struct Actor<'a> {
    pub subject: &'a str,
    pub role: &'a str,
    pub method: &'a str,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Canonical JSON: serde_json's default map is ordered, so equal values give equal bytes.
pub fn canonical(v: &serde_json::Value) -> String {
    v.to_string()
}

impl Chain {
    pub fn new(prefix: &'static str, key: Vec<u8>) -> Self {
        Chain {
            prefix,
            key,
            anchors: &[],
            records: None,
        }
    }

    /// Lets `verify` check the rows the entries vouch for as well.
    pub fn with_records(mut self, records: Option<RecordCheck>) -> Self {
        self.records = records;
        self
    }

    /// Lets `verify` catch a head moved back behind the service's own rows.
    pub fn with_anchors(mut self, anchors: &'static [Anchor]) -> Self {
        self.anchors = anchors;
        self
    }

    pub(crate) fn key(&self) -> &[u8] {
        &self.key
    }

    pub fn prefix(&self) -> &'static str {
        self.prefix
    }

    fn entry_hash(&self, e: &Entry) -> String {
        let fields = [
            e.seq.to_string(),
            e.at_us.to_string(),
            e.actor.clone(),
            e.role.clone(),
            e.method.clone(),
            e.entity.clone(),
            e.digest.clone(),
            e.prev_hash.clone(),
        ];
        // Each field length-prefixed, so no two entries frame to the same bytes.
        let prefixes: Vec<[u8; 8]> = fields
            .iter()
            .map(|f| (f.len() as u64).to_be_bytes())
            .collect();
        let parts: Vec<&[u8]> = fields
            .iter()
            .zip(&prefixes)
            .flat_map(|(f, n)| [n.as_slice(), f.as_bytes()])
            .collect();
        hmac_hex(&self.key, &parts)
    }

    /// The head row's MAC over its sequence and hash.
    pub fn head_mac(&self, seq: i64, hash: &str) -> String {
        hmac_hex(&self.key, &[format!("head\n{seq}\n{hash}").as_bytes()])
    }

    /// Takes the chain's write lock for this transaction and returns the head.
    /// SQLite: the first statement is a write, so the transaction holds the
    /// database's write lock from here on instead of failing to upgrade later.
    pub async fn lock_head(&self, txn: &DatabaseTransaction) -> AppResult<(i64, String)> {
        let head = t(self.prefix, "audit_head");
        let sql = match txn.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                format!("SELECT seq, hash FROM {head} WHERE id = 1 FOR UPDATE")
            }
            _ => {
                txn.execute_unprepared(&format!("UPDATE {head} SET seq = seq WHERE id = 1"))
                    .await?;
                format!("SELECT seq, hash FROM {head} WHERE id = 1")
            }
        };
        let row = txn
            .query_one_raw(stmt(txn, &sql, vec![]))
            .await?
            .ok_or_else(|| AppError::internal("audit head row missing"))?;
        Ok((row.try_get("", "seq")?, row.try_get("", "hash")?))
    }

    /// The entry that would follow `head`, not yet stored.
    pub fn next_entry(
        &self,
        head: &(i64, String),
        actor: &Actor<'_>,
        entity: &str,
        change: &serde_json::Value,
    ) -> Entry {
        let change = canonical(change);
        let mut e = Entry {
            seq: head.0 + 1,
            at_us: chrono::Utc::now().timestamp_micros(),
            actor: actor.subject.to_string(),
            role: actor.role.to_string(),
            method: actor.method.to_string(),
            entity: entity.to_string(),
            digest: sha256_hex(change.as_bytes()),
            change,
            prev_hash: head.1.clone(),
            hash: String::new(),
        };
        e.hash = self.entry_hash(&e);
        e
    }

    /// Appends one entry after `head` and moves `head` to it.
    pub async fn append(
        &self,
        txn: &DatabaseTransaction,
        head: &mut (i64, String),
        actor: &Actor<'_>,
        entity: &str,
        change: &serde_json::Value,
    ) -> AppResult<()> {
        let e = self.next_entry(head, actor, entity, change);
        let table = t(self.prefix, "audit_entries");
        let sql = format!(
            "INSERT INTO {table} ({ENTRY_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        );
        txn.execute_raw(stmt(
            txn,
            &sql,
            vec![
                e.seq.into(),
                e.at_us.into(),
                e.actor.into(),
                e.role.into(),
                e.method.into(),
                e.entity.into(),
                e.change.into(),
                e.digest.into(),
                e.prev_hash.into(),
                e.hash.clone().into(),
            ],
        ))
        .await?;
        let head_t = t(self.prefix, "audit_head");
        txn.execute_raw(stmt(
            txn,
            &format!("UPDATE {head_t} SET seq = $1, hash = $2, mac = $3 WHERE id = 1"),
            vec![
                e.seq.into(),
                e.hash.clone().into(),
                self.head_mac(e.seq, &e.hash).into(),
            ],
        ))
        .await?;
        *head = (e.seq, e.hash);
        Ok(())
    }

    /// PostgreSQL, for a change written as one statement without taking the
    /// lock first: two CTEs, `moved` (the head moves from `from` to the last
    /// of `entries`, only if it is still exactly there, sequence and hash:
    /// one row if it did) and `audited` (the entries, inserted only then).
    /// `also`: a further condition for the move. The statement's
    /// other inserts must be guarded by `EXISTS (SELECT 1 FROM moved)` too,
    /// so a writer that lost the race writes nothing. Binds after `values`.
    pub fn pg_guarded_append(
        &self,
        (from_seq, from_hash): (i64, &str),
        entries: &[Entry],
        also: Option<&str>,
        values: &mut Vec<sea_orm::Value>,
    ) -> AppResult<String> {
        use sea_orm::{Value, sea_query::ArrayType};
        let last = entries
            .last()
            .ok_or_else(|| AppError::internal("a guarded append of no entries"))?;
        let mut bind = |v: Value| {
            values.push(v);
            format!("${}", values.len())
        };
        let head_t = t(self.prefix, "audit_head");
        let table = t(self.prefix, "audit_entries");
        let moved = format!(
            "moved AS (UPDATE {head_t} SET seq = {}, hash = {}, mac = {} WHERE id = 1 AND seq = {} AND hash = {}{} RETURNING seq)",
            bind(last.seq.into()),
            bind(last.hash.clone().into()),
            bind(self.head_mac(last.seq, &last.hash).into()),
            bind(from_seq.into()),
            bind(from_hash.to_string().into()),
            also.map(|c| format!(" AND ({c})")).unwrap_or_default(),
        );
        let ints = |f: fn(&Entry) -> i64| {
            Value::Array(
                ArrayType::BigInt,
                Some(Box::new(entries.iter().map(|e| f(e).into()).collect())),
            )
        };
        let texts = |f: fn(&Entry) -> &str| {
            Value::Array(
                ArrayType::String,
                Some(Box::new(
                    entries.iter().map(|e| f(e).to_string().into()).collect(),
                )),
            )
        };
        let arrays = [
            format!("{}::bigint[]", bind(ints(|e| e.seq))),
            format!("{}::bigint[]", bind(ints(|e| e.at_us))),
            format!("{}::text[]", bind(texts(|e| &e.actor))),
            format!("{}::text[]", bind(texts(|e| &e.role))),
            format!("{}::text[]", bind(texts(|e| &e.method))),
            format!("{}::text[]", bind(texts(|e| &e.entity))),
            format!("{}::text[]", bind(texts(|e| &e.change))),
            format!("{}::text[]", bind(texts(|e| &e.digest))),
            format!("{}::text[]", bind(texts(|e| &e.prev_hash))),
            format!("{}::text[]", bind(texts(|e| &e.hash))),
        ]
        .join(", ");
        Ok(format!(
            "{moved}, audited AS (INSERT INTO {table} ({ENTRY_COLUMNS}) \
             SELECT * FROM UNNEST({arrays}) WHERE EXISTS (SELECT 1 FROM moved))"
        ))
    }

    /// Lists entries in sequence order.
    pub async fn list(
        &self,
        db: &DatabaseConnection,
        from: i64,
        entity: Option<&str>,
        limit: u64,
    ) -> AppResult<Vec<Entry>> {
        let table = t(self.prefix, "audit_entries");
        let (sql, values) = match entity {
            Some(en) => (
                format!(
                    "SELECT * FROM {table} WHERE seq >= $1 AND entity = $2 ORDER BY seq LIMIT $3"
                ),
                vec![from.into(), en.into(), (limit as i64).into()],
            ),
            None => (
                format!("SELECT * FROM {table} WHERE seq >= $1 ORDER BY seq LIMIT $2"),
                vec![from.into(), (limit as i64).into()],
            ),
        };
        Ok(Entry::find_by_statement(stmt(db, &sql, values))
            .all(db)
            .await?)
    }

    /// Recomputes the chain over [from, to] (0 = start / head) and names the
    /// first entry that does not hold.
    pub async fn verify(&self, db: &DatabaseConnection, from: i64, to: i64) -> AppResult<Report> {
        self.verify_against(db, from, to, None).await
    }

    /// As [`Chain::verify`], and the chain must still hold the head a
    /// checkpoint recorded (one whose MAC was checked by the caller).
    pub async fn verify_against(
        &self,
        db: &DatabaseConnection,
        from: i64,
        to: i64,
        checkpoint: Option<&crate::audit_checkpoint::Checkpoint>,
    ) -> AppResult<Report> {
        // One snapshot for the head and the entries: a write committed while
        // this runs is neither half-seen nor mistaken for an inserted row.
        let txn = match db.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                db.begin_with_config(
                    Some(IsolationLevel::RepeatableRead),
                    Some(AccessMode::ReadOnly),
                )
                .await?
            }
            _ => db.begin().await?,
        };
        let db = &txn;
        let head_t = t(self.prefix, "audit_head");
        let head = db
            .query_one_raw(stmt(
                db,
                &format!("SELECT seq, hash, mac FROM {head_t} WHERE id = 1"),
                vec![],
            ))
            .await?
            .ok_or_else(|| AppError::internal("audit head row missing"))?;
        let (head_seq, head_hash): (i64, String) =
            (head.try_get("", "seq")?, head.try_get("", "hash")?);
        let head_mac: String = head.try_get("", "mac")?;
        let from = from.max(1);
        let to = if to <= 0 { i64::MAX } else { to };
        let report = Report {
            ok: true,
            checked: 0,
            first_bad: 0,
            problem: String::new(),
            detail: String::new(),
            head_seq,
            head_hash: head_hash.clone(),
        };
        // A head moved back over deleted entries would otherwise look like a
        // shorter, intact chain. (A head restored from an older copy of the
        // row still passes here: a checkpoint kept outside catches that.)
        if head_seq > 0 && head_mac != self.head_mac(head_seq, &head_hash) {
            return Ok(report.fail(
                head_seq,
                "HEAD_EDITED",
                "the chain head does not match its key",
            ));
        }
        if head_seq == 0 && head_hash != GENESIS {
            return Ok(report.fail(0, "HEAD_EDITED", "an empty chain's head names an entry"));
        }
        // Entries first: a bad one names the exact place.
        let mut report = if from > head_seq {
            // Nothing recorded there yet.
            report
        } else {
            match self
                .walk(db, from, to, head_seq, &head_hash, report)
                .await?
            {
                r if !r.ok => return Ok(r),
                r => r,
            }
        };
        if let Some((seq, problem, detail)) = self.head_behind(db, head_seq).await? {
            return Ok(report.fail(seq, problem, detail));
        }
        if let Some(check) = self.records {
            let bad = check(db).await?;
            if let Some((seq, _)) = bad.first() {
                let named: Vec<&str> = bad.iter().take(3).map(|(_, m)| m.as_str()).collect();
                let detail = format!(
                    "{} row(s) do not match the record their entry hashed: {}",
                    bad.len(),
                    named.join("; ")
                );
                return Ok(report.fail(*seq, "RECORD_EDITED", detail));
            }
        }
        if let Some(cp) = checkpoint {
            report = self.against_checkpoint(db, cp, report).await?;
        }
        Ok(report)
    }

    /// What says the head was moved back, whatever range is verified: a
    /// stored entry beyond it, a key check (written under an entry at first
    /// start) beside an empty chain, or a data row naming a later entry.
    /// A head reset to 0 would otherwise verify without reading an entry.
    async fn head_behind(
        &self,
        db: &DatabaseTransaction,
        head_seq: i64,
    ) -> AppResult<Option<(i64, &'static str, String)>> {
        let table = t(self.prefix, "audit_entries");
        let beyond = scalar(
            db,
            &format!("SELECT MIN(seq) AS n FROM {table} WHERE seq > $1"),
            vec![head_seq.into()],
        )
        .await?;
        if let Some(seq) = beyond {
            return Ok(Some(if head_seq == 0 {
                (
                    1,
                    "HEAD_RESET",
                    format!("the head is at 0 but entries from {seq} on are stored"),
                )
            } else {
                (
                    seq,
                    "INSERTED",
                    "an entry beyond the chain head".to_string(),
                )
            }));
        }
        if head_seq == 0 {
            let checks = t(self.prefix, "key_checks");
            let n = scalar(db, &format!("SELECT COUNT(*) AS n FROM {checks}"), vec![]).await?;
            if n.unwrap_or(0) > 0 {
                return Ok(Some((
                    1,
                    "HEAD_RESET",
                    "the head is at 0 but the service has recorded its key checks".to_string(),
                )));
            }
        }
        for (data, column) in self.anchors {
            let n = scalar(
                db,
                &format!("SELECT MAX({column}) AS n FROM {data}"),
                vec![],
            )
            .await?;
            if let Some(n) = n.filter(|n| *n > head_seq) {
                return Ok(Some((
                    head_seq + 1,
                    "HEAD_RESET",
                    format!("the head is at {head_seq} but {data}.{column} names entry {n}"),
                )));
            }
        }
        Ok(None)
    }

    /// The chain must reach the checkpoint's entry and still hold it.
    async fn against_checkpoint(
        &self,
        db: &DatabaseTransaction,
        cp: &crate::audit_checkpoint::Checkpoint,
        report: Report,
    ) -> AppResult<Report> {
        if report.head_seq < cp.seq {
            let detail = format!(
                "the head is at {}, the checkpoint of {} was at {}",
                report.head_seq, cp.time, cp.seq
            );
            let at = report.head_seq + 1;
            return Ok(report.fail(at, "BEHIND_CHECKPOINT", detail));
        }
        if cp.seq == 0 {
            return Ok(report);
        }
        let table = t(self.prefix, "audit_entries");
        let stored = db
            .query_one_raw(stmt(
                db,
                &format!("SELECT hash FROM {table} WHERE seq = $1"),
                vec![cp.seq.into()],
            ))
            .await?
            .map(|r| r.try_get::<String>("", "hash"))
            .transpose()?;
        if stored.as_deref() != Some(cp.hash.as_str()) {
            return Ok(report.fail(
                cp.seq,
                "DIVERGED_FROM_CHECKPOINT",
                format!(
                    "entry {} is not the one the checkpoint of {} recorded",
                    cp.seq, cp.time
                ),
            ));
        }
        Ok(report)
    }

    /// Recomputes the entries of [from, to] against the head.
    async fn walk(
        &self,
        db: &DatabaseTransaction,
        from: i64,
        to: i64,
        head_seq: i64,
        head_hash: &str,
        mut report: Report,
    ) -> AppResult<Report> {
        let table = t(self.prefix, "audit_entries");
        // The link into the range: the stored hash of the entry before it.
        let mut prev = if from == 1 {
            GENESIS.to_string()
        } else {
            let r = db
                .query_one_raw(stmt(
                    db,
                    &format!("SELECT hash FROM {table} WHERE seq = $1"),
                    vec![(from - 1).into()],
                ))
                .await?;
            match r {
                Some(r) => r.try_get("", "hash")?,
                None => {
                    return Ok(report.fail(
                        from - 1,
                        "MISSING",
                        "the entry before the range is missing",
                    ));
                }
            }
        };
        let mut expect = from;
        loop {
            let batch = Entry::find_by_statement(stmt(
                db,
                &format!(
                    "SELECT * FROM {table} WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT $3"
                ),
                vec![expect.into(), to.into(), VERIFY_BATCH.into()],
            ))
            .all(db)
            .await?;
            let n = batch.len() as i64;
            for e in batch {
                if e.seq > head_seq {
                    return Ok(report.fail(e.seq, "INSERTED", "an entry beyond the chain head"));
                }
                if e.seq != expect {
                    return Ok(report.fail(
                        expect,
                        "MISSING",
                        format!("expected entry {expect}, found {}", e.seq),
                    ));
                }
                if e.prev_hash != prev {
                    return Ok(report.fail(
                        e.seq,
                        "OUT_OF_ORDER",
                        "previous-hash does not link to the entry before it",
                    ));
                }
                if sha256_hex(e.change.as_bytes()) != e.digest {
                    return Ok(report.fail(
                        e.seq,
                        "EDITED",
                        "the change does not match its digest",
                    ));
                }
                if self.entry_hash(&e) != e.hash {
                    return Ok(report.fail(
                        e.seq,
                        "EDITED",
                        "the entry hash does not match its fields",
                    ));
                }
                prev = e.hash;
                expect += 1;
                report.checked += 1;
            }
            if n < VERIFY_BATCH {
                break;
            }
        }
        let end = to.min(head_seq);
        if expect <= end {
            return Ok(report.fail(
                expect,
                "TRUNCATED",
                format!("the head is at {head_seq}, entries stop before {expect}"),
            ));
        }
        if to >= head_seq && head_seq > 0 && prev != head_hash && expect > head_seq {
            return Ok(report.fail(
                head_seq,
                "EDITED",
                "the last entry does not match the recorded head",
            ));
        }
        Ok(report)
    }
}

/// One integer (or NULL) read as column `n`.
async fn scalar(
    db: &DatabaseTransaction,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> AppResult<Option<i64>> {
    Ok(db
        .query_one_raw(stmt(db, sql, values))
        .await?
        .map(|r| r.try_get::<Option<i64>>("", "n"))
        .transpose()?
        .flatten())
}

impl Report {
    fn fail(mut self, seq: i64, problem: &str, detail: impl Into<String>) -> Self {
        self.ok = false;
        self.first_bad = seq;
        self.problem = problem.to_string();
        self.detail = detail.into();
        self
    }
}
