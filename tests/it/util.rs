//! Helpers shared by the integration tests: clients per role, error
//! assertions, CheckActors and audit-chain shortcuts.
use std::future::Future;

use chrono::{DateTime, Utc};
use probity_common::auth::Role;
use probity_proto::{
    audit::v1::{
        AuditEntry, ListAuditEntriesRequest, VerifyAuditChainRequest, VerifyAuditChainResponse,
        audit_service_client::AuditServiceClient,
    },
    registry::v1::{registry_service_client::RegistryServiceClient, *},
};
use tonic::{Code, Status, service::interceptor::InterceptedService, transport::Channel};

use crate::{
    fixtures::{bad_fields, reason, ts},
    harness::{Bearer, TestServer},
};

pub type Reg = RegistryServiceClient<InterceptedService<Channel, Bearer>>;
pub type Aud = AuditServiceClient<InterceptedService<Channel, Bearer>>;

/// A registry client for `role` (not department).
pub async fn as_role(s: &TestServer, role: Role) -> Reg {
    s.registry(&s.token(role, None)).await
}

/// A registry client for a department token scoped to `body` (bodies/{id}).
pub async fn as_dept(s: &TestServer, body: &str) -> Reg {
    s.registry(&s.token(Role::Department, Some(body))).await
}

/// The error of a call that must fail.
#[track_caller]
pub fn err<T: std::fmt::Debug>(r: Result<T, Status>) -> Status {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(s) => s,
    }
}

/// Asserts the call failed with `code` and the ErrorInfo reason `why`.
#[track_caller]
pub fn expect_err<T: std::fmt::Debug>(r: Result<T, Status>, code: Code, why: &str) -> Status {
    let s = err(r);
    assert_eq!(s.code(), code, "wrong code: {s:?}");
    assert_eq!(reason(&s), why, "wrong reason: {s:?}");
    s
}

/// Asserts the call failed with `code` (no reason checked).
#[track_caller]
pub fn expect_code<T: std::fmt::Debug>(r: Result<T, Status>, code: Code) -> Status {
    let s = err(r);
    assert_eq!(s.code(), code, "wrong code: {s:?}");
    s
}

/// Asserts INVALID_ARGUMENT naming exactly `fields` (any order given; compared sorted).
#[track_caller]
pub fn expect_invalid<T: std::fmt::Debug>(r: Result<T, Status>, fields: &[&str]) {
    let s = err(r);
    assert_eq!(bad_fields(&s), sorted(fields), "{s:?}");
}

pub fn sorted(fields: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
    v.sort();
    v
}

pub async fn check(
    s: &TestServer,
    body: &str,
    power: &str,
    at: DateTime<Utc>,
    officers: &[&Officer],
    min_qualified: i32,
) -> CheckActorsResponse {
    s.legal()
        .await
        .check_actors(CheckActorsRequest {
            body: body.into(),
            power: power.into(),
            act_time: Some(ts(at)),
            officers: officers.iter().map(|o| o.name.clone()).collect(),
            min_qualified,
            known_time: None,
        })
        .await
        .expect("check actors")
        .into_inner()
}

/// The problems CheckActors found with `officer` (a resource name).
#[track_caller]
pub fn problems(r: &CheckActorsResponse, officer: &str) -> Vec<ActorProblem> {
    let a = r
        .actors
        .iter()
        .find(|a| a.officer == officer)
        .unwrap_or_else(|| panic!("{officer} not in {r:?}"));
    let mut v: Vec<ActorProblem> = a
        .problems
        .iter()
        .map(|p| ActorProblem::try_from(*p).expect("known problem"))
        .collect();
    v.sort();
    v
}

#[track_caller]
pub fn qualified(r: &CheckActorsResponse, officer: &str) -> bool {
    r.actors
        .iter()
        .find(|a| a.officer == officer)
        .unwrap_or_else(|| panic!("{officer} not in {r:?}"))
        .qualified
}

pub fn group(r: &CheckActorsResponse) -> Vec<GroupProblem> {
    let mut v: Vec<GroupProblem> = r
        .group_problems
        .iter()
        .map(|p| GroupProblem::try_from(*p).expect("known group problem"))
        .collect();
    v.sort();
    v
}

pub async fn auditor(s: &TestServer) -> Aud {
    s.audit(&s.token(Role::Auditor, None)).await
}

/// Every audit entry, in order.
pub async fn audit_entries(s: &TestServer) -> Vec<AuditEntry> {
    let mut a = auditor(s).await;
    let mut out = Vec::new();
    let mut token = String::new();
    loop {
        let r = a
            .list_audit_entries(ListAuditEntriesRequest {
                service: "registry".into(),
                page_size: 1000,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .expect("list audit entries")
            .into_inner();
        out.extend(r.entries);
        if r.next_page_token.is_empty() {
            return out;
        }
        token = r.next_page_token;
    }
}

pub async fn verify_chain(s: &TestServer) -> VerifyAuditChainResponse {
    verify_range(s, 0, 0).await
}

pub async fn verify_range(s: &TestServer, from: i64, to: i64) -> VerifyAuditChainResponse {
    auditor(s)
        .await
        .verify_audit_chain(VerifyAuditChainRequest {
            from_sequence: from,
            to_sequence: to,
            service: "registry".into(),
        })
        .await
        .expect("verify audit chain")
        .into_inner()
}

/// The chain's head sequence.
pub async fn head(s: &TestServer) -> i64 {
    verify_chain(s).await.head_sequence
}

/// Walks a paginated listing: `f(page_token)` returns (item keys, next token).
/// Returns the pages.
pub async fn walk<F, Fut>(mut f: F) -> Vec<Vec<String>>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = (Vec<String>, String)>,
{
    let mut pages = Vec::new();
    let mut token = String::new();
    loop {
        let (items, next) = f(token.clone()).await;
        pages.push(items);
        if next.is_empty() {
            return pages;
        }
        assert!(pages.len() < 200, "pagination does not end");
        token = next;
    }
}

/// Asserts the pages hold exactly `all` with no duplicates and no page above `size`.
#[track_caller]
pub fn assert_pages(pages: &[Vec<String>], size: usize, all: &[String]) {
    for p in pages {
        assert!(p.len() <= size, "page larger than {size}: {pages:?}");
    }
    let flat: Vec<String> = pages.iter().flatten().cloned().collect();
    let mut dedup = flat.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(
        dedup.len(),
        flat.len(),
        "duplicates across pages: {pages:?}"
    );
    let mut want = all.to_vec();
    want.sort();
    assert_eq!(dedup, want, "pages do not cover the listing");
    // every page but the last is full
    for p in &pages[..pages.len().saturating_sub(1)] {
        assert_eq!(p.len(), size, "a short page before the end: {pages:?}");
    }
}

/// Whether a timestamp is within 5 seconds of `b`.
pub fn near(a: &Option<prost_types::Timestamp>, b: DateTime<Utc>) -> bool {
    a.as_ref()
        .is_some_and(|t| (t.seconds - b.timestamp()).abs() <= 5)
}

/// An update mask of `paths` (AIP-134).
pub fn mask(paths: &[&str]) -> Option<prost_types::FieldMask> {
    Some(prost_types::FieldMask {
        paths: paths.iter().map(|p| p.to_string()).collect(),
    })
}
