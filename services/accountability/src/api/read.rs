//! Reads: the catalogue and the severity table, one case, its events, and
//! listings by state, subject, body, deadline and origin. A department sees
//! cases about its body, the bodies below it, and their officers.
use probity_common::{
    AppResult, Violations, body_scope,
    db::{Filter, stmt},
    names::{next_token, page, parse_top},
};
use probity_proto::accountability::v1::*;
use sea_orm::ConnectionTrait;

use super::{Ctx, cases::visible};
use crate::{Accountability, cases, catalogue, deadline, records, severity};

pub async fn list_grounds(
    _: &Accountability,
    _: &Ctx,
    _: ListGroundsRequest,
) -> AppResult<ListGroundsResponse> {
    Ok(ListGroundsResponse {
        grounds: catalogue::GROUNDS.iter().map(|g| g.to_proto()).collect(),
    })
}

pub async fn list_severity_rules(
    _: &Accountability,
    _: &Ctx,
    _: ListSeverityRulesRequest,
) -> AppResult<ListSeverityRulesResponse> {
    Ok(ListSeverityRulesResponse {
        rules: severity::RULES.iter().flat_map(|r| r.to_proto()).collect(),
    })
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
    let row = visible(ctx, records::load_case(db, &id).await?, &r.name)?;
    cases::view(acc, db, &row).await
}

pub async fn list_case_events(
    acc: &Accountability,
    ctx: &Ctx,
    r: ListCaseEventsRequest,
) -> AppResult<ListCaseEventsResponse> {
    let mut v = Violations::new();
    let id = case_id(&mut v, &r.name);
    v.finish()?;
    let db = &acc.store.db;
    visible(ctx, records::load_case(db, &id).await?, &r.name)?;
    Ok(ListCaseEventsResponse {
        events: records::events(db, &r.name).await?,
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
    let filter_key = format!(
        "{}|{}|{}|{}|{}",
        f.state, f.subject, f.body, f.deadline, f.origin
    );
    let p = page(&mut v, r.page_size, &r.page_token, &filter_key);
    v.finish()?;

    let mut q = Filter::default();
    if f.state != 0 {
        q.and("state = $?", f.state);
    }
    if !f.subject.is_empty() {
        q.and("subject = $?", f.subject.clone());
    }
    if let Some(b) = body {
        q.and(
            "body_path LIKE $? ESCAPE '\\'",
            format!("%/{}/%", b.replace('_', "\\_")),
        );
    }
    if let Some(pat) = body_scope::read_pattern(&ctx.principal) {
        q.and("body_path LIKE $? ESCAPE '\\'", pat);
    }
    if f.origin != 0 {
        q.and("origin_kind = $?", f.origin);
    }
    if light != DeadlineStatus::Unspecified {
        let now = chrono::Utc::now().timestamp_micros();
        let (sql, vals) = deadline::filter(&acc.settings, light, now, q.next());
        q.and_numbered(sql, vals);
    }
    if let Some(after) = &p.after {
        q.and("id > $?", after.clone());
    }
    let wh = q.clause();
    let values = q.values;
    let db = &acc.store.db;
    let rows = db
        .query_all_raw(stmt(
            db,
            &format!(
                "SELECT {} FROM accountability_cases {wh} ORDER BY id LIMIT {}",
                records::CASE_COLUMNS,
                p.size
            ),
            values,
        ))
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    let mut last = None;
    for row in &rows {
        let c = records::case_row(row)?;
        last = Some(c.id.clone());
        out.push(cases::view(acc, db, &c).await?);
    }
    Ok(ListCasesResponse {
        next_page_token: next_token(out.len(), &p, last.as_deref(), &filter_key),
        cases: out,
    })
}
