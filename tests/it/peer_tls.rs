//! TLS between services: the registry requires client certificates signed
//! by the city's CA (mutual TLS); intake reaches it over https:// with its
//! own certificate, so its service token never travels in clear. An intake
//! without a certificate is refused by the registry (its facts wait:
//! UNAVAILABLE), and an intake told of peer TLS but given a plaintext
//! endpoint does not start.
use probity_intake::settings::IntakeSettings;
use tonic::{
    Code,
    transport::{Certificate, ClientTlsConfig, Identity},
};

use crate::{
    db_test,
    fixtures::world,
    harness::{Backend, TestServer},
    intake::{dept, fact, matter, two, when},
};

/// A CA, a server certificate for `localhost` and a client certificate, PEM.
struct Pki {
    ca: String,
    server: (String, String),
    client: (String, String),
}

fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
    let leaf = |name: &str| {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec![name.to_string()])
            .unwrap()
            .signed_by(&key, &issuer)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    };
    Pki {
        ca: ca.pem(),
        server: leaf("localhost"),
        client: leaf("probity-intake"),
    }
}

/// The PKI's files in `dir`: (ca, server cert, server key, client cert, client key).
fn files(dir: &std::path::Path, p: &Pki) -> [String; 5] {
    let write = |name: &str, body: &str| {
        let f = dir.join(name);
        std::fs::write(&f, body).unwrap();
        f.to_string_lossy().into_owned()
    };
    [
        write("ca.pem", &p.ca),
        write("server.pem", &p.server.0),
        write("server.key", &p.server.1),
        write("client.pem", &p.client.0),
        write("client.key", &p.client.1),
    ]
}

/// The registry alone, serving mutual TLS only.
async fn registry_mtls(b: Backend, p: &Pki, f: &[String; 5]) -> TestServer {
    let (ca, cert, key) = (f[0].clone(), f[1].clone(), f[2].clone());
    let client = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&p.ca))
        .domain_name("localhost")
        .identity(Identity::from_pem(&p.client.0, &p.client.1));
    TestServer::start_services_tls(
        b,
        probity::Target::Only("registry").services().unwrap(),
        Some(client),
        move |s| {
            s.server.tls.cert_file = cert;
            s.server.tls.key_file = key;
            s.server.tls.client_ca_file = ca;
        },
    )
    .await
}

db_test!(
    intake_calls_the_registry_over_mutual_tls,
    |b: Backend| async move {
        let pki = pki();
        let certs = tempfile::tempdir().unwrap();
        let f = files(certs.path(), &pki);
        let registry = registry_mtls(b.clone(), &pki, &f).await;
        let w = world(&registry).await;
        // The registry's port, by address: the certificate's name is given apart.
        let endpoint = format!("https://127.0.0.1:{}", registry.addr.port());
        let intake_with = |client_cert: bool| {
            let (dir, endpoint, f) = (registry.data_dir(), endpoint.clone(), f.clone());
            move |s: &mut probity_common::config::Settings| {
                // The registry's keys: the same dev signing key signs and checks tokens.
                s.database.data_dir = dir.to_string_lossy().into_owned();
                // Never called here (no inspection cites a draw), but intake
                // alone must be told where the draws service is.
                s.section_mut::<IntakeSettings>().draws_endpoint = endpoint.clone();
                s.section_mut::<IntakeSettings>().registry_endpoint = endpoint;
                s.section_mut::<IntakeSettings>().registry_timeout_ms = 2_000;
                s.peer_tls.ca_file = f[0].clone();
                s.peer_tls.domain = "localhost".into();
                if client_cert {
                    s.peer_tls.cert_file = f[3].clone();
                    s.peer_tls.key_file = f[4].clone();
                }
            }
        };
        let solo = TestServer::start_target(
            b.clone(),
            probity::Target::Only("intake"),
            intake_with(true),
        )
        .await;
        let mut c = dept(&solo, &w).await;
        let r = c
            .submit_fact(fact(&w, "M-TLS", matter(&w, &two(&w), when())))
            .await
            .expect("the registry checked the officers over mutual TLS")
            .into_inner();
        assert!(r.name.starts_with("facts/"), "{r:?}");

        // Without a client certificate the registry refuses the handshake: the
        // fact waits (UNAVAILABLE), nothing is recorded on a guess.
        let no_cert = TestServer::start_target(
            b.clone(),
            probity::Target::Only("intake"),
            intake_with(false),
        )
        .await;
        let mut c = dept(&no_cert, &w).await;
        let e = c
            .submit_fact(fact(&w, "M-NOCERT", matter(&w, &two(&w), when())))
            .await
            .expect_err("a client without a certificate is refused");
        assert_eq!(e.code(), Code::Unavailable, "{e:?}");

        // A plain client (no certificate) is refused by the registry itself.
        let plain = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(&pki.ca))
            .domain_name("localhost");
        let refused = match tonic::transport::Endpoint::from_shared(registry.url())
            .unwrap()
            .tls_config(plain)
            .unwrap()
            .connect()
            .await
        {
            Err(_) => true,
            Ok(ch) => tonic_health::pb::health_client::HealthClient::new(ch)
                .check(tonic_health::pb::HealthCheckRequest::default())
                .await
                .is_err(),
        };
        assert!(refused, "mutual TLS refuses a client without a certificate");

        // Told of peer TLS, a plaintext endpoint is refused before serving.
        let mut settings = solo.settings.clone();
        settings.section_mut::<IntakeSettings>().registry_endpoint =
            format!("http://127.0.0.1:{}", registry.addr.port());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let e = probity::serve_services(
            &settings,
            &probity::Target::Only("intake").services().unwrap(),
            listener,
            async {},
        )
        .await
        .expect_err("a plaintext peer with peer_tls set");
        assert!(
            e.to_string().contains("intake.registry_endpoint")
                && e.to_string().contains("https://"),
            "{e}"
        );
        // And the same in a settings file: refused at validation, by its key.
        let e = probity_common::config::Settings::load_from(
            None,
            [
                ("PROBITY__PEER_TLS__CA_FILE".to_string(), f[0].clone()),
                (
                    "PROBITY__INTAKE__REGISTRY_ENDPOINT".to_string(),
                    "http://registry:50051".to_string(),
                ),
            ],
            &probity::known(),
        )
        .expect_err("refused at validation");
        assert_eq!(e.key, "intake.registry_endpoint", "{e}");
        solo.stop().await;
        no_cert.stop().await;
        registry.stop().await;
    }
);
