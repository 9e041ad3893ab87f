//! The unit's target list (检查对象名录库): uploaded whole, each upload the
//! next revision, every revision kept; a draw freezes the current one.
//! Codes are checked (GB 32100) and listed once each.
use probity_common::{
    AppError, AppResult, Violations,
    names::{check_request_id, to_ts},
};
use probity_proto::draws::v1::*;
use serde_json::json;

use super::{Ctx, own_unit, risk_of};
use crate::{Draws, lists};

/// `bodies/{body}/targetList` -> the body's id.
pub(crate) fn parse_list_name(name: &str) -> Option<String> {
    let body = name.strip_prefix("bodies/")?.strip_suffix("/targetList")?;
    probity_common::names::parse_top(&format!("bodies/{body}"), "bodies")
}

pub(crate) fn list_name(unit: &str) -> String {
    format!("bodies/{unit}/targetList")
}

/// The library's targets of an API list.
pub(crate) fn targets_of(l: &TargetList) -> Vec<lists::Target> {
    l.targets
        .iter()
        .map(|t| lists::Target {
            code: t.code.clone(),
            risk: risk_of(t.risk),
        })
        .collect()
}

pub async fn update(draws: &Draws, ctx: &Ctx, r: UpdateTargetListRequest) -> AppResult<TargetList> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    let Some(l) = probity_common::names::required(&mut v, r.target_list.as_ref(), "target_list")
    else {
        return Err(v.into_error());
    };
    let unit = parse_list_name(&l.name);
    if unit.is_none() {
        v.add("target_list.name", "bodies/{body}/targetList");
    }
    let max = draws.settings.max_targets as usize;
    if v.max_items(l.targets.len(), max, "target_list.targets") {
        let mut seen = std::collections::HashSet::new();
        for (i, t) in l.targets.iter().enumerate() {
            let field = format!("target_list.targets[{i}]");
            if !lists::code_ok(&t.code) {
                v.add(
                    format!("{field}.code"),
                    "a unified social credit code (GB 32100)",
                );
            } else if !seen.insert(t.code.as_str()) {
                v.add(format!("{field}.code"), "listed twice");
            }
            if RiskClass::try_from(t.risk).is_err() {
                v.add(format!("{field}.risk"), "A, B, C, D or unspecified");
            }
        }
    }
    v.finish()?;
    let unit = unit.unwrap_or_default();
    own_unit(&ctx.principal, &unit)?;
    if let Some(done) = draws
        .store
        .replay(&ctx.principal, ctx.method, &r.request_id, &r)
        .await?
    {
        return Ok(done);
    }
    if ctx.principal.department_body().is_none()
        && !draws.peers.body_exists(&format!("bodies/{unit}")).await?
    {
        return Err(AppError::invalid(
            "target_list.name",
            "no such body in the registry",
        ));
    }
    let mut w = draws
        .store
        .write(&ctx.principal, ctx.method, &r.request_id, &r)
        .await?;
    if let Some(done) = w.replayed::<TargetList>()? {
        return Ok(done);
    }
    let current = crate::store::target_list(w.txn(), &unit, 0).await?;
    let now = chrono::Utc::now();
    let mut out = TargetList {
        name: list_name(&unit),
        revision: current.map_or(1, |c| c.revision + 1),
        targets: l.targets.clone(),
        digest: String::new(),
        create_time: Some(to_ts(now)),
        uploader: ctx.principal.subject.clone(),
    };
    out.digest = hex::encode(lists::sha256(&lists::targets_encoding(&targets_of(&out))));
    crate::store::insert_target_list(w.txn(), &unit, &out, now.timestamp_micros()).await?;
    w.audit(
        &out.name,
        json!({
            "op": "update_target_list", "revision": out.revision,
            "targets": out.targets.len(), "digest": out.digest,
        }),
    )
    .await?;
    w.commit(out).await
}

pub async fn get(draws: &Draws, ctx: &Ctx, r: GetTargetListRequest) -> AppResult<TargetList> {
    let mut v = Violations::new();
    let unit = parse_list_name(&r.name);
    if unit.is_none() {
        v.add("name", "bodies/{body}/targetList");
    }
    v.check(r.revision >= 0, "revision", "0 (current) or a revision");
    v.finish()?;
    let unit = unit.unwrap_or_default();
    own_unit(&ctx.principal, &unit)?;
    crate::store::target_list(&draws.store.db, &unit, r.revision)
        .await?
        .ok_or_else(|| AppError::not_found(r.name.clone()))
}
