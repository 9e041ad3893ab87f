//! Art. 22 referrals: read one, list them (a department sees those about
//! its body and its officers), and the office's record of the receiving
//! organ's receipt and answer. None is written by a caller: executing a
//! decision with a REFERRAL sanction makes them (`crate::referrals`).
use chrono::Utc;
use probity_common::{
    AppError, AppResult, Reason, Violations, body_scope,
    names::{check_request_id, from_ts, next_token, page, parse_top},
};
use probity_proto::accountability::v1::*;

use super::{Ctx, checks, convert};
use crate::{
    Accountability, referrals,
    store::{self, ReferralRow, rows::ReferralState},
};

fn referral_id(v: &mut Violations, name: &str) -> String {
    parse_top(name, "referrals").unwrap_or_else(|| {
        v.add("name", "must be a resource name referrals/{referral}");
        String::new()
    })
}

fn visible(ctx: &Ctx, row: Option<ReferralRow>, name: &str) -> AppResult<ReferralRow> {
    let row = row.ok_or_else(|| AppError::not_found(name))?;
    body_scope::check(&ctx.principal, &row.body_path).map_err(|_| AppError::not_found(name))?;
    Ok(row)
}

fn out(acc: &Accountability, row: &ReferralRow) -> Referral {
    let light = referrals::light(&acc.settings, &row.referral, Utc::now());
    convert::referral_out(&row.id, &row.referral, light)
}

pub async fn get_referral(
    acc: &Accountability,
    ctx: &Ctx,
    r: GetReferralRequest,
) -> AppResult<Referral> {
    let mut v = Violations::new();
    let id = referral_id(&mut v, &r.name);
    v.finish()?;
    let row = visible(
        ctx,
        store::referrals::load(&acc.store.db, &id).await?,
        &r.name,
    )?;
    Ok(out(acc, &row))
}

pub async fn list_referrals(
    acc: &Accountability,
    ctx: &Ctx,
    r: ListReferralsRequest,
) -> AppResult<ListReferralsResponse> {
    let mut v = Violations::new();
    let case_id = parse_top(&r.case, "cases");
    v.check(
        r.case.is_empty() || case_id.is_some(),
        "case",
        "must be cases/{case}",
    );
    v.check(
        probity_proto::accountability::v1::ReferralState::try_from(r.state).is_ok(),
        "state",
        "unknown state",
    );
    let filter_key = format!("referrals|{}|{}", r.case, r.state);
    let p = page(&mut v, r.page_size, &r.page_token, &filter_key);
    v.finish()?;
    let listing = store::referrals::Listing {
        case_id,
        state: (r.state != 0).then_some(r.state),
        scope: body_scope::read_pattern(&ctx.principal),
        after: p.after.clone(),
    };
    let rows = store::referrals::page(&acc.store.db, &listing, p.size).await?;
    let last = rows.last().map(|r| r.id.clone());
    Ok(ListReferralsResponse {
        next_page_token: next_token(rows.len(), &p, last.as_deref(), &filter_key),
        referrals: rows.iter().map(|row| out(acc, row)).collect(),
    })
}

/// A time the office records: given, not in the future, not before the
/// referral was sent (checked once the referral is read).
fn recorded_time(
    v: &mut Violations,
    t: &Option<prost_types::Timestamp>,
    field: &str,
) -> Option<chrono::DateTime<Utc>> {
    let t = t.as_ref().and_then(from_ts);
    match t {
        None => v.add(field, "required: when the organ did it"),
        Some(t) if t > Utc::now() + chrono::Duration::minutes(5) => {
            v.add(field, "must not be in the future")
        }
        _ => {}
    }
    t
}

fn not_before_sent(row: &ReferralRow, t: chrono::DateTime<Utc>, field: &str) -> AppResult<()> {
    match row.referral.send_time {
        Some(sent) if t < sent => Err(AppError::invalid(
            field,
            "must not be before the referral was sent",
        )),
        _ => Ok(()),
    }
}

/// The office's record of what the receiving organ did, at `at`: replayed
/// for a retried request, refused before the referral was sent, saved with
/// its event in the same write. `step` checks the referral's state, changes
/// it and names the event (action, reason) for its history.
async fn record_step(
    acc: &Accountability,
    ctx: &Ctx,
    (request_id, request): (&str, &impl prost::Message),
    (id, name): (&str, &str),
    (at, field): (chrono::DateTime<Utc>, &str),
    step: impl FnOnce(&mut ReferralRow) -> AppResult<(&'static str, &'static str)> + Send,
) -> AppResult<Referral> {
    let mut w = acc
        .store
        .write(&ctx.principal, ctx.method, request_id, request)
        .await?;
    if let Some(done) = w.replayed::<Referral>()? {
        return Ok(done);
    }
    let mut row = visible(ctx, store::referrals::load(w.txn(), id).await?, name)?;
    not_before_sent(&row, at, field)?;
    let before = row.referral.state;
    let (action, reason) = step(&mut row)?;
    store::referrals::save(w.txn(), &row).await?;
    referrals::event(
        &mut w,
        (&ctx.principal, ctx.method),
        &row,
        (action, before, reason),
    )
    .await?;
    w.commit(out(acc, &row)).await
}

pub async fn record_referral_receipt(
    acc: &Accountability,
    ctx: &Ctx,
    r: RecordReferralReceiptRequest,
) -> AppResult<Referral> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    let id = referral_id(&mut v, &r.name);
    let at = recorded_time(&mut v, &r.receive_time, "receive_time");
    v.non_empty(&r.receipt_reference, "receipt_reference");
    v.max_len(&r.receipt_reference, 200, "receipt_reference");
    v.finish()?;
    let at = at.expect("checked");
    let reference = r.receipt_reference.clone();
    let step = move |row: &mut ReferralRow| {
        let before = row.referral.state;
        if !matches!(before, ReferralState::Sent | ReferralState::Overdue) {
            return Err(AppError::refused(
                Reason::IllegalTransition,
                format!(
                    "the referral is {} (a receipt is recorded on a SENT or OVERDUE one)",
                    before.api_name()
                ),
            ));
        }
        row.referral.receive_time = Some(at);
        row.referral.receipt_reference = reference;
        // An overdue referral stays overdue until answered: receipt is no answer.
        if before == ReferralState::Sent {
            row.referral.state = ReferralState::Received;
        }
        Ok(("RECEIVE", "接收 the organ's receipt recorded"))
    };
    let at_field = (at, "receive_time");
    record_step(
        acc,
        ctx,
        (&r.request_id, &r),
        (&id, &r.name),
        at_field,
        step,
    )
    .await
}

pub async fn record_referral_answer(
    acc: &Accountability,
    ctx: &Ctx,
    r: RecordReferralAnswerRequest,
) -> AppResult<Referral> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    let id = referral_id(&mut v, &r.name);
    let at = recorded_time(&mut v, &r.answer_time, "answer_time");
    checks::reason(&mut v, &r.answer, "answer");
    match &r.answer_document {
        None => v.add("answer_document", "required: the answer's document"),
        Some(d) => {
            checks::evidence(&mut v, std::slice::from_ref(d), "answer_document");
            v.check(
                d.kind == EvidenceKind::Document as i32,
                "answer_document.kind",
                "must be DOCUMENT",
            );
        }
    }
    v.finish()?;
    let at = at.expect("checked");
    let answer = r.answer.clone();
    let document = r.answer_document.as_ref().map(|d| store::rows::Evidence {
        added_by: ctx.principal.subject.clone(),
        add_time: Some(Utc::now()),
        ..convert::evidence_in(d)
    });
    let step = move |row: &mut ReferralRow| {
        if row.referral.state == ReferralState::Answered {
            return Err(AppError::refused(
                Reason::IllegalTransition,
                "the referral is REFERRAL_STATE_ANSWERED: its answer is recorded once",
            ));
        }
        row.referral.state = ReferralState::Answered;
        row.referral.answer_time = Some(at);
        row.referral.answer = answer;
        row.referral.answer_document = document;
        Ok(("ANSWER", "答复 the organ's answer recorded"))
    };
    let at_field = (at, "answer_time");
    record_step(
        acc,
        ctx,
        (&r.request_id, &r),
        (&id, &r.name),
        at_field,
        step,
    )
    .await
}
