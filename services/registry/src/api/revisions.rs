//! Corrections to bodies and posts: each is a new revision, the old ones stay
//! readable, and each says why.
use probity_common::{
    AppError, AppResult, Reason, Violations,
    names::{check_request_id, name_or_invalid, nested_field, page, page_of, required, top_field},
};
use probity_proto::registry::v1::*;
use serde_json::json;

use super::{Ctx, bodies, us_ts};
use crate::{Registry, convert, scope, store};

/// The paths of `mask`, each checked against `allowed`.
fn mask_paths(
    v: &mut Violations,
    mask: Option<&prost_types::FieldMask>,
    allowed: &[&str],
) -> Vec<String> {
    let paths = mask.map(|m| m.paths.clone()).unwrap_or_default();
    v.check(
        !paths.is_empty(),
        "update_mask",
        format!("name at least one of: {}", allowed.join(", ")),
    );
    if !v.max_items(paths.len(), allowed.len(), "update_mask.paths") {
        return Vec::new();
    }
    for (i, p) in paths.iter().enumerate() {
        v.check(
            allowed.contains(&p.as_str()),
            format!("update_mask.paths[{i}]"),
            format!("must be one of: {}", allowed.join(", ")),
        );
    }
    paths
}

pub async fn update_body(reg: &Registry, ctx: &Ctx, r: UpdateBodyRequest) -> AppResult<Body> {
    const ALLOWED: &[&str] = &["display_name", "region_code", "vertically_managed"];
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    let Some(b) = required(&mut v, r.body.as_ref(), "body") else {
        return Err(v.into_error());
    };
    let id = top_field(&mut v, &b.name, "bodies", "body.name");
    let paths = mask_paths(&mut v, r.update_mask.as_ref(), ALLOWED);
    if paths.iter().any(|p| p == "display_name") {
        v.non_empty(&b.display_name, "body.display_name");
        v.max_len(&b.display_name, 200, "body.display_name");
    }
    if paths.iter().any(|p| p == "region_code") {
        v.check(
            b.region_code.len() == 6 && b.region_code.bytes().all(|c| c.is_ascii_digit()),
            "body.region_code",
            "must be a 6-digit administrative division code",
        );
    }
    v.non_empty(&r.reason, "reason");
    v.finish()?;

    let mut w = begin_write!(reg, ctx, &r.request_id, &r);
    let cur = bodies::find_body(w.txn(), &id).await?;
    let mut next = cur.clone();
    for p in &paths {
        match p.as_str() {
            "display_name" => next.display_name = b.display_name.trim().to_string(),
            "region_code" => next.region_code = b.region_code.clone(),
            _ => next.vertically_managed = b.vertically_managed,
        }
    }
    if next == cur {
        return Err(AppError::refused(
            Reason::NoChange,
            "the body already reads like this",
        ));
    }
    let rev = store::revisions::next_body_revision(w.txn(), &id).await?;
    let (reason, actor) = (r.reason.trim(), &ctx.principal.subject);
    store::revisions::insert_body_revision(w.txn(), &next, rev, reason, actor).await?;
    store::bodies::update_body(w.txn(), &next).await?;
    let out = convert::body(next);
    w.audit(&out.name, json!({"op": "update_body", "revision": rev, "display_name": out.display_name,
        "region_code": out.region_code, "vertically_managed": out.vertically_managed, "reason": r.reason}))
        .await?;
    w.commit(out).await
}

pub async fn list_body_revisions(
    reg: &Registry,
    ctx: &Ctx,
    r: ListBodyRevisionsRequest,
) -> AppResult<ListBodyRevisionsResponse> {
    let mut v = Violations::new();
    let key = format!("ListBodyRevisions\n{}", r.name);
    let p = page(&mut v, r.page_size, &r.page_token, &key);
    v.finish()?;
    let id = name_or_invalid(&r.name, "bodies")?;
    let db = &reg.store.db;
    bodies::find_body(db, &id).await?;
    scope::ensure(db, &ctx.principal, &id).await?;
    let rows = store::revisions::body_revisions(db, &id).await?;
    let (rows, next_page_token) = page_of(rows, &p, &key, |x| format!("{:010}", x.revision));
    Ok(ListBodyRevisionsResponse {
        next_page_token,
        revisions: rows
            .into_iter()
            .map(|x| BodyRevision {
                revision: x.revision,
                display_name: x.display_name,
                region_code: x.region_code,
                vertically_managed: x.vertically_managed,
                reason: x.reason,
                actor: x.actor,
                time: us_ts(x.recorded_us),
            })
            .collect(),
    })
}

pub async fn update_post(reg: &Registry, ctx: &Ctx, r: UpdatePostRequest) -> AppResult<Post> {
    const ALLOWED: &[&str] = &["display_name", "unit", "responsibilities"];
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    let Some(p) = required(&mut v, r.post.as_ref(), "post") else {
        return Err(v.into_error());
    };
    let (body_id, _) = nested_field(&mut v, &p.name, "posts", "post.name");
    let paths = mask_paths(&mut v, r.update_mask.as_ref(), ALLOWED);
    let mut unit_id = None;
    for path in &paths {
        match path.as_str() {
            "display_name" => {
                v.non_empty(&p.display_name, "post.display_name");
                v.max_len(&p.display_name, 200, "post.display_name");
            }
            "responsibilities" => {
                v.non_empty(&p.responsibilities, "post.responsibilities");
                v.max_len(&p.responsibilities, 20_000, "post.responsibilities");
            }
            "unit" if !p.unit.is_empty() => {
                let (b, u) = nested_field(&mut v, &p.unit, "units", "post.unit");
                v.check(
                    u.is_empty() || b == body_id,
                    "post.unit",
                    "must be a unit of the same body",
                );
                unit_id = Some(u);
            }
            _ => {}
        }
    }
    v.non_empty(&r.reason, "reason");
    v.finish()?;

    let mut w = begin_write!(reg, ctx, &r.request_id, &r);
    let cur = bodies::load_post(w.txn(), &p.name, "post.name").await?;
    scope::ensure(w.txn(), &ctx.principal, &cur.body_id).await?;
    if let Some(u) = &unit_id {
        let found = store::bodies::unit(w.txn(), u).await?;
        if found.is_none_or(|x| x.body_id != cur.body_id) {
            return Err(AppError::not_found(p.unit.clone()));
        }
    }
    let mut next = cur.clone();
    for path in &paths {
        match path.as_str() {
            "display_name" => next.display_name = p.display_name.trim().to_string(),
            "responsibilities" => next.responsibilities = p.responsibilities.clone(),
            _ => next.unit_id = unit_id.clone(),
        }
    }
    if next == cur {
        return Err(AppError::refused(
            Reason::NoChange,
            "the post already reads like this",
        ));
    }
    let rev = store::revisions::next_post_revision(w.txn(), &cur.id).await?;
    let (reason, actor) = (r.reason.trim(), &ctx.principal.subject);
    store::revisions::insert_post_revision(w.txn(), &next, rev, reason, actor).await?;
    store::bodies::update_post(w.txn(), &next).await?;
    let powers = bodies::current_post_powers(w.txn(), &cur.id).await?;
    let out = convert::post(next, &powers);
    w.audit(
        &out.name,
        json!({"op": "update_post", "revision": rev, "display_name": out.display_name,
        "unit": out.unit, "responsibilities": out.responsibilities, "reason": r.reason}),
    )
    .await?;
    w.commit(out).await
}

pub async fn list_post_revisions(
    reg: &Registry,
    ctx: &Ctx,
    r: ListPostRevisionsRequest,
) -> AppResult<ListPostRevisionsResponse> {
    let mut v = Violations::new();
    let key = format!("ListPostRevisions\n{}", r.name);
    let pg = page(&mut v, r.page_size, &r.page_token, &key);
    v.finish()?;
    let db = &reg.store.db;
    let p = bodies::load_post(db, &r.name, "name").await?;
    scope::ensure(db, &ctx.principal, &p.body_id).await?;
    let rows = store::revisions::post_revisions(db, &p.id).await?;
    let (rows, next_page_token) = page_of(rows, &pg, &key, |x| format!("{:010}", x.revision));
    Ok(ListPostRevisionsResponse {
        next_page_token,
        revisions: rows
            .into_iter()
            .map(|x| PostRevision {
                revision: x.revision,
                display_name: x.display_name,
                unit: x
                    .unit_id
                    .map(|u| probity_common::names::nested_name(&p.body_id, "units", &u))
                    .unwrap_or_default(),
                responsibilities: x.responsibilities,
                reason: x.reason,
                actor: x.actor,
                time: us_ts(x.recorded_us),
            })
            .collect(),
    })
}
