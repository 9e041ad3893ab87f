//! AIP-155 request ids: a retry returns the first response and writes once;
//! a reused id with another payload is refused; concurrent copies make one.
use chrono::{Duration, Utc};
use probity_proto::registry::v1::*;
use tonic::Code;

use crate::{db_test, fixtures::*, harness::TestServer, util::*};

fn body_req(request_id: &str, name: &str, parent: &str) -> CreateBodyRequest {
    CreateBodyRequest {
        request_id: request_id.into(),
        body: Some(Body {
            display_name: name.into(),
            kind: if parent.is_empty() {
                BodyKind::Government as i32
            } else {
                BodyKind::Department as i32
            },
            parent: parent.into(),
            region_code: "230183".into(),
            ..Default::default()
        }),
    }
}

async fn count_method(s: &TestServer, method: &str) -> usize {
    audit_entries(s)
        .await
        .iter()
        .filter(|e| e.method.ends_with(method))
        .count()
}

db_test!(
    retry_returns_the_first_response_and_writes_once,
    |b| async move {
        let s = TestServer::start(b).await;
        let mut c = s.legal().await;
        let id = rid();
        let first = c
            .create_body(body_req(&id, "尚志市人民政府", ""))
            .await
            .expect("first")
            .into_inner();
        let h = head(&s).await;
        let second = c
            .create_body(body_req(&id, "尚志市人民政府", ""))
            .await
            .expect("retry")
            .into_inner();
        assert_eq!(first, second, "identical response, create_time included");
        assert_eq!(head(&s).await, h, "no second audit entry");
        let all = c
            .list_bodies(ListBodiesRequest::default())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(all.bodies.len(), 1);
        assert_eq!(count_method(&s, "/CreateBody").await, 1);
        s.stop().await;
    }
);

db_test!(retries_of_state_changes_are_replayed, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;

    // CreateOfficer: a retry is not a duplicate national ID
    let oreq = CreateOfficerRequest {
        request_id: rid(),
        officer: Some(Officer {
            display_name: "赵六".into(),
            kind: OfficerKind::Officer as i32,
            body: w.dept.name.clone(),
            posts: vec![w.post.name.clone()],
            national_id: nid(10),
            ..Default::default()
        }),
        effective_time: None,
        backdate_reason: String::new(),
    };
    let o1 = c.create_officer(oreq.clone()).await.unwrap().into_inner();
    let o2 = c
        .create_officer(oreq.clone())
        .await
        .expect("retry of create officer")
        .into_inner();
    assert_eq!(o1, o2);

    // CreatePower: a retry is not a taken code
    let preq = CreatePowerRequest {
        request_id: rid(),
        parent: w.dept.name.clone(),
        power: Some(inspection_power("JC-009")),
        legal_basis_change: basis_change(),
        effective_time: None,
        backdate_reason: String::new(),
    };
    let p1 = c.create_power(preq.clone()).await.unwrap().into_inner();
    let p2 = c
        .create_power(preq)
        .await
        .expect("retry of create power")
        .into_inner();
    assert_eq!(p1, p2);

    // IssueCredential: a retry is not a taken number
    let ireq = IssueCredentialRequest {
        request_id: rid(),
        credential: Some(Credential {
            number: "HLJ-0010".into(),
            holder: o1.name.clone(),
            issuing_authority: "尚志市人民政府".into(),
            valid_from: Some(ts(since())),
            valid_until: Some(ts(Utc::now() + Duration::days(365))),
            ..Default::default()
        }),
        backdate_reason: crate::fixtures::LATE.into(),
    };
    let i1 = c.issue_credential(ireq.clone()).await.unwrap().into_inner();
    let i2 = c
        .issue_credential(ireq)
        .await
        .expect("retry of issue")
        .into_inner();
    assert_eq!(i1, i2);

    // SetOfficerStatus: a retry is not NO_CHANGE
    let sreq = SetOfficerStatusRequest {
        request_id: rid(),
        officer: w.b.name.clone(),
        status: OfficerStatus::OffPostTraining as i32,
        reason: "培训".into(),
        effective_time: None,
    };
    let s1 = c
        .set_officer_status(sreq.clone())
        .await
        .unwrap()
        .into_inner();
    let s2 = c
        .set_officer_status(sreq)
        .await
        .expect("retry of status")
        .into_inner();
    assert_eq!(s1, s2);

    // WithholdCredential and RevokeCredential: one event each
    let wreq = WithholdCredentialRequest {
        request_id: rid(),
        name: w.cred_a.name.clone(),
        until: Some(ts(Utc::now() + Duration::days(5))),
        reason: "暂扣".into(),
    };
    let w1 = c
        .withhold_credential(wreq.clone())
        .await
        .unwrap()
        .into_inner();
    let w2 = c
        .withhold_credential(wreq)
        .await
        .expect("retry of withhold")
        .into_inner();
    assert_eq!(w1, w2);
    let rreq = RevokeCredentialRequest {
        request_id: rid(),
        name: w.cred_a.name.clone(),
        reason: "缴销".into(),
    };
    let r1 = c
        .revoke_credential(rreq.clone())
        .await
        .unwrap()
        .into_inner();
    let h = head(&s).await;
    let r2 = c
        .revoke_credential(rreq)
        .await
        .expect("retry of revoke is not CREDENTIAL_REVOKED")
        .into_inner();
    assert_eq!(r1, r2);
    assert_eq!(head(&s).await, h);
    let got = c
        .get_credential(GetCredentialRequest {
            name: w.cred_a.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let kinds: Vec<&str> = got.history.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, vec!["ISSUED", "WITHHELD", "REVOKED"]);
    let officers = c
        .list_officers(ListOfficersRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(officers.officers.len(), 4);
    let hist = c
        .get_officer_history(GetOfficerHistoryRequest {
            officer: w.b.name.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(hist.len(), 2);
    s.stop().await;
});

db_test!(
    reused_request_id_with_another_payload_is_refused,
    |b| async move {
        let s = TestServer::start(b).await;
        let mut c = s.legal().await;
        let id = rid();
        let gov = c
            .create_body(body_req(&id, "尚志市人民政府", ""))
            .await
            .unwrap()
            .into_inner();
        let h = head(&s).await;
        expect_err(
            c.create_body(body_req(&id, "另一个政府", "")).await,
            Code::FailedPrecondition,
            "REQUEST_ID_REUSED",
        );
        // the same id on another method
        expect_err(
            c.create_unit(CreateUnitRequest {
                request_id: id.clone(),
                parent: gov.name.clone(),
                unit: Some(Unit {
                    display_name: "科".into(),
                    ..Default::default()
                }),
            })
            .await,
            Code::FailedPrecondition,
            "REQUEST_ID_REUSED",
        );
        assert_eq!(head(&s).await, h);
        let all = c
            .list_bodies(ListBodiesRequest::default())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(all.bodies, vec![gov]);
        s.stop().await;
    }
);

db_test!(
    a_failed_call_does_not_use_up_its_request_id,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut c = s.legal().await;
        let id = rid();
        let mut req = CreateOfficerRequest {
            request_id: id.clone(),
            officer: Some(Officer {
                display_name: "赵六".into(),
                kind: OfficerKind::Officer as i32,
                body: w.dept.name.clone(),
                national_id: nid(1),
                ..Default::default()
            }),
            effective_time: None,
            backdate_reason: String::new(),
        };
        expect_err(
            c.create_officer(req.clone()).await,
            Code::AlreadyExists,
            "OFFICER_EXISTS",
        );
        req.officer.as_mut().unwrap().national_id = nid(11);
        let o = c
            .create_officer(req)
            .await
            .expect("the id is still free")
            .into_inner();
        assert_eq!(o.display_name, "赵六");
        s.stop().await;
    }
);

db_test!(request_id_must_be_a_uuid_and_is_optional, |b| async move {
    let s = TestServer::start(b).await;
    let mut c = s.legal().await;
    expect_invalid(
        c.create_body(body_req("not-a-uuid", "尚志市人民政府", ""))
            .await,
        &["request_id"],
    );
    // without one, every call is a new change
    let a = c
        .create_body(body_req("", "尚志市人民政府", ""))
        .await
        .unwrap()
        .into_inner();
    let b2 = c
        .create_body(body_req("", "尚志市人民政府", ""))
        .await
        .unwrap()
        .into_inner();
    assert_ne!(a.name, b2.name);
    s.stop().await;
});

db_test!(concurrent_copies_make_exactly_one, |b| async move {
    let s = TestServer::start(b).await;
    let gov = body(&s, "尚志市人民政府", BodyKind::Government, "").await;
    let c = s.legal().await;
    let id = rid();
    let calls = (0..50).map(|_| {
        let mut c = c.clone();
        let req = body_req(&id, "尚志市市场监督管理局", &gov.name);
        tokio::spawn(async move { c.create_body(req).await.map(|r| r.into_inner()) })
    });
    let results = futures::future::join_all(calls).await;
    let bodies: Vec<Body> = results
        .into_iter()
        .map(|r| r.expect("task").expect("every copy succeeds"))
        .collect();
    assert_eq!(bodies.len(), 50);
    assert!(
        bodies.iter().all(|b| *b == bodies[0]),
        "every copy got the same response"
    );
    let mut c = c.clone();
    let kids = c
        .list_bodies(ListBodiesRequest {
            parent: gov.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(kids.bodies, vec![bodies[0].clone()]);
    assert_eq!(count_method(&s, "/CreateBody").await, 2);
    let v = verify_chain(&s).await;
    assert!(v.ok, "{v:?}");
    s.stop().await;
});

db_test!(concurrent_distinct_writes_keep_the_chain, |b| async move {
    let s = TestServer::start(b).await;
    let gov = body(&s, "尚志市人民政府", BodyKind::Government, "").await;
    let base = head(&s).await;
    let c = s.legal().await;
    let calls = (0..30).map(|i| {
        let mut c = c.clone();
        let req = body_req(&rid(), &format!("部门{i}"), &gov.name);
        tokio::spawn(async move { c.create_body(req).await.map(|r| r.into_inner()) })
    });
    let results = futures::future::join_all(calls).await;
    for r in results {
        r.expect("task").expect("write");
    }
    let v = verify_chain(&s).await;
    assert!(v.ok, "{v:?}");
    assert_eq!(v.head_sequence, base + 30);
    assert_eq!(v.entries_checked, base + 30);
    let seqs: Vec<i64> = audit_entries(&s).await.iter().map(|e| e.sequence).collect();
    assert_eq!(seqs, (1..=base + 30).collect::<Vec<_>>(), "no gaps");
    s.stop().await;
});

db_test!(
    request_ids_are_forgotten_after_their_retention,
    |b| async move {
        use sea_orm::ConnectionTrait;
        let s = TestServer::start(b).await;
        let mut c = s.legal().await;
        let req = |rid: &str, name: &str| CreateBodyRequest {
            request_id: rid.into(),
            body: Some(Body {
                display_name: name.into(),
                kind: BodyKind::Government as i32,
                region_code: "230183".into(),
                ..Default::default()
            }),
        };
        let (old_rid, fresh_rid) = (rid(), rid());
        let old = c
            .create_body(req(&old_rid, "甲"))
            .await
            .unwrap()
            .into_inner();
        let fresh = c
            .create_body(req(&fresh_rid, "乙"))
            .await
            .unwrap()
            .into_inner();
        // Age the first record past the retention (168 h by default).
        let db = s.raw_db().await;
        let eight_days_ago = (Utc::now() - chrono::Duration::days(8)).timestamp_micros();
        db.execute_raw(sea_orm::Statement::from_sql_and_values(
        db.get_database_backend(),
        "UPDATE registry_idempotency SET at_us = $1 WHERE at_us = (SELECT MIN(at_us) FROM registry_idempotency)",
        vec![eight_days_ago.into()],
    ))
    .await
    .unwrap();
        // A second process on the same database forgets it when it starts.
        let (url, dir) = (s.db_url.clone(), s.settings.database.data_dir.clone());
        let replica = TestServer::start_with(crate::harness::Backend::Sqlite, move |st| {
            st.database.url = url;
            st.database.data_dir = dir;
        })
        .await;
        let mut r = replica.legal().await;
        let again = r
            .create_body(req(&old_rid, "甲"))
            .await
            .unwrap()
            .into_inner();
        assert_ne!(
            again.name, old.name,
            "past its retention the id is a new request"
        );
        let replayed = r
            .create_body(req(&fresh_rid, "乙"))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(replayed, fresh, "within its retention the id still replays");
        replica.stop().await;
        s.stop().await;
    }
);
