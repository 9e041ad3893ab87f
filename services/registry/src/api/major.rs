//! The catalogue of major decisions (重大执法决定法制审核目录): the
//! legal-affairs office sets, per power, which decisions under it are major
//! (Art. 19(16)); intake computes `Decision.major` from the criteria in
//! force, so a department cannot avoid the legal review by not declaring a
//! decision major. Versions are appended like a power's, never changed.
use probity_common::names::{page, page_of};
use std::collections::{BTreeSet, HashMap};

use chrono::Utc;
use probity_common::{
    AppError, AppResult, Reason, Violations,
    names::{check_request_id, nested_field, nested_name},
};
use probity_proto::registry::v1::*;
use sea_orm::ConnectionTrait;
use serde_json::json;

use super::{Ctx, effective, powers::load_power};
use crate::{
    Registry, major, scope,
    store::{self, entities::major_criteria},
};

/// Measures one version may list.
const MAX_MEASURES: usize = 50;
/// Characters of one measure.
const MAX_MEASURE_LEN: usize = 200;

/// What matching ignores: a measure differing only in whitespace is the same.
fn measure_key(m: &str) -> String {
    m.chars().filter(|c| !c.is_whitespace()).collect()
}

fn check_criteria(v: &mut Violations, c: &MajorDecisionCriteria) {
    v.check(
        c.fine_at_least_fen >= 0,
        "criteria.fine_at_least_fen",
        "must not be negative (0: no fine rule)",
    );
    if !v.max_items(c.measures.len(), MAX_MEASURES, "criteria.measures") {
        return;
    }
    let mut seen = BTreeSet::new();
    for (i, m) in c.measures.iter().enumerate() {
        let f = format!("criteria.measures[{i}]");
        v.non_empty(m, &f);
        v.max_len(m, MAX_MEASURE_LEN, &f);
        let key = measure_key(m);
        if !key.is_empty() && !seen.insert(key) {
            v.add(f, "appears twice (whitespace aside)");
        }
    }
}

pub async fn set_major_decision_criteria(
    reg: &Registry,
    ctx: &Ctx,
    r: SetMajorDecisionCriteriaRequest,
) -> AppResult<MajorDecisionCriteriaVersion> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    nested_field(&mut v, &r.power, "powers", "power");
    match &r.criteria {
        None => v.add("criteria", "is required"),
        Some(c) => check_criteria(&mut v, c),
    }
    v.non_empty(&r.reason, "reason");
    v.max_len(&r.reason, 2000, "reason");
    let now = Utc::now();
    let eff = effective(&mut v, r.effective_time.as_ref(), now);
    v.finish()?;
    let c = r.criteria.clone().unwrap_or_default();
    let measures: Vec<String> = c.measures.iter().map(|m| m.trim().to_string()).collect();

    let mut w = begin_write!(reg, ctx, &r.request_id, &r);
    let pm = load_power(w.txn(), &r.power, "power").await?;
    scope::ensure(w.txn(), &ctx.principal, &pm.body_id).await?;
    if pm.state == PowerState::Withdrawn as i32 {
        return Err(AppError::refused(
            Reason::PowerWithdrawn,
            format!("power {} was withdrawn", pm.code),
        ));
    }
    let history = store::major::versions(w.txn(), &pm.id).await?;
    let last = history.last();
    if last.is_some_and(|l| eff < l.effective_us) {
        return Err(AppError::refused(
            Reason::HistoryOutOfOrder,
            "effective_time is before the power's latest criteria took effect",
        ));
    }
    let row = major_criteria::Model {
        power_id: pm.id.clone(),
        version: last.map_or(1, |l| l.version + 1),
        always: c.always,
        fine_at_least_fen: c.fine_at_least_fen,
        measures: serde_json::to_string(&measures)
            .map_err(|e| AppError::internal(e.to_string()))?,
        reason: r.reason.trim().to_string(),
        actor: ctx.principal.subject.clone(),
        effective_us: eff,
        recorded_us: now.timestamp_micros(),
    };
    if last.is_some_and(|l| {
        (l.always, l.fine_at_least_fen, &l.measures)
            == (row.always, row.fine_at_least_fen, &row.measures)
    }) {
        return Err(AppError::refused(
            Reason::NoChange,
            "the criteria are identical to the power's latest ones",
        ));
    }
    store::major::insert(w.txn(), &row).await?;
    let name = nested_name(&pm.body_id, "powers", &pm.id);
    w.audit(
        &name,
        json!({"op": "set_major_decision_criteria", "version": row.version,
               "always": row.always, "fine_at_least_fen": row.fine_at_least_fen,
               "measures": measures, "reason": row.reason,
               "effective_us": row.effective_us}),
    )
    .await?;
    let out = major::version(&row, name);
    w.commit(out).await
}

pub async fn list_major_decision_criteria(
    reg: &Registry,
    ctx: &Ctx,
    r: ListMajorDecisionCriteriaRequest,
) -> AppResult<ListMajorDecisionCriteriaResponse> {
    let mut v = Violations::new();
    let key = format!("ListMajorDecisionCriteria\n{}", r.power);
    let p = page(&mut v, r.page_size, &r.page_token, &key);
    v.finish()?;
    let db = &reg.store.db;
    let pm = load_power(db, &r.power, "power").await?;
    scope::ensure(db, &ctx.principal, &pm.body_id).await?;
    let name = nested_name(&pm.body_id, "powers", &pm.id);
    let (rows, next_page_token) =
        page_of(store::major::versions(db, &pm.id).await?, &p, &key, |m| {
            format!("{:010}", m.version)
        });
    Ok(ListMajorDecisionCriteriaResponse {
        next_page_token,
        versions: rows
            .iter()
            .map(|m| major::version(m, name.clone()))
            .collect(),
    })
}

/// The criteria in force now for each of `power_ids` that has any.
pub(crate) async fn in_force_now<C: ConnectionTrait>(
    db: &C,
    power_ids: &[&str],
) -> AppResult<HashMap<String, MajorDecisionCriteria>> {
    if power_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = store::major::versions_of(db, power_ids).await?;
    let mut by_power: HashMap<String, Vec<major_criteria::Model>> = HashMap::new();
    for row in rows {
        by_power.entry(row.power_id.clone()).or_default().push(row);
    }
    let now = Utc::now().timestamp_micros();
    Ok(by_power
        .into_iter()
        .filter_map(|(id, rows)| major::criteria_at(&rows, now).map(|m| (id, major::criteria(m))))
        .collect())
}

/// Fills each power's `major_criteria` with those in force now.
pub(crate) async fn with_criteria<C: ConnectionTrait>(
    db: &C,
    mut powers: Vec<Power>,
) -> AppResult<Vec<Power>> {
    let ids: Vec<String> = powers
        .iter()
        .map(|p| p.name.rsplit('/').next().unwrap_or_default().to_string())
        .collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut now = in_force_now(db, &refs).await?;
    for (p, id) in powers.iter_mut().zip(&ids) {
        p.major_criteria = now.remove(id);
    }
    Ok(powers)
}
