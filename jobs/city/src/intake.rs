//! The year's facts into intake: each department over its own SubmitFacts
//! stream with its own token, then the legal-affairs office's (case-file
//! reviews, Art. 8 scores, the city-wide course) over one of its own, then
//! the voids. Placeholders become the registry's names on the way out; the
//! digests are taken before, so they do not depend on the ids servers give.
use std::collections::{BTreeMap, HashMap, HashSet};

use futures::{StreamExt, TryStreamExt};
use probity_common::auth::Role;
use probity_proto::intake::v1::{fact::Payload, *};

use crate::{
    blueprint::Blueprint,
    connect::{Conn, Intake},
    facts::{self, BodyFacts},
    progress::{Progress, Stage},
    truth::Pattern,
};

/// Why the voiding department says it voids (it is not the real reason).
pub const VOID_REASON: &str = "录入重复，予以作废";

/// What was sent and what intake answered.
#[derive(Debug, Default)]
pub struct Sent {
    /// Body key -> SHA-256 of its facts as drawn.
    pub digests: BTreeMap<String, String>,
    /// (pattern, body, source id) of every planted fact.
    pub planted: Vec<(Pattern, usize, String)>,
    /// Facts by kind (FACT_KIND_* names).
    pub by_kind: BTreeMap<String, u64>,
    pub facts: u64,
    pub voided: u64,
    /// Facts whose findings at intake are not what the plan says: a planted
    /// fact with none, or any other fact with one.
    pub surprises: Vec<String>,
}

/// Fills the registry's names in for the city's placeholders.
pub fn resolve(r: &mut SubmitFactRequest, names: &HashMap<String, String>) -> anyhow::Result<()> {
    let get = |p: &str| -> anyhow::Result<String> {
        names
            .get(p)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("no resource for {p}"))
    };
    let all = |v: &mut Vec<String>| -> anyhow::Result<()> {
        for o in v.iter_mut() {
            *o = get(o)?;
        }
        Ok(())
    };
    let Some(f) = r.fact.as_mut() else {
        return Ok(());
    };
    f.body = get(&f.body)?;
    match f.payload.as_mut() {
        Some(Payload::Matter(m)) => {
            m.power = get(&m.power)?;
            all(&mut m.officers)?;
        }
        Some(Payload::Inspection(i)) => {
            i.power = get(&i.power)?;
            all(&mut i.officers)?;
        }
        Some(Payload::Decision(d)) => all(&mut d.officers)?,
        Some(Payload::Complaint(c)) => all(&mut c.officers)?,
        Some(Payload::ComplaintClosing(c)) => all(&mut c.officers)?,
        Some(Payload::Transfer(t)) => all(&mut t.officers)?,
        Some(Payload::Training(t)) => t.officer = get(&t.officer)?,
        _ => {}
    }
    Ok(())
}

pub fn kind_name(r: &SubmitFactRequest) -> &'static str {
    let kind = match r.fact.as_ref().and_then(|f| f.payload.as_ref()) {
        Some(Payload::Matter(_)) => FactKind::Matter,
        Some(Payload::MatterClosing(_)) => FactKind::MatterClosing,
        Some(Payload::Decision(_)) => FactKind::Decision,
        Some(Payload::Inspection(_)) => FactKind::Inspection,
        Some(Payload::ReviewOutcome(_)) => FactKind::ReviewOutcome,
        Some(Payload::Complaint(_)) => FactKind::Complaint,
        Some(Payload::ComplaintClosing(_)) => FactKind::ComplaintClosing,
        Some(Payload::Transfer(_)) => FactKind::Transfer,
        Some(Payload::Training(_)) => FactKind::Training,
        Some(Payload::CaseFileReview(_)) => FactKind::CaseFileReview,
        Some(Payload::AssessmentItem(_)) => FactKind::AssessmentItem,
        None => FactKind::Unspecified,
    };
    kind.as_str_name()
}

fn source(r: &SubmitFactRequest) -> &str {
    r.fact.as_ref().map_or("", |f| f.source_id.as_str())
}

/// One stream; every record must be accepted. Returns each record's ack.
async fn stream(
    client: &mut Intake,
    facts: Vec<SubmitFactRequest>,
    progress: &dyn Progress,
    stage: Stage,
) -> anyhow::Result<Vec<SubmitFactsResponse>> {
    let sources: Vec<String> = facts.iter().map(|f| source(f).to_string()).collect();
    let n = facts.len();
    let records = facts
        .into_iter()
        .enumerate()
        .map(|(i, f)| SubmitFactsRequest {
            sequence: i as i64,
            submission: Some(f),
        });
    let mut acks = client
        .submit_facts(futures::stream::iter(records))
        .await
        .map_err(|s| anyhow::anyhow!("intake SubmitFacts: {} {}", s.code(), s.message()))?
        .into_inner();
    let mut out: Vec<Option<SubmitFactsResponse>> = vec![None; n];
    while let Some(a) = acks
        .message()
        .await
        .map_err(|s| anyhow::anyhow!("intake SubmitFacts: {} {}", s.code(), s.message()))?
    {
        let i = usize::try_from(a.sequence).unwrap_or(usize::MAX);
        anyhow::ensure!(
            i < n,
            "intake acknowledged a record never sent ({})",
            a.sequence
        );
        anyhow::ensure!(
            a.code == 0,
            "intake refused {}: code {} {} {} {:?}",
            sources[i],
            a.code,
            a.reason,
            a.message,
            a.bad_fields
        );
        progress.advance(stage, 1);
        out[i] = Some(a);
    }
    out.into_iter()
        .enumerate()
        .map(|(i, a)| a.ok_or_else(|| anyhow::anyhow!("intake never acknowledged {}", sources[i])))
        .collect()
}

struct BodySent {
    b: usize,
    digest: String,
    office: Vec<SubmitFactRequest>,
    planted: Vec<(Pattern, String)>,
    voids: Vec<(String, String)>,
    by_kind: Vec<&'static str>,
    acks: Vec<(String, i32)>,
}

async fn body(
    bp: &Blueprint,
    b: usize,
    names: &HashMap<String, String>,
    body_name: &str,
    conn: &Conn<'_>,
    progress: &dyn Progress,
) -> anyhow::Result<BodySent> {
    let BodyFacts {
        own,
        office,
        planted,
        voids,
    } = facts::body_facts(bp, b);
    let digest = facts::digest(own.iter().chain(&office));
    let mut by_kind: Vec<&'static str> = own.iter().chain(&office).map(kind_name).collect();
    by_kind.sort_unstable();
    let mut own = own;
    for r in &mut own {
        resolve(r, names)?;
    }
    let mut office = office;
    for r in &mut office {
        resolve(r, names)?;
    }
    let sources: Vec<String> = own.iter().map(|r| source(r).to_string()).collect();
    let mut client = conn.intake(Role::Department, Some(body_name))?;
    let acks = stream(&mut client, own, progress, Stage::Facts).await?;
    let void_set: HashSet<&String> = voids.iter().collect();
    let voids = sources
        .iter()
        .zip(&acks)
        .filter(|(s, _)| void_set.contains(s))
        .map(|(s, a)| (s.clone(), a.fact.clone()))
        .collect();
    Ok(BodySent {
        b,
        digest,
        office,
        planted,
        voids,
        by_kind,
        acks: sources
            .into_iter()
            .zip(acks)
            .map(|(s, a)| (s, a.findings))
            .collect(),
    })
}

pub async fn send(
    bp: &Blueprint,
    names: &HashMap<String, String>,
    bodies: &[String],
    conn: &Conn<'_>,
    progress: &dyn Progress,
) -> anyhow::Result<Sent> {
    let mut sent = Sent::default();
    // Each body's count is known once it is drawn, as its stream starts.
    progress.begin(Stage::Facts, 0);
    let parallel = bp.plan.streams.max(1);
    let mut done: Vec<BodySent> = futures::stream::iter(1..bp.bodies.len())
        .map(|b| body(bp, b, names, &bodies[b], conn, progress))
        .buffer_unordered(parallel)
        .try_collect()
        .await?;
    progress.finish(Stage::Facts);
    done.sort_by_key(|d| d.b);

    // Findings at intake as planted: on the planted facts (all of them but
    // the overturned decisions' reviews, which intake does not judge), and
    // nowhere else.
    let mut findings: HashMap<(usize, String), i32> = HashMap::new();
    for d in &done {
        for (s, n) in &d.acks {
            findings.insert((d.b, s.clone()), *n);
        }
    }

    let mut city = facts::city_trainings(bp);
    sent.digests
        .insert(bp.bodies[0].key.clone(), facts::digest(city.iter()));
    for r in &city {
        *sent.by_kind.entry(kind_name(r).into()).or_default() += 1;
    }
    for r in &mut city {
        resolve(r, names)?;
    }
    let mut office = city;
    let mut voids = Vec::new();
    for d in done {
        sent.digests.insert(bp.bodies[d.b].key.clone(), d.digest);
        for k in d.by_kind {
            *sent.by_kind.entry(k.into()).or_default() += 1;
        }
        for (p, s) in d.planted {
            sent.planted.push((p, d.b, s));
        }
        voids.extend(d.voids.into_iter().map(|v| (d.b, v)));
        office.extend(d.office);
    }
    progress.begin(Stage::Office, office.len() as u64);
    let mut client = conn.intake(Role::LegalOffice, None)?;
    let office_sources: Vec<String> = office.iter().map(|r| source(r).to_string()).collect();
    let office_bodies: Vec<String> = office
        .iter()
        .map(|r| r.fact.as_ref().map_or(String::new(), |f| f.body.clone()))
        .collect();
    let acks = stream(&mut client, office, progress, Stage::Office).await?;
    progress.finish(Stage::Office);
    let body_of: HashMap<&String, usize> = bodies.iter().enumerate().map(|(i, n)| (n, i)).collect();
    for ((s, body), a) in office_sources.iter().zip(&office_bodies).zip(&acks) {
        if let Some(b) = body_of.get(body) {
            findings.insert((*b, s.clone()), a.findings);
        }
    }

    let planted: HashSet<(usize, &str)> = sent
        .planted
        .iter()
        .filter(|(p, _, _)| *p != Pattern::OverturnedDecisions)
        .map(|(_, b, s)| (*b, s.as_str()))
        .collect();
    for ((b, s), n) in &findings {
        let expected = planted.contains(&(*b, s.as_str()));
        if expected != (*n > 0) {
            sent.surprises.push(format!(
                "{} {s}: {n} findings ({})",
                bp.bodies[*b].key,
                if expected { "planted" } else { "not planted" }
            ));
        }
    }
    sent.surprises.sort();
    sent.facts = sent.by_kind.values().sum();

    progress.begin(Stage::Afterwards, voids.len() as u64 + 1);
    for (b, (s, fact)) in voids {
        let mut c = conn.intake(Role::Department, Some(&bodies[b]))?;
        c.void_fact(VoidFactRequest {
            name: fact,
            reason: VOID_REASON.into(),
            request_id: uuid::Uuid::new_v4().to_string(),
        })
        .await
        .map_err(|e| anyhow::anyhow!("intake VoidFact {s}: {} {}", e.code(), e.message()))?;
        sent.voided += 1;
        progress.advance(Stage::Afterwards, 1);
    }
    Ok(sent)
}
