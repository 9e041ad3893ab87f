//! A draw over 100,000 targets and 2,000 inspectors: the time of hashing the
//! lists alone, of the draw, and of verifying its record, and peak memory.
//! `cargo run --release -p probity-draws --example draw_bench [RECORD.json]`
//! (with a path, the record is written there, e.g. for another verifier).
use std::time::Instant;

use probity_draws::lists::{Conflict, ListDigests, Pair, RiskClass, Target};
use probity_draws::record::{DrawRecord, verify};
use probity_draws::select::Parameters;
use probity_rules::uscc::{org_check, uscc_check};

fn code(i: u32) -> String {
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

/// Peak resident memory of this process so far, in MiB (Linux).
fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    const CLASSES: [Option<RiskClass>; 5] = [
        Some(RiskClass::A),
        Some(RiskClass::B),
        Some(RiskClass::C),
        Some(RiskClass::D),
        None,
    ];
    let targets: Vec<Target> = (0..100_000u32)
        .map(|i| Target {
            code: code(i),
            risk: CLASSES[i as usize % 5],
        })
        .collect();
    let inspectors: Vec<String> = (0..2_000).map(|i| format!("officer-{i:05}")).collect();
    // One declared conflict per 100 targets; last year's draw sent two
    // officers to every fifth target.
    let conflicts: Vec<Conflict> = (0..1_000usize)
        .map(|i| Conflict {
            officer: inspectors[i * 7 % 2_000].clone(),
            target: targets[i * 100].code.clone(),
        })
        .collect();
    let previous: Vec<Pair> = (0..20_000usize)
        .flat_map(|i| {
            [0, 1].map(|k| Pair {
                target: targets[i * 5].code.clone(),
                officer: inspectors[(i * 2 + k) % 2_000].clone(),
            })
        })
        .collect();
    let params = Parameters {
        ratio_a: 5_000,
        ratio_b: 2_000,
        ratio_c: 1_000,
        ratio_d: 500,
        ratio_unclassified: 1_000,
        inspectors_per_target: 2,
    };
    let base = peak_mib();

    let t = Instant::now();
    let d = ListDigests::of(&targets, &inspectors, &conflicts, &previous);
    let hashing = t.elapsed();
    std::hint::black_box(d);

    let t = Instant::now();
    let record = DrawRecord::made(
        &[0x5e; 32],
        "2026-12-08 welfare lottery 3D: 4 1 7",
        params,
        targets,
        inspectors,
        conflicts,
        previous,
    )
    .expect("draw");
    let drawing = t.elapsed();
    let after_draw = peak_mib();

    let t = Instant::now();
    assert!(verify(&record).is_empty());
    let verifying = t.elapsed();

    let t = Instant::now();
    let json = serde_json::to_vec(&record).expect("json");
    let serialising = t.elapsed();
    if let Some(path) = std::env::args().nth(1) {
        std::fs::write(path, &json).expect("write the record");
    }

    println!("targets 100000, inspectors 2000, conflicts 1000, previous pairs 40000");
    println!("drawn targets            {}", record.result.len());
    println!(
        "hash the four lists      {:>8.1} ms",
        hashing.as_secs_f64() * 1e3
    );
    println!(
        "draw (digests + select)  {:>8.1} ms",
        drawing.as_secs_f64() * 1e3
    );
    println!(
        "verify the record        {:>8.1} ms",
        verifying.as_secs_f64() * 1e3
    );
    println!(
        "record as JSON           {:>8.1} ms, {} bytes",
        serialising.as_secs_f64() * 1e3,
        json.len()
    );
    println!(
        "peak RSS: lists built {base:.1} MiB, after the draw {after_draw:.1} MiB, at the end {:.1} MiB",
        peak_mib()
    );
}
