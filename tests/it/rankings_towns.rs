//! Art. 4 in the rankings: the lower governments (towns) ranked among
//! themselves, never with the departments, whatever the plan says of the
//! departments' groups; and a vertically managed body's assessment by its
//! superior, recorded by the legal-affairs office alone and shown beside the
//! computed rank. Each door a department would try is tried here.
use std::{collections::HashMap, path::Path};

use chrono::{Duration, Utc};
use probity_common::auth::Role;
use probity_proto::{
    audit::v1::{ListAuditEntriesRequest, VerifyAuditChainRequest},
    rankings::v1::{
        GetRankingRequest, Level, ListRankingsRequest, ListSuperiorAssessmentsRequest,
        RecordSuperiorAssessmentRequest, SuperiorAssessment, SuperiorGrade,
        rankings_service_client::RankingsServiceClient,
    },
    registry::v1::*,
};
use tonic::{Code, service::interceptor::InterceptedService, transport::Channel};

use crate::{
    db_test,
    fixtures::*,
    harness::{Bearer, TestServer},
    intake::{intake, when},
    rankings::{a_year, csv, matter_of, run, submit, test_plan, year},
    util::{as_dept, auditor, expect_err, expect_invalid, mask},
};

type Rankings = RankingsServiceClient<InterceptedService<Channel, Bearer>>;

async fn rankings(s: &TestServer, role: Role, body: Option<&str>) -> Rankings {
    RankingsServiceClient::with_interceptor(s.channel().await, Bearer::new(&s.token(role, body)))
}

/// A town (乡镇人民政府: a government under the city government) with a
/// power the province devolved to it, a post, two officers with cards, and
/// `matters` matters it reports itself, `recorded` of them with a record of
/// the process.
pub(crate) async fn a_town(
    s: &TestServer,
    gov: &Body,
    name: &str,
    n: u32,
    matters: usize,
    recorded: usize,
) -> Body {
    let town = body(s, name, BodyKind::Government, &gov.name).await;
    let since = since();
    let until = Utc::now() + Duration::days(1000);
    let mut l = s.legal().await;
    let power = l
        .create_power(CreatePowerRequest {
            request_id: rid(),
            parent: town.name.clone(),
            power: Some(penalty_power("XZ-001")),
            legal_basis_change: basis_change(),
            effective_time: Some(ts(since)),
            backdate_reason: LATE.into(),
        })
        .await
        .expect("a town's power")
        .into_inner();
    let post = l
        .create_post(CreatePostRequest {
            request_id: rid(),
            parent: town.name.clone(),
            post: Some(Post {
                display_name: "综合行政执法办公室科员".into(),
                responsibilities: "乡镇综合行政执法".into(),
                ..Default::default()
            }),
        })
        .await
        .expect("a town's post")
        .into_inner();
    l.set_post_powers(SetPostPowersRequest {
        request_id: rid(),
        post: post.name.clone(),
        powers: vec![power.name.clone()],
        effective_time: Some(ts(since)),
        backdate_reason: LATE.into(),
    })
    .await
    .expect("the post's powers");
    let mut crew = Vec::new();
    for (k, who) in ["周一", "吴二"].iter().enumerate() {
        let o = officer(
            s,
            &town,
            who,
            OfficerKind::Officer,
            vec![post.name.clone()],
            n + k as u32,
            since,
        )
        .await;
        credential(s, &o, &format!("HLJ-T{}", n + k as u32), since, until).await;
        crew.push(o);
    }
    let mut i = intake(s, Role::Department, Some(&town.name)).await;
    let t = when();
    for m in 0..matters {
        let at = t + Duration::minutes(m as i64);
        submit(
            &mut i,
            &town,
            &format!("xz-m{m}"),
            matter_of(&power.name, &[&crew[0], &crew[1]], at, m < recorded),
        )
        .await;
    }
    town
}

fn by(rows: Vec<HashMap<String, String>>, key: &str) -> HashMap<String, HashMap<String, String>> {
    rows.into_iter().map(|r| (r[key].clone(), r)).collect()
}

async fn run_with(
    s: &TestServer,
    dir: &Path,
    name: &str,
    edit: impl Fn(String) -> String,
) -> std::path::PathBuf {
    let plan = test_plan(dir);
    std::fs::write(&plan, edit(std::fs::read_to_string(&plan).unwrap())).unwrap();
    let out = dir.join(name);
    run(s, &out, &plan, false).await;
    out
}

db_test!(towns_rank_in_their_own_group, |b| async move {
    let s = TestServer::start(b).await;
    let y = a_year(&s).await;
    let gov = &y.w.gov;
    let busy = a_town(&s, gov, "尚志市一面坡镇人民政府", 101, 4, 4).await;
    let sloppy = a_town(&s, gov, "尚志市苇河镇人民政府", 111, 4, 0).await;
    let towns = [busy.name.clone(), sloppy.name.clone()];

    // A department wanting the towns' (smaller) group: it cannot register
    // itself as a government, nor a government of its own under the city,
    // nor rename itself into one; the registry is the office's.
    let mut own = as_dept(&s, &y.w.dept.name).await;
    expect_err(
        own.create_body(CreateBodyRequest {
            request_id: rid(),
            body: Some(Body {
                display_name: "尚志市某某镇人民政府".into(),
                kind: BodyKind::Government as i32,
                parent: gov.name.clone(),
                region_code: "230183".into(),
                ..Default::default()
            }),
        })
        .await,
        Code::PermissionDenied,
        "ROLE_NOT_ALLOWED",
    );
    expect_err(
        own.update_body(UpdateBodyRequest {
            request_id: rid(),
            body: Some(Body {
                name: y.w.dept.name.clone(),
                display_name: "尚志市某某镇人民政府".into(),
                ..Default::default()
            }),
            update_mask: mask(&["display_name"]),
            reason: "we are a town now".into(),
        })
        .await,
        Code::PermissionDenied,
        "ROLE_NOT_ALLOWED",
    );
    // Its own facts name no group: they count for the body they are of.
    let mut i = crate::intake::dept(&s, &y.w).await;
    submit(
        &mut i,
        &y.w.dept,
        "claims-town",
        matter_of(&y.w.penalty.name, &[&y.w.a, &y.w.b], when(), true),
    )
    .await;
    // A government the office registers under a department is not a lower
    // government: the parent must be a government too.
    let under = body(
        &s,
        "尚志市市场监督管理局某镇监管所",
        BodyKind::Government,
        &y.w.dept.name,
    )
    .await;

    let dir = tempfile::tempdir().unwrap();
    // The default groups, then the departments by parent and the officers
    // city-wide: the towns stay a group of their own either way.
    for (name, edit) in [
        ("all", (|p: String| p) as fn(String) -> String),
        ("parent", |p: String| {
            p.replacen("peer_group = \"all\"", "peer_group = \"parent\"", 1)
                .replacen("peer_group = \"body\"", "peer_group = \"all\"", 1)
        }),
    ] {
        let out = run_with(&s, dir.path(), name, edit).await;
        let depts = by(csv(&out.join("departments.csv")), "body");
        let ranked_towns = by(csv(&out.join("towns.csv")), "body");
        let mut got: Vec<&String> = ranked_towns.keys().collect();
        got.sort();
        let mut want: Vec<&String> = towns.iter().collect();
        want.sort();
        assert_eq!(got, want, "{name}: the towns, and only they");
        for t in ranked_towns.values() {
            assert_eq!(t["peer_group"], "towns", "{name}");
            assert_eq!(t["peer_group_name"], "乡镇人民政府 Towns", "{name}");
            assert_eq!(t["peer_n"], "2", "{name}: ranked among the two towns");
        }
        assert_eq!(ranked_towns[&busy.name]["rank"], "1", "{name}");
        assert_eq!(ranked_towns[&sloppy.name]["rank"], "2", "{name}");
        for b in towns.iter().chain([&gov.name, &under.name]) {
            assert!(!depts.contains_key(b), "{name}: {b} among the departments");
        }
        assert_eq!(depts.len(), 3, "{name}: {:?}", depts.keys());
        for d in depts.values() {
            assert_ne!(d["peer_group"], "towns", "{name}");
            assert_eq!(
                d["peer_n"], "3",
                "{name}: ranked among the three departments"
            );
        }
        let officers = csv(&out.join("officers.csv"));
        for o in &officers {
            let town = towns.contains(&o["body"]);
            match name {
                // by body: each in its own
                "all" => assert_eq!(o["peer_group"], o["body"]),
                // city-wide: the towns' officers among themselves
                _ => assert_eq!(o["peer_group"] == "towns", town, "{o:?}"),
            }
        }
    }

    // The rankings target keeps them apart too.
    let mut r = rankings(&s, Role::Leadership, None).await;
    let list = |level: Level| ListRankingsRequest {
        year: year(),
        level: level as i32,
        page_size: 100,
        ..Default::default()
    };
    let town_rows = r
        .list_rankings(list(Level::Town))
        .await
        .unwrap()
        .into_inner();
    let mut listed: Vec<String> = town_rows
        .rankings
        .iter()
        .map(|x| x.subject.clone())
        .collect();
    listed.sort();
    let mut want = towns.to_vec();
    want.sort();
    assert_eq!(listed, want);
    assert_eq!(town_rows.run.unwrap().towns_ranked, 2);
    let dept_rows = r
        .list_rankings(list(Level::Department))
        .await
        .unwrap()
        .into_inner();
    assert!(
        dept_rows
            .rankings
            .iter()
            .all(|x| !towns.contains(&x.subject))
    );
    assert_eq!(dept_rows.rankings.len(), 3);
    let one = r
        .get_ranking(GetRankingRequest {
            year: year(),
            subject: busy.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(one.level, Level::Town as i32);
    assert_eq!(one.peer_group, "towns");
    s.stop().await;
});

fn assessment(body: &str, grade: SuperiorGrade, document: &str) -> SuperiorAssessment {
    SuperiorAssessment {
        body: body.into(),
        year: year(),
        grade: grade as i32,
        score: Some(92.5),
        superior: "国家税务总局黑龙江省税务局".into(),
        document: document.into(),
        assessed_date: when()
            .with_timezone(&probity_rankings::city())
            .date_naive()
            .to_string(),
        ..Default::default()
    }
}

fn record(a: SuperiorAssessment, reason: &str) -> RecordSuperiorAssessmentRequest {
    RecordSuperiorAssessmentRequest {
        request_id: rid(),
        superior_assessment: Some(a),
        correction_reason: reason.into(),
    }
}

db_test!(
    superior_assessments_are_the_offices_to_record,
    |b| async move {
        let s = TestServer::start(b).await;
        let y = a_year(&s).await;
        // The tax bureau, managed vertically below the province (Art. 4).
        let mut l = s.legal().await;
        let tax = l
            .create_body(CreateBodyRequest {
                request_id: rid(),
                body: Some(Body {
                    display_name: "国家税务总局尚志市税务局".into(),
                    kind: BodyKind::Department as i32,
                    parent: y.w.gov.name.clone(),
                    region_code: "230183".into(),
                    vertically_managed: true,
                    ..Default::default()
                }),
            })
            .await
            .unwrap()
            .into_inner();
        let doc = "黑税发〔2026〕12号";
        let good = assessment(&tax.name, SuperiorGrade::Excellent, doc);

        // The bureau would like to write its own grade: refused, as is anyone
        // but the office (leadership reads; the job's service token raises
        // cases, not grades).
        for (role, body) in [
            (Role::Department, Some(tax.name.as_str())),
            (Role::Department, Some(y.w.gov.name.as_str())),
            (Role::Leadership, None),
            (Role::Service, None),
        ] {
            let mut c = rankings(&s, role, body).await;
            expect_err(
                c.record_superior_assessment(record(good.clone(), "")).await,
                Code::PermissionDenied,
                "ROLE_NOT_ALLOWED",
            );
        }
        let mut office = rankings(&s, Role::LegalOffice, None).await;
        // Every bad field at once.
        expect_invalid(
            office
                .record_superior_assessment(RecordSuperiorAssessmentRequest {
                    request_id: rid(),
                    superior_assessment: Some(SuperiorAssessment {
                        body: "tax".into(),
                        year: 1999,
                        grade: 99,
                        score: Some(101.0),
                        assessed_date: "2026-13-01".into(),
                        ..Default::default()
                    }),
                    correction_reason: String::new(),
                })
                .await,
            &[
                "superior_assessment.body",
                "superior_assessment.year",
                "superior_assessment.grade",
                "superior_assessment.score",
                "superior_assessment.superior",
                "superior_assessment.document",
                "superior_assessment.assessed_date",
            ],
        );
        let mut ahead = good.clone();
        ahead.assessed_date = (Utc::now() + Duration::days(3)).date_naive().to_string();
        expect_invalid(
            office.record_superior_assessment(record(ahead, "")).await,
            &["superior_assessment.assessed_date"],
        );
        // Not for a body the registry does not mark vertically managed.
        expect_err(
            office
                .record_superior_assessment(record(
                    assessment(&y.w.dept.name, SuperiorGrade::Excellent, doc),
                    "",
                ))
                .await,
            Code::FailedPrecondition,
            "NOT_VERTICALLY_MANAGED",
        );
        // No correction of what is not there.
        expect_invalid(
            office
                .record_superior_assessment(record(good.clone(), "a typo"))
                .await,
            &["correction_reason"],
        );

        // The office records it.
        let first_req = record(good.clone(), "");
        let first = office
            .record_superior_assessment(first_req.clone())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            first.name,
            format!("{}/superiorAssessments/{}", tax.name, year())
        );
        assert_eq!(first.revision, 1);
        assert_eq!(first.body_display_name, "国家税务总局尚志市税务局");
        assert!(first.create_time.is_some());
        // A retry is the first answer; the same again is no new revision.
        let retry = office
            .record_superior_assessment(first_req)
            .await
            .unwrap()
            .into_inner();
        assert_eq!(retry, first);
        let again = office
            .record_superior_assessment(record(good.clone(), ""))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(again.revision, 1);
        // Reading otherwise needs a reason, and becomes revision 2.
        let fixed = assessment(&tax.name, SuperiorGrade::Competent, doc);
        expect_err(
            office
                .record_superior_assessment(record(fixed.clone(), ""))
                .await,
            Code::AlreadyExists,
            "SUPERIOR_ASSESSMENT_CONFLICT",
        );
        let second = office
            .record_superior_assessment(record(fixed, "the province's notice was misread"))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(second.revision, 2);
        assert_eq!(second.grade, SuperiorGrade::Competent as i32);
        assert_eq!(
            second.correction_reason,
            "the province's notice was misread"
        );

        // Listed: the current one; with revisions, both, the first unchanged.
        let list = |show_revisions: bool, parent: &str| ListSuperiorAssessmentsRequest {
            parent: parent.into(),
            year: year(),
            show_revisions,
            ..Default::default()
        };
        let now = office
            .list_superior_assessments(list(false, "bodies/-"))
            .await
            .unwrap()
            .into_inner()
            .superior_assessments;
        assert_eq!(now.len(), 1);
        assert_eq!(now[0].revision, 2);
        let all = office
            .list_superior_assessments(list(true, &tax.name))
            .await
            .unwrap()
            .into_inner()
            .superior_assessments;
        assert_eq!(
            all.iter().map(|a| a.revision).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(all[0].grade, SuperiorGrade::Excellent as i32);
        // The bureau reads its own; another department sees none of it.
        let mut bureau = rankings(&s, Role::Department, Some(&tax.name)).await;
        let seen = bureau
            .list_superior_assessments(list(false, "bodies/-"))
            .await
            .unwrap()
            .into_inner()
            .superior_assessments;
        assert_eq!(seen.len(), 1);
        let mut other = rankings(&s, Role::Department, Some(&y.w.other.name)).await;
        let seen = other
            .list_superior_assessments(list(false, "bodies/-"))
            .await
            .unwrap()
            .into_inner()
            .superior_assessments;
        assert!(seen.is_empty());

        // Every revision is in the rankings audit chain, which verifies.
        let mut a = auditor(&s).await;
        let entries = a
            .list_audit_entries(ListAuditEntriesRequest {
                service: "rankings".into(),
                entity: first.name.clone(),
                page_size: 100,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .entries;
        assert_eq!(entries.len(), 2, "{entries:?}");
        assert!(
            a.verify_audit_chain(VerifyAuditChainRequest {
                service: "rankings".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .ok
        );

        // The report shows it beside the rank computed here; the workbook too.
        let dir = tempfile::tempdir().unwrap();
        let out = run_with(&s, dir.path(), "run", |p| p).await;
        let depts = by(csv(&out.join("departments.csv")), "body");
        let rank = &depts[&tax.name]["rank"];
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        let doc_html = scraper::Html::parse_document(&html);
        let row = doc_html
            .select(
                &scraper::Selector::parse(&format!(
                    r#"table.superior tr[data-subject="{}"]"#,
                    tax.name
                ))
                .unwrap(),
            )
            .next()
            .expect("the bureau's row beside its rank")
            .text()
            .collect::<Vec<_>>()
            .join("|");
        for want in [
            "国家税务总局尚志市税务局",
            &format!("{rank} / 4"),
            "合格 Competent",
            "92.5",
            doc,
            "revision 2",
        ] {
            assert!(row.contains(want), "{want} not in {row}");
        }
        use calamine::Reader;
        let mut wb = calamine::open_workbook_auto(out.join("rankings.xlsx")).unwrap();
        let sheet = wb.worksheet_range("部门排名 Departments").unwrap();
        let header: Vec<String> = sheet
            .rows()
            .next()
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        let col = header
            .iter()
            .position(|h| h.starts_with("上级考核"))
            .expect("a superior's assessment column");
        let line = sheet
            .rows()
            .find(|r| r[1] == "国家税务总局尚志市税务局")
            .map(|r| r[col].to_string())
            .expect("the bureau's row");
        assert!(
            line.contains("合格 Competent") && line.contains(doc),
            "{line}"
        );

        // The registry's word is read each time: once the office unmarks the
        // bureau, it takes no more.
        l.update_body(UpdateBodyRequest {
            request_id: rid(),
            body: Some(Body {
                name: tax.name.clone(),
                vertically_managed: false,
                ..Default::default()
            }),
            update_mask: mask(&["vertically_managed"]),
            reason: "transferred to local management".into(),
        })
        .await
        .unwrap();
        let mut next_year = assessment(&tax.name, SuperiorGrade::Excellent, doc);
        next_year.note = "a later notice".into();
        expect_err(
            office
                .record_superior_assessment(record(next_year, "a later notice"))
                .await,
            Code::FailedPrecondition,
            "NOT_VERTICALLY_MANAGED",
        );
        s.stop().await;
    }
);
