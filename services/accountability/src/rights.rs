//! Decision rights (the regulation's split of powers), as data: per family
//! of grounds, who may take each step of a case. The legal-affairs office
//! investigates and proposes against a unit, the city government or the
//! unit's superior authority decides (Art. 19); the officer's own unit
//! decides about its officer after its legal section's investigation and
//! proposal (Art. 20, 12), and the office takes over a case the unit left
//! undecided past its time limit (escalation, as Art. 10 escalates a
//! refused correction). docs/accountability.md has the table in the
//! regulation's words; `policy.rs` admits every role named here and the
//! handlers check the table against the case.
use probity_common::{
    AppError, AppResult, Reason,
    auth::{Principal, Role, Scope},
};
use probity_proto::accountability::v1::CaseState as CaseStatePb;

use crate::{
    cases::Action,
    deadline,
    settings::AccountabilitySettings,
    store::rows::{CaseRecord, CaseState, SubjectKind},
};

/// A step of a case, as the table names it: the procedure's actions and
/// opening the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Open,
    Act(Action),
}

impl Step {
    /// The method that takes it, for messages.
    pub fn method(self) -> &'static str {
        match self {
            Step::Open => "OpenCase",
            Step::Act(a) => match a {
                Action::AddEvidence => "AddEvidence",
                Action::StartInvestigation => "StartInvestigation",
                Action::Propose => "ProposeDecision",
                Action::Decide => "DecideCase",
                Action::Contest => "ContestDecision",
                Action::ResolveContest => "ResolveContest",
                Action::Execute => "ExecuteDecision",
                Action::Close => "CloseCase",
                Action::Dismiss => "DismissCase",
            },
        }
    }
}

/// Who may hold a right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// 法制机构: the legal-affairs office.
    Office,
    /// The office, once the case was escalated to it.
    OfficeOnceEscalated,
    /// 本级人民政府: the city government.
    Government,
    /// 上一级主管机关: a department above the case's unit in the registry.
    Superior,
    /// 行政执法单位: the unit the case is about, or the officer's unit.
    Unit,
    /// The unit, until the case was escalated to the office.
    UnitUntilEscalated,
    /// 法制股室: the unit's legal section (a department token with the
    /// `legal_section` scope).
    LegalSection,
}

use Holder::*;

/// A family of grounds: the rows of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// ART19_*: a unit's breaches.
    Art19,
    /// ART06 against a unit: failing the annual assessment.
    Art6Unit,
    /// ART10: a refused correction.
    Art10,
    /// ART11 against a unit: a wrongful case.
    Art11Unit,
    /// ART20_*: an officer's breaches.
    Art20,
    /// ART06 against an officer.
    Art6Officer,
    /// ART11 against an officer.
    Art11Officer,
}

/// Rights per step for one family.
pub struct Row {
    pub family: Family,
    /// The case as messages call it.
    pub label: &'static str,
    /// The articles the row rests on.
    pub articles: &'static str,
    pub open: &'static [Holder],
    pub add_evidence: &'static [Holder],
    pub investigate: &'static [Holder],
    pub propose: &'static [Holder],
    pub decide: &'static [Holder],
    pub execute: &'static [Holder],
    pub contest: &'static [Holder],
    pub resolve: &'static [Holder],
    pub dismiss: &'static [Holder],
    pub close: &'static [Holder],
}

/// Against a unit (Art. 19): the office investigates and proposes (提请),
/// the government or the superior authority decides and rules on a
/// contest; the office carries decisions out (Art. 3: 具体工作由法制机构承担).
const UNIT_CASE: Row = Row {
    family: Family::Art19,
    label: "Art. 19",
    articles: "Art. 19, 3",
    open: &[Office],
    add_evidence: &[Office],
    investigate: &[Office],
    propose: &[Office],
    decide: &[Government, Superior],
    execute: &[Office, Government, Superior],
    contest: &[Unit],
    resolve: &[Government, Superior],
    dismiss: &[Office, Government, Superior],
    close: &[Office, Government, Superior],
};

/// Against an officer (Art. 20, 12): the unit's legal section
/// investigates and proposes, the unit decides; the office may raise the
/// case, add evidence and dismiss it, and takes over once the unit is past
/// its limit.
const OFFICER_CASE: Row = Row {
    family: Family::Art20,
    label: "Art. 20",
    articles: "Art. 20, 12, 10",
    open: &[Office, LegalSection],
    add_evidence: &[Office, LegalSection],
    investigate: &[LegalSection, OfficeOnceEscalated],
    propose: &[LegalSection, OfficeOnceEscalated],
    decide: &[UnitUntilEscalated, OfficeOnceEscalated],
    execute: &[Unit, OfficeOnceEscalated],
    contest: &[Unit],
    resolve: &[Office],
    // The unit decides what its officer gets within Art. 21, which always
    // gives something; dropping the case is the supervising office's, or a
    // unit could make its officers' breaches disappear.
    dismiss: &[Office],
    close: &[Unit, OfficeOnceEscalated],
};

/// The table.
pub const RIGHTS: &[Row] = &[
    UNIT_CASE,
    // Art. 6: the city government (市人民政府) criticizes a failing unit;
    // no superior authority is named.
    Row {
        family: Family::Art6Unit,
        label: "Art. 6 (unit)",
        articles: "Art. 6, 3",
        decide: &[Government],
        execute: &[Office, Government],
        resolve: &[Government],
        dismiss: &[Office, Government],
        close: &[Office, Government],
        ..UNIT_CASE
    },
    // Art. 10: a unit that refuses to correct is reported for
    // accountability (可报相关部门予以问责): Art. 19's deciders.
    Row {
        family: Family::Art10,
        label: "Art. 10",
        articles: "Art. 10, 19",
        ..UNIT_CASE
    },
    Row {
        family: Family::Art11Unit,
        label: "Art. 11 (unit)",
        articles: "Art. 11, 19",
        ..UNIT_CASE
    },
    OFFICER_CASE,
    // Art. 4: a department assesses its own officers; a failing officer is
    // its to move out of enforcement posts (Art. 6), as Art. 20(2).
    Row {
        family: Family::Art6Officer,
        label: "Art. 6 (officer)",
        articles: "Art. 6, 4, 20, 12",
        ..OFFICER_CASE
    },
    Row {
        family: Family::Art11Officer,
        label: "Art. 11 (officer)",
        articles: "Art. 11, 20, 12",
        ..OFFICER_CASE
    },
];

impl Row {
    pub fn holders(&self, step: Step) -> &'static [Holder] {
        match step {
            Step::Open => self.open,
            Step::Act(a) => match a {
                Action::AddEvidence => self.add_evidence,
                Action::StartInvestigation => self.investigate,
                Action::Propose => self.propose,
                Action::Decide => self.decide,
                Action::Execute => self.execute,
                Action::Contest => self.contest,
                Action::ResolveContest => self.resolve,
                Action::Dismiss => self.dismiss,
                Action::Close => self.close,
            },
        }
    }
}

/// The family a ground puts a case in.
pub fn family(code: &str, kind: SubjectKind) -> Family {
    let officer = kind == SubjectKind::Officer;
    match code {
        "ART06" if officer => Family::Art6Officer,
        "ART06" => Family::Art6Unit,
        "ART10" => Family::Art10,
        "ART11" if officer => Family::Art11Officer,
        "ART11" => Family::Art11Unit,
        c if c.starts_with("ART20") => Family::Art20,
        _ if officer => Family::Art20,
        _ => Family::Art19,
    }
}

pub fn row(f: Family) -> &'static Row {
    RIGHTS
        .iter()
        .find(|r| r.family == f)
        .expect("every family has a row")
}

/// The rows a case's grounds put it under (each once, in table order).
pub fn rows_of(case: &CaseRecord) -> Vec<&'static Row> {
    let families: Vec<Family> = case
        .grounds
        .iter()
        .map(|g| family(&g.code, case.subject.kind))
        .collect();
    let mut out: Vec<&'static Row> = RIGHTS
        .iter()
        .filter(|r| families.contains(&r.family))
        .collect();
    if out.is_empty() {
        let f = if case.subject.kind == SubjectKind::Officer {
            Family::Art20
        } else {
            Family::Art19
        };
        out.push(row(f));
    }
    out
}

/// The holders of `step` on a case: those every row of its grounds names
/// (a case on two grounds takes the narrower right).
pub fn holders(case: &CaseRecord, step: Step) -> Vec<Holder> {
    let rows = rows_of(case);
    let first = rows[0].holders(step);
    first
        .iter()
        .copied()
        .filter(|h| rows.iter().all(|r| r.holders(step).contains(h)))
        .collect()
}

/// Who the caller is to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Office,
    Government,
    Superior,
    Unit,
    LegalSection,
    /// Anyone else (another department, a superior's legal section,
    /// leadership, a service).
    Other,
}

/// The case's unit: the body, or the officer's body (bodies/{id}).
pub fn unit_of(case: &CaseRecord) -> &str {
    &case.subject.body
}

/// Who `p` is to a case of `unit` whose ancestry (from the registry, when
/// needed) is `path`: `path` is asked only for a department of another body.
pub async fn actor<F, Fut>(p: &Principal, unit: &str, path: F) -> AppResult<Actor>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = AppResult<String>>,
{
    Ok(match p.role {
        Role::LegalOffice => Actor::Office,
        Role::Government => Actor::Government,
        Role::Department => {
            let body = p.body.as_deref().unwrap_or_default();
            let own = unit.strip_prefix("bodies/").unwrap_or(unit) == body;
            match (own, p.scope) {
                (true, Some(Scope::LegalSection)) => Actor::LegalSection,
                (true, None) => Actor::Unit,
                (false, None) if path().await?.contains(&format!("/{body}/")) => Actor::Superior,
                (false, _) => Actor::Other,
            }
        }
        _ => Actor::Other,
    })
}

/// Whether `holders` admit `a` on a case escalated (or not).
pub fn admits(holders: &[Holder], a: Actor, escalated: bool) -> bool {
    holders.iter().any(|h| match h {
        Office => a == Actor::Office,
        OfficeOnceEscalated => a == Actor::Office && escalated,
        Government => a == Actor::Government,
        Superior => a == Actor::Superior,
        Unit => a == Actor::Unit,
        UnitUntilEscalated => a == Actor::Unit && !escalated,
        LegalSection => a == Actor::LegalSection,
    })
}

/// Whether a step needs the caller's place in the registry's tree
/// (a superior authority is a body above the unit).
pub fn asks_superior(case: &CaseRecord, step: Step) -> bool {
    holders(case, step).contains(&Superior)
}

fn describe(h: Holder, case: &CaseRecord, escalated: bool) -> String {
    let unit = unit_of(case);
    let whose = if case.subject.kind == SubjectKind::Officer {
        "the officer's unit"
    } else {
        "the unit itself"
    };
    match h {
        Office => "the legal-affairs office (法制机构)".into(),
        OfficeOnceEscalated => format!(
            "the legal-affairs office once the case is escalated to it (it {})",
            if escalated { "is" } else { "is not" }
        ),
        Government => "the city government (本级人民政府)".into(),
        Superior => format!("the unit's superior authority (上一级主管机关, a body above {unit})"),
        Unit => format!("{whose} ({unit})"),
        UnitUntilEscalated => format!("{whose} ({unit}) until the case is escalated to the office"),
        LegalSection => format!("the unit's legal section (法制股室: {unit}, scope legal_section)"),
    }
}

/// PERMISSION_DENIED DECISION_RIGHT unless `a` holds `step` on `case`;
/// the message names who may.
pub fn check(case: &CaseRecord, step: Step, a: Actor, escalated: bool) -> AppResult<()> {
    let hs = holders(case, step);
    if admits(&hs, a, escalated) {
        return Ok(());
    }
    let rows = rows_of(case);
    let label: Vec<&str> = rows.iter().map(|r| r.label).collect();
    let articles: Vec<&str> = rows.iter().map(|r| r.articles).collect();
    let who: Vec<String> = hs.iter().map(|h| describe(*h, case, escalated)).collect();
    let who = if who.is_empty() {
        "no one".to_string()
    } else {
        who.join(" or ")
    };
    Err(AppError::refused(
        Reason::DecisionRight,
        format!(
            "{} on an {} case is for {who} ({})",
            step.method(),
            label.join(" and "),
            articles.join("; ")
        ),
    ))
}

/// States in which a case waits for its unit's decision.
const UNDECIDED: [CaseState; 3] = [
    CaseState::Opened,
    CaseState::Investigating,
    CaseState::Proposed,
];

/// Whether the case is one its unit decides (it can be escalated).
pub fn unit_decides(case: &CaseRecord) -> bool {
    holders(case, Step::Act(Action::Decide)).contains(&UnitUntilEscalated)
}

/// Whether the case, not yet escalated, is now due to be: one its unit
/// decides, still undecided, past the limit of its state (RED).
pub fn due_escalation(
    s: &AccountabilitySettings,
    case: &CaseRecord,
    state_us: i64,
    now_us: i64,
) -> bool {
    if case.escalate_time.is_some() || !unit_decides(case) || !UNDECIDED.contains(&case.state) {
        return false;
    }
    let state = CaseStatePb::try_from(case.state.code()).unwrap_or_default();
    let (due, _) = deadline::status(s, state, state_us, now_us);
    due.is_some_and(|d| now_us >= d)
}

/// Why a case was escalated, as its event says.
pub const ESCALATED: &str = "单位逾期未作决定，移交法制机构 (not decided by the unit within its time limit: escalated to the legal-affairs office, Art. 20, 10)";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::rows::Ground;

    fn case(kind: SubjectKind, codes: &[&str]) -> CaseRecord {
        CaseRecord {
            subject: crate::store::rows::Subject {
                kind,
                body: "bodies/u".into(),
                ..Default::default()
            },
            grounds: codes
                .iter()
                .map(|c| Ground {
                    code: c.to_string(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn a_case_on_two_grounds_takes_the_narrower_right() {
        let c = case(SubjectKind::Body, &["ART19_04", "ART06"]);
        assert_eq!(holders(&c, Step::Act(Action::Decide)), vec![Government]);
        let e = check(&c, Step::Act(Action::Decide), Actor::Superior, false).unwrap_err();
        let status = tonic::Status::from(e);
        assert_eq!(status.code(), tonic::Code::PermissionDenied);
        assert!(
            status.message().contains("Art. 19 and Art. 6 (unit)"),
            "{status:?}"
        );
    }
}
