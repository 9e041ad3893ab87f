//! What every case goes through, whichever way it comes in: creation (once
//! per origin key), the view a reader gets (effects, time limit), and the
//! orders' path into a case (Art. 10).
use probity_common::{AppResult, auth::Principal, names::to_ts, store::Write};
use probity_proto::accountability::v1::{
    Case, CaseState, CorrectionOrder, Evidence, EvidenceKind, Ground, Origin, OriginKind, Subject,
    SubjectKind,
};
use sea_orm::ConnectionTrait;

use crate::{
    Accountability, catalogue, deadline, effects,
    store::{self, CaseRow, Event},
};

/// Creates `case` (subject, grounds, title, evidence, origin filled in) in
/// `w`; when its origin key already raised a case, returns that one and
/// `false` instead.
pub async fn create(
    w: &mut Write<'_>,
    principal: &Principal,
    method: &str,
    mut case: Case,
    body_path: &str,
    reason: &str,
) -> AppResult<(CaseRow, bool)> {
    let key = case
        .origin
        .as_ref()
        .map(|o| o.key.clone())
        .unwrap_or_default();
    if !key.is_empty()
        && let Some(existing) = store::case_by_origin(w.txn(), &key).await?
    {
        return Ok((existing, false));
    }
    let now = chrono::Utc::now();
    let id = probity_common::names::new_id();
    case.name = format!("cases/{id}");
    case.state = CaseState::Opened as i32;
    case.create_time = Some(to_ts(now));
    case.state_time = Some(to_ts(now));
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
        e.add_time = Some(to_ts(now));
    }
    let now_us = now.timestamp_micros();
    store::insert_case(w.txn(), &id, body_path, now_us, &case).await?;
    let entity = case.name.clone();
    store::append(
        w,
        principal,
        method,
        Event {
            entity: &entity,
            action: "OPEN",
            from: CaseState::Unspecified as i32,
            to: CaseState::Opened as i32,
            reason,
            doc: prost::Message::encode_to_vec(&case),
        },
    )
    .await?;
    Ok((
        CaseRow {
            id,
            body_path: body_path.to_string(),
            state_us: now_us,
            case,
        },
        true,
    ))
}

/// The case as a reader sees it: with its effects and its time limit now.
pub async fn view<C: ConnectionTrait>(
    acc: &Accountability,
    db: &C,
    row: &CaseRow,
) -> AppResult<Case> {
    let mut c = row.case.clone();
    let state = CaseState::try_from(c.state).unwrap_or_default();
    let now = chrono::Utc::now().timestamp_micros();
    let (due, light) = deadline::status(&acc.settings, state, row.state_us, now);
    c.due_time = due
        .and_then(chrono::DateTime::from_timestamp_micros)
        .map(to_ts);
    c.deadline = light as i32;
    if matches!(state, CaseState::Executed | CaseState::Closed) {
        c.effects = effects::of_case(db, &row.id).await?;
    }
    Ok(c)
}

/// The case an order opens when refused or overdue (Art. 10), once.
pub async fn from_order(
    w: &mut Write<'_>,
    principal: &Principal,
    method: &str,
    order_id: &str,
    order: &CorrectionOrder,
    body_path: &str,
    why: &str,
) -> AppResult<(CaseRow, bool)> {
    let name = format!("orders/{order_id}");
    let mut evidence = vec![Evidence {
        kind: EvidenceKind::CorrectionOrder as i32,
        reference: name.clone(),
        note: why.into(),
        ..Default::default()
    }];
    evidence.extend(order.evidence.iter().cloned());
    let case = Case {
        subject: Some(Subject {
            name: order.body.clone(),
            kind: SubjectKind::Body as i32,
            body: order.body.clone(),
            display_name: order.body_display_name.clone(),
            ..Default::default()
        }),
        grounds: vec![Ground {
            code: "ART10".into(),
            detail: order.act.clone(),
            ..Default::default()
        }],
        origin: Some(Origin {
            kind: OriginKind::CorrectionOrder as i32,
            reference: name.clone(),
            key: format!("order:{order_id}"),
        }),
        title: truncate(&format!("{why}: {}", order.act), 200),
        evidence,
        ..Default::default()
    };
    create(w, principal, method, case, body_path, why).await
}

pub fn truncate(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}
