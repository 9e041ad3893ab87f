//! A token bucket per client address on the methods that need no token
//! (`Access::Public` in a service's policy): anyone may check a credential,
//! but no one may walk the credential numbers at the speed of the network.
//! The buckets are governor's (GCRA); this layer picks the methods, finds
//! the client's address and answers RESOURCE_EXHAUSTED with RATE_LIMITED
//! and a RetryInfo saying when to send again.
use std::{
    collections::HashSet,
    net::{IpAddr, Ipv6Addr},
    num::NonZeroU32,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use futures::future::BoxFuture;
use governor::{
    Quota, RateLimiter,
    clock::{Clock, DefaultClock},
    state::keyed::DefaultKeyedStateStore,
};
use ipnet::IpNet;
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
use tonic_types::{ErrorDetails, StatusExt};

use crate::{
    auth::{Access, Policy},
    config::RateLimitSettings,
    error::DOMAIN,
    reasons::Reason,
};

/// An address or a CIDR block (`10.0.0.7`, `10.0.0.0/8`).
pub fn parse_net(s: &str) -> Result<IpNet, String> {
    if let Ok(net) = s.parse::<IpNet>() {
        return Ok(net);
    }
    s.parse::<IpAddr>()
        .map(IpNet::from)
        .map_err(|_| "not an address or a CIDR block".to_string())
}

type Buckets = RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock>;

/// How often (in calls) buckets that are full again are forgotten.
const SWEEP_EVERY: u64 = 4096;

/// The limiter shared by every connection of one server.
#[derive(Clone)]
pub struct PublicRateLimitLayer {
    inner: Arc<Limiter>,
}

struct Limiter {
    buckets: Buckets,
    /// The paths limited: every public method of the policy.
    paths: HashSet<&'static str>,
    trusted: Vec<IpNet>,
    max_addresses: usize,
    calls: AtomicU64,
}

impl PublicRateLimitLayer {
    /// Limits every method `policy` marks `Access::Public`.
    pub fn new(settings: &RateLimitSettings, policy: &Policy) -> anyhow::Result<Self> {
        let nz = |v: u32, key: &str| {
            NonZeroU32::new(v)
                .ok_or_else(|| anyhow::anyhow!("server.public_rate_limit.{key}: must be positive"))
        };
        let per_minute = nz(settings.per_minute, "per_minute")?;
        let quota = Quota::with_period(Duration::from_secs(60) / per_minute.get())
            .ok_or_else(|| anyhow::anyhow!("server.public_rate_limit.per_minute: too large"))?
            .allow_burst(nz(settings.burst, "burst")?);
        let trusted = settings
            .trusted_proxies
            .iter()
            .map(|p| {
                parse_net(p).map_err(|e| {
                    anyhow::anyhow!("server.public_rate_limit.trusted_proxies: {p}: {e}")
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(PublicRateLimitLayer {
            inner: Arc::new(Limiter {
                buckets: RateLimiter::keyed(quota),
                paths: policy
                    .iter()
                    .filter(|(_, a)| **a == Access::Public)
                    .map(|(p, _)| *p)
                    .collect(),
                trusted,
                max_addresses: settings.max_addresses,
                calls: AtomicU64::new(0),
            }),
        })
    }
}

impl Limiter {
    /// The bucket `client` draws from: an IPv6 client by its /64 (one
    /// host holds a whole /64, and would otherwise have 2^64 buckets);
    /// past `max_addresses`, a new address shares the overflow bucket.
    fn key(&self, client: IpAddr) -> IpAddr {
        let key = match client {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => {
                    let s = v6.segments();
                    IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
                }
            },
            v4 => v4,
        };
        if self
            .calls
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(SWEEP_EVERY)
            || self.buckets.len() >= self.max_addresses
        {
            self.buckets.retain_recent();
        }
        if self.buckets.len() >= self.max_addresses {
            return IpAddr::V6(Ipv6Addr::UNSPECIFIED);
        }
        key
    }

    /// None when the call may go ahead; else how long to wait.
    fn check(&self, client: IpAddr) -> Option<Duration> {
        let key = self.key(client);
        match self.buckets.check_key(&key) {
            Ok(()) => None,
            Err(not_until) => Some(not_until.wait_time_from(self.buckets.clock().now())),
        }
    }

    /// The client's address: the connection's peer, or, when that peer is
    /// a trusted proxy, the last address the proxy put in `x-forwarded-for`
    /// (earlier ones are the client's to write, and so are not believed).
    fn client<B>(&self, req: &http::Request<B>) -> Option<IpAddr> {
        let ext = req.extensions();
        let peer = ext
            .get::<TcpConnectInfo>()
            .and_then(TcpConnectInfo::remote_addr)
            .or_else(|| {
                ext.get::<TlsConnectInfo<TcpConnectInfo>>()
                    .and_then(|t| t.get_ref().remote_addr())
            })?
            .ip();
        if !self.trusted.iter().any(|n| n.contains(&peer)) {
            return Some(peer);
        }
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .next_back();
        Some(forwarded.unwrap_or(peer))
    }
}

/// RESOURCE_EXHAUSTED with RATE_LIMITED and when to send again.
pub fn limited(wait: Duration) -> tonic::Status {
    let mut details = ErrorDetails::new();
    details.set_error_info(
        Reason::RateLimited.code(),
        DOMAIN,
        std::collections::HashMap::new(),
    );
    // Whole milliseconds, at least one: a zero delay would say "now".
    let wait = Duration::from_millis((wait.as_millis() as u64).max(1));
    details.set_retry_info(Some(wait));
    tonic::Status::with_error_details(
        Reason::RateLimited.grpc(),
        format!(
            "too many calls from this address: send again in {} ms",
            wait.as_millis()
        ),
        details,
    )
}

impl<S> tower::Layer<S> for PublicRateLimitLayer {
    type Service = PublicRateLimit<S>;
    fn layer(&self, inner: S) -> Self::Service {
        PublicRateLimit {
            inner,
            limiter: self.inner.clone(),
        }
    }
}

#[derive(Clone)]
pub struct PublicRateLimit<S> {
    inner: S,
    limiter: Arc<Limiter>,
}

impl<S, ReqBody, ResBody> tower::Service<http::Request<ReqBody>> for PublicRateLimit<S>
where
    S: tower::Service<http::Request<ReqBody>, Response = http::Response<ResBody>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<ReqBody>) -> Self::Future {
        let l = &self.limiter;
        if l.paths.contains(req.uri().path())
            && let Some(client) = l.client(&req)
            && let Some(wait) = l.check(client)
        {
            tracing::info!(%client, path = req.uri().path(), "public call rate-limited");
            let resp = limited(wait).into_http::<ResBody>();
            return Box::pin(async move { Ok(resp) });
        }
        // The ready service is the one poll_ready readied; leave a clone behind.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(inner.call(req))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(burst: u32, trusted: &[&str]) -> Arc<Limiter> {
        let mut policy = Policy::new();
        policy.insert("/p.P/Public", Access::Public);
        policy.insert("/p.P/Read", Access::Read);
        let layer = PublicRateLimitLayer::new(
            &RateLimitSettings {
                burst,
                per_minute: 60,
                max_addresses: 3,
                trusted_proxies: trusted.iter().map(|s| s.to_string()).collect(),
            },
            &policy,
        )
        .unwrap();
        layer.inner
    }

    #[test]
    fn only_public_methods_are_limited() {
        let l = limiter(1, &[]);
        assert!(l.paths.contains("/p.P/Public"));
        assert!(!l.paths.contains("/p.P/Read"));
    }

    #[test]
    fn a_host_does_not_get_a_bucket_per_ipv6_address() {
        let l = limiter(1, &[]);
        assert!(l.check("2001:db8::1".parse().unwrap()).is_none());
        assert!(
            l.check("2001:db8::2".parse().unwrap()).is_some(),
            "the same /64"
        );
        assert!(l.check("2001:db8:0:1::1".parse().unwrap()).is_none());
    }

    #[test]
    fn past_max_addresses_new_ones_share_a_bucket() {
        let l = limiter(1, &[]);
        for i in 1..=3 {
            assert!(l.check(format!("10.0.0.{i}").parse().unwrap()).is_none());
        }
        assert!(l.check("10.0.0.4".parse().unwrap()).is_none());
        assert!(
            l.check("10.0.0.5".parse().unwrap()).is_some(),
            "a spray of new addresses is one bucket"
        );
    }

    #[test]
    fn forwarded_for_is_believed_from_trusted_proxies_only() {
        let l = limiter(1, &["10.1.0.0/16"]);
        let req = |peer: &str, xff: &str| {
            let mut r = http::Request::builder()
                .header("x-forwarded-for", xff)
                .body(())
                .unwrap();
            r.extensions_mut().insert(TcpConnectInfo {
                local_addr: None,
                remote_addr: Some(format!("{peer}:4000").parse().unwrap()),
            });
            r
        };
        assert_eq!(
            l.client(&req("10.1.2.3", "1.1.1.1, 2.2.2.2")),
            Some("2.2.2.2".parse().unwrap()),
            "the proxy's own entry, not the client's"
        );
        assert_eq!(
            l.client(&req("8.8.8.8", "2.2.2.2")),
            Some("8.8.8.8".parse().unwrap()),
            "an untrusted peer's header is not believed"
        );
        assert!(parse_net("10.0.0.0/8").is_ok() && parse_net("10.0.0.1").is_ok());
        assert!(parse_net("ten").is_err());
    }
}
