//! From the input Parquet to per-subject counts (polars, lazy, streaming):
//! every fact is credited to the officers of the act it belongs to (a
//! closing, decision, review or case-file review to its matter's officers; a
//! complaint closing to the complaint's), and to its body once.
use std::path::Path;

use polars::prelude::*;
use probity_proto::intake::v1::{FactKind, TransferKind};

use crate::indicators::{DEPARTMENT_EXTRA, OFFICER_COUNTS};

pub fn scan(dir: &Path, name: &str) -> PolarsResult<LazyFrame> {
    let p = dir.join(name);
    LazyFrame::scan_parquet(
        PlRefPath::new(p.to_string_lossy().as_ref()),
        ScanArgsParquet::default(),
    )
}

fn k(kind: FactKind) -> Expr {
    col("kind").eq(lit(kind as i32))
}

fn flag(e: Expr) -> Expr {
    when(e).then(lit(1.0)).otherwise(lit(0.0))
}

fn value_if(e: Expr, v: Expr) -> Expr {
    when(e).then(v).otherwise(lit(0.0))
}

/// Every fact with the act its officers are credited through (`root`) and
/// one numeric column per count.
pub fn attributed(dir: &Path, year: i32) -> PolarsResult<LazyFrame> {
    let facts = scan(dir, "facts.parquet")?;
    let refs = |kind: FactKind, as_name: &str| {
        facts.clone().filter(k(kind)).select([
            col("body").alias("r_body"),
            col("source_id").alias("r_source"),
            col("fid").alias(as_name),
        ])
    };
    // A decision's matter, for reviews and case-file reviews of the decision.
    let decisions = facts
        .clone()
        .filter(k(FactKind::Decision))
        .join(
            refs(FactKind::Matter, "d_matter"),
            [col("body"), col("ref_source")],
            [col("r_body"), col("r_source")],
            JoinArgs::new(JoinType::Left),
        )
        .select([
            col("body").alias("r_body"),
            col("source_id").alias("r_source"),
            col("d_matter"),
        ]);
    let left = || JoinArgs::new(JoinType::Left);
    let on = || [col("body"), col("ref_source")];
    let r_on = || [col("r_body"), col("r_source")];
    let matter_refs = [FactKind::MatterClosing, FactKind::Decision];
    let decision_refs = [FactKind::ReviewOutcome, FactKind::CaseFileReview];
    let root = when(col("kind").is_in(
        lit(Series::new("m".into(), matter_refs.map(|x| x as i32))).implode(false),
        false,
    ))
    .then(col("matter"))
    .when(col("kind").is_in(
        lit(Series::new("d".into(), decision_refs.map(|x| x as i32))).implode(false),
        false,
    ))
    .then(col("d_matter"))
    .when(k(FactKind::ComplaintClosing))
    .then(col("complaint"))
    .otherwise(col("fid"));
    let act = k(FactKind::Matter).or(k(FactKind::Inspection));
    let decision = k(FactKind::Decision);
    let training = k(FactKind::Training);
    let transfer =
        |t: TransferKind| flag(k(FactKind::Transfer).and(col("transfer_kind").eq(lit(t as i32))));
    Ok(facts
        .clone()
        .join(refs(FactKind::Matter, "matter"), on(), r_on(), left())
        .join(decisions, on(), r_on(), left())
        .join(refs(FactKind::Complaint, "complaint"), on(), r_on(), left())
        .select([
            col("fid"),
            col("body"),
            root.alias("root"),
            flag(k(FactKind::Matter)).alias("matters"),
            flag(k(FactKind::MatterClosing)).alias("completed"),
            flag(decision.clone()).alias("decisions"),
            flag(k(FactKind::ReviewOutcome).and(col("wrongful"))).alias("wrongful"),
            flag(k(FactKind::Inspection)).alias("inspections"),
            flag(k(FactKind::Inspection).and(col("random"))).alias("random_inspections"),
            flag(k(FactKind::Complaint)).alias("complaints"),
            flag(k(FactKind::ComplaintClosing)).alias("complaints_closed"),
            flag(k(FactKind::Transfer)).alias("transfers"),
            transfer(TransferKind::OtherDepartmentInCase).alias("transfers_a"),
            transfer(TransferKind::FoundInDailyWork).alias("transfers_b"),
            transfer(TransferKind::SuspectedCrime).alias("transfers_c"),
            value_if(training.clone(), col("hours")).alias("training_hours"),
            value_if(training.clone().and(col("has_exam")), col("exam")).alias("exam_sum"),
            flag(training.and(col("has_exam"))).alias("exams"),
            flag(act.clone()).alias("acts"),
            flag(act.and(col("records").gt(lit(0)))).alias("recorded_acts"),
            flag(k(FactKind::CaseFileReview)).alias("files_reviewed"),
            flag(k(FactKind::CaseFileReview).and(col("six_ok"))).alias("files_passed"),
            flag(decision.clone().and(col("penalty"))).alias("penalties"),
            flag(decision.clone().and(col("penalty")).and(col("within"))).alias("penalties_within"),
            lit(0.0).alias("findings"),
            flag(decision.clone().and(col("major"))).alias("major_decisions"),
            flag(decision.and(col("major")).and(col("reviewed"))).alias("major_reviewed"),
            value_if(
                k(FactKind::AssessmentItem).and(col("item_year").eq(lit(year))),
                col("item_score"),
            )
            .alias("item_score_sum"),
            flag(k(FactKind::AssessmentItem).and(col("item_year").eq(lit(year)))).alias("items"),
        ]))
}

fn sums(names: &[&str]) -> Vec<Expr> {
    names.iter().map(|n| col(*n).sum().alias(*n)).collect()
}

/// Counts per officer (OFFICER_COUNTS), every registered officer included.
pub fn officer_counts(dir: &Path, year: i32) -> PolarsResult<LazyFrame> {
    let credited = attributed(dir, year)?
        .join(
            scan(dir, "fact_officers.parquet")?.rename(["fid"], ["root_fid"], true),
            [col("root")],
            [col("root_fid")],
            JoinArgs::new(JoinType::Inner),
        )
        .group_by([col("officer")])
        .agg(sums(
            &OFFICER_COUNTS
                .iter()
                .copied()
                .filter(|c| *c != "findings")
                .collect::<Vec<_>>(),
        ));
    let findings = findings_by_rule(
        scan(dir, "findings.parquet")?.filter(col("officer").neq(lit(""))),
        "officer",
    );
    let fill = zero_filled(OFFICER_COUNTS.iter().copied());
    Ok(scan(dir, "officers.parquet")?
        .join(
            credited,
            [col("officer")],
            [col("officer")],
            JoinArgs::new(JoinType::Left),
        )
        .join(
            findings,
            [col("officer")],
            [col("officer")],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns(fill))
}

/// Counts per department over its own facts (an act with two officers
/// counts once), every body that is not a government included.
pub fn department_counts(dir: &Path, year: i32) -> PolarsResult<LazyFrame> {
    let all: Vec<&str> = OFFICER_COUNTS
        .iter()
        .chain(DEPARTMENT_EXTRA)
        .copied()
        .filter(|c| *c != "findings")
        .collect();
    let credited = attributed(dir, year)?
        .group_by([col("body")])
        .agg(sums(&all));
    let findings = findings_by_rule(scan(dir, "findings.parquet")?, "body");
    let fill = zero_filled(OFFICER_COUNTS.iter().chain(DEPARTMENT_EXTRA).copied());
    Ok(scan(dir, "bodies.parquet")?
        .filter(col("body_kind").neq(lit(probity_proto::registry::v1::BodyKind::Government as i32)))
        .join(
            credited,
            [col("body")],
            [col("body")],
            JoinArgs::new(JoinType::Left),
        )
        .join(
            findings,
            [col("body")],
            [col("body")],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns(fill))
}

/// The findings column of a rule (intake's rule codes, e.g. findings_inspection_not_recorded).
pub fn rule_column(code: &str) -> String {
    format!("findings_{}", code.to_lowercase())
}

/// Findings per `key`: all of them, and one column per rule of intake's
/// catalogue (Art. 16-20: what accountability may raise cases from).
fn findings_by_rule(findings: LazyFrame, key: &str) -> LazyFrame {
    let mut aggs = vec![len().cast(DataType::Float64).alias("findings")];
    for r in probity_intake::rules::ALL {
        aggs.push(
            col("rule")
                .eq(lit(r.code))
                .cast(DataType::Float64)
                .sum()
                .alias(rule_column(r.code)),
        );
    }
    findings.group_by([col(key)]).agg(aggs)
}

/// Counts missing for a subject (no facts) are zero.
fn zero_filled<'a>(counts: impl Iterator<Item = &'a str>) -> Vec<Expr> {
    counts
        .map(String::from)
        .chain(
            probity_intake::rules::ALL
                .iter()
                .map(|r| rule_column(r.code)),
        )
        .map(|c| col(c.as_str()).fill_null(lit(0.0)).alias(c.as_str()))
        .collect()
}
