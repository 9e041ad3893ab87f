//! Every finding rule: a case that triggers it and one that does not. Breaches
//! are stored with the fact, never refused.
use chrono::{Duration, Utc};
use probity_proto::{
    intake::v1::{fact::Payload, *},
    registry::v1::{
        CircumstanceGrade, CreatePowerRequest, OfficerKind, OfficerStatus, SetOfficerStatusRequest,
    },
};

use super::*;
use crate::{
    db_test,
    fixtures::{credential, officer, rid, since, world},
    harness::TestServer,
};

async fn rules(c: &mut Intake, w: &World, source: &str, p: Payload) -> Vec<String> {
    let f = c
        .submit_fact(fact(w, source, p))
        .await
        .unwrap_or_else(|e| panic!("{source}: {e:?}"))
        .into_inner();
    rules_of(&f)
}

fn v(x: &[&str]) -> Vec<String> {
    x.iter().map(|s| s.to_string()).collect()
}

db_test!(each_rule_fires_and_its_control_does_not, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = dept(&s, &w).await;
    let t = when();
    let none: Vec<String> = Vec::new();

    // Art. 18: two qualified officers; an auxiliary never alone
    assert_eq!(rules(&mut c, &w, "ok", matter(&w, &two(&w), t)).await, none);
    assert_eq!(
        rules(&mut c, &w, "one", matter(&w, &[&w.a.name], t)).await,
        v(&["TOO_FEW_QUALIFIED"])
    );
    assert_eq!(
        rules(&mut c, &w, "aux", matter(&w, &[&w.aux.name], t)).await,
        v(&["AUXILIARY_ALONE", "TOO_FEW_QUALIFIED"])
    );
    assert_eq!(
        rules(
            &mut c,
            &w,
            "aux+2",
            matter(&w, &[&w.a.name, &w.b.name, &w.aux.name], t)
        )
        .await,
        none
    );

    // Art. 16, 19(9): no valid credential; not active
    let post = vec![w.post.name.clone()];
    let nocred = officer(
        &s,
        &w.dept,
        "赵六",
        OfficerKind::Officer,
        post.clone(),
        4,
        since(),
    )
    .await;
    let trainee = officer(
        &s,
        &w.dept,
        "钱七",
        OfficerKind::Officer,
        post.clone(),
        5,
        since(),
    )
    .await;
    credential(
        &s,
        &trainee,
        "HLJ-0005",
        since(),
        Utc::now() + Duration::days(365),
    )
    .await;
    let f = c
        .submit_fact(fact(
            &w,
            "nocred",
            matter(&w, &[&w.a.name, &w.b.name, &nocred.name], t),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rules_of(&f), v(&["CREDENTIAL_NOT_VALID"]));
    assert_eq!(f.findings[0].officer, nocred.name);
    assert_eq!(f.findings[0].article, "Art. 16, 19(9)");
    s.legal()
        .await
        .set_officer_status(SetOfficerStatusRequest {
            request_id: rid(),
            officer: trainee.name.clone(),
            status: OfficerStatus::OffPostTraining as i32,
            reason: "离岗培训".into(),
            effective_time: Some(ts(t - Duration::days(1))),
        })
        .await
        .unwrap();
    assert_eq!(
        rules(
            &mut c,
            &w,
            "trainee",
            matter(&w, &[&w.a.name, &w.b.name, &trainee.name], t)
        )
        .await,
        v(&["OFFICER_NOT_ACTIVE"])
    );
    // ... but two days earlier the same officer was active
    assert_eq!(
        rules(
            &mut c,
            &w,
            "trainee-before",
            matter(&w, &[&w.a.name, &trainee.name], t - Duration::days(2))
        )
        .await,
        none
    );

    // Art. 19(2), 19(5): an officer whose post does not hold the power
    let postless = officer(
        &s,
        &w.dept,
        "孙八",
        OfficerKind::Officer,
        vec![],
        6,
        since(),
    )
    .await;
    credential(
        &s,
        &postless,
        "HLJ-0006",
        since(),
        Utc::now() + Duration::days(365),
    )
    .await;
    let f = c
        .submit_fact(fact(
            &w,
            "postless",
            matter(&w, &[&w.a.name, &w.b.name, &postless.name], t),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rules_of(&f), v(&["NO_POST_WITH_POWER"]));
    assert_eq!(f.findings[0].officer, postless.name);

    // Art. 15, 19(5): a power the body does not hold (acting for another body)
    let mut l = legal(&s).await;
    let mut elsewhere = fact(&w, "other", matter(&w, &two(&w), t));
    elsewhere.fact.as_mut().unwrap().body = w.other.name.clone();
    let f = l.submit_fact(elsewhere).await.unwrap().into_inner();
    let r = rules_of(&f);
    assert!(r.contains(&"POWER_NOT_HELD".to_string()), "{r:?}");
    assert!(r.contains(&"OFFICER_OF_OTHER_BODY".to_string()), "{r:?}");

    // Art. 15: inspection under a penalty power; Art. 16, 19(15): not recorded
    assert_eq!(
        rules(
            &mut c,
            &w,
            "insp-ok",
            inspection(&w, &w.inspection.name, vec![record()])
        )
        .await,
        none
    );
    assert_eq!(
        rules(
            &mut c,
            &w,
            "insp-penalty",
            inspection(&w, &w.penalty.name, vec![record()])
        )
        .await,
        v(&["INSPECTION_POWER_NOT_INSPECTION"])
    );
    assert_eq!(
        rules(
            &mut c,
            &w,
            "insp-blind",
            inspection(&w, &w.inspection.name, vec![])
        )
        .await,
        v(&["INSPECTION_NOT_RECORDED"])
    );

    // Art. 9(11), 20(8): the benchmark (grade 1 is 0..50,000 fen)
    let d = |src: &str, amount: i64| {
        decision(
            src,
            CircumstanceGrade::Minor,
            amount,
            t + Duration::hours(1),
        )
    };
    assert_eq!(rules(&mut c, &w, "d-in", d("ok", 50_000)).await, none);
    let f = c
        .submit_fact(fact(&w, "d-out", d("ok", 50_001)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rules_of(&f), v(&["PENALTY_OUTSIDE_BENCHMARK"]));
    let Some(Payload::Decision(dd)) = &f.payload else {
        panic!()
    };
    assert!(!dd.penalty.as_ref().unwrap().within_benchmark);
    // the submitter cannot claim compliance
    let mut claim = d("ok", 60_000);
    if let Payload::Decision(x) = &mut claim {
        x.penalty.as_mut().unwrap().within_benchmark = true;
    }
    assert_eq!(
        rules(&mut c, &w, "d-claim", claim).await,
        v(&["PENALTY_OUTSIDE_BENCHMARK"])
    );

    // Art. 19(16): a major decision needs a passed legal review before it
    let major = |review: Option<(LegalReviewResult, i64)>| {
        let mut p = d("ok", 10_000);
        if let Payload::Decision(x) = &mut p {
            x.major = true;
            x.legal_review = review.map(|(r, hours)| LegalReview {
                result: r as i32,
                review_time: Some(ts(t + Duration::hours(hours))),
            });
        }
        p
    };
    assert_eq!(
        rules(
            &mut c,
            &w,
            "maj-ok",
            major(Some((LegalReviewResult::Passed, 0)))
        )
        .await,
        none
    );
    for (src, review) in [
        ("maj-none", None),
        ("maj-failed", Some((LegalReviewResult::Failed, 0))),
        ("maj-late", Some((LegalReviewResult::Passed, 2))),
    ] {
        assert_eq!(
            rules(&mut c, &w, src, major(review)).await,
            v(&["MAJOR_DECISION_WITHOUT_LEGAL_REVIEW"]),
            "{src}"
        );
    }

    // findings are queryable by rule and by officer, and counted
    let counts = c
        .count_findings(CountFindingsRequest {
            filter: Some(FindingFilter::default()),
        })
        .await
        .unwrap()
        .into_inner();
    let of = |rule: &str| {
        counts
            .by_rule
            .iter()
            .find(|r| r.rule == rule)
            .map(|r| r.count)
            .unwrap_or(0)
    };
    assert_eq!(of("MAJOR_DECISION_WITHOUT_LEGAL_REVIEW"), 3);
    assert_eq!(of("TOO_FEW_QUALIFIED"), 2);
    // POWER_NOT_HELD is for the other body: this department does not see it
    assert_eq!(of("POWER_NOT_HELD"), 0);
    let mut lead = intake(&s, probity_common::auth::Role::Leadership, None).await;
    let all = lead
        .list_findings(ListFindingsRequest {
            filter: Some(FindingFilter {
                rule: "POWER_NOT_HELD".into(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .findings;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].body, w.other.name);
    assert_eq!(all[0].source_id, "other");
    let mine = c
        .list_findings(ListFindingsRequest {
            filter: Some(FindingFilter {
                officer: nocred.name.clone(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .findings;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].rule, "CREDENTIAL_NOT_VALID");

    // A correction that mends the breach does not make the finding
    // disappear: it is superseded, in force until the office rules.
    let mut fix = fact(&w, "one", matter(&w, &two(&w), t));
    fix.correction_reason = "second officer was omitted".into();
    let fixed = c.submit_fact(fix).await.unwrap().into_inner();
    assert_eq!(fixed.findings.len(), 1, "{:?}", fixed.findings);
    assert_eq!(fixed.findings[0].rule, "TOO_FEW_QUALIFIED");
    assert_eq!(fixed.findings[0].revision, 1);
    assert_eq!(
        fixed.findings[0].state,
        FindingState::SupersededPending as i32
    );
    assert_eq!(fixed.findings[0].superseded_by, 2);
    let count = |states: Vec<FindingState>| FindingFilter {
        rule: "TOO_FEW_QUALIFIED".into(),
        states: states.into_iter().map(|s| s as i32).collect(),
        ..Default::default()
    };
    let in_force = c
        .count_findings(CountFindingsRequest {
            filter: Some(count(vec![])),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(in_force.total, 2, "both matters' findings stand");
    let open = c
        .count_findings(CountFindingsRequest {
            filter: Some(count(vec![FindingState::Open])),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        open.total, 1,
        "only the auxiliary's matter still shows it on its current revision"
    );
    // The body's own two qualified officers under another body's power: the
    // power's breach alone, not a staffing one (Art. 18) from the same cause.
    let foreign = s
        .legal()
        .await
        .create_power(CreatePowerRequest {
            request_id: rid(),
            parent: w.other.name.clone(),
            power: Some(crate::fixtures::penalty_power("CF-901")),
            legal_basis_change: crate::fixtures::basis_change(),
            effective_time: Some(crate::fixtures::ts(since())),
            backdate_reason: crate::fixtures::LATE.into(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut borrowed = matter(&w, &two(&w), t);
    if let Payload::Matter(m) = &mut borrowed {
        m.power = foreign.name.clone();
    }
    assert_eq!(
        rules(&mut c, &w, "borrowed", borrowed).await,
        v(&["POWER_NOT_HELD"])
    );
    s.stop().await;
});
