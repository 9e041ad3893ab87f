//! The grounds a case can rest on (Art. 6, 10, 11, 19 items 1-17, 20 items
//! 1-9), with their articles, in one place; and which grounds an intake
//! finding or a ranking flag is raised on.
use probity_proto::accountability::v1::{self as pb, FlagKind, GroundRule};

use crate::store::rows::SubjectKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Against {
    Body,
    Officer,
    Either,
}

#[derive(Debug, Clone, Copy)]
pub struct GroundDef {
    pub code: &'static str,
    pub article: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub against: Against,
}

macro_rules! grounds {
    ($($code:literal, $article:literal, $against:ident, $zh:literal, $en:literal;)*) => {
        pub const GROUNDS: &[GroundDef] = &[$(GroundDef {
            code: $code,
            article: $article,
            zh: $zh,
            en: $en,
            against: Against::$against,
        }),*];
    };
}

grounds! {
    "ART06", "Art. 6", Either, "年度考核不合格", "failed the annual assessment";
    "ART10", "Art. 10", Body, "拒不改正违法或者不当行政执法行为", "refused to correct an unlawful or improper act";
    "ART11", "Art. 11", Either, "行政执法错案", "a wrongful case (decision revoked or lost on review)";
    "ART19_01", "Art. 19(1)", Body, "未建立和组织实施本单位行政执法责任制", "no enforcement responsibility system set up or run";
    "ART19_02", "Art. 19(2)", Body, "未将职权分解到内设执法机构、执法岗位", "powers not split to units and posts, post duties not set";
    "ART19_03", "Art. 19(3)", Body, "擅自增加或者减少行政执法职权和责任", "powers or duties added or dropped without basis";
    "ART19_04", "Art. 19(4)", Body, "不作为或者消极履行法定义务", "inaction or passive performance of duties";
    "ART19_05", "Art. 19(5)", Body, "超越法定权限乱作为或者与执法对象勾结", "acting beyond powers or colluding with the regulated";
    "ART19_06", "Art. 19(6)", Body, "断章取义或者曲解执法依据", "distorting or misreading the legal basis";
    "ART19_07", "Art. 19(7)", Body, "行政执法检查未实行“双随机一公开”", "inspections not by double random, single disclosure";
    "ART19_08", "Art. 19(8)", Body, "行政执法检查干扰企业正常生产经营活动", "inspections disturbing normal business";
    "ART19_09", "Art. 19(9)", Body, "未实行行政执法人员资格管理和持证上岗规定", "officers acting without qualification or credential";
    "ART19_10", "Art. 19(10)", Body, "未对行政执法证件发放、使用进行严格管理", "credentials not strictly managed";
    "ART19_11", "Art. 19(11)", Body, "违反规定擅自改变着装范围或者擅自统一着装", "uniform rules broken";
    "ART19_12", "Art. 19(12)", Body, "未严格管理行政执法辅助人员", "auxiliary staff not strictly managed";
    "ART19_13", "Art. 19(13)", Body, "拒绝履行法院判决或者拖延履行行政复议决定", "refusing court judgments or delaying reconsideration decisions";
    "ART19_14", "Art. 19(14)", Body, "未主动向社会公开有关行政执法信息", "enforcement information not published";
    "ART19_15", "Art. 19(15)", Body, "未对行政执法行为进行全过程记录并归档", "acts not recorded and archived through the whole process";
    "ART19_16", "Art. 19(16)", Body, "重大执法决定未经法制审核或者审核未通过", "major decision without (passed) legal review";
    "ART19_17", "Art. 19(17)", Body, "其他应当追究责任的情形", "other conduct calling for accountability";
    "ART20_01", "Art. 20(1)", Officer, "不履行或者怠于履行法定职责", "not performing or neglecting duties";
    "ART20_02", "Art. 20(2)", Officer, "年度考核成绩低于平均值40%", "annual score below the threshold (40% under the mean)";
    "ART20_03", "Art. 20(3)", Officer, "滥用职权、以权谋私", "abuse of power or power for private gain";
    "ART20_04", "Art. 20(4)", Officer, "态度蛮横、故意刁难", "rudeness or deliberate obstruction";
    "ART20_05", "Art. 20(5)", Officer, "未执行示证检查要求或者未作执法检查记录", "credential not shown or inspection not recorded";
    "ART20_06", "Art. 20(6)", Officer, "隐瞒伪造证据", "hiding or forging evidence";
    "ART20_07", "Art. 20(7)", Officer, "不配合、不协助其他行政执法部门正常执法工作", "refusing to assist other departments";
    "ART20_08", "Art. 20(8)", Officer, "未使用或者滥用行政裁量权基准", "discretion benchmark not used or abused";
    "ART20_09", "Art. 20(9)", Officer, "其他应当追究责任的情形", "other conduct calling for accountability";
}

pub fn ground(code: &str) -> Option<&'static GroundDef> {
    GROUNDS.iter().find(|g| g.code == code)
}

impl GroundDef {
    pub fn fits(&self, kind: SubjectKind) -> bool {
        match self.against {
            Against::Either => true,
            Against::Body => kind == SubjectKind::Body,
            Against::Officer => kind == SubjectKind::Officer,
        }
    }

    pub fn to_proto(&self) -> GroundRule {
        GroundRule {
            code: self.code.into(),
            article: self.article.into(),
            title_zh: self.zh.into(),
            title_en: self.en.into(),
            subject_kind: match self.against {
                Against::Body => pb::SubjectKind::Body,
                Against::Officer => pb::SubjectKind::Officer,
                Against::Either => pb::SubjectKind::Unspecified,
            } as i32,
        }
    }
}

/// An intake finding's rule -> (ground against the body, against an officer).
/// Intake's rule codes are stable (services/rules/src/catalogue.rs).
const FINDING_GROUNDS: &[(&str, &str, &str)] = &[
    ("TOO_FEW_QUALIFIED", "ART19_09", "ART20_09"),
    ("AUXILIARY_ALONE", "ART19_12", "ART20_09"),
    ("CREDENTIAL_NOT_VALID", "ART19_09", "ART20_09"),
    ("OFFICER_NOT_ACTIVE", "ART19_09", "ART20_09"),
    ("OFFICER_OF_OTHER_BODY", "ART19_05", "ART20_09"),
    ("NO_POST_WITH_POWER", "ART19_02", "ART20_09"),
    ("POWER_NOT_HELD", "ART19_05", "ART20_03"),
    ("INSPECTION_POWER_NOT_INSPECTION", "ART19_05", "ART20_09"),
    ("INSPECTION_NOT_RECORDED", "ART19_15", "ART20_05"),
    ("PENALTY_OUTSIDE_BENCHMARK", "ART19_06", "ART20_08"),
    (
        "MAJOR_DECISION_WITHOUT_LEGAL_REVIEW",
        "ART19_16",
        "ART20_09",
    ),
    // A matter left past its statutory time limit: inaction (Art. 19(4), 20(1)).
    ("INACTION_OVERDUE", "ART19_04", "ART20_01"),
    // An inspection that cites a draw it did not follow (Art. 19(7)); one
    // past the plan's cap on a target without cause (Art. 19(8)). Both are
    // the unit's, the officer's part is "other" (Art. 20(9)).
    ("DRAW_MISMATCH", "ART19_07", "ART20_09"),
    ("INSPECTION_EXCESSIVE", "ART19_08", "ART20_09"),
];

/// The ground a finding is raised on, against a body or an officer; a rule
/// this table does not know falls under "other" (Art. 19(17), 20(9)).
pub fn finding_ground(rule: &str, kind: SubjectKind) -> &'static str {
    let row = FINDING_GROUNDS.iter().find(|(r, _, _)| *r == rule);
    match (row, kind) {
        (Some((_, _, officer)), SubjectKind::Officer) => officer,
        (Some((_, body, _)), _) => body,
        (None, SubjectKind::Officer) => "ART20_09",
        (None, _) => "ART19_17",
    }
}

/// How many of a subject's findings of one rule, within the sweep's window,
/// raise a case by themselves (the findings sweep). Acting without a valid
/// credential, outside the body's powers, or deciding a major matter without
/// legal review is a case at once; lapses of staffing, recording or the
/// benchmark are a case when they repeat, so the office is not flooded with
/// one case per lapse. A rule this table does not know: at once.
const FINDING_THRESHOLDS: &[(&str, usize)] = &[
    ("CREDENTIAL_NOT_VALID", 1),
    ("OFFICER_NOT_ACTIVE", 1),
    ("OFFICER_OF_OTHER_BODY", 1),
    ("POWER_NOT_HELD", 1),
    ("INSPECTION_POWER_NOT_INSPECTION", 1),
    ("AUXILIARY_ALONE", 1),
    ("MAJOR_DECISION_WITHOUT_LEGAL_REVIEW", 1),
    ("TOO_FEW_QUALIFIED", 3),
    ("NO_POST_WITH_POWER", 3),
    ("INSPECTION_NOT_RECORDED", 3),
    ("PENALTY_OUTSIDE_BENCHMARK", 2),
    ("INACTION_OVERDUE", 2),
];

pub fn finding_threshold(rule: &str) -> usize {
    FINDING_THRESHOLDS
        .iter()
        .find(|(r, _)| *r == rule)
        .map_or(1, |(_, n)| *n)
}

/// Every threshold, for the documentation and the tests.
pub fn finding_thresholds() -> &'static [(&'static str, usize)] {
    FINDING_THRESHOLDS
}

/// The ground a ranking flag is raised on.
pub fn flag_ground(kind: FlagKind) -> &'static str {
    match kind {
        FlagKind::BelowThreshold => "ART20_02",
        FlagKind::DrawnShareBelowPlan => "ART19_07",
        _ => "ART06",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mapped_ground_exists_and_fits() {
        for (_, b, o) in FINDING_GROUNDS {
            assert!(ground(b).is_some_and(|g| g.fits(SubjectKind::Body)), "{b}");
            assert!(
                ground(o).is_some_and(|g| g.fits(SubjectKind::Officer)),
                "{o}"
            );
        }
        assert_eq!(
            GROUNDS
                .iter()
                .filter(|g| g.code.starts_with("ART19_"))
                .count(),
            17
        );
        assert_eq!(
            GROUNDS
                .iter()
                .filter(|g| g.code.starts_with("ART20_"))
                .count(),
            9
        );
    }

    #[test]
    fn every_finding_rule_has_its_own_ground_but_the_catch_all() {
        // A rule intake adds must be mapped here, or its cases fall under
        // "other" (Art. 19(17), 20(9)) and rank nowhere in particular.
        let unmapped: Vec<&str> = probity_rules::catalogue::ALL
            .iter()
            .map(|r| r.code)
            .filter(|c| !FINDING_GROUNDS.iter().any(|(r, _, _)| r == c))
            .collect();
        assert_eq!(
            unmapped,
            ["OUTCOME_NOT_REPORTED"],
            "map these in FINDING_GROUNDS"
        );
        assert_eq!(
            finding_ground("INACTION_OVERDUE", SubjectKind::Body),
            "ART19_04"
        );
        assert_eq!(
            finding_ground("INACTION_OVERDUE", SubjectKind::Officer),
            "ART20_01"
        );
    }
}
