//! The Excel workbook: the report's sheets (headline, departments with
//! their superiors' assessments, towns, the officers of each department and
//! town, all officers, flags), Chinese headers with
//! English beside them, frozen header rows and name columns, and column
//! widths measured for Chinese text (a character is two columns wide,
//! which rust_xlsxwriter's autofit does not know).
use std::path::Path;

use chrono::Datelike;
use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
};

use super::{
    labels,
    model::{Change, Model, Subject},
};
use crate::indicators::Kind;

/// A cell to write: text, or a number in one of the formats.
enum Cell {
    Text(String),
    Num(f64, Num),
    Empty,
}

#[derive(Clone, Copy)]
enum Num {
    Int,
    Score,
    Points,
    Percent,
    Plain,
}

struct Formats {
    header: Format,
    title: Format,
    key: Format,
    wrap: Format,
    int: Format,
    score: Format,
    points: Format,
    percent: Format,
    plain: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Top)
                .set_background_color(Color::RGB(0xF2F4F7))
                .set_border_bottom(FormatBorder::Thin),
            title: Format::new().set_bold().set_font_size(14),
            key: Format::new().set_bold().set_align(FormatAlign::Top),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            int: Format::new().set_num_format("0"),
            score: Format::new().set_num_format("0.00"),
            points: Format::new().set_num_format("0.0"),
            percent: Format::new().set_num_format("0.0%"),
            plain: Format::new().set_num_format("0.##"),
        }
    }

    fn num(&self, n: Num) -> &Format {
        match n {
            Num::Int => &self.int,
            Num::Score => &self.score,
            Num::Points => &self.points,
            Num::Percent => &self.percent,
            Num::Plain => &self.plain,
        }
    }
}

/// Excel column width (characters of the default font) for a text: a
/// Chinese character is two, plus a little padding.
fn text_width(s: &str) -> f64 {
    labels::width(s) as f64 * 1.1 + 2.0
}

/// A header wraps onto lines: its width is its longest word, or half of it.
fn header_width(s: &str) -> f64 {
    let longest = s.split_whitespace().map(text_width).fold(0.0_f64, f64::max);
    longest.max(text_width(s) / 2.0)
}

/// Writes a table with its header at `top`, sets its columns' widths and
/// freezes the header and the first `name_cols` columns.
fn table(
    ws: &mut Worksheet,
    f: &Formats,
    top: u32,
    headers: &[String],
    rows: &[Vec<Cell>],
    name_cols: u16,
) -> anyhow::Result<()> {
    let mut widths: Vec<f64> = headers.iter().map(|h| header_width(h)).collect();
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(top, c as u16, h, &f.header)?;
    }
    ws.set_row_height(top, 45)?;
    for (r, row) in rows.iter().enumerate() {
        let r = top + 1 + r as u32;
        for (c, cell) in row.iter().enumerate() {
            let col = c as u16;
            match cell {
                Cell::Text(s) => {
                    ws.write_string(r, col, s)?;
                    widths[c] = widths[c].max(text_width(s));
                }
                Cell::Num(x, n) => {
                    ws.write_number_with_format(r, col, *x, f.num(*n))?;
                    widths[c] = widths[c].max(10.0);
                }
                Cell::Empty => {}
            }
        }
    }
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, w.clamp(8.0, 60.0))?;
    }
    ws.set_freeze_panes(top + 1, name_cols)?;
    Ok(())
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn num(x: Option<f64>, n: Num) -> Cell {
    x.map(|x| Cell::Num(x, n)).unwrap_or(Cell::Empty)
}

fn yes(b: bool) -> Cell {
    if b { text("是 yes") } else { Cell::Empty }
}

fn rank(s: &Subject) -> Cell {
    num(s.rank.filter(|_| s.ranked).map(|r| r as f64), Num::Int)
}

fn change(c: Option<Change>) -> Cell {
    match c {
        None => Cell::Empty,
        Some(Change::New) => text("新 New"),
        Some(Change::Moved { by, .. }) => Cell::Num(f64::from(by), Num::Int),
    }
}

fn flags(s: &Subject) -> String {
    let mut v = Vec::new();
    if s.below_threshold {
        v.push(labels::BELOW);
    }
    if s.failing {
        v.push(labels::FAILING);
    }
    if s.outstanding {
        v.push(labels::OUTSTANDING);
    }
    if !s.ranked {
        v.push(labels::NOT_RANKED);
    }
    v.join("; ")
}

fn value_format(kind: Kind) -> Num {
    match kind {
        Kind::Rate(..) => Num::Percent,
        _ => Num::Plain,
    }
}

fn headline(wb: &mut Workbook, m: &Model<'_>, f: &Formats) -> anyhow::Result<()> {
    let c = m.ctx;
    let ws = wb.add_worksheet();
    ws.set_name("概要 Headline")?;
    ws.write_string_with_format(
        0,
        0,
        format!(
            "{} 年度行政执法责任制考核 Annual law-enforcement accountability assessment {}",
            c.year, c.year
        ),
        &f.title,
    )?;
    let mut lines: Vec<(String, String)> = vec![
        ("截至 As of".into(), c.as_of.to_string()),
        (
            "定稿 Final".into(),
            if c.finalized {
                "是 yes: the year is sealed".into()
            } else {
                "否 no: year to date".into()
            },
        ),
    ];
    let towns = m.towns_top_and_bottom();
    for (group, top, bottom) in m.top_and_bottom().into_iter().chain(towns) {
        let names = |v: &[&Subject]| {
            v.iter()
                .map(|d| format!("{} ({})", d.name, labels::score(d.score)))
                .collect::<Vec<_>>()
                .join("、")
        };
        lines.push((format!("第一 Top · {group}"), names(&top)));
        if !bottom.is_empty() {
            lines.push((format!("末位 Bottom · {group}"), names(&bottom)));
        }
    }
    for (what, units) in [
        ("执法部门 departments", &m.departments),
        ("乡镇 towns", &m.towns),
    ] {
        for (label, pick) in [
            (
                "考核不合格 Failing (Art. 6)",
                (|d: &Subject| d.failing) as fn(&Subject) -> bool,
            ),
            ("考核成绩突出 Outstanding (Art. 6)", |d: &Subject| {
                d.outstanding
            }),
        ] {
            let names: Vec<&str> = units
                .iter()
                .filter(|d| pick(d))
                .map(|d| d.name.as_str())
                .collect();
            if !names.is_empty() {
                lines.push((format!("{label} · {what}"), names.join("、")));
            }
        }
    }
    let flagged = m.flagged_officers();
    lines.push((
        "需关注人员 Flagged officers".into(),
        format!("{} (see 需关注 Flags)", flagged.len()),
    ));
    lines.push((
        "责任追究案件 Accountability cases".into(),
        match &m.cases {
            None => {
                "本次运行无法获取 not available in this run (accountability did not answer)".into()
            }
            Some(cs) => format!(
                "立案 opened {}, 作出决定 decided {}, 撤销立案 dismissed {}",
                cs.opened, cs.decided, cs.dismissed
            ),
        },
    ));
    if let Some(cs) = &m.cases {
        for st in labels::CASE_STATES {
            let n: usize = cs
                .by_origin_state
                .iter()
                .filter(|((_, s), _)| s == st)
                .map(|(_, n)| n)
                .sum();
            if n > 0 {
                lines.push((
                    format!("  本年立案 this year's · {}", labels::case_state(st)),
                    n.to_string(),
                ));
            }
        }
    }
    let p = m.previous;
    lines.push((
        format!("较上年 Against {}", p.year),
        if p.sealed {
            format!(
                "定稿结果截至 sealed run as of {}: see 较上年 Change on 部门排名 Departments",
                p.as_of
            )
        } else if p.run.is_empty() {
            format!("没有 {} 年定稿 no sealed run of {}", p.year, p.year)
        } else {
            format!("{} 年尚未定稿 {} is not sealed yet", p.year, p.year)
        },
    ));
    lines.extend([
        (
            "考核方案 Plan".into(),
            format!("{} ({})", c.plan.title, c.plan.version),
        ),
        (
            "第二十条第二项 Art. 20(2)".into(),
            c.plan.threshold.describe(),
        ),
        ("运行 Run".into(), c.run_id.to_string()),
    ]);
    let mut key_width: f64 = 12.0;
    let mut value_width: f64 = 20.0;
    for (i, (k, v)) in lines.iter().enumerate() {
        let r = 2 + i as u32;
        ws.write_string_with_format(r, 0, k, &f.key)?;
        ws.write_string_with_format(r, 1, v, &f.wrap)?;
        key_width = key_width.max(text_width(k));
        value_width = value_width.max(text_width(v));
    }
    ws.set_column_width(0, key_width.min(60.0))?;
    ws.set_column_width(1, value_width.min(100.0))?;
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// The departments' or the towns' ranking; the departments' with their
/// superiors' assessments beside the rank (Art. 4).
fn units(
    wb: &mut Workbook,
    m: &Model<'_>,
    f: &Formats,
    sheet: &str,
    label: &str,
    units: &[Subject],
) -> anyhow::Result<()> {
    let ws = wb.add_worksheet();
    ws.set_name(sheet)?;
    let with_superior = units
        .iter()
        .any(|d| d.vertically_managed || m.superior(d).is_some());
    let mut headers: Vec<String> = [
        labels::RANK,
        label,
        labels::SCORE,
        labels::PEER_MEAN,
        labels::PERCENTILE,
        "较上年 Change (places up)",
        labels::PEER_GROUP,
        "参与排名人员 Officers ranked",
        "人员得分离散度 Officer score spread",
        labels::OUTSTANDING,
        labels::FAILING,
    ]
    .map(String::from)
    .to_vec();
    if with_superior {
        headers.push(labels::SUPERIOR.into());
    }
    if m.has_drawn() {
        headers.push(labels::DRAWN_SHARE.into());
    }
    for i in &m.department_indicators {
        headers.push(i.label());
        headers.push(format!("{} 得分 points", i.zh));
    }
    let rows: Vec<Vec<Cell>> = units
        .iter()
        .map(|d| {
            let mut row = vec![
                rank(d),
                text(&d.name),
                Cell::Num(d.score, Num::Score),
                num(d.peer_mean, Num::Score),
                num(d.percentile, Num::Int),
                change(m.change(d)),
                text(&d.peer_group_name),
                Cell::Num(d.officers_ranked as f64, Num::Int),
                Cell::Num(d.spread, Num::Score),
                yes(d.outstanding),
                yes(d.failing),
            ];
            if with_superior {
                row.push(match m.superior(d) {
                    Some(a) => text(labels::superior_line(a)),
                    None if d.vertically_managed => text(labels::NOT_REPORTED),
                    None => Cell::Empty,
                });
            }
            if m.has_drawn() {
                row.push(text(labels::drawn_share(m.drawn(d))));
            }
            for (k, i) in m.department_indicators.iter().enumerate() {
                row.push(num(d.values[k], value_format(i.kind)));
                row.push(Cell::Num(d.points[k], Num::Points));
            }
            row
        })
        .collect();
    table(ws, f, 0, &headers, &rows, 2)
}

fn officer_headers(m: &Model<'_>, lead: &[&str]) -> Vec<String> {
    let mut h: Vec<String> = lead.iter().map(|s| s.to_string()).collect();
    h.extend(
        [
            labels::SCORE,
            labels::PEER_MEAN,
            labels::PERCENTILE,
            labels::PEER_GROUP,
            labels::DAYS_IN_POST,
            labels::FLAGS,
        ]
        .map(String::from),
    );
    for i in &m.officer_indicators {
        h.push(i.label());
        h.push(format!("{} 得分 points", i.zh));
    }
    h
}

fn officer_row(m: &Model<'_>, o: &Subject, mut lead: Vec<Cell>) -> Vec<Cell> {
    lead.extend([
        Cell::Num(o.score, Num::Score),
        num(o.peer_mean, Num::Score),
        num(o.percentile, Num::Int),
        text(&o.peer_group_name),
        Cell::Num(o.days_in_post, Num::Int),
        text(flags(o)),
    ]);
    for (k, i) in m.officer_indicators.iter().enumerate() {
        lead.push(num(o.values[k], value_format(i.kind)));
        lead.push(Cell::Num(o.points[k], Num::Points));
    }
    lead
}

fn department_officers(wb: &mut Workbook, m: &Model<'_>, f: &Formats) -> anyhow::Result<()> {
    let ws = wb.add_worksheet();
    ws.set_name("部门人员 Department officers")?;
    let headers = officer_headers(m, &[labels::DEPARTMENT, labels::RANK, labels::OFFICER]);
    let mut rows = Vec::new();
    for d in m.departments.iter().chain(&m.towns) {
        for o in m.officers_of(&d.body) {
            rows.push(officer_row(
                m,
                o,
                vec![text(&d.name), rank(o), text(&o.name)],
            ));
        }
    }
    for o in m.officers_elsewhere() {
        rows.push(officer_row(
            m,
            o,
            vec![text(&o.body_name), rank(o), text(&o.name)],
        ));
    }
    table(ws, f, 0, &headers, &rows, 3)
}

fn officers(wb: &mut Workbook, m: &Model<'_>, f: &Formats) -> anyhow::Result<()> {
    let ws = wb.add_worksheet();
    ws.set_name("人员排名 Officers")?;
    let headers = officer_headers(m, &[labels::RANK, labels::OFFICER, labels::DEPARTMENT]);
    let rows: Vec<Vec<Cell>> = m
        .officers
        .iter()
        .map(|o| officer_row(m, o, vec![rank(o), text(&o.name), text(&o.body_name)]))
        .collect();
    table(ws, f, 0, &headers, &rows, 2)
}

fn flagged(wb: &mut Workbook, m: &Model<'_>, f: &Formats) -> anyhow::Result<()> {
    let ws = wb.add_worksheet();
    ws.set_name("需关注 Flags")?;
    let headers: Vec<String> = [
        "对象 Subject",
        "执法部门 Department",
        labels::SCORE,
        labels::PEER_MEAN,
        labels::FLAGS,
        "原因 Why",
    ]
    .map(String::from)
    .to_vec();
    let mut rows: Vec<Vec<Cell>> = m
        .flagged_officers()
        .into_iter()
        .map(|o| {
            vec![
                text(&o.name),
                text(&o.body_name),
                Cell::Num(o.score, Num::Score),
                num(o.peer_mean, Num::Score),
                text(flags(o)),
                text(m.why(o)),
            ]
        })
        .collect();
    for d in m.departments.iter().chain(&m.towns).filter(|d| d.failing) {
        rows.push(vec![
            text(&d.name),
            text(&d.name),
            Cell::Num(d.score, Num::Score),
            num(d.peer_mean, Num::Score),
            text(flags(d)),
            text(format!(
                "考核不合格 failing under Art. 6 ({} < {})",
                labels::score(d.score),
                labels::score(m.failing_line(d))
            )),
        ]);
    }
    table(ws, f, 0, &headers, &rows, 1)
}

pub fn write(m: &Model<'_>, path: &Path) -> anyhow::Result<()> {
    let f = Formats::new();
    let mut wb = Workbook::new();
    // Created "on" the run's as-of day, not the clock's: the same run makes
    // the same bytes, which the run declares and the rankings target checks
    // its upload against (a retried night uploads what the first declared).
    let d = m.ctx.as_of;
    let created = ExcelDateTime::from_ymd(
        u16::try_from(d.year()).unwrap_or(2000),
        d.month() as u8,
        d.day() as u8,
    )?;
    wb.set_properties(&DocProperties::new().set_creation_datetime(&created));
    headline(&mut wb, m, &f)?;
    units(
        &mut wb,
        m,
        &f,
        "部门排名 Departments",
        labels::DEPARTMENT,
        &m.departments,
    )?;
    if !m.towns.is_empty() {
        units(&mut wb, m, &f, "乡镇排名 Towns", labels::TOWN, &m.towns)?;
    }
    department_officers(&mut wb, m, &f)?;
    officers(&mut wb, m, &f)?;
    flagged(&mut wb, m, &f)?;
    wb.save(path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_columns_are_wide_enough() {
        // ten characters: twenty columns and padding
        assert!(text_width("尚志市市场监督管理局") >= 22.0);
        assert!(text_width("Rank") < 8.0);
        // a header wraps: its longest word, or half of it
        let h = header_width("低于阈值 Below the Art. 20(2) threshold");
        assert!((10.0..30.0).contains(&h), "{h}");
    }
}
