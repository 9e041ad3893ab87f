//! Inaction (不作为, Art. 13, 19(4), 20(1)): a matter not closed within its
//! power's statutory time limit, found at a late closing or, when no closing
//! ever comes, by the sweep; open matters listed YELLOW and RED. And the
//! two-officer rule bound to penalty, compulsion and inspection acts.
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use probity_common::auth::Role;
use probity_proto::{
    intake::v1::{fact::Payload, *},
    registry::v1::{
        CreatePowerRequest, LegalBasis, Power, PowerCategory, RevisePowerRequest,
        SetPostPowersRequest,
    },
};

use super::*;
use crate::{
    db_test,
    fixtures::{LATE, basis_change, rid, since, ts, world},
    harness::{Backend, TestServer},
};

const RULE: &str = "INACTION_OVERDUE";

fn city() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8")
}

/// The city's date `days` ago.
fn city_day(days: i64) -> NaiveDate {
    (Utc::now().with_timezone(&city()) - Duration::days(days)).date_naive()
}

/// `h:m:s` on `d` in the city.
fn at(d: NaiveDate, h: u32, m: u32, s: u32) -> DateTime<Utc> {
    city()
        .from_local_datetime(&d.and_hms_opt(h, m, s).expect("a time"))
        .single()
        .expect("one instant")
        .with_timezone(&Utc)
}

/// The office gives the world's penalty power a limit of `days`, in force
/// from just after the power was listed (so every matter below falls under it).
async fn limit(s: &TestServer, w: &World, days: i32) {
    s.legal()
        .await
        .revise_power(RevisePowerRequest {
            request_id: rid(),
            power: Some(Power {
                time_limit_days: days,
                ..w.penalty.clone()
            }),
            reason: "《行政处罚法》第六十条".into(),
            effective_time: Some(ts(since() + Duration::days(1))),
        })
        .await
        .expect("set the time limit");
}

fn closing(matter: &str, t: DateTime<Utc>) -> Payload {
    Payload::MatterClosing(MatterClosing {
        matter: matter.into(),
        close_time: Some(ts(t)),
        outcome: MatterOutcome::Decided as i32,
    })
}

async fn submit(c: &mut Intake, w: &World, source: &str, p: Payload) -> Fact {
    c.submit_fact(fact(w, source, p))
        .await
        .unwrap_or_else(|e| panic!("{source}: {e:?}"))
        .into_inner()
}

/// INACTION_OVERDUE findings in force, as the office lists them.
async fn inaction(s: &TestServer) -> Vec<Finding> {
    legal(s)
        .await
        .list_findings(ListFindingsRequest {
            filter: Some(FindingFilter {
                rule: RULE.into(),
                ..Default::default()
            }),
            page_size: 1000,
            ..Default::default()
        })
        .await
        .expect("list findings")
        .into_inner()
        .findings
}

/// Waits until at least `n` INACTION_OVERDUE findings are in force.
async fn until_found(s: &TestServer, n: usize) -> Vec<Finding> {
    for _ in 0..100 {
        let f = inaction(s).await;
        if f.len() >= n {
            return f;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "the sweep did not find {n} overdue: {:?}",
        inaction(s).await
    );
}

async fn sweeping(b: Backend) -> TestServer {
    TestServer::start_with(b, |st| {
        st.section_mut::<probity_intake::settings::IntakeSettings>()
            .inaction_sweep_interval_ms = 100
    })
    .await
}

/// A server whose sweep waits an hour: what a closing finds is its own.
async fn quiet(b: Backend) -> TestServer {
    TestServer::start_with(b, |st| {
        st.section_mut::<probity_intake::settings::IntakeSettings>()
            .inaction_sweep_interval_ms = 3_600_000
    })
    .await
}

fn officers_of(f: &[Finding]) -> Vec<String> {
    let mut o: Vec<String> = f.iter().map(|x| x.officer.clone()).collect();
    o.sort();
    o
}

db_test!(
    a_closing_after_the_last_day_is_found_and_one_on_it_is_not,
    |b| async move {
        let s = quiet(b).await;
        let w = world(&s).await;
        limit(&s, &w, 20).await;
        let mut c = dept(&s, &w).await;
        // Accepted on day D; 20 days counted from D+1: D+20 is the last day.
        let d = city_day(60);
        let m = submit(&mut c, &w, "SL-1", matter(&w, &two(&w), at(d, 10, 0, 0))).await;
        let Some(Payload::Matter(stored)) = m.payload.as_ref() else {
            panic!("{m:?}")
        };
        assert_eq!(stored.time_limit_days, 20);
        assert_eq!(
            stored.overdue_time,
            Some(ts(at(d + Duration::days(21), 0, 0, 0)))
        );
        let last_day = d + Duration::days(20);
        let on_time = submit(
            &mut c,
            &w,
            "BJ-1",
            closing("SL-1", at(last_day, 23, 59, 59)),
        )
        .await;
        assert_eq!(rules_of(&on_time), Vec::<String>::new());

        submit(&mut c, &w, "SL-2", matter(&w, &two(&w), at(d, 10, 0, 0))).await;
        let late = submit(
            &mut c,
            &w,
            "BJ-2",
            closing("SL-2", at(last_day + Duration::days(1), 0, 0, 0)),
        )
        .await;
        assert_eq!(rules_of(&late), vec![RULE, RULE]);
        assert_eq!(officers_of(&late.findings), {
            let mut o = vec![w.a.name.clone(), w.b.name.clone()];
            o.sort();
            o
        });
        assert!(
            late.findings
                .iter()
                .all(|f| f.article == "Art. 13, 19(4), 20(1)")
        );

        // The department moves the matter's acceptance later before closing
        // it: the limit stays where it first ran out.
        submit(&mut c, &w, "SL-3", matter(&w, &two(&w), at(d, 10, 0, 0))).await;
        let moved = c
            .submit_fact(correction(
                fact(
                    &w,
                    "SL-3",
                    matter(&w, &two(&w), at(d + Duration::days(15), 10, 0, 0)),
                ),
                "受理时间录入错误",
            ))
            .await
            .expect("correct the matter")
            .into_inner();
        let Some(Payload::Matter(moved)) = moved.payload.as_ref() else {
            panic!("{moved:?}")
        };
        assert_eq!(
            moved.overdue_time,
            Some(ts(at(d + Duration::days(21), 0, 0, 0)))
        );
        let dodged = submit(
            &mut c,
            &w,
            "BJ-3",
            closing("SL-3", at(d + Duration::days(25), 9, 0, 0)),
        )
        .await;
        assert_eq!(rules_of(&dodged), vec![RULE, RULE]);

        // A power with no limit: closed a year later, nothing.
        let mut under_none = matter(&w, &two(&w), at(city_day(300), 10, 0, 0));
        if let Payload::Matter(m) = &mut under_none {
            m.power = w.inspection.name.clone();
        }
        submit(&mut c, &w, "SL-4", under_none).await;
        let f = submit(
            &mut c,
            &w,
            "BJ-4",
            closing("SL-4", at(city_day(1), 10, 0, 0)),
        )
        .await;
        assert_eq!(rules_of(&f), Vec::<String>::new());
        s.stop().await;
    }
);

db_test!(the_sweep_finds_a_matter_never_closed_once, |b| async move {
    let s = sweeping(b).await;
    let w = world(&s).await;
    limit(&s, &w, 20).await;
    let mut c = dept(&s, &w).await;
    let d = city_day(60);
    let m = submit(&mut c, &w, "SL-1", matter(&w, &two(&w), at(d, 10, 0, 0))).await;
    // Within its limit: not found.
    submit(
        &mut c,
        &w,
        "SL-2",
        matter(&w, &two(&w), at(city_day(2), 10, 0, 0)),
    )
    .await;
    let found = until_found(&s, 2).await;
    assert!(
        found
            .iter()
            .all(|f| f.fact == m.name && f.source_id == "SL-1")
    );
    assert_eq!(found[0].state, FindingState::Open as i32);
    // More sweeps find nothing more.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(inaction(&s).await.len(), 2);
    // The matter's record shows it.
    let got = c
        .get_fact(GetFactRequest {
            name: m.name.clone(),
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!(rules_of(&got), vec![RULE, RULE]);

    // The closing, sent at last and dated late, adds nothing.
    let closed = submit(
        &mut c,
        &w,
        "BJ-1",
        closing("SL-1", at(city_day(1), 10, 0, 0)),
    )
    .await;
    assert_eq!(rules_of(&closed), Vec::<String>::new());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(inaction(&s).await.len(), 2);

    // A late closing found at once, then voided: the matter is open
    // again, and the sweep does not find it a second time. (Matter and
    // closing in one stream: no sweep sees the matter open in between.)
    let both = [
        fact(&w, "SL-3", matter(&w, &two(&w), at(d, 10, 0, 0))),
        fact(
            &w,
            "BJ-3",
            closing("SL-3", at(d + Duration::days(30), 10, 0, 0)),
        ),
    ];
    let acked = std::sync::atomic::AtomicUsize::new(0);
    let refused = super::bulk::push(&mut c, &both, &acked)
        .await
        .expect("stream");
    assert_eq!(refused, vec![]);
    let late = c
        .lookup_fact(LookupFactRequest {
            body: w.dept.name.clone(),
            source_id: "BJ-3".into(),
        })
        .await
        .expect("the closing")
        .into_inner();
    assert_eq!(rules_of(&late), vec![RULE, RULE]);
    c.void_fact(VoidFactRequest {
        name: late.name.clone(),
        reason: "办结信息有误".into(),
        request_id: rid(),
    })
    .await
    .expect("void the closing");
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let found = inaction(&s).await;
    assert_eq!(found.len(), 4, "{found:?}");
    assert_eq!(found.iter().filter(|f| f.source_id == "BJ-3").count(), 2);
    intake_chain_verifies(&s).await;
    s.stop().await;
});

db_test!(
    voiding_an_overdue_matter_does_not_clear_it,
    |b| async move {
        let s = sweeping(b).await;
        let w = world(&s).await;
        limit(&s, &w, 20).await;
        let mut c = dept(&s, &w).await;
        let d = city_day(60);
        let m = submit(&mut c, &w, "SL-1", matter(&w, &two(&w), at(d, 10, 0, 0))).await;
        until_found(&s, 2).await;
        // The department voids the matter it never closed.
        c.void_fact(VoidFactRequest {
            name: m.name.clone(),
            reason: "重复录入".into(),
            request_id: rid(),
        })
        .await
        .expect("void");
        let found = inaction(&s).await;
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found
                .iter()
                .all(|f| f.state == FindingState::SupersededPending as i32),
            "{found:?}"
        );
        // A matter voided past its limit before any sweep saw it open is
        // found all the same: the void does not end its time.
        let m2 = submit(&mut c, &w, "SL-2", matter(&w, &two(&w), at(d, 11, 0, 0))).await;
        c.void_fact(VoidFactRequest {
            name: m2.name.clone(),
            reason: "重复录入".into(),
            request_id: rid(),
        })
        .await
        .expect("void");
        let found = until_found(&s, 4).await;
        assert_eq!(found.iter().filter(|f| f.fact == m2.name).count(), 2);
        s.stop().await;
    }
);

db_test!(a_power_with_no_limit_never_finds, |b| async move {
    let s = sweeping(b).await;
    let w = world(&s).await;
    let mut c = dept(&s, &w).await;
    submit(
        &mut c,
        &w,
        "SL-1",
        matter(&w, &two(&w), at(city_day(300), 10, 0, 0)),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(inaction(&s).await, vec![]);
    let listed = c
        .list_overdue_matters(ListOverdueMattersRequest::default())
        .await
        .expect("list")
        .into_inner();
    assert_eq!(listed.matters, vec![]);
    s.stop().await;
});

async fn overdue(c: &mut Intake, light: DeadlineLight) -> Vec<String> {
    let r = c
        .list_overdue_matters(ListOverdueMattersRequest {
            light: light as i32,
            ..Default::default()
        })
        .await
        .expect("list overdue matters")
        .into_inner();
    r.matters.iter().map(|m| m.source_id.clone()).collect()
}

db_test!(open_matters_are_listed_yellow_and_red, |b| async move {
    let s = quiet(b).await;
    let w = world(&s).await;
    limit(&s, &w, 20).await;
    let mut c = dept(&s, &w).await;
    // Past: 60 days ago. Nearing: its last day tomorrow (inside the 3-day
    // warning). Fresh: accepted yesterday. Closed late: not open.
    submit(
        &mut c,
        &w,
        "RED",
        matter(&w, &two(&w), at(city_day(60), 10, 0, 0)),
    )
    .await;
    submit(
        &mut c,
        &w,
        "YELLOW",
        matter(&w, &two(&w), at(city_day(19), 10, 0, 0)),
    )
    .await;
    submit(
        &mut c,
        &w,
        "GREEN",
        matter(&w, &two(&w), at(city_day(1), 10, 0, 0)),
    )
    .await;
    submit(
        &mut c,
        &w,
        "CLOSED",
        matter(&w, &two(&w), at(city_day(60), 10, 0, 0)),
    )
    .await;
    submit(
        &mut c,
        &w,
        "BJ",
        closing("CLOSED", at(city_day(2), 10, 0, 0)),
    )
    .await;

    assert_eq!(
        overdue(&mut c, DeadlineLight::Unspecified).await,
        vec!["RED", "YELLOW"]
    );
    assert_eq!(overdue(&mut c, DeadlineLight::Red).await, vec!["RED"]);
    assert_eq!(overdue(&mut c, DeadlineLight::Yellow).await, vec!["YELLOW"]);
    assert_eq!(overdue(&mut c, DeadlineLight::Green).await, vec!["GREEN"]);
    let red = c
        .list_overdue_matters(ListOverdueMattersRequest {
            light: DeadlineLight::Red as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .matters
        .remove(0);
    // Accepted 60 days ago, overdue from day 21 after: 39 whole days on.
    assert_eq!((red.time_limit_days, red.days_overdue), (20, 39));
    assert_eq!(red.light, DeadlineLight::Red as i32);
    assert_eq!(red.officers, two(&w));

    // Another department sees none of them; the office sees them all.
    let mut other = intake(&s, Role::Department, Some(&w.other.name)).await;
    assert_eq!(
        overdue(&mut other, DeadlineLight::Unspecified).await,
        Vec::<String>::new()
    );
    let mut office = legal(&s).await;
    assert_eq!(
        overdue(&mut office, DeadlineLight::Unspecified).await,
        vec!["RED", "YELLOW"]
    );
    // One a page.
    let first = office
        .list_overdue_matters(ListOverdueMattersRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.matters.len(), 1);
    let second = office
        .list_overdue_matters(ListOverdueMattersRequest {
            page_size: 1,
            page_token: first.next_page_token.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.matters[0].source_id, "YELLOW");
    // A bad filter is named.
    let e = office
        .list_overdue_matters(ListOverdueMattersRequest {
            body: "nope".into(),
            light: 9,
            ..Default::default()
        })
        .await
        .expect_err("bad filter");
    assert_eq!(e.code(), tonic::Code::InvalidArgument);
    let mut bad = crate::fixtures::bad_fields(&e);
    bad.sort();
    assert_eq!(bad, vec!["body", "light"]);
    s.stop().await;
});

/// A power of `category` for the world's department, held by its post.
async fn power_of(s: &TestServer, w: &World, code: &str, category: PowerCategory) -> String {
    let mut c = s.legal().await;
    let p = c
        .create_power(CreatePowerRequest {
            request_id: rid(),
            parent: w.dept.name.clone(),
            power: Some(Power {
                code: code.into(),
                display_name: format!("{code} 职权"),
                category: category as i32,
                legal_bases: vec![LegalBasis {
                    law: "《中华人民共和国行政许可法》".into(),
                    article: "第十二条".into(),
                }],
                duty: "依法办理".into(),
                ..Default::default()
            }),
            legal_basis_change: basis_change(),
            effective_time: Some(ts(since())),
            backdate_reason: LATE.into(),
        })
        .await
        .expect("create power")
        .into_inner();
    p.name
}

db_test!(
    the_two_officer_rule_binds_penalty_compulsion_and_inspection_not_licensing,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let licensing = power_of(&s, &w, "XK-001", PowerCategory::Licensing).await;
        let compulsion = power_of(&s, &w, "QZ-001", PowerCategory::CompulsoryMeasure).await;
        s.legal()
            .await
            .set_post_powers(SetPostPowersRequest {
                request_id: rid(),
                post: w.post.name.clone(),
                powers: vec![
                    w.penalty.name.clone(),
                    w.inspection.name.clone(),
                    licensing.clone(),
                    compulsion.clone(),
                ],
                effective_time: Some(ts(since() + Duration::days(1))),
                backdate_reason: LATE.into(),
            })
            .await
            .expect("give the post the powers");
        let mut c = dept(&s, &w).await;
        let alone = [w.a.name.as_str()];
        let under = |power: &str, kind: PowerCategory| {
            let mut p = matter(&w, &alone, when());
            if let Payload::Matter(m) = &mut p {
                m.power = power.into();
                m.act_kind = kind as i32;
            }
            p
        };
        let one = |f: &Fact| rules_of(f);
        // Licensing: one officer may grant it.
        let f = submit(
            &mut c,
            &w,
            "XK",
            under(&licensing, PowerCategory::Licensing),
        )
        .await;
        assert_eq!(one(&f), Vec::<String>::new());
        // An auxiliary alone is a breach under any power (Art. 18), but
        // not one of the pair.
        let f = submit(&mut c, &w, "XK-aux", {
            let mut p = under(&licensing, PowerCategory::Licensing);
            if let Payload::Matter(m) = &mut p {
                m.officers = vec![w.aux.name.clone()];
            }
            p
        })
        .await;
        assert_eq!(one(&f), vec!["AUXILIARY_ALONE"]);
        // Penalty and compulsion: two at least.
        let f = submit(
            &mut c,
            &w,
            "CF",
            under(&w.penalty.name, PowerCategory::Penalty),
        )
        .await;
        assert_eq!(one(&f), vec!["TOO_FEW_QUALIFIED"]);
        assert_eq!(f.findings[0].article, "Art. 13, 19(9), 20(9)");
        let f = submit(
            &mut c,
            &w,
            "QZ",
            under(&compulsion, PowerCategory::CompulsoryMeasure),
        )
        .await;
        assert_eq!(one(&f), vec!["TOO_FEW_QUALIFIED"]);
        // A penalty reported as licensing is measured as the registry lists
        // the power.
        let f = submit(
            &mut c,
            &w,
            "CF-dodge",
            under(&w.penalty.name, PowerCategory::Licensing),
        )
        .await;
        assert_eq!(one(&f), vec!["TOO_FEW_QUALIFIED"]);
        // An inspection, even under a licensing power: two at least.
        let mut p = inspection(&w, &licensing, vec![record()]);
        if let Payload::Inspection(i) = &mut p {
            i.officers = vec![w.a.name.clone()];
        }
        let f = submit(&mut c, &w, "JC", p).await;
        assert_eq!(
            one(&f),
            vec!["INSPECTION_POWER_NOT_INSPECTION", "TOO_FEW_QUALIFIED"]
        );
        s.stop().await;
    }
);

db_test!(
    the_catalogue_cites_the_law_and_the_article,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut c = dept(&s, &w).await;
        let rules = c
            .list_finding_rules(ListFindingRulesRequest::default())
            .await
            .expect("list rules")
            .into_inner()
            .rules;
        let rule = |code: &str| {
            rules
                .iter()
                .find(|r| r.code == code)
                .unwrap_or_else(|| panic!("{code} in {rules:?}"))
                .clone()
        };
        let pair = rule("TOO_FEW_QUALIFIED");
        assert!(
            pair.law.contains("《中华人民共和国行政处罚法》第四十二条"),
            "{pair:?}"
        );
        assert!(
            pair.law.contains("《中华人民共和国行政强制法》第十八条"),
            "{pair:?}"
        );
        assert!(!pair.article.contains("Art. 18"), "{pair:?}");
        let aux = rule("AUXILIARY_ALONE");
        assert!(aux.article.contains("Art. 18"), "{aux:?}");
        let late = rule(RULE);
        assert_eq!(late.article, "Art. 13, 19(4), 20(1)");
        assert_eq!(late.title_zh, "不作为/超过法定时限");
        assert_eq!(rules.len(), probity_rules::catalogue::ALL.len());
        s.stop().await;
    }
);
