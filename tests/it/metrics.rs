//! The Prometheus endpoint an operator scrapes (`telemetry.prometheus_listen`),
//! read after real calls: unary, client and server streams, an invented
//! path; and the operational gauges beside them. Other tests' servers in
//! this process may report into the same exporter once it is installed, so
//! the checks look for series, not totals.
use std::time::Duration;

use probity_proto::{
    intake::v1::ExportFactsRequest,
    rankings::v1::{
        Level, Ranking, RankingBatch, RecordRunRequest, Run,
        rankings_service_client::RankingsServiceClient, record_run_request::Part,
    },
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{
    db_test,
    fixtures::*,
    harness::{Bearer, TestServer},
    intake::{dept, fact, intake, training},
};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET path` on the metrics port: (status line, body).
async fn get(port: u16, path: &str) -> (String, String) {
    let mut c = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("the metrics port answers");
    c.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: probity\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut raw = String::new();
    c.read_to_string(&mut raw).await.unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    (
        head.lines().next().unwrap_or("").to_string(),
        body.to_string(),
    )
}

/// The sample lines of `metric` whose labels include every one of `labels`.
fn samples<'a>(text: &'a str, metric: &str, labels: &[&str]) -> Vec<&'a str> {
    text.lines()
        .filter(|l| {
            l.strip_prefix(metric)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .filter(|l| labels.iter().all(|want| l.contains(want)))
        .collect()
}

fn value(line: &str) -> f64 {
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

db_test!(prometheus_shows_calls_and_operations, |b| async move {
    let port = free_port();
    let s = TestServer::start_with(b, |s| {
        s.telemetry.prometheus_listen = format!("127.0.0.1:{port}");
    })
    .await;
    let w = world(&s).await;
    // Unary: a fact through intake's writer.
    dept(&s, &w)
        .await
        .submit_fact(fact(&w, "M1", training(&w.a.name, 2.0)))
        .await
        .expect("submit");
    // Server stream: the export, read to its end.
    let mut lead = intake(&s, probity_common::auth::Role::Leadership, None).await;
    let mut export = lead
        .export_facts(ExportFactsRequest {
            year: crate::rankings::year(),
            ..Default::default()
        })
        .await
        .expect("export")
        .into_inner();
    while export.message().await.expect("a page").is_some() {}
    // Client stream: the job's run recorded.
    let service = s.service_token(&probity_common::service_identity::RANKINGS_JOB);
    let mut rankings =
        RankingsServiceClient::with_interceptor(s.channel().await, Bearer::new(&service));
    let run = Run {
        name: "runs/metrics".into(),
        year: crate::rankings::year(),
        as_of: crate::intake::when()
            .with_timezone(&probity_rankings::city())
            .format("%Y-%m-%d")
            .to_string(),
        plan_version: "test".into(),
        ..Default::default()
    };
    let rows = RankingBatch {
        rankings: vec![Ranking {
            level: Level::Officer as i32,
            subject: "officers/a".into(),
            ..Default::default()
        }],
    };
    rankings
        .record_run(futures::stream::iter([
            RecordRunRequest {
                part: Some(Part::Run(run)),
            },
            RecordRunRequest {
                part: Some(Part::Rankings(rows)),
            },
        ]))
        .await
        .expect("record run");
    // Invented paths: refused, and one series however many there are.
    let mut grpc = tonic::client::Grpc::new(s.channel().await);
    for path in ["/probity.nowhere.v1.Scan/A", "/probity.nowhere.v1.Scan/B"] {
        grpc.ready().await.unwrap();
        let codec = tonic_prost::ProstCodec::<ExportFactsRequest, ExportFactsRequest>::default();
        let err = grpc
            .unary(
                tonic::Request::new(ExportFactsRequest::default()),
                tonic::codegen::http::uri::PathAndQuery::from_static(path),
                codec,
            )
            .await
            .unwrap_err();
        assert_eq!(err.code(), tonic::Code::Unimplemented);
    }

    let duration = "rpc_server_call_duration_seconds_count";
    let mut text = String::new();
    for _ in 0..60 {
        let (status, body) = get(port, "/metrics").await;
        assert!(status.contains(" 200 "), "{status}");
        text = body;
        let pools = samples(&text, "db_client_connection_count", &[]);
        if !samples(&text, duration, &["rpc_method=\"ExportFacts\""]).is_empty()
            && !pools.is_empty()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let grpc_ok = [
        "rpc_system_name=\"grpc\"",
        "rpc_response_status_code=\"OK\"",
    ];
    for (service, method) in [
        ("probity.intake.v1.IntakeService", "SubmitFact"),
        ("probity.intake.v1.IntakeService", "ExportFacts"),
        ("probity.rankings.v1.RankingsService", "RecordRun"),
        ("probity.registry.v1.RegistryService", "CreateBody"),
    ] {
        let svc = format!("rpc_service=\"{service}\"");
        let m = format!("rpc_method=\"{method}\"");
        let found = samples(
            &text,
            duration,
            &[svc.as_str(), m.as_str(), grpc_ok[0], grpc_ok[1]],
        );
        assert!(
            found.iter().any(|l| value(l) >= 1.0),
            "{service}/{method} measured with its status: {}",
            samples(&text, duration, &[]).join("\n")
        );
    }
    let other = samples(
        &text,
        duration,
        &[
            "rpc_service=\"_OTHER\"",
            "rpc_method=\"_OTHER\"",
            "rpc_response_status_code=\"UNIMPLEMENTED\"",
        ],
    );
    assert!(
        other.iter().any(|l| value(l) >= 2.0),
        "invented paths as _OTHER: {}",
        samples(&text, duration, &[]).join("\n")
    );
    assert!(
        !text.contains("nowhere"),
        "no invented path reaches a label"
    );
    // The operational gauges.
    for (metric, labels) in [
        ("probity_intake_writer_queue", vec![]),
        ("probity_accountability_outbox_pending", vec![]),
        ("probity_registry_snapshot_age_seconds", vec![]),
        (
            "db_client_connection_count",
            vec![
                "db_client_connection_pool_name=\"intake\"",
                "db_client_connection_state=\"idle\"",
            ],
        ),
        (
            "db_client_connection_count",
            vec![
                "db_client_connection_pool_name=\"registry\"",
                "db_client_connection_state=\"used\"",
            ],
        ),
    ] {
        assert!(
            !samples(&text, metric, &labels).is_empty(),
            "{metric} {labels:?} in:\n{text}"
        );
    }
    let last_run = samples(&text, "probity_rankings_last_run_time_seconds", &[]);
    let now = chrono::Utc::now().timestamp() as f64;
    assert!(
        last_run.iter().any(|l| (now - value(l)).abs() < 600.0),
        "the run just recorded: {last_run:?}"
    );
    // Only /metrics is served there.
    let (status, _) = get(port, "/").await;
    assert!(status.contains(" 404 "), "{status}");
    s.stop().await;
});
