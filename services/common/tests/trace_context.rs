//! W3C trace context: a caller's trace continues in the server's span, and
//! PropagateTrace carries the current span to the next service.
mod support;

use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_sdk::{
    propagation::TraceContextPropagator,
    trace::{InMemorySpanExporter, SdkTracerProvider},
};
use probity_common::{server::Mount, telemetry::PropagateTrace};
use tonic::transport::Channel;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caller_trace_continues_in_the_server_span() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let support::Started {
        addr,
        stop,
        handle: server,
    } = support::start(support::settings(dir.path()), Mount::default()).await;
    let ch = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();

    let caller = tracing::info_span!("caller");
    let caller_cx = caller.context();
    let (trace_id, caller_span_id) = {
        let sc = caller_cx.span().span_context().clone();
        (sc.trace_id(), sc.span_id())
    };
    async {
        let mut client = HealthClient::with_interceptor(ch, PropagateTrace);
        client
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .unwrap();
    }
    .instrument(caller)
    .await;
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    provider.force_flush().unwrap();

    let spans = exporter.get_finished_spans().unwrap();
    let rpc = spans.iter().find(|s| s.name == "rpc").unwrap_or_else(|| {
        panic!(
            "no server span among {:?}",
            spans.iter().map(|s| &s.name).collect::<Vec<_>>()
        )
    });
    assert_eq!(
        rpc.span_context.trace_id(),
        trace_id,
        "the server span is in the caller's trace"
    );
    assert_eq!(
        rpc.parent_span_id, caller_span_id,
        "and its parent is the caller's span"
    );
}
