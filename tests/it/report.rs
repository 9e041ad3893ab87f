//! The report leadership reads (issue 16): a small city built through the
//! APIs, a year's cases and the previous year's sealed run beside it, the
//! job run, then `report.html` read as text and rendered in headless
//! Chromium (Debian `chromium`): a DOM check in an A4-landscape-wide window
//! (no element wider than the page, no cell too narrow for four characters,
//! no resource id in the visible text, the headline there) and a PDF
//! (A4 landscape, its text free of ids, its pages converted to PNG with
//! poppler's `pdftoppm`). Without Chromium and poppler the rendering is
//! skipped with a note, unless PROBITY_TEST_REQUIRE_CHROMIUM=1 (set by
//! scripts/test.sh) makes that a failure. PROBITY_TEST_KEEP_REPORT=DIR
//! keeps the files (HTML, PDF, PNG pages, workbook) there for a look.
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    time::Duration,
};

use probity_proto::{
    accountability::v1::SanctionKind,
    rankings::v1::{
        Level, Ranking, RankingBatch, RecordRunRequest, Run,
        rankings_service_client::RankingsServiceClient, record_run_request::Part,
    },
};

use crate::{
    accountability::{decided, decision, open},
    db_test,
    harness::{Backend, TestServer},
    rankings::{a_year, csv, job_settings, test_plan, year},
    rankings_towns::a_town,
};

/// Marks `body` vertically managed and records its superior's grade.
async fn vertical_with_grade(s: &TestServer, body: &str) {
    use probity_proto::{
        rankings::v1::{RecordSuperiorAssessmentRequest, SuperiorAssessment, SuperiorGrade},
        registry::v1::{Body, UpdateBodyRequest},
    };
    s.legal()
        .await
        .update_body(UpdateBodyRequest {
            request_id: crate::fixtures::rid(),
            body: Some(Body {
                name: body.into(),
                vertically_managed: true,
                ..Default::default()
            }),
            update_mask: crate::util::mask(&["vertically_managed"]),
            reason: "managed vertically below the province".into(),
        })
        .await
        .expect("mark vertically managed");
    let token = s.token(probity_common::auth::Role::LegalOffice, None);
    RankingsServiceClient::with_interceptor(s.channel().await, crate::harness::Bearer::new(&token))
        .record_superior_assessment(RecordSuperiorAssessmentRequest {
            request_id: crate::fixtures::rid(),
            superior_assessment: Some(SuperiorAssessment {
                body: body.into(),
                year: year(),
                grade: SuperiorGrade::BasicallyCompetent as i32,
                score: Some(71.5),
                superior: "黑龙江省生态环境厅".into(),
                document: "黑环发〔2026〕8号".into(),
                assessed_date: crate::intake::when()
                    .with_timezone(&probity_rankings::city())
                    .date_naive()
                    .to_string(),
                ..Default::default()
            }),
            correction_reason: String::new(),
        })
        .await
        .expect("record the superior's grade");
}

/// Resource ids as the services write them (`bodies/` and 8+ lowercase hex
/// digits, and the like): none may be read on a page.
fn resource_ids(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for prefix in ["bodies/", "officers/", "credentials/"] {
        let mut from = 0;
        while let Some(i) = text[from..].find(prefix) {
            let start = from + i;
            let rest = &text[start + prefix.len()..];
            let hex = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || ('a'..='f').contains(c))
                .count();
            if hex >= 8 {
                found.push(text[start..start + prefix.len() + hex].to_string());
            }
            from = start + prefix.len();
        }
    }
    found
}

#[test]
fn resource_ids_are_found() {
    assert_eq!(
        resource_ids("x bodies/01a2200cd7dc7785 y officers/12 credentials/abcdef0123"),
        vec!["bodies/01a2200cd7dc7785", "credentials/abcdef0123"]
    );
    assert!(resource_ids("runs/0123456789abcdef 执法部门").is_empty());
}

/// A program on PATH (or a path), if there.
fn which(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        return Path::new(name).is_file().then(|| PathBuf::from(name));
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Chromium and poppler's tools, or None (the rendering is skipped) unless
/// they are required.
struct Renderer {
    chromium: PathBuf,
    pdftoppm: PathBuf,
    pdfinfo: PathBuf,
    pdftotext: PathBuf,
}

impl Renderer {
    fn find() -> Option<Renderer> {
        let chromium = std::env::var("PROBITY_CHROMIUM")
            .ok()
            .and_then(|c| which(&c))
            .or_else(|| which("chromium"))
            .or_else(|| which("chromium-browser"));
        let tools = (
            chromium,
            which("pdftoppm"),
            which("pdfinfo"),
            which("pdftotext"),
        );
        if let (Some(chromium), Some(pdftoppm), Some(pdfinfo), Some(pdftotext)) = tools {
            return Some(Renderer {
                chromium,
                pdftoppm,
                pdfinfo,
                pdftotext,
            });
        }
        assert!(
            std::env::var("PROBITY_TEST_REQUIRE_CHROMIUM").as_deref() != Ok("1"),
            "PROBITY_TEST_REQUIRE_CHROMIUM=1 but chromium or poppler-utils is missing \
             (apt-get install chromium poppler-utils): {tools:?}"
        );
        eprintln!("chromium or poppler-utils not found: the report's rendering checks are skipped");
        None
    }

    async fn run(&self, program: &Path, args: &[String]) -> std::process::Output {
        let mut cmd = tokio::process::Command::new(program);
        cmd.args(args).kill_on_drop(true);
        let out = tokio::time::timeout(Duration::from_secs(180), cmd.output())
            .await
            .unwrap_or_else(|_| panic!("{} {args:?} took over 180 s", program.display()))
            .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
        assert!(
            out.status.success(),
            "{} {args:?}: {}\n{}",
            program.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    async fn chromium(&self, dir: &Path, profile: &str, args: &[String]) -> String {
        let mut all = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--no-first-run".into(),
            "--hide-scrollbars".into(),
            format!("--user-data-dir={}", dir.join(profile).display()),
        ];
        all.extend_from_slice(args);
        let out = self.run(&self.chromium, &all).await;
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// Measures the page as laid out in a window the width of an A4 landscape
/// page between its margins (277 mm at 96 dpi) and writes what it found
/// into the DOM, for `--dump-dom` to hand back.
const CHECK: &str = r#"<script>
(function () {
  var page = document.documentElement.clientWidth;
  var wide = [], narrow = [], spill = [];
  var all = document.body.getElementsByTagName('*');
  for (var i = 0; i < all.length; i++) {
    var e = all[i], r = e.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.left < -0.5 || r.right > page + 0.5) {
      wide.push(e.tagName + ' ' + Math.round(r.left) + '..' + Math.round(r.right) + ' ' + (e.textContent || '').slice(0, 40));
    }
  }
  var cells = document.querySelectorAll('td, th');
  for (var j = 0; j < cells.length; j++) {
    var c = cells[j], s = getComputedStyle(c);
    var inner = c.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
    if (inner < 4 * parseFloat(s.fontSize)) narrow.push(c.textContent.slice(0, 40) + ' ' + Math.round(inner) + 'px');
    if (c.scrollWidth > c.clientWidth + 1) spill.push(c.textContent.slice(0, 40));
  }
  var found = {
    page: page,
    scroll: document.documentElement.scrollWidth,
    wide: wide, narrow: narrow, spill: spill,
    headline: (document.getElementById('headline') || {}).innerText || '',
    text: document.body.innerText
  };
  var out = document.createElement('pre');
  out.id = 'probity-check';
  out.textContent = JSON.stringify(found);
  document.body.appendChild(out);
})();
</script>"#;

/// The report in Chromium: the DOM check, then the PDF and its pages.
async fn render(r: &Renderer, out: &Path, must_read: &[String]) -> Vec<PathBuf> {
    let dir = out.join("render");
    std::fs::create_dir_all(&dir).unwrap();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let checked = dir.join("checked.html");
    std::fs::write(
        &checked,
        html.replace("</body>", &format!("{CHECK}</body>")),
    )
    .unwrap();
    // 277 mm at 96 px per inch
    let dom = r
        .chromium(
            &dir,
            "profile-dom",
            &[
                "--window-size=1047,740".into(),
                "--dump-dom".into(),
                format!("file://{}", checked.display()),
            ],
        )
        .await;
    let doc = scraper::Html::parse_document(&dom);
    let pre = doc
        .select(&scraper::Selector::parse("#probity-check").unwrap())
        .next()
        .unwrap_or_else(|| panic!("the check did not run: {}", &dom[..dom.len().min(2000)]));
    let found: serde_json::Value =
        serde_json::from_str(&pre.text().collect::<String>()).expect("the check's JSON");
    assert_eq!(found["page"], 1047, "{found:?}");
    assert!(
        found["scroll"].as_u64().unwrap() <= 1047,
        "the page scrolls sideways: {}",
        found["scroll"]
    );
    for key in ["wide", "narrow", "spill"] {
        assert_eq!(
            found[key].as_array().unwrap().len(),
            0,
            "{key}: {:#?}",
            found[key]
        );
    }
    let text = found["text"].as_str().unwrap();
    assert_eq!(resource_ids(text), Vec::<String>::new(), "ids on the page");
    let headline = found["headline"].as_str().unwrap();
    for s in must_read {
        assert!(
            headline.contains(s.as_str()),
            "{s:?} not in the headline: {headline}"
        );
    }

    let pdf = dir.join("report.pdf");
    r.chromium(
        &dir,
        "profile-pdf",
        &[
            "--no-pdf-header-footer".into(),
            format!("--print-to-pdf={}", pdf.display()),
            format!("file://{}", out.join("report.html").display()),
        ],
    )
    .await;
    let arg = |p: &Path| p.display().to_string();
    let info = String::from_utf8_lossy(&r.run(&r.pdfinfo, &[arg(&pdf)]).await.stdout).into_owned();
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
            .unwrap_or_else(|| panic!("no {name} in {info}"))
            .to_string()
    };
    let pages: usize = field("Pages:").parse().unwrap();
    let size: Vec<f64> = field("Page size:")
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    assert!(
        (size[0] - 842.0).abs() < 2.0 && (size[1] - 595.0).abs() < 2.0,
        "A4 landscape: {info}"
    );
    let text = String::from_utf8_lossy(&r.run(&r.pdftotext, &[arg(&pdf), "-".into()]).await.stdout)
        .into_owned();
    assert_eq!(resource_ids(&text), Vec::<String>::new(), "ids in the PDF");
    assert!(text.contains("Flagged officers"), "{text}");
    r.run(
        &r.pdftoppm,
        &[
            "-png".into(),
            "-r".into(),
            "60".into(),
            arg(&pdf),
            arg(&dir.join("page")),
        ],
    )
    .await;
    let mut pngs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pngs.sort();
    assert_eq!(pngs.len(), pages, "a PNG per page");
    for p in &pngs {
        assert!(
            std::fs::metadata(p).unwrap().len() > 1000,
            "{}",
            p.display()
        );
    }
    pngs.push(pdf);
    pngs
}

/// Records a sealed run of the previous year with the given department ranks.
async fn sealed_previous_year(s: &TestServer, ranks: &[(&str, &str, i32)]) {
    let token = s.service_token(&probity_common::service_identity::RANKINGS_JOB);
    let mut c = RankingsServiceClient::with_interceptor(
        s.channel().await,
        crate::harness::Bearer::new(&token),
    );
    let y = year() - 1;
    let rows = ranks
        .iter()
        .map(|(subject, name, rank)| Ranking {
            level: Level::Department as i32,
            subject: subject.to_string(),
            display_name: name.to_string(),
            body: subject.to_string(),
            peer_group: "all".into(),
            ranked: true,
            rank: *rank,
            peer_size: ranks.len() as i32,
            score: 50.0,
            percentile: 50.0,
            peer_mean: 50.0,
            ..Default::default()
        })
        .collect();
    c.record_run(futures::stream::iter([
        RecordRunRequest {
            part: Some(Part::Run(Run {
                name: "runs/last-year".into(),
                year: y,
                as_of: format!("{y}-12-31"),
                finalized: true,
                plan_version: "test".into(),
                ..Default::default()
            })),
        },
        RecordRunRequest {
            part: Some(Part::Rankings(RankingBatch { rankings: rows })),
        },
    ]))
    .await
    .expect("record last year's sealed run");
}

/// Copies the run's files to PROBITY_TEST_KEEP_REPORT/<backend>, if set.
fn keep(out: &Path, rendered: &[PathBuf], backend: &Backend) {
    let Ok(to) = std::env::var("PROBITY_TEST_KEEP_REPORT") else {
        return;
    };
    let to = Path::new(&to).join(match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres(_) => "postgres",
    });
    std::fs::create_dir_all(&to).unwrap();
    for f in ["report.html", "rankings.xlsx"]
        .iter()
        .map(|f| out.join(f))
        .chain(rendered.iter().cloned())
    {
        std::fs::copy(&f, to.join(f.file_name().unwrap())).unwrap();
    }
}

fn by(rows: Vec<HashMap<String, String>>, key: &str) -> HashMap<String, HashMap<String, String>> {
    rows.into_iter().map(|r| (r[key].clone(), r)).collect()
}

db_test!(the_report_reads_as_a_report, |b: Backend| async move {
    let backend = b.clone();
    let s = TestServer::start(b).await;
    let y = a_year(&s).await;
    // Two towns, ranked in their own group (Art. 4).
    let town = |name, n, recorded| a_town(&s, &y.w.gov, name, n, 3, recorded);
    town("尚志市一面坡镇人民政府", 101, 3).await;
    town("尚志市苇河镇人民政府", 111, 0).await;
    // The ecology bureau managed vertically, its superior's grade recorded
    // by the office (Art. 4).
    vertical_with_grade(&s, &y.w.other.name).await;
    // Two cases this year: one opened, one decided and carried out with a
    // 通报批评, whose notice the report links.
    let mut office = crate::accountability::parties(&s).await;
    open(&mut office, &y.c.name, "ART20_01").await;
    let criticized = decided(
        &mut office,
        &y.w.other.name,
        "ART19_04",
        decision(
            2,
            &[SanctionKind::PublicCriticism, SanctionKind::Rectification],
        ),
    )
    .await;
    office
        .execute_decision(crate::accountability::step::<
            probity_proto::accountability::v1::ExecuteDecisionRequest,
        >(&criticized.name, "执行"))
        .await
        .expect("execute");
    let notice = crate::accountability::notices_of(&mut office, &criticized.name)
        .await
        .remove(0);
    // Last year, sealed: the big department first, the small one last.
    sealed_previous_year(
        &s,
        &[
            (&y.w.dept.name, "尚志市市场监督管理局", 1),
            (&y.w.other.name, "尚志市生态环境局", 2),
            (&y.small.name, "尚志市交通运输局", 3),
        ],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    // 5% below the peer-group mean flags someone in this small city.
    let plan = test_plan(dir.path());
    let strict = std::fs::read_to_string(&plan)
        .unwrap()
        .replace("fraction = 0.4", "fraction = 0.05");
    std::fs::write(&plan, strict).unwrap();
    let out = dir.path().join("run");
    crate::rankings::run(&s, &out, &plan, false).await;

    let depts = by(csv(&out.join("departments.csv")), "body");
    let officers = by(csv(&out.join("officers.csv")), "officer");
    assert_eq!(
        depts[&y.w.dept.name]["peer_group_name"],
        "全市 All departments"
    );
    assert_eq!(
        officers[&y.e.name]["peer_group_name"], "尚志市交通运输局",
        "an officer's group is their body, by name"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    // The year's notice, linked to its document beside the report.
    let file = format!("{}.html", notice.name);
    assert!(
        html.contains(&format!("href=\"{file}\"")),
        "no link to {file}"
    );
    let linked = std::fs::read_to_string(out.join(&file)).expect("the notice beside the report");
    assert!(linked.contains(&notice.title), "{linked}");
    let doc = scraper::Html::parse_document(&html);
    assert!(doc.errors.is_empty(), "HTML errors: {:?}", doc.errors);
    let sel = |s: &str| scraper::Selector::parse(s).unwrap();
    let text_of = |e: scraper::ElementRef<'_>| e.text().collect::<String>();
    let body = text_of(doc.select(&sel("body")).next().unwrap());
    assert_eq!(resource_ids(&body), Vec::<String>::new(), "ids in the text");
    let headline = text_of(doc.select(&sel("#headline")).next().expect("a headline"));

    // The headline: first and last departments, every flagged officer and
    // why, the year's cases, the change against last year.
    let ranked: Vec<&HashMap<String, String>> = depts.values().collect();
    let name_at = |rank: &str| {
        ranked
            .iter()
            .filter(|d| d["rank"] == rank)
            .map(|d| d["body_name"].clone())
            .collect::<Vec<_>>()
    };
    let mut must_read = vec![
        "立案 Opened 2".to_string(),
        "作出决定 Decided 1".into(),
        format!("Against {}", year() - 1),
    ];
    must_read.extend(name_at("1"));
    let flagged: Vec<&HashMap<String, String>> = officers
        .values()
        .filter(|o| o["below_threshold"] == "true" || o["failing"] == "true")
        .collect();
    assert!(!flagged.is_empty(), "someone is 5% below the mean");
    for o in &flagged {
        must_read.push(o["officer_name"].clone());
    }
    if flagged.iter().any(|o| o["below_threshold"] == "true") {
        must_read.push("below the Art. 20(2) line".into());
    }
    for s in &must_read {
        assert!(headline.contains(s.as_str()), "{s:?} not in: {headline}");
    }
    // Each department's rank against last year's sealed run, on its row.
    let before: HashMap<&str, i32> = [
        (y.w.dept.name.as_str(), 1),
        (y.w.other.name.as_str(), 2),
        (y.small.name.as_str(), 3),
    ]
    .into();
    for (body, d) in &depts {
        let now: i32 = d["rank"].parse().unwrap();
        let by = before[body.as_str()] - now;
        let row = doc
            .select(&sel(&format!(r#"table.ranking tr[data-subject="{body}"]"#)))
            .next()
            .unwrap_or_else(|| panic!("no row for {}", d["body_name"]));
        let row = text_of(row);
        let want = match by {
            0 => "持平".to_string(),
            n if n > 0 => format!("↑{n}"),
            n => format!("↓{}", -n),
        };
        assert!(row.contains(&want), "{want} not in {row}");
    }
    if depts
        .iter()
        .any(|(b, d)| before[b.as_str()] > d["rank"].parse::<i32>().unwrap())
    {
        assert!(headline.contains("Rose most"), "{headline}");
    }
    // The towns: their own ranking, chart and pages, and their own line in
    // the headline; no department among them, no town among the departments.
    let towns = by(csv(&out.join("towns.csv")), "body");
    assert_eq!(towns.len(), 2);
    let section = |id: &str| {
        text_of(
            doc.select(&sel(id))
                .next()
                .unwrap_or_else(|| panic!("no {id}")),
        )
    };
    let town_ranking = section("#ranking-town");
    let dept_ranking = section("#ranking-department");
    for t in towns.values() {
        assert!(town_ranking.contains(&t["body_name"]), "{town_ranking}");
        assert!(!dept_ranking.contains(&t["body_name"]), "{dept_ranking}");
    }
    for d in depts.values() {
        assert!(!town_ranking.contains(&d["body_name"]), "{town_ranking}");
    }
    assert!(
        doc.select(&sel("#ranking-town svg")).next().is_some(),
        "the towns' chart"
    );
    assert_eq!(doc.select(&sel("section.town")).count(), 2);
    let first_town = towns.values().find(|t| t["rank"] == "1").unwrap()["body_name"].clone();
    let town_line = section("#headline-town");
    assert!(town_line.contains(&first_town), "{town_line}");
    must_read.push("乡镇人民政府排名 Town ranking".into());
    must_read.push(first_town);
    // The vertically managed bureau's superior grade beside its rank here.
    let other = &y.w.other.name;
    let row = doc
        .select(&sel(&format!(
            r#"table.superior tr[data-subject="{other}"]"#
        )))
        .next()
        .map(text_of)
        .expect("the superior's assessment beside the rank");
    for want in [
        format!("{} / 3", depts[other]["rank"]),
        "基本合格 Basically competent".into(),
        "黑环发〔2026〕8号".into(),
    ] {
        assert!(row.contains(&want), "{want} not in {row}");
    }
    // A page per department: its name, its indicators, its officers.
    let pages: Vec<String> = doc
        .select(&sel("section.department"))
        .map(text_of)
        .collect();
    assert_eq!(pages.len(), depts.len());
    for d in depts.values() {
        let page = pages
            .iter()
            .find(|p| p.contains(&d["body_name"]))
            .unwrap_or_else(|| panic!("no page for {}", d["body_name"]));
        assert!(page.contains("Peer group value"), "{page}");
    }
    let small_page = pages
        .iter()
        .find(|p| p.contains("尚志市交通运输局"))
        .unwrap();
    assert!(small_page.contains("钱七") && small_page.contains("孙八"));

    // The workbook: the same sheets.
    use calamine::Reader;
    let mut wb = calamine::open_workbook_auto(out.join("rankings.xlsx")).unwrap();
    assert_eq!(
        wb.sheet_names().to_vec(),
        vec![
            "概要 Headline",
            "部门排名 Departments",
            "乡镇排名 Towns",
            "部门人员 Department officers",
            "人员排名 Officers",
            "需关注 Flags"
        ]
    );
    let per_dept = wb.worksheet_range("部门人员 Department officers").unwrap();
    assert_eq!(per_dept.height(), 1 + officers.len());
    let flags = wb.worksheet_range("需关注 Flags").unwrap();
    assert!(flags.height() > flagged.len(), "a header and the flagged");
    let cells: String = wb
        .worksheet_range("概要 Headline")
        .unwrap()
        .cells()
        .map(|(_, _, c)| c.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(cells.contains("立案 opened 2"), "{cells}");
    // Every sheet's header row is frozen, and its name columns are wide
    // enough for ten Chinese characters.
    let file = std::fs::File::open(out.join("rankings.xlsx")).unwrap();
    let mut zip = zip::ZipArchive::new(file).unwrap();
    for i in 1..=6 {
        let mut xml = String::new();
        std::io::Read::read_to_string(
            &mut zip.by_name(&format!("xl/worksheets/sheet{i}.xml")).unwrap(),
            &mut xml,
        )
        .unwrap();
        assert!(
            xml.contains(r#"ySplit="1""#) && xml.contains(r#"state="frozen""#),
            "sheet {i}: {xml}"
        );
        let widest = xml
            .split("width=\"")
            .skip(1)
            .filter_map(|w| w.split('"').next()?.parse::<f64>().ok())
            .fold(0.0, f64::max);
        assert!(widest >= 22.0, "sheet {i}: widest column {widest}");
    }

    let rendered = match Renderer::find() {
        Some(r) => render(&r, &out, &must_read).await,
        None => Vec::new(),
    };
    keep(&out, &rendered, &backend);

    // Accountability out of reach: the run goes on, and says so.
    let mut settings = job_settings(&s);
    settings
        .section_mut::<probity_rankings::settings::RankingsSettings>()
        .accountability_endpoint = "http://127.0.0.1:9".into();
    let dark = dir.path().join("dark");
    probity_rankings::run(
        &settings,
        probity_rankings::RunOptions {
            year: year(),
            plan: Some(plan.clone()),
            out: Some(dark.clone()),
            quiet: true,
            ..Default::default()
        },
    )
    .await
    .expect("a run without accountability");
    let html = std::fs::read_to_string(dark.join("report.html")).unwrap();
    assert!(
        html.contains("The case count is not available in this run"),
        "{html}"
    );
    s.stop().await;
});
