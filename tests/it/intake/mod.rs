//! Intake: facts from departmental systems, checked against the registry.
//! Helpers here build facts about the fixtures' world.
use chrono::{DateTime, Duration, Utc};
use probity_common::auth::Role;
use probity_proto::{
    intake::v1::{fact::Payload, intake_service_client::IntakeServiceClient, *},
    registry::v1::{CircumstanceGrade, PowerCategory},
};
use tonic::{service::interceptor::InterceptedService, transport::Channel};

use crate::{
    fixtures::{World, ts},
    harness::{Bearer, TestServer},
};

mod basics;
mod breaches;
mod bulk;
mod dependants;
mod drawn;
mod drawn_doors;
mod drawn_public;
mod export_columns;
mod fast_path;
mod findings;
mod inaction;
mod kill;
mod record;
mod replicas;
mod reporters;
mod resends;
mod scope;
mod stalled;

pub type Intake = IntakeServiceClient<InterceptedService<Channel, Bearer>>;

pub async fn intake(s: &TestServer, role: Role, body: Option<&str>) -> Intake {
    IntakeServiceClient::with_interceptor(s.channel().await, Bearer::new(&s.token(role, body)))
        .max_decoding_message_size(64 * 1024 * 1024)
}

/// The department of the fixtures' world.
pub async fn dept(s: &TestServer, w: &World) -> Intake {
    intake(s, Role::Department, Some(&w.dept.name)).await
}

pub async fn legal(s: &TestServer) -> Intake {
    intake(s, Role::LegalOffice, None).await
}

/// A moment well inside the world's history (a week ago).
pub fn when() -> DateTime<Utc> {
    Utc::now() - Duration::days(7)
}

pub fn fact(w: &World, source: &str, payload: Payload) -> SubmitFactRequest {
    SubmitFactRequest {
        fact: Some(Fact {
            body: w.dept.name.clone(),
            source_id: source.into(),
            payload: Some(payload),
            ..Default::default()
        }),
        correction_reason: String::new(),
    }
}

pub fn record() -> ProcessRecord {
    ProcessRecord {
        kind: RecordKind::Video as i32,
        content_sha256: "ab".repeat(32),
        archive_ref: "archive://2026/0001".into(),
    }
}

pub fn matter(w: &World, officers: &[&str], at: DateTime<Utc>) -> Payload {
    Payload::Matter(Matter {
        power: w.penalty.name.clone(),
        act_kind: PowerCategory::Penalty as i32,
        officers: officers.iter().map(|o| o.to_string()).collect(),
        accept_time: Some(ts(at)),
        records: vec![record()],
        ..Default::default()
    })
}

pub fn two(w: &World) -> Vec<&str> {
    vec![w.a.name.as_str(), w.b.name.as_str()]
}

pub fn inspection(w: &World, power: &str, records: Vec<ProcessRecord>) -> Payload {
    Payload::Inspection(Inspection {
        power: power.into(),
        officers: two(w).into_iter().map(String::from).collect(),
        target: "party-0001".into(),
        inspect_time: Some(ts(when())),
        random_draw: "draw-2026-11".into(),
        records,
        draw_verified: false,
        cause: String::new(),
        ..Default::default()
    })
}

pub fn decision(matter: &str, grade: CircumstanceGrade, amount: i64, at: DateTime<Utc>) -> Payload {
    Payload::Decision(Decision {
        matter: matter.into(),
        decide_time: Some(ts(at)),
        penalty: Some(Penalty {
            violation: "无照经营".into(),
            grade: grade as i32,
            amount_fen: amount,
            within_benchmark: false,
        }),
        ..Default::default()
    })
}

pub fn training(officer: &str, hours: f64) -> Payload {
    Payload::Training(Training {
        officer: officer.into(),
        hours,
        exam_score: 88.0,
        has_exam: true,
        train_time: Some(ts(when())),
        ..Default::default()
    })
}

/// A resend of `s` as a correction, with its reason.
pub fn correction(mut s: SubmitFactRequest, why: &str) -> SubmitFactRequest {
    s.correction_reason = why.into();
    s
}

pub fn rules_of(f: &Fact) -> Vec<String> {
    let mut r: Vec<String> = f.findings.iter().map(|x| x.rule.clone()).collect();
    r.sort();
    r
}

pub async fn count(c: &mut Intake, filter: FactFilter) -> i64 {
    c.count_facts(CountFactsRequest {
        filter: Some(filter),
    })
    .await
    .expect("count facts")
    .into_inner()
    .total
}

/// Facts stored and distinct source ids, read straight from the database:
/// "none lost, none twice" is (expected, expected).
pub async fn stored_facts(db_url: &str) -> (i64, i64) {
    use sea_orm::ConnectionTrait;
    let raw = sea_orm::Database::connect(db_url).await.expect("raw db");
    let row = raw
        .query_one_raw(sea_orm::Statement::from_string(
            raw.get_database_backend(),
            "SELECT COUNT(*) AS n, COUNT(DISTINCT source_id) AS d FROM intake_facts".to_string(),
        ))
        .await
        .expect("count facts")
        .expect("a row");
    let counts = (
        row.try_get("", "n").expect("n"),
        row.try_get("", "d").expect("d"),
    );
    raw.close().await.ok();
    counts
}

/// Verifies intake's audit chain through the AuditService as an auditor;
/// returns how many entries it checked.
pub async fn intake_chain_verifies(s: &TestServer) -> i64 {
    let mut aud = s.audit(&s.token(Role::Auditor, None)).await;
    let r = aud
        .verify_audit_chain(probity_proto::audit::v1::VerifyAuditChainRequest {
            service: "intake".into(),
            ..Default::default()
        })
        .await
        .expect("verify intake's chain")
        .into_inner();
    assert!(r.ok, "intake's audit chain: {r:?}");
    r.entries_checked
}
