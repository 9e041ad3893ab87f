//! The draw's procedure: determinism, offline verification, uniformity,
//! recusal and the two-inspector rule, and a unit's attempts to game it.
use probity_draws::lists::{Conflict, Pair, RiskClass, Target};
use probity_draws::record::{DrawRecord, verify};
use probity_draws::sampler::Stream;
use probity_draws::select::{DrawError, Parameters, draw, understaffed};
use probity_rules::uscc::{org_check, uscc_check};

/// The `i`th well-formed credit code of a synthetic list.
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

fn targets(n: u32, risk: Option<RiskClass>) -> Vec<Target> {
    (0..n)
        .map(|i| Target {
            code: code(i),
            risk,
        })
        .collect()
}

fn officers(n: u32) -> Vec<String> {
    (0..n).map(|i| format!("officer-{i:04}")).collect()
}

fn params(ratio: u32, per_target: u32) -> Parameters {
    Parameters {
        ratio_a: ratio,
        ratio_b: ratio,
        ratio_c: ratio,
        ratio_d: ratio,
        ratio_unclassified: ratio,
        inspectors_per_target: per_target,
    }
}

fn record() -> DrawRecord {
    let mut t = targets(30, Some(RiskClass::A));
    t.extend((30..60).map(|i| Target {
        code: code(i),
        risk: None,
    }));
    DrawRecord::made(
        b"the unit's secret seed, 32 bytes",
        "2026-12-08 welfare lottery 3D: 4 1 7",
        params(2_000, 2),
        t,
        officers(8),
        vec![Conflict {
            officer: "officer-0001".into(),
            target: code(3),
        }],
        vec![Pair {
            target: code(4),
            officer: "officer-0002".into(),
        }],
    )
    .unwrap()
}

fn fields(r: &DrawRecord) -> Vec<String> {
    verify(r).into_iter().map(|m| m.field).collect()
}

#[test]
fn a_published_record_verifies_and_the_draw_is_deterministic() {
    let r = record();
    assert_eq!(verify(&r), vec![]);
    assert_eq!(
        r.result.len(),
        12,
        "20% of 30 A targets and of 30 unclassified"
    );
    assert_eq!(record(), r);
    // The order of a list as published does not matter: its encoding sorts it.
    let mut shuffled = r.clone();
    shuffled.targets.reverse();
    shuffled.inspectors.reverse();
    assert_eq!(verify(&shuffled), vec![]);
}

#[test]
fn verify_names_an_altered_list() {
    let mut r = record();
    r.targets.pop();
    assert_eq!(fields(&r), ["targets"]);
    let mut r = record();
    r.inspectors[0] = "officer-9999".into();
    assert_eq!(fields(&r), ["inspectors"]);
    let mut r = record();
    r.conflicts.clear();
    assert_eq!(fields(&r), ["conflicts"]);
    let mut r = record();
    r.previous.clear();
    assert_eq!(fields(&r), ["previous"]);
    let mut r = record();
    r.targets[0].risk = Some(RiskClass::B);
    assert_eq!(fields(&r), ["targets"]);
}

#[test]
fn verify_names_an_altered_seed_public_value_or_result() {
    let mut r = record();
    r.seed = hex::encode(b"another seed entirely, 32 bytes!");
    assert_eq!(fields(&r), ["seed"]);

    // A public value changed after the fact changes the draw.
    let mut r = record();
    r.public_value = "2026-12-08 welfare lottery 3D: 4 1 8".into();
    let f = fields(&r);
    assert!(
        !f.is_empty() && f.iter().all(|f| f.starts_with("result[")),
        "{f:?}"
    );

    let mut r = record();
    r.result[3].inspectors.swap(0, 1);
    assert_eq!(fields(&r), ["result[3].inspectors"]);
    let mut r = record();
    r.result[5].target = code(59);
    assert_eq!(fields(&r), ["result[5].target"]);
    let mut r = record();
    r.result.pop();
    assert_eq!(fields(&r), ["result"]);
    let mut r = record();
    r.parameters.ratio_a = 3_000;
    assert!(fields(&r).iter().all(|f| f.starts_with("result")));
}

#[test]
fn recusal_and_last_time_pairs_are_skipped_and_two_officers_always_go() {
    let t = targets(40, Some(RiskClass::C));
    let pool = officers(5);
    // officer-0000 and officer-0001 declared conflicts with every target;
    // officer-0002 went to every target last time: only 0003 and 0004 remain.
    let mut conflicts = Vec::new();
    let mut previous = Vec::new();
    for x in &t {
        for o in ["officer-0000", "officer-0001"] {
            conflicts.push(Conflict {
                officer: o.into(),
                target: x.code.clone(),
            });
        }
        previous.push(Pair {
            target: x.code.clone(),
            officer: "officer-0002".into(),
        });
    }
    let p = params(10_000, 2);
    let out = draw(b"seed", "pv", &p, &t, &pool, &conflicts, &previous).unwrap();
    assert_eq!(out.len(), 40);
    for a in &out {
        let mut s = a.inspectors.clone();
        s.sort();
        assert_eq!(s, ["officer-0003", "officer-0004"], "{}", a.target);
    }
    // With one more conflict a target cannot get two officers: the freeze
    // finds it before any seed is revealed, and the draw refuses too.
    conflicts.push(Conflict {
        officer: "officer-0003".into(),
        target: t[7].code.clone(),
    });
    assert_eq!(
        understaffed(&p, &t, &pool, &conflicts, &previous),
        [t[7].code.clone()]
    );
    assert_eq!(
        draw(b"seed", "pv", &p, &t, &pool, &conflicts, &previous),
        Err(DrawError::Understaffed(t[7].code.clone()))
    );
    // Fewer than two officers per target is not a plan.
    assert_eq!(params(10_000, 1).problems(), ["inspectors_per_target"]);
}

#[test]
fn a_bad_code_or_a_duplicate_is_refused() {
    let mut t = targets(3, None);
    let wrong = if t[1].code.ends_with('0') { "1" } else { "0" };
    t[1].code.replace_range(17..18, wrong);
    let err = draw(b"s", "pv", &params(10_000, 2), &t, &officers(3), &[], &[]).unwrap_err();
    assert!(
        matches!(err, DrawError::Lists(ref m) if m.starts_with("targets[1]")),
        "{err}"
    );
    let t = vec![
        targets(1, None)[0].clone(),
        targets(1, Some(RiskClass::A))[0].clone(),
    ];
    let err = draw(b"s", "pv", &params(10_000, 2), &t, &officers(3), &[], &[]).unwrap_err();
    assert!(
        matches!(err, DrawError::Lists(ref m) if m.contains("twice")),
        "{err}"
    );
}

/// Pearson's statistic of `counts` against equal expected counts.
fn chi_square(counts: &[u64]) -> f64 {
    let total: u64 = counts.iter().sum();
    let e = total as f64 / counts.len() as f64;
    counts.iter().map(|&c| (c as f64 - e).powi(2) / e).sum()
}

// Critical values of chi-square at p = 0.001 (the runs are deterministic,
// so a pass is a pass every time).
const CHI2_999_DF19: f64 = 43.82;
const CHI2_999_DF99: f64 = 148.23;

#[test]
fn targets_and_inspectors_are_drawn_uniformly_over_seeds() {
    let t = targets(20, Some(RiskClass::B));
    let pool = officers(20);
    let p = params(500, 2); // 5% of 20: one target a draw
    let mut by_target = vec![0u64; 20];
    let mut by_officer = vec![0u64; 20];
    for s in 0..4_000u32 {
        let out = draw(&s.to_be_bytes(), "pv", &p, &t, &pool, &[], &[]).unwrap();
        assert_eq!(out.len(), 1);
        let i = t.iter().position(|x| x.code == out[0].target).unwrap();
        by_target[i] += 1;
        for o in &out[0].inspectors {
            by_officer[pool.iter().position(|x| x == o).unwrap()] += 1;
        }
    }
    assert!(chi_square(&by_target) < CHI2_999_DF19, "{by_target:?}");
    assert!(chi_square(&by_officer) < CHI2_999_DF19, "{by_officer:?}");
}

/// The sampler's rejection rule, at a word width where a plain modulo's
/// bias shows: 256 mod 100 = 56, so a modulo gives 0..55 three chances in
/// 256 and 56..99 two.
#[test]
fn the_sampler_is_unbiased_where_a_plain_modulo_is_not() {
    let mut rejecting = Stream::new([7; 32]);
    let mut plain = Stream::new([7; 32]);
    let (mut fair, mut biased) = (vec![0u64; 100], vec![0u64; 100]);
    for _ in 0..100_000 {
        fair[rejecting.below_in(100, 8) as usize] += 1;
        biased[((plain.next_word() >> 56) % 100) as usize] += 1;
    }
    assert!(chi_square(&fair) < CHI2_999_DF99, "{}", chi_square(&fair));
    assert!(
        chi_square(&biased) > CHI2_999_DF99,
        "{}",
        chi_square(&biased)
    );
}

/// The unit would like a draw that spares its friends. It commits to a
/// seed before the lists are frozen and the office records the public value
/// after: a seed picked after seeing the public value no longer opens the
/// commitment, and re-drawing with the same inputs gives the same result.
#[test]
fn a_unit_cannot_choose_its_result() {
    let r = record();
    // Grinding seeds after the public value is known: each one fails the
    // commitment that was published before the value existed.
    for s in 0..50u32 {
        let mut forged = r.clone();
        forged.seed = hex::encode(s.to_be_bytes());
        let again = DrawRecord::made(
            &s.to_be_bytes(),
            &r.public_value,
            r.parameters.clone(),
            r.targets.clone(),
            r.inspectors.clone(),
            r.conflicts.clone(),
            r.previous.clone(),
        )
        .unwrap();
        forged.result = again.result;
        assert!(fields(&forged).contains(&"seed".to_string()));
    }
    // Re-drawing: nothing in the inputs is left to vary, so the same
    // committed seed and public value always give the published result.
    for _ in 0..3 {
        assert_eq!(record().result, r.result);
    }
    // Dropping a target it dislikes from the frozen list changes the digest
    // published before the draw.
    let mut shrunk = r.clone();
    shrunk.targets.retain(|t| t.code != r.result[0].target);
    assert!(fields(&shrunk).contains(&"targets".to_string()));
}
