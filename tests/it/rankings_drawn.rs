//! The rankings and "double random, one public" (issue 18): Art. 9(4)
//! credits only inspections intake verified against a real draw, and
//! Art. 19(7) holds each unit's drawn share of routine inspections to its
//! plan when the year is sealed. Tried as a unit would: free text in
//! `random_draw`, a draw cited but not followed, `draw_verified` set by
//! itself, and causes (complaints) named that are not on record, so that
//! its undrawn inspections would leave the count.
use std::path::Path;

use chrono::{Duration, Utc};
use probity_common::{auth::Role, service_identity};
use probity_proto::{
    accountability::v1::{CaseFilter, ListCasesRequest, OriginKind},
    draws::v1::{draws_service_client::DrawsServiceClient, *},
    intake::v1::{fact::Payload, *},
    registry::v1::{Body, Power},
};
use tonic::Code;

use crate::{
    accountability::office as accountability_office,
    db_test,
    draws::code,
    draws_service::{SEED, commitment, office, public_value, reveal, unit, year as draws_year},
    fixtures::*,
    harness::{Bearer, TestServer},
    intake::{dept, record},
    rankings::{run, submit, test_plan, year_over},
    util::expect_invalid,
};

/// A real draw of `unit` under `power`: a target list of `targets` codes,
/// all of class A and all drawn; a plan requiring `share_bp` of routine
/// inspections drawn; the draw committed with each of `recused` conflicted
/// with every target (so only the others are sent), the public value
/// recorded by the office, the seed revealed.
pub(crate) async fn draw_for(
    s: &TestServer,
    body: &Body,
    power: &Power,
    targets: u32,
    recused: &[&str],
    share_bp: i32,
) -> Draw {
    let codes: Vec<String> = (0..targets).map(code).collect();
    let mut u = unit(s, body).await;
    u.update_target_list(UpdateTargetListRequest {
        target_list: Some(TargetList {
            name: format!("{}/targetList", body.name),
            targets: codes
                .iter()
                .map(|c| ListedTarget {
                    code: c.clone(),
                    risk: RiskClass::A as i32,
                })
                .collect(),
            ..Default::default()
        }),
        request_id: rid(),
    })
    .await
    .expect("target list");
    u.set_draw_plan(plan(body, power, share_bp))
        .await
        .expect("plan");
    let made = u
        .create_draw(CreateDrawRequest {
            draw: Some(Draw {
                unit: body.name.clone(),
                power: power.name.clone(),
                year: draws_year(),
                commitment: commitment(SEED),
                conflicts: recused
                    .iter()
                    .flat_map(|o| {
                        codes.iter().map(|c| DeclaredConflict {
                            officer: o.to_string(),
                            target: c.clone(),
                        })
                    })
                    .collect(),
                window_end_time: Some(ts(Utc::now() + Duration::days(30))),
                ..Default::default()
            }),
            request_id: rid(),
        })
        .await
        .expect("commit")
        .into_inner();
    office(s)
        .await
        .record_public_value(public_value(&made.name))
        .await
        .expect("public value");
    let draw = u
        .reveal_draw(reveal(&made.name, SEED))
        .await
        .expect("reveal")
        .into_inner();
    assert_eq!(draw.result.len(), targets as usize, "every target drawn");
    draw
}

fn plan(body: &Body, power: &Power, share_bp: i32) -> SetDrawPlanRequest {
    SetDrawPlanRequest {
        draw_plan: Some(DrawPlan {
            unit: body.name.clone(),
            power: power.name.clone(),
            year: draws_year(),
            ratio_a: 10_000,
            inspectors_per_target: 2,
            drawn_share: share_bp,
            max_inspections_per_target: 10,
            public_value_source: "福彩3D, the draw of the day after the commitment".into(),
            ..Default::default()
        }),
        request_id: rid(),
        correction_reason: String::new(),
    }
}

/// The inspection the draw decided: its `i`th target, by the officers drawn
/// for it, now (after the reveal), citing the draw.
pub(crate) fn drawn_inspection(
    power: &Power,
    draw: &Draw,
    i: usize,
    records: Vec<ProcessRecord>,
) -> Payload {
    let a = &draw.result[i];
    Payload::Inspection(Inspection {
        power: power.name.clone(),
        officers: a.officers.clone(),
        target: a.target.clone(),
        inspect_time: Some(ts(Utc::now())),
        random_draw: draw.name.clone(),
        records,
        draw_verified: false,
        cause: String::new(),
        ..Default::default()
    })
}

/// An inspection the unit chose itself: `target` by a and b, naming
/// `random_draw` and `cause` as it likes.
fn own_choice(w: &World, target: &str, random_draw: &str, cause: &str) -> Payload {
    Payload::Inspection(Inspection {
        power: w.inspection.name.clone(),
        officers: vec![w.a.name.clone(), w.b.name.clone()],
        target: target.into(),
        inspect_time: Some(ts(Utc::now())),
        random_draw: random_draw.into(),
        records: vec![record()],
        draw_verified: false,
        cause: cause.into(),
        ..Default::default()
    })
}

fn verified(f: &Fact) -> bool {
    matches!(&f.payload, Some(Payload::Inspection(i)) if i.draw_verified)
}

fn shares(out: &Path) -> Vec<probity_rankings::drawn_share::DrawnShareRow> {
    probity_rankings::drawn_share::load(&out.join("input"))
        .expect("drawn shares")
        .expect("the run read the drawn shares")
}

db_test!(a_unit_gets_no_draw_credit_for_its_word, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let draw = draw_for(&s, &w.dept, &w.inspection, 2, &[], 8_000).await;
    let mut i = dept(&s, &w).await;
    let d = w.dept.clone();
    let ok = submit(
        &mut i,
        &d,
        "JC-drawn",
        drawn_inspection(&w.inspection, &draw, 0, vec![record()]),
    )
    .await;
    assert!(verified(&ok), "{ok:?}");
    // Free text, as every inspection counted as drawn before.
    let other = draw.result[1].target.clone();
    let free = submit(
        &mut i,
        &d,
        "JC-free",
        own_choice(&w, &other, "SJ-2026-11 双随机", ""),
    )
    .await;
    // A real draw cited, a target it did not draw.
    let unfollowed = submit(
        &mut i,
        &d,
        "JC-unfollowed",
        own_choice(&w, &code(50), &draw.name, ""),
    )
    .await;
    // The output field set by the unit itself.
    let mut claimed = own_choice(&w, &other, "", "");
    if let Payload::Inspection(x) = &mut claimed {
        x.draw_verified = true;
    }
    let claimed = submit(&mut i, &d, "JC-claimed", claimed).await;
    for f in [&free, &unfollowed, &claimed] {
        assert!(!verified(f), "{f:?}");
    }

    let dir = tempfile::tempdir().unwrap();
    let plan = test_plan(dir.path());
    let out = dir.path().join("run");
    run(&s, &out, &plan, false).await;
    let officers = crate::rankings::csv(&out.join("officers.csv"));
    for o in [&w.a, &w.b] {
        let row = officers
            .iter()
            .find(|r| r["officer"] == o.name)
            .unwrap_or_else(|| panic!("{} ranked", o.name));
        assert_eq!(crate::rankings::num(row, "inspections"), 4.0, "{row:?}");
        assert_eq!(
            crate::rankings::num(row, "random_inspections"),
            1.0,
            "only the verified draw: {row:?}"
        );
    }
    let rows = shares(&out);
    let row = rows
        .iter()
        .find(|r| r.body == w.dept.name)
        .expect("the unit's share");
    assert_eq!(
        (row.routine, row.drawn, row.plan_bp, row.below_plan),
        (4, 1, Some(8_000), true),
        "{row:?}"
    );
    s.stop().await;
});

/// A live complaint of the unit, the cause of an inspection.
async fn complaint(i: &mut crate::intake::Intake, w: &World, source: &str) {
    submit(
        i,
        &w.dept,
        source,
        Payload::Complaint(Complaint {
            source: ComplaintSource::MayorsHotline as i32,
            accept_time: Some(ts(Utc::now() - Duration::hours(1))),
            officers: vec![w.a.name.clone()],
        }),
    )
    .await;
}

async fn drawn_share_cases(s: &TestServer) -> Vec<probity_proto::accountability::v1::Case> {
    accountability_office(s)
        .await
        .list_cases(ListCasesRequest {
            filter: Some(CaseFilter {
                origin: OriginKind::RankingFlag as i32,
                ..Default::default()
            }),
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .cases
        .into_iter()
        .filter(|c| c.grounds.iter().any(|g| g.code == "ART19_07"))
        .collect()
}

db_test!(
    a_unit_below_its_plan_is_flagged_when_the_year_is_sealed,
    |b| async move {
        let s = TestServer::start_with(b, year_over).await;
        let w = world(&s).await;
        let draw = draw_for(&s, &w.dept, &w.inspection, 2, &[], 8_000).await;
        let mut i = dept(&s, &w).await;
        let d = w.dept.clone();
        complaint(&mut i, &w, "K-1").await;
        submit(
            &mut i,
            &d,
            "JC-1",
            drawn_inspection(&w.inspection, &draw, 0, vec![record()]),
        )
        .await;
        let other = draw.result[1].target.clone();
        // Undrawn inspections the unit would move out of the count by
        // naming a cause: one no complaint of the unit has, one that is a
        // fact of the unit but no complaint. Both stay routine.
        submit(&mut i, &d, "JC-2", own_choice(&w, &other, "", "K-made-up")).await;
        submit(&mut i, &d, "JC-3", own_choice(&w, &other, "", "JC-1")).await;
        // A complaint on record is a cause: not routine, not counted.
        submit(&mut i, &d, "JC-4", own_choice(&w, &other, "", "K-1")).await;

        let dir = tempfile::tempdir().unwrap();
        let plan = test_plan(dir.path());
        let m = run(&s, &dir.path().join("final"), &plan, true).await;
        let row = shares(&dir.path().join("final"))
            .into_iter()
            .find(|r| r.body == w.dept.name)
            .expect("the unit's share");
        assert_eq!(
            (row.routine, row.drawn, row.below_plan),
            (3, 1, true),
            "{row:?}"
        );
        assert_eq!(m.flags["units_drawn_share_below_plan"], 1, "{:?}", m.flags);
        let cases = drawn_share_cases(&s).await;
        assert_eq!(cases.len(), 1, "{cases:?}");
        let c = &cases[0];
        assert_eq!(
            c.subject.as_ref().map(|x| x.name.as_str()),
            Some(d.name.as_str())
        );
        assert!(
            c.grounds[0].detail.contains(&w.inspection.name)
                && c.grounds[0].detail.contains("33.3%")
                && c.grounds[0].detail.contains("80.0%"),
            "{:?}",
            c.grounds
        );
        let report = std::fs::read_to_string(dir.path().join("final/report.html")).unwrap();
        assert!(report.contains("33.3% / 80.0% ✗ 低于计划 below plan"));
        // Sealed again: the same case, no other.
        run(&s, &dir.path().join("again"), &plan, true).await;
        assert_eq!(drawn_share_cases(&s).await.len(), 1);
        s.stop().await;
    }
);

db_test!(a_unit_at_its_plan_is_not_flagged, |b| async move {
    let s = TestServer::start_with(b, year_over).await;
    let w = world(&s).await;
    let draw = draw_for(&s, &w.dept, &w.inspection, 2, &[], 5_000).await;
    let mut i = dept(&s, &w).await;
    let d = w.dept.clone();
    complaint(&mut i, &w, "K-1").await;
    submit(
        &mut i,
        &d,
        "JC-1",
        drawn_inspection(&w.inspection, &draw, 0, vec![record()]),
    )
    .await;
    let other = draw.result[1].target.clone();
    submit(&mut i, &d, "JC-2", own_choice(&w, &other, "", "")).await;
    // On the complaint: not routine, so the share stays at the plan.
    submit(&mut i, &d, "JC-3", own_choice(&w, &other, "", "K-1")).await;

    let dir = tempfile::tempdir().unwrap();
    let plan = test_plan(dir.path());
    let m = run(&s, &dir.path().join("final"), &plan, true).await;
    let row = shares(&dir.path().join("final"))
        .into_iter()
        .find(|r| r.body == w.dept.name)
        .expect("the unit's share");
    assert_eq!(
        (row.routine, row.drawn, row.below_plan),
        (2, 1, false),
        "{row:?}"
    );
    assert_eq!(m.flags["units_drawn_share_below_plan"], 0, "{:?}", m.flags);
    assert!(drawn_share_cases(&s).await.is_empty());
    s.stop().await;
});

async fn as_token(
    s: &TestServer,
    token: String,
) -> DrawsServiceClient<
    tonic::service::interceptor::InterceptedService<tonic::transport::Channel, Bearer>,
> {
    DrawsServiceClient::with_interceptor(s.channel().await, Bearer::new(&token))
}

db_test!(the_job_reads_the_years_plans, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut u = unit(&s, &w.dept).await;
    for p in [&w.inspection, &w.penalty] {
        u.set_draw_plan(plan(&w.dept, p, 7_000))
            .await
            .expect("plan");
    }
    // A second revision: only the current one is listed.
    let mut changed = plan(&w.dept, &w.inspection, 9_000);
    changed.correction_reason = "the council raised the share".into();
    u.set_draw_plan(changed).await.expect("revision");

    let mut c = as_token(&s, s.service_token(&service_identity::RANKINGS_JOB)).await;
    let mut got = Vec::new();
    let mut token = String::new();
    loop {
        let page = c
            .list_draw_plans(ListDrawPlansRequest {
                year: draws_year(),
                page_size: 1,
                page_token: token,
            })
            .await
            .expect("the job lists the plans")
            .into_inner();
        assert!(page.draw_plans.len() <= 1);
        got.extend(page.draw_plans);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let mut shares: Vec<(String, i32, i32)> = got
        .iter()
        .map(|p| (p.power.clone(), p.drawn_share, p.revision))
        .collect();
    shares.sort();
    let mut want = vec![
        (w.inspection.name.clone(), 9_000, 2),
        (w.penalty.name.clone(), 7_000, 1),
    ];
    want.sort();
    assert_eq!(shares, want);
    // Another year: none.
    let none = c
        .list_draw_plans(ListDrawPlansRequest {
            year: draws_year() - 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(none.draw_plans.is_empty());
    expect_invalid(
        c.list_draw_plans(ListDrawPlansRequest {
            year: 1999,
            page_size: -1,
            page_token: "not a token".into(),
        })
        .await,
        &["year", "page_size", "page_token"],
    );
    // A department reads its own unit's only.
    let mut other = as_token(&s, s.token(Role::Department, Some(&w.other.name))).await;
    let theirs = other
        .list_draw_plans(ListDrawPlansRequest {
            year: draws_year(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(theirs.draw_plans.is_empty(), "{theirs:?}");
    // Intake reads one plan, never the list.
    let mut intake = as_token(&s, s.service_token(&service_identity::INTAKE)).await;
    let denied = intake
        .list_draw_plans(ListDrawPlansRequest {
            year: draws_year(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied, "{denied:?}");
    s.stop().await;
});
