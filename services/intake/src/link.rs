//! Intake's line to the registry: BatchCheckActors over gRPC with a `service`
//! token and the caller's trace context, answers reused for a short while.
//! When the registry cannot be reached intake answers UNAVAILABLE and writes
//! nothing, so nothing it acknowledged depends on a guess.
use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

use probity_common::{
    AppError, AppResult,
    config::Settings,
    peer::{Peer, PeerChannel, PeerConfig},
};
use probity_proto::registry::v1::{
    BatchCheckActorsRequest, CheckActorsRequest, CheckActorsResponse,
    registry_service_client::RegistryServiceClient,
};
use prost::Message;

/// Checks per BatchCheckActors call (the registry's limit).
const BATCH: usize = 1000;
/// Cached answers kept at most; the cache is emptied when it grows past this.
const CACHE_MAX: usize = 200_000;

pub struct RegistryLink {
    peer: Peer,
    client: RegistryServiceClient<PeerChannel>,
    cache: Mutex<HashMap<Vec<u8>, (Instant, CheckActorsResponse)>>,
    ttl: Duration,
}

impl RegistryLink {
    /// `own` is this process's address, used when no endpoint is configured
    /// (`serve --target all`).
    pub fn new(settings: &Settings, own: SocketAddr) -> anyhow::Result<Self> {
        let s = &settings.intake;
        let peer = Peer::new(
            settings,
            PeerConfig {
                endpoint_setting: "intake.registry_endpoint",
                endpoint: &s.registry_endpoint,
                token_setting: "intake.registry_token_file",
                token_file: &s.registry_token_file,
                subject: "probity-intake",
                timeout: Duration::from_millis(s.registry_timeout_ms),
            },
            own,
        )?;
        let client = RegistryServiceClient::new(peer.channel())
            .max_decoding_message_size(64 * 1024 * 1024)
            .max_encoding_message_size(64 * 1024 * 1024);
        Ok(RegistryLink {
            peer,
            client,
            cache: Mutex::new(HashMap::new()),
            ttl: Duration::from_millis(s.registry_cache_ttl_ms),
        })
    }

    /// Answers every check, from the cache where fresh, else from the registry.
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
        let keys: Vec<Vec<u8>> = checks
            .iter()
            .map(|c| {
                let mut k = c.encode_to_vec();
                k.extend_from_slice(viewer.as_bytes());
                k
            })
            .collect();
        let mut answers: Vec<Option<CheckActorsResponse>> = vec![None; checks.len()];
        let mut missing = Vec::new();
        {
            let cache = self.cache.lock().map_err(AppError::internal)?;
            for (i, k) in keys.iter().enumerate() {
                match cache.get(k) {
                    Some((at, a)) if at.elapsed() < self.ttl => answers[i] = Some(a.clone()),
                    _ => missing.push(i),
                }
            }
        }
        for chunk in chunks(&missing, &keys) {
            let req = BatchCheckActorsRequest {
                checks: chunk.iter().map(|&i| checks[i].clone()).collect(),
                viewer: viewer.clone(),
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
            for (&i, a) in chunk.iter().zip(resp.results) {
                cache.insert(keys[i].clone(), (now, a.clone()));
                answers[i] = Some(a);
            }
        }
        Ok(answers.into_iter().map(Option::unwrap_or_default).collect())
    }
}

/// Bytes of checks per call: well under the registry's default 4 MiB limit
/// on a request (a check names up to 100 officers).
const BATCH_BYTES: usize = 2 << 20;

/// Splits the checks (by index) into calls of at most BATCH checks and
/// BATCH_BYTES encoded bytes.
fn chunks<'a>(missing: &'a [usize], keys: &[Vec<u8>]) -> Vec<&'a [usize]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (n, &i) in missing.iter().enumerate() {
        let size = keys[i].len() + 8;
        if n > start && (n - start == BATCH || bytes + size > BATCH_BYTES) {
            out.push(&missing[start..n]);
            (start, bytes) = (n, 0);
        }
        bytes += size;
    }
    if start < missing.len() {
        out.push(&missing[start..]);
    }
    out
}
