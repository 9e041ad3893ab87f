//! The report's charts as inline SVG (no script, prints as drawn): ranking
//! bars, the officers' score distribution, a score's indicator breakdown.
//! Labels that would not fit are cut with an ellipsis; the whole name is
//! the bar's tooltip.
use std::fmt::Write as _;

use super::labels::{clip, esc};

pub const PALETTE: &[&str] = &[
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac", "#1f77b4", "#2ca02c", "#8c564b", "#17becf",
];

const BLUE: &str = "#4e79a7";
const RED: &str = "#c0392b";
const GREEN: &str = "#2e7d32";

/// One bar to draw: its label, its value (0..100) and its colour.
pub struct Bar<'a> {
    pub label: &'a str,
    pub value: f64,
    pub mark: Mark,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Plain,
    Failing,
    Outstanding,
}

/// Horizontal bars scaled to 100, with a dashed line at `mean` (the peer
/// group's mean) when given.
pub fn bars(bars: &[Bar<'_>], mean: Option<f64>) -> String {
    let h = 24.0;
    let (w, left, right) = (760.0, 250.0, 56.0);
    let span = w - left - right;
    let height = h * bars.len() as f64 + 26.0;
    let mut s = format!(
        r#"<svg class="chart" role="img" aria-label="部门得分 Department scores" viewBox="0 0 {w} {height}" xmlns="http://www.w3.org/2000/svg">"#
    );
    let axis = 4.0 + h * bars.len() as f64;
    for tick in [0, 25, 50, 75, 100] {
        let x = left + span * f64::from(tick) / 100.0;
        let _ = write!(
            s,
            r##"<line x1="{x:.1}" y1="2" x2="{x:.1}" y2="{axis}" stroke="#ddd" stroke-width="1"/><text x="{x:.1}" y="{}" text-anchor="middle" font-size="11" fill="#666">{tick}</text>"##,
            axis + 15.0
        );
    }
    if let Some(m) = mean {
        let x = left + span * m.clamp(0.0, 100.0) / 100.0;
        let _ = write!(
            s,
            r##"<line x1="{x:.1}" y1="0" x2="{x:.1}" y2="{axis}" stroke="#333" stroke-dasharray="4 3" stroke-width="1.2"/>"##
        );
    }
    for (i, b) in bars.iter().enumerate() {
        let y = 4.0 + h * i as f64;
        let len = span * b.value.clamp(0.0, 100.0) / 100.0;
        let fill = match b.mark {
            Mark::Plain => BLUE,
            Mark::Failing => RED,
            Mark::Outstanding => GREEN,
        };
        let _ = write!(
            s,
            r#"<g><title>{}</title><text x="{}" y="{}" text-anchor="end" font-size="13">{}</text><rect x="{left}" y="{}" width="{len:.1}" height="{}" fill="{fill}"/><text x="{}" y="{}" font-size="12" paint-order="stroke" stroke="white" stroke-width="3">{:.2}</text></g>"#,
            esc(b.label),
            left - 8.0,
            y + 16.0,
            esc(&clip(b.label, 34)),
            y + 4.0,
            h - 8.0,
            left + len + 4.0,
            y + 16.0,
            b.value
        );
    }
    s.push_str("</svg>");
    s
}

/// A histogram of scores in ten bins of 10 points.
pub fn histogram(scores: &[f64]) -> String {
    let mut bins = [0usize; 10];
    for s in scores {
        bins[((s / 10.0).floor().max(0.0) as usize).min(9)] += 1;
    }
    let max = bins.iter().copied().max().unwrap_or(1).max(1) as f64;
    let (w, h, bw) = (640.0, 200.0, 56.0);
    let mut s = format!(
        r#"<svg class="chart histogram" role="img" aria-label="人员得分分布 Officers' scores" viewBox="0 0 {w} {}" xmlns="http://www.w3.org/2000/svg">"#,
        h + 30.0
    );
    for (i, n) in bins.iter().enumerate() {
        let bh = (h - 24.0) * *n as f64 / max;
        let x = 20.0 + i as f64 * (bw + 4.0);
        let _ = write!(
            s,
            r##"<rect x="{x}" y="{:.1}" width="{bw}" height="{bh:.1}" fill="#76b7b2"/><text x="{}" y="{:.1}" text-anchor="middle" font-size="12">{n}</text><text x="{}" y="{}" text-anchor="middle" font-size="11" fill="#555">{}–{}</text>"##,
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

/// One stacked bar of a score's points by indicator, out of 100, and its
/// legend (indicator, points).
pub fn breakdown(parts: &[(String, f64)]) -> String {
    let (w, h) = (760.0, 22.0);
    let mut s = format!(
        r##"<svg class="chart breakdown" role="img" aria-label="得分构成 Points by indicator" viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg"><rect x="0" y="2" width="{w}" height="{}" fill="#f1f1f1"/>"##,
        h - 4.0
    );
    let mut x = 0.0;
    for (i, (label, v)) in parts.iter().enumerate() {
        let len = w * v.clamp(0.0, 100.0) / 100.0;
        let _ = write!(
            s,
            r#"<rect x="{x:.1}" y="2" width="{len:.1}" height="{}" fill="{}"><title>{} {v:.1}</title></rect>"#,
            h - 4.0,
            PALETTE[i % PALETTE.len()],
            esc(label)
        );
        x += len;
    }
    s.push_str("</svg><p class=\"legend\">");
    for (i, (label, v)) in parts.iter().enumerate() {
        let _ = write!(
            s,
            r#"<span><i style="background:{}"></i>{} {v:.1}</span> "#,
            PALETTE[i % PALETTE.len()],
            esc(label)
        );
    }
    s.push_str("</p>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_name_is_cut_on_its_bar_and_whole_in_its_tooltip() {
        let name = "尚志市住房和城乡建设局综合行政执法大队第一中队";
        let svg = bars(
            &[Bar {
                label: name,
                value: 150.0,
                mark: Mark::Failing,
            }],
            Some(50.0),
        );
        assert!(svg.contains(&format!("<title>{name}</title>")));
        assert!(svg.contains("尚志市住房和城乡建设局综合行政执…"), "{svg}");
        // clamped to the axis
        assert!(svg.contains(r#"width="454.0""#), "{svg}");
    }
}
