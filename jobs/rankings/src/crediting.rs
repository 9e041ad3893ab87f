//! Every fact credited to the officers of the act it belongs to, grouped by
//! (officer, code): the officer counts' heavy part, done in memory.
//!
//! The facts' key columns are read once. A fact refers only to its own
//! body's acts, so each body is worked alone (the bodies shared among the
//! threads): a referring fact finds its act through hash maps keyed by
//! source id that borrow the strings read, so a match is a match of the
//! strings themselves. Acts are rows (the year's facts, then
//! `refs.parquet`) and each row's officers sit in one array, so crediting a
//! fact is a slice, not a join. The result has a few rows a subject, which
//! [`crate::compute`] turns into counts by the same definitions as before.
use std::path::Path;

use polars::prelude::*;
use probity_proto::intake::v1::FactKind;

use crate::compute::{code, scan};

const MATTER: i32 = FactKind::Matter as i32;
const MATTER_CLOSING: i32 = FactKind::MatterClosing as i32;
const DECISION: i32 = FactKind::Decision as i32;
const INSPECTION: i32 = FactKind::Inspection as i32;
const REVIEW: i32 = FactKind::ReviewOutcome as i32;
const COMPLAINT: i32 = FactKind::Complaint as i32;
const COMPLAINT_CLOSING: i32 = FactKind::ComplaintClosing as i32;
const TRANSFER: i32 = FactKind::Transfer as i32;
const TRAINING: i32 = FactKind::Training as i32;
const FILE_REVIEW: i32 = FactKind::CaseFileReview as i32;

/// Rows of fact_officers.parquet read at a time: the officers' names are
/// turned into registry rows a slice at a time, never all held as strings.
const OFFICER_SLICE: i64 = 1 << 22;

/// A body's source ids to rows, where a key may name more than one row (as
/// an inner join would pair it with each).
struct Keyed<'a> {
    first: PlHashMap<&'a str, u32>,
    more: PlHashMap<&'a str, Vec<u32>>,
}

impl<'a> Keyed<'a> {
    fn new() -> Self {
        Keyed {
            first: PlHashMap::default(),
            more: PlHashMap::default(),
        }
    }

    fn insert(&mut self, key: &'a str, row: u32) {
        // rows are inserted once each: another row found means a repeated key
        let first = *self.first.entry(key).or_insert(row);
        if first != row {
            self.more.entry(key).or_default().push(row);
        }
    }

    fn each(&self, key: &'a str, mut f: impl FnMut(u32)) {
        if let Some(r) = self.first.get(key) {
            f(*r);
            if !self.more.is_empty()
                && let Some(rs) = self.more.get(key)
            {
                rs.iter().for_each(|r| f(*r));
            }
        }
    }
}

/// Bodies as small integers, in the order first seen.
#[derive(Default)]
struct Bodies<'a> {
    ids: PlHashMap<&'a str, u32>,
    last: Option<(&'a str, u32)>,
}

impl<'a> Bodies<'a> {
    fn id(&mut self, b: &'a str) -> u32 {
        // Facts come body by body or nearly: most rows repeat the last one.
        if let Some((s, i)) = self.last
            && s == b
        {
            return i;
        }
        let n = self.ids.len() as u32;
        let i = *self.ids.entry(b).or_insert(n);
        self.last = Some((b, i));
        i
    }
}

/// A fid's row: a cursor walk when the fids are ascending (fact_officers
/// follows the facts' order, so each step is the same row or the next),
/// a hash map otherwise.
struct Rows<'a> {
    fids: &'a [i64],
    ascending: bool,
    at: usize,
    map: PlHashMap<i64, u32>,
}

impl<'a> Rows<'a> {
    fn new(fids: &'a [i64]) -> Self {
        let ascending = fids.windows(2).all(|w| w[0] < w[1]);
        let map = if ascending {
            PlHashMap::default()
        } else {
            fids.iter()
                .enumerate()
                .map(|(i, f)| (*f, i as u32))
                .collect()
        };
        Rows {
            fids,
            ascending,
            at: 0,
            map,
        }
    }

    fn row(&mut self, fid: i64) -> Option<u32> {
        if !self.ascending {
            return self.map.get(&fid).copied();
        }
        let f = self.fids;
        if self.at < f.len() && f[self.at] == fid {
            return Some(self.at as u32);
        }
        if self.at + 1 < f.len() && f[self.at + 1] == fid {
            self.at += 1;
            return Some(self.at as u32);
        }
        let i = f.binary_search(&fid).ok()?;
        self.at = i;
        Some(i as u32)
    }
}

#[derive(Default, Clone, Copy)]
struct Sums {
    n: u32,
    n_tainted: u32,
    hours: f64,
    exam: f64,
}

/// The threads polars is given (POLARS_MAX_THREADS), for the loop done here.
fn threads() -> usize {
    std::env::var("POLARS_MAX_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1)
}

fn strs<'a>(df: &'a DataFrame, name: &str) -> PolarsResult<impl Iterator<Item = &'a str> + 'a> {
    Ok(df.column(name)?.str()?.iter().map(|v| v.unwrap_or("")))
}

/// Per (registry row of the officer `oi`, code): the facts credited `n`,
/// of which `n_tainted` through an act with a finding naming that officer,
/// and their hours and exam scores. `registered`: the registry's officers
/// in order (an officer it does not list is not ranked, so not counted).
pub fn by_officer_and_code(dir: &Path, year: i32, registered: &[&str]) -> PolarsResult<DataFrame> {
    let keys = || {
        [
            col("fid"),
            col("kind").fill_null(lit(0)),
            col("body").fill_null(lit("")),
            col("source_id").fill_null(lit("")),
            col("ref_source").fill_null(lit("")),
        ]
    };
    let mut wanted = keys().to_vec();
    wanted.extend([
        code(year).fill_null(lit(0i64)).alias("code"),
        col("hours").fill_null(lit(0.0)),
        col("exam").fill_null(lit(0.0)),
    ]);
    let mut facts = crate::collect(scan(dir, "facts.parquet")?.select(wanted))?;
    let mut refs = crate::collect(scan(dir, "refs.parquet")?.select(keys()))?;
    // One chunk a column, so a row is an index; the frames' columns are
    // then taken out whole and the bodies' names dropped once numbered.
    facts.rechunk_mut_par();
    refs.rechunk_mut_par();
    let n_facts = facts.height();
    let n_rows = n_facts + refs.height();

    // The columns read by row (the facts' rows, then the references').
    let one =
        |df: &DataFrame, name: &str| -> PolarsResult<Column> { Ok(df.column(name)?.rechunk()) };
    let (f_kind, r_kind) = (one(&facts, "kind")?, one(&refs, "kind")?);
    let (f_kind, r_kind) = (f_kind.i32()?.cont_slice()?, r_kind.i32()?.cont_slice()?);
    let (f_src, r_src) = (one(&facts, "source_id")?, one(&refs, "source_id")?);
    let (f_src, r_src) = (
        f_src.str()?.downcast_as_array(),
        r_src.str()?.downcast_as_array(),
    );
    let (f_ref, r_ref) = (one(&facts, "ref_source")?, one(&refs, "ref_source")?);
    let (f_ref, r_ref) = (
        f_ref.str()?.downcast_as_array(),
        r_ref.str()?.downcast_as_array(),
    );
    let (code_c, hours_c, exam_c) = (
        one(&facts, "code")?,
        one(&facts, "hours")?,
        one(&facts, "exam")?,
    );
    let (codes, hours, exams) = (
        code_c.i64()?.cont_slice()?,
        hours_c.f64()?.cont_slice()?,
        exam_c.f64()?.cont_slice()?,
    );
    let n = n_facts as u32;
    let kind = |r: u32| {
        if r < n {
            f_kind[r as usize]
        } else {
            r_kind[(r - n) as usize]
        }
    };
    let source = |r: u32| {
        if r < n {
            f_src.value(r as usize)
        } else {
            r_src.value((r - n) as usize)
        }
    };
    let refers = |r: u32| {
        if r < n {
            f_ref.value(r as usize)
        } else {
            r_ref.value((r - n) as usize)
        }
    };

    // Rows by body: a fact refers only to its own body's acts, so each
    // body is worked alone, on whichever thread, with maps of its size.
    let (f_body, r_body) = (one(&facts, "body")?, one(&refs, "body")?);
    let (f_fid, r_fid) = (one(&facts, "fid")?, one(&refs, "fid")?);
    drop((facts, refs));
    let (n_bodies, body_of) = {
        let mut bodies = Bodies::default();
        let mut body_of = Vec::with_capacity(n_rows);
        for c in [&f_body, &r_body] {
            for b in c.str()?.iter().map(|b| b.unwrap_or("")) {
                body_of.push(bodies.id(b));
            }
        }
        (bodies.ids.len(), body_of)
    };
    drop((f_body, r_body));
    let mut body_start = vec![0u32; n_bodies + 1];
    for b in &body_of {
        body_start[*b as usize + 1] += 1;
    }
    for b in 0..n_bodies {
        body_start[b + 1] += body_start[b];
    }
    let mut body_rows = vec![0u32; n_rows];
    let mut next = body_start.clone();
    for (r, b) in body_of.iter().enumerate() {
        body_rows[next[*b as usize] as usize] = r as u32;
        next[*b as usize] += 1;
    }
    drop((body_of, next));

    // Each row's officers (registry rows), from fact_officers then
    // ref_officers, as one array sliced by row.
    let index: PlHashMap<&str, u32> = registered
        .iter()
        .enumerate()
        .map(|(i, o)| (*o, i as u32))
        .collect();
    let fact_fids = f_fid.i64()?.cont_slice()?;
    let ref_fids: Vec<i64> = r_fid.i64()?.iter().map(|v| v.unwrap_or(-1)).collect();
    let mut fact_rows = Rows::new(fact_fids);
    let mut ref_rows = Rows::new(&ref_fids);
    let mut row_of = |fid: i64| {
        fact_rows
            .row(fid)
            .or_else(|| ref_rows.row(fid).map(|r| r + n_facts as u32))
    };
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    for name in ["fact_officers.parquet", "ref_officers.parquet"] {
        let mut offset = 0;
        loop {
            let part = crate::collect(
                scan(dir, name)?
                    .select([col("fid"), col("officer")])
                    .slice(offset, OFFICER_SLICE as IdxSize),
            )?;
            for (fid, officer) in part
                .column("fid")?
                .i64()?
                .iter()
                .zip(strs(&part, "officer")?)
            {
                if let (Some(fid), Some(oi)) = (fid, index.get(officer))
                    && let Some(row) = row_of(fid)
                {
                    pairs.push((row, *oi));
                }
            }
            if (part.height() as i64) < OFFICER_SLICE {
                break;
            }
            offset += OFFICER_SLICE;
        }
    }
    if !pairs.windows(2).all(|w| w[0].0 <= w[1].0) {
        pairs.sort_unstable();
    }
    let mut start = vec![0u32; n_rows + 1];
    for (row, _) in &pairs {
        start[*row as usize + 1] += 1;
    }
    for r in 0..n_rows {
        start[r + 1] += start[r];
    }
    let officers_of = |row: u32| {
        let r = row as usize;
        &pairs[start[r] as usize..start[r + 1] as usize]
    };

    // Acts with a finding naming an officer: that officer earns no volume
    // credit for it (counted apart as n_tainted).
    let findings = crate::collect(
        scan(dir, "findings.parquet")?
            .filter(col("officer").neq(lit("")))
            .select([col("fid"), col("officer")]),
    )?;
    let mut named: PlHashSet<(u32, u32)> = PlHashSet::default();
    let mut has_named = vec![false; n_rows];
    for (fid, officer) in findings
        .column("fid")?
        .i64()?
        .iter()
        .zip(strs(&findings, "officer")?)
    {
        if let (Some(fid), Some(oi)) = (fid, index.get(officer))
            && let Some(row) = row_of(fid)
        {
            named.insert((row, *oi));
            has_named[row as usize] = true;
        }
    }

    // Every fact of the year to its act(s), and on to their officers, a
    // body at a time: the bodies shared out among the threads (the largest
    // first, each to the least loaded), each thread summing apart.
    let threads = threads().min(n_bodies.max(1));
    let mut order: Vec<usize> = (0..n_bodies).collect();
    order.sort_by_key(|b| std::cmp::Reverse(body_start[b + 1] - body_start[*b]));
    let mut shares: Vec<(u64, Vec<usize>)> = vec![(0, Vec::new()); threads];
    for b in order {
        let least = shares
            .iter_mut()
            .min_by_key(|(load, _)| *load)
            .expect("one thread at least");
        least.0 += (body_start[b + 1] - body_start[b]) as u64;
        least.1.push(b);
    }
    let credit_bodies = |mine: &[usize]| -> PlHashMap<(u32, i64), Sums> {
        let mut sums: PlHashMap<(u32, i64), Sums> = PlHashMap::default();
        for &b in mine {
            let rows = &body_rows[body_start[b] as usize..body_start[b + 1] as usize];
            // The acts a fact may refer to, by source id: matters and
            // complaints, and a decision standing for its matter (a
            // decision whose matter is missing credits no one).
            let mut matters = Keyed::new();
            let mut complaints = Keyed::new();
            let mut decisions = Keyed::new();
            for &r in rows {
                match kind(r) {
                    MATTER => matters.insert(source(r), r),
                    COMPLAINT => complaints.insert(source(r), r),
                    _ => {}
                }
            }
            for &r in rows {
                if kind(r) == DECISION {
                    matters.each(refers(r), |root| decisions.insert(source(r), root));
                }
            }
            for &r in rows.iter().take_while(|r| **r < n) {
                let i = r as usize;
                let (code, hours, exam) = (codes[i], hours[i], exams[i]);
                let mut credit = |root: u32| {
                    let tainted = has_named[root as usize];
                    for (_, oi) in officers_of(root) {
                        let s = sums.entry((*oi, code)).or_default();
                        s.n += 1;
                        s.n_tainted += (tainted && named.contains(&(root, *oi))) as u32;
                        s.hours += hours;
                        s.exam += exam;
                    }
                };
                match kind(r) {
                    MATTER | INSPECTION | COMPLAINT | TRANSFER | TRAINING => credit(r),
                    MATTER_CLOSING | DECISION => matters.each(refers(r), credit),
                    REVIEW | FILE_REVIEW => decisions.each(refers(r), credit),
                    COMPLAINT_CLOSING => complaints.each(refers(r), credit),
                    _ => {}
                }
            }
        }
        sums
    };
    let parts: Vec<PlHashMap<(u32, i64), Sums>> = std::thread::scope(|s| {
        let handles: Vec<_> = shares
            .iter()
            .map(|(_, mine)| {
                let credit_bodies = &credit_bodies;
                s.spawn(move || credit_bodies(mine))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a crediting thread panicked"))
            .collect()
    });
    let mut sums: PlHashMap<(u32, i64), Sums> = PlHashMap::default();
    for part in parts {
        for (k, v) in part {
            let s = sums.entry(k).or_default();
            s.n += v.n;
            s.n_tainted += v.n_tainted;
            s.hours += v.hours;
            s.exam += v.exam;
        }
    }

    let mut sorted: Vec<_> = sums.into_iter().collect();
    sorted.sort_unstable_by_key(|(k, _)| *k);
    DataFrame::new_infer_height(vec![
        Column::new(
            "oi".into(),
            sorted.iter().map(|(k, _)| k.0).collect::<Vec<u32>>(),
        ),
        Column::new(
            "code".into(),
            sorted.iter().map(|(k, _)| k.1).collect::<Vec<i64>>(),
        ),
        Column::new(
            "n".into(),
            sorted.iter().map(|(_, s)| s.n).collect::<Vec<u32>>(),
        ),
        Column::new(
            "n_tainted".into(),
            sorted
                .iter()
                .map(|(_, s)| s.n_tainted)
                .collect::<Vec<u32>>(),
        ),
        Column::new(
            "hours".into(),
            sorted.iter().map(|(_, s)| s.hours).collect::<Vec<f64>>(),
        ),
        Column::new(
            "exam".into(),
            sorted.iter().map(|(_, s)| s.exam).collect::<Vec<f64>>(),
        ),
    ])
}
