//! The words of a notice, from the case or the commendation it issues from
//! and the names the registry gave for it.
use chrono::{DateTime, Utc};

use super::{NoticeKind, NoticeRecord, REGULATION, article};
use crate::store::rows::{
    CaseRecord, CommendationRecord, SanctionKind, SanctionTarget, SubjectKind,
};

/// 主送: a notice is circulated to every enforcement unit.
pub const ADDRESSEE: &str = "各行政执法单位";

/// What the registry names for a notice, looked up before it is issued.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// Who issues it.
    pub issuer: String,
    /// The subject's body (for an officer, the officer's unit).
    pub body_display_name: String,
}

/// Whether the case's decision criticizes anyone in a notice (通报批评).
pub fn criticizes(case: &CaseRecord) -> bool {
    case.decision.as_ref().is_some_and(|d| {
        d.sanctions
            .iter()
            .any(|s| s.kind == SanctionKind::PublicCriticism)
    })
}

/// Who each 通报批评 of the decision falls on, as the notice names them.
fn criticized(case: &CaseRecord, names: &Names) -> Vec<String> {
    let s = &case.subject;
    let mut out: Vec<String> = Vec::new();
    for sanction in case.decision.iter().flat_map(|d| &d.sanctions) {
        if sanction.kind != SanctionKind::PublicCriticism {
            continue;
        }
        let who = match sanction.target {
            SanctionTarget::PrincipalLeader => {
                format!(
                    "{}主要负责人{}",
                    names.body_display_name, s.principal_leader
                )
            }
            SanctionTarget::ResponsibleLeader => {
                format!(
                    "{}分管负责人{}",
                    names.body_display_name, s.responsible_leader
                )
            }
            _ if s.kind == SubjectKind::Officer => {
                format!("{}执法人员{}", names.body_display_name, s.display_name)
            }
            _ => s.display_name.clone(),
        };
        if !out.contains(&who) {
            out.push(who);
        }
    }
    out
}

/// The notice of the public criticism decided in `case`.
pub fn for_case(
    source: &str,
    case: &CaseRecord,
    names: &Names,
    number: &str,
    now: DateTime<Utc>,
) -> NoticeRecord {
    let targets = criticized(case, names).join("、");
    let officer = case.subject.kind == SubjectKind::Officer;
    let mut facts = vec![format!(
        "经查，{}{}存在下列情形：",
        if officer {
            format!("{}执法人员", names.body_display_name)
        } else {
            String::new()
        },
        case.subject.display_name
    )];
    for (i, g) in case.grounds.iter().enumerate() {
        let detail = match g.detail.trim() {
            "" => String::new(),
            d => format!("：{d}"),
        };
        facts.push(format!(
            "（{}）{}（{}{}）{}。",
            article::numeral(i as u32 + 1),
            g.title_zh,
            REGULATION,
            article::zh(&g.article),
            detail.trim_end_matches('。')
        ));
    }
    let reasoning = case
        .decision
        .as_ref()
        .map(|d| d.reasoning.trim().to_string())
        .unwrap_or_default();
    if !reasoning.is_empty() {
        facts.push(reasoning);
    }
    let mut articles: Vec<String> = case
        .grounds
        .iter()
        .map(|g| article::zh(&g.article))
        .collect();
    if officer {
        // Art. 21(2): the grade that calls for 通报批评.
        articles.push("第二十一条第（二）项".into());
    }
    articles.dedup();
    let article = articles.join("、");
    let grounds_en: Vec<String> = case
        .grounds
        .iter()
        .map(|g| format!("{} ({})", g.title_en, g.article))
        .collect();
    NoticeRecord {
        kind: NoticeKind::Criticism,
        number: number.into(),
        title: format!("关于对{targets}给予通报批评的通报"),
        issuer: names.issuer.clone(),
        addressee: ADDRESSEE.into(),
        subject: case.subject.name.clone(),
        subject_kind: case.subject.kind,
        subject_display_name: case.subject.display_name.clone(),
        body: case.subject.body.clone(),
        year: probity_rules::city::year_of_us(now.timestamp_micros()),
        assessment_year: 0,
        decision: format!(
            "根据{REGULATION}{article}的规定，经研究，决定对{targets}给予通报批评。"
        ),
        article,
        facts,
        closing: "希望受到通报批评的单位和人员深刻反思，认真整改；各行政执法单位要引以为戒，严格规范公正文明执法。特此通报。".into(),
        english: vec![
            format!("Notice of public criticism (通报批评) no. {number}, issued by {}.", names.issuer),
            format!("Criticized: {targets}."),
            format!("Grounds: {}.", grounds_en.join("; ")),
            format!("Decided in {source} under the regulation's {}.", case
                .grounds
                .iter()
                .map(|g| g.article.as_str())
                .collect::<Vec<_>>()
                .join(", ")),
        ],
        source: source.into(),
        issue_time: Some(now),
    }
}

/// The notice of a commendation (Art. 6: 予以表彰).
pub fn for_commendation(
    source: &str,
    c: &CommendationRecord,
    subject_display_name: &str,
    names: &Names,
    number: &str,
    now: DateTime<Utc>,
) -> NoticeRecord {
    let officer = c.subject_kind == SubjectKind::Officer;
    let (who_zh, who_en) = match officer {
        true => ("行政执法人员", "officer"),
        false => ("行政执法单位", "unit"),
    };
    let display = match officer {
        true => format!("{}{}", names.body_display_name, subject_display_name),
        false => subject_display_name.to_string(),
    };
    let rank = match c.rank {
        r if r > 0 => format!("，在同组中位列第{r}名"),
        _ => String::new(),
    };
    NoticeRecord {
        kind: NoticeKind::Commendation,
        number: number.into(),
        title: format!("关于表彰{}年度行政执法考核成绩突出{}的通报", c.year, who_zh),
        issuer: names.issuer.clone(),
        addressee: ADDRESSEE.into(),
        subject: c.subject.clone(),
        subject_kind: c.subject_kind,
        subject_display_name: subject_display_name.into(),
        body: c.body.clone(),
        year: probity_rules::city::year_of_us(now.timestamp_micros()),
        assessment_year: c.year,
        facts: vec![format!(
            "在{}年度行政执法评议考核中，{display}考核成绩突出（得分{:.1}{rank}）。",
            c.year, c.score
        )],
        article: "第六条".into(),
        decision: format!("根据{REGULATION}第六条的规定，决定对{display}予以表彰。"),
        closing: "希望受到表彰的单位和个人珍惜荣誉，再接再厉；各行政执法单位要以先进为榜样，不断提高行政执法水平。特此通报。".into(),
        english: vec![
            format!("Notice of commendation (表彰) no. {number}, issued by {}.", names.issuer),
            format!(
                "Commended: the {who_en} {display}, outstanding in the {} annual assessment (score {:.1}{}).",
                c.year,
                c.score,
                if c.rank > 0 { format!(", rank {} in its group", c.rank) } else { String::new() }
            ),
            "Under Art. 6 of the regulation.".into(),
        ],
        source: source.into(),
        issue_time: Some(now),
    }
}
