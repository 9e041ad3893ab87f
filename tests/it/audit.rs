//! The audit chain: every write appends an entry; VerifyAuditChain (and the
//! `probity audit verify` CLI) names the first bad entry for each kind of
//! tampering made with raw SQL.
use chrono::{Duration, Utc};
use probity_common::{
    audit::{Entry, GENESIS, sha256_hex},
    auth::Role,
};
use probity_proto::{
    audit::v1::{ListAuditEntriesRequest, VerifyAuditChainRequest},
    registry::v1::*,
};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, FromQueryResult, Statement, Value,
};
use tonic::Code;

use crate::{db_test, fixtures::*, harness::TestServer, util::*};

const REG: &str = "/probity.registry.v1.RegistryService/";

/// Runs `f`, then checks it appended entries whose last names `method` and `entity`.
macro_rules! audited {
    ($s:expr, $method:expr, $entity:expr, $call:expr) => {{
        let before = head($s).await;
        let out = $call;
        let entries = audit_entries($s).await;
        let last = entries.last().expect("an entry");
        assert!(last.sequence > before, "{} added no audit entry", $method);
        assert_eq!(last.method, format!("{REG}{}", $method));
        assert_eq!(last.entity, $entity(&out));
        assert_eq!(last.actor, "test-legal_office");
        assert_eq!(last.role, "legal_office");
        out
    }};
}

db_test!(every_write_adds_an_entry, |b| async move {
    let s = TestServer::start(b).await;
    let mut c = s.legal().await;
    let gov = audited!(&s, "CreateBody", |b: &Body| b.name.clone(), {
        body(&s, "尚志市人民政府", BodyKind::Government, "").await
    });
    let dept = audited!(&s, "CreateBody", |b: &Body| b.name.clone(), {
        body(&s, "尚志市市场监督管理局", BodyKind::Department, &gov.name).await
    });
    let other = body(&s, "尚志市生态环境局", BodyKind::Department, &gov.name).await;
    let unit = audited!(&s, "CreateUnit", |u: &Unit| u.name.clone(), {
        c.create_unit(CreateUnitRequest {
            request_id: rid(),
            parent: dept.name.clone(),
            unit: Some(Unit {
                display_name: "执法一科".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner()
    });
    let post = audited!(&s, "CreatePost", |p: &Post| p.name.clone(), {
        c.create_post(CreatePostRequest {
            request_id: rid(),
            parent: dept.name.clone(),
            post: Some(Post {
                display_name: "科员".into(),
                unit: unit.name.clone(),
                responsibilities: "执法".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner()
    });
    let power = audited!(&s, "CreatePower", |p: &Power| p.name.clone(), {
        c.create_power(CreatePowerRequest {
            request_id: rid(),
            parent: dept.name.clone(),
            power: Some(penalty_power("CF-001")),
            legal_basis_change: basis_change(),
            effective_time: Some(ts(since())),
            backdate_reason: crate::fixtures::LATE.into(),
        })
        .await
        .unwrap()
        .into_inner()
    });
    audited!(&s, "SetPostPowers", |p: &Post| p.name.clone(), {
        c.set_post_powers(SetPostPowersRequest {
            request_id: rid(),
            post: post.name.clone(),
            powers: vec![power.name.clone()],
            effective_time: Some(ts(since())),
            backdate_reason: crate::fixtures::LATE.into(),
        })
        .await
        .unwrap()
        .into_inner()
    });
    let mut next = power.clone();
    next.duty = "新的责任".into();
    let power = audited!(&s, "RevisePower", |p: &Power| p.name.clone(), {
        c.revise_power(RevisePowerRequest {
            request_id: rid(),
            power: Some(next),
            reason: "修订".into(),
            effective_time: None,
        })
        .await
        .unwrap()
        .into_inner()
    });
    let a = audited!(&s, "CreateOfficer", |o: &Officer| o.name.clone(), {
        officer(
            &s,
            &dept,
            "张三明",
            OfficerKind::Officer,
            vec![post.name.clone()],
            1,
            since(),
        )
        .await
    });
    audited!(&s, "SetOfficerPosts", |o: &Officer| o.name.clone(), {
        c.set_officer_posts(SetOfficerPostsRequest {
            request_id: rid(),
            officer: a.name.clone(),
            posts: vec![],
            reason: "撤岗".into(),
            effective_time: None,
        })
        .await
        .unwrap()
        .into_inner()
    });
    audited!(&s, "SetOfficerStatus", |o: &Officer| o.name.clone(), {
        c.set_officer_status(SetOfficerStatusRequest {
            request_id: rid(),
            officer: a.name.clone(),
            status: OfficerStatus::OffPostTraining as i32,
            reason: "培训".into(),
            effective_time: None,
        })
        .await
        .unwrap()
        .into_inner()
    });
    audited!(&s, "TransferOfficer", |o: &Officer| o.name.clone(), {
        c.transfer_officer(TransferOfficerRequest {
            request_id: rid(),
            officer: a.name.clone(),
            to_body: other.name.clone(),
            posts: vec![],
            reason: "调动".into(),
            effective_time: None,
        })
        .await
        .unwrap()
        .into_inner()
    });
    let cred = audited!(&s, "IssueCredential", |c: &Credential| c.name.clone(), {
        credential(
            &s,
            &a,
            "HLJ-0001",
            since(),
            Utc::now() + Duration::days(365),
        )
        .await
    });
    audited!(&s, "WithholdCredential", |c: &Credential| c.name.clone(), {
        c.withhold_credential(WithholdCredentialRequest {
            request_id: rid(),
            name: cred.name.clone(),
            until: Some(ts(Utc::now() + Duration::days(3))),
            reason: "暂扣".into(),
        })
        .await
        .unwrap()
        .into_inner()
    });
    audited!(&s, "ReleaseCredential", |c: &Credential| c.name.clone(), {
        c.release_credential(ReleaseCredentialRequest {
            request_id: rid(),
            name: cred.name.clone(),
            reason: "发还".into(),
        })
        .await
        .unwrap()
        .into_inner()
    });
    audited!(&s, "RevokeCredential", |c: &Credential| c.name.clone(), {
        c.revoke_credential(RevokeCredentialRequest {
            request_id: rid(),
            name: cred.name.clone(),
            reason: "缴销".into(),
        })
        .await
        .unwrap()
        .into_inner()
    });
    audited!(&s, "WithdrawPower", |p: &Power| p.name.clone(), {
        c.withdraw_power(WithdrawPowerRequest {
            request_id: rid(),
            name: power.name.clone(),
            legal_basis_change: basis_change(),
            effective_time: None,
            backdate_reason: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
    });

    // reads and refused writes add nothing
    let h = head(&s).await;
    c.list_bodies(ListBodiesRequest::default()).await.unwrap();
    c.get_officer(GetOfficerRequest {
        name: a.name.clone(),
    })
    .await
    .unwrap();
    c.list_credentials(ListCredentialsRequest::default())
        .await
        .unwrap();
    err(c
        .revoke_credential(RevokeCredentialRequest {
            request_id: rid(),
            name: cred.name.clone(),
            reason: "再缴销".into(),
        })
        .await);
    err(c
        .create_body(CreateBodyRequest {
            request_id: rid(),
            body: None,
        })
        .await);
    assert_eq!(head(&s).await, h);

    // the chain links up and verifies
    let entries = audit_entries(&s).await;
    assert_eq!(entries.len() as i64, h);
    assert_eq!(entries[0].previous_hash, GENESIS);
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.sequence, i as i64 + 1);
        assert_eq!(e.digest, sha256_hex(e.change.as_bytes()), "{e:?}");
        assert_eq!(e.entry_hash.len(), 64);
        assert!(e.time.is_some());
        if i > 0 {
            assert_eq!(e.previous_hash, entries[i - 1].entry_hash);
        }
    }
    let v = verify_chain(&s).await;
    assert!(v.ok, "{v:?}");
    assert_eq!(v.entries_checked, h);
    assert_eq!(v.head_sequence, h);
    assert_eq!(v.head_hash, entries.last().unwrap().entry_hash);
    assert_eq!(v.first_bad_sequence, 0);
    assert_eq!(v.problem, "");
    s.stop().await;
});

db_test!(entries_by_entity_and_ranges, |b| async move {
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    let mut c = s.legal().await;
    c.withhold_credential(WithholdCredentialRequest {
        request_id: rid(),
        name: w.cred_a.name.clone(),
        until: Some(ts(Utc::now() + Duration::days(3))),
        reason: "暂扣".into(),
    })
    .await
    .unwrap();
    let mut a = auditor(&s).await;
    let about = a
        .list_audit_entries(ListAuditEntriesRequest {
            service: "registry".into(),
            entity: w.cred_a.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .entries;
    let methods: Vec<&str> = about.iter().map(|e| e.method.as_str()).collect();
    assert_eq!(
        methods,
        vec![
            "/probity.registry.v1.RegistryService/IssueCredential",
            "/probity.registry.v1.RegistryService/WithholdCredential"
        ]
    );
    assert!(about[1].change.contains("暂扣"), "{:?}", about[1]);
    let with_service = a
        .list_audit_entries(ListAuditEntriesRequest {
            service: "registry".into(),
            page_size: 2,
            ..Default::default()
        })
        .await
        .expect("service named")
        .into_inner()
        .entries;
    assert_eq!(with_service.len(), 2);

    let r = verify_range(&s, 2, 4).await;
    assert!(r.ok, "{r:?}");
    assert_eq!(r.entries_checked, 3);
    let n = head(&s).await;
    let r = verify_range(&s, 5, 0).await;
    assert!(r.ok);
    assert_eq!(r.entries_checked, n - 4);

    expect_invalid(
        a.verify_audit_chain(VerifyAuditChainRequest {
            from_sequence: 5,
            to_sequence: 3,
            service: "registry".into(),
        })
        .await,
        &["to_sequence"],
    );
    expect_invalid(
        a.verify_audit_chain(VerifyAuditChainRequest {
            from_sequence: -1,
            to_sequence: -1,
            service: "registry".into(),
        })
        .await,
        &["from_sequence", "to_sequence"],
    );
    expect_invalid(
        a.verify_audit_chain(VerifyAuditChainRequest {
            service: "nosuchservice".into(),
            ..Default::default()
        })
        .await,
        &["service"],
    );
    expect_invalid(
        a.list_audit_entries(ListAuditEntriesRequest {
            service: "registry".into(),
            from_sequence: -3,
            page_size: -1,
            ..Default::default()
        })
        .await,
        &["from_sequence", "page_size"],
    );
    s.stop().await;
});

db_test!(ranges_at_and_beyond_the_head, |b| async move {
    // Incremental checks ask for what was added since the last head.
    let s = TestServer::start(b).await;
    world(&s).await;
    let n = head(&s).await;
    let r = verify_range(&s, n + 1, 0).await;
    assert!(r.ok, "nothing new is not a broken chain: {r:?}");
    assert_eq!(r.entries_checked, 0);
    let r = verify_range(&s, 1, n + 10).await;
    assert!(r.ok, "{r:?}");
    assert_eq!(r.entries_checked, n);
    let r = verify_range(&s, n, n).await;
    assert!(r.ok, "{r:?}");
    assert_eq!(r.entries_checked, 1);
    s.stop().await;
});

// ---- tampering ----

fn stmt(db: &DatabaseConnection, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}

async fn rows(db: &DatabaseConnection) -> Vec<Entry> {
    Entry::find_by_statement(stmt(
        db,
        "SELECT * FROM registry_audit_entries ORDER BY seq",
        vec![],
    ))
    .all(db)
    .await
    .expect("read entries")
}

/// What an attacker with the owner's rights on the database does first.
async fn drop_triggers(db: &DatabaseConnection) {
    drop_guards(db, "registry").await;
}

/// Drops every trigger guarding `prefix`'s chain (entries append-only; the
/// head forward-only and never deleted; no TRUNCATE on PostgreSQL).
async fn drop_guards(db: &DatabaseConnection, prefix: &str) {
    let (entries, head, checks) = (
        format!("{prefix}_audit_entries"),
        format!("{prefix}_audit_head"),
        format!("{prefix}_key_checks"),
    );
    let triggers = match db.get_database_backend() {
        DatabaseBackend::Postgres => vec![
            format!("{entries}_append_only ON {entries}"),
            format!("{entries}_no_truncate ON {entries}"),
            format!("{head}_no_truncate ON {head}"),
            format!("{checks}_no_truncate ON {checks}"),
            format!("{head}_forward_only ON {head}"),
        ],
        _ => vec![
            format!("{entries}_no_UPDATE"),
            format!("{entries}_no_DELETE"),
            format!("{head}_no_delete"),
            format!("{head}_forward_only"),
        ],
    };
    for t in triggers {
        db.execute_unprepared(&format!("DROP TRIGGER {t}"))
            .await
            .unwrap_or_else(|e| panic!("drop trigger {t}: {e}"));
    }
}

/// Overwrites every column but seq of row `seq` with `e`'s values.
async fn overwrite(db: &DatabaseConnection, seq: i64, e: &Entry) {
    db.execute_raw(stmt(
        db,
        "UPDATE registry_audit_entries SET at_us = $1, actor = $2, role = $3, method = $4, \
         entity = $5, change = $6, digest = $7, prev_hash = $8, hash = $9 WHERE seq = $10",
        vec![
            e.at_us.into(),
            e.actor.clone().into(),
            e.role.clone().into(),
            e.method.clone().into(),
            e.entity.clone().into(),
            e.change.clone().into(),
            e.digest.clone().into(),
            e.prev_hash.clone().into(),
            e.hash.clone().into(),
            seq.into(),
        ],
    ))
    .await
    .expect("overwrite row");
}

async fn insert(db: &DatabaseConnection, e: &Entry) {
    db.execute_raw(stmt(
        db,
        "INSERT INTO registry_audit_entries (seq, at_us, actor, role, method, entity, change, \
         digest, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        vec![
            e.seq.into(),
            e.at_us.into(),
            e.actor.clone().into(),
            e.role.clone().into(),
            e.method.clone().into(),
            e.entity.clone().into(),
            e.change.clone().into(),
            e.digest.clone().into(),
            e.prev_hash.clone().into(),
            e.hash.clone().into(),
        ],
    ))
    .await
    .expect("insert row");
}

/// A server with a world in it (15+ entries), a verified chain, and a raw
/// connection with the append-only triggers dropped.
async fn tamper_setup(b: crate::harness::Backend) -> (TestServer, DatabaseConnection, Vec<Entry>) {
    let s = TestServer::start(b).await;
    world(&s).await;
    let v = verify_chain(&s).await;
    assert!(v.ok, "{v:?}");
    assert!(v.head_sequence >= 10);
    let db = s.raw_db().await;
    drop_triggers(&db).await;
    let all = rows(&db).await;
    assert_eq!(all.len() as i64, v.head_sequence);
    (s, db, all)
}

#[track_caller]
fn assert_bad(v: &probity_proto::audit::v1::VerifyAuditChainResponse, seq: i64, problem: &str) {
    assert!(!v.ok, "tampering not detected: {v:?}");
    assert_eq!(v.first_bad_sequence, seq, "{v:?}");
    assert_eq!(v.problem, problem, "{v:?}");
}

db_test!(triggers_block_plain_updates_and_deletes, |b| async move {
    let s = TestServer::start(b).await;
    world(&s).await;
    let db = s.raw_db().await;
    let u = db
        .execute_unprepared("UPDATE registry_audit_entries SET actor = 'mallory' WHERE seq = 3")
        .await;
    assert!(u.is_err(), "an UPDATE went through: {u:?}");
    let d = db
        .execute_unprepared("DELETE FROM registry_audit_entries WHERE seq = 3")
        .await;
    assert!(d.is_err(), "a DELETE went through: {d:?}");
    let v = verify_chain(&s).await;
    assert!(v.ok, "{v:?}");
    assert_eq!(rows(&db).await[2].actor, "test-legal_office");
    s.stop().await;
});

db_test!(edited_change_is_caught, |b| async move {
    let (s, db, _) = tamper_setup(b).await;
    db.execute_unprepared(
        "UPDATE registry_audit_entries SET change = '{\"op\":\"forged\"}' WHERE seq = 3",
    )
    .await
    .unwrap();
    assert_bad(&verify_chain(&s).await, 3, "EDITED");
    // the range before it still verifies
    let r = verify_range(&s, 1, 2).await;
    assert!(r.ok, "{r:?}");
    s.stop().await;
});

db_test!(edited_actor_is_caught, |b| async move {
    let (s, db, _) = tamper_setup(b).await;
    db.execute_unprepared("UPDATE registry_audit_entries SET actor = 'mallory' WHERE seq = 5")
        .await
        .unwrap();
    assert_bad(&verify_chain(&s).await, 5, "EDITED");
    s.stop().await;
});

db_test!(
    edited_change_with_a_recomputed_digest_is_caught,
    |b| async move {
        // The digest is a plain SHA-256 anyone can recompute; the entry hash is
        // keyed, so the edit still shows.
        let (s, db, all) = tamper_setup(b).await;
        let mut e = all[3].clone();
        e.change = "{\"op\":\"forged\"}".into();
        e.digest = sha256_hex(e.change.as_bytes());
        overwrite(&db, 4, &e).await;
        assert_bad(&verify_chain(&s).await, 4, "EDITED");
        s.stop().await;
    }
);

db_test!(deleted_row_is_caught, |b| async move {
    let (s, db, _) = tamper_setup(b).await;
    db.execute_unprepared("DELETE FROM registry_audit_entries WHERE seq = 3")
        .await
        .unwrap();
    assert_bad(&verify_chain(&s).await, 3, "MISSING");
    s.stop().await;
});

db_test!(deleted_first_row_is_caught, |b| async move {
    let (s, db, _) = tamper_setup(b).await;
    db.execute_unprepared("DELETE FROM registry_audit_entries WHERE seq = 1")
        .await
        .unwrap();
    assert_bad(&verify_chain(&s).await, 1, "MISSING");
    s.stop().await;
});

db_test!(reordered_rows_are_caught, |b| async move {
    let (s, db, all) = tamper_setup(b).await;
    // swap the contents of entries 6 and 7
    overwrite(&db, 6, &all[6]).await;
    overwrite(&db, 7, &all[5]).await;
    assert_bad(&verify_chain(&s).await, 6, "OUT_OF_ORDER");
    let r = verify_range(&s, 1, 5).await;
    assert!(r.ok, "{r:?}");
    s.stop().await;
});

db_test!(inserted_row_beyond_the_head_is_caught, |b| async move {
    let (s, db, all) = tamper_setup(b).await;
    let last = all.last().unwrap();
    let mut e = last.clone();
    e.seq = last.seq + 1;
    e.at_us += 1;
    e.change = "{\"op\":\"create_body\",\"forged\":true}".into();
    e.digest = sha256_hex(e.change.as_bytes());
    e.prev_hash = last.hash.clone();
    e.hash = sha256_hex(b"no key");
    insert(&db, &e).await;
    assert_bad(&verify_chain(&s).await, last.seq + 1, "INSERTED");
    s.stop().await;
});

db_test!(inserted_row_in_the_middle_is_caught, |b| async move {
    let (s, db, all) = tamper_setup(b).await;
    let n = all.len() as i64;
    // make room at 4 and slip a forged entry in, linked to entry 3
    db.execute_unprepared("UPDATE registry_audit_entries SET seq = seq + 1000000 WHERE seq >= 4")
        .await
        .unwrap();
    db.execute_unprepared(
        "UPDATE registry_audit_entries SET seq = seq - 999999 WHERE seq >= 1000000",
    )
    .await
    .unwrap();
    let mut e = all[2].clone();
    e.seq = 4;
    e.change = "{\"op\":\"forged\"}".into();
    e.digest = sha256_hex(e.change.as_bytes());
    e.prev_hash = all[2].hash.clone();
    e.hash = sha256_hex(b"no key");
    insert(&db, &e).await;
    assert_eq!(rows(&db).await.len() as i64, n + 1);
    let v = verify_chain(&s).await;
    assert!(!v.ok, "{v:?}");
    assert_eq!(v.first_bad_sequence, 4, "{v:?}");
    s.stop().await;
});

db_test!(truncated_tail_is_caught, |b| async move {
    let (s, db, all) = tamper_setup(b).await;
    let n = all.len() as i64;
    db.execute_raw(stmt(
        &db,
        "DELETE FROM registry_audit_entries WHERE seq > $1",
        vec![(n - 2).into()],
    ))
    .await
    .unwrap();
    assert_bad(&verify_chain(&s).await, n - 1, "TRUNCATED");
    let r = verify_range(&s, 1, n - 2).await;
    assert!(r.ok, "{r:?}");
    s.stop().await;
});

db_test!(
    truncated_tail_with_a_rewritten_head_is_caught,
    |b| async move {
        // The attacker who can drop the triggers can also move the head row back
        // to the entry they kept; the head is not keyed, so only a check that
        // does not trust it catches the deletion.
        let (s, db, all) = tamper_setup(b).await;
        let n = all.len() as i64;
        db.execute_raw(stmt(
            &db,
            "DELETE FROM registry_audit_entries WHERE seq > $1",
            vec![(n - 2).into()],
        ))
        .await
        .unwrap();
        db.execute_raw(stmt(
            &db,
            "UPDATE registry_audit_head SET seq = $1, hash = $2 WHERE id = 1",
            vec![(n - 2).into(), all[(n - 3) as usize].hash.clone().into()],
        ))
        .await
        .unwrap();
        let v = verify_chain(&s).await;
        assert!(!v.ok, "two deleted entries went unnoticed: {v:?}");
        s.stop().await;
    }
);

db_test!(tampering_with_the_last_entry_is_caught, |b| async move {
    let (s, db, all) = tamper_setup(b).await;
    let n = all.len() as i64;
    db.execute_raw(stmt(
        &db,
        "UPDATE registry_audit_entries SET entity = 'bodies/forged' WHERE seq = $1",
        vec![n.into()],
    ))
    .await
    .unwrap();
    assert_bad(&verify_chain(&s).await, n, "EDITED");
    s.stop().await;
});

// ---- the CLI ----

async fn cli_verify(s: &TestServer) -> (i32, String) {
    cli(s, &["audit", "verify"]).await
}

/// Runs `probity args` against the test server's database and keys.
async fn cli(s: &TestServer, args: &[&str]) -> (i32, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_probity"))
        .args(args)
        .env_remove("PROBITY_CONFIG")
        .env("PROBITY__DATABASE__DATA_DIR", s.data_dir())
        .env("PROBITY__DATABASE__URL", &s.db_url)
        .envs(s.issuer_env())
        .output()
        .await
        .expect("run probity");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

db_test!(cli_verifies_and_names_the_bad_entry, |b| async move {
    let (s, db, all) = tamper_setup(b).await;
    let n = all.len();
    let (code, out) = cli_verify(&s).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("OK"), "{out}");
    assert!(out.contains(&format!("{n} entries checked")), "{out}");
    db.execute_unprepared("UPDATE registry_audit_entries SET actor = 'mallory' WHERE seq = 7")
        .await
        .unwrap();
    let (code, out) = cli_verify(&s).await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("BROKEN at entry 7"), "{out}");
    assert!(out.contains("EDITED"), "{out}");
    // the gRPC answer agrees
    assert_bad(&verify_chain(&s).await, 7, "EDITED");
    s.stop().await;
});

// Verifying never makes a key: a missing key file is an error, and another
// key than the chain's is named as such, not read as a forged chain.
db_test!(cli_verify_needs_the_chains_key, |b| async move {
    let s = TestServer::start(b).await;
    world(&s).await;
    let run = |data_dir: std::path::PathBuf| {
        let url = s.db_url.clone();
        let issuer = s.issuer_env();
        async move {
            let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_probity"))
                .args(["audit", "verify"])
                .env_remove("PROBITY_CONFIG")
                .env("PROBITY__DATABASE__DATA_DIR", &data_dir)
                .env("PROBITY__DATABASE__URL", url)
                .envs(issuer)
                .output()
                .await
                .expect("run probity audit verify");
            (
                out.status.code().unwrap_or(-1),
                String::from_utf8_lossy(&out.stderr).to_string(),
            )
        }
    };
    let elsewhere = tempfile::tempdir().unwrap();
    let (code, err) = run(elsewhere.path().to_path_buf()).await;
    assert_ne!(code, 0, "{err}");
    assert!(
        !elsewhere.path().join("audit-chain.key").exists(),
        "no key was made"
    );
    std::fs::write(elsewhere.path().join("audit-chain.key"), [7u8; 32]).unwrap();
    let (code, err) = run(elsewhere.path().to_path_buf()).await;
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("KEY_MISMATCH"), "{err}");
    s.stop().await;
});

db_test!(auditor_role_reads_the_chain, |b| async move {
    let s = TestServer::start(b).await;
    // whatever the server itself recorded at startup comes first
    let base = head(&s).await;
    world(&s).await;
    let mut a = auditor(&s).await;
    let r = a
        .list_audit_entries(ListAuditEntriesRequest {
            service: "registry".into(),
            page_size: 3,
            from_sequence: base + 1,
            ..Default::default()
        })
        .await
        .expect("auditor lists")
        .into_inner();
    assert_eq!(r.entries.len(), 3);
    assert_eq!(r.entries[0].sequence, base + 1);
    assert_eq!(
        r.entries[0].method,
        "/probity.registry.v1.RegistryService/CreateBody"
    );
    assert!(r.entries[0].change.contains("尚志市人民政府"));
    // no token, no chain
    let mut anon =
        probity_proto::audit::v1::audit_service_client::AuditServiceClient::new(s.channel().await);
    expect_code(
        anon.list_audit_entries(ListAuditEntriesRequest {
            service: "registry".into(),
            ..Default::default()
        })
        .await,
        Code::Unauthenticated,
    );
    s.stop().await;
});

// ---- resets: the head moved back, tables emptied, an old head put back ----

/// The head row as stored: (seq, hash, mac).
async fn head_row(db: &DatabaseConnection, prefix: &str) -> (i64, String, String) {
    let r = db
        .query_one_raw(stmt(
            db,
            &format!("SELECT seq, hash, mac FROM {prefix}_audit_head WHERE id = 1"),
            vec![],
        ))
        .await
        .expect("read head")
        .expect("a head row");
    (
        r.try_get("", "seq").unwrap(),
        r.try_get("", "hash").unwrap(),
        r.try_get("", "mac").unwrap(),
    )
}

async fn put_head(db: &DatabaseConnection, prefix: &str, (seq, hash, mac): &(i64, String, String)) {
    db.execute_raw(stmt(
        db,
        &format!("UPDATE {prefix}_audit_head SET seq = $1, hash = $2, mac = $3 WHERE id = 1"),
        vec![(*seq).into(), hash.clone().into(), mac.clone().into()],
    ))
    .await
    .expect("put the head row back");
}

fn empty_head() -> (i64, String, String) {
    (0, GENESIS.to_string(), String::new())
}

db_test!(the_head_cannot_be_reset_or_truncated, |b| async move {
    // The runtime role's plain statements: the guards refuse each one.
    let s = TestServer::start(b).await;
    world(&s).await;
    let db = s.raw_db().await;
    let before = head_row(&db, "registry").await;
    let u = db
        .execute_unprepared(&format!(
            "UPDATE registry_audit_head SET seq = 0, hash = '{GENESIS}', mac = '' WHERE id = 1"
        ))
        .await;
    assert!(u.is_err(), "the head was moved back: {u:?}");
    let u = db
        .execute_unprepared("UPDATE registry_audit_head SET seq = seq - 1 WHERE id = 1")
        .await;
    assert!(u.is_err(), "the head was moved back by one: {u:?}");
    let d = db
        .execute_unprepared("DELETE FROM registry_audit_head")
        .await;
    assert!(d.is_err(), "the head row was deleted: {d:?}");
    let d = db
        .execute_unprepared("DELETE FROM registry_audit_entries")
        .await;
    assert!(d.is_err(), "the entries were deleted: {d:?}");
    if db.get_database_backend() == DatabaseBackend::Postgres {
        for table in [
            "registry_audit_entries",
            "registry_audit_head",
            "registry_key_checks",
            "intake_audit_entries",
            "accountability_audit_head",
            "rankings_audit_entries",
        ] {
            let t = db
                .execute_unprepared(&format!("TRUNCATE {table} CASCADE"))
                .await;
            assert!(t.is_err(), "TRUNCATE {table} went through: {t:?}");
        }
    }
    assert_eq!(head_row(&db, "registry").await, before);
    let v = verify_chain(&s).await;
    assert!(v.ok, "{v:?}");
    // a write still moves the head forward through the guard
    body(&s, "尚志市应急管理局", BodyKind::Government, "").await;
    assert!(head_row(&db, "registry").await.0 > before.0);
    s.stop().await;
});

db_test!(a_head_reset_to_zero_is_caught, |b| async move {
    // With the guards dropped, the head is set back to an empty chain's:
    // verify used to answer OK without reading an entry.
    let (s, db, _) = tamper_setup(b).await;
    put_head(&db, "registry", &empty_head()).await;
    assert_bad(&verify_chain(&s).await, 1, "HEAD_RESET");
    let (code, out) = cli_verify(&s).await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("HEAD_RESET"), "{out}");
    // the entries deleted as well: the key check recorded at first start
    // still says the chain was not empty
    db.execute_unprepared("DELETE FROM registry_audit_entries")
        .await
        .unwrap();
    let v = verify_chain(&s).await;
    assert_bad(&v, 1, "HEAD_RESET");
    assert!(v.detail.contains("key checks"), "{v:?}");
    // any range, not only the whole chain
    assert_bad(&verify_range(&s, 5, 0).await, 1, "HEAD_RESET");
    s.stop().await;
});

db_test!(
    an_intake_head_behind_its_revisions_is_caught,
    |b| async move {
        // Intake's chain emptied, its key checks deleted and its head reset: its
        // revisions still name the entries that recorded them.
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut c = crate::intake::dept(&s, &w).await;
        c.submit_fact(crate::intake::fact(
            &w,
            "M-RESET-1",
            crate::intake::matter(&w, &crate::intake::two(&w), crate::intake::when()),
        ))
        .await
        .expect("submit a fact");
        crate::intake::intake_chain_verifies(&s).await;
        let db = s.raw_db().await;
        drop_guards(&db, "intake").await;
        for sql in [
            "DELETE FROM intake_audit_entries",
            "DELETE FROM intake_key_checks",
        ] {
            db.execute_unprepared(sql).await.unwrap();
        }
        put_head(&db, "intake", &empty_head()).await;
        let mut a = auditor(&s).await;
        let v = a
            .verify_audit_chain(VerifyAuditChainRequest {
                service: "intake".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_bad(&v, 1, "HEAD_RESET");
        assert!(v.detail.contains("intake_revisions.audit_seq"), "{v:?}");
        let (code, out) = cli(&s, &["audit", "verify", "--service", "intake"]).await;
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("HEAD_RESET"), "{out}");
        s.stop().await;
    }
);

/// `probity audit checkpoint` into a file of the test's; returns its path.
async fn take_checkpoint(s: &TestServer, dir: &std::path::Path, name: &str) -> String {
    let path = dir.join(name).to_string_lossy().into_owned();
    let (code, out) = cli(s, &["audit", "checkpoint", "--out", &path]).await;
    assert_eq!(code, 0, "{out}");
    path
}

db_test!(
    an_old_head_put_back_is_caught_by_a_checkpoint,
    |b| async move {
        let (s, db, _) = tamper_setup(b).await;
        let saved = head_row(&db, "registry").await;
        body(&s, "尚志市应急管理局", BodyKind::Government, "").await;
        body(&s, "尚志市林业和草原局", BodyKind::Government, "").await;
        let later = head_row(&db, "registry").await;
        assert!(later.0 >= saved.0 + 2);
        let dir = tempfile::tempdir().unwrap();
        let cp = take_checkpoint(&s, dir.path(), "registry.json").await;
        let (code, out) = cli(&s, &["audit", "verify", "--checkpoint", &cp]).await;
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("holds the checkpoint"), "{out}");

        // The backup's head row back, the entries written since deleted: the
        // head's own MAC holds, and alone the chain reads as intact.
        db.execute_raw(stmt(
            &db,
            "DELETE FROM registry_audit_entries WHERE seq > $1",
            vec![saved.0.into()],
        ))
        .await
        .unwrap();
        put_head(&db, "registry", &saved).await;
        assert!(verify_chain(&s).await.ok, "without a checkpoint");
        let (code, out) = cli(&s, &["audit", "verify", "--checkpoint", &cp]).await;
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("BEHIND_CHECKPOINT"), "{out}");
        assert!(
            out.contains(&format!("BROKEN at entry {}", saved.0 + 1)),
            "{out}"
        );

        // The service writes on over the cut until the head is past the
        // checkpoint again: the entry the checkpoint recorded is not there.
        for name in ["尚志市水务局", "尚志市交通运输局", "尚志市文化广电和旅游局"]
        {
            body(&s, name, BodyKind::Government, "").await;
        }
        assert!(head_row(&db, "registry").await.0 > later.0);
        assert!(verify_chain(&s).await.ok, "without a checkpoint");
        let (code, out) = cli(&s, &["audit", "verify", "--checkpoint", &cp]).await;
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("DIVERGED_FROM_CHECKPOINT"), "{out}");
        assert!(
            out.contains(&format!("BROKEN at entry {}", later.0)),
            "{out}"
        );
        s.stop().await;
    }
);

db_test!(an_edited_checkpoint_is_refused, |b| async move {
    let (s, db, all) = tamper_setup(b).await;
    let dir = tempfile::tempdir().unwrap();
    let cp = take_checkpoint(&s, dir.path(), "registry.json").await;
    let text = std::fs::read_to_string(&cp).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["service"], "registry");
    assert_eq!(json["seq"], all.len() as i64);
    // moved back to an earlier entry, with that entry's true hash
    let n = all.len() - 3;
    json["seq"] = (n as i64).into();
    json["hash"] = all[n - 1].hash.clone().into();
    let edited = dir.path().join("edited.json");
    std::fs::write(&edited, json.to_string()).unwrap();
    let (code, out) = cli(
        &s,
        &["audit", "verify", "--checkpoint", edited.to_str().unwrap()],
    )
    .await;
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("CHECKPOINT_FORGED"), "{out}");
    assert!(!out.contains(": OK"), "{out}");
    // another service's chain is not checked against it
    let (code, out) = cli(
        &s,
        &[
            "audit",
            "verify",
            "--service",
            "intake",
            "--checkpoint",
            &cp,
        ],
    )
    .await;
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("CHECKPOINT_OF_ANOTHER_CHAIN"), "{out}");
    // a broken chain gets no checkpoint
    db.execute_unprepared("UPDATE registry_audit_entries SET actor = 'mallory' WHERE seq = 2")
        .await
        .unwrap();
    let path = dir.path().join("broken.json");
    let (code, out) = cli(
        &s,
        &["audit", "checkpoint", "--out", path.to_str().unwrap()],
    )
    .await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("BROKEN at entry 2"), "{out}");
    assert!(!path.exists());
    s.stop().await;
});

/// PostgreSQL only: `probity migrate` goes through `database.migrate_url`
/// (the owner), and the role the services run with, granted what
/// docs/deploy.md grants, serves but cannot reset the chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_services_role_cannot_reset_the_chain() {
    let Some(crate::harness::Backend::Postgres(admin_url)) = crate::harness::Backend::postgres()
    else {
        eprintln!("PROBITY_TEST_DATABASE_URL not set: PostgreSQL-only test skipped");
        return;
    };
    let tag = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
    let (owner, app, name) = (
        format!("probity_owner_{tag}"),
        format!("probity_app_{tag}"),
        format!("probity_t_{tag}"),
    );
    let admin = sea_orm::Database::connect(&admin_url).await.unwrap();
    for sql in [
        format!("CREATE ROLE {owner} LOGIN PASSWORD 'owner-pw'"),
        format!("CREATE ROLE {app} LOGIN PASSWORD 'app-pw'"),
        format!("CREATE DATABASE {name} OWNER {owner}"),
    ] {
        admin.execute_unprepared(&sql).await.unwrap();
    }
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    let (_, host) = base.split_once('@').unwrap();
    let as_admin = sea_orm::Database::connect(format!("{base}/{name}"))
        .await
        .unwrap();
    for sql in [
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC".to_string(),
        format!("GRANT USAGE ON SCHEMA public TO {app}"),
        format!(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public \
             GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}"
        ),
        format!(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public \
             GRANT USAGE ON SEQUENCES TO {app}"
        ),
    ] {
        as_admin.execute_unprepared(&sql).await.unwrap();
    }
    as_admin.close().await.ok();
    let owner_url = format!("postgres://{owner}:owner-pw@{host}/{name}");
    let app_url = format!("postgres://{app}:app-pw@{host}/{name}");

    let dir = tempfile::tempdir().unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_probity"))
        .args(["migrate"])
        .env_remove("PROBITY_CONFIG")
        .env("PROBITY__DATABASE__DATA_DIR", dir.path())
        .env("PROBITY__DATABASE__URL", &app_url)
        .env("PROBITY__DATABASE__MIGRATE_URL", &owner_url)
        .env("PROBITY__AUTH__DEV_KEYS", "false")
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let s = TestServer::start_with(crate::harness::Backend::Postgres(admin_url.clone()), |st| {
        st.database.url = app_url.clone();
        st.database.run_migrations = false;
    })
    .await;
    world(&s).await;
    let db = sea_orm::Database::connect(&app_url).await.unwrap();
    for sql in [
        "TRUNCATE registry_audit_entries",
        "TRUNCATE registry_audit_head",
        "DROP TRIGGER registry_audit_head_forward_only ON registry_audit_head",
        "DROP TRIGGER registry_audit_entries_append_only ON registry_audit_entries",
        "ALTER TABLE registry_audit_head DISABLE TRIGGER ALL",
        "UPDATE registry_audit_head SET seq = 0 WHERE id = 1",
        "DELETE FROM intake_audit_entries",
    ] {
        let r = db.execute_unprepared(sql).await;
        assert!(r.is_err(), "the services' role did {sql}: {r:?}");
    }
    let owned: i64 = db
        .query_one_raw(stmt(
            &db,
            "SELECT COUNT(*) AS n FROM pg_tables WHERE schemaname = 'public' AND tableowner = $1",
            vec![owner.clone().into()],
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap();
    assert!(
        owned >= 12,
        "the migrations ran as the owner: {owned} tables"
    );
    let v = verify_chain(&s).await;
    assert!(v.ok && v.head_sequence > 10, "{v:?}");
    s.stop().await;
    db.close().await.ok();
}

db_test!(forged_audit_page_token_is_invalid, |b| async move {
    use base64::Engine;
    let s = TestServer::start(b).await;
    let mut a = s.audit(&s.token(Role::Auditor, None)).await;
    let token =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("audit|||0\n{}", i64::MAX));
    let e = a
        .list_audit_entries(ListAuditEntriesRequest {
            service: "registry".into(),
            page_token: token,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    s.stop().await;
});

db_test!(
    verification_under_concurrent_writes_finds_nothing_wrong,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let writer = {
            let mut c = s.legal().await;
            let parent = w.dept.name.clone();
            tokio::spawn(async move {
                for i in 0..60 {
                    c.create_unit(CreateUnitRequest {
                        request_id: rid(),
                        parent: parent.clone(),
                        unit: Some(Unit {
                            display_name: format!("科室{i}"),
                            ..Default::default()
                        }),
                    })
                    .await
                    .unwrap();
                }
            })
        };
        let mut a = s.audit(&s.token(Role::Auditor, None)).await;
        let mut checks = 0;
        while !writer.is_finished() {
            let r = a
                .verify_audit_chain(VerifyAuditChainRequest {
                    service: "registry".into(),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            assert!(r.ok, "a write in flight is not tampering: {r:?}");
            checks += 1;
        }
        writer.await.unwrap();
        assert!(checks > 0);
        let beyond = a
            .verify_audit_chain(VerifyAuditChainRequest {
                from_sequence: 10_000,
                service: "registry".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(beyond.ok && beyond.entries_checked == 0, "{beyond:?}");
        s.stop().await;
    }
);
