//! Intake's line to the registry: BatchCheckActors over gRPC with a `service`
//! token and the caller's trace context, answers reused for a short while.
//! When the registry cannot be reached intake answers UNAVAILABLE and writes
//! nothing, so nothing it acknowledged depends on a guess.
use std::{
    collections::HashMap,
    net::SocketAddr,
    path::PathBuf,
    sync::{Arc, Mutex, RwLock},
    time::{Duration, Instant},
};

use probity_common::{
    AppError, AppResult,
    auth::{Role, issue_token},
    config::Settings,
    telemetry::PropagateTrace,
};
use probity_proto::registry::v1::{
    BatchCheckActorsRequest, CheckActorsRequest, CheckActorsResponse,
    registry_service_client::RegistryServiceClient,
};
use prost::Message;
use tonic::{
    Code,
    service::{Interceptor, interceptor::InterceptedService},
    transport::{Channel, Endpoint},
};

/// Checks per BatchCheckActors call (the registry's limit).
const BATCH: usize = 1000;
/// Cached answers kept at most; the cache is emptied when it grows past this.
const CACHE_MAX: usize = 200_000;

#[derive(Clone)]
struct Bearer {
    token: Arc<RwLock<String>>,
}

impl Interceptor for Bearer {
    fn call(&mut self, req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        let mut req = PropagateTrace.call(req)?;
        let token = self.token.read().map(|t| t.clone()).unwrap_or_default();
        let value = format!("Bearer {token}")
            .parse()
            .map_err(|_| tonic::Status::internal("service token is not a header value"))?;
        req.metadata_mut().insert("authorization", value);
        Ok(req)
    }
}

enum TokenSource {
    /// A token issued by operations, re-read as it is rotated.
    File(PathBuf),
    /// Development: sign our own with the configured signing key.
    Mint(Box<Settings>),
}

pub struct RegistryLink {
    client: RegistryServiceClient<InterceptedService<Channel, Bearer>>,
    token: Arc<RwLock<String>>,
    source: TokenSource,
    token_refreshed: Mutex<Option<Instant>>,
    cache: Mutex<HashMap<Vec<u8>, (Instant, CheckActorsResponse)>>,
    ttl: Duration,
    timeout: Duration,
}

/// How often the token is renewed (minted tokens live three times as long).
const TOKEN_EVERY: Duration = Duration::from_secs(300);

impl RegistryLink {
    /// `own` is this process's address, used when no endpoint is configured
    /// (`serve --target all`).
    pub fn new(settings: &Settings, own: SocketAddr) -> anyhow::Result<Self> {
        let s = &settings.intake;
        let url = if s.registry_endpoint.is_empty() {
            anyhow::ensure!(
                settings.server.tls.cert_file.is_empty(),
                "intake.registry_endpoint: must be set when the server uses TLS"
            );
            let host = if own.ip().is_unspecified() {
                SocketAddr::new([127, 0, 0, 1].into(), own.port())
            } else {
                own
            };
            format!("http://{host}")
        } else {
            s.registry_endpoint.clone()
        };
        let timeout = Duration::from_millis(s.registry_timeout_ms);
        let channel = Endpoint::from_shared(url.clone())
            .map_err(|e| anyhow::anyhow!("intake.registry_endpoint: {url}: {e}"))?
            .connect_timeout(timeout)
            .timeout(timeout)
            .tcp_nodelay(true)
            .connect_lazy();
        let token = Arc::new(RwLock::new(String::new()));
        let client = RegistryServiceClient::with_interceptor(
            channel,
            Bearer {
                token: token.clone(),
            },
        )
        .max_decoding_message_size(64 * 1024 * 1024)
        .max_encoding_message_size(64 * 1024 * 1024);
        let source = if s.registry_token_file.is_empty() {
            TokenSource::Mint(Box::new(settings.clone()))
        } else {
            TokenSource::File(PathBuf::from(&s.registry_token_file))
        };
        let link = RegistryLink {
            client,
            token,
            source,
            token_refreshed: Mutex::new(None),
            cache: Mutex::new(HashMap::new()),
            ttl: Duration::from_millis(s.registry_cache_ttl_ms),
            timeout,
        };
        link.refresh_token()?;
        Ok(link)
    }

    fn refresh_token(&self) -> anyhow::Result<()> {
        let mut last = self
            .token_refreshed
            .lock()
            .map_err(|_| anyhow::anyhow!("token lock poisoned"))?;
        if last.is_some_and(|t| t.elapsed() < TOKEN_EVERY) {
            return Ok(());
        }
        let token = match &self.source {
            TokenSource::File(p) => std::fs::read_to_string(p)
                .map_err(|e| anyhow::anyhow!("intake.registry_token_file: {}: {e}", p.display()))?
                .trim()
                .to_string(),
            TokenSource::Mint(s) => issue_token(
                s,
                "probity-intake",
                Role::Service,
                None,
                chrono::Duration::from_std(TOKEN_EVERY * 3).unwrap_or_default(),
            )?,
        };
        if let Ok(mut t) = self.token.write() {
            *t = token;
        }
        *last = Some(Instant::now());
        Ok(())
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
        if !missing.is_empty() {
            self.refresh_token().map_err(|e| {
                AppError::Unavailable(format!("no service token for the registry: {e}"))
            })?;
        }
        for chunk in chunks(&missing, &keys) {
            let req = BatchCheckActorsRequest {
                checks: chunk.iter().map(|&i| checks[i].clone()).collect(),
                viewer: viewer.clone(),
            };
            let mut client = self.client.clone();
            let call = client.batch_check_actors(req);
            let resp = match tokio::time::timeout(self.timeout, call).await {
                Err(_) => {
                    return Err(AppError::Unavailable(
                        "the registry did not answer in time".into(),
                    ));
                }
                Ok(Err(status)) => return Err(registry_error(status)),
                Ok(Ok(r)) => r.into_inner(),
            };
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

/// The registry's refusal is our fault (we send well-formed checks with a
/// service token), except when it cannot be reached.
fn registry_error(s: tonic::Status) -> AppError {
    match s.code() {
        Code::Unavailable
        | Code::DeadlineExceeded
        | Code::Cancelled
        | Code::Unknown
        | Code::ResourceExhausted => {
            AppError::Unavailable(format!("the registry is unavailable: {}", s.message()))
        }
        _ => AppError::internal(format!(
            "registry refused a check: {:?}: {}",
            s.code(),
            s.message()
        )),
    }
}
