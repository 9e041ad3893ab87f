//! Issue 19, holes 3 and 4, as the holder of a token (or of a forgotten
//! default) would try them: development keys where a deployment shows, a
//! department `body` claim that is a LIKE wildcard or no body's name, a
//! token that lives too long, one revoked, one not valid yet.
use probity_common::{
    auth::{Claims, Role, sign_claims},
    config::Settings,
    revocation::RECHECK,
};
use probity_proto::{
    intake::v1::{ListFactsRequest, intake_service_client::IntakeServiceClient},
    registry::v1::ListBodiesRequest,
};
use tonic::Code;

use crate::{
    db_test,
    harness::{Bearer, TestServer},
    util::*,
};

fn claims(role: Role, body: Option<&str>, lifetime: i64) -> Claims {
    let now = chrono::Utc::now().timestamp();
    Claims {
        sub: "attacker".into(),
        role,
        body: body.map(str::to_string),
        scope: None,
        iss: "probity".into(),
        aud: "probity".into(),
        iat: now,
        exp: now + lifetime,
        nbf: None,
        jti: None,
    }
}

async fn list_bodies(s: &TestServer, token: &str) -> Result<(), tonic::Status> {
    s.registry(token)
        .await
        .list_bodies(ListBodiesRequest::default())
        .await
        .map(|_| ())
}

db_test!(a_body_claim_is_a_body_resource_name, |b| async move {
    let s = TestServer::start(b).await;
    let w = crate::fixtures::world(&s).await;
    // One fact of the market bureau's, for a wildcard to find.
    let mut office = crate::intake::legal(&s).await;
    office
        .submit_fact(crate::intake::fact(
            &w,
            "oracle-1",
            crate::intake::training(&w.a.name, 8.0),
        ))
        .await
        .expect("a fact");
    let facts = |token: String| {
        let s = &s;
        async move {
            let mut c =
                IntakeServiceClient::with_interceptor(s.channel().await, Bearer::new(&token));
            c.list_facts(ListFactsRequest::default())
                .await
                .map(|r| r.into_inner().facts.len())
        }
    };
    // The attack: `%` as the body, so the scope's LIKE matches every body's
    // facts; and bodies that are not a body's name at all.
    for body in [
        "%",
        "bodies/%",
        "bodies/x%",
        "dept",
        "bodies/a/b",
        "",
        "bodies/",
    ] {
        let token = sign_claims(&s.settings, &claims(Role::Department, Some(body), 600)).unwrap();
        let e = expect_code(facts(token.clone()).await, Code::Unauthenticated);
        assert!(
            e.message().contains("resource name") || body.is_empty(),
            "{body}: {e:?}"
        );
        expect_code(list_bodies(&s, &token).await, Code::Unauthenticated);
    }
    // `_` is a name an id may have, and only that: no wildcard in a scope.
    let token = sign_claims(
        &s.settings,
        &claims(Role::Department, Some("bodies/_"), 600),
    )
    .unwrap();
    assert_eq!(
        facts(token).await.unwrap(),
        0,
        "bodies/_ sees no one's facts"
    );
    // The market bureau's own token sees its fact.
    let good = sign_claims(
        &s.settings,
        &claims(Role::Department, Some(&w.dept.name), 600),
    )
    .unwrap();
    assert_eq!(facts(good).await.unwrap(), 1);
    s.stop().await;
});

db_test!(
    lifetime_nbf_and_revocation_are_the_servers_to_check,
    |b| async move {
        let dir = tempfile::tempdir().unwrap();
        let revoked = dir.path().join("revoked-jti");
        std::fs::write(&revoked, "# revoked tokens\nstolen-1\n").unwrap();
        let file = revoked.to_string_lossy().into_owned();
        let s = TestServer::start_with(b, |s| {
            s.auth.max_token_lifetime_secs = 3600;
            s.auth.revoked_jti_file = file;
        })
        .await;
        let sign = |c: &Claims| sign_claims(&s.settings, c).unwrap();
        // A token for a year.
        let e = expect_code(
            list_bodies(&s, &sign(&claims(Role::Leadership, None, 3601))).await,
            Code::Unauthenticated,
        );
        assert!(e.message().contains("max_token_lifetime"), "{e:?}");
        list_bodies(&s, &sign(&claims(Role::Leadership, None, 3600)))
            .await
            .expect("within the lifetime");
        // Issued "later" to stretch its life past the policy.
        let mut c = claims(Role::Leadership, None, 3600);
        c.iat += 7200;
        c.exp += 7200;
        expect_code(list_bodies(&s, &sign(&c)).await, Code::Unauthenticated);
        // Not valid yet.
        let mut c = claims(Role::Leadership, None, 3000);
        c.nbf = Some(c.iat + 600);
        expect_code(list_bodies(&s, &sign(&c)).await, Code::Unauthenticated);
        // Revoked before it was used, and revoked while in use.
        let mut c = claims(Role::LegalOffice, None, 600);
        c.jti = Some("stolen-1".into());
        let e = expect_code(list_bodies(&s, &sign(&c)).await, Code::Unauthenticated);
        assert!(e.message().contains("revoked"), "{e:?}");
        c.jti = Some("stolen-2".into());
        let in_use = sign(&c);
        list_bodies(&s, &in_use).await.expect("not revoked yet");
        std::fs::write(&revoked, "stolen-1\nstolen-2\n").unwrap();
        tokio::time::sleep(RECHECK + std::time::Duration::from_millis(300)).await;
        expect_code(list_bodies(&s, &in_use).await, Code::Unauthenticated);
        s.stop().await;
    }
);

/// Starts the services on `settings` as `probity serve` does: the error.
async fn refused(settings: Settings) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let services = probity::Target::All.services().unwrap();
    let r = probity::serve_services(&settings, &services, listener, async {}).await;
    format!("{:#}", r.expect_err("development keys must be refused"))
}

#[tokio::test]
async fn dev_keys_are_refused_where_a_deployment_shows() {
    let dir = tempfile::tempdir().unwrap();
    let base = || {
        let mut s = Settings::default();
        s.database.data_dir = dir.path().to_string_lossy().into_owned();
        s.server.listen = "127.0.0.1:0".into();
        assert!(s.auth.dev_keys, "the default this test is about");
        s
    };
    // PostgreSQL: the database of a deployment (no connection is tried).
    let mut s = base();
    s.database.url = "postgres://probity@127.0.0.1:1/probity".into();
    let e = refused(s).await;
    assert!(
        e.contains("auth.dev_keys") && e.contains("PostgreSQL"),
        "{e}"
    );
    let mut s = base();
    s.database
        .set_service_url("intake", "postgresql://probity@127.0.0.1:1/intake");
    let e = refused(s).await;
    assert!(
        e.contains("auth.dev_keys") && e.contains("database.intake_url"),
        "{e}"
    );
    // Listening beyond this machine.
    let mut s = base();
    s.server.listen = "0.0.0.0:50051".into();
    let e = refused(s).await;
    assert!(e.contains("auth.dev_keys") && e.contains("loopback"), "{e}");
    // Beside an issuer's keys.
    let mut s = base();
    s.auth.public_key_files = vec![format!(
        "{}/services/common/testdata/ed25519-other-public.pem",
        env!("CARGO_MANIFEST_DIR")
    )];
    let e = refused(s).await;
    assert!(
        e.contains("auth.dev_keys") && e.contains("public_key_files"),
        "{e}"
    );
    assert!(
        !dir.path().join("dev-signing-key.pem").exists(),
        "refused before a development key is made"
    );
    // The demo on a public address.
    let out = tempfile::tempdir().unwrap();
    let o = probity::demo::DemoOptions {
        scale: 10,
        seed: 1,
        out: out.path().join("demo"),
        listen: "0.0.0.0:0".into(),
        keep: false,
        quiet: true,
    };
    let e = format!("{:#}", probity::demo::run(&base(), o).await.unwrap_err());
    assert!(e.contains("auth.dev_keys") && e.contains("loopback"), "{e}");
    assert!(!out.path().join("demo").exists(), "nothing made");
}
