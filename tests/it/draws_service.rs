//! The draws service over gRPC (issue 18): a whole draw from the unit's
//! lists to the public record that `probity draw verify` accepts, and each
//! door a unit would try to steer its draw through, tried as it would.
use chrono::{Duration, Utc};
use probity_common::auth::Role;
use probity_draws::lists::sha256;
use probity_proto::{
    draws::v1::{
        draws_service_client::DrawsServiceClient,
        public_draws_service_client::PublicDrawsServiceClient, *,
    },
    registry::v1::{Body, OfficerKind, Power},
};
use tonic::{Code, service::interceptor::InterceptedService, transport::Channel};

use crate::{
    db_test,
    draws::{code, verify_cli},
    fixtures::*,
    harness::{Bearer, TestServer},
    util::{expect_err, expect_invalid},
};

type Client = DrawsServiceClient<InterceptedService<Channel, Bearer>>;

async fn client(s: &TestServer, role: Role, body: Option<&str>) -> Client {
    DrawsServiceClient::with_interceptor(s.channel().await, Bearer::new(&s.token(role, body)))
}

pub(crate) async fn unit(s: &TestServer, body: &Body) -> Client {
    client(s, Role::Department, Some(&body.name)).await
}

pub(crate) async fn office(s: &TestServer) -> Client {
    client(s, Role::LegalOffice, None).await
}

pub(crate) const SEED: &[u8] = b"the unit's secret seed, kept until the reveal";

pub(crate) fn commitment(seed: &[u8]) -> String {
    hex::encode(sha256(seed))
}

/// The world's department with two more qualified officers (four in the
/// pool), one without a credential and the auxiliary (neither drawn).
pub(crate) struct Drawn {
    pub(crate) w: World,
    pub(crate) pool: Vec<String>,
    uncredentialed: String,
}

pub(crate) async fn setup(s: &TestServer) -> Drawn {
    let w = world(s).await;
    let since = since();
    let until = Utc::now() + Duration::days(3 * 365);
    let mut pool = vec![w.a.name.clone(), w.b.name.clone()];
    for (i, name) in ["赵六", "孙七"].into_iter().enumerate() {
        let o = officer(
            s,
            &w.dept,
            name,
            OfficerKind::Officer,
            vec![w.post.name.clone()],
            10 + i as u32,
            since,
        )
        .await;
        credential(s, &o, &format!("HLJ-01{i}"), since, until).await;
        pool.push(o.name);
    }
    let none = officer(
        s,
        &w.dept,
        "周八",
        OfficerKind::Officer,
        vec![w.post.name.clone()],
        20,
        since,
    )
    .await;
    pool.sort();
    let mut c = unit(s, &w.dept).await;
    c.update_target_list(list_request(&w.dept, 12))
        .await
        .expect("list");
    c.set_draw_plan(plan_request(&w.dept, &w.inspection))
        .await
        .expect("plan");
    Drawn {
        w,
        pool,
        uncredentialed: none.name,
    }
}

fn list_request(body: &Body, n: u32) -> UpdateTargetListRequest {
    UpdateTargetListRequest {
        target_list: Some(TargetList {
            name: format!("{}/targetList", body.name),
            targets: (0..n)
                .map(|i| ListedTarget {
                    code: code(i),
                    risk: [RiskClass::A, RiskClass::C, RiskClass::Unspecified][i as usize % 3]
                        as i32,
                })
                .collect(),
            ..Default::default()
        }),
        request_id: rid(),
    }
}

pub(crate) fn plan_request(body: &Body, power: &Power) -> SetDrawPlanRequest {
    SetDrawPlanRequest {
        draw_plan: Some(DrawPlan {
            unit: body.name.clone(),
            power: power.name.clone(),
            year: year(),
            ratio_a: 5_000,
            ratio_b: 3_000,
            ratio_c: 2_500,
            ratio_d: 1_000,
            ratio_unclassified: 2_500,
            inspectors_per_target: 2,
            drawn_share: 8_000,
            max_inspections_per_target: 2,
            public_value_source: "福彩3D, the draw of the day after the commitment".into(),
            ..Default::default()
        }),
        request_id: rid(),
        correction_reason: String::new(),
    }
}

pub(crate) fn year() -> i32 {
    use chrono::Datelike;
    Utc::now().year()
}

fn create_request(
    body: &Body,
    power: &Power,
    conflicts: Vec<DeclaredConflict>,
) -> CreateDrawRequest {
    CreateDrawRequest {
        draw: Some(Draw {
            unit: body.name.clone(),
            power: power.name.clone(),
            year: year(),
            commitment: commitment(SEED),
            conflicts,
            window_end_time: Some(ts(Utc::now() + Duration::days(30))),
            ..Default::default()
        }),
        request_id: rid(),
    }
}

pub(crate) fn public_value(name: &str) -> RecordPublicValueRequest {
    RecordPublicValueRequest {
        name: name.into(),
        public_value: "2026-12-08 福彩3D 4 1 7".into(),
        source: "中国福利彩票 3D, 2026-12-08".into(),
        request_id: rid(),
    }
}

pub(crate) fn reveal(name: &str, seed: &[u8]) -> RevealDrawRequest {
    RevealDrawRequest {
        name: name.into(),
        seed: hex::encode(seed),
        request_id: rid(),
    }
}

/// A draw committed, its public value recorded by the office and revealed.
pub(crate) async fn full_draw(s: &TestServer, d: &Drawn, conflicts: Vec<DeclaredConflict>) -> Draw {
    let mut u = unit(s, &d.w.dept).await;
    let made = u
        .create_draw(create_request(&d.w.dept, &d.w.inspection, conflicts))
        .await
        .expect("commit")
        .into_inner();
    office(s)
        .await
        .record_public_value(public_value(&made.name))
        .await
        .expect("public value");
    u.reveal_draw(reveal(&made.name, SEED))
        .await
        .expect("reveal")
        .into_inner()
}

db_test!(a_draw_is_public_and_verifies_offline, |b| async move {
    let s = TestServer::start(b).await;
    let d = setup(&s).await;
    let mut u = unit(&s, &d.w.dept).await;
    let conflict = DeclaredConflict {
        officer: d.w.a.name.clone(),
        target: code(0),
    };
    let made = u
        .create_draw(create_request(&d.w.dept, &d.w.inspection, vec![conflict]))
        .await
        .expect("commit")
        .into_inner();
    assert_eq!(made.state, DrawState::Committed as i32);
    assert_eq!(made.target_list_revision, 1);
    // The pool is the registry's: qualified officers only; the auxiliary
    // and the officer without a credential are not in it.
    let record: serde_json::Value = serde_json::from_str(&made.record_json).unwrap();
    let inspectors: Vec<String> = serde_json::from_value(record["inspectors"].clone()).unwrap();
    assert_eq!(inspectors, d.pool);
    assert!(!inspectors.contains(&d.w.aux.name));
    assert!(!inspectors.contains(&d.uncredentialed));
    assert_eq!(record["seed"], "", "nothing revealed at the commitment");
    // Published from the commitment on, to anyone.
    let mut public = PublicDrawsServiceClient::new(s.channel().await);
    let seen = public
        .get_draw(GetDrawRequest {
            name: made.name.clone(),
        })
        .await
        .expect("public get")
        .into_inner();
    assert_eq!(seen.targets_digest, made.targets_digest);

    let pv = office(&s)
        .await
        .record_public_value(public_value(&made.name))
        .await
        .expect("public value")
        .into_inner();
    assert_eq!(pv.state, DrawState::PublicValueRecorded as i32);
    let request = reveal(&made.name, SEED);
    let drawn = u
        .reveal_draw(request.clone())
        .await
        .expect("reveal")
        .into_inner();
    assert_eq!(drawn.state, DrawState::Drawn as i32);
    assert_eq!(drawn.seed, hex::encode(SEED));
    // 12 targets: 4 A at 50% -> 2, 4 C at 25% -> 1, 4 unclassified at 25% -> 1
    assert_eq!(drawn.result.len(), 4, "{:?}", drawn.result);
    for a in &drawn.result {
        assert_eq!(a.officers.len(), 2, "{a:?}");
        assert!(a.officers.iter().all(|o| d.pool.contains(o)));
        if a.target == code(0) {
            assert!(!a.officers.contains(&d.w.a.name), "the declared conflict");
        }
    }
    // the same request again answers as the first, drawing nothing anew
    let again = u.reveal_draw(request).await.expect("retry").into_inner();
    assert_eq!(again, drawn);

    // The public record, checked offline by the real binary.
    let published = public
        .get_draw(GetDrawRequest {
            name: made.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let record: serde_json::Value = serde_json::from_str(&published.record_json).unwrap();
    let (status, out) = verify_cli(&record).await;
    assert_eq!(status, 0, "{out}");
    assert!(out.starts_with("matches: 4 targets drawn of 12"), "{out}");
    let mut forged = record.clone();
    forged["result"][0]["inspectors"][0] = serde_json::json!(d.uncredentialed);
    let (status, out) = verify_cli(&forged).await;
    assert_eq!(status, 1, "{out}");
    assert!(out.contains("result[0].inspectors"), "{out}");

    let listed = public
        .list_draws(ListDrawsRequest {
            parent: "bodies/-".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.draws.len(), 1);
    assert!(
        listed.draws[0].record_json.is_empty(),
        "GetDraw has the record"
    );

    // Every step is in the draws service's audit chain.
    let mut aud = s.audit(&s.token(Role::Auditor, None)).await;
    let entries = aud
        .list_audit_entries(probity_proto::audit::v1::ListAuditEntriesRequest {
            service: "draws".into(),
            entity: made.name.clone(),
            page_size: 100,
            ..Default::default()
        })
        .await
        .expect("audit")
        .into_inner()
        .entries;
    let methods: Vec<&str> = entries.iter().map(|e| e.method.as_str()).collect();
    assert_eq!(
        methods,
        [
            "/probity.draws.v1.DrawsService/CreateDraw",
            "/probity.draws.v1.DrawsService/RecordPublicValue",
            "/probity.draws.v1.DrawsService/RevealDraw",
        ]
    );
    s.stop().await;
});

db_test!(a_unit_draws_and_reads_for_itself_only, |b| async move {
    let s = TestServer::start(b).await;
    let d = setup(&s).await;
    let w = &d.w;
    // another department, and the government above the unit
    for body in [&w.other, &w.gov] {
        let mut c = unit(&s, body).await;
        expect_err(
            c.update_target_list(list_request(&w.dept, 3)).await,
            Code::PermissionDenied,
            "OWN_UNIT_ONLY",
        );
        expect_err(
            c.get_target_list(GetTargetListRequest {
                name: format!("{}/targetList", w.dept.name),
                revision: 0,
            })
            .await,
            Code::PermissionDenied,
            "OWN_UNIT_ONLY",
        );
        expect_err(
            c.set_draw_plan(plan_request(&w.dept, &w.inspection)).await,
            Code::PermissionDenied,
            "OWN_UNIT_ONLY",
        );
        expect_err(
            c.create_draw(create_request(&w.dept, &w.inspection, vec![]))
                .await,
            Code::PermissionDenied,
            "OWN_UNIT_ONLY",
        );
    }
    // its own list, with its history
    let mut u = unit(&s, &w.dept).await;
    u.update_target_list(list_request(&w.dept, 15))
        .await
        .unwrap();
    let first = u
        .get_target_list(GetTargetListRequest {
            name: format!("{}/targetList", w.dept.name),
            revision: 1,
        })
        .await
        .unwrap()
        .into_inner();
    let now = u
        .get_target_list(GetTargetListRequest {
            name: format!("{}/targetList", w.dept.name),
            revision: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (first.targets.len(), now.revision, now.targets.len()),
        (12, 2, 15)
    );
    // a draw of the unit is not the other department's to read, nor to abandon
    let made = u
        .create_draw(create_request(&w.dept, &w.inspection, vec![]))
        .await
        .unwrap()
        .into_inner();
    let mut other = unit(&s, &w.other).await;
    assert_eq!(
        other
            .get_draw(GetDrawRequest {
                name: made.name.clone()
            })
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    expect_err(
        other
            .abandon_draw(AbandonDrawRequest {
                name: made.name.clone(),
                reason: "spare it".into(),
                request_id: rid(),
            })
            .await,
        Code::PermissionDenied,
        "OWN_UNIT_ONLY",
    );
    // listing bodies/- as a department lists its own draws only
    let mine = other
        .list_draws(ListDrawsRequest {
            parent: "bodies/-".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(mine.draws.is_empty());
    // bad input: every bad field named
    expect_invalid(
        u.create_draw(CreateDrawRequest {
            draw: Some(Draw {
                unit: w.dept.name.clone(),
                power: w.inspection.name.clone(),
                year: 1999,
                commitment: "ABC".into(),
                conflicts: (0..21)
                    .map(|i| DeclaredConflict {
                        officer: w.a.name.clone(),
                        target: code(i),
                    })
                    .collect(),
                window_end_time: Some(ts(Utc::now() - Duration::days(1))),
                ..Default::default()
            }),
            request_id: "not-a-uuid".into(),
        })
        .await,
        &[
            "draw.commitment",
            "draw.conflicts",
            "draw.window_end_time",
            "draw.year",
            "request_id",
        ],
    );
    s.stop().await;
});

db_test!(the_unit_cannot_steer_its_draw, |b| async move {
    let s = TestServer::start(b).await;
    let d = setup(&s).await;
    let w = &d.w;
    let mut u = unit(&s, &w.dept).await;
    let made = u
        .create_draw(create_request(&w.dept, &w.inspection, vec![]))
        .await
        .unwrap()
        .into_inner();
    // A second commitment while one is open: it would keep the one it likes.
    expect_err(
        u.create_draw(create_request(&w.dept, &w.inspection, vec![]))
            .await,
        Code::FailedPrecondition,
        "DRAW_OPEN",
    );
    // The unit records no public value of its own.
    expect_err(
        u.record_public_value(public_value(&made.name)).await,
        Code::PermissionDenied,
        "ROLE_NOT_ALLOWED",
    );
    // A seed revealed before the public value would let its recorder choose.
    expect_err(
        u.reveal_draw(reveal(&made.name, SEED)).await,
        Code::FailedPrecondition,
        "DRAW_WRONG_STATE",
    );
    office(&s)
        .await
        .record_public_value(public_value(&made.name))
        .await
        .unwrap();
    // A second public value, once the first is known: refused.
    expect_err(
        office(&s)
            .await
            .record_public_value(RecordPublicValueRequest {
                public_value: "another".into(),
                ..public_value(&made.name)
            })
            .await,
        Code::FailedPrecondition,
        "DRAW_WRONG_STATE",
    );
    // Knowing the outcome, the unit would abandon a draw it dislikes.
    expect_err(
        u.abandon_draw(AbandonDrawRequest {
            name: made.name.clone(),
            reason: "the pool changed".into(),
            request_id: rid(),
        })
        .await,
        Code::PermissionDenied,
        "DRAW_OUTCOME_KNOWN",
    );
    // Another seed than the one committed to.
    expect_err(
        u.reveal_draw(reveal(&made.name, b"a seed that draws better"))
            .await,
        Code::FailedPrecondition,
        "REVEAL_MISMATCH",
    );
    let first = u
        .reveal_draw(reveal(&made.name, SEED))
        .await
        .unwrap()
        .into_inner();
    // Drawn once: not re-run, and its plan no longer the unit's to loosen.
    expect_err(
        u.reveal_draw(reveal(&made.name, SEED)).await,
        Code::FailedPrecondition,
        "DRAW_WRONG_STATE",
    );
    expect_err(
        u.abandon_draw(AbandonDrawRequest {
            name: made.name.clone(),
            reason: "redo".into(),
            request_id: rid(),
        })
        .await,
        Code::FailedPrecondition,
        "DRAW_WRONG_STATE",
    );
    let mut looser = plan_request(&w.dept, &w.inspection);
    looser.draw_plan.as_mut().unwrap().drawn_share = 0;
    looser.correction_reason = "fewer draws".into();
    expect_err(
        u.set_draw_plan(looser.clone()).await,
        Code::FailedPrecondition,
        "DRAW_PLAN_IN_USE",
    );
    let revised = office(&s)
        .await
        .set_draw_plan(looser)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(revised.revision, 2);

    // The next draw's previous pairs are the service's record of this one,
    // and no officer goes to the same target twice in a row.
    let second = full_draw(&s, &d, vec![]).await;
    let record: probity_draws::DrawRecord = serde_json::from_str(&second.record_json).unwrap();
    let mut expected: Vec<(String, String)> = first
        .result
        .iter()
        .flat_map(|a| a.officers.iter().map(|o| (a.target.clone(), o.clone())))
        .collect();
    let mut got: Vec<(String, String)> = record
        .previous
        .iter()
        .map(|p| (p.target.clone(), p.officer.clone()))
        .collect();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
    for a in &second.result {
        for o in &a.officers {
            assert!(!expected.contains(&(a.target.clone(), o.clone())), "{a:?}");
        }
    }
    assert!(probity_draws::verify(&record).is_empty());

    // Conflicts are fixed with the commitment: a conflict naming someone
    // outside the pool, or a target not listed, is refused; nothing later
    // adds one (RevealDraw takes none).
    expect_invalid(
        u.create_draw(create_request(
            &w.dept,
            &w.inspection,
            vec![
                DeclaredConflict {
                    officer: d.uncredentialed.clone(),
                    target: code(1),
                },
                DeclaredConflict {
                    officer: w.b.name.clone(),
                    target: code(500),
                },
            ],
        ))
        .await,
        &["draw.conflicts[0].officer", "draw.conflicts[1].target"],
    );

    // The office that commits does not record the public value too.
    let mut o = office(&s).await;
    let by_office = o
        .create_draw(create_request(&w.dept, &w.inspection, vec![]))
        .await
        .unwrap()
        .into_inner();
    expect_err(
        o.record_public_value(public_value(&by_office.name)).await,
        Code::PermissionDenied,
        "PUBLIC_VALUE_SAME_PARTY",
    );
    // Abandoned before its public value, it stays public.
    let gone = u
        .abandon_draw(AbandonDrawRequest {
            name: by_office.name.clone(),
            reason: "committed by mistake".into(),
            request_id: rid(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(gone.state, DrawState::Abandoned as i32);
    let seen = PublicDrawsServiceClient::new(s.channel().await)
        .get_draw(GetDrawRequest {
            name: by_office.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(seen.state, DrawState::Abandoned as i32);
    assert_eq!(seen.abandon_reason, "committed by mistake");
    s.stop().await;
});
