//! How bodies and officers behave: a body's rates (its profile), how it
//! treats the legal review of major decisions, and the planted roles.
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// How a body works, in rates: drawn near the city's norm for most, fixed
/// for the planted outstanding and failing ones.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// matters and complaints closed
    pub close: f64,
    /// penalty matters decided
    pub decide: f64,
    /// inspections from a random draw (双随机)
    pub random: f64,
    /// matters with a record of the process
    pub matter_records: f64,
    /// decisions taken to reconsideration or court
    pub review: f64,
    /// of those, revoked or lost
    pub wrongful: f64,
    /// decisions whose case file the office reviews
    pub file_review: f64,
    /// files passing all six points
    pub file_pass: f64,
    /// mean exam score
    pub exam: f64,
    /// mean Art. 8 item score
    pub items: f64,
    /// department trainings per officer in the year
    pub trainings: f64,
    /// relative weight of inspections among acts
    pub inspections: f64,
    /// what happens to a major decision's legal review (法制审核)
    pub legal_review: LegalReviewPractice,
}

/// How a body treats the legal review of its major decisions (Art. 19(16)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegalReviewPractice {
    /// reviewed, and passed, before the decision
    Passed,
    /// decided with no review at all
    Skipped,
    /// reviewed, failed, and decided all the same
    FailedIgnored,
}

impl Profile {
    pub(super) fn normal(rng: &mut ChaCha8Rng) -> Profile {
        Profile {
            close: rng.gen_range(0.86..0.94),
            decide: 0.8,
            random: rng.gen_range(0.72..0.90),
            matter_records: rng.gen_range(0.82..0.96),
            review: rng.gen_range(0.02..0.04),
            wrongful: rng.gen_range(0.05..0.15),
            file_review: rng.gen_range(0.10..0.15),
            file_pass: rng.gen_range(0.82..0.94),
            exam: rng.gen_range(76.0..86.0),
            items: rng.gen_range(75.0..88.0),
            trainings: rng.gen_range(2.0..4.0),
            inspections: 1.0,
            legal_review: LegalReviewPractice::Passed,
        }
    }

    /// The middle of the normal ranges: the size twins work so, so that
    /// shrinking their rates toward the group's moves them little.
    pub(super) fn typical() -> Profile {
        Profile {
            close: 0.90,
            decide: 0.8,
            random: 0.81,
            matter_records: 0.89,
            review: 0.03,
            wrongful: 0.10,
            file_review: 0.125,
            file_pass: 0.88,
            exam: 81.0,
            items: 81.5,
            trainings: 3.0,
            inspections: 1.0,
            legal_review: LegalReviewPractice::Passed,
        }
    }

    pub(super) fn outstanding() -> Profile {
        Profile {
            close: 1.0,
            decide: 0.8,
            random: 1.0,
            matter_records: 1.0,
            review: 0.02,
            wrongful: 0.0,
            file_review: 0.4,
            file_pass: 1.0,
            exam: 98.5,
            items: 99.0,
            trainings: 5.0,
            inspections: 1.0,
            legal_review: LegalReviewPractice::Passed,
        }
    }

    /// Performance alone cannot fail a department under the default plan
    /// in a small city (a department with no finding keeps the legal-review,
    /// benchmark and findings marks, and small counts are shrunk toward the
    /// group's rates): this one also decides its major matters after their
    /// legal review failed, which costs it the legal-review mark with a
    /// handful of findings.
    pub(super) fn failing() -> Profile {
        Profile {
            close: 0.02,
            decide: 0.8,
            random: 0.0,
            matter_records: 0.0,
            review: 0.9,
            wrongful: 0.9,
            file_review: 0.12,
            file_pass: 0.0,
            exam: 20.0,
            items: 15.0,
            trainings: 1.0,
            inspections: 0.3,
            legal_review: LegalReviewPractice::FailedIgnored,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyRole {
    Normal,
    Outstanding,
    Failing,
    NoLegalReview,
    Voider,
    Backdater,
    TwinSmall,
    TwinLarge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfficerRole {
    Normal,
    Overturned,
    AuxiliaryAlone,
    OutsideBenchmark,
    CardExpired,
    CardLate,
    Outstanding,
    Slacker,
}
