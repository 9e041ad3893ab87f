//! Enforcement credentials (行政执法证件, Art. 16) and their lifecycle:
//! issued, withheld until a date (暂扣), released early, revoked (缴销,
//! terminal). Expiry and the end of a withholding follow from the dates.
use chrono::Utc;
use probity_common::{
    AppError, AppResult, MAX_TEXT, Reason, Violations,
    auth::Access,
    names::{
        check_request_id, enum_field, name_or_invalid, next_token, page, required, top_field,
        ts_field,
    },
};
use probity_proto::registry::v1::*;
use sea_orm::ConnectionTrait;
use serde_json::json;

use super::{Ctx, late, officers};
use crate::{
    Registry, convert, scope,
    store::{
        self,
        credentials::CredentialFilter,
        entities::{credential, credential_event, officer},
    },
    temporal,
};

fn number_ok(n: &str) -> bool {
    !n.is_empty() && n.len() <= 64 && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

async fn load<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> AppResult<(credential::Model, Vec<credential_event::Model>)> {
    let id = name_or_invalid(name, "credentials")?;
    let c = store::credentials::credential(db, &id)
        .await?
        .ok_or_else(|| AppError::not_found(name.to_string()))?;
    let evs = store::credentials::events(db, vec![id]).await?;
    Ok((c, evs))
}

async fn holder_body<C: ConnectionTrait>(db: &C, holder_id: &str) -> AppResult<String> {
    store::officers::officer(db, holder_id)
        .await?
        .map(|o| o.body_id)
        .ok_or_else(|| AppError::internal(format!("credential holder {holder_id} missing")))
}

/// The card's validity window, checked: both ends given, in order.
fn validity(
    v: &mut Violations,
    c: &Credential,
) -> (Option<chrono::DateTime<Utc>>, Option<chrono::DateTime<Utc>>) {
    let from = ts_field(v, c.valid_from.as_ref(), "credential.valid_from");
    let until = ts_field(v, c.valid_until.as_ref(), "credential.valid_until");
    if let (Some(f), Some(u)) = (from, until) {
        v.check(u > f, "credential.valid_until", "must be after valid_from");
    }
    (from, until)
}

pub async fn issue_credential(
    reg: &Registry,
    ctx: &Ctx,
    r: IssueCredentialRequest,
) -> AppResult<Credential> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    let Some(c) = required(&mut v, r.credential.as_ref(), "credential") else {
        return Err(v.into_error());
    };
    // Numbers are compared whatever the case typed (a citizen checking
    // "hlj-0001" means HLJ-0001): stored in upper case, unique so.
    let number = c.number.to_ascii_uppercase();
    v.check(
        number_ok(&number),
        "credential.number",
        "must be 1-64 letters, digits or '-'",
    );
    top_field(&mut v, &c.holder, "officers", "credential.holder");
    v.non_empty(&c.issuing_authority, "credential.issuing_authority");
    v.max_len(&c.issuing_authority, 300, "credential.issuing_authority");
    let (from, until) = validity(&mut v, c);
    v.check(c.status == 0, "credential.status", "is output only");
    v.check(c.history.is_empty(), "credential.history", "is output only");
    v.max_len(&r.backdate_reason, MAX_TEXT, "backdate_reason");
    // A card "valid since" long before it is recorded is the office's to issue.
    let late = match from {
        Some(f) => late::judge(
            reg,
            ctx,
            &mut v,
            f.timestamp_micros(),
            true,
            &r.backdate_reason,
            "backdate_reason",
        ),
        None => late::Backdate::OnTime,
    };
    v.finish()?;
    let late = late.allowed()?;
    let (from, until) = (
        from.unwrap_or_default().timestamp_micros(),
        until.unwrap_or_default().timestamp_micros(),
    );

    let mut w = begin_write!(reg, ctx, &r.request_id, &r);
    let holder = officers::load_officer(w.txn(), &c.holder, "credential.holder").await?;
    scope::ensure(w.txn(), &ctx.principal, &holder.body_id).await?;
    may_hold(w.txn(), &holder, &number, (from, until)).await?;
    let now = Utc::now().timestamp_micros();
    let m = credential::Model {
        id: probity_common::names::new_id(),
        number: number.clone(),
        holder_id: holder.id.clone(),
        issuing_authority: c.issuing_authority.trim().to_string(),
        valid_from_us: from,
        valid_until_us: until,
        revoked_us: None,
        withheld_until_us: None,
        created_us: now,
    };
    let ev = credential_event::Model {
        credential_id: m.id.clone(),
        seq: 1,
        kind: "ISSUED".into(),
        at_us: now,
        withheld_until_us: None,
        reason: String::new(),
        actor: ctx.principal.subject.clone(),
    };
    store::credentials::insert(w.txn(), &m, &ev).await?;
    let out = convert::credential(m, vec![ev], now);
    late::record_if(&mut w, ctx, &late, &out.name, &holder.body_id, from).await?;
    w.audit(&out.name, json!({"op": "issue_credential", "number": out.number, "holder": out.holder,
        "issuing_authority": out.issuing_authority, "valid_from_us": from, "valid_until_us": until}))
        .await?;
    w.commit(out).await
}

/// Whether `holder` may be issued the card `number` valid over
/// [from, until): a qualified officer, a number not yet issued, no other
/// card of theirs over the window and no withholding still binding them.
async fn may_hold<C: ConnectionTrait>(
    db: &C,
    holder: &officer::Model,
    number: &str,
    (from, until): (i64, i64),
) -> AppResult<()> {
    if holder.kind == OfficerKind::Auxiliary as i32 {
        return Err(AppError::refused(
            Reason::AuxiliaryCannotHoldCredential,
            "auxiliary staff have no enforcement qualification and never hold a credential (Art. 18)",
        ));
    }
    if holder.status == OfficerStatus::Disqualified as i32 {
        return Err(AppError::refused(
            Reason::OfficerDisqualified,
            "the officer's enforcement qualification was cancelled",
        ));
    }
    if store::credentials::by_number(db, number).await?.is_some() {
        return Err(AppError::refused(
            Reason::CredentialNumberTaken,
            format!("credential number {number} is already issued"),
        ));
    }
    if let Some(o) = store::credentials::overlapping(db, &holder.id, from, until).await? {
        return Err(AppError::refused(
            Reason::CredentialOverlaps,
            format!(
                "the officer's credential {} covers part of this window: revoke it or start after it ends",
                o.number
            ),
        ));
    }
    if let Some((number, end)) = withholding_over(db, &holder.id, from).await? {
        return Err(AppError::refused(
            Reason::HolderCredentialWithheld,
            format!(
                "the officer's credential {number} is withheld until {} (Art. 21): a new credential may start no earlier",
                chrono::DateTime::from_timestamp_micros(end)
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default()
            ),
        ));
    }
    Ok(())
}

/// A withholding of one of the holder's credentials still in force at
/// `from_us`: (the withheld card's number, its end), the latest end first.
async fn withholding_over<C: ConnectionTrait>(
    db: &C,
    holder_id: &str,
    from_us: i64,
) -> AppResult<Option<(String, i64)>> {
    let held = store::credentials::of_holder(db, holder_id).await?;
    let evs = store::credentials::events(db, held.iter().map(|c| c.id.clone()).collect()).await?;
    Ok(held
        .into_iter()
        .filter_map(|c| {
            let mine: Vec<_> = evs
                .iter()
                .filter(|e| e.credential_id == c.id)
                .cloned()
                .collect();
            temporal::withholding_end(&mine).map(|end| (c.number, end))
        })
        .filter(|(_, end)| *end > from_us)
        .max_by_key(|(_, end)| *end))
}

pub async fn get_credential(
    reg: &Registry,
    ctx: &Ctx,
    r: GetCredentialRequest,
) -> AppResult<Credential> {
    let db = &reg.store.db;
    let (c, evs) = load(db, &r.name).await?;
    scope::ensure(db, &ctx.principal, &holder_body(db, &c.holder_id).await?).await?;
    Ok(convert::credential(c, evs, Utc::now().timestamp_micros()))
}

pub async fn list_credentials(
    reg: &Registry,
    ctx: &Ctx,
    r: ListCredentialsRequest,
) -> AppResult<ListCredentialsResponse> {
    let mut v = Violations::new();
    let holder = (!r.holder.is_empty()).then(|| top_field(&mut v, &r.holder, "officers", "holder"));
    let body = (!r.body.is_empty()).then(|| top_field(&mut v, &r.body, "bodies", "body"));
    let status = enum_field::<CredentialStatus>(&mut v, r.status, "status", true);
    let filter = format!("credentials|{}|{}|{}", r.holder, r.body, r.status);
    let pg = page(&mut v, r.page_size, &r.page_token, &filter);
    v.finish()?;
    let db = &reg.store.db;
    let now = Utc::now().timestamp_micros();
    if holder.is_some() {
        let o = officers::load_officer(db, &r.holder, "holder").await?;
        scope::ensure(db, &ctx.principal, &o.body_id).await?;
    }
    let bodies = match &body {
        Some(b) => {
            scope::ensure(db, &ctx.principal, b).await?;
            Some(vec![b.clone()])
        }
        None if holder.is_none() => scope::visible(db, &ctx.principal).await?,
        None => None,
    };
    let f = CredentialFilter {
        holder,
        bodies,
        status,
        now_us: now,
    };
    let rows = store::credentials::list(db, f, &pg).await?;
    let last = rows.last().map(|c| c.id.clone());
    let next_page_token = next_token(rows.len(), &pg, last.as_deref(), &filter);
    let ids = rows.iter().map(|c| c.id.clone()).collect();
    let mut evs = store::credentials::events(db, ids).await?;
    let mut credentials = Vec::with_capacity(rows.len());
    for c in rows {
        let mine: Vec<_> = evs.extract_if(.., |e| e.credential_id == c.id).collect();
        credentials.push(convert::credential(c, mine, now));
    }
    Ok(ListCredentialsResponse {
        credentials,
        next_page_token,
    })
}

/// A lifecycle step: validates (with what the caller found in `v`), loads,
/// scopes, checks `allowed` against the status now,
/// appends the event, updates the current columns and audits.
struct Step<'a> {
    name: &'a str,
    kind: &'static str,
    withheld_until: Option<i64>,
    reason: &'a str,
    allowed: fn(CredentialStatus) -> Result<(), (Reason, String)>,
}

async fn transition(
    reg: &Registry,
    ctx: &Ctx,
    request_id: &str,
    request: &impl prost::Message,
    step: Step<'_>,
    mut v: Violations,
) -> AppResult<Credential> {
    let Step {
        name,
        kind,
        withheld_until,
        reason,
        allowed,
    } = step;
    check_request_id(&mut v, request_id);
    top_field(&mut v, name, "credentials", "name");
    v.non_empty(reason, "reason");
    v.finish()?;
    let mut w = begin_write!(reg, ctx, request_id, request);
    let (c, mut evs) = load(w.txn(), name).await?;
    scope::ensure(
        w.txn(),
        &ctx.principal,
        &holder_body(w.txn(), &c.holder_id).await?,
    )
    .await?;
    // Steps are in force in the order they were taken, whatever the clocks.
    let now = Utc::now()
        .timestamp_micros()
        .max(evs.last().map_or(i64::MIN, |e| e.at_us));
    let (status, _) = temporal::credential_at(&c, &evs, now);
    allowed(status).map_err(|(reason, msg)| AppError::refused(reason, msg))?;
    // Shortening a withholding in force lifts part of it: the right of
    // ReleaseCredential (`Lift`), which a department does not have.
    if kind == "WITHHELD"
        && !Access::Lift.allows(ctx.principal.role)
        && let Some(end) = temporal::withholding_end(&evs).filter(|end| *end > now)
        && withheld_until.is_some_and(|u| u < end)
    {
        return Err(AppError::refused(
            Reason::WithholdingShortened,
            "the credential is withheld until later: only the legal-affairs office shortens or lifts a withholding",
        ));
    }
    let ev = credential_event::Model {
        credential_id: c.id.clone(),
        seq: evs.last().map(|e| e.seq).unwrap_or(0) + 1,
        kind: kind.into(),
        at_us: now,
        withheld_until_us: withheld_until,
        reason: reason.trim().to_string(),
        actor: ctx.principal.subject.clone(),
    };
    store::credentials::append_event(w.txn(), &ev).await?;
    let c = credential::Model {
        revoked_us: if kind == "REVOKED" {
            Some(now)
        } else {
            c.revoked_us
        },
        withheld_until_us: if kind == "REVOKED" {
            c.withheld_until_us
        } else {
            withheld_until
        },
        ..c
    };
    evs.push(ev);
    let out = convert::credential(c, evs, now);
    w.audit(&out.name, json!({"op": kind, "withheld_until_us": withheld_until, "reason": reason, "status": out.status}))
        .await?;
    w.commit(out).await
}

fn state_err(status: CredentialStatus) -> (Reason, String) {
    let reason = match status {
        CredentialStatus::Revoked => Reason::CredentialRevoked,
        CredentialStatus::Expired => Reason::CredentialExpired,
        CredentialStatus::Withheld => Reason::CredentialWithheld,
        CredentialStatus::NotYetValid => Reason::CredentialNotYetValid,
        _ => Reason::CredentialNotWithheld,
    };
    (
        reason,
        format!(
            "not allowed while the credential is {} (current state)",
            status.as_str_name()
        ),
    )
}

pub async fn withhold_credential(
    reg: &Registry,
    ctx: &Ctx,
    r: WithholdCredentialRequest,
) -> AppResult<Credential> {
    let mut v = Violations::new();
    let until = ts_field(&mut v, r.until.as_ref(), "until");
    if let Some(u) = until {
        v.check(u > Utc::now(), "until", "must be in the future");
    }
    let step = Step {
        name: &r.name,
        kind: "WITHHELD",
        withheld_until: until.map(|u| u.timestamp_micros()),
        reason: &r.reason,
        // A second withholding replaces the first date (extends or shortens
        // it). An expired card may be withheld: the withholding binds its
        // holder, who gets no new card before it ends (withholding_over).
        allowed: |s| match s {
            CredentialStatus::Valid
            | CredentialStatus::Withheld
            | CredentialStatus::NotYetValid
            | CredentialStatus::Expired => Ok(()),
            s => Err(state_err(s)),
        },
    };
    transition(reg, ctx, &r.request_id, &r, step, v).await
}

pub async fn release_credential(
    reg: &Registry,
    ctx: &Ctx,
    r: ReleaseCredentialRequest,
) -> AppResult<Credential> {
    let step = Step {
        name: &r.name,
        kind: "RELEASED",
        withheld_until: None,
        reason: &r.reason,
        allowed: |s| match s {
            CredentialStatus::Withheld => Ok(()),
            s => Err(state_err(s)),
        },
    };
    transition(reg, ctx, &r.request_id, &r, step, Violations::new()).await
}

pub async fn revoke_credential(
    reg: &Registry,
    ctx: &Ctx,
    r: RevokeCredentialRequest,
) -> AppResult<Credential> {
    let step = Step {
        name: &r.name,
        kind: "REVOKED",
        withheld_until: None,
        reason: &r.reason,
        allowed: |s| match s {
            CredentialStatus::Revoked => Err(state_err(s)),
            _ => Ok(()),
        },
    };
    transition(reg, ctx, &r.request_id, &r, step, Violations::new()).await
}
