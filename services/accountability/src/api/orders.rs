//! Correction orders (Art. 10): the legal-affairs office orders a body to
//! correct an act by a deadline; the body answers CORRECTED (with evidence)
//! or REFUSED. A refusal opens a case on Art. 10 at once, an order left
//! unanswered past its deadline opens one when swept (crate::sweep); once.
use probity_common::{
    AppError, AppResult, Reason, Violations, body_scope,
    db::Filter,
    names::{check_request_id, from_ts, next_token, page, parse_top, to_ts},
};
use probity_proto::accountability::v1::*;
use prost::Message;

use super::{Ctx, checks};
use crate::{
    Accountability, lifecycle,
    store::{self, Event, OrderRow},
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

fn stamped(list: &[Evidence], by: &str, at: chrono::DateTime<chrono::Utc>) -> Vec<Evidence> {
    list.iter()
        .map(|e| Evidence {
            added_by: by.to_string(),
            add_time: Some(to_ts(at)),
            ..e.clone()
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
    let now = chrono::Utc::now();
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
    let id = probity_common::names::new_id();
    let order = CorrectionOrder {
        name: format!("orders/{id}"),
        body: o.body.clone(),
        act: o.act.clone(),
        evidence: stamped(&o.evidence, &ctx.principal.subject, now),
        deadline: o.deadline,
        state: OrderState::Open as i32,
        create_time: Some(to_ts(now)),
        created_by: ctx.principal.subject.clone(),
        body_display_name: who.display_name.clone(),
        ..Default::default()
    };
    let row = OrderRow {
        id,
        body_path: who.body_path.clone(),
        order,
    };
    let deadline_us = deadline.map(|d| d.timestamp_micros()).unwrap_or_default();
    store::insert_order(w.txn(), &row, deadline_us, now.timestamp_micros()).await?;
    store::append(
        &mut w,
        &ctx.principal,
        ctx.method,
        Event {
            entity: &row.order.name,
            action: "ORDER",
            from: OrderState::Unspecified as i32,
            to: OrderState::Open as i32,
            reason: &row.order.act,
            doc: row.order.encode_to_vec(),
        },
    )
    .await?;
    w.commit(row.order).await
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
    let mut row = visible(ctx, store::load_order(w.txn(), &id).await?, &r.name)?;
    // Past its deadline and not yet swept: overdue first (the case opens as
    // the sweep would have opened it), then the late answer is recorded.
    let now_dt = chrono::Utc::now();
    if row.order.state == OrderState::Open as i32
        && row
            .order
            .deadline
            .as_ref()
            .and_then(from_ts)
            .is_some_and(|d| d <= now_dt)
    {
        crate::sweep::overdue(&mut w, &ctx.principal, ctx.method, &id, &mut row).await?;
    }
    let before = row.order.state;
    // An overdue order may still be answered (late): the case it opened stays.
    if before != OrderState::Open as i32 && before != OrderState::Overdue as i32 {
        return Err(AppError::refused(
            Reason::OrderAnswered,
            format!(
                "the order was already answered (current state {})",
                OrderState::try_from(before)
                    .map(|s| s.as_str_name())
                    .unwrap_or("?")
            ),
        ));
    }
    let now = to_ts(chrono::Utc::now());
    let mut evidence = r.evidence.clone();
    for e in &mut evidence {
        e.added_by = ctx.principal.subject.clone();
        e.add_time = Some(now);
    }
    row.order.answer = answer as i32;
    row.order.answer_note = r.note.clone();
    row.order.answer_evidence = evidence;
    row.order.answer_time = Some(now);
    row.order.state = match answer {
        OrderAnswer::Refused => OrderState::Refused as i32,
        _ => OrderState::Corrected as i32,
    };
    if answer == OrderAnswer::Refused && row.order.case.is_empty() {
        let why = "拒不改正 (refused to correct)";
        let (case, _) = lifecycle::from_order(
            &mut w,
            &ctx.principal,
            ctx.method,
            &id,
            &row.order,
            &row.body_path,
            why,
        )
        .await?;
        row.order.case = case.case.name.clone();
    }
    store::save_order(w.txn(), &row).await?;
    store::append(
        &mut w,
        &ctx.principal,
        ctx.method,
        Event {
            entity: &row.order.name,
            action: if answer == OrderAnswer::Refused {
                "REFUSE"
            } else {
                "CORRECT"
            },
            from: before,
            to: row.order.state,
            reason: &r.note,
            doc: row.order.encode_to_vec(),
        },
    )
    .await?;
    w.commit(row.order).await
}

pub async fn get_order(
    acc: &Accountability,
    ctx: &Ctx,
    r: GetOrderRequest,
) -> AppResult<CorrectionOrder> {
    let mut v = Violations::new();
    let id = order_id(&mut v, &r.name);
    v.finish()?;
    Ok(visible(ctx, store::load_order(&acc.store.db, &id).await?, &r.name)?.order)
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
    let mut q = Filter::default();
    if let Some(b) = body {
        q.and(
            "body_path LIKE $? ESCAPE '\\'",
            format!("%/{}/%", b.replace('_', "\\_")),
        );
    }
    if let Some(pat) = body_scope::read_pattern(&ctx.principal) {
        q.and("body_path LIKE $? ESCAPE '\\'", pat);
    }
    if r.state != 0 {
        q.and("state = $?", r.state);
    }
    if let Some(after) = &p.after {
        q.and("id > $?", after.clone());
    }
    let orders = store::orders(&acc.store.db, q, p.size).await?;
    let last = orders.last().map(|o| o.id.clone());
    Ok(ListOrdersResponse {
        next_page_token: next_token(orders.len(), &p, last.as_deref(), &filter_key),
        orders: orders.into_iter().map(|o| o.order).collect(),
    })
}
