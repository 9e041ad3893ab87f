//! A small registry to test against, and helpers to read errors.
use chrono::{DateTime, Duration, Utc};
use probity_proto::registry::v1::*;
use tonic::{Code, Status};
use tonic_types::StatusExt;

use crate::harness::TestServer;

pub fn rid() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn ts(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

/// A valid, distinct national ID number for `n`.
pub fn nid(n: u32) -> String {
    probity_registry::national_id::with_check_digit(&format!("2301831990{n:07}"))
}

/// The ErrorInfo reason of a status.
pub fn reason(s: &Status) -> String {
    s.get_error_details()
        .error_info()
        .map(|i| i.reason.clone())
        .unwrap_or_default()
}

/// The fields a BadRequest names, sorted.
pub fn bad_fields(s: &Status) -> Vec<String> {
    assert_eq!(
        s.code(),
        Code::InvalidArgument,
        "expected INVALID_ARGUMENT, got {s:?}"
    );
    let mut f: Vec<String> = s
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default();
    f.sort();
    f
}

pub fn basis() -> Vec<LegalBasis> {
    vec![LegalBasis {
        law: "《中华人民共和国行政处罚法》".into(),
        article: "第二十八条".into(),
    }]
}

pub fn basis_change() -> Option<LegalBasisChange> {
    Some(LegalBasisChange {
        document: "《尚志市人民政府令》2026年第1号".into(),
        summary: "新增执法事项".into(),
    })
}

pub fn benchmark() -> Vec<BenchmarkRange> {
    [
        (1, 0, 50_000),
        (2, 50_000, 200_000),
        (3, 200_000, 500_000),
        (4, 500_000, 1_000_000),
    ]
    .into_iter()
    .map(|(grade, min, max)| BenchmarkRange {
        grade,
        min_amount_fen: min,
        max_amount_fen: max,
        note: String::new(),
    })
    .collect()
}

pub fn penalty_power(code: &str) -> Power {
    Power {
        code: code.into(),
        display_name: format!("对{code}的行政处罚"),
        category: PowerCategory::Penalty as i32,
        legal_bases: basis(),
        duty: "依法查处违法行为".into(),
        flowchart_ref: "https://example.gov/flow/1.pdf".into(),
        benchmark: benchmark(),
        ..Default::default()
    }
}

pub fn inspection_power(code: &str) -> Power {
    Power {
        code: code.into(),
        display_name: format!("{code}监督检查"),
        category: PowerCategory::Inspection as i32,
        legal_bases: basis(),
        duty: "依法实施监督检查".into(),
        ..Default::default()
    }
}

/// A government, a department under it and a second department; a penalty
/// and an inspection power held by one post; two qualified officers with
/// valid credentials, one auxiliary.
pub struct World {
    pub gov: Body,
    pub dept: Body,
    pub other: Body,
    pub penalty: Power,
    pub inspection: Power,
    pub post: Post,
    pub a: Officer,
    pub b: Officer,
    pub aux: Officer,
    pub cred_a: Credential,
    pub cred_b: Credential,
}

pub async fn body(s: &TestServer, name: &str, kind: BodyKind, parent: &str) -> Body {
    let mut c = s.legal().await;
    c.create_body(CreateBodyRequest {
        request_id: rid(),
        body: Some(Body {
            display_name: name.into(),
            kind: kind as i32,
            parent: parent.into(),
            region_code: "230183".into(),
            ..Default::default()
        }),
    })
    .await
    .expect("create body")
    .into_inner()
}

pub async fn officer(
    s: &TestServer,
    body: &Body,
    name: &str,
    kind: OfficerKind,
    posts: Vec<String>,
    n: u32,
    since: DateTime<Utc>,
) -> Officer {
    let mut c = s.legal().await;
    c.create_officer(CreateOfficerRequest {
        request_id: rid(),
        officer: Some(Officer {
            display_name: name.into(),
            kind: kind as i32,
            body: body.name.clone(),
            posts,
            national_id: nid(n),
            ..Default::default()
        }),
        effective_time: Some(ts(since)),
        backdate_reason: crate::fixtures::LATE.into(),
    })
    .await
    .expect("create officer")
    .into_inner()
}

pub async fn credential(
    s: &TestServer,
    holder: &Officer,
    number: &str,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Credential {
    let mut c = s.legal().await;
    c.issue_credential(IssueCredentialRequest {
        request_id: rid(),
        credential: Some(Credential {
            number: number.into(),
            holder: holder.name.clone(),
            issuing_authority: "尚志市人民政府".into(),
            valid_from: Some(ts(from)),
            valid_until: Some(ts(until)),
            ..Default::default()
        }),
        backdate_reason: crate::fixtures::LATE.into(),
    })
    .await
    .expect("issue credential")
    .into_inner()
}

/// One year ago: officers, powers and posts are in place from then on.
pub fn since() -> DateTime<Utc> {
    Utc::now() - Duration::days(365)
}

pub async fn world(s: &TestServer) -> World {
    let gov = body(s, "尚志市人民政府", BodyKind::Government, "").await;
    let dept = body(s, "尚志市市场监督管理局", BodyKind::Department, &gov.name).await;
    let other = body(s, "尚志市生态环境局", BodyKind::Department, &gov.name).await;
    let mut c = s.legal().await;
    let since = since();
    let mut powers = Vec::new();
    for p in [penalty_power("CF-001"), inspection_power("JC-001")] {
        powers.push(
            c.create_power(CreatePowerRequest {
                request_id: rid(),
                parent: dept.name.clone(),
                power: Some(p),
                legal_basis_change: basis_change(),
                effective_time: Some(ts(since)),
                backdate_reason: crate::fixtures::LATE.into(),
            })
            .await
            .expect("create power")
            .into_inner(),
        );
    }
    let post = c
        .create_post(CreatePostRequest {
            request_id: rid(),
            parent: dept.name.clone(),
            post: Some(Post {
                display_name: "执法一科科员".into(),
                responsibilities: "负责辖区市场监管执法".into(),
                ..Default::default()
            }),
        })
        .await
        .expect("create post")
        .into_inner();
    let post = c
        .set_post_powers(SetPostPowersRequest {
            request_id: rid(),
            post: post.name.clone(),
            powers: powers.iter().map(|p| p.name.clone()).collect(),
            effective_time: Some(ts(since)),
            backdate_reason: crate::fixtures::LATE.into(),
        })
        .await
        .expect("set post powers")
        .into_inner();
    let a = officer(
        s,
        &dept,
        "张三明",
        OfficerKind::Officer,
        vec![post.name.clone()],
        1,
        since,
    )
    .await;
    let b = officer(
        s,
        &dept,
        "李四",
        OfficerKind::Officer,
        vec![post.name.clone()],
        2,
        since,
    )
    .await;
    let aux = officer(
        s,
        &dept,
        "王五",
        OfficerKind::Auxiliary,
        vec![post.name.clone()],
        3,
        since,
    )
    .await;
    let until = Utc::now() + Duration::days(3 * 365);
    let cred_a = credential(s, &a, "HLJ-0001", since, until).await;
    let cred_b = credential(s, &b, "HLJ-0002", since, until).await;
    let mut it = powers.into_iter();
    World {
        gov,
        dept,
        other,
        penalty: it.next().expect("penalty"),
        inspection: it.next().expect("inspection"),
        post,
        a,
        b,
        aux,
        cred_a,
        cred_b,
    }
}

/// The reason the legal-affairs office gives when it records a change dated
/// before registry.backdate_grace (the fixtures date things a year back).
pub const LATE: &str = "registered from the paper records";
