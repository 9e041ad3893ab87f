//! Enforcement credentials: issue, withhold (again), release, revoke
//! (terminal), expiry from dates, and the rules on who may hold one.
use chrono::{DateTime, Duration, Utc};
use probity_common::auth::Role;
use probity_proto::registry::v1::*;
use tonic::Code;

use crate::{db_test, fixtures::*, harness::TestServer, util::*};

fn kinds(c: &Credential) -> Vec<String> {
    c.history.iter().map(|e| e.kind.clone()).collect()
}

async fn withhold(
    c: &mut Reg,
    name: &str,
    until: DateTime<Utc>,
) -> Result<Credential, tonic::Status> {
    c.withhold_credential(WithholdCredentialRequest {
        request_id: rid(),
        name: name.into(),
        until: Some(ts(until)),
        reason: "暂扣执法证件".into(),
    })
    .await
    .map(|r| r.into_inner())
}

async fn release(c: &mut Reg, name: &str) -> Result<Credential, tonic::Status> {
    c.release_credential(ReleaseCredentialRequest {
        request_id: rid(),
        name: name.into(),
        reason: "提前发还".into(),
    })
    .await
    .map(|r| r.into_inner())
}

async fn revoke(c: &mut Reg, name: &str) -> Result<Credential, tonic::Status> {
    c.revoke_credential(RevokeCredentialRequest {
        request_id: rid(),
        name: name.into(),
        reason: "缴销执法证件".into(),
    })
    .await
    .map(|r| r.into_inner())
}

fn issue_req(
    holder: &Officer,
    number: &str,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> IssueCredentialRequest {
    IssueCredentialRequest {
        request_id: rid(),
        credential: Some(Credential {
            number: number.into(),
            holder: holder.name.clone(),
            issuing_authority: "尚志市人民政府".into(),
            valid_from: Some(ts(from)),
            valid_until: Some(ts(until)),
            ..Default::default()
        }),
        backdate_reason: crate::fixtures::LATE.into(),
    }
}

fn names(c: &[Credential]) -> Vec<String> {
    let mut v: Vec<String> = c.iter().map(|c| c.name.clone()).collect();
    v.sort();
    v
}

db_test!(issue_and_read, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    let cr = &w.cred_a;
    assert!(cr.name.starts_with("credentials/"), "{cr:?}");
    assert_eq!(cr.number, "HLJ-0001");
    assert_eq!(cr.holder, w.a.name);
    assert_eq!(cr.issuing_authority, "尚志市人民政府");
    assert_eq!(cr.status, CredentialStatus::Valid as i32);
    assert_eq!(cr.withheld_until, None);
    assert!(near(&cr.valid_from, since()));
    assert_eq!(kinds(cr), vec!["ISSUED"]);
    assert_eq!(cr.history[0].actor, "test-legal_office");
    assert!(cr.history[0].time.is_some());

    let got = c
        .get_credential(GetCredentialRequest {
            name: cr.name.clone(),
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!(&got, cr);

    let list = |r: ListCredentialsRequest| {
        let mut c = c.clone();
        async move {
            names(
                &c.list_credentials(r)
                    .await
                    .expect("list credentials")
                    .into_inner()
                    .credentials,
            )
        }
    };
    assert_eq!(
        list(ListCredentialsRequest::default()).await,
        names(&[w.cred_a.clone(), w.cred_b.clone()])
    );
    assert_eq!(
        list(ListCredentialsRequest {
            holder: w.a.name.clone(),
            ..Default::default()
        })
        .await,
        vec![w.cred_a.name.clone()]
    );
    assert_eq!(
        list(ListCredentialsRequest {
            body: w.dept.name.clone(),
            ..Default::default()
        })
        .await
        .len(),
        2
    );
    assert!(
        list(ListCredentialsRequest {
            body: w.other.name.clone(),
            ..Default::default()
        })
        .await
        .is_empty()
    );
    assert!(
        list(ListCredentialsRequest {
            holder: w.aux.name.clone(),
            ..Default::default()
        })
        .await
        .is_empty()
    );
    expect_err(
        c.get_credential(GetCredentialRequest {
            name: "credentials/nosuchcredential".into(),
        })
        .await,
        Code::NotFound,
        "NOT_FOUND",
    );
    expect_invalid(
        c.get_credential(GetCredentialRequest {
            name: "HLJ-0001".into(),
        })
        .await,
        &["name"],
    );
    s.stop().await;
});

db_test!(withhold_release_revoke_lifecycle, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    let name = w.cred_a.name.clone();
    let u1 = Utc::now() + Duration::days(10);
    let x = withhold(&mut c, &name, u1).await.expect("withhold");
    assert_eq!(x.status, CredentialStatus::Withheld as i32);
    assert!(near(&x.withheld_until, u1), "{x:?}");
    assert_eq!(kinds(&x), vec!["ISSUED", "WITHHELD"]);
    assert_eq!(x.history[1].reason, "暂扣执法证件");
    assert!(near(&x.history[1].withheld_until, u1));

    // withholding again replaces the date
    let u2 = Utc::now() + Duration::days(20);
    let x = withhold(&mut c, &name, u2).await.expect("withhold again");
    assert_eq!(x.status, CredentialStatus::Withheld as i32);
    assert!(near(&x.withheld_until, u2), "{x:?}");
    assert_eq!(kinds(&x), vec!["ISSUED", "WITHHELD", "WITHHELD"]);

    let x = release(&mut c, &name).await.expect("release");
    assert_eq!(x.status, CredentialStatus::Valid as i32);
    assert_eq!(x.withheld_until, None);
    assert_eq!(
        kinds(&x),
        vec!["ISSUED", "WITHHELD", "WITHHELD", "RELEASED"]
    );
    // releasing what is not withheld
    expect_err(
        c.release_credential(ReleaseCredentialRequest {
            request_id: rid(),
            name: name.clone(),
            reason: "再次发还".into(),
        })
        .await,
        Code::FailedPrecondition,
        "CREDENTIAL_NOT_WITHHELD",
    );

    withhold(&mut c, &name, u1)
        .await
        .expect("withhold once more");
    let x = revoke(&mut c, &name).await.expect("revoke a withheld one");
    assert_eq!(x.status, CredentialStatus::Revoked as i32);
    assert_eq!(
        kinds(&x),
        vec![
            "ISSUED", "WITHHELD", "WITHHELD", "RELEASED", "WITHHELD", "REVOKED"
        ]
    );
    assert_eq!(x.history[5].reason, "缴销执法证件");

    // revoked is terminal
    expect_err(
        c.revoke_credential(RevokeCredentialRequest {
            request_id: rid(),
            name: name.clone(),
            reason: "再缴销".into(),
        })
        .await,
        Code::FailedPrecondition,
        "CREDENTIAL_REVOKED",
    );
    expect_err(
        c.withhold_credential(WithholdCredentialRequest {
            request_id: rid(),
            name: name.clone(),
            until: Some(ts(u1)),
            reason: "暂扣".into(),
        })
        .await,
        Code::FailedPrecondition,
        "CREDENTIAL_REVOKED",
    );
    expect_err(
        c.release_credential(ReleaseCredentialRequest {
            request_id: rid(),
            name: name.clone(),
            reason: "发还".into(),
        })
        .await,
        Code::FailedPrecondition,
        "CREDENTIAL_REVOKED",
    );
    let got = c
        .get_credential(GetCredentialRequest { name: name.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.status, CredentialStatus::Revoked as i32);
    assert_eq!(got.history.len(), 6, "refused steps left no history");
    // still revoked long after the withholding would have ended
    let later = check(
        &s,
        &w.dept.name,
        &w.penalty.name,
        Utc::now() + Duration::days(30),
        &[&w.a],
        1,
    )
    .await;
    assert_eq!(
        problems(&later, &w.a.name),
        vec![ActorProblem::CredentialRevoked]
    );

    // listing by the status now
    let by = |st: CredentialStatus| {
        let mut c = c.clone();
        async move {
            names(
                &c.list_credentials(ListCredentialsRequest {
                    status: st as i32,
                    ..Default::default()
                })
                .await
                .expect("list")
                .into_inner()
                .credentials,
            )
        }
    };
    assert_eq!(by(CredentialStatus::Revoked).await, vec![name.clone()]);
    assert_eq!(
        by(CredentialStatus::Valid).await,
        vec![w.cred_b.name.clone()]
    );
    assert!(by(CredentialStatus::Withheld).await.is_empty());
    let x = withhold(&mut c.clone(), &w.cred_b.name, u1)
        .await
        .expect("withhold b");
    assert_eq!(x.status, CredentialStatus::Withheld as i32);
    assert_eq!(
        by(CredentialStatus::Withheld).await,
        vec![w.cred_b.name.clone()]
    );
    assert!(by(CredentialStatus::Valid).await.is_empty());
    s.stop().await;
});

db_test!(revoked_credential_shows_no_withholding, |b| async move {
    // Credential.withheld_until is "set while withheld"; a revoked
    // credential is not withheld any more.
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    let name = w.cred_a.name.clone();
    withhold(&mut c, &name, Utc::now() + Duration::days(10))
        .await
        .expect("withhold");
    let x = revoke(&mut c, &name).await.expect("revoke");
    assert_eq!(x.status, CredentialStatus::Revoked as i32);
    assert_eq!(x.withheld_until, None, "{x:?}");
    let v = s
        .public()
        .await
        .verify_credential(VerifyCredentialRequest {
            number: w.cred_a.number.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v.status, CredentialStatus::Revoked as i32);
    assert_eq!(v.withheld_until, None, "{v:?}");
    s.stop().await;
});

db_test!(withheld_is_valid_again_after_its_date, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    let until = Utc::now() + Duration::days(5);
    withhold(&mut c, &w.cred_a.name, until)
        .await
        .expect("withhold");
    let at = |d: i64| Utc::now() + Duration::days(d);
    let during = check(&s, &w.dept.name, &w.penalty.name, at(1), &[&w.a], 1).await;
    assert_eq!(
        problems(&during, &w.a.name),
        vec![ActorProblem::CredentialWithheld]
    );
    let after = check(&s, &w.dept.name, &w.penalty.name, at(6), &[&w.a], 1).await;
    assert!(qualified(&after, &w.a.name), "{after:?}");
    assert_eq!(after.actors[0].credential, w.cred_a.name);
    // not retroactive
    let before = check(&s, &w.dept.name, &w.penalty.name, at(-1), &[&w.a], 1).await;
    assert!(qualified(&before, &w.a.name), "{before:?}");

    // in real time, without any job running: withheld for 1.5 s
    let short = Utc::now() + Duration::milliseconds(1500);
    let x = withhold(&mut c, &w.cred_b.name, short)
        .await
        .expect("short withholding");
    assert_eq!(x.status, CredentialStatus::Withheld as i32);
    tokio::time::sleep(std::time::Duration::from_millis(2000)).await;
    let x = c
        .get_credential(GetCredentialRequest {
            name: w.cred_b.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(x.status, CredentialStatus::Valid as i32, "{x:?}");
    assert_eq!(x.withheld_until, None);
    let v = s
        .public()
        .await
        .verify_credential(VerifyCredentialRequest {
            number: w.cred_b.number.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v.status, CredentialStatus::Valid as i32);
    let valid = c
        .list_credentials(ListCredentialsRequest {
            status: CredentialStatus::Valid as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(names(&valid.credentials), vec![w.cred_b.name.clone()]);
    // and releasing it now is refused: it is no longer withheld
    expect_err(
        c.release_credential(ReleaseCredentialRequest {
            request_id: rid(),
            name: w.cred_b.name.clone(),
            reason: "发还".into(),
        })
        .await,
        Code::FailedPrecondition,
        "CREDENTIAL_NOT_WITHHELD",
    );
    s.stop().await;
});

db_test!(expiry_follows_the_dates, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    let now = Utc::now();
    let y = |n: i64| Duration::days(365 * n);
    let o = officer(
        &s,
        &w.dept,
        "孙八",
        OfficerKind::Officer,
        vec![w.post.name.clone()],
        30,
        since(),
    )
    .await;
    let old = c
        .issue_credential(issue_req(&o, "HLJ-OLD-1", now - y(3), now - y(1)))
        .await
        .expect("an expired credential on record")
        .into_inner();
    assert_eq!(old.status, CredentialStatus::Expired as i32);
    let next = c
        .issue_credential(issue_req(&o, "HLJ-NEXT-1", now + y(1), now + y(4)))
        .await
        .expect("a future credential")
        .into_inner();
    assert_eq!(next.status, CredentialStatus::NotYetValid as i32);

    // An expired card may be withheld (a sanction binds its holder: no new
    // card before it ends); it stays expired.
    let held = withhold(&mut c, &old.name, now + Duration::days(1))
        .await
        .expect("withhold an expired card");
    assert_eq!(held.status, CredentialStatus::Expired as i32);
    expect_err(
        release(&mut c, &old.name).await,
        Code::FailedPrecondition,
        "CREDENTIAL_EXPIRED",
    );
    expect_err(
        release(&mut c, &next.name).await,
        Code::FailedPrecondition,
        "CREDENTIAL_NOT_YET_VALID",
    );

    let r = check(&s, &w.dept.name, &w.penalty.name, now, &[&o], 1).await;
    assert_eq!(
        problems(&r, &o.name),
        vec![ActorProblem::CredentialNotYetValid]
    );
    let r = check(&s, &w.dept.name, &w.penalty.name, now + y(2), &[&o], 1).await;
    assert!(qualified(&r, &o.name), "{r:?}");
    assert_eq!(r.actors[0].credential, next.name);
    let r = check(&s, &w.dept.name, &w.penalty.name, now + y(5), &[&o], 1).await;
    assert_eq!(problems(&r, &o.name), vec![ActorProblem::CredentialExpired]);

    let by = |st: CredentialStatus| {
        let mut c = c.clone();
        async move {
            names(
                &c.list_credentials(ListCredentialsRequest {
                    status: st as i32,
                    ..Default::default()
                })
                .await
                .expect("list")
                .into_inner()
                .credentials,
            )
        }
    };
    assert_eq!(by(CredentialStatus::Expired).await, vec![old.name.clone()]);
    assert_eq!(
        by(CredentialStatus::NotYetValid).await,
        vec![next.name.clone()]
    );

    // in real time: valid for 1.5 s more, then expired, with no job running
    let p = officer(
        &s,
        &w.dept,
        "周九",
        OfficerKind::Officer,
        vec![w.post.name.clone()],
        31,
        since(),
    )
    .await;
    let short = c
        .issue_credential(issue_req(
            &p,
            "HLJ-SHORT-1",
            now - y(1),
            Utc::now() + Duration::milliseconds(1500),
        ))
        .await
        .expect("short credential")
        .into_inner();
    assert_eq!(short.status, CredentialStatus::Valid as i32);
    tokio::time::sleep(std::time::Duration::from_millis(2000)).await;
    let got = c
        .get_credential(GetCredentialRequest {
            name: short.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.status, CredentialStatus::Expired as i32);
    assert_eq!(kinds(&got), vec!["ISSUED"], "expiry is not an event");
    s.stop().await;
});

db_test!(auxiliary_cannot_hold_a_credential, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    let before = head(&s).await;
    let now = Utc::now();
    expect_err(
        c.issue_credential(issue_req(
            &w.aux,
            "HLJ-AUX-1",
            now - Duration::days(1),
            now + Duration::days(365),
        ))
        .await,
        Code::FailedPrecondition,
        "AUXILIARY_CANNOT_HOLD_CREDENTIAL",
    );
    assert_eq!(head(&s).await, before);
    let held = c
        .list_credentials(ListCredentialsRequest {
            holder: w.aux.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(held.credentials.is_empty());
    expect_code(
        s.public()
            .await
            .verify_credential(VerifyCredentialRequest {
                number: "HLJ-AUX-1".into(),
            })
            .await,
        Code::NotFound,
    );
    s.stop().await;
});

db_test!(overlapping_windows_are_refused, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    let now = Utc::now();
    let until_a = now + Duration::days(3 * 365);
    expect_err(
        c.issue_credential(issue_req(
            &w.a,
            "HLJ-0101",
            now + Duration::days(365),
            now + Duration::days(5 * 365),
        ))
        .await,
        Code::FailedPrecondition,
        "CREDENTIAL_OVERLAPS",
    );
    expect_err(
        c.issue_credential(issue_req(
            &w.a,
            "HLJ-0102",
            now - Duration::days(3 * 365),
            now - Duration::days(30),
        ))
        .await,
        Code::FailedPrecondition,
        "CREDENTIAL_OVERLAPS",
    );
    // control: the next card, starting when this one ends
    let valid_until = w.cred_a.valid_until.unwrap();
    let from = DateTime::from_timestamp(valid_until.seconds, valid_until.nanos as u32).unwrap();
    let next = c
        .issue_credential(issue_req(
            &w.a,
            "HLJ-0103",
            from,
            until_a + Duration::days(3 * 365),
        ))
        .await
        .expect("adjacent window")
        .into_inner();
    assert_eq!(next.status, CredentialStatus::NotYetValid as i32);
    // a revoked card does not block a replacement
    revoke(&mut c, &w.cred_b.name).await.expect("revoke b");
    let repl = c
        .issue_credential(issue_req(&w.b, "HLJ-0104", now, now + Duration::days(365)))
        .await
        .expect("replacement after revocation")
        .into_inner();
    assert_eq!(repl.status, CredentialStatus::Valid as i32);
    let r = check(&s, &w.dept.name, &w.penalty.name, Utc::now(), &[&w.b], 1).await;
    assert!(qualified(&r, &w.b.name), "{r:?}");
    assert_eq!(r.actors[0].credential, repl.name);
    s.stop().await;
});

db_test!(duplicate_number_is_refused, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    let o = officer(
        &s,
        &w.other,
        "吴十",
        OfficerKind::Officer,
        vec![],
        40,
        since(),
    )
    .await;
    let now = Utc::now();
    expect_err(
        c.issue_credential(issue_req(&o, "HLJ-0001", now, now + Duration::days(365)))
            .await,
        Code::AlreadyExists,
        "CREDENTIAL_NUMBER_TAKEN",
    );
    // even once the first is revoked: numbers are never reused
    revoke(&mut c, &w.cred_a.name).await.unwrap();
    expect_err(
        c.issue_credential(issue_req(&o, "HLJ-0001", now, now + Duration::days(365)))
            .await,
        Code::AlreadyExists,
        "CREDENTIAL_NUMBER_TAKEN",
    );
    let v = s
        .public()
        .await
        .verify_credential(VerifyCredentialRequest {
            number: "HLJ-0001".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v.body, w.dept.name, "still the first holder's card");
    s.stop().await;
});

db_test!(withhold_until_rules, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    expect_invalid(
        withhold(&mut c, &w.cred_a.name, Utc::now() - Duration::hours(1)).await,
        &["until"],
    );
    expect_invalid(
        c.withhold_credential(WithholdCredentialRequest {
            request_id: rid(),
            name: "HLJ-0001".into(),
            until: None,
            reason: "".into(),
        })
        .await,
        &["name", "reason", "until"],
    );
    expect_err(
        withhold(
            &mut c,
            "credentials/nosuchcredential",
            Utc::now() + Duration::days(1),
        )
        .await,
        Code::NotFound,
        "NOT_FOUND",
    );
    let got = c
        .get_credential(GetCredentialRequest {
            name: w.cred_a.name.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(kinds(&got), vec!["ISSUED"]);
    s.stop().await;
});

/// A new officer on the world's post holding card `number` valid until
/// `card_until`, withheld until `withheld_until`.
async fn withheld_holder(
    s: &TestServer,
    w: &World,
    (name, n): (&str, u32),
    number: &str,
    card_until: DateTime<Utc>,
    withheld_until: DateTime<Utc>,
) -> (Officer, Credential) {
    let now = Utc::now();
    let o = officer(
        s,
        &w.dept,
        name,
        OfficerKind::Officer,
        vec![w.post.name.clone()],
        n,
        since(),
    )
    .await;
    let card = credential(s, &o, number, now - Duration::days(300), card_until).await;
    withhold(&mut s.legal().await, &card.name, withheld_until)
        .await
        .expect("withhold");
    (o, card)
}

// A withholding binds the holder, not only the card (Art. 21): a card that
// expires or is revoked while withheld leaves the sanction in force, and no
// new card may start before it ends, whoever asks; once released, or from its
// end, one may.
db_test!(no_new_credential_during_a_withholding, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut legal = s.legal().await;
    let mut dept = s
        .registry(&s.token(Role::Department, Some(&w.dept.name)))
        .await;
    let now = Utc::now();
    let d = Duration::days;
    let (o, short) = withheld_holder(
        &s,
        &w,
        ("周九", 31),
        "HLJ-SHORT-1",
        now + d(10),
        now + d(30),
    )
    .await;

    // After the withheld card expires, but before the withholding ends.
    let e = dept
        .issue_credential(issue_req(&o, "HLJ-ESCAPE-1", now + d(10), now + d(900)))
        .await;
    expect_err(e, Code::FailedPrecondition, "HOLDER_CREDENTIAL_WITHHELD");
    // The card revoked: the withholding still binds its holder.
    revoke(&mut legal, &short.name).await.expect("revoke");
    for c in [&mut dept, &mut legal] {
        let e = c
            .issue_credential(issue_req(&o, "HLJ-ESCAPE-2", now, now + d(900)))
            .await;
        expect_err(e, Code::FailedPrecondition, "HOLDER_CREDENTIAL_WITHHELD");
    }
    let r = check(&s, &w.dept.name, &w.penalty.name, now + d(20), &[&o], 1).await;
    assert!(!qualified(&r, &o.name), "{r:?}");

    // From the withholding's end a new card may start.
    let later = dept
        .issue_credential(issue_req(&o, "HLJ-AFTER-1", now + d(31), now + d(900)))
        .await
        .expect("a card starting after the withholding")
        .into_inner();
    let r = check(&s, &w.dept.name, &w.penalty.name, now + d(40), &[&o], 1).await;
    assert!(qualified(&r, &o.name), "{r:?}");
    assert_eq!(r.actors[0].credential, later.name);

    // Released early: the officer may have a card again at once.
    let (p, card) =
        withheld_holder(&s, &w, ("吴十", 32), "HLJ-REL-1", now + d(5), now + d(60)).await;
    let e = dept
        .issue_credential(issue_req(&p, "HLJ-REL-2", now + d(5), now + d(900)))
        .await;
    expect_err(e, Code::FailedPrecondition, "HOLDER_CREDENTIAL_WITHHELD");
    release(&mut legal, &card.name).await.expect("release");
    dept.issue_credential(issue_req(&p, "HLJ-REL-2", now + d(5), now + d(900)))
        .await
        .expect("after the release");
    s.stop().await;
});

// A department may withhold its officer's card, and for longer, but not cut
// short a withholding in force: that lifts part of it, as ReleaseCredential
// does, which only the legal-affairs office may.
db_test!(a_department_cannot_shorten_a_withholding, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut office = s.legal().await;
    let mut dept = s
        .registry(&s.token(Role::Department, Some(&w.dept.name)))
        .await;
    let name = w.cred_a.name.clone();
    withhold(&mut office, &name, Utc::now() + Duration::days(30))
        .await
        .expect("the office withholds");
    expect_err(
        withhold(&mut dept, &name, Utc::now() + Duration::hours(1)).await,
        Code::PermissionDenied,
        "WITHHOLDING_SHORTENED",
    );
    let longer = withhold(&mut dept, &name, Utc::now() + Duration::days(60))
        .await
        .expect("the department extends it");
    assert!(near(
        &longer.withheld_until,
        Utc::now() + Duration::days(60)
    ));
    // the office may shorten it
    withhold(&mut office, &name, Utc::now() + Duration::days(1))
        .await
        .expect("the office shortens it");
    s.stop().await;
});

// A renewal issued before a withholding does not escape it: while a card of
// the holder is withheld, no other card of theirs makes them qualified, and
// the public check of the renewal shows it WITHHELD (Art. 21(3)).
db_test!(a_renewal_does_not_escape_a_withholding, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let o = officer(
        &s,
        &w.dept,
        "周八",
        OfficerKind::Officer,
        vec![w.post.name.clone()],
        8,
        since(),
    )
    .await;
    let old_until = Utc::now() - Duration::days(1);
    let old = credential(&s, &o, "HLJ-0800", since(), old_until).await;
    let renewal = credential(
        &s,
        &o,
        "HLJ-0801",
        old_until,
        Utc::now() + Duration::days(365),
    )
    .await;
    let r = check(&s, &w.dept.name, &w.penalty.name, Utc::now(), &[&o], 1).await;
    assert!(r.actors[0].qualified, "{r:?}");
    let mut c = s.legal().await;
    let until = Utc::now() + Duration::days(10);
    withhold(&mut c, &old.name, until)
        .await
        .expect("withhold the expired card");
    let r = check(&s, &w.dept.name, &w.penalty.name, Utc::now(), &[&o], 1).await;
    assert_eq!(
        problems(&r, &o.name),
        vec![ActorProblem::CredentialWithheld]
    );
    // after it ends, the renewal serves
    let r = check(
        &s,
        &w.dept.name,
        &w.penalty.name,
        until + Duration::days(1),
        &[&o],
        1,
    )
    .await;
    assert!(r.actors[0].qualified, "{r:?}");
    let mut p = s.public().await;
    let mut status = 0;
    for _ in 0..100 {
        let v = p
            .verify_credential(VerifyCredentialRequest {
                number: renewal.number.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        status = v.status;
        if status == CredentialStatus::Withheld as i32 {
            assert!(near(&v.withheld_until, until), "{v:?}");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(status, CredentialStatus::Withheld as i32);
    s.stop().await;
});
