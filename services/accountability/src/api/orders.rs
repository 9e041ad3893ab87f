//! Correction orders (Art. 10): the legal-affairs office orders a body to
//! correct an act by a deadline; the body answers CORRECTED (with evidence)
//! or REFUSED. A refusal opens a case on Art. 10 at once, an order left
//! unanswered past its deadline opens one when swept (crate::sweep); once.
use chrono::{DateTime, Utc};
use probity_common::{
    AppError, AppResult, Reason, Violations,
    auth::Principal,
    body_scope,
    names::{check_request_id, from_ts, next_token, page, parse_top},
    store::Write,
};
use probity_proto::accountability::v1::*;

use super::{Ctx, checks, convert};
use crate::{
    Accountability, lifecycle,
    store::{
        self, OrderRow,
        events::{self, Event},
        orders::Listing,
        rows::{self, to_json},
    },
};

fn order_id(v: &mut Violations, name: &str) -> String {
    parse_top(name, "orders").unwrap_or_else(|| {
        v.add("name", "must be a resource name orders/{order}");
        String::new()
    })
}

fn visible(ctx: &Ctx, row: Option<OrderRow>, name: &str) -> AppResult<OrderRow> {
    let row = row.ok_or_else(|| AppError::not_found(name))?;
    body_scope::check(&ctx.principal, &row.body_path).map_err(|_| AppError::not_found(name))?;
    Ok(row)
}

/// Evidence as given, stamped with who added it and when.
fn stamped(list: &[Evidence], by: &str, at: DateTime<Utc>) -> Vec<rows::Evidence> {
    list.iter()
        .map(|e| rows::Evidence {
            added_by: by.to_string(),
            add_time: Some(at),
            ..convert::evidence_in(e)
        })
        .collect()
}

pub async fn create_order(
    acc: &Accountability,
    ctx: &Ctx,
    r: CreateOrderRequest,
) -> AppResult<CorrectionOrder> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    let o = r.order.clone().unwrap_or_default();
    if parse_top(&o.body, "bodies").is_none() {
        v.add("order.body", "must be bodies/{body}");
    }
    v.non_empty(&o.act, "order.act");
    v.max_len(&o.act, checks::MAX_TEXT, "order.act");
    checks::evidence(&mut v, &o.evidence, "order.evidence");
    let deadline = o.deadline.as_ref().and_then(from_ts);
    let now = Utc::now();
    if deadline.is_none_or(|d| d <= now) {
        v.add("order.deadline", "required, in the future");
    }
    v.finish()?;
    super::replay_first!(acc, ctx, r);
    let who = acc.peers.resolve(&o.body, "order.body").await?;
    let mut w = acc
        .store
        .write(&ctx.principal, ctx.method, &r.request_id, &r)
        .await?;
    if let Some(done) = w.replayed::<CorrectionOrder>()? {
        return Ok(done);
    }
    let row = OrderRow {
        id: probity_common::names::new_id(),
        body_path: who.body_path.clone(),
        order: rows::OrderRecord {
            body: o.body.clone(),
            act: o.act.clone(),
            evidence: stamped(&o.evidence, &ctx.principal.subject, now),
            deadline,
            state: rows::OrderState::Open,
            create_time: Some(now),
            created_by: ctx.principal.subject.clone(),
            body_display_name: who.display_name.clone(),
            ..Default::default()
        },
    };
    let deadline_us = deadline.map(|d| d.timestamp_micros()).unwrap_or_default();
    store::orders::insert(w.txn(), &row, deadline_us, now.timestamp_micros()).await?;
    events::append(
        &mut w,
        &ctx.principal,
        ctx.method,
        Event {
            entity: &row.name(),
            action: "ORDER",
            from: rows::OrderState::Unspecified.code(),
            to: rows::OrderState::Open.code(),
            reason: &row.order.act,
            record: to_json(&row.order),
        },
    )
    .await?;
    w.commit(convert::order_out(&row.id, &row.order)).await
}

pub async fn answer_order(
    acc: &Accountability,
    ctx: &Ctx,
    r: AnswerOrderRequest,
) -> AppResult<CorrectionOrder> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    let id = order_id(&mut v, &r.name);
    let answer = OrderAnswer::try_from(r.answer).unwrap_or_default();
    if answer == OrderAnswer::Unspecified {
        v.add("answer", "CORRECTED or REFUSED");
    }
    checks::reason(&mut v, &r.note, "note");
    checks::evidence(&mut v, &r.evidence, "evidence");
    if answer == OrderAnswer::Corrected && r.evidence.is_empty() {
        v.add("evidence", "a correction needs evidence of it");
    }
    v.finish()?;
    let mut w = acc
        .store
        .write(&ctx.principal, ctx.method, &r.request_id, &r)
        .await?;
    if let Some(done) = w.replayed::<CorrectionOrder>()? {
        return Ok(done);
    }
    let mut row = visible(ctx, store::orders::load(w.txn(), &id).await?, &r.name)?;
    let refused = answer == OrderAnswer::Refused;
    let now = Utc::now();
    let evidence = stamped(&r.evidence, &ctx.principal.subject, now);
    let (p, m) = (&ctx.principal, ctx.method);
    let answer = (refused, r.note.as_str(), evidence, now);
    let before = answered(&mut w, (p, m), &mut row, answer).await?;
    store::orders::save(w.txn(), &row).await?;
    events::append(
        &mut w,
        p,
        m,
        Event {
            entity: &row.name(),
            action: if refused { "REFUSE" } else { "CORRECT" },
            from: before.code(),
            to: row.order.state.code(),
            reason: &r.note,
            record: to_json(&row.order),
        },
    )
    .await?;
    w.commit(convert::order_out(&row.id, &row.order)).await
}

/// Records the answer on the order (not yet saved); returns its state
/// before. Past its deadline and not yet swept, the order is made overdue
/// first (its case opens as the sweep would have opened it); a late answer
/// is still recorded and the case stays. A refusal opens the order's case.
async fn answered(
    w: &mut Write<'_>,
    (p, m): (&Principal, &str),
    row: &mut OrderRow,
    (refused, note, evidence, now): (bool, &str, Vec<rows::Evidence>, DateTime<Utc>),
) -> AppResult<rows::OrderState> {
    use rows::OrderState as S;
    if row.order.state == S::Open && row.order.deadline.is_some_and(|d| d <= now) {
        crate::sweep::overdue(w, p, m, row).await?;
    }
    let before = row.order.state;
    if before != S::Open && before != S::Overdue {
        return Err(AppError::refused(
            Reason::OrderAnswered,
            format!(
                "the order was already answered (current state {})",
                before.api_name()
            ),
        ));
    }
    let o = &mut row.order;
    o.answer = if refused {
        rows::OrderAnswer::Refused
    } else {
        rows::OrderAnswer::Corrected
    };
    o.answer_note = note.to_string();
    o.answer_evidence = evidence;
    o.answer_time = Some(now);
    o.state = if refused { S::Refused } else { S::Corrected };
    if refused && row.order.case.is_empty() {
        let why = "拒不改正 (refused to correct)";
        let (case, _) = lifecycle::from_order(w, p, m, row, why).await?;
        row.order.case = case.name();
    }
    Ok(before)
}

pub async fn get_order(
    acc: &Accountability,
    ctx: &Ctx,
    r: GetOrderRequest,
) -> AppResult<CorrectionOrder> {
    let mut v = Violations::new();
    let id = order_id(&mut v, &r.name);
    v.finish()?;
    let row = visible(ctx, store::orders::load(&acc.store.db, &id).await?, &r.name)?;
    Ok(convert::order_out(&row.id, &row.order))
}

pub async fn list_orders(
    acc: &Accountability,
    ctx: &Ctx,
    r: ListOrdersRequest,
) -> AppResult<ListOrdersResponse> {
    let mut v = Violations::new();
    let body = if r.body.is_empty() {
        None
    } else {
        let b = parse_top(&r.body, "bodies");
        if b.is_none() {
            v.add("body", "must be bodies/{body}");
        }
        b
    };
    if OrderState::try_from(r.state).is_err() {
        v.add("state", "unknown state");
    }
    let filter_key = format!("{}|{}", r.body, r.state);
    let p = page(&mut v, r.page_size, &r.page_token, &filter_key);
    v.finish()?;
    let listing = Listing {
        under: body,
        scope: body_scope::read_pattern(&ctx.principal),
        state: (r.state != 0).then_some(r.state),
        after: p.after.clone(),
    };
    let orders = store::orders::page(&acc.store.db, &listing, p.size).await?;
    let last = orders.last().map(|o| o.id.clone());
    Ok(ListOrdersResponse {
        next_page_token: next_token(orders.len(), &p, last.as_deref(), &filter_key),
        orders: orders
            .iter()
            .map(|o| convert::order_out(&o.id, &o.order))
            .collect(),
    })
}
