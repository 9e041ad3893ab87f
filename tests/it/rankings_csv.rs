//! The job's CSV tables open in a spreadsheet without running anything a
//! name says (CSV formula injection): an officer registered as `=2+5`, a
//! department and a town whose names begin with `@`, `+` and `-`, go into
//! officers.csv, departments.csv and towns.csv as text with a leading single
//! quote (OWASP), while the numbers (negative ones too) stay numbers and the
//! Parquet tables keep the names as recorded.
use std::path::Path;

use chrono::{Duration, Utc};
use probity_proto::registry::v1::*;

use crate::{
    db_test,
    fixtures::*,
    harness::TestServer,
    rankings::{a_year, csv, run, test_plan},
    rankings_towns::a_town,
    util::mask,
};

const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

async fn rename(s: &TestServer, body: &Body, name: &str) {
    s.legal()
        .await
        .update_body(UpdateBodyRequest {
            request_id: rid(),
            body: Some(Body {
                name: body.name.clone(),
                display_name: name.into(),
                ..Default::default()
            }),
            update_mask: mask(&["display_name"]),
            reason: "更名".into(),
        })
        .await
        .expect("rename");
}

/// Every cell of the file that a spreadsheet would start a formula with is
/// a number; the planted names are there, quoted.
fn safe(path: &Path, planted: &[&str]) {
    let rows = csv(path);
    assert!(!rows.is_empty(), "{}: no rows", path.display());
    let mut cells = Vec::new();
    for row in &rows {
        for (column, v) in row {
            if v.starts_with(FORMULA_START) {
                assert!(
                    v.parse::<f64>().is_ok(),
                    "{}: {column} = {v:?} would run as a formula",
                    path.display()
                );
            }
            cells.push(v.clone());
        }
    }
    for p in planted {
        let quoted = format!("'{p}");
        assert!(
            cells.contains(&quoted),
            "{}: {p:?} is not there as {quoted:?}",
            path.display()
        );
    }
}

db_test!(csv_cells_never_start_a_formula, |b| async move {
    let s = TestServer::start(b).await;
    let y = a_year(&s).await;
    let since = since();
    let planted_officer = "=2+5";
    let o = officer(
        &s,
        &y.w.dept,
        planted_officer,
        OfficerKind::Officer,
        vec![y.w.post.name.clone()],
        9,
        since,
    )
    .await;
    credential(&s, &o, "HLJ-0009", since, Utc::now() + Duration::days(1000)).await;
    let planted_dept = "@SUM(A1:A9)局";
    rename(&s, &y.w.dept, planted_dept).await;
    let planted_small = "+1+1局";
    rename(&s, &y.small, planted_small).await;
    let planted_town = "-2+3镇";
    a_town(&s, &y.w.gov, planted_town, 121, 2, 1).await;

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    run(&s, &out, &test_plan(dir.path()), false).await;
    safe(
        &out.join("officers.csv"),
        &[planted_officer, planted_dept, planted_small],
    );
    safe(&out.join("departments.csv"), &[planted_dept, planted_small]);
    safe(&out.join("towns.csv"), &[planted_town]);
    s.stop().await;
});
