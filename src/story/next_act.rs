//! The loop: an officer's case investigated and proposed by the unit's legal
//! section (Art. 12), decided by the officer's unit with a withheld
//! credential (暂扣行政执法证件, Art. 20, 21) and executed by it, the registry
//! told through the outbox; the officer's next act is then a finding, and
//! the office raises that finding's own case.
use std::time::Duration;

use chrono::Utc;
use probity_city::{City, truth::Pattern};
use probity_common::auth::Role;
use probity_proto::{
    accountability::v1::{
        Case, CaseState, DecideCaseRequest, Decision, EffectState, ExecuteDecisionRequest,
        GetCaseRequest, ProposeDecisionRequest, Sanction, SanctionKind, StartInvestigationRequest,
    },
    intake::v1::{Fact, FactFilter, FactKind, ListFactsRequest, SubmitFactRequest, fact::Payload},
};

use super::cases::{Acc, Conn, Raised, raise};

/// How the loop closed.
#[derive(Debug, Clone)]
pub struct LoopClosed {
    /// The officer whose credential was withheld, and their display name.
    pub officer: String,
    pub officer_name: String,
    /// The decided case, executed, its effects applied.
    pub decided: Case,
    /// The officer's next act, as intake recorded it, with its findings.
    pub next_act: Fact,
    /// The case that act's finding raised (None if it had no finding).
    pub raised: Option<Case>,
}

fn rid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn ts(t: chrono::DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

pub async fn close_the_loop(
    conn: &Conn<'_>,
    city: &City,
    raised: &[Raised],
) -> anyhow::Result<LoopClosed> {
    let chosen = raised
        .iter()
        .filter(|r| r.subject.starts_with("officers/"))
        .min_by_key(|r| r.pattern != Pattern::OutsideBenchmark)
        .ok_or_else(|| anyhow::anyhow!("no case against an officer was raised"))?;
    let officer = chosen.subject.clone();
    let made = city
        .officers
        .iter()
        .find(|o| o.name == officer)
        .ok_or_else(|| anyhow::anyhow!("{officer} is not one of the city's officers"))?;
    let mut acc = super::cases::office(conn)?;
    let unit = chosen
        .case
        .subject
        .as_ref()
        .map(|s| s.body.clone())
        .unwrap_or_default();
    let mut section = conn.legal_section(&unit)?;
    let mut decider = conn.accountability(Role::Department, Some(&unit))?;
    let decided = withhold(&mut section, &mut decider, &chosen.case).await?;
    let next_act = act_again(conn, &officer, &made.body).await?;
    let finding = next_act
        .findings
        .iter()
        .find(|f| f.officer == officer)
        .cloned();
    let raised = match &finding {
        Some(f) => Some(raise(&mut acc, f).await?),
        None => None,
    };
    Ok(LoopClosed {
        officer,
        officer_name: made.display_name.clone(),
        decided,
        next_act,
        raised,
    })
}

/// The legal section investigates and proposes a withholding of 90 days;
/// the unit decides and executes it and waits until the registry applied it.
async fn withhold(section: &mut Acc, acc: &mut Acc, case: &Case) -> anyhow::Result<Case> {
    let name = case.name.clone();
    section
        .start_investigation(StartInvestigationRequest {
            request_id: rid(),
            name: name.clone(),
            reason: "调查核实 investigation of the finding".into(),
        })
        .await?;
    let until = Utc::now() + chrono::Duration::days(90);
    section
        .propose_decision(ProposeDecisionRequest {
            request_id: rid(),
            name: name.clone(),
            proposal: Some(Decision {
                severity: 3,
                sanctions: vec![Sanction {
                    kind: SanctionKind::CredentialWithheld as i32,
                    until: Some(ts(until)),
                    ..Default::default()
                }],
                reasoning:
                    "情节较重，暂扣行政执法证件九十日 serious: credential withheld for 90 days"
                        .into(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await?;
    acc.decide_case(DecideCaseRequest {
        request_id: rid(),
        name: name.clone(),
        decision: None,
        reason: "依照《行政执法责任制规定》第二十一条作出决定 decided under Art. 21".into(),
    })
    .await?;
    acc.execute_decision(ExecuteDecisionRequest {
        request_id: rid(),
        name: name.clone(),
        reason: "执行 carried out".into(),
    })
    .await?;
    for _ in 0..600 {
        let c = acc
            .get_case(GetCaseRequest { name: name.clone() })
            .await?
            .into_inner();
        let settled = !c.effects.is_empty()
            && c.effects
                .iter()
                .all(|e| e.state != EffectState::Pending as i32);
        if settled {
            anyhow::ensure!(
                c.state == CaseState::Executed as i32
                    && c.effects
                        .iter()
                        .all(|e| e.state == EffectState::Applied as i32),
                "the withholding was not applied: {:?}",
                c.effects
            );
            return Ok(c);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the registry did not apply the withholding of {name} in 60 s")
}

/// The officer's department reports a new inspection by them today, like
/// one of their inspections of the year.
async fn act_again(conn: &Conn<'_>, officer: &str, body: &str) -> anyhow::Result<Fact> {
    let mut office = conn.intake(Role::LegalOffice, None)?;
    let earlier = office
        .list_facts(ListFactsRequest {
            filter: Some(FactFilter {
                body: body.into(),
                officer: officer.into(),
                kind: FactKind::Inspection as i32,
                ..Default::default()
            }),
            page_size: 1,
            page_token: String::new(),
        })
        .await?
        .into_inner()
        .facts
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("{officer} has no inspection to repeat"))?;
    let Some(Payload::Inspection(mut inspection)) = earlier.payload else {
        anyhow::bail!("the inspection of {officer} has no payload");
    };
    // After the withholding took effect (an act before it is no breach).
    inspection.inspect_time = Some(ts(Utc::now()));
    let fact = Fact {
        body: earlier.body.clone(),
        source_id: format!("demo-next-act-{}", &rid()[..8]),
        payload: Some(Payload::Inspection(inspection)),
        ..Default::default()
    };
    let mut dept = conn.intake(Role::Department, Some(body))?;
    Ok(dept
        .submit_fact(SubmitFactRequest {
            fact: Some(fact),
            correction_reason: String::new(),
        })
        .await?
        .into_inner())
}
