//! Where each finding stands. A finding is recorded once, on the revision it
//! was found on, and outlives every later revision: a correction that no
//! longer shows it, or a void, makes it SUPERSEDED_PENDING, still in force,
//! until the legal-affairs office clears or upholds it. So a department that
//! corrects or voids a fact changes what the fact says, never its record.
use std::collections::HashMap;

use probity_common::{
    AppResult,
    db::stmt,
    names::{body_name, us_ts},
};
use probity_proto::intake::v1::{FactKind, Finding, FindingState};
use sea_orm::{ConnectionTrait, DatabaseBackend, QueryResult, Value, sea_query::ArrayType};

use crate::{findings::Found, store::fact_name};

pub const OPEN: i32 = FindingState::Open as i32;
pub const SUPERSEDED_PENDING: i32 = FindingState::SupersededPending as i32;
pub const CLEARED: i32 = FindingState::Cleared as i32;
pub const UPHELD: i32 = FindingState::Upheld as i32;

/// The states that count: in the rankings, for raising cases, in listings
/// by default.
pub const IN_FORCE: [i32; 3] = [OPEN, SUPERSEDED_PENDING, UPHELD];

pub fn in_force(state: i32) -> bool {
    IN_FORCE.contains(&state)
}

/// A finding already on a fact's record, as the writer tracks it under the
/// lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub revision: i32,
    pub seq: i32,
    pub rule: String,
    pub officer: String,
    pub state: i32,
    pub superseded_by: i32,
    /// Changed by this batch: written back after the inserts.
    pub dirty: bool,
}

/// What a new revision does to a fact's record: `found` is what the checks
/// make of it (empty for a void). A finding it shows again (same rule and
/// officer, one for one) continues the one on record, which is reopened if
/// it had been superseded; one the record lacks is new (returned, to be
/// stored on this revision); one on the record it no longer shows is
/// superseded by it. Rulings stand: an upheld finding stays upheld, a
/// cleared one stays cleared (and no longer matches: shown again, the breach
/// is a new finding).
pub fn apply_revision(held: &mut [Held], revision: i32, found: &[Found]) -> Vec<Found> {
    let mut shown = vec![false; held.len()];
    let mut new = Vec::new();
    for f in found {
        let matched = held.iter().enumerate().position(|(i, h)| {
            !shown[i] && h.state != CLEARED && h.rule == f.rule.code && h.officer == f.officer
        });
        match matched {
            Some(i) => {
                shown[i] = true;
                if held[i].state == SUPERSEDED_PENDING {
                    held[i].state = OPEN;
                    held[i].superseded_by = 0;
                    held[i].dirty = true;
                }
            }
            None => new.push(f.clone()),
        }
    }
    for (h, shown) in held.iter_mut().zip(shown) {
        if !shown && h.state == OPEN {
            h.state = SUPERSEDED_PENDING;
            h.superseded_by = revision;
            h.dirty = true;
        }
    }
    new
}

/// Findings as the writer first records them: open, on their revision.
pub fn held_of(revision: i32, found: &[Found]) -> Vec<Held> {
    found
        .iter()
        .enumerate()
        .map(|(i, f)| Held {
            revision,
            seq: i as i32,
            rule: f.rule.code.to_string(),
            officer: f.officer.clone(),
            state: OPEN,
            superseded_by: 0,
            dirty: false,
        })
        .collect()
}

/// `facts/{fact}/findings/{revision}-{seq}`
pub fn finding_name(fact_id: i64, revision: i32, seq: i32) -> String {
    format!("{}/findings/{revision}-{seq}", fact_name(fact_id))
}

/// (fact id, revision, seq) of a finding's name.
pub fn parse_finding_name(name: &str) -> Option<(i64, i32, i32)> {
    let rest = name.strip_prefix("facts/")?;
    let (fact, rest) = rest.split_once("/findings/")?;
    let (revision, seq) = rest.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.len() <= 18 && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(fact) && digits(revision) && digits(seq)) {
        return None;
    }
    Some((
        fact.parse().ok()?,
        revision.parse().ok()?,
        seq.parse().ok()?,
    ))
}

/// The columns every finding read selects (`x` is intake_findings).
pub const COLUMNS: &str = "x.fact_id, x.revision, x.seq, x.rule, x.article, x.officer, x.detail, \
     x.body, x.kind, x.occurred_us, x.state, x.superseded_by, x.ruled_by, x.ruling_reason, x.ruled_us";

/// A findings row (selected with [`COLUMNS`]) as the API shows it; the
/// caller fills in `source_id`.
pub fn view(row: &QueryResult) -> AppResult<Finding> {
    let fact_id: i64 = row.try_get("", "fact_id")?;
    let revision: i32 = row.try_get("", "revision")?;
    let seq: i32 = row.try_get("", "seq")?;
    let officer: String = row.try_get("", "officer")?;
    let ruled_us: i64 = row.try_get("", "ruled_us")?;
    Ok(Finding {
        rule: row.try_get("", "rule")?,
        article: row.try_get("", "article")?,
        officer: officer_name(&officer),
        detail: row.try_get("", "detail")?,
        fact: fact_name(fact_id),
        revision,
        body: body_name(&row.try_get::<String>("", "body")?),
        occur_time: us_ts(row.try_get("", "occurred_us")?),
        fact_kind: FactKind::try_from(row.try_get::<i32>("", "kind")?).unwrap_or_default() as i32,
        source_id: String::new(),
        name: finding_name(fact_id, revision, seq),
        state: row.try_get("", "state")?,
        superseded_by: row.try_get("", "superseded_by")?,
        ruled_by: row.try_get("", "ruled_by")?,
        ruling_reason: row.try_get("", "ruling_reason")?,
        ruled_time: (ruled_us > 0).then(|| us_ts(ruled_us)).flatten(),
    })
}

/// A finding made by the batch being written, as the API shows it.
#[allow(clippy::too_many_arguments)]
pub fn view_new(
    fact_id: i64,
    revision: i32,
    seq: i32,
    f: &Found,
    body: &str,
    kind: i32,
    occurred_us: i64,
    source_id: &str,
) -> Finding {
    Finding {
        rule: f.rule.code.to_string(),
        article: f.rule.article.to_string(),
        officer: officer_name(&f.officer),
        detail: f.detail.clone(),
        fact: fact_name(fact_id),
        revision,
        body: body_name(body),
        occur_time: us_ts(occurred_us),
        fact_kind: FactKind::try_from(kind).unwrap_or_default() as i32,
        source_id: source_id.to_string(),
        name: finding_name(fact_id, revision, seq),
        state: OPEN,
        ..Default::default()
    }
}

fn officer_name(bare: &str) -> String {
    if bare.is_empty() {
        String::new()
    } else {
        format!("officers/{bare}")
    }
}

fn is_pg(c: &impl ConnectionTrait) -> bool {
    c.get_database_backend() == DatabaseBackend::Postgres
}

/// Every finding of these facts, of every revision, oldest first.
pub async fn of_facts(
    c: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<QueryResult>>> {
    let mut out: HashMap<i64, Vec<QueryResult>> = HashMap::new();
    let pg = is_pg(c);
    for chunk in ids.chunks(if pg { ids.len().max(1) } else { 500 }) {
        let (sql, values) = if pg {
            (
                format!(
                    "SELECT {COLUMNS} FROM intake_findings x WHERE x.fact_id = ANY($1::bigint[]) \
                     ORDER BY x.fact_id, x.revision, x.seq"
                ),
                vec![Value::Array(
                    ArrayType::BigInt,
                    Some(Box::new(chunk.iter().map(|i| Value::from(*i)).collect())),
                )],
            )
        } else {
            let marks = vec!["?"; chunk.len()].join(", ");
            (
                format!(
                    "SELECT {COLUMNS} FROM intake_findings x WHERE x.fact_id IN ({marks}) \
                     ORDER BY x.fact_id, x.revision, x.seq"
                ),
                chunk.iter().map(|i| Value::from(*i)).collect(),
            )
        };
        for row in c.query_all_raw(stmt(c, &sql, values)).await? {
            out.entry(row.try_get("", "fact_id")?)
                .or_default()
                .push(row);
        }
    }
    Ok(out)
}

/// The findings on these facts' records, as the writer tracks them.
pub async fn held(c: &impl ConnectionTrait, ids: &[i64]) -> AppResult<HashMap<i64, Vec<Held>>> {
    let mut out = HashMap::new();
    for (id, rows) in of_facts(c, ids).await? {
        let held = rows
            .iter()
            .map(|r| {
                Ok(Held {
                    revision: r.try_get("", "revision")?,
                    seq: r.try_get("", "seq")?,
                    rule: r.try_get("", "rule")?,
                    officer: r.try_get("", "officer")?,
                    state: r.try_get("", "state")?,
                    superseded_by: r.try_get("", "superseded_by")?,
                    dirty: false,
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        out.insert(id, held);
    }
    Ok(out)
}

/// Writes back the states a batch changed (after its inserts: a finding
/// made and superseded in one batch has its row only then).
pub async fn write_states(c: &impl ConnectionTrait, changed: &[(i64, &Held)]) -> AppResult<()> {
    for (fact_id, h) in changed {
        c.execute_raw(stmt(
            c,
            "UPDATE intake_findings SET state = $1, superseded_by = $2 \
             WHERE fact_id = $3 AND revision = $4 AND seq = $5",
            vec![
                h.state.into(),
                h.superseded_by.into(),
                (*fact_id).into(),
                h.revision.into(),
                h.seq.into(),
            ],
        ))
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use probity_rules::catalogue as rules;

    fn found(rule: rules::Rule, officer: &str) -> Found {
        Found {
            rule,
            officer: officer.into(),
            detail: String::new(),
        }
    }

    #[test]
    fn a_correction_that_no_longer_shows_a_finding_supersedes_it() {
        let mut held = held_of(1, &[found(rules::CREDENTIAL_NOT_VALID, "o1")]);
        let new = apply_revision(&mut held, 2, &[]);
        assert!(new.is_empty());
        assert_eq!(held[0].state, SUPERSEDED_PENDING);
        assert_eq!(held[0].superseded_by, 2);
        assert!(held[0].dirty && in_force(held[0].state));
    }

    #[test]
    fn a_finding_shown_again_continues_and_is_not_recorded_twice() {
        let mut held = held_of(
            1,
            &[
                found(rules::CREDENTIAL_NOT_VALID, "o1"),
                found(rules::INSPECTION_NOT_RECORDED, ""),
            ],
        );
        // The record is added; the officer's credential is still not valid.
        let new = apply_revision(&mut held, 2, &[found(rules::CREDENTIAL_NOT_VALID, "o1")]);
        assert!(new.is_empty());
        assert_eq!(held[0].state, OPEN);
        assert_eq!(held[1].state, SUPERSEDED_PENDING);
        // Back again: reopened, not a second finding.
        let new = apply_revision(&mut held, 3, &[found(rules::INSPECTION_NOT_RECORDED, "")]);
        assert!(new.is_empty());
        assert_eq!(held[1].state, OPEN);
        assert_eq!(held[1].superseded_by, 0);
        assert_eq!(held[0].state, SUPERSEDED_PENDING);
    }

    #[test]
    fn matching_is_one_for_one_and_by_officer() {
        let mut held = held_of(1, &[found(rules::CREDENTIAL_NOT_VALID, "o1")]);
        let new = apply_revision(
            &mut held,
            2,
            &[
                found(rules::CREDENTIAL_NOT_VALID, "o1"),
                found(rules::CREDENTIAL_NOT_VALID, "o1"),
                found(rules::CREDENTIAL_NOT_VALID, "o2"),
            ],
        );
        assert_eq!(new.len(), 2);
        assert_eq!(held[0].state, OPEN);
    }

    #[test]
    fn rulings_stand() {
        let mut held = held_of(
            1,
            &[
                found(rules::TOO_FEW_QUALIFIED, ""),
                found(rules::AUXILIARY_ALONE, ""),
            ],
        );
        held[0].state = UPHELD;
        held[1].state = CLEARED;
        let new = apply_revision(&mut held, 2, &[found(rules::AUXILIARY_ALONE, "")]);
        assert_eq!(
            held[0].state, UPHELD,
            "a void or correction leaves it upheld"
        );
        assert_eq!(held[1].state, CLEARED);
        assert_eq!(
            new.len(),
            1,
            "shown again after clearing, it is a new finding"
        );
        assert!(!held.iter().any(|h| h.dirty));
    }

    #[test]
    fn names_round_trip_and_refuse_junk() {
        assert_eq!(finding_name(12, 3, 0), "facts/12/findings/3-0");
        assert_eq!(
            parse_finding_name("facts/12/findings/3-0"),
            Some((12, 3, 0))
        );
        for bad in [
            "facts/12/findings/3",
            "facts/x/findings/3-0",
            "facts/12/findings/-3-0",
            "facts/12/findings/3-0/x",
            "facts//findings/3-0",
        ] {
            assert_eq!(parse_finding_name(bad), None, "{bad}");
        }
    }
}
