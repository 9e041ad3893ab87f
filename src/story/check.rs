//! Each planted pattern against what the system made of it: the finding
//! intake recorded, the flag or value the rankings show, the case it
//! raised; and every flag the run raised on a subject nothing was planted on.
use probity_city::{
    GroundTruth,
    draws::{Departure, Draws},
    truth::{Flag, Planted, Worst},
};
use probity_common::auth::Role;
use probity_proto::accountability::v1::Case;
use probity_rankings::summary::{Row, RunTables};

use super::cases::{Conn, Raised, first_finding};

/// Whether the system found what was planted, by the rule it was planted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    Yes,
    No,
    /// The pattern expects nothing of this kind.
    NotExpected,
}

impl Found {
    fn of(expected: bool, seen: bool) -> Found {
        match (expected, seen) {
            (false, _) => Found::NotExpected,
            (true, true) => Found::Yes,
            (true, false) => Found::No,
        }
    }

    pub fn missed(self) -> bool {
        self == Found::No
    }
}

#[derive(Debug, Clone)]
pub struct PatternCheck {
    pub planted: Planted,
    /// Intake recorded the pattern's first rule on its subject.
    pub finding: Found,
    /// The rankings show it: its flag, or its value worst in its group.
    pub rankings: Found,
    /// A case on it (raised from its finding, or from its flag).
    pub case: Found,
}

impl PatternCheck {
    pub fn missed(&self) -> bool {
        self.finding.missed() || self.rankings.missed() || self.case.missed()
    }
}

/// The subject's row: an officer's, or the department's (a department
/// pattern shown in the departments' table is its body's row).
fn row<'a>(tables: &'a RunTables, p: &Planted, departments: bool) -> Option<&'a Row> {
    if departments {
        tables
            .departments
            .iter()
            .find(|r| r.subject == p.subject.body)
    } else {
        tables
            .officers
            .iter()
            .chain(&tables.departments)
            .find(|r| r.subject == p.subject.name)
    }
}

fn flagged(r: &Row, f: Flag) -> bool {
    match f {
        Flag::Outstanding => r.outstanding,
        Flag::BelowThreshold => r.below_threshold,
        Flag::Failing => r.failing,
    }
}

/// The subject's value of `column` is the worst of its peer group's.
fn worst(tables: &RunTables, r: &Row, column: &str, officers: bool, w: Worst) -> bool {
    let peers = if officers {
        &tables.officers
    } else {
        &tables.departments
    };
    let value = |x: &Row| x.columns.get(column).copied().flatten();
    let Some(mine) = value(r) else {
        return false;
    };
    let mut others = peers
        .iter()
        .filter(|x| x.subject != r.subject && x.peer_group_name == r.peer_group_name)
        .filter_map(value);
    match w {
        Worst::NonZero => mine > 0.0,
        Worst::Highest => others.all(|x| x < mine),
        Worst::Lowest => others.all(|x| x > mine),
    }
}

pub async fn patterns(
    conn: &Conn<'_>,
    truth: &GroundTruth,
    tables: &RunTables,
    raised: &[Raised],
    cases: &[Case],
) -> anyhow::Result<Vec<PatternCheck>> {
    let mut intake = conn.intake(Role::LegalOffice, None)?;
    let mut out = Vec::new();
    for p in &truth.planted {
        let finding = match p.findings.first() {
            Some(rule) => {
                let named = p.officer.as_ref().unwrap_or(&p.subject);
                let officer = if p.names_officer {
                    named.name.as_str()
                } else {
                    ""
                };
                let f = first_finding(&mut intake, &p.subject.body, officer, rule).await?;
                Found::of(true, f.is_some())
            }
            None => Found::NotExpected,
        };
        let r = row(
            tables,
            p,
            p.shows.as_ref().is_some_and(|s| s.table == "departments"),
        );
        let rankings = match (&p.flag, &p.shows) {
            (Some(f), _) => Found::of(true, r.is_some_and(|r| flagged(r, *f))),
            (None, Some(s)) => Found::of(
                true,
                r.is_some_and(|r| worst(tables, r, &s.column, s.table == "officers", s.worst)),
            ),
            (None, None) => Found::NotExpected,
        };
        // A case is expected where there is a ground, or a flag that raises
        // one (the outstanding are commended, not charged).
        let expects_case =
            p.ground.is_some() || matches!(p.flag, Some(Flag::BelowThreshold | Flag::Failing));
        let has_case = raised.iter().any(|x| x.pattern == p.pattern)
            || cases
                .iter()
                .any(|c| c.subject.as_ref().is_some_and(|s| s.name == p.subject.name));
        out.push(PatternCheck {
            planted: p.clone(),
            finding,
            rankings,
            case: Found::of(expects_case, has_case),
        });
    }
    Ok(out)
}

/// Officers, departments and towns the run flagged (below the threshold,
/// failing) that nothing was planted on.
pub fn false_flags(truth: &GroundTruth, tables: &RunTables) -> Vec<String> {
    let planted = truth.planted_subjects();
    tables
        .officers
        .iter()
        .chain(&tables.departments)
        .chain(&tables.towns)
        .filter(|r| r.flagged() && !planted.contains(&r.subject))
        .map(|r| format!("{} {}", r.subject, r.name))
        .collect()
}

/// A unit's departure from its draw against what the system made of it.
#[derive(Debug, Clone)]
pub struct DrawCheck {
    pub departure: Departure,
    pub unit: String,
    /// Intake recorded the departure's rule on the unit (for the undrawn
    /// unit: its verified drawn share is nil, below its plan).
    pub found: Found,
}

impl DrawCheck {
    pub fn missed(&self) -> bool {
        self.found.missed()
    }
}

/// Each departure planted in the units' draws, found or not; and every
/// unit that departed from its draw without a departure planted on it (a
/// finding on its inspections, or an inspection not verified).
pub async fn draws(conn: &Conn<'_>, d: &Draws) -> anyhow::Result<(Vec<DrawCheck>, Vec<String>)> {
    let mut intake = conn.intake(Role::LegalOffice, None)?;
    let mut out = Vec::new();
    for u in &d.units {
        let Some(departure) = u.departure else {
            continue;
        };
        let seen = match departure.rule() {
            Some(rule) => first_finding(&mut intake, &u.body, "", rule)
                .await?
                .is_some(),
            None => u.verified == 0 && u.below_plan(),
        };
        out.push(DrawCheck {
            departure,
            unit: u.display_name.clone(),
            found: Found::of(true, seen),
        });
    }
    let strays = d
        .units
        .iter()
        .filter(|u| u.departure.is_none())
        .filter(|u| !u.findings.is_empty() || u.verified != u.inspections)
        .map(|u| format!("{} {}: {:?}", u.body, u.display_name, u.findings))
        .collect();
    Ok((out, strays))
}
