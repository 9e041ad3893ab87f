//! The rows a batch writes, table by table, column by column.
use std::collections::HashMap;

use super::{Job, Row};
use crate::{
    findings::Found,
    tables::{Col, TableRows},
};

/// intake_facts (new facts only), intake_revisions, intake_fact_officers and
/// intake_findings rows of `rows`; each revision names the audit entry of
/// its caller (`seq_of_job`).
pub(super) fn table_rows(
    rows: &[Row],
    seq_of_job: &HashMap<usize, i64>,
    now_us: i64,
    jobs: &[Job],
) -> [TableRows<'static>; 4] {
    let new: Vec<&Row> = rows.iter().filter(|r| r.new_fact.is_some()).collect();
    let facts = (
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
    );
    let actor = |r: &Row| &jobs[r.job].principal;
    let revisions = (
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
    );
    let officers: Vec<(&Row, &String)> = rows
        .iter()
        .flat_map(|r| r.officers.iter().map(move |o| (r, o)))
        .collect();
    let officer_rows = (
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
    );
    let found: Vec<(&Row, usize, &Found)> = rows
        .iter()
        .flat_map(|r| r.findings.iter().enumerate().map(move |(i, f)| (r, i, f)))
        .collect();
    let finding_rows = (
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
    );
    [facts, revisions, officer_rows, finding_rows]
}
