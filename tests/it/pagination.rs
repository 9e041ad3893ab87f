//! AIP-158 pagination: page sizes, walking every page without duplicates,
//! tokens bound to their filter.
use chrono::{Duration, Utc};
use probity_proto::{audit::v1::ListAuditEntriesRequest, registry::v1::*};

use crate::{db_test, fixtures::*, harness::TestServer, util::*};

db_test!(bodies_walk_all_pages, |b| async move {
    let s = TestServer::start(b).await;
    let gov = body(&s, "尚志市人民政府", BodyKind::Government, "").await;
    let mut all = vec![gov.name.clone()];
    let mut depts = Vec::new();
    for i in 0..10 {
        let d = body(&s, &format!("部门{i}"), BodyKind::Department, &gov.name).await;
        depts.push(d.name.clone());
        all.push(d.name);
    }
    let c = s.legal().await;
    let pages = walk(|t| {
        let mut c = c.clone();
        async move {
            let r = c
                .list_bodies(ListBodiesRequest {
                    page_size: 3,
                    page_token: t,
                    ..Default::default()
                })
                .await
                .expect("page")
                .into_inner();
            (
                r.bodies.into_iter().map(|b| b.name).collect(),
                r.next_page_token,
            )
        }
    })
    .await;
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![3, 3, 3, 2]
    );
    assert_pages(&pages, 3, &all);

    // with a filter: the token carries it
    let pages = walk(|t| {
        let mut c = c.clone();
        let parent = gov.name.clone();
        async move {
            let r = c
                .list_bodies(ListBodiesRequest {
                    page_size: 4,
                    page_token: t,
                    parent,
                    kind: BodyKind::Department as i32,
                })
                .await
                .expect("page")
                .into_inner();
            (
                r.bodies.into_iter().map(|b| b.name).collect(),
                r.next_page_token,
            )
        }
    })
    .await;
    assert_pages(&pages, 4, &depts);

    // exactly one page's worth: the last token leads to an empty page or none
    let pages = walk(|t| {
        let mut c = c.clone();
        async move {
            let r = c
                .list_bodies(ListBodiesRequest {
                    page_size: 11,
                    page_token: t,
                    ..Default::default()
                })
                .await
                .expect("page")
                .into_inner();
            (
                r.bodies.into_iter().map(|b| b.name).collect(),
                r.next_page_token,
            )
        }
    })
    .await;
    let flat: Vec<String> = pages.concat();
    let mut want = all.clone();
    want.sort();
    let mut flat_sorted = flat.clone();
    flat_sorted.sort();
    assert_eq!(flat_sorted, want);

    // page_size 0 means the default (50): everything at once
    let r = c
        .clone()
        .list_bodies(ListBodiesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.bodies.len(), 11);
    assert_eq!(r.next_page_token, "");
    s.stop().await;
});

db_test!(page_tokens_are_bound_to_their_filter, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    let first = c
        .list_bodies(ListBodiesRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.bodies.len(), 1);
    let token = first.next_page_token.clone();
    assert!(!token.is_empty());
    // same filter: fine, and repeatable
    let a = c
        .list_bodies(ListBodiesRequest {
            page_size: 1,
            page_token: token.clone(),
            ..Default::default()
        })
        .await
        .expect("same filter")
        .into_inner();
    let again = c
        .list_bodies(ListBodiesRequest {
            page_size: 1,
            page_token: token.clone(),
            ..Default::default()
        })
        .await
        .expect("same token twice")
        .into_inner();
    assert_eq!(a, again);
    assert_ne!(a.bodies[0].name, first.bodies[0].name);
    // another filter: refused
    expect_invalid(
        c.list_bodies(ListBodiesRequest {
            page_size: 1,
            page_token: token.clone(),
            kind: BodyKind::Department as i32,
            ..Default::default()
        })
        .await,
        &["page_token"],
    );
    expect_invalid(
        c.list_bodies(ListBodiesRequest {
            page_size: 1,
            page_token: token.clone(),
            parent: w.gov.name.clone(),
            ..Default::default()
        })
        .await,
        &["page_token"],
    );
    // another listing: refused
    expect_invalid(
        c.list_officers(ListOfficersRequest {
            page_size: 1,
            page_token: token.clone(),
            ..Default::default()
        })
        .await,
        &["page_token"],
    );
    let otoken = c
        .list_officers(ListOfficersRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .next_page_token;
    expect_invalid(
        c.list_officers(ListOfficersRequest {
            page_size: 1,
            page_token: otoken.clone(),
            kind: OfficerKind::Auxiliary as i32,
            ..Default::default()
        })
        .await,
        &["page_token"],
    );
    let ptoken = c
        .list_powers(ListPowersRequest {
            parent: w.dept.name.clone(),
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .next_page_token;
    expect_invalid(
        c.list_powers(ListPowersRequest {
            parent: w.dept.name.clone(),
            page_size: 1,
            page_token: ptoken.clone(),
            include_withdrawn: true,
            ..Default::default()
        })
        .await,
        &["page_token"],
    );
    expect_invalid(
        c.list_powers(ListPowersRequest {
            parent: w.other.name.clone(),
            page_size: 1,
            page_token: ptoken,
            ..Default::default()
        })
        .await,
        &["page_token"],
    );
    let ctoken = c
        .list_credentials(ListCredentialsRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .next_page_token;
    expect_invalid(
        c.list_credentials(ListCredentialsRequest {
            page_size: 1,
            page_token: ctoken,
            status: CredentialStatus::Valid as i32,
            ..Default::default()
        })
        .await,
        &["page_token"],
    );
    let mut a = auditor(&s).await;
    let atoken = a
        .list_audit_entries(ListAuditEntriesRequest {
            service: "registry".into(),
            page_size: 2,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .next_page_token;
    expect_invalid(
        a.list_audit_entries(ListAuditEntriesRequest {
            service: "registry".into(),
            page_size: 2,
            page_token: atoken,
            entity: w.a.name.clone(),
            ..Default::default()
        })
        .await,
        &["page_token"],
    );
    let mut p = s.public().await;
    let pubtoken = p
        .list_published_powers(ListPublishedPowersRequest {
            body: w.dept.name.clone(),
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .next_page_token;
    expect_invalid(
        p.list_published_powers(ListPublishedPowersRequest {
            body: w.other.name.clone(),
            page_size: 1,
            page_token: pubtoken,
        })
        .await,
        &["page_token"],
    );
    // garbage and negative sizes
    expect_invalid(
        c.list_bodies(ListBodiesRequest {
            page_token: "garbage!!".into(),
            ..Default::default()
        })
        .await,
        &["page_token"],
    );
    expect_invalid(
        c.list_bodies(ListBodiesRequest {
            page_size: -1,
            ..Default::default()
        })
        .await,
        &["page_size"],
    );
    s.stop().await;
});

db_test!(officers_and_credentials_walk_all_pages, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut officers = vec![w.a.name.clone(), w.b.name.clone(), w.aux.name.clone()];
    let mut officer_kind = vec![w.a.name.clone(), w.b.name.clone()];
    let mut creds = vec![w.cred_a.name.clone(), w.cred_b.name.clone()];
    for i in 0..6u32 {
        let o = officer(
            &s,
            &w.dept,
            &format!("执法员{i}"),
            OfficerKind::Officer,
            vec![],
            100 + i,
            since(),
        )
        .await;
        let cr = credential(
            &s,
            &o,
            &format!("HLJ-1{i:03}"),
            since(),
            Utc::now() + Duration::days(365),
        )
        .await;
        officers.push(o.name.clone());
        officer_kind.push(o.name);
        creds.push(cr.name);
    }
    let c = s.legal().await;
    let pages = walk(|t| {
        let mut c = c.clone();
        async move {
            let r = c
                .list_officers(ListOfficersRequest {
                    page_size: 2,
                    page_token: t,
                    ..Default::default()
                })
                .await
                .expect("page")
                .into_inner();
            (
                r.officers.into_iter().map(|o| o.name).collect(),
                r.next_page_token,
            )
        }
    })
    .await;
    assert_pages(&pages, 2, &officers);
    let pages = walk(|t| {
        let mut c = c.clone();
        let body = w.dept.name.clone();
        async move {
            let r = c
                .list_officers(ListOfficersRequest {
                    page_size: 3,
                    page_token: t,
                    body,
                    kind: OfficerKind::Officer as i32,
                    status: OfficerStatus::Active as i32,
                })
                .await
                .expect("page")
                .into_inner();
            (
                r.officers.into_iter().map(|o| o.name).collect(),
                r.next_page_token,
            )
        }
    })
    .await;
    assert_pages(&pages, 3, &officer_kind);
    let pages = walk(|t| {
        let mut c = c.clone();
        async move {
            let r = c
                .list_credentials(ListCredentialsRequest {
                    page_size: 3,
                    page_token: t,
                    status: CredentialStatus::Valid as i32,
                    ..Default::default()
                })
                .await
                .expect("page")
                .into_inner();
            (
                r.credentials.into_iter().map(|c| c.name).collect(),
                r.next_page_token,
            )
        }
    })
    .await;
    assert_pages(&pages, 3, &creds);
    s.stop().await;
});

db_test!(powers_units_posts_walk_all_pages, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    let mut codes = vec!["CF-001".to_string(), "JC-001".to_string()];
    let mut units = Vec::new();
    let mut posts = vec![w.post.name.clone()];
    for i in 0..5 {
        let code = format!("JC-1{i:02}");
        c.create_power(CreatePowerRequest {
            request_id: rid(),
            parent: w.dept.name.clone(),
            power: Some(inspection_power(&code)),
            legal_basis_change: basis_change(),
            effective_time: None,
            backdate_reason: String::new(),
        })
        .await
        .unwrap();
        codes.push(code);
        let u = c
            .create_unit(CreateUnitRequest {
                request_id: rid(),
                parent: w.dept.name.clone(),
                unit: Some(Unit {
                    display_name: format!("科{i}"),
                    ..Default::default()
                }),
            })
            .await
            .unwrap()
            .into_inner();
        units.push(u.name);
        let p = c
            .create_post(CreatePostRequest {
                request_id: rid(),
                parent: w.dept.name.clone(),
                post: Some(Post {
                    display_name: format!("岗{i}"),
                    responsibilities: "职责".into(),
                    ..Default::default()
                }),
            })
            .await
            .unwrap()
            .into_inner();
        posts.push(p.name);
    }
    let dept = w.dept.name.clone();
    let pages = walk(|t| {
        let mut c = c.clone();
        let parent = dept.clone();
        async move {
            let r = c
                .list_powers(ListPowersRequest {
                    parent,
                    page_size: 2,
                    page_token: t,
                    ..Default::default()
                })
                .await
                .expect("page")
                .into_inner();
            (
                r.powers.into_iter().map(|p| p.code).collect(),
                r.next_page_token,
            )
        }
    })
    .await;
    assert_pages(&pages, 2, &codes);
    let flat = pages.concat();
    let mut by_code = flat.clone();
    by_code.sort();
    assert_eq!(flat, by_code, "powers are listed by code");

    let pages = walk(|t| {
        let mut c = c.clone();
        let parent = dept.clone();
        async move {
            let r = c
                .list_powers(ListPowersRequest {
                    parent,
                    page_size: 4,
                    page_token: t,
                    category: PowerCategory::Inspection as i32,
                    ..Default::default()
                })
                .await
                .expect("page")
                .into_inner();
            (
                r.powers.into_iter().map(|p| p.code).collect(),
                r.next_page_token,
            )
        }
    })
    .await;
    assert_pages(&pages, 4, &codes[1..]);

    let pages = walk(|t| {
        let mut c = c.clone();
        let parent = dept.clone();
        async move {
            let r = c
                .list_units(ListUnitsRequest {
                    parent,
                    page_size: 2,
                    page_token: t,
                })
                .await
                .expect("page")
                .into_inner();
            (
                r.units.into_iter().map(|u| u.name).collect(),
                r.next_page_token,
            )
        }
    })
    .await;
    assert_pages(&pages, 2, &units);
    let pages = walk(|t| {
        let mut c = c.clone();
        let parent = dept.clone();
        async move {
            let r = c
                .list_posts(ListPostsRequest {
                    parent,
                    page_size: 4,
                    page_token: t,
                })
                .await
                .expect("page")
                .into_inner();
            (
                r.posts.into_iter().map(|p| p.name).collect(),
                r.next_page_token,
            )
        }
    })
    .await;
    assert_pages(&pages, 4, &posts);

    // the public list pages the same way, without a token
    let p = s.public().await;
    let pages = walk(|t| {
        let mut p = p.clone();
        let body = dept.clone();
        async move {
            let r = p
                .list_published_powers(ListPublishedPowersRequest {
                    body,
                    page_size: 3,
                    page_token: t,
                })
                .await
                .expect("page")
                .into_inner();
            (
                r.powers.into_iter().map(|p| p.code).collect(),
                r.next_page_token,
            )
        }
    })
    .await;
    assert_pages(&pages, 3, &codes);
    s.stop().await;
});

db_test!(audit_entries_walk_all_pages, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let n = head(&s).await;
    assert!(n >= 10, "{n}");
    let a = auditor(&s).await;
    let pages = walk(|t| {
        let mut a = a.clone();
        async move {
            let r = a
                .list_audit_entries(ListAuditEntriesRequest {
                    service: "registry".into(),
                    page_size: 4,
                    page_token: t,
                    ..Default::default()
                })
                .await
                .expect("page")
                .into_inner();
            (
                r.entries.iter().map(|e| e.sequence.to_string()).collect(),
                r.next_page_token,
            )
        }
    })
    .await;
    let all: Vec<String> = (1..=n).map(|i| i.to_string()).collect();
    assert_pages(&pages, 4, &all);
    let seqs: Vec<i64> = pages.concat().iter().map(|x| x.parse().unwrap()).collect();
    assert_eq!(seqs, (1..=n).collect::<Vec<_>>(), "in sequence order");

    // from a sequence, and about one entity
    let r = a
        .clone()
        .list_audit_entries(ListAuditEntriesRequest {
            service: "registry".into(),
            from_sequence: n - 2,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        r.entries.iter().map(|e| e.sequence).collect::<Vec<_>>(),
        vec![n - 2, n - 1, n]
    );
    let entity = w.cred_a.name.clone();
    let pages = walk(|t| {
        let mut a = a.clone();
        let entity = entity.clone();
        async move {
            let r = a
                .list_audit_entries(ListAuditEntriesRequest {
                    service: "registry".into(),
                    page_size: 1,
                    page_token: t,
                    entity,
                    ..Default::default()
                })
                .await
                .expect("page")
                .into_inner();
            (
                r.entries.iter().map(|e| e.entity.clone()).collect(),
                r.next_page_token,
            )
        }
    })
    .await;
    let flat = pages.concat();
    assert_eq!(flat, vec![entity.clone()], "one entry about the credential");
    s.stop().await;
});

db_test!(histories_and_short_lists_walk_all_pages, |b| async move {
    // Every List pages (AIP-158), the short ones read whole too: revisions,
    // versions, criteria, unassigned powers and the public posts.
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    let mut power = w.penalty.clone();
    let mut extra_posts = Vec::new();
    for i in 0..4 {
        let mut body = w.dept.clone();
        body.display_name = format!("尚志市市场监督管理局{i}");
        c.update_body(UpdateBodyRequest {
            request_id: rid(),
            body: Some(body),
            update_mask: mask(&["display_name"]),
            reason: "更名".into(),
        })
        .await
        .unwrap();
        let mut post = w.post.clone();
        post.display_name = format!("执法岗{i}");
        c.update_post(UpdatePostRequest {
            request_id: rid(),
            post: Some(post),
            update_mask: mask(&["display_name"]),
            reason: "更名".into(),
        })
        .await
        .unwrap();
        power.display_name = format!("行政处罚{i}");
        power = c
            .revise_power(RevisePowerRequest {
                request_id: rid(),
                power: Some(power),
                reason: "上位法修订".into(),
                effective_time: None,
            })
            .await
            .unwrap()
            .into_inner();
        c.set_major_decision_criteria(SetMajorDecisionCriteriaRequest {
            request_id: rid(),
            power: w.penalty.name.clone(),
            criteria: Some(MajorDecisionCriteria {
                fine_at_least_fen: 100_000 * (i + 1),
                ..Default::default()
            }),
            effective_time: None,
            reason: "目录".into(),
        })
        .await
        .unwrap();
        c.create_power(CreatePowerRequest {
            request_id: rid(),
            parent: w.dept.name.clone(),
            power: Some(inspection_power(&format!("JC-2{i:02}"))),
            legal_basis_change: basis_change(),
            effective_time: None,
            backdate_reason: String::new(),
        })
        .await
        .unwrap();
        let p = c
            .create_post(CreatePostRequest {
                request_id: rid(),
                parent: w.dept.name.clone(),
                post: Some(Post {
                    display_name: format!("岗{i}"),
                    responsibilities: "职责".into(),
                    ..Default::default()
                }),
            })
            .await
            .unwrap()
            .into_inner();
        extra_posts.push(p.display_name);
    }
    let numbers = |from: i32, to: i32| (from..=to).map(|n| n.to_string()).collect::<Vec<_>>();

    let name = w.dept.name.clone();
    let pages = walk(|t| {
        let (mut c, name) = (c.clone(), name.clone());
        async move {
            let r = c
                .list_body_revisions(ListBodyRevisionsRequest {
                    name,
                    page_size: 2,
                    page_token: t,
                })
                .await
                .expect("page")
                .into_inner();
            let keys = r.revisions.iter().map(|x| x.revision.to_string()).collect();
            (keys, r.next_page_token)
        }
    })
    .await;
    assert_pages(&pages, 2, &numbers(1, 5));

    let name = w.post.name.clone();
    let pages = walk(|t| {
        let (mut c, name) = (c.clone(), name.clone());
        async move {
            let r = c
                .list_post_revisions(ListPostRevisionsRequest {
                    name,
                    page_size: 2,
                    page_token: t,
                })
                .await
                .expect("page")
                .into_inner();
            let keys = r.revisions.iter().map(|x| x.revision.to_string()).collect();
            (keys, r.next_page_token)
        }
    })
    .await;
    assert_pages(&pages, 2, &numbers(1, 5));

    let name = w.penalty.name.clone();
    let pages = walk(|t| {
        let (mut c, name) = (c.clone(), name.clone());
        async move {
            let r = c
                .list_power_versions(ListPowerVersionsRequest {
                    name,
                    page_size: 2,
                    page_token: t,
                })
                .await
                .expect("page")
                .into_inner();
            let keys = r.versions.iter().map(|x| x.version.to_string()).collect();
            (keys, r.next_page_token)
        }
    })
    .await;
    assert_pages(&pages, 2, &numbers(1, 5));

    let power_name = w.penalty.name.clone();
    let pages = walk(|t| {
        let (mut c, power) = (c.clone(), power_name.clone());
        async move {
            let r = c
                .list_major_decision_criteria(ListMajorDecisionCriteriaRequest {
                    power,
                    page_size: 3,
                    page_token: t,
                })
                .await
                .expect("page")
                .into_inner();
            let keys = r.versions.iter().map(|x| x.version.to_string()).collect();
            (keys, r.next_page_token)
        }
    })
    .await;
    assert_pages(&pages, 3, &numbers(1, 4));

    let parent = w.dept.name.clone();
    let pages = walk(|t| {
        let (mut c, parent) = (c.clone(), parent.clone());
        async move {
            let r = c
                .list_unassigned_powers(ListUnassignedPowersRequest {
                    parent,
                    page_size: 3,
                    page_token: t,
                })
                .await
                .expect("page")
                .into_inner();
            (
                r.powers.into_iter().map(|p| p.code).collect(),
                r.next_page_token,
            )
        }
    })
    .await;
    let codes: Vec<String> = (0..4).map(|i| format!("JC-2{i:02}")).collect();
    assert_pages(&pages, 3, &codes);

    let mut public = s.public().await;
    let body = w.dept.name.clone();
    let pages = walk(|t| {
        let (mut c, body) = (public.clone(), body.clone());
        async move {
            let r = c
                .list_published_posts(ListPublishedPostsRequest {
                    body,
                    page_size: 2,
                    page_token: t,
                })
                .await
                .expect("page")
                .into_inner();
            (
                r.posts.into_iter().map(|p| p.display_name).collect(),
                r.next_page_token,
            )
        }
    })
    .await;
    let mut all = extra_posts.clone();
    all.push("执法岗3".into());
    assert_pages(&pages, 2, &all);

    // A token from one listing is refused by another.
    let r = c
        .list_body_revisions(ListBodyRevisionsRequest {
            name: w.dept.name.clone(),
            page_size: 1,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let e = public
        .list_published_posts(ListPublishedPostsRequest {
            body: w.dept.name.clone(),
            page_size: 1,
            page_token: r.next_page_token,
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&e), vec!["page_token"]);
    s.stop().await;
});
