//! Rows to protos.
use probity_common::names::{body_name, nested_name};
use probity_proto::registry::v1 as pb;

use crate::{
    api::us_ts,
    store::entities::{
        body, credential, credential_event, officer, officer_event, post, power, power_version,
        unit,
    },
    temporal,
};

pub fn body(m: body::Model) -> pb::Body {
    pb::Body {
        name: body_name(&m.id),
        display_name: m.display_name,
        kind: m.kind,
        parent: m.parent_id.as_deref().map(body_name).unwrap_or_default(),
        entrusted_by: m.entrusted_by.as_deref().map(body_name).unwrap_or_default(),
        region_code: m.region_code,
        vertically_managed: m.vertically_managed,
        create_time: us_ts(m.created_us),
    }
}

pub fn unit(m: unit::Model) -> pb::Unit {
    pb::Unit {
        name: nested_name(&m.body_id, "units", &m.id),
        display_name: m.display_name,
        create_time: us_ts(m.created_us),
    }
}

pub fn post(m: post::Model, power_names: &[String]) -> pb::Post {
    pb::Post {
        name: nested_name(&m.body_id, "posts", &m.id),
        display_name: m.display_name,
        unit: m
            .unit_id
            .as_deref()
            .map(|u| nested_name(&m.body_id, "units", u))
            .unwrap_or_default(),
        responsibilities: m.responsibilities,
        powers: power_names.to_vec(),
        create_time: us_ts(m.created_us),
    }
}

pub fn legal_bases(json: &str) -> Vec<pb::LegalBasis> {
    let pairs: Vec<(String, String)> = serde_json::from_str(json).unwrap_or_default();
    pairs
        .into_iter()
        .map(|(law, article)| pb::LegalBasis { law, article })
        .collect()
}

pub fn legal_bases_json(v: &[pb::LegalBasis]) -> String {
    let pairs: Vec<(&str, &str)> = v
        .iter()
        .map(|b| (b.law.as_str(), b.article.as_str()))
        .collect();
    serde_json::to_string(&pairs).unwrap_or_default()
}

pub fn benchmark(json: &str) -> Vec<pb::BenchmarkRange> {
    let rows: Vec<(i32, i64, i64, String)> = serde_json::from_str(json).unwrap_or_default();
    rows.into_iter()
        .map(
            |(grade, min_amount_fen, max_amount_fen, note)| pb::BenchmarkRange {
                grade,
                min_amount_fen,
                max_amount_fen,
                note,
            },
        )
        .collect()
}

pub fn benchmark_json(v: &[pb::BenchmarkRange]) -> String {
    let mut rows: Vec<(i32, i64, i64, &str)> = v
        .iter()
        .map(|r| (r.grade, r.min_amount_fen, r.max_amount_fen, r.note.as_str()))
        .collect();
    rows.sort_by_key(|r| r.0);
    serde_json::to_string(&rows).unwrap_or_default()
}

pub fn power(p: &power::Model, v: power_version::Model) -> pb::Power {
    pb::Power {
        name: nested_name(&p.body_id, "powers", &p.id),
        code: p.code.clone(),
        display_name: v.display_name,
        category: p.category,
        legal_bases: legal_bases(&v.legal_bases),
        duty: v.duty,
        flowchart_ref: v.flowchart_ref,
        benchmark: benchmark(&v.benchmark),
        version: v.version,
        state: v.state,
        change_reason: v.reason,
        version_time: us_ts(v.recorded_us),
        effective_time: us_ts(v.effective_us),
        time_limit_days: v.time_limit_days,
        major_criteria: None,
    }
}

pub fn post_ids(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

pub fn officer(m: officer::Model) -> pb::Officer {
    let posts = post_ids(&m.posts)
        .iter()
        .map(|p| nested_name(&m.body_id, "posts", p))
        .collect();
    pb::Officer {
        name: format!("officers/{}", m.id),
        display_name: m.display_name,
        kind: m.kind,
        body: body_name(&m.body_id),
        posts,
        status: m.status,
        national_id: String::new(),
        create_time: us_ts(m.created_us),
    }
}

/// History rows carry the state after each event; the proto shows the move.
pub fn officer_events(events: Vec<officer_event::Model>) -> Vec<pb::OfficerEvent> {
    let mut out = Vec::with_capacity(events.len());
    let mut prev: Option<(String, i32)> = None;
    for e in events {
        let (from_body, from_status) = prev.clone().unwrap_or_default();
        out.push(pb::OfficerEvent {
            time: us_ts(e.recorded_us),
            effective_time: us_ts(e.effective_us),
            kind: e.kind,
            from_body: if from_body.is_empty() {
                String::new()
            } else {
                body_name(&from_body)
            },
            to_body: body_name(&e.body_id),
            from_status,
            to_status: e.status,
            posts: post_ids(&e.posts)
                .iter()
                .map(|p| nested_name(&e.body_id, "posts", p))
                .collect(),
            reason: e.reason,
            actor: e.actor,
        });
        prev = Some((e.body_id, e.status));
    }
    out
}

pub fn credential(
    m: credential::Model,
    events: Vec<credential_event::Model>,
    now_us: i64,
) -> pb::Credential {
    let (status, withheld_until) = temporal::credential_at(&m, &events, now_us);
    pb::Credential {
        name: format!("credentials/{}", m.id),
        number: m.number,
        holder: format!("officers/{}", m.holder_id),
        issuing_authority: m.issuing_authority,
        valid_from: us_ts(m.valid_from_us),
        valid_until: us_ts(m.valid_until_us),
        status: status as i32,
        withheld_until: withheld_until.and_then(us_ts),
        history: events
            .into_iter()
            .map(|e| pb::CredentialEvent {
                time: us_ts(e.at_us),
                kind: e.kind,
                withheld_until: e.withheld_until_us.and_then(us_ts),
                reason: e.reason,
                actor: e.actor,
            })
            .collect(),
    }
}
