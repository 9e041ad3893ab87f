//! The cases that are raised rather than changed: opened by the office,
//! raised from an intake finding, raised from a ranking flag. Each is built
//! here from what the registry and intake say, then created once per
//! origin key (`lifecycle::create`).
use probity_common::{AppError, AppResult, Reason};
use probity_proto::{
    accountability::v1::FlagKind,
    intake::v1::{Fact, Finding, FindingState},
};

use crate::{
    Accountability,
    api::checks::MAX_TEXT,
    catalogue,
    lifecycle::truncate,
    store::rows::{
        CaseRecord, Evidence, EvidenceKind, Ground, Origin, OriginKind, Subject, SubjectKind,
    },
};

/// A case ready to be created: its record, its subject's body path, and
/// the reason its first event gives.
pub struct Raised {
    pub case: CaseRecord,
    pub body_path: String,
    pub reason: String,
}

/// What the office opens a case with (OpenCase).
pub struct Opening {
    pub subject: String,
    pub principal_leader: String,
    pub responsible_leader: String,
    pub grounds: Vec<Ground>,
    pub title: String,
    pub evidence: Vec<Evidence>,
    pub reason: String,
}

/// A case the office opens against the subject as the registry knows it.
pub async fn opened(acc: &Accountability, o: Opening) -> AppResult<Raised> {
    let who = acc.peers.resolve(&o.subject, "subject.name").await?;
    let case = CaseRecord {
        subject: Subject {
            name: o.subject,
            kind: who.kind,
            body: who.body,
            principal_leader: o.principal_leader,
            responsible_leader: o.responsible_leader,
            display_name: who.display_name,
        },
        grounds: o.grounds,
        origin: Origin {
            kind: OriginKind::Manual,
            ..Default::default()
        },
        title: o.title,
        evidence: unstamped(o.evidence),
        ..Default::default()
    };
    Ok(Raised {
        case,
        body_path: who.body_path,
        reason: o.reason,
    })
}

/// Evidence as a client sent it, without the output-only stamps it may carry.
pub fn unstamped(list: Vec<Evidence>) -> Vec<Evidence> {
    list.into_iter()
        .map(|e| Evidence {
            added_by: String::new(),
            add_time: None,
            ..e
        })
        .collect()
}

/// A finding to raise a case from (RaiseFromFinding), checked.
pub struct FindingAsk {
    pub fact: String,
    pub revision: i32,
    pub rule: String,
    /// The officer the finding names, if any.
    pub finding_officer: String,
    /// The officer the case is to be against, when asked.
    pub officer: String,
    pub kind: SubjectKind,
    pub grounds: Vec<Ground>,
    pub title: String,
}

/// The case a finding raises: the finding read back from intake (it must
/// still be in force), the subject the officer it names or its fact's body.
pub async fn from_finding(acc: &Accountability, f: FindingAsk) -> AppResult<Raised> {
    let revisions = acc.peers.fact_revisions(&f.fact, "finding.fact").await?;
    let fact = revisions
        .iter()
        .find(|x| x.revision == f.revision)
        .ok_or_else(|| AppError::invalid("finding.revision", "the fact has no such revision"))?;
    let finding = finding_in_force(fact, &f)?;
    let subject_name = subject_of(fact, finding, &f)?;
    let who = acc.peers.resolve(&subject_name, "finding").await?;
    let detail = truncate(&finding.detail, MAX_TEXT);
    let case = CaseRecord {
        subject: Subject {
            name: subject_name.clone(),
            kind: f.kind,
            body: who.body,
            display_name: who.display_name,
            ..Default::default()
        },
        grounds: if f.grounds.is_empty() {
            vec![Ground {
                code: catalogue::finding_ground(&finding.rule, f.kind).into(),
                detail: detail.clone(),
                ..Default::default()
            }]
        } else {
            f.grounds
        },
        origin: Origin {
            kind: OriginKind::Finding,
            reference: f.fact.clone(),
            // One case per finding and subject, whatever revision of the
            // fact shows it.
            key: format!(
                "finding:{}:{}:{}:{}",
                f.fact, f.rule, f.finding_officer, subject_name
            ),
        },
        title: if f.title.is_empty() {
            let t = format!("{} ({}): {}", finding.rule, finding.article, finding.detail);
            truncate(&t, 200)
        } else {
            f.title
        },
        evidence: vec![Evidence {
            kind: EvidenceKind::Finding,
            reference: f.fact.clone(),
            revision: f.revision,
            rule: f.rule.clone(),
            officer: f.finding_officer.clone(),
            note: detail,
            ..Default::default()
        }],
        ..Default::default()
    };
    Ok(Raised {
        case,
        body_path: who.body_path,
        reason: format!("raised from finding {} on {}", f.rule, f.fact),
    })
}

fn in_force(state: i32) -> bool {
    use FindingState as S;
    [S::Open, S::SupersededPending, S::Upheld]
        .iter()
        .any(|s| *s as i32 == state)
}

/// The finding `f` names on the fact's revision, refused when the office
/// cleared it. The revision's view holds the findings on record up to it,
/// each as it stands now; one still in force first (a breach shown again
/// after the office cleared it is a finding of its own).
fn finding_in_force<'a>(fact: &'a Fact, f: &FindingAsk) -> AppResult<&'a Finding> {
    let matching = || {
        fact.findings
            .iter()
            .filter(|x| x.rule == f.rule && x.officer == f.finding_officer)
    };
    let finding = matching()
        .find(|x| in_force(x.state))
        .or_else(|| matching().next())
        .ok_or_else(|| AppError::invalid("finding", "that revision has no such finding"))?;
    // A correction or a void does not withdraw a finding (it stays in force
    // until the office rules); only the office's clearing does.
    if !in_force(finding.state) {
        return Err(AppError::refused(
            Reason::FindingCleared,
            format!(
                "{} was cleared by the legal-affairs office ({}): it raises no case",
                finding.name, finding.ruling_reason
            ),
        ));
    }
    Ok(finding)
}

/// Whom the case is against: the officer asked for (the finding's, or one
/// of the act's when the finding names none), or the fact's body.
fn subject_of(fact: &Fact, finding: &Finding, f: &FindingAsk) -> AppResult<String> {
    Ok(match f.kind {
        SubjectKind::Officer if f.officer.is_empty() => finding.officer.clone(),
        SubjectKind::Officer => {
            let ok = if finding.officer.is_empty() {
                fact.named_officers().contains(&f.officer)
            } else {
                finding.officer == f.officer
            };
            if !ok {
                return Err(AppError::invalid(
                    "officer",
                    "neither the finding's officer nor one of the act's officers",
                ));
            }
            f.officer.clone()
        }
        _ => fact.body.clone(),
    })
}

/// A ranking flag to raise a case from (RaiseFromFlag), checked.
pub struct FlagAsk {
    pub year: i32,
    /// The flag's kind as the API names it.
    pub kind: &'static str,
    /// The ground it is raised on (`catalogue::flag_ground`).
    pub ground: &'static str,
    pub subject: String,
    pub score: f64,
    pub threshold: f64,
    pub peer_group: String,
    pub run: String,
}

/// The case a ranking flag raises: one per year, kind and subject.
pub async fn from_flag(acc: &Accountability, flag: FlagAsk) -> AppResult<Raised> {
    let who = acc.peers.resolve(&flag.subject, "flag.subject").await?;
    let reference = format!("rankings/{}/{}/{}", flag.year, flag.kind, flag.subject);
    let detail = if flag.ground == catalogue::flag_ground(FlagKind::DrawnShareBelowPlan) {
        format!(
            "{} {}: 双随机抽查比例 drawn share of routine inspections {:.1}% below the plan's {:.1}% ({}, run {})",
            flag.year,
            flag.kind,
            flag.score * 100.0,
            flag.threshold * 100.0,
            flag.peer_group,
            flag.run
        )
    } else {
        format!(
            "{} {}: score {:.4} below {:.4} (peer group {}, run {})",
            flag.year, flag.kind, flag.score, flag.threshold, flag.peer_group, flag.run
        )
    };
    let title = format!(
        "{}: {}",
        catalogue::ground(flag.ground)
            .map(|g| g.zh)
            .unwrap_or(flag.ground),
        detail
    );
    let case = CaseRecord {
        subject: Subject {
            name: flag.subject.clone(),
            kind: who.kind,
            body: who.body,
            display_name: who.display_name,
            ..Default::default()
        },
        grounds: vec![Ground {
            code: flag.ground.into(),
            detail: detail.clone(),
            ..Default::default()
        }],
        origin: Origin {
            kind: OriginKind::RankingFlag,
            reference: reference.clone(),
            // One case per year, kind and subject: the nightly runs of a
            // year raise the same flag again and again.
            key: format!("flag:{}:{}:{}", flag.year, flag.kind, flag.subject),
        },
        title: truncate(&title, 200),
        evidence: vec![Evidence {
            kind: EvidenceKind::RankingFlag,
            reference,
            note: detail,
            ..Default::default()
        }],
        ..Default::default()
    };
    Ok(Raised {
        case,
        body_path: who.body_path,
        reason: "raised from a ranking flag".into(),
    })
}
