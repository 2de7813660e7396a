//! Access tokens (JWT), issued and validated per RFC 8725: one configured algorithm per key,
//! `typ` = `at+jwt`, `exp`/`nbf`/`iss`/`aud`/`sub` required and checked with a small leeway.
//! Tokens of an external identity provider are accepted when its public keys are configured:
//! the key is chosen by `kid` from that local key set, never fetched from a URL in a token.
use std::collections::HashMap;

use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use entity::enums::UserRole;

/// The media type of our access tokens (RFC 9068), checked on every token.
pub const TOKEN_TYPE: &str = "at+jwt";
/// Longest token accepted: anything larger is refused before it is parsed.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
pub const MAX_LEEWAY_SECS: u64 = 30;
pub use crate::config::MIN_SECRET_BYTES;

/// The claims of a token this server issues.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub nbf: i64,
    pub iat: i64,
    pub role: UserRole,
    /// The user's token version when issued; bumping it revokes every earlier token.
    pub ver: i32,
}

/// The claims read from an external provider's token.
#[derive(Debug, Clone, Deserialize)]
struct ExternalClaims {
    sub: String,
    #[serde(default)]
    email: Option<String>,
    /// Whether the provider checked that the user owns `email` (OpenID Connect; some providers
    /// send the string "true").
    #[serde(default)]
    email_verified: Option<serde_json::Value>,
    /// The user's full name (OpenID Connect `name`).
    #[serde(default)]
    name: Option<String>,
    #[serde(flatten)]
    rest: HashMap<String, serde_json::Value>,
}

/// Who a valid token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSubject {
    /// A local account, still to be checked against its active flag and token version.
    Local { user_id: Uuid, token_version: i32 },
    /// A user of the external provider, with the role its claims map to.
    External { issuer: String, subject: String, claimed: ExternalIdentity, role: UserRole },
}

/// The key of an external provider's user: the first 16 bytes of SHA-256 over issuer and
/// subject, never the email they claim. Their account and their rate limit are keyed by it.
pub fn external_user_key(issuer: &str, subject: &str) -> [u8; 16] {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{issuer}\0{subject}").as_bytes());
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

/// What an external provider's token says about its user besides the subject; none of it is
/// trusted for identity, only for display.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExternalIdentity {
    pub name: Option<String>,
    pub email: Option<String>,
    pub email_verified: bool,
}

/// Why a token was refused. Callers answer every case with the same UNAUTHENTICATED error;
/// the reason is for logs only.
#[derive(Debug, thiserror::Error)]
#[error("token rejected: {0}")]
pub struct TokenRejected(pub String);

/// An external identity provider whose tokens are accepted.
#[derive(Clone)]
pub struct ExternalProvider {
    pub issuer: String,
    pub audience: String,
    keys: HashMap<String, (Algorithm, DecodingKey)>,
    /// Claim whose value decides the role (e.g. `roles` or `chancery_role`).
    pub role_claim: String,
    /// Claim value → role; tokens whose claim maps to nothing are refused.
    pub role_map: HashMap<String, UserRole>,
}

impl ExternalProvider {
    /// Reads a JWK set (RSA keys are RS256, Ed25519 keys are EdDSA; others are refused).
    pub fn from_jwks(
        jwks_json: &str,
        issuer: String,
        audience: String,
        role_claim: String,
        role_map: HashMap<String, UserRole>,
    ) -> anyhow::Result<Self> {
        let set: JwkSet = serde_json::from_str(jwks_json)?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let kid = jwk.common.key_id.clone().ok_or_else(|| anyhow::anyhow!("every external key needs a `kid`"))?;
            let algorithm = match &jwk.algorithm {
                AlgorithmParameters::RSA(_) => Algorithm::RS256,
                AlgorithmParameters::OctetKeyPair(_) => Algorithm::EdDSA,
                _ => anyhow::bail!("external key {kid}: only RSA (RS256) and Ed25519 (EdDSA) keys are accepted"),
            };
            keys.insert(kid, (algorithm, DecodingKey::from_jwk(jwk)?));
        }
        anyhow::ensure!(!keys.is_empty(), "the external key set is empty");
        Ok(Self { issuer, audience, keys, role_claim, role_map })
    }

    fn role_of(&self, claims: &ExternalClaims) -> Option<UserRole> {
        let value = claims.rest.get(&self.role_claim)?;
        let candidates: Vec<&str> = match value {
            serde_json::Value::String(s) => vec![s.as_str()],
            serde_json::Value::Array(items) => items.iter().filter_map(|i| i.as_str()).collect(),
            _ => vec![],
        };
        // The most privileged mapped role wins.
        let rank = |role: &UserRole| match role {
            UserRole::Admin => 3,
            UserRole::Reviewer => 2,
            UserRole::Editor => 1,
        };
        candidates.iter().filter_map(|c| self.role_map.get(*c).copied()).max_by_key(rank)
    }
}

/// Issues and validates access tokens.
#[derive(Clone)]
pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub issuer: String,
    pub audience: String,
    pub ttl_secs: i64,
    pub leeway_secs: u64,
    external: Option<ExternalProvider>,
}

impl TokenService {
    pub fn new(
        secret: &[u8],
        issuer: String,
        audience: String,
        ttl_secs: i64,
        leeway_secs: u64,
        external: Option<ExternalProvider>,
    ) -> anyhow::Result<Self> {
        anyhow::ensure!(secret.len() >= MIN_SECRET_BYTES, "the token secret must be at least {MIN_SECRET_BYTES} bytes");
        anyhow::ensure!(leeway_secs <= MAX_LEEWAY_SECS, "the token leeway may be at most {MAX_LEEWAY_SECS} s");
        anyhow::ensure!(ttl_secs > 0, "the token lifetime must be positive");
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            issuer,
            audience,
            ttl_secs,
            leeway_secs,
            external,
        })
    }

    /// A signed token for a user.
    pub fn issue(&self, user_id: Uuid, role: UserRole, token_version: i32) -> Result<(String, i64), TokenRejected> {
        let now = chrono::Utc::now().timestamp();
        let claims = AccessClaims {
            sub: user_id.to_string(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            exp: now + self.ttl_secs,
            nbf: now,
            iat: now,
            role,
            ver: token_version,
        };
        let header = Header { typ: Some(TOKEN_TYPE.into()), ..Header::new(Algorithm::HS256) };
        let token = encode(&header, &claims, &self.encoding).map_err(|e| TokenRejected(e.to_string()))?;
        Ok((token, claims.exp))
    }

    fn validation(&self, algorithm: Algorithm, issuer: &str, audience: &str, required: &[&str]) -> Validation {
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(required);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = self.leeway_secs;
        validation
    }

    /// Checks a token's form, type, algorithm, signature and claims.
    pub fn validate(&self, token: &str) -> Result<TokenSubject, TokenRejected> {
        let reject = |why: &str| TokenRejected(why.to_owned());
        if token.len() > MAX_TOKEN_BYTES {
            return Err(reject("token too large"));
        }
        if token.split('.').count() != 3 {
            return Err(reject("not a three-part JWS"));
        }
        let header = decode_header(token).map_err(|e| TokenRejected(format!("header: {e}")))?;
        let typ = header.typ.as_deref().map(str::to_ascii_lowercase);
        if !matches!(typ.as_deref(), Some(TOKEN_TYPE | "application/at+jwt")) {
            return Err(reject("wrong `typ`"));
        }
        // The algorithm is decided by which key the token names, never by its header alone.
        if let (Some(kid), Some(provider)) = (&header.kid, &self.external) {
            if let Some((algorithm, key)) = provider.keys.get(kid) {
                // Many providers omit `nbf`; it is checked whenever present.
                let validation =
                    self.validation(*algorithm, &provider.issuer, &provider.audience, &["exp", "iss", "aud", "sub"]);
                let data =
                    decode::<ExternalClaims>(token, key, &validation).map_err(|e| TokenRejected(e.to_string()))?;
                let role = provider.role_of(&data.claims).ok_or_else(|| reject("no mapped role"))?;
                if data.claims.sub.is_empty() {
                    return Err(reject("empty `sub`"));
                }
                let email_verified = data
                    .claims
                    .email_verified
                    .as_ref()
                    .is_some_and(|v| v.as_bool() == Some(true) || v.as_str() == Some("true"));
                return Ok(TokenSubject::External {
                    issuer: provider.issuer.clone(),
                    subject: data.claims.sub,
                    claimed: ExternalIdentity { name: data.claims.name, email: data.claims.email, email_verified },
                    role,
                });
            }
            return Err(reject("unknown `kid`"));
        }
        let validation =
            self.validation(Algorithm::HS256, &self.issuer, &self.audience, &["exp", "nbf", "iss", "aud", "sub"]);
        let data =
            decode::<AccessClaims>(token, &self.decoding, &validation).map_err(|e| TokenRejected(e.to_string()))?;
        let user_id = Uuid::parse_str(&data.claims.sub).map_err(|_| reject("`sub` is not a user id"))?;
        Ok(TokenSubject::Local { user_id, token_version: data.claims.ver })
    }
}

/// The `exp` claim of a token that `TokenService::validate` accepted (read without checking
/// again): when a long-lived connection signed in with it must end.
pub fn expiry_of(token: &str) -> Option<i64> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice::<serde_json::Value>(&bytes).ok()?.get("exp")?.as_i64()
}
