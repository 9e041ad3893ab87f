//! Bodies (行政执法主体), units (内设执法机构) and posts (执法岗位).
use chrono::Utc;
use probity_common::{
    AppError, AppResult, Violations,
    names::{
        check_request_id, name_or_invalid, nested_field, nested_name, next_token, page, required,
        top_field,
    },
};
use probity_proto::registry::v1::*;
use sea_orm::ConnectionTrait;
use serde_json::json;

use super::Ctx;
use crate::{
    Registry, convert, scope,
    store::{
        self,
        bodies::BodyFilter,
        entities::{body, post, unit},
    },
};

pub(crate) async fn find_body<C: ConnectionTrait>(db: &C, id: &str) -> AppResult<body::Model> {
    store::bodies::body(db, id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("bodies/{id}")))
}

fn region_ok(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

pub async fn create_body(reg: &Registry, ctx: &Ctx, r: CreateBodyRequest) -> AppResult<Body> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    let Some(b) = required(&mut v, r.body.as_ref(), "body") else {
        return Err(v.into_error());
    };
    v.non_empty(&b.display_name, "body.display_name");
    v.max_len(&b.display_name, 200, "body.display_name");
    let kind = probity_common::names::enum_field::<BodyKind>(&mut v, b.kind, "body.kind", false);
    v.check(
        region_ok(&b.region_code),
        "body.region_code",
        "must be a 6-digit administrative division code",
    );
    let parent =
        (!b.parent.is_empty()).then(|| top_field(&mut v, &b.parent, "bodies", "body.parent"));
    if parent.is_none() && kind.is_some_and(|k| k != BodyKind::Government) {
        v.add("body.parent", "is required for every kind but a government");
    }
    let entrusted_by = (!b.entrusted_by.is_empty())
        .then(|| top_field(&mut v, &b.entrusted_by, "bodies", "body.entrusted_by"));
    match kind {
        Some(BodyKind::EntrustedOrganization) if entrusted_by.is_none() => v.add(
            "body.entrusted_by",
            "an entrusted organization must name the body that entrusted it (Art. 23)",
        ),
        Some(k) if k != BodyKind::EntrustedOrganization && entrusted_by.is_some() => v.add(
            "body.entrusted_by",
            "only an entrusted organization has one",
        ),
        _ => {}
    }
    v.finish()?;

    let mut w = begin_write!(reg, ctx, &r.request_id, &r);
    if let Some(p) = &parent {
        find_body(w.txn(), p).await?;
    }
    if let Some(e) = &entrusted_by {
        find_body(w.txn(), e).await?;
    }
    let m = body::Model {
        id: probity_common::names::new_id(),
        display_name: b.display_name.trim().to_string(),
        kind: b.kind,
        parent_id: parent,
        entrusted_by,
        region_code: b.region_code.clone(),
        vertically_managed: b.vertically_managed,
        created_us: Utc::now().timestamp_micros(),
    };
    store::bodies::insert_body(w.txn(), &m).await?;
    store::revisions::insert_body_revision(w.txn(), &m, 1, "created", &ctx.principal.subject)
        .await?;
    let out = convert::body(m);
    w.audit(
        &out.name,
        json!({"op": "create_body", "body": {
        "display_name": out.display_name, "kind": out.kind, "parent": out.parent,
        "entrusted_by": out.entrusted_by, "region_code": out.region_code,
        "vertically_managed": out.vertically_managed}}),
    )
    .await?;
    w.commit(out).await
}

pub async fn get_body(reg: &Registry, ctx: &Ctx, r: GetBodyRequest) -> AppResult<Body> {
    let id = name_or_invalid(&r.name, "bodies")?;
    let m = find_body(&reg.store.db, &id).await?;
    scope::ensure(&reg.store.db, &ctx.principal, &id).await?;
    Ok(convert::body(m))
}

pub async fn list_bodies(
    reg: &Registry,
    ctx: &Ctx,
    r: ListBodiesRequest,
) -> AppResult<ListBodiesResponse> {
    let mut v = Violations::new();
    let parent = (!r.parent.is_empty()).then(|| top_field(&mut v, &r.parent, "bodies", "parent"));
    let kind = probity_common::names::enum_field::<BodyKind>(&mut v, r.kind, "kind", true);
    let filter = format!("bodies|{}|{}", r.parent, r.kind);
    let pg = page(&mut v, r.page_size, &r.page_token, &filter);
    v.finish()?;
    let db = &reg.store.db;
    let f = BodyFilter {
        parent: parent.as_deref(),
        kind: kind
            .is_some_and(|k| k != BodyKind::Unspecified)
            .then_some(r.kind),
        within: scope::visible(db, &ctx.principal).await?,
    };
    let rows = store::bodies::list_bodies(db, f, &pg).await?;
    let last = rows.last().map(|b| b.id.clone());
    let next_page_token = next_token(rows.len(), &pg, last.as_deref(), &filter);
    Ok(ListBodiesResponse {
        bodies: rows.into_iter().map(convert::body).collect(),
        next_page_token,
    })
}

pub async fn create_unit(reg: &Registry, ctx: &Ctx, r: CreateUnitRequest) -> AppResult<Unit> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    let body_id = top_field(&mut v, &r.parent, "bodies", "parent");
    let Some(u) = required(&mut v, r.unit.as_ref(), "unit") else {
        return Err(v.into_error());
    };
    v.non_empty(&u.display_name, "unit.display_name");
    v.max_len(&u.display_name, 200, "unit.display_name");
    v.finish()?;
    let mut w = begin_write!(reg, ctx, &r.request_id, &r);
    find_body(w.txn(), &body_id).await?;
    scope::ensure(w.txn(), &ctx.principal, &body_id).await?;
    let m = unit::Model {
        id: probity_common::names::new_id(),
        body_id,
        display_name: u.display_name.trim().to_string(),
        created_us: Utc::now().timestamp_micros(),
    };
    store::bodies::insert_unit(w.txn(), &m).await?;
    let out = convert::unit(m);
    w.audit(
        &out.name,
        json!({"op": "create_unit", "display_name": out.display_name}),
    )
    .await?;
    w.commit(out).await
}

pub async fn list_units(
    reg: &Registry,
    ctx: &Ctx,
    r: ListUnitsRequest,
) -> AppResult<ListUnitsResponse> {
    let mut v = Violations::new();
    let body_id = top_field(&mut v, &r.parent, "bodies", "parent");
    let filter = format!("units|{}", r.parent);
    let pg = page(&mut v, r.page_size, &r.page_token, &filter);
    v.finish()?;
    let db = &reg.store.db;
    find_body(db, &body_id).await?;
    scope::ensure(db, &ctx.principal, &body_id).await?;
    let rows = store::bodies::list_units(db, &body_id, &pg).await?;
    let last = rows.last().map(|b| b.id.clone());
    let next_page_token = next_token(rows.len(), &pg, last.as_deref(), &filter);
    Ok(ListUnitsResponse {
        units: rows.into_iter().map(convert::unit).collect(),
        next_page_token,
    })
}

pub async fn create_post(reg: &Registry, ctx: &Ctx, r: CreatePostRequest) -> AppResult<Post> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    let body_id = top_field(&mut v, &r.parent, "bodies", "parent");
    let mut unit_id = None;
    let Some(p) = required(&mut v, r.post.as_ref(), "post") else {
        return Err(v.into_error());
    };
    {
        v.non_empty(&p.display_name, "post.display_name");
        v.max_len(&p.display_name, 200, "post.display_name");
        v.non_empty(&p.responsibilities, "post.responsibilities");
        v.max_len(&p.responsibilities, 20_000, "post.responsibilities");
        v.check(
            p.powers.is_empty(),
            "post.powers",
            "is output only: use SetPostPowers",
        );
        if !p.unit.is_empty() {
            let (b, u) = nested_field(&mut v, &p.unit, "units", "post.unit");
            v.check(
                b == body_id || u.is_empty(),
                "post.unit",
                "must be a unit of the same body",
            );
            unit_id = Some(u);
        }
    }
    v.finish()?;
    let mut w = begin_write!(reg, ctx, &r.request_id, &r);
    find_body(w.txn(), &body_id).await?;
    scope::ensure(w.txn(), &ctx.principal, &body_id).await?;
    if let Some(u) = &unit_id {
        let found = store::bodies::unit(w.txn(), u).await?;
        if found.is_none_or(|x| x.body_id != body_id) {
            return Err(AppError::not_found(p.unit.clone()));
        }
    }
    let m = post::Model {
        id: probity_common::names::new_id(),
        body_id,
        unit_id,
        display_name: p.display_name.trim().to_string(),
        responsibilities: p.responsibilities.clone(),
        created_us: Utc::now().timestamp_micros(),
    };
    store::bodies::insert_post(w.txn(), &m).await?;
    store::revisions::insert_post_revision(w.txn(), &m, 1, "created", &ctx.principal.subject)
        .await?;
    let out = convert::post(m, &[]);
    w.audit(
        &out.name,
        json!({"op": "create_post", "display_name": out.display_name, "unit": out.unit,
        "responsibilities": out.responsibilities}),
    )
    .await?;
    w.commit(out).await
}

/// Names of the powers a post holds now (open intervals), sorted.
pub(crate) async fn current_post_powers<C: ConnectionTrait>(
    db: &C,
    post_id: &str,
) -> AppResult<Vec<String>> {
    let ids = store::post_powers::open_power_ids(db, post_id).await?;
    // The power's own body names it: an entrusted organization's post holds
    // the entrusting body's powers.
    let mut names: Vec<String> = store::powers::by_ids(db, ids)
        .await?
        .into_iter()
        .map(|p| nested_name(&p.body_id, "powers", &p.id))
        .collect();
    names.sort();
    Ok(names)
}

pub(crate) async fn load_post<C: ConnectionTrait>(
    db: &C,
    name: &str,
    field: &str,
) -> AppResult<post::Model> {
    let mut v = Violations::new();
    let (body_id, id) = nested_field(&mut v, name, "posts", field);
    v.finish()?;
    match store::bodies::post(db, &id).await? {
        Some(p) if p.body_id == body_id => Ok(p),
        _ => Err(AppError::not_found(name.to_string())),
    }
}

pub async fn get_post(reg: &Registry, ctx: &Ctx, r: GetPostRequest) -> AppResult<Post> {
    let db = &reg.store.db;
    let p = load_post(db, &r.name, "name").await?;
    scope::ensure(db, &ctx.principal, &p.body_id).await?;
    let powers = current_post_powers(db, &p.id).await?;
    Ok(convert::post(p, &powers))
}

pub async fn list_posts(
    reg: &Registry,
    ctx: &Ctx,
    r: ListPostsRequest,
) -> AppResult<ListPostsResponse> {
    let mut v = Violations::new();
    let body_id = top_field(&mut v, &r.parent, "bodies", "parent");
    let filter = format!("posts|{}", r.parent);
    let pg = page(&mut v, r.page_size, &r.page_token, &filter);
    v.finish()?;
    let db = &reg.store.db;
    find_body(db, &body_id).await?;
    scope::ensure(db, &ctx.principal, &body_id).await?;
    let rows = store::bodies::list_posts(db, &body_id, &pg).await?;
    let last = rows.last().map(|b| b.id.clone());
    let next_page_token = next_token(rows.len(), &pg, last.as_deref(), &filter);
    let mut posts = Vec::with_capacity(rows.len());
    for p in rows {
        let powers = current_post_powers(db, &p.id).await?;
        posts.push(convert::post(p, &powers));
    }
    Ok(ListPostsResponse {
        posts,
        next_page_token,
    })
}
