//! What the report sets beside the year's rankings, read over the services'
//! APIs with the other inputs: the year's accountability cases (ListCases),
//! the previous year's sealed department and town ranks (ListRankings) and
//! the superior assessments of vertically managed bodies for the year
//! (ListSuperiorAssessments, Art. 4). Written
//! to `input/report.json` and fingerprinted like every input, so a rerun on
//! the same inputs writes the same report; nothing in it is the clock's
//! (a case's deadline colour, which is, is not kept).
use std::path::Path;

use chrono::{DateTime, Utc};
use probity_common::names::from_ts;
use probity_proto::{
    accountability::v1::{
        CaseFilter, CaseState, ListCasesRequest, ListNoticesRequest, NoticeFormat, NoticeKind,
        OriginKind, RenderNoticeRequest, SubjectKind,
        accountability_service_client::AccountabilityServiceClient,
    },
    rankings::v1::{
        Level, ListRankingsRequest, ListSuperiorAssessmentsRequest, SuperiorGrade,
        rankings_service_client::RankingsServiceClient,
    },
};
use serde::{Deserialize, Serialize};

use crate::extract::Peers;

pub const FILE: &str = "report.json";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportInputs {
    /// The cases opened, decided or dismissed in the window; `None` when
    /// accountability did not answer (the report says the count is not
    /// available in this run).
    pub cases: Option<Vec<CaseRow>>,
    pub previous: Previous,
    /// The year's superior assessments (the current revision of each body's).
    #[serde(default)]
    pub superior: Vec<SuperiorRow>,
    /// The year's notices (通报 issued in the window), each
    /// with its HTML, which the report links; `None` when accountability
    /// did not answer.
    #[serde(default)]
    pub notices: Option<Vec<NoticeRow>>,
}

/// A notice as the report lists and links it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeRow {
    /// notices/{notice}
    pub name: String,
    pub number: String,
    pub title: String,
    /// NOTICE_KIND_*
    pub kind: String,
    pub issuer: String,
    pub issue_date: String,
    /// The notice's HTML, as accountability renders it.
    pub html: String,
}

impl NoticeRow {
    /// Its file beside the report (`notices/{id}.html`).
    pub fn file(&self) -> String {
        format!("{}.html", self.name)
    }
}

/// A vertically managed body's assessment by its superior (Art. 4), as the
/// legal-affairs office recorded it: shown beside the computed rank, never
/// counted in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuperiorRow {
    /// bodies/{body}
    pub body: String,
    pub body_name: String,
    /// SUPERIOR_GRADE_* (SUPERIOR_GRADE_UNSPECIFIED: a score only)
    pub grade: String,
    pub score: Option<f64>,
    pub superior: String,
    pub document: String,
    pub assessed_date: String,
    pub revision: i32,
}

/// One case as the report counts it. States are as accountability had them
/// when the run read them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseRow {
    pub case: String,
    pub subject: String,
    /// SUBJECT_KIND_BODY or SUBJECT_KIND_OFFICER
    pub subject_kind: String,
    pub subject_name: String,
    /// ORIGIN_KIND_*
    pub origin: String,
    /// CASE_STATE_*
    pub state: String,
    pub opened_us: i64,
    pub decided_us: Option<i64>,
    pub dismissed_us: Option<i64>,
}

/// The previous year's run, when the rankings target keeps one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Previous {
    pub year: i32,
    /// runs/{run}; empty: no run of that year is kept.
    pub run: String,
    pub as_of: String,
    pub sealed: bool,
    /// Its ranked departments (only when sealed).
    pub departments: Vec<PreviousRank>,
    /// Its ranked towns (only when sealed).
    #[serde(default)]
    pub towns: Vec<PreviousRank>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviousRank {
    pub subject: String,
    pub display_name: String,
    pub rank: i32,
    pub peer_size: i32,
    pub score: f64,
}

impl ReportInputs {
    pub fn load(input: &Path) -> anyhow::Result<ReportInputs> {
        let path = input.join(FILE);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Ok(serde_json::from_str(&text)?)
    }

    pub fn save(&self, input: &Path) -> anyhow::Result<()> {
        std::fs::write(input.join(FILE), serde_json::to_string_pretty(self)?)?;
        Ok(())
    }
}

fn micros(t: &Option<prost_types::Timestamp>) -> Option<i64> {
    t.as_ref()
        .and_then(from_ts)
        .map(|t: DateTime<Utc>| t.timestamp_micros())
}

/// Reads both and writes `input/report.json`.
pub async fn extract(
    peers: &Peers,
    year: i32,
    from_us: i64,
    until_us: i64,
    input: &Path,
) -> anyhow::Result<ReportInputs> {
    let mut previous_year = previous(peers, year - 1, Level::Department).await?;
    previous_year.towns = previous(peers, year - 1, Level::Town).await?.departments;
    let r = ReportInputs {
        cases: cases(peers, from_us, until_us).await,
        previous: previous_year,
        superior: superior(peers, year).await?,
        notices: notices(peers, from_us, until_us).await,
    };
    r.save(input)?;
    Ok(r)
}

/// The cases of the window, or `None` if accountability does not answer:
/// the rankings do not depend on them, so the run goes on and its report
/// says they are missing.
async fn cases(peers: &Peers, from_us: i64, until_us: i64) -> Option<Vec<CaseRow>> {
    let mut client = AccountabilityServiceClient::new(peers.accountability.channel())
        .max_decoding_message_size(64 << 20);
    let within = |t: Option<i64>| t.is_some_and(|t| (from_us..=until_us).contains(&t));
    let mut rows = Vec::new();
    let mut token = String::new();
    loop {
        let page = match peers
            .accountability
            .call(
                "accountability",
                client.list_cases(ListCasesRequest {
                    // every origin and state: the window is the job's to apply
                    filter: Some(CaseFilter::default()),
                    page_size: 1000,
                    page_token: token,
                }),
            )
            .await
        {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!("accountability ListCases: {e}; the report shows no case counts");
                return None;
            }
        };
        for c in page.cases {
            let opened_us = micros(&c.create_time).unwrap_or(0);
            let decided_us = c.decision.as_ref().and_then(|d| micros(&d.time));
            let dismissed_us = (c.state == CaseState::Dismissed as i32)
                .then(|| micros(&c.state_time))
                .flatten();
            if opened_us > until_us
                || !(within(Some(opened_us)) || within(decided_us) || within(dismissed_us))
            {
                continue;
            }
            let subject = c.subject.unwrap_or_default();
            rows.push(CaseRow {
                case: c.name,
                subject: subject.name,
                subject_kind: SubjectKind::try_from(subject.kind)
                    .unwrap_or_default()
                    .as_str_name()
                    .into(),
                subject_name: subject.display_name,
                origin: c
                    .origin
                    .and_then(|o| OriginKind::try_from(o.kind).ok())
                    .unwrap_or_default()
                    .as_str_name()
                    .into(),
                state: CaseState::try_from(c.state)
                    .unwrap_or_default()
                    .as_str_name()
                    .into(),
                opened_us,
                decided_us: decided_us.filter(|t| *t <= until_us),
                dismissed_us: dismissed_us.filter(|t| *t <= until_us),
            });
        }
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    rows.sort_by(|a, b| a.case.cmp(&b.case));
    Some(rows)
}

/// The year's superior assessments, the current revision of each body's.
/// The rankings service is the job's own target: not answering is an error.
async fn superior(peers: &Peers, year: i32) -> anyhow::Result<Vec<SuperiorRow>> {
    let mut client = RankingsServiceClient::new(peers.rankings.channel());
    let mut out = Vec::new();
    let mut token = String::new();
    loop {
        let page = peers
            .rankings
            .call(
                "the rankings service",
                client.list_superior_assessments(ListSuperiorAssessmentsRequest {
                    parent: "bodies/-".into(),
                    year,
                    page_size: 1000,
                    page_token: token,
                    ..Default::default()
                }),
            )
            .await
            .map_err(|e| anyhow::anyhow!("ListSuperiorAssessments {year}: {e}"))?;
        out.extend(page.superior_assessments.into_iter().map(|a| {
            SuperiorRow {
                body: a.body,
                body_name: a.body_display_name,
                grade: SuperiorGrade::try_from(a.grade)
                    .unwrap_or_default()
                    .as_str_name()
                    .into(),
                score: a.score,
                superior: a.superior,
                document: a.document,
                assessed_date: a.assessed_date,
                revision: a.revision,
            }
        }));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    out.sort_by(|a, b| a.body.cmp(&b.body));
    Ok(out)
}

/// The previous year's run as the rankings target keeps it (its sealed one
/// once sealed), one level's rows; ranks only from a sealed run, the one
/// that counts.
async fn previous(peers: &Peers, year: i32, level: Level) -> anyhow::Result<Previous> {
    let mut out = Previous {
        year,
        ..Default::default()
    };
    if year < 2000 {
        return Ok(out);
    }
    let mut client = RankingsServiceClient::new(peers.rankings.channel());
    let mut token = String::new();
    loop {
        let page = match peers
            .rankings
            .call(
                "the rankings service",
                client.list_rankings(ListRankingsRequest {
                    year,
                    level: level as i32,
                    page_size: 1000,
                    page_token: token,
                    ..Default::default()
                }),
            )
            .await
        {
            Ok(p) => p,
            Err(e) if e.code() == tonic::Code::NotFound => return Ok(out),
            Err(e) => anyhow::bail!("ListRankings {year}: {e}"),
        };
        let run = page.run.unwrap_or_default();
        out.run = run.name;
        out.as_of = run.as_of;
        out.sealed = run.finalized;
        if !out.sealed {
            return Ok(out);
        }
        out.departments
            .extend(
                page.rankings
                    .into_iter()
                    .filter(|r| r.ranked)
                    .map(|r| PreviousRank {
                        subject: r.subject,
                        display_name: r.display_name,
                        rank: r.rank,
                        peer_size: r.peer_size,
                        score: r.score,
                    }),
            );
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    out.departments.sort_by(|a, b| a.subject.cmp(&b.subject));
    Ok(out)
}

/// The notices issued in the window, with their HTML; `None` when
/// accountability does not answer (the report says so). By issue time, as
/// cases are: a sealed year's inputs do not change when the commendations
/// its sealing records are issued after it (they are next year's notices).
async fn notices(peers: &Peers, from_us: i64, until_us: i64) -> Option<Vec<NoticeRow>> {
    let mut client = AccountabilityServiceClient::new(peers.accountability.channel())
        .max_decoding_message_size(64 << 20);
    let mut rows = Vec::new();
    let mut token = String::new();
    loop {
        let call = client.list_notices(ListNoticesRequest {
            page_size: 500,
            page_token: token,
            ..Default::default()
        });
        let page = match peers.accountability.call("accountability", call).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!("accountability ListNotices: {e}; the report lists no notices");
                return None;
            }
        };
        for n in page.notices {
            let issued = micros(&n.issue_time).unwrap_or(i64::MIN);
            if !(from_us..=until_us).contains(&issued) {
                continue;
            }
            let render = client.render_notice(RenderNoticeRequest {
                name: n.name.clone(),
                format: NoticeFormat::Html as i32,
            });
            let html = match peers.accountability.call("accountability", render).await {
                Ok(r) => String::from_utf8_lossy(&r.data).into_owned(),
                Err(e) => {
                    tracing::warn!("accountability RenderNotice {}: {e}", n.name);
                    return None;
                }
            };
            let issue_date = n
                .issue_time
                .as_ref()
                .and_then(from_ts)
                .map(|t| {
                    t.with_timezone(&probity_rules::city::city())
                        .format("%Y-%m-%d")
                        .to_string()
                })
                .unwrap_or_default();
            rows.push(NoticeRow {
                name: n.name,
                number: n.number,
                title: n.title,
                kind: NoticeKind::try_from(n.kind)
                    .unwrap_or_default()
                    .as_str_name()
                    .into(),
                issuer: n.issuer,
                issue_date,
                html,
            });
        }
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    rows.sort_by(|a, b| (&a.issue_date, &a.number).cmp(&(&b.issue_date, &b.number)));
    Some(rows)
}
