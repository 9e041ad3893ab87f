//! The indicators the job can compute (Art. 8, 9), in one place: what each
//! measures, its article, and how it is built from counts. A plan picks
//! among these by name.

/// How an indicator's value is made from the per-subject counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A count or a sum (volume): compared with the peer group's mean.
    Volume(&'static str),
    /// numerator / denominator, both counts: shrunk toward the peer group's
    /// rate when the denominator is small.
    Rate(&'static str, &'static str),
    /// A mean of a measured value (sum / n): compared with the group's mean.
    Mean(&'static str, &'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Officer,
    Department,
    Both,
}

#[derive(Debug, Clone, Copy)]
pub struct Indicator {
    pub name: &'static str,
    pub kind: Kind,
    pub level: Level,
    pub article: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

macro_rules! indicators {
    ($($name:literal = $kind:expr, $level:ident, $article:literal, $zh:literal, $en:literal;)*) => {
        pub const ALL: &[Indicator] = &[$(Indicator {
            name: $name,
            kind: $kind,
            level: Level::$level,
            article: $article,
            zh: $zh,
            en: $en,
        }),*];
    };
}

use Kind::*;

indicators! {
    "matters_accepted" = Volume("matters"), Both, "Art. 9(1)", "个人受理量", "matters accepted";
    "matters_completed" = Volume("completed"), Both, "Art. 9(2)", "个人办理量", "matters completed";
    "completion_rate" = Rate("completed", "matters"), Both, "Art. 9(1)(2)", "办结率", "completion rate";
    "wrongful_cases" = Volume("wrongful"), Both, "Art. 9(3)", "错案量", "wrongful cases";
    "wrongful_rate" = Rate("wrongful", "decisions"), Both, "Art. 9(3)", "错案率", "wrongful rate";
    "inspections" = Volume("inspections"), Both, "Art. 9(4)", "行政检查量", "inspections";
    "random_inspection_share" = Rate("random_inspections", "inspections"), Both, "Art. 9(4)", "“双随机”率", "double-random share of inspections";
    "complaints_accepted" = Volume("complaints"), Both, "Art. 9(5)", "举报案件受理量", "complaint cases accepted";
    "complaints_closed" = Volume("complaints_closed"), Both, "Art. 9(6)", "举报案件办结量", "complaint cases closed";
    "transfers" = Volume("transfers"), Both, "Art. 9(7)", "案件移交量", "transfers (a+b+c)";
    "transfers_in_case" = Volume("transfers_a"), Both, "Art. 9(7)1", "办案中发现移交", "transfers found in own cases";
    "transfers_daily_work" = Volume("transfers_b"), Both, "Art. 9(7)2", "日常工作中发现移交", "transfers found in daily work";
    "transfers_to_police" = Volume("transfers_c"), Both, "Art. 9(7)3", "涉嫌犯罪移交公安", "suspected crimes to the police";
    "training_hours" = Volume("training_hours"), Both, "Art. 9(8)", "培训学时", "training hours";
    "exam_mean" = Mean("exam_sum", "exams"), Both, "Art. 9(8)", "考试平均成绩", "mean exam score";
    "recorded_share" = Rate("recorded_acts", "acts"), Both, "Art. 9(9)", "全过程记录率", "acts recorded through the whole process";
    "standardization_rate" = Rate("files_passed", "files_reviewed"), Both, "Art. 9(10)", "规范化比率", "case files passing all six points";
    "benchmark_compliance" = Rate("penalties_within", "penalties"), Both, "Art. 9(11)", "自由裁量基准执行率", "penalties within the discretion benchmark";
    "findings" = Volume("findings"), Both, "Art. 16-20", "违规发现数", "findings (breaches recorded by intake)";
    "findings_per_act" = Rate("findings", "acts"), Both, "Art. 16-20, 19(9), 20(5)", "违规发现率", "findings in force per act (lower is better)";
    "legal_review_coverage" = Rate("major_reviewed", "major_decisions"), Department, "Art. 8(10), 19(16)", "重大决定法制审核率", "major decisions with a passed legal review";
    "assessment_items" = Mean("item_score_sum", "items"), Department, "Art. 8", "法制机构评分", "the legal-affairs office's Art. 8 item scores (mean)";
}

pub fn find(name: &str) -> Option<&'static Indicator> {
    ALL.iter().find(|i| i.name == name)
}

impl Indicator {
    pub fn fits(&self, department: bool) -> bool {
        match self.level {
            Level::Both => true,
            Level::Department => department,
            Level::Officer => !department,
        }
    }
}

/// Every count column the indicators are built from, officer level first.
pub const OFFICER_COUNTS: &[&str] = &[
    "matters",
    "completed",
    "decisions",
    "wrongful",
    "inspections",
    "random_inspections",
    "complaints",
    "complaints_closed",
    "transfers",
    "transfers_a",
    "transfers_b",
    "transfers_c",
    "training_hours",
    "exam_sum",
    "exams",
    "acts",
    "recorded_acts",
    "files_reviewed",
    "files_passed",
    "penalties",
    "penalties_within",
    "findings",
];

/// Department counts: the officer ones (over the body's own acts) and these.
pub const DEPARTMENT_EXTRA: &[&str] = &[
    "major_decisions",
    "major_reviewed",
    "item_score_sum",
    "items",
];
