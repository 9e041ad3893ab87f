//! A city's year written straight to the rankings job's input directory,
//! without servers (issue 16): the same files, columns and types the job's
//! extract writes from intake and the registry (its own builders,
//! `probity_rankings::extract::{FactFiles, write_registry}`), for years of
//! tens of millions of facts. The same plan and seed draw the same facts
//! as `build`; resource names are made up from the seed
//! ([`names::synthesize`]).
//!
//! Memory is bounded by two bodies' years (one drawn while the other is
//! written) and the job's row groups, not by the city's year.
use std::{
    collections::{BTreeMap, HashMap, HashSet},
    path::Path,
    sync::mpsc,
};

use probity_proto::{
    intake::v1::SubmitFactRequest,
    registry::v1::{Body, Officer, OfficerStatus},
};
use probity_rankings::{
    extract::{self, Counts, FactFiles},
    report_inputs::{Previous, ReportInputs},
};
use probity_rules::city::{day_start_us, year_of_us};

use crate::{
    Blueprint, CityPlan, GroundTruth,
    facts::{self, BodyFacts},
    intake::resolve,
    planted,
    progress::{Progress, Stage},
    truth::Pattern,
};

pub mod names;
pub mod recorded;

/// What was written.
#[derive(Debug, Clone)]
pub struct Written {
    /// With the synthesized resource names.
    pub truth: GroundTruth,
    /// Resource name -> the city's key, for bodies and officers.
    pub keys: BTreeMap<String, String>,
    /// Rows of the job's inputs.
    pub counts: Counts,
    /// Facts drawn (voided ones included) by kind (FACT_KIND_* names).
    pub by_kind: BTreeMap<String, u64>,
}

/// Writes the year `plan` draws into `dir` as the job's input.
pub fn write_year(plan: &CityPlan, dir: &Path, progress: &dyn Progress) -> anyhow::Result<Written> {
    progress.begin(Stage::Plan, 0);
    let bp = Blueprint::new(plan)?;
    let synth = names::synthesize(&bp);
    progress.finish(Stage::Plan);
    std::fs::create_dir_all(dir)?;

    // The rules each pattern's facts break, and whom they name.
    let none = planted::truth(
        &bp,
        &[],
        BTreeMap::new(),
        Some(planted::Names {
            bodies: &synth.bodies,
            officers: &synth.officers,
        }),
        (None, None),
    );
    let rules: recorded::Findings = none
        .planted
        .iter()
        .map(|p| {
            let named = p.officer.as_ref().unwrap_or(&p.subject);
            let v = p
                .findings
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let officer = if i == 0 && p.names_officer {
                        named.name.clone()
                    } else {
                        String::new()
                    };
                    (r.clone(), officer)
                })
                .collect();
            (p.pattern, v)
        })
        .collect();

    let mut w = Writer {
        bp: &bp,
        synth: &synth,
        rules: &rules,
        files: FactFiles::new(dir),
        fid: 0,
        by_kind: BTreeMap::new(),
        progress,
    };
    let budget: u64 = bp.bodies.iter().map(|b| b.budget).sum();
    let city = facts::city_trainings(&bp);
    progress.begin(Stage::Facts, budget + city.len() as u64);
    let mut digests = BTreeMap::new();
    digests.insert(bp.bodies[0].key.clone(), facts::digest(city.iter()));
    let mut planted = Vec::new();
    // One thread draws the next body's year while this one writes.
    std::thread::scope(|s| -> anyhow::Result<()> {
        let (tx, rx) = mpsc::sync_channel::<(usize, BodyFacts, String)>(0);
        let bp = &bp;
        s.spawn(move || {
            for b in 1..bp.bodies.len() {
                let f = facts::body_facts(bp, b);
                let digest = f.digest();
                if tx.send((b, f, digest)).is_err() {
                    return;
                }
            }
        });
        w.write(city, &HashMap::new(), &HashSet::new())?;
        for (b, f, digest) in rx {
            digests.insert(bp.bodies[b].key.clone(), digest);
            let BodyFacts {
                mut own,
                mut office,
                planted: p,
                voids,
            } = f;
            let of: HashMap<String, Pattern> = p.iter().map(|(p, s)| (s.clone(), *p)).collect();
            let voids: HashSet<String> = voids.into_iter().collect();
            planted.extend(p.into_iter().map(|(p, s)| (p, b, s)));
            let computed = recorded::Body::new(&bp.bodies[b], &own);
            for r in own.iter_mut().chain(office.iter_mut()) {
                if let Some(p) = r.fact.as_mut().and_then(|f| f.payload.as_mut()) {
                    computed.compute(p);
                }
            }
            w.write(own, &of, &voids)?;
            w.write(office, &of, &voids)?;
        }
        Ok(())
    })?;
    progress.finish(Stage::Facts);
    let Writer { files, by_kind, .. } = w;
    let by_kind = by_kind
        .into_iter()
        .map(|(k, n)| (k.to_string(), n))
        .collect();
    let counts = files.finish()?;

    progress.begin(
        Stage::Registry,
        (bp.bodies.len() + bp.officers.len()) as u64,
    );
    let (bodies, officers) = registry(&bp, &synth, dir)?;
    extract::no_references(dir)?;
    ReportInputs {
        cases: Some(vec![]),
        previous: Previous {
            year: plan.year - 1,
            ..Default::default()
        },
        superior: vec![],
        notices: Some(vec![]),
    }
    .save(dir)?;
    progress.advance(Stage::Registry, (bodies + officers) as u64);
    progress.finish(Stage::Registry);

    let truth = planted::truth(
        &bp,
        &planted,
        digests,
        Some(planted::Names {
            bodies: &synth.bodies,
            officers: &synth.officers,
        }),
        (None, None),
    );
    let keys = bp
        .bodies
        .iter()
        .map(|b| &b.key)
        .zip(&synth.bodies)
        .chain(bp.officers.iter().map(|o| &o.key).zip(&synth.officers))
        .map(|(k, n)| (n.clone(), k.clone()))
        .collect();
    Ok(Written {
        truth,
        keys,
        counts: Counts {
            bodies,
            officers,
            ..counts
        },
        by_kind,
    })
}

struct Writer<'a> {
    bp: &'a Blueprint,
    synth: &'a names::Synthesized,
    rules: &'a recorded::Findings,
    files: FactFiles,
    fid: i64,
    by_kind: BTreeMap<&'static str, u64>,
    progress: &'a dyn Progress,
}

impl Writer<'_> {
    /// A body's facts as intake would export them, in the order sent:
    /// each gets the next id, its planted findings, and is voided if the
    /// body voids it; those of other years are not the year's.
    fn write(
        &mut self,
        facts: Vec<SubmitFactRequest>,
        planted: &HashMap<String, Pattern>,
        voids: &HashSet<String>,
    ) -> anyhow::Result<()> {
        let year = self.bp.plan.year;
        let n = facts.len() as u64;
        for mut r in facts {
            *self
                .by_kind
                .entry(crate::intake::kind_name(&r))
                .or_default() += 1;
            resolve(&mut r, &self.synth.names)?;
            let Some(mut f) = r.fact else { continue };
            let Some(p) = f.payload.as_ref() else {
                continue;
            };
            self.fid += 1;
            let at = recorded::occurred(p);
            let us = at
                .as_ref()
                .and_then(probity_common::names::from_ts)
                .map(|t| t.timestamp_micros());
            if us.map(year_of_us) != Some(year) {
                continue;
            }
            f.name = format!("facts/{}", self.fid);
            f.kind = p.kind() as i32;
            f.occur_time = at;
            f.revision = 1;
            f.voided = voids.contains(&f.source_id);
            if let Some(rules) = planted.get(&f.source_id).and_then(|p| self.rules.get(p)) {
                f.findings = recorded::findings(rules, &f.name, &f.body, f.voided);
            }
            self.files.push(&f)?;
        }
        self.progress.advance(Stage::Facts, n);
        Ok(())
    }
}

/// The registry's snapshot as the job reads it: every body; every officer
/// in the body that made them, active from being hired, with the days of
/// the year that makes.
fn registry(
    bp: &Blueprint,
    synth: &names::Synthesized,
    dir: &Path,
) -> anyhow::Result<(usize, usize)> {
    let y = bp.plan.year;
    let (from_us, until_us) = (
        day_start_us(chrono::NaiveDate::from_ymd_opt(y, 1, 1).unwrap_or_default()),
        day_start_us(chrono::NaiveDate::from_ymd_opt(y + 1, 1, 1).unwrap_or_default()) - 1,
    );
    let bodies: Vec<Body> = bp
        .bodies
        .iter()
        .zip(&synth.bodies)
        .map(|(b, name)| Body {
            name: name.clone(),
            parent: b
                .parent
                .map(|p| synth.bodies[p].clone())
                .unwrap_or_default(),
            kind: b.kind as i32,
            display_name: b.display_name.clone(),
            vertically_managed: b.vertically_managed,
            ..Default::default()
        })
        .collect();
    let officers: Vec<(Officer, f64)> = bp
        .officers
        .iter()
        .zip(&synth.officers)
        .map(|(o, name)| {
            let hired = o.hired.timestamp_micros();
            (
                Officer {
                    name: name.clone(),
                    body: synth.bodies[o.body].clone(),
                    kind: o.kind as i32,
                    status: OfficerStatus::Active as i32,
                    display_name: o.display_name.clone(),
                    ..Default::default()
                },
                extract::active_days(&[(hired, true)], from_us, until_us),
            )
        })
        .collect();
    extract::write_registry(dir, &bodies, &officers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Quiet;

    fn small(seed: u64) -> CityPlan {
        CityPlan {
            seed,
            departments: 8,
            towns: 2,
            officers: 90,
            facts: 4_000,
            year: 2025,
            ..CityPlan::default()
        }
    }

    const FILES: &[&str] = &[
        "bodies.parquet",
        "officers.parquet",
        "facts.parquet",
        "fact_officers.parquet",
        "findings.parquet",
        "refs.parquet",
        "ref_officers.parquet",
        "report.json",
    ];

    fn files(dir: &Path) -> Vec<Vec<u8>> {
        FILES
            .iter()
            .map(|f| std::fs::read(dir.join(f)).unwrap())
            .collect()
    }

    #[test]
    fn the_same_seed_writes_the_same_files() {
        let (a, b, c) = (
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
        );
        let one = write_year(&small(16), a.path(), &Quiet).unwrap();
        let two = write_year(&small(16), b.path(), &Quiet).unwrap();
        write_year(&small(17), c.path(), &Quiet).unwrap();
        assert_eq!(files(a.path()), files(b.path()));
        assert_ne!(files(a.path())[2], files(c.path())[2]);
        assert_eq!(one.truth, two.truth);
        // Every planted finding is written; voided facts are not, their
        // findings are.
        let planted: usize = one
            .truth
            .planted
            .iter()
            .map(|p| p.facts.len() * p.findings.len())
            .sum();
        assert!(planted > 0);
        assert_eq!(one.counts.findings, planted);
        let voided = one
            .truth
            .planted
            .iter()
            .filter(|p| p.voided)
            .map(|p| p.facts.len())
            .sum::<usize>();
        assert!(voided > 0);
        let drawn: u64 = one.by_kind.values().sum();
        assert_eq!(one.counts.facts as u64 + voided as u64, drawn);
    }
}
