//! From the input Parquet to per-subject counts: every fact is credited to
//! the officers of the act it belongs to (a closing, decision, review or
//! case-file review to its matter's officers; a complaint closing to the
//! complaint's), and to its body once.
//!
//! A fact travels as one integer (`code`: its kind and every flag a count
//! reads, [`code`]) with the three amounts. The crediting to officers is
//! done in memory ([`crate::crediting`]) into rows of (officer, code); the
//! departments are grouped by (body, code) with polars (lazy, streaming):
//! a handful of codes a subject. The counts are then taken from those few
//! rows by the same conditions, on the code read back into its columns
//! ([`decoded`]): one definition of each count ([`per_fact`]).
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

/// A count: whether a fact counts (`when`) and, for hours, exam scores and
/// item scores, the amount it adds (otherwise one).
struct Count {
    name: &'static str,
    when: Expr,
    amount: Option<&'static str>,
}

fn count(name: &'static str, when: Expr) -> Count {
    Count {
        name,
        when,
        amount: None,
    }
}

/// Every count, defined once over a fact's columns.
fn per_fact(year: i32) -> Vec<Count> {
    let act = is_in(&[FactKind::Matter, FactKind::Inspection]);
    let decision = k(FactKind::Decision);
    let training = k(FactKind::Training);
    let item = k(FactKind::AssessmentItem).and(col("item_year").eq(lit(year)));
    let transfer =
        |t: TransferKind| k(FactKind::Transfer).and(col("transfer_kind").eq(lit(t as i32)));
    let sum = |name, when, amount| Count {
        name,
        when,
        amount: Some(amount),
    };
    vec![
        count("matters", k(FactKind::Matter)),
        // each matter, complaint and wrongful case once (Facts::count_once)
        count(
            "completed",
            k(FactKind::MatterClosing).and(col("repeat").not()),
        ),
        count("decisions", decision.clone()),
        count(
            "wrongful",
            k(FactKind::ReviewOutcome)
                .and(col("wrongful"))
                .and(col("repeat").not()),
        ),
        count("inspections", k(FactKind::Inspection)),
        count(
            "random_inspections",
            k(FactKind::Inspection).and(col("random")),
        ),
        count("complaints", k(FactKind::Complaint)),
        count(
            "complaints_closed",
            k(FactKind::ComplaintClosing).and(col("repeat").not()),
        ),
        count("transfers", k(FactKind::Transfer)),
        count("transfers_a", transfer(TransferKind::OtherDepartmentInCase)),
        count("transfers_b", transfer(TransferKind::FoundInDailyWork)),
        count("transfers_c", transfer(TransferKind::SuspectedCrime)),
        sum("training_hours", training.clone(), "hours"),
        sum("exam_sum", training.clone().and(col("has_exam")), "exam"),
        count("exams", training.and(col("has_exam"))),
        count("acts", act.clone()),
        count("recorded_acts", act.and(col("records").gt(lit(0)))),
        count("files_reviewed", k(FactKind::CaseFileReview)),
        count(
            "files_passed",
            k(FactKind::CaseFileReview).and(col("six_ok")),
        ),
        count("penalties", decision.clone().and(col("penalty"))),
        count(
            "penalties_within",
            decision.clone().and(col("penalty")).and(col("within")),
        ),
        count("major_decisions", decision.clone().and(col("major"))),
        count(
            "major_reviewed",
            decision.and(col("major")).and(col("reviewed")),
        ),
        sum("item_score_sum", item.clone(), "item_score"),
        count("items", item),
    ]
}

/// The flags a count reads, each a bit of `code` above the kind's four.
const FLAGS: [&str; 11] = [
    "repeat",
    "wrongful",
    "random",
    "recorded",
    "penalty",
    "within",
    "major",
    "reviewed",
    "six_ok",
    "has_exam",
    "this_year",
];
/// The transfer kind sits above the flags.
const TRANSFER_SHIFT: i64 = 1 << 16;

/// A kind fits the code's four low bits, checked for every kind when the
/// crate builds; the match is exhaustive, so a new kind does not compile
/// until it is listed here (and below), instead of counting as another
/// kind's flags.
const fn fits(k: FactKind) -> bool {
    use FactKind::*;
    match k {
        Unspecified | Matter | MatterClosing | Decision | Inspection | ReviewOutcome
        | Complaint | ComplaintClosing | Transfer | Training | CaseFileReview | AssessmentItem => {
            (k as i32) < 16
        }
    }
}
const _: () = {
    use FactKind::*;
    let all = [
        Unspecified,
        Matter,
        MatterClosing,
        Decision,
        Inspection,
        ReviewOutcome,
        Complaint,
        ComplaintClosing,
        Transfer,
        Training,
        CaseFileReview,
        AssessmentItem,
    ];
    let mut i = 0;
    while i < all.len() {
        assert!(fits(all[i]));
        i += 1;
    }
};

/// A fact's kind, flags and transfer kind as one integer: every fact with
/// the same code counts alike.
pub(crate) fn code(year: i32) -> Expr {
    let flag = |name: &str| match name {
        "recorded" => col("records").gt(lit(0)),
        "this_year" => col("item_year").eq(lit(year)),
        f => col(f),
    };
    FLAGS.iter().enumerate().fold(
        col("kind").cast(DataType::Int64)
            + col("transfer_kind").cast(DataType::Int64) * lit(TRANSFER_SHIFT),
        |acc, (i, f)| acc + flag(f).cast(DataType::Int64) * lit(1i64 << (4 + i)),
    )
}

/// The columns [`per_fact`] reads, back from `code` (records as 0 or 1,
/// an item's year as `year` or 0).
fn decoded(year: i32) -> Vec<Expr> {
    let bit = |shift: i64| (col("code").floor_div(lit(shift)) % lit(2i64)).eq(lit(1i64));
    let mut out = vec![
        (col("code") % lit(16i64))
            .cast(DataType::Int32)
            .alias("kind"),
        col("code")
            .floor_div(lit(TRANSFER_SHIFT))
            .cast(DataType::Int32)
            .alias("transfer_kind"),
    ];
    for (i, f) in FLAGS.iter().enumerate() {
        let b = bit(1i64 << (4 + i));
        out.push(match *f {
            "recorded" => b.cast(DataType::Int32).alias("records"),
            "this_year" => when(b).then(lit(year)).otherwise(lit(0)).alias("item_year"),
            f => b.alias(f),
        });
    }
    out
}

/// The counts `names` per `key` from rows of (key, code, n, n_tainted,
/// amounts): each count's condition on the code read back, times the facts
/// the row stands for (for `withheld`, only those not tainted); an amount,
/// the row's sum of it.
fn pivot(grouped: LazyFrame, key: &str, year: i32, names: &[&str], withheld: &[&str]) -> LazyFrame {
    let aggs: Vec<Expr> = per_fact(year)
        .into_iter()
        .filter(|c| names.contains(&c.name))
        .map(|c| {
            let adds = match c.amount {
                Some(a) => col(a),
                None if withheld.contains(&c.name) => {
                    (col("n") - col("n_tainted")).cast(DataType::Float64)
                }
                None => col("n").cast(DataType::Float64),
            };
            when(c.when)
                .then(adds)
                .otherwise(lit(0.0))
                .sum()
                .alias(c.name)
        })
        .collect();
    grouped
        .with_columns(decoded(year))
        .group_by([col(key)])
        .agg(aggs)
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
    // Officers by their row in the registry's list (`oi`): the crediting
    // carries an integer, not a name.
    let registry = crate::collect(scan(dir, "officers.parquet")?.select([col("officer")]))?;
    let names: Vec<&str> = registry
        .column("officer")?
        .str()?
        .iter()
        .map(|o| o.unwrap_or(""))
        .collect();
    let grouped = crate::crediting::by_officer_and_code(dir, year, &names)?.lazy();
    let index = registry
        .clone()
        .lazy()
        .select([col("officer").alias("i_officer")])
        .with_row_index("oi", None);
    let credited = pivot(grouped, "oi", year, &counts, CREDITED_VOLUMES)
        .join(
            index,
            [col("oi")],
            [col("oi")],
            JoinArgs::new(JoinType::Inner),
        )
        .rename(["i_officer"], ["officer"], true)
        .drop(cols(["oi"]));
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
    let grouped = scan(dir, "facts.parquet")?
        .select([
            col("body"),
            code(year).alias("code"),
            col("hours"),
            col("exam"),
            col("item_score"),
        ])
        .group_by([col("body"), col("code")])
        .agg([
            len().alias("n"),
            col("hours").sum(),
            col("exam").sum(),
            col("item_score").sum(),
        ])
        .with_column(lit(0u32).alias("n_tainted"));
    let credited = pivot(grouped, "body", year, &all, &[]);
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
