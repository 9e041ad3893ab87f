//! From the input Parquet to per-subject counts (polars, lazy, streaming):
//! every fact is credited to the officers of the act it belongs to (a
//! closing, decision, review or case-file review to its matter's officers; a
//! complaint closing to the complaint's), and to its body once.
use std::path::Path;

use polars::prelude::*;
use probity_proto::{
    intake::v1::{FactKind, TransferKind},
    registry::v1::BodyKind,
};

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

fn is_in(kinds: &[FactKind]) -> Expr {
    let v: Vec<i32> = kinds.iter().map(|k| *k as i32).collect();
    col("kind").is_in(lit(Series::new("kinds".into(), v)).implode(false), false)
}

fn value_if(e: Expr, v: Expr) -> Expr {
    when(e).then(v).otherwise(lit(0.0))
}

/// One column per count for each fact: a boolean (does it count) or, for
/// hours, exam scores and item scores, the amount. Narrow on purpose: these
/// travel through the officer join, 10 million rows of them.
fn per_fact(year: i32) -> Vec<Expr> {
    let act = is_in(&[FactKind::Matter, FactKind::Inspection]);
    let decision = k(FactKind::Decision);
    let training = k(FactKind::Training);
    let item = k(FactKind::AssessmentItem).and(col("item_year").eq(lit(year)));
    let transfer =
        |t: TransferKind| k(FactKind::Transfer).and(col("transfer_kind").eq(lit(t as i32)));
    vec![
        k(FactKind::Matter).alias("matters"),
        // each matter, complaint and wrongful case once (Facts::count_once)
        k(FactKind::MatterClosing)
            .and(col("repeat").not())
            .alias("completed"),
        decision.clone().alias("decisions"),
        k(FactKind::ReviewOutcome)
            .and(col("wrongful"))
            .and(col("repeat").not())
            .alias("wrongful"),
        k(FactKind::Inspection).alias("inspections"),
        k(FactKind::Inspection)
            .and(col("random"))
            .alias("random_inspections"),
        k(FactKind::Complaint).alias("complaints"),
        k(FactKind::ComplaintClosing)
            .and(col("repeat").not())
            .alias("complaints_closed"),
        k(FactKind::Transfer).alias("transfers"),
        transfer(TransferKind::OtherDepartmentInCase).alias("transfers_a"),
        transfer(TransferKind::FoundInDailyWork).alias("transfers_b"),
        transfer(TransferKind::SuspectedCrime).alias("transfers_c"),
        value_if(training.clone(), col("hours")).alias("training_hours"),
        value_if(training.clone().and(col("has_exam")), col("exam")).alias("exam_sum"),
        training.and(col("has_exam")).alias("exams"),
        act.clone().alias("acts"),
        act.and(col("records").gt(lit(0))).alias("recorded_acts"),
        k(FactKind::CaseFileReview).alias("files_reviewed"),
        k(FactKind::CaseFileReview)
            .and(col("six_ok"))
            .alias("files_passed"),
        decision.clone().and(col("penalty")).alias("penalties"),
        decision
            .clone()
            .and(col("penalty"))
            .and(col("within"))
            .alias("penalties_within"),
        decision.clone().and(col("major")).alias("major_decisions"),
        decision
            .and(col("major"))
            .and(col("reviewed"))
            .alias("major_reviewed"),
        value_if(item.clone(), col("item_score")).alias("item_score_sum"),
        item.alias("items"),
    ]
}

/// Every fact credited through an act (`root`: the fid whose officers get
/// the credit) with its per-fact counts. Only the kinds that refer to
/// another fact are joined, each with the one kind it refers to, found among
/// the year's facts or the earlier facts they refer to (`refs.parquet`:
/// joined, never counted).
pub fn attributed(dir: &Path, year: i32) -> PolarsResult<LazyFrame> {
    let facts = scan(dir, "facts.parquet")?;
    let lookup = concat(
        [facts.clone(), scan(dir, "refs.parquet")?],
        UnionArgs::default(),
    )?;
    let refs = |kind: FactKind, as_name: &str| {
        lookup.clone().filter(k(kind)).select([
            col("body").alias("r_body"),
            col("source_id").alias("r_source"),
            col("fid").alias(as_name),
        ])
    };
    let inner = || JoinArgs::new(JoinType::Inner);
    let on = || [col("body"), col("ref_source")];
    let r_on = || [col("r_body"), col("r_source")];
    // A decision's matter, for the reviews of the decision.
    let decisions = lookup
        .clone()
        .filter(k(FactKind::Decision))
        .join(refs(FactKind::Matter, "root"), on(), r_on(), inner())
        .select([
            col("body").alias("r_body"),
            col("source_id").alias("r_source"),
            col("root"),
        ]);
    let mut out = vec![col("root")];
    out.extend(per_fact(year));
    let direct = facts
        .clone()
        .filter(is_in(&[
            FactKind::Matter,
            FactKind::Inspection,
            FactKind::Complaint,
            FactKind::Transfer,
            FactKind::Training,
        ]))
        .with_column(col("fid").alias("root"))
        .select(out.clone());
    let via = |kinds: &[FactKind], target: LazyFrame| {
        facts
            .clone()
            .filter(is_in(kinds))
            .join(target, on(), r_on(), inner())
            .select(out.clone())
    };
    concat(
        [
            direct,
            via(
                &[FactKind::MatterClosing, FactKind::Decision],
                refs(FactKind::Matter, "root"),
            ),
            via(
                &[FactKind::ReviewOutcome, FactKind::CaseFileReview],
                decisions,
            ),
            via(
                &[FactKind::ComplaintClosing],
                refs(FactKind::Complaint, "root"),
            ),
        ],
        UnionArgs::default(),
    )
}

/// Sums of the per-fact columns, as numbers.
fn sums(names: &[&str]) -> Vec<Expr> {
    names
        .iter()
        .map(|n| col(*n).sum().cast(DataType::Float64).alias(*n))
        .collect()
}

/// The volumes an officer is credited with for an act: withheld for the
/// acts with a finding on that officer.
const CREDITED_VOLUMES: &[&str] = &[
    "matters",
    "completed",
    "inspections",
    "complaints",
    "complaints_closed",
    "transfers",
    "transfers_a",
    "transfers_b",
    "transfers_c",
];

/// Counts per officer (OFFICER_COUNTS), every registered officer included.
pub fn officer_counts(dir: &Path, year: i32) -> PolarsResult<LazyFrame> {
    let counts: Vec<&str> = OFFICER_COUNTS
        .iter()
        .copied()
        .filter(|c| *c != "findings")
        .collect();
    let officers_of = concat(
        [
            scan(dir, "fact_officers.parquet")?,
            scan(dir, "ref_officers.parquet")?,
        ],
        UnionArgs::default(),
    )?;
    // An act with a finding on an officer earns that officer no volume
    // credit: a breach must not count as work done (Art. 16-20).
    let named = scan(dir, "findings.parquet")?
        .filter(col("officer").neq(lit("")))
        .select([
            col("fid").alias("t_fid"),
            col("officer").alias("t_officer"),
            lit(true).alias("tainted"),
        ])
        .unique(None, UniqueKeepStrategy::Any);
    let uncredited: Vec<Expr> = CREDITED_VOLUMES
        .iter()
        .map(|c| col(*c).and(col("tainted").not()).alias(*c))
        .collect();
    let credited = attributed(dir, year)?
        .join(
            officers_of,
            [col("root")],
            [col("fid")],
            JoinArgs::new(JoinType::Inner),
        )
        // By the act (root): a finding on a matter withholds its closing's
        // credit from that officer too.
        .join(
            named,
            [col("root"), col("officer")],
            [col("t_fid"), col("t_officer")],
            JoinArgs::new(JoinType::Left),
        )
        .with_column(col("tainted").fill_null(lit(false)))
        .with_columns(uncredited)
        .group_by([col("officer")])
        .agg(sums(&counts));
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

/// Counts per assessed unit (departments and towns, [`levels`]) over its
/// own facts, each fact once (an act with two officers counts once); no
/// references needed: a fact is its body's.
pub fn department_counts(dir: &Path, year: i32) -> PolarsResult<LazyFrame> {
    let all: Vec<&str> = OFFICER_COUNTS
        .iter()
        .chain(DEPARTMENT_EXTRA)
        .copied()
        .filter(|c| *c != "findings")
        .collect();
    let mut cols = vec![col("body")];
    cols.extend(per_fact(year));
    let credited = scan(dir, "facts.parquet")?
        .select(cols)
        .group_by([col("body")])
        .agg(sums(&all));
    let findings = findings_by_rule(scan(dir, "findings.parquet")?, "body");
    let fill = zero_filled(OFFICER_COUNTS.iter().chain(DEPARTMENT_EXTRA).copied());
    Ok(scan(dir, "bodies.parquet")?
        .join(
            levels(dir)?,
            [col("body")],
            [col("l_body")],
            JoinArgs::new(JoinType::Left),
        )
        .filter(col("assessed"))
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

/// Which bodies the office assesses as units, and which of them are towns,
/// from the registry's kind and parent alone (`l_body`, `town`,
/// `assessed`). Art. 4: the office assesses the city's departments and the
/// lower governments (下级人民政府): a government body whose parent is a
/// government is a town; the city government, the one above, assesses and
/// is not assessed. Nothing a department reports moves it between the two:
/// a body's kind and parent are the office's to register, and a government
/// registered under a department is not a lower government.
pub fn levels(dir: &Path) -> PolarsResult<LazyFrame> {
    let government = lit(BodyKind::Government as i32);
    let parents = scan(dir, "bodies.parquet")?.select([
        col("body").alias("p_body"),
        col("body_kind").alias("parent_kind"),
    ]);
    let is_government = col("body_kind").eq(government.clone());
    let town = is_government
        .clone()
        .and(col("parent_kind").eq(government).fill_null(lit(false)));
    Ok(scan(dir, "bodies.parquet")?
        .join(
            parents,
            [col("parent")],
            [col("p_body")],
            JoinArgs::new(JoinType::Left),
        )
        .select([
            col("body").alias("l_body"),
            town.clone().alias("town"),
            is_government.not().or(town).alias("assessed"),
        ]))
}

/// The findings column of a rule (intake's rule codes, e.g. findings_inspection_not_recorded).
pub fn rule_column(code: &str) -> String {
    format!("findings_{}", code.to_lowercase())
}

/// Findings per `key`: all of them, and one column per rule of intake's
/// catalogue (Art. 16-20: what accountability may raise cases from).
fn findings_by_rule(findings: LazyFrame, key: &str) -> LazyFrame {
    let mut aggs = vec![len().cast(DataType::Float64).alias("findings")];
    for r in probity_rules::catalogue::ALL {
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
            probity_rules::catalogue::ALL
                .iter()
                .map(|r| rule_column(r.code)),
        )
        .map(|c| col(c.as_str()).fill_null(lit(0.0)).alias(c.as_str()))
        .collect()
}
