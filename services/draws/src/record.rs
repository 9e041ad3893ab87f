//! The published draw record and its offline check: everything needed to
//! recompute the draw, and the fields where a record does not hold.
use serde::{Deserialize, Serialize};

use crate::lists::{Conflict, Inspector, ListDigests, Pair, Target, check_lists, sha256};
use crate::select::{Assignment, Parameters, draw};

pub const FORMAT: &str = "probity-draw/1";

/// A draw as published (一公开). `seed`, `public_value` and `result` are
/// empty until the draw is made; digests and the commitment are published
/// first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawRecord {
    pub format: String,
    /// The draw's resource name, e.g. `draws/…`.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub power: String,
    /// Lowercase hex SHA-256 of the seed's bytes.
    pub commitment: String,
    /// The revealed seed, lowercase hex.
    #[serde(default)]
    pub seed: String,
    #[serde(default)]
    pub public_value: String,
    pub parameters: Parameters,
    pub targets: Vec<Target>,
    pub targets_digest: String,
    pub inspectors: Vec<Inspector>,
    pub inspectors_digest: String,
    #[serde(default)]
    pub conflicts: Vec<Conflict>,
    pub conflicts_digest: String,
    #[serde(default)]
    pub previous: Vec<Pair>,
    pub previous_digest: String,
    #[serde(default)]
    pub result: Vec<Assignment>,
}

/// A field of a record that does not hold, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    pub field: String,
    pub problem: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.problem)
    }
}

impl DrawRecord {
    /// A complete record made from its inputs, as the service publishes it.
    #[allow(clippy::too_many_arguments)]
    pub fn made(
        seed: &[u8],
        public_value: &str,
        parameters: Parameters,
        targets: Vec<Target>,
        inspectors: Vec<Inspector>,
        conflicts: Vec<Conflict>,
        previous: Vec<Pair>,
    ) -> Result<Self, crate::DrawError> {
        let result = draw(
            seed,
            public_value,
            &parameters,
            &targets,
            &inspectors,
            &conflicts,
            &previous,
        )?;
        let d = ListDigests::of(&targets, &inspectors, &conflicts, &previous);
        Ok(Self {
            format: FORMAT.to_owned(),
            name: String::new(),
            unit: String::new(),
            power: String::new(),
            commitment: hex::encode(sha256(seed)),
            seed: hex::encode(seed),
            public_value: public_value.to_owned(),
            parameters,
            targets,
            targets_digest: hex::encode(d.targets),
            inspectors,
            inspectors_digest: hex::encode(d.inspectors),
            conflicts,
            conflicts_digest: hex::encode(d.conflicts),
            previous,
            previous_digest: hex::encode(d.previous),
            result,
        })
    }
}

fn bad(out: &mut Vec<Mismatch>, field: &str, problem: String) {
    out.push(Mismatch {
        field: field.to_owned(),
        problem,
    });
}

/// Every field where `record` does not hold; empty when the published
/// result is the one its seed, public value, parameters and lists give.
pub fn verify(record: &DrawRecord) -> Vec<Mismatch> {
    let mut out = Vec::new();
    if record.format != FORMAT {
        bad(&mut out, "format", format!("expected {FORMAT}"));
    }
    let seed = match hex::decode(&record.seed) {
        Ok(s) if !s.is_empty() => Some(s),
        _ => {
            bad(&mut out, "seed", "missing or not hex".into());
            None
        }
    };
    if let Some(s) = &seed
        && hex::encode(sha256(s)) != record.commitment.to_ascii_lowercase()
    {
        bad(&mut out, "seed", "does not hash to the commitment".into());
    }
    if record.public_value.is_empty() {
        bad(&mut out, "public_value", "missing".into());
    }
    for name in record.parameters.problems() {
        bad(
            &mut out,
            &format!("parameters.{name}"),
            "out of range".into(),
        );
    }
    for e in check_lists(
        &record.targets,
        &record.inspectors,
        &record.conflicts,
        &record.previous,
    ) {
        bad(&mut out, &format!("{}[{}]", e.list, e.index), e.problem);
    }
    let d = ListDigests::of(
        &record.targets,
        &record.inspectors,
        &record.conflicts,
        &record.previous,
    );
    for (field, got, published) in [
        ("targets", d.targets, &record.targets_digest),
        ("inspectors", d.inspectors, &record.inspectors_digest),
        ("conflicts", d.conflicts, &record.conflicts_digest),
        ("previous", d.previous, &record.previous_digest),
    ] {
        if hex::encode(got) != published.to_ascii_lowercase() {
            bad(&mut out, field, format!("does not hash to {field}_digest"));
        }
    }
    let Some(seed) = seed else { return out };
    if !out.is_empty() {
        // The inputs do not hold; a recomputed result would prove nothing.
        return out;
    }
    match draw(
        &seed,
        &record.public_value,
        &record.parameters,
        &record.targets,
        &record.inspectors,
        &record.conflicts,
        &record.previous,
    ) {
        Err(e) => bad(&mut out, "result", format!("cannot be recomputed: {e}")),
        Ok(expected) => {
            if expected.len() != record.result.len() {
                bad(
                    &mut out,
                    "result",
                    format!(
                        "{} assignments published, {} recomputed",
                        record.result.len(),
                        expected.len()
                    ),
                );
            }
            for (i, (e, p)) in expected.iter().zip(&record.result).enumerate() {
                if e.target != p.target {
                    bad(
                        &mut out,
                        &format!("result[{i}].target"),
                        format!("published {}, recomputed {}", p.target, e.target),
                    );
                } else if e.inspectors != p.inspectors {
                    bad(
                        &mut out,
                        &format!("result[{i}].inspectors"),
                        format!(
                            "published {:?}, recomputed {:?}",
                            p.inspectors, e.inspectors
                        ),
                    );
                }
            }
        }
    }
    out
}
