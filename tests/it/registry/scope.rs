//! What a department may learn of other bodies' officers: CheckActors and
//! FindOfficerByNationalId answer it as if they were absent.
use chrono::Utc;
use probity_common::auth::Role;
use probity_proto::registry::v1::*;
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
                act_time: Some(ts(Utc::now())),
                officers: vec![e.name.clone(), w.a.name.clone()],
                min_qualified: 0,
                known_time: None,
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
                act_time: Some(ts(Utc::now())),
                officers: vec![e.name.clone()],
                min_qualified: 0,
                known_time: None,
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
