//! What the public may see without a token: a credential's status by its
//! printed number (the inspected party checks the card shown, Art. 16), the
//! published power list (Art. 5) and each post's responsibilities (Art. 7).
use probity_common::names::page_of;
use std::collections::HashMap;

use super::{Ctx, bodies, powers, us_ts};
use crate::{Registry, mask::mask_name, store, temporal};
use chrono::Utc;
use probity_common::{
    AppError, AppResult, Violations,
    names::{page, top_field},
};
use probity_proto::registry::v1::*;

pub async fn verify_credential(
    reg: &Registry,
    _ctx: &Ctx,
    r: VerifyCredentialRequest,
) -> AppResult<VerifyCredentialResponse> {
    let number = r.number.trim();
    if number.is_empty() || number.len() > 64 {
        return Err(AppError::invalid(
            "number",
            "must be the 1-64 character number printed on the credential",
        ));
    }
    let snap = reg.cache.get(&reg.store).await?;
    let not_found = || AppError::not_found(format!("credential number {number}"));
    // stored in upper case (IssueCredential)
    let c = snap
        .credential_by_number
        .get(number.to_ascii_uppercase().as_str())
        .and_then(|id| snap.credentials.get(id))
        .ok_or_else(not_found)?;
    let evs = snap
        .credential_events
        .get(&c.id)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let holder = snap
        .officers
        .get(&c.holder_id)
        .ok_or_else(|| AppError::internal("credential holder missing"))?;
    let body = snap
        .bodies
        .get(&holder.body_id)
        .ok_or_else(|| AppError::internal("holder's body missing"))?;
    let now_us = Utc::now().timestamp_micros();
    let (mut status, mut withheld_until) = temporal::credential_at(c, evs, now_us);
    // A withholding of another of the holder's cards binds this one too (a
    // renewal issued before the withholding): shown WITHHELD until it ends.
    if status == CredentialStatus::Valid {
        let held = snap
            .credentials_by_holder
            .get(&c.holder_id)
            .into_iter()
            .flatten()
            .filter_map(|id| snap.credential_events.get(id))
            .filter_map(|evs| temporal::holder_withheld_at(evs, now_us))
            .max();
        if held.is_some() {
            status = CredentialStatus::Withheld;
            withheld_until = held;
        }
    }
    // A holder whose enforcement qualification was cancelled (取消执法资格,
    // Art. 20) may not enforce with any card: shown as REVOKED, never VALID.
    if holder.status == OfficerStatus::Disqualified as i32 {
        status = CredentialStatus::Revoked;
        withheld_until = None;
    }
    Ok(VerifyCredentialResponse {
        holder_name_masked: mask_name(&holder.display_name),
        body_display_name: body.display_name.clone(),
        body: format!("bodies/{}", body.id),
        status: status as i32,
        valid_from: us_ts(c.valid_from_us),
        valid_until: us_ts(c.valid_until_us),
        withheld_until: withheld_until.and_then(us_ts),
    })
}

pub async fn list_published_powers(
    reg: &Registry,
    _ctx: &Ctx,
    r: ListPublishedPowersRequest,
) -> AppResult<ListPublishedPowersResponse> {
    let mut v = Violations::new();
    let body_id = top_field(&mut v, &r.body, "bodies", "body");
    let filter = format!("published|{}", r.body);
    let pg = page(&mut v, r.page_size, &r.page_token, &filter);
    v.finish()?;
    let db = &reg.store.db;
    let body = bodies::find_body(db, &body_id).await?;
    let (rows, next_page_token) =
        powers::page_powers(db, &body_id, false, None, &pg, &filter).await?;
    let ids: Vec<String> = rows.iter().map(|p| p.id.clone()).collect();
    let holders = store::post_powers::open_of_powers(db, ids).await?;
    let post_names: HashMap<String, String> = store::bodies::posts_of(db, &body_id)
        .await?
        .into_iter()
        .map(|p| (p.id, p.display_name))
        .collect();
    let list = powers::with_current(db, rows).await?;
    let list = super::major::with_criteria(db, list).await?;
    let powers = list
        .into_iter()
        .map(|p| {
            let id = p.name.rsplit('/').next().unwrap_or_default();
            let mut posts: Vec<String> = holders
                .iter()
                .filter(|h| h.power_id == id)
                .filter_map(|h| post_names.get(&h.post_id).cloned())
                .collect();
            posts.sort();
            PublishedPower {
                code: p.code,
                display_name: p.display_name,
                category: p.category,
                legal_bases: p.legal_bases,
                duty: p.duty,
                flowchart_ref: p.flowchart_ref,
                benchmark: p.benchmark,
                version: p.version,
                posts,
                major_criteria: p.major_criteria,
                time_limit_days: p.time_limit_days,
            }
        })
        .collect();
    Ok(ListPublishedPowersResponse {
        body_display_name: body.display_name,
        powers,
        next_page_token,
    })
}

pub async fn list_published_posts(
    reg: &Registry,
    _ctx: &Ctx,
    r: ListPublishedPostsRequest,
) -> AppResult<ListPublishedPostsResponse> {
    let mut v = Violations::new();
    let body_id = top_field(&mut v, &r.body, "bodies", "body");
    let key = format!("ListPublishedPosts\n{}", r.body);
    let p = page(&mut v, r.page_size, &r.page_token, &key);
    v.finish()?;
    let db = &reg.store.db;
    bodies::find_body(db, &body_id).await?;
    let posts = store::bodies::posts_of(db, &body_id).await?;
    let (posts, next_page_token) = page_of(posts, &p, &key, |x| {
        format!("{}\u{1}{}", x.display_name, x.id)
    });
    let units: HashMap<String, String> = store::bodies::units_of(db, &body_id)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let holds = store::post_powers::open_of_body(db, &body_id).await?;
    // Codes of the powers held, the entrusting body's included (Art. 23).
    let held = holds.iter().map(|h| h.power_id.clone());
    let codes: HashMap<String, String> = store::powers::by_ids(db, held)
        .await?
        .into_iter()
        .map(|p| (p.id, p.code))
        .collect();
    let out = posts
        .into_iter()
        .map(|p| {
            let mut power_codes: Vec<String> = holds
                .iter()
                .filter(|h| h.post_id == p.id)
                .filter_map(|h| codes.get(&h.power_id).cloned())
                .collect();
            power_codes.sort();
            PublishedPost {
                unit_display_name: p
                    .unit_id
                    .as_ref()
                    .and_then(|u| units.get(u).cloned())
                    .unwrap_or_default(),
                display_name: p.display_name,
                responsibilities: p.responsibilities,
                power_codes,
            }
        })
        .collect();
    Ok(ListPublishedPostsResponse {
        posts: out,
        next_page_token,
    })
}
