//! The power-and-responsibility list: creation, legal-basis changes,
//! versions, benchmarks, post assignments and withdrawal.
use chrono::{Duration, Utc};
use probity_proto::registry::v1::*;
use tonic::Code;

use crate::{db_test, fixtures::*, harness::TestServer, util::*};

fn codes(p: &[Power]) -> Vec<String> {
    p.iter().map(|p| p.code.clone()).collect()
}

async fn create(c: &mut Reg, parent: &str, p: Power) -> Result<Power, tonic::Status> {
    c.create_power(CreatePowerRequest {
        request_id: rid(),
        parent: parent.into(),
        power: Some(p),
        legal_basis_change: basis_change(),
        effective_time: None,
        backdate_reason: String::new(),
    })
    .await
    .map(|r| r.into_inner())
}

fn licensing(code: &str) -> Power {
    Power {
        code: code.into(),
        display_name: format!("{code}许可"),
        category: PowerCategory::Licensing as i32,
        legal_bases: basis(),
        duty: "依法审批".into(),
        ..Default::default()
    }
}

db_test!(create_and_get_power, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    let p = &w.penalty;
    assert!(
        p.name.starts_with(&format!("{}/powers/", w.dept.name)),
        "{p:?}"
    );
    assert_eq!(p.code, "CF-001");
    assert_eq!(p.category, PowerCategory::Penalty as i32);
    assert_eq!(p.version, 1);
    assert_eq!(p.state, PowerState::Active as i32);
    assert_eq!(p.legal_bases, basis());
    assert_eq!(p.benchmark, benchmark());
    assert_eq!(p.duty, "依法查处违法行为");
    assert_eq!(p.flowchart_ref, "https://example.gov/flow/1.pdf");
    assert!(
        p.change_reason.contains("《尚志市人民政府令》2026年第1号"),
        "the legal-basis change is the version's reason: {p:?}"
    );
    assert!(near(&p.effective_time, since()), "{p:?}");
    assert!(p.version_time.is_some());
    assert!(w.inspection.benchmark.is_empty());

    let got = c
        .get_power(GetPowerRequest {
            name: p.name.clone(),
            version: 0,
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!(&got, p);

    // the same code in another body is fine; twice in one body is not
    let elsewhere = create(&mut c, &w.other.name, penalty_power("CF-001"))
        .await
        .expect("same code, other body");
    assert_eq!(elsewhere.code, "CF-001");
    expect_err(
        c.create_power(CreatePowerRequest {
            request_id: rid(),
            parent: w.dept.name.clone(),
            power: Some(penalty_power("CF-001")),
            legal_basis_change: basis_change(),
            effective_time: None,
            backdate_reason: String::new(),
        })
        .await,
        Code::AlreadyExists,
        "POWER_CODE_TAKEN",
    );
    expect_err(
        c.create_power(CreatePowerRequest {
            request_id: rid(),
            parent: "bodies/nosuchbody".into(),
            power: Some(penalty_power("CF-009")),
            legal_basis_change: basis_change(),
            effective_time: None,
            backdate_reason: String::new(),
        })
        .await,
        Code::NotFound,
        "NOT_FOUND",
    );
    expect_err(
        c.get_power(GetPowerRequest {
            name: format!("{}/powers/nosuchpower", w.dept.name),
            version: 0,
        })
        .await,
        Code::NotFound,
        "NOT_FOUND",
    );
    // a power named under the wrong body is not found
    let id = p.name.rsplit('/').next().unwrap();
    expect_err(
        c.get_power(GetPowerRequest {
            name: format!("{}/powers/{id}", w.other.name),
            version: 0,
        })
        .await,
        Code::NotFound,
        "NOT_FOUND",
    );
    s.stop().await;
});

db_test!(
    adding_or_withdrawing_needs_a_legal_basis_change,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut c = s.legal().await;
        let before = head(&s).await;
        expect_err(
            c.create_power(CreatePowerRequest {
                request_id: rid(),
                parent: w.dept.name.clone(),
                power: Some(licensing("XK-001")),
                legal_basis_change: None,
                effective_time: None,
                backdate_reason: String::new(),
            })
            .await,
            Code::FailedPrecondition,
            "LEGAL_BASIS_CHANGE_REQUIRED",
        );
        expect_err(
            c.withdraw_power(WithdrawPowerRequest {
                request_id: rid(),
                name: w.penalty.name.clone(),
                legal_basis_change: None,
                effective_time: None,
                backdate_reason: String::new(),
            })
            .await,
            Code::FailedPrecondition,
            "LEGAL_BASIS_CHANGE_REQUIRED",
        );
        // a stated change must say what and why
        expect_invalid(
            c.create_power(CreatePowerRequest {
                request_id: rid(),
                parent: w.dept.name.clone(),
                power: Some(licensing("XK-001")),
                legal_basis_change: Some(LegalBasisChange::default()),
                effective_time: None,
                backdate_reason: String::new(),
            })
            .await,
            &["legal_basis_change.document", "legal_basis_change.summary"],
        );
        expect_invalid(
            c.withdraw_power(WithdrawPowerRequest {
                request_id: rid(),
                name: w.penalty.name.clone(),
                legal_basis_change: Some(LegalBasisChange {
                    document: " ".into(),
                    summary: "x".into(),
                }),
                effective_time: None,
                backdate_reason: String::new(),
            })
            .await,
            &["legal_basis_change.document"],
        );
        // nothing changed
        assert_eq!(head(&s).await, before);
        let list = c
            .list_powers(ListPowersRequest {
                parent: w.dept.name.clone(),
                include_withdrawn: true,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(codes(&list.powers), vec!["CF-001", "JC-001"]);
        let p = c
            .get_power(GetPowerRequest {
                name: w.penalty.name.clone(),
                version: 0,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!((p.version, p.state), (1, PowerState::Active as i32));
        s.stop().await;
    }
);

db_test!(revise_makes_a_new_version, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    let mut next = w.penalty.clone();
    next.display_name = "对违法经营行为的行政处罚".into();
    next.benchmark[0].max_amount_fen = 60_000;
    next.legal_bases.push(LegalBasis {
        law: "《黑龙江省市场监督管理条例》".into(),
        article: "第十条".into(),
    });
    let v2 = c
        .revise_power(RevisePowerRequest {
            request_id: rid(),
            power: Some(next.clone()),
            reason: "上位法修订".into(),
            effective_time: None,
        })
        .await
        .expect("revise")
        .into_inner();
    assert_eq!(v2.name, w.penalty.name);
    assert_eq!(v2.version, 2);
    assert_eq!(v2.state, PowerState::Active as i32);
    assert_eq!(v2.display_name, "对违法经营行为的行政处罚");
    assert_eq!(v2.change_reason, "上位法修订");
    assert_eq!(v2.benchmark[0].max_amount_fen, 60_000);
    assert_eq!(v2.legal_bases.len(), 2);

    // version 1 stays readable, as it was
    let v1 = c
        .get_power(GetPowerRequest {
            name: w.penalty.name.clone(),
            version: 1,
        })
        .await
        .expect("version 1")
        .into_inner();
    assert_eq!(v1, w.penalty);
    let cur = c
        .get_power(GetPowerRequest {
            name: w.penalty.name.clone(),
            version: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cur, v2);
    expect_err(
        c.get_power(GetPowerRequest {
            name: w.penalty.name.clone(),
            version: 3,
        })
        .await,
        Code::NotFound,
        "NOT_FOUND",
    );
    let versions = c
        .list_power_versions(ListPowerVersionsRequest {
            name: w.penalty.name.clone(),
            ..Default::default()
        })
        .await
        .expect("versions")
        .into_inner()
        .versions;
    assert_eq!(versions, vec![w.penalty.clone(), v2.clone()]);

    // the list shows the current version
    let list = c
        .list_powers(ListPowersRequest {
            parent: w.dept.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let listed = list.powers.iter().find(|p| p.code == "CF-001").unwrap();
    assert_eq!(listed.version, 2);

    // an identical revision is refused
    expect_err(
        c.revise_power(RevisePowerRequest {
            request_id: rid(),
            power: Some(v2.clone()),
            reason: "无变化".into(),
            effective_time: None,
        })
        .await,
        Code::FailedPrecondition,
        "NO_CHANGE",
    );
    // code and category are immutable
    let mut bad = v2.clone();
    bad.code = "CF-999".into();
    bad.category = PowerCategory::Inspection as i32;
    bad.duty = "新的责任".into();
    expect_invalid(
        c.revise_power(RevisePowerRequest {
            request_id: rid(),
            power: Some(bad),
            reason: "改代码".into(),
            effective_time: None,
        })
        .await,
        &["power.category", "power.code"],
    );
    // history is appended in order
    let mut later = v2.clone();
    later.duty = "新的责任".into();
    expect_err(
        c.revise_power(RevisePowerRequest {
            request_id: rid(),
            power: Some(later.clone()),
            reason: "倒签".into(),
            effective_time: Some(ts(Utc::now() - Duration::days(1))),
        })
        .await,
        Code::FailedPrecondition,
        "HISTORY_OUT_OF_ORDER",
    );
    // a reason is required
    expect_invalid(
        c.revise_power(RevisePowerRequest {
            request_id: rid(),
            power: Some(later.clone()),
            reason: "  ".into(),
            effective_time: None,
        })
        .await,
        &["reason"],
    );
    let mut ghost = later.clone();
    ghost.name = format!("{}/powers/nosuchpower", w.dept.name);
    expect_err(
        c.revise_power(RevisePowerRequest {
            request_id: rid(),
            power: Some(ghost),
            reason: "x".into(),
            effective_time: None,
        })
        .await,
        Code::NotFound,
        "NOT_FOUND",
    );
    // a third version, still in order
    let v3 = c
        .revise_power(RevisePowerRequest {
            request_id: rid(),
            power: Some(later),
            reason: "职责调整".into(),
            effective_time: None,
        })
        .await
        .expect("v3")
        .into_inner();
    assert_eq!(v3.version, 3);
    let n = c
        .list_power_versions(ListPowerVersionsRequest {
            name: w.penalty.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .versions
        .iter()
        .map(|v| v.version)
        .collect::<Vec<_>>();
    assert_eq!(n, vec![1, 2, 3]);
    s.stop().await;
});

db_test!(penalty_benchmark_rules, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let c = s.legal().await;
    let dept = w.dept.name.clone();
    let base = c.clone();
    let try_power = move |p: Power| {
        let mut c = base.clone();
        let dept = dept.clone();
        async move {
            c.create_power(CreatePowerRequest {
                request_id: rid(),
                parent: dept,
                power: Some(p),
                legal_basis_change: basis_change(),
                effective_time: None,
                backdate_reason: String::new(),
            })
            .await
        }
    };
    // no benchmark at all: every grade is missing
    let mut p = penalty_power("CF-010");
    p.benchmark.clear();
    expect_invalid(
        try_power(p).await,
        &[
            "power.benchmark",
            "power.benchmark",
            "power.benchmark",
            "power.benchmark",
        ],
    );
    // one grade missing
    let mut p = penalty_power("CF-011");
    p.benchmark.pop();
    expect_invalid(try_power(p).await, &["power.benchmark"]);
    // a grade twice (and so grave missing)
    let mut p = penalty_power("CF-012");
    p.benchmark[3].grade = CircumstanceGrade::Minor as i32;
    expect_invalid(
        try_power(p).await,
        &["power.benchmark", "power.benchmark[3].grade"],
    );
    // negative minimum, maximum below minimum
    let mut p = penalty_power("CF-013");
    p.benchmark[0].min_amount_fen = -1;
    p.benchmark[1].max_amount_fen = 10_000;
    expect_invalid(
        try_power(p).await,
        &[
            "power.benchmark[0].min_amount_fen",
            "power.benchmark[1].max_amount_fen",
        ],
    );
    // unspecified and unknown grades
    let mut p = penalty_power("CF-014");
    p.benchmark[2].grade = 0;
    expect_invalid(
        try_power(p).await,
        &["power.benchmark", "power.benchmark[2].grade"],
    );
    let mut p = penalty_power("CF-015");
    p.benchmark[2].grade = 9;
    expect_invalid(
        try_power(p).await,
        &["power.benchmark", "power.benchmark[2].grade"],
    );
    // only penalty powers have one
    let mut p = inspection_power("JC-010");
    p.benchmark = benchmark();
    expect_invalid(try_power(p).await, &["power.benchmark"]);
    // a revision must keep a full benchmark
    let mut r = w.penalty.clone();
    r.benchmark.remove(1);
    expect_invalid(
        c.clone()
            .revise_power(RevisePowerRequest {
                request_id: rid(),
                power: Some(r),
                reason: "删掉一档".into(),
                effective_time: None,
            })
            .await,
        &["power.benchmark"],
    );
    // control: a single fixed amount (min == max) and notes are fine, in any order
    let mut p = penalty_power("CF-016");
    p.benchmark.reverse();
    p.benchmark[0].min_amount_fen = p.benchmark[0].max_amount_fen;
    p.benchmark[1].note = "责令改正".into();
    let ok = try_power(p).await.expect("valid benchmark").into_inner();
    assert_eq!(ok.benchmark.len(), 4);
    let grades: Vec<i32> = ok.benchmark.iter().map(|r| r.grade).collect();
    assert_eq!(grades, vec![1, 2, 3, 4], "stored by grade");
    s.stop().await;
});

db_test!(withdrawn_power_closes_post_assignments, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    assert_eq!(w.post.powers.len(), 2);
    let out = c
        .withdraw_power(WithdrawPowerRequest {
            request_id: rid(),
            name: w.penalty.name.clone(),
            legal_basis_change: Some(LegalBasisChange {
                document: "《尚志市人民政府令》2026年第2号".into(),
                summary: "取消该项处罚".into(),
            }),
            effective_time: None,
            backdate_reason: String::new(),
        })
        .await
        .expect("withdraw")
        .into_inner();
    assert_eq!(out.version, 2);
    assert_eq!(out.state, PowerState::Withdrawn as i32);
    assert!(out.change_reason.contains("2026年第2号"), "{out:?}");
    // content is carried over into the withdrawn version
    assert_eq!(out.benchmark, w.penalty.benchmark);

    let post = c
        .get_post(GetPostRequest {
            name: w.post.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(post.powers, vec![w.inspection.name.clone()]);

    let active = c
        .list_powers(ListPowersRequest {
            parent: w.dept.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(codes(&active.powers), vec!["JC-001"]);
    let all = c
        .list_powers(ListPowersRequest {
            parent: w.dept.name.clone(),
            include_withdrawn: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(codes(&all.powers), vec!["CF-001", "JC-001"]);
    assert_eq!(all.powers[0].state, PowerState::Withdrawn as i32);
    let unassigned = c
        .list_unassigned_powers(ListUnassignedPowersRequest {
            parent: w.dept.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        unassigned.powers.is_empty(),
        "a withdrawn power is not 'unassigned': {unassigned:?}"
    );
    let v1 = c
        .get_power(GetPowerRequest {
            name: w.penalty.name.clone(),
            version: 1,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v1.state, PowerState::Active as i32);

    expect_err(
        c.withdraw_power(WithdrawPowerRequest {
            request_id: rid(),
            name: w.penalty.name.clone(),
            legal_basis_change: basis_change(),
            effective_time: None,
            backdate_reason: String::new(),
        })
        .await,
        Code::FailedPrecondition,
        "POWER_WITHDRAWN",
    );
    let mut r = w.penalty.clone();
    r.duty = "新责任".into();
    expect_err(
        c.revise_power(RevisePowerRequest {
            request_id: rid(),
            power: Some(r),
            reason: "修改".into(),
            effective_time: None,
        })
        .await,
        Code::FailedPrecondition,
        "POWER_WITHDRAWN",
    );
    expect_err(
        c.set_post_powers(SetPostPowersRequest {
            request_id: rid(),
            post: w.post.name.clone(),
            powers: vec![w.penalty.name.clone(), w.inspection.name.clone()],
            effective_time: None,
            backdate_reason: String::new(),
        })
        .await,
        Code::FailedPrecondition,
        "POWER_WITHDRAWN",
    );
    // before the withdrawal the post held it and officers could act
    let past = check(
        &s,
        &w.dept.name,
        &w.penalty.name,
        Utc::now() - Duration::days(1),
        &[&w.a, &w.b],
        0,
    )
    .await;
    assert!(past.group_ok, "{past:?}");
    let now = check(
        &s,
        &w.dept.name,
        &w.penalty.name,
        Utc::now(),
        &[&w.a, &w.b],
        0,
    )
    .await;
    assert!(
        group(&now).contains(&GroupProblem::PowerWithdrawn),
        "{now:?}"
    );
    assert_eq!(
        problems(&now, &w.a.name),
        vec![ActorProblem::NoPostWithPower]
    );
    s.stop().await;
});

db_test!(unassigned_powers_and_post_assignment, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    let xk = create(&mut c, &w.dept.name, licensing("XK-001"))
        .await
        .expect("licensing power");
    let base = c.clone();
    let unassigned = move |body: String| {
        let mut c = base.clone();
        async move {
            c.list_unassigned_powers(ListUnassignedPowersRequest {
                parent: body,
                ..Default::default()
            })
            .await
            .expect("unassigned")
            .into_inner()
            .powers
            .iter()
            .map(|p| p.code.clone())
            .collect::<Vec<_>>()
        }
    };
    assert_eq!(unassigned(w.dept.name.clone()).await, vec!["XK-001"]);
    assert!(unassigned(w.other.name.clone()).await.is_empty());

    let all3 = c
        .set_post_powers(SetPostPowersRequest {
            request_id: rid(),
            post: w.post.name.clone(),
            powers: vec![
                xk.name.clone(),
                w.penalty.name.clone(),
                w.inspection.name.clone(),
            ],
            effective_time: None,
            backdate_reason: String::new(),
        })
        .await
        .expect("assign three")
        .into_inner();
    let mut want = vec![
        xk.name.clone(),
        w.penalty.name.clone(),
        w.inspection.name.clone(),
    ];
    want.sort();
    let mut got = all3.powers.clone();
    got.sort();
    assert_eq!(got, want);
    assert!(unassigned(w.dept.name.clone()).await.is_empty());

    // the list replaces the previous one
    let one = c
        .set_post_powers(SetPostPowersRequest {
            request_id: rid(),
            post: w.post.name.clone(),
            powers: vec![w.penalty.name.clone()],
            effective_time: None,
            backdate_reason: String::new(),
        })
        .await
        .expect("assign one")
        .into_inner();
    assert_eq!(one.powers, vec![w.penalty.name.clone()]);
    assert_eq!(
        unassigned(w.dept.name.clone()).await,
        vec!["JC-001", "XK-001"]
    );
    expect_err(
        c.set_post_powers(SetPostPowersRequest {
            request_id: rid(),
            post: w.post.name.clone(),
            powers: vec![w.penalty.name.clone()],
            effective_time: None,
            backdate_reason: String::new(),
        })
        .await,
        Code::FailedPrecondition,
        "NO_CHANGE",
    );
    // a power of another body
    let foreign = create(&mut c, &w.other.name, licensing("XK-100"))
        .await
        .unwrap();
    expect_invalid(
        c.set_post_powers(SetPostPowersRequest {
            request_id: rid(),
            post: w.post.name.clone(),
            powers: vec![foreign.name.clone()],
            effective_time: None,
            backdate_reason: String::new(),
        })
        .await,
        &["powers[0]"],
    );
    // an unknown power of the right body
    expect_err(
        c.set_post_powers(SetPostPowersRequest {
            request_id: rid(),
            post: w.post.name.clone(),
            powers: vec![format!("{}/powers/nosuchpower", w.dept.name)],
            effective_time: None,
            backdate_reason: String::new(),
        })
        .await,
        Code::NotFound,
        "NOT_FOUND",
    );
    // an unknown post
    expect_err(
        c.set_post_powers(SetPostPowersRequest {
            request_id: rid(),
            post: format!("{}/posts/nosuchpost", w.dept.name),
            powers: vec![],
            effective_time: None,
            backdate_reason: String::new(),
        })
        .await,
        Code::NotFound,
        "NOT_FOUND",
    );
    // before the post's last change
    expect_err(
        c.set_post_powers(SetPostPowersRequest {
            request_id: rid(),
            post: w.post.name.clone(),
            powers: vec![w.inspection.name.clone()],
            effective_time: Some(ts(Utc::now() - Duration::days(2))),
            backdate_reason: crate::fixtures::LATE.into(),
        })
        .await,
        Code::FailedPrecondition,
        "HISTORY_OUT_OF_ORDER",
    );
    // empty list: the post holds nothing
    let none = c
        .set_post_powers(SetPostPowersRequest {
            request_id: rid(),
            post: w.post.name.clone(),
            powers: vec![],
            effective_time: None,
            backdate_reason: String::new(),
        })
        .await
        .expect("clear")
        .into_inner();
    assert!(none.powers.is_empty());
    assert_eq!(
        unassigned(w.dept.name.clone()).await,
        vec!["CF-001", "JC-001", "XK-001"]
    );
    let got = c
        .get_post(GetPostRequest {
            name: w.post.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(got.powers.is_empty());
    s.stop().await;
});

db_test!(list_powers_by_category, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    let by = |cat: PowerCategory| {
        let mut c = c.clone();
        let parent = w.dept.name.clone();
        async move {
            codes(
                &c.list_powers(ListPowersRequest {
                    parent,
                    category: cat as i32,
                    ..Default::default()
                })
                .await
                .expect("list")
                .into_inner()
                .powers,
            )
        }
    };
    assert_eq!(by(PowerCategory::Penalty).await, vec!["CF-001"]);
    assert_eq!(by(PowerCategory::Inspection).await, vec!["JC-001"]);
    assert!(by(PowerCategory::Licensing).await.is_empty());
    assert_eq!(
        by(PowerCategory::Unspecified).await,
        vec!["CF-001", "JC-001"]
    );
    let other = c
        .list_powers(ListPowersRequest {
            parent: w.other.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(other.powers.is_empty());
    s.stop().await;
});
