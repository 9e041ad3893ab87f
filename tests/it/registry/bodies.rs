//! Bodies, units and posts: success paths, lookups and their failures.
use probity_proto::registry::v1::*;
use tonic::Code;

use crate::{db_test, fixtures::*, harness::TestServer, util::*};

fn names(b: &[Body]) -> Vec<String> {
    let mut v: Vec<String> = b.iter().map(|b| b.name.clone()).collect();
    v.sort();
    v
}

db_test!(create_get_list_bodies, |b| async move {
    let s = TestServer::start(b).await;
    let mut c = s.legal().await;
    let gov = body(&s, "尚志市人民政府", BodyKind::Government, "").await;
    assert!(gov.name.starts_with("bodies/"), "{gov:?}");
    assert_eq!(gov.kind, BodyKind::Government as i32);
    assert_eq!(gov.parent, "");
    assert_eq!(gov.region_code, "230183");
    assert!(gov.create_time.is_some());

    let dept = c
        .create_body(CreateBodyRequest {
            request_id: rid(),
            body: Some(Body {
                display_name: "  尚志市市场监督管理局  ".into(),
                kind: BodyKind::Department as i32,
                parent: gov.name.clone(),
                region_code: "230183".into(),
                vertically_managed: true,
                ..Default::default()
            }),
        })
        .await
        .expect("department")
        .into_inner();
    assert_eq!(dept.display_name, "尚志市市场监督管理局", "trimmed");
    assert_eq!(dept.parent, gov.name);
    assert!(dept.vertically_managed);

    let emp = body(
        &s,
        "尚志市综合行政执法大队",
        BodyKind::EmpoweredOrganization,
        &gov.name,
    )
    .await;
    let ent = c
        .create_body(CreateBodyRequest {
            request_id: rid(),
            body: Some(Body {
                display_name: "某街道办事处".into(),
                kind: BodyKind::EntrustedOrganization as i32,
                parent: dept.name.clone(),
                entrusted_by: dept.name.clone(),
                region_code: "230183".into(),
                ..Default::default()
            }),
        })
        .await
        .expect("entrusted organization")
        .into_inner();
    assert_eq!(ent.entrusted_by, dept.name);
    assert_eq!(ent.kind, BodyKind::EntrustedOrganization as i32);

    let got = c
        .get_body(GetBodyRequest {
            name: dept.name.clone(),
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!(got, dept);

    let all = c
        .list_bodies(ListBodiesRequest::default())
        .await
        .expect("list")
        .into_inner();
    assert_eq!(
        names(&all.bodies),
        names(&[gov.clone(), dept.clone(), emp.clone(), ent.clone()])
    );
    assert_eq!(all.next_page_token, "");

    let children = c
        .list_bodies(ListBodiesRequest {
            parent: gov.name.clone(),
            ..Default::default()
        })
        .await
        .expect("children")
        .into_inner();
    assert_eq!(
        names(&children.bodies),
        names(&[dept.clone(), emp.clone()]),
        "direct children only"
    );

    let entrusted = c
        .list_bodies(ListBodiesRequest {
            kind: BodyKind::EntrustedOrganization as i32,
            ..Default::default()
        })
        .await
        .expect("by kind")
        .into_inner();
    assert_eq!(names(&entrusted.bodies), vec![ent.name.clone()]);

    let both = c
        .list_bodies(ListBodiesRequest {
            parent: gov.name.clone(),
            kind: BodyKind::Department as i32,
            ..Default::default()
        })
        .await
        .expect("parent and kind")
        .into_inner();
    assert_eq!(names(&both.bodies), vec![dept.name.clone()]);
    s.stop().await;
});

db_test!(body_lookups_fail_cleanly, |b| async move {
    let s = TestServer::start(b).await;
    let mut c = s.legal().await;
    let gov = body(&s, "尚志市人民政府", BodyKind::Government, "").await;
    let missing = "bodies/0000000000000000000000000000dead".to_string();
    expect_err(
        c.get_body(GetBodyRequest {
            name: missing.clone(),
        })
        .await,
        Code::NotFound,
        "NOT_FOUND",
    );
    expect_invalid(
        c.get_body(GetBodyRequest {
            name: "units/x".into(),
        })
        .await,
        &["name"],
    );
    // unknown parent and unknown entrusting body
    expect_err(
        c.create_body(CreateBodyRequest {
            request_id: rid(),
            body: Some(Body {
                display_name: "某局".into(),
                kind: BodyKind::Department as i32,
                parent: missing.clone(),
                region_code: "230183".into(),
                ..Default::default()
            }),
        })
        .await,
        Code::NotFound,
        "NOT_FOUND",
    );
    expect_err(
        c.create_body(CreateBodyRequest {
            request_id: rid(),
            body: Some(Body {
                display_name: "某组织".into(),
                kind: BodyKind::EntrustedOrganization as i32,
                parent: gov.name.clone(),
                entrusted_by: missing.clone(),
                region_code: "230183".into(),
                ..Default::default()
            }),
        })
        .await,
        Code::NotFound,
        "NOT_FOUND",
    );
    // nothing was created by the failures
    let all = c
        .list_bodies(ListBodiesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.bodies.len(), 1);
    expect_err(
        c.list_units(ListUnitsRequest {
            parent: missing.clone(),
            ..Default::default()
        })
        .await,
        Code::NotFound,
        "NOT_FOUND",
    );
    expect_err(
        c.list_posts(ListPostsRequest {
            parent: missing.clone(),
            ..Default::default()
        })
        .await,
        Code::NotFound,
        "NOT_FOUND",
    );
    s.stop().await;
});

db_test!(units_and_posts, |b| async move {
    let s = TestServer::start(b).await;
    let mut c = s.legal().await;
    let gov = body(&s, "尚志市人民政府", BodyKind::Government, "").await;
    let dept = body(&s, "尚志市市场监督管理局", BodyKind::Department, &gov.name).await;
    let other = body(&s, "尚志市生态环境局", BodyKind::Department, &gov.name).await;

    let unit = c
        .create_unit(CreateUnitRequest {
            request_id: rid(),
            parent: dept.name.clone(),
            unit: Some(Unit {
                display_name: " 执法一科 ".into(),
                ..Default::default()
            }),
        })
        .await
        .expect("unit")
        .into_inner();
    assert!(
        unit.name.starts_with(&format!("{}/units/", dept.name)),
        "{unit:?}"
    );
    assert_eq!(unit.display_name, "执法一科");
    assert!(unit.create_time.is_some());
    let units = c
        .list_units(ListUnitsRequest {
            parent: dept.name.clone(),
            ..Default::default()
        })
        .await
        .expect("list units")
        .into_inner();
    assert_eq!(units.units, vec![unit.clone()]);
    let none = c
        .list_units(ListUnitsRequest {
            parent: other.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(none.units.is_empty());

    let post = c
        .create_post(CreatePostRequest {
            request_id: rid(),
            parent: dept.name.clone(),
            post: Some(Post {
                display_name: "执法一科科员".into(),
                unit: unit.name.clone(),
                responsibilities: "负责辖区市场监管执法".into(),
                ..Default::default()
            }),
        })
        .await
        .expect("post")
        .into_inner();
    assert!(post.name.starts_with(&format!("{}/posts/", dept.name)));
    assert_eq!(post.unit, unit.name);
    assert_eq!(post.responsibilities, "负责辖区市场监管执法");
    assert!(post.powers.is_empty());
    let got = c
        .get_post(GetPostRequest {
            name: post.name.clone(),
        })
        .await
        .expect("get post")
        .into_inner();
    assert_eq!(got, post);
    let posts = c
        .list_posts(ListPostsRequest {
            parent: dept.name.clone(),
            ..Default::default()
        })
        .await
        .expect("list posts")
        .into_inner();
    assert_eq!(posts.posts, vec![post.clone()]);

    // a post without a unit
    let plain = c
        .create_post(CreatePostRequest {
            request_id: rid(),
            parent: dept.name.clone(),
            post: Some(Post {
                display_name: "法制审核岗".into(),
                responsibilities: "法制审核".into(),
                ..Default::default()
            }),
        })
        .await
        .expect("post without unit")
        .into_inner();
    assert_eq!(plain.unit, "");

    // a unit of another body
    expect_invalid(
        c.create_post(CreatePostRequest {
            request_id: rid(),
            parent: other.name.clone(),
            post: Some(Post {
                display_name: "x".into(),
                unit: unit.name.clone(),
                responsibilities: "x".into(),
                ..Default::default()
            }),
        })
        .await,
        &["post.unit"],
    );
    // a well-formed unit of the same body that does not exist
    expect_err(
        c.create_post(CreatePostRequest {
            request_id: rid(),
            parent: dept.name.clone(),
            post: Some(Post {
                display_name: "x".into(),
                unit: format!("{}/units/nosuchunit", dept.name),
                responsibilities: "x".into(),
                ..Default::default()
            }),
        })
        .await,
        Code::NotFound,
        "NOT_FOUND",
    );
    // a post looked up under the wrong body
    let id = post.name.rsplit('/').next().unwrap();
    expect_err(
        c.get_post(GetPostRequest {
            name: format!("{}/posts/{id}", other.name),
        })
        .await,
        Code::NotFound,
        "NOT_FOUND",
    );
    expect_invalid(
        c.get_post(GetPostRequest {
            name: "posts/x".into(),
        })
        .await,
        &["name"],
    );
    s.stop().await;
});
