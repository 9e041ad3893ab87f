//! Issues queued notices: looks up in the registry the names a notice
//! prints, then numbers it and stores its record with an audit entry, under
//! the chain lock. Woken when a notice is queued and on the sweep's timer,
//! so a notice whose names could not be looked up is issued later.
use std::{sync::Arc, time::Duration};

use chrono::Utc;
use probity_common::{AppError, AppResult, auth::Principal};

use super::{
    NoticeKind, NoticeRecord,
    compose::{self, Names},
};
use crate::{
    Accountability,
    store::{
        self,
        notices::{NoticeRow, QUEUED},
    },
};

pub fn start(acc: &Arc<Accountability>) {
    let weak = Arc::downgrade(acc);
    let wake = acc.notices_wake.clone();
    let every = Duration::from_millis(acc.settings.sweep_interval_ms);
    tokio::spawn(async move {
        loop {
            let _ = tokio::time::timeout(every, wake.notified()).await;
            let Some(acc) = weak.upgrade() else { return };
            if let Err(e) = issue_queued(&acc).await {
                tracing::warn!(error = %e, "issuing notices failed; will retry");
            }
        }
    });
}

/// Issues every queued notice it can; returns how many it issued.
pub async fn issue_queued(acc: &Accountability) -> AppResult<usize> {
    let mut issued = 0;
    for row in store::notices::queued(&acc.store.db, 200).await? {
        match issue(acc, &row).await {
            Ok(true) => issued += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!(notice = %row.name(), error = %e, "notice not issued yet"),
        }
    }
    Ok(issued)
}

/// What a notice is composed from, read before the write.
enum Source {
    Case(Box<store::CaseRow>),
    Commendation(store::rows::CommendationRecord, String),
}

async fn issue(acc: &Accountability, row: &NoticeRow) -> AppResult<bool> {
    let (source, names) = read_source(acc, row).await?;
    let principal = Principal::system("probity-accountability");
    let mut w = acc.store.write(&principal, "IssueNotice", "", &()).await?;
    // Another replica may have issued it since it was read.
    match store::notices::load(w.txn(), &row.id).await? {
        Some(r) if r.state == QUEUED => {}
        _ => return Ok(false),
    }
    let now = Utc::now();
    let year = probity_rules::city::year_of_us(now.timestamp_micros());
    let n = store::notices::issued_in(w.txn(), year).await? + 1;
    let number = format!("{}〔{year}〕{n}号", acc.settings.notices.number_prefix);
    let record: NoticeRecord = match &source {
        Source::Case(c) => compose::for_case(&row.source, &c.case, &names, &number, now),
        Source::Commendation(c, display) => {
            compose::for_commendation(&row.source, c, display, &names, &number, now)
        }
    };
    let stored = store::notices::issue(w.txn(), &row.id, &record, now.timestamp_micros()).await?;
    w.audit(
        &row.name(),
        serde_json::json!({"op": "issue_notice", "source": row.source, "number": number,
            "record_sha256": probity_common::audit::sha256_hex(stored.as_bytes())}),
    )
    .await?;
    w.commit(()).await?;
    Ok(true)
}

/// The case or commendation the notice issues from, and the names it
/// prints: the issuer is the unit that decided (its officer's case, Art.
/// 20, or a unit's as its superior authority, Art. 19), else the
/// government, for which the office also acts (Art. 3, 6, 19).
async fn read_source(acc: &Accountability, row: &NoticeRow) -> AppResult<(Source, Names)> {
    let government = acc.settings.notices.government_name.clone();
    let gone = || AppError::internal(format!("{}: its source {} is gone", row.name(), row.source));
    match row.kind {
        NoticeKind::Criticism => {
            let id = row.source.strip_prefix("cases/").unwrap_or_default();
            let case = store::cases::load(&acc.store.db, id)
                .await?
                .ok_or_else(gone)?;
            let subject = &case.case.subject;
            let body = acc.peers.resolve(&subject.body, "subject.body").await?;
            let decided_body = case.case.decision.as_ref().map(|d| d.decided_body.as_str());
            let issuer = match decided_body.unwrap_or_default() {
                "" => government,
                b if b == subject.body => body.display_name.clone(),
                b => {
                    acc.peers
                        .resolve(b, "decision.decided_body")
                        .await?
                        .display_name
                }
            };
            let names = Names {
                issuer,
                body_display_name: body.display_name,
            };
            Ok((Source::Case(Box::new(case)), names))
        }
        NoticeKind::Commendation => {
            let id = row
                .source
                .strip_prefix("commendations/")
                .unwrap_or_default();
            let c = store::commendations::load(&acc.store.db, id)
                .await?
                .ok_or_else(gone)?;
            let subject = acc.peers.resolve(&c.subject, "subject").await?;
            let body = acc.peers.resolve(&c.body, "subject.body").await?;
            let names = Names {
                issuer: government,
                body_display_name: body.display_name,
            };
            Ok((Source::Commendation(c, subject.display_name), names))
        }
        NoticeKind::Unspecified => Err(gone()),
    }
}
