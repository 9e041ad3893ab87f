//! Officers and auxiliary staff: creation, national ID handling, transfers,
//! status changes and the order of history.
use chrono::{Duration, Utc};
use probity_proto::registry::v1::*;
use sea_orm::{ConnectionTrait, Statement};
use tonic::Code;

use crate::{db_test, fixtures::*, harness::TestServer, util::*};

fn officer_names(o: &[Officer]) -> Vec<String> {
    let mut v: Vec<String> = o.iter().map(|o| o.name.clone()).collect();
    v.sort();
    v
}

async fn new_post(c: &mut Reg, body: &Body, name: &str) -> Post {
    c.create_post(CreatePostRequest {
        request_id: rid(),
        parent: body.name.clone(),
        post: Some(Post {
            display_name: name.into(),
            responsibilities: format!("{name}职责"),
            ..Default::default()
        }),
    })
    .await
    .expect("post")
    .into_inner()
}

fn new_officer(body: &Body, name: &str, nid_value: String) -> CreateOfficerRequest {
    CreateOfficerRequest {
        request_id: rid(),
        officer: Some(Officer {
            display_name: name.into(),
            kind: OfficerKind::Officer as i32,
            body: body.name.clone(),
            national_id: nid_value,
            ..Default::default()
        }),
        effective_time: None,
        backdate_reason: String::new(),
    }
}

db_test!(create_get_list_find_officers, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    assert!(w.a.name.starts_with("officers/"), "{:?}", w.a);
    assert_eq!(w.a.display_name, "张三明");
    assert_eq!(w.a.kind, OfficerKind::Officer as i32);
    assert_eq!(w.a.body, w.dept.name);
    assert_eq!(w.a.posts, vec![w.post.name.clone()]);
    assert_eq!(w.a.status, OfficerStatus::Active as i32);
    assert_eq!(w.a.national_id, "", "never returned");
    assert!(w.a.create_time.is_some());
    assert_eq!(w.aux.kind, OfficerKind::Auxiliary as i32);

    let got = c
        .get_officer(GetOfficerRequest {
            name: w.a.name.clone(),
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!(got, w.a);

    let all = c
        .list_officers(ListOfficersRequest::default())
        .await
        .expect("list")
        .into_inner();
    assert_eq!(
        officer_names(&all.officers),
        officer_names(&[w.a.clone(), w.b.clone(), w.aux.clone()])
    );
    assert!(all.officers.iter().all(|o| o.national_id.is_empty()));
    let list = |r: ListOfficersRequest| {
        let mut c = c.clone();
        async move {
            officer_names(
                &c.list_officers(r)
                    .await
                    .expect("list officers")
                    .into_inner()
                    .officers,
            )
        }
    };
    assert_eq!(
        list(ListOfficersRequest {
            kind: OfficerKind::Auxiliary as i32,
            ..Default::default()
        })
        .await,
        vec![w.aux.name.clone()]
    );
    assert!(
        list(ListOfficersRequest {
            body: w.other.name.clone(),
            ..Default::default()
        })
        .await
        .is_empty()
    );
    assert_eq!(
        list(ListOfficersRequest {
            body: w.dept.name.clone(),
            status: OfficerStatus::Active as i32,
            kind: OfficerKind::Officer as i32,
            ..Default::default()
        })
        .await,
        officer_names(&[w.a.clone(), w.b.clone()])
    );
    assert!(
        list(ListOfficersRequest {
            status: OfficerStatus::Disqualified as i32,
            ..Default::default()
        })
        .await
        .is_empty()
    );

    // lookup by national ID: trimmed, and nothing else identifies the person
    let found = c
        .find_officer_by_national_id(FindOfficerByNationalIdRequest {
            national_id: format!(" {} ", nid(2)),
        })
        .await
        .expect("find")
        .into_inner();
    assert_eq!(found, w.b);
    assert_eq!(found.national_id, "");
    expect_err(
        c.find_officer_by_national_id(FindOfficerByNationalIdRequest {
            national_id: nid(99),
        })
        .await,
        Code::NotFound,
        "NOT_FOUND",
    );
    expect_invalid(
        c.find_officer_by_national_id(FindOfficerByNationalIdRequest {
            national_id: "12345".into(),
        })
        .await,
        &["national_id"],
    );
    // a wrong check digit
    let mut wrong = nid(1).into_bytes();
    wrong[17] = if wrong[17] == b'0' { b'1' } else { b'0' };
    expect_invalid(
        c.find_officer_by_national_id(FindOfficerByNationalIdRequest {
            national_id: String::from_utf8(wrong).unwrap(),
        })
        .await,
        &["national_id"],
    );
    expect_err(
        c.get_officer(GetOfficerRequest {
            name: "officers/nosuchofficer".into(),
        })
        .await,
        Code::NotFound,
        "NOT_FOUND",
    );
    s.stop().await;
});

db_test!(duplicate_national_id_is_refused, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    // the same person registered again, even in another body
    expect_err(
        c.create_officer(new_officer(&w.other, "张三明", nid(1)))
            .await,
        Code::AlreadyExists,
        "OFFICER_EXISTS",
    );
    // the standard's example number, then the same with a lower-case x
    c.create_officer(new_officer(&w.other, "赵六", "11010519491231002X".into()))
        .await
        .expect("first registration");
    expect_err(
        c.create_officer(new_officer(&w.dept, "赵六", "11010519491231002x".into()))
            .await,
        Code::AlreadyExists,
        "OFFICER_EXISTS",
    );
    let found = c
        .find_officer_by_national_id(FindOfficerByNationalIdRequest {
            national_id: "11010519491231002x".into(),
        })
        .await
        .expect("found by lower-case x")
        .into_inner();
    assert_eq!(found.body, w.other.name);
    let all = c
        .list_officers(ListOfficersRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.officers.len(), 4);
    s.stop().await;
});

db_test!(
    national_id_is_never_stored_or_logged_in_clear,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let ids = [nid(1), nid(2), nid(3)];
        for e in audit_entries(&s).await {
            for id in &ids {
                assert!(
                    !e.change.contains(id.as_str()) && !e.entity.contains(id.as_str()),
                    "national ID in audit entry {e:?}"
                );
            }
        }
        let mut c = s.legal().await;
        let hist = c
            .get_officer_history(GetOfficerHistoryRequest {
                officer: w.a.name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(!format!("{hist:?}").contains(ids[0].as_str()));
        // the database holds only a keyed hash
        let db = s.raw_db().await;
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT national_id_hmac FROM registry_officers",
            ))
            .await
            .expect("query officers");
        assert_eq!(rows.len(), 3);
        for r in rows {
            let h: String = r.try_get("", "national_id_hmac").unwrap();
            assert_eq!(h.len(), 64, "{h}");
            assert!(ids.iter().all(|id| !h.contains(id.as_str())));
        }
        s.stop().await;
    }
);

db_test!(transfer_keeps_history, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    let other_post = new_post(&mut c, &w.other, "环境执法岗").await;
    let moved = c
        .transfer_officer(TransferOfficerRequest {
            request_id: rid(),
            officer: w.a.name.clone(),
            to_body: w.other.name.clone(),
            posts: vec![other_post.name.clone()],
            reason: "工作调动".into(),
            effective_time: None,
        })
        .await
        .expect("transfer")
        .into_inner();
    assert_eq!(moved.name, w.a.name);
    assert_eq!(moved.body, w.other.name);
    assert_eq!(moved.posts, vec![other_post.name.clone()]);
    assert_eq!(moved.status, OfficerStatus::Active as i32);
    let got = c
        .get_officer(GetOfficerRequest {
            name: w.a.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got, moved);

    let h = c
        .get_officer_history(GetOfficerHistoryRequest {
            officer: w.a.name.clone(),
        })
        .await
        .expect("history")
        .into_inner()
        .events;
    let kinds: Vec<&str> = h.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, vec!["CREATED", "TRANSFERRED"]);
    assert_eq!(h[0].from_body, "");
    assert_eq!(h[0].to_body, w.dept.name);
    assert_eq!(h[0].posts, vec![w.post.name.clone()]);
    assert!(near(&h[0].effective_time, since()));
    assert_eq!(h[1].from_body, w.dept.name);
    assert_eq!(h[1].to_body, w.other.name);
    assert_eq!(h[1].posts, vec![other_post.name.clone()]);
    assert_eq!(h[1].reason, "工作调动");
    assert_eq!(h[1].actor, "test-legal_office");
    assert_eq!(h[1].from_status, OfficerStatus::Active as i32);
    assert_eq!(h[1].to_status, OfficerStatus::Active as i32);
    assert!(h[1].time.is_some());

    // the credential follows the person
    let cred = c
        .get_credential(GetCredentialRequest {
            name: w.cred_a.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cred.holder, w.a.name);
    let in_other = c
        .list_credentials(ListCredentialsRequest {
            body: w.other.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(in_other.credentials.len(), 1);
    assert_eq!(in_other.credentials[0].name, w.cred_a.name);

    // the old body could use them before the transfer, not after
    let before = check(
        &s,
        &w.dept.name,
        &w.penalty.name,
        Utc::now() - Duration::days(1),
        &[&w.a],
        1,
    )
    .await;
    assert!(qualified(&before, &w.a.name), "{before:?}");
    let after = check(&s, &w.dept.name, &w.penalty.name, Utc::now(), &[&w.a], 1).await;
    assert_eq!(
        problems(&after, &w.a.name),
        vec![ActorProblem::OtherBody, ActorProblem::NoPostWithPower]
    );

    expect_err(
        c.transfer_officer(TransferOfficerRequest {
            request_id: rid(),
            officer: w.a.name.clone(),
            to_body: w.other.name.clone(),
            posts: vec![],
            reason: "再调".into(),
            effective_time: None,
        })
        .await,
        Code::FailedPrecondition,
        "SAME_BODY",
    );
    // posts must belong to the new body
    expect_invalid(
        c.transfer_officer(TransferOfficerRequest {
            request_id: rid(),
            officer: w.b.name.clone(),
            to_body: w.other.name.clone(),
            posts: vec![w.post.name.clone()],
            reason: "调动".into(),
            effective_time: None,
        })
        .await,
        &["posts[0]"],
    );
    expect_err(
        c.transfer_officer(TransferOfficerRequest {
            request_id: rid(),
            officer: w.b.name.clone(),
            to_body: "bodies/nosuchbody".into(),
            posts: vec![],
            reason: "调动".into(),
            effective_time: None,
        })
        .await,
        Code::NotFound,
        "NOT_FOUND",
    );
    expect_err(
        c.transfer_officer(TransferOfficerRequest {
            request_id: rid(),
            officer: w.b.name.clone(),
            to_body: w.other.name.clone(),
            posts: vec![format!("{}/posts/nosuchpost", w.other.name)],
            reason: "调动".into(),
            effective_time: None,
        })
        .await,
        Code::NotFound,
        "NOT_FOUND",
    );
    s.stop().await;
});

db_test!(status_changes_and_disqualified_is_final, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    let set = |st: OfficerStatus| {
        let mut c = c.clone();
        let name = w.a.name.clone();
        async move {
            c.set_officer_status(SetOfficerStatusRequest {
                request_id: rid(),
                officer: name,
                status: st as i32,
                reason: format!("改为{}", st.as_str_name()),
                effective_time: None,
            })
            .await
        }
    };
    let o = set(OfficerStatus::OffPostTraining)
        .await
        .expect("training")
        .into_inner();
    assert_eq!(o.status, OfficerStatus::OffPostTraining as i32);
    expect_err(
        set(OfficerStatus::OffPostTraining).await,
        Code::FailedPrecondition,
        "NO_CHANGE",
    );
    let o = set(OfficerStatus::Active)
        .await
        .expect("active")
        .into_inner();
    assert_eq!(o.status, OfficerStatus::Active as i32);
    let o = set(OfficerStatus::TransferredOut)
        .await
        .expect("transferred out")
        .into_inner();
    assert_eq!(o.status, OfficerStatus::TransferredOut as i32);
    let o = set(OfficerStatus::Disqualified)
        .await
        .expect("disqualified")
        .into_inner();
    assert_eq!(o.status, OfficerStatus::Disqualified as i32);
    for st in [
        OfficerStatus::Active,
        OfficerStatus::OffPostTraining,
        OfficerStatus::Disqualified,
    ] {
        expect_err(
            set(st).await,
            Code::FailedPrecondition,
            "OFFICER_DISQUALIFIED",
        );
    }
    // no new credential for a disqualified officer
    expect_err(
        c.issue_credential(IssueCredentialRequest {
            request_id: rid(),
            credential: Some(Credential {
                number: "HLJ-0100".into(),
                holder: w.a.name.clone(),
                issuing_authority: "尚志市人民政府".into(),
                valid_from: Some(ts(Utc::now() + Duration::days(4 * 365))),
                valid_until: Some(ts(Utc::now() + Duration::days(5 * 365))),
                ..Default::default()
            }),
            backdate_reason: String::new(),
        })
        .await,
        Code::FailedPrecondition,
        "OFFICER_DISQUALIFIED",
    );
    let h = c
        .get_officer_history(GetOfficerHistoryRequest {
            officer: w.a.name.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    let moves: Vec<(String, i32, i32)> = h
        .iter()
        .map(|e| (e.kind.clone(), e.from_status, e.to_status))
        .collect();
    use OfficerStatus::*;
    assert_eq!(
        moves,
        vec![
            ("CREATED".into(), 0, Active as i32),
            (
                "STATUS_CHANGED".into(),
                Active as i32,
                OffPostTraining as i32
            ),
            (
                "STATUS_CHANGED".into(),
                OffPostTraining as i32,
                Active as i32
            ),
            (
                "STATUS_CHANGED".into(),
                Active as i32,
                TransferredOut as i32
            ),
            (
                "STATUS_CHANGED".into(),
                TransferredOut as i32,
                Disqualified as i32
            ),
        ]
    );
    assert_eq!(h[4].reason, "改为OFFICER_STATUS_DISQUALIFIED");
    let dq = c
        .list_officers(ListOfficersRequest {
            status: Disqualified as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(officer_names(&dq.officers), vec![w.a.name.clone()]);
    // a disqualified officer cannot act from then on
    let r = check(&s, &w.dept.name, &w.penalty.name, Utc::now(), &[&w.a], 1).await;
    assert_eq!(problems(&r, &w.a.name), vec![ActorProblem::NotActive]);
    s.stop().await;
});

db_test!(history_is_appended_in_order, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    let at = |days: i64| Some(ts(Utc::now() - Duration::days(days)));
    c.set_officer_status(SetOfficerStatusRequest {
        request_id: rid(),
        officer: w.a.name.clone(),
        status: OfficerStatus::OffPostTraining as i32,
        reason: "离岗培训".into(),
        effective_time: at(10),
    })
    .await
    .expect("training from ten days ago");
    // anything effective before that is refused
    expect_err(
        c.set_officer_status(SetOfficerStatusRequest {
            request_id: rid(),
            officer: w.a.name.clone(),
            status: OfficerStatus::Active as i32,
            reason: "倒签".into(),
            effective_time: at(20),
        })
        .await,
        Code::FailedPrecondition,
        "HISTORY_OUT_OF_ORDER",
    );
    let post2 = new_post(&mut c, &w.dept, "二号岗").await;
    expect_err(
        c.set_officer_posts(SetOfficerPostsRequest {
            request_id: rid(),
            officer: w.a.name.clone(),
            posts: vec![post2.name.clone()],
            reason: "倒签".into(),
            effective_time: at(20),
        })
        .await,
        Code::FailedPrecondition,
        "HISTORY_OUT_OF_ORDER",
    );
    expect_err(
        c.transfer_officer(TransferOfficerRequest {
            request_id: rid(),
            officer: w.a.name.clone(),
            to_body: w.other.name.clone(),
            posts: vec![],
            reason: "倒签".into(),
            effective_time: at(20),
        })
        .await,
        Code::FailedPrecondition,
        "HISTORY_OUT_OF_ORDER",
    );
    // the future is refused outright
    expect_invalid(
        c.set_officer_status(SetOfficerStatusRequest {
            request_id: rid(),
            officer: w.a.name.clone(),
            status: OfficerStatus::Active as i32,
            reason: "未来".into(),
            effective_time: Some(ts(Utc::now() + Duration::days(1))),
        })
        .await,
        &["effective_time"],
    );
    c.set_officer_status(SetOfficerStatusRequest {
        request_id: rid(),
        officer: w.a.name.clone(),
        status: OfficerStatus::Active as i32,
        reason: "培训结束".into(),
        effective_time: at(5),
    })
    .await
    .expect("back five days ago");
    // the history is read at each instant
    let during = check(
        &s,
        &w.dept.name,
        &w.penalty.name,
        Utc::now() - Duration::days(7),
        &[&w.a],
        1,
    )
    .await;
    assert_eq!(problems(&during, &w.a.name), vec![ActorProblem::NotActive]);
    let before = check(
        &s,
        &w.dept.name,
        &w.penalty.name,
        Utc::now() - Duration::days(12),
        &[&w.a],
        1,
    )
    .await;
    assert!(qualified(&before, &w.a.name), "{before:?}");
    let now = check(&s, &w.dept.name, &w.penalty.name, Utc::now(), &[&w.a], 1).await;
    assert!(qualified(&now, &w.a.name), "{now:?}");
    let h = c
        .get_officer_history(GetOfficerHistoryRequest {
            officer: w.a.name.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(h.len(), 3, "refused changes left no trace: {h:?}");
    s.stop().await;
});

db_test!(set_officer_posts, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    let post2 = new_post(&mut c, &w.dept, "二号岗").await;
    let o = c
        .set_officer_posts(SetOfficerPostsRequest {
            request_id: rid(),
            officer: w.a.name.clone(),
            posts: vec![post2.name.clone()],
            reason: "轮岗".into(),
            effective_time: None,
        })
        .await
        .expect("set posts")
        .into_inner();
    assert_eq!(o.posts, vec![post2.name.clone()]);
    let h = c
        .get_officer_history(GetOfficerHistoryRequest {
            officer: w.a.name.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(h.last().unwrap().kind, "POSTS_CHANGED");
    assert_eq!(h.last().unwrap().posts, vec![post2.name.clone()]);
    assert_eq!(h.last().unwrap().reason, "轮岗");
    // the new post holds no power: no longer able to act, but could before
    let now = check(&s, &w.dept.name, &w.penalty.name, Utc::now(), &[&w.a], 1).await;
    assert_eq!(
        problems(&now, &w.a.name),
        vec![ActorProblem::NoPostWithPower]
    );
    let before = check(
        &s,
        &w.dept.name,
        &w.penalty.name,
        Utc::now() - Duration::days(1),
        &[&w.a],
        1,
    )
    .await;
    assert!(qualified(&before, &w.a.name));

    expect_err(
        c.set_officer_posts(SetOfficerPostsRequest {
            request_id: rid(),
            officer: w.a.name.clone(),
            posts: vec![post2.name.clone()],
            reason: "再次".into(),
            effective_time: None,
        })
        .await,
        Code::FailedPrecondition,
        "NO_CHANGE",
    );
    let foreign = new_post(&mut c, &w.other, "外单位岗").await;
    expect_invalid(
        c.set_officer_posts(SetOfficerPostsRequest {
            request_id: rid(),
            officer: w.a.name.clone(),
            posts: vec![foreign.name.clone()],
            reason: "x".into(),
            effective_time: None,
        })
        .await,
        &["posts[0]"],
    );
    expect_err(
        c.set_officer_posts(SetOfficerPostsRequest {
            request_id: rid(),
            officer: w.a.name.clone(),
            posts: vec![format!("{}/posts/nosuchpost", w.dept.name)],
            reason: "x".into(),
            effective_time: None,
        })
        .await,
        Code::NotFound,
        "NOT_FOUND",
    );
    expect_err(
        c.set_officer_posts(SetOfficerPostsRequest {
            request_id: rid(),
            officer: "officers/nosuchofficer".into(),
            posts: vec![],
            reason: "x".into(),
            effective_time: None,
        })
        .await,
        Code::NotFound,
        "NOT_FOUND",
    );
    let none = c
        .set_officer_posts(SetOfficerPostsRequest {
            request_id: rid(),
            officer: w.a.name.clone(),
            posts: vec![],
            reason: "撤岗".into(),
            effective_time: None,
        })
        .await
        .expect("no posts")
        .into_inner();
    assert!(none.posts.is_empty());
    s.stop().await;
});

db_test!(create_officer_with_posts_checks_them, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    // a post of another body
    let mut r = new_officer(&w.dept, "钱七", nid(20));
    r.officer.as_mut().unwrap().posts = vec![format!("{}/posts/x", w.other.name)];
    expect_invalid(c.create_officer(r).await, &["officer.posts[0]"]);
    // an unknown post of the right body
    let mut r = new_officer(&w.dept, "钱七", nid(20));
    r.officer.as_mut().unwrap().posts = vec![format!("{}/posts/nosuchpost", w.dept.name)];
    expect_err(c.create_officer(r).await, Code::NotFound, "NOT_FOUND");
    // an unknown body
    let r = new_officer(
        &Body {
            name: "bodies/nosuchbody".into(),
            ..Default::default()
        },
        "钱七",
        nid(20),
    );
    expect_err(c.create_officer(r).await, Code::NotFound, "NOT_FOUND");
    // the failures did not reserve the number
    let ok = c
        .create_officer(new_officer(&w.dept, "钱七", nid(20)))
        .await
        .expect("create")
        .into_inner();
    assert!(ok.posts.is_empty());
    assert_eq!(ok.status, OfficerStatus::Active as i32);
    s.stop().await;
});

// A change dated a moment ahead (within the minute tolerated) must not make
// the next undated change refused as out of order: undated means now, and
// now is never before the last recorded change (a sanction would be lost).
db_test!(an_undated_change_follows_one_dated_ahead, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    c.set_officer_status(SetOfficerStatusRequest {
        request_id: rid(),
        officer: w.a.name.clone(),
        status: OfficerStatus::OffPostTraining as i32,
        reason: "离岗培训".into(),
        effective_time: Some(ts(Utc::now() + Duration::seconds(50))),
    })
    .await
    .expect("dated 50 s ahead");
    let o = c
        .set_officer_status(SetOfficerStatusRequest {
            request_id: rid(),
            officer: w.a.name.clone(),
            status: OfficerStatus::TransferredOut as i32,
            reason: "调离执法岗位".into(),
            effective_time: None,
        })
        .await
        .expect("undated: takes effect now, after the change before it")
        .into_inner();
    assert_eq!(o.status, OfficerStatus::TransferredOut as i32);
    // a change dated before the last one is still refused
    expect_err(
        c.set_officer_status(SetOfficerStatusRequest {
            request_id: rid(),
            officer: w.a.name.clone(),
            status: OfficerStatus::Active as i32,
            reason: "倒签".into(),
            effective_time: Some(ts(Utc::now() - Duration::seconds(5))),
        })
        .await,
        Code::FailedPrecondition,
        "HISTORY_OUT_OF_ORDER",
    );
    s.stop().await;
});
