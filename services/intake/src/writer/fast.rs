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
    Checked, Item, Job, Known, Outcome, Row, State, Tail, changes_by_caller, rows::table_rows,
    submit, view_made,
};
use crate::tables::{self, Col, TableRows};

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

    let mut next = known.next;
    let mut states = HashMap::new();
    let mut by_key = HashMap::new();
    let mut rows: Vec<Row> = Vec::new();
    let mut stored_refs = StoredRefs::default();
    let mut outcomes: Vec<Vec<Outcome>> = Vec::with_capacity(jobs.len());
    for (j, job) in jobs.iter().enumerate() {
        let mut out = Vec::with_capacity(job.items.len());
        for item in &job.items {
            out.push(match item {
                Err(e) => Err(e.clone()),
                Ok(Item::Submit(c)) => {
                    if !stored_refs.note(c, &states, &by_key) {
                        return Ok(None);
                    }
                    // new facts only: nothing refers to them yet
                    submit(
                        c,
                        j,
                        &mut states,
                        &mut by_key,
                        &mut next,
                        &mut rows,
                        &HashMap::new(),
                    )
                }
                // only_new_facts lets none through
                Ok(Item::Void { .. }) => return Ok(None),
            });
        }
        outcomes.push(out);
    }
    if rows.is_empty() {
        return Ok(None);
    }

    // One audit entry per caller, as on the locked path.
    let mut head = (known.seq, known.hash.clone());
    let mut entries = Vec::new();
    let mut seq_of_job = HashMap::new();
    for (j, change) in changes_by_caller(&rows, jobs) {
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

    let now_us = chrono::Utc::now().timestamp_micros();
    let tables = table_rows(&rows, &seq_of_job, now_us, jobs);
    view_made(&mut outcomes, jobs, &rows, now_us)?;
    Ok(Some(Plan {
        revisions: rows.len(),
        from: (known.seq, known.hash.clone()),
        entries,
        tables,
        refs: stored_refs,
        outcomes,
        after: Known {
            seq: head.0,
            hash: head.1,
            next,
        },
    }))
}

impl Plan {
    /// Writes the batch: `true` if it did, `false` if it wrote nothing (the
    /// head was not where the plan expected, a key was taken, a fact referred
    /// to changed) and the batch must take the locked path.
    pub(super) async fn write(&self, store: &Store) -> AppResult<bool> {
        let written = if self.revisions >= COPY_FROM_ROWS {
            super::copy::write(store, &self.from, &self.entries, &self.tables, &self.refs).await?
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
            tables::pg_inserts(&present, &mut values, Some("EXISTS (SELECT 1 FROM moved)"))?;
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

/// The stored facts the batch's facts refer to, as they were checked. The
/// statement writes only if each is still that live revision of that kind.
#[derive(Default)]
pub(super) struct StoredRefs {
    pub body: Vec<String>,
    pub source_id: Vec<String>,
    pub kind: Vec<i32>,
    pub digest: Vec<String>,
}

impl StoredRefs {
    /// Notes what `c` refers to. A fact made earlier in the batch is checked
    /// here; `false`: it does not hold, the locked path will say why.
    fn note(
        &mut self,
        c: &Checked,
        states: &HashMap<i64, State>,
        by_key: &HashMap<(String, String), i64>,
    ) -> bool {
        let Some(r) = c.prepared.reference.as_ref() else {
            return true;
        };
        let Some(digest) = c.reference_digest.as_ref() else {
            return false;
        };
        let key = (c.prepared.body_id.clone(), r.source_id.clone());
        if let Some(st) = by_key.get(&key).and_then(|id| states.get(id)) {
            return st.kind == r.kind as i32 && !st.voided && st.current_digest == *digest;
        }
        self.body.push(key.0);
        self.source_id.push(key.1);
        self.kind.push(r.kind as i32);
        self.digest.push(digest.clone());
        true
    }

    /// `refs`, one row: whether every stored fact referred to is as checked.
    fn cte(&self, values: &mut Vec<sea_orm::Value>) -> Option<String> {
        if self.body.is_empty() {
            return None;
        }
        let n = self.body.len() as i64;
        let mut bind = |v: sea_orm::Value| {
            values.push(v);
            format!("${}", values.len())
        };
        let (b, s, k, d, count) = (
            bind(Col::Text(self.body.clone()).pg_array()),
            bind(Col::Text(self.source_id.clone()).pg_array()),
            bind(Col::I32(self.kind.clone()).pg_array()),
            bind(Col::Text(self.digest.clone()).pg_array()),
            bind(n.into()),
        );
        Some(format!(
            "refs AS (SELECT COUNT(*) = {count}::bigint AS ok FROM {})",
            refs_still_as_checked([&b, &s, &k, &d])
        ))
    }
}

/// The stored facts referred to that are still as checked, from the arrays
/// (parameters) of body, source id, kind and digest (PostgreSQL).
pub(super) fn refs_still_as_checked([b, s, k, d]: [&str; 4]) -> String {
    format!(
        "UNNEST({b}::text[], {s}::text[], {k}::integer[], {d}::text[]) \
         AS x(body, source_id, kind, digest) \
         JOIN intake_facts f ON f.body = x.body AND f.source_id = x.source_id \
         AND f.kind = x.kind AND NOT f.voided \
         JOIN intake_revisions r ON r.fact_id = f.id AND r.revision = f.revision \
         AND r.digest = x.digest"
    )
}

/// Every item a new fact (not a correction, not a resend), each (body,
/// source id) once, and at least one of them.
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
