//! Bearer-JWT authentication in one tower layer, and the role model.
//!
//! Each service declares, in one table, the access class of every method
//! ([`Access`]); the layer admits or refuses the call before any handler runs,
//! and hands the handler a [`Principal`]. Body scoping (a department sees only
//! its own body and descendants) needs the registry's tree and is checked by
//! the handler through [`Principal::department_body`].
use std::{
    collections::HashMap,
    sync::Arc,
    task::{Context, Poll},
};

use ed25519_dalek::{
    SigningKey,
    pkcs8::{DecodePrivateKey, EncodePrivateKey, spki::der::pem::LineEnding},
};
use futures::future::BoxFuture;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use tonic::Status;

use crate::{
    config::Settings,
    error::{AppError, AppResult},
    keys::{KeyFile, write_private},
    names::parse_top,
    reasons::Reason,
    revocation::Revocations,
    service_identity,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 法制机构: registry-wide administration and accountability.
    LegalOffice,
    /// An enforcement body's own staff: reads and writes its own subtree.
    Department,
    /// Reads everything, writes nothing.
    Leadership,
    /// Reads the audit chain.
    Auditor,
    /// Another Probity service.
    Service,
    /// A court's or reconsideration body's records clerk: reports review
    /// outcomes (复议, 诉讼) to intake and reads them back, nothing else.
    CourtRecords,
    /// 本级人民政府: the city government's decision-maker. It decides the
    /// cases against units the legal-affairs office proposes (Art. 19) and
    /// reads; the steps it may take are accountability's decision-rights table.
    Government,
    /// A caller without a token, on a public method. Never in a token.
    #[serde(skip)]
    Anonymous,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::LegalOffice,
        Role::Department,
        Role::Leadership,
        Role::Auditor,
        Role::Service,
        Role::CourtRecords,
        Role::Government,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::LegalOffice => "legal_office",
            Role::Department => "department",
            Role::Leadership => "leadership",
            Role::Auditor => "auditor",
            Role::Service => "service",
            Role::CourtRecords => "court_records",
            Role::Government => "government",
            Role::Anonymous => "anonymous",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// What a method does, which decides who may call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, no token (credential checks, published lists).
    Public,
    /// Reads of registry data.
    Read,
    /// Changes by the owning department or the legal-affairs office.
    Write,
    /// Registry-wide administration: the legal-affairs office only.
    Admin,
    /// Sanction effects: the legal-affairs office, the owning department, or a service.
    Effect,
    /// Lifting a sanction: the legal-affairs office alone, never the department or a service.
    Lift,
    /// Legal-affairs office work that the system itself also does (raising a
    /// case from a finding or a ranking flag, recording a commendation).
    Raise,
    /// The audit chain.
    Audit,
    /// Reporting facts to intake: Write's roles and court records (review
    /// outcomes only: intake's table of rightful reporters decides a kind).
    Report,
    /// One reported fact read back: Read's roles and court records (review
    /// outcomes only, checked by intake).
    ReadBack,
    /// A step of a case that the government, a department or the
    /// legal-affairs office may take; which of them may take it on a given
    /// case is the handler's decision-rights table.
    Decide,
    /// The city's whole picture, every department ranked against the others
    /// (the rankings job's reports): for those the results are reported to,
    /// the legal-affairs office, leadership and the government; never a
    /// department, which reads its own rankings.
    Oversight,
}

impl Access {
    pub fn allows(self, role: Role) -> bool {
        use Role::*;
        match self {
            Access::Public => true,
            Access::Read => matches!(
                role,
                LegalOffice | Department | Leadership | Service | Government
            ),
            Access::Write => matches!(role, LegalOffice | Department),
            Access::Admin => matches!(role, LegalOffice),
            Access::Decide => matches!(role, LegalOffice | Department | Government),
            Access::Oversight => matches!(role, LegalOffice | Leadership | Government),
            Access::Effect => matches!(role, LegalOffice | Department | Service),
            // A lift is the office's alone: no service lifts a sanction.
            Access::Lift => matches!(role, LegalOffice),
            Access::Raise => matches!(role, LegalOffice | Service),
            Access::Audit => matches!(role, LegalOffice | Auditor),
            Access::Report => matches!(role, LegalOffice | Department | CourtRecords),
            Access::ReadBack => {
                matches!(
                    role,
                    LegalOffice | Department | Leadership | Service | CourtRecords | Government
                )
            }
        }
    }
}

/// Full gRPC method path → access class.
pub type Policy = HashMap<&'static str, Access>;

/// Paths open to all: health checks and reflection.
const OPEN_PREFIXES: &[&str] = &[
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1.ServerReflection/",
    "/grpc.reflection.v1alpha.ServerReflection/",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    /// The body a department token is scoped to, as its resource name
    /// `bodies/{id}` (checked when verified: it reaches LIKE patterns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// A part of a department a token speaks for: `legal_section` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    /// Not before: checked when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// The token's id, which `auth.revoked_jti_file` lists to revoke it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

/// The part of a department a department token speaks for, when it is not
/// the department as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// 负责法制工作的股(室): the unit's legal section, which investigates
    /// and proposes (Art. 12) but does not decide.
    LegalSection,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::LegalSection => "legal_section",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        (s == "legal_section").then_some(Scope::LegalSection)
    }
}

/// Who is calling, as the handler sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub subject: String,
    pub role: Role,
    pub body: Option<String>,
    /// Set only on a department token that speaks for a part of it.
    pub scope: Option<Scope>,
}

impl Principal {
    pub fn anonymous() -> Self {
        Principal {
            subject: "anonymous".into(),
            role: Role::Anonymous,
            body: None,
            scope: None,
        }
    }

    /// A Probity service acting on its own (sweeps, the outbox).
    pub fn system(subject: &str) -> Self {
        Principal {
            subject: subject.into(),
            role: Role::Service,
            body: None,
            scope: None,
        }
    }

    /// The body a department caller is confined to; `None` for roles that see all.
    pub fn department_body(&self) -> Option<&str> {
        match self.role {
            Role::Department => self.body.as_deref(),
            _ => None,
        }
    }

    pub fn from_request<T>(req: &tonic::Request<T>) -> AppResult<Principal> {
        req.extensions().get::<Principal>().cloned().ok_or_else(|| {
            AppError::Unauthenticated("no principal: the auth layer did not run".into())
        })
    }
}

/// Verifies bearer tokens against the configured keys and the token policy:
/// issuer, audience, `exp` and `nbf`, a lifetime no longer than
/// `auth.max_token_lifetime_secs`, a `jti` not on the revocation list, and
/// a department's `body` that is a body's resource name.
pub struct Verifier {
    keys: Vec<(Algorithm, DecodingKey)>,
    issuer: String,
    audience: String,
    max_lifetime_secs: i64,
    revoked: Revocations,
    /// Tokens already verified, until they expire: a client sends the same
    /// token on every call, and checking its signature each time would cost
    /// more than most calls. The revocation list is still consulted.
    verified: std::sync::Mutex<HashMap<String, Verified>>,
}

#[derive(Clone)]
struct Verified {
    principal: Principal,
    exp: i64,
    jti: Option<String>,
}

/// Verified tokens remembered at most; the memory is dropped whole when full.
const VERIFIED_CAPACITY: usize = 10_000;
/// The clock skew allowed on `exp`, `nbf` and `iat`.
const LEEWAY_SECS: i64 = 30;

impl Verifier {
    pub fn from_settings(s: &Settings) -> anyhow::Result<Self> {
        // Settings built in code (tests, the demo) meet the same refusal as a file's.
        if let Some(e) = s.dev_keys_refusal() {
            anyhow::bail!(e);
        }
        let mut keys = Vec::new();
        if s.auth.dev_keys {
            let sk = load_or_create_signing_key(&s.signing_key())?;
            keys.push((
                Algorithm::EdDSA,
                DecodingKey::from_ed_der(sk.verifying_key().as_bytes()),
            ));
        }
        for f in &s.auth.public_key_files {
            let pem =
                std::fs::read(f).map_err(|e| anyhow::anyhow!("auth.public_key_files: {f}: {e}"))?;
            if let Ok(k) = DecodingKey::from_ed_pem(&pem) {
                keys.push((Algorithm::EdDSA, k));
            } else if let Ok(k) = DecodingKey::from_rsa_pem(&pem) {
                keys.push((Algorithm::RS256, k));
            } else {
                anyhow::bail!(
                    "auth.public_key_files: {f}: neither an Ed25519 nor an RSA public key in PEM"
                );
            }
        }
        if s.auth.allow_hs256 {
            keys.push((
                Algorithm::HS256,
                DecodingKey::from_secret(s.auth.hs256_secret.as_bytes()),
            ));
        }
        anyhow::ensure!(
            !keys.is_empty(),
            "auth.public_key_files: no key to verify tokens with (set it, or auth.dev_keys = true)"
        );
        Ok(Verifier {
            keys,
            issuer: s.auth.issuer.clone(),
            audience: s.auth.audience.clone(),
            max_lifetime_secs: i64::try_from(s.auth.max_token_lifetime_secs).unwrap_or(i64::MAX),
            revoked: Revocations::load(&s.auth.revoked_jti_file)?,
            verified: std::sync::Mutex::new(HashMap::new()),
        })
    }

    pub fn verify(&self, token: &str) -> Result<Principal, String> {
        let now = chrono::Utc::now().timestamp();
        let remembered = self
            .verified
            .lock()
            .ok()
            .and_then(|seen| seen.get(token).cloned())
            .filter(|v| now < v.exp + LEEWAY_SECS);
        let v = match remembered {
            Some(v) => v,
            None => {
                let v = self.verify_signature(token, now)?;
                if let Ok(mut seen) = self.verified.lock() {
                    if seen.len() >= VERIFIED_CAPACITY {
                        seen.clear();
                    }
                    seen.insert(token.to_string(), v.clone());
                }
                v
            }
        };
        if let Some(jti) = &v.jti
            && self.revoked.contains(jti)
        {
            return Err("token revoked (auth.revoked_jti_file lists its jti)".into());
        }
        Ok(v.principal)
    }

    fn verify_signature(&self, token: &str, now: i64) -> Result<Verified, String> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| format!("malformed token: {e}"))?;
        let mut last = "no key accepts this token's algorithm".to_string();
        for (alg, key) in self.keys.iter().filter(|(a, _)| *a == header.alg) {
            let mut v = Validation::new(*alg);
            v.set_issuer(&[&self.issuer]);
            v.set_audience(&[&self.audience]);
            v.leeway = LEEWAY_SECS as u64;
            v.validate_nbf = true;
            match jsonwebtoken::decode::<Claims>(token, key, &v) {
                Ok(data) => return self.admit(data.claims, now),
                Err(e) => last = format!("token rejected: {e}"),
            }
        }
        Err(last)
    }

    /// The token policy beyond the signature and the standard claims.
    fn admit(&self, c: Claims, now: i64) -> Result<Verified, String> {
        if c.iat > now + LEEWAY_SECS {
            return Err("token rejected: issued in the future (iat)".into());
        }
        if c.exp.saturating_sub(c.iat) > self.max_lifetime_secs {
            return Err(format!(
                "token rejected: lives longer than auth.max_token_lifetime_secs ({} s)",
                self.max_lifetime_secs
            ));
        }
        let body = match c.body.as_deref() {
            None => None,
            Some(b) => Some(parse_top(b, "bodies").ok_or_else(|| {
                "token rejected: the body claim must be a body's resource name bodies/{id}"
                    .to_string()
            })?),
        };
        if c.role == Role::Department && body.is_none() {
            return Err("a department token must name its body".into());
        }
        if c.scope.is_some() && c.role != Role::Department {
            return Err("only a department token carries a scope".into());
        }
        Ok(Verified {
            principal: Principal {
                subject: c.sub,
                role: c.role,
                body,
                scope: c.scope,
            },
            exp: c.exp,
            jti: c.jti,
        })
    }
}

/// The development signing key: created on first use on its default path.
pub fn load_or_create_signing_key(k: &KeyFile) -> anyhow::Result<SigningKey> {
    let shown = k.path.display();
    if k.path.exists() {
        let pem = std::fs::read_to_string(&k.path)
            .map_err(|e| anyhow::anyhow!("{}: {shown}: {e}", k.setting))?;
        return SigningKey::from_pkcs8_pem(&pem)
            .map_err(|e| anyhow::anyhow!("{}: {shown}: {e}", k.setting));
    }
    anyhow::ensure!(k.create, "{}: {shown} does not exist", k.setting);
    let sk = SigningKey::generate(&mut rand::rngs::OsRng);
    let pem = sk
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| anyhow::anyhow!("encoding key: {e}"))?;
    write_private(&k.path, pem.as_bytes())?;
    Ok(sk)
}

/// Makes an issuer's Ed25519 key pair: the private key (PKCS#8 PEM, for
/// `auth.signing_key_file`) and the public key (SPKI PEM, for
/// `auth.public_key_files`). The test servers use it, as a deployment uses
/// its issuer's keys, since development keys are refused beside PostgreSQL.
pub fn write_key_pair(private: &std::path::Path, public: &std::path::Path) -> anyhow::Result<()> {
    use ed25519_dalek::pkcs8::EncodePublicKey;
    let sk = SigningKey::generate(&mut rand::rngs::OsRng);
    let pem = sk
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| anyhow::anyhow!("encoding key: {e}"))?;
    write_private(private, pem.as_bytes())?;
    let public_pem = sk
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| anyhow::anyhow!("encoding key: {e}"))?;
    std::fs::write(public, public_pem)?;
    Ok(())
}

/// Signs a token with the development key (`probity token issue`).
pub fn issue_token(
    s: &Settings,
    subject: &str,
    role: Role,
    body: Option<&str>,
    ttl: chrono::Duration,
) -> anyhow::Result<String> {
    issue_scoped_token(s, subject, role, body, None, ttl)
}

/// [`issue_token`] for a part of a department (`--scope legal_section`).
pub fn issue_scoped_token(
    s: &Settings,
    subject: &str,
    role: Role,
    body: Option<&str>,
    scope: Option<Scope>,
    ttl: chrono::Duration,
) -> anyhow::Result<String> {
    if role == Role::Department && body.is_none() {
        anyhow::bail!("a department token needs --body");
    }
    if scope.is_some() && role != Role::Department {
        anyhow::bail!("--scope is for department tokens only");
    }
    let max = s.auth.max_token_lifetime_secs;
    if u64::try_from(ttl.num_seconds()).is_ok_and(|t| t > max) {
        anyhow::bail!("--ttl: longer than auth.max_token_lifetime_secs ({max} s)");
    }
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        sub: subject.to_string(),
        role,
        body: body.map(|b| format!("bodies/{}", b.strip_prefix("bodies/").unwrap_or(b))),
        scope,
        iss: s.auth.issuer.clone(),
        aud: s.auth.audience.clone(),
        iat: now,
        exp: now + ttl.num_seconds(),
        nbf: None,
        jti: Some(crate::names::new_id()),
    };
    sign_claims(s, &claims)
}

/// Signs `claims` as they are with the signing key (`auth.signing_key_file`):
/// [`issue_scoped_token`]'s last step, and the tests' way to make the tokens
/// an issuer should not (a `%` body, a lifetime too long, `nbf` ahead).
pub fn sign_claims(s: &Settings, claims: &Claims) -> anyhow::Result<String> {
    let sk = load_or_create_signing_key(&s.signing_key())?;
    let der = sk
        .to_pkcs8_der()
        .map_err(|e| anyhow::anyhow!("encoding key: {e}"))?;
    let key = EncodingKey::from_ed_der(der.as_bytes());
    Ok(jsonwebtoken::encode(
        &Header::new(Algorithm::EdDSA),
        claims,
        &key,
    )?)
}

/// The tower layer that authenticates and authorizes every call.
#[derive(Clone)]
pub struct AuthLayer {
    verifier: Arc<Verifier>,
    policy: Arc<Policy>,
}

impl AuthLayer {
    pub fn new(verifier: Arc<Verifier>, policy: Policy) -> Self {
        AuthLayer {
            verifier,
            policy: Arc::new(policy),
        }
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = AuthService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            verifier: self.verifier.clone(),
            policy: self.policy.clone(),
        }
    }
}

#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    verifier: Arc<Verifier>,
    policy: Arc<Policy>,
}

/// Decides a call: `Ok(principal)` to go on, `Err(status)` to refuse.
fn authorize(
    verifier: &Verifier,
    policy: &Policy,
    path: &str,
    header: Option<&str>,
) -> Result<Principal, Status> {
    if OPEN_PREFIXES.iter().any(|p| path.starts_with(p)) {
        return Ok(Principal::anonymous());
    }
    let Some(access) = policy.get(path).copied() else {
        return Err(Status::unimplemented(format!("unknown method {path}")));
    };
    let token = header.and_then(|h| {
        h.strip_prefix("Bearer ")
            .or_else(|| h.strip_prefix("bearer "))
    });
    if access == Access::Public {
        // A token on a public call is fine but not needed.
        return Ok(token
            .and_then(|t| verifier.verify(t).ok())
            .unwrap_or_else(Principal::anonymous));
    }
    let Some(token) = token else {
        return Err(Status::unauthenticated("missing bearer token"));
    };
    let p = verifier.verify(token).map_err(Status::unauthenticated)?;
    if !access.allows(p.role) {
        let e = AppError::refused(
            Reason::RoleNotAllowed,
            format!("role {} may not call {path}", p.role.as_str()),
        );
        return Err(e.into());
    }
    // A service is admitted only by its identity's table, within what the
    // method's class admits services to at all (so a slip in the table
    // cannot grant a lift).
    if p.role == Role::Service && !service_identity::may_call(&p.subject, path) {
        let e = AppError::refused(
            Reason::ServiceNotAllowed,
            format!("service {} may not call {path}", p.subject),
        );
        return Err(e.into());
    }
    Ok(p)
}

impl<S, ReqBody, ResBody> tower::Service<http::Request<ReqBody>> for AuthService<S>
where
    S: tower::Service<http::Request<ReqBody>, Response = http::Response<ResBody>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<ReqBody>) -> Self::Future {
        let header = req
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        match authorize(&self.verifier, &self.policy, req.uri().path(), header) {
            Ok(p) => {
                req.extensions_mut().insert(p);
                // The ready service is the one poll_ready readied; leave a clone behind.
                let clone = self.inner.clone();
                let mut inner = std::mem::replace(&mut self.inner, clone);
                Box::pin(inner.call(req))
            }
            Err(status) => {
                let resp = status.into_http::<ResBody>();
                Box::pin(async move { Ok(resp) })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn settings(dir: &Path) -> Settings {
        let mut s = Settings::default();
        s.database.data_dir = dir.to_string_lossy().into_owned();
        s
    }

    fn testdata(name: &str) -> String {
        format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"))
    }

    fn sign(alg: Algorithm, key: &EncodingKey, claims: &Claims) -> String {
        jsonwebtoken::encode(&Header::new(alg), claims, key).unwrap()
    }

    fn claims(role: Role, body: Option<&str>, exp_in: i64) -> Claims {
        let now = chrono::Utc::now().timestamp();
        Claims {
            sub: "t".into(),
            role,
            body: body.map(str::to_string),
            scope: None,
            iss: "probity".into(),
            aud: "probity".into(),
            iat: now,
            exp: now + exp_in,
            nbf: None,
            jti: None,
        }
    }

    #[test]
    fn dev_token_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path());
        let t = issue_token(
            &s,
            "alice",
            Role::Department,
            Some("b1"),
            chrono::Duration::hours(1),
        )
        .unwrap();
        let v = Verifier::from_settings(&s).unwrap();
        assert_eq!(
            v.verify(&t).unwrap(),
            Principal {
                subject: "alice".into(),
                role: Role::Department,
                body: Some("b1".into()),
                scope: None,
            }
        );
        assert!(issue_token(&s, "x", Role::Department, None, chrono::Duration::hours(1)).is_err());
    }

    #[test]
    fn legal_section_scope_only_on_department_tokens() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path());
        let v = Verifier::from_settings(&s).unwrap();
        let hour = chrono::Duration::hours(1);
        let scoped = Some(Scope::LegalSection);
        let t = issue_scoped_token(&s, "fz", Role::Department, Some("b1"), scoped, hour).unwrap();
        assert_eq!(v.verify(&t).unwrap().scope, scoped);
        assert!(issue_scoped_token(&s, "x", Role::LegalOffice, None, scoped, hour).is_err());
        let sk = load_or_create_signing_key(&s.signing_key()).unwrap();
        let key = EncodingKey::from_ed_der(sk.to_pkcs8_der().unwrap().as_bytes());
        let mut c = claims(Role::Government, None, 60);
        c.scope = scoped;
        assert!(v.verify(&sign(Algorithm::EdDSA, &key, &c)).is_err());
        let mut c = claims(Role::Department, Some("bodies/b1"), 60);
        c.scope = scoped;
        let text = serde_json::to_string(&c).unwrap();
        assert!(text.contains(r#""scope":"legal_section""#), "{text}");
        let other = text.replace("legal_section", "head_office");
        assert!(
            serde_json::from_str::<Claims>(&other).is_err(),
            "an unknown scope is refused"
        );
        assert_eq!(Scope::parse("legal_section"), scoped);
        assert_eq!(Role::parse("government"), Some(Role::Government));
    }

    #[test]
    fn expired_wrong_audience_and_foreign_key_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path());
        let v = Verifier::from_settings(&s).unwrap();
        let sk = load_or_create_signing_key(&s.signing_key()).unwrap();
        let key = EncodingKey::from_ed_der(sk.to_pkcs8_der().unwrap().as_bytes());
        let expired = sign(
            Algorithm::EdDSA,
            &key,
            &claims(Role::LegalOffice, None, -120),
        );
        assert!(
            v.verify(&expired).unwrap_err().contains("Expired"),
            "{:?}",
            v.verify(&expired)
        );
        let mut c = claims(Role::LegalOffice, None, 60);
        c.aud = "elsewhere".into();
        assert!(v.verify(&sign(Algorithm::EdDSA, &key, &c)).is_err());
        let other = EncodingKey::from_ed_pem(
            &std::fs::read(testdata("ed25519-other-private.pem")).unwrap(),
        )
        .unwrap();
        assert!(
            v.verify(&sign(
                Algorithm::EdDSA,
                &other,
                &claims(Role::LegalOffice, None, 60)
            ))
            .is_err()
        );
        assert!(v.verify("not.a.token").is_err());
        let dept_without_body = sign(Algorithm::EdDSA, &key, &claims(Role::Department, None, 60));
        assert!(v.verify(&dept_without_body).is_err());
    }

    #[test]
    fn configured_public_keys_rs256_and_eddsa() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = settings(dir.path());
        s.auth.dev_keys = false;
        s.auth.public_key_files = vec![
            testdata("rs256-public.pem"),
            testdata("ed25519-other-public.pem"),
        ];
        let v = Verifier::from_settings(&s).unwrap();
        let rsa = EncodingKey::from_rsa_pem(&std::fs::read(testdata("rs256-private.pem")).unwrap())
            .unwrap();
        let ed = EncodingKey::from_ed_pem(
            &std::fs::read(testdata("ed25519-other-private.pem")).unwrap(),
        )
        .unwrap();
        assert_eq!(
            v.verify(&sign(
                Algorithm::RS256,
                &rsa,
                &claims(Role::Leadership, None, 60)
            ))
            .unwrap()
            .role,
            Role::Leadership
        );
        assert_eq!(
            v.verify(&sign(
                Algorithm::EdDSA,
                &ed,
                &claims(Role::Auditor, None, 60)
            ))
            .unwrap()
            .role,
            Role::Auditor
        );
        assert!(
            !dir.path().join("dev-signing-key.pem").exists(),
            "no dev key is made when dev_keys is off"
        );
    }

    #[test]
    fn no_key_at_all_is_refused_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = settings(dir.path());
        s.auth.dev_keys = false;
        let e = Verifier::from_settings(&s)
            .err()
            .expect("no verifier without keys")
            .to_string();
        assert!(e.starts_with("auth.public_key_files"), "{e}");
        s.auth.signing_key_file = dir.path().join("absent.pem").to_string_lossy().into_owned();
        s.auth.dev_keys = true;
        assert!(
            Verifier::from_settings(&s).is_err(),
            "a configured signing key is never created"
        );
    }

    #[test]
    fn remembered_tokens_still_expire() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path());
        let v = Verifier::from_settings(&s).unwrap();
        let sk = load_or_create_signing_key(&s.signing_key()).unwrap();
        let key = EncodingKey::from_ed_der(sk.to_pkcs8_der().unwrap().as_bytes());
        // Valid now only thanks to the leeway, and only for one more second.
        let t = sign(
            Algorithm::EdDSA,
            &key,
            &claims(Role::Leadership, None, 1 - LEEWAY_SECS),
        );
        assert!(v.verify(&t).is_ok());
        assert!(v.verify(&t).is_ok(), "remembered");
        std::thread::sleep(std::time::Duration::from_millis(2_100));
        assert!(
            v.verify(&t).is_err(),
            "the memory of a token ends when the token does"
        );
    }

    #[test]
    fn hs256_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let secret = "0123456789abcdef0123456789abcdef";
        let token = sign(
            Algorithm::HS256,
            &EncodingKey::from_secret(secret.as_bytes()),
            &claims(Role::Service, None, 60),
        );
        let s = settings(dir.path());
        assert!(Verifier::from_settings(&s).unwrap().verify(&token).is_err());
        let mut s = settings(dir.path());
        s.auth.allow_hs256 = true;
        s.auth.hs256_secret = secret.into();
        assert_eq!(
            Verifier::from_settings(&s)
                .unwrap()
                .verify(&token)
                .unwrap()
                .role,
            Role::Service
        );
    }

    fn dev_key(s: &Settings) -> EncodingKey {
        let sk = load_or_create_signing_key(&s.signing_key()).unwrap();
        EncodingKey::from_ed_der(sk.to_pkcs8_der().unwrap().as_bytes())
    }

    #[test]
    fn body_claim_must_be_a_body_resource_name() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path());
        let v = Verifier::from_settings(&s).unwrap();
        let key = dev_key(&s);
        let ok = claims(Role::Department, Some("bodies/b_1"), 60);
        assert_eq!(
            v.verify(&sign(Algorithm::EdDSA, &key, &ok)).unwrap().body,
            Some("b_1".into())
        );
        for bad in [
            "%",
            "bodies/%",
            "b1",
            "bodies/b1/posts/p",
            "bodies/",
            "bodies/a b",
        ] {
            let c = claims(Role::Department, Some(bad), 60);
            let e = v.verify(&sign(Algorithm::EdDSA, &key, &c)).unwrap_err();
            assert!(e.contains("resource name"), "{bad}: {e}");
        }
    }

    #[test]
    fn lifetime_nbf_iat_and_revocation() {
        let dir = tempfile::tempdir().unwrap();
        let revoked = dir.path().join("revoked");
        std::fs::write(&revoked, "gone\n").unwrap();
        let mut s = settings(dir.path());
        s.auth.max_token_lifetime_secs = 3600;
        s.auth.revoked_jti_file = revoked.to_string_lossy().into_owned();
        let v = Verifier::from_settings(&s).unwrap();
        let key = dev_key(&s);
        let t = |c: &Claims| v.verify(&sign(Algorithm::EdDSA, &key, c));
        assert!(t(&claims(Role::Leadership, None, 3600)).is_ok());
        let e = t(&claims(Role::Leadership, None, 3601)).unwrap_err();
        assert!(e.contains("max_token_lifetime"), "{e}");
        let mut c = claims(Role::Leadership, None, 60);
        c.nbf = Some(c.iat + 600);
        assert!(t(&c).unwrap_err().contains("ImmatureSignature"), "nbf");
        let mut c = claims(Role::Leadership, None, 60);
        c.iat += 600;
        c.exp = c.iat + 60;
        assert!(t(&c).unwrap_err().contains("future"), "iat");
        let mut c = claims(Role::Leadership, None, 60);
        c.jti = Some("gone".into());
        assert!(t(&c).unwrap_err().contains("revoked"));
        c.jti = Some("kept".into());
        assert!(t(&c).is_ok());
        assert!(
            issue_token(&s, "x", Role::Leadership, None, chrono::Duration::hours(2)).is_err(),
            "the CLI does not issue what the verifier refuses"
        );
    }

    #[test]
    fn access_matrix() {
        use Access::*;
        use Role::*;
        let can = |a: Access| {
            Role::ALL
                .into_iter()
                .filter(|r| a.allows(*r))
                .collect::<Vec<_>>()
        };
        assert_eq!(can(Public), Role::ALL.to_vec());
        assert!(
            [Read, Write, Admin, Effect, Lift, Raise, Audit, Decide]
                .into_iter()
                .all(|a| !a.allows(Anonymous)),
            "without a token only public methods"
        );
        assert_eq!(
            can(Read),
            vec![LegalOffice, Department, Leadership, Service, Government]
        );
        assert_eq!(can(Write), vec![LegalOffice, Department]);
        assert_eq!(can(Admin), vec![LegalOffice]);
        assert_eq!(can(Decide), vec![LegalOffice, Department, Government]);
        assert_eq!(can(Effect), vec![LegalOffice, Department, Service]);
        assert_eq!(can(Lift), vec![LegalOffice]);
        assert_eq!(can(Raise), vec![LegalOffice, Service]);
        assert_eq!(can(Audit), vec![LegalOffice, Auditor]);
        assert_eq!(can(Report), vec![LegalOffice, Department, CourtRecords]);
        assert_eq!(
            can(ReadBack),
            vec![
                LegalOffice,
                Department,
                Leadership,
                Service,
                CourtRecords,
                Government
            ]
        );
    }

    #[test]
    fn court_records_is_admitted_by_report_and_read_back_alone() {
        use Access::*;
        let admitted: Vec<Access> = [
            Public, Read, Write, Admin, Effect, Lift, Raise, Audit, Report, ReadBack, Decide,
        ]
        .into_iter()
        .filter(|a| a.allows(Role::CourtRecords))
        .collect();
        assert_eq!(admitted, vec![Public, Report, ReadBack]);
        assert_eq!(Role::parse("court_records"), Some(Role::CourtRecords));
    }
}
