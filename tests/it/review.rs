//! Fixes from a review: what a department may learn, NUL in text, audit
//! verification under concurrent writes, forged page tokens, who may lift a
//! withholding.
use chrono::Utc;
use probity_common::auth::Role;
use probity_proto::{audit::v1::*, registry::v1::*};
use tonic::Code;

use crate::{db_test, fixtures::*, harness::TestServer, util::*};

db_test!(
    check_actors_hides_other_bodies_officers_from_a_department,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let e = officer(
            &s,
            &w.other,
            "外部门",
            OfficerKind::Officer,
            vec![],
            77,
            since(),
        )
        .await;
        let mut legal = s.legal().await;
        let c = credential(
            &s,
            &e,
            "OTHER-1",
            since(),
            Utc::now() + chrono::Duration::days(30),
        )
        .await;
        legal
            .withhold_credential(WithholdCredentialRequest {
                request_id: rid(),
                name: c.name.clone(),
                until: Some(ts(Utc::now() + chrono::Duration::days(3))),
                reason: "暂扣".into(),
            })
            .await
            .unwrap();
        let mut dept = s
            .registry(&s.token(Role::Department, Some(&w.dept.name)))
            .await;
        let r = dept
            .check_actors(CheckActorsRequest {
                body: w.dept.name.clone(),
                power: w.penalty.name.clone(),
                at: Some(ts(Utc::now())),
                officers: vec![e.name.clone(), w.a.name.clone()],
                min_qualified: 0,
                known_at: None,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.actors[0].officer, e.name, "the caller's order is kept");
        assert_eq!(
            r.actors[0].problems,
            vec![ActorProblem::UnknownOfficer as i32],
            "nothing about the sanction leaks"
        );
        assert!(r.actors[0].credential.is_empty());
        assert!(r.actors[1].qualified, "own officers are answered in full");
        // The legal-affairs office sees everything.
        let r = legal
            .check_actors(CheckActorsRequest {
                body: w.dept.name.clone(),
                power: w.penalty.name.clone(),
                at: Some(ts(Utc::now())),
                officers: vec![e.name.clone()],
                min_qualified: 0,
                known_at: None,
            })
            .await
            .unwrap()
            .into_inner();
        assert!(problems(&r, &e.name).contains(&ActorProblem::CredentialWithheld));
        s.stop().await;
    }
);

db_test!(national_id_out_of_scope_looks_absent, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut other = s
        .registry(&s.token(Role::Department, Some(&w.other.name)))
        .await;
    let e = other
        .find_officer_by_national_id(FindOfficerByNationalIdRequest {
            national_id: nid(1),
        })
        .await
        .unwrap_err();
    assert_eq!(
        e.code(),
        Code::NotFound,
        "not PERMISSION_DENIED: that would say the person is an officer elsewhere"
    );
    let mut dept = s
        .registry(&s.token(Role::Department, Some(&w.dept.name)))
        .await;
    let found = dept
        .find_officer_by_national_id(FindOfficerByNationalIdRequest {
            national_id: nid(1),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.name, w.a.name);
    s.stop().await;
});

db_test!(nul_in_text_is_invalid_on_every_backend, |b| async move {
    let s = TestServer::start(b).await;
    let mut c = s.legal().await;
    let e = c
        .create_body(CreateBodyRequest {
            request_id: rid(),
            body: Some(Body {
                display_name: "尚志\0市".into(),
                kind: BodyKind::Government as i32,
                region_code: "230183".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&e), vec!["body.display_name"]);
    s.stop().await;
});

db_test!(forged_audit_page_token_is_invalid, |b| async move {
    use base64::Engine;
    let s = TestServer::start(b).await;
    let mut a = s.audit(&s.token(Role::Auditor, None)).await;
    let token =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("audit|||0\n{}", i64::MAX));
    let e = a
        .list_audit_entries(ListAuditEntriesRequest {
            service: "registry".into(),
            page_token: token,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    s.stop().await;
});

db_test!(
    verification_under_concurrent_writes_finds_nothing_wrong,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let writer = {
            let mut c = s.legal().await;
            let parent = w.dept.name.clone();
            tokio::spawn(async move {
                for i in 0..60 {
                    c.create_unit(CreateUnitRequest {
                        request_id: rid(),
                        parent: parent.clone(),
                        unit: Some(Unit {
                            display_name: format!("科室{i}"),
                            ..Default::default()
                        }),
                    })
                    .await
                    .unwrap();
                }
            })
        };
        let mut a = s.audit(&s.token(Role::Auditor, None)).await;
        let mut checks = 0;
        while !writer.is_finished() {
            let r = a
                .verify_audit_chain(VerifyAuditChainRequest {
                    service: "registry".into(),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            assert!(r.ok, "a write in flight is not tampering: {r:?}");
            checks += 1;
        }
        writer.await.unwrap();
        assert!(checks > 0);
        let beyond = a
            .verify_audit_chain(VerifyAuditChainRequest {
                from_sequence: 10_000,
                service: "registry".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(beyond.ok && beyond.entries_checked == 0, "{beyond:?}");
        s.stop().await;
    }
);

db_test!(
    only_the_legal_office_or_a_service_lifts_a_withholding,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut legal = s.legal().await;
        legal
            .withhold_credential(WithholdCredentialRequest {
                request_id: rid(),
                name: w.cred_a.name.clone(),
                until: Some(ts(Utc::now() + chrono::Duration::days(10))),
                reason: "暂扣".into(),
            })
            .await
            .unwrap();
        let mut dept = s
            .registry(&s.token(Role::Department, Some(&w.dept.name)))
            .await;
        let e = dept
            .release_credential(ReleaseCredentialRequest {
                request_id: rid(),
                name: w.cred_a.name.clone(),
                reason: "x".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(
            (e.code(), reason(&e).as_str()),
            (Code::PermissionDenied, "ROLE_NOT_ALLOWED")
        );
        let mut svc = s.registry(&s.token(Role::Service, None)).await;
        let out = svc
            .release_credential(ReleaseCredentialRequest {
                request_id: rid(),
                name: w.cred_a.name.clone(),
                reason: "复核撤销".into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(out.status, CredentialStatus::Valid as i32);
        s.stop().await;
    }
);
