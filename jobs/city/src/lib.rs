//! The synthetic city (issue 16): a registry and a year of facts built
//! through the public gRPC APIs only, deterministic for a seed, with planted
//! patterns written down as ground truth.
//!
//! ```text
//! CityPlan --Blueprint::new--> bodies, officers, roles      (blueprint.rs, catalog.rs)
//!          --registry::build--> resource names              (registry.rs, as the office)
//!          --intake::send-----> each body's stream, the office's, the voids (facts.rs, intake.rs)
//!          --backdate---------> the department's refused card
//!          --planted::truth---> GroundTruth                 (planted.rs, truth.rs)
//! ```
//!
//! `ground_truth(plan)` draws the same city without servers: its truth
//! equals a built city's `truth.without_server_answers()`.
use std::collections::BTreeMap;

use probity_common::auth::Role;
use probity_proto::registry::v1::{Credential, IssueCredentialRequest, OfficerKind};
use serde::Serialize;
use tonic_types::StatusExt;

pub mod blueprint;
pub mod catalog;
pub mod codes;
pub mod connect;
pub mod draws;
pub mod facts;
pub mod intake;
pub mod names;
pub mod parquet;
pub mod plan;
pub mod planted;
pub mod progress;
pub mod registry;
pub mod rng;
pub mod truth;

pub use blueprint::Blueprint;
pub use connect::{DevTokens, Endpoints, TokenSource};
pub use plan::CityPlan;
pub use progress::{Bars, Progress, Quiet, Stage};
pub use truth::{GroundTruth, Pattern};

/// A body as made.
#[derive(Debug, Clone, Serialize)]
pub struct MadeBody {
    pub key: String,
    /// bodies/{id}
    pub name: String,
    pub display_name: String,
    pub kind: String,
    pub parent: Option<String>,
    /// Its powers: (code, bodies/{id}/powers/{id}, category name).
    pub powers: Vec<(String, String, String)>,
}

/// An officer (or auxiliary) as made.
#[derive(Debug, Clone, Serialize)]
pub struct MadeOfficer {
    pub key: String,
    /// officers/{id}
    pub name: String,
    pub display_name: String,
    pub body: String,
    pub auxiliary: bool,
    /// credentials/{id} and its number.
    pub credential: Option<(String, String)>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub bodies: u64,
    pub units: u64,
    pub posts: u64,
    pub powers: u64,
    pub major_criteria: u64,
    pub officers: u64,
    pub auxiliaries: u64,
    pub credentials: u64,
    pub facts: u64,
    pub by_kind: BTreeMap<String, u64>,
    pub voided: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct City {
    pub plan: CityPlan,
    pub truth: GroundTruth,
    pub bodies: Vec<MadeBody>,
    pub officers: Vec<MadeOfficer>,
    pub counts: Counts,
    /// Facts whose findings at intake differ from the plan (a planted fact
    /// with none, another with some): empty when the city came out as
    /// drawn.
    pub surprises: Vec<String>,
}

/// The ground truth of the city a plan draws, without building it.
pub fn ground_truth(plan: &CityPlan) -> anyhow::Result<GroundTruth> {
    let bp = Blueprint::new(plan)?;
    let mut digests = BTreeMap::new();
    let mut planted = Vec::new();
    digests.insert(
        bp.bodies[0].key.clone(),
        facts::digest(facts::city_trainings(&bp).iter()),
    );
    for b in 1..bp.bodies.len() {
        let f = facts::body_facts(&bp, b);
        digests.insert(bp.bodies[b].key.clone(), f.digest());
        planted.extend(f.planted.into_iter().map(|(p, s)| (p, b, s)));
    }
    Ok(planted::truth(&bp, &planted, digests, None, (None, None)))
}

/// The department's attempt to clear its officer's findings with a card
/// dated back over them: (refused, the refusal's reason).
async fn backdate(
    bp: &Blueprint,
    made: &registry::Made,
    conn: &connect::Conn<'_>,
) -> anyhow::Result<(bool, Option<String>)> {
    let r = &bp.roles;
    let k = &bp.officers[r.card_late];
    let Some(card) = &k.card else {
        anyhow::bail!("the late-card officer has no card");
    };
    let mut c = conn.registry(Role::Department, Some(&made.bodies[r.backdater]))?;
    let y = bp.plan.year;
    let answer = c
        .issue_credential(IssueCredentialRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            credential: Some(Credential {
                number: planted::backdated_number(&card.number),
                holder: made.officers[r.card_late].clone(),
                issuing_authority: bp.bodies[r.backdater].issuer.clone(),
                valid_from: Some(plan::ts(plan::at(y, 1, 1, 0, 0, 0))),
                valid_until: Some(plan::ts(card.valid_from)),
                ..Default::default()
            }),
            backdate_reason: "补办证件，有效期自入职之日起".into(),
        })
        .await;
    Ok(match answer {
        Ok(_) => (false, None),
        Err(s) => (
            true,
            Some(
                s.get_error_details()
                    .error_info()
                    .map(|i| i.reason.clone())
                    .unwrap_or_else(|| s.code().to_string()),
            ),
        ),
    })
}

/// Builds the city a plan draws, through the registry's and intake's APIs.
pub async fn build(
    endpoints: &Endpoints,
    tokens: &dyn TokenSource,
    plan: &CityPlan,
    progress: &dyn Progress,
) -> anyhow::Result<City> {
    progress.begin(Stage::Plan, 0);
    let bp = Blueprint::new(plan)?;
    progress.finish(Stage::Plan);
    let conn = connect::Conn::open(endpoints, tokens).await?;
    let made = registry::build(&bp, &conn, progress).await?;
    let sent = intake::send(&bp, &made.names, &made.bodies, &conn, progress).await?;
    let backdated = backdate(&bp, &made, &conn).await?;
    progress.advance(Stage::Afterwards, 1);
    progress.finish(Stage::Afterwards);
    let truth = planted::truth(
        &bp,
        &sent.planted,
        sent.digests.clone(),
        Some(planted::Names {
            bodies: &made.bodies,
            officers: &made.officers,
        }),
        (Some(backdated.0), backdated.1),
    );
    let bodies = bp
        .bodies
        .iter()
        .enumerate()
        .map(|(i, b)| MadeBody {
            key: b.key.clone(),
            name: made.bodies[i].clone(),
            display_name: b.display_name.clone(),
            kind: b.kind.as_str_name().into(),
            parent: b.parent.map(|p| made.bodies[p].clone()),
            powers: (0..b.powers.len())
                .map(|p| {
                    (
                        b.powers[p].t.code.to_string(),
                        made.names
                            .get(&b.power_placeholder(p))
                            .cloned()
                            .unwrap_or_default(),
                        b.powers[p].t.cat.proto().as_str_name().to_string(),
                    )
                })
                .collect(),
        })
        .collect();
    let officers = bp
        .officers
        .iter()
        .enumerate()
        .map(|(i, o)| MadeOfficer {
            key: o.key.clone(),
            name: made.officers[i].clone(),
            display_name: o.display_name.clone(),
            body: made.bodies[o.body].clone(),
            auxiliary: o.kind == OfficerKind::Auxiliary,
            credential: made.credentials[i]
                .clone()
                .zip(o.card.as_ref().map(|c| c.number.clone())),
        })
        .collect();
    let counts = Counts {
        bodies: bp.bodies.len() as u64,
        units: made.units,
        posts: made.posts,
        powers: made.powers,
        major_criteria: made.criteria,
        officers: bp.officers.len() as u64,
        auxiliaries: bp
            .officers
            .iter()
            .filter(|o| o.kind == OfficerKind::Auxiliary)
            .count() as u64,
        credentials: made.credentials.iter().flatten().count() as u64,
        facts: sent.facts,
        by_kind: sent.by_kind,
        voided: sent.voided,
    };
    Ok(City {
        plan: plan.clone(),
        truth,
        bodies,
        officers,
        counts,
        surprises: sent.surprises,
    })
}
