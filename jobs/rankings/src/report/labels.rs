//! Words and numbers as the report prints them: the regulation's Chinese
//! terms with English beside them, case states and origins, indicator
//! values in their own units.
use unicode_width::UnicodeWidthStr;

use crate::indicators::Kind;

pub const RANK: &str = "名次 Rank";
pub const DEPARTMENT: &str = "执法部门 Department";
pub const OFFICER: &str = "执法人员 Officer";
pub const SCORE: &str = "得分 Score";
pub const PEER_GROUP: &str = "比较组 Peer group";
pub const PEER_MEAN: &str = "组平均分 Peer mean";
pub const PERCENTILE: &str = "百分位 Percentile";
pub const DAYS_IN_POST: &str = "在岗天数 Days in post";
pub const FLAGS: &str = "标记 Flags";
pub const CHANGE: &str = "较上年 Change";
pub const BELOW: &str = "低于阈值 Below the Art. 20(2) line";
pub const FAILING: &str = "不合格 Failing (Art. 6)";
pub const OUTSTANDING: &str = "优秀 Outstanding (Art. 6)";
pub const NOT_RANKED: &str = "未排名 Not ranked";
pub const TOWN: &str = "乡镇人民政府 Town";
pub const SUPERIOR: &str = "上级考核 Superior's assessment (Art. 4)";
pub const NOT_REPORTED: &str = "未报送 Not reported";

/// A superior's grade (Art. 4) as the city's assessment grades read.
pub fn superior_grade(code: &str) -> &'static str {
    match code {
        "SUPERIOR_GRADE_EXCELLENT" => "优秀 Excellent",
        "SUPERIOR_GRADE_COMPETENT" => "合格 Competent",
        "SUPERIOR_GRADE_BASICALLY_COMPETENT" => "基本合格 Basically competent",
        "SUPERIOR_GRADE_INCOMPETENT" => "不合格 Incompetent",
        _ => "",
    }
}

/// A superior's assessment in a line: grade, score, who, the document
/// and its date.
pub fn superior_line(a: &crate::report_inputs::SuperiorRow) -> String {
    let mut parts: Vec<String> = Vec::new();
    let grade = superior_grade(&a.grade);
    if !grade.is_empty() {
        parts.push(grade.to_string());
    }
    if let Some(s) = a.score {
        parts.push(format!("{s:.1}"));
    }
    parts.push(a.superior.clone());
    parts.push(a.document.clone());
    parts.push(a.assessed_date.clone());
    if a.revision > 1 {
        parts.push(format!(
            "第 {} 次更正 revision {}",
            a.revision - 1,
            a.revision
        ));
    }
    parts.join(" · ")
}

/// A case state as the regulation's procedure names it.
pub fn case_state(code: &str) -> &'static str {
    match code {
        "CASE_STATE_OPENED" => "立案 Opened",
        "CASE_STATE_INVESTIGATING" => "调查 Investigating",
        "CASE_STATE_PROPOSED" => "提出处理意见 Proposed",
        "CASE_STATE_DECIDED" => "作出决定 Decided",
        "CASE_STATE_CONTESTED" => "申诉中 Contested",
        "CASE_STATE_EXECUTED" => "执行 Executed",
        "CASE_STATE_CLOSED" => "结案 Closed",
        "CASE_STATE_DISMISSED" => "撤销立案 Dismissed",
        _ => "未知 Unknown",
    }
}

/// Every state, in the procedure's order.
pub const CASE_STATES: &[&str] = &[
    "CASE_STATE_OPENED",
    "CASE_STATE_INVESTIGATING",
    "CASE_STATE_PROPOSED",
    "CASE_STATE_DECIDED",
    "CASE_STATE_CONTESTED",
    "CASE_STATE_EXECUTED",
    "CASE_STATE_CLOSED",
    "CASE_STATE_DISMISSED",
];

pub fn case_origin(code: &str) -> &'static str {
    match code {
        "ORIGIN_KIND_MANUAL" => "法制机构立案 Opened by the legal-affairs office",
        "ORIGIN_KIND_FINDING" => "执法监督发现 From intake findings",
        "ORIGIN_KIND_RANKING_FLAG" => "考核标记 From ranking flags",
        "ORIGIN_KIND_CORRECTION_ORDER" => "纠正通知未执行 From correction orders",
        _ => "其他 Other",
    }
}

pub const CASE_ORIGINS: &[&str] = &[
    "ORIGIN_KIND_MANUAL",
    "ORIGIN_KIND_FINDING",
    "ORIGIN_KIND_RANKING_FLAG",
    "ORIGIN_KIND_CORRECTION_ORDER",
];

pub fn subject_kind(code: &str) -> &'static str {
    match code {
        "SUBJECT_KIND_BODY" => "执法单位 Bodies",
        "SUBJECT_KIND_OFFICER" => "执法人员 Officers",
        _ => "其他 Other",
    }
}

/// An indicator's raw value in its unit: a rate as a percentage, a volume
/// or a mean as a number; none (no denominator) as a dash.
pub fn value(kind: Kind, v: Option<f64>) -> String {
    match (kind, v) {
        (_, None) => "—".into(),
        (Kind::Rate(..), Some(x)) => format!("{:.1}%", 100.0 * x),
        (_, Some(x)) if x.fract().abs() < 1e-9 => format!("{x:.0}"),
        (_, Some(x)) => format!("{x:.1}"),
    }
}

pub fn score(x: f64) -> String {
    format!("{x:.2}")
}

pub fn points(x: f64) -> String {
    format!("{x:.1}")
}

/// A signed difference, with a true minus sign.
pub fn signed(x: f64) -> String {
    let s = format!("{:+.1}", x);
    if s == "-0.0" || s == "+0.0" {
        "0.0".into()
    } else {
        s.replace('-', "−")
    }
}

pub use probity_common::html::escape as esc;

/// Display columns of a text: a Chinese character takes two.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `s` cut to at most `max` display columns, with an ellipsis if cut.
pub fn clip(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    for c in s.chars() {
        if width(&out) + unicode_width::UnicodeWidthChar::width(c).unwrap_or(0) + 1 > max {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// The drawn-share column's heading (Art. 19(7)).
pub const DRAWN_SHARE: &str = "双随机抽查比例 / 计划 Drawn share / plan (Art. 19(7))";

/// A unit's drawn share of routine inspections beside its plan's, in one
/// cell: "62.5% / 80.0% ✗ 低于计划 below plan", "—" with no routine
/// inspection, "无计划 no plan" without a plan.
pub fn drawn_share(u: Option<crate::drawn_share::UnitShare>) -> String {
    let pct = |x: f64| format!("{:.1}%", x * 100.0);
    let Some(u) = u else {
        return "—".into();
    };
    let share = u.share.map_or_else(|| "—".to_string(), pct);
    match u.plan {
        None => format!("{share} / 无计划 no plan"),
        Some(p) if u.below_plan => format!("{share} / {} ✗ 低于计划 below plan", pct(p)),
        Some(p) => format!("{share} / {}", pct(p)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_print_in_their_units() {
        assert_eq!(value(Kind::Rate("a", "b"), Some(2.0 / 3.0)), "66.7%");
        assert_eq!(value(Kind::Volume("a"), Some(3.0)), "3");
        assert_eq!(value(Kind::Mean("a", "b"), Some(87.25)), "87.2");
        assert_eq!(value(Kind::Volume("a"), None), "—");
        assert_eq!(signed(-1.23), "−1.2");
        assert_eq!(signed(0.01), "0.0");
        assert_eq!(signed(2.0), "+2.0");
    }

    #[test]
    fn chinese_text_is_measured_and_cut_by_display_width() {
        assert_eq!(width("尚志市交通运输局"), 16);
        assert_eq!(width("Rank"), 4);
        assert_eq!(clip("尚志市市场监督管理局", 12), "尚志市市场…");
        assert_eq!(clip("短", 12), "短");
    }
}
