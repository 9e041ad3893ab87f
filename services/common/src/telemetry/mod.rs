//! Logs to stdout (pretty, or JSON carrying the OpenTelemetry trace and span
//! ids), OpenTelemetry traces and metrics over OTLP/gRPC when an endpoint is
//! set, a Prometheus scrape endpoint when an address is set (prometheus.rs),
//! W3C trace context across services; the RPC metrics (rpc.rs) and the
//! operational gauges (ops.rs) go to whichever of them is configured.
use std::sync::OnceLock;

use opentelemetry::{
    global,
    propagation::{Extractor, Injector},
    trace::TracerProvider as _,
};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::{
    Resource, metrics::SdkMeterProvider, propagation::TraceContextPropagator,
    trace::SdkTracerProvider,
};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{
    EnvFilter, Layer, fmt::MakeWriter, layer::SubscriberExt, util::SubscriberInitExt,
};

use crate::config::TelemetrySettings;

pub mod ops;
pub mod prometheus;
mod rpc;

pub use rpc::{RpcLayer, RpcService};

/// The one meter every Probity instrument is made from.
pub const METER: &str = "probity";

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
        // The meter provider is the process's (install_meter_provider): it
        // is flushed, not shut down, in case a test process serves again.
        if let Some(m) = self.meter.take() {
            let _ = m.force_flush();
        }
    }
}

/// Installs logging and, when configured, OTLP export and the Prometheus
/// exporter. Call once per process.
pub fn init(s: &TelemetrySettings, role: &str) -> anyhow::Result<Guard> {
    init_with_writer(s, role, std::io::stdout)
}

/// [`init`] with logs written to `writer` (tests read the JSON lines back).
pub fn init_with_writer<W>(s: &TelemetrySettings, role: &str, writer: W) -> anyhow::Result<Guard>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    global::set_text_map_propagator(TraceContextPropagator::new());
    let filter = EnvFilter::try_new(&s.level)?;
    let fmt = if s.format == "json" {
        json_subscriber::layer()
            .with_current_span(true)
            .with_span_list(false)
            .with_opentelemetry_ids(true)
            .with_writer(writer)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer().with_writer(writer).boxed()
    };
    let mut guard = Guard {
        tracer: None,
        meter: install_meter_provider(s, role)?,
    };
    let resource = resource(s, role);
    // Spans get OpenTelemetry ids when they are exported, and for the JSON
    // logs even when they are not: a log line is found from its trace.
    let tracer_provider = if !s.otlp_endpoint.is_empty() {
        let spans = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(&s.otlp_endpoint)
            .build()
            .map_err(|e| anyhow::anyhow!("telemetry.otlp_endpoint: {e}"))?;
        Some(
            SdkTracerProvider::builder()
                .with_batch_exporter(spans)
                .with_resource(resource)
                .build(),
        )
    } else if s.format == "json" {
        Some(SdkTracerProvider::builder().with_resource(resource).build())
    } else {
        None
    };
    let otel = tracer_provider.map(|provider| {
        let tracer = provider.tracer("probity");
        global::set_tracer_provider(provider.clone());
        guard.tracer = Some(provider);
        tracing_opentelemetry::layer().with_tracer(tracer)
    });
    // A second init in one process (tests) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(otel)
        .with(fmt)
        .try_init();
    Ok(guard)
}

fn resource(s: &TelemetrySettings, role: &str) -> Resource {
    Resource::builder()
        .with_service_name(format!("{}-{role}", s.service_name))
        .build()
}

/// Sets the process's meter provider, once: OTLP export and the Prometheus
/// exporter as configured. Instruments are made after it (servers make theirs
/// when they start), so a later call, or one with neither configured, changes
/// nothing; `serve` calls it too, for processes that never ran [`init`].
pub fn install_meter_provider(
    s: &TelemetrySettings,
    role: &str,
) -> anyhow::Result<Option<SdkMeterProvider>> {
    static INSTALLED: OnceLock<SdkMeterProvider> = OnceLock::new();
    if s.otlp_endpoint.is_empty() && s.prometheus_listen.is_empty() {
        return Ok(None);
    }
    if let Some(p) = INSTALLED.get() {
        return Ok(Some(p.clone()));
    }
    let mut builder = SdkMeterProvider::builder().with_resource(resource(s, role));
    if !s.otlp_endpoint.is_empty() {
        let metrics = opentelemetry_otlp::MetricExporter::builder()
            .with_tonic()
            .with_endpoint(&s.otlp_endpoint)
            .build()
            .map_err(|e| anyhow::anyhow!("telemetry.otlp_endpoint: {e}"))?;
        builder = builder.with_periodic_exporter(metrics);
    }
    if !s.prometheus_listen.is_empty() {
        builder = builder.with_reader(prometheus::exporter()?);
    }
    let provider = INSTALLED.get_or_init(|| {
        let p = builder.build();
        global::set_meter_provider(p.clone());
        p
    });
    Ok(Some(provider.clone()))
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
