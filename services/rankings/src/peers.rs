//! The service's line to the registry: whether a body is vertically
//! managed, its name and its ancestry, asked over gRPC with a `service`
//! token (the registry's tables stay its own).
use std::{net::SocketAddr, time::Duration};

use probity_common::{
    AppError, AppResult,
    body_scope::path_of,
    config::Settings,
    peer::{Peer, PeerConfig, PeerError},
};
use probity_proto::registry::v1::{
    Body, GetBodyRequest, registry_service_client::RegistryServiceClient,
};

use crate::settings::RankingsSettings;

pub struct Peers {
    pub registry: Peer,
}

/// A body as the registry knows it now.
pub struct KnownBody {
    pub body: Body,
    /// "/root/.../body/" (common::body_scope).
    pub path: String,
}

/// Deeper than any registry: a loop in the parents stops here.
const MAX_DEPTH: usize = 64;

impl Peers {
    pub fn new(
        settings: &Settings,
        r: &RankingsSettings,
        own: SocketAddr,
    ) -> anyhow::Result<Peers> {
        Ok(Peers {
            registry: Peer::new(
                settings,
                PeerConfig {
                    endpoint_setting: "rankings.registry_endpoint",
                    endpoint: &r.registry_endpoint,
                    token_setting: "rankings.token_file",
                    token_file: &r.token_file,
                    subject: probity_common::service_identity::RANKINGS.subject,
                    timeout: Duration::from_millis(r.timeout_ms),
                },
                own,
            )?,
        })
    }

    async fn get(&self, name: &str) -> Result<Body, PeerError> {
        let mut client = RegistryServiceClient::new(self.registry.channel());
        self.registry
            .call(
                "the registry",
                client.get_body(GetBodyRequest { name: name.into() }),
            )
            .await
    }

    /// The body `name` and its ancestry; `field` names it in an
    /// INVALID_ARGUMENT when the registry does not know it.
    pub async fn body(&self, name: &str, field: &str) -> AppResult<KnownBody> {
        let body = match self.get(name).await {
            Err(PeerError::Refused(s)) if s.code() == tonic::Code::NotFound => {
                return Err(AppError::invalid(field, "no such body in the registry"));
            }
            r => r?,
        };
        let mut chain = vec![body.name.clone()];
        let mut parent = body.parent.clone();
        while !parent.is_empty() && chain.len() < MAX_DEPTH {
            let p = self.get(&parent).await?;
            chain.push(p.name.clone());
            parent = p.parent;
        }
        chain.reverse();
        Ok(KnownBody {
            body,
            path: path_of(&chain),
        })
    }
}
