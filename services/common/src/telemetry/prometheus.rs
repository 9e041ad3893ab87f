//! The Prometheus scrape endpoint: OpenTelemetry's Prometheus exporter reads
//! the process's instruments into a registry, and a plain HTTP/1 server on a
//! port of its own (`telemetry.prometheus_listen`, off by default) answers
//! `GET /metrics` from it. Nothing else is served there, and nothing there
//! needs a token: it carries counts and durations, no record.
use std::sync::OnceLock;

use http_body_util::Full;
use hyper::{Method, Request, Response, StatusCode, body::Bytes, service::service_fn};
use hyper_util::rt::TokioIo;
use prometheus::{Encoder, TextEncoder};
use tokio::{net::TcpListener, sync::watch};

/// The registry the exporter fills; one per process, like the meter provider.
fn registry() -> &'static prometheus::Registry {
    static R: OnceLock<prometheus::Registry> = OnceLock::new();
    R.get_or_init(prometheus::Registry::new)
}

/// The reader the meter provider is built with.
pub(super) fn exporter() -> anyhow::Result<opentelemetry_prometheus::PrometheusExporter> {
    opentelemetry_prometheus::exporter()
        .with_registry(registry().clone())
        // One meter: its name on every series is noise.
        .scope_info_enabled(false)
        .build()
        .map_err(|e| anyhow::anyhow!("telemetry.prometheus_listen: {e}"))
}

/// The text exposition of every instrument, as a scrape gets it.
pub fn render() -> Vec<u8> {
    let mut out = Vec::new();
    // Encoding into a Vec fails only for metric families the exporter never makes.
    let _ = TextEncoder::new().encode(&registry().gather(), &mut out);
    out
}

async fn answer<B>(req: Request<B>) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let res = if req.method() == Method::GET && req.uri().path() == "/metrics" {
        Response::builder()
            .header(
                hyper::header::CONTENT_TYPE,
                TextEncoder::new().format_type(),
            )
            .body(Full::new(Bytes::from(render())))
    } else {
        Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Full::new(Bytes::from_static(b"only GET /metrics\n")))
    };
    Ok(res.unwrap_or_default())
}

/// Serves `GET /metrics` on `listener` until `stop` turns true.
pub async fn serve(listener: TcpListener, mut stop: watch::Receiver<bool>) {
    loop {
        let conn = tokio::select! {
            c = listener.accept() => c,
            _ = stop.changed() => return,
        };
        let Ok((stream, _)) = conn else { continue };
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service_fn(answer))
                .await;
        });
    }
}
