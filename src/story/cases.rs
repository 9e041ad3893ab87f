//! The office's side of the story: clients with its token, the cases it
//! raises from the planted findings, and the year's cases counted.
use std::collections::BTreeMap;

use probity_city::{
    GroundTruth,
    truth::{Pattern, Planted},
};
use probity_common::auth::Role;
use probity_proto::{
    accountability::v1::{
        Case, CaseState, FindingRef, Ground, ListCasesRequest, OpenCaseRequest,
        RaiseFromFindingRequest, Subject,
    },
    intake::v1::{Finding, FindingFilter, ListFindingsRequest},
};

pub use probity_city::connect::{Accountability as Acc, Conn, Intake};

/// Accountability as the legal-affairs office.
pub fn office(conn: &Conn<'_>) -> anyhow::Result<Acc> {
    conn.accountability(Role::LegalOffice, None)
}

/// A case raised from a planted pattern's first finding.
#[derive(Debug, Clone)]
pub struct Raised {
    pub pattern: Pattern,
    pub subject: String,
    pub rule: String,
    pub case: Case,
}

/// The first finding in force of `rule` on `officer` (or, with none, on
/// `body`), as the office sees it.
pub async fn first_finding(
    intake: &mut Intake,
    body: &str,
    officer: &str,
    rule: &str,
) -> anyhow::Result<Option<Finding>> {
    let r = intake
        .list_findings(ListFindingsRequest {
            filter: Some(FindingFilter {
                body: body.into(),
                officer: officer.into(),
                rule: rule.into(),
                ..Default::default()
            }),
            page_size: 1,
            page_token: String::new(),
        })
        .await?
        .into_inner();
    Ok(r.findings.into_iter().next())
}

/// Raises a case from `f` (its officer's, or its body's when it names none).
pub async fn raise(acc: &mut Acc, f: &Finding) -> anyhow::Result<Case> {
    let r = acc
        .raise_from_finding(RaiseFromFindingRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            finding: Some(FindingRef {
                fact: f.fact.clone(),
                revision: f.revision,
                rule: f.rule.clone(),
                officer: f.officer.clone(),
            }),
            ..Default::default()
        })
        .await?
        .into_inner();
    r.case
        .ok_or_else(|| anyhow::anyhow!("RaiseFromFinding answered no case"))
}

/// One case per planted pattern that has a finding and a ground: the
/// office raising what intake found.
pub async fn raise_planted(conn: &Conn<'_>, truth: &GroundTruth) -> anyhow::Result<Vec<Raised>> {
    let mut intake = conn.intake(Role::LegalOffice, None)?;
    let mut acc = office(conn)?;
    let mut out = Vec::new();
    for p in truth.planted.iter().filter(|p| p.ground.is_some()) {
        let case = match p.findings.first() {
            Some(rule) => {
                let named = p.officer.as_ref().unwrap_or(&p.subject);
                let officer = if p.names_officer {
                    named.name.as_str()
                } else {
                    ""
                };
                match first_finding(&mut intake, &p.subject.body, officer, rule).await? {
                    Some(f) => raise(&mut acc, &f).await?,
                    None => continue,
                }
            }
            // No finding at intake (decisions overturned later, Art. 11):
            // the office opens the case on what the year's record shows.
            None => open(&mut acc, p).await?,
        };
        out.push(Raised {
            pattern: p.pattern,
            subject: case
                .subject
                .as_ref()
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            rule: p.findings.first().cloned().unwrap_or_default(),
            case,
        });
    }
    Ok(out)
}

/// The office opens a case on a pattern's subject on its ground.
async fn open(acc: &mut Acc, p: &Planted) -> anyhow::Result<Case> {
    let code = p.ground.clone().unwrap_or_default();
    Ok(acc
        .open_case(OpenCaseRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            subject: Some(Subject {
                name: p.subject.name.clone(),
                ..Default::default()
            }),
            grounds: vec![Ground {
                code,
                detail: format!("{}: {}", p.subject.display_name, p.note),
                ..Default::default()
            }],
            title: format!("{} 执法过错 enforcement fault", p.subject.display_name),
            evidence: vec![],
            reason: "年度执法数据显示 shown by the year's record".into(),
        })
        .await?
        .into_inner())
}

/// Every case, by state (its Chinese and English name) and by origin.
#[derive(Debug, Clone, Default)]
pub struct CaseCounts {
    pub total: usize,
    pub by_state: BTreeMap<String, usize>,
    pub by_origin: BTreeMap<String, usize>,
    pub decided_or_later: usize,
}

pub async fn all_cases(conn: &Conn<'_>) -> anyhow::Result<Vec<Case>> {
    let mut acc = office(conn)?;
    let mut out = Vec::new();
    let mut token = String::new();
    loop {
        let r = acc
            .list_cases(ListCasesRequest {
                filter: None,
                page_size: 500,
                page_token: token,
            })
            .await?
            .into_inner();
        out.extend(r.cases);
        if r.next_page_token.is_empty() {
            return Ok(out);
        }
        token = r.next_page_token;
    }
}

pub fn count(cases: &[Case]) -> CaseCounts {
    let mut c = CaseCounts {
        total: cases.len(),
        ..Default::default()
    };
    for case in cases {
        let state = CaseState::try_from(case.state).unwrap_or(CaseState::Unspecified);
        *c.by_state
            .entry(
                state
                    .as_str_name()
                    .trim_start_matches("CASE_STATE_")
                    .to_string(),
            )
            .or_default() += 1;
        let origin = case
            .origin
            .as_ref()
            .and_then(|o| probity_proto::accountability::v1::OriginKind::try_from(o.kind).ok())
            .map(|k| {
                k.as_str_name()
                    .trim_start_matches("ORIGIN_KIND_")
                    .to_string()
            })
            .unwrap_or_default();
        *c.by_origin.entry(origin).or_default() += 1;
        if matches!(
            state,
            CaseState::Decided | CaseState::Contested | CaseState::Executed | CaseState::Closed
        ) {
            c.decided_or_later += 1;
        }
    }
    c
}
