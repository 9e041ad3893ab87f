//! Corrections to bodies and posts are new revisions; the old ones stay.
use probity_common::auth::Role;
use probity_proto::registry::v1::*;
use tonic::Code;

use crate::{db_test, fixtures::*, harness::TestServer, util::mask};

db_test!(body_revisions_keep_history, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    let renamed = Body {
        name: w.dept.name.clone(),
        display_name: "尚志市市场监管局".into(),
        ..Default::default()
    };
    let req = UpdateBodyRequest {
        request_id: rid(),
        body: Some(renamed.clone()),
        update_mask: mask(&["display_name"]),
        reason: "机构改革更名".into(),
    };
    let out = c.update_body(req.clone()).await.unwrap().into_inner();
    assert_eq!(out.display_name, "尚志市市场监管局");
    assert_eq!(
        out.region_code, w.dept.region_code,
        "fields outside the mask stay"
    );
    assert_eq!(out.kind, w.dept.kind);
    // A retry is the same answer, not a third revision.
    assert_eq!(c.update_body(req).await.unwrap().into_inner(), out);
    let revs = c
        .list_body_revisions(ListBodyRevisionsRequest {
            name: w.dept.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .revisions;
    assert_eq!(
        revs.iter()
            .map(|r| (r.revision, r.display_name.as_str()))
            .collect::<Vec<_>>(),
        vec![(1, "尚志市市场监督管理局"), (2, "尚志市市场监管局")]
    );
    assert_eq!(revs[1].reason, "机构改革更名");
    assert_eq!(
        c.get_body(GetBodyRequest {
            name: w.dept.name.clone()
        })
        .await
        .unwrap()
        .into_inner()
        .display_name,
        "尚志市市场监管局"
    );

    // The same values again change nothing and say so.
    let e = c
        .update_body(UpdateBodyRequest {
            request_id: rid(),
            body: Some(renamed),
            update_mask: mask(&["display_name"]),
            reason: "x".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), reason(&e).as_str()),
        (Code::FailedPrecondition, "NO_CHANGE")
    );

    // Every mistake at once.
    let e = c
        .update_body(UpdateBodyRequest {
            request_id: "nope".into(),
            body: Some(Body {
                name: "bodies/".into(),
                region_code: "12".into(),
                ..Default::default()
            }),
            update_mask: mask(&["region_code", "kind"]),
            reason: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        bad_fields(&e),
        vec![
            "body.name",
            "body.region_code",
            "reason",
            "request_id",
            "update_mask.paths[1]"
        ]
    );

    // Only the legal-affairs office corrects bodies.
    let mut dept = s
        .registry(&s.token(Role::Department, Some(&w.dept.name)))
        .await;
    let e = dept
        .update_body(UpdateBodyRequest {
            request_id: rid(),
            body: Some(Body {
                name: w.dept.name.clone(),
                vertically_managed: true,
                ..Default::default()
            }),
            update_mask: mask(&["vertically_managed"]),
            reason: "x".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    s.stop().await;
});

db_test!(post_revisions_keep_history, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut dept = s
        .registry(&s.token(Role::Department, Some(&w.dept.name)))
        .await;
    let unit = dept
        .create_unit(CreateUnitRequest {
            request_id: rid(),
            parent: w.dept.name.clone(),
            unit: Some(Unit {
                display_name: "执法一科".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    let out = dept
        .update_post(UpdatePostRequest {
            request_id: rid(),
            post: Some(Post {
                name: w.post.name.clone(),
                unit: unit.name.clone(),
                responsibilities: "负责食品安全执法".into(),
                ..Default::default()
            }),
            update_mask: mask(&["unit", "responsibilities"]),
            reason: "职责调整".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(out.unit, unit.name);
    assert_eq!(out.responsibilities, "负责食品安全执法");
    assert_eq!(out.display_name, w.post.display_name);
    assert_eq!(
        out.powers, w.post.powers,
        "the powers it holds are untouched"
    );
    let revs = dept
        .list_post_revisions(ListPostRevisionsRequest {
            name: w.post.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .revisions;
    assert_eq!(revs.len(), 2);
    assert_eq!(revs[0].responsibilities, w.post.responsibilities);
    assert_eq!(revs[1].unit, unit.name);

    // The published responsibilities follow (Art. 7).
    let mut public = s.public().await;
    let posts = public
        .list_published_posts(ListPublishedPostsRequest {
            body: w.dept.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .posts;
    assert_eq!(posts[0].responsibilities, "负责食品安全执法");
    assert_eq!(posts[0].unit_display_name, "执法一科");

    // Another department cannot touch it.
    let mut other = s
        .registry(&s.token(Role::Department, Some(&w.other.name)))
        .await;
    let e = other
        .update_post(UpdatePostRequest {
            request_id: rid(),
            post: Some(Post {
                name: w.post.name.clone(),
                display_name: "x".into(),
                ..Default::default()
            }),
            update_mask: mask(&["display_name"]),
            reason: "x".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), reason(&e).as_str()),
        (Code::PermissionDenied, "OUTSIDE_BODY_SCOPE")
    );
    s.stop().await;
});
