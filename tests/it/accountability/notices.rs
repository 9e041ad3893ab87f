//! Notices (通报): executing a decision with a 通报批评 issues a notice, and
//! so does recording a commendation — by the service itself, once, with no
//! one having to ask; the notice reads back through the API, renders as
//! HTML and as a PDF that holds the case's Chinese text (read back with
//! poppler's pdftotext and turned into a PNG page with pdftoppm), and its
//! audit entry vouches for it. No caller can write or suppress one.
use std::time::Duration;

use probity_common::auth::Role;
use probity_proto::audit::v1::{ListAuditEntriesRequest, VerifyAuditChainRequest};

use super::*;
use crate::{db_test, fixtures::world, harness::TestServer, util::auditor};

async fn render(c: &mut Acc, name: &str, format: NoticeFormat) -> RenderNoticeResponse {
    c.render_notice(RenderNoticeRequest {
        name: name.into(),
        format: format as i32,
    })
    .await
    .expect("render notice")
    .into_inner()
}

/// Whether poppler's tools are here (scripts/test.sh installs them); their
/// absence fails the test when PROBITY_TEST_REQUIRE_CHROMIUM=1.
fn poppler() -> bool {
    let here = std::process::Command::new("pdftotext")
        .arg("-v")
        .output()
        .is_ok();
    assert!(
        here || std::env::var("PROBITY_TEST_REQUIRE_CHROMIUM").as_deref() != Ok("1"),
        "PROBITY_TEST_REQUIRE_CHROMIUM=1 but poppler-utils is missing"
    );
    here
}

/// The PDF's text (pdftotext) and the size of its first page as PNG.
fn read_pdf(pdf: &[u8]) -> (String, u64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("notice.pdf");
    std::fs::write(&path, pdf).expect("write pdf");
    let text = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext");
    assert!(text.status.success(), "{text:?}");
    let png = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "60", "-f", "1", "-l", "1"])
        .arg(&path)
        .arg(dir.path().join("page"))
        .output()
        .expect("pdftoppm");
    assert!(png.status.success(), "{png:?}");
    let page = std::fs::read_dir(dir.path())
        .expect("read dir")
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().ends_with(".png"))
        .expect("a PNG page");
    if let Ok(keep) = std::env::var("PROBITY_TEST_KEEP_NOTICE") {
        std::fs::copy(&path, format!("{keep}.pdf")).expect("keep pdf");
        std::fs::copy(page.path(), format!("{keep}.png")).expect("keep png");
    }
    let size = page.metadata().expect("png metadata").len();
    // pdftotext breaks lines where the PDF does: join them to search.
    (
        String::from_utf8_lossy(&text.stdout).replace(['\n', '\r'], ""),
        size,
    )
}

db_test!(
    an_executed_public_criticism_is_issued_as_a_notice_once,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut c = parties(&s).await;
        let case = decided(
            &mut c,
            &w.a.name,
            "ART20_05",
            decision(2, &[SanctionKind::PublicCriticism]),
        )
        .await;
        // Nothing is issued before the decision is carried out.
        let none = c
            .list_notices(ListNoticesRequest {
                source: case.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(none.notices.is_empty(), "{none:?}");

        let execute = step::<ExecuteDecisionRequest>(&case.name, "执行 carry out");
        c.execute_decision(execute.clone()).await.expect("execute");
        let found = notices_of(&mut c, &case.name).await;
        assert_eq!(found.len(), 1, "{found:?}");
        let n = &found[0];
        assert_eq!(n.kind, NoticeKind::Criticism as i32);
        assert_eq!(n.subject, w.a.name);
        assert_eq!(n.subject_kind, SubjectKind::Officer as i32);
        // Art. 20: the officer's own unit issues it.
        assert_eq!(n.issuer, w.dept.display_name);
        assert_eq!(n.addressee, "各行政执法单位");
        let year =
            chrono::Datelike::year(&chrono::Utc::now().with_timezone(&probity_rules::city::city()));
        assert_eq!(n.year, year);
        assert_eq!(n.number, format!("尚政通〔{year}〕1号"));
        assert!(n.title.contains(&w.a.display_name), "{}", n.title);
        assert!(n.title.contains("通报批评"), "{}", n.title);
        assert!(
            n.facts.concat().contains("未作执法检查记录"),
            "the ground in the facts: {:?}",
            n.facts
        );
        assert!(n.article.contains("第二十条第（五）项"), "{}", n.article);
        assert!(n.article.contains("第二十一条第（二）项"), "{}", n.article);
        assert!(n.decision.contains("给予通报批评"), "{}", n.decision);
        assert!(n.english.concat().contains("public criticism"));

        // A retried execution is a replay: still one notice, numbered once.
        c.execute_decision(execute).await.expect("retry execute");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(notices_of(&mut c, &case.name).await.len(), 1);
        let got = c
            .get_notice(GetNoticeRequest {
                name: n.name.clone(),
            })
            .await
            .expect("get notice")
            .into_inner();
        assert_eq!(&got, n);

        // The department reads it (notices are circulated to every unit).
        let mut dept = acc(&s, Role::Department, Some(&w.other.name)).await;
        let html = render(&mut dept, &n.name, NoticeFormat::Html).await;
        assert!(html.content_type.starts_with("text/html"));
        let text = String::from_utf8(html.data.clone()).expect("utf-8");
        for part in [&n.title, &n.number, &n.issuer, &n.decision] {
            assert!(text.contains(part.as_str()), "{part} not in the HTML");
        }
        assert_eq!(html.sha256, probity_common::audit::sha256_hex(&html.data));

        let pdf = render(&mut c, &n.name, NoticeFormat::Pdf).await;
        assert_eq!(pdf.content_type, "application/pdf");
        assert!(pdf.data.starts_with(b"%PDF-"), "not a PDF");
        // The same record prints the same bytes.
        assert_eq!(
            render(&mut c, &n.name, NoticeFormat::Pdf).await.data,
            pdf.data
        );
        if poppler() {
            let (text, png) = read_pdf(&pdf.data);
            for part in [&n.title, &n.number, &w.a.display_name, &w.dept.display_name] {
                assert!(
                    text.contains(part.as_str()),
                    "{part} not in the PDF's text: {text}"
                );
            }
            assert!(text.contains("特此通报"), "{text}");
            assert!(png > 5_000, "the page image is nearly empty ({png} bytes)");
        }

        // Its audit entry vouches for the record, and the chain verifies.
        let mut a = auditor(&s).await;
        let entries = a
            .list_audit_entries(ListAuditEntriesRequest {
                service: "accountability".into(),
                entity: n.name.clone(),
                page_size: 10,
                ..Default::default()
            })
            .await
            .expect("list audit entries")
            .into_inner()
            .entries;
        assert_eq!(entries.len(), 1, "{entries:?}");
        assert!(
            entries[0].change.contains("issue_notice"),
            "{:?}",
            entries[0]
        );
        let v = a
            .verify_audit_chain(VerifyAuditChainRequest {
                service: "accountability".into(),
                ..Default::default()
            })
            .await
            .expect("verify")
            .into_inner();
        assert!(v.ok, "{v:?}");
    }
);

db_test!(
    a_commendation_is_issued_as_a_notice_by_the_government,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut job = job(&s).await;
        let record = |request_id: String| RecordCommendationRequest {
            request_id,
            commendation: Some(Commendation {
                year: 2025,
                subject: w.dept.name.clone(),
                run: "runs/2025-test".into(),
                score: 96.5,
                rank: 1,
                ..Default::default()
            }),
        };
        let first = job
            .record_commendation(record(crate::fixtures::rid()))
            .await
            .expect("record commendation")
            .into_inner();
        let source = first.commendation.expect("commendation").name;
        let mut c = office(&s).await;
        let found = notices_of(&mut c, &source).await;
        assert_eq!(found.len(), 1, "{found:?}");
        let n = &found[0];
        assert_eq!(n.kind, NoticeKind::Commendation as i32);
        assert_eq!(n.issuer, "尚志市人民政府");
        assert_eq!(n.assessment_year, 2025);
        assert!(n.title.contains("2025年度"), "{}", n.title);
        assert!(n.facts.concat().contains(&w.dept.display_name));
        assert_eq!(n.article, "第六条");

        // Recorded again (a new request): nothing new, no second notice.
        let again = job
            .record_commendation(record(crate::fixtures::rid()))
            .await
            .expect("record again")
            .into_inner();
        assert!(!again.created);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let all = c
            .list_notices(ListNoticesRequest {
                kind: NoticeKind::Commendation as i32,
                body: w.dept.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .notices;
        assert_eq!(all.len(), 1, "{all:?}");
    }
);

db_test!(
    no_decision_without_criticism_issues_a_notice_and_bad_asks_are_named,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let mut c = parties(&s).await;
        let case = decided(
            &mut c,
            &w.a.name,
            "ART20_05",
            decision(1, &[SanctionKind::WrittenWarning]),
        )
        .await;
        c.execute_decision(step::<ExecuteDecisionRequest>(&case.name, "执行"))
            .await
            .expect("execute");
        tokio::time::sleep(Duration::from_millis(500)).await;
        let listed = c
            .list_notices(ListNoticesRequest {
                source: case.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .notices;
        assert!(listed.is_empty(), "{listed:?}");

        let missing = c
            .get_notice(GetNoticeRequest {
                name: "notices/nope".into(),
            })
            .await
            .expect_err("no such notice");
        assert_eq!(missing.code(), tonic::Code::NotFound);
        let bad = c
            .render_notice(RenderNoticeRequest {
                name: "cases/x".into(),
                format: 0,
            })
            .await
            .expect_err("bad render");
        assert_eq!(bad.code(), tonic::Code::InvalidArgument);
        let fields = crate::fixtures::bad_fields(&bad);
        assert_eq!(fields, vec!["format", "name"], "{bad:?}");
        let bad = c
            .list_notices(ListNoticesRequest {
                year: 1999,
                kind: 9,
                source: "orders/x".into(),
                subject: "posts/x".into(),
                body: "officers/x".into(),
                ..Default::default()
            })
            .await
            .expect_err("bad listing");
        assert_eq!(bad.code(), tonic::Code::InvalidArgument);
        let fields = crate::fixtures::bad_fields(&bad);
        assert_eq!(
            fields,
            vec!["body", "kind", "source", "subject", "year"],
            "{bad:?}"
        );
    }
);
