//! Reads: the catalogue and the severity table, one case, its events, and
//! listings by state, subject, body, deadline and origin. A department sees
//! cases about its body, the bodies below it, and their officers.
use probity_common::{
    AppResult, Violations, body_scope,
    names::{next_token, page, parse_top, to_ts, us_ts},
};
use probity_proto::accountability::v1::*;
use sea_orm::ConnectionTrait;

use super::{Ctx, cases::visible, convert};
use crate::{
    Accountability, catalogue, deadline, severity,
    store::{self, CaseRow, cases::Listing, effects::EffectRow, events::EventRow, rows},
};

/// The case as a reader sees it: its record, with its time limit now and,
/// once executed, its effects.
pub async fn case_view<C: ConnectionTrait>(
    acc: &Accountability,
    db: &C,
    row: &CaseRow,
) -> AppResult<Case> {
    let mut c = convert::case_out(&row.id, &row.case);
    let state = CaseState::try_from(c.state).unwrap_or_default();
    let now = chrono::Utc::now().timestamp_micros();
    let (due, light) = deadline::status(&acc.settings, state, row.state_us, now);
    c.due_time = due
        .and_then(chrono::DateTime::from_timestamp_micros)
        .map(to_ts);
    c.deadline = light as i32;
    if matches!(state, CaseState::Executed | CaseState::Closed) {
        let effects = store::effects::of_case(db, &row.id).await?;
        c.effects = effects.iter().map(effect).collect();
    }
    Ok(c)
}

fn effect(e: &EffectRow) -> Effect {
    Effect {
        name: format!("cases/{}/effects/{}", e.case_id, e.n),
        kind: e.kind,
        officer: e.officer.clone(),
        until: e.until_us.and_then(us_ts),
        state: e.state,
        attempts: e.attempts,
        last_error: e.last_error.clone(),
        applied_time: e.applied_us.and_then(us_ts),
        credentials: e.credentials.clone(),
    }
}

fn event(e: EventRow) -> CaseEvent {
    CaseEvent {
        sequence: e.seq,
        action: e.action,
        from_state: e.from,
        to_state: e.to,
        actor: e.actor,
        role: e.role,
        time: us_ts(e.at_us),
        reason: e.reason,
        audit_entry: format!("audit/accountability/{}", e.audit_seq),
    }
}

pub async fn list_grounds(
    _: &Accountability,
    _: &Ctx,
    r: ListGroundsRequest,
) -> AppResult<ListGroundsResponse> {
    let (grounds, next_page_token) = fixed_page(
        catalogue::GROUNDS.iter().map(|g| g.to_proto()).collect(),
        r.page_size,
        &r.page_token,
        "grounds",
    )?;
    Ok(ListGroundsResponse {
        grounds,
        next_page_token,
    })
}

pub async fn list_severity_rules(
    _: &Accountability,
    _: &Ctx,
    r: ListSeverityRulesRequest,
) -> AppResult<ListSeverityRulesResponse> {
    let (rules, next_page_token) = fixed_page(
        severity::RULES.iter().flat_map(|r| r.to_proto()).collect(),
        r.page_size,
        &r.page_token,
        "severity_rules",
    )?;
    Ok(ListSeverityRulesResponse {
        rules,
        next_page_token,
    })
}

/// One page of a list fixed in the code (the catalogue, the severity
/// table): its key is the position, which is stable while the list is.
fn fixed_page<T>(
    all: Vec<T>,
    page_size: i32,
    page_token: &str,
    listing: &str,
) -> AppResult<(Vec<T>, String)> {
    let mut v = Violations::new();
    let p = page(&mut v, page_size, page_token, listing);
    let start = match &p.after {
        None => 0,
        Some(k) => match k.parse::<usize>() {
            Ok(i) if i < all.len() => i + 1,
            _ => {
                v.add("page_token", "is not a token this listing issued");
                0
            }
        },
    };
    v.finish()?;
    let out: Vec<T> = all.into_iter().skip(start).take(p.size as usize).collect();
    let last = (start + out.len()).checked_sub(1).map(|i| i.to_string());
    let next = next_token(out.len(), &p, last.as_deref(), listing);
    Ok((out, next))
}

fn case_id(v: &mut Violations, name: &str) -> String {
    parse_top(name, "cases").unwrap_or_else(|| {
        v.add("name", "must be a resource name cases/{case}");
        String::new()
    })
}

pub async fn get_case(acc: &Accountability, ctx: &Ctx, r: GetCaseRequest) -> AppResult<Case> {
    let mut v = Violations::new();
    let id = case_id(&mut v, &r.name);
    v.finish()?;
    let db = &acc.store.db;
    let row = visible(ctx, store::cases::load(db, &id).await?, &r.name)?;
    case_view(acc, db, &row).await
}

pub async fn list_case_events(
    acc: &Accountability,
    ctx: &Ctx,
    r: ListCaseEventsRequest,
) -> AppResult<ListCaseEventsResponse> {
    let mut v = Violations::new();
    let id = case_id(&mut v, &r.name);
    let filter_key = format!("events|{}", r.name);
    let p = page(&mut v, r.page_size, &r.page_token, &filter_key);
    let after = match p.after.as_deref().map(str::parse::<i64>) {
        None => 0,
        Some(Ok(seq)) if seq >= 0 => seq,
        Some(_) => {
            v.add("page_token", "is not a token this listing issued");
            0
        }
    };
    v.finish()?;
    let db = &acc.store.db;
    visible(ctx, store::cases::load(db, &id).await?, &r.name)?;
    let rows = store::events::list(db, &r.name, after, p.size).await?;
    let events: Vec<CaseEvent> = rows.into_iter().map(event).collect();
    let last = events.last().map(|e| e.sequence.to_string());
    Ok(ListCaseEventsResponse {
        next_page_token: next_token(events.len(), &p, last.as_deref(), &filter_key),
        events,
    })
}

pub async fn list_cases(
    acc: &Accountability,
    ctx: &Ctx,
    r: ListCasesRequest,
) -> AppResult<ListCasesResponse> {
    let f = r.filter.clone().unwrap_or_default();
    let mut v = Violations::new();
    let state = CaseState::try_from(f.state);
    if state.is_err() {
        v.add("filter.state", "unknown state");
    }
    if !f.subject.is_empty()
        && parse_top(&f.subject, "officers").is_none()
        && parse_top(&f.subject, "bodies").is_none()
    {
        v.add(
            "filter.subject",
            "must be bodies/{body} or officers/{officer}",
        );
    }
    let body = if f.body.is_empty() {
        None
    } else {
        let b = parse_top(&f.body, "bodies");
        if b.is_none() {
            v.add("filter.body", "must be bodies/{body}");
        }
        b
    };
    let light = DeadlineStatus::try_from(f.deadline).unwrap_or(DeadlineStatus::Green);
    if !matches!(
        light,
        DeadlineStatus::Unspecified | DeadlineStatus::Yellow | DeadlineStatus::Red
    ) {
        v.add("filter.deadline", "YELLOW or RED");
    }
    if OriginKind::try_from(f.origin).is_err() {
        v.add("filter.origin", "unknown origin");
    }
    // The government decides every proposal against a unit (rights.rs).
    let awaiting = Decider::try_from(f.awaiting_decision_by);
    let mut state_filter = f.state;
    let mut subject_kind = None;
    match awaiting {
        Ok(Decider::Unspecified) => {}
        Ok(Decider::Government) => {
            if !matches!(f.state, 0 | 3) {
                v.add(
                    "filter.state",
                    "a case awaits a decision only while PROPOSED: leave it unset with awaiting_decision_by",
                );
            }
            state_filter = CaseState::Proposed as i32;
            subject_kind = Some(rows::SubjectKind::Body.code());
        }
        Err(_) => v.add("filter.awaiting_decision_by", "GOVERNMENT"),
    }
    let mut filter_key = format!(
        "{}|{}|{}|{}|{}",
        f.state, f.subject, f.body, f.deadline, f.origin
    );
    if f.awaiting_decision_by != 0 {
        filter_key.push_str(&format!("|{}", f.awaiting_decision_by));
    }
    let p = page(&mut v, r.page_size, &r.page_token, &filter_key);
    v.finish()?;

    let entered = (light != DeadlineStatus::Unspecified).then(|| {
        let now = chrono::Utc::now().timestamp_micros();
        let windows = deadline::windows(&acc.settings, light, now);
        windows
            .into_iter()
            .map(|(st, after, upto)| (st as i32, after, upto))
            .collect()
    });
    let listing = Listing {
        state: (state_filter != 0).then_some(state_filter),
        subject: (!f.subject.is_empty()).then(|| f.subject.clone()),
        subject_kind,
        under: body,
        scope: body_scope::read_pattern(&ctx.principal),
        origin: (f.origin != 0).then_some(f.origin),
        entered,
        after: p.after.clone(),
    };
    let db = &acc.store.db;
    let rows = store::cases::page(db, &listing, p.size).await?;
    let mut out = Vec::with_capacity(rows.len());
    let mut last = None;
    for c in &rows {
        last = Some(c.id.clone());
        out.push(case_view(acc, db, c).await?);
    }
    Ok(ListCasesResponse {
        next_page_token: next_token(out.len(), &p, last.as_deref(), &filter_key),
        cases: out,
    })
}
