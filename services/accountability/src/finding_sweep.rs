//! Findings raise cases by themselves, as early-intervention systems raise
//! alerts: no breach waits on someone calling RaiseFromFinding. A subject's
//! findings in force of one rule, within the window, that no case holds yet
//! open one case when they reach the rule's threshold
//! (`catalogue::finding_threshold`), all of them gathered as its evidence.
//! Each finding is gathered once (`accountability_gathered_findings`, checked
//! under the chain lock), so every replica may sweep, any number of times.
use std::collections::{BTreeMap, HashSet};

use probity_common::{AppResult, auth::Principal};
use probity_proto::intake::v1::Finding;
use sea_orm::ConnectionTrait;

use crate::{
    Accountability,
    api::checks::MAX_EVIDENCE,
    catalogue,
    lifecycle::{self, truncate},
    peers::Resolved,
    store::{
        self,
        rows::{CaseRecord, Evidence, EvidenceKind, Ground, Origin, OriginKind, Subject},
    },
};

const METHOD: &str = "finding_sweep";

/// (rule, subject): whose findings of which rule are counted together. A
/// finding naming an officer is the officer's; one naming none, its body's.
type Group = (String, String);

fn group_of(f: &Finding) -> Group {
    let subject = if f.officer.is_empty() {
        f.body.clone()
    } else {
        f.officer.clone()
    };
    (f.rule.clone(), subject)
}

/// The case RaiseFromFinding raises for this finding against its subject:
/// a finding already raised that way is not gathered again.
fn raised_key(f: &Finding, subject: &str) -> String {
    format!("finding:{}:{}:{}:{}", f.fact, f.rule, f.officer, subject)
}

/// One sweep: returns the cases it opened.
pub async fn sweep(acc: &Accountability) -> AppResult<Vec<String>> {
    let window_us = acc.settings.finding_window_days as i64 * 86_400 * 1_000_000;
    let from_us = chrono::Utc::now().timestamp_micros() - window_us;
    let findings = acc.peers.findings_in_force(from_us).await?;
    let gathered = gathered(&acc.store.db, &findings).await?;
    let mut groups: BTreeMap<Group, Vec<Finding>> = BTreeMap::new();
    for f in findings {
        if !gathered.contains(&f.name) {
            groups.entry(group_of(&f)).or_default().push(f);
        }
    }
    let mut opened = Vec::new();
    for ((rule, subject), mut list) in groups {
        if list.len() < catalogue::finding_threshold(&rule) {
            continue;
        }
        list.truncate(MAX_EVIDENCE);
        if let Some(case) = open(acc, &rule, &subject, list).await? {
            opened.push(case);
        }
    }
    Ok(opened)
}

/// The names among `findings` already gathered into a case.
async fn gathered<C: ConnectionTrait>(db: &C, findings: &[Finding]) -> AppResult<HashSet<String>> {
    let names: Vec<&str> = findings.iter().map(|f| f.name.as_str()).collect();
    store::gathered::among(db, &names).await
}

/// Opens the case for one group, unless another sweep gathered its findings
/// first; records them as gathered, in the same transaction.
async fn open(
    acc: &Accountability,
    rule: &str,
    subject: &str,
    list: Vec<Finding>,
) -> AppResult<Option<String>> {
    let who = acc.peers.resolve(subject, "finding").await?;
    let principal = Principal::system("probity-accountability");
    let mut w = acc.store.write(&principal, METHOD, "", &()).await?;
    let mut fresh = Vec::new();
    let already = gathered(w.txn(), &list).await?;
    for f in list.into_iter().filter(|f| !already.contains(&f.name)) {
        if store::cases::by_origin(w.txn(), &raised_key(&f, subject))
            .await?
            .is_none()
        {
            fresh.push(f);
        }
    }
    if fresh.len() < catalogue::finding_threshold(rule) {
        return Ok(None);
    }
    let case = case_of(rule, subject, &who, &fresh);
    let reason = format!("{} finding(s) of {rule} reached its threshold", fresh.len());
    let (row, created) =
        lifecycle::create(&mut w, &principal, METHOD, case, &who.body_path, &reason).await?;
    let now_us = chrono::Utc::now().timestamp_micros();
    for f in &fresh {
        store::gathered::insert(w.txn(), &f.name, &row.id, rule, subject, now_us).await?;
    }
    w.commit(()).await?;
    Ok(created.then_some(row.name()))
}

/// The case a group's fresh findings open, against its subject as the
/// registry knows it, every finding as evidence.
fn case_of(rule: &str, subject: &str, who: &Resolved, fresh: &[Finding]) -> CaseRecord {
    let first = &fresh[0];
    let article = first.article.clone();
    let title = truncate(
        &format!(
            "{rule} ({article}): {} finding(s) of {} since {}",
            fresh.len(),
            who.display_name,
            first
                .occur_time
                .as_ref()
                .map(|t| probity_common::names::ts_us(t) / 1_000_000)
                .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
                .map(|t| t.format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        ),
        200,
    );
    CaseRecord {
        subject: Subject {
            name: subject.to_string(),
            kind: who.kind,
            body: who.body.clone(),
            display_name: who.display_name.clone(),
            ..Default::default()
        },
        grounds: vec![Ground {
            code: catalogue::finding_ground(rule, who.kind).into(),
            detail: truncate(
                &format!(
                    "{} finding(s) of {rule} in force reached the threshold of {}",
                    fresh.len(),
                    catalogue::finding_threshold(rule)
                ),
                crate::api::checks::MAX_TEXT,
            ),
            ..Default::default()
        }],
        origin: Origin {
            kind: OriginKind::Finding,
            reference: first.name.clone(),
            // The first finding gathered: another sweep of the same findings
            // finds this case, and findings after it form a case of their own.
            key: format!("sweep:{rule}:{subject}:{}", first.name),
        },
        title,
        evidence: fresh
            .iter()
            .map(|f| Evidence {
                kind: EvidenceKind::Finding,
                reference: f.fact.clone(),
                revision: f.revision,
                rule: f.rule.clone(),
                officer: f.officer.clone(),
                note: truncate(&f.detail, crate::api::checks::MAX_TEXT),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}
