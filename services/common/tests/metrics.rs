//! Per-RPC metrics from the RpcLayer: requests, errors by code, latency.
//! Its own test binary: it installs the process-wide meter provider.
mod support;

use opentelemetry::{Value, global};
use opentelemetry_sdk::metrics::{
    InMemoryMetricExporter, PeriodicReader, SdkMeterProvider,
    data::{AggregatedMetrics, MetricData},
};
use probity_common::server::Mount;
use tonic::transport::Channel;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

#[tokio::test]
async fn requests_errors_and_latency_are_counted() {
    let exporter = InMemoryMetricExporter::default();
    let provider = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(exporter.clone()).build())
        .build();
    global::set_meter_provider(provider.clone());

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
    let mut health = HealthClient::new(ch.clone());
    for _ in 0..3 {
        health
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .unwrap();
    }
    // A method nobody serves: refused by the auth layer with UNIMPLEMENTED (12).
    let mut grpc = tonic::client::Grpc::new(ch);
    grpc.ready().await.unwrap();
    let codec = tonic_prost::ProstCodec::<HealthCheckRequest, HealthCheckRequest>::default();
    let path = http::uri::PathAndQuery::from_static("/probity.nowhere.v1.Nothing/Call");
    let err = grpc
        .unary(
            tonic::Request::new(HealthCheckRequest::default()),
            path,
            codec,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unimplemented);

    provider.force_flush().unwrap();
    let metrics = exporter.get_finished_metrics().unwrap();
    let mut requests = 0u64;
    let mut errors = Vec::new();
    let mut latency_points = 0u64;
    for rm in &metrics {
        for sm in rm.scope_metrics() {
            for m in sm.metrics() {
                match (m.name(), m.data()) {
                    ("rpc.server.requests", AggregatedMetrics::U64(MetricData::Sum(sum))) => {
                        requests = requests.max(sum.data_points().map(|p| p.value()).sum());
                    }
                    ("rpc.server.errors", AggregatedMetrics::U64(MetricData::Sum(sum))) => {
                        errors = sum
                            .data_points()
                            .map(|p| {
                                let code = p
                                    .attributes()
                                    .find(|kv| kv.key.as_str() == "rpc.grpc.status_code")
                                    .map(|kv| kv.value.clone());
                                (code, p.value())
                            })
                            .collect();
                    }
                    ("rpc.server.duration", AggregatedMetrics::F64(MetricData::Histogram(h))) => {
                        latency_points =
                            latency_points.max(h.data_points().map(|p| p.count()).sum());
                    }
                    _ => {}
                }
            }
        }
    }
    assert_eq!(requests, 4, "three health checks and one refused call");
    assert_eq!(errors, vec![(Some(Value::I64(12)), 1)], "one UNIMPLEMENTED");
    assert_eq!(latency_points, 4);
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
