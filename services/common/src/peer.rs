//! A line from one service to another over gRPC: a lazily connected channel
//! that carries a `service` bearer token and the caller's trace context.
//! The token comes from a file operations rotate (re-read every few
//! minutes) or, in development, is signed with the configured key. With
//! `peer_tls` set the line is TLS (mutual TLS when this service has a
//! client certificate), and a plaintext endpoint is refused: the token
//! must not cross the network in clear.
use std::{
    net::SocketAddr,
    path::PathBuf,
    sync::{Arc, Mutex, RwLock},
    time::{Duration, Instant},
};

use tonic::{
    Code,
    service::{Interceptor, interceptor::InterceptedService},
    transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity},
};

use crate::{
    AppError, Reason,
    auth::{Role, issue_token},
    config::Settings,
    telemetry::PropagateTrace,
};

/// Adds the current token and the trace context to every call.
#[derive(Clone)]
pub struct Bearer {
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

/// The channel type a peer's generated clients are built on.
pub type PeerChannel = InterceptedService<Channel, Bearer>;

enum TokenSource {
    /// A token issued by operations, re-read as it is rotated.
    File { path: PathBuf, setting: String },
    /// Development: sign our own with the configured signing key.
    Mint {
        settings: Box<Settings>,
        subject: String,
    },
}

/// Where a peer is and how to authenticate to it, as configured.
pub struct PeerConfig<'a> {
    /// The setting that names the endpoint, for messages (e.g. `intake.registry_endpoint`).
    pub endpoint_setting: &'a str,
    /// `http(s)://host:port`; empty means this process (`serve --target all`).
    pub endpoint: &'a str,
    /// The setting that names the token file, for messages.
    pub token_setting: &'a str,
    /// A file holding a `service` token; empty means mint one (development).
    pub token_file: &'a str,
    /// The token's subject when minted (e.g. `probity-intake`).
    pub subject: &'a str,
    pub timeout: Duration,
}

pub struct Peer {
    channel: Channel,
    bearer: Bearer,
    source: TokenSource,
    refreshed: Mutex<Option<Instant>>,
    pub timeout: Duration,
}

/// How often the token is renewed (minted tokens live three times as long).
const TOKEN_EVERY: Duration = Duration::from_secs(300);

impl Peer {
    /// `own` is this process's address, used when no endpoint is configured.
    pub fn new(settings: &Settings, c: PeerConfig<'_>, own: SocketAddr) -> anyhow::Result<Peer> {
        let url = if c.endpoint.is_empty() {
            anyhow::ensure!(
                settings.server.tls.cert_file.is_empty(),
                "{}: must be set when the server uses TLS",
                c.endpoint_setting
            );
            let host = if own.ip().is_unspecified() {
                SocketAddr::new([127, 0, 0, 1].into(), own.port())
            } else {
                own
            };
            format!("http://{host}")
        } else {
            check_scheme(settings, c.endpoint_setting, c.endpoint)?;
            c.endpoint.to_string()
        };
        let mut endpoint = Endpoint::from_shared(url.clone())
            .map_err(|e| anyhow::anyhow!("{}: {url}: {e}", c.endpoint_setting))?
            .connect_timeout(c.timeout)
            .timeout(c.timeout)
            .tcp_nodelay(true);
        if url.starts_with("https://") {
            endpoint = endpoint.tls_config(client_tls(settings)?)?;
        }
        let channel = endpoint.connect_lazy();
        let source = if c.token_file.is_empty() {
            TokenSource::Mint {
                settings: Box::new(settings.clone()),
                subject: c.subject.to_string(),
            }
        } else {
            TokenSource::File {
                path: PathBuf::from(c.token_file),
                setting: c.token_setting.to_string(),
            }
        };
        let peer = Peer {
            channel,
            bearer: Bearer {
                token: Arc::new(RwLock::new(String::new())),
            },
            source,
            refreshed: Mutex::new(None),
            timeout: c.timeout,
        };
        peer.refresh_token()?;
        Ok(peer)
    }

    /// A channel for a generated client; cheap, share the connection.
    pub fn channel(&self) -> PeerChannel {
        InterceptedService::new(self.channel.clone(), self.bearer.clone())
    }

    /// Re-reads (or re-mints) the token when it is due.
    pub fn refresh_token(&self) -> anyhow::Result<()> {
        let mut last = self
            .refreshed
            .lock()
            .map_err(|_| anyhow::anyhow!("token lock poisoned"))?;
        if last.is_some_and(|t| t.elapsed() < TOKEN_EVERY) {
            return Ok(());
        }
        let token = match &self.source {
            TokenSource::File { path, setting } => std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("{setting}: {}: {e}", path.display()))?
                .trim()
                .to_string(),
            TokenSource::Mint { settings, subject } => issue_token(
                settings,
                subject,
                Role::Service,
                None,
                chrono::Duration::from_std(TOKEN_EVERY * 3).unwrap_or_default(),
            )?,
        };
        if let Ok(mut t) = self.bearer.token.write() {
            *t = token;
        }
        *last = Some(Instant::now());
        Ok(())
    }

    /// Runs one call with the peer's timeout, mapping what the peer answers.
    pub async fn call<T, F>(&self, peer: &str, f: F) -> Result<T, PeerError>
    where
        F: std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        // The cause (a key file, its path) is the operator's to read, not the caller's.
        self.refresh_token().map_err(|e| {
            tracing::warn!(peer, error = %e, "no service token");
            PeerError::Unavailable(format!("no service token for {peer}"))
        })?;
        match tokio::time::timeout(self.timeout, f).await {
            Err(_) => Err(PeerError::Unavailable(format!(
                "{peer} did not answer in time"
            ))),
            Ok(Ok(r)) => Ok(r.into_inner()),
            Ok(Err(s)) if transient(s.code()) => Err(PeerError::Unavailable(format!(
                "{peer} is unavailable: {}",
                s.message()
            ))),
            Ok(Err(s)) => Err(PeerError::Refused(s)),
        }
    }
}

/// Refuses an endpoint whose scheme does not match `peer_tls`: plaintext
/// when peer TLS is configured (the service token would travel in clear),
/// or https:// without the CA to check the peer's certificate against.
pub fn check_scheme(settings: &Settings, key: &str, endpoint: &str) -> anyhow::Result<()> {
    let tls = settings.peer_tls.enabled();
    if endpoint.is_empty() {
        return Ok(());
    }
    if endpoint.starts_with("https://") {
        anyhow::ensure!(
            tls,
            "{key}: an https:// peer needs peer_tls.ca_file (the CA that signed its certificate)"
        );
        return Ok(());
    }
    anyhow::ensure!(
        !tls,
        "{key}: must start with https:// when peer_tls is set (the service token must not travel in clear)"
    );
    anyhow::ensure!(
        endpoint.starts_with("http://"),
        "{key}: must start with http:// or https://"
    );
    Ok(())
}

/// The TLS client side of peer calls: the peers' CA, and this service's
/// certificate when it has one (mutual TLS).
pub fn client_tls(settings: &Settings) -> anyhow::Result<ClientTlsConfig> {
    let t = &settings.peer_tls;
    let read = |key: &str, f: &str| {
        std::fs::read(f).map_err(|e| anyhow::anyhow!("peer_tls.{key}: {f}: {e}"))
    };
    let mut cfg =
        ClientTlsConfig::new().ca_certificate(Certificate::from_pem(read("ca_file", &t.ca_file)?));
    if !t.cert_file.is_empty() {
        cfg = cfg.identity(Identity::from_pem(
            read("cert_file", &t.cert_file)?,
            read("key_file", &t.key_file)?,
        ));
    }
    if !t.domain.is_empty() {
        cfg = cfg.domain_name(t.domain.clone());
    }
    Ok(cfg)
}

/// Codes that say "try again later", not "no".
pub fn transient(code: Code) -> bool {
    matches!(
        code,
        Code::Unavailable
            | Code::DeadlineExceeded
            | Code::Cancelled
            | Code::Unknown
            | Code::ResourceExhausted
            | Code::Aborted
            | Code::Internal
    )
}

/// What went wrong calling a peer.
#[derive(Debug)]
pub enum PeerError {
    /// Unreachable, timed out or overloaded: worth retrying.
    Unavailable(String),
    /// The peer answered no.
    Refused(tonic::Status),
}

impl PeerError {
    /// The ErrorInfo reason of a refusal, if it carries one.
    pub fn reason(&self) -> Option<String> {
        use tonic_types::StatusExt;
        match self {
            PeerError::Refused(s) => s.get_details_error_info().map(|i| i.reason),
            PeerError::Unavailable(_) => None,
        }
    }

    /// Whether the peer refused for `reason`.
    pub fn is(&self, reason: Reason) -> bool {
        self.reason().as_deref() == Some(reason.code())
    }

    pub fn code(&self) -> Code {
        match self {
            PeerError::Refused(s) => s.code(),
            PeerError::Unavailable(_) => Code::Unavailable,
        }
    }
}

impl std::fmt::Display for PeerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PeerError::Unavailable(m) => f.write_str(m),
            PeerError::Refused(s) => match self.reason() {
                Some(r) => write!(f, "{:?} {r}: {}", s.code(), s.message()),
                None => write!(f, "{:?}: {}", s.code(), s.message()),
            },
        }
    }
}

impl From<PeerError> for AppError {
    /// A refusal we did not expect is our fault (we send well-formed calls
    /// with a service token); unreachable is UNAVAILABLE, and so is a peer
    /// that refuses our token or does not serve the call (a token not yet
    /// rotated, a version not yet rolled out): the caller's resend will do,
    /// once the deployment is right.
    fn from(e: PeerError) -> Self {
        match e {
            PeerError::Unavailable(m) => AppError::Unavailable(m),
            PeerError::Refused(s)
                if matches!(
                    s.code(),
                    Code::Unauthenticated | Code::PermissionDenied | Code::Unimplemented
                ) =>
            {
                AppError::Unavailable(format!(
                    "a peer refused the call: {:?}: {}",
                    s.code(),
                    s.message()
                ))
            }
            PeerError::Refused(s) => AppError::internal(format!(
                "a peer refused a call: {:?}: {}",
                s.code(),
                s.message()
            )),
        }
    }
}

#[cfg(test)]
mod refusal_tests {
    use super::*;

    #[test]
    fn a_deployment_not_yet_right_is_unavailable_not_internal() {
        for code in [
            Code::Unauthenticated,
            Code::PermissionDenied,
            Code::Unimplemented,
        ] {
            let e: AppError = PeerError::Refused(tonic::Status::new(code, "x")).into();
            assert!(matches!(e, AppError::Unavailable(_)), "{code:?}: {e:?}");
        }
        let e: AppError = PeerError::Refused(tonic::Status::invalid_argument("x")).into();
        assert!(matches!(e, AppError::Internal(_)), "{e:?}");
    }
}
