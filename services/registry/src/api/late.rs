//! Backdating (issue 14): a department dates a change at most
//! `registry.backdate_grace` before now; earlier is the legal-affairs
//! office's (or a service's, for the sanctions it carries out), with a
//! reason, and such a change is kept in `registry_late_changes` for the
//! office to list. CheckActors' `known_time` keeps any backdated change from
//! clearing what was found before it was recorded.
use probity_common::{
    AppError, AppResult, Reason, Violations,
    auth::Role,
    names::{next_token, page, top_field},
    store::Write,
};
use probity_proto::registry::v1::*;
use serde_json::json;

use super::{Ctx, us_ts};
use crate::{
    Registry, scope,
    store::{self, entities::late_change},
};

/// What a change's date means for who may make it.
#[must_use]
pub(crate) enum Backdate {
    /// Within the grace window (or undated).
    OnTime,
    /// Earlier, by a caller who may, with this reason.
    Late(String),
    /// Earlier, by a department.
    Refused,
}

/// The effective time a request asks for (now when it names none) and how
/// late it is: the one call each dated registry change makes.
pub(crate) fn dated(
    reg: &Registry,
    ctx: &Ctx,
    v: &mut Violations,
    effective_time: Option<&prost_types::Timestamp>,
    now: chrono::DateTime<chrono::Utc>,
    (reason, reason_field): (&str, &str),
) -> (i64, Backdate) {
    let eff = super::effective(v, effective_time, now);
    v.max_len(reason, probity_common::error::MAX_TEXT, reason_field);
    let late = judge(
        reg,
        ctx,
        v,
        eff,
        effective_time.is_some(),
        reason,
        reason_field,
    );
    (eff, late)
}

/// Judges the date `effective_us` of a change (`given`: the caller dated
/// it). A caller who may backdate but gave no reason gets a violation on
/// `reason_field`.
pub(crate) fn judge(
    reg: &Registry,
    ctx: &Ctx,
    v: &mut Violations,
    effective_us: i64,
    given: bool,
    reason: &str,
    reason_field: &str,
) -> Backdate {
    let now = chrono::Utc::now().timestamp_micros();
    if !given || effective_us >= now.saturating_sub(reg.backdate_grace_us) {
        return Backdate::OnTime;
    }
    match ctx.principal.role {
        Role::LegalOffice | Role::Service => {
            let reason = reason.trim();
            if reason.is_empty() {
                v.add(
                    reason_field,
                    "is required: the date is earlier than registry.backdate_grace allows; say why the change is recorded late",
                );
            }
            Backdate::Late(reason.to_string())
        }
        _ => Backdate::Refused,
    }
}

impl Backdate {
    /// After validation: a department's backdated change is refused.
    pub(crate) fn allowed(self) -> AppResult<Option<String>> {
        match self {
            Backdate::OnTime => Ok(None),
            Backdate::Late(reason) => Ok(Some(reason)),
            Backdate::Refused => Err(AppError::refused(
                Reason::BackdateOutsideWindow,
                "the date is earlier than registry.backdate_grace before now: only the legal-affairs office may record a change that late, with a reason",
            )),
        }
    }
}

/// A late change's record, written and audited in the change's transaction
/// (callers record it before they audit the change).
pub(crate) struct Late<'a> {
    pub entity: &'a str,
    pub body_id: &'a str,
    pub effective_us: i64,
    pub reason: &'a str,
}

pub(crate) async fn record(w: &mut Write<'_>, ctx: &Ctx, l: Late<'_>) -> AppResult<()> {
    let method = ctx.method.rsplit('/').next().unwrap_or(ctx.method);
    let m = late_change::Model {
        id: probity_common::names::new_id(),
        entity: l.entity.to_string(),
        method: method.to_string(),
        body_id: l.body_id.to_string(),
        effective_us: l.effective_us,
        recorded_us: chrono::Utc::now().timestamp_micros(),
        reason: l.reason.to_string(),
        actor: ctx.principal.subject.clone(),
        role: ctx.principal.role.as_str().to_string(),
    };
    store::late::insert(w.txn(), &m).await?;
    // Its own entry, before the change's: the entity's history reads one
    // entry per change, and a write's last entry is the change itself.
    w.audit(
        &format!("lateChanges/{}", m.id),
        json!({"op": "late_change", "entity": m.entity, "method": m.method, "body": m.body_id,
               "effective_us": m.effective_us, "recorded_us": m.recorded_us, "reason": m.reason}),
    )
    .await
}

/// Records `l` when the change was judged late.
pub(crate) async fn record_if(
    w: &mut Write<'_>,
    ctx: &Ctx,
    late: &Option<String>,
    entity: &str,
    body_id: &str,
    effective_us: i64,
) -> AppResult<()> {
    match late {
        None => Ok(()),
        Some(reason) => {
            let l = Late {
                entity,
                body_id,
                effective_us,
                reason,
            };
            record(w, ctx, l).await
        }
    }
}

pub async fn list_late_changes(
    reg: &Registry,
    ctx: &Ctx,
    r: ListLateChangesRequest,
) -> AppResult<ListLateChangesResponse> {
    let mut v = Violations::new();
    let body = (!r.body.is_empty()).then(|| top_field(&mut v, &r.body, "bodies", "body"));
    let filter = format!("late|{}", r.body);
    let pg = page(&mut v, r.page_size, &r.page_token, &filter);
    v.finish()?;
    let db = &reg.store.db;
    let within = match &body {
        Some(b) => {
            scope::ensure(db, &ctx.principal, b).await?;
            None
        }
        None => scope::visible(db, &ctx.principal).await?,
    };
    let rows = store::late::list(db, body.as_deref(), within, &pg).await?;
    let last = rows.last().map(|c| c.id.clone());
    let next_page_token = next_token(rows.len(), &pg, last.as_deref(), &filter);
    Ok(ListLateChangesResponse {
        changes: rows
            .into_iter()
            .map(|c| LateChange {
                entity: c.entity,
                method: c.method,
                body: probity_common::names::body_name(&c.body_id),
                effective_time: us_ts(c.effective_us),
                record_time: us_ts(c.recorded_us),
                reason: c.reason,
                actor: c.actor,
                role: c.role,
            })
            .collect(),
        next_page_token,
    })
}
