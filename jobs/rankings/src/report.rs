//! Files for people: an Excel workbook with Chinese headers (English beside
//! them) and a self-contained HTML report with SVG charts (department
//! ranking bars, the officers' score distribution, the indicator breakdown
//! of every flagged officer) that prints on A4.
use std::{fmt::Write as _, path::Path};

use chrono::NaiveDate;
use polars::prelude::*;
use rust_xlsxwriter::{Format, Workbook};

use crate::{
    columns::{bools, floats},
    indicators,
    plan::Plan,
};

pub struct Context<'a> {
    pub plan: &'a Plan,
    pub year: i32,
    pub as_of: NaiveDate,
    pub run_id: &'a str,
    pub finalized: bool,
    pub officers: &'a DataFrame,
    pub departments: &'a DataFrame,
}

/// One column of a table as text (numbers with two decimals).
fn cells(df: &DataFrame, name: &str) -> Vec<String> {
    let Ok(c) = df.column(name) else {
        return vec![String::new(); df.height()];
    };
    match c.dtype() {
        DataType::Float64 => c
            .f64()
            .map(|a| {
                a.iter()
                    .map(|v| v.map(|x| format!("{x:.2}")).unwrap_or_default())
                    .collect()
            })
            .unwrap_or_default(),
        DataType::Boolean => c
            .bool()
            .map(|a| {
                a.iter()
                    .map(|v| {
                        if v == Some(true) {
                            "是 yes".into()
                        } else {
                            String::new()
                        }
                    })
                    .collect()
            })
            .unwrap_or_default(),
        DataType::String => c
            .str()
            .map(|a| {
                a.iter()
                    .map(|v| v.unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default(),
        _ => c
            .cast(&DataType::Int64)
            .ok()
            .and_then(|c| {
                c.i64().ok().map(|a| {
                    a.iter()
                        .map(|v| v.map(|x| x.to_string()).unwrap_or_default())
                        .collect()
                })
            })
            .unwrap_or_default(),
    }
}

/// (column, header) of a ranking table, indicators last.
fn columns(ctx: &Context<'_>, officers: bool) -> Vec<(String, String)> {
    let mut cols: Vec<(String, String)> = vec![
        ("rank".into(), "名次 Rank".into()),
        (
            if officers {
                "officer_name"
            } else {
                "body_name"
            }
            .into(),
            if officers {
                "姓名 Officer"
            } else {
                "单位 Body"
            }
            .into(),
        ),
    ];
    if officers {
        cols.push(("body_name".into(), "所在单位 Body".into()));
    }
    cols.extend([
        ("score".into(), "得分 Score".into()),
        ("percentile".into(), "百分位 Percentile".into()),
        ("peer_group".into(), "比较组 Peer group".into()),
        ("peer_mean".into(), "组平均分 Peer mean".into()),
    ]);
    if officers {
        cols.extend([
            ("days_in_post".into(), "在岗天数 Days in post".into()),
            ("ranked".into(), "参与排名 Ranked".into()),
            (
                "below_threshold".into(),
                "低于阈值 Below the Art. 20(2) threshold".into(),
            ),
        ]);
    } else {
        cols.push((
            "officer_spread".into(),
            "人员得分离散度 Officer score spread".into(),
        ));
    }
    cols.extend([
        ("outstanding".into(), "优秀 Outstanding (Art. 6)".into()),
        ("failing".into(), "不合格 Failing (Art. 6)".into()),
    ]);
    let level = if officers {
        &ctx.plan.officers
    } else {
        &ctx.plan.departments
    };
    for w in &level.indicators {
        let (zh, en) = indicators::find(&w.indicator)
            .map(|i| (i.zh, i.en))
            .unwrap_or(("", ""));
        cols.push((format!("v_{}", w.indicator), format!("{zh} {en}")));
        cols.push((format!("c_{}", w.indicator), format!("{zh} 得分 points")));
    }
    cols
}

pub fn workbook(ctx: &Context<'_>, path: &Path) -> anyhow::Result<()> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let about = wb.add_worksheet();
    about.set_name("说明 About")?;
    let lines = [
        ("年度 Year", ctx.year.to_string()),
        ("截至 As of", ctx.as_of.to_string()),
        ("运行 Run", ctx.run_id.to_string()),
        (
            "定稿 Final",
            if ctx.finalized {
                "是 yes"
            } else {
                "否 no (year to date)"
            }
            .to_string(),
        ),
        (
            "考核方案 Plan",
            format!("{} ({})", ctx.plan.title, ctx.plan.version),
        ),
        ("阈值 Art. 20(2) threshold", ctx.plan.threshold.describe()),
    ];
    for (i, (k, v)) in lines.iter().enumerate() {
        about.write_string_with_format(i as u32, 0, *k, &bold)?;
        about.write_string(i as u32, 1, v)?;
    }
    about.set_column_width(0, 28)?;
    about.set_column_width(1, 90)?;
    for (name, df, officers) in [
        ("部门排名 Departments", ctx.departments, false),
        ("人员排名 Officers", ctx.officers, true),
    ] {
        let ws = wb.add_worksheet();
        ws.set_name(name)?;
        for (c, (col, header)) in columns(ctx, officers).iter().enumerate() {
            ws.write_string_with_format(0, c as u16, header, &bold)?;
            ws.set_column_width(c as u16, 14)?;
            let numeric = df
                .column(col)
                .map(|s| s.dtype().is_primitive_numeric())
                .unwrap_or(false);
            if numeric {
                let v = df
                    .column(col)?
                    .cast(&DataType::Float64)?
                    .f64()?
                    .iter()
                    .collect::<Vec<_>>();
                for (r, x) in v.iter().enumerate() {
                    if let Some(x) = x {
                        ws.write_number(r as u32 + 1, c as u16, *x)?;
                    }
                }
            } else {
                for (r, x) in cells(df, col).iter().enumerate() {
                    ws.write_string(r as u32 + 1, c as u16, x)?;
                }
            }
        }
        ws.set_freeze_panes(1, 0)?;
    }
    wb.save(path)?;
    Ok(())
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const PALETTE: &[&str] = &[
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac", "#1f77b4", "#2ca02c",
];

/// Horizontal bars, one per label, scaled to 100.
fn bars(labels: &[String], values: &[f64], marks: &[bool]) -> String {
    let h = 22.0;
    let (w, left) = (640.0, 220.0);
    let mut s = format!(
        r#"<svg class="chart" role="img" viewBox="0 0 {w} {}" xmlns="http://www.w3.org/2000/svg">"#,
        h * labels.len() as f64 + 10.0
    );
    for (i, (l, v)) in labels.iter().zip(values).enumerate() {
        let y = 5.0 + h * i as f64;
        let len = (w - left - 60.0) * v.clamp(0.0, 100.0) / 100.0;
        let fill = if marks.get(i).copied().unwrap_or(false) {
            "#e15759"
        } else {
            "#4e79a7"
        };
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="end" font-size="12">{}</text><rect x="{left}" y="{}" width="{len:.1}" height="{}" fill="{fill}"/><text x="{}" y="{}" font-size="12">{v:.2}</text>"#,
            left - 6.0,
            y + 15.0,
            esc(l),
            y + 3.0,
            h - 6.0,
            left + len + 4.0,
            y + 15.0
        );
    }
    s.push_str("</svg>");
    s
}

/// A histogram of scores in ten bins of 10 points.
fn histogram(scores: &[f64]) -> String {
    let mut bins = [0usize; 10];
    for s in scores {
        bins[((s / 10.0).floor() as usize).min(9)] += 1;
    }
    let max = bins.iter().copied().max().unwrap_or(1).max(1) as f64;
    let (w, h, bw) = (640.0, 220.0, 56.0);
    let mut s = format!(
        r#"<svg class="chart" role="img" viewBox="0 0 {w} {}" xmlns="http://www.w3.org/2000/svg">"#,
        h + 30.0
    );
    for (i, n) in bins.iter().enumerate() {
        let bh = (h - 20.0) * *n as f64 / max;
        let x = 20.0 + i as f64 * (bw + 4.0);
        let _ = write!(
            s,
            r##"<rect x="{x}" y="{}" width="{bw}" height="{bh:.1}" fill="#76b7b2"/><text x="{}" y="{}" text-anchor="middle" font-size="11">{n}</text><text x="{}" y="{}" text-anchor="middle" font-size="11">{}-{}</text>"##,
            h - bh,
            x + bw / 2.0,
            h - bh - 4.0,
            x + bw / 2.0,
            h + 16.0,
            i * 10,
            i * 10 + 10
        );
    }
    s.push_str("</svg>");
    s
}

/// One stacked bar of a score's contributions, with its legend.
fn breakdown(parts: &[(String, f64)]) -> String {
    let (w, h) = (640.0, 26.0);
    let mut s = format!(
        r#"<svg class="chart" role="img" viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg">"#
    );
    let mut x = 0.0;
    for (i, (_, v)) in parts.iter().enumerate() {
        let len = w * v.clamp(0.0, 100.0) / 100.0;
        let _ = write!(
            s,
            r#"<rect x="{x:.1}" y="2" width="{len:.1}" height="{}" fill="{}"/>"#,
            h - 4.0,
            PALETTE[i % PALETTE.len()]
        );
        x += len;
    }
    s.push_str("</svg><p class=\"legend\">");
    for (i, (label, v)) in parts.iter().enumerate() {
        let _ = write!(
            s,
            r#"<span><i style="background:{}"></i>{} {v:.2}</span> "#,
            PALETTE[i % PALETTE.len()],
            esc(label)
        );
    }
    s.push_str("</p>");
    s
}

pub fn html(ctx: &Context<'_>, path: &Path) -> anyhow::Result<()> {
    let d = ctx.departments;
    let o = ctx.officers;
    let mut page = String::new();
    let title = format!(
        "{} 年度行政执法责任制考核 Annual enforcement assessment {}",
        ctx.year, ctx.year
    );
    let _ = write!(
        page,
        r#"<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{}</title>
<style>
body{{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;color:#222}}
h1{{font-size:1.5em}} h2{{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.5em}}
table{{border-collapse:collapse;font-size:.85em;margin:.5em 0}} td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}}
th{{background:#f3f3f3}} td.t,th.t{{text-align:left}} .chart{{width:100%;max-width:640px;display:block}}
.legend span{{margin-right:1em;font-size:.8em;white-space:nowrap}} .legend i{{display:inline-block;width:.8em;height:.8em;margin-right:.3em}}
.meta td{{text-align:left}} section.officer{{page-break-inside:avoid}}
@media print{{body{{margin:0}} h2{{page-break-after:avoid}} @page{{size:A4;margin:15mm}}}}
</style></head><body>
<h1>{}</h1>
<table class="meta"><tr><th class="t">截至 As of</th><td>{}</td></tr><tr><th class="t">运行 Run</th><td>{}</td></tr>
<tr><th class="t">定稿 Final</th><td>{}</td></tr><tr><th class="t">考核方案 Plan</th><td>{} ({})</td></tr>
<tr><th class="t">第二十条第二项 Art. 20(2)</th><td>{}</td></tr></table>
"#,
        esc(&title),
        esc(&title),
        ctx.as_of,
        esc(ctx.run_id),
        if ctx.finalized {
            "是 yes"
        } else {
            "否 no (year to date)"
        },
        esc(&ctx.plan.title),
        esc(&ctx.plan.version),
        esc(&ctx.plan.threshold.describe()),
    );
    page.push_str("<h2>部门排名 Department ranking</h2>\n");
    let failing = bools(d, "failing");
    page.push_str(&bars(&cells(d, "body_name"), &floats(d, "score"), &failing));
    page.push_str("<p>红色 red: 考核不合格 failing (Art. 6).</p>\n");
    table(&mut page, ctx, d, false);
    page.push_str("<h2>人员得分分布 Distribution of officers' scores</h2>\n");
    let ranked = bools(o, "ranked");
    let scores: Vec<f64> = floats(o, "score")
        .into_iter()
        .zip(&ranked)
        .filter(|(_, r)| **r)
        .map(|(s, _)| s)
        .collect();
    page.push_str(&histogram(&scores));
    let _ = writeln!(page, "<p>{} 名参与排名 officers ranked.</p>", scores.len());
    page.push_str("<h2>需关注人员 Flagged officers (Art. 20(2), Art. 6)</h2>\n");
    let below = bools(o, "below_threshold");
    let fail = bools(o, "failing");
    let names = cells(o, "officer_name");
    let bodies = cells(o, "body_name");
    let score = floats(o, "score");
    let mean = floats(o, "peer_mean");
    let mut flagged = 0;
    for i in 0..o.height() {
        if !(below[i] || fail[i]) {
            continue;
        }
        flagged += 1;
        let parts: Vec<(String, f64)> = ctx
            .plan
            .officers
            .indicators
            .iter()
            .map(|w| {
                let label = indicators::find(&w.indicator)
                    .map(|x| format!("{} {}", x.zh, x.en))
                    .unwrap_or_default();
                (label, floats(o, &format!("c_{}", w.indicator))[i])
            })
            .collect();
        let _ = write!(
            page,
            r#"<section class="officer"><h3>{} · {} — {:.2} (组平均 peer mean {:.2}){}{}</h3>{}</section>"#,
            esc(&names[i]),
            esc(&bodies[i]),
            score[i],
            mean[i],
            if below[i] {
                " · 低于阈值 below threshold"
            } else {
                ""
            },
            if fail[i] { " · 不合格 failing" } else { "" },
            breakdown(&parts)
        );
    }
    if flagged == 0 {
        page.push_str("<p>无 None.</p>\n");
    }
    page.push_str("<h2>人员排名 Officer ranking</h2>\n");
    table(&mut page, ctx, o, true);
    page.push_str("</body></html>\n");
    std::fs::write(path, page)?;
    Ok(())
}

fn table(page: &mut String, ctx: &Context<'_>, df: &DataFrame, officers: bool) {
    let cols: Vec<(String, String)> = columns(ctx, officers)
        .into_iter()
        .filter(|(c, _)| !c.starts_with("v_"))
        .collect();
    page.push_str("<table><thead><tr>");
    for (c, h) in &cols {
        let class = if c.ends_with("name") || c == "peer_group" {
            " class=\"t\""
        } else {
            ""
        };
        let _ = write!(page, "<th{class}>{}</th>", esc(h));
    }
    page.push_str("</tr></thead><tbody>\n");
    let data: Vec<Vec<String>> = cols.iter().map(|(c, _)| cells(df, c)).collect();
    for r in 0..df.height() {
        page.push_str("<tr>");
        for ((c, _), column) in cols.iter().zip(&data) {
            let class = if c.ends_with("name") || c == "peer_group" {
                " class=\"t\""
            } else {
                ""
            };
            let _ = write!(page, "<td{class}>{}</td>", esc(&column[r]));
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</tbody></table>\n");
}
