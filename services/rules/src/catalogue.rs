//! The catalogue of findings: every breach intake records, in one place,
//! with two citations: the law it breaks (the statute that binds every
//! enforcement act, e.g. the Administrative Penalty Law's two-officer rule)
//! and the regulation's article that makes it a breach here (what a case is
//! raised on). Findings are stored, never refused (the act happened and must
//! not be lost); the accountability service picks them up.
use probity_proto::registry::v1::PowerCategory;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable code, stored with every finding.
    pub code: &'static str,
    /// The regulation's article(s) (尚志市行政执法责任制规定) the breach
    /// falls under; stored with every finding.
    pub article: &'static str,
    /// The law and article broken, when a statute sets the duty; empty when
    /// the regulation itself is the only source.
    pub law: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

macro_rules! rules {
    ($($name:ident = $article:literal, $law:literal, $zh:literal, $en:literal;)*) => {
        $(pub const $name: Rule = Rule {
            code: stringify!($name),
            article: $article,
            law: $law,
            zh: $zh,
            en: $en,
        };)*
        /// Every rule, for documentation and lookups.
        pub const ALL: &[Rule] = &[$($name),*];
    };
}

// The laws are cited in their current text: 行政处罚法 (2021 revision),
// 行政强制法 (2011), 行政许可法 (2019 revision).
rules! {
    TOO_FEW_QUALIFIED = "Art. 13, 19(9), 20(9)",
        "《中华人民共和国行政处罚法》第四十二条; 《中华人民共和国行政强制法》第十八条第(二)项",
        "执法人员少于两人",
        "fewer than 2 qualified officers carried out a penalty, compulsion or inspection act";
    AUXILIARY_ALONE = "Art. 18, 19(12)",
        "《中华人民共和国行政处罚法》第四十二条; 《中华人民共和国行政强制法》第十七条",
        "辅助人员单独执法",
        "an auxiliary acted with no qualified officer";
    CREDENTIAL_NOT_VALID = "Art. 16, 19(9)",
        "《中华人民共和国行政处罚法》第四十二条, 第五十五条; 《中华人民共和国行政强制法》第十八条第(三)项",
        "未持有效执法证件",
        "an officer's credential was not valid at that moment";
    OFFICER_NOT_ACTIVE = "Art. 19(9)", "", "执法人员不在岗", "an officer was not active at that moment";
    OFFICER_OF_OTHER_BODY = "Art. 19(5), 19(9)", "", "非本单位执法人员", "an officer of another body acted";
    NO_POST_WITH_POWER = "Art. 7, 19(2)", "", "岗位未分解该职权", "an officer's post did not hold the power";
    POWER_NOT_HELD = "Art. 19(5), 20(3)",
        "《中华人民共和国行政处罚法》第十七条; 《中华人民共和国行政强制法》第十七条",
        "超越法定权限",
        "the body did not hold the power at that moment";
    INSPECTION_POWER_NOT_INSPECTION = "Art. 15, 19(5)", "", "无检查依据", "an inspection under a power whose category does not allow inspection";
    INSPECTION_NOT_RECORDED = "Art. 16, 19(15), 20(5)",
        "《中华人民共和国行政处罚法》第四十七条",
        "检查未记录",
        "an inspection with no record of the process";
    PENALTY_OUTSIDE_BENCHMARK = "Art. 9(11), 20(8)",
        "《中华人民共和国行政处罚法》第三十四条",
        "超出裁量基准",
        "a penalty outside the power's discretion benchmark for its grade";
    MAJOR_DECISION_WITHOUT_LEGAL_REVIEW = "Art. 19(16)",
        "《中华人民共和国行政处罚法》第五十八条",
        "重大执法决定未经法制审核",
        "a major decision without a passed legal review before it";
    OUTCOME_NOT_REPORTED = "Art. 8(7), 9(3), 19(17)", "", "复议诉讼结果未如实报送", "the reconsideration body or court records reported a review outcome the unit had not";
    DRAW_MISMATCH = "Art. 9(4), 19(7)",
        "《国务院关于在市场监管领域全面推行部门联合“双随机、一公开”监管的意见》(国发〔2019〕5号)",
        "未按规定随机抽取检查对象和执法检查人员",
        "an inspection cites a draw it does not match: not the unit's own drawn draw, a target not drawn, officers not drawn for it, outside the draw's window, or the draw's slot for the target already used by another inspection";
    INSPECTION_EXCESSIVE = "Art. 19(8)",
        "",
        "检查频次过高，干扰市场主体正常经营",
        "a target inspected more often in a year than the unit's draw plan allows (the strictest of its revisions), without a cause on record";
    INACTION_OVERDUE = "Art. 13, 19(4), 20(1)",
        "the time limit of the power's legal basis, e.g. 《中华人民共和国行政处罚法》第六十条, 《中华人民共和国行政许可法》第四十二条",
        "不作为/超过法定时限",
        "a matter not closed within its power's statutory time limit";
}

/// Power categories under which an inspection has a legal basis (Art. 15):
/// 行政检查 itself. Kept as data so the year's practice can widen it.
pub const INSPECTION_CATEGORIES: &[PowerCategory] = &[PowerCategory::Inspection];

/// Acts the two-officer rule (TOO_FEW_QUALIFIED) binds: penalties
/// (行政处罚法 Art. 42), compulsory measures (行政强制法 Art. 18(2)) and
/// inspections (行政处罚法 Art. 42, 55: investigation and inspection by at
/// least two officers). Licensing has no such rule (行政许可法 Art. 34 asks
/// two only to verify material on site), nor have levies, benefits and the
/// rest. An auxiliary acting with no qualified officer (AUXILIARY_ALONE) is
/// a breach under every power: the regulation's Art. 18 forbids auxiliaries
/// any enforcement act of their own. Measured by the power's category as the
/// registry holds it, never by the kind the department reports.
pub const TWO_OFFICER_CATEGORIES: &[PowerCategory] = &[
    PowerCategory::Penalty,
    PowerCategory::CompulsoryMeasure,
    PowerCategory::Inspection,
];

/// Whether the two-officer rule binds an act under a power of `category`.
/// An unknown category (a power the body does not hold) is bound: the rule
/// is lifted only where the registry says the act is of a kind it spares.
pub fn two_officer_rule_binds(category: PowerCategory) -> bool {
    category == PowerCategory::Unspecified || TWO_OFFICER_CATEGORIES.contains(&category)
}

pub fn by_code(code: &str) -> Option<Rule> {
    ALL.iter().copied().find(|r| r.code == code)
}

/// The catalogue as Markdown (docs/findings.md).
pub fn markdown() -> String {
    let mut s = String::from(
        "# The finding catalogue\n\n\
         Generated from `services/rules/src/catalogue.rs` (a test keeps this file equal to it);\n\
         the same rows are served by intake's `ListFindingRules`. Each rule names the law it\n\
         breaks (blank: the regulation alone sets the duty) and the article of the 2018\n\
         regulation (尚志市行政执法责任制规定) that makes it a breach here, which is stored with\n\
         every finding as `article`. A finding is stored with the fact, never refused, and\n\
         outlives every later correction or void until the legal-affairs office rules on it.\n\n\
         | code | 中文 | what | law | regulation |\n| --- | --- | --- | --- | --- |\n",
    );
    for r in ALL {
        s.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            r.code, r.zh, r.en, r.law, r.article
        ));
    }
    s.push_str(
        "\nThe two-officer rule (`TOO_FEW_QUALIFIED`) binds penalty, compulsory-measure and\n\
         inspection acts: every inspection, and a matter under a power whose category, as the\n\
         registry holds it (not the `act_kind` reported), is 行政处罚, 行政强制 or 行政检查. A\n\
         licensing matter, or one under a levy, requisition, benefit or other power, is not held\n\
         to it. `AUXILIARY_ALONE` binds every act: the regulation's Art. 18 forbids auxiliaries\n\
         any enforcement act of their own.\n\n\
         `INACTION_OVERDUE`: every power version carries its statutory time limit in days\n\
         (`Power.time_limit_days`, 0 = none), set and dated like its discretion benchmark. A\n\
         matter is measured by the limit in force when it was accepted, counted in the city's\n\
         calendar days as the Civil Code counts periods (Art. 201, 203): the day of acceptance\n\
         is not counted and the last day ends at 24:00, so a closing on the last day is in time\n\
         and one from 00:00 the next day is late. A late closing is found when it is submitted;\n\
         a matter never closed is found by intake's sweep (`intake.inaction_sweep_interval_ms`)\n\
         once its limit has run out, or once voided after it ran out; once per matter, on each\n\
         of its officers. `ListOverdueMatters` lists open matters YELLOW (the last\n\
         `intake.inaction_warn_days` days of the limit) and RED (past it).\n",
    );
    s
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

    #[test]
    fn the_two_officer_rule_cites_the_statutes_not_article_18() {
        for r in [TOO_FEW_QUALIFIED, AUXILIARY_ALONE] {
            assert!(r.law.contains("行政处罚法》第四十二条"), "{}", r.code);
            assert!(r.law.contains("行政强制法》"), "{}", r.code);
        }
        // The regulation's Art. 18 is about auxiliaries, not the pair.
        assert!(!TOO_FEW_QUALIFIED.article.contains("18"));
        assert!(AUXILIARY_ALONE.article.contains("Art. 18"));
        assert_eq!(INACTION_OVERDUE.article, "Art. 13, 19(4), 20(1)");
    }

    #[test]
    fn the_doc_is_the_catalogue() {
        let doc = format!("{}/../../docs/findings.md", env!("CARGO_MANIFEST_DIR"));
        if std::env::var_os("PROBITY_WRITE_DOCS").is_some() {
            std::fs::write(&doc, markdown()).expect("write docs/findings.md");
        }
        assert_eq!(
            std::fs::read_to_string(&doc).unwrap_or_default(),
            markdown(),
            "docs/findings.md is generated: run this test with PROBITY_WRITE_DOCS=1"
        );
    }

    #[test]
    fn the_two_officer_rule_binds_penalty_compulsion_and_inspection_only() {
        use PowerCategory as C;
        for c in [
            C::Penalty,
            C::CompulsoryMeasure,
            C::Inspection,
            C::Unspecified,
        ] {
            assert!(two_officer_rule_binds(c), "{c:?}");
        }
        for c in [C::Licensing, C::Levy, C::Requisition, C::Benefit, C::Other] {
            assert!(!two_officer_rule_binds(c), "{c:?}");
        }
    }
}
