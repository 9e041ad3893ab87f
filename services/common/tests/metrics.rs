//! `rpc.server.call.duration` from the RpcLayer, after OpenTelemetry's RPC
//! conventions: service and method apart, the status code on the duration,
//! a stream measured whole, an invented path as `_OTHER`.
//! Its own test binary: it installs the process-wide meter provider.
mod support;

use std::time::Duration;

use opentelemetry::{Value, global};
use opentelemetry_sdk::metrics::{
    InMemoryMetricExporter, PeriodicReader, SdkMeterProvider,
    data::{AggregatedMetrics, MetricData},
};
use probity_common::server::Mount;
use tonic::transport::Channel;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

/// One series of the histogram: its attributes, its count and its sum.
#[derive(Debug)]
struct Series {
    attrs: Vec<(String, String)>,
    count: u64,
    sum: f64,
}

impl Series {
    fn get(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn series(provider: &SdkMeterProvider, exporter: &InMemoryMetricExporter) -> Vec<Series> {
    provider.force_flush().unwrap();
    let mut out = Vec::new();
    let metrics = exporter.get_finished_metrics().unwrap();
    // Cumulative: the last export holds everything.
    let Some(rm) = metrics.last() else {
        return out;
    };
    for sm in rm.scope_metrics() {
        for m in sm.metrics() {
            if let ("rpc.server.call.duration", AggregatedMetrics::F64(MetricData::Histogram(h))) =
                (m.name(), m.data())
            {
                assert_eq!(m.unit(), "s");
                for p in h.data_points() {
                    out.push(Series {
                        attrs: p
                            .attributes()
                            .map(|kv| {
                                let v = match &kv.value {
                                    Value::String(s) => s.as_str().to_string(),
                                    other => format!("{other:?}"),
                                };
                                (kv.key.to_string(), v)
                            })
                            .collect(),
                        count: p.count(),
                        sum: p.sum(),
                    });
                }
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_are_measured_after_the_rpc_conventions() {
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
    // Paths nobody serves: refused by the auth layer with UNIMPLEMENTED, and
    // however many a scanner invents, one series.
    let mut grpc = tonic::client::Grpc::new(ch.clone());
    for path in [
        "/probity.nowhere.v1.Nothing/Call",
        "/probity.nowhere.v1.Nothing/Other",
    ] {
        grpc.ready().await.unwrap();
        let codec = tonic_prost::ProstCodec::<HealthCheckRequest, HealthCheckRequest>::default();
        let err = grpc
            .unary(
                tonic::Request::new(HealthCheckRequest::default()),
                http::uri::PathAndQuery::from_static(path),
                codec,
            )
            .await
            .unwrap_err();
        assert_eq!(err.code(), tonic::Code::Unimplemented);
    }
    // A server stream held open, then left by the client: measured until it
    // ended, not until its headers.
    let held = Duration::from_millis(400);
    {
        let mut watch = health
            .watch(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        watch.message().await.unwrap().expect("the first status");
        tokio::time::sleep(held).await;
    }

    let mut found = Vec::new();
    for _ in 0..50 {
        found = series(&provider, &exporter);
        if found.iter().any(|s| s.get("rpc.method") == Some("Watch")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let check = found
        .iter()
        .find(|s| s.get("rpc.method") == Some("Check"))
        .unwrap_or_else(|| panic!("no Check series in {found:?}"));
    assert_eq!(check.get("rpc.system.name"), Some("grpc"));
    assert_eq!(check.get("rpc.service"), Some("grpc.health.v1.Health"));
    assert_eq!(check.get("rpc.response.status_code"), Some("OK"));
    assert_eq!(check.count, 3, "{check:?}");

    let other: Vec<&Series> = found
        .iter()
        .filter(|s| s.get("rpc.response.status_code") == Some("UNIMPLEMENTED"))
        .collect();
    assert_eq!(
        other.len(),
        1,
        "one series for every invented path: {found:?}"
    );
    assert_eq!(other[0].get("rpc.method"), Some("_OTHER"));
    assert_eq!(other[0].get("rpc.service"), Some("_OTHER"));
    assert_eq!(other[0].count, 2);
    assert!(
        found
            .iter()
            .all(|s| !s.attrs.iter().any(|(_, v)| v.contains("nowhere"))),
        "no invented path reaches an attribute: {found:?}"
    );

    let watch = found
        .iter()
        .find(|s| s.get("rpc.method") == Some("Watch"))
        .unwrap_or_else(|| panic!("no Watch series in {found:?}"));
    assert_eq!(watch.get("rpc.response.status_code"), Some("CANCELLED"));
    assert!(
        watch.sum >= held.as_secs_f64(),
        "the stream counts whole ({} s, held {held:?})",
        watch.sum
    );
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
