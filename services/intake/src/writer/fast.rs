//! New facts in one statement. Most batches only add new facts: when this
//! writer made the last commit, it knows the chain head and
//! the next fact id, so the audit entries, the head's move and the four
//! tables' rows go to PostgreSQL as one autocommitted statement whose every
//! insert is guarded by the head still being where this writer left it: one
//! round trip instead of seven. The stored facts they refer to are checked in
//! the same statement. Whatever else happens (another replica moved the
//! head, a (body, source id) turns out to be taken: a resend or a race, a
//! fact referred to changed since it was checked)
//! the statement writes nothing and the batch takes the locked path, which
//! decides replays and conflicts.
//!
//! Tried and dropped, measured: two statements in flight (the second planned
//! on top of the first, queued behind its row lock on the head): batches got
//! smaller and each waited on the lock, unary throughput halved; planning a
//! stream's next batch while the one before is written (twice, with and
//! without COPY): no change in bulk beyond the machine's noise.
use std::collections::{HashMap, HashSet};

use probity_common::{
    AppResult,
    audit::{Actor, Entry},
    db::stmt,
    store::Store,
};
use sea_orm::{ConnectionTrait, DatabaseBackend, SqlErr};

use super::{
    audit_change::changes_by_caller,
    batch::Batch,
    copy,
    job::{Item, Job, Outcome},
    refs::StoredRefs,
    rows::{Row, table_rows},
    state::Facts,
    tail::{Known, Tail},
    views::view_made,
};
use crate::store::{self, TableRows};

/// A batch ready to go without a lookup under the lock.
pub(super) struct Plan {
    /// What each caller gets once the batch has committed.
    pub outcomes: Vec<Vec<Outcome>>,
    /// The head and next id after it.
    pub after: Known,
    /// Revisions it makes (which way it goes).
    revisions: usize,
    /// The head it goes on top of.
    from: (i64, String),
    entries: Vec<Entry>,
    tables: [TableRows<'static>; 4],
    refs: StoredRefs,
}

/// Revisions from which a batch goes by COPY rather than as one statement:
/// PostgreSQL inserts COPY's rows page by page, and a round trip more or
/// less no longer counts.
const COPY_FROM_ROWS: usize = 256;

/// Plans the batch as one statement on top of `tail`; `None`: take the
/// locked path.
pub(super) fn plan(store: &Store, jobs: &[Job], tail: &Tail) -> AppResult<Option<Plan>> {
    if store.db.get_database_backend() != DatabaseBackend::Postgres || !only_new_facts(jobs) {
        return Ok(None);
    }
    let Some(known) = tail.0.as_ref() else {
        return Ok(None);
    };
    let Some((batch, mut outcomes, stored_refs)) = decide(jobs, known.next) else {
        return Ok(None);
    };
    if batch.rows.is_empty() {
        return Ok(None);
    }
    let (entries, seq_of_job, head) = entries(store, jobs, &batch.rows, known);

    let now_us = chrono::Utc::now().timestamp_micros();
    let tables = table_rows(&batch.rows, &seq_of_job, now_us, jobs);
    view_made(&mut outcomes, jobs, &batch.rows, now_us)?;
    Ok(Some(Plan {
        revisions: batch.rows.len(),
        from: (known.seq, known.hash.clone()),
        entries,
        tables,
        refs: stored_refs,
        outcomes,
        after: Known {
            seq: head.0,
            hash: head.1,
            next: batch.next,
        },
    }))
}

/// Decides every item as a new fact, noting the stored facts they refer to;
/// `None` at the first that is not or whose reference does not hold.
fn decide(jobs: &[Job], next: i64) -> Option<(Batch, Vec<Vec<Outcome>>, StoredRefs)> {
    let mut batch = Batch::new(Facts::default(), next);
    let mut stored_refs = StoredRefs::default();
    let mut outcomes: Vec<Vec<Outcome>> = Vec::with_capacity(jobs.len());
    for (j, job) in jobs.iter().enumerate() {
        let mut out = Vec::with_capacity(job.items.len());
        for item in &job.items {
            out.push(match item {
                Err(e) => Err(e.clone()),
                Ok(Item::Submit(c)) => {
                    if !stored_refs.note(c, &batch.facts) {
                        return None;
                    }
                    // new facts only: nothing refers to them yet
                    batch.submit(c, j, &HashMap::new())
                }
                // only_new_facts lets none through
                Ok(Item::Void { .. }) => return None,
            });
        }
        outcomes.push(out);
    }
    Some((batch, outcomes, stored_refs))
}

/// One audit entry per caller, as on the locked path, planned on top of the
/// head this writer left: the entries, each caller's sequence, and the head
/// after them.
fn entries(
    store: &Store,
    jobs: &[Job],
    rows: &[Row],
    known: &Known,
) -> (Vec<Entry>, HashMap<usize, i64>, (i64, String)) {
    let mut head = (known.seq, known.hash.clone());
    let mut entries = Vec::new();
    let mut seq_of_job = HashMap::new();
    for (j, change) in changes_by_caller(rows, jobs) {
        let job = &jobs[j];
        let actor = Actor {
            subject: &job.principal.subject,
            role: job.principal.role.as_str(),
            method: job.method,
        };
        let e = store.chain.next_entry(&head, &actor, "facts", &change);
        head = (e.seq, e.hash.clone());
        seq_of_job.insert(j, e.seq);
        entries.push(e);
    }
    (entries, seq_of_job, head)
}

impl Plan {
    /// Writes the batch: `true` if it did, `false` if it wrote nothing (the
    /// head was not where the plan expected, a key was taken, a fact referred
    /// to changed) and the batch must take the locked path.
    pub(super) async fn write(&self, store: &Store) -> AppResult<bool> {
        let written = if self.revisions >= COPY_FROM_ROWS {
            copy::write(store, &self.from, &self.entries, &self.tables, &self.refs).await?
        } else {
            self.statement(store).await?
        };
        if written {
            store.count_commit();
        }
        Ok(written)
    }

    /// The batch as one autocommitted statement, every insert guarded.
    async fn statement(&self, store: &Store) -> AppResult<bool> {
        let mut values = Vec::new();
        let refs = self.refs.cte(&mut values);
        let audit = store.chain.pg_guarded_append(
            (self.from.0, &self.from.1),
            &self.entries,
            refs.as_ref().map(|_| "(SELECT ok FROM refs)"),
            &mut values,
        )?;
        let present: Vec<_> = self.tables.iter().collect();
        let inserts =
            store::pg_inserts(&present, &mut values, Some("EXISTS (SELECT 1 FROM moved)"))?;
        let ctes: String = inserts
            .iter()
            .enumerate()
            .map(|(i, p)| format!(", i{i} AS ({p})"))
            .collect();
        let refs = refs.map(|r| format!("{r}, ")).unwrap_or_default();
        let sql = format!("WITH {refs}{audit}{ctes} SELECT COUNT(*) AS moved FROM moved");
        let db = &store.db;
        match db.query_one_raw(stmt(db, &sql, values)).await {
            Ok(Some(row)) => Ok(row.try_get::<i64>("", "moved")? == 1),
            Ok(None) => Ok(false),
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// Every item a new fact (not a correction, not a resend, not an
/// inspection a draw or plan binds: those are counted under the lock), each
/// (body, source id) once, and at least one of them.
fn only_new_facts(jobs: &[Job]) -> bool {
    let mut keys = HashSet::new();
    let mut any = false;
    for item in jobs.iter().flat_map(|j| j.items.iter()) {
        match item {
            Err(_) => {}
            Ok(Item::Void { .. }) => return false,
            Ok(Item::Submit(c)) => {
                let p = &c.prepared;
                if c.replay
                    || c.bound.is_some()
                    || !p.correction_reason.trim().is_empty()
                    || !keys.insert((p.body_id.as_str(), p.fact.source_id.as_str()))
                {
                    return false;
                }
                any = true;
            }
        }
    }
    any
}
