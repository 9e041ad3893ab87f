//! Statuses imposed as sanctions (OFF_POST_TRAINING, TRANSFERRED_OUT): only
//! the legal-affairs office or a service lifts them, never the department,
//! as with a withheld credential. A department still lifts what it set itself.
use chrono::Utc;
use probity_common::auth::Role;
use probity_proto::registry::v1::*;
use sea_orm::{ConnectionTrait, Statement};
use tonic::{Code, Status};

use crate::{db_test, fixtures::*, harness::TestServer, util::*};

async fn set(c: &mut Reg, o: &Officer, st: OfficerStatus) -> Result<Officer, Status> {
    c.set_officer_status(SetOfficerStatusRequest {
        request_id: rid(),
        officer: o.name.clone(),
        status: st as i32,
        reason: format!("改为{}", st.as_str_name()),
        effective_time: None,
    })
    .await
    .map(|r| r.into_inner())
}

#[track_caller]
fn sanction_denied(r: Result<Officer, Status>, label: &str) {
    let s = expect_err(r, Code::PermissionDenied, "SANCTION_STATUS");
    assert!(s.message().contains(label), "{s:?}");
    assert!(s.message().contains("legal-affairs office"), "{s:?}");
}

async fn history_len(c: &mut Reg, o: &Officer) -> usize {
    c.get_officer_history(GetOfficerHistoryRequest {
        officer: o.name.clone(),
    })
    .await
    .expect("history")
    .into_inner()
    .events
    .len()
}

async fn status_of(c: &mut Reg, o: &Officer) -> i32 {
    c.get_officer(GetOfficerRequest {
        name: o.name.clone(),
    })
    .await
    .expect("get officer")
    .into_inner()
    .status
}

db_test!(department_cannot_lift_a_sanction, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut legal = s.legal().await;
    let mut d = as_dept(&s, &w.dept.name).await;
    use OfficerStatus::*;

    set(&mut legal, &w.a, OffPostTraining)
        .await
        .expect("legal office imposes training");
    let before = history_len(&mut legal, &w.a).await;
    sanction_denied(set(&mut d, &w.a, Active).await, "OFF_POST_TRAINING");
    // nor by way of another status the department would then lift itself
    sanction_denied(set(&mut d, &w.a, TransferredOut).await, "OFF_POST_TRAINING");
    // the same status is still just no change
    expect_err(
        set(&mut d, &w.a, OffPostTraining).await,
        Code::FailedPrecondition,
        "NO_CHANGE",
    );
    assert_eq!(
        history_len(&mut legal, &w.a).await,
        before,
        "nothing recorded"
    );
    assert_eq!(status_of(&mut d, &w.a).await, OffPostTraining as i32);

    // the legal-affairs office lifts it
    let o = set(&mut legal, &w.a, Active)
        .await
        .expect("legal office lifts");
    assert_eq!(o.status, Active as i32);

    // TRANSFERRED_OUT the same way
    set(&mut legal, &w.b, TransferredOut)
        .await
        .expect("legal office transfers out");
    sanction_denied(set(&mut d, &w.b, Active).await, "TRANSFERRED_OUT");
    sanction_denied(set(&mut d, &w.b, OffPostTraining).await, "TRANSFERRED_OUT");
    set(&mut legal, &w.b, Active)
        .await
        .expect("legal office lifts transfer-out");

    // once lifted, the department may impose and lift its own again
    set(&mut d, &w.a, OffPostTraining)
        .await
        .expect("department imposes training");
    set(&mut d, &w.a, Active)
        .await
        .expect("department lifts its own");
    s.stop().await;
});

db_test!(department_lifts_what_it_set_itself, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut d = as_dept(&s, &w.dept.name).await;
    use OfficerStatus::*;

    let o = set(&mut d, &w.a, OffPostTraining)
        .await
        .expect("department imposes training");
    assert_eq!(o.status, OffPostTraining as i32);
    let o = set(&mut d, &w.a, Active)
        .await
        .expect("department lifts its own training");
    assert_eq!(o.status, Active as i32);

    set(&mut d, &w.b, TransferredOut)
        .await
        .expect("department transfers out");
    set(&mut d, &w.b, OffPostTraining)
        .await
        .expect("department moves its own status on");
    set(&mut d, &w.b, Active)
        .await
        .expect("department lifts its own");

    // the legal-affairs office may of course lift a department's status too
    set(&mut d, &w.aux, OffPostTraining)
        .await
        .expect("department imposes training");
    set(&mut s.legal().await, &w.aux, Active)
        .await
        .expect("legal office lifts a department's status");
    s.stop().await;
});

db_test!(accountability_imposes_and_never_lifts, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut svc = s
        .registry(&s.service_token(&probity_common::service_identity::ACCOUNTABILITY))
        .await;
    let mut d = as_dept(&s, &w.dept.name).await;
    use OfficerStatus::*;

    set(&mut svc, &w.a, OffPostTraining)
        .await
        .expect("service imposes training");
    sanction_denied(set(&mut d, &w.a, Active).await, "OFF_POST_TRAINING");
    // Issue 19: a service token restores no one, not even accountability's
    // (its effects only ever go heavier; lifting is the office's).
    let e = set(&mut svc, &w.a, Active).await.unwrap_err();
    assert_eq!(
        (e.code(), reason(&e).as_str()),
        (Code::PermissionDenied, "SANCTION_STATUS")
    );

    set(&mut svc, &w.b, TransferredOut)
        .await
        .expect("service transfers out");
    sanction_denied(set(&mut d, &w.b, Active).await, "TRANSFERRED_OUT");
    // the legal-affairs office lifts a service's sanction
    set(&mut s.legal().await, &w.b, Active)
        .await
        .expect("legal office lifts");

    // nor does a service lift a department's own status
    set(&mut d, &w.aux, TransferredOut)
        .await
        .expect("department transfers out");
    let e = set(&mut svc, &w.aux, Active).await.unwrap_err();
    assert_eq!(reason(&e), "SANCTION_STATUS");
    s.stop().await;
});

db_test!(a_transfer_keeps_the_sanction, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut legal = s.legal().await;
    let sub = body(
        &s,
        "市场监管所",
        BodyKind::EmpoweredOrganization,
        &w.dept.name,
    )
    .await;
    let mut d = as_dept(&s, &w.dept.name).await;
    use OfficerStatus::*;

    set(&mut legal, &w.a, OffPostTraining)
        .await
        .expect("legal office imposes training");
    // the department moves its officer within its own subtree
    let moved = d
        .transfer_officer(TransferOfficerRequest {
            request_id: rid(),
            officer: w.a.name.clone(),
            to_body: sub.name.clone(),
            posts: vec![],
            reason: "调整".into(),
            effective_time: None,
        })
        .await
        .expect("transfer within the department")
        .into_inner();
    assert_eq!(moved.body, sub.name);
    assert_eq!(
        moved.status, OffPostTraining as i32,
        "the status goes along"
    );
    // and neither the department nor the new body lifts it
    sanction_denied(set(&mut d, &w.a, Active).await, "OFF_POST_TRAINING");
    let mut ds = as_dept(&s, &sub.name).await;
    sanction_denied(set(&mut ds, &w.a, Active).await, "OFF_POST_TRAINING");
    set(&mut legal, &w.a, Active)
        .await
        .expect("legal office lifts");
    s.stop().await;
});

db_test!(events_recorded_before_roles_were_kept, |b| async move {
    // Events written before m0002 have no role; the audit entry of the same
    // change says who set the status.
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut legal = s.legal().await;
    let mut d = as_dept(&s, &w.dept.name).await;
    use OfficerStatus::*;

    set(&mut legal, &w.a, OffPostTraining)
        .await
        .expect("legal office imposes training");
    set(&mut d, &w.b, OffPostTraining)
        .await
        .expect("department imposes training");
    let db = s.raw_db().await;
    let n = db
        .execute_raw(Statement::from_string(
            db.get_database_backend(),
            "UPDATE registry_officer_events SET actor_role = NULL",
        ))
        .await
        .expect("forget roles")
        .rows_affected();
    assert!(n >= 5, "{n}");

    sanction_denied(set(&mut d, &w.a, Active).await, "OFF_POST_TRAINING");
    set(&mut d, &w.b, Active)
        .await
        .expect("department lifts its own, by the audit entry");
    set(&mut legal, &w.a, Active)
        .await
        .expect("legal office lifts");
    s.stop().await;
});

// A status the department set itself, then imposed by the legal-affairs
// office as a sanction, becomes the office's: the department can no longer
// lift it. The same status again from the department changes nothing.
db_test!(
    a_department_status_imposed_as_a_sanction_is_kept,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut d = as_dept(&s, &w.dept.name).await;
        let mut office = s.legal().await;
        use OfficerStatus::*;
        set(&mut d, &w.a, OffPostTraining)
            .await
            .expect("department imposes training");
        expect_err(
            set(&mut d, &w.a, OffPostTraining).await,
            Code::FailedPrecondition,
            "NO_CHANGE",
        );
        let before = history_len(&mut office, &w.a).await;
        set(&mut office, &w.a, OffPostTraining)
            .await
            .expect("the office imposes the same status as a sanction");
        assert_eq!(history_len(&mut office, &w.a).await, before + 1);
        sanction_denied(set(&mut d, &w.a, Active).await, "OFF_POST_TRAINING");
        assert_eq!(status_of(&mut office, &w.a).await, OffPostTraining as i32);
        // once the office's, the same again changes nothing
        expect_err(
            set(&mut office, &w.a, OffPostTraining).await,
            Code::FailedPrecondition,
            "NO_CHANGE",
        );
        s.stop().await;
    }
);

db_test!(only_the_legal_office_lifts_a_withholding, |b| async move {
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
    // No service lifts a sanction, accountability included (issue 19:
    // one leaked service token must not undo a sanction).
    for id in probity_common::service_identity::ALL {
        let mut svc = s.registry(&s.service_token(&id)).await;
        let e = svc
            .release_credential(ReleaseCredentialRequest {
                request_id: rid(),
                name: w.cred_a.name.clone(),
                reason: "复核撤销".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(
            (e.code(), reason(&e).as_str()),
            (Code::PermissionDenied, "ROLE_NOT_ALLOWED"),
            "{}",
            id.subject
        );
    }
    let out = legal
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
});
