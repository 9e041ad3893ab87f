//! The revisions a batch writes, and their rows table by table, column by
//! column (both paths write the same rows).
use std::collections::HashMap;

use super::job::Job;
use crate::{
    findings::Found,
    store::{Col, TableRows},
};

/// One revision to write.
pub(super) struct Row {
    pub job: usize,
    pub fact_id: i64,
    pub revision: i32,
    /// (body, source id) of the fact this revision makes (revision 1);
    /// None for a correction or a void.
    pub new_fact: Option<(String, String)>,
    pub body: String,
    pub body_path: String,
    pub kind: i32,
    pub payload: Vec<u8>,
    pub digest: String,
    pub reason: String,
    pub voided: bool,
    pub occurred_us: i64,
    pub officers: Vec<String>,
    /// Findings new on this revision (one the record holds is not recorded
    /// again: it continues).
    pub findings: Vec<Found>,
    pub refers_to: String,
    /// Findings on the record this revision superseded or reopened:
    /// (revision, seq, state), for the audit entry.
    pub restated: Vec<(i32, i32, i32)>,
}

/// intake_facts (new facts only), intake_revisions, intake_fact_officers and
/// intake_findings rows of `rows`; each revision names the audit entry of
/// its caller (`seq_of_job`).
pub(super) fn table_rows(
    rows: &[Row],
    seq_of_job: &HashMap<usize, i64>,
    now_us: i64,
    jobs: &[Job],
) -> [TableRows<'static>; 4] {
    [
        facts(rows, now_us),
        revisions(rows, seq_of_job, now_us, jobs),
        officers(rows),
        findings(rows),
    ]
}

fn facts(rows: &[Row], now_us: i64) -> TableRows<'static> {
    let new: Vec<&Row> = rows.iter().filter(|r| r.new_fact.is_some()).collect();
    (
        "intake_facts",
        vec![
            ("id", Col::I64(new.iter().map(|r| r.fact_id).collect())),
            (
                "body",
                Col::Text(new.iter().map(|r| r.body.clone()).collect()),
            ),
            (
                "body_path",
                Col::Text(new.iter().map(|r| r.body_path.clone()).collect()),
            ),
            (
                "source_id",
                Col::Text(
                    new.iter()
                        .filter_map(|r| r.new_fact.as_ref().map(|k| k.1.clone()))
                        .collect(),
                ),
            ),
            ("kind", Col::I32(new.iter().map(|r| r.kind).collect())),
            (
                "revision",
                Col::I32(new.iter().map(|r| r.revision).collect()),
            ),
            ("voided", Col::Bool(new.iter().map(|r| r.voided).collect())),
            (
                "occurred_us",
                Col::I64(new.iter().map(|r| r.occurred_us).collect()),
            ),
            (
                "recorded_us",
                Col::I64(new.iter().map(|_| now_us).collect()),
            ),
            (
                "refers_to",
                Col::Text(new.iter().map(|r| r.refers_to.clone()).collect()),
            ),
        ],
    )
}

fn revisions(
    rows: &[Row],
    seq_of_job: &HashMap<usize, i64>,
    now_us: i64,
    jobs: &[Job],
) -> TableRows<'static> {
    let actor = |r: &Row| &jobs[r.job].principal;
    (
        "intake_revisions",
        vec![
            (
                "fact_id",
                Col::I64(rows.iter().map(|r| r.fact_id).collect()),
            ),
            (
                "revision",
                Col::I32(rows.iter().map(|r| r.revision).collect()),
            ),
            ("kind", Col::I32(rows.iter().map(|r| r.kind).collect())),
            (
                "body",
                Col::Text(rows.iter().map(|r| r.body.clone()).collect()),
            ),
            (
                "payload",
                Col::Bytes(rows.iter().map(|r| r.payload.clone()).collect()),
            ),
            (
                "digest",
                Col::Text(rows.iter().map(|r| r.digest.clone()).collect()),
            ),
            (
                "reason",
                Col::Text(rows.iter().map(|r| r.reason.clone()).collect()),
            ),
            ("voided", Col::Bool(rows.iter().map(|r| r.voided).collect())),
            (
                "actor",
                Col::Text(rows.iter().map(|r| actor(r).subject.clone()).collect()),
            ),
            (
                "role",
                Col::Text(
                    rows.iter()
                        .map(|r| actor(r).role.as_str().to_string())
                        .collect(),
                ),
            ),
            (
                "occurred_us",
                Col::I64(rows.iter().map(|r| r.occurred_us).collect()),
            ),
            (
                "recorded_us",
                Col::I64(rows.iter().map(|_| now_us).collect()),
            ),
            (
                "audit_seq",
                Col::I64(
                    rows.iter()
                        .map(|r| seq_of_job.get(&r.job).copied().unwrap_or(0))
                        .collect(),
                ),
            ),
        ],
    )
}

fn officers(rows: &[Row]) -> TableRows<'static> {
    let officers: Vec<(&Row, &String)> = rows
        .iter()
        .flat_map(|r| r.officers.iter().map(move |o| (r, o)))
        .collect();
    (
        "intake_fact_officers",
        vec![
            (
                "fact_id",
                Col::I64(officers.iter().map(|(r, _)| r.fact_id).collect()),
            ),
            (
                "revision",
                Col::I32(officers.iter().map(|(r, _)| r.revision).collect()),
            ),
            (
                "officer",
                Col::Text(officers.iter().map(|(_, o)| (*o).clone()).collect()),
            ),
            (
                "occurred_us",
                Col::I64(officers.iter().map(|(r, _)| r.occurred_us).collect()),
            ),
        ],
    )
}

fn findings(rows: &[Row]) -> TableRows<'static> {
    let found: Vec<(&Row, usize, &Found)> = rows
        .iter()
        .flat_map(|r| r.findings.iter().enumerate().map(move |(i, f)| (r, i, f)))
        .collect();
    (
        "intake_findings",
        vec![
            (
                "fact_id",
                Col::I64(found.iter().map(|(r, _, _)| r.fact_id).collect()),
            ),
            (
                "revision",
                Col::I32(found.iter().map(|(r, _, _)| r.revision).collect()),
            ),
            (
                "seq",
                Col::I32(found.iter().map(|(_, i, _)| *i as i32).collect()),
            ),
            (
                "rule",
                Col::Text(
                    found
                        .iter()
                        .map(|(_, _, f)| f.rule.code.to_string())
                        .collect(),
                ),
            ),
            (
                "article",
                Col::Text(
                    found
                        .iter()
                        .map(|(_, _, f)| f.rule.article.to_string())
                        .collect(),
                ),
            ),
            (
                "officer",
                Col::Text(found.iter().map(|(_, _, f)| f.officer.clone()).collect()),
            ),
            (
                "detail",
                Col::Text(found.iter().map(|(_, _, f)| f.detail.clone()).collect()),
            ),
            (
                "body",
                Col::Text(found.iter().map(|(r, _, _)| r.body.clone()).collect()),
            ),
            (
                "kind",
                Col::I32(found.iter().map(|(r, _, _)| r.kind).collect()),
            ),
            (
                "occurred_us",
                Col::I64(found.iter().map(|(r, _, _)| r.occurred_us).collect()),
            ),
        ],
    )
}
