//! CheckActors answers carry the span of instants over which they hold, and
//! intake's registry link, which keeps answers per officer and reuses them
//! across instants within their spans, answers every check exactly as the
//! registry does. An officer's status changes, a credential is withheld and
//! a power revised, so the answers change over the sampled instants.
use chrono::{DateTime, Duration, Utc};
use probity_proto::registry::v1::*;

use crate::{
    db_test,
    fixtures::{rid, since, ts, world},
    harness::TestServer,
};

/// The answer without its span.
fn bare(mut a: CheckActorsResponse) -> CheckActorsResponse {
    a.same_from = None;
    a.same_until = None;
    a
}

fn us(t: &prost_types::Timestamp) -> i64 {
    t.seconds * 1_000_000 + i64::from(t.nanos / 1_000)
}

db_test!(
    answers_hold_over_their_spans_and_compose_from_parts,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut c = s.legal().await;
        let start = since();
        let (training, back, revised) = (
            start + Duration::days(100),
            start + Duration::days(130),
            start + Duration::days(200),
        );
        for (status, at) in [
            (OfficerStatus::OffPostTraining, training),
            (OfficerStatus::Active, back),
        ] {
            c.set_officer_status(SetOfficerStatusRequest {
                request_id: rid(),
                officer: w.b.name.clone(),
                status: status as i32,
                reason: "培训".into(),
                effective_time: Some(ts(at)),
            })
            .await
            .expect("status");
        }
        let mut tighter = w.penalty.clone();
        for r in &mut tighter.benchmark {
            r.max_amount_fen = r.min_amount_fen + (r.max_amount_fen - r.min_amount_fen) / 2;
        }
        c.revise_power(RevisePowerRequest {
            request_id: rid(),
            power: Some(tighter),
            reason: "裁量基准修订".into(),
            effective_time: Some(ts(revised)),
        })
        .await
        .expect("revise");
        let now = Utc::now();
        let withheld_until = now + Duration::days(20);
        c.withhold_credential(WithholdCredentialRequest {
            request_id: rid(),
            name: w.cred_a.name.clone(),
            until: Some(ts(withheld_until)),
            reason: "暂扣".into(),
        })
        .await
        .expect("withhold");

        let micro = Duration::microseconds(1);
        let instants: Vec<DateTime<Utc>> = vec![
            start - Duration::days(2),
            start + Duration::hours(1),
            start + Duration::days(50),
            training - micro,
            training,
            training + Duration::days(15),
            back - micro,
            back,
            back + Duration::days(30),
            revised - micro,
            revised,
            revised + Duration::days(40),
            now - Duration::hours(1),
            now + Duration::minutes(1),
            now + Duration::days(10),
            withheld_until - micro,
            withheld_until,
            withheld_until + Duration::days(5),
        ];
        let (a, bb, aux) = (w.a.name.clone(), w.b.name.clone(), w.aux.name.clone());
        let groups: Vec<(String, Vec<String>)> = vec![
            (w.penalty.name.clone(), vec![a.clone()]),
            (w.penalty.name.clone(), vec![bb.clone()]),
            (w.penalty.name.clone(), vec![aux.clone()]),
            (w.penalty.name.clone(), vec![a.clone(), bb.clone()]),
            (w.penalty.name.clone(), vec![a.clone(), aux.clone()]),
            (
                w.penalty.name.clone(),
                vec![aux.clone(), bb.clone(), a.clone()],
            ),
            (w.penalty.name.clone(), vec![]),
            (String::new(), vec![a.clone(), bb.clone()]),
            (w.inspection.name.clone(), vec![bb.clone(), a.clone()]),
        ];
        let question = |g: &(String, Vec<String>), t: DateTime<Utc>| CheckActorsRequest {
            body: w.dept.name.clone(),
            power: g.0.clone(),
            act_time: Some(ts(t)),
            officers: g.1.clone(),
            min_qualified: 0,
            known_time: None,
        };
        let service = s.service_token(&probity_common::service_identity::INTAKE);
        for viewer in [String::new(), w.dept.name.clone()] {
            let mut reg = s.registry(&service).await;
            // answers[q][i]: question q at instant i, straight from the registry
            let mut answers: Vec<Vec<CheckActorsResponse>> = vec![Vec::new(); groups.len()];
            for t in &instants {
                let r = reg
                    .batch_check_actors(BatchCheckActorsRequest {
                        checks: groups.iter().map(|g| question(g, *t)).collect(),
                        viewer: viewer.clone(),
                    })
                    .await
                    .expect("batch check")
                    .into_inner();
                for (q, a) in r.results.into_iter().enumerate() {
                    answers[q].push(a);
                }
            }
            let mut bounded = 0;
            for (q, per) in answers.iter().enumerate() {
                for (i, a) in per.iter().enumerate() {
                    let from = a.same_from.as_ref().map_or(i64::MIN, us);
                    let until = a.same_until.as_ref().map_or(i64::MAX, us);
                    let t = instants[i].timestamp_micros();
                    assert!(
                        from <= t && t < until,
                        "q{q} at {i}: span misses its own instant"
                    );
                    bounded += usize::from(a.same_until.is_some());
                    for (j, other) in per.iter().enumerate() {
                        let t2 = instants[j].timestamp_micros();
                        if from <= t2 && t2 < until {
                            assert_eq!(
                                bare(a.clone()),
                                bare(other.clone()),
                                "q{q}: the answer at {i} claims to hold at {j}, but differs"
                            );
                        }
                    }
                }
            }
            assert!(bounded > 0, "no answer has an end: the spans say nothing");
            // The withholding ends a span of officer a's answers exactly.
            let mid = instants.len() - 4; // now + 10 days
            assert_eq!(
                answers[0][mid].same_until.as_ref().map(us),
                Some(withheld_until.timestamp_micros()),
                "{:?}",
                answers[0][mid]
            );
            assert!(
                answers[0][mid].actors[0]
                    .problems
                    .contains(&(ActorProblem::CredentialWithheld as i32))
            );

            // Intake's link, asked instant by instant, reuses parts across
            // instants and must still answer as the registry did.
            let link = probity_intake::peers::Peers::new(&s.settings, s.addr).expect("link");
            // the link takes the department's id, as a principal carries it
            let view = viewer.strip_prefix("bodies/");
            for round in 0..2 {
                for (i, t) in instants.iter().enumerate() {
                    let qs: Vec<CheckActorsRequest> =
                        groups.iter().map(|g| question(g, *t)).collect();
                    let got = link.check(&qs, view).await.expect("link check");
                    for (q, g) in got.into_iter().enumerate() {
                        assert_eq!(
                            bare(g),
                            bare(answers[q][i].clone()),
                            "round {round}, viewer {viewer:?}: q{q} at instant {i}"
                        );
                    }
                }
            }
            // Every instant of every group in one call, with nothing kept
            // between calls (TTL 0): parts answered in later rounds of the
            // same call are still used.
            let mut settings = s.settings.clone();
            settings
                .section_mut::<probity_intake::settings::IntakeSettings>()
                .registry_cache_ttl_ms = 0;
            let uncached = probity_intake::peers::Peers::new(&settings, s.addr).expect("link");
            let all: Vec<CheckActorsRequest> = instants
                .iter()
                .flat_map(|t| groups.iter().map(|g| question(g, *t)))
                .collect();
            let got = uncached
                .check(&all, view)
                .await
                .expect("link check, one call");
            for (n, g) in got.into_iter().enumerate() {
                let (i, q) = (n / groups.len(), n % groups.len());
                assert_eq!(
                    bare(g),
                    bare(answers[q][i].clone()),
                    "one call, viewer {viewer:?}: q{q} at instant {i}"
                );
            }
        }
        s.stop().await;
    }
);
