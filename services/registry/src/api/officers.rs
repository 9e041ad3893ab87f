//! Officers (行政执法人员) and auxiliary staff (行政执法辅助人员): who they
//! are, where they serve, and every move, as an append-only history.
use std::collections::BTreeSet;

use chrono::Utc;
use probity_common::{
    AppError, AppResult, MAX_TEXT, Reason, Violations,
    auth::Role,
    names::{
        check_request_id, enum_field, name_or_invalid, nested_field, next_token, page, required,
        top_field,
    },
};
use probity_proto::registry::v1::*;
use sea_orm::ConnectionTrait;
use serde_json::json;

use super::{Ctx, bodies, late};
use crate::{
    Registry, convert, national_id, scope,
    store::{
        self,
        entities::{officer, officer_event},
        officers::OfficerFilter,
    },
};

pub(crate) async fn load_officer<C: ConnectionTrait>(
    db: &C,
    name: &str,
    field: &str,
) -> AppResult<officer::Model> {
    let id = probity_common::names::parse_top(name, "officers")
        .ok_or_else(|| AppError::invalid(field, "must be a resource name officers/{id}"))?;
    store::officers::officer(db, &id)
        .await?
        .ok_or_else(|| AppError::not_found(name.to_string()))
}

/// Posts one officer may hold at once.
const MAX_POSTS: usize = 100;

/// Post ids from names, checked to be well-formed, distinct and of `body_id`.
fn post_ids(v: &mut Violations, names: &[String], body_id: &str, field: &str) -> Vec<String> {
    let mut seen = BTreeSet::new();
    if !v.max_items(names.len(), MAX_POSTS, field) {
        return Vec::new();
    }
    for (i, n) in names.iter().enumerate() {
        let f = format!("{field}[{i}]");
        let (b, id) = nested_field(v, n, "posts", &f);
        if id.is_empty() {
            continue;
        }
        if !body_id.is_empty() && b != body_id {
            v.add(&f, "must be a post of the officer's body");
        }
        if !seen.insert(id) {
            v.add(&f, "appears twice");
        }
    }
    seen.into_iter().collect()
}

/// Every post must exist in `body_id`.
async fn posts_exist<C: ConnectionTrait>(db: &C, ids: &[String], body_id: &str) -> AppResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let found = store::bodies::posts_found(db, ids, body_id).await?;
    match ids.iter().find(|id| !found.contains(*id)) {
        Some(missing) => Err(AppError::not_found(format!(
            "bodies/{body_id}/posts/{missing}"
        ))),
        None => Ok(()),
    }
}

struct Change<'a> {
    kind: &'static str,
    effective_us: i64,
    /// The caller said when (effective_time); else it takes effect now.
    given: bool,
    body_id: &'a str,
    status: i32,
    posts: &'a [String],
    reason: &'a str,
}

/// Appends an event to the officer's history, moves the current state, audits.
async fn record(
    w: &mut probity_common::store::Write<'_>,
    ctx: &Ctx,
    o: &officer::Model,
    c: Change<'_>,
) -> AppResult<Officer> {
    // A change that did not say when takes effect now, and now is never
    // before the last recorded change (a replica's clock behind another's,
    // a change dated a moment ahead): refusing it would drop it, a sanction
    // among them.
    let effective_us = if c.given {
        c.effective_us
    } else {
        c.effective_us.max(o.last_effective_us)
    };
    if effective_us < o.last_effective_us {
        return Err(AppError::refused(
            Reason::HistoryOutOfOrder,
            "effective_time is before the officer's last recorded change",
        ));
    }
    let posts_json = serde_json::to_string(c.posts).map_err(AppError::internal)?;
    let ev = officer_event::Model {
        officer_id: o.id.clone(),
        seq: store::officers::next_event_seq(w.txn(), &o.id).await?,
        kind: c.kind.to_string(),
        effective_us,
        recorded_us: Utc::now().timestamp_micros(),
        body_id: c.body_id.to_string(),
        status: c.status,
        posts: posts_json.clone(),
        reason: c.reason.to_string(),
        actor: ctx.principal.subject.clone(),
        actor_role: Some(ctx.principal.role.as_str().to_string()),
    };
    store::officers::append_event(w.txn(), &ev).await?;
    let updated = officer::Model {
        body_id: c.body_id.to_string(),
        status: c.status,
        posts: posts_json,
        last_effective_us: effective_us,
        ..o.clone()
    };
    let out = convert::officer(updated);
    w.audit(
        &out.name,
        json!({"op": c.kind, "seq": ev.seq, "display_name": out.display_name, "kind": out.kind,
        "body": out.body, "status": c.status, "posts": out.posts, "effective_us": effective_us,
        "reason": c.reason}),
    )
    .await?;
    Ok(out)
}

pub async fn create_officer(
    reg: &Registry,
    ctx: &Ctx,
    r: CreateOfficerRequest,
) -> AppResult<Officer> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    let Some(o) = required(&mut v, r.officer.as_ref(), "officer") else {
        return Err(v.into_error());
    };
    v.non_empty(&o.display_name, "officer.display_name");
    v.max_len(&o.display_name, 100, "officer.display_name");
    enum_field::<OfficerKind>(&mut v, o.kind, "officer.kind", false);
    let body_id = top_field(&mut v, &o.body, "bodies", "officer.body");
    let posts = post_ids(&mut v, &o.posts, &body_id, "officer.posts");
    v.check(
        o.status == 0,
        "officer.status",
        "is output only: officers start ACTIVE",
    );
    let nid = national_id::normalize(&o.national_id).unwrap_or_else(|why| {
        v.add("officer.national_id", why);
        String::new()
    });
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
    let hmac = national_id::hmac(&reg.national_id_key, &nid);

    let mut w = begin_write!(reg, ctx, &r.request_id, &r);
    bodies::find_body(w.txn(), &body_id).await?;
    scope::ensure(w.txn(), &ctx.principal, &body_id).await?;
    posts_exist(w.txn(), &posts, &body_id).await?;
    // The person as registered elsewhere: refused only where the caller can
    // see that registration (FindOfficerByNationalId would show it); where it
    // cannot, registered as asked, as for anyone new, so that no answer tells
    // a department where a person serves and no body that registered a person
    // first locks out the body they really serve. The office, which sees every
    // body, resolves two registrations of one person with TransferOfficer
    // and SetOfficerStatus; the audit chain records the pair.
    let same = store::officers::by_national_id(w.txn(), &hmac).await?;
    for other in &same {
        if scope::ensure(w.txn(), &ctx.principal, &other.body_id)
            .await
            .is_ok()
        {
            return Err(AppError::refused(
                Reason::OfficerExists,
                "an officer with this national ID number is already registered",
            ));
        }
    }
    // A sanction follows the person: a second registration starts no
    // lighter than the heaviest status imposed on the person (the one fact
    // it shows, and one a body must know before it deploys them). A status a
    // department set on its own registration does not follow: it would let
    // one body bar another's officer.
    let mut status = OfficerStatus::Active as i32;
    for other in &same {
        if status_weight(other.status) > status_weight(status)
            && status_set_by(w.txn(), reg.store.chain.prefix(), other)
                .await?
                .as_deref()
                != Some(Role::Department.as_str())
        {
            status = other.status;
        }
    }
    let m = officer::Model {
        id: probity_common::names::new_id(),
        display_name: o.display_name.trim().to_string(),
        kind: o.kind,
        body_id: body_id.clone(),
        status,
        national_id_hmac: hmac,
        posts: "[]".into(),
        created_us: now.timestamp_micros(),
        last_effective_us: i64::MIN,
    };
    store::officers::insert(w.txn(), &m).await?;
    let name = format!("officers/{}", m.id);
    late::record_if(&mut w, ctx, &late, &name, &body_id, eff).await?;
    let c = Change {
        kind: "CREATED",
        effective_us: eff,
        given: r.effective_time.is_some(),
        body_id: &body_id,
        status,
        posts: &posts,
        reason: "",
    };
    let mut out = record(&mut w, ctx, &m, c).await?;
    if !same.is_empty() {
        let others: Vec<String> = same.iter().map(|o| format!("officers/{}", o.id)).collect();
        w.audit(
            &name,
            json!({"op": "REGISTERED_BESIDE", "same_person_as": others}),
        )
        .await?;
    }
    out.create_time = super::us_ts(m.created_us);
    w.commit(out).await
}

pub async fn get_officer(reg: &Registry, ctx: &Ctx, r: GetOfficerRequest) -> AppResult<Officer> {
    let db = &reg.store.db;
    name_or_invalid(&r.name, "officers")?;
    let o = load_officer(db, &r.name, "name").await?;
    scope::ensure(db, &ctx.principal, &o.body_id).await?;
    Ok(convert::officer(o))
}

pub async fn list_officers(
    reg: &Registry,
    ctx: &Ctx,
    r: ListOfficersRequest,
) -> AppResult<ListOfficersResponse> {
    let mut v = Violations::new();
    let body_id = (!r.body.is_empty()).then(|| top_field(&mut v, &r.body, "bodies", "body"));
    enum_field::<OfficerStatus>(&mut v, r.status, "status", true);
    enum_field::<OfficerKind>(&mut v, r.kind, "kind", true);
    let filter = format!("officers|{}|{}|{}", r.body, r.status, r.kind);
    let pg = page(&mut v, r.page_size, &r.page_token, &filter);
    v.finish()?;
    let db = &reg.store.db;
    let within = match &body_id {
        Some(b) => {
            scope::ensure(db, &ctx.principal, b).await?;
            None
        }
        None => scope::visible(db, &ctx.principal).await?,
    };
    let f = OfficerFilter {
        body: body_id,
        within,
        status: (r.status != 0).then_some(r.status),
        kind: (r.kind != 0).then_some(r.kind),
    };
    let rows = store::officers::list(db, f, &pg).await?;
    let last = rows.last().map(|o| o.id.clone());
    let next_page_token = next_token(rows.len(), &pg, last.as_deref(), &filter);
    Ok(ListOfficersResponse {
        officers: rows.into_iter().map(convert::officer).collect(),
        next_page_token,
    })
}

pub async fn find_by_national_id(
    reg: &Registry,
    ctx: &Ctx,
    r: FindOfficerByNationalIdRequest,
) -> AppResult<Officer> {
    let nid = national_id::normalize(&r.national_id)
        .map_err(|why| AppError::invalid("national_id", why))?;
    let hmac = national_id::hmac(&reg.national_id_key, &nid);
    let db = &reg.store.db;
    // Out of scope looks the same as absent: a department must not learn that
    // a citizen serves as an officer somewhere else. Of a person registered
    // by two bodies, the caller sees the registration it may see (the
    // office: the earliest).
    for o in store::officers::by_national_id(db, &hmac).await? {
        if scope::ensure(db, &ctx.principal, &o.body_id).await.is_ok() {
            return Ok(convert::officer(o));
        }
    }
    Err(AppError::not_found("officer with this national ID number"))
}

pub async fn set_officer_posts(
    reg: &Registry,
    ctx: &Ctx,
    r: SetOfficerPostsRequest,
) -> AppResult<Officer> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    top_field(&mut v, &r.officer, "officers", "officer");
    post_ids(&mut v, &r.posts, "", "posts");
    v.max_len(&r.reason, MAX_TEXT, "reason");
    let (eff, late) = late::dated(
        reg,
        ctx,
        &mut v,
        r.effective_time.as_ref(),
        Utc::now(),
        (&r.reason, "reason"),
    );
    v.finish()?;
    let late = late.allowed()?;
    let mut w = begin_write!(reg, ctx, &r.request_id, &r);
    let o = load_officer(w.txn(), &r.officer, "officer").await?;
    scope::ensure(w.txn(), &ctx.principal, &o.body_id).await?;
    let mut v = Violations::new();
    let posts = post_ids(&mut v, &r.posts, &o.body_id, "posts");
    v.finish()?;
    posts_exist(w.txn(), &posts, &o.body_id).await?;
    if posts == convert::post_ids(&o.posts) {
        return Err(AppError::refused(
            Reason::NoChange,
            "the officer already holds exactly these posts",
        ));
    }
    let c = Change {
        kind: "POSTS_CHANGED",
        effective_us: eff,
        given: r.effective_time.is_some(),
        body_id: &o.body_id,
        status: o.status,
        posts: &posts,
        reason: &r.reason,
    };
    late::record_if(&mut w, ctx, &late, &r.officer, &o.body_id, eff).await?;
    let out = record(&mut w, ctx, &o, c).await?;
    w.commit(out).await
}

pub async fn set_officer_status(
    reg: &Registry,
    ctx: &Ctx,
    r: SetOfficerStatusRequest,
) -> AppResult<Officer> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    top_field(&mut v, &r.officer, "officers", "officer");
    enum_field::<OfficerStatus>(&mut v, r.status, "status", false);
    v.non_empty(&r.reason, "reason");
    let (eff, late) = late::dated(
        reg,
        ctx,
        &mut v,
        r.effective_time.as_ref(),
        Utc::now(),
        (&r.reason, "reason"),
    );
    v.finish()?;
    let late = late.allowed()?;
    let mut w = begin_write!(reg, ctx, &r.request_id, &r);
    let o = load_officer(w.txn(), &r.officer, "officer").await?;
    scope::ensure(w.txn(), &ctx.principal, &o.body_id).await?;
    if o.status == OfficerStatus::Disqualified as i32 {
        return Err(AppError::refused(
            Reason::OfficerDisqualified,
            "the officer's enforcement qualification was cancelled; the status is final (current state DISQUALIFIED)",
        ));
    }
    if o.status == r.status {
        // The legal-affairs office (or accountability) imposing as a sanction
        // a status the department set itself: recorded with its role, so the
        // department can no longer lift it. Anything else changes nothing.
        let reimposed = ctx.principal.role != Role::Department
            && sanction_label(o.status).is_some()
            && status_set_by(w.txn(), reg.store.chain.prefix(), &o)
                .await?
                .as_deref()
                == Some(Role::Department.as_str());
        if !reimposed {
            return Err(AppError::refused(
                Reason::NoChange,
                "the officer already has this status",
            ));
        }
    }
    // A department may not undo a sanction: what the legal-affairs office (or
    // the accountability service) imposed, only they lift, as with a
    // withheld credential (ReleaseCredential is `Lift`).
    if ctx.principal.role == Role::Department
        && let Some(label) = sanction_label(o.status)
    {
        let prefix = reg.store.chain.prefix();
        let set_by = status_set_by(w.txn(), prefix, &o).await?;
        if set_by.as_deref() != Some(Role::Department.as_str()) {
            return Err(AppError::refused(
                Reason::SanctionStatus,
                format!(
                    "the officer's status {label} was imposed as a sanction; \
                     only the legal-affairs office can lift it"
                ),
            ));
        }
    }
    // Nor may a service (accountability applies sanctions, it lifts none):
    // one leaked service token must not restore a sanctioned officer.
    if ctx.principal.role == Role::Service && status_weight(r.status) < status_weight(o.status) {
        return Err(AppError::refused(
            Reason::SanctionStatus,
            "a service does not lift a sanction; only the legal-affairs office can",
        ));
    }
    let posts = convert::post_ids(&o.posts);
    let c = Change {
        kind: "STATUS_CHANGED",
        effective_us: eff,
        given: r.effective_time.is_some(),
        body_id: &o.body_id,
        status: r.status,
        posts: &posts,
        reason: &r.reason,
    };
    late::record_if(&mut w, ctx, &late, &r.officer, &o.body_id, eff).await?;
    let out = record(&mut w, ctx, &o, c).await?;
    // A sanction follows the person into every body that registered them
    // (m0006), so a second registration is no way out of one. A
    // department's own status change stays on its own registration.
    if ctx.principal.role != Role::Department && status_weight(r.status) > 0 {
        let why = format!("follows {}: {}", r.officer, r.reason);
        for s in store::officers::by_national_id(w.txn(), &o.national_id_hmac).await? {
            if s.id == o.id || status_weight(s.status) >= status_weight(r.status) {
                continue;
            }
            let posts = convert::post_ids(&s.posts);
            let c = Change {
                kind: "STATUS_CHANGED",
                effective_us: eff,
                given: false,
                body_id: &s.body_id,
                status: r.status,
                posts: &posts,
                reason: &why,
            };
            record(&mut w, ctx, &s, c).await?;
        }
    }
    w.commit(out).await
}

/// How heavy a status is: a sanction never gives way to a lighter one but
/// by the legal-affairs office (accountability's effects.rs orders them alike).
fn status_weight(status: i32) -> u8 {
    match OfficerStatus::try_from(status) {
        Ok(OfficerStatus::OffPostTraining) => 1,
        Ok(OfficerStatus::TransferredOut) => 2,
        Ok(OfficerStatus::Disqualified) => 3,
        _ => 0,
    }
}

/// The statuses accountability imposes as sanctions (离岗培训, 调离行政执法岗位),
/// by name; `None` for the others. DISQUALIFIED is final for everyone.
fn sanction_label(status: i32) -> Option<&'static str> {
    match OfficerStatus::try_from(status).ok()? {
        OfficerStatus::OffPostTraining => Some("OFF_POST_TRAINING (离岗培训)"),
        OfficerStatus::TransferredOut => Some("TRANSFERRED_OUT (调离行政执法岗位)"),
        _ => None,
    }
}

/// The role that set the officer's current status: the one of its last
/// STATUS_CHANGED event (transfers and post changes carry the status over).
/// Events recorded before the role was kept with them (m0002) take it from
/// their audit entry, which records every change with its caller's role.
/// `None` when neither says, which callers must treat as a sanction.
async fn status_set_by<C: ConnectionTrait>(
    db: &C,
    chain_prefix: &str,
    o: &officer::Model,
) -> AppResult<Option<String>> {
    let Some(ev) = store::officers::last_status_change(db, &o.id).await? else {
        return Ok(None);
    };
    if ev.status != o.status {
        return Ok(None);
    }
    if ev.actor_role.is_some() {
        return Ok(ev.actor_role);
    }
    let entity = format!("officers/{}", o.id);
    store::officers::status_change_role(db, chain_prefix, &entity, ev.seq).await
}

pub async fn transfer_officer(
    reg: &Registry,
    ctx: &Ctx,
    r: TransferOfficerRequest,
) -> AppResult<Officer> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    top_field(&mut v, &r.officer, "officers", "officer");
    let to = top_field(&mut v, &r.to_body, "bodies", "to_body");
    let posts = post_ids(&mut v, &r.posts, &to, "posts");
    v.non_empty(&r.reason, "reason");
    let (eff, late) = late::dated(
        reg,
        ctx,
        &mut v,
        r.effective_time.as_ref(),
        Utc::now(),
        (&r.reason, "reason"),
    );
    v.finish()?;
    let late = late.allowed()?;
    let mut w = begin_write!(reg, ctx, &r.request_id, &r);
    let o = load_officer(w.txn(), &r.officer, "officer").await?;
    scope::ensure(w.txn(), &ctx.principal, &o.body_id).await?;
    bodies::find_body(w.txn(), &to).await?;
    scope::ensure(w.txn(), &ctx.principal, &to).await?;
    if o.body_id == to {
        return Err(AppError::refused(
            Reason::SameBody,
            "the officer already serves in this body",
        ));
    }
    posts_exist(w.txn(), &posts, &to).await?;
    let c = Change {
        kind: "TRANSFERRED",
        effective_us: eff,
        given: r.effective_time.is_some(),
        body_id: &to,
        status: o.status,
        posts: &posts,
        reason: &r.reason,
    };
    late::record_if(&mut w, ctx, &late, &r.officer, &to, eff).await?;
    let out = record(&mut w, ctx, &o, c).await?;
    w.commit(out).await
}

pub async fn get_officer_history(
    reg: &Registry,
    ctx: &Ctx,
    r: GetOfficerHistoryRequest,
) -> AppResult<GetOfficerHistoryResponse> {
    let db = &reg.store.db;
    let o = load_officer(db, &r.officer, "officer").await?;
    scope::ensure(db, &ctx.principal, &o.body_id).await?;
    let events = store::officers::events(db, &o.id).await?;
    Ok(GetOfficerHistoryResponse {
        events: convert::officer_events(events),
    })
}
