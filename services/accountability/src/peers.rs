//! Accountability's lines to the registry (who a subject is; sanction
//! effects) and to intake (the finding a case is raised from), over gRPC
//! with a `service` token, never through their tables.
use std::{net::SocketAddr, time::Duration};

use probity_common::{
    AppError, AppResult,
    config::Settings,
    names::body_name,
    peer::{Peer, PeerChannel, PeerConfig, PeerError},
};
use probity_proto::{
    intake::v1::{
        Fact, Finding, FindingFilter, ListFactRevisionsRequest, ListFindingsRequest,
        intake_service_client::IntakeServiceClient,
    },
    registry::v1::{
        BatchCheckActorsRequest, CheckActorsRequest, Credential, GetBodyRequest, GetOfficerRequest,
        ListCredentialsRequest, Officer, registry_service_client::RegistryServiceClient,
    },
};

use crate::store::rows::SubjectKind;

pub struct Peers {
    pub registry: Peer,
    pub intake: Peer,
}

/// Who a case or commendation is about, as the registry knows them now.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub kind: SubjectKind,
    /// bodies/{body}: the body, or the officer's body.
    pub body: String,
    /// "/gov/dept/body/" (common::body_scope).
    pub body_path: String,
    pub display_name: String,
}

impl Peers {
    pub fn new(settings: &Settings, own: SocketAddr) -> anyhow::Result<Peers> {
        let a = settings.section::<crate::settings::AccountabilitySettings>();
        let timeout = Duration::from_millis(a.peer_timeout_ms);
        let peer = |setting: &'static str, endpoint: &str| {
            Peer::new(
                settings,
                PeerConfig {
                    endpoint_setting: setting,
                    endpoint,
                    token_setting: "accountability.token_file",
                    token_file: &a.token_file,
                    subject: probity_common::service_identity::ACCOUNTABILITY.subject,
                    timeout,
                },
                own,
            )
        };
        Ok(Peers {
            registry: peer("accountability.registry_endpoint", &a.registry_endpoint)?,
            intake: peer("accountability.intake_endpoint", &a.intake_endpoint)?,
        })
    }

    pub fn registry_client(&self) -> RegistryServiceClient<PeerChannel> {
        RegistryServiceClient::new(self.registry.channel())
    }

    fn intake_client(&self) -> IntakeServiceClient<PeerChannel> {
        IntakeServiceClient::new(self.intake.channel()).max_decoding_message_size(64 * 1024 * 1024)
    }

    /// The subject named `name` (bodies/… or officers/…); `field` names it
    /// in an INVALID_ARGUMENT when the registry does not know it.
    pub async fn resolve(&self, name: &str, field: &str) -> AppResult<Resolved> {
        let mut client = self.registry_client();
        let (kind, body, display_name) = if name.starts_with("officers/") {
            let o: Officer = match self
                .registry
                .call(
                    "the registry",
                    client.get_officer(GetOfficerRequest { name: name.into() }),
                )
                .await
            {
                Err(PeerError::Refused(s)) if s.code() == tonic::Code::NotFound => {
                    return Err(AppError::invalid(field, "no such officer in the registry"));
                }
                r => r?,
            };
            (SubjectKind::Officer, o.body, o.display_name)
        } else {
            match self
                .registry
                .call(
                    "the registry",
                    client.get_body(GetBodyRequest { name: name.into() }),
                )
                .await
            {
                Err(PeerError::Refused(s)) if s.code() == tonic::Code::NotFound => {
                    return Err(AppError::invalid(field, "no such body in the registry"));
                }
                r => {
                    let b = r?;
                    (SubjectKind::Body, name.to_string(), b.display_name)
                }
            }
        };
        let path = self.body_path(&body).await?;
        Ok(Resolved {
            kind,
            body,
            body_path: path,
            display_name,
        })
    }

    /// A body's ancestry ("/root/…/body/"), from the registry.
    pub async fn body_path(&self, body: &str) -> AppResult<String> {
        let mut client = self.registry_client();
        let check = CheckActorsRequest {
            body: body.into(),
            act_time: Some(probity_common::names::to_ts(chrono::Utc::now())),
            ..Default::default()
        };
        let r = self
            .registry
            .call(
                "the registry",
                client.batch_check_actors(BatchCheckActorsRequest {
                    checks: vec![check],
                    viewer: String::new(),
                }),
            )
            .await?;
        match r.results.first() {
            Some(a) if a.body_known => Ok(probity_common::body_scope::path_of(&a.body_path)),
            _ => Err(AppError::not_found(body)),
        }
    }

    /// Every revision of an intake fact, oldest first.
    pub async fn fact_revisions(&self, fact: &str, field: &str) -> AppResult<Vec<Fact>> {
        let mut client = self.intake_client();
        let mut out = Vec::new();
        let mut page_token = String::new();
        loop {
            let req = ListFactRevisionsRequest {
                name: fact.into(),
                page_size: probity_common::names::MAX_PAGE_SIZE as i32,
                page_token,
            };
            let page = match self
                .intake
                .call("intake", client.list_fact_revisions(req))
                .await
            {
                Err(PeerError::Refused(s))
                    if matches!(
                        s.code(),
                        tonic::Code::NotFound | tonic::Code::InvalidArgument
                    ) =>
                {
                    return Err(AppError::invalid(field, "no such fact in intake"));
                }
                r => r?,
            };
            out.extend(page.revisions);
            if page.next_page_token.is_empty() {
                return Ok(out);
            }
            page_token = page.next_page_token;
        }
    }

    /// The intake findings in force that occurred since `from_us`, in
    /// (fact, revision, seq) order, all pages.
    pub async fn findings_in_force(&self, from_us: i64) -> AppResult<Vec<Finding>> {
        let mut client = self.intake_client();
        let mut out = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = self
                .intake
                .call(
                    "intake",
                    client.list_findings(ListFindingsRequest {
                        filter: Some(FindingFilter {
                            from: probity_common::names::us_ts(from_us),
                            ..Default::default()
                        }),
                        page_size: 1000,
                        page_token: page_token.clone(),
                    }),
                )
                .await?;
            out.extend(page.findings);
            if page.next_page_token.is_empty() {
                return Ok(out);
            }
            page_token = page.next_page_token;
        }
    }

    /// Every credential the officer holds, whatever its status.
    pub async fn credentials(&self, officer: &str) -> Result<Vec<Credential>, PeerError> {
        let mut client = self.registry_client();
        let mut out = Vec::new();
        let mut token = String::new();
        loop {
            let page = self
                .registry
                .call(
                    "the registry",
                    client.list_credentials(ListCredentialsRequest {
                        page_size: 1000,
                        page_token: token,
                        holder: officer.into(),
                        ..Default::default()
                    }),
                )
                .await?;
            out.extend(page.credentials);
            if page.next_page_token.is_empty() {
                return Ok(out);
            }
            token = page.next_page_token;
        }
    }

    pub async fn officer(&self, officer: &str) -> Result<Officer, PeerError> {
        let mut client = self.registry_client();
        self.registry
            .call(
                "the registry",
                client.get_officer(GetOfficerRequest {
                    name: officer.into(),
                }),
            )
            .await
    }
}

/// bodies/{id} for a body id, or the name when it already is one.
pub fn as_body_name(body: &str) -> String {
    if body.starts_with("bodies/") {
        body.to_string()
    } else {
        body_name(body)
    }
}
