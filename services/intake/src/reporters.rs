//! Who may report each kind of fact, as data beside the finding catalogue:
//! the assessed never report what they are assessed on when someone else
//! can. A case-file review comes from the legal-affairs office or a unit of
//! another line (交叉评查), never from the reviewed unit; a review outcome
//! from the unit, the reconsidering office or court records, and an outcome
//! the other side reported first is a finding; training from its organizer.
//! A fact from anyone else is refused (WRONG_REPORTER, naming who may).
//! docs/reporters.md is generated from [`TABLE`] (a test keeps it equal).
use std::collections::HashMap;

use probity_common::{
    AppError, AppResult, Reason,
    auth::{Principal, Role},
    body_scope,
    names::{body_name, us_ts},
};
use probity_proto::{
    intake::v1::{fact::Payload, *},
    registry::v1::CheckActorsRequest,
};
use prost::Message;
use sea_orm::DatabaseConnection;

use probity_rules::catalogue as rules;

use crate::{findings::Found, peers::Peers, store};

/// One kind of rightful reporter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reporter {
    /// A department of the fact's body or of a body above it.
    Unit,
    /// The legal-affairs office (法制机构), which also handles
    /// reconsideration (行政复议) for the city government.
    LegalOffice,
    /// A department outside the fact's body's line: neither that body, nor
    /// above it, nor below it (交叉评查).
    OtherLine,
    /// The court-records role (a court's or reconsideration body's records).
    CourtRecords,
    /// A department of the training's organizer or of a body above it.
    Organizer,
}

impl Reporter {
    pub fn describe(self) -> &'static str {
        match self {
            Reporter::Unit => "the unit itself (a department of the fact's body or above it)",
            Reporter::LegalOffice => "the legal-affairs office (legal_office)",
            Reporter::OtherLine => {
                "a department outside the reviewed body's line (not it, above or below it)"
            }
            Reporter::CourtRecords => "court records (court_records)",
            Reporter::Organizer => "the organizer of the training (a department of it or above it)",
        }
    }
}

/// The rightful reporters of one kind of fact.
pub struct Rightful {
    pub kind: FactKind,
    pub zh: &'static str,
    pub reporters: &'static [Reporter],
}

use Reporter::*;

pub const TABLE: &[Rightful] = &[
    Rightful {
        kind: FactKind::Matter,
        zh: "受理",
        reporters: &[Unit, LegalOffice],
    },
    Rightful {
        kind: FactKind::MatterClosing,
        zh: "办结",
        reporters: &[Unit, LegalOffice],
    },
    Rightful {
        kind: FactKind::Decision,
        zh: "决定",
        reporters: &[Unit, LegalOffice],
    },
    Rightful {
        kind: FactKind::Inspection,
        zh: "行政检查",
        reporters: &[Unit, LegalOffice],
    },
    Rightful {
        kind: FactKind::ReviewOutcome,
        zh: "复议 / 诉讼结果",
        reporters: &[Unit, LegalOffice, CourtRecords],
    },
    Rightful {
        kind: FactKind::Complaint,
        zh: "举报案件受理",
        reporters: &[Unit, LegalOffice],
    },
    Rightful {
        kind: FactKind::ComplaintClosing,
        zh: "举报案件办结",
        reporters: &[Unit, LegalOffice],
    },
    Rightful {
        kind: FactKind::Transfer,
        zh: "案件移交",
        reporters: &[Unit, LegalOffice],
    },
    Rightful {
        kind: FactKind::Training,
        zh: "日常培训",
        reporters: &[Organizer, LegalOffice],
    },
    Rightful {
        kind: FactKind::CaseFileReview,
        zh: "案卷评查",
        reporters: &[LegalOffice, OtherLine],
    },
    Rightful {
        kind: FactKind::AssessmentItem,
        zh: "第八条考核项目",
        reporters: &[LegalOffice],
    },
];

pub fn of(kind: FactKind) -> &'static [Reporter] {
    TABLE
        .iter()
        .find(|r| r.kind == kind)
        .map_or(&[], |r| r.reporters)
}

/// Kinds whose officers may be of bodies outside the reporter's subtree
/// (an organizer trains officers of any body): asked of the registry
/// without the department's view.
pub fn open_view(kind: FactKind) -> bool {
    matches!(kind, FactKind::Training | FactKind::CaseFileReview)
}

/// Body paths ("/root/child/") by body name, None for a body the registry
/// does not know.
pub type Paths = HashMap<String, Option<String>>;

/// Records on the fact who reported it, from the token, never from the
/// submitter: the side of a review outcome, the reviewer of a case file.
/// Returns whether the payload changed (the digest must be made again).
pub fn stamp(principal: &Principal, fact: &mut Fact) -> bool {
    match fact.payload.as_mut() {
        Some(Payload::ReviewOutcome(r)) => {
            r.reporter = match principal.role {
                Role::LegalOffice => "legal_office".into(),
                Role::CourtRecords => "court_records".into(),
                _ => String::new(),
            };
            !r.reporter.is_empty()
        }
        Some(Payload::CaseFileReview(r)) => {
            r.reviewer = principal
                .department_body()
                .map(body_name)
                .unwrap_or_default();
            !r.reviewer.is_empty()
        }
        _ => false,
    }
}

/// The bodies whose paths a check of `fact` by `principal` needs: the
/// organizer of a training, a department reviewer's own body.
pub fn wanted(principal: &Principal, fact: &Fact) -> Vec<String> {
    match fact.payload.as_ref() {
        Some(Payload::Training(t)) if !t.organizer.is_empty() && t.organizer != fact.body => {
            vec![t.organizer.clone()]
        }
        Some(Payload::CaseFileReview(_)) => principal
            .department_body()
            .map(body_name)
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
}

/// Asks the registry for the paths of these bodies (kept by the peers line).
pub async fn paths(peers: &Peers, names: Vec<String>) -> AppResult<Paths> {
    let mut names = names;
    names.sort();
    names.dedup();
    if names.is_empty() {
        return Ok(Paths::new());
    }
    let at = us_ts(chrono::Utc::now().timestamp_micros());
    let questions: Vec<CheckActorsRequest> = names
        .iter()
        .map(|b| CheckActorsRequest {
            body: b.clone(),
            act_time: at,
            ..Default::default()
        })
        .collect();
    let answers = peers.check(&questions, None).await?;
    Ok(names
        .into_iter()
        .zip(answers)
        .map(|(b, a)| (b, a.body_known.then(|| body_scope::path_of(&a.body_path))))
        .collect())
}

/// Whether `principal` may report `fact` (of the body at `path`).
/// The refusal names who may; a department acting for another body where
/// only the unit may report keeps its scope refusal (OUTSIDE_DEPARTMENT).
pub fn check(principal: &Principal, fact: &Fact, path: &str, paths: &Paths) -> AppResult<()> {
    let kind = FactKind::try_from(fact.kind).unwrap_or_default();
    let may = of(kind);
    if may.iter().any(|r| admits(*r, principal, fact, path, paths)) {
        return Ok(());
    }
    let scope = body_scope::check(principal, path);
    if scope.is_err() && !may.iter().any(|r| matches!(r, OtherLine | Organizer)) {
        return scope;
    }
    Err(wrong(kind, may))
}

fn wrong(kind: FactKind, may: &[Reporter]) -> AppError {
    let who: Vec<&str> = may.iter().map(|r| r.describe()).collect();
    AppError::refused(
        Reason::WrongReporter,
        format!(
            "{} may be reported only by {}",
            kind.as_str_name(),
            who.join(", or ")
        ),
    )
}

fn admits(r: Reporter, p: &Principal, fact: &Fact, path: &str, paths: &Paths) -> bool {
    let within = |path: &str| body_scope::check(p, path).is_ok();
    match r {
        LegalOffice => p.role == Role::LegalOffice,
        CourtRecords => p.role == Role::CourtRecords,
        Unit => p.role == Role::Department && within(path),
        OtherLine => {
            let Some(own) = p.department_body() else {
                return false;
            };
            let reviewed = fact.body.strip_prefix("bodies/").unwrap_or(&fact.body);
            // Not the reviewed body or above it, nor below it.
            !path.contains(&format!("/{own}/"))
                && paths
                    .get(&body_name(own))
                    .and_then(|o| o.as_deref())
                    .is_some_and(|own_path| !own_path.contains(&format!("/{reviewed}/")))
        }
        Organizer => {
            let Some(Payload::Training(t)) = fact.payload.as_ref() else {
                return false;
            };
            if p.role != Role::Department {
                return false;
            }
            if t.organizer.is_empty() || t.organizer == fact.body {
                return within(path);
            }
            paths
                .get(&t.organizer)
                .and_then(|o| o.as_deref())
                .is_some_and(within)
        }
    }
}

/// A named organizer the registry does not know, as the field to name.
pub fn unknown_organizer(fact: &Fact, paths: &Paths) -> Option<&'static str> {
    match fact.payload.as_ref() {
        Some(Payload::Training(t))
            if !t.organizer.is_empty()
                && t.organizer != fact.body
                && matches!(paths.get(&t.organizer), Some(None)) =>
        {
            Some("fact.training.organizer")
        }
        _ => None,
    }
}

/// Who may make a new revision of a stored fact (a correction or a void):
/// the legal-affairs office, or a rightful reporter of the stored revision
/// on the side that reported it: the unit never corrects or voids what
/// court records, the office or a reviewer of another line reported.
pub fn may_revise(p: &Principal, stored: &Fact, path: &str, paths: &Paths) -> AppResult<()> {
    if p.role == Role::LegalOffice {
        return Ok(());
    }
    check(p, stored, path, paths)?;
    let same_side = match stored.payload.as_ref() {
        Some(Payload::ReviewOutcome(r)) => match r.reporter.as_str() {
            "" => p.role == Role::Department,
            "court_records" => p.role == Role::CourtRecords,
            _ => false,
        },
        Some(Payload::CaseFileReview(r)) => {
            p.department_body().map(body_name).as_deref() == Some(r.reviewer.as_str())
        }
        _ => true,
    };
    if !same_side {
        return Err(AppError::refused(
            Reason::WrongReporter,
            "only whoever reported this fact (or the legal-affairs office) may correct or void it",
        ));
    }
    // A revoked or lost outcome is the unit's wrongful case (Art. 9(3), 11):
    // the unit would erase it by a correction or a void, so only the office
    // revises it.
    if let Some(Payload::ReviewOutcome(r)) = stored.payload.as_ref()
        && (r.result == ReviewResult::Revoked as i32 || r.result == ReviewResult::Lost as i32)
    {
        return Err(AppError::refused(
            Reason::WrongfulOutcomeStands,
            "a revoked or lost outcome is a wrongful case (Art. 9(3)): only the legal-affairs \
             office corrects or voids it",
        ));
    }
    Ok(())
}

/// Whether `p` sees the stored fact at `path` for a void or a resend: its
/// body's subtree, or a case-file review it made of another line.
pub fn sees(p: &Principal, stored: &Fact, path: &str) -> bool {
    if body_scope::check(p, path).is_ok() {
        return true;
    }
    match stored.payload.as_ref() {
        Some(Payload::CaseFileReview(r)) => {
            !r.reviewer.is_empty()
                && p.department_body().map(body_name).as_deref() == Some(r.reviewer.as_str())
        }
        _ => false,
    }
}

/// Whether `p` may read back a fact of `kind` (court records: review
/// outcomes alone; everyone else as their scope allows).
pub fn may_read(p: &Principal, kind: i32) -> bool {
    p.role != Role::CourtRecords || kind == FactKind::ReviewOutcome as i32
}

/// An outcome the other side (the office or court records) reports is a
/// finding unless the unit had itself reported an outcome of the same kind
/// and result on that decision, still live, before it. Reporting afterwards
/// changes nothing: the finding is on the other side's fact.
pub async fn outcome_not_reported(
    db: &DatabaseConnection,
    body_id: &str,
    fact: &Fact,
) -> AppResult<Option<Found>> {
    let Some(Payload::ReviewOutcome(r)) = fact.payload.as_ref() else {
        return Ok(None);
    };
    if r.reporter.is_empty() {
        return Ok(None);
    }
    let key = (body_id.to_string(), r.decision.clone());
    let ids: Vec<i64> = store::dependants(db, std::slice::from_ref(&key))
        .await?
        .remove(&key)
        .unwrap_or_default()
        .into_iter()
        .map(|d| d.id)
        .collect();
    let reported = store::by_id(db, &ids).await?.into_values().any(|c| {
        !c.voided
            && c.kind == FactKind::ReviewOutcome as i32
            && matches!(
                Fact::decode(c.payload.as_slice()).ok().and_then(|f| f.payload),
                Some(Payload::ReviewOutcome(u))
                    if u.reporter.is_empty() && u.kind == r.kind && u.result == r.result
            )
    });
    if reported {
        return Ok(None);
    }
    let kind = ReviewKind::try_from(r.kind).unwrap_or_default();
    let result = ReviewResult::try_from(r.result).unwrap_or_default();
    Ok(Some(Found {
        rule: rules::OUTCOME_NOT_REPORTED,
        officer: String::new(),
        detail: format!(
            "{} reported {} {} of decision {}; the unit had not",
            r.reporter,
            kind.as_str_name(),
            result.as_str_name(),
            r.decision
        ),
    }))
}

/// The table as Markdown (docs/reporters.md).
pub fn markdown() -> String {
    let mut s = String::from(
        "# Rightful reporters\n\n\
         Generated from `services/intake/src/reporters.rs` (a test keeps this file equal to it).\n\
         A fact from anyone else is refused: FAILED_PRECONDITION, `WRONG_REPORTER`, naming who may.\n\
         A correction or void must come from whoever may report the stored revision, on the side\n\
         that reported it (the legal-affairs office may always).\n\n\
         | kind | 中文 | who may report it |\n| --- | --- | --- |\n",
    );
    for r in TABLE {
        let who: Vec<&str> = r.reporters.iter().map(|x| x.describe()).collect();
        s.push_str(&format!(
            "| `{}` | {} | {} |\n",
            r.kind.as_str_name(),
            r.zh,
            who.join("; ")
        ));
    }
    s.push_str(
        "\nA review outcome reported by the legal-affairs office or court records, when the unit\n\
         had not itself reported a live outcome of the same kind and result on that decision\n\
         before, is stored with the finding `OUTCOME_NOT_REPORTED` (Art. 8(7), 9(3), 19(17)).\n\
         The unit reporting it afterwards does not remove it.\n",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, body: Option<&str>) -> Principal {
        Principal {
            subject: "t".into(),
            role,
            body: body.map(str::to_string),
            scope: None,
        }
    }

    fn review(body: &str) -> Fact {
        Fact {
            body: body.into(),
            kind: FactKind::CaseFileReview as i32,
            payload: Some(Payload::CaseFileReview(CaseFileReview::default())),
            ..Default::default()
        }
    }

    #[test]
    fn every_kind_has_a_reporter_and_the_doc_is_the_table() {
        for k in 1..=11 {
            let kind = FactKind::try_from(k).unwrap();
            assert!(!of(kind).is_empty(), "{kind:?}");
        }
        let doc = format!("{}/../../docs/reporters.md", env!("CARGO_MANIFEST_DIR"));
        if std::env::var_os("PROBITY_WRITE_DOCS").is_some() {
            std::fs::write(&doc, markdown()).expect("write docs/reporters.md");
        }
        assert_eq!(
            std::fs::read_to_string(&doc).unwrap_or_default(),
            markdown(),
            "docs/reporters.md is generated: run this test with PROBITY_WRITE_DOCS=1"
        );
    }

    #[test]
    fn a_case_file_review_comes_from_outside_the_line() {
        // gov > dept > sub; other is dept's sibling.
        let mut paths = Paths::new();
        for (b, p) in [
            ("gov", "/gov/"),
            ("dept", "/gov/dept/"),
            ("sub", "/gov/dept/sub/"),
            ("other", "/gov/other/"),
        ] {
            paths.insert(body_name(b), Some(p.into()));
        }
        let f = review("bodies/dept");
        let by = |b: &str| {
            check(
                &principal(Role::Department, Some(b)),
                &f,
                "/gov/dept/",
                &paths,
            )
        };
        for own_line in ["dept", "gov", "sub"] {
            let e = by(own_line).unwrap_err();
            assert!(
                e.to_string().contains("outside the reviewed body's line"),
                "{e}"
            );
        }
        assert!(by("other").is_ok());
        assert!(
            by("unknown").is_err(),
            "a reviewer the registry does not know"
        );
        let office = principal(Role::LegalOffice, None);
        assert!(check(&office, &f, "/gov/dept/", &paths).is_ok());
        let court = principal(Role::CourtRecords, None);
        assert!(check(&court, &f, "/gov/dept/", &paths).is_err());
    }

    #[test]
    fn court_records_reports_review_outcomes_only() {
        let court = principal(Role::CourtRecords, None);
        let paths = Paths::new();
        for k in 1..=11 {
            let kind = FactKind::try_from(k).unwrap();
            let f = Fact {
                body: "bodies/dept".into(),
                kind: k,
                ..Default::default()
            };
            assert_eq!(
                check(&court, &f, "/gov/dept/", &paths).is_ok(),
                kind == FactKind::ReviewOutcome,
                "{kind:?}"
            );
        }
    }
}
