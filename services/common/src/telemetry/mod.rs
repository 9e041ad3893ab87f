//! Logs to stdout (pretty or JSON), OpenTelemetry traces and metrics over
//! OTLP/gRPC when an endpoint is set, W3C trace context across services, and
//! per-RPC request count, error count by code and latency.
use std::{
    sync::OnceLock,
    task::{Context, Poll},
    time::Instant,
};

use futures::future::BoxFuture;
use opentelemetry::{
    KeyValue, global,
    metrics::{Counter, Histogram},
    propagation::{Extractor, Injector},
    trace::TracerProvider as _,
};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::{
    Resource, metrics::SdkMeterProvider, propagation::TraceContextPropagator,
    trace::SdkTracerProvider,
};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{EnvFilter, Layer, layer::SubscriberExt, util::SubscriberInitExt};

use crate::config::TelemetrySettings;

/// Flushes exporters when dropped at shutdown.
#[derive(Default)]
pub struct Guard {
    tracer: Option<SdkTracerProvider>,
    meter: Option<SdkMeterProvider>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(t) = self.tracer.take() {
            let _ = t.shutdown();
        }
        if let Some(m) = self.meter.take() {
            let _ = m.shutdown();
        }
    }
}

/// Installs logging and, when configured, OTLP export. Call once per process.
pub fn init(s: &TelemetrySettings, role: &str) -> anyhow::Result<Guard> {
    global::set_text_map_propagator(TraceContextPropagator::new());
    let filter = EnvFilter::try_new(&s.level)?;
    let fmt = if s.format == "json" {
        tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer().boxed()
    };
    let mut guard = Guard::default();
    let otel = if s.otlp_endpoint.is_empty() {
        None
    } else {
        let resource = Resource::builder()
            .with_service_name(format!("{}-{role}", s.service_name))
            .build();
        let spans = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(&s.otlp_endpoint)
            .build()
            .map_err(|e| anyhow::anyhow!("telemetry.otlp_endpoint: {e}"))?;
        let tracer_provider = SdkTracerProvider::builder()
            .with_batch_exporter(spans)
            .with_resource(resource.clone())
            .build();
        let metrics = opentelemetry_otlp::MetricExporter::builder()
            .with_tonic()
            .with_endpoint(&s.otlp_endpoint)
            .build()
            .map_err(|e| anyhow::anyhow!("telemetry.otlp_endpoint: {e}"))?;
        let meter_provider = SdkMeterProvider::builder()
            .with_periodic_exporter(metrics)
            .with_resource(resource)
            .build();
        global::set_meter_provider(meter_provider.clone());
        let tracer = tracer_provider.tracer("probity");
        global::set_tracer_provider(tracer_provider.clone());
        guard.tracer = Some(tracer_provider);
        guard.meter = Some(meter_provider);
        Some(tracing_opentelemetry::layer().with_tracer(tracer))
    };
    // A second init in one process (tests) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(otel)
        .try_init();
    Ok(guard)
}

struct Instruments {
    requests: Counter<u64>,
    errors: Counter<u64>,
    latency: Histogram<f64>,
}

fn instruments() -> &'static Instruments {
    static I: OnceLock<Instruments> = OnceLock::new();
    I.get_or_init(|| {
        let m = global::meter("probity");
        Instruments {
            requests: m
                .u64_counter("rpc.server.requests")
                .with_description("gRPC calls received")
                .build(),
            errors: m
                .u64_counter("rpc.server.errors")
                .with_description("gRPC calls that ended in an error, by code")
                .build(),
            latency: m
                .f64_histogram("rpc.server.duration")
                .with_unit("ms")
                .with_description("gRPC call latency until response headers")
                .build(),
        }
    })
}

struct HeaderExtract<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtract<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

struct MetadataInject<'a>(&'a mut tonic::metadata::MetadataMap);

impl Injector for MetadataInject<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(k), Ok(v)) = (
            tonic::metadata::MetadataKey::from_bytes(key.as_bytes()),
            tonic::metadata::MetadataValue::try_from(&value),
        ) {
            self.0.insert(k, v);
        }
    }
}

/// A client interceptor that carries the current trace to the called service.
#[derive(Clone, Default)]
pub struct PropagateTrace;

impl tonic::service::Interceptor for PropagateTrace {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        let cx = tracing::Span::current().context();
        global::get_text_map_propagator(|p| {
            p.inject_context(&cx, &mut MetadataInject(req.metadata_mut()))
        });
        Ok(req)
    }
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

/// Server layer: a span per call (child of the caller's trace) and the RPC metrics.
#[derive(Clone, Default)]
pub struct RpcLayer;

impl<S> tower::Layer<S> for RpcLayer {
    type Service = RpcService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RpcService { inner }
    }
}

#[derive(Clone)]
pub struct RpcService<S> {
    inner: S,
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
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<ReqBody>) -> Self::Future {
        let method = req.uri().path().to_string();
        let parent = global::get_text_map_propagator(|p| p.extract(&HeaderExtract(req.headers())));
        let span = tracing::info_span!("rpc", otel.kind = "server", rpc.method = %method, rpc.grpc.status_code = tracing::field::Empty);
        let _ = span.set_parent(parent);
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let started = Instant::now();
        Box::pin(
            async move {
                let mut res = inner.call(req).await;
                if let Ok(r) = &mut res {
                    client_mistakes_keep_their_codes(r.headers_mut());
                }
                let code = match &res {
                    Ok(r) => r
                        .headers()
                        .get("grpc-status")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<i32>().ok())
                        .unwrap_or(0),
                    Err(_) => tonic::Code::Unknown as i32,
                };
                tracing::Span::current().record("rpc.grpc.status_code", code);
                let i = instruments();
                let attrs = [KeyValue::new("rpc.method", method)];
                i.requests.add(1, &attrs);
                i.latency
                    .record(started.elapsed().as_secs_f64() * 1000.0, &attrs);
                if code != 0 {
                    let mut with_code = attrs.to_vec();
                    with_code.push(KeyValue::new("rpc.grpc.status_code", code as i64));
                    i.errors.add(1, &with_code);
                }
                res
            }
            .instrument(span),
        )
    }
}
