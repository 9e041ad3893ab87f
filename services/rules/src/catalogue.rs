//! The catalogue of findings: every breach intake records, with the article
//! it breaks, in one place. Findings are stored, never refused (the act
//! happened and must not be lost); the accountability service picks them up.
use probity_proto::registry::v1::PowerCategory;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable code, stored with every finding.
    pub code: &'static str,
    pub article: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

macro_rules! rules {
    ($($name:ident = $article:literal, $zh:literal, $en:literal;)*) => {
        $(pub const $name: Rule = Rule {
            code: stringify!($name),
            article: $article,
            zh: $zh,
            en: $en,
        };)*
        /// Every rule, for documentation and lookups.
        pub const ALL: &[Rule] = &[$($name),*];
    };
}

rules! {
    TOO_FEW_QUALIFIED = "Art. 18", "执法人员少于两人", "fewer than 2 qualified officers acted";
    AUXILIARY_ALONE = "Art. 18", "辅助人员单独执法", "an auxiliary acted with no qualified officer";
    CREDENTIAL_NOT_VALID = "Art. 16, 19(9)", "未持有效执法证件", "an officer's credential was not valid at that moment";
    OFFICER_NOT_ACTIVE = "Art. 19(9)", "执法人员不在岗", "an officer was not active at that moment";
    OFFICER_OF_OTHER_BODY = "Art. 19(5), 19(9)", "非本单位执法人员", "an officer of another body acted";
    NO_POST_WITH_POWER = "Art. 19(2), 19(5)", "岗位未分解该职权", "an officer's post did not hold the power";
    POWER_NOT_HELD = "Art. 15, 19(5)", "超越法定权限", "the body did not hold the power at that moment";
    INSPECTION_POWER_NOT_INSPECTION = "Art. 15, 19(5)", "无检查依据", "an inspection under a power whose category does not allow inspection";
    INSPECTION_NOT_RECORDED = "Art. 16, 19(15), 20(5)", "检查未记录", "an inspection with no record of the process";
    PENALTY_OUTSIDE_BENCHMARK = "Art. 9(11), 20(8)", "超出裁量基准", "a penalty outside the power's discretion benchmark for its grade";
    MAJOR_DECISION_WITHOUT_LEGAL_REVIEW = "Art. 19(16)", "重大执法决定未经法制审核", "a major decision without a passed legal review before it";
    OUTCOME_NOT_REPORTED = "Art. 8(7), 9(3), 19(17)", "复议诉讼结果未如实报送", "the reconsideration body or court records reported a review outcome the unit had not";
}

/// Power categories under which an inspection has a legal basis (Art. 15):
/// 行政检查 itself. Kept as data so the year's practice can widen it.
pub const INSPECTION_CATEGORIES: &[PowerCategory] = &[PowerCategory::Inspection];

pub fn by_code(code: &str) -> Option<Rule> {
    ALL.iter().copied().find(|r| r.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_name_an_article() {
        let mut codes: Vec<_> = ALL.iter().map(|r| r.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), ALL.len());
        assert!(ALL.iter().all(|r| r.article.starts_with("Art. ")));
        assert_eq!(by_code("AUXILIARY_ALONE"), Some(AUXILIARY_ALONE));
    }
}
