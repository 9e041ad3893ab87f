//! The power-and-responsibility list (权责清单, Art. 5, 7): versioned powers,
//! changed only with a reason, added or withdrawn only on a change of legal
//! basis; and which post holds which power, over time.
use probity_common::names::page_of;
use std::collections::{BTreeSet, HashMap};

use chrono::Utc;
use probity_common::{
    AppError, AppResult, MAX_TEXT, Reason, Violations,
    names::{check_request_id, enum_field, nested_field, next_token, page, required, top_field},
};
use probity_proto::registry::v1::*;
use sea_orm::ConnectionTrait;
use serde_json::json;

use super::{Ctx, bodies, late};
use crate::{
    Registry, convert, scope,
    store::{
        self,
        entities::{post, power, power_version},
        post_powers::Holdings,
    },
};

const GRADES: [CircumstanceGrade; 4] = [
    CircumstanceGrade::Minor,
    CircumstanceGrade::Ordinary,
    CircumstanceGrade::Serious,
    CircumstanceGrade::Grave,
];

fn code_ok(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// Legal bases one power version may cite.
const MAX_BASES: usize = 100;
/// Powers one SetPostPowers may give a post.
const MAX_POST_POWERS: usize = 1_000;

/// The longest statutory time limit a power may carry, in days (ten years:
/// beyond any the laws set, so a larger one is a mistake).
const MAX_TIME_LIMIT_DAYS: i32 = 3_650;

/// Checks the content every version must have.
fn check_content(v: &mut Violations, p: &Power, category: Option<PowerCategory>) {
    v.check(
        (0..=MAX_TIME_LIMIT_DAYS).contains(&p.time_limit_days),
        "power.time_limit_days",
        format!("must be 0 (no limit) to {MAX_TIME_LIMIT_DAYS} days"),
    );
    v.non_empty(&p.display_name, "power.display_name");
    v.max_len(&p.display_name, 300, "power.display_name");
    v.non_empty(&p.duty, "power.duty");
    v.max_len(&p.flowchart_ref, 500, "power.flowchart_ref");
    v.check(
        !p.legal_bases.is_empty(),
        "power.legal_bases",
        "at least one legal basis is required",
    );
    let bases: &[LegalBasis] = if v.max_items(p.legal_bases.len(), MAX_BASES, "power.legal_bases") {
        &p.legal_bases
    } else {
        &[]
    };
    for (i, b) in bases.iter().enumerate() {
        let (law, article) = (
            format!("power.legal_bases[{i}].law"),
            format!("power.legal_bases[{i}].article"),
        );
        v.non_empty(&b.law, &law);
        v.max_len(&b.law, 300, &law);
        v.non_empty(&b.article, &article);
        v.max_len(&b.article, 200, &article);
    }
    let penalty = category == Some(PowerCategory::Penalty);
    if !penalty {
        v.check(
            p.benchmark.is_empty(),
            "power.benchmark",
            "only penalty powers have a discretion benchmark",
        );
        return;
    }
    let mut seen = BTreeSet::new();
    if !v.max_items(p.benchmark.len(), GRADES.len(), "power.benchmark") {
        return;
    }
    for (i, r) in p.benchmark.iter().enumerate() {
        let f = format!("power.benchmark[{i}]");
        v.max_len(&r.note, MAX_TEXT, &format!("{f}.note"));
        if enum_field::<CircumstanceGrade>(v, r.grade, &format!("{f}.grade"), false).is_some()
            && !seen.insert(r.grade)
        {
            v.add(format!("{f}.grade"), "appears twice");
        }
        v.check(
            r.min_amount_fen >= 0,
            format!("{f}.min_amount_fen"),
            "must not be negative",
        );
        v.check(
            r.max_amount_fen >= r.min_amount_fen,
            format!("{f}.max_amount_fen"),
            "must not be below min_amount_fen",
        );
    }
    for g in GRADES {
        v.check(
            seen.contains(&(g as i32)),
            "power.benchmark",
            format!(
                "a penalty power needs a range for every grade; {} is missing",
                g.as_str_name()
            ),
        );
    }
}

fn check_basis_change(v: &mut Violations, c: Option<&LegalBasisChange>) -> AppResult<()> {
    let Some(c) = c else {
        return Err(AppError::refused(
            Reason::LegalBasisChangeRequired,
            "a power is added to or withdrawn from the list only when its legal basis changes (Art. 7): state the change",
        ));
    };
    v.non_empty(&c.document, "legal_basis_change.document");
    v.max_len(&c.document, 500, "legal_basis_change.document");
    v.non_empty(&c.summary, "legal_basis_change.summary");
    v.max_len(&c.summary, 2000, "legal_basis_change.summary");
    Ok(())
}

pub(crate) async fn load_power<C: ConnectionTrait>(
    db: &C,
    name: &str,
    field: &str,
) -> AppResult<power::Model> {
    let mut v = Violations::new();
    let (body_id, id) = nested_field(&mut v, name, "powers", field);
    v.finish()?;
    match store::powers::power(db, &id).await? {
        Some(p) if p.body_id == body_id => Ok(p),
        _ => Err(AppError::not_found(name.to_string())),
    }
}

async fn version<C: ConnectionTrait>(
    db: &C,
    power_id: &str,
    version: i32,
) -> AppResult<power_version::Model> {
    store::powers::version(db, power_id, version)
        .await?
        .ok_or_else(|| AppError::not_found(format!("version {version} of power {power_id}")))
}

fn version_change(v: &power_version::Model) -> serde_json::Value {
    json!({"version": v.version, "display_name": v.display_name, "legal_bases": v.legal_bases,
           "duty": v.duty, "flowchart_ref": v.flowchart_ref, "benchmark": v.benchmark,
           "time_limit_days": v.time_limit_days, "state": v.state, "reason": v.reason, "effective_us": v.effective_us})
}

pub async fn create_power(reg: &Registry, ctx: &Ctx, r: CreatePowerRequest) -> AppResult<Power> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    let body_id = top_field(&mut v, &r.parent, "bodies", "parent");
    let Some(p) = required(&mut v, r.power.as_ref(), "power") else {
        return Err(v.into_error());
    };
    v.check(
        code_ok(&p.code),
        "power.code",
        "must be 1-64 letters, digits, '-', '_' or '.'",
    );
    let category = enum_field::<PowerCategory>(&mut v, p.category, "power.category", false);
    check_content(&mut v, p, category);
    let now = Utc::now();
    check_basis_change(&mut v, r.legal_basis_change.as_ref())?;
    let (eff, late) = late::dated(
        reg,
        ctx,
        &mut v,
        r.effective_time.as_ref(),
        now,
        (&r.backdate_reason, "backdate_reason"),
    );
    v.finish()?;
    let late = late.allowed()?;
    let change = r
        .legal_basis_change
        .as_ref()
        .map(|c| format!("{}: {}", c.document, c.summary))
        .unwrap_or_default();

    let mut w = begin_write!(reg, ctx, &r.request_id, &r);
    bodies::find_body(w.txn(), &body_id).await?;
    scope::ensure(w.txn(), &ctx.principal, &body_id).await?;
    if store::powers::by_code(w.txn(), &body_id, &p.code)
        .await?
        .is_some()
    {
        return Err(AppError::refused(
            Reason::PowerCodeTaken,
            format!("bodies/{body_id} already has a power {}", p.code),
        ));
    }
    let pm = power::Model {
        id: probity_common::names::new_id(),
        body_id,
        code: p.code.clone(),
        category: p.category,
        current_version: 1,
        state: PowerState::Active as i32,
        display_name: p.display_name.trim().to_string(),
        created_us: now.timestamp_micros(),
    };
    let vm = power_version::Model {
        power_id: pm.id.clone(),
        version: 1,
        display_name: pm.display_name.clone(),
        legal_bases: convert::legal_bases_json(&p.legal_bases),
        duty: p.duty.clone(),
        flowchart_ref: p.flowchart_ref.clone(),
        benchmark: convert::benchmark_json(&p.benchmark),
        time_limit_days: p.time_limit_days,
        state: PowerState::Active as i32,
        reason: change,
        effective_us: eff,
        recorded_us: now.timestamp_micros(),
    };
    store::powers::insert(w.txn(), &pm, &vm).await?;
    let out = convert::power(&pm, vm.clone());
    let mut change = version_change(&vm);
    change["op"] = json!("create_power");
    change["code"] = json!(pm.code);
    change["category"] = json!(pm.category);
    late::record_if(&mut w, ctx, &late, &out.name, &pm.body_id, eff).await?;
    w.audit(&out.name, change).await?;
    w.commit(out).await
}

/// Appends `vm` as the power's next version and moves the current state.
async fn append_version(
    w: &mut probity_common::store::Write<'_>,
    pm: &power::Model,
    vm: &power_version::Model,
    op: &str,
) -> AppResult<Power> {
    store::powers::insert_version(w.txn(), vm).await?;
    store::powers::set_current(w.txn(), vm).await?;
    let out = convert::power(pm, vm.clone());
    let mut change = version_change(vm);
    change["op"] = json!(op);
    w.audit(&out.name, change).await?;
    Ok(out)
}

/// The current version, refusing withdrawn powers and out-of-order history.
async fn current_for_change<C: ConnectionTrait>(
    db: &C,
    pm: &power::Model,
    eff: i64,
) -> AppResult<power_version::Model> {
    let cur = version(db, &pm.id, pm.current_version).await?;
    if cur.state == PowerState::Withdrawn as i32 {
        return Err(AppError::refused(
            Reason::PowerWithdrawn,
            format!("power {} was withdrawn", pm.code),
        ));
    }
    if eff < cur.effective_us {
        return Err(AppError::refused(
            Reason::HistoryOutOfOrder,
            "effective_time is before the current version took effect",
        ));
    }
    Ok(cur)
}

pub async fn revise_power(reg: &Registry, ctx: &Ctx, r: RevisePowerRequest) -> AppResult<Power> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    let Some(p) = required(&mut v, r.power.as_ref(), "power") else {
        return Err(v.into_error());
    };
    nested_field(&mut v, &p.name, "powers", "power.name");
    v.non_empty(&r.reason, "reason");
    let now = Utc::now();
    // A benchmark or time limit dated back is the office's to record (a
    // department would widen the range its past decisions, or the time its
    // open matters, are measured against).
    let (eff, late) = late::dated(
        reg,
        ctx,
        &mut v,
        r.effective_time.as_ref(),
        now,
        (&r.reason, "reason"),
    );
    v.finish()?;
    let late = late.allowed()?;

    let mut w = begin_write!(reg, ctx, &r.request_id, &r);
    let pm = load_power(w.txn(), &p.name, "power.name").await?;
    scope::ensure(w.txn(), &ctx.principal, &pm.body_id).await?;
    let mut v = Violations::new();
    v.check(p.code == pm.code, "power.code", "is immutable");
    v.check(p.category == pm.category, "power.category", "is immutable");
    check_content(&mut v, p, PowerCategory::try_from(pm.category).ok());
    v.finish()?;
    let cur = current_for_change(w.txn(), &pm, eff).await?;
    let vm = power_version::Model {
        power_id: pm.id.clone(),
        version: cur.version + 1,
        display_name: p.display_name.trim().to_string(),
        legal_bases: convert::legal_bases_json(&p.legal_bases),
        duty: p.duty.clone(),
        flowchart_ref: p.flowchart_ref.clone(),
        benchmark: convert::benchmark_json(&p.benchmark),
        time_limit_days: p.time_limit_days,
        state: PowerState::Active as i32,
        reason: r.reason.trim().to_string(),
        effective_us: eff,
        recorded_us: now.timestamp_micros(),
    };
    let same = (
        &vm.display_name,
        &vm.legal_bases,
        &vm.duty,
        &vm.flowchart_ref,
        &vm.benchmark,
        vm.time_limit_days,
    ) == (
        &cur.display_name,
        &cur.legal_bases,
        &cur.duty,
        &cur.flowchart_ref,
        &cur.benchmark,
        cur.time_limit_days,
    );
    if same {
        return Err(AppError::refused(
            Reason::NoChange,
            "the new version is identical to the current one",
        ));
    }
    late::record_if(&mut w, ctx, &late, &p.name, &pm.body_id, eff).await?;
    let out = append_version(&mut w, &pm, &vm, "revise_power").await?;
    w.commit(out).await
}

pub async fn withdraw_power(
    reg: &Registry,
    ctx: &Ctx,
    r: WithdrawPowerRequest,
) -> AppResult<Power> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    nested_field(&mut v, &r.name, "powers", "name");
    let now = Utc::now();
    check_basis_change(&mut v, r.legal_basis_change.as_ref())?;
    let (eff, late) = late::dated(
        reg,
        ctx,
        &mut v,
        r.effective_time.as_ref(),
        now,
        (&r.backdate_reason, "backdate_reason"),
    );
    v.finish()?;
    let late = late.allowed()?;
    let change = r
        .legal_basis_change
        .as_ref()
        .map(|c| format!("{}: {}", c.document, c.summary))
        .unwrap_or_default();

    let mut w = begin_write!(reg, ctx, &r.request_id, &r);
    let pm = load_power(w.txn(), &r.name, "name").await?;
    scope::ensure(w.txn(), &ctx.principal, &pm.body_id).await?;
    let cur = current_for_change(w.txn(), &pm, eff).await?;
    let vm = power_version::Model {
        version: cur.version + 1,
        state: PowerState::Withdrawn as i32,
        reason: change,
        effective_us: eff,
        recorded_us: now.timestamp_micros(),
        ..cur
    };
    // Posts stop holding it from the same instant.
    let holdings = Holdings::OfPower(&pm.id);
    store::post_powers::end(w.txn(), holdings, eff, now.timestamp_micros()).await?;
    late::record_if(&mut w, ctx, &late, &r.name, &pm.body_id, eff).await?;
    let out = append_version(&mut w, &pm, &vm, "withdraw_power").await?;
    w.commit(out).await
}

pub async fn get_power(reg: &Registry, ctx: &Ctx, r: GetPowerRequest) -> AppResult<Power> {
    let db = &reg.store.db;
    if r.version < 0 {
        return Err(AppError::invalid("version", "must not be negative"));
    }
    let pm = load_power(db, &r.name, "name").await?;
    scope::ensure(db, &ctx.principal, &pm.body_id).await?;
    let n = if r.version == 0 {
        pm.current_version
    } else {
        r.version
    };
    let vm = version(db, &pm.id, n).await?;
    let mut out = super::major::with_criteria(db, vec![convert::power(&pm, vm)]).await?;
    out.pop()
        .ok_or_else(|| AppError::internal("a power lost in its criteria"))
}

/// Current versions of `powers`, in the same order.
pub(crate) async fn with_current<C: ConnectionTrait>(
    db: &C,
    powers: Vec<power::Model>,
) -> AppResult<Vec<Power>> {
    if powers.is_empty() {
        return Ok(Vec::new());
    }
    let mut by_id = store::powers::current_versions(db, &powers).await?;
    let mut out = Vec::with_capacity(powers.len());
    for p in powers {
        let v = by_id
            .remove(&p.id)
            .ok_or_else(|| AppError::internal(format!("power {} has no current version", p.id)))?;
        out.push(convert::power(&p, v));
    }
    Ok(out)
}

pub async fn list_powers(
    reg: &Registry,
    ctx: &Ctx,
    r: ListPowersRequest,
) -> AppResult<ListPowersResponse> {
    let mut v = Violations::new();
    let body_id = top_field(&mut v, &r.parent, "bodies", "parent");
    let category = enum_field::<PowerCategory>(&mut v, r.category, "category", true);
    let filter = format!("powers|{}|{}|{}", r.parent, r.include_withdrawn, r.category);
    let pg = page(&mut v, r.page_size, &r.page_token, &filter);
    v.finish()?;
    let db = &reg.store.db;
    bodies::find_body(db, &body_id).await?;
    scope::ensure(db, &ctx.principal, &body_id).await?;
    let (powers, next_page_token) =
        page_powers(db, &body_id, r.include_withdrawn, category, &pg, &filter).await?;
    let powers = with_current(db, powers).await?;
    Ok(ListPowersResponse {
        powers: super::major::with_criteria(db, powers).await?,
        next_page_token,
    })
}

/// One page of a body's powers, ordered by code.
pub(crate) async fn page_powers<C: ConnectionTrait>(
    db: &C,
    body_id: &str,
    include_withdrawn: bool,
    category: Option<PowerCategory>,
    pg: &probity_common::names::Page,
    filter: &str,
) -> AppResult<(Vec<power::Model>, String)> {
    let category = category
        .filter(|c| *c != PowerCategory::Unspecified)
        .map(|c| c as i32);
    let rows = store::powers::page(db, body_id, include_withdrawn, category, pg).await?;
    let last = rows.last().map(|p| p.code.clone());
    let token = next_token(rows.len(), pg, last.as_deref(), filter);
    Ok((rows, token))
}

pub async fn list_power_versions(
    reg: &Registry,
    ctx: &Ctx,
    r: ListPowerVersionsRequest,
) -> AppResult<ListPowerVersionsResponse> {
    let mut v = Violations::new();
    let key = format!("ListPowerVersions\n{}", r.name);
    let p = page(&mut v, r.page_size, &r.page_token, &key);
    v.finish()?;
    let db = &reg.store.db;
    let pm = load_power(db, &r.name, "name").await?;
    scope::ensure(db, &ctx.principal, &pm.body_id).await?;
    let versions = store::powers::versions(db, &pm.id).await?;
    let (versions, next_page_token) = page_of(versions, &p, &key, |x| format!("{:010}", x.version));
    Ok(ListPowerVersionsResponse {
        next_page_token,
        versions: versions
            .into_iter()
            .map(|v| convert::power(&pm, v))
            .collect(),
    })
}

pub async fn list_unassigned_powers(
    reg: &Registry,
    ctx: &Ctx,
    r: ListUnassignedPowersRequest,
) -> AppResult<ListUnassignedPowersResponse> {
    let mut v = Violations::new();
    let body_id = top_field(&mut v, &r.parent, "bodies", "parent");
    let key = format!("ListUnassignedPowers\n{}", r.parent);
    let p = page(&mut v, r.page_size, &r.page_token, &key);
    v.finish()?;
    let db = &reg.store.db;
    bodies::find_body(db, &body_id).await?;
    scope::ensure(db, &ctx.principal, &body_id).await?;
    // Held by any post, an entrusted organization's included.
    let held = store::post_powers::held_of_body(db, &body_id).await?;
    let powers: Vec<power::Model> = store::powers::active_of(db, &body_id)
        .await?
        .into_iter()
        .filter(|p| !held.contains(&p.id))
        .collect();
    let (powers, next_page_token) =
        page_of(powers, &p, &key, |x| format!("{}\u{1}{}", x.code, x.id));
    Ok(ListUnassignedPowersResponse {
        next_page_token,
        powers: with_current(db, powers).await?,
    })
}

/// The powers a SetPostPowers request names: their ids, each once, and the
/// body each name gives.
#[derive(Default)]
struct Wanted {
    ids: BTreeSet<String>,
    bodies: HashMap<String, String>,
}

/// Checks the names in `powers`: well-formed, distinct, and of a body in
/// `allowed`.
fn wanted_powers(v: &mut Violations, powers: &[String], allowed: &[String]) -> Wanted {
    let mut wanted = Wanted::default();
    let powers: &[String] = if v.max_items(powers.len(), MAX_POST_POWERS, "powers") {
        powers
    } else {
        &[]
    };
    for (i, name) in powers.iter().enumerate() {
        let (b, id) = nested_field(v, name, "powers", &format!("powers[{i}]"));
        if !id.is_empty() {
            v.check(
                allowed.contains(&b),
                format!("powers[{i}]"),
                "must be a power of the post's body (or of the body that entrusted it)",
            );
            wanted.bodies.insert(id.clone(), b);
            v.check(
                wanted.ids.insert(id),
                format!("powers[{i}]"),
                "appears twice",
            );
        }
    }
    wanted
}

/// Every wanted power exists under the body its name gives and is active.
async fn wanted_exist<C: ConnectionTrait>(db: &C, wanted: &Wanted) -> AppResult<()> {
    for (i, id) in wanted.ids.iter().enumerate() {
        let named_body = wanted.bodies.get(id).cloned().unwrap_or_default();
        match store::powers::power(db, id).await? {
            Some(p) if p.body_id == named_body && p.state == PowerState::Active as i32 => {}
            Some(p) if p.body_id == named_body => {
                return Err(AppError::refused(
                    Reason::PowerWithdrawn,
                    format!("power {} was withdrawn", p.code),
                ));
            }
            _ => {
                return Err(AppError::not_found(format!(
                    "powers[{i}] bodies/{named_body}/powers/{id}"
                )));
            }
        }
    }
    Ok(())
}

/// Moves the post's holdings to exactly `wanted` from `eff` (recorded at
/// `now_us`): ends the ones no longer wanted, opens the new ones. Returns
/// (added, removed) power ids.
async fn move_holdings<C: ConnectionTrait>(
    db: &C,
    post: &post::Model,
    wanted: &BTreeSet<String>,
    eff: i64,
    now_us: i64,
) -> AppResult<(Vec<String>, Vec<String>)> {
    let rows = store::post_powers::of_post(db, &post.id).await?;
    let latest = rows
        .iter()
        .map(|r| r.to_us.unwrap_or(r.from_us).max(r.from_us))
        .max()
        .unwrap_or(i64::MIN);
    if eff < latest {
        return Err(AppError::refused(
            Reason::HistoryOutOfOrder,
            "effective_time is before the post's last change",
        ));
    }
    let open: BTreeSet<String> = rows
        .iter()
        .filter(|r| r.to_us.is_none())
        .map(|r| r.power_id.clone())
        .collect();
    if open == *wanted {
        return Err(AppError::refused(
            Reason::NoChange,
            "the post already holds exactly these powers",
        ));
    }
    let removed: Vec<String> = open.difference(wanted).cloned().collect();
    if !removed.is_empty() {
        let holdings = Holdings::OfPost(&post.id, removed.clone());
        store::post_powers::end(db, holdings, eff, now_us).await?;
    }
    let added: Vec<String> = wanted.difference(&open).cloned().collect();
    for power_id in &added {
        store::post_powers::open(db, &post.id, &post.body_id, power_id, eff, now_us).await?;
    }
    Ok((added, removed))
}

pub async fn set_post_powers(
    reg: &Registry,
    ctx: &Ctx,
    r: SetPostPowersRequest,
) -> AppResult<Post> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    let (post_body, _) = nested_field(&mut v, &r.post, "posts", "post");
    // A post holds its own body's powers; an entrusted organization's posts
    // hold those of the body that entrusted it (Art. 23). Bodies never change
    // who entrusted them, so this read may precede the write.
    let mut allowed = vec![post_body.clone()];
    if !post_body.is_empty()
        && let Some(b) = store::bodies::body(&reg.store.db, &post_body).await?
        && let Some(e) = b.entrusted_by
    {
        allowed.push(e);
    }
    let wanted = wanted_powers(&mut v, &r.powers, &allowed);
    let now = Utc::now();
    let (eff, late) = late::dated(
        reg,
        ctx,
        &mut v,
        r.effective_time.as_ref(),
        now,
        (&r.backdate_reason, "backdate_reason"),
    );
    v.finish()?;
    let late = late.allowed()?;

    let mut w = begin_write!(reg, ctx, &r.request_id, &r);
    let post = bodies::load_post(w.txn(), &r.post, "post").await?;
    scope::ensure(w.txn(), &ctx.principal, &post.body_id).await?;
    wanted_exist(w.txn(), &wanted).await?;
    let (added, removed) =
        move_holdings(w.txn(), &post, &wanted.ids, eff, now.timestamp_micros()).await?;
    let mut powers: Vec<String> = wanted
        .ids
        .iter()
        .map(|id| {
            probity_common::names::nested_name(
                wanted
                    .bodies
                    .get(id)
                    .map(String::as_str)
                    .unwrap_or_default(),
                "powers",
                id,
            )
        })
        .collect();
    powers.sort();
    let out_body = post.body_id.clone();
    let out = convert::post(post, &powers);
    late::record_if(&mut w, ctx, &late, &out.name, &out_body, eff).await?;
    w.audit(
        &out.name,
        json!({"op": "set_post_powers", "added": added, "removed": removed, "effective_us": eff}),
    )
    .await?;
    w.commit(out).await
}
