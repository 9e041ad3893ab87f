//! Gathers what CheckActors needs from the registry snapshot, then lets
//! [`crate::check::evaluate`] decide.
use probity_common::{
    AppError, AppResult, Violations,
    names::{nested_field, parse_top, top_field, ts_field},
};
use probity_proto::registry::v1::*;

use super::Ctx;
use crate::{
    Registry,
    check::{self, OfficerFacts, PowerFacts},
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

    let snap = reg.cache.get(&reg.store).await?;
    let body = snap
        .bodies
        .get(&body_id)
        .ok_or_else(|| AppError::not_found(r.body.clone()))?;
    if let Some(root) = ctx.principal.department_body()
        && !snap.within(&body_id, root)
    {
        return Err(scope::outside(root, &body_id));
    }
    let mut may_use = vec![body.id.clone()];
    if body.kind == BodyKind::EntrustedOrganization as i32
        && let Some(e) = &body.entrusted_by
    {
        may_use.push(e.clone());
    }
    let posts: Vec<String> = snap
        .post_powers
        .get(&power_id)
        .map(|rows| {
            rows.iter()
                .filter(|p| p.from_us <= t && p.to_us.is_none_or(|to| to > t))
                .map(|p| p.post_id.clone())
                .collect()
        })
        .unwrap_or_default();
    // A department learns about its own officers only: anyone who neither is
    // nor was (at `at`) in its subtree is reported as unknown.
    let visible = |id: &String| match ctx.principal.department_body() {
        None => true,
        Some(root) => {
            let now_in = snap
                .officers
                .get(id)
                .is_some_and(|o| snap.within(&o.body_id, root));
            let events = snap
                .officer_events
                .get(id)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let then_in = crate::temporal::officer_at(events, t)
                .is_some_and(|o| snap.within(&o.body_id, root));
            now_in || then_in
        }
    };
    let facts: Vec<OfficerFacts<'_>> = r
        .officers
        .iter()
        .zip(&ids)
        .map(|(name, id)| {
            if !visible(id) {
                OfficerFacts {
                    name,
                    officer: None,
                    events: &[],
                    credentials: Vec::new(),
                }
            } else {
                OfficerFacts {
                    name,
                    officer: snap.officers.get(id),
                    events: snap
                        .officer_events
                        .get(id)
                        .map(Vec::as_slice)
                        .unwrap_or(&[]),
                    credentials: snap
                        .credentials_by_holder
                        .get(id)
                        .into_iter()
                        .flatten()
                        .filter_map(|cid| snap.credentials.get(cid))
                        .map(|c| {
                            (
                                c,
                                snap.credential_events
                                    .get(&c.id)
                                    .map(Vec::as_slice)
                                    .unwrap_or(&[]),
                            )
                        })
                        .collect(),
                }
            }
        })
        .collect();
    let pf = PowerFacts {
        body_id: &body_id,
        may_use_powers_of: &may_use,
        power: snap.powers.get(&power_id),
        versions: snap
            .versions
            .get(&power_id)
            .map(Vec::as_slice)
            .unwrap_or(&[]),
        posts_with_power: &posts,
    };
    Ok(check::evaluate(&pf, &facts, t, min))
}
