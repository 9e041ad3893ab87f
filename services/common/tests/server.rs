//! The bootstrap on its own: health, TLS and mutual TLS, shutdown.
use std::time::Duration;

mod support;

use probity_common::server::Mount;
use support::{settings, start};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

async fn status(ch: Channel) -> Result<i32, tonic::Status> {
    HealthClient::new(ch)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .map(|r| r.into_inner().status)
}

async fn wait_for(ch: &Channel, want: ServingStatus) {
    for _ in 0..200 {
        if status(ch.clone()).await.ok() == Some(want as i32) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("health never became {want:?}");
}

#[tokio::test]
async fn health_turns_not_serving_when_shutdown_begins() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(settings(dir.path()), Mount::default()).await;
    let ch = Channel::from_shared(format!("http://{}", s.addr))
        .unwrap()
        .connect()
        .await
        .unwrap();
    wait_for(&ch, ServingStatus::Serving).await;
    let mut watch = HealthClient::new(ch.clone())
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        watch.message().await.unwrap().unwrap().status,
        ServingStatus::Serving as i32
    );
    s.stop.send(()).unwrap();
    let next = tokio::time::timeout(Duration::from_secs(5), watch.message())
        .await
        .expect("a health update");
    let m = next
        .expect("the watch stream stays open through the drain")
        .expect("an update, not the end");
    assert_eq!(m.status, ServingStatus::NotServing as i32);
    tokio::time::timeout(Duration::from_secs(5), s.handle)
        .await
        .expect("drains within the grace")
        .unwrap()
        .unwrap();
}

struct Pki {
    ca: String,
    server_cert: String,
    server_key: String,
    client_cert: String,
    client_key: String,
}

fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
    let server_key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&server_key, &issuer)
        .unwrap();
    let client_key = KeyPair::generate().unwrap();
    let client = CertificateParams::new(vec!["client".to_string()])
        .unwrap()
        .signed_by(&client_key, &issuer)
        .unwrap();
    Pki {
        ca: ca.pem(),
        server_cert: server.pem(),
        server_key: server_key.serialize_pem(),
        client_cert: client.pem(),
        client_key: client_key.serialize_pem(),
    }
}

#[tokio::test]
async fn tls_and_mutual_tls() {
    let dir = tempfile::tempdir().unwrap();
    let p = pki();
    let write = |name: &str, body: &str| {
        let f = dir.path().join(name);
        std::fs::write(&f, body).unwrap();
        f.to_string_lossy().into_owned()
    };
    let mut st = settings(dir.path());
    st.server.tls.cert_file = write("server.pem", &p.server_cert);
    st.server.tls.key_file = write("server.key", &p.server_key);
    st.server.tls.client_ca_file = write("ca.pem", &p.ca);
    let health_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    st.server.health_listen = health_port.to_string();
    let s = start(st, Mount::default()).await;
    let endpoint = || Channel::from_shared(format!("https://localhost:{}", s.addr.port())).unwrap();
    let ca = Certificate::from_pem(&p.ca);

    // With a client certificate signed by the CA: served.
    let tls = ClientTlsConfig::new()
        .ca_certificate(ca.clone())
        .domain_name("localhost")
        .identity(Identity::from_pem(&p.client_cert, &p.client_key));
    let ch = endpoint().tls_config(tls).unwrap().connect().await.unwrap();
    wait_for(&ch, ServingStatus::Serving).await;

    // Without one: the handshake or the first call fails.
    let tls = ClientTlsConfig::new()
        .ca_certificate(ca)
        .domain_name("localhost");
    let refused = match endpoint().tls_config(tls).unwrap().connect().await {
        Err(_) => true,
        Ok(ch) => status(ch).await.is_err(),
    };
    assert!(
        refused,
        "mutual TLS must refuse a client without a certificate"
    );

    // Plaintext against TLS: refused.
    let plain = Channel::from_shared(format!("http://127.0.0.1:{}", s.addr.port())).unwrap();
    let refused = match plain.connect().await {
        Err(_) => true,
        Ok(ch) => status(ch).await.is_err(),
    };
    assert!(refused, "plaintext must not reach a TLS server");

    // The health-only port answers probes in plaintext.
    let probe = Channel::from_shared(format!("http://{health_port}"))
        .unwrap()
        .connect()
        .await
        .expect("the health port");
    wait_for(&probe, ServingStatus::Serving).await;
    s.stop.send(()).unwrap();
}

/// SERVING only while the database answers (PostgreSQL: drop the database under it).
#[tokio::test]
async fn health_follows_the_database() {
    let Ok(admin_url) = std::env::var("PROBITY_TEST_DATABASE_URL") else {
        assert_ne!(
            std::env::var("PROBITY_TEST_REQUIRE_POSTGRES").as_deref(),
            Ok("1"),
            "PostgreSQL required"
        );
        eprintln!("PROBITY_TEST_DATABASE_URL not set: skipped");
        return;
    };
    use sea_orm::{ConnectionTrait, Database};
    let name = format!("probity_t_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(&admin_url).await.unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    let dir = tempfile::tempdir().unwrap();
    let st = settings(dir.path());
    let db = probity_common::db::connect(&format!("{base}/{name}"), &st)
        .await
        .unwrap();
    let mount = Mount {
        databases: vec![db],
        ..Mount::default()
    };
    let s = start(st, mount).await;
    let ch = Channel::from_shared(format!("http://{}", s.addr))
        .unwrap()
        .connect()
        .await
        .unwrap();
    wait_for(&ch, ServingStatus::Serving).await;
    admin
        .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .unwrap();
    wait_for(&ch, ServingStatus::NotServing).await;
    s.stop.send(()).unwrap();
}
