//! The run's reports stored by the rankings service and served to
//! leadership (UploadReport, ListReports, DownloadReport), and the nightly
//! run that works out its years (the last one finished in January, a sealed
//! one not computed again), against real servers with an injected today.
use chrono::NaiveDate;
use probity_common::auth::Role;
use probity_proto::rankings::v1::{
    DownloadReportRequest, Level, ListRankingsRequest, ListReportsRequest, RecordRunRequest,
    Report, ReportFile, Run, UploadReportHeader, UploadReportRequest,
    rankings_service_client::RankingsServiceClient, record_run_request::Part,
    upload_report_request::Part as Up,
};
use sha2::{Digest, Sha256};
use tonic::{Code, service::interceptor::InterceptedService, transport::Channel};

use crate::{
    db_test,
    harness::{Bearer, TestServer},
    rankings::{a_year, job_settings, run, test_plan, year},
    util::{expect_code, expect_err, expect_invalid},
};

type Client = RankingsServiceClient<InterceptedService<Channel, Bearer>>;

/// The nightly job's client: its own service identity.
async fn job_client(s: &TestServer) -> Client {
    let token = s.service_token(&probity_common::service_identity::RANKINGS_JOB);
    RankingsServiceClient::with_interceptor(s.channel().await, Bearer::new(&token))
}

async fn client(s: &TestServer, role: Role, body: Option<&str>) -> Client {
    RankingsServiceClient::with_interceptor(s.channel().await, Bearer::new(&s.token(role, body)))
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Downloads a report: (the report, its bytes, the messages it came in).
async fn download(c: &mut Client, name: &str) -> Result<(Report, Vec<u8>, usize), tonic::Status> {
    let mut stream = c
        .download_report(DownloadReportRequest { name: name.into() })
        .await?
        .into_inner();
    let (mut report, mut bytes, mut messages) = (None, Vec::new(), 0);
    while let Some(m) = stream.message().await? {
        messages += 1;
        if m.report.is_some() {
            assert!(report.is_none(), "the report comes once, first");
            report = m.report;
        }
        assert!(report.is_some(), "the report comes first");
        bytes.extend_from_slice(&m.data);
    }
    Ok((report.expect("a report"), bytes, messages))
}

fn upload_messages(
    header: UploadReportHeader,
    bytes: &[u8],
    chunk: usize,
) -> Vec<UploadReportRequest> {
    let mut m = vec![UploadReportRequest {
        part: Some(Up::Header(header)),
    }];
    m.extend(bytes.chunks(chunk).map(|c| UploadReportRequest {
        part: Some(Up::Data(c.to_vec())),
    }));
    m
}

async fn upload(
    c: &mut Client,
    header: UploadReportHeader,
    bytes: &[u8],
) -> Result<Report, tonic::Status> {
    c.upload_report(futures::stream::iter(upload_messages(
        header,
        bytes,
        64 << 10,
    )))
    .await
    .map(|r| r.into_inner())
}

/// Records `runs/{id}` declaring `files` as the job would (service token).
async fn record(c: &mut Client, id: &str, files: &[(&str, &[u8])]) {
    let run = Run {
        name: format!("runs/{id}"),
        year: year(),
        as_of: format!("{}-06-30", year()),
        plan_version: "test".into(),
        reports: files
            .iter()
            .map(|(path, bytes)| ReportFile {
                path: path.to_string(),
                sha256: sha(bytes),
                size_bytes: bytes.len() as i64,
            })
            .collect(),
        ..Default::default()
    };
    c.record_run(futures::stream::iter([RecordRunRequest {
        part: Some(Part::Run(run)),
    }]))
    .await
    .expect("record run");
}

fn header(run: &str, path: &str, bytes: &[u8]) -> UploadReportHeader {
    UploadReportHeader {
        request_id: uuid::Uuid::new_v4().to_string(),
        name: format!("runs/{run}/reports/{path}"),
        sha256: sha(bytes),
        size_bytes: bytes.len() as i64,
    }
}

db_test!(
    the_nightly_run_delivers_its_reports_to_leadership,
    |b| async move {
        let s = TestServer::start(b).await;
        a_year(&s).await;
        let dir = tempfile::tempdir().unwrap();
        let plan = test_plan(dir.path());
        let out = dir.path().join("run");
        let m = run(&s, &out, &plan, false).await;
        let run_name = format!("runs/{}", m.run_id);
        // What people read, not the Parquet tables.
        let mut delivered: Vec<String> = m.delivered.clone();
        delivered.sort();
        let want: Vec<String> = [
            "departments.csv",
            "officers.csv",
            "rankings.xlsx",
            "report.html",
            "towns.csv",
        ]
        .iter()
        .map(|f| format!("{run_name}/reports/{f}"))
        .collect();
        assert!(want.iter().all(|w| delivered.contains(w)), "{delivered:?}");
        assert!(!delivered.iter().any(|d| d.ends_with(".parquet")));
        for role in [Role::Leadership, Role::LegalOffice, Role::Government] {
            let mut c = client(&s, role, None).await;
            let list = c
                .list_reports(ListReportsRequest {
                    parent: run_name.clone(),
                    ..Default::default()
                })
                .await
                .expect("list reports")
                .into_inner();
            let names: Vec<&str> = list.reports.iter().map(|r| r.name.as_str()).collect();
            assert_eq!(names.len(), delivered.len(), "{names:?}");
            assert!(list.reports.iter().all(|r| r.upload_time.is_some()));
            for r in &list.reports {
                let (got, bytes, _) = download(&mut c, &r.name).await.expect("download");
                let path = r.name.rsplit_once("/reports/").unwrap().1;
                // The same bytes the job wrote (its folder is only a cache).
                assert_eq!(bytes, std::fs::read(out.join(path)).unwrap(), "{path}");
                assert_eq!(got.sha256, sha(&bytes));
                assert_eq!(got.size_bytes, bytes.len() as i64);
            }
            let html = list
                .reports
                .iter()
                .find(|r| r.name.ends_with("/report.html"))
                .unwrap();
            assert_eq!(html.content_type, "text/html; charset=utf-8");
        }
        // The report ranks every department against the others: it is
        // leadership's, and a department reads its own rankings instead.
        let mut dept = client(&s, Role::Department, Some("bodies/anything")).await;
        expect_err(
            dept.list_reports(ListReportsRequest {
                parent: run_name.clone(),
                ..Default::default()
            })
            .await,
            Code::PermissionDenied,
            "ROLE_NOT_ALLOWED",
        );
        expect_err(
            download(&mut dept, &format!("{run_name}/reports/report.html")).await,
            Code::PermissionDenied,
            "ROLE_NOT_ALLOWED",
        );
        // The run again (a retry of the night): the same run, uploads answered once.
        let again = run(&s, &dir.path().join("again"), &plan, false).await;
        assert_eq!(again.run_id, m.run_id);
        assert_eq!(again.delivered.len(), m.delivered.len());
        s.stop().await;
    }
);

db_test!(
    a_large_report_is_stored_and_served_in_chunks,
    |b| async move {
        let s = TestServer::start(b).await;
        let mut job = job_client(&s).await;
        // 3.5 MiB that does not repeat: four chunks of at most 1 MiB.
        let big: Vec<u8> = (0..(7u32 << 19))
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        record(
            &mut job,
            "big",
            &[("rankings.xlsx", &big), ("empty.csv", b"")],
        )
        .await;
        let h = header("big", "rankings.xlsx", &big);
        let first = upload(&mut job, h.clone(), &big).await.expect("upload");
        assert_eq!(first.size_bytes, big.len() as i64);
        let mut lead = client(&s, Role::Leadership, None).await;
        let (report, bytes, messages) = download(&mut lead, "runs/big/reports/rankings.xlsx")
            .await
            .expect("download");
        assert_eq!(bytes, big);
        assert_eq!(messages, 4, "a message a stored MiB");
        assert_eq!(
            report.content_type,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        // Declared, not uploaded yet: listed without an upload time, not served.
        let list = lead
            .list_reports(ListReportsRequest {
                parent: "runs/big".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let empty = list
            .reports
            .iter()
            .find(|r| r.name.ends_with("/empty.csv"))
            .unwrap();
        assert!(empty.upload_time.is_none());
        expect_code(
            download(&mut lead, "runs/big/reports/empty.csv").await,
            Code::NotFound,
        );
        // An empty file is a report too.
        upload(&mut job, header("big", "empty.csv", b""), b"")
            .await
            .expect("upload empty");
        let (_, bytes, messages) = download(&mut lead, "runs/big/reports/empty.csv")
            .await
            .expect("download empty");
        assert!(bytes.is_empty());
        assert_eq!(messages, 1);
        s.stop().await;
    }
);

db_test!(
    a_report_is_stored_only_as_its_run_declared_it,
    |b| async move {
        let s = TestServer::start(b).await;
        let mut job = job_client(&s).await;
        let real = "<html>排名 the real report</html>".as_bytes();
        let forged = "<html>排名 a kinder report</html>".as_bytes();
        record(&mut job, "r1", &[("report.html", real)]).await;
        // Another digest than the run declared: refused before any byte is read.
        expect_err(
            upload(&mut job, header("r1", "report.html", forged), forged).await,
            Code::FailedPrecondition,
            "REPORT_NOT_AS_DECLARED",
        );
        // The declared digest, other bytes (tampered on the way): refused.
        expect_invalid(
            upload(&mut job, header("r1", "report.html", real), forged).await,
            &["header.sha256"],
        );
        // Fewer bytes than declared.
        expect_invalid(
            upload(&mut job, header("r1", "report.html", real), &real[..10]).await,
            &["header.size_bytes", "header.sha256"],
        );
        // A file the run did not declare, a run that does not exist.
        expect_code(
            upload(&mut job, header("r1", "notes.html", forged), forged).await,
            Code::NotFound,
        );
        expect_code(
            upload(&mut job, header("nope", "report.html", real), real).await,
            Code::NotFound,
        );
        // A department or leadership does not upload.
        for (role, body) in [
            (Role::Department, Some("bodies/x")),
            (Role::Leadership, None),
        ] {
            let mut c = client(&s, role, body).await;
            expect_err(
                upload(&mut c, header("r1", "report.html", real), real).await,
                Code::PermissionDenied,
                "ROLE_NOT_ALLOWED",
            );
        }
        // Paths stay under the run.
        expect_invalid(
            upload(&mut job, header("r1", "../r2/report.html", real), real).await,
            &["header.name"],
        );
        let stored = upload(&mut job, header("r1", "report.html", real), real)
            .await
            .expect("upload");
        // Once stored, other bytes are still refused; the same bytes answer as the first.
        expect_err(
            upload(&mut job, header("r1", "report.html", forged), forged).await,
            Code::FailedPrecondition,
            "REPORT_NOT_AS_DECLARED",
        );
        let same = upload(&mut job, header("r1", "report.html", real), real)
            .await
            .expect("the same bytes again");
        assert_eq!(same, stored);
        let mut lead = client(&s, Role::Leadership, None).await;
        let (_, bytes, _) = download(&mut lead, "runs/r1/reports/report.html")
            .await
            .unwrap();
        assert_eq!(bytes, real);
        // Bytes edited in the database (by whoever holds its credentials)
        // are not served as the run's report.
        use sea_orm::ConnectionTrait;
        let db = s.raw_db().await;
        db.execute_raw(sea_orm::Statement::from_sql_and_values(
            db.get_database_backend(),
            "UPDATE rankings_report_chunks SET data = $1 WHERE run_id = $2",
            vec![forged.to_vec().into(), "r1".into()],
        ))
        .await
        .unwrap();
        expect_code(
            download(&mut lead, "runs/r1/reports/report.html").await,
            Code::DataLoss,
        );
        db.close().await.ok();
        s.stop().await;
    }
);

/// The rankings service's audit chain head.
async fn rankings_head(s: &TestServer) -> i64 {
    use probity_proto::audit::v1::VerifyAuditChainRequest;
    crate::util::auditor(s)
        .await
        .verify_audit_chain(VerifyAuditChainRequest {
            service: "rankings".into(),
            ..Default::default()
        })
        .await
        .expect("verify the rankings chain")
        .into_inner()
        .head_sequence
}

db_test!(an_upload_retried_takes_effect_once, |b| async move {
    let s = TestServer::start(b).await;
    let mut job = job_client(&s).await;
    let bytes = b"subject,score\nbodies/a,71.5\n";
    record(&mut job, "r2", &[("officers.csv", bytes)]).await;
    let before = rankings_head(&s).await;
    let h = header("r2", "officers.csv", bytes);
    let first = upload(&mut job, h.clone(), bytes).await.expect("upload");
    let after_first = rankings_head(&s).await;
    // The retry (same request id) is answered from its record, bytes unread.
    let retry = upload(&mut job, h.clone(), b"").await.expect("retry");
    assert_eq!(retry, first);
    assert_eq!(rankings_head(&s).await, after_first);
    assert!(after_first > before, "the upload is in the audit chain");
    // The same request id for another request: refused.
    let mut other = header("r2", "officers.csv", b"x");
    other.request_id = h.request_id.clone();
    expect_err(
        upload(&mut job, other, b"x").await,
        Code::FailedPrecondition,
        "REQUEST_ID_REUSED",
    );
    s.stop().await;
});

/// Where the rankings service says a year stands: (its latest run, sealed).
async fn latest(s: &TestServer, year: i32) -> Option<(String, bool)> {
    let mut c = client(s, Role::Leadership, None).await;
    c.list_rankings(ListRankingsRequest {
        year,
        level: Level::Department as i32,
        page_size: 1,
        ..Default::default()
    })
    .await
    .ok()
    .and_then(|r| r.into_inner().run)
    .map(|r| (r.name, r.finalized))
}

db_test!(
    the_nightly_run_finishes_the_last_year_in_january,
    |b| async move {
        use probity_rankings::nightly::{self, Done, NightlyOptions};
        // The service's calendar at the last night below, so none of the
        // job's nights is a day to come for it.
        let s = TestServer::start_with(b, |s| {
            let last = NaiveDate::from_ymd_opt(year() + 1, 3, 1);
            s.section_mut::<probity_rankings_service::settings::RankingsSettings>()
                .today = last;
        })
        .await;
        a_year(&s).await;
        let y = year();
        let dir = tempfile::tempdir().unwrap();
        let plan = test_plan(dir.path());
        let settings = job_settings(&s);
        let night = |today: NaiveDate| {
            let (settings, plan, root) = (settings.clone(), plan.clone(), dir.path().join("out"));
            async move {
                nightly::run(
                    &settings,
                    NightlyOptions {
                        plan: Some(plan),
                        quiet: true,
                        today: Some(today),
                        out_root: Some(root),
                    },
                )
                .await
                .expect("the nightly run")
            }
        };
        let day = |m, d| NaiveDate::from_ymd_opt(y + 1, m, d).unwrap();
        // During the year: the year to date; the year before it has no run.
        let done = night(NaiveDate::from_ymd_opt(y, 12, 30).unwrap()).await;
        assert!(
            matches!(done[0], Done::NoRun { year } if year == y - 1),
            "{done:?}"
        );
        assert!(
            matches!(&done[1], Done::Ran(m) if m.year == y && !m.finalized),
            "{done:?}"
        );
        // 5 January: the last year recomputed whole, unsealed; the new year to date.
        let done = night(day(1, 5)).await;
        assert!(
            matches!(&done[0], Done::Ran(m) if m.year == y && m.as_of == format!("{y}-12-31") && !m.finalized),
            "{done:?}"
        );
        assert!(
            matches!(&done[1], Done::Ran(m) if m.year == y + 1),
            "{done:?}"
        );
        assert_eq!(latest(&s, y).await.map(|l| l.1), Some(false));
        // 16 January: past rankings.seal_after_days (15), the last year is sealed.
        let done = night(day(1, 16)).await;
        let Done::Ran(sealed) = &done[0] else {
            panic!("{done:?}")
        };
        assert!(sealed.finalized && sealed.year == y);
        assert_eq!(
            latest(&s, y).await,
            Some((format!("runs/{}", sealed.run_id), true))
        );
        // The sealed run's reports are served like any other.
        assert!(!sealed.delivered.is_empty());
        // Every night after: the sealed year is not computed again, and the
        // job keeps succeeding.
        for d in [day(1, 17), day(3, 1)] {
            let done = night(d).await;
            assert!(
                matches!(&done[0], Done::Sealed { year, run } if *year == y && *run == format!("runs/{}", sealed.run_id)),
                "{done:?}"
            );
            assert!(
                matches!(&done[1], Done::Ran(m) if m.year == y + 1),
                "{done:?}"
            );
        }
        s.stop().await;
    }
);
