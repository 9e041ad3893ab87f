//! Server plumbing: health, reflection, request size limit, unknown
//! methods, graceful stop.
use std::marker::PhantomData;

use probity_proto::registry::v1::*;
use tonic::{
    Code, Request, Status,
    codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder},
    codegen::http::uri::PathAndQuery,
    transport::Channel,
};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

use crate::{db_test, fixtures::*, harness::TestServer, util::*};

// ---- a minimal prost codec, so raw methods can be called without
// generated clients (tonic-reflection's client is not a dev-dependency) ----

pub(crate) struct Raw<E, D>(PhantomData<fn() -> (E, D)>);

impl<E, D> Default for Raw<E, D> {
    fn default() -> Self {
        Raw(PhantomData)
    }
}

pub(crate) struct Enc<E>(PhantomData<fn() -> E>);
pub(crate) struct Dec<D>(PhantomData<fn() -> D>);

impl<E: prost::Message + Send + 'static, D: prost::Message + Default + Send + 'static> Codec
    for Raw<E, D>
{
    type Encode = E;
    type Decode = D;
    type Encoder = Enc<E>;
    type Decoder = Dec<D>;
    fn encoder(&mut self) -> Enc<E> {
        Enc(PhantomData)
    }
    fn decoder(&mut self) -> Dec<D> {
        Dec(PhantomData)
    }
}

impl<E: prost::Message> Encoder for Enc<E> {
    type Item = E;
    type Error = Status;
    fn encode(&mut self, item: E, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        item.encode(dst)
            .map_err(|e| Status::internal(e.to_string()))
    }
}

impl<D: prost::Message + Default> Decoder for Dec<D> {
    type Item = D;
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<D>, Status> {
        D::decode(src)
            .map(Some)
            .map_err(|e| Status::internal(e.to_string()))
    }
}

// grpc.reflection.v1 messages, only the fields used here.
#[derive(Clone, PartialEq, prost::Message)]
struct ReflectionRequest {
    #[prost(string, tag = "1")]
    host: String,
    #[prost(string, optional, tag = "4")]
    file_containing_symbol: Option<String>,
    #[prost(string, optional, tag = "7")]
    list_services: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ReflectionResponse {
    #[prost(message, optional, tag = "4")]
    file_descriptor_response: Option<FileDescriptorResponse>,
    #[prost(message, optional, tag = "6")]
    list_services_response: Option<ListServiceResponse>,
    #[prost(message, optional, tag = "7")]
    error_response: Option<ErrorResponse>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct FileDescriptorResponse {
    #[prost(bytes = "vec", repeated, tag = "1")]
    file_descriptor_proto: Vec<Vec<u8>>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ListServiceResponse {
    #[prost(message, repeated, tag = "1")]
    service: Vec<ServiceResponse>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ServiceResponse {
    #[prost(string, tag = "1")]
    name: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ErrorResponse {
    #[prost(int32, tag = "1")]
    error_code: i32,
    #[prost(string, tag = "2")]
    error_message: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Empty {}

async fn reflect(
    ch: Channel,
    version: &str,
    reqs: Vec<ReflectionRequest>,
) -> Result<Vec<ReflectionResponse>, Status> {
    let mut g = tonic::client::Grpc::new(ch);
    g.ready()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    let path = PathAndQuery::try_from(format!(
        "/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo"
    ))
    .unwrap();
    let n = reqs.len();
    let mut stream = g
        .streaming(
            Request::new(tokio_stream::iter(reqs)),
            path,
            Raw::<ReflectionRequest, ReflectionResponse>::default(),
        )
        .await?
        .into_inner();
    let mut out = Vec::new();
    while out.len() < n {
        match stream.message().await? {
            Some(m) => out.push(m),
            None => break,
        }
    }
    Ok(out)
}

db_test!(health_reports_serving, |b| async move {
    let s = TestServer::start(b).await;
    let mut h = HealthClient::new(s.channel().await);
    for svc in [
        "",
        "probity.registry.v1.RegistryService",
        "probity.registry.v1.PublicRegistryService",
        "probity.audit.v1.AuditService",
    ] {
        let r = h
            .check(HealthCheckRequest {
                service: svc.into(),
            })
            .await
            .unwrap_or_else(|e| panic!("health of {svc:?}: {e:?}"))
            .into_inner();
        assert_eq!(r.status, ServingStatus::Serving as i32, "{svc:?}");
    }
    expect_code(
        h.check(HealthCheckRequest {
            service: "no.such.Service".into(),
        })
        .await,
        Code::NotFound,
    );
    s.stop().await;
});

db_test!(
    reflection_lists_and_describes_the_services,
    |b| async move {
        let s = TestServer::start(b).await;
        for version in ["v1", "v1alpha"] {
            let r = reflect(
                s.channel().await,
                version,
                vec![ReflectionRequest {
                    list_services: Some(String::new()),
                    ..Default::default()
                }],
            )
            .await
            .unwrap_or_else(|e| panic!("reflection {version}: {e:?}"));
            let names: Vec<String> = r[0]
                .list_services_response
                .as_ref()
                .unwrap_or_else(|| panic!("no list in {r:?}"))
                .service
                .iter()
                .map(|s| s.name.clone())
                .collect();
            for want in [
                "probity.registry.v1.RegistryService",
                "probity.registry.v1.PublicRegistryService",
                "probity.audit.v1.AuditService",
                "grpc.health.v1.Health",
            ] {
                assert!(
                    names.iter().any(|n| n == want),
                    "{want} not listed by {version}: {names:?}"
                );
            }
        }
        // a client can get the descriptor it needs to call a method
        let r = reflect(
            s.channel().await,
            "v1",
            vec![ReflectionRequest {
                file_containing_symbol: Some("probity.registry.v1.RegistryService".into()),
                ..Default::default()
            }],
        )
        .await
        .expect("file containing symbol");
        let files = &r[0]
            .file_descriptor_response
            .as_ref()
            .unwrap_or_else(|| panic!("no descriptor in {r:?}"))
            .file_descriptor_proto;
        let described = files.iter().any(|f| {
            let fd = <prost_types::FileDescriptorProto as prost::Message>::decode(f.as_slice())
                .expect("a file descriptor");
            fd.service.iter().any(|svc| {
                svc.name() == "RegistryService"
                    && svc.method.iter().any(|m| m.name() == "CheckActors")
            })
        });
        assert!(described, "RegistryService.CheckActors not described");
        s.stop().await;
    }
);

db_test!(unknown_method_is_unimplemented, |b| async move {
    let s = TestServer::start(b).await;
    let mut g = tonic::client::Grpc::new(s.channel().await);
    g.ready().await.unwrap();
    let r: Result<tonic::Response<Empty>, Status> = g
        .unary(
            Request::new(Empty {}),
            PathAndQuery::from_static("/probity.registry.v1.RegistryService/DeleteEverything"),
            Raw::<Empty, Empty>::default(),
        )
        .await;
    expect_code(r, Code::Unimplemented);
    s.stop().await;
});

/// Field 1 as a varint, where VerifyCredentialRequest has a string.
#[derive(Clone, PartialEq, prost::Message)]
struct WrongWireType {
    #[prost(uint64, tag = "1")]
    number: u64,
}

db_test!(
    a_body_that_is_not_the_message_is_invalid_argument,
    |b| async move {
        let s = TestServer::start(b).await;
        let mut g = tonic::client::Grpc::new(s.channel().await);
        g.ready().await.unwrap();
        let r: Result<tonic::Response<Empty>, Status> = g
            .unary(
                Request::new(WrongWireType { number: 7 }),
                PathAndQuery::from_static(
                    "/probity.registry.v1.PublicRegistryService/VerifyCredential",
                ),
                Raw::<WrongWireType, Empty>::default(),
            )
            .await;
        expect_code(r, Code::InvalidArgument);
        s.stop().await;
    }
);

db_test!(oversized_request_is_resource_exhausted, |b| async move {
    let s = TestServer::start_with(b, |st| st.server.max_request_bytes = 4096).await;
    let mut c = s.legal().await;
    let big = CreateBodyRequest {
        request_id: rid(),
        body: Some(Body {
            display_name: "政".repeat(5_000),
            kind: BodyKind::Government as i32,
            region_code: "230183".into(),
            ..Default::default()
        }),
    };
    expect_code(c.create_body(big).await, Code::ResourceExhausted);
    let mut p = s.public().await;
    expect_code(
        p.verify_credential(VerifyCredentialRequest {
            number: "9".repeat(10_000),
        })
        .await,
        Code::ResourceExhausted,
    );
    // control: a normal request passes
    let gov = c
        .create_body(CreateBodyRequest {
            request_id: rid(),
            body: Some(Body {
                display_name: "尚志市人民政府".into(),
                kind: BodyKind::Government as i32,
                region_code: "230183".into(),
                ..Default::default()
            }),
        })
        .await
        .expect("a small request")
        .into_inner();
    assert_eq!(gov.display_name, "尚志市人民政府");
    let all = c
        .list_bodies(ListBodiesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.bodies.len(), 1, "the oversized one was not written");
    s.stop().await;
});

db_test!(graceful_stop_reports_not_serving_and_ends, |b| async move {
    let s = TestServer::start(b).await;
    let url = s.url();
    let mut h = HealthClient::new(s.channel().await);
    let mut watch = h
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("watch")
        .into_inner();
    let first = watch.message().await.expect("first").expect("a status");
    assert_eq!(first.status, ServingStatus::Serving as i32);
    let stopping = tokio::spawn(s.stop());
    let next = tokio::time::timeout(std::time::Duration::from_secs(5), watch.message())
        .await
        .expect("a status change before the drain ends")
        .expect("stream")
        .expect("a status");
    assert_eq!(next.status, ServingStatus::NotServing as i32);
    drop(watch);
    drop(h);
    tokio::time::timeout(std::time::Duration::from_secs(10), stopping)
        .await
        .expect("stop within the drain bound")
        .expect("server task");
    let again = Channel::from_shared(url).unwrap().connect().await;
    assert!(again.is_err(), "still accepting connections after stop");
});

/// PostgreSQL only: SQLite is a file the process holds open, it cannot go away.
mod health_follows_the_database {
    use sea_orm::{ConnectionTrait, Database};

    use super::*;
    use crate::harness::Backend;

    async fn status(s: &TestServer) -> i32 {
        let mut h = HealthClient::new(s.channel().await);
        h.check(HealthCheckRequest {
            service: "probity.registry.v1.RegistryService".into(),
        })
        .await
        .expect("health")
        .into_inner()
        .status
    }

    async fn wait_for(s: &TestServer, want: ServingStatus) {
        for _ in 0..100 {
            if status(s).await == want as i32 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        panic!("health never became {want:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let Some(Backend::Postgres(admin_url)) = Backend::postgres() else {
            eprintln!("PROBITY_TEST_DATABASE_URL not set: PostgreSQL case skipped");
            return;
        };
        let s = TestServer::start(Backend::Postgres(admin_url.clone())).await;
        world(&s).await;
        let name = s.db_url.rsplit('/').next().unwrap().to_string();
        let admin = Database::connect(&admin_url).await.expect("admin");
        admin
            .execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
            .await
            .unwrap();
        admin
            .execute_unprepared(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            ))
            .await
            .unwrap();
        wait_for(&s, ServingStatus::NotServing).await;
        // a database outage is UNAVAILABLE, never INTERNAL, and the
        // driver's text (the database's name, its refusal) stays in the log
        let mut c = s.legal().await;
        let e = expect_code(
            c.list_bodies(ListBodiesRequest::default()).await,
            Code::Unavailable,
        );
        assert_eq!(
            e.message(),
            probity_common::error::DATABASE_UNAVAILABLE,
            "{e:?}"
        );
        admin
            .execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
            .await
            .unwrap();
        wait_for(&s, ServingStatus::Serving).await;
        let all = c
            .list_bodies(ListBodiesRequest::default())
            .await
            .expect("back")
            .into_inner();
        assert_eq!(all.bodies.len(), 3);
        admin.close().await.ok();
        s.stop().await;
    }
}

/// Invalid settings stop the binary with the key and the problem.
#[tokio::test]
async fn invalid_config_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for (key, value, expect) in [
        (
            "PROBITY__DATABASE__MAX_CONNECTIONS",
            "0",
            "database.max_connections",
        ),
        (
            "PROBITY__SERVER__MAX_REQUEST_BYTES",
            "lots",
            "server.max_request_bytes",
        ),
        ("PROBITY__SERVER__LISTEN", "not an address", "server.listen"),
        ("PROBITY__TELEMETRY__FORMAT", "xml", "telemetry.format"),
    ] {
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_probity"))
            .args(["audit", "verify"])
            .env_remove("PROBITY_CONFIG")
            .env("PROBITY__DATABASE__DATA_DIR", dir.path())
            .env(key, value)
            .output()
            .await
            .expect("run probity");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{key}={value}: {err}");
        assert!(err.contains(expect), "{key}={value}: {err}");
    }
    // a missing --config file
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_probity"))
        .args(["--config", "/nonexistent/probity.toml", "audit", "verify"])
        .env_remove("PROBITY_CONFIG")
        .output()
        .await
        .expect("run probity");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--config"));
}
