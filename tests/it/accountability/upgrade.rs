//! A database written before m0003, when records were the API's messages
//! (protobuf in `doc`): the upgrade makes them the service's own rows, and
//! everything reads back through the API as it was written, takes new
//! steps, and the audit chain and every record's hash still hold.
use chrono::{DateTime, Duration, Utc};
use probity_accountability::{catalogue, store::recorded::mismatches};
use probity_common::{
    audit::{Chain, sha256_hex},
    auth::{Principal, Role},
    db::stmt,
    store::{Store, Write},
};
use probity_proto::{accountability::v1::*, audit::v1::VerifyAuditChainRequest};
use prost::Message;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use sea_orm_migration::MigratorTrait;

use super::*;
use crate::{
    db_test,
    fixtures::{World, rid, ts, world},
    harness::{Backend, TestServer, fresh_pg_database},
};

/// What the code before m0003 wrote, statement for statement: records as
/// protobuf in `doc`, each event's and commendation's bytes hashed into
/// its audit entry.
struct Before {
    store: Store,
    office: Principal,
}

impl Before {
    async fn write(&self) -> Write<'_> {
        self.store
            .write(&self.office, "/before/m0003", "", &())
            .await
            .unwrap()
    }

    async fn insert_case(&self, w: &Write<'_>, path: &str, c: &Case, at: i64) {
        let (s, o) = (c.subject.clone().unwrap(), c.origin.clone().unwrap());
        let key = (!o.key.is_empty()).then_some(o.key);
        let id = c.name.strip_prefix("cases/").unwrap();
        let sql = "INSERT INTO accountability_cases (id, subject, subject_kind, body, body_path, state, origin_kind, origin_key, state_us, created_us, version, doc) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
        let values = vec![
            id.into(),
            s.name.into(),
            s.kind.into(),
            s.body.into(),
            path.into(),
            c.state.into(),
            o.kind.into(),
            key.into(),
            at.into(),
            at.into(),
            c.version.into(),
            c.encode_to_vec().into(),
        ];
        w.txn()
            .execute_raw(stmt(w.txn(), sql, values))
            .await
            .unwrap();
    }

    async fn save_case(&self, w: &Write<'_>, c: &Case, state_us: i64) {
        let sql = "UPDATE accountability_cases SET state = $1, state_us = $2, version = $3, doc = $4 WHERE id = $5";
        let id = c.name.strip_prefix("cases/").unwrap();
        let values = vec![
            c.state.into(),
            state_us.into(),
            c.version.into(),
            c.encode_to_vec().into(),
            id.into(),
        ];
        w.txn()
            .execute_raw(stmt(w.txn(), sql, values))
            .await
            .unwrap();
    }

    async fn insert_order(&self, w: &Write<'_>, path: &str, o: &CorrectionOrder) {
        let sql = "INSERT INTO accountability_orders (id, body, body_path, state, deadline_us, created_us, version, doc) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        let deadline = probity_common::names::ts_us(o.deadline.as_ref().unwrap());
        let values = vec![
            o.name.strip_prefix("orders/").unwrap().into(),
            o.body.clone().into(),
            path.into(),
            o.state.into(),
            deadline.into(),
            Utc::now().timestamp_micros().into(),
            1i64.into(),
            o.encode_to_vec().into(),
        ];
        w.txn()
            .execute_raw(stmt(w.txn(), sql, values))
            .await
            .unwrap();
    }

    async fn save_order(&self, w: &Write<'_>, o: &CorrectionOrder) {
        let sql = "UPDATE accountability_orders SET state = $1, version = version + 1, doc = $2 WHERE id = $3";
        let values = vec![
            o.state.into(),
            o.encode_to_vec().into(),
            o.name.strip_prefix("orders/").unwrap().into(),
        ];
        w.txn()
            .execute_raw(stmt(w.txn(), sql, values))
            .await
            .unwrap();
    }

    /// The event of a change to `entity`, with the record as it became.
    async fn event(
        &self,
        w: &mut Write<'_>,
        entity: &str,
        (action, from, to): (&str, i32, i32),
        doc: Vec<u8>,
    ) {
        let reason = format!("{action} before m0003");
        let change = serde_json::json!({"action": action, "from": from, "to": to,
            "reason": reason, "record_sha256": sha256_hex(&doc)});
        let seq = w
            .audit_as(&self.office, "/before/m0003", entity, change)
            .await
            .unwrap();
        let next: i64 = w
            .txn()
            .query_one_raw(stmt(
                w.txn(),
                "SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM accountability_events WHERE entity = $1",
                vec![entity.into()],
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get("", "n")
            .unwrap();
        let sql = "INSERT INTO accountability_events (entity, seq, action, from_state, to_state, actor, role, at_us, reason, audit_seq, doc) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
        let values = vec![
            entity.into(),
            next.into(),
            action.into(),
            from.into(),
            to.into(),
            self.office.subject.clone().into(),
            self.office.role.as_str().into(),
            Utc::now().timestamp_micros().into(),
            reason.into(),
            seq.into(),
            doc.into(),
        ];
        w.txn()
            .execute_raw(stmt(w.txn(), sql, values))
            .await
            .unwrap();
    }

    /// A case opened, then taken through `steps` (action, state, change),
    /// each step its own write, as the handlers did.
    async fn case(&self, path: &str, mut c: Case, steps: Vec<OldStep<'_>>) -> Case {
        let at = time(9);
        c.state = CaseState::Opened as i32;
        (c.create_time, c.state_time, c.version) = (Some(ts(at)), Some(ts(at)), 1);
        let mut w = self.write().await;
        self.insert_case(&w, path, &c, at.timestamp_micros()).await;
        let open = ("OPEN", 0, c.state);
        self.event(&mut w, &c.name.clone(), open, c.encode_to_vec())
            .await;
        w.commit(()).await.unwrap();
        for (n, (action, state, change)) in steps.into_iter().enumerate() {
            let at = time(8 - n as i64);
            let before = c.state;
            change(&mut c);
            (c.state, c.state_time, c.version) = (state as i32, Some(ts(at)), c.version + 1);
            let mut w = self.write().await;
            self.save_case(&w, &c, at.timestamp_micros()).await;
            let step = (action, before, c.state);
            self.event(&mut w, &c.name.clone(), step, c.encode_to_vec())
                .await;
            w.commit(()).await.unwrap();
        }
        c
    }

    async fn commendation(&self, path: &str, c: &Commendation) {
        let mut w = self.write().await;
        let doc = c.encode_to_vec();
        let sql = "INSERT INTO accountability_commendations (id, year, subject, subject_kind, body_path, created_us, doc) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)";
        let values = vec![
            c.name.strip_prefix("commendations/").unwrap().into(),
            c.year.into(),
            c.subject.clone().into(),
            c.subject_kind.into(),
            path.into(),
            Utc::now().timestamp_micros().into(),
            doc.clone().into(),
        ];
        w.txn()
            .execute_raw(stmt(w.txn(), sql, values))
            .await
            .unwrap();
        let change = serde_json::json!({"op": "record_commendation", "year": c.year,
            "subject": c.subject, "run": c.run, "record_sha256": sha256_hex(&doc)});
        w.audit(&c.name, change).await.unwrap();
        w.commit(()).await.unwrap();
    }
}

/// A step the old handlers took: its action, the state it led to, what it
/// changed.
type OldStep<'a> = (&'a str, CaseState, Box<dyn Fn(&mut Case)>);

/// Days ago, with nanoseconds (what a timestamp may carry).
fn time(days_ago: i64) -> DateTime<Utc> {
    let t = Utc::now() - Duration::days(days_ago);
    DateTime::from_timestamp(t.timestamp(), 123_456_789).unwrap()
}

fn grounded(code: &str) -> Ground {
    let def = catalogue::ground(code).unwrap();
    Ground {
        code: code.into(),
        article: def.article.into(),
        title_zh: def.zh.into(),
        title_en: def.en.into(),
        detail: "详情 particulars".into(),
    }
}

fn path(w: &World) -> String {
    let id = |b: &str| b.strip_prefix("bodies/").unwrap().to_string();
    format!("/{}/{}/", id(&w.gov.name), id(&w.dept.name))
}

/// The decision an officer's case was decided with: every kind of field.
fn old_decision() -> Decision {
    let mut withheld = sanction(SanctionKind::CredentialWithheld);
    withheld.until = Some(ts(time(-90)));
    withheld.note = "九十日 ninety days".into();
    let mut referral = sanction(SanctionKind::Referral);
    referral.target = SanctionTarget::Subject as i32;
    Decision {
        severity: 3,
        sanctions: vec![withheld, sanction(SanctionKind::OffPostTraining), referral],
        reasoning: "性质 nature".into(),
        decided_by: "test-legal_office".into(),
        time: Some(ts(time(6))),
    }
}

/// The records the code before m0003 left: a case against an officer
/// taken to DECIDED, an order refused (and the case it opened), an order
/// still open, a commendation. Returned as written.
async fn written_before(
    before: &Before,
    w: &World,
) -> (Case, Case, CorrectionOrder, CorrectionOrder, Commendation) {
    let path = path(w);
    let mut evidence = document("archive/2025/001");
    (evidence.added_by, evidence.add_time) = ("test-legal_office".into(), Some(ts(time(9))));
    let officer_case = Case {
        name: format!("cases/{}", probity_common::names::new_id()),
        subject: Some(Subject {
            name: w.a.name.clone(),
            kind: SubjectKind::Officer as i32,
            body: w.dept.name.clone(),
            display_name: w.a.display_name.clone(),
            ..Default::default()
        }),
        grounds: vec![grounded("ART20_08")],
        origin: Some(Origin {
            kind: OriginKind::Manual as i32,
            ..Default::default()
        }),
        title: "案件 before m0003".into(),
        evidence: vec![evidence],
        ..Default::default()
    };
    let d = old_decision();
    let proposal = d.clone();
    let steps: Vec<OldStep<'_>> = vec![
        (
            "START_INVESTIGATION",
            CaseState::Investigating,
            Box::new(|_| {}),
        ),
        (
            "PROPOSE",
            CaseState::Proposed,
            Box::new(move |c| c.proposal = Some(proposal.clone())),
        ),
        (
            "DECIDE",
            CaseState::Decided,
            Box::new(move |c| c.decision = Some(d.clone())),
        ),
    ];
    let officer_case = before.case(&path, officer_case, steps).await;

    let order = |act: &str| CorrectionOrder {
        name: format!("orders/{}", probity_common::names::new_id()),
        body: w.dept.name.clone(),
        act: act.into(),
        deadline: Some(ts(time(-30))),
        state: OrderState::Open as i32,
        create_time: Some(ts(time(5))),
        created_by: "test-legal_office".into(),
        body_display_name: w.dept.display_name.clone(),
        ..Default::default()
    };
    let (mut refused, open) = (order("未公示 not published"), order("未归档 not archived"));
    for o in [&refused, &open] {
        let mut tx = before.write().await;
        before.insert_order(&tx, &path, o).await;
        let step = ("ORDER", 0, OrderState::Open as i32);
        before
            .event(&mut tx, &o.name, step, o.encode_to_vec())
            .await;
        tx.commit(()).await.unwrap();
    }
    let body_case = Case {
        name: format!("cases/{}", probity_common::names::new_id()),
        subject: Some(Subject {
            name: w.dept.name.clone(),
            kind: SubjectKind::Body as i32,
            body: w.dept.name.clone(),
            display_name: w.dept.display_name.clone(),
            principal_leader: "张局长".into(),
            ..Default::default()
        }),
        grounds: vec![grounded("ART10")],
        origin: Some(Origin {
            kind: OriginKind::CorrectionOrder as i32,
            reference: refused.name.clone(),
            key: format!("order:{}", refused.name.strip_prefix("orders/").unwrap()),
        }),
        title: "拒不改正 (refused to correct)".into(),
        ..Default::default()
    };
    let body_case = before.case(&path, body_case, vec![]).await;
    (refused.state, refused.answer) = (OrderState::Refused as i32, OrderAnswer::Refused as i32);
    (refused.answer_note, refused.answer_time) = ("不改 no".into(), Some(ts(time(4))));
    refused.case = body_case.name.clone();
    let mut tx = before.write().await;
    before.save_order(&tx, &refused).await;
    let step = ("REFUSE", OrderState::Open as i32, refused.state);
    before
        .event(&mut tx, &refused.name, step, refused.encode_to_vec())
        .await;
    tx.commit(()).await.unwrap();

    let commendation = Commendation {
        name: format!("commendations/{}", probity_common::names::new_id()),
        year: 2025,
        subject: w.b.name.clone(),
        subject_kind: SubjectKind::Officer as i32,
        run: "runs/2025-final".into(),
        score: 0.1 + 0.7,
        rank: 2,
        peer_group: "市场监管".into(),
        note: "优秀 outstanding".into(),
        create_time: Some(ts(time(3))),
        body: w.dept.name.clone(),
    };
    before.commendation(&path, &commendation).await;
    (officer_case, body_case, refused, open, commendation)
}

/// The case as its record has it (a read adds the time limit and effects).
fn recorded(mut c: Case) -> Case {
    (c.due_time, c.deadline, c.effects) = (None, 0, Vec::new());
    c
}

async fn own_database(b: &Backend, main: &TestServer) -> String {
    match b {
        Backend::Sqlite => format!(
            "sqlite://{}/acc-before-m0003.db?mode=rwc",
            main.settings.database.data_dir
        ),
        Backend::Postgres(admin) => fresh_pg_database(admin).await,
    }
}

db_test!(
    records_written_before_m0003_read_back_and_still_hash,
    |b: Backend| async move {
        let main = TestServer::start(b.clone()).await;
        let w = world(&main).await;
        let url = own_database(&b, &main).await;
        let db = Database::connect(&url).await.unwrap();
        // The shared tables, m0001 and m0002: the schema before m0003.
        probity_accountability::Migrator::up(&db, Some(3))
            .await
            .unwrap();
        let key = main.settings.audit_key().load().unwrap();
        let chain = Chain::new("accountability", key.clone())
            .with_anchors(probity_accountability::migration::AUDIT_ANCHORS);
        let store = Store::new(db.clone(), chain);
        store.ensure_key("audit.key_file", &key).await.unwrap();
        let principal = Principal {
            subject: "test-legal_office".into(),
            role: Role::LegalOffice,
            body: None,
            scope: None,
        };
        let before = Before {
            store,
            office: principal,
        };
        let (officer_case, body_case, refused, open, commendation) =
            written_before(&before, &w).await;
        db.close().await.unwrap();

        // Accountability alone on that database: it migrates as it starts.
        let (dir, peer, own) = (
            main.settings.database.data_dir.clone(),
            main.url(),
            url.clone(),
        );
        let solo = TestServer::start_target(b, probity::Target::Only("accountability"), move |s| {
            s.database.data_dir = dir;
            s.database.set_service_url("accountability", url);
            let a = s.section_mut::<probity_accountability::settings::AccountabilitySettings>();
            (a.registry_endpoint, a.intake_endpoint) = (peer.clone(), peer);
        })
        .await;
        let mut c = parties(&solo).await;

        // Everything reads back as it was written.
        assert_eq!(
            recorded(get(&mut c, &officer_case.name).await),
            officer_case
        );
        assert_eq!(recorded(get(&mut c, &body_case.name).await), body_case);
        let got = |name: &str| GetOrderRequest { name: name.into() };
        assert_eq!(
            c.get_order(got(&refused.name)).await.unwrap().into_inner(),
            refused
        );
        assert_eq!(
            c.get_order(got(&open.name)).await.unwrap().into_inner(),
            open
        );
        let listed = c
            .list_commendations(ListCommendationsRequest {
                year: 2025,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .commendations;
        assert_eq!(listed, vec![commendation.clone()]);
        assert_eq!(
            actions(&mut c, &officer_case.name).await,
            ["OPEN", "START_INVESTIGATION", "PROPOSE", "DECIDE"]
        );
        let decided = CaseFilter {
            state: CaseState::Decided as i32,
            ..Default::default()
        };
        assert_eq!(
            case_names(&mut c, decided).await,
            vec![officer_case.name.clone()]
        );
        let by_origin = CaseFilter {
            origin: OriginKind::CorrectionOrder as i32,
            ..Default::default()
        };
        assert_eq!(
            case_names(&mut c, by_origin).await,
            vec![body_case.name.clone()]
        );

        // Old records take new steps.
        let again = c
            .record_commendation(RecordCommendationRequest {
                request_id: rid(),
                commendation: Some(Commendation {
                    score: 1.0,
                    ..commendation.clone()
                }),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            (again.commendation, again.created),
            (Some(commendation.clone()), false)
        );
        c.execute_decision(step::<ExecuteDecisionRequest>(
            &officer_case.name,
            "执行 execute",
        ))
        .await
        .unwrap();
        let executed = settled(&mut c, &officer_case.name).await;
        assert!(
            executed
                .effects
                .iter()
                .all(|e| e.state == EffectState::Applied as i32),
            "{executed:?}"
        );
        let closed = c
            .close_case(step::<CloseCaseRequest>(&officer_case.name, "结案 close"))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(closed.decision, officer_case.decision);
        let answered = c
            .answer_order(AnswerOrderRequest {
                request_id: rid(),
                name: open.name.clone(),
                answer: OrderAnswer::Corrected as i32,
                note: "已归档 archived".into(),
                evidence: vec![document("archive/2025/002")],
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            (answered.act, answered.state),
            (open.act.clone(), OrderState::Corrected as i32)
        );
        let new = c
            .record_commendation(RecordCommendationRequest {
                request_id: rid(),
                commendation: Some(Commendation {
                    subject: w.aux.name.clone(),
                    run: "runs/2025-final".into(),
                    year: 2025,
                    score: 0.3,
                    ..Default::default()
                }),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(new.created);

        // The chain holds, and so does every row it vouches for, before the
        // upgrade and after it.
        let v = solo
            .audit(&solo.token(Role::Auditor, None))
            .await
            .verify_audit_chain(VerifyAuditChainRequest {
                service: "accountability".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(v.ok, "{v:?}");
        let raw = Database::connect(&own).await.unwrap();
        assert_eq!(mismatches(&raw).await.unwrap(), Vec::<String>::new());
        let gone = raw
            .query_one_raw(stmt(&raw, "SELECT doc FROM accountability_cases", vec![]))
            .await;
        assert!(gone.is_err(), "m0003 drops the protobuf column");

        // A changed byte shows, in an old row and in a new one.
        tamper(&raw, &commendation.name, &closed.name).await;
        let found = mismatches(&raw).await.unwrap();
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].starts_with(&format!("event {}", closed.name)),
            "{found:?}"
        );
        assert!(found[1].starts_with(&commendation.name), "{found:?}");
        raw.close().await.unwrap();
        solo.stop().await;
        main.stop().await;
    }
);

/// Changes the commendation's kept bytes and the case's last event's record.
async fn tamper(db: &DatabaseConnection, commendation: &str, case: &str) {
    let id = commendation.strip_prefix("commendations/").unwrap();
    db.execute_raw(stmt(
        db,
        "UPDATE accountability_commendations SET legacy_doc = $1 WHERE id = $2",
        vec![vec![0u8; 3].into(), id.into()],
    ))
    .await
    .unwrap();
    db.execute_raw(stmt(
        db,
        "UPDATE accountability_events SET record = record || ' ' WHERE entity = $1 AND action = 'CLOSE'",
        vec![case.into()],
    ))
    .await
    .unwrap();
}
