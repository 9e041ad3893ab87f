//! What every case goes through, whichever way it comes in: creation (once
//! per origin key), and the orders' path into a case (Art. 10).
use probity_common::{AppResult, auth::Principal, store::Write};

use crate::{
    catalogue,
    store::{
        self, CaseRow, OrderRow,
        events::{self, Event},
        rows::{
            CaseRecord, CaseState, Evidence, EvidenceKind, Ground, Origin, OriginKind, Subject,
            SubjectKind, to_json,
        },
    },
};

/// Creates `case` (subject, grounds, title, evidence, origin filled in) in
/// `w`; when its origin key already raised a case, returns that one and
/// `false` instead.
pub async fn create(
    w: &mut Write<'_>,
    principal: &Principal,
    method: &str,
    mut case: CaseRecord,
    body_path: &str,
    reason: &str,
) -> AppResult<(CaseRow, bool)> {
    let key = case.origin.key.clone();
    if !key.is_empty()
        && let Some(existing) = store::cases::by_origin(w.txn(), &key).await?
    {
        return Ok((existing, false));
    }
    let now = chrono::Utc::now();
    case.state = CaseState::Opened;
    case.create_time = Some(now);
    case.state_time = Some(now);
    case.version = 1;
    for g in &mut case.grounds {
        if let Some(def) = catalogue::ground(&g.code) {
            g.article = def.article.into();
            g.title_zh = def.zh.into();
            g.title_en = def.en.into();
        }
    }
    // Evidence brought from an order keeps who added it and when.
    for e in case.evidence.iter_mut().filter(|e| e.added_by.is_empty()) {
        e.added_by = principal.subject.clone();
        e.add_time = Some(now);
    }
    let now_us = now.timestamp_micros();
    let row = CaseRow {
        id: probity_common::names::new_id(),
        body_path: body_path.to_string(),
        state_us: now_us,
        case,
    };
    store::cases::insert(w.txn(), &row, now_us).await?;
    events::append(
        w,
        principal,
        method,
        Event {
            entity: &row.name(),
            action: "OPEN",
            from: CaseState::Unspecified.code(),
            to: CaseState::Opened.code(),
            reason,
            record: to_json(&row.case),
        },
    )
    .await?;
    Ok((row, true))
}

/// The case an order opens when refused or overdue (Art. 10), once.
pub async fn from_order(
    w: &mut Write<'_>,
    principal: &Principal,
    method: &str,
    order: &OrderRow,
    why: &str,
) -> AppResult<(CaseRow, bool)> {
    let name = order.name();
    let o = &order.order;
    let mut evidence = vec![Evidence {
        kind: EvidenceKind::CorrectionOrder,
        reference: name.clone(),
        note: why.into(),
        ..Default::default()
    }];
    evidence.extend(o.evidence.iter().cloned());
    let case = CaseRecord {
        subject: Subject {
            name: o.body.clone(),
            kind: SubjectKind::Body,
            body: o.body.clone(),
            display_name: o.body_display_name.clone(),
            ..Default::default()
        },
        grounds: vec![Ground {
            code: "ART10".into(),
            detail: o.act.clone(),
            ..Default::default()
        }],
        origin: Origin {
            kind: OriginKind::CorrectionOrder,
            reference: name,
            key: format!("order:{}", order.id),
        },
        title: truncate(&format!("{why}: {}", o.act), 200),
        evidence,
        ..Default::default()
    };
    create(w, principal, method, case, &order.body_path, why).await
}

pub fn truncate(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}
