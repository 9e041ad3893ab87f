//! The draw, step by step, each once and in order:
//!
//! 1. CreateDraw (the unit): the seed's hash, the conflicts it declares (at
//!    most draws.max_conflicts, fixed now, before anyone knows the public
//!    value), and the lists frozen at once: the current target list, the
//!    inspector pool computed from the registry, the previous pairs from
//!    this service's own last draw of the unit and power (never the unit's
//!    word). Refused while another draw of the unit and power is open, so a
//!    unit cannot keep several commitments and reveal the one it likes.
//! 2. RecordPublicValue (the legal-affairs office, never whoever committed).
//! 3. RevealDraw: a seed that does not hash to the commitment is refused;
//!    the result is computed here, with the library, and stored.
//! 4. AbandonDraw: the unit only before the public value is known (after
//!    it, the unit knows the outcome and would abandon the ones it dislikes);
//!    the office at any time before the reveal. An abandoned draw stays public.
use std::collections::HashSet;

use chrono::{Duration, Utc};
use probity_common::{
    AppError, AppResult, Reason, Violations,
    names::{check_request_id, from_ts, new_id, parse_top, required, to_ts},
};
use probity_proto::draws::v1::*;
use serde_json::json;

use super::{Ctx, lists::targets_of, own_unit, plans};
use crate::{DrawRecord, Draws, lists, record::FORMAT};

const COLLECTION: &str = "draws";

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The record as published, from the draw's stored record_json.
fn record_of(d: &Draw) -> AppResult<DrawRecord> {
    serde_json::from_str(&d.record_json).map_err(AppError::internal)
}

fn check_create(draws: &Draws, r: &CreateDrawRequest) -> AppResult<(String, String)> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    let Some(d) = required(&mut v, r.draw.as_ref(), "draw") else {
        return Err(v.into_error());
    };
    let (unit, power) = plans::unit_power(&mut v, &d.unit, &d.power, "draw.unit", "draw.power");
    v.check(
        (2000..=2100).contains(&d.year),
        "draw.year",
        "a year 2000-2100",
    );
    v.check(
        is_hex64(&d.commitment),
        "draw.commitment",
        "lowercase hex SHA-256 of the seed (64 characters)",
    );
    let max = draws.settings.max_conflicts as usize;
    if v.max_items(d.conflicts.len(), max, "draw.conflicts") {
        let mut seen = HashSet::new();
        for (i, c) in d.conflicts.iter().enumerate() {
            let f = format!("draw.conflicts[{i}]");
            if parse_top(&c.officer, "officers").is_none() {
                v.add(format!("{f}.officer"), "officers/{officer}");
            }
            if !lists::code_ok(&c.target) {
                v.add(format!("{f}.target"), "a unified social credit code");
            }
            if !seen.insert((&c.officer, &c.target)) {
                v.add(f, "declared twice");
            }
        }
    }
    let now = Utc::now();
    match d.window_end_time.as_ref().and_then(from_ts) {
        None => v.add("draw.window_end_time", "is required"),
        Some(end) => {
            let longest = Duration::days(draws.settings.max_window_days as i64);
            v.check(
                end > now && end <= now + longest,
                "draw.window_end_time",
                format!(
                    "after now, at most {} days ahead",
                    draws.settings.max_window_days
                ),
            );
        }
    }
    v.finish()?;
    Ok((unit, power))
}

pub async fn create(draws: &Draws, ctx: &Ctx, r: CreateDrawRequest) -> AppResult<Draw> {
    let (unit, _) = check_create(draws, &r)?;
    own_unit(&ctx.principal, &unit)?;
    if let Some(done) = draws
        .store
        .replay(&ctx.principal, ctx.method, &r.request_id, &r)
        .await?
    {
        return Ok(done);
    }
    let d = r.draw.clone().unwrap_or_default();
    // The pool as the registry says now: asked before the lock, which the
    // registry's answer does not depend on.
    let pool = draws.peers.pool(&d.unit, &d.power).await?;
    let mut w = draws
        .store
        .write(&ctx.principal, ctx.method, &r.request_id, &r)
        .await?;
    if let Some(done) = w.replayed::<Draw>()? {
        return Ok(done);
    }
    let open = crate::store::draws_in(
        w.txn(),
        &unit,
        &d.power,
        &[
            DrawState::Committed as i32,
            DrawState::PublicValueRecorded as i32,
        ],
    )
    .await?;
    if let Some(o) = open.first() {
        return Err(AppError::refused(
            Reason::DrawOpen,
            format!("{} of the same power is still open", o.name),
        ));
    }
    let Some(plan) = crate::store::plan(w.txn(), &unit, &d.power, d.year).await? else {
        return Err(AppError::refused(
            Reason::NoDrawPlan,
            format!("no plan of {} for {} in {}", d.unit, d.power, d.year),
        ));
    };
    let Some(list) = crate::store::target_list(w.txn(), &unit, 0).await? else {
        return Err(AppError::refused(
            Reason::NoTargetList,
            format!("{} has uploaded no target list", d.unit),
        ));
    };
    let targets = targets_of(&list);
    // Conflicts bar someone who could be drawn, from a target that could be.
    let listed: HashSet<&str> = targets.iter().map(|t| t.code.as_str()).collect();
    let in_pool: HashSet<&str> = pool.iter().map(String::as_str).collect();
    let mut v = Violations::new();
    for (i, c) in d.conflicts.iter().enumerate() {
        v.check(
            in_pool.contains(c.officer.as_str()),
            format!("draw.conflicts[{i}].officer"),
            "not in the unit's inspector pool",
        );
        v.check(
            listed.contains(c.target.as_str()),
            format!("draw.conflicts[{i}].target"),
            "not on the unit's target list",
        );
    }
    v.finish()?;
    let conflicts: Vec<lists::Conflict> = d
        .conflicts
        .iter()
        .map(|c| lists::Conflict {
            officer: c.officer.clone(),
            target: c.target.clone(),
        })
        .collect();
    // The previous pairs: this service's own last draw of the unit and power.
    let previous: Vec<lists::Pair> =
        crate::store::draws_in(w.txn(), &unit, &d.power, &[DrawState::Drawn as i32])
            .await?
            .first()
            .map(|last| {
                last.result
                    .iter()
                    .flat_map(|a| {
                        a.officers.iter().map(|o| lists::Pair {
                            target: a.target.clone(),
                            officer: o.clone(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
    let params = plans::parameters(&plan);
    let short = crate::select::understaffed(&params, &targets, &pool, &conflicts, &previous);
    if !short.is_empty() {
        return Err(AppError::refused(
            Reason::DrawUnderstaffed,
            format!(
                "{} target(s) could not be given {} eligible inspectors from a pool of {} (e.g. {}): fix the pool or the plan",
                short.len(),
                params.inspectors_per_target,
                pool.len(),
                short[0]
            ),
        ));
    }
    let digests = lists::ListDigests::of(&targets, &pool, &conflicts, &previous);
    let id = new_id();
    let name = format!("{COLLECTION}/{id}");
    let record = DrawRecord {
        format: FORMAT.to_owned(),
        name: name.clone(),
        unit: d.unit.clone(),
        power: d.power.clone(),
        commitment: d.commitment.clone(),
        seed: String::new(),
        public_value: String::new(),
        parameters: params,
        targets,
        targets_digest: hex::encode(digests.targets),
        inspectors: pool,
        inspectors_digest: hex::encode(digests.inspectors),
        conflicts,
        conflicts_digest: hex::encode(digests.conflicts),
        previous,
        previous_digest: hex::encode(digests.previous),
        result: Vec::new(),
    };
    let now = Utc::now();
    let out = Draw {
        name: name.clone(),
        unit: d.unit.clone(),
        power: d.power.clone(),
        year: d.year,
        commitment: d.commitment.clone(),
        conflicts: d.conflicts.clone(),
        window_end_time: d.window_end_time,
        state: DrawState::Committed as i32,
        target_list_revision: list.revision,
        plan_revision: plan.revision,
        targets_digest: record.targets_digest.clone(),
        inspectors_digest: record.inspectors_digest.clone(),
        conflicts_digest: record.conflicts_digest.clone(),
        previous_digest: record.previous_digest.clone(),
        record_json: serde_json::to_string(&record).map_err(AppError::internal)?,
        create_time: Some(to_ts(now)),
        ..Default::default()
    };
    crate::store::insert_draw(
        w.txn(),
        &id,
        &unit,
        &d.power,
        &ctx.principal.subject,
        now.timestamp_micros(),
        &out,
    )
    .await?;
    w.audit(
        &name,
        json!({
            "op": "create_draw", "unit": out.unit, "power": out.power, "year": out.year,
            "commitment": out.commitment, "target_list_revision": out.target_list_revision,
            "plan_revision": out.plan_revision, "targets_digest": out.targets_digest,
            "inspectors_digest": out.inspectors_digest, "conflicts_digest": out.conflicts_digest,
            "previous_digest": out.previous_digest,
        }),
    )
    .await?;
    w.commit(out).await
}

/// The draw `name` names, read under the write's lock; NOT_FOUND for a
/// department's draw of another unit, as for one that does not exist.
async fn locked_draw(
    w: &probity_common::store::Write<'_>,
    ctx: &Ctx,
    name: &str,
) -> AppResult<(String, crate::store::DrawRow)> {
    let id = parse_top(name, COLLECTION).unwrap_or_default();
    let row = crate::store::draw(w.txn(), &id)
        .await?
        .ok_or_else(|| AppError::not_found(name.to_string()))?;
    let unit = row.draw.unit.strip_prefix("bodies/").unwrap_or_default();
    own_unit(&ctx.principal, unit)?;
    Ok((id, row))
}

fn wrong_state(d: &Draw, step: &str) -> AppError {
    let state = DrawState::try_from(d.state).unwrap_or_default();
    AppError::refused(
        Reason::DrawWrongState,
        format!("{} is {}: {step}", d.name, state.as_str_name()),
    )
}

fn check_name(v: &mut Violations, name: &str) {
    if parse_top(name, COLLECTION).is_none() {
        v.add("name", "draws/{draw}");
    }
}

/// One step on an existing draw: the write opened (a retry answers as the
/// first), the draw read under the lock, `apply` deciding the next state and
/// the audit entry, and the move guarded by the state it came from.
async fn step(
    draws: &Draws,
    ctx: &Ctx,
    request_id: &str,
    r: &impl prost::Message,
    name: &str,
    apply: impl FnOnce(crate::store::DrawRow) -> AppResult<(Draw, serde_json::Value)>,
) -> AppResult<Draw> {
    let mut w = draws
        .store
        .write(&ctx.principal, ctx.method, request_id, r)
        .await?;
    if let Some(done) = w.replayed::<Draw>()? {
        return Ok(done);
    }
    let (id, row) = locked_draw(&w, ctx, name).await?;
    let from = row.draw.state;
    let (d, entry) = apply(row)?;
    if !crate::store::move_draw(w.txn(), &id, from, &d).await? {
        return Err(wrong_state(&d, "it moved on"));
    }
    w.audit(&d.name, entry).await?;
    w.commit(d).await
}

pub async fn record_public_value(
    draws: &Draws,
    ctx: &Ctx,
    r: RecordPublicValueRequest,
) -> AppResult<Draw> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    check_name(&mut v, &r.name);
    v.non_empty(&r.public_value, "public_value");
    v.max_len(&r.public_value, 200, "public_value");
    v.non_empty(&r.source, "source");
    v.max_len(&r.source, 500, "source");
    v.finish()?;
    step(draws, ctx, &r.request_id, &r, &r.name, |row| {
        let mut d = row.draw;
        if d.state != DrawState::Committed as i32 {
            return Err(wrong_state(
                &d,
                "a public value is recorded once, after the commitment",
            ));
        }
        if row.creator == ctx.principal.subject {
            return Err(AppError::refused(
                Reason::PublicValueSameParty,
                format!("{} committed to {}'s seed", row.creator, d.name),
            ));
        }
        d.state = DrawState::PublicValueRecorded as i32;
        d.public_value = r.public_value.clone();
        d.public_value_source = r.source.trim().to_string();
        d.public_value_recorder = ctx.principal.subject.clone();
        d.public_value_time = Some(to_ts(Utc::now()));
        let mut record = record_of(&d)?;
        record.public_value = d.public_value.clone();
        d.record_json = serde_json::to_string(&record).map_err(AppError::internal)?;
        let entry = json!({
            "op": "record_public_value", "public_value": d.public_value,
            "source": d.public_value_source,
        });
        Ok((d, entry))
    })
    .await
}

pub async fn reveal(draws: &Draws, ctx: &Ctx, r: RevealDrawRequest) -> AppResult<Draw> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    check_name(&mut v, &r.name);
    let seed = hex::decode(&r.seed)
        .ok()
        .filter(|s| !s.is_empty() && s.len() <= 256);
    v.check(
        seed.is_some() && r.seed.bytes().all(|b| !b.is_ascii_uppercase()),
        "seed",
        "lowercase hex, 1 to 256 bytes",
    );
    v.finish()?;
    let seed = seed.unwrap_or_default();
    step(draws, ctx, &r.request_id, &r, &r.name, |row| {
        let mut d = row.draw;
        if d.state != DrawState::PublicValueRecorded as i32 {
            // Before the public value a revealed seed would let whoever
            // records it choose the outcome; after the result nothing is
            // drawn again.
            return Err(wrong_state(
                &d,
                "the seed is revealed once, after the public value is recorded",
            ));
        }
        if hex::encode(lists::sha256(&seed)) != d.commitment {
            return Err(AppError::refused(
                Reason::RevealMismatch,
                format!("the seed does not hash to {}'s commitment", d.name),
            ));
        }
        let mut record = record_of(&d)?;
        let result = crate::select::draw(
            &seed,
            &record.public_value,
            &record.parameters,
            &record.targets,
            &record.inspectors,
            &record.conflicts,
            &record.previous,
        )
        // The freeze refused every list that could fail here.
        .map_err(AppError::internal)?;
        record.seed = hex::encode(&seed);
        record.result = result;
        d.state = DrawState::Drawn as i32;
        d.seed = record.seed.clone();
        d.reveal_time = Some(to_ts(Utc::now()));
        d.result = record
            .result
            .iter()
            .map(|a| Assignment {
                target: a.target.clone(),
                officers: a.inspectors.clone(),
            })
            .collect();
        d.record_json = serde_json::to_string(&record).map_err(AppError::internal)?;
        let result_sha256 = hex::encode(lists::sha256(
            serde_json::to_string(&record.result)
                .map_err(AppError::internal)?
                .as_bytes(),
        ));
        let entry = json!({
            "op": "reveal_draw", "seed": d.seed, "drawn": d.result.len(),
            "result_sha256": result_sha256,
        });
        Ok((d, entry))
    })
    .await
}

pub async fn abandon(draws: &Draws, ctx: &Ctx, r: AbandonDrawRequest) -> AppResult<Draw> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    check_name(&mut v, &r.name);
    v.non_empty(&r.reason, "reason");
    v.max_len(&r.reason, 2000, "reason");
    v.finish()?;
    step(draws, ctx, &r.request_id, &r, &r.name, |row| {
        let mut d = row.draw;
        let from = d.state;
        if from == DrawState::PublicValueRecorded as i32
            && ctx.principal.department_body().is_some()
        {
            return Err(AppError::refused(
                Reason::DrawOutcomeKnown,
                format!(
                    "{}'s public value is recorded: reveal the seed, or ask the legal-affairs office",
                    d.name
                ),
            ));
        }
        if from != DrawState::Committed as i32 && from != DrawState::PublicValueRecorded as i32 {
            return Err(wrong_state(&d, "only an open draw is abandoned"));
        }
        d.state = DrawState::Abandoned as i32;
        d.abandon_reason = r.reason.trim().to_string();
        d.abandon_time = Some(to_ts(Utc::now()));
        let entry = json!({ "op": "abandon_draw", "reason": d.abandon_reason });
        Ok((d, entry))
    })
    .await
}
