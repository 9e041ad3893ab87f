//! Commendations (Art. 6: 表彰): outstanding units and officers of a year's
//! assessment, recorded from the rankings once per year and subject, and
//! listed per year for everyone who reads (they are published).
use probity_common::{
    AppError, AppResult, Reason, Violations,
    names::{check_request_id, next_token, page, parse_top},
};
use probity_proto::accountability::v1::*;

use super::{Ctx, convert};
use crate::{Accountability, eligibility, store};

pub async fn record_commendation(
    acc: &Accountability,
    ctx: &Ctx,
    r: RecordCommendationRequest,
) -> AppResult<RecordCommendationResponse> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    let c = r.commendation.clone().unwrap_or_default();
    v.check(
        (2000..=2100).contains(&c.year),
        "commendation.year",
        "must be a year 2000-2100",
    );
    if parse_top(&c.subject, "bodies").is_none() && parse_top(&c.subject, "officers").is_none() {
        v.add(
            "commendation.subject",
            "must be bodies/{body} or officers/{officer}",
        );
    }
    v.non_empty(&c.run, "commendation.run");
    v.max_len(&c.run, 128, "commendation.run");
    v.max_len(&c.peer_group, 200, "commendation.peer_group");
    v.max_len(&c.note, 2000, "commendation.note");
    v.check(
        c.score.is_finite(),
        "commendation.score",
        "must be a finite number",
    );
    v.check(c.rank >= 0, "commendation.rank", "must not be negative");
    v.finish()?;
    super::replay_first!(acc, ctx, r);
    let who = acc
        .peers
        .resolve(&c.subject, "commendation.subject")
        .await?;
    let mut w = acc
        .store
        .write(&ctx.principal, ctx.method, &r.request_id, &r)
        .await?;
    if let Some(done) = w.replayed::<RecordCommendationResponse>()? {
        return Ok(done);
    }
    let existing = store::commendations::of_subject(w.txn(), c.year, &c.subject).await?;
    if let Some((id, existing)) = existing {
        return Ok(RecordCommendationResponse {
            commendation: Some(convert::commendation_out(&id, &existing)),
            created: false,
        });
    }
    if let Some(case) = eligibility::lost_by(w.txn(), &c.subject, c.year).await? {
        return Err(AppError::refused(
            Reason::AwardEligibilityLost,
            format!(
                "{case} took away {}'s eligibility for the year's awards (取消年度评选先进资格, Art. 19, 20)",
                c.subject
            ),
        ));
    }
    let id = probity_common::names::new_id();
    let now = chrono::Utc::now();
    let record = store::rows::CommendationRecord {
        subject_kind: who.kind,
        create_time: Some(now),
        body: who.body.clone(),
        ..convert::commendation_in(&c)
    };
    let path = &who.body_path;
    let stored =
        store::commendations::insert(w.txn(), &id, path, now.timestamp_micros(), &record).await?;
    let out = convert::commendation_out(&id, &record);
    let kind = crate::notices::NoticeKind::Commendation;
    store::notices::queue(
        w.txn(),
        &out.name,
        kind,
        &out.subject,
        path,
        now.timestamp_micros(),
    )
    .await?;
    w.audit(
        &out.name,
        serde_json::json!({"op": "record_commendation", "year": out.year, "subject": out.subject, "run": out.run,
            "record_sha256": probity_common::audit::sha256_hex(stored.as_bytes())}),
    )
    .await?;
    let done = w
        .commit(RecordCommendationResponse {
            commendation: Some(out),
            created: true,
        })
        .await?;
    // After commit: the dispatcher must see the queued notice.
    acc.notices_wake.notify_one();
    Ok(done)
}

pub async fn list_commendations(
    acc: &Accountability,
    _: &Ctx,
    r: ListCommendationsRequest,
) -> AppResult<ListCommendationsResponse> {
    let mut v = Violations::new();
    v.check(
        (2000..=2100).contains(&r.year),
        "year",
        "must be a year 2000-2100",
    );
    if SubjectKind::try_from(r.subject_kind).is_err() {
        v.add("subject_kind", "unknown kind");
    }
    let filter_key = format!("{}|{}", r.year, r.subject_kind);
    let p = page(&mut v, r.page_size, &r.page_token, &filter_key);
    v.finish()?;
    let rows = store::commendations::page(&acc.store.db, r.year, r.subject_kind, &p).await?;
    let last = rows.last().map(|(id, _)| id.clone());
    let out: Vec<Commendation> = rows
        .iter()
        .map(|(id, c)| convert::commendation_out(id, c))
        .collect();
    Ok(ListCommendationsResponse {
        next_page_token: next_token(out.len(), &p, last.as_deref(), &filter_key),
        commendations: out,
    })
}
