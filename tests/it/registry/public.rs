//! The public API: credential verification by number, published powers and
//! posts. No token.
use chrono::{Duration, Utc};
use probity_proto::registry::v1::{public_registry_service_client::PublicRegistryServiceClient, *};
use tonic::Code;

use crate::{db_test, fixtures::*, harness::TestServer, util::*};

db_test!(verify_credential, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut p = s.public().await;
    let v = p
        .verify_credential(VerifyCredentialRequest {
            number: "HLJ-0001".into(),
        })
        .await
        .expect("verify")
        .into_inner();
    assert_eq!(
        v,
        VerifyCredentialResponse {
            holder_name_masked: "张*明".into(),
            body_display_name: "尚志市市场监督管理局".into(),
            body: w.dept.name.clone(),
            status: CredentialStatus::Valid as i32,
            valid_from: w.cred_a.valid_from,
            valid_until: w.cred_a.valid_until,
            withheld_until: None,
        }
    );
    // a two-character name
    let v = p
        .verify_credential(VerifyCredentialRequest {
            number: " HLJ-0002 ".into(),
        })
        .await
        .expect("verify trimmed")
        .into_inner();
    assert_eq!(v.holder_name_masked, "李*");

    let mut c = s.legal().await;
    let until = Utc::now() + Duration::days(15);
    c.withhold_credential(WithholdCredentialRequest {
        request_id: rid(),
        name: w.cred_b.name.clone(),
        until: Some(ts(until)),
        reason: "暂扣".into(),
    })
    .await
    .unwrap();
    let v = p
        .verify_credential(VerifyCredentialRequest {
            number: "HLJ-0002".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v.status, CredentialStatus::Withheld as i32);
    assert!(near(&v.withheld_until, until), "{v:?}");
    c.revoke_credential(RevokeCredentialRequest {
        request_id: rid(),
        name: w.cred_a.name.clone(),
        reason: "缴销".into(),
    })
    .await
    .unwrap();
    let v = p
        .verify_credential(VerifyCredentialRequest {
            number: "HLJ-0001".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v.status, CredentialStatus::Revoked as i32);

    expect_err(
        p.verify_credential(VerifyCredentialRequest {
            number: "HLJ-9999".into(),
        })
        .await,
        Code::NotFound,
        "NOT_FOUND",
    );
    expect_invalid(
        p.verify_credential(VerifyCredentialRequest {
            number: "  ".into(),
        })
        .await,
        &["number"],
    );
    expect_invalid(
        p.verify_credential(VerifyCredentialRequest {
            number: "9".repeat(65),
        })
        .await,
        &["number"],
    );
    // public reads leave no audit entries
    let before = head(&s).await;
    p.verify_credential(VerifyCredentialRequest {
        number: "HLJ-0002".into(),
    })
    .await
    .unwrap();
    assert_eq!(head(&s).await, before);
    s.stop().await;
});

// Whatever the case typed, the card is found; a holder whose qualification
// was cancelled is never shown VALID.
db_test!(a_check_reads_what_the_card_says, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut p = s.public().await;
    let check = |n: &str| VerifyCredentialRequest { number: n.into() };
    let v = p
        .verify_credential(check("hlj-0001"))
        .await
        .expect("lower case")
        .into_inner();
    assert_eq!(v.status, CredentialStatus::Valid as i32);
    // the same number in another case cannot be issued again
    let mut c = s.legal().await;
    let e = c
        .issue_credential(IssueCredentialRequest {
            request_id: rid(),
            credential: Some(Credential {
                number: "hlj-0001".into(),
                holder: w.b.name.clone(),
                issuing_authority: "尚志市人民政府".into(),
                valid_from: Some(ts(Utc::now() + Duration::days(800))),
                valid_until: Some(ts(Utc::now() + Duration::days(900))),
                ..Default::default()
            }),
            backdate_reason: String::new(),
        })
        .await;
    expect_code(e, Code::AlreadyExists);
    c.set_officer_status(SetOfficerStatusRequest {
        request_id: rid(),
        officer: w.a.name.clone(),
        status: OfficerStatus::Disqualified as i32,
        reason: "取消执法资格".into(),
        effective_time: None,
    })
    .await
    .expect("disqualify");
    // the snapshot the check reads follows within its staleness bound
    let mut status = 0;
    for _ in 0..100 {
        status = p
            .verify_credential(check("HLJ-0001"))
            .await
            .unwrap()
            .into_inner()
            .status;
        if status != CredentialStatus::Valid as i32 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(status, CredentialStatus::Revoked as i32);
    s.stop().await;
});

db_test!(published_powers, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut p = s.public().await;
    let list = p
        .list_published_powers(ListPublishedPowersRequest {
            body: w.dept.name.clone(),
            ..Default::default()
        })
        .await
        .expect("published")
        .into_inner();
    assert_eq!(list.body_display_name, "尚志市市场监督管理局");
    assert_eq!(list.next_page_token, "");
    assert_eq!(
        list.powers,
        vec![
            PublishedPower {
                code: "CF-001".into(),
                display_name: w.penalty.display_name.clone(),
                category: PowerCategory::Penalty as i32,
                legal_bases: basis(),
                duty: w.penalty.duty.clone(),
                flowchart_ref: w.penalty.flowchart_ref.clone(),
                benchmark: benchmark(),
                version: 1,
                posts: vec!["执法一科科员".into()],
                major_criteria: None,
                time_limit_days: 0,
            },
            PublishedPower {
                code: "JC-001".into(),
                display_name: w.inspection.display_name.clone(),
                category: PowerCategory::Inspection as i32,
                legal_bases: basis(),
                duty: w.inspection.duty.clone(),
                flowchart_ref: String::new(),
                benchmark: vec![],
                version: 1,
                posts: vec!["执法一科科员".into()],
                major_criteria: None,
                time_limit_days: 0,
            },
        ]
    );

    // a revision is published as the current version; a withdrawal removes it
    let mut c = s.legal().await;
    let mut next = w.penalty.clone();
    next.duty = "依法查处违法经营行为".into();
    c.revise_power(RevisePowerRequest {
        request_id: rid(),
        power: Some(next),
        reason: "修订".into(),
        effective_time: None,
    })
    .await
    .unwrap();
    c.withdraw_power(WithdrawPowerRequest {
        request_id: rid(),
        name: w.inspection.name.clone(),
        legal_basis_change: basis_change(),
        effective_time: None,
        backdate_reason: String::new(),
    })
    .await
    .unwrap();
    let list = p
        .list_published_powers(ListPublishedPowersRequest {
            body: w.dept.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.powers.len(), 1, "{list:?}");
    assert_eq!(list.powers[0].code, "CF-001");
    assert_eq!(list.powers[0].version, 2);
    assert_eq!(list.powers[0].duty, "依法查处违法经营行为");

    let other = p
        .list_published_powers(ListPublishedPowersRequest {
            body: w.other.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(other.powers.is_empty());
    assert_eq!(other.body_display_name, "尚志市生态环境局");
    expect_err(
        p.list_published_powers(ListPublishedPowersRequest {
            body: "bodies/nosuchbody".into(),
            ..Default::default()
        })
        .await,
        Code::NotFound,
        "NOT_FOUND",
    );
    expect_invalid(
        p.list_published_powers(ListPublishedPowersRequest {
            body: "nosuchbody".into(),
            ..Default::default()
        })
        .await,
        &["body"],
    );
    s.stop().await;
});

db_test!(published_posts, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    let unit = c
        .create_unit(CreateUnitRequest {
            request_id: rid(),
            parent: w.dept.name.clone(),
            unit: Some(Unit {
                display_name: "法制科".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    c.create_post(CreatePostRequest {
        request_id: rid(),
        parent: w.dept.name.clone(),
        post: Some(Post {
            display_name: "法制审核岗".into(),
            unit: unit.name.clone(),
            responsibilities: "重大执法决定法制审核".into(),
            ..Default::default()
        }),
    })
    .await
    .unwrap();
    let mut p = s.public().await;
    let posts = p
        .list_published_posts(ListPublishedPostsRequest {
            body: w.dept.name.clone(),
            ..Default::default()
        })
        .await
        .expect("published posts")
        .into_inner()
        .posts;
    let mut posts = posts;
    posts.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    let mut want = vec![
        PublishedPost {
            display_name: "执法一科科员".into(),
            unit_display_name: String::new(),
            responsibilities: "负责辖区市场监管执法".into(),
            power_codes: vec!["CF-001".into(), "JC-001".into()],
        },
        PublishedPost {
            display_name: "法制审核岗".into(),
            unit_display_name: "法制科".into(),
            responsibilities: "重大执法决定法制审核".into(),
            power_codes: vec![],
        },
    ];
    want.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    assert_eq!(posts, want);
    expect_err(
        p.list_published_posts(ListPublishedPostsRequest {
            body: "bodies/nosuchbody".into(),
            ..Default::default()
        })
        .await,
        Code::NotFound,
        "NOT_FOUND",
    );
    expect_invalid(
        p.list_published_posts(ListPublishedPostsRequest {
            body: "".into(),
            ..Default::default()
        })
        .await,
        &["body"],
    );
    s.stop().await;
});

db_test!(public_calls_accept_any_or_no_token, |b| async move {
    let s = TestServer::start(b).await;
    let _w = world(&s).await;
    // a garbage token on a public call is ignored, not refused
    let mut p = PublicRegistryServiceClient::with_interceptor(
        s.channel().await,
        crate::harness::Bearer::new("not-a-jwt"),
    );
    let v = p
        .verify_credential(VerifyCredentialRequest {
            number: "HLJ-0001".into(),
        })
        .await
        .expect("public with a bad token")
        .into_inner();
    assert_eq!(v.status, CredentialStatus::Valid as i32);
    s.stop().await;
});
