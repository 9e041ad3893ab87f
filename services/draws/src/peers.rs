//! The service's line to the registry: the inspector pool (执法检查人员名录库)
//! computed at draw time, never uploaded by the unit. Officers of the unit
//! that are active regular officers (auxiliaries never), then asked with
//! CheckActors whether each may inspect under the power now: a post holding
//! it and a valid credential. Both calls are Read methods of the registry.
use std::{net::SocketAddr, time::Duration};

use probity_common::{
    AppError, AppResult,
    config::Settings,
    names::to_ts,
    peer::{Peer, PeerConfig, PeerError},
};
use probity_proto::registry::v1::{
    BatchCheckActorsRequest, CheckActorsRequest, GetBodyRequest, ListOfficersRequest, OfficerKind,
    OfficerStatus, registry_service_client::RegistryServiceClient,
};

use crate::settings::DrawsSettings;

/// Officers per CheckActors question (the registry's limit is 100).
const PER_CHECK: usize = 100;
/// Questions per BatchCheckActors call (the registry's limit).
const PER_BATCH: usize = 1000;

pub struct Peers {
    pub registry: Peer,
}

impl Peers {
    pub fn new(settings: &Settings, d: &DrawsSettings, own: SocketAddr) -> anyhow::Result<Peers> {
        Ok(Peers {
            registry: Peer::new(
                settings,
                PeerConfig {
                    endpoint_setting: "draws.registry_endpoint",
                    endpoint: &d.registry_endpoint,
                    token_setting: "draws.token_file",
                    token_file: &d.token_file,
                    subject: probity_common::service_identity::DRAWS.subject,
                    timeout: Duration::from_millis(d.timeout_ms),
                },
                own,
            )?,
        })
    }

    fn client(&self) -> RegistryServiceClient<probity_common::peer::PeerChannel> {
        RegistryServiceClient::new(self.registry.channel())
            .max_decoding_message_size(64 * 1024 * 1024)
    }

    /// Whether the registry knows the body `bodies/{id}`.
    pub async fn body_exists(&self, body: &str) -> AppResult<bool> {
        let mut c = self.client();
        match self
            .registry
            .call(
                "the registry",
                c.get_body(GetBodyRequest { name: body.into() }),
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(PeerError::Refused(s)) if s.code() == tonic::Code::NotFound => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// The inspector pool of `unit` (bodies/{id}) for `power` now, as
    /// officers/{id}, sorted.
    pub async fn pool(&self, unit: &str, power: &str) -> AppResult<Vec<String>> {
        let mut c = self.client();
        let mut officers = Vec::new();
        let mut page_token = String::new();
        loop {
            let r = self
                .registry
                .call(
                    "the registry",
                    c.list_officers(ListOfficersRequest {
                        page_size: 1000,
                        page_token: page_token.clone(),
                        body: unit.into(),
                        status: OfficerStatus::Active as i32,
                        kind: OfficerKind::Officer as i32,
                    }),
                )
                .await?;
            officers.extend(
                r.officers
                    .into_iter()
                    .filter(|o| o.kind == OfficerKind::Officer as i32)
                    .map(|o| o.name),
            );
            if r.next_page_token.is_empty() {
                break;
            }
            page_token = r.next_page_token;
        }
        let now = to_ts(chrono::Utc::now());
        let mut pool = Vec::new();
        for batch in officers.chunks(PER_CHECK * PER_BATCH) {
            let checks = batch
                .chunks(PER_CHECK)
                .map(|group| CheckActorsRequest {
                    body: unit.into(),
                    power: power.into(),
                    act_time: Some(now),
                    officers: group.to_vec(),
                    min_qualified: 1,
                    known_time: None,
                })
                .collect();
            let r = self
                .registry
                .call(
                    "the registry",
                    c.batch_check_actors(BatchCheckActorsRequest {
                        checks,
                        viewer: String::new(),
                    }),
                )
                .await?;
            for answer in r.results {
                if !answer.body_known {
                    return Err(AppError::invalid(
                        "draw.unit",
                        "no such body in the registry",
                    ));
                }
                if !answer.power_known {
                    return Err(AppError::invalid(
                        "draw.power",
                        "no such power in the registry",
                    ));
                }
                pool.extend(
                    answer
                        .actors
                        .into_iter()
                        .filter(|a| a.qualified && a.problems.is_empty())
                        .map(|a| a.officer),
                );
            }
        }
        pool.sort();
        pool.dedup();
        Ok(pool)
    }
}
