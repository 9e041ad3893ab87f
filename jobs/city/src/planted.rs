//! What each planted pattern should make the system do, written once: the
//! findings intake records (probity-rules' catalogue), where the rankings
//! show it (jobs/rankings/plans/default.toml), the ground a case rests on
//! (accountability's catalogue); and the ground truth put together from
//! the blueprint and what was sent.
use std::collections::BTreeMap;

use probity_rules::catalogue as rules;

use crate::{
    blueprint::Blueprint,
    truth::{
        BackdateAttempt, Flag, GroundTruth, Pattern, Planted, Shows, SizeTwins, Subject,
        SubjectKind, Worst,
    },
};

struct Expect {
    findings: &'static [&'static str],
    names_officer: bool,
    flag: Option<Flag>,
    shows: Option<(&'static str, &'static str, Worst)>,
    ground: Option<&'static str>,
    note: &'static str,
}

fn expect(p: Pattern) -> Expect {
    let none = Expect {
        findings: &[],
        names_officer: false,
        flag: None,
        shows: None,
        ground: None,
        note: "",
    };
    match p {
        Pattern::OverturnedDecisions => Expect {
            shows: Some(("v_wrongful_rate", "officers", Worst::Highest)),
            ground: Some("ART11"),
            note: "复议撤销、诉讼败诉的决定多（错案）: decisions revoked on reconsideration or lost in court",
            ..none
        },
        Pattern::AuxiliaryAlone => Expect {
            findings: &[rules::AUXILIARY_ALONE.code, rules::TOO_FEW_QUALIFIED.code],
            shows: Some(("findings_auxiliary_alone", "departments", Worst::NonZero)),
            ground: Some("ART19_12"),
            note: "辅助人员单独执法: an auxiliary inspecting with no enforcement officer",
            ..none
        },
        Pattern::OutsideBenchmark => Expect {
            findings: &[rules::PENALTY_OUTSIDE_BENCHMARK.code],
            shows: Some(("v_benchmark_compliance", "officers", Worst::Lowest)),
            ground: Some("ART20_08"),
            note: "超出裁量基准: minor-grade fines above the benchmark's range",
            ..none
        },
        Pattern::ActingWithoutValidCredential => Expect {
            findings: &[rules::CREDENTIAL_NOT_VALID.code],
            names_officer: true,
            shows: Some(("findings_credential_not_valid", "officers", Worst::NonZero)),
            ground: Some("ART20_09"),
            note: "证件失效后继续执法: inspections after the card's validity ended on 1 July \
                   (a withholding cannot be dated inside a past year; intake finds both alike)",
            ..none
        },
        Pattern::MajorWithoutLegalReview => Expect {
            findings: &[rules::MAJOR_DECISION_WITHOUT_LEGAL_REVIEW.code],
            shows: Some((
                "findings_major_decision_without_legal_review",
                "departments",
                Worst::NonZero,
            )),
            ground: Some("ART19_16"),
            note: "重大执法决定未经法制审核: every major decision without a legal review",
            ..none
        },
        Pattern::VoidsFindings => Expect {
            findings: &[rules::INSPECTION_NOT_RECORDED.code],
            shows: Some((
                "findings_inspection_not_recorded",
                "departments",
                Worst::NonZero,
            )),
            ground: Some("ART19_15"),
            note: "作废带有违规发现的事实: unrecorded inspections voided; their findings stand",
            ..none
        },
        Pattern::BackdatesCredential => Expect {
            findings: &[rules::CREDENTIAL_NOT_VALID.code],
            names_officer: true,
            shows: Some((
                "findings_credential_not_valid",
                "departments",
                Worst::NonZero,
            )),
            ground: Some("ART19_10"),
            note: "倒签执法证件: an officer inspected before his card was valid; the department \
                   then tried to issue him one dated back over those inspections",
            ..none
        },
        Pattern::OutstandingOfficer => Expect {
            flag: Some(Flag::Outstanding),
            note: "考核成绩突出的执法人员: twice the work, every record kept, every file passing",
            ..none
        },
        Pattern::OutstandingDepartment => Expect {
            flag: Some(Flag::Outstanding),
            note: "考核成绩突出的单位: every matter closed, every inspection by random draw",
            ..none
        },
        Pattern::BelowThresholdOfficer => Expect {
            flag: Some(Flag::BelowThreshold),
            ground: Some("ART20_02"),
            note: "年度考核成绩低于平均值40%: penalties and inspections only, nothing closed, \
                   recorded or drawn at random, files failing review, decisions overturned; \
                   no rule intake checks broken",
            ..none
        },
        Pattern::FailingDepartment => Expect {
            findings: &[rules::MAJOR_DECISION_WITHOUT_LEGAL_REVIEW.code],
            flag: Some(Flag::Failing),
            ground: Some("ART06"),
            note: "考核不合格的单位: matters left open, decisions overturned, nothing by random \
                   draw, files failing review, and major decisions made after their legal \
                   review failed (performance alone cannot fail a department under the \
                   default plan in a small city)",
            ..none
        },
    }
}

fn body_subject(bp: &Blueprint, b: usize, names: Option<&[String]>) -> Subject {
    let body = &bp.bodies[b];
    let name = names.map(|n| n[b].clone()).unwrap_or_default();
    Subject {
        kind: SubjectKind::Body,
        key: body.key.clone(),
        name: name.clone(),
        display_name: body.display_name.clone(),
        body_key: body.key.clone(),
        body: name,
        body_display_name: body.display_name.clone(),
    }
}

fn officer_subject(
    bp: &Blueprint,
    o: usize,
    bodies: Option<&[String]>,
    officers: Option<&[String]>,
) -> Subject {
    let off = &bp.officers[o];
    let body = &bp.bodies[off.body];
    Subject {
        kind: SubjectKind::Officer,
        key: off.key.clone(),
        name: officers.map(|n| n[o].clone()).unwrap_or_default(),
        display_name: off.display_name.clone(),
        body_key: body.key.clone(),
        body: bodies.map(|n| n[off.body].clone()).unwrap_or_default(),
        body_display_name: body.display_name.clone(),
    }
}

/// Resource names, once the registry has given them.
pub struct Names<'a> {
    pub bodies: &'a [String],
    pub officers: &'a [String],
}

/// The ground truth of a city: its planted facts (pattern, body, source id)
/// and digests, with resource names when built.
pub fn truth(
    bp: &Blueprint,
    planted: &[(Pattern, usize, String)],
    digests: BTreeMap<String, String>,
    names: Option<Names<'_>>,
    backdate: (Option<bool>, Option<String>),
) -> GroundTruth {
    let r = &bp.roles;
    let (bn, on) = match &names {
        Some(n) => (Some(n.bodies), Some(n.officers)),
        None => (None, None),
    };
    let officer = |o| officer_subject(bp, o, bn, on);
    let body = |b| body_subject(bp, b, bn);
    let subjects = [
        (Pattern::OverturnedDecisions, officer(r.overturned), None),
        (Pattern::AuxiliaryAlone, officer(r.auxiliary_alone), None),
        (
            Pattern::OutsideBenchmark,
            officer(r.outside_benchmark),
            None,
        ),
        (
            Pattern::ActingWithoutValidCredential,
            officer(r.card_expired),
            None,
        ),
        (
            Pattern::MajorWithoutLegalReview,
            body(r.no_review_dept),
            None,
        ),
        (Pattern::VoidsFindings, body(r.voider), None),
        (
            Pattern::BackdatesCredential,
            body(r.backdater),
            Some(officer(r.card_late)),
        ),
        (
            Pattern::OutstandingOfficer,
            officer(r.outstanding_officer),
            None,
        ),
        (
            Pattern::OutstandingDepartment,
            body(r.outstanding_dept),
            None,
        ),
        (Pattern::BelowThresholdOfficer, officer(r.slacker), None),
        (Pattern::FailingDepartment, body(r.failing_dept), None),
    ];
    let planted = subjects
        .into_iter()
        .map(|(pattern, subject, officer)| {
            let e = expect(pattern);
            let facts: Vec<String> = planted
                .iter()
                .filter(|(p, _, _)| *p == pattern)
                .map(|(_, _, s)| s.clone())
                .collect();
            Planted {
                pattern,
                subject,
                officer,
                findings: e.findings.iter().map(|f| f.to_string()).collect(),
                names_officer: e.names_officer,
                voided: pattern == Pattern::VoidsFindings,
                facts,
                flag: e.flag,
                shows: e.shows.map(|(column, table, worst)| Shows {
                    column: column.into(),
                    table: table.into(),
                    worst,
                }),
                ground: e.ground.map(String::from),
                note: e.note.into(),
            }
        })
        .collect();
    let k = &bp.officers[r.card_late];
    let card = k.card.as_ref();
    let y = bp.plan.year;
    GroundTruth {
        seed: bp.plan.seed,
        year: y,
        facts_digest: {
            use sha2::{Digest, Sha256};
            let mut h = Sha256::new();
            for (k, d) in &digests {
                h.update(k.as_bytes());
                h.update(d.as_bytes());
            }
            hex::encode(h.finalize())
        },
        body_digests: digests,
        planted,
        size_twins: SizeTwins {
            small: body(r.twin_small),
            large: body(r.twin_large),
            factor: 3,
        },
        backdate: BackdateAttempt {
            department: body(r.backdater),
            officer: officer(r.card_late),
            number: backdated_number(card.map_or("", |c| c.number.as_str())),
            valid_from: crate::plan::at(y, 1, 1, 0, 0, 0).to_rfc3339(),
            valid_until: card.map(|c| c.valid_from.to_rfc3339()).unwrap_or_default(),
            refused: backdate.0,
            reason: backdate.1,
        },
    }
}

/// The number the department gives the card it tries to backdate.
pub fn backdated_number(real: &str) -> String {
    format!("{real}-B")
}
