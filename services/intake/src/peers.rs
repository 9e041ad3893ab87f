//! Intake's line to the registry: BatchCheckActors over gRPC with a `service`
//! token and the caller's trace context, answers reused for a short while.
//! When the registry cannot be reached intake answers UNAVAILABLE and writes
//! nothing, so nothing it acknowledged depends on a guess.
//!
//! Answers are kept per officer: a question about a group splits into one
//! part per officer (that officer, the body and the power), each answered
//! by the registry with the span of instants over which the answer holds.
//! Facts name the same officers again and again at ever new instants, so
//! almost every part is answered from memory; the group rule is applied to
//! the parts by the same function the registry applies
//! (`probity_common::actors`), with the registry's minimum.
use std::{
    collections::{HashMap, HashSet},
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use probity_common::{
    AppError, AppResult,
    config::Settings,
    names::ts_us,
    peer::{Peer, PeerChannel, PeerConfig},
};
use probity_proto::registry::v1::{
    BatchCheckActorsRequest, CheckActorsRequest, CheckActorsResponse, GroupProblem,
    registry_service_client::RegistryServiceClient,
};

/// Checks per BatchCheckActors call (the registry's limit).
const BATCH: usize = 1000;
/// Parts kept at most; the cache is emptied when it grows past this.
const CACHE_MAX: usize = 200_000;
/// Spans kept per part (an officer whose situation changed often); the
/// oldest goes first.
const SPANS_PER_PART: usize = 16;
/// Rounds asking one instant per part before asking for every instant left.
const ROUNDS: usize = 4;

/// The registry over gRPC, with the answers it gave kept per officer.
pub struct Peers {
    peer: Peer,
    client: RegistryServiceClient<PeerChannel>,
    cache: Mutex<HashMap<String, Vec<Span>>>,
    ttl: Duration,
}

impl Peers {
    /// `own` is this process's address, used when no endpoint is configured
    /// (`serve --target all`).
    pub fn new(settings: &Settings, own: SocketAddr) -> anyhow::Result<Self> {
        let s = settings.section::<crate::settings::IntakeSettings>();
        let peer = Peer::new(
            settings,
            PeerConfig {
                endpoint_setting: "intake.registry_endpoint",
                endpoint: &s.registry_endpoint,
                token_setting: "intake.registry_token_file",
                token_file: &s.registry_token_file,
                subject: probity_common::service_identity::INTAKE.subject,
                timeout: Duration::from_millis(s.registry_timeout_ms),
            },
            own,
        )?;
        let client = RegistryServiceClient::new(peer.channel())
            .max_decoding_message_size(64 * 1024 * 1024)
            .max_encoding_message_size(64 * 1024 * 1024);
        Ok(Peers {
            peer,
            client,
            cache: Mutex::new(HashMap::new()),
            ttl: Duration::from_millis(s.registry_cache_ttl_ms),
        })
    }

    /// Answers every check, each as the registry would answer it, from parts
    /// kept for less than `intake.registry_cache_ttl_ms` where they cover the
    /// check's instant, else from the registry.
    /// `viewer`: the department the submission comes from, if any: officers
    /// outside its subtree are answered as unknown, as the registry would
    /// answer that department itself.
    pub async fn check(
        &self,
        checks: &[CheckActorsRequest],
        viewer: Option<&str>,
    ) -> AppResult<Vec<CheckActorsResponse>> {
        let viewer = viewer
            .map(probity_common::names::body_name)
            .unwrap_or_default();
        let parts: Vec<Vec<Part>> = checks.iter().map(|c| parts_of(c, &viewer)).collect();
        let mut found: Vec<Vec<Option<Arc<CheckActorsResponse>>>> =
            parts.iter().map(|p| vec![None; p.len()]).collect();
        // Answers this call got: used whatever the TTL and however full the
        // shared cache, so every part asked is answered.
        let mut fresh: HashMap<String, Vec<Span>> = HashMap::new();
        // Rounds 0..ROUNDS ask one instant per part, round ROUNDS every
        // instant left; the round after only reads what came back.
        for round in 0..=ROUNDS + 1 {
            let mut asks: Vec<&Part> = Vec::new();
            {
                let cache = self.cache.lock().map_err(AppError::internal)?;
                let mut asked = HashSet::new();
                for (i, ps) in parts.iter().enumerate() {
                    for (j, p) in ps.iter().enumerate() {
                        if found[i][j].is_some() {
                            continue;
                        }
                        found[i][j] = within(fresh.get(&p.key), p.t, None)
                            .or_else(|| within(cache.get(&p.key), p.t, Some(self.ttl)));
                        // One instant per part a round: its span usually
                        // covers the others; the last round asks for all.
                        let key = if round < ROUNDS {
                            (p.key.as_str(), 0)
                        } else {
                            (p.key.as_str(), p.t)
                        };
                        if found[i][j].is_none() && asked.insert(key) {
                            asks.push(p);
                        }
                    }
                }
            }
            if asks.is_empty() || round > ROUNDS {
                break;
            }
            for (key, span) in self.ask(&asks, &viewer).await? {
                fresh.entry(key).or_default().push(span);
            }
        }
        let mut out = Vec::with_capacity(checks.len());
        for (c, answers) in checks.iter().zip(found) {
            let answers: Vec<Arc<CheckActorsResponse>> = answers
                .into_iter()
                .map(|a| a.ok_or_else(|| AppError::internal("a part of a check went unanswered")))
                .collect::<AppResult<_>>()?;
            out.push(compose(c, &answers)?);
        }
        Ok(out)
    }

    /// Asks the registry about these parts, keeps the answers and returns
    /// them.
    async fn ask(&self, asks: &[&Part], viewer: &str) -> AppResult<Vec<(String, Span)>> {
        let mut got = Vec::with_capacity(asks.len());
        for chunk in chunks(asks) {
            let req = BatchCheckActorsRequest {
                checks: chunk.iter().map(|p| p.question.clone()).collect(),
                viewer: viewer.to_string(),
            };
            let mut client = self.client.clone();
            let resp = self
                .peer
                .call("the registry", client.batch_check_actors(req))
                .await?;
            if resp.results.len() != chunk.len() {
                return Err(AppError::internal(
                    "the registry answered a different number of checks",
                ));
            }
            let now = Instant::now();
            let mut cache = self.cache.lock().map_err(AppError::internal)?;
            if cache.len() + chunk.len() > CACHE_MAX {
                cache.clear();
            }
            for (p, a) in chunk.iter().zip(resp.results) {
                let span = Span {
                    // Unset: unbounded on that side.
                    from: a.same_from.as_ref().map_or(i64::MIN, ts_us),
                    until: a.same_until.as_ref().map_or(i64::MAX, ts_us),
                    fetched: now,
                    answer: Arc::new(a),
                };
                let spans = cache.entry(p.key.clone()).or_default();
                spans.retain(|s| s.fetched.elapsed() < self.ttl);
                if spans.len() >= SPANS_PER_PART {
                    spans.remove(0);
                }
                spans.push(span.clone());
                got.push((p.key.clone(), span));
            }
        }
        Ok(got)
    }
}

/// The answer of the latest span covering `t` (and younger than `ttl`).
fn within(
    spans: Option<&Vec<Span>>,
    t: i64,
    ttl: Option<Duration>,
) -> Option<Arc<CheckActorsResponse>> {
    spans?.iter().rev().find_map(|s| {
        (s.from <= t && t < s.until && ttl.is_none_or(|ttl| s.fetched.elapsed() < ttl))
            .then(|| s.answer.clone())
    })
}

/// An answer about one part, and the instants it holds for.
#[derive(Clone)]
struct Span {
    from: i64,
    until: i64,
    fetched: Instant,
    answer: Arc<CheckActorsResponse>,
}

/// One officer (or the power alone) of a check, at the check's instant.
struct Part {
    key: String,
    t: i64,
    question: CheckActorsRequest,
}

fn parts_of(c: &CheckActorsRequest, viewer: &str) -> Vec<Part> {
    let t = c.act_time.as_ref().map_or(0, ts_us);
    // A question about the registry as it stood at `known_time` (a correction)
    // is a different question from one about the registry now: its answers
    // are kept apart, under their own known_time.
    let known = c
        .known_time
        .as_ref()
        .map_or_else(String::new, |k| ts_us(k).to_string());
    let one = |officer: Option<&String>| Part {
        key: format!(
            "{viewer}\u{0}{}\u{0}{}\u{0}{}\u{0}{known}",
            c.body,
            c.power,
            officer.map_or("", |o| o.as_str())
        ),
        t,
        question: CheckActorsRequest {
            body: c.body.clone(),
            power: c.power.clone(),
            act_time: c.act_time,
            officers: officer.into_iter().cloned().collect(),
            min_qualified: 0,
            known_time: c.known_time,
        },
    };
    if c.officers.is_empty() {
        vec![one(None)]
    } else {
        c.officers.iter().map(|o| one(Some(o))).collect()
    }
}

/// The registry's answer to `c`, from its answers about each part.
fn compose(
    c: &CheckActorsRequest,
    parts: &[Arc<CheckActorsResponse>],
) -> AppResult<CheckActorsResponse> {
    let first = parts
        .first()
        .ok_or_else(|| AppError::internal("a check of no parts"))?;
    if parts.iter().any(|a| !a.body_known) {
        return Ok(CheckActorsResponse::default());
    }
    let actors = if c.officers.is_empty() {
        Vec::new()
    } else {
        parts
            .iter()
            .map(|a| {
                a.actors
                    .first()
                    .cloned()
                    .ok_or_else(|| AppError::internal("the registry left an officer out"))
            })
            .collect::<AppResult<Vec<_>>>()?
    };
    let min = if c.min_qualified > 0 {
        c.min_qualified
    } else {
        first.min_qualified
    };
    let mut answer = CheckActorsResponse {
        body_known: true,
        body_path: first.body_path.clone(),
        min_qualified: min,
        ..Default::default()
    };
    if c.power.is_empty() {
        answer.qualified_count = actors.iter().filter(|a| a.qualified).count() as i32;
        answer.group_ok = true;
        answer.actors = actors;
        return Ok(answer);
    }
    let power_problems: Vec<GroupProblem> = first
        .group_problems
        .iter()
        .filter_map(|g| GroupProblem::try_from(*g).ok())
        .filter(|g| matches!(g, GroupProblem::PowerNotHeld | GroupProblem::PowerWithdrawn))
        .collect();
    let (qualified, problems) =
        probity_rules::group::group_problems(&actors, power_problems, min.max(0) as u32);
    answer.qualified_count = qualified;
    answer.group_ok = problems.is_empty();
    answer.group_problems = problems.into_iter().map(|g| g as i32).collect();
    answer.actors = actors;
    answer.power_category = first.power_category;
    answer.power_known = first.power_known;
    answer.benchmark = first.benchmark.clone();
    answer.major_criteria = first.major_criteria.clone();
    answer.time_limit_days = first.time_limit_days;
    Ok(answer)
}

/// Bytes of checks per call: well under the registry's default 4 MiB limit
/// on a request.
const BATCH_BYTES: usize = 2 << 20;

/// Splits the parts into calls of at most BATCH checks and BATCH_BYTES.
fn chunks<'a>(asks: &'a [&'a Part]) -> Vec<&'a [&'a Part]> {
    use prost::Message;
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (n, p) in asks.iter().enumerate() {
        let size = p.question.encoded_len() + 8;
        if n > start && (n - start == BATCH || bytes + size > BATCH_BYTES) {
            out.push(&asks[start..n]);
            (start, bytes) = (n, 0);
        }
        bytes += size;
    }
    if start < asks.len() {
        out.push(&asks[start..]);
    }
    out
}
