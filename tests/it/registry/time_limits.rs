//! Statutory time limits (法定时限, Art. 13, 19(4), 20(1)): carried by each
//! power version like its benchmark, set by RevisePower, read back where the
//! power is read, dated back only within the window by a department.
use chrono::{Duration, Utc};
use probity_proto::registry::v1::*;
use tonic::Code;

use crate::{db_test, fixtures::*, harness::TestServer, util::*};

fn revise(power: Power, days_back: i64) -> RevisePowerRequest {
    RevisePowerRequest {
        request_id: rid(),
        power: Some(power),
        reason: "《行政处罚法》第六十条: 九十日内作出决定".into(),
        effective_time: Some(ts(Utc::now() - Duration::days(days_back))),
    }
}

db_test!(a_time_limit_is_versioned_and_read_back, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    assert_eq!(w.penalty.time_limit_days, 0, "none until set");
    let mut reg = as_dept(&s, &w.dept.name).await;
    let limited = Power {
        time_limit_days: 90,
        ..w.penalty.clone()
    };
    let p = reg
        .revise_power(revise(limited.clone(), 0))
        .await
        .expect("set the limit")
        .into_inner();
    assert_eq!((p.version, p.time_limit_days), (2, 90));
    // The same again is no change.
    expect_err(
        reg.revise_power(revise(limited, 0)).await,
        Code::FailedPrecondition,
        "NO_CHANGE",
    );

    let got = reg
        .get_power(GetPowerRequest {
            name: w.penalty.name.clone(),
            version: 0,
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!(got.time_limit_days, 90);
    let first = reg
        .get_power(GetPowerRequest {
            name: w.penalty.name.clone(),
            version: 1,
        })
        .await
        .expect("get v1")
        .into_inner();
    assert_eq!(first.time_limit_days, 0, "version 1 keeps none");
    let listed = reg
        .list_powers(ListPowersRequest {
            parent: w.dept.name.clone(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .powers;
    let limits: Vec<(String, i32)> = listed
        .iter()
        .map(|p| (p.code.clone(), p.time_limit_days))
        .collect();
    assert_eq!(
        limits,
        vec![("CF-001".to_string(), 90), ("JC-001".to_string(), 0)]
    );
    let versions = reg
        .list_power_versions(ListPowerVersionsRequest {
            name: w.penalty.name.clone(),
            ..Default::default()
        })
        .await
        .expect("versions")
        .into_inner()
        .versions;
    let v: Vec<i32> = versions.iter().map(|p| p.time_limit_days).collect();
    assert_eq!(v, vec![0, 90]);
    let published = s
        .public()
        .await
        .list_published_powers(ListPublishedPowersRequest {
            body: w.dept.name.clone(),
            ..Default::default()
        })
        .await
        .expect("published")
        .into_inner()
        .powers;
    assert_eq!(published[0].time_limit_days, 90);

    // What CheckActors answers (intake's question) is the version in force
    // at the act's instant: none a week ago, 90 days now.
    let week_ago = check(
        &s,
        &w.dept.name,
        &w.penalty.name,
        Utc::now() - Duration::days(7),
        &[&w.a],
        0,
    )
    .await;
    assert_eq!(week_ago.time_limit_days, 0);
    let now = check(&s, &w.dept.name, &w.penalty.name, Utc::now(), &[&w.a], 0).await;
    assert_eq!(now.time_limit_days, 90);

    // Its change is audited with the version.
    let entries = audit_entries(&s).await;
    assert!(
        entries
            .iter()
            .any(|e| e.change.contains("\"time_limit_days\":90")),
        "no audit entry records the limit"
    );
    s.stop().await;
});

db_test!(a_time_limit_out_of_range_is_named, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut reg = as_dept(&s, &w.dept.name).await;
    for days in [-1, 3_651] {
        let p = Power {
            time_limit_days: days,
            ..w.penalty.clone()
        };
        expect_invalid(
            reg.revise_power(revise(p, 0)).await,
            &["power.time_limit_days"],
        );
    }
    s.stop().await;
});

db_test!(
    a_department_backdates_a_time_limit_only_within_the_window,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut reg = as_dept(&s, &w.dept.name).await;
        // A longer limit a month back would make last month's late
        // closings timely.
        let longer = Power {
            time_limit_days: 365,
            ..w.penalty.clone()
        };
        expect_err(
            reg.revise_power(revise(longer.clone(), 30)).await,
            Code::FailedPrecondition,
            "BACKDATE_OUTSIDE_WINDOW",
        );
        let p = reg
            .revise_power(revise(longer, 3))
            .await
            .expect("within the window")
            .into_inner();
        assert_eq!(p.time_limit_days, 365);
        s.stop().await;
    }
);
