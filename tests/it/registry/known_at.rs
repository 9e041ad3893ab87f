//! Issue 14, evasion 2: backdate the registry, then correct. A department
//! may date a change at most registry.backdate_grace (7 days) back; the
//! legal-affairs office may date it earlier with a reason, and the change is
//! listed as late. A correction is checked against the registry as it stood
//! when the fact was first recorded, so a change recorded later, however it
//! is dated, cannot clear what the fact was found to be.
use chrono::{Duration, Utc};
use probity_common::auth::Role;
use probity_proto::{intake::v1::fact::Payload, registry::v1::*};
use tonic::Code;

use crate::{
    db_test,
    fixtures::{LATE, officer, rid, since, ts, world},
    harness::TestServer,
    intake::{self, fact, record, rules_of},
    util::{as_dept, as_role, expect_err, expect_invalid, problems},
};

fn card(holder: &Officer, number: &str, from: chrono::DateTime<Utc>) -> Credential {
    Credential {
        number: number.into(),
        holder: holder.name.clone(),
        issuing_authority: "尚志市人民政府".into(),
        valid_from: Some(ts(from)),
        valid_until: Some(ts(Utc::now() + Duration::days(3 * 365))),
        ..Default::default()
    }
}

db_test!(
    a_card_backdated_after_an_inspection_does_not_clear_its_correction,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        // An officer of the department who holds no card yet.
        let c = officer(
            &s,
            &w.dept,
            "王五",
            OfficerKind::Officer,
            vec![w.post.name.clone()],
            91,
            since(),
        )
        .await;
        let at = Utc::now() - Duration::days(30);
        let mut inspection = intake::inspection(&w, &w.inspection.name, vec![record()]);
        if let Payload::Inspection(i) = &mut inspection {
            i.officers = vec![w.a.name.clone(), c.name.clone()];
            i.inspect_time = Some(ts(at));
        }
        let mut d = intake::dept(&s, &w).await;
        let first = d
            .submit_fact(fact(&w, "INSP-LATE-1", inspection.clone()))
            .await
            .expect("inspection")
            .into_inner();
        assert!(
            rules_of(&first).contains(&"CREDENTIAL_NOT_VALID".to_string()),
            "{first:?}"
        );

        // The department cannot issue a card "valid since" before the window.
        let mut reg = as_dept(&s, &w.dept.name).await;
        expect_err(
            reg.issue_credential(IssueCredentialRequest {
                request_id: rid(),
                credential: Some(card(&c, "HLJ-LATE-1", at - Duration::days(30))),
                backdate_reason: "we had a paper card".into(),
            })
            .await,
            Code::FailedPrecondition,
            "BACKDATE_OUTSIDE_WINDOW",
        );
        // The office can, with its reason (the paper card was real).
        let mut legal = s.legal().await;
        legal
            .issue_credential(IssueCredentialRequest {
                request_id: rid(),
                credential: Some(card(&c, "HLJ-LATE-1", at - Duration::days(30))),
                backdate_reason: LATE.into(),
            })
            .await
            .expect("the office issues the card dated back");

        // As the registry stands now, the card covers the inspection...
        let ask = |known_time| CheckActorsRequest {
            body: w.dept.name.clone(),
            power: w.inspection.name.clone(),
            act_time: Some(ts(at)),
            officers: vec![c.name.clone()],
            min_qualified: 1,
            known_time,
        };
        let now = legal.check_actors(ask(None)).await.unwrap().into_inner();
        assert_eq!(problems(&now, &c.name), vec![]);
        // ...as it stood when the inspection was recorded, it did not.
        let then = legal
            .check_actors(ask(first.record_time))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(problems(&then, &c.name), vec![ActorProblem::NoCredential]);

        // The department corrects the inspection (adds a record): the
        // correction is checked as of the first recording, finding and all.
        if let Payload::Inspection(i) = &mut inspection {
            i.records.push(second_record());
        }
        let mut fix = fact(&w, "INSP-LATE-1", inspection);
        fix.correction_reason = "the second recording was left out".into();
        let corrected = d.submit_fact(fix).await.expect("correction").into_inner();
        assert_eq!(corrected.revision, 2);
        assert!(
            rules_of(&corrected).contains(&"CREDENTIAL_NOT_VALID".to_string()),
            "{corrected:?}"
        );
        s.stop().await;
    }
);

/// A second archived recording, for a correction to add.
fn second_record() -> probity_proto::intake::v1::ProcessRecord {
    probity_proto::intake::v1::ProcessRecord {
        content_sha256: "cd".repeat(32),
        archive_ref: "archive://2026/0002".into(),
        ..record()
    }
}

db_test!(
    a_department_backdates_a_benchmark_only_within_the_window,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut reg = as_dept(&s, &w.dept.name).await;
        let mut wider = w.penalty.clone();
        for r in &mut wider.benchmark {
            r.max_amount_fen *= 2;
        }
        let revise = |days: i64, power: Power| RevisePowerRequest {
            request_id: rid(),
            power: Some(power),
            reason: "上级文件调整裁量基准".into(),
            effective_time: Some(ts(Utc::now() - Duration::days(days))),
        };
        // A month back would widen the range last month's decisions met.
        expect_err(
            reg.revise_power(revise(30, wider.clone())).await,
            Code::FailedPrecondition,
            "BACKDATE_OUTSIDE_WINDOW",
        );
        // The same from three days ago is within the window.
        let p = reg
            .revise_power(revise(3, wider))
            .await
            .expect("within the window")
            .into_inner();
        assert_eq!(p.version, 2);
        // Nothing a department did is listed as late.
        let late = as_role(&s, Role::LegalOffice)
            .await
            .list_late_changes(ListLateChangesRequest {
                body: w.dept.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .changes;
        assert!(late.iter().all(|c| c.role == "legal_office"), "{late:?}");
        assert!(!late.iter().any(|c| c.method == "RevisePower"), "{late:?}");
        s.stop().await;
    }
);

db_test!(
    the_office_backdates_with_a_reason_and_the_change_is_listed_late,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut legal = s.legal().await;
        let post = legal
            .create_post(CreatePostRequest {
                request_id: rid(),
                parent: w.dept.name.clone(),
                post: Some(Post {
                    display_name: "稽查岗".into(),
                    responsibilities: "稽查".into(),
                    ..Default::default()
                }),
            })
            .await
            .expect("post")
            .into_inner();
        let give = |reason: &str| SetPostPowersRequest {
            request_id: rid(),
            post: post.name.clone(),
            powers: vec![w.penalty.name.clone()],
            effective_time: Some(ts(Utc::now() - Duration::days(60))),
            backdate_reason: reason.into(),
        };
        // Without a reason: refused, naming the field.
        expect_invalid(
            legal.set_post_powers(give("  ")).await,
            &["backdate_reason"],
        );
        legal
            .set_post_powers(give("按2026年第3号文件补录"))
            .await
            .expect("with a reason");
        let listed = legal
            .list_late_changes(ListLateChangesRequest::default())
            .await
            .unwrap()
            .into_inner()
            .changes;
        let mine: Vec<&LateChange> = listed.iter().filter(|c| c.entity == post.name).collect();
        assert_eq!(mine.len(), 1, "{listed:?}");
        assert_eq!(mine[0].method, "SetPostPowers");
        assert_eq!(mine[0].reason, "按2026年第3号文件补录");
        assert_eq!(mine[0].body, w.dept.name);
        assert_eq!(mine[0].role, "legal_office");
        let (eff, rec) = (
            mine[0].effective_time.unwrap().seconds,
            mine[0].record_time.unwrap().seconds,
        );
        assert!(rec - eff >= 59 * 86_400, "{:?}", mine[0]);
        // The department sees its own late changes; another department not.
        let own = as_dept(&s, &w.dept.name)
            .await
            .list_late_changes(ListLateChangesRequest::default())
            .await
            .unwrap()
            .into_inner()
            .changes;
        assert!(own.iter().any(|c| c.entity == post.name));
        let other = as_dept(&s, &w.other.name)
            .await
            .list_late_changes(ListLateChangesRequest::default())
            .await
            .unwrap()
            .into_inner()
            .changes;
        assert!(other.is_empty(), "{other:?}");
        // The department itself cannot make that change.
        expect_err(
            as_dept(&s, &w.dept.name)
                .await
                .set_post_powers(SetPostPowersRequest {
                    powers: vec![w.penalty.name.clone(), w.inspection.name.clone()],
                    ..give("我们也有理由")
                })
                .await,
            Code::FailedPrecondition,
            "BACKDATE_OUTSIDE_WINDOW",
        );
        s.stop().await;
    }
);
