//! The public methods, limited per client address: one address walking the
//! credential numbers (often sequential, chosen by departments) is stopped
//! after its burst, whatever token it adds; another address is still served;
//! the bucket refills as RetryInfo says. Calls with a token to other methods
//! are not limited here.
use std::time::Duration;

use probity_common::auth::Role;
use probity_proto::registry::v1::{
    GetBodyRequest, ListPublishedPowersRequest, VerifyCredentialRequest,
    public_registry_service_client::PublicRegistryServiceClient,
};
use tonic::{
    Code,
    transport::{Channel, Endpoint},
};
use tonic_types::StatusExt;

use crate::{
    db_test,
    fixtures::*,
    harness::{Bearer, TestServer},
    util::*,
};

/// A public client whose connection comes from `from` (any 127/8 address
/// reaches the server on 127.0.0.1).
async fn public_from(s: &TestServer, from: [u8; 4]) -> PublicRegistryServiceClient<Channel> {
    let ch = Endpoint::from_shared(s.url())
        .unwrap()
        .local_address(Some(std::net::IpAddr::from(from)))
        .connect()
        .await
        .expect("connect from another loopback address");
    PublicRegistryServiceClient::new(ch)
}

fn verify(n: u32) -> VerifyCredentialRequest {
    VerifyCredentialRequest {
        number: format!("HLJ-{n:04}"),
    }
}

/// Served: an answer, or NOT_FOUND for a number never issued; never the limit.
fn served<T: std::fmt::Debug>(r: Result<tonic::Response<T>, tonic::Status>, what: &str) {
    if let Err(e) = &r {
        assert_eq!(e.code(), Code::NotFound, "{what}: {e:?}");
    }
}

db_test!(public_calls_are_limited_per_address, |b| async move {
    let s = TestServer::start_with(b, |s| {
        s.server.public_rate_limit.burst = 3;
        s.server.public_rate_limit.per_minute = 60;
    })
    .await;
    let w = world(&s).await;
    let mut walker = public_from(&s, [127, 0, 0, 1]).await;
    for n in 1..=3 {
        served(
            walker.verify_credential(verify(n)).await,
            "within the burst",
        );
    }
    let refused = expect_err(
        walker.verify_credential(verify(4)).await,
        Code::ResourceExhausted,
        "RATE_LIMITED",
    );
    let wait = refused
        .get_details_retry_info()
        .and_then(|r| r.retry_delay)
        .expect("RetryInfo with a delay");
    assert!(
        wait > Duration::ZERO && wait <= Duration::from_secs(1),
        "one call a second comes back: {wait:?}"
    );
    // Another public method draws from the same bucket, and a token (a
    // department's) does not buy more public calls.
    expect_err(
        walker
            .list_published_powers(ListPublishedPowersRequest {
                body: w.dept.name.clone(),
                ..Default::default()
            })
            .await,
        Code::ResourceExhausted,
        "RATE_LIMITED",
    );
    let mut with_token = PublicRegistryServiceClient::with_interceptor(
        s.channel().await,
        Bearer::new(&s.token(Role::Department, Some(&w.dept.name))),
    );
    expect_err(
        with_token.verify_credential(verify(5)).await,
        Code::ResourceExhausted,
        "RATE_LIMITED",
    );
    // The token methods are not the public limit's business.
    s.legal()
        .await
        .get_body(GetBodyRequest {
            name: w.dept.name.clone(),
        })
        .await
        .expect("a call with a token to a token method");

    // Another address is served meanwhile.
    let mut other = public_from(&s, [127, 0, 0, 2]).await;
    served(other.verify_credential(verify(1)).await, "another address");

    // The bucket refills.
    tokio::time::sleep(wait + Duration::from_millis(50)).await;
    served(walker.verify_credential(verify(6)).await, "after the wait");
    s.stop().await;
});
