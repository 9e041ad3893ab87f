//! One ExportFactColumns message (a run of facts with their officers and
//! findings, as Arrow) made into the rows of the job's three input tables,
//! by the same rules as `extract::FactFiles` applies to Fact messages: a
//! voided fact brings only its findings, a finding in force holds its fact
//! to the breach, a repeat is marked, an officer is credited once an act.
use std::collections::HashSet;

use polars::prelude::*;
use polars_arrow::io::ipc::read::{StreamReader, StreamState, read_stream_metadata};
use probity_proto::intake::v1::{ExportFactColumnsResponse, FactKind};

use crate::extract::{Held, counts_once, finding_in_force, held_by};

/// An IPC stream of one record batch (what each field of the message is)
/// as a DataFrame.
fn read(ipc: &[u8]) -> anyhow::Result<DataFrame> {
    let mut cursor = std::io::Cursor::new(ipc);
    let meta = read_stream_metadata(&mut cursor)?;
    let fields: Vec<_> = meta.schema.iter_values().cloned().collect();
    let mut frames = Vec::new();
    for state in StreamReader::new(cursor, meta, None) {
        let StreamState::Some(batch) = state? else {
            anyhow::bail!("intake ExportFactColumns: a message ended early");
        };
        let columns = fields
            .iter()
            .zip(batch.into_arrays())
            .map(|(f, a)| Ok(Column::from(Series::from_arrow(f.name.clone(), a)?)))
            .collect::<PolarsResult<Vec<_>>>()?;
        frames.push(DataFrame::new_infer_height(columns)?);
    }
    let mut it = frames.into_iter();
    let mut df = it
        .next()
        .ok_or_else(|| anyhow::anyhow!("intake ExportFactColumns: no record batch"))?;
    for more in it {
        df.vstack_mut(&more)?;
    }
    Ok(df)
}

fn i64s<'a>(df: &'a DataFrame, name: &str) -> anyhow::Result<&'a [i64]> {
    Ok(df.column(name)?.i64()?.cont_slice()?)
}

fn i32s(df: &DataFrame, name: &str) -> anyhow::Result<Vec<i32>> {
    Ok(df.column(name)?.i32()?.cont_slice()?.to_vec())
}

fn bools(df: &DataFrame, name: &str) -> anyhow::Result<Vec<bool>> {
    Ok(df
        .column(name)?
        .bool()?
        .iter()
        .map(|b| b == Some(true))
        .collect())
}

/// The message's rows of facts.parquet, fact_officers.parquet and
/// findings.parquet, facts after `until_us` left out; `counted` is what the
/// year counted so far (repeats).
pub fn frames(
    m: &ExportFactColumnsResponse,
    until_us: i64,
    counted: &mut HashSet<(i32, String, String)>,
    routine: &mut crate::drawn_share::Tally,
) -> anyhow::Result<[DataFrame; 3]> {
    let facts = read(&m.facts)?;
    let ids = i64s(&facts, "id")?;
    let at = i64s(&facts, "occurred_us")?;
    let voided = bools(&facts, "voided")?;
    let in_window: Vec<bool> = at.iter().map(|t| *t <= until_us).collect();
    let counted_row: Vec<bool> = in_window
        .iter()
        .zip(&voided)
        .map(|(w, v)| *w && !v)
        .collect();
    let row_of = |id: i64| ids.binary_search(&id).ok();

    let mut records = i32s(&facts, "records")?;
    let mut major = bools(&facts, "major")?;
    let mut reviewed = bools(&facts, "legal_review_ok")?;
    let mut within = bools(&facts, "within_benchmark")?;

    // findings in force of the facts in the window, voided ones too
    let findings = read(&m.findings)?;
    let (fi_id, fi_state) = (
        i64s(&findings, "id")?,
        findings.column("state")?.i32()?.cont_slice()?,
    );
    let (fi_rule, fi_officer) = (
        findings.column("rule")?.str()?,
        findings.column("officer")?.str()?,
    );
    let body = facts.column("body")?.str()?;
    let (mut o_fid, mut o_body, mut o_officer, mut o_rule) = (vec![], vec![], vec![], vec![]);
    for (i, (id, state)) in fi_id.iter().zip(fi_state).enumerate() {
        let Some(row) = row_of(*id) else { continue };
        if !in_window[row] || !finding_in_force(*state) {
            continue;
        }
        let rule = fi_rule.get(i).unwrap_or_default();
        if counted_row[row] {
            match held_by(rule) {
                Some(Held::NotRecorded) => records[row] = 0,
                Some(Held::UnreviewedMajor) => {
                    major[row] = true;
                    reviewed[row] = false;
                }
                Some(Held::OutsideBenchmark) => within[row] = false,
                None => {}
            }
        }
        o_fid.push(*id);
        o_body.push(body.get(row).unwrap_or_default());
        o_officer.push(fi_officer.get(i).unwrap_or_default());
        o_rule.push(rule);
    }
    let findings_out = DataFrame::new_infer_height(vec![
        Column::new("fid".into(), o_fid),
        Column::new("body".into(), o_body),
        Column::new("officer".into(), o_officer),
        Column::new("rule".into(), o_rule),
    ])?;

    // repeats, in id order (the order the year is read in)
    let kind = i32s(&facts, "kind")?;
    let wrongful = bools(&facts, "wrongful")?;
    let refers_to = facts.column("refers_to")?.str()?;
    let mut repeat = vec![false; ids.len()];
    for row in (0..ids.len()).filter(|r| counted_row[*r]) {
        if counts_once(kind[row], wrongful[row]) {
            let key = (
                kind[row],
                body.get(row).unwrap_or_default().to_string(),
                refers_to.get(row).unwrap_or_default().to_string(),
            );
            repeat[row] = !counted.insert(key);
        }
    }
    // Art. 19(7): the live inspections and complaints of the window.
    let (power, cause) = (facts.column("power")?.str()?, facts.column("cause")?.str()?);
    let verified = bools(&facts, "draw_verified")?;
    let source = facts.column("source_id")?.str()?;
    for row in (0..ids.len()).filter(|r| counted_row[*r]) {
        let unit = body.get(row).unwrap_or_default();
        if kind[row] == FactKind::Inspection as i32 {
            routine.push_inspection(
                unit,
                power.get(row).unwrap_or_default(),
                cause.get(row).unwrap_or_default(),
                verified[row],
            );
        } else if kind[row] == FactKind::Complaint as i32 {
            routine.push_complaint(unit, source.get(row).unwrap_or_default());
        }
    }
    let has_exam = bools(&facts, "has_exam")?;
    let exam: Vec<f64> = facts
        .column("exam_score")?
        .f64()?
        .cont_slice()?
        .iter()
        .zip(&has_exam)
        .map(|(s, h)| if *h { *s } else { 0.0 })
        .collect();
    let col = |name: &str, as_: &str| -> anyhow::Result<Column> {
        Ok(facts.column(name)?.clone().with_name(as_.into()))
    };
    let keep = BooleanChunked::from_slice("keep".into(), &counted_row);
    let facts_out = DataFrame::new_infer_height(vec![
        col("id", "fid")?,
        col("kind", "kind")?,
        col("body", "body")?,
        col("source_id", "source_id")?,
        col("refers_to", "ref_source")?,
        col("occurred_us", "occurred_us")?,
        Column::new("records".into(), records),
        col("draw_verified", "random")?,
        col("wrongful", "wrongful")?,
        Column::new("repeat".into(), repeat),
        Column::new("major".into(), major),
        Column::new("reviewed".into(), reviewed),
        col("penalty", "penalty")?,
        Column::new("within".into(), within),
        col("hours", "hours")?,
        Column::new("exam".into(), exam),
        Column::new("has_exam".into(), has_exam),
        col("case_file_standard", "six_ok")?,
        col("transfer_kind", "transfer_kind")?,
        col("item_score", "item_score")?,
        col("item_year", "item_year")?,
    ])?
    .filter(&keep)?;

    // each officer once an act, of the facts counted
    let officers = read(&m.officers)?;
    let of_id = i64s(&officers, "id")?;
    let of_name = officers.column("officer")?.str()?;
    let mut take = vec![false; of_id.len()];
    let mut seen: Vec<&str> = Vec::new();
    for (i, id) in of_id.iter().enumerate() {
        if i == 0 || of_id[i - 1] != *id {
            seen.clear();
        }
        let name = of_name.get(i).unwrap_or_default();
        if row_of(*id).is_some_and(|r| counted_row[r]) && !seen.contains(&name) {
            seen.push(name);
            take[i] = true;
        }
    }
    let officers_out = DataFrame::new_infer_height(vec![
        officers.column("id")?.clone().with_name("fid".into()),
        officers.column("officer")?.clone(),
    ])?
    .filter(&BooleanChunked::from_slice("take".into(), &take))?;
    Ok([facts_out, officers_out, findings_out])
}
