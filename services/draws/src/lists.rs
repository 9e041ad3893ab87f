//! The draw's lists (targets, inspectors, declared conflicts, the previous
//! draw's pairs) and their canonical encodings, whose SHA-256 digests are
//! published when the lists are frozen.
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A target's risk class in the unit's plan; targets without one are drawn
/// at the plan's unclassified ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RiskClass {
    A,
    B,
    C,
    D,
}

impl RiskClass {
    pub fn letter(self) -> char {
        match self {
            RiskClass::A => 'A',
            RiskClass::B => 'B',
            RiskClass::C => 'C',
            RiskClass::D => 'D',
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "A" => Some(RiskClass::A),
            "B" => Some(RiskClass::B),
            "C" => Some(RiskClass::C),
            "D" => Some(RiskClass::D),
            _ => None,
        }
    }
}

/// The letter a class is written as in encodings, `-` for none.
pub fn class_letter(risk: Option<RiskClass>) -> char {
    risk.map_or('-', RiskClass::letter)
}

/// One entry of the target list (检查对象名录库).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// Unified social credit code (GB 32100).
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<RiskClass>,
}

/// One officer of the inspector pool (执法检查人员名录库), by registry id.
pub type Inspector = String;

/// A declared conflict of interest: this officer is never drawn for this target.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Conflict {
    pub officer: String,
    pub target: String,
}

/// An officer sent to a target by the unit's previous draw; not drawn for
/// the same target again in the next one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Pair {
    pub target: String,
    pub officer: String,
}

/// Why a list cannot be frozen: the entry's position and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{list}[{index}]: {problem}")]
pub struct ListError {
    pub list: &'static str,
    pub index: usize,
    pub problem: String,
}

/// Whether an officer id can stand in an encoding line: printable ASCII
/// without spaces, 1 to 64 bytes.
pub fn officer_id_ok(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_graphic())
}

pub fn code_ok(code: &str) -> bool {
    probity_rules::uscc::uscc_ok(code)
}

fn encode(tag: &str, mut lines: Vec<String>) -> Vec<u8> {
    lines.sort_unstable();
    let mut out = format!("probity-draws/{tag}/v1\n").into_bytes();
    for l in lines {
        out.extend_from_slice(l.as_bytes());
        out.push(b'\n');
    }
    out
}

pub fn targets_encoding(targets: &[Target]) -> Vec<u8> {
    encode(
        "targets",
        targets
            .iter()
            .map(|t| format!("{} {}", t.code, class_letter(t.risk)))
            .collect(),
    )
}

pub fn inspectors_encoding(inspectors: &[Inspector]) -> Vec<u8> {
    encode("inspectors", inspectors.to_vec())
}

pub fn conflicts_encoding(conflicts: &[Conflict]) -> Vec<u8> {
    encode(
        "conflicts",
        conflicts
            .iter()
            .map(|c| format!("{} {}", c.officer, c.target))
            .collect(),
    )
}

pub fn previous_encoding(previous: &[Pair]) -> Vec<u8> {
    encode(
        "previous",
        previous
            .iter()
            .map(|p| format!("{} {}", p.target, p.officer))
            .collect(),
    )
}

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The published digests of the four lists, in key order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListDigests {
    pub targets: [u8; 32],
    pub inspectors: [u8; 32],
    pub conflicts: [u8; 32],
    pub previous: [u8; 32],
}

impl ListDigests {
    pub fn of(
        targets: &[Target],
        inspectors: &[Inspector],
        conflicts: &[Conflict],
        previous: &[Pair],
    ) -> Self {
        Self {
            targets: sha256(&targets_encoding(targets)),
            inspectors: sha256(&inspectors_encoding(inspectors)),
            conflicts: sha256(&conflicts_encoding(conflicts)),
            previous: sha256(&previous_encoding(previous)),
        }
    }
}

/// Every entry that makes the lists unfit to freeze: bad codes or ids and
/// duplicates (a duplicate would give one target two chances).
pub fn check_lists(
    targets: &[Target],
    inspectors: &[Inspector],
    conflicts: &[Conflict],
    previous: &[Pair],
) -> Vec<ListError> {
    let mut errors = Vec::new();
    let mut err = |list, index, problem: &str| {
        errors.push(ListError {
            list,
            index,
            problem: problem.to_owned(),
        })
    };
    let mut seen = std::collections::HashSet::new();
    for (i, t) in targets.iter().enumerate() {
        if !code_ok(&t.code) {
            err("targets", i, "not a unified social credit code");
        } else if !seen.insert(t.code.as_str()) {
            err("targets", i, "listed twice");
        }
    }
    let mut seen = std::collections::HashSet::new();
    for (i, o) in inspectors.iter().enumerate() {
        if !officer_id_ok(o) {
            err("inspectors", i, "not an officer id");
        } else if !seen.insert(o.as_str()) {
            err("inspectors", i, "listed twice");
        }
    }
    let mut seen = std::collections::HashSet::new();
    for (i, c) in conflicts.iter().enumerate() {
        if !officer_id_ok(&c.officer) || !code_ok(&c.target) {
            err("conflicts", i, "not an officer id and a credit code");
        } else if !seen.insert(c) {
            err("conflicts", i, "listed twice");
        }
    }
    let mut seen = std::collections::HashSet::new();
    for (i, p) in previous.iter().enumerate() {
        if !officer_id_ok(&p.officer) || !code_ok(&p.target) {
            err("previous", i, "not a credit code and an officer id");
        } else if !seen.insert(p) {
            err("previous", i, "listed twice");
        }
    }
    errors
}
