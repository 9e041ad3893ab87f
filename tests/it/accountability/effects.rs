//! A decision's effects reach the registry for real: an executed
//! withholding makes the officer unqualified in CheckActors and a later act
//! by them a finding in intake (the loop closes); a registry that is down
//! for a while delays the effect but never loses it, and it is applied once.
use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use chrono::Utc;
use probity_proto::{
    accountability::v1::*,
    intake::v1::SubmitFactRequest,
    registry::v1::{
        ActorProblem, CredentialStatus, GetCredentialRequest, GetOfficerRequest, OfficerStatus,
    },
};
use tokio::net::{TcpListener, TcpStream};

use super::*;
use crate::{
    db_test,
    fixtures::world,
    harness::{Backend, TestServer, fresh_pg_database},
    intake::{dept, fact, matter, two},
    util::{check, problems, qualified},
};

async fn credential_events(s: &TestServer, name: &str) -> Vec<String> {
    s.legal()
        .await
        .get_credential(GetCredentialRequest { name: name.into() })
        .await
        .expect("get credential")
        .into_inner()
        .history
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

db_test!(an_executed_withholding_closes_the_loop, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = parties(&s).await;
    let case = decided(
        &mut c,
        &w.a.name,
        "ART20_05",
        decision(
            3,
            &[
                SanctionKind::CredentialWithheld,
                SanctionKind::OffPostTraining,
            ],
        ),
    )
    .await;
    assert_eq!(case.state, CaseState::Decided as i32);
    let before = check(
        &s,
        &w.dept.name,
        &w.penalty.name,
        Utc::now(),
        &[&w.a, &w.b],
        0,
    )
    .await;
    assert!(qualified(&before, &w.a.name), "{before:?}");

    let executed = c
        .execute_decision(step::<ExecuteDecisionRequest>(&case.name, "执行 carry out"))
        .await
        .expect("execute")
        .into_inner();
    assert_eq!(executed.state, CaseState::Executed as i32);
    assert_eq!(executed.effects.len(), 2, "{:?}", executed.effects);
    let done = settled(&mut c, &case.name).await;
    let kinds: Vec<(i32, i32)> = done.effects.iter().map(|e| (e.kind, e.state)).collect();
    assert_eq!(
        kinds,
        vec![
            (
                EffectKind::WithholdCredentials as i32,
                EffectState::Applied as i32
            ),
            (
                EffectKind::OffPostTraining as i32,
                EffectState::Applied as i32
            ),
        ]
    );
    assert_eq!(done.effects[0].credentials, vec![w.cred_a.name.clone()]);

    // The registry: withheld, off post, no longer a qualified actor.
    let cred = s
        .legal()
        .await
        .get_credential(GetCredentialRequest {
            name: w.cred_a.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cred.status, CredentialStatus::Withheld as i32);
    let officer = s
        .legal()
        .await
        .get_officer(GetOfficerRequest {
            name: w.a.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(officer.status, OfficerStatus::OffPostTraining as i32);
    let after = check(
        &s,
        &w.dept.name,
        &w.penalty.name,
        Utc::now(),
        &[&w.a, &w.b],
        0,
    )
    .await;
    assert!(!qualified(&after, &w.a.name), "{after:?}");
    assert!(
        problems(&after, &w.a.name).contains(&ActorProblem::CredentialWithheld),
        "{after:?}"
    );

    // Intake: a later act by the officer carries a credential finding (an
    // act from before the withholding would not: history is by instant).
    tokio::time::sleep(Duration::from_millis(20)).await;
    let act: SubmitFactRequest = fact(&w, "after-sanction", matter(&w, &two(&w), Utc::now()));
    let recorded = dept(&s, &w)
        .await
        .submit_fact(act)
        .await
        .expect("submit")
        .into_inner();
    let rules: Vec<(&str, &str)> = recorded
        .findings
        .iter()
        .map(|f| (f.rule.as_str(), f.officer.as_str()))
        .collect();
    assert!(
        rules.contains(&("CREDENTIAL_NOT_VALID", w.a.name.as_str())),
        "{rules:?}"
    );

    // Applied once; the case closes; every step is an event in the chain.
    assert_eq!(
        credential_events(&s, &w.cred_a.name).await,
        vec!["ISSUED", "WITHHELD"]
    );
    let closed = c
        .close_case(step::<CloseCaseRequest>(&case.name, "结案 closed"))
        .await
        .expect("close")
        .into_inner();
    assert_eq!(closed.state, CaseState::Closed as i32);
    let events = c
        .list_case_events(ListCaseEventsRequest {
            name: case.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "OPEN",
            "START_INVESTIGATION",
            "PROPOSE",
            "DECIDE",
            "EXECUTE",
            "EFFECT_APPLIED",
            "EFFECT_APPLIED",
            "CLOSE"
        ]
    );
    assert!(
        events
            .iter()
            .all(|e| e.audit_entry.starts_with("audit/accountability/"))
    );
});

db_test!(
    revocation_and_transfer_out_reach_the_registry,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut c = parties(&s).await;
        let case = decided(
            &mut c,
            &w.b.name,
            "ART20_03",
            decision(
                4,
                &[
                    SanctionKind::CredentialRevoked,
                    SanctionKind::TransferOut,
                    SanctionKind::QualificationCancelled,
                ],
            ),
        )
        .await;
        c.execute_decision(step::<ExecuteDecisionRequest>(&case.name, "执行"))
            .await
            .expect("execute");
        let done = settled(&mut c, &case.name).await;
        assert!(
            done.effects
                .iter()
                .all(|e| e.state == EffectState::Applied as i32),
            "{:?}",
            done.effects
        );
        let officer = s
            .legal()
            .await
            .get_officer(GetOfficerRequest {
                name: w.b.name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        // Transfer out first, then the final status.
        assert_eq!(officer.status, OfficerStatus::Disqualified as i32);
        assert_eq!(
            credential_events(&s, &w.cred_b.name).await,
            vec!["ISSUED", "REVOKED"]
        );
        // A body case has no registry effects: it executes with none.
        let body_case = decided(
            &mut c,
            &w.dept.name,
            "ART19_07",
            decision(1, &[SanctionKind::Rectification]),
        )
        .await;
        let executed = c
            .execute_decision(step::<ExecuteDecisionRequest>(&body_case.name, "执行"))
            .await
            .unwrap()
            .into_inner();
        assert!(executed.effects.is_empty());
        c.close_case(step::<CloseCaseRequest>(&body_case.name, "结案"))
            .await
            .expect("close a body case");
    }
);

/// A TCP proxy to a server that can be taken down (connections refused and
/// cut) and brought back on the same address.
struct Proxy {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Proxy {
    async fn to(target: SocketAddr) -> Proxy {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let conns: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
        let (u, cs) = (up.clone(), conns.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = l.accept().await {
                if !u.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let h = tokio::spawn(async move {
                    if let Ok(mut out) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                });
                cs.lock().unwrap().push(h);
            }
        });
        Proxy { addr, up, conns }
    }

    fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
        if !up {
            for h in self.conns.lock().unwrap().drain(..) {
                h.abort();
            }
        }
    }
}

db_test!(
    an_effect_waits_out_a_registry_outage_and_applies_once,
    |b: Backend| async move {
        let main = TestServer::start(b.clone()).await;
        let w = world(&main).await;
        let proxy = Proxy::to(main.addr).await;
        // Accountability alone, its own database, reaching the registry only
        // through the proxy (same keys as the main server).
        let own_db = match &b {
            Backend::Sqlite => format!(
                "sqlite://{}/acc-only.db?mode=rwc",
                main.settings.database.data_dir
            ),
            Backend::Postgres(admin) => fresh_pg_database(admin).await,
        };
        let (dir, intake_url, registry_url) = (
            main.settings.database.data_dir.clone(),
            main.url(),
            format!("http://{}", proxy.addr),
        );
        let solo = TestServer::start_target(b, probity::Target::Only("accountability"), move |s| {
            s.database.data_dir = dir;
            s.database.set_service_url("accountability", own_db);
            s.section_mut::<probity_accountability::settings::AccountabilitySettings>()
                .registry_endpoint = registry_url;
            s.section_mut::<probity_accountability::settings::AccountabilitySettings>()
                .intake_endpoint = intake_url;
            s.section_mut::<probity_accountability::settings::AccountabilitySettings>()
                .peer_timeout_ms = 1_000;
            s.section_mut::<probity_accountability::settings::AccountabilitySettings>()
                .effect_retry_min_ms = 50;
            s.section_mut::<probity_accountability::settings::AccountabilitySettings>()
                .effect_retry_max_ms = 200;
        })
        .await;
        let mut c = parties(&solo).await;
        let case = decided(
            &mut c,
            &w.a.name,
            "ART20_08",
            decision(3, &[SanctionKind::CredentialWithheld]),
        )
        .await;

        proxy.set_up(false);
        let executed = c
            .execute_decision(step::<ExecuteDecisionRequest>(&case.name, "执行"))
            .await
            .expect("execute while the registry is down")
            .into_inner();
        assert_eq!(executed.state, CaseState::Executed as i32);
        // It keeps trying, and nothing reaches the registry meanwhile.
        let mut attempts = 0;
        for _ in 0..200 {
            let e = &c
                .get_case(GetCaseRequest {
                    name: case.name.clone(),
                })
                .await
                .unwrap()
                .into_inner()
                .effects[0];
            assert_eq!(e.state, EffectState::Pending as i32, "{e:?}");
            attempts = e.attempts;
            if attempts >= 3 {
                assert!(!e.last_error.is_empty());
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            attempts >= 3,
            "the outbox did not retry: {attempts} attempts"
        );
        assert_eq!(
            credential_events(&main, &w.cred_a.name).await,
            vec!["ISSUED"]
        );
        let refused = c
            .close_case(step::<CloseCaseRequest>(&case.name, "结案"))
            .await
            .unwrap_err();
        assert_eq!(crate::fixtures::reason(&refused), "EFFECTS_PENDING");

        proxy.set_up(true);
        let done = settled(&mut c, &case.name).await;
        assert_eq!(
            done.effects[0].state,
            EffectState::Applied as i32,
            "{:?}",
            done.effects
        );
        assert_eq!(done.effects[0].credentials, vec![w.cred_a.name.clone()]);
        // Exactly once, even with the dispatcher polling on.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            credential_events(&main, &w.cred_a.name).await,
            vec!["ISSUED", "WITHHELD"]
        );
        c.close_case(step::<CloseCaseRequest>(&case.name, "结案"))
            .await
            .expect("close once applied");
        solo.stop().await;
    }
);

db_test!(
    a_milder_sanction_never_lightens_a_heavier_status,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut c = parties(&s).await;
        let heavy = decided(
            &mut c,
            &w.b.name,
            "ART20_03",
            decision(
                4,
                &[SanctionKind::CredentialRevoked, SanctionKind::TransferOut],
            ),
        )
        .await;
        c.execute_decision(step::<ExecuteDecisionRequest>(&heavy.name, "执行"))
            .await
            .expect("execute");
        settled(&mut c, &heavy.name).await;
        let light = decided(
            &mut c,
            &w.b.name,
            "ART20_04",
            decision(
                3,
                &[
                    SanctionKind::CredentialWithheld,
                    SanctionKind::OffPostTraining,
                ],
            ),
        )
        .await;
        c.execute_decision(step::<ExecuteDecisionRequest>(&light.name, "执行"))
            .await
            .expect("execute");
        let done = settled(&mut c, &light.name).await;
        assert!(
            done.effects
                .iter()
                .all(|e| e.state == EffectState::Applied as i32),
            "{:?}",
            done.effects
        );
        // The revoked credential stays revoked (nothing to withhold), the
        // officer stays transferred out.
        assert!(
            done.effects[1].last_error.contains("TRANSFERRED_OUT"),
            "{:?}",
            done.effects[1]
        );
        let officer = s
            .legal()
            .await
            .get_officer(GetOfficerRequest {
                name: w.b.name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(officer.status, OfficerStatus::TransferredOut as i32);
        assert_eq!(
            credential_events(&s, &w.cred_b.name).await,
            vec!["ISSUED", "REVOKED"]
        );
    }
);

// An officer whose only card has expired (awaiting renewal) is still bound
// by a withholding: it goes on the expired card, and no new card may start
// before it ends (Art. 21(3)).
db_test!(
    a_withholding_binds_an_officer_whose_card_expired,
    |b| async move {
        use crate::fixtures::{credential, officer, since};
        use probity_proto::registry::v1::{Credential, IssueCredentialRequest, OfficerKind};
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let o = officer(
            &s,
            &w.dept,
            "孙七",
            OfficerKind::Officer,
            vec![w.post.name.clone()],
            7,
            since(),
        )
        .await;
        let old = credential(
            &s,
            &o,
            "HLJ-0700",
            since(),
            Utc::now() - chrono::Duration::days(1),
        )
        .await;
        let mut c = parties(&s).await;
        let case = decided(
            &mut c,
            &o.name,
            "ART20_03",
            decision(3, &[SanctionKind::CredentialWithheld]),
        )
        .await;
        c.execute_decision(step::<ExecuteDecisionRequest>(&case.name, "执行"))
            .await
            .expect("execute");
        let done = settled(&mut c, &case.name).await;
        assert_eq!(
            done.effects[0].state,
            EffectState::Applied as i32,
            "{:?}",
            done.effects
        );
        assert_eq!(
            credential_events(&s, &old.name).await,
            vec!["ISSUED", "WITHHELD"]
        );
        // the renewal waits for the withholding's end
        let renewal = s
            .legal()
            .await
            .issue_credential(IssueCredentialRequest {
                request_id: crate::fixtures::rid(),
                credential: Some(Credential {
                    number: "HLJ-0701".into(),
                    holder: o.name.clone(),
                    issuing_authority: "尚志市人民政府".into(),
                    valid_from: Some(crate::fixtures::ts(Utc::now())),
                    valid_until: Some(crate::fixtures::ts(
                        Utc::now() + chrono::Duration::days(365),
                    )),
                    ..Default::default()
                }),
                backdate_reason: String::new(),
            })
            .await;
        let e = crate::util::expect_code(renewal, tonic::Code::FailedPrecondition);
        assert_eq!(crate::fixtures::reason(&e), "HOLDER_CREDENTIAL_WITHHELD");
        s.stop().await;
    }
);
