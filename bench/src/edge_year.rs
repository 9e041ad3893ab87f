//! A small year of the cases a fast query gets wrong, as the job's input
//! Parquet: references to facts of an earlier year (a closing, a review and a
//! case-file review of last year's matter and decision, a complaint closing of
//! last year's complaint), repeats (a matter closed twice, a case lost twice,
//! a complaint closed twice), dangling references (to nothing, and to another
//! body's matter), an officer listed twice on an act, findings naming an
//! officer (withholding that officer's volume credit, one of them cleared), a
//! voided fact and an assessment item of another year. Built from Fact protos
//! through the job's own writer (`FactFiles`, which marks repeats), so the
//! job's extraction is part of what is checked.
//!
//! [`EXPECTED_OFFICERS`] and [`EXPECTED_DEPARTMENTS`] are the counts worked
//! out by hand; tests/edge_year.rs holds the job to them and
//! scripts/bench-rankings.sh holds DuckDB (scripts/rankings_duckdb.py) to the
//! job on the same files.
use std::path::Path;

use chrono::{TimeZone, Utc};
use probity_proto::{
    intake::v1::{
        AssessmentItem, CaseFileReview, Complaint, ComplaintClosing, Decision, Fact, Finding,
        FindingState, Inspection, LegalReview, LegalReviewResult, Matter, MatterClosing, Penalty,
        ProcessRecord, ReviewOutcome, Training, Transfer, TransferKind, fact::Payload,
    },
    registry::v1::{Body, BodyKind, Officer, OfficerKind, OfficerStatus},
};
use probity_rankings::extract::{FactFiles, write_references, write_registry};
use probity_rules::catalogue::{INSPECTION_NOT_RECORDED, TOO_FEW_QUALIFIED};

/// The year the edge cases fall in (city time).
pub const YEAR: i32 = 2026;

const B1: &str = "bodies/b1";
const B2: &str = "bodies/b2";

fn o(n: u32) -> String {
    format!("officers/o{n}")
}

fn at(month: u32, day: u32) -> Option<prost_types::Timestamp> {
    // noon in the city (UTC+8): well inside the day whatever the zone
    Utc.with_ymd_and_hms(YEAR, month, day, 4, 0, 0)
        .single()
        .map(crate::ts)
}

fn fact(fid: i64, body: &str, source: &str, payload: Payload) -> Fact {
    Fact {
        name: format!("facts/{fid}"),
        body: body.into(),
        source_id: source.into(),
        revision: 1,
        kind: payload.kind() as i32,
        occur_time: at(3, 1),
        payload: Some(payload),
        ..Default::default()
    }
}

fn finding(rule: &str, officer: &str, state: FindingState) -> Finding {
    Finding {
        rule: rule.into(),
        officer: officer.into(),
        state: state as i32,
        ..Default::default()
    }
}

fn matter(officers: &[String], recorded: bool) -> Payload {
    Payload::Matter(Matter {
        officers: officers.to_vec(),
        records: if recorded {
            vec![ProcessRecord::default()]
        } else {
            vec![]
        },
        ..Default::default()
    })
}

fn closing(matter: &str) -> Payload {
    Payload::MatterClosing(MatterClosing {
        matter: matter.into(),
        ..Default::default()
    })
}

fn review(decision: &str, wrongful: bool) -> Payload {
    Payload::ReviewOutcome(ReviewOutcome {
        decision: decision.into(),
        wrongful,
        ..Default::default()
    })
}

fn file_review(decision: &str) -> Payload {
    Payload::CaseFileReview(CaseFileReview {
        decision: decision.into(),
        facts_clear: true,
        evidence_conclusive: true,
        basis_correct: true,
        procedure_lawful: true,
        content_appropriate: true,
        documents_standard: true,
        ..Default::default()
    })
}

fn complaint_closing(complaint: &str) -> Payload {
    Payload::ComplaintClosing(ComplaintClosing {
        complaint: complaint.into(),
        ..Default::default()
    })
}

fn complaint(officers: &[String]) -> Payload {
    Payload::Complaint(Complaint {
        officers: officers.to_vec(),
        ..Default::default()
    })
}

fn training(officer: u32, hours: f64, exam: Option<f64>) -> Payload {
    Payload::Training(Training {
        officer: o(officer),
        hours,
        has_exam: exam.is_some(),
        exam_score: exam.unwrap_or(0.0),
        ..Default::default()
    })
}

fn item(year: i32, score: f64) -> Payload {
    Payload::AssessmentItem(AssessmentItem {
        year,
        item: 1,
        score,
        ..Default::default()
    })
}

/// The year's facts, in export order (fid order).
pub fn facts() -> Vec<Fact> {
    let mut m1 = fact(1, B1, "m1", matter(&[o(1), o(2)], true));
    // a finding on the matter naming o2: no volume credit for it or its
    // closings to o2
    m1.findings = vec![finding(TOO_FEW_QUALIFIED.code, &o(2), FindingState::Upheld)];
    let decision = Payload::Decision(Decision {
        matter: "m1".into(),
        decide_time: at(3, 2),
        penalty: Some(Penalty {
            within_benchmark: true,
            ..Default::default()
        }),
        major: true,
        legal_review: Some(LegalReview {
            result: LegalReviewResult::Passed as i32,
            review_time: at(3, 1),
        }),
        ..Default::default()
    });
    let mut voided = fact(17, B1, "mv", matter(&[o(2)], true));
    voided.voided = true;
    voided.findings = vec![finding(TOO_FEW_QUALIFIED.code, &o(2), FindingState::Open)];
    let mut inspection = fact(
        22,
        B2,
        "i1",
        Payload::Inspection(Inspection {
            officers: vec![o(5), o(6)],
            random_draw: "draws/1".into(),
            // as intake marks an inspection that matched its draw: only
            // these count as drawn (Art. 9(4))
            draw_verified: true,
            // recorded, says the department; the finding in force says not
            records: vec![ProcessRecord::default()],
            ..Default::default()
        }),
    );
    inspection.findings = vec![
        finding(INSPECTION_NOT_RECORDED.code, "", FindingState::Open),
        finding(
            TOO_FEW_QUALIFIED.code,
            &o(6),
            FindingState::SupersededPending,
        ),
        // cleared by the office: o5 keeps the credit
        finding(TOO_FEW_QUALIFIED.code, &o(5), FindingState::Cleared),
    ];
    vec![
        m1,
        // o3 listed twice: one matter, one act
        fact(2, B1, "m2", matter(&[o(3), o(3)], false)),
        fact(3, B1, "c1", closing("m1")),
        fact(4, B1, "c2", closing("m1")),   // closed again: a repeat
        fact(5, B1, "c3", closing("m0")),   // last year's matter
        fact(6, B1, "c4", closing("gone")), // dangling
        fact(7, B1, "d1", decision),
        fact(8, B1, "r1", review("d1", true)),
        fact(9, B1, "r2", review("d1", true)), // lost again: a repeat
        fact(10, B1, "r3", review("d0", true)), // last year's decision
        fact(11, B1, "f1", file_review("d0")),
        fact(12, B1, "f2", file_review("lost")), // dangling
        fact(13, B1, "tr1", training(1, 4.0, Some(80.0))),
        fact(14, B1, "tr2", training(2, 2.0, None)),
        fact(15, B1, "a1", item(YEAR, 90.0)),
        fact(16, B1, "a2", item(YEAR - 1, 50.0)), // another year's item
        voided,
        fact(18, B2, "k1", complaint(&[o(5)])),
        fact(19, B2, "kc1", complaint_closing("k1")),
        fact(20, B2, "kc2", complaint_closing("k1")), // a repeat
        fact(21, B2, "kc3", complaint_closing("k0")), // last year's complaint
        inspection,
        fact(
            23,
            B2,
            "t1",
            Payload::Transfer(Transfer {
                kind: TransferKind::SuspectedCrime as i32,
                officers: vec![o(5)],
                ..Default::default()
            }),
        ),
        // b1's matter, not b2's: dangling for b2
        fact(24, B2, "c5", closing("m1")),
    ]
}

/// Last year's facts the year's facts refer to.
pub fn references() -> Vec<Fact> {
    let mut m0 = fact(101, B1, "m0", matter(&[o(1), o(4)], true));
    let mut d0 = fact(
        102,
        B1,
        "d0",
        Payload::Decision(Decision {
            matter: "m0".into(),
            ..Default::default()
        }),
    );
    let mut k0 = fact(103, B2, "k0", complaint(&[o(5), o(6)]));
    for f in [&mut m0, &mut d0, &mut k0] {
        f.occur_time = Utc
            .with_ymd_and_hms(YEAR - 1, 11, 1, 4, 0, 0)
            .single()
            .map(crate::ts);
    }
    vec![m0, d0, k0]
}

/// Writes the year as the job's input (facts, officers, findings,
/// references, bodies and officers) into `dir`.
pub fn write(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut files = FactFiles::new(dir);
    for f in facts() {
        files.push(&f)?;
    }
    files.finish()?;
    write_references(dir, &references())?;
    let body = |name: &str, kind: BodyKind, parent: &str| Body {
        name: name.into(),
        display_name: name.into(),
        kind: kind as i32,
        parent: parent.into(),
        ..Default::default()
    };
    let bodies = [
        body("bodies/gov", BodyKind::Government, ""),
        body(B1, BodyKind::Department, "bodies/gov"),
        body(B2, BodyKind::Department, "bodies/gov"),
    ];
    let officers: Vec<(Officer, f64)> = (1..=6)
        .map(|n| {
            (
                Officer {
                    name: o(n),
                    display_name: o(n),
                    kind: OfficerKind::Officer as i32,
                    status: OfficerStatus::Active as i32,
                    body: if n <= 4 { B1 } else { B2 }.into(),
                    ..Default::default()
                },
                365.0,
            )
        })
        .collect();
    write_registry(dir, &bodies, &officers)?;
    Ok(())
}

/// Each officer's counts that are not zero (every other count is zero).
pub const EXPECTED_OFFICERS: &[(&str, &[(&str, f64)])] = &[
    (
        "officers/o1",
        &[
            ("matters", 1.0),
            ("completed", 2.0), // c1, and c3 through last year's matter
            ("decisions", 1.0),
            ("wrongful", 2.0), // r1, and r3 through last year's decision
            ("training_hours", 4.0),
            ("exam_sum", 80.0),
            ("exams", 1.0),
            ("acts", 1.0),
            ("recorded_acts", 1.0),
            ("files_reviewed", 1.0),
            ("files_passed", 1.0),
            ("penalties", 1.0),
            ("penalties_within", 1.0),
        ],
    ),
    (
        // named by the finding on m1: no matters or completed from it
        "officers/o2",
        &[
            ("decisions", 1.0),
            ("wrongful", 1.0),
            ("training_hours", 2.0),
            ("acts", 1.0),
            ("recorded_acts", 1.0),
            ("penalties", 1.0),
            ("penalties_within", 1.0),
        ],
    ),
    // listed twice on m2, credited once
    ("officers/o3", &[("matters", 1.0), ("acts", 1.0)]),
    (
        // last year's matter's officer
        "officers/o4",
        &[
            ("completed", 1.0),
            ("wrongful", 1.0),
            ("files_reviewed", 1.0),
            ("files_passed", 1.0),
        ],
    ),
    (
        "officers/o5",
        &[
            ("complaints", 1.0),
            ("complaints_closed", 2.0), // kc1, and kc3 through last year's complaint
            ("inspections", 1.0),
            ("random_inspections", 1.0),
            ("acts", 1.0),
            ("transfers", 1.0),
            ("transfers_c", 1.0),
        ],
    ),
    (
        // named by the finding on i1: no inspection volume from it
        "officers/o6",
        &[
            ("complaints_closed", 1.0),
            ("random_inspections", 1.0),
            ("acts", 1.0),
        ],
    ),
];

/// Each assessed unit's counts that are not zero, over its own facts each
/// once (dangling references count for the body, with no officer).
pub const EXPECTED_DEPARTMENTS: &[(&str, &[(&str, f64)])] = &[
    (
        B1,
        &[
            ("matters", 2.0),
            ("completed", 3.0), // c1, c3, c4 (c2 a repeat)
            ("decisions", 1.0),
            ("wrongful", 2.0),
            ("training_hours", 6.0),
            ("exam_sum", 80.0),
            ("exams", 1.0),
            ("acts", 2.0),
            ("recorded_acts", 1.0),
            ("files_reviewed", 2.0), // f1, and f2 though its decision is nowhere
            ("files_passed", 2.0),
            ("penalties", 1.0),
            ("penalties_within", 1.0),
            ("major_decisions", 1.0),
            ("major_reviewed", 1.0),
            ("item_score_sum", 90.0),
            ("items", 1.0),
        ],
    ),
    (
        B2,
        &[
            ("completed", 1.0), // c5, b1's matter: dangling here
            ("complaints", 1.0),
            ("complaints_closed", 2.0),
            ("inspections", 1.0),
            ("random_inspections", 1.0),
            ("acts", 1.0),
            ("transfers", 1.0),
            ("transfers_c", 1.0),
        ],
    ),
];
