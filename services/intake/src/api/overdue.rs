//! Open matters against their statutory time limits (YELLOW nearing, RED
//! past), read with department scope, and the finding catalogue with its
//! citations.
use probity_common::{
    AppResult, Violations, body_scope,
    names::{enum_field, next_token, page, page_of, top_field, ts_us, us_ts},
};
use probity_proto::intake::v1::*;

use super::Ctx;
use crate::{
    Intake, inaction,
    store::{self, overdue::Scan},
};

pub async fn list_overdue_matters(
    intake: &Intake,
    ctx: &Ctx,
    r: ListOverdueMattersRequest,
) -> AppResult<ListOverdueMattersResponse> {
    let mut v = Violations::new();
    let body = if r.body.is_empty() {
        None
    } else {
        Some(top_field(&mut v, &r.body, "bodies", "body"))
    };
    let want = enum_field::<DeadlineLight>(&mut v, r.light, "light", true);
    let key = format!("ListOverdueMatters\n{}\n{}", r.body, r.light);
    let pg = page(&mut v, r.page_size, &r.page_token, &key);
    let mut after = 0;
    if let Some(a) = &pg.after {
        match a.parse::<i64>() {
            Ok(id) => after = id,
            Err(_) => v.add("page_token", "is not a token this listing issued"),
        }
    }
    v.finish()?;
    let lights: &[DeadlineLight] = match want {
        Some(DeadlineLight::Unspecified) | None => &[DeadlineLight::Yellow, DeadlineLight::Red],
        Some(DeadlineLight::Green) => &[DeadlineLight::Green],
        Some(DeadlineLight::Yellow) => &[DeadlineLight::Yellow],
        Some(DeadlineLight::Red) => &[DeadlineLight::Red],
    };
    let now = chrono::Utc::now().timestamp_micros();
    let db = &intake.store.db;
    let mut out = Vec::new();
    'scan: loop {
        let scan = Scan {
            after,
            limit: inaction::CHUNK,
            body: body.as_deref(),
            scope: body_scope::read_pattern(&ctx.principal),
            ..Default::default()
        };
        let chunk = store::overdue::open_matters(db, &scan).await?;
        if chunk.is_empty() {
            break;
        }
        for m in chunk {
            after = m.id;
            let Some(matter) = m.matter() else { continue };
            let Some(due) = matter.overdue_time.as_ref().map(ts_us) else {
                continue;
            };
            let light = inaction::light(due, now, intake.inaction_warn_days);
            if !lights.contains(&light) {
                continue;
            }
            let days = if light == DeadlineLight::Red {
                probity_rules::time_limit::days_late(now, due)
            } else {
                0
            };
            out.push(OpenMatter {
                fact: store::fact_name(m.id),
                body: probity_common::names::body_name(&m.body),
                source_id: m.source_id.clone(),
                power: matter.power.clone(),
                officers: matter.officers.clone(),
                accept_time: us_ts(m.accepted_us),
                time_limit_days: matter.time_limit_days,
                overdue_time: matter.overdue_time,
                light: light as i32,
                days_overdue: days.clamp(0, i32::MAX as i64) as i32,
                findings: Vec::new(),
            });
            if out.len() as u64 >= pg.size {
                break 'scan;
            }
        }
    }
    let ids: Vec<i64> = out.iter().filter_map(|m| store::fact_id(&m.fact)).collect();
    let mut found = store::overdue::findings_of(db, &ids).await?;
    for m in &mut out {
        if let Some(id) = store::fact_id(&m.fact) {
            m.findings = found.remove(&id).unwrap_or_default();
        }
    }
    let last = out.last().and_then(|m| store::fact_id(&m.fact));
    let next_page_token = next_token(
        out.len(),
        &pg,
        last.map(|id| id.to_string()).as_deref(),
        &key,
    );
    Ok(ListOverdueMattersResponse {
        matters: out,
        next_page_token,
    })
}

pub async fn list_finding_rules(
    _intake: &Intake,
    _ctx: &Ctx,
    r: ListFindingRulesRequest,
) -> AppResult<ListFindingRulesResponse> {
    let mut v = Violations::new();
    let key = "ListFindingRules";
    let pg = page(&mut v, r.page_size, &r.page_token, key);
    v.finish()?;
    let all: Vec<FindingRule> = probity_rules::catalogue::ALL
        .iter()
        .map(|r| FindingRule {
            code: r.code.into(),
            article: r.article.into(),
            law: r.law.into(),
            title_zh: r.zh.into(),
            title_en: r.en.into(),
        })
        .collect();
    let (rules, next_page_token) = page_of(all, &pg, key, |x| x.code.clone());
    Ok(ListFindingRulesResponse {
        rules,
        next_page_token,
    })
}
