//! New facts in one statement. Most batches only add facts that refer to no
//! other: when this writer made the last commit, it knows the chain head and
//! the next fact id, so the audit entries, the head's move and the four
//! tables' rows go to PostgreSQL as one autocommitted statement whose every
//! insert is guarded by the head still being where this writer left it: one
//! round trip instead of seven. Whatever else happens (another replica moved
//! the head, a (body, source id) turns out to be taken: a resend or a race)
//! the statement writes nothing and the batch takes the locked path, which
//! decides replays and conflicts.
use std::collections::{HashMap, HashSet};

use probity_common::{AppResult, audit::Actor, db::stmt, store::Store};
use sea_orm::{ConnectionTrait, DatabaseBackend, SqlErr};

use super::{Item, Job, Known, Outcome, Row, Tail, revisions_change, rows::table_rows, submit};
use crate::tables;

/// Writes the batch in one statement if it can; `None`: take the locked path.
pub(super) async fn commit(
    store: &Store,
    jobs: &[Job],
    tail: &mut Tail,
) -> AppResult<Option<Vec<Vec<Outcome>>>> {
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
    let outcomes: Vec<Vec<Outcome>> = jobs
        .iter()
        .enumerate()
        .map(|(j, job)| {
            job.items
                .iter()
                .map(|item| match item {
                    Err(e) => Err(e.clone()),
                    Ok(Item::Submit(c)) => submit(
                        (**c).clone(),
                        j,
                        &mut states,
                        &mut by_key,
                        &mut next,
                        &mut rows,
                    ),
                    // only_new_facts let none through
                    Ok(Item::Void { .. }) => Err(probity_common::AppError::internal(
                        "a void on the one-statement path",
                    )),
                })
                .collect()
        })
        .collect();
    if rows.is_empty() {
        return Ok(None);
    }

    // One audit entry per caller, as on the locked path.
    let mut head = (known.seq, known.hash.clone());
    let mut entries = Vec::new();
    let mut seq_of_job = HashMap::new();
    for (j, job) in jobs.iter().enumerate() {
        let mine: Vec<&Row> = rows.iter().filter(|r| r.job == j).collect();
        if mine.is_empty() {
            continue;
        }
        let actor = Actor {
            subject: &job.principal.subject,
            role: job.principal.role.as_str(),
            method: job.method,
        };
        let e = store
            .chain
            .next_entry(&head, &actor, "facts", &revisions_change(&mine));
        head = (e.seq, e.hash.clone());
        seq_of_job.insert(j, e.seq);
        entries.push(e);
    }

    let now_us = chrono::Utc::now().timestamp_micros();
    let mut values = Vec::new();
    let audit = store
        .chain
        .pg_guarded_append(known.seq, &entries, &mut values)?;
    let tables = table_rows(&rows, &seq_of_job, now_us, jobs);
    let present: Vec<_> = tables.iter().collect();
    let inserts = tables::pg_inserts(&present, &mut values, Some("EXISTS (SELECT 1 FROM moved)"))?;
    let ctes: String = inserts
        .iter()
        .enumerate()
        .map(|(i, p)| format!(", i{i} AS ({p})"))
        .collect();
    let sql = format!("WITH {audit}{ctes} SELECT COUNT(*) AS moved FROM moved");
    let db = &store.db;
    let moved: i64 = match db.query_one_raw(stmt(db, &sql, values)).await {
        Ok(Some(row)) => row.try_get("", "moved")?,
        Ok(None) => 0,
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            tail.0 = None;
            return Ok(None);
        }
        Err(e) => {
            tail.0 = None;
            return Err(e.into());
        }
    };
    if moved != 1 {
        tail.0 = None;
        return Ok(None);
    }
    store.count_commit();
    tail.0 = Some(Known {
        seq: head.0,
        hash: head.1,
        next,
    });

    let mut outcomes = outcomes;
    let written: HashMap<(i64, i32), &Row> =
        rows.iter().map(|r| ((r.fact_id, r.revision), r)).collect();
    for (j, job) in jobs.iter().enumerate().filter(|(_, job)| job.full) {
        for a in outcomes[j].iter_mut().filter_map(|o| o.as_mut().ok()) {
            if let Some(r) = written.get(&(a.fact_id, a.revision)) {
                let f = r.view(&job.principal.subject, now_us)?;
                a.findings = f.findings.len();
                a.fact = Some(f);
            }
        }
    }
    Ok(Some(outcomes))
}

/// Every item a new fact that refers to no other, each (body, source id)
/// once, and at least one of them.
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
                    || p.reference.is_some()
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
