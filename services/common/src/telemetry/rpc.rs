//! The server side of every call: a span (a child of the caller's trace) and
//! `rpc.server.call.duration` after OpenTelemetry's RPC conventions
//! (`rpc.system.name`, `rpc.service`, `rpc.method`, `rpc.response.status_code`),
//! measured until the response body ends, so a stream counts whole and its
//! status is the one in its trailers. Paths the suite does not serve are
//! `_OTHER`: a scanner cannot make a series per path it invents.
use std::{
    collections::HashSet,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Instant,
};

use futures::future::BoxFuture;
use http_body::{Body, Frame, SizeHint};
use opentelemetry::{KeyValue, global, metrics::Histogram};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::{HeaderExtract, METER};

/// Seconds: OpenTelemetry's recommended boundaries, then the long tail of
/// bulk streams and exports.
const BOUNDARIES: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 30.0, 60.0,
    300.0,
];

/// Health and reflection, served beside every service's own methods.
const ALWAYS: &[&str] = &[
    "/grpc.health.v1.Health/Check",
    "/grpc.health.v1.Health/Watch",
    "/grpc.health.v1.Health/List",
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
];

const OTHER: &str = "_OTHER";

/// Server layer: the span and the duration of every call.
#[derive(Clone)]
pub struct RpcLayer {
    known: Arc<HashSet<&'static str>>,
    duration: Histogram<f64>,
}

impl RpcLayer {
    /// `known`: the method paths this server serves (its policy's), each
    /// measured under its own name; every other path is `_OTHER`.
    pub fn new(known: impl IntoIterator<Item = &'static str>) -> Self {
        let known = known.into_iter().chain(ALWAYS.iter().copied()).collect();
        let duration = global::meter(METER)
            .f64_histogram("rpc.server.call.duration")
            .with_unit("s")
            .with_description("Duration of incoming calls, until the response ends")
            .with_boundaries(BOUNDARIES.to_vec())
            .build();
        RpcLayer {
            known: Arc::new(known),
            duration,
        }
    }

    /// The (`rpc.service`, `rpc.method`) of a path, `_OTHER` for both when
    /// the path is not one this server serves.
    fn names(&self, path: &str) -> (String, String) {
        if self.known.contains(path)
            && let Some((service, method)) = path.trim_start_matches('/').split_once('/')
        {
            return (service.to_string(), method.to_string());
        }
        (OTHER.to_string(), OTHER.to_string())
    }
}

impl<S> tower::Layer<S> for RpcLayer {
    type Service = RpcService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RpcService {
            inner,
            layer: self.clone(),
        }
    }
}

#[derive(Clone)]
pub struct RpcService<S> {
    inner: S,
    layer: RpcLayer,
}

impl<S, ReqBody, ResBody> tower::Service<http::Request<ReqBody>> for RpcService<S>
where
    S: tower::Service<http::Request<ReqBody>, Response = http::Response<ResBody>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
{
    type Response = http::Response<MeteredBody<ResBody>>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<ReqBody>) -> Self::Future {
        let (service, method) = self.layer.names(req.uri().path());
        let parent = global::get_text_map_propagator(|p| p.extract(&HeaderExtract(req.headers())));
        let span = tracing::info_span!(
            "rpc",
            otel.kind = "server",
            rpc.system.name = "grpc",
            rpc.service = %service,
            rpc.method = %method,
            rpc.response.status_code = tracing::field::Empty,
        );
        let _ = span.set_parent(parent);
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let mut call = Call {
            started: Instant::now(),
            attrs: vec![
                KeyValue::new("rpc.system.name", "grpc"),
                KeyValue::new("rpc.service", service),
                KeyValue::new("rpc.method", method),
            ],
            duration: self.layer.duration.clone(),
            span: span.clone(),
            header_code: None,
        };
        Box::pin(
            async move {
                match inner.call(req).await {
                    Ok(mut r) => {
                        client_mistakes_keep_their_codes(r.headers_mut());
                        call.header_code = grpc_status(r.headers());
                        Ok(r.map(|body| MeteredBody {
                            inner: Box::pin(body),
                            call: Some(call),
                        }))
                    }
                    Err(e) => {
                        call.finish(tonic::Code::Unknown as i32);
                        Err(e)
                    }
                }
            }
            .instrument(span),
        )
    }
}

/// A call in flight: what its measurement needs when its response ends.
struct Call {
    started: Instant,
    attrs: Vec<KeyValue>,
    duration: Histogram<f64>,
    span: tracing::Span,
    /// A status sent in the headers (a trailers-only answer: refusals).
    header_code: Option<i32>,
}

impl Call {
    fn finish(mut self, code: i32) {
        let name = code_name(code);
        self.span.record("rpc.response.status_code", name);
        let secs = self.started.elapsed().as_secs_f64();
        self.span.in_scope(|| {
            tracing::debug!(
                rpc.response.status_code = name,
                duration_ms = secs * 1000.0,
                "rpc finished"
            )
        });
        self.attrs
            .push(KeyValue::new("rpc.response.status_code", name));
        self.duration.record(secs, &self.attrs);
    }
}

/// The response body, measured when it ends: at its trailers, at its end,
/// or when it is dropped unfinished (the client went away: CANCELLED).
pub struct MeteredBody<B> {
    inner: Pin<Box<B>>,
    call: Option<Call>,
}

impl<B> MeteredBody<B> {
    fn finish(&mut self, trailers: Option<&http::HeaderMap>) {
        if let Some(call) = self.call.take() {
            let code = trailers
                .and_then(grpc_status)
                .or(call.header_code)
                .unwrap_or(tonic::Code::Ok as i32);
            call.finish(code);
        }
    }
}

impl<B: Body> Body for MeteredBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let polled = this.inner.as_mut().poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(t) = frame.trailers_ref() {
                    this.finish(Some(t));
                }
            }
            Poll::Ready(Some(Err(_))) => {
                if let Some(call) = this.call.take() {
                    call.finish(tonic::Code::Unknown as i32);
                }
            }
            Poll::Ready(None) => this.finish(None),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<B> Drop for MeteredBody<B> {
    fn drop(&mut self) {
        let Some(call) = self.call.take() else { return };
        // A trailers-only answer may never be polled; anything else dropped
        // before its end was abandoned by the client.
        let code = call.header_code.unwrap_or(tonic::Code::Cancelled as i32);
        call.finish(code);
    }
}

fn grpc_status(headers: &http::HeaderMap) -> Option<i32> {
    headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
}

/// gRPC's name of a status code, as `rpc.response.status_code` carries it.
fn code_name(code: i32) -> &'static str {
    const NAMES: [&str; 17] = [
        "OK",
        "CANCELLED",
        "UNKNOWN",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION",
        "ABORTED",
        "OUT_OF_RANGE",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "DATA_LOSS",
        "UNAUTHENTICATED",
    ];
    usize::try_from(code)
        .ok()
        .and_then(|i| NAMES.get(i).copied())
        .unwrap_or("UNKNOWN")
}

/// Two client mistakes that tonic answers before any handler runs, with codes
/// that blame the server: a request above the decoding limit (OUT_OF_RANGE;
/// gRPC says RESOURCE_EXHAUSTED) and a body that is not the method's protobuf
/// message (INTERNAL; it is the client's INVALID_ARGUMENT).
fn client_mistakes_keep_their_codes(headers: &mut http::HeaderMap) {
    let status = headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let message = headers
        .get("grpc-message")
        .and_then(|v| v.to_str().ok())
        .map(|m| m.replace("%20", " "))
        .unwrap_or_default();
    let code = match status {
        "11" if message.contains("decoded message length too large") => "8",
        "13" if message.starts_with("failed to decode Protobuf message") => "3",
        _ => return,
    };
    headers.insert("grpc-status", http::HeaderValue::from_static(code));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_served_paths_keep_their_names() {
        let l = RpcLayer::new(["/probity.registry.v1.RegistryService/GetBody"]);
        assert_eq!(
            l.names("/probity.registry.v1.RegistryService/GetBody"),
            (
                "probity.registry.v1.RegistryService".to_string(),
                "GetBody".to_string()
            )
        );
        assert_eq!(
            l.names("/grpc.health.v1.Health/Check").1,
            "Check".to_string()
        );
        for invented in [
            "/probity.registry.v1.RegistryService/GetBodyX",
            "/x.y/z",
            "/",
            "",
        ] {
            assert_eq!(
                l.names(invented),
                (OTHER.to_string(), OTHER.to_string()),
                "{invented}"
            );
        }
    }

    #[test]
    fn status_names_follow_grpc() {
        assert_eq!(code_name(0), "OK");
        assert_eq!(code_name(14), "UNAVAILABLE");
        assert_eq!(code_name(16), "UNAUTHENTICATED");
        assert_eq!(code_name(99), "UNKNOWN");
        assert_eq!(code_name(-1), "UNKNOWN");
    }
}
