//! The annual plan (抽查计划) of a unit for a power: the ratio drawn per
//! risk class, officers per target, the share of routine inspections that
//! must be drawn and the most inspections a target may receive in a year
//! without a cause. Each change is the next revision; once a draw has used
//! the plan only the legal-affairs office revises it, so a unit cannot
//! loosen the plan its draws and inspections are measured by.
use probity_common::{
    AppError, AppResult, Reason, Violations,
    names::{check_request_id, nested_field, parse_nested, required, to_ts},
};
use probity_proto::draws::v1::*;
use serde_json::json;

use super::{Ctx, own_unit};
use crate::Draws;

pub(crate) fn plan_name(unit: &str, year: i32, power_id: &str) -> String {
    format!("bodies/{unit}/drawPlans/{year}-{power_id}")
}

/// `bodies/{b}/drawPlans/{year}-{power}` -> (unit, year, power name).
fn parse_plan_name(name: &str) -> Option<(String, i32, String)> {
    let (unit, id) = parse_nested(name, "drawPlans")?;
    let (year, power) = id.split_once('-')?;
    let year: i32 = year.parse().ok()?;
    (!power.is_empty()).then(|| {
        let power = format!("bodies/{unit}/powers/{power}");
        (unit, year, power)
    })
}

/// The library's parameters of a plan.
pub(crate) fn parameters(p: &DrawPlan) -> crate::Parameters {
    let u = |x: i32| u32::try_from(x).unwrap_or(u32::MAX);
    crate::Parameters {
        ratio_a: u(p.ratio_a),
        ratio_b: u(p.ratio_b),
        ratio_c: u(p.ratio_c),
        ratio_d: u(p.ratio_d),
        ratio_unclassified: u(p.ratio_unclassified),
        inspectors_per_target: u(p.inspectors_per_target),
    }
}

/// (unit id, power id) from `bodies/{unit}/powers/{power}`, the power of the
/// unit itself; a violation against `field` otherwise.
pub(crate) fn unit_power(
    v: &mut Violations,
    unit_name: &str,
    power: &str,
    unit_field: &str,
    power_field: &str,
) -> (String, String) {
    let unit = probity_common::names::top_field(v, unit_name, "bodies", unit_field);
    let (owner, power_id) = nested_field(v, power, "powers", power_field);
    if !unit.is_empty() && !owner.is_empty() && owner != unit {
        v.add(power_field, "a power of the unit itself");
    }
    (unit, power_id)
}

fn check(r: &SetDrawPlanRequest) -> AppResult<(String, String)> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    let Some(p) = required(&mut v, r.draw_plan.as_ref(), "draw_plan") else {
        return Err(v.into_error());
    };
    let f = |n: &str| format!("draw_plan.{n}");
    let (unit, power) = unit_power(&mut v, &p.unit, &p.power, &f("unit"), &f("power"));
    v.check(
        (2000..=2100).contains(&p.year),
        f("year"),
        "a year 2000-2100",
    );
    for (name, x) in [
        ("ratio_a", p.ratio_a),
        ("ratio_b", p.ratio_b),
        ("ratio_c", p.ratio_c),
        ("ratio_d", p.ratio_d),
        ("ratio_unclassified", p.ratio_unclassified),
        ("drawn_share", p.drawn_share),
    ] {
        v.check(
            (0..=10_000).contains(&x),
            f(name),
            "basis points, 0 to 10000",
        );
    }
    v.check(
        (2..=10).contains(&p.inspectors_per_target),
        f("inspectors_per_target"),
        "2 to 10 (Art. 9(4): never fewer than two)",
    );
    v.check(
        p.max_inspections_per_target >= 1,
        f("max_inspections_per_target"),
        "at least 1",
    );
    v.non_empty(&p.public_value_source, &f("public_value_source"));
    v.max_len(&p.public_value_source, 500, &f("public_value_source"));
    v.max_len(&r.correction_reason, 2000, "correction_reason");
    v.finish()?;
    Ok((unit, power))
}

/// Whether two plans say the same (what a new revision would change).
fn same(a: &DrawPlan, b: &DrawPlan) -> bool {
    (
        a.ratio_a,
        a.ratio_b,
        a.ratio_c,
        a.ratio_d,
        a.ratio_unclassified,
        a.inspectors_per_target,
        a.drawn_share,
        a.max_inspections_per_target,
        a.public_value_source.trim(),
    ) == (
        b.ratio_a,
        b.ratio_b,
        b.ratio_c,
        b.ratio_d,
        b.ratio_unclassified,
        b.inspectors_per_target,
        b.drawn_share,
        b.max_inspections_per_target,
        b.public_value_source.trim(),
    )
}

pub async fn set(draws: &Draws, ctx: &Ctx, r: SetDrawPlanRequest) -> AppResult<DrawPlan> {
    let (unit, power_id) = check(&r)?;
    own_unit(&ctx.principal, &unit)?;
    let p = r.draw_plan.clone().unwrap_or_default();
    let mut w = draws
        .store
        .write(&ctx.principal, ctx.method, &r.request_id, &r)
        .await?;
    if let Some(done) = w.replayed::<DrawPlan>()? {
        return Ok(done);
    }
    let now = chrono::Utc::now();
    let mut out = DrawPlan {
        name: plan_name(&unit, p.year, &power_id),
        revision: 1,
        create_time: Some(to_ts(now)),
        recorder: ctx.principal.subject.clone(),
        correction_reason: String::new(),
        public_value_source: p.public_value_source.trim().to_string(),
        ..p.clone()
    };
    let reason = r.correction_reason.trim();
    match crate::store::plan(w.txn(), &unit, &p.power, p.year).await? {
        Some(cur) if same(&cur, &out) => return Ok(cur),
        Some(cur) if reason.is_empty() => {
            return Err(AppError::refused(
                Reason::DrawPlanConflict,
                format!(
                    "{} already holds revision {} reading otherwise: send a correction_reason to record revision {}",
                    out.name,
                    cur.revision,
                    cur.revision + 1
                ),
            ));
        }
        Some(cur) => {
            let used = !crate::store::draws_in(
                w.txn(),
                &unit,
                &p.power,
                &[
                    DrawState::Committed as i32,
                    DrawState::PublicValueRecorded as i32,
                    DrawState::Drawn as i32,
                    DrawState::Abandoned as i32,
                ],
            )
            .await?
            .into_iter()
            .filter(|d| d.year == p.year)
            .collect::<Vec<_>>()
            .is_empty();
            if used && ctx.principal.department_body().is_some() {
                return Err(AppError::refused(
                    Reason::DrawPlanInUse,
                    format!(
                        "{} was used by a draw: the legal-affairs office revises it",
                        out.name
                    ),
                ));
            }
            out.revision = cur.revision + 1;
            out.correction_reason = reason.to_string();
        }
        None if !reason.is_empty() => {
            return Err(AppError::invalid(
                "correction_reason",
                "nothing to correct: the plan has no revision yet",
            ));
        }
        None => {}
    }
    crate::store::insert_plan(w.txn(), &unit, &p.power, &out, now.timestamp_micros()).await?;
    w.audit(
        &out.name,
        json!({
            "op": "set_draw_plan", "revision": out.revision,
            "ratio_a": out.ratio_a, "ratio_b": out.ratio_b, "ratio_c": out.ratio_c,
            "ratio_d": out.ratio_d, "ratio_unclassified": out.ratio_unclassified,
            "inspectors_per_target": out.inspectors_per_target,
            "drawn_share": out.drawn_share,
            "max_inspections_per_target": out.max_inspections_per_target,
            "public_value_source": out.public_value_source,
            "correction_reason": out.correction_reason,
        }),
    )
    .await?;
    w.commit(out).await
}

pub async fn get(draws: &Draws, ctx: &Ctx, r: GetDrawPlanRequest) -> AppResult<DrawPlan> {
    let mut v = Violations::new();
    let parsed = parse_plan_name(&r.name);
    if parsed.is_none() {
        v.add("name", "bodies/{body}/drawPlans/{year}-{power id}");
    }
    v.check(r.revision >= 0, "revision", "0 (current) or a revision");
    v.finish()?;
    let (unit, year, power) = parsed.unwrap_or_default();
    own_unit(&ctx.principal, &unit)?;
    crate::store::plan_revision(&draws.store.db, &unit, &power, year, r.revision)
        .await?
        .ok_or_else(|| AppError::not_found(r.name.clone()))
}

/// Every plan of a year, its current revision: the rankings job holds each
/// unit's drawn share to them (Art. 19(7)). A department sees its own.
pub async fn list(
    draws: &Draws,
    ctx: &Ctx,
    r: ListDrawPlansRequest,
) -> AppResult<ListDrawPlansResponse> {
    let mut v = Violations::new();
    v.check((2000..=2100).contains(&r.year), "year", "a year 2000-2100");
    let key = format!("drawPlans/{}", r.year);
    let p = probity_common::names::page(&mut v, r.page_size, &r.page_token, &key);
    v.finish()?;
    let after = p
        .after
        .as_deref()
        .and_then(|a| a.split_once('\u{1}'))
        .map(|(u, pw)| (u.to_string(), pw.to_string()));
    let unit = ctx.principal.department_body();
    let rows = crate::store::plans_of_year(&draws.store.db, r.year, unit, after, p.size).await?;
    let last = rows.last().map(|(u, pw, _)| format!("{u}\u{1}{pw}"));
    let next_page_token = probity_common::names::next_token(rows.len(), &p, last.as_deref(), &key);
    Ok(ListDrawPlansResponse {
        draw_plans: rows.into_iter().map(|(_, _, d)| d).collect(),
        next_page_token,
    })
}
