//! Loads what CheckActors needs, then lets [`crate::check::evaluate`] decide.
use std::collections::HashMap;

use probity_common::{
    AppResult, Violations,
    names::{nested_field, parse_top, top_field, ts_field},
};
use probity_proto::registry::v1::*;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};

use super::{Ctx, bodies, credentials};
use crate::{
    Registry,
    check::{self, OfficerFacts, PowerFacts},
    entities::{
        credential, credential_event, officer, officer_event, post_power, power, power_version,
    },
    scope,
};

/// At most this many officers per call.
const MAX_OFFICERS: usize = 100;

pub async fn check_actors(
    reg: &Registry,
    ctx: &Ctx,
    r: CheckActorsRequest,
) -> AppResult<CheckActorsResponse> {
    let mut v = Violations::new();
    let body_id = top_field(&mut v, &r.body, "bodies", "body");
    let (_, power_id) = nested_field(&mut v, &r.power, "powers", "power");
    let at = ts_field(&mut v, r.at.as_ref(), "at");
    v.check(
        !r.officers.is_empty(),
        "officers",
        "at least one officer is required",
    );
    v.check(
        r.officers.len() <= MAX_OFFICERS,
        "officers",
        format!("at most {MAX_OFFICERS} officers per call"),
    );
    let mut ids = Vec::with_capacity(r.officers.len());
    for (i, n) in r.officers.iter().enumerate() {
        match parse_top(n, "officers") {
            Some(id) if ids.contains(&id) => v.add(format!("officers[{i}]"), "appears twice"),
            Some(id) => ids.push(id),
            None => v.add(
                format!("officers[{i}]"),
                "must be a resource name officers/{id}",
            ),
        }
    }
    v.check(
        r.min_qualified >= 0,
        "min_qualified",
        "must not be negative",
    );
    v.finish()?;
    let t = at.unwrap_or_default().timestamp_micros();
    let min = if r.min_qualified == 0 {
        reg.default_min_qualified
    } else {
        r.min_qualified as u32
    };

    let db = &reg.store.db;
    let body = bodies::find_body(db, &body_id).await?;
    scope::ensure(db, &ctx.principal, &body_id).await?;
    let mut may_use = vec![body.id.clone()];
    if body.kind == BodyKind::EntrustedOrganization as i32
        && let Some(e) = &body.entrusted_by
    {
        may_use.push(e.clone());
    }
    let pm = power::Entity::find_by_id(power_id.clone()).one(db).await?;
    let versions = power_version::Entity::find()
        .filter(power_version::Column::PowerId.eq(power_id.clone()))
        .order_by_asc(power_version::Column::Version)
        .all(db)
        .await?;
    let posts: Vec<String> = post_power::Entity::find()
        .filter(post_power::Column::PowerId.eq(power_id))
        .filter(post_power::Column::FromUs.lte(t))
        .filter(
            Condition::any()
                .add(post_power::Column::ToUs.is_null())
                .add(post_power::Column::ToUs.gt(t)),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.post_id)
        .collect();
    let officers: HashMap<String, officer::Model> = officer::Entity::find()
        .filter(officer::Column::Id.is_in(ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id.clone(), o))
        .collect();
    let mut events: HashMap<String, Vec<officer_event::Model>> = HashMap::new();
    for e in officer_event::Entity::find()
        .filter(officer_event::Column::OfficerId.is_in(ids.clone()))
        .order_by_asc(officer_event::Column::Seq)
        .all(db)
        .await?
    {
        events.entry(e.officer_id.clone()).or_default().push(e);
    }
    let creds = credential::Entity::find()
        .filter(credential::Column::HolderId.is_in(ids.clone()))
        .all(db)
        .await?;
    let mut cred_events: HashMap<String, Vec<credential_event::Model>> = HashMap::new();
    for e in credentials::events(db, creds.iter().map(|c| c.id.clone()).collect()).await? {
        cred_events
            .entry(e.credential_id.clone())
            .or_default()
            .push(e);
    }
    let facts: Vec<OfficerFacts<'_>> = r
        .officers
        .iter()
        .zip(&ids)
        .map(|(name, id)| OfficerFacts {
            name,
            officer: officers.get(id),
            events: events.get(id).map(Vec::as_slice).unwrap_or(&[]),
            credentials: creds
                .iter()
                .filter(|c| &c.holder_id == id)
                .map(|c| (c, cred_events.get(&c.id).map(Vec::as_slice).unwrap_or(&[])))
                .collect(),
        })
        .collect();
    let pf = PowerFacts {
        body_id: &body_id,
        may_use_powers_of: &may_use,
        power: pm.as_ref(),
        versions: &versions,
        posts_with_power: &posts,
    };
    Ok(check::evaluate(&pf, &facts, t, min))
}
