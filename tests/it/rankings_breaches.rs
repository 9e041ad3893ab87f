//! Breaches cost in the ranking: two departments that differ only in a
//! finding rank the clean one higher, even after the other voids the fact
//! that carried it; an act with a finding on an officer earns that officer
//! no volume credit; only the legal-affairs office's clearing lifts it.
use std::collections::HashMap;

use chrono::{Duration, Utc};
use probity_proto::{
    intake::v1::{fact::Payload, *},
    registry::v1::*,
};

use crate::{
    db_test,
    fixtures::*,
    harness::TestServer,
    intake::{dept, intake, legal, when},
    rankings::{csv, matter_of, num, run, submit, test_plan},
};

/// A department like the fixtures' one: a penalty power, a post holding it
/// and two credentialed officers.
async fn twin(s: &TestServer, w: &World) -> (Body, Power, Officer, Officer) {
    let since = since();
    let until = Utc::now() + Duration::days(1000);
    let body = body(s, "尚志市交通运输局", BodyKind::Department, &w.gov.name).await;
    let mut l = s.legal().await;
    let power = l
        .create_power(CreatePowerRequest {
            backdate_reason: crate::fixtures::LATE.into(),
            request_id: rid(),
            parent: body.name.clone(),
            power: Some(penalty_power("JT-001")),
            legal_basis_change: basis_change(),
            effective_time: Some(ts(since)),
        })
        .await
        .unwrap()
        .into_inner();
    let post = l
        .create_post(CreatePostRequest {
            request_id: rid(),
            parent: body.name.clone(),
            post: Some(Post {
                display_name: "执法大队队员".into(),
                responsibilities: "交通运输执法".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    l.set_post_powers(SetPostPowersRequest {
        backdate_reason: crate::fixtures::LATE.into(),
        request_id: rid(),
        post: post.name.clone(),
        powers: vec![power.name.clone()],
        effective_time: Some(ts(since)),
    })
    .await
    .unwrap();
    let mut made = Vec::new();
    for (name, n, number) in [("钱七", 5, "HLJ-0005"), ("孙八", 6, "HLJ-0006")] {
        let o = officer(
            s,
            &body,
            name,
            OfficerKind::Officer,
            vec![post.name.clone()],
            n,
            since,
        )
        .await;
        credential(s, &o, number, since, until).await;
        made.push(o);
    }
    let f = made.pop().unwrap();
    let e = made.pop().unwrap();
    (body, power, e, f)
}

fn by(rows: Vec<HashMap<String, String>>, key: &str) -> HashMap<String, HashMap<String, String>> {
    rows.into_iter().map(|r| (r[key].clone(), r)).collect()
}

db_test!(
    the_clean_department_ranks_higher_until_the_office_clears,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let (clean, clean_power, e, f) = twin(&s, &w).await;
        // An officer of the fixtures' department with no credential.
        let nocred = officer(
            &s,
            &w.dept,
            "周九",
            OfficerKind::Officer,
            vec![w.post.name.clone()],
            9,
            since(),
        )
        .await;
        let t = when();
        let at = |m: i64| t + Duration::minutes(m);
        let mut i = dept(&s, &w).await;
        let mut j = intake(
            &s,
            probity_common::auth::Role::Department,
            Some(&clean.name),
        )
        .await;
        for n in 0..4 {
            let source = format!("m{n}");
            submit(
                &mut i,
                &w.dept,
                &source,
                matter_of(&w.penalty.name, &[&w.a, &w.b], at(n), true),
            )
            .await;
            submit(
                &mut j,
                &clean,
                &source,
                matter_of(&clean_power.name, &[&e, &f], at(n), true),
            )
            .await;
        }
        // One more, with the uncredentialed officer: a finding on him.
        let extra = submit(
            &mut i,
            &w.dept,
            "m-extra",
            matter_of(&w.penalty.name, &[&w.a, &w.b, &nocred], at(5), true),
        )
        .await;
        assert_eq!(extra.findings.len(), 1);
        assert_eq!(extra.findings[0].rule, "CREDENTIAL_NOT_VALID");
        let closed = submit(
            &mut i,
            &w.dept,
            "m-extra-close",
            Payload::MatterClosing(MatterClosing {
                matter: "m-extra".into(),
                close_time: Some(ts(at(6))),
                outcome: MatterOutcome::Decided as i32,
            }),
        )
        .await;

        let dir = tempfile::tempdir().unwrap();
        let plan = test_plan(dir.path());
        run(&s, &dir.path().join("before"), &plan, false).await;
        let officers = by(csv(&dir.path().join("before/officers.csv")), "officer");
        assert_eq!(num(&officers[&w.a.name], "matters"), 5.0);
        assert_eq!(
            num(&officers[&nocred.name], "matters"),
            0.0,
            "an act with a finding on him earns him no credit"
        );
        assert_eq!(num(&officers[&nocred.name], "completed"), 0.0);
        assert_eq!(num(&officers[&w.a.name], "completed"), 1.0);
        assert_eq!(num(&officers[&nocred.name], "findings"), 1.0);

        // The department voids the act: no longer counted as a matter, but
        // its finding stands, and the two departments now differ only in it.
        i.void_fact(VoidFactRequest {
            name: closed.name.clone(),
            reason: "entered by mistake".into(),
            request_id: rid(),
        })
        .await
        .unwrap();
        i.void_fact(VoidFactRequest {
            name: extra.name.clone(),
            reason: "entered by mistake".into(),
            request_id: rid(),
        })
        .await
        .unwrap();
        run(&s, &dir.path().join("voided"), &plan, false).await;
        let depts = by(csv(&dir.path().join("voided/departments.csv")), "body");
        let (dirty_row, clean_row) = (&depts[&w.dept.name], &depts[&clean.name]);
        assert_eq!(num(dirty_row, "matters"), num(clean_row, "matters"));
        assert_eq!(num(dirty_row, "findings"), 1.0);
        assert_eq!(num(clean_row, "findings"), 0.0);
        assert!(
            num(clean_row, "score") > num(dirty_row, "score"),
            "clean {} vs {}",
            num(clean_row, "score"),
            num(dirty_row, "score")
        );
        assert!(num(clean_row, "rank") < num(dirty_row, "rank"));

        // Only the office's clearing lifts it: then they tie.
        legal(&s)
            .await
            .clear_finding(ClearFindingRequest {
                name: extra.findings[0].name.clone(),
                reason: "the credential was renewed on time; the registry was late".into(),
                request_id: rid(),
            })
            .await
            .unwrap();
        run(&s, &dir.path().join("cleared"), &plan, false).await;
        let depts = by(csv(&dir.path().join("cleared/departments.csv")), "body");
        assert_eq!(num(&depts[&w.dept.name], "findings"), 0.0);
        assert!(
            (num(&depts[&w.dept.name], "score") - num(&depts[&clean.name], "score")).abs() < 1e-9
        );
        s.stop().await;
    }
);
