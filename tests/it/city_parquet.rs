//! The synthetic city's year written straight to the rankings job's input
//! Parquet (no servers, for benchmark years of tens of millions of facts)
//! ranks exactly as the same city built through the APIs and extracted by
//! the job: every cell of both tables equal once resource ids are read as
//! the city's keys.
use std::{
    collections::{BTreeMap, HashMap},
    path::Path,
};

use probity_city::{DevTokens, Endpoints, Quiet};

use crate::{city::small_plan, db_test, harness::TestServer};

type Table = BTreeMap<String, BTreeMap<String, String>>;

/// A table of the job with every resource name replaced by the city's key,
/// rows by their `key` column.
fn keyed(path: &Path, key: &str, keys: &HashMap<String, String>) -> Table {
    crate::rankings::csv(path)
        .into_iter()
        .map(|row| {
            let row: BTreeMap<String, String> = row
                .into_iter()
                .map(|(c, v)| {
                    let v = keys.get(&v).cloned().unwrap_or(v);
                    (c, v)
                })
                .collect();
            (row[key].clone(), row)
        })
        .collect()
}

/// Every cell that differs: (row, column, built, written).
fn differences(built: &Table, written: &Table) -> Vec<String> {
    let mut out = Vec::new();
    for (k, row) in built {
        let Some(other) = written.get(k) else {
            out.push(format!("{k}: only in the built city's table"));
            continue;
        };
        for (c, v) in row {
            let w = other.get(c).map(String::as_str).unwrap_or("<missing>");
            if v != w {
                out.push(format!("{k} {c}: built {v}, written {w}"));
            }
        }
    }
    for k in written.keys().filter(|k| !built.contains_key(*k)) {
        out.push(format!("{k}: only in the written city's table"));
    }
    out
}

/// Computes and writes the job's tables from an input directory, as `run`
/// does after its extract (on a deep stack: polars plans are recursive).
fn job_tables(input: &Path, out: &Path, year: i32, counts: probity_rankings::extract::Counts) {
    let (input, out) = (input.to_path_buf(), out.to_path_buf());
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            let plan = probity_rankings::Plan::load(None).unwrap();
            let tables = probity_rankings::output::compute(&input, &plan, year).unwrap();
            let last = chrono::NaiveDate::from_ymd_opt(year, 12, 31).unwrap();
            probity_rankings::output::write(
                &out, &input, &plan, year, last, false, &counts, tables,
            )
            .unwrap();
        })
        .unwrap()
        .join()
        .unwrap();
}

db_test!(
    a_city_written_straight_to_parquet_ranks_as_built,
    |backend| async move {
        let s = TestServer::start(backend).await;
        let plan = small_plan(16);
        let city = probity_city::build(
            &Endpoints::all(&s.url()),
            &DevTokens::new(&s.settings),
            &plan,
            &Quiet,
        )
        .await
        .expect("the city builds");
        assert!(city.surprises.is_empty(), "{:#?}", city.surprises);
        let built = tempfile::tempdir().unwrap();
        probity_rankings::run(
            &crate::rankings::job_settings(&s),
            probity_rankings::RunOptions {
                year: plan.year,
                out: Some(built.path().to_path_buf()),
                quiet: true,
                ..Default::default()
            },
        )
        .await
        .expect("rankings run");
        s.stop().await;

        let written = tempfile::tempdir().unwrap();
        let input = written.path().join("input");
        let (p, i) = (plan.clone(), input.clone());
        let year =
            tokio::task::spawn_blocking(move || probity_city::parquet::write_year(&p, &i, &Quiet))
                .await
                .unwrap()
                .expect("the year is written");
        // The same city: the same facts drawn, the same truth.
        assert_eq!(
            year.truth.without_server_answers(),
            city.truth.without_server_answers()
        );
        assert_eq!(year.by_kind, city.counts.by_kind);
        job_tables(&input, written.path(), plan.year, year.counts.clone());

        let mut built_keys: HashMap<String, String> = HashMap::new();
        for b in &city.bodies {
            built_keys.insert(b.name.clone(), b.key.clone());
        }
        for o in &city.officers {
            built_keys.insert(o.name.clone(), o.key.clone());
        }
        let written_keys: HashMap<String, String> = year.keys.clone().into_iter().collect();
        let tables = [
            ("officers.csv", "officer", 8),
            ("departments.csv", "body", 8),
            ("towns.csv", "body", plan.towns),
        ];
        for (file, key, at_least) in tables {
            let b = keyed(&built.path().join(file), key, &built_keys);
            let w = keyed(&written.path().join(file), key, &written_keys);
            assert!(b.len() >= at_least, "{file}: {} rows", b.len());
            let diff = differences(&b, &w);
            assert!(diff.is_empty(), "{file}: {diff:#?}");
        }
        // Both saw the same findings, and some.
        let findings = |dir: &Path| -> usize {
            crate::rankings::csv(&dir.join("departments.csv"))
                .iter()
                .map(|r| r["findings"].parse::<f64>().unwrap() as usize)
                .sum()
        };
        assert!(findings(written.path()) > 0);
        assert_eq!(findings(written.path()), findings(built.path()));
    }
);
