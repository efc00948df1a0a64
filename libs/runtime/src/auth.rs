//! Caller identity: every RPC carries a signed bearer token (EdDSA JWT) naming the agent or
//! calling system and its roles. Services verify with the public key only; signing keys stay
//! with the issuer (the local stack's key in development).

use std::{
    collections::{BTreeSet, HashMap},
    fmt,
    sync::{Arc, Mutex, PoisonError},
    time::{SystemTime, UNIX_EPOCH},
};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::ServiceError;

/// Metadata key carrying the token of the agent a calling service acts for.
pub const ON_BEHALF_OF_HEADER: &str = "x-secal-on-behalf-of";

/// Roles known to the suite. A token may carry any strings; policies name these.
pub mod roles {
    /// Everything an operator may do, except where a rule of separation says otherwise.
    pub const ADMIN: &str = "admin";
    /// Another SECAL service calling.
    pub const SERVICE: &str = "service";
    /// Case officer: applications and dossiers.
    pub const CASE_OFFICER: &str = "case-officer";
    /// Registers persons in the registry (never the one who looks their incomes up).
    pub const REGISTRAR: &str = "registrar";
    /// May read personal data of persons and dossiers.
    pub const PERSONAL_DATA_READER: &str = "personal-data-reader";
    /// Income look-ups in social-security sources.
    pub const INCOME_LOOKUP: &str = "income-lookup";
    /// Reads and verifies the access log (oversight).
    pub const AUDITOR: &str = "auditor";
    /// Maintains dated reference data (CPI, rates, caps, brackets).
    pub const REFERENCE_DATA_ADMIN: &str = "reference-data-admin";
    /// Uses the calculation engine.
    pub const CALCULATION_USER: &str = "calculation-user";
    /// Operates the ledger, runs, payouts.
    pub const PAYMENTS_OPERATOR: &str = "payments-operator";
    /// The tax administration's compensation system.
    pub const TAX_REFUND_SYSTEM: &str = "tax-refund-system";
    /// Gives other agents' work-queue tasks to someone else.
    pub const TEAM_LEAD: &str = "team-lead";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrincipalKind {
    /// A person working for the service.
    Agent,
    /// A system: one of our services or an external system (tax administration).
    System,
}

/// The claims of a SECAL token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub kind: PrincipalKind,
    pub roles: Vec<String>,
    pub iss: String,
    pub aud: String,
    pub iat: u64,
    pub exp: u64,
}

/// A verified principal.
#[derive(Clone, PartialEq, Eq)]
pub struct Principal {
    pub id: String,
    pub kind: PrincipalKind,
    pub roles: BTreeSet<String>,
}

impl fmt::Debug for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}:{} {:?}", self.kind, self.id, self.roles)
    }
}

impl Principal {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.contains(role)
    }
}

/// Who is calling: the verified token's principal, and, when a system relays a person's
/// action, the agent on whose behalf (verified from that agent's own token).
#[derive(Clone, PartialEq, Eq)]
pub struct Caller {
    pub principal: Principal,
    pub on_behalf_of: Option<Principal>,
    /// The acting agent's own token, so that a service can relay it on calls it makes for
    /// that agent. Never logged.
    agent_token: Option<String>,
}

impl fmt::Debug for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Caller")
            .field("principal", &self.principal)
            .field("on_behalf_of", &self.on_behalf_of)
            .finish_non_exhaustive()
    }
}

impl Caller {
    /// The person accountable for the call: the agent acted for, else the caller itself.
    pub fn actor(&self) -> &Principal {
        self.on_behalf_of.as_ref().unwrap_or(&self.principal)
    }

    /// The system the call came through, when an agent acted through one.
    pub fn via(&self) -> Option<&str> {
        self.on_behalf_of
            .as_ref()
            .map(|_| self.principal.id.as_str())
    }

    /// The token to relay as `x-secal-on-behalf-of` when calling another service for the
    /// agent behind this call.
    pub fn agent_token(&self) -> Option<&str> {
        self.agent_token.as_deref()
    }

    /// The caller from a request's extensions, put there by the authentication layer.
    pub fn of<T>(request: &tonic::Request<T>) -> Result<Caller, ServiceError> {
        request
            .extensions()
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| ServiceError::unauthenticated("no verified caller"))
    }
}

/// Why a call's credentials were refused. The `Display` text is what the caller is told
/// (the middleware puts it in the UNAUTHENTICATED status): one fixed sentence per cause, so
/// that a client can tell what to fix without the JWT library's internals or the token being
/// echoed back. The library's own detail is logged server-side where the error is made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer token: send `authorization: Bearer <token>`")]
    Missing,
    #[error("malformed authorization header: expected `Bearer <token>`")]
    Malformed,
    #[error("malformed token: not a signed JWT with the expected claims")]
    MalformedToken,
    #[error("token signature does not verify with the issuer's key")]
    BadSignature,
    #[error("token signed with an algorithm other than EdDSA")]
    WrongAlgorithm,
    #[error("token expired: obtain a new one")]
    Expired,
    #[error("token not yet valid: its `nbf` is in the future")]
    NotYetValid,
    #[error("token is for another audience")]
    WrongAudience,
    #[error("token is from an issuer this service does not trust")]
    WrongIssuer,
    /// The name is one of the registered claims the library requires (`exp`, `aud`, …). Our
    /// `Claims` requires them too and is read first, so today a missing one is reported as
    /// `MalformedToken`; kept for a library that checks them first.
    #[error("token lacks the required claim `{0}`")]
    MissingClaim(String),
    #[error("token has an empty subject")]
    EmptySubject,
    #[error("only a system may act on behalf of an agent")]
    OnBehalfOfBySystemOnly,
    #[error("the on-behalf-of token is not an agent's")]
    OnBehalfOfNotAnAgent,
    #[error("token refused")]
    Refused,
    /// Configuration and signing errors: never reach a caller.
    #[error("bad key: {0}")]
    BadKey(String),
    #[error("cannot sign the token: {0}")]
    Signing(String),
}

impl AuthError {
    /// The caller-facing cause of a failed decode; the library's message is logged here, not
    /// returned, because it describes parser internals and can quote token fragments.
    fn from_jwt(e: &jsonwebtoken::errors::Error) -> Self {
        use jsonwebtoken::errors::ErrorKind as K;
        let refusal = match e.kind() {
            K::InvalidToken
            | K::Base64(_)
            | K::Json(_)
            | K::Utf8(_)
            | K::InvalidClaimFormat(_)
            | K::InvalidAlgorithmName
            | K::MissingAlgorithm => Self::MalformedToken,
            K::InvalidSignature => Self::BadSignature,
            K::InvalidAlgorithm | K::UnsupportedAlgorithm => Self::WrongAlgorithm,
            K::ExpiredSignature => Self::Expired,
            K::ImmatureSignature => Self::NotYetValid,
            K::InvalidAudience => Self::WrongAudience,
            K::InvalidIssuer => Self::WrongIssuer,
            K::MissingRequiredClaim(claim) => Self::MissingClaim(claim.clone()),
            _ => Self::Refused,
        };
        tracing::info!(cause = %refusal, detail = %e, "token refused");
        refusal
    }
}

/// Verifies tokens with the issuer's public key.
#[derive(Clone)]
pub struct TokenVerifier {
    key: DecodingKey,
    validation: Validation,
    verified: Arc<Verified>,
}

/// Tokens already verified, each kept until its `exp`. A client sends the same token with
/// every call, and the Ed25519 check of its signature was the largest fixed cost of a small
/// call. Keyed by the whole token: any other string, a forged signature included, is checked
/// in full.
#[derive(Default)]
struct Verified(Mutex<HashMap<Box<str>, (Principal, u64)>>);

impl Verified {
    /// Beyond it the cache is emptied and refilled by the tokens in use.
    const MAX_TOKENS: usize = 10_000;

    fn get(&self, token: &str, now: u64) -> Option<Principal> {
        let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(token)
            .filter(|(_, exp)| now < *exp)
            .map(|(p, _)| p.clone())
    }

    fn put(&self, token: &str, principal: &Principal, exp: u64) {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= Self::MAX_TOKENS {
            map.clear();
        }
        map.insert(token.into(), (principal.clone(), exp));
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

impl fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenVerifier").finish_non_exhaustive()
    }
}

pub const DEFAULT_ISSUER: &str = "secal-dev";
pub const AUDIENCE: &str = "secal";

impl TokenVerifier {
    pub fn from_public_pem(pem: &[u8], issuer: &str) -> Result<Self, AuthError> {
        let key = DecodingKey::from_ed_pem(pem).map_err(|e| AuthError::BadKey(e.to_string()))?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[AUDIENCE]);
        // The same leeway both ways: clocks of issuer and service may differ either way.
        validation.leeway = 30;
        // Off by default in jsonwebtoken: a token minted for later must not work now.
        validation.validate_nbf = true;
        Ok(Self {
            key,
            validation,
            verified: Arc::default(),
        })
    }

    /// The token's principal, if its signature, issuer, audience, expiry and `nbf` (when
    /// present) check out (a token seen before and not yet expired is answered from memory:
    /// it was already past its `nbf` then).
    pub fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        let now = unix_now();
        if let Some(principal) = self.verified.get(token, now) {
            return Ok(principal);
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map_err(|e| AuthError::from_jwt(&e))?;
        let c = data.claims;
        if c.sub.trim().is_empty() {
            return Err(AuthError::EmptySubject);
        }
        let principal = Principal {
            id: c.sub,
            kind: c.kind,
            roles: c.roles.into_iter().collect(),
        };
        self.verified.put(token, &principal, c.exp);
        Ok(principal)
    }

    /// Verifies `authorization: Bearer …` and the optional on-behalf-of token.
    pub fn caller_from_headers(&self, headers: &http::HeaderMap) -> Result<Caller, AuthError> {
        let value = headers
            .get(http::header::AUTHORIZATION)
            .ok_or(AuthError::Missing)?
            .to_str()
            .map_err(|_| AuthError::Malformed)?;
        let token = bearer_token(value).ok_or(AuthError::Malformed)?;
        let principal = self.verify(token)?;
        let mut agent_token = (principal.kind == PrincipalKind::Agent).then(|| token.to_owned());
        let on_behalf_of = match headers.get(ON_BEHALF_OF_HEADER) {
            None => None,
            Some(v) => {
                // Only systems relay agents; an agent cannot claim to be another agent.
                if principal.kind != PrincipalKind::System {
                    return Err(AuthError::OnBehalfOfBySystemOnly);
                }
                let relayed = v.to_str().map_err(|_| AuthError::Malformed)?.trim();
                let agent = self.verify(relayed)?;
                if agent.kind != PrincipalKind::Agent {
                    return Err(AuthError::OnBehalfOfNotAnAgent);
                }
                agent_token = Some(relayed.to_owned());
                Some(agent)
            }
        };
        Ok(Caller {
            principal,
            on_behalf_of,
            agent_token,
        })
    }
}

/// The token of an `authorization` value `<scheme> <token>` whose scheme is Bearer in any
/// case: auth schemes are case-insensitive (RFC 7235 §2.1, RFC 6750 §2.1), and some clients
/// and proxies send `BEARER` or `bearer`.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, rest) = value.trim().split_once([' ', '\t'])?;
    let token = rest.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Mints tokens. Used by the local stack, tests and the dev token command — never by a
/// service in production, which is handed its token.
#[derive(Clone)]
pub struct TokenSigner {
    key: EncodingKey,
    issuer: String,
}

impl fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSigner")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl TokenSigner {
    pub fn from_private_pem(pem: &[u8], issuer: &str) -> Result<Self, AuthError> {
        let key = EncodingKey::from_ed_pem(pem).map_err(|e| AuthError::BadKey(e.to_string()))?;
        Ok(Self {
            key,
            issuer: issuer.to_owned(),
        })
    }

    pub fn mint(
        &self,
        subject: &str,
        kind: PrincipalKind,
        roles: &[&str],
        ttl_secs: u64,
    ) -> Result<String, AuthError> {
        let now = unix_now();
        let claims = Claims {
            sub: subject.to_owned(),
            kind,
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            iss: self.issuer.clone(),
            aud: AUDIENCE.to_owned(),
            iat: now,
            exp: now + ttl_secs,
        };
        self.mint_claims(&claims)
    }

    /// Signs any claims as they are, e.g. a token with an `nbf` or a foreign audience, for
    /// tests of what the verifier refuses. `iss` is not added: the claims carry their own.
    pub fn mint_claims<C: Serialize>(&self, claims: &C) -> Result<String, AuthError> {
        jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), claims, &self.key)
            .map_err(|e| AuthError::Signing(e.to_string()))
    }
}

/// Which roles may call which method of the gRPC services one server serves. A method that is
/// not listed is refused, and `check` (run when a server starts, and by each service's tests)
/// refuses a policy that names a method the contract does not declare or leaves one out: the
/// names are typed here once and compared with the generated descriptors.
#[derive(Debug, Clone, Default)]
pub struct AuthPolicy {
    /// Full names; `allow` applies to the last one.
    services: Vec<String>,
    methods: HashMap<String, Vec<&'static str>>,
}

/// What is wrong with a policy against the contract, every problem named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the auth policy of {service} does not match the contract: {}", problems.join("; "))]
pub struct PolicyError {
    pub service: String,
    pub problems: Vec<String>,
}

/// Paths every caller may use without a token: probes and API discovery.
const PUBLIC_PREFIXES: [&str; 3] = [
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1.ServerReflection/",
    "/grpc.reflection.v1alpha.ServerReflection/",
];

pub enum Decision {
    Public,
    Allowed,
    Denied(String),
}

impl AuthPolicy {
    /// The policy of `service`, by its full name: the generated `SERVICE_NAME` constant.
    pub fn for_service(service: &str) -> Self {
        Self {
            services: vec![service.to_owned()],
            methods: HashMap::new(),
        }
    }

    /// A further service of the same server; the `allow` calls that follow are for it.
    pub fn and_service(mut self, service: &str) -> Self {
        self.services.push(service.to_owned());
        self
    }

    /// The full names of the services this policy guards.
    pub fn services(&self) -> &[String] {
        &self.services
    }

    /// `method` is the RPC name within the service named last; any one of `roles` suffices.
    /// `admin` is always allowed unless a handler refuses it.
    pub fn allow(mut self, method: &str, roles: &[&'static str]) -> Self {
        let service = self.services.last().cloned().unwrap_or_default();
        self.methods
            .insert(format!("/{service}/{method}"), roles.to_vec());
        self
    }

    /// The same roles on each of `methods`.
    pub fn allow_all(self, methods: &[&str], roles: &[&'static str]) -> Self {
        methods.iter().fold(self, |p, m| p.allow(m, roles))
    }

    /// Every method the policy names exists in the contract, and every method of the
    /// contract has roles.
    pub fn check(&self) -> Result<(), PolicyError> {
        let mut problems = Vec::new();
        let mut named: Vec<&String> = self.methods.keys().collect();
        named.sort();
        for path in named {
            if !secal_proto::contract::is_method_path(path) {
                problems.push(format!("{path} is not a method of the contract"));
            }
        }
        for service in &self.services {
            let Some(declared) = secal_proto::contract::methods(service) else {
                problems.push(format!("the contracts declare no service {service}"));
                continue;
            };
            for method in declared {
                if !self.methods.contains_key(&format!("/{service}/{method}")) {
                    problems.push(format!("{service}/{method} has no roles"));
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(PolicyError {
                service: self.services.join(", "),
                problems,
            })
        }
    }

    pub fn is_public(path: &str) -> bool {
        PUBLIC_PREFIXES.iter().any(|p| path.starts_with(p))
    }

    pub fn decide(&self, path: &str, caller: &Caller) -> Decision {
        if Self::is_public(path) {
            return Decision::Public;
        }
        let Some(required) = self.methods.get(path) else {
            return Decision::Denied(format!("no role may call {path}"));
        };
        let p = &caller.principal;
        if p.has_role(roles::ADMIN) || required.iter().any(|r| p.has_role(r)) {
            Decision::Allowed
        } else {
            Decision::Denied(format!("{path} requires one of the roles {required:?}"))
        }
    }
}

/// Shared by the tower layer.
#[derive(Clone, Debug)]
pub struct Authenticator {
    pub verifier: Arc<TokenVerifier>,
    pub policy: Arc<AuthPolicy>,
    /// Checked on TLS connections only: which certificate identity may call which method.
    pub peers: Arc<crate::tls::PeerPolicy>,
}

#[cfg(test)]
mod policy_tests {
    use super::*;

    const SERVICE: &str = "secal.v1.CalculationService";

    fn complete() -> AuthPolicy {
        let methods: Vec<&str> = secal_proto::contract::methods(SERVICE)
            .expect("declared")
            .iter()
            .map(String::as_str)
            .collect();
        AuthPolicy::for_service(SERVICE).allow_all(&methods, &[roles::SERVICE])
    }

    #[test]
    fn a_policy_covering_the_contract_passes() {
        assert_eq!(complete().check(), Ok(()));
    }

    #[test]
    fn a_misspelt_method_and_a_forgotten_one_are_both_named() {
        let policy = AuthPolicy::for_service(SERVICE)
            .allow_all(
                &secal_proto::contract::methods(SERVICE)
                    .expect("declared")
                    .iter()
                    .filter(|m| *m != "ComputeSurcharge")
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
                &[roles::SERVICE],
            )
            .allow("ComputeSurchage", &[roles::SERVICE]);
        let err = policy.check().expect_err("two problems");
        assert_eq!(
            err.problems,
            vec![
                "/secal.v1.CalculationService/ComputeSurchage is not a method of the contract"
                    .to_owned(),
                "secal.v1.CalculationService/ComputeSurcharge has no roles".to_owned(),
            ]
        );
        assert!(err.to_string().contains("ComputeSurchage"));
    }

    #[test]
    fn an_unknown_service_is_refused() {
        let err = AuthPolicy::for_service("secal.v1.NoSuchService")
            .check()
            .expect_err("unknown");
        assert_eq!(
            err.problems,
            vec!["the contracts declare no service secal.v1.NoSuchService"]
        );
    }
}

#[cfg(test)]
mod token_tests {
    use ed25519_dalek::{
        SigningKey,
        pkcs8::{EncodePrivateKey, EncodePublicKey, spki::der::pem::LineEnding},
    };
    use serde_json::json;

    use super::*;

    const ISSUER: &str = "test";

    fn keys() -> (TokenSigner, TokenVerifier) {
        let signing = SigningKey::generate(&mut rand::rngs::OsRng);
        let private = signing.to_pkcs8_pem(LineEnding::LF).expect("private pem");
        let public = signing
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .expect("public pem");
        (
            TokenSigner::from_private_pem(private.as_bytes(), ISSUER).expect("signer"),
            TokenVerifier::from_public_pem(public.as_bytes(), ISSUER).expect("verifier"),
        )
    }

    /// Valid claims of an agent, with `extra` merged over them (`null` removes a claim).
    fn claims(extra: serde_json::Value) -> serde_json::Value {
        let now = unix_now();
        let mut c = json!({
            "sub": "agent-1", "kind": "agent", "roles": ["case-officer"],
            "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600,
        });
        for (k, v) in extra.as_object().expect("object") {
            match v {
                serde_json::Value::Null => c.as_object_mut().expect("object").remove(k),
                v => c
                    .as_object_mut()
                    .expect("object")
                    .insert(k.clone(), v.clone()),
            };
        }
        c
    }

    fn headers(authorization: &str) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert(
            http::header::AUTHORIZATION,
            authorization.parse().expect("header value"),
        );
        h
    }

    #[test]
    fn a_token_not_yet_valid_is_refused_beyond_the_leeway() {
        let (signer, verifier) = keys();
        let now = unix_now();
        let later = signer
            .mint_claims(&claims(json!({"nbf": now + 120})))
            .expect("mint");
        assert_eq!(verifier.verify(&later), Err(AuthError::NotYetValid));
        // Within the 30 s leeway of `exp`, for clocks a little apart.
        let skewed = signer
            .mint_claims(&claims(json!({"nbf": now + 10})))
            .expect("mint");
        assert!(verifier.verify(&skewed).is_ok());
        let past = signer
            .mint_claims(&claims(json!({"nbf": now - 10})))
            .expect("mint");
        assert!(verifier.verify(&past).is_ok());
        // Refused twice: a refusal is not remembered as a success.
        assert_eq!(verifier.verify(&later), Err(AuthError::NotYetValid));
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        let (signer, verifier) = keys();
        let token = signer
            .mint("agent-1", PrincipalKind::Agent, &[roles::CASE_OFFICER], 600)
            .expect("mint");
        for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
            for sep in [" ", "  ", "\t"] {
                let caller = verifier
                    .caller_from_headers(&headers(&format!("{scheme}{sep}{token}")))
                    .unwrap_or_else(|e| panic!("{scheme:?}{sep:?}: {e}"));
                assert_eq!(caller.principal.id, "agent-1");
                assert_eq!(caller.agent_token(), Some(token.as_str()));
            }
        }
        for value in [
            format!("Basic {token}"),
            format!("Bearer{token}"),
            "Bearer".to_owned(),
            "Bearer   ".to_owned(),
            token.clone(),
        ] {
            assert_eq!(
                verifier.caller_from_headers(&headers(&value)).err(),
                Some(AuthError::Malformed),
                "{value}"
            );
        }
        assert_eq!(
            verifier.caller_from_headers(&http::HeaderMap::new()).err(),
            Some(AuthError::Missing)
        );
    }

    #[test]
    fn each_cause_gets_a_fixed_message_without_library_internals() {
        let (signer, verifier) = keys();
        let (foreign, _) = keys();
        let now = unix_now();
        let mint = |c| signer.mint_claims(&c).expect("mint");
        let cases = [
            ("not.a.jwt".to_owned(), AuthError::MalformedToken),
            ("garbage".to_owned(), AuthError::MalformedToken),
            (
                foreign.mint_claims(&claims(json!({}))).expect("mint"),
                AuthError::BadSignature,
            ),
            (mint(claims(json!({"exp": now - 120}))), AuthError::Expired),
            (
                mint(claims(json!({"nbf": now + 600}))),
                AuthError::NotYetValid,
            ),
            (
                mint(claims(json!({"aud": "someone-else"}))),
                AuthError::WrongAudience,
            ),
            (
                mint(claims(json!({"iss": "elsewhere"}))),
                AuthError::WrongIssuer,
            ),
            (
                mint(claims(json!({"exp": null}))),
                AuthError::MalformedToken,
            ),
            (
                mint(claims(json!({"kind": null}))),
                AuthError::MalformedToken,
            ),
            (mint(claims(json!({"sub": " "}))), AuthError::EmptySubject),
        ];
        for (token, expected) in cases {
            let err = verifier
                .caller_from_headers(&headers(&format!("Bearer {token}")))
                .expect_err("refused");
            assert_eq!(err, expected, "{token}");
            let message = err.to_string();
            for internal in [
                "InvalidToken",
                "Base64",
                "Json",
                "line ",
                "column",
                "Error(",
            ] {
                assert!(!message.contains(internal), "{message}");
            }
            assert!(!message.contains(&token), "{message}");
        }
    }

    #[test]
    fn only_a_system_relays_an_agent_and_only_an_agent_is_relayed() {
        let (signer, verifier) = keys();
        let agent = signer
            .mint("agent-1", PrincipalKind::Agent, &[roles::CASE_OFFICER], 600)
            .expect("mint");
        let system = signer
            .mint(
                "secal-intake",
                PrincipalKind::System,
                &[roles::SERVICE],
                600,
            )
            .expect("mint");
        let mut h = headers(&format!("Bearer {agent}"));
        h.insert(ON_BEHALF_OF_HEADER, agent.parse().expect("value"));
        assert_eq!(
            verifier.caller_from_headers(&h).err(),
            Some(AuthError::OnBehalfOfBySystemOnly)
        );
        let mut h = headers(&format!("bearer {system}"));
        h.insert(ON_BEHALF_OF_HEADER, system.parse().expect("value"));
        assert_eq!(
            verifier.caller_from_headers(&h).err(),
            Some(AuthError::OnBehalfOfNotAnAgent)
        );
    }
}
