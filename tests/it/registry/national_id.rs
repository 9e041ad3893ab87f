//! Issue 19, hole 5: CreateOfficer must not be an oracle of where a person
//! serves, and a department that registers a person first must not lock
//! out the body they really serve; a second registration is no way out of
//! a sanction either.
use probity_proto::registry::v1::*;
use tonic::Code;

use crate::{db_test, fixtures::*, harness::TestServer, util::*};

fn register(body: &Body, name: &str, national_id: String) -> CreateOfficerRequest {
    CreateOfficerRequest {
        request_id: rid(),
        officer: Some(Officer {
            display_name: name.into(),
            kind: OfficerKind::Officer as i32,
            body: body.name.clone(),
            national_id,
            ..Default::default()
        }),
        effective_time: None,
        backdate_reason: String::new(),
    }
}

async fn find(c: &mut Reg, national_id: String) -> Result<Officer, tonic::Status> {
    c.find_officer_by_national_id(FindOfficerByNationalIdRequest { national_id })
        .await
        .map(|r| r.into_inner())
}

db_test!(
    create_officer_tells_no_department_where_a_person_serves,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut other = as_dept(&s, &w.other.name).await;
        // The probe: is 张三明 (w.a, the market bureau's) an officer anywhere?
        // Find hides it, and CreateOfficer answers as for anyone new.
        expect_code(find(&mut other, nid(1)).await, Code::NotFound);
        let probe = other
            .create_officer(register(&w.other, "张三明", nid(1)))
            .await
            .expect("answered as for a person registered nowhere")
            .into_inner();
        let fresh = other
            .create_officer(register(&w.other, "陈七", nid(50)))
            .await
            .expect("a person registered nowhere")
            .into_inner();
        for o in [&probe, &fresh] {
            assert_eq!(o.status, OfficerStatus::Active as i32, "{o:?}");
            assert_eq!(o.body, w.other.name);
            assert!(o.name.starts_with("officers/"));
        }
        assert_ne!(probe.name, w.a.name, "the other body's record is untouched");
        // Each body finds its own registration; the market bureau still its own.
        assert_eq!(find(&mut other, nid(1)).await.unwrap().name, probe.name);
        let mut dept = as_dept(&s, &w.dept.name).await;
        assert_eq!(find(&mut dept, nid(1)).await.unwrap().name, w.a.name);
        // What a body can see it is told, as Find would show it.
        expect_err(
            other
                .create_officer(register(&w.other, "张三明", nid(1)))
                .await,
            Code::AlreadyExists,
            "OFFICER_EXISTS",
        );
        // The office sees every body: registering again is refused.
        let mut office = s.legal().await;
        expect_err(
            office
                .create_officer(register(&w.dept, "张三明", nid(1)))
                .await,
            Code::AlreadyExists,
            "OFFICER_EXISTS",
        );
        s.stop().await;
    }
);

db_test!(
    a_department_that_registers_first_locks_no_one_out,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        // The environment bureau claims a person who serves the market bureau,
        // before the market bureau registers them.
        let mut other = as_dept(&s, &w.other.name).await;
        let claimed = other
            .create_officer(register(&w.other, "周八", nid(60)))
            .await
            .unwrap()
            .into_inner();
        let mut dept = as_dept(&s, &w.dept.name).await;
        let real = dept
            .create_officer(register(&w.dept, "周八", nid(60)))
            .await
            .expect("the real body registers its officer")
            .into_inner();
        assert_eq!(real.body, w.dept.name);
        assert_ne!(real.name, claimed.name);
        // The office sees both, and resolves the pair as it decides: here the
        // claim is withdrawn from enforcement (调离执法岗位).
        let mut office = s.legal().await;
        office
            .set_officer_status(SetOfficerStatusRequest {
                request_id: rid(),
                officer: claimed.name.clone(),
                status: OfficerStatus::TransferredOut as i32,
                reason: "registered by a body the person does not serve".into(),
                effective_time: None,
            })
            .await
            .expect("the office resolves");
        s.stop().await;
    }
);

db_test!(
    a_sanction_follows_the_person_into_every_registration,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut other = as_dept(&s, &w.other.name).await;
        let beside = other
            .create_officer(register(&w.other, "张三明", nid(1)))
            .await
            .unwrap()
            .into_inner();
        // The market bureau's officer is sent to training as a sanction.
        let mut office = s.legal().await;
        office
            .set_officer_status(SetOfficerStatusRequest {
                request_id: rid(),
                officer: w.a.name.clone(),
                status: OfficerStatus::OffPostTraining as i32,
                reason: "离岗培训".into(),
                effective_time: None,
            })
            .await
            .unwrap();
        let now = other
            .get_officer(GetOfficerRequest {
                name: beside.name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(now.status, OfficerStatus::OffPostTraining as i32);
        // The registering department cannot lift it on its own record.
        expect_err(
            other
                .set_officer_status(SetOfficerStatusRequest {
                    request_id: rid(),
                    officer: beside.name.clone(),
                    status: OfficerStatus::Active as i32,
                    reason: "ours".into(),
                    effective_time: None,
                })
                .await,
            Code::PermissionDenied,
            "SANCTION_STATUS",
        );
        // A third registration starts where the person stands.
        let third = body(&s, "尚志市交通运输局", BodyKind::Department, &w.gov.name).await;
        let late = as_dept(&s, &third.name)
            .await
            .create_officer(register(&third, "张三明", nid(1)))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(late.status, OfficerStatus::OffPostTraining as i32);
        // The government sees both bureaus (its subtree): it is told.
        let mut gov = as_dept(&s, &w.gov.name).await;
        expect_err(
            gov.create_officer(register(&w.gov, "张三明", nid(1))).await,
            Code::AlreadyExists,
            "OFFICER_EXISTS",
        );
        s.stop().await;
    }
);

db_test!(
    a_department_does_not_bar_another_bodys_officer,
    |b| async move {
        // The environment bureau registers the market bureau's officer beside
        // them, then marks its own registration transferred out, hoping the
        // status follows the person.
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut other = as_dept(&s, &w.other.name).await;
        let beside = other
            .create_officer(register(&w.other, "张三明", nid(1)))
            .await
            .unwrap()
            .into_inner();
        other
            .set_officer_status(SetOfficerStatusRequest {
                request_id: rid(),
                officer: beside.name.clone(),
                status: OfficerStatus::TransferredOut as i32,
                reason: "离职".into(),
                effective_time: None,
            })
            .await
            .expect("a department sets its own officer's status");
        let mut dept = as_dept(&s, &w.dept.name).await;
        let a = dept
            .get_officer(GetOfficerRequest {
                name: w.a.name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            a.status,
            OfficerStatus::Active as i32,
            "not the market bureau's"
        );
        let third = body(&s, "尚志市交通运输局", BodyKind::Department, &w.gov.name).await;
        let late = as_dept(&s, &third.name)
            .await
            .create_officer(register(&third, "张三明", nid(1)))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            late.status,
            OfficerStatus::Active as i32,
            "nor a third body's"
        );
        s.stop().await;
    }
);
