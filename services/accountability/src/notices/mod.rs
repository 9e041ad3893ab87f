//! Notices (通报): a public criticism decided in a case (通报批评, Art. 19,
//! 20, 21(2)) or a commendation (表彰, Art. 6) becomes a document in the
//! regulation's form — issuer, number, subject, facts, article, decision,
//! date — kept with its case or commendation and served as HTML and PDF.
//!
//! A notice is queued in the same transaction as what calls for it (the
//! execution of the decision, the commendation), like a sanction's effects,
//! and issued by a dispatcher that looks up the names it needs in the
//! registry first: the issuing never rests on a caller remembering to ask.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub mod article;
pub mod compose;
pub mod dispatch;
pub mod html;
pub mod pdf;

use crate::store::rows::SubjectKind;

/// The regulation as a notice cites it.
pub const REGULATION: &str = "《尚志市行政执法责任制规定》";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NoticeKind {
    #[default]
    Unspecified = 0,
    /// 通报批评
    Criticism = 1,
    /// 表彰
    Commendation = 2,
}

impl NoticeKind {
    pub fn code(self) -> i32 {
        self as i32
    }

    pub fn from_code(code: i32) -> Self {
        match code {
            1 => Self::Criticism,
            2 => Self::Commendation,
            _ => Self::Unspecified,
        }
    }

    /// Its name in the document and in English.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Self::Criticism => ("通报批评", "public criticism"),
            Self::Commendation => ("表彰", "commendation"),
            Self::Unspecified => ("通报", "notice"),
        }
    }
}

/// A notice as issued: everything its documents print, fixed when it is
/// issued (the audit entry holds the hash of this record).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NoticeRecord {
    pub kind: NoticeKind,
    /// 文号, e.g. 尚政法通〔2026〕3号.
    pub number: String,
    pub title: String,
    /// 发文机关: who decided (the government, or the officer's unit).
    pub issuer: String,
    /// 主送: to whom it is circulated.
    pub addressee: String,
    /// bodies/{body} or officers/{officer}.
    pub subject: String,
    pub subject_kind: SubjectKind,
    pub subject_display_name: String,
    /// The bodies/{body} it concerns (for listing by body).
    pub body: String,
    /// The year of issue, in the city's calendar (the number's year).
    pub year: i32,
    /// (commendations) the assessment year commended.
    pub assessment_year: i32,
    /// 事实: what was found, one paragraph per line.
    pub facts: Vec<String>,
    /// 依据: the articles, in Chinese (第二十条第（五）项).
    pub article: String,
    /// 决定: what was decided.
    pub decision: String,
    pub closing: String,
    /// The same in English, in a few lines, printed beside.
    pub english: Vec<String>,
    /// cases/{case} or commendations/{commendation}.
    pub source: String,
    pub issue_time: Option<DateTime<Utc>>,
}

/// The date of issue as the document prints it: 2026年12月7日.
pub fn date_zh(t: Option<DateTime<Utc>>) -> String {
    use chrono::Datelike;
    let d = t
        .unwrap_or_default()
        .with_timezone(&probity_rules::city::city())
        .date_naive();
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}
