//! Breaches are found in every act an officer takes, not only in matters and
//! inspections: a department whose officer's credential the office withheld
//! tries to keep that officer's decisions, complaints, closings and
//! transfers clean by naming them, or by naming no one at all.
use super::*;
use crate::{
    db_test,
    fixtures::{body, credential, officer, rid, since, world},
    harness::TestServer,
    util::expect_invalid,
};
use chrono::{DateTime, Duration, Utc};
use probity_proto::{
    intake::v1::fact::Payload,
    registry::v1::{BodyKind, CircumstanceGrade, OfficerKind, WithholdCredentialRequest},
};

fn names(officers: &[&str]) -> Vec<String> {
    officers.iter().map(|o| o.to_string()).collect()
}

fn decided_by(officers: &[&str], at: DateTime<Utc>) -> Payload {
    let Payload::Decision(mut d) = decision("M", CircumstanceGrade::Minor, 0, at) else {
        unreachable!("decision() makes a decision")
    };
    d.penalty = None;
    d.other_measure = "警告".into();
    d.officers = names(officers);
    Payload::Decision(d)
}

fn complaint(officers: &[&str], at: DateTime<Utc>) -> Payload {
    Payload::Complaint(Complaint {
        source: ComplaintSource::MayorsHotline as i32,
        accept_time: Some(ts(at)),
        officers: names(officers),
    })
}

fn closing(complaint: &str, officers: &[&str], at: DateTime<Utc>) -> Payload {
    Payload::ComplaintClosing(ComplaintClosing {
        complaint: complaint.into(),
        close_time: Some(ts(at)),
        officers: names(officers),
    })
}

fn transfer(officers: &[&str], at: DateTime<Utc>) -> Payload {
    Payload::Transfer(Transfer {
        kind: TransferKind::FoundInDailyWork as i32,
        recipient: "尚志市公安局".into(),
        transfer_time: Some(ts(at)),
        officers: names(officers),
        matter: String::new(),
    })
}

/// (rule, officer) of each finding on the stored fact.
async fn found(c: &mut Intake, w: &World, source: &str, p: Payload) -> Vec<(String, String)> {
    let f = c
        .submit_fact(fact(w, source, p))
        .await
        .unwrap_or_else(|e| panic!("{source}: {e:?}"))
        .into_inner();
    f.findings
        .iter()
        .map(|x| (x.rule.clone(), x.officer.clone()))
        .collect()
}

db_test!(a_sanctioned_officers_acts_are_breaches, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = dept(&s, &w).await;
    let (a, bb) = (w.a.name.as_str(), w.b.name.as_str());
    let t = when();
    let none: Vec<(String, String)> = Vec::new();
    let on_a = vec![("CREDENTIAL_NOT_VALID".to_string(), a.to_string())];

    // Before the withholding: a matter and a complaint by a, all clean; a
    // decision naming no one is a's and b's, and clean then.
    assert_eq!(found(&mut c, &w, "M", matter(&w, &[a, bb], t)).await, none);
    assert_eq!(found(&mut c, &w, "K", complaint(&[a], t)).await, none);
    assert_eq!(found(&mut c, &w, "Kb", complaint(&[bb], t)).await, none);
    assert_eq!(
        found(
            &mut c,
            &w,
            "D-early",
            decided_by(&[], t + Duration::hours(1))
        )
        .await,
        none,
        "inherited officers are checked at the decision's time"
    );

    s.legal()
        .await
        .withhold_credential(WithholdCredentialRequest {
            request_id: rid(),
            name: w.cred_a.name.clone(),
            until: Some(ts(Utc::now() + Duration::days(30))),
            reason: "暂扣执法证件".into(),
        })
        .await
        .expect("withhold a's credential");
    let now = Utc::now();

    // (1) a decision naming a; one officer alone is no breach of a decision
    assert_eq!(found(&mut c, &w, "D-a", decided_by(&[a], now)).await, on_a);
    assert_eq!(found(&mut c, &w, "D-b", decided_by(&[bb], now)).await, none);
    // (2) naming no one: the matter's a and b decided, a without a credential
    assert_eq!(
        found(&mut c, &w, "D-none", decided_by(&[], now)).await,
        on_a
    );
    // (3) a complaint by a
    assert_eq!(found(&mut c, &w, "K-a", complaint(&[a], now)).await, on_a);
    assert_eq!(found(&mut c, &w, "K-b", complaint(&[bb], now)).await, none);
    // (4) closing a's complaint naming no one: a closed it
    assert_eq!(
        found(&mut c, &w, "K-close", closing("K", &[], now)).await,
        on_a
    );
    assert_eq!(
        found(&mut c, &w, "Kb-close", closing("Kb", &[], now)).await,
        none
    );
    assert_eq!(
        found(&mut c, &w, "K-close-b", closing("K", &[bb], now)).await,
        none,
        "a closing naming its own officers is theirs"
    );
    // (5) a transfer by a
    assert_eq!(found(&mut c, &w, "T-a", transfer(&[a], now)).await, on_a);
    assert_eq!(found(&mut c, &w, "T-b", transfer(&[bb], now)).await, none);

    // The inherited officers are stored as the decision's and closing's.
    let by = |officer: &str, kind: FactKind| FactFilter {
        officer: officer.into(),
        kind: kind as i32,
        ..Default::default()
    };
    assert_eq!(count(&mut c, by(a, FactKind::Decision)).await, 3);
    assert_eq!(count(&mut c, by(bb, FactKind::Decision)).await, 3);
    assert_eq!(count(&mut c, by(a, FactKind::ComplaintClosing)).await, 1);
    assert_eq!(count(&mut c, by(bb, FactKind::ComplaintClosing)).await, 2);
    // ... and stay its officers when it is voided.
    let d_none = c
        .list_facts(ListFactsRequest {
            filter: Some(by(a, FactKind::Decision)),
            page_size: 10,
            page_token: String::new(),
        })
        .await
        .expect("list a's decisions")
        .into_inner()
        .facts
        .into_iter()
        .find(|f| f.source_id == "D-none")
        .expect("D-none is a's");
    c.void_fact(VoidFactRequest {
        name: d_none.name.clone(),
        reason: "录入错误".into(),
        request_id: rid(),
    })
    .await
    .expect("void D-none");
    let voided_too = |officer: &str| FactFilter {
        include_voided: true,
        ..by(officer, FactKind::Decision)
    };
    assert_eq!(count(&mut c, voided_too(a)).await, 3);
    assert_eq!(count(&mut c, by(a, FactKind::Decision)).await, 2);

    // A decision by an officer of a body below: not the deciding body's.
    let sub = body(
        &s,
        "市场监管所",
        BodyKind::EmpoweredOrganization,
        &w.dept.name,
    )
    .await;
    let x = officer(&s, &sub, "周九", OfficerKind::Officer, vec![], 9, since()).await;
    credential(&s, &x, "HLJ-0009", since(), now + Duration::days(365)).await;
    let r = found(&mut c, &w, "D-x", decided_by(&[&x.name], now)).await;
    assert!(
        r.contains(&("OFFICER_OF_OTHER_BODY".to_string(), x.name.clone())),
        "{r:?}"
    );
    s.stop().await;
});

db_test!(a_decisions_officers_are_validated, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = dept(&s, &w).await;
    let t = when();
    let a = w.a.name.as_str();
    c.submit_fact(fact(&w, "M", matter(&w, &two(&w), t)))
        .await
        .expect("matter");
    // every bad item is named
    expect_invalid(
        c.submit_fact(fact(&w, "D", decided_by(&["nope", a, a], t)))
            .await,
        &["fact.decision.officers[0]", "fact.decision.officers[2]"],
    );
    expect_invalid(
        c.submit_fact(fact(&w, "C", closing("K", &["officers/x/y"], t)))
            .await,
        &["fact.complaint_closing.officers[0]"],
    );
    // an officer the registry does not know, as for a matter
    expect_invalid(
        c.submit_fact(fact(&w, "D", decided_by(&["officers/999999"], t)))
            .await,
        &["fact.decision.officers[0]"],
    );
    s.stop().await;
});
