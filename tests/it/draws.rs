//! `probity draw verify`: a published draw record checked offline, through
//! the real binary, as a third party would.
use probity_draws::{Conflict, DrawRecord, Pair, RiskClass, Target};
use probity_rules::uscc::{org_check, uscc_check};

pub(crate) fn code(i: u32) -> String {
    let mut n = i;
    loop {
        let body = format!("{n:08}");
        if let Some(oc) = org_check(&body) {
            let first17 = format!("91230183{body}{oc}");
            if let Some(c) = uscc_check(&first17) {
                return format!("{first17}{c}");
            }
        }
        n += 100_000_000;
    }
}

fn record() -> DrawRecord {
    let targets = (0..50)
        .map(|i| Target {
            code: code(i),
            risk: [Some(RiskClass::A), Some(RiskClass::C), None][i as usize % 3],
        })
        .collect();
    DrawRecord::made(
        b"committed on 2026-12-01, revealed",
        "2026-12-08 welfare lottery 3D: 4 1 7",
        probity_draws::Parameters {
            ratio_a: 3_000,
            ratio_b: 2_000,
            ratio_c: 1_000,
            ratio_d: 500,
            ratio_unclassified: 1_000,
            inspectors_per_target: 2,
        },
        targets,
        (0..6).map(|i| format!("officer-{i}")).collect(),
        vec![Conflict {
            officer: "officer-1".into(),
            target: code(0),
        }],
        vec![Pair {
            target: code(3),
            officer: "officer-2".into(),
        }],
    )
    .expect("draw")
}

/// Runs `probity draw verify` on `record` written to a file.
pub(crate) async fn verify_cli(record: &serde_json::Value) -> (i32, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("record.json");
    std::fs::write(&path, serde_json::to_vec_pretty(record).unwrap()).unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_probity"))
        .args(["draw", "verify"])
        .arg(&path)
        .env_remove("PROBITY_CONFIG")
        .output()
        .await
        .expect("run probity");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// A change made to a published record.
type Alteration = fn(&mut serde_json::Value);

#[tokio::test]
async fn verify_accepts_a_published_record_and_names_each_altered_field() {
    let good = serde_json::to_value(record()).unwrap();
    let (code_, out) = verify_cli(&good).await;
    assert_eq!(code_, 0, "{out}");
    assert!(out.starts_with("matches:"), "{out}");

    // Each alteration a unit (or anyone) might make, and the field named.
    let cases: [(&str, Alteration); 5] = [
        ("targets:", |r| {
            r["targets"].as_array_mut().unwrap().pop();
        }),
        ("inspectors:", |r| r["inspectors"][0] = "officer-9".into()),
        ("seed:", |r| {
            r["seed"] = "6120626574746572207365656421".into()
        }),
        ("result[", |r| {
            r["public_value"] = "2026-12-08 welfare lottery 3D: 9 9 9".into()
        }),
        ("result[1].inspectors:", |r| {
            let first = r["result"][1]["inspectors"][0].clone();
            r["result"][1]["inspectors"][0] = r["result"][1]["inspectors"][1].clone();
            r["result"][1]["inspectors"][1] = first;
        }),
    ];
    for (field, alter) in cases {
        let mut bad = good.clone();
        alter(&mut bad);
        let (code_, out) = verify_cli(&bad).await;
        assert_eq!(code_, 1, "{field}: {out}");
        assert!(out.contains(&format!("  {field}")), "{field}: {out}");
    }

    let (code_, out) = verify_cli(&serde_json::json!({"format": "x"})).await;
    assert_eq!(code_, 2, "{out}");
    assert!(out.contains("not a draw record"), "{out}");
}
