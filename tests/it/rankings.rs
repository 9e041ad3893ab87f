//! The rankings job against real services: a small hand-made year of facts,
//! counted by hand here; reproducible files; reports that open; flags and
//! commendations sent once when the year is sealed.
use std::{collections::HashMap, path::Path};

use chrono::{Datelike, Duration, Utc};
use probity_proto::{
    accountability::v1::{CaseFilter, ListCasesRequest, ListCommendationsRequest, OriginKind},
    intake::v1::{fact::Payload, *},
    rankings::v1::{
        GetRankingRequest, Level, ListRankingsRequest,
        rankings_service_client::RankingsServiceClient,
    },
    registry::v1::*,
};

use crate::{
    accountability::office,
    db_test,
    fixtures::*,
    harness::TestServer,
    intake::{decision, dept, inspection, legal, record, training, when},
};

/// A plan that ranks everyone (the default ranks officers after 90 days in
/// post, which a test world early in a year would not have).
pub(crate) fn test_plan(dir: &Path) -> std::path::PathBuf {
    let text =
        probity_rankings::plan::DEFAULT.replace("min_days_in_post = 90", "min_days_in_post = 0");
    let p = dir.join("plan.toml");
    std::fs::write(&p, text).unwrap();
    p
}

pub(crate) fn year() -> i32 {
    when().with_timezone(&probity_rankings::city()).year()
}

/// The rankings service's calendar moved to the first day of next year, so
/// the test's year (the current one) may be finalized.
pub(crate) fn year_over(s: &mut probity_common::config::Settings) {
    s.section_mut::<probity_rankings_service::settings::RankingsSettings>()
        .today = chrono::NaiveDate::from_ymd_opt(year() + 1, 1, 1);
}

/// The server's settings with the job's peers at the test server.
pub(crate) fn job_settings(s: &TestServer) -> probity_common::config::Settings {
    let mut settings = s.settings.clone();
    let job = settings.section_mut::<probity_rankings::settings::RankingsSettings>();
    for e in [
        &mut job.registry_endpoint,
        &mut job.intake_endpoint,
        &mut job.accountability_endpoint,
        &mut job.rankings_endpoint,
    ] {
        *e = s.url();
    }
    settings
}

pub(crate) async fn run(
    s: &TestServer,
    out: &Path,
    plan: &Path,
    finalize: bool,
) -> probity_rankings::output::Manifest {
    let settings = job_settings(s);
    let y = year();
    probity_rankings::run(
        &settings,
        probity_rankings::RunOptions {
            year: y,
            as_of: finalize.then(|| chrono::NaiveDate::from_ymd_opt(y, 12, 31).unwrap()),
            plan: Some(plan.to_path_buf()),
            out: Some(out.to_path_buf()),
            finalize,
            quiet: true,
            // a finalize seals a year that has ended: the test's has not
            today: finalize.then(|| chrono::NaiveDate::from_ymd_opt(y + 1, 1, 1).unwrap()),
        },
    )
    .await
    .expect("rankings run")
}

/// A CSV table as rows of column -> text.
pub(crate) fn csv(path: &Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let head: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    lines
        .map(|l| {
            head.iter()
                .cloned()
                .zip(l.split(',').map(|v| v.trim_matches('"').to_string()))
                .collect()
        })
        .collect()
}

pub(crate) fn num(row: &HashMap<String, String>, col: &str) -> f64 {
    row.get(col)
        .unwrap_or_else(|| panic!("no column {col}"))
        .parse()
        .unwrap_or(0.0)
}

pub(crate) struct Year {
    pub w: World,
    pub c: Officer,
    pub e: Officer,
    pub f: Officer,
    pub small: Body,
}

pub(crate) async fn submit(
    c: &mut crate::intake::Intake,
    body: &Body,
    source: &str,
    payload: Payload,
) -> Fact {
    c.submit_fact(SubmitFactRequest {
        fact: Some(Fact {
            body: body.name.clone(),
            source_id: source.into(),
            payload: Some(payload),
            ..Default::default()
        }),
        correction_reason: String::new(),
    })
    .await
    .unwrap_or_else(|e| panic!("submit {source}: {e:?}"))
    .into_inner()
}

pub(crate) fn matter_of(
    power: &str,
    officers: &[&Officer],
    at: chrono::DateTime<Utc>,
    recorded: bool,
) -> Payload {
    Payload::Matter(Matter {
        power: power.into(),
        act_kind: PowerCategory::Penalty as i32,
        officers: officers.iter().map(|o| o.name.clone()).collect(),
        accept_time: Some(ts(at)),
        records: if recorded { vec![record()] } else { vec![] },
        ..Default::default()
    })
}

fn closing(matter: &str, at: chrono::DateTime<Utc>) -> Payload {
    Payload::MatterClosing(MatterClosing {
        matter: matter.into(),
        close_time: Some(ts(at)),
        outcome: MatterOutcome::Decided as i32,
    })
}

/// A review that revoked `decision` (a wrongful case).
fn revoked(decision: &str, kind: ReviewKind, at: chrono::DateTime<Utc>) -> Payload {
    Payload::ReviewOutcome(ReviewOutcome {
        decision: decision.into(),
        kind: kind as i32,
        result: ReviewResult::Revoked as i32,
        decide_time: Some(ts(at)),
        ..Default::default()
    })
}

/// A case-file review of `decision` finding all six in order.
fn file_up_to_standard(decision: &str, at: chrono::DateTime<Utc>) -> Payload {
    Payload::CaseFileReview(CaseFileReview {
        decision: decision.into(),
        review_time: Some(ts(at)),
        facts_clear: true,
        evidence_conclusive: true,
        basis_correct: true,
        procedure_lawful: true,
        content_appropriate: true,
        documents_standard: true,
        ..Default::default()
    })
}

/// The year: department A (the fixtures' world, officers a, b, c) and a
/// small department B (officers e, f).
pub(crate) async fn a_year(s: &TestServer) -> Year {
    let w = world(s).await;
    let since = since();
    let until = Utc::now() + Duration::days(1000);
    let c = officer(
        s,
        &w.dept,
        "赵六",
        OfficerKind::Officer,
        vec![w.post.name.clone()],
        4,
        since,
    )
    .await;
    credential(s, &c, "HLJ-0004", since, until).await;
    let small = body(s, "尚志市交通运输局", BodyKind::Department, &w.gov.name).await;
    let mut l = s.legal().await;
    let power = l
        .create_power(CreatePowerRequest {
            request_id: rid(),
            parent: small.name.clone(),
            power: Some(penalty_power("JT-001")),
            legal_basis_change: basis_change(),
            effective_time: Some(ts(since)),
            backdate_reason: crate::fixtures::LATE.into(),
        })
        .await
        .unwrap()
        .into_inner();
    let post = l
        .create_post(CreatePostRequest {
            request_id: rid(),
            parent: small.name.clone(),
            post: Some(Post {
                display_name: "执法大队队员".into(),
                responsibilities: "交通运输执法".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    l.set_post_powers(SetPostPowersRequest {
        request_id: rid(),
        post: post.name.clone(),
        powers: vec![power.name.clone()],
        effective_time: Some(ts(since)),
        backdate_reason: crate::fixtures::LATE.into(),
    })
    .await
    .unwrap();
    let e = officer(
        s,
        &small,
        "钱七",
        OfficerKind::Officer,
        vec![post.name.clone()],
        5,
        since,
    )
    .await;
    let f = officer(
        s,
        &small,
        "孙八",
        OfficerKind::Officer,
        vec![post.name.clone()],
        6,
        since,
    )
    .await;
    credential(s, &e, "HLJ-0005", since, until).await;
    credential(s, &f, "HLJ-0006", since, until).await;

    let t = when();
    let at = |m: i64| t + Duration::minutes(m);
    let mut i = dept(s, &w).await;
    let d = w.dept.clone();
    let p = w.penalty.name.clone();
    submit(&mut i, &d, "m1", matter_of(&p, &[&w.a, &w.b], at(0), true)).await;
    submit(&mut i, &d, "m2", matter_of(&p, &[&w.a, &w.b], at(1), true)).await;
    submit(&mut i, &d, "m3", matter_of(&p, &[&w.a, &c], at(2), false)).await;
    submit(&mut i, &d, "m1-close", closing("m1", at(10))).await;
    submit(&mut i, &d, "m2-close", closing("m2", at(11))).await;
    let mut d1 = decision("m1", CircumstanceGrade::Ordinary, 100_000, at(9));
    if let Payload::Decision(x) = &mut d1 {
        x.major = true;
        x.legal_review = Some(LegalReview {
            result: LegalReviewResult::Passed as i32,
            review_time: Some(ts(at(8))),
        });
    }
    submit(&mut i, &d, "d1", d1).await;
    submit(
        &mut i,
        &d,
        "d2",
        decision("m2", CircumstanceGrade::Ordinary, 900_000, at(9)),
    )
    .await;
    submit(
        &mut i,
        &d,
        "r1",
        revoked("d2", ReviewKind::Reconsideration, at(20)),
    )
    .await;
    // Case files are reviewed by the legal-affairs office, never the unit.
    submit(
        &mut legal(s).await,
        &d,
        "f1",
        file_up_to_standard("d1", at(21)),
    )
    .await;
    submit(
        &mut i,
        &d,
        "i1",
        inspection(&w, &w.inspection.name, vec![record()]),
    )
    .await;
    // An inspection with no record of the process: a finding (Art. 16).
    let blind = submit(&mut i, &d, "i2", inspection(&w, &w.inspection.name, vec![])).await;
    assert_eq!(blind.findings.len(), 1, "{:?}", blind.findings);
    submit(&mut i, &d, "t1", training(&w.a.name, 10.0)).await;
    let mut tc = training(&c.name, 4.0);
    if let Payload::Training(x) = &mut tc {
        x.has_exam = false;
        x.exam_score = 0.0;
    }
    submit(&mut i, &d, "t2", tc).await;
    submit(
        &mut i,
        &d,
        "k1",
        Payload::Complaint(Complaint {
            source: ComplaintSource::MayorsHotline as i32,
            accept_time: Some(ts(at(3))),
            officers: vec![c.name.clone()],
        }),
    )
    .await;
    submit(
        &mut i,
        &d,
        "k1-close",
        Payload::ComplaintClosing(ComplaintClosing {
            complaint: "k1".into(),
            close_time: Some(ts(at(30))),
            ..Default::default()
        }),
    )
    .await;
    submit(
        &mut i,
        &d,
        "x1",
        Payload::Transfer(Transfer {
            kind: TransferKind::SuspectedCrime as i32,
            recipient: "尚志市公安局".into(),
            transfer_time: Some(ts(at(31))),
            officers: vec![w.b.name.clone()],
            matter: "m2".into(),
        }),
    )
    .await;
    let mut j =
        crate::intake::intake(s, probity_common::auth::Role::Department, Some(&small.name)).await;
    submit(
        &mut j,
        &small,
        "n1",
        matter_of(&power.name, &[&e, &f], at(0), true),
    )
    .await;
    submit(&mut j, &small, "n1-close", closing("n1", at(5))).await;
    submit(
        &mut j,
        &small,
        "n1-d",
        decision("n1", CircumstanceGrade::Ordinary, 100_000, at(4)),
    )
    .await;
    Year { w, c, e, f, small }
}

db_test!(a_year_is_counted_as_by_hand, |b| async move {
    let s = TestServer::start(b).await;
    let y = a_year(&s).await;
    let dir = tempfile::tempdir().unwrap();
    let plan = test_plan(dir.path());
    let out = dir.path().join("run");
    let m = run(&s, &out, &plan, false).await;
    assert_eq!(m.counts["facts"], 19, "{:?}", m.counts);
    assert_eq!(
        m.officers_ranked, 5,
        "a, b, c, e, f (the auxiliary is not ranked)"
    );
    assert_eq!(m.departments_ranked, 3, "dept, small, other (no facts)");

    let officers: HashMap<String, HashMap<String, String>> = csv(&out.join("officers.csv"))
        .into_iter()
        .map(|r| (r["officer"].clone(), r))
        .collect();
    // Counted by hand from the facts above.
    let want: &[(&Officer, &[(&str, f64)])] = &[
        (
            &y.w.a,
            &[
                ("matters", 3.0),
                ("completed", 2.0),
                ("decisions", 2.0),
                ("penalties", 2.0),
                ("penalties_within", 1.0),
                ("wrongful", 1.0),
                ("inspections", 2.0),
                // they cite "draw-2026-11", which is no draw: not verified,
                // not random (Art. 9(4); intake's draw_verified)
                ("random_inspections", 0.0),
                ("acts", 5.0),
                ("recorded_acts", 3.0),
                ("files_reviewed", 1.0),
                ("files_passed", 1.0),
                ("training_hours", 10.0),
                ("exams", 1.0),
                ("exam_sum", 88.0),
                ("complaints", 0.0),
                ("transfers", 0.0),
            ],
        ),
        (
            &y.w.b,
            &[
                ("matters", 2.0),
                ("completed", 2.0),
                ("decisions", 2.0),
                ("wrongful", 1.0),
                ("acts", 4.0),
                ("recorded_acts", 3.0),
                ("training_hours", 0.0),
                ("transfers", 1.0),
                ("transfers_c", 1.0),
            ],
        ),
        (
            &y.c,
            &[
                ("matters", 1.0),
                ("completed", 0.0),
                ("decisions", 0.0),
                ("acts", 1.0),
                ("recorded_acts", 0.0),
                ("training_hours", 4.0),
                ("exams", 0.0),
                ("complaints", 1.0),
                ("complaints_closed", 1.0),
            ],
        ),
        (
            &y.e,
            &[
                ("matters", 1.0),
                ("completed", 1.0),
                ("decisions", 1.0),
                ("penalties", 1.0),
                ("penalties_within", 1.0),
                ("acts", 1.0),
                ("recorded_acts", 1.0),
            ],
        ),
    ];
    for (o, counts) in want {
        let row = officers
            .get(&o.name)
            .unwrap_or_else(|| panic!("{} missing", o.name));
        for (col, v) in *counts {
            assert_eq!(num(row, col), *v, "{} {col}", o.display_name);
        }
        // Contributions add up to the score.
        let sum: f64 = row
            .iter()
            .filter(|(k, _)| k.starts_with("c_"))
            .map(|(_, v)| v.parse::<f64>().unwrap_or(0.0))
            .sum();
        assert!(
            (sum - num(row, "score")).abs() < 1e-6,
            "{}: {sum} vs {}",
            o.display_name,
            num(row, "score")
        );
    }
    assert_eq!(
        officers[&y.w.a.name]["peer_group"], y.w.dept.name,
        "officers are compared within their body"
    );
    assert_eq!(officers[&y.e.name]["peer_group"], y.small.name);
    // Ranks within the body: e and f did the same, so they tie at 1.
    assert_eq!(
        (
            num(&officers[&y.e.name], "rank"),
            num(&officers[&y.f.name], "rank")
        ),
        (1.0, 1.0)
    );

    let depts: HashMap<String, HashMap<String, String>> = csv(&out.join("departments.csv"))
        .into_iter()
        .map(|r| (r["body"].clone(), r))
        .collect();
    let a = &depts[&y.w.dept.name];
    // An act with two officers counts once for its body.
    for (col, v) in [
        ("matters", 3.0),
        ("completed", 2.0),
        ("acts", 5.0),
        ("recorded_acts", 3.0),
        // i2 not recorded; d2 outside the discretion benchmark.
        ("findings", 2.0),
        ("findings_inspection_not_recorded", 1.0),
        ("findings_penalty_outside_benchmark", 1.0),
        ("findings_too_few_qualified", 0.0),
        ("major_decisions", 1.0),
        ("major_reviewed", 1.0),
        ("wrongful", 1.0),
        ("complaints_closed", 1.0),
    ] {
        assert_eq!(num(a, col), v, "department {col}");
    }
    assert_eq!(num(&depts[&y.small.name], "matters"), 1.0);
    assert!(
        !depts.contains_key(&y.w.gov.name),
        "the government is not ranked"
    );
    // Completion rate 2/3 vs 1/1: shrunk toward the group rate (3/4) with
    // prior 10, as the plan says, then weighted 0.10.
    let group = 3.0 / 4.0;
    let want_a = (2.0 + 10.0 * group) / (3.0 + 10.0);
    assert!(
        (num(a, "c_completion_rate") - 100.0 * 0.10 * want_a).abs() < 1e-6,
        "{}",
        a["c_completion_rate"]
    );

    // The run is recorded with the rankings service: readers get the rows
    // and their breakdown; a department only its own.
    let reader = |role, body: Option<&str>| {
        let token = s.token(role, body);
        let s = &s;
        async move {
            RankingsServiceClient::with_interceptor(
                s.channel().await,
                crate::harness::Bearer::new(&token),
            )
        }
    };
    let mut lead = reader(probity_common::auth::Role::Leadership, None).await;
    let listed = lead
        .list_rankings(ListRankingsRequest {
            year: m.year,
            level: Level::Officer as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.run.unwrap().name, format!("runs/{}", m.run_id));
    assert_eq!(listed.rankings.len(), 5);
    let ra = lead
        .get_ranking(GetRankingRequest {
            year: m.year,
            subject: y.w.a.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let points: f64 = ra.contributions.iter().map(|c| c.points).sum();
    assert!((points - ra.score).abs() < 1e-6);
    assert_eq!(ra.score, num(&officers[&y.w.a.name], "score"));
    let mut small = reader(probity_common::auth::Role::Department, Some(&y.small.name)).await;
    let theirs = small
        .list_rankings(ListRankingsRequest {
            year: m.year,
            level: Level::Officer as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .rankings;
    let mut names: Vec<String> = theirs.into_iter().map(|r| r.subject).collect();
    names.sort();
    let mut want = vec![y.e.name.clone(), y.f.name.clone()];
    want.sort();
    assert_eq!(names, want);
    let hidden = small
        .get_ranking(GetRankingRequest {
            year: m.year,
            subject: y.w.a.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(hidden.code(), tonic::Code::NotFound);
    s.stop().await;
});

db_test!(the_same_inputs_give_the_same_files, |b| async move {
    let s = TestServer::start(b).await;
    a_year(&s).await;
    let dir = tempfile::tempdir().unwrap();
    let plan = test_plan(dir.path());
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    let m1 = run(&s, &one, &plan, false).await;
    let m2 = run(&s, &two, &plan, false).await;
    for f in [
        "officers.parquet",
        "officers.csv",
        "departments.parquet",
        "departments.csv",
        "report.html",
        "input/facts.parquet",
        "input/officers.parquet",
    ] {
        assert!(
            std::fs::read(one.join(f)).unwrap() == std::fs::read(two.join(f)).unwrap(),
            "{f} differs"
        );
    }
    assert_eq!(m1.run_id, m2.run_id);
    assert_eq!(m1.input_fingerprint, m2.input_fingerprint);
    let strip = |p: &Path| {
        let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
        v.as_object_mut().unwrap().remove("created_at");
        v["outputs"]
            .as_array_mut()
            .unwrap()
            .retain(|o| o["file"] != "rankings.xlsx");
        v
    };
    assert_eq!(
        strip(&one.join("manifest.json")),
        strip(&two.join("manifest.json"))
    );

    // The reports open: the HTML parses cleanly and has its charts; the
    // workbook has its sheets and Chinese headers.
    let html = std::fs::read_to_string(one.join("report.html")).unwrap();
    let doc = scraper::Html::parse_document(&html);
    assert!(doc.errors.is_empty(), "HTML errors: {:?}", doc.errors);
    let svgs = doc
        .select(&scraper::Selector::parse("svg.chart").unwrap())
        .count();
    assert!(
        svgs >= 2,
        "department bars and the score distribution: {svgs}"
    );
    assert!(html.contains("部门排名 Department ranking") && html.contains("@media print"));
    use calamine::Reader;
    let mut wb = calamine::open_workbook_auto(one.join("rankings.xlsx")).unwrap();
    let sheets = wb.sheet_names().to_vec();
    assert_eq!(
        sheets,
        vec![
            "概要 Headline",
            "部门排名 Departments",
            "部门人员 Department officers",
            "人员排名 Officers",
            "需关注 Flags"
        ]
    );
    let officers = wb.worksheet_range("人员排名 Officers").unwrap();
    assert_eq!(officers.get((0, 0)).unwrap().to_string(), "名次 Rank");
    assert_eq!(officers.height(), 1 + 5, "a header and the five officers");
    s.stop().await;
});

db_test!(
    sealing_the_year_raises_flags_and_commendations_once,
    |b| async move {
        let s = TestServer::start_with(b, year_over).await;
        let y = a_year(&s).await;
        let dir = tempfile::tempdir().unwrap();
        // A strict plan, so the small world has someone below the line: 5%
        // below the peer-group mean.
        let plan = test_plan(dir.path());
        let strict = std::fs::read_to_string(&plan)
            .unwrap()
            .replace("fraction = 0.4", "fraction = 0.05");
        std::fs::write(&plan, strict).unwrap();
        // Not while the year runs: sealing is for good.
        let last_day = chrono::NaiveDate::from_ymd_opt(year(), 12, 31);
        let early = probity_rankings::run(
            &s.settings,
            probity_rankings::RunOptions {
                year: year(),
                as_of: last_day,
                plan: Some(plan.clone()),
                out: Some(dir.path().join("early")),
                finalize: true,
                quiet: true,
                today: last_day,
            },
        )
        .await
        .unwrap_err();
        assert!(early.to_string().contains("has not ended"), "{early:#}");
        let m = run(&s, &dir.path().join("final"), &plan, true).await;
        assert!(m.finalized);
        let flagged = m.flags["officers_below_threshold"].as_u64().unwrap()
            + m.flags["officers_failing"].as_u64().unwrap()
            + m.flags["departments_failing"].as_u64().unwrap();
        let mut c = office(&s).await;
        let list = |c: &mut crate::accountability::Acc| {
            let mut c = c.clone();
            async move {
                c.list_cases(ListCasesRequest {
                    filter: Some(CaseFilter {
                        origin: OriginKind::RankingFlag as i32,
                        ..Default::default()
                    }),
                    page_size: 100,
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner()
                .cases
            }
        };
        let cases = list(&mut c).await;
        assert!(
            flagged > 0,
            "someone is 5% below the mean: {:?}\n{}",
            m.flags,
            std::fs::read_to_string(dir.path().join("final/officers.csv")).unwrap()
        );
        // One case per (year, kind, subject): an officer both below the
        // threshold and failing has two.
        assert_eq!(cases.len() as u64, flagged, "{:?}", m.flags);
        let commended = c
            .list_commendations(ListCommendationsRequest {
                year: m.year,
                page_size: 100,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .commendations;
        let outstanding = m.flags["officers_outstanding"].as_u64().unwrap()
            + m.flags["departments_outstanding"].as_u64().unwrap();
        assert_eq!(commended.len() as u64, outstanding);
        assert!(commended.iter().any(|x| x.subject == y.w.dept.name
            || x.subject == y.small.name
            || x.subject.starts_with("officers/")));
        // Again: nothing new.
        run(&s, &dir.path().join("again"), &plan, true).await;
        assert_eq!(list(&mut c).await.len(), cases.len());
        // The year is sealed: a later nightly run is not recorded.
        let settings = job_settings(&s);
        let late = probity_rankings::run(
            &settings,
            probity_rankings::RunOptions {
                year: m.year,
                as_of: None,
                plan: Some(plan.clone()),
                out: Some(dir.path().join("late")),
                quiet: true,
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert!(late.to_string().contains("YEAR_SEALED"), "{late:#}");
        // A finalize again after the registry changed (another run id): the
        // year is sealed, so the sealed run's flags are sent again, no more.
        officer(
            &s,
            &y.small,
            "周九",
            OfficerKind::Officer,
            vec![],
            9,
            since(),
        )
        .await;
        let again = run(&s, &dir.path().join("resumed"), &plan, true).await;
        assert_eq!(again.sealed_by, Some(format!("runs/{}", m.run_id)));
        assert_eq!(list(&mut c).await.len(), cases.len());
        s.stop().await;
    }
);

/// Noon in the city on a day of `year`.
fn noon(year: i32, month: u32, day: u32) -> chrono::DateTime<Utc> {
    chrono::NaiveDate::from_ymd_opt(year, month, day)
        .unwrap()
        .and_hms_opt(4, 0, 0)
        .unwrap()
        .and_utc()
}

db_test!(earlier_years_facts_credit_their_officers, |b| async move {
    // This year's closing, decision, review and case-file review of matters
    // and decisions from the years before: credited to those acts'
    // officers, and only this year's facts counted.
    let s = TestServer::start(b).await;
    let w = world(&s).await;
    // Officers in post long enough for acts two years back.
    let long_ago = Utc::now() - Duration::days(1100);
    let mut staff = Vec::new();
    for (name, n) in [("周一", 7), ("吴二", 8), ("郑三", 9)] {
        let post = vec![w.post.name.clone()];
        staff.push(officer(&s, &w.dept, name, OfficerKind::Officer, post, n, long_ago).await);
    }
    let [a, b, c] = <[Officer; 3]>::try_from(staff).unwrap();
    let (d, p, y) = (w.dept.clone(), w.penalty.name.clone(), year());
    let mut i = dept(&s, &w).await;
    let t = when();
    let at = |m: i64| t + Duration::minutes(m);
    // Last year: a matter accepted in December and decided then; two years
    // back: a matter decided last year.
    for (matter, decided, who, accept_time, decide_time) in [
        (
            "old-m",
            "old-d",
            [&a, &b],
            noon(y - 1, 12, 15),
            noon(y - 1, 12, 20),
        ),
        (
            "older-m",
            "older-d",
            [&a, &c],
            noon(y - 2, 6, 1),
            noon(y - 1, 6, 1),
        ),
    ] {
        submit(&mut i, &d, matter, matter_of(&p, &who, accept_time, true)).await;
        let grade = CircumstanceGrade::Ordinary;
        submit(
            &mut i,
            &d,
            decided,
            decision(matter, grade, 100_000, decide_time),
        )
        .await;
    }
    // This year.
    submit(&mut i, &d, "old-m-close", closing("old-m", at(10))).await;
    let decided = decision("old-m", CircumstanceGrade::Ordinary, 100_000, at(11));
    submit(&mut i, &d, "new-d", decided).await;
    submit(
        &mut i,
        &d,
        "older-r",
        revoked("older-d", ReviewKind::Litigation, at(20)),
    )
    .await;
    submit(
        &mut legal(&s).await,
        &d,
        "old-f",
        file_up_to_standard("old-d", at(21)),
    )
    .await;

    let dir = tempfile::tempdir().unwrap();
    let plan = test_plan(dir.path());
    let out = dir.path().join("run");
    let m = run(&s, &out, &plan, false).await;
    assert_eq!(m.counts["facts"], 4, "{:?}", m.counts);
    assert!(m.job.starts_with("probity-rankings "), "{}", m.job);
    assert_eq!(
        m.counts["referenced"], 4,
        "old-m, old-d, older-d and (through it) older-m: {:?}",
        m.counts
    );
    let officers: HashMap<String, HashMap<String, String>> = csv(&out.join("officers.csv"))
        .into_iter()
        .map(|r| (r["officer"].clone(), r))
        .collect();
    let want: &[(&Officer, &[(&str, f64)])] = &[
        (
            &a,
            &[
                ("matters", 0.0),
                ("completed", 1.0),
                ("decisions", 1.0),
                ("wrongful", 1.0),
                ("files_reviewed", 1.0),
                ("files_passed", 1.0),
            ],
        ),
        (
            &b,
            &[
                ("matters", 0.0),
                ("completed", 1.0),
                ("decisions", 1.0),
                ("wrongful", 0.0),
                ("files_reviewed", 1.0),
            ],
        ),
        (
            &c,
            &[
                ("matters", 0.0),
                ("completed", 0.0),
                ("decisions", 0.0),
                ("wrongful", 1.0),
                ("files_reviewed", 0.0),
            ],
        ),
    ];
    for (o, cols) in want {
        let row = &officers[&o.name];
        for (col, v) in *cols {
            assert_eq!(num(row, col), *v, "{} {col}: {row:?}", o.name);
        }
    }
    // The department counts its own year's facts, each once, as before.
    let depts: HashMap<String, HashMap<String, String>> = csv(&out.join("departments.csv"))
        .into_iter()
        .map(|r| (r["body"].clone(), r))
        .collect();
    let own = &depts[&w.dept.name];
    for (col, v) in [
        ("matters", 0.0),
        ("completed", 1.0),
        ("decisions", 1.0),
        ("wrongful", 1.0),
        ("files_reviewed", 1.0),
    ] {
        assert_eq!(num(own, col), v, "department {col}: {own:?}");
    }
});

// RecordRun refuses rows GetRanking could not serve (a subject twice, a
// subject of the wrong level) or a reader could not trust (numbers that are
// not numbers); GetRun names its own field.
db_test!(a_run_with_bad_rows_is_refused, |b| async move {
    use probity_proto::rankings::v1::{
        Contribution, GetRunRequest, Ranking, RankingBatch, RecordRunRequest, Run,
        record_run_request::Part,
    };
    let s = TestServer::start(b).await;
    let token = s.service_token(&probity_common::service_identity::RANKINGS_JOB);
    let mut c = RankingsServiceClient::with_interceptor(
        s.channel().await,
        crate::harness::Bearer::new(&token),
    );
    let run = Run {
        name: "runs/r1".into(),
        year: year(),
        as_of: format!("{}-06-30", year()),
        plan_version: "test".into(),
        ..Default::default()
    };
    let row = |subject: &str| Ranking {
        level: Level::Officer as i32,
        subject: subject.into(),
        ..Default::default()
    };
    let mut twice = row("officers/a");
    twice.days_in_post = f64::NAN;
    twice.percentile = 150.0;
    let mut wrong_level = row("officers/b");
    wrong_level.level = Level::Department as i32;
    let mut infinite = row("officers/c");
    infinite.contributions = vec![Contribution {
        points: f64::INFINITY,
        ..Default::default()
    }];
    // a body that is not a body's name: stored and shown as given before
    infinite.body = "x".repeat(100_000);
    let messages = vec![
        RecordRunRequest {
            part: Some(Part::Run(run)),
        },
        RecordRunRequest {
            part: Some(Part::Rankings(RankingBatch {
                rankings: vec![row("officers/a"), twice, wrong_level, infinite],
            })),
        },
    ];
    crate::util::expect_invalid(
        c.record_run(futures::stream::iter(messages)).await,
        &[
            "rankings[1].days_in_post",
            "rankings[1].percentile",
            "rankings[1].subject",
            "rankings[2].subject",
            "rankings[3].body",
            "rankings[3].contributions[0].points",
        ],
    );
    crate::util::expect_invalid(
        c.get_run(GetRunRequest {
            name: "nope".into(),
        })
        .await,
        &["name"],
    );
    s.stop().await;
});

// An officer moved to another body after the window is ranked in the body
// the window's work was done in, not where the registry has them now.
db_test!(
    an_officer_is_ranked_where_the_year_was_worked,
    |b| async move {
        let s = TestServer::start(b).await;
        let y = a_year(&s).await;
        s.legal()
            .await
            .transfer_officer(TransferOfficerRequest {
                request_id: rid(),
                officer: y.c.name.clone(),
                to_body: y.small.name.clone(),
                posts: vec![],
                reason: "调动 moved after the window".into(),
                effective_time: None,
            })
            .await
            .expect("transfer");
        let today = Utc::now()
            .with_timezone(&probity_rankings::city())
            .date_naive();
        let last_day = chrono::NaiveDate::from_ymd_opt(year(), 12, 31).unwrap();
        let as_of = (today - Duration::days(1)).min(last_day);
        let dir = tempfile::tempdir().unwrap();
        let settings = job_settings(&s);
        probity_rankings::run(
            &settings,
            probity_rankings::RunOptions {
                year: year(),
                as_of: Some(as_of),
                plan: Some(test_plan(dir.path())),
                out: Some(dir.path().join("run")),
                quiet: true,
                ..Default::default()
            },
        )
        .await
        .expect("rankings run");
        let rows = csv(&dir.path().join("run/officers.csv"));
        let c = rows
            .iter()
            .find(|r| r["officer"] == y.c.name)
            .expect("officer c is ranked");
        assert_eq!(c["body"], y.w.dept.name, "{c:?}");
        s.stop().await;
    }
);

// A run early in the year: nobody has served the plan's 90 days yet, so the
// minimum is the days the window has had; those who served all of it rank.
db_test!(
    an_early_run_ranks_who_served_the_whole_window,
    |b| async move {
        let s = TestServer::start(b).await;
        let _w = world(&s).await;
        let dir = tempfile::tempdir().unwrap();
        let plan = dir.path().join("default.toml");
        std::fs::write(&plan, probity_rankings::plan::DEFAULT).unwrap();
        assert!(probity_rankings::plan::DEFAULT.contains("min_days_in_post = 90"));
        let settings = job_settings(&s);
        let m = probity_rankings::run(
            &settings,
            probity_rankings::RunOptions {
                year: year(),
                as_of: chrono::NaiveDate::from_ymd_opt(year(), 1, 31),
                plan: Some(plan),
                out: Some(dir.path().join("run")),
                quiet: true,
                ..Default::default()
            },
        )
        .await
        .expect("rankings run");
        assert_eq!(
            m.officers_ranked, 2,
            "officers a and b served all of January"
        );
        s.stop().await;
    }
);

// The year's latest run is the one counting the latest day: a rerun of June
// recorded after November's does not replace November's on the reports.
db_test!(the_latest_run_counts_the_latest_day, |b| async move {
    use probity_proto::rankings::v1::{
        ListRankingsRequest, Ranking, RankingBatch, RecordRunRequest, Run, record_run_request::Part,
    };
    let s = TestServer::start(b).await;
    let service = s.service_token(&probity_common::service_identity::RANKINGS_JOB);
    let mut c = RankingsServiceClient::with_interceptor(
        s.channel().await,
        crate::harness::Bearer::new(&service),
    );
    for (name, day) in [("runs/november", "11-30"), ("runs/june-rerun", "06-30")] {
        let run = Run {
            name: name.into(),
            year: year(),
            as_of: format!("{}-{day}", year()),
            plan_version: "test".into(),
            ..Default::default()
        };
        let rows = RankingBatch {
            rankings: vec![Ranking {
                level: Level::Officer as i32,
                subject: "officers/a".into(),
                ..Default::default()
            }],
        };
        c.record_run(futures::stream::iter([
            RecordRunRequest {
                part: Some(Part::Run(run)),
            },
            RecordRunRequest {
                part: Some(Part::Rankings(rows)),
            },
        ]))
        .await
        .expect("record run");
    }
    let lead = s.token(probity_common::auth::Role::Leadership, None);
    let mut r = RankingsServiceClient::with_interceptor(
        s.channel().await,
        crate::harness::Bearer::new(&lead),
    );
    let latest = r
        .list_rankings(ListRankingsRequest {
            year: year(),
            level: Level::Officer as i32,
            ..Default::default()
        })
        .await
        .expect("list rankings")
        .into_inner()
        .run
        .expect("the run");
    assert_eq!(latest.name, "runs/november");
    s.stop().await;
});
