//! Gathers what CheckActors needs from the registry snapshot, then lets
//! [`crate::eligibility::evaluate`] decide.
use probity_common::{
    AppError, AppResult, Violations,
    names::{body_name, nested_field, parse_top, top_field, ts_field},
};
use probity_proto::registry::v1::*;

use std::borrow::Cow;

use super::Ctx;
use crate::{
    Registry,
    eligibility::{self, OfficerFacts, PowerFacts},
    scope,
    snapshot::Snapshot,
    store::entities::{credential, credential_event, major_criteria, officer_event, power_version},
    temporal,
};

/// At most this many officers per check.
const MAX_OFFICERS: usize = 100;
/// At most this many checks per BatchCheckActors call.
const MAX_CHECKS: usize = 1000;

/// A check's request, validated.
struct Parsed {
    body_id: String,
    /// None: a batch check about the officers only.
    power_id: Option<String>,
    t: i64,
    /// Read the registry as it stood then (`known_time`); None: as it stands.
    known: Option<i64>,
    ids: Vec<String>,
    min: u32,
}

fn parse(
    reg: &Registry,
    v: &mut Violations,
    r: &CheckActorsRequest,
    prefix: &str,
    power_optional: bool,
) -> Parsed {
    let f = |name: &str| format!("{prefix}{name}");
    let body_id = top_field(v, &r.body, "bodies", &f("body"));
    let power_id = if power_optional && r.power.is_empty() {
        None
    } else {
        Some(nested_field(v, &r.power, "powers", &f("power")).1)
    };
    let at = ts_field(v, r.act_time.as_ref(), &f("act_time"));
    let known = r.known_time.as_ref().and_then(|k| {
        let k = probity_common::names::from_ts(k);
        if k.is_none() {
            v.add(f("known_time"), "is not a valid timestamp");
        }
        k.map(|k| k.timestamp_micros())
    });
    // A batch check may ask about the body or power alone.
    v.check(
        power_optional || !r.officers.is_empty(),
        f("officers"),
        "at least one officer is required",
    );
    v.check(
        r.officers.len() <= MAX_OFFICERS,
        f("officers"),
        format!("at most {MAX_OFFICERS} officers per check"),
    );
    let mut ids = Vec::with_capacity(r.officers.len());
    for (i, n) in r.officers.iter().enumerate() {
        match parse_top(n, "officers") {
            Some(id) if ids.contains(&id) => v.add(f(&format!("officers[{i}]")), "appears twice"),
            Some(id) => ids.push(id),
            None => v.add(
                f(&format!("officers[{i}]")),
                "must be a resource name officers/{id}",
            ),
        }
    }
    v.check(
        r.min_qualified >= 0,
        f("min_qualified"),
        "must not be negative",
    );
    Parsed {
        body_id,
        power_id,
        t: at.unwrap_or_default().timestamp_micros(),
        known,
        ids,
        min: if r.min_qualified <= 0 {
            reg.default_min_qualified
        } else {
            r.min_qualified as u32
        },
    }
}

pub async fn check_actors(
    reg: &Registry,
    ctx: &Ctx,
    r: CheckActorsRequest,
) -> AppResult<CheckActorsResponse> {
    let mut v = Violations::new();
    let parsed = parse(reg, &mut v, &r, "", false);
    v.finish()?;
    let snap = reg.cache.get(&reg.store).await?;
    let answer = answer(ctx, ctx.principal.department_body(), &snap, &r, &parsed)?;
    if !answer.body_known {
        return Err(AppError::not_found(r.body.clone()));
    }
    Ok(answer)
}

pub async fn batch_check_actors(
    reg: &Registry,
    ctx: &Ctx,
    r: BatchCheckActorsRequest,
) -> AppResult<BatchCheckActorsResponse> {
    let mut v = Violations::new();
    v.check(
        !r.checks.is_empty(),
        "checks",
        "at least one check is required",
    );
    v.check(
        r.checks.len() <= MAX_CHECKS,
        "checks",
        format!("at most {MAX_CHECKS} checks per call"),
    );
    let parsed: Vec<Parsed> = r
        .checks
        .iter()
        .enumerate()
        .map(|(i, c)| parse(reg, &mut v, c, &format!("checks[{i}]."), true))
        .collect();
    let asked = if r.viewer.is_empty() {
        None
    } else {
        Some(top_field(&mut v, &r.viewer, "bodies", "viewer"))
    };
    v.finish()?;
    let viewer = match ctx.principal.department_body() {
        Some(own) => Some(own),
        None if ctx.principal.role == probity_common::auth::Role::Service => asked.as_deref(),
        None => None,
    };
    let snap = reg.cache.get(&reg.store).await?;
    let results = r
        .checks
        .iter()
        .zip(&parsed)
        .map(|(c, p)| answer(ctx, viewer, &snap, c, p))
        .collect::<AppResult<_>>()?;
    Ok(BatchCheckActorsResponse { results })
}

/// `viewer`: the department whose view of officers the answer gives.
fn answer(
    ctx: &Ctx,
    viewer: Option<&str>,
    snap: &Snapshot,
    r: &CheckActorsRequest,
    p: &Parsed,
) -> AppResult<CheckActorsResponse> {
    let Parsed {
        body_id,
        power_id,
        t,
        known,
        ids,
        min,
    } = p;
    let (t, known, min) = (*t, *known, *min);
    let Some(body) = snap.bodies.get(body_id) else {
        return Ok(CheckActorsResponse::default());
    };
    if let Some(root) = ctx.principal.department_body()
        && !snap.within(body_id, root)
    {
        return Err(scope::outside(root, body_id));
    }
    let mut may_use = vec![body.id.clone()];
    if body.kind == BodyKind::EntrustedOrganization as i32
        && let Some(e) = &body.entrusted_by
    {
        may_use.push(e.clone());
    }
    // Everything below reads the history recorded by `known` only.
    let power = PowerHistory::of(snap, power_id.as_ref(), known, t);
    let officers = OfficerHistories::of(snap, ids, known);
    // Whether the viewer may see an officer turns on where the officer was.
    let visibility_points: Vec<i64> = match viewer {
        None => Vec::new(),
        Some(_) => officers
            .events
            .iter()
            .flat_map(|e| e.iter())
            .map(|e| e.effective_us)
            .collect(),
    };
    let facts = officers.facts(snap, viewer, &r.officers, ids, t);
    let pf = PowerFacts {
        body_id,
        may_use_powers_of: &may_use,
        power: power_id.as_ref().and_then(|pid| snap.powers.get(pid)),
        versions: &power.versions,
        posts_with_power: &power.posts,
        post_power_points: &power.points,
        power_asked: power_id.is_some(),
        major_criteria: &power.criteria,
    };
    let mut answer = eligibility::evaluate(&pf, &facts, t, min);
    let (from, until) = eligibility::same_span(&pf, &facts, &visibility_points, t);
    answer.same_from = from.and_then(probity_common::names::us_ts);
    answer.same_until = until.and_then(probity_common::names::us_ts);
    answer.body_known = true;
    answer.body_path = snap
        .path(body_id)
        .into_iter()
        .map(|b| body_name(&b))
        .collect();
    Ok(answer)
}

/// The power's history as recorded by `known`, and who held it at `t`.
struct PowerHistory<'s> {
    versions: Cow<'s, [power_version::Model]>,
    criteria: Cow<'s, [major_criteria::Model]>,
    /// Posts holding the power at `t`.
    posts: Vec<String>,
    /// Where the power's post assignments begin and end.
    points: Vec<i64>,
}

impl<'s> PowerHistory<'s> {
    fn of(snap: &'s Snapshot, power_id: Option<&String>, known: Option<i64>, t: i64) -> Self {
        let assignments = temporal::known_post_powers(
            power_id
                .and_then(|pid| snap.post_powers.get(pid))
                .map(Vec::as_slice)
                .unwrap_or(&[]),
            known,
        );
        let posts: Vec<String> = assignments
            .iter()
            .filter(|p| temporal::post_power_at(p, t))
            .map(|p| p.post_id.clone())
            .collect();
        let points: Vec<i64> = assignments
            .iter()
            .flat_map(|p| std::iter::once(p.from_us).chain(p.to_us))
            .collect();
        let versions = temporal::known_power_versions(
            power_id
                .and_then(|pid| snap.versions.get(pid))
                .map(Vec::as_slice)
                .unwrap_or(&[]),
            known,
        );
        let criteria = temporal::known_major_criteria(
            power_id
                .and_then(|pid| snap.major_criteria.get(pid))
                .map(Vec::as_slice)
                .unwrap_or(&[]),
            known,
        );
        PowerHistory {
            versions,
            criteria,
            posts,
            points,
        }
    }
}

type Cards<'s> = Vec<(&'s credential::Model, Cow<'s, [credential_event::Model]>)>;

/// Each named officer's events and credentials as recorded by `known`, in
/// the order named.
struct OfficerHistories<'s> {
    events: Vec<Cow<'s, [officer_event::Model]>>,
    cards: Vec<Cards<'s>>,
}

impl<'s> OfficerHistories<'s> {
    fn of(snap: &'s Snapshot, ids: &[String], known: Option<i64>) -> Self {
        let events = ids
            .iter()
            .map(|id| {
                temporal::known_officer_events(
                    snap.officer_events
                        .get(id)
                        .map(Vec::as_slice)
                        .unwrap_or(&[]),
                    known,
                )
            })
            .collect();
        let cards = ids
            .iter()
            .map(|id| {
                snap.credentials_by_holder
                    .get(id)
                    .into_iter()
                    .flatten()
                    .filter_map(|cid| snap.credentials.get(cid))
                    .filter(|c| temporal::known_credential(c, known))
                    .map(|c| {
                        let evs = snap
                            .credential_events
                            .get(&c.id)
                            .map(Vec::as_slice)
                            .unwrap_or(&[]);
                        (c, temporal::known_credential_events(evs, known))
                    })
                    .collect()
            })
            .collect();
        OfficerHistories { events, cards }
    }

    /// What `viewer` may know of each officer (`names`, with their `ids`):
    /// a department learns about its own officers only, and anyone who
    /// neither is nor was (at `t`) in its subtree is reported as unknown.
    fn facts<'a>(
        &'a self,
        snap: &'s Snapshot,
        viewer: Option<&str>,
        names: &'a [String],
        ids: &[String],
        t: i64,
    ) -> Vec<OfficerFacts<'a>>
    where
        's: 'a,
    {
        let visible = |id: &String, events: &[officer_event::Model]| match viewer {
            None => true,
            Some(root) => {
                let now_in = snap
                    .officers
                    .get(id)
                    .is_some_and(|o| snap.within(&o.body_id, root));
                let then_in =
                    temporal::officer_at(events, t).is_some_and(|o| snap.within(&o.body_id, root));
                now_in || then_in
            }
        };
        names
            .iter()
            .zip(ids)
            .zip(self.events.iter().zip(&self.cards))
            .map(|((name, id), (events, cards))| {
                if !visible(id, events) {
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
                        events,
                        credentials: cards.iter().map(|(c, evs)| (*c, &**evs)).collect(),
                    }
                }
            })
            .collect()
    }
}
