//! Where the services are and who the builder is to them: endpoints,
//! tokens (the legal-affairs office for the registry and its own facts, each
//! department for its own facts), and tonic clients carrying them.
use probity_common::{
    auth::{Role, Scope, issue_scoped_token, issue_token},
    config::Settings,
};
use probity_proto::{
    accountability::v1::accountability_service_client::AccountabilityServiceClient,
    draws::v1::draws_service_client::DrawsServiceClient,
    intake::v1::intake_service_client::IntakeServiceClient,
    registry::v1::registry_service_client::RegistryServiceClient,
};
use tonic::{
    metadata::{Ascii, MetadataValue},
    service::{Interceptor, interceptor::InterceptedService},
    transport::{Channel, Endpoint},
};

/// The services' addresses (http://host:port). The build calls the
/// registry and intake; accountability is here for callers that go on to
/// raise and decide cases on the city, draws for its units' draws
/// (`draws.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub registry: String,
    pub intake: String,
    pub accountability: String,
    pub draws: String,
}

impl Endpoints {
    /// Every service at one address (`probity serve --target all`).
    pub fn all(url: &str) -> Endpoints {
        Endpoints {
            registry: url.into(),
            intake: url.into(),
            accountability: url.into(),
            draws: url.into(),
        }
    }
}

/// Bearer tokens for a role (and, for a department, its body:
/// `bodies/{id}`).
pub trait TokenSource: Send + Sync {
    fn token(&self, role: Role, body: Option<&str>) -> anyhow::Result<String>;

    /// A department token for `body`'s legal section (法制股室, Art. 12),
    /// which investigates and proposes in cases against its officers.
    fn legal_section_token(&self, body: &str) -> anyhow::Result<String> {
        anyhow::bail!("this token source has no legal-section token for {body}")
    }
}

/// Tokens signed with the deployment's development key
/// (`auth.signing_key_file`), as `probity token issue` signs them.
pub struct DevTokens {
    settings: Settings,
}

impl DevTokens {
    pub fn new(settings: &Settings) -> DevTokens {
        DevTokens {
            settings: settings.clone(),
        }
    }
}

impl TokenSource for DevTokens {
    fn token(&self, role: Role, body: Option<&str>) -> anyhow::Result<String> {
        let body = body.map(|b| b.strip_prefix("bodies/").unwrap_or(b));
        let subject = match body {
            Some(b) => format!("city-builder@{b}"),
            None => format!("city-builder-{}", role.as_str()),
        };
        issue_token(
            &self.settings,
            &subject,
            role,
            body,
            chrono::Duration::hours(12),
        )
    }

    fn legal_section_token(&self, body: &str) -> anyhow::Result<String> {
        let body = body.strip_prefix("bodies/").unwrap_or(body);
        issue_scoped_token(
            &self.settings,
            &format!("legal-section@{body}"),
            Role::Department,
            Some(body),
            Some(Scope::LegalSection),
            chrono::Duration::hours(12),
        )
    }
}

/// Adds `authorization: Bearer <token>` to every call.
#[derive(Clone)]
pub struct Bearer(MetadataValue<Ascii>);

impl Bearer {
    pub fn new(token: &str) -> anyhow::Result<Bearer> {
        Ok(Bearer(format!("Bearer {}", token.trim()).parse()?))
    }
}

impl Interceptor for Bearer {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        req.metadata_mut().insert("authorization", self.0.clone());
        Ok(req)
    }
}

pub type Registry = RegistryServiceClient<InterceptedService<Channel, Bearer>>;
pub type Intake = IntakeServiceClient<InterceptedService<Channel, Bearer>>;
pub type Accountability = AccountabilityServiceClient<InterceptedService<Channel, Bearer>>;
pub type Draws = DrawsServiceClient<InterceptedService<Channel, Bearer>>;

/// Channels to the registry and intake, and the tokens to use on them.
pub struct Conn<'a> {
    registry: Channel,
    intake: Channel,
    accountability: Channel,
    draws: Channel,
    pub tokens: &'a dyn TokenSource,
}

async fn channel(url: &str) -> anyhow::Result<Channel> {
    Endpoint::from_shared(url.to_string())?
        .tcp_nodelay(true)
        .connect()
        .await
        .map_err(|e| anyhow::anyhow!("connecting to {url}: {e}"))
}

impl<'a> Conn<'a> {
    pub async fn open(
        endpoints: &Endpoints,
        tokens: &'a dyn TokenSource,
    ) -> anyhow::Result<Conn<'a>> {
        Ok(Conn {
            registry: channel(&endpoints.registry).await?,
            intake: channel(&endpoints.intake).await?,
            accountability: channel(&endpoints.accountability).await?,
            draws: channel(&endpoints.draws).await?,
            tokens,
        })
    }

    pub fn registry(&self, role: Role, body: Option<&str>) -> anyhow::Result<Registry> {
        let bearer = Bearer::new(&self.tokens.token(role, body)?)?;
        Ok(RegistryServiceClient::with_interceptor(
            self.registry.clone(),
            bearer,
        ))
    }

    /// Accountability as `role`: callers that go on to raise and decide
    /// cases on the city (the demo's story).
    pub fn accountability(&self, role: Role, body: Option<&str>) -> anyhow::Result<Accountability> {
        let bearer = Bearer::new(&self.tokens.token(role, body)?)?;
        Ok(AccountabilityServiceClient::with_interceptor(
            self.accountability.clone(),
            bearer,
        ))
    }

    /// Accountability as `body`'s legal section.
    pub fn legal_section(&self, body: &str) -> anyhow::Result<Accountability> {
        let bearer = Bearer::new(&self.tokens.legal_section_token(body)?)?;
        Ok(AccountabilityServiceClient::with_interceptor(
            self.accountability.clone(),
            bearer,
        ))
    }

    /// The draws service as `role` (a department for its own draws, the
    /// office for the public value).
    pub fn draws(&self, role: Role, body: Option<&str>) -> anyhow::Result<Draws> {
        let bearer = Bearer::new(&self.tokens.token(role, body)?)?;
        Ok(DrawsServiceClient::with_interceptor(
            self.draws.clone(),
            bearer,
        ))
    }

    pub fn intake(&self, role: Role, body: Option<&str>) -> anyhow::Result<Intake> {
        let bearer = Bearer::new(&self.tokens.token(role, body)?)?;
        Ok(
            IntakeServiceClient::with_interceptor(self.intake.clone(), bearer)
                .max_decoding_message_size(64 << 20),
        )
    }
}
