//! ExportFactColumns, the job's fast export: the same input Parquet as
//! ExportFacts through the job's own builders (corrections at their latest
//! revision, voids bringing only their findings, a finding holding its
//! fact to the breach, the city's year boundary), the caller's scope, and
//! its validation.
use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};
use futures::StreamExt;
use polars::prelude::{AnyValue, DataFrame, ParquetReader, SerReader};
use probity_common::auth::Role;
use probity_proto::{intake::v1::*, registry::v1::CircumstanceGrade};
use tonic::Code;

use super::*;
use crate::{
    db_test,
    fixtures::{bad_fields, world},
    harness::TestServer,
    util::expect_code,
};

fn training_at(officer: &str, hours: f64, at: DateTime<Utc>) -> fact::Payload {
    let mut p = training(officer, hours);
    if let fact::Payload::Training(t) = &mut p {
        t.train_time = Some(crate::fixtures::ts(at));
    }
    p
}

fn read(dir: &Path, file: &str) -> DataFrame {
    let f = std::fs::File::open(dir.join(file)).unwrap();
    ParquetReader::new(f).finish().unwrap()
}

/// The three input files ExportFacts gives through the job's Fact builder.
async fn through_export_facts(c: &mut Intake, year: i32, dir: &Path) {
    let mut stream = c
        .export_facts(ExportFactsRequest {
            year,
            kind: 0,
            include_voided: true,
        })
        .await
        .unwrap()
        .into_inner();
    let mut files = probity_rankings::extract::FactFiles::new(dir);
    while let Some(page) = stream.next().await {
        for f in &page.unwrap().facts {
            files.push(f).unwrap();
        }
    }
    files.finish().unwrap();
}

/// The rows ExportFactColumns gives the caller, made as the job makes them.
async fn columns(c: &mut Intake, year: i32) -> [DataFrame; 3] {
    let mut stream = c
        .export_fact_columns(ExportFactColumnsRequest {
            year,
            kind: 0,
            include_voided: true,
        })
        .await
        .unwrap()
        .into_inner();
    let mut counted = Default::default();
    let mut out: Option<[DataFrame; 3]> = None;
    while let Some(m) = stream.next().await {
        let frames = probity_rankings::fact_columns::frames(
            &m.unwrap(),
            i64::MAX,
            &mut counted,
            &mut Default::default(),
        )
        .unwrap();
        match &mut out {
            None => out = Some(frames),
            Some(acc) => {
                for (a, b) in acc.iter_mut().zip(&frames) {
                    a.vstack_mut(b).unwrap();
                }
            }
        }
    }
    out.unwrap_or_else(|| [DataFrame::empty(), DataFrame::empty(), DataFrame::empty()])
}

db_test!(
    the_fast_export_gives_the_job_the_rows_export_facts_gives,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut c = dept(&s, &w).await;
        let t = when();
        let year = chrono::Datelike::year(&(t + Duration::hours(8)));
        let submit = |source: &str, p: fact::Payload| fact(&w, source, p);
        let mut sent = vec![
            submit("M1", matter(&w, &two(&w), t)),
            // one officer: TOO_FEW_QUALIFIED, naming no one
            submit("M2", matter(&w, &[w.a.name.as_str()], t)),
            submit(
                "D1",
                decision(
                    "M1",
                    CircumstanceGrade::Minor,
                    10_000,
                    t + Duration::hours(1),
                ),
            ),
            // far outside any benchmark
            submit(
                "D2",
                decision(
                    "M2",
                    CircumstanceGrade::Minor,
                    900_000_000,
                    t + Duration::hours(1),
                ),
            ),
            // no record: INSPECTION_NOT_RECORDED, held after a correction
            submit("I1", inspection(&w, &w.inspection.name, vec![])),
            submit("I2", inspection(&w, &w.inspection.name, vec![record()])),
            submit(
                "R1",
                fact::Payload::ReviewOutcome(ReviewOutcome {
                    decision: "D1".into(),
                    kind: ReviewKind::Reconsideration as i32,
                    result: ReviewResult::Revoked as i32,
                    decide_time: Some(crate::fixtures::ts(t + Duration::days(1))),
                    ..Default::default()
                }),
            ),
            submit(
                "R2",
                fact::Payload::ReviewOutcome(ReviewOutcome {
                    decision: "D1".into(),
                    kind: ReviewKind::Litigation as i32,
                    result: ReviewResult::Lost as i32,
                    decide_time: Some(crate::fixtures::ts(t + Duration::days(2))),
                    ..Default::default()
                }),
            ),
            submit(
                "C1",
                fact::Payload::Complaint(Complaint {
                    source: ComplaintSource::MayorsHotline as i32,
                    accept_time: Some(crate::fixtures::ts(t)),
                    officers: vec![w.a.name.clone()],
                }),
            ),
            submit(
                "T1",
                fact::Payload::Transfer(Transfer {
                    kind: TransferKind::SuspectedCrime as i32,
                    recipient: "尚志市公安局".into(),
                    transfer_time: Some(crate::fixtures::ts(t)),
                    officers: two(&w).into_iter().map(String::from).collect(),
                    matter: "M1".into(),
                }),
            ),
            submit("TR1", training(&w.a.name, 2.0)),
            submit("TR2", training(&w.b.name, 3.0)),
            submit("M3", matter(&w, &[w.b.name.as_str()], t)),
        ];
        // The city's year starts at 00:00 UTC+8: 16:00 UTC the day before.
        let start = Utc.with_ymd_and_hms(year - 1, 12, 31, 16, 0, 0).unwrap();
        sent.push(submit(
            "TR-IN",
            training_at(&w.a.name, 1.5, start + Duration::minutes(30)),
        ));
        sent.push(submit(
            "TR-OUT",
            training_at(&w.a.name, 2.5, start - Duration::minutes(30)),
        ));
        for (closing, matter) in [("MC1", "M1"), ("MC2", "M1")] {
            sent.push(submit(
                closing,
                fact::Payload::MatterClosing(MatterClosing {
                    matter: matter.into(),
                    close_time: Some(crate::fixtures::ts(t + Duration::hours(5))),
                    outcome: MatterOutcome::Decided as i32,
                }),
            ));
        }
        let mut names = std::collections::HashMap::new();
        for r in sent {
            let source = r.fact.as_ref().unwrap().source_id.clone();
            let f = c.submit_fact(r).await.unwrap().into_inner();
            names.insert(source, f.name);
        }
        // corrections: the latest revision counts; I1's finding stands
        c.submit_fact(correction(
            fact(&w, "TR1", training(&w.a.name, 6.0)),
            "hours misread",
        ))
        .await
        .unwrap();
        c.submit_fact(correction(
            fact(&w, "I1", inspection(&w, &w.inspection.name, vec![record()])),
            "the video was found",
        ))
        .await
        .unwrap();
        // voids: TR2 is gone; M3 is gone but its finding stands
        for v in ["TR2", "M3"] {
            c.void_fact(VoidFactRequest {
                name: names[v].clone(),
                reason: "entered by mistake".into(),
                request_id: crate::fixtures::rid(),
            })
            .await
            .unwrap();
        }
        // another body's fact, outside the department's scope
        let mut other = intake(&s, Role::Department, Some(&w.other.name)).await;
        let mut theirs = fact(&w, "OTHER-TR", training(&w.a.name, 1.0));
        theirs.fact.as_mut().unwrap().body = w.other.name.clone();
        other.submit_fact(theirs).await.unwrap();

        let mut lead = intake(&s, Role::Leadership, None).await;
        let dir = tempfile::tempdir().unwrap();
        let (old, new) = (dir.path().join("old"), dir.path().join("new"));
        std::fs::create_dir_all(&old).unwrap();
        std::fs::create_dir_all(&new).unwrap();
        through_export_facts(&mut lead, year, &old).await;
        // the job's own extract, with its service token
        let settings = crate::rankings::job_settings(&s);
        let peers = probity_rankings::extract::Peers::new(&settings).unwrap();
        let counts = probity_rankings::extract::facts(
            &peers,
            year,
            i64::MAX,
            &new,
            &indicatif::ProgressBar::hidden(),
        )
        .await
        .unwrap();
        // the job's token reads the year through this export alone
        let job = s.service_token(&probity_common::service_identity::RANKINGS_JOB);
        let mut as_job = intake_service_client::IntakeServiceClient::with_interceptor(
            s.channel().await,
            crate::harness::Bearer::new(&job),
        );
        expect_code(
            as_job
                .export_facts(ExportFactsRequest {
                    year,
                    ..Default::default()
                })
                .await,
            Code::PermissionDenied,
        );
        for file in ["facts.parquet", "fact_officers.parquet", "findings.parquet"] {
            let (a, b) = (read(&old, file), read(&new, file));
            assert!(a.height() > 0, "{file} is empty");
            assert!(a.equals_missing(&b), "{file}:\n{a}\n{b}");
        }
        let facts = read(&new, "facts.parquet");
        assert_eq!(counts.facts, facts.height());
        let sources: Vec<String> = facts
            .column("source_id")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|s| s.unwrap_or_default().to_string())
            .collect();
        for present in ["TR-IN", "TR1", "I1", "MC2", "OTHER-TR"] {
            assert!(
                sources.iter().any(|s| s == present),
                "{present}: {sources:?}"
            );
        }
        for absent in ["TR-OUT", "TR2", "M3"] {
            assert!(
                !sources.iter().any(|s| s == absent),
                "{absent}: {sources:?}"
            );
        }
        let row = |source: &str, col: &str| {
            let i = sources.iter().position(|s| s == source).unwrap();
            facts.column(col).unwrap().get(i).unwrap().into_static()
        };
        assert_eq!(row("TR1", "hours"), AnyValue::Float64(6.0));
        // corrected to show a record, held to its finding
        assert_eq!(row("I1", "records"), AnyValue::Int32(0));
        assert_eq!(row("MC2", "repeat"), AnyValue::Boolean(true));
        assert_eq!(row("R2", "repeat"), AnyValue::Boolean(true));
        // the voided M3's finding is there, from the fact that is not
        let findings = read(&new, "findings.parquet");
        let m3: i64 = names["M3"].trim_start_matches("facts/").parse().unwrap();
        assert!(
            findings
                .column("fid")
                .unwrap()
                .i64()
                .unwrap()
                .into_no_null_iter()
                .any(|f| f == m3),
            "{findings}"
        );

        // Scope: the department sees its own facts only, the other body
        // none of them, as in ExportFacts.
        let [mine, _, _] = columns(&mut c, year).await;
        let [theirs, _, _] = columns(&mut other, year).await;
        let ids = |df: &DataFrame| -> Vec<String> {
            if df.height() == 0 {
                return vec![];
            }
            df.column("source_id")
                .unwrap()
                .str()
                .unwrap()
                .iter()
                .map(|s| s.unwrap_or_default().to_string())
                .collect()
        };
        assert_eq!(ids(&theirs), vec!["OTHER-TR".to_string()]);
        assert!(!ids(&mine).contains(&"OTHER-TR".to_string()));
        assert_eq!(ids(&mine).len(), sources.len() - 1);
        s.stop().await;
    }
);

db_test!(
    the_fast_export_validates_and_keeps_its_readers,
    |b| async move {
        let s = TestServer::start(b).await;
        let mut lead = intake(&s, Role::Leadership, None).await;
        let e = expect_code(
            lead.export_fact_columns(ExportFactColumnsRequest {
                year: 1999,
                kind: 99,
                include_voided: false,
            })
            .await,
            Code::InvalidArgument,
        );
        assert_eq!(bad_fields(&e), vec!["kind".to_string(), "year".to_string()]);
        // an empty year is an empty stream
        let none: Vec<_> = lead
            .export_fact_columns(ExportFactColumnsRequest {
                year: 2001,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .collect()
            .await;
        assert!(none.is_empty());
        // a reporter of review outcomes only reads back what it sent
        let mut court = intake(&s, Role::CourtRecords, None).await;
        expect_code(
            court
                .export_fact_columns(ExportFactColumnsRequest {
                    year: 2026,
                    ..Default::default()
                })
                .await,
            Code::PermissionDenied,
        );
        s.stop().await;
    }
);
