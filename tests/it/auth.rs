//! Authentication and authorization: tokens, roles, department scope.
use chrono::{Duration, Utc};
use probity_common::auth::{Role, issue_token};
use probity_proto::{
    audit::v1::{
        ListAuditEntriesRequest, VerifyAuditChainRequest, audit_service_client::AuditServiceClient,
    },
    registry::v1::{registry_service_client::RegistryServiceClient, *},
};
use tonic::{Code, Request, Status, metadata::MetadataValue};

use crate::{
    db_test,
    fixtures::*,
    harness::{Backend, TestServer},
    util::*,
};

async fn list_bodies(c: &mut Reg) -> Result<tonic::Response<ListBodiesResponse>, Status> {
    c.list_bodies(ListBodiesRequest::default()).await
}

#[track_caller]
fn denied<T: std::fmt::Debug>(r: Result<tonic::Response<T>, Status>) {
    expect_err(r, Code::PermissionDenied, "ROLE_NOT_ALLOWED");
}

#[track_caller]
fn out<T: std::fmt::Debug>(r: Result<tonic::Response<T>, Status>) {
    expect_err(r, Code::PermissionDenied, "OUTSIDE_BODY_SCOPE");
}

db_test!(no_token_is_unauthenticated, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = RegistryServiceClient::new(s.channel().await);
    expect_code(
        c.list_bodies(ListBodiesRequest::default()).await,
        Code::Unauthenticated,
    );
    expect_code(
        c.get_body(GetBodyRequest {
            name: w.dept.name.clone(),
        })
        .await,
        Code::Unauthenticated,
    );
    expect_code(
        c.create_body(CreateBodyRequest {
            request_id: rid(),
            body: Some(Body {
                display_name: "x".into(),
                kind: BodyKind::Government as i32,
                region_code: "230183".into(),
                ..Default::default()
            }),
        })
        .await,
        Code::Unauthenticated,
    );
    let mut a = AuditServiceClient::new(s.channel().await);
    expect_code(
        a.verify_audit_chain(VerifyAuditChainRequest {
            service: "registry".into(),
            ..Default::default()
        })
        .await,
        Code::Unauthenticated,
    );
    // a header that is not a bearer token
    let mut basic =
        RegistryServiceClient::with_interceptor(s.channel().await, |mut r: Request<()>| {
            r.metadata_mut().insert(
                "authorization",
                MetadataValue::from_static("Basic dXNlcjpwYXNz"),
            );
            Ok(r)
        });
    expect_code(
        basic.list_bodies(ListBodiesRequest::default()).await,
        Code::Unauthenticated,
    );
    s.stop().await;
});

db_test!(bad_signature_is_unauthenticated, |b| async move {
    let s = TestServer::start(b).await;
    // a token signed with another server's key
    let stranger = TestServer::start(Backend::Sqlite).await;
    let foreign = stranger.token(Role::LegalOffice, None);
    stranger.stop().await;
    expect_code(
        list_bodies(&mut s.registry(&foreign).await).await,
        Code::Unauthenticated,
    );
    // a good token with its payload changed
    let good = s.token(Role::Leadership, None);
    let parts: Vec<&str> = good.split('.').collect();
    assert_eq!(parts.len(), 3);
    let forged_payload = {
        // the claims of a legal-office token, with the leadership signature
        let other = s.token(Role::LegalOffice, None);
        other.split('.').nth(1).unwrap().to_string()
    };
    let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    expect_code(
        list_bodies(&mut s.registry(&forged).await).await,
        Code::Unauthenticated,
    );
    expect_code(
        list_bodies(&mut s.registry("not.a.jwt").await).await,
        Code::Unauthenticated,
    );
    expect_code(
        list_bodies(&mut s.registry("").await).await,
        Code::Unauthenticated,
    );
    // control
    list_bodies(&mut s.registry(&good).await)
        .await
        .expect("the unmodified token works");
    s.stop().await;
});

db_test!(expired_token_is_unauthenticated, |b| async move {
    let s = TestServer::start(b).await;
    let expired = issue_token(
        &s.settings,
        "old",
        Role::LegalOffice,
        None,
        Duration::seconds(-120),
    )
    .unwrap();
    expect_code(
        list_bodies(&mut s.registry(&expired).await).await,
        Code::Unauthenticated,
    );
    // control: just expired, within the 30 s leeway
    let recent = issue_token(
        &s.settings,
        "recent",
        Role::LegalOffice,
        None,
        Duration::seconds(-5),
    )
    .unwrap();
    list_bodies(&mut s.registry(&recent).await)
        .await
        .expect("within leeway");
    s.stop().await;
});

db_test!(
    wrong_issuer_or_audience_is_unauthenticated,
    |b| async move {
        let s = TestServer::start(b).await;
        let mut st = s.settings.clone();
        st.auth.audience = "someone-else".into();
        let t = issue_token(&st, "x", Role::LegalOffice, None, Duration::hours(1)).unwrap();
        expect_code(
            list_bodies(&mut s.registry(&t).await).await,
            Code::Unauthenticated,
        );
        let mut st = s.settings.clone();
        st.auth.issuer = "someone-else".into();
        let t = issue_token(&st, "x", Role::LegalOffice, None, Duration::hours(1)).unwrap();
        expect_code(
            list_bodies(&mut s.registry(&t).await).await,
            Code::Unauthenticated,
        );
        s.stop().await;
    }
);

db_test!(roles_decide_what_may_be_called, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let before = head(&s).await;
    let new_body = || CreateBodyRequest {
        request_id: rid(),
        body: Some(Body {
            display_name: "某局".into(),
            kind: BodyKind::Department as i32,
            parent: w.gov.name.clone(),
            region_code: "230183".into(),
            ..Default::default()
        }),
    };
    let new_post = || CreatePostRequest {
        request_id: rid(),
        parent: w.dept.name.clone(),
        post: Some(Post {
            display_name: "岗".into(),
            responsibilities: "职责".into(),
            ..Default::default()
        }),
    };
    let withhold = || WithholdCredentialRequest {
        request_id: rid(),
        name: w.cred_a.name.clone(),
        until: Some(ts(Utc::now() + Duration::days(3))),
        reason: "暂扣".into(),
    };

    // leadership reads everything, writes nothing
    let mut l = as_role(&s, Role::Leadership).await;
    list_bodies(&mut l).await.expect("leadership reads bodies");
    l.get_officer(GetOfficerRequest {
        name: w.a.name.clone(),
    })
    .await
    .expect("leadership reads officers");
    l.check_actors(CheckActorsRequest {
        body: w.dept.name.clone(),
        power: w.penalty.name.clone(),
        act_time: Some(ts(Utc::now())),
        officers: vec![w.a.name.clone()],
        min_qualified: 0,
        known_time: None,
    })
    .await
    .expect("leadership may check actors");
    denied(l.create_body(new_body()).await);
    denied(l.create_post(new_post()).await);
    denied(l.withhold_credential(withhold()).await);
    denied(
        l.set_officer_status(SetOfficerStatusRequest {
            request_id: rid(),
            officer: w.a.name.clone(),
            status: OfficerStatus::OffPostTraining as i32,
            reason: "x".into(),
            effective_time: None,
        })
        .await,
    );
    let mut la = s.audit(&s.token(Role::Leadership, None)).await;
    denied(
        la.verify_audit_chain(VerifyAuditChainRequest {
            service: "registry".into(),
            ..Default::default()
        })
        .await,
    );

    // the auditor reads the audit chain, not the registry
    let mut au = as_role(&s, Role::Auditor).await;
    denied(list_bodies(&mut au).await);
    denied(
        au.get_credential(GetCredentialRequest {
            name: w.cred_a.name.clone(),
        })
        .await,
    );
    denied(au.create_body(new_body()).await);
    let mut aa = auditor(&s).await;
    aa.list_audit_entries(ListAuditEntriesRequest {
        service: "registry".into(),
        ..Default::default()
    })
    .await
    .expect("auditor lists entries");
    aa.verify_audit_chain(VerifyAuditChainRequest {
        service: "registry".into(),
        ..Default::default()
    })
    .await
    .expect("auditor verifies");

    // a department administers its own body but creates no bodies, reads no audit
    let mut d = as_dept(&s, &w.dept.name).await;
    denied(d.create_body(new_body()).await);
    let mut da = s
        .audit(&s.token(Role::Department, Some(&w.dept.name)))
        .await;
    denied(
        da.list_audit_entries(ListAuditEntriesRequest {
            service: "registry".into(),
            ..Default::default()
        })
        .await,
    );

    // a service reads and applies sanction effects, nothing else
    let job = s.service_token(&probity_common::service_identity::RANKINGS_JOB);
    let mut sv = s.registry(&job).await;
    list_bodies(&mut sv).await.expect("service reads");
    denied(sv.create_post(new_post()).await);
    denied(sv.create_body(new_body()).await);
    let mut sa = s.audit(&job).await;
    denied(
        sa.verify_audit_chain(VerifyAuditChainRequest {
            service: "registry".into(),
            ..Default::default()
        })
        .await,
    );
    assert_eq!(head(&s).await, before, "no refused call wrote anything");
    // the job may not withhold; accountability applies its sanctions
    let e = sv.withhold_credential(withhold()).await.unwrap_err();
    assert_eq!(reason(&e), "SERVICE_NOT_ALLOWED", "{e:?}");
    let acc = s.service_token(&probity_common::service_identity::ACCOUNTABILITY);
    let x = s
        .registry(&acc)
        .await
        .withhold_credential(withhold())
        .await
        .expect("service applies a withholding")
        .into_inner();
    assert_eq!(x.status, CredentialStatus::Withheld as i32);

    // the legal-affairs office reads the audit chain too
    let mut lo = s.audit(&s.token(Role::LegalOffice, None)).await;
    let v = lo
        .verify_audit_chain(VerifyAuditChainRequest {
            service: "registry".into(),
            ..Default::default()
        })
        .await
        .expect("legal office verifies")
        .into_inner();
    assert!(v.ok);
    s.stop().await;
});

db_test!(department_cannot_touch_another_body, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    // the other body's things
    let o_power = c
        .create_power(CreatePowerRequest {
            request_id: rid(),
            parent: w.other.name.clone(),
            power: Some(inspection_power("HJ-JC-001")),
            legal_basis_change: basis_change(),
            effective_time: None,
            backdate_reason: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let o_post = c
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
    let e = officer(
        &s,
        &w.other,
        "郑十一",
        OfficerKind::Officer,
        vec![],
        50,
        since(),
    )
    .await;
    let e_cred = credential(
        &s,
        &e,
        "HLJ-0050",
        since(),
        Utc::now() + Duration::days(365),
    )
    .await;
    let before = head(&s).await;

    let mut d = as_dept(&s, &w.dept.name).await;
    out(d
        .get_body(GetBodyRequest {
            name: w.other.name.clone(),
        })
        .await);
    out(d
        .get_body(GetBodyRequest {
            name: w.gov.name.clone(),
        })
        .await);
    out(d
        .create_unit(CreateUnitRequest {
            request_id: rid(),
            parent: w.other.name.clone(),
            unit: Some(Unit {
                display_name: "科".into(),
                ..Default::default()
            }),
        })
        .await);
    out(d
        .create_post(CreatePostRequest {
            request_id: rid(),
            parent: w.other.name.clone(),
            post: Some(Post {
                display_name: "岗".into(),
                responsibilities: "职责".into(),
                ..Default::default()
            }),
        })
        .await);
    out(d
        .create_power(CreatePowerRequest {
            request_id: rid(),
            parent: w.other.name.clone(),
            power: Some(inspection_power("JC-X")),
            legal_basis_change: basis_change(),
            effective_time: None,
            backdate_reason: String::new(),
        })
        .await);
    out(d
        .set_post_powers(SetPostPowersRequest {
            request_id: rid(),
            post: o_post.name.clone(),
            powers: vec![o_power.name.clone()],
            effective_time: None,
            backdate_reason: String::new(),
        })
        .await);
    let mut rev = o_power.clone();
    rev.duty = "改".into();
    out(d
        .revise_power(RevisePowerRequest {
            request_id: rid(),
            power: Some(rev),
            reason: "改".into(),
            effective_time: None,
        })
        .await);
    out(d
        .withdraw_power(WithdrawPowerRequest {
            request_id: rid(),
            name: o_power.name.clone(),
            legal_basis_change: basis_change(),
            effective_time: None,
            backdate_reason: String::new(),
        })
        .await);
    out(d
        .get_power(GetPowerRequest {
            name: o_power.name.clone(),
            version: 0,
        })
        .await);
    out(d
        .list_power_versions(ListPowerVersionsRequest {
            name: o_power.name.clone(),
            ..Default::default()
        })
        .await);
    out(d
        .list_powers(ListPowersRequest {
            parent: w.other.name.clone(),
            ..Default::default()
        })
        .await);
    out(d
        .list_unassigned_powers(ListUnassignedPowersRequest {
            parent: w.other.name.clone(),
            ..Default::default()
        })
        .await);
    out(d
        .list_units(ListUnitsRequest {
            parent: w.other.name.clone(),
            ..Default::default()
        })
        .await);
    out(d
        .list_posts(ListPostsRequest {
            parent: w.other.name.clone(),
            ..Default::default()
        })
        .await);
    out(d
        .get_post(GetPostRequest {
            name: o_post.name.clone(),
        })
        .await);
    out(d
        .create_officer(CreateOfficerRequest {
            request_id: rid(),
            officer: Some(Officer {
                display_name: "某人".into(),
                kind: OfficerKind::Officer as i32,
                body: w.other.name.clone(),
                national_id: nid(90),
                ..Default::default()
            }),
            effective_time: None,
            backdate_reason: String::new(),
        })
        .await);
    out(d
        .get_officer(GetOfficerRequest {
            name: e.name.clone(),
        })
        .await);
    out(d
        .get_officer_history(GetOfficerHistoryRequest {
            officer: e.name.clone(),
        })
        .await);
    // Out of scope looks absent here, so as not to say the person serves elsewhere.
    expect_err(
        d.find_officer_by_national_id(FindOfficerByNationalIdRequest {
            national_id: nid(50),
        })
        .await,
        Code::NotFound,
        "NOT_FOUND",
    );
    out(d
        .set_officer_status(SetOfficerStatusRequest {
            request_id: rid(),
            officer: e.name.clone(),
            status: OfficerStatus::Disqualified as i32,
            reason: "x".into(),
            effective_time: None,
        })
        .await);
    out(d
        .set_officer_posts(SetOfficerPostsRequest {
            request_id: rid(),
            officer: e.name.clone(),
            posts: vec![o_post.name.clone()],
            reason: "x".into(),
            effective_time: None,
        })
        .await);
    // pulling someone in, or pushing one's own officer out
    out(d
        .transfer_officer(TransferOfficerRequest {
            request_id: rid(),
            officer: e.name.clone(),
            to_body: w.dept.name.clone(),
            posts: vec![],
            reason: "x".into(),
            effective_time: None,
        })
        .await);
    out(d
        .transfer_officer(TransferOfficerRequest {
            request_id: rid(),
            officer: w.a.name.clone(),
            to_body: w.other.name.clone(),
            posts: vec![],
            reason: "x".into(),
            effective_time: None,
        })
        .await);
    out(d
        .issue_credential(IssueCredentialRequest {
            request_id: rid(),
            credential: Some(Credential {
                number: "HLJ-0051".into(),
                holder: e.name.clone(),
                issuing_authority: "x".into(),
                valid_from: Some(ts(Utc::now() + Duration::days(400))),
                valid_until: Some(ts(Utc::now() + Duration::days(800))),
                ..Default::default()
            }),
            backdate_reason: String::new(),
        })
        .await);
    out(d
        .get_credential(GetCredentialRequest {
            name: e_cred.name.clone(),
        })
        .await);
    out(d
        .withhold_credential(WithholdCredentialRequest {
            request_id: rid(),
            name: e_cred.name.clone(),
            until: Some(ts(Utc::now() + Duration::days(3))),
            reason: "x".into(),
        })
        .await);
    // Lifting a withholding is not a department's to do at all.
    expect_err(
        d.release_credential(ReleaseCredentialRequest {
            request_id: rid(),
            name: e_cred.name.clone(),
            reason: "x".into(),
        })
        .await,
        Code::PermissionDenied,
        "ROLE_NOT_ALLOWED",
    );
    out(d
        .revoke_credential(RevokeCredentialRequest {
            request_id: rid(),
            name: e_cred.name.clone(),
            reason: "x".into(),
        })
        .await);
    out(d
        .list_officers(ListOfficersRequest {
            body: w.other.name.clone(),
            ..Default::default()
        })
        .await);
    out(d
        .list_credentials(ListCredentialsRequest {
            body: w.other.name.clone(),
            ..Default::default()
        })
        .await);
    out(d
        .list_credentials(ListCredentialsRequest {
            holder: e.name.clone(),
            ..Default::default()
        })
        .await);
    out(d
        .check_actors(CheckActorsRequest {
            body: w.other.name.clone(),
            power: o_power.name.clone(),
            act_time: Some(ts(Utc::now())),
            officers: vec![e.name.clone()],
            min_qualified: 0,
            known_time: None,
        })
        .await);
    assert_eq!(head(&s).await, before, "nothing was written");
    let got = c
        .get_credential(GetCredentialRequest {
            name: e_cred.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.status, CredentialStatus::Valid as i32);

    // control: its own body, read and write
    d.get_body(GetBodyRequest {
        name: w.dept.name.clone(),
    })
    .await
    .expect("own body");
    let own = d
        .create_power(CreatePowerRequest {
            request_id: rid(),
            parent: w.dept.name.clone(),
            power: Some(inspection_power("JC-002")),
            legal_basis_change: basis_change(),
            effective_time: None,
            backdate_reason: String::new(),
        })
        .await
        .expect("own power")
        .into_inner();
    d.set_post_powers(SetPostPowersRequest {
        request_id: rid(),
        post: w.post.name.clone(),
        powers: vec![
            w.penalty.name.clone(),
            w.inspection.name.clone(),
            own.name.clone(),
        ],
        effective_time: None,
        backdate_reason: String::new(),
    })
    .await
    .expect("own post");
    d.withhold_credential(WithholdCredentialRequest {
        request_id: rid(),
        name: w.cred_a.name.clone(),
        until: Some(ts(Utc::now() + Duration::days(3))),
        reason: "暂扣".into(),
    })
    .await
    .expect("own credential");
    d.check_actors(CheckActorsRequest {
        body: w.dept.name.clone(),
        power: w.penalty.name.clone(),
        act_time: Some(ts(Utc::now())),
        officers: vec![w.a.name.clone(), w.b.name.clone()],
        min_qualified: 0,
        known_time: None,
    })
    .await
    .expect("own check");
    let entries = audit_entries(&s).await;
    let last = entries.last().unwrap();
    assert_eq!(last.role, "department");
    assert_eq!(last.actor, "test-department");
    s.stop().await;
});

db_test!(department_listings_see_only_their_subtree, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let sub = body(
        &s,
        "市场监管所",
        BodyKind::EmpoweredOrganization,
        &w.dept.name,
    )
    .await;
    let in_sub = officer(
        &s,
        &sub,
        "所里的人",
        OfficerKind::Officer,
        vec![],
        60,
        since(),
    )
    .await;
    let sub_cred = credential(
        &s,
        &in_sub,
        "HLJ-0060",
        since(),
        Utc::now() + Duration::days(365),
    )
    .await;
    let in_other = officer(
        &s,
        &w.other,
        "别处的人",
        OfficerKind::Officer,
        vec![],
        61,
        since(),
    )
    .await;
    credential(
        &s,
        &in_other,
        "HLJ-0061",
        since(),
        Utc::now() + Duration::days(365),
    )
    .await;

    let sorted_names = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let mut d = as_dept(&s, &w.dept.name).await;
    let bodies = d
        .list_bodies(ListBodiesRequest::default())
        .await
        .expect("list bodies")
        .into_inner()
        .bodies;
    assert_eq!(
        sorted_names(bodies.into_iter().map(|b| b.name).collect()),
        sorted_names(vec![w.dept.name.clone(), sub.name.clone()])
    );
    let kids = d
        .list_bodies(ListBodiesRequest {
            parent: w.gov.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .bodies;
    assert_eq!(
        kids.into_iter().map(|b| b.name).collect::<Vec<_>>(),
        vec![w.dept.name.clone()],
        "the other department is not listed"
    );
    d.get_body(GetBodyRequest {
        name: sub.name.clone(),
    })
    .await
    .expect("a descendant is in scope");
    d.get_officer(GetOfficerRequest {
        name: in_sub.name.clone(),
    })
    .await
    .expect("an officer of a descendant");

    let officers = d
        .list_officers(ListOfficersRequest::default())
        .await
        .unwrap()
        .into_inner()
        .officers;
    assert_eq!(
        sorted_names(officers.into_iter().map(|o| o.name).collect()),
        sorted_names(vec![
            w.a.name.clone(),
            w.b.name.clone(),
            w.aux.name.clone(),
            in_sub.name.clone()
        ])
    );
    let creds = d
        .list_credentials(ListCredentialsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .credentials;
    assert_eq!(
        sorted_names(creds.into_iter().map(|c| c.name).collect()),
        sorted_names(vec![
            w.cred_a.name.clone(),
            w.cred_b.name.clone(),
            sub_cred.name.clone()
        ])
    );
    // the sub-body's token does not reach up to dept
    let mut sd = as_dept(&s, &sub.name).await;
    expect_err(
        sd.get_body(GetBodyRequest {
            name: w.dept.name.clone(),
        })
        .await,
        Code::PermissionDenied,
        "OUTSIDE_BODY_SCOPE",
    );
    let mine = sd
        .list_officers(ListOfficersRequest::default())
        .await
        .unwrap()
        .into_inner()
        .officers;
    assert_eq!(
        mine.into_iter().map(|o| o.name).collect::<Vec<_>>(),
        vec![in_sub.name.clone()]
    );
    // a token at the top sees everything
    let mut g = as_dept(&s, &w.gov.name).await;
    let all = g
        .list_bodies(ListBodiesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .bodies;
    assert_eq!(all.len(), 4);
    let all = g
        .list_officers(ListOfficersRequest::default())
        .await
        .unwrap()
        .into_inner()
        .officers;
    assert_eq!(all.len(), 5);
    s.stop().await;
});

db_test!(public_methods_and_health_need_no_token, |b| async move {
    use tonic_health::pb::{
        HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
    };
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut p = s.public().await;
    p.verify_credential(VerifyCredentialRequest {
        number: w.cred_a.number.clone(),
    })
    .await
    .expect("verify without token");
    p.list_published_powers(ListPublishedPowersRequest {
        body: w.dept.name.clone(),
        ..Default::default()
    })
    .await
    .expect("published powers without token");
    p.list_published_posts(ListPublishedPostsRequest {
        body: w.dept.name.clone(),
        ..Default::default()
    })
    .await
    .expect("published posts without token");
    let mut h = HealthClient::new(s.channel().await);
    let r = h
        .check(HealthCheckRequest {
            service: "probity.registry.v1.RegistryService".into(),
        })
        .await
        .expect("health without token")
        .into_inner();
    assert_eq!(r.status, ServingStatus::Serving as i32);
    s.stop().await;
});

db_test!(idempotent_replay_does_not_bypass_scope, |b| async move {
    // A request id replays the first response; it must not hand another
    // body's data to a caller who may not see it.
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let req = WithholdCredentialRequest {
        request_id: rid(),
        name: w.cred_a.name.clone(),
        until: Some(ts(Utc::now() + Duration::days(3))),
        reason: "暂扣".into(),
    };
    s.legal()
        .await
        .withhold_credential(req.clone())
        .await
        .expect("legal office withholds");
    let mut o = as_dept(&s, &w.other.name).await;
    expect_err(
        o.withhold_credential(req).await,
        Code::PermissionDenied,
        "OUTSIDE_BODY_SCOPE",
    );
    s.stop().await;
});

db_test!(cli_issued_token_is_accepted, |b| async move {
    let s = TestServer::start(b).await;
    let issue = |args: &[&str]| {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_probity"));
        cmd.args(["token", "issue"])
            .args(args)
            .env_remove("PROBITY_CONFIG")
            .env("PROBITY__DATABASE__DATA_DIR", s.data_dir())
            // the test server's issuer key (development keys are off)
            .env("PROBITY__AUTH__DEV_KEYS", "false")
            .env(
                "PROBITY__AUTH__SIGNING_KEY_FILE",
                &s.settings.auth.signing_key_file,
            );
        async move { cmd.output().await.expect("run probity token issue") }
    };
    let out = issue(&[
        "--role",
        "legal_office",
        "--subject",
        "cli-user",
        "--ttl",
        "10m",
    ])
    .await;
    assert!(out.status.success(), "{out:?}");
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let mut c = s.registry(&token).await;
    let gov = c
        .create_body(CreateBodyRequest {
            request_id: rid(),
            body: Some(Body {
                display_name: "尚志市人民政府".into(),
                kind: BodyKind::Government as i32,
                region_code: "230183".into(),
                ..Default::default()
            }),
        })
        .await
        .expect("a CLI token works")
        .into_inner();
    let last = audit_entries(&s).await.pop().unwrap();
    assert_eq!(last.actor, "cli-user");
    assert_eq!(last.entity, gov.name);
    // a department token is scoped to the body it names
    let out = issue(&["--role", "department", "--body", &gov.name]).await;
    assert!(out.status.success(), "{out:?}");
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let mut d = s.registry(&token).await;
    d.get_body(GetBodyRequest {
        name: gov.name.clone(),
    })
    .await
    .expect("own body");
    // and needs one
    let out = issue(&["--role", "department"]).await;
    assert!(!out.status.success());
    let out = issue(&["--role", "nobody"]).await;
    assert!(!out.status.success());
    s.stop().await;
});
