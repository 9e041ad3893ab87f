//! CheckActors: every actor problem and group problem, each with a case
//! that triggers it and a control that does not; the instant matters.
use chrono::{DateTime, Duration, Utc};
use probity_proto::registry::v1::*;
use tonic::Code;

use crate::{db_test, fixtures::*, harness::TestServer, util::*};

fn days(d: i64) -> DateTime<Utc> {
    Utc::now() + Duration::days(d)
}

db_test!(qualified_pair_passes, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let r = check(
        &s,
        &w.dept.name,
        &w.penalty.name,
        Utc::now(),
        &[&w.a, &w.b],
        0,
    )
    .await;
    assert!(r.group_ok, "{r:?}");
    assert!(r.group_problems.is_empty());
    assert_eq!(r.qualified_count, 2);
    assert_eq!(r.power_category, PowerCategory::Penalty as i32);
    assert_eq!(r.actors.len(), 2);
    assert_eq!(r.actors[0].officer, w.a.name, "in request order");
    assert_eq!(r.actors[1].officer, w.b.name);
    assert_eq!(r.actors[0].credential, w.cred_a.name);
    assert_eq!(r.actors[1].credential, w.cred_b.name);
    assert_eq!(r.actors[0].kind, OfficerKind::Officer as i32);
    assert!(
        r.actors
            .iter()
            .all(|a| a.qualified && a.problems.is_empty())
    );
    let r = check(
        &s,
        &w.dept.name,
        &w.inspection.name,
        Utc::now(),
        &[&w.b, &w.a],
        0,
    )
    .await;
    assert!(r.group_ok);
    assert_eq!(r.power_category, PowerCategory::Inspection as i32);
    assert_eq!(r.actors[0].officer, w.b.name);
    s.stop().await;
});

db_test!(unknown_officer, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let ghost = Officer {
        name: "officers/nosuchofficer".into(),
        ..Default::default()
    };
    let r = check(
        &s,
        &w.dept.name,
        &w.penalty.name,
        Utc::now(),
        &[&w.a, &ghost],
        1,
    )
    .await;
    assert_eq!(
        problems(&r, &ghost.name),
        vec![ActorProblem::UnknownOfficer]
    );
    assert!(!qualified(&r, &ghost.name));
    assert_eq!(r.actors[1].kind, 0);
    assert!(qualified(&r, &w.a.name), "control");
    assert!(r.group_ok, "one qualified is enough with min 1: {r:?}");
    // an officer not yet registered at the instant is unknown then
    let r = check(
        &s,
        &w.dept.name,
        &w.penalty.name,
        days(-2 * 365),
        &[&w.a],
        1,
    )
    .await;
    assert!(
        problems(&r, &w.a.name).contains(&ActorProblem::UnknownOfficer),
        "{r:?}"
    );
    s.stop().await;
});

db_test!(auxiliary_never_qualifies, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let r = check(
        &s,
        &w.dept.name,
        &w.penalty.name,
        Utc::now(),
        &[&w.a, &w.aux],
        1,
    )
    .await;
    assert_eq!(problems(&r, &w.aux.name), vec![ActorProblem::Auxiliary]);
    assert_eq!(r.actors[1].kind, OfficerKind::Auxiliary as i32);
    assert_eq!(r.actors[1].credential, "");
    assert!(qualified(&r, &w.a.name), "control");
    assert_eq!(r.qualified_count, 1);
    assert!(r.group_ok, "an auxiliary beside a qualified officer: {r:?}");
    // the auxiliary never counts toward the minimum
    let r = check(
        &s,
        &w.dept.name,
        &w.penalty.name,
        Utc::now(),
        &[&w.a, &w.aux],
        0,
    )
    .await;
    assert_eq!(group(&r), vec![GroupProblem::TooFewQualified]);
    assert_eq!(r.qualified_count, 1);
    s.stop().await;
});

db_test!(auxiliary_alone, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let r = check(&s, &w.dept.name, &w.penalty.name, Utc::now(), &[&w.aux], 1).await;
    assert!(!r.group_ok);
    assert_eq!(
        group(&r),
        vec![GroupProblem::TooFewQualified, GroupProblem::AuxiliaryAlone]
    );
    // an auxiliary with an unqualified officer is still alone
    let mut c = s.legal().await;
    c.revoke_credential(RevokeCredentialRequest {
        request_id: rid(),
        name: w.cred_b.name.clone(),
        reason: "缴销".into(),
    })
    .await
    .unwrap();
    let r = check(
        &s,
        &w.dept.name,
        &w.penalty.name,
        Utc::now(),
        &[&w.b, &w.aux],
        1,
    )
    .await;
    assert!(group(&r).contains(&GroupProblem::AuxiliaryAlone), "{r:?}");
    // control: with a qualified officer beside them
    let r = check(
        &s,
        &w.dept.name,
        &w.penalty.name,
        Utc::now(),
        &[&w.a, &w.b, &w.aux],
        1,
    )
    .await;
    assert!(r.group_ok, "{r:?}");
    assert!(!group(&r).contains(&GroupProblem::AuxiliaryAlone));
    s.stop().await;
});

db_test!(not_active, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    c.set_officer_status(SetOfficerStatusRequest {
        request_id: rid(),
        officer: w.b.name.clone(),
        status: OfficerStatus::OffPostTraining as i32,
        reason: "离岗培训".into(),
        effective_time: None,
    })
    .await
    .unwrap();
    let r = check(
        &s,
        &w.dept.name,
        &w.penalty.name,
        Utc::now(),
        &[&w.a, &w.b],
        0,
    )
    .await;
    assert_eq!(problems(&r, &w.b.name), vec![ActorProblem::NotActive]);
    assert_eq!(group(&r), vec![GroupProblem::TooFewQualified]);
    // control: before the change
    let r = check(
        &s,
        &w.dept.name,
        &w.penalty.name,
        days(-1),
        &[&w.a, &w.b],
        0,
    )
    .await;
    assert!(r.group_ok, "{r:?}");
    s.stop().await;
});

db_test!(other_body, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    // an officer of the other body, fully equipped there
    let power = c
        .create_power(CreatePowerRequest {
            request_id: rid(),
            parent: w.other.name.clone(),
            power: Some(inspection_power("HJ-JC-001")),
            legal_basis_change: basis_change(),
            effective_time: Some(ts(since())),
            backdate_reason: crate::fixtures::LATE.into(),
        })
        .await
        .unwrap()
        .into_inner();
    let post = c
        .create_post(CreatePostRequest {
            request_id: rid(),
            parent: w.other.name.clone(),
            post: Some(Post {
                display_name: "环境执法岗".into(),
                responsibilities: "环境执法".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    c.set_post_powers(SetPostPowersRequest {
        request_id: rid(),
        post: post.name.clone(),
        powers: vec![power.name.clone()],
        effective_time: Some(ts(since())),
        backdate_reason: crate::fixtures::LATE.into(),
    })
    .await
    .unwrap();
    let e = officer(
        &s,
        &w.other,
        "郑十一",
        OfficerKind::Officer,
        vec![post.name.clone()],
        50,
        since(),
    )
    .await;
    credential(&s, &e, "HLJ-0050", since(), days(365)).await;
    // acting for dept
    let r = check(&s, &w.dept.name, &w.inspection.name, Utc::now(), &[&e], 1).await;
    assert_eq!(
        problems(&r, &e.name),
        vec![ActorProblem::OtherBody, ActorProblem::NoPostWithPower]
    );
    // control: acting for its own body
    let r = check(&s, &w.other.name, &power.name, Utc::now(), &[&e], 1).await;
    assert!(qualified(&r, &e.name), "{r:?}");
    assert!(r.group_ok);
    // dept's officer holds a post with dept's power but acts for the other body
    let r = check(&s, &w.other.name, &power.name, Utc::now(), &[&w.a], 1).await;
    assert_eq!(
        problems(&r, &w.a.name),
        vec![ActorProblem::OtherBody, ActorProblem::NoPostWithPower]
    );
    s.stop().await;
});

db_test!(no_post_with_power, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    let o = officer(
        &s,
        &w.dept,
        "冯十二",
        OfficerKind::Officer,
        vec![],
        60,
        since(),
    )
    .await;
    credential(&s, &o, "HLJ-0060", since(), days(365)).await;
    let r = check(&s, &w.dept.name, &w.penalty.name, Utc::now(), &[&o], 1).await;
    assert_eq!(problems(&r, &o.name), vec![ActorProblem::NoPostWithPower]);
    c.set_officer_posts(SetOfficerPostsRequest {
        request_id: rid(),
        officer: o.name.clone(),
        posts: vec![w.post.name.clone()],
        reason: "上岗".into(),
        effective_time: None,
    })
    .await
    .unwrap();
    let r = check(&s, &w.dept.name, &w.penalty.name, Utc::now(), &[&o], 1).await;
    assert!(qualified(&r, &o.name), "control: {r:?}");

    // the post loses the power: from then on, not before
    c.set_post_powers(SetPostPowersRequest {
        request_id: rid(),
        post: w.post.name.clone(),
        powers: vec![w.inspection.name.clone()],
        effective_time: None,
        backdate_reason: String::new(),
    })
    .await
    .unwrap();
    let r = check(&s, &w.dept.name, &w.penalty.name, Utc::now(), &[&w.a], 1).await;
    assert_eq!(problems(&r, &w.a.name), vec![ActorProblem::NoPostWithPower]);
    let r = check(&s, &w.dept.name, &w.penalty.name, days(-1), &[&w.a], 1).await;
    assert!(qualified(&r, &w.a.name), "{r:?}");
    let r = check(&s, &w.dept.name, &w.inspection.name, Utc::now(), &[&w.a], 1).await;
    assert!(qualified(&r, &w.a.name), "{r:?}");
    s.stop().await;
});

db_test!(no_credential, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let o = officer(
        &s,
        &w.dept,
        "陈十三",
        OfficerKind::Officer,
        vec![w.post.name.clone()],
        70,
        since(),
    )
    .await;
    let r = check(&s, &w.dept.name, &w.penalty.name, Utc::now(), &[&o], 1).await;
    assert_eq!(problems(&r, &o.name), vec![ActorProblem::NoCredential]);
    assert_eq!(r.actors[0].credential, "");
    let cr = credential(&s, &o, "HLJ-0070", since(), days(365)).await;
    let r = check(&s, &w.dept.name, &w.penalty.name, Utc::now(), &[&o], 1).await;
    assert!(qualified(&r, &o.name), "control: {r:?}");
    assert_eq!(r.actors[0].credential, cr.name);
    s.stop().await;
});

db_test!(credential_withheld, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    c.withhold_credential(WithholdCredentialRequest {
        request_id: rid(),
        name: w.cred_a.name.clone(),
        until: Some(ts(days(10))),
        reason: "暂扣".into(),
    })
    .await
    .unwrap();
    let r = check(&s, &w.dept.name, &w.penalty.name, Utc::now(), &[&w.a], 1).await;
    assert_eq!(
        problems(&r, &w.a.name),
        vec![ActorProblem::CredentialWithheld]
    );
    assert_eq!(r.actors[0].credential, w.cred_a.name);
    for d in [-1, 11] {
        let r = check(&s, &w.dept.name, &w.penalty.name, days(d), &[&w.a], 1).await;
        assert!(qualified(&r, &w.a.name), "control at {d} days: {r:?}");
    }
    s.stop().await;
});

db_test!(credential_revoked_is_not_retroactive, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    c.revoke_credential(RevokeCredentialRequest {
        request_id: rid(),
        name: w.cred_b.name.clone(),
        reason: "缴销".into(),
    })
    .await
    .unwrap();
    let r = check(
        &s,
        &w.dept.name,
        &w.penalty.name,
        Utc::now(),
        &[&w.a, &w.b],
        0,
    )
    .await;
    assert_eq!(
        problems(&r, &w.b.name),
        vec![ActorProblem::CredentialRevoked]
    );
    assert_eq!(group(&r), vec![GroupProblem::TooFewQualified]);
    // an act last month is not disqualified by today's revocation
    let r = check(
        &s,
        &w.dept.name,
        &w.penalty.name,
        days(-30),
        &[&w.a, &w.b],
        0,
    )
    .await;
    assert!(r.group_ok, "{r:?}");
    assert_eq!(r.qualified_count, 2);
    s.stop().await;
});

db_test!(credential_expired, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let until = w.cred_a.valid_until.unwrap();
    let until = DateTime::from_timestamp(until.seconds, until.nanos as u32).unwrap();
    let r = check(
        &s,
        &w.dept.name,
        &w.penalty.name,
        until + Duration::days(1),
        &[&w.a],
        1,
    )
    .await;
    assert_eq!(
        problems(&r, &w.a.name),
        vec![ActorProblem::CredentialExpired]
    );
    let r = check(
        &s,
        &w.dept.name,
        &w.penalty.name,
        until - Duration::days(1),
        &[&w.a],
        1,
    )
    .await;
    assert!(qualified(&r, &w.a.name), "control: {r:?}");
    s.stop().await;
});

db_test!(credential_not_yet_valid, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let o = officer(
        &s,
        &w.dept,
        "褚十四",
        OfficerKind::Officer,
        vec![w.post.name.clone()],
        80,
        since(),
    )
    .await;
    credential(&s, &o, "HLJ-0080", days(10), days(400)).await;
    let r = check(&s, &w.dept.name, &w.penalty.name, Utc::now(), &[&o], 1).await;
    assert_eq!(
        problems(&r, &o.name),
        vec![ActorProblem::CredentialNotYetValid]
    );
    let r = check(&s, &w.dept.name, &w.penalty.name, days(11), &[&o], 1).await;
    assert!(qualified(&r, &o.name), "control: {r:?}");
    s.stop().await;
});

db_test!(too_few_qualified, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    // the default minimum is two
    let r = check(&s, &w.dept.name, &w.penalty.name, Utc::now(), &[&w.a], 0).await;
    assert!(qualified(&r, &w.a.name));
    assert!(!r.group_ok);
    assert_eq!(group(&r), vec![GroupProblem::TooFewQualified]);
    assert_eq!(r.qualified_count, 1);
    // controls
    let r = check(&s, &w.dept.name, &w.penalty.name, Utc::now(), &[&w.a], 1).await;
    assert!(r.group_ok);
    let r = check(
        &s,
        &w.dept.name,
        &w.penalty.name,
        Utc::now(),
        &[&w.a, &w.b],
        2,
    )
    .await;
    assert!(r.group_ok);
    // a higher minimum
    let r = check(
        &s,
        &w.dept.name,
        &w.penalty.name,
        Utc::now(),
        &[&w.a, &w.b],
        3,
    )
    .await;
    assert_eq!(group(&r), vec![GroupProblem::TooFewQualified]);
    s.stop().await;
});

db_test!(default_minimum_comes_from_settings, |b| async move {
    let s = TestServer::start_with(b, |st| {
        st.section_mut::<probity_registry::settings::RegistrySettings>()
            .default_min_qualified = 1
    })
    .await;
    let w = world(&s).await;
    let r = check(&s, &w.dept.name, &w.penalty.name, Utc::now(), &[&w.a], 0).await;
    assert!(r.group_ok, "{r:?}");
    let r = check(&s, &w.dept.name, &w.penalty.name, Utc::now(), &[&w.aux], 0).await;
    assert_eq!(
        group(&r),
        vec![GroupProblem::TooFewQualified, GroupProblem::AuxiliaryAlone]
    );
    s.stop().await;
});

db_test!(power_not_held, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    let foreign = c
        .create_power(CreatePowerRequest {
            request_id: rid(),
            parent: w.other.name.clone(),
            power: Some(inspection_power("HJ-JC-001")),
            legal_basis_change: basis_change(),
            effective_time: Some(ts(since())),
            backdate_reason: crate::fixtures::LATE.into(),
        })
        .await
        .unwrap()
        .into_inner();
    // another body's power
    let r = check(
        &s,
        &w.dept.name,
        &foreign.name,
        Utc::now(),
        &[&w.a, &w.b],
        0,
    )
    .await;
    assert!(group(&r).contains(&GroupProblem::PowerNotHeld), "{r:?}");
    assert!(!r.group_ok);
    // an unknown power
    let r = check(
        &s,
        &w.dept.name,
        &format!("{}/powers/nosuchpower", w.dept.name),
        Utc::now(),
        &[&w.a, &w.b],
        0,
    )
    .await;
    assert!(group(&r).contains(&GroupProblem::PowerNotHeld), "{r:?}");
    // before the power took effect
    let r = check(
        &s,
        &w.dept.name,
        &w.penalty.name,
        days(-400),
        &[&w.a, &w.b],
        0,
    )
    .await;
    assert!(group(&r).contains(&GroupProblem::PowerNotHeld), "{r:?}");
    // control
    let r = check(
        &s,
        &w.dept.name,
        &w.penalty.name,
        Utc::now(),
        &[&w.a, &w.b],
        0,
    )
    .await;
    assert!(!group(&r).contains(&GroupProblem::PowerNotHeld));
    assert!(r.group_ok);
    s.stop().await;
});

db_test!(power_withdrawn, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    c.withdraw_power(WithdrawPowerRequest {
        request_id: rid(),
        name: w.inspection.name.clone(),
        legal_basis_change: basis_change(),
        effective_time: None,
        backdate_reason: String::new(),
    })
    .await
    .unwrap();
    let r = check(
        &s,
        &w.dept.name,
        &w.inspection.name,
        Utc::now(),
        &[&w.a, &w.b],
        0,
    )
    .await;
    assert!(group(&r).contains(&GroupProblem::PowerWithdrawn), "{r:?}");
    assert!(!group(&r).contains(&GroupProblem::PowerNotHeld));
    let r = check(
        &s,
        &w.dept.name,
        &w.inspection.name,
        days(-1),
        &[&w.a, &w.b],
        0,
    )
    .await;
    assert!(r.group_ok, "control: before the withdrawal: {r:?}");
    // the other power is untouched
    let r = check(
        &s,
        &w.dept.name,
        &w.penalty.name,
        Utc::now(),
        &[&w.a, &w.b],
        0,
    )
    .await;
    assert!(r.group_ok, "{r:?}");
    s.stop().await;
});

db_test!(
    entrusted_organization_uses_the_entrusting_bodys_power,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut c = s.legal().await;
        let ent = c
            .create_body(CreateBodyRequest {
                request_id: rid(),
                body: Some(Body {
                    display_name: "受委托组织".into(),
                    kind: BodyKind::EntrustedOrganization as i32,
                    parent: w.dept.name.clone(),
                    entrusted_by: w.dept.name.clone(),
                    region_code: "230183".into(),
                    ..Default::default()
                }),
            })
            .await
            .unwrap()
            .into_inner();
        let emp = body(&s, "授权组织", BodyKind::EmpoweredOrganization, &w.gov.name).await;
        let r = check(&s, &ent.name, &w.penalty.name, Utc::now(), &[&w.a, &w.b], 0).await;
        assert!(
            !group(&r).contains(&GroupProblem::PowerNotHeld),
            "Art. 23: {r:?}"
        );
        // control: a body that was not entrusted by dept
        let r = check(&s, &emp.name, &w.penalty.name, Utc::now(), &[&w.a, &w.b], 0).await;
        assert!(group(&r).contains(&GroupProblem::PowerNotHeld), "{r:?}");

        // The entrusted organization's own staff, on a post holding the
        // entrusting body's power, are qualified actors.
        let since = since();
        let post = c
            .create_post(CreatePostRequest {
                request_id: rid(),
                parent: ent.name.clone(),
                post: Some(Post {
                    display_name: "受托执法岗".into(),
                    responsibilities: "受委托实施行政处罚".into(),
                    ..Default::default()
                }),
            })
            .await
            .unwrap()
            .into_inner();
        let post = c
            .set_post_powers(SetPostPowersRequest {
                request_id: rid(),
                post: post.name.clone(),
                powers: vec![w.penalty.name.clone()],
                effective_time: Some(ts(since)),
                backdate_reason: crate::fixtures::LATE.into(),
            })
            .await
            .expect("an entrusted organization's post holds the entrusting body's power")
            .into_inner();
        assert_eq!(post.powers, vec![w.penalty.name.clone()]);
        let until = Utc::now() + chrono::Duration::days(365);
        let x = officer(
            &s,
            &ent,
            "赵六",
            OfficerKind::Officer,
            vec![post.name.clone()],
            41,
            since,
        )
        .await;
        let y = officer(
            &s,
            &ent,
            "钱七",
            OfficerKind::Officer,
            vec![post.name.clone()],
            42,
            since,
        )
        .await;
        credential(&s, &x, "ENT-0001", since, until).await;
        credential(&s, &y, "ENT-0002", since, until).await;
        let r = check(&s, &ent.name, &w.penalty.name, Utc::now(), &[&x, &y], 0).await;
        assert!(r.group_ok && r.qualified_count == 2, "{r:?}");
        let published = s
            .public()
            .await
            .list_published_posts(ListPublishedPostsRequest {
                body: ent.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(published.posts[0].power_codes, vec![w.penalty.code.clone()]);
        let unassigned = c
            .list_unassigned_powers(ListUnassignedPowersRequest {
                parent: w.dept.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(
            unassigned.powers.is_empty(),
            "held by the entrusted post counts as assigned"
        );

        // control: a department's post cannot hold another department's power.
        let other_post = c
            .create_post(CreatePostRequest {
                request_id: rid(),
                parent: w.other.name.clone(),
                post: Some(Post {
                    display_name: "p".into(),
                    responsibilities: "r".into(),
                    ..Default::default()
                }),
            })
            .await
            .unwrap()
            .into_inner();
        let e = c
            .set_post_powers(SetPostPowersRequest {
                request_id: rid(),
                post: other_post.name.clone(),
                powers: vec![w.penalty.name.clone()],
                effective_time: None,
                backdate_reason: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(crate::fixtures::bad_fields(&e), vec!["powers[0]"]);
        s.stop().await;
    }
);

db_test!(check_actors_lookups, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    expect_err(
        c.check_actors(CheckActorsRequest {
            body: "bodies/nosuchbody".into(),
            power: w.penalty.name.clone(),
            act_time: Some(ts(Utc::now())),
            officers: vec![w.a.name.clone()],
            min_qualified: 0,
            known_time: None,
        })
        .await,
        Code::NotFound,
        "NOT_FOUND",
    );
    // reads do not touch the audit chain
    let before = head(&s).await;
    check(&s, &w.dept.name, &w.penalty.name, Utc::now(), &[&w.a], 0).await;
    assert_eq!(head(&s).await, before);
    s.stop().await;
});

db_test!(
    batch_answers_each_check_as_check_actors_would,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let one = |body: &str, power: &str, officers: &[&Officer]| CheckActorsRequest {
            body: body.into(),
            power: power.into(),
            act_time: Some(ts(Utc::now())),
            officers: officers.iter().map(|o| o.name.clone()).collect(),
            min_qualified: 0,
            known_time: None,
        };
        let mut svc = s
            .registry(&s.service_token(&probity_common::service_identity::INTAKE))
            .await;
        let r = svc
            .batch_check_actors(BatchCheckActorsRequest {
                checks: vec![
                    one(&w.dept.name, &w.penalty.name, &[&w.a, &w.b]),
                    one(&w.dept.name, &w.penalty.name, &[&w.a]),
                    one("bodies/ghost", &w.penalty.name, &[&w.a]),
                    // about the officers only, and about the body only
                    one(&w.dept.name, "", &[&w.aux]),
                    one(&w.dept.name, "", &[]),
                ],
                viewer: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
            .results;
        assert_eq!(r.len(), 5);
        let single = check(&s, &w.dept.name, &w.penalty.name, Utc::now(), &[&w.a], 0).await;
        assert_eq!(r[1].group_problems, single.group_problems);
        assert!(r[0].group_ok && r[0].body_known && r[0].power_known);
        assert_eq!(r[0].benchmark, benchmark());
        assert_eq!(
            r[0].body_path,
            vec![w.gov.name.clone(), w.dept.name.clone()]
        );
        assert!(!r[2].body_known);
        assert!(
            r[3].group_ok
                && r[3].actors[0]
                    .problems
                    .contains(&(ActorProblem::Auxiliary as i32))
        );
        assert!(r[4].body_known && r[4].actors.is_empty());
        // a service may ask as a department: others' officers are then unknown
        let stranger = officer(
            &s,
            &w.other,
            "周九",
            OfficerKind::Officer,
            vec![],
            9,
            since(),
        )
        .await;
        let seen = |viewer: &str| BatchCheckActorsRequest {
            checks: vec![one(&w.dept.name, &w.penalty.name, &[&w.a, &stranger])],
            viewer: viewer.into(),
        };
        let r = svc
            .batch_check_actors(seen(&w.dept.name))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            problems(&r.results[0], &stranger.name),
            vec![ActorProblem::UnknownOfficer]
        );
        let r = svc.batch_check_actors(seen("")).await.unwrap().into_inner();
        assert!(problems(&r.results[0], &stranger.name).contains(&ActorProblem::OtherBody));
        // a department cannot widen its view by naming another viewer
        let mut d = as_dept(&s, &w.dept.name).await;
        let r = d
            .batch_check_actors(seen(&w.other.name))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            problems(&r.results[0], &stranger.name),
            vec![ActorProblem::UnknownOfficer]
        );
        // every bad check is named; the count is bounded
        let mut bad_officer = one(&w.dept.name, &w.penalty.name, &[]);
        bad_officer.officers = vec!["x".into()];
        expect_invalid(
            svc.batch_check_actors(BatchCheckActorsRequest {
                checks: vec![one("nope", "nope", &[]), bad_officer],
                viewer: String::new(),
            })
            .await,
            &["checks[0].body", "checks[0].power", "checks[1].officers[0]"],
        );
        expect_invalid(
            svc.batch_check_actors(BatchCheckActorsRequest {
                checks: vec![one(&w.dept.name, "", &[&w.a]); 1001],
                viewer: String::new(),
            })
            .await,
            &["checks"],
        );
        s.stop().await;
    }
);
