//! Prints the worked example of docs/draws.md: every encoding, digest, the
//! stream's key and first words, and the result.
//! `cargo run -p probity-draws --example worked_example`
use probity_draws::lists::{
    Conflict, ListDigests, Pair, RiskClass, Target, conflicts_encoding, inspectors_encoding,
    previous_encoding, sha256, targets_encoding,
};
use probity_draws::record::DrawRecord;
use probity_draws::sampler::Stream;
use probity_draws::select::{Parameters, stream_key};
use probity_rules::uscc::{org_check, uscc_check};

fn main() {
    // Three well-formed codes: a company body, its GB 11714 check, its GB 32100 check.
    let code = |body: &str| {
        let first17 = format!("91230183{body}{}", org_check(body).unwrap());
        format!("{first17}{}", uscc_check(&first17).unwrap())
    };
    let targets = vec![
        Target {
            code: code("MA1B2C3D"),
            risk: Some(RiskClass::A),
        },
        Target {
            code: code("00000001"),
            risk: Some(RiskClass::A),
        },
        Target {
            code: code("00000010"),
            risk: None,
        },
    ];
    let inspectors: Vec<String> = ["officer-c", "officer-a", "officer-b"]
        .map(String::from)
        .to_vec();
    let conflicts: Vec<Conflict> = vec![];
    let previous: Vec<Pair> = vec![];
    let params = Parameters {
        ratio_a: 5_000,
        ratio_b: 0,
        ratio_c: 0,
        ratio_d: 0,
        ratio_unclassified: 10_000,
        inspectors_per_target: 2,
    };
    let seed = b"example seed";
    let public_value = "2026-12-08 3D 4 1 7";
    for (name, enc) in [
        ("targets", targets_encoding(&targets)),
        ("inspectors", inspectors_encoding(&inspectors)),
        ("conflicts", conflicts_encoding(&conflicts)),
        ("previous", previous_encoding(&previous)),
        ("parameters", params.encoding()),
    ] {
        println!(
            "--- {name} encoding ({} bytes):\n{}--- sha256 {}",
            enc.len(),
            String::from_utf8_lossy(&enc),
            hex::encode(sha256(&enc))
        );
    }
    println!("seed hex {}", hex::encode(seed));
    println!("commitment {}", hex::encode(sha256(seed)));
    let d = ListDigests::of(&targets, &inspectors, &conflicts, &previous);
    let key = stream_key(seed, public_value, &d, &params);
    println!("key {}", hex::encode(key));
    let mut s = Stream::new(key);
    for i in 0..8 {
        println!("word {i} {:016x}", s.next_word());
    }
    let r = DrawRecord::made(
        seed,
        public_value,
        params,
        targets,
        inspectors,
        conflicts,
        previous,
    )
    .unwrap();
    println!("{}", serde_json::to_string_pretty(&r).unwrap());
}
