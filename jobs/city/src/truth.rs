//! The ground truth: what was planted, on whom, and what the system should
//! make of it (the finding intake records, the flag or indicator the
//! rankings show, the ground a case rests on). Serialized to JSON by the
//! caller; everything not named here was made to be unremarkable.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pattern {
    /// An officer whose decisions are often revoked on reconsideration or
    /// lost in court (错案, Art. 9(3), 11).
    OverturnedDecisions,
    /// An auxiliary who often acts with no qualified officer (Art. 18).
    AuxiliaryAlone,
    /// An officer whose penalties fall outside the discretion benchmark
    /// (Art. 9(11), 20(8)).
    OutsideBenchmark,
    /// An officer who keeps acting after their credential stopped being
    /// valid. Planted as acts after the card's validity ended (registry:
    /// EXPIRED), because a withholding takes effect when it is recorded and
    /// cannot be dated inside a past year; intake finds both the same way
    /// (CREDENTIAL_NOT_VALID).
    ActingWithoutValidCredential,
    /// A department deciding major matters without a passed legal review
    /// (Art. 19(16)).
    MajorWithoutLegalReview,
    /// A department voiding facts that carry findings: the findings stand
    /// (SUPERSEDED_PENDING) until the legal-affairs office rules.
    VoidsFindings,
    /// A department that, after its officer acted before his card was valid,
    /// tries to issue him a card dated back over those acts.
    BackdatesCredential,
    /// Commended (Art. 6): the best officer of their body.
    OutstandingOfficer,
    /// Commended (Art. 6): the best department.
    OutstandingDepartment,
    /// An officer scoring below the Art. 20(2) threshold, with no finding.
    BelowThresholdOfficer,
    /// A department failing the assessment (Art. 6), with no finding.
    FailingDepartment,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    Body,
    Officer,
}

/// Who a pattern is about. `key` is the city's own, stable for a seed;
/// `name` the resource name the registry gave (empty until built).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub kind: SubjectKind,
    pub key: String,
    pub name: String,
    pub display_name: String,
    /// The body it is or belongs to.
    pub body_key: String,
    pub body: String,
    pub body_display_name: String,
}

/// A rankings flag (the job's columns `outstanding`, `below_threshold`,
/// `failing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    Outstanding,
    BelowThreshold,
    Failing,
}

/// Where a pattern shows in the rankings' tables when no flag is expected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shows {
    /// A column of the tables: an indicator's value (`v_<indicator>`) or
    /// a findings count (`findings_<rule>`).
    pub column: String,
    /// "officers" or "departments".
    pub table: String,
    pub worst: Worst,
}

/// What the subject's value is among its peer group's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Worst {
    /// the highest (a rate where lower is better)
    Highest,
    /// the lowest (a rate where higher is better)
    Lowest,
    /// above zero (a findings count)
    NonZero,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Planted {
    pub pattern: Pattern,
    pub subject: Subject,
    /// The officer the findings name, when the subject is a department.
    pub officer: Option<Subject>,
    /// The rule codes intake records on each of `facts` (probity-rules'
    /// catalogue), the pattern's own first.
    pub findings: Vec<String>,
    /// Whether the first rule's findings name the subject (or `officer`).
    pub names_officer: bool,
    /// Source ids of the facts that carry it, all of `subject.body`.
    pub facts: Vec<String>,
    /// Whether `facts` were voided after they were recorded.
    pub voided: bool,
    pub flag: Option<Flag>,
    pub shows: Option<Shows>,
    /// The accountability ground a case on it rests on (ListGrounds).
    pub ground: Option<String>,
    pub note: String,
}

/// Two departments alike but for their size: the same per-officer
/// behaviour, one `factor` times the other's officers and facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SizeTwins {
    pub small: Subject,
    pub large: Subject,
    pub factor: u32,
}

/// The department's attempt to issue a card dated before the grace window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackdateAttempt {
    pub department: Subject,
    pub officer: Subject,
    pub number: String,
    pub valid_from: String,
    pub valid_until: String,
    /// Whether the registry refused it (None until built).
    pub refused: Option<bool>,
    /// The ErrorInfo reason of the refusal.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroundTruth {
    pub seed: u64,
    pub year: i32,
    /// SHA-256 over every fact sent, in order, before resource names were
    /// filled in (so it is the same for a seed whatever ids the servers
    /// gave).
    pub facts_digest: String,
    /// The same per body key (the government's holds the city-wide
    /// trainings).
    pub body_digests: BTreeMap<String, String>,
    pub planted: Vec<Planted>,
    pub size_twins: SizeTwins,
    pub backdate: BackdateAttempt,
}

impl GroundTruth {
    /// The same truth with what the servers decided left out (resource
    /// names, the attempt's outcome): equal for equal plans.
    pub fn without_server_answers(&self) -> GroundTruth {
        let mut t = self.clone();
        let strip = |s: &mut Subject| {
            s.name.clear();
            s.body.clear();
        };
        for p in &mut t.planted {
            strip(&mut p.subject);
            if let Some(o) = &mut p.officer {
                strip(o);
            }
        }
        strip(&mut t.size_twins.small);
        strip(&mut t.size_twins.large);
        strip(&mut t.backdate.department);
        strip(&mut t.backdate.officer);
        t.backdate.refused = None;
        t.backdate.reason = None;
        t
    }

    /// Resource names of every planted subject (and named officer): the
    /// rest of the city is normal.
    pub fn planted_subjects(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .planted
            .iter()
            .flat_map(|p| std::iter::once(&p.subject).chain(p.officer.as_ref()))
            .map(|s| s.name.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    }
}
