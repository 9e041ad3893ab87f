//! The catalogue of major decisions (重大执法决定法制审核目录): set by the
//! legal-affairs office per power, it decides which decisions are major, so a
//! department cannot escape Art. 19(16) by leaving `Decision.major` unset.
use chrono::{DateTime, Duration, Utc};
use probity_common::auth::Role;
use probity_proto::{
    intake::v1::{fact::Payload, *},
    registry::v1::{
        CheckActorsRequest, CircumstanceGrade, CreatePowerRequest, GetPostRequest, GetPowerRequest,
        ListMajorDecisionCriteriaRequest, ListPublishedPowersRequest, MajorDecisionCriteria,
        MajorDecisionCriteriaVersion, PowerCategory, SetMajorDecisionCriteriaRequest,
        SetPostPowersRequest, WithdrawPowerRequest,
    },
};
use tonic::{Code, Status};

use crate::{
    db_test,
    fixtures::{World, bad_fields, basis_change, penalty_power, rid, since, ts, world},
    harness::TestServer,
    intake::{Intake, decision, dept, fact, record, rules_of, two, when},
    util::{Reg, expect_err},
};

const MAJOR: &str = "MAJOR_DECISION_WITHOUT_LEGAL_REVIEW";

fn criteria(always: bool, fine: i64, measures: &[&str]) -> Option<MajorDecisionCriteria> {
    Some(MajorDecisionCriteria {
        always,
        fine_at_least_fen: fine,
        measures: measures.iter().map(|m| m.to_string()).collect(),
    })
}

async fn set(
    c: &mut Reg,
    power: &str,
    criteria: Option<MajorDecisionCriteria>,
    at: Option<DateTime<Utc>>,
) -> Result<MajorDecisionCriteriaVersion, Status> {
    c.set_major_decision_criteria(SetMajorDecisionCriteriaRequest {
        request_id: rid(),
        power: power.into(),
        criteria,
        effective_time: at.map(ts),
        reason: "《尚志市重大执法决定法制审核目录》2026年版".into(),
    })
    .await
    .map(|r| r.into_inner())
}

/// A penalty power of the world's department, held by its post from `since`.
/// (A decision's officers are checked for a post with its matter's power.)
async fn power(s: &TestServer, w: &World, code: &str) -> String {
    let mut l = s.legal().await;
    let name = l
        .create_power(CreatePowerRequest {
            backdate_reason: crate::fixtures::LATE.into(),
            request_id: rid(),
            parent: w.dept.name.clone(),
            power: Some(penalty_power(code)),
            legal_basis_change: basis_change(),
            effective_time: Some(ts(since())),
        })
        .await
        .expect("create power")
        .into_inner()
        .name;
    let mut powers = l
        .get_post(GetPostRequest {
            name: w.post.name.clone(),
        })
        .await
        .expect("get post")
        .into_inner()
        .powers;
    powers.push(name.clone());
    l.set_post_powers(SetPostPowersRequest {
        request_id: rid(),
        post: w.post.name.clone(),
        powers,
        effective_time: Some(ts(since())),
        backdate_reason: crate::fixtures::LATE.into(),
    })
    .await
    .expect("the post holds the power");
    name
}

fn matter_under(w: &World, power: &str, at: DateTime<Utc>) -> Payload {
    Payload::Matter(Matter {
        power: power.into(),
        act_kind: PowerCategory::Penalty as i32,
        officers: two(w).into_iter().map(String::from).collect(),
        accept_time: Some(ts(at)),
        records: vec![record()],
        ..Default::default()
    })
}

/// Submits `p`; returns its findings' rules and the decision as stored.
async fn submit(c: &mut Intake, w: &World, source: &str, p: Payload) -> (Vec<String>, Decision) {
    let f = c
        .submit_fact(fact(w, source, p))
        .await
        .unwrap_or_else(|e| panic!("{source}: {e:?}"))
        .into_inner();
    let stored = c
        .get_fact(GetFactRequest {
            name: f.name.clone(),
        })
        .await
        .expect("read back")
        .into_inner();
    let Some(Payload::Decision(d)) = stored.payload else {
        panic!("{source}: not a decision")
    };
    (rules_of(&f), d)
}

/// A decision on `matter` at `at`: a fine of `fine` fen (grade by amount, so
/// the benchmark is kept) or, with `fine` None, only `measure`; `major`
/// unset and no legal review, as a department avoiding the review sends it.
fn undeclared(matter: &str, fine: Option<i64>, measure: &str, at: DateTime<Utc>) -> Decision {
    let grade = match fine {
        Some(f) if f > 50_000 => CircumstanceGrade::Ordinary,
        _ => CircumstanceGrade::Minor,
    };
    let Payload::Decision(mut d) = decision(matter, grade, fine.unwrap_or(0), at) else {
        unreachable!()
    };
    if fine.is_none() {
        d.penalty = None;
    }
    d.other_measure = measure.into();
    d
}

fn dec(d: Decision) -> Payload {
    Payload::Decision(d)
}

db_test!(
    the_catalogue_not_the_department_decides_what_is_major,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let t = when();
        let decided = t + Duration::hours(1);
        let mut office = s.legal().await;
        let always = power(&s, &w, "CF-101").await;
        let by_fine = power(&s, &w, "CF-102").await;
        let by_measure = power(&s, &w, "CF-103").await;
        let later = power(&s, &w, "CF-104").await;
        let in_force = Some(t - Duration::days(1));
        set(&mut office, &always, criteria(true, 0, &[]), in_force)
            .await
            .unwrap();
        set(
            &mut office,
            &by_fine,
            criteria(false, 100_000, &[]),
            in_force,
        )
        .await
        .unwrap();
        set(
            &mut office,
            &by_measure,
            criteria(false, 0, &["责令停产停业", "吊销许可证"]),
            in_force,
        )
        .await
        .unwrap();
        // in force from now: after the decisions of a week ago
        set(&mut office, &later, criteria(true, 0, &[]), None)
            .await
            .unwrap();

        let mut c = dept(&s, &w).await;
        for (src, p) in [
            ("m-always", &always),
            ("m-fine", &by_fine),
            ("m-measure", &by_measure),
            ("m-later", &later),
            ("m-plain", &w.penalty.name),
        ] {
            c.submit_fact(fact(&w, src, matter_under(&w, p, t)))
                .await
                .unwrap_or_else(|e| panic!("{src}: {e:?}"));
        }
        let none: Vec<String> = Vec::new();

        // "always major": left unset and unreviewed, it is major and a breach
        let p = dec(undeclared("m-always", Some(10_000), "", decided));
        let (rules, d) = submit(&mut c, &w, "d-always", p).await;
        assert_eq!(rules, vec![MAJOR]);
        assert!(d.major, "the stored decision shows it major");
        // reviewed and passed before it: major, and no breach
        let mut reviewed = undeclared("m-always", Some(10_000), "", decided);
        reviewed.legal_review = Some(LegalReview {
            result: LegalReviewResult::Passed as i32,
            review_time: Some(ts(decided - Duration::hours(1))),
        });
        let (rules, d) = submit(&mut c, &w, "d-always-ok", dec(reviewed)).await;
        assert_eq!((rules, d.major), (none.clone(), true));

        // a fine at the threshold is major; one fen below is not
        let p = dec(undeclared("m-fine", Some(100_000), "", decided));
        let (rules, d) = submit(&mut c, &w, "d-fine-at", p).await;
        assert_eq!((rules, d.major), (vec![MAJOR.to_string()], true));
        let p = dec(undeclared("m-fine", Some(99_999), "", decided));
        let (rules, d) = submit(&mut c, &w, "d-fine-below", p).await;
        assert_eq!((rules, d.major), (none.clone(), false));

        // a listed measure, even among others or spaced differently, is major
        for (src, measure) in [
            ("d-measure", "责令停产停业"),
            ("d-measure-among", "没收违法所得；吊销 许可证"),
        ] {
            let p = dec(undeclared("m-measure", None, measure, decided));
            let (rules, d) = submit(&mut c, &w, src, p).await;
            assert_eq!((rules, d.major), (vec![MAJOR.to_string()], true), "{src}");
        }
        let p = dec(undeclared("m-measure", None, "警告", decided));
        let (rules, d) = submit(&mut c, &w, "d-measure-other", p).await;
        assert_eq!((rules, d.major), (none.clone(), false));

        // criteria that took effect after the decision do not reach it; a
        // decision made since they took effect is major
        let p = dec(undeclared("m-later", Some(10_000), "", decided));
        let (rules, d) = submit(&mut c, &w, "d-later-before", p).await;
        assert_eq!((rules, d.major), (none.clone(), false));
        let p = dec(undeclared("m-later", Some(10_000), "", Utc::now()));
        let (rules, d) = submit(&mut c, &w, "d-later-after", p).await;
        assert_eq!((rules, d.major), (vec![MAJOR.to_string()], true));

        // the submitter may raise it: a power the catalogue does not cover
        let mut raised = undeclared("m-plain", Some(10_000), "", decided);
        raised.major = true;
        let (rules, d) = submit(&mut c, &w, "d-raised", dec(raised)).await;
        assert_eq!((rules, d.major), (vec![MAJOR.to_string()], true));
        let p = dec(undeclared("m-plain", Some(10_000), "", decided));
        let (rules, d) = submit(&mut c, &w, "d-plain", p).await;
        assert_eq!((rules, d.major), (none.clone(), false));

        // a correction cannot lower it either
        let mut corrected = undeclared("m-always", Some(20_000), "", decided);
        corrected.major = false;
        let f = c
            .submit_fact(SubmitFactRequest {
                correction_reason: "金额笔误".into(),
                ..fact(&w, "d-always", dec(corrected))
            })
            .await
            .expect("correction")
            .into_inner();
        assert_eq!(rules_of(&f), vec![MAJOR]);
    }
);

db_test!(
    only_the_office_sets_the_catalogue_and_it_is_public,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let p = w.penalty.name.clone();
        let fine = criteria(false, 2_000_000, &["吊销许可证"]);

        // the department that would be measured by it, or a service, may not
        for role in [Role::Department, Role::Service] {
            let body = (role == Role::Department).then_some(w.dept.name.as_str());
            let mut d = s.registry(&s.token(role, body)).await;
            expect_err(
                set(&mut d, &p, fine.clone(), None).await,
                Code::PermissionDenied,
                "ROLE_NOT_ALLOWED",
            );
        }

        // bad input names every field
        let mut office = s.legal().await;
        let e = office
            .set_major_decision_criteria(SetMajorDecisionCriteriaRequest {
                request_id: "not-a-uuid".into(),
                power: "powers/x".into(),
                criteria: Some(MajorDecisionCriteria {
                    always: false,
                    fine_at_least_fen: -1,
                    measures: vec![
                        " ".into(),
                        "吊销许可证".into(),
                        "吊销 许可证".into(),
                        "罚".repeat(201),
                    ],
                }),
                effective_time: Some(ts(Utc::now() + Duration::days(1))),
                reason: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(
            bad_fields(&e),
            vec![
                "criteria.fine_at_least_fen",
                "criteria.measures[0]",
                "criteria.measures[2]",
                "criteria.measures[3]",
                "effective_time",
                "power",
                "reason",
                "request_id",
            ]
        );
        let e = set(&mut office, &p, None, None).await.unwrap_err();
        assert_eq!(bad_fields(&e), vec!["criteria"]);
        let e = set(
            &mut office,
            &p,
            Some(MajorDecisionCriteria {
                measures: vec!["x".into(); 51],
                ..Default::default()
            }),
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(bad_fields(&e), vec!["criteria.measures"]);

        // set, then versioned in order
        let v1 = set(&mut office, &p, fine.clone(), Some(when()))
            .await
            .unwrap();
        assert_eq!((v1.version, v1.power.as_str()), (1, p.as_str()));
        expect_err(
            set(&mut office, &p, fine.clone(), None).await,
            Code::FailedPrecondition,
            "NO_CHANGE",
        );
        expect_err(
            set(
                &mut office,
                &p,
                criteria(true, 0, &[]),
                Some(when() - Duration::days(1)),
            )
            .await,
            Code::FailedPrecondition,
            "HISTORY_OUT_OF_ORDER",
        );
        let v2 = set(&mut office, &p, criteria(true, 0, &[]), None)
            .await
            .unwrap();
        assert_eq!(v2.version, 2);

        // the department reads the history; the power shows the criteria in
        // force, and so does the public list
        let mut d = s
            .registry(&s.token(Role::Department, Some(&w.dept.name)))
            .await;
        let hist = d
            .list_major_decision_criteria(ListMajorDecisionCriteriaRequest {
                power: p.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .versions;
        assert_eq!(hist, vec![v1.clone(), v2.clone()]);
        let got = d
            .get_power(GetPowerRequest {
                name: p.clone(),
                version: 0,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(got.major_criteria, criteria(true, 0, &[]));
        let published = s
            .public()
            .await
            .list_published_powers(ListPublishedPowersRequest {
                body: w.dept.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let cf = published
            .powers
            .iter()
            .find(|x| x.code == w.penalty.code)
            .expect("published");
        assert_eq!(cf.major_criteria, criteria(true, 0, &[]));

        // CheckActors answers with the criteria in force at the instant asked
        let at = |t: DateTime<Utc>| CheckActorsRequest {
            known_time: None,
            body: w.dept.name.clone(),
            power: p.clone(),
            act_time: Some(ts(t)),
            officers: vec![w.a.name.clone()],
            min_qualified: 0,
        };
        let mut svc = s.legal().await;
        let before = svc
            .check_actors(at(when() - Duration::hours(1)))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(before.major_criteria, None);
        let then = svc
            .check_actors(at(when() + Duration::hours(1)))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(then.major_criteria, fine);

        // a withdrawn power takes no criteria
        office
            .withdraw_power(WithdrawPowerRequest {
                backdate_reason: crate::fixtures::LATE.into(),
                request_id: rid(),
                name: w.inspection.name.clone(),
                legal_basis_change: basis_change(),
                effective_time: None,
            })
            .await
            .unwrap();
        expect_err(
            set(&mut office, &w.inspection.name, fine.clone(), None).await,
            Code::FailedPrecondition,
            "POWER_WITHDRAWN",
        );
    }
);
