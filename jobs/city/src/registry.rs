//! The blueprint into the registry, over its gRPC API, as the
//! legal-affairs office registering the city from its paper records: bodies,
//! then each body's units, powers (with their benchmarks and major-decision
//! criteria), posts and the powers they hold, officers and their cards, all
//! dated back to when they took effect.
use std::collections::HashMap;

use futures::{StreamExt, TryStreamExt};
use probity_common::auth::Role;
use probity_proto::registry::v1::*;

use crate::{
    blueprint::{Blueprint, BodyBp},
    catalog::Cat,
    codes::CITY_DIVISION,
    connect::Conn,
    plan::{at, ts},
    progress::{Progress, Stage},
};

/// Why the office dates these changes back (registry.backdate_grace).
pub const LATE: &str = "依据纸质登记档案补录（行政执法主体和人员信息集中录入）";

/// What the registry made: resource names by the city's placeholders.
#[derive(Debug, Default)]
pub struct Made {
    pub names: HashMap<String, String>,
    pub bodies: Vec<String>,
    pub officers: Vec<String>,
    pub credentials: Vec<Option<String>>,
    pub units: u64,
    pub posts: u64,
    pub powers: u64,
    pub criteria: u64,
}

fn rid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn failed(what: &str, name: &str, s: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("registry {what} {name}: {} {}", s.code(), s.message())
}

fn duty(p: &crate::catalog::PowerT) -> String {
    match p.cat {
        Cat::Penalty => format!(
            "依法查处{}的违法行为，做到事实清楚、证据确凿、适用依据正确、程序合法，按裁量基准确定处罚",
            p.what
        ),
        Cat::Inspection => format!(
            "依法实施{}，随机抽取检查对象、随机选派执法检查人员，检查结果及时公开",
            p.name
        ),
        Cat::Licensing => format!(
            "依法受理、审查并作出{}决定，公开办理条件、程序和时限",
            p.name
        ),
        Cat::Compulsory => format!("依法实施{}，严格遵守法定条件、程序和期限", p.name),
    }
}

struct Contents {
    names: Vec<(String, String)>,
    officers: Vec<(usize, String)>,
    credentials: Vec<(usize, String)>,
    units: u64,
    posts: u64,
    powers: u64,
    criteria: u64,
}

/// One body's units, powers, posts, officers and cards.
async fn contents(
    bp: &Blueprint,
    b: usize,
    name: &str,
    conn: &Conn<'_>,
    progress: &dyn Progress,
) -> anyhow::Result<Contents> {
    let body: &BodyBp = &bp.bodies[b];
    let y = bp.plan.year;
    let mut c = conn.registry(Role::LegalOffice, None)?;
    let mut out = Contents {
        names: vec![],
        officers: vec![],
        credentials: vec![],
        units: 0,
        posts: 0,
        powers: 0,
        criteria: 0,
    };
    // The list in force from the first of December before the year.
    let listed = at(y - 1, 12, 1, 9, 0, 0);
    let mut units = Vec::new();
    for u in &body.units {
        let unit = c
            .create_unit(CreateUnitRequest {
                request_id: rid(),
                parent: name.into(),
                unit: Some(Unit {
                    display_name: u.clone(),
                    ..Default::default()
                }),
            })
            .await
            .map_err(|s| failed("CreateUnit", u, s))?
            .into_inner();
        units.push(unit.name);
        out.units += 1;
        progress.advance(Stage::Registry, 1);
    }
    let mut powers = Vec::new();
    for (i, p) in body.powers.iter().enumerate() {
        let power = c
            .create_power(CreatePowerRequest {
                request_id: rid(),
                parent: name.into(),
                power: Some(Power {
                    code: p.t.code.into(),
                    display_name: p.t.name.into(),
                    category: p.t.cat.proto() as i32,
                    legal_bases: vec![LegalBasis {
                        law: p.t.law.into(),
                        article: p.t.article.into(),
                    }],
                    duty: duty(&p.t),
                    flowchart_ref: format!(
                        "https://www.shangzhi.gov.cn/qlqd/{}/{}.pdf",
                        body.key, p.t.code
                    ),
                    benchmark: p.benchmark.clone(),
                    ..Default::default()
                }),
                legal_basis_change: Some(LegalBasisChange {
                    document: format!(
                        "《尚志市人民政府关于公布行政权力清单和责任清单的通知》（尚政发〔{}〕12号）",
                        y - 1
                    ),
                    summary: "依据法律、法规、规章的立改废释，公布本单位权责清单".into(),
                }),
                effective_time: Some(ts(listed)),
                backdate_reason: LATE.into(),
            })
            .await
            .map_err(|s| failed("CreatePower", p.t.name, s))?
            .into_inner();
        out.names
            .push((body.power_placeholder(i), power.name.clone()));
        out.powers += 1;
        progress.advance(Stage::Registry, 1);
        if let Some(m) = &p.major {
            c.set_major_decision_criteria(SetMajorDecisionCriteriaRequest {
                request_id: rid(),
                power: power.name.clone(),
                criteria: Some(m.clone()),
                effective_time: Some(ts(listed)),
                reason: format!(
                    "《尚志市重大行政执法决定法制审核目录清单》（尚政办发〔{}〕8号）",
                    y - 1
                ),
            })
            .await
            .map_err(|s| failed("SetMajorDecisionCriteria", p.t.name, s))?;
            out.criteria += 1;
            progress.advance(Stage::Registry, 1);
        }
        powers.push(power.name);
    }
    let mut posts = Vec::new();
    for p in &body.posts {
        let post = c
            .create_post(CreatePostRequest {
                request_id: rid(),
                parent: name.into(),
                post: Some(Post {
                    display_name: p.display_name.clone(),
                    unit: units.get(p.unit).cloned().unwrap_or_default(),
                    responsibilities: p.responsibilities.clone(),
                    ..Default::default()
                }),
            })
            .await
            .map_err(|s| failed("CreatePost", &p.display_name, s))?
            .into_inner();
        progress.advance(Stage::Registry, 1);
        if !p.powers.is_empty() {
            c.set_post_powers(SetPostPowersRequest {
                request_id: rid(),
                post: post.name.clone(),
                powers: p.powers.iter().map(|i| powers[*i].clone()).collect(),
                effective_time: Some(ts(listed)),
                backdate_reason: LATE.into(),
            })
            .await
            .map_err(|s| failed("SetPostPowers", &p.display_name, s))?;
            progress.advance(Stage::Registry, 1);
        }
        out.posts += 1;
        posts.push(post.name);
    }
    for o in &body.officers {
        let off = &bp.officers[*o];
        let officer = c
            .create_officer(CreateOfficerRequest {
                request_id: rid(),
                officer: Some(Officer {
                    display_name: off.display_name.clone(),
                    kind: off.kind as i32,
                    body: name.into(),
                    posts: vec![posts[off.post].clone()],
                    national_id: off.national_id.clone(),
                    ..Default::default()
                }),
                effective_time: Some(ts(off.hired)),
                backdate_reason: LATE.into(),
            })
            .await
            .map_err(|s| failed("CreateOfficer", &off.display_name, s))?
            .into_inner();
        progress.advance(Stage::Registry, 1);
        out.names.push((off.placeholder(), officer.name.clone()));
        if let Some(card) = &off.card {
            let cred = c
                .issue_credential(IssueCredentialRequest {
                    request_id: rid(),
                    credential: Some(Credential {
                        number: card.number.clone(),
                        holder: officer.name.clone(),
                        issuing_authority: body.issuer.clone(),
                        valid_from: Some(ts(card.valid_from)),
                        valid_until: Some(ts(card.valid_until)),
                        ..Default::default()
                    }),
                    backdate_reason: LATE.into(),
                })
                .await
                .map_err(|s| failed("IssueCredential", &card.number, s))?
                .into_inner();
            progress.advance(Stage::Registry, 1);
            out.credentials.push((*o, cred.name));
        }
        out.officers.push((*o, officer.name));
    }
    Ok(out)
}

pub async fn build(
    bp: &Blueprint,
    conn: &Conn<'_>,
    progress: &dyn Progress,
) -> anyhow::Result<Made> {
    progress.begin(Stage::Registry, bp.registry_calls());
    let mut made = Made {
        officers: vec![String::new(); bp.officers.len()],
        credentials: vec![None; bp.officers.len()],
        ..Default::default()
    };
    let mut c = conn.registry(Role::LegalOffice, None)?;
    for b in &bp.bodies {
        let body = c
            .create_body(CreateBodyRequest {
                request_id: rid(),
                body: Some(Body {
                    display_name: b.display_name.clone(),
                    kind: b.kind as i32,
                    parent: b.parent.map(|p| made.bodies[p].clone()).unwrap_or_default(),
                    entrusted_by: b
                        .entrusted_by
                        .map(|p| made.bodies[p].clone())
                        .unwrap_or_default(),
                    region_code: CITY_DIVISION.into(),
                    vertically_managed: b.vertically_managed,
                    ..Default::default()
                }),
            })
            .await
            .map_err(|s| failed("CreateBody", &b.display_name, s))?
            .into_inner();
        made.names.insert(b.placeholder(), body.name.clone());
        made.bodies.push(body.name);
        progress.advance(Stage::Registry, 1);
    }
    let names = made.bodies.clone();
    let parallel = bp.plan.streams.clamp(1, 8);
    let all: Vec<Contents> = futures::stream::iter(1..bp.bodies.len())
        .map(|b| contents(bp, b, &names[b], conn, progress))
        .buffer_unordered(parallel)
        .try_collect()
        .await?;
    for c in all {
        made.names.extend(c.names);
        for (o, n) in c.officers {
            made.names.insert(bp.officers[o].placeholder(), n.clone());
            made.officers[o] = n;
        }
        for (o, n) in c.credentials {
            made.credentials[o] = Some(n);
        }
        made.units += c.units;
        made.posts += c.posts;
        made.powers += c.powers;
        made.criteria += c.criteria;
    }
    progress.finish(Stage::Registry);
    Ok(made)
}
