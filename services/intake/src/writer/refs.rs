//! The refs check: what a submission was checked against before the lock
//! must still be so when it is written. The fact it refers to must be
//! recorded, live, of the right kind and still the revision that was checked
//! (REFERENCE_CHANGED); a correction or void must be of the revision it was
//! checked on (REVISION_CHANGED). Under the lock this is read from the
//! batch's facts; on the fast and COPY paths the stored facts referred to
//! are checked by the database ([`StoredRefs`]).
use probity_common::{AppError, AppResult, Reason};

use super::{
    job::Checked,
    state::{Facts, State},
};
use crate::store::{self, Col};

/// The fact referred to was checked before the lock, maybe while it was
/// itself on its way or about to change: under the lock it must be there,
/// live, of the right kind, and still the revision that was checked.
pub(super) fn reference_holds(c: &Checked, facts: &Facts) -> AppResult<()> {
    let Some(r) = c.prepared.reference.as_ref().filter(|_| !c.replay) else {
        return Ok(());
    };
    let key = (c.prepared.body_id.clone(), r.source_id.clone());
    let field = r.field.clone();
    match facts.keyed(&key) {
        None => Err(AppError::invalid(
            field,
            "the fact it refers to was not recorded",
        )),
        Some(st) if st.kind != r.kind as i32 => Err(AppError::invalid(
            field,
            "this source_id is a fact of another kind",
        )),
        Some(st) if st.voided => Err(AppError::invalid(field, "the fact it refers to was voided")),
        Some(st) if Some(&st.current_digest) != c.reference_digest.as_ref() => {
            Err(AppError::refused(
                Reason::ReferenceChanged,
                format!(
                    "{field}: the fact it refers to changed while this one was checked; send it again"
                ),
            ))
        }
        Some(_) => Ok(()),
    }
}

/// A correction checked before the lock against another revision (or
/// none): whoever made the one now current was not weighed, so the reporter
/// check and the registry's answer are the caller's to make again.
pub(super) fn correction_on_current(c: &Checked, st: &State) -> AppResult<()> {
    if !c.replay && c.revises.as_deref() != Some(st.current_digest.as_str()) {
        return Err(AppError::refused(
            Reason::RevisionChanged,
            format!(
                "fact {} changed while this correction was checked; send it again",
                c.prepared.fact.source_id
            ),
        ));
    }
    Ok(())
}

/// A void checked against the reporter of another revision than the one now
/// current (`st` is live).
pub(super) fn void_on_current(fact_id: i64, st: &State, checked: &str) -> AppResult<()> {
    if st.current_digest != checked {
        return Err(AppError::refused(
            Reason::RevisionChanged,
            format!(
                "{} changed while this void was checked; send it again",
                store::fact_name(fact_id)
            ),
        ));
    }
    Ok(())
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
    pub fn note(&mut self, c: &Checked, facts: &Facts) -> bool {
        let Some(r) = c.prepared.reference.as_ref() else {
            return true;
        };
        let Some(digest) = c.reference_digest.as_ref() else {
            return false;
        };
        let key = (c.prepared.body_id.clone(), r.source_id.clone());
        if let Some(st) = facts.keyed(&key) {
            return st.kind == r.kind as i32 && !st.voided && st.current_digest == *digest;
        }
        self.body.push(key.0);
        self.source_id.push(key.1);
        self.kind.push(r.kind as i32);
        self.digest.push(digest.clone());
        true
    }

    /// `refs`, one row: whether every stored fact referred to is as checked.
    pub fn cte(&self, values: &mut Vec<sea_orm::Value>) -> Option<String> {
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
            still_as_checked([&b, &s, &k, &d])
        ))
    }
}

/// The stored facts referred to that are still as checked, from the arrays
/// (parameters) of body, source id, kind and digest (PostgreSQL).
/// Each key is looked up on its own (`store::PER_KEY`): an index probe,
/// never a hash of the keys against a scan of the table.
pub(crate) fn still_as_checked([b, s, k, d]: [&str; 4]) -> String {
    format!(
        "UNNEST({b}::text[], {s}::text[], {k}::integer[], {d}::text[]) \
         AS x(body, source_id, kind, digest) CROSS JOIN LATERAL \
         (SELECT 1 AS one FROM intake_facts f \
         JOIN intake_revisions r ON r.fact_id = f.id AND r.revision = f.revision \
         WHERE f.body = x.body AND f.source_id = x.source_id \
         AND f.kind = x.kind AND NOT f.voided AND r.digest = x.digest {}) m",
        crate::store::PER_KEY
    )
}
