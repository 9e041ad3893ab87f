//! What each severity level (Art. 21) permits and requires, for each kind
//! of subject, as data in one place; and the check a proposal or decision
//! must pass.
//!
//! How Art. 19/20 and Art. 21 are read together:
//! - Art. 21 grades by nature, circumstances and impact and names what
//!   "shall" follow at each level; its measures are personal (credentials,
//!   posts), so for officers it fixes the sanction: level 1 admonition,
//!   written warning or written self-examination; level 2 public criticism;
//!   level 3 credential withheld (enforcement stops with it); level 4
//!   credential revoked and transfer out. Art. 20's other measures are placed
//!   at the level they match: loss of award eligibility beside public
//!   criticism (2 and up), off-post training beside withholding (3),
//!   cancelling the qualification beside revocation (4). Transfer out is
//!   open from level 3; a case on Art. 6 alone (the officer failed the
//!   annual assessment) may end in the transfer without the withholding,
//!   as the assessment's consequence (api::checks::severity_rule).
//! - Art. 19's measures for bodies (rectification, public criticism, loss
//!   of award eligibility) rise with the level the same way: 1
//!   rectification, 2 public criticism, 3 and 4 loss of award eligibility
//!   with public criticism; rectification may accompany any level.
//! - The leaders of a body (Art. 19): an interview at any level, public
//!   criticism from level 2.
//! - A referral to the personnel department or supervisory organ (Art. 22)
//!   is open at every level for everyone: it is a recommendation, not a
//!   sanction of this office.
use probity_proto::accountability::v1::{
    Decision, SanctionKind as K, SanctionTarget, SeverityRule, SubjectKind,
};

#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub severity: i32,
    pub subject: SubjectKind,
    /// SUBJECT, or a leader (either leader: the same row).
    pub leader: bool,
    pub required_any: &'static [K],
    pub required_all: &'static [K],
    /// Besides the required ones.
    pub also: &'static [K],
    pub article: &'static str,
}

const O: SubjectKind = SubjectKind::Officer;
const B: SubjectKind = SubjectKind::Body;

pub const RULES: &[Rule] = &[
    Rule {
        severity: 1,
        subject: O,
        leader: false,
        required_any: &[K::Admonition, K::WrittenWarning, K::WrittenSelfExamination],
        required_all: &[],
        also: &[K::Referral],
        article: "Art. 21(1)",
    },
    Rule {
        severity: 2,
        subject: O,
        leader: false,
        required_any: &[],
        required_all: &[K::PublicCriticism],
        also: &[K::LossOfAwardEligibility, K::Referral],
        article: "Art. 21(2); Art. 20",
    },
    Rule {
        severity: 3,
        subject: O,
        leader: false,
        required_any: &[],
        required_all: &[K::CredentialWithheld],
        also: &[
            K::OffPostTraining,
            K::TransferOut,
            K::PublicCriticism,
            K::LossOfAwardEligibility,
            K::Referral,
        ],
        article: "Art. 21(3); Art. 20; Art. 6",
    },
    Rule {
        severity: 4,
        subject: O,
        leader: false,
        required_any: &[],
        required_all: &[K::CredentialRevoked, K::TransferOut],
        also: &[
            K::QualificationCancelled,
            K::PublicCriticism,
            K::LossOfAwardEligibility,
            K::Referral,
        ],
        article: "Art. 21(4); Art. 20",
    },
    Rule {
        severity: 1,
        subject: B,
        leader: false,
        required_any: &[],
        required_all: &[K::Rectification],
        also: &[K::Referral],
        article: "Art. 19; Art. 21(1)",
    },
    Rule {
        severity: 2,
        subject: B,
        leader: false,
        required_any: &[],
        required_all: &[K::PublicCriticism],
        also: &[K::Rectification, K::Referral],
        article: "Art. 19; Art. 21(2)",
    },
    Rule {
        severity: 3,
        subject: B,
        leader: false,
        required_any: &[],
        required_all: &[K::PublicCriticism, K::LossOfAwardEligibility],
        also: &[K::Rectification, K::Referral],
        article: "Art. 19; Art. 21(3)",
    },
    Rule {
        severity: 4,
        subject: B,
        leader: false,
        required_any: &[],
        required_all: &[K::PublicCriticism, K::LossOfAwardEligibility],
        also: &[K::Rectification, K::Referral],
        article: "Art. 19; Art. 21(4)",
    },
    Rule {
        severity: 1,
        subject: B,
        leader: true,
        required_any: &[],
        required_all: &[],
        also: &[K::Interview, K::Referral],
        article: "Art. 19 (leaders); Art. 21(1)",
    },
    Rule {
        severity: 2,
        subject: B,
        leader: true,
        required_any: &[],
        required_all: &[],
        also: &[K::Interview, K::PublicCriticism, K::Referral],
        article: "Art. 19 (leaders); Art. 21(2)",
    },
    Rule {
        severity: 3,
        subject: B,
        leader: true,
        required_any: &[],
        required_all: &[],
        also: &[K::Interview, K::PublicCriticism, K::Referral],
        article: "Art. 19 (leaders); Art. 21(3)",
    },
    Rule {
        severity: 4,
        subject: B,
        leader: true,
        required_any: &[],
        required_all: &[],
        also: &[K::Interview, K::PublicCriticism, K::Referral],
        article: "Art. 19 (leaders); Art. 21(4)",
    },
];

pub fn rule(severity: i32, subject: SubjectKind, leader: bool) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|r| r.severity == severity && r.subject == subject && r.leader == leader)
}

impl Rule {
    pub fn allows(&self, k: K) -> bool {
        self.required_any.contains(&k) || self.required_all.contains(&k) || self.also.contains(&k)
    }

    pub fn to_proto(&self) -> Vec<SeverityRule> {
        let targets: &[SanctionTarget] = if self.leader {
            &[
                SanctionTarget::PrincipalLeader,
                SanctionTarget::ResponsibleLeader,
            ]
        } else {
            &[SanctionTarget::Subject]
        };
        let mut allowed: Vec<i32> = self
            .required_any
            .iter()
            .chain(self.required_all)
            .chain(self.also)
            .map(|k| *k as i32)
            .collect();
        allowed.dedup();
        targets
            .iter()
            .map(|t| SeverityRule {
                severity: self.severity,
                subject_kind: self.subject as i32,
                target: *t as i32,
                required_any: self.required_any.iter().map(|k| *k as i32).collect(),
                required_all: self.required_all.iter().map(|k| *k as i32).collect(),
                allowed: allowed.clone(),
                article: self.article.into(),
                note: zh_list(&allowed),
            })
            .collect()
    }
}

pub fn zh(k: K) -> &'static str {
    match k {
        K::Unspecified => "?",
        K::Rectification => "限期整改",
        K::PublicCriticism => "通报批评",
        K::LossOfAwardEligibility => "取消年度评选先进资格",
        K::Interview => "约谈",
        K::Admonition => "诫勉教育",
        K::WrittenWarning => "书面告诫",
        K::WrittenSelfExamination => "责令书面检查",
        K::CredentialWithheld => "暂扣行政执法证件",
        K::OffPostTraining => "离岗培训",
        K::TransferOut => "调离行政执法岗位",
        K::QualificationCancelled => "取消行政执法资格",
        K::CredentialRevoked => "缴销行政执法证件",
        K::Referral => "提出处分建议或移送",
    }
}

fn zh_list(kinds: &[i32]) -> String {
    kinds
        .iter()
        .filter_map(|k| K::try_from(*k).ok())
        .map(|k| format!("{} ({})", zh(k), k.as_str_name()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why a decision is outside the table: the rule it breaks, for people.
pub fn check(d: &Decision, subject: SubjectKind) -> Result<(), String> {
    for leader in [false, true] {
        let chosen: Vec<K> = d
            .sanctions
            .iter()
            .filter(|s| is_leader(s.target) == leader)
            .filter_map(|s| K::try_from(s.kind).ok())
            .collect();
        if leader && subject != SubjectKind::Body {
            continue;
        }
        let Some(r) = rule(d.severity, subject, leader) else {
            return Err(format!("no rule for severity {}", d.severity));
        };
        let who = match (subject, leader) {
            (SubjectKind::Body, true) => "a body's leaders",
            (SubjectKind::Body, false) => "a body",
            _ => "an officer",
        };
        if let Some(k) = chosen.iter().find(|k| !r.allows(**k)) {
            return Err(format!(
                "{}: at severity {} {who} may receive only {}; {} ({}) is not among them",
                r.article,
                d.severity,
                zh_list(&allowed(r)),
                zh(*k),
                k.as_str_name()
            ));
        }
        if let Some(k) = r.required_all.iter().find(|k| !chosen.contains(k)) {
            return Err(format!(
                "{}: at severity {} {who} shall receive {} ({})",
                r.article,
                d.severity,
                zh(*k),
                k.as_str_name()
            ));
        }
        if !r.required_any.is_empty() && !chosen.iter().any(|k| r.required_any.contains(k)) {
            return Err(format!(
                "{}: at severity {} {who} shall receive one of {}",
                r.article,
                d.severity,
                zh_list(&r.required_any.iter().map(|k| *k as i32).collect::<Vec<_>>())
            ));
        }
    }
    Ok(())
}

fn allowed(r: &Rule) -> Vec<i32> {
    let mut v: Vec<i32> = r
        .required_any
        .iter()
        .chain(r.required_all)
        .chain(r.also)
        .map(|k| *k as i32)
        .collect();
    v.dedup();
    v
}

pub fn is_leader(target: i32) -> bool {
    target == SanctionTarget::PrincipalLeader as i32
        || target == SanctionTarget::ResponsibleLeader as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use probity_proto::accountability::v1::Sanction;

    fn d(severity: i32, kinds: &[K]) -> Decision {
        Decision {
            severity,
            sanctions: kinds
                .iter()
                .map(|k| Sanction {
                    kind: *k as i32,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn every_level_has_a_row_per_subject() {
        for s in 1..=4 {
            assert!(rule(s, O, false).is_some());
            assert!(rule(s, B, false).is_some());
            assert!(rule(s, B, true).is_some());
        }
    }

    #[test]
    fn art21_for_officers() {
        assert!(check(&d(1, &[K::Admonition]), O).is_ok());
        assert!(check(&d(1, &[K::PublicCriticism]), O).is_err());
        assert!(
            check(&d(1, &[K::Referral]), O).is_err(),
            "level 1 needs one of its three"
        );
        assert!(check(&d(3, &[K::CredentialWithheld, K::OffPostTraining]), O).is_ok());
        assert!(check(&d(3, &[K::OffPostTraining]), O).is_err());
        assert!(check(&d(4, &[K::CredentialRevoked]), O).is_err());
        assert!(check(&d(4, &[K::CredentialRevoked, K::TransferOut]), O).is_ok());
        assert!(check(&d(2, &[K::PublicCriticism, K::CredentialRevoked]), O).is_err());
    }
}
