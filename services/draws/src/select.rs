//! The selection: targets per risk class at the plan's ratios, then at
//! least two inspectors per target, skipping declared conflicts and the
//! officers the previous draw sent to the same target.
use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::lists::{Conflict, Inspector, ListDigests, Pair, RiskClass, Target, sha256};
use crate::sampler::Stream;

/// The order classes are drawn in; `None` is the unclassified targets.
pub const CLASS_ORDER: [Option<RiskClass>; 5] = [
    Some(RiskClass::A),
    Some(RiskClass::B),
    Some(RiskClass::C),
    Some(RiskClass::D),
    None,
];

/// The draw's parameters, from the unit's annual plan: the share of each
/// class drawn, in basis points (10000 = all), and inspectors per target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parameters {
    pub ratio_a: u32,
    pub ratio_b: u32,
    pub ratio_c: u32,
    pub ratio_d: u32,
    pub ratio_unclassified: u32,
    pub inspectors_per_target: u32,
}

impl Parameters {
    pub fn ratio(&self, class: Option<RiskClass>) -> u32 {
        match class {
            Some(RiskClass::A) => self.ratio_a,
            Some(RiskClass::B) => self.ratio_b,
            Some(RiskClass::C) => self.ratio_c,
            Some(RiskClass::D) => self.ratio_d,
            None => self.ratio_unclassified,
        }
    }

    /// The fields out of range, by name.
    pub fn problems(&self) -> Vec<&'static str> {
        let mut bad = Vec::new();
        for (name, v) in [
            ("ratio_a", self.ratio_a),
            ("ratio_b", self.ratio_b),
            ("ratio_c", self.ratio_c),
            ("ratio_d", self.ratio_d),
            ("ratio_unclassified", self.ratio_unclassified),
        ] {
            if v > 10_000 {
                bad.push(name);
            }
        }
        // Art. 9(4)'s joint inspection: never fewer than two officers.
        if !(2..=10).contains(&self.inspectors_per_target) {
            bad.push("inspectors_per_target");
        }
        bad
    }

    pub fn encoding(&self) -> Vec<u8> {
        format!(
            "probity-draws/parameters/v1\nA {}\nB {}\nC {}\nD {}\n- {}\nper_target {}\n",
            self.ratio_a,
            self.ratio_b,
            self.ratio_c,
            self.ratio_d,
            self.ratio_unclassified,
            self.inspectors_per_target
        )
        .into_bytes()
    }

    /// How many of `n` targets of a class are drawn: the ratio's share,
    /// rounded up.
    pub fn quota(&self, class: Option<RiskClass>, n: usize) -> usize {
        (n as u64 * u64::from(self.ratio(class))).div_ceil(10_000) as usize
    }
}

/// One drawn target and the officers sent to it, in drawn order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub target: String,
    pub inspectors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrawError {
    #[error("parameters out of range: {0:?}")]
    Parameters(Vec<&'static str>),
    #[error("the lists cannot be drawn from: {0}")]
    Lists(String),
    #[error("target {0} has fewer eligible inspectors than the plan sends")]
    Understaffed(String),
}

/// The key of the draw's stream: everything the draw depends on, fixed by
/// the commitment, the public value and the frozen lists.
pub fn stream_key(
    seed: &[u8],
    public_value: &str,
    digests: &ListDigests,
    params: &Parameters,
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"probity-draws/key/v1\n");
    h.update((seed.len() as u32).to_be_bytes());
    h.update(seed);
    h.update((public_value.len() as u32).to_be_bytes());
    h.update(public_value.as_bytes());
    h.update(digests.targets);
    h.update(digests.inspectors);
    h.update(digests.conflicts);
    h.update(digests.previous);
    h.update(sha256(&params.encoding()));
    h.finalize().into()
}

/// Who may not be sent to which target: declared conflicts and the
/// previous draw's pairs, by target code.
fn exclusions<'a>(
    conflicts: &'a [Conflict],
    previous: &'a [Pair],
) -> HashMap<&'a str, HashSet<&'a str>> {
    let mut out: HashMap<&str, HashSet<&str>> = HashMap::new();
    for c in conflicts {
        out.entry(c.target.as_str())
            .or_default()
            .insert(c.officer.as_str());
    }
    for p in previous {
        out.entry(p.target.as_str())
            .or_default()
            .insert(p.officer.as_str());
    }
    out
}

/// The targets that could not be staffed if drawn; checked when the lists
/// are frozen, so a draw never fails after the seed is revealed.
pub fn understaffed(
    params: &Parameters,
    targets: &[Target],
    inspectors: &[Inspector],
    conflicts: &[Conflict],
    previous: &[Pair],
) -> Vec<String> {
    let pool: HashSet<&str> = inspectors.iter().map(String::as_str).collect();
    let ex = exclusions(conflicts, previous);
    let need = params.inspectors_per_target as usize;
    targets
        .iter()
        .filter(|t| params.ratio(t.risk) > 0)
        .filter(|t| {
            let out = ex
                .get(t.code.as_str())
                .map_or(0, |s| s.iter().filter(|o| pool.contains(*o)).count());
            pool.len() - out < need
        })
        .map(|t| t.code.clone())
        .collect()
}

/// The draw. Lists may come in any order: they are put in canonical order
/// (targets by code, inspectors by id) first, as their encodings are.
pub fn draw(
    seed: &[u8],
    public_value: &str,
    params: &Parameters,
    targets: &[Target],
    inspectors: &[Inspector],
    conflicts: &[Conflict],
    previous: &[Pair],
) -> Result<Vec<Assignment>, DrawError> {
    let bad = params.problems();
    if !bad.is_empty() {
        return Err(DrawError::Parameters(bad));
    }
    if let Some(e) = crate::lists::check_lists(targets, inspectors, conflicts, previous).first() {
        return Err(DrawError::Lists(e.to_string()));
    }
    let digests = ListDigests::of(targets, inspectors, conflicts, previous);
    let mut stream = Stream::new(stream_key(seed, public_value, &digests, params));

    let mut sorted: Vec<&Target> = targets.iter().collect();
    sorted.sort_unstable_by(|a, b| a.code.cmp(&b.code));
    let mut pool: Vec<&str> = inspectors.iter().map(String::as_str).collect();
    pool.sort_unstable();

    // Targets: a partial Fisher-Yates shuffle of each class, in class order.
    let mut chosen: Vec<&Target> = Vec::new();
    for class in CLASS_ORDER {
        let members: Vec<&Target> = sorted.iter().copied().filter(|t| t.risk == class).collect();
        let k = params.quota(class, members.len());
        let mut idx: Vec<usize> = (0..members.len()).collect();
        for j in 0..k {
            let r = j + stream.below((members.len() - j) as u64) as usize;
            idx.swap(j, r);
            chosen.push(members[idx[j]]);
        }
    }

    // Inspectors: uniform over the pool, redrawing excluded or repeated ones.
    let ex = exclusions(conflicts, previous);
    let need = params.inspectors_per_target as usize;
    let none = HashSet::new();
    let in_pool: HashSet<&str> = pool.iter().copied().collect();
    let mut out = Vec::with_capacity(chosen.len());
    for t in chosen {
        let barred = ex.get(t.code.as_str()).unwrap_or(&none);
        let eligible = pool.len() - barred.iter().filter(|o| in_pool.contains(*o)).count();
        if eligible < need {
            return Err(DrawError::Understaffed(t.code.clone()));
        }
        let mut sent: Vec<String> = Vec::with_capacity(need);
        while sent.len() < need {
            let o = pool[stream.below(pool.len() as u64) as usize];
            if barred.contains(o) || sent.iter().any(|s| s == o) {
                continue;
            }
            sent.push(o.to_owned());
        }
        out.push(Assignment {
            target: t.code.clone(),
            inspectors: sent,
        });
    }
    Ok(out)
}
