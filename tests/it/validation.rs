//! Every validation rule: INVALID_ARGUMENT with one BadRequest naming every
//! bad field at once. Nothing is written by a refused request.
use chrono::{Duration, Utc};
use probity_proto::registry::v1::*;

use crate::{db_test, fixtures::*, harness::TestServer, util::*};

fn future() -> Option<prost_types::Timestamp> {
    Some(ts(Utc::now() + Duration::days(2)))
}

/// A well-formed request to add `p` to `dept`'s list now.
fn power_now(dept: &Body, p: Power) -> CreatePowerRequest {
    CreatePowerRequest {
        request_id: rid(),
        parent: dept.name.clone(),
        power: Some(p),
        legal_basis_change: basis_change(),
        effective_time: None,
        backdate_reason: String::new(),
    }
}

fn bad_ts() -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp {
        seconds: 0,
        nanos: -1,
    })
}

db_test!(create_body_rules, |b| async move {
    let s = TestServer::start(b).await;
    let gov = body(&s, "尚志市人民政府", BodyKind::Government, "").await;
    let mut c = s.legal().await;
    let h = head(&s).await;
    let req = |body: Option<Body>| CreateBodyRequest {
        request_id: rid(),
        body,
    };
    expect_invalid(c.create_body(req(None)).await, &["body"]);
    expect_invalid(
        c.create_body(CreateBodyRequest {
            request_id: "not-a-uuid".into(),
            body: Some(Body {
                display_name: " ".into(),
                kind: 0,
                parent: "nope".into(),
                region_code: "12".into(),
                ..Default::default()
            }),
        })
        .await,
        &[
            "request_id",
            "body.display_name",
            "body.kind",
            "body.parent",
            "body.region_code",
        ],
    );
    expect_invalid(
        c.create_body(req(Some(Body {
            display_name: "x".repeat(201),
            kind: 99,
            region_code: "23018A".into(),
            entrusted_by: "bodies/".into(),
            ..Default::default()
        })))
        .await,
        &[
            "body.display_name",
            "body.kind",
            "body.region_code",
            "body.entrusted_by",
        ],
    );
    // a department needs a parent
    expect_invalid(
        c.create_body(req(Some(Body {
            display_name: "某局".into(),
            kind: BodyKind::Department as i32,
            region_code: "230183".into(),
            ..Default::default()
        })))
        .await,
        &["body.parent"],
    );
    // an entrusted organization names who entrusted it; nobody else does
    expect_invalid(
        c.create_body(req(Some(Body {
            display_name: "某组织".into(),
            kind: BodyKind::EntrustedOrganization as i32,
            parent: gov.name.clone(),
            region_code: "230183".into(),
            ..Default::default()
        })))
        .await,
        &["body.entrusted_by"],
    );
    expect_invalid(
        c.create_body(req(Some(Body {
            display_name: "某局".into(),
            kind: BodyKind::Department as i32,
            parent: gov.name.clone(),
            entrusted_by: gov.name.clone(),
            region_code: "230183".into(),
            ..Default::default()
        })))
        .await,
        &["body.entrusted_by"],
    );
    // control: 200 characters is fine
    c.create_body(req(Some(Body {
        display_name: "局".repeat(200),
        kind: BodyKind::Department as i32,
        parent: gov.name.clone(),
        region_code: "230183".into(),
        ..Default::default()
    })))
    .await
    .expect("200 characters");
    assert_eq!(head(&s).await, h + 1, "only the valid request wrote");
    s.stop().await;
});

db_test!(unit_and_post_rules, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    let h = head(&s).await;
    expect_invalid(
        c.create_unit(CreateUnitRequest {
            request_id: rid(),
            parent: "nope".into(),
            unit: None,
        })
        .await,
        &["parent", "unit"],
    );
    expect_invalid(
        c.create_unit(CreateUnitRequest {
            request_id: "x".into(),
            parent: w.dept.name.clone(),
            unit: Some(Unit {
                display_name: "x".repeat(201),
                ..Default::default()
            }),
        })
        .await,
        &["request_id", "unit.display_name"],
    );
    expect_invalid(
        c.create_post(CreatePostRequest {
            request_id: rid(),
            parent: "".into(),
            post: None,
        })
        .await,
        &["parent", "post"],
    );
    expect_invalid(
        c.create_post(CreatePostRequest {
            request_id: rid(),
            parent: "bodies/x/y".into(),
            post: Some(Post {
                display_name: "".into(),
                unit: "units/x".into(),
                responsibilities: " ".into(),
                powers: vec![w.penalty.name.clone()],
                ..Default::default()
            }),
        })
        .await,
        &[
            "parent",
            "post.display_name",
            "post.responsibilities",
            "post.powers",
            "post.unit",
        ],
    );
    expect_invalid(
        c.create_post(CreatePostRequest {
            request_id: rid(),
            parent: w.dept.name.clone(),
            post: Some(Post {
                display_name: "岗".into(),
                responsibilities: "x".repeat(20_001),
                ..Default::default()
            }),
        })
        .await,
        &["post.responsibilities"],
    );
    expect_invalid(
        c.set_post_powers(SetPostPowersRequest {
            request_id: "x".into(),
            post: "posts/x".into(),
            powers: vec!["junk".into()],
            effective_time: future(),
            backdate_reason: String::new(),
        })
        .await,
        &["request_id", "post", "powers[0]", "effective_time"],
    );
    expect_invalid(
        c.set_post_powers(SetPostPowersRequest {
            request_id: rid(),
            post: w.post.name.clone(),
            powers: vec![
                "junk".into(),
                format!("{}/powers/x", w.other.name),
                w.penalty.name.clone(),
                w.penalty.name.clone(),
            ],
            effective_time: bad_ts(),
            backdate_reason: String::new(),
        })
        .await,
        &["powers[0]", "powers[1]", "powers[3]", "effective_time"],
    );
    // a zero timestamp (1970) and the last moment of the city's 1999
    for t in [
        prost_types::Timestamp::default(),
        prost_types::Timestamp {
            seconds: 946_656_000 - 1,
            nanos: 0,
        },
    ] {
        expect_invalid(
            c.set_post_powers(SetPostPowersRequest {
                request_id: rid(),
                post: w.post.name.clone(),
                powers: vec![w.penalty.name.clone()],
                effective_time: Some(t),
                backdate_reason: crate::fixtures::LATE.into(),
            })
            .await,
            &["effective_time"],
        );
    }
    expect_invalid(
        c.get_post(GetPostRequest { name: "".into() }).await,
        &["name"],
    );
    expect_invalid(
        c.list_posts(ListPostsRequest {
            parent: "x".into(),
            page_size: -1,
            page_token: "garbage".into(),
        })
        .await,
        &["parent", "page_size", "page_token"],
    );
    expect_invalid(
        c.list_units(ListUnitsRequest {
            parent: "x".into(),
            page_size: -5,
            page_token: String::new(),
        })
        .await,
        &["parent", "page_size"],
    );
    assert_eq!(head(&s).await, h);
    s.stop().await;
});

db_test!(power_rules, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    let h = head(&s).await;
    expect_invalid(
        c.create_power(CreatePowerRequest {
            request_id: rid(),
            parent: "x".into(),
            power: None,
            legal_basis_change: basis_change(),
            effective_time: None,
            backdate_reason: String::new(),
        })
        .await,
        &["parent", "power"],
    );
    expect_invalid(
        c.create_power(CreatePowerRequest {
            request_id: "x".into(),
            parent: "nope".into(),
            power: Some(Power {
                code: "bad code!".into(),
                display_name: "".into(),
                category: 0,
                legal_bases: vec![LegalBasis::default()],
                duty: " ".into(),
                flowchart_ref: "x".repeat(501),
                benchmark: benchmark(),
                ..Default::default()
            }),
            legal_basis_change: Some(LegalBasisChange::default()),
            effective_time: future(),
            backdate_reason: String::new(),
        })
        .await,
        &[
            "request_id",
            "parent",
            "power.code",
            "power.category",
            "power.display_name",
            "power.duty",
            "power.flowchart_ref",
            "power.legal_bases[0].law",
            "power.legal_bases[0].article",
            "power.benchmark",
            "effective_time",
            "legal_basis_change.document",
            "legal_basis_change.summary",
        ],
    );
    expect_invalid(
        c.create_power(CreatePowerRequest {
            request_id: rid(),
            parent: w.dept.name.clone(),
            power: Some(Power {
                code: "c".repeat(65),
                display_name: "x".repeat(301),
                category: 42,
                legal_bases: vec![],
                duty: "d".into(),
                ..Default::default()
            }),
            legal_basis_change: basis_change(),
            effective_time: bad_ts(),
            backdate_reason: String::new(),
        })
        .await,
        &[
            "power.code",
            "power.display_name",
            "power.category",
            "power.legal_bases",
            "effective_time",
        ],
    );
    // a second legal basis with its article missing
    let mut p = inspection_power("JC-050");
    p.legal_bases.push(LegalBasis {
        law: "《某条例》".into(),
        article: "".into(),
    });
    expect_invalid(
        c.create_power(power_now(&w.dept, p)).await,
        &["power.legal_bases[1].article"],
    );
    // a law and an article longer than any citation, and a change as long
    let mut p = inspection_power("JC-051");
    p.legal_bases.push(LegalBasis {
        law: "法".repeat(301),
        article: "条".repeat(201),
    });
    let mut r = power_now(&w.dept, p);
    if let Some(b) = r.legal_basis_change.as_mut() {
        b.document = "文".repeat(501);
        b.summary = "要".repeat(2001);
    }
    expect_invalid(
        c.create_power(r).await,
        &[
            "legal_basis_change.document",
            "legal_basis_change.summary",
            "power.legal_bases[1].article",
            "power.legal_bases[1].law",
        ],
    );
    expect_invalid(
        c.revise_power(RevisePowerRequest {
            request_id: "x".into(),
            power: None,
            reason: "".into(),
            effective_time: None,
        })
        .await,
        &["request_id", "power"],
    );
    let mut p = w.penalty.clone();
    p.name = "powers/x".into();
    expect_invalid(
        c.revise_power(RevisePowerRequest {
            request_id: rid(),
            power: Some(p),
            reason: " ".into(),
            effective_time: future(),
        })
        .await,
        &["power.name", "reason", "effective_time"],
    );
    // content rules apply to a revision too
    let mut p = w.inspection.clone();
    p.display_name = "".into();
    p.duty = "".into();
    p.legal_bases.clear();
    p.benchmark = benchmark();
    expect_invalid(
        c.revise_power(RevisePowerRequest {
            request_id: rid(),
            power: Some(p),
            reason: "改".into(),
            effective_time: None,
        })
        .await,
        &[
            "power.display_name",
            "power.duty",
            "power.legal_bases",
            "power.benchmark",
        ],
    );
    expect_invalid(
        c.withdraw_power(WithdrawPowerRequest {
            request_id: "x".into(),
            name: "x".into(),
            legal_basis_change: Some(LegalBasisChange::default()),
            effective_time: future(),
            backdate_reason: String::new(),
        })
        .await,
        &[
            "request_id",
            "name",
            "effective_time",
            "legal_basis_change.document",
            "legal_basis_change.summary",
        ],
    );
    expect_invalid(
        c.get_power(GetPowerRequest {
            name: w.penalty.name.clone(),
            version: -1,
        })
        .await,
        &["version"],
    );
    expect_invalid(
        c.get_power(GetPowerRequest {
            name: "powers/x".into(),
            version: 0,
        })
        .await,
        &["name"],
    );
    expect_invalid(
        c.list_power_versions(ListPowerVersionsRequest {
            name: "".into(),
            ..Default::default()
        })
        .await,
        &["name"],
    );
    expect_invalid(
        c.list_powers(ListPowersRequest {
            parent: "x".into(),
            category: 77,
            page_size: -1,
            ..Default::default()
        })
        .await,
        &["parent", "category", "page_size"],
    );
    expect_invalid(
        c.list_unassigned_powers(ListUnassignedPowersRequest {
            parent: "".into(),
            ..Default::default()
        })
        .await,
        &["parent"],
    );
    assert_eq!(head(&s).await, h);
    s.stop().await;
});

db_test!(officer_rules, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    let h = head(&s).await;
    expect_invalid(
        c.create_officer(CreateOfficerRequest {
            request_id: rid(),
            officer: None,
            effective_time: None,
            backdate_reason: String::new(),
        })
        .await,
        &["officer"],
    );
    expect_invalid(
        c.create_officer(CreateOfficerRequest {
            request_id: "x".into(),
            officer: Some(Officer {
                display_name: "".into(),
                kind: 0,
                body: "x".into(),
                posts: vec!["junk".into()],
                status: OfficerStatus::Active as i32,
                national_id: "123".into(),
                ..Default::default()
            }),
            effective_time: future(),
            backdate_reason: String::new(),
        })
        .await,
        &[
            "request_id",
            "officer.display_name",
            "officer.kind",
            "officer.body",
            "officer.posts[0]",
            "officer.status",
            "officer.national_id",
            "effective_time",
        ],
    );
    expect_invalid(
        c.create_officer(CreateOfficerRequest {
            request_id: rid(),
            officer: Some(Officer {
                display_name: "名".repeat(101),
                kind: 7,
                body: w.dept.name.clone(),
                posts: vec![w.post.name.clone(), w.post.name.clone()],
                national_id: "2301831990000001".into(),
                ..Default::default()
            }),
            effective_time: bad_ts(),
            backdate_reason: String::new(),
        })
        .await,
        &[
            "officer.display_name",
            "officer.kind",
            "officer.posts[1]",
            "officer.national_id",
            "effective_time",
        ],
    );
    expect_invalid(
        c.get_officer(GetOfficerRequest {
            name: "bodies/x".into(),
        })
        .await,
        &["name"],
    );
    expect_invalid(
        c.list_officers(ListOfficersRequest {
            body: "x".into(),
            status: 9,
            kind: 9,
            page_size: -1,
            page_token: "garbage".into(),
        })
        .await,
        &["body", "status", "kind", "page_size", "page_token"],
    );
    expect_invalid(
        c.set_officer_posts(SetOfficerPostsRequest {
            request_id: "x".into(),
            officer: "x".into(),
            posts: vec!["junk".into()],
            reason: "".into(),
            effective_time: future(),
        })
        .await,
        &["request_id", "officer", "posts[0]", "effective_time"],
    );
    expect_invalid(
        c.set_officer_posts(SetOfficerPostsRequest {
            request_id: rid(),
            officer: w.a.name.clone(),
            posts: vec![w.post.name.clone(), w.post.name.clone()],
            reason: "".into(),
            effective_time: None,
        })
        .await,
        &["posts[1]"],
    );
    expect_invalid(
        c.set_officer_status(SetOfficerStatusRequest {
            request_id: "x".into(),
            officer: "x".into(),
            status: 0,
            reason: " ".into(),
            effective_time: future(),
        })
        .await,
        &[
            "request_id",
            "officer",
            "status",
            "reason",
            "effective_time",
        ],
    );
    expect_invalid(
        c.set_officer_status(SetOfficerStatusRequest {
            request_id: rid(),
            officer: w.a.name.clone(),
            status: 99,
            reason: "x".into(),
            effective_time: None,
        })
        .await,
        &["status"],
    );
    expect_invalid(
        c.transfer_officer(TransferOfficerRequest {
            request_id: "x".into(),
            officer: "x".into(),
            to_body: "x".into(),
            posts: vec!["junk".into()],
            reason: "".into(),
            effective_time: future(),
        })
        .await,
        &[
            "request_id",
            "officer",
            "to_body",
            "posts[0]",
            "reason",
            "effective_time",
        ],
    );
    expect_invalid(
        c.get_officer_history(GetOfficerHistoryRequest {
            officer: "x".into(),
        })
        .await,
        &["officer"],
    );
    expect_invalid(
        c.find_officer_by_national_id(FindOfficerByNationalIdRequest {
            national_id: "".into(),
        })
        .await,
        &["national_id"],
    );
    assert_eq!(head(&s).await, h);
    s.stop().await;
});

db_test!(credential_rules, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    let h = head(&s).await;
    expect_invalid(
        c.issue_credential(IssueCredentialRequest {
            request_id: rid(),
            credential: None,
            backdate_reason: String::new(),
        })
        .await,
        &["credential"],
    );
    expect_invalid(
        c.issue_credential(IssueCredentialRequest {
            request_id: "x".into(),
            credential: Some(Credential {
                number: "".into(),
                holder: "x".into(),
                issuing_authority: " ".into(),
                valid_from: None,
                valid_until: None,
                status: CredentialStatus::Valid as i32,
                history: vec![CredentialEvent::default()],
                ..Default::default()
            }),
            backdate_reason: String::new(),
        })
        .await,
        &[
            "request_id",
            "credential.number",
            "credential.holder",
            "credential.issuing_authority",
            "credential.valid_from",
            "credential.valid_until",
            "credential.status",
            "credential.history",
        ],
    );
    let now = Utc::now();
    expect_invalid(
        c.issue_credential(IssueCredentialRequest {
            request_id: rid(),
            credential: Some(Credential {
                number: "HLJ 0001/x".into(),
                holder: w.a.name.clone(),
                issuing_authority: "机关".repeat(151),
                valid_from: Some(ts(now)),
                valid_until: Some(ts(now - Duration::days(1))),
                ..Default::default()
            }),
            backdate_reason: crate::fixtures::LATE.into(),
        })
        .await,
        &[
            "credential.issuing_authority",
            "credential.number",
            "credential.valid_until",
        ],
    );
    expect_invalid(
        c.issue_credential(IssueCredentialRequest {
            request_id: rid(),
            credential: Some(Credential {
                number: "N".repeat(65),
                holder: w.a.name.clone(),
                issuing_authority: "x".into(),
                valid_from: bad_ts(),
                valid_until: Some(prost_types::Timestamp {
                    seconds: i64::MAX,
                    nanos: 0,
                }),
                ..Default::default()
            }),
            backdate_reason: String::new(),
        })
        .await,
        &[
            "credential.number",
            "credential.valid_from",
            "credential.valid_until",
        ],
    );
    // the same instant for both ends
    expect_invalid(
        c.issue_credential(IssueCredentialRequest {
            request_id: rid(),
            credential: Some(Credential {
                number: "HLJ-0200".into(),
                holder: w.a.name.clone(),
                issuing_authority: "x".into(),
                valid_from: Some(ts(now)),
                valid_until: Some(ts(now)),
                ..Default::default()
            }),
            backdate_reason: crate::fixtures::LATE.into(),
        })
        .await,
        &["credential.valid_until"],
    );
    expect_invalid(
        c.withhold_credential(WithholdCredentialRequest {
            request_id: "x".into(),
            name: "x".into(),
            until: bad_ts(),
            reason: "".into(),
        })
        .await,
        &["request_id", "name", "until", "reason"],
    );
    expect_invalid(
        c.release_credential(ReleaseCredentialRequest {
            request_id: "x".into(),
            name: "officers/x".into(),
            reason: "".into(),
        })
        .await,
        &["request_id", "name", "reason"],
    );
    expect_invalid(
        c.revoke_credential(RevokeCredentialRequest {
            request_id: "x".into(),
            name: "".into(),
            reason: " ".into(),
        })
        .await,
        &["request_id", "name", "reason"],
    );
    expect_invalid(
        c.list_credentials(ListCredentialsRequest {
            holder: "x".into(),
            body: "y".into(),
            status: 12,
            page_size: -1,
            page_token: "garbage".into(),
        })
        .await,
        &["holder", "body", "status", "page_size", "page_token"],
    );
    expect_invalid(
        c.get_credential(GetCredentialRequest {
            name: "credentials/".into(),
        })
        .await,
        &["name"],
    );
    assert_eq!(head(&s).await, h);
    s.stop().await;
});

db_test!(check_actors_rules, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    expect_invalid(
        c.check_actors(CheckActorsRequest {
            body: "x".into(),
            power: "powers/x".into(),
            act_time: None,
            officers: vec![],
            min_qualified: -1,
            known_time: None,
        })
        .await,
        &["body", "power", "act_time", "officers", "min_qualified"],
    );
    expect_invalid(
        c.check_actors(CheckActorsRequest {
            body: w.dept.name.clone(),
            power: w.penalty.name.clone(),
            act_time: bad_ts(),
            officers: vec![w.a.name.clone(), w.a.name.clone(), "junk".into()],
            min_qualified: 0,
            known_time: None,
        })
        .await,
        &["act_time", "officers[1]", "officers[2]"],
    );
    let many: Vec<String> = (0..101).map(|i| format!("officers/o{i}")).collect();
    expect_invalid(
        c.check_actors(CheckActorsRequest {
            body: w.dept.name.clone(),
            power: w.penalty.name.clone(),
            act_time: Some(ts(Utc::now())),
            officers: many,
            min_qualified: 0,
            known_time: None,
        })
        .await,
        &["officers"],
    );
    // control: 100 is the limit, and unknown names are answered, not refused
    let hundred: Vec<String> = (0..99)
        .map(|i| format!("officers/o{i}"))
        .chain(std::iter::once(w.a.name.clone()))
        .collect();
    let r = c
        .check_actors(CheckActorsRequest {
            body: w.dept.name.clone(),
            power: w.penalty.name.clone(),
            act_time: Some(ts(Utc::now())),
            officers: hundred,
            min_qualified: 0,
            known_time: None,
        })
        .await
        .expect("100 officers")
        .into_inner();
    assert_eq!(r.actors.len(), 100);
    assert_eq!(r.qualified_count, 1);
    s.stop().await;
});

db_test!(public_rules, |b| async move {
    let s = TestServer::start(b).await;
    let mut p = s.public().await;
    expect_invalid(
        p.verify_credential(VerifyCredentialRequest { number: "".into() })
            .await,
        &["number"],
    );
    expect_invalid(
        p.list_published_powers(ListPublishedPowersRequest {
            body: "x".into(),
            page_size: -1,
            page_token: "garbage".into(),
        })
        .await,
        &["body", "page_size", "page_token"],
    );
    expect_invalid(
        p.list_published_posts(ListPublishedPostsRequest {
            body: "bodies/a/b".into(),
            ..Default::default()
        })
        .await,
        &["body"],
    );
    s.stop().await;
});

db_test!(bodies_listing_rules, |b| async move {
    let s = TestServer::start(b).await;
    let mut c = s.legal().await;
    expect_invalid(
        c.list_bodies(ListBodiesRequest {
            parent: "x".into(),
            kind: 99,
            page_size: -1,
            page_token: "garbage".into(),
        })
        .await,
        &["parent", "kind", "page_size", "page_token"],
    );
    expect_invalid(
        c.get_body(GetBodyRequest {
            name: "bodies/has space".into(),
        })
        .await,
        &["name"],
    );
    s.stop().await;
});

// Lists and texts are bounded before any of their items reach a statement:
// 66,000 posts would have passed every item's check and then overflowed
// PostgreSQL's 65,535 bind parameters (UNAVAILABLE) or SQLite's variables
// (INTERNAL).
db_test!(lists_and_texts_are_bounded, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    let h = head(&s).await;
    let posts: Vec<String> = (0..101)
        .map(|i| format!("{}/posts/p{i}", w.dept.name))
        .collect();
    expect_invalid(
        c.set_officer_posts(SetOfficerPostsRequest {
            request_id: rid(),
            officer: w.a.name.clone(),
            posts: posts.clone(),
            reason: "调岗\0".into(),
            effective_time: None,
        })
        .await,
        &["posts", "reason"],
    );
    expect_invalid(
        c.set_post_powers(SetPostPowersRequest {
            request_id: rid(),
            post: w.post.name.clone(),
            powers: (0..1001)
                .map(|i| format!("{}/powers/x{i}", w.dept.name))
                .collect(),
            effective_time: None,
            backdate_reason: String::new(),
        })
        .await,
        &["powers"],
    );
    let mut p = penalty_power("CF-LONG");
    p.duty = "责".repeat(20_001);
    p.legal_bases = vec![basis()[0].clone(); 101];
    p.benchmark[0].note = "注".repeat(20_001);
    expect_invalid(
        c.create_power(power_now(&w.dept, p)).await,
        &["power.duty", "power.legal_bases", "power.benchmark[0].note"],
    );
    assert_eq!(head(&s).await, h, "refused requests wrote nothing");
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
