//! The catalogue, the severity table and a case's events page (AIP-158):
//! the pages hold every item once, and a token this listing did not issue is
//! INVALID_ARGUMENT naming page_token.
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use probity_common::auth::Role;

use super::*;
use crate::{
    db_test,
    fixtures::{rid, world},
    harness::TestServer,
    util::{assert_pages, expect_invalid, walk},
};

/// A token as the listing would encode it, for a key it never issued.
fn forged(filter: &str, key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{filter}\n{key}"))
}

db_test!(the_catalogue_pages, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let c = acc(&s, Role::Department, Some(&w.dept.name)).await;
    let list = |size: i32, token: String| {
        let mut c = c.clone();
        async move {
            c.list_grounds(ListGroundsRequest {
                page_size: size,
                page_token: token,
            })
            .await
        }
    };
    let all: Vec<String> = list(1000, String::new())
        .await
        .unwrap()
        .into_inner()
        .grounds
        .into_iter()
        .map(|g| g.code)
        .collect();
    assert_eq!(all.len(), 29, "{all:?}");
    let pages = walk(|token| async {
        let r = list(4, token).await.unwrap().into_inner();
        let codes = r.grounds.into_iter().map(|g| g.code).collect();
        (codes, r.next_page_token)
    })
    .await;
    assert_eq!(pages.len(), 8, "{pages:?}");
    assert_pages(&pages, 4, &all);

    expect_invalid(list(4, "forged".into()).await, &["page_token"]);
    expect_invalid(list(4, forged("grounds", "29")).await, &["page_token"]);
    expect_invalid(list(4, forged("grounds", "x")).await, &["page_token"]);
    // A token of the severity table is not one of the catalogue's.
    let other = c
        .clone()
        .list_severity_rules(ListSeverityRulesRequest {
            page_size: 1,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .next_page_token;
    assert!(!other.is_empty());
    expect_invalid(list(4, other).await, &["page_token"]);
    s.stop().await;
});

db_test!(the_severity_table_pages, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let c = acc(&s, Role::Department, Some(&w.dept.name)).await;
    let list = |size: i32, token: String| {
        let mut c = c.clone();
        async move {
            c.list_severity_rules(ListSeverityRulesRequest {
                page_size: size,
                page_token: token,
            })
            .await
        }
    };
    let key = |r: SeverityRule| format!("{}:{}:{}", r.severity, r.subject_kind, r.target);
    let all: Vec<String> = list(0, String::new())
        .await
        .unwrap()
        .into_inner()
        .rules
        .into_iter()
        .map(key)
        .collect();
    assert_eq!(all.len(), 16, "{all:?}");
    let pages = walk(|token| async {
        let r = list(5, token).await.unwrap().into_inner();
        (r.rules.into_iter().map(key).collect(), r.next_page_token)
    })
    .await;
    assert_eq!(pages.len(), 4, "{pages:?}");
    assert_pages(&pages, 5, &all);

    expect_invalid(list(5, "forged".into()).await, &["page_token"]);
    expect_invalid(
        list(5, forged("severity_rules", "-1")).await,
        &["page_token"],
    );
    expect_invalid(list(-1, String::new()).await, &["page_size"]);
    s.stop().await;
});

db_test!(a_cases_events_page, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = parties(&s).await;
    let case = open(&mut c, &w.a.name, "ART20_01").await;
    let other = open(&mut c, &w.a.name, "ART20_01").await;
    for i in 0..4 {
        c.add_evidence(AddEvidenceRequest {
            request_id: rid(),
            name: case.name.clone(),
            evidence: vec![document(&format!("archive://{i}"))],
        })
        .await
        .unwrap();
    }
    c.start_investigation(step::<StartInvestigationRequest>(&case.name, "调查"))
        .await
        .unwrap();
    let list = |name: String, size: i32, token: String| {
        let mut c = c.clone();
        async move {
            c.list_case_events(ListCaseEventsRequest {
                name,
                page_size: size,
                page_token: token,
            })
            .await
        }
    };
    let seq = |e: CaseEvent| format!("{}:{}", e.sequence, e.action);
    let all: Vec<String> = list(case.name.clone(), 0, String::new())
        .await
        .unwrap()
        .into_inner()
        .events
        .into_iter()
        .map(seq)
        .collect();
    assert_eq!(all.len(), 6, "OPEN, 4 × ADD_EVIDENCE, START_INVESTIGATION");
    let pages = walk(|token| async {
        let r = list(case.name.clone(), 2, token)
            .await
            .unwrap()
            .into_inner();
        (r.events.into_iter().map(seq).collect(), r.next_page_token)
    })
    .await;
    assert_eq!(pages.concat(), all, "in sequence order");
    assert_pages(&pages, 2, &all);

    let first = list(case.name.clone(), 2, String::new())
        .await
        .unwrap()
        .into_inner()
        .next_page_token;
    // A token is bound to its case.
    expect_invalid(list(other.name.clone(), 2, first).await, &["page_token"]);
    expect_invalid(
        list(case.name.clone(), 2, "forged".into()).await,
        &["page_token"],
    );
    expect_invalid(
        list(
            case.name.clone(),
            2,
            forged(&format!("events|{}", case.name), "two"),
        )
        .await,
        &["page_token"],
    );
    s.stop().await;
});
