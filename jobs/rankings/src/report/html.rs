//! The HTML report: an opening page with the year's headline, the
//! department ranking, points by indicator, flagged officers and cases,
//! then a page per department (its rank, its indicators beside its peer
//! group's, its officers). Self-contained (inline CSS and SVG, no script),
//! it prints on A4 landscape: tables have fixed layouts that fit the 277 mm
//! between the margins, and names keep columns wide enough to read.
//! Resource ids appear only in `data-subject` attributes, for tooling.
use std::fmt::Write as _;

use super::{
    charts::{self, Bar, Mark},
    labels::{self, esc, points, score, signed},
    model::{Change, Indicator, Model, Subject},
};

/// Which ranking a page is about: the departments', or the towns' (Art. 4:
/// lower governments, ranked among themselves).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    Department,
    Town,
}

impl Unit {
    fn of<'m>(self, m: &'m Model<'_>) -> &'m [Subject] {
        match self {
            Unit::Department => &m.departments,
            Unit::Town => &m.towns,
        }
    }

    /// The column header naming one.
    fn label(self) -> &'static str {
        match self {
            Unit::Department => labels::DEPARTMENT,
            Unit::Town => labels::TOWN,
        }
    }

    fn ranking_title(self) -> &'static str {
        match self {
            Unit::Department => "执法部门排名 Department ranking",
            Unit::Town => "乡镇人民政府排名 Town ranking (Art. 4)",
        }
    }

    fn points_title(self) -> &'static str {
        match self {
            Unit::Department => "执法部门指标得分 Department points by indicator",
            Unit::Town => "乡镇人民政府指标得分 Town points by indicator",
        }
    }

    /// The page's class and its running label.
    fn page(self) -> (&'static str, &'static str) {
        match self {
            Unit::Department => ("department", "执法部门 Department"),
            Unit::Town => ("town", "乡镇 Town"),
        }
    }
}

const CSS: &str = r#"
@page { size: A4 landscape; margin: 10mm 10mm 12mm; }
* { box-sizing: border-box; }
html { font-size: 10pt; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif;
  color: #1d2330; line-height: 1.45; margin: 0 auto; padding: 0; max-width: 277mm; }
section.page { padding: 6mm 0 4mm; }
section.page + section.page { border-top: 2px solid #d0d7de; }
section.flow { padding-top: 2mm; }
section.page + section.flow { border-top: none; }
h1 { font-size: 20pt; line-height: 1.25; margin: 0 0 2mm; }
h1 .en { display: block; font-size: 13pt; font-weight: normal; color: #4a5160; }
h2 { font-size: 14pt; margin: 0 0 3mm; padding-bottom: 1mm; border-bottom: 1px solid #c8ccd2; }
h3 { font-size: 11pt; margin: 5mm 0 2mm; }
p { margin: 1mm 0 2mm; }
.kicker { color: #4a5160; margin: 0 0 2mm; }
.pageno { float: right; font-size: 9pt; font-weight: normal; color: #6a7180; }
.status { display: inline-block; padding: 1mm 3mm; border-radius: 2mm; background: #fff4d6; color: #6b4e00; }
.status.final { background: #e3f4e5; color: #1d5e24; }
.cards { display: grid; grid-template-columns: repeat(3, 1fr); gap: 4mm; margin: 4mm 0; }
.cards.four { grid-template-columns: repeat(4, 1fr); gap: 3mm; }
.card.wide { margin-bottom: 3mm; }
.card.wide table { margin-bottom: 1mm; font-size: 8.5pt; }
.card { border: 1px solid #d0d7de; border-radius: 2mm; padding: 2.5mm 4mm; min-width: 0; }
.card h2 { font-size: 12pt; border: none; margin: 0 0 2mm; padding: 0; }
.card ul { margin: 1mm 0; padding-left: 5mm; }
.card li { margin-bottom: 1mm; }
.big { font-size: 13pt; font-weight: bold; margin: 0 0 1mm; }
.stats { display: grid; grid-template-columns: repeat(4, 1fr); gap: 3mm; margin: 2mm 0 4mm; }
.stat { border: 1px solid #d0d7de; border-radius: 2mm; padding: 2mm 3mm; min-width: 0; }
.stat > span { display: block; font-size: 8.5pt; color: #4a5160; }
.stat > b { display: block; font-size: 14pt; }
table { width: 100%; table-layout: fixed; border-collapse: collapse; font-size: 9pt; margin: 2mm 0 4mm; }
th, td { border-bottom: 1px solid #e1e4e8; padding: 1.2mm 1.5mm; text-align: left; vertical-align: top;
  overflow-wrap: break-word; word-break: normal; }
th { background: #f2f4f7; font-weight: 600; vertical-align: bottom; }
th.n, td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.mean td { border-top: 1.5px solid #8b93a1; font-style: italic; color: #4a5160; }
table.matrix { font-size: 8pt; }
table.matrix th { font-size: 7.5pt; font-weight: normal; }
.up { color: #2e7d32; }
.down { color: #c0392b; }
.flag { display: inline-block; padding: 0 1.5mm; border-radius: 1mm; font-size: 8pt; margin: 0 1mm 0.5mm 0; }
.flag.fail { background: #fde2e1; color: #8a1c12; }
.flag.below { background: #ffe9cc; color: #7a4100; }
.flag.good { background: #e3f4e5; color: #1d5e24; }
.chart { display: block; width: 100%; max-width: 200mm; height: auto; margin: 2mm 0; }
.histogram { max-width: 160mm; }
.breakdown { max-width: none; }
.legend { font-size: 8pt; margin: 1mm 0 3mm; }
.legend span { display: inline-block; margin-right: 3mm; }
.legend i { display: inline-block; width: 2.5mm; height: 2.5mm; margin-right: 1mm; }
.officer-why { break-inside: avoid; margin-bottom: 3mm; }
.muted { color: #6a7180; }
.small { font-size: 8.5pt; }
@media print {
  section.page { break-before: page; border-top: none; padding: 0; }
  section.page:first-child, section.flow { break-before: auto; }
  h2, h3 { break-after: avoid; }
  tr, .card, .stat, table.cases { break-inside: avoid; }
  .card.wide { break-inside: auto; }
  /* A city of 30 departments draws a ranking taller than the page: scaled
     to fit under its heading, or the heading is left alone on a page. */
  .chart { max-height: 160mm; }
}
"#;

/// The short flag labels a table cell holds (the meanings are on the last page).
fn flags(s: &Subject) -> String {
    let mut out = String::new();
    if s.below_threshold {
        out.push_str(r#"<span class="flag below">低于阈值 Below line</span>"#);
    }
    if s.failing {
        out.push_str(r#"<span class="flag fail">不合格 Failing</span>"#);
    }
    if s.outstanding {
        out.push_str(r#"<span class="flag good">优秀 Outstanding</span>"#);
    }
    if !s.ranked {
        out.push_str(&format!(
            r#"<span class="muted">{}</span>"#,
            labels::NOT_RANKED
        ));
    }
    out
}

fn rank_of(s: &Subject) -> String {
    match s.rank {
        Some(r) if s.ranked => format!("{r} / {}", s.peer_n),
        _ => "—".into(),
    }
}

fn opt(v: Option<f64>, f: fn(f64) -> String) -> String {
    v.map(f).unwrap_or_else(|| "—".into())
}

fn change_cell(c: Option<Change>) -> String {
    match c {
        None => r#"<span class="muted">—</span>"#.into(),
        Some(Change::New) => "新 New".into(),
        Some(Change::Moved { before, by: 0 }) => {
            format!(r#"持平 = <span class="muted">({before})</span>"#)
        }
        Some(Change::Moved { before, by }) if by > 0 => format!(
            r#"<span class="up">↑{by}</span> <span class="muted">({before}→{})</span>"#,
            before - by
        ),
        Some(Change::Moved { before, by }) => format!(
            r#"<span class="down">↓{}</span> <span class="muted">({before}→{})</span>"#,
            -by,
            before - by
        ),
    }
}

/// A table: (header, width, numeric) per column, then rows of cells (HTML).
struct Table<'a> {
    class: &'a str,
    cols: Vec<(String, &'a str, bool)>,
    rows: Vec<(String, Vec<String>)>,
}

impl<'a> Table<'a> {
    fn new(class: &'a str) -> Self {
        Table {
            class,
            cols: Vec::new(),
            rows: Vec::new(),
        }
    }

    fn col(&mut self, header: impl Into<String>, width: &'a str, numeric: bool) -> &mut Self {
        self.cols.push((header.into(), width, numeric));
        self
    }

    /// A row; `attrs` go on the <tr> (data-subject, class).
    fn row(&mut self, attrs: impl Into<String>, cells: Vec<String>) {
        self.rows.push((attrs.into(), cells));
    }

    fn render(&self, page: &mut String) {
        let _ = write!(page, r#"<table class="{}"><colgroup>"#, self.class);
        for (_, w, _) in &self.cols {
            if w.is_empty() {
                page.push_str("<col>");
            } else {
                let _ = write!(page, r#"<col style="width:{w}">"#);
            }
        }
        page.push_str("</colgroup><thead><tr>");
        for (h, _, n) in &self.cols {
            let _ = write!(
                page,
                "<th{}>{h}</th>",
                if *n { r#" class="n""# } else { "" }
            );
        }
        page.push_str("</tr></thead><tbody>\n");
        for (attrs, cells) in &self.rows {
            let _ = write!(page, "<tr{attrs}>");
            for ((_, _, n), c) in self.cols.iter().zip(cells) {
                let _ = write!(
                    page,
                    "<td{}>{c}</td>",
                    if *n { r#" class="n""# } else { "" }
                );
            }
            page.push_str("</tr>\n");
        }
        page.push_str("</tbody></table>\n");
    }
}

fn subject_attr(s: &Subject) -> String {
    format!(r#" data-subject="{}""#, esc(&s.subject))
}

/// Why an officer is flagged, for a page.
fn why(m: &Model<'_>, o: &Subject) -> String {
    esc(&m.why(o))
}

fn cover(m: &Model<'_>, page: &mut String) {
    let c = m.ctx;
    let _ = write!(
        page,
        r#"<section class="page cover"><p class="kicker">{}</p>
<h1>{} 年度行政执法责任制考核报告<span class="en">Annual law-enforcement accountability assessment, {}</span></h1>
<p><span class="status{}">截至 As of {} · {}</span> &nbsp; 参与排名 Ranked: {} 个执法部门 departments · {} 个乡镇 towns · {} 名执法人员 officers</p>
<div id="headline"><div class="cards{}">
"#,
        esc(&c.plan.title),
        c.year,
        c.year,
        if c.finalized { " final" } else { "" },
        c.as_of,
        if c.finalized {
            "定稿 Final: the year is sealed"
        } else {
            "年度进行中，非定稿 Year to date, not final"
        },
        m.departments.iter().filter(|d| d.ranked).count(),
        m.towns.iter().filter(|d| d.ranked).count(),
        m.officers.iter().filter(|o| o.ranked).count(),
        if m.towns.is_empty() { "" } else { " four" },
    );
    // Departments: each group's first and last; the towns beside them, a
    // card of their own (Art. 4).
    headline_card(m, page, Unit::Department);
    if !m.towns.is_empty() {
        headline_card(m, page, Unit::Town);
    }
    // Cases.
    page.push_str(r#"<div class="card"><h2>责任追究案件 Accountability cases</h2>"#);
    match &m.cases {
        None => page.push_str(
            "<p class=\"big\">—</p><p>本次运行无法获取案件数：责任追究服务未应答。 The case count is not available in this run: the accountability service did not answer.</p>",
        ),
        Some(cases) => {
            let _ = write!(
                page,
                r#"<p class="big">立案 Opened {} · 作出决定 Decided {}</p><p>撤销立案 Dismissed {}</p>"#,
                cases.opened, cases.decided, cases.dismissed
            );
            let mut by_state: Vec<String> = Vec::new();
            for st in labels::CASE_STATES {
                let n: usize = cases
                    .by_origin_state
                    .iter()
                    .filter(|((_, s), _)| s == st)
                    .map(|(_, n)| n)
                    .sum();
                if n > 0 {
                    by_state.push(format!("{} {n}", labels::case_state(st)));
                }
            }
            if !by_state.is_empty() {
                let _ = write!(
                    page,
                    "<p>本年立案现状 Where this year's cases stand: {}</p>",
                    by_state.join(" · ")
                );
            }
        }
    }
    page.push_str("</div>\n");
    // Against the previous year.
    let p = m.previous;
    let _ = write!(
        page,
        r#"<div class="card"><h2>较上年 Against {}</h2>"#,
        p.year
    );
    if !p.sealed {
        let _ = write!(
            page,
            "<p>{}</p>",
            if p.run.is_empty() {
                format!(
                    "没有 {} 年定稿的考核结果，不作比较。 There is no sealed run of {}: no comparison.",
                    p.year, p.year
                )
            } else {
                format!(
                    "{} 年尚未定稿（最近一次截至 {}），不作比较。 {} is not sealed yet (latest run as of {}): no comparison.",
                    p.year, p.as_of, p.year, p.as_of
                )
            }
        );
    } else {
        let _ = write!(
            page,
            "<p>与 {} 年定稿结果（截至 {}）相比 Against the sealed run of {} (as of {}):</p>",
            p.year, p.as_of, p.year, p.as_of
        );
        let moved: Vec<(&Subject, i32)> = m
            .departments
            .iter()
            .filter_map(|d| match m.change(d) {
                Some(Change::Moved { by, .. }) => Some((d, by)),
                _ => None,
            })
            .collect();
        let new = m
            .departments
            .iter()
            .filter(|d| m.change(d) == Some(Change::New))
            .count();
        let rose = moved
            .iter()
            .filter(|(_, by)| *by > 0)
            .max_by_key(|(_, by)| *by);
        let fell = moved
            .iter()
            .filter(|(_, by)| *by < 0)
            .min_by_key(|(_, by)| *by);
        page.push_str("<ul>");
        if let Some((d, _)) = rose {
            let _ = write!(
                page,
                "<li>上升最多 Rose most: <b>{}</b> {}</li>",
                esc(&d.name),
                change_cell(m.change(d))
            );
        }
        if let Some((d, _)) = fell {
            let _ = write!(
                page,
                "<li>下降最多 Fell most: <b>{}</b> {}</li>",
                esc(&d.name),
                change_cell(m.change(d))
            );
        }
        let same = moved.iter().filter(|(_, by)| *by == 0).count();
        let _ = write!(
            page,
            "<li>名次未变 Same rank: {same} · 上年未排名 Not ranked last year: {new}</li></ul>"
        );
    }
    page.push_str("</div>\n</div>\n");
    // Flagged officers and why, the full width.
    let flagged = m.flagged_officers();
    let _ = write!(
        page,
        r#"<div class="card wide"><h2>需关注人员 Flagged officers: {} 人</h2>"#,
        flagged.len()
    );
    if flagged.is_empty() {
        page.push_str("<p>无人低于第二十条第二项阈值或考核不合格 No officer is below the Art. 20(2) line or failing.</p>");
    } else {
        const SHOWN: usize = 5;
        let mut t = Table::new("flagged-short");
        t.col(labels::OFFICER, "30mm", false)
            .col(labels::DEPARTMENT, "62mm", false)
            .col(labels::SCORE, "17mm", true)
            .col("原因 Why", "", false);
        for o in flagged.iter().take(SHOWN) {
            t.row(
                subject_attr(o),
                vec![
                    format!("<b>{}</b>", esc(&o.name)),
                    esc(&o.body_name),
                    score(o.score),
                    esc(&m.why_short(o)),
                ],
            );
        }
        t.render(page);
        if flagged.len() > SHOWN {
            let _ = write!(
                page,
                "<p class=\"muted\">另有 {} 人，见“需关注人员”页 {} more on the flagged officers page.</p>",
                flagged.len() - SHOWN,
                flagged.len() - SHOWN
            );
        }
    }
    page.push_str("</div>\n</div>\n");
    page.push_str("</section>\n");
}

/// A ranking's card on the opening page: each group's first and last, and
/// those failing or outstanding (Art. 6).
fn headline_card(m: &Model<'_>, page: &mut String, unit: Unit) {
    let _ = write!(
        page,
        r#"<div class="card" id="headline-{}"><h2>{}</h2>"#,
        unit.page().0,
        unit.ranking_title()
    );
    let (groups, none) = match unit {
        Unit::Department => (
            m.top_and_bottom(),
            "<p>无参与排名的部门 No department was ranked.</p>",
        ),
        Unit::Town => (
            m.towns_top_and_bottom(),
            "<p>无参与排名的乡镇 No town was ranked.</p>",
        ),
    };
    if groups.is_empty() {
        page.push_str(none);
    }
    let names = |v: &[&Subject]| {
        v.iter()
            .map(|d| format!("<b>{}</b> {}", esc(&d.name), score(d.score)))
            .collect::<Vec<_>>()
            .join("、")
    };
    for (group, top, bottom) in &groups {
        let mean = top.first().and_then(|d| d.peer_mean).map(score);
        let _ = write!(
            page,
            r#"<p class="muted">{} · {} {}</p>"#,
            esc(group),
            labels::PEER_MEAN,
            mean.unwrap_or_default()
        );
        let _ = write!(page, "<p>第一 Top: {}</p>", names(top));
        if !bottom.is_empty() {
            let _ = write!(page, "<p>末位 Bottom: {}</p>", names(bottom));
        }
    }
    let units = unit.of(m);
    let failing: Vec<&Subject> = units.iter().filter(|d| d.failing).collect();
    let outstanding: Vec<&Subject> = units.iter().filter(|d| d.outstanding).collect();
    let _ = writeln!(
        page,
        "<p>考核不合格 Failing (Art. 6): {}</p><p>考核成绩突出 Outstanding (Art. 6): {}</p></div>",
        if failing.is_empty() {
            "无 none".into()
        } else {
            names(&failing)
        },
        if outstanding.is_empty() {
            "无 none".into()
        } else {
            names(&outstanding)
        }
    );
}

fn ranking(m: &Model<'_>, page: &mut String, unit: Unit) {
    let units = unit.of(m);
    let _ = write!(
        page,
        r#"<section class="page" id="ranking-{}"><h2>{}</h2>"#,
        unit.page().0,
        unit.ranking_title()
    );
    if unit == Unit::Town {
        page.push_str("<p class=\"small muted\">乡镇人民政府只与乡镇比较，与执法部门使用同一套指标和权重 Towns are compared with towns only, on the departments' indicators and weights (Art. 4, 8).</p>");
    }
    let bars: Vec<Bar<'_>> = units
        .iter()
        .filter(|d| d.ranked)
        .map(|d| Bar {
            label: &d.name,
            value: d.score,
            mark: if d.failing {
                Mark::Failing
            } else if d.outstanding {
                Mark::Outstanding
            } else {
                Mark::Plain
            },
        })
        .collect();
    let one_group = units.iter().all(|d| d.peer_group == units[0].peer_group);
    let mean = units
        .first()
        .and_then(|d| d.peer_mean)
        .filter(|_| one_group);
    page.push_str(&charts::bars(&bars, mean));
    page.push_str("<p class=\"small muted\">红色 red: 考核不合格 failing (Art. 6); 绿色 green: 考核成绩突出 outstanding (Art. 6); 虚线 dashed line: 组平均分 the peer-group mean.</p>\n");
    let mut t = Table::new("ranking");
    // The drawn-share column takes its room from the names, which wrap,
    // so the peer group keeps a readable width on an A4 landscape page.
    let name_width = if m.has_drawn() { "52mm" } else { "74mm" };
    t.col(labels::RANK, "17mm", true)
        .col(unit.label(), name_width, false)
        .col(labels::SCORE, "18mm", true)
        .col(labels::PEER_MEAN, "20mm", true)
        .col(labels::PERCENTILE, "20mm", true)
        .col(labels::CHANGE, "26mm", false)
        .col(labels::PEER_GROUP, "", false)
        .col("参与排名人员 Officers ranked", "26mm", true);
    if m.has_drawn() {
        t.col(labels::DRAWN_SHARE, "30mm", false);
    }
    t.col(labels::FLAGS, "36mm", false);
    for d in units {
        let mut cells = vec![
            rank_of(d),
            esc(&d.name),
            score(d.score),
            opt(d.peer_mean, score),
            opt(d.percentile, |x| format!("{x:.0}")),
            change_cell(m.change(d)),
            esc(&d.peer_group_name),
            d.officers_ranked.to_string(),
        ];
        if m.has_drawn() {
            cells.push(esc(&labels::drawn_share(m.drawn(d))));
        }
        cells.push(flags(d));
        t.row(subject_attr(d), cells);
    }
    t.render(page);
    if unit == Unit::Department {
        superior_assessments(m, page);
    }
    page.push_str("</section>\n");
}

/// Art. 4: the vertically managed departments' assessments by their
/// superiors, beside the rank computed here (never counted in it).
fn superior_assessments(m: &Model<'_>, page: &mut String) {
    let rows = m.superior_rows();
    if rows.is_empty() {
        return;
    }
    page.push_str(r#"<h3 id="superior">垂直管理部门上级考核结果 Superior assessments of vertically managed departments (Art. 4)</h3><p class="small muted">上级部门评议考核结果报本级法制机构，与本市考核结果并列，不计入得分 Reported to the legal-affairs office and shown beside the city's result; not counted in any score.</p>"#);
    let mut t = Table::new("superior");
    t.col(labels::DEPARTMENT, "74mm", false)
        .col("本市名次 Rank here", "24mm", true)
        .col("本市得分 Score here", "22mm", true)
        .col("上级评定 Superior's grade", "36mm", false)
        .col("上级得分 Score", "18mm", true)
        .col(
            "上级部门 · 文号 · 日期 Superior · document · date",
            "",
            false,
        );
    for (d, a) in rows {
        let (grade, sc, rest) = match a {
            None => (
                format!(r#"<span class="muted">{}</span>"#, labels::NOT_REPORTED),
                "—".to_string(),
                "—".to_string(),
            ),
            Some(a) => (
                esc(labels::superior_grade(&a.grade)),
                opt(a.score, |x| format!("{x:.1}")),
                esc(&format!(
                    "{} · {} · {}{}",
                    a.superior,
                    a.document,
                    a.assessed_date,
                    if a.revision > 1 {
                        format!(" (第 {} 次更正 revision {})", a.revision - 1, a.revision)
                    } else {
                        String::new()
                    }
                )),
            ),
        };
        t.row(
            subject_attr(d),
            vec![esc(&d.name), rank_of(d), score(d.score), grade, sc, rest],
        );
    }
    t.render(page);
}

/// Subjects (rows) by indicator points (columns), with their group's mean last.
fn matrix(
    page: &mut String,
    m: &Model<'_>,
    inds: &[Indicator],
    rows: &[&Subject],
    officer: bool,
    mean_of: Option<&Subject>,
    label: &str,
) {
    let mut t = Table::new("matrix");
    t.col(label, if officer { "30mm" } else { "44mm" }, false);
    for i in inds {
        t.col(
            format!(
                "{}<br><span class=\"muted\">{} · {:.0}%</span>",
                esc(i.zh),
                esc(i.en),
                100.0 * i.weight
            ),
            "",
            true,
        );
    }
    t.col(labels::SCORE, "16mm", true);
    for s in rows {
        let mut cells = vec![esc(&s.name)];
        cells.extend(s.points.iter().map(|p| points(*p)));
        cells.push(score(s.score));
        t.row(subject_attr(s), cells);
    }
    if let Some(s) = mean_of {
        let group = if officer && s.peer_group == s.body {
            "本部门 this department".to_string()
        } else {
            esc(&s.peer_group_name)
        };
        let mut cells = vec![format!("组平均 Peer mean · {group}")];
        cells.extend(m.group_points(s, officer).iter().map(|p| points(*p)));
        cells.push(opt(s.peer_mean, score));
        t.row(r#" class="mean""#, cells);
    }
    t.render(page);
}

fn unit_points(m: &Model<'_>, page: &mut String, unit: Unit) {
    let _ = write!(
        page,
        r#"<section class="page flow"><h2>{}</h2><p class="small muted">每项指标的得分 = 100 × 权重 × 与比较组相比的标准化值；各项得分之和为总分。 Points = 100 × weight × the value normalized against the peer group; a score is the sum of its points. 表头百分比为权重 The percentage under each indicator is its weight.</p>"#,
        unit.points_title()
    );
    let rows: Vec<&Subject> = unit.of(m).iter().collect();
    let one_group = rows.iter().all(|d| d.peer_group == rows[0].peer_group);
    matrix(
        page,
        m,
        &m.department_indicators,
        &rows,
        false,
        rows.first().copied().filter(|_| one_group),
        unit.label(),
    );
    page.push_str("</section>\n");
}

fn flagged_and_cases(m: &Model<'_>, page: &mut String) {
    page.push_str(
        r#"<section class="page"><h2>需关注人员 Flagged officers (Art. 20(2), Art. 6)</h2>"#,
    );
    let flagged = m.flagged_officers();
    if flagged.is_empty() {
        page.push_str("<p>无 None.</p>");
    } else {
        let mut t = Table::new("flagged");
        t.col(labels::OFFICER, "30mm", false)
            .col(labels::DEPARTMENT, "50mm", false)
            .col(labels::SCORE, "17mm", true)
            .col(labels::PEER_MEAN, "20mm", true)
            .col("原因 Why", "", false);
        for o in &flagged {
            t.row(
                subject_attr(o),
                vec![
                    esc(&o.name),
                    esc(&o.body_name),
                    score(o.score),
                    opt(o.peer_mean, score),
                    why(m, o),
                ],
            );
        }
        t.render(page);
    }
    let ranked: Vec<f64> = m
        .officers
        .iter()
        .filter(|o| o.ranked)
        .map(|o| o.score)
        .collect();
    let _ = writeln!(
        page,
        "<h3>人员得分分布 Distribution of officers' scores</h3>{}<p class=\"small muted\">{} 名执法人员参与排名 officers ranked; 每栏 10 分 bins of 10 points.</p>",
        charts::histogram(&ranked),
        ranked.len()
    );
    let _ = write!(
        page,
        "<h3>责任追究案件 Accountability cases, {}</h3>",
        m.ctx.year
    );
    match &m.cases {
        None => page
            .push_str("<p>本次运行无法获取案件数 The case count is not available in this run.</p>"),
        Some(cases) => {
            let mut t = Table::new("cases");
            t.col("来源 Origin", "62mm", false);
            for st in labels::CASE_STATES {
                t.col(labels::case_state(st), "", true);
            }
            t.col("合计 Total", "16mm", true);
            for origin in labels::CASE_ORIGINS {
                let mut cells = vec![labels::case_origin(origin).to_string()];
                let mut total = 0;
                for st in labels::CASE_STATES {
                    let n = cases
                        .by_origin_state
                        .get(&(origin.to_string(), st.to_string()))
                        .copied()
                        .unwrap_or(0);
                    total += n;
                    cells.push(n.to_string());
                }
                cells.push(total.to_string());
                t.row("", cells);
            }
            t.render(page);
            let subjects: Vec<String> = cases
                .by_subject_kind
                .iter()
                .map(|(k, n)| format!("{} {n}", labels::subject_kind(k)))
                .collect();
            let _ = write!(
                page,
                "<p class=\"small\">本年立案 {} 件 {} opened in {} (counted by where they stand now); 对象 subjects: {}。本年作出决定 {} 件 {} decided, 撤销立案 {} 件 {} dismissed in the year (whenever opened).</p>",
                cases.opened,
                cases.opened,
                m.ctx.year,
                if subjects.is_empty() {
                    "—".into()
                } else {
                    subjects.join(" · ")
                },
                cases.decided,
                cases.decided,
                cases.dismissed,
                cases.dismissed
            );
        }
    }
    notices(m, page);
    page.push_str("</section>\n");
}

/// The year's notices (通报), each linked to its document beside the report.
fn notices(m: &Model<'_>, page: &mut String) {
    let _ = write!(page, "<h3>通报 Notices, {}</h3>", m.ctx.year);
    match &m.ctx.beside.notices {
        None => {
            page.push_str("<p>本次运行无法获取通报 The notices are not available in this run.</p>")
        }
        Some(ns) if ns.is_empty() => page.push_str("<p>本年无通报 No notice this year.</p>"),
        Some(ns) => {
            page.push_str("<ul class=\"notices\">");
            for n in ns {
                let kind = match n.kind.as_str() {
                    "NOTICE_KIND_COMMENDATION" => "表彰 Commendation",
                    _ => "通报批评 Public criticism",
                };
                let _ = write!(
                    page,
                    "<li><a href=\"{}\">{}</a> {} · {} · {} · {}</li>",
                    esc(&n.file()),
                    esc(&n.title),
                    esc(&n.number),
                    kind,
                    esc(&n.issuer),
                    esc(&n.issue_date)
                );
            }
            page.push_str("</ul>");
        }
    }
}

fn officers_table(page: &mut String, officers: &[&Subject], with_body: bool) {
    let mut t = Table::new("officers");
    t.col(labels::RANK, "17mm", true)
        .col(labels::OFFICER, "32mm", false);
    if with_body {
        t.col(labels::DEPARTMENT, "50mm", false);
    }
    t.col(labels::SCORE, "17mm", true)
        .col(labels::PEER_MEAN, "20mm", true)
        .col(labels::PERCENTILE, "20mm", true)
        .col(labels::DAYS_IN_POST, "20mm", true)
        .col(labels::PEER_GROUP, "44mm", false)
        .col(labels::FLAGS, "", false);
    for o in officers {
        let mut cells = vec![rank_of(o), esc(&o.name)];
        if with_body {
            cells.push(esc(&o.body_name));
        }
        cells.extend([
            score(o.score),
            opt(o.peer_mean, score),
            opt(o.percentile, |x| format!("{x:.0}")),
            format!("{:.0}", o.days_in_post),
            // on its own page, a department's own group goes without saying
            if !with_body && o.peer_group == o.body {
                "本部门 This department".into()
            } else {
                esc(&o.peer_group_name)
            },
            flags(o),
        ]);
        t.row(subject_attr(o), cells);
    }
    t.render(page);
}

fn unit_page(m: &Model<'_>, page: &mut String, d: &Subject, i: usize, n: usize, unit: Unit) {
    let (class, running) = unit.page();
    let _ = write!(
        page,
        r#"<section class="page {class}"{}><h2>{}<span class="pageno">{running} {} / {}</span></h2>"#,
        subject_attr(d),
        esc(&d.name),
        i + 1,
        n
    );
    let _ = write!(
        page,
        r#"<div class="stats"><div class="stat"><span>{}</span><b>{}</b><span>{}</span></div><div class="stat"><span>{}</span><b>{}</b><span>{} {}</span></div><div class="stat"><span>{}</span><b>{}</b><span>{}</span></div><div class="stat"><span>{}</span><b>{}</b><span>人员得分离散度 officer score spread {:.1}</span></div></div>"#,
        labels::RANK,
        rank_of(d),
        esc(&d.peer_group_name),
        labels::SCORE,
        score(d.score),
        labels::PEER_MEAN,
        opt(d.peer_mean, score),
        labels::CHANGE,
        change_cell(m.change(d)),
        if m.previous.sealed {
            format!(
                "较 {} 年定稿 against {} sealed",
                m.previous.year, m.previous.year
            )
        } else {
            "无上年定稿 no sealed previous year".into()
        },
        labels::FLAGS,
        if flags(d).is_empty() {
            "—".into()
        } else {
            flags(d)
        },
        d.spread,
    );
    if d.vertically_managed || m.superior(d).is_some() {
        let _ = write!(
            page,
            r#"<p class="superior-line"><b>{}</b>: {}</p>"#,
            labels::SUPERIOR,
            m.superior(d)
                .map(|a| esc(&labels::superior_line(a)))
                .unwrap_or_else(|| labels::NOT_REPORTED.to_string())
        );
    }
    page.push_str("<h3>指标 Indicators, beside the peer group's</h3>");
    let group = m.group_points(d, false);
    let mut t = Table::new("indicators");
    t.col("指标 Indicator", "", false)
        .col("条款 Article", "34mm", false)
        .col("权重 Weight", "16mm", true)
        .col("本部门 Value", "22mm", true)
        .col("比较组 Peer group value", "24mm", true)
        .col("得分 Points", "18mm", true)
        .col("组平均得分 Peer mean points", "24mm", true)
        .col("差 Difference", "20mm", true);
    for (k, ind) in m.department_indicators.iter().enumerate() {
        let diff = d.points[k] - group[k];
        let class = if diff > 0.05 {
            "up"
        } else if diff < -0.05 {
            "down"
        } else {
            "muted"
        };
        t.row(
            "",
            vec![
                format!(
                    "{}{}",
                    esc(&ind.label()),
                    if ind.lower_is_better && !ind.en.contains("lower is better") {
                        " <span class=\"muted\">(越低越好 lower is better)</span>"
                    } else {
                        ""
                    }
                ),
                esc(ind.article),
                format!("{:.0}%", 100.0 * ind.weight),
                labels::value(ind.kind, d.values[k]),
                labels::value(ind.kind, d.group_values[k]),
                points(d.points[k]),
                points(group[k]),
                format!(r#"<span class="{class}">{}</span>"#, signed(diff)),
            ],
        );
    }
    t.render(page);
    let officers = m.officers_of(&d.body);
    let _ = write!(page, "<h3>执法人员 Officers ({} 人)</h3>", officers.len());
    if officers.is_empty() {
        page.push_str("<p>无 None.</p>");
    } else {
        officers_table(page, &officers, false);
        page.push_str("<h3>人员指标得分 Officers' points by indicator</h3>");
        let ranked: Vec<&Subject> = officers.iter().copied().filter(|o| o.ranked).collect();
        let one_group = ranked.iter().all(|o| o.peer_group == ranked[0].peer_group);
        matrix(
            page,
            m,
            &m.officer_indicators,
            &officers,
            true,
            ranked.first().copied().filter(|_| one_group),
            labels::OFFICER,
        );
        for o in officers.iter().filter(|o| o.flagged()) {
            let parts: Vec<(String, f64)> = m
                .officer_indicators
                .iter()
                .zip(&o.points)
                .map(|(i, p)| (i.label(), *p))
                .collect();
            let _ = write!(
                page,
                r#"<div class="officer-why"{}><h3>{} — {} {}</h3><p>{}</p>{}</div>"#,
                subject_attr(o),
                esc(&o.name),
                labels::SCORE,
                score(o.score),
                why(m, o),
                charts::breakdown(&parts)
            );
        }
    }
    page.push_str("</section>\n");
}

fn about(m: &Model<'_>, page: &mut String) {
    let c = m.ctx;
    let p = c.plan;
    let group = |g: crate::plan::PeerGroup| match g {
        crate::plan::PeerGroup::Body => "本单位 their own body",
        crate::plan::PeerGroup::Parent => "同一上级单位 bodies under the same parent",
        crate::plan::PeerGroup::All => "全市 the whole city",
    };
    let rows = [
        ("年度 Year", c.year.to_string()),
        ("截至 As of", c.as_of.to_string()),
        (
            "定稿 Final",
            if c.finalized {
                "是 yes: the year is sealed".into()
            } else {
                "否 no: year to date".into()
            },
        ),
        ("考核方案 Plan", format!("{} ({})", p.title, p.version)),
        ("第二十条第二项 Art. 20(2)", p.threshold.describe()),
        (
            "第六条 Art. 6",
            format!(
                "不合格 failing: score < {:.2} × peer-group mean; 优秀 outstanding: the top {:.0}% of a peer group (at least one) scoring above {:.2} × the mean",
                p.failing.below_mean_factor,
                100.0 * p.outstanding.top_share,
                p.outstanding.min_over_mean
            ),
        ),
        (
            "比较组 Peer groups",
            format!(
                "执法人员 officers: {}; 执法部门 departments: {}; 乡镇人民政府 towns: 只与乡镇比较 with the towns only, on the departments' indicators and weights (Art. 4)",
                group(p.officers.peer_group),
                group(p.departments.peer_group)
            ),
        ),
        (
            "最少在岗天数 Minimum days in post",
            format!(
                "{} (fewer: scored, not ranked; auxiliary staff are not assessed)",
                p.officers.min_days_in_post
            ),
        ),
        (
            "数据 Sources",
            "执法信息 facts from intake up to the end of the as-of day (city time); 登记 the registry's bodies and officers; 案件 accountability's cases as the run read them; 上年 the previous year's sealed run; 上级考核 the superior assessments the legal-affairs office recorded (Art. 4)".into(),
        ),
        ("运行 Run", c.run_id.to_string()),
    ];
    page.push_str(r#"<section class="page"><h2>说明 About this report</h2>"#);
    let mut t = Table::new("meta");
    t.col("项目 Item", "62mm", false)
        .col("内容 Details", "", false);
    for (k, v) in rows {
        t.row("", vec![k.to_string(), esc(&v)]);
    }
    t.render(page);
    page.push_str("</section>\n");
}

pub fn render(m: &Model<'_>) -> String {
    let c = m.ctx;
    let title = format!(
        "{} 年度行政执法责任制考核报告 Annual law-enforcement accountability assessment {}",
        c.year, c.year
    );
    let mut page = format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title>\n<style>{CSS}</style></head><body>\n",
        esc(&title)
    );
    cover(m, &mut page);
    ranking(m, &mut page, Unit::Department);
    unit_points(m, &mut page, Unit::Department);
    if !m.towns.is_empty() {
        ranking(m, &mut page, Unit::Town);
        unit_points(m, &mut page, Unit::Town);
    }
    flagged_and_cases(m, &mut page);
    for unit in [Unit::Department, Unit::Town] {
        let units = unit.of(m);
        for (i, d) in units.iter().enumerate() {
            unit_page(m, &mut page, d, i, units.len(), unit);
        }
    }
    let elsewhere = m.officers_elsewhere();
    if !elsewhere.is_empty() {
        page.push_str(r#"<section class="page"><h2>其他单位执法人员 Officers of bodies not ranked as departments or towns</h2>"#);
        officers_table(&mut page, &elsewhere, true);
        page.push_str("</section>\n");
    }
    about(m, &mut page);
    page.push_str("</body></html>\n");
    page
}
