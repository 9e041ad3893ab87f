//! JSON logs carry the OpenTelemetry ids of the call they were written in:
//! the caller's trace id (from its `traceparent`) and the server span's id,
//! so an operator goes from a trace to its log lines and back.
//! Its own test binary: it installs the process-wide subscriber.
mod support;

use std::{
    io::Write,
    sync::{Arc, Mutex},
    time::Duration,
};

use probity_common::{config::TelemetrySettings, server::Mount, telemetry};
use tonic::transport::Channel;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_line_names_the_callers_trace() {
    let lines = Lines::default();
    let s = TelemetrySettings {
        format: "json".into(),
        level: "probity_common=debug,warn".into(),
        ..TelemetrySettings::default()
    };
    let out = lines.clone();
    let _guard = telemetry::init_with_writer(&s, "test", move || out.clone()).unwrap();

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
    let mut req = tonic::Request::new(HealthCheckRequest {
        service: String::new(),
    });
    req.metadata_mut().insert(
        "traceparent",
        format!("00-{TRACE}-{CALLER_SPAN}-01").parse().unwrap(),
    );
    HealthClient::new(ch).check(req).await.unwrap();

    let mut finished = None;
    for _ in 0..40 {
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        finished = text
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|v| v["fields"]["message"] == "rpc finished");
        if finished.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let line = finished.unwrap_or_else(|| {
        panic!(
            "no \"rpc finished\" line in {}",
            String::from_utf8_lossy(&lines.0.lock().unwrap())
        )
    });
    let ids = &line["openTelemetry"];
    assert_eq!(ids["traceId"], TRACE, "{line}");
    let span = ids["spanId"].as_str().unwrap_or_default();
    assert_eq!(span.len(), 16, "{line}");
    assert_ne!(
        span, CALLER_SPAN,
        "the server's own span, the caller's child: {line}"
    );
    assert_ne!(span, "0000000000000000", "{line}");
    assert_eq!(line["span"]["rpc.method"], "Check", "{line}");
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
